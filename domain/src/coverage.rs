//! The self-diagnosis coverage as the programme defines it (seed 002, Раздел IV): «количество
//! учителей русского языка, математики, физики, географии, обществознания, начальной школы,
//! прошедших профессиональную самодиагностику» in the programme's schools, against a target per
//! calendar year (2020 — 10 %, … 2025 — 100 %).
//!
//! - The denominator is the teachers of the six subjects of the schools in the programme (ШНОР or
//!   ШФНСУ) that year; all teachers of those schools are the second figure; teachers whose subject
//!   nobody stated are counted apart and named next to the figure, never guessed into either.
//! - A teacher's subject is the one whose questionnaire she answered (her latest submission by the
//!   year's end) once she has answered one, her account's ([`TeacherSubject`]) until then: the
//!   department's record may lag behind what she teaches, and the deficits by subject already
//!   count her under the questionnaire's subject. Where the two disagree, the figure says how many
//!   teachers (a count over the whole view, never who or where).
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
use std::collections::BTreeSet;

/// A teacher on a school's roll, as the counts take her: the accounts the department's figures
/// count (active, or switched off after submitting).
#[derive(Clone, Debug, PartialEq)]
pub struct RolledTeacher {
    pub id: UserId,
    pub school: SchoolId,
    /// `None`: not stated.
    pub subject: Option<TeacherSubject>,
}

/// One received self-diagnosis, as coverage reads it: who, where, the calendar year (Moscow time)
/// the server received it, and the subject whose questionnaire she answered. The server's clock,
/// never the device's: a device can be wrong about its date, and a submission sent late in a year
/// must not count for the year before.
#[derive(Clone, Debug, PartialEq)]
pub struct Passed {
    pub teacher: UserId,
    pub school: SchoolId,
    pub received_year: i32,
    /// The questionnaire's subject variant she chose (`None`: a form without variants): what she
    /// teaches in practice, and the subject the deficits by subject count her under.
    pub answered: Option<TeacherSubject>,
}

/// What coverage is computed from. `passed` in the server's order of receipt: of a teacher's
/// submissions by a year's end, the last one listed names her school and her subject.
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
    membership_year: u16,
    programme: Vec<bool>,
}

/// A teacher on the roll as the counts need her: her school (by index, `None` outside the view)
/// and what her account says she teaches.
struct OnRoll<'a> {
    school: Option<usize>,
    subject: Option<&'a TeacherSubject>,
}

