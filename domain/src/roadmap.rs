//! Roadmaps (дорожные карты): a school's or a municipality's plan items and, per reporting
//! quarter, how far each has got, with its evidence.
//!
//! The seeds write plans as tables: «Август 2018» or «В течение 2018-2019 уч. года» for the
//! deadline, and «Выполнено. Приказ № 458 от 17.08.2018» for the status with its evidence. This
//! module reads those phrases, so plans copied from Word keep their meaning, and decides which
//! items are overdue in a period.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanItem {
    pub id: String,
    pub measure: String,
    /// As written in the plan: «Август 2018», «В течение 2018-2019 уч. года», «По запросу».
    pub deadline: String,
    pub responsible: String,
    #[serde(default)]
    pub expected_result: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    NotStarted,
    InProgress,
    Done,
}

impl ItemStatus {
    pub fn title_ru(self) -> &'static str {
        match self {
            ItemStatus::NotStarted => "не начато",
            ItemStatus::InProgress => "выполняется",
            ItemStatus::Done => "выполнено",
        }
    }
}

/// A quarter of a calendar year, the reporting period of plan progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Quarter {
    pub year: i32,
    /// 1–4.
    pub quarter: u8,
}

impl Quarter {
    /// The (year, month) of the quarter's last month.
    pub fn last_month(self) -> (i32, u8) {
        (self.year, self.quarter * 3)
    }

    pub fn title_ru(self) -> String {
        format!("{} квартал {} года", ["I", "II", "III", "IV"][usize::from(self.quarter.clamp(1, 4) - 1)], self.year)
    }
}

/// One item's state in one quarter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub item: String,
    pub period: Quarter,
    pub status: ItemStatus,
    /// «Приказ № 458 от 17.08.2018», a link, or what was done.
    #[serde(default)]
    pub evidence: String,
}

const MONTHS: [&str; 12] =
    ["январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр"];

fn month_of(word: &str) -> Option<u8> {
    let w = word.to_lowercase();
    // «ма» (май, мая) would also prefix «март»: check the longer stems first.
    let mut order: Vec<usize> = (0..12).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(MONTHS[i].len()));
    order.into_iter().find(|&i| w.starts_with(MONTHS[i])).map(|i| i as u8 + 1)
}

fn years_in(text: &str) -> Vec<i32> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 4)
        .filter_map(|w| w.parse().ok())
        .filter(|y| (1990..2100).contains(y))
        .collect()
}

/// The last month by which an item is due, read from the plan's wording: «Август 2018» →
/// August 2018; «Август 2018 Август 2019» → August 2019; «В течение 2018-2019 уч. года» → the
/// end of that school year, May 2019; «В течение 2018-2020 уч года» → May 2020; «2019» →
/// December 2019. `None` when the wording sets no date («По запросу», «По плану»).
pub fn deadline(text: &str) -> Option<(i32, u8)> {
    let lower = text.to_lowercase();
    let years = years_in(&lower);
    let last_year = *years.iter().max()?;
    let school_year = lower.contains("уч") && years.len() >= 2;
    if school_year {
        return Some((last_year, 5));
    }
    // The last month named in the text, in the last year named.
    let month = lower.split(|c: char| !c.is_alphabetic()).filter_map(month_of).next_back();
    Some((last_year, month.unwrap_or(12)))
}

/// Reads a status as the seeds write it: «Выполнено. Приказ № 458 от 17.08.2018» is done with
/// the order as evidence; «Выполняется», «В работе» in progress; anything else not started, with
/// the text kept as evidence.
pub fn read_status(text: &str) -> (ItemStatus, String) {
    let trimmed = text.trim();
    let lower = trimmed.to_lowercase();
    let status = if lower.starts_with("выполнено") || lower.starts_with("исполнено") {
        ItemStatus::Done
    } else if lower.starts_with("выполняется") || lower.starts_with("в работе") || lower.starts_with("частично")
    {
        ItemStatus::InProgress
    } else {
        ItemStatus::NotStarted
    };
    let evidence = if status == ItemStatus::Done {
        let rest =
            &trimmed[trimmed.char_indices().nth("выполнено".chars().count()).map_or(trimmed.len(), |(i, _)| i)..];
        rest.trim_start_matches(['.', ',', ':', ' ']).trim().to_owned()
    } else {
        trimmed.to_owned()
    };
    (status, evidence)
}

