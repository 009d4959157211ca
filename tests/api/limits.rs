//! Clients that stall or crowd the server (issue 10, finding 13) and refusals made by layers
//! rather than handlers (finding 15): every one answers with our JSON error, or closes in time.
//!
//! Raw TCP where a well-behaved HTTP client cannot misbehave: half a header, half a body.

use opora_domain::api::ErrorCode;
use opora_server::MAX_BODY_BYTES;
use opora_tests::{TestApp, refusal};
use reqwest::StatusCode;
use std::io::Write;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far beyond the one-second timeouts these tests set, far below the old server's "never".
const PATIENCE: Duration = Duration::from_secs(5);

/// Reads until the server closes the connection or `PATIENCE` runs out (`None`).
async fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_with_our_error_within_the_body_timeout() {
    let app = TestApp::spawn_with(|s| s.body_timeout_secs = 1.0).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(
            b"POST /api/auth/login HTTP/1.1\r\nHost: opora\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await.expect("the server answers and closes the connection");
    assert!(started.elapsed() >= Duration::from_millis(900), "not before the timeout");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
}

#[tokio::test]
async fn unfinished_headers_close_the_connection_within_the_header_timeout() {
    let app = TestApp::spawn_with(|s| s.header_timeout_secs = 1.0).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(b"POST /api/auth/login HTTP/1.1\r\nHost: opora\r\nContent-Le").await.unwrap();
    read_until_closed(&mut stream).await.expect("the server closes the connection");
}

#[tokio::test]
async fn a_kept_alive_connection_that_sends_nothing_more_is_closed() {
    let app = TestApp::spawn_with(|s| s.header_timeout_secs = 1.0).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(b"GET /api/auth/me HTTP/1.1\r\nHost: opora\r\n\r\n").await.unwrap();
    let answer = read_until_closed(&mut stream).await.expect("answered, then closed when idle");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let app = TestApp::spawn_with(|s| {
        s.max_connections = 2;
        s.max_connections_per_client = Some(2);
    })
    .await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(app.addr).await.unwrap();
        s.write_all(b"GET /api/auth/me HTTP/1.1\r\nHost: op").await.unwrap();
        stalled.push(s);
    }
    // Give the server time to take both.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // From another address: a third from the same one would be over its share (`slow_clients`).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut third = socket.connect(app.addr).await.expect("the listen queue takes it");
    third.write_all(b"GET /api/auth/me HTTP/1.1\r\nHost: opora\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(early.is_err(), "a third connection is not served while two are open");

    drop(stalled.pop());
    let answer = read_until_closed(&mut third).await.expect("served once a connection closed");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn every_refusal_carries_our_json_error_with_a_code() {
    let app = TestApp::spawn().await;
    let token = app.token("burakovo.t1").await;
    let login = r#"{"login":"burakovo.t1","password":"opora2026"}"#;
    let post = |path: &str| app.request(reqwest::Method::POST, path, Some(&token));
    let json = "application/json";
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, ErrorCode)> = vec![
        (
            "an unknown Content-Encoding",
            post("/api/auth/login").header("content-type", json).header("content-encoding", "x-unknown").body(login),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
        ),
        (
            "a body that is not the gzip it claims",
            post("/api/sync").header("content-type", json).header("content-encoding", "gzip").body("not gzip"),
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedRequest,
        ),
        (
            "a body over the limit",
            post("/api/sync").header("content-type", json).body(vec![b' '; MAX_BODY_BYTES + 1]),
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
        ),
        (
            "a gzip bomb",
            post("/api/sync").header("content-type", json).header("content-encoding", "gzip").body(gzip(&vec![
                b' ';
                MAX_BODY_BYTES
                    * 4
            ])),
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
        ),
        ("no content type", post("/api/auth/login").body(login), StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest),
        (
            "a wrong method on the API",
            app.request(reqwest::Method::DELETE, "/api/sync", Some(&token)),
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
        ),
        (
            "a wrong method on a page",
            app.request(reqwest::Method::POST, "/self-diagnosis", None).body("x"),
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
        ),
        ("an unknown API path", post("/api/nothing"), StatusCode::NOT_FOUND, ErrorCode::NotFound),
        (
            "a missing file",
            app.request(reqwest::Method::GET, "/sw.js", None),
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
        (
            "a path segment that does not decode",
            app.request(reqwest::Method::GET, "/api/self-diagnoses/%FF", Some(&token)),
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedRequest,
        ),
        (
            "no session",
            app.request(reqwest::Method::GET, "/api/auth/me", None),
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
        ),
    ];
    for (what, request, status, code) in cases {
        let res = request.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(res.status(), status, "{what}");
        let (_, error) = refusal(res).await;
        assert_eq!(error.code, code, "{what}");
    }
}
