//! School reports: forms of indicators a principal fills and the department reads.
//!
//! A report form is data (`data/forms/reports/*.json`), like the self-diagnosis: sections of fields,
//! each a measured value with its unit and direction, an expected value (a target), a yes/no
//! criterion or text. What the principal types is kept exactly as typed ([`ReportValues`]):
//! reading it ([`read_report`]) is separate, so a value the rules refuse is shown next to its
//! field with the reason and is never thrown away.

use crate::merge::{Conflict, Edit, Fields, merge};
use crate::ru_input::{InputError, Reading, Target, Unit, read_target, read_value};
use crate::text::{Lines, forbidden_char};
use crate::{FormId, ItemId, SchoolId, UserId};
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
    /// The kind of period every report of this version is for. Versions published before periods
    /// were declared have none and take any period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_kind: Option<crate::period::PeriodKind>,
    /// Earlier versions of this form whose field ids carried a year (`oge.math.2019.fail`): their
    /// reports are read as one report of this version per year (`crate::history::upgrade`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub years_in_ids_of_versions: Vec<u32>,
    /// Earlier versions of this form that asked for the previous period's value beside the current
    /// one (seed 000's «Результат прошлого года»): their reports are read as this version's report
    /// for their period and, from those fields, a report for the period before
    /// (`crate::history::upgrade`). This version asks for no such value: the editor shows the
    /// previous period's own report beside each of the mapped fields instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_period_of_versions: Option<PreviousPeriodFields>,
}

/// Which old versions kept the previous period's values, and under which ids: old id
/// (`c3.previous`) → the id of the same value in the previous period's report (`c3.current`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviousPeriodFields {
    pub versions: Vec<u32>,
    pub fields: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportSection {
    pub id: String,
    pub title: String,
    pub fields: Vec<ReportField>,
    /// A table: every field is filled once per row (a plan's measures), its value stored under
    /// [`row_key`]. Rows are numbered from 1; a row whose cells are all empty is no row.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rows: bool,
}

/// The most rows a table section holds: a plan has tens of measures, not thousands.
pub const MAX_ROWS: u32 = 300;

/// The stored key of `field`'s cell in `row` of a table section: `measure#3`.
pub fn row_key(field: &str, row: u32) -> String {
    format!("{field}#{row}")
}

/// Splits a stored key into the field id and its row, if it has one.
pub fn split_key(key: &str) -> (&str, Option<u32>) {
    match key.rsplit_once('#') {
        Some((field, row)) => (field, row.parse().ok()),
        None => (key, None),
    }
}

impl ReportSection {
    /// The rows of a table section that have any non-empty cell, in order.
    pub fn rows_in(&self, values: &Fields) -> Vec<u32> {
        let rows: BTreeSet<u32> = values
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .filter_map(|(k, _)| match split_key(k) {
                (field, Some(row)) if self.fields.iter().any(|f| f.id.as_str() == field) => Some(row),
                _ => None,
            })
            .collect();
        rows.into_iter().collect()
    }
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
    /// A new period's report starts with this field as the previous period's report had it (a
    /// plan's measures and deadlines; not their progress).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub carry_over: bool,
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
    Target {
        unit: Unit,
    },
    YesNo,
    Text {
        #[serde(default = "default_text_chars")]
        max_chars: usize,
    },
}

impl ReportFieldKind {
    /// The unit of a figure's field (a value or a target); none for yes/no and text.
    pub fn unit(&self) -> Option<Unit> {
        match self {
            ReportFieldKind::Value { unit, .. } | ReportFieldKind::Target { unit } => Some(*unit),
            ReportFieldKind::YesNo | ReportFieldKind::Text { .. } => None,
        }
    }
}

fn default_text_chars() -> usize {
    1000
}

/// The most characters a cell of a value, target or yes/no field holds. The longest the seeds
/// write is «63 балла (в 2017-2018г – 69)», 28 characters.
pub const VALUE_MAX_CHARS: usize = 100;

