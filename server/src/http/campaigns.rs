//! Reporting campaigns and the reports schools sent: the department opens a period for a form
//! with a deadline and sees, per school, whether the report came and what it says, with every
//! sent revision; a principal sees what her school owes.
//!
//! The department sees only revisions a school sent: drafts and unsent amendments stay the
//! school's until its principal sends them.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Json, Path, Query};
use crate::http::department::MunicipalityQuery;
use crate::scope::visible_municipality;
use crate::storage::{NewAudit, ReportRevision};
use axum::extract::State;
use opora_domain::api::{
    CampaignReports, CampaignSummary, DepartmentCampaigns, ErrorCode, FormChoice, NewCampaign, ReportHistory,
    SchoolCampaigns, SchoolReportRow, SentRevision,
};
use opora_domain::campaign::{
    Campaign, MOSCOW_OFFSET_MINUTES, ReportState, completeness, date_of, read_date, standing,
};
use opora_domain::org::{Role, SchoolRef};
use opora_domain::report::ReportKey;
use opora_domain::{CampaignId, SchoolId};
use std::collections::HashMap;

pub(crate) fn today(state: &AppState) -> String {
    date_of(state.now_ms(), MOSCOW_OFFSET_MINUTES)
}

/// The campaign, if the user may see its municipality; another municipality's is 404, like a
/// campaign that does not exist.
async fn visible_campaign(state: &AppState, user: &CurrentUser, id: CampaignId) -> AppResult<Campaign> {
    let campaign = state.store.campaign(id).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    visible_municipality(state, user, Some(campaign.municipality))
        .await
        .map_err(|_| AppError::code(ErrorCode::NotFound))?;
    Ok(campaign)
}

/// Every school's report state for a campaign, by school.
pub(crate) async fn states(state: &AppState, campaign: &Campaign) -> AppResult<HashMap<SchoolId, ReportState>> {
    let reports = state.store.reports_of_municipality(campaign.municipality, &campaign.form, &campaign.period).await?;
    Ok(reports.iter().map(|r| (r.key.school, ReportState::of(Some(r)))).collect())
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<MunicipalityQuery>,
) -> AppResult<Json<DepartmentCampaigns>> {
    let municipality_id = visible_municipality(&state, &user, query.municipality).await?;
    let municipality =
        state.store.municipality(municipality_id).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    let schools = state.store.schools_of(municipality_id).await?;
    let today = today(&state);
    let mut campaigns = Vec::new();
    for campaign in state.store.campaigns_of(municipality_id).await? {
        let states = states(&state, &campaign).await?;
        let each = schools.iter().map(|s| states.get(&s.id).copied().unwrap_or(ReportState::NotStarted));
        campaigns.push(CampaignSummary { completeness: completeness(&campaign.deadline, &today, each), campaign });
    }
    let forms =
        state.store.latest_report_forms().await?.into_iter().map(|f| FormChoice { id: f.id, title: f.title }).collect();
    Ok(Json(DepartmentCampaigns { municipality, forms, campaigns, today, generated_at_ms: state.now_ms() }))
}

/// Opens a campaign for the municipality's schools, or moves the deadline of the open one.
/// Only the municipality's own department (or an administrator) does this.
pub async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(req): Json<NewCampaign>,
) -> AppResult<Json<Campaign>> {
    if !matches!(user.profile.role, Role::Municipal | Role::Admin) {
        return Err(AppError::code(ErrorCode::Forbidden));
    }
    let municipality = visible_municipality(&state, &user, req.municipality).await?;
    let forms = state.store.latest_report_forms().await?;
    let Some(form) = forms.iter().find(|f| f.id == req.form) else {
        return Err(AppError::detail(ErrorCode::InvalidInput, "Такой формы отчёта нет."));
    };
    // A campaign asks for reports of the form's current version: a period of its kind.
    let period = match form.period_kind {
        Some(kind) => opora_domain::period::Period::parse_of_kind(&req.period, kind).map(|p| p.to_string()),
        None => opora_domain::period::normalise(&req.period),
    }
    .map_err(|e| AppError::detail(ErrorCode::InvalidInput, e))?;
    let Some(deadline) = read_date(&req.deadline) else {
        return Err(AppError::detail(ErrorCode::InvalidInput, "Срок сдачи — дата, например 31.05.2026."));
    };
    let now = state.now_ms();
    let campaign = Campaign {
        id: CampaignId(uuid::Uuid::new_v4()),
        municipality,
        form: form.id.clone(),
        form_title: form.title.clone(),
        period,
        deadline,
        opened_at_ms: now,
    };
    let audit = NewAudit::new(Some(user.profile.id), "campaign.opened", municipality)
        .detail(format!("{} за {}, срок {}", campaign.form, campaign.period, campaign.deadline));
    Ok(Json(state.store.open_campaign(Some(user.session()), &campaign, user.profile.id, &audit, now).await?))
}

