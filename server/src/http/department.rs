//! The department's views. Aggregates only: no endpoint here returns a teacher's answers or her
//! individual result, and groups smaller than the configured minimum read «недостаточно данных».
//! Every figure about teachers is a sum of whole released atoms (`aggregate::release`), so no two
//! views, filters or readings differ by one teacher (ARCHITECTURE.md, «Disclosure control»).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Json, Query};
use crate::scope::{visible_municipality, visible_region};
use crate::storage::NewAudit;
use axum::extract::State;
use opora_domain::aggregate::{Received, Released, release, summarise_atoms};
use opora_domain::api::{
    AreaTitle, AuditEntry, ErrorCode, MunicipalitySelfDiagnosisRow, PrivacySettings, RegionSelfDiagnosis,
    SchoolSelfDiagnosisRow, SelfDiagnosisOverview,
};
use opora_domain::form::FormDefinition;
use opora_domain::org::Role;
use opora_domain::{AreaId, FormId, MunicipalityId, RegionId};
use serde::Deserialize;

/// The form whose results the department overview aggregates.
pub const SELF_DIAGNOSIS_FORM: &str = "self-diagnosis";

#[derive(Deserialize)]
pub struct MunicipalityQuery {
    /// For regional and admin users, which municipality; municipal users always see their own.
    pub(crate) municipality: Option<MunicipalityId>,
}

#[derive(Deserialize)]
pub struct RegionQuery {
    /// For admin users, which region; regional users always see their own.
    region: Option<RegionId>,
}

/// The areas of a form, as ids for aggregation and as titles for display.
pub fn area_titles(form: &FormDefinition) -> (Vec<AreaId>, Vec<AreaTitle>) {
    let ids = form.sections.iter().map(|s| s.id.clone()).collect();
    let titles = form.sections.iter().map(|s| AreaTitle { id: s.id.clone(), title: s.title.clone() }).collect();
    (ids, titles)
}

/// Every self-diagnosis submitted at a school of the region, in the server's order of receipt:
/// what `release` replays. Always the whole region, whichever part a view shows, so a school's
/// figure is the same in the principal's, the municipality's and the region's view.
pub(crate) async fn received_in(
    state: &AppState,
    region: RegionId,
    form: &FormId,
) -> AppResult<Vec<crate::storage::ReceivedSubmission>> {
    Ok(state.store.received_submissions(region, form).await?)
}

/// The region's released atoms; borrows the profiles of `received`.
pub(crate) fn released<'a>(state: &AppState, received: &'a [crate::storage::ReceivedSubmission]) -> Released<'a> {
    let list: Vec<Received<'a>> = received.iter().map(|r| r.as_received()).collect();
    release(&list, state.settings.min_group)
}

async fn self_diagnosis_form(state: &AppState) -> AppResult<FormDefinition> {
    state
        .store
        .latest_form(&FormId::from(SELF_DIAGNOSIS_FORM))
        .await?
        .ok_or_else(|| AppError::code(ErrorCode::NotFound))
}

pub async fn self_diagnosis(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<MunicipalityQuery>,
) -> AppResult<Json<SelfDiagnosisOverview>> {
    let municipality_id = visible_municipality(&state, &user, query.municipality).await?;
    let municipality =
        state.store.municipality(municipality_id).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    let form = self_diagnosis_form(&state).await?;
    let (areas, titles) = area_titles(&form);
    let schools = state.store.schools_of(municipality_id).await?;
    let counts = state.store.teacher_counts(municipality_id).await?;
    let received = received_in(&state, municipality.region_id, &form.id).await?;
    let released = released(&state, &received);
    let min_group = state.settings.min_group;
    let rows = schools
        .into_iter()
        .map(|school| {
            let teachers = counts.iter().find(|(id, _)| *id == school.id).map_or(0, |(_, n)| *n);
            let completed = released.submitted_at([&school.id]);
            let atoms = released.of_school(school.id);
            SchoolSelfDiagnosisRow { summary: summarise_atoms(&areas, teachers, completed, &atoms, min_group), school }
        })
        .collect();
    let teachers = counts.iter().map(|(_, n)| n).sum();
    let completed = released.submitted_at(counts.iter().map(|(id, _)| id));
    let all = released.of_municipality(municipality_id);
    state
        .store
        .audit(
            &NewAudit::new(Some(user.profile.id), "department.viewed", municipality_id).detail("self-diagnosis"),
            state.now_ms(),
        )
        .await?;
    Ok(Json(SelfDiagnosisOverview {
        municipality,
        form: form.form_ref(),
        areas: titles,
        min_group,
        schools: rows,
        total: summarise_atoms(&areas, teachers, completed, &all, min_group),
        generated_at_ms: state.now_ms(),
    }))
}