impl ReportField {
    /// How many characters the field holds: the form's `max_chars` for text, [`VALUE_MAX_CHARS`]
    /// for every other kind. The one limit the device checks before queueing and the server
    /// checks again.
    pub fn max_chars(&self) -> usize {
        match self.kind {
            ReportFieldKind::Text { max_chars } => max_chars,
            _ => VALUE_MAX_CHARS,
        }
    }

    /// Text fields may hold line breaks (a plan's measure, a comment); every other cell is one line.
    pub fn lines(&self) -> Lines {
        match self.kind {
            ReportFieldKind::Text { .. } => Lines::Many,
            _ => Lines::One,
        }
    }

    /// Whether the text fits the field at all: its length and its characters. A value that fails
    /// here is kept on the device as typed but never sent.
    pub fn check_text(&self, text: &str) -> Result<(), InputError> {
        let length = text.chars().count();
        let max = self.max_chars();
        if length > max {
            return Err(InputError(format!(
                "Не больше {max} символов, сейчас {length}. Сократите текст — пока он длиннее, поле не отправляется."
            )));
        }
        match forbidden_char(text, self.lines()) {
            Some(found) => Err(InputError(found.message_ru())),
            None => Ok(()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartOfWhole {
    pub part: ItemId,
    pub whole: ItemId,
}

/// What the principal typed, field by field (by field id), exactly as typed.
pub type ReportValues = Fields;

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

    /// The field and its section a stored key names, `c1.current` or `measure#3`: a row only in
    /// a table section, and within [`MAX_ROWS`].
    pub fn field_of_key(&self, key: &str) -> Option<(&ReportSection, &ReportField)> {
        let (id, row) = split_key(key);
        self.sections.iter().find_map(|s| {
            let field = s.fields.iter().find(|f| f.id.as_str() == id)?;
            match (s.rows, row) {
                (false, None) => Some((s, field)),
                (true, Some(r)) if (1..=MAX_ROWS).contains(&r) => Some((s, field)),
                _ => None,
            }
        })
    }

    /// How a stored key is named to a person: the field's label, with its row in a table.
    pub fn label_of(&self, key: &str) -> String {
        match (self.field_of_key(key), split_key(key).1) {
            (Some((_, f)), Some(row)) => format!("{} (строка {row})", f.label),
            (Some((_, f)), None) => f.label.clone(),
            (None, _) => key.to_owned(),
        }
    }

    /// The fields a new period's report starts with: the carried-over fields of the previous one.
    pub fn carried_over(&self, previous: &Fields) -> Fields {
        previous
            .iter()
            .filter(|(k, _)| self.field_of_key(k).is_some_and(|(_, f)| f.carry_over))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Finds mistakes in the definition itself: duplicate ids, checks naming unknown fields.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for field in self.fields() {
            if !seen.insert(&field.id) {
                return Err(format!("field {} appears twice", field.id));
            }
            if field.id.as_str().contains('#') {
                return Err(format!("field {}: '#' separates a table's row", field.id));
            }
            // A form that declares its period keeps years out of its ids: the period says the year.
            if self.period_kind.is_some() && crate::history::year_in_id(field.id.as_str()).is_some() {
                return Err(format!("field {} names a year; the report's period says which year it is", field.id));
            }
        }
        if let Some(previous) = &self.previous_period_of_versions {
            if self.period_kind.is_none() {
                return Err("previous_period_of_versions needs a period_kind: the period before which?".into());
            }
            for (old, new) in &previous.fields {
                if self.field(&ItemId::from(new.as_str())).is_none() {
                    return Err(format!("previous_period_of_versions maps {old} to {new}, which is not a field"));
                }
                if self.field(&ItemId::from(old.as_str())).is_some() {
                    return Err(format!("previous_period_of_versions: {old} is still a field of this version"));
                }
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

#[cfg(test)]
thread_local! {
    /// How many fields this test's thread has read: what the analytics tests count to hold the
    /// views to reading each field they need once (a count, unlike a time, cannot flake).
    pub(crate) static FIELD_READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Reads one field as typed. `Ok(None)` for an empty optional field.
pub fn read_field(field: &ReportField, typed: Option<&str>) -> Result<Option<CellValue>, InputError> {
    #[cfg(test)]
    FIELD_READS.with(|n| n.set(n.get() + 1));
    if let Some(typed) = typed {
        field.check_text(typed)?;
    }
    let text = typed.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return if field.optional { Ok(None) } else { Err(InputError("Заполните поле.".to_owned())) };
    }
    Ok(Some(match &field.kind {
        ReportFieldKind::Value { unit, .. } => CellValue::Measured { reading: read_value(*unit, text)? },
        ReportFieldKind::Target { unit } => CellValue::Target { target: read_target(*unit, text)? },
        ReportFieldKind::YesNo => CellValue::YesNo { yes: read_yes_no(text)? },
        ReportFieldKind::Text { .. } => CellValue::Text { text: text.to_owned() },
    }))
}

/// Reads every field of a report. Returns what could be read and every problem, field by field,
/// including cross-field ones (a part larger than its whole). Values typed for fields the form
/// does not have are ignored here and kept by the caller.
pub fn read_report(form: &ReportForm, values: &ReportValues) -> (BTreeMap<ItemId, CellValue>, Vec<FieldProblem>) {
    let mut read = BTreeMap::new();
    let mut problems = Vec::new();
    let mut cells: Vec<(&ReportField, ItemId)> = Vec::new();
    for section in &form.sections {
        if section.rows {
            for row in section.rows_in(values) {
                cells.extend(section.fields.iter().map(|f| (f, ItemId(row_key(f.id.as_str(), row)))));
            }
        } else {
            cells.extend(section.fields.iter().map(|f| (f, f.id.clone())));
        }
    }
    for (field, key) in cells {
        match read_field(field, values.get(key.as_str()).map(String::as_str)) {
            Ok(Some(value)) => {
                read.insert(key, value);
            }
            Ok(None) => {}
            Err(e) => problems.push(FieldProblem { field: key, message: e.0 }),
        }
    }
    let measured = |id: &ItemId| match read.get(id) {
        Some(CellValue::Measured { reading }) => reading.value(),
        _ => None,
    };
    for pw in &form.part_of_whole {
        if let (Some(part), Some(whole)) = (measured(&pw.part), measured(&pw.whole))
            && part > whole
        {
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
    (read, problems)
}

/// «16,6», «9»: a number as Russians write it.
pub fn format_number(value: f64) -> String {
    format_tenths(value).unwrap_or_else(|| format_in_general(value))
}

/// A share 0–1 as a percentage to a tenth: «33,3 %», «100 %». Every share the department reads
/// (tables, exports, explanations) is written by this.
pub fn share_ru(share: f64) -> String {
    format!("{} %", format_number((share * 1000.0).round() / 10.0))
}

/// [`format_number`] for any value.
fn format_in_general(value: f64) -> String {
    // Fixed precision, trimmed: the shortest-representation formatter would add its own code to
    // the wasm, and no figure in a report has more than six decimals worth showing.
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.replace('.', ",")
}

/// [`format_number`] of a value that is a whole number of tenths (a percent rounded for a
/// sentence, «30 %», «12,5 %»), written digit by digit: the identification view writes thousands.
/// Below 10⁹ such a value is within 10⁻⁷ of its tenths, so six decimals round to them exactly;
/// `None` for any other value.
fn format_tenths(value: f64) -> Option<String> {
    if value.is_nan() || value.abs() >= 1e9 {
        return None;
    }
    let tenths = (value * 10.0).round();
    if tenths / 10.0 != value {
        return None;
    }
    let tenths = tenths.abs() as u64;
    let mut digits = [0u8; 10];
    let mut whole = tenths / 10;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (whole % 10) as u8;
        whole /= 10;
        if whole == 0 {
            break;
        }
    }
    let mut text = String::with_capacity(14);
    if value.is_sign_negative() {
        text.push('-');
    }
    text.extend(digits[at..].iter().map(|d| char::from(*d)));
    if !tenths.is_multiple_of(10) {
        text.push(',');
        text.push(char::from(b'0' + (tenths % 10) as u8));
    }
    Some(text)
}

/// Which report: one school's form for one reporting period («2018-2019», «2019-Q3»).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReportKey {
    pub school: SchoolId,
    pub form: FormId,
    pub period: String,
}

impl ReportKey {
    /// One string naming the report, for logs and storage keys.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.school, self.form, self.period)
    }
}

/// An edit of a report made on one device: every field as the device has it, and the revision
/// it started from. Whole fields, not a diff: a retried or late edit merges the same way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportEdit {
    pub key: ReportKey,
    pub form_version: u32,
    /// The server revision the device last had; 0 when it had none.
    pub base_revision: u32,
    pub fields: Fields,
    /// Send the report to the department once merged, if it has no problems.
    #[serde(default)]
    pub submit: bool,
    pub at_ms: i64,
    /// Conflicted fields whose kept value the user confirmed as it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmed: Vec<String>,
}

/// A report as the server holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredReport {
    pub key: ReportKey,
    pub form_version: u32,
    pub revision: u32,
    pub fields: Fields,
    /// The latest revision sent to the department; a later revision is an amendment in progress
    /// until it is submitted.
    #[serde(default)]
    pub submitted_revision: Option<u32>,
    /// Fields two people changed differently: the kept value and the other one, to resolve.
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
    pub updated_at_ms: i64,
    pub updated_by: UserId,
}

/// What storing an edit produces.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedEdit {
    pub fields: Fields,
    pub conflicts: Vec<Conflict>,
    /// The edit asked to submit and the merged report has no problems.
    pub submitted: bool,
    /// Why a requested submission did not happen.
    pub problems: Vec<FieldProblem>,
    /// Fields of the edit that did not fit the form and were left as they were.
    pub held_back: Vec<FieldProblem>,
    /// The edit's fields as merged, those held back replaced: what the device is taken to have
    /// sent, the base its next edit from the same revision is merged against.
    pub sent: Fields,
}

/// Refuses an edit that cannot come from the app: a period that is not one, fields the form does
/// not have, absurd sizes. A field whose text does not fit it is not a reason to refuse the edit:
/// see [`hold_back_unfit`].
pub fn check_edit(form: &ReportForm, edit: &ReportEdit) -> Result<(), String> {
    if let Some(kind) = form.period_kind {
        crate::period::Period::parse_of_kind(&edit.key.period, kind)?;
    }
    match crate::period::normalise(&edit.key.period) {
        Ok(period) if period == edit.key.period => {}
        Ok(period) => return Err(format!("period «{}» must be written «{period}»", edit.key.period)),
        Err(problem) => return Err(problem),
    }
    if edit.fields.len() > 2000 {
        return Err("too many fields".to_owned());
    }
    for id in edit.fields.keys() {
        if form.field_of_key(id).is_none() {
            return Err(format!("field {id} is not in {}@{}", form.id, form.version));
        }
    }
    Ok(())
}

/// The fields of an edit that may be sent, and the problems of those that may not: a field whose
/// text is too long or holds a forbidden character goes as it was in `base` (the server's copy
/// the device started from), so one bad field never holds back the rest of the report. The
/// device applies this before queueing an edit, and the server again to what it receives.
pub fn hold_back_unfit(form: &ReportForm, fields: &Fields, base: &Fields) -> (Fields, Vec<FieldProblem>) {
    let mut sendable = Fields::new();
    let mut held_back = Vec::new();
    for (key, value) in fields {
        let unfit = form.field_of_key(key).and_then(|(_, field)| field.check_text(value).err());
        match unfit {
            None => {
                sendable.insert(key.clone(), value.clone());
            }
            Some(problem) => {
                if let Some(previous) = base.get(key) {
                    sendable.insert(key.clone(), previous.clone());
                }
                held_back.push(FieldProblem { field: ItemId(key.clone()), message: problem.0 });
            }
        }
    }
    (sendable, held_back)
}

/// Merges an edit into the stored report. When the device had the latest revision its fields
/// simply become the report; otherwise both sides are merged field by field against the
/// revision the device started from (`base`), and fields both changed differently become
/// conflicts, the other value kept for the user. An edit that changes a conflicted field, or
/// confirms its kept value, resolves that conflict. `base` is what the device is known to have
/// had: the revision it started from, or, when the same device already sent an edit from that
/// revision, the fields that edit sent (its own earlier value is not another device's change).
pub fn apply_edit(
    form: &ReportForm,
    base: Option<&Fields>,
    current: Option<&StoredReport>,
    edit: &ReportEdit,
    author: UserId,
) -> AppliedEdit {
    let empty = Fields::new();
    let base = base.unwrap_or(&empty);
    let (sendable, held_back) = hold_back_unfit(form, &edit.fields, base);
    let edit = &ReportEdit { fields: sendable, ..edit.clone() };
    let (fields, mut conflicts) = match current {
        None => (edit.fields.clone(), Vec::new()),
        Some(current) if current.revision == edit.base_revision => (edit.fields.clone(), current.conflicts.clone()),
        Some(current) => {
            let merged = merge(
                base,
                Edit { fields: &current.fields, author: current.updated_by, at_ms: current.updated_at_ms },
                Edit { fields: &edit.fields, author, at_ms: edit.at_ms },
            );
            let mut conflicts = current.conflicts.clone();
            conflicts.extend(merged.conflicts.into_iter().map(|c| Conflict { revision: current.revision + 1, ..c }));
            (merged.fields, conflicts)
        }
    };
    // A field this edit changed from what its device saw is this person's answer to an earlier
    // conflict on it, unless the merge just produced a new conflict there, or the conflict arose
    // after the revision the edit started from: the device never showed it.
    let new_conflict_fields: Vec<String> = match current {
        Some(c) if c.revision != edit.base_revision => {
            conflicts[c.conflicts.len()..].iter().map(|x| x.field.clone()).collect()
        }
        _ => Vec::new(),
    };
    conflicts.retain(|c| {
        new_conflict_fields.contains(&c.field)
            || c.revision > edit.base_revision
            || (edit.fields.get(&c.field) == base.get(&c.field) && !edit.confirmed.contains(&c.field))
    });
    let (_, problems) = read_report(form, &fields);
    let submitted = edit.submit && problems.is_empty();
    AppliedEdit {
        fields,
        conflicts,
        submitted,
        problems: if edit.submit { problems } else { Vec::new() },
        held_back,
        sent: edit.fields.clone(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_number_of_tenths_is_written_as_the_general_formatter_writes_it() {
        let mut tenths = 0;
        let specials = [0.0, -0.0, 0.1 + 0.2, 999_999_999.9, 1e9, -1e9, 123_456_789.1, f64::NAN, f64::INFINITY, 1e-7];
        let values = (-300_000..=300_000)
            .flat_map(|n| [f64::from(n) / 10.0, f64::from(n) / 100.0, f64::from(n) / 1000.0, f64::from(n) * 1.7])
            .chain(specials);
        for value in values {
            let general = format_in_general(value);
            if let Some(text) = format_tenths(value) {
                tenths += 1;
                assert_eq!(text, general, "{value:e}");
            }
            assert_eq!(format_number(value), general, "{value:e}");
        }
        assert!(tenths > 600_000, "{tenths}");
        assert_eq!(format_number(12.5), "12,5");
        assert_eq!(format_number(-0.0), format_in_general(-0.0));
    }

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
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_filled_report_reads_without_problems() {
        let f = form();
        f.check().unwrap();
        let (read, problems) = read_report(
            &f,
            &values(&[
                ("graduates", "11"),
                ("no_certificate", "1"),
                ("share", "9 %"),
                ("target", "0%"),
                ("psychologist", "Да"),
            ]),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(read.len(), 5, "the empty optional comment is simply absent");
        assert_eq!(read[&ItemId::from("psychologist")], CellValue::YesNo { yes: true });
    }

    #[test]
    fn a_field_that_does_not_fit_goes_as_the_server_had_it_and_says_why() {
        let f = form();
        let long_note = "ы".repeat(1001);
        let base = values(&[("graduates", "11"), ("note", "старое")]);
        // (field, typed, what is sent, held back)
        let cases: &[(&str, &str, Option<&str>, bool)] = &[
            ("graduates", "12", Some("12"), false),
            ("graduates", &"1".repeat(VALUE_MAX_CHARS), Some(&"1".repeat(VALUE_MAX_CHARS)), false),
            ("graduates", &"1".repeat(VALUE_MAX_CHARS + 1), Some("11"), true),
            ("share", &"1".repeat(VALUE_MAX_CHARS + 1), None, true),
            ("note", &long_note, Some("старое"), true),
            ("note", "строка\nвторая", Some("строка\nвторая"), false),
            ("graduates", "1\n2", Some("11"), true),
            ("note", "текст\u{202E}", Some("старое"), true),
            ("psychologist", "да\u{0}", None, true),
        ];
        for (field, typed, sent, held) in cases {
            let mut typed_fields = base.clone();
            typed_fields.insert((*field).to_owned(), (*typed).to_owned());
            typed_fields.insert("target".to_owned(), "0%".to_owned());
            let (sendable, held_back) = hold_back_unfit(&f, &typed_fields, &base);
            assert_eq!(sendable.get(*field).map(String::as_str), *sent, "{field} = {typed:?}");
            assert_eq!(sendable.get("target").map(String::as_str), Some("0%"), "other fields go as typed");
            assert_eq!(
                held_back.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(),
                if *held { vec![*field] } else { vec![] }
            );
        }
    }

    #[test]
    fn a_text_field_counts_characters_against_the_forms_limit() {
        let f = form();
        let note = f.field(&"note".into()).unwrap();
        assert_eq!(note.max_chars(), 1000, "the default when the form says nothing");
        let error = read_field(note, Some(&"я".repeat(1001))).unwrap_err();
        assert_eq!(
            error.0,
            "Не больше 1000 символов, сейчас 1001. Сократите текст — пока он длиннее, поле не отправляется."
        );
        assert!(read_field(note, Some(&"я".repeat(1000))).is_ok());
    }

    #[test]
    fn an_edit_naming_no_period_or_an_unknown_field_is_refused_whole() {
        let f = form();
        let edit = |period: &str, field: &str| ReportEdit {
            key: ReportKey { school: SchoolId(uuid::Uuid::nil()), form: "t".into(), period: period.to_owned() },
            form_version: 1,
            base_revision: 0,
            fields: values(&[(field, "1")]),
            submit: false,
            at_ms: 0,
            confirmed: vec![],
        };
        assert_eq!(check_edit(&f, &edit("2018-2019", "graduates")), Ok(()));
        assert!(check_edit(&f, &edit("9999", "graduates")).is_err());
        assert!(check_edit(&f, &edit(" 2019", "graduates")).unwrap_err().contains("«2019»"), "only as written once");
        assert!(check_edit(&f, &edit("2019", "nonexistent")).is_err());
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

    fn key() -> ReportKey {
        ReportKey { school: SchoolId(uuid::Uuid::nil()), form: "t".into(), period: "2019".to_owned() }
    }

    fn edit(base_revision: u32, fields: &[(&str, &str)], at_ms: i64) -> ReportEdit {
        ReportEdit {
            key: key(),
            form_version: 1,
            base_revision,
            fields: values(fields),
            submit: false,
            at_ms,
            confirmed: Vec::new(),
        }
    }

    fn stored(revision: u32, fields: &[(&str, &str)], by: u128, at_ms: i64) -> StoredReport {
        StoredReport {
            key: key(),
            form_version: 1,
            revision,
            fields: values(fields),
            submitted_revision: None,
            conflicts: Vec::new(),
            updated_at_ms: at_ms,
            updated_by: UserId(uuid::Uuid::from_u128(by)),
        }
    }

    #[test]
    fn edits_of_different_fields_on_two_devices_both_survive() {
        let f = form();
        let base = values(&[("graduates", "11")]);
        // Device A (the principal) saved revision 2 with the share; device B (her deputy) started
        // from revision 1 and typed the target.
        let current = stored(2, &[("graduates", "11"), ("share", "9")], 1, 2000);
        let e = edit(1, &[("graduates", "11"), ("target", "0 %")], 3000);
        let applied = apply_edit(&f, Some(&base), Some(&current), &e, UserId(uuid::Uuid::from_u128(2)));
        assert_eq!(applied.fields, values(&[("graduates", "11"), ("share", "9"), ("target", "0 %")]));
        assert!(applied.conflicts.is_empty());
    }

    #[test]
    fn overlapping_edits_keep_one_value_and_show_the_other_until_resolved() {
        let f = form();
        let base = values(&[("share", "9")]);
        let current = stored(2, &[("share", "10")], 1, 2000);
        let e = edit(1, &[("share", "11")], 3000);
        let deputy = UserId(uuid::Uuid::from_u128(2));
        let applied = apply_edit(&f, Some(&base), Some(&current), &e, deputy);
        assert_eq!(applied.fields["share"], "11", "the later edit is kept");
        assert_eq!(applied.conflicts.len(), 1);
        assert_eq!(applied.conflicts[0].lost.as_deref(), Some("10"), "the other value is shown, not dropped");

        // The principal, on the latest revision, types the value they agree on: resolved.
        let mut now = stored(3, &[("share", "11")], 2, 3000);
        now.conflicts = applied.conflicts.clone();
        let resolve = edit(3, &[("share", "10,5")], 4000);
        let resolved =
            apply_edit(&f, Some(&values(&[("share", "11")])), Some(&now), &resolve, UserId(uuid::Uuid::from_u128(1)));
        assert!(resolved.conflicts.is_empty());
        assert_eq!(resolved.fields["share"], "10,5");
        // An edit that leaves the field alone leaves the conflict open.
        let other = edit(3, &[("share", "11"), ("note", "ок")], 4000);
        assert_eq!(
            apply_edit(&f, Some(&values(&[("share", "11")])), Some(&now), &other, UserId(uuid::Uuid::from_u128(1)))
                .conflicts
                .len(),
            1
        );
        // Confirming the kept value as it is resolves it too.
        let mut confirm = edit(3, &[("share", "11")], 4000);
        confirm.confirmed = vec!["share".to_owned()];
        let confirmed =
            apply_edit(&f, Some(&values(&[("share", "11")])), Some(&now), &confirm, UserId(uuid::Uuid::from_u128(1)));
        assert!(confirmed.conflicts.is_empty());
        assert_eq!(confirmed.fields["share"], "11");
    }

    /// Found by the protocol property test: an edit made on an earlier revision answered a
    /// conflict that arose after it, one its device had never shown, and the conflict's other
    /// value was gone.
    #[test]
    fn an_edit_does_not_resolve_a_conflict_it_never_saw() {
        let f = form();
        let (principal, deputy) = (UserId(uuid::Uuid::from_u128(1)), UserId(uuid::Uuid::from_u128(2)));
        // Revision 1 has the share at 10; a late edit from nothing typed 12: revision 2 keeps 10
        // and shows 12.
        let rev1 = stored(1, &[("share", "10")], 1, 2000);
        let late = apply_edit(&f, None, Some(&rev1), &edit(0, &[("share", "12")], 1000), deputy);
        assert_eq!(late.conflicts.len(), 1);
        assert_eq!(late.conflicts[0].revision, 2, "the conflict knows the revision it arose in");
        let mut rev2 = stored(2, &[("share", "10")], 2, 3000);
        rev2.conflicts = late.conflicts;
        // A device still on revision 1, which had no conflict, types 11: 12 is still shown.
        let stale = edit(1, &[("share", "11")], 4000);
        let after = apply_edit(&f, Some(&values(&[("share", "10")])), Some(&rev2), &stale, principal);
        assert_eq!(after.fields["share"], "11");
        assert_eq!(after.conflicts.len(), 1, "{:?}", after.conflicts);
        assert_eq!(after.conflicts[0].lost.as_deref(), Some("12"));
        // Nor does a confirmation from there answer it.
        let mut confirm = edit(1, &[("share", "10")], 4000);
        confirm.confirmed = vec!["share".to_owned()];
        assert_eq!(
            apply_edit(&f, Some(&values(&[("share", "10")])), Some(&rev2), &confirm, principal).conflicts.len(),
            1
        );
        // A device that has seen it (an edit on revision 2) answers it by typing over the field.
        let seen = edit(2, &[("share", "11")], 5000);
        assert!(apply_edit(&f, Some(&values(&[("share", "10")])), Some(&rev2), &seen, principal).conflicts.is_empty());
    }

    #[test]
    fn a_submission_with_problems_is_saved_but_not_submitted() {
        let f = form();
        let mut e = edit(0, &[("graduates", "11"), ("no_certificate", "12")], 1000);
        e.submit = true;
        let applied = apply_edit(&f, None, None, &e, UserId(uuid::Uuid::nil()));
        assert!(!applied.submitted);
        assert_eq!(applied.fields.len(), 2, "what was typed is stored anyway");
        assert!(!applied.problems.is_empty());
    }

    #[test]
    fn edits_naming_unknown_fields_are_refused() {
        let f = form();
        assert!(check_edit(&f, &edit(0, &[("graduates", "1")], 0)).is_ok());
        assert!(check_edit(&f, &edit(0, &[("salary", "1")], 0)).is_err());
        let mut e = edit(0, &[], 0);
        e.key.period = " ".to_owned();
        assert!(check_edit(&f, &e).is_err());
    }

    #[test]
    fn numbers_are_written_with_a_decimal_comma() {
        assert_eq!(format_number(16.6), "16,6");
        assert_eq!(format_number(9.0), "9");
    }

    fn plan() -> ReportForm {
        serde_json::from_value(serde_json::json!({
            "id": "plan", "version": 1, "title": "План",
            "sections": [{ "id": "items", "title": "Мероприятия", "rows": true, "fields": [
                { "id": "measure", "label": "Мероприятие", "type": "text", "carry_over": true },
                { "id": "deadline", "label": "Срок", "type": "text", "carry_over": true },
                { "id": "progress", "label": "Отметка о выполнении", "type": "text", "optional": true }
            ]}]
        }))
        .unwrap()
    }

    #[test]
    fn a_table_section_reads_each_filled_row_and_names_problems_by_row() {
        let f = plan();
        f.check().unwrap();
        let typed = values(&[
            ("measure#1", "Семинар"),
            ("deadline#1", "Август 2018"),
            ("progress#1", "Выполнено"),
            ("measure#3", "Курсы"),
            ("deadline#3", " "),
            // A cleared row is no row.
            ("measure#2", ""),
            ("deadline#2", ""),
        ]);
        assert_eq!(f.sections[0].rows_in(&typed), vec![1, 3]);
        let (read, problems) = read_report(&f, &typed);
        assert_eq!(read.len(), 4, "{read:?}");
        assert_eq!(
            problems,
            vec![FieldProblem { field: ItemId::from("deadline#3"), message: "Заполните поле.".into() }]
        );
        assert_eq!(f.label_of("deadline#3"), "Срок (строка 3)");
    }

    #[test]
    fn table_keys_are_accepted_only_in_table_sections_and_within_bounds() {
        let p = plan();
        let mut e = edit(0, &[("measure#1", "Семинар"), ("measure#300", "x")], 0);
        e.key.form = FormId::from("plan");
        assert!(check_edit(&p, &e).is_ok());
        for bad in ["measure", "measure#0", "measure#301", "measure#x", "nothing#1"] {
            let e = edit(0, &[(bad, "x")], 0);
            assert!(check_edit(&p, &e).is_err(), "{bad}");
        }
        // And a plain section takes no rows.
        assert!(check_edit(&form(), &edit(0, &[("graduates#1", "1")], 0)).is_err());
    }

    #[test]
    fn a_new_period_starts_with_the_plan_but_not_its_progress() {
        let previous = values(&[("measure#1", "Семинар"), ("deadline#1", "Август 2018"), ("progress#1", "Выполнено")]);
        assert_eq!(plan().carried_over(&previous), values(&[("measure#1", "Семинар"), ("deadline#1", "Август 2018")]));
    }
}
