//! The self-diagnosis coverage as the programme defines it (seed 002, Раздел IV): «количество
//! учителей русского языка, математики, физики, географии, обществознания, начальной школы,
//! прошедших профессиональную самодиагностику» in the programme's schools, against a target per
//! calendar year (2020 — 10 %, … 2025 — 100 %).
//!
//! - The denominator is the teachers of the six subjects (by their accounts' subject,
//!   [`TeacherSubject`]) of the schools in the programme (ШНОР or ШФНСУ) that year; all teachers of
//!   those schools are the second figure; teachers whose subject nobody stated are counted apart and
//!   named next to the figure, never guessed into either.
//! - The numerator is the six-subject teachers among them who have passed the self-diagnosis by the
//!   end of the year: coverage is cumulative. A teacher counts at the school her latest submission
//!   by then was made at.
//! - A calendar year `Y` is judged with the programme membership of the academic year that begins in
//!   its September (`Y-(Y+1)`): «by the end of 2025» is 31 December 2025, inside «2025-2026».
//! - A year is «нет данных» while nothing at all had been received in the schools of the view by
//!   its end: before a region started using Opora its coverage is unknown, not zero.
//!
//! Only who has submitted and when (the year) is read here, never an answer: the same fact a
//! principal's list of who has submitted already shows.

use crate::accounts::TeacherSubject;
use crate::analytics::{Completion, YearTarget, target_for};
use crate::api::SchoolGroup;
use crate::membership::{MembershipDecision, flags_in_year, year_label};
use crate::org::{SchoolFlags, SchoolRef};
use crate::{SchoolId, UserId};
use std::collections::{BTreeSet, HashMap};

/// A teacher on a school's roll, as the counts take her: the accounts the department's figures
/// count (active, or switched off after submitting).
#[derive(Clone, Debug, PartialEq)]
pub struct RolledTeacher {
    pub id: UserId,
    pub school: SchoolId,
    /// `None`: not stated.
    pub subject: Option<TeacherSubject>,
}

/// One received self-diagnosis, as coverage reads it: who, where, and the calendar year (Moscow
/// time) the server received it. The server's clock, never the device's: a device can be wrong
/// about its date, and a submission sent late in a year must not count for the year before.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Passed {
    pub teacher: UserId,
    pub school: SchoolId,
    pub received_year: i32,
}

/// What coverage is computed from. `passed` in the server's order of receipt: of a teacher's
/// submissions by a year's end, the last one listed names her school.
#[derive(Clone, Debug, Default)]
pub struct CoverageFacts {
    pub teachers: Vec<RolledTeacher>,
    pub passed: Vec<Passed>,
}

/// How many teachers a school has, and how many of them teach one of the six subjects or have no
/// subject stated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TeacherCounts {
    pub all: u32,
    pub six_subjects: u32,
    pub unstated: u32,
}

/// Looked up by school and teacher ids (random UUIDs, not chosen to collide): the replay's cheap
/// hasher, which over 50,000 teachers is most of the difference to SipHash.
type FoldMap<K, V> = crate::aggregate::NumberMap<K, V>;

/// One figure to compute: the calendar year whose end it counts to, the academic year whose
/// membership chose its schools, and which schools (by index) those are.
struct Slot {
    year: i32,
    membership_year: Option<u16>,
    programme: Vec<bool>,
}

