//! The HTTP API's request and response bodies and its error vocabulary.
//!
//! Every error carries a machine-readable [`ErrorCode`] and a Russian message a teacher can act on.
//! Status codes are chosen by the server alone; the app decides what to do from the code.

use crate::aggregate::GroupSummary;
use crate::campaign::{Campaign, Completeness, ReportState, Standing};
use crate::merge::Fields;
use crate::org::{MunicipalityRef, SchoolRef, UserProfile};
use crate::report::ReportForm;
use crate::scoring::Profile;
use crate::{AreaId, FormId, FormRef, MunicipalityId, RegionId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not the JSON this endpoint takes.
    MalformedRequest,
    PayloadTooLarge,
    Unauthenticated,
    SessionExpired,
    InvalidCredentials,
    RateLimited,
    Forbidden,
    NotFound,
    /// The path exists but not with this HTTP method.
    MethodNotAllowed,
    UnknownFormVersion,
    InvalidSubmission,
    /// The id is already used by a different record.
    Conflict,
    UnsupportedProtocol,
    /// The activation code is unknown, used or expired.
    InvalidActivationCode,
    /// A new password does not meet the rules of [`crate::accounts::check_new_password`].
    WeakPassword,
    /// The chosen login belongs to another account.
    LoginTaken,
    /// A field of the request is out of its allowed range; `detail` says which.
    InvalidInput,
    /// A view was asked to compare a year with itself, with a later year, or with no year shown.
    InvalidComparison,
    /// A time the device reported is impossible (its clock is wrong): `detail` says which.
    InvalidTime,
    Internal,
    /// The request's body is in an encoding (`Content-Encoding`) or type the server does not take.
    UnsupportedMediaType,
    /// The request did not arrive in time (a stalled body); sending it again may succeed.
    RequestTimeout,
    /// The server has no database connection free right now (503 with `Retry-After`): nothing
    /// was stored; sending the same request again shortly may succeed.
    Overloaded,
    /// A code this build does not know (sent by a newer server). Stays last (`serde(other)`).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// What the user reads. Says what happened and, where it matters, that nothing was lost.
    pub fn message_ru(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => {
                "Сервер не понял запрос. Обновите приложение; введённые данные сохранены на устройстве."
            }
            ErrorCode::PayloadTooLarge => "Слишком большой объём данных за один раз.",
            ErrorCode::Unauthenticated => "Войдите в систему.",
            ErrorCode::SessionExpired => {
                "Сеанс истёк. Войдите снова — неотправленные данные сохранены и отправятся после входа."
            }
            ErrorCode::InvalidCredentials => "Неверный логин или пароль.",
            ErrorCode::RateLimited => "Слишком много попыток входа. Подождите несколько минут.",
            ErrorCode::Forbidden => "У вас нет доступа к этим данным.",
            ErrorCode::NotFound => "Не найдено.",
            ErrorCode::MethodNotAllowed => "Сервер не принимает такой запрос. Обновите приложение.",
            ErrorCode::UnknownFormVersion => {
                "Эта версия анкеты неизвестна серверу. Ответы сохранены на устройстве; обратитесь к администратору."
            }
            ErrorCode::InvalidSubmission => "Анкета заполнена не полностью или с ошибками. Проверьте ответы.",
            ErrorCode::Conflict => "Запись с таким номером уже существует.",
            ErrorCode::UnsupportedProtocol => "Приложение устарело. Обновите страницу.",
            ErrorCode::InvalidActivationCode => {
                "Код активации неверный, уже использован или истёк. Попросите у руководителя школы новый код."
            }
            ErrorCode::WeakPassword => "Пароль не подходит.",
            ErrorCode::LoginTaken => "Такой логин уже занят. Выберите другой.",
            ErrorCode::InvalidInput => "Проверьте введённые данные.",
            ErrorCode::InvalidComparison => "Год сравнения должен быть раньше показываемого года.",
            ErrorCode::InvalidTime => {
                "На устройстве неверные дата или время. Исправьте их в настройках — введённое сохранено."
            }
            ErrorCode::Internal | ErrorCode::Unknown => {
                "Ошибка на сервере. Данные сохранены на устройстве, отправим их позже."
            }
            ErrorCode::UnsupportedMediaType => {
                "Сервер не принимает данные в таком виде. Обновите приложение; введённые данные сохранены на устройстве."
            }
            ErrorCode::RequestTimeout => {
                "Данные передавались слишком долго. Они сохранены на устройстве, отправим их ещё раз."
            }
            ErrorCode::Overloaded => {
                "Сервер сейчас перегружен. Данные сохранены на устройстве, отправим их через минуту."
            }
        }
    }

    /// Whether retrying the same request later can succeed. Permanent errors must be shown to the
    /// user instead of retried forever.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::RateLimited
                | ErrorCode::Internal
                | ErrorCode::Unknown
                | ErrorCode::RequestTimeout
                | ErrorCode::Overloaded
        )
    }
}

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// Russian, for the user.
    pub message: String,
    /// What exactly was wrong with the input, when that helps (never internal details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError { code, message: code.message_ru().to_owned(), detail: None }
    }

    pub fn with_detail(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError { detail: Some(detail.into()), ..ApiError::new(code) }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Opaque bearer token; the server keeps only its hash.
    pub token: String,
    pub expires_at_ms: i64,
    pub user: UserProfile,
    /// An activation on an account that already had a password (a forgotten one): the answers
    /// sent before are sealed on the server from now on, and the app says so. False for a login.
    #[serde(default)]
    pub earlier_answers_sealed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AreaTitle {
    pub id: AreaId,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolSelfDiagnosisRow {
    pub school: SchoolRef,
    pub summary: GroupSummary,
}

/// The department's view of teachers' self-diagnoses in one municipality.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelfDiagnosisOverview {
    pub municipality: MunicipalityRef,
    pub form: FormRef,
    pub areas: Vec<AreaTitle>,
    pub min_group: u32,
    pub schools: Vec<SchoolSelfDiagnosisRow>,
    pub total: GroupSummary,
    pub generated_at_ms: i64,
}

/// A teacher sets her password with the one-time code her principal gave her, and is logged in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ActivateRequest {
    pub code: String,
    pub password: String,
}

