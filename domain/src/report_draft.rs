//! A school report on the principal's device: the draft of what was typed here, and the two rules
//! the device applies around it. The app keeps the storage I/O (`app::store`); the decisions are
//! here, so they are tested table-style below and played by the protocol property test.
//!
//! - [`rebase`]: a newer server copy of the report arrived. Fields the device did not change take
//!   the server's value; fields it changed keep what was typed here until the server has them
//!   (as the report's value or as the other side of a conflict on the field); a draft that
//!   changed a field the server changed too stays on its base until its edit is merged. A draft
//!   left with no changes of its own is dropped.
//! - [`queue_edit`]: a whole-report edit is queued. It replaces queued edits of the same report
//!   that are not submissions (it carries every field, so it contains what they did), carrying
//!   their confirmations over and naming them, so the server records their keys with its outcome:
//!   a replaced edit already sent in a request that arrives late is then answered from that
//!   record, never merged after the newer one as if it came later. The caller queues the new edit
//!   before removing the replaced ones, so a page killed in between leaves both queued (harmless:
//!   the older goes first and the server merges them) and never neither.

use crate::merge::Fields;
use crate::report::{ReportEdit, ReportKey, StoredReport};
use crate::sync::Change;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A report as typed on this device: its fields, and the server revision (and its fields) they
/// started from, so the device's own changes can be told from the server's.
///
/// Stored as is on users' devices (`opora.u.<user>.report_draft.<key>`): its serde shape must
/// keep reading what earlier versions wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportDraft {
    pub key: ReportKey,
    pub form_version: u32,
    pub base_revision: u32,
    pub base_fields: Fields,
    pub fields: Fields,
    pub updated_at_ms: i64,
}

impl ReportDraft {
    /// Whether this device has changes the server has not seen.
    pub fn has_changes(&self) -> bool {
        self.fields != self.base_fields
    }

    /// The whole-report edit this draft sends: every field, against the revision it started from.
    pub fn edit(&self, submit: bool, confirmed: Vec<String>, at_ms: i64) -> ReportEdit {
        ReportEdit {
            key: self.key.clone(),
            form_version: self.form_version,
            base_revision: self.base_revision,
            fields: self.fields.clone(),
            submit,
            at_ms,
            confirmed,
        }
    }
}

/// The server committed an edit this device sent from `base_revision` with the fields `sent`
/// (`held_back` naming those it did not take). The server merges the device's next edit from the
/// same revision against what it sent (its own earlier value is not another device's change), so
/// the draft takes the same base: its `base_fields` become what was sent, except held-back
/// fields, which keep their base. A draft no longer on that revision, or already there, is left
/// alone (`None`). Without this, a device whose value the server took and someone later changed
/// would keep sending its old value as a change of its own.
pub fn acknowledged(
    draft: &ReportDraft,
    base_revision: u32,
    sent: &Fields,
    held_back: &[crate::report::FieldProblem],
) -> Option<ReportDraft> {
    if draft.base_revision != base_revision {
        return None;
    }
    let mut base_fields = sent.clone();
    for problem in held_back {
        let key = problem.field.as_str();
        match draft.base_fields.get(key) {
            Some(value) => base_fields.insert(key.to_owned(), value.clone()),
            None => base_fields.remove(key),
        };
    }
    (base_fields != draft.base_fields).then(|| ReportDraft { base_fields, ..draft.clone() })
}

/// What a newer server copy of the report does to the device's draft.
#[derive(Clone, Debug, PartialEq)]
pub enum Rebased {
    /// Keep the draft as it is: the server copy is not newer than its base, is another report, or
    /// changed a field the draft changed too (see [`rebase`]).
    Unchanged,
    /// The draft moved onto the server's revision, with changes of its own left: store it.
    Moved(ReportDraft),
    /// The server has everything the draft had: remove it.
    NoChanges,
}

