//! The app's crash reports (`POST /api/client-errors`): accepted from anyone, bounded, throttled
//! per client, and refused with our error body when they are not what the app sends.

use opora_domain::api::{ClientErrorReport, ErrorCode};
use opora_tests::{TestApp, refusal};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn report() -> serde_json::Value {
    json!({
        "message": "panicked at app/src/pages/analytics.rs:140:5:\ncalled a callback that has been disposed",
        "location": "/department/analytics",
        "bundle": "office",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120",
    })
}

async fn post(app: &TestApp, body: &serde_json::Value) -> reqwest::Response {
    app.request(Method::POST, "/api/client-errors", None).json(body).send().await.expect("request sent")
}

#[tokio::test]
async fn a_crash_report_is_taken_without_a_login_and_answered_204() {
    let app = TestApp::spawn().await;
    let res = post(&app, &report()).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_report_out_of_bounds_is_refused_with_what_is_wrong() {
    let app = TestApp::spawn().await;
    let long = "я".repeat(ClientErrorReport::MAX_MESSAGE + 1);
    let cases = [
        ("message", json!(long), StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
        ("message", json!("a\u{0007}b"), StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
        ("message", json!("a\u{202E}b"), StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
        ("location", json!("/activate?code=ABCD-EFGH"), StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
        ("location", json!("https://example.org/"), StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
        (
            "location",
            json!(format!("/{}", "a".repeat(ClientErrorReport::MAX_LOCATION))),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidInput,
        ),
        ("bundle", json!("admin"), StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
        (
            "user_agent",
            json!("x".repeat(ClientErrorReport::MAX_USER_AGENT + 1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidInput,
        ),
        ("message", json!(7), StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest),
    ];
    for (field, value, status, code) in cases {
        let mut body = report();
        body[field] = value.clone();
        let (got, error) = refusal(post(&app, &body).await).await;
        assert_eq!((got, error.code), (status, code), "{field} = {value}");
    }
    // A body far beyond any report is refused before it is read whole.
    let mut body = report();
    body["padding"] = json!("x".repeat(64 * 1024));
    let (status, error) = refusal(post(&app, &body).await).await;
    assert_eq!((status, error.code), (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge));
}

#[tokio::test]
async fn one_client_cannot_flood_the_log() {
    let app = TestApp::spawn().await;
    let mut accepted = 0;
    let mut refused = None;
    for _ in 0..50 {
        let res = post(&app, &report()).await;
        if res.status() == StatusCode::NO_CONTENT {
            accepted += 1;
        } else {
            refused = Some(refusal(res).await);
            break;
        }
    }
    assert_eq!(accepted, 10, "ten reports in a window, then refusals");
    let (status, error) = refused.expect("a refusal");
    assert_eq!((status, error.code), (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited));
    assert_eq!(error.detail.as_deref(), Some("Попробуйте снова через 15 мин."));
    // The window ends: the client may report again.
    app.advance_clock(15 * 60 * 1000);
    assert_eq!(post(&app, &report()).await.status(), StatusCode::NO_CONTENT);
}
