//! `hearth-load`: a load and soak test client for a running Hearth server.
//!
//! Signs in one session per demo account (password, then the TOTP code), then for
//! `--duration` seconds each session walks the pages it can see at random (GET only, no think
//! time) while anonymous clients search the public directory and the Open Referral UK API.
//! Reports requests per second and latency per route, errors, and the server's memory.

mod html;
mod http;
mod public;
mod report;
mod signin;
mod stats;
mod sys;
mod walk;

use anyhow::{bail, Context, Result};
use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stats::{Live, Recorder};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

#[derive(Parser)]
#[command(
    name = "hearth-load",
    version,
    about = "Load and soak test of a running Hearth server: signed-in sessions walking the pages at random, and anonymous clients of the public directory and the Open Referral UK API"
)]
struct Args {
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// Demo accounts: one line per account, tab-separated role, username, password, base32 TOTP
    /// secret (demo-accounts.txt in the data folder after `hearth demo`).
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// Signed-in sessions, one per account (a TOTP code is accepted once per account and
    /// 30-second step, so sessions cannot share an account).
    #[arg(long, default_value_t = 200)]
    sessions: usize,
    /// Anonymous clients of the public directory and the Open Referral UK API.
    #[arg(long, default_value_t = 20)]
    public: usize,
    /// Seconds of load, after sign-in.
    #[arg(long, default_value_t = 600)]
    duration: u64,
    /// Postcodes for distance searches: CSV with a `pcds` column (the ONS Postcode Directory
    /// layout, like demo-postcodes.csv). Without it, postcodes of services in the directory.
    #[arg(long)]
    postcodes: Option<PathBuf>,
    /// Process id of the server: its resident memory is read at the start, every minute and at
    /// the end (from /proc/PID/status), and its CPU time.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Also write the report (Markdown) to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Shown in the report's heading, like "SQLite" or "PostgreSQL".
    #[arg(long)]
    label: Option<String>,
    /// Seed of the random walks and searches: the same seed makes the same choices.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Worker threads of the client's runtime: 1 leaves the CPU to the server on a small
    /// machine; raise it if the report shows the client near 100% of one core.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Sessions signing in at the same time.
    #[arg(long, default_value_t = 10)]
    sign_in_concurrency: usize,
}

