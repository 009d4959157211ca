//! The one API error type. The client gets a code and a Russian reason; the log gets the cause.
//! This module is the only place that maps errors to HTTP status codes.

use crate::storage::StorageError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use opora_domain::api::{ApiError, ErrorCode};
use opora_domain::text::{ForbiddenChar, Lines, forbidden_char};
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub enum AppError {
    /// The client's mistake or a refusal: safe to explain.
    Api(ApiError),
    /// A refusal that holds for a known time: answered with `Retry-After` in whole seconds
    /// (rounded up, so a client that waits that long is not refused again).
    Later(ApiError, std::time::Duration),
    /// Our fault: logged with its cause, answered with a generic message.
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(code: ErrorCode) -> Self {
        AppError::Api(ApiError::new(code))
    }

    pub fn detail(code: ErrorCode, detail: impl Into<String>) -> Self {
        AppError::Api(ApiError::with_detail(code, detail))
    }

    /// Too many attempts: try again in `wait`, which the detail states in minutes (rounded up)
    /// and `Retry-After` in seconds.
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        let minutes = wait.as_millis().div_ceil(60_000).max(1);
        let error = ApiError::with_detail(ErrorCode::RateLimited, format!("Попробуйте снова через {minutes} мин."));
        AppError::Later(error, wait)
    }
}

/// Seconds a client is asked to wait after a 503 for a busy or unavailable database.
const OVERLOADED_RETRY_AFTER_SECS: &str = "2";

pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::MalformedRequest => StatusCode::BAD_REQUEST,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Unauthenticated | ErrorCode::SessionExpired | ErrorCode::InvalidCredentials => {
            StatusCode::UNAUTHORIZED
        }
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::UnknownFormVersion
        | ErrorCode::InvalidSubmission
        | ErrorCode::WeakPassword
        | ErrorCode::InvalidInput
        | ErrorCode::InvalidComparison
        | ErrorCode::InvalidTime => StatusCode::UNPROCESSABLE_ENTITY,
        // A wrong code is like a wrong password: the client must not learn more than "no".
        ErrorCode::InvalidActivationCode => StatusCode::UNAUTHORIZED,
        ErrorCode::Conflict | ErrorCode::LoginTaken => StatusCode::CONFLICT,
        ErrorCode::UnsupportedProtocol => StatusCode::BAD_REQUEST,
        ErrorCode::Internal | ErrorCode::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The code for a refusal a layer made on its own, from its status alone (`http::json_refusals`).
pub fn code_of_status(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Overloaded,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::MalformedRequest,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
        let body = match self {
            AppError::Api(e) => e,
            AppError::Later(e, wait) => {
                retry_after = Some(wait.as_millis().div_ceil(1000).max(1).to_string());
                e
            }
            // The database is busy or briefly away (`storage::unavailable`), however the error
            // travelled: the client is asked to come back, not told something broke.
            AppError::Internal(cause) if cause.downcast_ref::<StorageError>().is_some_and(StorageError::is_busy) => {
                tracing::warn!(error = %cause, "overloaded: the database is busy or unavailable");
                ApiError::new(ErrorCode::Overloaded)
            }
            // The session ended (an activation, a reset, the account switched off) while the
            // request was on its way to commit: refused as if it had ended before it came.
            AppError::Internal(cause)
                if matches!(cause.downcast_ref::<StorageError>(), Some(StorageError::SessionEnded)) =>
            {
                ApiError::new(ErrorCode::SessionExpired)
            }
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed");
                ApiError::new(ErrorCode::Internal)
            }
        };
        if body.code == ErrorCode::Overloaded {
            retry_after.get_or_insert_with(|| OVERLOADED_RETRY_AFTER_SECS.to_owned());
        }
        let mut response = (status_of(body.code), axum::Json(body)).into_response();
        if let Some(value) = retry_after.and_then(|v| axum::http::HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

/// `axum::Json`, but a body that is not the expected JSON gets our error body (400 or 413) with a
/// detail saying what was wrong, instead of axum's plain-text rejection. Every string in every
/// body (names, logins, report cells, periods, keys) passes [`opora_domain::text`]'s check here,
/// once for the whole API: a control or bidirectional-override character is refused (422) with
/// where it was.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => return Err(json_rejection(rejection)),
        };
        if let Some((path, found)) = first_forbidden_char(&value, &mut String::new()) {
            return Err(AppError::detail(ErrorCode::InvalidInput, format!("{path}: {}", found.message_ru())));
        }
        serde_json::from_value(value)
            .map(Json)
            .map_err(|e| AppError::detail(ErrorCode::MalformedRequest, format!("the body does not fit: {e}")))
    }
}

/// The first string (or key) in a JSON value holding a character no text may contain, with its
/// path (`push[0].change.edit.fields.c1`). Line breaks and tabs are allowed in values (a
/// report's multi-line cells); fields that must be one line check that themselves.
fn first_forbidden_char(value: &serde_json::Value, path: &mut String) -> Option<(String, ForbiddenChar)> {
    use serde_json::Value;
    match value {
        Value::String(text) => forbidden_char(text, Lines::Many).map(|f| (path.clone(), f)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = first_forbidden_char(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found =
                forbidden_char(key, Lines::One).map(|f| (path.clone(), f)).or_else(|| first_forbidden_char(item, path));
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::code(ErrorCode::PayloadTooLarge);
    }
    AppError::detail(ErrorCode::MalformedRequest, rejection.body_text())
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query`, but a query string that does not parse gets our JSON error body.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(AppError::detail(ErrorCode::MalformedRequest, rejection.body_text())),
        }
    }
}

/// `axum::extract::Path`, but a path segment that cannot be decoded (say, `%FF`) gets our JSON
/// error body.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(AppError::detail(ErrorCode::MalformedRequest, rejection.body_text())),
        }
    }
}
