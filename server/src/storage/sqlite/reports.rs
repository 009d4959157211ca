//! School reports: current state, revisions, merges under an idempotency key.

use super::*;

impl SqliteStorage {
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
        session: Option<Session<'_>>,
        keys: Option<PushedKeys<'_>>,
        edit: &ReportEdit,
        author: UserId,
        decide: DecideEdit<'_>,
        now_ms: i64,
    ) -> Result<Outcome> {
        let mut tx = self.begin_write_under(session, now_ms).await?;
        let change = keys.map(|keys| keys.key);
        if let Some(key) = change
            && let Some(previous) = previous_outcome(&mut tx, key, author).await?
        {
            return Ok(previous);
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
        log_change(&mut tx, "report", &k.id(), Readers::School(k.school), now_ms).await?;
        let action = if applied.submitted { "report.submitted" } else { "report.saved" };
        insert_audit(
            &mut tx,
            &NewAudit::new(Some(author), action, k.id()).detail(format!("ревизия {revision}")),
            now_ms,
        )
        .await?;
        let outcome = Outcome::applied_except(applied.held_back);
        if let Some(keys) = keys {
            insert_applied(&mut tx, keys, author, &outcome, now_ms).await?;
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
}

#[async_trait]
impl ReportStore for SqliteStorage {
    async fn sent_reports(&self, municipality: MunicipalityId, form: &FormId) -> Result<Vec<SentReport>> {
        SqliteStorage::sent_reports(self, municipality, form).await.map_err(|e| e.during("sent_reports"))
    }

    async fn report(&self, key: &ReportKey) -> Result<Option<StoredReport>> {
        SqliteStorage::report(self, key).await.map_err(|e| e.during("report"))
    }

    async fn commit_report(
        &self,
        session: Option<Session<'_>>,
        keys: Option<PushedKeys<'_>>,
        edit: &ReportEdit,
        author: UserId,
        decide: DecideEdit<'_>,
        now_ms: i64,
    ) -> Result<Outcome> {
        SqliteStorage::commit_report(self, session, keys, edit, author, decide, now_ms)
            .await
            .map_err(|e| e.during("commit_report"))
    }

    async fn report_revisions(&self, key: &ReportKey) -> Result<Vec<ReportRevision>> {
        SqliteStorage::report_revisions(self, key).await.map_err(|e| e.during("report_revisions"))
    }

    async fn reports_of_municipality(
        &self,
        municipality: MunicipalityId,
        form: &FormId,
        period: &str,
    ) -> Result<Vec<StoredReport>> {
        SqliteStorage::reports_of_municipality(self, municipality, form, period)
            .await
            .map_err(|e| e.during("reports_of_municipality"))
    }
}
