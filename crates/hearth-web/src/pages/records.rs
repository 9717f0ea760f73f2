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

const READ: Access = Access::Signed(Permission::SignedIn);
const WRITE: Access = Access::Signed(Permission::BackOfficeWrite);

pub fn register(t: &mut RouteTable) {
    t.get(
        "/providers",
        Access::Signed(Permission::BackOfficeRead),
        get(providers),
    );
    t.get("/providers/new", WRITE, get(provider_new));
    t.post("/providers/new", WRITE, post(provider_create));
    t.get("/providers/{id}", READ, get(provider_view));
    t.get("/providers/{id}/edit", WRITE, get(provider_edit));
    t.post("/providers/{id}/edit", WRITE, post(provider_update));
    t.get(
        "/organisation",
        Access::Signed(Permission::ProviderPortal),
        get(organisation),
    );

    t.get("/services", READ, get(services));
    t.get("/services/new", WRITE, get(service_new));
    t.post("/services/new", WRITE, post(service_create));
    t.get("/services/{id}", READ, get(service_view));
    t.get("/services/{id}/edit", WRITE, get(service_edit));
    t.post("/services/{id}/edit", WRITE, post(service_update));

    t.get("/properties", READ, get(properties));
    t.get("/properties/new", WRITE, get(property_new));
    t.post("/properties/new", WRITE, post(property_create));
    t.get("/properties/{id}", READ, get(property_view));
    t.get("/properties/{id}/edit", WRITE, get(property_edit));
    t.post("/properties/{id}/edit", WRITE, post(property_update));

    t.get("/contracts", READ, get(contracts));
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

fn list_base(path: &str, q: &ListQuery) -> String {
    let mut parts = Vec::new();
    if let Some(s) = q.q.as_ref().filter(|s| !s.is_empty()) {
        parts.push(format!("q={}", crate::session::url_encode(s)));
    }
    if let Some(s) = q.status.as_ref().filter(|s| !s.is_empty()) {
        parts.push(format!("status={}", crate::session::url_encode(s)));
    }
    if let Some(p) = q.provider {
        parts.push(format!("provider={p}"));
    }
    if parts.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
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

// ---------------- providers ----------------

async fn providers(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Page {
    let page = state.app.list_providers(&ctx.principal, &q).await?;
    let body = html! {
        h1 class="govuk-heading-l" { "Providers" }
        @if can_write(&ctx) { a class="govuk-button" href="/providers/new" { "Add a provider" } }
        (search_box("/providers", &q, "Search by name or reference"))
        p class="govuk-body" { (page.total) " providers" }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Name" }
                th scope="col" class="govuk-table__header" { "Reference" }
                th scope="col" class="govuk-table__header" { "Limited access" }
            } }
            tbody class="govuk-table__body" {
                @for p in &page.items {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/providers/" (p.id) } { (p.name) } }
                        td class="govuk-table__cell" { (p.reference) }
                        td class="govuk-table__cell" { (yes_no(p.limited_access)) }
                    }
                }
            }
        }
        (layout::pagination(&list_base("/providers", &q), page.page, page.total_pages()))
    };
    Ok(render(Some(&ctx), "Providers", body))
}

fn provider_fields() -> Vec<Field> {
    vec![
        text("name", "Organisation name", true),
        Field::Text { name: "reference", label: "Provider reference", required: true, hint: Some("The authority's reference for this organisation"), width: Some("10") },
        Field::Area { name: "address", label: "Address" },
        Field::Text { name: "postcode", label: "Postcode", required: false, hint: None, width: Some("10") },
        Field::Text { name: "phone", label: "Telephone", required: false, hint: None, width: Some("20") },
        text("email", "Email address", false),
        Field::Check { name: "limited_access", label: "Limited access", hint: Some("Staff see only the services their assignments cover (organisation and accreditation contacts see all)") },
    ]
}

