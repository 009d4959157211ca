//! Reading numbers the way Russian officials type them into report tables, and saying plainly
//! what is wrong when they cannot be read.
//!
//! The seed documents show what arrives: a decimal comma («16,6»), percent signs with and without
//! a space, doubled by mistake («23%%»), counts with a share in brackets («1 (9%)»), units spelled
//! out in any case («63 балла», «45 баллов»), the previous year in brackets («63 балла (в
//! 2017-2018г – 69)»), targets in words («Более 70 баллов», «Не менее 32%») and a dash for "not
//! applicable" (an ООШ has no 11th grade). The app and the server read every cell with these
//! functions, so a value means the same on the phone and in the department's tables.

use serde::{Deserialize, Serialize};

/// What a numeric cell measures: decides which units may follow the number and its range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A share, 0–100.
    Percent,
    /// An exam score (ЕГЭ, ОГЭ), 0–100 points.
    Points,
    /// How many of something: a whole number, not negative.
    Count,
}

impl Unit {
    /// What follows a figure of this unit on screen: «%», «баллов», nothing for a count.
    pub fn suffix_ru(self) -> Option<&'static str> {
        match self {
            Unit::Percent => Some("%"),
            Unit::Points => Some("баллов"),
            Unit::Count => None,
        }
    }

    /// The unit after a written figure, agreeing with it as Russian does: «63 балла», «21 балл»,
    /// «45 баллов», «47,8 балла» (a fraction takes «балла»), «12,5 %».
    pub fn after_figure_ru(self, figure: &str) -> Option<&'static str> {
        if self != Unit::Points {
            return self.suffix_ru();
        }
        if figure.contains([',', '.']) {
            return Some("балла");
        }
        let digits: String = figure.chars().rev().take_while(char::is_ascii_digit).take(2).collect();
        let last_two: u32 = digits.chars().rev().collect::<String>().parse().unwrap_or(0);
        Some(match (last_two % 10, last_two % 100) {
            (_, 11..=14) => "баллов",
            (1, _) => "балл",
            (2..=4, _) => "балла",
            _ => "баллов",
        })
    }
}

/// A value read from a cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reading {
    /// «–», «-», «нет»: the indicator does not apply to this school.
    NotApplicable,
    Value {
        value: f64,
        /// A count given beside a share: «1 (9%)» is one pupil, 9 %.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        /// The previous year's value given in brackets: «63 балла (в 2017-2018г – 69)».
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<f64>,
    },
}

impl Reading {
    pub fn value(&self) -> Option<f64> {
        match self {
            Reading::NotApplicable => None,
            Reading::Value { value, .. } => Some(*value),
        }
    }
}

/// How a target compares: «Более 70» is `MoreThan`, «Не менее 32%» `AtLeast`, a bare «0%» `Exactly`;
/// a signed «+5 %» or «−3 %» is `Change`, against the previous year's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Exactly,
    MoreThan,
    AtLeast,
    LessThan,
    AtMost,
    /// A change from the previous year of at least the target's value, in its direction: «+5 %»
    /// is a rise of 5 or more (percentage points for a share), «−3 %» a fall of 3 or more.
    Change,
}

/// An expected value: «Более 70 баллов».
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub comparison: Comparison,
    pub value: f64,
}

impl Target {
    /// Whether `actual` meets the target; a change target needs the `previous` year's value, and
    /// without it is not judged (`None`).
    pub fn met(&self, actual: f64, previous: Option<f64>) -> Option<bool> {
        const EPS: f64 = 1e-9;
        Some(match self.comparison {
            Comparison::Exactly => (actual - self.value).abs() < EPS,
            Comparison::MoreThan => actual > self.value + EPS,
            Comparison::AtLeast => actual >= self.value - EPS,
            Comparison::LessThan => actual < self.value - EPS,
            Comparison::AtMost => actual <= self.value + EPS,
            Comparison::Change if self.value >= 0.0 => actual - previous? >= self.value - EPS,
            Comparison::Change => actual - previous? <= self.value + EPS,
        })
    }
}

