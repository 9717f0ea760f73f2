//! Back-office journeys over HTTP: create, edit and refuse bad input for providers,
//! services, properties and contracts; the audit trail and its screen; client schedules on
//! the service page; the login-request queue; temporary passwords changed at first use.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

use hearth_store::{AuditEntry, AuditQuery, ContractFilter, ProviderFilter, ServiceFilter};

// ---------------- helpers ----------------

/// Whether an input of the form shows `value`.
fn shows_value(body: &str, field: &str, value: &str) -> bool {
    let marker = format!("name=\"{field}\"");
    body.match_indices(&marker).any(|(i, _)| {
        // The value attribute follows the name within the same tag.
        let tag_end = body[i..].find('>').map_or(body.len(), |e| i + e);
        body[i..tag_end].contains(&format!("value=\"{value}\""))
    }) || {
        // Textareas and selects carry the value as content / a selected option.
        let sel = format!("<option value=\"{value}\" selected");
        body.contains(&sel)
    }
}

fn assert_invalid_form(status: u16, body: &str, messages: &[(&str, &str)], what: &str) {
    assert_eq!(status, 422, "{what}: bad input answers 422");
    let summary = error_summary(body);
    assert!(
        !summary.is_empty(),
        "{what}: the page has a GOV.UK error summary"
    );
    assert!(summary.contains("There is a problem"), "{what}");
    for (field, message) in messages {
        assert!(
            summary.contains(message),
            "{what}: the summary says {message:?}\n{summary}"
        );
        assert!(
            summary.contains(&format!("href=\"#{field}\"")),
            "{what}: the summary links to {field}"
        );
        assert!(
            field_error(body, field).contains(message),
            "{what}: {message:?} is shown beside {field}"
        );
    }
}

fn id_from(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} does not start with {prefix}"))
        .parse()
        .unwrap_or_else(|_| panic!("no id in {location}"))
}

