//! Programme membership by academic year (issue 11): the department reads a year's list with the
//! decisions behind it and the identification rules' proposal for the next year, and confirms or
//! changes the list. Storage: `Storage::membership_of` / `decide_membership`.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Json, Query};
use crate::scope::visible_municipality;
use crate::storage::NewAudit;
use axum::extract::State;
use opora_domain::api::ErrorCode;
use opora_domain::membership::{
    DecideMembership, MembershipDecision, MembershipView, programme_size_by_year, propose, rows, year_label,
};
use opora_domain::org::Role;
use opora_domain::period::{Period, PeriodKind};
use opora_domain::{MunicipalityId, SchoolId};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

#[derive(Deserialize)]
pub struct MembershipQuery {
    municipality: Option<MunicipalityId>,
    /// «2025-2026»; this academic year when absent.
    year: Option<String>,
}

/// An academic year as its first year, or a refusal naming how to write it.
fn academic_year(text: &str) -> AppResult<u16> {
    match Period::parse_of_kind(text, PeriodKind::AcademicYear) {
        Ok(Period::AcademicYear(first)) if text == Period::AcademicYear(first).to_string() => Ok(first),
        Ok(p) => Err(AppError::detail(ErrorCode::InvalidInput, format!("Пишите учебный год так: «{p}»."))),
        Err(problem) => Err(AppError::detail(ErrorCode::InvalidInput, problem)),
    }
}

pub async fn view(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<MembershipQuery>,
) -> AppResult<Json<MembershipView>> {
    let municipality = visible_municipality(&state, &user, query.municipality).await?;
    let year = match &query.year {
        Some(text) => academic_year(text)?,
        None => {
            let today = crate::http::campaigns::today(&state);
            let (y, m) = (
                today.get(..4).and_then(|y| y.parse::<u16>().ok()),
                today.get(5..7).and_then(|m| m.parse::<u8>().ok()),
            );
            match (y, m) {
                (Some(y), Some(m)) if m >= 9 => y,
                (Some(y), Some(_)) => y - 1,
                _ => return Err(AppError::code(ErrorCode::InvalidInput)),
            }
        }
    };
    let schools = state.store.school_flags(municipality).await?;
    let decisions = state.store.membership_of(municipality).await?;
    // The rules' findings on this year's results (and the year before's) propose next year's list.
    let findings: HashMap<SchoolId, Vec<opora_domain::analytics::Flag>> =
        crate::http::analytics::identification(&state, &user, municipality, &year_label(year))
            .await?
            .into_iter()
            .map(|s| (s.school.id, s.flags))
            .collect();
    let now = opora_domain::membership::flags_in_year(&decisions, year, &schools);
    let refs: Vec<_> = schools.iter().map(|(s, _)| s.clone()).collect();
    Ok(Json(MembershipView {
        municipality,
        year: year_label(year),
        decided: opora_domain::membership::decided(&decisions, year),
        schools: rows(&decisions, year, &schools),
        years: programme_size_by_year(&decisions).into_iter().map(|(y, n)| (year_label(y), n)).collect(),
        next_year: year_label(year + 1),
        proposals: propose(&refs, &now, &findings),
    }))
}

/// Only the municipality's own department (or an administrator) decides; a regional specialist
/// may look. Every school named must be the municipality's; schools not named keep their rows.
pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(req): Json<DecideMembership>,
) -> AppResult<Json<MembershipView>> {
    if !matches!(user.profile.role, Role::Municipal | Role::Admin) {
        return Err(AppError::code(ErrorCode::Forbidden));
    }
    let municipality = visible_municipality(&state, &user, req.municipality).await?;
    let year = academic_year(&req.year)?;
    let basis = req.basis.trim();
    if basis.is_empty() || basis.chars().count() > 200 {
        return Err(AppError::detail(ErrorCode::InvalidInput, "Укажите основание: номер приказа (до 200 знаков)."));
    }
    let basis_date = opora_domain::campaign::read_date(&req.basis_date)
        .ok_or_else(|| AppError::detail(ErrorCode::InvalidInput, "Дата приказа не распознана: пишите «30.08.2026»."))?;
    if req.schools.is_empty() || req.schools.len() > 5000 {
        return Err(AppError::detail(ErrorCode::InvalidInput, "Перечислите школы, о которых решение."));
    }
    let own: HashSet<SchoolId> = state.store.school_flags(municipality).await?.iter().map(|(s, _)| s.id).collect();
    if req.schools.iter().any(|(id, _)| !own.contains(id)) {
        return Err(AppError::code(ErrorCode::NotFound));
    }
    let decisions: Vec<MembershipDecision> = req
        .schools
        .iter()
        .map(|(school, flags)| MembershipDecision {
            school: *school,
            year,
            flags: *flags,
            basis: basis.to_owned(),
            basis_date: basis_date.clone(),
        })
        .collect();
    let in_programme = decisions.iter().filter(|d| d.flags.low_results || d.flags.unfavourable_conditions).count();
    let audit = NewAudit::new(Some(user.profile.id), "membership.decided", municipality).detail(format!(
        "{}: {} школ в программе, {}",
        year_label(year),
        in_programme,
        basis
    ));
    state.store.decide_membership(Some(user.session()), &decisions, &audit, state.now_ms()).await?;
    view(State(state), user, Query(MembershipQuery { municipality: Some(municipality), year: Some(year_label(year)) }))
        .await
}
