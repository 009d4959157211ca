//! A school's reports over time: reports of old form versions read as the current version (one
//! report per year when the old version carried the year in its field ids), the periods that have
//! data, a school's series of a field over any number of periods, and the two reports a comparison
//! of two periods reads — the exact periods, never an older report standing in for a missing one.

use crate::analytics::{ReadReport, SchoolReport};
use crate::merge::Fields;
use crate::period::{Date, Period, PeriodKind, YEARS};
use crate::report::{CellValue, ReportForm};
use crate::{ItemId, SchoolId};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A stored report as the server reads it: which version of the form it was typed against.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionedReport {
    pub school: SchoolId,
    pub period: String,
    pub form_version: u32,
    pub fields: Fields,
}

/// The year a field id carries (`oge.math.2019.fail` → 2019) and the id without it
/// (`oge.math.fail`): one dot-separated segment of four digits within [`YEARS`].
pub fn year_in_id(id: &str) -> Option<(u16, String)> {
    let segments: Vec<&str> = id.split('.').collect();
    let at = segments.iter().position(|s| {
        s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) && s.parse().is_ok_and(|y: u16| YEARS.contains(&y))
    })?;
    let year = segments[at].parse().ok()?;
    let rest: Vec<&str> = segments.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, s)| *s).collect();
    Some((year, rest.join(".")))
}

/// The period of `kind` whose results a year's column held: the academic year ending in it (the
/// ОГЭ of 2019 is that of «2018-2019»), or the calendar year itself.
pub fn period_of_year_column(year: u16, kind: PeriodKind) -> Option<Period> {
    match kind {
        PeriodKind::AcademicYear => Some(Period::AcademicYear(year.checked_sub(1)?)),
        PeriodKind::Year => Some(Period::Year(year)),
        _ => None,
    }
}

/// One old report as reports of `form` (the current version): unchanged when its version kept the
/// ids, otherwise one report per year its ids carried, each holding the fields of that year under
/// their new ids; a version that asked for the previous period's values beside the current ones
/// (seed 000's «Результат прошлого года», `previous_period_of_versions`) gives its own period's
/// report without them and the previous period's report made of them. Fields the current version
/// does not have are dropped; the stored report itself is never changed, so this is the mapping,
/// applied wherever reports are read.
pub fn upgrade(form: &ReportForm, report: &VersionedReport) -> Vec<SchoolReport> {
    upgrade_marked(form, report).into_iter().map(|(r, _)| r).collect()
}

/// [`upgrade`], each report marked whether it is the stored report's own (`true`) or read out of
/// a year column or a previous-period column of it (`false`): an own report wins over a read-out one.
fn upgrade_marked(form: &ReportForm, report: &VersionedReport) -> Vec<(SchoolReport, bool)> {
    let splits = form.years_in_ids_of_versions.contains(&report.form_version);
    if let Some(kind) = form.period_kind.filter(|_| splits) {
        let mut by_period: BTreeMap<Period, Fields> = BTreeMap::new();
        for (id, value) in &report.fields {
            let Some((year, new_id)) = year_in_id(id) else { continue };
            let Some(period) = period_of_year_column(year, kind) else { continue };
            if form.field_of_key(&new_id).is_some() && !value.trim().is_empty() {
                by_period.entry(period).or_default().insert(new_id, value.clone());
            }
        }
        return by_period
            .into_iter()
            .map(|(period, fields)| (SchoolReport { school: report.school, period: period.to_string(), fields }, false))
            .collect();
    }
    let previous_columns = form
        .previous_period_of_versions
        .as_ref()
        .filter(|p| form.period_kind.is_some() && p.versions.contains(&report.form_version));
    let Some(columns) = previous_columns else {
        let own = SchoolReport { school: report.school, period: report.period.clone(), fields: report.fields.clone() };
        return vec![(own, true)];
    };
    let mut own = Fields::new();
    let mut before = Fields::new();
    for (id, value) in &report.fields {
        match columns.fields.get(id) {
            Some(new_id) if !value.trim().is_empty() => {
                before.insert(new_id.clone(), value.clone());
            }
            Some(_) => {}
            None => {
                own.insert(id.clone(), value.clone());
            }
        }
    }
    let mut out = vec![(SchoolReport { school: report.school, period: report.period.clone(), fields: own }, true)];
    // Only a period can have a period before it: a stored «9999» keeps its own report alone.
    let previous = Period::parse(&report.period).ok().and_then(|p| p.previous());
    if let Some(previous) = previous.filter(|_| !before.is_empty()) {
        out.push((SchoolReport { school: report.school, period: previous.to_string(), fields: before }, false));
    }
    out
}

