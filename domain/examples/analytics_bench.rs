//! How long the department's views take as data grows: generated data for 2,000 schools in one
//! view (the worst case: a whole region's schools at once), five academic years of indicator cards
//! and assessment results, and 50,000 teachers' self-diagnoses; then each view computed the way
//! `GET /api/department/analytics` computes it (indicators and clusters, dynamics of two chosen
//! years, dynamics over five years as every school's series of a criterion, targets per year,
//! identification, deficits and topics) and the whole endpoint, each the median of several runs.
//! Prints a table and a verdict line (every view under 100 ms?); decides nothing itself.
//!
//! `cargo run --release -p opora-domain --example analytics_bench` (run by `cargo xtask bench`).
//! `OPORA_BENCH_ONLY=m` (a view's letters from the table's cases, or `series`) times that view
//! alone, for a profiler; `OPORA_BENCH_DUMP=FILE` writes every view's output instead, to compare
//! byte for byte before and after a change of speed.

use opora_domain::accounts::TeacherSubject;
use opora_domain::aggregate::Received;
use opora_domain::analytics::{FormReports, IdentificationRules, IndicatorDef, Inputs, SchoolReport, build};
use opora_domain::api::SchoolGroup;
use opora_domain::diagnosis::Answers;
use opora_domain::form::FormDefinition;
use opora_domain::membership::MembershipDecision;
use opora_domain::merge::Fields;
use opora_domain::org::{MunicipalityRef, SchoolFlags, SchoolRef};
use opora_domain::report::ReportForm;
use opora_domain::scoring::{Profile, score};
use opora_domain::{MunicipalityId, RegionId, SchoolId, SubjectCode, UserId};
use std::time::Instant;

const SCHOOLS: usize = 2_000;
const TEACHERS: usize = 50_000;
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A small deterministic generator: the same data every run.
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

fn load<T: serde::de::DeserializeOwned>(path: &str) -> T {
    let text = std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Typed values for every field of a form, as a principal would type them.
fn fill(form: &ReportForm, rng: &mut Rng) -> Fields {
    use opora_domain::report::ReportFieldKind as K;
    use opora_domain::ru_input::Unit;
    let mut fields = Fields::new();
    for field in form.fields() {
        let value = match &field.kind {
            K::Value { unit: Unit::Count, .. } => (rng.below(300) + 1).to_string(),
            K::Value { .. } => format!("{},{}", rng.below(100), rng.below(10)),
            K::Target { .. } => format!("Не менее {} %", rng.below(100)),
            K::YesNo => if rng.below(3) == 0 { "да" } else { "нет" }.to_owned(),
            K::Text { .. } => "Выполнено".to_owned(),
        };
        fields.insert(field.id.to_string(), value);
    }
    fields
}

/// This thread's time on a CPU so far, in ms (Linux: `/proc/thread-self/schedstat`): on a machine
/// shared with other work the wall time also counts waiting for a core, this does not.
fn cpu_ms() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse::<f64>().ok().map(|ns| ns / 1e6)
}

/// How many times each view is computed: its median is what the verdict reads.
const RUNS: usize = 9;

/// Runs `f` [`RUNS`] times: the median and worst wall time and the median CPU time, in ms.
fn timed<T>(mut f: impl FnMut() -> T) -> (f64, f64, f64) {
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..RUNS)
        .map(|_| {
            let (t, c) = (Instant::now(), cpu_ms());
            std::hint::black_box(f());
            (t.elapsed().as_secs_f64() * 1000.0, cpu_ms().zip(c).map_or(f64::NAN, |(b, a)| b - a))
        })
        .unzip();
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    (wall[RUNS / 2], wall[RUNS - 1], cpu[RUNS / 2])
}

