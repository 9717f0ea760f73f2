//! The provider's returns overview: every service, each recent quarter, its due date, what
//! came and whether it is overdue, with a link to act (issue 10, journey 4).

use super::*;

/// How many ended quarters the overview shows.
const QUARTERS: usize = 4;

pub(super) async fn provider_overview(state: &AppState, ctx: &Ctx) -> Page {
    let quarters = state.app.provider_returns(&ctx.principal, QUARTERS).await?;
    let today = state.app.today();
    let missing: usize = quarters
        .iter()
        // Overdue as the tags below say it: not sent by the due date, or sent back and not
        // sent again by the date given.
        .map(|(_, lines)| {
            lines
                .iter()
                .filter(|l| l.missing(today) || l.resubmission_overdue(today))
                .count()
        })
        .sum();
    let day = |d: chrono::NaiveDate| d.format("%-d %B %Y").to_string();
    let body = html! {
        h1 class="govuk-heading-l" { "Your returns" }
        p class="govuk-body" { "Each service sends a performance return for every quarter, by the due date shown. Open a service's returns to send one by web form or workbook." }
        @if missing > 0 {
            div class="govuk-inset-text" data-testid="overdue-count" {
                (missing) @if missing == 1 { " return is overdue." } @else { " returns are overdue." }
            }
        }
        @for (q, lines) in &quarters {
            h2 class="govuk-heading-m" { "Quarter " (q.label()) " (" (q.months_label()) ")" }
            @if lines.is_empty() {
                p class="govuk-body" { "You have no services that send returns." }
            } @else {
                (crate::layout::scrolling_table(&format!("Returns for quarter {}", q.label()), html! {
                table class="govuk-table" data-testid={ "quarter-" (q.label()) } {
                    thead class="govuk-table__head" { tr class="govuk-table__row" {
                        th class="govuk-table__header" scope="col" { "Service" }
                        th class="govuk-table__header" scope="col" { "Due" }
                        th class="govuk-table__header" scope="col" { "Status" }
                        th class="govuk-table__header" scope="col" { span class="govuk-visually-hidden" { "Action" } }
                    } }
                    tbody class="govuk-table__body" {
                        @for l in lines {
                            tr class="govuk-table__row" {
                                td class="govuk-table__cell" { (l.service.name) }
                                td class="govuk-table__cell hearth-nowrap" {
                                    @if let Some(d) = l.resubmit_by.filter(|_| matches!(l.status.as_deref(), Some(INCOMPLETE | EXPLANATION_REQUESTED))) {
                                        "Send again by " (day(d))
                                    } @else {
                                        (day(l.due)) @if l.extended { br; span class="govuk-hint" { "Extended" } }
                                    }
                                }
                                td class="govuk-table__cell" {
                                    @if l.missing(today) { strong class="govuk-tag govuk-tag--red" { "Overdue" } }
                                    @else if l.resubmission_overdue(today) { (status_tag(l.status.as_deref().unwrap_or_default())) " " strong class="govuk-tag govuk-tag--red" { "Overdue" } }
                                    @else if let Some(s) = &l.status { (status_tag(s)) @if l.late() { " " strong class="govuk-tag govuk-tag--orange" { "Late" } } }
                                    @else { strong class="govuk-tag govuk-tag--grey" { "Not yet due" } }
                                }
                                td class="govuk-table__cell" {
                                    a class="govuk-link" href={ "/services/" (l.service.id) "/returns" } {
                                        @if l.status.is_none() { "Send return" } @else { "View" }
                                        span class="govuk-visually-hidden" { " for " (l.service.name) ", " (q.label()) }
                                    }
                                    @if l.status.is_none() {
                                        br;
                                        a class="govuk-link" href={ "/services/" (l.service.id) "/returns/extension?quarter=" (crate::session::url_encode(&q.label())) } {
                                            "Ask for more time"
                                            span class="govuk-visually-hidden" { " for " (l.service.name) ", " (q.label()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }}))
            }
        }
    };
    Ok(render(Some(ctx), "Your returns", body))
}
