//! Throttling guesses (passwords, activation codes) without letting a stranger lock out the real
//! user.
//!
//! A [`Throttle`] keeps counters of failed attempts, each under a [`Limit`]: at most `max` failures
//! within [`WINDOW_MS`]; the failure that reaches `max` locks the counter for a whole window from
//! then on. The login handler uses two limits per attempt, one per (account, client) and one per
//! client over all accounts, so guesses from an attacker's address lock out that address only;
//! activation uses one per client.
//!
//! An attempt **reserves** a slot on every limit before it is checked (a slow Argon2 hash), so
//! parallel attempts cannot all pass a check made before any of them failed. A slot held by an
//! attempt still being checked is not a failure: when a limit's failures and held slots reach its
//! `max` but its failures alone do not, the new attempt **waits** for the held ones to be
//! recorded ([`Throttle::reserve`]) rather than being refused: if they fail, the counter locks and
//! the waiter is refused with the lockout's true wait; if they succeed, the waiter gets its slot.
//! So at most `max` guesses are ever checked in a window, and a right password is never refused
//! for someone else's attempts in flight. Reserving is all-or-nothing over the limits, under one
//! lock. A reservation dropped without an outcome (an error on the way) is **released** and
//! counts for nothing; a slot nobody gave back (its process was killed) stops counting
//! [`PENDING_LEASE_MS`] after the counter's latest reservation.
//!
//! Refusals are counted, not logged one by one: the first refusal of a lockout is reported once
//! ([`Refused::first`]) and the number refused is reported when the lockout ends
//! ([`Throttle::finished`]), so an audit trail of a flood is two rows per counter, not one per
//! request.
//!
//! Where the counters live: in this process's memory with SQLite (one server process per
//! database file), in the database with PostgreSQL ([`Storage::shares_throttles`]), so that
//! several server processes behind one proxy count the same attempts: a guesser cannot multiply
//! his attempts by the number of servers. The rules above are the same code either way: each
//! operation loads the counters of its limits, applies them, and stores them back under a lock
//! that covers every process ([`Storage::update_throttle`]).

use crate::storage::{Storage, StorageError, ThrottleCounter};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// How long failures count, and how long a counter that reached its limit stays locked.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// How long reserved slots count after the latest reservation on their counter. A check takes well
/// under a second; only a slot whose process died without recording it lives this long, and
/// waiters then go ahead rather than wait for ever.
pub const PENDING_LEASE_MS: i64 = 30 * 1000;

/// How often a waiting attempt looks at its counters again at most, when no recorded attempt of
/// this process woke it first (another process's attempts wake nobody here).
const WAIT_POLL_MAX: std::time::Duration = std::time::Duration::from_millis(400);

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

/// An attempt refused without being checked: only by a locked counter.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    /// Milliseconds until the counter unlocks: the true wait.
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

/// One counter: failures in its window, attempts still being checked, its lockout.
type Counter = ThrottleCounter;

