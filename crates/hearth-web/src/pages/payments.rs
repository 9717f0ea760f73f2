//! Payments (C6, F3.9): the finance officers' runs (prepare, preview, approve, commit),
//! holds, the timetable, a contract's payment terms and rates, a client's housing benefit and
//! fairer charging, and the provider's Payments page with its remittances.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Form;
use hearth_app::payments::{
    BenefitInput, ChargeInput, ClientEntry, HoldInput, LineView, PaySettings, RateInput,
    RemoveInput, RunPreview, SettingsInput, TimetableEntry, MAX_ADJUST_YEARS,
};
use hearth_app::uplifts::{RateChange, UpliftInput};
use hearth_app::{App, AppError, FieldErrors, Permission, Principal};
use hearth_domain::payments::{BenefitStatus, ChargeKind, PaymentBasis, PaymentReport};
use hearth_domain::workflow::payment_runs::Status;
use hearth_domain::Pence;
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::Page;
use crate::layout::{self, button, csrf, error_summary, render, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

const READ: Access = Access::Signed(Permission::BackOfficeRead);
const WRITE: Access = Access::Signed(Permission::BackOfficeWrite);
const ANY: Access = Access::Signed(Permission::SignedIn);
const FINANCE: Access = Access::Signed(Permission::Finance);

pub fn register(t: &mut RouteTable) {
    t.get("/payments", ANY, get(payments));
    t.post("/payments", FINANCE, post(prepare));
    t.get("/payments/timetable", READ, get(timetable_form));
    t.post("/payments/timetable", FINANCE, post(timetable_save));
    t.get("/payments/holds/new", FINANCE, get(hold_form));
    t.post("/payments/holds/new", FINANCE, post(hold_create));
    t.post("/payments/holds/{id}/lift", FINANCE, post(hold_lift));
    t.get("/payments/settings", FINANCE, get(settings_form));
    t.post("/payments/settings", FINANCE, post(settings_save));
    t.get("/payments/uplift", FINANCE, get(uplift_form));
    t.post("/payments/uplift", FINANCE, post(uplift_apply));
    t.get("/payments/{id}", READ, get(run_page));
    t.post("/payments/{id}/approve", FINANCE, post(approve));
    t.post("/payments/{id}/commit", FINANCE, post(commit));
    t.get("/payments/{id}/lines.csv", READ, get(lines_csv));
    t.get("/payments/{id}/lines.xlsx", READ, get(lines_xlsx));
    t.get("/payments/{id}/finance.csv", READ, get(finance_csv));
    t.get("/payments/{id}/invoices", WRITE, get(invoices_page));
    t.get(
        "/payments/{id}/invoices/{client}/invoice.pdf",
        WRITE,
        get(invoice_pdf),
    );
    t.get(
        "/payments/{id}/providers/{provider}/remittance.pdf",
        ANY,
        get(remittance_pdf),
    );
    t.get(
        "/payments/{id}/providers/{provider}/remittance.csv",
        ANY,
        get(remittance_csv),
    );
    t.get(
        "/payments/{id}/providers/{provider}/reports",
        ANY,
        get(reports_page),
    );
    t.get(
        "/payments/{id}/providers/{provider}/reports/{report}",
        ANY,
        get(report_file),
    );
    t.get("/contracts/{id}/payments", READ, get(contract_terms));
    t.post("/contracts/{id}/payments", FINANCE, post(contract_basis));
    t.post("/contracts/{id}/rates", WRITE, post(contract_rate));
    t.get(
        "/contracts/{id}/rates/{rate}/letter.pdf",
        ANY,
        get(rate_letter),
    );
    t.get("/clients/{id}/payments", READ, get(client_finance));
    t.post("/clients/{id}/benefits", WRITE, post(client_benefit));
    t.post("/clients/{id}/charges", WRITE, post(client_charge));
    t.post(
        "/clients/{id}/benefits/{entry}/remove",
        WRITE,
        post(client_benefit_remove),
    );
    t.post(
        "/clients/{id}/charges/{entry}/remove",
        WRITE,
        post(client_charge_remove),
    );
}

fn money(p: Pence) -> String {
    p.to_string()
}

fn status_tag(status: &str) -> Markup {
    let s = Status::parse(status);
    let colour = match s {
        Some(Status::Committed) => "govuk-tag--green",
        Some(Status::Approved) => "govuk-tag--blue",
        Some(Status::Prepared | Status::Preparing) => "govuk-tag--yellow",
        Some(Status::Stale | Status::Failed) => "govuk-tag--red",
        _ => "govuk-tag--grey",
    };
    html! { strong class={ "govuk-tag " (colour) } { (s.map_or(status, |s| s.label())) } }
}

fn day(d: chrono::NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

fn timetable_table(entries: &[TimetableEntry], staff: bool) -> Markup {
    html! {
        (layout::scrolling_table("Payment timetable", html! { table class="govuk-table" {
            caption class="govuk-table__caption govuk-table__caption--m" { "Payment timetable " (entries.first().map(|e| e.period.year_label.clone()).unwrap_or_default()) }
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Period" }
                th scope="col" class="govuk-table__header" { "Days" }
                th scope="col" class="govuk-table__header" { "Run date" }
                th scope="col" class="govuk-table__header" { "Pay date" }
                th scope="col" class="govuk-table__header" { "Status" }
            } }
            tbody class="govuk-table__body" {
                @for e in entries {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" {
                            @match (&e.run, staff) {
                                (Some(r), true) => { a class="govuk-link" href={ "/payments/" (r.id) } { (e.period.name()) } }
                                _ => { (e.period.name()) }
                            }
                        }
                        td class="govuk-table__cell" { (day(e.period.start)) " to " (day(e.period.end)) }
                        td class="govuk-table__cell" { (day(e.run_date)) }
                        td class="govuk-table__cell" { (day(e.pay_date)) }
                        td class="govuk-table__cell" { (e.status()) }
                    }
                }
            }
        } }))
    }
}

#[derive(Deserialize, Default)]
struct PaymentsQuery {
    settings: Option<String>,
    lifted: Option<String>,
    uplifted: Option<String>,
    held: Option<String>,
}

async fn payments(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PaymentsQuery>) -> Page {
    if let Principal::Provider { .. } = &ctx.principal {
        return provider_payments(&state, &ctx).await;
    }
    ctx.principal.require_or_hide(Permission::BackOfficeRead)?;
    staff_payments(&state, &ctx, &q, &FieldErrors::new(), "").await
}

