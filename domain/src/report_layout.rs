//! How a report form is laid out on screen, decided from the form's data: consecutive sections
//! that ask the same questions (an indicator card's criteria, each with its current, last year's
//! and expected result) become one table, a criterion per row and a question per column, the way
//! the seeds print them; any other section stays a list of fields. A form whose old versions asked
//! for last year's result again (`previous_period_of_versions`) shows the previous period's own
//! report beside each such field instead, read-only.

use crate::ItemId;
use crate::history::{VersionedReport, upgrade_all};
use crate::period::Period;
use crate::report::{ReportForm, ReportSection};
use std::collections::BTreeMap;
use std::ops::Range;

/// The read-only column beside a field that shows the previous period's value of it.
pub const PREVIOUS_PERIOD_COLUMN: &str = "Результат прошлого года";

/// What the editor of `form` for `period` shows beside each field whose previous period's value
/// it shows, by field id: «2024-2025: 69 %» (a figure with the field's unit, as the field beside
/// it has), «2024-2025: не заполнено», or «нет отчёта за 2024-2025». `school_reports` are the school's stored reports of the form, of any version: the
/// previous period's report is read as the history reads it (`history::upgrade_all`), so a v2 card's
/// «Результат прошлого года» stands for a year with no card of its own. Empty for a form that shows
/// no such column, or a period with no period before it.
pub fn previous_period_beside(
    form: &ReportForm,
    period: &str,
    school_reports: &[VersionedReport],
) -> BTreeMap<String, String> {
    let Some(columns) = &form.previous_period_of_versions else { return BTreeMap::new() };
    let Some(previous) = Period::parse(period).ok().and_then(|p| p.previous()) else { return BTreeMap::new() };
    let written = previous.to_string();
    let reports = upgrade_all(form, school_reports);
    let report = reports.iter().find(|r| r.period == written);
    columns
        .fields
        .values()
        .map(|id| {
            let text = match report {
                None => format!("нет отчёта за {written}"),
                Some(r) => match r.fields.get(id).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                    Some(value) => {
                        // A bare figure takes the field's unit; «–» or «23 %» is shown as typed.
                        let unit = form
                            .field(&ItemId::from(id.as_str()))
                            .and_then(|f| f.kind.unit())
                            .and_then(|u| u.after_figure_ru(value));
                        match unit.filter(|_| value.ends_with(|c: char| c.is_ascii_digit())) {
                            Some(unit) => format!("{written}: {value} {unit}"),
                            None => format!("{written}: {value}"),
                        }
                    }
                    None => format!("{written}: не заполнено"),
                },
            };
            (id.clone(), text)
        })
        .collect()
}

/// The most columns (besides the criterion) a table of sections may have: more would not fit a
/// desk's screen without scrolling sideways.
pub const MAX_COLUMNS: usize = 5;

/// One block of the editor: sections `range` of the form, as a table (`columns` are the field
/// labels in first-seen order) or, for a single section, as it is.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Table { range: Range<usize>, columns: Vec<String> },
    Section(usize),
}

