//! The fault-injecting proxy does what the weak-link tests rely on.

use opora_tests::proxy::{FaultProxy, LinkConfig};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An upstream that echoes everything back.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    addr
}

async fn proxy(config: LinkConfig) -> FaultProxy {
    FaultProxy::start("127.0.0.1:0".parse().unwrap(), echo_server().await, config).await.unwrap()
}

/// Sends `data` and reads back as much as comes, until EOF or an error.
async fn round_trip(addr: SocketAddr, data: &[u8]) -> (Vec<u8>, Option<ErrorKind>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let (mut r, mut w) = s.split();
    let send = async {
        let _ = w.write_all(data).await;
        let _ = w.shutdown().await;
    };
    let receive = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match r.read(&mut buf).await {
                Ok(0) => return (got, None),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return (got, Some(e.kind())),
            }
        }
    };
    let ((), result) = tokio::join!(send, receive);
    result
}

#[tokio::test]
async fn bytes_cross_a_slow_jittery_link_intact_and_in_order() {
    let p = proxy(LinkConfig {
        latency_ms: 20,
        jitter_ms: 15,
        up_bps: 2_000_000,
        down_bps: 1_000_000,
        ..Default::default()
    })
    .await;
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let (echoed, error) = round_trip(p.addr(), &data).await;
    assert_eq!(error, None);
    assert!(echoed == data, "the echo differs from what was sent");
    let stats = p.stats();
    assert_eq!((stats.bytes_up, stats.bytes_down, stats.connections), (50_000, 50_000, 1));
}

#[tokio::test]
async fn a_doomed_connection_is_reset_after_the_given_bytes() {
    let p = proxy(LinkConfig { reset_after_bytes: 10_000, reset_probability: 1.0, ..Default::default() }).await;
    let data = vec![7u8; 100_000];
    let (echoed, _) = round_trip(p.addr(), &data).await;
    assert!(echoed.len() < data.len(), "the connection should have died, got all {} bytes", echoed.len());
    assert!(p.stats().bytes_up + p.stats().bytes_down <= 10_000 + 1400);
    assert!(p.stats().resets >= 1);
}

#[tokio::test]
async fn a_connection_reset_on_connect_gets_no_byte() {
    let p = proxy(LinkConfig { reset_on_connect_probability: 1.0, ..Default::default() }).await;
    let (echoed, _) = round_trip(p.addr(), b"hello").await;
    assert!(echoed.is_empty());
    assert_eq!(p.stats().resets, 1);
}

#[tokio::test]
async fn a_stalled_connection_never_answers() {
    let p = proxy(LinkConfig { stall_probability: 1.0, ..Default::default() }).await;
    let mut s = TcpStream::connect(p.addr()).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await;
    assert!(read.is_err(), "a stalled connection must not answer");
    assert_eq!(p.stats().stalls, 1);
}

#[tokio::test]
async fn a_proxy_that_is_down_refuses_connections_until_it_is_up_again() {
    let p = proxy(LinkConfig::default()).await;
    p.set(LinkConfig { down: true, ..Default::default() });
    let mut refused = false;
    for _ in 0..50 {
        match TcpStream::connect(p.addr()).await {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                refused = true;
                break;
            }
            _ => tokio::task::yield_now().await,
        }
    }
    assert!(refused, "connections must be refused while down");
    p.set(LinkConfig::default());
    let mut echoed = Vec::new();
    for _ in 0..100 {
        if let Ok(s) = TcpStream::connect(p.addr()).await {
            drop(s);
            echoed = round_trip(p.addr(), b"back").await.0;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(echoed, b"back");
}
