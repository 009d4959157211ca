//! Installing what the build and the tests need on a fresh machine, from package registries only.

use crate::run_cmd;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
        .unwrap_or(false);
    if !installed {
        run_cmd(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

/// rustfmt and clippy, which the test command runs first (rustup's own components).
pub fn ensure_lint_tools() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["component", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for component in ["rustfmt", "clippy"] {
        if !installed.lines().any(|l| l.starts_with(component)) {
            run_cmd(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    Ok(())
}

/// Installs Debian packages with apt-get (through sudo when not root).
fn apt_install(packages: &[&str]) -> Result<()> {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run_cmd(&mut cmd)
    };
    apt(&["update"])?;
    apt(&[&["install", "-y", "--no-install-recommends"][..], packages].concat())
}

/// Debian's Chromium for the end-to-end tests. Never a browser downloaded by a test tool.
pub fn ensure_chromium() -> Result<()> {
    if Path::new("/usr/bin/chromium").exists() {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"]).context("installing Debian's chromium")?;
    if !Path::new("/usr/bin/chromium").exists() {
        bail!("chromium was installed but /usr/bin/chromium is missing");
    }
    Ok(())
}

/// The directory of PostgreSQL's programs (`initdb`, `postgres`, `pg_ctl`): `pg_config --bindir`,
/// else the newest `/usr/lib/postgresql/*/bin`.
pub fn postgres_bindir() -> Option<PathBuf> {
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

/// Debian's PostgreSQL for the tests against the second backend, installed when missing (the
/// tests start their own throwaway cluster; no system cluster is used).
pub fn ensure_postgres() -> Result<PathBuf> {
    if let Some(bin) = postgres_bindir() {
        return Ok(bin);
    }
    apt_install(&["postgresql"]).context("installing Debian's postgresql")?;
    postgres_bindir().context("postgresql was installed but initdb is missing")
}

/// The end-to-end suite's npm packages, exactly as locked.
pub fn ensure_npm_packages(dir: &Path) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::read(&lock), std::fs::read(&installed)) {
        (Ok(_), Ok(_)) => {
            let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
            modified(&installed) >= modified(&lock)
        }
        _ => false,
    };
    if !fresh {
        run_cmd(Command::new("npm").current_dir(dir).args(["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}
