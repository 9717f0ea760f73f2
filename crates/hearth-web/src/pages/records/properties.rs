//! Properties: the list, the view, create and edit.

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
        (search_box("/properties", &q, "Search by address, town, postcode or UPRN"))
        (list_count(page.total, "property", "properties", &q))
        (crate::layout::scrolling_table("Properties", html! { table class="govuk-table" {
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
        (layout::summary_list(&[
            ("Address", html! { (p.address_line1) br; (p.address_line2) br; (p.town) br; (p.postcode) }),
            ("UPRN", html! { (p.uprn.clone().unwrap_or_default()) }),
            ("Service", html! { @if let Some(s) = &service { a class="govuk-link" href={ "/services/" (s.id) } { (s.name) } } }),
        ]))
    };
    Ok(render(Some(&ctx), &p.address_line1, body))
}
