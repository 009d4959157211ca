//! School reports: forms of indicators a principal fills and the department reads.
//!
//! A report form is data (`data/reports/*.json`), like the self-diagnosis: sections of fields,
//! each a measured value with its unit and direction, an expected value (a target), a yes/no
//! criterion or text. What the principal types is kept exactly as typed ([`ReportValues`]):
//! reading it ([`read_report`]) is separate, so a value the rules refuse is shown next to its
//! field with the reason and is never thrown away.

use crate::ru_input::{InputError, Reading, Target, Unit, read_target, read_value};
use crate::{FormId, ItemId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportForm {
    pub id: FormId,
    pub version: u32,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub sections: Vec<ReportSection>,
    /// Fields whose value cannot exceed another's: a part and its whole.
    #[serde(default)]
    pub part_of_whole: Vec<PartOfWhole>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportSection {
    pub id: String,
    pub title: String,
    pub fields: Vec<ReportField>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportField {
    pub id: ItemId,
    pub label: String,
    #[serde(flatten)]
    pub kind: ReportFieldKind,
    #[serde(default)]
    pub hint: Option<String>,
    /// May stay empty (a previous year's value the school does not have).
    #[serde(default)]
    pub optional: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReportFieldKind {
    /// A measured value. `lower_is_better` is the indicator's direction, used to tell an
    /// improvement from a decline.
    Value {
        unit: Unit,
        #[serde(default)]
        lower_is_better: bool,
    },
    /// An expected value: «Более 70 баллов».
    Target { unit: Unit },
    YesNo,
    Text {
        #[serde(default = "default_text_chars")]
        max_chars: usize,
    },
}

fn default_text_chars() -> usize {
    1000
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartOfWhole {
    pub part: ItemId,
    pub whole: ItemId,
}

/// What the principal typed, field by field, exactly as typed.
pub type ReportValues = BTreeMap<ItemId, String>;

/// A field's value once read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CellValue {
    Measured { reading: Reading },
    Target { target: Option<Target> },
    YesNo { yes: bool },
    Text { text: String },
}

/// A field that cannot be accepted as typed, and why, in Russian.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: ItemId,
    pub message: String,
}

impl ReportForm {
    pub fn fields(&self) -> impl Iterator<Item = &ReportField> {
        self.sections.iter().flat_map(|s| &s.fields)
    }

    pub fn field(&self, id: &ItemId) -> Option<&ReportField> {
        self.fields().find(|f| &f.id == id)
    }

    /// Finds mistakes in the definition itself: duplicate ids, checks naming unknown fields.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for field in self.fields() {
            if !seen.insert(&field.id) {
                return Err(format!("field {} appears twice", field.id));
            }
        }
        for pw in &self.part_of_whole {
            for id in [&pw.part, &pw.whole] {
                match self.field(id).map(|f| &f.kind) {
                    Some(ReportFieldKind::Value { .. }) => {}
                    _ => return Err(format!("part_of_whole names {id}, which is not a value field")),
                }
            }
        }
        Ok(())
    }
}

fn read_yes_no(text: &str) -> Result<bool, InputError> {
    match text.trim().to_lowercase().as_str() {
        "да" | "есть" | "имеется" | "+" | "1" => Ok(true),
        "нет" | "отсутствует" | "0" | "-" | "–" => Ok(false),
        _ => Err(InputError(format!("«{}»: ответьте «да» или «нет».", text.trim()))),
    }
}

/// Reads one field as typed. `Ok(None)` for an empty optional field.
pub fn read_field(field: &ReportField, typed: Option<&str>) -> Result<Option<CellValue>, InputError> {
    let text = typed.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return if field.optional { Ok(None) } else { Err(InputError("Заполните поле.".to_owned())) };
    }
    Ok(Some(match &field.kind {
        ReportFieldKind::Value { unit, .. } => CellValue::Measured { reading: read_value(*unit, text)? },
        ReportFieldKind::Target { unit } => CellValue::Target { target: read_target(*unit, text)? },
        ReportFieldKind::YesNo => CellValue::YesNo { yes: read_yes_no(text)? },
        ReportFieldKind::Text { max_chars } => {
            if text.chars().count() > *max_chars {
                return Err(InputError(format!("Не больше {max_chars} символов.")));
            }
            CellValue::Text { text: text.to_owned() }
        }
    }))
}

