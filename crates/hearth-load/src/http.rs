//! One GET, timed and recorded, and same-site redirects followed by hand (each its own request).

use crate::stats::{Live, Outcome, Recorder, Side};
use anyhow::{Context, Result};
use std::time::{Duration, Instant};

/// Most redirects followed from one link.
const MAX_REDIRECTS: usize = 5;

/// A client with its own cookie store that shows redirects instead of following them.
pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        // One session is one browser tab doing one thing at a time: one connection is enough.
        .pool_max_idle_per_host(1)
        .build()
        .context("building an HTTP client")
}

/// A page as the client sees it.
pub struct Page {
    /// The path (and query) finally fetched, after redirects.
    pub url: String,
    pub status: u16,
    /// The body if it is HTML or JSON; other bodies (downloads) are read and dropped.
    pub text: Option<String>,
    /// A redirect to the sign-in pages was met: the session is no longer signed in.
    pub signed_out: bool,
    /// A file to save (an attachment, or neither HTML nor JSON).
    pub download: bool,
}

/// The same-site path of a `Location`, if it is one.
fn same_site(location: &str, base: &str) -> Option<String> {
    let l = location.strip_prefix(base).unwrap_or(location);
    (l.starts_with('/') && !l.starts_with("//")).then(|| l.to_string())
}

/// GETs `url` (a path like `/home`), recording it; follows same-site redirects, recording each.
/// None if the request failed (recorded as an error).
pub async fn get(
    client: &reqwest::Client,
    base: &str,
    url: &str,
    rec: &mut Recorder,
    live: &Live,
    side: Side,
    allow_404: bool,
) -> Option<Page> {
    let mut url = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        let t = Instant::now();
        let resp = match client.get(format!("{base}{url}")).send().await {
            Ok(r) => r,
            Err(e) => {
                let what = if e.is_timeout() {
                    "timeout".to_string()
                } else {
                    format!("request failed: {e}")
                };
                rec.record(live, side, &url, Outcome::Failed(what), t.elapsed(), false);
                return None;
            }
        };
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let attachment = resp
            .headers()
            .get(reqwest::header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("attachment"));
        let textual = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/html") || c.contains("json"));
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let what = if e.is_timeout() {
                    "timeout reading the body".to_string()
                } else {
                    format!("reading the body failed: {e}")
                };
                rec.record(live, side, &url, Outcome::Failed(what), t.elapsed(), false);
                return None;
            }
        };
        rec.record(
            live,
            side,
            &url,
            Outcome::Status(status),
            t.elapsed(),
            allow_404,
        );
        if (300..400).contains(&status) {
            if let Some(next) = location.as_deref().and_then(|l| same_site(l, base)) {
                if next.starts_with("/login") {
                    return Some(Page {
                        url,
                        status,
                        text: None,
                        signed_out: true,
                        download: false,
                    });
                }
                url = next;
                continue;
            }
        }
        let text = textual.then(|| String::from_utf8_lossy(&body).into_owned());
        return Some(Page {
            url,
            status,
            text,
            signed_out: false,
            download: attachment || (!textual && status == 200 && !body.is_empty()),
        });
    }
    rec.route_error(live, &url, format!("more than {MAX_REDIRECTS} redirects"));
    None
}