/// Form fields as the client helper takes them.
fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn newest_audit_id(t: &TestApp) -> i64 {
    t.app
        .db_for_tests()
        .audit_search(&AuditQuery {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .first()
        .map_or(0, |e| e.id)
}

/// Audit entries written after entry `after`, oldest first.
async fn audit_since(t: &TestApp, after: i64) -> Vec<AuditEntry> {
    let mut v: Vec<AuditEntry> = t
        .app
        .db_for_tests()
        .audit_search(&AuditQuery {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        // An authority's first write also records its chain's opening in the system chain.
        .filter(|e| e.id > after && e.record_type != "audit_chain")
        .collect();
    v.reverse();
    v
}

fn json(s: &Option<String>) -> serde_json::Value {
    serde_json::from_str(s.as_deref().expect("a JSON value")).unwrap()
}

async fn provider_count(t: &TestApp) -> i64 {
    t.app
        .db_for_tests()
        .list_providers(&ProviderFilter::default())
        .await
        .unwrap()
        .total
}

async fn service_count(t: &TestApp) -> i64 {
    t.app
        .db_for_tests()
        .list_services(&ServiceFilter::default())
        .await
        .unwrap()
        .total
}

async fn property_count(t: &TestApp) -> i64 {
    t.app
        .db_for_tests()
        .list_properties(&ServiceFilter::default())
        .await
        .unwrap()
        .total
}

async fn contract_count(t: &TestApp) -> i64 {
    t.app
        .db_for_tests()
        .list_contracts(&ContractFilter::default())
        .await
        .unwrap()
        .total
}

/// The demo's first provider (the "provider" account's organisation) and one of its services.
async fn demo_provider(t: &TestApp) -> (i64, hearth_store::Service) {
    let u = t
        .app
        .db_for_tests()
        .user_by_username("provider")
        .await
        .unwrap()
        .unwrap();
    let p = t
        .app
        .db_for_tests()
        .contact(u.contact_id.unwrap())
        .await
        .unwrap()
        .unwrap()
        .provider_id;
    let s = t
        .app
        .db_for_tests()
        .list_services(&ServiceFilter {
            provider_id: Some(p),
            per_page: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .remove(0);
    (p, s)
}

async fn officer_authority(t: &TestApp) -> i64 {
    t.app
        .db_for_tests()
        .user_by_username("officer")
        .await
        .unwrap()
        .unwrap()
        .authority_id
        .unwrap()
}

// ---------------- providers ----------------

#[tokio::test]
async fn an_officer_creates_a_provider_and_finds_it_listed() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let c = t.signed_in("officer").await;
        let before = provider_count(&t).await;
        let r = c
            .post_form(
                "/providers/new",
                &[
                    ("name", "Heronsgate Housing CIC"),
                    ("reference", "PRV-T01"),
                    ("address", "4 Quay Street\nHeronsgate"),
                    ("postcode", "bk1 2ab"),
                    ("phone", "01632 960123"),
                    ("email", "office@heronsgate.example"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", t.db_name);
        let to = location(&r);
        let id = id_from(&to, "/providers/");
        assert_eq!(provider_count(&t).await, before + 1);
        let p = t.app.db_for_tests().provider(id).await.unwrap().unwrap();
        assert_eq!(p.name, "Heronsgate Housing CIC");
        assert_eq!(p.reference, "PRV-T01");
        assert_eq!(
            p.postcode, "BK1 2AB",
            "the postcode is stored in its normal form"
        );
        assert_eq!(p.email, "office@heronsgate.example");
        assert_eq!(p.limited_access, 0);
        assert!(
            t.app
                .db_for_tests()
                .provider_in_authority(id, officer_authority(&t).await)
                .await
                .unwrap(),
            "registered with the officer's authority"
        );

        let (status, body) = c.text(&to).await;
        assert_eq!(status, 200);
        assert!(
            body.contains("Heronsgate Housing CIC")
                && body.contains("PRV-T01")
                && body.contains("BK1 2AB")
        );
        let (status, body) = c.text("/providers").await;
        assert_eq!(status, 200);
        assert!(
            body.contains(&format!(">{} providers<", before + 1)),
            "{}",
            t.db_name
        );
        assert!(
            body.contains(&format!("href=\"/providers/{id}\"")),
            "listed"
        );
        let (_, body) = c.text("/providers?q=heronsgate").await;
        assert!(
            body.contains(">1 provider<") && body.contains(&format!("href=\"/providers/{id}\"")),
            "found by search"
        );

        // The creation is audited with the values after.
        let entries = t
            .app
            .db_for_tests()
            .audit_search(&AuditQuery {
                record_type: Some("provider".into()),
                record_id: Some(id.to_string()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 1, "{}", t.db_name);
        assert_eq!(entries[0].action, "create");
        assert_eq!(entries[0].actor, "officer");
        assert!(entries[0].before_json.is_none());
        assert_eq!(
            json(&entries[0].after_json)["name"],
            "Heronsgate Housing CIC"
        );

        // The same reference again is refused.
        let r = c
            .post_form(
                "/providers/new",
                &[("name", "Another"), ("reference", "PRV-T01")],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[("reference", "A provider with this reference already exists")],
            "duplicate reference",
        );
        assert_eq!(provider_count(&t).await, before + 1, "{}", t.db_name);
    }
}

#[tokio::test]
async fn bad_provider_input_is_refused_and_nothing_is_created() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let c = t.signed_in("officer").await;
        let before = provider_count(&t).await;
        let audit = newest_audit_id(&t).await;
        let r = c
            .post_form(
                "/providers/new",
                &[
                    ("name", "  "),
                    ("reference", "PRV-BAD"),
                    ("address", "1 Nowhere Road"),
                    ("postcode", "XYZ"),
                    ("email", "not-an-email"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[
                ("name", "Enter the organisation's name"),
                ("postcode", "Enter a real postcode"),
                (
                    "email",
                    "Enter an email address in the correct format, like name@example.com",
                ),
            ],
            "provider",
        );
        assert!(
            !error_summary(&body).contains("href=\"#reference\""),
            "the reference was fine"
        );
        // What was typed is kept.
        assert!(shows_value(&body, "reference", "PRV-BAD"), "reference kept");
        assert!(shows_value(&body, "postcode", "XYZ"), "postcode kept");
        assert!(shows_value(&body, "email", "not-an-email"), "email kept");
        assert!(body.contains("1 Nowhere Road"), "address kept");
        assert!(body.contains("name=\"csrf\""), "the form can be sent again");
        assert_eq!(
            provider_count(&t).await,
            before,
            "{}: nothing created",
            t.db_name
        );
        assert_eq!(
            newest_audit_id(&t).await,
            audit,
            "{}: nothing audited",
            t.db_name
        );
    }
}

#[tokio::test]
async fn editing_a_provider_writes_one_audit_entry_with_before_and_after() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let (id, _) = demo_provider(&t).await;
        let old = t.app.db_for_tests().provider(id).await.unwrap().unwrap();
        let c = t.signed_in("officer").await;
        let (status, form) = c.text(&format!("/providers/{id}/edit")).await;
        assert_eq!(status, 200);
        assert!(
            shows_value(&form, "name", &old.name),
            "the edit form shows the current name"
        );
        assert!(shows_value(&form, "reference", &old.reference));

        let audit = newest_audit_id(&t).await;
        let r = c
            .post_form(
                &format!("/providers/{id}/edit"),
                &[
                    ("name", "Larkspur Housing Trust (renamed)"),
                    ("reference", &old.reference),
                    ("address", &old.address),
                    ("postcode", &old.postcode),
                    ("phone", "01632 960999"),
                    ("email", &old.email),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", t.db_name);
        assert_eq!(location(&r), format!("/providers/{id}"));
        let new = t.app.db_for_tests().provider(id).await.unwrap().unwrap();
        assert_eq!(new.name, "Larkspur Housing Trust (renamed)");
        assert_eq!(new.phone, "01632 960999");

        let written = audit_since(&t, audit).await;
        assert_eq!(
            written.len(),
            1,
            "{}: exactly one audit entry for one edit: {written:?}",
            t.db_name
        );
        let e = &written[0];
        assert_eq!(
            (
                e.action.as_str(),
                e.record_type.as_str(),
                e.record_id.as_str()
            ),
            ("update", "provider", id.to_string().as_str())
        );
        assert_eq!(e.actor, "officer");
        assert_eq!(
            e.actor_id,
            Some(
                t.app
                    .db_for_tests()
                    .user_by_username("officer")
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            )
        );
        assert_eq!(e.authority_id, Some(officer_authority(&t).await));
        let (before, after) = (json(&e.before_json), json(&e.after_json));
        assert_eq!(before["name"], old.name.as_str());
        assert_eq!(after["name"], "Larkspur Housing Trust (renamed)");
        assert_eq!(before["phone"], old.phone.as_str());
        assert_eq!(after["phone"], "01632 960999");
        assert_eq!(before["reference"], after["reference"]);
        // Every entry so far (the edit, and its chain's opening after it) verifies.
        let last = t
            .app
            .db_for_tests()
            .audit_search(&AuditQuery {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()[0]
            .id;
        assert_eq!(
            t.app.db_for_tests().audit_verify().await.unwrap(),
            hearth_store::ChainReport::Intact { entries: last },
            "the chain holds"
        );

        // A bad edit changes nothing and writes nothing.
        let r = c
            .post_form(
                &format!("/providers/{id}/edit"),
                &[
                    ("name", ""),
                    ("reference", &old.reference),
                    ("postcode", "XYZ"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[
                ("name", "Enter the organisation's name"),
                ("postcode", "Enter a real postcode"),
            ],
            "provider edit",
        );
        assert_eq!(
            t.app.db_for_tests().provider(id).await.unwrap().unwrap(),
            new
        );
        assert_eq!(audit_since(&t, audit).await.len(), 1);
    }
}

#[tokio::test]
async fn the_administrator_finds_the_edit_on_the_audit_screen() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let (id, _) = demo_provider(&t).await;
        let old = t.app.db_for_tests().provider(id).await.unwrap().unwrap();
        let officer = t.signed_in("officer").await;
        let r = officer
            .post_form(
                &format!("/providers/{id}/edit"),
                &[
                    ("name", "Audited Name Trust"),
                    ("reference", &old.reference),
                    ("postcode", &old.postcode),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);

        let admin = t.signed_in("admin").await;
        let (status, body) = admin.text("/admin/audit?record_type=provider").await;
        assert_eq!(status, 200, "{}", t.db_name);
        assert!(
            body.contains("Audited Name Trust"),
            "{}: the after value is shown",
            t.db_name
        );
        assert!(body.contains(&old.name), "the before value is shown");
        assert!(
            body.contains(&format!("href=\"/providers/{id}\">Provider {id}</a>")),
            "the record is named and linked"
        );
        // What changed reads as field: old → new, not raw JSON (issue 10, journey 7).
        assert!(
            body.contains(&format!(
                "<strong>name</strong>: <del class=\"hearth-old\">{}</del> → <ins class=\"hearth-new\">Audited Name Trust</ins>",
                old.name.replace('&', "&amp;")
            )),
            "the changed field reads old → new"
        );
        assert!(!body.contains("hearth-json"), "no raw JSON");
        assert!(
            body.contains("<option value=\"provider\" selected>Provider</option>"),
            "record type is a select"
        );
        let (_, upper) = admin.text("/admin/audit?record_type=Provider").await;
        assert!(
            upper.contains("Audited Name Trust"),
            "the record type matches whatever its case"
        );
        assert!(body.contains("officer"), "the actor is named");
        let (_, body) = admin
            .text(&format!(
                "/admin/audit?record_type=provider&record_id={id}&action=update"
            ))
            .await;
        assert!(body.contains("Audited Name Trust"));
        let (_, body) = admin.text("/admin/audit?record_type=service").await;
        assert!(
            !body.contains("Audited Name Trust"),
            "a search for services does not show the provider's entry"
        );
        let (_, body) = admin
            .text("/admin/audit?actor=officer&record_type=provider")
            .await;
        assert!(body.contains("Audited Name Trust"));
        let (_, body) = admin
            .text("/admin/audit?actor=finance&record_type=provider")
            .await;
        assert!(!body.contains("Audited Name Trust"), "filtered by actor");
        // A bad date in the search is explained, not a failure.
        let (status, body) = admin.text("/admin/audit?from=not-a-date").await;
        assert_eq!(status, 200);
        assert!(error_summary(&body).contains("Enter a date in the correct format"));
    }
}

// ---------------- services ----------------

#[tokio::test]
async fn services_are_created_edited_and_bad_input_refused() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let (provider, _) = demo_provider(&t).await;
        let c = t.signed_in("officer").await;
        let pid = provider.to_string();
        let before = service_count(&t).await;
        let audit = newest_audit_id(&t).await;

        // Bad input first.
        let r = c
            .post_form(
                "/services/new",
                &[
                    ("provider_id", &pid),
                    ("reference", "BRK/FS/9001"),
                    ("name", "Heron Floating Support"),
                    ("service_type", "teleporting"),
                    ("term", ""),
                    ("client_group", "older_people"),
                    ("contracted_units", "lots"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[
                ("service_type", "Select the type of service"),
                ("term", "Select long term or short term"),
                (
                    "contracted_units",
                    "Enter contracted units as a whole number",
                ),
            ],
            "service",
        );
        assert!(
            shows_value(&body, "name", "Heron Floating Support"),
            "name kept"
        );
        assert!(
            shows_value(&body, "reference", "BRK/FS/9001"),
            "reference kept"
        );
        assert!(
            shows_value(&body, "contracted_units", "lots"),
            "units kept as typed"
        );
        assert!(
            shows_value(&body, "provider_id", &pid),
            "provider still selected"
        );
        assert_eq!(service_count(&t).await, before);
        assert_eq!(newest_audit_id(&t).await, audit, "nothing audited");
        let r = c
            .post_form(
                "/services/new",
                &[("provider_id", ""), ("reference", ""), ("name", "")],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[
                ("provider_id", "Select the provider"),
                ("reference", "Enter the service reference"),
                ("name", "Enter the service name"),
            ],
            "empty service",
        );

        // Then a good one.
        let r = c
            .post_form(
                "/services/new",
                &[
                    ("provider_id", &pid),
                    ("reference", "BRK/FS/9001"),
                    ("name", "Heron Floating Support"),
                    ("service_type", "floating_support"),
                    ("term", "long"),
                    ("client_group", "older_people"),
                    ("contracted_units", "25"),
                    ("postcode", "bk2 5th"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", t.db_name);
        let id = id_from(&location(&r), "/services/");
        assert_eq!(service_count(&t).await, before + 1);
        let s = t.app.db_for_tests().service(id).await.unwrap().unwrap();
        assert_eq!(
            (
                s.provider_id,
                s.reference.as_str(),
                s.service_type.as_str(),
                s.term.as_str(),
                s.client_group.as_str(),
                s.contracted_units
            ),
            (
                provider,
                "BRK/FS/9001",
                "floating_support",
                "long",
                "older_people",
                25
            )
        );
        assert_eq!(s.postcode, "BK2 5TH");
        assert_eq!(s.authority_id, officer_authority(&t).await);
        let (status, body) = c.text(&format!("/services/{id}")).await;
        assert_eq!(status, 200);
        assert!(body.contains("Heron Floating Support") && body.contains(">0 current schedules<"));
        let (_, body) = c.text("/services?q=heron").await;
        assert!(
            body.contains(&format!("href=\"/services/{id}\"")) && body.contains(">1 service<"),
            "listed"
        );
        let created = audit_since(&t, audit).await;
        assert_eq!(created.len(), 1, "{created:?}");
        assert_eq!(
            (created[0].action.as_str(), created[0].record_type.as_str()),
            ("create", "service")
        );

        // The same reference again in this authority is refused.
        let r = c
            .post_form(
                "/services/new",
                &[
                    ("provider_id", &pid),
                    ("reference", "BRK/FS/9001"),
                    ("name", "Copy"),
                    ("service_type", "floating_support"),
                    ("term", "long"),
                    ("client_group", "older_people"),
                    ("contracted_units", "1"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[("reference", "A service with this reference already exists")],
            "duplicate service",
        );
        assert_eq!(service_count(&t).await, before + 1);

        // Edit: one audit entry with before and after.
        let (status, form) = c.text(&format!("/services/{id}/edit")).await;
        assert_eq!(status, 200);
        assert!(shows_value(&form, "contracted_units", "25"));
        let audit = newest_audit_id(&t).await;
        let r = c
            .post_form(
                &format!("/services/{id}/edit"),
                &[
                    ("provider_id", &pid),
                    ("reference", "BRK/FS/9001"),
                    ("name", "Heron Floating Support"),
                    ("service_type", "floating_support"),
                    ("term", "short"),
                    ("client_group", "older_people"),
                    ("contracted_units", "30"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let s = t.app.db_for_tests().service(id).await.unwrap().unwrap();
        assert_eq!((s.contracted_units, s.term.as_str()), (30, "short"));
        let written = audit_since(&t, audit).await;
        assert_eq!(written.len(), 1, "{}: {written:?}", t.db_name);
        assert_eq!(
            (written[0].action.as_str(), written[0].record_type.as_str()),
            ("update", "service")
        );
        assert_eq!(written[0].record_id, id.to_string());
        assert_eq!(json(&written[0].before_json)["contracted_units"], 25);
        assert_eq!(json(&written[0].after_json)["contracted_units"], 30);
        assert_eq!(json(&written[0].before_json)["term"], "long");
        assert_eq!(json(&written[0].after_json)["term"], "short");

        // Negative units are refused on edit.
        let r = c
            .post_form(
                &format!("/services/{id}/edit"),
                &[
                    ("provider_id", &pid),
                    ("reference", "BRK/FS/9001"),
                    ("name", "Heron Floating Support"),
                    ("service_type", "floating_support"),
                    ("term", "short"),
                    ("client_group", "older_people"),
                    ("contracted_units", "-3"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[("contracted_units", "Contracted units must be 0 or more")],
            "negative units",
        );
        assert_eq!(
            t.app
                .db_for_tests()
                .service(id)
                .await
                .unwrap()
                .unwrap()
                .contracted_units,
            30
        );
    }
}

#[tokio::test]
async fn the_service_page_lists_current_schedules_and_optionally_ended_ones() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        // Count from the generated demo data itself, independently of the queries under test.
        let today = t.app.today();
        let data = hearth_demo::generate(hearth_demo::Scale::Small, 7, today);
        let mut best: Option<(String, usize, usize)> = None;
        for (key, s) in data.services.iter().enumerate() {
            let all = data
                .schedules
                .iter()
                .filter(|x| x.service_key == key)
                .count();
            let current = data
                .schedules
                .iter()
                .filter(|x| x.service_key == key && x.end_date.is_none_or(|d| d >= today))
                .count();
            // A service whose schedules fit on one page, with some ended.
            if all <= 50
                && current < all
                && current > 0
                && best.as_ref().is_none_or(|b| all - current > b.2 - b.1)
            {
                best = Some((s.reference.clone(), current, all));
            }
        }
        let (reference, current, all) = best.expect("demo data has a service with ended schedules");
        let id = t
            .app
            .db_for_tests()
            .list_services(&ServiceFilter {
                search: Some(reference.to_lowercase()),
                ..Default::default()
            })
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|s| s.reference == reference)
            .unwrap()
            .id;

        let c = t.signed_in("officer").await;
        let rows = |body: &str| body.matches("class=\"govuk-table__row\"").count() - 1;
        let (status, body) = c.text(&format!("/services/{id}")).await;
        assert_eq!(status, 200);
        assert!(
            body.contains(&format!(">{current} current schedules<")),
            "{}: {current} current schedules on {reference}",
            t.db_name
        );
        assert_eq!(rows(&body), current, "one row per current schedule");
        let (status, body) = c.text(&format!("/services/{id}?ended=yes")).await;
        assert_eq!(status, 200);
        assert!(
            body.contains(&format!(">{all} schedules, current and ended<")),
            "{}: {all} schedules in all on {reference}",
            t.db_name
        );
        assert_eq!(rows(&body), all, "one row per schedule, ended included");
        assert!(
            body.contains("id=\"ended\" name=\"ended\" type=\"checkbox\" value=\"yes\" checked"),
            "the box stays ticked"
        );
        // The sort orders keep the same rows.
        let (_, body) = c
            .text(&format!("/services/{id}?ended=yes&sort=start"))
            .await;
        assert_eq!(rows(&body), all);

        // The provider sees the same on their own service.
        let owner = t
            .app
            .db_for_tests()
            .service(id)
            .await
            .unwrap()
            .unwrap()
            .provider_id;
        let provider_user_provider = demo_provider(&t).await.0;
        if owner == provider_user_provider {
            let p = t.signed_in("provider").await;
            let (_, body) = p.text(&format!("/services/{id}?ended=yes")).await;
            assert!(body.contains(&format!(">{all} schedules, current and ended<")));
        }
    }
}

// ---------------- properties ----------------

#[tokio::test]
async fn properties_are_created_edited_and_bad_uprns_refused() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let (provider, service) = demo_provider(&t).await;
        let pid = provider.to_string();
        let c = t.signed_in("officer").await;
        let before = property_count(&t).await;
        let audit = newest_audit_id(&t).await;

        for (uprn, message) in [
            ("1234567890123", "UPRN must be 12 digits or fewer"),
            ("10001234567A", "UPRN must only include numbers 0 to 9"),
        ] {
            let r = c
                .post_form(
                    "/properties/new",
                    &[
                        ("provider_id", &pid),
                        ("address_line1", "12 Heron Way"),
                        ("town", "Brackenford"),
                        ("postcode", "BK1 2AB"),
                        ("uprn", uprn),
                    ],
                )
                .await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert_invalid_form(status, &body, &[("uprn", message)], "uprn");
            assert!(
                shows_value(&body, "uprn", uprn),
                "the UPRN as typed is kept"
            );
            assert!(
                shows_value(&body, "address_line1", "12 Heron Way"),
                "the address is kept"
            );
        }
        let r = c
            .post_form(
                "/properties/new",
                &[
                    ("provider_id", &pid),
                    ("address_line1", ""),
                    ("postcode", "XYZ"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[
                ("address_line1", "Enter the first line of the address"),
                ("postcode", "Enter a real postcode"),
            ],
            "property",
        );
        assert_eq!(property_count(&t).await, before);
        assert_eq!(newest_audit_id(&t).await, audit);

        let sid = service.id.to_string();
        let r = c
            .post_form(
                "/properties/new",
                &[
                    ("provider_id", &pid),
                    ("service_id", &sid),
                    ("address_line1", "12 Heron Way"),
                    ("town", "Brackenford"),
                    ("postcode", "bk1 2ab"),
                    ("uprn", "100012345678"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", t.db_name);
        let id = id_from(&location(&r), "/properties/");
        assert_eq!(property_count(&t).await, before + 1);
        let p = t.app.db_for_tests().property(id).await.unwrap().unwrap();
        assert_eq!(
            (
                p.provider_id,
                p.service_id,
                p.postcode.as_str(),
                p.uprn.as_deref()
            ),
            (provider, Some(service.id), "BK1 2AB", Some("100012345678"))
        );
        let (status, body) = c.text(&format!("/properties/{id}")).await;
        assert_eq!(status, 200);
        assert!(body.contains("12 Heron Way") && body.contains("100012345678"));
        let (_, body) = c.text("/properties?q=100012345678").await;
        assert!(
            body.contains(&format!("href=\"/properties/{id}\"")) && body.contains(">1 property<")
        );

        let audit = newest_audit_id(&t).await;
        let r = c
            .post_form(
                &format!("/properties/{id}/edit"),
                &[
                    ("provider_id", &pid),
                    ("service_id", &sid),
                    ("address_line1", "14 Heron Way"),
                    ("town", "Brackenford"),
                    ("postcode", "BK1 2AB"),
                    ("uprn", "100012345678"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let written = audit_since(&t, audit).await;
        assert_eq!(written.len(), 1, "{}: {written:?}", t.db_name);
        assert_eq!(
            (written[0].action.as_str(), written[0].record_type.as_str()),
            ("update", "property")
        );
        assert_eq!(
            json(&written[0].before_json)["address_line1"],
            "12 Heron Way"
        );
        assert_eq!(
            json(&written[0].after_json)["address_line1"],
            "14 Heron Way"
        );
        // A 13-digit UPRN on edit is refused too, and the record is unchanged.
        let r = c
            .post_form(
                &format!("/properties/{id}/edit"),
                &[
                    ("provider_id", &pid),
                    ("address_line1", "14 Heron Way"),
                    ("postcode", "BK1 2AB"),
                    ("uprn", "1000123456789"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        assert_eq!(
            t.app
                .db_for_tests()
                .property(id)
                .await
                .unwrap()
                .unwrap()
                .uprn
                .as_deref(),
            Some("100012345678")
        );
        assert_eq!(audit_since(&t, audit).await.len(), 1);
    }
}

// ---------------- contracts ----------------

#[tokio::test]
async fn contracts_are_created_edited_and_bad_input_refused() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let (provider, service) = demo_provider(&t).await;
        let pid = provider.to_string();
        let other_providers_service = t
            .app
            .db_for_tests()
            .list_services(&ServiceFilter {
                per_page: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|s| s.provider_id != provider)
            .unwrap();
        let c = t.signed_in("contracts").await;
        let before = contract_count(&t).await;
        let audit = newest_audit_id(&t).await;
        let good = |reference: &'static str, end: &'static str, services: String| {
            vec![
                ("provider_id", pid.clone()),
                ("reference", reference.to_string()),
                ("title", "Heron floating support contract".to_string()),
                ("units", "10".to_string()),
                ("unit_rate", "150.50".to_string()),
                ("start_date", "1/4/2026".to_string()),
                ("end_date", end.to_string()),
                ("status", "steady_state".to_string()),
                ("services", services),
            ]
        };

        // End before start.
        let f = good("BRK/C/9001", "31/3/2025", service.reference.clone());
        let fr = refs(&f);
        let r = c.post_form("/contracts/new", &fr).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[(
                "end_date",
                "The end date must be on or after the start date",
            )],
            "dates",
        );
        assert!(
            field_error(&body, "start_date").is_empty(),
            "the start date was fine"
        );
        assert!(
            shows_value(&body, "end_date-day", "31")
                && shows_value(&body, "end_date-month", "3")
                && shows_value(&body, "end_date-year", "2025")
                && shows_value(&body, "unit_rate", "150.50"),
            "typed values kept"
        );

        // An unknown service, and another provider's service.
        for bad in [
            "NOPE/1".to_string(),
            other_providers_service.reference.clone(),
        ] {
            let f = good(
                "BRK/C/9001",
                "31/3/2029",
                format!("{}, {bad}", service.reference),
            );
            let fr = refs(&f);
            let r = c.post_form("/contracts/new", &fr).await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert_invalid_form(
                status,
                &body,
                &[(
                    "services",
                    &format!("There is no service {bad} of this provider"),
                )],
                "services",
            );
        }
        // Bad money and dates.
        let mut f = good("BRK/C/9001", "31/13/2029", service.reference.clone());
        f[4].1 = "a lot".into();
        f[5].1 = "".into();
        f[7].1 = "forever".into();
        let fr = refs(&f);
        let r = c.post_form("/contracts/new", &fr).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(status, 422);
        for field in ["unit_rate", "start_date", "end_date", "status"] {
            assert!(
                !field_error(&body, field).is_empty(),
                "{field} has an error beside it"
            );
            assert!(
                error_summary(&body).contains(&format!("href=\"#{field}\"")),
                "{field} is in the summary"
            );
        }
        assert!(field_error(&body, "status").contains("Select the contract status"));
        assert!(field_error(&body, "start_date").contains("Enter a date"));
        assert_eq!(contract_count(&t).await, before, "{}", t.db_name);
        assert_eq!(newest_audit_id(&t).await, audit, "nothing audited");

        // A good contract.
        let f = good("BRK/C/9001", "31/3/2029", service.reference.to_lowercase());
        let fr = refs(&f);
        let r = c.post_form("/contracts/new", &fr).await;
        assert_eq!(r.status(), 303, "{}", t.db_name);
        let id = id_from(&location(&r), "/contracts/");
        assert_eq!(contract_count(&t).await, before + 1);
        let k = t.app.db_for_tests().contract(id).await.unwrap().unwrap();
        assert_eq!(
            (
                k.provider_id,
                k.units,
                k.unit_rate_pence,
                k.start_date.as_str(),
                k.end_date.as_str(),
                k.status.as_str()
            ),
            (
                provider,
                10,
                15_050,
                "2026-04-01",
                "2029-03-31",
                "steady_state"
            )
        );
        assert_eq!(
            t.app.db_for_tests().contract_service_ids(id).await.unwrap(),
            vec![service.id]
        );
        let (status, body) = c.text(&format!("/contracts/{id}")).await;
        assert_eq!(status, 200);
        assert!(
            body.contains("Heron floating support contract")
                && body.contains(&format!("href=\"/services/{}\"", service.id))
        );
        assert!(body.contains("150.50"), "the rate is shown in pounds");
        let (_, body) = c.text("/contracts?q=BRK/C/9001").await;
        assert!(
            body.contains(&format!("href=\"/contracts/{id}\"")) && body.contains(">1 contract<")
        );
        let (_, body) = c.text(&format!("/services/{}", service.id)).await;
        assert!(
            body.contains(&format!("href=\"/contracts/{id}\"")),
            "the service page lists its contracts"
        );

        // Edit: status and end date; exactly one audit entry with before and after.
        let (status, form) = c.text(&format!("/contracts/{id}/edit")).await;
        assert_eq!(status, 200);
        assert!(
            shows_value(&form, "unit_rate", "150.50"),
            "the rate is shown in pounds on the edit form"
        );
        assert!(shows_value(&form, "services", &service.reference));
        let audit = newest_audit_id(&t).await;
        let mut f = good("BRK/C/9001", "31/3/2030", service.reference.clone());
        f[7].1 = "interim".into();
        let fr = refs(&f);
        let r = c.post_form(&format!("/contracts/{id}/edit"), &fr).await;
        assert_eq!(r.status(), 303);
        let k = t.app.db_for_tests().contract(id).await.unwrap().unwrap();
        assert_eq!(
            (k.status.as_str(), k.end_date.as_str()),
            ("interim", "2030-03-31")
        );
        let written = audit_since(&t, audit).await;
        assert_eq!(written.len(), 1, "{}: {written:?}", t.db_name);
        assert_eq!(
            (written[0].action.as_str(), written[0].record_type.as_str()),
            ("update", "contract")
        );
        assert_eq!(json(&written[0].before_json)["status"], "steady_state");
        assert_eq!(json(&written[0].after_json)["status"], "interim");
        assert_eq!(json(&written[0].before_json)["end_date"], "2029-03-31");
        assert_eq!(json(&written[0].after_json)["end_date"], "2030-03-31");
        assert_eq!(written[0].actor, "contracts");

        // The same reference again in this authority is refused.
        let f = good("BRK/C/9001", "31/3/2029", String::new());
        let fr = refs(&f);
        let r = c.post_form("/contracts/new", &fr).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[("reference", "A contract with this reference already exists")],
            "duplicate contract",
        );
        assert_eq!(contract_count(&t).await, before + 1);
    }
}

// ---------------- account requests and temporary passwords ----------------

#[tokio::test]
async fn login_and_password_requests_reach_the_officers_queue_and_can_be_closed() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let visitor = t.client();
        let (status, _) = visitor.text("/login/request").await;
        assert_eq!(status, 200);
        // Missing details are explained and nothing is queued.
        let r = visitor
            .post_form(
                "/login/request",
                &[
                    ("full_name", "Priya Patel"),
                    ("organisation", ""),
                    ("email", ""),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[("email", "Enter your email address")],
            "login request",
        );
        assert!(shows_value(&body, "full_name", "Priya Patel"));
        assert!(
            t.app
                .db_for_tests()
                .list_account_requests(None, false)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            t.db_name
        );

        let r = visitor
            .post_form(
                "/login/request",
                &[
                    ("full_name", "Priya Patel"),
                    ("organisation", "Heronsgate Housing CIC"),
                    ("email", "priya@heronsgate.example"),
                    ("message", "Support worker at Heron House"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200, "{}", t.db_name);
        assert!(r.text().await.unwrap().contains("Request sent"));
        let r = visitor
            .post_form(
                "/login/forgotten",
                &[
                    ("username", "finance"),
                    ("email", "finance@brackenshire.example"),
                    ("message", "Locked out"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("Request sent"));

        let queued = t
            .app
            .db_for_tests()
            .list_account_requests(None, true)
            .await
            .unwrap();
        assert_eq!(queued.len(), 2, "{}", t.db_name);
        let login_req = queued
            .iter()
            .find(|r| r.kind == "login_request")
            .unwrap()
            .clone();
        let forgotten = queued
            .iter()
            .find(|r| r.kind == "forgotten_password")
            .unwrap()
            .clone();
        assert_eq!(forgotten.username, "finance");
        assert_eq!(
            forgotten.authority_id,
            Some(officer_authority(&t).await),
            "routed to the user's authority"
        );

        let c = t.signed_in("officer").await;
        let (status, body) = c.text("/account-requests").await;
        assert_eq!(status, 200);
        assert!(body.contains("Login request: Priya Patel"), "{}", t.db_name);
        assert!(
            body.contains("Heronsgate Housing CIC") && body.contains("priya@heronsgate.example")
        );
        assert!(body.contains("Forgotten password: finance"));
        assert!(body.contains(&format!(
            "action=\"/account-requests/{}/close\"",
            login_req.id
        )));

        let r = c
            .post_form(
                &format!("/account-requests/{}/close", login_req.id),
                &[("status", "done")],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/account-requests");
        let (_, body) = c.text("/account-requests").await;
        assert!(
            !body.contains("Login request: Priya Patel"),
            "{}: the closed request leaves the open list",
            t.db_name
        );
        assert!(
            body.contains("Forgotten password: finance"),
            "the other stays"
        );
        let open = t
            .app
            .db_for_tests()
            .list_account_requests(None, true)
            .await
            .unwrap();
        assert_eq!(
            open.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![forgotten.id]
        );
        let closed = t
            .app
            .db_for_tests()
            .account_request(login_req.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(closed.status, "done");
        assert_eq!(
            closed.handled_by,
            Some(
                t.app
                    .db_for_tests()
                    .user_by_username("officer")
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            )
        );
        let (_, body) = c.text("/account-requests?all=1").await;
        assert!(
            body.contains("Login request: Priya Patel"),
            "shown among closed requests"
        );

        // Declining the other.
        let r = c
            .post_form(
                &format!("/account-requests/{}/close", forgotten.id),
                &[("status", "declined")],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(
            t.app
                .db_for_tests()
                .account_request(forgotten.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            "declined"
        );
        let (_, body) = c.text("/account-requests").await;
        assert!(body.contains("There are no requests."));
        let closes = t
            .app
            .db_for_tests()
            .audit_search(&AuditQuery {
                actor: Some("officer".into()),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            closes.len(),
            2,
            "{}: each close is audited: {closes:?}",
            t.db_name
        );
    }
}

#[tokio::test]
async fn a_reset_password_must_be_changed_at_the_next_sign_in() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let finance = t.account("finance").clone();
        let user = t
            .app
            .db_for_tests()
            .user_by_username("finance")
            .await
            .unwrap()
            .unwrap();
        let admin = t.signed_in("admin").await;
        let (status, body) = admin.text(&format!("/admin/users/{}", user.id)).await;
        assert_eq!(status, 200);
        assert!(body.contains(&format!(
            "action=\"/admin/users/{}/reset-password\"",
            user.id
        )));
        let r = admin
            .post_form(&format!("/admin/users/{}/reset-password", user.id), &[])
            .await;
        assert_eq!(r.status(), 200, "{}", t.db_name);
        let body = r.text().await.unwrap();
        let marker = "data-testid=\"temporary-password\">";
        let i = body.find(marker).expect("the temporary password is shown") + marker.len();
        let temp = body[i..i + body[i..].find('<').unwrap()].to_string();
        assert!(temp.len() >= 12, "temporary password {temp:?}");
        assert_eq!(
            t.app
                .db_for_tests()
                .user_by_username("finance")
                .await
                .unwrap()
                .unwrap()
                .must_change_password,
            1
        );
        let reset = t
            .app
            .db_for_tests()
            .audit_search(&AuditQuery {
                record_type: Some("user".into()),
                record_id: Some(user.id.to_string()),
                action: Some("reset_password".into()),
                limit: 5,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(reset.len(), 1, "{}", t.db_name);
        assert_eq!(reset[0].actor, "admin");
        assert!(
            !reset[0].after_json.clone().unwrap().contains("argon2"),
            "no password hash in the audit trail"
        );

        // The old password no longer works.
        let c = t.client();
        assert_eq!(c.login("finance", &finance.password).await.status(), 422);
        // The temporary one does, and after the code the user must change it.
        let r = c.login("finance", &temp).await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/login/code");
        let r = c
            .post_form(
                "/login/code",
                &[("code", &current_code(&finance.totp_secret))],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/account/password", "{}", t.db_name);
        let r = c.get("/home").await;
        assert_eq!(
            r.status(),
            303,
            "no other page until the password is changed"
        );
        assert_eq!(location(&r), "/account/password");
        let r = c.get("/api/v1/me").await;
        assert_ne!(r.status(), 200, "nor the API");
        let (status, body) = c.text("/account/password").await;
        assert_eq!(status, 200);
        assert!(body.contains("You must choose a new password before you carry on."));

        // A common password is refused with a message.
        let r = c
            .post_form(
                "/account/password",
                &[
                    ("current_password", &temp),
                    ("new_password", "password123456"),
                    ("confirm_password", "password123456"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[(
                "new_password",
                "Choose a password that is harder to guess. This one is too common",
            )],
            "common password",
        );
        assert_eq!(
            t.app
                .db_for_tests()
                .user_by_username("finance")
                .await
                .unwrap()
                .unwrap()
                .must_change_password,
            1
        );
        // Mismatched confirmation is refused too.
        let r = c
            .post_form(
                "/account/password",
                &[
                    ("current_password", &temp),
                    ("new_password", "heron-lantern-quiet-77"),
                    ("confirm_password", "heron-lantern-quiet-78"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid_form(
            status,
            &body,
            &[("confirm_password", "The passwords do not match")],
            "mismatch",
        );

        // A good one leads home.
        let r = c
            .post_form(
                "/account/password",
                &[
                    ("current_password", &temp),
                    ("new_password", "heron-lantern-quiet-77"),
                    ("confirm_password", "heron-lantern-quiet-77"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", t.db_name);
        assert_eq!(location(&r), "/home");
        let (status, _) = c.text("/home").await;
        assert_eq!(status, 200);
        let after = t
            .app
            .db_for_tests()
            .user_by_username("finance")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.must_change_password, 0);

        // Neither the temporary nor the old password works any more; the new one does.
        let c2 = t.client();
        assert_eq!(c2.login("finance", &temp).await.status(), 422);
        let r = c2.login("finance", "heron-lantern-quiet-77").await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/login/code");
        let r = c2
            .post_form("/login/code", &[("code", &next_code(&finance.totp_secret))])
            .await;
        assert_eq!(
            location(&r),
            "/home",
            "{}: no further change asked for",
            t.db_name
        );
    }
}

#[tokio::test]
async fn a_login_request_reports_every_missing_field_at_once() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let visitor = t.client();
    let r = visitor
        .post_form(
            "/login/request",
            &[("full_name", ""), ("organisation", ""), ("email", "")],
        )
        .await;
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    // The GOV.UK error summary lists every problem on the first attempt, not one round at a time.
    assert_invalid_form(
        status,
        &body,
        &[
            ("full_name", "Enter your full name"),
            ("organisation", "Enter the name of your organisation"),
            ("email", "Enter your email address"),
        ],
        "empty login request",
    );
    assert!(t
        .app
        .db_for_tests()
        .list_account_requests(None, false)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_account_history_on_the_audit_screen_shows_a_throttle() {
    // Wrong passwords no longer lock an account (security review 4): the address that sends
    // them is throttled, and that is audited on the account.
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let finance = t
        .app
        .db_for_tests()
        .user_by_username("finance")
        .await
        .unwrap()
        .unwrap();
    let visitor = t.client();
    for _ in 0..5 {
        assert_eq!(
            visitor
                .login("finance", "not the password at all")
                .await
                .status(),
            422
        );
    }
    assert!(
        t.app
            .db_for_tests()
            .user_by_id(finance.id)
            .await
            .unwrap()
            .unwrap()
            .locked_until
            .is_none(),
        "not locked"
    );
    let admin = t.signed_in("admin").await;
    // The user page links to the account's history; the throttle must be in it.
    let (_, page) = admin.text(&format!("/admin/users/{}", finance.id)).await;
    let history = format!("/admin/audit?record_type=user&amp;record_id={}", finance.id);
    assert!(
        page.contains(&history),
        "the user page links to the account's history"
    );
    let (status, body) = admin
        .text(&format!(
            "/admin/audit?record_type=user&record_id={}",
            finance.id
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        body.contains(">throttle<"),
        "the administrator's audit screen shows the throttle of their user"
    );
    let (_, body) = admin.text("/admin/audit?action=throttle").await;
    assert!(
        body.contains(&format!(">User {}</a>", finance.id)),
        "searching by action finds the throttle"
    );
}
