//! The harness for Opora's integration tests: [`TestApp`] runs the real server (the same
//! [`opora_server::start`] and [`opora_server::serve`] as `main`) on port 0 with a throwaway SQLite
//! database holding the demo organisations, and talks to it over HTTP like the app does.
//!
//! Every test spawns its own app, so tests never see each other's data and may run in parallel.
//! The server's clock is the system clock plus an offset the test controls ([`TestApp::advance_clock`]),
//! so sessions and login lock-outs can be expired without waiting.
//!
//! `OPORA_TEST_BACKEND=postgres` runs the same tests against PostgreSQL: a fresh database per
//! test on a throwaway cluster ([`postgres`]).
//!
//! [`proxy`] is the fault-injecting TCP proxy the weak-link tests put between client and server.

pub mod postgres;
pub mod proxy;
pub mod servers;

use opora_domain::api::{ApiError, LoginRequest, LoginResponse, SchoolSelfDiagnosisRow, SelfDiagnosisOverview};
use opora_domain::diagnosis::{Answers, StoredSubmission, Submission};
use opora_domain::form::FormDefinition;
use opora_domain::org::UserProfile;
use opora_domain::sync::{Change, Cursor, PROTOCOL_VERSION, PushedChange, SyncRequest, SyncResponse};
use opora_domain::{DeviceId, FormId, MunicipalityId, SubjectCode, SubmissionId};
use opora_server::{AppState, Settings};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The form definitions the server loads.
pub const FORMS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/forms");
/// The demo organisations and accounts.
pub const DEMO_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/demo/organisations.json");
/// Every demo account's password (see `data/demo/organisations.json`).
pub const DEMO_PASSWORD: &str = "opora2026";
/// The app shell the test dist folder holds.
pub const INDEX_HTML: &str =
    "<!doctype html><html><head><title>Опора</title></head><body>opora test shell</body></html>\n";
/// The id of the self-diagnosis form.
pub const SELF_DIAGNOSIS: &str = "self-diagnosis";

/// A refusal as the client sees it: the status and the parsed JSON error body.
pub type Refusal = (StatusCode, ApiError);

/// The server running on a free local port, with its state at hand.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub addr: SocketAddr,
    /// The running server's state: tests read `state.store` directly to check what was stored.
    pub state: AppState,
    client: reqwest::Client,
    clock_offset: Arc<AtomicI64>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    // Dropped last: the database and the dist folder live here.
    _dir: TempDir,
}

impl TestApp {
    /// The server with the demo data and default settings.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// The server with the demo data and settings changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let dist = dir.path().join("dist");
        std::fs::create_dir(&dist).expect("creating the dist folder");
        std::fs::write(dist.join("index.html"), INDEX_HTML).expect("writing index.html");
        let mut settings =
            Settings::for_paths(format!("sqlite://{}/test.db", dir.path().display()), dist, PathBuf::from(FORMS_DIR));
        settings.demo_file = PathBuf::from(DEMO_FILE);
        settings.demo = true;
        if postgres::backend_is_postgres() {
            settings.database_url = postgres::fresh_database_url().await;
        }
        configure(&mut settings);

        let clock_offset = Arc::new(AtomicI64::new(0));
        let offset = Arc::clone(&clock_offset);
        let state = opora_server::start(settings)
            .await
            .expect("the server starts")
            .with_clock(move || opora_server::system_now_ms() + offset.load(Ordering::SeqCst));

