//! The change log: idempotency records of pushed changes and pulls by cursor.

use super::*;

impl SqliteStorage {
    async fn previous_change(&self, key: ChangeKey) -> Result<Option<PreviousChange>> {
        let row =
            sqlx::query("SELECT user_id, outcome, replaced_by FROM applied_changes WHERE device_id = ? AND seq = ?")
                .bind(key.device.to_string())
                .bind(key.seq as i64)
                .fetch_optional(&self.writer)
                .await?;
        row.map(|r| {
            Ok(PreviousChange {
                user_id: parse(&r, "user_id")?,
                outcome: json(&r, "outcome")?,
                replaced_by: r.try_get::<Option<i64>, _>("replaced_by")?.map(|seq| seq as u64),
            })
        })
        .transpose()
    }

    async fn record_rejection(
        &self,
        session: Session<'_>,
        keys: PushedKeys<'_>,
        user: UserId,
        outcome: &Outcome,
        now_ms: i64,
    ) -> Result<Outcome> {
        let mut tx = self.begin_write_under(Some(session), now_ms).await?;
        if let Some(previous) = previous_outcome(&mut tx, keys.key, user).await? {
            return Ok(previous);
        }
        insert_applied(&mut tx, keys, user, outcome, now_ms).await?;
        tx.commit().await?;
        Ok(outcome.clone())
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
}

#[async_trait]
impl ChangeStore for SqliteStorage {
    async fn previous_change(&self, key: ChangeKey) -> Result<Option<PreviousChange>> {
        SqliteStorage::previous_change(self, key).await.map_err(|e| e.during("previous_change"))
    }

    async fn record_rejection(
        &self,
        session: Session<'_>,
        keys: PushedKeys<'_>,
        user: UserId,
        outcome: &Outcome,
        now_ms: i64,
    ) -> Result<Outcome> {
        SqliteStorage::record_rejection(self, session, keys, user, outcome, now_ms)
            .await
            .map_err(|e| e.during("record_rejection"))
    }

    async fn pull(&self, scope: PullScope, cursor: Cursor, limit: u32) -> Result<PullPage> {
        SqliteStorage::pull(self, scope, cursor, limit).await.map_err(|e| e.during("pull"))
    }
}
