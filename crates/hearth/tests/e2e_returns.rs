//! End to end in headless Chromium: a provider downloads the workbook, uploads a completed
//! quarter with a trigger breach and an explanation; an officer accepts it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use hearth_domain::performance::Quarter;
use support::*;

#[tokio::test]
async fn provider_uploads_a_quarter_with_a_breach_and_an_explanation_and_an_officer_accepts_it() {
    if !browser_available() {
        return;
    }
    let data = Tmp::new("e2e-returns");
    let port = free_port();
    let mut cmd = hearth();
    cmd.args([
        "--data-dir",
        data.0.to_str().unwrap(),
        "demo",
        // This journey sends the last quarter's first return: the demo's history would
        // already hold one for it.
        "--no-history",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let server = start(cmd, port);
    let base = server.url("");
    let b = Browser::start().await;
    browser_sign_in(&b, &base, &data.0, "provider", 0).await;

    // The provider's first service and its workbook.
    b.click("a[href='/services']").await;
    b.wait_url("/services").await;
    b.click("tbody a.govuk-link").await;
    let service_url = b.wait_url("/services/").await;
    let service_id: i64 = service_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    b.goto(&format!("{base}/services/{service_id}/returns"))
        .await;
    assert!(b.source().await.contains("Download the"));
    // The download itself (through the same session cookie the browser holds is not reachable
    // from here, so fetch it signed in over HTTP) is a real workbook.
    let c = client();
    let (password, secret) = demo_account(&data.0, "provider");
    sign_in_at(&c, &base, "provider", &password, &secret, 30).await;
    let today = chrono::Local::now().date_naive();
    let q = Quarter::for_date(today).previous();
    let wb = c
        .get(format!(
            "{base}/services/{service_id}/returns/workbook?year={}",
            q.year().start_year
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(wb.status(), 200);
    let bytes = wb.bytes().await.unwrap();
    let sheet = hearth_docs::workbook::read_quarter(&bytes, q.number()).unwrap();
    // Fill the quarter as the provider would (staffing at 50%: below its trigger, for every kind of service).
    let units = sheet.contracted_units.unwrap() as i64;
    let service_ref = sheet.mark.split('|').nth(2).unwrap().to_string();
    let spec = hearth_docs::workbook::WorkbookSpec {
        locals: Vec::new(),
        mark: sheet.mark.clone(),
        contract: hearth_docs::workbook::ContractSheet {
            service_reference: service_ref,
            contracted_units: units,
            ..Default::default()
        },
        quarters: Quarter::all_of(q.year())
            .iter()
            .map(|x| (x.number(), x.label(), x.days()))
            .collect(),
        indicators: Vec::new(),
        prefill: [
            ("service_users_supported", 20),
            ("maintained_independent_living", 10),
            ("new_service_users", 2),
            ("departures", 2),
            ("planned_departures", 2),
            ("unavailable_unit_days", 0),
            ("occupied_unit_days", units * i64::from(q.days()) * 95 / 100),
            ("support_hours_contracted", 100),
            ("support_hours_delivered", 50),
        ]
        .iter()
        .map(|(f, v)| (q.number(), f.to_string(), *v))
        .collect(),
    };
    let path = data.0.join("completed.xlsx");
    std::fs::write(&path, hearth_docs::workbook::write_workbook(&spec).unwrap()).unwrap();

    b.click("details.govuk-details summary").await;
    b.select_value("#quarter", &q.label()).await;
    b.type_into("#file", path.to_str().unwrap()).await;
    b.type_into("#comment", "Q figures attached").await;
    b.click("form[action$='/returns/upload'] button[type=submit]")
        .await;
    let return_url = b.wait_url("/returns/").await;
    let html = b.wait_text("Return sent").await;
    assert!(
        html.contains("Below trigger of"),
        "the breach is marked with text"
    );
    b.type_into(
        "#explanation",
        "Two long-term clients moved into residential care",
    )
    .await;
    b.click("form[action$='/explain'] button[type=submit]")
        .await;
    b.wait_text("Two long-term clients moved into residential care")
        .await;
    b.click("[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;

    // The officer accepts it from the queue.
    browser_sign_in(&b, &base, &data.0, "officer", 0).await;
    b.goto(&format!("{base}/returns")).await;
    assert!(b.source().await.contains("below trigger"));
    let path = return_url
        .trim_start_matches(&base)
        .split('?')
        .next()
        .unwrap()
        .to_string();
    b.goto(&format!("{base}{path}")).await;
    // The decision is a choice of five: radios (the first, Accept, has the field's id).
    b.click("input[name=decision][value=accept]").await;
    b.click("form[action$='/check'] button[type=submit]").await;
    let html = b.wait_text("govuk-tag--green").await;
    assert!(
        html.contains("Accepted") && html.contains("officer"),
        "accepted, with who"
    );
    b.quit().await;
}
