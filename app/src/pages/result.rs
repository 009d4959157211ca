//! A self-diagnosis result: computed in the browser by the shared crate, so it is there at once,
//! offline, and equals what the server computes.

use crate::ctx::use_ctx;
use crate::fmt;
use crate::store;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_params_map;
use opora_domain::SubmissionId;
use opora_domain::scoring::{Level, development_plan, score};

fn level_class(level: Option<Level>) -> &'static str {
    match level {
        Some(Level::Deficit) => "deficit",
        Some(Level::Growth) => "growth",
        Some(Level::Strength) => "strength",
        None => "none",
    }
}

/// A refused self-diagnosis sent again with the same answers (after she fixed what the server
/// named, say her phone's clock): a new submission is queued first, then the refused one and its
/// refusal are forgotten, so the answers are never in neither place.
fn resend(ctx: crate::ctx::Ctx, user: opora_domain::UserId, refused: &store::LocalSubmission) -> Option<SubmissionId> {
    let now = crate::util::now_ms();
    let submission = opora_domain::diagnosis::Submission {
        id: SubmissionId(crate::util::new_uuid()),
        started_at_ms: now,
        submitted_at_ms: now,
        ..refused.submission.clone()
    };
    let change = opora_domain::sync::Change::SubmitSelfDiagnosis { submission: submission.clone() };
    let queued = store::enqueue(user, change).map(|_| ()).and_then(|()| {
        store::put_submission(
            user,
            &store::LocalSubmission { submission: submission.clone(), synced: false, rejected: None },
        )
    });
    if !ctx.report_write(queued) {
        return None;
    }
    store::forget_refused_submission(user, refused.submission.id);
    ctx.refresh();
    crate::sync::sync_now(ctx);
    Some(submission.id)
}

