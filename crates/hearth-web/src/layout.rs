//! The GOV.UK page shell, form components and error pages.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use hearth_app::{FieldErrors, Principal};
use hearth_domain::Role;
use maud::{html, Markup, DOCTYPE};

use crate::error::{Page, WebError};
use crate::session::Ctx;

pub const SERVICE_NAME: &str = "Hearth";

/// A count and its noun, "1 request" / "3 requests": every page says a count through this
/// one rule (the domain's), so none reads "1 requests".
pub use hearth_domain::text::plural;

tokio::task_local! {
    /// The id of the request being handled (tower-http's `SetRequestIdLayer` makes it; the
    /// request layer puts it here for the handlers), shown on error pages and logged.
    pub static REQUEST_ID: String;
}

pub fn request_id() -> String {
    REQUEST_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| "-".into())
}

fn nav(ctx: &Ctx) -> Vec<(&'static str, &'static str)> {
    match &ctx.principal {
        Principal::Staff { role, .. } => {
            let mut v = vec![
                ("Home", "/home"),
                ("Providers", "/providers"),
                ("Services", "/services"),
                ("Properties", "/properties"),
                ("Contracts", "/contracts"),
                ("Requests", "/requests"),
                ("Returns", "/returns"),
                ("Actions", "/actions"),
                ("Login requests", "/account-requests"),
            ];
            if *role == Role::Administrator {
                v.push(("Users", "/admin/users"));
                v.push(("Audit", "/admin/audit"));
                v.push(("Settings", "/admin/settings"));
                v.push(("Job runs", "/runs"));
            }
            v
        }
        Principal::Provider { .. } => vec![
            ("Home", "/home"),
            ("Services", "/services"),
            ("Properties", "/properties"),
            ("Contracts", "/contracts"),
            ("Requests", "/requests"),
            ("Returns", "/returns"),
            ("Actions", "/actions"),
            ("Contacts", "/contacts"),
            ("Organisation", "/organisation"),
        ],
        Principal::System { .. } => Vec::new(),
    }
}