/// Groups the sections: a run of at least two consecutive non-table sections forms a table
/// while every next section shares at least half of its labels with the run and the run's labels
/// stay within [`MAX_COLUMNS`].
pub fn blocks(sections: &[ReportSection]) -> Vec<Block> {
    let labels = |s: &ReportSection| s.fields.iter().map(|f| f.label.clone()).collect::<Vec<_>>();
    let mut out = Vec::new();
    let mut i = 0;
    while i < sections.len() {
        let first = &sections[i];
        let mut columns = labels(first);
        let mut end = i + 1;
        if !first.rows && columns.len() <= MAX_COLUMNS {
            while let Some(next) = sections.get(end).filter(|s| !s.rows) {
                let next = labels(next);
                let shared = next.iter().filter(|l| columns.contains(l)).count();
                let mut union = columns.clone();
                union.extend(next.iter().filter(|l| !columns.contains(l)).cloned());
                if shared * 2 < next.len() || union.len() > MAX_COLUMNS {
                    break;
                }
                columns = union;
                end += 1;
            }
        }
        if end - i >= 2 {
            out.push(Block::Table { range: i..end, columns });
        } else {
            out.push(Block::Section(i));
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReportForm;

    fn form(name: &str) -> ReportForm {
        let path = format!("{}/../data/forms/reports/{name}.v1.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn an_indicator_cards_criteria_are_one_table_of_their_questions() {
        let card = form("indicator-card");
        let blocks = blocks(&card.sections);
        assert_eq!(
            blocks,
            vec![Block::Table {
                range: 0..card.sections.len(),
                columns: [
                    "Число выпускников без аттестата",
                    "Текущий результат",
                    "Результат прошлого года",
                    "Ожидаемый результат"
                ]
                .map(String::from)
                .to_vec(),
            }]
        );
    }

    #[test]
    fn a_v3_card_shows_last_years_card_beside_each_criterion() {
        let path = format!("{}/../data/forms/reports/indicator-card.v3.json", env!("CARGO_MANIFEST_DIR"));
        let v3: ReportForm = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        // The v3 card asks for no last year's result: the table has its three questions.
        let Block::Table { columns, .. } = &blocks(&v3.sections)[0] else { panic!("a table") };
        assert!(!columns.iter().any(|c| c == PREVIOUS_PERIOD_COLUMN), "{columns:?}");
        let school = crate::SchoolId(uuid::Uuid::from_u128(1));
        let stored = |period: &str, version: u32, pairs: &[(&str, &str)]| VersionedReport {
            school,
            period: period.into(),
            form_version: version,
            fields: pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        };
        let reports = [
            stored("2024-2025", 2, &[("c3.current", "69"), ("c4.current", " "), ("c4.previous", "47,8")]),
            stored("2025-2026", 3, &[("c3.current", "71")]),
        ];
        let beside = previous_period_beside(&v3, "2025-2026", &reports);
        assert_eq!(beside["c3.current"], "2024-2025: 69 баллов", "a figure with its field's unit");
        assert_eq!(beside["c4.current"], "2024-2025: не заполнено");
        assert!(!beside.contains_key("c9.current"), "a criterion in words has no figure to show");
        // The year after: 2025-2026's own card. A year before any card: «нет отчёта».
        assert_eq!(previous_period_beside(&v3, "2026-2027", &reports)["c3.current"], "2025-2026: 71 балл");
        // The year the v2 card's «Результат прошлого года» column speaks for: its 47,8 is 2023-2024's.
        let from_column = previous_period_beside(&v3, "2024-2025", &reports);
        assert_eq!(
            (from_column["c4.current"].as_str(), from_column["c3.current"].as_str()),
            ("2023-2024: 47,8 балла", "2023-2024: не заполнено")
        );
        assert_eq!(previous_period_beside(&v3, "2023-2024", &reports)["c3.current"], "нет отчёта за 2022-2023");
        // A v2 card asks for last year's result itself: nothing is shown beside it.
        assert!(previous_period_beside(&form("indicator-card"), "2025-2026", &reports).is_empty());
    }

    #[test]
    fn sections_asking_different_things_stay_lists_and_a_plan_stays_its_own_table() {
        let monitoring = form("monitoring");
        assert!(blocks(&monitoring.sections).iter().all(|b| matches!(b, Block::Section(_))));
        let roadmap = form("roadmap");
        assert_eq!(blocks(&roadmap.sections), vec![Block::Section(0)]);
        // ОГЭ and ЕГЭ ask the same four questions per subject; the ВПР's eight do not fit a screen.
        let assessment = form("assessment-results");
        let tables: Vec<_> = blocks(&assessment.sections)
            .into_iter()
            .filter_map(|b| match b {
                Block::Table { range, columns } => Some((range, columns.len())),
                Block::Section(_) => None,
            })
            .collect();
        assert_eq!(tables, vec![(2..6, 4)]);
    }
}
