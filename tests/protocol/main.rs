//! The sync protocol under random schedules: two devices of one teacher edit, sync, lose requests
//! and responses, crash between any two local writes, replay old requests late, and the server
//! restarts. Whatever happens:
//! - every change the server acknowledged exists on the server, exactly once;
//! - nothing a user saved is lost: after the network heals, every submission made on any device
//!   is on the server, identical, once;
//! - the outboxes drain, and both devices end up knowing every submission as synced.
//!
//! The client here is the app's sync engine minus the browser: the same `Outbox::batch`, the same
//! `plan_response` writes in the same order, against an in-memory copy of browser storage. The
//! server is the real one (handlers, storage, SQLite), called in-process.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use opora_domain::diagnosis::Submission;
use opora_domain::org::Role;
use opora_domain::sync::{
    BatchSizer, Change, Cursor, LocalWrite, Outbox, Outcome, PROTOCOL_VERSION, Pulled, SyncRequest, SyncResponse,
    plan_response,
};
use opora_domain::{DeviceId, SchoolId, SubmissionId, UserId};
use opora_server::storage::NewUser;
use opora_server::{AppState, Settings};
use opora_tests::{DEMO_FILE, FORMS_DIR, complete_submission_with};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeMap;
use tower::ServiceExt;
use uuid::Uuid;

/// What can happen next.
#[derive(Clone, Debug)]
enum Step {
    /// The teacher submits a new self-diagnosis on a device.
    Edit { device: usize },
    /// A device syncs one round, possibly with a fault.
    Sync { device: usize, fault: Fault, pull_limit: u32 },
    /// A device re-sends one of its earlier requests, late (a retry that crossed a reply).
    Replay { device: usize, which: usize },
    /// The page reloads: in-memory state is gone, browser storage stays.
    Reload { device: usize },
    /// The server process restarts on the same database.
    RestartServer,
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    None,
    /// The request never reached the server.
    LoseRequest,
    /// The server committed, but the response never arrived.
    LoseResponse,
    /// The page died after this many of the response's local writes.
    CrashAfterWrites(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let device = 0usize..2;
    let fault = prop_oneof![
        4 => Just(Fault::None),
        2 => Just(Fault::LoseRequest),
        2 => Just(Fault::LoseResponse),
        2 => (0usize..8).prop_map(Fault::CrashAfterWrites),
    ];
    prop_oneof![
        3 => device.clone().prop_map(|device| Step::Edit { device }),
        5 => (device.clone(), fault, prop_oneof![Just(1u32), Just(2), Just(500)])
            .prop_map(|(device, fault, pull_limit)| Step::Sync { device, fault, pull_limit }),
        1 => (device.clone(), 0usize..8).prop_map(|(device, which)| Step::Replay { device, which }),
        1 => device.prop_map(|device| Step::Reload { device }),
        1 => Just(Step::RestartServer),
    ]
}

/// Browser storage of one device, as the app keeps it.
#[derive(Clone, Debug)]
struct Stored {
    outbox: Outbox,
    cursor: Cursor,
    /// Submissions this device knows, and whether it knows them acknowledged.
    submissions: BTreeMap<SubmissionId, (Submission, bool)>,
}

struct Device {
    id: DeviceId,
    stored: Stored,
    /// In memory only: lost on reload.
    sizer: BatchSizer,
    sent: Vec<Vec<u8>>,
}

struct Env {
    settings: Settings,
    state: AppState,
    school: SchoolId,
    form: opora_domain::form::FormDefinition,
    _dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Env {
        // tmpfs when there is one: durable commits are the server's business, not this test's.
        let base = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm" } else { "/tmp" };
        let dir = tempfile::tempdir_in(base).unwrap();
        let mut settings = Settings::for_paths(
            format!("sqlite://{}/protocol.db", dir.path().display()),
            dir.path().join("dist"),
            FORMS_DIR.into(),
        );
        settings.demo = true;
        settings.demo_file = DEMO_FILE.into();
        let state = opora_server::start(settings.clone()).await.unwrap();
        let teacher = state.store.user_by_login("burakovo.t1").await.unwrap().unwrap();
        let school = teacher.profile.school.unwrap().id;
        let form = state.store.latest_form(&"self-diagnosis".into()).await.unwrap().unwrap();
        Env { settings, state, school, form, _dir: dir }
    }

