//! Reporting campaigns. The department opens a period for a form with a deadline and follows
//! which schools sent it, what they sent and every amendment; the principal sees what her school
//! owes, judged on her device from its own copy of the reports, so it is right offline too.
//! Every table goes through `DataTable`: one copy of the rendering code in the wasm.

use super::{Freshness, cached_view};
use crate::api;
use crate::ctx::use_ctx;
use crate::fmt;
use crate::store;
use crate::table::{Cell, DataTable, Row, Table};
use crate::task::Scope;
use crate::util::today;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::{use_navigate, use_params_map};
use opora_domain::UserId;
use opora_domain::api::{CampaignReports, DepartmentCampaigns, NewCampaign, ReportHistory, SchoolCampaigns};
use opora_domain::campaign::{ReportState, Standing, date_ru, standing};
use opora_domain::org::Role;
use opora_domain::period;
use opora_domain::report::{ReportKey, row_key};
use opora_domain::sync::Change;

fn standing_cell(s: Standing) -> Cell {
    let class = match s {
        Standing::Done => "state state-sent",
        Standing::Due => "state state-due",
        Standing::Overdue => "state state-overdue",
    };
    Cell::text(s.title_ru()).class(class).testid("standing")
}

/// The department's campaigns with their completeness, and the form that opens a new one.
#[component]
pub fn DepartmentCampaignList(user: UserId) -> impl IntoView {
    let ctx = use_ctx();
    let scope = Scope::here();
    let (view, refresh) = cached_view::<DepartmentCampaigns>(user, "campaigns", "/api/department/campaigns".to_owned());
    let generated = Signal::derive(move || view.data.with(|d| d.as_ref().map(|d| d.generated_at_ms)));
    let navigate = use_navigate();
    let on_action = Callback::new(move |(_, id): (String, String)| {
        navigate(&format!("/department/campaigns/{id}"), Default::default())
    });
    let (form, period, deadline) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let opening = RwSignal::new(false);
    let open = move |_| {
        let Some(session) = ctx.session.get_untracked() else { return };
        let req = NewCampaign {
            municipality: None,
            form: form.get_untracked().as_str().into(),
            period: period.get_untracked(),
            deadline: deadline.get_untracked(),
        };
        opening.set(true);
        scope.spawn(async move {
            match api::open_campaign(&session.token, &req).await {
                Ok(_) => {
                    view.error.set(None);
                    period.set(String::new());
                    refresh.run(());
                }
                Err(failure) => {
                    ctx.note_failure(&failure);
                    view.error.set(Some(failure.message_ru()));
                }
            }
            opening.set(false);
        });
    };
    view! {
        <div class="card">
            <h1>"Сбор отчётов школ"</h1>
            <Freshness generated_at=generated loading=view.loading error=view.error refresh/>
            {move || view.data.get().map(|d| {
                let today = d.today.clone();
                let table = Table {
                    head: ["Отчёт", "Период", "Срок", "Сдали", "Просрочено", ""].map(String::from).to_vec(),
                    rows: d.campaigns.iter().map(|c| {
                        let k = c.completeness;
                        let overdue = Cell::text(fmt::count(k.overdue)).class(if k.overdue > 0 { "num error-text" } else { "num" });
                        Row::new(format!("{} {}", c.campaign.form, c.campaign.period), vec![
                            Cell::text(c.campaign.form_title.clone()),
                            Cell::text(period::ru(&c.campaign.period)),
                            Cell::text(date_ru(&c.campaign.deadline)).class("nowrap"),
                            Cell::text(format!("{} из {}", k.submitted, k.expected)).testid("submitted"),
                            overdue.testid("overdue"),
                            Cell::text("").button("Открыть", "open", c.campaign.id.to_string()),
                        ])
                    }).collect(),
                    foot: None,
                    testid: Some("campaigns"),
                };
                let forms = d.forms.clone();
                view! {
                    <p class="muted">{format!("Сроки на {}", date_ru(&today))}</p>
                    <DataTable table on_action/>
                    <h2>"Открыть сбор"</h2>
                    <label class="field">"Форма"
                        <select name="campaign-form" on:change=move |ev| form.set(event_target_value(&ev))>
                            <option value="">"— выберите —"</option>
                            {forms.into_iter().map(|f| view! { <option value=f.id.to_string()>{f.title}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="field">"Период, например 2025-2026"
                        <input type="text" name="campaign-period" prop:value=move || period.get() on:input=move |ev| period.set(event_target_value(&ev))/>
                    </label>
                    <label class="field">"Срок сдачи"
                        <input type="date" name="campaign-deadline" on:input=move |ev| deadline.set(event_target_value(&ev))/>
                    </label>
                    <div class="actions">
                        <button class="btn primary" disabled=move || opening.get() || !ctx.online.get() on:click=open>"Открыть сбор"</button>
                    </div>
                }
            })}
        </div>
    }
}

fn department_only<V: IntoView + 'static>(page: impl Fn(UserId) -> V + Send + Sync + 'static) -> impl IntoView {
    let who = use_ctx().who();
    move || match who.get() {
        None => view! { <Redirect path="/login"/> }.into_any(),
        Some((user, Role::Municipal | Role::Regional | Role::Admin)) => page(user).into_any(),
        Some(_) => view! { <div class="card"><p>"Этот раздел — для отдела образования."</p></div> }.into_any(),
    }
}

/// `/department/campaigns/:id`: every school's report of one campaign.
#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    department_only(move |user| {
        let id = params.with(|p| p.get("id").unwrap_or_default());
        view! { <CampaignSchools user id/> }
    })
}

