//! Every HTTP call the app makes, in one place, returning the shared crate's types.

use opora_domain::api::{ApiError, ErrorCode, LoginRequest, LoginResponse, SelfDiagnosisOverview};
use opora_domain::sync::{SyncRequest, SyncResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a call did not return what was asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// No answer: no network, the server is down, or the connection dropped.
    Unreachable,
    /// The server answered with an error.
    Api(ApiError),
}

impl Failure {
    pub fn message_ru(&self) -> String {
        match self {
            Failure::Unreachable => "Нет связи с сервером. Данные сохранены на устройстве.".to_owned(),
            Failure::Api(e) => e.message.clone(),
        }
    }

    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Failure::Api(e) => Some(e.code),
            Failure::Unreachable => None,
        }
    }

    /// The session is no longer valid: the user must log in again (queued work stays).
    pub fn needs_login(&self) -> bool {
        matches!(self.code(), Some(ErrorCode::SessionExpired | ErrorCode::Unauthenticated))
    }
}

/// reqwest in the browser needs absolute URLs.
fn url(path: &str) -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!("{origin}{path}")
}

async fn answer<T: DeserializeOwned>(sent: Result<reqwest::Response, reqwest::Error>) -> Result<T, Failure> {
    let response = sent.map_err(|_| Failure::Unreachable)?;
    let status = response.status();
    // A body cut off mid-way is a dropped connection, not a server error.
    let bytes = response.bytes().await.map_err(|_| Failure::Unreachable)?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|_| Failure::Api(ApiError::new(ErrorCode::Unknown)));
    }
    match serde_json::from_slice::<ApiError>(&bytes) {
        Ok(e) => Err(Failure::Api(e)),
        // Not our server's error body: a proxy or a captive portal answered.
        Err(_) if status.as_u16() >= 500 || status.as_u16() == 0 => Err(Failure::Unreachable),
        Err(_) => Err(Failure::Api(ApiError::new(ErrorCode::Unknown))),
    }
}

async fn post<B: Serialize, T: DeserializeOwned>(path: &str, token: Option<&str>, body: &B) -> Result<T, Failure> {
    let mut request = reqwest::Client::new().post(url(path)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    answer(request.send().await).await
}

async fn get<T: DeserializeOwned>(path: &str, token: &str) -> Result<T, Failure> {
    answer(reqwest::Client::new().get(url(path)).bearer_auth(token).send().await).await
}

pub async fn login(login: &str, password: &str) -> Result<LoginResponse, Failure> {
    let body = LoginRequest { login: login.to_owned(), password: password.to_owned() };
    post("/api/auth/login", None, &body).await
}

/// Best effort: the session is forgotten locally whatever the server says.
pub async fn logout(token: &str) {
    let _ = reqwest::Client::new().post(url("/api/auth/logout")).bearer_auth(token).send().await;
}

pub async fn sync(token: &str, request: &SyncRequest) -> Result<SyncResponse, Failure> {
    post("/api/sync", Some(token), request).await
}

pub async fn self_diagnosis_overview(token: &str) -> Result<SelfDiagnosisOverview, Failure> {
    get("/api/department/self-diagnosis", token).await
}
