//! The department's analytics and their exports. Everything is computed by
//! `opora_domain::analytics::build` from what schools sent (latest sent revisions only) and from
//! the region's self-diagnoses, released as whole atoms (ARCHITECTURE.md, «Disclosure control»),
//! scoped like every department view, aggregates only.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, Json, Query};
use crate::http::department::{SELF_DIAGNOSIS_FORM, received_in};
use crate::scope::{visible_municipality, visible_region};
use crate::storage::NewAudit;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use opora_domain::accounts::TeacherSubject;
use opora_domain::aggregate::Received;
use opora_domain::analytics::{FormReports, IdentificationRules, Inputs, SchoolReport, build};
use opora_domain::api::{AnalyticsScope, DepartmentAnalytics, ErrorCode, SchoolGroup};
use opora_domain::campaign::{MOSCOW_OFFSET_MINUTES, date_of};
use opora_domain::coverage::{CoverageFacts, Passed};
use opora_domain::history::{VersionedReport, periods_with_data, upgrade_all};
use opora_domain::org::Role;
use opora_domain::period::date_of_iso;
use opora_domain::report::ReportForm;
use opora_domain::sheets::{self, Sheet, Value};
use opora_domain::{FormId, MunicipalityId, RegionId};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AnalyticsQuery {
    municipality: Option<MunicipalityId>,
    /// For administrators: a whole region's view.
    region: Option<RegionId>,
    #[serde(default)]
    group: SchoolGroup,
    /// The monitoring period; the latest when absent.
    period: Option<String>,
    /// The two periods the dynamics compare, «2024-2025» and «2025-2026»; the latest with data
    /// and the one before when absent. Anything that is not a period is refused.
    from: Option<String>,
    to: Option<String>,
}

impl AnalyticsQuery {
    /// Periods enter here, for the page and both exports alike (`period::check_view_periods`):
    /// each a period written the one way and already begun, `from` and `to` academic years and
    /// `from` strictly before `to`, or the request is refused.
    fn checked(&self, today: &str) -> AppResult<()> {
        use opora_domain::period::{ViewPeriodProblem, check_view_periods};
        let today = date_of_iso(today).ok_or_else(|| AppError::Internal(anyhow::anyhow!("today {today}")))?;
        check_view_periods(self.period.as_deref(), self.from.as_deref(), self.to.as_deref(), today).map_err(|p| match p
        {
            ViewPeriodProblem::Comparison(m) => AppError::detail(ErrorCode::InvalidComparison, m),
            ViewPeriodProblem::Period(m) => AppError::detail(ErrorCode::InvalidInput, m),
        })
    }
}

/// Who asks for a view: a person through a URL, whose parameters are checked, or the membership
/// page for the identification rules' findings on a year it has already checked (the next
/// academic year's list may be decided before that year begins).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asked {
    ByRequest,
    ForMembership,
}

/// The report forms the views read, as shipped in `data/forms/reports`.
const CARD: &str = "indicator-card";
const ASSESSMENT: &str = "assessment-results";
const CHECKLIST: &str = "identification-checklist";
const ROADMAP: &str = "roadmap";
const CLUSTER_MONITORING: &str = "cluster-monitoring";

/// The municipalities a view covers: the one asked for (or the specialist's own), or, for a
/// regional specialist (or an administrator naming a region) asking for none, the whole region.
async fn scope(
    state: &AppState,
    user: &CurrentUser,
    query: &AnalyticsQuery,
) -> AppResult<(AnalyticsScope, Vec<MunicipalityId>)> {
    let whole_region = query.municipality.is_none()
        && match user.profile.role {
            Role::Regional => true,
            Role::Admin => query.region.is_some(),
            _ => false,
        };
    if whole_region {
        let region = visible_region(user, query.region)?;
        let name = state.store.organisations().await?.regions.into_iter().find(|(id, _)| *id == region).map(|(_, n)| n);
        let name = name.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
        let municipalities = state.store.municipalities_of(region).await?.into_iter().map(|m| m.id).collect();
        return Ok((AnalyticsScope { name, municipality: None, region }, municipalities));
    }
    let id = visible_municipality(state, user, query.municipality).await?;
    let m = state.store.municipality(id).await?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    Ok((AnalyticsScope { name: m.name, municipality: Some(id), region: m.region_id }, vec![id]))
}

