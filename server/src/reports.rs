//! Accepting school reports: the one path an edit takes, checked against who is asking and the
//! form, merged with the stored report (`opora_domain::report::apply_edit`) and committed with
//! its idempotency key.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::storage::{ChangeKey, PushedKeys, Session};
use opora_domain::api::{ApiError, ErrorCode};
use opora_domain::org::{Role, UserProfile};
use opora_domain::report::{ReportEdit, apply_edit, check_edit};
use opora_domain::sync::{Outcome, check_device_time};

/// Whether this user may edit reports of `edit`'s school: its principal (or deputy) only.
fn may_edit(user: &UserProfile, edit: &ReportEdit) -> bool {
    user.role == Role::Principal && user.school.as_ref().is_some_and(|s| s.id == edit.key.school)
}

/// Applies one pushed report edit under its idempotency key (`changes::apply_once`), committed
/// only while the pushing session is live. `replaces`: the device's earlier edits this one took
/// the place of in its outbox; whatever this edit's outcome, their keys are recorded with it.
pub async fn apply_pushed(
    state: &AppState,
    current: &CurrentUser,
    key: ChangeKey,
    edit: ReportEdit,
    replaces: &[u64],
) -> AppResult<Outcome> {
    let session = current.session();
    let keys = PushedKeys { key, replaces };
    crate::changes::apply_once(state, &current.profile, key, || apply_new(state, &current.profile, session, keys, edit))
        .await
}

/// Checks and commits an edit whose key was not seen before.
async fn apply_new(
    state: &AppState,
    user: &UserProfile,
    session: Session<'_>,
    keys: PushedKeys<'_>,
    edit: ReportEdit,
) -> AppResult<Outcome> {
    let now = state.now_ms();
    let refuse = |error: ApiError| async move {
        let outcome = Outcome::Rejected { error };
        state.store.record_rejection(session, keys, user.id, &outcome, now).await
    };
    if !may_edit(user, &edit) {
        return Ok(refuse(ApiError::with_detail(ErrorCode::Forbidden, "отчёты школы заполняет её руководитель")).await?);
    }
    let Some(form) = state.store.report_form(&edit.key.form, edit.form_version).await? else {
        let detail = format!("report form {}@{}", edit.key.form, edit.form_version);
        return Ok(refuse(ApiError::with_detail(ErrorCode::UnknownFormVersion, detail)).await?);
    };
    if let Err(problem) = check_edit(&form, &edit) {
        return Ok(refuse(ApiError::with_detail(ErrorCode::InvalidInput, problem)).await?);
    }
    if let Err(problem) = check_device_time("правка отчёта", edit.at_ms, now) {
        return Ok(refuse(ApiError::with_detail(ErrorCode::InvalidTime, problem)).await?);
    }
    let author = user.id;
    let decide = |base: Option<&opora_domain::merge::Fields>, current: Option<&opora_domain::report::StoredReport>| {
        apply_edit(&form, base, current, &edit, author)
    };
    Ok(state.store.commit_report(Some(session), Some(keys), &edit, author, &decide, now).await?)
}
