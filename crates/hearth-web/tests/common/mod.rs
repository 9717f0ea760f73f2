//! HTTP test harness: starts the app on a random port with a fresh database loaded with the
//! small demo data, and typed helpers for signing in as each demo role.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_app::demo::DemoAccount;
use hearth_app::demo::Scale;
use hearth_app::Principal;
use hearth_app::{App, AppConfig};
use hearth_store::testing::{self, TestDb};
use std::net::SocketAddr;

pub struct TestApp {
    pub addr: SocketAddr,
    pub app: App,
    pub accounts: Vec<DemoAccount>,
    pub db_name: &'static str,
    _db: TestDb,
}

/// Each database the suite runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
pub async fn each_db() -> Vec<TestDb> {
    testing::all().await.unwrap()
}

impl TestApp {
    /// A server over `db`, loaded with the small demo data.
    pub async fn start(db: TestDb) -> TestApp {
        // Tests set up states with SQL straight to the database, which a node's copies of
        // directory rows would not see for seconds; the copies have their own tests
        // (hearth-app/tests/directory.rs).
        Self::start_with(
            db,
            AppConfig {
                directory_cache_seconds: 0,
                ..AppConfig::default()
            },
        )
        .await
    }

    pub async fn start_with(db: TestDb, config: AppConfig) -> TestApp {
        let web = hearth_web::WebConfig {
            secure_cookies: false,
            ..Default::default()
        };
        Self::start_web(db, config, web).await
    }

    /// A server with its own web settings too (trusted proxies, for tests that need to appear
    /// to come from several addresses).
    pub async fn start_web(db: TestDb, config: AppConfig, web: hearth_web::WebConfig) -> TestApp {
        let app = App::new(db.db.clone(), config);
        let summary = app.load_demo(Scale::Small, 7, &|_| {}).await.unwrap();
        let router = hearth_web::router(app.clone(), web);
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
        TestApp {
            addr,
            app,
            accounts: summary.accounts,
            db_name: db.name,
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn account(&self, username: &str) -> &DemoAccount {
        self.accounts
            .iter()
            .find(|a| a.username == username)
            .unwrap()
    }

    /// A fresh browser-like client (cookies kept, redirects not followed).
    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: format!("http://{}", self.addr),
        }
    }

    /// A client signed in as `username` (password, then a current TOTP code).
    pub async fn signed_in(&self, username: &str) -> Client {
        self.signed_in_at(username, 0).await
    }

    /// A second sign-in of the same account soon after the first (the next code).
    pub async fn signed_in_next(&self, username: &str) -> Client {
        self.signed_in_at(username, 30).await
    }

    async fn signed_in_at(&self, username: &str, offset: u64) -> Client {
        let c = self.client();
        let a = self.account(username).clone();
        let r = c.login(&a.username, &a.password).await;
        assert_eq!(r.status(), 303, "password step for {username}");
        assert_eq!(location(&r), "/login/code");
        let now = u64::try_from(hearth_store::now()).unwrap();
        let code = hearth_app::accounts::totp_code(&a.totp_secret, now + offset).unwrap();
        let r = c.post_form("/login/code", &[("code", &code)]).await;
        assert_eq!(r.status(), 303, "code step for {username}");
        c
    }
}

pub fn current_code(secret: &str) -> String {
    let now = u64::try_from(hearth_store::now()).unwrap();
    hearth_app::accounts::totp_code(secret, now).unwrap()
}