async fn staff_payments(
    state: &AppState,
    ctx: &Ctx,
    q: &PaymentsQuery,
    errors: &FieldErrors,
    chosen: &str,
) -> Page {
    let app = &state.app;
    let who = &ctx.principal;
    let today = app.today();
    let timetable = app.payment_timetable(who, today).await?;
    let runs = app.payment_runs(who).await?;
    let holds = app.payment_holds(who).await?;
    let (settings, _) = app.payment_settings_of(who).await?;
    let finance = App::is_finance(who);
    // Periods that may be prepared: last year's last period (paid early in this year) and
    // this year's, after the last one paid, that have begun; a period not ended yet says so.
    let mut open = app
        .payment_timetable(
            who,
            timetable
                .first()
                .and_then(|t| t.period.start.pred_opt())
                .unwrap_or(today),
        )
        .await?
        .pop()
        .into_iter()
        .chain(timetable.iter().cloned())
        .collect::<Vec<_>>();
    let last_paid = open
        .iter()
        .filter(|t| t.status() == "Paid")
        .map(|t| t.period.start)
        .max();
    open.retain(|t| last_paid.is_none_or(|p| t.period.start > p) && t.period.start <= today);
    let choices: Vec<(String, String)> = open
        .iter()
        .map(|t| {
            (
                t.period.start.to_string(),
                format!(
                    "{} ({} to {}, run date {}){}",
                    t.period.name(),
                    day(t.period.start),
                    day(t.period.end),
                    day(t.run_date),
                    if t.period.end >= today {
                        ": not ended yet"
                    } else {
                        ""
                    }
                ),
            )
        })
        .collect();
    let default = open
        .iter()
        .find(|t| t.run_date <= today)
        .map(|t| t.period.start.to_string())
        .unwrap_or_default();
    let chosen = if chosen.is_empty() {
        default.as_str()
    } else {
        chosen
    };
    let body = html! {
        @if q.held.is_some() { (layout::banner("Payments held", html! { p class="govuk-body" { "Their lines are worked out and shown in each run, and paid once the hold is lifted." } })) }
        @if let Some(n) = q.uplifted.as_deref().and_then(|n| n.parse::<i64>().ok()) { (layout::banner("Uplift applied", html! { p class="govuk-body" { (layout::plural(n, "contract has", "contracts have")) " a new rate. Each provider has been sent a letter; a back-dated rate is paid in the next run as adjustments." } })) }
        @if let Some(n) = q.settings.as_deref().and_then(|n| n.parse::<i64>().ok()) { (layout::banner("Payment settings saved", html! { p class="govuk-body" { @if n == 0 { "Nothing was changed." } @else { (layout::plural(n, "setting was", "settings were")) " changed. A run prepared before the change is found stale when it is approved or paid; prepare it again." } } })) }
        @if q.lifted.is_some() { (layout::banner("Hold lifted", html! { p class="govuk-body" { "The next run pays what the hold kept back, as adjustments." } })) }
        (error_summary(errors))
        h1 class="govuk-heading-l" { "Payments" }
        p class="govuk-body" { "Providers are paid every four weeks. A finance officer prepares a period's run; Hearth works out every line due, and every adjustment for earlier periods; a second finance officer checks the preview and approves it; then it is paid, once, and each provider gets its remittance advice." }
        @if finance {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                h2 class="govuk-heading-m" { "Prepare a run" }
                form method="post" action="/payments" novalidate {
                    (csrf(&ctx.csrf))
                    (layout::select("period", "Period", &choices, chosen, errors, true))
                    (button("Prepare the run"))
                }
            } }
        }
        h2 class="govuk-heading-m" { "Runs" }
        @if runs.is_empty() {
            p class="govuk-body" { "No run has been prepared yet." @if finance { " Choose a period above and prepare its run." } }
        } @else {
            (layout::scrolling_table("Payment runs", html! { table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Period" }
                    th scope="col" class="govuk-table__header" { "Status" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "To pay" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Held" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Exceptions" }
                    th scope="col" class="govuk-table__header" { "Prepared" }
                    th scope="col" class="govuk-table__header" { "Approved" }
                } }
                tbody class="govuk-table__body" {
                    @for r in &runs {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { a class="govuk-link" href={ "/payments/" (r.id) } { (r.period_name) } }
                            td class="govuk-table__cell" { (status_tag(&r.status)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(Pence(r.payable_pence))) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(Pence(r.held_pence))) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (r.exceptions_count) }
                            td class="govuk-table__cell" { (r.prepared_by_name) ", " (layout::when(r.prepared_at)) }
                            td class="govuk-table__cell" { @if let (Some(n), Some(at)) = (&r.approved_by_name, r.approved_at) { (n) ", " (layout::when(at)) } }
                        }
                    }
                }
            } }))
        }
        (timetable_table(&timetable, true))
        @if finance { p class="govuk-body" { a class="govuk-link" href="/payments/timetable" { "Change a period's run or pay date" } } }
        h2 class="govuk-heading-m" { "Holds" }
        @if holds.is_empty() {
            p class="govuk-body" { "No provider's payments are held." }
        } @else {
            table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Provider" }
                    th scope="col" class="govuk-table__header" { "Service" }
                    th scope="col" class="govuk-table__header" { "Reason" }
                    th scope="col" class="govuk-table__header" { "Placed" }
                    th scope="col" class="govuk-table__header" { "Lifted" }
                } }
                tbody class="govuk-table__body" {
                    @for (h, provider, service) in &holds {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { a class="govuk-link" href={ "/providers/" (h.provider_id) } { (provider) } }
                            td class="govuk-table__cell" { @if service.is_empty() { "All its services" } @else { (service) } }
                            td class="govuk-table__cell" { (h.reason) }
                            td class="govuk-table__cell" { (h.placed_by_name) ", " (layout::when(h.placed_at)) }
                            td class="govuk-table__cell" {
                                @if let (Some(by), Some(at)) = (&h.lifted_by_name, h.lifted_at) { (by) ", " (layout::when(at)) }
                                @else if finance {
                                    form method="post" action={ "/payments/holds/" (h.id) "/lift" } {
                                        (csrf(&ctx.csrf))
                                        button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button" { "Lift the hold" span class="govuk-visually-hidden" { " on " (provider) } }
                                    }
                                } @else { "In force" }
                            }
                        }
                    }
                }
            }
        }
        h2 class="govuk-heading-m" { "Settings" }
        (settings_list(&settings))
        @if finance { p class="govuk-body" { a class="govuk-link" href="/payments/settings" { "Change the payment settings" } } }
        @if finance {
            div class="govuk-button-group" {
                a class="govuk-button govuk-button--secondary" href="/payments/holds/new" data-module="govuk-button" { "Hold a provider's payments" }
                a class="govuk-button govuk-button--secondary" href="/payments/uplift" data-module="govuk-button" { "Apply an uplift" }
            }
        }
    };
    Ok(layout::render_form(Some(ctx), "Payments", body, errors))
}

#[derive(Deserialize, Default, serde::Serialize)]
struct PrepareForm {
    #[serde(default)]
    period: String,
}

async fn prepare(State(state): State<AppState>, ctx: Ctx, Form(f): Form<PrepareForm>) -> Page {
    let Ok(d) = chrono::NaiveDate::parse_from_str(f.period.trim(), "%Y-%m-%d") else {
        let mut e = FieldErrors::new();
        e.add("period", "Select the period to prepare");
        return staff_payments(&state, &ctx, &PaymentsQuery::default(), &e, "").await;
    };
    match state.app.prepare_payment_run(&ctx.principal, d).await {
        Ok(run) => Ok(see_other(&format!("/payments/{}", run.id))),
        Err(AppError::Invalid(e)) => {
            staff_payments(&state, &ctx, &PaymentsQuery::default(), &e, &f.period).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The exceptions as what to fix: one row per contract's or service's problem (however many
/// schedules it stops), and one per client whose status or assessment is missing.
fn fix_table(exceptions: &[LineView]) -> Markup {
    struct Fix<'a> {
        first: &'a LineView,
        schedules: std::collections::BTreeSet<i64>,
        amount: i64,
    }
    let mut fixes: Vec<((String, i64), Fix<'_>)> = Vec::new();
    for l in exceptions {
        let key = match l.line.state.as_str() {
            "benefit_not_known" | "no_assessment" => {
                (l.line.state.clone(), l.line.client_id.unwrap_or(0))
            }
            "no_contract" => (l.line.state.clone(), l.line.service_id.unwrap_or(0)),
            other => (other.to_string(), l.line.contract_id.unwrap_or(0)),
        };
        let at = match fixes.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                fixes.push((
                    key,
                    Fix {
                        first: l,
                        schedules: Default::default(),
                        amount: 0,
                    },
                ));
                fixes.len() - 1
            }
        };
        if let Some((_, f)) = fixes.get_mut(at) {
            f.amount += l.line.amount_pence;
            if let Some(s) = l.line.schedule_id {
                f.schedules.insert(s);
            }
        }
    }
    html! {
        (layout::scrolling_table("What to fix", html! { table class="govuk-table" {
            caption class="govuk-table__caption govuk-table__caption--s" { "What to fix: " (layout::plural(fixes.len() as i64, "problem", "problems")) }
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Problem" }
                th scope="col" class="govuk-table__header" { "Provider and service" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Schedules" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Not paid" }
                th scope="col" class="govuk-table__header" { "Fix it" }
            } }
            tbody class="govuk-table__body" {
                @for (_, f) in &fixes {
                    @let l = f.first;
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" {
                            (l.line.reason.split(" (").next().unwrap_or(&l.line.reason))
                            @if !l.client.is_empty() && matches!(l.line.state.as_str(), "benefit_not_known" | "no_assessment") { br; (l.client) }
                        }
                        td class="govuk-table__cell" { (l.provider) br; (l.service) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (f.schedules.len()) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (money(Pence(f.amount))) }
                        td class="govuk-table__cell" {
                            @match l.line.state.as_str() {
                                "benefit_not_known" | "no_assessment" => {
                                    @if let Some(c) = l.line.client_id { a class="govuk-link" href={ "/clients/" (c) "/payments" } { "Record it" span class="govuk-visually-hidden" { " for " (l.client) } } }
                                }
                                "no_contract" => {
                                    @if let Some(s) = l.line.service_id { a class="govuk-link" href={ "/services/" (s) } { "The service" span class="govuk-visually-hidden" { " " (l.service) } } }
                                }
                                _ => {
                                    @if let Some(c) = l.line.contract_id { a class="govuk-link" href={ "/contracts/" (c) "/payments" } { "The contract's terms" span class="govuk-visually-hidden" { " for " (l.service) } } }
                                }
                            }
                        }
                    }
                }
            }
        } }))
    }
}

