//! A teacher's first login: the one-time code from her principal and the password she chooses.
//! The password rule is the shared crate's, so a refused password is explained before sending.

use crate::api::{self, Failure};
use crate::ctx::use_ctx;
use crate::task::spawn_for_app;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use opora_domain::accounts::check_new_password;

/// What a new code does to the answers sent before a forgotten password (ARCHITECTURE.md,
/// «A reset cannot hand over earlier answers»): said before she activates and after, the same way.
pub const EARLIER_ANSWERS: &str = "Самодиагностики, которые вы отправили раньше, на сервере закрываются: \
    их не откроет никто, и вы тоже не увидите их с сервера. В сводных данных школы они учитываются \
    по-прежнему, без имени. Копии остаются на телефоне, с которого вы их отправляли.";

#[component]
pub fn Activate() -> impl IntoView {
    let ctx = use_ctx();
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // The login to remember, shown once activation succeeded, and whether the code replaced a
    // forgotten password (then her earlier answers were sealed on the server).
    let done = RwSignal::new(None::<(String, bool)>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (c, p, r) = (code.get_untracked(), password.get_untracked(), repeat.get_untracked());
        if let Err(why) = check_new_password("", &p) {
            error.set(Some(why.to_owned()));
            return;
        }
        if p != r {
            error.set(Some("Пароли не совпадают.".to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        // The app's work, not the page's: the session begins even if she has left the page by
        // then. After the answer only writes touch the page (a disposed signal ignores them).
        spawn_for_app(async move {
            match api::activate(&c, &p).await {
                Ok(response) => {
                    done.set(Some((response.user.login.clone(), response.earlier_answers_sealed)));
                    ctx.begin_session(response);
                }
                Err(Failure::Unreachable) => error.set(Some(
                    "Нет связи с сервером. Для первого входа нужна сеть; попробуйте, когда связь появится.".to_owned(),
                )),
                Err(Failure::Api(e)) => error.set(Some(match e.detail {
                    Some(detail) if e.code == opora_domain::api::ErrorCode::WeakPassword => detail,
                    _ => e.message,
                })),
            }
            busy.set(false);
        });
    };
    move || {
        match done.get() {
        Some((login, sealed)) => view! {
            <div class="card">
                <h1>"Готово"</h1>
                <p>{if sealed { "Новый пароль установлен, вы вошли в «Опору»." } else { "Пароль установлен, вы вошли в «Опору»." }}</p>
                <p>"Ваш логин: " <strong data-testid="my-login">{login}</strong>
                   ". Запишите его — он понадобится для входа на другом устройстве."</p>
                {sealed.then(|| view! {
                    <div class="notice" data-testid="answers-sealed">
                        <p><strong>"Что с вашими прежними ответами"</strong></p>
                        <p>{EARLIER_ANSWERS}</p>
                    </div>
                })}
                <div class="actions">
                    <A href="/" attr:class="btn primary">"Продолжить"</A>
                </div>
            </div>
        }
        .into_any(),
        None => view! {
            <div class="card">
                <h1>"Первый вход по коду"</h1>
                <p class="muted">"Код активации выдаёт руководитель школы. Он действует один раз."</p>
                <div class="notice" data-testid="reset-note">
                    <p><strong>"Забыли пароль и получили новый код?"</strong></p>
                    <p>{EARLIER_ANSWERS}</p>
                </div>
                <form on:submit=submit>
                    <label class="field">
                        "Код активации"
                        <input type="text" name="code" autocomplete="one-time-code" autocapitalize="characters"
                            placeholder="XXXX-XXXX-XXXX" required
                            prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                    </label>
                    <label class="field">
                        "Новый пароль (не меньше 8 символов)"
                        <input type="password" name="new-password" autocomplete="new-password" required
                            prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                    </label>
                    <label class="field">
                        "Пароль ещё раз"
                        <input type="password" name="repeat-password" autocomplete="new-password" required
                            prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev))/>
                    </label>
                    {move || error.get().map(|e| view! { <p class="error-text" role="alert">{e}</p> })}
                    <div class="actions">
                        <button class="btn primary grow" type="submit" disabled=move || busy.get()>
                            {move || if busy.get() { "Проверяем…" } else { "Установить пароль и войти" }}
                        </button>
                    </div>
                </form>
                <p><A href="/login">"У меня уже есть пароль"</A></p>
            </div>
        }
        .into_any(),
    }
    }
}
