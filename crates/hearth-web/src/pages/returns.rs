//! Quarterly performance returns: the provider's web form and the officers' checking (C4).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use hearth_app::returns::{
    status_label, ReturnForm, ReturnView, ACCEPTED, EXPLANATION_REQUESTED, FIELDS, INCOMPLETE,
    RECEIVED,
};
use hearth_app::{AppError, FieldErrors, Permission, Principal};
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::{Page, WebError};
use crate::layout::{self, button, csrf, error_summary, render, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

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
    t.get(
        "/returns",
        Access::Signed(Permission::BackOfficeRead),
        get(queue),
    );
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
        RECEIVED => "govuk-tag govuk-tag--blue",
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
    let year = hearth_domain::FinancialYear::for_date(state.app.today());
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
                        div class={ "govuk-form-group" @if errors.get("file").is_some() { " govuk-form-group--error" } } {
                            label class="govuk-label" for="file" { "Workbook (.xlsx, up to 2 MB)" }
                            @if let Some(e) = errors.get("file") { p id="file-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                            input class="govuk-file-upload" id="file" name="file" type="file" accept=".xlsx";
                        }
                        (layout::checkbox("ignore", "Ignore missing data and inconsistencies where possible", false, Some("Missing figures count as 0. Say why in the comment.")))
                        (layout::textarea("comment", "Comment", "", errors, false))
                        (button("Upload return"))
                    }
                }
            }
        }
        p class="govuk-body" { "One return a quarter (April to June is quarter 1). Figures below their trigger are marked and need an explanation before the return can be accepted." }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Quarter" } th class="govuk-table__header" { "Return" } th class="govuk-table__header" { "" }
            } }
            tbody class="govuk-table__body" {
                @for (q, r) in &quarters {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (q.label()) br; span class="govuk-hint" { (q.months_label()) } }
                        td class="govuk-table__cell" {
                            @match r {
                                Some(r) => { (status_tag(&r.status)) " " a class="govuk-link" href={ "/returns/" (r.id) } { "View" } }
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
                            }
                        }
                    }
                }
            }
        }
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

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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
    match state
        .app
        .submit_return_workbook(&ctx.principal, id, &quarter, &file, ignore, &comment)
        .await
    {
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
            h1 class="govuk-heading-l" { "Quarterly return" }
            p class="govuk-body" { "Enter whole numbers; 0 where there is nothing to count. Contracted units: " (service.contracted_units) "." }
            form method="post" action={ "/services/" (id) "/returns/new" } novalidate {
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
                (button("Send return"))
            }
        } }
    };
    let r = render(Some(ctx), "Quarterly return", body);
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

async fn queue(State(state): State<AppState>, ctx: Ctx) -> Page {
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
        table class="govuk-table" {
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
        }
    };
    Ok(render(Some(&ctx), "Returns to check", body))
}