fn line_rows(lines: &[LineView], with_client: bool) -> Markup {
    html! {
        @for l in lines {
            tr class="govuk-table__row" {
                td class="govuk-table__cell" { (l.provider) }
                td class="govuk-table__cell" { (l.service) }
                @if with_client {
                    td class="govuk-table__cell" {
                        @if let Some(s) = l.line.schedule_id { a class="govuk-link" href={ "/schedules/" (s) } { @if l.client.is_empty() { "Schedule " (s) } @else { (l.client) } } }
                    }
                }
                td class="govuk-table__cell" { (l.period) }
                td class="govuk-table__cell govuk-table__cell--numeric" { (money(Pence(l.line.amount_pence))) }
                td class="govuk-table__cell" {
                    (l.line.reason)
                    @if l.line.state == "benefit_not_known" || l.line.state == "no_assessment" {
                        @if let Some(c) = l.line.client_id { " " a class="govuk-link" href={ "/clients/" (c) "/payments" } { "Record it" span class="govuk-visually-hidden" { " for " (l.client) } } }
                    }
                    @if matches!(l.line.state.as_str(), "no_rate" | "contract_expired") {
                        @if let Some(c) = l.line.contract_id { " " a class="govuk-link" href={ "/contracts/" (c) "/payments" } { "The contract's terms" } }
                    }
                    @if l.line.state == "no_contract" {
                        @if let Some(s) = l.line.service_id { " " a class="govuk-link" href={ "/services/" (s) } { "The service" } }
                    }
                }
            }
        }
    }
}

fn lines_table(caption: &str, lines: &[LineView]) -> Markup {
    html! {
        (layout::scrolling_table(caption, html! { table class="govuk-table" {
            caption class="govuk-table__caption govuk-table__caption--m" { (caption) " (" (lines.len()) ")" }
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Provider" }
                th scope="col" class="govuk-table__header" { "Service" }
                th scope="col" class="govuk-table__header" { "Client" }
                th scope="col" class="govuk-table__header" { "Period" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Amount" }
                th scope="col" class="govuk-table__header" { "Why" }
            } }
            tbody class="govuk-table__body" { (line_rows(&lines[..lines.len().min(200)], true)) }
        } }))
        @if lines.len() > 200 { p class="govuk-body" { "The first 200 are shown; the download has them all." } }
    }
}

#[derive(Deserialize, Default)]
struct RunQuery {
    approved: Option<String>,
    paid: Option<String>,
}

async fn run_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RunQuery>,
) -> Page {
    let p = state.app.payment_run(&ctx.principal, id).await?;
    Ok(run_view(&ctx, &p, &q, None))
}

