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

/// Issue 10, "Returns": a provider asks for more time with its reason from its returns pages;
/// the officer approves it and the due date moves. The team keys in a paper return; a
/// return sent back shows the date it is due again.
#[tokio::test]
async fn more_time_by_request_paper_returns_and_the_date_to_send_again() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = t.signed_in("provider").await;
    let p = principal(&t, "provider").await;
    let mut f = p.service_filter();
    f.per_page = 100;
    let services = t.app.db_for_tests().list_services(&f).await.unwrap().items;
    let s = &services[0];
    let today = t.app.today();
    let q = hearth_domain::performance::Quarter::for_date(today);

    // The overview links the request for each quarter with nothing sent.
    let (_, overview) = provider.text("/returns").await;
    assert!(
        overview.contains("/returns/extension?quarter="),
        "{overview}"
    );
    let path = format!("/services/{}/returns/extension", s.id);
    let (status, form) = provider
        .text(&format!("{path}?quarter={}", enc(&q.label())))
        .await;
    assert_eq!(status, 200);
    assert!(form.contains("Ask for more time for a return"));
    assert!(form.contains("name=\"until-day\""), "a date input");
    assert!(form.contains(&format!("<option value=\"{}\" selected", q.label())));

    // Without a reason: the error is beside the field and nothing is sent.
    let due = t.app.return_due(s, q).await.unwrap();
    let until = due + chrono::Duration::days(10);
    use chrono::Datelike;
    let (d, m, y) = (
        until.day().to_string(),
        until.month().to_string(),
        until.year().to_string(),
    );
    let fields = |reason: &'static str| {
        vec![
            ("quarter", q.label()),
            ("until-day", d.clone()),
            ("until-month", m.clone()),
            ("until-year", y.clone()),
            ("reason", reason.to_string()),
        ]
    };
    let post = |v: Vec<(&'static str, String)>| {
        let provider = &provider;
        let path = &path;
        async move {
            let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            provider.post_form(path, &refs).await
        }
    };
    let r = post(fields("")).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(field_error(&body, "reason").contains("Say why the return needs more time"));
    assert!(body.contains(&format!("value=\"{d}\"")), "the date is kept");

    let r = post(fields("Our manager is on leave until the 20th")).await;
    assert_eq!(r.status(), 303);
    let request = location(&r);
    assert!(request.starts_with("/requests/"), "{request}");
    let id: i64 = request
        .trim_start_matches("/requests/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // The officer sees the change and approves it; the due date moves.
    let officer = t.signed_in("officer").await;
    let (_, page) = officer.text(&format!("/requests/{id}")).await;
    assert!(page.contains("Return due"), "{page}");
    assert!(page.contains("Our manager is on leave until the 20th"));
    let r = officer
        .post_form(
            &format!("/requests/{id}/decide"),
            &[("decision", "approve"), ("remarks", "")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, decided) = officer.text(&location(&r)).await;
    assert!(
        decided.contains(&format!("href=\"/services/{}/returns\"", s.id)),
        "a link to the service's returns"
    );
    assert_eq!(t.app.extension(s.id, q).await.unwrap(), Some(until));

    // The team keys in a paper return for a quarter with nothing received.
    let officer_p = principal(&t, "officer").await;
    let mut missing = None;
    for s in &services {
        for (qq, r) in t
            .app
            .service_return_quarters(&officer_p, s.id)
            .await
            .unwrap()
        {
            if r.is_none() && missing.is_none() {
                missing = Some((s.clone(), qq));
            }
        }
    }
    let (ms, mq) = missing.expect("a missing return in the demo");
    let (_, list) = officer.text(&format!("/services/{}/returns", ms.id)).await;
    assert!(list.contains("Key in a paper return"), "{list}");
    let paper = format!("/services/{}/returns/paper", ms.id);
    let (status, form) = officer
        .text(&format!("{paper}?quarter={}", enc(&mq.label())))
        .await;
    assert_eq!(status, 200);
    assert!(form.contains(&format!("action=\"{paper}\"")));
    let occupied = (ms.contracted_units * i64::from(mq.days()) * 95 / 100).to_string();
    let r = officer
        .post_form(
            &paper,
            &[
                ("quarter", mq.label().as_str()),
                ("service_users_supported", "20"),
                ("maintained_independent_living", "19"),
                ("new_service_users", "4"),
                ("departures", "4"),
                ("planned_departures", "4"),
                ("unavailable_unit_days", "0"),
                ("occupied_unit_days", occupied.as_str()),
                ("support_hours_contracted", "100"),
                ("support_hours_delivered", "98"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let ret = location(&r);
    let (_, view) = officer.text(&ret).await;
    assert!(view.contains("(paper)"), "the source is shown");
    let ret_id = ret
        .trim_start_matches("/returns/")
        .split('?')
        .next()
        .unwrap()
        .to_string();

    // Sent back: the provider sees the date to send it again.
    let r = officer
        .post_form(
            &format!("/returns/{ret_id}/check"),
            &[("decision", "incomplete"), ("remarks", "Hours are missing")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, view) = provider.text(&format!("/returns/{ret_id}")).await;
    assert!(view.contains("Send again by"), "{view}");
    let (_, list) = provider.text(&format!("/services/{}/returns", ms.id)).await;
    assert!(list.contains("Send again by"));
}
