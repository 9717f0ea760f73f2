//! One error type for handlers: `WebError`, a use case's `AppError` on its way to becoming an
//! answer. Handlers return [`Page`] (`Result<Response, WebError>`) and use `?` on use cases.
//!
//! A `WebError` renders itself in two steps. `into_response` cannot know who is asking, so it
//! leaves an unrendered answer: the right status and the error in a response extension. The
//! route's error layer ([`render_errors`], inside the access guard, which is where the
//! request's `Ctx` is known) turns it into the answer for the surface the request came to:
//!
//! - a page: a GOV.UK error page with the signed-in header and, for an internal error, the
//!   request id;
//! - the JSON API (`/api/v1/...`) and the Open Referral UK API (`/api/oruk...`): RFC 9457
//!   `application/problem+json` with `type`, `title`, `status`, `detail`, a stable `code` (a
//!   conflict's sub-code, like `stale` or `already_decided`) and the `request_id`.
//!
//! What is left unrendered by then (an error from a guard, a panic, the time limit, a body
//! over the limit) is rendered by the edge (`ops::request_layer`), without a signed-in header.
//! An internal error's cause is logged once, with the request id, and never shown.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hearth_app::AppError;
use maud::html;
use serde_json::json;

use crate::layout;
use crate::session::Ctx;

/// What a handler returns: its answer, or an error that renders itself.
pub type Page = Result<Response, WebError>;

/// A use case's error (or the web layer's own), rendered for the surface it is answered on.
#[derive(Debug)]
pub struct WebError {
    error: AppError,
    /// Words to use instead of the standard ones (the open API names what it did not find).
    detail: Option<String>,
    /// A request the web layer could not use at all (400, with its own code).
    bad_request: Option<&'static str>,
}

impl From<AppError> for WebError {
    fn from(error: AppError) -> WebError {
        WebError {
            error,
            detail: None,
            bad_request: None,
        }
    }
}

impl WebError {
    /// An unexpected failure: `cause` is logged with the request id and never shown.
    pub fn internal(cause: impl std::fmt::Display) -> WebError {
        AppError::Internal(cause.to_string()).into()
    }

    /// A record that does not exist (or is not the asker's to see), named in `detail`.
    pub fn not_found(detail: &str) -> WebError {
        WebError::from(AppError::NotFound).with_detail(detail)
    }

    /// A request that could not be used at all (a body that is not JSON, a bad parameter):
    /// 400, with a stable `code` and `detail`.
    pub fn bad_request(code: &'static str, detail: &str) -> WebError {
        WebError {
            error: AppError::Invalid(hearth_app::FieldErrors::new()),
            detail: Some(detail.to_string()),
            bad_request: Some(code),
        }
    }

    /// Replaces the standard words of the answer.
    pub fn with_detail(mut self, detail: &str) -> WebError {
        self.detail = Some(detail.to_string());
        self
    }

    pub fn app_error(&self) -> &AppError {
        &self.error
    }

    pub fn status(&self) -> StatusCode {
        if self.bad_request.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            status_of(&self.error)
        }
    }
}

fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(..) => StatusCode::CONFLICT,
        AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The error waiting in a response for the layer that knows who asked.
#[derive(Clone)]
struct Unrendered(Arc<WebError>);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = self.status();
        r.extensions_mut().insert(Unrendered(Arc::new(self)));
        r
    }
}

/// Where an answer goes: a person's browser or a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Page,
    /// The JSON API under `/api/v1`.
    Api,
    /// The Open Referral UK API under `/api/oruk` (open to anyone, with CORS).
    OpenApi,
}

impl Surface {
    pub fn of(path: &str) -> Surface {
        if path == "/api/oruk" || path.starts_with("/api/oruk/") {
            Surface::OpenApi
        } else if path.starts_with("/api/") {
            Surface::Api
        } else {
            Surface::Page
        }
    }
}

