//! The web edge (issue 9, section 5): request ids, error pages that render themselves,
//! compression of assets, the body limit and the metrics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

#[tokio::test]
async fn an_internal_error_page_carries_the_request_id_and_no_cause() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.signed_in("officer").await;
    hearth_store::testing::exec(t.app.db_for_tests(), "DROP TABLE contract_services")
        .await
        .unwrap();
    let r = c
        .http
        .get(t.url("/contracts/1"))
        .header("x-request-id", "trace-0042")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.headers().get("x-request-id").unwrap(),
        "trace-0042",
        "a usable request id that came with the request is kept and echoed"
    );
    assert!(r.headers().get("content-security-policy").is_some());
    let body = r.text().await.unwrap();
    assert!(body.contains("Sorry, there is a problem with the service"));
    assert!(
        body.contains("data-testid=\"request-id\">trace-0042<"),
        "the page shows the request id"
    );
    assert!(body.contains("Sign out"), "the signed-in header is kept");
    for cause in ["contract_services", "no such table", "sqlite", "SQLITE"] {
        assert!(!body.contains(cause), "no cause on the page: {cause}");
    }
}

#[tokio::test]
async fn an_unusable_request_id_is_replaced_and_every_answer_has_one() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let http = reqwest::Client::new();
    let r = http.get(t.url("/healthz")).send().await.unwrap();
    let made = r.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(made.len(), 36, "a UUID: {made}");
    let r = http
        .get(t.url("/healthz"))
        .header("x-request-id", "has spaces and <html>")
        .send()
        .await
        .unwrap();
    let made = r.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(made.len(), 36, "replaced: {made}");
    let long = "a".repeat(65);
    let r = http
        .get(t.url("/no/such/page"))
        .header("x-request-id", &long)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_ne!(r.headers().get("x-request-id").unwrap(), long.as_str());
}

#[tokio::test]
async fn assets_are_gzipped_when_asked_and_pages_are_not() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let http = reqwest::Client::new();
    let r = http
        .get(t.url("/assets/govuk-frontend.min.css"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("content-encoding").unwrap(), "gzip");
    assert_eq!(
        r.headers().get("cache-control").unwrap(),
        "public, max-age=3600"
    );
    let gz = r.bytes().await.unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "a gzip stream");
    let r = http
        .get(t.url("/assets/govuk-frontend.min.css"))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert!(r.bytes().await.unwrap().len() > gz.len() * 2);
    let r = http
        .get(t.url("/login"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("content-encoding").is_none(),
        "pages are not compressed"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_a_page_or_a_problem() {
    let web = hearth_web::WebConfig {
        secure_cookies: false,
        max_body_bytes: 4096,
        ..Default::default()
    };
    let t = TestApp::start_web(
        hearth_store::testing::sqlite().await.unwrap(),
        Default::default(),
        web,
    )
    .await;
    let c = t.client();
    let big = "x".repeat(10_000);
    let r = c.post_raw("/login", &[("username", &big)], None).await;
    assert_eq!(r.status(), 413);
    let body = r.text().await.unwrap();
    assert!(body.contains("The file or form is too large"), "{body}");
    assert!(body.contains("govuk-template"), "a GOV.UK page");
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/requests/1/approve"))
        .header("authorization", "Bearer hearth_0000")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
}

/// The value of the first sample of `metric` with all of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(metric) && labels.iter().all(|lab| l.contains(lab)))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn metrics_have_the_route_histogram_and_run_no_sql() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(t.url("/directory")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        http.get(t.url("/directory/services/999999"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // With the pool closed, any SQL would fail: the scrape still answers, from memory.
    t.app.close().await;
    let r = http.get(t.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = r.text().await.unwrap();
    let count = sample(
        &text,
        "hearth_http_request_duration_seconds_count",
        &["route=\"/directory\"", "method=\"GET\"", "status=\"2xx\""],
    );
    assert_eq!(count, Some(1.0), "{text}");
    let not_found = sample(
        &text,
        "hearth_http_request_duration_seconds_count",
        &["route=\"/directory/services/{id}\"", "status=\"4xx\""],
    );
    assert_eq!(
        not_found,
        Some(1.0),
        "labelled by the route, not the path: {text}"
    );
    assert!(
        sample(
            &text,
            "hearth_http_request_duration_seconds_bucket",
            &["route=\"/directory\"", "le=\"+Inf\""]
        )
        .is_some(),
        "{text}"
    );
    assert!(text.contains("hearth_db_pool_max_connections"), "{text}");
    // Job runs and the outbox, from the app's counts in memory.
    for outcome in ["done", "failed"] {
        let label = format!("outcome=\"{outcome}\"");
        assert_eq!(
            sample(&text, "hearth_job_runs_total", &[&label]),
            Some(0.0),
            "{text}"
        );
    }
    assert_eq!(
        sample(&text, "hearth_outbox_emails_total", &["outcome=\"sent\""]),
        Some(0.0),
        "{text}"
    );
    assert!(
        sample(&text, "hearth_outbox_waiting", &[]).is_some(),
        "{text}"
    );
    assert!(!text.contains("999999"), "no paths in the labels");

    // Through a proxy (or from elsewhere) the metrics are not there.
    let r = http
        .get(t.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn with_a_metrics_address_the_main_listener_does_not_serve_metrics() {
    let db = hearth_store::testing::sqlite().await.unwrap();
    let web = hearth_web::WebConfig {
        secure_cookies: false,
        metrics_addr: Some("127.0.0.1:0".parse().unwrap()),
        ..Default::default()
    };
    let t = TestApp::start_web(db, Default::default(), web.clone()).await;
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(t.url("/metrics")).send().await.unwrap().status(),
        404
    );

    let routers = hearth_web::routers(t.app.clone(), web);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, routers.metrics).await.unwrap() });
    let r = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("hearth_db_pool_connections"));
}
