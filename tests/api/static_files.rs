//! Security headers on every response, the app shell for page paths, and 404s for everything else.

use opora_domain::api::ErrorCode;
use opora_tests::{DEMO_PASSWORD, INDEX_HTML, TestApp, content_type, refusal};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderMap, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};

fn assert_security_headers(what: &str, headers: &HeaderMap) {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let csp = header(CONTENT_SECURITY_POLICY);
    for directive in
        ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "script-src 'self' 'wasm-unsafe-eval'"]
    {
        assert!(csp.contains(directive), "{what}: CSP {csp:?} lacks {directive:?}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: CSP allows inline code");
    assert_eq!(header(X_CONTENT_TYPE_OPTIONS), "nosniff", "{what}");
    assert_eq!(header(X_FRAME_OPTIONS), "DENY", "{what}");
}

#[tokio::test]
async fn api_responses_and_pages_carry_security_headers() {
    let app = TestApp::spawn().await;

    let body = serde_json::json!({"login": "burakovo.t1", "password": DEMO_PASSWORD}).to_string();
    let ok = app.post_raw("/api/auth/login", None, body, "application/json").await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_security_headers("a successful API response", ok.headers());
    assert_eq!(ok.headers().get(CACHE_CONTROL).unwrap(), "no-store", "API answers are never cached");

    let refused = app.get_raw("/api/auth/me", None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_security_headers("an API error", refused.headers());

    for path in ["/", "/self-diagnosis", "/sw.js", "/api/unknown"] {
        let res = app.get_raw(path, None).await;
        assert_security_headers(path, res.headers());
    }
}

#[tokio::test]
async fn the_root_and_page_paths_get_the_app_shell() {
    let app = TestApp::spawn().await;
    for path in ["/", "/self-diagnosis", "/department/self-diagnosis", "/index.html"] {
        let res = app.get_raw(path, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(content_type(res.headers()).starts_with("text/html"), "{path}");
        assert_eq!(res.headers().get(CACHE_CONTROL).unwrap(), "no-cache", "{path}: the shell is revalidated");
        assert_eq!(res.text().await.unwrap(), INDEX_HTML, "{path}");
    }
}

#[tokio::test]
async fn a_missing_file_is_a_404_not_the_app_shell() {
    let app = TestApp::spawn().await;
    for path in ["/sw.js", "/favicon.ico", "/app-0123456789abcdef.js", "/assets/missing.css"] {
        let res = app.get_raw(path, None).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("opora test shell"), "{path} must not get the shell");
    }
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404() {
    let app = TestApp::spawn().await;
    for path in ["/api/unknown", "/api/", "/api", "/api/self-diagnoses", "/api/auth/nothing/here"] {
        let (status, error) = refusal(app.get_raw(path, None).await).await;
        assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound), "{path}");
    }
    let (status, error) = refusal(app.post_raw("/api/unknown", None, "{}", "application/json").await).await;
    assert_eq!((status, error.code), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
}

#[tokio::test]
async fn the_server_shuts_down_cleanly() {
    let app = TestApp::spawn().await;
    app.login_as("burakovo.t1").await;
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_method_on_an_api_path_is_a_json_405() {
    let app = TestApp::spawn().await;
    let res = app.request(reqwest::Method::PUT, "/api/sync", None).send().await.unwrap();
    let (status, error) = refusal(res).await;
    assert_eq!((status, error.code), (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed));
}