/// The route's error layer: renders a handler's `WebError` with the request's context.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let ctx = req.extensions().get::<Ctx>().cloned();
    let surface = Surface::of(req.uri().path());
    let resp = next.run(req).await;
    finish(resp, surface, ctx.as_ref(), &layout::request_id())
}

/// Renders an unrendered error left in `resp`, keeping the headers set on the way out (a
/// cookie, `Cache-Control`); any other response is returned as it is.
pub fn finish(
    mut resp: Response,
    surface: Surface,
    ctx: Option<&Ctx>,
    request_id: &str,
) -> Response {
    let Some(Unrendered(e)) = resp.extensions_mut().remove::<Unrendered>() else {
        return resp;
    };
    let mut rendered = render(&e, surface, ctx, request_id);
    for (name, value) in resp.headers() {
        if !rendered.headers().contains_key(name) || name == header::SET_COOKIE {
            rendered.headers_mut().append(name.clone(), value.clone());
        }
    }
    rendered
}

/// The answer for `e` on `surface`.
pub fn render(e: &WebError, surface: Surface, ctx: Option<&Ctx>, request_id: &str) -> Response {
    if let AppError::Internal(cause) = &e.error {
        // The whole chain of causes, in the log only.
        let mut chain = cause.clone();
        let mut source = std::error::Error::source(&e.error);
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(request_id = %request_id, error = %chain, "internal error");
    }
    match surface {
        Surface::Page => page(e, ctx, request_id),
        Surface::Api => problem_of(e, request_id),
        Surface::OpenApi => {
            let mut r = problem_of(e, request_id);
            r.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            r
        }
    }
}

fn page(e: &WebError, ctx: Option<&Ctx>, request_id: &str) -> Response {
    match &e.error {
        AppError::NotFound => layout::not_found(ctx),
        AppError::Forbidden => layout::forbidden(ctx),
        AppError::Unauthenticated => Redirect::to("/login").into_response(),
        AppError::Conflict(_, msg) => layout::render_status(
            StatusCode::CONFLICT,
            ctx,
            "This could not be done",
            html! { h1 class="govuk-heading-l" { "This could not be done" } p class="govuk-body" { (msg) } },
        ),
        AppError::Invalid(errors) => layout::render_status(
            e.status(),
            ctx,
            "There is a problem",
            html! {
                h1 class="govuk-heading-l" { "There is a problem" }
                (layout::error_summary(errors))
                @if let Some(d) = &e.detail { p class="govuk-body" { (d) } }
            },
        ),
        AppError::TooMany { retry_after } => layout::too_many(ctx, *retry_after),
        AppError::Internal(_) => server_error_page(ctx, request_id),
    }
}

/// "Sorry, there is a problem with the service", with the request id: nothing else is said.
pub fn server_error_page(ctx: Option<&Ctx>, request_id: &str) -> Response {
    layout::render_status(
        StatusCode::INTERNAL_SERVER_ERROR,
        ctx,
        "Sorry, there is a problem with the service",
        html! {
            h1 class="govuk-heading-l" { "Sorry, there is a problem with the service" }
            p class="govuk-body" { "Try again later. Nothing you were doing has been half-saved." }
            p class="govuk-body" { "If you contact the commissioning team, give them this reference: " strong data-testid="request-id" { (request_id) } }
        },
    )
}

/// An RFC 9457 problem: `code` is stable (programs branch on it), `detail` is for people.
pub fn problem(status: StatusCode, code: &str, detail: &str, request_id: &str) -> Response {
    problem_body(status, code, detail, request_id, None)
}

