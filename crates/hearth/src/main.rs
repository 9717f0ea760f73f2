//! `hearth`: the one program. Serves the web application, loads demo data, migrates the
//! database, administers users, verifies the audit trail, backs up and restores.

mod config;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use config::{Config, Overrides};
use hearth_app::maintenance::{self, ChainCheck, Database, DatabaseSettings};
use hearth_app::runs::{RunKind, RunView};
use hearth_app::Principal;
use hearth_app::{App, AppConfig};
use hearth_domain::runs::RunStatus;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    about = "Hearth: housing-related support commissioning — provider portal, back office, public directory",
    long_about = "Hearth runs a programme of housing-related support and day services: the provider portal, the commissioning team's back office and the public directory.\n\nStart with `hearth demo` to try it with generated data. Configuration comes from defaults, then hearth.toml (or --config), then HEARTH_* environment variables; DATABASE_URL chooses PostgreSQL instead of the embedded SQLite database. See docs/operations.md."
)]
struct Cli {
    /// Configuration file (default: ./hearth.toml if present, or $HEARTH_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Folder for the SQLite database, uploads and the mail folder (default ./data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct ServeArgs {
    /// Address and port to listen on, like 127.0.0.1:8080. Plain HTTP is for loopback only;
    /// on any other address cookies are Secure and Hearth must sit behind TLS.
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (runs migrations first).
    Serve(ServeArgs),
    /// Create or reset a demo database with generated data and demo accounts, then serve it.
    Demo {
        /// small (about 5 providers, 20 services, 300 current client schedules with history) or
        /// county (about 60 providers, 400 services, 12,000 current schedules with history).
        #[arg(long, default_value = "small")]
        scale: String,
        /// Seed of the generator: the same seed gives the same data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Load the data and stop, without serving.
        #[arg(long)]
        no_serve: bool,
        /// Also make this many accounts for a load test (mixed roles, each with its own
        /// password and TOTP secret, listed in demo-accounts.txt).
        #[arg(long, default_value_t = 0)]
        load_users: usize,
        /// Load only the records and accounts, without the two financial years of history
        /// (returns, requests, actions, documents) the demo otherwise has.
        #[arg(long)]
        no_history: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Apply pending database migrations and report the schema version.
    Migrate,
    /// Set up the authorities (councils) this deployment serves.
    #[command(subcommand)]
    Authority(AuthorityCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the SQLite database to FILE while Hearth keeps serving (consistent, online).
    Backup {
        /// Where to write the copy (must not exist).
        file: PathBuf,
    },
    /// Replace the SQLite database with a backup. Stop every `hearth serve` first.
    Restore {
        /// A file written by `hearth backup`.
        file: PathBuf,
    },
    /// Load reference data, or an authority's records from its old system.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write an authority's records in the import templates, or the empty templates.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Job runs: long work kept in the database, with its progress (see docs/operations.md).
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Payment runs, as a finance officer does them on the Payments page (see
    /// docs/guide-finance.md): prepare, preview, approve, commit, export.
    #[command(subcommand)]
    Payments(PaymentsCommand),
    /// Print the current code for a base32 TOTP secret (as an authenticator app would).
    Totp {
        /// The base32 secret, as in demo-accounts.txt.
        secret: String,
    },
    /// Dates: bank holidays in each part of the UK (needs no configuration or database).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Print the bank holidays of one part of the UK, one a line: the ISO date, a tab and
    /// the name. Computed from the rules, with the one-off days proclaimed since 1995.
    BankHolidays {
        /// england-and-wales, scotland or northern-ireland.
        #[arg(long, value_parser = ["england-and-wales", "scotland", "northern-ireland"])]
        region: String,
        /// The first year, 1995 to 2100.
        #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1995..=2100))]
        from: i32,
        /// The last year, 1995 to 2100 (default: the first year).
        #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1995..=2100))]
        to: Option<i32>,
    },
}

#[derive(Subcommand)]
enum AuthorityCommand {
    /// Add an authority with safe default settings (UK password policy, a second factor for
    /// everyone, 20 idle minutes). Then add its first administrator with
    /// `hearth user add --role administrator --authority CODE`.
    Add {
        /// Its short code: 2 to 10 letters or digits, starting with a letter (e.g. BRK).
        #[arg(long)]
        code: String,
        /// Its name as people see it (e.g. "Brackenshire County Council").
        #[arg(long)]
        name: String,
        /// Which part of the UK it is in, for its bank holidays: england-and-wales,
        /// scotland or northern-ireland.
        #[arg(long, default_value = "england-and-wales")]
        region: String,
    },
    /// List the authorities: code, name, region, staff accounts and providers.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; prints a temporary password that must be changed at first sign-in.
    Add {
        #[arg(long)]
        username: String,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// administrator, officer, contracts_manager, finance_officer, data_clerk, read_only,
        /// provider_user, or host_administrator (of the deployment: no --authority).
        #[arg(long)]
        role: String,
        /// Code of the authority (commissioning staff), for example BRK; none for a host
        /// administrator.
        #[arg(long)]
        authority: Option<String>,
        /// Id of the provider contact the user acts through (provider users).
        #[arg(long)]
        contact: Option<i64>,
        #[arg(long, default_value = "")]
        email: String,
    },
    /// List users.
    List,
    /// Give a user a temporary password (changed at first use) and end their sessions.
    ResetPassword { username: String },
    /// Lift a lock after repeated failed sign-ins.
    Unlock { username: String },
    /// Stop a user signing in and end their sessions.
    Disable { username: String },
    /// Remove a user's authenticator app so they set one up again at next sign-in.
    ResetTotp { username: String },
    /// Allow a disabled user to sign in again.
    Enable { username: String },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Load postcode centroids for distance searches from a CSV in the ONS Postcode Directory
    /// layout (columns pcds or pcd, lat, long; other columns ignored). Existing postcodes are
    /// updated; rows without coordinates are skipped.
    Postcodes {
        /// The CSV file, for example ONSPD_NOV_2026_UK.csv.
        file: PathBuf,
    },
    /// Load an authority's existing records from its old system: providers, services,
    /// properties, contracts, clients and client schedules, one CSV or XLSX file per template
    /// (`hearth export templates DIR` writes them; docs/operations.md lists every column).
    /// Every row is checked first, and nothing is written while any has a problem. Loading the
    /// same files again adds nothing.
    Records {
        /// The code of the authority the records are for, for example BRK.
        #[arg(long)]
        authority: String,
        /// Check the files and say what would be added, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Also write the problems found to this CSV file (file, line, column, reason).
        #[arg(long)]
        problems: Option<PathBuf>,
        /// The files, in any order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Write an authority's records to DIR in the import templates (one CSV per template,
    /// or XLSX with --xlsx): for data portability, or to check an import by round trip.
    Records {
        #[arg(long)]
        authority: String,
        /// Workbooks rather than CSV files.
        #[arg(long)]
        xlsx: bool,
        /// The folder to write to (made if missing).
        dir: PathBuf,
    },
    /// Write the empty import templates to DIR: a CSV and an XLSX for each, header row only.
    Templates { dir: PathBuf },
}

#[derive(Subcommand)]
enum RunsCommand {
    /// List the newest runs (at most 100), newest first: kind, status, progress and times (UK).
    List,
    /// Show one run: its parameters, progress, lease, checkpoint, result or error.
    Show {
        /// The run's number, as in `hearth runs list`.
        id: i64,
    },
}

#[derive(Subcommand)]
enum PaymentsCommand {
    /// Prepare the run of the period holding DATE, with a progress bar.
    Prepare {
        /// The finance officer who prepares it (the audit trail names them).
        #[arg(long = "as")]
        user: String,
        /// A date in the period (YYYY-MM-DD).
        #[arg(long)]
        period: chrono::NaiveDate,
    },
    /// The authority's runs, newest first, with their totals.
    List {
        #[arg(long = "as")]
        user: String,
    },
    /// A run's totals, by provider, and its exceptions; --csv FILE writes every line.
    Preview {
        #[arg(long = "as")]
        user: String,
        run: i64,
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Approve a prepared run: a finance officer other than the one who prepared it.
    Approve {
        #[arg(long = "as")]
        user: String,
        run: i64,
    },
    /// Pay an approved run, once.
    Commit {
        #[arg(long = "as")]
        user: String,
        run: i64,
    },
    /// Write a paid run's file for the finance system (CSV) to FILE.
    Export {
        #[arg(long = "as")]
        user: String,
        run: i64,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the chain of audit entries and report the first broken link.
    Verify,
}

/// The server's allocator (see the dependency's note in Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("hearth: {e:#}");
            std::process::exit(1);
        }
    }
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEARTH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.log_format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// The audit key: configured, or made once and kept in the data folder.
fn audit_key(config: &Config) -> Result<Vec<u8>> {
    if !config.audit_key.is_empty() {
        return Ok(config.audit_key.clone());
    }
    if !config.is_sqlite() {
        bail!("with PostgreSQL every node must share the audit key: set HEARTH_AUDIT_KEY or HEARTH_AUDIT_KEY_FILE");
    }
    let path = config.data_dir.join("audit.key");
    if let Ok(k) = std::fs::read_to_string(&path) {
        return Ok(k.trim().as_bytes().to_vec());
    }
    let mut b = [0u8; 32];
    rand::Rng::fill(&mut rand::thread_rng(), &mut b);
    let key = hex::encode(b);
    std::fs::create_dir_all(&config.data_dir)?;
    write_private(&path, key.as_bytes())?;
    Ok(key.into_bytes())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

/// Connects to the configured database with the deployment's audit key.
async fn connect(config: &Config, max_connections: u32) -> Result<Database> {
    hearth_app::open(&DatabaseSettings {
        url: config.database_url.clone(),
        max_connections,
        audit_key: audit_key(config)?,
    })
    .await
    .with_context(|| {
        format!(
            "opening the database {}",
            maintenance::redact(&config.database_url)
        )
    })
}

async fn open_db(config: &Config) -> Result<Database> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let db = connect(config, config.max_connections).await?;
    db.migrate().await?;
    Ok(db)
}

/// Opens the database for a maintenance command without changing its schema: it must be at
/// this program's version (run `hearth migrate` first).
async fn open_db_as_is(config: &Config) -> Result<Database> {
    if let Some(path) = config.sqlite_path() {
        if !path.exists() {
            bail!("there is no database at {} (check --data-dir, or run hearth migrate to create one)", path.display());
        }
        if config.audit_key.is_empty() && !config.data_dir.join("audit.key").exists() {
            bail!("{} has no audit.key: use the data folder the database came from, or set HEARTH_AUDIT_KEY", config.data_dir.display());
        }
    }
    let db = connect(config, config.max_connections.min(4)).await?;
    let version = db.schema_version().await?;
    let latest = maintenance::latest_version();
    if version > latest {
        bail!("the database schema is version {version}, newer than this program's {latest}: use a newer hearth");
    }
    if version < latest {
        bail!("the database schema is version {version}; this program needs {latest}: run `hearth migrate` (or start `hearth serve`) first");
    }
    Ok(db)
}

fn app_of(config: &Config, db: Database) -> App {
    db.app(AppConfig {
        idle_minutes: config.idle_minutes,
        absolute_hours: config.absolute_hours,
        public_requests_per_minute: config.public_requests_per_minute,
        directory_cache_seconds: config.directory_cache_seconds,
        ..AppConfig::default()
    })
}

async fn run(cli: Cli) -> Result<i32> {
    // The calendar needs neither the configuration nor the database: answer before either.
    if let Command::Calendar { command } = &cli.command {
        return calendar(command);
    }
    let listen = match &cli.command {
        Command::Serve(s) | Command::Demo { serve: s, .. } => s.listen.clone(),
        _ => None,
    };
    let overrides = Overrides {
        config_file: cli.config.clone(),
        listen,
        data_dir: cli.data_dir.clone(),
    };
    let config = Config::load(&overrides)?;
    init_logs(&config);
    match cli.command {
        Command::Serve(_) => {
            let started = Instant::now();
            let db = open_db(&config).await?;
            serve(config, db, started).await?;
            Ok(0)
        }
        Command::Demo {
            scale,
            seed,
            no_serve,
            load_users,
            no_history,
            ..
        } => {
            let started = Instant::now();
            let scale_name = scale.clone();
            let scale = hearth_app::demo::Scale::parse(&scale)
                .ok_or_else(|| anyhow!("--scale must be small, county or national"))?;
            let db = demo(&config, (scale, &scale_name), seed, load_users, !no_history).await?;
            if !no_serve {
                serve(config, db, started).await?;
            }
            Ok(0)
        }
        Command::Migrate => {
            let db = open_db(&config).await?;
            println!(
                "database schema is at version {}",
                db.schema_version().await?
            );
            Ok(0)
        }
        Command::Authority(cmd) => authority(&config, cmd).await,
        Command::User(cmd) => user(&config, cmd).await,
        Command::Audit(AuditCommand::Verify) => {
            let db = open_db_as_is(&config).await?;
            match db.audit_verify().await? {
                ChainCheck::Intact { entries } => {
                    println!("audit trail intact: {entries} entries verified");
                    Ok(0)
                }
                ChainCheck::Broken { entry_id, reason } => {
                    println!("audit trail BROKEN at entry {entry_id}: {reason}");
                    Ok(2)
                }
            }
        }
        Command::Backup { file } => {
            if file.exists() {
                bail!("{} already exists; choose a new file", file.display());
            }
            let db = open_db_as_is(&config).await?;
            let app = app_of(&config, db);
            let t = Instant::now();
            let path = file
                .to_str()
                .ok_or_else(|| anyhow!("backup path must be valid UTF-8"))?;
            let system = Principal::system(&format!("cli:{}", whoami()));
            let run = app
                .start_run(&system, RunKind::Backup, json!({ "file": path }))
                .await?;
            let runner = cli_runner(&config, &app)?;
            let (view, _) = follow(
                &app,
                &system,
                run.id,
                run_here(runner, &app, &system, run.id),
            )
            .await?;
            let size = view
                .result
                .as_ref()
                .and_then(|r| r.get("bytes"))
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            println!(
                "backed up to {} ({} bytes) in {:.2?} (run {})",
                file.display(),
                size,
                t.elapsed(),
                view.id
            );
            Ok(0)
        }
        Command::Restore { file } => restore(&config, &file).await,
        Command::Import(ImportCommand::Postcodes { file }) => {
            let db = open_db_as_is(&config).await?;
            let app = app_of(&config, db);
            let t = Instant::now();
            let file = std::fs::canonicalize(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let path = file
                .to_str()
                .ok_or_else(|| anyhow!("the file's path must be valid UTF-8"))?;
            let system = Principal::system(&format!("cli:{}", whoami()));
            // The same file again while its import is unfinished gives back that run, which
            // then resumes from its checkpoint.
            let run = app
                .start_run(&system, RunKind::ImportPostcodes, json!({ "file": path }))
                .await?;
            if run.attempts > 0 {
                eprintln!(
                    "run {} is already importing this file ({} of {} rows saved); it resumes from there{}",
                    run.id,
                    run.progress_done,
                    run.progress_total.map_or("?".to_string(), |n| n.to_string()),
                    match (&run.lease_owner, run.lease_until) {
                        (Some(owner), Some(until)) if until >= hearth_app::now() => format!(
                            " once {owner}'s lease runs out at {}",
                            hearth_domain::clock::display_time(until)
                        ),
                        _ => String::new(),
                    }
                );
            }
            let runner = cli_runner(&config, &app)?;
            let (view, _) = follow(
                &app,
                &system,
                run.id,
                run_here(runner, &app, &system, run.id),
            )
            .await?;
            let n = |name: &str| {
                view.result
                    .as_ref()
                    .and_then(|r| r.get(name))
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0)
            };
            println!(
                "imported {} postcodes ({} rows skipped: no coordinates or not a postcode) in {:.1?}; {} services located (run {}{})",
                n("postcodes"),
                n("skipped"),
                t.elapsed(),
                n("services_located"),
                view.id,
                match n("resumed_from") {
                    0 => String::new(),
                    from => format!(", resumed after row {from}"),
                }
            );
            Ok(0)
        }
        Command::Import(ImportCommand::Records {
            authority,
            dry_run,
            problems,
            files,
        }) => import_records(&config, &authority, dry_run, problems, &files).await,
        Command::Export(cmd) => export(&config, cmd).await,
        Command::Payments(cmd) => payments(&config, cmd).await,
        Command::Runs(cmd) => {
            let db = open_db_as_is(&config).await?;
            let app = app_of(&config, db);
            let system = Principal::system(&format!("cli:{}", whoami()));
            runs(&app, &system, cmd).await
        }
        Command::Totp { secret } => {
            let now = u64::try_from(hearth_app::now()).unwrap_or(0);
            let code = hearth_app::accounts::totp_code(secret.trim(), now)
                .ok_or_else(|| anyhow!("that is not a valid base32 secret"))?;
            println!("{code}");
            Ok(0)
        }
        Command::Calendar { command } => calendar(&command),
    }
}

fn calendar(command: &CalendarCommand) -> Result<i32> {
    use hearth_domain::calendar::{bank_holidays, Region};
    match command {
        CalendarCommand::BankHolidays { region, from, to } => {
            let region = Region::parse(region).ok_or_else(|| {
                anyhow!("--region must be england-and-wales, scotland or northern-ireland")
            })?;
            let (from, to) = (*from, to.unwrap_or(*from));
            if from > to {
                bail!("--from {from} is after --to {to}: give the first year, then the last");
            }
            let mut lines = String::new();
            for year in from..=to {
                for h in bank_holidays(region, year) {
                    lines.push_str(&format!("{}\t{}\n", h.date, h.name));
                }
            }
            let mut out = std::io::stdout().lock();
            match out.write_all(lines.as_bytes()).and_then(|()| out.flush()) {
                // Piped into `head`, say: stopping early is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
                other => other.map(|()| 0).context("writing the bank holidays"),
            }
        }
    }
}

/// The runner the command line runs its own runs with: the node's name, a heartbeat every
/// second (so the progress bar moves) and a lease of two minutes (a busy SQLite database can
/// hold a heartbeat up for a while).
fn cli_runner(config: &Config, app: &App) -> Result<hearth_jobs::Scheduler> {
    let mail = hearth_jobs::MailTransport::new(&config.mail).map_err(|e| anyhow!(e))?;
    Ok(
        hearth_jobs::Scheduler::new(app.clone(), &format!("{}-cli", config.node_name), mail)
            .with_beat(Duration::from_secs(1), CLI_LEASE),
    )
}

/// Seconds the command line's claim on a run lasts without a heartbeat.
const CLI_LEASE: i64 = 120;

/// Runs run `id` in this process once it can be claimed (at once when queued; when its lease
/// runs out if another process holds it), until it has ended.
fn run_here(
    runner: hearth_jobs::Scheduler,
    app: &App,
    who: &Principal,
    id: i64,
) -> tokio::task::JoinHandle<Result<()>> {
    let (app, who) = (app.clone(), who.clone());
    tokio::spawn(async move {
        loop {
            if runner.run_id(id).await?.is_some() {
                return Ok(());
            }
            if app.run(&who, id).await?.status.is_final() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// Shows run `id`'s progress in the terminal while `work` runs it: a progress bar drawn from
/// the run's progress in the database (so it is the same whoever runs it). indicatif hides the
/// bar when stderr is not a terminal. Returns the run as it ended; Err unless it is done.
async fn follow<T>(
    app: &App,
    who: &Principal,
    id: i64,
    mut work: tokio::task::JoinHandle<Result<T>>,
) -> Result<(RunView, Option<T>)> {
    use indicatif::{ProgressBar, ProgressStyle};
    let bar = ProgressBar::new_spinner();
    let counted = ProgressStyle::with_template(
        "{spinner} {prefix} {msg} [{bar:30}] {pos}/{len} ({percent}%) {elapsed}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    let open = ProgressStyle::with_template("{spinner} {prefix} {msg} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(open.clone());
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut counting = false;
    let mut finished = false;
    let mut out = None;
    let view = loop {
        let view = app.run(who, id).await?;
        bar.set_prefix(format!(
            "run {} {}",
            view.id,
            view.kind_label().to_lowercase()
        ));
        bar.set_message(
            view.step
                .clone()
                .unwrap_or_else(|| view.status.label().to_lowercase()),
        );
        match view.progress_total {
            Some(total) => {
                if !counting {
                    bar.set_style(counted.clone());
                    counting = true;
                }
                bar.set_length(u64::try_from(total).unwrap_or(0));
                bar.set_position(u64::try_from(view.progress_done).unwrap_or(0));
            }
            None if counting => bar.set_style(open.clone()),
            None => {}
        }
        if view.status.is_final() || finished {
            break view;
        }
        tokio::select! {
            r = &mut work => {
                out = Some(r.map_err(|e| anyhow!("the run's task stopped: {e}"))??);
                finished = true;
            }
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    };
    bar.finish_and_clear();
    if out.is_none() && matches!(view.status, RunStatus::Done) {
        // The task marks its run done a moment before it returns what it made: a busy
        // machine can read the run in between ("the demo's run ended without its accounts").
        if let Ok(r) = tokio::time::timeout(Duration::from_secs(60), &mut work).await {
            out = Some(r.map_err(|e| anyhow!("the run's task stopped: {e}"))??);
        }
    }
    if !work.is_finished() {
        work.abort();
    }
    match view.status {
        RunStatus::Done => Ok((view, out)),
        RunStatus::Failed => bail!(
            "run {} failed: {}",
            view.id,
            view.error.as_deref().unwrap_or("no reason given")
        ),
        RunStatus::Cancelled => bail!("run {} was cancelled", view.id),
        RunStatus::Queued | RunStatus::Running => bail!(
            "run {} is still {} (see hearth runs show {})",
            view.id,
            view.status.as_str(),
            view.id
        ),
    }
}

fn uk(ts: Option<i64>) -> String {
    ts.map_or_else(|| "-".to_string(), hearth_domain::clock::display_time)
}

async fn runs(app: &App, who: &Principal, cmd: RunsCommand) -> Result<i32> {
    match cmd {
        RunsCommand::List => {
            println!(
                "{:>6}  {:<18} {:<10} {:<16} {:<24} {:<24} requested by",
                "run", "kind", "status", "progress", "started", "finished"
            );
            for r in app.runs(who).await? {
                let progress = match (r.progress_total, r.percent()) {
                    (Some(t), Some(p)) => format!("{}/{t} {p}%", r.progress_done),
                    _ if r.progress_done > 0 => r.progress_done.to_string(),
                    _ => "-".to_string(),
                };
                println!(
                    "{:>6}  {:<18} {:<10} {:<16} {:<24} {:<24} {}",
                    r.id,
                    r.kind,
                    r.status.as_str(),
                    progress,
                    uk(r.started_at),
                    uk(r.finished_at),
                    r.requested_by
                );
            }
            Ok(0)
        }
        RunsCommand::Show { id } => {
            let r = match app.run(who, id).await {
                Err(hearth_app::AppError::NotFound) => bail!("there is no run {id}"),
                other => other?,
            };
            let json = |v: &Option<serde_json::Value>| {
                v.as_ref()
                    .map_or_else(|| "-".to_string(), |v| v.to_string())
            };
            println!("run            {}", r.id);
            println!("kind           {} ({})", r.kind, r.kind_label());
            println!("status         {}", r.status.as_str());
            println!("parameters     {}", r.parameters);
            println!(
                "authority      {}",
                r.authority_id.map_or("-".to_string(), |a| a.to_string())
            );
            println!("requested by   {}", r.requested_by);
            println!(
                "progress       {}{}{}",
                r.progress_done,
                r.progress_total
                    .map_or(String::new(), |t| format!(" of {t}")),
                r.percent().map_or(String::new(), |p| format!(" ({p}%)"))
            );
            println!("step           {}", r.step.as_deref().unwrap_or("-"));
            println!("attempts       {} of {}", r.attempts, r.max_attempts);
            println!("checkpoint     {}", json(&r.checkpoint));
            println!(
                "lease          {} until {}",
                r.lease_owner.as_deref().unwrap_or("-"),
                uk(r.lease_until)
            );
            println!("heartbeat      {}", uk(r.heartbeat_at));
            println!("created        {}", uk(Some(r.created_at)));
            println!("started        {}", uk(r.started_at));
            println!("finished       {}", uk(r.finished_at));
            println!("result         {}", json(&r.result));
            println!("error          {}", r.error.as_deref().unwrap_or("-"));
            Ok(0)
        }
    }
}

async fn restore(config: &Config, file: &Path) -> Result<i32> {
    let target = config.sqlite_path().ok_or_else(|| {
        anyhow!("restore replaces the embedded SQLite database; restore PostgreSQL with pg_restore")
    })?;
    if config.audit_key.is_empty() && !config.data_dir.join("audit.key").exists() {
        bail!(
            "{} has no audit.key, so the backup's audit trail cannot be verified: copy audit.key from the data folder the backup came from (or set HEARTH_AUDIT_KEY) first",
            config.data_dir.display()
        );
    }
    // Check a copy of the backup next to the database before touching the database itself.
    let tmp = target.with_extension("db.restoring");
    std::fs::copy(file, &tmp)
        .with_context(|| format!("copying {} to {}", file.display(), tmp.display()))?;
    let checked = check_backup(config, &tmp).await;
    for ext in ["db.restoring-wal", "db.restoring-shm"] {
        let _ = std::fs::remove_file(target.with_extension(ext));
    }
    let (version, report) = match checked {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    for ext in ["db-wal", "db-shm"] {
        let _ = std::fs::remove_file(target.with_extension(ext));
    }
    std::fs::rename(&tmp, &target)?;
    println!(
        "restored {} to {} (schema version {version}; audit trail: {report:?})",
        file.display(),
        target.display()
    );
    Ok(0)
}

/// Integrity, schema version and audit chain of a database file.
async fn check_backup(config: &Config, path: &Path) -> Result<(i64, ChainCheck)> {
    let mut header = [0u8; 16];
    let is_sqlite = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
        .is_ok()
        && &header == b"SQLite format 3\0";
    if !is_sqlite {
        bail!(
            "{} is not an SQLite database written by hearth backup",
            path.display()
        );
    }
    let check = hearth_app::open(&DatabaseSettings {
        url: format!("sqlite://{}", path.display()),
        max_connections: 1,
        audit_key: audit_key(config)?,
    })
    .await
    .with_context(|| format!("opening backup {}", path.display()))?;
    let result = async {
        let integrity = check.integrity_check().await?;
        if integrity != "ok" {
            bail!("the backup failed its integrity check: {integrity}");
        }
        let version = check.schema_version().await?;
        if version > maintenance::latest_version() {
            bail!("the backup's schema (version {version}) is newer than this program");
        }
        let report = check.audit_verify().await?;
        if let ChainCheck::Broken { entry_id, reason } = &report {
            bail!(
                "the backup's audit trail does not verify with this data folder's audit key (entry {entry_id}: {reason}). \
                 Restore into the data folder the backup came from, or copy its audit.key (or set HEARTH_AUDIT_KEY) first"
            );
        }
        Ok((version, report))
    }
    .await;
    check.close().await;
    result
}

async fn authority(config: &Config, cmd: AuthorityCommand) -> Result<i32> {
    let db = open_db_as_is(config).await?;
    let app = app_of(config, db);
    let actor = Principal::system(&format!("cli:{}", whoami()));
    match cmd {
        AuthorityCommand::Add { code, name, region } => {
            let input = hearth_app::authorities::NewAuthority { code, name, region };
            match app.add_authority(&actor, &input).await {
                Ok(a) => {
                    println!("added {} ({}), {}", a.name, a.code, a.region.label());
                    println!(
                        "next: hearth user add --username NAME --name \"FULL NAME\" --role administrator --authority {}",
                        a.code
                    );
                    Ok(0)
                }
                Err(hearth_app::AppError::Invalid(errors)) => {
                    for (field, msg) in errors.0 {
                        eprintln!("{field}: {msg}");
                    }
                    Ok(2)
                }
                Err(e) => Err(e.into()),
            }
        }
        AuthorityCommand::List => {
            let list = app.list_authorities(&actor).await?;
            if list.is_empty() {
                println!(
                    "no authorities yet: add one with hearth authority add --code CODE --name NAME"
                );
                return Ok(0);
            }
            println!(
                "{:<10} {:<36} {:<18} {:>6} {:>9}",
                "code", "name", "region", "staff", "providers"
            );
            for a in list {
                println!(
                    "{:<10} {:<36} {:<18} {:>6} {:>9}",
                    a.code,
                    a.name,
                    a.region.label(),
                    a.staff,
                    a.providers
                );
            }
            Ok(0)
        }
    }
}

async fn user(config: &Config, cmd: UserCommand) -> Result<i32> {
    let db = open_db_as_is(config).await?;
    let app = app_of(config, db);
    let actor = Principal::system(&format!("cli:{}", whoami()));
    let find = |username: String| {
        let app = app.clone();
        let actor = actor.clone();
        async move {
            match app.user_named(&actor, &username).await {
                Err(hearth_app::AppError::NotFound) => Err(anyhow!("there is no user {username}")),
                other => Ok(other?),
            }
        }
    };
    match cmd {
        UserCommand::Add {
            username,
            name,
            role,
            authority,
            contact,
            email,
        } => {
            let authority_id = match authority {
                Some(code) => {
                    let code = hearth_domain::AuthorityCode::parse(&code)
                        .map_err(|e| anyhow!("--authority: {}", e.message))?;
                    Some(
                        app.authority_by_code(&actor, &code)
                            .await?
                            .ok_or_else(|| anyhow!("there is no authority with code {code}"))?,
                    )
                }
                None => None,
            };
            let temp = hearth_app::admin::temporary_password();
            let input = hearth_app::admin::UserInput {
                username,
                display_name: name,
                email,
                role,
                authority_id,
                contact_id: contact,
            };
            match app.create_user(&actor, &input, &temp, None, true).await {
                Ok(u) => {
                    println!(
                        "added {} ({}); temporary password: {temp}",
                        u.username, u.role
                    );
                    println!(
                        "they must change it and set up an authenticator app at first sign-in"
                    );
                    Ok(0)
                }
                Err(hearth_app::AppError::Invalid(errors)) => {
                    for (field, msg) in errors.0 {
                        eprintln!("{field}: {msg}");
                    }
                    Ok(2)
                }
                Err(e) => Err(e.into()),
            }
        }
        UserCommand::List => {
            let now = hearth_app::now();
            println!("{:<20} {:<18} {:<28} state", "username", "role", "name");
            for u in app.list_users(&actor).await? {
                let state = if u.disabled != 0 {
                    "disabled"
                } else if u.locked_until.is_some_and(|t| t > now) {
                    "locked"
                } else {
                    "active"
                };
                println!(
                    "{:<20} {:<18} {:<28} {state}",
                    u.username, u.role, u.display_name
                );
            }
            Ok(0)
        }
        UserCommand::ResetPassword { username } => {
            let u = find(username).await?;
            let temp = app.reset_password(&actor, u.id).await?;
            println!(
                "temporary password for {}: {temp} (must be changed at next sign-in)",
                u.username
            );
            Ok(0)
        }
        UserCommand::Unlock { username } => {
            let u = find(username).await?;
            app.unlock_user(&actor, u.id).await?;
            println!("unlocked {}", u.username);
            Ok(0)
        }
        UserCommand::Disable { username } => {
            let u = find(username).await?;
            app.set_user_disabled(&actor, u.id, true).await?;
            println!("disabled {} and ended their sessions", u.username);
            Ok(0)
        }
        UserCommand::ResetTotp { username } => {
            let u = find(username).await?;
            app.reset_totp(&actor, u.id).await?;
            println!(
                "{} will set up an authenticator app at next sign-in; their sessions have ended",
                u.username
            );
            Ok(0)
        }
        UserCommand::Enable { username } => {
            let u = find(username).await?;
            app.set_user_disabled(&actor, u.id, false).await?;
            println!("enabled {}", u.username);
            Ok(0)
        }
    }
}

fn whoami() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "operator".into())
}

async fn demo(
    config: &Config,
    (scale, scale_name): (hearth_app::demo::Scale, &str),
    seed: u64,
    load_users: usize,
    history: bool,
) -> Result<Database> {
    if let Some(path) = config.sqlite_path() {
        for ext in ["db", "db-wal", "db-shm"] {
            let p = path.with_extension(ext);
            if p.exists() {
                std::fs::remove_file(&p)
                    .with_context(|| format!("removing old demo database {}", p.display()))?;
            }
        }
    } else {
        // On PostgreSQL the demo loads into an empty database, or replaces an earlier demo;
        // it never touches a database that holds anything else.
        let db = connect(config, 2).await?;
        if db.holds_only_a_demo().await? {
            eprintln!(
                "replacing the earlier demo in {}",
                hearth_app::maintenance::redact(&config.database_url)
            );
            db.clear_earlier_demo().await?;
        } else if db.schema_version().await? != 0 {
            bail!("the demo loads only into an empty PostgreSQL database or one that holds an earlier demo, and this one holds other data: create a new database for it (createdb) and point DATABASE_URL at that");
        }
        db.close().await;
    }
    let _ = std::fs::remove_dir_all(config.data_dir.join("mail"));
    let db = open_db(config).await?;
    let app = app_of(config, db.clone());
    let t = Instant::now();
    let system = Principal::system(&format!("cli:{}", whoami()));
    let run = app
        .start_run(
            &system,
            RunKind::Demo,
            json!({ "scale": scale_name, "seed": seed, "load_users": load_users }),
        )
        .await?;
    let runner = cli_runner(config, &app)?;
    let claimed = app
        .claim_run_id(run.id, runner.owner(), CLI_LEASE)
        .await?
        .ok_or_else(|| anyhow!("could not claim the demo's run {}", run.id))?;
    let loader = app.clone();
    let work = tokio::spawn(async move {
        let progress = claimed.progress;
        // The loader's steps, and one more for load-test accounts.
        progress
            .set_total(5 + i64::from(history) * 2 + i64::from(load_users > 0))
            .await?;
        let steps = std::sync::atomic::AtomicI64::new(0);
        let note = |step: &str| {
            let n = steps.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            progress.note(Some(n), Some(step));
        };
        let loaded = hearth_jobs::drive(&progress, Duration::from_secs(1), async {
            let mut summary = loader.load_demo(scale, seed, &note).await?;
            if history {
                summary.history = Some(loader.load_demo_history(seed, &note).await?);
            }
            if load_users > 0 {
                note(&format!("making {load_users} load-test accounts"));
                summary
                    .accounts
                    .extend(loader.add_load_accounts(load_users).await?);
            }
            Ok(summary)
        })
        .await;
        match loaded {
            Ok(summary) => {
                // Counts only: the accounts' passwords never go into the database.
                progress
                    .finish(&json!({
                        "authorities": summary.authorities,
                        "providers": summary.providers,
                        "services": summary.services,
                        "contracts": summary.contracts,
                        "clients": summary.clients,
                        "schedules": summary.schedules,
                        "accounts": summary.accounts.len(),
                        "returns": summary.history.as_ref().map(|h| h.returns),
                        "requests": summary.history.as_ref().map(|h| h.requests),
                    }))
                    .await?;
                Ok(summary)
            }
            Err(e) => {
                let _ = progress.fail(&e.to_string()).await;
                Err(anyhow!(e))
            }
        }
    });
    let (_, summary) = follow(&app, &system, run.id, work).await?;
    let summary = summary.ok_or_else(|| anyhow!("the demo's run ended without its accounts"))?;
    eprintln!(
        "demo: loaded {} authorities, {} providers, {} services, {} contracts, {} clients, {} schedules in {:.1?}",
        summary.authorities,
        summary.providers,
        summary.services,
        summary.contracts,
        summary.clients,
        summary.schedules,
        t.elapsed()
    );
    if let Some(h) = &summary.history {
        eprintln!(
            "demo: history of {} returns, {} requests, {} actions and {} contract documents",
            h.returns, h.requests, h.actions, h.documents
        );
    }
    // One line per account, tab-separated: role, username, password, base32 TOTP secret.
    let mut file = String::new();
    for a in &summary.accounts {
        file.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            a.role, a.username, a.password, a.totp_secret
        ));
    }
    let path = config.data_dir.join("demo-accounts.txt");
    write_private(&path, file.as_bytes())?;
    // The invented postcodes, in the ONS Postcode Directory layout `hearth import postcodes` reads.
    let mut pcs = String::from("pcd,pcds,lat,long\n");
    for (p, la, lo) in &summary.postcodes {
        pcs.push_str(&format!("{},{p},{la:.6},{lo:.6}\n", p.replace(' ', "")));
    }
    std::fs::write(config.data_dir.join("demo-postcodes.csv"), pcs)?;
    let url = format!("http://{}", config.listen);
    println!();
    println!("Hearth demo: browse to {url}/login (the public directory is at {url}/directory)");
    println!();
    println!("Sign in with a username and password below, then the 6-digit code from an authenticator app");
    println!(
        "(add the account's secret to the app as a time-based key), or run: hearth totp SECRET"
    );
    println!();
    println!(
        "{:<18} {:<10} {:<24} {:<34} who",
        "role", "username", "password", "TOTP secret (base32)"
    );
    for a in &summary.accounts {
        println!(
            "{:<18} {:<10} {:<24} {:<34} {}",
            a.role, a.username, a.password, a.totp_secret, a.description
        );
    }
    println!();
    println!("These are also in {} (one line per account: role, username, password, secret; tab-separated).", path.display());
    println!();
    Ok(db)
}

async fn serve(config: Config, db: Database, started: Instant) -> Result<()> {
    let app = app_of(&config, db);
    let https = config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    // Plain HTTP only on loopback: anywhere else cookies are Secure (Hearth sits behind TLS).
    let secure_cookies = https || !config.listen.ip().is_loopback();
    let web = hearth_web::WebConfig {
        secure_cookies,
        hsts: https,
        node_name: config.node_name.clone(),
        trusted_proxies: config.trusted_proxies.clone(),
        metrics_addr: config.metrics_addr,
        ..Default::default()
    };
    if config.trusted_proxies.is_empty() && !config.listen.ip().is_loopback() {
        // Behind a proxy with none trusted, every request seems to come from the proxy, and one
        // client's sign-in failures would slow everyone: say so where the operator will see it.
        tracing::warn!(
            "trusted_proxies is empty: if Hearth is behind a proxy, set it to the proxy's address, \
             or the rate limits count every client as the proxy"
        );
    }
    if config.run_jobs {
        let mail = hearth_jobs::MailTransport::new(&config.mail).map_err(|e| anyhow!(e))?;
        let scheduler = hearth_jobs::Scheduler::new(app.clone(), &config.node_name, mail);
        tokio::spawn(scheduler.run_forever());
    }
    let routers = hearth_web::routers(app.clone(), web);
    let router = routers.app;
    if let Some(addr) = config.metrics_addr {
        // Prometheus scrapes this address; the main listener then answers 404 for /metrics.
        let metrics_listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening for metrics on {addr}"))?;
        tracing::info!(metrics = %addr, "metrics served");
        let metrics = routers.metrics;
        tokio::spawn(async move {
            if let Err(e) = axum::serve(metrics_listener, metrics).await {
                tracing::error!(error = %e, "metrics listener stopped");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!(
        listen = %config.listen,
        node = %config.node_name,
        database = %maintenance::redact(&config.database_url),
        ready_ms = started.elapsed().as_millis() as u64,
        "hearth ready"
    );
    println!(
        "hearth: ready on http://{} (node {})",
        config.listen, config.node_name
    );
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = ctrl_c.await;
                        return;
                    }
                };
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    })
    .await?;
    app.close().await;
    Ok(())
}

/// The id of the authority with `code`, for a command's `--authority`.
async fn authority_id_of(app: &App, who: &Principal, code: &str) -> Result<i64> {
    let code = hearth_domain::AuthorityCode::parse(code)
        .map_err(|e| anyhow!("--authority: {}", e.message))?;
    app.authority_by_code(who, &code)
        .await?
        .ok_or_else(|| anyhow!("there is no authority with code {code}"))
}

/// `hearth import records`: a dry run always; then, unless asked only for that or a problem
/// was found, the import as a job run with its progress.
async fn import_records(
    config: &Config,
    authority: &str,
    dry_run: bool,
    problems: Option<PathBuf>,
    paths: &[PathBuf],
) -> Result<i32> {
    let db = open_db_as_is(config).await?;
    let app = app_of(config, db);
    let system = Principal::system(&format!("cli:{}", whoami()));
    let authority_id = authority_id_of(&app, &system, authority).await?;
    let t = Instant::now();
    let mut files = Vec::new();
    let mut full = Vec::new();
    for p in paths {
        let path = std::fs::canonicalize(p).with_context(|| format!("opening {}", p.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        full.push(
            path.to_str()
                .ok_or_else(|| anyhow!("the file's path must be valid UTF-8"))?
                .to_string(),
        );
        files.push(hearth_app::import::InFile { name, bytes });
    }
    let report = app.import_dry_run(&system, authority_id, &files).await?;
    for f in &report.files {
        println!(
            "{}: {} ({} rows, sha256 {})",
            f.name,
            f.template.unwrap_or("not a template"),
            f.rows,
            &f.sha256[..12]
        );
    }
    for c in &report.counts {
        println!(
            "  {:<10} {:>9} new {:>9} already in Hearth",
            hearth_app::import::Template::of(c.kind).name,
            c.new,
            c.already
        );
    }
    if let Some(out) = &problems {
        std::fs::write(out, report.problems_csv()?)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if !report.problems.is_empty() {
        for p in report.problems.iter().take(100) {
            if p.column.is_empty() {
                eprintln!("{}:{}: {}", p.file, p.line, p.reason);
            } else {
                eprintln!("{}:{}: {}: {}", p.file, p.line, p.column, p.reason);
            }
        }
        if report.problems.len() > 100 {
            eprintln!("... and {} more", report.problems.len() - 100);
        }
        eprintln!(
            "{} problems: nothing was imported{}",
            report.problems.len(),
            if problems.is_some() {
                ""
            } else {
                " (--problems FILE writes them all to a CSV)"
            }
        );
        return Ok(2);
    }
    if dry_run {
        println!("no problems found: run again without --dry-run to import");
        return Ok(0);
    }
    if report.counts.iter().all(|c| c.new == 0) {
        println!("nothing to import: every record is already in Hearth");
        return Ok(0);
    }
    let run = app
        .start_run(
            &system,
            RunKind::ImportRecords,
            json!({ "authority_id": authority_id, "files": full }),
        )
        .await?;
    let runner = cli_runner(config, &app)?;
    let (view, _) = follow(
        &app,
        &system,
        run.id,
        run_here(runner, &app, &system, run.id),
    )
    .await?;
    println!(
        "imported into {authority} in {:.1?} (run {}): {}",
        t.elapsed(),
        view.id,
        report
            .counts
            .iter()
            .map(|c| format!(
                "{} {}",
                c.new,
                hearth_app::import::Template::of(c.kind).name
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(0)
}

/// Prints lines, stopping quietly when the reader has gone (piped into `head`, say).
fn print_lines(lines: &[String]) -> Result<i32> {
    let mut text = lines.join("\n");
    text.push('\n');
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        other => other.map(|()| 0).context("writing to the terminal"),
    }
}

/// `hearth payments ...`: each acts as the finance officer named by `--as`, with that
/// officer's permissions, as the Payments page would.
async fn payments(config: &Config, cmd: PaymentsCommand) -> Result<i32> {
    let db = open_db_as_is(config).await?;
    let app = app_of(config, db);
    let system = Principal::system(&format!("cli:{}", whoami()));
    let who = |name: String| {
        let (app, system) = (app.clone(), system.clone());
        async move {
            let user = app
                .user_named(&system, &name)
                .await
                .map_err(|_| anyhow!("there is no user {name}"))?;
            app.principal_for(user, None)
                .await?
                .ok_or_else(|| anyhow!("{name} cannot act (disabled, or no authority)"))
        }
    };
    let pounds = |p: i64| hearth_domain::Pence(p).to_string();
    match cmd {
        PaymentsCommand::Prepare { user, period } => {
            let me = who(user).await?;
            let run = app.prepare_payment_run(&me, period).await?;
            let job = run
                .job_run_id
                .ok_or_else(|| anyhow!("the payment run has no job run"))?;
            let runner = cli_runner(config, &app)?;
            follow(&app, &me, job, run_here(runner, &app, &me, job)).await?;
            let p = app.payment_run(&me, run.id).await?;
            println!(
                "payment run {} of {}: {} to pay, {} held, {} exceptions ({} lines); a second finance officer approves it: hearth payments approve --as USER {}",
                run.id,
                p.run.period_name,
                pounds(p.run.payable_pence),
                pounds(p.run.held_pence),
                p.run.exceptions_count,
                p.run.lines_count,
                run.id
            );
            Ok(0)
        }
        PaymentsCommand::List { user } => {
            let me = who(user).await?;
            let mut lines: Vec<String> = Vec::new();
            for r in app.payment_runs(&me).await? {
                lines.push(format!(
                    "{}\t{}\t{}\t{}\theld {}\t{} exceptions",
                    r.id,
                    r.period_name,
                    r.status,
                    pounds(r.payable_pence),
                    pounds(r.held_pence),
                    r.exceptions_count
                ));
            }
            print_lines(&lines)
        }
        PaymentsCommand::Preview { user, run, csv } => {
            let me = who(user).await?;
            let mut lines: Vec<String> = Vec::new();
            let p = app.payment_run(&me, run).await?;
            let s = &p.summary;
            lines.push(format!(
                "{} ({}): {} to pay",
                p.run.period_name,
                p.run.status,
                pounds(s.payable.0)
            ));
            lines.push(format!(
                "  subsidy {}, block {}, adjustments {}, charges {}, held {}",
                pounds(s.subsidy.0),
                pounds(s.block.0),
                pounds(s.adjustment.0),
                pounds(s.charge.0),
                pounds(s.held.0)
            ));
            for t in &s.providers {
                lines.push(format!(
                    "  {}: {} (held {}, {} exceptions)",
                    t.name,
                    pounds(t.payable.0),
                    pounds(t.held.0),
                    t.exceptions
                ));
            }
            for e in &s.exceptions {
                lines.push(format!(
                    "  exception: {} / {} / {}: {}",
                    e.provider, e.service, e.period, e.line.reason
                ));
            }
            if let Some(path) = csv {
                let (header, rows) = app.payment_run_table(&me, run).await?;
                let bytes =
                    hearth_docs::table::csv_bytes(&header, &rows).map_err(|e| anyhow!(e))?;
                std::fs::write(&path, bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                lines.push(format!("wrote {} lines to {}", rows.len(), path.display()));
            }
            print_lines(&lines)
        }
        PaymentsCommand::Approve { user, run } => {
            let me = who(user).await?;
            let r = app.approve_payment_run(&me, run).await?;
            println!(
                "approved {} ({} to pay)",
                r.period_name,
                pounds(r.payable_pence)
            );
            Ok(0)
        }
        PaymentsCommand::Commit { user, run } => {
            let me = who(user).await?;
            let r = app.commit_payment_run(&me, run).await?;
            println!(
                "paid {} ({}), remittance advice sent",
                r.period_name,
                pounds(r.payable_pence)
            );
            Ok(0)
        }
        PaymentsCommand::Export { user, run, file } => {
            let me = who(user).await?;
            let bytes = app.finance_export_csv(&me, run).await?;
            std::fs::write(&file, bytes).with_context(|| format!("writing {}", file.display()))?;
            println!("wrote {}", file.display());
            Ok(0)
        }
    }
}

/// `hearth export records|templates`.
async fn export(config: &Config, cmd: ExportCommand) -> Result<i32> {
    let write = |dir: &PathBuf, files: Vec<(String, Vec<u8>)>| -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("making {}", dir.display()))?;
        for (name, bytes) in files {
            let path = dir.join(&name);
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
        Ok(())
    };
    match cmd {
        ExportCommand::Templates { dir } => {
            let mut files = hearth_app::import::template_files_csv()?;
            files.extend(hearth_app::import::template_files_xlsx()?);
            write(&dir, files)?;
            Ok(0)
        }
        ExportCommand::Records {
            authority,
            xlsx,
            dir,
        } => {
            let db = open_db_as_is(config).await?;
            let app = app_of(config, db);
            let system = Principal::system(&format!("cli:{}", whoami()));
            let authority_id = authority_id_of(&app, &system, &authority).await?;
            let files = if xlsx {
                app.export_records_xlsx(&system, authority_id).await?
            } else {
                app.export_records_csv(&system, authority_id).await?
            };
            write(&dir, files)?;
            Ok(0)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod follow_tests {
    use super::*;

    /// Found by a busy CI machine: `hearth demo` said "the demo's run ended without its
    /// accounts" when it read its run as done before the task had handed back the accounts.
    #[tokio::test]
    async fn what_a_run_made_is_not_lost_when_it_returns_just_after_the_run_is_done() {
        let t = hearth_store::testing::sqlite().await.unwrap();
        let app = App::new(t.db.clone(), AppConfig::default());
        let system = Principal::system("cli:test");
        let run = app
            .start_run(&system, RunKind::Demo, json!({}))
            .await
            .unwrap();
        let claimed = app
            .claim_run_id(run.id, "follow-test", 60)
            .await
            .unwrap()
            .unwrap();
        let work = tokio::spawn(async move {
            claimed.progress.finish(&json!({})).await?;
            tokio::time::sleep(Duration::from_millis(700)).await;
            Ok::<_, anyhow::Error>(42)
        });
        let (view, out) = follow(&app, &system, run.id, work).await.unwrap();
        assert!(matches!(view.status, RunStatus::Done));
        assert_eq!(out, Some(42));
    }
}
