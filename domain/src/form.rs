//! Form definitions: questionnaires and reports as data, not code.
//!
//! A form is a versioned JSON document (see `data/forms/`). The server loads it, the app receives it
//! through sync and renders it with generic code, and [`crate::scoring`] scores answers against it.
//! A new form or a new version of a form is a new file, never a code change. A version, once
//! published, never changes: submissions name the version they were answered against.

use crate::{AreaId, FormId, FormRef, ItemId, SubjectCode};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    /// A teacher's professional self-diagnosis, scored per area.
    SelfDiagnosis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormDefinition {
    pub id: FormId,
    pub version: u32,
    pub kind: FormKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// A choice made before answering that decides which fields apply, e.g. the teacher's subject.
    #[serde(default)]
    pub variant: Option<VariantChoice>,
    /// Named answer scales, e.g. `mastery`: 0 «не владею» … 3 «владею и могу научить других».
    #[serde(default)]
    pub scales: BTreeMap<String, Vec<ScaleOption>>,
    pub sections: Vec<Section>,
    #[serde(default)]
    pub scoring: Option<ScoringRules>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantChoice {
    /// The question, e.g. «Какой предмет вы преподаёте?».
    pub label: String,
    pub options: Vec<VariantOption>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantOption {
    pub code: SubjectCode,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleOption {
    pub value: u8,
    pub label: String,
}

/// A group of fields shown together. In a self-diagnosis a section is a competency area and is
/// scored as one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub id: AreaId,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub fields: Vec<Field>,
    /// Development topics offered when the area comes out as a deficit.
    #[serde(default)]
    pub recommendations: Vec<Recommendation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub id: ItemId,
    pub text: String,
    #[serde(default)]
    pub hint: Option<String>,
    #[serde(flatten)]
    pub kind: FieldKind,
    /// Only shown (and scored) for this variant; `None` means for everyone.
    #[serde(default)]
    pub variant: Option<SubjectCode>,
    /// An optional field may be skipped; it then counts neither for nor against the score.
    #[serde(default)]
    pub optional: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// One value of a named scale.
    Scale { scale: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub title: String,
    #[serde(default)]
    pub detail: Option<String>,
    /// Only recommended to teachers of this variant (subject); `None` means to everyone.
    #[serde(default)]
    pub variant: Option<SubjectCode>,
}

/// Where the level boundaries lie. They belong to the form, not the code, so a methodologist can
/// move them in a new version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoringRules {
    /// An area scoring below this share of its maximum is a deficit.
    pub deficit_below_percent: u8,
    /// An area scoring at least this share is a strength; between the two lies the zone of growth.
    pub strength_from_percent: u8,
}

/// Something wrong with a form definition file. Checked when the server loads forms, so a broken
/// file stops the server at start-up instead of confusing teachers later.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("item id {0} is used more than once")]
    DuplicateItem(ItemId),
    #[error("section id {0} is used more than once")]
    DuplicateSection(AreaId),
    #[error("item {item} uses scale {scale}, which the form does not define")]
    UnknownScale { item: ItemId, scale: String },
    #[error("scale {0} must list the values 0, 1, 2, … in order")]
    BadScale(String),
    #[error("item {item} names variant {variant}, which the form does not offer")]
    UnknownVariant { item: ItemId, variant: SubjectCode },
    #[error("thresholds must satisfy 0 ≤ deficit_below ≤ strength_from ≤ 100")]
    BadThresholds,
    #[error("a self-diagnosis needs scoring rules")]
    MissingScoring,
    #[error("section {0} has no items")]
    EmptySection(AreaId),
}

impl FormDefinition {
    pub fn form_ref(&self) -> FormRef {
        FormRef { id: self.id.clone(), version: self.version }
    }

    /// Every problem with the definition, empty when it is sound.
    pub fn check(&self) -> Vec<DefinitionError> {
        let mut errors = Vec::new();
        for (name, options) in &self.scales {
            let in_order = options.iter().enumerate().all(|(i, o)| usize::from(o.value) == i);
            if options.len() < 2 || !in_order {
                errors.push(DefinitionError::BadScale(name.clone()));
            }
        }
        let variants: BTreeSet<&SubjectCode> =
            self.variant.iter().flat_map(|v| v.options.iter().map(|o| &o.code)).collect();
        let mut items = BTreeSet::new();
        let mut sections = BTreeSet::new();
        for section in &self.sections {
            if !sections.insert(&section.id) {
                errors.push(DefinitionError::DuplicateSection(section.id.clone()));
            }
            if section.fields.is_empty() {
                errors.push(DefinitionError::EmptySection(section.id.clone()));
            }
            for field in &section.fields {
                if !items.insert(&field.id) {
                    errors.push(DefinitionError::DuplicateItem(field.id.clone()));
                }
                let FieldKind::Scale { scale } = &field.kind;
                if !self.scales.contains_key(scale) {
                    errors.push(DefinitionError::UnknownScale { item: field.id.clone(), scale: scale.clone() });
                }
                if let Some(v) = &field.variant
                    && !variants.contains(v)
                {
                    errors.push(DefinitionError::UnknownVariant { item: field.id.clone(), variant: v.clone() });
                }
            }
        }
        match (&self.kind, &self.scoring) {
            (FormKind::SelfDiagnosis, None) => errors.push(DefinitionError::MissingScoring),
            (_, Some(rules)) => {
                if rules.deficit_below_percent > rules.strength_from_percent || rules.strength_from_percent > 100 {
                    errors.push(DefinitionError::BadThresholds);
                }
            }
        }
        errors
    }

    /// The fields a respondent of this variant answers, in display order.
    pub fn applicable_fields<'a>(
        &'a self,
        variant: Option<&'a SubjectCode>,
    ) -> impl Iterator<Item = (&'a Section, &'a Field)> + 'a {
        self.sections
            .iter()
            .flat_map(move |s| s.fields.iter().filter(move |f| applies(f, variant)).map(move |f| (s, f)))
    }

    pub fn field(&self, id: &ItemId) -> Option<&Field> {
        self.sections.iter().flat_map(|s| s.fields.iter()).find(|f| &f.id == id)
    }

    pub fn scale_of(&self, field: &Field) -> &[ScaleOption] {
        let FieldKind::Scale { scale } = &field.kind;
        self.scales.get(scale).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn variant_title(&self, code: &SubjectCode) -> Option<&str> {
        self.variant.as_ref()?.options.iter().find(|o| &o.code == code).map(|o| o.title.as_str())
    }

    pub fn section(&self, id: &AreaId) -> Option<&Section> {
        self.sections.iter().find(|s| &s.id == id)
    }
}