/// What the app sends the server's log when it has crashed (a panic or a trap of its wasm): no
/// session, no query string, no user data; every field bounded by [`ClientErrorReport::check`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClientErrorReport {
    /// The panic's message with its place in the source, or the trap's name.
    pub message: String,
    /// The page's path (never its query).
    pub location: String,
    /// `teacher` or `office`.
    pub bundle: String,
    pub user_agent: String,
}

impl ClientErrorReport {
    /// The longest message, path and user agent, in characters (the app trims to these).
    pub const MAX_MESSAGE: usize = 1000;
    pub const MAX_LOCATION: usize = 200;
    pub const MAX_USER_AGENT: usize = 200;
    pub const BUNDLES: [&str; 2] = ["teacher", "office"];

    /// The first field out of bounds, in words for the refusal's detail.
    pub fn check(&self) -> Result<(), String> {
        let fits = |name: &str, text: &str, max: usize| {
            if text.chars().count() > max {
                Err(format!("{name}: не длиннее {max} символов"))
            } else {
                Ok(())
            }
        };
        fits("message", &self.message, Self::MAX_MESSAGE)?;
        fits("location", &self.location, Self::MAX_LOCATION)?;
        fits("user_agent", &self.user_agent, Self::MAX_USER_AGENT)?;
        if !self.location.starts_with('/') || self.location.contains(['?', '#', '\n']) {
            return Err("location: только путь страницы, без параметров".to_owned());
        }
        if !Self::BUNDLES.contains(&self.bundle.as_str()) {
            return Err("bundle: teacher или office".to_owned());
        }
        Ok(())
    }
}