fn main() {
    let mut rng = Rng(0x5eed_2026_0b0a);
    let self_diagnosis: FormDefinition = load("data/forms/self-diagnosis.v1.json");
    let monitoring: ReportForm = load("data/forms/reports/monitoring.v1.json");
    let card: ReportForm = load("data/forms/reports/indicator-card.v2.json");
    let assessment: ReportForm = load("data/forms/reports/assessment-results.v2.json");
    let checklist: ReportForm = load("data/forms/reports/identification-checklist.v1.json");
    let cluster: ReportForm = load("data/forms/reports/cluster-monitoring.v2.json");
    #[derive(serde::Deserialize)]
    struct Indicators {
        indicators: Vec<IndicatorDef>,
        dynamics_targets: Vec<opora_domain::analytics::DynamicsTarget>,
        self_diagnosis_targets: Vec<opora_domain::analytics::YearTarget>,
    }
    let indicators: Indicators = load("data/forms/analytics/programme.json");

    let municipality = MunicipalityRef {
        id: MunicipalityId(uuid::Uuid::from_u128(1)),
        name: "Сгенерированный".into(),
        region_id: RegionId(uuid::Uuid::from_u128(2)),
    };
    let scope = opora_domain::api::AnalyticsScope {
        name: "Сгенерированный регион".into(),
        municipality: None,
        region: municipality.region_id,
    };
    let schools: Vec<(SchoolRef, SchoolFlags)> = (0..SCHOOLS)
        .map(|i| {
            let school = SchoolRef {
                id: SchoolId(uuid::Uuid::from_u128(1000 + i as u128)),
                name: format!("Школа № {i}"),
                municipality_id: municipality.id,
            };
            (school, SchoolFlags { low_results: rng.below(2) == 0, unfavourable_conditions: rng.below(3) == 0 })
        })
        .collect();
    let started = Instant::now();
    let reports_of = |form: &ReportForm, rng: &mut Rng| -> Vec<SchoolReport> {
        schools
            .iter()
            .map(|(s, _)| SchoolReport { school: s.id, period: "2025".into(), fields: fill(form, rng) })
            .collect()
    };
    // Cards and assessment results for five academic years, every school every year.
    const YEARS: [&str; 5] = ["2021-2022", "2022-2023", "2023-2024", "2024-2025", "2025-2026"];
    let yearly = |form: &ReportForm, rng: &mut Rng| -> Vec<SchoolReport> {
        YEARS
            .iter()
            .flat_map(|year| {
                let mut reports = reports_of(form, rng);
                reports.iter_mut().for_each(|r| r.period = (*year).into());
                reports
            })
            .collect()
    };
    let (m, c, a, k) = (
        reports_of(&monitoring, &mut rng),
        yearly(&card, &mut rng),
        yearly(&assessment, &mut rng),
        reports_of(&checklist, &mut rng),
    );
    let cm = reports_of(&cluster, &mut rng);
    // Membership decided each of the five years, a tenth of the schools changing every year.
    let membership: Vec<MembershipDecision> = YEARS
        .iter()
        .enumerate()
        .flat_map(|(y, _)| schools.iter().map(move |(s, f)| (y, s.id, *f)))
        .map(|(y, school, f)| MembershipDecision {
            school,
            year: 2021 + y as u16,
            flags: SchoolFlags { low_results: f.low_results ^ (school.0.as_u128() % 10 == y as u128), ..f },
            basis: "Приказ № 1".into(),
            basis_date: "2021-08-30".into(),
        })
        .collect();
    let subjects: Vec<SubjectCode> =
        ["russian", "math", "physics", "geography", "social", "primary"].map(SubjectCode::from).to_vec();
    let profiles: Vec<(SchoolId, Profile)> = (0..TEACHERS)
        .map(|i| {
            let subject = &subjects[i % subjects.len()];
            let answers: Answers = self_diagnosis
                .applicable_fields(Some(subject))
                .map(|(_, f)| (f.id.clone(), rng.below(4) as u8))
                .collect();
            (schools[i % SCHOOLS].0.id, score(&self_diagnosis, Some(subject), &answers))
        })
        .collect();
    // One submission per teacher, in receipt order; schools of one municipality.
    let refs: Vec<Received<'_>> = profiles
        .iter()
        .enumerate()
        .map(|(i, (school, profile))| Received {
            receipt: i as i64,
            teacher: UserId(uuid::Uuid::from_u128(1_000_000 + i as u128)),
            school: *school,
            municipality: schools[0].0.municipality_id,
            profile,
        })
        .collect();
    let counts: Vec<(SchoolId, u32)> = schools.iter().map(|(s, _)| (s.id, (TEACHERS / SCHOOLS) as u32 + 2)).collect();
    // Coverage: every submitting teacher on her school's roll (one in seven of another subject,
    // one in eleven with none stated), her submission received in one of six years.
    let coverage = opora_domain::coverage::CoverageFacts {
        teachers: refs
            .iter()
            .enumerate()
            .map(|(i, r)| opora_domain::coverage::RolledTeacher {
                id: r.teacher,
                school: r.school,
                subject: match (i % 7, i % 11) {
                    (_, 0) => None,
                    (0, _) => Some(TeacherSubject::Other("История".into())),
                    _ => Some(TeacherSubject::Programme("math")),
                },
            })
            .collect(),
        passed: refs
            .iter()
            .enumerate()
            .map(|(i, r)| opora_domain::coverage::Passed {
                teacher: r.teacher,
                school: r.school,
                received_year: 2020 + (i % 6) as i32,
                answered: r.profile.subject.as_ref().map(|c| TeacherSubject::from_stored(c.as_str())),
            })
            .collect(),
    };
    println!(
        "\nAnalytics benchmark: {SCHOOLS} schools in one view, five academic years of cards and assessment results, {TEACHERS} teachers' self-diagnoses (generated in {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    let rules = IdentificationRules::default();
    let inputs = |views: &str| Inputs {
        scope: scope.clone(),
        group: SchoolGroup::All,
        min_group: 5,
        schools: &schools,
        indicators: &indicators.indicators,
        monitoring: views.contains('m').then_some(FormReports { form: &monitoring, reports: &m }),
        cluster_monitoring: views.contains('m').then_some(FormReports { form: &cluster, reports: &cm }),
        monitoring_period: None,
        compare_from: None,
        compare_to: None,
        membership: &membership,
        card: views.contains('c').then_some(FormReports { form: &card, reports: &c }),
        assessment: views.contains('a').then_some(FormReports { form: &assessment, reports: &a }),
        checklist: views.contains('k').then_some(FormReports { form: &checklist, reports: &k }),
        roadmap: None,
        rules: &rules,
        self_diagnosis: &self_diagnosis,
        teacher_counts: &counts,
        coverage: &coverage,
        submissions: if views.contains('d') { &refs } else { &[] },
        completion_targets: &indicators.self_diagnosis_targets,
        dynamics_targets: &indicators.dynamics_targets,
        campaigns: &[],
        today: "2026-01-01",
        year: 2026,
        now_ms: 0,
    };
    // Dynamics over five years: every school's series of a card criterion over the five years, as
    // one call of the shared crate (`history::series` gives one school's).
    const SERIES_FIELD: &str = "c1.current";
    let five_years = || opora_domain::history::series_of_schools(&card, &c, SERIES_FIELD);
    // Each view alone (the deficits and topics need the profiles; the others run with none), then
    // everything as the endpoint does it, then the tables the exports and the screen are made of.
    // `OPORA_BENCH_DUMP=FILE`: write every view's output as JSON (the series to FILE.series) and
    // stop, to check that a change of speed changed no result.
    if let Ok(path) = std::env::var("OPORA_BENCH_DUMP") {
        let dump: Vec<_> = ["-", "m", "c", "a", "ca", "ak", "d", "mcakd"].iter().map(|v| build(&inputs(v))).collect();
        std::fs::write(&path, serde_json::to_string_pretty(&dump).expect("serialisable")).expect("writable");
        let mut series: Vec<_> = five_years()
            .into_iter()
            .map(|(s, points)| (s, points.iter().map(|(p, v)| (p.to_string(), *v)).collect::<Vec<_>>()))
            .collect();
        series.sort_by_key(|(s, _)| *s);
        std::fs::write(format!("{path}.series"), serde_json::to_string_pretty(&series).expect("serialisable"))
            .expect("writable");
        println!("wrote {path} and {path}.series");
        return;
    }
    // Which views: the letters of `Inputs` each builds with (m monitoring and clusters, c cards,
    // a assessment results, k checklist, d self-diagnoses), or `series` for the five years' series.
    let cases = [
        ("nothing but the schools (what every view costs)", "-"),
        ("indicators, cluster monitoring and clusters", "m"),
        ("dynamics of two chosen years (cards)", "c"),
        ("dynamics over five years (series, every school)", "series"),
        ("targets per year over five years (ОГЭ/ЕГЭ)", "a"),
        ("two views at once: dynamics + targets", "ca"),
        ("identification (rules + checklist)", "ak"),
        ("deficits and development topics", "d"),
        ("all views together (the endpoint)", "mcakd"),
    ];
    println!("  {:<48} {:>10} {:>10} {:>12}", format!("view ({RUNS} runs each)"), "median", "worst", "median CPU");
    // `OPORA_BENCH_ONLY=m`: that view alone, and nothing else (a profile then shows that view).
    let only = std::env::var("OPORA_BENCH_ONLY").ok();
    // Each view's (name, median wall ms, median CPU ms), for the verdict below.
    let mut medians: Vec<(&str, f64, f64)> = Vec::new();
    for (name, views) in cases.into_iter().filter(|(_, v)| only.as_deref().is_none_or(|o| o == *v)) {
        let (median, worst, cpu) = if views == "series" {
            timed(&five_years)
        } else {
            let input = inputs(views);
            timed(|| build(&input))
        };
        println!("  {name:<48} {median:>7.1} ms {worst:>7.1} ms {cpu:>9.1} ms");
        // The endpoint and the dynamics+targets row compute several views at once: the goal is
        // per view.
        if views != "mcakd" && views != "ca" {
            medians.push((name, median, cpu));
        }
    }
    // The programme's coverage for this year and every target year, alone: it runs in every view.
    let (coverage_alone, _, _) = timed(|| {
        opora_domain::coverage::coverage(
            &coverage,
            &schools,
            &membership,
            SchoolGroup::All,
            2026,
            &indicators.self_diagnosis_targets,
        )
    });
    println!("  {:<48} {coverage_alone:>7.1} ms", "  of which the coverage per year alone");
    let slowest = |pick: fn(&(&str, f64, f64)) -> f64| {
        medians.iter().max_by(|a, b| pick(a).total_cmp(&pick(b))).map(|m| (m.0, pick(m)))
    };
    if let (Some((wall_name, wall)), Some((cpu_name, cpu))) = (slowest(|m| m.1), slowest(|m| m.2)) {
        let verdict = |ms: f64| if ms < 100.0 { "yes" } else { "NO" };
        println!(
            "  every view under 100 ms (median wall time): {} (slowest: {wall_name}, {wall:.1} ms)",
            verdict(wall)
        );
        println!(
            "  every view under 100 ms (median CPU time, without waiting for a core): {} (slowest: {cpu_name}, {cpu:.1} ms)",
            verdict(cpu)
        );
    }
    if only.is_some() {
        return;
    }
    // The five years' target checks alone, without the rest of the view.
    let low = |_: u16| -> std::collections::HashSet<SchoolId> {
        schools.iter().filter(|(_, f)| f.low_results).map(|(s, _)| s.id).collect()
    };
    let (alone, _, _) = timed(|| {
        opora_domain::analytics::dynamics_against_targets(&assessment, &a, &low, &indicators.dynamics_targets, None)
    });
    println!("  {:<48} {alone:>7.1} ms", "  of which the targets per year alone");
    let (replay, _, _) = timed(|| opora_domain::aggregate::release(&refs, 5));
    println!("  {:<48} {replay:>7.1} ms", "  of which the disclosure replay alone");
    let all = build(&inputs("mcakd"));
    let t = Instant::now();
    let sheets = opora_domain::sheets::all(&all);
    let csv: usize = sheets.iter().map(|s| opora_domain::sheets::csv_ru(s).len()).sum();
    println!(
        "  {:<48} {:>7.1} ms   ({} rows, {} KB of CSV)",
        "tables and CSV of all views",
        t.elapsed().as_secs_f64() * 1000.0,
        sheets.iter().map(|s| s.rows.len()).sum::<usize>(),
        csv / 1024
    );
    println!("  goal: under 100 ms per view on this machine (2 cores)\n");
}
