//! What the browser walk of issue 10's journeys still found: a word in the queue's number
//! box refused the whole page with plain text; an organisation's request had a blank Service
//! cell; a list filtered to nothing drew an empty table; the provider's returns overview
//! tagged resubmissions past their date as overdue without counting them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

#[tokio::test]
async fn a_word_in_a_number_filter_is_named_beside_it() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let officer = t.signed_in("officer").await;
        let (status, page) = officer.text("/requests?older_than_days=a+week").await;
        assert_eq!(status, 422, "{name}: not a plain-text 400");
        assert!(page.contains("<title>Error: "), "{name}");
        assert!(
            field_error(&page, "older_than_days")
                .contains("Enter the number of days as a whole number"),
            "{name}"
        );
        assert!(
            page.contains("value=\"a week\""),
            "{name}: what was typed is kept"
        );
        let provider = t.signed_in("provider").await;
        let (status, page) = provider.text("/requests?months=lots").await;
        assert_eq!(status, 422, "{name}");
        assert!(
            field_error(&page, "months").contains("Enter the number of months"),
            "{name}"
        );
        // A number still filters, and a blank box is no filter.
        let (status, _) = officer.text("/requests?older_than_days=3").await;
        assert_eq!(status, 200, "{name}");
        let (status, _) = officer.text("/requests?older_than_days=&provider=").await;
        assert_eq!(status, 200, "{name}");
    }
}

#[tokio::test]
async fn an_organisations_request_says_so_in_the_service_column() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        // A new contact is the organisation's, not a service's.
        t.app
            .request_contact_add(
                &principal(&t, "provider").await,
                &hearth_app::contacts::ContactInput {
                    first_name: "Ada".into(),
                    last_name: "Quennell".into(),
                    position_type: "manager".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let officer = t.signed_in("officer").await;
        let (_, page) = officer.text("/requests?kind=contact_add").await;
        assert!(
            page.contains("Add contact"),
            "{name}: a contact request is pending"
        );
        assert!(page.contains("Whole organisation"), "{name}");
    }
}

#[tokio::test]
async fn a_list_filtered_to_nothing_draws_no_table() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let officer = t.signed_in("officer").await;
        for path in [
            "/services?q=zzqqxx",
            "/properties?q=zzqqxx",
            "/contracts?q=zzqqxx",
            "/providers?q=zzqqxx",
        ] {
            let (status, page) = officer.text(path).await;
            assert_eq!(status, 200, "{name}: {path}");
            assert!(
                !page.contains("<table"),
                "{name}: {path} draws an empty table"
            );
            assert!(page.contains("No "), "{name}: {path} says what is empty");
        }
        let (_, page) = officer.text("/services").await;
        assert!(
            page.contains("<table"),
            "{name}: a list with rows has its table"
        );
    }
}

#[tokio::test]
async fn every_overdue_tag_on_the_returns_overview_is_counted() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        // The demo's history sends some returns back, with a date to send them again.
        t.app.load_demo_history(7, &|_| {}).await.unwrap();
        let provider = t.signed_in("provider").await;
        let (status, page) = provider.text("/returns").await;
        assert_eq!(status, 200, "{name}");
        assert!(
            page.contains("Send again by"),
            "{name}: the demo has a return sent back"
        );
        let tags = page.matches("govuk-tag--red\">Overdue<").count();
        let counted = page
            .split("data-testid=\"overdue-count\">")
            .nth(1)
            .and_then(|s| s.trim_start().split(' ').next())
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0);
        assert_eq!(counted, tags, "{name}: the count says what the tags say");
    }
}

/// Accounts are no longer locked by wrong passwords, so a user's page shows no dead
/// "Failed sign-in attempts" and no "Locked: No"; a lock set by an earlier version still
/// shows, with its Unlock button.
#[tokio::test]
async fn a_users_page_shows_a_lock_only_when_one_is_in_force() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let u = t
            .app
            .db_for_tests()
            .user_by_username("provider")
            .await
            .unwrap()
            .unwrap();
        let admin = t.signed_in("admin").await;
        let path = format!("/admin/users/{}", u.id);
        let (status, page) = admin.text(&path).await;
        assert_eq!(status, 200, "{name}");
        assert!(!page.contains("Failed sign-in attempts"), "{name}");
        assert!(!page.contains(">Locked<"), "{name}");
        assert!(!page.contains("/unlock"), "{name}");
        let until = hearth_app::now() + 600;
        hearth_store::testing::exec(
            t.app.db_for_tests(),
            &format!(
                "UPDATE users SET locked_until = {until} WHERE id = {}",
                u.id
            ),
        )
        .await
        .unwrap();
        let (_, page) = admin.text(&path).await;
        assert!(page.contains(">Locked<"), "{name}");
        assert!(page.contains("set by an earlier version"), "{name}");
        assert!(page.contains("/unlock"), "{name}");
    }
}