/// A principal adds a teacher. Without a login one is made from the surname.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewTeacher {
    pub full_name: String,
    /// Optional: in the school's namespace ([`LoginNamespace`]); derived from the surname when absent.
    #[serde(default)]
    pub login: Option<String>,
}

/// `GET /api/school/login-namespace`: what every login of the principal's teachers starts with
/// (`burakovo` for `burakovo.ivanova`), and the rule in words for her form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginNamespace {
    pub prefix: String,
    pub rule: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Created; the teacher has not yet set her password with the activation code.
    AwaitingActivation,
    Active,
    /// Switched off by the principal (the teacher left the school); her submissions stay.
    Disabled,
}

impl AccountStatus {
    pub fn title_ru(self) -> &'static str {
        match self {
            AccountStatus::AwaitingActivation => "ждёт активации",
            AccountStatus::Active => "активна",
            AccountStatus::Disabled => "отключена",
        }
    }
}

/// A teacher's account as her principal sees it: no answers, only whether she has submitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeacherAccount {
    pub id: UserId,
    pub login: String,
    pub full_name: String,
    /// What she teaches, as lists print it («Математика», «История»); `None`: not stated.
    #[serde(default)]
    pub subject: Option<String>,
    pub status: AccountStatus,
    /// When her latest self-diagnosis was submitted: only where the municipality lets principals
    /// see individual results. Otherwise the time would say whose submission moved the school's
    /// figures (ARCHITECTURE.md, «Disclosure control»), and only `submitted` is given.
    #[serde(default)]
    pub last_submitted_at_ms: Option<i64>,
    /// Whether she has submitted a self-diagnosis at all.
    #[serde(default)]
    pub submitted: bool,
}

/// A freshly issued activation code: shown once, never stored in clear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuedCode {
    pub account: TeacherAccount,
    /// Formatted for printing, `ABCD-EFGH-JKMN`.
    pub code: String,
    pub expires_at_ms: i64,
}

/// Switching a teacher's account off or on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetActive {
    pub active: bool,
}

/// One teacher's result, shown to her principal only where the municipality allows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeacherResult {
    pub teacher: UserId,
    pub full_name: String,
    pub submitted_at_ms: i64,
    pub profile: Profile,
}

/// A principal's view of her school's self-diagnosis results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolSelfDiagnosis {
    pub school: SchoolRef,
    pub form: FormRef,
    pub areas: Vec<AreaTitle>,
    pub min_group: u32,
    pub summary: GroupSummary,
    /// Per-teacher results, present only when the municipality's privacy setting allows
    /// principals to see them.
    #[serde(default)]
    pub individual: Option<Vec<TeacherResult>>,
    pub generated_at_ms: i64,
}

/// Who may see teachers' individual self-diagnosis results besides the teacher herself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrivacySettings {
    pub municipality: MunicipalityId,
    /// Principals see each teacher of their school; otherwise only the school's aggregate.
    pub principals_see_individual: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MunicipalitySelfDiagnosisRow {
    pub municipality: MunicipalityRef,
    pub summary: GroupSummary,
}

/// The regional view: one aggregate row per municipality of the region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegionSelfDiagnosis {
    pub region: RegionId,
    pub form: FormRef,
    pub areas: Vec<AreaTitle>,
    pub min_group: u32,
    pub municipalities: Vec<MunicipalitySelfDiagnosisRow>,
    pub total: GroupSummary,
    pub generated_at_ms: i64,
}

/// One line of the audit log: who did what to which record. Never a password, a token or an answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    /// `None` for the command line or an anonymous request.
    pub actor: Option<UserId>,
    pub action: String,
    /// The record acted on: a user id, a submission id, a login typed at the login form.
    pub subject: Option<String>,
    pub detail: String,
}

