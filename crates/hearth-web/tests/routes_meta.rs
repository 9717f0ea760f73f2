//! The route meta-test: every route of the app is either on the explicit public list or
//! registered through the authorising layer, so a route added without a permission fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

use hearth_app::{App, AppConfig};
use hearth_web::routes::PUBLIC_ROUTES;
use hearth_web::{Access, RouteEntry, WebConfig};
use std::collections::HashSet;

fn web_config() -> WebConfig {
    WebConfig {
        secure_cookies: false,
        ..Default::default()
    }
}

/// The route table of a freshly built app (over an empty, migrated database).
async fn route_table(db: &hearth_store::testing::TestDb) -> Vec<RouteEntry> {
    let app = App::new(db.db.clone(), AppConfig::default());
    let (_router, entries) = hearth_web::build(app, web_config());
    entries
}

/// Replaces path parameters with plausible values; None for catch-all parameters.
fn concrete_path(path: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .unwrap_or_else(|| panic!("unbalanced braces in {path}"));
        let name = &rest[open + 1..close];
        if name.starts_with('*') {
            return None;
        }
        out.push_str(match name {
            "id" => "1",
            "action" => "unlock",
            // A parameter this test has not met yet: any plain value exercises the guard.
            _ => "1",
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[test]
fn concrete_paths_substitute_parameters() {
    assert_eq!(
        concrete_path("/providers/{id}/edit").as_deref(),
        Some("/providers/1/edit")
    );
    assert_eq!(
        concrete_path("/admin/users/{id}/{action}").as_deref(),
        Some("/admin/users/1/unlock")
    );
    assert_eq!(concrete_path("/assets/{*path}"), None);
    assert_eq!(concrete_path("/home").as_deref(), Some("/home"));
}

/// Security review finding 10: 403/404 pages for signed-in users, the CSRF error page, public
/// pages viewed while signed in and the sign-in pages were sent without `no-store`. Every
/// response but static assets and the open data must carry it.
fn assert_no_store(r: &reqwest::Response, what: &str) {
    let cc = r
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(cc.contains("no-store"), "{what}: Cache-Control is {cc:?}");
}

#[tokio::test]
async fn pages_that_depend_on_a_session_are_never_stored() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let anon = t.client();
    for path in [
        "/login",
        "/login/forgotten",
        "/login/request",
        "/directory",
        "/no-such-page",
    ] {
        assert_no_store(&anon.get(path).await, &format!("anonymous GET {path}"));
    }
    let failed = anon.login("officer", "wrong-password-entirely").await;
    assert_no_store(&failed, "the failed sign-in page");
    let c = t.signed_in("provider").await;
    for path in [
        "/directory",
        "/directory/services/1",
        "/no-such-page",
        "/providers",
        "/services/999999",
    ] {
        assert_no_store(&c.get(path).await, &format!("signed-in GET {path}"));
    }
    let r = c
        .post_raw("/logout/everywhere", &[], Some("not-the-token"))
        .await;
    assert_eq!(r.status(), 403, "the CSRF error page");
    assert_no_store(&r, "the CSRF error page");
    // Static assets and the open data may be cached.
    let css = anon.get("/api/oruk/services").await;
    assert!(!css
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().contains("no-store"))
        .unwrap_or(false));
}

#[tokio::test]
async fn public_routes_are_exactly_the_public_list() {
    let db = hearth_store::testing::sqlite().await.unwrap();
    let entries = route_table(&db).await;
    assert!(
        entries.len() > 40,
        "the table should hold every route, found {}",
        entries.len()
    );

    let public_list: HashSet<(&str, &str)> = PUBLIC_ROUTES.iter().copied().collect();
    assert_eq!(
        public_list.len(),
        PUBLIC_ROUTES.len(),
        "PUBLIC_ROUTES lists a route twice"
    );

    let mut registered_public = HashSet::new();
    for e in &entries {
        if e.access == Access::Public {
            assert!(
                public_list.contains(&(e.method, e.path)),
                "{} {} is registered as public but is not on PUBLIC_ROUTES",
                e.method,
                e.path
            );
            registered_public.insert((e.method, e.path));
        }
    }
    for (method, path) in PUBLIC_ROUTES {
        assert!(
            entries
                .iter()
                .any(|e| e.method == *method && e.path == *path),
            "{method} {path} is on PUBLIC_ROUTES but no such route is registered"
        );
        assert!(
            registered_public.contains(&(*method, *path)),
            "{method} {path} is on PUBLIC_ROUTES but registered with an access rule other than Public"
        );
    }
    // The back office and the API are never public.
    for e in &entries {
        if e.access == Access::Public {
            assert!(
                !e.path.starts_with("/admin")
                    && !e.path.starts_with("/providers")
                    && !e.path.starts_with("/services"),
                "{} {} must not be public",
                e.method,
                e.path
            );
            // The Open Referral UK API is the public directory's open API, open by design.
            assert!(
                !e.path.starts_with("/api/")
                    || e.path == "/api/v1/openapi.json"
                    || e.path.starts_with("/api/oruk"),
                "{} {} must not be public",
                e.method,
                e.path
            );
        }
    }
}

#[tokio::test]
async fn no_route_is_registered_twice() {
    let db = hearth_store::testing::sqlite().await.unwrap();
    let entries = route_table(&db).await;
    let mut seen = HashSet::new();
    for e in &entries {
        assert!(
            seen.insert((e.method, e.path)),
            "{} {} is registered twice",
            e.method,
            e.path
        );
    }
}

#[tokio::test]
async fn every_non_public_route_refuses_a_request_without_a_session() {
    for db in each_db().await {
        let app = App::new(db.db.clone(), AppConfig::default());
        let (router, entries) = hearth_web::build(app, web_config());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap();
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut checked = 0;
        for e in entries.iter().filter(|e| e.access != Access::Public) {
            let Some(path) = concrete_path(e.path) else {
                continue;
            };
            let url = format!("http://{addr}{path}");
            let method = reqwest::Method::from_bytes(e.method.as_bytes()).unwrap();
            let mut req = http.request(method.clone(), &url);
            if method != reqwest::Method::GET && method != reqwest::Method::HEAD {
                req = req
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("name=Someone&reference=X1&status=done&code=123456&csrf=whatever");
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let what = format!("{} {} ({}) on {}", e.method, e.path, path, db.name);
            assert_no_store(&r, &what);
            assert_ne!(status, 200, "{what} answered 200 without a session");
            if e.path.starts_with("/api/") {
                assert_eq!(status, 401, "{what}");
                let ct = r
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                assert!(
                    ct.starts_with("application/problem+json"),
                    "{what}: content type {ct}"
                );
                let body = r.text().await.unwrap();
                assert!(body.contains("\"unauthenticated\""), "{what}: {body}");
            } else {
                assert_eq!(status, 303, "{what}");
                let to = location(&r);
                assert!(
                    to == "/login" || to.starts_with("/login?"),
                    "{what} redirected to {to}"
                );
                if e.method == "GET" {
                    assert!(
                        to.contains("next="),
                        "{what}: the login page should return to the page, got {to}"
                    );
                }
            }
            checked += 1;
        }
        assert!(
            checked > 40,
            "only {checked} routes were checked on {}",
            db.name
        );
    }
}

#[tokio::test]
async fn public_routes_answer_without_a_session() {
    let db = hearth_store::testing::sqlite().await.unwrap();
    let app = App::new(db.db.clone(), AppConfig::default());
    let (router, entries) = hearth_web::build(app, web_config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for e in entries
        .iter()
        .filter(|e| e.access == Access::Public && e.method == "GET")
    {
        let Some(path) = concrete_path(e.path) else {
            continue;
        };
        let r = http
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        if !hearth_web::publicly_cacheable(&path) {
            assert_no_store(&r, &format!("public GET {path}"));
        }
        // "/" sends visitors to the sign-in page; everything else answers itself.
        if e.path == "/" {
            assert_eq!(status, 303);
            assert_eq!(location(&r), "/login");
        } else if e.path.contains('{') {
            // A made-up id of a public record answers "not found", never a sign-in.
            assert!(
                status == 200 || status == 404,
                "public GET {} answered {status}",
                e.path
            );
        } else {
            assert_eq!(status, 200, "public GET {} answered {status}", e.path);
        }
    }
}

/// The authorisation matrix over every parameterless page: each role gets an answer its
/// role allows (never a server error), and provider users are never told a back-office
/// page exists (404, not 403).
#[tokio::test]
async fn every_signed_in_page_answers_each_role_sensibly() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (_r, entries) = hearth_web::build(t.app.clone(), web_config());
    let pages: Vec<&RouteEntry> = entries
        .iter()
        .filter(|e| {
            e.method == "GET" && !e.path.contains('{') && matches!(e.access, Access::Signed(_))
        })
        .collect();
    assert!(pages.len() > 15, "{} pages", pages.len());
    for user in [
        "admin",
        "officer",
        "contracts",
        "finance",
        "board",
        "provider",
        "limited",
    ] {
        let c = t.signed_in(user).await;
        let is_provider = user == "provider" || user == "limited";
        for e in &pages {
            let Access::Signed(permission) = e.access else {
                unreachable!()
            };
            let r = c.get(e.path).await;
            let status = r.status().as_u16();
            let who = format!("{user} GET {}", e.path);
            assert_no_store(&r, &who);
            assert!(status < 500, "{who} answered {status}");
            let allowed = match (permission, user) {
                (hearth_app::Permission::SignedIn, _) => true,
                (hearth_app::Permission::ProviderPortal, u) => u == "provider" || u == "limited",
                (hearth_app::Permission::BackOfficeRead, u) => !(u == "provider" || u == "limited"),
                (hearth_app::Permission::BackOfficeWrite, u) => {
                    matches!(u, "admin" | "officer" | "contracts" | "finance")
                }
                (hearth_app::Permission::Administer, u) => u == "admin",
                (hearth_app::Permission::Finance, u) => u == "finance",
                // No route asks for it: only the command line's system principal holds it.
                (hearth_app::Permission::Maintain, _) => false,
                // The host administrator's pages (the matrix walks them as the host).
                (hearth_app::Permission::Host, _) => false,
            };
            if allowed {
                assert_eq!(status, 200, "{who}");
            } else if is_provider {
                assert_eq!(
                    status, 404,
                    "{who}: a provider user is told the page does not exist"
                );
            } else if permission == hearth_app::Permission::ProviderPortal {
                assert!(status == 403 || status == 404, "{who} answered {status}");
            } else {
                assert_eq!(status, 403, "{who}");
            }
        }
    }
}
