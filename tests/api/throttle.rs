//! Guessing passwords and activation codes (issue 10, findings 10–12): parallel guesses cannot
//! pass the limit, a stranger's guesses lock out the stranger's address and not the account, and
//! a flood of refused attempts leaves a few audit rows, not one per attempt.
//!
//! Two clients on one machine: the attacker connects from 127.0.0.1 (the harness's client), the
//! real user from 127.0.0.2 (Linux routes all of 127.0.0.0/8 to the loopback interface).

use opora_domain::api::{ActivateRequest, AuditEntry, ErrorCode, IssuedCode, LoginRequest, LoginResponse, NewTeacher};
use opora_tests::{DEMO_PASSWORD, Refusal, TestApp, send};
use reqwest::{Method, StatusCode};
use std::net::{IpAddr, Ipv4Addr};

/// The throttle's window, documented as 15 minutes (`server/src/limiter.rs`).
const WINDOW_MS: i64 = 15 * 60 * 1000;

/// The real user's own client, on another address than the attacker's.
fn other_client() -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .expect("a client on 127.0.0.2")
}

async fn login_with(
    app: &TestApp,
    client: &reqwest::Client,
    forwarded_for: Option<&str>,
    login: &str,
    password: &str,
) -> Result<LoginResponse, Refusal> {
    let body = LoginRequest { login: login.to_owned(), password: password.to_owned() };
    let mut rb = client.post(app.url("/api/auth/login")).json(&body);
    if let Some(addr) = forwarded_for {
        rb = rb.header("x-forwarded-for", format!("10.0.0.1, {addr}"));
    }
    send(rb).await.map(|(_, r)| r)
}

async fn audit(app: &TestApp, action: &str, subject: &str) -> Vec<AuditEntry> {
    let log = app.state.store.audit_log(None, 10_000).await.expect("the audit log");
    log.into_iter().filter(|e| e.action == action && e.subject.as_deref() == Some(subject)).collect()
}

fn is_rate_limited(r: &Result<LoginResponse, Refusal>) -> bool {
    matches!(r, Err((StatusCode::TOO_MANY_REQUESTS, e)) if e.code == ErrorCode::RateLimited)
}

fn is_wrong_password(r: &Result<LoginResponse, Refusal>) -> bool {
    matches!(r, Err((StatusCode::UNAUTHORIZED, e)) if e.code == ErrorCode::InvalidCredentials)
}

#[tokio::test]
async fn thirty_parallel_guesses_after_nine_failures_are_not_all_checked() {
    let app = TestApp::spawn().await;
    assert_eq!(app.state.settings.login_attempts, 10, "the default");
    for i in 0..9 {
        assert!(is_wrong_password(&app.login("burakovo.t1", &format!("guess {i}")).await));
    }

    let guesses = (0..30).map(|i| {
        let base = app.base_url.clone();
        tokio::spawn(async move {
            let body = LoginRequest { login: "burakovo.t1".into(), password: format!("parallel {i}") };
            send::<LoginResponse>(reqwest::Client::new().post(format!("{base}/api/auth/login")).json(&body))
                .await
                .map(|(_, r)| r)
        })
    });
    let mut results = Vec::new();
    for guess in guesses.collect::<Vec<_>>() {
        results.push(guess.await.expect("the task"));
    }
    let checked = results.iter().filter(|r| is_wrong_password(r)).count();
    let throttled = results.iter().filter(|r| is_rate_limited(r)).count();
    assert_eq!((checked, throttled), (1, 29), "only the tenth slot was free");
    assert_eq!(audit(&app, "login.refused", "burakovo.t1").await.len(), 10, "ten passwords were checked");

    // The right password, from the attacker's address: refused until the window passes.
    assert!(is_rate_limited(&app.login("burakovo.t1", DEMO_PASSWORD).await));
    // The teacher herself, from her own address: in.
    login_with(&app, &other_client(), None, "burakovo.t1", DEMO_PASSWORD).await.expect("the owner logs in");

    app.advance_clock(WINDOW_MS);
    app.login_as("burakovo.t1").await;
}

