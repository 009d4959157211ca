//! Logging in and out.

use crate::AppState;
use crate::auth::{CurrentUser, SESSION_TTL_MS, new_token, token_hash, verify_password};
use crate::error::{AppError, AppResult, Json};
use axum::extract::State;
use axum::http::StatusCode;
use opora_domain::api::{ErrorCode, LoginRequest, LoginResponse};
use opora_domain::org::UserProfile;

pub async fn login(State(state): State<AppState>, Json(req): Json<LoginRequest>) -> AppResult<Json<LoginResponse>> {
    let login = req.login.trim().to_lowercase();
    if login.is_empty() || req.password.is_empty() {
        return Err(AppError::detail(ErrorCode::InvalidCredentials, "введите логин и пароль"));
    }
    if !state.login_limiter.allowed(&login, state.now_ms()) {
        return Err(AppError::code(ErrorCode::RateLimited));
    }
    let user = state.store.user_by_login(&login).await?;
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(stored_hash.as_deref(), &password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let (Some(user), true) = (user, ok) else {
        state.login_limiter.failed(&login, state.now_ms());
        tracing::info!(login = %login, "login refused");
        return Err(AppError::code(ErrorCode::InvalidCredentials));
    };
    state.login_limiter.succeeded(&login);
    let token = new_token();
    let now = state.now_ms();
    let expires_at_ms = now + SESSION_TTL_MS;
    state.store.create_session(&token_hash(&token), user.profile.id, now, expires_at_ms).await?;
    tracing::info!(user = %user.profile.id, "login");
    Ok(Json(LoginResponse { token, expires_at_ms, user: user.profile }))
}

pub async fn logout(State(state): State<AppState>, user: CurrentUser) -> AppResult<StatusCode> {
    state.store.delete_session(&user.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(user: CurrentUser) -> Json<UserProfile> {
    Json(user.profile)
}
