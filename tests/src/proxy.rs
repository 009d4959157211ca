//! A fault-injecting TCP proxy: the rural link between a teacher's phone and the server.
//!
//! It forwards bytes between clients and an upstream server through an emulated link:
//! one-way latency with jitter (order kept), a bandwidth cap per direction shared by all
//! connections (one phone, one link), connections reset after N bytes with probability p,
//! connections reset as soon as they are accepted, connections that stall (accepted, read, never
//! answered), and a "down" mode in which the port refuses connections outright.
//! Settings change at run time ([`FaultProxy::set`], or the line protocol of the `faultproxy`
//! binary), so a test can break the link in the middle of a sync.

use serde::{Deserialize, Serialize};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkConfig {
    /// One-way delay added to every chunk, each direction (a round trip costs twice this).
    pub latency_ms: u64,
    /// Up to this much extra delay per chunk, at random; order is kept.
    pub jitter_ms: u64,
    /// Client → server bandwidth in bits per second; 0 is unlimited.
    pub up_bps: u64,
    /// Server → client bandwidth in bits per second; 0 is unlimited.
    pub down_bps: u64,
    /// When a connection has carried this many bytes (both directions), it resets (RST) with
    /// probability `reset_probability`; 0 is never.
    pub reset_after_bytes: u64,
    pub reset_probability: f64,
    /// The chance that a new connection is reset at once, before any byte.
    pub reset_on_connect_probability: f64,
    /// The chance that a new connection stalls: accepted and read, never forwarded or answered.
    pub stall_probability: f64,
    /// The port refuses connections (the listener is closed) while this is set.
    pub down: bool,
    /// Seed of the proxy's randomness, so a failing run can be repeated.
    pub seed: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub connections: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub resets: u64,
    pub stalls: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    resets: AtomicU64,
    stalls: AtomicU64,
}

/// The shared state of one direction of the link: when it is free to send the next byte, and
/// when the last chunk arrives (so jitter never reorders).
struct LinkState {
    free_at: Instant,
    last_arrival: Instant,
}

struct Shared {
    config: watch::Sender<LinkConfig>,
    upstream: Mutex<SocketAddr>,
    counters: Counters,
    up: Mutex<LinkState>,
    down: Mutex<LinkState>,
    rng: Mutex<u64>,
    /// Bumped on every settings change: byte counts towards a reset start again from there.
    epoch: AtomicU64,
}

