//! The HTTP surface: the JSON API under `/api/`, and the built app for every other path.
//! Each module owns its routes; handlers are named by verb.

mod analytics;
mod auth;
pub(crate) mod campaigns;
pub(crate) mod department;
mod school;
mod self_diagnoses;
mod static_files;
mod sync;

use crate::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{any, get, post, put};
use opora_domain::api::ErrorCode;
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
        .route("/school/teachers", get(school::list_teachers).post(school::create_teacher))
        .route("/school/teachers/{id}/code", post(school::issue_code))
        .route("/school/teachers/{id}/active", put(school::set_active))
        .route("/school/self-diagnosis", get(school::self_diagnosis))
        .route("/department/region/self-diagnosis", get(department::region_self_diagnosis))
        .route("/department/privacy", get(department::privacy).put(department::set_privacy))
        .route("/department/analytics", get(analytics::analytics))
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
