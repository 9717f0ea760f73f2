//! The outbox: queued mail is delivered once by the folder and SMTP transports; jobs run once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_app::App;
use hearth_jobs::{Job, MailConfig, MailTransport, Scheduler};
use hearth_store::{testing, Actor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

async fn queue(app: &App, to: &str) {
    let mut tx = app
        .db_for_tests()
        .begin_write(&Actor::system("test"))
        .await
        .unwrap();
    tx.queue_mail(
        to,
        "Returns due",
        "Your quarterly return is due on 30 April.",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn folder_transport_writes_each_message_once() {
    for t in testing::all().await.unwrap() {
        let app = App::new(t.db.clone(), Default::default());
        queue(&app, "a@example.org").await;
        queue(&app, "b@example.org").await;
        let dir = testing::TempDir::new("hearth-mail").unwrap();
        let mail = MailTransport::new(&MailConfig::Folder(dir.path().to_path_buf())).unwrap();
        assert_eq!(mail.deliver_outbox(&app).await.unwrap(), 2, "{}", t.name);
        // /metrics reads these counts from memory.
        let stats = app.work_stats();
        assert_eq!(
            (stats.outbox_sent, stats.outbox_waiting),
            (2, 2),
            "{}",
            t.name
        );
        assert_eq!(
            mail.deliver_outbox(&app).await.unwrap(),
            0,
            "{}: nothing sent twice",
            t.name
        );
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(files.len(), 2, "{}", t.name);
        let text = std::fs::read_to_string(files[0].path()).unwrap();
        assert!(text.contains("Subject: Returns due"), "{}", t.name);
        assert!(
            app.db_for_tests().unsent_mail(10).await.unwrap().is_empty(),
            "{}",
            t.name
        );
    }
}

/// A tiny SMTP server that records what it receives.
async fn fake_smtp() -> (u16, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let (r, mut w) = sock.into_split();
        let mut lines = BufReader::new(r).lines();
        let mut received = String::new();
        w.write_all(b"220 fake ESMTP\r\n").await.unwrap();
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            received.push_str(&line);
            received.push('\n');
            if in_data {
                if line == "." {
                    in_data = false;
                    w.write_all(b"250 queued\r\n").await.unwrap();
                }
                continue;
            }
            let upper = line.to_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                w.write_all(b"250-fake\r\n250 8BITMIME\r\n").await.unwrap();
            } else if upper.starts_with("DATA") {
                in_data = true;
                w.write_all(b"354 go ahead\r\n").await.unwrap();
            } else if upper.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                w.write_all(b"250 ok\r\n").await.unwrap();
            }
        }
        received
    });
    (port, handle)
}

#[tokio::test]
async fn smtp_transport_relays_queued_mail() {
    let t = testing::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), Default::default());
    queue(&app, "provider@example.org").await;
    let (port, server) = fake_smtp().await;
    let mail = MailTransport::new(&MailConfig::Smtp {
        host: "127.0.0.1".into(),
        port,
        from: "Hearth <hearth@example.org>".into(),
    })
    .unwrap();
    assert_eq!(mail.deliver_outbox(&app).await.unwrap(), 1);
    drop(mail);
    let received = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    assert!(
        received.contains("RCPT TO:<provider@example.org>"),
        "{received}"
    );
    assert!(received.contains("Subject: Returns due"), "{received}");
}

#[tokio::test]
async fn an_unreachable_smtp_server_leaves_mail_queued_with_the_error() {
    let t = testing::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), Default::default());
    queue(&app, "provider@example.org").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mail = MailTransport::new(&MailConfig::Smtp {
        host: "127.0.0.1".into(),
        port,
        from: "hearth@example.org".into(),
    })
    .unwrap();
    assert_eq!(mail.deliver_outbox(&app).await.unwrap(), 0);
    let waiting = app.db_for_tests().unsent_mail(10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].attempts, 1);
    assert!(waiting[0].last_error.is_some());
    assert_eq!(app.work_stats().outbox_failed, 1);
}

#[tokio::test]
async fn two_schedulers_run_each_job_once_per_interval() {
    for t in testing::all().await.unwrap() {
        let app = App::new(t.db.clone(), Default::default());
        let dir = testing::TempDir::new("hearth-mail").unwrap();
        let mail = MailTransport::new(&MailConfig::Folder(dir.path().to_path_buf())).unwrap();
        let a = Scheduler::new(app.clone(), "node-a", mail.clone());
        let b = Scheduler::new(app.clone(), "node-b", mail);
        let now = 2_000_000_000;
        let (ra, rb) = tokio::join!(a.run_due(now), b.run_due(now));
        for job in Job::ALL {
            let runs =
                ra.iter().filter(|j| *j == job).count() + rb.iter().filter(|j| *j == job).count();
            assert_eq!(runs, 1, "{}: {} ran once", t.name, job.name());
        }
        assert!(
            a.run_due(now + 1).await.is_empty(),
            "{}: not due again yet",
            t.name
        );
        let later = a.run_due(now + Job::SessionSweep.interval()).await;
        assert!(later.contains(&Job::SessionSweep), "{}", t.name);
    }
}

#[tokio::test]
async fn each_tick_queues_a_run_and_the_runner_records_how_it_ended() {
    for t in testing::all().await.unwrap() {
        let app = App::new(t.db.clone(), Default::default());
        queue(&app, "a@example.org").await;
        let dir = testing::TempDir::new("hearth-mail").unwrap();
        let mail = MailTransport::new(&MailConfig::Folder(dir.path().to_path_buf())).unwrap();
        let s = Scheduler::new(app.clone(), "node-a", mail);
        let now = 2_000_000_000;
        assert_eq!(s.run_due(now).await.len(), Job::ALL.len(), "{}", t.name);
        let system = hearth_app::Principal::system("cli:test");
        let runs = app.runs(&system).await.unwrap();
        assert_eq!(runs.len(), Job::ALL.len(), "{}: one run a job", t.name);
        for r in &runs {
            assert_eq!(
                r.status,
                hearth_domain::runs::RunStatus::Done,
                "{}: {r:?}",
                t.name
            );
            assert!(r.requested_by.starts_with("scheduler:node-a"));
        }
        let outbox = runs.iter().find(|r| r.kind == "outbox").unwrap();
        assert_eq!(outbox.result, Some(serde_json::json!({ "sent": 1 })));
        // While a run of a kind is queued, the next tick queues no second one.
        app.enqueue_periodic_run(hearth_app::runs::RunKind::Outbox, "node-b")
            .await
            .unwrap()
            .unwrap();
        assert!(app
            .enqueue_periodic_run(hearth_app::runs::RunKind::Outbox, "node-b")
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            s.run_queued(&[hearth_app::runs::RunKind::Outbox])
                .await
                .len(),
            1
        );
    }
}
