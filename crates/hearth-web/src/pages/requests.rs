//! The provider portal's requests (F3.2 to F3.5) and the commissioning team's approvals (F3.4).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use hearth_app::requests::{NewScheduleInput, RequestKind, RequestQuery, UpdateScheduleInput};
use hearth_app::requests::{Request, RequestStatus, ServiceDetails};
use hearth_app::{AppError, FieldErrors, ForField, Permission, Principal};
use hearth_domain::directory::AvailablePlaces;
use hearth_domain::EndReason;
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::{Page, WebError};
use crate::layout::{self, button, csrf, error_summary, render, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

const PORTAL: Access = Access::Signed(Permission::ProviderPortal);
const ANY: Access = Access::Signed(Permission::SignedIn);
const DECIDE: Access = Access::Signed(Permission::BackOfficeWrite);

pub fn register(t: &mut RouteTable) {
    t.get(
        "/services/{id}/schedules/new",
        PORTAL,
        get(new_schedule_page),
    );
    t.post(
        "/services/{id}/schedules/new",
        PORTAL,
        post(new_schedule_submit),
    );
    t.get("/schedules/{id}", ANY, get(schedule_page));
    t.post("/schedules/{id}", PORTAL, post(schedule_submit));
    t.get("/services/{id}/details", PORTAL, get(details_page));
    t.post("/services/{id}/details", PORTAL, post(details_submit));
    t.post("/services/{id}/places", PORTAL, post(places_submit));
    t.get("/requests", ANY, get(requests_page));
    t.get("/requests/{id}", ANY, get(request_page));
    t.post("/requests/{id}/decide", DECIDE, post(decide));
    t.post("/requests/{id}/approve", DECIDE, post(approve));
    t.post("/requests/{id}/reject", DECIDE, post(reject));
}

fn invalid(mut r: Response) -> Response {
    *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    r
}

fn input(
    name: &str,
    label: &str,
    value: &str,
    errors: &FieldErrors,
    required: bool,
    hint: Option<&str>,
    width: Option<&str>,
) -> Markup {
    layout::input(
        name,
        label,
        value,
        errors,
        Opt {
            required,
            hint,
            width,
            ..Default::default()
        },
    )
}

// ---------------- new schedule (F3.2) ----------------

async fn new_schedule_view(
    state: &AppState,
    ctx: &Ctx,
    service_id: i64,
    f: &NewScheduleInput,
    errors: &FieldErrors,
) -> Page {
    let service = state.app.service(&ctx.principal, service_id).await?;
    let properties = state
        .app
        .service_properties(&ctx.principal, service_id)
        .await?;
    let long_term = service.term == "long";
    let ethnicities = [
        "White British",
        "White Irish",
        "White other",
        "Mixed White and Black Caribbean",
        "Mixed White and Black African",
        "Mixed White and Asian",
        "Mixed other",
        "Asian or Asian British Indian",
        "Asian or Asian British Pakistani",
        "Asian or Asian British Bangladeshi",
        "Asian or Asian British Chinese",
        "Asian other",
        "Black or Black British Caribbean",
        "Black or Black British African",
        "Black other",
        "Arab",
        "Gypsy or Irish Traveller",
        "Other ethnic group",
        "Not known",
    ];
    let eth: Vec<(String, String)> = ethnicities
        .iter()
        .map(|e| (e.to_string(), e.to_string()))
        .collect();
    let props: Vec<(String, String)> = properties
        .iter()
        .map(|p| {
            (
                p.id.to_string(),
                format!("{}, {}", p.address_line1, p.postcode),
            )
        })
        .collect();
    let body = html! {
        (layout::back_link(&format!("/services/{service_id}")))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            span class="govuk-caption-l" { (service.name) }
            h1 class="govuk-heading-l" { "Request a new client schedule" }
            p class="govuk-body" { "The commissioning team checks the request before the client appears on the schedule. Fields marked (optional) can be left blank." }
            form method="post" action={ "/services/" (service_id) "/schedules/new" } novalidate {
                (csrf(&ctx.csrf))
                // Enter in any field sends the form (the browser uses the first submit
                // button), not "Copy address from property" further down.
                button type="submit" class="govuk-visually-hidden" tabindex="-1" aria-hidden="true" data-testid="default-submit" { "Send request" }
                h2 class="govuk-heading-m" { "Client" }
                (input("title", "Title", &f.title, errors, false, None, Some("5")))
                (input("first_name", "Forename", &f.first_name, errors, true, None, Some("20")))
                (input("last_name", "Surname", &f.last_name, errors, true, None, Some("20")))
                (layout::date_input("date_of_birth", "Date of birth", &f.date_of_birth, errors, false, None))
                (layout::select("ethnicity", "Ethnicity", &eth, &f.ethnicity, errors, false))
                h2 class="govuk-heading-m" { "Address" }
                @if !props.is_empty() {
                    (layout::select("property_id", "Property", &props, &f.property_id, errors, false))
                    button type="submit" name="copy_property" value="yes" class="govuk-button govuk-button--secondary" { "Copy address from property" }
                }
                (input("address", "Address line 1", &f.address, errors, false, Some("The client's own address, as held by housing benefit"), None))
                (input("address2", "Address line 2", &f.address2, errors, false, None, None))
                (input("town", "Town", &f.town, errors, false, None, Some("20")))
                (input("postcode", "Postcode", &f.postcode, errors, false, None, Some("10")))
                (input("uprn", "UPRN", &f.uprn, errors, false, Some("Unique Property Reference Number, up to 12 digits"), Some("20")))
                h2 class="govuk-heading-m" { "Identifiers" }
                @if long_term {
                    div class="govuk-inset-text" { "This is a long-term service: give the housing benefit number or, if the client has none, their National Insurance number." }
                }
                (input("hb_number", "Housing benefit number", &f.hb_number, errors, long_term, None, Some("10")))
                (input("ni_number", "National Insurance number", &f.ni_number, errors, false, Some("For example QQ 12 34 56 C"), Some("10")))
                (layout::checkbox("returning", "This is a returning client: reactivate them under their original client ID", f.returning.is_some(), Some("Hearth also matches returning clients on NI number, housing benefit number, or names and date of birth")))
                h2 class="govuk-heading-m" { "Schedule" }
                (input("level", "Service level", &f.level, errors, false, Some("For example Service Level 1"), Some("20")))
                (input("tenancy_reference", "Tenancy reference", &f.tenancy_reference, errors, false, None, Some("10")))
                (layout::date_input("start_date", "Start date", &f.start_date, errors, true, None))
                (input("units_per_week", "Estimated units per week", &f.units_per_week, errors, true, None, Some("3")))
                (layout::textarea("comment", "Request comment", &f.comment, errors, false))
                (button("Send request"))
            }
        } }
    };
    let r = render(Some(ctx), "Request a new client schedule", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

async fn new_schedule_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    new_schedule_view(
        &state,
        &ctx,
        id,
        &NewScheduleInput::default(),
        &FieldErrors::new(),
    )
    .await
}

