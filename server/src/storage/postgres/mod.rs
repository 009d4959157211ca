//! The PostgreSQL backend: several server processes on one database (`docs/deployment.md`).
//!
//! Same tables and behaviour as the SQLite backend, its own migrations (`migrations/postgres`).
//! Durability: a commit PostgreSQL acknowledged is durable (`synchronous_commit` on, the
//! default); the server acknowledges a change only after its commit returned.
//! Concurrency: every write transaction first takes one transaction-scoped advisory lock
//! ([`WRITE_LOCK`]), held until it commits or rolls back: the cluster-wide counterpart of SQLite's
//! single writer, whatever process the transaction runs in. Change-log seqs and receipt numbers
//! are assigned as MAX + 1 under that lock, so they are gapless and become visible in commit
//! order: a pull never skips a change numbered before one it already saw. Idempotency checks
//! (read the key, then write) cannot race either. Reads take no lock and run in parallel on the
//! pool. Sessions are plain rows written without the lock, except a new one: it is opened under
//! the lock, so a reset's end of the account's sessions cannot miss it.
//! Aborted transactions (serialization failure, deadlock) are retried ([`retrying`]); a pool with
//! no connection free within its acquire timeout, or a database stopped, restarting or out of
//! reach, is [`StorageError::Busy`] (503 with `Retry-After`; `storage::unavailable`).

use super::*;
use opora_domain::SubmissionId;
use opora_domain::api::{AccountStatus, ApiError, ErrorCode};
use opora_domain::diagnosis::Submission;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use std::str::FromStr;
use std::time::Duration;

super::rows::row_decoders!(PgRow);

mod accounts;
mod audit;
mod campaigns;
mod changes;
mod diagnoses;
mod forms;
mod reports;
mod sessions;

pub struct PgStorage {
    pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The key of the transaction-scoped advisory lock every write transaction takes first: the
/// cluster-wide equivalent of SQLite's single writer (see the module comment).
pub const WRITE_LOCK: i64 = 0x006f_706f_7261; // "opora"

/// The first half of the advisory lock keys of throttle counters (the second is the key's hash).
const THROTTLE_LOCK_CLASS: i32 = 0x7468; // "th"

/// How many times a transaction PostgreSQL aborted (serialization failure, deadlock) is tried.
const ATTEMPTS: u32 = 5;

/// The pool: its size and how long a request waits for a connection before the server answers
/// 503 (`StorageError::Busy`).
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl PgStorage {
    /// Connects to `url` (`postgres://user:password@host/db`) and applies pending migrations.
    /// Several server processes may start at once: sqlx's migrator takes an advisory lock, so
    /// one applies the migrations and the others wait and find them applied.
    pub async fn open(url: &str, pool: PoolSettings) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(|e| StorageError::failed("connect", e))?;
        let pool = PgPoolOptions::new()
            .max_connections(pool.max_connections.max(1))
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(|e| StorageError::failed("connect", e))?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStorage { pool })
    }

    /// A write transaction holding the write lock until it commits or rolls back.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
        Ok(tx)
    }

    /// A write transaction made under `session`, which must still be live once the write lock
    /// is held ([`Session`]): every write a request makes under a session begins here. Read
    /// after the lock is taken, in a statement of its own, so (READ COMMITTED) it sees whatever
    /// the transaction that held the lock before committed: an activation's ended sessions.
    async fn begin_write_under(
        &self,
        session: Option<Session<'_>>,
        now_ms: i64,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        let mut tx = self.begin_write().await?;
        if let Some(Session(token_hash)) = session {
            let live: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active",
            )
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await?;
            if live.is_none() {
                return Err(StorageError::SessionEnded);
            }
        }
        Ok(tx)
    }
}