/// Why a cell could not be read, in words for the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, InputError> {
    Err(InputError(message.into()))
}

fn is_dash(s: &str) -> bool {
    matches!(s, "-" | "–" | "—" | "−") || s.eq_ignore_ascii_case("нет данных") || s == "н/д"
}

/// Reads a number with a decimal comma or point and optional thousands spaces: «16,6», «1 234».
/// Refuses more than one separator and anything else: the caller has already removed units.
fn number(text: &str) -> Result<f64, InputError> {
    let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
    let normalised = compact.replace(',', ".");
    if normalised.is_empty() {
        return err("Введите число.");
    }
    if normalised.matches('.').count() > 1 {
        return err(format!("«{text}»: в числе может быть только одна запятая."));
    }
    let unsigned = normalised.strip_prefix(['-', '−', '–']).unwrap_or(&normalised);
    if !unsigned.chars().all(|c| c.is_ascii_digit() || c == '.') || unsigned.starts_with('.') || unsigned.ends_with('.')
    {
        return err(format!("«{text}» — не число."));
    }
    let value = decimal(unsigned).ok_or_else(|| InputError(format!("«{text}» — не число.")))?;
    Ok(if unsigned.len() == normalised.len() { value } else { -value })
}

/// The value of ASCII digits with at most one point. Written out rather than `str::parse`, which
/// would bring the general float parser (several KB of wasm) for numbers people type: up to 15
/// significant digits and 22 decimals, the integer and the power of ten are exact, so their
/// quotient is the correctly rounded value `parse` would give.
fn decimal(digits: &str) -> Option<f64> {
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let significant = format!("{whole}{fraction}");
    let significant = significant.trim_start_matches('0');
    if significant.len() > 15 || fraction.len() > 22 {
        return None;
    }
    let mantissa = significant.bytes().try_fold(0u64, |n, b| Some(n * 10 + u64::from(b.checked_sub(b'0')?)))?;
    Some(mantissa as f64 / 10f64.powi(fraction.len() as i32))
}

/// Splits «63 балла» into the number part and the unit word after it, dropping percent signs
/// (one or doubled: «23%%» is a typing slip for 23 %).
fn number_and_unit(text: &str) -> (String, String, bool) {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, ',' | '.' | ' ' | '\u{a0}' | '-' | '−' | '–')))
        .map_or(text.len(), |(i, _)| i);
    let (num, rest) = text.split_at(end);
    let rest = rest.trim();
    let percent = rest.starts_with('%');
    let unit = rest.trim_start_matches('%').trim().to_lowercase();
    (num.trim().to_owned(), unit, percent)
}

fn check_unit_word(unit: Unit, word: &str, percent: bool, text: &str) -> Result<(), InputError> {
    let points = word.starts_with("балл");
    match unit {
        Unit::Percent if points => err(format!("«{text}»: здесь нужна доля в процентах, а не баллы.")),
        Unit::Points if percent => err(format!("«{text}»: здесь нужен балл, а не проценты.")),
        Unit::Count if percent || points => err(format!("«{text}»: здесь нужно количество.")),
        _ if !word.is_empty() && !points && !matches!(word, "чел" | "чел." | "человек" | "шт" | "шт.") => {
            err(format!("«{text}»: непонятное «{word}» после числа."))
        }
        _ => Ok(()),
    }
}

fn check_range(unit: Unit, value: f64, text: &str) -> Result<(), InputError> {
    match unit {
        Unit::Percent if !(0.0..=100.0).contains(&value) => err(format!("«{text}»: доля должна быть от 0 до 100 %.")),
        Unit::Points if !(0.0..=100.0).contains(&value) => err(format!("«{text}»: балл ЕГЭ и ОГЭ — от 0 до 100.")),
        Unit::Count if value < 0.0 => err(format!("«{text}»: количество не может быть отрицательным.")),
        Unit::Count if value.fract() != 0.0 => err(format!("«{text}»: количество — целое число.")),
        _ => Ok(()),
    }
}