async fn compute(
    state: &AppState,
    user: &CurrentUser,
    query: &AnalyticsQuery,
    asked: Asked,
) -> AppResult<DepartmentAnalytics> {
    let today = crate::http::campaigns::today(state);
    if asked == Asked::ByRequest {
        query.checked(&today)?;
    }
    let (scope, municipalities) = scope(state, user, query).await?;
    let forms = state.store.latest_report_forms().await?;
    let self_diagnosis = state
        .store
        .latest_form(&FormId::from(SELF_DIAGNOSIS_FORM))
        .await?
        .ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
    const FORMS: [&str; 6] = ["", CARD, ASSESSMENT, CHECKLIST, ROADMAP, CLUSTER_MONITORING];
    let form_ids: Vec<&str> =
        FORMS.iter().map(|f| if f.is_empty() { state.indicators.form.as_str() } else { f }).collect();
    let mut loaded: Vec<(ReportForm, Vec<SchoolReport>)> = form_ids
        .iter()
        .map(|id| (forms.iter().find(|f| f.id.as_str() == *id).cloned().unwrap_or_else(|| empty_form(id)), Vec::new()))
        .collect();
    let (mut schools, mut counts, mut campaigns, mut membership) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut coverage = CoverageFacts::default();
    // The whole region's submissions whatever the scope: a school's figure is the same in every view.
    let received = received_in(state, scope.region, &self_diagnosis.id).await?;
    let submissions: Vec<Received<'_>> = received.iter().map(|r| r.as_received()).collect();
    // Coverage counts a submission in the calendar year the server received it, Moscow time
    // (as deadlines are judged), in the order of receipt, under the subject she answered as.
    coverage.passed = received
        .iter()
        .map(|r| Passed {
            teacher: r.teacher,
            school: r.school,
            received_year: date_of(r.received_at_ms, MOSCOW_OFFSET_MINUTES)
                .get(..4)
                .and_then(|y| y.parse().ok())
                .unwrap_or_default(),
            answered: r.profile.subject.as_ref().map(|code| TeacherSubject::from_stored(code.as_str())),
        })
        .collect();
    for municipality_id in municipalities {
        schools.extend(state.store.school_flags(municipality_id).await?);
        membership.extend(state.store.membership_of(municipality_id).await?);
        for (form, reports) in &mut loaded {
            if form.version == 0 {
                continue;
            }
            // Reports of earlier versions are read as the current one: one report per school and
            // period, years taken out of field ids into periods (`history::upgrade_all`).
            let sent: Vec<VersionedReport> = state
                .store
                .sent_reports(municipality_id, &form.id)
                .await?
                .into_iter()
                .map(|r| VersionedReport {
                    school: r.school,
                    period: r.period,
                    form_version: r.form_version,
                    fields: r.fields,
                })
                .collect();
            reports.extend(upgrade_all(form, &sent));
        }
        counts.extend(state.store.teacher_counts(municipality_id).await?);
        coverage.teachers.extend(state.store.teacher_roll(municipality_id).await?);
        // Campaigns are a municipality's own; a region's view has none of them.
        if scope.municipality.is_some() {
            for campaign in state.store.campaigns_of(municipality_id).await? {
                let states = crate::http::campaigns::states(state, &campaign).await?;
                campaigns.push((campaign, states));
            }
        }
    }
    // A monitoring period no school of the scope reported for is refused rather than shown empty
    // or answered with another period's table; in a group without it, the view shows it empty.
    if asked == Asked::ByRequest
        && let Some(period) = &query.period
    {
        let everyone: std::collections::HashSet<_> = schools.iter().map(|(s, _)| s.id).collect();
        let known = periods_with_data(&loaded[0].1, &everyone, date_of_iso(&today));
        if !known.iter().any(|p| p.to_string() == *period) {
            let known: Vec<String> = known.iter().map(|p| p.to_string()).collect();
            let known = if known.is_empty() {
                "отчётов мониторинга пока нет ни за один период".to_owned()
            } else {
                format!("есть отчёты за {}", known.join(", "))
            };
            return Err(AppError::detail(
                ErrorCode::InvalidInput,
                format!("За период «{period}» отчётов мониторинга нет: {known}."),
            ));
        }
    }
    let reports = |i: usize| Some(FormReports { form: &loaded[i].0, reports: &loaded[i].1 });
    let rules = IdentificationRules::default();
    Ok(build(&Inputs {
        scope,
        group: query.group,
        min_group: state.settings.min_group,
        schools: &schools,
        indicators: &state.indicators.indicators,
        monitoring: reports(0),
        cluster_monitoring: reports(5),
        monitoring_period: query.period.as_deref(),
        compare_from: query.from.as_deref(),
        compare_to: query.to.as_deref(),
        membership: &membership,
        card: reports(1),
        assessment: reports(2),
        checklist: reports(3),
        roadmap: reports(4),
        rules: &rules,
        self_diagnosis: &self_diagnosis,
        teacher_counts: &counts,
        coverage: &coverage,
        submissions: &submissions,
        completion_targets: &state.indicators.self_diagnosis_targets,
        dynamics_targets: &state.indicators.dynamics_targets,
        campaigns: &campaigns,
        today: &today,
        // `today` is `YYYY-MM-DD`: its year is the year coverage targets are judged for.
        year: today.get(..4).and_then(|y| y.parse().ok()).unwrap_or_default(),
        now_ms: state.now_ms(),
    }))
}

