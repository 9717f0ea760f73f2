//! Providers: the list, the view (also the provider's own organisation page), create and edit.

#[allow(unused_imports)]
use super::*;
use hearth_app::records::ListKind;

pub(super) async fn providers(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    let page = state.app.list_providers(&ctx.principal, &q).await?;
    let officers = officer_filter_choices(&state, &ctx).await?;
    let kind = ListKind::Providers;
    let body = html! {
        h1 class="govuk-heading-l" { "Providers" }
        @if can_write(&ctx) { a class="govuk-button" href="/providers/new" { "Add a provider" } }
        form method="get" action="/providers" class="govuk-!-margin-bottom-4" {
            @if let Some(s) = &q.sort { input type="hidden" name="sort" value=(s); }
            div class="govuk-form-group" {
                label class="govuk-label" for="q" { "Search by name or reference" }
                input class="govuk-input govuk-input--width-20" id="q" name="q" type="search" value=(q.q.clone().unwrap_or_default());
            }
            (officer_select(&officers, &q))
            button type="submit" class="govuk-button govuk-button--secondary" { "Search" }
        }
        (list_count("/providers", page.total, "provider", "providers", &q))
        @if page.total > 0 { (downloads("/providers", &q, "these providers")) }
        (list_table(page.total, "Providers", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                (sort_header("/providers", &q, kind, "name", "Name", false))
                (sort_header("/providers", &q, kind, "reference", "Reference", false))
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
        } }))
        (layout::pagination(&list_base("/providers", &q), page.page, page.total_pages()))
    };
    Ok(render(Some(&ctx), "Providers", body))
}

async fn providers_table(state: &AppState, ctx: &Ctx, mut q: ListQuery, format: Format) -> Page {
    q.export = true;
    let page = state.app.list_providers(&ctx.principal, &q).await?;
    let rows = page
        .items
        .iter()
        .map(|p| {
            vec![
                p.reference.clone(),
                p.name.clone(),
                p.address.clone(),
                p.postcode.clone(),
                p.phone.clone(),
                p.email.clone(),
                yes_no(p.limited_access).to_string(),
            ]
        })
        .collect();
    table_download(
        format,
        "providers",
        &[
            "Reference",
            "Name",
            "Address",
            "Postcode",
            "Telephone",
            "Email",
            "Limited access",
        ],
        rows,
    )
}

pub(super) async fn providers_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    providers_table(&state, &ctx, q, Format::Csv).await
}

pub(super) async fn providers_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    providers_table(&state, &ctx, q, Format::Xlsx).await
}

pub(super) fn provider_fields() -> Vec<Field> {
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

pub(super) async fn provider_new(ctx: Ctx) -> Page {
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

pub(super) async fn provider_create(
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

pub(super) async fn provider_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
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

pub(super) async fn provider_update(
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

pub(super) async fn provider_body(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<(String, Markup), AppError> {
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
    let officers = state.app.provider_officers(&ctx.principal, id).await?;
    let change = can_write(ctx).then(|| format!("/providers/{id}/officers"));
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
        (officers_section(&officers, change.as_deref()))
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
        (crate::layout::scrolling_table("Contacts", html! { table class="govuk-table" {
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
        } }))
    };
    Ok((p.name, body))
}

pub(super) async fn provider_view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
    let (name, body) = provider_body(&state, &ctx, id).await?;
    Ok(render(Some(&ctx), &name, body))
}

pub(super) async fn organisation(State(state): State<AppState>, ctx: Ctx) -> Page {
    let Principal::Provider { provider_id, .. } = &ctx.principal else {
        return Ok(layout::not_found(Some(&ctx)));
    };
    let (name, body) = provider_body(&state, &ctx, *provider_id).await?;
    // Its own title: the same record at /providers/{id} is the back office's view of it.
    Ok(render(
        Some(&ctx),
        &format!("Your organisation: {name}"),
        body,
    ))
}
