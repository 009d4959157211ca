//! Work that outlives the click that started it: a request whose answer arrives later.
//!
//! A view's signals, stored values and callbacks are disposed when the view goes away (another
//! page, or another group or year of the analytics, which renders the views anew). An answer that
//! arrives afterwards must not read them: reading a disposed value or running a disposed callback
//! panics, and under `panic = "abort"` a panic stops the whole app half-updated. So work for a
//! view is spawned through that view's [`Scope`], which drops the task at its next `.await` once
//! the view is gone: nothing after that point runs. Work for the whole app (sync, sessions)
//! touches only `Ctx`, which lives as long as the page, and goes through [`spawn_for_app`].
//! `clippy.toml` refuses `spawn_local` anywhere else, so no task escapes these two doors.

use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The view being built, as long as it is on screen. Copy it into event handlers freely.
#[derive(Clone, Copy)]
pub struct Scope(StoredValue<()>);

impl Scope {
    /// The view whose component is running now: disposed with it.
    pub fn here() -> Self {
        Scope(StoredValue::new(()))
    }

    /// Whether the view is still on screen (its values may be read).
    pub fn alive(self) -> bool {
        self.0.try_with_value(|_| ()).is_some()
    }

    /// Runs `task` for this view; once the view is gone, the task stops at its next `.await`.
    pub fn spawn(self, task: impl Future<Output = ()> + 'static) {
        if self.alive() {
            spawn_for_app(WhileAlive { scope: self, task: Box::pin(task) });
        }
    }
}

/// Runs `task` for the whole app. It may touch `Ctx` and write (never read) a view's signals: a
/// write to a disposed signal does nothing, a read panics.
#[allow(clippy::disallowed_methods)]
pub fn spawn_for_app(task: impl Future<Output = ()> + 'static) {
    leptos::task::spawn_local(task);
}

/// A task that is dropped, unfinished, when its scope is gone.
struct WhileAlive<F> {
    scope: Scope,
    task: Pin<Box<F>>,
}

impl<F: Future<Output = ()>> Future for WhileAlive<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Between two polls the view may have gone: the answer that woke us is not for anyone.
        if !self.scope.alive() {
            return Poll::Ready(());
        }
        self.task.as_mut().poll(cx)
    }
}

/// The number of the latest of a view's requests of one kind: an answer to an older request
/// that arrives after a newer one was sent is not shown over it.
#[derive(Clone, Copy)]
pub struct Latest(StoredValue<u64>);

impl Default for Latest {
    fn default() -> Self {
        Latest(StoredValue::new(0))
    }
}

impl Latest {
    /// A new request: its number.
    pub fn next(self) -> u64 {
        self.0.update_value(|n| *n += 1);
        self.0.get_value()
    }

    /// Whether request `n` is still the latest.
    pub fn is(self, n: u64) -> bool {
        self.0.try_get_value() == Some(n)
    }
}
