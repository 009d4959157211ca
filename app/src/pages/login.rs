//! Logging in. The first login on a device needs the network; afterwards the app opens offline
//! with the stored session.

use crate::api::{self, Failure};
use crate::ctx::use_ctx;
use crate::store::{self, StoredSession};
use crate::sync::sync_now;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
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
        spawn_local(async move {
            match api::login(&l, &p).await {
                Ok(response) => {
                    let session = StoredSession::from(response);
                    // Another user's queued work stays in that user's part of storage and is sent
                    // when they log in again: the outbox always belongs to the logged-in user.
                    ctx.report_write(store::set_session(&session));
                    ctx.session.set(Some(session));
                    ctx.session_expired.set(false);
                    ctx.sync_error.set(None);
                    ctx.reachable.set(true);
                    ctx.refresh();
                    sync_now(ctx);
                    navigate("/", Default::default());
                }
                Err(Failure::Unreachable) => error.set(Some(
                    "Нет связи с сервером. Для первого входа на этом устройстве нужна сеть.".to_owned(),
                )),
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
            <p class="muted">"Учётную запись выдаёт руководитель школы или отдел образования."</p>
        </div>
    }
}
