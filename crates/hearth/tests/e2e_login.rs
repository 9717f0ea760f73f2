//! End to end in headless Chromium: a provider user signs in with a password and a TOTP code,
//! sees their home page and signs out; the idle timeout returns them to where they were.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use support::*;

#[tokio::test]
async fn provider_signs_in_with_totp_sees_home_and_signs_out() {
    if !browser_available() {
        return;
    }
    let data = Tmp::new("e2e");
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
    let (password, secret) = demo_account(&data.0, "provider");

    let b = Browser::start().await;
    b.goto(&server.url("/home")).await;
    b.wait_url("/login").await;
    b.type_into("#username", "provider").await;
    b.type_into("#password", &password).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_url("/login/code").await;
    b.type_into("#code", &totp_now(&secret)).await;
    b.click("form[action='/login/code'] button[type=submit]")
        .await;
    b.wait_url("/home").await;
    let html = b.source().await;
    assert!(html.contains("Your home page"));
    assert!(html.contains("Needs your attention"));
    let who = b.text_of("[data-testid=signed-in-user]").await;
    assert!(!who.is_empty());
    if let Ok(dir) = std::env::var("HEARTH_SCREENSHOTS") {
        b.screenshot(&std::path::Path::new(&dir).join("e2e-provider-home.png"))
            .await;
    }
    // The GOV.UK Frontend stylesheet and script load under the CSP (no inline script).
    let css = reqwest::get(server.url("/assets/govuk-frontend.min.css"))
        .await
        .unwrap();
    assert_eq!(css.status(), 200);

    // GOV.UK Frontend 6's shell: no page content outside a landmark (the phase banner and
    // the signed-in bar are in the header), on the home page and a list.
    for path in ["/home", "/services"] {
        b.goto(&server.url(path)).await;
        b.wait_text("Signed in as").await;
        assert_eq!(
            b.rule_violations("region").await,
            Vec::<String>::new(),
            "{path}"
        );
        assert_eq!(
            b.serious_accessibility_violations().await,
            Vec::<String>::new(),
            "{path}"
        );
    }
    // On a phone the page never scrolls sideways: wide tables scroll in their own region, and
    // the service navigation folds behind its Menu button (its script runs under the CSP).
    b.set_window(390, 844).await;
    for path in ["/services", "/contracts", "/requests", "/properties"] {
        b.goto(&server.url(path)).await;
        b.wait_text("Signed in as").await;
        let overflow = b
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
            .await;
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "{path} scrolls sideways by {overflow} px on a 390 px screen"
        );
        if let Ok(dir) = std::env::var("HEARTH_SCREENSHOTS") {
            let name = format!("e2e-phone{}.png", path.replace('/', "-"));
            b.screenshot(&std::path::Path::new(&dir).join(name)).await;
        }
    }
    let toggle = b
        .execute("const t = document.querySelector('.govuk-service-navigation__toggle'); return t && !t.hidden && t.getBoundingClientRect().height > 0;")
        .await;
    assert_eq!(
        toggle,
        serde_json::Value::Bool(true),
        "the Menu button shows on a phone"
    );
    b.set_window(1280, 900).await;
    b.goto(&server.url("/home")).await;
    b.wait_text("Signed in as").await;

    b.click("[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;
    assert!(b.source().await.contains("You have signed out"));
    b.goto(&server.url("/home")).await;
    b.wait_url("/login?next=").await;
    b.quit().await;
}
