//! The department's view of teachers' self-diagnoses by school: aggregates only, small groups
//! suppressed by the server. The last fetched table is kept, dated, for offline use.

use super::{Freshness, cached_view};
use crate::api;
use crate::ctx::use_ctx;
use crate::store;
use crate::util::percent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_query_map;
use opora_domain::MunicipalityId;
use opora_domain::aggregate::{AreaStat, GroupSummary};
use opora_domain::api::SelfDiagnosisOverview;
use opora_domain::org::Role;

const VIEW: &str = "self-diagnosis-overview";

#[component]
pub fn Department() -> impl IntoView {
    let ctx = use_ctx();
    let who = ctx.who();
    let query = use_query_map();
    let chosen = move || query.with(|q| q.get("municipality").and_then(|m| m.parse::<MunicipalityId>().ok()));
    move || match who.get() {
        None => view! { <Redirect path="/login"/> }.into_any(),
        Some((_, Role::Teacher | Role::Principal)) => {
            view! { <div class="card"><p>"Этот раздел — для отдела образования."</p></div> }.into_any()
        }
        Some((user, Role::Municipal)) => view! { <Overview user municipality=None/> <Privacy user/> }.into_any(),
        Some((user, Role::Regional | Role::Admin)) => match chosen() {
            Some(m) => view! {
                <p><A href="/department">"← Все муниципалитеты"</A></p>
                <Overview user municipality=Some(m)/>
            }
            .into_any(),
            None if who.with(|w| matches!(w, Some((_, Role::Admin)))) => view! {
                <div class="card">
                    <h1>"Администратор"</h1>
                    <p>"Организации и учётные записи заводятся командой сервера «opora-server admin» (см. README)."</p>
                </div>
            }
            .into_any(),
            None => view! { <RegionOverview user/> }.into_any(),
        },
    }
}

#[component]
fn Overview(user: opora_domain::UserId, municipality: Option<MunicipalityId>) -> impl IntoView {
    let (name, path) = match municipality {
        Some(m) => (format!("{VIEW}.{m}"), format!("/api/department/self-diagnosis?municipality={m}")),
        None => (VIEW.to_owned(), "/api/department/self-diagnosis".to_owned()),
    };
    let (view, refresh) = cached_view::<SelfDiagnosisOverview>(user, &name, path);
    let generated = Signal::derive(move || view.data.with(|d| d.as_ref().map(|d| d.generated_at_ms)));
    view! {
        <div class="card">
            <h1>"Самодиагностика педагогов"</h1>
            {move || view.data.with(|d| d.as_ref().map(|d| view! { <p>{d.municipality.name.clone()}</p> }))}
            <Freshness generated_at=generated loading=view.loading error=view.error refresh/>
        </div>
        {move || view.data.get().map(|d| view! { <OverviewTable overview=d/> })}
    }
}

/// The regional view: a row per municipality, each leading to its schools.
#[component]
fn RegionOverview(user: opora_domain::UserId) -> impl IntoView {
    let (view, refresh) = cached_view::<opora_domain::api::RegionSelfDiagnosis>(
        user,
        "region-self-diagnosis",
        "/api/department/region/self-diagnosis".to_owned(),
    );
    let generated = Signal::derive(move || view.data.with(|d| d.as_ref().map(|d| d.generated_at_ms)));
    view! {
        <div class="card">
            <h1>"Самодиагностика педагогов по муниципалитетам"</h1>
            <Freshness generated_at=generated loading=view.loading error=view.error refresh/>
        </div>
        {move || view.data.get().map(|d| {
            let opora_domain::api::RegionSelfDiagnosis { areas, municipalities, total, min_group, .. } = d;
            let headers = areas.iter().map(|a| view! { <th scope="col">{a.title.clone()}</th> }).collect_view();
            let rows = municipalities.into_iter().map(|row| {
                let s = &row.summary;
                let href = format!("/department?municipality={}", row.municipality.id);
                let (name, label) = (row.municipality.name.clone(), row.municipality.name.clone());
                view! {
                    <tr data-municipality=name>
                        <th scope="row"><A href=href>{label}</A></th>
                        <td>{s.teachers}</td>
                        <td>{s.completed}</td>
                        <td>{share(s)}</td>
                        {s.areas.iter().map(|a| stat_cell(&a.stat)).collect_view()}
                    </tr>
                }
            }).collect_view();
            view! {
                <p class="muted">{format!("Группы меньше {} педагогов не показываются.", min_group)}</p>
                <div class="table-wrap"><table>
                    <thead><tr>
                        <th scope="col">"Муниципалитет"</th><th scope="col">"Педагогов"</th>
                        <th scope="col">"Прошли"</th><th scope="col">"Доля"</th>{headers}
                    </tr></thead>
                    <tbody>{rows}</tbody>
                    <tfoot><tr>
                        <td>"Всего по региону"</td><td>{total.teachers}</td><td>{total.completed}</td><td>{share(&total)}</td>
                        {total.areas.iter().map(|a| stat_cell(&a.stat)).collect_view()}
                    </tr></tfoot>
                </table></div>
            }
        })}
    }
}

/// The department decides whether principals see their teachers' individual results.
#[component]
fn Privacy(user: opora_domain::UserId) -> impl IntoView {
    let ctx = use_ctx();
    let (view, _) = cached_view::<opora_domain::api::PrivacySettings>(user, "privacy", "/api/department/privacy".to_owned());
    let saving = RwSignal::new(false);
    let toggle = move |allowed: bool| {
        let (Some(session), Some(mut settings)) = (ctx.session.get_untracked(), view.data.get_untracked()) else { return };
        settings.principals_see_individual = allowed;
        saving.set(true);
        spawn_local(async move {
            match api::set_privacy(&session.token, &settings).await {
                Ok(saved) => {
                    ctx.report_write(store::put_view(user, "privacy", &saved));
                    view.data.set(Some(saved));
                    view.error.set(None);
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
        <div class="card">
            <h2>"Доступ к результатам педагогов"</h2>
            {move || view.data.get().map(|p| view! {
                <label class="option">
                    <input type="checkbox" name="principals-see-individual" prop:checked=p.principals_see_individual
                        disabled=move || saving.get() || !ctx.online.get()
                        on:change=move |ev| toggle(event_target_checked(&ev))/>
                    "Руководители школ видят результаты отдельных педагогов своей школы"
                </label>
            })}
            <p class="muted">"Отдел образования всегда видит только сводные данные; ответы педагогов не видит никто, кроме них самих."</p>
            {move || view.error.get().map(|e| view! { <p class="error-text">{e}</p> })}
        </div>
    }
}

pub fn share(summary: &GroupSummary) -> String {
    summary.completed_share().map(|s| percent(s * 100.0)).unwrap_or_else(|| "—".to_owned())
}

pub fn stat_cell(stat: &AreaStat) -> AnyView {
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