/// The region's view: one aggregate per municipality. Regional specialists see their own region,
/// administrators any.
pub async fn region_self_diagnosis(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<RegionQuery>,
) -> AppResult<Json<RegionSelfDiagnosis>> {
    let region = visible_region(&user, query.region)?;
    let form = self_diagnosis_form(&state).await?;
    let (areas, titles) = area_titles(&form);
    let min_group = state.settings.min_group;
    let received = received_in(&state, region, &form.id).await?;
    let released = released(&state, &received);
    let mut rows = Vec::new();
    let mut all_teachers = 0;
    let mut all_completed = 0;
    for municipality in state.store.municipalities_of(region).await? {
        let counts = state.store.teacher_counts(municipality.id).await?;
        let teachers: u32 = counts.iter().map(|(_, n)| n).sum();
        let completed = released.submitted_at(counts.iter().map(|(id, _)| id));
        let atoms = released.of_municipality(municipality.id);
        rows.push(MunicipalitySelfDiagnosisRow {
            summary: summarise_atoms(&areas, teachers, completed, &atoms, min_group),
            municipality,
        });
        all_teachers += teachers;
        all_completed += completed;
    }
    if rows.is_empty() && user.profile.role == Role::Admin {
        return Err(AppError::code(ErrorCode::NotFound));
    }
    let all: Vec<_> = released.atoms.iter().collect();
    state
        .store
        .audit(
            &NewAudit::new(Some(user.profile.id), "department.viewed", region).detail("region self-diagnosis"),
            state.now_ms(),
        )
        .await?;
    Ok(Json(RegionSelfDiagnosis {
        region,
        form: form.form_ref(),
        areas: titles,
        min_group,
        municipalities: rows,
        total: summarise_atoms(&areas, all_teachers, all_completed, &all, min_group),
        generated_at_ms: state.now_ms(),
    }))
}

/// Whether principals of a municipality may see their teachers' individual results. Read by the
/// department that decides it; principals learn the answer from their school view.
pub async fn privacy(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<MunicipalityQuery>,
) -> AppResult<Json<PrivacySettings>> {
    let municipality = visible_municipality(&state, &user, query.municipality).await?;
    let principals_see_individual = state.store.principals_see_individual(municipality).await?;
    Ok(Json(PrivacySettings { municipality, principals_see_individual }))
}

/// Only the municipality's own department (or an administrator) decides; a regional specialist
/// may look but not change it.
pub async fn set_privacy(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(req): Json<PrivacySettings>,
) -> AppResult<Json<PrivacySettings>> {
    if !matches!(user.profile.role, Role::Municipal | Role::Admin) {
        return Err(AppError::code(ErrorCode::Forbidden));
    }
    let municipality = visible_municipality(&state, &user, Some(req.municipality)).await?;
    let audit = NewAudit::new(Some(user.profile.id), "privacy.changed", municipality).detail(
        if req.principals_see_individual {
            "руководители видят результаты учителей"
        } else {
            "только сводные"
        },
    );
    state
        .store
        .set_principals_see_individual(
            Some(user.session()),
            municipality,
            req.principals_see_individual,
            &audit,
            state.now_ms(),
        )
        .await?;
    Ok(Json(PrivacySettings { municipality, principals_see_individual: req.principals_see_individual }))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

/// The audit log, newest first: administrators only.
pub async fn audit_log(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AuditQuery>,
) -> AppResult<Json<Vec<AuditEntry>>> {
    if user.profile.role != Role::Admin {
        return Err(AppError::code(ErrorCode::Forbidden));
    }
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    Ok(Json(state.store.audit_log(query.before, limit).await?))
}
