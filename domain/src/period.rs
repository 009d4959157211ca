//! Reporting periods as the programmes write them, and the only ones a report, a campaign or a
//! query may name: a calendar year «2019», an academic year «2018-2019» (September to August), a
//! quarter of a calendar year «2019-Q2», a school quarter «2018-2019-Q3» or half-year
//! «2018-2019-H1» of an academic year. Anything else («9999», «-2019-Q1», free text) is refused
//! where it enters, so what a school types can never become a period the department's views sort
//! or default to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The years a period may fall in: the programmes start in 2018 and plan to 2030; a wide margin
/// either side, but no year 9999.
pub const YEARS: std::ops::RangeInclusive<u16> = 2000..=2100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Period {
    /// «2019».
    Year(u16),
    /// «2018-2019»: the academic year starting in September of the first year.
    AcademicYear(u16),
    /// «2019-Q2»: a quarter of a calendar year.
    Quarter(u16, u8),
    /// «2018-2019-Q3»: a school quarter (четверть) of an academic year.
    SchoolQuarter(u16, u8),
    /// «2018-2019-H1»: a half of an academic year.
    Half(u16, u8),
}

/// The kind of period a report form is filled for: every report of the form names a period of
/// this kind, so a school's reports of one form line up as a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Year,
    AcademicYear,
    Quarter,
    SchoolQuarter,
    Half,
}

impl PeriodKind {
    /// How to write such a period, for refusals: «учебный год («2025-2026»)».
    pub fn describe_ru(self) -> &'static str {
        match self {
            PeriodKind::Year => "календарный год («2025»)",
            PeriodKind::AcademicYear => "учебный год («2025-2026»)",
            PeriodKind::Quarter => "квартал («2025-Q1»)",
            PeriodKind::SchoolQuarter => "четверть учебного года («2025-2026-Q1»)",
            PeriodKind::Half => "полугодие учебного года («2025-2026-H1»)",
        }
    }
}

/// A (year, month, day) date, months and days from 1.
pub type Date = (i32, u32, u32);

