//! The department's analytics over what schools sent: indicator statistics across schools (the
//! layout of seed 004's table), dynamics against targets (seed 000's indicator cards) and the
//! identification of schools with low results by explicit rules, each flag with its reason.
//!
//! Everything here takes the schools' report fields as typed and reads them with
//! [`crate::report::read_report`]: a value the reader refuses is simply no data, never a zero.
//! Which indicators exist and how they are computed is data ([`IndicatorDef`]), so a region can
//! add one without code.

use crate::aggregate::{AreaBlock, Received, members, release};
use crate::api::{
    AnalyticsScope, AreaTitle, CampaignStanding, DepartmentAnalytics, SchoolDynamics, SchoolGroup,
    SchoolIdentification, SchoolRoadmap, SchoolSelfDiagnosisRow, SubjectDeficits, TopicNeed,
};
use crate::campaign::{Campaign, ReportState, completeness, standing};
use crate::form::FormDefinition;
use crate::merge::Fields;
use crate::org::{SchoolFlags, SchoolRef};
use crate::period::{Date, Period, date_of_iso};
use crate::report::{CellValue, ReportFieldKind, ReportForm, read_field};
use crate::roadmap::{self, PlanItem, Progress, Quarter, RoadmapSummary, read_status};
use crate::ru_input::{Reading, improved, read_target};
use crate::{AreaId, ItemId, SchoolId, SubjectCode};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How one indicator is computed from a school's monitoring report: the sum of `part` fields over
/// the sum of `whole` fields (a share, 0–1, as seed 004 prints it), the plain sum of `part` when
/// `whole` is empty (a count), or whether a yes/no field says yes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorDef {
    pub id: String,
    pub label: String,
    pub part: Vec<String>,
    #[serde(default)]
    pub whole: Vec<String>,
    /// Shown as «есть в N школах» rather than a mean: medals, vacancies, a psychologist.
    #[serde(default)]
    pub rare: bool,
    /// A second figure seed 004 writes beside the mean for values that are rare at one end:
    /// «0,2 в 2 школах» (the minimum and how many schools have it), «в 53 школах 0 или 1».
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub also: Option<RareCount>,
}

/// «школе» / «школах» after «в N»: в 1 школе, в 21 школе, в 2 школах, в 11 школах.
fn schools_in(n: u32) -> &'static str {
    if n % 10 == 1 && n % 100 != 11 { "школе" } else { "школах" }
}

/// Which rare value an indicator also counts schools for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RareCount {
    /// How many schools have the minimum value: «0,2 в 2 школах».
    AtMinimum,
    /// How many schools have 0 or 1: «в 53 школах 0 или 1».
    ZeroOrOne,
}

/// The read values of one school's report, by field id.
pub type ReadReport = BTreeMap<ItemId, CellValue>;

/// What [`crate::report::read_report`] reads, without its list of problems: the views never show them, and
/// their messages (numbers formatted into sentences) cost more than reading the values.
pub fn read(form: &ReportForm, fields: &Fields) -> ReadReport {
    let mut read = ReadReport::new();
    for section in &form.sections {
        if section.rows {
            for row in section.rows_in(fields) {
                for field in &section.fields {
                    let key = crate::report::row_key(field.id.as_str(), row);
                    if let Ok(Some(value)) = read_field(field, fields.get(key.as_str()).map(String::as_str)) {
                        read.insert(ItemId(key), value);
                    }
                }
            }
        } else {
            for field in &section.fields {
                if let Ok(Some(value)) = read_field(field, fields.get(field.id.as_str()).map(String::as_str)) {
                    read.insert(field.id.clone(), value);
                }
            }
        }
    }
    read
}

fn number(read: &ReadReport, id: &str) -> Option<f64> {
    match read.get(id)? {
        CellValue::Measured { reading } => reading.value(),
        CellValue::YesNo { yes } => Some(if *yes { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// One school's value of an indicator; `None` when a field it needs is missing or the whole is 0.
pub fn indicator_value(def: &IndicatorDef, read: &ReadReport) -> Option<f64> {
    let sum = |ids: &[String]| ids.iter().map(|id| number(read, id)).sum::<Option<f64>>();
    let part = sum(&def.part)?;
    if def.whole.is_empty() {
        return Some(part);
    }
    let whole = sum(&def.whole)?;
    (whole > 0.0).then(|| part / whole)
}

/// One row of seed 004's table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorStats {
    pub id: String,
    pub label: String,
    pub rare: bool,
    /// Schools with a value.
    pub schools: u32,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Schools whose value is above zero: «есть в 6 школах», «0,045 (18 школ)».
    pub present_in: u32,
    /// The definition's `also`: which rare value is counted, and in how many schools.
    #[serde(default)]
    pub also: Option<RareCount>,
    #[serde(default)]
    pub also_in: u32,
    /// A share (part over whole, 0–1), shown as a percentage; otherwise a count or yes/no.
    #[serde(default)]
    pub share: bool,
    /// Schools without a value because their report says «–» (not applicable: an ООШ has no
    /// 11th grade), apart from schools that did not report the figure at all.
    #[serde(default)]
    pub not_applicable: u32,
}

impl IndicatorStats {
    /// The rare-event figure as seed 004 writes it, or `None` when the indicator has none.
    pub fn rare_ru(&self) -> Option<String> {
        let schools = |n: u32| format!("{n} {}", schools_in(n));
        let shown = |v: f64| indicator_figure_ru(self.share, v);
        match (self.rare, self.also) {
            (true, _) => Some(format!("есть в {}", schools(self.present_in))),
            (false, Some(RareCount::AtMinimum)) => {
                self.min.map(|m| format!("{} в {}", shown(m), schools(self.also_in)))
            }
            (false, Some(RareCount::ZeroOrOne)) => Some(format!("в {} 0 или 1", schools(self.also_in))),
            (false, None) => None,
        }
    }
}

/// An indicator's figure as the department reads it: a share as a percentage («33,3 %»), as seed
/// 004's «Доля …» means it, anything else as a number («1,76»).
pub fn indicator_figure_ru(share: bool, value: f64) -> String {
    if share { crate::report::share_ru(value) } else { crate::report::format_number((value * 1000.0).round() / 1000.0) }
}

pub fn indicator_stats(def: &IndicatorDef, schools: &[&ReadReport]) -> IndicatorStats {
    let not_applicable = |r: &ReadReport| {
        def.part
            .iter()
            .chain(&def.whole)
            .any(|id| matches!(r.get(id.as_str()), Some(CellValue::Measured { reading: Reading::NotApplicable })))
    };
    let mut na = 0;
    let mut values = Vec::new();
    for r in schools {
        match indicator_value(def, r) {
            Some(v) => values.push(v),
            None => na += u32::from(not_applicable(r)),
        }
    }
    stats_of_values(def, values, na)
}

/// [`indicator_stats`] from the schools' values of the indicator, in any order, and how many
/// schools wrote «–» for it.
fn stats_of_values(def: &IndicatorDef, mut values: Vec<f64>, not_applicable: u32) -> IndicatorStats {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    };
    IndicatorStats {
        id: def.id.clone(),
        label: def.label.clone(),
        rare: def.rare,
        schools: n as u32,
        mean: (n > 0).then(|| values.iter().sum::<f64>() / n as f64),
        median,
        min: values.first().copied(),
        max: values.last().copied(),
        present_in: values.iter().filter(|v| **v > 1e-12).count() as u32,
        also: def.also,
        also_in: match def.also {
            Some(RareCount::AtMinimum) => values.iter().filter(|v| (**v - values[0]).abs() < 1e-12).count() as u32,
            Some(RareCount::ZeroOrOne) => values.iter().filter(|v| **v < 1.0 + 1e-12).count() as u32,
            None => 0,
        },
        share: !def.whole.is_empty(),
        not_applicable,
    }
}

/// One criterion of a school's indicator card: where it was, where it is, where it should be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dynamics {
    /// The card section, `c3`.
    pub criterion: String,
    pub title: String,
    pub previous: Option<f64>,
    pub current: Option<f64>,
    /// The expected value as the school wrote it.
    pub target: Option<String>,
    /// `None` when the target is not a number («Реализация мероприятий») or there is no current value.
    pub target_met: Option<bool>,
    /// `None` without two values, or when nothing changed.
    pub improved: Option<bool>,
    pub lower_is_better: bool,
    /// The school wrote «–» (not applicable) for the value: not the same as not reporting it.
    #[serde(default)]
    pub previous_not_applicable: bool,
    #[serde(default)]
    pub current_not_applicable: bool,
}

/// Reads each section of an indicator card: its `.current`, `.previous` and target fields. The
/// previous value may also come in brackets beside the current one, as seed 000 writes it.
pub fn card_dynamics(form: &ReportForm, fields: &Fields) -> Vec<Dynamics> {
    CardReader::new(form).dynamics(fields)
}

/// [`card_dynamics`] for many cards of one form: which fields each criterion reads is worked out
/// once, and a card's other fields are never read (reading whole cards of 2,000 schools, targets
/// twice, was most of the view).
pub struct CardReader<'f> {
    criteria: Vec<CardCriterion<'f>>,
}

/// One section of the card with dynamics: its fields as [`read`] would give them.
struct CardCriterion<'f> {
    section: &'f crate::report::ReportSection,
    lower_is_better: bool,
    /// The `.current` field's key, and the fields `read` would write it from.
    current: (&'f str, Vec<&'f crate::report::ReportField>),
    previous: Option<(&'f str, Vec<&'f crate::report::ReportField>)>,
    target: Option<&'f crate::report::ReportField>,
}

/// The value [`read`] would give `key`: the last of its fields (`fields_of_keys`) that reads.
pub(crate) fn read_key(candidates: &[&crate::report::ReportField], key: &str, fields: &Fields) -> Option<CellValue> {
    if candidates.is_empty() {
        return None;
    }
    let typed = fields.get(key).map(String::as_str);
    candidates.iter().rev().find_map(|field| read_field(field, typed).ok().flatten())
}

impl<'f> CardReader<'f> {
    pub fn new(form: &'f ReportForm) -> CardReader<'f> {
        let with_fields = |key: &'f str| (key, fields_of_keys(form, &[key]).pop().unwrap_or_default());
        let criteria =
            form.sections
                .iter()
                .filter_map(|section| {
                    // Criteria measured in words («Реализация мероприятий») have no dynamics.
                    let current = section.fields.iter().find(|f| {
                        f.id.as_str().ends_with(".current") && matches!(f.kind, ReportFieldKind::Value { .. })
                    })?;
                    Some(CardCriterion {
                        section,
                        lower_is_better: matches!(current.kind, ReportFieldKind::Value { lower_is_better: true, .. }),
                        current: with_fields(current.id.as_str()),
                        previous: section
                            .fields
                            .iter()
                            .find(|f| f.id.as_str().ends_with(".previous"))
                            .map(|f| with_fields(f.id.as_str())),
                        target: section.fields.iter().find(|f| matches!(f.kind, ReportFieldKind::Target { .. })),
                    })
                })
                .collect();
        CardReader { criteria }
    }

    /// One card's criteria, as [`card_dynamics`] gives them.
    pub fn dynamics(&self, fields: &Fields) -> Vec<Dynamics> {
        self.criteria
            .iter()
            .map(|c| {
                let reading = match read_key(&c.current.1, c.current.0, fields) {
                    Some(CellValue::Measured { reading }) => Some(reading),
                    _ => None,
                };
                let current = reading.as_ref().and_then(Reading::value);
                let current_not_applicable = reading == Some(Reading::NotApplicable);
                let bracketed = match reading {
                    Some(Reading::Value { previous, .. }) => previous,
                    _ => None,
                };
                let previous_read = c.previous.as_ref().and_then(|(key, candidates)| read_key(candidates, key, fields));
                let previous_not_applicable =
                    matches!(previous_read, Some(CellValue::Measured { reading: Reading::NotApplicable }));
                let previous = previous_read
                    .and_then(|read| match read {
                        CellValue::Measured { reading } => reading.value(),
                        CellValue::YesNo { yes } => Some(if yes { 1.0 } else { 0.0 }),
                        _ => None,
                    })
                    .or(bracketed);
                let target_text = c
                    .target
                    .and_then(|f| fields.get(f.id.as_str()))
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty());
                let target_met = match (c.target.map(|f| &f.kind), &target_text, current) {
                    (Some(ReportFieldKind::Target { unit }), Some(text), Some(current)) => {
                        read_target(*unit, text).ok().flatten().and_then(|t| t.met(current, previous))
                    }
                    _ => None,
                };
                Dynamics {
                    criterion: c.section.id.clone(),
                    title: c.section.title.clone(),
                    previous,
                    current,
                    target: target_text,
                    target_met,
                    improved: match (previous, current) {
                        (Some(p), Some(now)) => improved(c.lower_is_better, p, now),
                        _ => None,
                    },
                    lower_is_better: c.lower_is_better,
                    previous_not_applicable: previous_not_applicable && previous.is_none(),
                    current_not_applicable,
                }
            })
            .collect()
    }
}

/// Across schools, per criterion: how many improved, declined, met their target.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DynamicsSummary {
    pub criterion: String,
    pub title: String,
    pub schools: u32,
    pub improved: u32,
    pub declined: u32,
    pub target_met: u32,
}

pub fn summarise_dynamics(per_school: &[Vec<Dynamics>]) -> Vec<DynamicsSummary> {
    summarise_dynamics_of(per_school.iter().map(Vec::as_slice))
}

