//! Contracts: the list, the view with its services and documents, create and edit.

#[allow(unused_imports)]
use super::*;
use hearth_app::records::ListKind;

pub(super) async fn contracts(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    let page = state.app.list_contracts(&ctx.principal, &q).await?;
    let status = q.status.clone().unwrap_or_default();
    let staff = ctx.principal.is_staff();
    let names = owner_names(
        &state,
        &ctx,
        page.items.iter().map(|c| (c.authority_id, c.provider_id)),
    )
    .await?;
    let kind = ListKind::Contracts;
    let body = html! {
        h1 class="govuk-heading-l" { "Contracts" }
        @if can_write(&ctx) { a class="govuk-button" href="/contracts/new" { "Add a contract" } }
        form method="get" action="/contracts" {
            @if let Some(p) = q.provider { input type="hidden" name="provider" value=(p); }
            @if let Some(s) = &q.sort { input type="hidden" name="sort" value=(s); }
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
        (list_count("/contracts", page.total, "contract", "contracts", &q))
        @if page.total > 0 { (downloads("/contracts", &q, "these contracts")) }
        (list_table(page.total, "Contracts", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                (sort_header("/contracts", &q, kind, "reference", "Reference", false))
                @if staff { th scope="col" class="govuk-table__header" { "Provider" } }
                (sort_header("/contracts", &q, kind, "title", "Title", false))
                (sort_header("/contracts", &q, kind, "status", "Status", false))
                (sort_header("/contracts", &q, kind, "ends", "Ends", false))
                (sort_header("/contracts", &q, kind, "units", "Units", true))
            } }
            tbody class="govuk-table__body" {
                @for c in &page.items {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/contracts/" (c.id) } { (c.reference) } }
                        @if staff { td class="govuk-table__cell" { (names.get(&c.provider_id).map(String::as_str).unwrap_or("")) } }
                        td class="govuk-table__cell" { (c.title) }
                        td class="govuk-table__cell" { (status_label(&c.status)) }
                        td class="govuk-table__cell hearth-nowrap" { (layout::date(&c.end_date)) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (c.units) }
                    }
                }
            }
        } }))
        (layout::pagination(&list_base("/contracts", &q), page.page, page.total_pages()))
    };
    Ok(render(Some(&ctx), "Contracts", body))
}

async fn contracts_table(state: &AppState, ctx: &Ctx, mut q: ListQuery, format: Format) -> Page {
    q.export = true;
    let page = state.app.list_contracts(&ctx.principal, &q).await?;
    let names = state
        .app
        .provider_names(
            &ctx.principal,
            page.items.iter().map(|c| (c.authority_id, c.provider_id)),
        )
        .await?;
    let rows = page
        .items
        .iter()
        .map(|c| {
            vec![
                c.reference.clone(),
                c.title.clone(),
                names.get(&c.provider_id).cloned().unwrap_or_default(),
                status_label(&c.status),
                c.start_date.clone(),
                c.end_date.clone(),
                c.units.to_string(),
                Pence(c.unit_rate_pence).to_string(),
            ]
        })
        .collect();
    table_download(
        format,
        "contracts",
        &[
            "Reference",
            "Title",
            "Provider",
            "Status",
            "Starts",
            "Ends",
            "Units",
            "Weekly unit rate",
        ],
        rows,
    )
}

pub(super) async fn contracts_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    contracts_table(&state, &ctx, q, Format::Csv).await
}

pub(super) async fn contracts_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    contracts_table(&state, &ctx, q, Format::Xlsx).await
}

pub(super) fn contract_fields(providers: Vec<(String, String)>) -> Vec<Field> {
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
        Field::Date {
            name: "start_date",
            label: "Start date",
            required: true,
        },
        Field::Date {
            name: "end_date",
            label: "End date",
            required: true,
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

pub(super) async fn contract_new(State(state): State<AppState>, ctx: Ctx) -> Page {
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

pub(super) async fn contract_create(
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

pub(super) async fn contract_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
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

pub(super) async fn contract_update(
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

pub(super) async fn contract_view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
    let c = state.app.contract(&ctx.principal, id).await?;
    let services = state.app.contract_services(&ctx.principal, &c).await?;
    let provider = state.app.contract_provider(&ctx.principal, id).await?;
    let annual = Pence::annual_contract_value(Pence(c.unit_rate_pence), c.units);
    let documents =
        crate::pages::contracting::documents_section(&state, &ctx, id, &FieldErrors::new()).await?;
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
            ("Paid", html! {
                (hearth_domain::payments::PaymentBasis::parse(&c.payment_basis).map(|b| b.label()).unwrap_or(""))
                @if ctx.principal.is_staff() { " " a class="govuk-link" href={ "/contracts/" (id) "/payments" } { "Payment terms and rates" } }
            }),
        ]))
        (documents)
    };
    Ok(render(Some(&ctx), &c.title, body))
}
