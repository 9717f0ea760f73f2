//! Operations: the request layer (logs, metrics, security headers), health, readiness,
//! metrics and assets.

use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::borrow::Cow;
use std::time::Instant;

use crate::error::Surface;
use crate::layout::{REQUEST_ID, REQUEST_PATH};
use crate::routes::{Access, RouteTable};
use crate::AppState;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// The Prometheus metrics of this node (`/metrics`). Everything is counted in memory as
/// requests are answered or read from the pool's own counters: a scrape runs no SQL.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pool_open: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    runs: Family<OutcomeLabels, Counter>,
    mail: Family<OutcomeLabels, Counter>,
    outbox_waiting: Gauge,
}

/// How a job run or an e-mail ended: `done`/`failed`, `sent`/`failed`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

/// The labels of a request's latency: the route as registered (`/services/{id}`, never the
/// path itself, so the number of series is bounded), the method and the status class.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
    status: String,
}

/// Bounds of the latency histogram (seconds).
const BUCKETS_S: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0];

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS_S)
}

impl Metrics {
    pub fn new(node: &str) -> Metrics {
        let mut registry = Registry::with_prefix_and_labels(
            "hearth",
            std::iter::once((Cow::Borrowed("node"), Cow::Owned(node.to_string()))),
        );
        let requests = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route, method and status class",
            requests.clone(),
        );
        let pool_open = Gauge::default();
        let pool_idle = Gauge::default();
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections open now (in use or idle)",
            pool_open.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Database connections open and not in use",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The most database connections the pool opens",
            pool_max.clone(),
        );
        let runs = Family::<OutcomeLabels, Counter>::default();
        let mail = Family::<OutcomeLabels, Counter>::default();
        let outbox_waiting = Gauge::default();
        registry.register(
            "job_runs",
            "Job runs this node has ended, by outcome",
            runs.clone(),
        );
        registry.register(
            "outbox_emails",
            "E-mails this node has tried to send, by outcome",
            mail.clone(),
        );
        registry.register(
            "outbox_waiting",
            "E-mails waiting at the outbox's last look (at most 100)",
            outbox_waiting.clone(),
        );
        Metrics {
            registry,
            requests,
            pool_open,
            pool_idle,
            pool_max,
            runs,
            mail,
            outbox_waiting,
        }
    }

    fn observe(&self, route: &str, method: &Method, status: StatusCode, seconds: f64) {
        let method = match *method {
            Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::DELETE => {
                method.as_str()
            }
            _ => "other",
        };
        let status = match status.as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests
            .get_or_create(&RouteLabels {
                route: route.to_string(),
                method: method.to_string(),
                status: status.to_string(),
            })
            .observe(seconds);
    }

    /// The text exposition (OpenMetrics), with the pool's counters read now.
    fn render(
        &self,
        pool: hearth_app::maintenance::PoolStats,
        work: hearth_app::jobs::WorkStatsNow,
    ) -> String {
        // The app counts in memory; the counters are brought up to its counts.
        let bring = |family: &Family<OutcomeLabels, Counter>, outcome: &str, total: u64| {
            let c = family.get_or_create(&OutcomeLabels {
                outcome: outcome.to_string(),
            });
            c.inc_by(total.saturating_sub(c.get()));
        };
        bring(&self.runs, "done", work.runs_done);
        bring(&self.runs, "failed", work.runs_failed);
        bring(&self.mail, "sent", work.outbox_sent);
        bring(&self.mail, "failed", work.outbox_failed);
        self.outbox_waiting.set(work.outbox_waiting);
        self.pool_open.set(i64::from(pool.size));
        self.pool_idle.set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max));
        let mut s = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut s, &self.registry) {
            tracing::error!(error = %e, "metrics not encoded");
        }
        s
    }
}

/// The route a request matched, as registered; `unmatched` for the fallback (so unknown
/// paths do not each make a series).
fn route_of(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into())
}

