//! Every page type, as every kind of user sees it, checked with axe-core in headless Chromium
//! (issue 10, "axe results on every page type": no violations at all, minor and moderate
//! included). One demo server; the public (not signed in), then the provider, the provider
//! with limited access, an officer, a board member (read only) and an administrator each
//! visit one page of every type they can reach: home, lists, records, forms and forms with
//! their errors, the sign-in pages, the footer pages and the error pages. Ids come from the
//! links on the list pages. Every failure is collected and the test fails once at the end
//! with the whole list.
//!
//! With `HEARTH_SCREENSHOTS=DIR` set, each page is saved as a full-page screenshot named as
//! in `docs/screenshots/` (`provider-home.png`, `staff-requests.png` ...), so the guides'
//! images can be refreshed:
//! `HEARTH_SCREENSHOTS=$PWD/docs/screenshots HEARTH_REQUIRE_E2E=1 cargo test -p hearth --test e2e_pages`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::*;

/// The headings of the pages a visit should not land on by accident.
const WRONG_PAGES: &[&str] = &[
    "Page not found",
    "You cannot do this",
    "Sign in",
    "Sorry, there is a problem with the service",
    "Enter the code from your authenticator app",
];

struct Audit {
    base: String,
    shots: Option<PathBuf>,
    failures: Vec<String>,
    /// (role, page type, path) of every page checked, printed at the end.
    covered: Vec<(String, String, String)>,
    started: Instant,
}

impl Audit {
    fn path_of(&self, url: &str) -> String {
        url.trim_start_matches(&self.base).to_string()
    }

    /// Opens `path` and checks it (`shot` names the page and its screenshot).
    async fn visit(&mut self, b: &Browser, role: &str, path: &str, shot: &str) {
        b.goto(&format!("{}{path}", self.base)).await;
        self.check(b, role, shot, false).await;
    }

    /// Opens `path`, an error page (404, 403 ...), and checks it.
    async fn visit_error(&mut self, b: &Browser, role: &str, path: &str, shot: &str) {
        b.goto(&format!("{}{path}", self.base)).await;
        self.check(b, role, shot, true).await;
    }

    /// Checks the page the browser is on: it is the page meant (not a sign-in or error page,
    /// unless `error_page`), and axe finds nothing on it; saves its screenshot when asked.
    async fn check(&mut self, b: &Browser, role: &str, shot: &str, error_page: bool) {
        let path = self.path_of(&b.url().await);
        let h1 = b
            .execute("const h = document.querySelector('main h1'); return h ? h.textContent.trim() : '';")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string();
        if h1.is_empty() {
            self.failures
                .push(format!("{role} {shot} {path}: no <h1> in <main>"));
        } else if !error_page && WRONG_PAGES.iter().any(|w| h1 == *w) {
            self.failures.push(format!(
                "{role} {shot} {path}: landed on \"{h1}\", not the page meant"
            ));
        }
        // The page as it opens, then with everything folded away opened (axe leaves hidden
        // content out, and forms such as the workbook upload are folded in details).
        if let Some(dir) = &self.shots {
            full_page_screenshot(b, &dir.join(format!("{shot}.png"))).await;
        }
        open_details(b).await;
        for v in b.accessibility_violations().await {
            self.failures.push(format!("{role} {shot} {path}: {v}"));
        }
        // axe-core 4.7 and later no longer look for ids used twice, but a label, an error
        // summary's link or aria-describedby then finds the first element of that id only.
        for id in duplicate_ids(b).await {
            self.failures.push(format!(
                "{role} {shot} {path}: duplicate-id (HTML): id=\"{id}\" is used more than once"
            ));
        }
        // Nor do they follow a link within the page, such as an error summary's to its field.
        for href in links_to_nowhere(b).await {
            self.failures.push(format!(
                "{role} {shot} {path}: link-target (HTML): nothing on the page has the id of the link {href}"
            ));
        }
        self.covered
            .push((role.to_string(), shot.to_string(), path.clone()));
    }

    /// Checks the page reached by a form sent to succeed: as [`Audit::check`], and it shows
    /// no error summary.
    async fn check_done(&mut self, b: &Browser, role: &str, shot: &str) {
        let refused = b
            .execute("return !!document.querySelector('.govuk-error-summary');")
            .await;
        if refused.as_bool() == Some(true) {
            let path = self.path_of(&b.url().await);
            let summary = b.text_of(".govuk-error-summary").await;
            self.failures.push(format!(
                "{role} {shot} {path}: the form was refused: {}",
                summary.replace('\n', " ")
            ));
        }
        self.check(b, role, shot, false).await;
    }

    /// The first link in the page's main content to `prefix` followed by a number
    /// (`/services/` finds `/services/12`), or a failure noted and `None`.
    async fn first_link(&mut self, b: &Browser, role: &str, prefix: &str) -> Option<String> {
        let found = first_link(b, prefix).await;
        if found.is_none() {
            let path = self.path_of(&b.url().await);
            self.failures
                .push(format!("{role}: no link to {prefix}... on {path}"));
        }
        found
    }

    /// The first link whose address contains `part`, or a failure noted and `None`.
    async fn link_containing(&mut self, b: &Browser, role: &str, part: &str) -> Option<String> {
        let found = first_link_containing(b, part).await;
        if found.is_none() {
            let path = self.path_of(&b.url().await);
            self.failures
                .push(format!("{role}: no link containing {part} on {path}"));
        }
        found
    }
}

