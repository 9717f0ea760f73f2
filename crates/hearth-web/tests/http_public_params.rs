//! Every parameter of every public page and of the open API, given hostile and random values:
//! the answer is a page, a clear message or a 400 problem, never a server error.
//! (Security review findings 8 and 11: 50,001 characters of search text gave 500 from SQLite's
//! "LIKE or GLOB pattern too complex"; `%` and `_` were wildcards; huge page numbers wrapped.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use rand::{Rng, SeedableRng};

/// Public routes and the parameters each reads.
const PUBLIC_PARAMS: &[(&str, &[&str])] = &[
    (
        "/directory",
        &[
            "q",
            "organisation",
            "postcode",
            "distance",
            "service_type",
            "accommodation_type",
            "support_task",
            "client_group",
            "ethnicity",
            "household_type",
            "include_full",
            "page",
        ],
    ),
    (
        "/api/oruk/services",
        &[
            "search",
            "taxonomy_term_id",
            "taxonomy_id",
            "organization_id",
            "modified_after",
            "page",
            "per_page",
        ],
    ),
    (
        "/api/oruk/service_at_locations",
        &["postcode", "proximity", "search", "page", "per_page"],
    ),
    ("/api/oruk/organizations", &["page", "per_page"]),
    ("/api/oruk/taxonomies", &["page", "per_page"]),
    (
        "/api/oruk/taxonomy_terms",
        &["page", "per_page", "taxonomy_id"],
    ),
    ("/login", &["next", "reason"]),
];

fn hostile_values() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "%",
        "_",
        "%%%%",
        "\\",
        "'",
        "\"",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999999",
        "1e308",
        "NaN",
        "inf",
        "0x10",
        "1.5",
        "\u{0}",
        "\t\n\r",
        "\u{202e}",
        "ŵ ł ü 漢字",
        "🏠",
        "BK2 2JB",
        "ZZ99 9ZZ",
        "yes",
        "/\t/evil.example",
        "//evil.example",
        "2026-13-45",
        "1970-01-01T00:00:00Z",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in [201, 1_000, 4_000] {
        v.push("a".repeat(n));
        v.push("%_".repeat(n / 2));
    }
    v
}

fn random_value(rng: &mut rand::rngs::StdRng) -> String {
    let len = rng.gen_range(0..300);
    (0..len)
        .map(|_| match rng.gen_range(0..4) {
            0 => char::from(rng.gen_range(0x20u8..0x7f)),
            1 => char::from_u32(rng.gen_range(0x80..0x3000)).unwrap_or('?'),
            2 => ['%', '_', '\\', '\'', '"', '&', '=', '+', '#'][rng.gen_range(0..9)],
            _ => char::from(rng.gen_range(b'a'..=b'z')),
        })
        .collect()
}

#[tokio::test]
async fn no_public_parameter_can_cause_a_server_error() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.client();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261201);
    let mut values = hostile_values();
    for _ in 0..15 {
        values.push(random_value(&mut rng));
    }
    let mut checked = 0;
    for (path, params) in PUBLIC_PARAMS {
        for param in *params {
            for value in &values {
                let url = format!("{path}?{param}={}", enc(value));
                let r = c.get(&url).await;
                let status = r.status().as_u16();
                assert!(
                    status < 500,
                    "GET {path}?{param}=<{} chars> answered {status}",
                    value.chars().count()
                );
                if path.starts_with("/api/") && status == 400 {
                    let ct = r
                        .headers()
                        .get("content-type")
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_string();
                    assert!(ct.starts_with("application/problem+json"), "{url}: {ct}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1_000, "{checked} requests");
}

#[tokio::test]
async fn overlong_search_text_gets_a_clear_answer_and_wildcards_are_literal() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.client();
    let huge = "a".repeat(50_001);
    for path in [
        "/directory?q=",
        "/directory?organisation=",
        "/api/oruk/services?search=",
        "/api/oruk/service_at_locations?search=",
    ] {
        let r = c.get(&format!("{path}{huge}")).await;
        assert_eq!(r.status(), 400, "{path}");
    }
    // A long search within the address limit: a message beside the field, or a 400 problem.
    let long = "a".repeat(1_000);
    let (status, body) = c.text(&format!("/directory?q={long}")).await;
    assert_eq!(status, 422);
    assert!(body.contains("Search text must be 200 characters or fewer"));
    let r = c.get(&format!("/api/oruk/services?search={long}")).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("200 characters or fewer"));
    // Staff lists too.
    let officer = t.signed_in("officer").await;
    assert_eq!(
        officer.get(&format!("/services?q={huge}")).await.status(),
        400
    );
    assert_eq!(
        officer.get(&format!("/services?q={long}")).await.status(),
        200
    );
    // `%` and `_` match themselves only: no demo service is named with either.
    let all = c
        .get("/api/oruk/services?search=%25")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(all["total_items"], 0, "% is not a wildcard");
    let all = c
        .get("/api/oruk/services?search=_")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(all["total_items"], 0, "_ is not a wildcard");
    let (_, page) = officer.text("/providers?q=%25").await;
    assert!(!page.contains("/providers/1\""), "% finds no provider");
}

#[tokio::test]
async fn huge_page_numbers_do_not_wrap_round_to_the_first_page() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.client();
    let first = c
        .get("/api/oruk/services?page=1")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert!(first["size"].as_i64().unwrap() > 0);
    let r = c.get("/api/oruk/services?page=9223372036854775807").await;
    assert_eq!(r.status(), 400, "out of range");
    let far = c
        .get("/api/oruk/services?page=1000000")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(far["size"], 0, "the last allowed page is empty, not page 1");
    let (status, body) = c
        .text("/directory?include_full=yes&page=9223372036854775807")
        .await;
    assert_eq!(status, 200);
    let (_, page1) = c.text("/directory?include_full=yes&page=1").await;
    let first_result = page1
        .split("/directory/services/")
        .nth(1)
        .unwrap()
        .split(['"', '?'])
        .next()
        .unwrap()
        .to_string();
    assert!(first_result.parse::<i64>().is_ok(), "{first_result}");
    assert!(
        !body.contains(&format!("/directory/services/{first_result}\""))
            && !body.contains(&format!("/directory/services/{first_result}?")),
        "not page 1 again"
    );
}