fn problem_body(
    status: StatusCode,
    code: &str,
    detail: &str,
    request_id: &str,
    errors: Option<serde_json::Value>,
) -> Response {
    let mut body = json!({
        "type": format!("https://hearth.invalid/problems/{code}"),
        "title": status.canonical_reason().unwrap_or(""),
        "status": status.as_u16(),
        "code": code,
        "detail": detail,
        "request_id": request_id,
    });
    if let Some(errors) = errors {
        body["errors"] = errors;
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn problem_of(e: &WebError, request_id: &str) -> Response {
    let status = e.status();
    let words = |standard: &str| e.detail.clone().unwrap_or_else(|| standard.to_string());
    match &e.error {
        AppError::NotFound => problem(status, "not_found", &words("No such record"), request_id),
        AppError::Forbidden => problem(
            status,
            "forbidden",
            &words("You do not have permission to do that"),
            request_id,
        ),
        AppError::Unauthenticated => problem(
            status,
            "unauthenticated",
            &words("Sign in to use the API"),
            request_id,
        ),
        AppError::Conflict(_, m) => problem(
            status,
            e.error.conflict_code().unwrap_or("conflict"),
            m,
            request_id,
        ),
        AppError::TooMany { retry_after } => {
            let mut r = problem(
                status,
                "too_many_requests",
                &format!(
                    "Too many requests: try again in {}",
                    layout::plural(*retry_after, "second", "seconds")
                ),
                request_id,
            );
            if let Ok(v) = HeaderValue::from_str(&(*retry_after).max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        AppError::Invalid(_) if e.bad_request.is_some() => problem(
            status,
            e.bad_request.unwrap_or("invalid"),
            &words(""),
            request_id,
        ),
        AppError::Invalid(errors) => {
            let fields: serde_json::Map<String, serde_json::Value> = errors
                .0
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            problem_body(
                status,
                "invalid",
                &words("There is a problem with what was sent"),
                request_id,
                Some(serde_json::Value::Object(fields)),
            )
        }
        AppError::Internal(_) => problem(
            status,
            "internal",
            "Something went wrong; quote the request id",
            request_id,
        ),
    }
}

/// The edge's answers to requests the handlers never finished: over the time limit, a body
/// over the limit (both answered by tower-http layers with bare bodies) and panics.
pub fn edge_answer(resp: Response, surface: Surface, request_id: &str) -> Response {
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    let status = resp.status();
    // The time limit answers 503 with no body at all (`readyz`'s 503 says why in text/plain).
    let timed_out = status == StatusCode::SERVICE_UNAVAILABLE
        && !resp.headers().contains_key(header::CONTENT_TYPE);
    let too_large = status == StatusCode::PAYLOAD_TOO_LARGE && plain;
    let answer = if timed_out {
        match surface {
            Surface::Page => Some(layout::render_status(
                status,
                None,
                "Sorry, the service took too long",
                html! {
                    h1 class="govuk-heading-l" { "Sorry, the service took too long" }
                    p class="govuk-body" { "Nothing you were doing has been half-saved. Try again in a few minutes." }
                    p class="govuk-body" { "If it happens again, give the commissioning team this reference: " strong data-testid="request-id" { (request_id) } }
                },
            )),
            _ => Some(problem(
                status,
                "timeout",
                "The request took too long and was stopped; nothing was changed",
                request_id,
            )),
        }
    } else if too_large {
        match surface {
            Surface::Page => Some(layout::render_status(
                status,
                None,
                "The file or form is too large",
                html! {
                    h1 class="govuk-heading-l" { "The file or form is too large" }
                    p class="govuk-body" { "Nothing was saved. Go back and choose a smaller file (up to 10 MB)." }
                },
            )),
            _ => Some(problem(
                status,
                "too_large",
                "The request body is larger than the limit",
                request_id,
            )),
        }
    } else {
        None
    };
    match answer {
        Some(mut a) => {
            for (name, value) in resp.headers() {
                if !a.headers().contains_key(name) && name != header::CONTENT_LENGTH {
                    a.headers_mut().append(name.clone(), value.clone());
                }
            }
            a
        }
        None => resp,
    }
}

/// The answer of a panicking handler (`CatchPanicLayer`): an internal error, rendered by the
/// edge with the request id; the message goes to the log.
pub fn panic_answer(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".into());
    WebError::internal(format!("panic: {message}")).into_response()
}
