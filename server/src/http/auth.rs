//! Logging in and out, and activating an account with a one-time code.

use crate::AppState;
use crate::auth::{CurrentUser, SESSION_TTL_MS, hash_password, new_token, token_hash, verify_password};
use crate::error::{AppError, AppResult, Json};
use crate::limiter::{Limit, Outcome, Refused, Throttle};
use crate::storage::NewAudit;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use opora_domain::UserId;
use opora_domain::accounts::{check_new_password, normalise_code};
use opora_domain::api::{ActivateRequest, ErrorCode, LoginRequest, LoginResponse};
use opora_domain::org::UserProfile;
use std::net::{IpAddr, SocketAddr};

/// Who is attempting, as the throttles count it: the TCP peer's address or, when the settings say
/// the server is behind a trusted reverse proxy, the last address of `X-Forwarded-For` (the one
/// that proxy added). An IPv6 client is its /64 network, which one subscriber usually holds whole.
pub struct Client(pub String);

impl FromRequestParts<AppState> for Client {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().next_back().and_then(|v| v.to_str().ok());
        Ok(Client(client_key(peer, forwarded, state.settings.trusted_proxy)))
    }
}

/// A client connecting from `ip`, as the throttles would count it without a proxy: the per-address
/// share of connections (`serve`) uses the same key.
pub(crate) fn client_of(ip: IpAddr) -> String {
    client_key(Some(ip), None, false)
}

/// The client's key from the peer's address and the last `X-Forwarded-For` header, which counts
/// only behind a trusted proxy (and then only its last address, the one that proxy added).
fn client_key(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted_proxy: bool) -> String {
    let forwarded = || forwarded_for?.rsplit(',').next()?.trim().parse::<IpAddr>().ok();
    let ip = if trusted_proxy { forwarded().or(peer) } else { peer };
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(ip) => ip.to_string(),
        // Only when the router is called without a connection (in-process tests).
        None => "local".to_owned(),
    }
}

/// Refused without a check: try again in `retry_after_ms` (when the counter that refused unlocks).
pub(super) fn rate_limited(retry_after_ms: i64) -> AppError {
    AppError::rate_limited(std::time::Duration::from_millis(retry_after_ms.max(0) as u64))
}

/// Audits a throttle's news in aggregate: one row when a lockout begins, one with the number of
/// refused attempts when it has ended. Never a row per refused attempt.
async fn audit_throttle(
    state: &AppState,
    throttle: &Throttle,
    action: &'static str,
    refused: Option<&Refused>,
) -> AppResult<()> {
    let now = state.now_ms();
    if let Some(r) = refused.filter(|r| r.first) {
        tracing::warn!(subject = %r.subject, client = %r.client, "attempts throttled");
        let detail = format!("{}: {} неудачных попыток, следующие отклоняются", r.client, r.failures);
        state.store.audit(&NewAudit::new(None, action, &r.subject).detail(detail), now).await?;
    }
    for ended in throttle.finished() {
        let detail = format!("{}: отклонено попыток: {} (блокировка окончена)", ended.client, ended.refused);
        state.store.audit(&NewAudit::new(None, action, &ended.subject).detail(detail), now).await?;
    }
    Ok(())
}

/// The limits a login attempt is checked against: the account from this client, and this client
/// over all accounts. A stranger's guesses lock out the stranger's address, not the account.
fn login_limits(state: &AppState, login: &str, client: &str) -> [Limit; 2] {
    [
        Limit {
            key: format!("login\u{0}{login}\u{0}{client}"),
            max: state.settings.login_attempts,
            cleared_by_success: true,
            subject: login.to_owned(),
            client: client.to_owned(),
        },
        Limit {
            key: format!("client\u{0}{client}"),
            max: state.settings.login_attempts_per_client,
            cleared_by_success: false,
            subject: "*".to_owned(),
            client: client.to_owned(),
        },
    ]
}

pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    Json(req): Json<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let login = req.login.trim().to_lowercase();
    if login.is_empty() || req.password.is_empty() {
        return Err(AppError::detail(ErrorCode::InvalidCredentials, "введите логин и пароль"));
    }
    if login.len() > 200 || req.password.len() > 1000 {
        return Err(AppError::code(ErrorCode::InvalidCredentials));
    }
    // The slot is taken before the (slow) check: parallel guesses cannot all pass the limit. At
    // the limit with attempts still being checked, this one waits for them rather than failing.
    let now = || state.now_ms();
    let reservation = match state.login_throttle.reserve(&login_limits(&state, &login, &client), &now).await? {
        Ok(reservation) => reservation,
        Err(refused) => {
            audit_throttle(&state, &state.login_throttle, "login.throttled", Some(&refused)).await?;
            return Err(rate_limited(refused.retry_after_ms));
        }
    };
    audit_throttle(&state, &state.login_throttle, "login.throttled", None).await?;
    let user = state.store.user_by_login(&login).await?;
    // A disabled account is checked like a wrong password: same time, same answer.
    let stored_hash = user.as_ref().filter(|u| u.active).and_then(|u| u.password_hash.clone());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(stored_hash.as_deref(), &password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let (Some(user), true) = (user, ok) else {
        state.login_throttle.record(reservation, Outcome::Failed, state.now_ms()).await?;
        tracing::info!(login = %login, "login refused");
        let audit = NewAudit::new(None, "login.refused", &login).detail(client);
        state.store.audit(&audit, state.now_ms()).await?;
        return Err(AppError::code(ErrorCode::InvalidCredentials));
    };
    state.login_throttle.record(reservation, Outcome::Succeeded, state.now_ms()).await?;
    // A reset may have replaced the password while it was being checked: then no session.
    let Some(response) = open_session(&state, user.profile, user.password_hash.as_deref()).await? else {
        return Err(AppError::code(ErrorCode::InvalidCredentials));
    };
    state.store.audit(&NewAudit::new(Some(response.user.id), "login", response.user.id), state.now_ms()).await?;
    Ok(Json(response))
}