/// Reads one plain value with its unit: «63 балла», «16,6», «12 %», «23%%».
fn plain(unit: Unit, text: &str) -> Result<f64, InputError> {
    // Most cells are a bare number: read those without the general reader's allocations (the
    // department's views read every cell of 2,000 schools' reports for five years).
    match bare_number(unit, text) {
        Some(value) => Ok(value),
        None => plain_in_general(unit, text),
    }
}

/// A cell that is only digits with at most one decimal comma or point, where a share may be
/// followed by percent signs, read exactly as [`plain_in_general`] reads it, without allocating.
/// `None` for anything else, and for a value the general reader refuses: it then says why.
fn bare_number(unit: Unit, text: &str) -> Option<f64> {
    let text = text.trim();
    let digits = match text.find('%') {
        // «12 %», «23%%»: the general reader takes the signs as no unit word, for a share only.
        Some(at) if unit == Unit::Percent && text[at..].bytes().all(|b| b == b'%') => text[..at].trim_end_matches(' '),
        Some(_) => return None,
        None => text,
    };
    let bytes = digits.as_bytes();
    let separator = bytes.iter().position(|b| matches!(b, b',' | b'.'));
    let (whole, fraction) = match separator {
        Some(at) => (&bytes[..at], &bytes[at + 1..]),
        None => (bytes, &[][..]),
    };
    if whole.is_empty() || (separator.is_some() && fraction.is_empty()) {
        return None;
    }
    // As `decimal` reads it: at most 15 significant digits, 22 decimals.
    let (mut mantissa, mut significant) = (0u64, 0usize);
    for &b in whole.iter().chain(fraction) {
        if !b.is_ascii_digit() {
            return None;
        }
        if significant > 0 || b != b'0' {
            significant += 1;
            if significant > 15 {
                return None;
            }
            mantissa = mantissa * 10 + u64::from(b - b'0');
        }
    }
    if fraction.len() > 22 {
        return None;
    }
    let value = mantissa as f64 / 10f64.powi(fraction.len() as i32);
    check_range(unit, value, text).ok()?;
    Some(value)
}

/// [`plain`] for any text: units in words, thousands spaces, signs, and every refusal.
fn plain_in_general(unit: Unit, text: &str) -> Result<f64, InputError> {
    let (num, word, percent) = number_and_unit(text);
    if num.is_empty() {
        return err(format!("«{text}»: не найдено число."));
    }
    check_unit_word(unit, &word, percent, text)?;
    let value = number(&num)?;
    check_range(unit, value, text)?;
    Ok(value)
}

/// Reads a current value as typed in a report cell.
///
/// Accepts a dash for "not applicable", a count with a share («1 (9%)», read as the share for a
/// [`Unit::Percent`] indicator), and the previous year in brackets after the value.
pub fn read_value(unit: Unit, input: &str) -> Result<Reading, InputError> {
    let text = input.trim();
    if text.is_empty() {
        return err("Заполните поле или поставьте «–», если показатель к школе не относится.");
    }
    if is_dash(text) {
        return Ok(Reading::NotApplicable);
    }
    let (head, bracket) = match text.split_once('(') {
        Some((head, rest)) => {
            let Some(inner) = rest.strip_suffix(')') else {
                return err(format!("«{text}»: не закрыта скобка."));
            };
            (head.trim(), Some(inner.trim()))
        }
        None => (text, None),
    };
    let Some(bracket) = bracket else {
        return Ok(Reading::Value { value: plain(unit, head)?, count: None, previous: None });
    };
    // «(в 2017-2018г – 69)»: the previous year's value after the last dash.
    if bracket.to_lowercase().starts_with("в ") {
        let Some((_, prev)) = bracket.rsplit_once(['–', '—']).or_else(|| bracket.rsplit_once(" - ")) else {
            return err(format!("«{text}»: в скобках нужно значение прошлого года, например «(в 2017-2018г – 69)»."));
        };
        let previous = plain(unit, prev)?;
        return Ok(Reading::Value { value: plain(unit, head)?, count: None, previous: Some(previous) });
    }
    // «1 (9%)»: a count and its share.
    let count = plain(Unit::Count, head)?;
    let share = plain(Unit::Percent, bracket)?;
    let value = if unit == Unit::Percent { share } else { count };
    Ok(Reading::Value { value, count: Some(count as u32), previous: None })
}