/// [`summarise_dynamics`] over each school's rows where they stand (no copy of every school's
/// rows for the summary).
pub fn summarise_dynamics_of<'a>(per_school: impl IntoIterator<Item = &'a [Dynamics]>) -> Vec<DynamicsSummary> {
    let mut out: Vec<DynamicsSummary> = Vec::new();
    for rows in per_school {
        for (at, d) in rows.iter().enumerate() {
            // Every card lists its criteria in the form's order: the summary's row at the same
            // place is usually the one (criteria are listed once, so a match is the only one).
            let usual = out.get(at).filter(|s| s.criterion == d.criterion).map(|_| at);
            let i = match usual.or_else(|| out.iter().position(|s| s.criterion == d.criterion)) {
                Some(i) => i,
                None => {
                    out.push(DynamicsSummary {
                        criterion: d.criterion.clone(),
                        title: d.title.clone(),
                        ..Default::default()
                    });
                    out.len() - 1
                }
            };
            let s = &mut out[i];
            if d.current.is_some() {
                s.schools += 1;
            }
            match d.improved {
                Some(true) => s.improved += 1,
                Some(false) => s.declined += 1,
                None => {}
            }
            if d.target_met == Some(true) {
                s.target_met += 1;
            }
        }
    }
    out
}

/// The rules that identify a school with low results. The defaults are the federal rule and seed
/// 001's checklist; a region configures its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentificationRules {
    /// A procedure counts as failed when at least this share of participants (in %) got a «2»
    /// (fell below the minimum).
    pub fail_percent: f64,
    /// Failed procedures in one year that flag a school.
    pub failed_procedures_in_a_year: u32,
    /// «Да» answers in the identification checklist that flag a school.
    pub checklist_yes: u32,
    /// Seed 003's cluster monitoring of students' families (`students.low_income`, …): a share
    /// at or above this (in %) in any of `social_fields` flags unfavourable social conditions.
    #[serde(default = "default_social_percent")]
    pub social_percent: f64,
    #[serde(default = "default_social_fields")]
    pub social_fields: Vec<String>,
}

fn default_social_percent() -> f64 {
    30.0
}

fn default_social_fields() -> Vec<String> {
    ["students.low_income", "students.risk_families", "students.risk_group"].map(str::to_owned).to_vec()
}

impl Default for IdentificationRules {
    fn default() -> Self {
        IdentificationRules {
            fail_percent: 30.0,
            failed_procedures_in_a_year: 2,
            checklist_yes: 3,
            social_percent: default_social_percent(),
            social_fields: default_social_fields(),
        }
    }
}

/// Unfavourable social conditions from a school's cluster monitoring (seed 003, 5.4, «Обучающиеся»):
/// the shares of `rules.social_fields` at or above `rules.social_percent`, named with their values.
pub fn social_flag(form: &ReportForm, fields: &Fields, rules: &IdentificationRules) -> Option<Flag> {
    let read = read(form, fields);
    let high: Vec<String> = rules
        .social_fields
        .iter()
        .filter_map(|id| {
            let value = number(&read, id)?;
            let label = form.field(&ItemId::from(id.as_str()))?.label.clone();
            (value >= rules.social_percent - 1e-9).then(|| format!("{label} — {}", percent(value)))
        })
        .collect();
    (!high.is_empty()).then(|| Flag {
        rule: format!(
            "Неблагоприятные социальные условия (ШФНСУ): не менее {} по данным кластерного мониторинга",
            percent(rules.social_percent)
        ),
        explanation: high.join("; "),
        unfavourable: true,
    })
}

/// One procedure's fail share in one year, from an assessment-results report: the year from the
/// report's period (`oge.math.fail` in «2018-2019» is the ОГЭ of 2019), or, in the first version of
/// the form, from the field id (`vpr.math.5.2019.fail`, `oge.math.2018.fail`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcedureResult {
    pub procedure: String,
    pub title: String,
    pub year: u32,
    pub fail_percent: f64,
}

pub fn procedure_results(form: &ReportForm, fields: &Fields, period: Option<&Period>) -> Vec<ProcedureResult> {
    procedure_results_of(&procedure_fields(form), fields, period)
}

/// A fail-share field of the assessment form, with its procedure, its year when the id carries
/// one, and its title: worked out once per form, not once per school.
pub struct ProcedureField<'a> {
    field: &'a crate::report::ReportField,
    procedure: String,
    year: Option<u32>,
    title: String,
}

pub fn procedure_fields(form: &ReportForm) -> Vec<ProcedureField<'_>> {
    let mut out = Vec::new();
    for section in &form.sections {
        for field in &section.fields {
            let Some(rest) = field.id.as_str().strip_suffix(".fail") else { continue };
            let (procedure, year) = match crate::history::year_in_id(rest) {
                Some((year, procedure)) => (procedure, Some(u32::from(year))),
                None => (rest.to_owned(), None),
            };
            // «ВПР, математика» and the grade, when the procedure has one (`vpr.math.5`).
            let grade = procedure.strip_prefix(section.id.as_str()).and_then(|g| g.strip_prefix('.'));
            let title = match grade {
                Some(g) if !g.is_empty() => format!("{}, {g} класс", section.title),
                _ => section.title.clone(),
            };
            out.push(ProcedureField { field, procedure, year, title });
        }
    }
    out
}

pub fn procedure_results_of(
    procedures: &[ProcedureField<'_>],
    fields: &Fields,
    period: Option<&Period>,
) -> Vec<ProcedureResult> {
    procedures
        .iter()
        .filter_map(|p| {
            let year = p.year.or_else(|| period.map(|p| p.target_year() as u32))?;
            let typed = fields.get(p.field.id.as_str()).map(String::as_str);
            let fail_percent = match crate::report::read_field(p.field, typed).ok()?? {
                CellValue::Measured { reading } => reading.value()?,
                _ => return None,
            };
            Some(ProcedureResult { procedure: p.procedure.clone(), title: p.title.clone(), year, fail_percent })
        })
        .collect()
}

/// Why a school is flagged: which rule, with the values that triggered it, in Russian.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub rule: String,
    pub explanation: String,
    /// A finding about social conditions (ШФНСУ) rather than results (ШНОР).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unfavourable: bool,
}

fn percent(v: f64) -> String {
    // Appended rather than formatted again: thousands of these go into the identification's
    // sentences.
    let mut text = crate::report::format_number((v * 10.0).round() / 10.0);
    text.push_str(" %");
    text
}

/// The federal rule: at least `fail_percent` below the minimum in two or more procedures of one
/// year, or in the same procedure two years running.
pub fn assessment_flags(results: &[ProcedureResult], rules: &IdentificationRules) -> Vec<Flag> {
    let failed: Vec<&ProcedureResult> =
        results.iter().filter(|r| r.fail_percent >= rules.fail_percent - 1e-9).collect();
    let mut flags = Vec::new();
    if failed.is_empty() {
        return flags;
    }
    // The same in every flag's rule: written once (2,000 schools' flags spent a quarter of their
    // time writing it again).
    let threshold = percent(rules.fail_percent);
    let mut years: Vec<u32> = failed.iter().map(|r| r.year).collect();
    years.sort_unstable();
    years.dedup();
    for year in years {
        let in_year: Vec<&&ProcedureResult> = failed.iter().filter(|r| r.year == year).collect();
        if in_year.len() as u32 >= rules.failed_procedures_in_a_year.max(1) {
            let list: Vec<String> = in_year
                .iter()
                .map(|r| {
                    let percent = percent(r.fail_percent);
                    let mut item = String::with_capacity(r.title.len() + " — ".len() + percent.len());
                    item.push_str(&r.title);
                    item.push_str(" — ");
                    item.push_str(&percent);
                    item
                })
                .collect();
            flags.push(Flag {
                rule: format!(
                    "Не менее {threshold} участников ниже минимума в {} и более процедурах за год",
                    rules.failed_procedures_in_a_year
                ),
                explanation: format!("{year} год: {}", list.join("; ")),
                unfavourable: false,
            });
        }
    }
    let mut procedures: Vec<&str> = failed.iter().map(|r| r.procedure.as_str()).collect();
    procedures.sort_unstable();
    procedures.dedup();
    for procedure in procedures {
        let mut runs: Vec<&&ProcedureResult> = failed.iter().filter(|r| r.procedure == procedure).collect();
        runs.sort_by_key(|r| r.year);
        if let Some(pair) = runs.windows(2).find(|w| w[1].year == w[0].year + 1) {
            flags.push(Flag {
                rule: format!("Не менее {threshold} участников ниже минимума в одной процедуре два года подряд"),
                explanation: format!(
                    "{}: {} год — {}, {} год — {}",
                    pair[0].title,
                    pair[0].year,
                    percent(pair[0].fail_percent),
                    pair[1].year,
                    percent(pair[1].fail_percent)
                ),
                unfavourable: false,
            });
        }
    }
    flags
}

/// Seed 001's checklist: flagged when at least `checklist_yes` criteria are answered «да».
pub fn checklist_flag(form: &ReportForm, fields: &Fields, rules: &IdentificationRules) -> Option<Flag> {
    let read = read(form, fields);
    let yes: Vec<&str> = form
        .fields()
        .filter(|f| matches!(read.get(&f.id), Some(CellValue::YesNo { yes: true })))
        .map(|f| f.label.as_str())
        .collect();
    (yes.len() as u32 >= rules.checklist_yes.max(1)).then(|| Flag {
        rule: format!("Не менее {} критериев из перечня (приложение 3)", rules.checklist_yes),
        explanation: format!("Отмечено {} из {}: {}", yes.len(), form.fields().count(), yes.join("; ")),
        unfavourable: false,
    })
}

/// Schools by group, as seed 004 counts them: «75 = 38 + 30 + 7».
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCounts {
    pub total: u32,
    /// ШНОР only.
    pub low_results: u32,
    /// ШФНСУ only.
    pub unfavourable: u32,
    pub both: u32,
}

impl GroupCounts {
    pub fn count(flags: impl IntoIterator<Item = (bool, bool)>) -> GroupCounts {
        let mut c = GroupCounts::default();
        for (low, unfavourable) in flags {
            match (low, unfavourable) {
                (true, true) => c.both += 1,
                (true, false) => c.low_results += 1,
                (false, true) => c.unfavourable += 1,
                (false, false) => continue,
            }
            c.total += 1;
        }
        c
    }

    /// «75 = 38 + 30 + 7 (ШНОР + ШФНСУ + обе группы)».
    pub fn formula_ru(&self) -> String {
        format!(
            "{} = {} + {} + {} (ШНОР + ШФНСУ + обе группы)",
            self.total, self.low_results, self.unfavourable, self.both
        )
    }
}

/// A roadmap report's period, «2019-Q2», as a quarter.
pub fn quarter_of(period: &str) -> Option<Quarter> {
    let (year, q) = period.split_once("-Q")?;
    let quarter: u8 = q.parse().ok()?;
    (1..=4).contains(&quarter).then_some(Quarter { year: year.parse().ok()?, quarter })
}

/// How a school's plan stands in its roadmap report's quarter: each row's latest mark read as the
/// seeds write it («Выполнено. Приказ …»), an unfinished row past its deadline overdue.
pub fn roadmap_summary(form: &ReportForm, fields: &Fields, period: &str) -> Option<RoadmapSummary> {
    let quarter = quarter_of(period)?;
    let section = form.sections.iter().find(|s| s.rows)?;
    let cell = |field: &str, row: u32| fields.get(&crate::report::row_key(field, row)).cloned().unwrap_or_default();
    let rows = section.rows_in(fields);
    let items: Vec<PlanItem> = rows
        .iter()
        .map(|&r| PlanItem {
            id: r.to_string(),
            measure: cell("measure", r),
            deadline: cell("deadline", r),
            responsible: cell("responsible", r),
            expected_result: cell("expected", r),
        })
        .collect();
    let progress: Vec<Progress> = rows
        .iter()
        .map(|&r| {
            let (status, evidence) = read_status(&cell("progress", r));
            Progress { item: r.to_string(), period: quarter, status, evidence }
        })
        .collect();
    Some(roadmap::summarise(&items, &progress, quarter))
}

/// Every measured or yes/no field of the cluster-monitoring form as an indicator of its own,
/// labelled with its section («Педагогические работники: Текучесть педагогических кадров»).
pub fn cluster_indicator_defs(form: &ReportForm) -> Vec<IndicatorDef> {
    form.sections
        .iter()
        .flat_map(|section| {
            section
                .fields
                .iter()
                .filter(|f| matches!(f.kind, ReportFieldKind::Value { .. } | ReportFieldKind::YesNo))
                .map(move |f| IndicatorDef {
                    id: f.id.to_string(),
                    label: format!("{}: {}", section.title, f.label),
                    part: vec![f.id.to_string()],
                    whole: Vec::new(),
                    rare: false,
                    also: None,
                })
        })
        .collect()
}

/// How many groups the department's view clusters schools into.
pub const CLUSTERS: usize = 3;

/// A group of schools alike in their monitoring indicators, and what sets it apart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub schools: Vec<SchoolRef>,
    /// The indicators on which the group differs most from all schools, in Russian:
    /// «выше среднего: Доля … (0,47 против 0,31)».
    pub distinguished_by: Vec<String>,
}

/// Groups schools by their monitoring indicators (seeds 003 and 004 cluster schools this way):
/// k-means on standardised values, started from the most distant schools so the result does
/// not depend on chance, each group explained by its largest differences from the mean. Schools
/// missing an indicator count as average on it. Fewer schools than groups: one group each.
pub fn cluster_schools(defs: &[IndicatorDef], schools: &[(SchoolRef, &ReadReport)], groups: usize) -> Vec<Cluster> {
    let n = schools.len();
    if n == 0 || defs.is_empty() {
        return Vec::new();
    }
    let raw: Vec<Vec<Option<f64>>> =
        schools.iter().map(|(_, r)| defs.iter().map(|d| indicator_value(d, r)).collect()).collect();
    let schools: Vec<&SchoolRef> = schools.iter().map(|(s, _)| s).collect();
    cluster_by_values(&defs.iter().collect::<Vec<_>>(), &schools, &raw, groups)
}