/// What the identification rules find for each school of a municipality, on the results of
/// `year` («2025-2026») and the year before: the reasons the membership proposal gives.
pub(crate) async fn identification(
    state: &AppState,
    user: &CurrentUser,
    municipality: MunicipalityId,
    year: &str,
) -> AppResult<Vec<opora_domain::api::SchoolIdentification>> {
    let query = AnalyticsQuery {
        municipality: Some(municipality),
        region: None,
        group: SchoolGroup::All,
        period: None,
        from: None,
        to: Some(year.to_owned()),
    };
    Ok(compute(state, user, &query, Asked::ForMembership).await?.identification)
}

fn empty_form(id: &str) -> ReportForm {
    ReportForm {
        id: FormId::from(id),
        version: 0,
        title: String::new(),
        description: String::new(),
        sections: Vec::new(),
        part_of_whole: Vec::new(),
        period_kind: None,
        years_in_ids_of_versions: Vec::new(),
        previous_period_of_versions: None,
    }
}

pub async fn analytics(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AnalyticsQuery>,
) -> AppResult<Json<DepartmentAnalytics>> {
    let analytics = compute(&state, &user, &query, Asked::ByRequest).await?;
    let audit =
        NewAudit::new(Some(user.profile.id), "department.viewed", audit_subject(&analytics)).detail("аналитика");
    state.store.audit(&audit, state.now_ms()).await?;
    Ok(Json(analytics))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(flatten)]
    view: AnalyticsQuery,
    /// For CSV, which sheet (its position, from 0); XLSX holds them all.
    sheet: Option<usize>,
}

