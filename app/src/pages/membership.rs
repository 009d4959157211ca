//! Programme membership by academic year, under the analytics: the year's list with the orders
//! it rests on, who entered and who left, and the rules' proposal for the next year with its
//! reasons, which the department confirms as it is or after changing lines.

use super::cached_view;
use crate::api;
use crate::ctx::use_ctx;
use crate::task::Scope;
use leptos::prelude::*;
use opora_domain::membership::{Change, DecideMembership, MembershipView};
use opora_domain::org::SchoolFlags;
use opora_domain::{MunicipalityId, SchoolId, UserId};
use std::collections::BTreeMap;

fn groups_ru(f: &SchoolFlags) -> &'static str {
    match (f.low_results, f.unfavourable_conditions) {
        (true, true) => "ШНОР и ШФНСУ",
        (true, false) => "ШНОР",
        (false, true) => "ШФНСУ",
        (false, false) => "не в программе",
    }
}

fn change_ru(c: Option<Change>) -> &'static str {
    match c {
        Some(Change::Entered) => "вошла",
        Some(Change::Left) => "вышла",
        Some(Change::Moved) => "сменила группу",
        Some(Change::Stayed) => "осталась",
        None => "",
    }
}

/// The membership card, opened on the year the analytics show; the department can look at any
/// recorded year and at the year just confirmed, which no analytics view shows before it has data.
#[component]
pub fn Membership(user: UserId, municipality: Option<String>, year: String) -> impl IntoView {
    let shown = RwSignal::new(year);
    // Outlives the year's card, so «утверждён» stays in view when the confirmed year opens.
    let message = RwSignal::new(None::<String>);
    move || {
        let year = shown.get();
        view! { <MembershipOfYear user municipality=municipality.clone() year shown message/> }
    }
}

