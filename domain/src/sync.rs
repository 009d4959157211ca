//! The sync protocol: one request pushes the device's outbox and pulls what changed since its
//! cursor, so a normal sync is one round trip.
//!
//! # The contract
//! - Every change a device sends carries an idempotency key: the device id and a per-device
//!   sequence number ([`PushedChange::seq`]). The server applies a change and records its key in
//!   the same transaction, answers a replay with the stored outcome, and acknowledges only what it
//!   has committed.
//! - The client removes a change from its outbox only when it is acknowledged ([`Outbox::settle`]),
//!   and advances its cursor only after it has stored what it pulled. A reload between any two
//!   steps therefore at worst resends a change (answered from the server's record) or re-pulls a
//!   page (applied again, idempotently).
//! - The one exception: a newer whole-report edit replaces queued edits of the same report
//!   ([`crate::report_draft::queue_edit`]). It names them (`Change::SaveReport::replaces`) and the
//!   server records their keys with its outcome, so a copy of one still on its way is answered
//!   from that record when it arrives, however late.
//! - A change the server refuses for good (say, a form version it does not know) comes back as
//!   [`Outcome::Rejected`]; the client moves it out of the outbox into a list the user sees, never
//!   silently dropping it.
//! - Pulls are paged: `more` says another page is waiting.
//!
//! Everything here is pure: the app and the server do the I/O and call these functions to decide.

use crate::api::ApiError;
use crate::diagnosis::{StoredSubmission, Submission};
use crate::form::FormDefinition;
use crate::org::UserProfile;
use crate::report::{FieldProblem, ReportEdit, ReportForm, ReportKey, StoredReport};
use crate::{DeviceId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped only for changes an older peer cannot understand; additions use `#[serde(default)]`.
pub const PROTOCOL_VERSION: u32 = 1;

/// The most records a server returns in one pull page unless the client asks for fewer.
pub const MAX_PULL_LIMIT: u32 = 500;

/// A position in the server's change log: everything at or before it has been pulled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub u64);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub protocol: u32,
    pub device: DeviceId,
    #[serde(default)]
    pub push: Vec<PushedChange>,
    #[serde(default)]
    pub cursor: Cursor,
    #[serde(default = "default_pull_limit")]
    pub pull_limit: u32,
}

fn default_pull_limit() -> u32 {
    MAX_PULL_LIMIT
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushedChange {
    /// Per-device sequence number, strictly increasing; with the device id the idempotency key.
    pub seq: u64,
    pub change: Change,
}

/// Something a user did offline that the server must learn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    SubmitSelfDiagnosis {
        submission: Submission,
    },
    /// A school report as edited on this device (a principal's or her deputy's).
    SaveReport {
        edit: ReportEdit,
        /// This device's earlier edits of the report that this one took the place of in the
        /// outbox ([`crate::report_draft::queue_edit`]), by sequence number, all below this
        /// change's own. Each may still reach the server: a request lost on the way can arrive
        /// late. The server records their keys with this change's outcome in its transaction,
        /// so a late copy of one is answered from that record and changes nothing.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        replaces: Vec<u64>,
    },
}

impl Change {
    /// A report edit that replaces no earlier one.
    pub fn save_report(edit: ReportEdit) -> Change {
        Change::SaveReport { edit, replaces: Vec::new() }
    }