fn run_view(ctx: &Ctx, p: &RunPreview, q: &RunQuery, problem: Option<&str>) -> Response {
    let r = &p.run;
    let s = &p.summary;
    let preparing = r.status == Status::Preparing.as_str();
    let paid = r.status == Status::Committed.as_str();
    let title = format!("Payment run {}", r.period_name);
    let body = html! {
        @if q.approved.is_some() { (layout::banner("Run approved", html! { p class="govuk-body" { "It can now be paid." } })) }
        @if q.paid.is_some() { (layout::banner("Run paid", html! { p class="govuk-body" { "Its lines are written and each provider paid has been sent its remittance advice." } })) }
        @if let Some(m) = problem {
            div class="govuk-error-summary" data-module="govuk-error-summary" { div role="alert" {
                h2 class="govuk-error-summary__title" { "This run cannot go on" }
                div class="govuk-error-summary__body" { p class="govuk-body" { (m) } }
            } }
        }
        (layout::back_link("/payments"))
        span class="govuk-caption-l" { "Payments" }
        h1 class="govuk-heading-l" { (title) " " (status_tag(&r.status)) }
        @if r.status == Status::Failed.as_str() {
            div class="govuk-warning-text" {
                span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                strong class="govuk-warning-text__text" {
                    span class="govuk-visually-hidden" { "Warning" }
                    "Its lines could not be worked out"
                    @if let Some(f) = &p.failure { ": " (f) }
                    ". Nothing was paid. " a class="govuk-link" href="/payments" { "Prepare the period again" } " once the problem is fixed."
                }
            }
        }
        @if preparing {
            p class="govuk-body" { "Hearth is working out the lines. This page updates itself every 5 seconds." }
            @if let Some(j) = &p.job { p class="govuk-body" { a class="govuk-link" href={ "/runs/" (j.id) } { "Follow the job run" } } }
        }
        (layout::summary_list(&[
            ("To pay", html! { (money(s.payable)) }),
            ("Subsidy", html! { (money(s.subsidy)) }),
            ("Block payments", html! { (money(s.block)) }),
            ("Adjustments for earlier periods", html! { (money(s.adjustment)) }),
            ("Clients' charges", html! { (money(s.charge)) }),
            ("Held", html! { (money(s.held)) }),
            ("Exceptions", html! { (r.exceptions_count) }),
            ("Pay date", html! { (layout::date(&r.pay_date)) }),
            ("Prepared", html! { (r.prepared_by_name) ", " (layout::when(r.prepared_at)) }),
            ("Approved", html! { @if let (Some(n), Some(at)) = (&r.approved_by_name, r.approved_at) { (n) ", " (layout::when(at)) } @else { "Not yet" } }),
            ("Paid", html! { @if let (Some(n), Some(at)) = (&r.committed_by_name, r.committed_at) { (n) ", " (layout::when(at)) } @else { "Not yet" } }),
            ("Digest", html! { code class="govuk-!-font-size-16" { (r.digest.get(..16).unwrap_or("")) } }),
        ]))
        @if r.status == Status::Prepared.as_str() && !p.may_approve {
            p class="govuk-inset-text" { "A finance officer other than " (r.prepared_by_name) " approves this run." }
        }
        @if r.status == Status::Stale.as_str() {
            p class="govuk-inset-text" { "Records this run was worked out from changed after it was prepared. Prepare the period again from " a class="govuk-link" href="/payments" { "Payments" } "." }
        }
        @if p.may_approve {
            form method="post" action={ "/payments/" (r.id) "/approve" } {
                (csrf(&ctx.csrf))
                p class="govuk-body" { "Approving says you have checked the totals, the largest changes and the exceptions. Hearth works the lines out again first: if anything changed since the run was prepared, it must be prepared again." }
                (button("Approve the run"))
            }
        }
        @if p.may_commit {
            form method="post" action={ "/payments/" (r.id) "/commit" } {
                (csrf(&ctx.csrf))
                p class="govuk-body" { "Paying writes the lines, never to change, makes the finance system's file and sends each provider its remittance advice." }
                button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button" { "Pay " (money(s.payable)) }
            }
        }
        @if !preparing && p.may_see_lines {
            p class="govuk-body" {
                "Download every line: " a class="govuk-link" href={ "/payments/" (r.id) "/lines.csv" } { "CSV" } ", " a class="govuk-link" href={ "/payments/" (r.id) "/lines.xlsx" } { "Excel" }
                @if paid { ". The finance system's file: " a class="govuk-link" href={ "/payments/" (r.id) "/finance.csv" } { "CSV" } }
                @if paid && p.authority_invoices && s.charge.0 != 0 { ". Clients' charges: " a class="govuk-link" href={ "/payments/" (r.id) "/invoices" } { "the clients' invoices" } }
                "."
            }
        }
        @if !s.exceptions.is_empty() {
            h2 class="govuk-heading-m" { "Exceptions" }
            p class="govuk-body" { "These lines are not paid until they are fixed; the next run after the fix pays them as adjustments." }
            (fix_table(&s.exceptions))
            details class="govuk-details" {
                summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "Every exception line (" (s.exceptions.len()) ")" } }
                div class="govuk-details__text" { (lines_table("Exceptions", &s.exceptions)) }
            }
        }
        @if !s.changes.is_empty() {
            (layout::scrolling_table("Largest changes", html! { table class="govuk-table" {
                caption class="govuk-table__caption govuk-table__caption--m" { "Largest changes against the previous paid run" }
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Provider" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "This run" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Previous" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Change" }
                } }
                tbody class="govuk-table__body" {
                    @for (name, now, before) in &s.changes {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (name) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(*now)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(*before)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(Pence(now.0 - before.0))) }
                        }
                    }
                }
            } }))
        }
        @if !s.providers.is_empty() {
            (layout::scrolling_table("By provider", html! { table class="govuk-table" {
                caption class="govuk-table__caption govuk-table__caption--m" { "By provider" }
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Provider" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "To pay" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Held" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Exceptions" }
                    @if paid && p.may_see_lines { th scope="col" class="govuk-table__header" { "Remittance" } }
                } }
                tbody class="govuk-table__body" {
                    @for t in &s.providers {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (t.name) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(t.payable)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(t.held)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (t.exceptions) }
                            @if paid && p.may_see_lines { td class="govuk-table__cell" {
                                @if t.payable.0 != 0 {
                                    a class="govuk-link" href={ "/payments/" (r.id) "/providers/" (t.provider_id) "/remittance.pdf" } { "PDF" span class="govuk-visually-hidden" { " for " (t.name) } }
                                    " "
                                    a class="govuk-link" href={ "/payments/" (r.id) "/providers/" (t.provider_id) "/reports" } { "Reports" span class="govuk-visually-hidden" { " for " (t.name) } }
                                }
                            } }
                        }
                    }
                }
            } }))
        }
        @if !s.services.is_empty() {
            (layout::scrolling_table("By service", html! { table class="govuk-table" {
                caption class="govuk-table__caption govuk-table__caption--m" { "By service" }
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Service" }
                    th scope="col" class="govuk-table__header" { "Provider" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Subsidy" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Block" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Adjustments" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Charges" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "To pay" }
                } }
                tbody class="govuk-table__body" {
                    @for t in &s.services {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { @if let Some(id) = t.service_id { a class="govuk-link" href={ "/services/" (id) } { (t.name) } } }
                            td class="govuk-table__cell" { (t.provider) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(t.subsidy)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(t.block)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(t.adjustment)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(t.charge)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(t.payable)) }
                        }
                    }
                }
            } }))
        }
        @if !s.held_lines.is_empty() {
            h2 class="govuk-heading-m" { "Held" }
            (lines_table("Held lines", &s.held_lines))
        }
    };
    let mut page = layout::page(Some(ctx), &title, body).into_string();
    if preparing {
        page = page.replacen(
            "<head>",
            "<head><meta http-equiv=\"refresh\" content=\"5\">",
            1,
        );
    }
    let mut resp = Html(page).into_response();
    if problem.is_some() {
        *resp.status_mut() = axum::http::StatusCode::CONFLICT;
    }
    resp
}

/// A move refused (four eyes, stale, paid already) shows the run with why.
async fn after_move(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    moved: Result<(), AppError>,
    done: &str,
) -> Page {
    match moved {
        Ok(()) => Ok(see_other(&format!("/payments/{id}?{done}=1"))),
        Err(AppError::Conflict(_, m)) => {
            let p = state.app.payment_run(&ctx.principal, id).await?;
            Ok(run_view(ctx, &p, &RunQuery::default(), Some(&m)))
        }
        Err(e) => Err(e.into()),
    }
}

async fn approve(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let moved = state
        .app
        .approve_payment_run(&ctx.principal, id)
        .await
        .map(|_| ());
    after_move(&state, &ctx, id, moved, "approved").await
}

async fn commit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let moved = state
        .app
        .commit_payment_run(&ctx.principal, id)
        .await
        .map(|_| ());
    after_move(&state, &ctx, id, moved, "paid").await
}

async fn lines_csv(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let (header, rows) = state.app.payment_run_table(&ctx.principal, id).await?;
    layout::csv_download(&format!("payment-run-{id}.csv"), &header, &rows)
}

async fn lines_xlsx(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let (header, rows) = state.app.payment_run_table(&ctx.principal, id).await?;
    layout::xlsx_download(&format!("payment-run-{id}.xlsx"), "Lines", &header, &rows)
}

async fn finance_csv(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let bytes = state.app.finance_export_csv(&ctx.principal, id).await?;
    Ok(layout::download(
        "text/csv; charset=utf-8",
        &format!("finance-HEARTH-{id}.csv"),
        bytes,
    ))
}

async fn remittance_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, provider)): Path<(i64, i64)>,
) -> Page {
    let (name, bytes) = state
        .app
        .remittance_pdf(&ctx.principal, id, provider)
        .await?;
    Ok(layout::download("application/pdf", &name, bytes))
}

async fn remittance_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, provider)): Path<(i64, i64)>,
) -> Page {
    let bytes = state
        .app
        .remittance_csv(&ctx.principal, id, provider)
        .await?;
    Ok(layout::download(
        "text/csv; charset=utf-8",
        &format!("remittance-{id}-{provider}.csv"),
        bytes,
    ))
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    #[serde(default)]
    service: String,
    #[serde(default)]
    format: String,
}

impl ReportQuery {
    /// The chosen service: none for all of them; a value that is not a number is not found.
    fn service(&self) -> Result<Option<i64>, AppError> {
        match self.service.trim() {
            "" => Ok(None),
            v => v.parse().map(Some).map_err(|_| AppError::NotFound),
        }
    }
}