/// Runs `attempt` again when PostgreSQL aborted it for a serialization failure (40001) or a
/// deadlock (40P01), at most [`ATTEMPTS`] times with a short growing pause; every other outcome
/// is returned as it is, labelled with the operation.
async fn retrying<T, F, Fut>(op: &'static str, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut tried = 0;
    loop {
        tried += 1;
        match attempt().await {
            Err(StorageError::Database(sqlx::Error::Database(e)))
                if tried < ATTEMPTS && matches!(e.code().as_deref(), Some("40001" | "40P01")) =>
            {
                tracing::debug!(op, tried, code = ?e.code(), "transaction aborted by PostgreSQL, retrying");
                tokio::time::sleep(Duration::from_millis(5 << tried)).await;
            }
            other => return other.map_err(|e| e.during(op)),
        }
    }
}

const USER_SELECT: &str = "
    SELECT u.id, u.login, u.full_name, u.role, u.password_hash, u.active,
           u.school_id, s.name AS school_name,
           m.id AS municipality_id, m.name AS municipality_name, m.region_id,
           COALESCE(u.region_id, m.region_id) AS user_region
    FROM users u
    LEFT JOIN schools s ON s.id = u.school_id
    LEFT JOIN municipalities m ON m.id = COALESCE(u.municipality_id, s.municipality_id)";

const REPORT_SELECT: &str = "SELECT school_id, form_id, period, form_version, revision, fields, submitted_revision,
        conflicts, updated_at, updated_by FROM reports";

/// The account a code opens, if the code is unused, unexpired and the account is not disabled.
const LIVE_CODE_OWNER: &str = "SELECT c.user_id FROM activation_codes c JOIN users u ON u.id = c.user_id
     WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.expires_at > $2 AND u.active";

/// Submissions their author may still read: those not sealed by a reset of her account.
const READABLE_SUBMISSION: &str = "SELECT d.* FROM self_diagnoses d JOIN users u ON u.id = d.teacher_id
     AND d.receipt_seq > u.answers_sealed_through";

/// Seals a teacher's submissions received so far from her account's future sessions, with an
/// audit line (the number of submissions, never their content).
async fn seal_answers(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, user: &str, now_ms: i64) -> Result<()> {
    let (through, sealed): (i64, i64) =
        sqlx::query_as("SELECT COALESCE(MAX(receipt_seq), 0), COUNT(*) FROM self_diagnoses WHERE teacher_id = $1")
            .bind(user)
            .fetch_one(&mut **tx)
            .await?;
    if sealed == 0 {
        return Ok(());
    }
    sqlx::query("UPDATE users SET answers_sealed_through = GREATEST(answers_sealed_through, $1) WHERE id = $2")
        .bind(through)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    let audit = NewAudit::new(None, "account.answers_sealed", user)
        .detail(format!("самодиагностик закрыто от новой сессии: {sealed}"));
    insert_audit(tx, &audit, now_ms).await
}

