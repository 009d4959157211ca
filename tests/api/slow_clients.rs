//! Clients that hold connections without using them: one that asks for large responses and reads
//! nothing, one that reads a trickle, and one machine opening connection after connection. Each
//! must let its places go or be kept to its share, so that everyone else is still served; a slow
//! but steady download must not be cut off.
//!
//! Raw TCP with a small receive buffer, as a phone on a poor line or a deliberate hog would have.
//! Clients on different addresses: Linux routes all of 127.0.0.0/8 to the loopback interface.

use opora_tests::TestApp;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Far beyond the one- or two-second limits these tests set, far below "never".
const PATIENCE: Duration = Duration::from_secs(8);

/// A file in the dist folder, `size` bytes of noise that no compression shrinks, and its path.
fn static_file(app: &TestApp, name: &str, size: usize) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let data: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(app.state.settings.dist_dir.join(name), data).expect("writing the file");
    format!("/{name}")
}

/// A connection from `127.0.0.<host>` with a small receive window.
async fn connect_from(host: u8, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, host), 0))).unwrap();
    socket.connect(server).await.expect("connected")
}

/// A client that pipelines six requests for a large file and reads nothing.
async fn hog(app: &TestApp, host: u8, path: &str) -> TcpStream {
    let mut stream = connect_from(host, app.addr).await;
    let request = format!("GET {path} HTTP/1.1\r\nHost: opora\r\n\r\n");
    stream.write_all(request.repeat(6).as_bytes()).await.unwrap();
    stream
}

/// `GET /api/auth/me` from `127.0.0.<host>` with `Connection: close`: the whole answer, or `None`
/// if none came within `PATIENCE`.
async fn me_from(host: u8, server: SocketAddr) -> Option<String> {
    tokio::time::timeout(PATIENCE, async {
        let mut stream = connect_from(host, server).await;
        stream.write_all(b"GET /api/auth/me HTTP/1.1\r\nHost: opora\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .ok()
}

/// Reads everything until the server closes the connection; the number of bytes, or `None` if it
/// was still open after `PATIENCE`.
async fn drain(stream: &mut TcpStream) -> Option<usize> {
    tokio::time::timeout(PATIENCE, async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0;
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    })
    .await
    .ok()
}

#[tokio::test]
async fn a_client_that_reads_nothing_is_disconnected_within_the_write_timeout() {
    let app = TestApp::spawn_with(|s| {
        s.write_timeout_secs = 1.0;
        s.max_connections = 1;
    })
    .await;
    let size = 8 << 20;
    let path = static_file(&app, "large.bin", size);
    let mut hog = hog(&app, 2, &path).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The hog holds the only connection; the next client is served once the server gives up on it.
    let started = Instant::now();
    let answer = me_from(3, app.addr).await.expect("served once the hog was disconnected");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4), "within the write timeout: {:?}", started.elapsed());
    let got = drain(&mut hog).await.expect("the hog's connection was closed");
    assert!(got < 6 * size, "the hog got {got} bytes: not everything it asked for");
}

#[tokio::test]
async fn hogs_on_one_address_cannot_starve_a_client_on_another() {
    let app = TestApp::spawn_with(|s| {
        s.max_connections = 4;
        s.max_connections_per_client = Some(2);
    })
    .await;
    let path = static_file(&app, "large.bin", 8 << 20);
    // Two hogs take their address's whole share (the write timeout, 30 s, is no help here).
    let _hogs = [hog(&app, 2, &path).await, hog(&app, 2, &path).await];
    tokio::time::sleep(Duration::from_millis(200)).await;

    // One more from that address is refused at once with our error and when to try again...
    let answer = me_from(2, app.addr).await.expect("answered at once");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"code\":\"overloaded\""), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("\r\nretry-after: "), "{answer}");
    // ...and more of them, however many, take no place from anyone else.
    let _more = [hog(&app, 2, &path).await, hog(&app, 2, &path).await, hog(&app, 2, &path).await];
    tokio::time::sleep(Duration::from_millis(200)).await;

    for host in [3, 4] {
        let started = Instant::now();
        let answer = me_from(host, app.addr).await.expect("another address is served");
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(2), "at once: {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn a_client_reading_a_trickle_lets_its_place_go_after_the_connection_lifetime() {
    let app = TestApp::spawn_with(|s| {
        s.write_timeout_secs = 1.0;
        s.connection_lifetime_secs = 1.0;
        s.max_connections = 1;
    })
    .await;
    let path = static_file(&app, "large.bin", 8 << 20);
    let mut trickle = hog(&app, 2, &path).await;
    // Just enough to beat the write timeout, for ever.
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            match trickle.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let answer = me_from(3, app.addr).await.expect("served once the trickle's connection ended");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4), "within twice the lifetime: {:?}", started.elapsed());
    reader.abort();
}

#[tokio::test]
async fn a_slow_but_steady_download_is_not_cut_off() {
    let app = TestApp::spawn_with(|s| s.write_timeout_secs = 2.0).await;
    let size = 96 * 1024;
    let path = static_file(&app, "app.wasm", size);
    let mut stream = connect_from(2, app.addr).await;
    let request = format!("GET {path} HTTP/1.1\r\nHost: opora\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    // About 20 KB/s (a poor mobile line): longer in all than the write timeout, never still for it.
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) => panic!("cut off after {} bytes: {e}", answer.len()),
        }
    }
    assert!(started.elapsed() > Duration::from_secs(3), "slower than the write timeout: {:?}", started.elapsed());
    let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a response") + 4;
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer[..head_end]));
    assert_eq!(answer.len() - head_end, size, "the whole file");
}

#[tokio::test]
async fn a_connection_that_never_sends_a_byte_is_closed_within_the_header_timeout() {
    let app = TestApp::spawn_with(|s| {
        s.header_timeout_secs = 1.0;
        s.max_connections = 1;
    })
    .await;
    let _silent = connect_from(2, app.addr).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let answer = me_from(3, app.addr).await.expect("served once the silent connection was closed");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn behind_a_trusted_proxy_its_address_is_not_held_to_one_clients_share() {
    // Every connection comes from the proxy: a share of its address would be a cap on everyone.
    let app = TestApp::spawn_with(|s| {
        s.trusted_proxy = true;
        s.max_connections_per_client = Some(1);
    })
    .await;
    let _held = connect_from(2, app.addr).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = me_from(2, app.addr).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn by_default_one_address_holds_an_eighth_of_the_connections_at_most() {
    // Only the cap lowered to four, as in the report: four hogs on one machine held them all.
    let app = TestApp::spawn_with(|s| s.max_connections = 4).await;
    let path = static_file(&app, "large.bin", 8 << 20);
    let _hogs =
        [hog(&app, 2, &path).await, hog(&app, 2, &path).await, hog(&app, 2, &path).await, hog(&app, 2, &path).await];
    tokio::time::sleep(Duration::from_millis(200)).await;
    for host in [3, 4, 5] {
        let started = Instant::now();
        let answer = me_from(host, app.addr).await.expect("another address is served");
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(2), "at once: {:?}", started.elapsed());
    }
}
