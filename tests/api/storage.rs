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

/// Every write a request makes under a session checks, inside its own transaction under the
/// write lock, that the session is still live: under a session that has ended (here, logged
/// out; an activation, a reset or switching the account off end it the same way) each one is
/// `SessionEnded` (401 to the client) and writes nothing.
#[tokio::test]
async fn every_write_under_an_ended_session_is_refused_and_writes_nothing() {
    use opora_domain::campaign::Campaign;
    use opora_domain::diagnosis::StoredSubmission;
    use opora_domain::membership::MembershipDecision;
    use opora_domain::org::{Role, SchoolFlags};
    use opora_domain::report::{ReportEdit, ReportKey};
    use opora_domain::sync::Outcome;
    use opora_domain::{CampaignId, FormId, UserId};
    use opora_server::storage::{ChangeKey, NewAudit, NewCode, NewSubmission, NewUser, Session, StorageError};
    use uuid::Uuid;

    let app = TestApp::spawn().await;
    let store = app.state.store.as_ref();
    let now = app.now_ms();
    let form = app.form().await;
    let teacher = app.login_as("kalinovka.t1").await;
    let principal = app.login_as("kalinovka.director").await;
    let department = app.login_as("chesma.otdel").await;
    let hashes: Vec<String> =
        [&teacher, &principal, &department].iter().map(|s| opora_server::auth::token_hash(&s.token)).collect();
    for session in [&teacher, &principal, &department] {
        app.logout(&session.token).await.expect("logged out");
    }
    let [teacher_session, principal_session, department_session] = [0, 1, 2].map(|i| Some(Session(hashes[i].as_str())));
    let school = principal.user.school.clone().expect("her school");
    let municipality = school.municipality_id;
    let audit = |action| NewAudit::new(Some(principal.user.id), action, "test");
    let audit_lines = store.audit_log(None, 10_000).await.unwrap().len();
    let ended = |what: &str, result: Result<(), StorageError>| {
        assert!(matches!(result, Err(StorageError::SessionEnded)), "{what}: {result:?}");
    };

    let submission = opora_tests::complete_submission(&form, "math");
    let new = NewSubmission {
        profile: opora_domain::scoring::score(&form, Some(&submission.subject), &submission.answers),
        school_id: Some(school.id),
        stored: StoredSubmission { submission: submission.clone(), teacher: teacher.user.id, received_at_ms: now },
    };
    let key = ChangeKey { device: opora_tests::new_device(), seq: 1 };
    ended("commit_submission", store.commit_submission(teacher_session, Some(key), &new, now).await.map(|_| ()));
    let outcome =
        Outcome::Rejected { error: opora_domain::api::ApiError::new(opora_domain::api::ErrorCode::Forbidden) };
    ended(
        "record_rejection",
        store.record_rejection(Session(&hashes[0]), key.alone(), teacher.user.id, &outcome, now).await.map(|_| ()),
    );
    let edit = ReportEdit {
        key: ReportKey { school: school.id, form: FormId::from("monitoring"), period: "2025-2026".into() },
        form_version: 1,
        base_revision: 0,
        fields: Default::default(),
        submit: false,
        at_ms: now,
        confirmed: Vec::new(),
    };
    let decide = |_: Option<&opora_domain::merge::Fields>, _: Option<&opora_domain::report::StoredReport>| {
        panic!("nothing is decided under an ended session")
    };
    ended(
        "commit_report",
        store
            .commit_report(
                principal_session,
                Some(ChangeKey { seq: 2, ..key }.alone()),
                &edit,
                principal.user.id,
                &decide,
                now,
            )
            .await
            .map(|_| ()),
    );
    let new_user = NewUser {
        id: UserId(Uuid::new_v4()),
        login: "ended.session".into(),
        full_name: "Петрова Анна".into(),
        role: Role::Teacher,
        school_id: Some(school.id),
        municipality_id: None,
        region_id: None,
        password_hash: None,
    };
    let code = NewCode {
        user: new_user.id,
        code_hash: "0".repeat(64),
        issued_by: Some(principal.user.id),
        expires_at_ms: now + 1,
    };
    ended(
        "create_account",
        store.create_account(principal_session, &new_user, Some(&code), &audit("account.created"), now).await,
    );
    let code = NewCode { user: teacher.user.id, ..code };
    ended("issue_code", store.issue_code(principal_session, &code, &audit("account.code_issued"), now).await);
    ended(
        "set_active",
        store.set_active(principal_session, teacher.user.id, false, &audit("account.disabled"), now).await,
    );
    let campaign = Campaign {
        id: CampaignId(Uuid::new_v4()),
        municipality,
        form: FormId::from("monitoring"),
        form_title: "Мониторинг".into(),
        period: "2025-2026".into(),
        deadline: "2026-05-31".into(),
        opened_at_ms: now,
    };
    ended(
        "open_campaign",
        store
            .open_campaign(department_session, &campaign, department.user.id, &audit("campaign.opened"), now)
            .await
            .map(|_| ()),
    );
    let decision = MembershipDecision {
        school: school.id,
        year: 2026,
        flags: SchoolFlags { low_results: true, unfavourable_conditions: false },
        basis: "Приказ № 1".into(),
        basis_date: "01.09.2026".into(),
    };
    ended(
        "decide_membership",
        store.decide_membership(department_session, &[decision], &audit("membership.decided"), now).await,
    );
    ended(
        "set_principals_see_individual",
        store
            .set_principals_see_individual(department_session, municipality, true, &audit("privacy.changed"), now)
            .await,
    );

    assert!(!app.is_stored(submission.id).await);
    assert!(store.previous_change(key).await.unwrap().is_none());
    assert!(store.report(&edit.key).await.unwrap().is_none());
    assert!(store.user_by_login("ended.session").await.unwrap().is_none());
    assert!(store.user(teacher.user.id).await.unwrap().expect("her account").active);
    assert!(store.campaign(campaign.id).await.unwrap().is_none());
    assert!(store.membership_of(municipality).await.unwrap().iter().all(|d| d.year != 2026));
    assert!(!store.principals_see_individual(municipality).await.unwrap());
    assert_eq!(store.audit_log(None, 10_000).await.unwrap().len(), audit_lines, "not even an audit line");

    // The same write under a live session goes through: the check refuses only what ended.
    let live = app.login_as("kalinovka.t1").await;
    let live_hash = opora_server::auth::token_hash(&live.token);
    store.commit_submission(Some(Session(&live_hash)), None, &new, now).await.expect("stored under a live session");
    assert!(app.is_stored(submission.id).await);
}
