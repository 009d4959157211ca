//! Opora's server: the JSON API under `/api/` and the built app for every other path.
//!
//! `main` stays thin; [`start`] opens storage, loads forms (and demo data when asked) and
//! [`serve`] runs the router on a listener until `shutdown` resolves. Tests call the same two
//! functions on port 0 with a throwaway database.

pub mod admin;
pub mod auth;
mod changes;
pub mod config;
mod connections;
pub mod demo;
mod diagnoses;
pub mod error;
pub mod forms;
mod http;
mod limiter;
pub mod logins;
pub mod reports;
mod scope;
pub mod storage;

pub use config::Settings;
pub use http::MAX_BODY_BYTES;

use limiter::Throttle;
use opora_domain::form::FormDefinition;
use std::future::Future;
use std::sync::Arc;
use storage::Storage;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub settings: Arc<Settings>,
    /// Failed logins, per (account, client) and per client (`limiter`, `http::auth`).
    login_throttle: Throttle,
    /// Failed activation attempts, per client: codes are unguessable anyway, this keeps a script
    /// from hammering the endpoint without stopping anyone else's first login.
    activation_throttle: Throttle,
    /// The app's crash reports, per client and over all clients (`http::client_errors`).
    client_error_quota: (limiter::Quota, limiter::Quota),
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    /// Parsed form definitions. A published version never changes, so a cached one is never stale.
    forms: Arc<std::sync::RwLock<std::collections::HashMap<opora_domain::FormRef, Arc<FormDefinition>>>>,
    /// How the department's monitoring indicators are computed (`data/forms/analytics`).
    pub indicators: Arc<forms::Indicators>,
}

impl AppState {
    /// The crash reports' quotas: per client, and over all clients.
    pub(crate) fn client_error_quota(&self) -> (&limiter::Quota, &limiter::Quota) {
        (&self.client_error_quota.0, &self.client_error_quota.1)
    }

    /// Milliseconds since the Unix epoch, from the injected clock.
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    /// A form version, parsed once per process: every submission is checked and scored against
    /// one, and parsing a whole definition per submission would dominate a large sync.
    pub async fn form(
        &self,
        form: &opora_domain::FormRef,
    ) -> Result<Option<Arc<FormDefinition>>, storage::StorageError> {
        if let Some(cached) = self.forms.read().unwrap_or_else(|e| e.into_inner()).get(form) {
            return Ok(Some(cached.clone()));
        }
        let Some(loaded) = self.store.form(form).await? else { return Ok(None) };
        let loaded = Arc::new(loaded);
        self.forms.write().unwrap_or_else(|e| e.into_inner()).insert(form.clone(), loaded.clone());
        Ok(Some(loaded))
    }