async fn provider_new(ctx: Ctx) -> Page {
    let f = form(
        "/providers/new",
        &ctx.csrf,
        &provider_fields(),
        &serde_json::json!({}),
        &FieldErrors::new(),
        "Save provider",
    );
    Ok(form_page(&ctx, "Add a provider", "/providers", f, false))
}

async fn provider_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<ProviderInput>,
) -> Page {
    match state.app.create_provider(&ctx.principal, &input).await {
        Ok(p) => Ok(see_other(&format!("/providers/{}", p.id))),
        Err(AppError::Invalid(errors)) => {
            let f = form(
                "/providers/new",
                &ctx.csrf,
                &provider_fields(),
                &serde_json::to_value(&input).unwrap_or_default(),
                &errors,
                "Save provider",
            );
            Ok(form_page(&ctx, "Add a provider", "/providers", f, true))
        }
        Err(e) => Err(e.into()),
    }
}

async fn provider_edit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let p = state.app.provider(&ctx.principal, id).await?;
    let action = format!("/providers/{id}/edit");
    let f = form(
        &action,
        &ctx.csrf,
        &provider_fields(),
        &serde_json::to_value(ProviderInput::from_record(&p)).unwrap_or_default(),
        &FieldErrors::new(),
        "Save changes",
    );
    Ok(form_page(
        &ctx,
        &format!("Edit {}", p.name),
        &format!("/providers/{id}"),
        f,
        false,
    ))
}

async fn provider_update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<ProviderInput>,
) -> Page {
    match state.app.update_provider(&ctx.principal, id, &input).await {
        Ok(p) => Ok(see_other(&format!("/providers/{}", p.id))),
        Err(AppError::Invalid(errors)) => {
            let action = format!("/providers/{id}/edit");
            let f = form(
                &action,
                &ctx.csrf,
                &provider_fields(),
                &serde_json::to_value(&input).unwrap_or_default(),
                &errors,
                "Save changes",
            );
            Ok(form_page(
                &ctx,
                "Edit provider",
                &format!("/providers/{id}"),
                f,
                true,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn provider_body(state: &AppState, ctx: &Ctx, id: i64) -> Result<(String, Markup), AppError> {
    let p = state.app.provider(&ctx.principal, id).await?;
    let services = state
        .app
        .list_services(
            &ctx.principal,
            &ListQuery {
                provider: Some(id),
                ..Default::default()
            },
        )
        .await?;
    let services: Vec<_> = services
        .items
        .into_iter()
        .filter(|s| s.provider_id == id)
        .collect();
    let contacts = state.app.provider_contacts(&ctx.principal, id).await?;
    let body = html! {
        span class="govuk-caption-l" { "Provider" }
        h1 class="govuk-heading-l" { (p.name) }
        @if can_write(ctx) { a class="govuk-button govuk-button--secondary" href={ "/providers/" (id) "/edit" } { "Edit provider" } }
        (layout::summary_list(&[
            ("Reference", html! { (p.reference) }),
            ("Address", html! { (p.address) br; (p.postcode) }),
            ("Telephone", html! { (p.phone) }),
            ("Email", html! { (p.email) }),
            ("Limited access", html! { (yes_no(p.limited_access)) }),
        ]))
        h2 class="govuk-heading-m" { "Services" }
        ul class="govuk-list" {
            @for s in &services { li { a class="govuk-link" href={ "/services/" (s.id) } { (s.name) } " (" (s.reference) ")" } }
        }
        p class="govuk-body" { a class="govuk-link" href={ "/contracts?provider=" (id) } { "Contracts with this provider" } }
        @if ctx.principal.is_staff() {
            p class="govuk-body" {
                a class="govuk-link" href={ "/actions?provider=" (id) } { "Actions set for this provider" }
                @if can_write(ctx) { " · " a class="govuk-link" href={ "/providers/" (id) "/actions/new" } { "Set an action" } }
            }
        } @else {
            p class="govuk-body" { a class="govuk-link" href="/contacts" { "Manage contacts" } " · " a class="govuk-link" href="/actions" { "Actions" } }
        }
        h2 class="govuk-heading-m" { "Contacts" }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Contact ID" } th class="govuk-table__header" { "Name" } th class="govuk-table__header" { "Position" } th class="govuk-table__header" { "Email" } th class="govuk-table__header" { "Telephone" }
            } }
            tbody class="govuk-table__body" {
                @for c in &contacts {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (c.id) }
                        td class="govuk-table__cell" { (c.full_name()) @if c.active == 0 { " (inactive)" } }
                        td class="govuk-table__cell" { (hearth_domain::PositionType::parse(&c.position_type).map(|p| p.label()).unwrap_or("")) }
                        td class="govuk-table__cell" { (c.email) }
                        td class="govuk-table__cell" { (c.phone) }
                    }
                }
            }
        }
    };
    Ok((p.name, body))
}

