//! The header, the status line and the banners every page shares.

use crate::api;
use crate::ctx::use_ctx;
use crate::store;
use crate::sync::sync_now;
use crate::util::{format_datetime, plural};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[component]
pub fn TopBar() -> impl IntoView {
    let ctx = use_ctx();
    let navigate = use_navigate();
    let logout = move |_| {
        let Some(session) = ctx.session.get_untracked() else { return };
        let waiting = ctx.waiting.get_untracked();
        if waiting > 0 {
            let question = format!(
                "Есть неотправленные данные ({waiting}). Они останутся на этом устройстве и отправятся, \
                 когда вы снова войдёте. Выйти?"
            );
            let confirmed = window().confirm_with_message(&question).unwrap_or(false);
            if !confirmed {
                return;
            }
        }
        store::clear_session();
        ctx.session.set(None);
        ctx.session_expired.set(false);
        ctx.refresh();
        spawn_local(async move { api::logout(&session.token).await });
        navigate("/login", Default::default());
    };
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"Опора"</A>
            {move || ctx.session.get().map(|s| view! {
                <span class="who">{s.user.full_name.clone()} " · " {s.user.role.title_ru()}</span>
            })}
            <Show when=move || ctx.session.with(Option::is_some)>
                <button class="btn small" on:click=logout.clone()>"Выйти"</button>
            </Show>
        </header>
    }
}

#[component]
pub fn StatusBar() -> impl IntoView {
    let ctx = use_ctx();
    let connected = move || ctx.online.get() && ctx.reachable.get();
    view! {
        <Show when=move || ctx.session.with(Option::is_some)>
            <div class="status" aria-live="polite">
                {move || if connected() {
                    view! { <span class="pill online">"В сети"</span> }.into_any()
                } else if ctx.online.get() {
                    view! { <span class="pill offline">"Нет связи с сервером"</span> }.into_any()
                } else {
                    view! { <span class="pill offline">"Нет сети"</span> }.into_any()
                }}
                <span data-testid="waiting">
                    {move || {
                        let (n, refused) = (ctx.waiting.get(), ctx.refused.get());
                        if n > 0 {
                            format!("Ожидают отправки: {n} {}", plural(n, "запись", "записи", "записей"))
                        } else if refused > 0 {
                            "Отправлено всё, кроме непринятого".to_owned()
                        } else {
                            "Всё отправлено".to_owned()
                        }
                    }}
                </span>
                {move || {
                    let refused = ctx.refused.get();
                    let href = match ctx.session.with(|s| s.as_ref().map(|s| s.user.role)) {
                        Some(opora_domain::org::Role::Principal) => "/reports",
                        _ => "/",
                    };
                    (refused > 0).then(|| view! {
                        <A href=href attr:class="pill refused" attr:data-testid="refused">
                            {format!("Не принято сервером: {refused} — исправьте")}
                        </A>
                    })
                }}
                <span class="muted" data-testid="last-sync">
                    {move || match ctx.last_sync.get() {
                        Some(t) => format!("Синхронизировано: {}", format_datetime(t)),
                        None => "Ещё не синхронизировано".to_owned(),
                    }}
                </span>
                <span class="spacer"></span>
                <button class="btn small" disabled=move || ctx.syncing.get() on:click=move |_| sync_now(ctx)>
                    {move || if ctx.syncing.get() { "Синхронизация…" } else { "Синхронизировать" }}
                </button>
            </div>
        </Show>
        <Banners/>
    }
}

#[component]
fn Banners() -> impl IntoView {
    let ctx = use_ctx();
    view! {
        <Show when=move || !ctx.online.get()>
            <div class="banner offline" role="status">
                "Нет сети. Всё, что вы вводите, сохраняется на этом устройстве и отправится само, когда связь появится."
            </div>
        </Show>
        <Show when=move || ctx.session_expired.get()>
            <div class="banner error" role="alert">
                "Сеанс истёк. "
                <A href="/login">"Войдите снова"</A>
                " — неотправленные данные сохранены и отправятся после входа."
            </div>
        </Show>
        {move || ctx.storage_problem.get().map(|problem| view! {
            <div class="banner error" role="alert">
                {problem} " "
                <button class="btn small" on:click=move |_| crate::backup::download_unsynced(ctx)>
                    "Скачать неотправленные данные"
                </button>
            </div>
        })}
        {move || {
            let show = ctx.online.get() && !ctx.session_expired.get();
            ctx.sync_error.get().filter(|_| show).map(|e| view! { <div class="banner info">{e}</div> })
        }}
    }
}

/// What this device holds: the storage estimate, whether the browser promised to keep it, and the
/// way to take unsent work away as a file.
#[component]
pub fn DeviceStorage() -> impl IntoView {
    let ctx = use_ctx();
    let megabytes = |bytes: f64| format!("{:.1}", bytes / 1_048_576.0).replace('.', ",");
    view! {
        <div class="card">
            <h2>"Данные на этом устройстве"</h2>
            {move || ctx.storage.get().map(|s| view! {
                <p data-testid="storage-estimate">
                    {format!("Занято {} МБ из доступных {} МБ.", megabytes(s.usage_bytes), megabytes(s.quota_bytes))}
                    " "
                    {if s.persisted {
                        "Браузер не удалит эти данные при нехватке места."
                    } else {
                        "Браузер может очистить их при нехватке места — не откладывайте отправку."
                    }}
                </p>
            })}
            <button class="btn small" on:click=move |_| crate::backup::download_unsynced(ctx)>
                "Скачать неотправленные данные"
            </button>
        </div>
    }
}