/// [`cluster_schools`] from each school's values of `defs` (`raw[school][def]`).
fn cluster_by_values(
    defs: &[&IndicatorDef],
    schools: &[&SchoolRef],
    raw: &[Vec<Option<f64>>],
    groups: usize,
) -> Vec<Cluster> {
    let n = schools.len();
    if n == 0 || defs.is_empty() {
        return Vec::new();
    }
    let k = groups.clamp(1, n);
    // Mean and spread of each indicator over the schools that have it.
    let stats: Vec<(f64, f64)> = (0..defs.len())
        .map(|j| {
            let vs: Vec<f64> = raw.iter().filter_map(|row| row[j]).collect();
            if vs.is_empty() {
                return (0.0, 1.0);
            }
            let mean = vs.iter().sum::<f64>() / vs.len() as f64;
            let var = vs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vs.len() as f64;
            (mean, if var > 1e-18 { var.sqrt() } else { 1.0 })
        })
        .collect();
    let points: Vec<Vec<f64>> = raw
        .iter()
        .map(|row| row.iter().zip(&stats).map(|(v, (m, sd))| v.map_or(0.0, |v| (v - m) / sd)).collect())
        .collect();
    let dist = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
    // Farthest-point start: the school farthest from the mean, then each next farthest from those chosen.
    let origin = vec![0.0; defs.len()];
    let mut centres: Vec<Vec<f64>> = Vec::with_capacity(k);
    let first = (0..n).max_by(|&a, &b| dist(&points[a], &origin).total_cmp(&dist(&points[b], &origin))).unwrap_or(0);
    centres.push(points[first].clone());
    while centres.len() < k {
        let next = (0..n)
            .max_by(|&a, &b| {
                let da = centres.iter().map(|c| dist(&points[a], c)).fold(f64::INFINITY, f64::min);
                let db = centres.iter().map(|c| dist(&points[b], c)).fold(f64::INFINITY, f64::min);
                da.total_cmp(&db)
            })
            .unwrap_or(0);
        centres.push(points[next].clone());
    }
    let mut assignment = vec![0usize; n];
    for _ in 0..50 {
        let mut changed = false;
        for (i, p) in points.iter().enumerate() {
            let best = (0..k).min_by(|&a, &b| dist(p, &centres[a]).total_cmp(&dist(p, &centres[b]))).unwrap_or(0);
            if assignment[i] != best {
                assignment[i] = best;
                changed = true;
            }
        }
        for (c, centre) in centres.iter_mut().enumerate() {
            let members: Vec<&Vec<f64>> =
                points.iter().zip(&assignment).filter(|(_, a)| **a == c).map(|(p, _)| p).collect();
            if !members.is_empty() {
                for (j, value) in centre.iter_mut().enumerate() {
                    *value = members.iter().map(|m| m[j]).sum::<f64>() / members.len() as f64;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut clusters: Vec<Cluster> = (0..k)
        .filter_map(|c| {
            let members: Vec<usize> = (0..n).filter(|i| assignment[*i] == c).collect();
            if members.is_empty() {
                return None;
            }
            let mut differences: Vec<(f64, String)> = defs
                .iter()
                .enumerate()
                .filter_map(|(j, d)| {
                    let vs: Vec<f64> = members.iter().filter_map(|i| raw[*i][j]).collect();
                    if vs.is_empty() {
                        return None;
                    }
                    let mean = vs.iter().sum::<f64>() / vs.len() as f64;
                    let z = (mean - stats[j].0) / stats[j].1;
                    let side = if z > 0.0 { "выше среднего" } else { "ниже среднего" };
                    let show = |v: f64| indicator_figure_ru(!d.whole.is_empty(), v);
                    (z.abs() >= 0.5)
                        .then(|| (z.abs(), format!("{side}: {} ({} против {})", d.label, show(mean), show(stats[j].0))))
                })
                .collect();
            differences.sort_by(|a, b| b.0.total_cmp(&a.0));
            Some(Cluster {
                schools: members.iter().map(|i| schools[*i].clone()).collect(),
                distinguished_by: differences.into_iter().take(3).map(|(_, text)| text).collect(),
            })
        })
        .collect();
    clusters.sort_by_key(|c| std::cmp::Reverse(c.schools.len()));
    clusters
}

/// A school's figures for the keys some indicators read, each as it would stand in [`read`]'s
/// result: `None` where `read` gives the key no entry, `Some(None)` where its entry is no number
/// (a target, a text). Reading only these keys, once per school, costs a fraction of reading
/// whole reports into maps and looking each indicator's keys up there twice (table, clusters).
type KeyNumbers = Vec<Option<Option<f64>>>;

/// The fields of `form` that [`read`] would write each of `keys` from, in the order it writes
/// them (so the last one read wins, as in its map): a field of that id outside a table section,
/// or, for a key `id#row` with the row written as `row_key` writes it, a field of a table section.
pub(crate) fn fields_of_keys<'f>(form: &'f ReportForm, keys: &[&str]) -> Vec<Vec<&'f crate::report::ReportField>> {
    keys.iter()
        .map(|key| {
            let in_row = key
                .rsplit_once('#')
                .filter(|(_, row)| row.parse::<u32>().is_ok_and(|r| r.to_string() == *row))
                .map(|(id, _)| id);
            form.sections
                .iter()
                .flat_map(|section| {
                    let id = if section.rows { in_row } else { Some(*key) };
                    section.fields.iter().filter(move |f| Some(f.id.as_str()) == id)
                })
                .collect()
        })
        .collect()
}

/// One report's [`KeyNumbers`].
fn read_keys(fields_of_keys: &[Vec<&crate::report::ReportField>], keys: &[&str], fields: &Fields) -> KeyNumbers {
    fields_of_keys
        .iter()
        .zip(keys)
        .map(|(candidates, key)| {
            Some(match read_key(candidates, key, fields)? {
                CellValue::Measured { reading } => reading.value(),
                CellValue::YesNo { yes } => Some(if yes { 1.0 } else { 0.0 }),
                _ => None,
            })
        })
        .collect()
}

/// An indicator's `part` and `whole` as positions in the keys read.
struct IndicatorKeys {
    part: Vec<usize>,
    whole: Vec<usize>,
}

/// [`indicator_value`] from a school's [`KeyNumbers`].
fn indicator_value_of(def: &IndicatorKeys, numbers: &KeyNumbers) -> Option<f64> {
    let sum = |at: &[usize]| at.iter().map(|i| numbers[*i].flatten()).sum::<Option<f64>>();
    let part = sum(&def.part)?;
    if def.whole.is_empty() {
        return Some(part);
    }
    let whole = sum(&def.whole)?;
    (whole > 0.0).then(|| part / whole)
}

/// Whether a school's report says «–» for one of an indicator's figures: its key is there and reads
/// as no number (the figures an indicator reads are numbers or yes/no, so only «–» reads so).
fn indicator_not_applicable(def: &IndicatorKeys, numbers: &KeyNumbers) -> bool {
    def.part.iter().chain(&def.whole).any(|i| numbers[*i] == Some(None))
}

/// Seed 004's table over `indicators` (the monitoring reports), seed 003's cluster table (every
/// figure of the cluster-monitoring reports) and the clusters over both, for the monitoring
/// period shown and the schools shown: what [`indicator_stats`] and [`cluster_schools`] give for
/// the reports [`read`] reads (a school's cluster figures over its monitoring figures of the same
/// key), each report read once and only for the keys an indicator reads.
fn monitoring_views(
    indicators: &[IndicatorDef],
    monitoring: Option<FormReports<'_>>,
    cluster_monitoring: Option<FormReports<'_>>,
    period: Option<&String>,
    schools: &[(SchoolRef, SchoolFlags)],
    in_view: &HashSet<SchoolId>,
) -> (Vec<IndicatorStats>, Vec<IndicatorStats>, Vec<Cluster>) {
    let cluster_defs = cluster_monitoring.map(|c| cluster_indicator_defs(c.form)).unwrap_or_default();
    let defs: Vec<&IndicatorDef> = indicators.iter().chain(&cluster_defs).collect();
    let mut keys: Vec<&str> = defs.iter().flat_map(|d| d.part.iter().chain(&d.whole)).map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    let at =
        |ids: &[String]| -> Vec<usize> { ids.iter().filter_map(|id| keys.binary_search(&id.as_str()).ok()).collect() };
    let def_keys: Vec<IndicatorKeys> =
        defs.iter().map(|d| IndicatorKeys { part: at(&d.part), whole: at(&d.whole) }).collect();
    // The period's reports of the schools shown, by school (a later report of a school replaces
    // an earlier one, as in a map).
    let of_period = |reports: Option<FormReports<'_>>| -> HashMap<SchoolId, KeyNumbers> {
        match (reports, period) {
            (Some(m), Some(period)) => {
                let fields = fields_of_keys(m.form, &keys);
                m.reports
                    .iter()
                    .filter(|r| &r.period == period && in_view.contains(&r.school))
                    .map(|r| (r.school, read_keys(&fields, &keys, &r.fields)))
                    .collect()
            }
            _ => HashMap::new(),
        }
    };
    let (mut monitoring_read, mut cluster_read) = (of_period(monitoring), of_period(cluster_monitoring));
    let stats_of = |range: std::ops::Range<usize>, reads: &HashMap<SchoolId, KeyNumbers>| -> Vec<IndicatorStats> {
        if reads.is_empty() {
            return Vec::new();
        }
        range
            .map(|j| {
                let (mut values, mut not_applicable) = (Vec::new(), 0);
                for r in reads.values() {
                    match indicator_value_of(&def_keys[j], r) {
                        Some(v) => values.push(v),
                        // A key read as no number («–» in a figure's cell): not applicable there.
                        None => not_applicable += u32::from(indicator_not_applicable(&def_keys[j], r)),
                    }
                }
                stats_of_values(defs[j], values, not_applicable)
            })
            .collect()
    };
    let indicator_stats = stats_of(0..indicators.len(), &monitoring_read);
    let cluster_stats = stats_of(indicators.len()..defs.len(), &cluster_read);
    let mut merged: Vec<(&SchoolRef, KeyNumbers)> = schools
        .iter()
        .filter_map(|(s, _)| {
            // Taken, not read: a school listed twice is clustered once.
            let (m, c) = (monitoring_read.remove(&s.id), cluster_read.remove(&s.id));
            if m.is_none() && c.is_none() {
                return None;
            }
            let numbers = (0..keys.len())
                .map(|i| c.as_ref().and_then(|c| c[i]).or_else(|| m.as_ref().and_then(|m| m[i])))
                .collect();
            Some((s, numbers))
        })
        .collect();
    merged.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let raw: Vec<Vec<Option<f64>>> =
        merged.iter().map(|(_, n)| def_keys.iter().map(|d| indicator_value_of(d, n)).collect()).collect();
    let shown: Vec<&SchoolRef> = merged.iter().map(|(s, _)| *s).collect();
    let clusters = cluster_by_values(&defs, &shown, &raw, CLUSTERS);
    (indicator_stats, cluster_stats, clusters)
}

/// A programme target on results (seed 002, Раздел IV): the share of ШНОР schools with positive
/// dynamics in one procedure («ОГЭ, математика»), by year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DynamicsTarget {
    /// The procedure's field prefix in the assessment form: `oge.math`.
    pub procedure: String,
    pub title: String,
    pub targets: Vec<YearTarget>,
}

/// Against one such target, for one year: among the year's ШНОР schools (the membership of that
/// year) with results for the year and the year before, how many improved (fewer «2», or as many
/// and more high results). A year with no such school says so (`schools == 0`) and never meets
/// a target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DynamicsAgainstTarget {
    pub procedure: String,
    pub title: String,
    /// The calendar year of the results (ОГЭ 2025).
    pub year: u32,
    /// The reports' period holding that year's results, «2024-2025».
    #[serde(default)]
    pub period: String,
    /// ШНОР schools in view that year, with or without results.
    #[serde(default)]
    pub low_schools: u32,
    pub schools: u32,
    pub improved: u32,
    /// The target for `year` (the latest target year not after it), in percent.
    pub target_percent: Option<u32>,
}

impl DynamicsAgainstTarget {
    pub fn share(&self) -> Option<f64> {
        (self.schools > 0).then(|| f64::from(self.improved) / f64::from(self.schools))
    }

    pub fn meets_target(&self) -> Option<bool> {
        let target = self.target_percent?;
        (self.schools > 0).then(|| u64::from(self.improved) * 100 >= u64::from(self.schools) * u64::from(target))
    }

    /// «да», «нет», or why there is no verdict, in Russian: what the table and exports print.
    pub fn verdict_ru(&self) -> String {
        match (self.target_percent, self.meets_target()) {
            (_, Some(true)) => "да".to_owned(),
            (_, Some(false)) => "нет".to_owned(),
            (None, _) => "цель на этот год не установлена".to_owned(),
            (Some(_), None) if self.low_schools == 0 => {
                "нет данных: в этом году нет ШНОР среди показанных школ".to_owned()
            }
            (Some(_), None) => "нет данных: нет результатов ШНОР за этот и предыдущий год".to_owned(),
        }
    }
}

