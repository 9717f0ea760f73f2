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

/// Two nodes asked to pay the same approved payment run at the same moment (two finance
/// officers, or a retry landing on another node) pay it once: one answers that it is paid,
/// the other that the run moved; its lines are written once.
#[tokio::test]
async fn two_nodes_asked_to_pay_one_run_at_once_pay_it_once() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipping the multi-node test: set TEST_DATABASE_URL to a PostgreSQL server");
        return;
    };
    let url = hearth_store::testing::fresh_postgres_database(&base)
        .await
        .unwrap();
    let dirs = [Tmp::new("pay-node-a"), Tmp::new("pay-node-b")];
    let cmd = |i: usize, args: &[&str]| {
        let mut c = hearth();
        c.env("DATABASE_URL", &url)
            .env("HEARTH_AUDIT_KEY", KEY)
            .env("HEARTH_NODE_NAME", format!("node-{i}"))
            .arg("--data-dir")
            .arg(dirs[i].0.to_str().unwrap())
            .args(args);
        c
    };
    // The demo with its history: its last ended period waits for approval.
    let out = cmd(0, &["demo", "--no-serve"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = Db::connect(&DbConfig {
        url: url.clone(),
        max_connections: 2,
        audit_key: KEY.as_bytes().to_vec(),
    })
    .await
    .unwrap();
    let aid = db
        .user_by_username("payments")
        .await
        .unwrap()
        .unwrap()
        .authority_id
        .unwrap();
    let run = db
        .payment_runs(aid, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.status == "prepared")
        .expect("a run waiting for approval");
    let due = db
        .run_lines(run.id, None)
        .await
        .unwrap()
        .iter()
        .filter(|l| l.state.is_empty())
        .count();
    let nodes: Vec<Server> = (0..2)
        .map(|i| {
            let port = free_port();
            start(
                cmd(i, &["serve", "--listen", &format!("127.0.0.1:{port}")]),
                port,
            )
        })
        .collect();
    let (password, secret) = demo_account(&dirs[0].0, "payments");
    let c = client();
    sign_in(&c, &nodes[0].url(""), "payments", &password, &secret).await;
    let page = |n: usize| nodes[n].url(&format!("/payments/{}", run.id));
    let csrf = extract_csrf(&c.get(page(0)).send().await.unwrap().text().await.unwrap());
    let r = c
        .post(format!("{}/approve", page(0)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let pay = |n: usize| {
        let (c, url, csrf) = (c.clone(), format!("{}/commit", page(n)), csrf.clone());
        async move {
            c.post(url)
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let (a, b) = tokio::join!(pay(0), pay(1));
    let mut answers = [a, b];
    answers.sort_unstable();
    assert_eq!(
        answers,
        [303, 409],
        "one node pays, the other says the run moved"
    );
    assert_eq!(
        db.payment_run(run.id).await.unwrap().unwrap().status,
        "committed"
    );
    assert_eq!(db.paid_lines(run.id, None).await.unwrap().len(), due);
    assert!(matches!(
        db.audit_verify().await.unwrap(),
        hearth_store::ChainReport::Intact { .. }
    ));
    drop(nodes);
}