async fn new_schedule_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(mut f): Form<NewScheduleInput>,
) -> Page {
    if f.copy_property.take().is_some() {
        // "Copy address from property": fill the address and show the form again.
        let mut errors = FieldErrors::new();
        let props = state.app.service_properties(&ctx.principal, id).await?;
        match props.iter().find(|p| p.id.to_string() == f.property_id) {
            Some(p) => {
                f.address = p.address_line1.clone();
                f.address2 = p.address_line2.clone();
                f.town = p.town.clone();
                f.postcode = p.postcode.clone();
                f.uprn = p.uprn.clone().unwrap_or_default();
            }
            None => errors.add(
                "property_id",
                "Select the property to copy the address from",
            ),
        }
        let mut r = new_schedule_view(&state, &ctx, id, &f, &errors).await?;
        if errors.is_empty() {
            *r.status_mut() = axum::http::StatusCode::OK;
        }
        return Ok(r);
    }
    match state.app.request_new_schedule(&ctx.principal, id, &f).await {
        Ok(r) => Ok(see_other(&format!("/requests/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => new_schedule_view(&state, &ctx, id, &f, &errors).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------- update schedule (F3.3) ----------------

async fn schedule_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    f: Option<&UpdateScheduleInput>,
    errors: &FieldErrors,
) -> Page {
    let (s, service) = state.app.schedule(&ctx.principal, id).await?;
    let history = state
        .app
        .client_history(&ctx.principal, s.client_id)
        .await?;
    let default = UpdateScheduleInput {
        level: s.level.clone(),
        units_per_week: s.units_per_week.to_string(),
        end_date: s.end_date.clone().unwrap_or_default(),
        end_reason: s.end_reason.clone().unwrap_or_default(),
        ..Default::default()
    };
    let f = f.unwrap_or(&default);
    let paid = state.app.schedule_payments(&ctx.principal, id).await?;
    let reasons: Vec<(String, String)> = EndReason::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), r.label().to_string()))
        .collect();
    let others = if let Principal::Provider { .. } = &ctx.principal {
        state
            .app
            .service_choices(&ctx.principal)
            .await?
            .into_iter()
            .filter(|o| o.id != service.id)
            .map(|o| (o.id.to_string(), format!("{} ({})", o.name, o.reference)))
            .collect()
    } else {
        Vec::new()
    };
    let body = html! {
        (layout::back_link(&format!("/services/{}", service.id)))
        span class="govuk-caption-l" { (service.name) }
        h1 class="govuk-heading-l" { (s.title) " " (s.first_name) " " (s.last_name) }
        (layout::summary_list(&[
            ("Client ID", html! { (s.client_id) }),
            ("Service level", html! { (s.level) }),
            ("Estimated units per week", html! { (s.units_per_week) }),
            ("Tenancy reference", html! { (s.tenancy_reference) }),
            ("Start date", html! { (layout::date(&s.start_date)) }),
            ("End date", html! { @if let Some(e) = &s.end_date { (layout::date(e)) } }),
            ("Reason for end date", html! { @if let Some(r) = &s.end_reason { (EndReason::parse(r).map(|r| r.label()).unwrap_or("")) } }),
        ]))
        @if history.len() > 1 {
            h2 class="govuk-heading-m" { "Earlier and other schedules of this client" }
            ul class="govuk-list" {
                @for (h, service_name) in history.iter().filter(|(h, _)| h.id != s.id) {
                    li { (service_name) ": " (layout::date(&h.start_date)) " to " (h.end_date.as_deref().map(layout::date).unwrap_or_else(|| "now".into())) }
                }
            }
        }
        (super::payments::schedule_section(&paid, s.client_id, ctx.principal.is_staff()))
        @if matches!(ctx.principal, Principal::Provider { .. }) {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                h2 class="govuk-heading-m" { "Request an update" }
                (error_summary(errors))
                p class="govuk-body" { "Change the level or units, end the schedule with a date and a reason, or move the client to another of your services (this ends this schedule and starts the new one, as one request)." }
                form method="post" action={ "/schedules/" (id) } novalidate {
                    (csrf(&ctx.csrf))
                    (input("level", "Service level", &f.level, errors, false, None, Some("20")))
                    (input("units_per_week", "Estimated units per week", &f.units_per_week, errors, true, None, Some("3")))
                    (layout::date_input("end_date", "End date", &f.end_date, errors, false, Some("Leave empty unless the schedule ends.")))
                    (layout::select("end_reason", "Reason for end date", &reasons, &f.end_reason, errors, false))
                    @if !others.is_empty() {
                        (layout::select("new_service_id", "Change of service: the service the client moves to", &others, &f.new_service_id, errors, false))
                    }
                    (layout::textarea("comment", "Request comment", &f.comment, errors, false))
                    (button("Send request"))
                }
            } }
        }
    };
    let r = render(Some(ctx), "Client schedule", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

async fn schedule_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    schedule_view(&state, &ctx, id, None, &FieldErrors::new()).await
}

