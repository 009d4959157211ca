//! `analytics_endpoint_bench`: how long `GET /api/department/analytics` takes for a region of
//! 2,000 schools and 50,000 teachers, on SQLite and on PostgreSQL. Prints figures (not a timed
//! test; `cargo xtask bench` runs it after the ingest bench).
//!
//! For each backend: a fresh database filled through the server's own storage layer (the forms
//! from `data/forms`, one `import` of the organisations and accounts, the storage's commit path
//! for one scored self-diagnosis per teacher and for indicator cards of two academic years), then
//! a real server process on it; the regional specialist (who sees every school of the region)
//! logs in and the endpoint is requested: the first request on its own (cold caches), then
//! `OPORA_BENCH_REPEATS` more (7 by default), of which the median and p90 are printed.
//!
//! Only the specialist's account has a password: hashing 50,000 with Argon2 would take hours and
//! tests nothing this measures; the teachers are imported as accounts awaiting activation, the
//! way a real import creates them.

use opora_domain::diagnosis::{Answers, StoredSubmission, Submission};
use opora_domain::form::{FormDefinition, FormKind};
use opora_domain::merge::Fields;
use opora_domain::org::{MunicipalityRef, Role, SchoolFlags};
use opora_domain::report::{ReportEdit, ReportForm, ReportKey, apply_edit};
use opora_domain::scoring::score;
use opora_domain::{MunicipalityId, RegionId, SchoolId, SubmissionId, UserId};
use opora_server::storage::{ImportBatch, NewCode, NewSchool, NewSubmission, NewUser, Storage};
use opora_tests::postgres::{Cluster, ClusterOptions, create_database};
use opora_tests::servers::{Client, ServerProcess};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const MUNICIPALITIES: usize = 20;
const SCHOOLS: usize = 2_000;
const TEACHERS: usize = 50_000;
/// The academic years the indicator cards are for (the dynamics compare the two).
const YEARS: [&str; 2] = ["2024-2025", "2025-2026"];
/// Submissions committed at once: the storage's pool takes them in parallel where the backend can.
const WRITERS: usize = 8;
const SPECIALIST: &str = "bench.region";
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A small deterministic generator (as in `domain/examples/analytics_bench.rs`): the same data
/// every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Figures {
    load: Duration,
    reports: usize,
    bytes: usize,
    first_ms: f64,
    median_ms: f64,
    p90_ms: f64,
}

#[tokio::main]
async fn main() {
    let repeats: usize = std::env::var("OPORA_BENCH_REPEATS").ok().and_then(|s| s.parse().ok()).unwrap_or(7).max(5);
    println!(
        "Department analytics endpoint: 1 region, {MUNICIPALITIES} municipalities, {SCHOOLS} schools, \
         {TEACHERS} teachers with one self-diagnosis each, indicator cards for {}",
        YEARS.join(" and ")
    );
    let sqlite_dir = tempfile::tempdir().expect("a temporary folder");
    let sqlite_url = format!("sqlite://{}/analytics.db?mode=rwc", sqlite_dir.path().display());
    let cluster = match std::env::var("OPORA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => Cluster::start(ClusterOptions { durable: true, max_connections: 100 }).expect("a PostgreSQL").admin_url,
    };
    let mut rows = Vec::new();
    rows.push(("SQLite", run(&sqlite_url, repeats).await));
    let url = create_database(&cluster).await;
    rows.push(("PostgreSQL", run(&url, repeats).await));
    println!(
        "\n{:<12} {:>8} {:>9} {:>8} {:>9} {:>10} {:>10} {:>9} {:>9}",
        "backend", "schools", "teachers", "reports", "load s", "response", "first ms", "median", "p90"
    );
    for (name, f) in rows {
        println!(
            "{:<12} {:>8} {:>9} {:>8} {:>9.1} {:>9}K {:>10.0} {:>9.0} {:>9.0}",
            name,
            SCHOOLS,
            TEACHERS,
            f.reports,
            f.load.as_secs_f64(),
            f.bytes / 1024,
            f.first_ms,
            f.median_ms,
            f.p90_ms,
        );
    }
    println!("(median and p90 of {repeats} requests after the first; release server, one request at a time)");
}