fn figures_table(v: &ReturnView) -> Markup {
    html! {
        table class="govuk-table" data-testid="indicators" {
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
                        td class="govuk-table__cell" { @if let Some(t) = &f.breach { (t.breach_text()) } }
                    }
                }
            }
        }
        table class="govuk-table" {
            caption class="govuk-table__caption govuk-table__caption--s" { "Figures entered" }
            tbody class="govuk-table__body" {
                @let values = serde_json::to_value(ReturnForm::of(&v.figures)).unwrap_or_default();
                @for (k, label) in FIELDS {
                    tr class="govuk-table__row" {
                        th scope="row" class="govuk-table__header" { (label) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (values.get(*k).and_then(|x| x.as_str()).unwrap_or("")) }
                    }
                }
            }
        }
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
    let decisions: Vec<(String, String)> = vec![
        ("accept".into(), "Accept".into()),
        ("incomplete".into(), "Return as incomplete".into()),
        ("explain".into(), "Ask for an explanation".into()),
        (
            "escalate".into(),
            "Escalate the explanation to the contracts manager".into(),
        ),
        ("action".into(), "Set an action for the provider".into()),
    ];
    let body = html! {
        @if let Some(n) = notice { (n) }
        (error_summary(errors))
        span class="govuk-caption-l" { @if let Some(s) = &service { a class="govuk-link" href={ "/services/" (s.id) "/returns" } { (s.name) } } }
        h1 class="govuk-heading-l" { "Return for " (v.quarter.label()) }
        (layout::summary_list(&[
            ("Status", status_tag(&v.ret.status)),
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
                    (layout::select("decision", "Decision", &decisions, "", errors, true))
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
    match state
        .app
        .check_return(
            &ctx.principal,
            id,
            &f.decision,
            &f.remarks,
            f.confirm_replacement.is_some(),
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/returns/{id}"))),
        Err(AppError::Invalid(errors)) => return_view(&state, &ctx, id, &errors, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct TrackerQuery {
    #[serde(default)]
    quarter: Option<String>,
}

fn tracker_quarter(state: &AppState, q: &TrackerQuery) -> hearth_domain::performance::Quarter {
    q.quarter
        .as_deref()
        .and_then(|s| hearth_domain::performance::Quarter::parse(s).ok())
        .unwrap_or_else(|| {
            hearth_domain::performance::Quarter::for_date(state.app.today()).previous()
        })
}

async fn tracker(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TrackerQuery>) -> Page {
    tracker_view(&state, &ctx, &q, &FieldErrors::new()).await
}

async fn tracker_view(state: &AppState, ctx: &Ctx, q: &TrackerQuery, errors: &FieldErrors) -> Page {
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
    let body = html! {
        h1 class="govuk-heading-l" { "Returns tracker" }
        form method="get" action="/returns/tracker" {
            (layout::input("quarter", "Quarter", &quarter.label(), &FieldErrors::new(), Opt { width: Some("10"), required: true, hint: Some("For example 2026/27 Q2"), ..Default::default() }))
            button type="submit" class="govuk-button govuk-button--secondary" { "Show" }
        }
        p class="govuk-body" data-testid="tracker-summary" {
            (quarter.label()) ": due " (layout::date(&(quarter.end() + chrono::Duration::days(due_days)).to_string())) " (later where extended). "
            (received) " received, " (late) " late, " (missing) " missing, of " (lines.len()) " services."
        }
        p class="govuk-body" {
            "Report for the board: " a class="govuk-link" href={ "/returns/tracker.pdf?quarter=" (qs) } { "PDF" } " · " a class="govuk-link" href={ "/returns/tracker.csv?quarter=" (qs) } { "CSV" }
        }
        table class="govuk-table" {
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
                                        label class="govuk-visually-hidden" for={ "until-" (l.service.id) } { "Extend to" }
                                        input class="govuk-input govuk-input--width-10" id={ "until-" (l.service.id) } name="until" type="text" placeholder="DD/MM/YYYY";
                                        " "
                                        button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" { "Extend" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if ctx.principal.has(Permission::Administer) {
            form method="post" action="/returns/due-days" novalidate {
                (csrf(&ctx.csrf))
                (error_summary(errors))
                (layout::input("returns_due_days", "Returns are due this many days after the quarter ends", &due_days.to_string(), errors, Opt { width: Some("3"), required: true, ..Default::default() }))
                button type="submit" class="govuk-button govuk-button--secondary" { "Save" }
            }
        }
    };
    let r = render(Some(ctx), "Returns tracker", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

fn report_rows(
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

async fn tracker_csv(
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

async fn tracker_pdf(
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
struct DueDaysForm {
    #[serde(default)]
    returns_due_days: String,
}

async fn due_days(State(state): State<AppState>, ctx: Ctx, Form(f): Form<DueDaysForm>) -> Page {
    match state
        .app
        .set_returns_due_days(&ctx.principal, &f.returns_due_days)
        .await
    {
        Ok(()) => Ok(see_other("/returns/tracker")),
        Err(AppError::Invalid(errors)) => {
            tracker_view(&state, &ctx, &TrackerQuery::default(), &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct YearOnly {
    #[serde(default)]
    year: Option<String>,
}

async fn triggers(State(state): State<AppState>, ctx: Ctx, Query(q): Query<YearOnly>) -> Page {
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
    )
    .await
}

async fn triggers_view(
    state: &AppState,
    ctx: &Ctx,
    year: hearth_domain::FinancialYear,
    f: &hearth_app::returns::TriggerForm,
    errors: &FieldErrors,
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
        .map(|i| {
            (
                i.code().to_string(),
                format!("{} {}", i.short_label(), i.label()),
            )
        })
        .collect();
    indicators.extend(
        locals
            .iter()
            .map(|l| (l.code.clone(), format!("Local: {}", l.name))),
    );
    let types: Vec<(String, String)> = hearth_domain::ServiceType::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), t.label().to_string()))
        .collect();
    let body = html! {
        h1 class="govuk-heading-l" { "Triggers for " (year.label()) }
        p class="govuk-body" { "A figure below its trigger (above it, where lower is better) is marked in red with a text marker on every screen and in the workbook, and the return cannot be accepted until the provider explains it." }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" { th class="govuk-table__header" { "Indicator" } th class="govuk-table__header" { "Service type" } th class="govuk-table__header" { "Trigger" } } }
            tbody class="govuk-table__body" {
                @for t in set.triggers() {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (t.indicator.short_label()) " " (t.indicator.label()) }
                        td class="govuk-table__cell" { @match t.service_type { Some(st) => (st.label()), None => "Every type" } }
                        td class="govuk-table__cell" { (t.breach_text().replace("Below trigger of ", "At least ").replace("Above trigger of ", "At most ")) }
                    }
                }
            }
        }
        h2 class="govuk-heading-m" { "Local indicators" }
        @if locals.is_empty() { p class="govuk-body" { "None defined. Providers report each one as a whole number a quarter." } }
        ul class="govuk-list" {
            @for li in &locals { li { strong { (li.name) } " (" (li.code) ") " @if li.service_types.is_empty() { "every service type" } @else { @for t in &li.service_types { (t.label()) " " } } } }
        }
        @if ctx.principal.has(Permission::BackOfficeWrite) {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                form method="post" action="/returns/local-indicators" novalidate {
                    (csrf(&ctx.csrf))
                    (layout::input("code", "Code of a new local indicator", "", errors, Opt { required: true, width: Some("20"), hint: Some("Lower case letters, numbers and underscores, like referrals_received"), ..Default::default() }))
                    (layout::input("name", "Name", "", errors, Opt { required: true, ..Default::default() }))
                    (layout::select("service_type", "Service type (leave as Select for every type)", &types, "", errors, false))
                    (layout::checkbox("higher_is_better", "Higher is better", true, None))
                    button type="submit" class="govuk-button govuk-button--secondary" { "Add local indicator" }
                }
            } }
        }
        @if ctx.principal.has(Permission::BackOfficeWrite) {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                h2 class="govuk-heading-m" { "Set a trigger" }
                (error_summary(errors))
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
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

async fn set_trigger(
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
            triggers_view(&state, &ctx, year, &f, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct VersionForm {
    #[serde(default)]
    year: i32,
    #[serde(default)]
    from_quarter: String,
    #[serde(default)]
    reason: String,
}

async fn issue_version(
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

/// A small line chart of an indicator's figures (0 to 100 per cent) with its trigger, as SVG
/// (no script; the figures are also in the table beside it).
fn chart(
    title: &str,
    values: &[Option<f64>],
    labels: &[String],
    trigger: Option<hearth_domain::performance::Threshold>,
) -> Markup {
    let (w, h, pad) = (360.0f64, 160.0f64, 30.0f64);
    let n = values.len().max(2) as f64;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n - 1.0);
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v.clamp(0.0, 100.0) / 100.0);
    let points: Vec<(f64, f64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (x(i), y(v), v)))
        .collect();
    let path = points
        .iter()
        .map(|(px, py, _)| format!("{px:.1},{py:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        figure class="govuk-!-margin-0 govuk-!-margin-bottom-4" {
            svg width=(w) height=(h) viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) {
                title { (title) }
                line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#505a5f" {}
                line x1=(pad) y1=(pad) x2=(pad) y2=(h - pad) stroke="#505a5f" {}
                text x="2" y=(y(100.0) + 4.0) font-size="10" { "100" }
                text x="10" y=(y(0.0) + 4.0) font-size="10" { "0" }
                @if let Some(t) = trigger.map(|t| t.value()) {
                    line x1=(pad) y1=(y(t)) x2=(w - pad) y2=(y(t)) stroke="#d4351c" stroke-dasharray="4 3" {}
                    text x=(w - pad - 60.0) y=(y(t) - 4.0) font-size="10" fill="#d4351c" { "trigger " (t) }
                }
                polyline points=(path) fill="none" stroke="#1d70b8" stroke-width="2" {}
                @for (px, py, v) in &points {
                    circle cx=(px) cy=(py) r="3" fill=(if trigger.is_some_and(|t| t.breached_by(*v)) { "#d4351c" } else { "#1d70b8" }) {}
                }
                @for (i, l) in labels.iter().enumerate() {
                    text x=(x(i) - 18.0) y=(h - 10.0) font-size="10" { (l) }
                }
            }
            figcaption class="govuk-body-s" { (title) }
        }
    }
}

async fn service_analysis(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let service = state.app.service(&ctx.principal, id).await?;
    let data = state.app.service_analysis(&ctx.principal, id).await?;
    let labels: Vec<String> = data
        .iter()
        .map(|(q, _)| format!("Q{} {}", q.number(), &q.year().label()[2..4]))
        .collect();
    let indicators: Vec<hearth_domain::performance::Indicator> = data
        .iter()
        .find_map(|(_, v)| v.as_ref())
        .map(|v| v.indicators.iter().map(|f| f.indicator.clone()).collect())
        .unwrap_or_default();
    let body = html! {
        (layout::back_link(&format!("/services/{id}/returns")))
        span class="govuk-caption-l" { (service.name) }
        h1 class="govuk-heading-l" { "Indicators over the last twelve months" }
        @if indicators.is_empty() { p class="govuk-body" { "No accepted returns in the last twelve months yet." } }
        @for ind in &indicators {
            @let values: Vec<Option<f64>> = data.iter().map(|(_, v)| v.as_ref().and_then(|v| v.indicators.iter().find(|f| &f.indicator == ind).and_then(|f| f.value))).collect();
            @let trigger = data.iter().rev().find_map(|(_, v)| v.as_ref().and_then(|v| v.indicators.iter().find(|f| &f.indicator == ind).and_then(|f| f.breach.as_ref().map(|t| t.threshold))));
            h2 class="govuk-heading-s" { (ind.short_label()) " " (ind.label()) }
            (chart(&format!("{} by quarter", ind.short_label()), &values, &labels, trigger))
            table class="govuk-table" {
                tbody class="govuk-table__body" {
                    tr class="govuk-table__row" { @for l in &labels { th class="govuk-table__header" { (l) } } }
                    tr class="govuk-table__row" { @for v in &values { td class="govuk-table__cell" { @match v { Some(v) => (ind.unit().format(*v)), None => "–" } } } }
                }
            }
        }
    };
    Ok(render(Some(&ctx), "Indicators", body))
}

#[derive(Deserialize, Default)]
struct ByQuery {
    #[serde(default)]
    by: Option<String>,
}

fn by_of(q: &ByQuery) -> &str {
    match q.by.as_deref() {
        Some("client_group") => "client_group",
        Some("provider") => "provider",
        _ => "service",
    }
}

async fn analysis(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ByQuery>) -> Page {
    let by = by_of(&q);
    let (quarters, rows) = state.app.analysis(&ctx.principal, by).await?;
    let body = html! {
        h1 class="govuk-heading-l" { "Performance analysis" }
        p class="govuk-body" {
            "Average of accepted returns over the last twelve months, by "
            @for (code, label) in [("service", "service"), ("client_group", "client group"), ("provider", "provider")] {
                @if code == by { strong { (label) } } @else { a class="govuk-link" href={ "/returns/analysis?by=" (code) } { (label) } } " "
            }
        }
        p class="govuk-body" { "Download: " a class="govuk-link" href={ "/returns/analysis.csv?by=" (by) } { "CSV" } " · " a class="govuk-link" href={ "/returns/analysis.xlsx?by=" (by) } { "XLSX" } }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Group" } th class="govuk-table__header" { "Indicator" }
                @for q in &quarters { th class="govuk-table__header" { (q.label()) } }
                th class="govuk-table__header" { "Trend" }
            } }
            tbody class="govuk-table__body" {
                @for r in &rows {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (r.group) }
                        td class="govuk-table__cell" { (r.indicator.short_label()) }
                        @for v in &r.values {
                            td class="govuk-table__cell" {
                                @match v {
                                    Some(v) if r.trigger.is_some_and(|t| t.breached_by(*v)) => { span class="hearth-breach" { (r.indicator.unit().format(*v)) } " " strong class="govuk-tag govuk-tag--red" { (r.trigger.map(|t| t.breach_word()).unwrap_or_default()) } }
                                    Some(v) => (r.indicator.unit().format(*v)),
                                    None => "–",
                                }
                            }
                        }
                        td class="govuk-table__cell" { (r.trend()) }
                    }
                }
            }
        }
    };
    Ok(render(Some(&ctx), "Performance analysis", body))
}

async fn analysis_csv(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ByQuery>) -> Page {
    let (quarters, rows) = state.app.analysis(&ctx.principal, by_of(&q)).await?;
    let mut header = vec!["group".to_string(), "indicator".to_string()];
    header.extend(quarters.iter().map(|q| q.label()));
    header.push("trend".into());
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![r.group.clone(), r.indicator.code().to_string()];
            v.extend(
                r.values
                    .iter()
                    .map(|v| v.map(|v| v.to_string()).unwrap_or_default()),
            );
            v.push(r.trend().to_string());
            v
        })
        .collect();
    layout::csv_download("analysis.csv", &header, &rows)
}

async fn analysis_xlsx(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ByQuery>) -> Page {
    let (quarters, rows) = state.app.analysis(&ctx.principal, by_of(&q)).await?;
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![r.group.clone(), r.indicator.short_label().to_string()];
            v.extend(
                r.values
                    .iter()
                    .map(|x| x.map(|x| x.to_string()).unwrap_or_default()),
            );
            v.push(r.trend().to_string());
            v
        })
        .collect();
    let mut header = vec!["Group".to_string(), "Indicator".to_string()];
    header.extend(quarters.iter().map(|q| q.label()));
    header.push("Trend".into());
    Ok(
        match hearth_docs::workbook::table_xlsx("Analysis", &header, &table) {
            Ok(bytes) => layout::download(XLSX, "analysis.xlsx", bytes),
            Err(e) => return Err(WebError::from(AppError::Internal(e))),
        },
    )
}

