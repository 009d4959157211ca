//! Two server processes on one PostgreSQL database, as behind a reverse proxy: devices push
//! through both while others pull through both, and one server is killed with SIGKILL mid-sync;
//! logins through both at once meet one throttle.
//! Runs with `OPORA_TEST_BACKEND=postgres` (SQLite serves one process per database file) and
//! needs the server binary built (`cargo build -p opora-server`; `cargo xtask test` does).

use opora_domain::sync::{Cursor, Outcome, Pulled};
use opora_tests::servers::{Client, ServerProcess, demo_teacher_logins};
use opora_tests::{complete_submission, new_device, pushed, sync_request};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const TEACHERS: usize = 6;
const EACH: u64 = 12;

#[tokio::test]
async fn two_servers_share_one_database_and_a_killed_one_loses_nothing_acknowledged() {
    if !opora_tests::postgres::backend_is_postgres() {
        eprintln!("skipped: two server processes need PostgreSQL (OPORA_TEST_BACKEND=postgres)");
        return;
    }
    let url = opora_tests::postgres::fresh_database_url().await;
    // One after the other: the first applies the migrations and loads the demo data.
    let a = ServerProcess::start(&url, &[]);
    let mut b = ServerProcess::start(&url, &[]);
    let (to_a, to_b) = (Client::new(&a.base_url), Client::new(&b.base_url));
    let b_killed = Arc::new(AtomicBool::new(false));
    let logins: Vec<String> = demo_teacher_logins().into_iter().take(TEACHERS).collect();
    let form = self_diagnosis_form(&to_a, &logins[0]).await;

    let mut teachers = Vec::new();
    let mut before = Vec::new();
    for login in &logins {
        // Logged in through A, used through both: sessions live in the database.
        let token = to_a.login(login).await.expect("a login");
        // What the demo data already holds for her.
        before.push(pull_everything(&to_b, &token).await);
        let (to_a, to_b, form, b_killed) = (to_a.clone(), to_b.clone(), form.clone(), Arc::clone(&b_killed));
        let pusher = tokio::spawn({
            let token = token.clone();
            async move {
                let device = new_device();
                let mut acked = Vec::new();
                for seq in 1..=EACH {
                    let submission = complete_submission(&form, "math");
                    let request = sync_request(device, vec![pushed(seq, &submission)], Cursor(0));
                    // Alternate servers; a failed request is sent again, as the app does, through A.
                    let first = if seq % 2 == 0 && !b_killed.load(Ordering::SeqCst) { &to_b } else { &to_a };
                    let res = match first.sync(&token, &request).await {
                        Ok(res) => res,
                        Err(_) => to_a.sync(&token, &request).await.expect("a retry through A"),
                    };
                    assert_eq!(res.acks[0].outcome, Outcome::Applied);
                    acked.push(submission.id);
                }
                acked
            }
        });
        teachers.push((token, pusher));
    }
    // Pullers, one more device per teacher, alternate servers until B is killed.
    let mut pulled: Vec<Vec<opora_domain::SubmissionId>> = vec![Vec::new(); TEACHERS];
    let mut cursors = [Cursor(0); TEACHERS];
    let pull_devices: Vec<_> = (0..TEACHERS).map(|_| new_device()).collect();
    let mut round = 0;
    loop {
        let done = teachers.iter().all(|(_, p)| p.is_finished());
        round += 1;
        if round == 4 {
            b.kill();
            b_killed.store(true, Ordering::SeqCst);
        }
        let mut more_anywhere = false;
        for (i, (token, _)) in teachers.iter().enumerate() {
            let server = if round % 2 == 0 && !b_killed.load(Ordering::SeqCst) { &to_b } else { &to_a };
            let mut request = sync_request(pull_devices[i], vec![], cursors[i]);
            request.pull_limit = 4;
            let Ok(res) = server.sync(token, &request).await else { continue };
            pulled[i].extend(res.pulled.into_iter().filter_map(|p| match p {
                Pulled::SelfDiagnosis { stored } => Some(stored.submission.id),
                _ => None,
            }));
            cursors[i] = res.cursor;
            more_anywhere |= res.more;
        }
        if done && !more_anywhere {
            break;
        }
    }
    assert!(b_killed.load(Ordering::SeqCst), "B was killed mid-sync");
    for (i, (_, pusher)) in teachers.into_iter().enumerate() {
        let acked: HashSet<_> = pusher.await.expect("a pusher").into_iter().collect();
        assert_eq!(acked.len(), EACH as usize);
        let expected: HashSet<_> = acked.union(&before[i]).copied().collect();
        let unique: HashSet<_> = pulled[i].iter().copied().collect();
        assert_eq!(unique.len(), pulled[i].len(), "{}: every record pulled exactly once", logins[i]);
        assert_eq!(unique, expected, "{}: the other device has every acknowledged submission", logins[i]);
    }
}

/// One login attempt through `server` from this machine's address: the status, `Retry-After`
/// in seconds if any, and the body.
async fn attempt(server: &str, login: &str, password: &str) -> (reqwest::StatusCode, Option<i64>, String) {
    let body = opora_domain::api::LoginRequest { login: login.to_owned(), password: password.to_owned() };
    let res =
        reqwest::Client::new().post(format!("{server}/api/auth/login")).json(&body).send().await.expect("an answer");
    let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok());
    (res.status(), retry_after, res.text().await.unwrap_or_default())
}