pub fn register(t: &mut RouteTable) {
    t.get("/healthz", Access::Public, get(healthz));
    t.get("/readyz", Access::Public, get(readyz));
    t.get("/metrics", Access::Public, get(metrics));
    // Gzip for the assets only (pages are small and differ per person); fonts are already
    // compressed.
    t.get(
        "/assets/{*path}",
        Access::Public,
        get(asset).layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("font/"))),
        ),
    );
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

/// `/metrics` on the main listener. When `metrics_addr` is set the metrics are served only
/// there and this answers 404. Otherwise only to a connection from this machine that did not
/// come through a proxy (no `X-Forwarded-For` or `Forwarded`, not from a trusted proxy): a
/// proxy on the same host would otherwise make them public.
async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    let proxied = req.headers().contains_key("x-forwarded-for")
        || req.headers().contains_key(header::FORWARDED)
        || peer.is_some_and(|p| {
            state
                .config
                .trusted_proxies
                .iter()
                .any(|t| t.to_canonical() == p)
        });
    let local = peer.is_some_and(|p| p.is_loopback()) && !proxied;
    if state.config.metrics_addr.is_some() || !local {
        return crate::layout::not_found(None);
    }
    metrics_text(&state)
}

/// The metrics, as Prometheus reads them.
pub fn metrics_text(state: &AppState) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state
            .metrics
            .render(state.app.pool_stats(), state.app.work_stats()),
    )
        .into_response()
}

/// The router of the metrics listener (`metrics_addr`): `/metrics` and nothing else.
pub fn metrics_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            get(|State(s): State<AppState>| async move { metrics_text(&s) }),
        )
        .with_state(state)
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

/// A request id that came with the request is kept only when it is short and plain
/// (letters, digits and `-`): it is logged and shown on error pages. Otherwise tower-http's
/// `SetRequestIdLayer` makes a new one.
pub async fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !usable {
        req.headers_mut().remove(REQUEST_ID_HEADER);
    }
    req
}

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request id tower-http's `SetRequestIdLayer` gave the request.
pub fn request_id_of(req: &Request) -> String {
    req.extensions()
        .get::<tower_http::request_id::RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// The span of a request (tower-http's `TraceLayer`): its id, method and matched route.
/// Never the query string, which can carry personal data.
pub fn request_span(req: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        request_id = %request_id_of(req),
        method = %req.method(),
        route = %route_of(req),
    )
}

/// Every request, inside the tower-http layers: the request id for the handlers, the answers
/// nothing else rendered (a guard's error, a panic, the time limit, a body over the limit),
/// a log line, the route's latency and the security headers.
pub async fn request_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = request_id_of(&req);
    let method = req.method().clone();
    // Log the path only: query strings can carry personal data.
    let path = req.uri().path().to_string();
    let route = route_of(&req);
    let surface = Surface::of(&path);
    let started = Instant::now();
    let too_long = req.uri().query().map(str::len).unwrap_or(0) > MAX_QUERY_BYTES;
    let client = client_addr(&req, &state.config.trusted_proxies);
    let mut req = req;
    req.extensions_mut().insert(ClientAddr(client));
    let resp = if too_long {
        if surface == Surface::Page {
            crate::layout::address_too_long()
        } else {
            crate::error::problem(
                StatusCode::BAD_REQUEST,
                "query_too_long",
                &format!("The query string is longer than {MAX_QUERY_BYTES} bytes"),
                &id,
            )
        }
    } else {
        REQUEST_ID
            .scope(id.clone(), REQUEST_PATH.scope(path.clone(), next.run(req)))
            .await
    };
    let resp = crate::error::finish(resp, surface, None, &id);
    let mut resp = crate::error::edge_answer(resp, surface, &id);
    let elapsed = started.elapsed();
    state
        .metrics
        .observe(&route, &method, resp.status(), elapsed.as_secs_f64());
    if !path.starts_with("/assets/") && path != "/healthz" && path != "/metrics" {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        tracing::info!(request_id = %id, method = %method, path = %path, status = resp.status().as_u16(), micros, "request");
    }
    let h = resp.headers_mut();
    // Everything but static assets and the open data may depend on who is asking (a signed-in
    // header, a CSRF token, a session cookie): nothing else is ever stored by a cache.
    if !publicly_cacheable(&path) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
