//! Opora's build tool: `cargo xtask <command>`.
//!
//! - `build`: the wasm app into `dist/`: release wasm, wasm-bindgen through its library (so its
//!   version is the one in Cargo.lock and nothing is installed), content-hashed file names, the
//!   service worker's pre-cache list, brotli and gzip copies of every text file; then the size
//!   report.
//! - `run`: build, then the server in release mode with demo data on http://127.0.0.1:8080.
//! - `test`: `cargo fmt --check` and clippy with `-D warnings` (native crates and both app
//!   bundles), then every test: native unit and integration tests, the app build, then the end-to-end
//!   suite in headless Chromium. Installs what it needs first (the wasm target, Chromium from
//!   Debian's packages, the npm packages of `tests/e2e`).
//! - `size`: the first-load size report of the current `dist/`.
//! - `bench`: the benchmarks (sync over a bad link, aggregation at scale).

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
        Some("run") => run(&root),
        Some("test") => test(&root, &args[1..]),
        Some("size") => size::report(&root.join("dist")),
        Some("bench") => bench(&root),
        _ => {
            eprintln!("usage: cargo xtask build | run | test [--skip-e2e] | size | bench");
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

fn run(root: &Path) -> Result<()> {
    build::build(root)?;
    run_cmd(cargo().current_dir(root).args(["build", "--release", "-p", "opora-server"]))?;
    let addr = std::env::var("OPORA_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    println!("\nОпора запускается на http://{addr} (база: opora.db; Ctrl+C — остановить)\n");
    run_cmd(Command::new(root.join("target/release/opora-server")).current_dir(root).args([
        "--demo",
        "--addr",
        &addr,
        "--database-url",
        "sqlite://opora.db",
    ]))
}

fn test(root: &Path, args: &[String]) -> Result<()> {
    let skip_e2e = args.iter().any(|a| a == "--skip-e2e");
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
    if skip_e2e {
        return Ok(());
    }
    run_in_browser(root, &["--test", "--test-concurrency=1", "--test-reporter=spec"])?;
    size::report(&root.join("dist"))
}

/// The benchmarks: printed figures, never pass/fail timers.
fn bench(root: &Path) -> Result<()> {
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