/// Moves `draft` onto the server's copy `report`: a field the device did not change takes the
/// server's value (added or removed there included); a field only the device changed keeps what
/// was typed here. Two exceptions:
/// - a value the server already holds as the losing side of a conflict on the field has reached
///   the server and is shown there for someone to pick: the draft takes the server's value, or
///   its next edit (any field left, «keep the saved value» pressed) would override the
///   conflict's other value without anyone choosing it;
/// - a field changed here and on the server, differently, or changed here with a conflict on it
///   that arose after the draft's base, keeps the draft where it is (on its own base, showing
///   what was typed): only the server's merge against that base keeps both values, and the
///   conflict the device had not shown. Once its edit has been merged, the next pull moves it.
pub fn rebase(draft: &ReportDraft, report: &StoredReport) -> Rebased {
    if draft.key != report.key || draft.base_revision >= report.revision {
        return Rebased::Unchanged;
    }
    let keys: BTreeSet<&String> =
        draft.fields.keys().chain(draft.base_fields.keys()).chain(report.fields.keys()).collect();
    let mut fields = Fields::new();
    for key in keys {
        let (was, mine, theirs) = (draft.base_fields.get(key), draft.fields.get(key), report.fields.get(key));
        let server_has_it = report.conflicts.iter().any(|c| &c.field == key && c.lost.as_ref() == mine);
        let conflict_since = report.conflicts.iter().any(|c| &c.field == key && c.revision > draft.base_revision);
        let value = if mine == was || mine == theirs || server_has_it {
            theirs
        } else if theirs == was && !conflict_since {
            mine
        } else {
            // Changed here and there, differently, or a conflict on the field arose there since.
            // Moved onto the server's revision, the draft would overwrite the server's value, or
            // answer the conflict, as if it had seen them; on its own base, the server's merge
            // keeps both values, and the conflict, for someone to resolve.
            return Rebased::Unchanged;
        };
        if let Some(v) = value {
            fields.insert(key.clone(), v.clone());
        }
    }
    let moved = ReportDraft {
        key: draft.key.clone(),
        form_version: report.form_version,
        base_revision: report.revision,
        base_fields: report.fields.clone(),
        fields,
        updated_at_ms: draft.updated_at_ms,
    };
    if moved.has_changes() { Rebased::Moved(moved) } else { Rebased::NoChanges }
}

/// A report edit ready to queue, and the queued changes it replaces.
#[derive(Clone, Debug, PartialEq)]
pub struct Queueing {
    /// The change to queue: the new edit, with the replaced edits' confirmations added, naming
    /// every edit it replaces (see [`queue_edit`]).
    pub change: Change,
    /// Sequence numbers of queued edits to remove once `change` is queued, in order.
    pub remove: Vec<u64>,
}

