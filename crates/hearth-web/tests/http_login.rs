//! Signing in: password and TOTP, replay refused, lockout, idle timeout, CSRF.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

#[tokio::test]
async fn login_with_password_and_totp_reaches_the_home_page() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let c = t.signed_in("provider").await;
        let (status, body) = c.text("/home").await;
        assert_eq!(status, 200, "{}", t.db_name);
        assert!(body.contains("Your home page"), "{}", t.db_name);
        let r = c.get("/home").await;
        assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
        assert!(r
            .headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
    }
}

#[tokio::test]
async fn a_reused_totp_code_is_refused() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let a = t.account("officer").clone();
    let code = current_code(&a.totp_secret);
    let c1 = t.client();
    assert_eq!(c1.login("officer", &a.password).await.status(), 303);
    assert_eq!(
        c1.post_form("/login/code", &[("code", &code)])
            .await
            .status(),
        303
    );
    let c2 = t.client();
    assert_eq!(c2.login("officer", &a.password).await.status(), 303);
    let r = c2.post_form("/login/code", &[("code", &code)]).await;
    assert_eq!(r.status(), 422, "the same code must not be accepted twice");
    assert_eq!(
        c2.get("/home").await.status(),
        303,
        "second client is not signed in"
    );
}

#[tokio::test]
async fn idle_sessions_end_and_return_the_user_to_their_page() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.signed_in("officer").await;
    assert_eq!(c.get("/providers").await.status(), 200);
    sqlx_exec(&t, "UPDATE sessions SET last_seen_at = last_seen_at - 3600").await;
    let r = c.get("/providers?q=a").await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with("/login?next=/providers"), "{to}");
    assert!(to.contains("reason=idle"), "{to}");
    let (_, body) = c.text(&to).await;
    assert!(body.contains("You were signed out because you had not done anything"));
    // Signing in again returns to the page.
    let a = t.account("officer").clone();
    let token = extract_csrf(&body).unwrap();
    let r = c
        .post_raw(
            "/login",
            &[
                ("username", "officer"),
                ("password", &a.password),
                ("next", "/providers?q=a"),
            ],
            Some(&token),
        )
        .await;
    assert_eq!(location(&r), "/login/code");
    let r = c
        .post_form("/login/code", &[("code", &next_code(&a.totp_secret))])
        .await;
    assert_eq!(location(&r), "/providers?q=a");
}

async fn sqlx_exec(t: &TestApp, sql: &str) {
    hearth_store::testing::exec(t.app.db_for_tests(), sql)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_form_without_its_csrf_token_changes_nothing() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.signed_in("officer").await;
    let before = t
        .app
        .db_for_tests()
        .list_providers(&Default::default())
        .await
        .unwrap()
        .total;
    let r = c
        .post_raw(
            "/providers/new",
            &[("name", "Sneaky Ltd"), ("reference", "SNK1")],
            None,
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = c
        .post_raw(
            "/providers/new",
            &[("name", "Sneaky Ltd"), ("reference", "SNK1")],
            Some("not-the-token"),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        t.app
            .db_for_tests()
            .list_providers(&Default::default())
            .await
            .unwrap()
            .total,
        before
    );
    // Signing out also needs the token.
    assert_eq!(c.post_raw("/logout", &[], None).await.status(), 403);
    assert_eq!(c.get("/home").await.status(), 200, "still signed in");
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c1 = t.signed_in("admin").await;
    // Second session needs a fresh code step: wait for the next window is slow, so use the next code.
    let a = t.account("admin").clone();
    let c2 = t.client();
    assert_eq!(c2.login("admin", &a.password).await.status(), 303);
    assert_eq!(
        c2.post_form("/login/code", &[("code", &next_code(&a.totp_secret))])
            .await
            .status(),
        303
    );
    assert_eq!(c2.get("/home").await.status(), 200);
    let r = c1.post_form("/logout/everywhere", &[]).await;
    assert_eq!(location(&r), "/signed-out");
    assert_eq!(c1.get("/home").await.status(), 303);
    assert_eq!(c2.get("/home").await.status(), 303);
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.signed_in("contracts").await;
    assert_eq!(c.get("/contracts").await.status(), 200);
    sqlx_exec(&t, "UPDATE sessions SET expires_at = 1").await;
    let r = c.get("/contracts").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("reason=expired"));
    assert_eq!(
        hearth_store::testing::exec(
            t.app.db_for_tests(),
            "DELETE FROM sessions WHERE expires_at = 1"
        )
        .await
        .unwrap(),
        0,
        "the expired session was removed"
    );
}

