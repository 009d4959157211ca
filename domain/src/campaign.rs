//! Reporting campaigns: the department opens a period for a report form with a deadline, and
//! every school of the municipality owes that report. Whether a school's report is done, due or
//! overdue, and how complete a campaign is, are decided here, so the principal's phone (offline,
//! from its own copy) and the department's table (from the server) say the same thing.

use crate::report::StoredReport;
use crate::{CampaignId, FormId, MunicipalityId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub municipality: MunicipalityId,
    pub form: FormId,
    pub form_title: String,
    pub period: String,
    /// The last day reports are on time, `YYYY-MM-DD`.
    pub deadline: String,
    pub opened_at_ms: i64,
}

/// Where one school's report of a campaign stands, from the school's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    NotStarted,
    /// Saved but never sent to the department.
    Draft,
    Submitted,
    /// Sent, then changed: the department has the sent revision; the change is not sent yet.
    Amended,
}

impl ReportState {
    pub fn of(report: Option<&StoredReport>) -> ReportState {
        match report {
            None => ReportState::NotStarted,
            Some(r) => match r.submitted_revision {
                None => ReportState::Draft,
                Some(s) if s == r.revision => ReportState::Submitted,
                Some(_) => ReportState::Amended,
            },
        }
    }

    /// Whether the department has a sent revision.
    pub fn is_sent(self) -> bool {
        matches!(self, ReportState::Submitted | ReportState::Amended)
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            ReportState::NotStarted => "не начат",
            ReportState::Draft => "черновик",
            ReportState::Submitted => "отправлен",
            ReportState::Amended => "отправлен, есть неотправленные изменения",
        }
    }
}

/// A school's report against the campaign's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Done,
    Due,
    Overdue,
}

impl Standing {
    pub fn title_ru(self) -> &'static str {
        match self {
            Standing::Done => "сдан",
            Standing::Due => "ожидается",
            Standing::Overdue => "просрочен",
        }
    }
}

/// `today` and `deadline` are `YYYY-MM-DD`; the deadline day itself is on time.
pub fn standing(deadline: &str, today: &str, state: ReportState) -> Standing {
    if state.is_sent() {
        Standing::Done
    } else if today > deadline {
        Standing::Overdue
    } else {
        Standing::Due
    }
}

/// A campaign's completeness across the schools that owe the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completeness {
    pub expected: u32,
    pub submitted: u32,
    pub overdue: u32,
}

pub fn completeness(deadline: &str, today: &str, states: impl IntoIterator<Item = ReportState>) -> Completeness {
    let mut c = Completeness::default();
    for state in states {
        c.expected += 1;
        match standing(deadline, today, state) {
            Standing::Done => c.submitted += 1,
            Standing::Overdue => c.overdue += 1,
            Standing::Due => {}
        }
    }
    c
}

/// Reads a deadline as typed or sent: `YYYY-MM-DD` (an HTML date field) or «31.05.2026».
/// Returns it as `YYYY-MM-DD`, or `None` when it is not a real calendar date.
pub fn read_date(text: &str) -> Option<String> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['-', '.']).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let (y, m, d) = if text.contains('-') { (*a, *b, *c) } else { (*c, *b, *a) };
    if y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
        return None;
    }
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(2000..=2100).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days[m as usize - 1] {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// The calendar date, `YYYY-MM-DD`, of a moment in a time zone `offset_minutes` east of UTC.
pub fn date_of(ms: i64, offset_minutes: i32) -> String {
    let days = (ms + i64::from(offset_minutes) * 60_000).div_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD` as Russians write it: «31.05.2026».
pub fn date_ru(date: &str) -> String {
    match date.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => format!("{d}.{m}.{y}"),
        _ => date.to_owned(),
    }
}

/// Moscow time, where the seeds' departments mostly keep their deadlines.
pub const MOSCOW_OFFSET_MINUTES: i32 = 180;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReportKey;
    use crate::{SchoolId, UserId};

    fn report(revision: u32, submitted: Option<u32>) -> StoredReport {
        StoredReport {
            key: ReportKey { school: SchoolId(uuid::Uuid::nil()), form: FormId::from("f"), period: "2026".into() },
            form_version: 1,
            revision,
            fields: Default::default(),
            submitted_revision: submitted,
            conflicts: Vec::new(),
            updated_at_ms: 0,
            updated_by: UserId(uuid::Uuid::nil()),
        }
    }

    #[test]
    fn a_report_is_done_once_a_revision_was_sent_even_if_changed_since() {
        assert_eq!(ReportState::of(None), ReportState::NotStarted);
        assert_eq!(ReportState::of(Some(&report(2, None))), ReportState::Draft);
        assert_eq!(ReportState::of(Some(&report(2, Some(2)))), ReportState::Submitted);
        assert_eq!(ReportState::of(Some(&report(3, Some(2)))), ReportState::Amended);
        assert_eq!(standing("2026-05-31", "2026-06-01", ReportState::Amended), Standing::Done);
    }

    #[test]
    fn the_deadline_day_is_on_time_and_the_next_day_overdue() {
        assert_eq!(standing("2026-05-31", "2026-05-31", ReportState::Draft), Standing::Due);
        assert_eq!(standing("2026-05-31", "2026-06-01", ReportState::Draft), Standing::Overdue);
        assert_eq!(standing("2026-05-31", "2026-06-01", ReportState::NotStarted), Standing::Overdue);
        assert_eq!(standing("2026-05-31", "2026-12-31", ReportState::Submitted), Standing::Done);
    }

    #[test]
    fn completeness_counts_each_school_once() {
        use ReportState::*;
        let c = completeness("2026-05-31", "2026-06-02", [Submitted, Amended, Draft, NotStarted, NotStarted]);
        assert_eq!(c, Completeness { expected: 5, submitted: 2, overdue: 3 });
        let c = completeness("2026-05-31", "2026-05-01", [Submitted, Draft, NotStarted]);
        assert_eq!(c, Completeness { expected: 3, submitted: 1, overdue: 0 });
    }

    #[test]
    fn dates_read_as_typed_and_only_real_ones() {
        assert_eq!(read_date("2026-05-31").as_deref(), Some("2026-05-31"));
        assert_eq!(read_date("31.05.2026").as_deref(), Some("2026-05-31"));
        assert_eq!(read_date(" 1.9.2026 ").as_deref(), Some("2026-09-01"));
        assert_eq!(read_date("29.02.2028").as_deref(), Some("2028-02-29"));
        for bad in ["29.02.2026", "31.04.2026", "2026-13-01", "31/05/2026", "завтра", "", "05.2026", "1.1.26"] {
            assert_eq!(read_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn moments_fall_on_the_right_local_day() {
        assert_eq!(date_of(0, 0), "1970-01-01");
        // 2026-05-31 21:30 UTC is already 1 June in Moscow.
        let ms = 1_780_263_000_000;
        assert_eq!(date_of(ms, 0), "2026-05-31");
        assert_eq!(date_of(ms, MOSCOW_OFFSET_MINUTES), "2026-06-01");
        assert_eq!(date_of(951_782_400_000, 0), "2000-02-29");
        assert_eq!(date_ru("2026-05-31"), "31.05.2026");
    }
}