#[derive(Deserialize, Default)]
struct ExtensionForm {
    #[serde(default)]
    service_id: i64,
    #[serde(default)]
    quarter: String,
    #[serde(default)]
    until: String,
}

async fn extension(State(state): State<AppState>, ctx: Ctx, Form(f): Form<ExtensionForm>) -> Page {
    match state
        .app
        .grant_extension(&ctx.principal, f.service_id, &f.quarter, &f.until)
        .await
    {
        Ok(()) => Ok(see_other(&format!(
            "/returns/tracker?quarter={}",
            crate::session::url_encode(&f.quarter)
        ))),
        Err(AppError::Invalid(errors)) => {
            tracker_view(
                &state,
                &ctx,
                &TrackerQuery {
                    quarter: Some(f.quarter.clone()),
                },
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct LocalForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    service_type: String,
    #[serde(default)]
    higher_is_better: Option<String>,
}

async fn define_local(State(state): State<AppState>, ctx: Ctx, Form(f): Form<LocalForm>) -> Page {
    match state
        .app
        .define_local_indicator(
            &ctx.principal,
            &f.code,
            &f.name,
            &f.service_type,
            f.higher_is_better.is_some(),
        )
        .await
    {
        Ok(()) => Ok(see_other("/returns/triggers")),
        Err(AppError::Invalid(errors)) => {
            let year = hearth_domain::FinancialYear::for_date(state.app.today());
            triggers_view(
                &state,
                &ctx,
                year,
                &hearth_app::returns::TriggerForm {
                    year: year.label(),
                    ..Default::default()
                },
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
