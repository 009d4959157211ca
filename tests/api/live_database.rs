//! The database shared while the server runs: another process writing to the same SQLite file
//! (the administrator's commands on a live server), and PostgreSQL stopped and started again
//! under load. Teachers keep saving throughout; no save may fail with 500: a busy database is
//! waited for (the busy timeout, the write lock), an unreachable one is 503 with `Retry-After`,
//! and nothing acknowledged is lost.

use opora_domain::form::FormDefinition;
use opora_domain::org::Role;
use opora_server::admin::{self, Table};
use opora_tests::servers::demo_teacher_logins;
use opora_tests::{TestApp, complete_submission};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const TEACHERS: usize = 4;

/// One save's answer: its submission, the status, whether a 503 said when to come back, and
/// when it was sent (from the start of the saves).
#[derive(Debug)]
struct Saved {
    id: opora_domain::SubmissionId,
    status: u16,
    retry_after: bool,
    sent_at: Duration,
    took: Duration,
}

/// Teachers saving self-diagnoses one after another (`PUT /api/self-diagnoses/{id}`), each
/// with her own session, until stopped.
struct Saves {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<Saved>>>,
    started: Instant,
}

impl Saves {
    async fn start(app: &TestApp, form: &FormDefinition) -> Saves {
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let mut tasks = Vec::new();
        for login in demo_teacher_logins().into_iter().take(TEACHERS) {
            let token = app.token(&login).await;
            let (stop, client, form, base) = (Arc::clone(&stop), client.clone(), form.clone(), app.base_url.clone());
            tasks.push(tokio::spawn(async move {
                let mut saved = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let submission = complete_submission(&form, "math");
                    let sent_at = started.elapsed();
                    let res = client
                        .put(format!("{base}/api/self-diagnoses/{}", submission.id))
                        .bearer_auth(&token)
                        .json(&submission)
                        .send()
                        .await
                        .expect("the server answers");
                    let status = res.status().as_u16();
                    let retry_after = res.headers().contains_key(reqwest::header::RETRY_AFTER);
                    let took = started.elapsed() - sent_at;
                    saved.push(Saved { id: submission.id, status, retry_after, sent_at, took });
                    if status == 503 {
                        // The app waits as asked; the test, briefly.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
                saved
            }));
        }
        Saves { stop, tasks, started }
    }

    async fn finish(self) -> Vec<Saved> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for task in self.tasks {
            all.extend(task.await.expect("a saving teacher"));
        }
        all
    }
}

/// Every save was stored (2xx) or, at most, asked to come back (503 with `Retry-After`).
fn assert_never_failed(saved: &[Saved], what: &str) {
    let count = |status: u16| saved.iter().filter(|s| s.status == status).count();
    let slowest = saved.iter().map(|s| s.took).max().unwrap_or_default();
    eprintln!(
        "{what}: {} saves, {} stored, {} answered 503, slowest answer {slowest:?}",
        saved.len(),
        saved.iter().filter(|s| (200..300).contains(&s.status)).count(),
        count(503)
    );
    let fine = |s: &Saved| (200..300).contains(&s.status) || (s.status == 503 && s.retry_after);
    let failed: Vec<&Saved> = saved.iter().filter(|s| !fine(s)).collect();
    assert!(
        failed.is_empty(),
        "{what}: {} of {} saves failed: {:?}",
        failed.len(),
        saved.len(),
        &failed[..failed.len().min(5)]
    );
}

async fn assert_acknowledged_are_stored(app: &TestApp, saved: &[Saved]) {
    for s in saved.iter().filter(|s| (200..300).contains(&s.status)) {
        assert!(app.is_stored(s.id).await, "acknowledged submission {:?} is stored", s.id);
    }
}