/// `POST /api/department/campaigns`: open a reporting period for a form, or move its deadline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewCampaign {
    /// For administrators; a municipal specialist always opens her own municipality's.
    #[serde(default)]
    pub municipality: Option<MunicipalityId>,
    pub form: FormId,
    pub period: String,
    /// `YYYY-MM-DD` or «31.05.2026».
    pub deadline: String,
}

/// A report form to choose when opening a campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormChoice {
    pub id: FormId,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub campaign: Campaign,
    pub completeness: Completeness,
}

/// `GET /api/department/campaigns`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepartmentCampaigns {
    pub municipality: MunicipalityRef,
    pub forms: Vec<FormChoice>,
    pub campaigns: Vec<CampaignSummary>,
    /// The date deadlines were judged against, `YYYY-MM-DD`.
    pub today: String,
    pub generated_at_ms: i64,
}

/// A revision a school sent to the department.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SentRevision {
    pub revision: u32,
    pub fields: Fields,
    pub at_ms: i64,
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolReportRow {
    pub school: SchoolRef,
    pub state: ReportState,
    pub standing: Standing,
    /// The latest revision sent; what the department works with.
    pub sent: Option<SentRevision>,
    /// How many revisions were sent in all (amendments after the first).
    pub sent_count: u32,
}

/// `GET /api/department/campaigns/{id}`: every school's report of one campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignReports {
    pub campaign: Campaign,
    pub form: ReportForm,
    pub today: String,
    pub schools: Vec<SchoolReportRow>,
    pub generated_at_ms: i64,
}

/// `GET /api/department/campaigns/{id}/schools/{school}`: every revision a school sent, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportHistory {
    pub campaign: Campaign,
    pub form: ReportForm,
    pub school: SchoolRef,
    pub revisions: Vec<SentRevision>,
}

/// `GET /api/school/campaigns`: what the principal's school owes. The app judges done, due and
/// overdue itself from its own copy of the reports, so the answer stays right offline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolCampaigns {
    pub campaigns: Vec<Campaign>,
    pub generated_at_ms: i64,
}

/// Which schools an analytics view covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchoolGroup {
    #[default]
    All,
    /// ШНОР (including those in both groups).
    LowResults,
    /// ШФНСУ (including those in both groups).
    Unfavourable,
    /// In both groups.
    Both,
}

impl SchoolGroup {
    pub fn includes(self, flags: &crate::org::SchoolFlags) -> bool {
        match self {
            SchoolGroup::All => true,
            SchoolGroup::LowResults => flags.low_results,
            SchoolGroup::Unfavourable => flags.unfavourable_conditions,
            SchoolGroup::Both => flags.low_results && flags.unfavourable_conditions,
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            SchoolGroup::All => "все школы",
            SchoolGroup::LowResults => "ШНОР",
            SchoolGroup::Unfavourable => "ШФНСУ",
            SchoolGroup::Both => "ШНОР и ШФНСУ одновременно",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolDynamics {
    pub school: SchoolRef,
    pub rows: Vec<crate::analytics::Dynamics>,
    /// The school sent no card for the period shown: «нет отчёта», and no older card instead.
    #[serde(default)]
    pub no_report: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolIdentification {
    pub school: SchoolRef,
    /// The groups the school is listed in today.
    pub listed: crate::org::SchoolFlags,
    /// What the rules find in what it sent; empty when nothing.
    pub flags: Vec<crate::analytics::Flag>,
    /// The period of the identification checklist read, within the academic year shown; `None`
    /// when the school sent none for that year («нет отчёта»).
    #[serde(default)]
    pub checklist_period: Option<String>,
}

/// A school's plan in the latest begun quarter of the academic year shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchoolRoadmap {
    pub school: SchoolRef,
    /// The roadmap report's quarter («2026-Q2»); the academic year shown when there is none.
    pub period: String,
    pub summary: crate::roadmap::RoadmapSummary,
    /// The school sent no roadmap report within the academic year shown: «нет отчёта».
    #[serde(default)]
    pub no_report: bool,
}

/// A campaign over the schools of an analytics view: its completeness and each school's standing,
/// in the order of the view's schools.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignStanding {
    pub campaign: Campaign,
    pub completeness: Completeness,
    pub schools: Vec<Standing>,
}

/// Teachers of one subject across the schools shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubjectDeficits {
    pub subject: String,
    pub summary: crate::aggregate::GroupSummary,
    /// Nobody in the schools shown has answered this subject's questionnaire: «нет учителей»
    /// rather than a hidden group (who has submitted is coverage, not an answer).
    #[serde(default)]
    pub nobody_answered: bool,
}

/// How many teachers' development plans name a topic. `None` below the minimum group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicNeed {
    pub area: String,
    pub topic: String,
    pub teachers: Option<u32>,
}

