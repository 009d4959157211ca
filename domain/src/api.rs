//! The HTTP API's request and response bodies and its error vocabulary.
//!
//! Every error carries a machine-readable [`ErrorCode`] and a Russian message a teacher can act on.
//! Status codes are chosen by the server alone; the app decides what to do from the code.

use crate::aggregate::GroupSummary;
use crate::org::{MunicipalityRef, SchoolRef, UserProfile};
use crate::{AreaId, FormRef};
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
    Internal,
    /// A code this build does not know (sent by a newer server).
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
            ErrorCode::InvalidSubmission => {
                "Анкета заполнена не полностью или с ошибками. Проверьте ответы."
            }
            ErrorCode::Conflict => "Запись с таким номером уже существует.",
            ErrorCode::UnsupportedProtocol => "Приложение устарело. Обновите страницу.",
            ErrorCode::Internal | ErrorCode::Unknown => {
                "Ошибка на сервере. Данные сохранены на устройстве, отправим их позже."
            }
        }
    }

    /// Whether retrying the same request later can succeed. Permanent errors must be shown to the
    /// user instead of retried forever.
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorCode::RateLimited | ErrorCode::Internal | ErrorCode::Unknown)
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