/// Reads an expected value: «Более 70 баллов», «Не менее 32%», «0%», and a change from the
/// previous year, «+5 %», «−3 %» (the sign written, the size read as any value of the unit is).
pub fn read_target(unit: Unit, input: &str) -> Result<Option<Target>, InputError> {
    let text = input.trim();
    if !is_dash(text) {
        // A bare number («0%») begins with no word or sign of comparison and has no letters to
        // lower; «Не менее 32%» is a word read without lowering the whole text, then a bare number.
        if let Some(value) = bare_number(unit, text) {
            return Ok(Some(Target { comparison: Comparison::Exactly, value }));
        }
        let compared = COMPARISONS.iter().find_map(|(word, c)| Some((*c, strip_prefix_in_any_case(text, word)?)));
        match compared {
            Some((comparison, Ok(rest))) => {
                if let Some(value) = bare_number(unit, rest) {
                    return Ok(Some(Target { comparison, value }));
                }
            }
            // A letter that lowers to more than one: only the general reader lowers it right.
            Some((_, Err(()))) | None => {}
        }
    }
    read_target_in_general(unit, input)
}

/// A target written as a signed change, «+5 %», «-3 %», «− 2 балла»: `None` when `text` is not one
/// (no sign, or a dash standing alone for "not applicable").
fn change_target(unit: Unit, text: &str) -> Option<Result<Target, InputError>> {
    let (falls, rest) = match text.chars().next()? {
        '+' => (false, &text[1..]),
        c @ ('-' | '−' | '–' | '—') => (true, &text[c.len_utf8()..]),
        _ => return None,
    };
    let rest = rest.trim_start();
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(match plain(unit, rest) {
        Ok(size) => Ok(Target { comparison: Comparison::Change, value: if falls { -size } else { size } }),
        Err(e) => Err(InputError(e.0.replace(&format!("«{rest}»"), &format!("«{text}»")))),
    })
}

/// The words and signs a target may begin with, lower case, in the order they are tried («не
/// более» before «более»).
const COMPARISONS: [(&str, Comparison); 12] = [
    ("не менее", Comparison::AtLeast),
    ("не более", Comparison::AtMost),
    ("не ниже", Comparison::AtLeast),
    ("не выше", Comparison::AtMost),
    ("более", Comparison::MoreThan),
    ("больше", Comparison::MoreThan),
    ("менее", Comparison::LessThan),
    ("меньше", Comparison::LessThan),
    ("≥", Comparison::AtLeast),
    ("≤", Comparison::AtMost),
    (">", Comparison::MoreThan),
    ("<", Comparison::LessThan),
];

/// `text` after `word` (lower case) when `text` begins with it in any case, as
/// `text.to_lowercase().strip_prefix(word)` finds it; `Some(Err(()))` when a character of the
/// beginning lowers to more than one character, which only the general reader handles.
fn strip_prefix_in_any_case<'t>(text: &'t str, word: &str) -> Option<Result<&'t str, ()>> {
    let mut chars = text.char_indices();
    for expected in word.chars() {
        let (_, typed) = chars.next()?;
        let mut lowered = typed.to_lowercase();
        let (Some(first), None) = (lowered.next(), lowered.next()) else { return Some(Err(())) };
        if first != expected {
            return None;
        }
    }
    Some(Ok(chars.next().map_or("", |(at, _)| &text[at..])))
}

/// [`read_target`] for any text.
fn read_target_in_general(unit: Unit, input: &str) -> Result<Option<Target>, InputError> {
    let text = input.trim();
    if is_dash(text) {
        return Ok(None);
    }
    if let Some(change) = change_target(unit, text) {
        return change.map(Some);
    }
    let lower = text.to_lowercase();
    let (comparison, rest) = COMPARISONS
        .iter()
        .find_map(|(word, c)| lower.strip_prefix(word).map(|rest| (*c, rest.trim().to_owned())))
        .unwrap_or((Comparison::Exactly, lower.clone()));
    let value = plain(unit, &rest).map_err(|e| InputError(e.0.replace(&format!("«{rest}»"), &format!("«{text}»"))))?;
    Ok(Some(Target { comparison, value }))
}

