//! Day activities at the national scale of issue 13 ("Tests, demo, figures"): 150 authorities
//! of the Bradford guidance's size, about 130,000 people with 185,000 planned sessions a week
//! and thirteen weeks of actuals (about 2.4 million recorded sessions), held here by one
//! authority (the work per service is the same, and the nightly evaluation covers every
//! service of every authority).
//!
//! Measured, each beside the raw work underneath it, run directly on the pool:
//! - the weekly actuals page of a provider's service of 300 people, served in-process through
//!   the router (no socket time), beside the raw SQL of the week's lines with their people's
//!   names and the sessions the page reads;
//! - confirming that week (the workflow's check, the week confirmed and the absence rules
//!   evaluated for its 300 people, in one transaction);
//! - the nightly absence evaluation of every day service (the first night raises the alerts
//!   the history calls for; the next finds nothing new), beside a raw scan of the thirteen
//!   weeks of sessions joined to their lines.
//!
//! The people, lines and sessions are written by SQL, not through the audited write: the
//! figures are of reading and evaluating them.
//!
//! Run: `cargo bench -p hearth --bench day_activities` (release build; SQLite by default, or
//! `BENCH_DATABASE_URL=postgres://...` for a fresh PostgreSQL database on that server).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration as Days, NaiveDate};
use hearth_app::demo::Scale;
use hearth_app::{App, AppConfig, Principal};
use hearth_domain::clock::FixedClock;
use hearth_store::{Db, DbConfig, Session};
use sqlx::{Column, Row};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// People per day service (the provider with 300 people).
const PER_SERVICE: i64 = 300;
/// Day services: 434 of 300 people is 130,200 people.
const SERVICES: i64 = 434;
/// Weeks of actuals.
const WEEKS: i64 = 13;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
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

async fn exec(db: &Db, sql: &str) -> u64 {
    hearth_store::testing::exec(db, sql)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    hearth_store::testing::scalar_i64(db, sql)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
}

/// The numbers 1 to `n`, as a common table expression both databases read.
fn numbers(n: i64) -> String {
    format!(
        "WITH RECURSIVE bench_n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM bench_n WHERE k < {n})"
    )
}

/// Copies the row `id` of `table` `n` times, each column as it is unless `overrides` gives
/// an expression for it (which may use `bench_n.k`, 1 to n).
async fn copy_row(db: &Db, table: &str, id: i64, n: i64, overrides: &[(&str, String)]) {
    let row = sqlx::query(&format!("SELECT * FROM {table} WHERE id = {id}"))
        .fetch_one(db.pool())
        .await
        .unwrap();
    let cols: Vec<String> = row
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .filter(|c| c != "id")
        .collect();
    let exprs: Vec<String> = cols
        .iter()
        .map(|c| {
            overrides
                .iter()
                .find(|(name, _)| name == c)
                .map_or_else(|| format!("t.{c}"), |(_, e)| e.clone())
        })
        .collect();
    exec(
        db,
        &format!(
            "INSERT INTO {table} ({}) {} SELECT {} FROM {table} t, bench_n WHERE t.id = {id}",
            cols.join(", "),
            numbers(n),
            exprs.join(", ")
        ),
    )
    .await;
}

async fn session_for(db: &Db, username: &str, token: &str) {
    let u = db.user_by_username(username).await.unwrap().unwrap();
    let now = hearth_store::now();
    db.create_session(&Session {
        id_hash: hearth_app::accounts::token_hash(token),
        user_id: u.id,
        stage: "full".into(),
        csrf_token: "x".into(),
        authority_id: None,
        pending_totp_secret: None,
        return_to: None,
        created_at: now,
        last_seen_at: now,
        expires_at: now + 86_400,
    })
    .await
    .unwrap();
}