        // Bound before the server task starts: requests queue on the socket until it accepts,
        // so no test ever waits for readiness.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding a free port");
        let addr = listener.local_addr().expect("the bound address");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(opora_server::serve(state.clone(), listener, async {
            let _ = rx.await;
        }));
        TestApp {
            base_url: format!("http://{addr}"),
            addr,
            state,
            client: reqwest::Client::new(),
            clock_offset,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
        }
    }

    /// Moves the server's clock forward (or back, with a negative amount).
    pub fn advance_clock(&self, ms: i64) {
        self.clock_offset.fetch_add(ms, Ordering::SeqCst);
    }

    /// The server's current time.
    pub fn now_ms(&self) -> i64 {
        self.state.now_ms()
    }

    /// Stops the server gracefully and checks it shut down cleanly.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("the server task did not panic").expect("the server stopped cleanly");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request to `path` with the bearer token, if any.
    pub fn request(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let rb = self.client.request(method, self.url(path));
        match token {
            Some(token) => rb.header(AUTHORIZATION, format!("Bearer {token}")),
            None => rb,
        }
    }

    // ---- One method per endpoint. ----

    pub async fn login(&self, login: &str, password: &str) -> Result<LoginResponse, Refusal> {
        let body = LoginRequest { login: login.to_owned(), password: password.to_owned() };
        send(self.request(reqwest::Method::POST, "/api/auth/login", None).json(&body)).await.map(|(_, r)| r)
    }

    /// Logs in with the demo password; panics if that fails.
    pub async fn login_as(&self, login: &str) -> LoginResponse {
        self.login(login, DEMO_PASSWORD).await.unwrap_or_else(|e| panic!("logging in as {login}: {e:?}"))
    }

    /// A session token of a demo account.
    pub async fn token(&self, login: &str) -> String {
        self.login_as(login).await.token
    }

    pub async fn logout(&self, token: &str) -> Result<StatusCode, Refusal> {
        let res =
            self.request(reqwest::Method::POST, "/api/auth/logout", Some(token)).send().await.expect("request sent");
        let status = res.status();
        if status.is_success() { Ok(status) } else { Err(refusal(res).await) }
    }

    pub async fn me(&self, token: &str) -> Result<UserProfile, Refusal> {
        send(self.request(reqwest::Method::GET, "/api/auth/me", Some(token))).await.map(|(_, r)| r)
    }

    pub async fn sync(&self, token: &str, req: &SyncRequest) -> Result<SyncResponse, Refusal> {
        send(self.request(reqwest::Method::POST, "/api/sync", Some(token)).json(req)).await.map(|(_, r)| r)
    }

    /// `PUT /api/self-diagnoses/{id}` with the submission's own id; the status tells 201 from 200.
    pub async fn put_submission(&self, token: &str, s: &Submission) -> Result<(StatusCode, StoredSubmission), Refusal> {
        self.put_submission_at(token, &s.id.to_string(), s).await
    }

    /// `PUT /api/self-diagnoses/{id}` with any id in the path.
    pub async fn put_submission_at(
        &self,
        token: &str,
        id: &str,
        s: &Submission,
    ) -> Result<(StatusCode, StoredSubmission), Refusal> {
        send(self.request(reqwest::Method::PUT, &format!("/api/self-diagnoses/{id}"), Some(token)).json(s)).await
    }

    pub async fn get_submission(&self, token: &str, id: SubmissionId) -> Result<StoredSubmission, Refusal> {
        self.get_submission_at(token, &id.to_string()).await
    }

    pub async fn get_submission_at(&self, token: &str, id: &str) -> Result<StoredSubmission, Refusal> {
        send(self.request(reqwest::Method::GET, &format!("/api/self-diagnoses/{id}"), Some(token)))
            .await
            .map(|(_, r)| r)
    }

    pub async fn department_overview(&self, token: &str) -> Result<SelfDiagnosisOverview, Refusal> {
        self.department_overview_of(token, None).await
    }

    /// The overview of a chosen municipality (for regional and admin users).
    pub async fn department_overview_of(
        &self,
        token: &str,
        municipality: Option<MunicipalityId>,
    ) -> Result<SelfDiagnosisOverview, Refusal> {
        let path = match municipality {
            Some(m) => format!("/api/department/self-diagnosis?municipality={m}"),
            None => "/api/department/self-diagnosis".to_owned(),
        };
        send(self.request(reqwest::Method::GET, &path, Some(token))).await.map(|(_, r)| r)
    }

    /// A POST with an arbitrary body, for malformed-request tests.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
        content_type: &str,
    ) -> reqwest::Response {
        self.send_raw(reqwest::Method::POST, path, token, body, content_type).await
    }

    /// Any method with an arbitrary body.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
        content_type: &str,
    ) -> reqwest::Response {
        self.request(method, path, token)
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A GET without a body, for pages and headers.
    pub async fn get_raw(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, token).send().await.expect("request sent")
    }

    // ---- Helpers built on the endpoints and the store. ----

    /// The self-diagnosis form the server loaded.
    pub async fn form(&self) -> FormDefinition {
        self.state
            .store
            .latest_form(&FormId::from(SELF_DIAGNOSIS))
            .await
            .expect("reading forms")
            .expect("the self-diagnosis form is loaded")
    }

    /// Whether the store holds a submission with this id.
    pub async fn is_stored(&self, id: SubmissionId) -> bool {
        self.state.store.submission(id).await.expect("reading a submission").is_some()
    }

    /// Pulls everything visible to the user from cursor 0, page by page.
    pub async fn pull_all(&self, token: &str, device: DeviceId) -> Vec<opora_domain::sync::Pulled> {
        let mut cursor = Cursor(0);
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let res = self.sync(token, &sync_request(device, vec![], cursor)).await.expect("a pull");
            all.extend(res.pulled);
            cursor = res.cursor;
            if !res.more {
                return all;
            }
        }
        panic!("the pull never ended");
    }

    /// The user's own submissions as a fresh device would pull them.
    pub async fn pulled_submissions(&self, token: &str) -> Vec<StoredSubmission> {
        self.pull_all(token, new_device())
            .await
            .into_iter()
            .filter_map(|p| match p {
                opora_domain::sync::Pulled::SelfDiagnosis { stored } => Some(stored),
                _ => None,
            })
            .collect()
    }

    /// One school's row of the department overview, as `department_login` sees it.
    pub async fn school_row(&self, department_login: &str, school_name: &str) -> SchoolSelfDiagnosisRow {
        let token = self.token(department_login).await;
        let overview = self.department_overview(&token).await.expect("the department overview");
        school(&overview, school_name).clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Sends a request and parses the body as `T` on success, or as an [`ApiError`] otherwise.
/// Panics when an error response is not our JSON error body.
pub async fn send<T: DeserializeOwned>(rb: RequestBuilder) -> Result<(StatusCode, T), Refusal> {
    let res = rb.send().await.expect("request sent");
    let status = res.status();
    if status.is_success() {
        let bytes = res.bytes().await.expect("response body");
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{status}: unexpected body ({e}): {}", String::from_utf8_lossy(&bytes)));
        Ok((status, value))
    } else {
        Err(refusal(res).await)
    }
}

/// Reads an error response, checking it is a JSON [`ApiError`] with a message for the user.
pub async fn refusal(res: reqwest::Response) -> Refusal {
    let status = res.status();
    let content_type = content_type(res.headers());
    let bytes = res.bytes().await.expect("response body");
    let error: ApiError = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!("{status}: the error body is not an ApiError ({e}): {}", String::from_utf8_lossy(&bytes))
    });
    assert!(content_type.starts_with("application/json"), "{status}: error content type {content_type:?}");
    assert!(!error.message.is_empty(), "{status}: an error without a message");
    (status, error)
}

