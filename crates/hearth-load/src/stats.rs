//! Figures: every request's route, status and latency, kept per client task (no locks on the
//! hot path) and merged at the end; a few shared counters feed the progress line.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How many examples of errors and of 4xx answers are kept.
pub const EXAMPLES: usize = 10;

/// Counters every task updates, read by the progress line.
#[derive(Default)]
pub struct Live {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
}

/// Who made a request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Signed,
    Public,
}

/// What came back.
pub enum Outcome {
    Status(u16),
    /// Connection error, timeout, unreadable body.
    Failed(String),
}

#[derive(Default)]
pub struct Route {
    /// Latencies in microseconds.
    pub lat_us: Vec<u32>,
    pub errors: u64,
}

#[derive(Default)]
pub struct Recorder {
    pub routes: HashMap<String, Route>,
    pub signed: u64,
    pub public: u64,
    pub errors: u64,
    pub error_examples: Vec<(String, String)>,
    pub four_xx: u64,
    /// 404s on links chosen at random from a page: counted among the 4xx, not as errors.
    pub expected_404: u64,
    pub four_xx_examples: Vec<(String, u16)>,
    pub statuses: HashMap<u16, u64>,
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// The route of a request: the path with every all-digit (or UUID) segment as `{id}` and the
/// query dropped, except that the public directory and the Open Referral UK API keep a marker
/// of the kind of search (`?postcode`, `?q`, `?page`, ...) so a distance search is its own row.
pub fn route_key(url: &str) -> String {
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    let mut key = String::with_capacity(path.len() + 12);
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            key.push('/');
        }
        if (!seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit())) || is_uuid(seg) {
            key.push_str("{id}");
        } else {
            key.push_str(seg);
        }
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        if path.starts_with("/directory") || path.starts_with("/api/oruk") {
            let names: Vec<&str> = q
                .split('&')
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (!v.is_empty()).then_some(k)
                })
                .collect();
            let marker = ["postcode", "q", "search", "organisation"]
                .into_iter()
                .find(|m| names.contains(m))
                .or_else(|| names.first().copied());
            if let Some(m) = marker {
                key.push('?');
                key.push_str(m);
            }
        }
    }
    key
}

impl Recorder {
    /// Records one request. `allow_404`: the URL was a link picked at random, where a 404 is
    /// possible and not a fault of the server under load.
    pub fn record(
        &mut self,
        live: &Live,
        side: Side,
        url: &str,
        outcome: Outcome,
        latency: Duration,
        allow_404: bool,
    ) {
        live.requests.fetch_add(1, Ordering::Relaxed);
        match side {
            Side::Signed => self.signed += 1,
            Side::Public => self.public += 1,
        }
        let us = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        let route = self.routes.entry(route_key(url)).or_default();
        route.lat_us.push(us);
        let error = match outcome {
            Outcome::Status(s) => {
                *self.statuses.entry(s).or_default() += 1;
                if (400..500).contains(&s) {
                    self.four_xx += 1;
                    if self.four_xx_examples.len() < EXAMPLES {
                        self.four_xx_examples.push((url.to_string(), s));
                    }
                    if s == 404 && allow_404 {
                        self.expected_404 += 1;
                        None
                    } else {
                        Some(format!("HTTP {s}"))
                    }
                } else if s >= 500 {
                    Some(format!("HTTP {s}"))
                } else {
                    None
                }
            }
            Outcome::Failed(e) => {
                *self.statuses.entry(0).or_default() += 1;
                Some(e)
            }
        };
        if let Some(e) = error {
            route.errors += 1;
            self.error(live, url, e);
        }
    }

    /// An error that is not a request's status (a session signed out, for example).
    pub fn error(&mut self, live: &Live, url: &str, what: String) {
        live.errors.fetch_add(1, Ordering::Relaxed);
        self.errors += 1;
        if self.error_examples.len() < EXAMPLES {
            self.error_examples.push((url.to_string(), what));
        }
    }

    /// Marks the last request on `url`'s route as an error too (see [`Recorder::error`]).
    pub fn route_error(&mut self, live: &Live, url: &str, what: String) {
        if let Some(r) = self.routes.get_mut(&route_key(url)) {
            r.errors += 1;
        }
        self.error(live, url, what);
    }

    pub fn merge(&mut self, other: Recorder) {
        for (k, r) in other.routes {
            let mine = self.routes.entry(k).or_default();
            mine.lat_us.extend(r.lat_us);
            mine.errors += r.errors;
        }
        self.signed += other.signed;
        self.public += other.public;
        self.errors += other.errors;
        self.four_xx += other.four_xx;
        self.expected_404 += other.expected_404;
        for e in other.error_examples {
            if self.error_examples.len() < EXAMPLES {
                self.error_examples.push(e);
            }
        }
        for e in other.four_xx_examples {
            if self.four_xx_examples.len() < EXAMPLES {
                self.four_xx_examples.push(e);
            }
        }
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
    }
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys() {
        assert_eq!(
            route_key("/services/12/returns?page=2"),
            "/services/{id}/returns"
        );
        assert_eq!(route_key("/home"), "/home");
        assert_eq!(
            route_key("/directory?postcode=BK2+2JB&distance=5"),
            "/directory?postcode"
        );
        assert_eq!(route_key("/directory?q=house&postcode="), "/directory?q");
        assert_eq!(route_key("/directory"), "/directory");
        assert_eq!(
            route_key("/directory/services/7"),
            "/directory/services/{id}"
        );
        assert_eq!(
            route_key("/api/oruk/services/73766300-0000-8000-8000-000000000007"),
            "/api/oruk/services/{id}"
        );
        assert_eq!(
            route_key("/api/oruk/services?page=3"),
            "/api/oruk/services?page"
        );
        assert_eq!(route_key("/returns/2026-27"), "/returns/2026-27");
    }

    #[test]
    fn percentiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(percentile(&[7], 90.0), 7);
    }
}
