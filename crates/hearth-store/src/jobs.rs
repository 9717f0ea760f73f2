//! Job locks (a scheduled job is enqueued once per interval across nodes), job runs (long
//! work kept in the database with its progress, lease and checkpoint) and the e-mail outbox.

use sqlx::Row;

use crate::write::{audited, Changes};
use crate::{record, Actor, Backend, Db, Params, StoreError, WriteTx};

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
        let ids = self
            .queue_mails(&[(to.to_string(), subject.to_string(), body.to_string())])
            .await?;
        ids.first()
            .copied()
            .ok_or(StoreError::Sql(sqlx::Error::RowNotFound))
    }

    /// Queues several e-mails (to, subject, body), each audited as `queue` with its own entry
    /// (to and subject), in a few statements rather than three each: bulk work such as a
    /// night's alerts. Returns their ids in order.
    pub async fn queue_mails(
        &mut self,
        mails: &[(String, String, String)],
    ) -> Result<Vec<i64>, StoreError> {
        let mut queued = Vec::with_capacity(mails.len());
        for chunk in mails.chunks(MAILS_PER_INSERT) {
            let mut p = crate::Params::default();
            let values: Vec<String> = chunk
                .iter()
                .map(|_| format!("({})", crate::placeholders(&mut p, 4)))
                .collect();
            let sql = format!(
                "INSERT INTO outbox (to_address, subject, body, created_at) VALUES {} RETURNING id, to_address, subject",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (to, subject, body) in chunk {
                q = q
                    .bind(to.as_str())
                    .bind(subject.as_str())
                    .bind(body.as_str())
                    .bind(self.at());
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                let id: i64 = row.try_get("id")?;
                let to: String = row.try_get("to_address")?;
                let subject: String = row.try_get("subject")?;
                queued.push((id, serde_json::json!({"to": to, "subject": subject})));
            }
        }
        queued.sort_by_key(|(id, _)| *id);
        let ids: Vec<i64> = queued.iter().map(|(id, _)| *id).collect();
        let rows: Vec<(String, serde_json::Value)> = queued
            .into_iter()
            .map(|(id, v)| (id.to_string(), v))
            .collect();
        self.audit_created("queue", crate::RecordType::Email, &rows)
            .await?;
        Ok(ids)
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

record!(
    /// One run of a job: what it is, who asked, where it is, and which node holds it.
    JobRun {
        id: i64,
        kind: String,
        // JSON.
        parameters: String,
        authority_id: Option<i64>,
        requested_by_id: Option<i64>,
        requested_by: String,
        // queued, running, done, failed or cancelled.
        status: String,
        // Claims so far (a run taken over after its node died counts again).
        attempts: i64,
        max_attempts: i64,
        // 1 when its changes are audited.
        audited: i64,
        progress_done: i64,
        progress_total: Option<i64>,
        // What it is doing now, in words.
        step: Option<String>,
        // JSON: where a run taken over resumes.
        checkpoint: Option<String>,
        // JSON.
        result: Option<String>,
        error: Option<String>,
        lease_owner: Option<String>,
        lease_until: Option<i64>,
        heartbeat_at: Option<i64>,
        created_at: i64,
        started_at: Option<i64>,
        finished_at: Option<i64>,
    }
);

audited!(JobRun, JobRun, "job_runs");

/// A run to queue.
#[derive(Debug, Clone, Default)]
pub struct NewRun {
    pub kind: String,
    /// JSON.
    pub parameters: String,
    pub authority_id: Option<i64>,
    pub max_attempts: i64,
    pub progress_total: Option<i64>,
}

/// Which runs a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunScope {
    /// Every run (the command line).
    All,
    /// One authority's runs, and with `deployment` also the runs for no authority (the
    /// scheduler's, imports): what an administrator sees.
    Authority { id: i64, deployment: bool },
}

/// How a run ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// Done, with its result (JSON).
    Done(String),
    /// Failed, with the error.
    Failed(String),
}

