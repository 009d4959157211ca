//! Filling in the self-diagnosis: the subject first, then one competency area per screen, then a
//! review. Generic over the form definition: nothing here knows the instrument's items.
//!
//! Every answer is written to browser storage the moment it is chosen, so closing the tab,
//! reloading or a dead battery loses nothing; the teacher continues on the screen she left.

use super::SELF_DIAGNOSIS;
use crate::ctx::{Ctx, use_ctx};
use crate::store::{self, DraftRecord, LocalSubmission};
use crate::sync::sync_now;
use crate::util::{new_uuid, now_ms};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_navigate;
use opora_domain::diagnosis::{Draft, Submission, answers_for_submission, check_submission, unanswered_required};
use opora_domain::form::{Field, FormDefinition};
use opora_domain::sync::Change;
use opora_domain::{FormId, SubjectCode, SubmissionId, UserId};

#[component]
pub fn Diagnosis() -> impl IntoView {
    let ctx = use_ctx();
    let who = ctx.who();
    let user = Memo::new(move |_| who.get().map(|(id, _)| id));
    // A memo, so a sync that stores the same form again does not rebuild the page under the
    // teacher's fingers.
    let form = Memo::new(move |_| {
        ctx.data_version.get();
        store::latest_form(&FormId::from(SELF_DIAGNOSIS))
    });
    move || {
        match (user.get(), form.get()) {
        (None, _) => view! { <Redirect path="/login"/> }.into_any(),
        (Some(_), None) => view! {
            <div class="card">
                <h1>"Самодиагностика"</h1>
                {move || if ctx.online.get() {
                    "Загружаем анкету…"
                } else {
                    "Анкета ещё не загружена на это устройство. Подключитесь к сети один раз — дальше можно работать без неё."
                }}
            </div>
        }
        .into_any(),
        (Some(user), Some(form)) => view! { <Questionnaire form user/> }.into_any(),
    }
    }
}

/// Whether a submission with this id is already stored or queued on this device.
fn already_submitted(user: UserId, id: SubmissionId) -> bool {
    store::submission(user, id).is_some()
        || store::outbox(user)
            .entries
            .values()
            .any(|c| matches!(c, Change::SubmitSelfDiagnosis { submission } if submission.id == id))
}

/// The draft to continue, or a fresh one. A draft whose submission id was already submitted is a
/// leftover of a crash right after submitting, and is discarded.
fn load_draft(user: UserId, form: &FormDefinition) -> DraftRecord {
    match store::draft(user, &form.id) {
        Some(mut record) if !already_submitted(user, record.submission_id) => {
            // A draft from an older form version keeps its answers: those still in the form
            // count, the rest are ignored, never deleted.
            record.draft.form_version = form.version;
            record
        }
        _ => DraftRecord {
            submission_id: SubmissionId(new_uuid()),
            draft: Draft { form_version: form.version, started_at_ms: now_ms(), ..Draft::default() },
        },
    }
}

#[component]
fn Questionnaire(form: FormDefinition, user: UserId) -> impl IntoView {
    let ctx = use_ctx();
    let form = StoredValue::new(form);
    let draft = RwSignal::new(form.with_value(|f| load_draft(user, f)));
    let saved_at = RwSignal::new(None::<i64>);
    let sections = form.with_value(|f| f.sections.len());
    // Steps: 0 the subject, 1..=n the areas, n + 1 the review.
    let step = move || draft.with(|d| d.draft.section.min(sections + 1));
    let edit = move |change: &dyn Fn(&mut Draft)| {
        draft.update(|d| {
            change(&mut d.draft);
            d.draft.updated_at_ms = now_ms();
        });
        let record = draft.get_untracked();
        if ctx.report_write(form.with_value(|f| store::put_draft(user, &f.id, &record))) {
            saved_at.set(Some(now_ms()));
            ctx.unsaved.set(None);
        } else {
            // Storage is full: the answers stay on screen and in the download offered.
            saved_at.set(None);
            ctx.unsaved.set(serde_json::to_value(&record).ok());
        }
    };
    let go = move |to: usize| {
        edit(&|d| d.section = to);
        window().scroll_to_with_x_and_y(0.0, 0.0);
    };
    view! {
        <div class="card">
            <h1>{form.with_value(|f| f.title.clone())}</h1>
            {move || match step() {
                0 => view! { <SubjectStep form draft edit go/> }.into_any(),
                s if s <= sections => view! { <SectionStep form draft index=s - 1 edit go/> }.into_any(),
                _ => view! { <ReviewStep form draft user ctx go/> }.into_any(),
            }}
            <p class="saved" aria-live="polite">
                {move || saved_at.get().map(|_| "✓ Ответы сохранены на этом устройстве")}
            </p>
            <Show when=move || ctx.unsaved.with(Option::is_some)>
                <p class="error-text" role="alert">"Последние ответы не сохранены: память браузера заполнена."</p>
            </Show>
        </div>
    }
}

