//! Two `hearth serve` processes on one PostgreSQL database: a session made on one is valid on
//! the other, and a scheduled job runs once. Needs TEST_DATABASE_URL (CI sets it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use hearth_store::{Actor, Db, DbConfig};
use std::time::Duration;
use support::*;

const KEY: &str = "multi-node-test-audit-key";

#[tokio::test]
async fn two_nodes_share_sessions_and_run_a_job_once() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipping the multi-node test: set TEST_DATABASE_URL to a PostgreSQL server");
        return;
    };
    let url = hearth_store::testing::fresh_postgres_database(&base)
        .await
        .unwrap();
    let db = Db::connect(&DbConfig {
        url: url.clone(),
        max_connections: 4,
        audit_key: KEY.as_bytes().to_vec(),
    })
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let app = hearth_app::App::new(db.clone(), Default::default());
    let summary = app
        .load_demo(hearth_app::demo::Scale::Small, 11, &|_| {})
        .await
        .unwrap();
    let officer = summary
        .accounts
        .iter()
        .find(|a| a.username == "officer")
        .unwrap()
        .clone();
    // One e-mail waiting: it must be sent once, by one node.
    let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
    tx.queue_mail("someone@example.org", "Test", "Sent once")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let dirs = [Tmp::new("node-a"), Tmp::new("node-b")];
    let mut nodes = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let port = free_port();
        let mut cmd = hearth();
        cmd.env("DATABASE_URL", &url)
            .env("HEARTH_AUDIT_KEY", KEY)
            .env("HEARTH_NODE_NAME", format!("node-{i}"))
            .args([
                "--data-dir",
                dir.0.to_str().unwrap(),
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ]);
        nodes.push(start(cmd, port));
    }

    // Sign in on node A; the same cookie works on node B (cookies are not port-specific).
    let c = client();
    sign_in(
        &c,
        &nodes[0].url(""),
        "officer",
        &officer.password,
        &officer.totp_secret,
    )
    .await;
    let r = c.get(nodes[1].url("/providers")).send().await.unwrap();
    assert_eq!(
        r.status(),
        200,
        "a session made on node A is valid on node B"
    );
    // Signing out on B ends it on A.
    let home = c
        .get(nodes[1].url("/home"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&home);
    let r = c
        .post(nodes[1].url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        c.get(nodes[0].url("/home")).send().await.unwrap().status(),
        303
    );

    // Both schedulers tick at start and every 5 s; give them a few ticks.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let locks = db.job_locks().await.unwrap();
    let sweep = locks
        .iter()
        .find(|l| l.name == "session_sweep")
        .expect("session sweep ran");
    assert_eq!(
        sweep.runs, 1,
        "a job runs once across nodes per interval: {locks:?}"
    );
    let mails: usize = dirs
        .iter()
        .map(|d| {
            std::fs::read_dir(d.0.join("mail"))
                .map(|r| {
                    r.flatten()
                        .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                        .count()
                })
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(mails, 1, "the queued e-mail was sent exactly once");
    drop(nodes);
    db.close().await;
}
