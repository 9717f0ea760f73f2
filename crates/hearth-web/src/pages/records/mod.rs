//! Providers, services, properties and contracts: lists and views for everyone within their
//! scope; create and edit for the commissioning team.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use hearth_app::records::{ContractInput, ListQuery, PropertyInput, ProviderInput, ServiceInput};
use hearth_app::records::{ScheduleOrder as ScheduleSort, SchedulesQuery};
use hearth_app::{AppError, FieldErrors, Permission, Principal};
use hearth_domain::{ClientGroup, ContractStatus, Pence, ServiceType, Term};
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::Page;
use crate::layout::{self, button, csrf, error_summary, render, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

mod contracts;
mod lists;
mod officers;
mod properties;
mod providers;
mod services;

use contracts::*;
use lists::*;
use officers::*;
use properties::*;
use providers::*;
use services::*;

const READ: Access = Access::Signed(Permission::SignedIn);
const WRITE: Access = Access::Signed(Permission::BackOfficeWrite);
const PORTAL: Access = Access::Signed(Permission::ProviderPortal);

pub fn register(t: &mut RouteTable) {
    t.get(
        "/providers",
        Access::Signed(Permission::BackOfficeRead),
        get(providers),
    );
    t.get(
        "/providers.csv",
        Access::Signed(Permission::BackOfficeRead),
        get(providers_csv),
    );
    t.get(
        "/providers.xlsx",
        Access::Signed(Permission::BackOfficeRead),
        get(providers_xlsx),
    );
    t.get("/providers/new", WRITE, get(provider_new));
    t.post("/providers/new", WRITE, post(provider_create));
    t.get("/providers/{id}", READ, get(provider_view));
    t.get("/providers/{id}/edit", WRITE, get(provider_edit));
    t.post("/providers/{id}/edit", WRITE, post(provider_update));
    t.get(
        "/providers/{id}/officers",
        WRITE,
        get(provider_officers_edit),
    );
    t.post(
        "/providers/{id}/officers",
        WRITE,
        post(provider_officers_save),
    );
    t.get(
        "/organisation",
        Access::Signed(Permission::ProviderPortal),
        get(organisation),
    );

    t.get("/services", READ, get(services));
    t.get("/services.csv", READ, get(services_csv));
    t.get("/services.xlsx", READ, get(services_xlsx));
    t.get("/services/new", WRITE, get(service_new));
    t.post("/services/new", WRITE, post(service_create));
    t.get("/services/{id}", READ, get(service_view));
    t.get("/services/{id}/edit", WRITE, get(service_edit));
    t.post("/services/{id}/edit", WRITE, post(service_update));
    t.get("/services/{id}/officers", WRITE, get(service_officers_edit));
    t.post(
        "/services/{id}/officers",
        WRITE,
        post(service_officers_save),
    );

    t.get("/properties", READ, get(properties));
    t.get("/properties/new", WRITE, get(property_new));
    t.post("/properties/new", WRITE, post(property_create));
    t.get("/properties/request", PORTAL, get(property_request_new));
    t.post(
        "/properties/request",
        PORTAL,
        post(property_request_new_submit),
    );
    t.get("/properties/{id}", READ, get(property_view));
    t.get(
        "/properties/{id}/request",
        PORTAL,
        get(property_request_edit),
    );
    t.post(
        "/properties/{id}/request",
        PORTAL,
        post(property_request_edit_submit),
    );
    t.get("/properties/{id}/edit", WRITE, get(property_edit));
    t.post("/properties/{id}/edit", WRITE, post(property_update));

    t.get("/contracts", READ, get(contracts));
    t.get("/contracts.csv", READ, get(contracts_csv));
    t.get("/contracts.xlsx", READ, get(contracts_xlsx));
    t.get("/contracts/new", WRITE, get(contract_new));
    t.post("/contracts/new", WRITE, post(contract_create));
    t.get("/contracts/{id}", READ, get(contract_view));
    t.get("/contracts/{id}/edit", WRITE, get(contract_edit));
    t.post("/contracts/{id}/edit", WRITE, post(contract_update));
}

// ---------------- generic form rendering ----------------

enum Field {
    Text {
        name: &'static str,
        label: &'static str,
        required: bool,
        hint: Option<&'static str>,
        width: Option<&'static str>,
    },
    Area {
        name: &'static str,
        label: &'static str,
    },
    Select {
        name: &'static str,
        label: &'static str,
        options: Vec<(String, String)>,
    },
    Check {
        name: &'static str,
        label: &'static str,
        hint: Option<&'static str>,
    },
    /// A date, as the GOV.UK date input's three boxes.
    Date {
        name: &'static str,
        label: &'static str,
        required: bool,
    },
}

fn text(name: &'static str, label: &'static str, required: bool) -> Field {
    Field::Text {
        name,
        label,
        required,
        hint: None,
        width: None,
    }
}

fn value_of(values: &serde_json::Value, name: &str) -> String {
    match values.get(name) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

fn form(
    action: &str,
    csrf_token: &str,
    fields: &[Field],
    values: &serde_json::Value,
    errors: &FieldErrors,
    submit: &str,
) -> Markup {
    html! {
        (error_summary(errors))
        form method="post" action=(action) novalidate {
            (csrf(csrf_token))
            @for f in fields {
                @match f {
                    Field::Text { name, label, required, hint, width } => (layout::input(name, label, &value_of(values, name), errors, Opt { hint: *hint, required: *required, width: *width, ..Default::default() })),
                    Field::Area { name, label } => (layout::textarea(name, label, &value_of(values, name), errors, false)),
                    Field::Select { name, label, options } => (layout::select(name, label, options, &value_of(values, name), errors, true)),
                    Field::Check { name, label, hint } => (layout::checkbox(name, label, !value_of(values, name).is_empty(), *hint)),
                    Field::Date { name, label, required } => (layout::date_input(name, label, &value_of(values, name), errors, *required, None)),
                }
            }
            (button(submit))
        }
    }
}

fn enum_options<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (code(*v).to_string(), label(*v).to_string()))
        .collect()
}

