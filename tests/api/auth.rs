//! Logging in and out, sessions, and throttled password guessing.

use opora_domain::api::ErrorCode;
use opora_domain::org::Role;
use opora_server::auth::SESSION_TTL_MS;
use opora_tests::{DEMO_PASSWORD, TestApp, new_device, sync_request};
use reqwest::StatusCode;

/// The window of the login limiter (`server/src/limiter.rs`), documented as 15 minutes.
const LOCKOUT_WINDOW_MS: i64 = 15 * 60 * 1000;

#[tokio::test]
async fn a_demo_teacher_logs_in_and_the_session_says_who_she_is() {
    let app = TestApp::spawn().await;
    let before = app.now_ms();
    let res = app.login("burakovo.t1", DEMO_PASSWORD).await.expect("login");

    assert_eq!(res.token.len(), 64, "256 random bits, hex");
    assert!(res.token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(res.expires_at_ms >= before + SESSION_TTL_MS && res.expires_at_ms <= app.now_ms() + SESSION_TTL_MS);
    assert_eq!(res.user.login, "burakovo.t1");
    assert_eq!(res.user.role, Role::Teacher);
    assert_eq!(res.user.school.as_ref().map(|s| s.name.as_str()), Some("Бураковская СОШ"));
    assert_eq!(res.user.municipality.as_ref().map(|m| m.name.as_str()), Some("Спасский муниципальный район"));
    assert_eq!(app.me(&res.token).await.expect("me"), res.user);
}

#[tokio::test]
async fn a_login_is_trimmed_and_case_insensitive() {
    let app = TestApp::spawn().await;
    let res = app.login("  Burakovo.T1 ", DEMO_PASSWORD).await.expect("login");
    assert_eq!(res.user.login, "burakovo.t1");
}

#[tokio::test]
async fn a_session_token_is_stored_only_as_its_hash() {
    let app = TestApp::spawn().await;
    let res = app.login_as("burakovo.t1").await;
    let store = &app.state.store;
    assert!(store.session(&res.token).await.unwrap().is_none(), "the raw token is not a key");
    let session = store.session(&opora_server::auth::token_hash(&res.token)).await.unwrap().expect("a session");
    assert_eq!(session.user_id, res.user.id);
}

#[tokio::test]
async fn a_wrong_password_is_refused_as_invalid_credentials() {
    let app = TestApp::spawn().await;
    let (status, error) = app.login("burakovo.t1", "opora2025").await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials));

    // An unknown login gets the very same answer: logins cannot be enumerated.
    let (status, unknown) = app.login("nobody.t1", DEMO_PASSWORD).await.unwrap_err();
    assert_eq!((status, unknown.code), (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials));
    assert_eq!(unknown, error);

    let (status, error) = app.login("burakovo.t1", "").await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials));
}

#[tokio::test]
async fn a_request_without_a_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    for path in ["/api/auth/me", "/api/department/self-diagnosis"] {
        let (status, error) = opora_tests::refusal(app.get_raw(path, None).await).await;
        assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated), "{path}");
    }
    let res = app
        .request(reqwest::Method::GET, "/api/auth/me", None)
        .header(reqwest::header::AUTHORIZATION, "Basic YnVyYWtvdm8udDE6b3BvcmEyMDI2")
        .send()
        .await
        .unwrap();
    let (status, error) = opora_tests::refusal(res).await;
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated));

    let body = serde_json::to_vec(&sync_request(new_device(), vec![], Default::default())).unwrap();
    let (status, error) = opora_tests::refusal(app.post_raw("/api/sync", None, body, "application/json").await).await;
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated));
}

#[tokio::test]
async fn a_garbage_token_reads_as_an_expired_session() {
    let app = TestApp::spawn().await;
    for token in ["garbage", &"0".repeat(64)] {
        let (status, error) = app.me(token).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired), "{token}");
    }
}

