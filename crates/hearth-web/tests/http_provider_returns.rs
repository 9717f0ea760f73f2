//! Issue 10, journey 4: a provider has a returns overview (every service, each recent
//! quarter, its due date, status and an overdue tag, with a link to act), reached from the
//! header and the home page's "Returns due" card; a service's returns list shows due dates
//! and marks overdue quarters.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

#[tokio::test]
async fn a_provider_sees_every_services_returns_with_due_dates_and_overdue_tags() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let provider = t.signed_in("provider").await;

        // Reached from the header and from the home card.
        let (_, home) = provider.text("/home").await;
        assert!(
            home.contains("href=\"/returns\""),
            "{name}: header and card link the overview"
        );

        let (status, page) = provider.text("/returns").await;
        assert_eq!(status, 200, "{name}");
        assert!(page.contains("Your returns"), "{name}");
        let q = hearth_domain::performance::Quarter::for_date(t.app.today()).previous();
        assert!(
            page.contains(&format!("Quarter {}", q.label())),
            "{name}: the last quarter ended"
        );
        assert!(
            page.contains("/returns\">Send return"),
            "{name}: a link to act"
        );
        // The demo has no return for the last quarter yet; once its due date has passed
        // (28 days after the quarter's end) it shows as overdue.
        let due = q.end() + chrono::Duration::days(28);
        assert!(
            page.contains(&due.format("%-d %B %Y").to_string()),
            "{name}: the due date"
        );
        if t.app.today() > due {
            assert!(page.contains(">Overdue<"), "{name}: overdue tag");
            assert!(page.contains("data-testid=\"overdue-count\""), "{name}");
        }

        // Only the provider's own services: another organisation's are not listed.
        let limited = t.signed_in("limited").await;
        let (_, theirs) = limited.text("/returns").await;
        let p = principal(&t, "provider").await;
        let mut f = p.service_filter();
        f.per_page = 1000;
        let own = t.app.db_for_tests().list_services(&f).await.unwrap().items;
        let first = own.first().expect("the demo provider runs services");
        assert!(page.contains(&format!("/services/{}/returns", first.id)));
        assert!(
            !theirs.contains(&format!("/services/{}/returns\"", first.id)),
            "{name}: another provider does not see these services"
        );

        // A service's own returns list shows the due date and marks overdue quarters.
        let (_, list) = provider
            .text(&format!("/services/{}/returns", first.id))
            .await;
        assert!(list.contains(">Due<"), "{name}: a due column");
        assert!(
            list.contains(&due.format("%-d %B %Y").to_string()),
            "{name}"
        );
        if t.app.today() > due {
            assert!(
                list.contains("data-testid=\"overdue\""),
                "{name}: overdue marked"
            );
        }

        // Staff still get the returns to check at the same address.
        let officer = t.signed_in("officer").await;
        let (_, staff) = officer.text("/returns").await;
        assert!(staff.contains("Returns to check"), "{name}");
    }
}