/// Whether a change from `previous` to `current` is an improvement for an indicator where
/// `lower_is_better` (a share of pupils without a certificate) or higher is (an average score).
/// `None` when the value did not change.
pub fn improved(lower_is_better: bool, previous: f64, current: f64) -> Option<bool> {
    if (current - previous).abs() < 1e-9 {
        return None;
    }
    Some((current < previous) == lower_is_better)
}

#[cfg(test)]
mod tests {

    #[test]
    fn points_agree_with_the_figure_before_them() {
        for (figure, unit) in [
            ("63", "балла"),
            ("21", "балл"),
            ("1", "балл"),
            ("11", "баллов"),
            ("12", "баллов"),
            ("45", "баллов"),
            ("100", "баллов"),
            ("102", "балла"),
            ("47,8", "балла"),
        ] {
            assert_eq!(Unit::Points.after_figure_ru(figure), Some(unit), "{figure}");
        }
        assert_eq!(Unit::Percent.after_figure_ru("12,5"), Some("%"));
        assert_eq!(Unit::Count.after_figure_ru("3"), None);
    }
    #[test]
    fn typed_decimals_read_exactly_as_the_standard_parser_reads_them() {
        for typed in ["0", "7", "16.6", "0.1", "33.333", "100", "1234567.89", "0.000001", "007.50", "999999999999999"] {
            assert_eq!(decimal(typed), Some(typed.parse::<f64>().unwrap()), "{typed}");
        }
        assert_eq!(decimal("1234567890123456"), None, "more digits than a double holds exactly");
    }

    use super::*;

    fn value(v: f64) -> Reading {
        Reading::Value { value: v, count: None, previous: None }
    }

    #[test]
    fn the_seeds_current_values_read_as_their_authors_meant() {
        // Cells of seed 000, Приложение 6, as they stand.
        assert_eq!(
            read_value(Unit::Percent, "1 (9%)"),
            Ok(Reading::Value { value: 9.0, count: Some(1), previous: None })
        );
        assert_eq!(
            read_value(Unit::Percent, "0 (0%)"),
            Ok(Reading::Value { value: 0.0, count: Some(0), previous: None })
        );
        assert_eq!(read_value(Unit::Percent, "0%"), Ok(value(0.0)));
        assert_eq!(read_value(Unit::Percent, "12 %"), Ok(value(12.0)));
        assert_eq!(read_value(Unit::Percent, "16,6"), Ok(value(16.6)));
        assert_eq!(read_value(Unit::Percent, "11,1%"), Ok(value(11.1)));
        assert_eq!(read_value(Unit::Percent, "23%%"), Ok(value(23.0)), "a doubled percent sign is a slip");
        assert_eq!(
            read_value(Unit::Points, "63 балла (в 2017-2018г – 69)"),
            Ok(Reading::Value { value: 63.0, count: None, previous: Some(69.0) })
        );
        assert_eq!(
            read_value(Unit::Points, "45 баллов (в 2017-2018г – 47,8)"),
            Ok(Reading::Value { value: 45.0, count: None, previous: Some(47.8) })
        );
        assert_eq!(
            read_value(Unit::Percent, "0% (в 2017-2018г –5%)"),
            Ok(Reading::Value { value: 0.0, count: None, previous: Some(5.0) })
        );
        assert_eq!(read_value(Unit::Points, "51 балл"), Ok(value(51.0)));
        assert_eq!(read_value(Unit::Points, "-"), Ok(Reading::NotApplicable));
        assert_eq!(read_value(Unit::Points, " – "), Ok(Reading::NotApplicable));
    }

