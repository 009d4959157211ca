//! Merging concurrent edits of a shared record (a school report two people of one school edit on
//! two devices).
//!
//! The server keeps every revision. An edit names the revision it started from (compare-and-set);
//! when the record has moved on since, the two edits are merged field by field against that
//! common base: a field only one side changed takes that change; a field both changed the same
//! way is simply that value; a field both changed differently is a conflict. A conflict gets a
//! deterministic winner (the later edit, then the greater author id), so every replica that merges
//! the same edits reaches the same record whatever order they arrived in; the losing value is
//! kept in the conflict for the user to resolve, never dropped.

use crate::UserId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A record's fields as typed: field id → raw text. Raw, so nothing a user typed is lost.
pub type Fields = BTreeMap<String, String>;

/// One side of a merge: the fields after the edit, and who made it when.
#[derive(Clone, Copy, Debug)]
pub struct Edit<'a> {
    pub fields: &'a Fields,
    pub author: UserId,
    pub at_ms: i64,
}

/// Whether `a`'s value beats `b`'s in a conflict: the later edit; at the same instant, the greater
/// author id; from the same author at the same instant (two devices), the greater value. A total
/// order, so the merge is the same whichever side arrives first.
fn beats(a: &Edit<'_>, va: Option<&String>, b: &Edit<'_>, vb: Option<&String>) -> bool {
    (a.at_ms, a.author, va) > (b.at_ms, b.author, vb)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub field: String,
    pub base: Option<String>,
    /// The value the merged record carries.
    pub kept: Option<String>,
    /// The value that lost, shown to the user to resolve.
    pub lost: Option<String>,
    pub lost_author: UserId,
    pub lost_at_ms: i64,
    /// The revision of the record that first held this conflict, set by whoever numbers
    /// revisions; 0 when unknown (stored before it was recorded). An edit started from an
    /// earlier revision was made without seeing it.
    #[serde(default)]
    pub revision: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    pub fields: Fields,
    pub conflicts: Vec<Conflict>,
}

pub fn merge(base: &Fields, a: Edit<'_>, b: Edit<'_>) -> Merged {
    let keys: BTreeSet<&String> = base.keys().chain(a.fields.keys()).chain(b.fields.keys()).collect();
    let mut fields = Fields::new();
    let mut conflicts = Vec::new();
    for key in keys {
        let (was, va, vb) = (base.get(key), a.fields.get(key), b.fields.get(key));
        let value = if va == vb || vb == was {
            va
        } else if va == was {
            vb
        } else {
            let (winner, loser, lost) = if beats(&a, va, &b, vb) { (va, b, vb) } else { (vb, a, va) };
            conflicts.push(Conflict {
                field: key.clone(),
                base: was.cloned(),
                kept: winner.cloned(),
                lost: lost.cloned(),
                lost_author: loser.author,
                lost_at_ms: loser.at_ms,
                revision: 0,
            });
            winner
        };
        if let Some(v) = value {
            fields.insert(key.clone(), v.clone());
        }
    }
    Merged { fields, conflicts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn user(n: u128) -> UserId {
        UserId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn edits_of_different_fields_both_survive() {
        let base = fields(&[("a", "1"), ("b", "2")]);
        let ours = fields(&[("a", "10"), ("b", "2")]);
        let theirs = fields(&[("a", "1"), ("b", "20"), ("c", "3")]);
        let m = merge(
            &base,
            Edit { fields: &ours, author: user(1), at_ms: 5 },
            Edit { fields: &theirs, author: user(2), at_ms: 4 },
        );
        assert_eq!(m.fields, fields(&[("a", "10"), ("b", "20"), ("c", "3")]));
        assert!(m.conflicts.is_empty());
    }

    #[test]
    fn an_overlapping_edit_keeps_the_later_and_reports_the_other() {
        let base = fields(&[("a", "1")]);
        let ours = fields(&[("a", "10")]);
        let theirs = fields(&[("a", "11")]);
        let m = merge(
            &base,
            Edit { fields: &ours, author: user(1), at_ms: 5 },
            Edit { fields: &theirs, author: user(2), at_ms: 9 },
        );
        assert_eq!(m.fields, fields(&[("a", "11")]));
        assert_eq!(
            m.conflicts,
            vec![Conflict {
                field: "a".into(),
                base: Some("1".into()),
                kept: Some("11".into()),
                lost: Some("10".into()),
                lost_author: user(1),
                lost_at_ms: 5,
                revision: 0,
            }]
        );
    }

    #[test]
    fn clearing_a_field_is_an_edit_too() {
        let base = fields(&[("a", "1"), ("b", "2")]);
        let ours = fields(&[("b", "2")]);
        let theirs = fields(&[("a", "1"), ("b", "3")]);
        let m = merge(
            &base,
            Edit { fields: &ours, author: user(1), at_ms: 1 },
            Edit { fields: &theirs, author: user(2), at_ms: 1 },
        );
        assert_eq!(m.fields, fields(&[("b", "3")]));
    }

    fn small_fields() -> impl Strategy<Value = Fields> {
        proptest::collection::btree_map("[abc]", "[xyz]", 0..4)
    }

    proptest! {
        #[test]
        fn the_merge_is_the_same_whichever_side_arrives_first(
            base in small_fields(), x in small_fields(), y in small_fields(),
            tx in 0i64..3, ty in 0i64..3, ax in 0u128..3, ay in 0u128..3,
        ) {
            let a = Edit { fields: &x, author: user(ax), at_ms: tx };
            let b = Edit { fields: &y, author: user(ay), at_ms: ty };
            prop_assert_eq!(merge(&base, a, b).fields, merge(&base, b, a).fields);
        }

        #[test]
        fn no_value_is_ever_dropped_silently(base in small_fields(), x in small_fields(), y in small_fields()) {
            let a = Edit { fields: &x, author: user(1), at_ms: 1 };
            let b = Edit { fields: &y, author: user(2), at_ms: 2 };
            let m = merge(&base, a, b);
            for key in x.keys().chain(y.keys()).chain(base.keys()) {
                let (was, vx, vy) = (base.get(key), x.get(key), y.get(key));
                let kept = m.fields.get(key);
                let conflict = m.conflicts.iter().find(|c| &c.field == key);
                // Every changed value is either in the record or reported as the loser.
                for v in [vx, vy] {
                    if v != was {
                        prop_assert!(kept == v || conflict.is_some_and(|c| c.lost.as_ref() == v));
                    }
                }
            }
        }
    }
}