impl Period {
    /// Reads a period as written above; surrounding spaces are forgiven, nothing else is.
    pub fn parse(text: &str) -> Result<Period, String> {
        let text = text.trim();
        let refuse = || {
            Err(format!(
                "Период «{}» не распознан: пишите год («2025»), учебный год («2025-2026»), квартал \
                 («2025-Q1») или четверть и полугодие учебного года («2025-2026-Q1», «2025-2026-H1»).",
                text.chars().take(40).collect::<String>()
            ))
        };
        let year = |s: &str| -> Option<u16> {
            (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
        };
        let part = |s: &str, letter: char, max: u8| -> Option<u8> {
            let n = s.strip_prefix(letter)?;
            (n.len() == 1).then(|| n.parse().ok()).flatten().filter(|n| (1..=max).contains(n))
        };
        // Up to three pieces, and whether there is a fourth: no list is gathered (every view parses
        // the period of every report).
        let mut split = text.split('-');
        let pieces = [split.next(), split.next(), split.next(), split.next()];
        let period = match pieces {
            [Some(y), None, ..] => year(y).map(Period::Year),
            [Some(y), Some(q), None, _] if q.starts_with('Q') => {
                year(y).zip(part(q, 'Q', 4)).map(|(y, q)| Period::Quarter(y, q))
            }
            [Some(a), Some(b), None, _] => {
                year(a).zip(year(b)).filter(|(a, b)| *b == a + 1).map(|(a, _)| Period::AcademicYear(a))
            }
            [Some(a), Some(b), Some(p), None] => {
                let start = year(a).zip(year(b)).filter(|(a, b)| *b == a + 1).map(|(a, _)| a);
                match (start, part(p, 'Q', 4), part(p, 'H', 2)) {
                    (Some(a), Some(q), _) => Some(Period::SchoolQuarter(a, q)),
                    (Some(a), _, Some(h)) => Some(Period::Half(a, h)),
                    _ => None,
                }
            }
            _ => None,
        };
        match period {
            Some(p) if YEARS.contains(&p.first_year()) && YEARS.contains(&(p.first_year() + 1)) => Ok(p),
            _ => refuse(),
        }
    }

    pub fn kind(&self) -> PeriodKind {
        match self {
            Period::Year(_) => PeriodKind::Year,
            Period::AcademicYear(_) => PeriodKind::AcademicYear,
            Period::Quarter(..) => PeriodKind::Quarter,
            Period::SchoolQuarter(..) => PeriodKind::SchoolQuarter,
            Period::Half(..) => PeriodKind::Half,
        }
    }

    /// Reads a period and checks it is of `kind`: a form for academic years takes no «2025».
    pub fn parse_of_kind(text: &str, kind: PeriodKind) -> Result<Period, String> {
        let period = Period::parse(text)?;
        if period.kind() != kind {
            return Err(format!("Период «{period}» не подходит: этот отчёт сдаётся за {}.", kind.describe_ru()));
        }
        Ok(period)
    }

    /// The period of the same kind just before this one: what «прошлый год» means for it.
    pub fn previous(&self) -> Option<Period> {
        let previous = match *self {
            Period::Year(y) => Period::Year(y.checked_sub(1)?),
            Period::AcademicYear(y) => Period::AcademicYear(y.checked_sub(1)?),
            Period::Quarter(y, 1) => Period::Quarter(y.checked_sub(1)?, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            Period::SchoolQuarter(y, 1) => Period::SchoolQuarter(y.checked_sub(1)?, 4),
            Period::SchoolQuarter(y, q) => Period::SchoolQuarter(y, q - 1),
            Period::Half(y, 1) => Period::Half(y.checked_sub(1)?, 2),
            Period::Half(y, h) => Period::Half(y, h - 1),
        };
        YEARS.contains(&previous.first_year()).then_some(previous)
    }

    /// The academic year the period begins in, by its first year: «2025-2026» for «2025-2026-Q3»,
    /// «2024-2025» for the calendar year «2025» (its January is in that academic year). Programme
    /// membership is decided per academic year, so this is the membership a view of the period uses.
    pub fn academic_year(&self) -> u16 {
        let (y, m, _) = self.starts_on();
        let y = y as u16;
        if m >= 9 { y } else { y - 1 }
    }

    /// The calendar year a programme's yearly target for this period is read for: the year an
    /// academic year ends in (ОГЭ and ЕГЭ of «2024-2025» are those of 2025), a calendar year itself.
    pub fn target_year(&self) -> i32 {
        match *self {
            Period::AcademicYear(y) | Period::SchoolQuarter(y, _) | Period::Half(y, _) => i32::from(y) + 1,
            Period::Year(y) | Period::Quarter(y, _) => i32::from(y),
        }
    }

    fn first_year(&self) -> u16 {
        match *self {
            Period::Year(y) | Period::AcademicYear(y) | Period::Quarter(y, _) => y,
            Period::SchoolQuarter(y, _) | Period::Half(y, _) => y,
        }
    }

    /// The first day of the period. School quarters begin in September, November, January and
    /// April; halves in September and January.
    pub fn starts_on(&self) -> Date {
        let y = i32::from(self.first_year());
        match *self {
            Period::Year(_) => (y, 1, 1),
            Period::AcademicYear(_) => (y, 9, 1),
            Period::Quarter(_, q) => (y, u32::from(q) * 3 - 2, 1),
            Period::SchoolQuarter(_, q) => [(y, 9, 1), (y, 11, 1), (y + 1, 1, 1), (y + 1, 4, 1)][usize::from(q) - 1],
            Period::Half(_, h) => [(y, 9, 1), (y + 1, 1, 1)][usize::from(h) - 1],
        }
    }

    /// Whether the period has begun on `today`: a report for a period still to come is a typing
    /// mistake or an early draft, never the one a view should open with.
    pub fn has_begun(&self, today: Date) -> bool {
        self.starts_on() <= today
    }
}

/// Roman numerals of quarters and halves, as Russian documents number them.
const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

impl Period {
    /// The period as a Russian reader writes it: «2026 год», «2025-2026 уч. год», «II квартал
    /// 2026», «2025-2026 уч. год, III четверть», «2025-2026 уч. год, I полугодие». Every page shows
    /// periods this way; the stored and wire form (`Display`, «2026-Q2») stays what it is.
    pub fn ru(&self) -> String {
        let roman = |n: u8| ROMAN[usize::from(n - 1)];
        match *self {
            Period::Year(y) => format!("{y} год"),
            Period::AcademicYear(y) => format!("{y}-{} уч. год", y + 1),
            Period::Quarter(y, q) => format!("{} квартал {y}", roman(q)),
            Period::SchoolQuarter(y, q) => format!("{y}-{} уч. год, {} четверть", y + 1, roman(q)),
            Period::Half(y, h) => format!("{y}-{} уч. год, {} полугодие", y + 1, roman(h)),
        }
    }
}

/// A stored period (`text`) as a page shows it ([`Period::ru`]); anything that is not a period
/// (an old value, free text) is shown as it is rather than hidden.
pub fn ru(text: &str) -> String {
    Period::parse(text).map_or_else(|_| text.to_owned(), |p| p.ru())
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year(y) => write!(f, "{y}"),
            Period::AcademicYear(y) => write!(f, "{y}-{}", y + 1),
            Period::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Period::SchoolQuarter(y, q) => write!(f, "{y}-{}-Q{q}", y + 1),
            Period::Half(y, h) => write!(f, "{y}-{}-H{h}", y + 1),
        }
    }
}

