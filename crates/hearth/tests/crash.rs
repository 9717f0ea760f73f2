//! Crash safety (R2): kill the server with SIGKILL during a stream of writes, restart it, and
//! find every acknowledged write present and the database sound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use hearth_store::{ChainReport, Db, DbConfig, ProviderFilter};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

#[tokio::test]
async fn acknowledged_writes_survive_a_kill() {
    let data = Tmp::new("crash");
    let dir = data.0.to_str().unwrap().to_string();
    let status = hearth()
        .args(["--data-dir", &dir, "demo", "--no-serve"])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let (password, secret) = demo_account(&data.0, "officer");
    let port = free_port();
    let serve = |port: u16| {
        let mut cmd = hearth();
        cmd.args([
            "--data-dir",
            &dir,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ]);
        start(cmd, port)
    };
    let mut server = serve(port);
    let base = server.url("");
    let c = client();
    sign_in(&c, &base, "officer", &password, &secret).await;
    let page = c
        .get(format!("{base}/providers/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);

    let acked: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let writer = {
        let acked = acked.clone();
        let c = c.clone();
        let base = base.clone();
        tokio::spawn(async move {
            for i in 0..100_000 {
                let reference = format!("CRASH{i:05}");
                let r = c
                    .post(format!("{base}/providers/new"))
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("name", &format!("Crash Test {i}")),
                        ("reference", &reference),
                    ])
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 303 => acked.lock().unwrap().push(reference),
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        })
    };
    // Let some writes land, then kill the server mid-stream.
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if acked.lock().unwrap().len() >= 40 {
            break;
        }
    }
    server.kill9();
    writer.await.unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 40);

    // Restart: the server recovers the database and every acknowledged write is there.
    let server = serve(free_port());
    let key = std::fs::read_to_string(data.0.join("audit.key")).unwrap();
    let db = Db::connect(&DbConfig {
        url: format!("sqlite://{}", data.0.join("hearth.db").display()),
        max_connections: 2,
        audit_key: key.trim().as_bytes().to_vec(),
    })
    .await
    .unwrap();
    let found = db
        .list_providers(&ProviderFilter {
            search: Some("crash".into()),
            per_page: 1_000_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let refs: std::collections::HashSet<String> =
        found.items.into_iter().map(|p| p.reference).collect();
    for r in &acked {
        assert!(refs.contains(r), "acknowledged write {r} was lost");
    }
    assert_eq!(db.integrity_check().await.unwrap(), "ok");
    assert!(
        matches!(db.audit_verify().await.unwrap(), ChainReport::Intact { .. }),
        "audit chain intact after the crash"
    );
    drop(server);
}

/// A payment run's status, and the count and sum of its paid lines.
async fn paid_state(db: &Db, run: i64) -> (String, usize, i64) {
    let r = db.payment_run(run).await.unwrap().unwrap();
    let lines = db.paid_lines(run, None).await.unwrap();
    (
        r.status,
        lines.len(),
        lines.iter().map(|l| l.amount_pence).sum(),
    )
}

/// The demo with its history on `env`'s database (SQLite in `data` when `env` is empty); the
/// second finance officer approves the waiting run and asks to pay it; the server is killed
/// `delay` after the request is sent. Restarted, the run is paid whole or not at all; asked
/// again, it is paid whole, once; the audit chain is intact.
async fn kill_during_commit(
    data: &Tmp,
    env: &[(&str, String)],
    config: impl Fn() -> DbConfig,
    delay: Duration,
) {
    let dir = data.0.to_str().unwrap().to_string();
    let cmd = |args: &[&str]| {
        let mut c = hearth();
        for (k, v) in env {
            c.env(k, v);
        }
        c.arg("--data-dir").arg(&dir).args(args);
        c
    };
    let out = cmd(&["demo", "--no-serve"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (password, secret) = demo_account(&data.0, "payments");
    let serve = |port: u16| {
        start(
            cmd(&["serve", "--listen", &format!("127.0.0.1:{port}")]),
            port,
        )
    };
    let mut server = serve(free_port());
    let base = server.url("");
    let check = Db::connect(&config()).await.unwrap();
    let aid = check
        .user_by_username("payments")
        .await
        .unwrap()
        .unwrap()
        .authority_id
        .unwrap();
    let run = check
        .payment_runs(aid, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.status == "prepared")
        .expect("the demo leaves its last ended period waiting for approval");
    let due: Vec<_> = check
        .run_lines(run.id, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.state.is_empty())
        .collect();
    let whole = (due.len(), due.iter().map(|l| l.amount_pence).sum::<i64>());
    assert!(whole.0 > 0);
    let c = client();
    sign_in(&c, &base, "payments", &password, &secret).await;
    let page = format!("{base}/payments/{}", run.id);
    let csrf = extract_csrf(&c.get(&page).send().await.unwrap().text().await.unwrap());
    let r = c
        .post(format!("{page}/approve"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let commit = {
        let (c, page, csrf) = (c.clone(), page.clone(), csrf.clone());
        tokio::spawn(async move {
            c.post(format!("{page}/commit"))
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    tokio::time::sleep(delay).await;
    server.kill9();
    let answered = commit.await.unwrap();
    let server = serve(free_port());
    let base = server.url("");
    let (status, count, sum) = paid_state(&check, run.id).await;
    match status.as_str() {
        "committed" => assert_eq!((count, sum), whole, "paid whole"),
        "approved" => {
            assert_eq!(count, 0, "nothing of it paid");
            assert!(
                !matches!(answered, Ok(303)),
                "a commit that answered 303 is paid"
            );
        }
        other => panic!("the run is {other}"),
    }
    eprintln!(
        "killed {delay:?} into the commit: the run was {status}; the request answered {answered:?}"
    );
    // Asked again after the restart (the session is in the database): paid whole, once.
    let page = format!("{base}/payments/{}", run.id);
    let csrf = extract_csrf(&c.get(&page).send().await.unwrap().text().await.unwrap());
    let r = c
        .post(format!("{page}/commit"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        if status == "committed" { 409 } else { 303 }
    );
    let (status, count, sum) = paid_state(&check, run.id).await;
    assert_eq!(
        (status.as_str(), count, sum),
        ("committed", whole.0, whole.1)
    );
    assert!(
        matches!(
            check.audit_verify().await.unwrap(),
            ChainReport::Intact { .. }
        ),
        "audit chain intact after the kill"
    );
    drop(server);
}

#[tokio::test]
async fn a_payment_run_killed_while_it_is_paid_is_paid_whole_or_not_at_all() {
    // SQLite: the embedded database.
    for delay in [Duration::from_millis(40), Duration::from_millis(400)] {
        let data = Tmp::new("crash-pay");
        let path = data.0.join("hearth.db");
        let key_path = data.0.join("audit.key");
        kill_during_commit(
            &data,
            &[],
            || DbConfig {
                url: format!("sqlite://{}", path.display()),
                max_connections: 2,
                audit_key: std::fs::read_to_string(&key_path)
                    .unwrap()
                    .trim()
                    .as_bytes()
                    .to_vec(),
            },
            delay,
        )
        .await;
    }
    // PostgreSQL, where CI provides one.
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        return;
    };
    for delay in [Duration::from_millis(40), Duration::from_millis(400)] {
        let url = hearth_store::testing::fresh_postgres_database(&base)
            .await
            .unwrap();
        let key = "crash-payments-test-audit-key".to_string();
        let data = Tmp::new("crash-pay-pg");
        kill_during_commit(
            &data,
            &[
                ("DATABASE_URL", url.clone()),
                ("HEARTH_AUDIT_KEY", key.clone()),
            ],
            || DbConfig {
                url: url.clone(),
                max_connections: 2,
                audit_key: key.as_bytes().to_vec(),
            },
            delay,
        )
        .await;
    }
}
