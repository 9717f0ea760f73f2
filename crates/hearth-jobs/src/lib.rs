//! Scheduled work and the e-mail outbox. A job runs once across all nodes: each node asks the
//! database to claim it, and only one claim succeeds per interval.

mod mail;

pub use mail::{MailConfig, MailTransport};

use hearth_app::App;
use std::time::Duration;

/// The scheduled jobs Hearth runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Deletes sessions past their idle or absolute limit.
    SessionSweep,
    /// Sends queued e-mail.
    Outbox,
    /// Recounts current clients per service for the directory's places available.
    DirectoryRefresh,
    /// E-mails reminders of performance returns before and after their deadline.
    ReturnReminders,
}

impl Job {
    pub const ALL: &'static [Job] = &[
        Job::SessionSweep,
        Job::Outbox,
        Job::DirectoryRefresh,
        Job::ReturnReminders,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Job::SessionSweep => "session_sweep",
            Job::Outbox => "outbox",
            Job::DirectoryRefresh => "directory_refresh",
            Job::ReturnReminders => "return_reminders",
        }
    }

    /// Seconds between runs.
    pub fn interval(&self) -> i64 {
        match self {
            Job::SessionSweep => 300,
            Job::Outbox => 15,
            Job::DirectoryRefresh => 3600,
            Job::ReturnReminders => 3600,
        }
    }
}

/// Runs jobs for one node.
#[derive(Clone)]
pub struct Scheduler {
    app: App,
    node: String,
    mail: MailTransport,
}

impl Scheduler {
    pub fn new(app: App, node: &str, mail: MailTransport) -> Scheduler {
        Scheduler {
            app,
            node: node.to_string(),
            mail,
        }
    }

    /// Runs every job that is due now and that this node manages to claim. Returns the jobs
    /// this node ran. Tests call this directly, so jobs run synchronously there.
    pub async fn run_due(&self, now: i64) -> Vec<Job> {
        let mut ran = Vec::new();
        for job in Job::ALL {
            match self
                .app
                .jobs_claim(job.name(), &self.node, now, job.interval(), 600)
                .await
            {
                Ok(true) => {
                    if let Err(e) = self.run(*job).await {
                        tracing::error!(job = job.name(), error = %e, "job failed");
                    }
                    if let Err(e) = self.app.jobs_release(job.name(), &self.node).await {
                        tracing::error!(job = job.name(), error = %e, "could not release job lock");
                    }
                    ran.push(*job);
                }
                Ok(false) => {}
                Err(e) => tracing::error!(job = job.name(), error = %e, "could not claim job"),
            }
        }
        ran
    }

    async fn run(&self, job: Job) -> Result<(), String> {
        match job {
            Job::SessionSweep => {
                let n = self
                    .app
                    .sweep_sessions(hearth_app::now())
                    .await
                    .map_err(|e| e.to_string())?;
                if n > 0 {
                    tracing::info!(job = job.name(), removed = n, "swept sessions");
                }
                // Rate-limit counters whose windows ended a day ago go too.
                let counters = self
                    .app
                    .purge_rate_limits()
                    .await
                    .map_err(|e| e.to_string())?;
                if counters > 0 {
                    tracing::info!(
                        job = job.name(),
                        removed = counters,
                        "swept rate-limit counters"
                    );
                }
                Ok(())
            }
            Job::DirectoryRefresh => {
                let n = self
                    .app
                    .refresh_directory_counts()
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(job = job.name(), services = n, "recounted current clients");
                Ok(())
            }
            Job::ReturnReminders => {
                let n = self
                    .app
                    .send_return_reminders(self.app.today())
                    .await
                    .map_err(|e| e.to_string())?;
                if n > 0 {
                    tracing::info!(job = job.name(), reminders = n, "queued return reminders");
                }
                Ok(())
            }
            Job::Outbox => {
                let sent = self.mail.deliver_outbox(&self.app).await?;
                if sent > 0 {
                    tracing::info!(job = job.name(), sent, "sent e-mail");
                }
                Ok(())
            }
        }
    }

    /// Runs the scheduler until the process ends, checking every few seconds.
    pub async fn run_forever(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            self.run_due(hearth_app::now()).await;
        }
    }
}