    /// The same state reading time from `clock`: tests use it to expire sessions.
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

pub fn system_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Opens the database, applies migrations, loads form definitions and, with `--demo`, fills an
/// empty database with the demo organisations and accounts.
pub async fn start(settings: Settings) -> anyhow::Result<AppState> {
    settings.check()?;
    let store = storage::open(&settings.database_url, settings.pool()).await?;
    let now = system_now_ms();
    let forms = forms::load_forms(store.as_ref(), &settings.forms_dir, now).await?;
    forms::load_report_forms(store.as_ref(), &settings.forms_dir.join("reports"), now).await?;
    let indicators = forms::load_indicators(&settings.forms_dir.join("analytics/programme.json"))?;
    if settings.demo && store.is_empty().await? {
        demo::load(store.as_ref(), &settings.demo_file, &forms, now).await?;
    }
    Ok(AppState {
        login_throttle: Throttle::for_store(&store),
        activation_throttle: Throttle::for_store(&store),
        client_error_quota: http::client_errors::quota(),
        store,
        settings: Arc::new(settings),
        clock: Arc::new(system_now_ms),
        forms: Default::default(),
        indicators: Arc::new(indicators),
    })
}

/// The whole HTTP application: the API and the built app. `serve` runs it on a listener; tests may
/// also call it directly.
pub fn app(state: AppState) -> axum::Router {
    http::router(state).layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
///
/// Our own accept loop rather than `axum::serve`, for what a server facing the Internet needs:
/// - at most `max_connections` open connections (beyond them, clients wait in the listen queue),
///   and at most `connections_per_client` of them from one client address, so that one machine
///   cannot hold them all: one more is answered 503 with `Retry-After` and closed;
/// - headers within `header_timeout` (hyper closes the connection otherwise; the same timer closes
///   a kept-alive connection that sends nothing), the body within `body_timeout` (`http::router`
///   answers 408);
/// - a client that takes none of a response's bytes for `write_timeout` is disconnected
///   ([`connections::WriteTimeout`]); one that reads, however slowly, is not;
/// - after `connection_lifetime` a connection takes no new request, and a response still being
///   sent gets as long again before the connection is closed: a client reading a trickle (just
///   enough to beat the write timeout) still lets its place go;
/// - each request carries its peer's address (`ConnectInfo`) for the throttles.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tokio::sync::{Semaphore, watch};
    use tower::ServiceExt;

    let settings = Arc::clone(&state.settings);
    let (header_timeout, write_timeout, lifetime) =
        (settings.header_timeout(), settings.write_timeout(), settings.connection_lifetime());
    let connections = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let per_client = settings.connections_per_client().map(connections::PerClient::new);
    // Connections over their client's share being answered 503 at once: a few, so that a flood
    // of them costs next to nothing; beyond these they are closed without a word.
    let refusals = Arc::new(Semaphore::new(64));
    let app = app(state);

    // Dropping `stop_rx` tells the loop and every connection to finish; each connection holds a
    // `done_rx`, so `done_tx.closed()` resolves when the last one has ended.
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    let (done_tx, done_rx) = watch::channel(());
    let (mut last_logged, mut refused_since_logged) = (None, 0u64);

    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = stop_tx.closed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop_tx.closed() => break,
        };
        // Little unsent data queued in the kernel: our writes then wait only while the client
        // takes nothing, and the write timeout measures the client, not the size of our buffers.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Err(e) = socket2::SockRef::from(&stream).set_tcp_notsent_lowat(connections::NOTSENT_LOWAT) {
            tracing::debug!(error = %e, "TCP_NOTSENT_LOWAT not set");
        }
        let place = match &per_client {
            None => None,
            Some(per_client) => match per_client.take(http::client_of(peer.ip())) {
                Some(place) => Some(place),
                None => {
                    drop(permit);
                    // Logged at most once a minute with the number since: a hog's flood must not
                    // flood the log, and an administrator still learns of it.
                    refused_since_logged += 1;
                    if last_logged
                        .is_none_or(|at: std::time::Instant| at.elapsed() >= std::time::Duration::from_secs(60))
                    {
                        tracing::warn!(%peer, refused = refused_since_logged, "connections over a client's share refused");
                        last_logged = Some(std::time::Instant::now());
                        refused_since_logged = 0;
                    }
                    if let Ok(refusal) = Arc::clone(&refusals).try_acquire_owned() {
                        tokio::spawn(async move {
                            refuse_connection(stream, header_timeout, write_timeout).await;
                            drop(refusal);
                        });
                    }
                    continue;
                }
            },
        };
        let service = app.clone().map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            req.map(axum::body::Body::new)
        });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let stop_tx = stop_tx.clone();
        let done_rx = done_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let io = TokioIo::new(connections::WriteTimeout::new(stream, write_timeout));
            let conn = builder.serve_connection(io, service);
            let mut conn = std::pin::pin!(conn);
            let ended = tokio::select! {
                result = conn.as_mut() => result,
                _ = stop_tx.closed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
                () = tokio::time::sleep(lifetime) => {
                    conn.as_mut().graceful_shutdown();
                    tokio::time::timeout(lifetime, conn).await.unwrap_or_else(|_| {
                        tracing::debug!(%peer, "connection closed: its response outlived the connection's lifetime");
                        Ok(())
                    })
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(place);
            drop(permit);
            drop(done_rx);
        });
    }
    drop(done_rx);
    drop(listener);
    done_tx.closed().await;
    Ok(())
}

/// Answers a connection over its client's share: reads one request's headers (so that the client
/// reads our answer rather than a reset) and answers 503 `overloaded` with `Retry-After`, then
/// closes. A browser shows the app's «server busy» state and tries again; a hog learns nothing.
async fn refuse_connection(
    stream: tokio::net::TcpStream,
    header_timeout: std::time::Duration,
    write_timeout: std::time::Duration,
) {
    use axum::response::IntoResponse;
    use hyper_util::rt::{TokioIo, TokioTimer};
    let service = hyper::service::service_fn(move |_req| async move {
        let error = opora_domain::api::ApiError::with_detail(
            opora_domain::api::ErrorCode::Overloaded,
            "С этого адреса открыто слишком много соединений с сервером.",
        );
        // Places free up as kept-alive connections fall idle, within the header timeout.
        Ok::<_, std::convert::Infallible>(error::AppError::Later(error, header_timeout).into_response())
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(false);
    let io = TokioIo::new(connections::WriteTimeout::new(stream, write_timeout));
    let conn = builder.serve_connection(io, service);
    // Hyper's timers bound each step; this bounds the whole.
    let _ = tokio::time::timeout(header_timeout + write_timeout, conn).await;
}
