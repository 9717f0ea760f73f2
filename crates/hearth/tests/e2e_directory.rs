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
    // The filters are folded away until opened (journey 8).
    b.click("[data-testid=filters] summary").await;
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

    let search_url = b.url().await;
    b.click(&format!("a[href^='/directory/services/{}?back=']", s.id))
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
    // "Back to search" returns to the same search, filters and all (journey 8).
    b.click("[data-testid=back-to-search]").await;
    let back = b.wait_url("client_group=").await;
    assert!(back.contains("postcode="), "{back}");
    assert!(
        back.contains(&format!("client_group={}", s.client_group))
            && back.contains("include_full=yes"),
        "back at the search {search_url}: {back}"
    );
    assert!(b.source().await.contains(&s.public_name));

    // The same pages on a phone-sized window, and without a sign-in.
    b.set_window(390, 844).await;
    b.goto(&server.url(&format!(
        "/directory?postcode={}&include_full=yes",
        s.postcode.replace(' ', "+")
    )))
    .await;
    let v = b.serious_accessibility_violations().await;
    assert!(v.is_empty(), "phone: {v:?}");
    // On a phone the results begin within the first screen (they began about 1,370 px down,
    // below the whole form), and a link at the top leads to the form.
    let top = b
        .execute("return document.getElementById('results').getBoundingClientRect().top + window.scrollY;")
        .await
        .as_f64()
        .unwrap();
    assert!(top < 844.0, "results start {top} px down on a phone");
    let link = b.text_of("a[href='#search']").await;
    assert!(link.contains("Change your search"), "{link}");
    if let Ok(dir) = std::env::var("HEARTH_SCREENSHOTS") {
        b.screenshot(&std::path::Path::new(&dir).join("directory-phone.png"))
            .await;
    }
    b.quit().await;
}
