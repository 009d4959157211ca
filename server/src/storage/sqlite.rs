//! The SQLite backend: the default, embedded, one file on disk.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a commit that returned is on disk and
//! survives a power cut; the server acknowledges a change only after its commit returned.
//! Concurrency: all writes go through a pool of one connection, so write transactions queue in
//! the application instead of failing with SQLITE_BUSY; reads use a separate pool and see the
//! last committed snapshot.

use super::*;
use opora_domain::SubmissionId;
use opora_domain::api::{AccountStatus, ApiError, ErrorCode};
use opora_domain::diagnosis::Submission;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

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
}

fn parse<T: FromStr>(row: &SqliteRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|_| StorageError::Corrupt(format!("{column} = {text:?}")))
}

fn parse_opt<T: FromStr>(row: &SqliteRow, column: &str) -> Result<Option<T>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| t.parse().map_err(|_| StorageError::Corrupt(format!("{column} = {t:?}")))).transpose()
}

fn json<T: serde::de::DeserializeOwned>(row: &SqliteRow, column: &str) -> Result<T> {
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

fn report_from(row: &SqliteRow) -> Result<StoredReport> {
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
     WHERE c.code_hash = ? AND c.used_at IS NULL AND c.expires_at > ? AND u.active = 1";

fn user_record(row: &SqliteRow) -> Result<UserRecord> {
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

fn submission_from(row: &SqliteRow) -> Result<StoredSubmission> {
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

#[async_trait]
impl Storage for SqliteStorage {
    async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.reader).await?;
        Ok(n == 0)
    }

    async fn insert_region(&self, id: RegionId, name: &str) -> Result<()> {
        insert_region_row(&self.writer, id, name).await
    }

    async fn insert_municipality(&self, m: &MunicipalityRef) -> Result<()> {
        insert_municipality_row(&self.writer, m).await
    }

    async fn insert_school(&self, s: &NewSchool) -> Result<()> {
        insert_school_row(&self.writer, s).await
    }

    async fn insert_user(&self, u: &NewUser, now_ms: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        insert_user_row(&mut tx, u, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>> {
        let row =
            sqlx::query(&format!("{USER_SELECT} WHERE u.login = ?")).bind(login).fetch_optional(&self.reader).await?;
        row.as_ref().map(user_record).transpose()
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!("{USER_SELECT} WHERE u.id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(user_record).transpose()
    }

    async fn municipality(&self, id: MunicipalityId) -> Result<Option<MunicipalityRef>> {
        let row = sqlx::query("SELECT id, name, region_id FROM municipalities WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| {
            Ok(MunicipalityRef { id: parse(&r, "id")?, name: r.try_get("name")?, region_id: parse(&r, "region_id")? })
        })
        .transpose()
    }

    async fn schools_of(&self, municipality: MunicipalityId) -> Result<Vec<SchoolRef>> {
        let rows = sqlx::query("SELECT id, name, municipality_id FROM schools WHERE municipality_id = ? ORDER BY name")
            .bind(municipality.to_string())
            .fetch_all(&self.reader)
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
                 AND (u.active = 1 OR EXISTS (SELECT 1 FROM self_diagnoses d WHERE d.teacher_id = u.id))
             WHERE s.municipality_id = ? GROUP BY s.id",
        )
        .bind(municipality.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((parse(r, "id")?, r.try_get::<i64, _>("teachers")? as u32))).collect()
    }

    async fn school(&self, id: SchoolId) -> Result<Option<SchoolRef>> {
        let row = sqlx::query("SELECT id, name, municipality_id FROM schools WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
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
        let rows = sqlx::query("SELECT id, name, region_id FROM municipalities WHERE region_id = ? ORDER BY name")
            .bind(region.to_string())
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MunicipalityRef { id: parse(r, "id")?, name: r.try_get("name")?, region_id: parse(r, "region_id")? })
            })
            .collect()
    }

    async fn create_account(&self, u: &NewUser, code: Option<&NewCode>, audit: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
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
                     WHERE d.teacher_id = u.id AND d.form_id = ?) AS last_submitted
             FROM users u WHERE u.school_id = ? AND u.role = 'teacher'
             ORDER BY u.full_name COLLATE NOCASE",
        )
        .bind(form.as_str())
        .bind(school.to_string())
        .fetch_all(&self.reader)
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
        let mut tx = self.writer.begin().await?;
        insert_code(&mut tx, code, now_ms).await?;
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn code_owner(&self, code_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        let user: Option<String> =
            sqlx::query_scalar(LIVE_CODE_OWNER).bind(code_hash).bind(now_ms).fetch_optional(&self.reader).await?;
        user.map(|u| u.parse().map_err(|_| StorageError::Corrupt(format!("activation_codes.user_id {u}")))).transpose()
    }

    async fn activate(&self, code_hash: &str, password_hash: &str, now_ms: i64) -> Result<Option<UserId>> {
        let mut tx = self.writer.begin().await?;
        let user: Option<String> =
            sqlx::query_scalar(LIVE_CODE_OWNER).bind(code_hash).bind(now_ms).fetch_optional(&mut *tx).await?;
        let Some(user) = user else { return Ok(None) };
        // A code used on an account that already had a password: whoever chose the new one may not
        // be the teacher (a principal issues codes), so her earlier answers are sealed from it.
        let had_password: bool = sqlx::query_scalar("SELECT password_hash IS NOT NULL FROM users WHERE id = ?")
            .bind(&user)
            .fetch_one(&mut *tx)
            .await?;
        if had_password {
            seal_answers(&mut tx, &user, now_ms).await?;
        }
        sqlx::query("UPDATE activation_codes SET used_at = ? WHERE code_hash = ?")
            .bind(now_ms)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(&user)
            .execute(&mut *tx)
            .await?;
        // Whoever knew the old password is logged out everywhere.
        sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(&user).execute(&mut *tx).await?;
        let user_id: UserId =
            user.parse().map_err(|_| StorageError::Corrupt(format!("activation_codes.user_id {user}")))?;
        insert_audit(&mut tx, &NewAudit::new(Some(user_id), "account.activated", user_id), now_ms).await?;
        tx.commit().await?;
        Ok(Some(user_id))
    }

    async fn set_active(&self, user: UserId, active: bool, audit: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET active = ? WHERE id = ?")
            .bind(active)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(user.to_string()).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM activation_codes WHERE user_id = ? AND used_at IS NULL")
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, user: UserId, password_hash: &str, audit: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        // The administrator chose this password, not the teacher: her earlier answers are sealed.
        seal_answers(&mut tx, &user.to_string(), now_ms).await?;
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(user.to_string()).execute(&mut *tx).await?;
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn school_flags(&self, municipality: MunicipalityId) -> Result<Vec<(SchoolRef, SchoolFlags)>> {
        let rows = sqlx::query(
            "SELECT id, name, municipality_id, low_results, unfavourable FROM schools WHERE municipality_id = ? ORDER BY name",
        )
        .bind(municipality.to_string())
        .fetch_all(&self.reader)
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

    async fn membership_of(
        &self,
        municipality: MunicipalityId,
    ) -> Result<Vec<opora_domain::membership::MembershipDecision>> {
        let rows = sqlx::query(
            "SELECT m.school_id, m.year, m.low_results, m.unfavourable, m.basis, m.basis_date
             FROM programme_membership m JOIN schools s ON s.id = m.school_id
             WHERE s.municipality_id = ? ORDER BY m.year, s.name",
        )
        .bind(municipality.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(opora_domain::membership::MembershipDecision {
                    school: parse(r, "school_id")?,
                    year: r.try_get::<u16, _>("year")?,
                    flags: SchoolFlags {
                        low_results: r.try_get("low_results")?,
                        unfavourable_conditions: r.try_get("unfavourable")?,
                    },
                    basis: r.try_get("basis")?,
                    basis_date: r.try_get("basis_date")?,
                })
            })
            .collect()
    }

    async fn decide_membership(
        &self,
        decisions: &[opora_domain::membership::MembershipDecision],
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for d in decisions {
            sqlx::query(
                "INSERT INTO programme_membership
                     (school_id, year, low_results, unfavourable, basis, basis_date, decided_by, decided_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (school_id, year) DO UPDATE SET low_results = excluded.low_results,
                     unfavourable = excluded.unfavourable, basis = excluded.basis,
                     basis_date = excluded.basis_date, decided_by = excluded.decided_by,
                     decided_at = excluded.decided_at",
            )
            .bind(d.school.to_string())
            .bind(i64::from(d.year))
            .bind(d.flags.low_results)
            .bind(d.flags.unfavourable_conditions)
            .bind(&d.basis)
            .bind(&d.basis_date)
            .bind(audit.actor.map(|a| a.to_string()))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        insert_audit(&mut tx, audit, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sent_reports(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<SentReport>> {
        let rows = sqlx::query(
            "SELECT r.school_id, r.period, r.form_version, v.fields FROM reports r
             JOIN report_revisions v ON v.school_id = r.school_id AND v.form_id = r.form_id
                  AND v.period = r.period AND v.revision = r.submitted_revision
             WHERE r.form_id = ? AND r.school_id IN (SELECT id FROM schools WHERE municipality_id = ?)",
        )
        .bind(form.as_str())
        .bind(municipality.to_string())
        .fetch_all(&self.reader)
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
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|d| {
                serde_json::from_str(d).map_err(|e| StorageError::Corrupt(format!("report_forms.definition: {e}")))
            })
            .collect()
    }

    async fn store_report_form(&self, form: &ReportForm, now_ms: i64) -> Result<FormStored> {
        let mut tx = self.writer.begin().await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT definition FROM report_forms WHERE form_id = ? AND version = ?")
                .bind(form.id.as_str())
                .bind(i64::from(form.version))
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(existing) = existing {
            let same = serde_json::from_str::<ReportForm>(&existing).is_ok_and(|e| &e == form);
            return Ok(if same { FormStored::AlreadyIdentical } else { FormStored::Conflicts });
        }
        sqlx::query("INSERT INTO report_forms (form_id, version, definition, loaded_at) VALUES (?, ?, ?, ?)")
            .bind(form.id.as_str())
            .bind(i64::from(form.version))
            .bind(to_json(form))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO change_log (kind, record_id, owner_user_id, at, audience) VALUES ('report_form', ?, NULL, ?, 'principal')")
            .bind(format!("{}@{}", form.id, form.version))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(FormStored::Inserted)
    }

    async fn report_form(&self, id: &FormId, version: u32) -> Result<Option<ReportForm>> {
        let row = sqlx::query("SELECT definition FROM report_forms WHERE form_id = ? AND version = ?")
            .bind(id.as_str())
            .bind(i64::from(version))
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| json(&r, "definition")).transpose()
    }

    async fn report(&self, key: &ReportKey) -> Result<Option<StoredReport>> {
        let row = sqlx::query(&format!("{REPORT_SELECT} WHERE school_id = ? AND form_id = ? AND period = ?"))
            .bind(key.school.to_string())
            .bind(key.form.as_str())
            .bind(&key.period)
            .fetch_optional(&self.reader)
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
        let mut tx = self.writer.begin().await?;
        if let Some(key) = change {
            let previous: Option<String> =
                sqlx::query_scalar("SELECT outcome FROM applied_changes WHERE device_id = ? AND seq = ?")
                    .bind(key.device.to_string())
                    .bind(key.seq as i64)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(previous) = previous {
                return serde_json::from_str(&previous)
                    .map_err(|e| StorageError::Corrupt(format!("applied_changes.outcome: {e}")));
            }
        }
        let k = &edit.key;
        let current = sqlx::query(&format!("{REPORT_SELECT} WHERE school_id = ? AND form_id = ? AND period = ?"))
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
                     WHERE school_id = ? AND form_id = ? AND period = ? AND device_id = ? AND edit_base = ?
                       AND revision > ? AND sent_fields IS NOT NULL
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
                    "SELECT fields FROM report_revisions WHERE school_id = ? AND form_id = ? AND period = ? AND revision = ?",
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
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        sqlx::query("INSERT INTO change_log (kind, record_id, owner_user_id, at, owner_school_id) VALUES ('report', ?, NULL, ?, ?)")
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
             WHERE school_id = ? AND form_id = ? AND period = ? ORDER BY revision",
        )
        .bind(key.school.to_string())
        .bind(key.form.as_str())
        .bind(&key.period)
        .fetch_all(&self.reader)
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
            "{REPORT_SELECT} WHERE form_id = ? AND period = ?
               AND school_id IN (SELECT id FROM schools WHERE municipality_id = ?)"
        ))
        .bind(form.as_str())
        .bind(period)
        .bind(municipality.to_string())
        .fetch_all(&self.reader)
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
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO campaigns (id, municipality_id, form_id, form_title, period, deadline, opened_at, opened_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
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
        let row = sqlx::query(&format!("{CAMPAIGN_SELECT} WHERE municipality_id = ? AND form_id = ? AND period = ?"))
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
            sqlx::query(&format!("{CAMPAIGN_SELECT} WHERE municipality_id = ? ORDER BY opened_at DESC, period DESC"))
                .bind(municipality.to_string())
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(campaign_from).collect()
    }

    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>> {
        let row = sqlx::query(&format!("{CAMPAIGN_SELECT} WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(campaign_from).transpose()
    }

    async fn organisations(&self) -> Result<Organisations> {
        let regions = sqlx::query("SELECT id, name FROM regions").fetch_all(&self.reader).await?;
        let municipalities =
            sqlx::query("SELECT id, name, region_id FROM municipalities").fetch_all(&self.reader).await?;
        let schools = sqlx::query("SELECT id, name, municipality_id FROM schools").fetch_all(&self.reader).await?;
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
        let mut tx = self.writer.begin().await?;
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
        let mut tx = self.writer.begin().await?;
        insert_audit(&mut tx, entry, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self, before_seq: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor_id, action, subject, detail FROM audit_log
             WHERE seq < ? ORDER BY seq DESC LIMIT ?",
        )
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
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
            sqlx::query_scalar("SELECT principals_see_individual FROM privacy_settings WHERE municipality_id = ?")
                .bind(municipality.to_string())
                .fetch_optional(&self.reader)
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
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO privacy_settings (municipality_id, principals_see_individual, updated_by, updated_at)
             VALUES (?, ?, ?, ?)
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
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user.to_string())
            .bind(now_ms)
            .bind(expires_at_ms)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query("SELECT user_id, expires_at FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok(SessionRecord { user_id: parse(&r, "user_id")?, expires_at_ms: r.try_get("expires_at")? }))
            .transpose()
    }

    async fn extend_session(&self, token_hash: &str, expires_at_ms: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET expires_at = ? WHERE token_hash = ?")
            .bind(expires_at_ms)
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.writer).await?;
        Ok(())
    }

    async fn store_form(&self, form: &FormDefinition, now_ms: i64) -> Result<FormStored> {
        let mut tx = self.writer.begin().await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT definition FROM forms WHERE form_id = ? AND version = ?")
                .bind(form.id.as_str())
                .bind(i64::from(form.version))
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(existing) = existing {
            // Compare parsed definitions, not text: reformatting a file is not a new version.
            let same = serde_json::from_str::<FormDefinition>(&existing).is_ok_and(|e| &e == form);
            return Ok(if same { FormStored::AlreadyIdentical } else { FormStored::Conflicts });
        }
        sqlx::query("INSERT INTO forms (form_id, version, definition, loaded_at) VALUES (?, ?, ?, ?)")
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
        let row = sqlx::query("SELECT definition FROM forms WHERE form_id = ? AND version = ?")
            .bind(form.id.as_str())
            .bind(i64::from(form.version))
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| json(&r, "definition")).transpose()
    }

    async fn latest_form(&self, id: &FormId) -> Result<Option<FormDefinition>> {
        let row = sqlx::query("SELECT definition FROM forms WHERE form_id = ? ORDER BY version DESC LIMIT 1")
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| json(&r, "definition")).transpose()
    }

    async fn previous_change(&self, key: ChangeKey) -> Result<Option<PreviousChange>> {
        let row = sqlx::query("SELECT user_id, outcome FROM applied_changes WHERE device_id = ? AND seq = ?")
            .bind(key.device.to_string())
            .bind(key.seq as i64)
            .fetch_optional(&self.writer)
            .await?;
        row.map(|r| Ok(PreviousChange { user_id: parse(&r, "user_id")?, outcome: json(&r, "outcome")? })).transpose()
    }

    async fn commit_submission(&self, key: Option<ChangeKey>, new: &NewSubmission, now_ms: i64) -> Result<Committed> {
        let mut tx = self.writer.begin().await?;
        if let Some(key) = key {
            let previous: Option<String> =
                sqlx::query_scalar("SELECT outcome FROM applied_changes WHERE device_id = ? AND seq = ?")
                    .bind(key.device.to_string())
                    .bind(key.seq as i64)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(previous) = previous {
                let outcome = serde_json::from_str(&previous)
                    .map_err(|e| StorageError::Corrupt(format!("applied_changes.outcome: {e}")))?;
                return Ok(Committed::Replayed(outcome));
            }
        }
        let s = &new.stored.submission;
        let owner: Option<String> = sqlx::query_scalar("SELECT teacher_id FROM self_diagnoses WHERE id = ?")
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
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
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
        let mut tx = self.writer.begin().await?;
        let previous: Option<String> =
            sqlx::query_scalar("SELECT outcome FROM applied_changes WHERE device_id = ? AND seq = ?")
                .bind(key.device.to_string())
                .bind(key.seq as i64)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(previous) = previous {
            return serde_json::from_str(&previous)
                .map_err(|e| StorageError::Corrupt(format!("applied_changes.outcome: {e}")));
        }
        insert_applied(&mut tx, key, user, outcome, now_ms).await?;
        tx.commit().await?;
        Ok(outcome.clone())
    }

    async fn submission(&self, id: SubmissionId) -> Result<Option<StoredSubmission>> {
        let row = sqlx::query("SELECT * FROM self_diagnoses WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(submission_from).transpose()
    }

    async fn pull(&self, scope: PullScope, cursor: Cursor, limit: u32) -> Result<PullPage> {
        // One read transaction: the page and the log's end come from the same snapshot.
        let mut tx = self.reader.begin().await?;
        // Index range scans (shared records, the user's own, her school's) instead of one scan
        // with an OR, which SQLite would answer by reading the whole log. Records for principals
        // only (`audience`) and school records reach principals alone.
        let principal = scope.principal_of.is_some();
        let rows = sqlx::query(
            "SELECT seq, kind, record_id FROM (
                 SELECT seq, kind, record_id FROM change_log
                 WHERE owner_user_id IS NULL AND owner_school_id IS NULL AND seq > ?1
                   AND (audience IS NULL OR (audience = 'principal' AND ?4))
                 UNION ALL
                 SELECT seq, kind, record_id FROM change_log WHERE owner_user_id = ?2 AND seq > ?1
                 UNION ALL
                 SELECT seq, kind, record_id FROM change_log WHERE owner_school_id = ?5 AND seq > ?1)
             ORDER BY seq LIMIT ?3",
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
                    let r = sqlx::query("SELECT definition FROM forms WHERE form_id || '@' || version = ?")
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    r.map(|r| json(&r, "definition").map(|form| Pulled::Form { form })).transpose()?
                }
                "self_diagnosis" => {
                    // Only the author pulls her submissions; those sealed by a reset not even she.
                    let r = sqlx::query(&format!("{READABLE_SUBMISSION} WHERE d.id = ?"))
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    r.as_ref().map(submission_from).transpose()?.map(|stored| Pulled::SelfDiagnosis { stored })
                }
                "profile" => {
                    let r = sqlx::query(&format!("{USER_SELECT} WHERE u.id = ?"))
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    r.as_ref().map(user_record).transpose()?.map(|u| Pulled::Profile { user: u.profile })
                }
                "report_form" => {
                    let r = sqlx::query("SELECT definition FROM report_forms WHERE form_id || '@' || version = ?")
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    r.map(|r| json(&r, "definition").map(|form| Pulled::ReportForm { form })).transpose()?
                }
                "report" => {
                    let mut parts = id.splitn(3, '/');
                    let (school, form, period) = (parts.next(), parts.next(), parts.next());
                    let r = sqlx::query(&format!("{REPORT_SELECT} WHERE school_id = ? AND form_id = ? AND period = ?"))
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
                JOIN users u ON u.id = d.teacher_id AND u.active = 1
                WHERE s.municipality_id = ? AND d.form_id = ?)
             WHERE rn = 1",
        )
        .bind(municipality.to_string())
        .bind(form.as_str())
        .fetch_all(&self.reader)
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
             WHERE m.region_id = ? AND d.form_id = ?
             ORDER BY d.receipt_seq",
        )
        .bind(region.to_string())
        .bind(form.as_str())
        .fetch_all(&self.reader)
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
        let row = sqlx::query(&format!("{READABLE_SUBMISSION} WHERE d.id = ? AND d.teacher_id = ?"))
            .bind(id.to_string())
            .bind(reader.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(submission_from).transpose()
    }
}

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

fn form_key(form: &FormRef) -> String {
    format!("{}@{}", form.id, form.version)
}

async fn log_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    kind: &str,
    record_id: &str,
    owner: Option<UserId>,
    now_ms: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO change_log (kind, record_id, owner_user_id, at) VALUES (?, ?, ?, ?)")
        .bind(kind)
        .bind(record_id)
        .bind(owner.map(|id| id.to_string()))
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_applied(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    key: ChangeKey,
    user: UserId,
    outcome: &Outcome,
    now_ms: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO applied_changes (device_id, seq, user_id, outcome, applied_at) VALUES (?, ?, ?, ?, ?)")
        .bind(key.device.to_string())
        .bind(key.seq as i64)
        .bind(user.to_string())
        .bind(to_json(outcome))
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
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
    sqlx::query("INSERT INTO schools (id, municipality_id, name, low_results, unfavourable) VALUES (?, ?, ?, ?, ?)")
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
    log_change(tx, "profile", &u.id.to_string(), Some(u.id), now_ms).await
}

const CAMPAIGN_SELECT: &str =
    "SELECT id, municipality_id, form_id, form_title, period, deadline, opened_at FROM campaigns";

fn campaign_from(row: &SqliteRow) -> Result<Campaign> {
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
