//! Opora's build tool: `cargo xtask <command>`.
//!
//! - `build`: the wasm app into `dist/`: release wasm, wasm-bindgen through its library (so its
//!   version is the one in Cargo.lock and nothing is installed), content-hashed file names, the
//!   service worker's pre-cache list, brotli and gzip copies of every text file; then the size
//!   report.
//! - `run`: build, then the server in release mode with demo data on http://127.0.0.1:8080, on
//!   SQLite (`opora.db`), on `OPORA_DATABASE_URL` when set, or with `--postgres` on a local
//!   PostgreSQL cluster kept in `target/opora-postgres` (made on first use).
//! - `test`: `cargo fmt --check` and clippy with `-D warnings` (native crates and both app
//!   bundles), then every test: native unit and integration tests (SQLite), the API and protocol
//!   suites again against a throwaway PostgreSQL (`OPORA_TEST_BACKEND=postgres`; the protocol test
//!   with `OPORA_PROTOCOL_CASES`, 200 by default there), the app build, then the end-to-end suite
//!   in headless Chromium. Installs what it needs first (the wasm target, Chromium and PostgreSQL
//!   from Debian's packages, the npm packages of `tests/e2e`).
//! - `size`: the first-load size report of the current `dist/`.
//! - `bench`: the benchmarks (sync ingest on SQLite and PostgreSQL with one and two servers, the
//!   department's analytics endpoint on both backends, sync over a bad link, aggregation at scale).

mod build;
mod size;
mod tools;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    match args.first().map(String::as_str) {
        Some("build") => build::build(&root),
        Some("run") => run(&root, args.iter().any(|a| a == "--postgres")),
        Some("test") => test(&root, &args[1..]),
        Some("size") => size::report(&root.join("dist")),
        Some("bench") => bench(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask build | run [--postgres] | test [--skip-e2e] [--skip-postgres] | size | bench"
            );
            std::process::exit(2);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs a command, failing with its name when it fails.
fn run_cmd(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

fn run(root: &Path, postgres: bool) -> Result<()> {
    build::build(root)?;
    run_cmd(cargo().current_dir(root).args(["build", "--release", "-p", "opora-server"]))?;
    let addr = std::env::var("OPORA_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let (database_url, shown) = match std::env::var("OPORA_DATABASE_URL") {
        Ok(url) if !postgres => (url.clone(), url.split(':').next().unwrap_or("?").to_owned() + "://…"),
        _ if postgres => (local_postgres(root)?, "PostgreSQL, target/opora-postgres".to_owned()),
        _ => ("sqlite://opora.db".to_owned(), "opora.db".to_owned()),
    };
    println!("\nОпора запускается на http://{addr} (база: {shown}; Ctrl+C — остановить)\n");
    run_cmd(Command::new(root.join("target/release/opora-server")).current_dir(root).args([
        "--demo",
        "--addr",
        &addr,
        "--database-url",
        &database_url,
    ]))
}

/// A PostgreSQL cluster for `run --postgres`, kept in `target/opora-postgres` between runs
/// (made on first use, started if stopped, on port 5439), with a database `opora`. Run as the
/// `postgres` user when we are root. Stop it with `pg_ctl -D target/opora-postgres/data stop`.
fn local_postgres(root: &Path) -> Result<String> {
    let bin = tools::ensure_postgres()?;
    let dir = root.join("target/opora-postgres");
    let data = dir.join("data");
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let as_postgres = |program: &str| {
        let program = bin.join(program);
        if is_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    };
    const PORT: &str = "5439";
    if !data.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&dir)?;
        if is_root {
            run_cmd(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir))?;
        }
        run_cmd(as_postgres("initdb").arg("-D").arg(&data).args(["-A", "trust", "-U", "postgres", "-E", "UTF8"]))?;
    }
    let running = as_postgres("pg_ctl").arg("-D").arg(&data).arg("status").output()?.status.success();
    if !running {
        let options = format!("-p {PORT} -c listen_addresses=127.0.0.1 -k {}", dir.display());
        run_cmd(
            as_postgres("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-w", "-o", &options, "-l"])
                .arg(dir.join("server.log"))
                .arg("start"),
        )?;
    }
    // Fails harmlessly when the database exists.
    let _ = as_postgres("createdb").args(["-h", "127.0.0.1", "-p", PORT, "-U", "postgres", "opora"]).output();
    Ok(format!("postgres://postgres@127.0.0.1:{PORT}/opora"))
}