/// Each procedure's share of ШНОР schools with positive dynamics, for every year from the first
/// target year to the last (and any other year with results), each year with that year's
/// membership. `reports` are the assessment reports as the current version (`history::upgrade_all`).
pub fn dynamics_against_targets(
    form: &ReportForm,
    reports: &[SchoolReport],
    low_schools_of_year: &dyn Fn(u16) -> HashSet<SchoolId>,
    targets: &[DynamicsTarget],
    today: Option<Date>,
) -> Vec<DynamicsAgainstTarget> {
    let kind = form.period_kind.unwrap_or(crate::period::PeriodKind::AcademicYear);
    let period_of = |year: i32| crate::history::period_of_year_column(u16::try_from(year).ok()?, kind);
    // Only the two fields a target needs are read, from the reports of the year and the year
    // before of each year's ШНОР schools: reading whole reports would read every field of every
    // school and year (the benchmark's five years at 2,000 schools).
    // Each school's report of each period, as its index in `reports` (the last one wins).
    let by_key: HashMap<(SchoolId, Period), usize> =
        reports.iter().enumerate().filter_map(|(i, r)| Some(((r.school, Period::parse(&r.period).ok()?), i))).collect();
    // Each target's two fields ([fail, high]), and every report's values of all of them, read
    // the first time a target needs the report: one pass over the report's fields beside the
    // wanted ids (both in id order) instead of a lookup per field and target.
    let target_fields: Vec<[Option<&crate::report::ReportField>; 2]> = targets
        .iter()
        .map(|t| ["fail", "high"].map(|end| form.field(&ItemId::from(format!("{}.{end}", t.procedure).as_str()))))
        .collect();
    let slots = 2 * targets.len();
    let mut wanted: Vec<(&str, usize)> = target_fields
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(slot, field)| Some((field.as_ref()?.id.as_str(), slot)))
        .collect();
    wanted.sort_unstable();
    let read_slots = |report: &SchoolReport, values: &mut [Option<f64>]| {
        let mut next = 0;
        for (id, typed) in &report.fields {
            while wanted.get(next).is_some_and(|(w, _)| *w < id.as_str()) {
                next += 1;
            }
            for &(_, slot) in wanted[next..].iter().take_while(|(w, _)| *w == id.as_str()) {
                let Some(field) = target_fields[slot / 2][slot % 2] else { continue };
                values[slot] = match crate::report::read_field(field, Some(typed)) {
                    Ok(Some(CellValue::Measured { reading })) => reading.value(),
                    _ => None,
                };
            }
        }
    };
    let mut slot_values: Vec<Option<f64>> = vec![None; reports.len() * slots];
    let mut slots_read: Vec<bool> = vec![false; reports.len()];
    // The periods parsed above (a school's period twice is the same year twice).
    let mut data_years: Vec<i32> = by_key
        .keys()
        .map(|(_, p)| *p)
        .filter(|p| today.is_none_or(|today| p.has_begun(today)))
        .map(|p| p.target_year())
        .collect();
    data_years.sort_unstable();
    data_years.dedup();
    let mut out = Vec::new();
    let mut low_by_year: HashMap<u16, HashSet<SchoolId>> = HashMap::new();
    for (target, t) in targets.iter().enumerate() {
        let mut years: Vec<i32> = data_years.clone();
        if let (Some(first), Some(last)) =
            (t.targets.iter().map(|y| y.year).min(), t.targets.iter().map(|y| y.year).max())
        {
            years.extend(first..=last);
        }
        years.sort_unstable();
        years.dedup();
        // A year's values are read again as the next year's values before: each report read once.
        let mut value = |report: usize, high: bool| -> Option<f64> {
            let values = &mut slot_values[report * slots..(report + 1) * slots];
            if !slots_read[report] {
                slots_read[report] = true;
                read_slots(&reports[report], values);
            }
            values[2 * target + usize::from(high)]
        };
        for year in years {
            let (Some(period), Some(before)) = (period_of(year), period_of(year - 1)) else { continue };
            let (now_key, before_key) = (period, before);
            let low = low_by_year
                .entry(period.academic_year())
                .or_insert_with(|| low_schools_of_year(period.academic_year()));
            let (mut schools, mut improved) = (0, 0);
            for school in low.iter() {
                let (Some(&then_report), Some(&now_report)) =
                    (by_key.get(&(*school, before_key)), by_key.get(&(*school, now_key)))
                else {
                    continue;
                };
                let (Some(then), Some(now)) = (value(then_report, false), value(now_report, false)) else {
                    continue;
                };
                schools += 1;
                let more_high = matches!(
                    (value(then_report, true), value(now_report, true)),
                    (Some(a), Some(b)) if b > a + 1e-9
                );
                if now < then - 1e-9 || ((now - then).abs() < 1e-9 && more_high) {
                    improved += 1;
                }
            }
            out.push(DynamicsAgainstTarget {
                procedure: t.procedure.clone(),
                title: t.title.clone(),
                year: year as u32,
                period: now_key.to_string(),
                low_schools: low.len() as u32,
                schools,
                improved,
                target_percent: target_for(&t.targets, year).map(|c| c.percent),
            });
        }
    }
    out
}

/// A programme's target share for one year (seed 002, Раздел IV): teachers who completed the
/// self-diagnosis (2020 — 10 %, … 2025 — 100 %), ШНОР schools with positive dynamics (2021 — 20 %, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearTarget {
    pub year: i32,
    pub percent: u32,
}

/// The self-diagnosis coverage as the programme defines it (seed 002; `coverage.rs` says how it
/// is counted): the teachers of the six subjects in the programme schools (`teachers`) and those
/// of them who have passed it by the end of `year` (`completed`), against the year's target (the
/// latest target year not after it); all staff of those schools as the second figure
/// (`all_teachers`, `all_completed`); teachers with no subject stated (`unstated`) in neither
/// six-subject figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub teachers: u32,
    pub completed: u32,
    #[serde(default)]
    pub all_teachers: u32,
    #[serde(default)]
    pub all_completed: u32,
    pub year: i32,
    pub target: Option<YearTarget>,
    /// Teachers of those schools whose subject nobody stated (neither the account nor a
    /// questionnaire she answered).
    #[serde(default)]
    pub unstated: u32,
    /// Teachers counted by the subject of the questionnaire they answered where their account
    /// says another subject or none (`coverage.rs` says which counts, and why).
    #[serde(default)]
    pub subject_differs: u32,
    /// The academic year whose programme membership chose the schools, «2025-2026».
    #[serde(default)]
    pub membership_year: Option<String>,
    /// Nothing had been received in the view's schools by the year's end: unknown, not zero.
    #[serde(default)]
    pub no_data: bool,
}

impl Completion {
    pub fn share(&self) -> Option<f64> {
        (self.teachers > 0 && !self.no_data).then(|| f64::from(self.completed) / f64::from(self.teachers))
    }

    pub fn meets_target(&self) -> Option<bool> {
        let target = self.target?;
        // A group with no teachers has met nothing: «да» there would be a false comfort.
        (self.teachers > 0 && !self.no_data)
            .then(|| u64::from(self.completed) * 100 >= u64::from(self.teachers) * u64::from(target.percent))
    }

    /// «да», «нет» or «нет данных», as the target table prints it.
    pub fn verdict_ru(&self) -> &'static str {
        match self.meets_target() {
            Some(true) => "да",
            Some(false) => "нет",
            None => "нет данных",
        }
    }

    /// «предмет не указан у 3 учителей», when some are.
    pub fn unstated_ru(&self) -> Option<String> {
        let n = self.unstated;
        let word = if n % 10 == 1 && n % 100 != 11 { "учителя" } else { "учителей" };
        (n > 0).then(|| format!("предмет не указан у {n} {word}"))
    }

    /// «у 1 учителя предмет в анкете не совпадает с учётной записью: учтён предмет анкеты», when
    /// the two sources disagree for someone counted. A count over the whole view, never a name
    /// or a school: the subject she chose says who she is, not how she answered.
    pub fn subject_differs_ru(&self) -> Option<String> {
        let n = self.subject_differs;
        let word = if n % 10 == 1 && n % 100 != 11 { "учителя" } else { "учителей" };
        (n > 0).then(|| format!("у {n} {word} предмет в анкете не совпадает с учётной записью: учтён предмет анкеты"))
    }
}

pub fn target_for(targets: &[YearTarget], year: i32) -> Option<YearTarget> {
    targets.iter().filter(|t| t.year <= year).max_by_key(|t| t.year).copied()
}

/// One school's sent report of a form, for one period.
#[derive(Clone, Debug, PartialEq)]
pub struct SchoolReport {
    pub school: SchoolId,
    pub period: String,
    pub fields: Fields,
}

/// A report form with every school's sent reports of it.
#[derive(Clone, Copy, Debug)]
pub struct FormReports<'a> {
    pub form: &'a ReportForm,
    pub reports: &'a [SchoolReport],
}

/// Everything the department's views are computed from. The server reads it from storage; the
/// benchmark generates it.
pub struct Inputs<'a> {
    pub scope: AnalyticsScope,
    pub group: SchoolGroup,
    pub min_group: u32,
    pub schools: &'a [(SchoolRef, SchoolFlags)],
    pub indicators: &'a [IndicatorDef],
    pub monitoring: Option<FormReports<'a>>,
    /// Seed 003's cluster monitoring (the organisation, its teachers, its students): its figures
    /// for the monitoring period shown join seed 004's indicators in the clusters, and get their
    /// own table.
    pub cluster_monitoring: Option<FormReports<'a>>,
    /// Which monitoring period to show; the latest when `None`.
    pub monitoring_period: Option<&'a str>,
    /// The two periods the dynamics compare («2024-2025» against «2025-2026»); the latest with
    /// cards and the one before when `None`. The later one's year decides programme membership.
    pub compare_from: Option<&'a str>,
    pub compare_to: Option<&'a str>,
    /// The department's decisions on programme membership by year; `schools` carry today's flags,
    /// read for years nobody decided (`membership::flags_in_year`).
    pub membership: &'a [crate::membership::MembershipDecision],
    /// Indicator cards and assessment results as their current form versions
    /// (`history::upgrade_all`): one report per school and period.
    pub card: Option<FormReports<'a>>,
    pub assessment: Option<FormReports<'a>>,
    pub checklist: Option<FormReports<'a>>,
    pub roadmap: Option<FormReports<'a>>,
    pub rules: &'a IdentificationRules,
    pub self_diagnosis: &'a FormDefinition,
    pub teacher_counts: &'a [(SchoolId, u32)],
    /// Teachers with their subjects and when each self-diagnosis was received, for the
    /// programme's coverage (`coverage.rs`).
    pub coverage: &'a crate::coverage::CoverageFacts,
    /// Every self-diagnosis submitted in the region, whatever its accounts' state today: the
    /// teachers' figures are released from these (`aggregate::release`), never read directly.
    pub submissions: &'a [Received<'a>],
    pub completion_targets: &'a [YearTarget],
    pub dynamics_targets: &'a [DynamicsTarget],
    /// The department's reporting campaigns with each school's report state.
    pub campaigns: &'a [(Campaign, HashMap<SchoolId, ReportState>)],
    /// `YYYY-MM-DD`, what deadlines are judged against.
    pub today: &'a str,
    /// The calendar year the completion target is judged for.
    pub year: i32,
    pub now_ms: i64,
}

/// A report's period, if it is a period at all and has begun by `today`: what a school typed
/// (a report stored before periods were checked, «9999») never decides which period is latest.
fn begun_period(period: &str, today: Option<Date>) -> Option<Period> {
    let period = Period::parse(period).ok()?;
    today.is_none_or(|today| period.has_begun(today)).then_some(period)
}

/// Each school's report of academic year `year` (2025 for «2025-2026»): the report whose period
/// lies in that year (an academic year's own report, or the latest quarter of it that has begun by
/// `today`). A school with none has none: never an older year's report in its place.
fn in_academic_year(
    reports: &[SchoolReport],
    year: u16,
    today: Option<Date>,
) -> HashMap<SchoolId, (Period, &SchoolReport)> {
    let mut latest: HashMap<SchoolId, (Period, &SchoolReport)> = HashMap::new();
    for r in reports {
        let Some(period) = begun_period(&r.period, today).filter(|p| p.academic_year() == year) else { continue };
        let e = latest.entry(r.school).or_insert((period, r));
        if (period.starts_on(), period) > (e.0.starts_on(), e.0) {
            *e = (period, r);
        }
    }
    latest
}

