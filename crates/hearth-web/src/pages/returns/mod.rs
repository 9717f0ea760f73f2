//! Quarterly performance returns: the provider's web form and the officers' checking (C4).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use hearth_app::returns::{
    status_label, ReturnForm, ReturnView, ACCEPTED, EXPLANATION_REQUESTED, FIELDS, INCOMPLETE,
    RECEIVED,
};
use hearth_app::{AppError, FieldErrors, ForField, Permission, Principal};
use hearth_domain::performance::{parse_return_quarter, AnalysisGrouping, DueDays, Quarter};
use hearth_domain::workflow::returns::Decision;
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::{Page, WebError};
use crate::layout::{self, button, csrf, error_summary, render, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

mod analysis;
mod local;
mod provider;
mod tracker;
mod triggers;

use analysis::*;
use local::*;
use tracker::*;
use triggers::*;

pub fn register(t: &mut RouteTable) {
    t.get(
        "/services/{id}/returns",
        Access::Signed(Permission::SignedIn),
        get(service_returns),
    );
    t.get(
        "/services/{id}/returns/new",
        Access::Signed(Permission::ProviderPortal),
        get(new_return),
    );
    t.post(
        "/services/{id}/returns/new",
        Access::Signed(Permission::ProviderPortal),
        post(submit_return),
    );
    t.get(
        "/services/{id}/returns/paper",
        Access::Signed(Permission::BackOfficeWrite),
        get(new_paper_return),
    );
    t.post(
        "/services/{id}/returns/paper",
        Access::Signed(Permission::BackOfficeWrite),
        post(submit_paper_return),
    );
    t.get(
        "/services/{id}/returns/extension",
        Access::Signed(Permission::ProviderPortal),
        get(new_extension_request),
    );
    t.post(
        "/services/{id}/returns/extension",
        Access::Signed(Permission::ProviderPortal),
        post(submit_extension_request),
    );
    t.get(
        "/services/{id}/returns/workbook",
        Access::Signed(Permission::SignedIn),
        get(workbook),
    );
    t.post(
        "/services/{id}/returns/upload",
        Access::Signed(Permission::ProviderPortal),
        post(upload),
    );
    t.post(
        "/services/{id}/returns/version",
        Access::Signed(Permission::BackOfficeWrite),
        post(issue_version),
    );
    t.get(
        "/services/{id}/analysis",
        Access::Signed(Permission::SignedIn),
        get(service_analysis),
    );
    t.get(
        "/returns/analysis",
        Access::Signed(Permission::BackOfficeRead),
        get(analysis),
    );
    t.get(
        "/returns/analysis.csv",
        Access::Signed(Permission::BackOfficeRead),
        get(analysis_csv),
    );
    t.get(
        "/returns/analysis.xlsx",
        Access::Signed(Permission::BackOfficeRead),
        get(analysis_xlsx),
    );
    // Staff see the returns to check; a provider its own returns, quarter by quarter.
    t.get("/returns", Access::Signed(Permission::SignedIn), get(queue));
    t.get(
        "/returns/tracker",
        Access::Signed(Permission::BackOfficeRead),
        get(tracker),
    );
    t.get(
        "/returns/tracker.csv",
        Access::Signed(Permission::BackOfficeRead),
        get(tracker_csv),
    );
    t.get(
        "/returns/tracker.pdf",
        Access::Signed(Permission::BackOfficeRead),
        get(tracker_pdf),
    );
    t.post(
        "/returns/due-days",
        Access::Signed(Permission::Administer),
        post(due_days),
    );
    t.post(
        "/returns/extensions",
        Access::Signed(Permission::BackOfficeWrite),
        post(extension),
    );
    t.get(
        "/returns/triggers",
        Access::Signed(Permission::BackOfficeRead),
        get(triggers),
    );
    t.post(
        "/returns/triggers",
        Access::Signed(Permission::BackOfficeWrite),
        post(set_trigger),
    );
    t.post(
        "/returns/local-indicators",
        Access::Signed(Permission::BackOfficeWrite),
        post(define_local),
    );
    t.get(
        "/returns/{id}",
        Access::Signed(Permission::SignedIn),
        get(view_return),
    );
    t.post(
        "/returns/{id}/explain",
        Access::Signed(Permission::ProviderPortal),
        post(explain),
    );
    t.post(
        "/returns/{id}/check",
        Access::Signed(Permission::BackOfficeWrite),
        post(check),
    );
}

fn invalid(mut r: Response) -> Response {
    *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    r
}

fn status_tag(s: &str) -> Markup {
    let class = match s {
        ACCEPTED => "govuk-tag govuk-tag--green",
        INCOMPLETE | EXPLANATION_REQUESTED => "govuk-tag govuk-tag--red",
        RECEIVED => "govuk-tag",
        _ => "govuk-tag govuk-tag--yellow",
    };
    html! { strong class=(class) { (status_label(s)) } }
}

async fn service_returns(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    returns_page(&state, &ctx, id, &FieldErrors::new()).await
}

async fn returns_page(state: &AppState, ctx: &Ctx, id: i64, errors: &FieldErrors) -> Page {
    let ctx = ctx.clone();
    let service = state.app.service(&ctx.principal, id).await?;
    let quarters = state
        .app
        .service_return_quarters(&ctx.principal, id)
        .await?;
    let provider = matches!(ctx.principal, Principal::Provider { .. });
    let today = state.app.today();
    let due_days = state.app.returns_due_days(service.authority_id).await?;
    let mut due = Vec::new();
    for (q, _) in &quarters {
        let extended = state.app.extension(id, *q).await?;
        due.push((
            extended.unwrap_or(q.end() + chrono::Duration::days(due_days)),
            extended.is_some(),
        ));
    }
    let year = hearth_domain::FinancialYear::for_date(today);
    let versions = state.app.workbook_versions(id, year).await?;
    let quarter_options: Vec<(String, String)> = quarters
        .iter()
        .map(|(q, _)| (q.label(), format!("{} ({})", q.label(), q.months_label())))
        .collect();
    let body = html! {
        (layout::back_link(&format!("/services/{id}")))
        (error_summary(errors))
        span class="govuk-caption-l" { (service.name) }
        h1 class="govuk-heading-l" { "Performance returns" }
        p class="govuk-body" { a class="govuk-link" href={ "/services/" (id) "/analysis" } { "Indicators over the last twelve months" } }
        p class="govuk-body" {
            a class="govuk-link" href={ "/services/" (id) "/returns/workbook?year=" (year.start_year) } { "Download the " (year.label()) " workbook" }
            " · "
            a class="govuk-link" href={ "/services/" (id) "/returns/workbook?year=" (year.previous().start_year) } { (year.previous().label()) " workbook" }
        }
        @if !versions.is_empty() {
            div class="govuk-inset-text" data-testid="versions" {
                @for v in &versions {
                    p class="govuk-body" { "Version " (v.version) " applies from " (year.label()) " Q" (v.from_quarter) ": " (v.reason) " (issued " (layout::date(&v.issued_on)) ")." }
                }
                p class="govuk-body" { "Use the latest version: an older one is refused for the quarters a newer one covers." }
            }
        }
        @if ctx.principal.has(Permission::BackOfficeWrite) {
            details class="govuk-details" {
                summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "Issue a new workbook version (the contract details changed)" } }
                div class="govuk-details__text" {
                    form method="post" action={ "/services/" (id) "/returns/version" } novalidate {
                        (csrf(&ctx.csrf))
                        input type="hidden" name="year" value=(year.start_year);
                        (layout::select("from_quarter", "Applies from quarter", &[("1".into(), "Q1".into()), ("2".into(), "Q2".into()), ("3".into(), "Q3".into()), ("4".into(), "Q4".into())], "", errors, true))
                        (layout::textarea("reason", "What changed on the contract sheet", "", errors, true))
                        (button("Issue new version"))
                    }
                }
            }
        }
        @if provider {
            details class="govuk-details" open[!errors.is_empty()] {
                summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "Upload a completed workbook" } }
                div class="govuk-details__text" {
                    form method="post" action={ "/services/" (id) "/returns/upload" } enctype="multipart/form-data" novalidate {
                        (csrf(&ctx.csrf))
                        (layout::select("quarter", "Quarter", &quarter_options, "", errors, true))
                        @let file_error = errors.get("file");
                        div class={ "govuk-form-group" @if file_error.is_some() { " govuk-form-group--error" } } {
                            label class="govuk-label" for="file" { "Workbook (.xlsx, up to 2 MB)" }
                            @if let Some(e) = file_error { p id="file-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                            input class={ "govuk-file-upload" @if file_error.is_some() { " govuk-file-upload--error" } } id="file" name="file" type="file" accept=".xlsx"
                                aria-describedby=[file_error.map(|_| "file-error")];
                        }
                        (layout::checkbox("ignore", "Ignore missing data and inconsistencies where possible", false, Some("Missing figures count as 0. Say why in the comment.")))
                        (layout::textarea("comment", "Comment", "", errors, false))
                        (button("Upload return"))
                    }
                }
            }
        }
        p class="govuk-body" { "One return a quarter (April to June is quarter 1). Figures below their trigger are marked and need an explanation before the return can be accepted." }
        (crate::layout::scrolling_table("Returns", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Quarter" } th class="govuk-table__header" { "Due" } th class="govuk-table__header" { "Return" } th class="govuk-table__header" { span class="govuk-visually-hidden" { "Action" } }
            } }
            tbody class="govuk-table__body" {
                @for ((q, r), (due_on, extended)) in quarters.iter().zip(&due) {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (q.label()) br; span class="govuk-hint" { (q.months_label()) } }
                        @let resend = r.as_ref().filter(|r| r.status == INCOMPLETE || r.status == EXPLANATION_REQUESTED).and_then(|r| r.resubmit_by.as_deref()).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                        td class="govuk-table__cell hearth-nowrap" {
                            @if let Some(d) = resend {
                                "Send again by " (d.format("%-d %B %Y"))
                                @if today > d { br; strong class="govuk-tag govuk-tag--red" data-testid="resend-overdue" { "Overdue" } }
                            } @else {
                                (due_on.format("%-d %B %Y")) @if *extended { br; span class="govuk-hint" { "Extended" } }
                            }
                        }
                        td class="govuk-table__cell" {
                            @match r {
                                Some(r) => { (status_tag(&r.status)) " " a class="govuk-link" href={ "/returns/" (r.id) } { "View" } }
                                None if today > *due_on => strong class="govuk-tag govuk-tag--red" data-testid="overdue" { "Overdue" },
                                None => strong class="govuk-tag govuk-tag--grey" { "Not received" },
                            }
                        }
                        td class="govuk-table__cell" {
                            @if provider {
                                @let label = match r.as_ref().map(|r| r.status.as_str()) {
                                    None => Some("Submit return"),
                                    Some(INCOMPLETE) | Some(EXPLANATION_REQUESTED) => Some("Submit a corrected return"),
                                    Some(ACCEPTED) => Some("Submit a replacement"),
                                    _ => None,
                                };
                                @if let Some(l) = label {
                                    a class="govuk-link" href={ "/services/" (id) "/returns/new?quarter=" (crate::session::url_encode(&q.label())) } { (l) }
                                }
                                @if r.is_none() {
                                    br;
                                    a class="govuk-link" href={ "/services/" (id) "/returns/extension?quarter=" (crate::session::url_encode(&q.label())) } { "Ask for more time" span class="govuk-visually-hidden" { " for " (q.label()) } }
                                }
                            } @else if ctx.principal.has(Permission::BackOfficeWrite) && r.as_ref().is_none_or(|r| r.status == INCOMPLETE || r.status == EXPLANATION_REQUESTED) {
                                a class="govuk-link" href={ "/services/" (id) "/returns/paper?quarter=" (crate::session::url_encode(&q.label())) } { "Key in a paper return" span class="govuk-visually-hidden" { " for " (q.label()) } }
                            }
                        }
                    }
                }
            }
        } }))
    };
    let r = render(Some(&ctx), "Performance returns", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

#[derive(Deserialize, Default)]
struct YearQuery {
    #[serde(default)]
    year: Option<i32>,
}

async fn workbook(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> Page {
    let year = q
        .year
        .map(hearth_domain::FinancialYear::new)
        .unwrap_or_else(|| hearth_domain::FinancialYear::for_date(state.app.today()));
    let (name, bytes) = state.app.return_workbook(&ctx.principal, id, year).await?;
    Ok(layout::download(XLSX, &name, bytes))
}

use crate::layout::XLSX;

async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mut mp: axum::extract::Multipart,
) -> Page {
    let (mut quarter, mut comment, mut ignore, mut file) =
        (String::new(), String::new(), false, Vec::new());
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(b) => match name.as_str() {
                        "quarter" => quarter = String::from_utf8_lossy(&b).to_string(),
                        "comment" => comment = String::from_utf8_lossy(&b).to_string(),
                        "ignore" => ignore = true,
                        "file" => file = b.to_vec(),
                        _ => {}
                    },
                    Err(_) => {
                        return returns_page(
                            &state,
                            &ctx,
                            id,
                            &error_of("file", "The file could not be read: it may be too large"),
                        )
                        .await
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                return returns_page(
                    &state,
                    &ctx,
                    id,
                    &error_of("file", "The upload could not be read"),
                )
                .await
            }
        }
    }
    if file.is_empty() {
        return returns_page(
            &state,
            &ctx,
            id,
            &error_of("file", "Select the completed workbook"),
        )
        .await;
    }
    let sent = match parse_return_quarter(&quarter).for_field("quarter") {
        Ok(q) => {
            state
                .app
                .submit_return_workbook(&ctx.principal, id, q, &file, ignore, &comment)
                .await
        }
        Err(e) => Err(e),
    };
    match sent {
        Ok(r) => Ok(see_other(&format!("/returns/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => returns_page(&state, &ctx, id, &errors).await,
        Err(e) => Err(e.into()),
    }
}

fn error_of(field: &str, message: &str) -> FieldErrors {
    let mut e = FieldErrors::new();
    e.add(field, message);
    e
}

#[derive(Deserialize, Default)]
struct QuarterQuery {
    #[serde(default)]
    quarter: Option<String>,
}

async fn form_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    f: &ReturnForm,
    errors: &FieldErrors,
) -> Page {
    // Staff reach the form only to key in a paper return.
    let paper = ctx.principal.is_staff();
    let service = state.app.service(&ctx.principal, id).await?;
    let value = |k: &str| -> String {
        serde_json::to_value(f)
            .ok()
            .and_then(|v| v.get(k).and_then(|x| x.as_str().map(String::from)))
            .unwrap_or_default()
    };
    let st = hearth_domain::ServiceType::parse(&service.service_type).ok();
    let locals: Vec<(String, String)> = state
        .app
        .local_indicators(service.authority_id)
        .await?
        .into_iter()
        .filter(|li| st.is_some_and(|t| li.applies_to(t)))
        .map(|li| (format!("local_{}", li.code), li.name))
        .collect();
    let body = html! {
        (layout::back_link(&format!("/services/{id}/returns")))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            span class="govuk-caption-l" { (service.name) }
            h1 class="govuk-heading-l" { @if paper { "Key in a paper return" } @else { "Quarterly return" } }
            @if paper {
                p class="govuk-body" { "Type the figures from the return the provider sent on paper or by e-mail. It is checked like any return and shows as received from you, from paper." }
            }
            p class="govuk-body" { "Enter whole numbers; 0 where there is nothing to count. Contracted units: " (service.contracted_units) "." }
            form method="post" action={ "/services/" (id) @if paper { "/returns/paper" } @else { "/returns/new" } } novalidate {
                (csrf(&ctx.csrf))
                (layout::input("quarter", "Quarter", &f.quarter, errors, Opt { required: true, width: Some("10"), hint: Some("For example 2026/27 Q2"), ..Default::default() }))
                @for (k, label) in FIELDS {
                    (layout::input(k, label, &value(k), errors, Opt { required: true, width: Some("5"), ..Default::default() }))
                }
                @if !locals.is_empty() {
                    h2 class="govuk-heading-m" { "Local indicators" }
                    @for (k, label) in &locals {
                        (layout::input(k, label, &value(k), errors, Opt { required: true, width: Some("5"), ..Default::default() }))
                    }
                }
                (layout::textarea("explanation", "Explanation of any figure below its trigger", &f.explanation, errors, false))
                (layout::textarea("comment", "Comment", &f.comment, errors, false))
                (button(if paper { "Save paper return" } else { "Send return" }))
            }
        } }
    };
    let r = render(
        Some(ctx),
        if paper {
            "Key in a paper return"
        } else {
            "Quarterly return"
        },
        body,
    );
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