/// Attempts sent at once, alternating between the servers.
async fn at_once(
    servers: [&str; 2],
    login: &str,
    password: &str,
    n: usize,
) -> Vec<(reqwest::StatusCode, Option<i64>, String)> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (server, login, password) = (servers[i % 2].to_owned(), login.to_owned(), password.to_owned());
            tokio::spawn(async move { attempt(&server, &login, &password).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("the task"));
    }
    results
}

#[tokio::test]
async fn logins_through_two_servers_at_once_meet_one_throttle() {
    use reqwest::StatusCode;
    if !opora_tests::postgres::backend_is_postgres() {
        eprintln!("skipped: two server processes need PostgreSQL (OPORA_TEST_BACKEND=postgres)");
        return;
    }
    let url = opora_tests::postgres::fresh_database_url().await;
    let settings = [("OPORA_LOGIN_ATTEMPTS", "4"), ("OPORA_LOGIN_ATTEMPTS_PER_CLIENT", "6")];
    let a = ServerProcess::start(&url, &settings);
    let b = ServerProcess::start(&url, &settings);
    let servers = [a.base_url.as_str(), b.base_url.as_str()];

    // Right logins, more at once than either limit, through both: every one is let in.
    for (status, _, body) in at_once(servers, "burakovo.t1", opora_tests::DEMO_PASSWORD, 16).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // Wrong guesses at once through both: the limit's worth are checked, whichever server got
    // them; the rest are refused unchecked, with the lockout's wait.
    let results = at_once(servers, "burakovo.t2", "a wrong guess", 24).await;
    let checked = results.iter().filter(|(s, _, _)| *s == StatusCode::UNAUTHORIZED).count();
    let refused: Vec<_> = results.iter().filter(|(s, _, _)| *s == StatusCode::TOO_MANY_REQUESTS).collect();
    assert_eq!((checked, refused.len()), (4, 20), "{results:?}");
    for (_, retry_after, body) in refused {
        let retry_after = retry_after.expect("Retry-After");
        assert!((880..=900).contains(&retry_after), "{retry_after} s: {body}");
        assert!(body.contains("через 15 мин."), "{body}");
    }
    // The right password from the guesser's address is refused by either server now...
    for server in servers {
        let (status, retry_after, body) = attempt(server, "burakovo.t2", opora_tests::DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert!(retry_after.is_some_and(|s| s > 800), "{retry_after:?}");
    }
    // ...and the address's limit over all accounts (six) was reached by the four and these two
    // more, through different servers: a third account is refused too.
    assert_eq!(attempt(servers[0], "burakovo.t3", "wrong").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt(servers[1], "burakovo.t4", "wrong").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt(servers[0], "burakovo.t5", opora_tests::DEMO_PASSWORD).await.0, StatusCode::TOO_MANY_REQUESTS);
}

/// The newest self-diagnosis form, as a device pulls it.
async fn self_diagnosis_form(server: &Client, login: &str) -> opora_domain::form::FormDefinition {
    let token = server.login(login).await.expect("a login");
    let res = server.sync(&token, &sync_request(new_device(), vec![], Cursor(0))).await.expect("a first pull");
    res.pulled
        .into_iter()
        .filter_map(|p| match p {
            Pulled::Form { form } if form.id.as_str() == opora_tests::SELF_DIAGNOSIS => Some(form),
            _ => None,
        })
        .max_by_key(|f| f.version)
        .expect("the first pull brings the self-diagnosis form")
}

/// The ids of every submission a fresh device of this teacher pulls.
async fn pull_everything(server: &Client, token: &str) -> HashSet<opora_domain::SubmissionId> {
    let device = new_device();
    let mut cursor = Cursor(0);
    let mut ids = HashSet::new();
    loop {
        let res = server.sync(token, &sync_request(device, vec![], cursor)).await.expect("a pull");
        ids.extend(res.pulled.into_iter().filter_map(|p| match p {
            Pulled::SelfDiagnosis { stored } => Some(stored.submission.id),
            _ => None,
        }));
        cursor = res.cursor;
        if !res.more {
            return ids;
        }
    }
}

/// The seal holds across processes: the principal uses a re-issued code through A while the
/// teacher's old session submits through B (and A). Whatever B committed was received before
/// the seal or refused 401; the new session reads none of it through either server.
#[tokio::test]
async fn an_activation_through_one_server_seals_what_the_other_commits() {
    if !opora_tests::postgres::backend_is_postgres() {
        eprintln!("skipped: two server processes need PostgreSQL (OPORA_TEST_BACKEND=postgres)");
        return;
    }
    use crate::seal_race::{assert_sealed_from, prepare_reset, race};
    let url = opora_tests::postgres::fresh_database_url().await;
    let a = ServerProcess::start(&url, &[]);
    let b = ServerProcess::start(&url, &[]);
    let form = self_diagnosis_form(&Client::new(&a.base_url), "kalinovka.t2").await;
    let (old, code) = prepare_reset(&a.base_url, "kalinovka.t1", "kalinovka.director").await;
    let through = [b.base_url.clone(), b.base_url.clone(), a.base_url.clone()];
    let (raced, new) = race(&through, &a.base_url, &old, &code, &form).await;
    assert!(raced.iter().any(|r| r.acknowledged), "submissions went in before the activation");
    assert_sealed_from(&b.base_url, &new, &raced).await;
    assert_sealed_from(&a.base_url, &new, &raced).await;
}