/// The form a campaign collects, in its newest version: its sections and labels for display.
async fn campaign_form(state: &AppState, campaign: &Campaign) -> AppResult<opora_domain::report::ReportForm> {
    let form = state.store.latest_report_forms().await?.into_iter().find(|f| f.id == campaign.form);
    form.ok_or_else(|| AppError::code(ErrorCode::NotFound))
}

/// The sent revisions of one report, oldest first, with the sender's name.
async fn sent_revisions(state: &AppState, key: &ReportKey) -> AppResult<Vec<SentRevision>> {
    let revisions: Vec<ReportRevision> =
        state.store.report_revisions(key).await?.into_iter().filter(|r| r.submitted).collect();
    let mut names: HashMap<opora_domain::UserId, String> = HashMap::new();
    let mut sent = Vec::with_capacity(revisions.len());
    for r in revisions {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(r.by) {
            let name = state.store.user(r.by).await?.map(|u| u.profile.full_name).unwrap_or_default();
            e.insert(name);
        }
        sent.push(SentRevision { revision: r.revision, fields: r.fields, at_ms: r.at_ms, by: names[&r.by].clone() });
    }
    Ok(sent)
}

pub async fn reports(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<CampaignId>,
) -> AppResult<Json<CampaignReports>> {
    let campaign = visible_campaign(&state, &user, id).await?;
    let form = campaign_form(&state, &campaign).await?;
    let states = states(&state, &campaign).await?;
    let today = today(&state);
    let mut schools = Vec::new();
    for school in state.store.schools_of(campaign.municipality).await? {
        let report_state = states.get(&school.id).copied().unwrap_or(ReportState::NotStarted);
        let key = ReportKey { school: school.id, form: campaign.form.clone(), period: campaign.period.clone() };
        let mut sent = if report_state.is_sent() { sent_revisions(&state, &key).await? } else { Vec::new() };
        schools.push(SchoolReportRow {
            standing: standing(&campaign.deadline, &today, report_state),
            state: report_state,
            sent_count: sent.len() as u32,
            sent: sent.pop(),
            school,
        });
    }
    let audit = NewAudit::new(Some(user.profile.id), "department.viewed", campaign.municipality)
        .detail(format!("отчёты {} за {}", campaign.form, campaign.period));
    state.store.audit(&audit, state.now_ms()).await?;
    Ok(Json(CampaignReports { campaign, form, today, schools, generated_at_ms: state.now_ms() }))
}

pub async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, school_id)): Path<(CampaignId, SchoolId)>,
) -> AppResult<Json<ReportHistory>> {
    let campaign = visible_campaign(&state, &user, id).await?;
    let school: SchoolRef = state
        .store
        .schools_of(campaign.municipality)
        .await?
        .into_iter()
        .find(|s| s.id == school_id)
        .ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    let key = ReportKey { school: school.id, form: campaign.form.clone(), period: campaign.period.clone() };
    let revisions = sent_revisions(&state, &key).await?;
    // A report kept in an older version (a v2 card amended as v2) is shown with that version's
    // fields: its «Результат прошлого года» would be missing from the newest version's.
    let own_version = match state.store.report(&key).await? {
        Some(report) => state.store.report_form(&campaign.form, report.form_version).await?,
        None => None,
    };
    let form = match own_version {
        Some(form) => form,
        None => campaign_form(&state, &campaign).await?,
    };
    Ok(Json(ReportHistory { campaign, form, school, revisions }))
}

/// What the principal's school owes: her municipality's campaigns.
pub async fn of_school(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<SchoolCampaigns>> {
    let municipality = match (&user.profile.role, &user.profile.school) {
        (Role::Principal, Some(school)) => school.municipality_id,
        _ => return Err(AppError::code(ErrorCode::Forbidden)),
    };
    let campaigns = state.store.campaigns_of(municipality).await?;
    Ok(Json(SchoolCampaigns { campaigns, generated_at_ms: state.now_ms() }))
}
