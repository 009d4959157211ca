//! The principal's school reports: the list, and one report filled section by section.
//!
//! What she types is written to this device's draft at once (nothing is lost to a reload or a
//! dead battery) and, when she leaves a field, queued for the server as a whole-report edit that
//! the server merges with edits from other devices. Each field is read with the shared crate's
//! rules as she types, and the reason for a value it cannot accept is shown beside it; the value
//! stays as typed. Sending to the department goes through a review of every problem.

use crate::ctx::use_ctx;
use crate::fmt;
use crate::store::{self, ReportDraft};
use crate::sync::sync_now;
use crate::util::now_ms;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::{use_navigate, use_params_map};
use opora_domain::period;
use opora_domain::report::{
    MAX_ROWS, ReportEdit, ReportField, ReportFieldKind, ReportForm, ReportKey, ReportSection, hold_back_unfit,
    read_field, read_report, row_key,
};
use opora_domain::report_layout::{Block, PREVIOUS_PERIOD_COLUMN, blocks, previous_period_beside};
use opora_domain::ru_input::Unit;
use opora_domain::{FormId, UserId};
use std::collections::BTreeMap;

/// `/reports`: the school's reports and a way to start one.
#[component]
pub fn Reports() -> impl IntoView {
    let ctx = use_ctx();
    let who = ctx.who();
    move || match who.get() {
        Some((user, opora_domain::org::Role::Principal)) => {
            view! { <super::campaigns::SchoolDue user/> <ReportList user/> }.into_any()
        }
        Some(_) => view! { <div class="card"><p>"Отчёты школы заполняет её руководитель."</p></div> }.into_any(),
        None => view! { <Redirect path="/login"/> }.into_any(),
    }
}

