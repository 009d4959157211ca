//! Settings: defaults in code, overridden by command-line flags or `OPORA_*` environment variables.
//! Every key is documented in `server/opora.env.example`.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, clap::Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "OPORA_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Database URL; `sqlite://FILE` is created if missing; `postgres://USER:PASSWORD@HOST/DB`
    /// uses PostgreSQL (the database must exist; migrations are applied at start).
    #[arg(long, env = "OPORA_DATABASE_URL", default_value = "sqlite://opora.db")]
    pub database_url: String,
    /// PostgreSQL only: connections this process opens at most.
    #[arg(long, env = "OPORA_DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: u32,
    /// PostgreSQL only: seconds a request waits for a free connection before it is answered
    /// 503 with `Retry-After` (the database is overloaded; the app retries).
    #[arg(long, env = "OPORA_DATABASE_ACQUIRE_TIMEOUT_SECS", default_value_t = 5.0)]
    pub database_acquire_timeout_secs: f64,
    /// The built app (`cargo xtask build` writes it).
    #[arg(long, env = "OPORA_DIST_DIR", default_value = "dist")]
    pub dist_dir: PathBuf,
    /// Form definition files, one per form version.
    #[arg(long, env = "OPORA_FORMS_DIR", default_value = "data/forms")]
    pub forms_dir: PathBuf,
    /// Demo organisations and accounts, loaded into an empty database when `--demo` is given.
    #[arg(long, env = "OPORA_DEMO_FILE", default_value = "data/demo/organisations.json")]
    pub demo_file: PathBuf,
    /// Load the demo data into an empty database.
    #[arg(long, env = "OPORA_DEMO")]
    pub demo: bool,
    /// Smallest group of teachers whose aggregate self-diagnosis results are shown to the
    /// department; smaller groups read «недостаточно данных».
    #[arg(long, env = "OPORA_MIN_GROUP", default_value_t = opora_domain::aggregate::DEFAULT_MIN_GROUP)]
    pub min_group: u32,
    /// Failed logins for one account from one client (address) within 15 minutes before that
    /// client's further attempts for that account are refused for 15 minutes. Other clients, the
    /// account's real owner among them, are not affected.
    #[arg(long, env = "OPORA_LOGIN_ATTEMPTS", default_value_t = 10)]
    pub login_attempts: u32,
    /// Failed logins from one client, over all accounts, within 15 minutes before its further
    /// login attempts are refused for 15 minutes. A school behind one NAT address is one client.
    #[arg(long, env = "OPORA_LOGIN_ATTEMPTS_PER_CLIENT", default_value_t = 100)]
    pub login_attempts_per_client: u32,
    /// Failed activation attempts (unknown, used or expired codes) from one client within 15
    /// minutes before its further attempts are refused for 15 minutes.
    #[arg(long, env = "OPORA_ACTIVATION_ATTEMPTS_PER_CLIENT", default_value_t = 30)]
    pub activation_attempts_per_client: u32,
    /// The server sits behind one trusted reverse proxy that appends the client's address to
    /// `X-Forwarded-For`: the throttles then key on the last address of that header. Off by
    /// default: the header is then ignored, as anyone can send it.
    #[arg(long, env = "OPORA_TRUSTED_PROXY")]
    pub trusted_proxy: bool,
    /// Seconds a client may take to send a request's headers (and an idle connection may wait
    /// for its next request) before the connection is closed.
    #[arg(long, env = "OPORA_HEADER_TIMEOUT_SECS", default_value_t = 10.0)]
    pub header_timeout_secs: f64,
    /// Seconds a client may take to send a request's body, counted from the end of its headers,
    /// before the request is answered 408 and the connection closed.
    #[arg(long, env = "OPORA_BODY_TIMEOUT_SECS", default_value_t = 30.0)]
    pub body_timeout_secs: f64,
    /// Seconds a response may wait for the client to take any of its bytes (a client that stops
    /// reading) before the connection is closed. Any progress starts it afresh: a slow but steady
    /// download is never cut off.
    #[arg(long, env = "OPORA_WRITE_TIMEOUT_SECS", default_value_t = 30.0)]
    pub write_timeout_secs: f64,
    /// Seconds a connection is used at most: after them it takes no new request, and a response
    /// still being sent gets as long again to finish before the connection is closed.
    #[arg(long, env = "OPORA_CONNECTION_LIFETIME_SECS", default_value_t = 600.0)]
    pub connection_lifetime_secs: f64,
    /// Open connections at most; further clients wait in the listen queue until one closes.
    #[arg(long, env = "OPORA_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Open connections one client address (an IPv6 client: its /64) may hold at most; one more
    /// is answered 503 with `Retry-After` and closed. Unset: an eighth of `max_connections` (at
    /// least one), so that it takes eight machines to fill the server. Not applied with
    /// `OPORA_TRUSTED_PROXY` (every connection then comes from the proxy, which must limit its
    /// clients itself).
    #[arg(long, env = "OPORA_MAX_CONNECTIONS_PER_CLIENT")]
    pub max_connections_per_client: Option<usize>,
}

