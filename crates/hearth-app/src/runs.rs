//! Job runs: long work kept in the database with its parameters, progress, heartbeat,
//! checkpoint and result, so every node (and the command line) sees the same runs, a run whose
//! node died is taken over and resumes from its checkpoint, and people follow its progress on
//! the status page or a progress bar.
//!
//! The use cases (`start_run`, `runs`, `run`, `cancel_run`) take a principal and authorise.
//! The runner's API (`claim_run`, `claim_run_id`, [`Progress`]) is the jobs' and the command
//! line's: work no user does, like the job leases in `jobs.rs`.

use crate::error::ConflictCode;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use hearth_domain::runs::{RunEvent, RunStatus};
use hearth_store::{Actor, JobRun, NewRun, RunEnd, RunScope};
use serde_json::{json, Value};
use sha2::Digest;

use crate::{App, AppError, Permission, Principal};

/// The kinds of run Hearth knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunKind {
    /// Deletes sessions past their limits and old rate-limit counters (periodic).
    SessionSweep,
    /// Sends queued e-mail (periodic).
    Outbox,
    /// Recounts current clients per service for the directory (periodic).
    DirectoryRefresh,
    /// Queues reminders of performance returns (periodic, or one authority's on request).
    ReturnReminders,
    /// Loads an ONS Postcode Directory file, in chunks, each with its checkpoint.
    ImportPostcodes,
    /// Loads an authority's records from its old system (`hearth import records`).
    ImportRecords,
    /// Loads the demo data (the command line's `demo`).
    Demo,
    /// Copies the SQLite database to a file (the command line's `backup`).
    Backup,
    /// Works out a payment run's lines (payments, issue 12).
    PaymentPrepare,
    /// Reminds day services' providers of weeks not confirmed, and checks the absence rules
    /// each night (day activities, issue 13; periodic, or one authority's on request).
    DayActivities,
}

/// The most characters of a run's parameters.
pub const MAX_PARAMETER_CHARS: usize = 4_000;

/// Postcode rows written (and checkpointed) in one transaction.
pub const IMPORT_CHUNK_ROWS: usize = 10_000;

impl RunKind {
    pub const ALL: [RunKind; 10] = [
        RunKind::SessionSweep,
        RunKind::Outbox,
        RunKind::DirectoryRefresh,
        RunKind::ReturnReminders,
        RunKind::ImportPostcodes,
        RunKind::ImportRecords,
        RunKind::Demo,
        RunKind::Backup,
        RunKind::PaymentPrepare,
        RunKind::DayActivities,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::SessionSweep => "session_sweep",
            RunKind::Outbox => "outbox",
            RunKind::DirectoryRefresh => "directory_refresh",
            RunKind::ReturnReminders => "return_reminders",
            RunKind::ImportPostcodes => "import_postcodes",
            RunKind::ImportRecords => "import_records",
            RunKind::Demo => "demo",
            RunKind::Backup => "backup",
            RunKind::PaymentPrepare => "payment_prepare",
            RunKind::DayActivities => "day_activities",
        }
    }

    pub fn parse(name: &str) -> Option<RunKind> {
        RunKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            RunKind::SessionSweep => "Session sweep",
            RunKind::Outbox => "E-mail outbox",
            RunKind::DirectoryRefresh => "Directory recount",
            RunKind::ReturnReminders => "Return reminders",
            RunKind::ImportPostcodes => "Postcode import",
            RunKind::ImportRecords => "Records import",
            RunKind::Demo => "Demo data",
            RunKind::Backup => "Backup",
            RunKind::PaymentPrepare => "Payment run",
            RunKind::DayActivities => "Day activities reminders and checks",
        }
    }

    /// Seconds between the scheduler's runs of a periodic kind; None for work someone asks for.
    pub fn interval(self) -> Option<i64> {
        match self {
            RunKind::SessionSweep => Some(300),
            RunKind::Outbox => Some(15),
            RunKind::DirectoryRefresh | RunKind::ReturnReminders => Some(3600),
            RunKind::DayActivities => Some(1800),
            RunKind::ImportPostcodes
            | RunKind::ImportRecords
            | RunKind::Demo
            | RunKind::Backup
            | RunKind::PaymentPrepare => None,
        }
    }

    /// How many times a run is claimed before a node that keeps dying makes it fail. The demo
    /// and a backup are run by the command that asked for them, so nothing takes them over.
    pub fn max_attempts(self) -> i64 {
        match self {
            RunKind::ImportPostcodes => 5,
            RunKind::Demo | RunKind::Backup => 1,
            _ => 3,
        }
    }

    /// Who may start a run of this kind, and the authority it is then for (None: the
    /// deployment's). The command line's system principal may start any; an authority's
    /// administrator may send their own authority's return reminders.
    fn authorise(self, who: &Principal) -> Result<Option<i64>, AppError> {
        if who.has(Permission::Maintain) {
            return Ok(None);
        }
        match self {
            RunKind::ReturnReminders | RunKind::ImportRecords | RunKind::DayActivities
                if who.has(Permission::Administer) =>
            {
                Ok(Some(who.authority_id()))
            }
            RunKind::PaymentPrepare if crate::App::is_finance(who) => Ok(Some(who.authority_id())),
            _ if who.has(Permission::BackOfficeRead) => Err(AppError::Forbidden),
            _ => Err(AppError::NotFound),
        }
    }
}

