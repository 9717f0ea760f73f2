//! Operations: request ids, logs, security headers, health, readiness, metrics and assets.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::layout::REQUEST_ID;
use crate::routes::{Access, RouteTable};
use crate::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Request counters for /metrics.
#[derive(Default)]
pub struct Metrics {
    requests: AtomicU64,
    status_2xx: AtomicU64,
    status_3xx: AtomicU64,
    status_4xx: AtomicU64,
    status_5xx: AtomicU64,
    micros_total: AtomicU64,
    /// Cumulative counts of requests at or under each bound (milliseconds).
    buckets: [AtomicU64; 8],
}

const BUCKETS_MS: [u64; 8] = [5, 10, 25, 50, 100, 250, 1000, 5000];

impl Metrics {
    fn observe(&self, status: u16, micros: u64) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let c = match status {
            200..=299 => &self.status_2xx,
            300..=399 => &self.status_3xx,
            400..=499 => &self.status_4xx,
            _ => &self.status_5xx,
        };
        c.fetch_add(1, Ordering::Relaxed);
        self.micros_total.fetch_add(micros, Ordering::Relaxed);
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if micros <= b * 1000 {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn render(&self, node: &str, db_ok: bool) -> String {
        let mut s = String::new();
        s.push_str("# HELP hearth_http_requests_total HTTP requests handled, by status class.\n# TYPE hearth_http_requests_total counter\n");
        for (class, c) in [
            ("2xx", &self.status_2xx),
            ("3xx", &self.status_3xx),
            ("4xx", &self.status_4xx),
            ("5xx", &self.status_5xx),
        ] {
            s.push_str(&format!(
                "hearth_http_requests_total{{node=\"{node}\",status=\"{class}\"}} {}\n",
                c.load(Ordering::Relaxed)
            ));
        }
        s.push_str("# HELP hearth_http_request_duration_seconds Time to handle a request.\n# TYPE hearth_http_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            s.push_str(&format!(
                "hearth_http_request_duration_seconds_bucket{{node=\"{node}\",le=\"{}\"}} {}\n",
                *b as f64 / 1000.0,
                self.buckets[i].load(Ordering::Relaxed)
            ));
        }
        let n = self.requests.load(Ordering::Relaxed);
        s.push_str(&format!(
            "hearth_http_request_duration_seconds_bucket{{node=\"{node}\",le=\"+Inf\"}} {n}\n"
        ));
        s.push_str(&format!(
            "hearth_http_request_duration_seconds_sum{{node=\"{node}\"}} {}\n",
            self.micros_total.load(Ordering::Relaxed) as f64 / 1e6
        ));
        s.push_str(&format!(
            "hearth_http_request_duration_seconds_count{{node=\"{node}\"}} {n}\n"
        ));
        s.push_str("# HELP hearth_database_up Whether the database answers.\n# TYPE hearth_database_up gauge\n");
        s.push_str(&format!(
            "hearth_database_up{{node=\"{node}\"}} {}\n",
            u8::from(db_ok)
        ));
        s
    }
}

pub fn register(t: &mut RouteTable) {
    t.get("/healthz", Access::Public, get(healthz));
    t.get("/readyz", Access::Public, get(readyz));
    t.get("/metrics", Access::Public, get(metrics));
    t.get("/assets/{*path}", Access::Public, get(asset));
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.app.database_ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let ok = state.app.database_ready().await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&state.config.node_name, ok),
    )
        .into_response()
}

async fn asset(Path(path): Path<String>) -> Response {
    match embedded::ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, ct, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(ct)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Every request: an id, a log line, metrics and the security headers.
/// The address a request came from, as the rate limits count it.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

/// The client's address as the limits count it: the connection's, or, behind a trusted proxy,
/// the right-most address in `X-Forwarded-For` that is not one of the trusted proxies. An
/// IPv4 address mapped into IPv6 counts as the IPv4 address, a port is dropped, and an IPv6
/// address counts by its /64 (one household or office is given a whole /64, so counting single
/// addresses would let it make a fresh limit for every request).
pub fn client_addr(req: &Request, trusted: &[std::net::IpAddr]) -> String {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    let Some(peer) = peer else {
        return "unknown".into();
    };
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !is_trusted(&peer) {
        return limit_key(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    for part in forwarded.rsplit(',') {
        match forwarded_ip(part) {
            Some(ip) if is_trusted(&ip) => continue,
            Some(ip) => return limit_key(ip),
            None => break,
        }
    }
    limit_key(peer)
}

/// One entry of `X-Forwarded-For`: an address, with or without a port (`[v6]:port` too).
fn forwarded_ip(part: &str) -> Option<std::net::IpAddr> {
    let part = part.trim();
    part.parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| part.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            part.strip_prefix('[')
                .and_then(|p| p.strip_suffix(']'))
                .and_then(|p| p.parse().ok())
        })
        .map(|ip: std::net::IpAddr| ip.to_canonical())
}

/// The name an address is counted under: IPv4 as it is, IPv6 by its /64.
fn limit_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    }
}