fn test(root: &Path, args: &[String]) -> Result<()> {
    let skip_e2e = args.iter().any(|a| a == "--skip-e2e");
    let skip_postgres = args.iter().any(|a| a == "--skip-postgres");
    tools::ensure_wasm_target()?;
    tools::ensure_lint_tools()?;
    // The house rules first: they take seconds and fail a run that would fail review anyway.
    run_cmd(cargo().current_dir(root).args(["fmt", "--all", "--check"]))?;
    run_cmd(cargo().current_dir(root).args([
        "clippy",
        "--workspace",
        "--exclude",
        "opora-app",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    for features in [&[][..], &["--features", "office"][..]] {
        run_cmd(
            cargo()
                .current_dir(root)
                .args(["clippy", "-p", "opora-app", "--target", "wasm32-unknown-unknown"])
                .args(features)
                .args(["--", "-D", "warnings"]),
        )?;
    }
    // Native tests next: they are the quickest to fail.
    run_cmd(cargo().current_dir(root).args(["test", "--workspace", "--exclude", "opora-app", "--exclude", "xtask"]))?;
    if !skip_postgres {
        test_postgres(root)?;
    }
    if skip_e2e {
        return Ok(());
    }
    run_in_browser(root, &["--test", "--test-concurrency=1", "--test-reporter=spec"])?;
    size::report(&root.join("dist"))
}

/// The API suite and the protocol property test again, against PostgreSQL: a throwaway cluster
/// the tests start themselves (`tests/src/postgres.rs`), or `OPORA_TEST_POSTGRES_URL`. The
/// two-server test needs the server binary.
fn test_postgres(root: &Path) -> Result<()> {
    if std::env::var_os("OPORA_TEST_POSTGRES_URL").is_none() {
        tools::ensure_postgres()?;
    }
    run_cmd(cargo().current_dir(root).args(["build", "-p", "opora-server"]))?;
    let started = std::time::Instant::now();
    let cases = std::env::var("OPORA_PROTOCOL_CASES").unwrap_or_else(|_| "200".into());
    run_cmd(
        cargo()
            .current_dir(root)
            .args(["test", "-p", "opora-tests", "--test", "api", "--test", "protocol"])
            .env("OPORA_TEST_BACKEND", "postgres")
            .env("OPORA_PROTOCOL_CASES", cases),
    )?;
    println!("PostgreSQL suites: {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The benchmarks: printed figures, never pass/fail timers.
fn bench(root: &Path) -> Result<()> {
    // Sync ingest: 64 devices, one new self-diagnosis per request, on SQLite, PostgreSQL and two
    // servers on one PostgreSQL.
    tools::ensure_postgres()?;
    run_cmd(cargo().current_dir(root).args([
        "build",
        "--release",
        "-p",
        "opora-server",
        "-p",
        "opora-tests",
        "--bins",
    ]))?;
    run_cmd(Command::new(root.join("target/release/ingest_bench")).current_dir(root))?;
    // The department's analytics endpoint over a real server on each backend, 2,000 schools and
    // 50,000 teachers loaded through the storage layer.
    run_cmd(Command::new(root.join("target/release/analytics_endpoint_bench")).current_dir(root))?;
    // The department's views over generated data for 2,000 schools and 50,000 teachers.
    run_cmd(cargo().current_dir(root).args([
        "run",
        "--release",
        "-p",
        "opora-domain",
        "--example",
        "analytics_bench",
    ]))?;
    run_in_browser(root, &["bench/sync.mjs"])
}

/// Builds the app, the server and the fault proxy, installs Chromium and the npm packages, then
/// runs node in `tests/e2e` with `args`.
fn run_in_browser(root: &Path, args: &[&str]) -> Result<()> {
    tools::ensure_chromium()?;
    tools::ensure_npm_packages(&root.join("tests/e2e"))?;
    build::build(root)?;
    run_cmd(cargo().current_dir(root).args(["build", "-p", "opora-server", "-p", "opora-tests", "--bins"]))?;
    run_cmd(
        Command::new("node")
            .current_dir(root.join("tests/e2e"))
            .args(args)
            .env("OPORA_ROOT", root)
            .env("OPORA_SERVER_BIN", root.join("target/debug/opora-server")),
    )
}
