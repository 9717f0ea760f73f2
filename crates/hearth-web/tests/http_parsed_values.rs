//! Values with a closed set or a format are parsed at the edge, before any use case sees them
//! (architecture issue, section 3). A hostile value for each such field of a form is refused
//! with the message beside the field (or in the error summary when the choice is a button),
//! answered 422, and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use hearth_domain::performance::Quarter;

/// Values no form offers: unknown codes, other cases, markup, SQL, control characters.
const HOSTILE: [&str; 7] = [
    "published",
    "SIGNED",
    "<script>alert(1)</script>",
    "agreed' OR '1'='1",
    "agreed\u{0}",
    "",
    "   ",
];

#[tokio::test]
async fn a_hostile_document_progress_is_refused_beside_the_field() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let officer = principal(&t, "officer").await;
        let mut cf = officer.contract_filter();
        cf.per_page = 1;
        let contract = t
            .app
            .db_for_tests()
            .list_contracts(&cf)
            .await
            .unwrap()
            .items[0]
            .clone();
        let doc = t
            .app
            .add_document(&officer, contract.id, "Variation letter", None)
            .await
            .unwrap();
        let c = t.signed_in("officer").await;
        let path = format!("/documents/{}/progress", doc.id);
        for bad in HOSTILE {
            let r = c.post_form(&path, &[("progress", bad)]).await;
            assert_eq!(r.status(), 422, "{name}: {bad:?}");
            let body = r.text().await.unwrap();
            assert!(
                field_error(&body, "progress").contains("Select draft, agreed or signed"),
                "{name}: {bad:?}"
            );
            assert!(error_summary(&body).contains("Select draft, agreed or signed"));
            assert!(
                !body.contains("<script>alert(1)</script>"),
                "{name}: nothing is echoed unescaped"
            );
        }
        let after = t
            .app
            .db_for_tests()
            .contract_document(doc.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.progress, "draft", "{name}: nothing changed");
        assert_eq!(after.updated_at, doc.updated_at, "{name}");
        // A real choice still saves.
        let r = c.post_form(&path, &[("progress", "agreed")]).await;
        assert_eq!(r.status(), 303, "{name}");
        let after = t
            .app
            .db_for_tests()
            .contract_document(doc.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.progress, "agreed", "{name}");
    }
}

#[tokio::test]
async fn a_hostile_closure_of_an_account_request_closes_nothing() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = principal(&t, "officer").await;
    let request = t
        .app
        .request_account_help(
            hearth_domain::AccountHelpKind::LoginRequest,
            hearth_app::accounts::HelpRequest {
                authority_id: Some(officer.authority_id()),
                username: String::new(),
                full_name: "Nia Parsed".into(),
                email: "nia@example.org".into(),
                organisation: "Larkspur".into(),
                message: String::new(),
            },
            "192.0.2.10",
        )
        .await
        .unwrap();
    let c = t.signed_in("officer").await;
    let path = format!("/account-requests/{}/close", request.id);
    // Until now any status but "declined" closed the request as done.
    for bad in ["open", "deleted", "Done", "done; drop table users", ""] {
        let r = c.post_form(&path, &[("status", bad)]).await;
        assert_eq!(r.status(), 422, "{bad:?}");
        let body = r.text().await.unwrap();
        assert!(
            error_summary(&body).contains("Select mark as done or decline"),
            "{bad:?}"
        );
        assert!(
            body.contains("Login request: Nia Parsed"),
            "the queue is shown again"
        );
        let stored = t
            .app
            .db_for_tests()
            .account_request(request.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, "open", "{bad:?}: nothing changed");
        assert_eq!(stored.handled_by, None);
    }
    let r = c.post_form(&path, &[("status", "declined")]).await;
    assert_eq!(r.status(), 303);
    let stored = t
        .app
        .db_for_tests()
        .account_request(request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "declined");
}

