//! The scheduler's and the outbox's work: job leases, the session sweep, the directory's
//! recount and e-mail delivery. No principal: this is work no user asked for, done by every
//! node for the deployment.

use crate::{App, AppError};

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// Tries so far.
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl App {
    /// Claims the lease of a scheduled job for `node` when it is due (not held, and its
    /// interval has passed since it last ran). Exactly one node's claim succeeds.
    pub async fn jobs_claim(
        &self,
        job: &str,
        node: &str,
        now: i64,
        interval: i64,
        lease: i64,
    ) -> Result<bool, AppError> {
        Ok(self.db.claim_job(job, node, now, interval, lease).await?)
    }

    /// Gives up the lease a node holds after running the job.
    pub async fn jobs_release(&self, job: &str, node: &str) -> Result<(), AppError> {
        Ok(self.db.release_job(job, node).await?)
    }

    /// Deletes sessions past their absolute limit or idle for longer than
    /// max(idle_minutes, 240) minutes; returns how many went.
    pub async fn sweep_sessions(&self, now: i64) -> Result<u64, AppError> {
        let idle_cutoff = now - self.config.idle_minutes.max(240) * 60;
        Ok(self.db.delete_expired_sessions(idle_cutoff, now).await?)
    }

    /// Recounts every service's current client schedules for the directory; returns how many
    /// services were counted.
    pub async fn refresh_directory_counts(&self) -> Result<u64, AppError> {
        Ok(self
            .db
            .refresh_current_clients(&self.today().to_string())
            .await?)
    }

    /// Up to `limit` unsent messages still worth trying, oldest first.
    pub async fn outbox_due(&self, limit: i64) -> Result<Vec<OutgoingMail>, AppError> {
        Ok(self
            .db
            .unsent_mail(limit)
            .await?
            .into_iter()
            .map(|m| OutgoingMail {
                id: m.id,
                to_address: m.to_address,
                subject: m.subject,
                body: m.body,
                attempts: m.attempts,
                last_error: m.last_error,
            })
            .collect())
    }

    /// Records a message as sent now.
    pub async fn mark_mail_sent(&self, id: i64) -> Result<(), AppError> {
        Ok(self.db.mark_mail_sent(id, self.now()).await?)
    }

    /// Records a failed try, with its error, to be tried again.
    pub async fn mark_mail_failed(&self, id: i64, error: &str) -> Result<(), AppError> {
        Ok(self.db.mark_mail_failed(id, error).await?)
    }
}