    async fn restart(&mut self) {
        self.state = opora_server::start(self.settings.clone()).await.unwrap();
    }

    /// A new teacher per schedule, with a session, so schedules never see each other's data.
    async fn new_teacher(&self) -> (UserId, String) {
        let id = UserId(Uuid::new_v4());
        let user = NewUser {
            id,
            login: format!("prop-{id}"),
            full_name: "Тестовый учитель".into(),
            role: Role::Teacher,
            school_id: Some(self.school),
            municipality_id: None,
            region_id: None,
            password_hash: None,
        };
        let now = opora_server::system_now_ms();
        self.state.store.insert_user(&user, now).await.unwrap();
        let token = opora_server::auth::new_token();
        let hash = opora_server::auth::token_hash(&token);
        self.state.store.create_session(&hash, id, now, now + 3_600_000).await.unwrap();
        (id, token)
    }

    async fn post_sync(&self, token: &str, body: Vec<u8>) -> SyncResponse {
        let request = Request::post("/api/sync")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = opora_server::app(self.state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// Every submission the server holds for the teacher, by id, counted.
    async fn server_submissions(&self, teacher: UserId) -> BTreeMap<SubmissionId, (Submission, usize)> {
        let page = self
            .state
            .store
            .pull(opora_server::storage::PullScope { user: teacher, principal_of: None }, Cursor(0), 100_000)
            .await
            .unwrap();
        let mut found: BTreeMap<SubmissionId, (Submission, usize)> = BTreeMap::new();
        for record in page.records {
            if let Pulled::SelfDiagnosis { stored } = record {
                assert_eq!(stored.teacher, teacher, "a pull returned another teacher's record");
                found.entry(stored.submission.id).or_insert((stored.submission.clone(), 0)).1 += 1;
            }
        }
        found
    }
}

fn apply(stored: &mut Stored, write: LocalWrite) {
    match write {
        LocalWrite::KeepSubmission { submission, synced, rejected } => {
            assert!(rejected.is_none(), "a valid submission was refused: {rejected:?}");
            stored.submissions.insert(submission.id, (submission, synced));
        }
        LocalWrite::KeepRejected { error, .. } => panic!("a valid change was refused: {error:?}"),
        LocalWrite::RemoveFromOutbox { seq } => {
            stored.outbox.entries.remove(&seq);
        }
        LocalWrite::KeepForm { .. } | LocalWrite::KeepProfile { .. } => {}
        LocalWrite::KeepReportForm { .. } | LocalWrite::KeepReport { .. } | LocalWrite::ReportAccepted { .. } => {
            panic!("a teacher pulled a school report")
        }
        LocalWrite::SetCursor { cursor } => stored.cursor = cursor,
    }
}

/// One sync round of `device`, as the app does it. Returns whether the round completed.
async fn sync_round(
    env: &Env,
    teacher: UserId,
    token: &str,
    device: &mut Device,
    fault: Fault,
    pull_limit: u32,
) -> bool {
    let outbox = device.stored.outbox.clone();
    let request = SyncRequest {
        protocol: PROTOCOL_VERSION,
        device: device.id,
        push: outbox.batch(device.sizer.current, 512 * 1024),
        cursor: device.stored.cursor,
        pull_limit,
    };
    let body = serde_json::to_vec(&request).unwrap();
    device.sent.push(body.clone());
    if let Fault::LoseRequest = fault {
        device.sizer.on_failure();
        return false;
    }
    let response = env.post_sync(token, body).await;
    // Acknowledged means committed: check it at the moment of the acknowledgement.
    let on_server = env.server_submissions(teacher).await;
    for ack in &response.acks {
        assert_eq!(ack.outcome, Outcome::Applied, "seq {}", ack.seq);
        let Change::SubmitSelfDiagnosis { submission } = &outbox.entries[&ack.seq] else {
            panic!("this test only pushes self-diagnoses")
        };
        assert_eq!(on_server.get(&submission.id).map(|(_, n)| *n), Some(1), "acknowledged but not stored once");
    }
    if let Fault::LoseResponse = fault {
        device.sizer.on_failure();
        return false;
    }
    device.sizer.on_success();
    let more = response.more;
    let writes = plan_response(&outbox, teacher, response);
    let keep = match fault {
        Fault::CrashAfterWrites(n) => n.min(writes.len()),
        _ => writes.len(),
    };
    let crashed = keep < writes.len();
    for write in writes.into_iter().take(keep) {
        apply(&mut device.stored, write);
    }
    if crashed {
        reload(device);
        return false;
    }
    !more
}

fn reload(device: &mut Device) {
    device.sizer = BatchSizer::default();
}

async fn check(env: &mut Env, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let (teacher, token) = env.new_teacher().await;
    let empty = Stored { outbox: Outbox::default(), cursor: Cursor(0), submissions: BTreeMap::new() };
    let mut devices: Vec<Device> = (0..2)
        .map(|_| Device {
            id: DeviceId(Uuid::new_v4()),
            stored: empty.clone(),
            sizer: BatchSizer::default(),
            sent: vec![],
        })
        .collect();
    let mut made: BTreeMap<SubmissionId, Submission> = BTreeMap::new();
    for (n, step) in steps.into_iter().enumerate() {
        match step {
            Step::Edit { device } => {
                let subject = ["math", "russian", "primary"][n % 3];
                let submission = complete_submission_with(&env.form, subject, |i, _| (i % 4) as u8);
                made.insert(submission.id, submission.clone());
                let d = &mut devices[device];
                d.stored.outbox.push(Change::SubmitSelfDiagnosis { submission: submission.clone() });
                d.stored.submissions.insert(submission.id, (submission, false));
            }
            Step::Sync { device, fault, pull_limit } => {
                // Small batches now and then, so multi-round pushes happen too.
                if n % 5 == 0 {
                    devices[device].sizer = BatchSizer { current: 1, max: 3 };
                }
                sync_round(env, teacher, &token, &mut devices[device], fault, pull_limit).await;
            }
            Step::Replay { device, which } => {
                let sent = &devices[device].sent;
                if !sent.is_empty() {
                    let body = sent[which % sent.len()].clone();
                    let response = env.post_sync(&token, body).await;
                    // A late replay is answered from the record: nothing new, nothing refused.
                    prop_assert!(response.acks.iter().all(|a| a.outcome == Outcome::Applied));
                }
            }
            Step::Reload { device } => reload(&mut devices[device]),
            Step::RestartServer => env.restart().await,
        }
    }
    // The network heals: each device syncs until it has nothing to send and nothing to pull.
    for _ in 0..2 {
        for device in devices.iter_mut() {
            reload(device);
            let mut done = false;
            for _ in 0..50 {
                if sync_round(env, teacher, &token, device, Fault::None, 500).await && device.stored.outbox.is_empty() {
                    done = true;
                    break;
                }
            }
            prop_assert!(done, "the outbox did not drain");
        }
    }
    let on_server = env.server_submissions(teacher).await;
    prop_assert_eq!(on_server.len(), made.len(), "the server has a different number of submissions than were made");
    for (id, submission) in &made {
        let (stored, count) = on_server.get(id).ok_or_else(|| TestCaseError::fail(format!("{id} was lost")))?;
        prop_assert_eq!(*count, 1);
        prop_assert_eq!(stored, submission);
    }
    for device in &devices {
        prop_assert!(device.stored.outbox.is_empty());
        prop_assert_eq!(device.stored.submissions.len(), made.len(), "a device does not know every submission");
        prop_assert!(device.stored.submissions.values().all(|(_, synced)| *synced));
    }
    Ok(())
}

#[test]
fn no_acknowledged_change_is_lost_or_duplicated_under_random_schedules() {
    let cases = std::env::var("OPORA_PROTOCOL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let env = std::cell::RefCell::new(runtime.block_on(Env::new()));
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let schedules = proptest::collection::vec(step(), 1..40);
    runner.run(&schedules, |steps| runtime.block_on(check(&mut env.borrow_mut(), steps))).unwrap();
}
