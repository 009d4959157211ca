//! Real server processes (the `opora-server` binary) on one database, for the test of several
//! servers behind one proxy and for the ingest benchmark. [`TestApp`](crate::TestApp) runs the
//! server inside the test process instead; here each server is its own process, so one can be
//! killed with SIGKILL mid-sync.

use opora_domain::api::{LoginRequest, LoginResponse};
use opora_domain::sync::{SyncRequest, SyncResponse};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The `opora-server` binary next to the running test or tool (`target/<profile>/`).
pub fn server_binary() -> PathBuf {
    if let Ok(bin) = std::env::var("OPORA_SERVER_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("the current executable");
    let mut dir = exe.parent().expect("a directory");
    // Test binaries live in target/<profile>/deps.
    if dir.ends_with("deps") {
        dir = dir.parent().expect("target/<profile>");
    }
    dir.join("opora-server")
}

/// One server process; killed (SIGKILL) when dropped.
pub struct ServerProcess {
    pub base_url: String,
    child: Child,
}

impl ServerProcess {
    /// Starts a server on a free port on `database_url`, with the demo data when the database is
    /// empty, and waits until it listens.
    pub fn start(database_url: &str, extra_env: &[(&str, &str)]) -> ServerProcess {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dist = tempfile::tempdir().expect("a dist folder").keep();
        std::fs::write(dist.join("index.html"), crate::INDEX_HTML).expect("writing index.html");
        let mut child = Command::new(server_binary())
            .current_dir(&root)
            .args(["--demo", "--addr", "127.0.0.1:0", "--database-url", database_url])
            .arg("--dist-dir")
            .arg(&dist)
            .envs(extra_env.iter().copied())
            .env("RUST_LOG", "opora_server=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", server_binary().display()));
        let stdout = child.stdout.take().expect("the server's stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base_url = loop {
            let line = lines.next().expect("the server printed its address").expect("reading the server's stdout");
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout (the demo logins) so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ServerProcess { base_url, child }
    }

    /// SIGKILL: no graceful shutdown, no flushing: what a crash or an OOM kill does.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A client of one server: logs in and syncs over HTTP, like the app.
#[derive(Clone)]
pub struct Client {
    pub base_url: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base_url: &str) -> Client {
        Client {
            base_url: base_url.to_owned(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("an HTTP client"),
        }
    }

    pub async fn login(&self, login: &str) -> Result<String, String> {
        let req = LoginRequest { login: login.to_owned(), password: crate::DEMO_PASSWORD.to_owned() };
        let res = self.http.post(format!("{}/api/auth/login", self.base_url)).json(&req).send().await;
        let res = res.map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("login {login}: {}", res.status()));
        }
        Ok(res.json::<LoginResponse>().await.map_err(|e| e.to_string())?.token)
    }

    /// One sync request; `Err` for a transport failure or a refusal (status and body).
    pub async fn sync(&self, token: &str, req: &SyncRequest) -> Result<SyncResponse, String> {
        let res = self
            .http
            .post(format!("{}/api/sync", self.base_url))
            .bearer_auth(token)
            .json(req)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        if !status.is_success() {
            return Err(format!("{status}: {}", res.text().await.unwrap_or_default()));
        }
        res.json().await.map_err(|e| e.to_string())
    }
}

/// The demo teachers' logins (`<school key>.t<n>`), from the demo file.
pub fn demo_teacher_logins() -> Vec<String> {
    let text = std::fs::read_to_string(crate::DEMO_FILE).expect("reading the demo file");
    let demo: serde_json::Value = serde_json::from_str(&text).expect("the demo file is JSON");
    let mut logins = Vec::new();
    for region in demo["regions"].as_array().into_iter().flatten() {
        for municipality in region["municipalities"].as_array().into_iter().flatten() {
            for school in municipality["schools"].as_array().into_iter().flatten() {
                let key = school["key"].as_str().unwrap_or_default();
                let teachers = school["teachers"].as_array().map_or(0, Vec::len);
                logins.extend((1..=teachers).map(|n| format!("{key}.t{n}")));
            }
        }
    }
    logins
}
