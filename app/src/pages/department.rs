//! The department's view of teachers' self-diagnoses by school: aggregates only, small groups
//! suppressed by the server. The last fetched table is kept, dated, for offline use.

use crate::api::{self, Failure};
use crate::ctx::use_ctx;
use crate::store;
use crate::util::{format_datetime, percent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Redirect;
use opora_domain::aggregate::{AreaStat, GroupSummary};
use opora_domain::api::SelfDiagnosisOverview;
use opora_domain::org::Role;

const VIEW: &str = "self-diagnosis-overview";

#[component]
pub fn Department() -> impl IntoView {
    let ctx = use_ctx();
    let who = ctx.who();
    move || match who.get() {
        None => view! { <Redirect path="/login"/> }.into_any(),
        Some((_, Role::Teacher | Role::Principal)) => {
            view! { <div class="card"><p>"Этот раздел — для отдела образования."</p></div> }.into_any()
        }
        Some((user, _)) => view! { <Overview user/> }.into_any(),
    }
}

#[component]
fn Overview(user: opora_domain::UserId) -> impl IntoView {
    let ctx = use_ctx();
    let data = RwSignal::new(store::view::<SelfDiagnosisOverview>(user, VIEW));
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let refresh = move || {
        let Some(session) = ctx.session.get_untracked() else { return };
        loading.set(true);
        spawn_local(async move {
            match api::self_diagnosis_overview(&session.token).await {
                Ok(overview) => {
                    ctx.report_write(store::put_view(user, VIEW, &overview));
                    data.set(Some(overview));
                    error.set(None);
                    ctx.reachable.set(true);
                }
                Err(failure) => {
                    if failure == Failure::Unreachable {
                        ctx.reachable.set(false);
                    }
                    if failure.needs_login() {
                        ctx.session_expired.set(true);
                    }
                    error.set(Some(failure.message_ru()));
                }
            }
            loading.set(false);
        });
    };
    if ctx.online.get_untracked() {
        refresh();
    }
    view! {
        <div class="card">
            <h1>"Самодиагностика педагогов"</h1>
            {move || data.with(|d| d.as_ref().map(|d| view! {
                <p>{d.municipality.name.clone()}</p>
                <p class="muted" data-testid="generated">{format!("Данные на {}", format_datetime(d.generated_at_ms))}</p>
            }))}
            {move || error.get().map(|e| view! { <p class="error-text">{e}</p> })}
            <div class="actions">
                <button class="btn small" disabled=move || loading.get() on:click=move |_| refresh()>
                    {move || if loading.get() { "Обновляем…" } else { "Обновить" }}
                </button>
            </div>
        </div>
        {move || data.get().map(|d| view! { <OverviewTable overview=d/> })}
    }
}

fn share(summary: &GroupSummary) -> String {
    summary.completed_share().map(|s| percent(s * 100.0)).unwrap_or_else(|| "—".to_owned())
}

fn stat_cell(stat: &AreaStat) -> AnyView {
    match stat {
        AreaStat::Suppressed => view! {
            <td class="suppressed" title="Меньше минимального числа ответивших: показатель скрыт, чтобы не раскрывать ответы отдельных педагогов">
                "недостаточно данных"
            </td>
        }
        .into_any(),
        AreaStat::Shown { mean_percent, deficit_share, .. } => {
            let class = if *mean_percent < 50.0 {
                "cell-deficit"
            } else if *mean_percent >= 80.0 {
                "cell-strength"
            } else {
                "cell-growth"
            };
            let title = format!("Дефицит у {} педагогов", percent(deficit_share * 100.0));
            view! { <td class=class title=title>{percent(*mean_percent)}</td> }.into_any()
        }
    }
}

#[component]
fn OverviewTable(overview: SelfDiagnosisOverview) -> impl IntoView {
    let headers = overview.areas.iter().map(|a| view! { <th scope="col">{a.title.clone()}</th> }).collect_view();
    let rows = overview
        .schools
        .iter()
        .map(|row| {
            let s = &row.summary;
            view! {
                <tr data-school=row.school.name.clone()>
                    <th scope="row">{row.school.name.clone()}</th>
                    <td data-testid="teachers">{s.teachers}</td>
                    <td data-testid="completed">{s.completed}</td>
                    <td>{share(s)}</td>
                    {s.areas.iter().map(|a| stat_cell(&a.stat)).collect_view()}
                </tr>
            }
        })
        .collect_view();
    let total = &overview.total;
    view! {
        <p class="muted">
            {format!("Средний балл по области — в процентах от максимума. Группы меньше {} педагогов не показываются.", overview.min_group)}
        </p>
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Школа"</th>
                        <th scope="col">"Педагогов"</th>
                        <th scope="col">"Прошли"</th>
                        <th scope="col">"Доля"</th>
                        {headers}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
                <tfoot>
                    <tr>
                        <td>"Всего по муниципалитету"</td>
                        <td>{total.teachers}</td>
                        <td data-testid="total-completed">{total.completed}</td>
                        <td>{share(total)}</td>
                        {total.areas.iter().map(|a| stat_cell(&a.stat)).collect_view()}
                    </tr>
                </tfoot>
            </table>
        </div>
    }
}
