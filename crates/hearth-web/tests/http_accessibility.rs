//! What the accessibility audit of every page type found (issue 10, "axe results on every
//! page type"; the audit is `crates/hearth/tests/e2e_pages.rs`, its result
//! `docs/accessibility-audit.md`), each fix pinned here over HTTP:
//!
//! - an id is used once a page (the triggers page had two `service_type` fields, so the second
//!   form's label and error went to the first form's field);
//! - an error summary's links land on a field of the page (the returns tracker's extension
//!   error linked `#until`, which no row had, and showed in no row);
//! - an error message, and a hint, is tied to its field with `aria-describedby`, for selects,
//!   text areas, file uploads and checkboxes as for text inputs (GOV.UK Frontend's macros do
//!   this), so a screen reader reads the error when the field takes focus;
//! - a page shown with errors has its own `<h1>` and the error summary at the top (adding a
//!   contract document with no title gave a page with no level-one heading).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

/// Every `id="..."` of a page, in order.
fn ids(body: &str) -> Vec<&str> {
    body.split(" id=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect()
}

/// The ids a page uses more than once.
fn duplicate_ids(body: &str) -> Vec<String> {
    let all = ids(body);
    let mut dups: Vec<String> = all
        .iter()
        .filter(|id| all.iter().filter(|x| x == id).count() > 1)
        .map(|id| id.to_string())
        .collect();
    dups.sort();
    dups.dedup();
    dups
}

/// The links within the page (`href="#field"`) to an id nothing on the page has.
fn links_to_nowhere(body: &str) -> Vec<String> {
    let all = ids(body);
    body.split("href=\"#")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .filter(|target| !target.is_empty() && !all.contains(target))
        .map(String::from)
        .collect()
}

/// The opening tag of the element with `id`.
fn tag_of<'a>(body: &'a str, id: &str) -> &'a str {
    let marker = format!(" id=\"{id}\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no element with id {id}"));
    let start = body[..at].rfind('<').unwrap();
    let end = at + body[at..].find('>').unwrap();
    &body[start..=end]
}

/// Ids of the provider account's first service and contract.
async fn record_ids(t: &TestApp) -> (i64, i64) {
    let p = principal(t, "provider").await;
    let mut f = p.service_filter();
    f.per_page = 100;
    let db = t.app.db_for_tests();
    let service = db.list_services(&f).await.unwrap().items[0].id;
    let mut cf = p.contract_filter();
    cf.per_page = 100;
    let contract = db.list_contracts(&cf).await.unwrap().items[0].id;
    (service, contract)
}

/// The first extension form's service on the returns tracker (a service with no return yet).
fn first_extension_service(tracker: &str) -> String {
    let at = tracker
        .find("action=\"/returns/extensions\"")
        .expect("an extension form on the tracker");
    let rest = &tracker[at..];
    let key = "name=\"service_id\" value=\"";
    let v = &rest[rest.find(key).unwrap() + key.len()..];
    v[..v.find('"').unwrap()].to_string()
}

