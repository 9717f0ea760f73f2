//! The public directory of services (F8.1, F8.2): no sign-in, GOV.UK patterns, works without
//! JavaScript, filters kept in the address so a search can be bookmarked and shared.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use hearth_app::directory::{DirectoryItem, DirectoryQuery};
use hearth_app::{AppError, FieldErrors};
use hearth_domain::directory::{
    labels_of, ACCOMMODATION_TYPES, AGE_GROUPS, ETHNICITIES, HOUSEHOLD_TYPES, SUPPORT_TASKS,
};
use hearth_domain::{ClientGroup, ServiceType, Term};
use maud::{html, Markup};

use crate::error::Page;
use crate::layout::{self, error_summary, render, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::MaybeCtx;
use crate::AppState;

pub fn register(t: &mut RouteTable) {
    t.get("/directory", Access::Public, get(search));
    t.get("/directory/services/{id}", Access::Public, get(service));
}

fn options(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(c, l)| (c.to_string(), l.to_string()))
        .collect()
}

fn select(
    name: &str,
    label: &str,
    opts: &[(String, String)],
    value: &str,
    errors: &FieldErrors,
) -> Markup {
    let err = errors.get(name);
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            label class="govuk-label" for=(name) { (label) }
            @if let Some(e) = err { p id={ (name) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
            select class={ "govuk-select" @if err.is_some() { " govuk-select--error" } } id=(name) name=(name) aria-describedby=[err.map(|_| format!("{name}-error"))] {
                option value="" { "Any" }
                @for (v, l) in opts { option value=(v) selected[v == value] { (l) } }
            }
        }
    }
}

/// The search's fields as (name, value), in the form's order. The first
/// [`ALWAYS_SHOWN`] are always on show; the rest fold away under "Filter by ...".
fn search_fields(q: &DirectoryQuery) -> [(&'static str, &String); 11] {
    [
        ("q", &q.q),
        ("organisation", &q.organisation),
        ("postcode", &q.postcode),
        ("distance", &q.distance),
        ("service_type", &q.service_type),
        ("accommodation_type", &q.accommodation_type),
        ("support_task", &q.support_task),
        ("client_group", &q.client_group),
        ("ethnicity", &q.ethnicity),
        ("household_type", &q.household_type),
        ("include_full", &q.include_full),
    ]
}

/// How many of [`search_fields`] are always on show.
const ALWAYS_SHOWN: usize = 4;

fn query_string(q: &DirectoryQuery) -> String {
    let pairs = search_fields(q);
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::session::url_encode(v.trim())))
        .collect();
    if parts.is_empty() {
        "/directory".into()
    } else {
        format!("/directory?{}", parts.join("&"))
    }
}

fn miles(m: f64) -> String {
    format!("{:.1} miles", m / 1609.344)
}

fn places_text(n: i64) -> String {
    match n {
        0 => "No places available".into(),
        n => format!("{} available", layout::plural(n, "place", "places")),
    }
}

