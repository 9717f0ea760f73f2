//! The page shell after the move to GOV.UK Frontend 6 (usability issue, "GOV.UK patterns"):
//! a header that names the authority with no crown and no GOV.UK logotype, the service
//! navigation with the current page marked, breadcrumbs or a back link below the top level,
//! the signed-in bar and phase banner inside the header landmark, wide tables in a scrolling
//! region, and the footer's information pages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

const AUTHORITY: &str = "Brackenshire County Council";

/// The page's `<header>` element, from its opening tag to its end.
fn header(body: &str) -> &str {
    let start = body.find("<header").expect("a header");
    let end = body.find("</header>").expect("the header's end");
    &body[start..end]
}

/// The service navigation's links: (address, `aria-current` if any).
fn nav_links(body: &str) -> Vec<(String, Option<String>)> {
    let start = body
        .find("class=\"govuk-service-navigation__list\"")
        .expect("service navigation");
    let list = &body[start..start + body[start..].find("</ul>").unwrap()];
    list.split("<a ")
        .skip(1)
        .map(|a| {
            let tag = &a[..a.find('>').unwrap()];
            let attr = |name: &str| {
                tag.find(&format!("{name}=\""))
                    .map(|i| &tag[i + name.len() + 2..])
                    .map(|v| v[..v.find('"').unwrap()].to_string())
            };
            (attr("href").unwrap(), attr("aria-current"))
        })
        .collect()
}

/// Ids of the provider account's first service, property and contract, and its organisation.
async fn record_ids(t: &TestApp) -> (i64, i64, i64, i64) {
    let p = principal(t, "provider").await;
    let mut f = p.service_filter();
    f.per_page = 100;
    let db = t.app.db_for_tests();
    let service = db.list_services(&f).await.unwrap().items[0].id;
    let property = db.list_properties(&f).await.unwrap().items[0].id;
    let mut cf = p.contract_filter();
    cf.per_page = 100;
    let contract = db.list_contracts(&cf).await.unwrap().items[0].id;
    (service, property, contract, provider_id(&p))
}

#[tokio::test]
async fn the_header_names_the_authority_with_no_crown_and_no_govuk_logotype() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    for role in ["officer", "provider"] {
        let c = t.signed_in(role).await;
        let (status, body) = c.text("/home").await;
        assert_eq!(status, 200);
        let h = header(&body);
        assert!(
            h.contains(AUTHORITY),
            "{role}: the header names the authority"
        );
        assert!(!h.contains("<svg"), "{role}: no crown (or any logo image)");
        assert!(!h.contains("GOV.UK"), "{role}: no GOV.UK logotype");
        assert!(!h.contains("govuk-header__logotype"), "{role}");
        assert!(
            !body.contains("govuk-footer__crown"),
            "{role}: no crown in the footer"
        );
        assert!(!body.contains("Crown copyright"), "{role}");
        assert!(
            !body.contains("/assets/images/favicon") && body.contains("/assets/hearth-icon.svg"),
            "{role}: Hearth's own icon, not GOV.UK's crown favicon"
        );
        assert!(
            h.contains("govuk-service-navigation__service-name"),
            "{role}: the service is named in the service navigation"
        );
        // The old header navigation (deprecated in GOV.UK Frontend 6) is gone.
        assert!(!body.contains("govuk-header__navigation"), "{role}");
    }
    let icon = reqwest::get(t.url("/assets/hearth-icon.svg"))
        .await
        .unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    // Signed out, the sign-in page names the service instead of an authority.
    let (_, body) = t.client().text("/login").await;
    assert!(header(&body).contains("Hearth"));
    assert!(!header(&body).contains("<svg") && !header(&body).contains("GOV.UK"));
}