async fn run(url: &str, repeats: usize) -> Figures {
    let started = Instant::now();
    let reports = fill(url).await;
    let load = started.elapsed();
    println!("  {}: loaded in {:.1} s", url.split(':').next().unwrap_or("?"), load.as_secs_f64());
    let server = ServerProcess::start(url, &[]);
    let client = Client::new(&server.base_url);
    let token = client.login(SPECIALIST).await.expect("the specialist logs in");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(600)).build().expect("an HTTP client");
    let endpoint = format!("{}/api/department/analytics", server.base_url);
    let mut timed = Vec::new();
    let mut last_body = Default::default();
    for _ in 0..=repeats {
        let sent = Instant::now();
        let res = http.get(&endpoint).bearer_auth(&token).send().await.expect("the analytics request");
        let status = res.status();
        let body = res.bytes().await.expect("the analytics body");
        timed.push(sent.elapsed().as_secs_f64() * 1000.0);
        assert!(status.is_success(), "analytics: {status}: {}", String::from_utf8_lossy(&body));
        last_body = body;
    }
    // What the view shows, so a figure over an empty or refused view would be seen for what it is.
    let view: serde_json::Value = serde_json::from_slice(&last_body).expect("the analytics JSON");
    println!(
        "  {}: the view counts {} of {} teachers completed, {} schools in the dynamics, {} deficit rows",
        url.split(':').next().unwrap_or("?"),
        view["completion"]["all_completed"],
        view["completion"]["all_teachers"],
        view["dynamics"].as_array().map_or(0, Vec::len),
        view["deficits"].as_array().map_or(0, Vec::len),
    );
    let first_ms = timed.remove(0);
    timed.sort_by(f64::total_cmp);
    let at = |q: f64| timed[((timed.len() as f64 * q).ceil() as usize).saturating_sub(1).min(timed.len() - 1)];
    Figures { load, reports, bytes: last_body.len(), first_ms, median_ms: at(0.5), p90_ms: at(0.9) }
}

