//! Job locks (a scheduled job runs once across nodes) and the e-mail outbox.

use sqlx::Row;

use crate::{record, Db, StoreError, WriteTx};

record!(
    /// An e-mail waiting to be sent, or sent.
    OutboxMessage {
        id: i64,
        to_address: String,
        subject: String,
        body: String,
        created_at: i64,
        sent_at: Option<i64>,
        attempts: i64,
        last_error: Option<String>,
    }
);

record!(
    /// A scheduled job's lock and run count.
    JobLock {
        name: String,
        holder: String,
        locked_until: i64,
        last_run_at: i64,
        runs: i64,
    }
);

impl Db {
    /// Claims a job that is due: true for exactly one caller across all nodes when the job's
    /// last run is at least `interval` seconds before `at` and no other node holds it.
    pub async fn claim_job(
        &self,
        name: &str,
        holder: &str,
        at: i64,
        interval: i64,
        lease: i64,
    ) -> Result<bool, StoreError> {
        // Make sure the row exists (a duplicate insert by another node is harmless).
        let _ = sqlx::query("INSERT INTO job_locks (name, holder, locked_until, last_run_at, runs) VALUES ($1, '', 0, 0, 0)")
            .bind(name)
            .execute(&self.pool)
            .await;
        let r = sqlx::query(
            "UPDATE job_locks SET holder = $2, locked_until = $3, last_run_at = $4, runs = runs + 1
             WHERE name = $1 AND locked_until < $4 AND last_run_at <= $5",
        )
        .bind(name)
        .bind(holder)
        .bind(at + lease)
        .bind(at)
        .bind(at - interval)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Releases a job lock held by `holder`.
    pub async fn release_job(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE job_locks SET locked_until = 0 WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn job_locks(&self) -> Result<Vec<JobLock>, StoreError> {
        let rows = sqlx::query("SELECT * FROM job_locks ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        JobLock::from_rows(&rows)
    }

    pub async fn unsent_mail(&self, limit: i64) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM outbox WHERE sent_at IS NULL AND attempts < 10 ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        OutboxMessage::from_rows(&rows)
    }

    pub async fn recent_mail(&self, limit: i64) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = sqlx::query("SELECT * FROM outbox ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        OutboxMessage::from_rows(&rows)
    }

    pub async fn mark_mail_sent(&self, id: i64, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn mark_mail_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1")
            .bind(id)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every setting whose name starts with `prefix`, as (name, value).
    pub async fn settings_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT name, value FROM settings WHERE name LIKE $1 ESCAPE '\\'")
            .bind(format!("{}%", crate::like_escape(prefix)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("value")?)))
            .collect()
    }

    pub async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get::<String, _>("value")?),
            None => None,
        })
    }
}

impl WriteTx {
    /// Queues an e-mail in the same transaction as the change that causes it.
    pub async fn queue_mail(
        &mut self,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query("INSERT INTO outbox (to_address, subject, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(to)
            .bind(subject)
            .bind(body)
            .bind(self.at())
            .fetch_one(&mut *self.tx)
            .await?;
        let id: i64 = row.try_get("id")?;
        let v = serde_json::json!({"to": to, "subject": subject});
        self.audit(
            "queue",
            crate::RecordType::Email,
            &id.to_string(),
            None,
            Some(&v),
        )
        .await?;
        Ok(id)
    }

    pub async fn set_setting(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        let before = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *self.tx)
            .await?
            .map(|r| r.try_get::<String, _>("value"))
            .transpose()?;
        if before.is_some() {
            sqlx::query("UPDATE settings SET value = $2 WHERE name = $1")
                .bind(name)
                .bind(value)
                .execute(&mut *self.tx)
                .await?;
        } else {
            sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2)")
                .bind(name)
                .bind(value)
                .execute(&mut *self.tx)
                .await?;
        }
        let b = before.map(|v| serde_json::json!({ "value": v }));
        self.audit(
            "set",
            crate::RecordType::Setting,
            name,
            b.as_ref(),
            Some(&serde_json::json!({ "value": value })),
        )
        .await?;
        Ok(())
    }
}