/// The code for the next 30-second step (accepted: one step of drift is allowed).
pub fn next_code(secret: &str) -> String {
    let now = u64::try_from(hearth_store::now()).unwrap();
    hearth_app::accounts::totp_code(secret, now + 30).unwrap()
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap()
    }

    pub async fn text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let s = r.status().as_u16();
        (s, r.text().await.unwrap())
    }

    /// The CSRF token from a page's form.
    pub async fn csrf_from(&self, path: &str) -> String {
        let (_, body) = self.text(path).await;
        extract_csrf(&body).unwrap_or_else(|| panic!("no csrf field on {path}"))
    }

    /// Posts a form with the CSRF token taken from the page it came from (or the home page).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let (_, body) = self.text(path).await;
        let token = match extract_csrf(&body) {
            Some(t) => t,
            None => {
                let (_, home) = self.text("/home").await;
                match extract_csrf(&home) {
                    Some(t) => t,
                    None => self.csrf_from("/login").await,
                }
            }
        };
        self.post_raw(path, fields, Some(&token)).await
    }

    /// Posts a form with exactly the given CSRF token (or none).
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> reqwest::Response {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(t) = csrf {
            form.push(("csrf".into(), t.into()));
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.http
            .post(format!("{}{}", self.base, path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/login",
            &[("username", username), ("password", password), ("next", "")],
        )
        .await
    }
}

pub fn extract_csrf(body: &str) -> Option<String> {
    let i = body.find("name=\"csrf\" value=\"")?;
    let rest = &body[i + "name=\"csrf\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_string())
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------- shared helpers of the HTTP tests ----------------

pub async fn principal(t: &TestApp, username: &str) -> Principal {
    let u = t
        .app
        .db_for_tests()
        .user_by_username(username)
        .await
        .unwrap()
        .unwrap();
    t.app.principal_for(u, None).await.unwrap().unwrap()
}

pub fn provider_id(p: &Principal) -> i64 {
    match p {
        Principal::Provider { provider_id, .. } => *provider_id,
        _ => panic!("not a provider user"),
    }
}

pub fn contact_id(p: &Principal) -> i64 {
    match p {
        Principal::Provider { contact, .. } => contact.id,
        _ => panic!("not a provider user"),
    }
}

/// The GOV.UK error summary of a page ("" when there is none).
pub fn error_summary(body: &str) -> &str {
    let Some(start) = body.find("class=\"govuk-error-summary\"") else {
        return "";
    };
    let rest = &body[start..];
    let end = rest.find("</ul>").unwrap_or(rest.len());
    &rest[..end]
}

/// The error message shown beside a field ("" when there is none).
pub fn field_error<'a>(body: &'a str, field: &str) -> &'a str {
    let marker = format!("id=\"{field}-error\"");
    let Some(start) = body.find(&marker) else {
        return "";
    };
    let rest = &body[start..];
    &rest[..rest.find("</p>").unwrap_or(rest.len())]
}

/// A small, complete web-form return for quarter `q` (no breach of the default triggers'
/// checks on completeness).
pub fn small_return_form(
    q: hearth_domain::performance::Quarter,
) -> hearth_app::returns::ReturnForm {
    hearth_app::returns::ReturnForm {
        quarter: q.label(),
        service_users_supported: "10".into(),
        maintained_independent_living: "10".into(),
        new_service_users: "1".into(),
        departures: "1".into(),
        planned_departures: "1".into(),
        unavailable_unit_days: "0".into(),
        occupied_unit_days: "1".into(),
        support_hours_contracted: "10".into(),
        support_hours_delivered: "10".into(),
        ..Default::default()
    }
}

/// The id of the request a form's redirect leads to (`/requests/ID?sent=1`).
pub fn request_id(r: &reqwest::Response) -> i64 {
    let to = location(r);
    to.trim_start_matches("/requests/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("not a request's page: {to}"))
}

// ---------------- multipart (the harness client has no multipart feature) ----------------

pub const BOUNDARY: &str = "----HearthTestBoundary5QJ2";

/// A multipart body of (name, optional file name, content) parts.
pub fn multipart_body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, file, content) in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => out.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        out.extend_from_slice(content);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

impl Client {
    /// Posts a multipart form of (name, optional file name, content) parts, with the CSRF
    /// token of the page at `from`.
    pub async fn post_multipart(
        &self,
        from: &str,
        path: &str,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> reqwest::Response {
        let csrf = self.csrf_from(from).await;
        let mut all: Vec<(&str, Option<&str>, &[u8])> = vec![("csrf", None, csrf.as_bytes())];
        all.extend_from_slice(parts);
        self.http
            .post(format!("{}{}", self.base, path))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart_body(&all))
            .send()
            .await
            .unwrap()
    }
}