fn attachment(body: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"opora.{}\"; filename*=UTF-8''{}",
        file_name.rsplit('.').next().unwrap_or("bin"),
        percent_encode(file_name)
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

/// What the audit log names: the municipality, or the region for a region's view.
fn audit_subject(a: &DepartmentAnalytics) -> String {
    a.scope.municipality.map_or_else(|| a.scope.region.to_string(), |m| m.to_string())
}

fn file_stem(a: &DepartmentAnalytics) -> String {
    format!("Опора — {}", a.scope.name)
}

/// One view as CSV for Russian Excel.
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ExportQuery>,
) -> AppResult<Response> {
    let analytics = compute(&state, &user, &query.view, Asked::ByRequest).await?;
    let all = sheets::all(&analytics);
    let sheet = all
        .get(query.sheet.unwrap_or(0))
        .ok_or_else(|| AppError::detail(ErrorCode::InvalidInput, "Нет такой таблицы."))?;
    let audit = NewAudit::new(Some(user.profile.id), "department.exported", audit_subject(&analytics))
        .detail(format!("CSV: {}", sheet.name));
    state.store.audit(&audit, state.now_ms()).await?;
    let name = format!("{} — {}.csv", file_stem(&analytics), sheet.name);
    Ok(attachment(sheets::csv_ru(sheet).into_bytes(), "text/csv; charset=utf-8", &name))
}

/// Every view as one workbook, a sheet each, numbers as numbers.
pub async fn export_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ExportQuery>,
) -> AppResult<Response> {
    let analytics = compute(&state, &user, &query.view, Asked::ByRequest).await?;
    let bytes =
        workbook(&sheets::all(&analytics)).map_err(|e| AppError::Internal(anyhow::anyhow!("writing XLSX: {e}")))?;
    let audit = NewAudit::new(Some(user.profile.id), "department.exported", audit_subject(&analytics)).detail("XLSX");
    state.store.audit(&audit, state.now_ms()).await?;
    let name = format!("{}.xlsx", file_stem(&analytics));
    Ok(attachment(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &name))
}

/// The workbook a specialist keeps: a bold title, a shaded header frozen with the first column,
/// columns as wide as their content, shares as percentages and the deficit heat map in the
/// screen's colours.
fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};
    const HEADER_ROW: u32 = 2;
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(13);
    let header = Format::new()
        .set_text_wrap()
        .set_bold()
        .set_background_color(Color::RGB(0xEEF2F6))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    let percent = Format::new().set_num_format("0.0%");
    let heat: Vec<Format> =
        sheets::HEAT_COLOURS.iter().map(|c| percent.clone().set_background_color(Color::RGB(*c))).collect();
    let suppressed = Format::new().set_italic().set_font_color(Color::RGB(0x5B6675));
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.name)?;
        ws.write_string_with_format(0, 0, &sheet.title, &title)?;
        for (c, head) in sheet.head.iter().enumerate() {
            ws.write_string_with_format(HEADER_ROW, c as u16, head, &header)?;
            ws.set_column_width(c as u16, column_width(sheet, c))?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                let (r, c) = (r as u32 + HEADER_ROW + 1, c as u16);
                match value {
                    Value::Number(n) => {
                        ws.write_number(r, c, *n)?;
                    }
                    Value::Share(n) if sheet.heat_from.is_some_and(|from| usize::from(c) >= from) => {
                        ws.write_number_with_format(r, c, *n, &heat[sheets::heat_level(*n)])?;
                    }
                    Value::Share(n) => {
                        ws.write_number_with_format(r, c, *n, &percent)?;
                    }
                    Value::Text(t) if t == sheets::SUPPRESSED => {
                        ws.write_string_with_format(r, c, t, &suppressed)?;
                    }
                    Value::Text(t) if t.chars().count() > 40 => {
                        ws.write_string_with_format(r, c, t, &wrap)?;
                    }
                    Value::Text(t) => {
                        ws.write_string(r, c, t)?;
                    }
                    Value::Empty => {}
                }
            }
        }
        // The header stays on screen while scrolling down, the names while scrolling right.
        ws.set_freeze_panes(HEADER_ROW + 1, 1)?;
    }
    book.save_to_buffer()
}

/// A column as wide as its longest cell (in characters), between 10 and 60; a header wraps
/// rather than widening a column of small numbers.
fn column_width(sheet: &Sheet, column: usize) -> f64 {
    let longest =
        sheet.rows.iter().filter_map(|row| row.get(column)).map(|v| v.display().chars().count()).max().unwrap_or(0);
    let header_word = sheet.head[column].split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0);
    (longest.max(header_word) as f64 + 2.0).clamp(10.0, 60.0)
}
