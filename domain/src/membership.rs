//! Programme membership by academic year: which schools were ШНОР / ШФНСУ in which year and by
//! which decision (приказ №, date), who entered and who left, and the list the identification
//! rules propose for the next year. Every view reads the membership of the year it shows.

use crate::SchoolId;
use crate::analytics::Flag;
use crate::org::{SchoolFlags, SchoolRef};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// One school's status for one academic year, as the department decided it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembershipDecision {
    pub school: SchoolId,
    /// The academic year's first year: 2020 is «2020-2021».
    pub year: u16,
    pub flags: SchoolFlags,
    /// «Приказ № 458»: the decision the status rests on.
    pub basis: String,
    /// `YYYY-MM-DD`.
    pub basis_date: String,
}

/// «2020-2021» for 2020.
pub fn year_label(year: u16) -> String {
    format!("{year}-{}", year + 1)
}

/// The groups each school is in for `year`. A year the department has decided: exactly its
/// decisions (a school without one is in neither group that year). A year nobody decided (before
/// the department started recording, or still to come): the flags the school carries today, so a
/// municipality that has never recorded a decision sees what it saw before.
pub fn flags_in_year(
    decisions: &[MembershipDecision],
    year: u16,
    today: &[(SchoolRef, SchoolFlags)],
) -> HashMap<SchoolId, SchoolFlags> {
    let decided: HashMap<SchoolId, SchoolFlags> =
        decisions.iter().filter(|d| d.year == year).map(|d| (d.school, d.flags)).collect();
    if decided.is_empty() {
        return today.iter().map(|(s, f)| (s.id, *f)).collect();
    }
    today.iter().map(|(s, _)| (s.id, decided.get(&s.id).copied().unwrap_or_default())).collect()
}

/// Whether the department has recorded decisions for `year`.
pub fn decided(decisions: &[MembershipDecision], year: u16) -> bool {
    decisions.iter().any(|d| d.year == year)
}

/// How one school's status changed from one year to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Entered,
    Stayed,
    Left,
    /// In the programme both years, in a different group (ШНОР → ШФНСУ, …).
    Moved,
}

fn in_programme(f: &SchoolFlags) -> bool {
    f.low_results || f.unfavourable_conditions
}

/// What changed between two consecutive decided years, per school in the programme in either.
pub fn changes(
    before: &HashMap<SchoolId, SchoolFlags>,
    after: &HashMap<SchoolId, SchoolFlags>,
) -> Vec<(SchoolId, Change)> {
    let mut schools: Vec<SchoolId> = before.keys().chain(after.keys()).copied().collect();
    schools.sort_unstable();
    schools.dedup();
    schools
        .into_iter()
        .filter_map(|s| {
            let (b, a) = (before.get(&s).copied().unwrap_or_default(), after.get(&s).copied().unwrap_or_default());
            match (in_programme(&b), in_programme(&a)) {
                (false, true) => Some((s, Change::Entered)),
                (true, false) => Some((s, Change::Left)),
                (true, true) if a == b => Some((s, Change::Stayed)),
                (true, true) => Some((s, Change::Moved)),
                (false, false) => None,
            }
        })
        .collect()
}

/// The number of schools in the programme each decided year: seed 001's «7 schools in 2020, 3 in 2021».
pub fn programme_size_by_year(decisions: &[MembershipDecision]) -> BTreeMap<u16, u32> {
    let mut sizes = BTreeMap::new();
    for d in decisions {
        *sizes.entry(d.year).or_insert(0) += u32::from(in_programme(&d.flags));
    }
    sizes
}

/// The rules' proposal for one school for next year, with the reasons a department checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub school: SchoolRef,
    /// This year's groups.
    pub now: SchoolFlags,
    /// The proposed groups for next year.
    pub proposed: SchoolFlags,
    pub change: Option<Change>,
    /// Why: the rules' findings, or why the school may leave.
    pub reasons: Vec<String>,
}

