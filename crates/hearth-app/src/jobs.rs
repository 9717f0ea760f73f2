//! The scheduler's and the outbox's work: job leases, the session sweep, the directory's
//! recount and e-mail delivery. No principal: this is work no user asked for, done by every
//! node for the deployment.

use crate::{App, AppError};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

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
        let due = self.db.unsent_mail(limit).await?;
        self.stats
            .outbox_waiting
            .store(due.len() as i64, Ordering::Relaxed);
        Ok(due
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
        self.db.mark_mail_sent(id, self.now()).await?;
        self.stats.outbox_sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Records a failed try, with its error, to be tried again.
    pub async fn mark_mail_failed(&self, id: i64, error: &str) -> Result<(), AppError> {
        self.db.mark_mail_failed(id, error).await?;
        self.stats.outbox_failed.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// This node's counts of its work since it started (for `/metrics`: read from memory, no
    /// SQL).
    pub fn work_stats(&self) -> WorkStatsNow {
        let s = &self.stats;
        WorkStatsNow {
            runs_done: s.runs_done.load(Ordering::Relaxed),
            runs_failed: s.runs_failed.load(Ordering::Relaxed),
            outbox_waiting: s.outbox_waiting.load(Ordering::Relaxed),
            outbox_sent: s.outbox_sent.load(Ordering::Relaxed),
            outbox_failed: s.outbox_failed.load(Ordering::Relaxed),
        }
    }
}

/// Counts of a node's background work, kept in memory as the work happens.
#[derive(Debug, Default)]
pub(crate) struct WorkStats {
    pub(crate) runs_done: AtomicU64,
    pub(crate) runs_failed: AtomicU64,
    /// E-mails waiting at the outbox's last look (at most the 100 it reads at a time).
    pub(crate) outbox_waiting: AtomicI64,
    pub(crate) outbox_sent: AtomicU64,
    pub(crate) outbox_failed: AtomicU64,
}

/// [`WorkStats`] read at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkStatsNow {
    pub runs_done: u64,
    pub runs_failed: u64,
    pub outbox_waiting: i64,
    pub outbox_sent: u64,
    pub outbox_failed: u64,
}
