//! Accepting teachers' self-diagnoses: the one path both the REST endpoint and sync use, so a
//! submission is checked, scored and stored the same way however it arrives.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::storage::{ChangeKey, Committed, NewSubmission};
use opora_domain::api::{ApiError, ErrorCode};
use opora_domain::diagnosis::{StoredSubmission, Submission, check_submission};
use opora_domain::org::{Role, UserProfile};
use opora_domain::scoring::score;
use opora_domain::sync::{Outcome, check_device_time};

/// Checks a submission for this user and scores it. `Err` is a refusal to show the user; internal
/// failures are the outer error.
pub async fn prepare(
    state: &AppState,
    user: &UserProfile,
    submission: Submission,
) -> AppResult<Result<NewSubmission, ApiError>> {
    if user.role != Role::Teacher {
        return Ok(Err(ApiError::with_detail(ErrorCode::Forbidden, "самодиагностику проходят учителя")));
    }
    let Some(form) = state.form(&submission.form).await? else {
        return Ok(Err(ApiError::with_detail(ErrorCode::UnknownFormVersion, format!("form {}", submission.form))));
    };
    if let Err(problem) = check_submission(&form, &submission) {
        return Ok(Err(ApiError::with_detail(ErrorCode::InvalidSubmission, problem.to_string())));
    }
    let now = state.now_ms();
    for (what, at) in [("начало", submission.started_at_ms), ("отправка", submission.submitted_at_ms)] {
        if let Err(problem) = check_device_time(what, at, now) {
            return Ok(Err(ApiError::with_detail(ErrorCode::InvalidTime, problem)));
        }
    }
    let profile = score(&form, Some(&submission.subject), &submission.answers);
    Ok(Ok(NewSubmission {
        school_id: user.school.as_ref().map(|s| s.id),
        profile,
        stored: StoredSubmission { submission, teacher: user.id, received_at_ms: now },
    }))
}

/// Applies one pushed submission under its idempotency key (`changes::apply_once`), committed
/// only while the pushing session is live.
pub async fn apply_pushed(
    state: &AppState,
    current: &CurrentUser,
    key: ChangeKey,
    submission: Submission,
) -> AppResult<Outcome> {
    let (user, session) = (&current.profile, current.session());
    crate::changes::apply_once(state, user, key, || async {
        let now = state.now_ms();
        match prepare(state, user, submission).await? {
            Ok(new) => Ok(match state.store.commit_submission(Some(session), Some(key), &new, now).await? {
                Committed::Inserted | Committed::AlreadyStored => Outcome::Applied,
                Committed::Replayed(outcome) => outcome,
                Committed::IdTaken => Outcome::Rejected { error: ApiError::new(ErrorCode::Conflict) },
            }),
            Err(error) => {
                let outcome = Outcome::Rejected { error };
                Ok(state.store.record_rejection(session, key.alone(), user.id, &outcome, now).await?)
            }
        }
    })
    .await
}