/// Decides how a new report edit is queued among the `queued` changes: it replaces every queued
/// edit of the same report that is not a submission (a submission asked the server to send the
/// report as it was then, and must reach it). Confirmations are not fields, so the replaced
/// edits' ones are carried over, each once. Other changes and other reports are left alone.
///
/// A replaced edit leaves the outbox unacknowledged, yet may already be on its way (in a request
/// whose answer was lost, or that is still travelling). The new change therefore names it, and
/// every edit it had replaced in turn (`Change::SaveReport::replaces`): the server records all of
/// their keys with the new change's outcome, so a late copy is answered from the record. Left to
/// arrive as a new change after the newer one, it would be merged as this device's latest word
/// and put back the values typed over since.
pub fn queue_edit(queued: &BTreeMap<u64, Change>, mut edit: ReportEdit) -> Queueing {
    let mut remove = Vec::new();
    let mut replaces = BTreeSet::new();
    for (&seq, change) in queued {
        let Change::SaveReport { edit: older, replaces: older_replaced } = change else { continue };
        if older.key != edit.key || older.submit {
            continue;
        }
        for field in &older.confirmed {
            if !edit.confirmed.contains(field) {
                edit.confirmed.push(field.clone());
            }
        }
        remove.push(seq);
        replaces.insert(seq);
        replaces.extend(older_replaced);
    }
    Queueing { change: Change::SaveReport { edit, replaces: replaces.into_iter().collect() }, remove }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::Conflict;
    use crate::{SchoolId, UserId};

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn key(period: &str) -> ReportKey {
        ReportKey { school: SchoolId(uuid::Uuid::from_u128(1)), form: "monitoring".into(), period: period.to_owned() }
    }

    fn draft(base_revision: u32, base: &[(&str, &str)], typed: &[(&str, &str)]) -> ReportDraft {
        ReportDraft {
            key: key("2019"),
            form_version: 1,
            base_revision,
            base_fields: fields(base),
            fields: fields(typed),
            updated_at_ms: 77,
        }
    }

    fn report(revision: u32, values: &[(&str, &str)]) -> StoredReport {
        StoredReport {
            key: key("2019"),
            form_version: 2,
            revision,
            fields: fields(values),
            submitted_revision: None,
            conflicts: Vec::new(),
            updated_at_ms: 1000,
            updated_by: UserId(uuid::Uuid::from_u128(9)),
        }
    }

    fn conflict(field: &str, kept: Option<&str>, lost: Option<&str>) -> Conflict {
        Conflict {
            field: field.to_owned(),
            base: Some("0".to_owned()),
            kept: kept.map(str::to_owned),
            lost: lost.map(str::to_owned),
            lost_author: UserId(uuid::Uuid::from_u128(2)),
            lost_at_ms: 5,
            revision: 5,
        }
    }

    /// What rebasing does, in short: "stays", "dropped", or the moved draft's fields ("a=5 b=2").
    fn after(d: &ReportDraft, r: &StoredReport) -> String {
        match rebase(d, r) {
            Rebased::Moved(moved) => {
                assert_eq!(
                    (moved.base_revision, &moved.base_fields, moved.form_version),
                    (r.revision, &r.fields, r.form_version),
                    "a moved draft starts from the server's revision"
                );
                assert_eq!((&moved.key, moved.updated_at_ms), (&d.key, d.updated_at_ms));
                moved.fields.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
            }
            Rebased::NoChanges => "dropped".to_owned(),
            Rebased::Unchanged => "stays".to_owned(),
        }
    }

    #[test]
    fn rebase_field_by_field() {
        // (case, draft base, draft fields, server fields, what happens to the draft)
        #[allow(clippy::type_complexity)]
        let table: &[(&str, &[(&str, &str)], &[(&str, &str)], &[(&str, &str)], &str)] = &[
            ("unchanged here: the server's value", &[("a", "1")], &[("a", "1")], &[("a", "2")], "dropped"),
            ("changed here only: what was typed", &[("a", "1")], &[("a", "5")], &[("a", "1")], "a=5"),
            (
                "changed here, other field changed there: both",
                &[("a", "1"), ("b", "1")],
                &[("a", "5"), ("b", "1")],
                &[("a", "1"), ("b", "2")],
                "a=5 b=2",
            ),
            ("changed here and there alike: nothing left", &[("a", "1")], &[("a", "5")], &[("a", "5")], "dropped"),
            (
                "changed here and there differently: stays on its base",
                &[("a", "1")],
                &[("a", "5")],
                &[("a", "2")],
                "stays",
            ),
            (
                "deleted here only: stays deleted",
                &[("a", "1"), ("b", "1")],
                &[("b", "1")],
                &[("a", "1"), ("b", "1")],
                "b=1",
            ),
            ("deleted here, changed there: stays on its base", &[("a", "1")], &[], &[("a", "2")], "stays"),
            (
                "deleted here and there: nothing left",
                &[("a", "1"), ("b", "1")],
                &[("b", "1")],
                &[("b", "1")],
                "dropped",
            ),
            ("cleared here (empty text) only: kept", &[("a", "1")], &[("a", "")], &[("a", "1")], "a="),
            ("added here: kept", &[], &[("n", "7")], &[("a", "2")], "a=2 n=7"),
            ("added here and there differently: stays on its base", &[], &[("n", "7")], &[("n", "8")], "stays"),
            ("added there: taken", &[("a", "1")], &[("a", "1")], &[("a", "1"), ("n", "3")], "dropped"),
            (
                "added there, own change elsewhere: taken too",
                &[("a", "1")],
                &[("a", "4")],
                &[("a", "1"), ("n", "3")],
                "a=4 n=3",
            ),
            (
                "removed there, unchanged here: removed",
                &[("a", "1"), ("b", "1")],
                &[("a", "9"), ("b", "1")],
                &[("a", "1")],
                "a=9",
            ),
            ("removed there, changed here: stays on its base", &[("a", "1")], &[("a", "9")], &[], "stays"),
        ];
        for (case, base, typed, server, expected) in table {
            assert_eq!(after(&draft(3, base, typed), &report(4, server)), *expected, "{case}");
        }
    }

    #[test]
    fn only_a_newer_revision_of_the_same_report_moves_the_draft() {
        let d = draft(3, &[("a", "1"), ("b", "1")], &[("a", "5"), ("b", "1")]);
        // (server revision, moves)
        for (revision, moves) in [(2, false), (3, false), (4, true), (10, true)] {
            let r = report(revision, &[("a", "1"), ("b", "2")]);
            assert_eq!(!matches!(rebase(&d, &r), Rebased::Unchanged), moves, "revision {revision}");
        }
        let mut other = report(10, &[("a", "1"), ("b", "2")]);
        other.key = key("2020");
        assert_eq!(rebase(&d, &other), Rebased::Unchanged, "another period's report");
        // A draft on nothing yet (revision 0) moves onto the first revision.
        let fresh = draft(0, &[], &[("a", "5")]);
        assert_eq!(after(&fresh, &report(1, &[("b", "1")])), "a=5 b=1");
    }

    /// Found by the protocol property test: device B typed a value, device A (same base) typed
    /// another into the same field and reached the server first; B's edit lost the merge and
    /// came back as the conflict's other value. B's draft kept its value as an unsent change, so
    /// B's next edit (leaving any field, or pressing «keep the saved value») overwrote A's value
    /// and resolved the conflict without anyone choosing: A's value was gone.
    #[test]
    fn a_value_the_server_keeps_as_a_conflict_is_not_sent_again() {
        // This device typed 5; another typed 7 at the same time. The server kept 7 and shows 5
        // as the other value: the draft takes 7, so the conflict stays for someone to resolve.
        let d = draft(3, &[("a", "1"), ("b", "1")], &[("a", "5"), ("b", "1")]);
        let mut r = report(5, &[("a", "7"), ("b", "1")]);
        r.conflicts = vec![conflict("a", Some("7"), Some("5"))];
        assert_eq!(after(&d, &r), "dropped");
        // The same with a change of its own elsewhere: that one stays.
        let d = draft(3, &[("a", "1"), ("b", "1")], &[("a", "5"), ("b", "2")]);
        assert_eq!(after(&d, &r), "a=7 b=2");
        // A deletion that lost is on the server too.
        let d = draft(3, &[("a", "1")], &[]);
        let mut r = report(5, &[("a", "7")]);
        r.conflicts = vec![conflict("a", Some("7"), None)];
        assert_eq!(after(&d, &r), "dropped");
        // Found by the protocol property test: typed here before a conflict on the field arose
        // there (the value there unchanged). Moved, the draft's next edit would answer the
        // conflict it never showed; it stays until its edit is merged.
        let d = draft(3, &[("a", "7")], &[("a", "6")]);
        let mut r = report(5, &[("a", "7")]);
        r.conflicts = vec![conflict("a", Some("7"), Some("5"))];
        assert_eq!(after(&d, &r), "stays");
        r.conflicts[0].revision = 3;
        assert_eq!(after(&d, &r), "a=6", "a conflict the draft's base already had");
        // A value typed here that is neither side of the field's conflict is still this device's
        // (and changed there too: the draft stays for the server to merge).
        let d = draft(3, &[("a", "1")], &[("a", "6")]);
        let mut r = report(5, &[("a", "7")]);
        r.conflicts = vec![conflict("a", Some("7"), Some("5")), conflict("b", Some("6"), Some("6"))];
        assert_eq!(after(&d, &r), "stays");
    }

    fn edit(period: &str, typed: &[(&str, &str)], submit: bool, confirmed: &[&str]) -> ReportEdit {
        ReportEdit {
            key: key(period),
            form_version: 1,
            base_revision: 2,
            fields: fields(typed),
            submit,
            at_ms: 10,
            confirmed: confirmed.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    fn save(e: ReportEdit) -> Change {
        Change::SaveReport { edit: e, replaces: Vec::new() }
    }

    /// The queued change's edit and the edits it names as replaced.
    fn parts(q: &Queueing) -> (&ReportEdit, &[u64]) {
        match &q.change {
            Change::SaveReport { edit, replaces } => (edit, replaces),
            other => panic!("a report edit queued as {other:?}"),
        }
    }

    #[test]
    fn queueing_replaces_older_edits_of_the_report_but_never_a_submission() {
        let self_diagnosis = Change::SubmitSelfDiagnosis {
            submission: crate::diagnosis::Submission {
                id: crate::SubmissionId(uuid::Uuid::from_u128(3)),
                form: crate::FormRef { id: "self-diagnosis".into(), version: 1 },
                subject: "math".into(),
                answers: Default::default(),
                started_at_ms: 0,
                submitted_at_ms: 0,
            },
        };
        let queued: BTreeMap<u64, Change> = [
            (1, save(edit("2019", &[("a", "1")], false, &["x"]))),
            (2, self_diagnosis),
            (3, save(edit("2019", &[("a", "2")], true, &["s"]))),
            (4, save(edit("2020", &[("a", "3")], false, &["o"]))),
            (6, save(edit("2019", &[("a", "4")], false, &["y", "x"]))),
        ]
        .into_iter()
        .collect();
        let new = edit("2019", &[("a", "5")], false, &["y", "z"]);
        let q = queue_edit(&queued, new.clone());
        assert_eq!(
            q.remove,
            vec![1, 6],
            "the older edits of 2019, not its submission, not 2020, not the self-diagnosis"
        );
        let (queued_edit, replaces) = parts(&q);
        assert_eq!(replaces, [1, 6], "the server is told which edits this one replaces");
        assert_eq!(queued_edit.confirmed, ["y", "z", "x"], "confirmations carried over, each once");
        assert_eq!(ReportEdit { confirmed: new.confirmed.clone(), ..queued_edit.clone() }, new, "nothing else changed");

        // A new submission replaces the older edits too; it is itself never replaced later.
        let mut submit = edit("2019", &[("a", "5")], true, &[]);
        submit.submit = true;
        let q = queue_edit(&queued, submit);
        assert_eq!((q.remove.as_slice(), parts(&q).1), (&[1, 6][..], &[1, 6][..]));
        // Nothing queued: nothing replaced, the edit as it was.
        let q = queue_edit(&BTreeMap::new(), new.clone());
        assert_eq!(q, Queueing { change: save(new), remove: vec![] });
    }

    #[test]
    fn a_new_edit_names_every_edit_it_replaces_and_those_they_replaced() {
        // Edit 1 was replaced by 3 while offline, 3 by 7; 1 and 3 may each still be on their
        // way in a lost request's late copy. The edit replacing 7 answers for all three.
        let mut queued: BTreeMap<u64, Change> = BTreeMap::new();
        for seq in [1, 3, 7] {
            let q = queue_edit(&queued, edit("2019", &[("a", &seq.to_string())], false, &[]));
            for removed in &q.remove {
                queued.remove(removed);
            }
            queued.insert(seq, q.change);
        }
        assert_eq!(queued.keys().copied().collect::<Vec<_>>(), [7], "only the newest edit stays queued");
        let Change::SaveReport { replaces, .. } = &queued[&7] else { unreachable!("queued as an edit") };
        assert_eq!(replaces, &[1, 3]);
        let q = queue_edit(&queued, edit("2019", &[("a", "9")], false, &[]));
        assert_eq!(q.remove, [7]);
        assert_eq!(parts(&q).1, [1, 3, 7]);
        // A submission is never replaced: the edits it replaced are its own to answer for.
        let submitted = queue_edit(&queued, edit("2019", &[("a", "9")], true, &[]));
        queued.clear();
        queued.insert(8, submitted.change);
        let q = queue_edit(&queued, edit("2019", &[("a", "10")], false, &[]));
        assert_eq!((q.remove.len(), parts(&q).1.len()), (0, 0));
    }

    // (case, queued edits' confirmations, the new edit's, the queued edit's result)
    #[test]
    fn confirmations_are_merged_without_duplicates() {
        #[allow(clippy::type_complexity)]
        let table: &[(&str, &[&[&str]], &[&str], &[&str])] = &[
            ("none anywhere", &[&[]], &[], &[]),
            ("only queued", &[&["a"]], &[], &["a"]),
            ("only new", &[&[]], &["a"], &["a"]),
            ("same in both", &[&["a"]], &["a"], &["a"]),
            ("several queued, overlapping", &[&["a", "b"], &["b", "c"]], &["c"], &["c", "a", "b"]),
        ];
        for (case, queued, new, expected) in table {
            let queued: BTreeMap<u64, Change> =
                queued.iter().enumerate().map(|(i, c)| (i as u64, save(edit("2019", &[], false, c)))).collect();
            let q = queue_edit(&queued, edit("2019", &[], false, new));
            assert_eq!(parts(&q).0.confirmed, *expected, "{case}");
            assert_eq!(q.remove.len(), queued.len(), "{case}");
        }
    }

    #[test]
    fn a_draft_becomes_an_edit_of_every_field_against_its_base() {
        let d = draft(3, &[("a", "1")], &[("a", "5"), ("b", "")]);
        let e = d.edit(true, vec!["a".into()], 99);
        assert_eq!(
            e,
            ReportEdit {
                key: key("2019"),
                form_version: 1,
                base_revision: 3,
                fields: fields(&[("a", "5"), ("b", "")]),
                submit: true,
                at_ms: 99,
                confirmed: vec!["a".into()],
            }
        );
    }

    #[test]
    fn a_stored_draft_still_reads() {
        // Exactly what the app wrote before the rules moved here.
        let stored = r#"{"key":{"school":"00000000-0000-0000-0000-000000000001","form":"monitoring","period":"2019"},"form_version":1,"base_revision":3,"base_fields":{"a":"1"},"fields":{"a":"5","b":""},"updated_at_ms":77}"#;
        let d: ReportDraft = serde_json::from_str(stored).unwrap();
        assert_eq!(d, draft(3, &[("a", "1")], &[("a", "5"), ("b", "")]));
        assert_eq!(serde_json::to_string(&d).unwrap(), stored);
    }

    #[test]
    fn an_acknowledged_edit_becomes_the_base_the_draft_is_compared_with() {
        let key = ReportKey { school: crate::SchoolId(uuid::Uuid::nil()), form: "f".into(), period: "2025".into() };
        let fields = |pairs: &[(&str, &str)]| -> Fields {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let draft = ReportDraft {
            key,
            form_version: 1,
            base_revision: 0,
            base_fields: fields(&[("long", "old")]),
            fields: fields(&[("a", "1"), ("b", "2"), ("long", "x".repeat(600).as_str())]),
            updated_at_ms: 0,
        };
        let sent = fields(&[("a", "1"), ("long", "old")]);
        let held = vec![crate::report::FieldProblem { field: "long".into(), message: String::new() }];
        let moved = acknowledged(&draft, 0, &sent, &held).expect("the base moves to what was sent");
        assert_eq!(moved.base_fields, fields(&[("a", "1"), ("long", "old")]));
        assert_eq!(moved.fields, draft.fields, "what was typed is untouched");
        assert!(moved.has_changes(), "«b» and the held-back text are still to send");
        assert_eq!(acknowledged(&draft, 3, &sent, &held), None, "an edit from another revision");
        assert_eq!(acknowledged(&moved, 0, &sent, &held), None, "already there");
        let all = acknowledged(&draft, 0, &draft.fields, &[]).unwrap();
        assert!(!all.has_changes(), "everything typed was taken: nothing left to send");
    }
}