/// Another process writes to the server's SQLite file in transactions of its own (as the
/// administrator's commands do): the server's write transactions wait for the lock instead of
/// failing with «database is locked».
#[tokio::test]
async fn saves_wait_while_another_process_writes_to_the_sqlite_file() {
    if opora_tests::postgres::backend_is_postgres() {
        eprintln!("skipped: SQLite's file lock (the PostgreSQL suite runs the admin commands below)");
        return;
    }
    use sqlx::sqlite::SqliteConnectOptions;
    use std::str::FromStr;
    let app = TestApp::spawn().await;
    let form = app.form().await;
    let options =
        SqliteConnectOptions::from_str(&app.state.settings.database_url).unwrap().busy_timeout(Duration::from_secs(10));
    let other = sqlx::SqlitePool::connect_with(options).await.expect("a second connection to the file");

    let saves = Saves::start(&app, &form).await;
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut written = 0;
    while Instant::now() < deadline {
        // Read, then write, then hold the lock a moment: what an import does.
        let mut tx = other.begin_with("BEGIN IMMEDIATE").await.expect("the other process's write lock");
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *tx).await.unwrap();
        sqlx::query("INSERT INTO audit_log (at, action, subject, detail) VALUES (0, 'test.other_process', NULL, '')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(15)).await;
        tx.commit().await.expect("the other process commits");
        written += 1;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let saved = saves.finish().await;
    assert!(written > 20 && saved.len() > 20, "both sides wrote: {written} and {} saves", saved.len());
    assert_never_failed(&saved, "saves while another process writes");
    let refused: Vec<&Saved> = saved.iter().filter(|s| !(200..300).contains(&s.status)).collect();
    assert!(
        refused.is_empty(),
        "{} of {} saves refused: {:?}",
        refused.len(),
        saved.len(),
        &refused[..refused.len().min(5)]
    );
    assert_acknowledged_are_stored(&app, &saved).await;
}

/// The README's administration commands run against the live database, as the binary runs them
/// (`opora_server::start` on the same URL, then the command): an import of hundreds of accounts
/// and password resets, while teachers save. Nothing fails on either side.
#[tokio::test]
async fn administration_commands_on_a_live_server_fail_neither_themselves_nor_the_saves() {
    let app = TestApp::spawn().await;
    let form = app.form().await;
    let mut settings = (*app.state.settings).clone();
    settings.demo = false;

    let saves = Saves::start(&app, &form).await;
    // 300 schools with a teacher each, named by hand: an import of the size testers ran.
    let mut table = Table {
        header: ["Регион", "Муниципалитет", "Школа", "ФИО", "Логин", "Роль"].map(String::from).to_vec(),
        rows: Vec::new(),
    };
    for i in 0..300 {
        let school = format!("МОУ «Школа № {}»", 100 + i);
        let login = format!("live.t{i}");
        table.rows.push(
            ["Республика Алтай", "МО «Чойский район»", &school, "Иванова Анна Петровна", &login, "учитель"]
                .map(String::from)
                .to_vec(),
        );
    }
    let reset_logins: Vec<String> = demo_teacher_logins().into_iter().skip(TEACHERS).take(3).collect();
    for round in 0..2 {
        // A fresh process each time, as each command is.
        let admin_state = opora_server::start(settings.clone()).await.expect("the command opens the live database");
        let store = admin_state.store.as_ref();
        if round == 0 {
            let report = admin::import(store, &table, false, app.now_ms())
                .await
                .expect("the import is not refused by the running server")
                .expect("no row errors");
            assert_eq!(report.accounts.len(), 300);
        }
        for login in &reset_logins {
            admin::reset_password(store, login, None, app.now_ms()).await.expect("a code reset on a live server");
            admin::reset_password(store, login, Some(format!("новый-пароль-{round}-2027")), app.now_ms())
                .await
                .expect("a password reset on a live server");
        }
    }
    let saved = saves.finish().await;
    assert!(saved.len() > 10, "teachers saved throughout: {}", saved.len());
    assert_never_failed(&saved, "saves during the administration commands");
    assert_acknowledged_are_stored(&app, &saved).await;
    let imported = app.state.store.user_by_login("live.t299").await.unwrap().expect("the import is written");
    assert_eq!(imported.profile.role, Role::Teacher);
}

/// PostgreSQL stopped for four seconds under load and started again: saves through the outage
/// are refused 503 with `Retry-After` (never 500), saves after it succeed, and everything
/// acknowledged before, during or after is stored.
#[tokio::test]
async fn postgres_stopped_and_started_under_load_answers_503_and_loses_nothing() {
    if !opora_tests::postgres::backend_is_postgres() {
        eprintln!("skipped: stops a PostgreSQL cluster (OPORA_TEST_BACKEND=postgres)");
        return;
    }
    use opora_tests::postgres::{Cluster, ClusterOptions, create_database};
    let cluster = Arc::new(
        tokio::task::spawn_blocking(|| Cluster::start(ClusterOptions { durable: false, max_connections: 100 }))
            .await
            .unwrap()
            .expect("a PostgreSQL of this test's own"),
    );
    let url = create_database(&cluster.admin_url).await;
    // A short acquire timeout: requests meet the outage itself (connections refused), not
    // only the connections it broke, instead of waiting it out in the pool's queue.
    let app = TestApp::spawn_with(|s| {
        s.database_url = url.clone();
        s.database_acquire_timeout_secs = 1.0;
    })
    .await;
    let form = app.form().await;

    let saves = Saves::start(&app, &form).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let c = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || c.stop()).await.unwrap().expect("PostgreSQL stops");
    let stopped_at = saves.started.elapsed();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let c = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || c.restart()).await.unwrap().expect("PostgreSQL starts again");
    let restarted_at = saves.started.elapsed();
    // Saves go on until every teacher has had a save through after the restart.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let saved = saves.finish().await;

    assert_never_failed(&saved, "saves through a PostgreSQL outage");
    let during = saved.iter().filter(|s| s.sent_at > stopped_at && s.sent_at < restarted_at).count();
    assert!(saved.iter().any(|s| s.status == 503), "the outage was met ({during} saves during it)");
    let after: Vec<&Saved> = saved.iter().filter(|s| s.sent_at > restarted_at + Duration::from_secs(2)).collect();
    assert!(
        !after.is_empty() && after.iter().all(|s| (200..300).contains(&s.status)),
        "saves succeed again: {after:?}"
    );
    assert_acknowledged_are_stored(&app, &saved).await;
}
