//! Logging in. The first login on a device needs the network; afterwards the app opens offline
//! with the stored session.

use crate::api::{self, Failure};
use crate::ctx::use_ctx;
use crate::store;
use crate::task::spawn_for_app;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[component]
pub fn Login() -> impl IntoView {
    let ctx = use_ctx();
    let navigate = use_navigate();
    // After an expired session, the same person most likely logs in again.
    let login = RwSignal::new(ctx.session.get_untracked().map(|s| s.user.login).unwrap_or_default());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (l, p) = (login.get_untracked(), password.get_untracked());
        let navigate = navigate.clone();
        // The app's work, not the page's: the session begins even if she has left the page by
        // then. After the answer only writes touch the page (a disposed signal ignores them).
        spawn_for_app(async move {
            match api::login(&l, &p).await {
                Ok(response) => {
                    ctx.begin_session(response);
                    navigate("/", Default::default());
                }
                Err(Failure::Unreachable) => {
                    error.set(Some("Нет связи с сервером. Для первого входа на этом устройстве нужна сеть.".to_owned()))
                }
                Err(failure) => error.set(Some(failure.message_ru())),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="card">
            <h1>"Вход в «Опору»"</h1>
            <form on:submit=submit>
                <label class="field">
                    "Логин"
                    <input type="text" name="login" autocomplete="username" autocapitalize="none" required
                        prop:value=move || login.get() on:input=move |ev| login.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    "Пароль"
                    <input type="password" name="password" autocomplete="current-password" required
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                {move || error.get().map(|e| view! { <p class="error-text" role="alert">{e}</p> })}
                <div class="actions">
                    <button class="btn primary grow" type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Входим…" } else { "Войти" }}
                    </button>
                </div>
            </form>
            <p><A href="/activate">"Первый вход: у меня есть код активации"</A></p>
            <p class="muted">"Учётную запись выдаёт руководитель школы или отдел образования."</p>
        </div>
        <PendingElsewhere/>
    }
}

/// Unsent work of people who are not logged in on this device: it waits for its owner, and the
/// person about to log in should know it will not be sent under her name.
#[component]
fn PendingElsewhere() -> impl IntoView {
    let ctx = use_ctx();
    let current = ctx.session.get_untracked().filter(|_| !ctx.session_expired.get_untracked()).map(|s| s.user.id);
    let pending: Vec<(String, usize)> = store::pending_by_user()
        .into_iter()
        .filter(|(user, _, _)| Some(*user) != current)
        .map(|(_, name, n)| (name, n))
        .collect();
    (!pending.is_empty()).then(|| view! {
        <div class="card" data-testid="pending-elsewhere">
            <h2>"Неотправленные данные на этом устройстве"</h2>
            <ul class="plain">
                {pending.into_iter().map(|(name, n)| view! { <li>{format!("{name}: {n}")}</li> }).collect_view()}
            </ul>
            <p class="muted">"Они хранятся здесь и будут отправлены, когда их владелец войдёт в систему на этом устройстве."</p>
        </div>
    })
}