#[tokio::test]
async fn the_public_directory_carries_its_own_name_and_not_the_staff_service_name() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (service, ..) = record_ids(&t).await;
    let anon = t.client();
    let signed = t.signed_in("officer").await;
    for c in [&anon, &signed] {
        for path in [
            "/directory".to_string(),
            format!("/directory/services/{service}"),
        ] {
            let (status, body) = c.text(&path).await;
            assert_eq!(status, 200, "{path}");
            let title_end = body.find("</title>").unwrap();
            let title = &body[body.find("<title>").unwrap()..title_end];
            assert!(
                title.ends_with("– Find housing support and day services"),
                "{path}: {title}"
            );
            assert!(!title.contains("Hearth"), "{path}: {title}");
            assert!(!body.contains("Housing support commissioning"), "{path}");
            assert!(
                !body.contains("govuk-service-navigation__list"),
                "{path}: no staff navigation"
            );
            assert!(header(&body).contains("Find housing support and day services"));
        }
    }
}

#[tokio::test]
async fn the_service_navigation_keeps_every_link_and_marks_the_current_page() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (service, ..) = record_ids(&t).await;
    let staff = [
        "/home",
        "/providers",
        "/services",
        "/properties",
        "/contracts",
        "/requests",
        "/returns",
        "/actions",
        "/payments",
        "/day-activities",
        "/account-requests",
    ];
    let admin_extra = [
        "/admin/users",
        "/admin/audit",
        "/admin/settings",
        "/admin/records",
        "/runs",
    ];
    let provider = [
        "/home",
        "/services",
        "/properties",
        "/contracts",
        "/requests",
        "/returns",
        "/actions",
        "/payments",
        "/day-activities",
        "/contacts",
        "/organisation",
    ];
    for (role, want) in [
        (
            "admin",
            staff
                .iter()
                .chain(admin_extra.iter())
                .copied()
                .collect::<Vec<_>>(),
        ),
        ("officer", staff.to_vec()),
        ("board", staff.to_vec()),
        ("provider", provider.to_vec()),
        ("limited", provider.to_vec()),
    ] {
        let c = t.signed_in(role).await;
        let (_, body) = c.text("/home").await;
        let links = nav_links(&body);
        let hrefs: Vec<&str> = links.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(hrefs, want, "{role}: every navigation link, in order");
        let current: Vec<_> = links.iter().filter(|(_, a)| a.is_some()).collect();
        assert_eq!(
            current,
            vec![&("/home".to_string(), Some("page".to_string()))],
            "{role}: Home is the current page, and only it"
        );
    }
    let c = t.signed_in_next("officer").await;
    let (_, body) = c.text("/services").await;
    assert!(nav_links(&body).contains(&("/services".into(), Some("page".into()))));
    assert!(body.contains(
        "govuk-service-navigation__item govuk-service-navigation__item--active\"><a class=\"govuk-service-navigation__link\" href=\"/services\""
    ));
    // Inside a section, its link is marked as the section ("true"), not as the page.
    let (_, body) = c.text(&format!("/services/{service}")).await;
    let links = nav_links(&body);
    assert!(
        links.contains(&("/services".into(), Some("true".into()))),
        "{links:?}"
    );
    assert_eq!(links.iter().filter(|(_, a)| a.is_some()).count(), 1);
}

#[tokio::test]
async fn pages_below_the_top_level_have_breadcrumbs_or_a_back_link() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (service, property, contract, provider) = record_ids(&t).await;
    let has_nav = |body: &str| {
        body.contains("class=\"govuk-breadcrumbs\"") || body.contains("class=\"govuk-back-link\"")
    };
    let admin = t.signed_in("admin").await;
    for path in [
        "/account/password".to_string(),
        "/admin/users".into(),
        "/admin/users/new".into(),
        "/admin/audit".into(),
        "/admin/settings".into(),
        format!("/providers/{provider}"),
        format!("/services/{service}"),
        format!("/properties/{property}"),
        format!("/contracts/{contract}"),
        format!("/services/{service}/edit"),
        "/returns/tracker".into(),
        "/returns/analysis".into(),
        "/returns/triggers".into(),
    ] {
        let (status, body) = admin.text(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            has_nav(&body),
            "{path} has neither breadcrumbs nor a back link"
        );
    }
    let provider_client = t.signed_in("provider").await;
    for path in [
        "/account/password".to_string(),
        format!("/services/{service}"),
        format!("/services/{service}/returns"),
        format!("/contracts/{contract}"),
    ] {
        let (status, body) = provider_client.text(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(has_nav(&body), "provider {path}");
    }
    // The derived breadcrumbs lead up through the section to the record.
    let crumbs = |body: &str| {
        let at = body.find("class=\"govuk-breadcrumbs\"")?;
        let rest = &body[at..];
        Some(rest[..rest.find("</nav>").unwrap()].to_string())
    };
    let (_, body) = admin.text("/account/password").await;
    let c = crumbs(&body).expect("breadcrumbs on the password page");
    assert!(
        c.contains("href=\"/home\"") && c.contains("href=\"/account\""),
        "{c}"
    );
    // A top-level page has none.
    let (_, body) = admin.text("/services").await;
    assert!(!has_nav(&body));
}