/// The condition on a row that a node still holds: only it may write progress, checkpoints
/// and the end. A node whose lease was taken over (or whose run was cancelled) writes nothing.
/// E-mails queued by one statement in [`WriteTx::queue_mails`].
const MAILS_PER_INSERT: usize = 100;

const HELD: &str = "id = $1 AND lease_owner = $2 AND status = 'running'";

/// The lease-checked checkpoint, for the pool ([`Db::checkpoint_job_run`]) and inside a write
/// ([`WriteTx::checkpoint_job_run`]).
fn checkpoint_statement<'q>(
    sql: &'q str,
    id: i64,
    owner: &'q str,
    done: i64,
    checkpoint: &'q str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(sql)
        .bind(id)
        .bind(owner)
        .bind(done)
        .bind(checkpoint)
}

fn checkpoint_sql() -> String {
    format!("UPDATE job_runs SET progress_done = $3, checkpoint = $4 WHERE {HELD}")
}

/// What claiming a run sets: this node's lease, the first start, one more attempt.
const CLAIM_SET: &str =
    "SET status = 'running', lease_owner = $1, lease_until = $2, heartbeat_at = $3,
                 started_at = COALESCE(started_at, $3), attempts = attempts + 1";

/// A run of kind `$1` that is not over.
const ACTIVE_OF_KIND: &str = "status IN ('queued', 'running') AND kind = $1";

/// A run a node may take: queued, or running with a lease that ran out and attempts left.
const CLAIMABLE: &str =
    "(status = 'queued' OR (status = 'running' AND lease_until < $3 AND attempts < max_attempts))";

