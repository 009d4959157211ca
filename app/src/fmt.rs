//! One way to write numbers on every page: shares as percentages with a decimal comma
//! («88,9 %»), counts as whole numbers, dates as Russians write them, and a blank that says why
//! it is blank.

use opora_domain::report::format_number;

/// A blank because the school has not sent the report the figure comes from.
pub const NO_REPORT: &str = "нет отчёта";
/// A blank because there is nothing to compute the figure from.
pub const NO_DATA: &str = "нет данных";
/// What a «не применимо» cell (`sheets::NOT_APPLICABLE`) explains on hover.
pub const NOT_APPLICABLE_TITLE: &str = "Школа поставила «–»: показатель к ней не относится";

/// A blank because the group is too small to show without disclosing someone's answers.
pub fn small_group(min_group: u32) -> String {
    format!("группа меньше {min_group}")
}

/// A share 0–1 as «88,9 %»; «100 %» and «0 %» without a decimal.
pub fn share(value: f64) -> String {
    percent(value * 100.0)
}

/// A figure already in percent (a mean score of 62.5 %) as «62,5 %».
pub fn percent(value: f64) -> String {
    format!("{} %", format_number((value * 10.0).round() / 10.0))
}

/// A share, or the reason there is none.
pub fn share_or(value: Option<f64>, blank: &str) -> String {
    value.map(share).unwrap_or_else(|| blank.to_owned())
}

/// A count as a whole number: «1 250» with a thin space, as Russian print does.
pub fn count(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) && digits.len() > 4 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// «23.11.2026, 14:05» in the user's time zone.
pub fn datetime(ms: i64) -> String {
    locale_string(
        ms,
        &[("day", "2-digit"), ("month", "2-digit"), ("year", "numeric"), ("hour", "2-digit"), ("minute", "2-digit")],
    )
}

/// «30 ноября 2026 г.»: the date of a printed document.
pub fn date_long(ms: i64) -> String {
    locale_string(ms, &[("day", "numeric"), ("month", "long"), ("year", "numeric")])
}

fn locale_string(ms: i64, parts: &[(&str, &str)]) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let options = js_sys::Object::new();
    for (key, value) in parts {
        let _ = js_sys::Reflect::set(&options, &(*key).into(), &(*value).into());
    }
    date.to_locale_string("ru-RU", &options).into()
}
