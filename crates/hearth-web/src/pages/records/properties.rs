//! Properties: the list, the view, create and edit for the commissioning team, and a
//! provider's requests for a new property or a change to one (approved by the team).

#[allow(unused_imports)]
use super::*;

pub(super) async fn properties(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    let page = state.app.list_properties(&ctx.principal, &q).await?;
    let body = html! {
        h1 class="govuk-heading-l" { "Properties" }
        @if can_write(&ctx) { a class="govuk-button" href="/properties/new" { "Add a property" } }
        @if can_request(&ctx) { a class="govuk-button" href="/properties/request" { "Ask for a new property" } }
        (search_box("/properties", &q, "Search by address, town, postcode or UPRN"))
        (list_count("/properties", page.total, "property", "properties", &q))
        (list_table(page.total, "Properties", html! { table class="govuk-table" {
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
        } }))
        (layout::pagination(&list_base("/properties", &q), page.page, page.total_pages()))
    };
    Ok(render(Some(&ctx), "Properties", body))
}

pub(super) fn property_fields(providers: Vec<(String, String)>) -> Vec<Field> {
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

pub(super) async fn property_new(State(state): State<AppState>, ctx: Ctx) -> Page {
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

pub(super) async fn property_create(
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

pub(super) async fn property_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
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

pub(super) async fn property_update(
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

pub(super) async fn property_view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
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
        @if can_request(&ctx) { a class="govuk-button govuk-button--secondary" href={ "/properties/" (id) "/request" } { "Ask for a change" } }
        (layout::summary_list(&[
            ("Address", html! { (p.address_line1) br; (p.address_line2) br; (p.town) br; (p.postcode) }),
            ("UPRN", html! { (p.uprn.clone().unwrap_or_default()) }),
            ("Service", html! { @if let Some(s) = &service { a class="govuk-link" href={ "/services/" (s.id) } { (s.name) } } }),
        ]))
    };
    Ok(render(Some(&ctx), &p.address_line1, body))
}

/// Whether the signed-in user asks for property changes through requests (provider users).
fn can_request(ctx: &Ctx) -> bool {
    ctx.principal.has(Permission::ProviderPortal)
}

/// A provider's request for a new property or a change to one: the property's fields and a
/// comment for the commissioning team.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PropertyRequestForm {
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    address_line1: String,
    #[serde(default)]
    address_line2: String,
    #[serde(default)]
    town: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    uprn: String,
    #[serde(default)]
    comment: String,
}

impl PropertyRequestForm {
    fn input(&self) -> PropertyInput {
        PropertyInput {
            provider_id: String::new(),
            service_id: self.service_id.clone(),
            address_line1: self.address_line1.clone(),
            address_line2: self.address_line2.clone(),
            town: self.town.clone(),
            postcode: self.postcode.clone(),
            uprn: self.uprn.clone(),
        }
    }
}

async fn property_request_view(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    input: &PropertyInput,
    comment: &str,
    errors: &FieldErrors,
) -> Page {
    let services: Vec<(String, String)> = state
        .app
        .service_choices(&ctx.principal)
        .await?
        .into_iter()
        .map(|s| (s.id.to_string(), format!("{} ({})", s.name, s.reference)))
        .collect();
    let (title, action, back) = match id {
        None => (
            "Ask for a new property",
            "/properties/request".to_string(),
            "/properties".to_string(),
        ),
        Some(id) => (
            "Ask for a change to this property",
            format!("/properties/{id}/request"),
            format!("/properties/{id}"),
        ),
    };
    let text = |name: &str, label: &str, value: &str, required: bool, width, hint| {
        layout::input(
            name,
            label,
            value,
            errors,
            Opt {
                required,
                width,
                hint,
                ..Default::default()
            },
        )
    };
    let body = html! {
        (layout::back_link(&back))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            h1 class="govuk-heading-l" { (title) }
            p class="govuk-body" { "The commissioning team checks the request. The property is "
                @if id.is_some() { "changed" } @else { "added" }
                " when they approve it, and you can follow it under Requests." }
            (error_summary(errors))
            form method="post" action=(action) novalidate {
                (csrf(&ctx.csrf))
                (layout::select("service_id", "Service that uses this property", &services, &input.service_id, errors, false))
                (text("address_line1", "Address line 1", &input.address_line1, true, None, None))
                (text("address_line2", "Address line 2", &input.address_line2, false, None, None))
                (text("town", "Town or city", &input.town, false, Some("20"), None))
                (text("postcode", "Postcode", &input.postcode, true, Some("10"), None))
                (text("uprn", "UPRN", &input.uprn, false, Some("20"), Some("Unique Property Reference Number, up to 12 digits")))
                (layout::textarea("comment", "Comment for the commissioning team", comment, errors, false))
                (button("Send request"))
            }
        } }
    };
    let mut r = render(Some(ctx), title, body);
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub(super) async fn property_request_new(State(state): State<AppState>, ctx: Ctx) -> Page {
    property_request_view(
        &state,
        &ctx,
        None,
        &PropertyInput::default(),
        "",
        &FieldErrors::new(),
    )
    .await
}

pub(super) async fn property_request_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
    let p = state.app.property(&ctx.principal, id).await?;
    property_request_view(
        &state,
        &ctx,
        Some(id),
        &PropertyInput::from_record(&p),
        "",
        &FieldErrors::new(),
    )
    .await
}

async fn property_request_send(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    f: &PropertyRequestForm,
) -> Page {
    let input = f.input();
    match state
        .app
        .request_property(&ctx.principal, id, &input, &f.comment)
        .await
    {
        Ok(r) => Ok(see_other(&format!("/requests/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => {
            property_request_view(state, ctx, id, &input, &f.comment, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn property_request_new_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PropertyRequestForm>,
) -> Page {
    property_request_send(&state, &ctx, None, &f).await
}

pub(super) async fn property_request_edit_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<PropertyRequestForm>,
) -> Page {
    property_request_send(&state, &ctx, Some(id), &f).await
}