async fn new_return(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<QuarterQuery>,
) -> Page {
    let f = ReturnForm {
        quarter: q.quarter.unwrap_or_default(),
        ..Default::default()
    };
    form_view(&state, &ctx, id, &f, &FieldErrors::new()).await
}

async fn submit_return(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ReturnForm>,
) -> Page {
    match state.app.submit_return(&ctx.principal, id, &f).await {
        Ok(r) => Ok(see_other(&format!("/returns/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => form_view(&state, &ctx, id, &f, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn new_paper_return(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<QuarterQuery>,
) -> Page {
    new_return(State(state), ctx, Path(id), Query(q)).await
}

async fn submit_paper_return(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ReturnForm>,
) -> Page {
    match state.app.key_paper_return(&ctx.principal, id, &f).await {
        Ok(r) => Ok(see_other(&format!("/returns/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => form_view(&state, &ctx, id, &f, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn new_extension_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<QuarterQuery>,
) -> Page {
    let ask = hearth_app::returns::ExtensionAsk {
        quarter: q.quarter.unwrap_or_default(),
        ..Default::default()
    };
    extension_form(&state, &ctx, id, &ask, &FieldErrors::new()).await
}

async fn submit_extension_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(ask): Form<hearth_app::returns::ExtensionAsk>,
) -> Page {
    match state
        .app
        .request_return_extension(&ctx.principal, id, &ask)
        .await
    {
        Ok(r) => Ok(see_other(&format!("/requests/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => extension_form(&state, &ctx, id, &ask, &errors).await,
        Err(e) => Err(e.into()),
    }
}

/// The provider's request for more time for a return: the quarter, the new date and why.
async fn extension_form(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    ask: &hearth_app::returns::ExtensionAsk,
    errors: &FieldErrors,
) -> Page {
    let service = state.app.service(&ctx.principal, id).await?;
    let quarters = state
        .app
        .service_return_quarters(&ctx.principal, id)
        .await?;
    let today = state.app.today();
    // Quarters with nothing sent yet: the one under way and those that have ended.
    let mut options: Vec<(String, String)> = Vec::new();
    let current = hearth_domain::performance::Quarter::for_date(today);
    for q in std::iter::once(current).chain(
        quarters
            .iter()
            .filter(|(_, r)| r.is_none())
            .map(|(q, _)| *q),
    ) {
        let due = state.app.return_due(&service, q).await?;
        options.push((
            q.label(),
            format!("{} (due {})", q.label(), due.format("%-d %B %Y")),
        ));
    }
    let body = html! {
        (layout::back_link(&format!("/services/{id}/returns")))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            span class="govuk-caption-l" { (service.name) }
            h1 class="govuk-heading-l" { "Ask for more time for a return" }
            p class="govuk-body" { "The commissioning team decides. Until they agree, the return is due on its usual date." }
            form method="post" action={ "/services/" (id) "/returns/extension" } novalidate {
                (csrf(&ctx.csrf))
                (layout::select("quarter", "Which return", &options, &ask.quarter, errors, true))
                (layout::date_input("until", "New due date", &ask.until, errors, true, Some(&format!("No more than {} days after the return is due.", hearth_app::returns::MAX_EXTENSION_DAYS))))
                (layout::textarea("reason", "Why the return needs more time", &ask.reason, errors, true))
                (button("Send request"))
            }
        } }
    };
    let r = render(Some(ctx), "Ask for more time for a return", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

async fn queue(State(state): State<AppState>, ctx: Ctx) -> Page {
    if !ctx.principal.is_staff() {
        return provider::provider_overview(&state, &ctx).await;
    }
    let list = state.app.returns_to_check(&ctx.principal).await?;
    let today = state.app.today();
    let body = html! {
        h1 class="govuk-heading-l" { "Returns to check" }
        p class="govuk-body" {
            a class="govuk-link" href="/returns/tracker" { "Returns tracker: received, late and missing by quarter" }
            " · " a class="govuk-link" href="/returns/triggers" { "Triggers" }
            " · " a class="govuk-link" href="/returns/analysis" { "Analysis" }
        }
        p class="govuk-body" { "Each return is checked within two weeks of receipt." }
        @if list.is_empty() { p class="govuk-body" { "There are no returns waiting." } }
        (crate::layout::scrolling_table("Returns to check", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Received" } th class="govuk-table__header" { "Check by" } th class="govuk-table__header" { "Service and quarter" }
                th class="govuk-table__header" { "Status" } th class="govuk-table__header" { "Below trigger" }
            } }
            tbody class="govuk-table__body" {
                @for v in &list {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell hearth-nowrap" { (layout::when(v.ret.submitted_at)) }
                        td class="govuk-table__cell hearth-nowrap" {
                            (layout::date(&v.ret.check_due))
                            @if hearth_domain::dates::overdue(&v.ret.check_due, today) { " " strong class="govuk-tag govuk-tag--red" { "Overdue" } }
                        }
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/returns/" (v.ret.id) } { (v.service_name) ", " (v.quarter.label()) } }
                        td class="govuk-table__cell" { (status_tag(&v.ret.status)) }
                        td class="govuk-table__cell" { @if v.breaches() > 0 { strong class="govuk-tag govuk-tag--red" { (v.breaches()) " below trigger" } } @else { "None" } }
                    }
                }
            }
        } }))
    };
    Ok(render(Some(&ctx), "Returns to check", body))
}

fn figures_table(v: &ReturnView) -> Markup {
    html! {
        (crate::layout::scrolling_table("Indicators", html! { table class="govuk-table" data-testid="indicators" {
            caption class="govuk-table__caption govuk-table__caption--m" { "Indicators" }
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Indicator" } th class="govuk-table__header" { "Figure" } th class="govuk-table__header" { "Trigger" }
            } }
            tbody class="govuk-table__body" {
                @for f in &v.indicators {
                    tr class="govuk-table__row" {
                        th scope="row" class="govuk-table__header" { (f.label) }
                        td class="govuk-table__cell" {
                            @if let Some(t) = &f.breach {
                                span class="hearth-breach" { (f.text()) } " " strong class="govuk-tag govuk-tag--red" data-testid="breach" { (t.breach_text()) }
                            } @else { (f.text()) }
                        }
                        td class="govuk-table__cell" { @if let Some(t) = &f.trigger { (t.requirement_text()) } @else { "No trigger" } }
                    }
                }
            }
        } }))
        (crate::layout::scrolling_table("Figures entered", html! { table class="govuk-table" {
            caption class="govuk-table__caption" { "Figures entered" }
            tbody class="govuk-table__body" {
                @let values = serde_json::to_value(ReturnForm::of(&v.figures)).unwrap_or_default();
                @for (k, label) in FIELDS {
                    tr class="govuk-table__row" {
                        th scope="row" class="govuk-table__header" { (label) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (values.get(*k).and_then(|x| x.as_str()).unwrap_or("")) }
                    }
                }
            }
        } }))
    }
}

#[derive(Deserialize, Default)]
struct SentFlag {
    sent: Option<String>,
}

async fn return_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: &FieldErrors,
    notice: Option<Markup>,
) -> Page {
    let v = state.app.return_view(&ctx.principal, id).await?;
    let service = state.app.return_service(&ctx.principal, id).await.ok();
    let provider = matches!(ctx.principal, Principal::Provider { .. });
    let can_check = ctx.principal.has(Permission::BackOfficeWrite)
        && ["received", "explained", "escalated"].contains(&v.ret.status.as_str());
    let can_explain =
        provider && [RECEIVED, EXPLANATION_REQUESTED].contains(&v.ret.status.as_str());
    let decisions: Vec<(&str, &str, Option<&str>)> = Decision::ALL
        .iter()
        .map(|d| (d.as_str(), d.label(), None))
        .collect();
    let body = html! {
        @if let Some(n) = notice { (n) }
        (error_summary(errors))
        span class="govuk-caption-l" { @if let Some(s) = &service { a class="govuk-link" href={ "/services/" (s.id) "/returns" } { (s.name) } } }
        h1 class="govuk-heading-l" { "Return for " (v.quarter.label()) }
        (layout::summary_list(&[
            ("Status", status_tag(&v.ret.status)),
            ("Send again by", html! { @if v.ret.status == INCOMPLETE || v.ret.status == EXPLANATION_REQUESTED { @if let Some(d) = &v.ret.resubmit_by { (layout::date(d)) } } }),
            ("Received", html! { (layout::when(v.ret.submitted_at)) " from " (v.ret.submitted_by_name) " (" (v.ret.source) ")" }),
            ("Check by", html! { (layout::date(&v.ret.check_due)) }),
            ("Checked", html! { @if let Some(t) = v.ret.checked_at { (layout::when(t)) " by " (v.ret.checked_by_name.clone().unwrap_or_default()) } }),
            ("Remarks", html! { (v.ret.check_remarks) }),
            ("Explanation", html! { (v.ret.explanation) }),
            ("Comment", html! { (v.ret.comment) }),
            ("Replaces an accepted return", html! { @if v.ret.replaces_id.is_some() { "Yes" } @else { "No" } }),
        ]))
        @if i64::from(v.figures.service_users_supported) != v.held_service_users {
            div class="govuk-warning-text" data-testid="held-difference" {
                span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                strong class="govuk-warning-text__text" {
                    span class="govuk-visually-hidden" { "Warning" }
                    "Service users supported differ from the authority's records: value in the return " (v.figures.service_users_supported)
                    ", value held " (v.held_service_users) " (client schedules active in the quarter)."
                }
            }
        }
        (figures_table(&v))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            @if can_explain {
                h2 class="govuk-heading-m" { "Explain the figures" }
                form method="post" action={ "/returns/" (id) "/explain" } novalidate {
                    (csrf(&ctx.csrf))
                    (layout::textarea("explanation", "Why are figures below their triggers, and what are you doing about it?", &v.ret.explanation, errors, true))
                    (button("Send explanation"))
                }
            }
            @if can_check {
                h2 class="govuk-heading-m" { "Check" }
                form method="post" action={ "/returns/" (id) "/check" } novalidate {
                    (csrf(&ctx.csrf))
                    (layout::radios("decision", "Decision", &decisions, "", errors))
                    (layout::textarea("remarks", "Remarks for the provider", "", errors, false))
                    @if v.ret.replaces_id.is_some() {
                        div class="govuk-form-group" {
                            div class="govuk-checkboxes govuk-checkboxes--small" { div class="govuk-checkboxes__item" {
                                input class="govuk-checkboxes__input" id="confirm_replacement" name="confirm_replacement" type="checkbox" value="yes";
                                label class="govuk-label govuk-checkboxes__label" for="confirm_replacement" { "Replace the return already accepted for this quarter" }
                            } }
                        }
                    }
                    (button("Record decision"))
                }
            }
        } }
    };
    let r = render(
        Some(ctx),
        &format!("Return for {}", v.quarter.label()),
        body,
    );
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

async fn view_return(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<SentFlag>,
) -> Page {
    let notice = q.sent.map(|_| {
        layout::banner(
            "Return sent",
            html! { p class="govuk-body" { "The commissioning team checks it within two weeks." } },
        )
    });
    return_view(&state, &ctx, id, &FieldErrors::new(), notice).await
}

#[derive(Deserialize, Default)]
struct ExplainForm {
    #[serde(default)]
    explanation: String,
}

async fn explain(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ExplainForm>,
) -> Page {
    match state
        .app
        .explain_return(&ctx.principal, id, &f.explanation)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/returns/{id}"))),
        Err(AppError::Invalid(errors)) => return_view(&state, &ctx, id, &errors, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct CheckForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    remarks: String,
    #[serde(default)]
    confirm_replacement: Option<String>,
}

async fn check(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CheckForm>,
) -> Page {
    let checked = match Decision::parse(&f.decision).for_field("decision") {
        Ok(decision) => {
            state
                .app
                .check_return(
                    &ctx.principal,
                    id,
                    decision,
                    &f.remarks,
                    f.confirm_replacement.is_some(),
                )
                .await
        }
        Err(e) => Err(e),
    };
    match checked {
        Ok(_) => Ok(see_other(&format!("/returns/{id}"))),
        Err(AppError::Invalid(errors)) => return_view(&state, &ctx, id, &errors, None).await,
        Err(e) => Err(e.into()),
    }
}
