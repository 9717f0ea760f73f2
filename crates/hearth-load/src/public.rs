//! Anonymous clients of the public directory and the Open Referral UK API.
//!
//! The parameters are the ones the server reads: the directory (`/directory`) takes `q`,
//! `postcode`, `distance` (miles, 1 to 200) and `page`; the API lists services at
//! `/api/oruk/services` (`page`, `per_page`, `search`), one service at
//! `/api/oruk/services/<uuid>`, and searches by distance at `/api/oruk/service_at_locations`
//! (`postcode`, `proximity` in metres), since `/api/oruk/services` takes no postcode.

use crate::html;
use crate::http::{self, Page};
use crate::stats::{Live, Recorder, Side};
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use tokio::time::Instant;

/// Most postcodes kept from a postcodes file (a sample, if the file is the whole country).
const MAX_POSTCODES: usize = 2000;

/// What the public clients search with, found before the load starts.
#[derive(Default)]
pub struct Seeds {
    /// Words from service names, for `q` searches.
    pub words: Vec<String>,
    /// Service ids in the API (UUIDs).
    pub uuids: Vec<String>,
    /// Pages of `/api/oruk/services` at the default 50 a page.
    pub api_pages: i64,
    pub postcodes: Vec<String>,
}

/// Postcodes (the `pcds` column, or `pcd`) from a CSV in the ONS Postcode Directory layout;
/// a repeatable sample of at most [`MAX_POSTCODES`].
pub fn read_postcodes(path: &Path, rng: &mut StdRng) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the postcodes file {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let Some(col) = header
        .iter()
        .position(|h| h == "pcds")
        .or_else(|| header.iter().position(|h| h == "pcd"))
    else {
        bail!("{}: no pcds (or pcd) column in the header", path.display());
    };
    // Reservoir sample, so a whole-country file gives an even spread.
    let mut out: Vec<String> = Vec::new();
    let mut seen = 0usize;
    for line in lines {
        let Some(pc) = line.split(',').nth(col) else {
            continue;
        };
        let pc = pc.trim().trim_matches('"');
        if pc.is_empty() {
            continue;
        }
        seen += 1;
        if out.len() < MAX_POSTCODES {
            out.push(pc.to_string());
        } else {
            let j = rng.gen_range(0..seen);
            if j < MAX_POSTCODES {
                out[j] = pc.to_string();
            }
        }
    }
    Ok(out)
}

/// `s` for a query string.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn get_json(client: &reqwest::Client, url: &str) -> Result<Value> {
    let r = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    if !r.status().is_success() {
        bail!("GET {url} answered {}", r.status());
    }
    r.json().await.with_context(|| format!("reading {url}"))
}

fn collect_postcodes(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("postal_code", Value::String(s)) if !s.is_empty() => {
                        if !out.contains(s) {
                            out.push(s.clone());
                        }
                    }
                    _ => collect_postcodes(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_postcodes(x, out)),
        _ => {}
    }
}

/// Reads service names and ids from the API (and, without a postcodes file, the postcodes of
/// services that the server can place), before the load. Not counted in the figures.
pub async fn discover(base: &str, postcodes: Vec<String>) -> Result<Seeds> {
    let client = http::client()?;
    let mut seeds = Seeds {
        postcodes,
        ..Default::default()
    };
    let mut total = 0;
    for page in 1..=4 {
        let v = get_json(
            &client,
            &format!("{base}/api/oruk/services?per_page=500&page={page}"),
        )
        .await?;
        total = v["total_items"].as_i64().unwrap_or(0);
        let contents = v["contents"].as_array().cloned().unwrap_or_default();
        for s in &contents {
            if let Some(id) = s["id"].as_str() {
                seeds.uuids.push(id.to_string());
            }
            for w in s["name"]
                .as_str()
                .unwrap_or("")
                .split(|c: char| !c.is_alphabetic())
            {
                let w = w.to_lowercase();
                if w.chars().count() >= 4 && !seeds.words.contains(&w) {
                    seeds.words.push(w);
                }
            }
        }
        if v["last_page"].as_bool().unwrap_or(true) {
            break;
        }
    }
    seeds.api_pages = ((total + 49) / 50).max(1);
    if seeds.postcodes.is_empty() {
        // Postcodes of a few services, kept if the server knows where they are.
        let mut found = Vec::new();
        for id in seeds.uuids.iter().take(40) {
            if let Ok(v) = get_json(&client, &format!("{base}/api/oruk/services/{id}")).await {
                collect_postcodes(&v, &mut found);
            }
            if found.len() >= 20 {
                break;
            }
        }
        for pc in found {
            let url = format!(
                "{base}/api/oruk/service_at_locations?postcode={}&per_page=1",
                url_encode(&pc)
            );
            if get_json(&client, &url).await.is_ok() {
                seeds.postcodes.push(pc);
            }
        }
    }
    Ok(seeds)
}