/// Next year's list from this year's membership and what the identification rules find in each
/// school's latest reports: a school the rules flag is proposed as ШНОР with the findings as
/// reasons; a ШНОР school the rules no longer flag is proposed to leave ШНОР («эффективный
/// режим»). ШФНСУ is about a school's social conditions, which reports of results do not judge:
/// it stays as decided. The department confirms or changes each line.
pub fn propose(
    schools: &[SchoolRef],
    now: &HashMap<SchoolId, SchoolFlags>,
    findings: &HashMap<SchoolId, Vec<Flag>>,
) -> Vec<Proposal> {
    schools
        .iter()
        .map(|school| {
            let current = now.get(&school.id).copied().unwrap_or_default();
            let flags = findings.get(&school.id).map(Vec::as_slice).unwrap_or_default();
            let proposed = SchoolFlags { low_results: !flags.is_empty(), ..current };
            let mut reasons: Vec<String> = flags.iter().map(|f| format!("{}: {}", f.rule, f.explanation)).collect();
            if current.low_results && !proposed.low_results {
                reasons.push("Правила выявления в последних отчётах школы не срабатывают: предлагается выход из ШНОР (эффективный режим).".to_owned());
            }
            let change = changes(&HashMap::from([(school.id, current)]), &HashMap::from([(school.id, proposed)]))
                .first()
                .map(|(_, c)| *c);
            Proposal { school: school.clone(), now: current, proposed, change, reasons }
        })
        .collect()
}

/// `GET /api/department/membership`: one academic year's list with its decisions, the years on
/// record, and the rules' proposal for the year after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembershipView {
    pub municipality: crate::MunicipalityId,
    /// «2025-2026».
    pub year: String,
    /// Whether the department recorded this year; otherwise the rows show today's flags.
    pub decided: bool,
    pub schools: Vec<MembershipRow>,
    /// Schools in the programme each recorded year, oldest first: «2020-2021: 7».
    pub years: Vec<(String, u32)>,
    /// The year the proposal is for, and the proposal.
    pub next_year: String,
    pub proposals: Vec<Proposal>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembershipRow {
    pub school: SchoolRef,
    pub flags: SchoolFlags,
    /// The decision, when the year was decided for this school.
    pub basis: Option<String>,
    pub basis_date: Option<String>,
    /// Against the year before, when the school is in the programme either year.
    pub change: Option<Change>,
}

/// `POST /api/department/membership`: the department confirms or changes a year's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecideMembership {
    /// For administrators; a municipal specialist always decides her own municipality's.
    #[serde(default)]
    pub municipality: Option<crate::MunicipalityId>,
    /// «2026-2027».
    pub year: String,
    pub basis: String,
    /// `YYYY-MM-DD` or «30.08.2026».
    pub basis_date: String,
    pub schools: Vec<(SchoolId, SchoolFlags)>,
}

