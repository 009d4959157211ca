//! The app's crash reports: a panic or a trap of its wasm, sent by the boot code so that the
//! server's log hears of it. Anyone may send one (a crash can come before a login), so each is
//! bounded (`ClientErrorReport::check`, and a small body), throttled per client and over all
//! clients, and only logged: nothing is stored, and no session, query or user data is in it.

use super::auth::{Client, rate_limited};
use crate::AppState;
use crate::error::{AppError, AppResult, Json};
use crate::limiter::{Quota, WINDOW_MS};
use axum::extract::State;
use axum::http::StatusCode;
use opora_domain::api::{ClientErrorReport, ErrorCode};

/// The largest body: the longest fields of a report, with room for JSON's escapes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// Reports per client, and over all clients, within a throttle window (15 minutes): a crash that
/// repeats on every reload still shows, a script cannot fill the log.
const PER_CLIENT: u32 = 10;
const OVER_ALL: u32 = 500;

pub fn quota() -> (Quota, Quota) {
    (Quota::new(PER_CLIENT, WINDOW_MS), Quota::new(OVER_ALL, WINDOW_MS))
}

/// `POST /api/client-errors`: logs the report, answers 204.
pub async fn report(
    State(state): State<AppState>,
    Client(client): Client,
    Json(report): Json<ClientErrorReport>,
) -> AppResult<StatusCode> {
    report.check().map_err(|detail| AppError::detail(ErrorCode::InvalidInput, detail))?;
    let now = state.now_ms();
    let (per_client, over_all) = state.client_error_quota();
    if let Err(wait_ms) = per_client.take(&client, now).and_then(|()| over_all.take("", now)) {
        return Err(rate_limited(wait_ms));
    }
    // Debug formatting: a line break in a message cannot start a forged line of the log.
    tracing::warn!(
        client = %client,
        bundle = %report.bundle,
        location = ?report.location,
        user_agent = ?report.user_agent,
        message = ?report.message,
        "the app crashed in a browser"
    );
    Ok(StatusCode::NO_CONTENT)
}