/// A teacher's first login: the code her principal handed her, and the password she chooses.
/// Answers like a login, so the app continues straight into her work.
///
/// Wrong codes are counted per client: a wrong code names no account, so there is nothing else
/// to count it against, and a code itself is unguessable (about 59 bits).
pub async fn activate(
    State(state): State<AppState>,
    Client(client): Client,
    Json(req): Json<ActivateRequest>,
) -> AppResult<Json<LoginResponse>> {
    let now = state.now_ms();
    let limits = [Limit {
        key: format!("activation\u{0}{client}"),
        max: state.settings.activation_attempts_per_client,
        cleared_by_success: false,
        subject: "activation".to_owned(),
        client: client.clone(),
    }];
    let throttle = &state.activation_throttle;
    let reservation = match throttle.reserve(&limits, &|| state.now_ms()).await? {
        Ok(reservation) => reservation,
        Err(refused) => {
            audit_throttle(&state, throttle, "account.activation_throttled", Some(&refused)).await?;
            return Err(rate_limited(refused.retry_after_ms));
        }
    };
    audit_throttle(&state, throttle, "account.activation_throttled", None).await?;
    let Some(code) = normalise_code(&req.code) else {
        throttle.record(reservation, Outcome::Failed, now).await?;
        return Err(AppError::code(ErrorCode::InvalidActivationCode));
    };
    let refused = |reservation| async {
        throttle.record(reservation, Outcome::Failed, now).await?;
        state
            .store
            .audit(&NewAudit::new(None, "account.activation_refused", "code").detail(client.clone()), now)
            .await?;
        Ok::<_, AppError>(AppError::code(ErrorCode::InvalidActivationCode))
    };
    let code_hash = token_hash(&code);
    // The owner first, read-only: a password the rules refuse must not spend the code.
    let Some(owner) = state.store.code_owner(&code_hash, now).await? else {
        return Err(refused(reservation).await?);
    };
    let user = state.store.user(owner).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    // A code used on an account that had a password seals the answers sent before (storage's
    // `activate`): the teacher is told so.
    let had_password = user.password_hash.is_some();
    if let Err(why) = check_new_password(&user.profile.login, &req.password) {
        // The code was right: not a guess.
        throttle.release(reservation).await?;
        return Err(AppError::detail(ErrorCode::WeakPassword, why));
    }
    let password = req.password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    // `activate` checks the code again inside its transaction: two racing uses, one wins.
    if state.store.activate(&code_hash, &hash, now).await? != Some(owner) {
        return Err(refused(reservation).await?);
    }
    throttle.record(reservation, Outcome::Succeeded, now).await?;
    // Another reset of the account right after this one: its sessions, this one's too, end.
    let Some(response) = open_session(&state, user.profile, Some(hash.as_str())).await? else {
        return Err(AppError::code(ErrorCode::SessionExpired));
    };
    Ok(Json(LoginResponse { earlier_answers_sealed: had_password, ..response }))
}

/// A new session for `user`, if the account is still on and its password still `checked`, the
/// hash this request verified or set (`SessionStore::create_session`): `None` otherwise.
async fn open_session(state: &AppState, user: UserProfile, checked: Option<&str>) -> AppResult<Option<LoginResponse>> {
    let token = new_token();
    let now = state.now_ms();
    let expires_at_ms = now + SESSION_TTL_MS;
    if !state.store.create_session(&token_hash(&token), user.id, checked, now, expires_at_ms).await? {
        tracing::info!(user = %user.id, "session not opened: the password changed meanwhile");
        return Ok(None);
    }
    tracing::info!(user = %user.id, "session opened");
    Ok(Some(LoginResponse { token, expires_at_ms, user, earlier_answers_sealed: false }))
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

#[cfg(test)]
mod tests {
    use super::client_key;

    #[test]
    fn a_client_is_its_address_or_its_ipv6_network() {
        let ip = |s: &str| Some(s.parse().unwrap());
        for (peer, forwarded, trusted, key) in [
            (ip("203.0.113.7"), None, false, "203.0.113.7"),
            (ip("::ffff:203.0.113.7"), None, false, "203.0.113.7"),
            (ip("2001:db8:1:2:aaaa::1"), None, false, "2001:db8:1:2::/64"),
            (ip("2001:db8:1:2:bbbb::9"), None, false, "2001:db8:1:2::/64"),
            (ip("10.0.0.1"), Some("198.51.100.2"), false, "10.0.0.1"),
            (ip("10.0.0.1"), Some("1.1.1.1, 198.51.100.2"), true, "198.51.100.2"),
            (ip("10.0.0.1"), Some("198.51.100.2, nonsense"), true, "10.0.0.1"),
            (ip("10.0.0.1"), None, true, "10.0.0.1"),
            (None, None, false, "local"),
        ] {
            assert_eq!(client_key(peer, forwarded, trusted), key, "{peer:?} {forwarded:?} {trusted}");
        }
    }
}
