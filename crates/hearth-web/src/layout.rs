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
    /// The path of the request being handled (set beside the request id).
    pub static REQUEST_PATH: String;
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
                ("Payments", "/payments"),
                ("Day activities", "/day-activities"),
                ("Login requests", "/account-requests"),
            ];
            if *role == Role::Administrator {
                v.push(("Users", "/admin/users"));
                v.push(("Audit", "/admin/audit"));
                v.push(("Settings", "/admin/settings"));
                v.push(("Import", "/admin/records"));
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
            ("Payments", "/payments"),
            ("Day activities", "/day-activities"),
            ("Contacts", "/contacts"),
            ("Organisation", "/organisation"),
        ],
        Principal::Host { .. } => vec![("Authorities", "/host")],
        Principal::System { .. } => Vec::new(),
    }
}

/// The name of the service in the staff and provider pages' titles.
pub const STAFF_SERVICE: &str = "Housing support commissioning";
/// The public directory's name: its pages carry this instead of the staff-facing names.
pub const PUBLIC_SERVICE_NAME: &str = "Find housing support and day services";

/// The public information pages the footer links (with the open data page); each is public,
/// and shown in the public header to a visitor who is not signed in.
pub const FOOTER_PAGES: &[(&str, &str)] = &[
    ("Accessibility statement", "/accessibility"),
    ("Privacy notice", "/privacy"),
    ("Cookies", "/cookies"),
    ("How to complain", "/complaints"),
    ("Open data", "/open-data"),
];

/// The path of the request being handled (set by the request layer), for marking the current
/// page in the navigation and for the breadcrumbs; empty outside a request.
pub fn request_path() -> String {
    REQUEST_PATH.try_with(|p| p.clone()).unwrap_or_default()
}

/// Whether `path` is in the public part of Hearth (the directory and its open data), whose
/// pages carry the public service's name and none of the staff-facing ones.
fn is_public(path: &str, signed_in: bool) -> bool {
    path == "/directory"
        || path.starts_with("/directory/")
        || path == "/open-data"
        || (!signed_in && FOOTER_PAGES.iter().any(|(_, href)| *href == path))
}

/// How a navigation link relates to the page: `Some("page")` when it is the page,
/// `Some("true")` when the page is inside its section (`/services/12` for Services), `None`
/// otherwise.
pub fn nav_current(href: &str, path: &str) -> Option<&'static str> {
    if path == href {
        Some("page")
    } else if path.starts_with(href) && path[href.len()..].starts_with('/') {
        Some("true")
    } else {
        None
    }
}

/// What one record in a section is called, for the breadcrumb back to it.
fn record_noun(section: &str) -> Option<&'static str> {
    Some(match section {
        "/providers" => "Provider",
        "/services" => "Service",
        "/properties" => "Property",
        "/contracts" => "Contract",
        "/requests" => "Request",
        "/returns" => "Return",
        "/actions" => "Action",
        "/contacts" => "Contact",
        "/account-requests" => "Login request",
        "/admin/users" => "User",
        "/runs" => "Job run",
        "/documents" => "Document",
        _ => return None,
    })
}

/// Breadcrumbs for a page below the top level that has neither breadcrumbs nor a back link
/// of its own, derived from its address: Home, the section the page is in (the longest
/// navigation link, or "Your account", whose address starts the page's) and, on a page
/// inside a record (`/services/12/edit`), the record. `None` for a top-level page.
pub fn derived_breadcrumbs(ctx: &Ctx, path: &str) -> Option<Vec<(String, String)>> {
    let mut sections = nav(ctx);
    sections.push(("Your account", "/account"));
    breadcrumbs_within(&sections, path)
}

/// [`derived_breadcrumbs`] over a given navigation: (label, address) of each section.
fn breadcrumbs_within(
    sections: &[(&'static str, &'static str)],
    path: &str,
) -> Option<Vec<(String, String)>> {
    if path.matches('/').count() < 2 {
        return None;
    }
    let mut crumbs = vec![("Home".to_string(), "/home".to_string())];
    // A page in no section of this person's navigation (a provider's own organisation record,
    // `/providers/{id}`) is still led back home.
    let Some(&(label, section)) = sections
        .iter()
        .filter(|(_, href)| *href != "/home" && nav_current(href, path).is_some())
        .max_by_key(|(_, href)| href.len())
    else {
        return Some(crumbs);
    };
    let rest: Vec<&str> = path[section.len()..]
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    crumbs.push((label.to_string(), section.to_string()));
    if let (Some(id), true) = (rest.first(), rest.len() > 1) {
        if id.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(noun) = record_noun(section) {
                crumbs.push((noun.to_string(), format!("{section}/{id}")));
            }
        }
    }
    Some(crumbs)
}

