//! Hearth's web adapter: HTML pages (GOV.UK Frontend) and a JSON API as thin adapters over
//! the use cases; sessions, CSRF, security headers, assets, health and metrics.

// A few helpers still return an axum `Response` as their error (the guards' answers): it is
// large, and that is how axum is meant to be used.
#![allow(clippy::result_large_err)]

mod api;
mod date_boxes;
mod error;
mod layout;
mod ops;
mod oruk;
mod pages;
pub mod routes;
mod session;

use axum::Router;
use hearth_app::App;
use std::sync::Arc;

pub use error::{Page, Surface, WebError};
pub use ops::{client_addr, publicly_cacheable, ClientAddr, Metrics};
pub use routes::{Access, RouteEntry};
/// The body parsers of the CSRF check: public for the fuzz targets
/// (`fuzz/fuzz_targets/form_fields.rs`).
pub use session::{form_urlencoded_field, multipart_field};

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies Secure and use the `__Host-` prefix. Plain HTTP is allowed only on a
    /// loopback address (the demo); elsewhere Hearth is served behind TLS.
    pub secure_cookies: bool,
    /// Send Strict-Transport-Security (when served over TLS).
    pub hsts: bool,
    /// Largest request body accepted (bytes).
    pub max_body_bytes: usize,
    /// Name of this node, for logs and metrics.
    pub node_name: String,
    /// Addresses of the proxies in front of Hearth: for a request from one of them, the
    /// client's address is taken from `X-Forwarded-For` (the right-most address that is not a
    /// trusted proxy). Empty: the connection's own address is the client's.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The separate address `/metrics` is served on (see [`routers`]). `None`: the main
    /// listener serves it, but only to connections from this machine that did not come
    /// through a proxy.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The longest a request may take, body included: after it the request is stopped (and
    /// its transaction rolled back) and answered 503 with a page.
    pub request_timeout: std::time::Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: true,
            hsts: false,
            max_body_bytes: 12 * 1024 * 1024,
            node_name: "hearth".into(),
            trusted_proxies: Vec::new(),
            metrics_addr: None,
            request_timeout: std::time::Duration::from_secs(30),
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
}

/// The whole application: every route, each registered with its access rule.
pub fn router(app: App, config: WebConfig) -> Router {
    routers(app, config).app
}

/// The routers of a node: the application, and the one for `metrics_addr` (only `/metrics`),
/// sharing the node's metrics.
pub struct Routers {
    pub app: Router,
    pub metrics: Router,
}

pub fn routers(app: App, config: WebConfig) -> Routers {
    let (app, _entries, state) = build_with_state(app, config);
    Routers {
        app,
        metrics: ops::metrics_router(state),
    }
}

/// The router and the table of its routes (for the route meta-test).
pub fn build(app: App, config: WebConfig) -> (Router, Vec<RouteEntry>) {
    let (router, entries, _) = build_with_state(app, config);
    (router, entries)
}

fn build_with_state(app: App, config: WebConfig) -> (Router, Vec<RouteEntry>, AppState) {
    let state = AppState {
        app,
        metrics: Arc::new(Metrics::new(&config.node_name)),
        config: Arc::new(config),
    };
    let mut table = routes::RouteTable::new(state.clone());
    ops::register(&mut table);
    pages::register(&mut table);
    api::register(&mut table);
    oruk::register(&mut table);
    let (router, entries) = table.finish();
    (router, entries, state)
}