async fn provider_view(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let (name, body) = provider_body(&state, &ctx, id).await?;
    Ok(render(Some(&ctx), &name, body))
}

async fn organisation(State(state): State<AppState>, ctx: Ctx) -> Page {
    let Principal::Provider { provider_id, .. } = &ctx.principal else {
        return Ok(layout::not_found(Some(&ctx)));
    };
    let (name, body) = provider_body(&state, &ctx, *provider_id).await?;
    Ok(render(Some(&ctx), &name, body))
}

// ---------------- services ----------------

async fn services(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Page {
    let page = state.app.list_services(&ctx.principal, &q).await?;
    let body = html! {
        h1 class="govuk-heading-l" { "Services" }
        @if can_write(&ctx) { a class="govuk-button" href="/services/new" { "Add a service" } }
        (search_box("/services", &q, "Search by name or reference"))
        p class="govuk-body" { (page.total) " services" }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Service" }
                th scope="col" class="govuk-table__header" { "Reference" }
                th scope="col" class="govuk-table__header" { "Type" }
                th scope="col" class="govuk-table__header" { "Client group" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Units" }
            } }
            tbody class="govuk-table__body" {
                @for s in &page.items {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/services/" (s.id) } { (s.name) } }
                        td class="govuk-table__cell" { (s.reference) }
                        td class="govuk-table__cell" { (service_type_label(&s.service_type)) ", " (term_label(&s.term).to_lowercase()) }
                        td class="govuk-table__cell" { (client_group_label(&s.client_group)) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (s.contracted_units) }
                    }
                }
            }
        }
        (layout::pagination(&list_base("/services", &q), page.page, page.total_pages()))
    };
    Ok(render(Some(&ctx), "Services", body))
}

fn service_fields(providers: Vec<(String, String)>) -> Vec<Field> {
    vec![
        Field::Select {
            name: "provider_id",
            label: "Provider",
            options: providers,
        },
        Field::Text {
            name: "reference",
            label: "Service reference",
            required: true,
            hint: None,
            width: Some("10"),
        },
        text("name", "Service name", true),
        Field::Text {
            name: "public_name",
            label: "Public name",
            required: false,
            hint: Some("Shown in the public directory"),
            width: None,
        },
        Field::Select {
            name: "service_type",
            label: "Type of service",
            options: enum_options(ServiceType::ALL, |v| v.as_str(), |v| v.label()),
        },
        Field::Select {
            name: "term",
            label: "Long or short term",
            options: enum_options(Term::ALL, |v| v.as_str(), |v| v.label()),
        },
        Field::Select {
            name: "client_group",
            label: "Primary client group",
            options: enum_options(ClientGroup::ALL, |v| v.as_str(), |v| v.label()),
        },
        Field::Text {
            name: "contracted_units",
            label: "Contracted units",
            required: true,
            hint: Some("Places or hours the contract pays for"),
            width: Some("5"),
        },
        Field::Area {
            name: "address",
            label: "Location",
        },
        Field::Text {
            name: "postcode",
            label: "Postcode",
            required: false,
            hint: None,
            width: Some("10"),
        },
        Field::Area {
            name: "description",
            label: "Description",
        },
    ]
}