/// The file paths of a records import's parameters (`files`, an array of text).
fn import_paths(files: Option<&Value>) -> Vec<String> {
    files
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A run as the use cases show it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    pub id: i64,
    /// The stored kind (a kind this program does not know stays readable).
    pub kind: String,
    pub status: RunStatus,
    pub parameters: Value,
    pub authority_id: Option<i64>,
    pub requested_by: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    pub step: Option<String>,
    pub checkpoint: Option<Value>,
    pub result: Option<Value>,
    pub error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub heartbeat_at: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    audited: bool,
}

impl RunView {
    fn of(r: JobRun) -> RunView {
        let parse = |s: &Option<String>| s.as_deref().and_then(|t| serde_json::from_str(t).ok());
        RunView {
            id: r.id,
            status: RunStatus::parse(&r.status).unwrap_or(RunStatus::Failed),
            parameters: serde_json::from_str(&r.parameters).unwrap_or(Value::Null),
            checkpoint: parse(&r.checkpoint),
            result: parse(&r.result),
            kind: r.kind,
            authority_id: r.authority_id,
            requested_by: r.requested_by,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            progress_done: r.progress_done,
            progress_total: r.progress_total,
            step: r.step,
            error: r.error,
            lease_owner: r.lease_owner,
            lease_until: r.lease_until,
            heartbeat_at: r.heartbeat_at,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            audited: r.audited != 0,
        }
    }

    pub fn kind_label(&self) -> &str {
        match RunKind::parse(&self.kind) {
            Some(k) => k.label(),
            None => &self.kind,
        }
    }

    /// Work done as a whole percentage, when the total is known.
    pub fn percent(&self) -> Option<i64> {
        hearth_domain::runs::percent(self.progress_done, self.progress_total)
    }
}

/// A run a node has claimed: the run, and the handle its work reports through.
pub struct ClaimedRun {
    pub run: RunView,
    pub progress: Progress,
}

#[derive(Debug, Default)]
struct Reported {
    done: i64,
    total: Option<i64>,
    step: Option<String>,
}

/// The holder's handle on a claimed run: progress, checkpoints, heartbeat and the end. Every
/// write is lease-checked and unaudited (cheap): once another node has taken the run over, or
/// someone cancelled it, nothing more is written and [`Progress::is_lost`] is true.
#[derive(Clone)]
pub struct Progress {
    app: App,
    id: i64,
    owner: String,
    lease: i64,
    audited: bool,
    authority_id: Option<i64>,
    resume: Option<Value>,
    state: Arc<Mutex<Reported>>,
    lost: Arc<AtomicBool>,
    halt_after: Arc<AtomicU32>,
}

impl Progress {
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The node holding the lease.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The checkpoint the run was claimed with: where a run taken over resumes.
    pub fn resume_from(&self) -> Option<&Value> {
        self.resume.as_ref()
    }