#[tokio::test]
async fn after_logout_the_token_no_longer_works_but_other_sessions_do() {
    let app = TestApp::spawn().await;
    let phone = app.token("burakovo.t1").await;
    let laptop = app.token("burakovo.t1").await;

    assert_eq!(app.logout(&phone).await.expect("logout"), StatusCode::NO_CONTENT);
    let (status, error) = app.me(&phone).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired));
    let (status, error) = app.logout(&phone).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired));

    assert_eq!(app.me(&laptop).await.expect("the other session").login, "burakovo.t1");
}

#[tokio::test]
async fn a_session_expires_after_its_lifetime() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    app.advance_clock(SESSION_TTL_MS + 1);
    let (status, error) = app.me(&token).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired));

    // So does every endpoint behind it.
    let (status, error) = app.sync(&token, &sync_request(new_device(), vec![], Default::default())).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired));
}

#[tokio::test]
async fn a_session_in_use_is_renewed_and_outlives_its_first_expiry() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    // Three quarters of the way: still valid, and past half its life, so renewed.
    app.advance_clock(SESSION_TTL_MS * 3 / 4);
    app.me(&token).await.expect("still valid");
    // Past the original expiry, but within the renewed one.
    app.advance_clock(SESSION_TTL_MS * 3 / 4);
    app.me(&token).await.expect("renewed");
    // Left unused for a whole lifetime, it expires.
    app.advance_clock(SESSION_TTL_MS + 1);
    let (status, error) = app.me(&token).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired));
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_account_even_for_the_right_password() {
    let app = TestApp::spawn().await;
    let attempts = app.state.settings.login_attempts;
    assert_eq!(attempts, 10, "the default");
    for i in 0..attempts {
        let (status, error) = app.login("burakovo.t1", &format!("guess {i}")).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials), "attempt {i}");
    }
    let (status, error) = app.login("burakovo.t1", DEMO_PASSWORD).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited));
    // The same account however it is spelt.
    let (status, error) = app.login("BURAKOVO.T1", DEMO_PASSWORD).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited));

    // Other accounts are unaffected.
    app.login_as("burakovo.t2").await;

    // Once the window has passed, the right password works again.
    app.advance_clock(LOCKOUT_WINDOW_MS);
    app.login_as("burakovo.t1").await;
}

#[tokio::test]
async fn the_login_limit_follows_the_setting() {
    let app = TestApp::spawn_with(|s| s.login_attempts = 2).await;
    for _ in 0..2 {
        let (_, error) = app.login("spassk.otdel", "wrong").await.unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidCredentials);
    }
    let (status, error) = app.login("spassk.otdel", DEMO_PASSWORD).await.unwrap_err();
    assert_eq!((status, error.code), (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited));
}

#[tokio::test]
async fn a_successful_login_clears_earlier_failures() {
    let app = TestApp::spawn_with(|s| s.login_attempts = 2).await;
    app.login("burakovo.t1", "wrong").await.unwrap_err();
    app.login_as("burakovo.t1").await;
    app.login("burakovo.t1", "wrong").await.unwrap_err();
    // One failure since the success: still below the limit of two.
    app.login_as("burakovo.t1").await;
}

#[tokio::test]
async fn a_malformed_login_body_is_refused() {
    let app = TestApp::spawn().await;
    for (body, content_type) in [
        (r#"{"login":"burakovo.t1""#, "application/json"),
        (r#"{"login":"burakovo.t1"}"#, "application/json"),
        (r#"{"login":1,"password":"opora2026"}"#, "application/json"),
        (r#"{"login":"burakovo.t1","password":"opora2026"}"#, "text/plain"),
    ] {
        let res = app.post_raw("/api/auth/login", None, body, content_type).await;
        let (status, error) = opora_tests::refusal(res).await;
        assert_eq!((status, error.code), (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest), "{body}");
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let res = app
        .request(reqwest::Method::GET, "/api/auth/me", None)
        .header(reqwest::header::AUTHORIZATION, format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