/// How a plan stands at the end of a quarter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoadmapSummary {
    pub done: u32,
    pub in_progress: u32,
    /// Not done, and its deadline has passed by the end of the quarter.
    pub overdue: u32,
    pub not_started: u32,
}

/// Counts items by their latest status up to `period`; an unfinished item whose deadline is
/// before the quarter's last month counts as overdue instead.
pub fn summarise(items: &[PlanItem], progress: &[Progress], period: Quarter) -> RoadmapSummary {
    let mut summary = RoadmapSummary::default();
    for item in items {
        let latest = progress
            .iter()
            .filter(|p| p.item == item.id && p.period <= period)
            .max_by_key(|p| p.period)
            .map_or(ItemStatus::NotStarted, |p| p.status);
        let overdue =
            latest != ItemStatus::Done && deadline(&item.deadline).is_some_and(|due| due < period.last_month());
        match (latest, overdue) {
            (ItemStatus::Done, _) => summary.done += 1,
            (_, true) => summary.overdue += 1,
            (ItemStatus::InProgress, false) => summary.in_progress += 1,
            (ItemStatus::NotStarted, false) => summary.not_started += 1,
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_as_the_seeds_write_them() {
        assert_eq!(deadline("Август 2018"), Some((2018, 8)));
        assert_eq!(deadline("Август 2018 Август 2019"), Some((2019, 8)));
        assert_eq!(deadline("В течение 2018-2019 уч. года"), Some((2019, 5)));
        assert_eq!(deadline("В течение 2018-2020 уч года"), Some((2020, 5)));
        assert_eq!(deadline("Май 2019"), Some((2019, 5)));
        assert_eq!(deadline("Март 2019"), Some((2019, 3)));
        assert_eq!(deadline("2019"), Some((2019, 12)));
        assert_eq!(deadline("По запросу"), None);
        assert_eq!(deadline("Август – сентябрь"), None, "no year: no date");
    }

    #[test]
    fn statuses_keep_their_evidence() {
        assert_eq!(
            read_status("Выполнено. Приказ № 458 от 17.08.2018"),
            (ItemStatus::Done, "Приказ № 458 от 17.08.2018".to_owned())
        );
        assert_eq!(
            read_status("Выполнено в течение 2018-2019 уч. года"),
            (ItemStatus::Done, "в течение 2018-2019 уч. года".to_owned())
        );
        assert_eq!(read_status("Выполняется"), (ItemStatus::InProgress, "Выполняется".to_owned()));
        assert_eq!(read_status(""), (ItemStatus::NotStarted, String::new()));
    }

    #[test]
    fn unfinished_items_past_their_deadline_are_overdue() {
        let item = |id: &str, deadline: &str| PlanItem {
            id: id.to_owned(),
            measure: id.to_owned(),
            deadline: deadline.to_owned(),
            responsible: "Отдел образования".to_owned(),
            expected_result: String::new(),
        };
        let items = [
            item("a", "Август 2018"),
            item("b", "Август 2018"),
            item("c", "В течение 2018-2019 уч. года"),
            item("d", "По запросу"),
        ];
        let q3 = Quarter { year: 2018, quarter: 3 };
        let q4 = Quarter { year: 2018, quarter: 4 };
        let progress = [
            Progress {
                item: "a".into(), period: q3, status: ItemStatus::Done, evidence: "Приказ № 458".into()
            },
            Progress { item: "c".into(), period: q3, status: ItemStatus::InProgress, evidence: String::new() },
        ];
        // In Q3 2018 (ends September) item b, due in August, is overdue.
        assert_eq!(
            summarise(&items, &progress, q3),
            RoadmapSummary { done: 1, in_progress: 1, overdue: 1, not_started: 1 }
        );
        // Progress reported for a later quarter does not count in an earlier one.
        let later = [Progress { item: "b".into(), period: q4, status: ItemStatus::Done, evidence: String::new() }];
        assert_eq!(summarise(&items, &later, q3).done, 0);
        assert_eq!(summarise(&items, &later, q4).done, 1);
        assert_eq!(Quarter { year: 2018, quarter: 3 }.title_ru(), "III квартал 2018 года");
    }
}
