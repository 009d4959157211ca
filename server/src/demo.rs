//! Demo data: the municipalities and schools of the seed documents with invented people, loaded
//! into an empty database by `--demo` so a newcomer can log in at once.

use crate::auth::hash_password;
use crate::storage::{ImportBatch, NewSchool, NewSubmission, NewUser, Storage};
use anyhow::Context;
use opora_domain::accounts::{PROGRAMME_SUBJECTS, TeacherSubject};
use opora_domain::diagnosis::{Answers, StoredSubmission, Submission};
use opora_domain::form::{FormDefinition, FormKind};
use opora_domain::merge::Fields;
use opora_domain::org::{MunicipalityRef, Role, SchoolFlags};
use opora_domain::report::{ReportEdit, ReportKey, apply_edit};
use opora_domain::scoring::score;
use opora_domain::{MunicipalityId, RegionId, SchoolId, SubmissionId, UserId};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct DemoFile {
    pub password: String,
    pub admin: DemoPerson,
    pub regions: Vec<DemoRegion>,
}

#[derive(Deserialize)]
pub struct DemoPerson {
    pub login: String,
    pub full_name: String,
}

#[derive(Deserialize)]
pub struct DemoRegion {
    pub key: String,
    pub name: String,
    pub municipalities: Vec<DemoMunicipality>,
}

#[derive(Deserialize)]
pub struct DemoMunicipality {
    pub key: String,
    pub name: String,
    /// The department specialist's name.
    pub department: String,
    pub schools: Vec<DemoSchool>,
}

#[derive(Deserialize)]
pub struct DemoSchool {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub low_results: bool,
    #[serde(default)]
    pub unfavourable_conditions: bool,
    pub principal: String,
    pub teachers: Vec<String>,
    /// How many teachers (from the second on) already have a submitted self-diagnosis.
    #[serde(default)]
    pub demo_completed: usize,
}

pub fn read(path: &Path) -> anyhow::Result<DemoFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Loads the demo file into `store`. Every demo account gets the file's password (hashed once:
/// this is demo data, and hashing a hundred passwords would slow the first start).
pub async fn load(store: &dyn Storage, path: &Path, forms: &[FormDefinition], now_ms: i64) -> anyhow::Result<()> {
    let demo = read(path)?;
    let password = demo.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    let self_diagnosis = forms.iter().filter(|f| f.kind == FormKind::SelfDiagnosis).max_by_key(|f| f.version);
    let user = |login: String, full_name: &str, role: Role| NewUser {
        id: UserId(Uuid::new_v4()),
        login,
        full_name: full_name.to_owned(),
        role,
        school_id: None,
        municipality_id: None,
        region_id: None,
        password_hash: Some(hash.clone()),
    };
    store.insert_user(&user(demo.admin.login.clone(), &demo.admin.full_name, Role::Admin), now_ms).await?;
    let demo_reports = read_demo_reports(path)?;
    for region in &demo.regions {
        let region_id = RegionId(Uuid::new_v4());
        store.insert_region(region_id, &region.name).await?;
        let specialist = format!("Специалист региона ({})", region.name);
        let mut regional = user(format!("{}.region", region.key), &specialist, Role::Regional);
        regional.region_id = Some(region_id);
        for m in &region.municipalities {
            let municipality = MunicipalityRef { id: MunicipalityId(Uuid::new_v4()), name: m.name.clone(), region_id };
            store.insert_municipality(&municipality).await?;
            let mut department = user(format!("{}.otdel", m.key), &m.department, Role::Municipal);
            department.municipality_id = Some(municipality.id);
            store.insert_user(&department, now_ms).await?;
            let mut school_ids = std::collections::HashMap::new();
            for (s_index, s) in m.schools.iter().enumerate() {
                let school_id = SchoolId(Uuid::new_v4());
                store
                    .insert_school(&NewSchool {
                        id: school_id,
                        municipality_id: municipality.id,
                        name: s.name.clone(),
                        flags: SchoolFlags {
                            low_results: s.low_results,
                            unfavourable_conditions: s.unfavourable_conditions,
                        },
                        // Chosen when the principal first adds a teacher: a demo school's key may
                        // be its municipality's too («chesma.otdel»), whose namespace it is not.
                        login_prefix: None,
                    })
                    .await?;
                let mut principal = user(format!("{}.director", s.key), &s.principal, Role::Principal);
                principal.school_id = Some(school_id);
                store.insert_user(&principal, now_ms).await?;
                for reports in &demo_reports {
                    for (period, cards) in reports.by_period() {
                        if let Some(fields) = cards.get(&s.key) {
                            submit_demo_report(store, &reports.form, period, school_id, principal.id, fields, now_ms)
                                .await?;
                        }
                    }
                }
                school_ids.insert(s.key.clone(), school_id);
                let mut subjects = ImportBatch::default();
                for (t_index, name) in s.teachers.iter().enumerate() {
                    let mut teacher = user(format!("{}.t{}", s.key, t_index + 1), name, Role::Teacher);
                    teacher.school_id = Some(school_id);
                    store.insert_user(&teacher, now_ms).await?;
                    let completed = t_index >= 1 && t_index <= s.demo_completed;
                    if let Some(subject) = demo_subject(&s.key, s_index, t_index, completed) {
                        subjects.subjects.push((teacher.id, subject.stored().to_owned()));
                    }
                    if let (true, Some(form)) = (completed, self_diagnosis) {
                        let seed = fnv(&teacher.login) ^ (s_index as u64 * 7919);
                        // A school's demo teachers share a subject (the first three schools of a
                        // municipality Russian, the next three mathematics): aggregates are per
                        // school and subject (ARCHITECTURE.md, «Disclosure control»), and a school
                        // of six teachers in six subjects would show nothing.
                        // Invented history: a school's last teacher who passed did so this
                        // year, the one before her a year ago, the others two years ago, so that
                        // the coverage has figures for earlier years out of the box.
                        let years_ago = (s.demo_completed - t_index).min(2) as i64;
                        let received_ms = now_ms - YEAR_MS * years_ago;
                        let new = demo_submission(form, teacher.id, school_id, s_index / 3, seed, received_ms);
                        store.commit_submission(None, None, &new, now_ms).await?;
                    }
                }
                store.import(&subjects, now_ms).await?;
            }
            load_membership(store, path, &m.key, &school_ids, now_ms).await?;
        }
        store.insert_user(&regional, now_ms).await?;
    }
    tracing::info!("demo data loaded");
    Ok(())
}