pub struct PublicClient {
    pub client: reqwest::Client,
    pub base: Arc<str>,
    pub rng: StdRng,
    pub live: Arc<Live>,
    pub deadline: Instant,
    pub seeds: Arc<Seeds>,
}

enum Action {
    Words,
    Distance,
    ServicePage,
    ApiPage,
    ApiDistance,
    ApiService,
}

impl PublicClient {
    pub async fn run(mut self) -> Recorder {
        let mut rec = Recorder::default();
        // `/directory/services/<id>` links from the last results pages this client read.
        let mut services: Vec<String> = Vec::new();
        let seeds = self.seeds.clone();
        let has_pc = !seeds.postcodes.is_empty();
        let mut actions: Vec<(Action, u32)> = vec![
            (Action::Words, 20),
            (Action::ServicePage, 20),
            (Action::ApiPage, 15),
        ];
        if has_pc {
            actions.push((Action::Distance, 25));
            actions.push((Action::ApiDistance, 10));
        }
        if !seeds.uuids.is_empty() {
            actions.push((Action::ApiService, 10));
        }
        while Instant::now() < self.deadline {
            let Ok((action, _)) = actions.choose_weighted(&mut self.rng, |a| a.1) else {
                break;
            };
            let url = match action {
                Action::Words => match seeds.words.choose(&mut self.rng) {
                    Some(w) => format!("/directory?q={}", url_encode(w)),
                    None => "/directory?include_full=yes".to_string(),
                },
                Action::Distance => {
                    let pc = seeds
                        .postcodes
                        .choose(&mut self.rng)
                        .cloned()
                        .unwrap_or_default();
                    let miles = [1, 3, 5, 10].choose(&mut self.rng).copied().unwrap_or(5);
                    format!("/directory?postcode={}&distance={miles}", url_encode(&pc))
                }
                Action::ServicePage => match services.choose(&mut self.rng) {
                    Some(s) => s.clone(),
                    // Nothing found yet: a search first.
                    None => "/directory?include_full=yes".to_string(),
                },
                Action::ApiPage => {
                    let n = self.rng.gen_range(1..=seeds.api_pages.max(1));
                    format!("/api/oruk/services?page={n}")
                }
                Action::ApiDistance => {
                    let pc = seeds
                        .postcodes
                        .choose(&mut self.rng)
                        .cloned()
                        .unwrap_or_default();
                    let m = [1609, 4828, 8047, 16093]
                        .choose(&mut self.rng)
                        .copied()
                        .unwrap_or(8047);
                    format!(
                        "/api/oruk/service_at_locations?postcode={}&proximity={m}",
                        url_encode(&pc)
                    )
                }
                Action::ApiService => match seeds.uuids.choose(&mut self.rng) {
                    Some(id) => format!("/api/oruk/services/{id}"),
                    None => "/api/oruk/services".to_string(),
                },
            };
            let page = http::get(
                &self.client,
                &self.base,
                &url,
                &mut rec,
                &self.live,
                Side::Public,
                false,
            )
            .await;
            if let Some(Page {
                text: Some(t),
                status: 200,
                url,
                ..
            }) = page
            {
                if url.starts_with("/directory?") {
                    let found: Vec<String> = html::links(&t, &self.base)
                        .into_iter()
                        .filter(|l| l.starts_with("/directory/services/"))
                        .collect();
                    if !found.is_empty() {
                        services = found;
                    }
                }
            }
        }
        rec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes() {
        assert_eq!(url_encode("BK2 2JB"), "BK2+2JB");
        assert_eq!(url_encode("a&b=c"), "a%26b%3Dc");
    }

    #[test]
    fn finds_postcodes_in_json() {
        let v: Value = serde_json::json!({"a": [{"postal_code": "BK2 2JB"}, {"x": {"postal_code": "BK5 1FX"}}], "postal_code": ""});
        let mut out = Vec::new();
        collect_postcodes(&v, &mut out);
        out.sort();
        assert_eq!(out, vec!["BK2 2JB", "BK5 1FX"]);
    }
}