#[component]
fn CampaignSchools(user: UserId, id: String) -> impl IntoView {
    let (view, refresh) =
        cached_view::<CampaignReports>(user, &format!("campaign.{id}"), format!("/api/department/campaigns/{id}"));
    let generated = Signal::derive(move || view.data.with(|d| d.as_ref().map(|d| d.generated_at_ms)));
    let navigate = use_navigate();
    let on_action = Callback::new(move |(_, school): (String, String)| {
        navigate(&format!("/department/campaigns/{id}/{school}"), Default::default())
    });
    view! {
        <p><A href="/department">"← Отдел образования"</A></p>
        <div class="card desk">
            {move || view.data.with(|d| d.as_ref().map(|d| view! {
                <h1>{format!("{} — {}", d.campaign.form_title, period::ru(&d.campaign.period))}</h1>
                <p>{format!("Срок сдачи: {}", date_ru(&d.campaign.deadline))}</p>
            }))}
            <Freshness generated_at=generated loading=view.loading error=view.error refresh/>
        </div>
        {move || view.data.get().map(|d| {
            let table = Table {
                head: ["Школа", "Состояние", "Отчёт", "Отправлен", "Отправок", ""].map(String::from).to_vec(),
                rows: d.schools.iter().map(|r| {
                    let sent = r.sent.as_ref().map(|s| format!("{}, {}", fmt::datetime(s.at_ms), s.by)).unwrap_or_else(|| fmt::NO_REPORT.to_owned());
                    let open = if r.sent.is_some() { Cell::text("").button("Смотреть", "open", r.school.id.to_string()) } else { Cell::text("") };
                    Row::new(r.school.name.clone(), vec![
                        Cell::text(r.school.name.clone()),
                        standing_cell(r.standing),
                        Cell::text(r.state.title_ru()),
                        Cell::text(sent),
                        Cell::text(fmt::count(r.sent_count)).class("num"),
                        open,
                    ])
                }).collect(),
                foot: None,
                testid: Some("campaign-schools"),
            };
            view! { <DataTable table on_action/> }
        })}
    }
}

/// `/department/campaigns/:id/:school`: what one school sent, every sent revision side by side,
/// changed values marked.
#[component]
pub fn SentReportPage() -> impl IntoView {
    let params = use_params_map();
    department_only(move |user| {
        let (id, school) = params.with(|p| (p.get("id").unwrap_or_default(), p.get("school").unwrap_or_default()));
        view! { <SentReport user id school/> }
    })
}

