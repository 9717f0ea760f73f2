//! Rate-limit counters: one row per bucket, a fixed window that starts at its first hit. Kept
//! in the database so that every node counts the same attempts.

use sqlx::Row;

use crate::{Db, StoreError};

/// A bucket's count in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hits {
    pub hits: i64,
    pub window_start: i64,
}

impl Db {
    /// Adds `n` hits to `bucket` at `now`, starting a new window if the last one began at or
    /// before `expired_before` (now minus the window), and returns the count.
    pub async fn rate_add(
        &self,
        bucket: &str,
        n: i64,
        now: i64,
        expired_before: i64,
    ) -> Result<Hits, StoreError> {
        let row = sqlx::query(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, $3)
             ON CONFLICT (bucket) DO UPDATE SET
                hits = CASE WHEN rate_limits.window_start <= $4 THEN $3 ELSE rate_limits.hits + $3 END,
                window_start = CASE WHEN rate_limits.window_start <= $4 THEN $2 ELSE rate_limits.window_start END
             RETURNING hits, window_start",
        )
        .bind(bucket)
        .bind(now)
        .bind(n)
        .bind(expired_before)
        .fetch_one(&self.pool)
        .await?;
        Ok(Hits {
            hits: row.try_get("hits")?,
            window_start: row.try_get("window_start")?,
        })
    }

    /// The count of `bucket` in a window still open (zero if none).
    pub async fn rate_peek(&self, bucket: &str, expired_before: i64) -> Result<Hits, StoreError> {
        let row = sqlx::query(
            "SELECT hits, window_start FROM rate_limits WHERE bucket = $1 AND window_start > $2",
        )
        .bind(bucket)
        .bind(expired_before)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Hits {
                hits: r.try_get("hits")?,
                window_start: r.try_get("window_start")?,
            },
            None => Hits {
                hits: 0,
                window_start: 0,
            },
        })
    }

    /// Forgets buckets whose name starts with `prefix` (a successful sign-in clears its own
    /// source's count; an administrator's unlock clears an account's).
    pub async fn rate_clear(&self, prefix: &str) -> Result<u64, StoreError> {
        let r = sqlx::query("DELETE FROM rate_limits WHERE bucket LIKE $1 ESCAPE '\\'")
            .bind(format!("{}%", crate::like_escape(prefix)))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// Takes back one hit counted on `bucket` (an attempt counted before it was tried that
    /// turned out right).
    pub async fn rate_undo(&self, bucket: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE rate_limits SET hits = hits - 1 WHERE bucket = $1 AND hits > 0")
            .bind(bucket)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets one bucket.
    pub async fn rate_forget(&self, bucket: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM rate_limits WHERE bucket = $1")
            .bind(bucket)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes counters whose window began before `before` (the hourly clean-up).
    pub async fn rate_purge(&self, before: i64) -> Result<u64, StoreError> {
        let r = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}
