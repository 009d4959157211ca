//! The first-load size report: what a teacher's phone downloads before the app is usable, in the
//! compressed form the server sends. A budget, printed, not a test that flakes.

use anyhow::{Context, Result};
use std::fs;
use std::path::Path;

/// The first-load budget, brotli-compressed, in bytes.
pub const BUDGET_BYTES: u64 = 350 * 1024;

/// Seconds to transfer `bytes` on a 2G-class link: 32 KB/s plus 400 ms per round trip, with the
/// shell, the script and the wasm fetched in about three sequential round trips.
fn seconds_on_2g(bytes: u64) -> f64 {
    bytes as f64 / (32.0 * 1024.0) + 3.0 * 0.4
}

pub fn report(dist: &Path) -> Result<()> {
    let html = fs::read_to_string(dist.join("index.html")).context("no dist/index.html: run `cargo xtask build`")?;
    // The first load fetches the shell and everything it references.
    let mut first_load = vec!["index.html".to_owned()];
    for attr in ["href=\"/", "src=\"/"] {
        for part in html.split(attr).skip(1) {
            if let Some(end) = part.find('"') {
                let name = &part[..end];
                if !first_load.iter().any(|f| f == name) {
                    first_load.push(name.to_owned());
                }
            }
        }
    }
    println!("\nFirst load (what the browser transfers before the app is usable):");
    println!("  {:<40} {:>10} {:>10} {:>10}", "file", "raw", "gzip", "brotli");
    let (mut raw_total, mut gz_total, mut br_total) = (0, 0, 0);
    for name in &first_load {
        let path = dist.join(name);
        let raw = fs::metadata(&path).with_context(|| format!("{name} is referenced but missing"))?.len();
        let gz = fs::metadata(format!("{}.gz", path.display())).map_or(raw, |m| m.len());
        let br = fs::metadata(format!("{}.br", path.display())).map_or(raw, |m| m.len());
        println!("  {name:<40} {:>10} {:>10} {:>10}", kb(raw), kb(gz), kb(br));
        raw_total += raw;
        gz_total += gz;
        br_total += br;
    }
    println!("  {:<40} {:>10} {:>10} {:>10}", "total", kb(raw_total), kb(gz_total), kb(br_total));
    let verdict = if br_total <= BUDGET_BYTES { "within" } else { "OVER" };
    println!(
        "  brotli total {} — {verdict} the budget of {}; about {:.1} s on a 2G link (32 KB/s, 400 ms RTT)\n",
        kb(br_total),
        kb(BUDGET_BYTES),
        seconds_on_2g(br_total)
    );
    // The office bundle: loaded instead of the teacher's wasm once a principal or a department
    // specialist has logged in (the page and the teacher's script come first).
    let mut office = Vec::new();
    for entry in fs::read_dir(dist)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("office-") && (name.ends_with(".js") || name.ends_with(".wasm")) {
            office.push(name);
        }
    }
    office.sort();
    if !office.is_empty() {
        println!("Office bundle (principals and departments, after login; not on teachers' phones):");
        let mut office_br = 0;
        for name in &office {
            let path = dist.join(name);
            let raw = fs::metadata(&path)?.len();
            let br = fs::metadata(format!("{}.br", path.display())).map_or(raw, |m| m.len());
            println!("  {name:<40} {:>10} {:>10}", kb(raw), kb(br));
            office_br += br;
        }
        println!("  brotli {} more; about {:.1} s on the same link\n", kb(office_br), seconds_on_2g(office_br));
    }
    Ok(())
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}
