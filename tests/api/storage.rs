//! The storage operations themselves, on whichever backend the suite runs against
//! (`OPORA_TEST_BACKEND`): what both backends must agree on beyond what the HTTP tests reach.

use opora_server::storage::ThrottleCounter;
use opora_tests::TestApp;

fn counter(failures: u32, window_start_ms: i64) -> ThrottleCounter {
    ThrottleCounter {
        failures,
        pending: 0,
        pending_at_ms: 0,
        window_start_ms,
        locked_until_ms: None,
        locked_at_ms: 0,
        refused: 0,
        subject: "anna".into(),
        client: "203.0.113.7".into(),
    }
}

#[tokio::test]
async fn throttle_counters_are_stored_updated_deleted_and_swept() {
    let app = TestApp::spawn().await;
    let store = &app.state.store;
    let keys = ["login\u{0}anna".to_owned(), "client\u{0}203.0.113.7".to_owned()];
    store
        .update_throttle(&keys, &mut |rows| {
            assert_eq!(rows, [None, None], "nothing stored yet");
            rows[0] = Some(counter(1, 1_000));
            rows[1] = Some(counter(5, 2_000));
        })
        .await
        .unwrap();
    store
        .update_throttle(&keys, &mut |rows| {
            assert_eq!(rows, [Some(counter(1, 1_000)), Some(counter(5, 2_000))]);
            rows[0] = None;
            if let Some(c) = &mut rows[1] {
                c.refused = 3;
            }
        })
        .await
        .unwrap();
    let window = 15 * 60 * 1000;
    assert!(store.sweep_throttle(2_000 + window - 1, window).await.unwrap().is_empty(), "still within its window");
    let swept = store.sweep_throttle(2_000 + window, window).await.unwrap();
    assert_eq!(swept, [ThrottleCounter { refused: 3, ..counter(5, 2_000) }]);
    store.update_throttle(&keys, &mut |rows| assert_eq!(rows, [None, None], "deleted and swept")).await.unwrap();
}

/// Many devices of one teacher push at once while another of her devices keeps pulling small
/// pages: with several connections committing concurrently, a change numbered before another may
/// commit after it, and a pull taken in between must not step over it. The puller ends with
/// every acknowledged submission, each exactly once.
#[tokio::test]
async fn a_puller_misses_nothing_while_many_devices_push_at_once() {
    use opora_domain::sync::{Cursor, Outcome, Pulled};
    use opora_tests::{complete_submission, new_device, pushed, sync_request};
    use std::collections::HashSet;
    use std::sync::Arc;

    const DEVICES: usize = 16;
    const EACH: u64 = 6;
    let app = Arc::new(TestApp::spawn().await);
    let token = Arc::new(app.token("burakovo.t1").await);
    let form = Arc::new(app.form().await);
    let writers: Vec<_> = (0..DEVICES)
        .map(|_| {
            let (app, token, form) = (Arc::clone(&app), Arc::clone(&token), Arc::clone(&form));
            tokio::spawn(async move {
                let device = new_device();
                let mut acked = Vec::new();
                for seq in 1..=EACH {
                    let submission = complete_submission(&form, "math");
                    let res = app.sync(&token, &sync_request(device, vec![pushed(seq, &submission)], Cursor(0))).await;
                    let res = res.expect("a push");
                    assert_eq!(res.acks[0].outcome, Outcome::Applied);
                    acked.push(submission.id);
                }
                acked
            })
        })
        .collect();
    let puller = new_device();
    let mut cursor = Cursor(0);
    let mut pulled = Vec::new();
    let mut pull = async |cursor: &mut Cursor| {
        let mut request = sync_request(puller, vec![], *cursor);
        request.pull_limit = 3;
        let res = app.sync(&token, &request).await.expect("a pull");
        pulled.extend(res.pulled.into_iter().filter_map(|p| match p {
            Pulled::SelfDiagnosis { stored } => Some(stored.submission.id),
            _ => None,
        }));
        *cursor = res.cursor;
        res.more
    };
    while !writers.iter().all(|w| w.is_finished()) {
        pull(&mut cursor).await;
    }
    while pull(&mut cursor).await {}
    let mut acked = HashSet::new();
    for writer in writers {
        acked.extend(writer.await.expect("a writer"));
    }
    assert_eq!(acked.len(), DEVICES * EACH as usize);
    let unique: HashSet<_> = pulled.iter().copied().collect();
    assert_eq!(unique.len(), pulled.len(), "every record pulled once");
    assert_eq!(unique, acked, "the puller has every acknowledged submission");
}

/// A server whose database connections are all busy answers at once that it is overloaded (503,
/// `Retry-After`, a JSON body the app retries on) instead of keeping the client waiting, and the
/// request that held the connection still completes. PostgreSQL only: its pool is a setting.
#[tokio::test]
async fn an_exhausted_pool_is_answered_503_with_retry_after_never_a_hang() {
    use opora_domain::api::ErrorCode;
    use opora_domain::sync::{Cursor, Outcome};
    use opora_tests::{complete_submission, new_device, pushed, sync_request};
    use sqlx::Connection;

    if !opora_tests::postgres::backend_is_postgres() {
        eprintln!("skipped: the pool size is a PostgreSQL setting");
        return;
    }
    let app = TestApp::spawn_with(|s| {
        s.database_pool_size = 1;
        s.database_acquire_timeout_secs = 0.2;
    })
    .await;
    let token = app.token("burakovo.t1").await;
    let submission = complete_submission(&app.form().await, "math");
    // Another process holds the write lock: the push takes the only connection and waits on it.
    let mut other = sqlx::PgConnection::connect(&app.state.settings.database_url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(opora_server::storage::postgres::WRITE_LOCK)
        .execute(&mut other)
        .await
        .unwrap();
    let push = {
        let request = sync_request(new_device(), vec![pushed(1, &submission)], Cursor(0));
        let (base, token) = (app.base_url.clone(), token.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/sync"))
                .bearer_auth(token)
                .json(&request)
                .send()
                .await
                .unwrap()
                .json::<opora_domain::sync::SyncResponse>()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let res = app.get_raw("/api/auth/me", Some(&token)).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "answered, not hung");
    assert_eq!(res.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("2"));
    let refusal = opora_tests::refusal(res).await;
    assert_eq!(refusal.1.code, ErrorCode::Overloaded);
    assert!(refusal.1.code.is_transient(), "the app sends it again");
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(opora_server::storage::postgres::WRITE_LOCK)
        .execute(&mut other)
        .await
        .unwrap();
    let pushed = push.await.unwrap();
    assert_eq!(pushed.acks[0].outcome, Outcome::Applied, "the waiting push committed once the lock was free");
    assert!(app.is_stored(submission.id).await);
}
