//! Scheduled work, the runner of job runs, and the e-mail outbox.
//!
//! All work is a job run kept in the database (`hearth_app::runs`). Each periodic job is
//! *enqueued* once per interval across all nodes (the job lock in the database: only one
//! node's claim succeeds per interval), unless a run of its kind is already queued or running.
//! Every node's runner then claims queued runs (one claimer wins each) and runs them, beating
//! a heartbeat that keeps its lease. A run whose node died (its lease ran out) is claimed again
//! by another node and resumes from its checkpoint, until it has been tried `max_attempts`
//! times; then it is marked failed.

mod mail;

pub use mail::{MailConfig, MailTransport};

use hearth_app::runs::{ClaimedRun, Progress, RunKind, RunView};
use hearth_app::ConflictCode;
use hearth_app::{App, AppError};
use serde_json::{json, Value};
use std::future::Future;
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
    /// Reminds day services of weeks not confirmed; checks the absence rules nightly.
    DayActivities,
}

impl Job {
    pub const ALL: &'static [Job] = &[
        Job::SessionSweep,
        Job::Outbox,
        Job::DirectoryRefresh,
        Job::ReturnReminders,
        Job::DayActivities,
    ];

    /// The kind of run each tick enqueues.
    pub fn kind(&self) -> RunKind {
        match self {
            Job::SessionSweep => RunKind::SessionSweep,
            Job::Outbox => RunKind::Outbox,
            Job::DirectoryRefresh => RunKind::DirectoryRefresh,
            Job::ReturnReminders => RunKind::ReturnReminders,
            Job::DayActivities => RunKind::DayActivities,
        }
    }

    fn of(kind: RunKind) -> Option<Job> {
        Job::ALL.iter().copied().find(|j| j.kind() == kind)
    }

    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Seconds between runs.
    pub fn interval(&self) -> i64 {
        self.kind().interval().unwrap_or(3600)
    }
}

/// The kinds a server's runner claims. The demo and backups are run by the command that
/// asked for them; a postcode import started from the command line is taken over by a server
/// if the command stops (the file must be readable there at the same path).
pub const RUNNER_KINDS: &[RunKind] = &[
    RunKind::SessionSweep,
    RunKind::Outbox,
    RunKind::DirectoryRefresh,
    RunKind::ReturnReminders,
    RunKind::DayActivities,
    RunKind::ImportPostcodes,
    RunKind::ImportRecords,
    RunKind::PaymentPrepare,
];

/// The kinds that take long: a server runs them on their own loop, so they never hold up the
/// outbox.
const LONG_KINDS: &[RunKind] = &[
    RunKind::ImportPostcodes,
    RunKind::ImportRecords,
    RunKind::PaymentPrepare,
];

/// Seconds a claim holds a run before another node may take it over.
pub const LEASE_SECONDS: i64 = 30;

/// Runs for one node: enqueues the periodic jobs and runs job runs.
#[derive(Clone)]
pub struct Scheduler {
    app: App,
    node: String,
    /// This runner's name as a lease owner: the node's name and something unique to this
    /// process, so two processes on one node never take each other's lease for their own.
    owner: String,
    mail: MailTransport,
    beat: Duration,
    lease: i64,
}

/// Runs `work` while beating `progress`'s heartbeat every `beat`. If the node loses the run
/// (another node took it over, or it was cancelled), the work is dropped where it is
/// (its open transaction rolls back) and the loss is returned.
pub async fn drive<T>(
    progress: &Progress,
    beat: Duration,
    work: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let beats = async {
        let mut tick = tokio::time::interval(beat);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = progress.heartbeat().await {
                if progress.is_lost() {
                    return e;
                }
                // A busy database is no reason to stop: the lease outlasts a few missed beats.
                tracing::warn!(run = progress.id(), error = %e, "heartbeat not written");
            }
        }
    };
    tokio::select! {
        r = work => r,
        e = beats => Err(e),
    }
}