#[component]
fn SubjectStep(
    form: StoredValue<FormDefinition>,
    draft: RwSignal<DraftRecord>,
    edit: impl Fn(&dyn Fn(&mut Draft)) + Copy + 'static,
    go: impl Fn(usize) + Copy + 'static,
) -> impl IntoView {
    let description = form.with_value(|f| f.description.clone());
    let (label, options) =
        form.with_value(|f| f.variant.as_ref().map(|v| (v.label.clone(), v.options.clone())).unwrap_or_default());
    let chosen = move || draft.with(|d| d.draft.subject.clone());
    view! {
        <p>{description}</p>
        <fieldset class="options subjects" role="radiogroup">
            <legend class="item-text">{label}</legend>
            {options.into_iter().map(|o| {
                let code = o.code.clone();
                let is_chosen = {
                    let code = code.clone();
                    move || chosen().as_ref() == Some(&code)
                };
                let highlighted = is_chosen.clone();
                view! {
                    <label class="option" class:chosen=highlighted>
                        <input type="radio" name="subject" prop:checked=is_chosen
                            on:change=move |_| {
                                let code = code.clone();
                                edit(&move |d| d.subject = Some(code.clone()));
                            }/>
                        {o.title}
                    </label>
                }
            }).collect_view()}
        </fieldset>
        <div class="actions">
            <button class="btn primary grow" disabled=move || chosen().is_none() on:click=move |_| go(1)>
                "Начать"
            </button>
        </div>
    }
}

#[component]
fn SectionStep(
    form: StoredValue<FormDefinition>,
    draft: RwSignal<DraftRecord>,
    index: usize,
    edit: impl Fn(&dyn Fn(&mut Draft)) + Copy + 'static,
    go: impl Fn(usize) + Copy + 'static,
) -> impl IntoView {
    let subject: Option<SubjectCode> = draft.with_untracked(|d| d.draft.subject.clone());
    let (title, description, fields, count) = form.with_value(|f| {
        let s = &f.sections[index];
        let fields: Vec<Field> =
            s.fields.iter().filter(|field| opora_domain::form::applies(field, subject.as_ref())).cloned().collect();
        (s.title.clone(), s.description.clone(), fields, f.sections.len())
    });
    let total_required =
        form.with_value(|f| f.applicable_fields(subject.as_ref()).filter(|(_, f)| !f.optional).count());
    let answered = {
        let subject = subject.clone();
        move || {
            let missing =
                form.with_value(|f| draft.with(|d| unanswered_required(f, subject.as_ref(), &d.draft.answers).len()));
            total_required - missing
        }
    };
    let progress = {
        let answered = answered.clone();
        move || format!("{:.1}", answered() as f64 * 100.0 / total_required.max(1) as f64)
    };
    view! {
        <p class="muted">{format!("Раздел {} из {}", index + 1, count)}</p>
        <h2>{title}</h2>
        <p class="muted">{description}</p>
        <svg class="progress" viewBox="0 0 100 4" preserveAspectRatio="none" role="img" aria-label="Прогресс">
            <rect x="0" y="0" height="4" width=progress/>
        </svg>
        <p class="muted" data-testid="answered">
            {move || format!("Отвечено {} из {} обязательных вопросов", answered(), total_required)}
        </p>
        {fields.into_iter().enumerate().map(|(n, field)| view! { <Question form draft field number=n + 1 edit/> }).collect_view()}
        <div class="actions">
            <button class="btn" on:click=move |_| go(index)>"Назад"</button>
            <button class="btn primary grow" on:click=move |_| go(index + 2)>
                {if index + 1 == count { "К проверке ответов" } else { "Далее" }}
            </button>
        </div>
    }
}

