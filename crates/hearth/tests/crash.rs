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