impl Scheduler {
    pub fn new(app: App, node: &str, mail: MailTransport) -> Scheduler {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Scheduler {
            app,
            node: node.to_string(),
            owner: format!("{node}/{}-{nanos:08x}", std::process::id()),
            mail,
            beat: Duration::from_secs(5),
            lease: LEASE_SECONDS,
        }
    }

    /// The same runner with its heartbeat every `beat` (the command line beats often, so its
    /// progress bar moves smoothly) and a lease of `lease` seconds.
    pub fn with_beat(mut self, beat: Duration, lease: i64) -> Scheduler {
        self.beat = beat;
        self.lease = lease.max(1);
        self
    }

    /// This runner's name as a lease owner.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Enqueues every periodic job that is due at `now` (once across all nodes per interval),
    /// then runs every run this node can claim. Returns the periodic jobs this node ran. Tests
    /// call this directly, so jobs run synchronously there.
    pub async fn run_due(&self, now: i64) -> Vec<Job> {
        self.enqueue_due(now).await;
        self.run_queued(RUNNER_KINDS)
            .await
            .into_iter()
            .filter_map(Job::of)
            .collect()
    }

    /// Enqueues a run of each periodic job due at `now`, unless one is queued or running.
    pub async fn enqueue_due(&self, now: i64) {
        for job in Job::ALL {
            match self
                .app
                .jobs_claim(job.name(), &self.node, now, job.interval(), 600)
                .await
            {
                Ok(true) => {
                    if let Err(e) = self.app.enqueue_periodic_run(job.kind(), &self.node).await {
                        tracing::error!(job = job.name(), error = %e, "could not queue the job's run");
                    }
                    if let Err(e) = self.app.jobs_release(job.name(), &self.node).await {
                        tracing::error!(job = job.name(), error = %e, "could not release job lock");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::error!(job = job.name(), error = %e, "could not claim job"),
            }
        }
    }

    /// Claims and runs runs of `kinds` until none is left to claim (at most 100 in one go);
    /// returns the kinds run.
    pub async fn run_queued(&self, kinds: &[RunKind]) -> Vec<RunKind> {
        let mut ran = Vec::new();
        for _ in 0..100 {
            match self.app.claim_run(kinds, &self.owner, self.lease).await {
                Ok(Some(claimed)) => {
                    if let Some(kind) = RunKind::parse(&claimed.run.kind) {
                        ran.push(kind);
                    }
                    self.execute(claimed).await;
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %e, "could not claim a run");
                    break;
                }
            }
        }
        ran
    }

    /// Claims run `id` when it can be claimed (queued, or its node died) and runs it here;
    /// None when it is held by a live node or has ended.
    pub async fn run_id(&self, id: i64) -> Result<Option<RunView>, AppError> {
        match self.app.claim_run_id(id, &self.owner, self.lease).await? {
            Some(claimed) => Ok(self.execute(claimed).await),
            None => Ok(None),
        }
    }

    /// Runs a claimed run with its heartbeat and records how it ended: done with its result,
    /// or failed with the error. A run this node lost is left to whoever holds it now.
    /// Returns the run as it ended, or None when it was lost.
    pub async fn execute(&self, claimed: ClaimedRun) -> Option<RunView> {
        let ClaimedRun { run, progress } = claimed;
        // The scheduler's own runs come every few seconds: only what someone asked for, or a
        // run taken over from another node, is worth a line at the default level.
        if !run.requested_by.starts_with("scheduler:") || run.attempts > 1 {
            tracing::info!(run = run.id, kind = %run.kind, attempt = run.attempts, resume = ?run.checkpoint, "running");
        } else {
            tracing::debug!(run = run.id, kind = %run.kind, attempt = run.attempts, "running");
        }
        let outcome = drive(&progress, self.beat, self.work(&run, &progress)).await;
        let ended = match outcome {
            Ok(result) => progress.finish(&result).await,
            Err(e) if progress.is_lost() => Err(e),
            Err(e) => {
                tracing::error!(run = run.id, kind = %run.kind, error = %e, "run failed");
                // What staff read on the runs page: an internal error's cause stays in the log.
                let shown = match &e {
                    AppError::Internal(_) => format!(
                        "an internal error stopped the run (the log has the cause, under run {})",
                        run.id
                    ),
                    other => other.to_string(),
                };
                progress.fail(&shown).await
            }
        };
        match ended {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(run = run.id, error = %e, "run left to the node that holds it now");
                None
            }
        }
    }

