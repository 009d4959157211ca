//! Reporting campaigns of a municipality.

use super::*;

impl SqliteStorage {
    async fn open_campaign(
        &self,
        session: Option<Session<'_>>,
        campaign: &Campaign,
        opened_by: UserId,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<Campaign> {
        let mut tx = self.begin_write_under(session, now_ms).await?;
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
}

#[async_trait]
impl CampaignStore for SqliteStorage {
    async fn open_campaign(
        &self,
        session: Option<Session<'_>>,
        campaign: &Campaign,
        opened_by: UserId,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<Campaign> {
        SqliteStorage::open_campaign(self, session, campaign, opened_by, audit, now_ms)
            .await
            .map_err(|e| e.during("open_campaign"))
    }

    async fn campaigns_of(&self, municipality: MunicipalityId) -> Result<Vec<Campaign>> {
        SqliteStorage::campaigns_of(self, municipality).await.map_err(|e| e.during("campaigns_of"))
    }

    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>> {
        SqliteStorage::campaign(self, id).await.map_err(|e| e.during("campaign"))
    }
}