    /// A short Russian description for the outbox list.
    pub fn describe_ru(&self) -> String {
        match self {
            Change::SubmitSelfDiagnosis { .. } => "Самодиагностика".to_owned(),
            Change::SaveReport { edit, .. } if edit.submit => {
                format!("Отчёт «{}» за {} (отправка)", edit.key.form, edit.key.period)
            }
            Change::SaveReport { edit, .. } => format!("Отчёт «{}» за {}", edit.key.form, edit.key.period),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub acks: Vec<Ack>,
    pub pulled: Vec<Pulled>,
    /// The cursor to send next time, once `pulled` is stored.
    pub cursor: Cursor,
    /// Another page of pulled records is waiting.
    pub more: bool,
    pub server_time_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub seq: u64,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Committed (now or by an earlier attempt of the same change).
    Applied,
    /// A report edit committed except the fields listed, whose text did not fit the form
    /// ([`crate::report::hold_back_unfit`]): they were left as the server had them, and the
    /// device keeps what was typed and shows why. Only a device whose own check differs from the
    /// server's (an older app) ever gets this.
    AppliedExcept { held_back: Vec<FieldProblem> },
    /// Refused for good: retrying the same change cannot succeed.
    Rejected { error: ApiError },
}

impl Outcome {
    /// A committed report edit's outcome: applied, or applied except the fields held back.
    pub fn applied_except(held_back: Vec<FieldProblem>) -> Outcome {
        if held_back.is_empty() { Outcome::Applied } else { Outcome::AppliedExcept { held_back } }
    }
}

/// A record the server sends down: reference data the app needs offline, and the user's own
/// records from other devices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Pulled {
    Form {
        form: FormDefinition,
    },
    Profile {
        user: UserProfile,
    },
    SelfDiagnosis {
        stored: StoredSubmission,
    },
    /// A school report form (principals only).
    ReportForm {
        form: ReportForm,
    },
    /// A report of the user's school as the server holds it (principals only).
    Report {
        report: StoredReport,
    },
}

/// The client's queue of changes not yet acknowledged, by sequence number.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    pub entries: BTreeMap<u64, Change>,
    /// The sequence number the next change gets. Never reused, even after the outbox drains.
    pub next_seq: u64,
}

/// What [`Outbox::settle`] did with a response's acknowledgements.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settled {
    /// Committed changes, with the fields the server held back (empty for most).
    pub applied: Vec<(u64, Change, Vec<FieldProblem>)>,
    pub rejected: Vec<(u64, Change, ApiError)>,
}

