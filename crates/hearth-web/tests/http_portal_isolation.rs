//! Every portal route with an id refuses another organisation's records with "not found"
//! (HTML and API alike), and under limited access refuses the services outside the user's
//! assignments; refused writes change nothing (issue 3, "Bad input and safety").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

use hearth_app::actions::ActionInput;
use hearth_app::contacts::ContactInput;
use hearth_app::requests::NewScheduleInput;
use hearth_app::Principal;
use hearth_store::{
    Actor, ContractFilter, NewRequest, RequestFilter, ScheduleSort, Service, ServiceDetails,
    ServiceFilter,
};
use serde_json::json;

// ---------------- helpers ----------------

fn authority_id(p: &Principal) -> i64 {
    p.authority_id()
}

async fn services_of_provider(t: &TestApp, provider: i64) -> Vec<Service> {
    t.app
        .db_for_tests()
        .list_services(&ServiceFilter {
            provider_id: Some(provider),
            per_page: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

/// The service's details as the API takes them, with a change.
async fn details_change(t: &TestApp, service_id: i64) -> serde_json::Value {
    let s = t
        .app
        .db_for_tests()
        .service(service_id)
        .await
        .unwrap()
        .unwrap();
    let mut v = serde_json::to_value(ServiceDetails::of(&s)).unwrap();
    v["public_name"] = json!("Taken over");
    v["languages"] = json!("Klingon");
    v["comment"] = json!("Not ours to change");
    v
}

async fn a_schedule(t: &TestApp, service_id: i64) -> i64 {
    let today = t.app.today().to_string();
    let page = t
        .app
        .db_for_tests()
        .service_schedules(service_id, &today, false, ScheduleSort::Name, 1, 1)
        .await
        .unwrap();
    page.items
        .first()
        .unwrap_or_else(|| panic!("demo data: service {service_id} has a current schedule"))
        .id
}

async fn contracts_of(t: &TestApp, provider: i64) -> Vec<(i64, Vec<i64>)> {
    let list = t
        .app
        .db_for_tests()
        .list_contracts(&ContractFilter {
            provider_id: Some(provider),
            per_page: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    let mut out = Vec::new();
    for c in list {
        out.push((
            c.id,
            t.app
                .db_for_tests()
                .contract_service_ids(c.id)
                .await
                .unwrap(),
        ));
    }
    out
}

fn client(first: &str, last: &str) -> NewScheduleInput {
    NewScheduleInput {
        first_name: first.into(),
        last_name: last.into(),
        ni_number: "AB123456C".into(),
        hb_number: "12345678".into(),
        start_date: "2/11/2026".into(),
        units_per_week: "3".into(),
        ..Default::default()
    }
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The records of one organisation (or of one service scope) that the routes name.
struct Records {
    service: i64,
    schedule: i64,
    request: i64,
    contract: i64,
    document: i64,
    /// A well-formed change of the service's details (the API's JSON shape).
    details_change: serde_json::Value,
    /// Organisation-wide records (absent for "outside the limited user's services").
    org: Option<OrgRecords>,
}

struct OrgRecords {
    contact_request: i64,
    contact: i64,
    action: i64,
}

/// A route call: GET page, POST form, GET API, or an API write.
enum Call {
    Page(String),
    Form(String, Vec<(&'static str, String)>),
    Api(String),
    ApiWrite(reqwest::Method, String, serde_json::Value),
}

impl Call {
    fn label(&self) -> String {
        match self {
            Call::Page(p) => format!("GET {p}"),
            Call::Form(p, _) => format!("POST {p}"),
            Call::Api(p) => format!("GET {p}"),
            Call::ApiWrite(m, p, _) => format!("{m} {p}"),
        }
    }
}

/// Every portal route with an id, for the given records.
fn calls(r: &Records, password: &str) -> Vec<Call> {
    let s = r.service;
    let mut v = vec![
        Call::Page(format!("/services/{s}/schedules/new")),
        Call::Form(
            format!("/services/{s}/schedules/new"),
            vec![
                ("first_name", "Ivo".into()),
                ("last_name", "Trespass".into()),
                ("ni_number", "AB123456C".into()),
                ("hb_number", "12345678".into()),
                ("start_date", "2/11/2026".into()),
                ("units_per_week", "2".into()),
            ],
        ),
        Call::Form(
            format!("/services/{s}/schedules/new"),
            vec![("copy_property", "yes".into()), ("property_id", "1".into())],
        ),
        Call::Page(format!("/schedules/{}", r.schedule)),
        Call::Form(
            format!("/schedules/{}", r.schedule),
            vec![
                ("units_per_week", "9".into()),
                ("end_date", "30/11/2026".into()),
                ("end_reason", "deceased".into()),
            ],
        ),
        Call::Page(format!("/services/{s}/details")),
        Call::Form(
            format!("/services/{s}/details"),
            vec![
                ("public_name", "Taken over".into()),
                ("languages", "Klingon".into()),
            ],
        ),
        Call::Form(
            format!("/services/{s}/places"),
            vec![("available_places", "77".into())],
        ),
        Call::Form(
            format!("/services/{s}/places"),
            vec![("available_places", "".into())],
        ),
        Call::Page(format!("/requests/{}", r.request)),
        Call::Page(format!("/documents/{}", r.document)),
        Call::Page(format!("/documents/{}/file", r.document)),
        Call::Form(
            format!("/documents/{}/comments", r.document),
            vec![("provider_comments", "Not ours".into())],
        ),
        Call::Form(
            format!("/documents/{}/sign", r.document),
            vec![("password", password.into())],
        ),
        Call::Api(format!("/api/v1/services/{s}/schedules")),
        Call::Api(format!("/api/v1/services/{s}")),
        Call::Api(format!("/api/v1/requests/{}", r.request)),
        Call::Api(format!("/api/v1/contracts/{}/documents", r.contract)),
        Call::ApiWrite(
            reqwest::Method::POST,
            format!("/api/v1/services/{s}/schedule-requests"),
            json!({"first_name": "Ivo", "last_name": "Trespass", "ni_number": "AB123456C", "hb_number": "12345678", "start_date": "2/11/2026", "units_per_week": "2"}),
        ),
        Call::ApiWrite(
            reqwest::Method::POST,
            format!("/api/v1/schedules/{}/update-requests", r.schedule),
            json!({"units_per_week": "9"}),
        ),
        Call::ApiWrite(
            reqwest::Method::PUT,
            format!("/api/v1/services/{s}/available-places"),
            json!({"available_places": 77}),
        ),
        Call::ApiWrite(
            reqwest::Method::POST,
            format!("/api/v1/services/{s}/detail-requests"),
            r.details_change.clone(),
        ),
    ];
    if let Some(o) = &r.org {
        let c = o.contact;
        v.extend([
            Call::Page(format!("/requests/{}", o.contact_request)),
            Call::Api(format!("/api/v1/requests/{}", o.contact_request)),
            Call::Page(format!("/contacts/{c}")),
            Call::Form(
                format!("/contacts/{c}"),
                vec![
                    ("first_name", "Renamed".into()),
                    ("last_name", "Contact".into()),
                    ("position_type", "other".into()),
                ],
            ),
            Call::Form(format!("/contacts/{c}/deactivate"), vec![]),
            Call::Form(format!("/contacts/{c}/login"), vec![]),
            Call::Form(
                format!("/contacts/{c}/assignments"),
                vec![
                    ("assignment", "portal_manager".into()),
                    ("scope", "org".into()),
                ],
            ),
            Call::Form(
                format!("/actions/{}/done", o.action),
                vec![("note", "Done by someone else".into())],
            ),
            Call::ApiWrite(
                reqwest::Method::POST,
                format!("/api/v1/actions/{}/done", o.action),
                json!({"note": "Done by someone else"}),
            ),
        ]);
    }
    v
}

/// Asserts that `c` is told "not found" by every call.
async fn assert_all_not_found(c: &Client, calls: &[Call], why: &str) {
    let csrf = c.csrf_from("/home").await;
    for call in calls {
        let label = call.label();
        match call {
            Call::Page(p) => {
                let r = c.get(p).await;
                assert_eq!(r.status(), 404, "{why}: {label}");
                assert!(
                    content_type(&r).starts_with("text/html"),
                    "{why}: {label} answers an HTML page"
                );
                assert!(
                    r.text().await.unwrap().contains("Page not found"),
                    "{why}: {label} shows the not-found page"
                );
            }
            Call::Form(p, fields) => {
                let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let r = c.post_raw(p, &f, Some(&csrf)).await;
                assert_eq!(r.status(), 404, "{why}: {label}");
                assert!(
                    r.text().await.unwrap().contains("Page not found"),
                    "{why}: {label} shows the not-found page"
                );
            }
            Call::Api(p) => {
                let r = c.get(p).await;
                assert_eq!(r.status(), 404, "{why}: {label}");
                assert!(
                    content_type(&r).starts_with("application/problem+json"),
                    "{why}: {label} is a problem document"
                );
                let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
                assert_eq!(v["code"], "not_found", "{why}: {label}: {v}");
            }
            Call::ApiWrite(m, p, body) => {
                let r = c
                    .http
                    .request(m.clone(), format!("{}{p}", c.base))
                    .header("content-type", "application/json")
                    .header("x-csrf-token", &csrf)
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 404, "{why}: {label}");
                assert!(
                    content_type(&r).starts_with("application/problem+json"),
                    "{why}: {label} is a problem document"
                );
            }
        }
    }
}

/// The owner reaches every page and API record of the set (so the refusals mean something).
async fn assert_owner_sees(c: &Client, calls: &[Call], why: &str) {
    for call in calls {
        match call {
            Call::Page(p) | Call::Api(p) => {
                let r = c.get(p).await;
                assert_eq!(r.status(), 200, "{why}: GET {p}");
            }
            Call::Form(..) | Call::ApiWrite(..) => {}
        }
    }
}

/// Everything the refused writes could have touched.
#[derive(Debug, PartialEq)]
struct Snapshot {
    requests: Vec<(i64, String)>,
    services: Vec<(i64, Option<i64>, String, String)>,
    schedules: Vec<(i64, i64, Option<String>)>,
    documents: Vec<(i64, String, String, usize)>,
    contacts: Vec<(i64, String, i64, usize)>,
    actions: Vec<(i64, String, String)>,
    users: usize,
}

async fn snapshot(
    t: &TestApp,
    services: &[i64],
    schedules: &[i64],
    documents: &[i64],
    providers: &[i64],
    authority: i64,
) -> Snapshot {
    let requests = t
        .app
        .db_for_tests()
        .list_requests(&RequestFilter {
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect();
    let mut s = Vec::new();
    for id in services {
        let x = t.app.db_for_tests().service(*id).await.unwrap().unwrap();
        s.push((x.id, x.available_places, x.public_name, x.languages));
    }
    let mut sc = Vec::new();
    for id in schedules {
        let x = t
            .app
            .db_for_tests()
            .schedule_detail(*id)
            .await
            .unwrap()
            .unwrap();
        sc.push((x.id, x.units_per_week, x.end_date));
    }
    let mut d = Vec::new();
    for id in documents {
        let x = t
            .app
            .db_for_tests()
            .contract_document(*id)
            .await
            .unwrap()
            .unwrap();
        d.push((
            x.id,
            x.progress,
            x.provider_comments,
            t.app
                .db_for_tests()
                .document_signatures(*id)
                .await
                .unwrap()
                .len(),
        ));
    }
    let mut c = Vec::new();
    let mut a = Vec::new();
    for p in providers {
        for x in t.app.db_for_tests().provider_contacts(*p).await.unwrap() {
            let held = t
                .app
                .db_for_tests()
                .contact_assignments(x.id)
                .await
                .unwrap()
                .len();
            c.push((x.id, x.first_name, x.active, held));
        }
        for x in t
            .app
            .db_for_tests()
            .list_actions(authority, Some(*p), false)
            .await
            .unwrap()
        {
            a.push((x.id, x.status, x.done_note));
        }
    }
    Snapshot {
        requests,
        services: s,
        schedules: sc,
        documents: d,
        contacts: c,
        actions: a,
        users: t.app.db_for_tests().list_users(None).await.unwrap().len(),
    }
}

/// The demo world with records on both sides: provider 0 (the "provider" account's
/// organisation), provider 1 within the "limited" account's service, and provider 1 outside it.
struct World {
    p0: Records,
    p1: Records,
    p1_outside: Records,
    providers: Vec<i64>,
    authority: i64,
}

impl World {
    fn services(&self) -> Vec<i64> {
        vec![self.p0.service, self.p1.service, self.p1_outside.service]
    }
    fn schedules(&self) -> Vec<i64> {
        vec![self.p0.schedule, self.p1.schedule, self.p1_outside.schedule]
    }
    fn documents(&self) -> Vec<i64> {
        vec![self.p0.document, self.p1.document, self.p1_outside.document]
    }
}

async fn world(t: &TestApp) -> World {
    let officer = principal(t, "officer").await;
    let provider = principal(t, "provider").await;
    let limited = principal(t, "limited").await;
    let (p0, p1) = (provider_id(&provider), provider_id(&limited));
    assert_ne!(p0, p1, "demo data: two organisations");
    let Principal::Provider {
        service_scope: Some(scope),
        ..
    } = &limited
    else {
        panic!("demo data: limited access")
    };
    assert_eq!(
        scope.len(),
        1,
        "demo data: the limited user has one service"
    );
    let s1 = scope[0];

    // Provider 0.
    let c0s = contracts_of(t, p0).await;
    let (k0, k0_services) = c0s
        .first()
        .cloned()
        .expect("demo data: provider 0 has a contract");
    let s0 = k0_services[0];
    let r0 = t
        .app
        .request_new_schedule(&provider, s0, &client("Ada", "Ownwork"))
        .await
        .unwrap()
        .id;
    let d0 = t
        .app
        .add_document(&officer, k0, "Provider 0 specification", None)
        .await
        .unwrap()
        .id;
    let contacts0 = t.app.db_for_tests().provider_contacts(p0).await.unwrap();
    let c0 = contacts0.iter().find(|c| c.active != 0).unwrap().id;
    let rc0 = t
        .app
        .request_contact_add(
            &provider,
            &ContactInput {
                first_name: "Pia".into(),
                last_name: "Zero".into(),
                position_type: "other".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let a0 = t
        .app
        .create_action(
            &officer,
            p0,
            &ActionInput {
                title: "Provider 0 task".into(),
                due_date: "1/1/2030".into(),
                priority: "low".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;

    // Provider 1, the limited user's service.
    let c1s = contracts_of(t, p1).await;
    let (k1, _) = c1s
        .iter()
        .find(|(_, s)| s.contains(&s1))
        .cloned()
        .expect("demo data: a contract covers the limited user's service");
    let r1 = t
        .app
        .request_new_schedule(&limited, s1, &client("Bea", "Onework"))
        .await
        .unwrap()
        .id;
    let d1 = t
        .app
        .add_document(&officer, k1, "Provider 1 specification", None)
        .await
        .unwrap()
        .id;
    let contacts1 = t.app.db_for_tests().provider_contacts(p1).await.unwrap();
    let c1 = contacts1.iter().find(|c| c.active != 0).unwrap().id;
    let rc1 = t
        .app
        .request_contact_add(
            &limited,
            &ContactInput {
                first_name: "Quin".into(),
                last_name: "One".into(),
                position_type: "other".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let a1 = t
        .app
        .create_action(
            &officer,
            p1,
            &ActionInput {
                title: "Provider 1 task".into(),
                due_date: "1/1/2030".into(),
                priority: "low".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;

    // Provider 1, outside the limited user's service: a contract not covering it.
    let (k1x, k1x_services) = c1s
        .iter()
        .find(|(_, s)| !s.contains(&s1) && !s.is_empty())
        .cloned()
        .expect("demo data: a contract of provider 1 not covering the limited service");
    let s1x = k1x_services[0];
    assert!(services_of_provider(t, p1)
        .await
        .iter()
        .any(|s| s.id == s1x));
    let d1x = t
        .app
        .add_document(&officer, k1x, "Provider 1 other specification", None)
        .await
        .unwrap()
        .id;
    // A request about that service, as another user of provider 1 would send it.
    let mut tx = t
        .app
        .db_for_tests()
        .begin_write(&Actor::system("test"))
        .await
        .unwrap();
    let r1x = tx
        .insert_request(&NewRequest {
            authority_id: authority_id(&limited),
            provider_id: p1,
            service_id: Some(s1x),
            kind: "new_schedule".into(),
            summary: "Cy Elsewhere from 2 Nov 2026".into(),
            payload: json!({"client": {"first_name": "Cy", "last_name": "Elsewhere"}, "returning_client_id": null,
                "schedule": {"service_id": s1x, "level": "", "units_per_week": 2, "start_date": "2026-11-02", "tenancy_reference": "", "property_id": null}}),
            base: None,
            comment: String::new(),
        })
        .await
        .unwrap()
        .id;
    tx.commit().await.unwrap();

    World {
        p0: Records {
            service: s0,
            schedule: a_schedule(t, s0).await,
            request: r0,
            contract: k0,
            document: d0,
            details_change: details_change(t, s0).await,
            org: Some(OrgRecords {
                contact_request: rc0,
                contact: c0,
                action: a0,
            }),
        },
        p1: Records {
            service: s1,
            schedule: a_schedule(t, s1).await,
            request: r1,
            contract: k1,
            document: d1,
            details_change: details_change(t, s1).await,
            org: Some(OrgRecords {
                contact_request: rc1,
                contact: c1,
                action: a1,
            }),
        },
        p1_outside: Records {
            service: s1x,
            schedule: a_schedule(t, s1x).await,
            request: r1x,
            contract: k1x,
            document: d1x,
            details_change: details_change(t, s1x).await,
            org: None,
        },
        providers: vec![p0, p1],
        authority: authority_id(&officer),
    }
}

// ---------------- tests ----------------

#[tokio::test]
async fn every_portal_route_with_an_id_refuses_another_organisations_records_and_changes_nothing() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let w = world(&t).await;
        let provider = t.signed_in("provider").await;
        let limited = t.signed_in("limited").await;
        let provider_pw = t.account("provider").password.clone();
        let limited_pw = t.account("limited").password.clone();

        // Each owner reaches their own records.
        assert_owner_sees(
            &provider,
            &calls(&w.p0, &provider_pw),
            &format!("{name}: provider, own records"),
        )
        .await;
        assert_owner_sees(
            &limited,
            &calls(&w.p1, &limited_pw),
            &format!("{name}: limited, own records"),
        )
        .await;

        let before = snapshot(
            &t,
            &w.services(),
            &w.schedules(),
            &w.documents(),
            &w.providers,
            w.authority,
        )
        .await;
        assert_all_not_found(
            &limited,
            &calls(&w.p0, &limited_pw),
            &format!("{name}: limited user, provider 0's records"),
        )
        .await;
        assert_all_not_found(
            &provider,
            &calls(&w.p1, &provider_pw),
            &format!("{name}: provider user, the limited organisation's records"),
        )
        .await;
        assert_all_not_found(
            &provider,
            &calls(&w.p1_outside, &provider_pw),
            &format!("{name}: provider user, provider 1's other records"),
        )
        .await;
        let after = snapshot(
            &t,
            &w.services(),
            &w.schedules(),
            &w.documents(),
            &w.providers,
            w.authority,
        )
        .await;
        assert_eq!(before, after, "{name}: the refused writes changed nothing");

        // Nor do the lists show the other organisation's records.
        let (_, mine) = limited.text("/requests?months=12").await;
        assert!(
            !mine.contains(&format!("href=\"/requests/{}\"", w.p0.request)),
            "{name}: not in the limited user's requests"
        );
        let (_, mine) = provider.text("/requests?months=12").await;
        assert!(
            !mine.contains(&format!("href=\"/requests/{}\"", w.p1.request)),
            "{name}: not in the provider's requests"
        );
        let (_, contacts) = provider.text("/contacts").await;
        assert!(
            !contacts.contains(&format!(
                "href=\"/contacts/{}\"",
                w.p1.org.as_ref().unwrap().contact
            )),
            "{name}: not in the provider's contacts"
        );
    }
}

#[tokio::test]
async fn a_limited_access_user_is_refused_their_own_organisations_other_services() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let w = world(&t).await;
        let limited = t.signed_in("limited").await;
        let pw = t.account("limited").password.clone();
        // The same routes answer for the assigned service...
        let inside = Records {
            org: None,
            details_change: w.p1.details_change.clone(),
            ..w.p1
        };
        assert_owner_sees(
            &limited,
            &calls(&inside, &pw),
            &format!("{name}: limited user, assigned service"),
        )
        .await;
        // ...and not for provider 1's other services, schedules, requests and documents.
        let before = snapshot(
            &t,
            &w.services(),
            &w.schedules(),
            &w.documents(),
            &w.providers,
            w.authority,
        )
        .await;
        assert_all_not_found(
            &limited,
            &calls(&w.p1_outside, &pw),
            &format!("{name}: limited user, own organisation outside the assignment"),
        )
        .await;
        let after = snapshot(
            &t,
            &w.services(),
            &w.schedules(),
            &w.documents(),
            &w.providers,
            w.authority,
        )
        .await;
        assert_eq!(before, after, "{name}: the refused writes changed nothing");
        let (_, mine) = limited.text("/requests?months=12").await;
        assert!(
            !mine.contains(&format!("href=\"/requests/{}\"", w.p1_outside.request)),
            "{name}: not in the limited user's requests"
        );
        assert!(
            mine.contains(&format!("href=\"/requests/{}\"", w.p1.request)),
            "{name}: their own service's request is"
        );
        // Changing the assigned service's client over to a service outside the scope is refused.
        let r = limited
            .post_raw(
                &format!("/schedules/{}", w.p1.schedule),
                &[
                    ("units_per_week", "3"),
                    ("end_date", "30/11/2026"),
                    ("new_service_id", &w.p1_outside.service.to_string()),
                ],
                Some(&limited.csrf_from("/home").await),
            )
            .await;
        assert_eq!(
            r.status(),
            422,
            "{name}: the service outside the scope is not offered"
        );
        assert_eq!(
            snapshot(
                &t,
                &w.services(),
                &w.schedules(),
                &w.documents(),
                &w.providers,
                w.authority
            )
            .await,
            after,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_limited_access_home_page_counts_only_the_documents_it_may_see() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let w = world(&t).await;
        let limited = t.signed_in("limited").await;
        // The world added one document on a contract covering the limited user's service and
        // one on a contract that does not.
        let (_, contracts) = limited.text("/contracts").await;
        assert!(contracts.contains(&format!("href=\"/contracts/{}\"", w.p1.contract)));
        assert!(
            !contracts.contains(&format!("href=\"/contracts/{}\"", w.p1_outside.contract)),
            "{name}: the other contract is not listed"
        );
        let (_, home) = limited.text("/home").await;
        let at = home
            .find(">Documents not signed</")
            .expect("the documents card");
        let before = &home[..at];
        let i = before.rfind("class=\"hearth-count\"").unwrap();
        let rest = &before[i..];
        let rest = &rest[rest.find('>').unwrap() + 1..];
        let count: i64 = rest[..rest.find('<').unwrap()].trim().parse().unwrap();
        assert_eq!(
            count, 1,
            "{name}: the home page counts only the document the limited user can open"
        );
    }
}