#[tokio::test]
async fn a_hostile_decision_or_due_days_or_extension_changes_nothing() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = principal(&t, "provider").await;
    let mut f = provider.service_filter();
    f.per_page = 1;
    let s = t.app.db_for_tests().list_services(&f).await.unwrap().items[0].clone();
    let q = Quarter::for_date(t.app.today()).previous();
    let ret = t
        .app
        .submit_return(&provider, s.id, &small_return_form(q))
        .await
        .unwrap();

    // The checking decision.
    let officer = t.signed_in("officer").await;
    let check = format!("/returns/{}/check", ret.id);
    for bad in ["reject", "ACCEPT", "accept\u{0}", "<b>accept</b>", ""] {
        let r = officer
            .post_form(&check, &[("decision", bad), ("remarks", "")])
            .await;
        assert_eq!(r.status(), 422, "{bad:?}");
        let body = r.text().await.unwrap();
        assert!(
            field_error(&body, "decision").contains("Choose what to do with the return"),
            "{bad:?}"
        );
    }
    let stored = t
        .app
        .db_for_tests()
        .performance_return(ret.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "received", "nothing changed");
    assert_eq!(stored.checked_at, None);

    // The days after a quarter that returns are due (the administrator's setting).
    let admin = t.signed_in("admin").await;
    let setting = format!(
        "returns_due_days:{}",
        principal(&t, "admin").await.authority_id()
    );
    let before = t.app.db_for_tests().setting(&setting).await.unwrap();
    for bad in ["0", "91", "-5", "2.5", "ten", "99999999999999999999", ""] {
        let r = admin
            .post_form("/returns/due-days", &[("returns_due_days", bad)])
            .await;
        assert_eq!(r.status(), 422, "{bad:?}");
        let body = r.text().await.unwrap();
        assert!(
            field_error(&body, "returns_due_days").contains("Enter a number of days from 1 to 90"),
            "{bad:?}"
        );
    }
    assert_eq!(
        t.app.db_for_tests().setting(&setting).await.unwrap(),
        before,
        "nothing changed"
    );

    // An extension: a quarter and a date, each refused in its own words (in the error summary:
    // the tracker's extension forms are one line of the table each).
    let until = (q.end() + chrono::Duration::days(30))
        .format("%d/%m/%Y")
        .to_string();
    let sid = s.id.to_string();
    for (quarter, date, field, message) in [
        (
            "2026/27 Q9",
            until.as_str(),
            "quarter",
            "Enter a quarter in the correct format, like 2026/27 Q3",
        ),
        ("", until.as_str(), "quarter", "Enter a quarter"),
        (&q.label() as &str, "31/02/2027", "until", ""),
        (&q.label() as &str, "tomorrow", "until", ""),
    ] {
        let r = officer
            .post_form(
                "/returns/extensions",
                &[("service_id", &sid), ("quarter", quarter), ("until", date)],
            )
            .await;
        assert_eq!(r.status(), 422, "{quarter:?} {date:?}");
        let body = r.text().await.unwrap();
        let summary = error_summary(&body);
        // The date's error links the date boxes of the service's own row (every row has its
        // own ids); the quarter's, the tracker's quarter field.
        let target = if field == "until" {
            format!("until-{sid}")
        } else {
            field.to_string()
        };
        assert!(
            summary.contains(&format!("href=\"#{target}\"")) && summary.contains(message),
            "{quarter:?} {date:?}: {summary}"
        );
    }
    assert_eq!(
        t.app.extension(s.id, q).await.unwrap(),
        None,
        "no extension was granted"
    );
}

#[tokio::test]
async fn the_api_refuses_hostile_available_places_as_a_problem_and_changes_nothing() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = principal(&t, "provider").await;
    let password = t.account("provider").password.clone();
    let (token, _) = t
        .app
        .create_api_token(&provider, "Case system", &password, 30)
        .await
        .unwrap();
    let mut f = provider.service_filter();
    f.per_page = 1;
    let s = t.app.db_for_tests().list_services(&f).await.unwrap().items[0].clone();
    let http = reqwest::Client::new();
    let url = t.url(&format!("/api/v1/services/{}/available-places", s.id));
    for bad in [
        serde_json::json!({"available_places": -1}),
        serde_json::json!({"available_places": 100_001}),
        serde_json::json!({"available_places": i64::MIN}),
    ] {
        let r = http
            .put(&url)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(bad.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{bad}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));
        let p: serde_json::Value = r.json().await.unwrap();
        assert_eq!(p["code"], "invalid", "{bad}");
        assert_eq!(
            p["errors"]["available_places"],
            "Enter available places as a whole number, 0 or more, or leave it blank",
            "{bad}: {p}"
        );
    }
    let after = t.app.db_for_tests().service(s.id).await.unwrap().unwrap();
    assert_eq!(
        after.available_places, s.available_places,
        "nothing changed"
    );
    assert_eq!(
        after.available_places_updated_at,
        s.available_places_updated_at
    );
}

#[tokio::test]
async fn a_hostile_local_indicator_code_or_service_type_defines_nothing() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = principal(&t, "officer").await;
    let before = t
        .app
        .local_indicators(officer.authority_id())
        .await
        .unwrap()
        .len();
    let c = t.signed_in("officer").await;
    for (code, service_type, field, message) in [
        (
            "Bad Code!",
            "",
            "code",
            "Code must start with a letter and use only lower case letters, numbers and underscores, up to 50 characters",
        ),
        (
            "kpi_1",
            "",
            "code",
            "Code is already used by a national indicator",
        ),
        ("", "", "code", "Enter a code for the local indicator"),
        (
            "referrals_received",
            "warp_drive",
            "service_type",
            "Select a service type",
        ),
        (
            "referrals_received",
            "<script>",
            "service_type",
            "Select a service type",
        ),
    ] {
        let r = c
            .post_form(
                "/returns/local-indicators",
                &[
                    ("code", code),
                    ("name", "Referrals received"),
                    ("service_type", service_type),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "{code:?} {service_type:?}");
        let body = r.text().await.unwrap();
        // The local indicator form's fields have ids of their own ("local-code"): the
        // trigger form on the same page also has a service type.
        assert!(
            field_error(&body, &format!("local-{field}")).contains(message),
            "{code:?} {service_type:?}: {}",
            error_summary(&body)
        );
    }
    // Both wrong: both are named at once.
    let r = c
        .post_form(
            "/returns/local-indicators",
            &[
                ("code", "Bad Code!"),
                ("name", "Referrals received"),
                ("service_type", "warp_drive"),
            ],
        )
        .await;
    let body = r.text().await.unwrap();
    assert!(
        !field_error(&body, "local-code").is_empty()
            && !field_error(&body, "local-service_type").is_empty()
    );
    assert_eq!(
        t.app
            .local_indicators(officer.authority_id())
            .await
            .unwrap()
            .len(),
        before,
        "nothing was defined"
    );
}