#[tokio::test]
async fn a_strangers_guesses_do_not_lock_out_the_administrator_and_are_audited_in_aggregate() {
    let app = TestApp::spawn().await;
    for i in 0..10 {
        assert!(is_wrong_password(&app.login("admin", &format!("guess {i}")).await), "guess {i}");
    }
    for _ in 0..50 {
        assert!(is_rate_limited(&app.login("admin", "another guess").await));
    }
    let owner = other_client();
    login_with(&app, &owner, None, "admin", DEMO_PASSWORD).await.expect("the administrator logs in");
    // Her own mistakes count against her address only, from zero.
    assert!(is_wrong_password(&login_with(&app, &owner, None, "admin", "typo").await));
    login_with(&app, &owner, None, "admin", DEMO_PASSWORD).await.expect("and again");

    // Ten checked guesses, ten rows; fifty refused ones, one row while the lockout lasts...
    assert_eq!(audit(&app, "login.refused", "admin").await.len(), 11);
    let throttled = audit(&app, "login.throttled", "admin").await;
    assert_eq!(throttled.len(), 1, "{throttled:?}");
    assert!(throttled[0].detail.contains("127.0.0.1"), "{throttled:?}");

    // ...and one with their number once it has ended.
    app.advance_clock(WINDOW_MS);
    app.login_as("admin").await;
    let throttled = audit(&app, "login.throttled", "admin").await;
    assert_eq!(throttled.len(), 2, "{throttled:?}");
    assert!(throttled.iter().any(|e| e.detail.contains("отклонено попыток: 50")), "{throttled:?}");
}

#[tokio::test]
async fn one_client_cannot_spray_guesses_over_many_accounts() {
    let app = TestApp::spawn_with(|s| s.login_attempts_per_client = 5).await;
    for i in 0..5 {
        assert!(is_wrong_password(&app.login(&format!("burakovo.t{}", i + 1), "guess").await));
    }
    assert!(is_rate_limited(&app.login("burakovo.t6", "guess").await), "the client's limit over all accounts");
    login_with(&app, &other_client(), None, "burakovo.t1", DEMO_PASSWORD).await.expect("others log in");
}

#[tokio::test]
async fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
    // Not behind a proxy: anyone can send the header, so a new address per guess changes nothing.
    let app = TestApp::spawn_with(|s| s.login_attempts = 3).await;
    let client = reqwest::Client::new();
    for i in 0..3 {
        let r = login_with(&app, &client, Some(&format!("198.51.100.{i}")), "burakovo.t1", "guess").await;
        assert!(is_wrong_password(&r));
    }
    let r = login_with(&app, &client, Some("198.51.100.99"), "burakovo.t1", DEMO_PASSWORD).await;
    assert!(is_rate_limited(&r), "the header is ignored");

    // Behind one: the proxy's last address is the client.
    let app = TestApp::spawn_with(|s| {
        s.login_attempts = 3;
        s.trusted_proxy = true;
    })
    .await;
    for _ in 0..3 {
        assert!(is_wrong_password(&login_with(&app, &client, Some("203.0.113.7"), "burakovo.t1", "guess").await));
    }
    let r = login_with(&app, &client, Some("203.0.113.7"), "burakovo.t1", DEMO_PASSWORD).await;
    assert!(is_rate_limited(&r), "the attacker's address is locked out");
    login_with(&app, &client, Some("198.51.100.2"), "burakovo.t1", DEMO_PASSWORD).await.expect("the owner's is not");
}

