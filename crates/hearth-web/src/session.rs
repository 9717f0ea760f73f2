//! Session cookies, the request context handlers receive, and CSRF checks.

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hearth_app::accounts::{LiveSession, STAGE_CHANGE_PASSWORD, STAGE_ENROL, STAGE_TOTP};
use hearth_app::Principal;
use rand::RngCore;

use crate::{layout, AppState};

/// The signed-in principal and their session, for handlers behind `Access::Signed`.
#[derive(Clone)]
pub struct Ctx {
    pub principal: Principal,
    pub live: LiveSession,
    pub token: String,
    pub csrf: String,
}

impl Ctx {
    pub fn new(principal: Principal, live: LiveSession, token: String) -> Ctx {
        let csrf = live.session.csrf_token.clone();
        Ctx {
            principal,
            live,
            token,
            csrf,
        }
    }
}

/// A session part-way through signing in, for handlers behind `Access::Stage`.
#[derive(Clone)]
pub struct Partial {
    pub live: LiveSession,
    pub token: String,
}

/// The anonymous CSRF token (double-submit cookie) for public forms.
#[derive(Clone)]
pub struct Anon(pub String);

macro_rules! from_extensions {
    ($t:ty) => {
        impl<S: Send + Sync> FromRequestParts<S> for $t {
            type Rejection = Response;
            async fn from_request_parts(
                parts: &mut Parts,
                _state: &S,
            ) -> Result<Self, Self::Rejection> {
                parts.extensions.get::<$t>().cloned().ok_or_else(|| {
                    layout::server_error(
                        None,
                        "request context missing: route registered without its guard",
                    )
                })
            }
        }
    };
}
from_extensions!(Ctx);
from_extensions!(Partial);
from_extensions!(Anon);

/// A signed-in context when there is one (public pages).
pub struct MaybeCtx(pub Option<Ctx>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCtx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeCtx(parts.extensions.get::<Ctx>().cloned()))
    }
}

pub fn session_cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        "__Host-hearth-session"
    } else {
        "hearth-session"
    }
}

fn csrf_cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        "__Host-hearth-csrf"
    } else {
        "hearth-csrf"
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookie(headers, session_cookie_name(state))
}

fn cookie_attrs(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        "Path=/; HttpOnly; Secure; SameSite=Lax"
    } else {
        "Path=/; HttpOnly; SameSite=Lax"
    }
}

pub fn set_session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let v = format!(
        "{}={token}; {}",
        session_cookie_name(state),
        cookie_attrs(state)
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn device_cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        "__Host-hearth-device"
    } else {
        "hearth-device"
    }
}

/// The known-device cookie this browser was given when it last signed in, if any.
pub fn device_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookie(headers, device_cookie_name(state))
}

/// The known-device cookie: kept for a year, through sign-outs, so that a browser that has
/// signed in to an account is counted on its own by the sign-in limits.
pub fn set_device_cookie(state: &AppState, value: &str) -> HeaderValue {
    let v = format!(
        "{}={value}; Max-Age=31536000; {}",
        device_cookie_name(state),
        cookie_attrs(state)
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn clear_cookie(state: &AppState) -> HeaderValue {
    let v = format!(
        "{}=; Max-Age=0; {}",
        session_cookie_name(state),
        cookie_attrs(state)
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The anonymous CSRF token, and a Set-Cookie when a new one was made.
pub fn anon_token(state: &AppState, headers: &HeaderMap) -> (Anon, Option<HeaderValue>) {
    if let Some(t) = cookie(headers, csrf_cookie_name(state)) {
        return (Anon(t), None);
    }
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    let t = hex::encode(b);
    let v = format!("{}={t}; {}", csrf_cookie_name(state), cookie_attrs(state));
    (Anon(t), HeaderValue::from_str(&v).ok())
}

/// Where a session at `stage` continues.
pub fn stage_path(stage: &str) -> String {
    match stage {
        STAGE_TOTP => "/login/code".into(),
        STAGE_ENROL => "/login/enrol".into(),
        STAGE_CHANGE_PASSWORD => "/account/password".into(),
        _ => "/home".into(),
    }
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Checks a write's CSRF token: the `csrf` form field, or the `X-CSRF-Token` header.
/// On success the request is rebuilt with its body for the handler.
pub async fn check_csrf(req: Request, expected: &str, limit: usize) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    if let Some(h) = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        if constant_eq(h, expected) {
            return Ok(Request::from_parts(parts, body));
        }
    }
    let bytes = match to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, "The request was too large").into_response())
        }
    };
    let multipart = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let supplied = if multipart {
        multipart_field(&bytes, "csrf")
    } else {
        form_urlencoded_field(&bytes, "csrf")
    };
    match supplied {
        Some(t) if constant_eq(&t, expected) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(layout::csrf_failed()),
    }
}

/// The value of a small text field in a multipart/form-data body.
pub fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = body
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())?;
    let rest = &body[at + marker.len()..];
    let start = rest.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let value = &rest[start..];
    let end = value.windows(2).position(|w| w == b"\r\n")?;
    String::from_utf8(value[..end].to_vec()).ok()
}

/// The first value of field `name` in an application/x-www-form-urlencoded body, decoded.
pub fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded_pairs(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Every (name, value) of an application/x-www-form-urlencoded body or query, decoded.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded_pairs(body)
}

fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    let s = String::from_utf8_lossy(body);
    s.split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let h = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_fields() {
        assert_eq!(
            form_urlencoded_field(b"a=1&csrf=ab%20c+d&x", "csrf").as_deref(),
            Some("ab c d")
        );
        assert_eq!(form_urlencoded_field(b"a=%zz", "a").as_deref(), Some("%zz"));
        assert_eq!(form_urlencoded_field(b"a=%4", "a").as_deref(), Some("%4"));
        assert_eq!(form_urlencoded_field(b"a=1", "csrf"), None);
    }

    #[test]
    fn finds_a_multipart_field() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nLease\r\n--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--b--\r\n";
        assert_eq!(multipart_field(body, "csrf").as_deref(), Some("abc123"));
        assert_eq!(multipart_field(body, "nope"), None);
    }

    #[test]
    fn compares_in_constant_time_shape() {
        assert!(constant_eq("abc", "abc"));
        assert!(!constant_eq("abc", "abd"));
        assert!(!constant_eq("abc", "ab"));
    }
}
