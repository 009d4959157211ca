//! One page per file; each reads the app context and storage, and talks to the server only
//! through `crate::api` and `crate::sync`.

pub mod activate;
#[cfg(feature = "office")]
pub mod analytics;
#[cfg(feature = "office")]
pub mod campaigns;
#[cfg(feature = "office")]
pub mod department;
pub mod diagnosis;
pub mod home;
pub mod login;
#[cfg(feature = "office")]
pub mod membership;
#[cfg(feature = "office")]
pub mod reports;
pub mod result;
#[cfg(feature = "office")]
pub mod school;

/// The teacher's bundle has no office pages: the same routes lead here. Only a teacher or a
/// logged-out visitor runs this bundle (the boot code loads the office bundle for any other
/// session), so these pages are simply not for them.
#[cfg(not(feature = "office"))]
pub mod office_stubs {
    use leptos::prelude::*;

    #[component]
    pub fn OfficeOnly() -> impl IntoView {
        view! {
            <div class="card">
                <h1>"Раздел для руководителей и отдела образования"</h1>
                <leptos_router::components::A href="/">"На главную"</leptos_router::components::A>
            </div>
        }
    }
}

/// The office pages by route, from whichever bundle this is.
pub mod office {
    #[cfg(not(feature = "office"))]
    pub use super::office_stubs::{
        OfficeOnly as Analytics, OfficeOnly as CampaignPage, OfficeOnly as SentReportPage, OfficeOnly as Department,
        OfficeOnly as Report, OfficeOnly as Reports,
    };
    #[cfg(feature = "office")]
    pub use super::{
        analytics::Analytics,
        campaigns::{CampaignPage, SentReportPage},
        department::Department,
        reports::{Report, Reports},
        school::SchoolHome,
    };
    #[cfg(not(feature = "office"))]
    #[leptos::component]
    pub fn SchoolHome(user: opora_domain::UserId) -> impl leptos::IntoView {
        let _ = user;
        super::office_stubs::OfficeOnly()
    }
}

use crate::ctx::use_ctx;
use crate::fmt;
use crate::store;
use crate::task::{Latest, Scope};
use leptos::prelude::*;
use leptos_router::components::A;
use opora_domain::UserId;
use serde::de::DeserializeOwned;

/// The form every teacher's self-diagnosis uses.
pub const SELF_DIAGNOSIS: &str = "self-diagnosis";

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <div class="card">
            <h1>"Страница не найдена"</h1>
            <A href="/">"На главную"</A>
        </div>
    }
}

/// A view fetched from the server and kept in storage, so it opens offline with the date of the
/// last successful fetch.
pub struct CachedView<T: Send + Sync + 'static> {
    pub data: RwSignal<Option<T>>,
    pub loading: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

impl<T: Send + Sync + 'static> Clone for CachedView<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for CachedView<T> {}

/// Reads the stored copy of view `name` at once and, when online, fetches a fresh one from the
/// API `path`. Returns the view and the function that fetches again (the «Обновить» button).
pub fn cached_view<T>(user: UserId, name: &str, path: String) -> (CachedView<T>, Callback<()>)
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let view = CachedView {
        data: RwSignal::new(store::view::<T>(user, name)),
        loading: RwSignal::new(false),
        error: RwSignal::new(None),
    };
    // Only the parsing is per type; the request and storage code below exists once.
    let accept = Callback::new(move |json: String| match serde_json::from_str::<T>(&json) {
        Ok(fresh) => view.data.set(Some(fresh)),
        Err(_) => view.error.set(Some("Сервер прислал непонятные данные. Обновите приложение.".to_owned())),
    });
    let refresh = fetcher(user, name.to_owned(), path, view.loading, view.error, accept);
    (view, refresh)
}

fn fetcher(
    user: UserId,
    name: String,
    path: String,
    loading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    accept: Callback<String>,
) -> Callback<()> {
    let ctx = use_ctx();
    let target = StoredValue::new((name, path));
    let scope = Scope::here();
    let latest = Latest::default();
    let refresh = Callback::new(move |()| {
        let Some(session) = ctx.session.get_untracked() else { return };
        loading.set(true);
        let (name, path) = target.get_value();
        let request = latest.next();
        scope.spawn(async move {
            let answer = crate::api::get_text(&path, &session.token).await;
            // «Обновить» pressed again: the newer request's answer is the one to show.
            if !latest.is(request) {
                return;
            }
            match answer {
                Ok(json) => {
                    ctx.report_write(store::put_view_text(user, &name, &json));
                    error.set(None);
                    ctx.reachable.set(true);
                    accept.run(json);
                }
                Err(failure) => {
                    ctx.note_failure(&failure);
                    error.set(Some(failure.message_ru()));
                }
            }
            loading.set(false);
        });
    });
    if ctx.online.get_untracked() {
        refresh.run(());
    }
    refresh
}

/// «Данные на …», the error of the last fetch and the «Обновить» button of a cached view.
#[component]
pub fn Freshness(
    generated_at: Signal<Option<i64>>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    refresh: Callback<()>,
) -> impl IntoView {
    view! {
        {move || generated_at.get().map(|at| view! {
            <p class="muted" data-testid="generated">{format!("Данные на {}", fmt::datetime(at))}</p>
        })}
        {move || error.get().map(|e| view! { <p class="error-text">{e}</p> })}
        <div class="actions">
            <button class="btn small" disabled=move || loading.get() on:click=move |_| refresh.run(())>
                {move || if loading.get() { "Обновляем…" } else { "Обновить" }}
            </button>
        </div>
    }
}
