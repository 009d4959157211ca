//! `POST /api/sync`: push the outbox and pull what changed, in one round trip.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::diagnoses::apply_pushed;
use crate::error::{AppError, AppResult, Json};
use crate::storage::ChangeKey;
use axum::extract::State;
use opora_domain::api::ErrorCode;
use opora_domain::sync::{
    Ack, Change, MAX_PULL_LIMIT, PROTOCOL_VERSION, Pulled, SyncRequest, SyncResponse, check_push_order,
};
use std::collections::HashSet;

/// The most changes one request may push; the client's batches are far smaller.
const MAX_PUSH: usize = 500;

pub async fn sync(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(req): Json<SyncRequest>,
) -> AppResult<Json<SyncResponse>> {
    if req.protocol != PROTOCOL_VERSION {
        return Err(AppError::detail(ErrorCode::UnsupportedProtocol, format!("protocol {}", req.protocol)));
    }
    if req.push.len() > MAX_PUSH {
        return Err(AppError::code(ErrorCode::PayloadTooLarge));
    }
    // Before anything is applied: a repeated number would be acknowledged and never stored.
    if let Err(problem) = check_push_order(&req.push) {
        return Err(AppError::detail(ErrorCode::InvalidInput, problem));
    }
    // Applied in sequence order, each committed before the next: if the connection drops
    // half-way, what was committed is answered from the idempotency record on retry.
    let mut acks = Vec::with_capacity(req.push.len());
    let mut pushed_ids = HashSet::new();
    for pushed in req.push {
        let key = ChangeKey { device: req.device, seq: pushed.seq };
        let outcome = match pushed.change {
            Change::SubmitSelfDiagnosis { submission } => {
                pushed_ids.insert(submission.id);
                apply_pushed(&state, &user, key, submission).await?
            }
            Change::SaveReport { edit, replaces } => {
                crate::reports::apply_pushed(&state, &user, key, edit, &replaces).await?
            }
        };
        acks.push(Ack { seq: pushed.seq, outcome });
    }
    let limit = req.pull_limit.clamp(1, MAX_PULL_LIMIT);
    let principal_of = match (&user.profile.role, &user.profile.school) {
        (opora_domain::org::Role::Principal, Some(school)) => Some(school.id),
        _ => None,
    };
    let scope = crate::storage::PullScope { user: user.profile.id, principal_of };
    let mut page = state.store.pull(scope, req.cursor, limit).await?;
    // The client already has what it just pushed: do not send it back down a slow link.
    page.records
        .retain(|r| !matches!(r, Pulled::SelfDiagnosis { stored } if pushed_ids.contains(&stored.submission.id)));
    Ok(Json(SyncResponse {
        acks,
        pulled: page.records,
        cursor: page.cursor,
        more: page.more,
        server_time_ms: state.now_ms(),
    }))
}
