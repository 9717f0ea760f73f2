//! Services: the list, the view with its client schedules, create and edit.

#[allow(unused_imports)]
use super::*;
use hearth_app::records::ListKind;

pub(super) async fn services(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    let page = state.app.list_services(&ctx.principal, &q).await?;
    let staff = ctx.principal.is_staff();
    let names = owner_names(
        &state,
        &ctx,
        page.items.iter().map(|s| (s.authority_id, s.provider_id)),
    )
    .await?;
    let officers = officer_filter_choices(&state, &ctx).await?;
    let providers = if staff {
        provider_options(&state, &ctx).await
    } else {
        Vec::new()
    };
    let chosen_provider = q.provider.map(|p| p.to_string()).unwrap_or_default();
    let kind = ListKind::Services;
    let body = html! {
        h1 class="govuk-heading-l" { "Services" }
        @if can_write(&ctx) { a class="govuk-button" href="/services/new" { "Add a service" } }
        form method="get" action="/services" class="govuk-!-margin-bottom-4" {
            @if let Some(s) = &q.sort { input type="hidden" name="sort" value=(s); }
            div class="govuk-form-group" {
                label class="govuk-label" for="q" { "Search by name or reference" }
                input class="govuk-input govuk-input--width-20" id="q" name="q" type="search" value=(q.q.clone().unwrap_or_default());
            }
            @if staff {
                div class="govuk-form-group" {
                    label class="govuk-label" for="provider" { "Provider" }
                    select class="govuk-select" id="provider" name="provider" {
                        option value="" { "Any provider" }
                        @for (v, l) in &providers { option value=(v) selected[*v == chosen_provider] { (l) } }
                    }
                }
                (officer_select(&officers, &q))
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Search" }
        }
        (list_count("/services", page.total, "service", "services", &q))
        @if page.total > 0 { (downloads("/services", &q, "these services")) }
        (list_table(page.total, "Services", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                (sort_header("/services", &q, kind, "name", "Service", false))
                @if staff { th scope="col" class="govuk-table__header" { "Provider" } }
                (sort_header("/services", &q, kind, "reference", "Reference", false))
                th scope="col" class="govuk-table__header" { "Type" }
                th scope="col" class="govuk-table__header" { "Client group" }
                (sort_header("/services", &q, kind, "units", "Units", true))
            } }
            tbody class="govuk-table__body" {
                @for s in &page.items {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/services/" (s.id) } { (s.name) } }
                        @if staff { td class="govuk-table__cell" { (names.get(&s.provider_id).map(String::as_str).unwrap_or("")) } }
                        td class="govuk-table__cell" { (s.reference) }
                        td class="govuk-table__cell" { (service_type_label(&s.service_type)) ", " (term_label(&s.term).to_lowercase()) }
                        td class="govuk-table__cell" { (client_group_label(&s.client_group)) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (s.contracted_units) }
                    }
                }
            }
        } }))
        (layout::pagination(&list_base("/services", &q), page.page, page.total_pages()))
    };
    Ok(render(Some(&ctx), "Services", body))
}

async fn services_table(state: &AppState, ctx: &Ctx, mut q: ListQuery, format: Format) -> Page {
    q.export = true;
    let page = state.app.list_services(&ctx.principal, &q).await?;
    let names = state
        .app
        .provider_names(
            &ctx.principal,
            page.items.iter().map(|s| (s.authority_id, s.provider_id)),
        )
        .await?;
    let rows = page
        .items
        .iter()
        .map(|s| {
            vec![
                s.reference.clone(),
                s.name.clone(),
                names.get(&s.provider_id).cloned().unwrap_or_default(),
                service_type_label(&s.service_type),
                term_label(&s.term),
                client_group_label(&s.client_group),
                s.contracted_units.to_string(),
                s.address.clone(),
                s.postcode.clone(),
            ]
        })
        .collect();
    table_download(
        format,
        "services",
        &[
            "Reference",
            "Service",
            "Provider",
            "Type",
            "Long or short term",
            "Client group",
            "Contracted units",
            "Address",
            "Postcode",
        ],
        rows,
    )
}

pub(super) async fn services_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    services_table(&state, &ctx, q, Format::Csv).await
}

pub(super) async fn services_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Page {
    services_table(&state, &ctx, q, Format::Xlsx).await
}

pub(super) fn service_fields(providers: Vec<(String, String)>) -> Vec<Field> {
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

pub(super) async fn service_new(State(state): State<AppState>, ctx: Ctx) -> Page {
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

pub(super) async fn service_create(
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

pub(super) async fn service_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
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

pub(super) async fn service_update(
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

pub(super) async fn service_view(
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
    let officers = state.app.service_officers(&ctx.principal, &s).await?;
    let change = can_write(&ctx).then(|| format!("/services/{id}/officers"));
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
        (officers_section(&officers, change.as_deref()))
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
        (crate::layout::scrolling_table("Client schedules", html! { table class="govuk-table" {
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
        } }))
        (layout::pagination(&base, schedules.page, schedules.total_pages()))
    };
    Ok(render(Some(&ctx), &s.name, body))
}