impl ThrottleCounter {
    fn new(limit: &Limit, now_ms: i64) -> Self {
        Counter {
            failures: 0,
            pending: 0,
            pending_at_ms: now_ms,
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

    /// Slots still held by attempts being checked; none once the lease has passed.
    fn held(&mut self, now_ms: i64) -> u32 {
        if self.pending > 0 && now_ms - self.pending_at_ms >= PENDING_LEASE_MS {
            self.pending = 0;
        }
        self.pending
    }

    fn idle(&self) -> bool {
        self.pending == 0 && self.failures == 0 && self.refused == 0 && self.locked_until_ms.is_none()
    }
}

/// Where the counters are kept.
#[derive(Clone)]
enum Counters {
    Memory(Arc<Mutex<HashMap<String, Counter>>>),
    Shared(Arc<dyn Storage>),
}

/// Failed-attempt counters, shared by every request of this process and, with a database that
/// holds them, of every process.
#[derive(Clone)]
pub struct Throttle {
    counters: Counters,
    /// Ended lockouts not yet reported (`finished`).
    finished: Arc<Mutex<Vec<Finished>>>,
    last_sweep_ms: Arc<AtomicI64>,
    /// Wakes a waiter whenever an attempt of this process is recorded or released.
    settled: Arc<tokio::sync::Notify>,
}

/// What a limit says to an attempt now.
enum Decision {
    Reserved,
    Refused(Refused),
    /// Full only with attempts still being checked: look again when they are recorded.
    Wait,
}

/// A slot on each of an attempt's limits, held while the attempt is checked. Dropping it without
/// [`Throttle::record`] releases the slots.
#[must_use = "an attempt's outcome must be recorded"]
pub struct Reservation {
    throttle: Throttle,
    limits: Vec<Limit>,
}

type Result<T> = std::result::Result<T, StorageError>;

impl Throttle {
    /// Counters in this process's memory.
    pub fn in_memory() -> Self {
        Throttle {
            counters: Counters::Memory(Default::default()),
            finished: Default::default(),
            last_sweep_ms: Default::default(),
            settled: Default::default(),
        }
    }

    /// Counters where `store` says they belong: in the database when several processes share it.
    pub fn for_store(store: &Arc<dyn Storage>) -> Self {
        if store.shares_throttles() {
            Throttle { counters: Counters::Shared(Arc::clone(store)), ..Throttle::in_memory() }
        } else {
            Throttle::in_memory()
        }
    }

    /// Runs `apply` on the counters of `keys` (absent ones are not in the map; what `apply` leaves
    /// in the map is stored, what it removes is deleted), atomically across every process that
    /// shares them.
    async fn with_counters<R: Send>(
        &self,
        keys: &[String],
        apply: impl FnOnce(&mut HashMap<String, Counter>) -> R + Send,
    ) -> Result<R> {
        match &self.counters {
            Counters::Memory(map) => Ok(apply(&mut map.lock().unwrap_or_else(|e| e.into_inner()))),
            Counters::Shared(store) => {
                let mut apply = Some(apply);
                let mut result = None;
                store
                    .update_throttle(keys, &mut |rows: &mut [Option<Counter>]| {
                        let mut map: HashMap<String, Counter> = keys
                            .iter()
                            .zip(rows.iter_mut())
                            .filter_map(|(k, c)| Some((k.clone(), c.take()?)))
                            .collect();
                        if let Some(apply) = apply.take() {
                            result = Some(apply(&mut map));
                        }
                        for (key, row) in keys.iter().zip(rows.iter_mut()) {
                            *row = map.remove(key);
                        }
                    })
                    .await?;
                Ok(result.expect("update_throttle calls its update once"))
            }
        }
    }

    /// Forgets counters with nothing to remember, once a minute (per process) or, in memory, when
    /// there are too many; ended lockouts that refused attempts are kept for [`Throttle::finished`].
    async fn sweep(&self, now_ms: i64) -> Result<()> {
        let due = now_ms - self.last_sweep_ms.load(Ordering::Relaxed) >= SWEEP_EVERY_MS;
        let mut ended = Vec::new();
        match &self.counters {
            Counters::Memory(map) => {
                let mut counters = map.lock().unwrap_or_else(|e| e.into_inner());
                if !due && counters.len() < MAX_COUNTERS {
                    return Ok(());
                }
                self.last_sweep_ms.store(now_ms, Ordering::Relaxed);
                counters.retain(|_, c| {
                    ended.extend(c.expire(now_ms));
                    !c.idle()
                });
            }
            Counters::Shared(store) => {
                if !due {
                    return Ok(());
                }
                self.last_sweep_ms.store(now_ms, Ordering::Relaxed);
                ended.extend(
                    store
                        .sweep_throttle(now_ms, WINDOW_MS)
                        .await?
                        .iter()
                        .filter(|c| c.refused > 0)
                        .map(|c| c.finished()),
                );
            }
        }
        self.finished.lock().unwrap_or_else(|e| e.into_inner()).extend(ended);
        Ok(())
    }

    /// Reserves a slot on every limit, or none. A locked limit refuses, with the time until it
    /// unlocks. A limit full only with attempts still being checked makes this attempt wait until
    /// they are recorded (then it is reserved or refused by what they turned out to be); `now` is
    /// read again each time it looks.
    pub async fn reserve(
        &self,
        limits: &[Limit],
        now: &(dyn Fn() -> i64 + Sync),
    ) -> Result<std::result::Result<Reservation, Refused>> {
        let mut poll = std::time::Duration::from_millis(20);
        let mut waited = false;
        loop {
            // Registered before looking, so a record made in between still wakes this attempt.
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            let decision = self.try_reserve(limits, now()).await?;
            if waited && !matches!(decision, Decision::Wait) {
                // A record wakes one waiter, not all (each look is a transaction on PostgreSQL);
                // one that is done passes the wake on, so after a lockout every waiter hears.
                self.settled.notify_one();
            }
            match decision {
                Decision::Reserved => {
                    return Ok(Ok(Reservation { throttle: self.clone(), limits: limits.to_vec() }));
                }
                Decision::Refused(refused) => return Ok(Err(refused)),
                Decision::Wait => {
                    waited = true;
                    tokio::select! {
                        () = &mut settled => {}
                        () = tokio::time::sleep(poll) => poll = (poll * 2).min(WAIT_POLL_MAX),
                    }
                }
            }
        }
    }

    /// One look at the limits: reserve a slot on each, refuse (a locked one), or wait.
    async fn try_reserve(&self, limits: &[Limit], now_ms: i64) -> Result<Decision> {
        self.sweep(now_ms).await?;
        let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
        let (decision, ended) = self
            .with_counters(&keys, |counters| {
                let mut ended = Vec::new();
                let mut wait = false;
                let mut refused: Option<Refused> = None;
                // Checked first, created only for a reserved attempt: a flood of refused requests
                // with made-up names leaves no counters behind.
                for limit in limits {
                    let Some(counter) = counters.get_mut(&limit.key) else { continue };
                    ended.extend(counter.expire(now_ms));
                    if let Some(until) = counter.locked_until_ms {
                        counter.refused += 1;
                        // Every locked counter must unlock before an attempt passes: the true
                        // wait is the longest, and that counter is the one reported.
                        if refused.as_ref().is_none_or(|r| r.retry_after_ms < until - now_ms) {
                            refused = Some(Refused {
                                retry_after_ms: until - now_ms,
                                first: counter.refused == 1,
                                subject: counter.subject.clone(),
                                client: counter.client.clone(),
                                failures: counter.failures,
                            });
                        }
                    } else if counter.failures + counter.held(now_ms) >= limit.max {
                        // Not a refusal: the attempts in flight may all be right.
                        wait = true;
                    }
                }
                if let Some(refused) = refused {
                    return (Decision::Refused(refused), ended);
                }
                if wait {
                    return (Decision::Wait, ended);
                }
                for limit in limits {
                    let counter = counters.entry(limit.key.clone()).or_insert_with(|| Counter::new(limit, now_ms));
                    counter.pending += 1;
                    counter.pending_at_ms = now_ms;
                }
                (Decision::Reserved, ended)
            })
            .await?;
        self.finished.lock().unwrap_or_else(|e| e.into_inner()).extend(ended);
        Ok(decision)
    }

    /// Settles a reservation with the attempt's outcome. A failure that brings a counter to its
    /// `max` locks it for [`WINDOW_MS`] from `now_ms`.
    pub async fn record(&self, mut reservation: Reservation, outcome: Outcome, now_ms: i64) -> Result<()> {
        let limits = std::mem::take(&mut reservation.limits);
        let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
        self.with_counters(&keys, |counters| {
            for limit in limits {
                let Some(counter) = counters.get_mut(&limit.key) else { continue };
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
        })
        .await?;
        self.settled.notify_one();
        Ok(())
    }

    /// Gives a reservation's slots back without counting the attempt (it was never judged).
    pub async fn release(&self, mut reservation: Reservation) -> Result<()> {
        self.release_limits(std::mem::take(&mut reservation.limits)).await
    }

    async fn release_limits(&self, limits: Vec<Limit>) -> Result<()> {
        if limits.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
        self.with_counters(&keys, |counters| {
            for key in &keys {
                if let Some(counter) = counters.get_mut(key) {
                    counter.pending = counter.pending.saturating_sub(1);
                }
            }
        })
        .await?;
        self.settled.notify_one();
        Ok(())
    }

    /// Lockouts that ended since the last call and refused attempts, each once.
    pub fn finished(&self) -> Vec<Finished> {
        std::mem::take(&mut self.finished.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// How many counters are held in memory (for tests of the memory bound).
    #[cfg(test)]
    fn len(&self) -> usize {
        match &self.counters {
            Counters::Memory(map) => map.lock().unwrap_or_else(|e| e.into_inner()).len(),
            Counters::Shared(_) => 0,
        }
    }
}

impl Drop for Reservation {
    /// An attempt abandoned on the way (an error, a dropped request) gives its slots back. In
    /// memory at once; in the database from a task, as `drop` cannot wait (if that fails, the
    /// sweep forgets the pending slot after a few windows).
    fn drop(&mut self) {
        let limits = std::mem::take(&mut self.limits);
        if limits.is_empty() {
            return;
        }
        let throttle = self.throttle.clone();
        match &throttle.counters {
            Counters::Memory(map) => {
                let mut counters = map.lock().unwrap_or_else(|e| e.into_inner());
                for limit in limits {
                    if let Some(counter) = counters.get_mut(&limit.key) {
                        counter.pending = counter.pending.saturating_sub(1);
                    }
                }
                drop(counters);
                throttle.settled.notify_one();
            }
            Counters::Shared(_) => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        if let Err(e) = throttle.release_limits(limits).await {
                            tracing::warn!(error = %e, "releasing a throttle reservation failed");
                        }
                    });
                }
            }
        }
    }
}

/// At most `max` events per key within a window, counted in this process's memory: for reports
/// that only reach the log (the app's crash reports), where a flood must never reach the log and
/// a count lost on restart costs nothing. Unlike [`Throttle`] it counts every event, not failures,
/// and keeps no audit. Memory is bounded: past [`MAX_COUNTERS`] keys, ended windows are forgotten,
/// and while the table stays full a new key is refused.
#[derive(Clone)]
pub struct Quota {
    max: u32,
    window_ms: i64,
    counters: Arc<Mutex<HashMap<String, (i64, u32)>>>,
}

impl Quota {
    pub fn new(max: u32, window_ms: i64) -> Self {
        Quota { max, window_ms, counters: Default::default() }
    }