/// A demo teacher's subject (invented): those who submitted teach the subject their demo
/// submission is in (`demo_submission`: Russian in a municipality's first three schools,
/// mathematics in the next three); the others one of the six by turn, except a few teachers of
/// other subjects and one with none stated, so the coverage shows all three kinds: Бураковская's and
/// Болгарская's first teachers teach history and technology, Кимовская's first has no subject,
/// Чесменская СОШ (outside the programme) has four teachers of other subjects, and each Чойский
/// school's sixth teacher teaches English.
fn demo_subject(school: &str, s_index: usize, t_index: usize, submitted: bool) -> Option<TeacherSubject> {
    const OUTSIDE: [&str; 4] = ["История", "Химия", "Физическая культура", "Иностранный язык"];
    let six = |i: usize| TeacherSubject::Programme(PROGRAMME_SUBJECTS[i % PROGRAMME_SUBJECTS.len()].0);
    Some(match (school, t_index) {
        _ if submitted => six(s_index / 3),
        ("burakovo", 0) => TeacherSubject::Other("История".into()),
        ("bolgar", 0) => TeacherSubject::Other("Технология".into()),
        ("kimovka", 0) => return None,
        ("chesma", t) if t % 2 == 0 => TeacherSubject::Other(OUTSIDE[t / 2 % OUTSIDE.len()].into()),
        (school, 5) if CHOYA_SCHOOLS.contains(&school) => TeacherSubject::Other("Английский язык".into()),
        _ => six(s_index + t_index),
    })
}

/// The Чойский район's demo schools (keys of `organisations.json`).
const CHOYA_SCHOOLS: [&str; 5] = ["choya", "karakoksha", "paspaul", "seyka", "ynyrga"];

/// A school report file beside the demo organisations (`data/demo/indicator-cards.json`, …):
/// the seed documents' figures as principals would type them, by school key.
///
/// A file holds one period (`period` and `cards`) or several (`periods`: period → cards), the
/// latter for the years of a programme (some of them invented, as each file's comment says).
#[derive(Deserialize)]
struct DemoReports {
    form: opora_domain::FormRef,
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    cards: BTreeMap<String, Fields>,
    #[serde(default)]
    periods: BTreeMap<String, BTreeMap<String, Fields>>,
}

impl DemoReports {
    fn by_period(&self) -> Vec<(&str, &BTreeMap<String, Fields>)> {
        let single = self.period.as_deref().map(|p| (p, &self.cards));
        single.into_iter().chain(self.periods.iter().map(|(p, c)| (p.as_str(), c))).collect()
    }
}

const DEMO_REPORT_FILES: [&str; 11] = [
    "indicator-cards.json",
    "indicator-cards-years.json",
    "assessment-results.json",
    "assessment-results-years.json",
    "monitoring.json",
    "monitoring-years.json",
    "cluster-monitoring.json",
    "identification.json",
    "identification-years.json",
    "roadmaps.json",
    "roadmaps-years.json",
];

/// `membership.json` beside the demo organisations: each municipality's (by key) decisions per
/// academic year, a school's groups as `low`, `unfavourable`, `both` or `none`.
#[derive(Deserialize)]
struct DemoMembershipYear {
    year: String,
    basis: String,
    basis_date: String,
    schools: BTreeMap<String, String>,
}