/// Every school's reports as reports of the current version `form`, one per school and period.
/// Where several stored reports give the same school and period, a report sent for that period
/// wins over one read out of a column of another report (a year column, or a «прошлого года»
/// column), and among columns the one of the later old report wins (a school corrects last year's
/// figure in this year's table).
pub fn upgrade_all(form: &ReportForm, reports: &[VersionedReport]) -> Vec<SchoolReport> {
    // (school, period) → (priority, report): own reports first, then by the old report's period.
    type Priority = (bool, Option<(Date, u32)>);
    let mut best: HashMap<(SchoolId, String), (Priority, SchoolReport)> = HashMap::new();
    for stored in reports {
        let source = Period::parse(&stored.period).ok().map(|p| (p.starts_on(), stored.form_version));
        for (report, own) in upgrade_marked(form, stored) {
            let priority = (own, source);
            let key = (report.school, report.period.clone());
            match best.get(&key) {
                Some((p, _)) if *p >= priority => {}
                _ => {
                    best.insert(key, (priority, report));
                }
            }
        }
    }
    let mut out: Vec<SchoolReport> = best.into_values().map(|(_, r)| r).collect();
    out.sort_by(|a, b| (a.school, &a.period).cmp(&(b.school, &b.period)));
    out
}

/// The periods, newest first, for which any of `schools` sent a report that has begun by `today`
/// (a report typed for the future never becomes the view's default).
pub fn periods_with_data(reports: &[SchoolReport], schools: &HashSet<SchoolId>, today: Option<Date>) -> Vec<Period> {
    let mut periods: Vec<Period> = reports
        .iter()
        .filter(|r| schools.contains(&r.school))
        .filter_map(|r| Period::parse(&r.period).ok())
        .filter(|p| today.is_none_or(|t| p.has_begun(t)))
        .collect();
    periods.sort_unstable_by_key(|p| std::cmp::Reverse((p.starts_on(), *p)));
    periods.dedup();
    periods
}

/// The two periods a comparison shows: the ones asked for when they are periods at all, else the
/// latest with data and the one before it (of the same kind, whether or not it has data).
pub fn chosen_pair(with_data: &[Period], from: Option<&str>, to: Option<&str>) -> (Option<Period>, Option<Period>) {
    let to = to.and_then(|t| Period::parse(t).ok()).or_else(|| with_data.first().copied());
    let from = from.and_then(|f| Period::parse(f).ok()).or_else(|| to.and_then(|t| t.previous()));
    (from, to)
}

/// How many of the schools a year's view shows sent that year's reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct YearReports {
    /// The academic year, «2025-2026».
    pub period: String,
    pub sent: u32,
    pub schools: u32,
}

impl YearReports {
    /// Enough to read: at least half of the schools shown sent the year's reports. Below that, most
    /// rows of the year would read «нет отчёта»: a year a school has just opened, not one to read.
    pub fn readable(&self) -> bool {
        self.schools > 0 && u64::from(self.sent) * 2 >= u64::from(self.schools)
    }

    /// Why the view opened on an earlier year: «Показан 2024-2025: за 2025-2026 отчёты прислали 1
    /// из 6 школ».
    pub fn why_ru(&self, shown: &str) -> String {
        let n = self.schools;
        let schools = if n % 10 == 1 && n % 100 != 11 { "школы" } else { "школ" };
        format!("Показан {shown}: за {} отчёты прислали {} из {n} {schools}", self.period, self.sent)
    }
}

