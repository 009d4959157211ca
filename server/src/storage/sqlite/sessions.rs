//! Sessions (only token hashes) and the throttles' counters: what several server processes must share.

use super::*;

impl SqliteStorage {
    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        checked: Option<&str>,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<bool> {
        // One statement on the writer: it reads the account under the write lock it writes under.
        let opened = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
             SELECT ?, id, ?, ? FROM users WHERE id = ? AND active = 1 AND (? IS NULL OR password_hash = ?)",
        )
        .bind(token_hash)
        .bind(now_ms)
        .bind(expires_at_ms)
        .bind(user.to_string())
        .bind(checked)
        .bind(checked)
        .execute(&self.writer)
        .await?;
        Ok(opened.rows_affected() == 1)
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
}

// Throttle counters: written by the limiter under the locks described in `update_throttle`.
impl SqliteStorage {
    async fn update_throttle_once(&self, keys: &[String], update: ThrottleUpdate<'_>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // The single writer serialises this with every other write.
        let mut rows = Vec::with_capacity(keys.len());
        for key in keys {
            let row = sqlx::query("SELECT * FROM throttle_counters WHERE key = ?")
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
                             (key, failures, pending, pending_at, window_start, locked_until, locked_at, refused, subject, client)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, pending = excluded.pending, pending_at = excluded.pending_at,
                             window_start = excluded.window_start, locked_until = excluded.locked_until,
                             locked_at = excluded.locked_at, refused = excluded.refused",
                    )
                    .bind(throttle_key(key))
                    .bind(i64::from(c.failures))
                    .bind(i64::from(c.pending))
                    .bind(c.pending_at_ms)
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
                    sqlx::query("DELETE FROM throttle_counters WHERE key = ?")
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
             WHERE (pending = 0 AND CASE WHEN locked_until IS NULL THEN window_start + ?2 <= ?1
                                         ELSE locked_until <= ?1 END)
                OR window_start + 3 * ?2 <= ?1
             RETURNING *",
        )
        .bind(now_ms)
        .bind(window_ms)
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(throttle_counter_from).collect()
    }
}

#[async_trait]
impl SessionStore for SqliteStorage {
    async fn update_throttle(&self, keys: &[String], update: ThrottleUpdate<'_>) -> Result<()> {
        SqliteStorage::update_throttle_once(self, keys, update).await.map_err(|e| e.during("update_throttle"))
    }

    async fn sweep_throttle(&self, now_ms: i64, window_ms: i64) -> Result<Vec<ThrottleCounter>> {
        SqliteStorage::sweep_throttle_once(self, now_ms, window_ms).await.map_err(|e| e.during("sweep_throttle"))
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        checked: Option<&str>,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<bool> {
        SqliteStorage::create_session(self, token_hash, user, checked, now_ms, expires_at_ms)
            .await
            .map_err(|e| e.during("create_session"))
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        SqliteStorage::session(self, token_hash).await.map_err(|e| e.during("session"))
    }

    async fn extend_session(&self, token_hash: &str, expires_at_ms: i64) -> Result<()> {
        SqliteStorage::extend_session(self, token_hash, expires_at_ms).await.map_err(|e| e.during("extend_session"))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        SqliteStorage::delete_session(self, token_hash).await.map_err(|e| e.during("delete_session"))
    }
}