/// `YYYY-MM-DD` as a [`Date`].
pub fn date_of_iso(text: &str) -> Option<Date> {
    let mut parts = text.get(..10)?.split('-');
    let (y, m, d) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// The period as stored: validated and written the one canonical way.
pub fn normalise(text: &str) -> Result<String, String> {
    Period::parse(text).map(|p| p.to_string())
}

/// Why the periods a view was asked for are refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewPeriodProblem {
    /// The two compared years are the wrong way round, the same, or the earlier one alone.
    Comparison(String),
    /// One period is not a period written the one way, not of its kind, or has not begun.
    Period(String),
}

/// The periods a department's view is asked for (`period`: the monitoring period; `from`, `to`:
/// the academic years the dynamics compare, the earlier and the one shown), checked in one place
/// where they enter: each written the one way, `from` and `to` academic years, none still to come
/// (no school can have reported for it, and a view never shows another period in its place), and
/// `from` strictly before `to`: dynamics read backwards would show every rise as a fall. `from`
/// only with `to`: the year shown by default depends on the data, so the order could not be held.
pub fn check_view_periods(
    period: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
) -> Result<(), ViewPeriodProblem> {
    let read = |text: &str, kind: Option<PeriodKind>| -> Result<Period, ViewPeriodProblem> {
        let p = match kind {
            Some(kind) => Period::parse_of_kind(text, kind),
            None => Period::parse(text),
        }
        .map_err(ViewPeriodProblem::Period)?;
        if p.to_string() != text {
            return Err(ViewPeriodProblem::Period(format!("Пишите период так: «{p}».")));
        }
        if !p.has_begun(today) {
            return Err(ViewPeriodProblem::Period(format!(
                "Период «{p}» ещё не начался: отчётов за него нет. Выберите период, который уже идёт или прошёл."
            )));
        }
        Ok(p)
    };
    if let Some(text) = period {
        read(text, None)?;
    }
    let from = from.map(|t| read(t, Some(PeriodKind::AcademicYear))).transpose()?;
    let to = to.map(|t| read(t, Some(PeriodKind::AcademicYear))).transpose()?;
    match (from, to) {
        (Some(from), None) => Err(ViewPeriodProblem::Comparison(format!(
            "Год сравнения {from} указан без показываемого года: укажите оба, сравнивать можно только с более ранним годом."
        ))),
        (Some(from), Some(to)) if from.starts_on() >= to.starts_on() => Err(ViewPeriodProblem::Comparison(format!(
            "Год сравнения должен быть раньше показываемого года: показан {to}, сравнить его можно только с годом до него, а не с {from}."
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_periods_the_programmes_write_are_read() {
        let cases: &[(&str, Period)] = &[
            ("2019", Period::Year(2019)),
            ("2018-2019", Period::AcademicYear(2018)),
            (" 2025-2026 ", Period::AcademicYear(2025)),
            ("2019-Q2", Period::Quarter(2019, 2)),
            ("2018-2019-Q3", Period::SchoolQuarter(2018, 3)),
            ("2018-2019-H2", Period::Half(2018, 2)),
        ];
        for (text, expected) in cases {
            assert_eq!(Period::parse(text), Ok(*expected), "{text}");
            assert_eq!(normalise(text).unwrap(), text.trim(), "written back the same way");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "",
            "9999",
            "1999",
            "2101",
            "-2019-Q1",
            "2019-Q0",
            "2019-Q5",
            "2019-2021",
            "2019-2018",
            "2019-2020-Q5",
            "2019-2020-H3",
            "2019-q1",
            "19-20",
            "2019 год",
            "2019\u{0}",
            "\u{202E}2019",
            "2019-2020-Q1-x",
            "+2019",
            "２０１９",
            "2019-",
            "2019-Q",
        ] {
            assert!(Period::parse(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn a_period_has_begun_from_its_first_day() {
        let cases: &[(&str, Date, bool)] = &[
            ("2026", (2025, 12, 31), false),
            ("2026", (2026, 1, 1), true),
            ("2025-2026", (2025, 8, 31), false),
            ("2025-2026", (2025, 9, 1), true),
            ("2025-Q3", (2025, 6, 30), false),
            ("2025-Q3", (2025, 7, 1), true),
            ("2025-2026-Q3", (2025, 12, 31), false),
            ("2025-2026-Q3", (2026, 1, 1), true),
            ("2025-2026-H2", (2026, 1, 1), true),
        ];
        for (text, today, begun) in cases {
            assert_eq!(Period::parse(text).unwrap().has_begun(*today), *begun, "{text} on {today:?}");
        }
    }

    #[test]
    fn periods_know_their_kind_the_one_before_and_their_academic_year() {
        let cases: &[(&str, PeriodKind, Option<&str>, u16, i32)] = &[
            ("2025-2026", PeriodKind::AcademicYear, Some("2024-2025"), 2025, 2026),
            ("2025", PeriodKind::Year, Some("2024"), 2024, 2025),
            ("2025-Q1", PeriodKind::Quarter, Some("2024-Q4"), 2024, 2025),
            ("2025-Q4", PeriodKind::Quarter, Some("2025-Q3"), 2025, 2025),
            ("2025-2026-Q1", PeriodKind::SchoolQuarter, Some("2024-2025-Q4"), 2025, 2026),
            ("2025-2026-Q3", PeriodKind::SchoolQuarter, Some("2025-2026-Q2"), 2025, 2026),
            ("2025-2026-H1", PeriodKind::Half, Some("2024-2025-H2"), 2025, 2026),
            ("2000-2001", PeriodKind::AcademicYear, None, 2000, 2001),
        ];
        for (text, kind, previous, academic, target) in cases {
            let p = Period::parse(text).unwrap();
            assert_eq!(p.kind(), *kind, "{text}");
            assert_eq!(p.previous().map(|p| p.to_string()).as_deref(), *previous, "{text}");
            assert_eq!((p.academic_year(), p.target_year()), (*academic, *target), "{text}");
        }
        assert!(Period::parse_of_kind("2025-2026", PeriodKind::AcademicYear).is_ok());
        let refused = Period::parse_of_kind("2025", PeriodKind::AcademicYear).unwrap_err();
        assert!(refused.contains("учебный год («2025-2026»)"), "{refused}");
    }

    #[test]
    fn every_period_reads_in_russian_without_latin_letters() {
        let cases: &[(&str, &str)] = &[
            ("2026", "2026 год"),
            ("2025-2026", "2025-2026 уч. год"),
            ("2026-Q1", "I квартал 2026"),
            ("2026-Q2", "II квартал 2026"),
            ("2026-Q4", "IV квартал 2026"),
            ("2025-2026-Q3", "2025-2026 уч. год, III четверть"),
            ("2025-2026-H1", "2025-2026 уч. год, I полугодие"),
            ("2025-2026-H2", "2025-2026 уч. год, II полугодие"),
            ("не период", "не период"),
        ];
        for (text, shown) in cases {
            assert_eq!(ru(text), *shown, "{text}");
        }
        // Every kind, every part: no Latin letter but the Roman numerals.
        for y in [2000u16, 2025, 2099] {
            let all = [Period::Year(y), Period::AcademicYear(y)]
                .into_iter()
                .chain((1..=4).flat_map(|q| [Period::Quarter(y, q), Period::SchoolQuarter(y, q)]))
                .chain((1..=2).map(|h| Period::Half(y, h)));
            for p in all {
                let shown = p.ru();
                let latin: String = shown.chars().filter(|c| c.is_ascii_alphabetic() && !"IV".contains(*c)).collect();
                assert!(latin.is_empty(), "{p}: {shown}");
                assert_eq!(Period::parse(&p.to_string()), Ok(p), "the stored form is unchanged");
            }
        }
    }

    #[test]
    fn refusal_says_how_to_write_a_period() {
        let message = Period::parse("9999").unwrap_err();
        assert!(message.contains("«9999»") && message.contains("2025-2026"), "{message}");
    }

    #[test]
    fn a_view_compares_a_year_only_with_an_earlier_one_and_never_a_period_to_come() {
        use ViewPeriodProblem::{Comparison, Period as P};
        let today = (2026, 12, 7);
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<fn(String) -> ViewPeriodProblem>);
        let cases: &[Case] = &[
            (None, None, None, None),
            (None, Some("2024-2025"), Some("2025-2026"), None),
            (None, Some("2018-2019"), Some("2026-2027"), None),
            (None, None, Some("2025-2026"), None),
            (Some("2019"), None, None, None),
            (Some("2026-2027"), None, None, None),
            // The wrong way round, the same year, the earlier year alone.
            (None, Some("2025-2026"), Some("2024-2025"), Some(Comparison)),
            (None, Some("2025-2026"), Some("2025-2026"), Some(Comparison)),
            (None, Some("2024-2025"), None, Some(Comparison)),
            // Years still to come, whichever parameter names them.
            (None, Some("2024-2025"), Some("2027-2028"), Some(P)),
            (None, Some("2099-2100"), Some("2100-2101"), Some(P)),
            (None, None, Some("2030-2031"), Some(P)),
            (Some("2030"), None, None, Some(P)),
            (Some("2027"), None, None, Some(P)),
            (Some("2026-2027-H2"), None, None, Some(P)),
            // Not periods, not written the one way, or of the wrong kind.
            (None, Some("2025"), Some("2025-2026"), Some(P)),
            (None, Some("2024-2025"), Some("2025-2026-Q1"), Some(P)),
            (None, Some(" 2024-2025"), Some("2025-2026"), Some(P)),
            (Some("мусор"), None, None, Some(P)),
            (None, None, Some(""), Some(P)),
        ];
        for (period, from, to, expected) in cases {
            let found = check_view_periods(*period, *from, *to, today);
            match (expected, found) {
                (None, Ok(())) => {}
                (Some(kind), Err(problem)) => {
                    let same = std::mem::discriminant(&kind(String::new())) == std::mem::discriminant(&problem);
                    assert!(same, "{period:?} {from:?} {to:?}: {problem:?}");
                    let (ViewPeriodProblem::Comparison(m) | ViewPeriodProblem::Period(m)) = problem;
                    assert!(m.chars().any(|c| ('а'..='я').contains(&c)), "a Russian sentence: {m}");
                }
                (expected, found) => panic!("{period:?} {from:?} {to:?}: {found:?}, expected {}", expected.is_some()),
            }
        }
        let reversed = check_view_periods(None, Some("2025-2026"), Some("2024-2025"), today).unwrap_err();
        assert!(
            matches!(&reversed, ViewPeriodProblem::Comparison(m) if m.starts_with("Год сравнения должен быть раньше показываемого года")),
            "{reversed:?}"
        );
    }
}