/// The year a view opens on when nobody picked one: the latest of `years` (newest first, each with
/// how many of its schools sent their reports) that is [`YearReports::readable`], and the newest
/// year passed over for it, if any (the page says why). When no year is readable, the latest.
pub fn readable_year(years: &[YearReports]) -> Option<(&str, Option<&YearReports>)> {
    let newest = years.first()?;
    match years.iter().find(|y| y.readable()) {
        Some(y) if y.period != newest.period => Some((&y.period, Some(newest))),
        Some(y) => Some((&y.period, None)),
        None => Some((&newest.period, None)),
    }
}

/// Each school's report for exactly `period`, if it sent one.
pub fn reports_for<'a>(reports: &'a [SchoolReport], period: &Period) -> HashMap<SchoolId, &'a SchoolReport> {
    let written = period.to_string();
    reports.iter().filter(|r| r.period == written).map(|r| (r.school, r)).collect()
}

/// One school's value of `field` in every period it sent a report for, oldest first; a period whose
/// report leaves the field empty or unreadable has `None`. One call for any number of periods.
pub fn series(
    form: &ReportForm,
    reports: &[SchoolReport],
    school: SchoolId,
    field: &str,
) -> Vec<(Period, Option<f64>)> {
    let mut all = series_of_schools(form, reports.iter().filter(|r| r.school == school), field);
    all.remove(&school).unwrap_or_default()
}

/// Every school's [`series`] of `field`, in one pass over the reports (a table of all schools over
/// five years is one call, not a pass over every report per school). Only `field` is read of
/// each report, as [`read`] would read it.
pub fn series_of_schools<'a>(
    form: &ReportForm,
    reports: impl IntoIterator<Item = &'a SchoolReport>,
    field: &str,
) -> HashMap<SchoolId, Vec<(Period, Option<f64>)>> {
    let fields = crate::analytics::fields_of_keys(form, &[field]).pop().unwrap_or_default();
    let mut out: HashMap<SchoolId, Vec<(Period, Option<f64>)>> = HashMap::new();
    for r in reports {
        let Ok(period) = Period::parse(&r.period) else { continue };
        let value = crate::analytics::read_key(&fields, field, &r.fields).and_then(|v| number_of(&v));
        out.entry(r.school).or_default().push((period, value));
    }
    for points in out.values_mut() {
        points.sort_by_key(|(p, _)| (p.starts_on(), *p));
    }
    out
}

