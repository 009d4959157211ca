//! Form definitions, self-diagnosis and report forms: a published version never changes.

use super::*;

impl SqliteStorage {
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
        let mut tx = self.begin_write().await?;
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
        log_change(&mut tx, "report_form", &format!("{}@{}", form.id, form.version), Readers::Principals, now_ms)
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

    async fn store_form(&self, form: &FormDefinition, now_ms: i64) -> Result<FormStored> {
        let mut tx = self.begin_write().await?;
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
        log_change(&mut tx, "form", &form_key(&form.form_ref()), Readers::Everyone, now_ms).await?;
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
}

#[async_trait]
impl FormStore for SqliteStorage {
    async fn store_report_form(&self, form: &ReportForm, now_ms: i64) -> Result<FormStored> {
        SqliteStorage::store_report_form(self, form, now_ms).await.map_err(|e| e.during("store_report_form"))
    }

    async fn report_form(&self, id: &FormId, version: u32) -> Result<Option<ReportForm>> {
        SqliteStorage::report_form(self, id, version).await.map_err(|e| e.during("report_form"))
    }

    async fn latest_report_forms(&self) -> Result<Vec<ReportForm>> {
        SqliteStorage::latest_report_forms(self).await.map_err(|e| e.during("latest_report_forms"))
    }

    async fn store_form(&self, form: &FormDefinition, now_ms: i64) -> Result<FormStored> {
        SqliteStorage::store_form(self, form, now_ms).await.map_err(|e| e.during("store_form"))
    }

    async fn form(&self, form: &FormRef) -> Result<Option<FormDefinition>> {
        SqliteStorage::form(self, form).await.map_err(|e| e.during("form"))
    }

    async fn latest_form(&self, id: &FormId) -> Result<Option<FormDefinition>> {
        SqliteStorage::latest_form(self, id).await.map_err(|e| e.during("latest_form"))
    }
}