/// GOV.UK breadcrumbs: each crumb a link to a page above this one.
pub fn breadcrumbs(crumbs: &[(String, String)]) -> Markup {
    html! {
        nav class="govuk-breadcrumbs" aria-label="Breadcrumb" {
            ol class="govuk-breadcrumbs__list" {
                @for (label, href) in crumbs {
                    li class="govuk-breadcrumbs__list-item" {
                        a class="govuk-breadcrumbs__link" href=(href) { (label) }
                    }
                }
            }
        }
    }
}

/// A wide table in a container that scrolls sideways on a narrow screen, so the table and not
/// the whole page scrolls. Focusable, so it can be scrolled with a keyboard, and a named
/// region, so a screen reader says what it is.
pub fn scrolling_table(label: &str, table: Markup) -> Markup {
    html! {
        div class="hearth-table-scroll" role="region" aria-label=(label) tabindex="0" {
            (table)
        }
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
    let path = request_path();
    let public = is_public(&path, ctx.is_some());
    // The header names the authority (Hearth is a council's service, not GOV.UK's: no crown,
    // no GOV.UK logotype); the service navigation below it names the service.
    let (header_name, header_href, service_name, service_href) = if public {
        (PUBLIC_SERVICE_NAME, "/directory", None, "/directory")
    } else {
        let authority = ctx.and_then(|c| c.live.authority_name.as_deref());
        (
            authority.unwrap_or(SERVICE_NAME),
            if ctx.is_some() { "/home" } else { "/" },
            Some(STAFF_SERVICE),
            if ctx.is_some() { "/home" } else { "/" },
        )
    };
    let title_suffix = if public {
        PUBLIC_SERVICE_NAME
    } else {
        SERVICE_NAME
    };
    let items = match (ctx, public) {
        (Some(ctx), false) => nav(ctx),
        _ => Vec::new(),
    };
    let has_own = content.0.contains("class=\"govuk-back-link\"")
        || content.0.contains("class=\"govuk-breadcrumbs\"");
    let crumbs = match ctx {
        Some(ctx) if !has_own && !public => derived_breadcrumbs(ctx, &path),
        _ => None,
    };
    html! {
        (DOCTYPE)
        html lang="en" class="govuk-template" {
            head {
                meta charset="utf-8";
                title { (error) (title) " – " (title_suffix) }
                meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
                meta name="theme-color" content="#1d70b8";
                // The council's service has its own icon, not GOV.UK's crown.
                link rel="icon" sizes="any" href="/assets/hearth-icon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/assets/govuk-frontend.min.css";
                link rel="stylesheet" href="/assets/hearth.css";
            }
            body class="govuk-template__body" {
                a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link" { "Skip to main content" }
                header class="govuk-template__header" {
                    div class="govuk-generic-header" data-testid="header" {
                        div class="govuk-generic-header__container govuk-width-container" {
                            div class="govuk-generic-header__logo" {
                                a href=(header_href) class="govuk-generic-header__homepage-link hearth-header-name" { (header_name) }
                            }
                        }
                    }
                    @if service_name.is_some() || !items.is_empty() {
                        section aria-label="Service information" class="govuk-service-navigation" data-module="govuk-service-navigation" {
                            div class="govuk-width-container" {
                                div class="govuk-service-navigation__container" {
                                    @if let Some(name) = service_name {
                                        span class="govuk-service-navigation__service-name" {
                                            a href=(service_href) class="govuk-service-navigation__link" { (name) }
                                        }
                                    }
                                    @if !items.is_empty() {
                                        nav aria-label="Menu" class="govuk-service-navigation__wrapper" {
                                            button type="button" class="govuk-service-navigation__toggle govuk-js-service-navigation-toggle" aria-controls="navigation" hidden aria-hidden="true" { "Menu" }
                                            ul class="govuk-service-navigation__list" id="navigation" {
                                                @for (label, href) in &items {
                                                    @let current = nav_current(href, &path);
                                                    li class={ "govuk-service-navigation__item" @if current.is_some() { " govuk-service-navigation__item--active" } } {
                                                        a class="govuk-service-navigation__link" href=(href) aria-current=[current] {
                                                            @if current.is_some() {
                                                                strong class="govuk-service-navigation__active-fallback" { (label) }
                                                            } @else {
                                                                (label)
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div class="govuk-width-container" {
                        div class="govuk-phase-banner" {
                            p class="govuk-phase-banner__content" {
                                strong class="govuk-tag govuk-phase-banner__content__tag" { "Beta" }
                                span class="govuk-phase-banner__text" {
                                    @if public {
                                        "This is a new service. Your feedback will help us to improve it."
                                    } @else {
                                        "This is a new service. Tell the commissioning team what you think of it."
                                    }
                                }
                            }
                        }
                        @if let Some(ctx) = ctx {
                            div class="govuk-body-s govuk-!-margin-top-2 govuk-!-margin-bottom-0" data-testid="signed-in-bar" {
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
                    @if let Some(crumbs) = &crumbs {
                        (breadcrumbs(crumbs))
                    }
                    main class="govuk-main-wrapper" id="main-content" {
                        (content)
                    }
                }
                footer class="govuk-template__footer" {
                    div class="govuk-footer" {
                        div class="govuk-width-container" {
                            div class="govuk-footer__meta" {
                                div class="govuk-footer__meta-item govuk-footer__meta-item--grow" {
                                    h2 class="govuk-visually-hidden" { "Support links" }
                                    ul class="govuk-footer__inline-list" {
                                        @for (label, href) in FOOTER_PAGES {
                                            li class="govuk-footer__inline-list-item" { a class="govuk-footer__link" href=(href) { (label) } }
                                        }
                                        li class="govuk-footer__inline-list-item" { a class="govuk-footer__link" href="/directory" { "Find a service (public directory)" } }
                                    }
                                    div class="govuk-footer__meta-custom" {
                                        @if public {
                                            "Housing-related support and day services funded by the council, for anyone looking for help and the people who support them."
                                        } @else {
                                            (SERVICE_NAME) " – housing-related support and day services, for the commissioning authority and the organisations it funds."
                                        }
                                    }
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

/// A form's page: 200, or 422 when it shows errors beside its fields.
pub fn render_form(
    ctx: Option<&Ctx>,
    title: &str,
    content: Markup,
    errors: &FieldErrors,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, ctx, title, content)
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
    input_as(name, name, label, value, errors, o)
}

/// As [`input`], with the element ids starting `id` rather than the field's name: for a page
/// with two forms that share a field name (an id is used once a page, or a label, an error
/// summary's link and `aria-describedby` find the other form's field).
pub fn input_as(
    id: &str,
    name: &str,
    label: &str,
    value: &str,
    errors: &FieldErrors,
    o: Opt,
) -> Markup {
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
        (true, true) => Some(format!("{id}-hint {id}-error")),
        (true, false) => Some(format!("{id}-hint")),
        (false, true) => Some(format!("{id}-error")),
        _ => None,
    };
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            label class="govuk-label" for=(id) { (label_text(label, o.required)) }
            @if let Some(h) = o.hint { div id={ (id) "-hint" } class="govuk-hint" { (h) } }
            @if let Some(e) = err { p id={ (id) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
            input class=(class) id=(id) name=(name) type=(o.kind.unwrap_or("text")) value=(value)
                aria-describedby=[described] autocomplete=[o.autocomplete] inputmode=[o.inputmode] spellcheck="false";
        }
    }
}

/// The one hint every date input carries (GOV.UK: "For example, 27 3 2007").
pub const DATE_HINT: &str = "For example, 27 3 2026";

/// A date's value split into (day, month, year) boxes: from an ISO date ("2026-11-05"), a
/// British one ("5/11/2026") or the joined boxes sent back with an error ("5//2026").
pub fn date_boxes(value: &str) -> (String, String, String) {
    let v = value.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        use chrono::Datelike;
        return (
            d.day().to_string(),
            d.month().to_string(),
            d.year().to_string(),
        );
    }
    let mut parts = v.splitn(3, '/').map(|p| p.trim().to_string());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(d), Some(m), Some(y)) => (d, m, y),
        _ => (v.to_string(), String::new(), String::new()),
    }
}

/// The GOV.UK date input: day, month and year boxes in a fieldset, named `NAME-day`,
/// `NAME-month` and `NAME-year`; the web edge joins them into `NAME` (see `date_boxes.rs`).
/// The day box has the id `NAME`, so the error summary's link lands on it. `hint` replaces
/// the standard one where a date needs saying more ("The day the schedule starts. For
/// example, ...").
pub fn date_input(
    name: &str,
    legend: &str,
    value: &str,
    errors: &FieldErrors,
    required: bool,
    hint: Option<&str>,
) -> Markup {
    date_input_as(name, name, legend, value, errors, required, hint)
}

/// As [`date_input`], with element ids starting `id` rather than the name: for a page with
/// one such form per row (the returns tracker's extensions).
pub fn date_input_as(
    id: &str,
    name: &str,
    legend: &str,
    value: &str,
    errors: &FieldErrors,
    required: bool,
    hint: Option<&str>,
) -> Markup {
    let err = errors.get(name);
    let (day, month, year) = date_boxes(value);
    let hint = hint
        .map(|h| format!("{h} {DATE_HINT}"))
        .unwrap_or_else(|| DATE_HINT.to_string());
    let described = if err.is_some() {
        format!("{id}-hint {id}-error")
    } else {
        format!("{id}-hint")
    };
    let class = |width: &str| {
        format!(
            "govuk-input govuk-date-input__input govuk-input--width-{width}{}",
            if err.is_some() {
                " govuk-input--error"
            } else {
                ""
            }
        )
    };
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            fieldset class="govuk-fieldset" role="group" aria-describedby=(described) {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { (label_text(legend, required)) }
                div id={ (id) "-hint" } class="govuk-hint" { (hint) }
                @if let Some(e) = err { p id={ (id) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                div class="govuk-date-input" {
                    div class="govuk-date-input__item" { div class="govuk-form-group" {
                        label class="govuk-label govuk-date-input__label" for=(id) { "Day" }
                        input class=(class("2")) id=(id) name={ (name) "-day" } type="text" inputmode="numeric" value=(day);
                    } }
                    div class="govuk-date-input__item" { div class="govuk-form-group" {
                        label class="govuk-label govuk-date-input__label" for={ (id) "-month" } { "Month" }
                        input class=(class("2")) id={ (id) "-month" } name={ (name) "-month" } type="text" inputmode="numeric" value=(month);
                    } }
                    div class="govuk-date-input__item" { div class="govuk-form-group" {
                        label class="govuk-label govuk-date-input__label" for={ (id) "-year" } { "Year" }
                        input class=(class("4")) id={ (id) "-year" } name={ (name) "-year" } type="text" inputmode="numeric" value=(year);
                    } }
                }
            }
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
            textarea class={ "govuk-textarea" @if err.is_some() { " govuk-textarea--error" } } id=(name) name=(name) rows="4" aria-describedby=[err.map(|_| format!("{name}-error"))] { (value) }
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
    select_as(name, name, label, options, selected, errors, required)
}

/// As [`select`], with the element ids starting `id` rather than the field's name (see
/// [`input_as`]).
pub fn select_as(
    id: &str,
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
            label class="govuk-label" for=(id) { (label_text(label, required)) }
            @if let Some(e) = err { p id={ (id) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
            select class={ "govuk-select" @if err.is_some() { " govuk-select--error" } } id=(id) name=(name) aria-describedby=[err.map(|_| format!("{id}-error"))] {
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

/// GOV.UK checkboxes in a fieldset, one per (code, label); `selected` is the codes ticked,
/// comma-separated, and each ticked box sends its code under `name`. The first box's id is
/// the field's name, so the error summary's link lands on it.
pub fn code_checkboxes(
    name: &str,
    legend: &str,
    vocabulary: &[(&str, &str)],
    selected: &str,
    errors: &FieldErrors,
) -> Markup {
    let chosen: Vec<&str> = selected.split(',').map(str::trim).collect();
    let err = errors.get(name);
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            fieldset class="govuk-fieldset" aria-describedby=[err.map(|_| format!("{name}-error"))] {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { (legend) }
                @if let Some(e) = err { p id={ (name) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes" {
                    @for (i, (code, label)) in vocabulary.iter().enumerate() {
                        @let id = if i == 0 { name.to_string() } else { format!("{name}-{code}") };
                        div class="govuk-checkboxes__item" {
                            input class="govuk-checkboxes__input" id=(id) name=(name) type="checkbox" value=(code) checked[chosen.contains(code)];
                            label class="govuk-label govuk-checkboxes__label" for=(id) { (label) }
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
                    input class="govuk-checkboxes__input" id=(name) name=(name) type="checkbox" value="yes" checked[checked]
                        aria-describedby=[hint.map(|_| format!("{name}-hint"))];
                    label class="govuk-label govuk-checkboxes__label" for=(name) { (label) }
                    @if let Some(h) = hint { div id={ (name) "-hint" } class="govuk-hint govuk-checkboxes__hint" { (h) } }
                }
            }
        }
    }
}

pub fn button(label: &str) -> Markup {
    html! { button type="submit" class="govuk-button" data-module="govuk-button" { (label) } }
}

/// A GOV.UK summary list. A row whose value is empty is left out (the Design System: no
/// blank rows), so a record shows only what it holds.
pub fn summary_list(rows: &[(&str, Markup)]) -> Markup {
    html! {
        dl class="govuk-summary-list" {
            @for (k, v) in rows.iter().filter(|(_, v)| !v.0.trim().is_empty()) {
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

/// The media type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A one-sheet Excel workbook to download: a bold header row, then the rows as text.
pub fn xlsx_download(name: &str, sheet: &str, header: &[String], rows: &[Vec<String>]) -> Page {
    let bytes =
        hearth_docs::workbook::table_xlsx(sheet, header, rows).map_err(WebError::internal)?;
    Ok(download(XLSX, name, bytes))
}

#[cfg(test)]
mod shell_tests {
    use super::*;

    fn crumbs(path: &str) -> Option<Vec<(String, String)>> {
        let sections = [
            ("Home", "/home"),
            ("Services", "/services"),
            ("Returns", "/returns"),
            ("Users", "/admin/users"),
            ("Your account", "/account"),
        ];
        breadcrumbs_within(&sections, path)
    }

    fn pairs(v: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn breadcrumbs_lead_up_through_the_section_to_the_record() {
        assert_eq!(crumbs("/services"), None, "a top-level page has none");
        assert_eq!(crumbs("/home"), None);
        assert_eq!(
            crumbs("/services/12"),
            pairs(&[("Home", "/home"), ("Services", "/services")])
        );
        assert_eq!(
            crumbs("/services/12/returns/new"),
            pairs(&[
                ("Home", "/home"),
                ("Services", "/services"),
                ("Service", "/services/12")
            ])
        );
        assert_eq!(
            crumbs("/returns/tracker"),
            pairs(&[("Home", "/home"), ("Returns", "/returns")])
        );
        // The longest section wins: /admin/users, not a section named /admin.
        assert_eq!(
            crumbs("/admin/users/3/edit"),
            pairs(&[
                ("Home", "/home"),
                ("Users", "/admin/users"),
                ("User", "/admin/users/3")
            ])
        );
        assert_eq!(
            crumbs("/account/password"),
            pairs(&[("Home", "/home"), ("Your account", "/account")])
        );
        // "/servicesx/1" is not in Services; a page in no section still leads home.
        assert_eq!(crumbs("/servicesx/1"), pairs(&[("Home", "/home")]));
        assert_eq!(crumbs("/providers/4"), pairs(&[("Home", "/home")]));
    }

    #[test]
    fn a_navigation_link_is_the_page_or_its_section() {
        assert_eq!(nav_current("/services", "/services"), Some("page"));
        assert_eq!(nav_current("/services", "/services/12/edit"), Some("true"));
        assert_eq!(nav_current("/services", "/servicesx"), None);
        assert_eq!(nav_current("/home", "/services"), None);
    }

    // Usability review (issue 10, GOV.UK patterns): "no blank rows in summary lists".
    #[test]
    fn a_summary_list_leaves_out_rows_with_nothing_in_them() {
        let list = summary_list(&[
            ("Name", html! { "Larkspur" }),
            ("Fax", html! {}),
            ("Comment", html! { "  " }),
        ])
        .into_string();
        assert!(list.contains("Larkspur"));
        assert!(!list.contains("Fax") && !list.contains("Comment"), "{list}");
        assert_eq!(list.matches("govuk-summary-list__row").count(), 1);
    }
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
