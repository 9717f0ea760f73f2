//! The Open Referral UK API: every endpoint's responses (first, middle and last page, and ten
//! items) validate against the published JSON Schemas with formats checked; the published
//! examples validate too (the validator works); CORS is open; unpublished changes and client
//! data never appear.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use serde_json::Value;
use std::path::PathBuf;

const BASE: &str = "https://openreferraluk.org/specifications/3.0/schema/";

/// The standard's schemas and examples: a copy kept with these tests (taken from
/// shared/standards/oruk-3.0, the published specification), so the suite runs anywhere.
fn standard_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/standards/oruk-3.0")
}

/// Serves the schemas' absolute references from the local copies (no network here).
struct Local;

impl jsonschema::Retrieve for Local {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let s = uri.as_str();
        let name = s
            .strip_prefix(BASE)
            .ok_or_else(|| format!("unexpected reference {s}"))?;
        let text = std::fs::read_to_string(standard_dir().join("schema").join(name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(standard_dir().join("schema").join(name)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_retriever(Local)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema {name}: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate: {errors:#?}\n{}",
        serde_json::to_string_pretty(instance)
            .unwrap_or_default()
            .chars()
            .take(3000)
            .collect::<String>()
    );
}

#[test]
fn the_published_examples_validate_and_a_broken_one_does_not() {
    let pairs = [
        ("service_full.json", "service.json"),
        ("service_list.json", "service_list.json"),
        ("organization_full.json", "organization.json"),
        ("organization_list.json", "organization_list.json"),
        ("service_at_location_full.json", "service_at_location.json"),
        (
            "service_at_location_list.json",
            "service_at_location_list.json",
        ),
        ("taxonomy.json", "taxonomy.json"),
        ("taxonomy_list.json", "taxonomy_list.json"),
        ("taxonomy_term.json", "taxonomy_term.json"),
        ("taxonomy_term_list.json", "taxonomy_term_list.json"),
    ];
    for (example, schema) in pairs {
        let v = validator(schema);
        let instance: Value = serde_json::from_str(
            &std::fs::read_to_string(standard_dir().join("examples").join(example)).unwrap(),
        )
        .unwrap();
        assert_valid(&v, &instance, example);
    }
    // Formats are checked: an id that is not a UUID is refused.
    let v = validator("service.json");
    let mut broken: Value = serde_json::from_str(
        &std::fs::read_to_string(standard_dir().join("examples/service_full.json")).unwrap(),
    )
    .unwrap();
    broken["id"] = Value::String("not-a-uuid".into());
    assert!(!v.is_valid(&broken), "format checking works");
    let mut missing = broken.clone();
    missing.as_object_mut().unwrap().remove("name");
    assert!(!v.is_valid(&missing), "required fields are checked");
}

async fn get(t: &TestApp, path: &str) -> Value {
    let r = reqwest::get(t.url(path)).await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some("*"),
        "CORS on {path}"
    );
    r.json().await.unwrap()
}

/// First, middle and last pages of a list endpoint, then up to ten items by id.
async fn check_list(
    t: &TestApp,
    path: &str,
    list_schema: &str,
    item_path: &str,
    item_schema: &str,
) {
    let lv = validator(list_schema);
    let iv = validator(item_schema);
    let sep = if path.contains('?') { '&' } else { '?' };
    let first = get(t, &format!("{path}{sep}per_page=3")).await;
    assert_valid(&lv, &first, &format!("{path} page 1"));
    let pages = first["total_pages"].as_i64().unwrap();
    assert!(
        first["total_items"].as_i64().unwrap() > 0,
        "{path} has items"
    );
    assert_eq!(first["first_page"], true);
    let mut ids: Vec<String> = Vec::new();
    for page in [1, (pages + 1) / 2, pages] {
        let v = get(t, &format!("{path}{sep}per_page=3&page={page}")).await;
        assert_valid(&lv, &v, &format!("{path} page {page}"));
        assert_eq!(v["page_number"], page);
        assert_eq!(v["last_page"], page == pages);
        for c in v["contents"].as_array().unwrap() {
            ids.push(c["id"].as_str().unwrap().to_string());
        }
    }
    ids.dedup();
    for id in ids.iter().take(10) {
        let v = get(t, &format!("{item_path}/{id}")).await;
        assert_valid(&iv, &v, &format!("{item_path}/{id}"));
    }
    let r = reqwest::get(t.url(&format!("{item_path}/00000000-0000-8000-8000-000000000000")))
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "an unknown id is not found");
}

#[tokio::test]
async fn every_endpoint_validates_against_the_standard() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let root = get(&t, "/api/oruk/").await;
    assert_eq!(root["version"], "HSDS-UK-3.0");
    assert_valid(&validator("api_details.json"), &root, "/");
    check_list(
        &t,
        "/api/oruk/services",
        "service_list.json",
        "/api/oruk/services",
        "service.json",
    )
    .await;
    check_list(
        &t,
        "/api/oruk/organizations",
        "organization_list.json",
        "/api/oruk/organizations",
        "organization.json",
    )
    .await;
    check_list(
        &t,
        "/api/oruk/taxonomies",
        "taxonomy_list.json",
        "/api/oruk/taxonomies",
        "taxonomy.json",
    )
    .await;
    check_list(
        &t,
        "/api/oruk/taxonomy_terms",
        "taxonomy_term_list.json",
        "/api/oruk/taxonomy_terms",
        "taxonomy_term.json",
    )
    .await;
    check_list(
        &t,
        "/api/oruk/service_at_locations",
        "service_at_location_list.json",
        "/api/oruk/service_at_locations",
        "service_at_location.json",
    )
    .await;
    // Near a postcode, nearest first.
    let pc: String = t
        .app
        .db_for_tests()
        .list_services(&Default::default())
        .await
        .unwrap()
        .items[0]
        .postcode
        .clone();
    let near = get(
        &t,
        &format!(
            "/api/oruk/service_at_locations?postcode={}&proximity=30000",
            pc.replace(' ', "%20")
        ),
    )
    .await;
    assert_valid(
        &validator("service_at_location_list.json"),
        &near,
        "service_at_locations near a postcode",
    );
    let d: Vec<f64> = near["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["distance"].as_f64().unwrap())
        .collect();
    assert!(
        !d.is_empty() && d.windows(2).all(|w| w[0] <= w[1]),
        "ordered by distance: {d:?}"
    );
    let r = reqwest::get(t.url("/api/oruk/service_at_locations?postcode=NOTAPOSTCODE"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn services_filter_by_taxonomy_organisation_and_modified_after() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let all = get(&t, "/api/oruk/services?per_page=500").await;
    let total = all["total_items"].as_i64().unwrap();
    let full = get(
        &t,
        &format!(
            "/api/oruk/services/{}",
            all["contents"][0]["id"].as_str().unwrap()
        ),
    )
    .await;
    // Every service links its service type, client group and support tasks as attributes.
    let attrs = full["attributes"].as_array().unwrap();
    assert!(attrs.len() >= 3, "{attrs:?}");
    assert!(
        full["capacities"][0]["available"].is_number(),
        "places available as capacities"
    );
    let term = attrs[0]["taxonomy_term_id"].as_str().unwrap();
    let by_term = get(
        &t,
        &format!("/api/oruk/services?taxonomy_term_id={term}&per_page=500"),
    )
    .await;
    let n = by_term["total_items"].as_i64().unwrap();
    assert!(n >= 1 && n <= total);
    for s in by_term["contents"].as_array().unwrap() {
        let f = get(
            &t,
            &format!("/api/oruk/services/{}", s["id"].as_str().unwrap()),
        )
        .await;
        assert!(
            f["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["taxonomy_term_id"] == term),
            "every result has the term"
        );
    }
    let org = full["organization_id"].as_str().unwrap();
    let by_org = get(
        &t,
        &format!("/api/oruk/services?organization_id={org}&per_page=500"),
    )
    .await;
    assert!(by_org["contents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["organization_id"] == org));
    let later = get(&t, "/api/oruk/services?modified_after=2999-01-01T00:00:00Z").await;
    assert_eq!(later["total_items"], 0);
    assert_eq!(later["empty"], true);
    let r = reqwest::get(t.url("/api/oruk/services?taxonomy_term_id=nonsense"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn unpublished_changes_and_client_data_never_appear() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = t
        .app
        .db_for_tests()
        .user_by_username("provider")
        .await
        .unwrap()
        .unwrap();
    let p = t.app.principal_for(provider, None).await.unwrap().unwrap();
    let mut f = p.service_filter();
    f.per_page = 100;
    let service = t.app.db_for_tests().list_services(&f).await.unwrap().items[0].clone();
    let mut d = hearth_store::ServiceDetails::of(&service);
    d.public_name = "Unapproved Shiny Name".into();
    t.app
        .request_service_details(&p, service.id, &d, "")
        .await
        .unwrap();
    // A client of this service.
    let clients = t
        .app
        .db_for_tests()
        .service_schedules(
            service.id,
            "2026-11-22",
            true,
            hearth_store::ScheduleSort::Name,
            1,
            5,
        )
        .await
        .unwrap();
    let client_name = clients.items[0].last_name.clone();
    let client_id = clients.items[0].client_id;
    let client = t
        .app
        .db_for_tests()
        .client(client_id)
        .await
        .unwrap()
        .unwrap();

    let c = t.client();
    let (_, html) = c.text(&format!("/directory/services/{}", service.id)).await;
    let (_, search) = c.text("/directory?include_full=yes").await;
    let svc = reqwest::get(t.url(&format!(
        "/api/oruk/services/{}",
        oruk_id(b"svc\0", service.id)
    )))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let list = reqwest::get(t.url("/api/oruk/services?per_page=500"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (what, text) in [
        ("service page", &html),
        ("search", &search),
        ("ORUK service", &svc),
        ("ORUK list", &list),
    ] {
        assert!(
            !text.contains("Unapproved Shiny Name"),
            "{what} shows a pending change"
        );
        assert!(
            !text.contains(&format!(">{client_name}<"))
                && !text.contains(&format!("\"{client_name}\"")),
            "{what} shows a client's name"
        );
        if let Some(ni) = &client.ni_number {
            assert!(
                !text.contains(ni.as_str()),
                "{what} shows a client's NI number"
            );
        }
        if let Some(dob) = &client.date_of_birth {
            assert!(
                !text.contains(dob.as_str()),
                "{what} shows a client's date of birth"
            );
        }
    }
    assert!(html.contains(&service.public_name));
}

/// The stable UUID the API gives a record (kind tag + number, version 8).
fn oruk_id(kind: &[u8; 4], n: i64) -> String {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(kind);
    b[10..16].copy_from_slice(&(n as u64).to_be_bytes()[2..8]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[tokio::test]
async fn refuge_addresses_are_never_published() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let services = t
        .app
        .db_for_tests()
        .list_services(&hearth_store::ServiceFilter {
            per_page: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    let refuge = services
        .iter()
        .find(|s| s.address_confidential())
        .expect("the demo has a domestic abuse service")
        .clone();
    assert!(
        refuge.latitude.is_some(),
        "the authority still holds where it is"
    );
    let c = t.client();
    let (_, html) = c.text(&format!("/directory/services/{}", refuge.id)).await;
    assert!(html.contains("The address is not published"));
    assert!(!html.contains(&refuge.postcode), "no postcode on the page");
    // The street line (house number and street; a building's name may be the service's name).
    let first_line = refuge
        .address
        .split(',')
        .map(str::trim)
        .find(|p| p.chars().any(|c| c.is_ascii_digit()))
        .unwrap()
        .to_string();
    assert!(!html.contains(&first_line), "no street address on the page");
    let api = reqwest::get(t.url(&format!(
        "/api/oruk/services/{}",
        oruk_id(b"svc\0", refuge.id)
    )))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        !api.contains(&refuge.postcode) && !api.contains("latitude") && !api.contains(&first_line),
        "{api}"
    );
    // A postcode search never measures a distance to it, even from its own postcode.
    let (_, near) = c
        .text(&format!(
            "/directory?postcode={}&include_full=yes",
            refuge.postcode.replace(' ', "+")
        ))
        .await;
    assert!(!near.contains(&format!("/directory/services/{}\"", refuge.id)));
    let sal = get(&t, "/api/oruk/service_at_locations?per_page=500").await;
    assert!(sal["contents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["service_id"] != oruk_id(b"svc\0", refuge.id).as_str()));
    assert_eq!(
        sal["total_items"].as_i64().unwrap() as usize,
        sal["contents"].as_array().unwrap().len(),
        "the count matches what is listed"
    );
}

#[tokio::test]
async fn taxonomy_id_narrows_services_to_those_with_a_term_of_it() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    // Take a service's support tasks away: it no longer has a term of the support-task taxonomy.
    let s = t
        .app
        .db_for_tests()
        .list_services(&Default::default())
        .await
        .unwrap()
        .items[0]
        .clone();
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        &format!("UPDATE services SET support_tasks = '' WHERE id = {}", s.id),
    )
    .await
    .unwrap();
    let taxonomies = get(&t, "/api/oruk/taxonomies").await;
    let support = taxonomies["contents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "Support task")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let all = get(&t, "/api/oruk/services?per_page=500").await["total_items"]
        .as_i64()
        .unwrap();
    let with = get(
        &t,
        &format!("/api/oruk/services?per_page=500&taxonomy_id={support}"),
    )
    .await;
    assert_eq!(with["total_items"].as_i64().unwrap(), all - 1);
    assert!(with["contents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["id"] != oruk_id(b"svc\0", s.id).as_str()));
}
