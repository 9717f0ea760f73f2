//! The job runs' status page: a run's progress is shown (and the page refreshes itself while it
//! runs); another authority's run is not found; provider users have no such page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use hearth_app::runs::RunKind;
use hearth_store::{Actor, NewRun};

#[tokio::test]
async fn the_status_page_shows_a_runs_progress_and_not_another_authoritys_run() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let admin = principal(&t, "admin").await;
    let run = t
        .app
        .start_run(&admin, RunKind::ReturnReminders, serde_json::json!({}))
        .await
        .unwrap();
    let claimed = t
        .app
        .claim_run_id(run.id, "test-node", 60)
        .await
        .unwrap()
        .unwrap();
    claimed.progress.set_total(10).await.unwrap();
    claimed.progress.advance(3).await.unwrap();

    // Another authority's run, made in the store.
    let db = t.app.db_for_tests();
    let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
    let other = tx.insert_authority("Other Council", "OTH").await.unwrap();
    let theirs = tx
        .insert_job_run(&NewRun {
            kind: "return_reminders".into(),
            parameters: "{}".into(),
            authority_id: Some(other.id),
            max_attempts: 3,
            progress_total: None,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let c = t.signed_in("admin").await;
    let (status, home) = c.text("/home").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("href=\"/runs\""),
        "the admin navigation links to the runs"
    );
    let (status, list) = c.text("/runs").await;
    assert_eq!(status, 200);
    assert!(
        list.contains(&format!("href=\"/runs/{}\"", run.id)),
        "{list}"
    );
    assert!(list.contains("3 of 10 (30%)"), "{list}");
    assert!(
        list.contains("<progress class=\"hearth-progress\" max=\"10\" value=\"3\""),
        "{list}"
    );
    assert!(
        list.contains("<meta http-equiv=\"refresh\" content=\"5\">"),
        "refreshes itself while a run is running"
    );
    assert!(list.contains("Running"));
    assert!(
        !list.contains(&format!("href=\"/runs/{}\"", theirs.id)),
        "{list}"
    );
    let (status, page) = c.text(&format!("/runs/{}", run.id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("3 of 10 (30%)"));
    assert!(page.contains("test-node"));
    assert!(page.contains("Cancel this run"));
    let (status, _) = c.text(&format!("/runs/{}", theirs.id)).await;
    assert_eq!(status, 404, "another authority's run is not found");

    // Once it has ended the page stops refreshing and shows the result and UK times.
    claimed
        .progress
        .finish(&serde_json::json!({ "reminders": 0 }))
        .await
        .unwrap();
    let (_, page) = c.text(&format!("/runs/{}", run.id)).await;
    assert!(!page.contains("http-equiv=\"refresh\""));
    assert!(page.contains("10 of 10 (100%)"));
    assert!(page.contains("reminders"));
    assert!(page.contains(" GMT") || page.contains(" BST"), "UK time");

    // Every commissioning role sees its authority's runs; provider users are told nothing.
    let (status, page) = t
        .signed_in("board")
        .await
        .text(&format!("/runs/{}", run.id))
        .await;
    assert_eq!(status, 200);
    assert!(!page.contains("Cancel this run"));
    let (status, _) = t.signed_in("provider").await.text("/runs").await;
    assert_eq!(status, 404);
}