async fn service_new(State(state): State<AppState>, ctx: Ctx) -> Page {
    let f = form(
        "/services/new",
        &ctx.csrf,
        &service_fields(provider_options(&state, &ctx).await),
        &serde_json::json!({}),
        &FieldErrors::new(),
        "Save service",
    );
    Ok(form_page(&ctx, "Add a service", "/services", f, false))
}

async fn service_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<ServiceInput>,
) -> Page {
    match state.app.create_service(&ctx.principal, &input).await {
        Ok(s) => Ok(see_other(&format!("/services/{}", s.id))),
        Err(AppError::Invalid(errors)) => {
            let f = form(
                "/services/new",
                &ctx.csrf,
                &service_fields(provider_options(&state, &ctx).await),
                &serde_json::to_value(&input).unwrap_or_default(),
                &errors,
                "Save service",
            );
            Ok(form_page(&ctx, "Add a service", "/services", f, true))
        }
        Err(e) => Err(e.into()),
    }
}

async fn service_edit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let s = state.app.service(&ctx.principal, id).await?;
    let action = format!("/services/{id}/edit");
    let f = form(
        &action,
        &ctx.csrf,
        &service_fields(provider_options(&state, &ctx).await),
        &serde_json::to_value(ServiceInput::from_record(&s)).unwrap_or_default(),
        &FieldErrors::new(),
        "Save changes",
    );
    Ok(form_page(
        &ctx,
        &format!("Edit {}", s.name),
        &format!("/services/{id}"),
        f,
        false,
    ))
}