/// Reads every field of a report. Returns what could be read and every problem, field by field,
/// including cross-field ones (a part larger than its whole). Values typed for fields the form
/// does not have are ignored here and kept by the caller.
pub fn read_report(form: &ReportForm, values: &ReportValues) -> (BTreeMap<ItemId, CellValue>, Vec<FieldProblem>) {
    let mut read = BTreeMap::new();
    let mut problems = Vec::new();
    for field in form.fields() {
        match read_field(field, values.get(&field.id).map(String::as_str)) {
            Ok(Some(value)) => {
                read.insert(field.id.clone(), value);
            }
            Ok(None) => {}
            Err(e) => problems.push(FieldProblem { field: field.id.clone(), message: e.0 }),
        }
    }
    let measured = |id: &ItemId| match read.get(id) {
        Some(CellValue::Measured { reading }) => reading.value(),
        _ => None,
    };
    for pw in &form.part_of_whole {
        if let (Some(part), Some(whole)) = (measured(&pw.part), measured(&pw.whole)) {
            if part > whole {
                let label = |id: &ItemId| form.field(id).map_or_else(|| id.to_string(), |f| f.label.clone());
                problems.push(FieldProblem {
                    field: pw.part.clone(),
                    message: format!(
                        "«{}» ({}) не может быть больше, чем «{}» ({}).",
                        label(&pw.part),
                        format_number(part),
                        label(&pw.whole),
                        format_number(whole)
                    ),
                });
            }
        }
    }
    (read, problems)
}

/// «16,6», «9»: a number as Russians write it.
pub fn format_number(value: f64) -> String {
    let text = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value}") };
    text.replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ReportForm {
        serde_json::from_value(serde_json::json!({
            "id": "t", "version": 1, "title": "Тест",
            "sections": [{ "id": "s", "title": "Выпуск", "fields": [
                { "id": "graduates", "label": "Выпускников 9 кл.", "type": "value", "unit": "count" },
                { "id": "no_certificate", "label": "Не получили аттестат", "type": "value", "unit": "count", "lower_is_better": true },
                { "id": "share", "label": "Доля без аттестата", "type": "value", "unit": "percent", "lower_is_better": true },
                { "id": "target", "label": "Ожидаемый результат", "type": "target", "unit": "percent" },
                { "id": "psychologist", "label": "Есть педагог-психолог", "type": "yes_no" },
                { "id": "note", "label": "Комментарий", "type": "text", "optional": true }
            ]}],
            "part_of_whole": [{ "part": "no_certificate", "whole": "graduates" }]
        }))
        .unwrap()
    }

    fn values(pairs: &[(&str, &str)]) -> ReportValues {
        pairs.iter().map(|(k, v)| (ItemId::from(*k), (*v).to_owned())).collect()
    }

    #[test]
    fn a_filled_report_reads_without_problems() {
        let f = form();
        f.check().unwrap();
        let (read, problems) = read_report(
            &f,
            &values(&[("graduates", "11"), ("no_certificate", "1"), ("share", "9 %"), ("target", "0%"), ("psychologist", "Да")]),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(read.len(), 5, "the empty optional comment is simply absent");
        assert_eq!(read[&ItemId::from("psychologist")], CellValue::YesNo { yes: true });
    }

    #[test]
    fn every_problem_is_reported_next_to_its_field() {
        let (_, problems) = read_report(
            &form(),
            &values(&[("graduates", "11"), ("no_certificate", "12"), ("share", "109"), ("psychologist", "может быть")]),
        );
        let by_field: BTreeMap<&str, &str> = problems.iter().map(|p| (p.field.as_str(), p.message.as_str())).collect();
        assert_eq!(by_field.len(), 4, "{problems:?}");
        assert!(by_field["no_certificate"].contains("не может быть больше, чем «Выпускников 9 кл.» (11)"));
        assert!(by_field["share"].contains("от 0 до 100"));
        assert!(by_field["target"].contains("Заполните"));
        assert!(by_field["psychologist"].contains("«да» или «нет»"));
    }

    #[test]
    fn a_definition_with_a_broken_check_is_refused() {
        let mut f = form();
        f.part_of_whole.push(PartOfWhole { part: "note".into(), whole: "graduates".into() });
        assert!(f.check().is_err());
        let mut f = form();
        let dup = f.sections[0].fields[0].clone();
        f.sections[0].fields.push(dup);
        assert!(f.check().is_err());
    }

    #[test]
    fn numbers_are_written_with_a_decimal_comma() {
        assert_eq!(format_number(16.6), "16,6");
        assert_eq!(format_number(9.0), "9");
    }
}