fn label_of<T: Copy>(
    all: &[T],
    code: &str,
    c: impl Fn(T) -> &'static str,
    l: impl Fn(T) -> &'static str,
) -> String {
    all.iter()
        .find(|v| c(**v) == code)
        .map(|v| l(*v).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn service_type_label(code: &str) -> String {
    label_of(ServiceType::ALL, code, |v| v.as_str(), |v| v.label())
}
fn term_label(code: &str) -> String {
    label_of(Term::ALL, code, |v| v.as_str(), |v| v.label())
}
fn client_group_label(code: &str) -> String {
    label_of(ClientGroup::ALL, code, |v| v.as_str(), |v| v.label())
}
fn status_label(code: &str) -> String {
    label_of(ContractStatus::ALL, code, |v| v.as_str(), |v| v.label())
}

async fn provider_options(state: &AppState, ctx: &Ctx) -> Vec<(String, String)> {
    match state.app.provider_choices(&ctx.principal).await {
        Ok(p) => p
            .into_iter()
            .map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.reference)))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn form_page(ctx: &Ctx, title: &str, back: &str, form: Markup, status_invalid: bool) -> Response {
    let mut r = render(
        Some(ctx),
        title,
        html! {
            (layout::back_link(back))
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                h1 class="govuk-heading-l" { (title) }
                (form)
            } }
        },
    );
    if status_invalid {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// For staff, the names of the providers owning a list page's records, given as
/// (authority, provider): two providers' services may share a name, so staff lists say whose
/// each one is. Providers see only their own records and get no names.
async fn owner_names(
    state: &AppState,
    ctx: &Ctx,
    owners: impl IntoIterator<Item = (i64, i64)>,
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    if !ctx.principal.is_staff() {
        return Ok(Default::default());
    }
    state.app.provider_names(&ctx.principal, owners).await
}

/// How many records a list holds or, when it holds none, what that means and what to do
/// (journey 9: empty states say what is empty). A list filtered to nothing says so and leads
/// back to the whole list (it said "There are no services yet" when a filter matched none).
/// A list's table, left out when nothing is listed (the count above says so and what to
/// do), so an empty list draws no header row.
fn list_table(total: i64, label: &str, table: Markup) -> Markup {
    if total == 0 {
        html! {}
    } else {
        crate::layout::scrolling_table(label, table)
    }
}

fn list_count(path: &str, total: i64, one: &str, many: &str, q: &ListQuery) -> Markup {
    let search = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let filtered = set(&q.status) || set(&q.officer) || q.provider.is_some();
    html! {
        @if total > 0 {
            p class="govuk-body" { (layout::plural(total, one, many)) }
        } @else if filtered {
            p class="govuk-body" data-testid="empty" {
                "No " (many) " match "
                @if let Some(text) = search { "“" (text) "” with " }
                "these filters. Choose other filters, or "
                a class="govuk-link" href=(path) { "show all " (many) }
                "."
            }
        } @else if let Some(text) = search {
            p class="govuk-body" data-testid="empty" { "No " (many) " match “" (text) "”. Check the spelling, or search for part of a name or reference." }
        } @else {
            p class="govuk-body" data-testid="empty" { "There are no " (many) " yet." }
        }
    }
}

fn search_box(action: &str, q: &ListQuery, label: &str) -> Markup {
    html! {
        form method="get" action=(action) class="govuk-!-margin-bottom-4" {
            div class="govuk-form-group govuk-!-margin-bottom-2" {
                label class="govuk-label" for="q" { (label) }
                input class="govuk-input govuk-input--width-20" id="q" name="q" type="search" value=(q.q.clone().unwrap_or_default());
                " "
                button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" { "Search" }
            }
        }
    }
}

/// A list's address with its filters and order, for its pagination.
fn list_base(path: &str, q: &ListQuery) -> String {
    list_address(path, q, q.sort.as_deref())
}

fn can_write(ctx: &Ctx) -> bool {
    ctx.principal.has(Permission::BackOfficeWrite)
}

fn yes_no(v: i64) -> &'static str {
    if v != 0 {
        "Yes"
    } else {
        "No"
    }
}

// ---------------- list query types ----------------

/// The client schedules listed on a service's page: ended ones too or not, the order, the page.
#[derive(Deserialize, Default)]
struct ScheduleQuery {
    #[serde(default)]
    ended: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    page: Option<i64>,
}