fn main() {
    let args = Args::parse();
    // One worker thread by default. The client mostly waits on the server; what CPU it uses
    // (HTTP parsing, scanning pages for links) fits in a fraction of one core even at a few
    // thousand requests a second, and one thread means no work stealing or cross-thread
    // wake-ups. On a 2-core machine shared with the server that leaves the other core, and
    // most of this one, to the server, so the figures measure the server rather than a client
    // competing with it. The report gives the client's CPU time: if it nears 100% of one
    // core, the client is the limit; raise --threads. (A multi-thread runtime rather than a
    // current-thread one so --threads can raise it, and so the main thread only waits.)
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build();
    let result = match rt {
        Ok(rt) => rt.block_on(run(args)),
        Err(e) => Err(anyhow::Error::new(e).context("starting the runtime")),
    };
    if let Err(e) = result {
        eprintln!("hearth-load: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let base: Arc<str> = Arc::from(args.base.trim_end_matches('/'));
    if !base.starts_with("http://") {
        bail!(
            "--base must be an http:// address (the client has no TLS), like http://127.0.0.1:8080"
        );
    }
    let started = chrono::Utc::now();
    let mut rng = StdRng::seed_from_u64(args.seed);

    let accounts = match &args.accounts {
        Some(p) => signin::read_accounts(p)?,
        None if args.sessions == 0 => Vec::new(),
        None => bail!("--accounts is needed for signed-in sessions (or give --sessions 0)"),
    };
    if accounts.len() < args.sessions {
        bail!(
            "{} sessions asked for but the accounts file has {} account{}: each session needs its own account \
             (a TOTP code is accepted once per account in each 30-second step, so sessions cannot share one). \
             Load more accounts (hearth demo --load-users N) or lower --sessions",
            args.sessions,
            accounts.len(),
            if accounts.len() == 1 { "" } else { "s" }
        );
    }
    let accounts: Vec<signin::Account> = accounts.into_iter().take(args.sessions).collect();
    let mut names = HashSet::new();
    for a in &accounts {
        if !names.insert(a.username.as_str()) {
            bail!(
                "the account {} is listed twice: sessions cannot share an account",
                a.username
            );
        }
    }

    let (postcodes, postcodes_from) = match &args.postcodes {
        Some(p) => {
            let pcs = public::read_postcodes(p, &mut rng)?;
            let n = pcs.len();
            (pcs, format!("{n} from {}", p.display()))
        }
        None => (Vec::new(), String::new()),
    };

    let mut memory: Vec<(String, f64)> = Vec::new();
    if let Some(pid) = args.server_pid {
        match sys::rss_mb(pid) {
            Some(m) => memory.push(("before sign-in".into(), m)),
            None => {
                bail!("cannot read /proc/{pid}/status: is --server-pid the server's process id?")
            }
        }
    }

    // ---- sign-in ----
    eprintln!(
        "hearth-load: signing in {} session{} at {base} ({} at a time)",
        accounts.len(),
        if accounts.len() == 1 { "" } else { "s" },
        args.sign_in_concurrency.max(1)
    );
    let t_sign_in = Instant::now();
    let gate = Arc::new(Semaphore::new(args.sign_in_concurrency.max(1)));
    let mut set = JoinSet::new();
    for (i, a) in accounts.into_iter().enumerate() {
        let gate = gate.clone();
        let base = base.clone();
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let r = async {
                let c = http::client()?;
                let home = signin::sign_in(&c, &base, &a).await?;
                Ok::<_, anyhow::Error>((c, home))
            }
            .await;
            (i, a, r)
        });
    }
    let total = set.len();
    let mut signed: Vec<(usize, String, reqwest::Client)> = Vec::new();
    let mut failures: Vec<(String, String)> = Vec::new();
    while let Some(j) = set.join_next().await {
        let (i, a, r) = j.context("a sign-in task stopped")?;
        match r {
            Ok((c, _home)) => signed.push((i, a.role, c)),
            Err(e) => {
                eprintln!("hearth-load: {} did not sign in: {e:#}", a.username);
                failures.push((a.username, format!("{e:#}")));
            }
        }
        let done = signed.len() + failures.len();
        if done % 25 == 0 || done == total {
            eprintln!("hearth-load: signed in {}/{total}", signed.len());
        }
    }
    let sign_in_secs = t_sign_in.elapsed().as_secs_f64();
    // Keep the file's order, so the same seed gives each account the same walk.
    signed.sort_by_key(|s| s.0);
    let mut roles: Vec<(String, usize)> = Vec::new();
    for (_, role, _) in &signed {
        match roles.iter_mut().find(|r| &r.0 == role) {
            Some(r) => r.1 += 1,
            None => roles.push((role.clone(), 1)),
        }
    }

    // ---- what the public clients search with ----
    let seeds = if args.public > 0 {
        match public::discover(&base, postcodes).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("hearth-load: could not read the directory's services before the load ({e:#}); public clients search without them");
                public::Seeds {
                    api_pages: 1,
                    ..Default::default()
                }
            }
        }
    } else {
        public::Seeds {
            postcodes,
            ..Default::default()
        }
    };
    let postcodes_from = if !postcodes_from.is_empty() {
        postcodes_from
    } else if seeds.postcodes.is_empty() {
        "none (no distance searches)".to_string()
    } else {
        format!(
            "{} of services in the directory: {}",
            seeds.postcodes.len(),
            seeds.postcodes.join(", ")
        )
    };
    let seeds = Arc::new(seeds);

    // ---- the load ----
    let live = Arc::new(Live::default());
    if let Some(pid) = args.server_pid {
        if let Some(m) = sys::rss_mb(pid) {
            memory.push(("load start".into(), m));
        }
    }
    let server_cpu0 = args
        .server_pid
        .and_then(|p| sys::cpu_seconds(&p.to_string()));
    let client_cpu0 = sys::cpu_seconds("self");
    eprintln!(
        "hearth-load: load for {} s: {} signed-in session{}, {} public client{}",
        args.duration,
        signed.len(),
        if signed.len() == 1 { "" } else { "s" },
        args.public,
        if args.public == 1 { "" } else { "s" }
    );
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(args.duration);
    let mut clients: JoinSet<Recorder> = JoinSet::new();
    for (_, _, client) in signed {
        let w = walk::Walker {
            client,
            base: base.clone(),
            rng: StdRng::seed_from_u64(rng.gen()),
            live: live.clone(),
            deadline,
            download_routes: Default::default(),
        };
        clients.spawn(w.run());
    }
    for _ in 0..args.public {
        let p = public::PublicClient {
            client: http::client()?,
            base: base.clone(),
            rng: StdRng::seed_from_u64(rng.gen()),
            live: live.clone(),
            deadline,
            seeds: seeds.clone(),
        };
        clients.spawn(p.run());
    }

    let progress = {
        let live = live.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            tick.tick().await;
            let mut last = 0u64;
            loop {
                tick.tick().await;
                let n = live.requests.load(Ordering::Relaxed);
                let e = live.errors.load(Ordering::Relaxed);
                eprintln!(
                    "hearth-load: {:>5.0} s  {n} requests  {:.1}/s now  {e} error{}",
                    t0.elapsed().as_secs_f64(),
                    (n - last) as f64 / 10.0,
                    if e == 1 { "" } else { "s" }
                );
                last = n;
            }
        })
    };
    // The server's memory each minute, kept in a shared list that is read at the end.
    let minutes = args.server_pid.map(|pid| {
        let samples = Arc::new(std::sync::Mutex::new(Vec::<(String, f64)>::new()));
        let s = samples.clone();
        let h = tokio::spawn(async move {
            let mut minute = 0u64;
            loop {
                minute += 1;
                tokio::time::sleep_until(t0 + Duration::from_secs(60 * minute)).await;
                if let Some(m) = sys::rss_mb(pid) {
                    eprintln!("hearth-load: server memory after {minute} min: {m:.1} MB");
                    if let Ok(mut v) = s.lock() {
                        v.push((format!("{minute} min"), m));
                    }
                }
            }
        });
        (samples, h)
    });

    let mut rec = Recorder::default();
    while let Some(r) = clients.join_next().await {
        rec.merge(r.context("a client task stopped")?);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    progress.abort();
    let client_cpu = client_cpu0
        .zip(sys::cpu_seconds("self"))
        .map(|(a, b)| b - a);
    let server_cpu = server_cpu0
        .zip(
            args.server_pid
                .and_then(|p| sys::cpu_seconds(&p.to_string())),
        )
        .map(|(a, b)| b - a);
    if let Some((samples, h)) = minutes {
        h.abort();
        if let Ok(v) = samples.lock() {
            memory.extend(v.iter().cloned());
        }
    }
    if let Some(pid) = args.server_pid {
        match sys::rss_mb(pid) {
            Some(m) => memory.push(("end".into(), m)),
            None => rec.error(&live, "(server)", format!("process {pid} is gone")),
        }
    }

    let mut summary = report::Summary {
        label: args.label,
        base: base.to_string(),
        started,
        seed: args.seed,
        threads: args.threads.max(1),
        sessions_wanted: args.sessions,
        roles,
        public: args.public,
        duration_planned: args.duration,
        elapsed,
        sign_in_secs,
        sign_in_failures: failures,
        postcodes: postcodes_from,
        rec,
        memory,
        client_cpu,
        server_cpu,
    };
    let text = report::markdown(&mut summary);
    println!("{text}");
    if let Some(p) = &args.report {
        std::fs::write(p, &text).with_context(|| format!("writing {}", p.display()))?;
        eprintln!("hearth-load: report written to {}", p.display());
    }
    Ok(())
}
