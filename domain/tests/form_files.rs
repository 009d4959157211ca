//! The form definition files the server ships are sound and rich enough for the programme.

use opora_domain::form::{FormDefinition, FormKind};
use std::collections::BTreeSet;

fn forms() -> Vec<(String, FormDefinition)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/forms");
    let mut forms = Vec::new();
    for entry in std::fs::read_dir(dir).expect("data/forms exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let form: FormDefinition =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
            forms.push((path.display().to_string(), form));
        }
    }
    assert!(!forms.is_empty(), "no form files found");
    forms
}

#[test]
fn every_form_file_is_sound_and_named_after_its_id_and_version() {
    for (path, form) in forms() {
        assert_eq!(form.check(), vec![], "{path}");
        let expected = format!("{}.v{}.json", form.id, form.version);
        assert!(path.ends_with(&expected), "{path} should be named {expected}");
    }
}

#[test]
fn the_self_diagnosis_covers_the_programme_subjects_and_areas() {
    let (_, form) = forms()
        .into_iter()
        .find(|(_, f)| f.kind == FormKind::SelfDiagnosis && f.id.as_str() == "self-diagnosis")
        .expect("a self-diagnosis form");
    let subjects: BTreeSet<&str> = form.variant.as_ref().unwrap().options.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(subjects, BTreeSet::from(["russian", "math", "physics", "geography", "social", "primary"]));
    assert!(form.sections.len() >= 8, "at least 8 competency areas");
    let items: usize = form.sections.iter().map(|s| s.fields.len()).sum();
    assert!(items >= 40, "at least 40 items, found {items}");
    for subject in &subjects {
        let specific = form
            .sections
            .iter()
            .flat_map(|s| &s.fields)
            .filter(|f| f.variant.as_ref().is_some_and(|v| v.as_str() == *subject))
            .count();
        assert!(specific >= 3, "{subject} has only {specific} subject-specific items");
    }
    for section in &form.sections {
        assert!(!section.recommendations.is_empty(), "{} has no recommendations", section.id);
    }
    assert!(form.scales.values().all(|s| s.len() == 4), "a 4-point scale");
}
