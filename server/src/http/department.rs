//! The department's views. Aggregates only: no endpoint here returns a teacher's answers.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Json, Query};
use axum::extract::State;
use opora_domain::aggregate::summarise;
use opora_domain::api::{AreaTitle, ErrorCode, SchoolSelfDiagnosisRow, SelfDiagnosisOverview};
use opora_domain::org::Role;
use opora_domain::scoring::Profile;
use opora_domain::{AreaId, FormId, MunicipalityId};
use serde::Deserialize;

/// The form whose results the department overview aggregates.
pub const SELF_DIAGNOSIS_FORM: &str = "self-diagnosis";

#[derive(Deserialize)]
pub struct OverviewQuery {
    /// For regional and admin users, which municipality; municipal users always see their own.
    municipality: Option<MunicipalityId>,
}

pub async fn self_diagnosis(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<OverviewQuery>,
) -> AppResult<Json<SelfDiagnosisOverview>> {
    let own = user.profile.municipality.as_ref().map(|m| m.id);
    let municipality_id = match user.profile.role {
        Role::Municipal => own.ok_or_else(|| AppError::code(ErrorCode::Forbidden))?,
        Role::Admin => query.municipality.or(own).ok_or_else(|| AppError::code(ErrorCode::NotFound))?,
        Role::Regional => {
            let wanted = query.municipality.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
            let m = state.store.municipality(wanted).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
            let region = user.profile.municipality.as_ref().map(|m| m.region_id);
            if Some(m.region_id) != region {
                return Err(AppError::code(ErrorCode::Forbidden));
            }
            wanted
        }
        Role::Teacher | Role::Principal => return Err(AppError::code(ErrorCode::Forbidden)),
    };
    let municipality =
        state.store.municipality(municipality_id).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    let form_id = FormId::from(SELF_DIAGNOSIS_FORM);
    let form = state.store.latest_form(&form_id).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    let areas: Vec<AreaId> = form.sections.iter().map(|s| s.id.clone()).collect();
    let schools = state.store.schools_of(municipality_id).await?;
    let counts = state.store.teacher_counts(municipality_id).await?;
    let latest = state.store.latest_profiles(municipality_id, &form_id).await?;
    let min_group = state.settings.min_group;
    let rows = schools
        .into_iter()
        .map(|school| {
            let teachers = counts.iter().find(|(id, _)| *id == school.id).map_or(0, |(_, n)| *n);
            let profiles: Vec<&Profile> =
                latest.iter().filter(|l| l.school == school.id).map(|l| &l.profile).collect();
            SchoolSelfDiagnosisRow { summary: summarise(&areas, teachers, &profiles, min_group), school }
        })
        .collect();
    let all: Vec<&Profile> = latest.iter().map(|l| &l.profile).collect();
    let teachers = counts.iter().map(|(_, n)| n).sum();
    Ok(Json(SelfDiagnosisOverview {
        municipality,
        form: form.form_ref(),
        areas: form.sections.iter().map(|s| AreaTitle { id: s.id.clone(), title: s.title.clone() }).collect(),
        min_group,
        schools: rows,
        total: summarise(&areas, teachers, &all, min_group),
        generated_at_ms: state.now_ms(),
    }))
}