    #[test]
    fn the_seeds_targets_read_with_their_comparison() {
        let t = |c, v| Ok(Some(Target { comparison: c, value: v }));
        assert_eq!(read_target(Unit::Points, "Более 70 баллов"), t(Comparison::MoreThan, 70.0));
        assert_eq!(read_target(Unit::Percent, "Не менее 32%"), t(Comparison::AtLeast, 32.0));
        assert_eq!(read_target(Unit::Percent, "0%"), t(Comparison::Exactly, 0.0));
        assert_eq!(read_target(Unit::Percent, "Более 10%"), t(Comparison::MoreThan, 10.0));
        assert_eq!(read_target(Unit::Points, "-"), Ok(None));
    }

    #[test]
    fn a_target_beyond_the_scale_is_refused_with_the_reason() {
        // Seed 000, Полянская СОШ: «Более 670 баллов» — an ЕГЭ score is at most 100.
        let e = read_target(Unit::Points, "Более 670 баллов").unwrap_err();
        assert!(e.0.contains("от 0 до 100"), "{e}");
        assert!(e.0.contains("Более 670 баллов"), "the message quotes what was typed: {e}");
    }

    #[test]
    fn bad_input_gets_a_reason_a_person_understands() {
        for (unit, input, says) in [
            (Unit::Percent, "", "Заполните поле"),
            (Unit::Percent, "101", "от 0 до 100"),
            (Unit::Percent, "-5", "от 0 до 100"),
            (Unit::Count, "-1", "отрицательным"),
            (Unit::Count, "2,5", "целое"),
            (Unit::Percent, "63 балла", "в процентах"),
            (Unit::Points, "63%", "балл"),
            (Unit::Percent, "1,2,3", "одна запятая"),
            (Unit::Percent, "около 5", "не найдено число"),
            (Unit::Percent, "5 штук", "непонятное"),
            (Unit::Points, "63 (в 2018", "скобка"),
            (Unit::Percent, "1 (120%)", "от 0 до 100"),
        ] {
            let e = read_value(unit, input).expect_err(input);
            assert!(e.0.contains(says), "{input:?}: {e}");
        }
    }

    #[test]
    fn targets_are_met_by_their_comparison() {
        let more = Target { comparison: Comparison::MoreThan, value: 70.0 };
        assert!(more.met(70.0, None) == Some(false) && more.met(70.5, None) == Some(true));
        let at_least = Target { comparison: Comparison::AtLeast, value: 32.0 };
        assert!(at_least.met(32.0, None) == Some(true) && at_least.met(31.9, None) == Some(false));
        let zero = Target { comparison: Comparison::Exactly, value: 0.0 };
        assert!(zero.met(0.0, Some(4.0)) == Some(true) && zero.met(9.0, None) == Some(false));
    }

    #[test]
    fn signed_targets_are_changes_from_the_previous_year() {
        let change = |v| Ok(Some(Target { comparison: Comparison::Change, value: v }));
        for (unit, typed, read) in [
            (Unit::Percent, "+5 %", change(5.0)),
            (Unit::Percent, "+5%", change(5.0)),
            (Unit::Percent, " + 2,5 % ", change(2.5)),
            (Unit::Percent, "-3 %", change(-3.0)),
            (Unit::Percent, "−3%", change(-3.0)),
            (Unit::Percent, "– 1,5 %", change(-1.5)),
            (Unit::Points, "+4 балла", change(4.0)),
            (Unit::Count, "+2", change(2.0)),
            // A dash alone is still "not applicable", and the unsigned forms read as before.
            (Unit::Percent, "–", Ok(None)),
            (Unit::Percent, "5 %", Ok(Some(Target { comparison: Comparison::Exactly, value: 5.0 }))),
        ] {
            assert_eq!(read_target(unit, typed), read, "{typed:?}");
        }
        for (unit, typed, says) in [
            (Unit::Percent, "+150 %", "от 0 до 100"),
            (Unit::Percent, "+5 баллов", "в процентах"),
            (Unit::Percent, "+5,5,5", "одна запятая"),
        ] {
            let e = read_target(unit, typed).expect_err(typed);
            assert!(e.0.contains(says) && e.0.contains(typed.trim()), "{typed:?}: {e}");
        }
        // Met against the previous year, in the sign's direction; without it, not judged.
        let rise = Target { comparison: Comparison::Change, value: 5.0 };
        assert_eq!(
            (rise.met(70.0, Some(65.0)), rise.met(69.0, Some(65.0)), rise.met(70.0, None)),
            (Some(true), Some(false), None)
        );
        let fall = Target { comparison: Comparison::Change, value: -3.0 };
        assert_eq!((fall.met(6.0, Some(9.0)), fall.met(7.0, Some(9.0))), (Some(true), Some(false)));
    }

