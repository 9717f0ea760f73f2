//! The returns tracker (F4.5): due dates, late and missing, its CSV and PDF, the due-days setting.

#[allow(unused_imports)]
use super::*;

#[derive(Deserialize, Default)]
pub(super) struct TrackerQuery {
    #[serde(default)]
    pub(super) quarter: Option<String>,
}

pub(super) fn tracker_quarter(
    state: &AppState,
    q: &TrackerQuery,
) -> hearth_domain::performance::Quarter {
    q.quarter
        .as_deref()
        .and_then(|s| hearth_domain::performance::Quarter::parse(s).ok())
        .unwrap_or_else(|| {
            hearth_domain::performance::Quarter::for_date(state.app.today()).previous()
        })
}

pub(super) async fn tracker(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TrackerQuery>,
) -> Page {
    tracker_view(&state, &ctx, &q, &FieldErrors::new(), None).await
}

/// The tracker; `errors` are the due-days form's or, with `extension_for`, the errors of the
/// extension form in that service's row (shown in the row, and linked from the summary to
/// the row's date boxes: every row has its own ids).
pub(super) async fn tracker_view(
    state: &AppState,
    ctx: &Ctx,
    q: &TrackerQuery,
    errors: &FieldErrors,
    extension_for: Option<i64>,
) -> Page {
    let quarter = tracker_quarter(state, q);
    let lines = state.app.returns_tracker(&ctx.principal, quarter).await?;
    let today = state.app.today();
    let due_days = state
        .app
        .returns_due_days(ctx.principal.authority_id())
        .await
        .unwrap_or(hearth_app::returns::DEFAULT_DUE_DAYS);
    let received = lines.iter().filter(|l| l.received.is_some()).count();
    let late = lines.iter().filter(|l| l.late()).count();
    let missing = lines.iter().filter(|l| l.missing(today)).count();
    let qs = crate::session::url_encode(&quarter.label());
    let none = FieldErrors::new();
    let summary = match extension_for {
        Some(id) => FieldErrors(
            errors
                .0
                .iter()
                .map(|(field, m)| {
                    let field = if field == "until" {
                        format!("until-{id}")
                    } else {
                        field.clone()
                    };
                    (field, m.clone())
                })
                .collect(),
        ),
        None => errors.clone(),
    };
    let body = html! {
        // Above everything: the extension forms' errors as well as the due days'.
        (error_summary(&summary))
        h1 class="govuk-heading-l" { "Returns tracker" }
        form method="get" action="/returns/tracker" {
            (layout::input("quarter", "Quarter", &quarter.label(), &FieldErrors::new(), Opt { width: Some("10"), required: true, hint: Some("For example 2026/27 Q2"), ..Default::default() }))
            button type="submit" class="govuk-button govuk-button--secondary" { "Show" }
        }
        p class="govuk-body" data-testid="tracker-summary" {
            (quarter.label()) ": due " (layout::date(&(quarter.end() + chrono::Duration::days(due_days)).to_string())) " (later where extended). "
            (received) " received, " (late) " late, " (missing) " missing, of " (layout::plural(lines.len(), "service", "services")) "."
        }
        p class="govuk-body" {
            "Report for the board: " a class="govuk-link" href={ "/returns/tracker.pdf?quarter=" (qs) } { "PDF" } " · " a class="govuk-link" href={ "/returns/tracker.csv?quarter=" (qs) } { "CSV" }
        }
        (crate::layout::scrolling_table("Returns tracker", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Provider" } th class="govuk-table__header" { "Service" } th class="govuk-table__header" { "Due" } th class="govuk-table__header" { "Received" } th class="govuk-table__header" { "State" }
                @if ctx.principal.has(Permission::BackOfficeWrite) { th class="govuk-table__header" { "Extension" } }
            } }
            tbody class="govuk-table__body" {
                @for l in &lines {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (l.provider_name) }
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/services/" (l.service.id) "/returns" } { (l.service.name) } }
                        td class="govuk-table__cell hearth-nowrap" { (layout::date(&l.due.to_string())) @if l.extended { br; span class="govuk-hint" { "extended" } } }
                        td class="govuk-table__cell" { @if let Some(r) = l.received { (layout::date(&r.to_string())) } }
                        td class="govuk-table__cell" {
                            @if l.missing(today) { strong class="govuk-tag govuk-tag--red" { "Missing" } }
                            @else if l.late() { strong class="govuk-tag govuk-tag--orange" { "Late" } }
                            @else if l.received.is_some() { strong class="govuk-tag govuk-tag--green" { "On time" } }
                            @else { strong class="govuk-tag govuk-tag--grey" { "Not yet due" } }
                            @if let Some(s) = &l.status { " " (status_label(s)) }
                        }
                        @if ctx.principal.has(Permission::BackOfficeWrite) {
                            td class="govuk-table__cell" {
                                @if l.received.is_none() {
                                    form method="post" action="/returns/extensions" {
                                        (csrf(&ctx.csrf))
                                        input type="hidden" name="service_id" value=(l.service.id);
                                        input type="hidden" name="quarter" value=(quarter.label());
                                        @let row_errors = if extension_for == Some(l.service.id) { errors } else { &none };
                                        (layout::date_input_as(&format!("until-{}", l.service.id), "until", "Extend to", "", row_errors, true, None))
                                        button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" { "Extend" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } }))
        @if ctx.principal.has(Permission::Administer) {
            form method="post" action="/returns/due-days" novalidate {
                (csrf(&ctx.csrf))
                (layout::input("returns_due_days", "Returns are due this many days after the quarter ends", &due_days.to_string(), if extension_for.is_some() { &none } else { errors }, Opt { width: Some("3"), required: true, ..Default::default() }))
                button type="submit" class="govuk-button govuk-button--secondary" { "Save" }
            }
        }
    };
    let r = render(Some(ctx), "Returns tracker", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

pub(super) fn report_rows(
    lines: &[hearth_app::returns::TrackerLine],
    today: chrono::NaiveDate,
) -> Vec<(String, String, String, String, String)> {
    lines
        .iter()
        .filter(|l| l.late() || l.missing(today))
        .map(|l| {
            (
                l.provider_name.clone(),
                l.service.name.clone(),
                l.due.to_string(),
                l.received.map(|r| r.to_string()).unwrap_or_default(),
                if l.missing(today) {
                    "Missing".into()
                } else {
                    "Late".into()
                },
            )
        })
        .collect()
}

pub(super) async fn tracker_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TrackerQuery>,
) -> Page {
    let quarter = tracker_quarter(&state, &q);
    let lines = state.app.returns_tracker(&ctx.principal, quarter).await?;
    let rows: Vec<Vec<String>> = report_rows(&lines, state.app.today())
        .into_iter()
        .map(|(p, s, due, r, st)| vec![quarter.label(), p, s, due, r, st])
        .collect();
    layout::csv_download(
        &format!(
            "late-and-missing-returns-{}.csv",
            quarter.label().replace(['/', ' '], "-")
        ),
        &["quarter", "provider", "service", "due", "received", "state"],
        &rows,
    )
}

pub(super) async fn tracker_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TrackerQuery>,
) -> Page {
    let quarter = tracker_quarter(&state, &q);
    let pdf = state
        .app
        .late_returns_report(&ctx.principal, quarter)
        .await?;
    Ok(layout::download(
        "application/pdf",
        &format!(
            "late-and-missing-returns-{}.pdf",
            quarter.label().replace(['/', ' '], "-")
        ),
        pdf,
    ))
}

#[derive(Deserialize, Default)]
pub(super) struct DueDaysForm {
    #[serde(default)]
    returns_due_days: String,
}

pub(super) async fn due_days(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<DueDaysForm>,
) -> Page {
    let saved = match DueDays::parse(&f.returns_due_days).for_field("returns_due_days") {
        Ok(days) => state.app.set_returns_due_days(&ctx.principal, days).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(see_other("/returns/tracker")),
        Err(AppError::Invalid(errors)) => {
            tracker_view(&state, &ctx, &TrackerQuery::default(), &errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}
