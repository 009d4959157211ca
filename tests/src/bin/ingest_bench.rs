//! `ingest_bench`: sync ingest throughput, printed (not a timed test; `cargo xtask bench` runs it).
//!
//! 64 devices (spread over the demo teachers) each push one new self-diagnosis per sync request,
//! back to back, for `OPORA_BENCH_SECS` seconds (10 by default), against: one server on SQLite,
//! one server on PostgreSQL, two servers on one PostgreSQL (devices split between them). Release
//! servers as separate processes, on durable databases (SQLite `synchronous = FULL`; PostgreSQL
//! with `fsync` and `synchronous_commit` on, in a throwaway cluster this program starts). Prints
//! requests per second, p50 and p99 latency, errors, and whether every acknowledged submission
//! is read back (each teacher's submissions pulled by a fresh device).

use opora_domain::SubmissionId;
use opora_domain::form::FormDefinition;
use opora_domain::sync::{Cursor, Outcome, Pulled};
use opora_tests::postgres::{Cluster, ClusterOptions, create_database};
use opora_tests::servers::{Client, ServerProcess, demo_teacher_logins};
use opora_tests::{complete_submission, new_device, pushed, sync_request};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEVICES: usize = 64;

struct Figures {
    requests: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
    acked: usize,
    read_back: usize,
}

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::var("OPORA_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let duration = Duration::from_secs(secs);
    println!("Ingest: {DEVICES} devices, one new self-diagnosis per request, {secs} s per run");
    let sqlite_dir = tempfile::tempdir().expect("a temporary folder");
    let sqlite_url = format!("sqlite://{}/bench.db", sqlite_dir.path().display());
    let cluster = match std::env::var("OPORA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => Cluster::start(ClusterOptions { durable: true, max_connections: 200 }).expect("a PostgreSQL").admin_url,
    };
    let mut rows = Vec::new();
    rows.push(("SQLite, 1 server", run(&[&sqlite_url], 1, duration).await));
    let url = create_database(&cluster).await;
    rows.push(("PostgreSQL, 1 server", run(&[&url], 1, duration).await));
    let url = create_database(&cluster).await;
    rows.push(("PostgreSQL, 2 servers", run(&[&url, &url], 2, duration).await));
    println!(
        "\n{:<24} {:>10} {:>9} {:>9} {:>7} {:>8} {:>10}",
        "backend", "req/s", "p50 ms", "p99 ms", "errors", "acked", "read back"
    );
    for (name, f) in rows {
        println!(
            "{:<24} {:>10.0} {:>9.1} {:>9.1} {:>7} {:>8} {:>10}",
            name,
            f.requests as f64 / f.seconds,
            f.p50_ms,
            f.p99_ms,
            f.errors,
            f.acked,
            format!("{}/{}", f.read_back, f.acked)
        );
    }
}

/// One run: `servers` processes on `urls` (the first loads the demo data first).
async fn run(urls: &[&str], servers: usize, duration: Duration) -> Figures {
    let processes: Vec<ServerProcess> = urls.iter().take(servers).map(|url| ServerProcess::start(url, &[])).collect();
    let clients: Vec<Client> = processes.iter().map(|p| Client::new(&p.base_url)).collect();
    let logins = demo_teacher_logins();
    let teachers = logins.len().min(DEVICES);
    let mut tokens = Vec::new();
    for login in logins.iter().take(teachers) {
        tokens.push(clients[0].login(login).await.expect("a login"));
    }
    let form = Arc::new(self_diagnosis_form(&clients[0], &tokens[0]).await);
    let started = Instant::now();
    let tasks: Vec<_> = (0..DEVICES)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            let token = tokens[i % teachers].clone();
            let form = Arc::clone(&form);
            tokio::spawn(async move {
                let device = new_device();
                let (mut latencies, mut acked, mut errors) = (Vec::new(), Vec::new(), 0);
                let mut seq = 0;
                while started.elapsed() < duration {
                    seq += 1;
                    let submission = complete_submission(&form, "math");
                    let request = sync_request(device, vec![pushed(seq, &submission)], Cursor(0));
                    let sent = Instant::now();
                    let result = client.sync(&token, &request).await;
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    match result {
                        Ok(res) if res.acks.first().is_some_and(|a| a.outcome == Outcome::Applied) => {
                            acked.push(submission.id)
                        }
                        _ => errors += 1,
                    }
                }
                (i % teachers, latencies, acked, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut acked_by_teacher: Vec<Vec<SubmissionId>> = vec![Vec::new(); teachers];
    let mut errors = 0;
    for task in tasks {
        let (teacher, l, a, e) = task.await.expect("a device");
        latencies.extend(l);
        acked_by_teacher[teacher].extend(a);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies.get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)));
    let mut read_back = 0;
    for (teacher, acked) in acked_by_teacher.iter().enumerate() {
        let pulled = pull_everything(&clients[clients.len() - 1], &tokens[teacher]).await;
        read_back += acked.iter().filter(|id| pulled.contains(id)).count();
    }
    Figures {
        requests: latencies.len(),
        seconds,
        p50_ms: at(0.5).copied().unwrap_or(0.0),
        p99_ms: at(0.99).copied().unwrap_or(0.0),
        errors,
        acked: acked_by_teacher.iter().map(Vec::len).sum(),
        read_back,
    }
}

async fn self_diagnosis_form(server: &Client, token: &str) -> FormDefinition {
    let res = server.sync(token, &sync_request(new_device(), vec![], Cursor(0))).await.expect("a first pull");
    res.pulled
        .into_iter()
        .filter_map(|p| match p {
            Pulled::Form { form } if form.id.as_str() == opora_tests::SELF_DIAGNOSIS => Some(form),
            _ => None,
        })
        .max_by_key(|f| f.version)
        .expect("the self-diagnosis form")
}

async fn pull_everything(server: &Client, token: &str) -> HashSet<SubmissionId> {
    let device = new_device();
    let mut cursor = Cursor(0);
    let mut ids = HashSet::new();
    loop {
        let res = server.sync(token, &sync_request(device, vec![], cursor)).await.expect("a pull");
        ids.extend(res.pulled.into_iter().filter_map(|p| match p {
            Pulled::SelfDiagnosis { stored } => Some(stored.submission.id),
            _ => None,
        }));
        cursor = res.cursor;
        if !res.more {
            return ids;
        }
    }
}
