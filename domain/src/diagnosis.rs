//! A teacher's self-diagnosis as it moves from a draft in the browser to an immutable submission
//! on the server.

use crate::form::{FormDefinition, FormKind, applies};
use crate::{FormRef, ItemId, SubjectCode, SubmissionId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Answers so far: item → chosen scale value.
pub type Answers = BTreeMap<ItemId, u8>;

/// What the teacher has typed so far. Saved in the browser on every answer, so a closed tab or a
/// dead battery loses nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub form_version: u32,
    #[serde(default)]
    pub subject: Option<SubjectCode>,
    #[serde(default)]
    pub answers: Answers,
    /// The section the teacher was on, to continue where she stopped.
    #[serde(default)]
    pub section: usize,
    #[serde(default)]
    pub started_at_ms: i64,
    #[serde(default)]
    pub updated_at_ms: i64,
}

/// A finished self-diagnosis. Immutable once submitted: a later one supersedes it and this one stays
/// in history. Its id is chosen by the client, so retries and replays can never duplicate it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub id: SubmissionId,
    pub form: FormRef,
    pub subject: SubjectCode,
    pub answers: Answers,
    pub started_at_ms: i64,
    pub submitted_at_ms: i64,
}

/// A submission as the server stored it, pulled back to the teacher's devices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredSubmission {
    pub submission: Submission,
    pub teacher: UserId,
    pub received_at_ms: i64,
}

/// Why a submission cannot be accepted. The same check runs in the browser before submitting and
/// on the server before storing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionProblem {
    #[error("the form is not a self-diagnosis")]
    WrongFormKind,
    #[error("the submission names form {0}, but {1} was given")]
    FormMismatch(FormRef, FormRef),
    #[error("unknown subject {0}")]
    UnknownSubject(SubjectCode),
    #[error("unknown item {0}")]
    UnknownItem(ItemId),
    #[error("item {0} does not apply to the chosen subject")]
    NotApplicable(ItemId),
    #[error("item {item} has value {value}, outside its scale")]
    OutOfScale { item: ItemId, value: u8 },
    #[error("{0} required items are unanswered")]
    Unanswered(usize),
}

/// Checks a submission against the form it names. Strict: anything the form does not define is
/// refused, because a server must not store answers it cannot interpret.
pub fn check_submission(form: &FormDefinition, s: &Submission) -> Result<(), SubmissionProblem> {
    if form.kind != FormKind::SelfDiagnosis {
        return Err(SubmissionProblem::WrongFormKind);
    }
    if s.form != form.form_ref() {
        return Err(SubmissionProblem::FormMismatch(s.form.clone(), form.form_ref()));
    }
    if form.variant.is_some() && form.variant_title(&s.subject).is_none() {
        return Err(SubmissionProblem::UnknownSubject(s.subject.clone()));
    }
    for (item, &value) in &s.answers {
        let field = form.field(item).ok_or_else(|| SubmissionProblem::UnknownItem(item.clone()))?;
        if !applies(field, Some(&s.subject)) {
            return Err(SubmissionProblem::NotApplicable(item.clone()));
        }
        if usize::from(value) >= form.scale_of(field).len() {
            return Err(SubmissionProblem::OutOfScale { item: item.clone(), value });
        }
    }
    let missing = unanswered_required(form, Some(&s.subject), &s.answers).len();
    if missing > 0 {
        return Err(SubmissionProblem::Unanswered(missing));
    }
    Ok(())
}

/// Required items for this subject that have no valid answer yet, in display order.
pub fn unanswered_required<'a>(
    form: &'a FormDefinition,
    subject: Option<&'a SubjectCode>,
    answers: &Answers,
) -> Vec<&'a ItemId> {
    form.applicable_fields(subject)
        .filter(|(_, f)| !f.optional)
        .filter(|(_, f)| answers.get(&f.id).is_none_or(|&v| usize::from(v) >= form.scale_of(f).len()))
        .map(|(_, f)| &f.id)
        .collect()
}

/// Keeps only the answers that belong in a submission of this form and subject: a draft may hold
/// answers to items of another subject (the teacher changed her mind) or of an older form version.
/// Those are left in the draft, never deleted, but not sent.
pub fn answers_for_submission(form: &FormDefinition, subject: &SubjectCode, answers: &Answers) -> Answers {
    answers
        .iter()
        .filter(|(item, value)| {
            form.field(item).is_some_and(|f| applies(f, Some(subject)) && usize::from(**value) < form.scale_of(f).len())
        })
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::tests_support::small_form;

    fn submission(answers: &[(&str, u8)], subject: &str) -> Submission {
        Submission {
            id: SubmissionId(uuid::Uuid::nil()),
            form: FormRef { id: "sd-test".into(), version: 1 },
            subject: subject.into(),
            answers: answers.iter().map(|(k, v)| (ItemId::from(*k), *v)).collect(),
            started_at_ms: 0,
            submitted_at_ms: 0,
        }
    }

    #[test]
    fn a_complete_submission_passes() {
        let s = submission(&[("a1", 3), ("a2", 0), ("b1", 2), ("m1", 1)], "math");
        assert_eq!(check_submission(&small_form(), &s), Ok(()));
    }

    #[test]
    fn an_optional_item_may_be_skipped() {
        let s = submission(&[("a1", 3), ("a2", 0), ("m1", 1)], "math");
        assert_eq!(check_submission(&small_form(), &s), Ok(()));
    }

    #[test]
    fn a_missing_required_item_is_refused_with_the_count() {
        let s = submission(&[("a1", 3), ("b1", 1)], "math");
        assert_eq!(check_submission(&small_form(), &s), Err(SubmissionProblem::Unanswered(2)));
    }

    #[test]
    fn an_item_of_another_subject_is_refused() {
        let s = submission(&[("a1", 3), ("a2", 0), ("m1", 1), ("r1", 2)], "math");
        assert_eq!(check_submission(&small_form(), &s), Err(SubmissionProblem::NotApplicable("r1".into())));
    }

    #[test]
    fn a_value_beyond_the_scale_is_refused() {
        let s = submission(&[("a1", 4), ("a2", 0), ("m1", 1)], "math");
        assert_eq!(
            check_submission(&small_form(), &s),
            Err(SubmissionProblem::OutOfScale { item: "a1".into(), value: 4 })
        );
    }

    #[test]
    fn an_unknown_subject_or_item_is_refused() {
        let s = submission(&[("a1", 1)], "chemistry");
        assert_eq!(check_submission(&small_form(), &s), Err(SubmissionProblem::UnknownSubject("chemistry".into())));
        let s = submission(&[("a1", 1), ("zz", 1)], "math");
        assert_eq!(check_submission(&small_form(), &s), Err(SubmissionProblem::UnknownItem("zz".into())));
    }

    #[test]
    fn answers_for_submission_drop_other_subjects_and_unknown_items_only() {
        let draft: Answers =
            [("a1", 2), ("r1", 3), ("old-item", 1), ("m1", 0)].iter().map(|(k, v)| (ItemId::from(*k), *v)).collect();
        let kept = answers_for_submission(&small_form(), &"math".into(), &draft);
        let kept: Vec<_> = kept.keys().map(|k| k.as_str()).collect();
        assert_eq!(kept, ["a1", "m1"]);
    }
}