/// Appends to the change log, numbered `MAX(seq) + 1` under the write lock (see `begin_write`):
/// the one place an entry is numbered, apart from a new submission's one-statement insert.
async fn log_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    kind: &str,
    record_id: &str,
    readers: Readers,
    now_ms: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO change_log (seq, kind, record_id, owner_user_id, owner_school_id, audience, at) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM change_log), $1, $2, $3, $4, $5, $6)")
        .bind(kind)
        .bind(record_id)
        .bind(readers.owner_user())
        .bind(readers.owner_school())
        .bind(readers.audience())
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The outcome recorded under `key`, read inside the committing transaction (under the write
/// lock): the backend's half of idempotency (`crate::changes`). Another account's key is refused.
async fn previous_outcome(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    key: ChangeKey,
    user: UserId,
) -> Result<Option<Outcome>> {
    let row = sqlx::query("SELECT user_id, outcome FROM applied_changes WHERE device_id = $1 AND seq = $2")
        .bind(key.device.to_string())
        .bind(key.seq as i64)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    if parse::<UserId>(&row, "user_id")? != user {
        return Ok(Some(Outcome::Rejected { error: ApiError::new(ErrorCode::Conflict) }));
    }
    Ok(Some(json(&row, "outcome")?))
}

/// Records `outcome` under the change's key and under every key it replaced that is not recorded
/// yet (a replaced change may have been applied itself before: its own record stands).
async fn insert_applied(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    keys: PushedKeys<'_>,
    user: UserId,
    outcome: &Outcome,
    now_ms: i64,
) -> Result<()> {
    let key = keys.key;
    sqlx::query(
        "INSERT INTO applied_changes (device_id, seq, user_id, outcome, applied_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key.device.to_string())
    .bind(key.seq as i64)
    .bind(user.to_string())
    .bind(to_json(outcome))
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    if !keys.replaces.is_empty() {
        let replaced: Vec<i64> = keys.replaces.iter().map(|&seq| seq as i64).collect();
        sqlx::query(
            "INSERT INTO applied_changes (device_id, seq, user_id, outcome, applied_at, replaced_by)
             SELECT $1, replaced, $3, $4, $5, $6 FROM UNNEST($2::BIGINT[]) AS replaced
             ON CONFLICT (device_id, seq) DO NOTHING",
        )
        .bind(key.device.to_string())
        .bind(&replaced)
        .bind(user.to_string())
        .bind(to_json(outcome))
        .bind(now_ms)
        .bind(key.seq as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_code(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, code: &NewCode, now_ms: i64) -> Result<()> {
    // One live code per user: a reissued code makes the lost one worthless.
    sqlx::query("DELETE FROM activation_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(code.user.to_string())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO activation_codes (code_hash, user_id, issued_by, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&code.code_hash)
    .bind(code.user.to_string())
    .bind(code.issued_by.map(|id| id.to_string()))
    .bind(now_ms)
    .bind(code.expires_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// Rows written both by single calls and inside larger transactions (the import): one statement
// each, run on whichever executor the caller holds.

async fn insert_region_row<'e>(e: impl sqlx::PgExecutor<'e>, id: RegionId, name: &str) -> Result<()> {
    sqlx::query("INSERT INTO regions (id, name) VALUES ($1, $2)").bind(id.to_string()).bind(name).execute(e).await?;
    Ok(())
}

async fn insert_municipality_row<'e>(e: impl sqlx::PgExecutor<'e>, m: &MunicipalityRef) -> Result<()> {
    sqlx::query("INSERT INTO municipalities (id, region_id, name) VALUES ($1, $2, $3)")
        .bind(m.id.to_string())
        .bind(m.region_id.to_string())
        .bind(&m.name)
        .execute(e)
        .await?;
    Ok(())
}

async fn insert_school_row<'e>(e: impl sqlx::PgExecutor<'e>, s: &NewSchool) -> Result<()> {
    sqlx::query(
        "INSERT INTO schools (id, municipality_id, name, low_results, unfavourable, login_prefix) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(s.id.to_string())
    .bind(s.municipality_id.to_string())
    .bind(&s.name)
    .bind(s.flags.low_results)
    .bind(s.flags.unfavourable_conditions)
    .bind(&s.login_prefix)
    .execute(e)
    .await?;
    Ok(())
}

/// The account and its change-log line, so its owner's devices pull the profile. A taken login
/// is [`StorageError::AlreadyExists`].
async fn insert_user_row(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, u: &NewUser, now_ms: i64) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, login, full_name, role, school_id, municipality_id, region_id, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(u.id.to_string())
    .bind(&u.login)
    .bind(&u.full_name)
    .bind(u.role.as_str())
    .bind(u.school_id.map(|id| id.to_string()))
    .bind(u.municipality_id.map(|id| id.to_string()))
    .bind(u.region_id.map(|id| id.to_string()))
    .bind(&u.password_hash)
    .bind(now_ms)
    .execute(&mut **tx)
    .await;
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(StorageError::AlreadyExists(u.login.clone()));
        }
        other => other?,
    };
    log_change(tx, "profile", &u.id.to_string(), Readers::Account(u.id), now_ms).await
}

const CAMPAIGN_SELECT: &str =
    "SELECT id, municipality_id, form_id, form_title, period, deadline, opened_at FROM campaigns";

async fn insert_audit(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, entry: &NewAudit, now_ms: i64) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, actor_id, action, subject, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(now_ms)
        .bind(entry.actor.map(|id| id.to_string()))
        .bind(entry.action)
        .bind(&entry.subject)
        .bind(&entry.detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
