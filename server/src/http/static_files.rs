//! The built app: precompressed files from the dist folder, and the app shell for any other path
//! that looks like a page, so a deep link or a reload lands in the app.

use axum::Router;
use axum::extract::Request;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

pub fn service(dist: &Path) -> Router {
    let index = dist.join("index.html");
    let shell = move |req: Request| {
        let index = index.clone();
        async move {
            // `/sw.js`, `/favicon.ico` and the like must 404 when missing, never get the shell:
            // a service worker script that is really HTML breaks offline start for good.
            let last = req.uri().path().rsplit('/').next().unwrap_or("");
            if last.contains('.') {
                return StatusCode::NOT_FOUND.into_response();
            }
            match ServeFile::new(index).precompressed_br().precompressed_gzip().oneshot(req).await {
                Ok(res) => res.into_response(),
                Err(never) => match never {},
            }
        }
    };
    let files = ServeDir::new(dist).precompressed_br().precompressed_gzip().fallback(shell.into_service());
    Router::new().fallback_service(files).layer(middleware::from_fn(cache_headers))
}

/// Content-hashed files never change, so browsers may keep them for a year; everything else
/// (the shell, the service worker, the manifest) is revalidated on every load.
async fn cache_headers(req: Request, next: Next) -> Response {
    let immutable = is_content_hashed(req.uri().path());
    let mut res = next.run(req).await;
    let value = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

/// `app-0123456789abcdef.js`, `app-0123456789abcdef_bg.wasm`, `style-0123456789abcdef.css`.
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_content_hashed;

    #[test]
    fn only_hashed_names_are_immutable() {
        assert!(is_content_hashed("/app-0123456789abcdef.js"));
        assert!(is_content_hashed("/app-0123456789abcdef_bg.wasm"));
        assert!(is_content_hashed("/style-00112233445566aa.css"));
        assert!(!is_content_hashed("/sw.js"));
        assert!(!is_content_hashed("/index.html"));
        assert!(!is_content_hashed("/self-diagnosis"));
        assert!(!is_content_hashed("/icon-192.png"));
    }
}