impl std::fmt::Debug for Settings {
    // The database URL of a PostgreSQL deployment carries a password: show only its scheme.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = self.database_url.split(':').next().unwrap_or("?");
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("database", &format_args!("{scheme}://…"))
            .field("database_pool_size", &self.database_pool_size)
            .field("database_acquire_timeout_secs", &self.database_acquire_timeout_secs)
            .field("dist_dir", &self.dist_dir)
            .field("forms_dir", &self.forms_dir)
            .field("demo", &self.demo)
            .field("min_group", &self.min_group)
            .field("login_attempts", &self.login_attempts)
            .field("login_attempts_per_client", &self.login_attempts_per_client)
            .field("activation_attempts_per_client", &self.activation_attempts_per_client)
            .field("trusted_proxy", &self.trusted_proxy)
            .field("header_timeout_secs", &self.header_timeout_secs)
            .field("body_timeout_secs", &self.body_timeout_secs)
            .field("write_timeout_secs", &self.write_timeout_secs)
            .field("connection_lifetime_secs", &self.connection_lifetime_secs)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_client", &self.max_connections_per_client)
            .finish()
    }
}

impl Settings {
    /// Settings for tests and tools: everything default except what the caller sets.
    pub fn for_paths(database_url: String, dist_dir: PathBuf, forms_dir: PathBuf) -> Self {
        Settings {
            addr: "127.0.0.1:0".parse().expect("valid address"),
            database_url,
            database_pool_size: 16,
            database_acquire_timeout_secs: 5.0,
            dist_dir,
            forms_dir,
            demo_file: PathBuf::from("data/demo/organisations.json"),
            demo: false,
            min_group: opora_domain::aggregate::DEFAULT_MIN_GROUP,
            login_attempts: 10,
            login_attempts_per_client: 100,
            activation_attempts_per_client: 30,
            trusted_proxy: false,
            header_timeout_secs: 10.0,
            body_timeout_secs: 30.0,
            write_timeout_secs: 30.0,
            connection_lifetime_secs: 600.0,
            max_connections: 1024,
            max_connections_per_client: None,
        }
    }

    /// Refuses settings the server cannot run with.
    pub fn check(&self) -> anyhow::Result<()> {
        for (name, secs) in [
            ("header timeout", self.header_timeout_secs),
            ("body timeout", self.body_timeout_secs),
            ("write timeout", self.write_timeout_secs),
            ("connection lifetime", self.connection_lifetime_secs),
            ("database acquire timeout", self.database_acquire_timeout_secs),
        ] {
            anyhow::ensure!(secs.is_finite() && secs > 0.0 && secs <= 86_400.0, "{name}: {secs} s is not a timeout");
        }
        anyhow::ensure!(self.max_connections > 0, "max connections: at least one");
        anyhow::ensure!(self.max_connections_per_client != Some(0), "max connections per client: at least one");
        anyhow::ensure!(self.database_pool_size > 0, "database pool size: at least one");
        anyhow::ensure!(
            self.login_attempts > 0 && self.login_attempts_per_client > 0 && self.activation_attempts_per_client > 0,
            "attempt limits: at least one"
        );
        Ok(())
    }

    /// How long a client may take to send a request's headers.
    pub fn header_timeout(&self) -> std::time::Duration {
        secs(self.header_timeout_secs)
    }

    /// The PostgreSQL pool's size and acquire timeout.
    pub fn pool(&self) -> crate::storage::postgres::PoolSettings {
        crate::storage::postgres::PoolSettings {
            max_connections: self.database_pool_size,
            acquire_timeout: secs(self.database_acquire_timeout_secs),
        }
    }

    /// How long a client may take to send a request's body.
    pub fn body_timeout(&self) -> std::time::Duration {
        secs(self.body_timeout_secs)
    }

    /// How long a response may wait for the client to take any of its bytes.
    pub fn write_timeout(&self) -> std::time::Duration {
        secs(self.write_timeout_secs)
    }

    /// How long a connection takes new requests.
    pub fn connection_lifetime(&self) -> std::time::Duration {
        secs(self.connection_lifetime_secs)
    }

    /// The connections one client address may hold, or `None` behind a trusted proxy: every
    /// connection then comes from the proxy's address, and a share of it would be a cap on
    /// everyone at once.
    pub fn connections_per_client(&self) -> Option<usize> {
        let share = self.max_connections_per_client.unwrap_or(self.max_connections / 8);
        (!self.trusted_proxy).then_some(share.clamp(1, self.max_connections.max(1)))
    }
}

/// A duration from seconds as the settings hold them (`check` refuses what is not a timeout).
fn secs(secs: f64) -> std::time::Duration {
    std::time::Duration::from_secs_f64(secs.clamp(0.001, 86_400.0))
}