impl Db {
    /// The run with this id.
    pub async fn job_run(&self, id: i64) -> Result<Option<JobRun>, StoreError> {
        let row = sqlx::query("SELECT * FROM job_runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(JobRun::from_row).transpose()
    }

    /// The newest runs in scope, newest first, at most `limit`.
    pub async fn job_runs(&self, scope: RunScope, limit: i64) -> Result<Vec<JobRun>, StoreError> {
        let rows = match scope {
            RunScope::All => {
                sqlx::query("SELECT * FROM job_runs ORDER BY id DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            RunScope::Authority { id, deployment } => sqlx::query(
                "SELECT * FROM job_runs WHERE authority_id = $1 OR ($2 = 1 AND authority_id IS NULL) ORDER BY id DESC LIMIT $3",
            )
            .bind(id)
            .bind(crate::flag(deployment))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?,
        };
        JobRun::from_rows(&rows)
    }

    /// Every queued or running run of `kind`, oldest first (however many runs came since).
    pub async fn active_job_runs(&self, kind: &str) -> Result<Vec<JobRun>, StoreError> {
        let sql = format!("SELECT * FROM job_runs WHERE {ACTIVE_OF_KIND} ORDER BY id");
        let rows = sqlx::query(&sql).bind(kind).fetch_all(&self.pool).await?;
        JobRun::from_rows(&rows)
    }

    /// A queued or running run of `kind`, if there is one.
    pub async fn active_job_run(&self, kind: &str) -> Result<Option<JobRun>, StoreError> {
        let sql = format!("SELECT * FROM job_runs WHERE {ACTIVE_OF_KIND} ORDER BY id LIMIT 1");
        let row = sqlx::query(&sql)
            .bind(kind)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(JobRun::from_row).transpose()
    }

    /// Queues a run of the scheduler's, without an audit entry (its bookkeeping is not
    /// audited, as the job locks were not; such runs are pruned when old).
    pub async fn enqueue_job_run(
        &self,
        run: &NewRun,
        requested_by: &str,
        at: i64,
    ) -> Result<JobRun, StoreError> {
        let row = sqlx::query(
            "INSERT INTO job_runs (kind, parameters, authority_id, requested_by, status, max_attempts, audited, progress_total, created_at)
             VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7) RETURNING *",
        )
        .bind(run.kind.clone())
        .bind(run.parameters.clone())
        .bind(run.authority_id)
        .bind(requested_by)
        .bind(run.max_attempts.max(1))
        .bind(run.progress_total)
        .bind(at)
        .fetch_one(&self.pool)
        .await?;
        JobRun::from_row(&row)
    }

    /// Claims the oldest run of one of `kinds` that is queued, or running with a lease that ran
    /// out (its node died) and attempts left, for `owner` until `at + lease`. At most one
    /// claimer gets a run: on PostgreSQL the candidate row is locked with `FOR UPDATE SKIP
    /// LOCKED`, so claimers on several nodes take different runs and never wait for each
    /// other; SQLite has one writer, so its statement is atomic as it stands.
    pub async fn claim_job_run(
        &self,
        kinds: &[&str],
        owner: &str,
        at: i64,
        lease: i64,
    ) -> Result<Option<JobRun>, StoreError> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let mut p = Params::default();
        for _ in 0..3 {
            p.next();
        }
        let list = crate::placeholders(&mut p, kinds.len());
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE job_runs {CLAIM_SET}
             WHERE id = (SELECT id FROM job_runs WHERE {CLAIMABLE} AND kind IN ({list}) ORDER BY id LIMIT 1{lock})
               AND {CLAIMABLE}
             RETURNING *"
        );
        let mut q = sqlx::query(&sql).bind(owner).bind(at + lease).bind(at);
        for k in kinds {
            q = q.bind(*k);
        }
        let row = q.fetch_optional(&self.pool).await?;
        row.as_ref().map(JobRun::from_row).transpose()
    }

    /// Claims one run by its id, on the same terms as [`Db::claim_job_run`] (the command line
    /// runs the run it asked for).
    pub async fn claim_job_run_id(
        &self,
        id: i64,
        owner: &str,
        at: i64,
        lease: i64,
    ) -> Result<Option<JobRun>, StoreError> {
        let sql = format!(
            "UPDATE job_runs {CLAIM_SET}
             WHERE id = $4 AND {CLAIMABLE}
             RETURNING *"
        );
        let row = sqlx::query(&sql)
            .bind(owner)
            .bind(at + lease)
            .bind(at)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(JobRun::from_row).transpose()
    }

    /// Marks failed every running run whose lease ran out with no attempts left (its node died
    /// once too often); returns how many.
    pub async fn fail_abandoned_job_runs(&self, at: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE job_runs SET status = 'failed', finished_at = $1, lease_until = NULL,
                 error = 'its node stopped before it finished, ' || CAST(attempts AS TEXT) || ' times: nothing will try again'
             WHERE status = 'running' AND lease_until < $1 AND attempts >= max_attempts",
        )
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// The holder's heartbeat: moves its lease on and records its progress. False when
    /// `owner` no longer holds the run (taken over, cancelled or ended): nothing is written.
    #[allow(clippy::too_many_arguments)]
    pub async fn beat_job_run(
        &self,
        id: i64,
        owner: &str,
        at: i64,
        lease: i64,
        done: i64,
        total: Option<i64>,
        step: Option<&str>,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(&format!(
            "UPDATE job_runs SET heartbeat_at = $3, lease_until = $4, progress_done = $5, progress_total = $6, step = $7 WHERE {HELD}"
        ))
        .bind(id)
        .bind(owner)
        .bind(at)
        .bind(at + lease)
        .bind(done)
        .bind(total)
        .bind(step.map(str::to_string))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records where the holder has got to (progress and checkpoint), lease-checked like the
    /// heartbeat.
    pub async fn checkpoint_job_run(
        &self,
        id: i64,
        owner: &str,
        done: i64,
        checkpoint: &str,
    ) -> Result<bool, StoreError> {
        let sql = checkpoint_sql();
        let r = checkpoint_statement(&sql, id, owner, done, checkpoint)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Ends a run the owner holds, as done or failed; None when it no longer holds it (nothing
    /// is written). With `audit_as`, the end is audited with the run before and after (runs
    /// someone asked for); the scheduler's own runs pass None.
    pub async fn end_job_run(
        &self,
        id: i64,
        owner: &str,
        end: &RunEnd,
        at: i64,
        audit_as: Option<&Actor>,
    ) -> Result<Option<JobRun>, StoreError> {
        let (status, result, error, action) = match end {
            RunEnd::Done(r) => ("done", Some(r.clone()), None, "finish"),
            RunEnd::Failed(e) => ("failed", None, Some(e.clone()), "fail"),
        };
        let sql = format!(
            "UPDATE job_runs SET status = $3, result = $4, error = $5, finished_at = $6, lease_until = NULL,
                 progress_done = CASE WHEN $3 = 'done' AND progress_total IS NOT NULL THEN progress_total ELSE progress_done END
             WHERE {HELD} RETURNING *"
        );
        let q = sqlx::query(&sql)
            .bind(id)
            .bind(owner)
            .bind(status)
            .bind(result)
            .bind(error)
            .bind(at);
        let Some(actor) = audit_as else {
            let row = q.fetch_optional(&self.pool).await?;
            return row.as_ref().map(JobRun::from_row).transpose();
        };
        let mut tx = self.begin_write_at(actor, at).await?;
        let Some(before) = tx.current::<JobRun>(id).await? else {
            return Ok(None);
        };
        let Some(row) = q.fetch_optional(&mut *tx.tx).await? else {
            return Ok(None);
        };
        let after = JobRun::from_row(&row)?;
        tx.audit(
            action,
            crate::RecordType::JobRun,
            &id.to_string(),
            Some(&before.to_json()),
            Some(&after.to_json()),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(after))
    }

    /// Deletes the scheduler's (unaudited) runs that ended before `before`; returns how many.
    pub async fn prune_job_runs(&self, before: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "DELETE FROM job_runs WHERE audited = 0 AND status IN ('done', 'failed', 'cancelled') AND finished_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }
}

impl WriteTx {
    /// Queues a run someone asked for, audited ("queue", "job_run").
    pub async fn insert_job_run(&mut self, run: &NewRun) -> Result<JobRun, StoreError> {
        let actor = self.actor().clone();
        let at = self.at();
        self.create_as(
            "queue",
            Changes::new()
                .set("kind", run.kind.clone())
                .set("parameters", run.parameters.clone())
                .set("authority_id", run.authority_id)
                .set("requested_by_id", actor.user_id)
                .set("requested_by", actor.name)
                .set("status", "queued")
                .set("max_attempts", run.max_attempts.max(1))
                .set("audited", 1i64)
                .set("progress_total", run.progress_total)
                .set("created_at", at),
        )
        .await
    }

    /// The run as this transaction sees it.
    pub async fn job_run(&mut self, id: i64) -> Result<Option<JobRun>, StoreError> {
        self.current::<JobRun>(id).await
    }

    /// Cancels a queued or running run, audited ("cancel"); a running run's node finds it no
    /// longer holds the run at its next heartbeat and stops. None when there is no such run
    /// or it has already ended.
    pub async fn cancel_job_run(&mut self, id: i64) -> Result<Option<JobRun>, StoreError> {
        match self.current::<JobRun>(id).await? {
            Some(r) if r.status == "queued" || r.status == "running" => {}
            _ => return Ok(None),
        }
        let values = Changes::new()
            .set("status", "cancelled")
            .set("finished_at", self.at())
            .set("lease_until", None::<i64>)
            .set(
                "error",
                format!("cancelled by {}", self.actor().name.clone()),
            );
        self.change(id, "cancel", values).await
    }

    /// Records a checkpoint inside this transaction, so the work it marks and the checkpoint
    /// commit together (or not at all). False when `owner` no longer holds the run: the caller
    /// must then drop the transaction, so the work is not saved either.
    pub async fn checkpoint_job_run(
        &mut self,
        id: i64,
        owner: &str,
        done: i64,
        checkpoint: &str,
    ) -> Result<bool, StoreError> {
        let sql = checkpoint_sql();
        let r = checkpoint_statement(&sql, id, owner, done, checkpoint)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}
