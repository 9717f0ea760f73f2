//! Page benchmarks at the county scale of the demo generator (issue: provider portal figures).
//!
//! Median server time of the provider home page, the schedule list of the largest service and
//! the officer's request queue, each beside the time of the raw SQL queries behind it (the same
//! queries, run directly on the pool). Pages are called in-process through the router, so no
//! client or socket time is counted.
//!
//! The demo's two years of history are loaded too (returns, requests, actions), as a newcomer
//! sees them. A second measure needs no hand-written SQL: the time the page's own database
//! queries took, summed from sqlx's statement log (its `elapsed_secs`) while the page is
//! served once more with that log on; the page's time is taken with the log off. Pages added
//! by the usability issue (the provider's returns overview, the officer's home with "my
//! providers", the audit trail) are measured that way.
//!
//! Run: `cargo bench -p hearth --bench pages` (release build; SQLite by default, or
//! `BENCH_DATABASE_URL=postgres://...` for a fresh PostgreSQL database on that server).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::Request;
use hearth_app::demo::Scale;
use hearth_app::{App, AppConfig};
use hearth_store::{Actor, Db, DbConfig, NewRequest, Session};
use sqlx::Row;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use tracing_subscriber::layer::SubscriberExt;

/// Sums the time of the database statements sqlx logs (target `sqlx::query`) while on.
struct DbTime {
    on: Arc<AtomicBool>,
    nanos: Arc<AtomicU64>,
    statements: Arc<AtomicU64>,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for DbTime {
    fn register_callsite(
        &self,
        m: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if m.target() == "sqlx::query" {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(
        &self,
        m: &tracing::Metadata<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        m.target() == "sqlx::query" && self.on.load(Ordering::Relaxed)
    }

    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Secs(Option<f64>);
        impl tracing::field::Visit for Secs {
            fn record_f64(&mut self, f: &tracing::field::Field, v: f64) {
                if f.name() == "elapsed_secs" {
                    self.0 = Some(v);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut v = Secs(None);
        e.record(&mut v);
        if let Some(secs) = v.0 {
            self.nanos.fetch_add((secs * 1e9) as u64, Ordering::Relaxed);
            self.statements.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The median over `RUNS` of the summed time of a page's own database statements, and how
/// many statements it runs.
async fn db_time(
    probe: &(Arc<AtomicBool>, Arc<AtomicU64>, Arc<AtomicU64>),
    router: &axum::Router,
    path: &str,
    token: &str,
) -> (Duration, u64) {
    let (on, nanos, statements) = probe;
    let mut v = Vec::with_capacity(RUNS);
    let mut n = 0;
    on.store(true, Ordering::Relaxed);
    for _ in 0..RUNS {
        nanos.store(0, Ordering::Relaxed);
        statements.store(0, Ordering::Relaxed);
        get(router, path, token).await;
        v.push(Duration::from_nanos(nanos.load(Ordering::Relaxed)));
        n = statements.load(Ordering::Relaxed);
    }
    on.store(false, Ordering::Relaxed);
    (median(v), n)
}

const WARMUP: usize = 20;
const RUNS: usize = 200;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn time<F, Fut>(mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..WARMUP {
        f().await;
    }
    let mut v = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        f().await;
        v.push(t.elapsed());
    }
    median(v)
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

async fn q_i64(pool: &sqlx::AnyPool, sql: &str, binds: &[i64]) -> i64 {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    let rows = q.fetch_all(pool).await.unwrap();
    rows.len() as i64
}

async fn q_text(pool: &sqlx::AnyPool, sql: &str, a: i64, t: &str) -> i64 {
    sqlx::query(sql)
        .bind(a)
        .bind(t)
        .fetch_all(pool)
        .await
        .unwrap()
        .len() as i64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let probe = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(DbTime {
        on: probe.0.clone(),
        nanos: probe.1.clone(),
        statements: probe.2.clone(),
    }))
    .unwrap();
    let dir = hearth_store::testing::TempDir::new("hearth-bench").unwrap();
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(base) => hearth_store::testing::fresh_postgres_database(&base)
            .await
            .unwrap(),
        Err(_) => format!("sqlite://{}", dir.path().join("bench.db").display()),
    };
    let db = Db::connect(&DbConfig {
        url: url.clone(),
        max_connections: 4,
        audit_key: b"bench".to_vec(),
    })
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let app = App::new(
        db.clone(),
        AppConfig {
            public_requests_per_minute: 0,
            ..AppConfig::default()
        },
    );
    let t = Instant::now();
    app.load_demo(Scale::County, 2026, &|_| {}).await.unwrap();
    app.load_demo_history(2026, &|_| {}).await.unwrap();
    eprintln!(
        "loaded county demo data in {:.1?} ({})",
        t.elapsed(),
        db.backend_name()
    );

    // 300 pending requests across providers for the officer's queue.
    let providers = db
        .list_providers(&hearth_store::ProviderFilter {
            authority_id: Some(1),
            per_page: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    let mut tx = db.begin_write(&Actor::system("bench")).await.unwrap();
    for i in 0..300usize {
        let p = &providers[i % providers.len()];
        tx.insert_request(&NewRequest {
            authority_id: 1,
            provider_id: p.id,
            service_id: None,
            kind: "contact_add".into(),
            summary: format!("Add contact number {i}"),
            payload: serde_json::json!({"first_name": "A", "last_name": format!("B{i}"), "position_type": "other"}),
            base: None,
            comment: String::new(),
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    session_for(&db, "provider", "aa01").await;
    session_for(&db, "officer", "aa02").await;
    let router = hearth_web::router(
        app.clone(),
        hearth_web::WebConfig {
            secure_cookies: false,
            ..Default::default()
        },
    );
    let pool = db.pool().clone();
    let today = app.today().to_string();

    // The largest service (most current schedules).
    let row = sqlx::query(
        "SELECT service_id, COUNT(*) AS n FROM client_schedules WHERE end_date IS NULL OR end_date >= $1 GROUP BY service_id ORDER BY n DESC LIMIT 1",
    )
    .bind(today.clone())
    .fetch_one(&pool)
    .await
    .unwrap();
    let largest: i64 = row.try_get("service_id").unwrap();
    let largest_n: i64 = row.try_get("n").unwrap();

    let provider_user = db.user_by_username("provider").await.unwrap().unwrap();
    let contact = db
        .contact(provider_user.contact_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    let pid = contact.provider_id;
    let session_hash = hearth_app::accounts::token_hash("aa01");
    let officer_hash = hearth_app::accounts::token_hash("aa02");

    session_for(&db, "admin", "aa03").await;
    // One statement's round trip through the pool (the hop to the database and back, which
    // sqlx's statement log does not count), to estimate the raw work of the pages measured
    // by their own queries: their statements' time plus one round trip each.
    let hop = time(|| {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT 1 AS n").fetch_one(&pool).await.unwrap();
        }
    })
    .await;
    println!(
        "one statement's round trip through the pool: {:.3} ms",
        hop.as_secs_f64() * 1000.0
    );
    let own_raw = |own: (Duration, u64)| own.0 + hop * u32::try_from(own.1).unwrap_or(u32::MAX);
    println!("| page | median server time | raw SQL behind it | ratio | its own queries (statements) | + a round trip each | ratio | size |");
    println!("|---|---|---|---|---|---|---|---|");

    // Provider home page.
    let page = time(|| async {
        get(&router, "/home", "aa01").await;
    })
    .await;
    let size = get(&router, "/home", "aa01").await;
    let raw = time(|| {
        let pool = pool.clone();
        let session_hash = session_hash.clone();
        let today = today.clone();
        async move {
            sqlx::query("SELECT * FROM sessions WHERE id_hash = $1").bind(session_hash).fetch_all(&pool).await.unwrap();
            q_i64(&pool, "SELECT * FROM users WHERE id = $1", &[provider_user.id]).await;
            q_i64(&pool, "SELECT * FROM contacts WHERE id = $1", &[contact.id]).await;
            q_i64(&pool, "SELECT * FROM providers WHERE id = $1", &[pid]).await;
            q_i64(&pool, "SELECT a.* FROM authorities a JOIN provider_authorities pa ON pa.authority_id = a.id WHERE pa.provider_id = $1", &[pid]).await;
            q_i64(&pool, "SELECT * FROM authorities WHERE id = $1", &[1]).await;
            let services = sqlx::query("SELECT id FROM services WHERE authority_id = $1 AND provider_id = $2").bind(1i64).bind(pid).fetch_all(&pool).await.unwrap();
            let ids: Vec<String> = services.iter().map(|s| s.try_get::<i64, _>("id").unwrap().to_string()).collect();
            let ids = ids.join(",");
            sqlx::query(&format!("SELECT COUNT(*) AS n FROM client_schedules WHERE (end_date IS NULL OR end_date >= $1) AND service_id IN ({ids})")).bind(&today).fetch_one(&pool).await.unwrap();
            sqlx::query(&format!("SELECT * FROM performance_returns WHERE year_start = $1 AND quarter = $2 AND service_id IN ({ids})")).bind(2026i64).bind(2i64).fetch_all(&pool).await.unwrap();
            q_i64(&pool, "SELECT COUNT(*) AS n FROM contracts WHERE authority_id = $1 AND provider_id = $2", &[1, pid]).await;
            q_i64(&pool, "SELECT * FROM requests WHERE authority_id = $1 AND provider_id = $2 AND status = 'pending'", &[1, pid]).await;
            q_i64(&pool, "SELECT COUNT(*) AS n FROM contract_documents d JOIN contracts c ON c.id = d.contract_id WHERE c.provider_id = $1 AND c.authority_id = $2 AND NOT EXISTS (SELECT 1 FROM document_signatures s WHERE s.document_id = d.id)", &[pid, 1]).await;
            q_i64(&pool, "SELECT * FROM actions WHERE authority_id = $1 AND provider_id = $2", &[1, pid]).await;
        }
    })
    .await;
    let own = db_time(&probe, &router, "/home", "aa01").await;
    report(
        "provider home page",
        page,
        Some(raw),
        own,
        own_raw(own),
        size,
    );

    // Schedule list of the largest service (first page of 50, current only).
    let path = format!("/services/{largest}");
    let page = time(|| async {
        get(&router, &path, "aa02").await;
    })
    .await;
    let size = get(&router, &path, "aa02").await;
    let raw = time(|| {
        let pool = pool.clone();
        let officer_hash = officer_hash.clone();
        let today = today.clone();
        async move {
            sqlx::query("SELECT * FROM sessions WHERE id_hash = $1").bind(officer_hash).fetch_all(&pool).await.unwrap();
            q_i64(&pool, "SELECT * FROM users WHERE username = 'officer'", &[]).await;
            q_i64(&pool, "SELECT * FROM authorities WHERE id = $1", &[1]).await;
            q_i64(&pool, "SELECT * FROM services WHERE id = $1", &[largest]).await;
            q_text(&pool, "SELECT COUNT(*) AS n FROM client_schedules s WHERE s.service_id = $1 AND (s.end_date IS NULL OR s.end_date >= $2)", largest, &today).await;
            q_text(&pool, "SELECT s.id, s.client_id, s.level, s.units_per_week, s.start_date, s.end_date, s.end_reason, c.first_name, c.last_name FROM client_schedules s JOIN clients c ON c.id = s.client_id WHERE s.service_id = $1 AND (s.end_date IS NULL OR s.end_date >= $2) ORDER BY c.last_name, c.first_name, s.id LIMIT 50", largest, &today).await;
            q_i64(&pool, "SELECT * FROM providers WHERE id = $1", &[pid]).await;
            q_i64(&pool, "SELECT c.* FROM contracts c JOIN contract_services cs ON cs.contract_id = c.id WHERE cs.service_id = $1", &[largest]).await;
            q_i64(&pool, "SELECT * FROM requests WHERE service_id = $1 AND status = 'pending'", &[largest]).await;
        }
    })
    .await;
    let own = db_time(&probe, &router, &path, "aa02").await;
    report(
        &format!("schedule list, largest service ({largest_n} current)"),
        page,
        Some(raw),
        own,
        own_raw(own),
        size,
    );

    // The officer's request queue.
    let page = time(|| async {
        get(&router, "/requests", "aa02").await;
    })
    .await;
    let size = get(&router, "/requests", "aa02").await;
    let raw = time(|| {
        let pool = pool.clone();
        let officer_hash = officer_hash.clone();
        async move {
            sqlx::query("SELECT * FROM sessions WHERE id_hash = $1").bind(officer_hash).fetch_all(&pool).await.unwrap();
            q_i64(&pool, "SELECT * FROM users WHERE username = 'officer'", &[]).await;
            q_i64(&pool, "SELECT * FROM authorities WHERE id = $1", &[1]).await;
            q_i64(&pool, "SELECT * FROM requests WHERE authority_id = $1 AND status = 'pending' ORDER BY submitted_at DESC, id DESC LIMIT 500", &[1]).await;
            q_i64(&pool, "SELECT * FROM providers WHERE id IN (SELECT provider_id FROM provider_authorities WHERE authority_id = $1) ORDER BY name", &[1]).await;
        }
    })
    .await;
    let own = db_time(&probe, &router, "/requests", "aa02").await;
    report(
        "officer's request queue (300 pending)",
        page,
        Some(raw),
        own,
        own_raw(own),
        size,
    );

    // Pages of the usability issue, against the time of their own queries.
    for (name, path, token) in [
        (
            "provider's returns overview (4 quarters)",
            "/returns",
            "aa01",
        ),
        ("officer's home (my providers, queues)", "/home", "aa02"),
        ("returns tracker, last quarter", "/returns/tracker", "aa02"),
        ("audit trail, first page", "/admin/audit", "aa03"),
        (
            "services list, sorted by units",
            "/services?sort=units",
            "aa02",
        ),
    ] {
        let page = time(|| async {
            get(&router, path, token).await;
        })
        .await;
        let size = get(&router, path, token).await;
        let own = db_time(&probe, &router, path, token).await;
        report(name, page, None, own, own_raw(own), size);
    }
}

fn report(
    name: &str,
    page: Duration,
    raw: Option<Duration>,
    own: (Duration, u64),
    own_raw: Duration,
    size: usize,
) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ratio = |d: Duration| page.as_secs_f64() / d.as_secs_f64().max(1e-9);
    let (raw_ms, raw_ratio) = match raw {
        Some(r) => (format!("{:.2} ms", ms(r)), format!("{:.1}x", ratio(r))),
        None => ("-".into(), "-".into()),
    };
    println!(
        "| {name} | {:.2} ms | {raw_ms} | {raw_ratio} | {:.2} ms ({}) | {:.2} ms | {:.1}x | {} kB |",
        ms(page),
        ms(own.0),
        own.1,
        ms(own_raw),
        ratio(own_raw),
        size / 1024
    );
}
