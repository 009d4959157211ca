//! `faultproxy`: the fault-injecting TCP proxy as a program, for the end-to-end tests and the
//! sync benchmark.
//!
//! ```text
//! faultproxy --upstream 127.0.0.1:8080 [--listen 127.0.0.1:0] [--control 127.0.0.1:0] [--config JSON]
//! ```
//! Prints `proxy 127.0.0.1:P control 127.0.0.1:C` once both listen. The control port takes one
//! command per line: `SET {json}`, `GET`, `STATS`, `RESET_STATS`, `UPSTREAM host:port`.

use opora_tests::proxy::{FaultProxy, LinkConfig, serve_control};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut listen = "127.0.0.1:0".to_owned();
    let mut control = "127.0.0.1:0".to_owned();
    let mut upstream = None;
    let mut config = LinkConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => listen = value()?,
            "--control" => control = value()?,
            "--upstream" => upstream = Some(value()?),
            "--config" => config = serde_json::from_str(&value()?)?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let upstream = upstream.ok_or("--upstream is required")?.parse()?;
    let proxy = Arc::new(FaultProxy::start(listen.parse()?, upstream, config).await?);
    let control = tokio::net::TcpListener::bind(&control).await?;
    println!("proxy {} control {}", proxy.addr(), control.local_addr()?);
    serve_control(control, proxy).await;
    Ok(())
}