#[tokio::test]
async fn an_unexpected_error_shows_a_request_id_and_no_internals() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.signed_in("officer").await;
    sqlx_exec(&t, "DROP TABLE contract_services").await;
    let r = c.get("/contracts/1").await;
    assert_eq!(r.status(), 500);
    let id = r
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let body = r.text().await.unwrap();
    assert!(body.contains(&id), "the page shows the request id");
    assert!(
        !body.contains("contract_services"),
        "no internals on the page"
    );
    assert!(!body.to_lowercase().contains("sqlite"));
}

#[tokio::test]
async fn unknown_pages_are_not_found_with_the_shell() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (status, body) = t.client().text("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"));
    assert!(body.contains("govuk-skip-link"));
    let c = t.signed_in("provider").await;
    let (status, body) = c.text("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("Sign out"),
        "signed-in users keep the header on a 404"
    );
}

// Security review finding 2: `next=%2F%09%2Fevil.example%2Fphish` sent the user, once signed
// in, to `Location: /<TAB>/evil.example/phish`, which browsers follow to evil.example; a newline
// left them on a 303 with no Location. Every hostile `next` now lands on the home page.
#[tokio::test]
async fn a_hostile_next_after_sign_in_lands_on_the_home_page() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    for (username, next) in [
        ("officer", "/\t/evil.example/phish"),
        ("contracts", "/\r\n/evil.example"),
        ("finance", "/%09/evil.example"),
        ("board", "/\\evil.example"),
        ("admin", "//evil.example"),
    ] {
        let c = t.client();
        let a = t.account(username).clone();
        // The sign-in page keeps only a safe `next` in its form.
        let (_, page) = c.text(&format!("/login?next={}", enc(next))).await;
        assert!(
            !page.contains("evil.example"),
            "{next:?} is not carried by the form"
        );
        let r = c
            .post_form(
                "/login",
                &[
                    ("username", username),
                    ("password", &a.password),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(location(&r), "/login/code");
        let r = c
            .post_form("/login/code", &[("code", &current_code(&a.totp_secret))])
            .await;
        assert_eq!(r.status(), 303, "{username}");
        assert_eq!(location(&r), "/home", "{next:?}");
    }
}

// Security review finding 5: the second factor cannot be switched off for anyone who can see
// client data (every role can), and choosing the legacy password rules warns what it costs.
#[tokio::test]
async fn the_second_factor_cannot_be_switched_off_and_legacy_rules_warn() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let admin = t.signed_in("admin").await;
    let (_, page) = admin.text("/admin/settings").await;
    assert!(page.contains("data-testid=\"totp-always\""));
    assert!(
        !page.contains("name=\"provider_totp_required\""),
        "no switch to turn it off"
    );
    let r = admin
        .post_form(
            "/admin/settings",
            &[
                ("password_policy", "legacy"),
                ("idle_minutes", "30"),
                ("provider_totp_required", ""),
            ],
        )
        .await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let u = t
        .app
        .db_for_tests()
        .user_by_username("admin")
        .await
        .unwrap()
        .unwrap();
    let a = t
        .app
        .db_for_tests()
        .authority(u.authority_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.provider_totp_required, 1, "still required");
    let (_, page) = admin.text("/admin/settings").await;
    assert!(
        page.contains("data-testid=\"legacy-warning\""),
        "the legacy rules warn what they cost"
    );
    // A provider user without an authenticator must enrol one.
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        "UPDATE users SET totp_secret = NULL WHERE username = 'provider'",
    )
    .await
    .unwrap();
    let c = t.client();
    let r = c.login("provider", &t.account("provider").password).await;
    assert_eq!(location(&r), "/login/enrol");
}
