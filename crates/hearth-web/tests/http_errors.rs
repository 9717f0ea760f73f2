//! Security review finding 15: failures that were quietly turned into something else now show
//! as errors with a request id (and the cause in the log, never on the page).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use hearth_domain::performance::Quarter;

fn is_error_page_with_request_id(status: u16, body: &str) -> bool {
    status == 500 && body.contains("data-testid=\"request-id\"") && !body.contains("no such table")
}

// A database error while checking a new user's contact was shown as "There is no such contact".
#[tokio::test]
async fn a_database_error_checking_a_contact_is_an_error_not_no_such_contact() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let admin = t.signed_in("admin").await;
    let token = admin.csrf_from("/admin/users/new").await;
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        "ALTER TABLE contacts RENAME TO contacts_away",
    )
    .await
    .unwrap();
    let r = admin
        .post_raw(
            "/admin/users/new",
            &[
                ("username", "newclerk"),
                ("display_name", "New Clerk"),
                ("email", "c@example.org"),
                ("role", "provider_user"),
                ("contact_id", "1"),
            ],
            Some(&token),
        )
        .await;
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("There is no such contact"),
        "the error is not dressed up as a field message"
    );
    assert!(is_error_page_with_request_id(status, &body), "{status}");
}

// A return whose stored year was out of range was shown as if it were for 2026/27.
#[tokio::test]
async fn a_return_with_a_damaged_year_is_an_error_not_2026() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let p = principal(&t, "provider").await;
    let s = t
        .app
        .db_for_tests()
        .list_services(&p.service_filter())
        .await
        .unwrap()
        .items[0]
        .clone();
    let q = Quarter::for_date(t.app.today()).previous();
    let form = small_return_form(q);
    let ret = t.app.submit_return(&p, s.id, &form).await.unwrap();
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        &format!(
            "UPDATE performance_returns SET year_start = 99999 WHERE id = {}",
            ret.id
        ),
    )
    .await
    .unwrap();
    let officer = t.signed_in("officer").await;
    let (status, body) = officer.text(&format!("/returns/{}", ret.id)).await;
    assert!(!body.contains("2026/27"), "no guessed year");
    assert!(is_error_page_with_request_id(status, &body), "{status}");
}