async fn first_link(b: &Browser, prefix: &str) -> Option<String> {
    let v = b
        .execute(&format!(
            "const p = {prefix:?}; const a = [...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href')).find(h => h.startsWith(p) && /^[0-9]+([/?#]|$)/.test(h.slice(p.length))); return a || '';"
        ))
        .await;
    let s = v.as_str().unwrap_or_default().to_string();
    (!s.is_empty()).then_some(s)
}

/// The ids that more than one element of the page has.
async fn duplicate_ids(b: &Browser) -> Vec<String> {
    let v = b
        .execute("const seen = {}; document.querySelectorAll('[id]').forEach(e => seen[e.id] = (seen[e.id] || 0) + 1); return Object.keys(seen).filter(k => seen[k] > 1);")
        .await;
    v.as_array()
        .map(|v| {
            v.iter()
                .filter_map(|h| h.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The links within the page (`#field`) to an id that no element has.
async fn links_to_nowhere(b: &Browser) -> Vec<String> {
    let v = b
        .execute("return [...document.querySelectorAll('a[href^=\"#\"]')].map(a => a.getAttribute('href')).filter(h => h.length > 1 && !document.getElementById(decodeURIComponent(h.slice(1))));")
        .await;
    v.as_array()
        .map(|v| {
            v.iter()
                .filter_map(|h| h.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Every link in the page's main content to `prefix` followed by a number and nothing more
/// (`/services/12`), once each, in page order.
async fn links_to(b: &Browser, prefix: &str) -> Vec<String> {
    let v = b
        .execute(&format!(
            "const p = {prefix:?}; return [...new Set([...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href')).filter(h => h.startsWith(p) && /^[0-9]+$/.test(h.slice(p.length))))];"
        ))
        .await;
    v.as_array()
        .map(|v| {
            v.iter()
                .filter_map(|h| h.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

async fn first_link_containing(b: &Browser, part: &str) -> Option<String> {
    let v = b
        .execute(&format!(
            "const a = [...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href')).find(h => h.includes({part:?})); return a || '';"
        ))
        .await;
    let s = v.as_str().unwrap_or_default().to_string();
    (!s.is_empty()).then_some(s)
}

/// Clicks `css` (a submit button) and waits until the next page has loaded.
async fn submit(b: &Browser, css: &str) {
    b.execute("window.__hearthOld = true; return 1;").await;
    b.click(css).await;
    let start = Instant::now();
    loop {
        let v = b
            .execute("return window.__hearthOld !== true && document.readyState === 'complete';")
            .await;
        if v.as_bool() == Some(true) {
            return;
        }
        if start.elapsed() > Duration::from_secs(15) {
            panic!("clicked {css}: no new page after 15 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The whole page, not just the window: the window is made as tall as the page (up to 6,000
/// pixels) for the screenshot, then put back.
async fn full_page_screenshot(b: &Browser, path: &Path) {
    let h = b
        .execute("return Math.ceil(document.documentElement.scrollHeight) + (window.outerHeight - window.innerHeight);")
        .await
        .as_f64()
        .unwrap_or(1000.0);
    let h = h.clamp(1000.0, 6000.0) as u32;
    b.set_window(1280, h).await;
    screenshot(b, path).await;
    b.set_window(1280, 1000).await;
}

/// The window as it is, without the scrollbar GOV.UK Frontend always shows
/// (`html { overflow-y: scroll }`), which a picture of a page does not need.
async fn screenshot(b: &Browser, path: &Path) {
    b.execute("document.documentElement.style.overflowY = 'hidden'; return 1;")
        .await;
    b.screenshot(path).await;
    b.execute("document.documentElement.style.overflowY = ''; return 1;")
        .await;
}

async fn sign_out(b: &Browser) {
    submit(b, "[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;
}

/// Signs in through the browser; with `audit`, the code page and the code page with an error
/// are checked on the way.
async fn sign_in(b: &Browser, base: &str, data: &Path, username: &str, audit: Option<&mut Audit>) {
    let (password, secret) = demo_account(data, username);
    b.goto(&format!("{base}/login")).await;
    b.type_into("#username", username).await;
    b.type_into("#password", &password).await;
    submit(b, "form[action='/login'] button[type=submit]").await;
    b.wait_url("/login/code").await;
    if let Some(audit) = audit {
        audit.check(b, "public", "login-code", true).await;
        b.type_into("#code", "000000").await;
        submit(b, "form[action='/login/code'] button[type=submit]").await;
        audit.check(b, "public", "login-code-error", true).await;
    }
    b.type_into("#code", &totp_now(&secret)).await;
    submit(b, "form[action='/login/code'] button[type=submit]").await;
    b.wait_url("/home").await;
}

/// Opens every details element in the page (forms folded away until a person opens them).
async fn open_details(b: &Browser) {
    b.execute("document.querySelectorAll('main details').forEach(d => d.open = true); return 1;")
        .await;
}

/// Reads a file over the browser's session (fetch in the page), for a download such as the
/// returns workbook.
async fn download(b: &Browser, href: &str) -> Vec<u8> {
    let v = b
        .execute_async(&format!(
            "const done = arguments[arguments.length - 1];
             fetch({href:?}).then(r => r.arrayBuffer()).then(buf => {{
                 const bytes = new Uint8Array(buf); let s = '';
                 for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
                 done(btoa(s));
             }}).catch(e => done('error: ' + e));"
        ))
        .await;
    let text = v.as_str().unwrap_or_default();
    assert!(!text.starts_with("error"), "download {href}: {text}");
    base64_decode(text)
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[tokio::test]
async fn every_page_type_for_every_role_has_no_accessibility_violations() {
    if !browser_available() {
        return;
    }
    let (data, server) = demo_server("e2e-pages", true);
    let base = server.url("");
    let shots = std::env::var("HEARTH_SCREENSHOTS").ok().map(PathBuf::from);
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut a = Audit {
        base: base.clone(),
        shots,
        failures: Vec::new(),
        covered: Vec::new(),
        started: Instant::now(),
    };
    let b = Browser::start().await;

    public_pages(&mut a, &b).await;
    sign_in(&b, &base, &data.0, "provider", Some(&mut a)).await;
    provider_pages(&mut a, &b, &data.0).await;
    sign_out(&b).await;
    a.check(&b, "public", "signed-out", false).await;
    sign_in(&b, &base, &data.0, "limited", None).await;
    limited_pages(&mut a, &b).await;
    sign_out(&b).await;
    sign_in(&b, &base, &data.0, "officer", None).await;
    staff_pages(&mut a, &b, "officer", "staff").await;
    officer_forms(&mut a, &b).await;
    sign_out(&b).await;
    sign_in(&b, &base, &data.0, "board", None).await;
    staff_pages(&mut a, &b, "board", "board").await;
    a.visit_error(&b, "board", "/contracts/1/edit", "board-forbidden")
        .await;
    sign_out(&b).await;
    sign_in(&b, &base, &data.0, "admin", None).await;
    let (username, temporary) = admin_pages(&mut a, &b).await;
    sign_out(&b).await;
    new_user_pages(&mut a, &b, &username, &temporary).await;
    b.quit().await;

    let mut by_role: Vec<(String, Vec<String>)> = Vec::new();
    for (role, shot, _) in &a.covered {
        match by_role.iter_mut().find(|(r, _)| r == role) {
            Some((_, v)) if v.contains(shot) => {}
            Some((_, v)) => v.push(shot.clone()),
            None => by_role.push((role.clone(), vec![shot.clone()])),
        }
    }
    for (role, shots) in &by_role {
        eprintln!("{role} ({}): {}", shots.len(), shots.join(", "));
    }
    eprintln!(
        "{} pages checked in {:.0?}",
        a.covered.len(),
        a.started.elapsed()
    );
    assert!(
        a.failures.is_empty(),
        "{} accessibility failures:\n{}",
        a.failures.len(),
        a.failures.join("\n")
    );
}

/// Not signed in: the sign-in pages and their errors, the footer pages, the directory, 404.
async fn public_pages(a: &mut Audit, b: &Browser) {
    let r = "public";
    // axe itself works: an image with no text alternative is found.
    b.goto(&format!("{}/login", a.base)).await;
    b.execute("const i = document.createElement('img'); i.src = '/assets/hearth-icon.svg'; document.querySelector('main').append(i); return 1;")
        .await;
    let found = b.accessibility_violations().await;
    assert!(
        found.iter().any(|v| v.starts_with("image-alt (critical")),
        "axe runs and reports: {found:?}"
    );
    a.visit_error(b, r, "/login", "login").await;
    a.visit_error(b, r, "/login?reason=idle", "login-idle")
        .await;
    // A wrong password: only "Enter a correct username and password" (the guide's picture of
    // a locked account at sign-in, which says no more than that).
    b.type_into("#username", "finance").await;
    b.type_into("#password", "not-the-password").await;
    submit(b, "form[action='/login'] button[type=submit]").await;
    a.check(b, r, "login-wrong-password", true).await;
    // Five more, and the sign-in is refused for a while (429).
    for _ in 0..5 {
        b.type_into("#username", "finance").await;
        b.type_into("#password", "not-the-password").await;
        submit(b, "form[action='/login'] button[type=submit]").await;
    }
    a.check(b, r, "public-too-many", true).await;
    // A form sent with a stale token (403).
    b.goto(&format!("{}/login", a.base)).await;
    b.execute("document.querySelector('input[name=csrf]').value = 'stale'; return 1;")
        .await;
    b.type_into("#username", "officer").await;
    b.type_into("#password", "not-the-password").await;
    submit(b, "form[action='/login'] button[type=submit]").await;
    a.check(b, r, "public-form-expired", true).await;
    a.visit(b, r, "/login/forgotten", "forgotten-password")
        .await;
    submit(b, "main form button[type=submit]").await;
    a.check(b, r, "forgotten-password-errors", false).await;
    a.visit(b, r, "/login/request", "request-login").await;
    submit(b, "main form button[type=submit]").await;
    a.check(b, r, "request-login-errors", false).await;
    for (path, shot) in [
        ("/accessibility", "public-accessibility"),
        ("/privacy", "public-privacy"),
        ("/cookies", "public-cookies"),
        ("/complaints", "public-complaints"),
        ("/open-data", "public-open-data"),
    ] {
        a.visit(b, r, path, shot).await;
    }
    a.visit(b, r, "/directory", "directory-start").await;
    a.visit(
        b,
        r,
        "/directory?postcode=BK2+2JB&distance=3&include_full=yes",
        "directory-search",
    )
    .await;
    if let Some(service) = a.first_link(b, r, "/directory/services/").await {
        a.visit(b, r, &service, "directory-service").await;
    }
    a.visit(
        b,
        r,
        "/directory?postcode=NOT+A+POSTCODE",
        "directory-search-errors",
    )
    .await;
    b.set_window(390, 844).await;
    b.goto(&format!(
        "{}/directory?postcode=BK2+2JB&include_full=yes",
        a.base
    ))
    .await;
    for v in b.accessibility_violations().await {
        a.failures
            .push(format!("public directory-phone (390 px): {v}"));
    }
    a.covered.push((
        r.into(),
        "directory-phone".into(),
        "/directory?postcode=BK2+2JB (390 px)".into(),
    ));
    if let Some(dir) = &a.shots {
        screenshot(b, &dir.join("directory-phone.png")).await;
    }
    b.set_window(1280, 1000).await;
    a.visit_error(b, r, "/no-such-page", "public-not-found")
        .await;
}

/// Larkspur Housing Trust's contact: every page of the provider portal.
async fn provider_pages(a: &mut Audit, b: &Browser, data: &Path) {
    let r = "provider";
    a.visit(b, r, "/home", "provider-home").await;
    a.visit(b, r, "/services", "provider-services").await;
    let Some(service) = a.first_link(b, r, "/services/").await else {
        return;
    };
    a.visit(b, r, &service, "provider-service").await;
    if let Some(dir) = &a.shots {
        // The top of the page, with the request buttons.
        screenshot(b, &dir.join("provider-service-actions.png")).await;
    }
    if let Some(schedule) = a.first_link(b, r, "/schedules/").await {
        a.visit(b, r, &schedule, "provider-schedule").await;
        // An update with an end date and no reason for it.
        b.type_into("#end_date", "31").await;
        b.type_into("#end_date-month", "12").await;
        b.type_into("#end_date-year", "2026").await;
        b.type_into("#units_per_week", "x").await;
        submit(b, "main form button[data-module=govuk-button]").await;
        a.check(b, r, "provider-schedule-errors", false).await;
    }
    a.visit(
        b,
        r,
        &format!("{service}?ended=yes&sort=start"),
        "provider-service-ended",
    )
    .await;

    // A new schedule request: the form, the form with errors, and the request sent.
    a.visit(
        b,
        r,
        &format!("{service}/schedules/new"),
        "provider-schedule-new",
    )
    .await;
    submit(b, "main form button[data-module=govuk-button]").await;
    a.check(b, r, "provider-new-schedule-errors", false).await;
    b.goto(&format!("{}{service}/schedules/new", a.base)).await;
    b.type_into("#first_name", "Rowan").await;
    b.type_into("#last_name", "Ashdown").await;
    b.type_into("#date_of_birth", "3").await;
    b.type_into("#date_of_birth-month", "5").await;
    b.type_into("#date_of_birth-year", "1970").await;
    b.type_into("#hb_number", "87654329").await;
    b.type_into("#ni_number", "JT 12 34 56 C").await;
    b.type_into("#start_date", "1").await;
    b.type_into("#start_date-month", "11").await;
    b.type_into("#start_date-year", "2026").await;
    b.type_into("#units_per_week", "4").await;
    submit(b, "main form button[data-module=govuk-button]").await;
    a.check_done(b, r, "provider-request-sent").await;

    // Service details and places: saved, then the places form with an error.
    b.goto(&format!("{}{service}/details", a.base)).await;
    b.type_into("#available_places", "2").await;
    submit(b, "form[action$='/places'] button[type=submit]").await;
    a.check_done(b, r, "provider-service-details").await;
    b.type_into("#available_places", "many").await;
    submit(b, "form[action$='/places'] button[type=submit]").await;
    a.check(b, r, "provider-service-details-errors", false)
        .await;
    // A details request with the public name cleared.
    b.goto(&format!("{}{service}/details", a.base)).await;
    b.execute("document.getElementById('public_name').value = ''; return 1;")
        .await;
    submit(b, "form[action$='/details'] button[type=submit]").await;
    a.check(b, r, "provider-details-request-errors", false)
        .await;

    a.visit(b, r, "/requests", "provider-requests").await;
    a.visit(
        b,
        r,
        "/requests?status=rejected",
        "provider-requests-rejected",
    )
    .await;
    if let Some(rejected) = a.first_link(b, r, "/requests/").await {
        a.visit(b, r, &rejected, "provider-request-rejected").await;
    }

    // Performance returns: the service's list, an upload with the figures not filled in, the
    // web form and its errors, a return, the indicators.
    a.visit(b, r, &format!("{service}/returns"), "provider-returns")
        .await;
    if let Some(workbook) = a.link_containing(b, r, "/returns/workbook").await {
        let bytes = download(b, &workbook).await;
        let file = data.join("blank-return.xlsx");
        std::fs::write(&file, bytes).unwrap();
        open_details(b).await;
        b.execute(
            "const q = document.getElementById('quarter'); q.selectedIndex = 1; return q.value;",
        )
        .await;
        b.type_into("#file", file.to_str().unwrap()).await;
        submit(b, "form[action$='/returns/upload'] button[type=submit]").await;
        a.check(b, r, "provider-upload-errors", false).await;
    }
    b.goto(&format!("{}{service}/returns", a.base)).await;
    if let Some(ret) = a.first_link(b, r, "/returns/").await {
        a.visit(b, r, &ret, "provider-return").await;
    }
    b.goto(&format!("{}{service}/returns", a.base)).await;
    if let Some(form) = a.link_containing(b, r, "/returns/new?quarter=").await {
        a.visit(b, r, &form, "provider-return-form").await;
        submit(b, "main form button[data-module=govuk-button]").await;
        a.check(b, r, "provider-return-form-errors", false).await;
    }
    a.visit(b, r, &format!("{service}/analysis"), "provider-analysis")
        .await;
    // (Every return of this provider's is in, so "Ask for more time" is checked as the
    // limited-access user, whose service has one missing.)
    a.visit(b, r, "/returns", "provider-returns-overview").await;

    a.visit(b, r, "/properties", "provider-properties").await;
    if let Some(property) = a.first_link(b, r, "/properties/").await {
        a.visit(b, r, &property, "provider-property").await;
        a.visit(
            b,
            r,
            &format!("{property}/request"),
            "provider-property-change",
        )
        .await;
    }
    a.visit(b, r, "/properties/request", "provider-property-request")
        .await;
    submit(b, "main form button[data-module=govuk-button]").await;
    a.check(b, r, "provider-property-request-errors", false)
        .await;

    a.visit(b, r, "/contracts", "provider-contracts").await;
    if let Some(contract) = a.first_link(b, r, "/contracts/").await {
        a.visit(b, r, &contract, "provider-contract-documents")
            .await;
        if let Some(document) = a.first_link(b, r, "/documents/").await {
            a.visit(b, r, &document, "provider-document").await;
            // Signing with a wrong password.
            let signable = b
                .execute("return !!document.querySelector('[data-testid=sign]');")
                .await;
            if signable.as_bool() == Some(true) {
                b.type_into(
                    "form[action$='/sign'] input[type=password]",
                    "not-my-password",
                )
                .await;
                submit(b, "[data-testid=sign]").await;
                a.check(b, r, "provider-document-sign-error", false).await;
            }
        }
    }
    a.visit(b, r, "/organisation", "provider-organisation")
        .await;
    // The organisation's record as the service page links it.
    b.goto(&format!("{}{service}", a.base)).await;
    if let Some(own) = a.first_link(b, r, "/providers/").await {
        a.visit(b, r, &own, "provider-provider").await;
    }
    a.visit(b, r, "/actions", "provider-actions").await;
    // Marking an action done needs a note of what was done.
    submit(b, "form[action$='/done'] button[type=submit]").await;
    a.check(b, r, "provider-actions-errors", false).await;

    // Contacts: the list, one contact, deactivation refused while it holds assignments, a
    // change request sent, and the form for a new one.
    a.visit(b, r, "/contacts", "provider-contacts").await;
    let contacts = links_to(b, "/contacts/").await;
    let mut with_assignments = None;
    for contact in &contacts {
        b.goto(&format!("{}{contact}", a.base)).await;
        let held = b
            .execute("return !!document.querySelector('form[action*=\"/assignments/\"][action$=\"/remove\"]');")
            .await;
        if held.as_bool() == Some(true) {
            with_assignments = Some(contact.clone());
            break;
        }
    }
    if with_assignments.is_none() {
        a.failures
            .push(format!("{r}: no contact of the demo's holds an assignment"));
    }
    if let Some(contact) = with_assignments {
        a.visit(b, r, &contact, "provider-contact").await;
        submit(b, "[data-testid=deactivate]").await;
        a.check(b, r, "provider-contact-deactivate-refused", false)
            .await;
        b.goto(&format!("{}{contact}", a.base)).await;
        open_details(b).await;
        b.type_into("#fax", "01632 960999").await;
        submit(b, &format!("form[action='{contact}'] button[type=submit]")).await;
        a.check_done(b, r, "provider-contact-request-sent").await;
        // An assignment asked for with nothing chosen.
        b.goto(&format!("{}{contact}", a.base)).await;
        submit(b, "form[action$='/assignments'] button[type=submit]").await;
        a.check(b, r, "provider-assignment-errors", false).await;
    }
    a.visit(b, r, "/contacts/new", "provider-contact-new").await;
    submit(b, "main form button[data-module=govuk-button]").await;
    a.check(b, r, "provider-contact-new-errors", false).await;

    // Your account, just after making an API token; the password form.
    let (password, _) = demo_account(data, "provider");
    b.goto(&format!("{}/account", a.base)).await;
    b.type_into("#token_name", "Case management system").await;
    b.type_into("#password", &password).await;
    submit(b, "form[action='/account/api-tokens'] button[type=submit]").await;
    a.check_done(b, r, "provider-account").await;
    submit(b, "form[action='/account/api-tokens'] button[type=submit]").await;
    a.check(b, r, "provider-account-token-errors", false).await;
    a.visit(b, r, "/account/password", "provider-change-password")
        .await;
    a.visit_error(b, r, "/services/999999", "provider-not-found")
        .await;
}

/// Brightwater's service manager with limited access: the one service and what hangs off it.
async fn limited_pages(a: &mut Audit, b: &Browser) {
    let r = "limited";
    a.visit(b, r, "/home", "limited-home").await;
    a.visit(b, r, "/services", "limited-services").await;
    if let Some(service) = a.first_link(b, r, "/services/").await {
        a.visit(b, r, &service, "limited-service").await;
        if let Some(schedule) = a.first_link(b, r, "/schedules/").await {
            a.visit(b, r, &schedule, "limited-schedule").await;
        }
        a.visit(
            b,
            r,
            &format!("{service}/details"),
            "limited-service-details",
        )
        .await;
        a.visit(
            b,
            r,
            &format!("{service}/returns"),
            "limited-service-returns",
        )
        .await;
        a.visit(b, r, &format!("{service}/analysis"), "limited-analysis")
            .await;
    }
    a.visit(b, r, "/returns", "limited-returns").await;
    if let Some(extension) = a.link_containing(b, r, "/returns/extension").await {
        a.visit(b, r, &extension, "limited-return-extension").await;
        submit(b, "main form button[data-module=govuk-button]").await;
        a.check(b, r, "limited-return-extension-errors", false)
            .await;
    }
    a.visit(b, r, "/properties", "limited-properties").await;
    a.visit(b, r, "/contracts", "limited-contracts").await;
    if let Some(contract) = a.first_link(b, r, "/contracts/").await {
        a.visit(b, r, &contract, "limited-contract").await;
    }
    a.visit(b, r, "/requests", "limited-requests").await;
    a.visit(b, r, "/actions", "limited-actions").await;
    a.visit(b, r, "/contacts", "limited-contacts").await;
    if let Some(contact) = a.first_link(b, r, "/contacts/").await {
        a.visit(b, r, &contact, "limited-contact").await;
    }
    a.visit(b, r, "/organisation", "limited-organisation").await;
    a.visit(b, r, "/account", "limited-account").await;
}

/// What every member of the commissioning team reads (an officer's and a board member's
/// pages differ in their buttons): `prefix` names the screenshots.
async fn staff_pages(a: &mut Audit, b: &Browser, r: &str, prefix: &str) {
    let p = |name: &str| format!("{prefix}-{name}");
    a.visit(b, r, "/home", &p("home")).await;
    a.visit(b, r, "/providers", &p("providers")).await;
    if let Some(provider) = a.first_link(b, r, "/providers/").await {
        a.visit(b, r, &provider, &p("provider")).await;
    }
    a.visit(b, r, "/services", &p("services")).await;
    if let Some(service) = a.first_link(b, r, "/services/").await {
        a.visit(b, r, &service, &p("service")).await;
        if let Some(schedule) = a.first_link(b, r, "/schedules/").await {
            a.visit(b, r, &schedule, &p("schedule")).await;
        }
        a.visit(b, r, &format!("{service}/returns"), &p("service-returns"))
            .await;
        a.visit(b, r, &format!("{service}/analysis"), &p("service-analysis"))
            .await;
    }
    a.visit(b, r, "/properties", &p("properties")).await;
    if let Some(property) = a.first_link(b, r, "/properties/").await {
        a.visit(b, r, &property, &p("property")).await;
    }
    a.visit(b, r, "/contracts?status=steady_state", &p("contracts"))
        .await;
    if let Some(contract) = a.first_link(b, r, "/contracts/").await {
        let name = if prefix == "board" {
            p("contract")
        } else {
            p("contract-documents")
        };
        a.visit(b, r, &contract, &name).await;
        if let Some(document) = a.first_link(b, r, "/documents/").await {
            a.visit(b, r, &document, &p("document")).await;
        }
    }
    a.visit(b, r, "/actions", &p("actions")).await;
    a.visit(b, r, "/requests", &p("requests")).await;
    for (kind, name) in [
        ("service_details", "request-details"),
        ("new_schedule", "request-new-schedule"),
        ("update_schedule", "request-update-schedule"),
        ("change_service", "request-change-service"),
        ("contact_edit", "request-contact-change"),
        ("contact_add", "request-contact-add"),
        ("contact_deactivate", "request-contact-deactivate"),
        ("assignment_add", "request-assignment"),
        ("login_request", "request-login-for-contact"),
        ("return_extension", "request-extension"),
        ("property_add", "request-property-add"),
        ("property_edit", "request-property-change"),
    ] {
        b.goto(&format!("{}/requests?kind={kind}&status=", a.base))
            .await;
        if let Some(request) = first_link(b, "/requests/").await {
            a.visit(b, r, &request, &p(name)).await;
        }
    }
    a.visit(b, r, "/returns", &p("returns")).await;
    if let Some(ret) = a.first_link(b, r, "/returns/").await {
        a.visit(b, r, &ret, &p("return")).await;
    }
    a.visit(b, r, "/returns/tracker", &p("returns-tracker"))
        .await;
    a.visit(b, r, "/returns/triggers", &p("returns-triggers"))
        .await;
    a.visit(b, r, "/returns/analysis", &p("analysis")).await;
    a.visit(b, r, "/account-requests", &p("login-requests"))
        .await;
    a.visit(b, r, "/account", &p("account")).await;
    a.visit_error(b, r, "/contracts/999999", &p("not-found"))
        .await;
}

/// An officer's forms: each new and edit form, forms with their errors, and the decisions.
async fn officer_forms(a: &mut Audit, b: &Browser) {
    let r = "officer";
    let form_button = "main form button[data-module=govuk-button]";
    a.visit(b, r, "/providers/new", "staff-provider-new").await;
    submit(b, form_button).await;
    a.check(b, r, "staff-provider-new-errors", false).await;
    b.goto(&format!("{}/providers", a.base)).await;
    if let Some(provider) = a.first_link(b, r, "/providers/").await {
        a.visit(b, r, &format!("{provider}/edit"), "staff-provider-edit")
            .await;
        a.visit(
            b,
            r,
            &format!("{provider}/officers"),
            "staff-provider-officers",
        )
        .await;
        a.visit(b, r, &format!("{provider}/actions/new"), "staff-action-new")
            .await;
        submit(b, form_button).await;
        a.check(b, r, "staff-action-new-errors", false).await;
    }
    a.visit(b, r, "/services/new", "staff-service-new").await;
    b.goto(&format!("{}/services", a.base)).await;
    if let Some(service) = a.first_link(b, r, "/services/").await {
        a.visit(b, r, &format!("{service}/edit"), "staff-service-edit")
            .await;
        a.visit(
            b,
            r,
            &format!("{service}/officers"),
            "staff-service-officers",
        )
        .await;
    }
    // A paper return is keyed in for a quarter with no return: the first service with one.
    b.goto(&format!("{}/services", a.base)).await;
    let services = links_to(b, "/services/").await;
    let mut paper = None;
    for service in &services {
        b.goto(&format!("{}{service}/returns", a.base)).await;
        paper = first_link_containing(b, "/returns/paper").await;
        if paper.is_some() {
            break;
        }
    }
    // A new workbook version with no reason.
    if let Some(service) = services.first() {
        b.goto(&format!("{}{service}/returns", a.base)).await;
        let versioned = b
            .execute("return !!document.querySelector('form[action$=\"/returns/version\"]');")
            .await;
        if versioned.as_bool() == Some(true) {
            open_details(b).await;
            submit(b, "form[action$='/returns/version'] button[type=submit]").await;
            a.check(b, r, "staff-service-returns-version-errors", false)
                .await;
            // Then issued, as the guide shows it: version 2 and the form to issue another.
            b.execute("const q = document.getElementById('from_quarter'); q.selectedIndex = q.options.length - 1; return q.value;")
                .await;
            b.type_into("#reason", "The unit rate changed from 1 October")
                .await;
            submit(b, "form[action$='/returns/version'] button[type=submit]").await;
            a.check_done(b, r, "staff-service-returns").await;
        }
    }
    match paper {
        Some(paper) => {
            a.visit(b, r, &paper, "staff-return-paper").await;
            submit(b, form_button).await;
            a.check(b, r, "staff-return-paper-errors", false).await;
        }
        None => a
            .failures
            .push(format!("{r}: no service offers a paper return")),
    }
    a.visit(b, r, "/properties/new", "staff-property-new").await;
    b.goto(&format!("{}/properties", a.base)).await;
    if let Some(property) = a.first_link(b, r, "/properties/").await {
        a.visit(b, r, &format!("{property}/edit"), "staff-property-edit")
            .await;
    }
    a.visit(b, r, "/contracts/new", "staff-contract-new").await;
    submit(b, form_button).await;
    a.check(b, r, "staff-contract-errors", false).await;
    b.goto(&format!("{}/contracts", a.base)).await;
    if let Some(contract) = a.first_link(b, r, "/contracts/").await {
        a.visit(b, r, &format!("{contract}/edit"), "staff-contract-edit")
            .await;
    }
    // A document added to a contract with no title.
    b.goto(&format!("{}/contracts", a.base)).await;
    if let Some(contract) = a.first_link(b, r, "/contracts/").await {
        b.goto(&format!("{}{contract}", a.base)).await;
        open_details(b).await;
        submit(b, "form[action$='/documents'] button[type=submit]").await;
        a.check(b, r, "staff-contract-document-errors", false).await;
    }
    // An extension with no date, a local indicator with no code, a trigger with no figure.
    b.goto(&format!("{}/returns/tracker", a.base)).await;
    submit(b, "form[action='/returns/extensions'] button[type=submit]").await;
    a.check(b, r, "staff-returns-tracker-errors", false).await;
    b.goto(&format!("{}/returns/triggers", a.base)).await;
    submit(
        b,
        "form[action='/returns/local-indicators'] button[type=submit]",
    )
    .await;
    a.check(b, r, "staff-local-indicator-errors", false).await;
    b.goto(&format!("{}/returns/triggers", a.base)).await;
    submit(b, "form[action='/returns/triggers'] button[type=submit]").await;
    a.check(b, r, "staff-returns-triggers-errors", false).await;
    // The tracker and the triggers as the guide shows them: one deadline extended to 30
    // November; 95% utilisation for sheltered services, a local indicator and its trigger.
    b.goto(&format!("{}/returns/tracker", a.base)).await;
    b.type_into(
        "form[action='/returns/extensions'] input[name=until-day]",
        "30",
    )
    .await;
    b.type_into(
        "form[action='/returns/extensions'] input[name=until-month]",
        "11",
    )
    .await;
    b.type_into(
        "form[action='/returns/extensions'] input[name=until-year]",
        "2026",
    )
    .await;
    submit(b, "form[action='/returns/extensions'] button[type=submit]").await;
    a.check_done(b, r, "staff-returns-tracker").await;
    b.goto(&format!("{}/returns/triggers", a.base)).await;
    b.type_into("#local-code", "referrals_received").await;
    b.type_into("#local-name", "Referrals received").await;
    submit(
        b,
        "form[action='/returns/local-indicators'] button[type=submit]",
    )
    .await;
    for (indicator, service_type, value) in [
        ("utilisation", "sheltered", "95"),
        ("referrals_received", "", "12"),
    ] {
        b.select_value("#indicator", indicator).await;
        b.select_value("#service_type", service_type).await;
        b.type_into("#value", value).await;
        submit(b, "form[action='/returns/triggers'] button[type=submit]").await;
    }
    a.check_done(b, r, "staff-returns-triggers").await;
    // A request approved: the banner links what was made and the next request.
    b.goto(&format!("{}/requests?kind=new_schedule", a.base))
        .await;
    if let Some(request) = a.first_link(b, r, "/requests/").await {
        b.goto(&format!("{}{request}", a.base)).await;
        b.click("[data-testid=approve]").await;
        submit(b, "[data-testid=decide]").await;
        a.check_done(b, r, "staff-request-approved").await;
    }
    // Rejecting a request needs remarks.
    b.goto(&format!("{}/requests?kind=service_details", a.base))
        .await;
    if let Some(request) = a.first_link(b, r, "/requests/").await {
        b.goto(&format!("{}{request}", a.base)).await;
        b.click("[data-testid=reject]").await;
        submit(b, "[data-testid=decide]").await;
        a.check(b, r, "staff-request-reject-error", false).await;
    }
    // Accepting a return is refused while a figure below its trigger is not explained.
    b.goto(&format!("{}/returns", a.base)).await;
    if let Some(ret) = a.first_link(b, r, "/returns/").await {
        b.goto(&format!("{}{ret}", a.base)).await;
        b.click("#decision").await;
        submit(b, "form[action$='/check'] button[type=submit]").await;
        a.check(b, r, "staff-return-accept-refused", false).await;
    }
}

/// An administrator's pages; adds a user and returns its username and temporary password.
async fn admin_pages(a: &mut Audit, b: &Browser) -> (String, String) {
    let r = "admin";
    a.visit(b, r, "/home", "admin-home").await;
    a.visit(b, r, "/admin/users", "admin-users").await;
    if let Some(user) = a.first_link(b, r, "/admin/users/").await {
        a.visit(b, r, &user, "admin-user").await;
    }
    a.visit(b, r, "/admin/users/new", "admin-user-new").await;
    submit(b, "main form button[data-module=govuk-button]").await;
    a.check(b, r, "admin-user-new-errors", false).await;
    let username = "casey.officer";
    b.type_into("#username", username).await;
    b.type_into("#display_name", "Casey Officer").await;
    b.type_into("#email", "casey.officer@brackenshire.example")
        .await;
    b.select_value("#role", "officer").await;
    submit(b, "main form button[data-module=govuk-button]").await;
    a.check_done(b, r, "admin-user-added").await;
    // The new user's own page, then a reset of its password.
    let mut temporary = b.text_of("[data-testid=temporary-password]").await;
    b.goto(&format!("{}/admin/users", a.base)).await;
    let user = b
        .execute("const a = [...document.querySelectorAll('main a[href^=\"/admin/users/\"]')].find(a => a.textContent.trim() === 'casey.officer'); return a ? a.getAttribute('href') : '';")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string();
    if user.is_empty() {
        a.failures.push(format!(
            "{r}: the new user {username} is not on the users list"
        ));
    } else {
        a.visit(b, r, &user, "admin-user-created").await;
        submit(b, "form[action$='/reset-password'] button[type=submit]").await;
        a.check_done(b, r, "admin-password-reset").await;
        temporary = b.text_of("[data-testid=temporary-password]").await;
    }
    a.visit(b, r, "/admin/audit?record_type=user", "admin-audit")
        .await;
    a.visit(b, r, "/admin/settings", "admin-settings").await;
    b.type_into("#idle_minutes", "0").await;
    submit(b, "main form button[data-module=govuk-button]").await;
    a.check(b, r, "admin-settings-errors", false).await;
    a.visit(b, r, "/returns/tracker", "admin-returns-tracker")
        .await;
    if let Some(dir) = &a.shots {
        // The due-days form at the foot of the tracker.
        b.execute("const f = document.querySelector('form[action=\"/returns/due-days\"]'); if (f) f.scrollIntoView(); return 1;")
            .await;
        screenshot(b, &dir.join("admin-returns-due-days.png")).await;
    }
    a.visit(b, r, "/runs", "admin-runs").await;
    if let Some(run) = a.first_link(b, r, "/runs/").await {
        a.visit(b, r, &run, "admin-run").await;
    }
    (username.to_string(), temporary)
}

/// The new user's first sign-in: the authenticator set-up, then the password they must
/// change, with an error first.
async fn new_user_pages(a: &mut Audit, b: &Browser, username: &str, temporary: &str) {
    let r = "new user";
    b.goto(&format!("{}/login", a.base)).await;
    b.type_into("#username", username).await;
    b.type_into("#password", temporary).await;
    submit(b, "form[action='/login'] button[type=submit]").await;
    if !b.url().await.contains("/login/enrol") {
        let url = b.url().await;
        a.failures
            .push(format!("{r}: expected the authenticator set-up, got {url}"));
        return;
    }
    a.check(b, r, "enrol", false).await;
    let secret = b.text_of("[data-testid=totp-secret]").await;
    let secret: String = secret.chars().filter(|c| !c.is_whitespace()).collect();
    b.type_into("#code", &totp_now(&secret)).await;
    submit(b, "form[action='/login/enrol'] button[type=submit]").await;
    a.check(b, r, "change-password", false).await;
    b.type_into("#current_password", temporary).await;
    b.type_into("#new_password", "quartz-fennel-harbour-lamp")
        .await;
    b.type_into("#confirm_password", "quartz-fennel-harbour-lump")
        .await;
    submit(b, "form[action='/account/password'] button[type=submit]").await;
    a.check(b, r, "change-password-error", false).await;
}
