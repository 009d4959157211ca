//! The audit log and the municipality's privacy setting.

use super::*;

impl SqliteStorage {
    async fn audit(&self, entry: &NewAudit, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
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
        session: Option<Session<'_>>,
        municipality: MunicipalityId,
        allowed: bool,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write_under(session, now_ms).await?;
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
}

#[async_trait]
impl AuditStore for SqliteStorage {
    async fn audit(&self, entry: &NewAudit, now_ms: i64) -> Result<()> {
        SqliteStorage::audit(self, entry, now_ms).await.map_err(|e| e.during("audit"))
    }

    async fn audit_log(&self, before_seq: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
        SqliteStorage::audit_log(self, before_seq, limit).await.map_err(|e| e.during("audit_log"))
    }

    async fn principals_see_individual(&self, municipality: MunicipalityId) -> Result<bool> {
        SqliteStorage::principals_see_individual(self, municipality)
            .await
            .map_err(|e| e.during("principals_see_individual"))
    }

    async fn set_principals_see_individual(
        &self,
        session: Option<Session<'_>>,
        municipality: MunicipalityId,
        allowed: bool,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<()> {
        SqliteStorage::set_principals_see_individual(self, session, municipality, allowed, audit, now_ms)
            .await
            .map_err(|e| e.during("set_principals_see_individual"))
    }
}
