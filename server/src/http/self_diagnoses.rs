//! `/api/self-diagnoses/{id}`: one submission by id, for clients that do not batch.
//! `PUT` is idempotent: the same submission sent twice is stored once.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::diagnoses::prepare;
use crate::error::{AppError, AppResult, Json, Path};
use crate::storage::Committed;
use axum::extract::State;
use axum::http::StatusCode;
use opora_domain::SubmissionId;
use opora_domain::api::ErrorCode;
use opora_domain::diagnosis::{StoredSubmission, Submission};

pub async fn put(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(submission): Json<Submission>,
) -> AppResult<(StatusCode, Json<StoredSubmission>)> {
    let id: SubmissionId = id.parse().map_err(|_| AppError::detail(ErrorCode::MalformedRequest, "id is not a UUID"))?;
    if submission.id != id {
        return Err(AppError::detail(ErrorCode::MalformedRequest, "the id in the path differs from the body"));
    }
    let new = prepare(&state, &user.profile, submission).await?.map_err(AppError::Api)?;
    match state.store.commit_submission(Some(user.session()), None, &new, state.now_ms()).await? {
        Committed::Inserted => Ok((StatusCode::CREATED, Json(new.stored))),
        Committed::AlreadyStored | Committed::Replayed(_) => {
            // Sealed by a reset of her account: a resend with the id must not return the answers.
            let stored = state
                .store
                .readable_submission(id, user.profile.id)
                .await?
                .ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
            Ok((StatusCode::OK, Json(stored)))
        }
        Committed::IdTaken => Err(AppError::code(ErrorCode::Conflict)),
    }
}

/// A teacher reads her own submission; anyone else gets 404, not 403, so ids reveal nothing. So
/// does the account's holder for submissions made before a reset of the account (ARCHITECTURE.md,
/// «Disclosure control»): whoever chose the new password may not be the teacher.
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<StoredSubmission>> {
    let id: SubmissionId = id.parse().map_err(|_| AppError::code(ErrorCode::NotFound))?;
    let stored = state.store.readable_submission(id, user.profile.id).await?;
    Ok(Json(stored.ok_or_else(|| AppError::code(ErrorCode::NotFound))?))
}