async fn search(
    State(state): State<AppState>,
    MaybeCtx(ctx): MaybeCtx,
    Query(q): Query<DirectoryQuery>,
) -> Page {
    let searched = query_string(&q) != "/directory" || q.page.is_some();
    let (results, errors) = if searched {
        match state.app.directory_search(&q).await {
            Ok(r) => (Some(r), FieldErrors::new()),
            Err(AppError::Invalid(e)) => (None, e),
            Err(e) => return Err(e.into()),
        }
    } else {
        (None, FieldErrors::new())
    };
    let types: Vec<(String, String)> = ServiceType::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), t.label().to_string()))
        .collect();
    let groups: Vec<(String, String)> = ClientGroup::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), t.label().to_string()))
        .collect();
    let base = query_string(&q);
    let back = search_address(&q);
    let form_col = html! {
        form method="get" action="/directory" id="search" role="search" aria-label="Search for services" {
            (layout::input("q", "Service name or keyword", &q.q, &errors, Opt { required: true, ..Default::default() }))
            (layout::input("organisation", "Organisation", &q.organisation, &errors, Opt { required: true, ..Default::default() }))
            (layout::input("postcode", "Postcode", &q.postcode, &errors, Opt { required: true, width: Some("10"), autocomplete: Some("postal-code"), ..Default::default() }))
            (layout::input("distance", "Within (miles)", &q.distance, &errors, Opt { required: true, width: Some("3"), hint: Some("From the postcode; 10 if left blank"), ..Default::default() }))
            // The filters fold away (GOV.UK details), so on a phone the results are not
            // pushed a screen and a half down; open whenever one of them is in use.
            details class="govuk-details" data-testid="filters" open[filters_in_use(&q, &errors)] {
                summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "Filter by type, support and who it is for" } }
                div class="govuk-details__text" {
                    (select("service_type", "Type of service", &types, &q.service_type, &errors))
                    (select("accommodation_type", "Accommodation type", &options(ACCOMMODATION_TYPES), &q.accommodation_type, &errors))
                    (select("support_task", "Support with", &options(SUPPORT_TASKS), &q.support_task, &errors))
                    (select("client_group", "Who it is for", &groups, &q.client_group, &errors))
                    (select("ethnicity", "Communities", &options(ETHNICITIES), &q.ethnicity, &errors))
                    (select("household_type", "Household", &options(HOUSEHOLD_TYPES), &q.household_type, &errors))
                    (layout::checkbox("include_full", "Include services with no places available", q.include_full == "yes", None))
                }
            }
            button type="submit" class="govuk-button" data-module="govuk-button" { "Search" }
        }
    };
    let results_col = html! {
        @if let Some(r) = &results {
            h2 class="govuk-heading-m" id="results" tabindex="-1" data-testid="result-count" { (layout::plural(r.total, "service", "services")) " found" }
            @if r.items.is_empty() { p class="govuk-body" { "Try fewer filters, a larger distance, or include services with no places available." } }
            ul class="govuk-list" data-testid="results" {
                @for item in &r.items { li { (result(item, &back)) } }
            }
            (layout::pagination(&base, r.page, r.total_pages()))
        } @else if errors.is_empty() {
            p class="govuk-body" { "Choose what you are looking for and select Search." }
        }
    };
    let body = html! {
        h1 class="govuk-heading-xl" { "Find housing support and day services" }
        p class="govuk-body-l" { "Search services funded to help people live independently: supported housing, floating support, sheltered housing, community alarms and day activities." }
        (error_summary(&errors))
        @if let Some(r) = &results {
            p class="govuk-body hearth-narrow-only" { a class="govuk-link" href="#search" { "Change your search (" (layout::plural(r.total, "service", "services")) " found)" } }
        }
        // After a search the results come first in the page (floated to the right beside the
        // form on wider screens), so on a phone they are not below the whole form.
        @if results.is_some() {
            div class="govuk-grid-row" {
                div class="govuk-grid-column-two-thirds hearth-results-first" { (results_col) }
                div class="govuk-grid-column-one-third" { (form_col) }
            }
        } @else {
            div class="govuk-grid-row" {
                div class="govuk-grid-column-one-third" { (form_col) }
                div class="govuk-grid-column-two-thirds" { (results_col) }
            }
        }
    };
    let mut resp = render(ctx.as_ref(), "Find housing support and day services", body);
    if !errors.is_empty() {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// Whether any of the folded filters is set (or has an error), so they show open.
fn filters_in_use(q: &DirectoryQuery, errors: &FieldErrors) -> bool {
    search_fields(q)[ALWAYS_SHOWN..]
        .iter()
        .any(|(name, v)| !v.trim().is_empty() || errors.get(name).is_some())
}

/// The address of this search and its page, for a service page's "Back to search".
fn search_address(q: &DirectoryQuery) -> String {
    let base = query_string(q);
    match q.page.filter(|p| *p > 1) {
        Some(p) if base.contains('?') => format!("{base}&page={p}"),
        Some(p) => format!("{base}?page={p}"),
        None => base,
    }
}

/// A service page's address that remembers the search it was found by.
fn service_href(id: i64, back: &str) -> String {
    match back.strip_prefix("/directory?") {
        Some(query) => format!(
            "/directory/services/{id}?back={}",
            crate::session::url_encode(query)
        ),
        None => format!("/directory/services/{id}"),
    }
}

/// "Back to search" goes back to the search the person came from. The `back` parameter is
/// read as a search and written out again, so it can only ever lead to the directory.
fn back_to_search(back: Option<&str>) -> String {
    let Some(query) = back.filter(|b| b.len() <= 2_000) else {
        return "/directory".into();
    };
    let Ok(uri) = format!("/directory?{query}").parse::<axum::http::Uri>() else {
        return "/directory".into();
    };
    match Query::<DirectoryQuery>::try_from_uri(&uri) {
        Ok(Query(q)) => search_address(&q),
        Err(_) => "/directory".into(),
    }
}

fn result(item: &DirectoryItem, back: &str) -> Markup {
    let s = &item.service;
    html! {
        div class="hearth-card" {
            h3 class="govuk-heading-s govuk-!-margin-bottom-1" { a class="govuk-link" href=(service_href(s.id, back)) { (public_name(item)) } }
            p class="govuk-body-s govuk-!-margin-bottom-1" { (item.provider_name) " · " (ServiceType::parse(&s.service_type).map(|t| t.label()).unwrap_or("")) @if let Some(d) = item.distance_m { " · " (miles(d)) } }
            p class="govuk-body-s govuk-!-margin-bottom-1" { (truncate(&s.description, 200)) }
            p class="govuk-body-s govuk-!-margin-bottom-0" {
                @if item.places_available > 0 { strong class="govuk-tag govuk-tag--green" { (places_text(item.places_available)) } }
                @else { strong class="govuk-tag govuk-tag--grey" { (places_text(0)) } }
            }
        }
    }
}

fn public_name(item: &DirectoryItem) -> &str {
    if item.service.public_name.is_empty() {
        &item.service.name
    } else {
        &item.service.public_name
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>().trim_end())
    }
}

