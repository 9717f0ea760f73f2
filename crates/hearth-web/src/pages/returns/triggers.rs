//! The triggers the team sets for a year, and workbook versions.

#[allow(unused_imports)]
use super::*;

#[derive(Deserialize, Default)]
pub(super) struct YearOnly {
    #[serde(default)]
    year: Option<String>,
}

pub(super) async fn triggers(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearOnly>,
) -> Page {
    let year = q
        .year
        .as_deref()
        .and_then(|y| hearth_domain::FinancialYear::parse_label(y).ok())
        .unwrap_or_else(|| hearth_domain::FinancialYear::for_date(state.app.today()));
    triggers_view(
        &state,
        &ctx,
        year,
        &hearth_app::returns::TriggerForm {
            year: year.label(),
            ..Default::default()
        },
        &FieldErrors::new(),
        &FieldErrors::new(),
    )
    .await
}

/// The ids of the local indicator form's fields start with this, so that they differ from
/// the trigger form's (both have a service type): an id is used once a page.
pub(super) const LOCAL_ID: &str = "local-";

/// The triggers page; `errors` are the trigger form's, `local_errors` the local indicator
/// form's (each form shows its own; one error summary at the top links to either).
pub(super) async fn triggers_view(
    state: &AppState,
    ctx: &Ctx,
    year: hearth_domain::FinancialYear,
    f: &hearth_app::returns::TriggerForm,
    errors: &FieldErrors,
    local_errors: &FieldErrors,
) -> Page {
    use hearth_domain::performance::Indicator;
    let set = state
        .app
        .trigger_set(ctx.principal.authority_id(), year)
        .await?;
    let locals = state
        .app
        .local_indicators(ctx.principal.authority_id())
        .await?;
    let mut indicators: Vec<(String, String)> = Indicator::NATIONAL
        .iter()
        .map(|i| (i.code().to_string(), i.label().to_string()))
        .collect();
    indicators.extend(
        locals
            .iter()
            .map(|l| (l.code.clone(), format!("Local: {}", l.name))),
    );
    // The name people read, the code once ("KPI 2: ...", "Local: Referrals received").
    let name_of = |i: &Indicator| -> String {
        indicators
            .iter()
            .find(|(code, _)| code == i.code())
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| i.label().to_string())
    };
    let types: Vec<(String, String)> = hearth_domain::ServiceType::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), t.label().to_string()))
        .collect();
    // The summary links each local indicator error to its field's id.
    let summary = FieldErrors(
        errors
            .0
            .iter()
            .cloned()
            .chain(
                local_errors
                    .0
                    .iter()
                    .map(|(field, m)| (format!("{LOCAL_ID}{field}"), m.clone())),
            )
            .collect(),
    );
    let body = html! {
        (error_summary(&summary))
        h1 class="govuk-heading-l" { "Triggers for " (year.label()) }
        p class="govuk-body" { "A figure below its trigger (above it, where lower is better) is marked in red with a text marker on every screen and in the workbook, and the return cannot be accepted until the provider explains it." }
        (crate::layout::scrolling_table("Triggers", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" { th class="govuk-table__header" { "Indicator" } th class="govuk-table__header" { "Service type" } th class="govuk-table__header" { "Trigger" } } }
            tbody class="govuk-table__body" {
                @for t in set.triggers() {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (name_of(&t.indicator)) }
                        td class="govuk-table__cell" { @match t.service_type { Some(st) => (st.label()), None => "Every type" } }
                        td class="govuk-table__cell" { (t.requirement_text()) }
                    }
                }
            }
        } }))
        h2 class="govuk-heading-m" { "Local indicators" }
        @if locals.is_empty() { p class="govuk-body" { "None defined. Providers report each one as a whole number a quarter." } }
        ul class="govuk-list" {
            @for li in &locals { li { strong { (li.name) } " (" (li.code) ") " @if li.service_types.is_empty() { "every service type" } @else { @for t in &li.service_types { (t.label()) " " } } } }
        }
        @if ctx.principal.has(Permission::BackOfficeWrite) {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                form method="post" action="/returns/local-indicators" novalidate {
                    (csrf(&ctx.csrf))
                    (layout::input_as(&format!("{LOCAL_ID}code"), "code", "Code of a new local indicator", "", local_errors, Opt { required: true, width: Some("20"), hint: Some("Lower case letters, numbers and underscores, like referrals_received"), ..Default::default() }))
                    (layout::input_as(&format!("{LOCAL_ID}name"), "name", "Name", "", local_errors, Opt { required: true, ..Default::default() }))
                    (layout::select_as(&format!("{LOCAL_ID}service_type"), "service_type", "Service type (leave as Select for every type)", &types, "", local_errors, false))
                    (layout::checkbox("higher_is_better", "Higher is better", true, None))
                    button type="submit" class="govuk-button govuk-button--secondary" { "Add local indicator" }
                }
            } }
        }
        @if ctx.principal.has(Permission::BackOfficeWrite) {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                h2 class="govuk-heading-m" { "Set a trigger" }
                form method="post" action="/returns/triggers" novalidate {
                    (csrf(&ctx.csrf))
                    (layout::input("year", "Year", &f.year, errors, Opt { required: true, width: Some("10"), hint: Some("For example 2026/27"), ..Default::default() }))
                    (layout::select("indicator", "Indicator", &indicators, &f.indicator, errors, true))
                    (layout::select("service_type", "Service type (leave as Select for every type)", &types, &f.service_type, errors, false))
                    (layout::input("value", "Trigger", &f.value, errors, Opt { required: true, width: Some("5"), hint: Some("For example 90 (per cent)"), ..Default::default() }))
                    (button("Set trigger"))
                }
            } }
        }
    };
    let r = render(Some(ctx), "Triggers", body);
    Ok(if summary.is_empty() { r } else { invalid(r) })
}

pub(super) async fn set_trigger(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<hearth_app::returns::TriggerForm>,
) -> Page {
    match state.app.set_trigger(&ctx.principal, &f).await {
        Ok(()) => Ok(see_other(&format!(
            "/returns/triggers?year={}",
            crate::session::url_encode(&f.year)
        ))),
        Err(AppError::Invalid(errors)) => {
            let year = hearth_domain::FinancialYear::parse_label(&f.year)
                .unwrap_or_else(|_| hearth_domain::FinancialYear::for_date(state.app.today()));
            triggers_view(&state, &ctx, year, &f, &errors, &FieldErrors::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct VersionForm {
    #[serde(default)]
    year: i32,
    #[serde(default)]
    from_quarter: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn issue_version(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<VersionForm>,
) -> Page {
    let from = f.from_quarter.trim().parse::<u8>().unwrap_or(0);
    match state
        .app
        .issue_workbook_version(
            &ctx.principal,
            id,
            hearth_domain::FinancialYear::new(f.year),
            from,
            &f.reason,
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/services/{id}/returns"))),
        Err(AppError::Invalid(errors)) => returns_page(&state, &ctx, id, &errors).await,
        Err(e) => Err(e.into()),
    }
}