async fn schedule_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<UpdateScheduleInput>,
) -> Page {
    match state
        .app
        .request_schedule_update(&ctx.principal, id, &f)
        .await
    {
        Ok(r) => Ok(see_other(&format!("/requests/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => schedule_view(&state, &ctx, id, Some(&f), &errors).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------- service details and places (F3.5) ----------------

/// The service details form. Lists of codes (support tasks, household types, age groups) come
/// from checkboxes named `support_tasks`, `household_types`, `age_groups`.
#[derive(Default, Clone)]
struct DetailsForm {
    details: ServiceDetails,
    comment: String,
}

impl DetailsForm {
    fn of(d: &ServiceDetails) -> DetailsForm {
        DetailsForm {
            details: d.clone(),
            comment: String::new(),
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> DetailsForm {
        let f = super::Pairs(pairs);
        let one = |k: &str| f.one(k);
        let many = |k: &str| f.many(k);
        let flag = |k: &str| f.flag(k);
        DetailsForm {
            details: ServiceDetails {
                public_name: one("public_name"),
                description: one("description"),
                languages: one("languages"),
                religions: one("religions"),
                tenure: one("tenure"),
                rural_urban: one("rural_urban"),
                emergency_referrals: flag("emergency_referrals"),
                interpreter: flag("interpreter"),
                visual_impairment_support: flag("visual_impairment_support"),
                hearing_impairment_support: flag("hearing_impairment_support"),
                waiting_list: flag("waiting_list"),
                support_tasks: many("support_tasks"),
                referral_routes: one("referral_routes"),
                household_types: many("household_types"),
                age_groups: many("age_groups"),
                exclusions: one("exclusions"),
                accommodation_type: one("accommodation_type"),
                ethnicity_focus: many("ethnicity_focus"),
                contact_phone: one("contact_phone"),
                contact_email: one("contact_email"),
                website: one("website"),
                accessibility: one("accessibility"),
                eligibility: one("eligibility"),
            },
            comment: one("comment"),
        }
    }
}

#[derive(Deserialize, Default)]
struct SavedFlag {
    saved: Option<String>,
}

async fn details_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    f: Option<&DetailsForm>,
    places_value: Option<&str>,
    errors: &FieldErrors,
    saved: bool,
) -> Page {
    let s = state.app.service(&ctx.principal, id).await?;
    let current = DetailsForm::of(&ServiceDetails::of(&s));
    let form = f.unwrap_or(&current);
    let f = &form.details;
    let accommodation: Vec<(String, String)> = hearth_domain::directory::ACCOMMODATION_TYPES
        .iter()
        .map(|(c, l)| (c.to_string(), l.to_string()))
        .collect();
    let places = places_value.map(str::to_string).unwrap_or_else(|| {
        s.available_places
            .map(|p| p.to_string())
            .unwrap_or_default()
    });
    let body = html! {
        (layout::back_link(&format!("/services/{id}")))
        @if saved { (layout::banner("Available places saved", html! { p class="govuk-body" { "The public directory shows the new figure now." } })) }
        span class="govuk-caption-l" { (s.name) }
        h1 class="govuk-heading-l" { "Service details" }
        (error_summary(errors))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            h2 class="govuk-heading-m" { "Available places" }
            p class="govuk-body" { "Saved at once, without approval. Leave blank to let the directory work it out from contracted units minus current clients." }
            @if let Some(t) = s.available_places_updated_at { p class="govuk-hint" { "Last updated " (layout::when(t)) } }
            form method="post" action={ "/services/" (id) "/places" } novalidate {
                (csrf(&ctx.csrf))
                (input("available_places", "Available places", &places, errors, false, None, Some("3")))
                (button("Save places"))
            }
            h2 class="govuk-heading-m" { "Directory details" }
            p class="govuk-body" { "Changes to these details go to the commissioning team as a request." }
            form method="post" action={ "/services/" (id) "/details" } novalidate {
                (csrf(&ctx.csrf))
                (input("public_name", "Public name", &f.public_name, errors, true, None, None))
                (layout::textarea("description", "Description", &f.description, errors, false))
                (input("languages", "Languages supported", &f.languages, errors, false, Some("Separate with commas"), None))
                (input("religions", "Religions supported", &f.religions, errors, false, Some("Separate with commas"), None))
                (input("tenure", "Tenure", &f.tenure, errors, false, None, None))
                (input("rural_urban", "Rural or urban", &f.rural_urban, errors, false, None, Some("10")))
                (layout::checkbox("emergency_referrals", "Takes emergency referrals", f.emergency_referrals, None))
                (layout::checkbox("interpreter", "Interpreter available", f.interpreter, None))
                (layout::checkbox("visual_impairment_support", "Support for people with a visual impairment", f.visual_impairment_support, None))
                (layout::checkbox("hearing_impairment_support", "Support for people with a hearing impairment", f.hearing_impairment_support, None))
                (layout::checkbox("waiting_list", "Has a waiting list", f.waiting_list, None))
                (layout::code_checkboxes("support_tasks", "Support tasks", hearth_domain::directory::SUPPORT_TASKS, &f.support_tasks, errors))
                (layout::code_checkboxes("household_types", "Household types", hearth_domain::directory::HOUSEHOLD_TYPES, &f.household_types, errors))
                (layout::code_checkboxes("age_groups", "Age groups", hearth_domain::directory::AGE_GROUPS, &f.age_groups, errors))
                (layout::code_checkboxes("ethnicity_focus", "Communities served", hearth_domain::directory::ETHNICITIES, &f.ethnicity_focus, errors))
                (layout::select("accommodation_type", "Accommodation type (accommodation services)", &accommodation, &f.accommodation_type, errors, false))
                (layout::textarea("eligibility", "Who can use the service", &f.eligibility, errors, false))
                (layout::textarea("exclusions", "Exclusions", &f.exclusions, errors, false))
                (layout::textarea("referral_routes", "Referral routes", &f.referral_routes, errors, false))
                (input("contact_phone", "Referral telephone", &f.contact_phone, errors, false, None, Some("20")))
                (input("contact_email", "Referral email", &f.contact_email, errors, false, None, None))
                (input("website", "Website", &f.website, errors, false, Some("For example https://www.example.org"), None))
                (layout::textarea("accessibility", "Accessibility", &f.accessibility, errors, false))
                (layout::textarea("comment", "Request comment", &form.comment, errors, false))
                (button("Send request"))
            }
        } }
    };
    let r = render(Some(ctx), "Service details", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

async fn details_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<SavedFlag>,
) -> Page {
    details_view(
        &state,
        &ctx,
        id,
        None,
        None,
        &FieldErrors::new(),
        q.saved.is_some(),
    )
    .await
}

async fn details_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    let f = DetailsForm::from_pairs(&pairs);
    match state
        .app
        .request_service_details(&ctx.principal, id, &f.details, &f.comment)
        .await
    {
        Ok(r) => Ok(see_other(&format!("/requests/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => {
            details_view(&state, &ctx, id, Some(&f), None, &errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct PlacesForm {
    #[serde(default)]
    available_places: String,
}

async fn places_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<PlacesForm>,
) -> Page {
    let saved = match AvailablePlaces::parse(&f.available_places).for_field("available_places") {
        Ok(places) => {
            state
                .app
                .set_available_places(&ctx.principal, id, places)
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(see_other(&format!("/services/{id}/details?saved=1"))),
        Err(AppError::Invalid(errors)) => {
            details_view(
                &state,
                &ctx,
                id,
                None,
                Some(&f.available_places),
                &errors,
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------- requests (F3.4) ----------------

fn status_tag(status: RequestStatus) -> Markup {
    let class = match status {
        RequestStatus::Approved => "govuk-tag govuk-tag--green",
        RequestStatus::Rejected => "govuk-tag govuk-tag--red",
        RequestStatus::Pending => "govuk-tag govuk-tag--yellow",
    };
    html! { strong class=(class) { (status.label()) } }
}

/// The decision's remarks, with the hint and any error tied to the box.
fn remarks_box(value: &str, errors: &FieldErrors) -> Markup {
    let err = errors.get("remarks");
    let described = if err.is_some() {
        "remarks-hint remarks-error"
    } else {
        "remarks-hint"
    };
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            label class="govuk-label govuk-label--s" for="remarks" { "Remarks" }
            div id="remarks-hint" class="govuk-hint" { "Required if you reject: say what is wrong and what to send instead. The provider sees these remarks." }
            @if let Some(e) = err { p id="remarks-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
            textarea class={ "govuk-textarea" @if err.is_some() { " govuk-textarea--error" } } id="remarks" name="remarks" rows="3" aria-describedby=(described) { (value) }
        }
    }
}

/// Where the record a decided request made or changed can be seen, and what to call it.
fn result_link(r: &Request) -> Option<(String, &'static str)> {
    let (kind, id) = r.result_record.as_deref()?.split_once(':')?;
    let id: i64 = id.parse().ok()?;
    Some(match kind {
        "client_schedule" => (format!("/schedules/{id}"), "View the client's schedule"),
        "service" => (format!("/services/{id}"), "View the service"),
        "service_returns" => (
            format!("/services/{id}/returns"),
            "View the service's returns",
        ),
        "property" => (format!("/properties/{id}"), "View the property"),
        "user" => (format!("/admin/users/{id}"), "View the new login"),
        "contact" | "contact_assignment" => (
            format!("/providers/{}", r.provider_id),
            "View the provider and its contacts",
        ),
        _ => return None,
    })
}

async fn requests_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Page {
    let staff = ctx.principal.is_staff();
    // The number boxes are checked here, so a word typed in one is named beside it (and that
    // filter left out) instead of refusing the whole page.
    let mut errors = FieldErrors::new();
    let mut typed: Vec<(String, String)> = Vec::new();
    let mut kept = Vec::new();
    for (k, v) in pairs {
        let number_box = k == "older_than_days" || k == "months";
        if number_box && !v.trim().is_empty() && v.trim().parse::<u32>().is_err() {
            errors.add(
                &k,
                if k == "months" {
                    "Enter the number of months as a whole number, like 3"
                } else {
                    "Enter the number of days as a whole number, like 7"
                },
            );
            typed.push((k, v));
        } else {
            kept.push((k, v));
        }
    }
    let typed_value = |name: &str| {
        typed
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let map: serde_json::Map<String, serde_json::Value> = kept
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    let mut q: RequestQuery = serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|_| AppError::invalid("provider", "Choose a provider from the list"))?;
    if staff && q.status.is_none() {
        q.status = Some("pending".into());
    }
    let list = state.app.list_requests(&ctx.principal, &q).await?;
    let providers: Vec<(i64, String)> = if staff {
        state
            .app
            .provider_choices(&ctx.principal)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect()
    } else {
        Vec::new()
    };
    let provider_name = |id: i64| {
        providers
            .iter()
            .find(|(p, _)| *p == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let now = hearth_app::now();
    let body = html! {
        (error_summary(&errors))
        h1 class="govuk-heading-l" { @if staff { "Requests to approve" } @else { "Your requests" } }
        form method="get" action="/requests" novalidate {
            div class="govuk-grid-row" {
                @if staff {
                    div class="govuk-grid-column-one-quarter" { div class="govuk-form-group" {
                        label class="govuk-label" for="provider" { "Provider" }
                        select class="govuk-select" id="provider" name="provider" {
                            option value="" { "Any" }
                            @for (id, name) in &providers { option value=(id) selected[q.provider == Some(*id)] { (name) } }
                        }
                    } }
                    div class="govuk-grid-column-one-quarter" {
                        (number_filter("older_than_days", "Waiting more than (days)", &typed_value("older_than_days").unwrap_or_else(|| q.older_than_days.map(|d| d.to_string()).unwrap_or_default()), &errors))
                    }
                } @else {
                    div class="govuk-grid-column-one-quarter" {
                        (number_filter("months", "Over the past (months)", &typed_value("months").unwrap_or_else(|| q.months.unwrap_or(3).to_string()), &errors))
                    }
                }
                div class="govuk-grid-column-one-quarter" { div class="govuk-form-group" {
                    label class="govuk-label" for="kind" { "Type" }
                    select class="govuk-select" id="kind" name="kind" {
                        option value="" { "Any" }
                        @for k in RequestKind::ALL { option value=(k.as_str()) selected[q.kind.as_deref() == Some(k.as_str())] { (k.label()) } }
                    }
                } }
                div class="govuk-grid-column-one-quarter" { div class="govuk-form-group" {
                    label class="govuk-label" for="status" { "Status" }
                    select class="govuk-select" id="status" name="status" {
                        option value="" { "Any" }
                        @for s in RequestStatus::ALL { option value=(s.as_str()) selected[q.status.as_deref() == Some(s.as_str())] { (s.label()) } }
                    }
                } }
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Show" }
        }
        @if list.is_empty() {
            p class="govuk-body" data-testid="empty" {
                @if staff { "No requests match these filters. Pending requests from providers appear here until someone approves or rejects them." }
                @else { "You have sent no requests over this period. Requests you send (new schedules, schedule changes, service details, contacts) appear here with the team's decision." }
            }
        } @else {
        p class="govuk-body" { (layout::plural(list.len(), "request", "requests")) }
        (crate::layout::scrolling_table("Requests", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Submitted" }
                @if staff { th class="govuk-table__header" { "Provider" } }
                th class="govuk-table__header" { "Service" }
                th class="govuk-table__header" { "Type" }
                th class="govuk-table__header" { "Request" }
                th class="govuk-table__header" { "Status" }
            } }
            tbody class="govuk-table__body" {
                @for r in &list {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell hearth-nowrap" { (layout::when(r.submitted_at)) @if staff && r.is_pending() { br; span class="govuk-hint" { (layout::plural((now - r.submitted_at) / 86_400, "day", "days")) } } }
                        @if staff { td class="govuk-table__cell" { (provider_name(r.provider_id)) } }
                        td class="govuk-table__cell" { @match r.service_name.as_deref() { Some(n) => (n), None => span class="govuk-hint govuk-!-margin-0" { "Whole organisation" } } }
                        td class="govuk-table__cell" { (r.kind.label()) }
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/requests/" (r.id) } { (r.summary) } }
                        td class="govuk-table__cell" { (status_tag(r.status)) }
                    }
                }
            }
        } }))
        }
    };
    let r = render(Some(&ctx), "Requests", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

/// A filter's number box, with its error beside it.
fn number_filter(name: &str, label: &str, value: &str, errors: &FieldErrors) -> Markup {
    let err = errors.get(name);
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            label class="govuk-label" for=(name) { (label) }
            @if let Some(e) = err { p id={ (name) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
            input class={ "govuk-input govuk-input--width-3" @if err.is_some() { " govuk-input--error" } } id=(name) name=(name) inputmode="numeric" value=(value)
                aria-describedby=[err.map(|_| format!("{name}-error"))];
        }
    }
}

fn changes_table(changes: &[hearth_app::requests::Change]) -> Markup {
    html! {
        (crate::layout::scrolling_table("Changes", html! { table class="govuk-table" data-testid="changes" {
            caption class="govuk-table__caption govuk-table__caption--m" { "What this request changes" }
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Field" } th class="govuk-table__header" { "Now" } th class="govuk-table__header" { "Requested" }
            } }
            tbody class="govuk-table__body" {
                @for c in changes {
                    tr class="govuk-table__row" {
                        th scope="row" class="govuk-table__header" { (c.label) }
                        td class="govuk-table__cell" { @if let Some(o) = &c.old { del class="hearth-old" { span class="govuk-visually-hidden" { "removed: " } (o) } } }
                        td class="govuk-table__cell" { @if let Some(n) = &c.new { ins class="hearth-new" { span class="govuk-visually-hidden" { "new: " } (n) } } }
                    }
                }
            }
        } }))
    }
}

async fn request_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    notice: Option<Markup>,
    errors: &FieldErrors,
    decided_as: Option<&str>,
    remarks: &str,
) -> Page {
    let r: Request = state.app.request(&ctx.principal, id).await?;
    let changes = state.app.request_changes(&r).await?;
    let service = state
        .app
        .request_service(&ctx.principal, r.id)
        .await
        .ok()
        .flatten();
    let can_decide = r.is_pending() && ctx.principal.has(Permission::BackOfficeWrite);
    let body = html! {
        (layout::back_link("/requests"))
        @if let Some(n) = notice { (n) }
        (error_summary(errors))
        span class="govuk-caption-l" { (r.kind.label()) }
        h1 class="govuk-heading-l" { (r.summary) }
        (layout::summary_list(&[
            ("Status", status_tag(r.status)),
            ("Service", html! { @if let Some(s) = &service { a class="govuk-link" href={ "/services/" (s.id) } { (s.name) } } @else { "None (about the organisation)" } }),
            ("Submitted", html! { (layout::when(r.submitted_at)) " by " (r.submitted_by_name) }),
            ("Comment", html! { (r.comment) }),
            ("Decided", html! { @if let Some(t) = r.decided_at { (layout::when(t)) " by " (r.decided_by_name.clone().unwrap_or_default()) } }),
            ("Remarks", html! { (r.remarks) }),
        ]))
        (changes_table(&changes))
        @if can_decide {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                form method="post" action={ "/requests/" (id) "/decide" } novalidate {
                    (csrf(&ctx.csrf))
                    @let err = errors.get("decision");
                    div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
                        fieldset class="govuk-fieldset" aria-describedby=[err.map(|_| "decision-error")] {
                            legend class="govuk-fieldset__legend govuk-fieldset__legend--m" { h2 class="govuk-fieldset__heading" { "Your decision" } }
                            @if let Some(m) = err { p id="decision-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (m) } }
                            div class="govuk-radios" data-module="govuk-radios" {
                                div class="govuk-radios__item" {
                                    input class="govuk-radios__input" id="decision" name="decision" type="radio" value="approve" data-testid="approve" checked[decided_as == Some("approve")];
                                    label class="govuk-label govuk-radios__label" for="decision" { "Approve and apply the change" }
                                }
                                div class="govuk-radios__item" {
                                    input class="govuk-radios__input" id="decision-reject" name="decision" type="radio" value="reject" data-testid="reject" checked[decided_as == Some("reject")];
                                    label class="govuk-label govuk-radios__label" for="decision-reject" { "Reject" }
                                }
                            }
                        }
                    }
                    (remarks_box(remarks, errors))
                    button type="submit" class="govuk-button" data-module="govuk-button" data-testid="decide" { "Save decision" }
                }
            } }
        }
    };
    let resp = render(Some(ctx), &r.summary, body);
    Ok(if errors.is_empty() {
        resp
    } else {
        invalid(resp)
    })
}

#[derive(Deserialize, Default)]
struct RequestPageQuery {
    sent: Option<String>,
    decided: Option<String>,
}

async fn request_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RequestPageQuery>,
) -> Page {
    let notice = if q.sent.is_some() {
        Some(layout::banner(
            "Request sent",
            html! { p class="govuk-body" { "The commissioning team will approve or reject it. It shows as pending until then." } },
        ))
    } else if q.decided.is_some() {
        Some(decided_banner(&state, &ctx, id).await?)
    } else {
        None
    };
    request_view(&state, &ctx, id, notice, &FieldErrors::new(), None, "").await
}

/// After a decision: what happened, a link to the record it made or changed, and the next
/// request waiting.
async fn decided_banner(state: &AppState, ctx: &Ctx, id: i64) -> Result<Markup, WebError> {
    let r = state.app.request(&ctx.principal, id).await?;
    let next = state.app.next_pending_request(&ctx.principal, id).await?;
    let title = match r.status {
        RequestStatus::Approved => "Request approved and applied",
        RequestStatus::Rejected => "Request rejected: the provider can see your remarks",
        RequestStatus::Pending => "Request still pending",
    };
    Ok(layout::banner(
        title,
        html! {
            @if let Some((href, text)) = result_link(&r) {
                p class="govuk-body" { a class="govuk-notification-banner__link" href=(href) data-testid="result-link" { (text) } }
            }
            p class="govuk-body" {
                @if let Some(n) = next {
                    a class="govuk-notification-banner__link" href={ "/requests/" (n) } data-testid="next-request" { "Next request waiting" }
                } @else {
                    "No other requests are waiting. "
                    a class="govuk-notification-banner__link" href="/requests" { "Back to the queue" }
                }
            }
        },
    ))
}

#[derive(Deserialize, Default)]
struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    remarks: String,
}

/// The one decision form: approve or reject, with remarks.
async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Page {
    match f.decision.as_str() {
        "approve" => approve_with(&state, &ctx, id, &f).await,
        "reject" => reject_with(&state, &ctx, id, &f).await,
        _ => {
            // Still check the request is theirs to decide before saying anything about it.
            state.app.request(&ctx.principal, id).await?;
            let mut errors = FieldErrors::new();
            errors.add("decision", "Select approve or reject");
            request_view(&state, &ctx, id, None, &errors, None, &f.remarks).await
        }
    }
}

async fn approve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Page {
    approve_with(&state, &ctx, id, &f).await
}

async fn approve_with(state: &AppState, ctx: &Ctx, id: i64, f: &DecideForm) -> Page {
    match state
        .app
        .approve_request_with_handover(&ctx.principal, id, &f.remarks)
        .await
    {
        Ok((_, Some(handover))) => {
            // Shown once, never stored: the new login's temporary password.
            let notice = layout::banner(
                "Approved: a login was created",
                html! {
                    p class="govuk-body" { "Give the contact their username and temporary password by a separate channel. It is shown only now; they change it at first sign-in." }
                    p class="govuk-body hearth-secret" data-testid="handover" { (handover) }
                },
            );
            request_view(state, ctx, id, Some(notice), &FieldErrors::new(), None, "").await
        }
        Ok(_) => Ok(see_other(&format!("/requests/{id}?decided=1"))),
        Err(AppError::Invalid(errors)) => {
            request_view(state, ctx, id, None, &errors, Some("approve"), &f.remarks).await
        }
        Err(AppError::Conflict(_, msg)) => {
            let notice = html! {
                div class="govuk-error-summary" data-module="govuk-error-summary" data-testid="conflict" { div role="alert" {
                    h2 class="govuk-error-summary__title" { "This request cannot be applied" }
                    div class="govuk-error-summary__body" { p class="govuk-body" { (msg) } }
                } }
            };
            let mut r = request_view(
                state,
                ctx,
                id,
                Some(notice),
                &FieldErrors::new(),
                Some("reject"),
                &f.remarks,
            )
            .await?;
            *r.status_mut() = axum::http::StatusCode::CONFLICT;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

async fn reject(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Page {
    reject_with(&state, &ctx, id, &f).await
}

async fn reject_with(state: &AppState, ctx: &Ctx, id: i64, f: &DecideForm) -> Page {
    match state
        .app
        .reject_request(&ctx.principal, id, &f.remarks)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/requests/{id}?decided=1"))),
        Err(AppError::Invalid(errors)) => {
            request_view(state, ctx, id, None, &errors, Some("reject"), &f.remarks).await
        }
        Err(e) => Err(e.into()),
    }
}
