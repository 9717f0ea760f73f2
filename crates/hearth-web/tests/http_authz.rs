//! Authorisation over HTTP: another organisation's (or authority's) record is "not found",
//! in HTML and API alike, for every record type; limited access; back-office routes;
//! read-only and non-administrator staff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

use hearth_store::{
    Actor, ContractFields, ContractFilter, PropertyFields, ProviderFields, ProviderFilter,
    ServiceFields, ServiceFilter,
};

// ---------------- helpers ----------------

/// The provider organisation a provider user acts for.
async fn provider_of(t: &TestApp, username: &str) -> i64 {
    let u = t
        .app
        .db_for_tests()
        .user_by_username(username)
        .await
        .unwrap()
        .unwrap();
    t.app
        .db_for_tests()
        .contact(u.contact_id.expect("a provider user has a contact"))
        .await
        .unwrap()
        .unwrap()
        .provider_id
}

async fn contact_of(t: &TestApp, username: &str) -> i64 {
    t.app
        .db_for_tests()
        .user_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .contact_id
        .unwrap()
}

async fn authority_of(t: &TestApp, username: &str) -> i64 {
    t.app
        .db_for_tests()
        .user_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .authority_id
        .unwrap()
}

async fn all_services(t: &TestApp) -> Vec<hearth_store::Service> {
    t.app
        .db_for_tests()
        .list_services(&ServiceFilter {
            // The demo authority's: the demo's second authority has its own.
            authority_id: Some(authority_of(t, "officer").await),
            per_page: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

async fn all_properties(t: &TestApp) -> Vec<hearth_store::Property> {
    t.app
        .db_for_tests()
        .list_properties(&ServiceFilter {
            // The demo authority's: the demo's second authority has its own.
            authority_id: Some(authority_of(t, "officer").await),
            per_page: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

async fn all_contracts(t: &TestApp) -> Vec<hearth_store::Contract> {
    t.app
        .db_for_tests()
        .list_contracts(&ContractFilter {
            // The demo authority's: the demo's second authority has its own.
            authority_id: Some(authority_of(t, "officer").await),
            per_page: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

async fn all_providers(t: &TestApp) -> Vec<hearth_store::Provider> {
    t.app
        .db_for_tests()
        .list_providers(&ProviderFilter {
            // The demo authority's: the demo's second authority has its own.
            authority_id: Some(authority_of(t, "officer").await),
            per_page: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

/// The id of the newest audit entry (0 when there is none).
async fn newest_audit_id(t: &TestApp) -> i64 {
    t.app
        .db_for_tests()
        .audit_search(&hearth_store::AuditQuery {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .first()
        .map_or(0, |e| e.id)
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// An HTML page that answers "Page not found" with 404.
async fn assert_page_not_found(c: &Client, path: &str, why: &str) {
    let r = c.get(path).await;
    assert_eq!(r.status(), 404, "{why}: GET {path}");
    assert!(
        content_type(&r).starts_with("text/html"),
        "{why}: GET {path} is HTML"
    );
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Page not found"),
        "{why}: GET {path} shows the not-found page"
    );
}

/// An API call that answers 404 with a problem document.
async fn assert_api_not_found(c: &Client, path: &str, why: &str) -> serde_json::Value {
    let r = c.get(path).await;
    assert_eq!(r.status(), 404, "{why}: GET {path}");
    let ct = content_type(&r);
    assert!(
        ct.starts_with("application/problem+json"),
        "{why}: GET {path} content type {ct}"
    );
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["status"], 404, "{why}: {v}");
    assert_eq!(v["code"], "not_found", "{why}: {v}");
    v
}

async fn api_json(c: &Client, path: &str) -> (u16, serde_json::Value) {
    let r = c.get(path).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("GET {path} did not answer JSON: {text}")),
    )
}

async fn assert_page_ok(c: &Client, path: &str, must_contain: &str, why: &str) {
    let (status, body) = c.text(path).await;
    assert_eq!(status, 200, "{why}: GET {path}");
    assert!(
        body.contains(&html_escape(must_contain)),
        "{why}: GET {path} should show {must_contain:?}"
    );
}

/// How the pages escape text (maud escapes &, <, > and ").
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn link(kind: &str, id: i64) -> String {
    format!("href=\"/{kind}/{id}\"")
}

/// The record types, each with its HTML and API paths.
const KINDS: &[&str] = &["providers", "services", "properties", "contracts"];

/// For each record type, one record of `own` provider and one of another provider.
struct Pairs {
    own: Vec<(&'static str, i64)>,
    other: Vec<(&'static str, i64)>,
}

async fn record_pairs(t: &TestApp, own_provider: i64) -> Pairs {
    let providers = all_providers(t).await;
    let services = all_services(t).await;
    let properties = all_properties(t).await;
    let contracts = all_contracts(t).await;
    let other_provider = providers
        .iter()
        .find(|p| p.id != own_provider)
        .expect("another provider")
        .id;
    let pick = |ids: Vec<(i64, i64)>, mine: bool| -> i64 {
        ids.into_iter()
            .find(|(_, p)| (*p == own_provider) == mine)
            .unwrap_or_else(|| panic!("no record for mine={mine}"))
            .0
    };
    let s_ids: Vec<(i64, i64)> = services.iter().map(|s| (s.id, s.provider_id)).collect();
    let p_ids: Vec<(i64, i64)> = properties.iter().map(|s| (s.id, s.provider_id)).collect();
    let c_ids: Vec<(i64, i64)> = contracts.iter().map(|s| (s.id, s.provider_id)).collect();
    Pairs {
        own: vec![
            ("providers", own_provider),
            ("services", pick(s_ids.clone(), true)),
            ("properties", pick(p_ids.clone(), true)),
            ("contracts", pick(c_ids.clone(), true)),
        ],
        other: vec![
            ("providers", other_provider),
            ("services", pick(s_ids, false)),
            ("properties", pick(p_ids, false)),
            ("contracts", pick(c_ids, false)),
        ],
    }
}

/// A second authority with its own provider, service, property and contract, written
/// straight to the database. The authority's name sorts after the demo authority's.
struct Elsewhere {
    authority_id: i64,
    provider_id: i64,
    service_id: i64,
    property_id: i64,
    contract_id: i64,
}

async fn second_authority(t: &TestApp) -> Elsewhere {
    let mut tx = t
        .app
        .db_for_tests()
        .begin_write(&Actor::system("test"))
        .await
        .unwrap();
    let a = tx
        .insert_authority("Westmoor District Council", "WMD")
        .await
        .unwrap();
    let p = tx
        .insert_provider(
            &ProviderFields {
                name: "Westmoor Housing Aid".into(),
                reference: "WMD-P1".into(),
                address: "1 High Street, Westmoor".into(),
                postcode: "WM1 1AA".into(),
                phone: String::new(),
                email: "info@westmoor.example".into(),
                limited_access: false,
            },
            &[a.id],
        )
        .await
        .unwrap();
    let s = tx
        .insert_service(
            a.id,
            &ServiceFields {
                provider_id: p.id,
                reference: "WMD/FS/0001".into(),
                name: "Westmoor Floating Support".into(),
                service_type: "floating_support".into(),
                term: "long".into(),
                client_group: "older_people".into(),
                contracted_units: 12,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let prop = tx
        .insert_property(
            a.id,
            &PropertyFields {
                provider_id: p.id,
                service_id: Some(s.id),
                address_line1: "2 Low Street".into(),
                town: "Westmoor".into(),
                postcode: "WM1 2BB".into(),
                uprn: Some("200000000001".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = tx
        .insert_contract(
            a.id,
            &ContractFields {
                provider_id: p.id,
                reference: "WMD/C/0001".into(),
                title: "Westmoor floating support".into(),
                units: 12,
                unit_rate_pence: 10_000,
                start_date: "2026-04-01".into(),
                end_date: "2029-03-31".into(),
                status: "steady_state".into(),
                service_ids: vec![s.id],
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Elsewhere {
        authority_id: a.id,
        provider_id: p.id,
        service_id: s.id,
        property_id: prop.id,
        contract_id: c.id,
    }
}

// ---------------- provider users and other organisations ----------------

#[tokio::test]
async fn another_organisations_record_is_not_found_in_html_and_api_for_every_record_type() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let own = provider_of(&t, "provider").await;
        let pairs = record_pairs(&t, own).await;
        let c = t.signed_in("provider").await;
        for (kind, id) in &pairs.other {
            let why = format!(
                "provider user, another organisation's {kind} on {}",
                t.db_name
            );
            assert_page_not_found(&c, &format!("/{kind}/{id}"), &why).await;
            assert_page_not_found(&c, &format!("/{kind}/{id}/edit"), &why).await;
            assert_api_not_found(&c, &format!("/api/v1/{kind}/{id}"), &why).await;
        }
        for (kind, id) in &pairs.own {
            let why = format!("provider user, own {kind} on {}", t.db_name);
            let (status, _) = c.text(&format!("/{kind}/{id}")).await;
            assert_eq!(status, 200, "{why}: GET /{kind}/{id}");
            let (status, v) = api_json(&c, &format!("/api/v1/{kind}/{id}")).await;
            assert_eq!(status, 200, "{why}: API");
            assert_eq!(v["id"], *id, "{why}: API answers the record asked for");
            // Editing is the commissioning team's: even their own record's edit page is not found.
            assert_page_not_found(&c, &format!("/{kind}/{id}/edit"), &why).await;
        }
        assert_eq!(pairs.own.len(), KINDS.len());
    }
}

#[tokio::test]
async fn a_missing_record_and_another_organisations_record_answer_alike() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let own = provider_of(&t, "provider").await;
    let pairs = record_pairs(&t, own).await;
    let c = t.signed_in("provider").await;
    for (kind, id) in &pairs.other {
        let mut hidden = assert_api_not_found(&c, &format!("/api/v1/{kind}/{id}"), "hidden").await;
        let mut missing =
            assert_api_not_found(&c, &format!("/api/v1/{kind}/987654"), "missing").await;
        hidden.as_object_mut().unwrap().remove("request_id");
        missing.as_object_mut().unwrap().remove("request_id");
        assert_eq!(
            hidden, missing,
            "{kind}: a hidden record must look exactly like a missing one"
        );
        let (s1, b1) = c.text(&format!("/{kind}/{id}")).await;
        let (s2, b2) = c.text(&format!("/{kind}/987654")).await;
        assert_eq!((s1, s2), (404, 404), "{kind}");
        let strip = |b: &str| {
            b.lines()
                .filter(|l| !l.contains("request"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            strip(&b1),
            strip(&b2),
            "{kind}: the HTML of a hidden record is the HTML of a missing one"
        );
    }
}

#[tokio::test]
async fn provider_users_cannot_change_records_even_their_own() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let own = provider_of(&t, "provider").await;
    let pairs = record_pairs(&t, own).await;
    let before = t.app.db_for_tests().provider(own).await.unwrap().unwrap();
    let audit_before = newest_audit_id(&t).await;
    let c = t.signed_in("provider").await;
    let token = c.csrf_from("/home").await;
    for (kind, id) in pairs.own.iter().chain(pairs.other.iter()) {
        let r = c
            .post_raw(
                &format!("/{kind}/{id}/edit"),
                &[("name", "Renamed by provider"), ("reference", "HACK1")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 404, "POST /{kind}/{id}/edit by a provider user");
    }
    for kind in KINDS {
        let r = c
            .post_raw(
                &format!("/{kind}/new"),
                &[("name", "Made by provider"), ("reference", "HACK2")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 404, "POST /{kind}/new by a provider user");
    }
    assert_eq!(
        t.app.db_for_tests().provider(own).await.unwrap().unwrap(),
        before,
        "nothing changed"
    );
    assert_eq!(
        newest_audit_id(&t).await,
        audit_before,
        "no write was audited because none happened"
    );
    assert!(all_providers(&t)
        .await
        .iter()
        .all(|p| p.reference != "HACK2"));
}

#[tokio::test]
async fn the_organisation_contact_sees_all_of_their_providers_services_and_nothing_else() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let own = provider_of(&t, "provider").await;
        let services = all_services(&t).await;
        let mine: Vec<i64> = services
            .iter()
            .filter(|s| s.provider_id == own)
            .map(|s| s.id)
            .collect();
        let others: Vec<i64> = services
            .iter()
            .filter(|s| s.provider_id != own)
            .map(|s| s.id)
            .collect();
        assert!(
            mine.len() >= 2 && !others.is_empty(),
            "demo data: provider 0 has several services"
        );
        let c = t.signed_in("provider").await;

        let (status, body) = c.text("/services").await;
        assert_eq!(status, 200);
        assert!(
            body.contains(&format!(">{} services<", mine.len())),
            "{}: the list counts {} services",
            t.db_name,
            mine.len()
        );
        for id in &mine {
            assert!(
                body.contains(&link("services", *id)),
                "own service {id} listed"
            );
            let (status, _) = c.text(&format!("/services/{id}")).await;
            assert_eq!(status, 200, "own service {id}");
        }
        for id in &others {
            assert!(
                !body.contains(&link("services", *id)),
                "another provider's service {id} not listed"
            );
        }

        let (status, v) = api_json(&c, "/api/v1/services").await;
        assert_eq!(status, 200);
        assert_eq!(v["total"], mine.len() as i64, "{}", t.db_name);
        let mut ids: Vec<i64> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        let mut expected = mine.clone();
        expected.sort_unstable();
        assert_eq!(ids, expected);

        // Providers and contracts lists are scoped too.
        let (status, v) = api_json(&c, "/api/v1/providers").await;
        assert_eq!(status, 200);
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["id"], own);
        let (status, v) = api_json(&c, "/api/v1/contracts").await;
        assert_eq!(status, 200);
        let own_contracts = all_contracts(&t)
            .await
            .iter()
            .filter(|c| c.provider_id == own)
            .count();
        assert_eq!(v["total"], own_contracts as i64);
        assert!(v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["provider_id"] == own));
        let (status, body) = c.text("/properties").await;
        assert_eq!(status, 200);
        for p in all_properties(&t).await {
            assert_eq!(
                body.contains(&link("properties", p.id)),
                p.provider_id == own,
                "property {} listed iff it is theirs",
                p.id
            );
        }
    }
}

#[tokio::test]
async fn a_limited_access_user_sees_exactly_their_assigned_service() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let provider = provider_of(&t, "limited").await;
        assert_ne!(provider, provider_of(&t, "provider").await);
        assert_eq!(
            t.app
                .db_for_tests()
                .provider(provider)
                .await
                .unwrap()
                .unwrap()
                .limited_access,
            1,
            "demo: provider 1 has limited access"
        );
        let assigned = t
            .app
            .db_for_tests()
            .assigned_service_ids(contact_of(&t, "limited").await)
            .await
            .unwrap();
        assert_eq!(
            assigned.len(),
            1,
            "demo: the service manager is assigned one service"
        );
        let assigned = assigned[0];
        let same_provider: Vec<i64> = all_services(&t)
            .await
            .iter()
            .filter(|s| s.provider_id == provider && s.id != assigned)
            .map(|s| s.id)
            .collect();
        assert!(
            !same_provider.is_empty(),
            "demo: provider 1 has other services"
        );

        // A property of another service of the same provider, and one with no service.
        let mut tx = t
            .app
            .db_for_tests()
            .begin_write(&Actor::system("test"))
            .await
            .unwrap();
        let authority = t
            .app
            .db_for_tests()
            .service(assigned)
            .await
            .unwrap()
            .unwrap()
            .authority_id;
        let other_prop = tx
            .insert_property(
                authority,
                &PropertyFields {
                    provider_id: provider,
                    service_id: Some(same_provider[0]),
                    address_line1: "9 Hidden Row".into(),
                    postcode: "BK1 1AA".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let loose_prop = tx
            .insert_property(
                authority,
                &PropertyFields {
                    provider_id: provider,
                    service_id: None,
                    address_line1: "10 Loose Lane".into(),
                    postcode: "BK1 1AB".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let c = t.signed_in("limited").await;
        let (status, body) = c.text("/services").await;
        assert_eq!(status, 200);
        assert!(
            body.contains(">1 service<"),
            "{}: exactly one service listed",
            t.db_name
        );
        assert!(body.contains(&link("services", assigned)));
        for id in &same_provider {
            assert!(
                !body.contains(&link("services", *id)),
                "service {id} outside the assignment is not listed"
            );
        }
        let (status, v) = api_json(&c, "/api/v1/services").await;
        assert_eq!(status, 200);
        assert_eq!(v["total"], 1, "{}", t.db_name);
        assert_eq!(v["items"].as_array().unwrap().len(), 1);
        assert_eq!(v["items"][0]["id"], assigned);

        assert_page_ok(
            &c,
            &format!("/services/{assigned}"),
            "Client schedules",
            "assigned service",
        )
        .await;
        let (status, v) = api_json(&c, &format!("/api/v1/services/{assigned}")).await;
        assert_eq!(status, 200);
        assert_eq!(v["id"], assigned);
        for id in &same_provider {
            let why = format!(
                "limited user, service {id} of their own provider outside their assignment"
            );
            assert_page_not_found(&c, &format!("/services/{id}"), &why).await;
            assert_api_not_found(&c, &format!("/api/v1/services/{id}"), &why).await;
        }

        // Properties follow the services.
        let (status, body) = c.text("/properties").await;
        assert_eq!(status, 200);
        for p in all_properties(&t).await {
            let visible = p.service_id == Some(assigned);
            assert_eq!(
                body.contains(&link("properties", p.id)),
                visible,
                "property {} listed iff on the assigned service",
                p.id
            );
        }
        for id in [other_prop.id, loose_prop.id] {
            assert_page_not_found(
                &c,
                &format!("/properties/{id}"),
                "limited user, property outside the assignment",
            )
            .await;
            assert_api_not_found(
                &c,
                &format!("/api/v1/properties/{id}"),
                "limited user, property outside the assignment",
            )
            .await;
        }

        // Their organisation's page lists only the service they may see.
        let (status, body) = c.text(&format!("/providers/{provider}")).await;
        assert_eq!(status, 200);
        assert!(body.contains(&link("services", assigned)));
        assert!(same_provider
            .iter()
            .all(|id| !body.contains(&link("services", *id))));

        // A contract of their provider shows only the services they may see.
        let covering = all_contracts(&t)
            .await
            .into_iter()
            .find(|k| k.provider_id == provider)
            .expect("demo: provider 1 has a contract");
        let (status, v) = api_json(&c, &format!("/api/v1/contracts/{}", covering.id)).await;
        if status == 200 {
            for sid in v["service_ids"].as_array().unwrap() {
                assert_eq!(
                    sid.as_i64().unwrap(),
                    assigned,
                    "a contract must not reveal services outside the assignment"
                );
            }
        }
    }
}

// ---------------- back office ----------------

#[tokio::test]
async fn back_office_routes_are_not_found_for_provider_users() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    for user in ["provider", "limited"] {
        let c = t.signed_in(user).await;
        for path in [
            "/providers",
            "/providers/new",
            "/services/new",
            "/properties/new",
            "/contracts/new",
            "/admin/users",
            "/admin/users/new",
            "/admin/users/1",
            "/admin/audit",
            "/admin/settings",
            "/account-requests",
        ] {
            assert_page_not_found(&c, path, user).await;
        }
        let token = c.csrf_from("/home").await;
        for path in [
            "/account-requests/1/close",
            "/admin/users/1/unlock",
            "/admin/settings",
            "/admin/users/new",
        ] {
            let r = c.post_raw(path, &[("status", "done")], Some(&token)).await;
            assert_eq!(r.status(), 404, "{user} POST {path}");
        }
    }
}

#[tokio::test]
async fn read_only_staff_may_look_but_not_create() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let c = t.signed_in("board").await;
        assert_eq!(
            c.get("/providers").await.status(),
            200,
            "board members read the back office"
        );
        let (status, body) = c.text("/providers/new").await;
        assert_eq!(status, 403, "{}", t.db_name);
        assert!(body.contains("You cannot do this"));
        let before = all_providers(&t).await.len();
        let audit_before = newest_audit_id(&t).await;
        let token = c.csrf_from("/providers").await;
        let r = c
            .post_raw(
                "/providers/new",
                &[
                    ("name", "Board Made Ltd"),
                    ("reference", "BRD1"),
                    ("postcode", "BK1 1AA"),
                ],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 403, "{}", t.db_name);
        assert_eq!(all_providers(&t).await.len(), before, "nothing was created");
        assert!(all_providers(&t)
            .await
            .iter()
            .all(|p| p.reference != "BRD1"));
        assert_eq!(
            newest_audit_id(&t).await,
            audit_before,
            "nothing was audited"
        );
        // Nor edit.
        let id = all_providers(&t).await[0].id;
        assert_eq!(c.get(&format!("/providers/{id}/edit")).await.status(), 403);
        let r = c
            .post_raw(
                &format!("/providers/{id}/edit"),
                &[("name", "Renamed"), ("reference", "R1")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 403);
        assert_ne!(
            t.app
                .db_for_tests()
                .provider(id)
                .await
                .unwrap()
                .unwrap()
                .name,
            "Renamed"
        );
        // And the "Add a provider" button is not offered.
        let (_, body) = c.text("/providers").await;
        assert!(!body.contains("href=\"/providers/new\""));
    }
}

#[tokio::test]
async fn only_administrators_manage_users_and_see_the_audit_trail() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    for user in ["officer", "contracts", "finance", "board"] {
        let c = t.signed_in(user).await;
        for path in [
            "/admin/users",
            "/admin/users/new",
            "/admin/audit",
            "/admin/settings",
        ] {
            let (status, body) = c.text(path).await;
            assert_eq!(status, 403, "{user} GET {path}");
            assert!(body.contains("You cannot do this"), "{user} GET {path}");
        }
        let token = c.csrf_from("/home").await;
        let target = t
            .app
            .db_for_tests()
            .user_by_username("finance")
            .await
            .unwrap()
            .unwrap()
            .id;
        let r = c
            .post_raw(
                &format!("/admin/users/{target}/reset-password"),
                &[],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 403, "{user} may not reset passwords");
    }
    let admin = t.signed_in("admin").await;
    assert_eq!(admin.get("/admin/users").await.status(), 200);
    assert_eq!(admin.get("/admin/audit").await.status(), 200);
}

// ---------------- several authorities ----------------

#[tokio::test]
async fn staff_do_not_see_another_authoritys_records() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let e = second_authority(&t).await;
        // A provider of the demo authority that also works in the second one, with a service there.
        let shared = provider_of(&t, "provider").await;
        let mut tx = t
            .app
            .db_for_tests()
            .begin_write(&Actor::system("test"))
            .await
            .unwrap();
        tx.add_provider_authority(shared, e.authority_id)
            .await
            .unwrap();
        let shared_service = tx
            .insert_service(
                e.authority_id,
                &ServiceFields {
                    provider_id: shared,
                    reference: "WMD/SH/0002".into(),
                    name: "Westmoor Sheltered Scheme".into(),
                    service_type: "sheltered".into(),
                    term: "long".into(),
                    client_group: "older_people".into(),
                    contracted_units: 30,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_ne!(authority_of(&t, "officer").await, e.authority_id);

        let c = t.signed_in("officer").await;
        for (kind, id) in [
            ("providers", e.provider_id),
            ("services", e.service_id),
            ("properties", e.property_id),
            ("contracts", e.contract_id),
            ("services", shared_service.id),
        ] {
            let why = format!("officer, another authority's {kind} on {}", t.db_name);
            assert_page_not_found(&c, &format!("/{kind}/{id}"), &why).await;
            assert_page_not_found(&c, &format!("/{kind}/{id}/edit"), &why).await;
            assert_api_not_found(&c, &format!("/api/v1/{kind}/{id}"), &why).await;
        }
        // The shared provider itself is theirs to see.
        assert_eq!(c.get(&format!("/providers/{shared}")).await.status(), 200);
        let (_, body) = c.text(&format!("/providers/{shared}")).await;
        assert!(
            !body.contains(&link("services", shared_service.id)),
            "the other authority's service is not listed on the provider page"
        );

        // Lists leave them out.
        let (_, v) = api_json(&c, "/api/v1/providers?q=westmoor").await;
        assert_eq!(v["total"], 0, "{}", t.db_name);
        let (_, v) = api_json(&c, "/api/v1/services?q=westmoor").await;
        assert_eq!(v["total"], 0, "{}", t.db_name);
        let (_, v) = api_json(&c, "/api/v1/contracts?q=WMD").await;
        assert_eq!(v["total"], 0, "{}", t.db_name);
        let (_, body) = c.text("/properties?q=Low%20Street").await;
        assert!(!body.contains(&link("properties", e.property_id)));

        // Nor can they write to them.
        let token = c.csrf_from("/providers").await;
        let r = c
            .post_raw(
                &format!("/providers/{}/edit", e.provider_id),
                &[("name", "Taken over"), ("reference", "WMD-P1")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 404);
        assert_eq!(
            t.app
                .db_for_tests()
                .provider(e.provider_id)
                .await
                .unwrap()
                .unwrap()
                .name,
            "Westmoor Housing Aid"
        );
        // Nor attach a new service or contract to the other authority's provider.
        let r = c
            .post_raw(
                "/services/new",
                &[
                    ("provider_id", &e.provider_id.to_string()),
                    ("reference", "SNEAK/1"),
                    ("name", "Sneaky"),
                    ("service_type", "floating_support"),
                    ("term", "long"),
                    ("client_group", "older_people"),
                    ("contracted_units", "1"),
                ],
                Some(&token),
            )
            .await;
        assert_eq!(
            r.status(),
            422,
            "a provider outside the authority cannot be chosen"
        );
        assert!(all_services(&t)
            .await
            .iter()
            .all(|s| s.reference != "SNEAK/1"));
    }
}

#[tokio::test]
async fn a_provider_user_switches_between_authorities_without_signing_in_again() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let e = second_authority(&t).await;
        let own = provider_of(&t, "provider").await;
        let home_authority = t
            .app
            .db_for_tests()
            .service(
                all_services(&t)
                    .await
                    .iter()
                    .find(|s| s.provider_id == own)
                    .unwrap()
                    .id,
            )
            .await
            .unwrap()
            .unwrap()
            .authority_id;
        let mut tx = t
            .app
            .db_for_tests()
            .begin_write(&Actor::system("test"))
            .await
            .unwrap();
        tx.add_provider_authority(own, e.authority_id)
            .await
            .unwrap();
        let there = tx
            .insert_service(
                e.authority_id,
                &ServiceFields {
                    provider_id: own,
                    reference: "WMD/SH/0003".into(),
                    name: "Westmoor Court".into(),
                    service_type: "sheltered".into(),
                    term: "long".into(),
                    client_group: "older_people".into(),
                    contracted_units: 20,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let here: Vec<i64> = all_services(&t)
            .await
            .iter()
            .filter(|s| s.provider_id == own && s.authority_id == home_authority)
            .map(|s| s.id)
            .collect();

        let c = t.signed_in("provider").await;
        let (_, me) = api_json(&c, "/api/v1/me").await;
        assert_eq!(
            me["authority_id"], home_authority,
            "{}: starts in the first authority by name",
            t.db_name
        );
        let (_, v) = api_json(&c, "/api/v1/services").await;
        assert_eq!(v["total"], here.len() as i64);
        assert_page_not_found(
            &c,
            &format!("/services/{}", there.id),
            "service of the other authority before switching",
        )
        .await;
        let (_, body) = c.text("/account").await;
        assert!(
            body.contains("Westmoor District Council"),
            "the account page offers the switch"
        );

        let r = c
            .post_form(
                "/switch-authority",
                &[("authority_id", &e.authority_id.to_string())],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/home");
        let (_, me) = api_json(&c, "/api/v1/me").await;
        assert_eq!(me["authority_id"], e.authority_id, "{}", t.db_name);
        let (_, v) = api_json(&c, "/api/v1/services").await;
        assert_eq!(
            v["total"], 1,
            "{}: only the service in the second authority",
            t.db_name
        );
        assert_eq!(v["items"][0]["id"], there.id);
        assert_eq!(
            c.get(&format!("/services/{}", there.id)).await.status(),
            200
        );
        assert_page_not_found(
            &c,
            &format!("/services/{}", here[0]),
            "service of the first authority after switching",
        )
        .await;
        // Another provider of the second authority stays hidden.
        assert_api_not_found(
            &c,
            &format!("/api/v1/providers/{}", e.provider_id),
            "another provider in the second authority",
        )
        .await;
        assert_api_not_found(
            &c,
            &format!("/api/v1/services/{}", e.service_id),
            "another provider's service in the second authority",
        )
        .await;

        // An authority the provider does not work with cannot be chosen.
        let mut tx = t
            .app
            .db_for_tests()
            .begin_write(&Actor::system("test"))
            .await
            .unwrap();
        let stranger = tx
            .insert_authority("Zeal Unitary Council", "ZUC")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let r = c
            .post_form(
                "/switch-authority",
                &[("authority_id", &stranger.id.to_string())],
            )
            .await;
        assert_eq!(r.status(), 404);
        let (_, me) = api_json(&c, "/api/v1/me").await;
        assert_eq!(me["authority_id"], e.authority_id, "unchanged");
    }
}

#[tokio::test]
async fn users_and_requests_of_another_authority_are_not_found() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let e = second_authority(&t).await;
        let west = t
            .app
            .create_user(
                &hearth_app::Principal::system("test"),
                &hearth_app::admin::UserInput {
                    username: "westadmin".into(),
                    display_name: "Wes Westmoor".into(),
                    email: "wes@westmoor.example".into(),
                    role: "administrator".into(),
                    authority_id: Some(e.authority_id),
                    contact_id: None,
                },
                "quiet-heron-lantern-42",
                None,
                false,
            )
            .await
            .unwrap();
        let blank = |_kind: &str| hearth_app::accounts::HelpRequest::default();
        let theirs = t
            .app
            .request_account_help(
                hearth_domain::AccountHelpKind::ForgottenPassword,
                hearth_app::accounts::HelpRequest {
                    username: "westadmin".into(),
                    ..blank("forgotten_password")
                },
                "192.0.2.1",
            )
            .await
            .unwrap();
        assert_eq!(theirs.authority_id, Some(e.authority_id));
        let ours = t
            .app
            .request_account_help(
                hearth_domain::AccountHelpKind::ForgottenPassword,
                hearth_app::accounts::HelpRequest {
                    username: "contracts".into(),
                    ..blank("forgotten_password")
                },
                "192.0.2.1",
            )
            .await
            .unwrap();

        let admin = t.signed_in("admin").await;
        let (_, body) = admin.text("/admin/users").await;
        assert!(
            body.contains(">officer</a>"),
            "the admin's own staff are listed"
        );
        assert!(
            !body.contains("westadmin"),
            "{}: another authority's user is not listed",
            t.db_name
        );
        assert_page_not_found(
            &admin,
            &format!("/admin/users/{}", west.id),
            "another authority's user",
        )
        .await;
        for action in ["reset-password", "disable", "unlock", "reset-totp"] {
            let r = admin
                .post_form(&format!("/admin/users/{}/{action}", west.id), &[])
                .await;
            assert_eq!(
                r.status(),
                404,
                "{}: admin {action} on another authority's user",
                t.db_name
            );
        }
        let after = t
            .app
            .db_for_tests()
            .user_by_id(west.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (after.must_change_password, after.disabled),
            (0, 0),
            "untouched"
        );
        assert_eq!(after.password_hash, west.password_hash);

        let officer = t.signed_in("officer").await;
        let (_, body) = officer.text("/account-requests").await;
        assert!(body.contains("Forgotten password: contracts"));
        assert!(
            !body.contains("westadmin"),
            "{}: another authority's request is not in the queue",
            t.db_name
        );
        let r = officer
            .post_form(
                &format!("/account-requests/{}/close", theirs.id),
                &[("status", "done")],
            )
            .await;
        assert_eq!(r.status(), 404);
        assert_eq!(
            t.app
                .db_for_tests()
                .account_request(theirs.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            "open"
        );

        // A read-only member sees the queue but may not close anything.
        let board = t.signed_in("board").await;
        let (status, body) = board.text("/account-requests").await;
        assert_eq!(status, 200);
        assert!(body.contains("Forgotten password: contracts"));
        assert!(
            !body.contains(&format!("action=\"/account-requests/{}/close\"", ours.id)),
            "no close buttons for read-only"
        );
        let token = board.csrf_from("/account-requests").await;
        let r = board
            .post_raw(
                &format!("/account-requests/{}/close", ours.id),
                &[("status", "done")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 403);
        assert_eq!(
            t.app
                .db_for_tests()
                .account_request(ours.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            "open"
        );
    }
}