#[component]
fn SentReport(user: UserId, id: String, school: String) -> impl IntoView {
    let back = format!("/department/campaigns/{id}");
    let (view, refresh) = cached_view::<ReportHistory>(
        user,
        &format!("history.{id}.{school}"),
        format!("/api/department/campaigns/{id}/schools/{school}"),
    );
    let generated =
        Signal::derive(move || view.data.with(|d| d.as_ref().and_then(|d| d.revisions.last().map(|r| r.at_ms))));
    view! {
        <p><A href=back>"← Все школы"</A></p>
        <div class="card desk">
            {move || view.data.with(|d| d.as_ref().map(|d| view! {
                <h1>{d.school.name.clone()}</h1>
                <p>{format!("{} — {}", d.campaign.form_title, period::ru(&d.campaign.period))}</p>
            }))}
            <Freshness generated_at=generated loading=view.loading error=view.error refresh/>
        </div>
        {move || view.data.get().map(|d| {
            let mut head = vec!["Показатель".to_owned()];
            head.extend(d.revisions.iter().map(|r| format!("Отправка {}", fmt::datetime(r.at_ms))));
            let mut rows = Vec::new();
            for section in &d.form.sections {
                rows.push(Row::new(section.id.clone(), vec![Cell::text(section.title.clone()).class("section-row")]));
                // A table section's rows, as any sent revision has them.
                let keys: Vec<(String, String)> = if section.rows {
                    let mut numbers: Vec<u32> = d.revisions.iter().flat_map(|r| section.rows_in(&r.fields)).collect();
                    numbers.sort_unstable();
                    numbers.dedup();
                    numbers
                        .into_iter()
                        .flat_map(|n| section.fields.iter().map(move |f| (row_key(f.id.as_str(), n), format!("{n}. {}", f.label))))
                        .collect()
                } else {
                    section.fields.iter().map(|f| (f.id.to_string(), f.label.clone())).collect()
                };
                for (key, label) in keys {
                    let mut cells = vec![Cell::text(label)];
                    let mut previous: Option<&str> = None;
                    for (i, r) in d.revisions.iter().enumerate() {
                        let value = r.fields.get(&key).map_or("", String::as_str);
                        let changed = i > 0 && previous != Some(value);
                        let cell = if value.trim().is_empty() {
                            Cell::text("не заполнено").class(if changed { "changed blank" } else { "blank" })
                        } else {
                            Cell::text(value).class(if changed { "changed" } else { "" })
                        };
                        cells.push(cell);
                        previous = Some(value);
                    }
                    rows.push(Row::new(key, cells));
                }
            }
            let table = Table { head, rows, foot: None, testid: Some("sent-report") };
            view! {
                <div class="card">
                    <p class="muted">"Последняя отправка — справа; изменённые при повторной отправке значения выделены."</p>
                    <DataTable table/>
                </div>
            }
        })}
    }
}

/// The principal's view of what her school owes, on her reports page.
#[component]
pub fn SchoolDue(user: UserId) -> impl IntoView {
    let ctx = use_ctx();
    let (view, refresh) = cached_view::<SchoolCampaigns>(user, "school-campaigns", "/api/school/campaigns".to_owned());
    let generated = Signal::derive(move || view.data.with(|d| d.as_ref().map(|d| d.generated_at_ms)));
    let navigate = use_navigate();
    let on_action = Callback::new(move |(_, href): (String, String)| navigate(&href, Default::default()));
    let school = ctx.session.with_untracked(|s| s.as_ref().and_then(|s| s.user.school.as_ref().map(|s| s.id)));
    view! {
        <div class="card">
            <h2>"Что нужно сдать"</h2>
            {move || {
                ctx.data_version.get();
                let (Some(d), Some(school)) = (view.data.get(), school) else { return None };
                if d.campaigns.is_empty() {
                    return Some(view! { <p class="muted">"Отдел образования пока не открыл сбор отчётов."</p> }.into_any());
                }
                let today = today();
                let queued = store::outbox(user);
                let table = Table {
                    head: ["Отчёт", "Период", "Срок", "Состояние", ""].map(String::from).to_vec(),
                    rows: d.campaigns.iter().map(|c| {
                        let key = ReportKey { school, form: c.form.clone(), period: c.period.clone() };
                        let mut state = ReportState::of(store::server_report(user, &key).as_ref());
                        // Sent from this device and waiting for the network: done as far as she is concerned.
                        let waiting = queued.entries.values().any(|ch| matches!(ch, Change::SaveReport { edit, .. } if edit.key == key && edit.submit));
                        if waiting && !state.is_sent() {
                            state = ReportState::Submitted;
                        }
                        let standing = standing(&c.deadline, &today, state);
                        let mut status = standing_cell(standing);
                        if waiting {
                            status.text.push_str(" (ждёт связи)");
                        }
                        Row::new(format!("{} {}", c.form, c.period), vec![
                            Cell::text(c.form_title.clone()),
                            Cell::text(period::ru(&c.period)),
                            Cell::text(date_ru(&c.deadline)).class("nowrap"),
                            status,
                            // What makes sense now: a sent report is looked at (and changed only
                            // deliberately), one not yet started is begun, a draft continued.
                            Cell::text("").button(
                                match (standing, state) {
                                    (Standing::Done, _) => "Открыть",
                                    (_, ReportState::NotStarted) => "Начать",
                                    _ => "Продолжить",
                                },
                                "open",
                                format!("/reports/{}/{}", c.form, c.period),
                            ),
                        ])
                    }).collect(),
                    foot: None,
                    testid: Some("due"),
                };
                Some(view! { <DataTable table on_action/> }.into_any())
            }}
            <Freshness generated_at=generated loading=view.loading error=view.error refresh/>
        </div>
    }
}
