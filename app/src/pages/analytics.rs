//! The department's analytics: seed 004's indicator table, dynamics against targets,
//! identification with reasons, teachers' deficits and development topics. Every view is a
//! `domain::sheets` table, the same rows the exports hold; the last fetched copy opens offline,
//! dated, and its CSV is made on the device, so it can be exported offline too.

use super::{Freshness, cached_view};
use crate::api;
use crate::backup::save_file;
use crate::ctx::use_ctx;
use crate::table::{Cell, DataTable, Row, Table};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_query_map;
use opora_domain::UserId;
use opora_domain::api::{DepartmentAnalytics, SchoolGroup};
use opora_domain::org::Role;
use opora_domain::sheets::{self, Sheet, Value};

const GROUPS: [(&str, SchoolGroup); 4] = [
    ("all", SchoolGroup::All),
    ("low_results", SchoolGroup::LowResults),
    ("unfavourable", SchoolGroup::Unfavourable),
    ("both", SchoolGroup::Both),
];

/// `/department/analytics`.
#[component]
pub fn Analytics() -> impl IntoView {
    let who = use_ctx().who();
    let query = use_query_map();
    move || {
        let chosen = query.with(|q| Chosen {
            group: q.get("group").unwrap_or_else(|| "all".into()),
            municipality: q.get("municipality"),
            period: q.get("period"),
            from: q.get("from"),
            to: q.get("to"),
        });
        match who.get() {
            None => view! { <Redirect path="/login"/> }.into_any(),
            Some((user, Role::Municipal | Role::Regional | Role::Admin)) => view! { <Views user chosen/> }.into_any(),
            Some(_) => view! { <div class="card"><p>"Этот раздел — для отдела образования."</p></div> }.into_any(),
        }
    }
}

