//! Helpers for tests that run the real `hearth` binary: start and stop servers, sign in over
//! HTTP, and a small WebDriver client for headless Chromium.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn hearth() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A temporary folder removed on drop.
pub struct Tmp(pub PathBuf);
impl Tmp {
    pub fn new(name: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!(
            "hearth-{name}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running server process, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }
    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `hearth ARGS` and waits until /readyz answers.
pub fn start(mut cmd: Command, port: u16) -> Server {
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let child = cmd.spawn().unwrap();
    let server = Server { child, port };
    wait_ready(&server.url("/readyz"), Duration::from_secs(60));
    server
}

pub fn wait_ready(url: &str, limit: Duration) {
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::blocking_get(url) {
            if r {
                return;
            }
        }
        if start.elapsed() > limit {
            panic!("{url} did not become ready in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

mod reqwest {
    /// A blocking GET that only says whether the answer was 200 (std only, no runtime).
    pub fn blocking_get(url: &str) -> std::io::Result<bool> {
        use std::io::{Read, Write};
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut s = std::net::TcpStream::connect(host)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )?;
        // Read just the status line: some servers keep the connection open.
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf)?;
        Ok(buf.starts_with(b"HTTP/1.1 200"))
    }
}

/// Demo accounts written by `hearth demo` (role, username, password, secret).
pub fn demo_account(data_dir: &Path, username: &str) -> (String, String) {
    let text = std::fs::read_to_string(data_dir.join("demo-accounts.txt")).unwrap();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() == 4 && f[1] == username {
            return (f[2].to_string(), f[3].to_string());
        }
    }
    panic!("no demo account {username}");
}

pub fn totp_now(secret: &str) -> String {
    let now = u64::try_from(hearth_store::now()).unwrap();
    hearth_app::accounts::totp_code(secret, now).unwrap()
}

pub fn extract_csrf(body: &str) -> String {
    let key = "name=\"csrf\" value=\"";
    let i = body.find(key).expect("csrf field");
    let rest = &body[i + key.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// An HTTP client with cookies that does not follow redirects.
pub fn client() -> ::reqwest::Client {
    ::reqwest::Client::builder()
        .cookie_store(true)
        .redirect(::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs `c` in at `base` as a demo user.
pub async fn sign_in(
    c: &::reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
    secret: &str,
) {
    sign_in_at(c, base, username, password, secret, 0).await
}

/// Signs in with the code `offset_seconds` ahead (a code is accepted once per account, so a
/// second sign-in within the same 30 seconds uses the next one, which is still accepted).
pub async fn sign_in_at(
    c: &::reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
    secret: &str,
    offset_seconds: u64,
) {
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "password step");
    let page = c
        .get(format!("{base}/login/code"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    let now = u64::try_from(hearth_store::now()).unwrap();
    let code = hearth_app::accounts::totp_code(secret, now + offset_seconds).unwrap();
    let r = c
        .post(format!("{base}/login/code"))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "code step");
}

/// Whether end-to-end browser tests can run; panics when they must (CI) but cannot.
pub fn browser_available() -> bool {
    let ok = Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists();
    if !ok {
        if std::env::var("HEARTH_REQUIRE_E2E").is_ok() {
            panic!("HEARTH_REQUIRE_E2E is set but chromium / chromedriver are not installed");
        }
        eprintln!(
            "skipping the browser test: install Debian's chromium and chromium-driver to run it"
        );
    }
    ok
}

/// A minimal WebDriver client over chromedriver's HTTP API.
pub struct Browser {
    http: ::reqwest::Client,
    base: String,
    session: String,
    driver: Child,
    _profile: Tmp,
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&format!("{base}/status"), Duration::from_secs(20));
        let profile = Tmp::new("chromium-profile");
        let http = ::reqwest::Client::new();
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                         format!("--user-data-dir={}", profile.0.display()), "--window-size=1280,1000"]
            }
        }}});
        let v: serde_json::Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Browser {
            http,
            base,
            session,
            driver,
            _profile: profile,
        }
    }

    async fn cmd(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).json(&body),
        };
        let v: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
        if v["value"].get("error").is_some() {
            panic!("webdriver {path}: {v}");
        }
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", serde_json::json!({ "url": url }))
            .await;
    }

    pub async fn url(&self) -> String {
        self.cmd("GET", "/url", serde_json::json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits (up to 10 s) until the address contains `part`, and returns it.
    pub async fn wait_url(&self, part: &str) -> String {
        let start = Instant::now();
        loop {
            let u = self.url().await;
            if u.contains(part) {
                return u;
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!("waited for an address containing {part}, still at {u}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 10 s) until the page contains `text`.
    pub async fn wait_text(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let html = self.source().await;
            if html.contains(text) {
                return html;
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!("waited for the page to contain {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn source(&self) -> String {
        self.cmd("GET", "/source", serde_json::json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn find(&self, css: &str) -> String {
        let v = self
            .cmd(
                "POST",
                "/element",
                serde_json::json!({"using": "css selector", "value": css}),
            )
            .await;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            serde_json::json!({ "text": text }),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd(
            "POST",
            &format!("/element/{el}/click"),
            serde_json::json!({}),
        )
        .await;
    }

    pub async fn text_of(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd("GET", &format!("/element/{el}/text"), serde_json::json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs a script in the page and returns its result.
    pub async fn execute(&self, script: &str) -> serde_json::Value {
        self.cmd(
            "POST",
            "/execute/sync",
            serde_json::json!({"script": script, "args": []}),
        )
        .await
    }

    /// Runs an asynchronous script (it calls its last argument with the result).
    pub async fn execute_async(&self, script: &str) -> serde_json::Value {
        self.cmd(
            "POST",
            "/execute/async",
            serde_json::json!({"script": script, "args": []}),
        )
        .await
    }

    /// Runs axe-core (from the npm package) on the page and returns the serious or critical
    /// violations as "rule: impact (nodes)".
    pub async fn serious_accessibility_violations(&self) -> Vec<String> {
        let axe = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/axe-core/axe.min.js"),
        )
        .expect("axe-core is installed by npm ci (package.json)");
        self.execute(&format!("{axe}\n;return typeof axe;")).await;
        let v = self
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
                    .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }))))
                    .catch(e => done([{ id: 'axe-error', impact: 'critical', nodes: 0, help: String(e) }]));",
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter(|x| matches!(x["impact"].as_str(), Some("serious") | Some("critical")))
                    .map(|x| {
                        format!(
                            "{}: {} ({} nodes) {}",
                            x["id"], x["impact"], x["nodes"], x["help"]
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs axe-core on the page with the same tags as
    /// [`Browser::serious_accessibility_violations`] and returns every violation, whatever its
    /// impact (minor and moderate too), as "rule (impact, N nodes): help; first node's target".
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/axe-core/axe.min.js"),
        )
        .expect("axe-core is installed by npm ci (package.json)");
        self.execute(&format!("{axe}\n;return typeof axe;")).await;
        let v = self
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
                    .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help,
                        target: v.nodes.length ? v.nodes[0].target.map(String).join(' ') : '' }))))
                    .catch(e => done([{ id: 'axe-error', impact: 'critical', nodes: 0, help: String(e), target: '' }]));",
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        format!(
                            "{} ({}, {} nodes): {}; first: {}",
                            x["id"].as_str().unwrap_or_default(),
                            x["impact"].as_str().unwrap_or("none"),
                            x["nodes"],
                            x["help"].as_str().unwrap_or_default(),
                            x["target"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_else(|| vec![format!("axe gave no list: {v}")])
    }

    /// Runs one axe-core rule on the page, whatever its impact (the "region" rule, every piece
    /// of content inside a landmark, is only "moderate"); the nodes that break it, as HTML.
    pub async fn rule_violations(&self, rule: &str) -> Vec<String> {
        let axe = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/axe-core/axe.min.js"),
        )
        .expect("axe-core is installed by npm ci (package.json)");
        self.execute(&format!("{axe}\n;return typeof axe;")).await;
        let v = self
            .execute_async(&format!(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {{ runOnly: {{ type: 'rule', values: ['{rule}'] }} }})
                    .then(r => done(r.violations.flatMap(v => v.nodes.map(n => n.html))))
                    .catch(e => done(['axe-error: ' + String(e)]));"
            ))
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn set_window(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            serde_json::json!({"width": width, "height": height}),
        )
        .await;
    }

    pub async fn select_value(&self, css: &str, value: &str) {
        self.execute(&format!(
            "const e = document.querySelector({css:?}); e.value = {value:?}; return e.value;"
        ))
        .await;
    }

    pub async fn screenshot(&self, path: &Path) {
        use base64_decode as b64;
        let v = self.cmd("GET", "/screenshot", serde_json::json!({})).await;
        std::fs::write(path, b64(v.as_str().unwrap_or_default())).unwrap();
    }

    pub async fn quit(mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let table = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        if let Some(v) = table(c) {
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
    }
    out
}

/// Signs a demo user in through the browser's sign-in pages (the code `offset` seconds ahead,
/// for a second sign-in of the same account within 30 seconds).
pub async fn browser_sign_in(b: &Browser, base: &str, data: &Path, username: &str, offset: u64) {
    let (password, secret) = demo_account(data, username);
    b.goto(&format!("{base}/login")).await;
    b.type_into("#username", username).await;
    b.type_into("#password", &password).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_url("/login/code").await;
    let now = u64::try_from(hearth_store::now()).unwrap();
    b.type_into(
        "#code",
        &hearth_app::accounts::totp_code(&secret, now + offset).unwrap(),
    )
    .await;
    b.click("form[action='/login/code'] button[type=submit]")
        .await;
    b.wait_url("/home").await;
}

/// A demo server on its own data folder, with or without the demo's two years of history.
pub fn demo_server(name: &str, history: bool) -> (Tmp, Server) {
    let data = Tmp::new(name);
    let port = free_port();
    let mut cmd = hearth();
    cmd.args(["--data-dir", data.0.to_str().unwrap(), "demo"]);
    if !history {
        cmd.arg("--no-history");
    }
    cmd.args(["--listen", &format!("127.0.0.1:{port}")]);
    let server = start(cmd, port);
    (data, server)
}

/// axe-core finds nothing on the page, at any impact.
pub async fn assert_accessible(b: &Browser, page: &str) {
    let v = b.accessibility_violations().await;
    assert!(v.is_empty(), "{page}: {v:?}");
}

/// With `HEARTH_SCREENSHOTS=DIR` set, saves the whole page as `DIR/NAME.png`.
pub async fn screenshot_if_asked(b: &Browser, name: &str) {
    if let Some(dir) = std::env::var("HEARTH_SCREENSHOTS")
        .ok()
        .map(std::path::PathBuf::from)
    {
        b.execute("document.documentElement.style.overflowY = 'hidden'; return 1;")
            .await;
        b.screenshot(&dir.join(format!("{name}.png"))).await;
        b.execute("document.documentElement.style.overflowY = ''; return 1;")
            .await;
    }
}

/// Clicks a form's button and gives the next page a moment to load.
pub async fn click_and_wait(b: &Browser, css: &str) {
    b.click(css).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
}