#[component]
fn ReportList(user: UserId) -> impl IntoView {
    let ctx = use_ctx();
    let navigate = use_navigate();
    let forms = Memo::new(move |_| {
        ctx.data_version.get();
        store::report_forms()
    });
    let reports = move || {
        ctx.data_version.get();
        let mut list = store::server_reports(user);
        list.sort_by(|a, b| (&a.key.form, &b.key.period).cmp(&(&b.key.form, &a.key.period)));
        list
    };
    let chosen_form = RwSignal::new(String::new());
    let period = RwSignal::new(String::new());
    let period_problem = RwSignal::new(None::<String>);
    let open = move |_| {
        let (form, typed) = (chosen_form.get_untracked(), period.get_untracked().trim().replace('/', "-"));
        if form.is_empty() || typed.is_empty() {
            return;
        }
        // The period is checked here as the server checks it: a period at all, of the form's kind.
        let kind = forms.with_untracked(|fs| fs.iter().find(|f| f.id.as_str() == form).and_then(|f| f.period_kind));
        let checked = match kind {
            Some(kind) => opora_domain::period::Period::parse_of_kind(&typed, kind).map(|p| p.to_string()),
            None => opora_domain::period::normalise(&typed),
        };
        match checked {
            Ok(period) => {
                period_problem.set(None);
                navigate(&format!("/reports/{form}/{period}"), Default::default());
            }
            Err(problem) => period_problem.set(Some(problem)),
        }
    };
    view! {
        <div class="card">
            <h1>"Отчёты школы"</h1>
            {move || {
                let list = reports();
                if list.is_empty() {
                    return view! { <p class="muted">"Отчётов пока нет."</p> }.into_any();
                }
                view! {
                    <ul class="plain" data-testid="reports">
                        {list.into_iter().map(|r| {
                            let title = forms.with(|fs| fs.iter().find(|f| f.id == r.key.form).map(|f| f.title.clone()))
                                .unwrap_or_else(|| r.key.form.to_string());
                            let (status, class) = report_state(r.submitted_revision, r.revision);
                            let href = format!("/reports/{}/{}", r.key.form, r.key.period);
                            let trouble = !store::report_trouble(user, &r.key).is_empty();
                            view! {
                                <li><A href=href>{format!("{title} — {}", period::ru(&r.key.period))}</A> " " <span class=class>{status}</span>
                                    {trouble.then(|| view! { " " <span class="badge error" data-testid="trouble-badge">"не всё отправлено — исправьте"</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </div>
        <div class="card">
            <h2>"Новый отчёт"</h2>
            <label class="field">"Форма"
                <select name="form" on:change=move |ev| chosen_form.set(event_target_value(&ev))>
                    <option value="">"— выберите —"</option>
                    {move || forms.get().into_iter().map(|f| view! { <option value=f.id.to_string()>{f.title}</option> }).collect_view()}
                </select>
            </label>
            <label class="field">"Период, например 2025-2026"
                <input type="text" name="period" prop:value=move || period.get() on:input=move |ev| period.set(event_target_value(&ev))/>
            </label>
            {move || period_problem.get().map(|p| view! { <p class="error-text" data-testid="period-problem">{p}</p> })}
            <div class="actions"><button class="btn primary" on:click=open>"Открыть"</button></div>
        </div>
    }
}

/// `/reports/:form/:period`.
#[component]
pub fn Report() -> impl IntoView {
    let ctx = use_ctx();
    let who = ctx.who();
    let params = use_params_map();
    move || {
        let Some((user, role)) = who.get() else { return view! { <Redirect path="/login"/> }.into_any() };
        let (form_id, period) =
            params.with(|p| (p.get("form").unwrap_or_default(), p.get("period").unwrap_or_default()));
        let school = ctx.session.with_untracked(|s| s.as_ref().and_then(|s| s.user.school.as_ref().map(|s| s.id)));
        let (Some(school), opora_domain::org::Role::Principal) = (school, role) else {
            return view! { <div class="card"><p>"Отчёты школы заполняет её руководитель."</p></div> }.into_any();
        };
        let key = ReportKey { school, form: FormId::from(form_id.as_str()), period };
        // The form may arrive with a sync after the page opened (a new device): a memo, so the
        // editor appears then and is not rebuilt by later syncs while she types.
        let form = {
            let key = key.clone();
            Memo::new(move |_| {
                ctx.data_version.get();
                match store::server_report(user, &key) {
                    Some(r) => store::report_form(&key.form, r.form_version),
                    None => store::report_forms().into_iter().find(|f| f.id == key.form),
                }
            })
        };
        (move || match form.get() {
            Some(form) => view! { <ReportEditor user key=key.clone() form/> }.into_any(),
            None => view! {
                <div class="card"><p>"Форма отчёта ещё не загружена на это устройство. Подключитесь к сети один раз."</p></div>
            }
            .into_any(),
        })
        .into_any()
    }
}

/// The draft to edit: this device's, or a new one on the server's copy.
fn current_draft(user: UserId, key: &ReportKey, form: &ReportForm) -> ReportDraft {
    store::report_draft(user, key).unwrap_or_else(|| {
        let server = store::server_report(user, key);
        // A new period starts from the latest earlier one's plan (its carried-over fields).
        let fields = match &server {
            Some(r) => r.fields.clone(),
            None => store::server_reports(user)
                .into_iter()
                .filter(|r| r.key.form == key.form && r.key.period < key.period)
                .max_by(|a, b| a.key.period.cmp(&b.key.period))
                .map(|previous| form.carried_over(&previous.fields))
                .unwrap_or_default(),
        };
        ReportDraft {
            key: key.clone(),
            form_version: server.as_ref().map_or(form.version, |r| r.form_version),
            base_revision: server.as_ref().map_or(0, |r| r.revision),
            base_fields: server.map(|r| r.fields).unwrap_or_default(),
            fields,
            updated_at_ms: now_ms(),
        }
    })
}

#[component]
fn ReportEditor(user: UserId, key: ReportKey, form: ReportForm) -> impl IntoView {
    let ctx = use_ctx();
    let key = StoredValue::new(key);
    let form = StoredValue::new(form);
    let draft = RwSignal::new(current_draft(user, &key.get_value(), &form.get_value()));
    // Sync brings the server's merged copy: take it into the draft unless she is typing.
    Effect::new(move |_| {
        ctx.data_version.get();
        let fresh = current_draft(user, &key.get_value(), &form.get_value());
        if draft.with_untracked(|d| d.base_revision != fresh.base_revision) {
            draft.set(fresh);
        }
    });
    let server = move || {
        ctx.data_version.get();
        store::server_report(user, &key.get_value())
    };
    let reviewing = RwSignal::new(false);
    // A sent report opens closed: changing it makes a new version, so she is asked first.
    let unlocked = RwSignal::new(false);
    let asking = RwSignal::new(false);
    let locked = move || {
        !unlocked.get()
            && !draft.with(|d| d.has_changes())
            && server().is_some_and(|r| r.submitted_revision == Some(r.revision))
    };
    let set_field = move |id: String, value: String| {
        draft.update(|d| {
            d.fields.insert(id, value);
            d.updated_at_ms = now_ms();
        });
        ctx.report_write(store::put_report_draft(user, &draft.get_untracked()));
    };
    let queue = move |submit: bool, confirmed: Vec<String>| {
        let d = draft.get_untracked();
        if !d.has_changes() && !submit && confirmed.is_empty() {
            return;
        }
        // A field that does not fit the form stays on this device as typed (shown with its
        // reason) and goes as the server had it: it never holds back the rest of the report.
        let (fields, _) = form.with_value(|f| hold_back_unfit(f, &d.fields, &d.base_fields));
        let edit = ReportEdit {
            key: d.key.clone(),
            form_version: d.form_version,
            base_revision: d.base_revision,
            fields,
            submit,
            at_ms: now_ms(),
            confirmed,
        };
        if ctx.report_write(store::enqueue_report(user, edit).map(|_| ())) {
            ctx.refresh();
            sync_now(ctx);
        }
    };
    // Last year's figures beside the criteria of a card that no longer asks for them (v3): the
    // school's own previous period's report, read-only.
    let beside = Memo::new(move |_| {
        ctx.data_version.get();
        let key = key.get_value();
        let stored: Vec<opora_domain::history::VersionedReport> = store::server_reports(user)
            .into_iter()
            .filter(|r| r.key.form == key.form && r.key.school == key.school)
            .map(|r| opora_domain::history::VersionedReport {
                school: r.key.school,
                period: r.key.period,
                form_version: r.form_version,
                fields: r.fields,
            })
            .collect();
        form.with_value(|f| previous_period_beside(f, &key.period, &stored))
    });
    let problems = move || draft.with(|d| read_report(&form.get_value(), &d.fields).1);
    let trouble = move || {
        ctx.data_version.get();
        draft.track();
        store::report_trouble(user, &key.get_value())
    };
    view! {
        <div class="card desk">
            <h1>{form.get_value().title}</h1>
            <p>{format!("Период: {}", period::ru(&key.get_value().period))}</p>
            {move || server().map(|r| {
                let (_, class) = report_state(r.submitted_revision, r.revision);
                let words = match r.submitted_revision {
                    Some(s) if s == r.revision => "отправлен в отдел образования",
                    Some(_) => "изменён после отправки — отправьте новую версию",
                    None => "черновик, в отдел образования не отправлен",
                };
                view! {
                    <p data-testid="report-status"><span class=class>{words}</span>
                        <span class="muted">{format!(" · версия {} от {}", r.revision, fmt::datetime(r.updated_at_ms))}</span></p>
                }
            })}
            {move || draft.with(|d| d.has_changes()).then(|| view! {
                <p class="saved" data-testid="local-changes">"Изменения сохранены на этом устройстве и будут отправлены на сервер."</p>
            })}
            <p><A href="/reports">"← Все отчёты"</A></p>
        </div>
        {move || Some(trouble()).filter(|t| !t.is_empty()).map(|t| view! { <ReportTroubleCard trouble=t form/> })}
        {move || server().map(|r| r.conflicts).filter(|c| !c.is_empty()).map(|conflicts| view! {
            <div class="card" data-testid="conflicts">
                <h2>"Поля, которые изменили на двух устройствах"</h2>
                {conflicts.into_iter().map(|c| {
                    let label = form.with_value(|f| f.label_of(&c.field));
                    let lost = c.lost.clone().unwrap_or_default();
                    let (field, confirm) = (c.field.clone(), c.field.clone());
                    view! {
                        <p>{format!("«{label}»: сохранено «{}», другое значение «{lost}».", c.kept.clone().unwrap_or_default())}
                            " " <button class="btn small" on:click=move |_| queue(false, vec![confirm.clone()])>"Оставить сохранённое"</button>
                            " " <button class="btn small" on:click=move |_| { set_field(field.clone(), lost.clone()); queue(false, Vec::new()); }>"Взять другое"</button>
                        </p>
                    }
                }).collect_view()}
                <p class="muted">"Выберите значение или исправьте поле — после сохранения отметка исчезнет."</p>
            </div>
        })}
        <Show when=move || reviewing.get()>
            <div class="card" data-testid="review">
                <h2>"Проверка перед отправкой"</h2>
                {move || {
                    let list = problems();
                    if list.is_empty() {
                        view! { <p class="ok-text">"Ошибок нет. Отчёт можно отправить в отдел образования."</p> }.into_any()
                    } else {
                        view! {
                            <p class="error-text">{format!("Исправьте: {}", list.len())}</p>
                            // Each problem named by its section and criterion, and linked to its field.
                            <ul class="problems">{list.into_iter().map(|p| {
                                let label = form.with_value(|f| problem_label(f, p.field.as_str()));
                                let href = format!("#{}", field_anchor(p.field.as_str()));
                                view! { <li><a href=href>{label}</a> ": " {p.message}</li> }
                            }).collect_view()}</ul>
                        }.into_any()
                    }
                }}
                <div class="actions">
                    <button class="btn" on:click=move |_| reviewing.set(false)>"Вернуться к заполнению"</button>
                    <button class="btn primary" disabled=move || !problems().is_empty()
                        on:click=move |_| { queue(true, Vec::new()); reviewing.set(false); unlocked.set(false); }>"Отправить в отдел образования"</button>
                </div>
            </div>
        </Show>
        {move || locked().then(|| view! {
            <div class="card sent-note" data-testid="sent-lock">
                <p><strong>"Отчёт отправлен в отдел образования."</strong>" Поля закрыты, чтобы случайная правка не изменила отправленное."</p>
                {move || if asking.get() {
                    view! {
                        <p class="warning-text">"Изменённый отчёт станет новой версией: отдел образования увидит её после повторной отправки, прежняя версия сохранится. Изменить?"</p>
                        <div class="actions">
                            <button class="btn primary" on:click=move |_| { unlocked.set(true); asking.set(false); }>"Да, изменить"</button>
                            <button class="btn" on:click=move |_| asking.set(false)>"Отмена"</button>
                        </div>
                    }.into_any()
                } else {
                    view! { <div class="actions"><button class="btn" on:click=move |_| asking.set(true)>"Изменить отчёт"</button></div> }.into_any()
                }}
            </div>
        })}
        <fieldset class="report-body" disabled=locked>
            {
                let sections = form.get_value().sections;
                let on_leave = Callback::new(move |()| queue(false, Vec::new()));
                blocks(&sections).into_iter().map(|block| match block {
                    Block::Table { range, columns } => {
                        let sections = sections[range].to_vec();
                        view! { <SectionsTable sections columns beside draft set_field on_leave/> }.into_any()
                    }
                    Block::Section(i) => {
                        let section = sections[i].clone();
                        if section.rows {
                            return view! { <TableSection section draft set_field on_leave/> }.into_any();
                        }
                        view! {
                            <div class="card" id=section_anchor(&section.id)>
                                <h2>{section.title}</h2>
                                {section.fields.into_iter().map(|field| {
                                    let key = field.id.to_string();
                                    view! { <FieldInput field key draft set_field on_leave/> }
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }
                }).collect_view()
            }
        </fieldset>
        <div class="card">
            <div class="actions">
                <button class="btn primary" on:click=move |_| {
                    reviewing.set(true);
                    // The review opens above the form: bring it into sight.
                    request_animation_frame(|| {
                        if let Ok(Some(review)) = document().query_selector("[data-testid=review]") {
                            review.scroll_into_view();
                        }
                    });
                }>"Проверить и отправить"</button>
            </div>
        </div>
    }
}

/// A report's state in words and the badge's colour: a draft, sent, or changed after sending.
fn report_state(submitted: Option<u32>, revision: u32) -> (&'static str, &'static str) {
    match submitted {
        Some(s) if s == revision => ("отправлен", "badge state-sent"),
        Some(_) => ("изменён после отправки", "badge state-changed"),
        None => ("черновик", "badge state-draft"),
    }
}

/// «1. Доля выпускников… — Текущий результат»: a field's label alone repeats in every section.
fn problem_label(form: &ReportForm, key: &str) -> String {
    match form.field_of_key(key) {
        Some((section, _)) => format!("{} — {}", section.title, form.label_of(key)),
        None => form.label_of(key),
    }
}

fn section_anchor(id: &str) -> String {
    format!("section-{id}")
}

/// Sections asking the same questions, as one table: a criterion per row, a question per column
/// (`columns`, the fields' labels). On a phone each row becomes a card of labelled fields. Where
/// `beside` has the previous period's value of a field, a read-only column after that field's
/// column shows it.
#[component]
fn SectionsTable(
    sections: Vec<ReportSection>,
    mut columns: Vec<String>,
    beside: Memo<BTreeMap<String, String>>,
    draft: RwSignal<ReportDraft>,
    set_field: impl Fn(String, String) + Copy + Send + Sync + 'static,
    on_leave: Callback<()>,
) -> impl IntoView {
    let shown_beside = beside.get_untracked();
    let beside_column = sections
        .iter()
        .flat_map(|s| &s.fields)
        .find(|f| shown_beside.contains_key(f.id.as_str()))
        .and_then(|f| columns.iter().position(|c| *c == f.label));
    if let Some(at) = beside_column {
        columns.insert(at + 1, PREVIOUS_PERIOD_COLUMN.to_owned());
    }
    let previous_column = move |c: &str| beside_column.is_some() && c == PREVIOUS_PERIOD_COLUMN;
    // A hint most criteria share is said once per column: under its heading on a desk, above the
    // cards on a phone, never in every cell. A criterion with a hint of its own keeps it there.
    let hints: Vec<Option<String>> = columns
        .iter()
        .map(|c| {
            if previous_column(c) {
                return Some("из отчёта школы за прошлый учебный год; здесь не вводится".to_owned());
            }
            let mut counts: Vec<(&String, usize)> = Vec::new();
            for hint in
                sections.iter().flat_map(|s| &s.fields).filter(|f| &f.label == c).filter_map(|f| f.hint.as_ref())
            {
                match counts.iter_mut().find(|(h, _)| *h == hint) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((hint, 1)),
                }
            }
            counts.iter().rev().max_by_key(|(_, n)| *n).map(|(h, _)| (*h).clone())
        })
        .collect();
    let head = columns
        .iter()
        .zip(&hints)
        .map(|(c, hint)| {
            view! { <th scope="col">{c.clone()}{hint.clone().map(|h| view! { <span class="hint">{h}</span> })}</th> }
        })
        .collect_view();
    let phone_hints = columns
        .iter()
        .zip(&hints)
        .filter_map(|(c, h)| h.clone().map(|h| view! { <p class="hint"><strong>{format!("{c}: ")}</strong>{h}</p> }))
        .collect_view();
    let rows = sections
        .into_iter()
        .map(|section| {
            let cells = columns
                .iter()
                .enumerate()
                .map(|(i, column)| {
                    if previous_column(column) {
                        let id =
                            section.fields.iter().map(|f| f.id.to_string()).find(|id| shown_beside.contains_key(id));
                        return match id {
                            Some(id) => {
                                let text = move || beside.with(|b| b.get(&id).cloned().unwrap_or_default());
                                view! {
                                    <td class="previous-period" data-testid="previous-period">
                                        <span class="previous-label">{format!("{PREVIOUS_PERIOD_COLUMN}: ")}</span>
                                        {text}
                                    </td>
                                }
                                .into_any()
                            }
                            None => view! { <td class="blank not-asked">"не требуется"</td> }.into_any(),
                        };
                    }
                    match section.fields.iter().find(|f| &f.label == column) {
                        Some(field) => {
                            let (mut field, key) = (field.clone(), field.id.to_string());
                            if field.hint.is_some() && field.hint == hints[i] {
                                field.hint = None;
                            }
                            view! { <td><FieldInput field key draft set_field on_leave/></td> }.into_any()
                        }
                        None => view! { <td class="blank not-asked">"не требуется"</td> }.into_any(),
                    }
                })
                .collect_view();
            view! {
                <tr id=section_anchor(&section.id)>
                    <th scope="row">{section.title}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card">
            <div class="grid-hints" data-testid="column-hints">{phone_hints}</div>
            <div class="form-grid-wrap">
                <table class="form-grid">
                    <thead><tr><th scope="col">"Критерий"</th>{head}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </div>
    }
}

/// A table section (a plan's measures): one group of fields per row, rows added at the end and
/// removed by clearing them.
#[component]
fn TableSection(
    section: ReportSection,
    draft: RwSignal<ReportDraft>,
    set_field: impl Fn(String, String) + Copy + Send + Sync + 'static,
    on_leave: Callback<()>,
) -> impl IntoView {
    let section = StoredValue::new(section);
    // Rows added here but not typed in yet: they have no stored cell to be found by.
    let added = RwSignal::new(Vec::<u32>::new());
    let rows = move || {
        let mut rows = draft.with(|d| section.with_value(|s| s.rows_in(&d.fields)));
        for r in added.get() {
            if !rows.contains(&r) {
                rows.push(r);
            }
        }
        rows.sort_unstable();
        rows
    };
    let add = move |_| {
        let next = rows().last().copied().unwrap_or(0) + 1;
        if next <= MAX_ROWS {
            added.update(|a| a.push(next));
        }
    };
    let remove = move |row: u32| {
        for f in section.with_value(|s| s.fields.clone()) {
            set_field(row_key(f.id.as_str(), row), String::new());
        }
        added.update(|a| a.retain(|r| *r != row));
        on_leave.run(());
    };
    view! {
        <div class="card">
            <h2>{section.with_value(|s| s.title.clone())}</h2>
            <For each=rows key=|row| *row let:row>
                <fieldset class="table-row" data-row=row.to_string()>
                    <legend>{format!("Строка {row}")}</legend>
                    {section.with_value(|s| s.fields.clone()).into_iter().map(|field| {
                        let key = row_key(field.id.as_str(), row);
                        view! { <FieldInput field key draft set_field on_leave/> }
                    }).collect_view()}
                    <button class="btn small" type="button" on:click=move |_| remove(row)>"Удалить строку"</button>
                </fieldset>
            </For>
            <div class="actions"><button class="btn" type="button" on:click=add>"Добавить строку"</button></div>
        </div>
    }
}

#[component]
fn FieldInput(
    field: ReportField,
    key: String,
    draft: RwSignal<ReportDraft>,
    set_field: impl Fn(String, String) + Copy + Send + Sync + 'static,
    on_leave: Callback<()>,
) -> impl IntoView {
    let id = key;
    let value = {
        let id = id.clone();
        move || draft.with(|d| d.fields.get(&id).cloned().unwrap_or_default())
    };
    let error = {
        let (field, value) = (field.clone(), value.clone());
        move || {
            let v = value();
            // An empty field is pointed out in the review, not while filling.
            if v.trim().is_empty() { None } else { read_field(&field, Some(&v)).err().map(|e| e.0) }
        }
    };
    let input = {
        let (id, value) = (id.clone(), value.clone());
        let name = id.clone();
        match &field.kind {
            ReportFieldKind::Text { .. } => view! {
                <textarea name=name rows="2" prop:value=value
                    on:input=move |ev| set_field(id.clone(), event_target_value(&ev))
                    on:change=move |_| on_leave.run(())></textarea>
            }
            .into_any(),
            _ => view! {
                <input type="text" name=name autocomplete="off" prop:value=value
                    on:input=move |ev| set_field(id.clone(), event_target_value(&ev))
                    on:change=move |_| on_leave.run(())/>
            }
            .into_any(),
        }
    };
    let counter = matches!(field.kind, ReportFieldKind::Text { .. }).then(|| {
        let max = field.max_chars();
        let value = value.clone();
        move || {
            let n = value().chars().count();
            view! {
                <span class={if n > max { "counter over" } else { "counter" }} data-testid="counter">
                    {format!("{n} из {max} знаков")}
                </span>
            }
        }
    });
    let unit = field.kind.unit().and_then(Unit::suffix_ru);
    view! {
        <label class="field" data-field=id.clone() id=field_anchor(&id)>
            <span class="field-label">
                {field.label.clone()}
                {field.optional.then(|| view! { <span class="optional">" (необязательно)"</span> })}
            </span>
            {field.hint.clone().map(|h| view! { <span class="hint">{h}</span> })}
            <span class="input-row">{input}{unit.map(|u| view! { <span class="unit">{u}</span> })}</span>
            {counter}
            {move || error().map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
        </label>
    }
}

/// The element id of a field's label, for links from the lists of problems (`#` would end the
/// link's fragment).
fn field_anchor(key: &str) -> String {
    format!("field-{}", key.replace('#', "-row-"))
}

/// What of this report has not reached the server, said where she works: which field, why, and
/// what to do; each field linked.
#[component]
fn ReportTroubleCard(trouble: store::ReportTrouble, form: StoredValue<ReportForm>) -> impl IntoView {
    let line = move |p: opora_domain::report::FieldProblem, what_to_do: &'static str| {
        // «9. Мероприятия … — Текущий результат»: a field's label alone repeats in every section.
        let label = form.with_value(|f| problem_label(f, p.field.as_str()));
        let href = format!("#{}", field_anchor(p.field.as_str()));
        view! { <li><a href=href>{label}</a> ": " {p.message} " " <span class="muted">{what_to_do}</span></li> }
    };
    view! {
        <div class="card trouble" role="alert" data-testid="report-trouble">
            <h2>"Не всё отправлено на сервер"</h2>
            <ul>
                {trouble.unfit_here.into_iter().map(|p| line(p, "Поле сохранено на этом устройстве и отправится, когда вы его исправите; остальные поля отправляются.")).collect_view()}
                {trouble.held_back.into_iter().map(|p| line(p, "Сервер оставил прежнее значение этого поля; остальные поля сохранены. Исправьте поле.")).collect_view()}
                {trouble.refused.into_iter().map(|e| view! {
                    <li>{format!("Сервер отклонил правку отчёта: {}", e.message)} {e.detail.map(|d| format!(" ({d})"))}
                        " " <span class="muted">"Введённое сохранено на этом устройстве. Исправьте отчёт — следующая правка отправится."</span></li>
                }).collect_view()}
            </ul>
        </div>
    }
}
