//! The payment run at the county scale of the demo generator (issue 12, "Figures").
//!
//! Prepare (the job run's work: reading the records and working out every line, then writing
//! the previewed lines) and approve plus commit (each works the lines out again inside the
//! write, then commit writes the paid lines with their seals and one audit entry), each beside
//! the raw work underneath: one SQL scan of the same schedules joined to their services'
//! contracts, run directly on the pool. Then the next period is prepared, and the period
//! just paid must need no adjustment (a second preparation after a commit pays nothing
//! again). Peak memory is the process's high-water mark (VmHWM).
//!
//! Run: `cargo bench -p hearth --bench payments` (release build; SQLite by default, or
//! `BENCH_DATABASE_URL=postgres://...` for a fresh PostgreSQL database on that server).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use hearth_app::demo::Scale;
use hearth_app::{App, AppConfig, Principal};
use hearth_store::{Db, DbConfig};
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn principal(app: &App, name: &str) -> Principal {
    let system = Principal::system("cli:bench");
    let u = app.user_named(&system, name).await.unwrap();
    app.principal_for(u, None).await.unwrap().unwrap()
}

async fn prepare(app: &App, who: &Principal, d: NaiveDate) -> i64 {
    let run = app.prepare_payment_run(who, d).await.unwrap();
    let c = app
        .claim_run_id(run.job_run_id.unwrap(), "bench", 600)
        .await
        .unwrap()
        .unwrap();
    let r = app.run_payment_prepare(&c.run, &c.progress).await.unwrap();
    c.progress.finish(&r).await.unwrap();
    run.id
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("hearth-pay-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(u) => u,
        Err(_) => format!("sqlite://{}", dir.join("bench.db").display()),
    };
    let db = Db::connect(&DbConfig {
        url,
        max_connections: 4,
        audit_key: b"bench".to_vec(),
    })
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let app = App::new(db.clone(), AppConfig::default());
    app.load_demo(Scale::County, 2026, &|_| {}).await.unwrap();
    hearth_store::testing::exec(
        &db,
        "INSERT INTO client_benefits (client_id, from_date, status, created_by_name, created_at) SELECT id, '2000-01-01', 'in_receipt', 'bench', 0 FROM clients",
    )
    .await
    .unwrap();
    let finance = principal(&app, "finance").await;
    let second = principal(&app, "payments").await;
    let aid = finance.authority_id();
    let p08 = NaiveDate::from_ymd_opt(2026, 10, 19).unwrap();
    let p09 = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();

    // The raw work: the same schedules joined to their services' contracts, read whole.
    let scan = "SELECT cs.id, cs.client_id, cs.units_per_week, cs.start_date, cs.end_date, s.term, c.id AS contract_id, c.unit_rate_pence, c.start_date AS cstart, c.end_date AS cend
        FROM client_schedules cs JOIN services s ON s.id = cs.service_id
        LEFT JOIN contract_services x ON x.service_id = s.id LEFT JOIN contracts c ON c.id = x.contract_id
        WHERE s.authority_id = $1 AND cs.start_date <= $2 AND (cs.end_date IS NULL OR cs.end_date >= $3)";
    let mut raw = Vec::new();
    let mut rows = 0;
    for _ in 0..7 {
        let t = Instant::now();
        rows = sqlx::query(scan)
            .bind(aid)
            .bind("2026-11-15")
            .bind("2026-10-19")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .len();
        raw.push(t.elapsed());
    }
    let raw = median(raw);

    let mut prep = Vec::new();
    let mut run = 0;
    for _ in 0..3 {
        let t = Instant::now();
        run = prepare(&app, &finance, p08).await;
        prep.push(t.elapsed());
    }
    let prep = median(prep);
    let lines = app
        .payment_run(&finance, run)
        .await
        .unwrap()
        .run
        .lines_count;

    let t = Instant::now();
    app.approve_payment_run(&second, run).await.unwrap();
    app.commit_payment_run(&second, run).await.unwrap();
    let commit = t.elapsed();

    let next = prepare(&app, &finance, p09).await;
    let again: usize = db
        .run_lines(next, None)
        .await
        .unwrap()
        .iter()
        .filter(|l| l.period_start == p08.to_string() && l.state.is_empty())
        .count();

    println!(
        "payment run, county scale ({}): {rows} schedule rows scanned, {lines} lines",
        db.backend_name()
    );
    println!("  raw SQL scan of the schedules with their contracts: {raw:.2?}");
    println!(
        "  prepare: {prep:.2?} ({:.1}x the scan)",
        prep.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "  approve and commit: {commit:.2?} ({:.1}x the scan)",
        commit.as_secs_f64() / raw.as_secs_f64()
    );
    println!("  the next period's run pays {again} lines of the period just paid (0 expected)");
    println!("  peak memory: {:.0} MiB", peak_mib());
    assert_eq!(again, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