/// The reports of a paid period for a provider (F3.9): each as PDF or CSV, for all its
/// services or one.
async fn reports_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, provider)): Path<(i64, i64)>,
    Query(q): Query<ReportQuery>,
) -> Page {
    let service = q.service()?;
    let c = state
        .app
        .payment_report_choices(&ctx.principal, id, provider)
        .await?;
    if let Some(s) = service {
        if !c.services.iter().any(|(x, _, _)| *x == s) {
            return Err(AppError::NotFound.into());
        }
    }
    let chosen = service.map(|s| s.to_string()).unwrap_or_default();
    let suffix = |format: &str| match service {
        Some(s) => format!("?service={s}&format={format}"),
        None => format!("?format={format}"),
    };
    let back = if !ctx.principal.is_staff() {
        "/payments".to_string()
    } else {
        format!("/payments/{id}")
    };
    let body = html! {
        (layout::back_link(&back))
        span class="govuk-caption-l" { (c.provider) }
        h1 class="govuk-heading-l" { "Reports for " (c.run.period_name) }
        p class="govuk-body" { "Paid " (money(c.total)) " on " (layout::date(&c.run.pay_date)) ". Each report is for every service below, or the one you choose." }
        form method="get" action={ "/payments/" (id) "/providers/" (provider) "/reports" } novalidate {
            div class="govuk-form-group" {
                label class="govuk-label" for="service" { "Service" }
                select class="govuk-select" id="service" name="service" {
                    option value="" selected[chosen.is_empty()] { "All services" }
                    @for (sid, name, paid) in &c.services {
                        option value=(sid) selected[chosen == sid.to_string()] { (name) " (" (money(*paid)) ")" }
                    }
                }
            }
            button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Show reports" }
        }
        table class="govuk-table" {
            caption class="govuk-table__caption govuk-table__caption--m" {
                @match service.and_then(|s| c.services.iter().find(|(x, _, _)| *x == s)) {
                    Some((_, name, _)) => { "Reports for " (name) }
                    None => { "Reports for all services" }
                }
            }
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Report" }
                th scope="col" class="govuk-table__header" { "What it shows" }
                th scope="col" class="govuk-table__header" { "Download" }
            } }
            tbody class="govuk-table__body" {
                @for r in PaymentReport::ALL {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (r.label()) }
                        td class="govuk-table__cell" { (r.description()) }
                        td class="govuk-table__cell" {
                            a class="govuk-link" href={ "/payments/" (id) "/providers/" (provider) "/reports/" (r.as_str()) (suffix("pdf")) } { "PDF" span class="govuk-visually-hidden" { " of " (r.label()) } }
                            " "
                            a class="govuk-link" href={ "/payments/" (id) "/providers/" (provider) "/reports/" (r.as_str()) (suffix("csv")) } { "CSV" span class="govuk-visually-hidden" { " of " (r.label()) } }
                        }
                    }
                }
            }
        }
    };
    Ok(render(
        Some(&ctx),
        &format!("Reports for {}", c.run.period_name),
        body,
    ))
}

/// One report as PDF (the default) or CSV.
async fn report_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, provider, report)): Path<(i64, i64, String)>,
    Query(q): Query<ReportQuery>,
) -> Page {
    let report = PaymentReport::parse(&report).map_err(|_| AppError::NotFound)?;
    let service = q.service()?;
    match q.format.as_str() {
        "" | "pdf" => {
            let (name, bytes) = state
                .app
                .payment_report_pdf(&ctx.principal, id, provider, report, service)
                .await?;
            Ok(layout::download("application/pdf", &name, bytes))
        }
        "csv" => {
            let (name, bytes) = state
                .app
                .payment_report_csv(&ctx.principal, id, provider, report, service)
                .await?;
            Ok(layout::download("text/csv; charset=utf-8", &name, bytes))
        }
        _ => Err(AppError::NotFound.into()),
    }
}

/// The clients' invoices of a paid run, where the authority collects clients' charges.
async fn invoices_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let (run, invoices) = state.app.client_invoices(&ctx.principal, id).await?;
    let total: i64 = invoices.iter().map(|i| i.total.0).sum();
    let body = html! {
        (layout::back_link(&format!("/payments/{id}")))
        span class="govuk-caption-l" { "Payments" }
        h1 class="govuk-heading-l" { "Clients' invoices for " (run.period_name) }
        p class="govuk-body" { "The authority invoices clients for their fairer charging charges. Each invoice lists the client's charge for the period and any change to earlier periods from a back-dated assessment. " (layout::plural(invoices.len() as i64, "invoice", "invoices")) ", " (money(Pence(total))) " in all." }
        @if invoices.is_empty() {
            p class="govuk-body" { "No client was charged in this run." }
        } @else {
            (layout::scrolling_table("Clients' invoices", html! { table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Client" }
                    th scope="col" class="govuk-table__header" { "Service" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "This period" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Earlier periods" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "To pay" }
                    th scope="col" class="govuk-table__header" { "Invoice" }
                } }
                tbody class="govuk-table__body" {
                    @for i in &invoices {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { a class="govuk-link" href={ "/clients/" (i.client_id) "/payments" } { (i.name) } }
                            td class="govuk-table__cell" { (i.service) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(i.charge)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(i.earlier)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(i.total)) }
                            td class="govuk-table__cell" { a class="govuk-link" href={ "/payments/" (id) "/invoices/" (i.client_id) "/invoice.pdf" } { "PDF" span class="govuk-visually-hidden" { " for " (i.name) } } }
                        }
                    }
                }
            } }))
        }
    };
    Ok(render(
        Some(&ctx),
        &format!("Clients' invoices for {}", run.period_name),
        body,
    ))
}

async fn invoice_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, client)): Path<(i64, i64)>,
) -> Page {
    let (name, bytes) = state
        .app
        .client_invoice_pdf(&ctx.principal, id, client)
        .await?;
    Ok(layout::download("application/pdf", &name, bytes))
}

async fn provider_payments(state: &AppState, ctx: &Ctx) -> Page {
    let p = state.app.provider_payments(&ctx.principal).await?;
    let changes = state.app.provider_rate_changes(&ctx.principal).await?;
    let Principal::Provider { provider_id, .. } = &ctx.principal else {
        return Err(AppError::NotFound.into());
    };
    let body = html! {
        h1 class="govuk-heading-l" { "Payments" }
        p class="govuk-body" { "The authority pays every four weeks, on the pay dates below. Each paid period has a remittance advice: every line by service and client, with the reason for each adjustment and any client's charge." }
        @if p.held.0 != 0 {
            div class="govuk-warning-text" {
                span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                strong class="govuk-warning-text__text" { span class="govuk-visually-hidden" { "Warning" } (money(p.held)) " is held in the last run. Your contract manager can tell you why; it is paid when the hold is lifted." }
            }
        }
        h2 class="govuk-heading-m" { "Paid periods" }
        @if p.paid.is_empty() {
            p class="govuk-body" { "Nothing has been paid through Hearth yet. Remittances appear here once a period is paid." }
        } @else {
            table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Period" }
                    th scope="col" class="govuk-table__header" { "Pay date" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Paid" }
                    th scope="col" class="govuk-table__header" { "Remittance advice" }
                    th scope="col" class="govuk-table__header" { "Reports by service" }
                } }
                tbody class="govuk-table__body" {
                    @for (r, total) in &p.paid {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (r.period_name) }
                            td class="govuk-table__cell" { (layout::date(&r.pay_date)) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(*total)) }
                            td class="govuk-table__cell" {
                                a class="govuk-link" href={ "/payments/" (r.id) "/providers/" (provider_id) "/remittance.pdf" } { "PDF" span class="govuk-visually-hidden" { " for " (r.period_name) } }
                                " "
                                a class="govuk-link" href={ "/payments/" (r.id) "/providers/" (provider_id) "/remittance.csv" } { "CSV" span class="govuk-visually-hidden" { " for " (r.period_name) } }
                            }
                            td class="govuk-table__cell" {
                                a class="govuk-link" href={ "/payments/" (r.id) "/providers/" (provider_id) "/reports" } { "Reports" span class="govuk-visually-hidden" { " for " (r.period_name) } }
                            }
                        }
                    }
                }
            }
        }
        (timetable_table(&p.timetable, false))
        @if !changes.is_empty() {
            (rate_changes_table(&changes))
        }
    };
    Ok(render(Some(ctx), "Payments", body))
}

// ---------------- the timetable ----------------

#[derive(Deserialize, Default, serde::Serialize)]
struct TimetableForm {
    #[serde(default)]
    period: String,
    #[serde(default)]
    run_date: String,
    #[serde(default)]
    pay_date: String,
}

async fn timetable_form(State(state): State<AppState>, ctx: Ctx) -> Page {
    timetable_page(&state, &ctx, &TimetableForm::default(), &FieldErrors::new()).await
}