#[tokio::test]
async fn no_page_uses_an_id_twice_and_every_link_within_a_page_lands() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (service, contract) = record_ids(&t).await;
    let admin = t.signed_in("admin").await;
    let mut pages: Vec<(String, String)> = Vec::new();
    for path in [
        "/home".to_string(),
        "/providers".into(),
        "/providers/new".into(),
        "/services".into(),
        format!("/services/{service}"),
        format!("/services/{service}/edit"),
        format!("/services/{service}/returns"),
        format!("/contracts/{contract}"),
        "/contracts/new".into(),
        "/requests".into(),
        "/returns".into(),
        "/returns/tracker".into(),
        "/returns/triggers".into(),
        "/returns/analysis".into(),
        "/actions".into(),
        "/admin/users/new".into(),
        "/admin/audit".into(),
        "/admin/settings".into(),
    ] {
        let (status, body) = admin.text(&path).await;
        assert_eq!(status, 200, "{path}");
        pages.push((path, body));
    }
    // Pages shown with errors: each form's, on pages with several forms.
    let (_, tracker) = admin.text("/returns/tracker").await;
    let id = first_extension_service(&tracker);
    let r = admin
        .post_form(
            "/returns/extensions",
            &[
                ("service_id", &id),
                ("quarter", "2026/27 Q2"),
                ("until", ""),
            ],
        )
        .await;
    pages.push(("tracker, extension refused".into(), r.text().await.unwrap()));
    let r = admin
        .post_form(
            "/returns/local-indicators",
            &[
                ("code", "Bad Code!"),
                ("name", ""),
                ("service_type", "warp_drive"),
            ],
        )
        .await;
    pages.push(("local indicator refused".into(), r.text().await.unwrap()));
    let r = admin
        .post_form(
            "/returns/triggers",
            &[
                ("year", "2026/27"),
                ("indicator", ""),
                ("service_type", "warp_drive"),
                ("value", ""),
            ],
        )
        .await;
    pages.push(("trigger refused".into(), r.text().await.unwrap()));
    let provider = t.signed_in("provider").await;
    for path in [
        "/home".to_string(),
        format!("/services/{service}"),
        format!("/services/{service}/returns"),
        format!("/services/{service}/details"),
        format!("/services/{service}/schedules/new"),
        "/contacts".into(),
        "/contacts/new".into(),
        "/account".into(),
    ] {
        let (status, body) = provider.text(&path).await;
        assert_eq!(status, 200, "provider {path}");
        pages.push((format!("provider {path}"), body));
    }
    for (page, body) in &pages {
        assert_eq!(
            duplicate_ids(body),
            Vec::<String>::new(),
            "ids used twice on {page}"
        );
        assert_eq!(
            links_to_nowhere(body),
            Vec::<String>::new(),
            "links within {page} to nothing"
        );
    }
}