    #[test]
    fn improvement_depends_on_the_direction() {
        assert_eq!(improved(false, 69.0, 63.0), Some(false), "an average score fell");
        assert_eq!(improved(true, 9.0, 0.0), Some(true), "fewer pupils without a certificate");
        assert_eq!(improved(true, 5.0, 5.0), None);
    }

    #[test]
    fn a_bare_number_reads_as_the_general_reader_reads_it() {
        // Every text of up to four characters over the characters cells are made of, and some
        // longer ones at the limits of `decimal`: the quick reading never differs from the general
        // one, whether it reads a value or leaves a refusal to it.
        let alphabet = ['0', '1', '9', ',', '.', ' ', '%', '-', 'б', '\u{a0}'];
        let mut texts: Vec<String> = vec![String::new()];
        let mut last: Vec<String> = vec![String::new()];
        for _ in 0..4 {
            last = last.iter().flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}"))).collect();
            texts.extend(last.iter().cloned());
        }
        texts.extend(
            [
                "123456789012345",
                "1234567890123456",
                "000000000000000000001",
                "0,0000000000000000000001",
                "0,00000000000000000000001",
                "99,999999999999",
                "100,0 %%",
                "100,1%",
                " 7,5 % ",
                "12\t%",
                "7 балла",
            ]
            .map(str::to_owned),
        );
        let mut quick = 0;
        for unit in [Unit::Percent, Unit::Points, Unit::Count] {
            for text in &texts {
                let general = plain_in_general(unit, text);
                if let Some(value) = bare_number(unit, text) {
                    quick += 1;
                    assert_eq!(general, Ok(value), "{unit:?} «{text}»");
                    assert_eq!(general.as_ref().map(|v| v.to_bits()), Ok(value.to_bits()), "bit for bit: «{text}»");
                }
                assert_eq!(plain(unit, text), general, "{unit:?} «{text}»");
                assert_eq!(read_target(unit, text), read_target_in_general(unit, text), "target {unit:?} «{text}»");
            }
        }
        assert!(quick > 1000, "the quick reading reads the common cells ({quick})");
        // Targets with their words and signs, in any case, with what may follow them.
        let mut targets = 0;
        for word in [
            "Не менее",
            "не более",
            "НЕ НИЖЕ",
            "Не выше",
            "Более",
            "больше",
            "менее",
            "МЕНЬШЕ",
            "≥",
            "≤",
            ">",
            "<",
            "Нe",
            "İ",
            "Σ",
            "",
        ] {
            for space in ["", " ", "  "] {
                for rest in ["5", "32%", "70 баллов", "12,5 %", "101", "-3", "", "%", "5 5", "5,", "Более 5"]
                {
                    let text = format!("{word}{space}{rest}");
                    for unit in [Unit::Percent, Unit::Points, Unit::Count] {
                        assert_eq!(
                            read_target(unit, &text),
                            read_target_in_general(unit, &text),
                            "target {unit:?} «{text}»"
                        );
                        targets += usize::from(read_target(unit, &text).is_ok_and(|t| t.is_some()));
                    }
                }
            }
        }
        assert!(targets > 100, "the words are read ({targets})");
        assert_eq!(
            read_target(Unit::Percent, " 12,5% "),
            Ok(Some(Target { comparison: Comparison::Exactly, value: 12.5 }))
        );
        assert_eq!(
            read_target(Unit::Points, "Более 70"),
            Ok(Some(Target { comparison: Comparison::MoreThan, value: 70.0 }))
        );
        assert!(read_target(Unit::Points, "70 %").is_err(), "a share is no score: refused as before");
    }
}