async fn timetable_page(
    state: &AppState,
    ctx: &Ctx,
    f: &TimetableForm,
    errors: &FieldErrors,
) -> Page {
    let t = state
        .app
        .payment_timetable(&ctx.principal, state.app.today())
        .await?;
    let choices: Vec<(String, String)> = t
        .iter()
        .map(|e| {
            (
                e.period.start.to_string(),
                format!(
                    "{} (now run {}, paid {})",
                    e.period.name(),
                    day(e.run_date),
                    day(e.pay_date)
                ),
            )
        })
        .collect();
    let body = html! {
        (layout::back_link("/payments"))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Change a period's dates" }
            p class="govuk-body" { "Each period has a run date, after it ends, and a pay date. Hearth suggests the fourth working day after the period ends and five working days after that; change them for holidays or the finance system's own timetable." }
            form method="post" action="/payments/timetable" novalidate {
                (csrf(&ctx.csrf))
                (layout::select("period", "Period", &choices, &f.period, errors, true))
                (layout::date_input("run_date", "Run date", &f.run_date, errors, true, None))
                (layout::date_input("pay_date", "Pay date", &f.pay_date, errors, true, None))
                (button("Save the dates"))
            }
        } }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Change a period's dates",
        body,
        errors,
    ))
}

async fn timetable_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<TimetableForm>,
) -> Page {
    let Ok(start) = chrono::NaiveDate::parse_from_str(f.period.trim(), "%Y-%m-%d") else {
        let mut e = FieldErrors::new();
        e.add("period", "Select the period");
        return timetable_page(&state, &ctx, &f, &e).await;
    };
    match state
        .app
        .set_payment_dates(&ctx.principal, start, &f.run_date, &f.pay_date)
        .await
    {
        Ok(()) => Ok(see_other("/payments")),
        Err(AppError::Invalid(e)) => timetable_page(&state, &ctx, &f, &e).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------- holds ----------------

async fn hold_form(State(state): State<AppState>, ctx: Ctx) -> Page {
    hold_page(&state, &ctx, &HoldInput::default(), &FieldErrors::new()).await
}

async fn hold_page(state: &AppState, ctx: &Ctx, f: &HoldInput, errors: &FieldErrors) -> Page {
    let providers: Vec<(String, String)> = state
        .app
        .provider_choices(&ctx.principal)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let services: Vec<(String, String)> = state
        .app
        .service_choices(&ctx.principal)
        .await?
        .into_iter()
        .map(|s| (s.id.to_string(), format!("{} ({})", s.name, s.reference)))
        .collect();
    let body = html! {
        (layout::back_link("/payments"))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Hold a provider's payments" }
            p class="govuk-body" { "While a hold is in force, the provider's lines (or one service's) are worked out and shown in each run but not paid. Lifting the hold pays them in the next run." }
            form method="post" action="/payments/holds/new" novalidate {
                (csrf(&ctx.csrf))
                (layout::select("provider_id", "Provider", &providers, &f.provider_id, errors, true))
                (layout::select("service_id", "Only this service", &services, &f.service_id, errors, false))
                (layout::textarea("reason", "Reason", &f.reason, errors, true))
                (button("Hold the payments"))
            }
        } }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Hold a provider's payments",
        body,
        errors,
    ))
}

async fn hold_create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<HoldInput>) -> Page {
    match state.app.place_hold(&ctx.principal, &f).await {
        Ok(_) => Ok(see_other("/payments?held=1")),
        Err(AppError::Invalid(e)) => hold_page(&state, &ctx, &f, &e).await,
        Err(e) => Err(e.into()),
    }
}

async fn hold_lift(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    state.app.lift_hold(&ctx.principal, id).await?;
    Ok(see_other("/payments?lifted=1"))
}

// ---------------- settings ----------------

fn settings_list(s: &PaySettings) -> Markup {
    html! {
        dl class="govuk-summary-list" {
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Period 1 of the payment year starts" }
                dd class="govuk-summary-list__value" { (day(s.anchor)) ", and every period is 28 days" }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Clients' charges" }
                dd class="govuk-summary-list__value" { @if s.provider_collects { "Collected by the provider: deducted from its payment" } @else { "Invoiced to the client by the authority: the provider is paid in full" } }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Short-term services" }
                dd class="govuk-summary-list__value" { @if s.charge_short_term { "Their clients are charged" } @else { "Their clients are not charged" } }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Adjustments" }
                dd class="govuk-summary-list__value" { @if s.adjust_years == 0 { "Periods of the run's own payment year" } @else { "Periods of the run's own payment year and the " (layout::plural(i64::from(s.adjust_years), "year", "years")) " before it" } }
            }
        }
    }
}

async fn settings_form(State(state): State<AppState>, ctx: Ctx) -> Page {
    let (now, _) = state.app.payment_settings_of(&ctx.principal).await?;
    settings_page(&state, &ctx, &SettingsInput::of(&now), &FieldErrors::new()).await
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    f: &SettingsInput,
    errors: &FieldErrors,
) -> Page {
    let (_, anchor_free) = state.app.payment_settings_of(&ctx.principal).await?;
    let years: Vec<(String, String)> = (0..=MAX_ADJUST_YEARS)
        .map(|n| {
            (
                n.to_string(),
                match n {
                    0 => "None: only the run's own payment year".to_string(),
                    1 => "1: this year and last year (the usual)".to_string(),
                    n => format!("{n}: this year and the {n} years before it"),
                },
            )
        })
        .collect();
    let body = html! {
        (layout::back_link("/payments"))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Payment settings" }
            p class="govuk-body" { "These settings decide what every payment run pays. A change is recorded in the audit trail; a run prepared before it is found stale when it is approved or paid, and the next run pays or recovers the difference for periods already paid." }
            form method="post" action="/payments/settings" novalidate {
                (csrf(&ctx.csrf))
                @if anchor_free {
                    (layout::date_input("anchor", "The first day of period 1", &f.anchor, errors, true, Some("Every period is 28 days from it, 13 to a year. It cannot be changed once a run has been paid.")))
                } @else {
                    input type="hidden" name="anchor" value=(f.anchor);
                    @if let Some(e) = errors.get("anchor") { p class="govuk-error-message" id="anchor" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                    h2 class="govuk-heading-s" { "The first day of period 1" }
                    p class="govuk-body" { (chrono::NaiveDate::parse_from_str(&f.anchor, "%Y-%m-%d").map(day).unwrap_or_else(|_| f.anchor.clone())) ". It cannot be changed now: a run has been paid, and its periods would no longer line up." }
                }
                (layout::radios("provider_collects", "Who collects clients' fairer charging charges?", &[
                    ("yes", "The provider", Some("Each charge is deducted from the provider's payment")),
                    ("no", "The authority", Some("The provider is paid in full, and each paid run lists an invoice for each client charged")),
                ], &f.provider_collects, errors))
                (layout::radios("charge_short_term", "Are clients of short-term services charged?", &[
                    ("no", "No", Some("Only clients of long-term services need a housing benefit status and an assessment")),
                    ("yes", "Yes", None),
                ], &f.charge_short_term, errors))
                (layout::select("adjust_years", "Earlier payment years a run may adjust", &years, &f.adjust_years, errors, true))
                (button("Save the settings"))
            }
        } }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Payment settings",
        body,
        errors,
    ))
}

