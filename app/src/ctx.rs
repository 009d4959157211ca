//! The app-wide reactive state every page reads: who is logged in, whether the network is there,
//! and how sync is doing.

use crate::store::{self, StoredSession};
use leptos::prelude::*;
use opora_domain::UserId;
use opora_domain::org::Role;

#[derive(Clone, Copy)]
pub struct Ctx {
    pub session: RwSignal<Option<StoredSession>>,
    /// The browser says it has a network (`navigator.onLine` and its events).
    pub online: RwSignal<bool>,
    /// The last request reached the server.
    pub reachable: RwSignal<bool>,
    pub syncing: RwSignal<bool>,
    /// Changes waiting in the outbox.
    pub waiting: RwSignal<usize>,
    /// Things that did not reach the server and need the user: see [`store::refused_count`].
    pub refused: RwSignal<usize>,
    pub last_sync: RwSignal<Option<i64>>,
    pub sync_error: RwSignal<Option<String>>,
    /// The server no longer accepts the session: the user must log in again.
    pub session_expired: RwSignal<bool>,
    /// A storage problem to show (full quota, a corrupt entry set aside).
    pub storage_problem: RwSignal<Option<String>>,
    /// Bumped whenever sync stored new data, so pages reading storage re-read it.
    pub data_version: RwSignal<u64>,
    /// What is on screen but could not be written to storage (it is full): kept for the download.
    pub unsaved: RwSignal<Option<serde_json::Value>>,
    /// The browser's storage estimate and whether it promised to keep our data.
    pub storage: RwSignal<Option<crate::backup::StorageInfo>>,
}

impl Ctx {
    pub fn new() -> Self {
        let session = store::session();
        let user = session.as_ref().map(|s| s.user.id);
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        Ctx {
            session: RwSignal::new(session),
            online: RwSignal::new(online),
            reachable: RwSignal::new(true),
            syncing: RwSignal::new(false),
            waiting: RwSignal::new(user.map_or(0, store::outbox_len)),
            refused: RwSignal::new(user.map_or(0, store::refused_count)),
            last_sync: RwSignal::new(user.and_then(store::last_sync)),
            sync_error: RwSignal::new(None),
            session_expired: RwSignal::new(false),
            storage_problem: RwSignal::new(None),
            data_version: RwSignal::new(0),
            unsaved: RwSignal::new(None),
            storage: RwSignal::new(None),
        }
    }

    /// Re-reads the counters kept in storage after something changed them.
    pub fn refresh(&self) {
        let user = self.session.get_untracked().map(|s| s.user.id);
        self.waiting.set(user.map_or(0, store::outbox_len));
        self.refused.set(user.map_or(0, store::refused_count));
        self.last_sync.set(user.and_then(store::last_sync));
        let corrupt = store::take_corrupt_reports();
        if !corrupt.is_empty() {
            self.storage_problem.set(Some(format!(
                "Повреждённые записи в памяти браузера отложены и не мешают работе ({}).",
                corrupt.len()
            )));
        }
        self.data_version.update(|v| *v += 1);
    }

    /// What a failed request says about the connection and the session.
    pub fn note_failure(&self, failure: &crate::api::Failure) {
        if *failure == crate::api::Failure::Unreachable {
            self.reachable.set(false);
        }
        if failure.needs_login() {
            self.session_expired.set(true);
        }
    }

    /// Starts a session the server just opened (a login or an activation): stored first, so a
    /// reload right after keeps it. Another user's queued work stays in that user's part of
    /// storage and is sent when they log in again: the outbox always belongs to the logged-in user.
    pub fn begin_session(&self, response: opora_domain::api::LoginResponse) {
        let session = StoredSession::from(response);
        self.report_write(store::set_session(&session));
        // The teacher's bundle has no office pages: the office bundle starts downloading now,
        // its progress on screen, and once it is here the page starts again in it (the boot code
        // picks it for this session, which syncs there).
        #[cfg(not(feature = "office"))]
        if session.user.role != opora_domain::org::Role::Teacher {
            crate::task::spawn_for_app(async {
                prefetch_office().await;
                let _ = window().location().set_href("/");
            });
            return;
        }
        store::remember_name(session.user.id, &session.user.full_name);
        self.session.set(Some(session));
        self.session_expired.set(false);
        self.sync_error.set(None);
        self.reachable.set(true);
        self.refresh();
        crate::sync::sync_now(*self);
    }

    /// Shows a failed local write to the user.
    pub fn report_write(&self, result: Result<(), store::WriteError>) -> bool {
        match result {
            Ok(()) => true,
            Err(e) => {
                self.storage_problem.set(Some(e.message_ru()));
                false
            }
        }
    }
}

impl Ctx {
    /// Who is logged in, as a memo: pages re-render when the user changes, not when sync merely
    /// refreshes the stored profile.
    pub fn who(&self) -> Memo<Option<(UserId, Role)>> {
        let session = self.session;
        Memo::new(move |_| session.with(|s| s.as_ref().map(|s| (s.user.id, s.user.role))))
    }
}

pub fn use_ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// Downloads the office bundle through the boot code's `oporaPrefetchOffice` (it shows the
/// progress). A failure is not reported here: the restart then loads the bundle itself.
#[cfg(not(feature = "office"))]
async fn prefetch_office() {
    use wasm_bindgen::JsCast;
    let prefetch = js_sys::Reflect::get(&window(), &"oporaPrefetchOffice".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(promise) = prefetch.and_then(|f| f.call0(&wasm_bindgen::JsValue::NULL).ok()) else { return };
    if let Ok(promise) = promise.dyn_into::<js_sys::Promise>() {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}
