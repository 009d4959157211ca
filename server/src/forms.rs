//! Loading form definition files into storage at start-up.

use crate::storage::{FormStored, Storage};
use anyhow::{Context, bail};
use opora_domain::form::FormDefinition;
use opora_domain::report::ReportForm;
use std::path::Path;

/// Reads every `*.json` in `dir`, checks it and stores new versions. Refuses to start when a file
/// is broken or rewrites a version already stored: published versions are immutable, because
/// submissions were answered against them.
pub async fn load_forms(store: &dyn Storage, dir: &Path, now_ms: i64) -> anyhow::Result<Vec<FormDefinition>> {
    let mut forms = Vec::new();
    for (path, form) in json_files::<FormDefinition>(dir)? {
        let problems = form.check();
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            bail!("{} is not a sound form definition: {}", path.display(), list.join("; "));
        }
        match store.store_form(&form, now_ms).await? {
            FormStored::Inserted => tracing::info!(form = %form.form_ref(), "form loaded"),
            FormStored::AlreadyIdentical => {}
            FormStored::Conflicts => bail!(
                "{} changes {} which is already published; publish it as a new version instead",
                path.display(),
                form.form_ref()
            ),
        }
        forms.push(form);
    }
    if forms.is_empty() {
        bail!("no form definitions in {}", dir.display());
    }
    Ok(forms)
}

/// Reads every `*.json` report form in `dir` (`data/forms/reports`), like [`load_forms`]: checked,
/// and refused if it rewrites a published version. A missing folder means no report forms.
pub async fn load_report_forms(store: &dyn Storage, dir: &Path, now_ms: i64) -> anyhow::Result<Vec<ReportForm>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut forms = Vec::new();
    for (path, form) in json_files::<ReportForm>(dir)? {
        if let Err(problem) = form.check() {
            bail!("{} is not a sound report form: {problem}", path.display());
        }
        if store.store_report_form(&form, now_ms).await? == FormStored::Conflicts {
            bail!(
                "{} changes {}@{} which is already published; publish it as a new version instead",
                path.display(),
                form.id,
                form.version
            );
        }
        forms.push(form);
    }
    Ok(forms)
}

/// Every `*.json` file directly in `dir`, parsed, in file-name order.
fn json_files<T: serde::de::DeserializeOwned>(dir: &Path) -> anyhow::Result<Vec<(std::path::PathBuf, T)>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let parsed = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
            Ok((path, parsed))
        })
        .collect()
}

/// The monitoring indicators of the department's statistics, and the report form they read.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Indicators {
    pub form: opora_domain::FormId,
    pub indicators: Vec<opora_domain::analytics::IndicatorDef>,
    #[serde(default)]
    pub self_diagnosis_targets: Vec<opora_domain::analytics::YearTarget>,
    #[serde(default)]
    pub dynamics_targets: Vec<opora_domain::analytics::DynamicsTarget>,
}

/// Reads the indicator definitions; a missing file means no statistics, a broken one refuses to start.
pub fn load_indicators(path: &Path) -> anyhow::Result<Indicators> {
    if !path.exists() {
        return Ok(Indicators {
            form: opora_domain::FormId::from("monitoring"),
            indicators: Vec::new(),
            self_diagnosis_targets: Vec::new(),
            dynamics_targets: Vec::new(),
        });
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}
