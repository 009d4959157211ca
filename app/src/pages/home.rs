//! The start page: what this user can do, by role.

use super::SELF_DIAGNOSIS;
use crate::ctx::use_ctx;
use crate::fmt;
use crate::store;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use opora_domain::diagnosis::unanswered_required;
use opora_domain::org::Role;
use opora_domain::{FormId, UserId};

#[component]
pub fn Home() -> impl IntoView {
    let ctx = use_ctx();
    let who = ctx.who();
    move || match who.get() {
        None => view! { <Redirect path="/login"/> }.into_any(),
        Some((user, Role::Teacher)) => view! { <TeacherHome user/> }.into_any(),
        Some((user, Role::Principal)) => view! { <super::office::SchoolHome user/> }.into_any(),
        Some(_) => view! { <DepartmentHome/> }.into_any(),
    }
}

#[component]
fn TeacherHome(user: UserId) -> impl IntoView {
    let ctx = use_ctx();
    let form_id = FormId::from(SELF_DIAGNOSIS);
    let progress = {
        let form_id = form_id.clone();
        move || {
            ctx.data_version.get();
            let draft = store::draft(user, &form_id)?;
            let form = store::latest_form(&form_id)?;
            let subject = draft.draft.subject.as_ref()?;
            let total = form.applicable_fields(Some(subject)).filter(|(_, f)| !f.optional).count();
            let missing = unanswered_required(&form, Some(subject), &draft.draft.answers).len();
            Some((total - missing, total))
        }
    };
    let has_draft = {
        let form_id = form_id.clone();
        move || {
            ctx.data_version.get();
            store::draft(user, &form_id).is_some()
        }
    };
    let submissions = move || {
        ctx.data_version.get();
        store::submissions(user)
    };
    view! {
        <div class="card">
            <h1>"Самодиагностика"</h1>
            <p>"Оцените, насколько вы владеете профессиональными умениями. По результатам — ваш профиль \
                дефицитов и сильных сторон и темы для профессионального развития."</p>
            {move || progress().map(|(done, total)| view! {
                <p data-testid="draft-progress">"Начата: отвечено " {done} " из " {total} " обязательных вопросов."</p>
            })}
            <div class="actions">
                <A href="/self-diagnosis" attr:class="btn primary">
                    {move || if has_draft() { "Продолжить самодиагностику" } else { "Пройти самодиагностику" }}
                </A>
            </div>
        </div>
        <div class="card">
            <h2>"Мои результаты"</h2>
            {move || {
                let list = submissions();
                if list.is_empty() {
                    view! { <p class="muted">"Пока нет завершённых самодиагностик."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain">
                            {list.into_iter().map(|s| {
                                let href = format!("/self-diagnosis/{}", s.submission.id);
                                let when = fmt::datetime(s.submission.submitted_at_ms);
                                let (class, status) = match (&s.rejected, s.synced) {
                                    (Some(_), _) => ("badge deficit", "Отклонено сервером"),
                                    (None, true) => ("badge synced", "Отправлено"),
                                    (None, false) => ("badge pending", "Ожидает отправки"),
                                };
                                view! {
                                    <li>
                                        <A href=href>{format!("Самодиагностика от {when}")}</A>
                                        " " <span class=class>{status}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </div>
        <crate::widgets::DeviceStorage/>
    }
}

#[component]
fn DepartmentHome() -> impl IntoView {
    let ctx = use_ctx();
    let municipality = move || {
        ctx.session.with(|s| {
            let user = &s.as_ref()?.user;
            Some(match &user.municipality {
                Some(m) => m.name.clone(),
                None => user.role.title_ru().to_owned(),
            })
        })
    };
    view! {
        <div class="card">
            <h1>{move || municipality().unwrap_or_else(|| "Отдел образования".to_owned())}</h1>
            <div class="actions">
                <A href="/department" attr:class="btn primary">"Самодиагностика педагогов по школам"</A>
                <A href="/department/analytics" attr:class="btn">"Аналитика"</A>
            </div>
        </div>
    }
}
