//! The security review's load test: 100 failed sign-ins, five at a time, took the server from
//! 200 MB to about 900 MB (each argon2 hash made its own 19 MiB on whichever thread ran it).
//! Hashes now reuse a fixed set of working buffers, so memory stays flat. Alone in its own
//! test binary, so that no other test moves the process's memory meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_failed_sign_ins_leaves_memory_flat() {
    let db = hearth_store::testing::sqlite().await.unwrap();
    let app = hearth_app::App::new(db.db.clone(), hearth_app::AppConfig::default());
    app.load_demo(hearth_app::demo::Scale::Small, 7, &|_| {})
        .await
        .unwrap();
    // Warm up: the first hashes make the buffers that every later one reuses.
    for i in 0..4 {
        let _ = app
            .login_password(
                "officer",
                "wrong password",
                None,
                &format!("198.51.100.{i}"),
                None,
            )
            .await;
    }
    let before = rss_mib();
    for round in 0..20 {
        let mut burst = Vec::new();
        for i in 0..5 {
            let app = app.clone();
            let n = round * 5 + i;
            let from = format!("203.0.113.{n}");
            // Real and unknown usernames, each tried a few times only (so no username is
            // slowed as one under attack would be).
            let names = [
                "admin",
                "officer",
                "contracts",
                "finance",
                "board",
                "provider",
                "limited",
            ];
            let username = if n % 2 == 0 {
                names[n % names.len()].to_string()
            } else {
                format!("nobody{}", n % 13)
            };
            burst.push(tokio::spawn(async move {
                app.login_password(&username, "wrong password", None, &from, None)
                    .await
            }));
        }
        for b in burst {
            assert!(b.await.unwrap().is_err());
        }
    }
    let after = rss_mib();
    assert!(
        after < before + 120,
        "memory went from {before} MiB to {after} MiB over 100 failed sign-ins"
    );
}
