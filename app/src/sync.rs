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
use crate::util::now_ms;
use leptos::prelude::*;
use leptos::task::spawn_local;
use opora_domain::sync::{BatchSizer, Change, PROTOCOL_VERSION, Pulled, SyncRequest, SyncResponse, backoff_ms};
use opora_domain::UserId;
use std::cell::{Cell, RefCell};
use std::time::Duration;

/// Push at most this many bytes of changes per request (before compression).
const MAX_PUSH_BYTES: usize = 64 * 1024;
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
    // Listeners live as long as the app.
    std::mem::forget((on_online, on_offline, on_visible));
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
    spawn_local(async move {
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

/// Sync rounds until the outbox is empty and nothing more is to be pulled.
async fn run(ctx: Ctx) -> Result<(), Failure> {
    let Some(session) = ctx.session.get_untracked() else { return Ok(()) };
    let user = session.user.id;
    let device = store::device_id();
    // Bounded: a server that always says "more" must not spin the phone's CPU forever.
    for _ in 0..100 {
        let outbox = store::outbox(user);
        let batch = outbox.batch(SIZER.with(|s| s.borrow().current), MAX_PUSH_BYTES);
        let pushed = batch.len();
        let request = SyncRequest {
            protocol: PROTOCOL_VERSION,
            device,
            push: batch,
            cursor: store::cursor(user),
            pull_limit: PULL_LIMIT,
        };
        let response = match api::sync(&session.token, &request).await {
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
        store_response(ctx, user, response)?;
        ctx.refresh();
        let left = store::outbox_len(user);
        if !more && (left == 0 || pushed == 0) {
            return Ok(());
        }
    }
    Ok(())
}

fn write(ctx: Ctx, result: Result<(), store::WriteError>) -> Result<(), Failure> {
    if ctx.report_write(result) {
        Ok(())
    } else {
        // Stop before advancing anything: what was not stored will be fetched again.
        Err(Failure::Api(opora_domain::api::ApiError::with_detail(
            opora_domain::api::ErrorCode::Unknown,
            "local storage is full",
        )))
    }
}

fn store_response(ctx: Ctx, user: UserId, response: SyncResponse) -> Result<(), Failure> {
    let mut outbox = store::outbox(user);
    let settled = outbox.settle(&response.acks);
    for (seq, change) in settled.applied {
        let Change::SubmitSelfDiagnosis { submission } = change;
        let local = LocalSubmission { submission, synced: true, rejected: None };
        write(ctx, store::put_submission(user, &local))?;
        store::remove_from_outbox(user, seq);
    }
    for (seq, change, error) in settled.rejected {
        let Change::SubmitSelfDiagnosis { submission } = &change;
        let local = LocalSubmission { submission: submission.clone(), synced: false, rejected: Some(error.clone()) };
        write(ctx, store::put_submission(user, &local))?;
        write(ctx, store::put_rejected(user, seq, &RejectedChange { change, error }))?;
        store::remove_from_outbox(user, seq);
    }
    for record in response.pulled {
        match record {
            Pulled::Form { form } => write(ctx, store::put_form(&form))?,
            Pulled::Profile { user: profile } => {
                if let Some(mut session) = ctx.session.get_untracked().filter(|s| s.user.id == profile.id) {
                    session.user = profile;
                    write(ctx, store::set_session(&session))?;
                    ctx.session.set(Some(session));
                }
            }
            Pulled::SelfDiagnosis { stored } if stored.teacher == user => {
                let local = LocalSubmission { submission: stored.submission, synced: true, rejected: None };
                write(ctx, store::put_submission(user, &local))?;
            }
            Pulled::SelfDiagnosis { .. } => {}
        }
    }
    write(ctx, store::set_cursor(user, response.cursor))?;
    write(ctx, store::set_last_sync(user, now_ms()))?;
    Ok(())
}