#[component]
pub fn Result() -> impl IntoView {
    let ctx = use_ctx();
    let params = use_params_map();
    let navigate = leptos_router::hooks::use_navigate();
    let who = ctx.who();
    let user = Memo::new(move |_| who.get().map(|(id, _)| id));
    move || {
        ctx.data_version.get();
        let Some(user) = user.get() else { return view! { <Redirect path="/login"/> }.into_any() };
        let id = params.with(|p| p.get("id")).and_then(|id| id.parse::<SubmissionId>().ok());
        let local = id.and_then(|id| store::submission(user, id));
        let Some(local) = local else {
            return view! {
                <div class="card">
                    <h1>"Результат не найден"</h1>
                    <p>"На этом устройстве нет такой самодиагностики."</p>
                    <A href="/">"На главную"</A>
                </div>
            }
            .into_any();
        };
        let s = &local.submission;
        let Some(form) = store::form(&s.form.id, s.form.version) else {
            return view! { <div class="card"><p>"Анкета этой версии ещё не загружена на устройство."</p></div> }
                .into_any();
        };
        let profile = score(&form, Some(&s.subject), &s.answers);
        let status = match (&local.rejected, local.synced) {
            (Some(e), _) => {
                let (rejected, navigate) = (local.clone(), navigate.clone());
                let again = move |_| {
                    if let Some(id) = resend(ctx, user, &rejected) {
                        navigate(&format!("/self-diagnosis/{id}"), Default::default());
                    }
                };
                view! {
                    <span class="badge deficit" data-testid="status">"Отклонено сервером: " {e.message.clone()}</span>
                    " " <button class="btn small" on:click=again>"Отправить заново"</button>
                }
                .into_any()
            }
            (None, true) => view! { <span class="badge synced" data-testid="status">"Отправлено"</span> }.into_any(),
            (None, false) => {
                view! { <span class="badge pending" data-testid="status">"Ожидает отправки"</span> }.into_any()
            }
        };
        let areas = profile
            .areas
            .iter()
            .map(|a| {
                let title = form.section(&a.area).map(|s| s.title.clone()).unwrap_or_default();
                let class = level_class(a.level);
                let pct = a.percent();
                let width = format!("{:.1}", pct.unwrap_or(0.0));
                let label = a.level.map_or("Нет ответов", Level::title_ru);
                view! {
                    <div class="area" data-area=a.area.to_string()>
                        <div class="area-head">
                            <span class="area-title">{title}</span>
                            <span>
                                {pct.map(fmt::percent).unwrap_or_default()} " "
                                <span class=format!("badge {class}")>{label}</span>
                            </span>
                        </div>
                        <svg class="area-bar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
                            <rect class="track" x="0" y="0" width="100" height="6"/>
                            <rect class=class x="0" y="0" width=width height="6"/>
                        </svg>
                    </div>
                }
            })
            .collect_view();
        // Three lines first: what she is good at, where she grows, what she lacks.
        let by_level = |level: Level| {
            let names: Vec<String> = profile
                .areas
                .iter()
                .filter(|a| a.level == Some(level))
                .filter_map(|a| form.section(&a.area).map(|s| s.title.clone()))
                .collect();
            if names.is_empty() { "нет".to_owned() } else { names.join("; ") }
        };
        let summary = [
            ("Сильные стороны", Level::Strength, "strength"),
            ("Зоны роста", Level::Growth, "growth"),
            ("Дефициты", Level::Deficit, "deficit"),
        ]
        .map(|(title, level, class)| {
            view! { <p class=format!("summary-line {class}")><strong>{title} ": "</strong>{by_level(level)}</p> }
        })
        .into_iter()
        .collect_view();
        // Topics folded per area: 31 topics at once made a page 8,000 px long on a phone.
        let plan = development_plan(&form, &profile)
            .into_iter()
            .map(|entry| {
                let class = level_class(Some(entry.level));
                let count = entry.topics.len();
                view! {
                    <details class="plan-area">
                        <summary>
                            <span class="area-title">{entry.title.to_owned()}</span>
                            " " <span class=format!("badge {class}")>{entry.level.title_ru()}</span>
                            " " <span class="muted">{format!("{count} {}", crate::util::plural(count, "тема", "темы", "тем"))}</span>
                        </summary>
                        <ul class="plan">
                            {entry.topics.into_iter().map(|t| view! {
                                <li><strong>{t.title.clone()}</strong>
                                    {t.detail.clone().map(|d| view! { <br/><small>{d}</small> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    </details>
                }
            })
            .collect_view();
        let subject = form.variant_title(&s.subject).unwrap_or_default().to_owned();
        // On paper the plan says whose it is: she takes it to her principal.
        let owner = ctx.session.with_untracked(|session| {
            session.as_ref().map(|session| {
                let user = &session.user;
                let school = user.school.as_ref().map(|s| s.name.clone()).unwrap_or_default();
                view! {
                    <dl class="plan-owner print-only" data-testid="plan-owner">
                        <dt>"Педагог"</dt><dd>{user.full_name.clone()}</dd>
                        <dt>"Школа"</dt><dd>{school}</dd>
                        <dt>"Предмет"</dt><dd>{subject.clone()}</dd>
                        <dt>"Самодиагностика"</dt><dd>{fmt::date_long(s.submitted_at_ms)}</dd>
                        <dt>"Напечатано"</dt><dd>{fmt::date_long(crate::util::now_ms())}</dd>
                    </dl>
                }
            })
        });
        view! {
            <div class="card">
                <h1>"Результаты самодиагностики"</h1>
                <p>{format!("{subject} · {}", fmt::datetime(s.submitted_at_ms))} " " {status}</p>
                <div class="legend">
                    <span class="badge deficit">"Дефицит"</span>
                    <span class="badge growth">"Зона роста"</span>
                    <span class="badge strength">"Сильная сторона"</span>
                </div>
                <div class="summary" data-testid="summary">{summary}</div>
                <div data-testid="areas">{areas}</div>
            </div>
            <div class="card my-plan" data-testid="plan">
                <h2>"Мой план развития"</h2>
                {owner}
                <p class="muted">"Сначала — дефициты, затем зоны роста. Обсудите их с руководителем при составлении \
                    индивидуального плана профессионального развития."</p>
                <div class="plan-areas">{plan}</div>
                <div class="actions no-print">
                    <button class="btn" on:click=move |_| {
                        // On paper every folded area is open.
                        while let Ok(Some(folded)) = document().query_selector("details.plan-area:not([open])") {
                            let _ = folded.set_attribute("open", "");
                        }
                        let _ = window().print();
                    }>"Распечатать план"</button>
                </div>
            </div>
            <div class="actions"><A href="/" attr:class="btn">"На главную"</A></div>
        }
        .into_any()
    }
}
