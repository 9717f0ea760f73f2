//! The JSON API for providers' own systems: bearer tokens, the same rules as the pages,
//! problem+json errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use serde_json::{json, Value};

async fn token_for(t: &TestApp, c: &Client, username: &str) -> String {
    let password = t.account(username).password.clone();
    let r = c
        .post_form(
            "/account/api-tokens",
            &[
                ("token_name", "Case system"),
                ("days", "90"),
                ("password", &password),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let key = "data-testid=\"api-token\">";
    let i = body.find(key).expect("the token is shown once");
    let rest = &body[i + key.len()..];
    assert!(
        body.contains("It stops working on"),
        "the expiry is shown when the token is made"
    );
    rest[..rest.find('<').unwrap()].trim().to_string()
}

fn api(
    t: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::RequestBuilder {
    let http = reqwest::Client::new();
    let mut rb = http
        .request(method, t.url(path))
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        rb = rb
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    rb
}

#[tokio::test]
async fn a_provider_system_requests_a_schedule_and_an_officer_system_approves_it() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let provider = token_for(&t, &t.signed_in("provider").await, "provider").await;
        let officer = token_for(&t, &t.signed_in("officer").await, "officer").await;

        let services: Value = api(
            &t,
            &provider,
            reqwest::Method::GET,
            "/api/v1/services",
            None,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let sid = services["items"][0]["id"].as_i64().unwrap();
        let input = json!({"first_name": "Ada", "last_name": "Lowther", "hb_number": "11223344", "ni_number": "AB123456C", "start_date": "2026-11-01", "units_per_week": "2"});
        let r = api(
            &t,
            &provider,
            reqwest::Method::POST,
            &format!("/api/v1/services/{sid}/schedule-requests"),
            Some(input),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 201, "{}", t.db_name);
        let created: Value = r.json().await.unwrap();
        let rid = created["id"].as_i64().unwrap();
        assert_eq!(created["status"], "pending");

        // The provider's system cannot approve; the officer's can.
        let r = api(
            &t,
            &provider,
            reqwest::Method::POST,
            &format!("/api/v1/requests/{rid}/approve"),
            Some(json!({})),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 404);
        let r = api(
            &t,
            &officer,
            reqwest::Method::POST,
            &format!("/api/v1/requests/{rid}/approve"),
            Some(json!({"remarks": "ok"})),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 200, "{}", t.db_name);
        let detail: Value = api(
            &t,
            &provider,
            reqwest::Method::GET,
            &format!("/api/v1/requests/{rid}"),
            None,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(detail["status"], "approved");
        assert!(detail["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "Surname" && c["new"] == "Lowther"));
        let list: Value = api(
            &t,
            &provider,
            reqwest::Method::GET,
            &format!("/api/v1/services/{sid}/schedules"),
            None,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["last_name"] == "Lowther"));
    }
}

#[tokio::test]
async fn api_errors_are_problems_and_other_organisations_are_not_found() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = token_for(&t, &t.signed_in("provider").await, "provider").await;
    let services: Value = api(
        &t,
        &provider,
        reqwest::Method::GET,
        "/api/v1/services",
        None,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let sid = services["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/services/{sid}/schedule-requests");

    let r = api(&t, &provider, reqwest::Method::POST, &path, None)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/problem+json"
    );

    let r = api(&t, &provider, reqwest::Method::POST, &path, Some(json!({"first_name": "", "last_name": "X", "start_date": "31/2/2026", "units_per_week": "x"}))).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    for f in ["first_name", "start_date", "units_per_week"] {
        assert!(p["errors"][f].is_string(), "field error for {f}: {p}");
    }

    // Another provider's service answers as if it did not exist.
    let limited = token_for(&t, &t.signed_in("limited").await, "limited").await;
    let r = api(
        &t,
        &limited,
        reqwest::Method::GET,
        &format!("/api/v1/services/{sid}"),
        None,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let r = api(&t, &limited, reqwest::Method::POST, &path, Some(json!({"first_name": "A", "last_name": "B", "start_date": "1/11/2026", "units_per_week": "1"}))).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // Available places save at once.
    let r = api(
        &t,
        &provider,
        reqwest::Method::PUT,
        &format!("/api/v1/services/{sid}/available-places"),
        Some(json!({"available_places": 3})),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        t.app
            .db_for_tests()
            .service(sid)
            .await
            .unwrap()
            .unwrap()
            .available_places,
        Some(3)
    );

    // A wrong or revoked token is refused.
    let r = api(
        &t,
        "hearth_not_a_token",
        reqwest::Method::GET,
        "/api/v1/services",
        None,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    let tokens = t
        .app
        .db_for_tests()
        .api_tokens_of(
            t.app
                .db_for_tests()
                .user_by_username("provider")
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    let c = t.signed_in_next("provider").await;
    assert_eq!(
        c.post_form(&format!("/account/api-tokens/{}/revoke", tokens[0].id), &[])
            .await
            .status(),
        303
    );
    let r = api(
        &t,
        &provider,
        reqwest::Method::GET,
        "/api/v1/services",
        None,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_openapi_description_lists_the_provider_operations() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let doc: Value = reqwest::get(t.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/services/{id}/schedule-requests",
        "/schedules/{id}/update-requests",
        "/services/{id}/available-places",
        "/requests",
        "/actions/{id}/done",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
}

// Security review finding 12: making a token asks for the password again; tokens expire
// (90 days by default, shown when made) and record when they were last used; a lower-case
// `bearer` scheme is accepted.
#[tokio::test]
async fn api_tokens_need_the_password_expire_and_record_their_last_use() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.signed_in("provider").await;
    let r = c
        .post_form(
            "/account/api-tokens",
            &[
                ("token_name", "Case system"),
                ("days", "90"),
                ("password", "not-my-password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        !field_error(&r.text().await.unwrap(), "password").is_empty(),
        "the password is asked for again"
    );
    let user = t
        .app
        .db_for_tests()
        .user_by_username("provider")
        .await
        .unwrap()
        .unwrap();
    assert!(
        t.app
            .db_for_tests()
            .api_tokens_of(user.id)
            .await
            .unwrap()
            .is_empty(),
        "no token without the password"
    );
    let token = token_for(&t, &c, "provider").await;
    let made = t.app.db_for_tests().api_tokens_of(user.id).await.unwrap()[0].clone();
    let days = (made.expires_on() - made.created_at) / 86_400;
    assert_eq!(days, 90);
    assert!(made.last_used_at.is_none());
    let r = reqwest::Client::new()
        .get(t.url("/api/v1/services"))
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "lower-case bearer");
    assert!(
        t.app.db_for_tests().api_tokens_of(user.id).await.unwrap()[0]
            .last_used_at
            .is_some(),
        "last use recorded"
    );
    // An expired token is refused.
    hearth_store::testing::exec(t.app.db_for_tests(), "UPDATE api_tokens SET expires_at = 1")
        .await
        .unwrap();
    let r = api(&t, &token, reqwest::Method::GET, "/api/v1/services", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// The API's bodies are its own: flags are JSON booleans, never the database's 0 or 1.
#[tokio::test]
async fn flags_in_api_bodies_are_json_booleans() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = token_for(&t, &t.signed_in("officer").await, "officer").await;
    let get = |path: &'static str| {
        let r = api(&t, &officer, reqwest::Method::GET, path, None);
        async move { r.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let services = get("/api/v1/services").await;
    let s = &services["items"][0];
    for flag in [
        "emergency_referrals",
        "interpreter",
        "impairment_support",
        "visual_impairment_support",
        "hearing_impairment_support",
        "waiting_list",
    ] {
        assert!(s[flag].is_boolean(), "service {flag} is a boolean: {s}");
    }
    let providers = get("/api/v1/providers").await;
    let p = &providers["items"][0];
    assert!(
        p["limited_access"].is_boolean(),
        "provider limited_access is a boolean: {p}"
    );
    let one: Value = api(
        &t,
        &officer,
        reqwest::Method::GET,
        &format!("/api/v1/services/{}", s["id"].as_i64().unwrap()),
        None,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(one["waiting_list"].is_boolean(), "{one}");
    assert!(services["total_pages"].is_i64(), "pages keep their fields");
}

// Issue 9, section 5: every API error is RFC 9457 problem+json with a stable `code`; a
// conflict says which kind (here: the request was already decided).
#[tokio::test]
async fn an_api_conflict_is_problem_json_with_its_code() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = token_for(&t, &t.signed_in("provider").await, "provider").await;
    let officer = token_for(&t, &t.signed_in("officer").await, "officer").await;
    let services: Value = api(
        &t,
        &provider,
        reqwest::Method::GET,
        "/api/v1/services",
        None,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let sid = services["items"][0]["id"].as_i64().unwrap();
    let input = json!({"first_name": "Ada", "last_name": "Lowther", "hb_number": "11223344", "ni_number": "AB123456C", "start_date": "2026-11-01", "units_per_week": "2"});
    let r = api(
        &t,
        &provider,
        reqwest::Method::POST,
        &format!("/api/v1/services/{sid}/schedule-requests"),
        Some(input),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let rid = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let approve = || {
        api(
            &t,
            &officer,
            reqwest::Method::POST,
            &format!("/api/v1/requests/{rid}/approve"),
            Some(json!({"remarks": "ok"})),
        )
        .send()
    };
    assert_eq!(approve().await.unwrap().status(), 200);
    let r = approve().await.unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let id = r
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "already_decided", "{p}");
    assert_eq!(p["status"], 409);
    assert_eq!(p["title"], "Conflict");
    assert_eq!(p["type"], "https://hearth.invalid/problems/already_decided");
    assert!(
        p["detail"].as_str().unwrap().contains("already approved"),
        "{p}"
    );
    assert_eq!(
        p["request_id"],
        id.as_str(),
        "the problem names the request id"
    );
}

// An internal error in the API is problem+json `internal` with the request id, never its cause.
#[tokio::test]
async fn an_api_internal_error_hides_its_cause() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = token_for(&t, &t.signed_in("officer").await, "officer").await;
    hearth_store::testing::exec(t.app.db_for_tests(), "DROP TABLE contract_services")
        .await
        .unwrap();
    let r = api(
        &t,
        &officer,
        reqwest::Method::GET,
        "/api/v1/contracts/1",
        None,
    )
    .header("x-request-id", "api-trace-7")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    assert_eq!(r.headers().get("x-request-id").unwrap(), "api-trace-7");
    let body = r.text().await.unwrap();
    let p: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(p["code"], "internal");
    assert_eq!(p["request_id"], "api-trace-7");
    assert!(
        !body.contains("contract_services") && !body.to_lowercase().contains("sqlite"),
        "{body}"
    );
}