impl Outbox {
    pub fn push(&mut self, change: Change) -> u64 {
        let seq = self.next_seq.max(self.entries.keys().next_back().map_or(0, |s| s + 1));
        self.entries.insert(seq, change);
        self.next_seq = seq + 1;
        seq
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The oldest changes whose encoded size fits `max_bytes`, at most `max_items`; always at least
    /// one change when the outbox is not empty, so an oversized change is still tried (and refused
    /// with a clear error) rather than blocking the queue in silence.
    pub fn batch(&self, max_items: usize, max_bytes: usize) -> Vec<PushedChange> {
        let mut batch = Vec::new();
        let mut bytes = 0usize;
        for (&seq, change) in self.entries.iter().take(max_items.max(1)) {
            let size = encoded_size(change);
            if !batch.is_empty() && bytes + size > max_bytes {
                break;
            }
            bytes += size;
            batch.push(PushedChange { seq, change: change.clone() });
        }
        batch
    }

    /// Removes acknowledged changes. Rejected ones are returned for the user to see; acks for
    /// changes not in the outbox (a replay of an older response) are ignored.
    pub fn settle(&mut self, acks: &[Ack]) -> Settled {
        let mut settled = Settled::default();
        for ack in acks {
            let Some(change) = self.entries.remove(&ack.seq) else { continue };
            match &ack.outcome {
                Outcome::Applied => settled.applied.push((ack.seq, change, Vec::new())),
                Outcome::AppliedExcept { held_back } => settled.applied.push((ack.seq, change, held_back.clone())),
                Outcome::Rejected { error } => settled.rejected.push((ack.seq, change, error.clone())),
            }
        }
        settled
    }
}

fn encoded_size(change: &Change) -> usize {
    serde_json::to_vec(change).map_or(usize::MAX / 2, |v| v.len())
}

/// One write the client makes to its storage after a sync response, in the order given by
/// [`plan_response`]. The order is the crash-safety argument: a change leaves the outbox only after
/// its outcome is kept, and the cursor moves only after everything pulled is kept, so a page killed
/// between any two writes loses nothing and at worst repeats idempotent work.
#[derive(Clone, Debug, PartialEq)]
pub enum LocalWrite {
    /// Keep the submission as this device knows it: acknowledged (`synced`), refused
    /// (`rejected`), or pulled from the server.
    KeepSubmission {
        submission: Submission,
        synced: bool,
        rejected: Option<ApiError>,
    },
    /// Keep a refused change for the user to see and download.
    KeepRejected {
        seq: u64,
        change: Change,
        error: ApiError,
    },
    RemoveFromOutbox {
        seq: u64,
    },
    KeepForm {
        form: FormDefinition,
    },
    KeepProfile {
        user: UserProfile,
    },
    KeepReportForm {
        form: ReportForm,
    },
    /// The server's copy of a report; the device's own unsent edits stay in its draft.
    KeepReport {
        report: StoredReport,
    },
    /// The server committed an edit of this report (change `seq`): keep the fields it held back
    /// for the user to see (none clears the list), and forget refusals of earlier edits of the
    /// same report, which this one supersedes.
    ReportAccepted {
        key: ReportKey,
        seq: u64,
        held_back: Vec<FieldProblem>,
        /// The revision the edit started from and the fields it sent: the draft's new base
        /// ([`crate::report_draft::acknowledged`]).
        base_revision: u32,
        sent: crate::merge::Fields,
    },
    SetCursor {
        cursor: Cursor,
    },
}

/// The writes that store `response` for `user`, given the outbox the request was built from.
pub fn plan_response(outbox: &Outbox, user: UserId, response: SyncResponse) -> Vec<LocalWrite> {
    let mut outbox = outbox.clone();
    let settled = outbox.settle(&response.acks);
    let mut writes = Vec::new();
    for (seq, change, held_back) in settled.applied {
        match change {
            Change::SubmitSelfDiagnosis { submission } => {
                writes.push(LocalWrite::KeepSubmission { submission, synced: true, rejected: None })
            }
            // The report itself comes back in the pull with its merged fields and new revision.
            Change::SaveReport { edit, .. } => writes.push(LocalWrite::ReportAccepted {
                key: edit.key,
                seq,
                held_back,
                base_revision: edit.base_revision,
                sent: edit.fields,
            }),
        }
        writes.push(LocalWrite::RemoveFromOutbox { seq });
    }
    for (seq, change, error) in settled.rejected {
        if let Change::SubmitSelfDiagnosis { submission } = &change {
            writes.push(LocalWrite::KeepSubmission {
                submission: submission.clone(),
                synced: false,
                rejected: Some(error.clone()),
            });
        }
        writes.push(LocalWrite::KeepRejected { seq, change, error });
        writes.push(LocalWrite::RemoveFromOutbox { seq });
    }
    for record in response.pulled {
        match record {
            Pulled::Form { form } => writes.push(LocalWrite::KeepForm { form }),
            Pulled::Profile { user: profile } if profile.id == user => {
                writes.push(LocalWrite::KeepProfile { user: profile })
            }
            Pulled::SelfDiagnosis { stored } if stored.teacher == user => {
                writes.push(LocalWrite::KeepSubmission { submission: stored.submission, synced: true, rejected: None })
            }
            Pulled::ReportForm { form } => writes.push(LocalWrite::KeepReportForm { form }),
            Pulled::Report { report } => writes.push(LocalWrite::KeepReport { report }),
            // Never someone else's records, even if a server sent them.
            Pulled::Profile { .. } | Pulled::SelfDiagnosis { .. } => {}
        }
    }
    writes.push(LocalWrite::SetCursor { cursor: response.cursor });
    writes
}

/// The earliest time a device may claim for something it did: before the programmes and this
/// app existed (1 January 2020, UTC).
pub const EARLIEST_DEVICE_TIME_MS: i64 = 1_577_836_800_000;

/// How far ahead of the server a device's clock may run before its times are impossible.
pub const DEVICE_CLOCK_AHEAD_MS: i64 = 2 * 24 * 60 * 60 * 1000;

/// Checks a time a device reports (when a self-diagnosis was started or sent, when a report was
/// edited). Such times are kept as information only: what is latest is decided by the server's
/// order of receipt. But a time before 2020 or days ahead of the server's clock is impossible
/// and would print as nonsense, so it is refused with the reason, in Russian.
pub fn check_device_time(what: &str, at_ms: i64, server_now_ms: i64) -> Result<(), String> {
    if at_ms < EARLIEST_DEVICE_TIME_MS || at_ms > server_now_ms.saturating_add(DEVICE_CLOCK_AHEAD_MS) {
        return Err(format!(
            "{what}: время устройства ({at_ms} мс) невозможно. Проверьте дату и время в настройках \
             телефона или компьютера."
        ));
    }
    Ok(())
}

/// Checks that a request's changes come in strictly increasing sequence order, and that a change
/// replaces only earlier ones. Two changes with one number would share one idempotency key, and
/// the second would be answered with the first's outcome and never stored; a change naming its
/// own or a later number as replaced would answer for a change not yet made: such a request is
/// refused whole.
pub fn check_push_order(push: &[PushedChange]) -> Result<(), String> {
    if let Some(w) = push.windows(2).find(|w| w[0].seq >= w[1].seq) {
        return Err(format!(
            "push: seq {} follows seq {}; sequence numbers must strictly increase",
            w[1].seq, w[0].seq
        ));
    }
    for pushed in push {
        if let Change::SaveReport { replaces, .. } = &pushed.change
            && let Some(later) = replaces.iter().find(|&&r| r >= pushed.seq)
        {
            return Err(format!("push: seq {} replaces seq {later}; a change replaces only earlier ones", pushed.seq));
        }
    }
    Ok(())
}

/// How many changes to send in one request. Halves after a failed attempt (a link that resets
/// every 60 KB must still make progress) and grows back after successes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSizer {
    pub current: usize,
    pub max: usize,
}