    /// True once this node no longer holds the run (taken over, cancelled or ended).
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    fn lost_error(&self) -> AppError {
        AppError::Conflict(
            ConflictCode::Other,
            format!(
                "this node no longer holds run {} (another node took it over, or it was cancelled)",
                self.id
            ),
        )
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Reported> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Work done so far, as reported.
    pub fn done(&self) -> i64 {
        self.state().done
    }

    /// Notes progress without writing it (for work that reports from code that cannot wait):
    /// the next heartbeat writes it.
    pub fn note(&self, done: Option<i64>, step: Option<&str>) {
        let mut s = self.state();
        if let Some(d) = done {
            s.done = d;
        }
        if let Some(t) = step {
            s.step = Some(t.to_string());
        }
    }

    /// Notes how much work there is without writing it (the next heartbeat writes it).
    pub fn note_total(&self, total: i64) {
        self.state().total = Some(total.max(0));
    }

    /// Sets how much work there is, and writes it.
    pub async fn set_total(&self, total: i64) -> Result<(), AppError> {
        self.state().total = Some(total.max(0));
        self.heartbeat().await
    }

    /// Sets what it is doing now, and writes it.
    pub async fn step(&self, step: &str) -> Result<(), AppError> {
        self.note(None, Some(step));
        self.heartbeat().await
    }

    /// Adds `n` to the work done, and writes it.
    pub async fn advance(&self, n: i64) -> Result<(), AppError> {
        self.state().done += n;
        self.heartbeat().await
    }

    /// Moves the lease on and writes the progress noted. Err when the node no longer holds it.
    pub async fn heartbeat(&self) -> Result<(), AppError> {
        if self.is_lost() {
            return Err(self.lost_error());
        }
        let (done, total, step) = {
            let s = self.state();
            (s.done, s.total, s.step.clone())
        };
        let held = self
            .app
            .db
            .beat_job_run(
                self.id,
                &self.owner,
                self.app.now(),
                self.lease,
                done,
                total,
                step.as_deref(),
            )
            .await?;
        self.held(held)
    }

    fn held(&self, held: bool) -> Result<(), AppError> {
        if held {
            Ok(())
        } else {
            self.lost.store(true, Ordering::SeqCst);
            Err(self.lost_error())
        }
    }

    /// Records where the work has got to (`checkpoint`, JSON) with the work done so far: a node
    /// that takes the run over resumes from here.
    pub async fn checkpoint(&self, checkpoint: &Value) -> Result<(), AppError> {
        self.halt_if_asked()?;
        if self.is_lost() {
            return Err(self.lost_error());
        }
        let held = self
            .app
            .db
            .checkpoint_job_run(self.id, &self.owner, self.done(), &checkpoint.to_string())
            .await?;
        self.held(held)
    }

    /// Records a checkpoint inside the write transaction that did the work it marks, so both
    /// commit or neither does. The caller commits only on Ok.
    pub(crate) async fn checkpoint_in(
        &self,
        tx: &mut hearth_store::WriteTx,
        done: i64,
        checkpoint: &Value,
    ) -> Result<(), AppError> {
        self.halt_if_asked()?;
        let held = tx
            .checkpoint_job_run(self.id, &self.owner, done, &checkpoint.to_string())
            .await?;
        self.held(held)
    }

    /// A drill (and the tests' way to stop a node part-way): after `n` more checkpoints, the
    /// next one fails as if the node had died there, leaving the run running until its lease
    /// runs out and another node takes it over.
    pub fn halt_after_checkpoints(&self, n: u32) {
        self.halt_after.store(n + 1, Ordering::SeqCst);
    }

    fn halt_if_asked(&self) -> Result<(), AppError> {
        match self.halt_after.load(Ordering::SeqCst) {
            0 => Ok(()),
            1 => Err(AppError::Internal(format!(
                "run {} halted as asked (a drill)",
                self.id
            ))),
            n => {
                self.halt_after.store(n - 1, Ordering::SeqCst);
                Ok(())
            }
        }
    }

    fn end_actor(&self) -> Option<Actor> {
        self.audited.then(|| Actor {
            user_id: None,
            name: format!("runner:{}", self.owner),
            authority_id: self.authority_id,
        })
    }

    async fn end(&self, end: RunEnd) -> Result<RunView, AppError> {
        let actor = self.end_actor();
        let ended = self
            .app
            .db
            .end_job_run(self.id, &self.owner, &end, self.app.now(), actor.as_ref())
            .await?;
        match ended {
            Some(r) => {
                self.lost.store(true, Ordering::SeqCst);
                Ok(RunView::of(r))
            }
            None => {
                self.lost.store(true, Ordering::SeqCst);
                Err(self.lost_error())
            }
        }
    }

    /// Ends the run as done with its result (JSON).
    pub async fn finish(&self, result: &Value) -> Result<RunView, AppError> {
        {
            let mut s = self.state();
            if let Some(t) = s.total {
                s.done = t;
            }
        }
        let v = self.end(RunEnd::Done(result.to_string())).await?;
        self.app
            .stats
            .runs_done
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(v)
    }

    /// Ends the run as failed with the error.
    pub async fn fail(&self, error: &str) -> Result<RunView, AppError> {
        let error: String = error.chars().take(2_000).collect();
        let v = self.end(RunEnd::Failed(error)).await?;
        self.app
            .stats
            .runs_failed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(v)
    }
}

impl RunView {
    /// The run as a person sees it: a deployment's own run (an import, a backup) shows an
    /// authority's administrator what it is and how far it got, but not its parameters (file
    /// and folder names on the servers), its result or its error text; the command line sees
    /// everything.
    pub fn as_seen_by(mut self, who: &Principal) -> RunView {
        if self.authority_id.is_none() && !who.is_system() {
            self.parameters = Value::Null;
            self.result = None;
            self.checkpoint = None;
            if self.error.is_some() {
                self.error =
                    Some("the run did not finish: the server's operators can see why".into());
            }
        }
        self
    }
}

impl App {
    fn run_scope(&self, who: &Principal) -> Result<RunScope, AppError> {
        if who.is_system() {
            return Ok(RunScope::All);
        }
        who.require_or_hide(Permission::BackOfficeRead)?;
        Ok(RunScope::Authority {
            id: who.authority_id(),
            deployment: who.has(Permission::Administer),
        })
    }