#[tokio::test]
async fn the_triggers_page_keeps_each_forms_fields_and_errors_apart() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;
    let (_, page) = officer.text("/returns/triggers").await;
    // Both forms have a service type; the local indicator form's ids are its own.
    assert!(tag_of(&page, "service_type").contains("name=\"service_type\""));
    assert!(tag_of(&page, "local-service_type").contains("name=\"service_type\""));
    assert!(page.contains("for=\"local-service_type\""));
    assert_eq!(duplicate_ids(&page), Vec::<String>::new());

    // A local indicator refused: its errors are in its own form, and the summary, at the top
    // of the page, links them there.
    let r = officer
        .post_form(
            "/returns/local-indicators",
            &[
                ("code", "referrals_received"),
                ("name", "Referrals"),
                ("service_type", "warp_drive"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        error_summary(&body).contains("href=\"#local-service_type\""),
        "{}",
        error_summary(&body)
    );
    assert!(field_error(&body, "local-service_type").contains("Select a service type"));
    assert_eq!(
        field_error(&body, "service_type"),
        "",
        "not on the trigger form's field"
    );
    assert!(
        body.find("govuk-error-summary").unwrap() < body.find("<h1").unwrap(),
        "the summary is above the heading"
    );

    // A trigger refused: its errors stay in the trigger form.
    let r = officer
        .post_form(
            "/returns/triggers",
            &[
                ("year", "2026/27"),
                ("indicator", "kpi2"),
                ("service_type", "warp_drive"),
                ("value", "90"),
            ],
        )
        .await;
    let body = r.text().await.unwrap();
    if !field_error(&body, "service_type").is_empty() {
        assert_eq!(field_error(&body, "local-service_type"), "");
        assert!(error_summary(&body).contains("href=\"#service_type\""));
    }
    assert_eq!(duplicate_ids(&body), Vec::<String>::new());
}

#[tokio::test]
async fn an_extension_refused_on_the_tracker_is_shown_in_its_row_and_linked_there() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;
    let (_, tracker) = officer.text("/returns/tracker").await;
    let id = first_extension_service(&tracker);
    let r = officer
        .post_form(
            "/returns/extensions",
            &[
                ("service_id", &id),
                ("quarter", "2026/27 Q2"),
                ("until", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    let summary = error_summary(&body);
    assert!(
        summary.contains(&format!("href=\"#until-{id}\"")),
        "{summary}"
    );
    assert!(!summary.contains("href=\"#until\""), "{summary}");
    assert!(
        !field_error(&body, &format!("until-{id}")).is_empty(),
        "the error is shown in the row's date boxes"
    );
    assert_eq!(links_to_nowhere(&body), Vec::<String>::new());
}

#[tokio::test]
async fn error_messages_and_hints_are_tied_to_selects_text_areas_file_uploads_and_checkboxes() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (service, _) = record_ids(&t).await;
    let officer = t.signed_in("officer").await;

    // A select: a contract with no provider.
    let r = officer
        .post_form("/contracts/new", &[("provider_id", "")])
        .await;
    let body = r.text().await.unwrap();
    assert!(!field_error(&body, "provider_id").is_empty());
    assert!(
        tag_of(&body, "provider_id").contains("aria-describedby=\"provider_id-error\""),
        "{}",
        tag_of(&body, "provider_id")
    );

    // A text area: a new workbook version with no reason.
    let r = officer
        .post_form(
            &format!("/services/{service}/returns/version"),
            &[("year", "2026"), ("from_quarter", "3"), ("reason", "")],
        )
        .await;
    let body = r.text().await.unwrap();
    assert!(
        !field_error(&body, "reason").is_empty(),
        "{}",
        error_summary(&body)
    );
    assert!(
        tag_of(&body, "reason").contains("aria-describedby=\"reason-error\""),
        "{}",
        tag_of(&body, "reason")
    );

    // A file upload, and a checkbox's hint: a workbook sent with no file.
    let provider = t.signed_in("provider").await;
    let path = format!("/services/{service}/returns");
    let (_, page) = provider.text(&path).await;
    assert!(
        tag_of(&page, "ignore").contains("aria-describedby=\"ignore-hint\""),
        "{}",
        tag_of(&page, "ignore")
    );
    assert!(page.contains("id=\"ignore-hint\""));
    let csrf = extract_csrf(&page).unwrap();
    let body = multipart_body(&[
        ("csrf", None, csrf.as_bytes()),
        ("quarter", None, b"2026/27 Q2"),
    ]);
    let r = provider
        .http
        .post(format!(
            "{}/services/{service}/returns/upload",
            provider.base
        ))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(
        !field_error(&body, "file").is_empty(),
        "{}",
        error_summary(&body)
    );
    let file = tag_of(&body, "file");
    assert!(file.contains("aria-describedby=\"file-error\""), "{file}");
    assert!(file.contains("govuk-file-upload--error"), "{file}");
}

#[tokio::test]
async fn a_contract_document_refused_has_a_heading_and_the_summary_at_the_top() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (_, contract) = record_ids(&t).await;
    let officer = t.signed_in("officer").await;
    let csrf = officer.csrf_from(&format!("/contracts/{contract}")).await;
    let body = multipart_body(&[
        ("csrf", None, csrf.as_bytes()),
        ("document_type", None, b"specification"),
        ("title", None, b""),
    ]);
    let r = officer
        .http
        .post(format!("{}/contracts/{contract}/documents", officer.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert_eq!(body.matches("<h1").count(), 1, "one level-one heading");
    assert!(body.contains(">Add a document</h1>"));
    assert_eq!(body.matches("class=\"govuk-error-summary\"").count(), 1);
    assert!(
        body.find("class=\"govuk-error-summary\"").unwrap() < body.find("<h1").unwrap(),
        "the summary is above the heading"
    );
    assert!(error_summary(&body).contains("href=\"#title\""));
    // The contract's own page has no summary of its own in the documents section.
    let (_, page) = officer.text(&format!("/contracts/{contract}")).await;
    assert!(!page.contains("class=\"govuk-error-summary\""));
}