async fn get(router: &axum::Router, path: &str, token: &str) -> usize {
    let req = Request::builder()
        .uri(path)
        .header("cookie", format!("hearth-session={token}"))
        .body(Body::empty())
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .len()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = hearth_store::testing::TempDir::new("hearth-day-bench").unwrap();
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(base) => hearth_store::testing::fresh_postgres_database(&base)
            .await
            .unwrap(),
        Err(_) => format!("sqlite://{}", dir.path().join("bench.db").display()),
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
    let t = Instant::now();
    app.load_demo(Scale::Small, 2026, &|_| {}).await.unwrap();
    app.load_demo_history(2026, &|_| {}).await.unwrap();
    eprintln!("loaded the small demo in {:.1?}", t.elapsed());

    // The demo's day service, copied: the bench's services are its provider's.
    let millside = scalar(
        &db,
        "SELECT id FROM services WHERE name = 'Millside Day Centre'",
    )
    .await;
    let aid = scalar(
        &db,
        &format!("SELECT authority_id FROM services WHERE id = {millside}"),
    )
    .await;
    let t = Instant::now();
    copy_row(
        &db,
        "services",
        millside,
        SERVICES,
        &[
            ("name", "'Bench day service ' || bench_n.k".into()),
            ("public_name", "'Bench day service ' || bench_n.k".into()),
            ("reference", "'DAY/BENCH/' || bench_n.k".into()),
        ],
    )
    .await;
    let first_service = scalar(
        &db,
        "SELECT MIN(id) FROM services WHERE name LIKE 'Bench day service %'",
    )
    .await;
    assert_eq!(
        scalar(
            &db,
            "SELECT MAX(id) - MIN(id) + 1 FROM services WHERE name LIKE 'Bench day service %'"
        )
        .await,
        SERVICES
    );
    let people = SERVICES * PER_SERVICE;
    exec(
        &db,
        &format!(
            "INSERT INTO clients (authority_id, first_name, last_name, external_ref, created_at, updated_at) {} SELECT {aid}, 'Person', 'Bench ' || bench_n.k, 'bench-' || bench_n.k, 0, 0 FROM bench_n",
            numbers(people)
        ),
    )
    .await;
    let first_client = scalar(
        &db,
        "SELECT MIN(id) FROM clients WHERE external_ref LIKE 'bench-%'",
    )
    .await;
    // 1.4 planned days a week on average: 130,200 people, about 182,000 sessions a week.
    exec(
        &db,
        &format!(
            "INSERT INTO day_lines (authority_id, service_id, client_id, client_group, days, session_type, rate_pence, start_date, end_date, route, social_worker_name, social_worker_team, social_worker_email, created_by_name, created_at)
             SELECT {aid}, {first_service} + ((c.id - {first_client}) % {SERVICES}), c.id,
                    CASE c.id % 3 WHEN 0 THEN 'learning_disabilities' WHEN 1 THEN 'mental_health' ELSE 'older_people' END,
                    CASE c.id % 5 WHEN 0 THEN 'mon,wed' WHEN 1 THEN 'tue' WHEN 2 THEN 'wed,fri' WHEN 3 THEN 'thu' ELSE 'fri' END,
                    'full_day', 4200, '2026-01-05', NULL, 'framework',
                    CASE WHEN c.id % 4 = 0 THEN 'Sam Worker' ELSE '' END, '',
                    CASE WHEN c.id % 4 = 0 THEN 'sam.worker@example.gov.uk' ELSE '' END, 'bench', 0
             FROM clients c WHERE c.external_ref LIKE 'bench-%'"
        ),
    )
    .await;
    // Thirteen weeks to the week beginning Monday 23 November 2026. Mostly attended; now and
    // then an absence; one person in fifty away, not planned, from the ninth week.
    let last_week = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let first_week = last_week - Days::weeks(WEEKS - 1);
    let codes = ["mon", "tue", "wed", "thu", "fri"];
    let dates: Vec<String> = (0..WEEKS)
        .flat_map(|w| {
            codes.iter().enumerate().map(move |(d, code)| {
                let date = first_week + Days::weeks(w) + Days::days(d as i64);
                format!("('{code}', '{date}', {w})")
            })
        })
        .collect();
    let inserted = exec(
        &db,
        &format!(
            "INSERT INTO day_sessions (line_id, service_id, session_date, outcome, reason, family_contact, recorded_by_name, recorded_at)
             WITH bench_d(code, d, w) AS (VALUES {})
             SELECT l.id, l.service_id, bench_d.d,
                    CASE WHEN bench_d.d = '2026-08-31' THEN 'bank_holiday'
                         WHEN l.id % 50 = 0 AND bench_d.w >= 8 THEN 'absent'
                         WHEN (l.id * 7 + bench_d.w) % 23 = 0 THEN 'absent'
                         ELSE 'attended' END,
                    CASE WHEN bench_d.d = '2026-08-31' THEN ''
                         WHEN l.id % 50 = 0 AND bench_d.w >= 8 THEN 'illness'
                         WHEN (l.id * 7 + bench_d.w) % 23 = 0 THEN CASE WHEN l.id % 2 = 0 THEN 'holiday' ELSE 'illness' END
                         ELSE '' END,
                    CASE WHEN (l.id % 50 = 0 AND bench_d.w >= 8) OR (l.id * 7 + bench_d.w) % 23 = 0 THEN 'Spoke to their family: safe at home' ELSE '' END,
                    'bench', 0
             FROM day_lines l JOIN bench_d ON (',' || l.days || ',') LIKE ('%,' || bench_d.code || ',%')
             WHERE l.service_id >= {first_service}",
            dates.join(", ")
        ),
    )
    .await;
    // Every week confirmed but the last, which each provider has recorded and not confirmed.
    let weeks: Vec<String> = (0..WEEKS - 1)
        .map(|w| format!("('{}')", first_week + Days::weeks(w)))
        .collect();
    exec(
        &db,
        &format!(
            "INSERT INTO day_weeks (authority_id, service_id, week_start, status, deadline_at, confirmed_by_name, confirmed_at)
             WITH bench_w(w) AS (VALUES {})
             SELECT {aid}, s.id, bench_w.w, 'confirmed', 0, 'bench', 0
             FROM services s, bench_w WHERE s.id >= {first_service}",
            weeks.join(", ")
        ),
    )
    .await;
    // Statistics as a maintained database has them (PostgreSQL's autovacuum analyses a table
    // after a bulk load; SQLite's are kept by ANALYZE).
    exec(&db, "ANALYZE").await;
    eprintln!(
        "wrote {people} people, their lines and {inserted} sessions in {:.1?}",
        t.elapsed()
    );

    // Wednesday 2 December 2026, 03:00 UK time: last week is the week of 23 November, its
    // deadline has passed (no reminders are due) and the night's evaluation is due.
    let clock = Arc::new(FixedClock::at_utc("2026-12-02T03:00:00Z").unwrap());
    let app = app.with_clock(clock.clone());
    session_for(&db, "provider", "dd01").await;
    let router = hearth_web::router(
        app.clone(),
        hearth_web::WebConfig {
            secure_cookies: false,
            ..Default::default()
        },
    );
    let pool = db.pool().clone();
    let service = first_service;
    let week = last_week.to_string();
    let week_end = (last_week + Days::days(6)).to_string();
    let history_from = (last_week - Days::days(28)).to_string();

    // The week's page: its lines with the people's names, and the sessions it reads.
    let raw_page = {
        let mut v = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let lines = sqlx::query(
                "SELECT l.*, c.first_name, c.last_name FROM day_lines l JOIN clients c ON c.id = l.client_id WHERE l.service_id = $1 AND l.start_date <= $2 AND (l.end_date IS NULL OR l.end_date >= $3) ORDER BY l.id",
            )
            .bind(service)
            .bind(week_end.clone())
            .bind(week.clone())
            .fetch_all(&pool)
            .await
            .unwrap();
            let sessions = sqlx::query(
                "SELECT * FROM day_sessions WHERE service_id = $1 AND session_date >= $2 AND session_date <= $3 ORDER BY line_id, session_date",
            )
            .bind(service)
            .bind(history_from.clone())
            .bind(week_end.clone())
            .fetch_all(&pool)
            .await
            .unwrap();
            assert_eq!(lines.len() as i64, PER_SERVICE);
            assert!(!sessions.is_empty());
            v.push(t.elapsed());
        }
        median(v)
    };
    let path = format!("/day-activities/{service}/weeks/{week}");
    let mut size = 0;
    for _ in 0..5 {
        size = get(&router, &path, "dd01").await;
    }
    let page = {
        let mut v = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            get(&router, &path, "dd01").await;
            v.push(t.elapsed());
        }
        median(v)
    };

    // Confirming the week of 300 people.
    let provider = {
        let system = Principal::system("cli:bench");
        let u = app.user_named(&system, "provider").await.unwrap();
        app.principal_for(u, None).await.unwrap().unwrap()
    };
    let t = Instant::now();
    app.confirm_day_week(&provider, service, last_week)
        .await
        .unwrap();
    let confirm = t.elapsed();

    let t = Instant::now();
    let first_night = app.run_day_activities_checks(Some(aid)).await.unwrap();
    let night = t.elapsed();
    clock.advance(86_400);
    let t = Instant::now();
    let second_night = app.run_day_activities_checks(Some(aid)).await.unwrap();
    let night_again = t.elapsed();
    // The evaluation reads service by service: its peak, before the raw scan holds every row.
    let evaluation_peak = peak_mib();
    // The raw scan of the thirteen weeks of sessions with their lines.
    let scan_from = first_week.to_string();
    let (raw_scan, scanned) = {
        let mut v = Vec::new();
        let mut n = 0;
        for _ in 0..3 {
            let t = Instant::now();
            n = sqlx::query(
                "SELECT s.line_id, s.session_date, s.outcome, s.reason, s.expected_back, l.client_id, l.client_group, l.social_worker_email FROM day_sessions s JOIN day_lines l ON l.id = s.line_id WHERE l.authority_id = $1 AND s.session_date >= $2 AND s.session_date <= $3 ORDER BY s.service_id, s.line_id, s.session_date",
            )
            .bind(aid)
            .bind(scan_from.clone())
            .bind(week_end.clone())
            .fetch_all(&pool)
            .await
            .unwrap()
            .len();
            v.push(t.elapsed());
        }
        (median(v), n)
    };
    assert_eq!(first_night.evaluated, 1);
    assert_eq!(second_night.evaluated, 1);
    assert_eq!(
        second_night.alerts, 0,
        "the second night raises nothing new"
    );

    println!(
        "day activities, national scale ({}): {people} people in {SERVICES} services of {PER_SERVICE}, {inserted} sessions over {WEEKS} weeks",
        db.backend_name()
    );
    println!("| measure | time | raw work | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| the weekly actuals page, 300 people ({size} bytes) | {} | {} (lines with names, sessions) | {:.1}x | within 3x and under 50 ms |",
        ms(page),
        ms(raw_page),
        page.as_secs_f64() / raw_page.as_secs_f64()
    );
    println!(
        "| confirming that week (with its absence rules) | {} | {} | {:.1}x | under 200 ms |",
        ms(confirm),
        ms(raw_page),
        confirm.as_secs_f64() / raw_page.as_secs_f64()
    );
    println!(
        "| the nightly evaluation, first night ({} alerts raised) | {} | {} (scan of {scanned} sessions) | {:.1}x | at most 2x |",
        first_night.alerts,
        ms(night),
        ms(raw_scan),
        night.as_secs_f64() / raw_scan.as_secs_f64()
    );
    println!(
        "| the nightly evaluation, next night (nothing new) | {} | {} | {:.1}x | at most 2x |",
        ms(night_again),
        ms(raw_scan),
        night_again.as_secs_f64() / raw_scan.as_secs_f64()
    );
    println!(
        "peak memory: {evaluation_peak:.0} MiB to the end of the evaluations; {:.0} MiB once the raw scan has held all its rows",
        peak_mib()
    );
}