/// A read value as a number: a measured value, or 1 / 0 for yes / no.
fn number_of(value: &CellValue) -> Option<f64> {
    match value {
        CellValue::Measured { reading } => reading.value(),
        CellValue::YesNo { yes } => Some(if *yes { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// A number read from a report: a measured value, or 1 / 0 for yes / no.
pub fn value(read: &ReadReport, field: &str) -> Option<f64> {
    number_of(read.get(&ItemId::from(field))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::read;

    fn school(n: u128) -> SchoolId {
        SchoolId(uuid::Uuid::from_u128(n))
    }

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// The assessment form as published today (years in ids) and as its version without them.
    fn new_form() -> ReportForm {
        serde_json::from_value(serde_json::json!({
            "id": "a", "version": 2, "title": "Результаты", "period_kind": "academic_year",
            "years_in_ids_of_versions": [1],
            "sections": [{ "id": "oge.math", "title": "ОГЭ, математика", "fields": [
                { "id": "oge.math.fail", "label": "Доля «2», %", "type": "value", "unit": "percent" },
                { "id": "oge.math.high", "label": "Доля высоких, %", "type": "value", "unit": "percent" }
            ]}]
        }))
        .unwrap()
    }

    fn old(school_n: u128, period: &str, pairs: &[(&str, &str)]) -> VersionedReport {
        VersionedReport { school: school(school_n), period: period.into(), form_version: 1, fields: fields(pairs) }
    }

    #[test]
    fn a_year_is_found_in_an_id_and_taken_out() {
        let cases: &[(&str, Option<(u16, &str)>)] = &[
            ("vpr.math.5.2019.fail", Some((2019, "vpr.math.5.fail"))),
            ("oge.math.2018.high", Some((2018, "oge.math.high"))),
            ("oge.math.fail", None),
            ("vpr.math.5.fail", None),
            ("x.9999.fail", None),
            ("x.201.fail", None),
        ];
        for (id, expected) in cases {
            assert_eq!(year_in_id(id), expected.map(|(y, s)| (y, s.to_owned())), "{id}");
        }
    }

    #[test]
    fn an_old_report_with_two_year_columns_becomes_two_periods_reports() {
        // Чойская СОШ, seed 002: ОГЭ математика 5 % «2» in 2018, 13 % in 2019.
        let stored = old(
            1,
            "2019",
            &[
                ("oge.math.2018.fail", "5"),
                ("oge.math.2018.high", "10"),
                ("oge.math.2019.fail", "13"),
                ("oge.math.2019.high", ""),
                ("oge.russian.2019.fail", "0"),
            ],
        );
        let upgraded = upgrade(&new_form(), &stored);
        assert_eq!(
            upgraded,
            [
                SchoolReport {
                    school: school(1),
                    period: "2017-2018".into(),
                    fields: fields(&[("oge.math.fail", "5"), ("oge.math.high", "10")])
                },
                SchoolReport {
                    school: school(1),
                    period: "2018-2019".into(),
                    fields: fields(&[("oge.math.fail", "13")])
                },
            ],
            "an empty cell and a field the new version lacks are left out"
        );
        // A report of the current version passes unchanged.
        let current = VersionedReport { form_version: 2, ..old(1, "2019-2020", &[("oge.math.fail", "9")]) };
        assert_eq!(upgrade(&new_form(), &current)[0].fields, current.fields);
    }

    #[test]
    fn a_report_sent_for_a_period_wins_over_a_column_of_an_old_one() {
        let reports = [
            old(1, "2019", &[("oge.math.2018.fail", "5"), ("oge.math.2019.fail", "13")]),
            // The next year's old table repeats 2019, corrected: the later table wins.
            old(1, "2020", &[("oge.math.2019.fail", "12"), ("oge.math.2020.fail", "8")]),
            // And a report of the new version for 2019-2020 wins over both.
            VersionedReport { form_version: 2, ..old(1, "2019-2020", &[("oge.math.fail", "7")]) },
        ];
        let all = upgrade_all(&new_form(), &reports);
        let by: Vec<(&str, &str)> =
            all.iter().map(|r| (r.period.as_str(), r.fields["oge.math.fail"].as_str())).collect();
        assert_eq!(by, [("2017-2018", "5"), ("2018-2019", "12"), ("2019-2020", "7")]);
    }

    /// The indicator card as v3: current and expected results only; v1 and v2 kept last year's
    /// result beside the current one.
    fn card_v3() -> ReportForm {
        serde_json::from_value(serde_json::json!({
            "id": "indicator-card", "version": 3, "title": "Карта", "period_kind": "academic_year",
            "previous_period_of_versions": { "versions": [1, 2], "fields": { "c3.previous": "c3.current" } },
            "sections": [{ "id": "c3", "title": "3. Средний балл ЕГЭ, русский язык", "fields": [
                { "id": "c3.current", "label": "Текущий результат", "type": "value", "unit": "points" },
                { "id": "c3.target", "label": "Ожидаемый результат", "type": "target", "unit": "points" }
            ]}]
        }))
        .unwrap()
    }

    fn card(school_n: u128, period: &str, version: u32, pairs: &[(&str, &str)]) -> VersionedReport {
        VersionedReport {
            school: school(school_n),
            period: period.into(),
            form_version: version,
            fields: fields(pairs),
        }
    }

    #[test]
    fn last_years_result_on_an_old_card_becomes_the_previous_periods_report() {
        // Бураковская СОШ, seed 000: ЕГЭ русский 63 this year, 69 the year before, target «Более 70».
        let stored = card(1, "2018-2019", 2, &[("c3.current", "63"), ("c3.previous", "69"), ("c3.target", "Более 70")]);
        assert_eq!(
            upgrade(&card_v3(), &stored),
            [
                SchoolReport {
                    school: school(1),
                    period: "2018-2019".into(),
                    fields: fields(&[("c3.current", "63"), ("c3.target", "Более 70")])
                },
                SchoolReport { school: school(1), period: "2017-2018".into(), fields: fields(&[("c3.current", "69")]) },
            ],
            "the card for its own year without the column, and last year's result as last year's report"
        );
        // No value in the column: no report for the year before (never an empty «report»).
        let blank = card(1, "2018-2019", 1, &[("c3.current", "63"), ("c3.previous", " ")]);
        assert_eq!(upgrade(&card_v3(), &blank).len(), 1);
        // A v3 card passes unchanged.
        let v3 = card(1, "2019-2020", 3, &[("c3.current", "66")]);
        assert_eq!(upgrade(&card_v3(), &v3)[0].fields, v3.fields);
    }

    #[test]
    fn a_card_sent_for_the_previous_period_wins_over_last_years_column() {
        let by_period = |reports: &[VersionedReport]| -> Vec<(String, String)> {
            upgrade_all(&card_v3(), reports)
                .into_iter()
                .filter(|r| r.school == school(1))
                .map(|r| (r.period, r.fields.get("c3.current").cloned().unwrap_or_default()))
                .collect()
        };
        let v2 = card(1, "2018-2019", 2, &[("c3.current", "63"), ("c3.previous", "69")]);
        // Without a card for 2017-2018, the column stands for it.
        assert_eq!(
            by_period(std::slice::from_ref(&v2)),
            [("2017-2018".into(), "69".into()), ("2018-2019".into(), "63".into())]
        );
        // The card the school sent for 2017-2018 wins, whichever version and in whichever order.
        for sent in [card(1, "2017-2018", 3, &[("c3.current", "68")]), card(1, "2017-2018", 1, &[("c3.current", "68")])]
        {
            assert_eq!(
                by_period(&[v2.clone(), sent.clone()]),
                [("2017-2018".into(), "68".into()), ("2018-2019".into(), "63".into())]
            );
            assert_eq!(
                by_period(&[sent, v2.clone()]),
                [("2017-2018".into(), "68".into()), ("2018-2019".into(), "63".into())]
            );
        }
        // Another school's column never fills this school's year.
        let other = card(2, "2018-2019", 2, &[("c3.current", "50"), ("c3.previous", "40")]);
        assert_eq!(by_period(&[other]), Vec::<(String, String)>::new());
    }

    #[test]
    fn a_series_over_any_number_of_periods_is_one_call() {
        let form = new_form();
        let report = |s: u128, period: &str, fail: &str| SchoolReport {
            school: school(s),
            period: period.into(),
            fields: fields(&[("oge.math.fail", fail)]),
        };
        let reports = [
            report(1, "2024-2025", "10"),
            report(1, "2022-2023", "20"),
            report(2, "2023-2024", "99"),
            report(1, "2025-2026", "–"),
            report(1, "2023-2024", "15,5"),
        ];
        let s = series(&form, &reports, school(1), "oge.math.fail");
        let shown: Vec<(String, Option<f64>)> = s.iter().map(|(p, v)| (p.to_string(), *v)).collect();
        assert_eq!(
            shown,
            [
                ("2022-2023".into(), Some(20.0)),
                ("2023-2024".into(), Some(15.5)),
                ("2024-2025".into(), Some(10.0)),
                ("2025-2026".into(), None)
            ],
            "oldest first, another school's figures never mixed in, «–» is no value"
        );
        assert!(series(&form, &reports, school(3), "oge.math.fail").is_empty(), "a school with no reports");
        // Every school's series in one call: each as the school's own, read as whole reports read.
        let all = series_of_schools(&form, &reports, "oge.math.fail");
        assert_eq!(all.len(), 2);
        for (s, points) in &all {
            assert_eq!(*points, series(&form, &reports, *s, "oge.math.fail"));
            let whole: Vec<(Period, Option<f64>)> = points
                .iter()
                .map(|(p, _)| {
                    let r = reports.iter().find(|r| r.school == *s && r.period == p.to_string()).unwrap();
                    (*p, value(&read(&form, &r.fields), "oge.math.fail"))
                })
                .collect();
            assert_eq!(*points, whole);
        }
    }

    #[test]
    fn the_default_comparison_is_the_latest_period_with_data_against_the_one_before() {
        let p = |t: &str| Period::parse(t).unwrap();
        let with_data = [p("2025-2026"), p("2023-2024")];
        assert_eq!(chosen_pair(&with_data, None, None), (Some(p("2024-2025")), Some(p("2025-2026"))));
        assert_eq!(
            chosen_pair(&with_data, Some("2023-2024"), Some("2025-2026")),
            (Some(p("2023-2024")), Some(p("2025-2026")))
        );
        assert_eq!(
            chosen_pair(&with_data, Some("мусор"), Some("2024-2025")),
            (Some(p("2023-2024")), Some(p("2024-2025")))
        );
        assert_eq!(chosen_pair(&[], None, None), (None, None), "no reports at all: nothing to compare");
        let schools: HashSet<SchoolId> = [school(1)].into();
        let report = |period: &str| SchoolReport { school: school(1), period: period.into(), fields: Fields::new() };
        let reports = [report("2024-2025"), report("2030-2031"), report("2025-2026")];
        let found = periods_with_data(&reports, &schools, Some((2026, 11, 30)));
        assert_eq!(found, [p("2025-2026"), p("2024-2025")], "a period still to come is not data");
        assert!(reports_for(&reports, &p("2023-2024")).is_empty(), "a period with no reports has none");
    }

    #[test]
    fn a_view_opens_on_the_latest_year_enough_schools_have_sent() {
        let y = |period: &str, sent: u32, schools: u32| YearReports { period: period.into(), sent, schools };
        // (years newest first, the year opened, the year passed over)
        let cases: Vec<(Vec<YearReports>, Option<&str>, Option<&str>)> = vec![
            (vec![], None, None),
            // One school of six has sent a card for the new year: last year's is shown.
            (vec![y("2025-2026", 1, 6), y("2024-2025", 6, 6)], Some("2024-2025"), Some("2025-2026")),
            // Half is enough.
            (vec![y("2025-2026", 3, 6), y("2024-2025", 6, 6)], Some("2025-2026"), None),
            (vec![y("2025-2026", 2, 5), y("2024-2025", 5, 5)], Some("2024-2025"), Some("2025-2026")),
            (vec![y("2025-2026", 3, 5), y("2024-2025", 5, 5)], Some("2025-2026"), None),
            // Two thin years: the latest readable one, the newest named as passed over.
            (
                vec![y("2025-2026", 1, 6), y("2024-2025", 2, 6), y("2023-2024", 5, 6)],
                Some("2023-2024"),
                Some("2025-2026"),
            ),
            // Nothing is readable: the latest, as before, and nothing to explain.
            (vec![y("2025-2026", 1, 6), y("2024-2025", 2, 6)], Some("2025-2026"), None),
            // A year whose view has no schools (a group empty that year) is not read.
            (vec![y("2025-2026", 0, 0), y("2024-2025", 1, 1)], Some("2024-2025"), Some("2025-2026")),
            (vec![y("2025-2026", 1, 1)], Some("2025-2026"), None),
        ];
        for (years, opened, passed_over) in cases {
            let got = readable_year(&years);
            assert_eq!(got.map(|(p, _)| p), opened, "{years:?}");
            assert_eq!(got.and_then(|(_, over)| over).map(|o| o.period.as_str()), passed_over, "{years:?}");
        }
        assert_eq!(
            y("2025-2026", 1, 6).why_ru("2024-2025"),
            "Показан 2024-2025: за 2025-2026 отчёты прислали 1 из 6 школ"
        );
        assert_eq!(
            y("2025-2026", 3, 21).why_ru("2024-2025"),
            "Показан 2024-2025: за 2025-2026 отчёты прислали 3 из 21 школы"
        );
    }
}
