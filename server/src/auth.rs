//! Passwords, session tokens and the extractor that tells a handler who is asking.

use crate::AppState;
use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use opora_domain::accounts::{CODE_ALPHABET, CODE_LENGTH};
use opora_domain::api::ErrorCode;
use opora_domain::org::UserProfile;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// How long a session lasts without use. Long, because a rural teacher may be offline for weeks
/// and must not lose her queued work to an expired login; every use renews it.
pub const SESSION_TTL_MS: i64 = 60 * 24 * 60 * 60 * 1000;

/// Hashes a password with Argon2id (the crate's defaults follow OWASP: 19 MiB, 2 passes).
/// CPU-heavy: call from a blocking task.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Checks a password against a stored hash; a missing or unparsable hash never matches.
/// CPU-heavy: call from a blocking task.
pub fn verify_password(stored: Option<&str>, password: &str) -> bool {
    match stored.and_then(|s| PasswordHash::new(s).ok()) {
        Some(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        None => {
            // Spend what a real check costs, so the response time does not reveal which logins
            // exist or are not yet activated.
            let _ = hash_password(password);
            false
        }
    }
}

/// A new opaque session token: 256 random bits, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// A new activation code, unformatted: [`CODE_LENGTH`] letters of [`CODE_ALPHABET`], uniformly.
pub fn new_activation_code() -> String {
    let mut code = String::with_capacity(CODE_LENGTH);
    let mut buf = [0u8; 32];
    // Rejection sampling: only bytes below the largest multiple of the alphabet's size are used,
    // so every letter is equally likely.
    let limit = (256 / CODE_ALPHABET.len() * CODE_ALPHABET.len()) as u8;
    while code.len() < CODE_LENGTH {
        OsRng.fill_bytes(&mut buf);
        for b in buf.iter().filter(|b| **b < limit) {
            if code.len() == CODE_LENGTH {
                break;
            }
            code.push(CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char);
        }
    }
    code
}

/// What the database keeps of a token or an (already normalised) activation code.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The authenticated user of a request, from `Authorization: Bearer <token>`.
pub struct CurrentUser {
    pub profile: UserProfile,
    pub token_hash: String,
}

impl CurrentUser {
    /// The session this request came under: every write it makes commits only while the session
    /// is live (`storage::Session`).
    pub fn session(&self) -> crate::storage::Session<'_> {
        crate::storage::Session(&self.token_hash)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            // The scheme is case-insensitive (RFC 9110).
            .and_then(|v| v.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")))
            .map(|(_, token)| token.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError::code(ErrorCode::Unauthenticated))?;
        let hash = token_hash(token);
        let session = state.store.session(&hash).await?.ok_or_else(|| AppError::code(ErrorCode::SessionExpired))?;
        let now = state.now_ms();
        if session.expires_at_ms <= now {
            return Err(AppError::code(ErrorCode::SessionExpired));
        }
        // Renew a session that is past half its life, so a user active at least monthly stays in.
        if session.expires_at_ms - now < SESSION_TTL_MS / 2 {
            state.store.extend_session(&hash, now + SESSION_TTL_MS).await?;
        }
        let user = state.store.user(session.user_id).await?.ok_or_else(|| AppError::code(ErrorCode::SessionExpired))?;
        if !user.active {
            return Err(AppError::code(ErrorCode::SessionExpired));
        }
        Ok(CurrentUser { profile: user.profile, token_hash: hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("верный пароль").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(Some(&hash), "верный пароль"));
        assert!(!verify_password(Some(&hash), "неверный"));
        assert!(!verify_password(None, "верный пароль"));
        assert!(!verify_password(Some("not a hash"), "x"));
    }

    #[test]
    fn tokens_are_random_and_stored_only_as_hashes() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn activation_codes_are_well_formed_and_read_back() {
        let codes: Vec<String> = (0..200).map(|_| new_activation_code()).collect();
        for code in &codes {
            let printed = opora_domain::accounts::format_code(code);
            assert_eq!(opora_domain::accounts::normalise_code(&printed).as_deref(), Some(code.as_str()));
        }
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), codes.len());
    }
}