impl Shared {
    fn random(&self) -> f64 {
        let mut s = self.rng.lock().unwrap();
        // xorshift64*: small, seedable, good enough for fault schedules.
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        (s.wrapping_mul(0x2545F4914F6CDD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn config(&self) -> LinkConfig {
        self.config.borrow().clone()
    }

    /// When a chunk of `bytes` sent now arrives at the other end.
    fn arrival(&self, upstream: bool, bytes: usize) -> Instant {
        let config = self.config();
        let (bps, link) = if upstream { (config.up_bps, &self.up) } else { (config.down_bps, &self.down) };
        let jitter = if config.jitter_ms > 0 { self.random() * config.jitter_ms as f64 } else { 0.0 };
        let mut link = link.lock().unwrap();
        let now = Instant::now();
        let start = link.free_at.max(now);
        let transmit = if bps == 0 { Duration::ZERO } else { Duration::from_secs_f64(bytes as f64 * 8.0 / bps as f64) };
        link.free_at = start + transmit;
        let arrival =
            (link.free_at + Duration::from_millis(config.latency_ms) + Duration::from_secs_f64(jitter / 1000.0))
                .max(link.last_arrival);
        link.last_arrival = arrival;
        arrival
    }
}

/// A running proxy. Dropping it stops accepting; connections in flight finish on their own.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Listens on `listen` (port 0 picks a free one) and forwards to `upstream`.
    pub async fn start(listen: SocketAddr, upstream: SocketAddr, config: LinkConfig) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let now = Instant::now();
        let seed = if config.seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { config.seed };
        let (tx, _) = watch::channel(config);
        let shared = Arc::new(Shared {
            config: tx,
            upstream: Mutex::new(upstream),
            counters: Counters::default(),
            up: Mutex::new(LinkState { free_at: now, last_arrival: now }),
            down: Mutex::new(LinkState { free_at: now, last_arrival: now }),
            rng: Mutex::new(seed),
            epoch: AtomicU64::new(0),
        });
        let task = tokio::spawn(accept_loop(Some(listener), addr, shared.clone()));
        Ok(FaultProxy { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> LinkConfig {
        self.shared.config()
    }

    pub fn set(&self, config: LinkConfig) {
        self.shared.epoch.fetch_add(1, Ordering::Relaxed);
        self.shared.config.send_replace(config);
    }

    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.shared.upstream.lock().unwrap() = upstream;
    }

    pub fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        Stats {
            connections: c.connections.load(Ordering::Relaxed),
            bytes_up: c.bytes_up.load(Ordering::Relaxed),
            bytes_down: c.bytes_down.load(Ordering::Relaxed),
            resets: c.resets.load(Ordering::Relaxed),
            stalls: c.stalls.load(Ordering::Relaxed),
        }
    }

    pub fn reset_stats(&self) {
        let c = &self.shared.counters;
        for counter in [&c.connections, &c.bytes_up, &c.bytes_down, &c.resets, &c.stalls] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

async fn accept_loop(mut listener: Option<TcpListener>, addr: SocketAddr, shared: Arc<Shared>) {
    let mut changes = shared.config.subscribe();
    loop {
        let down = changes.borrow().down;
        match (&listener, down) {
            // Going down: close the port, so connecting is refused by the kernel.
            (Some(_), true) => listener = None,
            (None, false) => match TcpListener::bind(addr).await {
                Ok(l) => listener = Some(l),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ => {}
        }
        let Some(l) = &listener else {
            if changes.changed().await.is_err() {
                return;
            }
            continue;
        };
        tokio::select! {
            accepted = l.accept() => {
                if let Ok((client, _)) = accepted {
                    tokio::spawn(handle(client, shared.clone()));
                }
            }
            changed = changes.changed() => if changed.is_err() { return },
        }
    }
}

async fn handle(client: TcpStream, shared: Arc<Shared>) {
    shared.counters.connections.fetch_add(1, Ordering::Relaxed);
    let config = shared.config();
    let _ = client.set_nodelay(true);
    if shared.random() < config.reset_on_connect_probability {
        reset(client, &shared);
        return;
    }
    if shared.random() < config.stall_probability {
        shared.counters.stalls.fetch_add(1, Ordering::Relaxed);
        let mut client = client;
        let mut sink = [0u8; 4096];
        // Read and drop until the client gives up; never answer.
        while matches!(client.read(&mut sink).await, Ok(n) if n > 0) {}
        return;
    }
    let upstream_addr = *shared.upstream.lock().unwrap();
    let Ok(server) = TcpStream::connect(upstream_addr).await else {
        reset(client, &shared);
        return;
    };
    let _ = server.set_nodelay(true);
    let crossed = Arc::new(Mutex::new((shared.epoch.load(Ordering::Relaxed), 0u64)));
    let (kill_tx, kill_rx) = watch::channel(false);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = tokio::spawn(pipe(
        client_read,
        server_write,
        true,
        shared.clone(),
        crossed.clone(),
        kill_tx.clone(),
        kill_rx.clone(),
    ));
    let down = tokio::spawn(pipe(server_read, client_write, false, shared.clone(), crossed, kill_tx, kill_rx));
    let _ = tokio::join!(up, down);
}

fn reset(stream: TcpStream, shared: &Shared) {
    shared.counters.resets.fetch_add(1, Ordering::Relaxed);
    // Linger zero: closing sends RST instead of FIN, as a dropped mobile connection looks.
    let _ = stream.set_zero_linger();
    drop(stream);
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    upstream: bool,
    shared: Arc<Shared>,
    crossed: Arc<Mutex<(u64, u64)>>,
    kill_tx: watch::Sender<bool>,
    mut kill_rx: watch::Receiver<bool>,
) {
    // Reading and writing run apart, joined by a queue of (chunk, arrival time): the link
    // carries many chunks in flight, as a real one does, instead of one per round trip.
    let (tx, mut rx) = mpsc::unbounded_channel::<(Vec<u8>, Instant)>();
    let reader_shared = shared.clone();
    let mut reader_kill = kill_rx.clone();
    let reader = async move {
        // About one TCP segment: bandwidth is shaped at packet granularity.
        let mut buf = vec![0u8; 1400];
        loop {
            let n = tokio::select! {
                r = from.read(&mut buf) => match r { Ok(n) if n > 0 => n, _ => break },
                _ = reader_kill.changed() => break,
            };
            let arrival = reader_shared.arrival(upstream, n);
            if tx.send((buf[..n].to_vec(), arrival)).is_err() {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((chunk, arrival)) = rx.recv().await {
            tokio::select! {
                _ = tokio::time::sleep_until(arrival) => {}
                _ = kill_rx.changed() => {
                    // The other direction reset the connection: this side dies with RST too.
                    let _ = to.as_ref().set_zero_linger();
                    return;
                }
            }
            // The dice are rolled when a connection crosses the threshold counted from the last
            // settings change, so kept-alive connections opened earlier can die too.
            let config = shared.config();
            let before = {
                let mut c = crossed.lock().unwrap();
                let epoch = shared.epoch.load(Ordering::Relaxed);
                if c.0 != epoch {
                    *c = (epoch, 0);
                }
                let before = c.1;
                c.1 += chunk.len() as u64;
                before
            };
            let threshold = config.reset_after_bytes;
            let crossing = threshold > 0 && before < threshold && before + chunk.len() as u64 >= threshold;
            let dies = crossing && shared.random() < config.reset_probability;
            let allowed = if dies { (threshold - before) as usize } else { chunk.len() };
            if to.write_all(&chunk[..allowed]).await.is_err() {
                return;
            }
            let counter = if upstream { &shared.counters.bytes_up } else { &shared.counters.bytes_down };
            counter.fetch_add(allowed as u64, Ordering::Relaxed);
            if dies {
                shared.counters.resets.fetch_add(1, Ordering::Relaxed);
                let _ = to.as_ref().set_zero_linger();
                let _ = kill_tx.send(true);
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

/// Serves the line protocol of the `faultproxy` binary on `control`:
/// `SET {json LinkConfig}`, `GET`, `STATS`, `RESET_STATS`, `UPSTREAM host:port`; one reply line each.
pub async fn serve_control(control: TcpListener, proxy: Arc<FaultProxy>) {
    loop {
        let Ok((stream, _)) = control.accept().await else { continue };
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = tokio::io::BufReader::new(read);
            let mut line = String::new();
            loop {
                line.clear();
                match tokio::io::AsyncBufReadExt::read_line(&mut lines, &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let (command, rest) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
                let reply = match command {
                    "SET" => match serde_json::from_str::<LinkConfig>(rest) {
                        Ok(config) => {
                            proxy.set(config);
                            "OK".to_owned()
                        }
                        Err(e) => format!("ERR {e}"),
                    },
                    "GET" => serde_json::to_string(&proxy.config()).unwrap_or_default(),
                    "STATS" => serde_json::to_string(&proxy.stats()).unwrap_or_default(),
                    "RESET_STATS" => {
                        proxy.reset_stats();
                        "OK".to_owned()
                    }
                    "UPSTREAM" => match rest.parse() {
                        Ok(addr) => {
                            proxy.set_upstream(addr);
                            "OK".to_owned()
                        }
                        Err(e) => format!("ERR {e}"),
                    },
                    other => format!("ERR unknown command {other}"),
                };
                if write.write_all(format!("{reply}\n").as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}
