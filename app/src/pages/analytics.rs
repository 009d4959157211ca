//! The department's analytics: seed 004's indicator table, dynamics against targets,
//! identification with reasons, teachers' deficits and development topics. Every view is a
//! `domain::sheets` table, the same rows the exports hold; the last fetched copy opens offline,
//! dated, and its CSV is made on the device, so it can be exported offline too.

use super::{Freshness, cached_view};
use crate::api;
use crate::backup::save_file;
use crate::ctx::use_ctx;
use crate::fmt;
use crate::table::{Cell, DataTable, Row, Table};
use crate::task::Scope;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_query_map;
use opora_domain::UserId;
use opora_domain::api::{DepartmentAnalytics, SchoolGroup};
use opora_domain::org::Role;
use opora_domain::period::{self, Period};
use opora_domain::report::format_number;
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

fn table_of(sheet: &Sheet, index: usize, min_group: u32) -> Table {
    // A rare indicator has no mean or median by design, and a common one no rare-event figure:
    // those blanks say so instead of «нет данных».
    let rare_column = sheet.head.iter().position(|h| h == "Редкие значения");
    // The programme's coverage target is the municipality's, not each school's.
    let target_of_whole = sheet.name == "Охват самодиагностикой";
    // A heat map's area columns are numbered, each named in full in the legend under the table:
    // ten area names as headings would break inside their words to fit a desk or a sheet of A4.
    let head = sheet
        .head
        .iter()
        .enumerate()
        .map(|(column, h)| match sheet.heat_from {
            Some(from) if column >= from => (column - from + 1).to_string(),
            _ => h.clone(),
        })
        .collect();
    Table {
        head,
        rows: sheet
            .rows
            .iter()
            .map(|row| {
                let key = row.first().map(Value::display).unwrap_or_default();
                let rare = rare_column.and_then(|c| row.get(c)).is_some_and(|v| *v != Value::Empty);
                // A coverage note («Предмет не указан …»: a label and a count) has nothing more to say.
                let note = target_of_whole && row.iter().skip(2).all(|v| *v == Value::Empty);
                let cells = row
                    .iter()
                    .enumerate()
                    .map(|(column, v)| match v {
                        // A heat map of deficit shares: the darker, the more teachers need help.
                        Value::Share(share) if sheet.heat_from.is_some_and(|from| column >= from) => {
                            Cell::text(v.display()).class(HEAT_CLASSES[sheets::heat_level(*share)])
                        }
                        Value::Number(_) | Value::Share(_) => Cell::text(v.display()).class("num"),
                        Value::Text(t) if t == sheets::SUPPRESSED => Cell::text(fmt::small_group(min_group))
                            .class("suppressed")
                            .title("Показатель скрыт, чтобы не раскрывать ответы отдельных педагогов"),
                        Value::Text(t) if t == sheets::NOT_APPLICABLE => {
                            Cell::text(t.clone()).class("blank").title(fmt::NOT_APPLICABLE_TITLE)
                        }
                        Value::Text(t) if sheets::BLANK_WORDS.contains(&t.as_str()) => {
                            Cell::text(t.clone()).class("blank")
                        }
                        // Every blank says why it is blank.
                        Value::Empty if Some(column) == rare_column => Cell::text("не редкий").class("blank"),
                        Value::Empty if note => Cell::text(""),
                        Value::Empty if target_of_whole && column >= 4 => Cell::text("общая цель — в первой строке")
                            .class("blank")
                            .title("Цель программы задана для всех школ вместе, а не для каждой школы"),
                        Value::Empty if rare => Cell::text("редкое событие").class("blank"),
                        Value::Empty if column > 0 => Cell::text(fmt::NO_DATA).class("blank"),
                        _ => Cell::text(v.display()),
                    })
                    .collect();
                Row::new(format!("{index}:{key}"), cells)
            })
            .collect(),
        foot: None,
        testid: None,
    }
}

const HEAT_CLASSES: [&str; 4] = ["num heat-0", "num heat-1", "num heat-2", "num heat-3"];