fn yes(v: i64) -> &'static str {
    if v != 0 {
        "Yes"
    } else {
        "No"
    }
}

#[derive(serde::Deserialize, Default)]
struct BackQuery {
    back: Option<String>,
}

async fn service(
    State(state): State<AppState>,
    MaybeCtx(ctx): MaybeCtx,
    Path(id): Path<i64>,
    Query(b): Query<BackQuery>,
) -> Page {
    let item = state.app.directory_service(id).await?;
    let s = &item.service;
    let list = |v: Vec<String>| html! { @if v.is_empty() { "Not stated" } @else { ul class="govuk-list" { @for x in v { li { (x) } } } } };
    let body = html! {
        a href=(back_to_search(b.back.as_deref())) class="govuk-back-link" data-testid="back-to-search" { "Back to search" }
        span class="govuk-caption-l" { (item.provider_name) }
        h1 class="govuk-heading-l" { (public_name(&item)) }
        p class="govuk-body-l" { (s.description) }
        div class="govuk-inset-text" data-testid="places" {
            strong { (places_text(item.places_available)) }
            " of "
            @if s.service_type == "floating_support" || s.service_type == "day_activities" { (layout::plural(s.contracted_units, "place", "places")) }
            @else { (layout::plural(s.contracted_units, "unit", "units")) }
            @match s.available_places_updated_at {
                Some(t) if s.available_places.is_some() => { ". Updated by the provider on " (layout::when(t)) "." }
                _ => { ". Worked out from the service's current clients" @if !s.current_clients_on.is_empty() { " on " (layout::date(&s.current_clients_on)) } "." }
            }
        }
        h2 class="govuk-heading-m" { "About the service" }
        (layout::summary_list(&[
            ("Type of support", html! { (ServiceType::parse(&s.service_type).map(|t| t.label()).unwrap_or("")) }),
            ("Duration of support", html! { (Term::parse(&s.term).map(|t| t.label()).unwrap_or("")) }),
            ("Who it is for", html! { (ClientGroup::parse(&s.client_group).map(|t| t.label()).unwrap_or("")) }),
            ("Household types", list(labels_of(HOUSEHOLD_TYPES, &s.household_types))),
            ("Age groups", list(labels_of(AGE_GROUPS, &s.age_groups))),
            ("Communities", list(labels_of(ETHNICITIES, &s.ethnicity_focus))),
            ("Support with", list(labels_of(SUPPORT_TASKS, &s.support_tasks))),
            ("Accommodation", html! { @if s.accommodation_type.is_empty() { "Not applicable" } @else { (hearth_domain::directory::label_of(ACCOMMODATION_TYPES, &s.accommodation_type)) } }),
            ("Who can use it", html! { @if s.eligibility.is_empty() { "Not stated" } @else { (s.eligibility) } }),
            ("Exclusions", html! { (s.exclusions) }),
        ]))
        h2 class="govuk-heading-m" { "How to get support" }
        (layout::summary_list(&[
            ("Service manager", html! { @match &item.manager { Some(m) => (m), None => "Not stated" } }),
            ("Referral routes", html! { (s.referral_routes) }),
            ("Takes emergency referrals", html! { (yes(s.emergency_referrals)) }),
            ("Waiting list", html! { (yes(s.waiting_list)) }),
            ("Telephone", html! { (s.contact_phone) }),
            ("Email", html! { @if !s.contact_email.is_empty() { a class="govuk-link" href={ "mailto:" (s.contact_email) } { (s.contact_email) } } }),
            ("Website", html! { @if !s.website.is_empty() { a class="govuk-link" href=(s.website) rel="noopener" { (s.website) } } }),
            ("Where", html! {
                @if s.address_confidential() { "The address is not published, for the safety of the people the service supports. Contact the service by telephone or email." }
                @else { (s.address) " " (s.postcode) }
            }),
        ]))
        h2 class="govuk-heading-m" { "Access and language" }
        (layout::summary_list(&[
            ("Languages", html! { (s.languages) }),
            ("Interpreter available", html! { (yes(s.interpreter)) }),
            ("Religions supported", html! { (s.religions) }),
            ("Support for people with a visual impairment", html! { (yes(s.visual_impairment_support)) }),
            ("Support for people with a hearing impairment", html! { (yes(s.hearing_impairment_support)) }),
            ("Accessibility", html! { (s.accessibility) }),
        ]))
    };
    Ok(render(ctx.as_ref(), public_name(&item), body))
}
