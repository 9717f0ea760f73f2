//! The staff lists' filter forms as a browser sends them (issue 10, journeys 6 and 9, found
//! by the browser test of the journeys): a form sends every field, so choosing "Any provider"
//! sends `provider=` and leaving "Waiting more than (days)" blank sends `older_than_days=`.
//! Both were refused with a plain "Failed to deserialize query string" (400), so the
//! services list's and the request queue's Search could not be used. And a list filtered to
//! nothing said "There are no services yet" although there were; it now says no record
//! matches the filters and leads back to the whole list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

/// The number at the top of a list ("12 services"), or 0 when it says none match.
fn count(page: &str) -> i64 {
    let at = page.find("<p class=\"govuk-body\">").unwrap();
    page[at + "<p class=\"govuk-body\">".len()..]
        .split(' ')
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap_or(0)
}

/// The text of the list's empty state.
fn empty_state(page: &str) -> String {
    let at = page
        .find("data-testid=\"empty\">")
        .unwrap_or_else(|| panic!("no empty state in {page}"));
    let rest = &page[at + "data-testid=\"empty\">".len()..];
    rest[..rest.find("</p>").unwrap()].to_string()
}

#[tokio::test]
async fn the_filter_forms_search_with_any_provider_and_blank_boxes() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;

    // The services list's form, every field as sent with nothing chosen.
    let (_, all) = officer.text("/services").await;
    let (status, page) = officer.text("/services?q=&provider=&officer=").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(count(&page), count(&all), "no filter: the whole list");
    assert!(count(&all) > 0);
    // ... and with a provider chosen, the others still blank.
    let p = principal(&t, "provider").await;
    let pid = provider_id(&p);
    let (status, mine) = officer
        .text(&format!("/services?q=&provider={pid}&officer="))
        .await;
    assert_eq!(status, 200);
    let own = t.app.list_services(&p, &Default::default()).await.unwrap();
    assert_eq!(count(&mine), own.total);

    // The request queue's form: "Any" provider and no number of days.
    let (_, queue) = officer.text("/requests").await;
    let (status, page) = officer
        .text("/requests?provider=&older_than_days=&kind=&status=pending")
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page.matches("href=\"/requests/").count(),
        queue.matches("href=\"/requests/").count(),
        "the same requests as the queue"
    );
    let (status, _) = officer
        .text(&format!(
            "/requests?provider={pid}&older_than_days=&kind=&status="
        ))
        .await;
    assert_eq!(status, 200);
    // A provider's own list, with the months box emptied.
    let provider = t.signed_in("provider").await;
    let (status, page) = provider.text("/requests?months=&kind=&status=").await;
    assert_eq!(status, 200, "{page}");
    // Something that is not a number is still not a filter.
    let r = officer.get("/services?provider=abc").await;
    assert!(r.status().is_client_error(), "{}", r.status());
}

#[tokio::test]
async fn a_list_filtered_to_nothing_says_so_and_leads_back_to_the_whole_list() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;
    let officer_p = principal(&t, "officer").await;
    // The administrator is no provider's responsible officer.
    let admin = principal(&t, "admin").await.user_id().unwrap().to_string();
    let none = t
        .app
        .list_services(
            &officer_p,
            &hearth_app::records::ListQuery {
                officer: Some(admin.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(none.total, 0, "the demo names the administrator nowhere");

    for (path, many) in [("/services", "services"), ("/providers", "providers")] {
        let (status, page) = officer.text(&format!("{path}?officer={admin}")).await;
        assert_eq!(status, 200);
        let empty = empty_state(&page);
        assert!(
            empty.starts_with(&format!("No {many} match these filters.")),
            "{path}: {empty}"
        );
        assert!(
            empty.contains(&format!(
                "<a class=\"govuk-link\" href=\"{path}\">show all {many}</a>"
            )),
            "{path}: a way back to the whole list: {empty}"
        );
        assert!(!page.contains("yet."), "{path}: there are {many}");
    }
    // A search and a filter that find nothing together.
    let (_, page) = officer.text("/contracts?q=zzzzqqq&status=interim").await;
    assert!(
        empty_state(&page).starts_with("No contracts match “zzzzqqq” with these filters."),
        "{}",
        empty_state(&page)
    );
    // A search alone keeps its own advice.
    let (_, page) = officer.text("/contracts?q=zzzzqqq").await;
    assert!(empty_state(&page).starts_with("No contracts match “zzzzqqq”. Check the spelling"));
}