/// The coverage figures: the headline for calendar year `year` and every calendar year with a
/// target or a submission. Every figure is computed one way, with its own year's membership (the
/// academic year starting in its September), so the headline equals its year's row whichever
/// year the rest of the page shows. `schools` are the view's schools with the flags they carry
/// today.
///
/// Which subject counts: a teacher who has passed counts by the subject of the questionnaire she
/// answered (her latest submission by the year's end): she chose it, answered its questions, and
/// the deficits by subject count her under it, so every figure about her reads one subject. A
/// teacher who has not passed counts by her account's subject, the only one known. Both the
/// denominator and the numerator move together, so the share never exceeds 100 %. Where the two
/// disagree (a different subject, or none stated in the account), `subject_differs` counts it.
///
/// One pass over the submissions serves every year: each teacher's submissions are taken
/// together, and for each year the last one received by its end names her school and subject.
pub fn coverage(
    facts: &CoverageFacts,
    schools: &[(SchoolRef, SchoolFlags)],
    membership: &[MembershipDecision],
    group: SchoolGroup,
    year: i32,
    targets: &[YearTarget],
) -> (Completion, Vec<Completion>) {
    let index: FoldMap<u128, usize> = schools.iter().enumerate().map(|(i, (s, _))| (s.id.0.as_u128(), i)).collect();
    let school_at = |id: &SchoolId| index.get(&id.0.as_u128()).copied();
    let in_programme = |f: &SchoolFlags| (f.low_results || f.unfavourable_conditions) && group.includes(f);
    let slot = |y: i32| {
        let membership_year = y.clamp(0, i32::from(u16::MAX)) as u16;
        let flags = flags_in_year(membership, membership_year, schools);
        let programme = schools.iter().map(|(s, _)| flags.get(&s.id).is_some_and(in_programme)).collect();
        Slot { year: y, membership_year, programme }
    };
    let years: BTreeSet<i32> = targets
        .iter()
        .map(|t| t.year)
        .chain(facts.passed.iter().filter(|p| school_at(&p.school).is_some()).map(|p| p.received_year))
        .filter(|y| (2000..=2100).contains(y))
        .collect();
    // The headline first, then each year: the same computation for both.
    let slots: Vec<Slot> = std::iter::once(year).chain(years).map(slot).collect();

    // Teachers on the roll, per school, by their accounts' subjects.
    let mut counts = vec![TeacherCounts::default(); schools.len()];
    let mut roll: FoldMap<u128, OnRoll<'_>> = FoldMap::default();
    roll.reserve(facts.teachers.len());
    for t in &facts.teachers {
        let school = school_at(&t.school);
        roll.insert(t.id.0.as_u128(), OnRoll { school, subject: t.subject.as_ref() });
        let Some(i) = school else { continue };
        let c = &mut counts[i];
        c.all += 1;
        match &t.subject {
            Some(s) if s.is_programme() => c.six_subjects += 1,
            Some(_) => {}
            None => c.unstated += 1,
        }
    }

    // Each teacher's submissions together, in the order received (a stable sort keeps it).
    let mut passes: Vec<(u128, i32, Option<usize>, Option<&TeacherSubject>)> = facts
        .passed
        .iter()
        .map(|p| (p.teacher.0.as_u128(), p.received_year, school_at(&p.school), p.answered.as_ref()))
        .collect();
    passes.sort_by_key(|p| p.0);
    let first_in_view = passes.iter().filter(|p| p.2.is_some()).map(|p| p.1).min();
    let mut figures: Vec<Completion> = slots
        .iter()
        .map(|slot| Completion {
            teachers: 0,
            completed: 0,
            all_teachers: 0,
            all_completed: 0,
            year: slot.year,
            target: target_for(targets, slot.year),
            unstated: 0,
            subject_differs: 0,
            membership_year: Some(year_label(slot.membership_year)),
            no_data: first_in_view.is_none_or(|first| first > slot.year),
        })
        .collect();
    // What her questionnaire changes in her roll school's counts, per figure: her subject is the
    // questionnaire's once she has answered one.
    let mut moved: Vec<FoldMap<usize, (i32, i32)>> = slots.iter().map(|_| FoldMap::default()).collect();
    for teacher in passes.chunk_by(|a, b| a.0 == b.0) {
        let on_roll = roll.get(&teacher[0].0);
        for (k, slot) in slots.iter().enumerate() {
            // Her school and subject by her latest submission received by the year's end.
            let Some(&(_, _, school, answered)) = teacher.iter().rev().find(|p| p.1 <= slot.year) else { continue };
            let account = on_roll.and_then(|t| t.subject);
            // Only a teacher on the roll is in a denominator, so only she can count among the six.
            let of_six = on_roll.is_some() && answered.or(account).is_some_and(TeacherSubject::is_programme);
            if let Some(school) = school
                && slot.programme[school]
            {
                figures[k].all_completed += 1;
                figures[k].completed += u32::from(of_six);
            }
            if let (Some(answered), Some(OnRoll { school: Some(at), .. })) = (answered, on_roll)
                && account != Some(answered)
            {
                let account_six = account.is_some_and(TeacherSubject::is_programme);
                let e = moved[k].entry(*at).or_default();
                e.0 += i32::from(answered.is_programme()) - i32::from(account_six);
                e.1 -= i32::from(account.is_none());
                if slot.programme[*at] {
                    figures[k].subject_differs += 1;
                }
            }
        }
    }

    for ((c, slot), moved) in figures.iter_mut().zip(&slots).zip(&moved) {
        for (i, _) in slot.programme.iter().enumerate().filter(|(_, p)| **p) {
            let (six, unstated) = moved.get(&i).copied().unwrap_or_default();
            c.teachers += counts[i].six_subjects.saturating_add_signed(six);
            c.all_teachers += counts[i].all;
            c.unstated += counts[i].unstated.saturating_add_signed(unstated);
        }
    }
    let mut figures = figures.into_iter();
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

    /// A submission of a form without variants: she counts by her account's subject.
    fn passed(t: u128, s: u128, year: i32) -> Passed {
        Passed { teacher: teacher(t), school: school(s).id, received_year: year, answered: None }
    }

    /// A submission of the questionnaire of `subject` (its variant's code, or another subject).
    fn answered(t: u128, s: u128, year: i32, subject: &str) -> Passed {
        Passed { answered: Some(TeacherSubject::from_stored(subject)), ..passed(t, s, year) }
    }

    fn run(
        facts: &CoverageFacts,
        schools: &[(SchoolRef, SchoolFlags)],
        membership: &[MembershipDecision],
    ) -> Vec<Completion> {
        coverage(facts, schools, membership, SchoolGroup::All, 2025, &targets()).1
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

    #[test]
    fn a_teacher_counts_by_the_questionnaire_she_answered_and_a_disagreement_is_said() {
        // Teacher 1 of school 1: history by her account; teacher 2: mathematics; teacher 8 of
        // school 2: no subject stated (set below). Each case: what her account says (by the roll),
        // the questionnaire she answered in 2024, and 2024's figures: (passed, six-subject
        // teachers, unstated, disagreements). Without her: 0 of 9, 1 unstated.
        type Figures = (u32, u32, u32, u32);
        let cases: [(u128, u128, Option<&str>, Figures); 7] = [
            // History by the account, mathematics answered: a six-subject teacher in practice.
            (1, 1, Some("math"), (1, 10, 1, 1)),
            // Mathematics both ways: nothing to say.
            (2, 1, Some("math"), (1, 9, 1, 0)),
            // Another of the six answered: counted the same, but the two sources disagree.
            (2, 1, Some("physics"), (1, 9, 1, 1)),
            // No subject in the account, mathematics answered: she is no longer unstated.
            (8, 2, Some("math"), (1, 10, 0, 1)),
            // A questionnaire outside the six: she leaves the six-subject denominator.
            (2, 1, Some("История"), (0, 8, 1, 1)),
            // A form without variants: the account decides, as before.
            (1, 1, None, (0, 9, 1, 0)),
            (2, 1, None, (1, 9, 1, 0)),
        ];
        for (t, s, subject, expected) in cases {
            let (schools, mut teachers) = roll();
            teachers[7].subject = None;
            let submission = match subject {
                Some(subject) => answered(t, s, 2024, subject),
                None => passed(t, s, 2024),
            };
            let facts = CoverageFacts { teachers, passed: vec![submission] };
            let all = run(&facts, &schools, &[]);
            let y2024 = year(&all, 2024);
            assert_eq!(
                (y2024.completed, y2024.teachers, y2024.unstated, y2024.subject_differs),
                expected,
                "teacher {t} answering {subject:?}"
            );
            assert!(y2024.completed <= y2024.teachers, "never more than all of them");
            // All staff move alike whichever subject counts.
            assert_eq!((y2024.all_completed, y2024.all_teachers), (1, 12));
            // Before she answered, her account decided: 2023 has no submission yet.
            assert_eq!(year(&all, 2023).subject_differs, 0);
            assert_eq!(year(&all, 2023).teachers, 9);
        }
        let (schools, teachers) = roll();
        let facts = CoverageFacts { teachers, passed: vec![answered(1, 1, 2024, "math")] };
        assert_eq!(
            year(&run(&facts, &schools, &[]), 2024).subject_differs_ru().as_deref(),
            Some("у 1 учителя предмет в анкете не совпадает с учётной записью: учтён предмет анкеты")
        );
    }

    #[test]
    fn a_later_questionnaire_decides_from_its_year_on() {
        // Teacher 1 (history by her account) answers as history in 2022 (another subject), then as
        // mathematics in 2024: outside the six until 2023, among them from 2024.
        let (schools, teachers) = roll();
        let facts = CoverageFacts {
            teachers,
            passed: vec![answered(1, 1, 2022, "История"), answered(1, 1, 2024, "math")],
        };
        let all = run(&facts, &schools, &[]);
        let figures = |y: i32| {
            let c = year(&all, y);
            (c.completed, c.teachers, c.subject_differs)
        };
        assert_eq!(figures(2022), (0, 10, 0));
        assert_eq!(figures(2023), (0, 10, 0));
        assert_eq!(figures(2024), (1, 11, 1));
    }

    #[test]
    fn the_headline_is_computed_as_its_years_row() {
        // School 3 joins the programme in 2026-2027. Whatever the view shows, «к концу 2026 года»
        // is judged with 2026-2027's membership, as the row of 2026 is.
        let (schools, teachers) = roll();
        let decide = |year: u16, s: u128, flags: SchoolFlags| MembershipDecision {
            school: school(s).id,
            year,
            flags,
            basis: "Приказ № 1".into(),
            basis_date: "2025-08-28".into(),
        };
        let membership: Vec<MembershipDecision> = [2025, 2026]
            .into_iter()
            .flat_map(|y| [decide(y, 1, LOW), decide(y, 2, LOW), decide(y, 3, if y == 2026 { LOW } else { NONE })])
            .collect();
        let facts = CoverageFacts { teachers, passed: vec![passed(2, 1, 2025), passed(15, 3, 2026)] };
        let (headline, rows) = coverage(&facts, &schools, &membership, SchoolGroup::All, 2026, &targets());
        assert_eq!(Some(&headline), rows.iter().find(|c| c.year == 2026));
        assert_eq!(
            (headline.completed, headline.teachers, headline.membership_year.as_deref()),
            (2, 17, Some("2026-2027"))
        );
        // A year nobody decided takes the schools' flags today (school 3 outside), as its row would.
        let (later, _) = coverage(&facts, &schools, &membership, SchoolGroup::All, 2027, &targets());
        assert_eq!((later.year, later.completed, later.teachers), (2027, 1, 10));
    }
}
