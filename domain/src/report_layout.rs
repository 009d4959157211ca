//! How a report form is laid out on screen, decided from the form's data: consecutive sections
//! that ask the same questions (an indicator card's criteria, each with its current, last year's
//! and expected result) become one table, a criterion per row and a question per column, the way
//! the seeds print them; any other section stays a list of fields.

use crate::report::ReportSection;
use std::ops::Range;

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