/// The whole page.
pub fn page(ctx: Option<&Ctx>, title: &str, content: Markup) -> Markup {
    // A page that shows an error summary says so first in its title (GOV.UK pattern), so a
    // screen reader hears it before anything else.
    // The class attribute with its quotes: text a person typed is escaped (`&quot;`), so a
    // comment that mentions the class cannot make a page an error page.
    let error = if content.0.contains("class=\"govuk-error-summary\"") {
        "Error: "
    } else {
        ""
    };
    html! {
        (DOCTYPE)
        html lang="en" class="govuk-template" {
            head {
                meta charset="utf-8";
                title { (error) (title) " – " (SERVICE_NAME) }
                meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
                meta name="theme-color" content="#0b0c0c";
                link rel="icon" sizes="48x48" href="/assets/images/favicon.ico";
                link rel="icon" sizes="any" href="/assets/images/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/assets/govuk-frontend.min.css";
                link rel="stylesheet" href="/assets/hearth.css";
            }
            body class="govuk-template__body" {
                a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link" { "Skip to main content" }
                header class="govuk-header" data-module="govuk-header" {
                    div class="govuk-header__container govuk-width-container" {
                        div class="govuk-header__logo" {
                            a href="/" class="govuk-header__link govuk-header__link--homepage" {
                                span class="govuk-header__logotype-text" { (SERVICE_NAME) }
                            }
                        }
                        div class="govuk-header__content" {
                            span class="govuk-header__service-name" { "Housing support commissioning" }
                            @if let Some(ctx) = ctx {
                                nav aria-label="Menu" class="govuk-header__navigation" {
                                    button type="button" class="govuk-header__menu-button govuk-js-header-toggle" aria-controls="navigation" hidden { "Menu" }
                                    ul id="navigation" class="govuk-header__navigation-list" {
                                        @for (label, href) in nav(ctx) {
                                            li class="govuk-header__navigation-item" {
                                                a class="govuk-header__link" href=(href) { (label) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(ctx) = ctx {
                    div class="govuk-width-container" {
                        div class="govuk-grid-row govuk-!-margin-top-2" {
                            div class="govuk-grid-column-full govuk-body-s" {
                                "Signed in as " strong data-testid="signed-in-user" { (ctx.live.user.display_name) }
                                " (" (ctx.principal.role().label()) ") · "
                                a class="govuk-link" href="/account" { "Your account" }
                                " · "
                                form method="post" action="/logout" class="govuk-!-display-inline" {
                                    (csrf(&ctx.csrf))
                                    button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0 govuk-!-padding-1" data-testid="sign-out" { "Sign out" }
                                }
                            }
                        }
                    }
                }
                div class="govuk-width-container" {
                    div class="govuk-phase-banner" {
                        p class="govuk-phase-banner__content" {
                            strong class="govuk-tag govuk-phase-banner__content__tag" { "Beta" }
                            span class="govuk-phase-banner__text" { "This is a new service. Tell the commissioning team what you think of it." }
                        }
                    }
                    main class="govuk-main-wrapper" id="main-content" {
                        (content)
                    }
                }
                footer class="govuk-footer" {
                    div class="govuk-width-container" {
                        div class="govuk-footer__meta" {
                            div class="govuk-footer__meta-item govuk-footer__meta-item--grow" {
                                h2 class="govuk-visually-hidden" { "Support links" }
                                p class="govuk-body-s" { (SERVICE_NAME) " – housing-related support and day services, for the commissioning authority and the organisations it funds." }
                                ul class="govuk-footer__inline-list" {
                                    li class="govuk-footer__inline-list-item" { a class="govuk-footer__link" href="/directory" { "Find a service (public directory)" } }
                                    li class="govuk-footer__inline-list-item" { a class="govuk-footer__link" href="/api/oruk/" { "Open Referral UK API" } }
                                }
                            }
                        }
                    }
                }
                script type="module" src="/assets/app.mjs" {}
            }
        }
    }
}

/// A 200 page.
pub fn render(ctx: Option<&Ctx>, title: &str, content: Markup) -> Response {
    Html(page(ctx, title, content).into_string()).into_response()
}

/// A page with a status.
pub fn render_status(
    status: StatusCode,
    ctx: Option<&Ctx>,
    title: &str,
    content: Markup,
) -> Response {
    (status, Html(page(ctx, title, content).into_string())).into_response()
}

pub fn not_found(ctx: Option<&Ctx>) -> Response {
    render_status(
        StatusCode::NOT_FOUND,
        ctx,
        "Page not found",
        html! {
            h1 class="govuk-heading-l" { "Page not found" }
            p class="govuk-body" { "If you typed the web address, check it is correct." }
            p class="govuk-body" { "If you pasted the web address, check you copied the entire address." }
            p class="govuk-body" { a class="govuk-link" href="/home" { "Go to your home page" } }
        },
    )
}

pub fn forbidden(ctx: Option<&Ctx>) -> Response {
    render_status(
        StatusCode::FORBIDDEN,
        ctx,
        "You cannot do this",
        html! {
            h1 class="govuk-heading-l" { "You cannot do this" }
            p class="govuk-body" { "Your role does not allow it. Ask an administrator if you think it should." }
        },
    )
}

/// An unexpected failure: `detail` is logged with the request id and never shown; the page
/// (rendered by the route's error layer, with the signed-in header) shows the request id.
pub fn server_error(_ctx: Option<&Ctx>, detail: &str) -> Response {
    crate::error::WebError::internal(detail).into_response()
}

/// A request whose address is too long to be a real one (search text is bounded by the forms).
pub fn address_too_long() -> Response {
    render_status(
        StatusCode::BAD_REQUEST,
        None,
        "The web address is too long",
        html! {
            h1 class="govuk-heading-l" { "The web address is too long" }
            p class="govuk-body" { "Nothing was searched or changed. Go back and search for fewer words." }
        },
    )
}

pub fn csrf_failed() -> Response {
    render_status(
        StatusCode::FORBIDDEN,
        None,
        "Your form has expired",
        html! {
            h1 class="govuk-heading-l" { "Your form has expired" }
            p class="govuk-body" { "For your security, the form could not be accepted and nothing was changed. Go back, reload the page and try again." }
        },
    )
}

/// 429: a person has tried too often; the page says how long to wait, `Retry-After` says it
/// to machines.
pub fn too_many(ctx: Option<&Ctx>, retry_after: i64) -> Response {
    let wait = hearth_domain::throttle::wait_words(retry_after);
    let mut r = render_status(
        StatusCode::TOO_MANY_REQUESTS,
        ctx,
        "Too many attempts",
        html! {
            h1 class="govuk-heading-l" { "Too many attempts" }
            p class="govuk-body" { "For your security, you need to wait " strong { (wait) } " before you try again." }
            p class="govuk-body" { "Nothing you entered has been saved. If you need help now, contact the commissioning team." }
        },
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after.max(1).to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// Redirect after a successful POST (303 See Other).
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

// ---------------- components ----------------

pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

pub fn error_summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="govuk-error-summary" data-module="govuk-error-summary" {
                div role="alert" {
                    h2 class="govuk-error-summary__title" { "There is a problem" }
                    div class="govuk-error-summary__body" {
                        ul class="govuk-list govuk-error-summary__list" {
                            @for (field, msg) in &errors.0 {
                                li { a href={ "#" (field) } { (msg) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Optional extras of a text input.
#[derive(Default, Clone, Copy)]
pub struct Opt<'a> {
    pub hint: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub width: Option<&'a str>,
    pub autocomplete: Option<&'a str>,
    /// The keyboard a phone shows: `numeric` for a security code.
    pub inputmode: Option<&'a str>,
    pub required: bool,
}

fn label_text(label: &str, required: bool) -> Markup {
    html! { (label) @if !required { " (optional)" } }
}

pub fn input(name: &str, label: &str, value: &str, errors: &FieldErrors, o: Opt) -> Markup {
    let err = errors.get(name);
    let class = format!(
        "govuk-input{}{}",
        o.width
            .map(|w| format!(" govuk-input--width-{w}"))
            .unwrap_or_default(),
        if err.is_some() {
            " govuk-input--error"
        } else {
            ""
        }
    );
    let described = match (o.hint.is_some(), err.is_some()) {
        (true, true) => Some(format!("{name}-hint {name}-error")),
        (true, false) => Some(format!("{name}-hint")),
        (false, true) => Some(format!("{name}-error")),
        _ => None,
    };
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            label class="govuk-label" for=(name) { (label_text(label, o.required)) }
            @if let Some(h) = o.hint { div id={ (name) "-hint" } class="govuk-hint" { (h) } }
            @if let Some(e) = err { p id={ (name) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
            input class=(class) id=(name) name=(name) type=(o.kind.unwrap_or("text")) value=(value)
                aria-describedby=[described] autocomplete=[o.autocomplete] inputmode=[o.inputmode] spellcheck="false";
        }
    }
}

pub fn textarea(
    name: &str,
    label: &str,
    value: &str,
    errors: &FieldErrors,
    required: bool,
) -> Markup {
    let err = errors.get(name);
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            label class="govuk-label" for=(name) { (label_text(label, required)) }
            @if let Some(e) = err { p id={ (name) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
            textarea class={ "govuk-textarea" @if err.is_some() { " govuk-textarea--error" } } id=(name) name=(name) rows="4" { (value) }
        }
    }
}

pub fn select(
    name: &str,
    label: &str,
    options: &[(String, String)],
    selected: &str,
    errors: &FieldErrors,
    required: bool,
) -> Markup {
    let err = errors.get(name);
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            label class="govuk-label" for=(name) { (label_text(label, required)) }
            @if let Some(e) = err { p id={ (name) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
            select class={ "govuk-select" @if err.is_some() { " govuk-select--error" } } id=(name) name=(name) {
                option value="" { "Select" }
                @for (v, l) in options {
                    option value=(v) selected[v == selected] { (l) }
                }
            }
        }
    }
}

/// GOV.UK radios in a fieldset, for a choice of a few options: (value, label, hint). The first
/// radio's id is the field's name, so the error summary's link lands on it.
pub fn radios(
    name: &str,
    legend: &str,
    options: &[(&str, &str, Option<&str>)],
    selected: &str,
    errors: &FieldErrors,
) -> Markup {
    let err = errors.get(name);
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            fieldset class="govuk-fieldset" aria-describedby=[err.map(|_| format!("{name}-error"))] {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { (legend) }
                @if let Some(e) = err { p id={ (name) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                div class="govuk-radios" data-module="govuk-radios" {
                    @for (i, (value, label, hint)) in options.iter().enumerate() {
                        @let id = if i == 0 { name.to_string() } else { format!("{name}-{value}") };
                        div class="govuk-radios__item" {
                            input class="govuk-radios__input" id=(id) name=(name) type="radio" value=(value)
                                checked[*value == selected]
                                aria-describedby=[hint.map(|_| format!("{id}-hint"))];
                            label class="govuk-label govuk-radios__label" for=(id) { (label) }
                            @if let Some(h) = hint { div id={ (id) "-hint" } class="govuk-hint govuk-radios__hint" { (h) } }
                        }
                    }
                }
            }
        }
    }
}

pub fn checkbox(name: &str, label: &str, checked: bool, hint: Option<&str>) -> Markup {
    html! {
        div class="govuk-form-group" {
            div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes" {
                div class="govuk-checkboxes__item" {
                    input class="govuk-checkboxes__input" id=(name) name=(name) type="checkbox" value="yes" checked[checked];
                    label class="govuk-label govuk-checkboxes__label" for=(name) { (label) }
                    @if let Some(h) = hint { div class="govuk-hint govuk-checkboxes__hint" { (h) } }
                }
            }
        }
    }
}

pub fn button(label: &str) -> Markup {
    html! { button type="submit" class="govuk-button" data-module="govuk-button" { (label) } }
}

pub fn summary_list(rows: &[(&str, Markup)]) -> Markup {
    html! {
        dl class="govuk-summary-list" {
            @for (k, v) in rows {
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { (k) }
                    dd class="govuk-summary-list__value" { (v) }
                }
            }
        }
    }
}

pub fn back_link(href: &str) -> Markup {
    html! { a href=(href) class="govuk-back-link" { "Back" } }
}

pub fn banner(title: &str, body: Markup) -> Markup {
    html! {
        div class="govuk-notification-banner govuk-notification-banner--success" role="alert" data-module="govuk-notification-banner" {
            div class="govuk-notification-banner__header" { h2 class="govuk-notification-banner__title" { "Success" } }
            div class="govuk-notification-banner__content" {
                h3 class="govuk-notification-banner__heading" { (title) }
                (body)
            }
        }
    }
}

/// Previous / next links keeping the other query parameters.
pub fn pagination(base: &str, page: i64, total_pages: i64) -> Markup {
    let sep = if base.contains('?') { "&" } else { "?" };
    html! {
        @if total_pages > 1 {
            nav class="govuk-pagination" aria-label="Pagination" {
                @if page > 1 {
                    div class="govuk-pagination__prev" {
                        a class="govuk-link govuk-pagination__link" href={ (base) (sep) "page=" (page - 1) } rel="prev" {
                            span class="govuk-pagination__link-title" { "Previous" span class="govuk-visually-hidden" { " page" } }
                        }
                    }
                }
                p class="govuk-body govuk-!-margin-bottom-0 govuk-!-padding-2" { "Page " (page) " of " (total_pages) }
                @if page < total_pages {
                    div class="govuk-pagination__next" {
                        a class="govuk-link govuk-pagination__link" href={ (base) (sep) "page=" (page + 1) } rel="next" {
                            span class="govuk-pagination__link-title" { "Next" span class="govuk-visually-hidden" { " page" } }
                        }
                    }
                }
            }
        }
    }
}

/// A date-time for people: UK time (Europe/London), like "2 Dec 2026 14:05 GMT".
pub fn when(ts: i64) -> String {
    hearth_domain::clock::display_time(ts)
}

/// A stored date (YYYY-MM-DD) as "22 Nov 2026".
pub fn date(d: &str) -> String {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_else(|_| d.to_string())
}

/// `Content-Disposition: attachment` for `name`, built so that no name can add a parameter or
/// break the header: a plain-ASCII `filename` of letters, digits, `.`, `-` and `_` only, and
/// the full name (without control characters, quotes, slashes or backslashes) percent-encoded
/// in `filename*` (RFC 6266).
pub fn content_disposition(name: &str) -> HeaderValue {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '"' | '\\' | '/' | ';' | ',') {
                '-'
            } else {
                c
            }
        })
        .take(150)
        .collect();
    let cleaned = cleaned.trim().trim_matches('.').to_string();
    let cleaned = if cleaned.is_empty() {
        "download".to_string()
    } else {
        cleaned
    };
    let ascii: String = cleaned
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let encoded: String = cleaned
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"download\""))
}

/// A file to download: every download goes through here, so its name cannot be injected.
pub fn download(
    content_type: &'static str,
    name: &str,
    bytes: impl Into<axum::body::Body>,
) -> Response {
    let mut r = Response::new(bytes.into());
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_DISPOSITION, content_disposition(name));
    r
}

/// A CSV file to download, written by `hearth-docs` (byte order mark, formula guard).
pub fn csv_download<H: AsRef<str>, C: AsRef<str>>(
    name: &str,
    header: &[H],
    rows: &[Vec<C>],
) -> Page {
    let bytes = hearth_docs::table::csv_bytes(header, rows).map_err(WebError::internal)?;
    Ok(download("text/csv; charset=utf-8", name, bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod download_tests {
    use super::*;

    // Security review finding 7: a name holding `"` became
    // `filename="BRK";filename*=UTF-8''evil.html`, and a line break gave a 500 for everyone.
    #[test]
    fn hostile_file_names_cannot_add_parameters_or_break_the_header() {
        for hostile in [
            "BRK\";filename*=UTF-8''evil.html",
            "S1\r\nSet-Cookie: x=1.xlsx",
            "../../etc/passwd",
            "a\\b.pdf",
            "",
            "...",
            "Tŷ Gwyn – return.xlsx",
            "\u{0}\u{7f}",
        ] {
            let v = content_disposition(hostile);
            let s = v.to_str().unwrap();
            assert_eq!(s.matches("filename=").count(), 1, "{hostile:?}: {s}");
            assert_eq!(s.matches("filename*=").count(), 1, "{hostile:?}: {s}");
            assert_eq!(s.matches('"').count(), 2, "{hostile:?}: {s}");
            assert!(
                !s.contains('\r') && !s.contains('\n') && !s.contains('/') && !s.contains('\\'),
                "{s}"
            );
            assert_eq!(s.matches(';').count(), 2, "{hostile:?}: {s}");
        }
        let v = content_disposition("Tŷ Gwyn.xlsx");
        assert_eq!(
            v.to_str().unwrap(),
            "attachment; filename=\"T--Gwyn.xlsx\"; filename*=UTF-8''T%C5%B7%20Gwyn.xlsx"
        );
    }
}
