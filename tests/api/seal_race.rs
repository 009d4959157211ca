//! The seal of a reset and the end of the account's old sessions are one boundary that no
//! request in flight crosses (ARCHITECTURE.md, «Disclosure control», point 6): submissions sent
//! under the old session while the principal uses a re-issued code are either received before
//! the seal (and sealed from the new session) or refused 401, never stored after it where the new
//! session could read them.

use opora_domain::SubmissionId;
use opora_domain::api::{ActivateRequest, IssuedCode, LoginRequest, LoginResponse, TeacherAccount};
use opora_domain::form::FormDefinition;
use opora_domain::sync::{Change, Cursor, Outcome, PROTOCOL_VERSION, PushedChange, SyncRequest, SyncResponse};
use opora_tests::{DEMO_PASSWORD, TestApp, complete_submission, new_device};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Concurrent senders under the old session.
const RACERS: usize = 12;

/// What became of one submission sent under the old session.
#[derive(Debug)]
pub struct Raced {
    pub id: SubmissionId,
    pub submission: opora_domain::diagnosis::Submission,
    /// Stored (201, or acknowledged `Applied` by sync).
    pub acknowledged: bool,
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

async fn login(base: &str, login: &str) -> String {
    let body = LoginRequest { login: login.into(), password: DEMO_PASSWORD.into() };
    let res = http().post(format!("{base}/api/auth/login")).json(&body).send().await.unwrap();
    assert!(res.status().is_success(), "login {login}: {}", res.status());
    res.json::<LoginResponse>().await.unwrap().token
}

/// A teacher's old session, her principal's new code for her account, and the form: through
/// `base`.
pub async fn prepare_reset(base: &str, teacher: &str, principal: &str) -> (String, String) {
    let old = login(base, teacher).await;
    let principal = login(base, principal).await;
    let teachers: Vec<TeacherAccount> = http()
        .get(format!("{base}/api/school/teachers"))
        .bearer_auth(&principal)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let account = teachers.iter().find(|t| t.login == teacher).expect("her account in the principal's list");
    let issued: IssuedCode = http()
        .post(format!("{base}/api/school/teachers/{}/code", account.id))
        .bearer_auth(&principal)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (old, issued.code)
}

/// Racers submit under `old` through `submit_bases` (REST and sync in turn) as fast as they can,
/// while the code is used through `activate_base` once some submissions are in. Every answer is
/// checked as it comes: stored, or refused 401 (after which that racer stops); anything else
/// fails the test. Returns every submission sent and the new session's token.
pub async fn race(
    submit_bases: &[String],
    activate_base: &str,
    old: &str,
    code: &str,
    form: &FormDefinition,
) -> (Vec<Raced>, String) {
    let refused = Arc::new(AtomicBool::new(false));
    let mut racers = Vec::new();
    for r in 0..RACERS {
        let (base, old, form) = (submit_bases[r % submit_bases.len()].clone(), old.to_owned(), form.clone());
        let refused = Arc::clone(&refused);
        racers.push(tokio::spawn(async move {
            let (client, device) = (http(), new_device());
            let mut sent = Vec::new();
            for seq in 1..=2_000u64 {
                let submission = complete_submission(&form, "math");
                let (status, acknowledged) = if (r + seq as usize).is_multiple_of(2) {
                    let res = client
                        .put(format!("{base}/api/self-diagnoses/{}", submission.id))
                        .bearer_auth(&old)
                        .json(&submission)
                        .send()
                        .await
                        .unwrap();
                    (res.status().as_u16(), res.status().as_u16() == 201)
                } else {
                    let push = vec![PushedChange {
                        seq,
                        change: Change::SubmitSelfDiagnosis { submission: submission.clone() },
                    }];
                    let req =
                        SyncRequest { protocol: PROTOCOL_VERSION, device, push, cursor: Cursor(0), pull_limit: 1 };
                    let res =
                        client.post(format!("{base}/api/sync")).bearer_auth(&old).json(&req).send().await.unwrap();
                    let status = res.status().as_u16();
                    let applied =
                        status == 200 && res.json::<SyncResponse>().await.unwrap().acks[0].outcome == Outcome::Applied;
                    assert!(status != 200 || applied, "a stored submission is acknowledged Applied");
                    (status, applied)
                };
                assert!(status == 201 || status == 200 || status == 401, "stored or refused 401, got {status}");
                sent.push(Raced { id: submission.id, submission, acknowledged });
                if status == 401 {
                    refused.store(true, Ordering::SeqCst);
                    break;
                }
            }
            sent
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let body = ActivateRequest { code: code.to_owned(), password: "пароль-директора-2027".into() };
    let res = http().post(format!("{activate_base}/api/auth/activate")).json(&body).send().await.unwrap();
    assert!(res.status().is_success(), "the principal uses the code: {}", res.status());
    let new = res.json::<LoginResponse>().await.unwrap().token;
    let mut all = Vec::new();
    for racer in racers {
        all.extend(racer.await.expect("a racer"));
    }
    assert!(refused.load(Ordering::SeqCst), "the old session was refused in the end");
    (all, new)
}

/// Through `base`, the new session reads none of the old session's submissions, by id or by
/// pull, and a resend of an acknowledged one does not hand it back either (it is stored and
/// sealed: 404, where a submission never stored would be 201).
pub async fn assert_sealed_from(base: &str, new: &str, raced: &[Raced]) {
    let client = http();
    for r in raced {
        let res = client.get(format!("{base}/api/self-diagnoses/{}", r.id)).bearer_auth(new).send().await.unwrap();
        assert_eq!(
            res.status().as_u16(),
            404,
            "{} submission {} sent under the old session is readable by the new one",
            if r.acknowledged { "acknowledged" } else { "refused" },
            r.id
        );
    }
    let (device, mut cursor) = (new_device(), Cursor(0));
    loop {
        let req = SyncRequest { protocol: PROTOCOL_VERSION, device, push: vec![], cursor, pull_limit: 500 };
        let res: SyncResponse = client
            .post(format!("{base}/api/sync"))
            .bearer_auth(new)
            .json(&req)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for pulled in &res.pulled {
            if let opora_domain::sync::Pulled::SelfDiagnosis { stored } = pulled {
                assert!(
                    raced.iter().all(|r| r.id != stored.submission.id),
                    "pulled by the new session: {}",
                    stored.submission.id
                );
            }
        }
        cursor = res.cursor;
        if !res.more {
            break;
        }
    }
    for r in raced.iter().filter(|r| r.acknowledged) {
        let res = client
            .put(format!("{base}/api/self-diagnoses/{}", r.id))
            .bearer_auth(new)
            .json(&r.submission)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 404, "an acknowledged submission is stored and sealed: {}", r.id);
    }
}

#[tokio::test]
async fn submissions_racing_an_activation_are_received_before_the_seal_or_refused() {
    let app = TestApp::spawn().await;
    let form = app.form().await;
    let (old, code) = prepare_reset(&app.base_url, "kalinovka.t1", "kalinovka.director").await;
    let (raced, new) = race(std::slice::from_ref(&app.base_url), &app.base_url, &old, &code, &form).await;
    assert!(raced.iter().any(|r| r.acknowledged), "submissions went in before the activation");
    assert_sealed_from(&app.base_url, &new, &raced).await;
    for r in &raced {
        assert_eq!(app.is_stored(r.id).await, r.acknowledged, "stored exactly when acknowledged: {}", r.id);
    }
}

/// The other side of the boundary: a login whose password was verified just before the
/// administrator replaced it must not open a session after the reset ended the account's
/// sessions. Teachers' devices log in with the old password over and over while the reset
/// lands; afterwards no token any of them got is live.
#[tokio::test]
async fn a_login_checked_against_a_replaced_password_opens_no_session() {
    let app = TestApp::spawn().await;
    let login_name = "kalinovka.t2";
    let user = app.state.store.user_by_login(login_name).await.unwrap().expect("a demo teacher");
    let new_hash = opora_server::auth::hash_password("пароль-администратора-2027").unwrap();
    let started = std::time::Instant::now();
    let _ = login(&app.base_url, login_name).await;
    let one_login = started.elapsed();

    // The reset waits for a first login to get in, whatever the machine's load makes a login cost.
    let got_in = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let base = app.base_url.clone();
        let got_in = got_in.clone();
        tasks.push(tokio::spawn(async move {
            let mut tokens = Vec::new();
            loop {
                let body = LoginRequest { login: login_name.into(), password: DEMO_PASSWORD.into() };
                let res = http().post(format!("{base}/api/auth/login")).json(&body).send().await.unwrap();
                match res.status().as_u16() {
                    200 => {
                        tokens.push(res.json::<LoginResponse>().await.unwrap().token);
                        got_in.notify_one();
                    }
                    401 => return tokens,
                    other => panic!("a login answered {other}"),
                }
            }
        }));
        tokio::time::sleep(one_login / 4).await;
    }
    got_in.notified().await;
    tokio::time::sleep(one_login / 2).await;
    let audit = opora_server::storage::NewAudit::new(None, "account.password_reset", user.profile.id);
    app.state.store.set_password(user.profile.id, &new_hash, &audit, app.now_ms()).await.expect("the reset");
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.extend(task.await.expect("a device logging in"));
    }
    assert!(!tokens.is_empty(), "logins with the old password went through before the reset");
    for token in &tokens {
        let (status, _) = app.me(token).await.expect_err("no session of the old password outlives the reset");
        assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    }
}
