//! Payments in the browser's pages (issue 12): a finance officer prepares a run, the page
//! follows its job run, a second finance officer approves and pays it, the provider
//! downloads its remittance; four eyes and bad input answer beside the form and change
//! nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

async fn all_in_receipt(t: &TestApp) {
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        "INSERT INTO client_benefits (client_id, from_date, status, created_by_name, created_at) SELECT id, '2000-01-01', 'in_receipt', 'test', 0 FROM clients",
    )
    .await
    .unwrap();
}

/// Runs the job runs a page queued (a server's runner would).
async fn run_jobs(t: &TestApp) {
    while let Some(c) = t
        .app
        .claim_run(
            &[hearth_app::runs::RunKind::PaymentPrepare],
            "test-node",
            60,
        )
        .await
        .unwrap()
    {
        let r = t
            .app
            .run_payment_prepare(&c.run, &c.progress)
            .await
            .unwrap();
        c.progress.finish(&r).await.unwrap();
    }
}

#[tokio::test]
async fn a_run_is_prepared_approved_by_another_paid_and_its_remittance_downloaded() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        all_in_receipt(&t).await;
        let finance = t.signed_in("finance").await;
        let (status, page) = finance.text("/payments").await;
        assert_eq!(status, 200);
        assert!(page.contains("Prepare the run"), "{page}");
        assert!(page.contains("Payment timetable"));
        // No period chosen: the message is beside the field and nothing is prepared.
        let r = finance.post_form("/payments", &[("period", "")]).await;
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(field_error(&body, "period").contains("Select the period"));
        assert_eq!(
            t.app
                .payment_runs(&principal(&t, "finance").await)
                .await
                .unwrap()
                .len(),
            0
        );
        // Prepared: the run's page while its job runs, then its preview.
        let r = finance
            .post_form("/payments", &[("period", "2026-10-19")])
            .await;
        assert_eq!(r.status(), 303);
        let run_page = location(&r);
        let (_, preparing) = finance.text(&run_page).await;
        assert!(preparing.contains("http-equiv=\"refresh\""));
        run_jobs(&t).await;
        let (_, preview) = finance.text(&run_page).await;
        assert!(preview.contains("Waiting for approval"), "{preview}");
        assert!(preview.contains("By provider"));
        // The small demo's services that no contract covers: one problem each to fix, however
        // many schedules it stops, with the way to fix it; every line behind a disclosure.
        let fixes = preview
            .split("What to fix: ")
            .nth(1)
            .expect("the exceptions as what to fix");
        let table = fixes.split("</table>").next().unwrap();
        assert!(table.contains("No contract covers the service"), "{table}");
        assert!(table.contains("The service"));
        assert!(preview.contains("Every exception line ("));
        assert!(
            !preview.contains("Approve the run"),
            "the preparer is not offered approval"
        );
        // Four eyes: the preparer's approval is refused, with why, and changes nothing.
        let r = finance.post_form(&format!("{run_page}/approve"), &[]).await;
        assert_eq!(r.status(), 409);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("other than the one who prepared it"));
        let second = t.signed_in("payments").await;
        let (_, seen) = second.text(&run_page).await;
        assert!(seen.contains("Approve the run"));
        let r = second.post_form(&format!("{run_page}/approve"), &[]).await;
        assert_eq!(r.status(), 303);
        let (_, approved) = second.text(&location(&r)).await;
        assert!(approved.contains("Run approved"));
        let r = second.post_form(&format!("{run_page}/commit"), &[]).await;
        assert_eq!(r.status(), 303);
        let (_, paid) = second.text(&location(&r)).await;
        assert!(paid.contains("Run paid"));
        // Paying again says so and pays nothing more.
        let r = second.post_form(&format!("{run_page}/commit"), &[]).await;
        assert_eq!(r.status(), 409);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("This payment run is paid."));
        let r = finance.get(&format!("{run_page}/finance.csv")).await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("supplier_reference"));
        // The provider's Payments page lists the paid period; the remittance downloads.
        let provider = t.signed_in("provider").await;
        let (status, mine) = provider.text("/payments").await;
        assert_eq!(status, 200);
        assert!(mine.contains("2026/27 P08"), "{mine}");
        let pid = provider_id(&principal(&t, "provider").await);
        let id = run_page.rsplit('/').next().unwrap();
        let r = provider
            .get(&format!("/payments/{id}/providers/{pid}/remittance.pdf"))
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
        // The period's reports, linked from the Payments page, for all services or one.
        let reports = format!("/payments/{id}/providers/{pid}/reports");
        assert!(mine.contains(&format!("href=\"{reports}\"")), "{mine}");
        let (status, page) = provider.text(&reports).await;
        assert_eq!(status, 200);
        assert!(page.contains("Service user means schedule") && page.contains("All services"));
        let r = provider
            .get(&format!("{reports}/service_subsidy_summary?format=csv"))
            .await;
        assert_eq!(r.status(), 200);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Service,Clients,Subsidy,Block,Adjustments,Charges,Paid"));
        let r = provider.get(&format!("{reports}/payment_items")).await;
        assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
        // The same through the JSON API, for the provider's own finance system.
        let (status, body) = provider.text("/api/v1/payments").await;
        assert_eq!(status, 200, "{body}");
        let paid: serde_json::Value = serde_json::from_str(&body).unwrap();
        let lines_url = paid[0]["lines"].as_str().unwrap().to_string();
        assert_eq!(paid[0]["period"], "2026/27 P08");
        let (status, body) = provider.text(&lines_url).await;
        assert_eq!(status, 200, "{body}");
        let remittance: serde_json::Value = serde_json::from_str(&body).unwrap();
        let lines = remittance["lines"].as_array().unwrap();
        assert!(!lines.is_empty());
        let sum: i64 = lines
            .iter()
            .map(|l| l["amount_pence"].as_i64().unwrap())
            .sum();
        assert_eq!(remittance["total_pence"].as_i64().unwrap(), sum);
        assert_eq!(paid[0]["amount_pence"].as_i64().unwrap(), sum);
        let (_, body) = provider.text("/api/v1/payments/timetable").await;
        let timetable: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(timetable.as_array().unwrap().len(), 13);
        assert!(timetable
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["period"] == "2026/27 P08" && p["status"] == "Paid"));
        let (status, body) = provider
            .text(&format!(
                "/api/v1/payments/{id}/providers/{pid}/reports/service_subsidy_summary"
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(summary["sections"][0]["total_pence"].as_i64().unwrap(), sum);
        // An unknown report, a service that is not a number and another's reports: not found.
        assert_eq!(
            provider.get(&format!("{reports}/nonsense")).await.status(),
            404
        );
        assert_eq!(
            provider.get(&format!("{reports}?service=x")).await.status(),
            404
        );
        // Another provider's remittance is not found, and the run's back-office page too.
        let other = t.signed_in("limited").await;
        let r = other
            .get(&format!("/payments/{id}/providers/{pid}/remittance.pdf"))
            .await;
        assert_eq!(r.status(), 404);
        assert_eq!(other.get(&reports).await.status(), 404);
        assert_eq!(other.get(&lines_url).await.status(), 404);
        assert_eq!(provider.get(&run_page).await.status(), 404);
    }
}

