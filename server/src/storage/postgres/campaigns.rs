//! Reporting campaigns of a municipality.

use super::*;

impl PgStorage {
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
}

#[async_trait]
impl CampaignStore for PgStorage {
    async fn open_campaign(
        &self,
        session: Option<Session<'_>>,
        campaign: &Campaign,
        opened_by: UserId,
        audit: &NewAudit,
        now_ms: i64,
    ) -> Result<Campaign> {
        retrying("open_campaign", || PgStorage::open_campaign(self, session, campaign, opened_by, audit, now_ms)).await
    }

    async fn campaigns_of(&self, municipality: MunicipalityId) -> Result<Vec<Campaign>> {
        retrying("campaigns_of", || PgStorage::campaigns_of(self, municipality)).await
    }

    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>> {
        retrying("campaign", || PgStorage::campaign(self, id)).await
    }
}
