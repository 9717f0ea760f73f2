//! End to end in headless Chromium (issue 11, going live): the host administrator of a
//! deployment that hosts several authorities adds an authority and its first administrator
//! in the browser, and that administrator signs in for the first time (authenticator set-up,
//! then the temporary password changed) and lands in the new authority's back office. The
//! host is kept out of every authority's records. axe-core finds nothing on any page visited.
//!
//! With `HEARTH_SCREENSHOTS=DIR` set, the host's pages are saved there (`host-*.png`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use support::*;

async fn main_text(b: &Browser) -> String {
    b.text_of("main").await
}

#[tokio::test]
async fn the_host_adds_an_authority_whose_administrator_then_signs_in_for_the_first_time() {
    if !browser_available() {
        return;
    }
    let (data, server) = demo_server("e2e-host", false);
    let base = server.url("");
    let b = Browser::start().await;

    // The host signs in and lands on the deployment's authorities.
    let (password, secret) = demo_account(&data.0, "host");
    b.goto(&format!("{base}/login")).await;
    b.type_into("#username", "host").await;
    b.type_into("#password", &password).await;
    click_and_wait(&b, "form[action='/login'] button[type=submit]").await;
    b.wait_url("/login/code").await;
    b.type_into("#code", &totp_now(&secret)).await;
    click_and_wait(&b, "form[action='/login/code'] button[type=submit]").await;
    b.wait_url("/host").await;
    let page = main_text(&b).await;
    assert!(
        page.contains("Brackenshire"),
        "the demo's authority: {page}"
    );
    let nav = b.text_of("#navigation").await;
    assert_eq!(nav.trim(), "Authorities", "the host's only section");
    assert_accessible(&b, "host authorities").await;
    screenshot_if_asked(&b, "host-authorities").await;

    // Nothing of an authority's records, even by address.
    b.goto(&format!("{base}/providers")).await;
    assert!(
        main_text(&b).await.contains("cannot"),
        "the host is refused the providers"
    );
    b.goto(&format!("{base}/services")).await;
    assert!(main_text(&b).await.contains("cannot"), "and the services");
    b.goto(&format!("{base}/host")).await;

    // Add an authority: an empty form names each field; then a good one.
    b.click("a[href='/host/authorities/new']").await;
    b.wait_url("/host/authorities/new").await;
    click_and_wait(
        &b,
        "form[action='/host/authorities/new'] button[type=submit]",
    )
    .await;
    let summary = b.text_of(".govuk-error-summary").await;
    assert!(
        summary.contains("name") && summary.contains("code"),
        "{summary}"
    );
    assert_accessible(&b, "add an authority, with errors").await;
    screenshot_if_asked(&b, "host-add-authority-errors").await;
    b.type_into("#name", "Fernvale Borough Council").await;
    b.type_into("#code", "fvl").await;
    b.click("#region-scotland").await;
    click_and_wait(
        &b,
        "form[action='/host/authorities/new'] button[type=submit]",
    )
    .await;
    let url = b.wait_url("added=1").await;
    assert!(url.contains("/host/authorities/"), "{url}");
    let page = main_text(&b).await;
    assert!(page.contains("Fernvale Borough Council added"), "{page}");
    assert!(page.contains("FVL") && page.contains("Scotland"), "{page}");
    assert!(page.contains("no administrator yet"), "{page}");
    assert_accessible(&b, "the new authority").await;
    screenshot_if_asked(&b, "host-authority-added").await;

    // Its first administrator.
    b.click("a[href$='/administrators/new']").await;
    b.wait_url("/administrators/new").await;
    b.type_into("#username", "fern.vale").await;
    b.type_into("#display_name", "Fern Vale").await;
    b.type_into("#email", "fern.vale@fernvale.example").await;
    assert_accessible(&b, "add an administrator").await;
    click_and_wait(
        &b,
        "form[action$='/administrators/new'] button[type=submit]",
    )
    .await;
    b.wait_text("Administrator added").await;
    let temporary = b.text_of("[data-testid=temporary-password]").await;
    let temporary = temporary.trim().to_string();
    assert!(temporary.len() > 10, "{temporary}");
    assert_accessible(&b, "administrator added").await;
    screenshot_if_asked(&b, "host-administrator-added").await;
    b.click("main a[href^='/host/authorities/']").await;
    b.wait_text("Not signed in yet").await;
    assert!(main_text(&b).await.contains("fern.vale"));

    // The host signs out; the new administrator signs in for the first time.
    click_and_wait(&b, "[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;
    b.goto(&format!("{base}/login")).await;
    b.type_into("#username", "fern.vale").await;
    b.type_into("#password", &temporary).await;
    click_and_wait(&b, "form[action='/login'] button[type=submit]").await;
    b.wait_url("/login/enrol").await;
    let secret = b.text_of("[data-testid=totp-secret]").await;
    let secret: String = secret.chars().filter(|c| !c.is_whitespace()).collect();
    b.type_into("#code", &totp_now(&secret)).await;
    click_and_wait(&b, "form[action='/login/enrol'] button[type=submit]").await;
    b.wait_url("/account/password").await;
    b.type_into("#current_password", &temporary).await;
    b.type_into("#new_password", "quartz-fennel-harbour-lamp")
        .await;
    b.type_into("#confirm_password", "quartz-fennel-harbour-lamp")
        .await;
    click_and_wait(&b, "form[action='/account/password'] button[type=submit]").await;
    b.wait_url("/home").await;
    let home = main_text(&b).await;
    assert!(home.contains("Fernvale Borough Council"), "{home}");
    // Their authority is empty: none of Brackenshire's records.
    b.goto(&format!("{base}/providers")).await;
    let providers = main_text(&b).await;
    assert!(!providers.contains("Larkspur"), "{providers}");
    // They add their own staff.
    b.goto(&format!("{base}/admin/users")).await;
    let users = main_text(&b).await;
    assert!(users.contains("fern.vale"), "{users}");
    assert!(!users.contains("officer"), "{users}");
    b.goto(&format!("{base}/admin/users/new")).await;
    let roles = b.text_of("#role").await;
    assert!(
        !roles.contains("Host"),
        "an authority cannot make a host: {roles}"
    );

    // Back as the host: the administrator is now set up.
    click_and_wait(&b, "[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;
    b.goto(&format!("{base}/login")).await;
    b.type_into("#username", "host").await;
    b.type_into("#password", &password).await;
    click_and_wait(&b, "form[action='/login'] button[type=submit]").await;
    b.wait_url("/login/code").await;
    let now = u64::try_from(hearth_store::now()).unwrap();
    b.type_into(
        "#code",
        &hearth_app::accounts::totp_code(&secret_of(&data.0), now + 30).unwrap(),
    )
    .await;
    click_and_wait(&b, "form[action='/login/code'] button[type=submit]").await;
    b.wait_url("/host").await;
    let page = main_text(&b).await;
    assert!(page.contains("Fernvale Borough Council"), "{page}");
    let href = b
        .execute("return [...document.querySelectorAll('main a')].find(a => a.innerText.includes('Fernvale')).getAttribute('href');")
        .await;
    b.goto(&format!("{base}{}", href.as_str().unwrap())).await;
    b.wait_text("Set up").await;
    assert!(!main_text(&b).await.contains("Not signed in yet"));
    b.quit().await;
    drop(server);
}

fn secret_of(data: &std::path::Path) -> String {
    demo_account(data, "host").1
}