/// The coverage figures of a view: the year shown (`year`, with the membership already chosen for
/// the page, `shown_flags`) and every calendar year with a target or a submission, each with its
/// own year's membership. `schools` are the view's schools with the flags they carry today.
///
/// One pass over the submissions serves every year: each teacher's submissions are taken
/// together, and for each year the last one received by its end names her school.
#[allow(clippy::too_many_arguments)]
pub fn coverage(
    facts: &CoverageFacts,
    schools: &[(SchoolRef, SchoolFlags)],
    membership: &[MembershipDecision],
    group: SchoolGroup,
    shown_flags: &HashMap<SchoolId, SchoolFlags>,
    shown_membership_year: Option<u16>,
    year: i32,
    targets: &[YearTarget],
) -> (Completion, Vec<Completion>) {
    let index: FoldMap<u128, usize> = schools.iter().enumerate().map(|(i, (s, _))| (s.id.0.as_u128(), i)).collect();
    let school_at = |id: &SchoolId| index.get(&id.0.as_u128()).copied();
    let in_programme = |f: &SchoolFlags| (f.low_results || f.unfavourable_conditions) && group.includes(f);
    let programme_of = |flags: &HashMap<SchoolId, SchoolFlags>| -> Vec<bool> {
        schools.iter().map(|(s, _)| flags.get(&s.id).is_some_and(in_programme)).collect()
    };
    let years: BTreeSet<i32> = targets
        .iter()
        .map(|t| t.year)
        .chain(facts.passed.iter().filter(|p| school_at(&p.school).is_some()).map(|p| p.received_year))
        .filter(|y| (2000..=2100).contains(y))
        .collect();
    // The headline first, then each year.
    let mut slots = vec![Slot { year, membership_year: shown_membership_year, programme: programme_of(shown_flags) }];
    slots.extend(years.into_iter().map(|y| Slot {
        year: y,
        membership_year: Some(y as u16),
        programme: programme_of(&flags_in_year(membership, y as u16, schools)),
    }));

    // Teachers on the roll, per school; and who teaches one of the six.
    let mut counts = vec![TeacherCounts::default(); schools.len()];
    let mut six: FoldMap<u128, bool> = FoldMap::default();
    six.reserve(facts.teachers.len());
    for t in &facts.teachers {
        let programme_subject = t.subject.as_ref().is_some_and(TeacherSubject::is_programme);
        six.insert(t.id.0.as_u128(), programme_subject);
        let Some(i) = school_at(&t.school) else { continue };
        let c = &mut counts[i];
        c.all += 1;
        match &t.subject {
            Some(_) if programme_subject => c.six_subjects += 1,
            Some(_) => {}
            None => c.unstated += 1,
        }
    }

    // Each teacher's submissions together, in the order received (a stable sort keeps it).
    let mut passes: Vec<(u128, i32, Option<usize>)> =
        facts.passed.iter().map(|p| (p.teacher.0.as_u128(), p.received_year, school_at(&p.school))).collect();
    passes.sort_by_key(|p| p.0);
    let first_in_view = passes.iter().filter(|p| p.2.is_some()).map(|p| p.1).min();
    let (mut completed, mut all_completed) = (vec![0u32; slots.len()], vec![0u32; slots.len()]);
    for teacher in passes.chunk_by(|a, b| a.0 == b.0) {
        let of_six = six.get(&teacher[0].0).copied().unwrap_or(false);
        for (k, slot) in slots.iter().enumerate() {
            // Her school by her latest submission received by the year's end.
            let Some(Some(school)) = teacher.iter().rev().find(|p| p.1 <= slot.year).map(|p| p.2) else { continue };
            if slot.programme[school] {
                all_completed[k] += 1;
                completed[k] += u32::from(of_six);
            }
        }
    }

    let mut figures = slots.iter().enumerate().map(|(k, slot)| {
        let mut c = Completion {
            teachers: 0,
            completed: completed[k],
            all_teachers: 0,
            all_completed: all_completed[k],
            year: slot.year,
            target: target_for(targets, slot.year),
            unstated: 0,
            membership_year: slot.membership_year.map(year_label),
            no_data: first_in_view.is_none_or(|first| first > slot.year),
        };
        for (i, _) in slot.programme.iter().enumerate().filter(|(_, p)| **p) {
            c.teachers += counts[i].six_subjects;
            c.all_teachers += counts[i].all;
            c.unstated += counts[i].unstated;
        }
        c
    });
    let headline = figures.next().expect("the headline's slot");
    (headline, figures.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MunicipalityId;
    use uuid::Uuid;

    fn school(n: u128) -> SchoolRef {
        SchoolRef {
            id: SchoolId(Uuid::from_u128(n)),
            name: format!("Школа {n}"),
            municipality_id: MunicipalityId(Uuid::nil()),
        }
    }

    fn teacher(n: u128) -> UserId {
        UserId(Uuid::from_u128(1000 + n))
    }

    const LOW: SchoolFlags = SchoolFlags { low_results: true, unfavourable_conditions: false };
    const NONE: SchoolFlags = SchoolFlags { low_results: false, unfavourable_conditions: false };

    fn targets() -> Vec<YearTarget> {
        [(2020, 10), (2021, 55), (2022, 70), (2023, 80), (2024, 90), (2025, 100)]
            .map(|(year, percent)| YearTarget { year, percent })
            .to_vec()
    }

    /// Two programme schools of 6 teachers (5 of the six subjects and 1 of history each) and a
    /// school outside the programme of 8.
    fn roll() -> (Vec<(SchoolRef, SchoolFlags)>, Vec<RolledTeacher>) {
        let schools = vec![(school(1), LOW), (school(2), LOW), (school(3), NONE)];
        let mut teachers = Vec::new();
        let mut n = 0;
        for (s, size) in [(1, 6), (2, 6), (3, 8)] {
            for i in 0..size {
                n += 1;
                let subject = if i == 0 {
                    TeacherSubject::Other("История".into())
                } else {
                    TeacherSubject::Programme("math")
                };
                teachers.push(RolledTeacher { id: teacher(n), school: school(s).id, subject: Some(subject) });
            }
        }
        (schools, teachers)
    }

    fn passed(t: u128, s: u128, year: i32) -> Passed {
        Passed { teacher: teacher(t), school: school(s).id, received_year: year }
    }

    fn run(
        facts: &CoverageFacts,
        schools: &[(SchoolRef, SchoolFlags)],
        membership: &[MembershipDecision],
    ) -> Vec<Completion> {
        let shown = flags_in_year(membership, 2025, schools);
        coverage(facts, schools, membership, SchoolGroup::All, &shown, Some(2025), 2025, &targets()).1
    }

    fn year(all: &[Completion], y: i32) -> Completion {
        all.iter().find(|c| c.year == y).cloned().unwrap_or_else(|| panic!("no {y} in {all:?}"))
    }

    #[test]
    fn coverage_counts_six_subject_teachers_of_programme_schools_cumulatively() {
        let (schools, teachers) = roll();
        // 2021: teachers 2 and 3 of school 1 (mathematics); 2022: teacher 1 of school 1 (history),
        // teacher 8 of school 2 and teacher 14 of the school outside the programme.
        let facts = CoverageFacts {
            teachers,
            passed: vec![
                passed(2, 1, 2021),
                passed(3, 1, 2021),
                passed(1, 1, 2022),
                passed(8, 2, 2022),
                passed(14, 3, 2022),
            ],
        };
        let all = run(&facts, &schools, &[]);
        assert_eq!(all.iter().map(|c| c.year).collect::<Vec<_>>(), [2020, 2021, 2022, 2023, 2024, 2025]);

        // Nothing received by the end of 2020: no data, not «0 % — нет».
        let y2020 = year(&all, 2020);
        assert!(y2020.no_data);
        assert_eq!(y2020.verdict_ru(), "нет данных");

        // 2021: 2 of the 10 six-subject teachers (the two history teachers are not in the
        // denominator), all staff 12; 20 % against 55 %: not met.
        let y2021 = year(&all, 2021);
        assert_eq!((y2021.completed, y2021.teachers, y2021.all_completed, y2021.all_teachers), (2, 10, 2, 12));
        assert_eq!(y2021.meets_target(), Some(false));
        assert_eq!(y2021.verdict_ru(), "нет");

        // 2022 adds one six-subject teacher; the history teacher counts in all staff only, and the
        // school outside the programme in neither.
        let y2022 = year(&all, 2022);
        assert_eq!((y2022.completed, y2022.teachers, y2022.all_completed, y2022.all_teachers), (3, 10, 4, 12));
        // Cumulative: 2025 still counts what was passed in 2021.
        assert_eq!(year(&all, 2025).completed, 3);
    }

    #[test]
    fn a_year_meets_its_target_when_enough_have_passed() {
        let (schools, teachers) = roll();
        let math_teachers: Vec<u128> = (2..=6).chain(8..=12).collect();
        let facts = CoverageFacts {
            teachers,
            passed: math_teachers.iter().map(|&t| passed(t, if t <= 6 { 1 } else { 2 }, 2020)).collect(),
        };
        let all = run(&facts, &schools, &[]);
        let y2020 = year(&all, 2020);
        assert_eq!((y2020.completed, y2020.teachers), (10, 10));
        assert_eq!((y2020.meets_target(), y2020.verdict_ru()), (Some(true), "да"));
        assert_eq!(year(&all, 2025).target.map(|t| t.percent), Some(100));
        assert_eq!(year(&all, 2025).meets_target(), Some(true));
    }

    #[test]
    fn a_school_joining_the_programme_counts_only_from_its_year() {
        let (schools, teachers) = roll();
        // School 3 was outside the programme in 2022-2023 and joined it in 2023-2024.
        let decide = |year: u16, s: u128, flags: SchoolFlags| MembershipDecision {
            school: school(s).id,
            year,
            flags,
            basis: "Приказ № 1".into(),
            basis_date: "2023-08-28".into(),
        };
        let membership: Vec<MembershipDecision> = [2022, 2023]
            .into_iter()
            .flat_map(|y| [decide(y, 1, LOW), decide(y, 2, LOW), decide(y, 3, if y == 2023 { LOW } else { NONE })])
            .collect();
        let facts = CoverageFacts { teachers, passed: vec![passed(14, 3, 2022), passed(2, 1, 2022)] };
        let all = run(&facts, &schools, &membership);
        let y2022 = year(&all, 2022);
        assert_eq!((y2022.completed, y2022.teachers, y2022.membership_year.as_deref()), (1, 10, Some("2022-2023")));
        let y2023 = year(&all, 2023);
        assert_eq!((y2023.completed, y2023.teachers, y2023.all_teachers), (2, 17, 20), "school 3 counts from 2023");
    }

    #[test]
    fn teachers_without_a_stated_subject_are_counted_apart() {
        let (schools, mut teachers) = roll();
        teachers[1].subject = None;
        teachers[2].subject = None;
        let facts = CoverageFacts { teachers, passed: vec![passed(2, 1, 2024), passed(4, 1, 2024)] };
        let y2024 = year(&run(&facts, &schools, &[]), 2024);
        // Teacher 2 passed but nobody said what she teaches: in all staff, not among the six.
        assert_eq!((y2024.completed, y2024.teachers, y2024.unstated), (1, 8, 2));
        assert_eq!((y2024.all_completed, y2024.all_teachers), (2, 12));
        assert_eq!(y2024.unstated_ru().as_deref(), Some("предмет не указан у 2 учителей"));
    }
}