#[tokio::test]
async fn the_signed_in_bar_and_the_phase_banner_are_inside_the_header_landmark() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.signed_in("officer").await;
    let (_, body) = c.text("/home").await;
    let h = header(&body);
    assert!(
        h.contains("govuk-phase-banner"),
        "the phase banner is in the header"
    );
    assert!(
        h.contains("data-testid=\"signed-in-user\""),
        "the signed-in bar is in the header"
    );
    assert!(h.contains("data-testid=\"sign-out\""));
    let (_, body) = t.client().text("/login").await;
    assert!(header(&body).contains("govuk-phase-banner"));
}

#[tokio::test]
async fn wide_tables_scroll_inside_a_named_focusable_region() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (service, ..) = record_ids(&t).await;
    let c = t.signed_in("officer").await;
    for path in [
        "/services".to_string(),
        "/contracts".into(),
        "/providers".into(),
        "/properties".into(),
        format!("/services/{service}"),
    ] {
        let (status, body) = c.text(&path).await;
        assert_eq!(status, 200, "{path}");
        let tables = body.matches("<table class=\"govuk-table\"").count();
        assert!(tables > 0, "{path} shows a table");
        for (i, _) in body.match_indices("<table class=\"govuk-table\"") {
            let before = &body[..i];
            let div = &before[before.rfind("<div").unwrap()..];
            assert!(
                div.starts_with("<div class=\"hearth-table-scroll\" role=\"region\" aria-label=\"")
                    && div.contains("tabindex=\"0\""),
                "{path}: a table outside a scrolling region: {div}"
            );
        }
    }
    let p = t.signed_in("provider").await;
    let (_, body) = p.text("/requests").await;
    assert_eq!(
        body.matches("<table class=\"govuk-table\"").count(),
        body.matches("class=\"hearth-table-scroll\"").count(),
        "the provider's requests"
    );
    let css = reqwest::get(t.url("/assets/hearth.css"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rule = &css[css.find(".hearth-table-scroll {").expect("the rule")..];
    assert!(rule[..rule.find('}').unwrap()].contains("overflow-x: auto"));
}

#[tokio::test]
async fn the_footer_links_the_information_pages_and_each_answers() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let anon = t.client();
    let officer = t.signed_in("officer").await;
    let pages = [
        ("/accessibility", "Accessibility statement"),
        ("/privacy", "Privacy notice"),
        ("/cookies", "Cookies"),
        ("/complaints", "How to complain"),
        ("/open-data", "Open data"),
    ];
    for c in [&anon, &officer] {
        let (_, home) = c.text("/directory").await;
        let footer = &home[home.find("<footer").unwrap()..];
        for (path, heading) in pages {
            assert!(
                footer.contains(&format!("href=\"{path}\"")),
                "the footer links {path}"
            );
            let (status, body) = c.text(path).await;
            assert_eq!(status, 200, "{path}");
            assert!(
                body.contains(&format!("<h1 class=\"govuk-heading-l\">{heading}")),
                "{path}"
            );
        }
        // The footer's open data link explains the data instead of answering raw JSON.
        assert!(!footer.contains("href=\"/api/oruk/\""));
    }
    let (_, body) = anon.text("/open-data").await;
    assert!(body.contains("href=\"/api/oruk/\""));
    assert!(body.contains("href=\"/api/oruk/services\""));
    assert!(body.contains("Open Referral UK"));
    // Every service page's footer links them too.
    let (_, body) = officer.text("/home").await;
    assert!(body[body.find("<footer").unwrap()..].contains("href=\"/accessibility\""));
}