#[component]
fn Question(
    form: StoredValue<FormDefinition>,
    draft: RwSignal<DraftRecord>,
    field: Field,
    number: usize,
    edit: impl Fn(&dyn Fn(&mut Draft)) + Copy + 'static,
) -> impl IntoView {
    let scale = form.with_value(|f| f.scale_of(&field).to_vec());
    let id = field.id.clone();
    let value = {
        let id = id.clone();
        move || draft.with(|d| d.draft.answers.get(&id).copied())
    };
    let group = format!("q-{}", field.id);
    view! {
        <div class="item">
            <div class="item-text" id=format!("{group}-text")>
                {format!("{number}. {}", field.text)}
                {field.optional.then_some(" (можно пропустить)")}
            </div>
            {field.hint.clone().map(|h| view! { <div class="hint">{h}</div> })}
            <div class="options" role="radiogroup" aria-labelledby=format!("{group}-text")>
                {scale.into_iter().map(|option| {
                    let id = id.clone();
                    let value = value.clone();
                    let chosen = move || value() == Some(option.value);
                    let highlighted = chosen.clone();
                    view! {
                        <label class="option" class:chosen=highlighted>
                            <input type="radio" name=group.clone() prop:checked=chosen
                                on:change=move |_| {
                                    let id = id.clone();
                                    edit(&move |d| { d.answers.insert(id.clone(), option.value); });
                                }/>
                            {option.label}
                        </label>
                    }
                }).collect_view()}
            </div>
        </div>
    }
}

#[component]
fn ReviewStep(
    form: StoredValue<FormDefinition>,
    draft: RwSignal<DraftRecord>,
    user: UserId,
    ctx: Ctx,
    go: impl Fn(usize) + Copy + 'static,
) -> impl IntoView {
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let subject = draft.with_untracked(|d| d.draft.subject.clone());
    // Per area: how many required answers are missing.
    let gaps: Vec<(usize, String, usize)> = form.with_value(|f| {
        let missing = draft.with_untracked(|d| {
            unanswered_required(f, subject.as_ref(), &d.draft.answers).into_iter().cloned().collect::<Vec<_>>()
        });
        f.sections
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.title.clone(), s.fields.iter().filter(|x| missing.contains(&x.id)).count()))
            .filter(|(_, _, n)| *n > 0)
            .collect()
    });
    let complete = gaps.is_empty() && subject.is_some();
    let submit = move |_| {
        let record = draft.get_untracked();
        let Some(subject) = record.draft.subject.clone() else { return };
        let submission = form.with_value(|f| Submission {
            id: record.submission_id,
            form: f.form_ref(),
            answers: answers_for_submission(f, &subject, &record.draft.answers),
            subject,
            started_at_ms: record.draft.started_at_ms,
            submitted_at_ms: now_ms(),
        });
        if let Err(problem) = form.with_value(|f| check_submission(f, &submission)) {
            error.set(Some(format!("Анкета заполнена не полностью: {problem}")));
            return;
        }
        // Queue first, then keep the result, then forget the draft: whichever step a crash
        // interrupts, the answers exist somewhere and the submission id cannot be used twice.
        let id = submission.id;
        let queued = store::enqueue(user, Change::SubmitSelfDiagnosis { submission: submission.clone() }).map(drop);
        if !ctx.report_write(queued) {
            return;
        }
        ctx.report_write(store::put_submission(user, &LocalSubmission { submission, synced: false, rejected: None }));
        form.with_value(|f| store::remove_draft(user, &f.id));
        ctx.refresh();
        sync_now(ctx);
        navigate(&format!("/self-diagnosis/{id}"), Default::default());
    };
    let sections = form.with_value(|f| f.sections.len());
    view! {
        <h2>"Проверка ответов"</h2>
        {if complete {
            view! { <p class="ok-text">"Все обязательные вопросы отвечены. Можно отправлять."</p> }.into_any()
        } else {
            view! {
                <p class="error-text">"Остались вопросы без ответа:"</p>
                <ul class="plain">
                    {gaps.into_iter().map(|(i, title, n)| view! {
                        <li>
                            {format!("{title}: {n}")} " "
                            <button class="btn small" on:click=move |_| go(i + 1)>"Перейти"</button>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <p class="muted">"Результат появится сразу, даже без сети. На сервер анкета отправится автоматически."</p>
        {move || error.get().map(|e| view! { <p class="error-text" role="alert">{e}</p> })}
        <div class="actions">
            <button class="btn" on:click=move |_| go(sections)>"Назад"</button>
            <button class="btn primary grow" disabled=!complete on:click=submit>"Отправить"</button>
        </div>
    }
}