#[component]
fn MembershipOfYear(
    user: UserId,
    municipality: Option<String>,
    year: String,
    shown: RwSignal<String>,
    message: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = use_ctx();
    let scope = Scope::here();
    let mut path = format!("/api/department/membership?year={year}");
    if let Some(m) = &municipality {
        path.push_str(&format!("&municipality={m}"));
    }
    let (view, _) = cached_view::<MembershipView>(user, &format!("membership.{year}"), path);
    // The department's choice per school for next year, starting from the proposal.
    let choice: RwSignal<BTreeMap<SchoolId, SchoolFlags>> = RwSignal::new(BTreeMap::new());
    Effect::new(move |_| {
        if let Some(v) = view.data.get() {
            choice.set(v.proposals.iter().map(|p| (p.school.id, p.proposed)).collect());
        }
    });
    let basis = RwSignal::new(String::new());
    let basis_date = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    let confirm = move |_| {
        let (Some(session), Some(v)) = (ctx.session.get_untracked(), view.data.get_untracked()) else { return };
        let decision = DecideMembership {
            municipality: municipality.as_deref().and_then(|m| m.parse().ok()).map(MunicipalityId),
            year: v.next_year.clone(),
            basis: basis.get_untracked(),
            basis_date: basis_date.get_untracked(),
            schools: choice.get_untracked().into_iter().collect(),
        };
        saving.set(true);
        scope.spawn(async move {
            match api::decide_membership(&session.token, &decision).await {
                Ok(saved) => {
                    // The confirmed list is shown at once, with its order, as the department wrote it.
                    message.set(Some(format!("Состав на {} утверждён.", saved.year)));
                    view.error.set(None);
                    shown.set(saved.year);
                }
                Err(failure) => {
                    ctx.note_failure(&failure);
                    view.error.set(Some(failure.message_ru()));
                }
            }
            saving.set(false);
        });
    };
    view! {
        <div class="card no-print" data-testid="membership">
            {move || view.data.get().map(|v| {
                let years = v.years.iter().map(|(y, n)| format!("{y}: {n}")).collect::<Vec<_>>().join(" · ");
                let mut pickable: Vec<String> =
                    v.years.iter().map(|(y, _)| y.clone()).chain([v.year.clone(), v.next_year.clone()]).collect();
                pickable.sort();
                pickable.dedup();
                view! {
                    <h2>{format!("Состав программы на {} учебный год", v.year)}</h2>
                    <p class="actions" data-testid="membership-years">
                        "Год: "
                        {pickable.into_iter().map(|y| {
                            let class = if y == v.year { "btn small primary" } else { "btn small" };
                            let pick = y.clone();
                            let open = move |_| {
                                message.set(None);
                                shown.set(pick.clone());
                            };
                            view! { <button class=class on:click=open>{y}</button> }
                        }).collect_view()}
                    </p>
                    <p class="muted">{if v.decided { "По приказам отдела.".to_owned() } else { "Решений за этот год нет: текущие отметки школ.".to_owned() }}</p>
                    <p>{if years.is_empty() { String::new() } else { format!("Школ в программе по годам: {years}") }}</p>
                    <div class="table-wrap"><table class="data stack-phone">
                        <thead><tr><th>"Школа"</th><th>"Группа"</th><th>"Основание"</th><th>"Изменение"</th></tr></thead>
                        <tbody>
                            {v.schools.iter().map(|r| view! {
                                <tr>
                                    <td>{r.school.name.clone()}</td>
                                    // Group names and dates whole: «ШФНС/У» or «29.08.202/5» on a phone misleads.
                                    <td class="nowrap" data-label="Группа">{groups_ru(&r.flags)}</td>
                                    <td data-label="Основание">{match (&r.basis, &r.basis_date) {
                                        (Some(b), Some(d)) => view! {
                                            {format!("{b} от ")}<span class="nowrap">{opora_domain::campaign::date_ru(d)}</span>
                                        }.into_any(),
                                        _ => "—".into_any(),
                                    }}</td>
                                    <td data-label="Изменение">{change_ru(r.change)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                    <h3>{format!("Предложение правил выявления на {}", v.next_year)}</h3>
                    <div class="table-wrap"><table class="data stack-phone" data-testid="proposals">
                        <thead><tr><th>"Школа"</th><th>"Сейчас"</th><th>"ШНОР"</th><th>"ШФНСУ"</th><th>"Предложение"</th></tr></thead>
                        <tbody>
                            {v.proposals.iter().map(|p| {
                                let id = p.school.id;
                                let flag = move |low: bool| move || choice.with(|c| c.get(&id).is_some_and(|f| if low { f.low_results } else { f.unfavourable_conditions }));
                                let set = move |low: bool, on: bool| choice.update(|c| {
                                    let f = c.entry(id).or_default();
                                    if low { f.low_results = on } else { f.unfavourable_conditions = on }
                                });
                                view! {
                                    <tr>
                                        <td>{p.school.name.clone()}</td>
                                        <td class="nowrap" data-label="Сейчас">{groups_ru(&p.now)}</td>
                                        <td data-label="ШНОР"><input type="checkbox" prop:checked=flag(true) on:change=move |ev| set(true, event_target_checked(&ev))/></td>
                                        <td data-label="ШФНСУ"><input type="checkbox" prop:checked=flag(false) on:change=move |ev| set(false, event_target_checked(&ev))/></td>
                                        <td data-label="Предложение">{match change_ru(p.change) {
                                            "" => groups_ru(&p.proposed).to_owned(),
                                            change => format!("{} ({change})", groups_ru(&p.proposed)),
                                        }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                    // The reasons in full, below the table: long texts would stretch a column.
                    <ul data-testid="proposal-reasons">
                        {v.proposals.iter().filter(|p| !p.reasons.is_empty()).map(|p| view! {
                            <li><strong>{p.school.name.clone()}</strong>": "{p.reasons.join("; ")}</li>
                        }).collect_view()}
                    </ul>
                    <div class="actions">
                        <label>"Основание: " <input type="text" name="membership-basis" placeholder="например, Приказ № …" prop:value=move || basis.get() on:input=move |ev| basis.set(event_target_value(&ev))/></label>
                        <label>" от " <input type="text" name="membership-date" placeholder="дд.мм.гггг" prop:value=move || basis_date.get() on:input=move |ev| basis_date.set(event_target_value(&ev))/></label>
                        <button class="btn" disabled=move || saving.get() || !ctx.online.get() on:click=confirm.clone()>{format!("Утвердить состав на {}", v.next_year)}</button>
                    </div>
                }
            })}
            {move || message.get().map(|m| view! { <p role="status" data-testid="membership-saved">{m}</p> })}
            {move || view.error.get().map(|e| view! { <p class="error-text">{e}</p> })}
        </div>
    }
}
