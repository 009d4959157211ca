//! Throttling guesses (passwords, activation codes) without letting a stranger lock out the real
//! user.
//!
//! A [`Throttle`] keeps counters of failed attempts, each under a [`Limit`]: at most `max` failures
//! within [`WINDOW_MS`]; the failure that reaches `max` locks the counter for a whole window from
//! then on. The login handler uses two limits per attempt, one per (account, client) and one per
//! client over all accounts, so guesses from an attacker's address lock out that address only;
//! activation uses one per client.
//!
//! An attempt **reserves** a slot on every limit before it is checked (a slow Argon2 hash): the
//! reservation counts like a failure until its outcome is **recorded**, so parallel attempts
//! cannot all pass a check made before any of them failed. Reserving is all-or-nothing over the
//! limits, under one lock. A reservation dropped without an outcome (an error on the way) is
//! **released** and counts for nothing.
//!
//! Refusals are counted, not logged one by one: the first refusal of a lockout is reported once
//! ([`Refused::first`]) and the number refused is reported when the lockout ends
//! ([`Throttle::finished`]), so an audit trail of a flood is two rows per counter, not one per
//! request.
//!
//! The counters live in this process's memory. Several server processes would need them in the
//! database: the methods here (reserve, record, release, finished) are the whole interface.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long failures count, and how long a counter that reached its limit stays locked.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Counters that are neither locked nor within their window are forgotten this often at most.
const SWEEP_EVERY_MS: i64 = 60 * 1000;

/// Beyond this many counters, every reservation sweeps. Counters are made only by attempts that
/// were checked (an Argon2 hash each), so the number stays far below it in practice.
const MAX_COUNTERS: usize = 100_000;

/// One counter an attempt is checked against.
#[derive(Clone, Debug)]
pub struct Limit {
    /// The counter's identity, e.g. `login:anna@203.0.113.7`.
    pub key: String,
    /// Failures within the window before the counter locks.
    pub max: u32,
    /// Whether a successful attempt forgets the counter's failures (the account's own counter,
    /// not a client's counter over all accounts).
    pub cleared_by_success: bool,
    /// For the audit log: what was attempted (a login, or `activation`) and from where.
    pub subject: String,
    pub client: String,
}

/// An attempt refused without being checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    /// Milliseconds until the counter unlocks (or a pending attempt settles).
    pub retry_after_ms: i64,
    /// The first refusal of this lockout: the one to audit.
    pub first: bool,
    /// The counter that refused.
    pub subject: String,
    pub client: String,
    /// Its failures in the window.
    pub failures: u32,
}

/// A lockout that ended, with the number of attempts it refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub subject: String,
    pub client: String,
    pub refused: u32,
    pub locked_at_ms: i64,
}

/// How a reserved attempt went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A wrong password or code: counts as a failure on every limit.
    Failed,
    /// The right one: forgets the failures of the limits cleared by success.
    Succeeded,
}

#[derive(Debug)]
struct Counter {
    failures: u32,
    /// Attempts reserved and not yet recorded or released.
    pending: u32,
    window_start_ms: i64,
    locked_until_ms: Option<i64>,
    locked_at_ms: i64,
    refused: u32,
    subject: String,
    client: String,
}

impl Counter {
    fn new(limit: &Limit, now_ms: i64) -> Self {
        Counter {
            failures: 0,
            pending: 0,
            window_start_ms: now_ms,
            locked_until_ms: None,
            locked_at_ms: 0,
            refused: 0,
            subject: limit.subject.clone(),
            client: limit.client.clone(),
        }
    }

    /// Forgets a window or lockout that has passed; returns the ended lockout if it refused any.
    fn expire(&mut self, now_ms: i64) -> Option<Finished> {
        let mut ended = None;
        match self.locked_until_ms {
            Some(until) if now_ms >= until => {
                if self.refused > 0 {
                    ended = Some(self.finished());
                }
                self.locked_until_ms = None;
                self.refused = 0;
                self.failures = 0;
                self.window_start_ms = now_ms;
            }
            Some(_) => {}
            None if now_ms - self.window_start_ms >= WINDOW_MS => {
                if self.refused > 0 {
                    ended = Some(self.finished());
                }
                self.refused = 0;
                self.failures = 0;
                self.window_start_ms = now_ms;
            }
            None => {}
        }
        ended
    }

    fn finished(&self) -> Finished {
        Finished {
            subject: self.subject.clone(),
            client: self.client.clone(),
            refused: self.refused,
            locked_at_ms: self.locked_at_ms,
        }
    }