/// Fills a fresh database the way the server's own paths do; returns how many reports it stored.
async fn fill(url: &str) -> usize {
    let settings = opora_server::storage::postgres::PoolSettings {
        max_connections: WRITERS as u32 + 2,
        acquire_timeout: Duration::from_secs(60),
    };
    let store = opora_server::storage::open(url, settings).await.expect("opening the database");
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("a clock").as_millis() as i64;
    let forms_dir = Path::new(ROOT).join("data/forms");
    let forms = opora_server::forms::load_forms(store.as_ref(), &forms_dir, now_ms).await.expect("the forms");
    let report_forms = opora_server::forms::load_report_forms(store.as_ref(), &forms_dir.join("reports"), now_ms)
        .await
        .expect("the report forms");
    let self_diagnosis = forms
        .iter()
        .filter(|f| f.kind == FormKind::SelfDiagnosis)
        .max_by_key(|f| f.version)
        .expect("a self-diagnosis form")
        .clone();
    let card = report_forms
        .iter()
        .filter(|f| f.id.as_str() == "indicator-card")
        .max_by_key(|f| f.version)
        .expect("an indicator-card form")
        .clone();

    let mut rng = Rng(0x5eed_2026_0b0a);
    let region = RegionId(Uuid::from_u128(1));
    let mut batch = ImportBatch {
        regions: vec![(region, "Сгенерированный регион".into())], ..Default::default()
    };
    batch.municipalities = (0..MUNICIPALITIES)
        .map(|m| MunicipalityRef {
            id: MunicipalityId(Uuid::from_u128(100 + m as u128)),
            name: format!("Район № {}", m + 1),
            region_id: region,
        })
        .collect();
    batch.schools = (0..SCHOOLS)
        .map(|s| NewSchool {
            id: SchoolId(Uuid::from_u128(10_000 + s as u128)),
            municipality_id: batch.municipalities[s % MUNICIPALITIES].id,
            name: format!("Школа № {}", s + 1),
            flags: SchoolFlags { low_results: rng.below(2) == 0, unfavourable_conditions: rng.below(3) == 0 },
            login_prefix: None,
        })
        .collect();
    let expires_at_ms = now_ms + 30 * 24 * 60 * 60 * 1000;
    let person = |id: UserId, login: String, role: Role, school: Option<SchoolId>| NewUser {
        id,
        login,
        full_name: "Сгенерированный Пользователь".into(),
        role,
        school_id: school,
        municipality_id: None,
        region_id: None,
        password_hash: None,
    };
    // A principal per school (the reports' author) and the teachers, spread evenly.
    let principals: Vec<UserId> = (0..SCHOOLS).map(|s| UserId(Uuid::from_u128(1_000_000 + s as u128))).collect();
    let teachers: Vec<(UserId, SchoolId)> = (0..TEACHERS)
        .map(|t| (UserId(Uuid::from_u128(2_000_000 + t as u128)), batch.schools[t % SCHOOLS].id))
        .collect();
    let users = principals
        .iter()
        .enumerate()
        .map(|(s, id)| person(*id, format!("s{s}.director"), Role::Principal, Some(batch.schools[s].id)))
        .chain(teachers.iter().enumerate().map(|(t, (id, school))| {
            person(*id, format!("s{}.t{}", t % SCHOOLS, t / SCHOOLS + 1), Role::Teacher, Some(*school))
        }));
    batch.users = users
        .map(|user| {
            let code = NewCode {
                user: user.id,
                code_hash: format!("bench-code-{}", user.id.0),
                issued_by: None,
                expires_at_ms,
            };
            (user, code)
        })
        .collect();
    store.import(&batch, now_ms).await.expect("the import");
    let hash = opora_server::auth::hash_password(opora_tests::DEMO_PASSWORD).expect("a password hash");
    let specialist = NewUser {
        region_id: Some(region),
        password_hash: Some(hash),
        ..person(UserId(Uuid::from_u128(3)), SPECIALIST.into(), Role::Regional, None)
    };
    store.insert_user(&specialist, now_ms).await.expect("the specialist");

    // One scored self-diagnosis per teacher, through the commit path a sync uses.
    let submissions: Vec<NewSubmission> = teachers
        .iter()
        .enumerate()
        .map(|(t, (teacher, school))| submission(&self_diagnosis, *teacher, *school, t, &mut rng, now_ms))
        .collect();
    let submissions = Arc::new(submissions);
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let (store, submissions) = (Arc::clone(&store), Arc::clone(&submissions));
        writers.spawn(async move {
            for new in submissions.iter().skip(w).step_by(WRITERS) {
                store.commit_submission(None, None, new, now_ms).await.expect("a submission");
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.expect("a writer");
    }

    // Indicator cards: every school for each year, sent by its principal.
    let mut edits = Vec::new();
    for year in YEARS {
        let cards = demo_cards(year);
        for (s, school) in batch.schools.iter().enumerate() {
            let fields = cards[s % cards.len()].clone();
            edits.push((principals[s], card_edit(&card, school.id, year, fields, now_ms)));
        }
    }
    let (card, edits) = (Arc::new(card), Arc::new(edits));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let (store, card, edits) = (Arc::clone(&store), Arc::clone(&card), Arc::clone(&edits));
        writers.spawn(async move {
            for (principal, edit) in edits.iter().skip(w).step_by(WRITERS) {
                send_report(store.as_ref(), &card, edit, *principal, now_ms).await;
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.expect("a writer");
    }
    edits.len()
}

/// A scored submission with plausible answers (0–3), the subjects taken in turn.
fn submission(
    form: &FormDefinition,
    teacher: UserId,
    school: SchoolId,
    index: usize,
    rng: &mut Rng,
    now_ms: i64,
) -> NewSubmission {
    let subjects = form.variant.as_ref().map(|v| v.options.as_slice()).unwrap_or(&[]);
    let subject = subjects[index % subjects.len().max(1)].code.clone();
    let answers: Answers =
        form.applicable_fields(Some(&subject)).map(|(_, f)| (f.id.clone(), rng.below(4) as u8)).collect();
    let day = 24 * 60 * 60 * 1000;
    let submission = Submission {
        id: SubmissionId(Uuid::from_u128(5_000_000 + index as u128)),
        form: form.form_ref(),
        subject: subject.clone(),
        answers,
        started_at_ms: now_ms - 3 * day,
        submitted_at_ms: now_ms - 3 * day + 20 * 60 * 1000,
    };
    let profile = score(form, Some(&subject), &submission.answers);
    NewSubmission {
        stored: StoredSubmission { submission, teacher, received_at_ms: now_ms - 2 * day },
        school_id: Some(school),
        profile,
    }
}

/// The demo's indicator cards of one academic year (`data/demo/indicator-cards-years.json`,
/// figures from the seed documents): valid cards a school's principal could send, which the
/// generated schools take in turn. Random values would not pass the card's checks (a part
/// larger than its whole) and would be stored as drafts the analytics never read.
fn demo_cards(year: &str) -> Vec<Fields> {
    let path = Path::new(ROOT).join("data/demo/indicator-cards-years.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let demo: serde_json::Value = serde_json::from_str(&text).expect("the demo cards are JSON");
    let cards = demo["periods"][year].as_object().unwrap_or_else(|| panic!("no demo cards for {year}"));
    cards.values().map(|c| serde_json::from_value(c.clone()).expect("a card's fields")).collect()
}

fn card_edit(form: &ReportForm, school: SchoolId, year: &str, fields: Fields, now_ms: i64) -> ReportEdit {
    ReportEdit {
        key: ReportKey { school, form: form.id.clone(), period: year.to_owned() },
        form_version: form.version,
        base_revision: 0,
        fields,
        submit: true,
        at_ms: now_ms,
        confirmed: Vec::new(),
    }
}

/// Stores a report as sent by the school's principal, through the same merge and commit as a
/// real edit (as the demo data does).
async fn send_report(store: &dyn Storage, form: &ReportForm, edit: &ReportEdit, principal: UserId, now_ms: i64) {
    let decide = |base: Option<&Fields>, current: Option<&opora_domain::report::StoredReport>| {
        let applied = apply_edit(form, base, current, edit, principal);
        assert!(applied.submitted, "a generated card was not submitted: {:?}", applied.problems);
        applied
    };
    store.commit_report(None, None, edit, principal, &decide, now_ms).await.expect("a report");
}
