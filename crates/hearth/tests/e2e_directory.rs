//! End to end in headless Chromium: the public searches the directory by postcode and client
//! group, opens a service and sees its places; axe-core finds no serious accessibility issue on
//! the search and service pages, on a desktop and on a phone-sized window.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use support::*;

#[tokio::test]
async fn search_by_postcode_and_client_group_open_a_service_and_see_its_places() {
    if !browser_available() {
        return;
    }
    let data = Tmp::new("e2e-directory");
    let port = free_port();
    let mut cmd = hearth();
    cmd.args([
        "--data-dir",
        data.0.to_str().unwrap(),
        "demo",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let server = start(cmd, port);
    // A service's postcode and client group from the demo data.
    let db = hearth_store::Db::connect(&hearth_store::DbConfig {
        url: format!("sqlite://{}", data.0.join("hearth.db").display()),
        max_connections: 1,
        audit_key: std::fs::read_to_string(data.0.join("audit.key"))
            .unwrap()
            .trim()
            .as_bytes()
            .to_vec(),
    })
    .await
    .unwrap();
    let s = db
        .list_services(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|s| s.latitude.is_some())
        .unwrap();
    db.close().await;

    let b = Browser::start().await;
    b.goto(&server.url("/directory")).await;
    assert!(
        b.serious_accessibility_violations().await.is_empty(),
        "search form: {:?}",
        b.serious_accessibility_violations().await
    );
    b.type_into("#postcode", &s.postcode.to_lowercase()).await;
    b.select_value("#client_group", &s.client_group).await;
    b.click("#include_full").await;
    b.click("form[action='/directory'] button[type=submit]")
        .await;
    let url = b.wait_url("postcode=").await;
    assert!(
        url.contains("client_group="),
        "the filters are kept in the address: {url}"
    );
    let html = b.source().await;
    assert!(html.contains("found"), "{html}");
    assert!(
        html.contains(&s.public_name),
        "the service at that postcode is found"
    );
    assert!(html.contains("0.0 miles"), "distance shown");
    let v = b.serious_accessibility_violations().await;
    assert!(v.is_empty(), "results page: {v:?}");

    b.click(&format!("a[href='/directory/services/{}']", s.id))
        .await;
    b.wait_url(&format!("/directory/services/{}", s.id)).await;
    let places = b.text_of("[data-testid=places]").await;
    assert!(
        places.contains("available") && places.contains(&s.contracted_units.to_string()),
        "{places}"
    );
    let v = b.serious_accessibility_violations().await;
    assert!(v.is_empty(), "service page: {v:?}");
    if let Ok(dir) = std::env::var("HEARTH_SCREENSHOTS") {
        b.screenshot(&std::path::Path::new(&dir).join("directory-service.png"))
            .await;
    }

    // The same pages on a phone-sized window, and without a sign-in.
    b.set_window(390, 844).await;
    b.goto(&server.url(&format!(
        "/directory?postcode={}&include_full=yes",
        s.postcode.replace(' ', "+")
    )))
    .await;
    let v = b.serious_accessibility_violations().await;
    assert!(v.is_empty(), "phone: {v:?}");
    if let Ok(dir) = std::env::var("HEARTH_SCREENSHOTS") {
        b.screenshot(&std::path::Path::new(&dir).join("directory-phone.png"))
            .await;
    }
    b.quit().await;
}