impl Default for BatchSizer {
    fn default() -> Self {
        // Large enough that a normal outbox (a hundred self-diagnoses) goes in one request; the
        // byte cap on the compressed request is what usually limits a batch.
        BatchSizer { current: 200, max: 500 }
    }
}

impl BatchSizer {
    pub fn on_success(&mut self) {
        self.current = (self.current * 2).min(self.max).max(1);
    }

    pub fn on_failure(&mut self) {
        self.current = (self.current / 2).max(1);
    }
}

/// Exponential backoff with full jitter: the `attempt`-th retry waits a random time up to
/// `base · 2^attempt`, capped. `jitter` is a number in [0, 1) supplied by the caller, who owns the
/// randomness.
pub fn backoff_ms(attempt: u32, jitter: f64, base_ms: u64, cap_ms: u64) -> u64 {
    let ceiling = base_ms.saturating_mul(1u64 << attempt.min(20)).min(cap_ms);
    let jitter = jitter.clamp(0.0, 1.0);
    // Never zero: a retry storm at zero delay is what backoff exists to prevent.
    ((ceiling as f64 * jitter) as u64).max(base_ms / 2).min(cap_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;
    use crate::{FormRef, SubmissionId};

    fn change(n: u128) -> Change {
        Change::SubmitSelfDiagnosis {
            submission: Submission {
                id: SubmissionId(uuid::Uuid::from_u128(n)),
                form: FormRef { id: "f".into(), version: 1 },
                subject: "math".into(),
                answers: Default::default(),
                started_at_ms: 0,
                submitted_at_ms: 0,
            },
        }
    }

    #[test]
    fn sequence_numbers_are_never_reused_after_the_outbox_drains() {
        let mut o = Outbox::default();
        assert_eq!((o.push(change(1)), o.push(change(2))), (0, 1));
        o.settle(&[Ack { seq: 0, outcome: Outcome::Applied }, Ack { seq: 1, outcome: Outcome::Applied }]);
        assert!(o.is_empty());
        assert_eq!(o.push(change(3)), 2);
    }

    #[test]
    fn settle_removes_only_acknowledged_changes_and_returns_rejections() {
        let mut o = Outbox::default();
        for n in 0..3 {
            o.push(change(n));
        }
        let rejected = ApiError::new(ErrorCode::UnknownFormVersion);
        let s = o.settle(&[
            Ack { seq: 0, outcome: Outcome::Applied },
            Ack { seq: 2, outcome: Outcome::Rejected { error: rejected.clone() } },
            Ack { seq: 7, outcome: Outcome::Applied },
        ]);
        assert_eq!(s.applied, vec![(0, change(0), Vec::new())]);
        assert_eq!(s.rejected, vec![(2, change(2), rejected)]);
        assert_eq!(o.entries.keys().copied().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn a_batch_respects_count_and_bytes_but_never_starves() {
        let mut o = Outbox::default();
        for n in 0..10 {
            o.push(change(n));
        }
        let one = encoded_size(&change(0));
        assert_eq!(o.batch(4, usize::MAX).len(), 4);
        assert_eq!(o.batch(100, one * 3).len(), 3);
        assert_eq!(o.batch(100, 1).len(), 1, "an oversized first change is still sent");
        assert_eq!(o.batch(100, 1)[0].seq, 0, "oldest first");
    }

    #[test]
    fn the_batch_size_halves_on_failure_and_doubles_on_success() {
        let mut b = BatchSizer { current: 8, max: 20 };
        b.on_failure();
        b.on_failure();
        b.on_failure();
        b.on_failure();
        assert_eq!(b.current, 1);
        b.on_success();
        assert_eq!(b.current, 2);
        for _ in 0..10 {
            b.on_success();
        }
        assert_eq!(b.current, 20);
    }

    #[test]
    fn device_times_before_2020_or_days_ahead_of_the_server_are_impossible() {
        let now = 1_790_000_000_000; // 2026
        let day = 24 * 60 * 60 * 1000;
        let cases: &[(i64, bool)] = &[
            (i64::MIN, false),
            (-1, false),
            (0, false),
            (EARLIEST_DEVICE_TIME_MS - 1, false),
            (EARLIEST_DEVICE_TIME_MS, true),
            (now, true),
            (now + day, true),
            (now + 2 * day, true),
            (now + 2 * day + 1, false),
            (250_000_000_000_000_000, false), // the year 8,000,000
            (i64::MAX, false),
        ];
        for (at, plausible) in cases {
            assert_eq!(check_device_time("x", *at, now).is_ok(), *plausible, "{at}");
        }
    }

    #[test]
    fn a_push_must_number_its_changes_in_strictly_increasing_order() {
        let push = |seqs: &[u64]| -> Vec<PushedChange> {
            seqs.iter().map(|&seq| PushedChange { seq, change: change(u128::from(seq)) }).collect()
        };
        assert!(check_push_order(&push(&[])).is_ok());
        assert!(check_push_order(&push(&[4])).is_ok());
        assert!(check_push_order(&push(&[1, 2, 9])).is_ok());
        assert!(check_push_order(&push(&[1, 1])).is_err(), "a repeated number");
        assert!(check_push_order(&push(&[3, 2])).is_err(), "out of order");
        assert!(check_push_order(&push(&[1, 5, 5, 6])).is_err());
    }

    #[test]
    fn a_report_edit_replaces_only_earlier_changes() {
        let edit = |seq: u64, replaces: &[u64]| PushedChange {
            seq,
            change: Change::SaveReport {
                edit: ReportEdit {
                    key: ReportKey {
                        school: crate::SchoolId(uuid::Uuid::nil()),
                        form: "monitoring".into(),
                        period: "2025-2026".into(),
                    },
                    form_version: 1,
                    base_revision: 0,
                    fields: Default::default(),
                    submit: false,
                    at_ms: 0,
                    confirmed: vec![],
                },
                replaces: replaces.to_vec(),
            },
        };
        assert!(check_push_order(&[edit(5, &[])]).is_ok());
        assert!(check_push_order(&[edit(5, &[0, 2, 4])]).is_ok());
        // A crash between queueing an edit and removing the one it replaces sends both, in order.
        assert!(check_push_order(&[edit(4, &[]), edit(5, &[4])]).is_ok());
        assert!(check_push_order(&[edit(5, &[5])]).is_err(), "itself");
        assert!(check_push_order(&[edit(5, &[1, 9])]).is_err(), "a change not yet made");
        // What older apps queued, without the list, still reads.
        let stored = r#"{"type":"save_report","edit":{"key":{"school":"00000000-0000-0000-0000-000000000000","form":"monitoring","period":"2025-2026"},"form_version":1,"base_revision":0,"fields":{},"at_ms":0}}"#;
        assert_eq!(serde_json::from_str::<Change>(stored).unwrap(), edit(5, &[]).change);
        assert_eq!(
            serde_json::to_string(&edit(5, &[]).change).unwrap(),
            stored.replace(r#""at_ms":0"#, r#""submit":false,"at_ms":0"#)
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ms(0, 0.999, 1000, 60_000), 999);
        assert_eq!(backoff_ms(3, 0.5, 1000, 60_000), 4000);
        assert_eq!(backoff_ms(30, 0.999, 1000, 60_000), 59_940);
        assert_eq!(backoff_ms(5, 0.0, 1000, 60_000), 500, "never zero");
    }

    #[test]
    fn a_response_is_stored_before_the_outbox_shrinks_and_the_cursor_moves_last() {
        let mut o = Outbox::default();
        o.push(change(1));
        o.push(change(2));
        let me = UserId(uuid::Uuid::from_u128(7));
        let error = ApiError::new(ErrorCode::UnknownFormVersion);
        let response = SyncResponse {
            acks: vec![
                Ack { seq: 0, outcome: Outcome::Applied },
                Ack { seq: 1, outcome: Outcome::Rejected { error: error.clone() } },
            ],
            pulled: vec![],
            cursor: Cursor(42),
            more: false,
            server_time_ms: 0,
        };
        let writes = plan_response(&o, me, response);
        let kinds: Vec<&str> = writes
            .iter()
            .map(|w| match w {
                LocalWrite::KeepSubmission { synced: true, .. } => "keep-synced",
                LocalWrite::KeepSubmission { rejected: Some(_), .. } => "keep-rejected",
                LocalWrite::KeepSubmission { .. } => "keep",
                LocalWrite::KeepRejected { .. } => "rejected",
                LocalWrite::RemoveFromOutbox { .. } => "remove",
                LocalWrite::KeepForm { .. } => "form",
                LocalWrite::KeepProfile { .. } => "profile",
                LocalWrite::KeepReportForm { .. } | LocalWrite::KeepReport { .. } => "report",
                LocalWrite::ReportAccepted { .. } => "report-accepted",
                LocalWrite::SetCursor { .. } => "cursor",
            })
            .collect();
        assert_eq!(kinds, ["keep-synced", "remove", "keep-rejected", "rejected", "remove", "cursor"]);
        assert_eq!(writes.last(), Some(&LocalWrite::SetCursor { cursor: Cursor(42) }));
    }

    #[test]
    fn the_wire_format_is_stable() {
        let ack = Ack { seq: 3, outcome: Outcome::Applied };
        assert_eq!(serde_json::to_string(&ack).unwrap(), r#"{"seq":3,"outcome":"applied"}"#);
        let req: SyncRequest =
            serde_json::from_str(r#"{"protocol":1,"device":"00000000-0000-0000-0000-000000000001"}"#).unwrap();
        assert_eq!((req.cursor, req.pull_limit, req.push.len()), (Cursor(0), MAX_PULL_LIMIT, 0));
    }
}
