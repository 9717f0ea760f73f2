//! Hearth's web adapter: HTML pages (GOV.UK Frontend) and a JSON API as thin adapters over
//! the use cases; sessions, CSRF, security headers, assets, health and metrics.

// Handlers and their helpers return an axum `Response` as their error (a rendered page or a
// problem+json): it is large, and that is how axum is meant to be used.
#![allow(clippy::result_large_err)]

mod api;
mod layout;
mod ops;
mod oruk;
mod pages;
pub mod routes;
mod session;

use axum::Router;
use hearth_app::App;
use std::sync::Arc;

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
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: true,
            hsts: false,
            max_body_bytes: 12 * 1024 * 1024,
            node_name: "hearth".into(),
            trusted_proxies: Vec::new(),
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
    let (router, _entries) = build(app, config);
    router
}

/// The router and the table of its routes (for the route meta-test).
pub fn build(app: App, config: WebConfig) -> (Router, Vec<RouteEntry>) {
    let state = AppState {
        app,
        config: Arc::new(config),
        metrics: Arc::new(Metrics::default()),
    };
    let mut table = routes::RouteTable::new(state.clone());
    ops::register(&mut table);
    pages::register(&mut table);
    api::register(&mut table);
    oruk::register(&mut table);
    table.finish()
}
