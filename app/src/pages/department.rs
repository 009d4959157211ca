//! The department's view of teachers' self-diagnoses by school: aggregates only, small groups
//! suppressed by the server. The last fetched table is kept, dated, for offline use.

use super::{Freshness, cached_view};
use crate::api;
use crate::ctx::use_ctx;
use crate::fmt;
use crate::store;
use crate::table::{Cell, DataTable, Row, Table};
use crate::task::Scope;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::{use_navigate, use_query_map};
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
    move || {
        match who.get() {
        None => view! { <Redirect path="/login"/> }.into_any(),
        Some((_, Role::Teacher | Role::Principal)) => {
            view! { <div class="card"><p>"Этот раздел — для отдела образования."</p></div> }.into_any()
        }
        Some((user, Role::Municipal)) => view! {
            <div class="card desk"><div class="actions"><A href="/department/analytics" attr:class="btn primary">"Аналитика и выгрузки"</A></div></div>
            <Overview user municipality=None/>
            <super::campaigns::DepartmentCampaignList user/>
            <Privacy user/>
        }
        .into_any(),
        Some((user, Role::Regional | Role::Admin)) => match chosen() {
            Some(m) => view! {
                <p><A href="/department">"← Все муниципалитеты"</A></p>
                <div class="card desk"><div class="actions"><A href=format!("/department/analytics?municipality={m}") attr:class="btn primary">"Аналитика и выгрузки"</A></div></div>
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
        <div class="card desk">
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
    let navigate = use_navigate();
    let open = Callback::new(move |(_, municipality): (String, String)| {
        navigate(&format!("/department?municipality={municipality}"), Default::default());
    });
    view! {
        <div class="card desk">
            <h1>"Самодиагностика педагогов по муниципалитетам"</h1>
            <div class="actions"><A href="/department/analytics" attr:class="btn primary">"Аналитика по региону и выгрузки"</A></div>
            <Freshness generated_at=generated loading=view.loading error=view.error refresh/>
        </div>
        {move || view.data.get().map(|d| {
            let table = Table {
                head: summary_head("Муниципалитет", &d.areas),
                rows: d
                    .municipalities
                    .iter()
                    .map(|r| {
                        let name = Cell::text(r.municipality.name.clone()).button("Школы", "open", r.municipality.id.to_string());
                        summary_row(r.municipality.name.clone(), name, &r.summary, d.min_group)
                    })
                    .collect(),
                foot: Some(summary_row("total".to_owned(), Cell::text("Всего по региону"), &d.total, d.min_group)),
                testid: Some("region"),
            };
            view! {
                <p class="muted">{format!("Группы меньше {} педагогов не показываются.", d.min_group)}</p>
                <DataTable table on_action=open/>
                {areas_legend(&d.areas)}
            }
        })}
    }
}

/// The department decides whether principals see their teachers' individual results.
#[component]
fn Privacy(user: opora_domain::UserId) -> impl IntoView {
    let ctx = use_ctx();
    let scope = Scope::here();
    let (view, _) =
        cached_view::<opora_domain::api::PrivacySettings>(user, "privacy", "/api/department/privacy".to_owned());
    let saving = RwSignal::new(false);
    let toggle = move |allowed: bool| {
        let (Some(session), Some(mut settings)) = (ctx.session.get_untracked(), view.data.get_untracked()) else {
            return;
        };
        settings.principals_see_individual = allowed;
        saving.set(true);
        scope.spawn(async move {
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
    // No teachers, no share: «нет данных», never «0 %» or a dash to guess at.
    fmt::share_or(summary.completed_share(), fmt::NO_DATA)
}

/// An area's mean score, or why it is not shown.
pub fn stat_cell(stat: &AreaStat, min_group: u32) -> Cell {
    match stat {
        AreaStat::Suppressed => Cell::text(fmt::small_group(min_group)).class("suppressed").title(
            "Меньше минимального числа ответивших: показатель скрыт, чтобы не раскрывать ответы отдельных педагогов",
        ),
        AreaStat::Shown { mean_percent, deficit_share, .. } => {
            let class = if *mean_percent < 50.0 {
                "num cell-deficit"
            } else if *mean_percent >= 80.0 {
                "num cell-strength"
            } else {
                "num cell-growth"
            };
            Cell::text(fmt::percent(*mean_percent))
                .class(class)
                .title(format!("Дефицит у {} педагогов", fmt::share(*deficit_share)))
        }
    }
}

/// A group's row: name, teachers, completed, share, then one cell per area.
pub fn summary_row(key: String, name: Cell, summary: &GroupSummary, min_group: u32) -> Row {
    let mut cells = vec![
        name,
        Cell::text(fmt::count(summary.teachers)).class("num").testid("teachers"),
        Cell::text(fmt::count(summary.completed)).class("num").testid("completed"),
        Cell::text(share(summary)).class("num"),
    ];
    cells.extend(summary.areas.iter().map(|a| stat_cell(&a.stat, min_group)));
    Row::new(key, cells)
}

/// The areas' columns are numbered, each named in full in [`areas_legend`] under the table: ten
/// area names as headings would break inside their words to fit a desk.
pub fn summary_head(first: &str, areas: &[opora_domain::api::AreaTitle]) -> Vec<String> {
    let mut head: Vec<String> = [first, "Педагогов", "Прошли", "Доля"].map(str::to_owned).into();
    head.extend((1..=areas.len()).map(|n| n.to_string()));
    head
}

/// The names of the areas numbered in [`summary_head`]'s columns.
pub fn areas_legend(areas: &[opora_domain::api::AreaTitle]) -> impl IntoView + use<> {
    let names = areas.iter().map(|a| view! { <li>{a.title.clone()}</li> }).collect_view();
    view! { <ol class="criteria-legend" data-testid="columns-legend">{names}</ol> }
}

#[component]
fn OverviewTable(overview: SelfDiagnosisOverview) -> impl IntoView {
    let legend = areas_legend(&overview.areas);
    let table = Table {
        head: summary_head("Школа", &overview.areas),
        rows: overview
            .schools
            .iter()
            .map(|r| {
                summary_row(r.school.name.clone(), Cell::text(r.school.name.clone()), &r.summary, overview.min_group)
            })
            .collect(),
        foot: Some(summary_row(
            "total".to_owned(),
            Cell::text("Всего по муниципалитету"),
            &overview.total,
            overview.min_group,
        )),
        testid: Some("overview"),
    };
    view! {
        <p class="muted">
            {format!("Средний балл по области — в процентах от максимума. Группы меньше {} педагогов не показываются.", overview.min_group)}
        </p>
        <DataTable table/>
        {legend}
    }
}
