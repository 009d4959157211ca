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
//! pool. Sessions are plain rows written without the lock.
//! Aborted transactions (serialization failure, deadlock) are retried ([`retrying`]); a pool with
//! no connection free within its acquire timeout is [`StorageError::Busy`] (503).

use super::*;
use opora_domain::SubmissionId;
use opora_domain::api::{AccountStatus, ApiError, ErrorCode};
use opora_domain::diagnosis::Submission;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use std::str::FromStr;
use std::time::Duration;

pub struct PgStorage {
    pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The key of the transaction-scoped advisory lock every write transaction takes first: the
/// cluster-wide equivalent of SQLite's single writer (see the module comment).
const WRITE_LOCK: i64 = 0x6f70_6f72_61; // "opora"

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

fn parse<T: FromStr>(row: &PgRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|_| StorageError::Corrupt(format!("{column} = {text:?}")))
}

fn parse_opt<T: FromStr>(row: &PgRow, column: &str) -> Result<Option<T>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| t.parse().map_err(|_| StorageError::Corrupt(format!("{column} = {t:?}")))).transpose()
}

fn json<T: serde::de::DeserializeOwned>(row: &PgRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StorageError::Corrupt(format!("{column}: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain types serialise")
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

fn report_from(row: &PgRow) -> Result<StoredReport> {
    Ok(StoredReport {
        key: ReportKey {
            school: parse(row, "school_id")?,
            form: FormId(row.try_get("form_id")?),
            period: row.try_get("period")?,
        },
        form_version: row.try_get::<i64, _>("form_version")? as u32,
        revision: row.try_get::<i64, _>("revision")? as u32,
        fields: json(row, "fields")?,
        submitted_revision: row.try_get::<Option<i64>, _>("submitted_revision")?.map(|r| r as u32),
        conflicts: json(row, "conflicts")?,
        updated_at_ms: row.try_get("updated_at")?,
        updated_by: parse(row, "updated_by")?,
    })
}

/// The account a code opens, if the code is unused, unexpired and the account is not disabled.
const LIVE_CODE_OWNER: &str = "SELECT c.user_id FROM activation_codes c JOIN users u ON u.id = c.user_id
     WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.expires_at > $2 AND u.active";

fn user_record(row: &PgRow) -> Result<UserRecord> {
    let role: String = row.try_get("role")?;
    let role = Role::parse(&role).ok_or_else(|| StorageError::Corrupt(format!("role {role}")))?;
    let municipality = match parse_opt::<MunicipalityId>(row, "municipality_id")? {
        Some(id) => {
            Some(MunicipalityRef { id, name: row.try_get("municipality_name")?, region_id: parse(row, "region_id")? })
        }
        None => None,
    };
    let school = match (parse_opt::<SchoolId>(row, "school_id")?, &municipality) {
        (Some(id), Some(m)) => Some(SchoolRef { id, name: row.try_get("school_name")?, municipality_id: m.id }),
        _ => None,
    };
    Ok(UserRecord {
        profile: UserProfile {
            id: parse(row, "id")?,
            login: row.try_get("login")?,
            full_name: row.try_get("full_name")?,
            role,
            school,
            municipality,
            region: parse_opt(row, "user_region")?,
        },
        password_hash: row.try_get("password_hash")?,
        active: row.try_get("active")?,
    })
}

fn submission_from(row: &PgRow) -> Result<StoredSubmission> {
    Ok(StoredSubmission {
        submission: Submission {
            id: parse(row, "id")?,
            form: FormRef {
                id: FormId(row.try_get("form_id")?),
                version: row.try_get::<i64, _>("form_version")? as u32,
            },
            subject: opora_domain::SubjectCode(row.try_get("subject")?),
            answers: json(row, "answers")?,
            started_at_ms: row.try_get("started_at")?,
            submitted_at_ms: row.try_get("submitted_at")?,
        },
        teacher: parse(row, "teacher_id")?,
        received_at_ms: row.try_get("received_at")?,
    })
}

impl PgStorage {
    async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?;
        Ok(n == 0)
    }

    async fn insert_region(&self, id: RegionId, name: &str) -> Result<()> {
        insert_region_row(&self.pool, id, name).await
    }

    async fn insert_municipality(&self, m: &MunicipalityRef) -> Result<()> {
        insert_municipality_row(&self.pool, m).await
    }

    async fn insert_school(&self, s: &NewSchool) -> Result<()> {
        insert_school_row(&self.pool, s).await
    }

    async fn insert_user(&self, u: &NewUser, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_user_row(&mut tx, u, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!("{USER_SELECT} WHERE lower(u.login) = lower($1)"))
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_record).transpose()
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!("{USER_SELECT} WHERE u.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_record).transpose()
    }

    async fn municipality(&self, id: MunicipalityId) -> Result<Option<MunicipalityRef>> {
        let row = sqlx::query("SELECT id, name, region_id FROM municipalities WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(MunicipalityRef { id: parse(&r, "id")?, name: r.try_get("name")?, region_id: parse(&r, "region_id")? })
        })
        .transpose()
    }

    async fn schools_of(&self, municipality: MunicipalityId) -> Result<Vec<SchoolRef>> {
        let rows =
            sqlx::query("SELECT id, name, municipality_id FROM schools WHERE municipality_id = $1 ORDER BY name")
                .bind(municipality.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(SchoolRef {
                    id: parse(r, "id")?,
                    name: r.try_get("name")?,
                    municipality_id: parse(r, "municipality_id")?,
                })
            })
            .collect()
    }

    async fn teacher_counts(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolId, u32)>> {
        let rows = sqlx::query(
            "SELECT s.id, COUNT(u.id) AS teachers
             FROM schools s LEFT JOIN users u ON u.school_id = s.id AND u.role = 'teacher'
                 -- A teacher who submitted stays counted when her account is switched off, as her
                 -- submission does: switching an account off and on must not move any figure.
                 AND (u.active OR EXISTS (SELECT 1 FROM self_diagnoses d WHERE d.teacher_id = u.id))
             WHERE s.municipality_id = $1 GROUP BY s.id",
        )
        .bind(municipality.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((parse(r, "id")?, r.try_get::<i64, _>("teachers")? as u32))).collect()
    }

    async fn school(&self, id: SchoolId) -> Result<Option<SchoolRef>> {
        let row = sqlx::query("SELECT id, name, municipality_id FROM schools WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SchoolRef {
                id: parse(&r, "id")?,
                name: r.try_get("name")?,
                municipality_id: parse(&r, "municipality_id")?,
            })
        })
        .transpose()
    }

    async fn municipalities_of(&self, region: RegionId) -> Result<Vec<MunicipalityRef>> {
        let rows = sqlx::query("SELECT id, name, region_id FROM municipalities WHERE region_id = $1 ORDER BY name")
            .bind(region.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MunicipalityRef { id: parse(r, "id")?, name: r.try_get("name")?, region_id: parse(r, "region_id")? })
            })
            .collect()
    }

    async fn create_account(&self, u: &NewUser, code: Option<&NewCode>, audit: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_user_row(&mut tx, u, now_ms).await?;
        if let Some(code) = code {
            insert_code(&mut tx, code, now_ms).await?;
        }
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn teachers_of(&self, school: SchoolId, form: &FormId) -> Result<Vec<TeacherAccount>> {
        let rows = sqlx::query(
            "SELECT u.id, u.login, u.full_name, u.active, u.password_hash IS NOT NULL AS activated,
                    (SELECT MAX(d.submitted_at) FROM self_diagnoses d
                     WHERE d.teacher_id = u.id AND d.form_id = $1) AS last_submitted
             FROM users u WHERE u.school_id = $2 AND u.role = 'teacher'
             ORDER BY lower(u.full_name)",
        )
        .bind(form.as_str())
        .bind(school.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let status = match (r.try_get::<bool, _>("active")?, r.try_get::<bool, _>("activated")?) {
                    (false, _) => AccountStatus::Disabled,
                    (true, false) => AccountStatus::AwaitingActivation,
                    (true, true) => AccountStatus::Active,
                };
                Ok(TeacherAccount {
                    id: parse(r, "id")?,
                    login: r.try_get("login")?,
                    full_name: r.try_get("full_name")?,
                    status,
                    last_submitted_at_ms: r.try_get("last_submitted")?,
                    submitted: r.try_get::<Option<i64>, _>("last_submitted")?.is_some(),
                })
            })
            .collect()
    }

    async fn issue_code(&self, code: &NewCode, audit: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_code(&mut tx, code, now_ms).await?;
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn code_owner(&self, code_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        let user: Option<String> =
            sqlx::query_scalar(LIVE_CODE_OWNER).bind(code_hash).bind(now_ms).fetch_optional(&self.pool).await?;
        user.map(|u| u.parse().map_err(|_| StorageError::Corrupt(format!("activation_codes.user_id {u}")))).transpose()
    }

    async fn activate(&self, code_hash: &str, password_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        let mut tx = self.begin_write().await?;
        let user: Option<String> =
            sqlx::query_scalar(LIVE_CODE_OWNER).bind(code_hash).bind(now_ms).fetch_optional(&mut *tx).await?;
        let Some(user) = user else { return Ok(None) };
        // A code used on an account that already had a password: whoever chose the new one may not
        // be the teacher (a principal issues codes), so her earlier answers are sealed from it.
        let had_password: bool = sqlx::query_scalar("SELECT password_hash IS NOT NULL FROM users WHERE id = $1")
            .bind(&user)
            .fetch_one(&mut *tx)
            .await?;
        if had_password {
            seal_answers(&mut tx, &user, now_ms).await?;
        }
        sqlx::query("UPDATE activation_codes SET used_at = $1 WHERE code_hash = $2")
            .bind(now_ms)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(&user)
            .execute(&mut *tx)
            .await?;
        // Whoever knew the old password is logged out everywhere.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&user).execute(&mut *tx).await?;
        let user_id: UserId =
            user.parse().map_err(|_| StorageError::Corrupt(format!("activation_codes.user_id {user}")))?;
        insert_audit(&mut tx, &NewAudit::new(Some(user_id), "account.activated", user_id), now_ms).await?;
        tx.commit().await?;
        Ok(Some(user_id))
    }

    async fn set_active(&self, user: UserId, active: bool, audit: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.to_string()).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM activation_codes WHERE user_id = $1 AND used_at IS NULL")
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, user: UserId, password_hash: &str, audit: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // The administrator chose this password, not the teacher: her earlier answers are sealed.
        seal_answers(&mut tx, &user.to_string(), now_ms).await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.to_string()).execute(&mut *tx).await?;
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn school_flags(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolRef, SchoolFlags)>> {
        let rows = sqlx::query(
            "SELECT id, name, municipality_id, low_results, unfavourable FROM schools WHERE municipality_id = $1 ORDER BY name",
        )
        .bind(municipality.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    SchoolRef {
                        id: parse(r, "id")?,
                        name: r.try_get("name")?,
                        municipality_id: parse(r, "municipality_id")?,
                    },
                    SchoolFlags {
                        low_results: r.try_get("low_results")?,
                        unfavourable_conditions: r.try_get("unfavourable")?,
                    },
                ))
            })
            .collect()
    }

    async fn sent_reports(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<SentReport>> {
        let rows = sqlx::query(
            "SELECT r.school_id, r.period, r.form_version, v.fields FROM reports r
             JOIN report_revisions v ON v.school_id = r.school_id AND v.form_id = r.form_id
                  AND v.period = r.period AND v.revision = r.submitted_revision
             WHERE r.form_id = $1 AND r.school_id IN (SELECT id FROM schools WHERE municipality_id = $2)",
        )
        .bind(form.as_str())
        .bind(municipality.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SentReport {
                    school: parse(r, "school_id")?,
                    period: r.try_get("period")?,
                    form_version: r.try_get::<i64, _>("form_version")? as u32,
                    fields: json(r, "fields")?,
                })
            })
            .collect()
    }

    async fn latest_report_forms(&self) -> Result<Vec<ReportForm>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT definition FROM report_forms f
             WHERE version = (SELECT MAX(version) FROM report_forms g WHERE g.form_id = f.form_id)
             ORDER BY form_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|d| {
                serde_json::from_str(d).map_err(|e| StorageError::Corrupt(format!("report_forms.definition: {e}")))
            })
            .collect()
    }

    async fn store_report_form(&self, form: &ReportForm, now_ms: i64) -> Result<FormStored> {
        let mut tx = self.begin_write().await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT definition FROM report_forms WHERE form_id = $1 AND version = $2")
                .bind(form.id.as_str())
                .bind(i64::from(form.version))
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(existing) = existing {
            let same = serde_json::from_str::<ReportForm>(&existing).is_ok_and(|e| &e == form);
            return Ok(if same { FormStored::AlreadyIdentical } else { FormStored::Conflicts });
        }
        sqlx::query("INSERT INTO report_forms (form_id, version, definition, loaded_at) VALUES ($1, $2, $3, $4)")
            .bind(form.id.as_str())
            .bind(i64::from(form.version))
            .bind(to_json(form))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO change_log (seq, kind, record_id, owner_user_id, at, audience) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM change_log), 'report_form', $1, NULL, $2, 'principal')")
            .bind(format!("{}@{}", form.id, form.version))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(FormStored::Inserted)
    }

    async fn report_form(&self, id: &FormId, version: u32) -> Result<Option<ReportForm>> {
        let row = sqlx::query("SELECT definition FROM report_forms WHERE form_id = $1 AND version = $2")
            .bind(id.as_str())
            .bind(i64::from(version))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| json(&r, "definition")).transpose()
    }

    async fn report(&self, key: &ReportKey) -> Result<Option<StoredReport>> {
        let row = sqlx::query(&format!("{REPORT_SELECT} WHERE school_id = $1 AND form_id = $2 AND period = $3"))
            .bind(key.school.to_string())
            .bind(key.form.as_str())
            .bind(&key.period)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(report_from).transpose()
    }

    async fn commit_report(
        &self,
        change: Option<ChangeKey>,
        edit: &ReportEdit,
        author: UserId,
        decide: DecideEdit<'_>,
        now_ms: i64,
    ) -> Result<Outcome> {
        let mut tx = self.begin_write().await?;
        if let Some(key) = change
            && let Some(previous) = previous_outcome(&mut tx, key, author).await?
        {
            return Ok(previous);
        }
        let k = &edit.key;
        let current = sqlx::query(&format!("{REPORT_SELECT} WHERE school_id = $1 AND form_id = $2 AND period = $3"))
            .bind(k.school.to_string())
            .bind(k.form.as_str())
            .bind(&k.period)
            .fetch_optional(&mut *tx)
            .await?;
        let current = current.as_ref().map(report_from).transpose()?;
        // What the device had: what it last sent from the same revision, if it already sent an
        // edit from there (it typed on while that edit travelled); otherwise that revision.
        let own_earlier: Option<String> = match change {
            Some(key) => {
                sqlx::query_scalar(
                    "SELECT sent_fields FROM report_revisions
                     WHERE school_id = $1 AND form_id = $2 AND period = $3 AND device_id = $4 AND edit_base = $5
                       AND revision > $6 AND sent_fields IS NOT NULL
                     ORDER BY revision DESC LIMIT 1",
                )
                .bind(k.school.to_string())
                .bind(k.form.as_str())
                .bind(&k.period)
                .bind(key.device.to_string())
                .bind(i64::from(edit.base_revision))
                .bind(i64::from(edit.base_revision))
                .fetch_optional(&mut *tx)
                .await?
            }
            None => None,
        };
        let base: Option<String> = match own_earlier {
            Some(sent) => Some(sent),
            None => {
                sqlx::query_scalar(
                    "SELECT fields FROM report_revisions WHERE school_id = $1 AND form_id = $2 AND period = $3 AND revision = $4",
                )
                .bind(k.school.to_string())
                .bind(k.form.as_str())
                .bind(&k.period)
                .bind(i64::from(edit.base_revision))
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        let base: Option<Fields> = base
            .map(|b| {
                serde_json::from_str(&b).map_err(|e| StorageError::Corrupt(format!("report_revisions.fields: {e}")))
            })
            .transpose()?;
        let applied = decide(base.as_ref(), current.as_ref());
        let revision = current.as_ref().map_or(1, |c| c.revision + 1);
        let submitted_revision =
            if applied.submitted { Some(revision) } else { current.as_ref().and_then(|c| c.submitted_revision) };
        sqlx::query(
            "INSERT INTO reports (school_id, form_id, period, form_version, revision, fields, submitted_revision, conflicts, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (school_id, form_id, period) DO UPDATE SET form_version = excluded.form_version,
                 revision = excluded.revision, fields = excluded.fields, submitted_revision = excluded.submitted_revision,
                 conflicts = excluded.conflicts, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(k.school.to_string())
        .bind(k.form.as_str())
        .bind(&k.period)
        .bind(i64::from(edit.form_version))
        .bind(i64::from(revision))
        .bind(to_json(&applied.fields))
        .bind(submitted_revision.map(i64::from))
        .bind(to_json(&applied.conflicts))
        .bind(now_ms)
        .bind(author.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO report_revisions (school_id, form_id, period, revision, fields, submitted, at, by_user,
                                           device_id, edit_base, sent_fields)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(k.school.to_string())
        .bind(k.form.as_str())
        .bind(&k.period)
        .bind(i64::from(revision))
        .bind(to_json(&applied.fields))
        .bind(applied.submitted)
        .bind(now_ms)
        .bind(author.to_string())
        .bind(change.map(|key| key.device.to_string()))
        .bind(change.map(|_| i64::from(edit.base_revision)))
        .bind(change.map(|_| to_json(&applied.sent)))
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO change_log (seq, kind, record_id, owner_user_id, at, owner_school_id) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM change_log), 'report', $1, NULL, $2, $3)")
            .bind(k.id())
            .bind(now_ms)
            .bind(k.school.to_string())
            .execute(&mut *tx)
            .await?;
        let action = if applied.submitted { "report.submitted" } else { "report.saved" };
        insert_audit(
            &mut tx,
            &NewAudit::new(Some(author), action, k.id()).detail(format!("ревизия {revision}")),
            now_ms,
        )
        .await?;
        let outcome = match applied.held_back {
            held_back if held_back.is_empty() => Outcome::Applied,
            held_back => Outcome::AppliedExcept { held_back },
        };
        if let Some(key) = change {
            insert_applied(&mut tx, key, author, &outcome, now_ms).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn report_revisions(&self, key: &ReportKey) -> Result<Vec<ReportRevision>> {
        let rows = sqlx::query(
            "SELECT revision, fields, submitted, at, by_user FROM report_revisions
             WHERE school_id = $1 AND form_id = $2 AND period = $3 ORDER BY revision",
        )
        .bind(key.school.to_string())
        .bind(key.form.as_str())
        .bind(&key.period)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportRevision {
                    revision: r.try_get::<i64, _>("revision")? as u32,
                    fields: json(r, "fields")?,
                    submitted: r.try_get("submitted")?,
                    at_ms: r.try_get("at")?,
                    by: parse(r, "by_user")?,
                })
            })
            .collect()
    }

    async fn reports_of_municipality(
        &self,
        municipality: MunicipalityId,
        form: &FormId,
        period: &str,
    ) -> Result<Vec<StoredReport>> {
        let rows = sqlx::query(&format!(
            "{REPORT_SELECT} WHERE form_id = $1 AND period = $2
               AND school_id IN (SELECT id FROM schools WHERE municipality_id = $3)"
        ))
        .bind(form.as_str())
        .bind(period)
        .bind(municipality.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(report_from).collect()
    }

    async fn open_campaign(
        &self,
        campaign: &Campaign,
        opened_by: UserId,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<Campaign> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO campaigns (id, municipality_id, form_id, form_title, period, deadline, opened_at, opened_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (municipality_id, form_id, period) DO UPDATE SET deadline = excluded.deadline",
        )
        .bind(campaign.id.to_string())
        .bind(campaign.municipality.to_string())
        .bind(campaign.form.as_str())
        .bind(&campaign.form_title)
        .bind(&campaign.period)
        .bind(&campaign.deadline)
        .bind(campaign.opened_at_ms)
        .bind(opened_by.to_string())
        .execute(&mut *tx)
        .await?;
        let row =
            sqlx::query(&format!("{CAMPAIGN_SELECT} WHERE municipality_id = $1 AND form_id = $2 AND period = $3"))
                .bind(campaign.municipality.to_string())
                .bind(campaign.form.as_str())
                .bind(&campaign.period)
                .fetch_one(&mut *tx)
                .await?;
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        campaign_from(&row)
    }

    async fn campaigns_of(&self, municipality: MunicipalityId) -> Result<Vec<Campaign>> {
        let rows =
            sqlx::query(&format!("{CAMPAIGN_SELECT} WHERE municipality_id = $1 ORDER BY opened_at DESC, period DESC"))
                .bind(municipality.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(campaign_from).collect()
    }

    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>> {
        let row = sqlx::query(&format!("{CAMPAIGN_SELECT} WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(campaign_from).transpose()
    }

    async fn organisations(&self) -> Result<Organisations> {
        let regions = sqlx::query("SELECT id, name FROM regions").fetch_all(&self.pool).await?;
        let municipalities =
            sqlx::query("SELECT id, name, region_id FROM municipalities").fetch_all(&self.pool).await?;
        let schools = sqlx::query("SELECT id, name, municipality_id FROM schools").fetch_all(&self.pool).await?;
        Ok(Organisations {
            regions: regions.iter().map(|r| Ok((parse(r, "id")?, r.try_get("name")?))).collect::<Result<_>>()?,
            municipalities: municipalities
                .iter()
                .map(|r| {
                    Ok(MunicipalityRef {
                        id: parse(r, "id")?,
                        name: r.try_get("name")?,
                        region_id: parse(r, "region_id")?,
                    })
                })
                .collect::<Result<_>>()?,
            schools: schools
                .iter()
                .map(|r| {
                    Ok(SchoolRef {
                        id: parse(r, "id")?,
                        name: r.try_get("name")?,
                        municipality_id: parse(r, "municipality_id")?,
                    })
                })
                .collect::<Result<_>>()?,
        })
    }

    async fn import(&self, batch: &ImportBatch, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (id, name) in &batch.regions {
            insert_region_row(&mut *tx, *id, name).await?;
        }
        for m in &batch.municipalities {
            insert_municipality_row(&mut *tx, m).await?;
        }
        for s in &batch.schools {
            insert_school_row(&mut *tx, s).await?;
        }
        for (u, code) in &batch.users {
            insert_user_row(&mut tx, u, now_ms).await?;
            insert_code(&mut tx, code, now_ms).await?;
        }
        if let Some(audit) = &batch.audit {
            insert_audit(&mut tx, audit, now_ms).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit(&self, entry: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_audit(&mut tx, entry, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self, before_seq: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor_id, action, subject, detail FROM audit_log
             WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.try_get("seq")?,
                    at_ms: r.try_get("at")?,
                    actor: parse_opt(r, "actor_id")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    async fn principals_see_individual(&self, municipality: MunicipalityId) -> Result<bool> {
        let allowed: Option<bool> =
            sqlx::query_scalar("SELECT principals_see_individual FROM privacy_settings WHERE municipality_id = $1")
                .bind(municipality.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(allowed.unwrap_or(false))
    }

    async fn set_principals_see_individual(
        &self,
        municipality: MunicipalityId,
        allowed: bool,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO privacy_settings (municipality_id, principals_see_individual, updated_by, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (municipality_id) DO UPDATE SET principals_see_individual = excluded.principals_see_individual,
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(municipality.to_string())
        .bind(allowed)
        .bind(audit.actor.map(|a| a.to_string()))
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, token_hash: &str, user: UserId, now_ms: i64, expires_at_ms: i64) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user.to_string())
            .bind(now_ms)
            .bind(expires_at_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query("SELECT user_id, expires_at FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(SessionRecord { user_id: parse(&r, "user_id")?, expires_at_ms: r.try_get("expires_at")? }))
            .transpose()
    }

    async fn extend_session(&self, token_hash: &str, expires_at_ms: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
            .bind(expires_at_ms)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn store_form(&self, form: &FormDefinition, now_ms: i64) -> Result<FormStored> {
        let mut tx = self.begin_write().await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT definition FROM forms WHERE form_id = $1 AND version = $2")
                .bind(form.id.as_str())
                .bind(i64::from(form.version))
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(existing) = existing {
            // Compare parsed definitions, not text: reformatting a file is not a new version.
            let same = serde_json::from_str::<FormDefinition>(&existing).is_ok_and(|e| &e == form);
            return Ok(if same { FormStored::AlreadyIdentical } else { FormStored::Conflicts });
        }
        sqlx::query("INSERT INTO forms (form_id, version, definition, loaded_at) VALUES ($1, $2, $3, $4)")
            .bind(form.id.as_str())
            .bind(i64::from(form.version))
            .bind(to_json(form))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        log_change(&mut tx, "form", &form_key(&form.form_ref()), None, now_ms).await?;
        tx.commit().await?;
        Ok(FormStored::Inserted)
    }

    async fn form(&self, form: &FormRef) -> Result<Option<FormDefinition>> {
        let row = sqlx::query("SELECT definition FROM forms WHERE form_id = $1 AND version = $2")
            .bind(form.id.as_str())
            .bind(i64::from(form.version))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| json(&r, "definition")).transpose()
    }

    async fn latest_form(&self, id: &FormId) -> Result<Option<FormDefinition>> {
        let row = sqlx::query("SELECT definition FROM forms WHERE form_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| json(&r, "definition")).transpose()
    }

    async fn previous_change(&self, key: ChangeKey) -> Result<Option<PreviousChange>> {
        let row = sqlx::query("SELECT user_id, outcome FROM applied_changes WHERE device_id = $1 AND seq = $2")
            .bind(key.device.to_string())
            .bind(key.seq as i64)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(PreviousChange { user_id: parse(&r, "user_id")?, outcome: json(&r, "outcome")? })).transpose()
    }

    async fn commit_submission(&self, key: Option<ChangeKey>, new: &NewSubmission, now_ms: i64) -> Result<Committed> {
        let mut tx = self.begin_write().await?;
        if let Some(key) = key
            && let Some(previous) = previous_outcome(&mut tx, key, new.stored.teacher).await?
        {
            return Ok(Committed::Replayed(previous));
        }
        let s = &new.stored.submission;
        let owner: Option<String> = sqlx::query_scalar("SELECT teacher_id FROM self_diagnoses WHERE id = $1")
            .bind(s.id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let committed = match owner {
            Some(owner) if owner == new.stored.teacher.to_string() => Committed::AlreadyStored,
            Some(_) => Committed::IdTaken,
            None => {
                sqlx::query(
                    "INSERT INTO self_diagnoses (id, teacher_id, school_id, form_id, form_version, subject, answers,
                        profile, started_at, submitted_at, received_at, receipt_seq)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                             (SELECT COALESCE(MAX(receipt_seq), 0) + 1 FROM self_diagnoses))",
                )
                .bind(s.id.to_string())
                .bind(new.stored.teacher.to_string())
                .bind(new.school_id.map(|id| id.to_string()))
                .bind(s.form.id.as_str())
                .bind(i64::from(s.form.version))
                .bind(s.subject.as_str())
                .bind(to_json(&s.answers))
                .bind(to_json(&new.profile))
                .bind(s.started_at_ms)
                .bind(s.submitted_at_ms)
                .bind(new.stored.received_at_ms)
                .execute(&mut *tx)
                .await?;
                log_change(&mut tx, "self_diagnosis", &s.id.to_string(), Some(new.stored.teacher), now_ms).await?;
                let audit = NewAudit::new(Some(new.stored.teacher), "self_diagnosis.submitted", s.id)
                    .detail(format!("{}@{}", s.form.id, s.form.version));
                insert_audit(&mut tx, &audit, now_ms).await?;
                Committed::Inserted
            }
        };
        if let Some(key) = key {
            let outcome = match committed {
                Committed::IdTaken => Outcome::Rejected { error: ApiError::new(ErrorCode::Conflict) },
                _ => Outcome::Applied,
            };
            insert_applied(&mut tx, key, new.stored.teacher, &outcome, now_ms).await?;
        }
        tx.commit().await?;
        Ok(committed)
    }

    async fn record_rejection(&self, key: ChangeKey, user: UserId, outcome: &Outcome, now_ms: i64) -> Result<Outcome> {
        let mut tx = self.begin_write().await?;
        if let Some(previous) = previous_outcome(&mut tx, key, user).await? {
            return Ok(previous);
        }
        insert_applied(&mut tx, key, user, outcome, now_ms).await?;
        tx.commit().await?;
        Ok(outcome.clone())
    }

    async fn submission(&self, id: SubmissionId) -> Result<Option<StoredSubmission>> {
        let row = sqlx::query("SELECT * FROM self_diagnoses WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(submission_from).transpose()
    }

    async fn pull(&self, scope: PullScope, cursor: Cursor, limit: u32) -> Result<PullPage> {
        // One snapshot for the page and the log's end. Seqs become visible in order (the write
        // lock is held from before a seq is taken until its commit), so what a snapshot sees of
        // the log is a prefix: skipping to its end never skips a change committed later.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        // Index range scans (shared records, the user's own, her school's) instead of one scan
        // with an OR, which SQLite would answer by reading the whole log. Records for principals
        // only (`audience`) and school records reach principals alone.
        let principal = scope.principal_of.is_some();
        let rows = sqlx::query(
            "SELECT seq, kind, record_id FROM (
                 SELECT seq, kind, record_id FROM change_log
                 WHERE owner_user_id IS NULL AND owner_school_id IS NULL AND seq > $1
                   AND (audience IS NULL OR (audience = 'principal' AND $4))
                 UNION ALL
                 SELECT seq, kind, record_id FROM change_log WHERE owner_user_id = $2 AND seq > $1
                 UNION ALL
                 SELECT seq, kind, record_id FROM change_log WHERE owner_school_id = $5 AND seq > $1) AS visible
             ORDER BY seq LIMIT $3",
        )
        .bind(cursor.0 as i64)
        .bind(scope.user.to_string())
        .bind(i64::from(limit) + 1)
        .bind(principal)
        .bind(scope.principal_of.map(|s| s.to_string()))
        .fetch_all(&mut *tx)
        .await?;
        let more = rows.len() > limit as usize;
        let mut records = Vec::new();
        let mut last = cursor.0;
        for row in rows.iter().take(limit as usize) {
            last = row.try_get::<i64, _>("seq")? as u64;
            let kind: String = row.try_get("kind")?;
            let id: String = row.try_get("record_id")?;
            let record = match kind.as_str() {
                "form" => {
                    let r = sqlx::query("SELECT definition FROM forms WHERE form_id || '@' || version = $1")
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    r.map(|r| json(&r, "definition").map(|form| Pulled::Form { form })).transpose()?
                }
                "self_diagnosis" => {
                    // Only the author pulls her submissions; those sealed by a reset not even she.
                    let r = sqlx::query(&format!("{READABLE_SUBMISSION} WHERE d.id = $1"))
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    r.as_ref().map(submission_from).transpose()?.map(|stored| Pulled::SelfDiagnosis { stored })
                }
                "profile" => {
                    let r = sqlx::query(&format!("{USER_SELECT} WHERE u.id = $1"))
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    r.as_ref().map(user_record).transpose()?.map(|u| Pulled::Profile { user: u.profile })
                }
                "report_form" => {
                    let r = sqlx::query("SELECT definition FROM report_forms WHERE form_id || '@' || version = $1")
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    r.map(|r| json(&r, "definition").map(|form| Pulled::ReportForm { form })).transpose()?
                }
                "report" => {
                    let mut parts = id.splitn(3, '/');
                    let (school, form, period) = (parts.next(), parts.next(), parts.next());
                    let r =
                        sqlx::query(&format!("{REPORT_SELECT} WHERE school_id = $1 AND form_id = $2 AND period = $3"))
                            .bind(school)
                            .bind(form)
                            .bind(period)
                            .fetch_optional(&mut *tx)
                            .await?;
                    r.as_ref().map(report_from).transpose()?.map(|report| Pulled::Report { report })
                }
                other => return Err(StorageError::Corrupt(format!("change_log.kind {other}"))),
            };
            records.extend(record);
        }
        if !more {
            // Nothing visible is left: skip past records of other users so the next pull starts
            // at the end. Safe because seqs are assigned in commit order by the single writer.
            let end: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM change_log").fetch_one(&mut *tx).await?;
            last = last.max(end.unwrap_or(0) as u64);
        }
        Ok(PullPage { records, cursor: Cursor(last), more })
    }

    async fn latest_profiles(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<LatestProfile>> {
        let rows = sqlx::query(
            "SELECT teacher_id, school_id, submitted_at, profile FROM (
                SELECT d.teacher_id, d.school_id, d.submitted_at, d.profile,
                       ROW_NUMBER() OVER (PARTITION BY d.teacher_id ORDER BY d.receipt_seq DESC) AS rn
                FROM self_diagnoses d
                JOIN schools s ON s.id = d.school_id
                -- Her latest is the one the server received last: the phone's clock is
                -- information, not order.
                -- A teacher whose account is switched off (she left) no longer counts.
                JOIN users u ON u.id = d.teacher_id AND u.active
                WHERE s.municipality_id = $1 AND d.form_id = $2) AS ranked
             WHERE rn = 1",
        )
        .bind(municipality.to_string())
        .bind(form.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LatestProfile {
                    teacher: parse(r, "teacher_id")?,
                    school: parse(r, "school_id")?,
                    submitted_at_ms: r.try_get("submitted_at")?,
                    profile: json(r, "profile")?,
                })
            })
            .collect()
    }

    async fn received_submissions(&self, region: RegionId, form: &FormId) -> Result<Vec<ReceivedSubmission>> {
        let rows = sqlx::query(
            "SELECT d.receipt_seq, d.teacher_id, d.school_id, s.municipality_id, d.profile
             FROM self_diagnoses d
             JOIN schools s ON s.id = d.school_id
             JOIN municipalities m ON m.id = s.municipality_id
             WHERE m.region_id = $1 AND d.form_id = $2
             ORDER BY d.receipt_seq",
        )
        .bind(region.to_string())
        .bind(form.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReceivedSubmission {
                    receipt: r.try_get("receipt_seq")?,
                    teacher: parse(r, "teacher_id")?,
                    school: parse(r, "school_id")?,
                    municipality: parse(r, "municipality_id")?,
                    profile: json(r, "profile")?,
                })
            })
            .collect()
    }

    async fn readable_submission(&self, id: SubmissionId, reader: UserId) -> Result<Option<StoredSubmission>> {
        let row = sqlx::query(&format!("{READABLE_SUBMISSION} WHERE d.id = $1 AND d.teacher_id = $2"))
            .bind(id.to_string())
            .bind(reader.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(submission_from).transpose()
    }
}

// Every operation through `retrying`: PostgreSQL's transient aborts are tried again and every
// error says which operation it came from.
#[async_trait]
impl Storage for PgStorage {
    fn shares_throttles(&self) -> bool {
        true
    }

    async fn update_throttle(&self, keys: &[String], update: ThrottleUpdate<'_>) -> Result<()> {
        // Not `retrying`: `update` runs once. A deadlock cannot happen (keys are locked in order).
        PgStorage::update_throttle_once(self, keys, update).await.map_err(|e| e.during("update_throttle"))
    }

    async fn sweep_throttle(&self, now_ms: i64, window_ms: i64) -> Result<Vec<ThrottleCounter>> {
        retrying("sweep_throttle", || PgStorage::sweep_throttle_once(self, now_ms, window_ms)).await
    }

    async fn is_empty(&self) -> Result<bool> {
        retrying("is_empty", || PgStorage::is_empty(self)).await
    }

    async fn insert_region(&self, id: RegionId, name: &str) -> Result<()> {
        retrying("insert_region", || PgStorage::insert_region(self, id, name)).await
    }

    async fn insert_municipality(&self, m: &MunicipalityRef) -> Result<()> {
        retrying("insert_municipality", || PgStorage::insert_municipality(self, m)).await
    }

    async fn insert_school(&self, s: &NewSchool) -> Result<()> {
        retrying("insert_school", || PgStorage::insert_school(self, s)).await
    }

    async fn insert_user(&self, u: &NewUser, now_ms: i64) -> Result<()> {
        retrying("insert_user", || PgStorage::insert_user(self, u, now_ms)).await
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>> {
        retrying("user_by_login", || PgStorage::user_by_login(self, login)).await
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRecord>> {
        retrying("user", || PgStorage::user(self, id)).await
    }

    async fn municipality(&self, id: MunicipalityId) -> Result<Option<MunicipalityRef>> {
        retrying("municipality", || PgStorage::municipality(self, id)).await
    }

    async fn schools_of(&self, municipality: MunicipalityId) -> Result<Vec<SchoolRef>> {
        retrying("schools_of", || PgStorage::schools_of(self, municipality)).await
    }

    async fn school(&self, id: SchoolId) -> Result<Option<SchoolRef>> {
        retrying("school", || PgStorage::school(self, id)).await
    }

    async fn municipalities_of(&self, region: RegionId) -> Result<Vec<MunicipalityRef>> {
        retrying("municipalities_of", || PgStorage::municipalities_of(self, region)).await
    }

    async fn teacher_counts(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolId, u32)>> {
        retrying("teacher_counts", || PgStorage::teacher_counts(self, municipality)).await
    }

    async fn create_account(&self, u: &NewUser, code: Option<&NewCode>, audit: &NewAudit, now_ms: i64) -> Result<()> {
        retrying("create_account", || PgStorage::create_account(self, u, code, audit, now_ms)).await
    }

    async fn teachers_of(&self, school: SchoolId, form: &FormId) -> Result<Vec<TeacherAccount>> {
        retrying("teachers_of", || PgStorage::teachers_of(self, school, form)).await
    }

    async fn issue_code(&self, code: &NewCode, audit: &NewAudit, now_ms: i64) -> Result<()> {
        retrying("issue_code", || PgStorage::issue_code(self, code, audit, now_ms)).await
    }

    async fn code_owner(&self, code_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        retrying("code_owner", || PgStorage::code_owner(self, code_hash, now_ms)).await
    }

    async fn activate(&self, code_hash: &str, password_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        retrying("activate", || PgStorage::activate(self, code_hash, password_hash, now_ms)).await
    }

    async fn set_active(&self, user: UserId, active: bool, audit: &NewAudit, now_ms: i64) -> Result<()> {
        retrying("set_active", || PgStorage::set_active(self, user, active, audit, now_ms)).await
    }

    async fn set_password(&self, user: UserId, password_hash: &str, audit: &NewAudit, now_ms: i64) -> Result<()> {
        retrying("set_password", || PgStorage::set_password(self, user, password_hash, audit, now_ms)).await
    }

    async fn store_report_form(&self, form: &ReportForm, now_ms: i64) -> Result<FormStored> {
        retrying("store_report_form", || PgStorage::store_report_form(self, form, now_ms)).await
    }

    async fn report_form(&self, id: &FormId, version: u32) -> Result<Option<ReportForm>> {
        retrying("report_form", || PgStorage::report_form(self, id, version)).await
    }

    async fn school_flags(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolRef, SchoolFlags)>> {
        retrying("school_flags", || PgStorage::school_flags(self, municipality)).await
    }

    async fn sent_reports(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<SentReport>> {
        retrying("sent_reports", || PgStorage::sent_reports(self, municipality, form)).await
    }

    async fn latest_report_forms(&self) -> Result<Vec<ReportForm>> {
        retrying("latest_report_forms", || PgStorage::latest_report_forms(self)).await
    }

    async fn report(&self, key: &ReportKey) -> Result<Option<StoredReport>> {
        retrying("report", || PgStorage::report(self, key)).await
    }

    async fn commit_report(
        &self,
        change: Option<ChangeKey>,
        edit: &ReportEdit,
        author: UserId,
        decide: DecideEdit<'_>,
        now_ms: i64,
    ) -> Result<Outcome> {
        retrying("commit_report", || PgStorage::commit_report(self, change, edit, author, decide, now_ms)).await
    }

    async fn report_revisions(&self, key: &ReportKey) -> Result<Vec<ReportRevision>> {
        retrying("report_revisions", || PgStorage::report_revisions(self, key)).await
    }

    async fn reports_of_municipality(
        &self,
        municipality: MunicipalityId,
        form: &FormId,
        period: &str,
    ) -> Result<Vec<StoredReport>> {
        retrying("reports_of_municipality", || PgStorage::reports_of_municipality(self, municipality, form, period))
            .await
    }

    async fn open_campaign(
        &self,
        campaign: &Campaign,
        opened_by: UserId,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<Campaign> {
        retrying("open_campaign", || PgStorage::open_campaign(self, campaign, opened_by, audit, now_ms)).await
    }

    async fn campaigns_of(&self, municipality: MunicipalityId) -> Result<Vec<Campaign>> {
        retrying("campaigns_of", || PgStorage::campaigns_of(self, municipality)).await
    }

    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>> {
        retrying("campaign", || PgStorage::campaign(self, id)).await
    }

    async fn organisations(&self) -> Result<Organisations> {
        retrying("organisations", || PgStorage::organisations(self)).await
    }

    async fn import(&self, batch: &ImportBatch, now_ms: i64) -> Result<()> {
        retrying("import", || PgStorage::import(self, batch, now_ms)).await
    }

    async fn audit(&self, entry: &NewAudit, now_ms: i64) -> Result<()> {
        retrying("audit", || PgStorage::audit(self, entry, now_ms)).await
    }

    async fn audit_log(&self, before_seq: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
        retrying("audit_log", || PgStorage::audit_log(self, before_seq, limit)).await
    }

    async fn principals_see_individual(&self, municipality: MunicipalityId) -> Result<bool> {
        retrying("principals_see_individual", || PgStorage::principals_see_individual(self, municipality)).await
    }

    async fn set_principals_see_individual(
        &self,
        municipality: MunicipalityId,
        allowed: bool,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        retrying("set_principals_see_individual", || {
            PgStorage::set_principals_see_individual(self, municipality, allowed, audit, now_ms)
        })
        .await
    }

    async fn create_session(&self, token_hash: &str, user: UserId, now_ms: i64, expires_at_ms: i64) -> Result<()> {
        retrying("create_session", || PgStorage::create_session(self, token_hash, user, now_ms, expires_at_ms)).await
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        retrying("session", || PgStorage::session(self, token_hash)).await
    }

    async fn extend_session(&self, token_hash: &str, expires_at_ms: i64) -> Result<()> {
        retrying("extend_session", || PgStorage::extend_session(self, token_hash, expires_at_ms)).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        retrying("delete_session", || PgStorage::delete_session(self, token_hash)).await
    }

    async fn store_form(&self, form: &FormDefinition, now_ms: i64) -> Result<FormStored> {
        retrying("store_form", || PgStorage::store_form(self, form, now_ms)).await
    }

    async fn form(&self, form: &FormRef) -> Result<Option<FormDefinition>> {
        retrying("form", || PgStorage::form(self, form)).await
    }

    async fn latest_form(&self, id: &FormId) -> Result<Option<FormDefinition>> {
        retrying("latest_form", || PgStorage::latest_form(self, id)).await
    }

    async fn previous_change(&self, key: ChangeKey) -> Result<Option<PreviousChange>> {
        retrying("previous_change", || PgStorage::previous_change(self, key)).await
    }

    async fn commit_submission(&self, key: Option<ChangeKey>, new: &NewSubmission, now_ms: i64) -> Result<Committed> {
        retrying("commit_submission", || PgStorage::commit_submission(self, key, new, now_ms)).await
    }

    async fn record_rejection(&self, key: ChangeKey, user: UserId, outcome: &Outcome, now_ms: i64) -> Result<Outcome> {
        retrying("record_rejection", || PgStorage::record_rejection(self, key, user, outcome, now_ms)).await
    }

    async fn submission(&self, id: opora_domain::SubmissionId) -> Result<Option<StoredSubmission>> {
        retrying("submission", || PgStorage::submission(self, id)).await
    }

    async fn pull(&self, scope: PullScope, cursor: Cursor, limit: u32) -> Result<PullPage> {
        retrying("pull", || PgStorage::pull(self, scope, cursor, limit)).await
    }

    async fn latest_profiles(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<LatestProfile>> {
        retrying("latest_profiles", || PgStorage::latest_profiles(self, municipality, form)).await
    }

    async fn received_submissions(&self, region: RegionId, form: &FormId) -> Result<Vec<ReceivedSubmission>> {
        retrying("received_submissions", || PgStorage::received_submissions(self, region, form)).await
    }

    async fn readable_submission(
        &self,
        id: opora_domain::SubmissionId,
        reader: UserId,
    ) -> Result<Option<StoredSubmission>> {
        retrying("readable_submission", || PgStorage::readable_submission(self, id, reader)).await
    }
}

// Throttle counters: written by the limiter under the locks described in `update_throttle`.
impl PgStorage {
    async fn update_throttle_once(&self, keys: &[String], update: ThrottleUpdate<'_>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Per-key advisory locks (sorted: no deadlock between two attempts) also cover keys
        // with no row yet, which `FOR UPDATE` cannot.
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort();
        sorted.dedup();
        for key in sorted {
            sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .bind(THROTTLE_LOCK_CLASS)
                .bind(throttle_key(key))
                .execute(&mut *tx)
                .await?;
        }
        let mut rows = Vec::with_capacity(keys.len());
        for key in keys {
            let row = sqlx::query("SELECT * FROM throttle_counters WHERE key = $1 FOR UPDATE")
                .bind(throttle_key(key))
                .fetch_optional(&mut *tx)
                .await?;
            rows.push(row.as_ref().map(throttle_counter_from).transpose()?);
        }
        update(&mut rows);
        for (key, row) in keys.iter().zip(&rows) {
            match row {
                Some(c) => {
                    sqlx::query(
                        "INSERT INTO throttle_counters
                             (key, failures, pending, window_start, locked_until, locked_at, refused, subject, client)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, pending = excluded.pending,
                             window_start = excluded.window_start, locked_until = excluded.locked_until,
                             locked_at = excluded.locked_at, refused = excluded.refused",
                    )
                    .bind(throttle_key(key))
                    .bind(i64::from(c.failures))
                    .bind(i64::from(c.pending))
                    .bind(c.window_start_ms)
                    .bind(c.locked_until_ms)
                    .bind(c.locked_at_ms)
                    .bind(i64::from(c.refused))
                    .bind(&c.subject)
                    .bind(&c.client)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM throttle_counters WHERE key = $1")
                        .bind(throttle_key(key))
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn sweep_throttle_once(&self, now_ms: i64, window_ms: i64) -> Result<Vec<ThrottleCounter>> {
        let rows = sqlx::query(
            "DELETE FROM throttle_counters
             WHERE (pending = 0 AND CASE WHEN locked_until IS NULL THEN window_start + $2 <= $1
                                         ELSE locked_until <= $1 END)
                OR window_start + 3 * $2 <= $1
             RETURNING *",
        )
        .bind(now_ms)
        .bind(window_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(throttle_counter_from).collect()
    }
}

/// A counter's key as stored: its SHA-256 in hex. Keys join a login and an address with NUL
/// (which PostgreSQL's text cannot hold), and a hash bounds their size.
fn throttle_key(key: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn throttle_counter_from(row: &PgRow) -> Result<ThrottleCounter> {
    Ok(ThrottleCounter {
        failures: row.try_get::<i64, _>("failures")? as u32,
        pending: row.try_get::<i64, _>("pending")? as u32,
        window_start_ms: row.try_get("window_start")?,
        locked_until_ms: row.try_get("locked_until")?,
        locked_at_ms: row.try_get("locked_at")?,
        refused: row.try_get::<i64, _>("refused")? as u32,
        subject: row.try_get("subject")?,
        client: row.try_get("client")?,
    })
}

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

fn form_key(form: &FormRef) -> String {
    format!("{}@{}", form.id, form.version)
}

async fn log_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    kind: &str,
    record_id: &str,
    owner: Option<UserId>,
    now_ms: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO change_log (seq, kind, record_id, owner_user_id, at) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM change_log), $1, $2, $3, $4)")
        .bind(kind)
        .bind(record_id)
        .bind(owner.map(|id| id.to_string()))
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

async fn insert_applied(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    key: ChangeKey,
    user: UserId,
    outcome: &Outcome,
    now_ms: i64,
) -> Result<()> {
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
        "INSERT INTO schools (id, municipality_id, name, low_results, unfavourable) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(s.id.to_string())
    .bind(s.municipality_id.to_string())
    .bind(&s.name)
    .bind(s.flags.low_results)
    .bind(s.flags.unfavourable_conditions)
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
    log_change(tx, "profile", &u.id.to_string(), Some(u.id), now_ms).await
}

const CAMPAIGN_SELECT: &str =
    "SELECT id, municipality_id, form_id, form_title, period, deadline, opened_at FROM campaigns";

fn campaign_from(row: &PgRow) -> Result<Campaign> {
    Ok(Campaign {
        id: parse(row, "id")?,
        municipality: parse(row, "municipality_id")?,
        form: FormId(row.try_get("form_id")?),
        form_title: row.try_get("form_title")?,
        period: row.try_get("period")?,
        deadline: row.try_get("deadline")?,
        opened_at_ms: row.try_get("opened_at")?,
    })
}

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
