//! The header, the status line and the banners every page shares.

use crate::api;
use crate::ctx::use_ctx;
use crate::fmt;
use crate::store;
use crate::sync::sync_now;
use crate::task::spawn_for_app;
use crate::util::plural;
use leptos::prelude::*;
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
        spawn_for_app(async move { api::logout(&session.token).await });
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

/// The one state the status line shows: the first that applies, so it never says two things
/// that contradict each other (no «Нет связи» while a sync is under way, no «Всё отправлено»
/// while something waits, was refused or was never sent).
#[derive(Clone, Debug, PartialEq)]
enum SyncState {
    Offline,
    Syncing,
    Unreachable,
    Refused(usize),
    Waiting(usize),
    NeverSynced,
    AllSent(i64),
}

impl SyncState {
    fn of(ctx: crate::ctx::Ctx) -> SyncState {
        let (waiting, refused) = (ctx.waiting.get(), ctx.refused.get());
        if !ctx.online.get() {
            SyncState::Offline
        } else if ctx.syncing.get() {
            SyncState::Syncing
        } else if !ctx.reachable.get() {
            SyncState::Unreachable
        } else if refused > 0 {
            SyncState::Refused(refused)
        } else if waiting > 0 {
            SyncState::Waiting(waiting)
        } else {
            ctx.last_sync.get().map_or(SyncState::NeverSynced, SyncState::AllSent)
        }
    }

    /// The pill: its class (colour) and words.
    fn pill(&self) -> (&'static str, &'static str) {
        match self {
            SyncState::Offline => ("pill offline", "Нет сети"),
            SyncState::Syncing => ("pill syncing", "Синхронизация…"),
            SyncState::Unreachable => ("pill offline", "Нет связи с сервером"),
            SyncState::Refused(_) | SyncState::Waiting(_) => ("pill waiting", "Есть неотправленное"),
            SyncState::NeverSynced => ("pill waiting", "Ещё не синхронизировано"),
            SyncState::AllSent(_) => ("pill online", "Всё отправлено"),
        }
    }
}

#[component]
pub fn StatusBar() -> impl IntoView {
    let ctx = use_ctx();
    let state = Memo::new(move |_| SyncState::of(ctx));
    view! {
        <Show when=move || ctx.session.with(Option::is_some)>
            <div class="status" aria-live="polite" data-testid="status" data-state=move || format!("{:?}", state.get()).split('(').next().unwrap_or_default().to_lowercase()>
                {move || {
                    let (class, words) = state.get().pill();
                    // The pill repeats what the detail below says only where the detail is the whole story.
                    let shown = !matches!(state.get(), SyncState::AllSent(_) | SyncState::Refused(_) | SyncState::Waiting(_));
                    shown.then(|| view! { <span class=class data-testid="state">{words}</span> })
                }}
                <span data-testid="waiting">
                    {move || {
                        let (n, refused) = (ctx.waiting.get(), ctx.refused.get());
                        if n > 0 {
                            format!("Ожидают отправки: {n} {}", plural(n, "запись", "записи", "записей"))
                        } else if refused > 0 {
                            "Отправлено всё, кроме непринятого".to_owned()
                        } else if let SyncState::AllSent(_) = state.get() {
                            "Всё отправлено".to_owned()
                        } else {
                            String::new()
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
                {move || ctx.last_sync.get().map(|t| view! {
                    <span class="muted last-sync" data-testid="last-sync" title=format!("Последняя синхронизация: {}", fmt::datetime(t))>
                        {format!("Синхронизировано: {}", fmt::datetime(t))}
                    </span>
                })}
                <span class="spacer"></span>
                <button class="btn small" disabled=move || ctx.syncing.get() on:click=move |_| sync_now(ctx)>
                    "Синхронизировать"
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
    // With nothing waiting there is nothing to lose: a warning then only worries.
    let at_risk = move || ctx.waiting.get() > 0 || ctx.unsaved.with(Option::is_some);
    view! {
        <Show when=at_risk>
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
        </Show>
    }
}
