//! The SQLite backend: the default, embedded, one file on disk.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a commit that returned is on disk and
//! survives a power cut; the server acknowledges a change only after its commit returned.
//! Concurrency: all writes go through a pool of one connection, so write transactions queue in
//! the application instead of failing with SQLITE_BUSY; reads use a separate pool and see the
//! last committed snapshot. Another process may write to the same file (the administrator's
//! commands on a live server): every write transaction therefore takes the write lock when it
//! begins ([`SqliteStorage::begin_write`], `BEGIN IMMEDIATE`), where a busy database waits up
//! to the busy timeout. A deferred transaction that read first and then wrote would get
//! SQLITE_BUSY at once instead (SQLite does not wait to upgrade a read to a write: the
//! snapshot it read may be stale), failing the request.

use super::*;
use opora_domain::SubmissionId;
use opora_domain::api::{AccountStatus, ApiError, ErrorCode};
use opora_domain::diagnosis::Submission;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

super::rows::row_decoders!(SqliteRow);

mod accounts;
mod audit;
mod campaigns;
mod changes;
mod diagnoses;
mod forms;
mod reports;
mod sessions;

pub struct SqliteStorage {
    writer: SqlitePool,
    reader: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

impl SqliteStorage {
    /// Opens (creating if needed) the database at `url` (`sqlite://path/to/file.db`) and applies
    /// pending migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new().max_connections(4).connect_with(options.read_only(true)).await?;
        Ok(SqliteStorage { writer, reader })
    }

    /// A write transaction holding SQLite's write lock from its first statement until it
    /// commits or rolls back (see the module comment): the only way a write transaction begins.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// A write transaction made under `session`, which must still be live once the write lock
    /// is held ([`Session`]): every write a request makes under a session begins here.
    async fn begin_write_under(
        &self,
        session: Option<Session<'_>>,
        now_ms: i64,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        let mut tx = self.begin_write().await?;
        if let Some(Session(token_hash)) = session {
            let live: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ? AND s.expires_at > ? AND u.active = 1",
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
     WHERE c.code_hash = ? AND c.used_at IS NULL AND c.expires_at > ? AND u.active = 1";

/// Submissions their author may still read: those not sealed by a reset of her account.
const READABLE_SUBMISSION: &str = "SELECT d.* FROM self_diagnoses d JOIN users u ON u.id = d.teacher_id
     AND d.receipt_seq > u.answers_sealed_through";

/// Seals a teacher's submissions received so far from her account's future sessions, with an
/// audit line (the number of submissions, never their content).
async fn seal_answers(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, user: &str, now_ms: i64) -> Result<()> {
    let (through, sealed): (i64, i64) =
        sqlx::query_as("SELECT COALESCE(MAX(receipt_seq), 0), COUNT(*) FROM self_diagnoses WHERE teacher_id = ?")
            .bind(user)
            .fetch_one(&mut **tx)
            .await?;
    if sealed == 0 {
        return Ok(());
    }
    sqlx::query("UPDATE users SET answers_sealed_through = MAX(answers_sealed_through, ?) WHERE id = ?")
        .bind(through)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    let audit = NewAudit::new(None, "account.answers_sealed", user)
        .detail(format!("самодиагностик закрыто от новой сессии: {sealed}"));
    insert_audit(tx, &audit, now_ms).await
}

/// Appends to the change log: what pulls send down, and to whom.
async fn log_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    kind: &str,
    record_id: &str,
    readers: Readers,
    now_ms: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO change_log (kind, record_id, owner_user_id, owner_school_id, audience, at) VALUES (?, ?, ?, ?, ?, ?)")
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
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    key: ChangeKey,
    user: UserId,
) -> Result<Option<Outcome>> {
    let row = sqlx::query("SELECT user_id, outcome FROM applied_changes WHERE device_id = ? AND seq = ?")
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
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    keys: PushedKeys<'_>,
    user: UserId,
    outcome: &Outcome,
    now_ms: i64,
) -> Result<()> {
    let key = keys.key;
    sqlx::query("INSERT INTO applied_changes (device_id, seq, user_id, outcome, applied_at) VALUES (?, ?, ?, ?, ?)")
        .bind(key.device.to_string())
        .bind(key.seq as i64)
        .bind(user.to_string())
        .bind(to_json(outcome))
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    if !keys.replaces.is_empty() {
        // One statement for the whole list (`WHERE true` tells SQLite's parser the upsert clause
        // belongs to the INSERT, not to a join).
        sqlx::query(
            "INSERT INTO applied_changes (device_id, seq, user_id, outcome, applied_at, replaced_by)
             SELECT ?, value, ?, ?, ?, ? FROM json_each(?) WHERE true
             ON CONFLICT (device_id, seq) DO NOTHING",
        )
        .bind(key.device.to_string())
        .bind(user.to_string())
        .bind(to_json(outcome))
        .bind(now_ms)
        .bind(key.seq as i64)
        .bind(to_json(&keys.replaces))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_code(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, code: &NewCode, now_ms: i64) -> Result<()> {
    // One live code per user: a reissued code makes the lost one worthless.
    sqlx::query("DELETE FROM activation_codes WHERE user_id = ? AND used_at IS NULL")
        .bind(code.user.to_string())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO activation_codes (code_hash, user_id, issued_by, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
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

async fn insert_region_row<'e>(e: impl sqlx::SqliteExecutor<'e>, id: RegionId, name: &str) -> Result<()> {
    sqlx::query("INSERT INTO regions (id, name) VALUES (?, ?)").bind(id.to_string()).bind(name).execute(e).await?;
    Ok(())
}

async fn insert_municipality_row<'e>(e: impl sqlx::SqliteExecutor<'e>, m: &MunicipalityRef) -> Result<()> {
    sqlx::query("INSERT INTO municipalities (id, region_id, name) VALUES (?, ?, ?)")
        .bind(m.id.to_string())
        .bind(m.region_id.to_string())
        .bind(&m.name)
        .execute(e)
        .await?;
    Ok(())
}

async fn insert_school_row<'e>(e: impl sqlx::SqliteExecutor<'e>, s: &NewSchool) -> Result<()> {
    sqlx::query(
        "INSERT INTO schools (id, municipality_id, name, low_results, unfavourable, login_prefix) \
         VALUES (?, ?, ?, ?, ?, ?)",
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
async fn insert_user_row(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, u: &NewUser, now_ms: i64) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, login, full_name, role, school_id, municipality_id, region_id, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

async fn insert_audit(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, entry: &NewAudit, now_ms: i64) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, actor_id, action, subject, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(now_ms)
        .bind(entry.actor.map(|id| id.to_string()))
        .bind(entry.action)
        .bind(&entry.subject)
        .bind(&entry.detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
