//! The HTTP surface: the JSON API under `/api/`, and the built app for every other path.
//! Each module owns its routes; handlers are named by verb.

mod analytics;
mod auth;
pub(crate) mod campaigns;
pub(crate) mod client_errors;
pub(crate) mod department;
mod membership;
mod school;
mod self_diagnoses;
mod static_files;
mod sync;

pub(crate) use auth::client_of;

use crate::AppState;
use crate::error::{AppError, code_of_status};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use http_body::{Frame, SizeHint};
use opora_domain::api::ErrorCode;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// The largest request body, decompressed. A sync request carries at most a batch of changes;
/// anything bigger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Only the app itself: its script, its wasm (which needs `wasm-unsafe-eval` to compile), its
/// styles, images and manifest, and requests to its own origin. No framing, no inline code.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; \
     object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/auth/activate", post(auth::activate))
        .route(
            "/client-errors",
            post(client_errors::report).layer(DefaultBodyLimit::max(client_errors::MAX_BODY_BYTES)),
        )
        .route("/school/teachers", get(school::list_teachers).post(school::create_teacher))
        .route("/school/login-namespace", get(school::login_namespace))
        .route("/school/teachers/{id}/code", post(school::issue_code))
        .route("/school/teachers/{id}/active", put(school::set_active))
        .route("/school/self-diagnosis", get(school::self_diagnosis))
        .route("/department/region/self-diagnosis", get(department::region_self_diagnosis))
        .route("/department/privacy", get(department::privacy).put(department::set_privacy))
        .route("/department/analytics", get(analytics::analytics))
        .route("/department/membership", get(membership::view).post(membership::decide))
        .route("/department/analytics/export.csv", get(analytics::export_csv))
        .route("/department/analytics/export.xlsx", get(analytics::export_xlsx))
        .route("/department/campaigns", get(campaigns::list).post(campaigns::open))
        .route("/department/campaigns/{id}", get(campaigns::reports))
        .route("/department/campaigns/{id}/schools/{school}", get(campaigns::history))
        .route("/school/campaigns", get(campaigns::of_school))
        .route("/admin/audit", get(department::audit_log))
        .route("/sync", post(sync::sync))
        .route("/self-diagnoses/{id}", put(self_diagnoses::put).get(self_diagnoses::get))
        .route("/department/self-diagnosis", get(department::self_diagnosis))
        .fallback(|| async { AppError::code(ErrorCode::NotFound) })
        .method_not_allowed_fallback(|| async { AppError::code(ErrorCode::MethodNotAllowed) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .with_state(state.clone());
    Router::new()
        .nest("/api", api)
        // `nest` leaves `/api/` itself to the fallback: it is an API path, never the app shell.
        .route("/api/", any(|| async { AppError::code(ErrorCode::NotFound) }))
        .fallback_service(static_files::service(&state.settings.dist_dir))
        .layer(middleware::from_fn(json_refusals))
        .layer(middleware::from_fn_with_state(state.settings.body_timeout(), body_deadline))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
}

/// Every refusal carries our JSON error body, whoever made it: a layer that answers on its own
/// (an unknown `Content-Encoding` is 415 from the decompression layer, a missing file 404 and a
/// `POST` to a page 405 from the file service) answers without a body, and the app, seeing no
/// JSON, would have no code to act on. The status and headers (`Allow`) stay; the body is ours.
async fn json_refusals(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let mut ours = AppError::code(code_of_status(status)).into_response();
    *ours.status_mut() = status;
    let (parts, _) = res.into_parts();
    for (name, value) in &parts.headers {
        let body_header =
            [header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CONTENT_ENCODING, header::TRANSFER_ENCODING]
                .contains(name);
        if !body_header && !ours.headers().contains_key(name) {
            ours.headers_mut().insert(name.clone(), value.clone());
        }
    }
    ours
}

/// A request's whole body must arrive within the body timeout, counted from the end of its
/// headers: a client that opens a body and stalls is answered 408 (our JSON error) and the
/// connection closed, instead of holding a task and a connection for ever.
async fn body_deadline(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    use http_body::Body as _;
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = tokio::time::Instant::now() + timeout;
    let flag = Arc::clone(&expired);
    let req = req.map(move |inner| Body::new(DeadlineBody { inner, deadline, sleep: None, expired: flag }));
    let res = next.run(req).await;
    if !expired.load(Ordering::Acquire) {
        return res;
    }
    tracing::info!("request body timed out");
    let mut res = AppError::code(ErrorCode::RequestTimeout).into_response();
    res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// A request body that fails once its deadline has passed.
struct DeadlineBody {
    inner: Body,
    deadline: tokio::time::Instant,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    expired: Arc<AtomicBool>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let deadline = this.deadline;
        let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(sleep.as_mut().poll(cx));
        this.expired.store(true, Ordering::Release);
        let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body did not arrive in time");
        Poll::Ready(Some(Err(axum::Error::new(timed_out))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
