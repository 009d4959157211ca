//! A throwaway PostgreSQL for the tests, so the same suites run against both backends.
//!
//! `OPORA_TEST_BACKEND=postgres` makes [`crate::TestApp`] (and the protocol test) use PostgreSQL;
//! each test gets its own fresh database ([`fresh_database_url`]). The server is either the one
//! `OPORA_TEST_POSTGRES_URL` names (`postgres://user:password@host:port/postgres`: a user who may
//! create databases), or a cluster this process makes once: `initdb` into a temporary folder, a
//! free port on 127.0.0.1, the unix socket in that folder, started as the `postgres` user when we
//! run as root (PostgreSQL refuses to run as root; CI runs as root). A watchdog shell stops the
//! cluster and removes its folder when this process ends, however it ends (even SIGKILL).
//! Durability is switched off in that cluster (`fsync=off`): the tests check behaviour, and
//! a power cut is not among them. The benchmark (`xtask bench`) starts its own durable cluster.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which backend the suites run against, from `OPORA_TEST_BACKEND` (`sqlite` unless `postgres`).
pub fn backend_is_postgres() -> bool {
    std::env::var("OPORA_TEST_BACKEND").is_ok_and(|b| b.eq_ignore_ascii_case("postgres"))
}

/// The directory of PostgreSQL's programs: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/*/bin` holding `initdb`.
pub fn bindir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

/// A running cluster: the URL of its maintenance database, and what [`Cluster::stop`] and
/// [`Cluster::restart`] need (the outage tests stop it under load).
pub struct Cluster {
    pub admin_url: String,
    port: u16,
    /// `sh -c` text that starts the postmaster in the background, its log appended.
    start_again: String,
    pidfile: PathBuf,
}

/// Options for [`Cluster::start`].
#[derive(Clone, Copy, Debug)]
pub struct ClusterOptions {
    /// `fsync`, `synchronous_commit` and `full_page_writes` on (the benchmark) or off (the tests).
    pub durable: bool,
    pub max_connections: u32,
}

impl Cluster {
    /// Makes and starts a cluster in a new temporary folder; it is stopped and the folder removed
    /// when this process ends.
    pub fn start(options: ClusterOptions) -> Result<Cluster, String> {
        let bin = bindir().ok_or("PostgreSQL's programs are not installed (pg_config, /usr/lib/postgresql/*/bin)")?;
        let root = is_root();
        let dir = tempfile::Builder::new().prefix("opora-pg-").tempdir().map_err(|e| e.to_string())?.keep();
        let data = dir.join("data");
        if root {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir))?;
        }
        run(as_postgres(root, &bin.join("initdb")).args(["-D"]).arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]))?;
        let port = free_port()?;
        let durability = if options.durable { "on" } else { "off" };
        let mut postgres = as_postgres(root, &bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c"])
            .arg(format!("unix_socket_directories={}", dir.display()))
            .args(["-c", &format!("fsync={durability}"), "-c", &format!("synchronous_commit={durability}")])
            .args(["-c", &format!("full_page_writes={durability}")])
            .args(["-c", &format!("max_connections={}", options.max_connections)]);
        // The watchdog: starts the server, waits for this process to end, then stops the server
        // (fast shutdown, signalled to the postmaster itself: `runuser` does not pass signals on),
        // waits for it to go (its pid file goes last) and removes the folder. It outlives a killed
        // test binary, and a postmaster restarted by `Cluster::restart` (not its child) too.
        let server = shell_words(&postgres);
        let log = quote(&dir.join("server.log"));
        let pidfile = data.join("postmaster.pid");
        let script = format!(
            "{server} >{log} 2>&1 & while kill -0 {parent} 2>/dev/null; do sleep 1; done; \
             kill -INT \"$(head -n 1 {pid} 2>/dev/null)\" 2>/dev/null; \
             n=0; while [ -f {pid} ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n+1)); done; rm -rf {dir}",
            parent = std::process::id(),
            pid = quote(&pidfile),
            dir = quote(&dir),
        );
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the watchdog: {e}"))?;
        let cluster = Cluster {
            admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            port,
            start_again: format!("{server} >>{log} 2>&1 &"),
            pidfile,
        };
        cluster.wait_until_listening().map_err(|e| {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            format!("{e}:\n{log}")
        })?;
        Ok(cluster)
    }

    /// Stops the server as `pg_ctl stop -m fast` does (SIGINT to the postmaster: sessions are
    /// ended with `57P01`, what was committed stays) and waits until it is gone.
    pub fn stop(&self) -> Result<(), String> {
        let pid = std::fs::read_to_string(&self.pidfile).map_err(|e| format!("reading the pid file: {e}"))?;
        let pid = pid.lines().next().unwrap_or_default().trim().to_owned();
        run(Command::new("kill").args(["-INT", &pid]))?;
        let started = Instant::now();
        while self.pidfile.exists() {
            if started.elapsed() > Duration::from_secs(30) {
                return Err("PostgreSQL did not stop within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Starts the stopped server again, same data, same port, and waits until it listens (it may
    /// still refuse logins a moment while it starts: `57P03`).
    pub fn restart(&self) -> Result<(), String> {
        run(Command::new("sh").arg("-c").arg(&self.start_again).stdin(Stdio::null()))?;
        self.wait_until_listening()
    }

    fn wait_until_listening(&self) -> Result<(), String> {
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                return Err("PostgreSQL did not start within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

/// The URL of a new, empty database for one test, on the shared cluster (started on first use)
/// or the server `OPORA_TEST_POSTGRES_URL` names.
pub async fn fresh_database_url() -> String {
    static SHARED: OnceLock<String> = OnceLock::new();
    let admin = match std::env::var("OPORA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => SHARED
            .get_or_init(|| {
                Cluster::start(ClusterOptions { durable: false, max_connections: 500 })
                    .unwrap_or_else(|e| panic!("a throwaway PostgreSQL: {e}"))
                    .admin_url
            })
            .clone(),
    };
    create_database(&admin).await
}

/// Creates a database with a unique name on the server `admin_url` names and returns its URL.
pub async fn create_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("opora_t_{}", uuid::Uuid::new_v4().simple());
    // A cluster just started accepts connections before it accepts logins ("starting up").
    let started = Instant::now();
    let mut conn = loop {
        match sqlx::PgConnection::connect(admin_url).await {
            Ok(conn) => break conn,
            Err(e) if started.elapsed() < Duration::from_secs(30) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("connecting to the test PostgreSQL: {e}"),
        }
    };
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("creating a test database");
    let _ = conn.close().await;
    with_database(admin_url, &name)
}

/// `admin_url` with its database replaced by `name` (any query string kept).
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn as_postgres(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{command:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

fn shell_words(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ")
}