async fn load_membership(
    store: &dyn Storage,
    organisations: &Path,
    municipality: &str,
    schools: &std::collections::HashMap<String, SchoolId>,
    now_ms: i64,
) -> anyhow::Result<()> {
    let path = organisations.parent().unwrap_or(Path::new(".")).join("membership.json");
    if !path.exists() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut all: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let Some(years) = all.remove(municipality) else { return Ok(()) };
    let years: Vec<DemoMembershipYear> = serde_json::from_value(years)?;
    for y in years {
        let Ok(opora_domain::period::Period::AcademicYear(year)) = opora_domain::period::Period::parse(&y.year) else {
            anyhow::bail!("membership.json: «{}» is not an academic year", y.year);
        };
        let decisions = y
            .schools
            .iter()
            .map(|(key, groups)| {
                let school = *schools.get(key).with_context(|| format!("membership.json: no school {key}"))?;
                let (low_results, unfavourable_conditions) = match groups.as_str() {
                    "low" => (true, false),
                    "unfavourable" => (false, true),
                    "both" => (true, true),
                    "none" => (false, false),
                    other => anyhow::bail!("membership.json: groups «{other}»"),
                };
                Ok(opora_domain::membership::MembershipDecision {
                    school,
                    year,
                    flags: SchoolFlags { low_results, unfavourable_conditions },
                    basis: y.basis.clone(),
                    basis_date: y.basis_date.clone(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let audit = crate::storage::NewAudit::new(None, "membership.decided", municipality).detail("демо-данные");
        store.decide_membership(None, &decisions, &audit, now_ms).await?;
    }
    Ok(())
}

fn read_demo_reports(organisations: &Path) -> anyhow::Result<Vec<DemoReports>> {
    let dir = organisations.parent().unwrap_or(Path::new("."));
    DEMO_REPORT_FILES
        .iter()
        .map(|name| dir.join(name))
        .filter(|p| p.exists())
        .map(|p| {
            let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))
        })
        .collect()
}

/// Stores a demo report as submitted by the school's principal, through the same merge and
/// commit as a real one.
async fn submit_demo_report(
    store: &dyn Storage,
    form_ref: &opora_domain::FormRef,
    period: &str,
    school: SchoolId,
    principal: UserId,
    fields: &Fields,
    now_ms: i64,
) -> anyhow::Result<()> {
    let form = store
        .report_form(&form_ref.id, form_ref.version)
        .await?
        .with_context(|| format!("demo reports name an unknown report form {form_ref}"))?;
    let edit = ReportEdit {
        key: ReportKey { school, form: form_ref.id.clone(), period: period.to_owned() },
        form_version: form_ref.version,
        base_revision: 0,
        fields: fields.clone(),
        submit: true,
        at_ms: now_ms,
        confirmed: Vec::new(),
    };
    // Demo data passes the same checks as a principal's edit: a period of the form's kind, known fields.
    opora_domain::report::check_edit(&form, &edit)
        .map_err(|problem| anyhow::anyhow!("demo report {} for {period}: {problem}", form_ref))?;
    let decide = |base: Option<&opora_domain::merge::Fields>, current: Option<&opora_domain::report::StoredReport>| {
        apply_edit(&form, base, current, &edit, principal)
    };
    store.commit_report(None, None, &edit, principal, &decide, now_ms).await?;
    Ok(())
}

/// A plausible, deterministic set of answers: each demo teacher has her own level, so schools'
/// averages differ and some areas come out as deficits.
fn demo_submission(
    form: &FormDefinition,
    teacher: UserId,
    school: SchoolId,
    subject_index: usize,
    seed: u64,
    now_ms: i64,
) -> NewSubmission {
    let subjects = form.variant.as_ref().map(|v| v.options.as_slice()).unwrap_or(&[]);
    let subject = subjects[subject_index % subjects.len().max(1)].code.clone();
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let strength = next() % 3; // 0: weaker, 2: stronger teacher
    let answers: Answers = form
        .applicable_fields(Some(&subject))
        .map(|(_, f)| {
            let roll = (next() % 100) as u8;
            let value = match (strength, roll) {
                (0, 0..=35) => 0,
                (0, 36..=80) => 1,
                (0, _) => 2,
                (1, 0..=15) => 0,
                (1, 16..=45) => 1,
                (1, 46..=85) => 2,
                (2, 0..=20) => 1,
                (2, 21..=65) => 2,
                _ => 3,
            };
            (f.id.clone(), value)
        })
        .collect();
    let day = 24 * 60 * 60 * 1000;
    let submission = Submission {
        id: SubmissionId(Uuid::new_v4()),
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

const YEAR_MS: i64 = 365 * 24 * 60 * 60 * 1000;

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}

/// Prints the demo logins on start, so a newcomer knows how to get in.
pub fn print_logins(path: &Path) {
    let password = read(path).map(|d| d.password).unwrap_or_else(|_| "?".into());
    println!(
        "Демо-входы (пароль у всех: {password}):\n  \
         учитель:          burakovo.t1   (Бураковская СОШ, Спасский район)\n  \
         директор:         burakovo.director\n  \
         отдел образования: spassk.otdel  (Спасский муниципальный район)\n  \
         другие школы: <школа>.t1…t6, например choya.t1, kalinovka.t1; отделы: chesma.otdel, choya.otdel"
    );
}
