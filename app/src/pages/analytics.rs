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
        let (group, municipality) = query.with(|q| (q.get("group").unwrap_or_else(|| "all".into()), q.get("municipality")));
        match who.get() {
            None => view! { <Redirect path="/login"/> }.into_any(),
            Some((user, Role::Municipal | Role::Regional | Role::Admin)) => view! { <Views user group municipality/> }.into_any(),
            Some(_) => view! { <div class="card"><p>"Этот раздел — для отдела образования."</p></div> }.into_any(),
        }
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
                let cells = row
                    .iter()
                    .map(|v| {
                        let cell = Cell::text(v.display());
                        match v {
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
fn Views(user: UserId, group: String, municipality: Option<String>) -> impl IntoView {
    let ctx = use_ctx();
    let mut query = format!("group={group}");
    if let Some(m) = &municipality {
        query.push_str(&format!("&municipality={m}"));
    }
    let name = format!("analytics.{}", query.replace(['=', '&'], "."));
    let (view, refresh) = cached_view::<DepartmentAnalytics>(user, &name, format!("/api/department/analytics?{query}"));
    let generated = Signal::derive(move || view.data.with(|d| d.as_ref().map(|d| d.generated_at_ms)));
    let xlsx_path = StoredValue::new(format!("/api/department/analytics/export.xlsx?{query}"));
    let exporting = RwSignal::new(false);
    let export_xlsx = move |_| {
        let (Some(session), Some(name)) = (ctx.session.get_untracked(), view.data.with_untracked(|d| d.as_ref().map(|d| d.municipality.name.clone()))) else { return };
        exporting.set(true);
        spawn_local(async move {
            match api::get_bytes(&xlsx_path.get_value(), &session.token).await {
                Ok(bytes) => {
                    save_file(&format!("Опора — {name}.xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &bytes);
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
    let chosen = group.clone();
    let link = move |g: &str| match &municipality {
        Some(m) => format!("/department/analytics?group={g}&municipality={m}"),
        None => format!("/department/analytics?group={g}"),
    };
    view! {
        <p><A href="/department">"← Отдел образования"</A></p>
        <div class="card">
            <h1>"Аналитика"</h1>
            {move || view.data.with(|d| d.as_ref().map(|d| view! {
                <p>{format!("{} · {}", d.municipality.name, d.group.title_ru())}</p>
                <p data-testid="groups">{format!("Школы программы: {}", d.groups.formula_ru())}</p>
            }))}
            <p class="actions">
                {GROUPS.iter().map(|(key, g)| {
                    let class = if *key == chosen { "btn small primary" } else { "btn small" };
                    view! { <A href=link(key) attr:class=class>{g.title_ru()}</A> }
                }).collect_view()}
            </p>
            <Freshness generated_at=generated loading=view.loading error=view.error refresh/>
            <div class="actions">
                <button class="btn" disabled=move || exporting.get() || !ctx.online.get() on:click=export_xlsx>"Скачать XLSX (все таблицы)"</button>
            </div>
        </div>
        {move || view.data.get().map(|d| {
            let name = d.municipality.name.clone();
            sheets::all(&d).into_iter().enumerate().map(|(i, sheet)| {
                let table = table_of(&sheet, i);
                let csv = sheets::csv_ru(&sheet);
                let file = format!("Опора — {name} — {}.csv", sheet.name);
                let empty = sheet.rows.is_empty();
                view! {
                    <div class="card" data-view=i.to_string()>
                        <h2>{sheet.title.clone()}</h2>
                        {if empty {
                            view! { <p class="muted">"Школы ещё не прислали данных для этой таблицы."</p> }.into_any()
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
