//! The one entry point of a change a device pushes under its idempotency key (device, seq):
//! self-diagnoses (`diagnoses`) and report edits (`reports`) both come through [`apply_once`].
//!
//! A key seen before is answered with the outcome recorded the first time, without checking or
//! applying anything again; another account's key is refused (never its outcome revealed). A
//! new key is applied by the caller's closure, whose storage operation records the outcome in
//! the same transaction as the change itself (`commit_submission`, `commit_report`,
//! `record_rejection`), under the change's key and under the keys of the device's earlier edits
//! it replaced in the outbox (`PushedKeys`): their content is in it, so a late copy of one is
//! "seen before" too. Two requests with the same new key may pass this check at once (a
//! device retrying while its first request is still in flight, through another server): the
//! committing transaction therefore reads the key once more under the backend's write lock,
//! through one helper per backend (`previous_outcome`), and the second gets the first's outcome.

use crate::AppState;
use crate::error::AppResult;
use crate::storage::ChangeKey;
use opora_domain::api::{ApiError, ErrorCode};
use opora_domain::org::UserProfile;
use opora_domain::sync::Outcome;
use std::future::Future;

/// Applies one pushed change once: `apply` runs only for a key not seen before.
pub async fn apply_once<Fut>(
    state: &AppState,
    user: &UserProfile,
    key: ChangeKey,
    apply: impl FnOnce() -> Fut,
) -> AppResult<Outcome>
where
    Fut: Future<Output = AppResult<Outcome>>,
{
    if let Some(previous) = state.store.previous_change(key).await? {
        if previous.user_id != user.id {
            return Ok(key_of_another_account());
        }
        return Ok(previous.outcome);
    }
    apply().await
}

/// The answer to a key another account used first.
pub fn key_of_another_account() -> Outcome {
    Outcome::Rejected { error: ApiError::new(ErrorCode::Conflict) }
}