async fn service_update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<ServiceInput>,
) -> Page {
    match state.app.update_service(&ctx.principal, id, &input).await {
        Ok(s) => Ok(see_other(&format!("/services/{}", s.id))),
        Err(AppError::Invalid(errors)) => {
            let action = format!("/services/{id}/edit");
            let f = form(
                &action,
                &ctx.csrf,
                &service_fields(provider_options(&state, &ctx).await),
                &serde_json::to_value(&input).unwrap_or_default(),
                &errors,
                "Save changes",
            );
            Ok(form_page(
                &ctx,
                "Edit service",
                &format!("/services/{id}"),
                f,
                true,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct ScheduleQuery {
    #[serde(default)]
    ended: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    page: Option<i64>,
}

async fn service_view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ScheduleQuery>,
) -> Page {
    let include_ended = q.ended.as_deref() == Some("yes");
    let sort = match q.sort.as_deref() {
        Some("start") => ScheduleSort::StartDate,
        Some("client") => ScheduleSort::ClientId,
        _ => ScheduleSort::Name,
    };
    let view = state
        .app
        .service_page(
            &ctx.principal,
            id,
            SchedulesQuery {
                include_ended,
                order: sort,
                page: hearth_domain::paging::page(q.page),
                per_page: 50,
            },
        )
        .await?;
    let (s, schedules, current, provider, contracts, pending) = (
        view.service,
        view.schedules,
        view.current_clients,
        view.provider,
        view.contracts,
        view.pending_requests,
    );
    let sort_code = q.sort.clone().unwrap_or_else(|| "name".into());
    let base = format!(
        "/services/{id}?sort={sort_code}{}",
        if include_ended { "&ended=yes" } else { "" }
    );
    let body = html! {
        span class="govuk-caption-l" { "Service " (s.reference) }
        h1 class="govuk-heading-l" { (s.name) }
        @if can_write(&ctx) { a class="govuk-button govuk-button--secondary" href={ "/services/" (id) "/edit" } { "Edit service" } }
        (layout::summary_list(&[
            ("Provider", html! { @if let Some(p) = &provider { a class="govuk-link" href={ "/providers/" (p.id) } { (p.name) } } }),
            ("Public name", html! { (s.public_name) }),
            ("Type", html! { (service_type_label(&s.service_type)) }),
            ("Duration", html! { (term_label(&s.term)) }),
            ("Primary client group", html! { (client_group_label(&s.client_group)) }),
            ("Contracted units", html! { (s.contracted_units) }),
            ("Clients now", html! { (current) }),
            ("Available places", html! { @match s.available_places { Some(n) => (n), None => "Not set: the directory shows contracted units minus current clients" } }),
            ("Location", html! { (s.address) " " (s.postcode) }),
            ("Description", html! { (s.description) }),
            ("Contracts", html! { @for c in &contracts { a class="govuk-link" href={ "/contracts/" (c.id) } { (c.reference) } " " } }),
        ]))
        @if matches!(ctx.principal, Principal::Provider { .. }) {
            div class="govuk-button-group" {
                a class="govuk-button" href={ "/services/" (id) "/schedules/new" } data-testid="request-new-schedule" { "Request a new schedule" }
                a class="govuk-button govuk-button--secondary" href={ "/services/" (id) "/details" } { "Service details and available places" }
                a class="govuk-button govuk-button--secondary" href={ "/services/" (id) "/returns" } { "Performance returns" }
            }
        } @else {
            p class="govuk-body" { a class="govuk-link" href={ "/services/" (id) "/returns" } { "Performance returns" } }
        }
        @if pending > 0 {
            p class="govuk-body" { a class="govuk-link" href={ "/requests?status=pending" } { (pending) " pending request" @if pending != 1 { "s" } } " for this service" }
        }
        h2 class="govuk-heading-m" id="schedules" { "Client schedules" }
        form method="get" action={ "/services/" (id) } {
            div class="govuk-form-group" {
                div class="govuk-checkboxes govuk-checkboxes--small" {
                    div class="govuk-checkboxes__item" {
                        input class="govuk-checkboxes__input" id="ended" name="ended" type="checkbox" value="yes" checked[include_ended];
                        label class="govuk-label govuk-checkboxes__label" for="ended" { "Include ended schedules" }
                    }
                }
            }
            div class="govuk-form-group" {
                label class="govuk-label" for="sort" { "Sort by" }
                select class="govuk-select" id="sort" name="sort" {
                    option value="name" selected[sort == ScheduleSort::Name] { "Client name" }
                    option value="start" selected[sort == ScheduleSort::StartDate] { "Start date (newest first)" }
                    option value="client" selected[sort == ScheduleSort::ClientId] { "Client ID" }
                }
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Show" }
        }
        p class="govuk-body" { (schedules.total) @if include_ended { " schedules, current and ended" } @else { " current schedules" } }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Client ID" }
                th scope="col" class="govuk-table__header" { "Name" }
                th scope="col" class="govuk-table__header" { "Level" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Units a week" }
                th scope="col" class="govuk-table__header" { "Start" }
                th scope="col" class="govuk-table__header" { "End" }
                th scope="col" class="govuk-table__header" { "End reason" }
            } }
            tbody class="govuk-table__body" {
                @for r in &schedules.items {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (r.client_id) }
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/schedules/" (r.id) } { (r.last_name) ", " (r.first_name) } }
                        td class="govuk-table__cell" { (r.level) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (r.units_per_week) }
                        td class="govuk-table__cell hearth-nowrap" { (layout::date(&r.start_date)) }
                        td class="govuk-table__cell hearth-nowrap" { @if let Some(e) = &r.end_date { (layout::date(e)) } }
                        td class="govuk-table__cell" { @if let Some(e) = &r.end_reason { (hearth_domain::EndReason::parse(e).map(|r| r.label()).unwrap_or("")) } }
                    }
                }
            }
        }
        (layout::pagination(&base, schedules.page, schedules.total_pages()))
    };
    Ok(render(Some(&ctx), &s.name, body))
}

// ---------------- properties ----------------

async fn properties(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Page {
    let page = state.app.list_properties(&ctx.principal, &q).await?;
    let body = html! {
        h1 class="govuk-heading-l" { "Properties" }
        @if can_write(&ctx) { a class="govuk-button" href="/properties/new" { "Add a property" } }
        (search_box("/properties", &q, "Search by address, town, postcode or UPRN"))
        p class="govuk-body" { (page.total) " properties" }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Address" }
                th scope="col" class="govuk-table__header" { "Town" }
                th scope="col" class="govuk-table__header" { "Postcode" }
                th scope="col" class="govuk-table__header" { "UPRN" }
            } }
            tbody class="govuk-table__body" {
                @for p in &page.items {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/properties/" (p.id) } { (p.address_line1) } }
                        td class="govuk-table__cell" { (p.town) }
                        td class="govuk-table__cell" { (p.postcode) }
                        td class="govuk-table__cell" { (p.uprn.clone().unwrap_or_default()) }
                    }
                }
            }
        }
        (layout::pagination(&list_base("/properties", &q), page.page, page.total_pages()))
    };
    Ok(render(Some(&ctx), "Properties", body))
}