    async fn work(&self, run: &RunView, progress: &Progress) -> Result<Value, AppError> {
        let internal = |e: String| AppError::Internal(e);
        let Some(kind) = RunKind::parse(&run.kind) else {
            return Err(AppError::Conflict(
                ConflictCode::Other,
                format!("this program does not know runs of kind {}", run.kind),
            ));
        };
        match kind {
            RunKind::SessionSweep => {
                let now = self.app.now();
                let sessions = self.app.sweep_sessions(now).await?;
                // Rate-limit counters whose windows ended a day ago go too, and the
                // scheduler's own runs that ended a day ago.
                let counters = self.app.purge_rate_limits().await?;
                let runs = self.app.prune_runs(now - 86_400).await?;
                if sessions > 0 || counters > 0 {
                    tracing::info!(sessions, counters, runs, "swept");
                }
                Ok(json!({ "sessions": sessions, "counters": counters, "runs_pruned": runs }))
            }
            RunKind::DirectoryRefresh => {
                let n = self.app.refresh_directory_counts().await?;
                tracing::info!(services = n, "recounted current clients");
                Ok(json!({ "services": n }))
            }
            RunKind::ReturnReminders => {
                let n = self
                    .app
                    .send_return_reminders_for(self.app.today(), run.authority_id)
                    .await?;
                if n > 0 {
                    tracing::info!(reminders = n, "queued return reminders");
                }
                Ok(json!({ "reminders": n }))
            }
            RunKind::DayActivities => {
                let done = self.app.run_day_activities_checks(run.authority_id).await?;
                if done.reminders > 0 || done.alerts > 0 {
                    tracing::info!(
                        reminders = done.reminders,
                        alerts = done.alerts,
                        "day activities checked"
                    );
                }
                Ok(
                    json!({ "reminders": done.reminders, "alerts": done.alerts, "evaluated": done.evaluated }),
                )
            }
            RunKind::Outbox => {
                let sent = self
                    .mail
                    .deliver_outbox(&self.app)
                    .await
                    .map_err(internal)?;
                if sent > 0 {
                    tracing::info!(sent, "sent e-mail");
                }
                Ok(json!({ "sent": sent }))
            }
            RunKind::ImportPostcodes => self.app.run_import_postcodes(run, progress).await,
            RunKind::ImportRecords => self.app.run_import_records(run, progress).await,
            RunKind::PaymentPrepare => self.app.run_payment_prepare(run, progress).await,
            RunKind::Backup => self.app.run_backup(run, progress).await,
            RunKind::Demo => Err(AppError::Conflict(
                ConflictCode::Other,
                "the demo is loaded by the command that started it".into(),
            )),
        }
    }

    /// Runs the scheduler until the process ends: every few seconds it enqueues what is due
    /// and runs the short runs; long runs (imports) have a loop of their own.
    pub async fn run_forever(self) {
        let long = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                long.run_queued(LONG_KINDS).await;
            }
        });
        let short: Vec<RunKind> = RUNNER_KINDS
            .iter()
            .copied()
            .filter(|k| !LONG_KINDS.contains(k))
            .collect();
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            self.enqueue_due(self.app.now()).await;
            self.run_queued(&short).await;
        }
    }
}