/// Whether a field is shown to a respondent of `variant`.
pub fn applies(field: &Field, variant: Option<&SubjectCode>) -> bool {
    match &field.variant {
        None => true,
        Some(v) => Some(v) == variant,
    }
}

impl Section {
    /// The recommendations for a teacher of `variant`.
    pub fn recommendations_for<'a>(
        &'a self,
        variant: Option<&'a SubjectCode>,
    ) -> impl Iterator<Item = &'a Recommendation> + 'a {
        self.recommendations.iter().filter(move |r| r.variant.is_none() || r.variant.as_ref() == variant)
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A tiny form for hand-computed tests: scale 0..=3, deficit < 50 %, strength ≥ 80 %.
    /// Area `a`: a1, a2. Area `b`: b1 (optional). Area `s`: m1 (math only), r1 (russian only).
    pub fn small_form() -> FormDefinition {
        serde_json::from_str(
            r#"{
            "id": "sd-test", "version": 1, "kind": "self_diagnosis", "title": "Тест",
            "variant": {"label": "Предмет", "options": [
                {"code": "math", "title": "Математика"}, {"code": "russian", "title": "Русский язык"}]},
            "scales": {"mastery": [
                {"value": 0, "label": "Не владею"}, {"value": 1, "label": "Частично"},
                {"value": 2, "label": "Владею"}, {"value": 3, "label": "Могу научить"}]},
            "scoring": {"deficit_below_percent": 50, "strength_from_percent": 80},
            "sections": [
                {"id": "a", "title": "A", "fields": [
                    {"id": "a1", "text": "A1", "type": "scale", "scale": "mastery"},
                    {"id": "a2", "text": "A2", "type": "scale", "scale": "mastery"}]},
                {"id": "b", "title": "B", "fields": [
                    {"id": "b1", "text": "B1", "type": "scale", "scale": "mastery", "optional": true}]},
                {"id": "s", "title": "S", "fields": [
                    {"id": "m1", "text": "M1", "type": "scale", "scale": "mastery", "variant": "math"},
                    {"id": "r1", "text": "R1", "type": "scale", "scale": "mastery", "variant": "russian"}],
                 "recommendations": [
                    {"title": "Общая тема"},
                    {"title": "Тема по математике", "variant": "math"},
                    {"title": "Тема по русскому", "variant": "russian"}]}
            ]}"#,
        )
        .expect("the test form parses")
    }

    #[test]
    fn the_small_form_is_sound() {
        assert_eq!(small_form().check(), vec![]);
    }

    #[test]
    fn check_finds_broken_definitions() {
        let mut f = small_form();
        f.sections[0].fields[1].id = "a1".into();
        f.sections[2].fields[0].variant = Some("chemistry".into());
        f.sections[1].fields[0].kind = FieldKind::Scale { scale: "nope".into() };
        f.scoring = Some(ScoringRules { deficit_below_percent: 90, strength_from_percent: 80 });
        let errors = f.check();
        assert!(errors.contains(&DefinitionError::DuplicateItem("a1".into())), "{errors:?}");
        assert!(errors.iter().any(|e| matches!(e, DefinitionError::UnknownVariant { .. })));
        assert!(errors.iter().any(|e| matches!(e, DefinitionError::UnknownScale { .. })));
        assert!(errors.contains(&DefinitionError::BadThresholds));
    }
}