fn property_fields(providers: Vec<(String, String)>) -> Vec<Field> {
    vec![
        Field::Select {
            name: "provider_id",
            label: "Provider",
            options: providers,
        },
        Field::Text {
            name: "service_id",
            label: "Service ID",
            required: false,
            hint: Some("The service that uses this property, if any (its provider is then used)"),
            width: Some("5"),
        },
        text("address_line1", "Address line 1", true),
        text("address_line2", "Address line 2", false),
        Field::Text {
            name: "town",
            label: "Town or city",
            required: false,
            hint: None,
            width: Some("20"),
        },
        Field::Text {
            name: "postcode",
            label: "Postcode",
            required: true,
            hint: None,
            width: Some("10"),
        },
        Field::Text {
            name: "uprn",
            label: "UPRN",
            required: false,
            hint: Some("Unique Property Reference Number, up to 12 digits"),
            width: Some("20"),
        },
    ]
}

async fn property_new(State(state): State<AppState>, ctx: Ctx) -> Page {
    let f = form(
        "/properties/new",
        &ctx.csrf,
        &property_fields(provider_options(&state, &ctx).await),
        &serde_json::json!({}),
        &FieldErrors::new(),
        "Save property",
    );
    Ok(form_page(&ctx, "Add a property", "/properties", f, false))
}

async fn property_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<PropertyInput>,
) -> Page {
    match state.app.create_property(&ctx.principal, &input).await {
        Ok(p) => Ok(see_other(&format!("/properties/{}", p.id))),
        Err(AppError::Invalid(errors)) => {
            let f = form(
                "/properties/new",
                &ctx.csrf,
                &property_fields(provider_options(&state, &ctx).await),
                &serde_json::to_value(&input).unwrap_or_default(),
                &errors,
                "Save property",
            );
            Ok(form_page(&ctx, "Add a property", "/properties", f, true))
        }
        Err(e) => Err(e.into()),
    }
}

async fn property_edit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let p = state.app.property(&ctx.principal, id).await?;
    let action = format!("/properties/{id}/edit");
    let f = form(
        &action,
        &ctx.csrf,
        &property_fields(provider_options(&state, &ctx).await),
        &serde_json::to_value(PropertyInput::from_record(&p)).unwrap_or_default(),
        &FieldErrors::new(),
        "Save changes",
    );
    Ok(form_page(
        &ctx,
        "Edit property",
        &format!("/properties/{id}"),
        f,
        false,
    ))
}

