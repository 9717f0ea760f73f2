//! Audited write throughput when two authorities write at once, on PostgreSQL.
//!
//! Three figures, each beside the raw work underneath it:
//! - raw: 8 writers doing the same one-row write in a plain transaction, no audit (the
//!   database's own ceiling for this write on this machine);
//! - audited: 4 writers for each of two authorities doing that write through `begin_write`
//!   and its audit entry, writes a second per authority and in total;
//! - held: while authority A keeps a write transaction open for 500 ms at a time (as a
//!   payment run or a data supply does), how long authority B's one-row writes take.
//!
//! Run: `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p hearth-store --bench audit`
//! (without `TEST_DATABASE_URL` it says so and stops).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_store::{Actor, Db, DbConfig};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECONDS: u64 = 5;
const WRITERS_PER_AUTHORITY: usize = 4;

fn actor(authority_id: i64) -> Actor {
    Actor {
        user_id: None,
        name: format!("bench-{authority_id}"),
        authority_id: Some(authority_id),
    }
}

async fn audited_write(db: &Db, authority_id: i64, writer: usize, n: u64) {
    let mut tx = db.begin_write(&actor(authority_id)).await.unwrap();
    tx.set_setting(&format!("bench.{authority_id}.{writer}"), &n.to_string())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn raw_write(db: &Db, writer: usize, n: u64) {
    let mut tx = db.pool().begin().await.unwrap();
    sqlx::query("UPDATE settings SET value = $2 WHERE name = $1")
        .bind(format!("raw.{writer}"))
        .bind(n.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("set TEST_DATABASE_URL to a PostgreSQL server to run this benchmark");
        return;
    };
    let url = hearth_store::testing::fresh_postgres_database(&base)
        .await
        .unwrap();
    let db = Db::connect(&DbConfig {
        url,
        max_connections: 16,
        audit_key: b"bench".to_vec(),
    })
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let mut tx = db.begin_write(&Actor::system("bench")).await.unwrap();
    let a = tx.insert_authority("Authority A", "BNA").await.unwrap().id;
    let b = tx.insert_authority("Authority B", "BNB").await.unwrap().id;
    for w in 0..2 * WRITERS_PER_AUTHORITY {
        tx.set_setting(&format!("raw.{w}"), "0").await.unwrap();
    }
    tx.commit().await.unwrap();

    // Raw: the same write with no audit and no chain head.
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..2 * WRITERS_PER_AUTHORITY {
        let (db, done, stop) = (db.clone(), done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                raw_write(&db, w, n).await;
                n += 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let raw = done.load(Ordering::Relaxed) as f64 / SECONDS as f64;

    // Audited: two authorities writing at once.
    let counts = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (i, authority) in [a, b].into_iter().enumerate() {
        for w in 0..WRITERS_PER_AUTHORITY {
            let (db, done, stop) = (db.clone(), counts[i].clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    audited_write(&db, authority, w, n).await;
                    n += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
    }
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let per = [
        counts[0].load(Ordering::Relaxed) as f64 / SECONDS as f64,
        counts[1].load(Ordering::Relaxed) as f64 / SECONDS as f64,
    ];
    let total = per[0] + per[1];

    // Held: A keeps a write open 500 ms at a time; B's writes meanwhile.
    let stop = Arc::new(AtomicBool::new(false));
    let holder = {
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let mut tx = db.begin_write(&actor(a)).await.unwrap();
                tx.set_setting("bench.held", &n.to_string()).await.unwrap();
                tokio::time::sleep(Duration::from_millis(500)).await;
                tx.commit().await.unwrap();
                n += 1;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut latencies = Vec::new();
    let until = Instant::now() + Duration::from_secs(SECONDS);
    let mut n = 0;
    while Instant::now() < until {
        let t = Instant::now();
        audited_write(&db, b, 0, n).await;
        latencies.push(t.elapsed());
        n += 1;
    }
    stop.store(true, Ordering::Relaxed);
    holder.await.unwrap();

    println!("audited writes, PostgreSQL, {SECONDS} s each, {WRITERS_PER_AUTHORITY} writers per authority");
    println!("raw one-row write, 8 writers, no audit: {raw:.0} writes/s");
    println!(
        "audited, two authorities at once: A {:.0}/s, B {:.0}/s, total {total:.0}/s ({:.2} of raw)",
        per[0],
        per[1],
        total / raw
    );
    println!(
        "B's write while A holds a write open 500 ms at a time: p50 {:.1} ms, p99 {:.1} ms, {} writes",
        pct(latencies.clone(), 0.5).as_secs_f64() * 1000.0,
        pct(latencies.clone(), 0.99).as_secs_f64() * 1000.0,
        latencies.len()
    );
    db.close().await;
}