    /// Counts one event of `key` at `now_ms`, or refuses it with the milliseconds until its
    /// window ends.
    pub fn take(&self, key: &str, now_ms: i64) -> std::result::Result<(), i64> {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if counters.len() >= MAX_COUNTERS && !counters.contains_key(key) {
            counters.retain(|_, (start, _)| now_ms - *start < self.window_ms);
            if counters.len() >= MAX_COUNTERS {
                return Err(self.window_ms);
            }
        }
        let (start, count) = counters.entry(key.to_owned()).or_insert((now_ms, 0));
        if now_ms - *start >= self.window_ms {
            (*start, *count) = (now_ms, 0);
        }
        if *count >= self.max {
            return Err(*start + self.window_ms - now_ms);
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_quota_counts_every_event_per_key_and_opens_again_after_its_window() {
        let quota = Quota::new(3, 1000);
        for _ in 0..3 {
            assert_eq!(quota.take("a", 0), Ok(()));
        }
        assert_eq!(quota.take("a", 400), Err(600));
        assert_eq!(quota.take("b", 400), Ok(()), "another key has its own count");
        assert_eq!(quota.take("a", 1000), Ok(()), "a new window");
    }

    use super::*;

    /// The in-memory throttle driven synchronously, one look at a time (never waiting).
    struct T(Throttle, tokio::runtime::Runtime);

    impl T {
        fn new() -> T {
            T(Throttle::in_memory(), tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap())
        }
        fn reserve(&self, limits: &[Limit], now: i64) -> std::result::Result<Reservation, Refused> {
            match self.1.block_on(self.0.try_reserve(limits, now)).unwrap() {
                Decision::Reserved => Ok(Reservation { throttle: self.0.clone(), limits: limits.to_vec() }),
                Decision::Refused(refused) => Err(refused),
                Decision::Wait => panic!("the attempt would wait"),
            }
        }
        /// Whether an attempt now would wait for attempts in flight.
        fn waits(&self, limits: &[Limit], now: i64) -> bool {
            matches!(self.1.block_on(self.0.try_reserve(limits, now)).unwrap(), Decision::Wait)
        }
        fn record(&self, r: Reservation, outcome: Outcome, now: i64) {
            self.1.block_on(self.0.record(r, outcome, now)).unwrap()
        }
        fn release(&self, r: Reservation) {
            self.1.block_on(self.0.release(r)).unwrap()
        }
        fn finished(&self) -> Vec<Finished> {
            self.0.finished()
        }
        fn len(&self) -> usize {
            self.0.len()
        }
    }

    fn limit(key: &str, max: u32) -> Limit {
        Limit { key: key.into(), max, cleared_by_success: true, subject: key.into(), client: "c".into() }
    }

    fn fail(t: &T, limits: &[Limit], now: i64) {
        let r = t.reserve(limits, now).expect("a slot");
        t.record(r, Outcome::Failed, now);
    }

    #[test]
    fn a_counter_locks_at_its_limit_for_a_whole_window() {
        let t = T::new();
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
        let t = T::new();
        let a = [limit("a", 10)];
        for _ in 0..9 {
            fail(&t, &a, 0);
        }
        let held = t.reserve(&a, 0).expect("the tenth slot");
        for _ in 0..29 {
            assert!(t.waits(&a, 0), "no slot while the tenth is being checked, and no refusal either");
        }
        t.record(held, Outcome::Failed, 0);
        let refused = t.reserve(&a, 1).err().expect("locked once it failed");
        assert_eq!(refused.retry_after_ms, WINDOW_MS - 1, "the lockout's true wait");
    }

    #[test]
    fn attempts_in_flight_that_succeed_free_their_slots_for_the_waiters() {
        let t = T::new();
        let a = [limit("a", 10)];
        let held: Vec<_> = (0..10).map(|_| t.reserve(&a, 0).expect("a slot")).collect();
        assert!(t.waits(&a, 0), "the eleventh waits: the ten may all be right");
        for r in held {
            t.record(r, Outcome::Succeeded, 0);
        }
        assert!(t.reserve(&a, 0).is_ok(), "and is checked once they were");
    }

    #[test]
    fn a_waiting_attempt_is_woken_when_a_slot_is_recorded() {
        let t = T::new();
        let a = [limit("a", 1)];
        let held = t.reserve(&a, 0).expect("the one slot");
        let throttle = t.0.clone();
        let waiter = t.1.spawn(async move { throttle.reserve(&[limit("a", 1)], &|| 0).await });
        t.1.block_on(async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            assert!(!waiter.is_finished(), "it waits while the slot is held");
        });
        t.record(held, Outcome::Succeeded, 0);
        let got = t.1.block_on(async { tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await });
        assert!(got.expect("woken in time").unwrap().unwrap().is_ok());
    }

    #[test]
    fn a_slot_nobody_gave_back_stops_counting_after_the_lease() {
        let t = T::new();
        let a = [limit("a", 1)];
        std::mem::forget(t.reserve(&a, 0).expect("a slot its process never records"));
        assert!(t.waits(&a, PENDING_LEASE_MS - 1));
        assert!(t.reserve(&a, PENDING_LEASE_MS).is_ok());
    }

    #[test]
    fn a_dropped_or_released_reservation_counts_for_nothing() {
        let t = T::new();
        let a = [limit("a", 1)];
        drop(t.reserve(&a, 0).expect("a slot"));
        let r = t.reserve(&a, 0).expect("the slot came back");
        t.release(r);
        fail(&t, &a, 0);
        assert!(t.reserve(&a, 0).is_err());
    }

    #[test]
    fn reserving_is_all_or_nothing() {
        let t = T::new();
        let wide = limit("client", 1);
        fail(&t, std::slice::from_ref(&wide), 0);
        // The client's counter is locked: the account's gets no slot either.
        assert!(t.reserve(&[limit("acct", 1), wide], 0).is_err());
        assert!(t.reserve(&[limit("acct", 1)], 0).is_ok(), "the refused attempt reserved nothing");
    }

    #[test]
    fn a_refusal_waits_for_the_last_of_its_locked_counters() {
        let t = T::new();
        let (acct, client) = (limit("acct", 1), Limit { cleared_by_success: false, ..limit("client", 2) });
        fail(&t, &[acct.clone(), client.clone()], 0);
        fail(&t, std::slice::from_ref(&client), 60_000);
        let refused = t.reserve(&[acct, client], 120_000).err().expect("both locked");
        assert_eq!(refused.retry_after_ms, 60_000 + WINDOW_MS - 120_000, "until the later unlock");
        assert_eq!(refused.subject, "client");
    }

    #[test]
    fn a_success_clears_only_the_counters_it_should() {
        let t = T::new();
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
        let t = T::new();
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
        let t = T::new();
        for i in 0..100 {
            fail(&t, &[limit(&format!("k{i}"), 10)], 0);
        }
        assert_eq!(t.len(), 100);
        let _ = t.reserve(&[limit("new", 10)], WINDOW_MS + SWEEP_EVERY_MS);
        assert_eq!(t.len(), 1, "only the counter just used");
    }
}