/// Computes every view for the schools of `inputs.group`, as members of the programme in the
/// academic year of the later compared period.
pub fn build(inputs: &Inputs<'_>) -> DepartmentAnalytics {
    let today = date_of_iso(inputs.today);
    let everyone: HashSet<SchoolId> = inputs.schools.iter().map(|(s, _)| s.id).collect();

    // The periods with cards or assessment results, and the two compared.
    let mut periods: Vec<Period> = [inputs.card, inputs.assessment]
        .iter()
        .flatten()
        .flat_map(|f| crate::history::periods_with_data(f.reports, &everyone, today))
        .collect();
    periods.sort_unstable_by_key(|p| std::cmp::Reverse((p.starts_on(), *p)));
    periods.dedup();
    let card_periods: Vec<Period> =
        inputs.card.map(|c| crate::history::periods_with_data(c.reports, &everyone, today)).unwrap_or_default();
    let flags_of_year = |year: u16| crate::membership::flags_in_year(inputs.membership, year, inputs.schools);
    let (with_data, year_reports) =
        if card_periods.is_empty() { (&periods, inputs.assessment) } else { (&card_periods, inputs.card) };
    // Unless a year was picked, the view opens on the latest year enough of its schools (by that
    // year's membership) have sent reports for: one school's early card does not empty the page.
    let mut newer_year = None;
    let opened = match (inputs.compare_to, year_reports) {
        (None, Some(reports)) => {
            let years: Vec<crate::history::YearReports> = with_data
                .iter()
                .map(|p| {
                    let flags = flags_of_year(p.academic_year());
                    let sent_by = crate::history::reports_for(reports.reports, p);
                    let (mut sent, mut shown) = (0, 0);
                    for (s, _) in inputs.schools {
                        if inputs.group.includes(&flags.get(&s.id).copied().unwrap_or_default()) {
                            shown += 1;
                            sent += u32::from(sent_by.contains_key(&s.id));
                        }
                    }
                    crate::history::YearReports { period: p.to_string(), sent, schools: shown }
                })
                .collect();
            crate::history::readable_year(&years).map(|(p, over)| {
                newer_year = over.cloned();
                p.to_owned()
            })
        }
        _ => None,
    };
    let (compare_from, compare_to) =
        crate::history::chosen_pair(with_data, inputs.compare_from, inputs.compare_to.or(opened.as_deref()));
    // Membership of the year shown: the later compared period's, or this academic year's.
    let membership_year = compare_to
        .map(|p| p.academic_year())
        .or_else(|| today.map(|(y, m, _)| if m >= 9 { y as u16 } else { (y - 1) as u16 }));
    let shown_flags = membership_year.map(flags_of_year).unwrap_or_default();
    let flags_of = |id: &SchoolId| shown_flags.get(id).copied().unwrap_or_default();
    let schools: Vec<(SchoolRef, SchoolFlags)> = inputs
        .schools
        .iter()
        .map(|(s, _)| (s.clone(), flags_of(&s.id)))
        .filter(|(_, f)| inputs.group.includes(f))
        .collect();
    let in_view: HashSet<SchoolId> = schools.iter().map(|(s, _)| s.id).collect();
    let groups = GroupCounts::count(schools.iter().map(|(_, f)| (f.low_results, f.unfavourable_conditions)));

    // Seed 004's table, for one monitoring period: the latest begun one unless another is asked
    // for.
    let mut begun: Vec<Period> = inputs
        .monitoring
        .map(|m| {
            m.reports
                .iter()
                .filter(|r| in_view.contains(&r.school))
                .filter_map(|r| begun_period(&r.period, today))
                .collect()
        })
        .unwrap_or_default();
    begun.sort_unstable_by_key(|p| std::cmp::Reverse((p.starts_on(), *p)));
    begun.dedup();
    let monitoring_periods: Vec<String> = begun.iter().map(Period::to_string).collect();
    // The period asked for is the one shown, even where the group shown has no report for it (its
    // tables then say so): never another period in its place. The server refuses a period with no
    // monitoring report in the whole scope where it enters.
    let monitoring_period = inputs
        .monitoring_period
        .filter(|p| begun_period(p, today).is_some())
        .map(str::to_owned)
        .or_else(|| monitoring_periods.first().cloned());
    // Seed 004's indicators and seed 003's cluster figures of the schools shown, and the
    // clusters over both.
    let (indicators, cluster_indicators, clusters) = monitoring_views(
        inputs.indicators,
        inputs.monitoring,
        inputs.cluster_monitoring,
        monitoring_period.as_ref(),
        &schools,
        &in_view,
    );

    // Dynamics between the two compared periods: each school's card for exactly the later one
    // («нет отчёта» without it, never an older card), its values against the earlier period's
    // card. Seed 000's «результат прошлого года» is that earlier card when the school sent none
    // for it (`history::upgrade_all`), so two periods' reports are all that is compared.
    let mut dynamics = Vec::new();
    if let (Some(card), Some(to)) = (inputs.card, compare_to) {
        let now = crate::history::reports_for(card.reports, &to);
        let then = compare_from.map(|p| crate::history::reports_for(card.reports, &p)).unwrap_or_default();
        let reader = CardReader::new(card.form);
        for (school, _) in &schools {
            let Some(report) = now.get(&school.id) else {
                dynamics.push(SchoolDynamics { school: school.clone(), rows: Vec::new(), no_report: true });
                continue;
            };
            let mut rows = reader.dynamics(&report.fields);
            let earlier = then.get(&school.id);
            for row in &mut rows {
                // Only the earlier card's current value of the criterion is read.
                let before = earlier.and_then(|e| {
                    let section = card.form.sections.iter().find(|s| s.id == row.criterion)?;
                    let field = section.fields.iter().find(|f| f.id.as_str().ends_with(".current"))?;
                    match crate::report::read_field(field, e.fields.get(field.id.as_str()).map(String::as_str))
                        .ok()??
                    {
                        CellValue::Measured { reading } => Some(reading),
                        _ => None,
                    }
                });
                row.previous = before.as_ref().and_then(Reading::value);
                row.previous_not_applicable = before == Some(Reading::NotApplicable);
                row.improved = match (row.previous, row.current) {
                    (Some(p), Some(c)) => improved(row.lower_is_better, p, c),
                    _ => None,
                };
            }
            dynamics.push(SchoolDynamics { school: school.clone(), rows, no_report: false });
        }
    }
    let dynamics_summary = summarise_dynamics_of(dynamics.iter().map(|d| d.rows.as_slice()));

    // Positive dynamics of ШНОР schools against the programme's targets (seed 002), every year
    // with that year's ШНОР schools among those shown.
    let programme_dynamics = match inputs.assessment {
        Some(a) => {
            let low_of_year = |year: u16| -> HashSet<SchoolId> {
                flags_of_year(year)
                    .into_iter()
                    .filter(|(id, f)| f.low_results && in_view.contains(id) && inputs.group.includes(&flags_of(id)))
                    .map(|(id, _)| id)
                    .collect()
            };
            dynamics_against_targets(a.form, a.reports, &low_of_year, inputs.dynamics_targets, today)
        }
        None => Vec::new(),
    };

    // Identification by the rules on the later compared period and the one before it (the
    // federal rule looks at two years), beside the groups the school is listed in that year.
    let assessment = inputs.assessment.map(|a| {
        let at = |p: Option<Period>| p.map(|p| crate::history::reports_for(a.reports, &p)).unwrap_or_default();
        (procedure_fields(a.form), at(compare_to), at(compare_to.and_then(|p| p.previous())))
    });
    // The checklist of the academic year shown, never an earlier year's.
    let checklist = inputs
        .checklist
        .map(|c| (c.form, membership_year.map(|y| in_academic_year(c.reports, y, today)).unwrap_or_default()));
    // Social conditions from the cluster monitoring of exactly the year shown.
    let social = inputs
        .cluster_monitoring
        .map(|c| (c.form, compare_to.map(|p| crate::history::reports_for(c.reports, &p)).unwrap_or_default()));
    let identification = schools
        .iter()
        .map(|(school, listed)| {
            let mut flags = Vec::new();
            if let Some((procedures, now, before)) = &assessment {
                let mut results = Vec::new();
                for (r, p) in
                    [(before.get(&school.id), compare_to.and_then(|p| p.previous())), (now.get(&school.id), compare_to)]
                {
                    if let Some(r) = r {
                        results.extend(procedure_results_of(procedures, &r.fields, p.as_ref()));
                    }
                }
                flags.extend(assessment_flags(&results, inputs.rules));
            }
            let mut checklist_period = None;
            if let Some((form, of_year)) = &checklist
                && let Some((period, r)) = of_year.get(&school.id)
            {
                checklist_period = Some(period.to_string());
                flags.extend(checklist_flag(form, &r.fields, inputs.rules));
            }
            if let Some((form, reports)) = &social
                && let Some(r) = reports.get(&school.id)
            {
                flags.extend(social_flag(form, &r.fields, inputs.rules));
            }
            SchoolIdentification { school: school.clone(), listed: *listed, flags, checklist_period }
        })
        .collect();

    // Each school's plan in the latest begun quarter of the academic year shown; a school without
    // a roadmap report in that year reads «нет отчёта», never an older year's plan.
    let roadmaps = match (inputs.roadmap, membership_year) {
        (Some(r), Some(year)) => {
            let of_year = in_academic_year(r.reports, year, today);
            let shown_year = Period::AcademicYear(year).to_string();
            schools
                .iter()
                .map(|(school, _)| {
                    let summary = of_year.get(&school.id).and_then(|(period, report)| {
                        Some((period, roadmap_summary(r.form, &report.fields, &report.period)?))
                    });
                    match summary {
                        Some((period, summary)) => SchoolRoadmap {
                            school: school.clone(),
                            period: period.to_string(),
                            summary,
                            no_report: false,
                        },
                        None => SchoolRoadmap {
                            school: school.clone(),
                            period: shown_year.clone(),
                            summary: RoadmapSummary::default(),
                            no_report: true,
                        },
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    };

    // Teachers' deficits by school and by subject, and the development topics they need most:
    // all sums of whole released atoms (ARCHITECTURE.md, «Disclosure control»). A school's row
    // is its own cells; the subject rows and the topics take the cells of the schools shown and
    // each pool whose schools are all shown, so two filters differ by whole atoms or not at all.
    let (area_ids, areas): (Vec<AreaId>, Vec<AreaTitle>) = inputs
        .self_diagnosis
        .sections
        .iter()
        .map(|s| (s.id.clone(), AreaTitle { id: s.id.clone(), title: s.title.clone() }))
        .unzip();
    let k = inputs.min_group;
    let released = release(inputs.submissions, k);
    let counts: HashMap<SchoolId, u32> = inputs.teacher_counts.iter().copied().collect();
    let cells_of = released.cells_by_school();
    // Each atom's figures per area, summed below into schools' rows, subjects' rows and topics.
    let blocks = released.area_blocks(&area_ids, k);
    let deficits = schools
        .iter()
        .map(|(school, _)| {
            let teachers = counts.get(&school.id).copied().unwrap_or(0);
            let completed = released.submitted_at([&school.id]);
            SchoolSelfDiagnosisRow {
                school: school.clone(),
                summary: blocks.summarise(
                    &area_ids,
                    teachers,
                    completed,
                    cells_of.get(&school.id).map_or(&[], Vec::as_slice),
                ),
            }
        })
        .collect();
    let shown = released.within(&in_view);
    // The deficits of mathematics teachers are not those of primary teachers. A subject nobody in
    // the schools shown has answered as reads «нет учителей», not a hidden group.
    let answered_subjects: HashSet<&SubjectCode> = inputs
        .submissions
        .iter()
        .filter(|r| in_view.contains(&r.school))
        .filter_map(|r| r.profile.subject.as_ref())
        .collect();
    let deficits_by_subject = match &inputs.self_diagnosis.variant {
        Some(variant) => variant
            .options
            .iter()
            .map(|option| {
                let atoms: Vec<_> = shown.iter().copied().filter(|a| a.subject() == Some(&option.code)).collect();
                let n = members(&atoms, k);
                SubjectDeficits {
                    subject: option.title.clone(),
                    summary: blocks.summarise(&area_ids, n, n, &atoms),
                    nobody_answered: !answered_subjects.contains(&option.code),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    // Each campaign: how complete it is over the schools shown, and where each school stands.
    let campaigns = inputs
        .campaigns
        .iter()
        .map(|(campaign, states)| {
            let state = |id: &SchoolId| states.get(id).copied().unwrap_or(ReportState::NotStarted);
            CampaignStanding {
                campaign: campaign.clone(),
                completeness: completeness(&campaign.deadline, inputs.today, schools.iter().map(|(s, _)| state(&s.id))),
                schools: schools
                    .iter()
                    .map(|(s, _)| standing(&campaign.deadline, inputs.today, state(&s.id)))
                    .collect(),
            }
        })
        .collect();
    // Coverage is judged per calendar year with that year's membership, the headline (this
    // year) like every other year, whichever academic year the rest of the page shows.
    let (completion, coverage_by_year) = crate::coverage::coverage(
        inputs.coverage,
        inputs.schools,
        inputs.membership,
        inputs.group,
        inputs.year,
        inputs.completion_targets,
    );
    // Which teachers need an area's topics (the area is not a strength for them, as in their own
    // development plan), counted per area and subject first: the topics follow from those two.
    let mut needing: HashMap<(usize, Option<&SubjectCode>), u32> = HashMap::new();
    for atom in &shown {
        for index in 0..area_ids.len() {
            if let Some(AreaBlock { needing: n @ 1.., .. }) = blocks.block(atom, index) {
                *needing.entry((index, atom.subject())).or_default() += n;
            }
        }
    }
    let mut needs: HashMap<(&str, &str), u32> = HashMap::new();
    for ((index, subject), n) in needing {
        let section = &inputs.self_diagnosis.sections[index];
        for topic in section.recommendations_for(subject) {
            *needs.entry((section.title.as_str(), topic.title.as_str())).or_default() += n;
        }
    }
    let mut topics: Vec<TopicNeed> = needs
        .into_iter()
        .map(|((area, topic), n)| TopicNeed {
            area: area.to_owned(),
            topic: topic.to_owned(),
            teachers: (n >= inputs.min_group.max(1)).then_some(n),
        })
        .collect();
    topics.sort_by(|a, b| {
        b.teachers.cmp(&a.teachers).then_with(|| a.area.cmp(&b.area)).then_with(|| a.topic.cmp(&b.topic))
    });

    DepartmentAnalytics {
        scope: inputs.scope.clone(),
        group: inputs.group,
        min_group: inputs.min_group,
        groups,
        campaigns,
        completion,
        coverage_by_year,
        periods: periods.iter().map(Period::to_string).collect(),
        compare_from: compare_from.map(|p| p.to_string()),
        newer_year,
        membership_year: membership_year.map(crate::membership::year_label),
        membership_decided: membership_year.is_some_and(|y| crate::membership::decided(inputs.membership, y)),
        monitoring_periods,
        monitoring_period,
        indicators,
        cluster_indicators,
        clusters,
        card_period: compare_to.map(|p| p.to_string()),
        dynamics,
        dynamics_summary,
        programme_dynamics,
        identification,
        roadmaps,
        areas,
        deficits,
        deficits_by_subject,
        topics,
        generated_at_ms: inputs.now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn monitoring() -> ReportForm {
        serde_json::from_value(serde_json::json!({
            "id": "m", "version": 1, "title": "Мониторинг",
            "sections": [{ "id": "s", "title": "Показатели", "fields": [
                { "id": "students", "label": "Обучающихся", "type": "value", "unit": "count" },
                { "id": "students_4_5", "label": "На «4» и «5»", "type": "value", "unit": "count" },
                { "id": "medals", "label": "Медали", "type": "value", "unit": "count", "optional": true },
                { "id": "psychologist", "label": "Есть психолог", "type": "yes_no" }
            ]}]
        }))
        .unwrap()
    }

    fn defs() -> [IndicatorDef; 3] {
        let def = |id: &str, part: &[&str], whole: &[&str], rare: bool| IndicatorDef {
            id: id.into(),
            label: id.into(),
            part: part.iter().map(|s| (*s).to_owned()).collect(),
            whole: whole.iter().map(|s| (*s).to_owned()).collect(),
            rare,
            also: None,
        };
        [
            def("share_4_5", &["students_4_5"], &["students"], false),
            def("medals", &["medals"], &[], true),
            def("psychologist", &["psychologist"], &[], true),
        ]
    }

    #[test]
    fn seed_004s_table_from_per_school_inputs() {
        let form = monitoring();
        // Four schools; shares 0,74 · 0,07 · 0,25 · (no data: the whole is 0) — hand-computed:
        // mean (0,74 + 0,07 + 0,25) / 3 = 0,3533…, median 0,25, min 0,07, max 0,74.
        let schools = [
            fields(&[("students", "100"), ("students_4_5", "74"), ("medals", "1"), ("psychologist", "да")]),
            fields(&[("students", "100"), ("students_4_5", "7"), ("medals", "0"), ("psychologist", "нет")]),
            fields(&[("students", "40"), ("students_4_5", "10"), ("medals", "2"), ("psychologist", "да")]),
            fields(&[("students", "0"), ("students_4_5", "0"), ("psychologist", "нет")]),
        ];
        let read: Vec<ReadReport> = schools.iter().map(|f| read(&form, f)).collect();
        let refs: Vec<&ReadReport> = read.iter().collect();
        let [share, medals, psychologist] = defs().map(|d| indicator_stats(&d, &refs));
        assert_eq!(share.schools, 3, "a school of 0 pupils has no share");
        assert!((share.mean.unwrap() - 1.06 / 3.0).abs() < 1e-12);
        assert_eq!((share.median, share.min, share.max), (Some(0.25), Some(0.07), Some(0.74)));
        assert_eq!(share.present_in, 3);
        // «есть в 2 школах»: medals where they are above zero; the school that left it empty has no value.
        assert_eq!((medals.schools, medals.present_in, medals.max), (3, 2, Some(2.0)));
        assert_eq!((psychologist.schools, psychologist.present_in), (4, 2), "«Наличие педагога-психолога: 2 школы»");
        assert_eq!(medals.rare_ru().as_deref(), Some("есть в 2 школах"));
        assert_eq!(share.rare_ru(), None);
        // Seed 004: «0,2 в 2 школах» beside a mean (a share, so «20 % в 2 школах» here), and «в 53 школах 0 или 1 мероприятие».
        let [share_def, medals_def, _] = defs();
        let at_minimum = indicator_stats(&IndicatorDef { also: Some(RareCount::AtMinimum), ..share_def }, &refs);
        assert_eq!((at_minimum.also_in, at_minimum.rare_ru().as_deref()), (1, Some("7 % в 1 школе")));
        let events = IndicatorDef { also: Some(RareCount::ZeroOrOne), rare: false, ..medals_def };
        let zero_or_one = indicator_stats(&events, &refs);
        assert_eq!(zero_or_one.rare_ru().as_deref(), Some("в 2 школах 0 или 1"), "medals 1 and 0; 2 is more");
    }

    #[test]
    fn the_keys_an_indicator_reads_read_as_whole_reports_read_them() {
        // A table section, a field id repeated in two sections (the later one wins in `read`),
        // targets and texts (entries that are no number), and row keys written in other ways.
        let form: ReportForm = serde_json::from_value(serde_json::json!({
            "id": "m", "version": 1, "title": "Мониторинг",
            "sections": [
                { "id": "s", "title": "Показатели", "fields": [
                    { "id": "a", "label": "А", "type": "value", "unit": "count" },
                    { "id": "dup", "label": "Дважды", "type": "value", "unit": "count", "optional": true },
                    { "id": "goal", "label": "Цель", "type": "target", "unit": "percent" },
                    { "id": "yes", "label": "Да", "type": "yes_no" }
                ]},
                { "id": "t", "title": "Таблица", "rows": true, "fields": [
                    { "id": "x", "label": "Икс", "type": "value", "unit": "percent" },
                    { "id": "note", "label": "Заметка", "type": "text", "max_chars": 50, "optional": true }
                ]},
                { "id": "u", "title": "Ещё", "fields": [
                    { "id": "dup", "label": "Дважды", "type": "value", "unit": "percent", "optional": true }
                ]}
            ]
        }))
        .unwrap();
        let keys = ["a", "dup", "goal", "yes", "x", "x#1", "x#2", "x#02", "x#3", "note#1", "t", "missing"];
        let reports = [
            fields(&[
                ("a", "5"),
                ("dup", "150"),
                ("goal", "Не менее 5 %"),
                ("yes", "да"),
                ("x#1", "12,5"),
                ("x#02", "7"),
                ("note#1", "ok"),
            ]),
            fields(&[("a", "–"), ("dup", "50"), ("x#2", "101"), ("x#3", " 3 %"), ("yes", "нет")]),
            fields(&[("a", "abc"), ("x", "4"), ("x#1", ""), ("note#1", "текст")]),
        ];
        let plan = fields_of_keys(&form, &keys);
        for report in &reports {
            let whole = read(&form, report);
            let quick = read_keys(&plan, &keys, report);
            for (key, got) in keys.iter().zip(&quick) {
                let expected = whole.contains_key(*key).then(|| number(&whole, key));
                assert_eq!(*got, expected, "{key} in {report:?}");
            }
        }
    }

    /// Fields read (`report::read_field`) while `f` runs.
    fn reads_during<T>(f: impl FnOnce() -> T) -> (usize, T) {
        let before = crate::report::FIELD_READS.with(std::cell::Cell::get);
        let out = f();
        (crate::report::FIELD_READS.with(std::cell::Cell::get) - before, out)
    }

    #[test]
    fn the_views_read_each_field_they_need_once_and_no_other() {
        // Seed 004's table over one share reads its two fields of each school's report, however
        // many other fields the report has: work grows with schools times needed fields, not with
        // whole reports, and not with schools squared.
        let form = monitoring();
        let [share, ..] = defs();
        let monitoring_of = |n: u128| -> (Vec<(SchoolRef, SchoolFlags)>, Vec<SchoolReport>) {
            let schools = (1..=n)
                .map(|i| {
                    let id = SchoolId(uuid::Uuid::from_u128(i));
                    let school = SchoolRef {
                        id,
                        name: format!("Школа {i}"),
                        municipality_id: crate::MunicipalityId(uuid::Uuid::nil()),
                    };
                    (school, SchoolFlags::default())
                })
                .collect::<Vec<_>>();
            let reports = schools
                .iter()
                .map(|(s, _)| SchoolReport {
                    school: s.id,
                    period: "2025".into(),
                    fields: fields(&[
                        ("students", "100"),
                        ("students_4_5", "40"),
                        ("medals", "1"),
                        ("psychologist", "да"),
                    ]),
                })
                .collect();
            (schools, reports)
        };
        let period = "2025".to_owned();
        for n in [10, 40] {
            let (schools, reports) = monitoring_of(n);
            let in_view: HashSet<SchoolId> = schools.iter().map(|(s, _)| s.id).collect();
            let (reads, (stats, _, clusters)) = reads_during(|| {
                monitoring_views(
                    std::slice::from_ref(&share),
                    Some(FormReports { form: &form, reports: &reports }),
                    None,
                    Some(&period),
                    &schools,
                    &in_view,
                )
            });
            assert_eq!(reads, 2 * n as usize, "{n} schools: students and students_4_5 once each");
            assert_eq!((stats[0].schools, stats[0].median), (n as u32, Some(0.4)));
            assert_eq!(clusters.iter().map(|c| c.schools.len()).sum::<usize>(), n as usize);
        }
        // A card: each criterion's current value and its previous one (c3 has none), once; the
        // target is read by its own reader, not as a field.
        let card = card();
        let typed =
            fields(&[("c1.current", "5"), ("c1.previous", "7"), ("c1.target", "Не более 3 %"), ("c3.current", "60")]);
        let (reads, rows) = reads_during(|| card_dynamics(&card, &typed));
        assert_eq!(reads, 3);
        assert_eq!(rows[0].target_met, Some(false));
    }

    fn card() -> ReportForm {
        serde_json::from_value(serde_json::json!({
            "id": "card", "version": 1, "title": "Карта",
            "sections": [
                { "id": "c1", "title": "Без аттестата", "fields": [
                    { "id": "c1.current", "label": "Текущий", "type": "value", "unit": "percent", "lower_is_better": true },
                    { "id": "c1.previous", "label": "Прошлый", "type": "value", "unit": "percent", "lower_is_better": true, "optional": true },
                    { "id": "c1.target", "label": "Ожидаемый", "type": "target", "unit": "percent" }
                ]},
                { "id": "c3", "title": "ЕГЭ, русский", "fields": [
                    { "id": "c3.current", "label": "Текущий", "type": "value", "unit": "points" },
                    { "id": "c3.target", "label": "Ожидаемый", "type": "target", "unit": "points" }
                ]},
                { "id": "c9", "title": "Партнёрство", "fields": [
                    { "id": "c9.current", "label": "Текущий", "type": "text" },
                    { "id": "c9.target", "label": "Ожидаемый", "type": "text" }
                ]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn dynamics_take_the_direction_and_the_target_into_account() {
        // Бураковская СОШ, seed 000: 9 % without a certificate (target 0 %), ЕГЭ 63 (69 a year before), target «Более 70».
        let rows = card_dynamics(
            &card(),
            &fields(&[
                ("c1.current", "9"),
                ("c1.previous", "12"),
                ("c1.target", "0 %"),
                ("c3.current", "63 балла (в 2017-2018г – 69)"),
                ("c3.target", "Более 70"),
            ]),
        );
        assert_eq!(rows.len(), 2, "a criterion without a measured current value is not a dynamic");
        assert_eq!(
            (rows[0].improved, rows[0].target_met),
            (Some(true), Some(false)),
            "fewer without a certificate is better"
        );
        assert_eq!((rows[1].previous, rows[1].improved, rows[1].target_met), (Some(69.0), Some(false), Some(false)));
        let other = card_dynamics(
            &card(),
            &fields(&[("c1.current", "0"), ("c1.target", "0 %"), ("c3.current", "75"), ("c3.target", "Более 70")]),
        );
        let summary = summarise_dynamics(&[rows, other]);
        assert_eq!(
            summary[0],
            DynamicsSummary {
                criterion: "c1".into(),
                title: "Без аттестата".into(),
                schools: 2,
                improved: 1,
                declined: 0,
                target_met: 1
            }
        );
        assert_eq!((summary[1].improved, summary[1].declined, summary[1].target_met), (0, 1, 1));
    }

    fn assessment() -> ReportForm {
        serde_json::from_value(serde_json::json!({
            "id": "a", "version": 1, "title": "Результаты",
            "sections": [
                { "id": "vpr.math", "title": "ВПР, математика", "fields": [
                    { "id": "vpr.math.5.2019.fail", "label": "5 кл. 2019", "type": "value", "unit": "percent" },
                    { "id": "vpr.math.5.2018.fail", "label": "5 кл. 2018", "type": "value", "unit": "percent" },
                    { "id": "vpr.math.5.2019.high", "label": "5 кл. 2019 высокие", "type": "value", "unit": "percent" }
                ]},
                { "id": "oge.math", "title": "ОГЭ, математика", "fields": [
                    { "id": "oge.math.2019.fail", "label": "2019", "type": "value", "unit": "percent" },
                    { "id": "oge.math.2018.fail", "label": "2018", "type": "value", "unit": "percent" }
                ]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn the_federal_rule_flags_with_its_reasons() {
        let rules = IdentificationRules::default();
        // Чойская СОШ, seed 002: ВПР 5 кл. математика 45 % → 57 %; ОГЭ математика 13 % in 2019.
        let results = procedure_results(
            &assessment(),
            &fields(&[
                ("vpr.math.5.2019.fail", "57"),
                ("vpr.math.5.2018.fail", "45"),
                ("vpr.math.5.2019.high", "0"),
                ("oge.math.2019.fail", "13"),
                ("oge.math.2018.fail", "–"),
            ]),
            None,
        );
        assert_eq!(results.len(), 3, "«–» is no result, and «high» is not a fail share");
        let flags = assessment_flags(&results, &rules);
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].explanation, "ВПР, математика, 5 класс: 2018 год — 45 %, 2019 год — 57 %");

        // Two procedures of one year at or above 30 %: flagged for that year, naming both.
        let results = procedure_results(
            &assessment(),
            &fields(&[("vpr.math.5.2019.fail", "30"), ("oge.math.2019.fail", "31,5"), ("oge.math.2018.fail", "29,9")]),
            None,
        );
        let flags = assessment_flags(&results, &rules);
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].explanation, "2019 год: ВПР, математика, 5 класс — 30 %; ОГЭ, математика — 31,5 %");
        assert!(flags[0].rule.contains("2 и более процедурах"));

        // Below the threshold everywhere: nothing.
        let results = procedure_results(
            &assessment(),
            &fields(&[("vpr.math.5.2019.fail", "29"), ("vpr.math.5.2018.fail", "29"), ("oge.math.2019.fail", "10")]),
            None,
        );
        assert!(assessment_flags(&results, &rules).is_empty());
    }

    #[test]
    fn groups_are_counted_as_seed_004_counts_them() {
        let flags = [(true, false), (true, true), (false, true), (false, false), (true, false)];
        let c = GroupCounts::count(flags);
        assert_eq!(c, GroupCounts { total: 4, low_results: 2, unfavourable: 1, both: 1 });
        assert_eq!(c.formula_ru(), "4 = 2 + 1 + 1 (ШНОР + ШФНСУ + обе группы)");
    }

    #[test]
    fn completion_is_judged_against_the_years_target() {
        let targets = [
            YearTarget { year: 2020, percent: 10 },
            YearTarget { year: 2021, percent: 55 },
            YearTarget { year: 2025, percent: 100 },
        ];
        assert_eq!(target_for(&targets, 2019), None);
        assert_eq!(target_for(&targets, 2023).map(|t| t.percent), Some(55), "the latest target year not after it");
        assert_eq!(target_for(&targets, 2026).map(|t| t.percent), Some(100));
        let c = Completion {
            teachers: 20,
            completed: 11,
            all_teachers: 26,
            all_completed: 11,
            year: 2021,
            target: target_for(&targets, 2021),
            unstated: 0,
            subject_differs: 0,
            membership_year: Some("2021-2022".into()),
            no_data: false,
        };
        assert_eq!((c.share(), c.meets_target()), (Some(0.55), Some(true)), "exactly 55 % meets «не менее 55 %»");
        let c = Completion { completed: 10, ..c };
        assert_eq!(c.meets_target(), Some(false));
        let c = Completion { no_data: true, ..c };
        assert_eq!((c.share(), c.meets_target(), c.verdict_ru()), (None, None, "нет данных"));
    }

    #[test]
    fn schools_fall_into_groups_explained_by_their_differences() {
        let form = monitoring();
        let school = |i: u128| SchoolRef {
            id: SchoolId(uuid::Uuid::from_u128(i)),
            name: format!("Школа {i}"),
            municipality_id: crate::MunicipalityId(uuid::Uuid::nil()),
        };
        // Two strong schools (70–74 % on «4» and «5», a psychologist) and three weak ones (7–10 %, none).
        let typed = [("74", "да"), ("70", "да"), ("7", "нет"), ("9", "нет"), ("10", "нет")];
        let read: Vec<ReadReport> = typed
            .iter()
            .map(|(good, psy)| {
                read(&form, &fields(&[("students", "100"), ("students_4_5", good), ("psychologist", psy)]))
            })
            .collect();
        let schools: Vec<(SchoolRef, &ReadReport)> =
            read.iter().enumerate().map(|(i, r)| (school(i as u128), r)).collect();
        let [share, _, psychologist] = defs();
        let clusters = cluster_schools(&[share, psychologist], &schools, 2);
        assert_eq!(clusters.len(), 2);
        let names = |c: &Cluster| c.schools.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&clusters[0]), ["Школа 2", "Школа 3", "Школа 4"]);
        assert_eq!(names(&clusters[1]), ["Школа 0", "Школа 1"]);
        assert!(
            clusters[1].distinguished_by.iter().any(|d| d == "выше среднего: share_4_5 (72 % против 34 %)"),
            "{:?}",
            clusters[1].distinguished_by
        );
        assert!(clusters[0].distinguished_by.iter().any(|d| d.starts_with("ниже среднего: psychologist")));
        // Asking for more groups than schools: one each.
        assert_eq!(cluster_schools(&defs(), &schools[..1], 3).len(), 1);
    }

    #[test]
    fn a_roadmap_report_is_counted_by_its_marks_and_deadlines() {
        let form: ReportForm = serde_json::from_value(serde_json::json!({
            "id": "roadmap", "version": 1, "title": "План",
            "sections": [{ "id": "items", "title": "Мероприятия", "rows": true, "fields": [
                { "id": "measure", "label": "Мероприятие", "type": "text" },
                { "id": "deadline", "label": "Срок", "type": "text" },
                { "id": "responsible", "label": "Ответственные", "type": "text" },
                { "id": "progress", "label": "Отметка", "type": "text", "optional": true }
            ]}]
        }))
        .unwrap();
        let f = fields(&[
            ("measure#1", "Приказ"),
            ("deadline#1", "Август 2018"),
            ("responsible#1", "ОО"),
            ("progress#1", "Выполнено. Приказ № 458 от 17.08.2018"),
            ("measure#2", "Семинары"),
            ("deadline#2", "В течение 2018-2019 уч. года"),
            ("responsible#2", "ОО"),
            ("progress#2", "Выполняется"),
            ("measure#3", "Курсы"),
            ("deadline#3", "Март 2019"),
            ("responsible#3", "ОО"),
            ("measure#4", "Отчёт"),
            ("deadline#4", "Декабрь 2019"),
            ("responsible#4", "ОО"),
        ]);
        // At the end of 2019-Q2 (June): the school-year deadline (May 2019) and March have passed.
        let s = roadmap_summary(&form, &f, "2019-Q2").unwrap();
        assert_eq!(s, RoadmapSummary { done: 1, in_progress: 0, overdue: 2, not_started: 1 });
        assert_eq!(quarter_of("2019-Q5"), None);
        assert_eq!(roadmap_summary(&form, &f, "2019"), None, "not a quarter");
    }

    /// The assessment form without years in its ids: one report per school and academic year.
    fn assessment_by_period() -> ReportForm {
        serde_json::from_value(serde_json::json!({
            "id": "a", "version": 2, "title": "Результаты", "period_kind": "academic_year",
            "sections": [{ "id": "oge.math", "title": "ОГЭ, математика", "fields": [
                { "id": "oge.math.fail", "label": "Доля «2», %", "type": "value", "unit": "percent" },
                { "id": "oge.math.high", "label": "Доля высоких, %", "type": "value", "unit": "percent" }
            ]}]
        }))
        .unwrap()
    }

    fn school(n: u128) -> SchoolId {
        SchoolId(uuid::Uuid::from_u128(n))
    }

    fn results(rows: &[(u128, &str, &str)]) -> Vec<SchoolReport> {
        rows.iter()
            .map(|(s, period, fail)| SchoolReport {
                school: school(*s),
                period: (*period).into(),
                fields: fields(&[("oge.math.fail", fail)]),
            })
            .collect()
    }

    #[test]
    fn positive_dynamics_are_judged_every_year_with_that_years_members() {
        let form = assessment_by_period();
        // Seed 002: ОГЭ, математика — 2021: 20 %, 2022: 30 %, … 2025: 60 %.
        let target = DynamicsTarget {
            procedure: "oge.math".into(),
            title: "ОГЭ, математика".into(),
            targets: [(2021, 20), (2022, 30), (2023, 40), (2024, 50), (2025, 60)]
                .map(|(year, percent)| YearTarget { year, percent })
                .to_vec(),
        };
        let reports = results(&[
            (1, "2020-2021", "20"),
            (1, "2021-2022", "13"), // better
            (2, "2020-2021", "5"),
            (2, "2021-2022", "10"), // worse
            (3, "2021-2022", "0"),  // no 2020-2021: not counted
            (1, "2022-2023", "10"), // better, but school 1 left the programme in 2022-2023
            (2, "2022-2023", "30"),
            (4, "2022-2023", "1"), // school 4 joined in 2022-2023 without results the year before
            (1, "2023-2024", "9"),
            (2, "2023-2024", "20"), // better
            (4, "2023-2024", "0"),  // better
        ]);
        // Schools 1–3 in ШНОР until 2021-2022; then 2 stays and 4 enters.
        let low = |year: u16| -> HashSet<SchoolId> {
            match year {
                ..=2021 => [school(1), school(2), school(3)].into(),
                _ => [school(2), school(4)].into(),
            }
        };
        let rows = dynamics_against_targets(&form, &reports, &low, &[target], Some((2026, 11, 30)));
        type Row<'a> = (u32, &'a str, u32, u32, u32, Option<u32>, Option<bool>);
        let by_year: Vec<Row> = rows
            .iter()
            .map(|d| {
                (d.year, d.period.as_str(), d.low_schools, d.schools, d.improved, d.target_percent, d.meets_target())
            })
            .collect();
        assert_eq!(
            by_year,
            [
                (2021, "2020-2021", 3, 0, 0, Some(20), None), // the first year with results: nothing before it
                (2022, "2021-2022", 3, 2, 1, Some(30), Some(true)), // 1 of 2 = 50 % ≥ 30 %
                (2023, "2022-2023", 2, 1, 0, Some(40), Some(false)), // school 2 worse; school 4 had no year before
                (2024, "2023-2024", 2, 2, 2, Some(50), Some(true)),
                (2025, "2024-2025", 2, 0, 0, Some(60), None), // a year with no reports at all
            ]
        );
        assert_eq!(rows[4].verdict_ru(), "нет данных: нет результатов ШНОР за этот и предыдущий год");
        // An empty group never meets a target.
        let none = dynamics_against_targets(&form, &reports, &|_| HashSet::new(), &[rows_target()], None);
        assert!(none.iter().all(|d| d.meets_target().is_none() && d.schools == 0));
        assert!(none.iter().any(|d| d.verdict_ru().starts_with("нет данных: в этом году нет ШНОР")));
    }

    fn rows_target() -> DynamicsTarget {
        DynamicsTarget {
            procedure: "oge.math".into(),
            title: "ОГЭ, математика".into(),
            targets: vec![YearTarget { year: 2022, percent: 0 }],
        }
    }

    fn three_schools() -> Vec<(SchoolRef, SchoolFlags)> {
        (1..=3)
            .map(|n| {
                (
                    SchoolRef {
                        id: school(n),
                        name: format!("Школа {n}"),
                        municipality_id: crate::MunicipalityId(uuid::Uuid::nil()),
                    },
                    SchoolFlags { low_results: true, unfavourable_conditions: false },
                )
            })
            .collect()
    }

    /// The view of `schools` with these forms' reports, comparing `from` with `to` on 2026-11-30.
    fn view_of(
        schools: &[(SchoolRef, SchoolFlags)],
        card: Option<FormReports<'_>>,
        checklist: Option<FormReports<'_>>,
        roadmap: Option<FormReports<'_>>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> DepartmentAnalytics {
        let rules = IdentificationRules::default();
        let sd = self_diagnosis_form();
        build(&Inputs {
            scope: crate::api::AnalyticsScope {
                name: "Район".into(),
                municipality: None,
                region: crate::RegionId(uuid::Uuid::nil()),
            },
            group: crate::api::SchoolGroup::All,
            min_group: 5,
            schools,
            indicators: &[],
            monitoring: None,
            cluster_monitoring: None,
            monitoring_period: None,
            compare_from: from,
            compare_to: to,
            membership: &[],
            card,
            assessment: None,
            checklist,
            roadmap,
            rules: &rules,
            self_diagnosis: &sd,
            teacher_counts: &[],
            coverage: &Default::default(),
            submissions: &[],
            completion_targets: &[],
            dynamics_targets: &[],
            campaigns: &[],
            today: "2026-11-30",
            year: 2026,
            now_ms: 0,
        })
    }

    /// The view of `schools` with these cards, membership decisions and coverage facts, on
    /// 2026-11-30, showing `to` (or the default).
    fn view_with(
        schools: &[(SchoolRef, SchoolFlags)],
        cards: &[SchoolReport],
        membership: &[crate::membership::MembershipDecision],
        coverage: &crate::coverage::CoverageFacts,
        to: Option<&str>,
    ) -> DepartmentAnalytics {
        let rules = IdentificationRules::default();
        let sd = self_diagnosis_form();
        let form = card();
        build(&Inputs {
            scope: crate::api::AnalyticsScope {
                name: "Район".into(),
                municipality: None,
                region: crate::RegionId(uuid::Uuid::nil()),
            },
            group: crate::api::SchoolGroup::All,
            min_group: 5,
            schools,
            indicators: &[],
            monitoring: None,
            cluster_monitoring: None,
            monitoring_period: None,
            compare_from: None,
            compare_to: to,
            membership,
            card: Some(FormReports { form: &form, reports: cards }),
            assessment: None,
            checklist: None,
            roadmap: None,
            rules: &rules,
            self_diagnosis: &sd,
            teacher_counts: &[],
            coverage,
            submissions: &[],
            completion_targets: &[YearTarget { year: 2025, percent: 100 }],
            dynamics_targets: &[],
            campaigns: &[],
            today: "2026-11-30",
            year: 2026,
            now_ms: 0,
        })
    }

    fn card_of(s: u128, period: &str) -> SchoolReport {
        SchoolReport { school: school(s), period: period.into(), fields: fields(&[("c1.current", "5")]) }
    }

    #[test]
    fn a_dash_is_not_applicable_a_share_is_a_percentage_and_nobody_is_not_a_hidden_group() {
        use crate::sheets::{self, NO_TEACHERS, NOT_APPLICABLE, SUPPRESSED, Value};
        // Seed 004's «Доля …» from part and whole; one school wrote «–» for its pupils' grades.
        let form = monitoring();
        let reports = [
            fields(&[("students", "90"), ("students_4_5", "30"), ("psychologist", "да")]),
            fields(&[("students", "–"), ("students_4_5", "–"), ("psychologist", "нет")]),
        ];
        let read: Vec<ReadReport> = reports.iter().map(|f| read(&form, f)).collect();
        let [share, _, psychologist] = defs().map(|d| indicator_stats(&d, &read.iter().collect::<Vec<_>>()));
        assert_eq!((share.share, share.schools, share.not_applicable), (true, 1, 1));
        assert_eq!((psychologist.share, psychologist.not_applicable), (false, 0));
        let only_dash = indicator_stats(&defs()[0], &[&read[1]]);
        let at_minimum = IndicatorStats { also: Some(RareCount::AtMinimum), also_in: 1, ..share.clone() };
        assert_eq!(at_minimum.rare_ru().as_deref(), Some("33,3 % в 1 школе"), "not «0,333 в 1 школе»");

        // A card whose criterion the school marks «–» both years.
        let schools = three_schools();
        let dash = |s: u128, period: &str| SchoolReport {
            school: school(s),
            period: period.into(),
            fields: fields(&[("c1.current", "–"), ("c3.current", "60")]),
        };
        let cards: Vec<SchoolReport> =
            ["2024-2025", "2025-2026"].iter().flat_map(|p| [dash(1, p), card_of(2, p), card_of(3, p)]).collect();
        let mut a = view_with(&schools, &cards, &[], &Default::default(), None);
        a.indicators = vec![share, only_dash, psychologist];

        // (sheet, row, column, what the cell says)
        let indicators = sheets::indicators(&a);
        let dynamics = sheets::dynamics(&a);
        let subjects = sheets::deficits_by_subject(&a);
        let c1_of_school_1 = dynamics.rows.iter().position(|r| r[1] == Value::Text("Без аттестата".into())).unwrap();
        for (sheet, row, column, says) in [
            (&indicators, 0, 2, Value::Share(1.0 / 3.0)),
            (&indicators, 0, 4, Value::Share(1.0 / 3.0)),
            (&indicators, 1, 2, NOT_APPLICABLE.into()),
            (&indicators, 1, 5, NOT_APPLICABLE.into()),
            (&indicators, 2, 5, Value::Number(1.0)),
            (&dynamics, c1_of_school_1, 2, NOT_APPLICABLE.into()),
            (&dynamics, c1_of_school_1, 3, NOT_APPLICABLE.into()),
            // Nobody answered any subject's questionnaire here: not a hidden group of fewer than 5.
            (&subjects, 0, 2, NO_TEACHERS.into()),
        ] {
            assert_eq!(sheet.rows[row][column], says, "{} row {row} column {column}", sheet.name);
        }
        assert!(subjects.rows.iter().flatten().all(|v| *v != Value::Text(SUPPRESSED.into())));
        // The exports hold the same words.
        assert!(sheets::csv_ru(&dynamics).contains(";не применимо;не применимо;"));
        assert!(sheets::csv_ru(&indicators).contains(";не применимо;"));
    }

    #[test]
    fn the_coverage_headline_is_its_years_row_whichever_year_is_shown() {
        use crate::coverage::{CoverageFacts, Passed, RolledTeacher};
        let schools = three_schools();
        // School 3 joined the programme in 2025-2026; the others were in it before.
        let decide = |year: u16, s: u128, low_results: bool| crate::membership::MembershipDecision {
            school: school(s),
            year,
            flags: SchoolFlags { low_results, unfavourable_conditions: false },
            basis: "Приказ № 1".into(),
            basis_date: "2024-08-28".into(),
        };
        let membership: Vec<_> = [2024, 2025, 2026]
            .into_iter()
            .flat_map(|y| (1..=3).map(move |s| decide(y, s, s != 3 || y >= 2025)))
            .collect();
        let teacher = |n: u128| crate::UserId(uuid::Uuid::from_u128(100 + n));
        let facts = CoverageFacts {
            teachers: (1..=6)
                .map(|n| RolledTeacher {
                    id: teacher(n),
                    school: school(n.div_ceil(2)),
                    subject: Some(crate::accounts::TeacherSubject::Programme("math")),
                })
                .collect(),
            passed: vec![
                Passed { teacher: teacher(1), school: school(1), received_year: 2025, answered: None },
                Passed { teacher: teacher(5), school: school(3), received_year: 2026, answered: None },
            ],
        };
        let cards: Vec<SchoolReport> =
            ["2024-2025", "2025-2026"].iter().flat_map(|p| (1..=3).map(|s| card_of(s, p))).collect();
        let shown = |to: &str| view_with(&schools, &cards, &membership, &facts, Some(to));
        let (earlier, later) = (shown("2024-2025"), shown("2025-2026"));
        assert_eq!(earlier.membership_year.as_deref(), Some("2024-2025"), "the rest of the page follows the year");
        assert_eq!(earlier.completion, later.completion, "«к концу 2026 года» is one figure");
        let row = later.coverage_by_year.iter().find(|c| c.year == 2026).expect("2026 has a submission");
        assert_eq!(&later.completion, row, "the headline is its year's row");
        assert_eq!((row.completed, row.teachers), (2, 6));
    }

    #[test]
    fn the_view_opens_on_the_latest_year_enough_schools_have_sent_and_says_why() {
        let schools = three_schools();
        let mut cards: Vec<SchoolReport> = (1..=3).map(|s| card_of(s, "2024-2025")).collect();
        cards.push(card_of(1, "2025-2026"));
        let facts = crate::coverage::CoverageFacts::default();
        let opened = view_with(&schools, &cards, &[], &facts, None);
        assert_eq!(opened.card_period.as_deref(), Some("2024-2025"));
        assert_eq!(opened.periods, ["2025-2026", "2024-2025"], "the picker still offers the newer year");
        let newer = opened.newer_year.as_ref().expect("the page says why");
        assert_eq!(newer.why_ru("2024-2025"), "Показан 2024-2025: за 2025-2026 отчёты прислали 1 из 3 школ");
        assert!(opened.dynamics.iter().all(|d| !d.no_report));
        // Picked, the newer year is shown as it is, with nothing to explain.
        let picked = view_with(&schools, &cards, &[], &facts, Some("2025-2026"));
        assert_eq!((picked.card_period.as_deref(), picked.newer_year.as_ref()), (Some("2025-2026"), None));
        assert_eq!(picked.dynamics.iter().filter(|d| d.no_report).count(), 2);
        // A second school's card makes the newer year readable (2 of 3): it opens there.
        cards.push(card_of(2, "2025-2026"));
        let opened = view_with(&schools, &cards, &[], &facts, None);
        assert_eq!((opened.card_period.as_deref(), opened.newer_year.as_ref()), (Some("2025-2026"), None));
    }

    #[test]
    fn dynamics_compare_the_chosen_periods_and_never_an_older_card() {
        // The card as v3 (no «Прошлый» column); the stored cards are v2, which had one.
        let mut form = card();
        form.sections[0].fields.retain(|f| f.id.as_str() != "c1.previous");
        form.period_kind = Some(crate::period::PeriodKind::AcademicYear);
        form.previous_period_of_versions = Some(crate::report::PreviousPeriodFields {
            versions: vec![2],
            fields: [("c1.previous".to_owned(), "c1.current".to_owned())].into(),
        });
        let rf = read_only_form();
        let schools = three_schools();
        let card_report = |s: u128, period: &str, c3: &str, previous: &str| crate::history::VersionedReport {
            school: school(s),
            period: period.into(),
            form_version: 2,
            fields: fields(&[("c3.current", c3), ("c1.current", "5"), ("c1.previous", previous)]),
        };
        let stored = [
            card_report(1, "2023-2024", "60", ""),
            card_report(1, "2024-2025", "64", ""),
            card_report(1, "2025-2026", "70", "7"), // its own 2024-2025 card (5) wins over «7»
            card_report(2, "2023-2024", "50", ""),
            card_report(2, "2024-2025", "55", ""),  // nothing for 2025-2026
            card_report(3, "2025-2026", "40", "9"), // joined late: no earlier card, wrote last year's value
        ];
        let cards = crate::history::upgrade_all(&form, &stored);
        let view = |from: Option<&str>, to: Option<&str>| {
            view_of(
                &schools,
                Some(FormReports { form: &form, reports: &cards }),
                Some(FormReports { form: &rf, reports: &[] }),
                None,
                from,
                to,
            )
        };
        let row = |a: &DepartmentAnalytics, s: u128| {
            let d = a.dynamics.iter().find(|d| d.school.id == school(s)).unwrap();
            (
                d.no_report,
                d.rows.iter().find(|r| r.criterion == "c1").map(|r| (r.previous, r.current)),
                d.rows.iter().find(|r| r.criterion == "c3").map(|r| (r.previous, r.current)),
            )
        };
        // Default: the latest period with cards against the one before.
        let latest = view(None, None);
        assert_eq!(
            (latest.compare_from.as_deref(), latest.card_period.as_deref()),
            (Some("2024-2025"), Some("2025-2026"))
        );
        assert_eq!(latest.periods, ["2025-2026", "2024-2025", "2023-2024"]);
        assert_eq!(row(&latest, 1), (false, Some((Some(5.0), Some(5.0))), Some((Some(64.0), Some(70.0)))));
        assert_eq!(row(&latest, 2), (true, None, None), "«нет отчёта», not 2024-2025's figures");
        assert_eq!(row(&latest, 3).2, Some((None, Some(40.0))), "no earlier card: no earlier value");
        assert_eq!(row(&latest, 3).1, Some((Some(9.0), Some(5.0))), "last year's value as the school wrote it");
        // Any two periods: 2023-2024 against 2025-2026 skips a year; the school's «previous» is not that year.
        let wide = view(Some("2023-2024"), Some("2025-2026"));
        assert_eq!(row(&wide, 1).2, Some((Some(60.0), Some(70.0))));
        assert_eq!(row(&wide, 3).1, Some((None, Some(5.0))), "the card's «previous» is 2024-2025, not 2023-2024");
        // An earlier year: school 2 has its card there; school 3's «прошлого года» is its 2024-2025
        // report, holding that one value and nothing else.
        let earlier = view(Some("2023-2024"), Some("2024-2025"));
        assert_eq!(row(&earlier, 2), (false, Some((Some(5.0), Some(5.0))), Some((Some(50.0), Some(55.0)))));
        assert_eq!(row(&earlier, 3), (false, Some((None, Some(9.0))), Some((None, None))));
        // A period nobody reported for: every school reads «нет отчёта».
        let empty = view(None, Some("2019-2020"));
        assert!(empty.dynamics.iter().all(|d| d.no_report && d.rows.is_empty()));
        assert_eq!(empty.membership_year.as_deref(), Some("2019-2020"));
    }

    #[test]
    fn the_checklist_and_the_roadmap_follow_the_year_shown() {
        let checklist: ReportForm = serde_json::from_value(serde_json::json!({
            "id": "identification-checklist", "version": 2, "title": "Перечень", "period_kind": "academic_year",
            "sections": [{ "id": "criteria", "title": "Критерии", "fields": [
                { "id": "a", "label": "Низкие результаты", "type": "yes_no" },
                { "id": "b", "label": "Менее 60 % продолжают", "type": "yes_no" },
                { "id": "c", "label": "ЕГЭ ниже минимума", "type": "yes_no" }
            ]}]
        }))
        .unwrap();
        let roadmap: ReportForm = serde_json::from_value(serde_json::json!({
            "id": "roadmap", "version": 2, "title": "План", "period_kind": "quarter",
            "sections": [{ "id": "items", "title": "Мероприятия", "rows": true, "fields": [
                { "id": "measure", "label": "Мероприятие", "type": "text" },
                { "id": "deadline", "label": "Срок", "type": "text" },
                { "id": "progress", "label": "Отметка", "type": "text", "optional": true }
            ]}]
        }))
        .unwrap();
        let schools = three_schools();
        let answers = |s: u128, period: &str, yes: &str| SchoolReport {
            school: school(s),
            period: period.into(),
            fields: fields(&[("a", yes), ("b", yes), ("c", yes)]),
        };
        // School 1 met three criteria in 2024-2025 and none in 2025-2026; school 2 answered only in 2024-2025.
        let checklists =
            [answers(1, "2024-2025", "да"), answers(1, "2025-2026", "нет"), answers(2, "2024-2025", "нет")];
        let plan = |s: u128, period: &str, progress: &str| SchoolReport {
            school: school(s),
            period: period.into(),
            fields: fields(&[("measure#1", "Семинары"), ("deadline#1", "Декабрь 2024"), ("progress#1", progress)]),
        };
        let roadmaps = [
            plan(1, "2024-Q4", "Выполняется"),
            plan(1, "2025-Q2", "Выполнено"), // the latest quarter of 2024-2025
            plan(1, "2026-Q2", "Выполнено"), // 2025-2026
            plan(2, "2024-Q4", "Выполнено"),
            plan(3, "2027-Q1", "Выполнено"), // not begun on 2026-11-30: no report yet
        ];
        let view = |to: &str| {
            view_of(
                &schools,
                None,
                Some(FormReports { form: &checklist, reports: &checklists }),
                Some(FormReports { form: &roadmap, reports: &roadmaps }),
                None,
                Some(to),
            )
        };
        let seen = |a: &DepartmentAnalytics, s: u128| {
            let id = a.identification.iter().find(|i| i.school.id == school(s)).unwrap();
            let plan = a.roadmaps.iter().find(|r| r.school.id == school(s)).unwrap();
            (id.flags.len(), id.checklist_period.clone(), plan.period.clone(), plan.no_report, plan.summary.done)
        };
        let earlier = view("2024-2025");
        assert_eq!(seen(&earlier, 1), (1, Some("2024-2025".into()), "2025-Q2".into(), false, 1));
        assert_eq!(seen(&earlier, 2), (0, Some("2024-2025".into()), "2024-Q4".into(), false, 1));
        assert_eq!(seen(&earlier, 3), (0, None, "2024-2025".into(), true, 0), "«нет отчёта» for that year");
        let later = view("2025-2026");
        assert_eq!(
            seen(&later, 1),
            (0, Some("2025-2026".into()), "2026-Q2".into(), false, 1),
            "the flag follows the year"
        );
        assert_eq!(
            seen(&later, 2),
            (0, None, "2025-2026".into(), true, 0),
            "no checklist and no plan that year: never 2024-2025's in their place"
        );
        assert_eq!(seen(&later, 3), (0, None, "2025-2026".into(), true, 0), "a quarter still to come is no report");
    }

    #[test]
    fn cluster_monitoring_flags_unfavourable_social_conditions_with_its_values() {
        let form: ReportForm = serde_json::from_value(serde_json::json!({
            "id": "cluster-monitoring", "version": 2, "title": "Кластерный мониторинг", "period_kind": "academic_year",
            "sections": [{ "id": "students", "title": "Обучающиеся", "fields": [
                { "id": "students.low_income", "label": "Дети из малообеспеченных семей", "type": "value", "unit": "percent" },
                { "id": "students.risk_families", "label": "Дети из семей группы риска", "type": "value", "unit": "percent" }
            ]}]
        }))
        .unwrap();
        let rules = IdentificationRules::default();
        let flag =
            social_flag(&form, &fields(&[("students.low_income", "41"), ("students.risk_families", "30")]), &rules)
                .expect("41 % and 30 % are at or above 30 %");
        assert!(flag.unfavourable);
        assert_eq!(flag.explanation, "Дети из малообеспеченных семей — 41 %; Дети из семей группы риска — 30 %");
        let calm = fields(&[("students.low_income", "29,9"), ("students.risk_families", "–")]);
        assert_eq!(social_flag(&form, &calm, &rules), None, "below the threshold, or no value");
        // Every measured field is an indicator of its own in the cluster table, labelled by section.
        let defs = cluster_indicator_defs(&form);
        assert_eq!(defs[0].label, "Обучающиеся: Дети из малообеспеченных семей");
    }

    fn read_only_form() -> ReportForm {
        serde_json::from_value(serde_json::json!({ "id": "c", "version": 1, "title": "Перечень", "sections": [] }))
            .unwrap()
    }

    fn self_diagnosis_form() -> FormDefinition {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/forms/self-diagnosis.v1.json"))
                .unwrap();
        serde_json::from_str(&text).unwrap()
    }
}