pub fn content_type(headers: &HeaderMap) -> String {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

/// A valid, complete submission of the form for `subject`, with a fresh id and varied answers.
pub fn complete_submission(form: &FormDefinition, subject: &str) -> Submission {
    complete_submission_with(form, subject, |i, scale_len| (i % scale_len) as u8)
}

/// A complete submission whose answer to the `i`-th applicable item is `value(i, scale length)`.
pub fn complete_submission_with(
    form: &FormDefinition,
    subject: &str,
    value: impl Fn(usize, usize) -> u8,
) -> Submission {
    let subject = SubjectCode::from(subject);
    let answers: Answers = form
        .applicable_fields(Some(&subject))
        .enumerate()
        .map(|(i, (_, field))| (field.id.clone(), value(i, form.scale_of(field).len())))
        .collect();
    let now = opora_server::system_now_ms();
    Submission {
        id: SubmissionId(Uuid::new_v4()),
        form: form.form_ref(),
        subject,
        answers,
        started_at_ms: now - 20 * 60 * 1000,
        submitted_at_ms: now,
    }
}

pub fn new_device() -> DeviceId {
    DeviceId(Uuid::new_v4())
}

/// A sync request of the current protocol with the default pull limit.
pub fn sync_request(device: DeviceId, push: Vec<PushedChange>, cursor: Cursor) -> SyncRequest {
    SyncRequest { protocol: PROTOCOL_VERSION, device, push, cursor, pull_limit: opora_domain::sync::MAX_PULL_LIMIT }
}

/// A pushed submission with its sequence number.
pub fn pushed(seq: u64, submission: &Submission) -> PushedChange {
    PushedChange { seq, change: Change::SubmitSelfDiagnosis { submission: submission.clone() } }
}

/// A school's row of an overview by name; panics listing the names when it is missing.
pub fn school<'a>(overview: &'a SelfDiagnosisOverview, name: &str) -> &'a SchoolSelfDiagnosisRow {
    overview.schools.iter().find(|r| r.school.name == name).unwrap_or_else(|| {
        let names: Vec<&str> = overview.schools.iter().map(|r| r.school.name.as_str()).collect();
        panic!("no school {name:?} in {names:?}")
    })
}
