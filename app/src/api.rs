//! Every HTTP call the app makes, in one place, returning the shared crate's types.

use opora_domain::UserId;
use opora_domain::api::NewCampaign;
use opora_domain::api::{
    ActivateRequest, ApiError, ErrorCode, IssuedCode, LoginRequest, LoginResponse, NewTeacher, PrivacySettings,
    SetActive, TeacherAccount,
};
use opora_domain::campaign::Campaign;
use opora_domain::sync::SyncResponse;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A request that has not finished by then is abandoned and retried later: a stalled connection
/// on a rural link must not hold the sync forever. Generous, because 2G is slow.
const TIMEOUT: Duration = Duration::from_secs(45);

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
            // What exactly was wrong when the server says so («Укажите основание…»), otherwise
            // the code's general message: a refusal she can act on, wherever it is shown.
            Failure::Api(e) => e.detail.clone().unwrap_or_else(|| e.message.clone()),
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

/// The body of a successful response, or why there is none. Not generic, so the request and
/// response handling (a large state machine in wasm) exists once, whatever the caller parses.
async fn answer(sent: Result<reqwest::Response, reqwest::Error>) -> Result<Vec<u8>, Failure> {
    let response = sent.map_err(|_| Failure::Unreachable)?;
    let status = response.status();
    // A body cut off mid-way is a dropped connection, not a server error.
    let bytes = response.bytes().await.map_err(|_| Failure::Unreachable)?;
    if status.is_success() {
        return Ok(bytes.to_vec());
    }
    match serde_json::from_slice::<ApiError>(&bytes) {
        Ok(e) => Err(Failure::Api(e)),
        // Not our server's error body: a proxy or a captive portal answered.
        Err(_) if status.as_u16() >= 500 || status.as_u16() == 0 => Err(Failure::Unreachable),
        Err(_) => Err(Failure::Api(ApiError::new(ErrorCode::Unknown))),
    }
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(bytes).map_err(|_| Failure::Api(ApiError::new(ErrorCode::Unknown)))
}

/// One JSON request: `body` already serialised.
async fn send(
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
) -> Result<Vec<u8>, Failure> {
    let mut request = reqwest::Client::new().request(method, url(path)).timeout(TIMEOUT);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    answer(request.send().await).await
}

async fn post<B: Serialize, T: DeserializeOwned>(path: &str, token: Option<&str>, body: &B) -> Result<T, Failure> {
    let body = serde_json::to_vec(body).unwrap_or_default();
    parse(&send(reqwest::Method::POST, path, token, Some(body)).await?)
}

async fn put<B: Serialize, T: DeserializeOwned>(path: &str, token: &str, body: &B) -> Result<T, Failure> {
    let body = serde_json::to_vec(body).unwrap_or_default();
    parse(&send(reqwest::Method::PUT, path, Some(token), Some(body)).await?)
}

/// A GET whose successful body is returned as text, unparsed: the caller stores it as it came
/// and parses it once.
pub async fn get_text(path: &str, token: &str) -> Result<String, Failure> {
    let bytes = send(reqwest::Method::GET, path, Some(token), None).await?;
    String::from_utf8(bytes).map_err(|_| Failure::Api(ApiError::new(ErrorCode::Unknown)))
}

/// Gzips `bytes` with the browser's own `CompressionStream`, so the app carries no compressor.
/// `None` where the browser has none (the request then goes uncompressed). Looked up by name:
/// web-sys still marks the binding unstable.
pub async fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let constructor = js_sys::Reflect::get(&js_sys::global(), &"CompressionStream".into()).ok()?;
    let constructor = constructor.dyn_into::<js_sys::Function>().ok()?;
    let stream = js_sys::Reflect::construct(&constructor, &js_sys::Array::of1(&"gzip".into())).ok()?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).ok()?;
    let compressed = blob.stream().pipe_through(stream.unchecked_ref::<web_sys::ReadableWritablePair>());
    let response = web_sys::Response::new_with_opt_readable_stream(Some(&compressed)).ok()?;
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A request body ready to send: JSON, gzipped when the browser can.
pub struct Body {
    bytes: Vec<u8>,
    gzipped: bool,
}

impl Body {
    pub async fn json<B: Serialize>(value: &B) -> Body {
        let json = serde_json::to_vec(value).unwrap_or_default();
        match gzip(&json).await {
            Some(bytes) => Body { bytes, gzipped: true },
            None => Body { bytes: json, gzipped: false },
        }
    }

    /// Bytes on the wire.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
}

pub async fn login(login: &str, password: &str) -> Result<LoginResponse, Failure> {
    let body = LoginRequest { login: login.to_owned(), password: password.to_owned() };
    post("/api/auth/login", None, &body).await
}

/// Best effort: the session is forgotten locally whatever the server says.
pub async fn logout(token: &str) {
    let _ = send(reqwest::Method::POST, "/api/auth/logout", Some(token), None).await;
}

/// One sync round trip. The body is built by [`Body::json`] so the caller can check its size first.
pub async fn sync(token: &str, body: Body) -> Result<SyncResponse, Failure> {
    let mut request = reqwest::Client::new()
        .post(url("/api/sync"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .timeout(TIMEOUT);
    if body.gzipped {
        request = request.header("content-encoding", "gzip");
    }
    parse(&answer(request.body(body.bytes).send().await).await?)
}

/// A teacher's first login with the code from her principal.
pub async fn activate(code: &str, password: &str) -> Result<LoginResponse, Failure> {
    let body = ActivateRequest { code: code.to_owned(), password: password.to_owned() };
    post("/api/auth/activate", None, &body).await
}

pub async fn set_privacy(token: &str, settings: &PrivacySettings) -> Result<PrivacySettings, Failure> {
    put("/api/department/privacy", token, settings).await
}

pub async fn create_teacher(token: &str, teacher: &NewTeacher) -> Result<IssuedCode, Failure> {
    post("/api/school/teachers", Some(token), teacher).await
}

pub async fn issue_code(token: &str, teacher: UserId) -> Result<IssuedCode, Failure> {
    post(&format!("/api/school/teachers/{teacher}/code"), Some(token), &()).await
}

pub async fn set_active(token: &str, teacher: UserId, active: bool) -> Result<TeacherAccount, Failure> {
    put(&format!("/api/school/teachers/{teacher}/active"), token, &SetActive { active }).await
}

pub async fn open_campaign(token: &str, campaign: &NewCampaign) -> Result<Campaign, Failure> {
    post("/api/department/campaigns", Some(token), campaign).await
}

/// A file the server builds (the XLSX workbook), as bytes.
pub async fn get_bytes(path: &str, token: &str) -> Result<Vec<u8>, Failure> {
    send(reqwest::Method::GET, path, Some(token), None).await
}

/// The department confirms or changes a year's programme membership.
pub async fn decide_membership(
    token: &str,
    decision: &opora_domain::membership::DecideMembership,
) -> Result<opora_domain::membership::MembershipView, Failure> {
    post("/api/department/membership", Some(token), decision).await
}