async fn property_update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<PropertyInput>,
) -> Page {
    match state.app.update_property(&ctx.principal, id, &input).await {
        Ok(p) => Ok(see_other(&format!("/properties/{}", p.id))),
        Err(AppError::Invalid(errors)) => {
            let action = format!("/properties/{id}/edit");
            let f = form(
                &action,
                &ctx.csrf,
                &property_fields(provider_options(&state, &ctx).await),
                &serde_json::to_value(&input).unwrap_or_default(),
                &errors,
                "Save changes",
            );
            Ok(form_page(
                &ctx,
                "Edit property",
                &format!("/properties/{id}"),
                f,
                true,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn property_view(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let p = state.app.property(&ctx.principal, id).await?;
    let service = match p.service_id {
        Some(s) => match state.app.service(&ctx.principal, s).await {
            Ok(s) => Some(s),
            Err(AppError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let body = html! {
        span class="govuk-caption-l" { "Property" }
        h1 class="govuk-heading-l" { (p.address_line1) }
        @if can_write(&ctx) { a class="govuk-button govuk-button--secondary" href={ "/properties/" (id) "/edit" } { "Edit property" } }
        (layout::summary_list(&[
            ("Address", html! { (p.address_line1) br; (p.address_line2) br; (p.town) br; (p.postcode) }),
            ("UPRN", html! { (p.uprn.clone().unwrap_or_default()) }),
            ("Service", html! { @if let Some(s) = &service { a class="govuk-link" href={ "/services/" (s.id) } { (s.name) } } }),
        ]))
    };
    Ok(render(Some(&ctx), &p.address_line1, body))
}

// ---------------- contracts ----------------

async fn contracts(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Page {
    let page = state.app.list_contracts(&ctx.principal, &q).await?;
    let status = q.status.clone().unwrap_or_default();
    let body = html! {
        h1 class="govuk-heading-l" { "Contracts" }
        @if can_write(&ctx) { a class="govuk-button" href="/contracts/new" { "Add a contract" } }
        form method="get" action="/contracts" {
            @if let Some(p) = q.provider { input type="hidden" name="provider" value=(p); }
            div class="govuk-form-group" {
                label class="govuk-label" for="q" { "Search by title or reference" }
                input class="govuk-input govuk-input--width-20" id="q" name="q" type="search" value=(q.q.clone().unwrap_or_default());
            }
            div class="govuk-form-group" {
                label class="govuk-label" for="status" { "Status" }
                select class="govuk-select" id="status" name="status" {
                    option value="" { "Any" }
                    @for s in ContractStatus::ALL { option value=(s.as_str()) selected[s.as_str() == status] { (s.label()) } }
                }
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Search" }
        }
        p class="govuk-body" { (page.total) " contracts" }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Reference" }
                th scope="col" class="govuk-table__header" { "Title" }
                th scope="col" class="govuk-table__header" { "Status" }
                th scope="col" class="govuk-table__header" { "Ends" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Units" }
            } }
            tbody class="govuk-table__body" {
                @for c in &page.items {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/contracts/" (c.id) } { (c.reference) } }
                        td class="govuk-table__cell" { (c.title) }
                        td class="govuk-table__cell" { (status_label(&c.status)) }
                        td class="govuk-table__cell hearth-nowrap" { (layout::date(&c.end_date)) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (c.units) }
                    }
                }
            }
        }
        (layout::pagination(&list_base("/contracts", &q), page.page, page.total_pages()))
    };
    Ok(render(Some(&ctx), "Contracts", body))
}

fn contract_fields(providers: Vec<(String, String)>) -> Vec<Field> {
    vec![
        Field::Select {
            name: "provider_id",
            label: "Provider",
            options: providers,
        },
        Field::Text {
            name: "reference",
            label: "Contract reference",
            required: true,
            hint: None,
            width: Some("10"),
        },
        text("title", "Title", true),
        Field::Text {
            name: "units",
            label: "Units",
            required: true,
            hint: None,
            width: Some("5"),
        },
        Field::Text {
            name: "unit_rate",
            label: "Unit rate per week, in pounds",
            required: true,
            hint: Some("For example 150.50"),
            width: Some("10"),
        },
        Field::Text {
            name: "start_date",
            label: "Start date",
            required: true,
            hint: Some("For example 1/4/2026"),
            width: Some("10"),
        },
        Field::Text {
            name: "end_date",
            label: "End date",
            required: true,
            hint: Some("For example 31/3/2029"),
            width: Some("10"),
        },
        Field::Select {
            name: "status",
            label: "Status",
            options: enum_options(ContractStatus::ALL, |v| v.as_str(), |v| v.label()),
        },
        Field::Text {
            name: "services",
            label: "Services",
            required: false,
            hint: Some(
                "References of the provider's services this contract covers, separated by commas",
            ),
            width: None,
        },
    ]
}

async fn contract_new(State(state): State<AppState>, ctx: Ctx) -> Page {
    let f = form(
        "/contracts/new",
        &ctx.csrf,
        &contract_fields(provider_options(&state, &ctx).await),
        &serde_json::json!({}),
        &FieldErrors::new(),
        "Save contract",
    );
    Ok(form_page(&ctx, "Add a contract", "/contracts", f, false))
}

async fn contract_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(input): Form<ContractInput>,
) -> Page {
    match state.app.create_contract(&ctx.principal, &input).await {
        Ok(c) => Ok(see_other(&format!("/contracts/{}", c.id))),
        Err(AppError::Invalid(errors)) => {
            let f = form(
                "/contracts/new",
                &ctx.csrf,
                &contract_fields(provider_options(&state, &ctx).await),
                &serde_json::to_value(&input).unwrap_or_default(),
                &errors,
                "Save contract",
            );
            Ok(form_page(&ctx, "Add a contract", "/contracts", f, true))
        }
        Err(e) => Err(e.into()),
    }
}

async fn contract_edit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let c = state.app.contract(&ctx.principal, id).await?;
    let refs: Vec<String> = state
        .app
        .contract_services(&ctx.principal, &c)
        .await?
        .into_iter()
        .map(|s| s.reference)
        .collect();
    let action = format!("/contracts/{id}/edit");
    let f = form(
        &action,
        &ctx.csrf,
        &contract_fields(provider_options(&state, &ctx).await),
        &serde_json::to_value(ContractInput::from_record(&c, &refs)).unwrap_or_default(),
        &FieldErrors::new(),
        "Save changes",
    );
    Ok(form_page(
        &ctx,
        &format!("Edit contract {}", c.reference),
        &format!("/contracts/{id}"),
        f,
        false,
    ))
}

async fn contract_update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<ContractInput>,
) -> Page {
    match state.app.update_contract(&ctx.principal, id, &input).await {
        Ok(c) => Ok(see_other(&format!("/contracts/{}", c.id))),
        Err(AppError::Invalid(errors)) => {
            let action = format!("/contracts/{id}/edit");
            let f = form(
                &action,
                &ctx.csrf,
                &contract_fields(provider_options(&state, &ctx).await),
                &serde_json::to_value(&input).unwrap_or_default(),
                &errors,
                "Save changes",
            );
            Ok(form_page(
                &ctx,
                "Edit contract",
                &format!("/contracts/{id}"),
                f,
                true,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn contract_view(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let c = state.app.contract(&ctx.principal, id).await?;
    let services = state.app.contract_services(&ctx.principal, &c).await?;
    let provider = state.app.contract_provider(&ctx.principal, id).await?;
    let annual = Pence::annual_contract_value(Pence(c.unit_rate_pence), c.units);
    let documents =
        super::contracting::documents_section(&state, &ctx, id, &FieldErrors::new()).await?;
    let body = html! {
        span class="govuk-caption-l" { "Contract " (c.reference) }
        h1 class="govuk-heading-l" { (c.title) }
        @if can_write(&ctx) { a class="govuk-button govuk-button--secondary" href={ "/contracts/" (id) "/edit" } { "Edit contract" } }
        (layout::summary_list(&[
            ("Provider", html! { @if let Some(p) = &provider { a class="govuk-link" href={ "/providers/" (p.id) } { (p.name) } } }),
            ("Status", html! { strong class="govuk-tag" { (status_label(&c.status)) } }),
            ("Start", html! { (layout::date(&c.start_date)) }),
            ("End", html! { (layout::date(&c.end_date)) }),
            ("Units", html! { (c.units) }),
            ("Unit rate", html! { (Pence(c.unit_rate_pence).to_string()) " a week" }),
            ("Value a year at full units", html! { (annual.to_string()) }),
            ("Services", html! { ul class="govuk-list" { @for s in &services { li { a class="govuk-link" href={ "/services/" (s.id) } { (s.name) } " (" (s.reference) ")" } } } }),
        ]))
        (documents)
    };
    Ok(render(Some(&ctx), &c.title, body))
}