    fn idle(&self) -> bool {
        self.pending == 0 && self.failures == 0 && self.refused == 0 && self.locked_until_ms.is_none()
    }
}

#[derive(Default)]
struct Inner {
    counters: HashMap<String, Counter>,
    finished: Vec<Finished>,
    last_sweep_ms: i64,
}

impl Inner {
    /// Forgets counters with nothing to remember, once a minute or when there are too many.
    fn sweep(&mut self, now_ms: i64) {
        if now_ms - self.last_sweep_ms < SWEEP_EVERY_MS && self.counters.len() < MAX_COUNTERS {
            return;
        }
        self.last_sweep_ms = now_ms;
        let finished = &mut self.finished;
        self.counters.retain(|_, c| {
            finished.extend(c.expire(now_ms));
            !c.idle()
        });
    }
}

/// Failed-attempt counters, shared by every request of this process.
#[derive(Clone, Default)]
pub struct Throttle {
    inner: Arc<Mutex<Inner>>,
}

/// A slot on each of an attempt's limits, held while the attempt is checked. Dropping it without
/// [`Throttle::record`] releases the slots.
#[must_use = "an attempt's outcome must be recorded"]
pub struct Reservation {
    throttle: Throttle,
    limits: Vec<Limit>,
}

impl Throttle {
    pub fn new() -> Self {
        Throttle::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves a slot on every limit, or none if any of them is full: locked, or its failures
    /// and pending attempts already reach its `max`.
    pub fn reserve(&self, limits: &[Limit], now_ms: i64) -> Result<Reservation, Refused> {
        let mut inner = self.lock();
        inner.sweep(now_ms);
        let Inner { counters, finished, .. } = &mut *inner;
        // Checked first, created only for a reserved attempt: a flood of refused requests with
        // made-up names leaves no counters behind.
        for limit in limits {
            let Some(counter) = counters.get_mut(&limit.key) else { continue };
            finished.extend(counter.expire(now_ms));
            let retry_after_ms = match counter.locked_until_ms {
                Some(until) => Some(until - now_ms),
                None if counter.failures + counter.pending >= limit.max => {
                    // Full only with attempts still being checked: they may yet succeed.
                    Some((counter.window_start_ms + WINDOW_MS - now_ms).max(1000))
                }
                None => None,
            };
            if let Some(retry_after_ms) = retry_after_ms {
                counter.refused += 1;
                return Err(Refused {
                    retry_after_ms,
                    first: counter.refused == 1,
                    subject: counter.subject.clone(),
                    client: counter.client.clone(),
                    failures: counter.failures,
                });
            }
        }
        for limit in limits {
            counters.entry(limit.key.clone()).or_insert_with(|| Counter::new(limit, now_ms)).pending += 1;
        }
        Ok(Reservation { throttle: self.clone(), limits: limits.to_vec() })
    }

    /// Settles a reservation with the attempt's outcome. A failure that brings a counter to its
    /// `max` locks it for [`WINDOW_MS`] from `now_ms`.
    pub fn record(&self, mut reservation: Reservation, outcome: Outcome, now_ms: i64) {
        let limits = std::mem::take(&mut reservation.limits);
        let mut inner = self.lock();
        for limit in limits {
            let Some(counter) = inner.counters.get_mut(&limit.key) else { continue };
            counter.pending = counter.pending.saturating_sub(1);
            match outcome {
                Outcome::Failed => {
                    counter.failures += 1;
                    if counter.failures >= limit.max && counter.locked_until_ms.is_none() {
                        counter.locked_until_ms = Some(now_ms + WINDOW_MS);
                        counter.locked_at_ms = now_ms;
                    }
                }
                Outcome::Succeeded if limit.cleared_by_success && counter.locked_until_ms.is_none() => {
                    counter.failures = 0
                }
                Outcome::Succeeded => {}
            }
        }
    }

    /// Gives a reservation's slots back without counting the attempt (it was never judged).
    pub fn release(&self, mut reservation: Reservation) {
        self.release_limits(std::mem::take(&mut reservation.limits));
    }

    fn release_limits(&self, limits: Vec<Limit>) {
        if limits.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for limit in limits {
            if let Some(counter) = inner.counters.get_mut(&limit.key) {
                counter.pending = counter.pending.saturating_sub(1);
            }
        }
    }

    /// Lockouts that ended since the last call and refused attempts, each once.
    pub fn finished(&self) -> Vec<Finished> {
        std::mem::take(&mut self.lock().finished)
    }

    /// How many counters are held (for tests of the memory bound).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().counters.len()
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.throttle.release_limits(std::mem::take(&mut self.limits));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(key: &str, max: u32) -> Limit {
        Limit { key: key.into(), max, cleared_by_success: true, subject: key.into(), client: "c".into() }
    }

    fn fail(t: &Throttle, limits: &[Limit], now: i64) {
        let r = t.reserve(limits, now).expect("a slot");
        t.record(r, Outcome::Failed, now);
    }

    #[test]
    fn a_counter_locks_at_its_limit_for_a_whole_window() {
        let t = Throttle::new();
        let a = [limit("a", 3)];
        for i in 0..3 {
            fail(&t, &a, i * 1000);
        }
        let refused = t.reserve(&a, 3000).err().expect("locked");
        assert_eq!((refused.retry_after_ms, refused.first, refused.failures), (WINDOW_MS - 1000, true, 3));
        assert!(!t.reserve(&a, 4000).err().expect("still locked").first, "the first refusal is reported once");
        assert!(t.reserve(&[limit("b", 3)], 4000).is_ok(), "other counters are unaffected");
        assert!(t.reserve(&a, 2000 + WINDOW_MS - 1).is_err(), "locked for a window from the last failure");
        assert!(t.reserve(&a, 2000 + WINDOW_MS).is_ok());
    }

    #[test]
    fn reserved_slots_count_until_recorded_so_parallel_attempts_cannot_pass_together() {
        let t = Throttle::new();
        let a = [limit("a", 10)];
        for _ in 0..9 {
            fail(&t, &a, 0);
        }
        let held = t.reserve(&a, 0).expect("the tenth slot");
        for _ in 0..29 {
            assert!(t.reserve(&a, 0).is_err(), "no slot while the tenth is being checked");
        }
        t.record(held, Outcome::Failed, 0);
        assert!(t.reserve(&a, 1).is_err(), "and locked after it failed");
    }

    #[test]
    fn a_dropped_or_released_reservation_counts_for_nothing() {
        let t = Throttle::new();
        let a = [limit("a", 1)];
        drop(t.reserve(&a, 0).expect("a slot"));
        let r = t.reserve(&a, 0).expect("the slot came back");
        t.release(r);
        fail(&t, &a, 0);
        assert!(t.reserve(&a, 0).is_err());
    }

    #[test]
    fn reserving_is_all_or_nothing() {
        let t = Throttle::new();
        let wide = limit("client", 1);
        fail(&t, std::slice::from_ref(&wide), 0);
        // The client's counter is locked: the account's gets no slot either.
        assert!(t.reserve(&[limit("acct", 1), wide], 0).is_err());
        assert!(t.reserve(&[limit("acct", 1)], 0).is_ok(), "the refused attempt reserved nothing");
    }

    #[test]
    fn a_success_clears_only_the_counters_it_should() {
        let t = Throttle::new();
        let acct = limit("acct", 2);
        let client = Limit { cleared_by_success: false, ..limit("client", 2) };
        let both = [acct.clone(), client.clone()];
        fail(&t, &both, 0);
        let r = t.reserve(&both, 0).unwrap();
        t.record(r, Outcome::Succeeded, 0);
        assert!(t.reserve(&[acct], 0).is_ok());
        fail(&t, std::slice::from_ref(&client), 0);
        assert!(t.reserve(&[client], 0).is_err(), "the client's failures were not forgotten");
    }

    #[test]
    fn an_ended_lockout_is_reported_once_with_its_refusals() {
        let t = Throttle::new();
        let a = [limit("a", 1)];
        fail(&t, &a, 0);
        for _ in 0..5 {
            assert!(t.reserve(&a, 10).is_err());
        }
        assert!(t.finished().is_empty(), "not while it lasts");
        let _ = t.reserve(&a, WINDOW_MS).expect("unlocked");
        assert_eq!(t.finished(), [Finished { subject: "a".into(), client: "c".into(), refused: 5, locked_at_ms: 0 }]);
        assert!(t.finished().is_empty());
    }

    #[test]
    fn stale_counters_are_forgotten() {
        let t = Throttle::new();
        for i in 0..100 {
            fail(&t, &[limit(&format!("k{i}"), 10)], 0);
        }
        assert_eq!(t.len(), 100);
        let _ = t.reserve(&[limit("new", 10)], WINDOW_MS + SWEEP_EVERY_MS);
        assert_eq!(t.len(), 1, "only the counter just used");
    }
}
