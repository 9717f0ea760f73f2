//! A signed-in session's random walk over the pages it can see: GET only, never a form.

use crate::html;
use crate::http;
use crate::stats::{route_key, Live, Recorder, Side};
use rand::rngs::StdRng;
use rand::Rng;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::time::Instant;

/// Downloads (CSV, XLSX, PDF) are heavier than pages: at most one in this many steps.
const STEPS_PER_DOWNLOAD: u32 = 20;

/// Whether a link may be followed by the walk: not signing out, not the sign-in or account
/// pages (tokens, password), not static assets, and not the JSON APIs (every page's footer
/// links the Open Referral UK API; the public clients load it, and a session's steps are
/// better spent on the pages staff and providers use).
pub fn walkable(link: &str) -> bool {
    let path = link.split('?').next().unwrap_or(link);
    let under = |p: &str| path == p || path.starts_with(&format!("{p}/"));
    !(under("/logout")
        || path.starts_with("/logout")
        || path.starts_with("/login")
        || under("/account")
        || under("/assets")
        || under("/api")
        || under("/signed-out"))
}

/// Whether a link looks like a download by its path (the walk also learns the routes that
/// answered with a file).
pub fn is_download(link: &str) -> bool {
    let path = link.split('?').next().unwrap_or(link).to_ascii_lowercase();
    path.ends_with(".csv")
        || path.ends_with(".xlsx")
        || path.ends_with(".pdf")
        || path.contains("download")
        || path.ends_with("/file")
        || path.ends_with("/workbook")
}

pub struct Walker {
    pub client: reqwest::Client,
    pub base: Arc<str>,
    pub rng: StdRng,
    pub live: Arc<Live>,
    pub deadline: Instant,
    /// Routes (see [`route_key`]) that answered with a file.
    pub download_routes: HashSet<String>,
}

impl Walker {
    /// Walks until the deadline, or until the session is signed out (an error).
    pub async fn run(mut self) -> Recorder {
        let mut rec = Recorder::default();
        let mut next = "/home".to_string();
        let mut steps_since_home = 0u32;
        let mut home_after = self.rng.gen_range(15..=25);
        // Let the first download come whenever the walk meets one.
        let mut since_download = STEPS_PER_DOWNLOAD;
        // A 404 is possible on a link picked from a page (a page may link to something gone);
        // never on /home.
        let mut picked = false;
        while Instant::now() < self.deadline {
            if self.download(&next) {
                since_download = 0;
            } else {
                since_download = since_download.saturating_add(1);
            }
            let page = http::get(
                &self.client,
                &self.base,
                &next,
                &mut rec,
                &self.live,
                Side::Signed,
                picked,
            )
            .await;
            steps_since_home += 1;
            let Some(page) = page else {
                next = "/home".into();
                steps_since_home = 0;
                picked = false;
                continue;
            };
            if page.download {
                self.download_routes.insert(route_key(&page.url));
            }
            if page.signed_out {
                rec.route_error(
                    &self.live,
                    &page.url,
                    format!(
                        "{} to the sign-in page: the session was signed out; it stops",
                        page.status
                    ),
                );
                break;
            }
            let choice = if steps_since_home >= home_after || page.status != 200 {
                None
            } else {
                page.text
                    .as_deref()
                    .and_then(|t| self.pick(t, since_download >= STEPS_PER_DOWNLOAD))
            };
            match choice {
                Some(link) => {
                    next = link;
                    picked = true;
                }
                None => {
                    next = "/home".into();
                    steps_since_home = 0;
                    home_after = self.rng.gen_range(15..=25);
                    picked = false;
                }
            }
        }
        rec
    }

    fn download(&self, link: &str) -> bool {
        is_download(link)
            || (!self.download_routes.is_empty() && self.download_routes.contains(&route_key(link)))
    }

    fn pick(&mut self, body: &str, download_ok: bool) -> Option<String> {
        let mut links = html::links(body, &self.base);
        links.retain(|l| walkable(l) && (download_ok || !self.download(l)));
        if links.is_empty() {
            return None;
        }
        let i = self.rng.gen_range(0..links.len());
        Some(links.swap_remove(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions() {
        for l in [
            "/logout",
            "/logout/everywhere",
            "/login",
            "/login/code",
            "/account",
            "/account/api-tokens",
            "/account?changed=1",
            "/assets/app.css",
            "/signed-out",
        ] {
            assert!(!walkable(l), "{l}");
        }
        for l in [
            "/home",
            "/services/3",
            "/accounts-receivable",
            "/directory?q=x",
        ] {
            assert!(walkable(l), "{l}");
        }
        assert!(is_download("/returns/tracker.csv?quarter=2026-Q1"));
        assert!(is_download("/returns/analysis.xlsx"));
        assert!(is_download("/contracts/3/download"));
        assert!(is_download("/documents/9/file"));
        assert!(is_download("/services/4/returns/workbook?year=2026"));
        assert!(!walkable("/api/oruk/"));
        assert!(!is_download("/returns?format=html"));
    }
}
