//! The sync engine: the I/O around the shared crate's pure protocol.
//!
//! One request pushes a batch of the outbox and pulls what changed since the cursor. The order of
//! writes after a response is what makes a reload safe at any point: acknowledged changes are
//! marked and removed from the outbox first, then pulled records are stored, and only then is the
//! cursor advanced. A page killed half-way re-sends a change the server answers from its
//! idempotency record, or re-pulls records that are stored again identically.
//!
//! Sync starts on its own: when the browser comes online, when the page becomes visible again,
//! on a timer while anything waits, after every submission, and from the «Синхронизировать»
//! button. Failures back off exponentially with jitter.

use crate::api::{self, Failure};
use crate::ctx::Ctx;
use crate::store::{self, LocalSubmission, RejectedChange};
use crate::task::spawn_for_app;
use crate::util::now_ms;
use leptos::prelude::*;
use opora_domain::UserId;
use opora_domain::api::{ApiError, ErrorCode};
use opora_domain::sync::{BatchSizer, LocalWrite, PROTOCOL_VERSION, SyncRequest, backoff_ms, plan_response};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{Closure, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A request may carry at most this many bytes on the wire (gzipped): on a link that resets every
/// 60 KB a small request gets through where a big one never would. Bigger outboxes go in batches.
const MAX_REQUEST_BYTES: usize = 32 * 1024;
/// Uncompressed changes considered for one request, before the compressed size is checked.
const MAX_PUSH_BYTES: usize = 512 * 1024;
/// Pull page size.
const PULL_LIMIT: u32 = 200;
/// How often the timer looks whether a sync is due.
const TICK: Duration = Duration::from_secs(20);
/// With nothing waiting, still pull this often (new forms, submissions from other devices).
const IDLE_SYNC_MS: i64 = 10 * 60 * 1000;

thread_local! {
    static SIZER: RefCell<BatchSizer> = RefCell::new(BatchSizer::default());
    static FAILURES: Cell<u32> = const { Cell::new(0) };
    static NOT_BEFORE: Cell<i64> = const { Cell::new(0) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
}

/// Sets up the automatic triggers. Called once at start.
pub fn start(ctx: Ctx) {
    let on_online = window_event_listener(leptos::ev::online, move |_| {
        ctx.online.set(true);
        FAILURES.set(0);
        NOT_BEFORE.set(0);
        sync_now(ctx);
    });
    let on_offline = window_event_listener(leptos::ev::offline, move |_| ctx.online.set(false));
    let on_visible = window_event_listener_untyped("visibilitychange", move |_| {
        let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
        if visible {
            ctx.refresh();
            sync_if_due(ctx);
        }
    });
    // Another tab of this browser queued or synced something: show the same counts here.
    let on_storage = window_event_listener_untyped("storage", move |_| ctx.refresh());
    // Listeners live as long as the app.
    std::mem::forget((on_online, on_offline, on_visible, on_storage));
    set_interval(move || sync_if_due(ctx), TICK);
    sync_now(ctx);
}

/// Syncs unless the browser is offline, a backoff is running, or nothing is due.
fn sync_if_due(ctx: Ctx) {
    if !ctx.online.get_untracked() || now_ms() < NOT_BEFORE.get() {
        return;
    }
    let waiting = ctx.waiting.get_untracked() > 0;
    let stale = ctx.last_sync.get_untracked().is_none_or(|t| now_ms() - t > IDLE_SYNC_MS);
    if waiting || stale {
        sync_now(ctx);
    }
}

/// Starts a sync now (the button, a submission, coming online). If one is running, another
/// round follows it, so a change queued during a sync is not left waiting for the timer.
pub fn sync_now(ctx: Ctx) {
    if ctx.session.get_untracked().is_none() || ctx.session_expired.get_untracked() {
        return;
    }
    if ctx.syncing.get_untracked() {
        AGAIN.set(true);
        return;
    }
    ctx.syncing.set(true);
    spawn_for_app(async move {
        loop {
            AGAIN.set(false);
            let result = run(ctx).await;
            after(ctx, result);
            if !AGAIN.get() || !ctx.reachable.get_untracked() {
                break;
            }
        }
        ctx.syncing.set(false);
    });
}

fn after(ctx: Ctx, result: Result<(), Failure>) {
    ctx.refresh();
    match result {
        Ok(()) => {
            FAILURES.set(0);
            NOT_BEFORE.set(0);
            ctx.reachable.set(true);
            ctx.sync_error.set(None);
        }
        Err(failure) if failure.needs_login() => {
            ctx.reachable.set(true);
            ctx.session_expired.set(true);
            ctx.sync_error.set(Some(failure.message_ru()));
        }
        Err(failure) => {
            ctx.reachable.set(failure != Failure::Unreachable);
            ctx.sync_error.set(Some(failure.message_ru()));
            let attempt = FAILURES.get();
            FAILURES.set(attempt + 1);
            let delay = backoff_ms(attempt, js_sys::Math::random(), 2_000, 5 * 60_000);
            NOT_BEFORE.set(now_ms() + delay as i64);
            set_timeout(move || sync_if_due(ctx), Duration::from_millis(delay));
        }
    }
}

/// Sync rounds until the outbox is empty and nothing more is to be pulled, holding the tab lock
/// so two tabs of one browser never push the same outbox at once.
async fn run(ctx: Ctx) -> Result<(), Failure> {
    let Some(session) = ctx.session.get_untracked() else { return Ok(()) };
    let lock = format!("opora-sync-{}", session.user.id);
    match with_tab_lock(&lock, rounds(ctx, session)).await {
        Some(result) => result,
        // Another tab is syncing this user's outbox right now; it will pick up our changes.
        None => Ok(()),
    }
}

async fn rounds(ctx: Ctx, session: store::StoredSession) -> Result<(), Failure> {
    let user = session.user.id;
    let device = store::device_id();
    // Bounded: a server that always says "more" must not spin the phone's CPU forever.
    for _ in 0..100 {
        let outbox = store::outbox(user);
        let mut count = SIZER.with(|s| s.borrow().current);
        let (body, pushed) = loop {
            let batch = outbox.batch(count, MAX_PUSH_BYTES);
            let pushed = batch.len();
            let request = SyncRequest {
                protocol: PROTOCOL_VERSION,
                device,
                push: batch,
                cursor: store::cursor(user),
                pull_limit: PULL_LIMIT,
            };
            let body = api::Body::json(&request).await;
            // A request that would exceed the cap goes in smaller batches.
            if body.len() <= MAX_REQUEST_BYTES || pushed <= 1 {
                break (body, pushed);
            }
            count = pushed / 2;
        };
        let response = match api::sync(&session.token, body).await {
            Ok(r) => r,
            Err(failure) => {
                if failure == Failure::Unreachable {
                    SIZER.with(|s| s.borrow_mut().on_failure());
                }
                return Err(failure);
            }
        };
        SIZER.with(|s| s.borrow_mut().on_success());
        let more = response.more;
        for write in plan_response(&outbox, user, response) {
            perform(ctx, user, write)?;
        }
        ctx.report_write(store::set_last_sync(user, now_ms()));
        ctx.refresh();
        let left = store::outbox_len(user);
        if !more && (left == 0 || pushed == 0) {
            return Ok(());
        }
    }
    Ok(())
}

/// Carries out one write of the plan. A failed write stops the sync before anything after it
/// (above all the cursor) is written: what was not kept is fetched again next time.
fn perform(ctx: Ctx, user: UserId, write: LocalWrite) -> Result<(), Failure> {
    let result = match write {
        LocalWrite::KeepSubmission { submission, synced, rejected } => {
            store::put_submission(user, &LocalSubmission { submission, synced, rejected })
        }
        LocalWrite::KeepRejected { seq, change, error } => {
            store::put_rejected(user, seq, &RejectedChange { change, error })
        }
        LocalWrite::RemoveFromOutbox { seq } => {
            store::remove_from_outbox(user, seq);
            Ok(())
        }
        LocalWrite::KeepForm { form } => store::put_form(&form),
        LocalWrite::KeepProfile { user: profile } => match ctx.session.get_untracked() {
            Some(mut session) if session.user.id == profile.id => {
                session.user = profile;
                let stored = store::set_session(&session);
                ctx.session.set(Some(session));
                stored
            }
            _ => Ok(()),
        },
        LocalWrite::KeepReportForm { form } => store::put_report_form(&form),
        LocalWrite::KeepReport { report } => store::keep_server_report(user, &report),
        LocalWrite::ReportAccepted { key, seq, held_back, base_revision, sent } => {
            store::report_accepted(user, &key, seq, &held_back, base_revision, &sent)
        }
        LocalWrite::SetCursor { cursor } => store::set_cursor(user, cursor),
    };
    if ctx.report_write(result) {
        Ok(())
    } else {
        Err(Failure::Api(ApiError::with_detail(ErrorCode::Unknown, "browser storage is full")))
    }
}

/// Runs `work` holding the Web Lock `name` if no other tab holds it; `None` if one does.
/// Without the Web Locks API (old browsers, plain-HTTP origins) the work simply runs.
async fn with_tab_lock<T: 'static>(name: &str, work: impl Future<Output = T> + 'static) -> Option<T> {
    let navigator = window().navigator();
    let locks = js_sys::Reflect::get(&navigator, &"locks".into()).ok().filter(|l| !l.is_undefined());
    let request = locks
        .as_ref()
        .and_then(|l| js_sys::Reflect::get(l, &"request".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let (Some(locks), Some(request)) = (locks, request) else { return Some(work.await) };
    let result = Rc::new(RefCell::new(None));
    let slot = result.clone();
    let granted = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if lock.is_null() {
            return JsValue::NULL;
        }
        wasm_bindgen_futures::future_to_promise(async move {
            *slot.borrow_mut() = Some(work.await);
            Ok(JsValue::UNDEFINED)
        })
        .into()
    });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let promise = request.call3(&locks, &name.into(), &options, &granted).ok()?;
    let _ = JsFuture::from(js_sys::Promise::from(promise)).await;
    result.take()
}