/// A year's list as rows: the flags of that year, its decisions and the change from the year before.
pub fn rows(decisions: &[MembershipDecision], year: u16, today: &[(SchoolRef, SchoolFlags)]) -> Vec<MembershipRow> {
    let now = flags_in_year(decisions, year, today);
    let before = flags_in_year(decisions, year.saturating_sub(1), today);
    let changed: HashMap<SchoolId, Change> = changes(&before, &now).into_iter().collect();
    today
        .iter()
        .map(|(school, _)| {
            let decision = decisions.iter().find(|d| d.year == year && d.school == school.id);
            MembershipRow {
                school: school.clone(),
                flags: now.get(&school.id).copied().unwrap_or_default(),
                basis: decision.map(|d| d.basis.clone()),
                basis_date: decision.map(|d| d.basis_date.clone()),
                change: changed.get(&school.id).copied(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn school(n: u128) -> SchoolRef {
        SchoolRef {
            id: SchoolId(uuid::Uuid::from_u128(n)),
            name: format!("Школа {n}"),
            municipality_id: crate::MunicipalityId(uuid::Uuid::nil()),
        }
    }

    const LOW: SchoolFlags = SchoolFlags { low_results: true, unfavourable_conditions: false };
    const BOTH: SchoolFlags = SchoolFlags { low_results: true, unfavourable_conditions: true };
    const NONE: SchoolFlags = SchoolFlags { low_results: false, unfavourable_conditions: false };

    fn decision(n: u128, year: u16, flags: SchoolFlags) -> MembershipDecision {
        MembershipDecision {
            school: school(n).id,
            year,
            flags,
            basis: "Приказ № 1".into(),
            basis_date: format!("{year}-08-30"),
        }
    }

    #[test]
    fn seed_001s_history_seven_schools_in_2020_three_in_2021() {
        let mut decisions: Vec<MembershipDecision> = (1..=7).map(|n| decision(n, 2020, LOW)).collect();
        // 2021: three stay, one of them now in both groups; four leave for the effective mode.
        decisions.extend([decision(1, 2021, LOW), decision(2, 2021, LOW), decision(3, 2021, BOTH)]);
        decisions.extend((4..=7).map(|n| decision(n, 2021, NONE)));
        assert_eq!(programme_size_by_year(&decisions), BTreeMap::from([(2020, 7), (2021, 3)]));
        let today: Vec<(SchoolRef, SchoolFlags)> = (1..=8).map(|n| (school(n), NONE)).collect();
        let (y2020, y2021) = (flags_in_year(&decisions, 2020, &today), flags_in_year(&decisions, 2021, &today));
        assert_eq!((y2020[&school(4).id], y2021[&school(4).id]), (LOW, NONE), "school 4 left in 2021");
        let c: HashMap<SchoolId, Change> = changes(&y2020, &y2021).into_iter().collect();
        assert_eq!(
            (c[&school(1).id], c[&school(3).id], c[&school(5).id]),
            (Change::Stayed, Change::Moved, Change::Left)
        );
        assert!(!c.contains_key(&school(8).id), "never in the programme");
    }

    #[test]
    fn a_school_joining_mid_programme_counts_only_from_its_year() {
        let decisions = [decision(1, 2020, LOW), decision(1, 2021, LOW), decision(2, 2021, LOW)];
        let today = [(school(1), LOW), (school(2), LOW)];
        assert_eq!(flags_in_year(&decisions, 2020, &today)[&school(2).id], NONE, "not yet in 2020");
        assert_eq!(flags_in_year(&decisions, 2021, &today)[&school(2).id], LOW);
        let c = changes(&flags_in_year(&decisions, 2020, &today), &flags_in_year(&decisions, 2021, &today));
        assert!(c.contains(&(school(2).id, Change::Entered)));
        // A year nobody decided reads today's flags, so an unrecorded municipality sees no change.
        assert!(!decided(&decisions, 2019));
        assert_eq!(flags_in_year(&decisions, 2019, &today)[&school(2).id], LOW);
    }

    #[test]
    fn the_rules_propose_next_years_list_with_reasons() {
        let schools = [school(1), school(2), school(3)];
        let now = HashMap::from([(school(1).id, LOW), (school(2).id, NONE), (school(3).id, BOTH)]);
        let flag = Flag {
            rule: "Два года подряд".into(), explanation: "ВПР, математика, 5 класс: 45 %, 57 %".into()
        };
        let findings = HashMap::from([(school(2).id, vec![flag]), (school(3).id, vec![])]);
        let p = propose(&schools, &now, &findings);
        assert_eq!((p[0].proposed, p[0].change), (NONE, Some(Change::Left)), "no findings: leaves ШНОР");
        assert!(p[0].reasons[0].contains("эффективный режим"));
        assert_eq!((p[1].proposed, p[1].change), (LOW, Some(Change::Entered)));
        assert_eq!(p[1].reasons, ["Два года подряд: ВПР, математика, 5 класс: 45 %, 57 %"]);
        let unfavourable_only = SchoolFlags { low_results: false, unfavourable_conditions: true };
        assert_eq!((p[2].proposed, p[2].change), (unfavourable_only, Some(Change::Moved)), "ШФНСУ stays as decided");
    }
}