#[tokio::test]
async fn guessing_activation_codes_does_not_stop_anyone_elses_first_login() {
    let app = TestApp::spawn().await;
    let principal = app.token("burakovo.director").await;
    let body = NewTeacher { full_name: "Петрова Анна".into(), login: None };
    let (_, issued): (_, IssuedCode) =
        send(app.request(Method::POST, "/api/school/teachers", Some(&principal)).json(&body)).await.expect("created");

    let limit = app.state.settings.activation_attempts_per_client;
    let mut refused = 0;
    for i in 0..100u32 {
        let body = ActivateRequest {
            code: format!("ABCD-EFGH-{:04}", 2000 + i), password: "весна-2027-Бураки".into()
        };
        match send::<LoginResponse>(app.request(Method::POST, "/api/auth/activate", None).json(&body)).await {
            Err((StatusCode::UNAUTHORIZED, e)) => {
                assert_eq!(e.code, ErrorCode::InvalidActivationCode);
                assert!(i < limit, "guess {i} was checked");
            }
            Err((StatusCode::TOO_MANY_REQUESTS, e)) => {
                assert_eq!(e.code, ErrorCode::RateLimited);
                refused += 1;
            }
            other => panic!("guess {i}: {other:?}"),
        }
    }
    assert_eq!(refused, 100 - limit, "every guess beyond the client's limit is refused unchecked");
    assert_eq!(audit(&app, "account.activation_throttled", "activation").await.len(), 1, "one row, not seventy");

    let body = ActivateRequest { code: issued.code.clone(), password: "весна-2027-Бураки".into() };
    send::<LoginResponse>(other_client().post(app.url("/api/auth/activate")).json(&body))
        .await
        .expect("the teacher activates her account from her own address");
}

/// Logins sent all at once from this machine's address; each one's outcome.
async fn simultaneous_logins(app: &TestApp, attempts: &[(&str, &str)]) -> Vec<Result<LoginResponse, Refusal>> {
    let tasks: Vec<_> = attempts
        .iter()
        .map(|&(login, password)| {
            let url = app.url("/api/auth/login");
            let body = LoginRequest { login: login.to_owned(), password: password.to_owned() };
            tokio::spawn(async move { send(reqwest::Client::new().post(url).json(&body)).await.map(|(_, r)| r) })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("the task"));
    }
    results
}

#[tokio::test]
async fn simultaneous_right_logins_are_never_refused_for_each_others_attempts_in_flight() {
    // Both limits far below the logins in flight: one account's, and this address's over all.
    let app = TestApp::spawn_with(|s| {
        s.login_attempts = 3;
        s.login_attempts_per_client = 5;
    })
    .await;
    let mut attempts = vec![("burakovo.t1", DEMO_PASSWORD); 12];
    attempts.extend(["burakovo.t2", "burakovo.t3", "burakovo.t4", "burakovo.t5"].map(|l| (l, DEMO_PASSWORD)));
    for (i, result) in simultaneous_logins(&app, &attempts).await.into_iter().enumerate() {
        assert!(result.is_ok(), "login {i} ({}): {:?}", attempts[i].0, result.err());
    }
    // Nothing was counted against anyone: all the wrong guesses the limit allows are still there.
    for i in 0..3 {
        assert!(is_wrong_password(&app.login("burakovo.t1", &format!("guess {i}")).await), "guess {i}");
    }
    assert!(is_rate_limited(&app.login("burakovo.t1", DEMO_PASSWORD).await));
}

#[tokio::test]
async fn a_refusal_states_the_true_wait_in_its_header_and_its_message() {
    let app = TestApp::spawn_with(|s| s.login_attempts = 3).await;
    for i in 0..3 {
        assert!(is_wrong_password(&app.login("burakovo.t1", &format!("guess {i}")).await));
    }
    for (elapsed_min, left_min) in [(0, 15), (5, 10), (14, 1)] {
        let res = reqwest::Client::new()
            .post(app.url("/api/auth/login"))
            .json(&LoginRequest { login: "burakovo.t1".into(), password: DEMO_PASSWORD.into() })
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: i64 =
            res.headers().get("retry-after").expect("a Retry-After header").to_str().unwrap().parse().expect("seconds");
        let left_secs = left_min * 60;
        assert!((left_secs - 5..=left_secs).contains(&retry_after), "{elapsed_min} min in: {retry_after} s");
        let (_, error) = opora_tests::refusal(res).await;
        let said = error.detail.unwrap_or(error.message);
        assert!(said.contains(&format!("через {left_min} мин.")), "{elapsed_min} min in: {said}");
        app.advance_clock(if elapsed_min == 0 { 5 } else { 9 } * 60 * 1000);
    }
    app.advance_clock(60 * 1000);
    app.login_as("burakovo.t1").await;
}