/// The longest query string accepted: every search field is far shorter (the forms bound
/// them), so a longer address is refused before any handler sees it.
pub const MAX_QUERY_BYTES: usize = 4096;

/// Responses that are the same for everyone, so a cache may keep them: static assets, the open
/// directory API and the health checks. Every other response is sent with `no-store`.
pub fn publicly_cacheable(path: &str) -> bool {
    path.starts_with("/assets/")
        || path == "/api/oruk"
        || path.starts_with("/api/oruk/")
        || matches!(path, "/healthz" | "/readyz" | "/api/v1/openapi.json")
}

pub async fn request_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(String::from)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    // Log the path only: query strings can carry personal data.
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let too_long = req.uri().query().map(str::len).unwrap_or(0) > MAX_QUERY_BYTES;
    let client = client_addr(&req, &state.config.trusted_proxies);
    let mut req = req;
    req.extensions_mut().insert(ClientAddr(client));
    let mut resp = if too_long {
        if path.starts_with("/api/") {
            crate::api::problem(
                StatusCode::BAD_REQUEST,
                "query_too_long",
                &format!("The query string is longer than {MAX_QUERY_BYTES} bytes"),
            )
        } else {
            crate::layout::address_too_long()
        }
    } else {
        REQUEST_ID.scope(id.clone(), next.run(req)).await
    };
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    state.metrics.observe(resp.status().as_u16(), micros);
    if !path.starts_with("/assets/") && path != "/healthz" && path != "/metrics" {
        tracing::info!(request_id = %id, method = %method, path = %path, status = resp.status().as_u16(), micros, "request");
    }
    let h = resp.headers_mut();
    // Everything but static assets and the open data may depend on who is asking (a signed-in
    // header, a CSRF token, a session cookie): nothing else is ever stored by a cache.
    if !publicly_cacheable(&path) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if state.config.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request_from(peer: &str, forwarded: Option<&str>) -> Request {
        let mut b = axum::http::Request::builder().uri("/");
        if let Some(f) = forwarded {
            b = b.header("x-forwarded-for", f);
        }
        let mut req = b.body(axum::body::Body::empty()).unwrap();
        if let Ok(sock) = peer.parse::<std::net::SocketAddr>() {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(sock));
        }
        req
    }

    // Review finding: the same client could appear under several names (an IPv4 address mapped
    // into IPv6, a port in X-Forwarded-For, every address of its IPv6 /64), each with a fresh
    // limit.
    #[test]
    fn a_client_is_counted_under_one_canonical_name() {
        let proxy: Vec<std::net::IpAddr> = vec!["10.0.0.1".parse().unwrap()];
        let direct = |peer: &str| client_addr(&request_from(peer, None), &[]);
        assert_eq!(direct("203.0.113.9:5000"), "203.0.113.9");
        assert_eq!(direct("[::ffff:203.0.113.9]:5000"), "203.0.113.9");
        assert_eq!(direct("[2001:db8:1:2::5]:443"), "2001:db8:1:2::/64");
        assert_eq!(
            direct("[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:443"),
            "2001:db8:1:2::/64",
            "the same /64"
        );
        let via = |fwd: &str| client_addr(&request_from("10.0.0.1:40000", Some(fwd)), &proxy);
        assert_eq!(via("203.0.113.9:61000"), "203.0.113.9", "a port is dropped");
        assert_eq!(via("[2001:db8::7]:61000"), "2001:db8::/64");
        assert_eq!(via("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(
            via("198.51.100.1, 203.0.113.9"),
            "203.0.113.9",
            "the right-most"
        );
        assert_eq!(
            via("203.0.113.9, 10.0.0.1"),
            "203.0.113.9",
            "proxies skipped"
        );
        assert_eq!(
            via("not an address"),
            "10.0.0.1",
            "garbage: the proxy itself"
        );
        // A mapped form of the trusted proxy is trusted too.
        assert_eq!(
            client_addr(
                &request_from("[::ffff:10.0.0.1]:40000", Some("203.0.113.9")),
                &proxy
            ),
            "203.0.113.9"
        );
        // Not behind a trusted proxy, the header is ignored.
        assert_eq!(
            client_addr(&request_from("198.51.100.5:1", Some("203.0.113.9")), &proxy),
            "198.51.100.5"
        );
    }
}