#[component]
fn Views(user: UserId, chosen: Chosen) -> impl IntoView {
    let ctx = use_ctx();
    let scope = Scope::here();
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
        scope.spawn(async move {
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
        <div class="card desk">
            <h1 class="no-print">"Аналитика"</h1>
            // The printed справка's title block: what, where, for which period, on which date.
            {move || view.data.with(|d| d.as_ref().map(|d| {
                // The year shown and the year it is compared with; each section names its own period.
                let shown = d.card_period.as_ref().or(d.membership_year.as_ref());
                let period = match (shown, &d.compare_from) {
                    (Some(to), Some(from)) => match (Period::parse(to), Period::parse(from)) {
                        (Ok(Period::AcademicYear(_)), Ok(Period::AcademicYear(_))) => {
                            format!("{to} учебный год в сравнении с {from} учебным годом")
                        }
                        _ => format!("{} в сравнении с {}", period::ru(to), period::ru(from)),
                    },
                    (Some(to), None) => period::ru(to),
                    (None, _) => format!("{} год", d.completion.year),
                };
                view! {
                    <div class="doc-head print-only" data-testid="doc-head">
                        <p class="doc-kind">"Аналитическая справка"</p>
                        <p class="doc-scope">{d.scope.name.clone()}</p>
                        <p>{format!("Период: {period}; самодиагностика — {} год", d.completion.year)}</p>
                        <p>{format!("Дата: {}", fmt::date_long(d.generated_at_ms))}</p>
                    </div>
                }
            }))}
            {move || view.data.with(|d| d.as_ref().map(|d| view! {
                <p>{format!("{} · {}", d.scope.name, d.group.title_ru())}</p>
                <p data-testid="groups">{format!("Школы программы: {}", d.groups.formula_ru())}</p>
            }))}
            <p class="actions no-print">
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
                    <p class="actions no-print" data-testid="periods">
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
                // The view opened on an earlier year than the newest: say why, and that it can be picked.
                let why = d.newer_year.as_ref().map(|newer| view! {
                    <p class="muted" data-testid="year-why">
                        {format!("{}; {} можно выбрать выше.", newer.why_ru(&to), newer.period)}
                    </p>
                });
                view! {
                    <p class="actions" data-testid="years">
                        "Учебный год: "
                        {d.periods.clone().into_iter().map(|p| {
                            let class = if p == to { "btn small primary" } else { "btn small" };
                            view! { <A href=year_link(&p) attr:class=class>{p}</A> }
                        }).collect_view()}
                    </p>
                    {why}
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
                <button class="btn" on:click=move |_| { let _ = window().print(); }>"Печать справки / PDF (A4)"</button>
            </div>
        </div>
        {move || view.data.get().map(|d| view! { <Charts analytics=d/> })}
        {move || view.data.with(|d| d.as_ref().and_then(|d| d.membership_year.clone())).map(|year| {
            view! { <super::membership::Membership user municipality=membership_municipality.clone() year/> }
        })}
        {move || view.data.get().map(|d| {
            let name = d.scope.name.clone();
            sheets::all(&d).into_iter().enumerate().map(|(i, sheet)| {
                let table = table_of(&sheet, i, d.min_group);
                let csv = sheets::csv_ru(&sheet);
                let file = format!("Опора — {name} — {}.csv", sheet.name);
                let empty = sheet.rows.is_empty();
                // The dynamics read as a school × criterion matrix on screen; the sheet (a row per
                // school and criterion) stays what the exports hold.
                let matrix = (sheet.name == sheets::dynamics(&d).name && !empty).then(|| dynamics_matrix(&d));
                // The coverage sheet's card opens with the programme's headline and closes with its
                // targets by year (after the sheet's own table, which the tests and print read first).
                let legend = sheet.heat_from.filter(|_| !empty).map(|from| {
                    let names = sheet.head[from..].iter().map(|h| view! { <li>{h.clone()}</li> }).collect_view();
                    view! { <ol class="criteria-legend" data-testid="columns-legend">{names}</ol> }
                });
                let is_coverage = sheet.name == "Охват самодиагностикой";
                let coverage = is_coverage.then(|| view! { <CoverageHeadline analytics=d.clone()/> });
                let coverage_years = is_coverage.then(|| view! { <CoverageByYear analytics=d.clone()/> });
                view! {
                    <div class="card" data-view=i.to_string()>
                        <h2>{format!("{}. {}", i + 2, sheet.title)}</h2>
                        {coverage}
                        {if empty {
                            view! { <p class="muted">"Данных для этой таблицы пока нет."</p> }.into_any()
                        } else if let Some(matrix) = matrix {
                            matrix.into_any()
                        } else {
                            view! { <DataTable table/> }.into_any()
                        }}
                        {legend}
                        <div class="actions">
                            <button class="btn small" on:click=move |_| save_file(&file, "text/csv;charset=utf-8", csv.as_bytes())>"Скачать CSV"</button>
                        </div>
                        {coverage_years}
                    </div>
                }
            }).collect_view()
        })}
    }
}

/// Horizontal bars, 0–100 %, with an optional target line: HTML and CSS, no chart library. Each
/// bar's length is its share of the track (`data-value` holds the share, for the tests), the
/// target line stands at the target's place on the same track, and labels wrap instead of being
/// cut; on a phone each label takes its own line above its bar.
fn bar_chart(title: String, bars: Vec<(String, f64)>, target: Option<f64>) -> impl IntoView {
    // Set through the CSSOM (`style:`), which the page's CSP allows; a `style` attribute it refuses.
    let target_left = target.map(|t| format!("{:.2}%", t.clamp(0.0, 1.0) * 100.0));
    view! {
        <figure class="chart" data-testid="chart" data-target=target.map(|t| t.to_string())>
            <figcaption>{title}</figcaption>
            {target.map(|t| view! {
                <p class="chart-legend"><span class="chart-target-key"></span>{format!(" цель: {}", fmt::share(t))}</p>
            })}
            <ul class="chart-rows">
                {bars.into_iter().map(|(label, share)| {
                    let met = target.is_some_and(|t| share >= t);
                    let width = format!("{:.2}%", share.clamp(0.0, 1.0) * 100.0);
                    view! {
                        <li class="chart-row" data-value=share.to_string()>
                            <span class="chart-label">{label}</span>
                            <span class="chart-track">
                                <span class=if met { "chart-bar met" } else { "chart-bar" } style:width=width></span>
                                {target_left.clone().map(|left| view! { <span class="chart-target" style:left=left></span> })}
                            </span>
                            <span class="chart-value">{fmt::share(share)}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </figure>
    }
}

/// The programme's coverage (seed 002, Раздел IV): the headline for the year shown, teachers
/// with no subject named beside it, and the target checked for every year with a target or a
/// submission, «нет данных» where nothing had been received.
#[component]
fn CoverageHeadline(analytics: DepartmentAnalytics) -> impl IntoView {
    let c = &analytics.completion;
    let headline = format!(
        "Прошли самодиагностику к концу {} года: {} из {} учителей шести предметов (все педагоги: {} из {})",
        c.year,
        fmt::count(c.completed),
        fmt::count(c.teachers),
        fmt::count(c.all_completed),
        fmt::count(c.all_teachers)
    );
    let schools = match &c.membership_year {
        Some(year) => format!("Школы программы {year} ({}).", analytics.group.title_ru()),
        None => format!("Школы программы ({}).", analytics.group.title_ru()),
    };
    let unstated = c.unstated_ru().map(|note| {
        // The note starts the sentence here: «Предмет не указан у 1 учителя: …».
        let note = note.replacen("предмет", "Предмет", 1);
        view! { <p class="muted" data-testid="coverage-unstated">{format!("{note}: они не учтены среди учителей шести предметов.")}</p> }
    });
    // Two sources of a teacher's subject: say how many disagree and which one was counted.
    let differs = c.subject_differs_ru().map(|note| {
        view! { <p class="muted" data-testid="coverage-subject-differs">{format!("{}.", note.replacen('у', "У", 1))}</p> }
    });
    view! {
        <div data-testid="coverage">
            <p data-testid="coverage-headline"><strong>{headline}</strong></p>
            <p class="muted">{schools}" Год проверяется по составу программы учебного года, начавшегося в его сентябре."</p>
            {unstated}
            {differs}
        </div>
    }
}

/// The programme's coverage target checked for every year with a target or a submission.
#[component]
fn CoverageByYear(analytics: DepartmentAnalytics) -> impl IntoView {
    let rows = analytics
        .coverage_by_year
        .iter()
        .map(|y| {
            let coverage = match y.share() {
                // Free to wrap: a phone's four columns have no room for one unbroken line.
                Some(share) if !y.no_data => Cell::text(format!(
                    "{} ({} из {})",
                    fmt::share(share),
                    fmt::count(y.completed),
                    fmt::count(y.teachers)
                )),
                _ => Cell::text(fmt::NO_DATA).class("blank"),
            };
            let target = match y.target {
                Some(t) => {
                    Cell::text(format!("≥ {} %", t.percent)).class("num").title(format!("не менее {} %", t.percent))
                }
                None => Cell::text("не установлена").class("blank"),
            };
            let verdict = Cell::text(y.verdict_ru()).class(match y.meets_target() {
                Some(true) => "ok-text",
                Some(false) => "error-text",
                None => "blank",
            });
            let year = y.year.to_string();
            let label = match &y.membership_year {
                Some(m) => Cell::text(year.clone()).title(format!("Состав программы на {m} учебный год")),
                None => Cell::text(year.clone()),
            };
            Row::new(year, vec![label, coverage, target, verdict])
        })
        .collect();
    let table = Table {
        head: ["Год", "Охват", "Цель", "Достигнута"].map(str::to_owned).into(),
        rows,
        foot: None,
        testid: Some("coverage-by-year"),
    };
    view! {
        <div data-testid="coverage-years">
            <h3>"Цель программы по годам"</h3>
            <DataTable table/>
        </div>
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
            <h2>"1. Охват самодиагностикой и дефициты педагогов: графики"</h2>
            {bar_chart("Доля педагогов, прошедших самодиагностику".to_owned(), coverage, target)}
            {(!areas.is_empty()).then(|| bar_chart("Доля педагогов с дефицитом, по направлениям".to_owned(), areas, None))}
        </div>
    }
}

/// Dynamics as a matrix: a school per row, a criterion per column (numbered, named in full in the
/// legend), each cell the current value with its direction and target marks, each mark a symbol
/// as well as a colour. A deliberate scroll area: its first column and header stay in sight.
fn dynamics_matrix(a: &DepartmentAnalytics) -> impl IntoView + use<> {
    let mut criteria: Vec<(String, String)> = Vec::new();
    for school in &a.dynamics {
        for d in &school.rows {
            if !criteria.iter().any(|(c, _)| *c == d.criterion) {
                criteria.push((d.criterion.clone(), d.title.clone()));
            }
        }
    }
    let number =
        |title: &str, i: usize| title.split_once(". ").map_or_else(|| (i + 1).to_string(), |(n, _)| n.to_owned());
    let head = criteria
        .iter()
        .enumerate()
        .map(|(i, (_, title))| view! { <th scope="col" class="num" title=title.clone()>{number(title, i)}</th> })
        .collect_view();
    let rows = a
        .dynamics
        .iter()
        .map(|school| {
            // A school without a card for the year shown: one cell says so, no older figures.
            if school.no_report {
                let span = criteria.len().max(1).to_string();
                return view! {
                    <tr data-row=school.school.name.clone()>
                        <th scope="row">{school.school.name.clone()}</th>
                        <td class="blank" colspan=span>{fmt::NO_REPORT}</td>
                    </tr>
                }
                .into_any();
            }
            let cells = criteria
                .iter()
                .map(|(criterion, _)| match school.rows.iter().find(|d| &d.criterion == criterion) {
                    Some(d) if d.current.is_some() => {
                        let (arrow, direction) = match d.improved {
                            Some(true) => ("▲", "up"),
                            Some(false) => ("▼", "down"),
                            None if d.previous.is_some() => ("=", "same"),
                            None => ("", "none"),
                        };
                        let (mark, met) = match d.target_met {
                            Some(true) => ("✓", "met"),
                            Some(false) => ("✗", "missed"),
                            None => ("", "none"),
                        };
                        let value = d.current.map(|v| format_number((v * 10.0).round() / 10.0)).unwrap_or_default();
                        let title = format!(
                            "{}: было {}, стало {value}{}",
                            d.title,
                            match d.previous {
                                Some(v) => format_number((v * 10.0).round() / 10.0),
                                None if d.previous_not_applicable => sheets::NOT_APPLICABLE.to_owned(),
                                None => fmt::NO_DATA.to_owned(),
                            },
                            d.target.as_ref().map(|t| format!(", ожидалось «{t}»")).unwrap_or_default()
                        );
                        view! {
                            <td class=format!("num dyn dyn-{direction} target-{met}") title=title data-direction=direction data-target=met>
                                {value} " " <span class="dyn-arrow">{arrow}</span> <span class="dyn-mark">{mark}</span>
                            </td>
                        }
                        .into_any()
                    }
                    // The school wrote «–»: the criterion does not apply to it.
                    Some(d) if d.current_not_applicable => {
                        view! { <td class="blank" title=fmt::NOT_APPLICABLE_TITLE>{sheets::NOT_APPLICABLE}</td> }.into_any()
                    }
                    // The school sent its card, but not this criterion's figure.
                    _ => view! { <td class="blank">{fmt::NO_DATA}</td> }.into_any(),
                })
                .collect_view();
            view! { <tr data-row=school.school.name.clone()><th scope="row">{school.school.name.clone()}</th>{cells}</tr> }
                .into_any()
        })
        .collect_view();
    let legend = criteria
        .iter()
        .enumerate()
        .map(|(i, (_, title))| view! { <li value=number(title, i)>{title.split_once(". ").map_or(title.as_str(), |(_, t)| t).to_owned()}</li> })
        .collect_view();
    let compared = match (&a.compare_from, &a.card_period) {
        (Some(from), Some(to)) => format!("Текущее значение за {to}; направление — против {from}."),
        (None, Some(to)) => format!("Значения за {to}."),
        _ => String::new(),
    };
    view! {
        <p class="muted" data-testid="dynamics-periods">{compared}</p>
        <p class="legend">
            <span class="dyn-up">"▲ улучшение"</span>
            <span class="dyn-down">"▼ ухудшение"</span>
            <span>"= без изменений"</span>
            <span class="target-met">"✓ цель достигнута"</span>
            <span class="target-missed">"✗ цель не достигнута"</span>
        </p>
        <div class="table-wrap matrix">
            <table data-testid="dynamics-matrix">
                <thead><tr><th scope="col">"Школа"</th>{head}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <ol class="criteria-legend">{legend}</ol>
    }
}
