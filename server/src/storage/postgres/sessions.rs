//! Sessions (only token hashes) and the throttles' counters: what several server processes must share.

use super::*;

impl PgStorage {
    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        checked: Option<&str>,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<bool> {
        // Under the write lock, which resets hold while they change the password and end the
        // sessions: without it this could read the old password and insert after their delete.
        let mut tx = self.begin_write().await?;
        let opened = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
             SELECT $1, id, $2, $3 FROM users
             WHERE id = $4 AND active AND ($5::text IS NULL OR password_hash = $5)",
        )
        .bind(token_hash)
        .bind(now_ms)
        .bind(expires_at_ms)
        .bind(user.to_string())
        .bind(checked)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(opened.rows_affected() == 1)
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
                             (key, failures, pending, pending_at, window_start, locked_until, locked_at, refused, subject, client)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
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

#[async_trait]
impl SessionStore for PgStorage {
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

    async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        checked: Option<&str>,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<bool> {
        retrying("create_session", || PgStorage::create_session(self, token_hash, user, checked, now_ms, expires_at_ms))
            .await
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
}