async fn settings_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SettingsInput>,
) -> Page {
    match state.app.save_payment_settings(&ctx.principal, &f).await {
        Ok(n) => Ok(see_other(&format!("/payments?settings={n}"))),
        Err(AppError::Invalid(e)) => settings_page(&state, &ctx, &f, &e).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------- uplifts ----------------

async fn uplift_form(State(state): State<AppState>, ctx: Ctx) -> Page {
    uplift_page(&state, &ctx, &UpliftInput::default(), &FieldErrors::new()).await
}

async fn uplift_page(state: &AppState, ctx: &Ctx, f: &UpliftInput, errors: &FieldErrors) -> Page {
    let contracts: Vec<(String, String)> = state
        .app
        .uplift_contract_choices(&ctx.principal)
        .await?
        .into_iter()
        .map(|(id, label)| (id.to_string(), label))
        .collect();
    let body = html! {
        (layout::back_link("/payments"))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Apply an uplift" }
            p class="govuk-body" { "A percentage added to the weekly unit rate of every contract paid per client that is in force on the date, or of one contract. Each new rate is rounded to the penny, half up. Each provider is sent a letter with its new rates and a reminder of its fairer charging duty. A date in the past is back-dated: the next payment run pays the difference for periods already paid." }
            form method="post" action="/payments/uplift" novalidate {
                (csrf(&ctx.csrf))
                (layout::input("percent", "Uplift, as a percentage", &f.percent, errors, Opt { required: true, width: Some("4"), hint: Some("For example 2.5; a cut is negative, like -1"), ..Default::default() }))
                (layout::date_input("from_date", "From", &f.from_date, errors, true, None))
                div class={ "govuk-form-group" @if errors.get("contract_id").is_some() { " govuk-form-group--error" } } {
                    label class="govuk-label" for="contract_id" { "Contracts" }
                    @if let Some(e) = errors.get("contract_id") { p id="contract_id-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                    select class="govuk-select" id="contract_id" name="contract_id" {
                        option value="" selected[f.contract_id.is_empty()] { "Every contract paid per client" }
                        @for (v, l) in &contracts { option value=(v) selected[*v == f.contract_id] { (l) } }
                    }
                }
                (layout::input("reason", "Reason", &f.reason, errors, Opt { hint: Some("For example: annual uplift agreed by the commissioning board. Left empty, the letter says the percentage and date."), ..Default::default() }))
                (button("Apply the uplift"))
            }
        } }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Apply an uplift",
        body,
        errors,
    ))
}

async fn uplift_apply(State(state): State<AppState>, ctx: Ctx, Form(f): Form<UpliftInput>) -> Page {
    match state.app.apply_uplift(&ctx.principal, &f).await {
        Ok(done) => Ok(see_other(&format!("/payments?uplifted={}", done.contracts))),
        Err(AppError::Invalid(e)) => uplift_page(&state, &ctx, &f, &e).await,
        Err(e) => Err(e.into()),
    }
}

async fn rate_letter(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, rate)): Path<(i64, i64)>,
) -> Page {
    let (name, bytes) = state.app.rate_letter_pdf(&ctx.principal, id, rate).await?;
    Ok(layout::download("application/pdf", &name, bytes))
}

fn rate_changes_table(changes: &[RateChange]) -> Markup {
    html! {
        table class="govuk-table" {
            caption class="govuk-table__caption govuk-table__caption--m" { "Rate changes" }
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Contract" }
                th scope="col" class="govuk-table__header" { "From" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Before" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "New rate" }
                th scope="col" class="govuk-table__header" { "Reason" }
                th scope="col" class="govuk-table__header" { "Letter" }
            } }
            tbody class="govuk-table__body" {
                @for c in changes {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (c.contract_reference) }
                        td class="govuk-table__cell" { (layout::date(&c.rate.from_date)) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { @if let Some(b) = c.before { (money(b)) } }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (money(Pence(c.rate.weekly_unit_rate_pence))) }
                        td class="govuk-table__cell" { (c.rate.reason) }
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/contracts/" (c.rate.contract_id) "/rates/" (c.rate.id) "/letter.pdf" } { "PDF" span class="govuk-visually-hidden" { " for " (c.contract_reference) " from " (layout::date(&c.rate.from_date)) } } }
                    }
                }
            }
        }
    }
}

// ---------------- a contract's payment terms ----------------

async fn contract_terms(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    contract_page(&state, &ctx, id, &RateInput::default(), &FieldErrors::new()).await
}

async fn contract_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    f: &RateInput,
    errors: &FieldErrors,
) -> Page {
    let c = state.app.contract(&ctx.principal, id).await?;
    let rates = state.app.contract_rates(&ctx.principal, id).await?;
    let changes = state.app.contract_rate_changes(&ctx.principal, id).await?;
    let finance = App::is_finance(&ctx.principal);
    let may_rate = finance || ctx.principal.role() == hearth_domain::Role::ContractsManager;
    let bases: Vec<(&str, &str, Option<&str>)> = PaymentBasis::ALL
        .iter()
        .map(|b| (b.as_str(), b.label(), None))
        .collect();
    let body = html! {
        (layout::back_link(&format!("/contracts/{id}")))
        span class="govuk-caption-l" { (c.reference) }
        h1 class="govuk-heading-l" { "Payment terms" }
        (error_summary(errors))
        (layout::summary_list(&[
            ("How it is paid", html! { (PaymentBasis::parse(&c.payment_basis).map(|b| b.label()).unwrap_or("Per client")) }),
            ("Units", html! { (c.units) }),
            ("Weekly unit rate now", html! { (money(Pence(c.unit_rate_pence))) }),
            ("Annual value now", html! { (money(Pence::annual_contract_value(Pence(c.unit_rate_pence), c.units))) }),
        ]))
        @if finance {
            form method="post" action={ "/contracts/" (id) "/payments" } novalidate {
                (csrf(&ctx.csrf))
                (layout::radios("payment_basis", "How the contract is paid", &bases, &c.payment_basis, errors))
                button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Save how it is paid" }
            }
        }
        h2 class="govuk-heading-m" { "Weekly unit rates" }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "From" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Rate a unit a week" }
            } }
            tbody class="govuk-table__body" {
                @for r in &rates {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (day(r.from)) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (money(r.weekly_unit_rate)) }
                    }
                }
            }
        }
        @if !changes.is_empty() { (rate_changes_table(&changes)) }
        @if may_rate {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                h2 class="govuk-heading-m" { "Add a rate from a date" }
                p class="govuk-body" { "An uplift or a new price. A date in the past is back-dated: the next payment run pays the difference for periods already paid." }
                form method="post" action={ "/contracts/" (id) "/rates" } novalidate {
                    (csrf(&ctx.csrf))
                    (layout::date_input("from_date", "From", &f.from_date, errors, true, None))
                    (layout::input("rate", "Rate a unit a week, in pounds", &f.rate, errors, Opt { required: true, width: Some("5"), hint: Some("For example 18.50"), ..Default::default() }))
                    (layout::input("reason", "Reason", &f.reason, errors, Opt { hint: Some("For example: annual uplift of 2.5%"), ..Default::default() }))
                    (button("Add the rate"))
                }
            } }
        }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Payment terms",
        body,
        errors,
    ))
}

#[derive(Deserialize, Default, serde::Serialize)]
struct BasisForm {
    #[serde(default)]
    payment_basis: String,
}

