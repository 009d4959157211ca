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
        let pieces: Vec<&str> = text.split('-').collect();
        let period = match pieces.as_slice() {
            [y] => year(y).map(Period::Year),
            [y, q] if q.starts_with('Q') => year(y).zip(part(q, 'Q', 4)).map(|(y, q)| Period::Quarter(y, q)),
            [a, b] => year(a).zip(year(b)).filter(|(a, b)| *b == a + 1).map(|(a, _)| Period::AcademicYear(a)),
            [a, b, p] => {
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
    fn refusal_says_how_to_write_a_period() {
        let message = Period::parse("9999").unwrap_err();
        assert!(message.contains("«9999»") && message.contains("2025-2026"), "{message}");
    }
}
