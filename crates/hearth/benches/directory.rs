//! Public directory benchmark at the national profile of SPEC S1 (37,000 services from 6,000
//! providers in 150 authorities; services' current client counts come from the generated
//! 1.2 million schedules, which are not themselves loaded).
//!
//! Median and 99th percentile server time of a filtered search with a postcode distance, a
//! service page and the open API's `/services?page=N`, each beside the raw SQL behind it; and
//! requests per second of the search page on this machine (in-process, 4 concurrent callers).
//!
//! Run: `cargo bench -p hearth --bench directory`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::Request;
use hearth_app::demo::Scale;
use hearth_app::{App, AppConfig};
use hearth_store::{Db, DbConfig};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const RUNS: usize = 500;

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure<F, Fut>(mut f: F) -> (Duration, Duration)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..30 {
        f(i).await;
    }
    let mut v = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        let t = Instant::now();
        f(i).await;
        v.push(t.elapsed());
    }
    (pct(v.clone(), 0.5), pct(v, 0.99))
}

async fn get(router: &axum::Router, path: &str) -> usize {
    let resp = router
        .clone()
        .oneshot(Request::builder().uri(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .len()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = hearth_store::testing::TempDir::new("hearth-bench-dir").unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&DbConfig {
        url,
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
    let summary = app
        .load_demo_with(Scale::National, 2026, &|s| eprintln!("{s}"), false)
        .await
        .unwrap();
    eprintln!(
        "loaded {} services of {} providers in {:.1?}",
        summary.services,
        summary.providers,
        t.elapsed()
    );
    let router = hearth_web::router(
        app.clone(),
        hearth_web::WebConfig {
            secure_cookies: false,
            ..Default::default()
        },
    );
    let pool = db.pool().clone();

    // Search around the postcode of a service in the densest area, for its client group.
    let services = db
        .list_services(&hearth_store::ServiceFilter {
            per_page: 40_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    let s = services
        .iter()
        .find(|s| s.latitude.is_some() && s.client_group == "older_people")
        .unwrap()
        .clone();
    let centre = (s.latitude.unwrap(), s.longitude.unwrap());
    let radius = hearth_domain::directory::miles_to_m(10.0);
    let bbox = hearth_domain::directory::bounding_box(centre, radius);
    let search = format!(
        "/directory?postcode={}&distance=10&client_group=older_people",
        s.postcode.replace(' ', "+")
    );
    let results = app
        .directory_search(&hearth_app::directory::DirectoryQuery {
            postcode: s.postcode.clone(),
            distance: "10".into(),
            client_group: "older_people".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    eprintln!(
        "the search finds {} services within 10 miles",
        results.total
    );

    println!(
        "| measure | median | 99th percentile | raw SQL median | raw SQL p99 | ratio (median) |"
    );
    println!("|---|---|---|---|---|---|");
    let (m, p) = measure(|_| {
        let r = &router;
        let path = search.clone();
        async move {
            get(r, &path).await;
        }
    })
    .await;
    let (rm, rp) = measure(|_| {
        let pool = pool.clone();
        let pc = s.postcode.clone();
        async move {
            sqlx::query("SELECT latitude, longitude FROM postcodes WHERE postcode = $1").bind(pc).fetch_all(&pool).await.unwrap();
            // The search's two reads: ids and locations of the services in the box, through
            // the spatial index; then whole rows of the ten on the page.
            let near = sqlx::query(&format!(
                "SELECT s.id, s.latitude, s.longitude FROM services s
                 WHERE s.client_group = $1 AND NOT {} AND s.id IN (SELECT id FROM service_locations WHERE max_lat >= $2 AND min_lat <= $3 AND max_lon >= $4 AND min_lon <= $5)
                 AND s.latitude BETWEEN $2 AND $3 AND s.longitude BETWEEN $4 AND $5 AND {} > 0
                 AND s.latitude IS NOT NULL AND s.longitude IS NOT NULL ORDER BY s.id LIMIT 20000",
                hearth_store::CONFIDENTIAL_SQL,
                hearth_store::PLACES_SQL
            ))
            .bind("older_people")
            .bind(bbox.0)
            .bind(bbox.2)
            .bind(bbox.1)
            .bind(bbox.3)
            .fetch_all(&pool)
            .await
            .unwrap();
            let ids: Vec<i64> = near.iter().take(10).map(|r| sqlx::Row::get(r, "id")).collect();
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            sqlx::query(&format!(
                "SELECT s.*, pr.name AS provider_name FROM services s JOIN providers pr ON pr.id = s.provider_id WHERE s.id IN ({list}) LIMIT 10"
            ))
            .fetch_all(&pool)
            .await
            .unwrap();
        }
    })
    .await;
    println!("| search page: postcode + 10 miles + client group ({} found) | {} | {} | {} | {} | {:.1}x |", results.total, ms(m), ms(p), ms(rm), ms(rp), m.as_secs_f64() / rm.as_secs_f64());

    let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
    let (m, p) = measure(|i| {
        let r = &router;
        let id = ids[(i * 7919) % ids.len()];
        async move {
            get(r, &format!("/directory/services/{id}")).await;
        }
    })
    .await;
    let (rm, rp) = measure(|i| {
        let pool = pool.clone();
        let id = ids[(i * 7919) % ids.len()];
        async move {
            sqlx::query("SELECT COUNT(*) AS n FROM services s WHERE s.id IN ($1)").bind(id).fetch_all(&pool).await.unwrap();
            sqlx::query("SELECT s.*, pr.name AS provider_name FROM services s JOIN providers pr ON pr.id = s.provider_id WHERE s.id IN ($1) ORDER BY s.id LIMIT 1 OFFSET 0").bind(id).fetch_all(&pool).await.unwrap();
        }
    })
    .await;
    println!(
        "| service page | {} | {} | {} | {} | {:.1}x |",
        ms(m),
        ms(p),
        ms(rm),
        ms(rp),
        m.as_secs_f64() / rm.as_secs_f64()
    );

    let pages = (ids.len() as i64 + 49) / 50;
    let (m, p) = measure(|i| {
        let r = &router;
        let page = 1 + (i as i64 * 37) % pages;
        async move {
            get(r, &format!("/api/oruk/services?page={page}")).await;
        }
    })
    .await;
    let (rm, rp) = measure(|i| {
        let pool = pool.clone();
        let page = 1 + (i as i64 * 37) % pages;
        async move {
            sqlx::query("SELECT COUNT(*) AS n FROM services s").fetch_all(&pool).await.unwrap();
            sqlx::query("SELECT s.*, pr.name AS provider_name FROM services s JOIN providers pr ON pr.id = s.provider_id ORDER BY s.id LIMIT 50 OFFSET $1")
                .bind((page - 1) * 50)
                .fetch_all(&pool)
                .await
                .unwrap();
        }
    })
    .await;
    println!(
        "| open API /services?page=N (50 a page, {pages} pages) | {} | {} | {} | {} | {:.1}x |",
        ms(m),
        ms(p),
        ms(rm),
        ms(rp),
        m.as_secs_f64() / rm.as_secs_f64()
    );

    // Throughput of the search page: 4 callers, 2,000 requests.
    let total = 2_000usize;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..4usize {
        let router = router.clone();
        let path = search.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..total / 4 {
                let _ = w;
                get(&router, &path).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rps = total as f64 / t.elapsed().as_secs_f64();
    println!("\nsearch page throughput: {rps:.0} requests per second (in-process, 4 concurrent callers, 2 cores)");
}