/// Whose schools an analytics view covers: one municipality's, or a whole region's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalyticsScope {
    /// «Спасский муниципальный район», «Республика Татарстан».
    pub name: String,
    pub municipality: Option<MunicipalityId>,
    pub region: RegionId,
}

/// `GET /api/department/analytics`: the department's views over what schools sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepartmentAnalytics {
    pub scope: AnalyticsScope,
    pub group: SchoolGroup,
    pub min_group: u32,
    pub groups: crate::analytics::GroupCounts,
    /// The department's campaigns over the same schools, newest first.
    #[serde(default)]
    pub campaigns: Vec<CampaignStanding>,
    /// The coverage of the year shown (the page's headline).
    pub completion: crate::analytics::Completion,
    /// The coverage of every calendar year with a target or a submission, each with its own
    /// year's programme membership (`coverage.rs`), oldest first.
    #[serde(default)]
    pub coverage_by_year: Vec<crate::analytics::Completion>,
    /// Periods with indicator cards or assessment results, newest first: what the period pickers offer.
    #[serde(default)]
    pub periods: Vec<String>,
    /// The earlier of the two periods the dynamics compare; the later is `card_period`.
    #[serde(default)]
    pub compare_from: Option<String>,
    /// The newest year with reports, when the view opened on an earlier one because too few of its
    /// schools had sent that year's reports (`history::readable_year`); the pickers still offer it.
    #[serde(default)]
    pub newer_year: Option<crate::history::YearReports>,
    /// The academic year whose programme membership every view uses, «2025-2026».
    #[serde(default)]
    pub membership_year: Option<String>,
    /// Whether the department recorded membership for that year; otherwise today's flags are used.
    #[serde(default)]
    pub membership_decided: bool,
    /// Periods of monitoring reports sent, newest first, and the one shown.
    pub monitoring_periods: Vec<String>,
    pub monitoring_period: Option<String>,
    pub indicators: Vec<crate::analytics::IndicatorStats>,
    /// Seed 003's cluster monitoring for the same period, field by field.
    #[serde(default)]
    pub cluster_indicators: Vec<crate::analytics::IndicatorStats>,
    /// Schools grouped by their monitoring indicators and cluster monitoring, for the same period.
    pub clusters: Vec<crate::analytics::Cluster>,
    /// The later of the two periods the dynamics compare.
    pub card_period: Option<String>,
    pub dynamics: Vec<SchoolDynamics>,
    pub dynamics_summary: Vec<crate::analytics::DynamicsSummary>,
    /// ШНОР schools with positive dynamics per procedure, against the programme's targets.
    #[serde(default)]
    pub programme_dynamics: Vec<crate::analytics::DynamicsAgainstTarget>,
    pub identification: Vec<SchoolIdentification>,
    #[serde(default)]
    pub roadmaps: Vec<SchoolRoadmap>,
    pub areas: Vec<AreaTitle>,
    pub deficits: Vec<SchoolSelfDiagnosisRow>,
    #[serde(default)]
    pub deficits_by_subject: Vec<SubjectDeficits>,
    pub topics: Vec<TopicNeed>,
    pub generated_at_ms: i64,
}
