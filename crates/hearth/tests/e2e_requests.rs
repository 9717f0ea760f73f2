//! End to end in headless Chromium: a provider requests a new schedule, an officer approves
//! it, the provider sees the client on the schedule list, and a second provider cannot reach
//! it by URL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use support::*;

async fn sign_out(b: &Browser) {
    b.click("[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;
}

#[tokio::test]
async fn provider_requests_a_schedule_officer_approves_other_provider_cannot_see_it() {
    if !browser_available() {
        return;
    }
    let data = Tmp::new("e2e-requests");
    let port = free_port();
    let mut cmd = hearth();
    cmd.args([
        "--data-dir",
        data.0.to_str().unwrap(),
        "demo",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let server = start(cmd, port);
    let base = server.url("");
    let b = Browser::start().await;

    // The provider picks a service and requests a new schedule.
    browser_sign_in(&b, &base, &data.0, "provider", 0).await;
    b.click("a[href='/services']").await;
    b.wait_url("/services").await;
    b.click("tbody a.govuk-link").await;
    let service_url = b.wait_url("/services/").await;
    b.click("[data-testid=request-new-schedule]").await;
    b.wait_url("/schedules/new").await;
    b.type_into("#first_name", "Rowan").await;
    b.type_into("#last_name", "Quillfeather").await;
    b.type_into("#date_of_birth", "3").await;
    b.type_into("#date_of_birth-month", "5").await;
    b.type_into("#date_of_birth-year", "1970").await;
    b.type_into("#hb_number", "87654321").await;
    b.type_into("#ni_number", "CE 12 34 56 A").await;
    b.type_into("#start_date", "1").await;
    b.type_into("#start_date-month", "11").await;
    b.type_into("#start_date-year", "2026").await;
    // Enter in a text field sends the request (it ran "Copy address from property" before,
    // when the service has properties: issue 10, journey 1).
    assert!(
        b.source().await.contains("Copy address from property"),
        "the demo service has properties, so the copy button is on the form"
    );
    b.type_into("#units_per_week", "4\u{E007}").await;
    let request_url = b.wait_url("/requests/").await;
    assert!(b.source().await.contains("Request sent"));
    assert!(b.source().await.contains("Quillfeather"));
    let request_path = request_url
        .trim_start_matches(&base)
        .split('?')
        .next()
        .unwrap()
        .to_string();
    // Not on the schedule list until approved.
    b.goto(&service_url).await;
    assert!(!b.source().await.contains("Quillfeather"));
    sign_out(&b).await;

    // The officer approves it from the queue.
    browser_sign_in(&b, &base, &data.0, "officer", 0).await;
    b.goto(&format!("{base}/requests")).await;
    assert!(b.source().await.contains("Rowan Quillfeather"));
    b.goto(&format!("{base}{request_path}")).await;
    let html = b.source().await;
    assert!(
        html.contains("hearth-new") && html.contains("Quillfeather"),
        "new values highlighted"
    );
    // One decision form: choose, then save; a success banner links the schedule made and
    // the next request waiting (issue 10, journey 5).
    b.click("[data-testid=approve]").await;
    b.click("[data-testid=decide]").await;
    b.wait_text("Request approved and applied").await;
    let html = b.source().await;
    assert!(html.contains("govuk-tag--green"));
    assert!(b.url().await.contains(&format!("{request_path}?decided=1")));
    let link = b
        .execute("return document.querySelector('[data-testid=result-link]').getAttribute('href')")
        .await;
    assert!(
        link.as_str().unwrap_or_default().starts_with("/schedules/"),
        "the banner links the new schedule: {link}"
    );
    assert!(
        html.contains("data-testid=\"next-request\"")
            || html.contains("No other requests are waiting"),
        "the banner offers the next request"
    );
    sign_out(&b).await;

    // The provider sees the client on the schedule list.
    browser_sign_in(&b, &base, &data.0, "provider", 30).await;
    b.goto(&service_url).await;
    let html = b.source().await;
    assert!(
        html.contains("Quillfeather"),
        "the approved client is on the list"
    );
    let start = html.find("Quillfeather").unwrap();
    let before = &html[..start];
    let href_at = before.rfind("/schedules/").unwrap();
    let schedule_path: String = before[href_at..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    sign_out(&b).await;

    // Another provider's user cannot reach the request or the schedule by URL.
    browser_sign_in(&b, &base, &data.0, "limited", 0).await;
    for path in [
        request_path.as_str(),
        schedule_path.as_str(),
        service_url.trim_start_matches(&base),
    ] {
        b.goto(&format!("{base}{path}")).await;
        let html = b.source().await;
        assert!(
            html.contains("Page not found"),
            "{path} must not be reachable by another provider"
        );
        assert!(!html.contains("Quillfeather"));
    }
    b.quit().await;
}