/// What the department chose to see: the group, the municipality, the monitoring period and the
/// two academic years the dynamics compare (the latest with data and the one before when absent).
#[derive(Clone, Debug, Default, PartialEq)]
struct Chosen {
    group: String,
    municipality: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl Chosen {
    fn query(&self) -> String {
        let mut query = format!("group={}", self.group);
        for (name, value) in
            [("municipality", &self.municipality), ("period", &self.period), ("from", &self.from), ("to", &self.to)]
        {
            if let Some(v) = value {
                query.push_str(&format!("&{name}={v}"));
            }
        }
        query
    }

    fn href(&self) -> String {
        format!("/department/analytics?{}", self.query())
    }
}

fn table_of(sheet: &Sheet, index: usize) -> Table {
    Table {
        head: sheet.head.clone(),
        rows: sheet
            .rows
            .iter()
            .map(|row| {
                let key = row.first().map(Value::display).unwrap_or_default();
                let cells =
                    row.iter()
                        .enumerate()
                        .map(|(column, v)| {
                            let cell = Cell::text(v.display());
                            match v {
                                // A heat map of deficit shares: the darker, the more teachers need help.
                                Value::Number(share) if sheet.heat_from.is_some_and(|from| column >= from) => cell
                                    .class(match share {
                                        x if *x >= 0.5 => "num heat-3",
                                        x if *x >= 0.3 => "num heat-2",
                                        x if *x >= 0.15 => "num heat-1",
                                        _ => "num heat-0",
                                    }),
                                Value::Number(_) => cell.class("num"),
                                Value::Text(t) if t == sheets::SUPPRESSED => cell.class("suppressed"),
                                _ => cell,
                            }
                        })
                        .collect();
                Row::new(format!("{index}:{key}"), cells)
            })
            .collect(),
        foot: None,
        testid: None,
    }
}

#[component]
fn Views(user: UserId, chosen: Chosen) -> impl IntoView {
    let ctx = use_ctx();
    let query = chosen.query();
    let name = format!("analytics.{}", query.replace(['=', '&'], "."));
    let (view, refresh) = cached_view::<DepartmentAnalytics>(user, &name, format!("/api/department/analytics?{query}"));
    let generated = Signal::derive(move || view.data.with(|d| d.as_ref().map(|d| d.generated_at_ms)));
    let xlsx_path = StoredValue::new(format!("/api/department/analytics/export.xlsx?{query}"));
    let exporting = RwSignal::new(false);
    let export_xlsx = move |_| {
        let (Some(session), Some(name)) =
            (ctx.session.get_untracked(), view.data.with_untracked(|d| d.as_ref().map(|d| d.scope.name.clone())))
        else {
            return;
        };
        exporting.set(true);
        spawn_local(async move {
            match api::get_bytes(&xlsx_path.get_value(), &session.token).await {
                Ok(bytes) => {
                    save_file(
                        &format!("Опора — {name}.xlsx"),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        &bytes,
                    );
                    view.error.set(None);
                }
                Err(failure) => {
                    ctx.note_failure(&failure);
                    view.error.set(Some(failure.message_ru()));
                }
            }
            exporting.set(false);
        });
    };
    let group = chosen.group.clone();
    let link = {
        let chosen = chosen.clone();
        move |g: &str| Chosen { group: g.to_owned(), ..chosen.clone() }.href()
    };
    let period_link = {
        let chosen = chosen.clone();
        move |p: &str| Chosen { period: Some(p.to_owned()), ..chosen.clone() }.href()
    };
    // The year shown sets the membership every view uses; picking it compares it with the year before.
    let year_link = {
        let chosen = chosen.clone();
        move |p: &str| Chosen { to: Some(p.to_owned()), from: None, ..chosen.clone() }.href()
    };
    let from_link = {
        let chosen = chosen.clone();
        move |to: &str, from: &str| {
            Chosen { to: Some(to.to_owned()), from: Some(from.to_owned()), ..chosen.clone() }.href()
        }
    };
    let membership_municipality = chosen.municipality.clone();
    view! {
        <p><A href="/department">"← Отдел образования"</A></p>
        <div class="card">
            <h1>"Аналитика"</h1>
            {move || view.data.with(|d| d.as_ref().map(|d| view! {
                <p>{format!("{} · {}", d.scope.name, d.group.title_ru())}</p>
                <p data-testid="groups">{format!("Школы программы: {}", d.groups.formula_ru())}</p>
            }))}
            <p class="actions">
                {GROUPS.iter().map(|(key, g)| {
                    let class = if *key == group { "btn small primary" } else { "btn small" };
                    view! { <A href=link(key) attr:class=class>{g.title_ru()}</A> }
                }).collect_view()}
            </p>
            {move || view.data.with(|d| d.as_ref().filter(|d| d.monitoring_periods.len() > 1).map(|d| {
                let shown = d.monitoring_period.clone().unwrap_or_default();
                let periods = d.monitoring_periods.clone();
                let period_link = period_link.clone();
                view! {
                    <p class="actions" data-testid="periods">
                        "Период мониторинга: "
                        {periods.into_iter().map(|p| {
                            let class = if p == shown { "btn small primary" } else { "btn small" };
                            view! { <A href=period_link(&p) attr:class=class>{p}</A> }
                        }).collect_view()}
                    </p>
                }
            }))}
            {move || view.data.with(|d| d.as_ref().filter(|d| !d.periods.is_empty()).map(|d| {
                let to = d.card_period.clone().unwrap_or_default();
                let from = d.compare_from.clone().unwrap_or_default();
                let (year_link, from_link) = (year_link.clone(), from_link.clone());
                let earlier: Vec<String> = d.periods.iter().filter(|p| **p < to).cloned().collect();
                let membership = match (&d.membership_year, d.membership_decided) {
                    (Some(y), true) => format!("Состав программы — на {y} учебный год, по приказам отдела."),
                    (Some(y), false) => format!("Состав программы на {y}: решений за этот год нет, показаны текущие отметки школ."),
                    (None, _) => String::new(),
                };
                view! {
                    <p class="actions" data-testid="years">
                        "Учебный год: "
                        {d.periods.clone().into_iter().map(|p| {
                            let class = if p == to { "btn small primary" } else { "btn small" };
                            view! { <A href=year_link(&p) attr:class=class>{p}</A> }
                        }).collect_view()}
                    </p>
                    <p class="actions" data-testid="compare-with">
                        {format!("Динамика {to} — сравнить с: ")}
                        {earlier.into_iter().map(|p| {
                            let class = if p == from { "btn small primary" } else { "btn small" };
                            view! { <A href=from_link(&to, &p) attr:class=class>{p}</A> }
                        }).collect_view()}
                    </p>
                    <p data-testid="membership-year">{membership}</p>
                }
            }))}
            <Freshness generated_at=generated loading=view.loading error=view.error refresh/>
            <div class="actions">
                <button class="btn" disabled=move || exporting.get() || !ctx.online.get() on:click=export_xlsx>"Скачать XLSX (все таблицы)"</button>
                <button class="btn" on:click=move |_| { let _ = window().print(); }>"Печать справки / PDF"</button>
            </div>
        </div>
        {move || view.data.get().map(|d| view! { <Charts analytics=d/> })}
        {move || view.data.with(|d| d.as_ref().and_then(|d| d.membership_year.clone())).map(|year| {
            view! { <super::membership::Membership user municipality=membership_municipality.clone() year/> }
        })}
        {move || view.data.get().map(|d| {
            let name = d.scope.name.clone();
            sheets::all(&d).into_iter().enumerate().map(|(i, sheet)| {
                let table = table_of(&sheet, i);
                let csv = sheets::csv_ru(&sheet);
                let file = format!("Опора — {name} — {}.csv", sheet.name);
                let empty = sheet.rows.is_empty();
                view! {
                    <div class="card" data-view=i.to_string()>
                        <h2>{sheet.title.clone()}</h2>
                        {if empty {
                            view! { <p class="muted">"Данных для этой таблицы пока нет."</p> }.into_any()
                        } else {
                            view! { <DataTable table/> }.into_any()
                        }}
                        <div class="actions">
                            <button class="btn small" on:click=move |_| save_file(&file, "text/csv;charset=utf-8", csv.as_bytes())>"Скачать CSV"</button>
                        </div>
                    </div>
                }
            }).collect_view()
        })}
    }
}

/// Horizontal bars, 0–100 %, with an optional target line: light SVG, no chart library.
fn bar_chart(title: String, bars: Vec<(String, f64)>, target: Option<f64>) -> impl IntoView {
    const ROW: f64 = 22.0;
    const LABEL: f64 = 230.0;
    const WIDTH: f64 = 300.0;
    let height = ROW * bars.len() as f64 + 24.0;
    let x = move |share: f64| LABEL + WIDTH * share.clamp(0.0, 1.0);
    view! {
        <figure class="chart">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {} {height}", LABEL + WIDTH + 60.0) role="img" width="100%">
                {bars.into_iter().enumerate().map(|(i, (label, share))| {
                    let y = 4.0 + ROW * i as f64;
                    let short: String = label.chars().take(34).collect();
                    view! {
                        <text x=LABEL - 6.0 y=y + 14.0 text-anchor="end" font-size="12">{short}</text>
                        <rect x=LABEL y=y + 3.0 width=x(share) - LABEL height=ROW - 8.0 class="bar"></rect>
                        <text x=x(share) + 4.0 y=y + 14.0 font-size="12">{format!("{} %", (share * 100.0).round())}</text>
                    }
                }).collect_view()}
                {target.map(|t| view! {
                    <line x1=x(t) x2=x(t) y1="0" y2=height - 18.0 class="target"></line>
                    <text x=x(t) y=height - 4.0 text-anchor="middle" font-size="11">{format!("цель {} %", (t * 100.0).round())}</text>
                })}
            </svg>
        </figure>
    }
}

/// The charts of the analytical report: coverage by school against the target, and the share of
/// teachers with a deficit in each area over the schools shown (suppressed groups left out).
#[component]
fn Charts(analytics: DepartmentAnalytics) -> impl IntoView {
    use opora_domain::aggregate::AreaStat;
    let coverage: Vec<(String, f64)> =
        analytics.deficits.iter().filter_map(|r| Some((r.school.name.clone(), r.summary.completed_share()?))).collect();
    let target = analytics.completion.target.map(|t| f64::from(t.percent) / 100.0);
    let areas: Vec<(String, f64)> = analytics
        .areas
        .iter()
        .enumerate()
        .filter_map(|(i, area)| {
            let (mut weighted, mut people) = (0.0, 0.0);
            for row in &analytics.deficits {
                if let Some(AreaStat::Shown { respondents, deficit_share, .. }) =
                    row.summary.areas.get(i).map(|a| &a.stat)
                {
                    weighted += deficit_share * f64::from(*respondents);
                    people += f64::from(*respondents);
                }
            }
            (people > 0.0).then(|| (area.title.clone(), weighted / people))
        })
        .collect();
    view! {
        <div class="card charts" data-testid="charts">
            <h2>"Аналитическая справка: графики"</h2>
            {bar_chart("Доля педагогов, прошедших самодиагностику".to_owned(), coverage, target)}
            {(!areas.is_empty()).then(|| bar_chart("Доля педагогов с дефицитом, по направлениям".to_owned(), areas, None))}
        </div>
    }
}