    fn can_see_run(&self, who: &Principal, r: &JobRun) -> Result<bool, AppError> {
        Ok(match self.run_scope(who)? {
            RunScope::All => true,
            RunScope::Authority { id, deployment } => match r.authority_id {
                Some(a) => a == id,
                None => deployment,
            },
        })
    }

    /// Queues a run of `kind` with `parameters` (a JSON object), authorised per kind. A
    /// postcode import of a file already being imported (the same contents) gives that run
    /// back instead of a second one, so running the command again resumes it.
    pub async fn start_run(
        &self,
        who: &Principal,
        kind: RunKind,
        parameters: Value,
    ) -> Result<RunView, AppError> {
        let mut authority_id = kind.authorise(who)?;
        let Value::Object(mut params) = parameters else {
            return Err(AppError::invalid(
                "parameters",
                "Parameters must be a JSON object",
            ));
        };
        let text_param = |params: &serde_json::Map<String, Value>, name: &str| {
            params
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
                .ok_or_else(|| AppError::invalid(name, format!("Enter the {name}")))
        };
        match kind {
            RunKind::ImportPostcodes => {
                let file = text_param(&params, "file")?;
                let (digest, bytes) = file_digest(&file).await?;
                // Looked for among the active runs of the kind, not the newest few: the
                // scheduler adds hundreds of runs an hour.
                for r in self.db.active_job_runs(kind.as_str()).await? {
                    let v = RunView::of(r);
                    if v.status.is_active()
                        && v.parameters.get("sha256").and_then(Value::as_str)
                            == Some(digest.as_str())
                    {
                        return Ok(v);
                    }
                }
                params.insert("sha256".into(), json!(digest));
                params.insert("bytes".into(), json!(bytes));
            }
            RunKind::Backup => {
                text_param(&params, "file")?;
            }
            RunKind::ImportRecords => {
                // For one authority, whose chain its writes go to; each file's digest is
                // kept, and the run refuses a file changed since.
                let Some(a) = params.get("authority_id").and_then(Value::as_i64) else {
                    return Err(AppError::invalid("authority_id", "Give the authority"));
                };
                self.db.authority(a).await?.ok_or(AppError::NotFound)?;
                // An administrator imports into their own authority only.
                if authority_id.is_some_and(|own| own != a) {
                    return Err(AppError::NotFound);
                }
                authority_id = Some(a);
                if let Some(batch) = params.get("batch").and_then(Value::as_str) {
                    // Files uploaded in the browser, kept in the database.
                    self.batch_files(a, batch).await?;
                    params.remove("files");
                } else {
                    let paths = import_paths(params.get("files"));
                    if paths.is_empty() {
                        return Err(AppError::invalid("files", "Give the files to import"));
                    }
                    let mut digests = Vec::new();
                    for p in &paths {
                        digests.push(json!(file_digest(p).await?.0));
                    }
                    params.insert("sha256".into(), Value::Array(digests));
                }
            }
            _ => {}
        }
        let parameters = Value::Object(params).to_string();
        if parameters.chars().count() > MAX_PARAMETER_CHARS {
            return Err(AppError::invalid(
                "parameters",
                "The parameters are too long",
            ));
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .insert_job_run(&NewRun {
                kind: kind.as_str().to_string(),
                parameters,
                authority_id,
                max_attempts: kind.max_attempts(),
                progress_total: None,
            })
            .await?;
        tx.commit().await?;
        Ok(RunView::of(r))
    }

    /// The newest runs the principal may see (at most 100): an authority's staff see its
    /// runs, its administrators the deployment's too, the command line every run.
    pub async fn runs(&self, who: &Principal) -> Result<Vec<RunView>, AppError> {
        let scope = self.run_scope(who)?;
        Ok(self
            .db
            .job_runs(scope, 100)
            .await?
            .into_iter()
            .map(|r| RunView::of(r).as_seen_by(who))
            .collect())
    }

    /// One run; NotFound when there is none or the principal may not see it.
    pub async fn run(&self, who: &Principal, id: i64) -> Result<RunView, AppError> {
        let r = self.db.job_run(id).await?.ok_or(AppError::NotFound)?;
        if !self.can_see_run(who, &r)? {
            return Err(AppError::NotFound);
        }
        Ok(RunView::of(r).as_seen_by(who))
    }

    /// Cancels a queued or running run. Who may start a run of that kind for that authority
    /// may cancel it; others who may see it are refused, the rest told it does not exist. A
    /// running run's node stops at its next heartbeat.
    pub async fn cancel_run(&self, who: &Principal, id: i64) -> Result<RunView, AppError> {
        let view = self.run(who, id).await?;
        let allowed = match RunKind::parse(&view.kind).map(|k| k.authorise(who)) {
            Some(Ok(scope)) => who.is_system() || scope == view.authority_id,
            Some(Err(AppError::NotFound)) => return Err(AppError::NotFound),
            _ => false,
        };
        if !allowed {
            return Err(AppError::Forbidden);
        }
        view.status.next(RunEvent::Cancel).map_err(|e| {
            AppError::Conflict(
                ConflictCode::Other,
                format!("{e}: it is {}", view.status.as_str()),
            )
        })?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let Some(r) = tx.cancel_job_run(id).await? else {
            return Err(AppError::Conflict(
                ConflictCode::Other,
                "the run ended before it could be cancelled".into(),
            ));
        };
        tx.commit().await?;
        Ok(RunView::of(r))
    }

    fn claimed(&self, r: JobRun, owner: &str, lease: i64) -> ClaimedRun {
        let view = RunView::of(r);
        let progress = Progress {
            app: self.clone(),
            id: view.id,
            owner: owner.to_string(),
            lease,
            audited: view.audited,
            authority_id: view.authority_id,
            resume: view.checkpoint.clone(),
            state: Arc::new(Mutex::new(Reported {
                done: view.progress_done,
                total: view.progress_total,
                step: view.step.clone(),
            })),
            lost: Arc::new(AtomicBool::new(false)),
            halt_after: Arc::new(AtomicU32::new(0)),
        };
        ClaimedRun {
            run: view,
            progress,
        }
    }

    /// Claims the oldest run of one of `kinds` for `owner` (a node) with a lease of `lease`
    /// seconds: a queued run, or a running one whose lease ran out (its node died), which then
    /// resumes from its checkpoint. First marks failed the runs whose node died once too often.
    pub async fn claim_run(
        &self,
        kinds: &[RunKind],
        owner: &str,
        lease: i64,
    ) -> Result<Option<ClaimedRun>, AppError> {
        let now = self.now();
        let failed = self.db.fail_abandoned_job_runs(now).await?;
        if failed > 0 {
            tracing::warn!(
                runs = failed,
                "runs whose node stopped too often marked failed"
            );
        }
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        Ok(self
            .db
            .claim_job_run(&names, owner, now, lease)
            .await?
            .map(|r| self.claimed(r, owner, lease)))
    }

    /// Claims one run by id, on the same terms as [`App::claim_run`] (the command line runs
    /// the run it asked for). None when it is held by a live node or has ended.
    pub async fn claim_run_id(
        &self,
        id: i64,
        owner: &str,
        lease: i64,
    ) -> Result<Option<ClaimedRun>, AppError> {
        let now = self.now();
        self.db.fail_abandoned_job_runs(now).await?;
        Ok(self
            .db
            .claim_job_run_id(id, owner, now, lease)
            .await?
            .map(|r| self.claimed(r, owner, lease)))
    }

    /// Queues the scheduler's periodic run of `kind` unless one is queued or running; returns
    /// the run queued. Unaudited: the scheduler's bookkeeping, pruned after a day.
    pub async fn enqueue_periodic_run(
        &self,
        kind: RunKind,
        node: &str,
    ) -> Result<Option<RunView>, AppError> {
        if self.db.active_job_run(kind.as_str()).await?.is_some() {
            return Ok(None);
        }
        let r = self
            .db
            .enqueue_job_run(
                &NewRun {
                    kind: kind.as_str().to_string(),
                    parameters: "{}".into(),
                    authority_id: None,
                    max_attempts: kind.max_attempts(),
                    progress_total: None,
                },
                &format!("scheduler:{node}"),
                self.now(),
            )
            .await?;
        Ok(Some(RunView::of(r)))
    }

    /// Deletes the scheduler's runs that ended before `before`; returns how many.
    pub async fn prune_runs(&self, before: i64) -> Result<u64, AppError> {
        Ok(self.db.prune_job_runs(before).await?)
    }

    /// Runs an import of postcodes that `progress` holds: reads the file named in the run's
    /// parameters (refused if its contents changed since the run was started), then writes it
    /// in chunks of [`IMPORT_CHUNK_ROWS`], each chunk with its checkpoint (rows done) in the
    /// same transaction. A run taken over resumes after the last chunk saved. Then places every
    /// service at its postcode.
    pub async fn run_import_postcodes(
        &self,
        run: &RunView,
        progress: &Progress,
    ) -> Result<Value, AppError> {
        let file = run
            .parameters
            .get("file")
            .and_then(Value::as_str)
            .ok_or_else(|| AppError::invalid("file", "The run names no file"))?
            .to_string();
        progress.step("reading the file").await?;
        let (digest, _) = file_digest(&file).await?;
        if run.parameters.get("sha256").and_then(Value::as_str) != Some(digest.as_str()) {
            return Err(AppError::Conflict(
                ConflictCode::Stale,
                format!("{file} has changed since this import was started: start a new import"),
            ));
        }
        let path = file.clone();
        let (rows, skipped) = tokio::task::spawn_blocking(move || {
            let f = std::fs::File::open(&path).map_err(|e| format!("opening {path}: {e}"))?;
            hearth_docs::postcodes::read_onspd(f).map_err(|e| format!("{path}: {e}"))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|m| AppError::Conflict(ConflictCode::Other, m))?;
        let start = progress
            .resume_from()
            .and_then(|c| c.get("rows_done"))
            .and_then(Value::as_u64)
            .map_or(0, |n| (n as usize).min(rows.len()));
        let total = rows.len() as i64;
        progress.note(Some(start as i64), Some("importing postcodes"));
        progress.set_total(total).await?;
        let actor = Actor::system(&run.requested_by);
        let mut done = start;
        for chunk in rows[start..].chunks(IMPORT_CHUNK_ROWS) {
            let mut tx = self.begin_write(&actor).await?;
            tx.upsert_postcodes(chunk).await?;
            done += chunk.len();
            // Dropping the transaction on an error rolls the chunk back with its checkpoint.
            progress
                .checkpoint_in(&mut tx, done as i64, &json!({ "rows_done": done }))
                .await?;
            tx.commit().await?;
            progress.note(Some(done as i64), None);
        }
        progress.step("placing services at their postcodes").await?;
        let located = self.db.locate_services().await?;
        Ok(json!({
            "postcodes": rows.len(),
            "skipped": skipped,
            "resumed_from": start,
            "services_located": located,
        }))
    }

    /// Runs a records import that `progress` holds: reads the files named in the run's
    /// parameters (refused if one changed since the run was started), checks them again as the
    /// dry run did, then writes them. A run taken over starts again: what the first attempt
    /// wrote is found by its references and left alone, so it carries on where that stopped.
    pub async fn run_import_records(
        &self,
        run: &RunView,
        progress: &Progress,
    ) -> Result<Value, AppError> {
        let authority_id = run
            .parameters
            .get("authority_id")
            .and_then(Value::as_i64)
            .ok_or_else(|| AppError::invalid("authority_id", "The run names no authority"))?;
        let paths = import_paths(run.parameters.get("files"));
        let digests = run.parameters.get("sha256").and_then(Value::as_array);
        progress.step("reading the files").await?;
        let batch = run.parameters.get("batch").and_then(Value::as_str);
        let mut files = match batch {
            Some(b) => self.batch_files(authority_id, b).await?,
            None => Vec::new(),
        };
        for (i, path) in paths.iter().enumerate().filter(|_| batch.is_none()) {
            let bytes = tokio::fs::read(path).await.map_err(|e| {
                AppError::Conflict(ConflictCode::Other, format!("reading {path}: {e}"))
            })?;
            let digest = hex::encode(sha2::Sha256::digest(&bytes));
            if digests.and_then(|d| d.get(i)).and_then(Value::as_str) != Some(digest.as_str()) {
                return Err(AppError::Conflict(
                    ConflictCode::Stale,
                    format!("{path} has changed since this import was started: start a new import"),
                ));
            }
            let name = std::path::Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| path.clone());
            files.push(crate::import::InFile { name, bytes });
        }
        let who = Principal::system(&run.requested_by);
        progress.step("checking every row").await?;
        // The import checks every row again before it writes, and reports its total then.
        let report = self
            .import_records(&who, authority_id, &files, &|done, total, step| {
                progress.note_total(total as i64);
                progress.note(Some(done as i64), Some(step));
            })
            .await?;
        if !report.problems.is_empty() {
            return Err(AppError::Conflict(
                ConflictCode::Other,
                format!(
                    "the files have {} problems: run the import with --dry-run to see them",
                    report.problems.len()
                ),
            ));
        }
        if let Some(b) = batch {
            // Imported: the uploaded files are no longer needed.
            let mut tx = self.begin_write(&Actor::system(&run.requested_by)).await?;
            tx.delete_import_files(b).await?;
            tx.commit().await?;
        }
        Ok(json!({
            "written": report.written,
            "files": report.files.iter().map(|f| json!({"name": f.name, "sha256": f.sha256, "rows": f.rows})).collect::<Vec<_>>(),
            "records": report.counts.iter().map(|c| json!({
                "records": crate::import::Template::of(c.kind).name,
                "rows": c.rows,
                "new": c.new,
                "already": c.already,
            })).collect::<Vec<_>>(),
        }))
    }

    /// Runs a backup that `progress` holds: copies the SQLite database to the file named in
    /// the run's parameters.
    pub async fn run_backup(&self, run: &RunView, progress: &Progress) -> Result<Value, AppError> {
        let file = run
            .parameters
            .get("file")
            .and_then(Value::as_str)
            .ok_or_else(|| AppError::invalid("file", "The run names no file"))?
            .to_string();
        progress.set_total(1).await?;
        progress.step("copying the database").await?;
        self.db
            .backup_sqlite_to(&file)
            .await
            .map_err(|e| AppError::Conflict(ConflictCode::Other, e.to_string()))?;
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        Ok(json!({ "file": file, "bytes": bytes }))
    }
}

/// The SHA-256 (hex) and size of a file, read in a blocking task.
async fn file_digest(path: &str) -> Result<(String, u64), AppError> {
    let path = path.to_string();
    tokio::task::spawn_blocking(move || {
        use sha2::{Digest, Sha256};
        use std::io::Read;
        let mut f = std::fs::File::open(&path).map_err(|e| format!("opening {path}: {e}"))?;
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut bytes = 0u64;
        loop {
            let n = f
                .read(&mut buf)
                .map_err(|e| format!("reading {path}: {e}"))?;
            if n == 0 {
                break;
            }
            bytes += n as u64;
            hash.update(&buf[..n]);
        }
        Ok::<_, String>((hex::encode(hash.finalize()), bytes))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::invalid("file", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_back_and_periodic_ones_have_intervals() {
        for k in RunKind::ALL {
            assert_eq!(RunKind::parse(k.as_str()), Some(k));
            assert!(k.max_attempts() >= 1);
        }
        assert_eq!(RunKind::Outbox.interval(), Some(15));
        assert_eq!(RunKind::ImportPostcodes.interval(), None);
    }

    #[test]
    fn only_the_system_principal_starts_deployment_work() {
        let system = Principal::system("cli:test");
        for k in RunKind::ALL {
            assert_eq!(k.authorise(&system).ok(), Some(None), "{k:?}");
        }
    }
}