#[tokio::test]
async fn a_hold_needs_a_reason_beside_the_field_and_a_rate_needs_a_date() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let finance = t.signed_in("finance").await;
    let pid = provider_id(&principal(&t, "provider").await);
    let r = finance
        .post_form(
            "/payments/holds/new",
            &[("provider_id", &pid.to_string()), ("reason", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(field_error(&body, "reason").contains("Enter why the payments are held"));
    let r = finance
        .post_form(
            "/payments/holds/new",
            &[
                ("provider_id", &pid.to_string()),
                ("reason", "Contract review"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = finance.text("/payments").await;
    assert!(page.contains("Contract review") && page.contains("Lift the hold"));
    // A contract's rate: a date before the contract starts is refused beside the field.
    let provider = principal(&t, "provider").await;
    let mut cf = provider.contract_filter();
    cf.per_page = 1;
    let contract = t
        .app
        .db_for_tests()
        .list_contracts(&cf)
        .await
        .unwrap()
        .items[0]
        .clone();
    let r = finance
        .post_form(
            &format!("/contracts/{}/rates", contract.id),
            &[("from_date", "1/1/2000"), ("rate", "20.00"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        field_error(&r.text().await.unwrap(), "from_date").contains("after the contract starts")
    );
    let (status, terms) = finance
        .text(&format!("/contracts/{}/payments", contract.id))
        .await;
    assert_eq!(status, 200);
    assert!(terms.contains("Weekly unit rates"));
    // An uplift: a bad percentage is refused beside the field; a good one says what it did,
    // and the contract's page lists the change with its letter.
    let (status, form) = finance.text("/payments/uplift").await;
    assert_eq!(status, 200);
    assert!(form.contains("Every contract paid per client"));
    let r = finance
        .post_form(
            "/payments/uplift",
            &[
                ("percent", "two"),
                ("from_date", "19/10/2026"),
                ("contract_id", ""),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(field_error(&r.text().await.unwrap(), "percent").contains("as a percentage"));
    let r = finance
        .post_form(
            "/payments/uplift",
            &[
                ("percent", "2.5"),
                ("from_date", "19/10/2026"),
                ("contract_id", ""),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = finance.text(&location(&r)).await;
    assert!(page.contains("Uplift applied"), "{page}");
    let (_, terms) = finance
        .text(&format!("/contracts/{}/payments", contract.id))
        .await;
    assert!(
        terms.contains("Rate changes") && terms.contains("/letter.pdf"),
        "{terms}"
    );
    let (_, mine) = t.signed_in("provider").await.text("/payments").await;
    assert!(
        mine.contains("Uplift of 2.5% from 19 October 2026"),
        "{mine}"
    );
}

#[tokio::test]
async fn payment_settings_are_changed_on_their_page_and_bad_input_is_told_beside_the_field() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let finance = t.signed_in("finance").await;
    let (status, page) = finance.text("/payments").await;
    assert_eq!(status, 200);
    assert!(page.contains("Collected by the provider") && page.contains("/payments/settings"));
    let (status, form) = finance.text("/payments/settings").await;
    assert_eq!(status, 200);
    assert!(form.contains("Who collects clients"), "{form}");
    let r = finance
        .post_form(
            "/payments/settings",
            &[
                ("anchor", "6/4/2026"),
                ("provider_collects", "no"),
                ("charge_short_term", "no"),
                ("adjust_years", "12"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let text = r.text().await.unwrap();
    assert!(
        field_error(&text, "adjust_years").contains("from 0 to 6"),
        "{text}"
    );
    let (_, page) = finance.text("/payments").await;
    assert!(
        page.contains("Collected by the provider"),
        "nothing changed"
    );
    let r = finance
        .post_form(
            "/payments/settings",
            &[
                ("anchor", "6/4/2026"),
                ("provider_collects", "no"),
                ("charge_short_term", "no"),
                ("adjust_years", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = finance.text(&location(&r)).await;
    assert!(
        page.contains("Payment settings saved") && page.contains("1 setting was changed"),
        "{page}"
    );
    assert!(page.contains("Invoiced to the client by the authority"));
    // Other staff read them but are not offered the change.
    let (_, page) = t.signed_in("officer").await.text("/payments").await;
    assert!(page.contains("Invoiced to the client") && !page.contains("/payments/settings"));
}

#[tokio::test]
async fn a_status_recorded_by_mistake_is_removed_with_a_reason_told_beside_its_field() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    all_in_receipt(&t).await;
    let (client, entry) = {
        let db = t.app.db_for_tests();
        let id = hearth_store::testing::scalar_i64(db, "SELECT MIN(id) FROM client_benefits")
            .await
            .unwrap();
        let client = hearth_store::testing::scalar_i64(
            db,
            &format!("SELECT client_id FROM client_benefits WHERE id = {id}"),
        )
        .await
        .unwrap();
        (client, id)
    };
    let officer = t.signed_in("officer").await;
    let page_path = format!("/clients/{client}/payments");
    let (status, page) = officer.text(&page_path).await;
    assert_eq!(status, 200);
    assert!(page.contains("Remove this status"), "{page}");
    let action = format!("/clients/{client}/benefits/{entry}/remove");
    let r = officer.post_form(&action, &[("reason", "")]).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        field_error(&body, "reason").contains("Enter why it is removed"),
        "{body}"
    );
    assert!(body.contains("<details class=\"govuk-details govuk-!-margin-bottom-2\" open"));
    let r = officer
        .post_form(&action, &[("reason", "Recorded for the wrong client")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = officer.text(&location(&r)).await;
    assert!(
        page.contains("Removed") && !page.contains(&action),
        "{page}"
    );
    // Removed once; again it is not found.
    let r = officer
        .post_form(&action, &[("reason", "Recorded for the wrong client")])
        .await;
    assert_eq!(r.status(), 404);
}