async fn contract_basis(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<BasisForm>,
) -> Page {
    match state
        .app
        .set_contract_basis(&ctx.principal, id, &f.payment_basis)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/contracts/{id}/payments"))),
        Err(AppError::Invalid(e)) => {
            contract_page(&state, &ctx, id, &RateInput::default(), &e).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn contract_rate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RateInput>,
) -> Page {
    match state.app.add_contract_rate(&ctx.principal, id, &f).await {
        Ok(()) => Ok(see_other(&format!("/contracts/{id}/payments"))),
        Err(AppError::Invalid(e)) => contract_page(&state, &ctx, id, &f, &e).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------- a client's benefit and charges ----------------

#[derive(Deserialize, Default)]
struct ClientQuery {
    removed: Option<String>,
}

async fn client_finance(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ClientQuery>,
) -> Page {
    client_page_removing(
        &state,
        &ctx,
        id,
        &BenefitInput::default(),
        &ChargeInput::default(),
        &FieldErrors::new(),
        if q.removed.is_some() {
            Removal::Done
        } else {
            Removal::None
        },
    )
    .await
}

/// Where the client page's removal of an entry stands.
enum Removal<'a> {
    None,
    /// One was just removed.
    Done,
    /// This one's removal was refused, with the reason typed.
    Failed(ClientEntry, &'a RemoveInput),
}

/// A form to remove one entry recorded by mistake, behind a disclosure; the one whose
/// removal just failed (`failed`) is open, with its error and the reason typed.
fn remove_form(
    ctx: &Ctx,
    action: &str,
    what: &str,
    failed: Option<(&RemoveInput, &FieldErrors)>,
) -> Markup {
    let err = failed.and_then(|(_, e)| e.get("reason"));
    let id = if failed.is_some() {
        "reason".to_string()
    } else {
        format!("reason-{}", action.replace('/', "-"))
    };
    html! {
        details class="govuk-details govuk-!-margin-bottom-2" open[failed.is_some()] {
            summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "Remove this " (what) span class="govuk-visually-hidden" { " recorded by mistake" } } }
            div class="govuk-details__text" {
                form method="post" action=(action) novalidate {
                    (csrf(&ctx.csrf))
                    p class="govuk-body" { "Only for one recorded by mistake: a change of circumstances is recorded from its own date instead. What was paid stays paid; the next payment run pays or recovers the difference." }
                    div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
                        label class="govuk-label" for=(id) { "Why is it removed?" }
                        @if let Some(e) = err { p id={ (id) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                        textarea class={ "govuk-textarea" @if err.is_some() { " govuk-textarea--error" } } id=(id) name="reason" rows="2" aria-describedby=[err.map(|_| format!("{id}-error"))] { (failed.map(|(f, _)| f.reason.as_str()).unwrap_or("")) }
                    }
                    button type="submit" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0" data-module="govuk-button" { "Remove it" }
                }
            }
        }
    }
}

async fn client_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    b: &BenefitInput,
    c: &ChargeInput,
    errors: &FieldErrors,
) -> Page {
    client_page_removing(state, ctx, id, b, c, errors, Removal::None).await
}

async fn client_page_removing(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    b: &BenefitInput,
    c: &ChargeInput,
    errors: &FieldErrors,
    removal: Removal<'_>,
) -> Page {
    let removed = matches!(removal, Removal::Done);
    let removing = match removal {
        Removal::Failed(entry, input) => Some((entry, input)),
        _ => None,
    };
    let failed = |entry: ClientEntry| {
        removing
            .filter(|(e, _)| *e == entry)
            .map(|(_, input)| (input, errors))
    };
    let (benefits, charges) = state.app.client_finance(&ctx.principal, id).await?;
    let write = ctx.principal.has(Permission::BackOfficeWrite);
    let statuses: Vec<(&str, &str, Option<&str>)> = BenefitStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label(), None))
        .collect();
    let kinds: Vec<(&str, &str, Option<&str>)> = ChargeKind::ALL
        .iter()
        .map(|s| (s.as_str(), s.label(), None))
        .collect();
    let body = html! {
        (layout::back_link("/payments"))
        @if removed { (layout::banner("Removed", html! { p class="govuk-body" { "The entry recorded by mistake is removed, and the reason is in the audit trail. The next payment run pays or recovers the difference." } })) }
        span class="govuk-caption-l" { "Client " (id) }
        h1 class="govuk-heading-l" { "Housing benefit and fairer charging" }
        (error_summary(errors))
        p class="govuk-body" { "A client in receipt of housing benefit is fully subsidised. A client of a long-term service who is not has a fairer charging assessment: a nil charge, a weekly charge, or the full cost if they decline to be assessed. Each applies from its date until the next." }
        h2 class="govuk-heading-m" { "Housing benefit status" }
        @if benefits.is_empty() { p class="govuk-body" { "Not recorded: for a long-term service the client's lines are exceptions until it is." } }
        @else {
            ul class="govuk-list" { @for x in &benefits { li {
                (layout::date(&x.from_date)) ": " (BenefitStatus::parse(&x.status).map(|s| s.label()).unwrap_or("")) " (" (x.created_by_name) ")"
                @if write { (remove_form(ctx, &format!("/clients/{id}/benefits/{}/remove", x.id), "status", failed(ClientEntry::Benefit(x.id)))) }
            } } }
        }
        @if write {
            form method="post" action={ "/clients/" (id) "/benefits" } novalidate {
                (csrf(&ctx.csrf))
                (layout::date_input("from_date", "From", &b.from_date, errors, true, None))
                (layout::radios("status", "Status", &statuses, &b.status, errors))
                button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Record the status" }
            }
        }
        h2 class="govuk-heading-m" { "Fairer charging assessments" }
        @if charges.is_empty() { p class="govuk-body" { "None recorded." } }
        @else {
            ul class="govuk-list" { @for x in &charges { li {
                (layout::date(&x.from_date)) ": " (ChargeKind::parse(&x.kind).map(|s| s.label()).unwrap_or(""))
                @if x.kind == "amount" { " of " (money(Pence(x.weekly_charge_pence))) " a week" }
                " (" (x.created_by_name) ")"
                @if write { (remove_form(ctx, &format!("/clients/{id}/charges/{}/remove", x.id), "assessment", failed(ClientEntry::Charge(x.id)))) }
            } } }
        }
        @if write {
            form method="post" action={ "/clients/" (id) "/charges" } novalidate {
                (csrf(&ctx.csrf))
                (layout::date_input_as("charge_from_date", "from_date", "From", &c.from_date, errors, true, None))
                (layout::radios("kind", "Outcome", &kinds, &c.kind, errors))
                (layout::input("weekly_charge", "Weekly charge, in pounds", &c.weekly_charge, errors, Opt { width: Some("5"), hint: Some("For an assessed weekly charge only"), ..Default::default() }))
                button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Record the assessment" }
            }
        }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Housing benefit and fairer charging",
        body,
        errors,
    ))
}

async fn client_benefit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<BenefitInput>,
) -> Page {
    match state.app.record_benefit(&ctx.principal, id, &f).await {
        Ok(()) => Ok(see_other(&format!("/clients/{id}/payments"))),
        Err(AppError::Invalid(e)) => {
            client_page(&state, &ctx, id, &f, &ChargeInput::default(), &e).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn client_charge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ChargeInput>,
) -> Page {
    match state.app.record_charge(&ctx.principal, id, &f).await {
        Ok(()) => Ok(see_other(&format!("/clients/{id}/payments"))),
        Err(AppError::Invalid(e)) => {
            client_page(&state, &ctx, id, &BenefitInput::default(), &f, &e).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove_entry(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    entry: ClientEntry,
    f: &RemoveInput,
) -> Page {
    match state
        .app
        .remove_client_entry(&ctx.principal, id, entry, f)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/clients/{id}/payments?removed=1"))),
        Err(AppError::Invalid(e)) => {
            client_page_removing(
                state,
                ctx,
                id,
                &BenefitInput::default(),
                &ChargeInput::default(),
                &e,
                Removal::Failed(entry, f),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn client_benefit_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, entry)): Path<(i64, i64)>,
    Form(f): Form<RemoveInput>,
) -> Page {
    remove_entry(&state, &ctx, id, ClientEntry::Benefit(entry), &f).await
}

async fn client_charge_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, entry)): Path<(i64, i64)>,
    Form(f): Form<RemoveInput>,
) -> Page {
    remove_entry(&state, &ctx, id, ClientEntry::Charge(entry), &f).await
}

/// The schedule page's section: what was paid for the schedule, period by period.
pub fn schedule_section(lines: &[LineView], client_id: i64, staff: bool) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "Payments" }
        @if lines.is_empty() {
            p class="govuk-body" { "Nothing has been paid for this schedule through Hearth yet." }
        } @else {
            table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Period" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Days" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Charge" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Paid" }
                    th scope="col" class="govuk-table__header" { "Why" }
                } }
                tbody class="govuk-table__body" {
                    @for l in lines {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (l.period) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (l.line.days) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(Pence(l.line.charge_pence))) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (money(Pence(l.line.amount_pence))) }
                            td class="govuk-table__cell" { @if l.line.reason.is_empty() { "Due for the period" } @else { (l.line.reason) } }
                        }
                    }
                }
            }
        }
        @if staff {
            p class="govuk-body" { a class="govuk-link" href={ "/clients/" (client_id) "/payments" } { "Housing benefit and fairer charging of this client" } }
        }
    }
}
