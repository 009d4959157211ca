//! Settings: defaults in code, overridden by command-line flags or `OPORA_*` environment variables.
//! Every key is documented in `server/opora.env.example`.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, clap::Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "OPORA_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Database URL; `sqlite://FILE` is created if missing.
    #[arg(long, env = "OPORA_DATABASE_URL", default_value = "sqlite://opora.db")]
    pub database_url: String,
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
    /// Failed logins per account within 15 minutes before further attempts are refused.
    #[arg(long, env = "OPORA_LOGIN_ATTEMPTS", default_value_t = 10)]
    pub login_attempts: u32,
}

impl std::fmt::Debug for Settings {
    // The database URL of a PostgreSQL deployment carries a password: show only its scheme.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = self.database_url.split(':').next().unwrap_or("?");
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("database", &format_args!("{scheme}://…"))
            .field("dist_dir", &self.dist_dir)
            .field("forms_dir", &self.forms_dir)
            .field("demo", &self.demo)
            .field("min_group", &self.min_group)
            .field("login_attempts", &self.login_attempts)
            .finish()
    }
}

impl Settings {
    /// Settings for tests and tools: everything default except what the caller sets.
    pub fn for_paths(database_url: String, dist_dir: PathBuf, forms_dir: PathBuf) -> Self {
        Settings {
            addr: "127.0.0.1:0".parse().expect("valid address"),
            database_url,
            dist_dir,
            forms_dir,
            demo_file: PathBuf::from("data/demo/organisations.json"),
            demo: false,
            min_group: opora_domain::aggregate::DEFAULT_MIN_GROUP,
            login_attempts: 10,
        }
    }
}
