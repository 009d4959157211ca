//! Logging in and out, and activating an account with a one-time code.

use crate::AppState;
use crate::auth::{CurrentUser, SESSION_TTL_MS, hash_password, new_token, token_hash, verify_password};
use crate::error::{AppError, AppResult, Json};
use crate::storage::NewAudit;
use axum::extract::State;
use axum::http::StatusCode;
use opora_domain::UserId;
use opora_domain::accounts::{check_new_password, normalise_code};
use opora_domain::api::{ActivateRequest, ErrorCode, LoginRequest, LoginResponse};
use opora_domain::org::UserProfile;

pub async fn login(State(state): State<AppState>, Json(req): Json<LoginRequest>) -> AppResult<Json<LoginResponse>> {
    let login = req.login.trim().to_lowercase();
    if login.is_empty() || req.password.is_empty() {
        return Err(AppError::detail(ErrorCode::InvalidCredentials, "введите логин и пароль"));
    }
    if login.len() > 200 || req.password.len() > 1000 {
        return Err(AppError::code(ErrorCode::InvalidCredentials));
    }
    if !state.login_limiter.allowed(&login, state.now_ms()) {
        state.store.audit(&NewAudit::new(None, "login.throttled", &login), state.now_ms()).await?;
        return Err(AppError::code(ErrorCode::RateLimited));
    }
    let user = state.store.user_by_login(&login).await?;
    // A disabled account is checked like a wrong password: same time, same answer.
    let stored_hash = user.as_ref().filter(|u| u.active).and_then(|u| u.password_hash.clone());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(stored_hash.as_deref(), &password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let (Some(user), true) = (user, ok) else {
        state.login_limiter.failed(&login, state.now_ms());
        tracing::info!(login = %login, "login refused");
        state.store.audit(&NewAudit::new(None, "login.refused", &login), state.now_ms()).await?;
        return Err(AppError::code(ErrorCode::InvalidCredentials));
    };
    state.login_limiter.succeeded(&login);
    let response = open_session(&state, user.profile).await?;
    state.store.audit(&NewAudit::new(Some(response.user.id), "login", response.user.id), state.now_ms()).await?;
    Ok(Json(response))
}

/// A teacher's first login: the code her principal handed her, and the password she chooses.
/// Answers like a login, so the app continues straight into her work.
pub async fn activate(
    State(state): State<AppState>,
    Json(req): Json<ActivateRequest>,
) -> AppResult<Json<LoginResponse>> {
    const LIMITER_KEY: &str = "\u{0}activation";
    let now = state.now_ms();
    if !state.activation_limiter.allowed(LIMITER_KEY, now) {
        return Err(AppError::code(ErrorCode::RateLimited));
    }
    let Some(code) = normalise_code(&req.code) else {
        state.activation_limiter.failed(LIMITER_KEY, now);
        return Err(AppError::code(ErrorCode::InvalidActivationCode));
    };
    let refused = || async {
        state.activation_limiter.failed(LIMITER_KEY, now);
        state.store.audit(&NewAudit::new(None, "account.activation_refused", "code"), now).await?;
        Ok::<_, AppError>(AppError::code(ErrorCode::InvalidActivationCode))
    };
    let code_hash = token_hash(&code);
    // The owner first, read-only: a password the rules refuse must not spend the code.
    let Some(owner) = state.store.code_owner(&code_hash, now).await? else {
        return Err(refused().await?);
    };
    let user = state.store.user(owner).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    if let Err(why) = check_new_password(&user.profile.login, &req.password) {
        return Err(AppError::detail(ErrorCode::WeakPassword, why));
    }
    let password = req.password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    // `activate` checks the code again inside its transaction: two racing uses, one wins.
    if state.store.activate(&code_hash, &hash, now).await? != Some(owner) {
        return Err(refused().await?);
    }
    let response = open_session(&state, user.profile).await?;
    Ok(Json(response))
}

async fn open_session(state: &AppState, user: UserProfile) -> AppResult<LoginResponse> {
    let token = new_token();
    let now = state.now_ms();
    let expires_at_ms = now + SESSION_TTL_MS;
    state.store.create_session(&token_hash(&token), user.id, now, expires_at_ms).await?;
    tracing::info!(user = %user.id, "session opened");
    Ok(LoginResponse { token, expires_at_ms, user })
}

pub async fn logout(State(state): State<AppState>, user: CurrentUser) -> AppResult<StatusCode> {
    state.store.delete_session(&user.token_hash).await?;
    let id: UserId = user.profile.id;
    state.store.audit(&NewAudit::new(Some(id), "logout", id), state.now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(user: CurrentUser) -> Json<UserProfile> {
    Json(user.profile)
}
