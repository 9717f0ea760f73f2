//! Payments in the JSON API (issue 12): the year's timetable, the paid periods (a provider's
//! with its total, the staff's runs), a provider's remittance lines and its reports of a paid
//! period, for providers' own finance systems. Authorised as the pages are.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use hearth_app::payments::TimetableEntry;
use hearth_app::{AppError, Principal};
use hearth_domain::payments::PaymentReport;
use serde::Serialize;

use super::{ok, API};
use crate::error::Page;
use crate::routes::RouteTable;
use crate::session::Ctx;
use crate::AppState;

pub fn register(t: &mut RouteTable) {
    t.get("/api/v1/payments/timetable", API, get(timetable));
    t.get("/api/v1/payments", API, get(paid));
    t.get(
        "/api/v1/payments/{id}/providers/{provider}/lines",
        API,
        get(lines),
    );
    t.get(
        "/api/v1/payments/{id}/providers/{provider}/reports/{report}",
        API,
        get(report),
    );
}

#[derive(Serialize)]
struct Period {
    period: String,
    number: u8,
    start: String,
    end: String,
    run_date: String,
    pay_date: String,
    /// "Scheduled", "Paid", or the open run's status.
    status: &'static str,
}

fn period_from(e: &TimetableEntry) -> Period {
    Period {
        period: e.period.name(),
        number: e.period.number,
        start: e.period.start.to_string(),
        end: e.period.end.to_string(),
        run_date: e.run_date.to_string(),
        pay_date: e.pay_date.to_string(),
        status: e.status(),
    }
}

async fn timetable(State(s): State<AppState>, ctx: Ctx) -> Page {
    let t = s
        .app
        .payment_timetable(&ctx.principal, s.app.today())
        .await?;
    ok(t.iter().map(period_from).collect::<Vec<_>>())
}

#[derive(Serialize)]
struct PaidPeriod {
    run_id: i64,
    period: String,
    period_start: String,
    pay_date: String,
    /// What this provider was paid in the run (a limited user: their services').
    amount_pence: i64,
    lines: String,
}

#[derive(Serialize)]
struct Run {
    id: i64,
    period: String,
    period_start: String,
    status: String,
    pay_date: String,
    lines: i64,
    payable_pence: i64,
    held_pence: i64,
    exceptions: i64,
    prepared_by: String,
    approved_by: Option<String>,
    committed_by: Option<String>,
}

/// A provider's paid periods with its totals; staff: the authority's runs.
async fn paid(State(s): State<AppState>, ctx: Ctx) -> Page {
    if let Principal::Provider { provider_id, .. } = &ctx.principal {
        let p = s.app.provider_payments(&ctx.principal).await?;
        return ok(p
            .paid
            .iter()
            .map(|(r, total)| PaidPeriod {
                run_id: r.id,
                period: r.period_name.clone(),
                period_start: r.period_start.clone(),
                pay_date: r.pay_date.clone(),
                amount_pence: total.0,
                lines: format!("/api/v1/payments/{}/providers/{provider_id}/lines", r.id),
            })
            .collect::<Vec<_>>());
    }
    let runs = s.app.payment_runs(&ctx.principal).await?;
    ok(runs
        .into_iter()
        .map(|r| Run {
            id: r.id,
            period: r.period_name,
            period_start: r.period_start,
            status: r.status,
            pay_date: r.pay_date,
            lines: r.lines_count,
            payable_pence: r.payable_pence,
            held_pence: r.held_pence,
            exceptions: r.exceptions_count,
            prepared_by: r.prepared_by_name,
            approved_by: r.approved_by_name,
            committed_by: r.committed_by_name,
        })
        .collect::<Vec<_>>())
}

#[derive(Serialize)]
struct Line {
    service_id: Option<i64>,
    service: String,
    schedule_id: Option<i64>,
    client_id: Option<i64>,
    client: String,
    contract_id: Option<i64>,
    period: String,
    period_start: String,
    /// subsidy, block or adjustment (an earlier period's difference).
    kind: String,
    first_date: String,
    last_date: String,
    days: i64,
    units: i64,
    weekly_rate_pence: i64,
    due_pence: i64,
    charge_pence: i64,
    amount_pence: i64,
    reason: String,
}

#[derive(Serialize)]
struct Remittance {
    run_id: i64,
    period: String,
    pay_date: String,
    provider_id: i64,
    total_pence: i64,
    lines: Vec<Line>,
}

async fn lines(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((id, provider)): Path<(i64, i64)>,
) -> Page {
    let (run, views) = s.app.remittance(&ctx.principal, id, provider).await?;
    ok(Remittance {
        run_id: run.id,
        period: run.period_name,
        pay_date: run.pay_date,
        provider_id: provider,
        total_pence: views.iter().map(|v| v.line.amount_pence).sum(),
        lines: views
            .into_iter()
            .map(|v| Line {
                service_id: v.line.service_id,
                service: v.service,
                schedule_id: v.line.schedule_id,
                client_id: v.line.client_id,
                client: v.client,
                contract_id: v.line.contract_id,
                period: v.period,
                period_start: v.line.period_start,
                kind: v.line.kind,
                first_date: v.line.first_date,
                last_date: v.line.last_date,
                days: v.line.days,
                units: v.line.units,
                weekly_rate_pence: v.line.rate_pence,
                due_pence: v.line.due_pence,
                charge_pence: v.line.charge_pence,
                amount_pence: v.line.amount_pence,
                reason: v.line.reason,
            })
            .collect(),
    })
}

#[derive(serde::Deserialize, Default)]
struct ReportQuery {
    #[serde(default)]
    service: Option<i64>,
}

#[derive(Serialize)]
struct Section {
    heading: String,
    header: Vec<String>,
    /// Money as pounds with two decimals ("1234.50"), as in the CSV.
    rows: Vec<Vec<String>>,
    total_pence: i64,
}

#[derive(Serialize)]
struct Report {
    report: &'static str,
    title: &'static str,
    run_id: i64,
    period: String,
    provider: String,
    service: Option<String>,
    sections: Vec<Section>,
}

async fn report(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((id, provider, report)): Path<(i64, i64, String)>,
    Query(q): Query<ReportQuery>,
) -> Page {
    let report = PaymentReport::parse(&report).map_err(|_| AppError::NotFound)?;
    let d = s
        .app
        .payment_report(&ctx.principal, id, provider, report, q.service)
        .await?;
    ok(Report {
        report: report.as_str(),
        title: report.label(),
        run_id: d.run.id,
        period: d.run.period_name,
        provider: d.provider,
        service: d.service,
        sections: d
            .sections
            .into_iter()
            .map(|s| Section {
                heading: s.heading,
                header: s.header,
                rows: s.csv_rows,
                total_pence: s.total.0,
            })
            .collect(),
    })
}

/// The payments paths of the API's OpenAPI document.
pub fn openapi_paths() -> serde_json::Value {
    let id = serde_json::json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let provider = serde_json::json!({"name": "provider", "in": "path", "required": true, "schema": {"type": "integer"}});
    let unauthorised = serde_json::json!({"description": "Not signed in", "content": {"application/problem+json": {}}});
    let not_found = serde_json::json!({"description": "No such paid run, report or service, or not yours", "content": {"application/problem+json": {}}});
    serde_json::json!({
        "/payments/timetable": {"get": {"summary": "The payment year's timetable: each four-weekly period with its run date, pay date and status", "responses": {"200": {"description": "OK"}, "401": unauthorised}}},
        "/payments": {"get": {"summary": "Providers: each paid period with what it paid you and a link to its lines. Commissioning staff: the payment runs", "responses": {"200": {"description": "OK"}, "401": unauthorised}}},
        "/payments/{id}/providers/{provider}/lines": {"get": {"summary": "The remittance of a paid run for a provider: every line paid, in pence, with the reason of each adjustment (a limited user: their services' lines)", "parameters": [id, provider], "responses": {"200": {"description": "OK"}, "404": not_found}}},
        "/payments/{id}/providers/{provider}/reports/{report}": {"get": {"summary": format!("One of the reports of a paid period ({}), for all services or ?service=ID", PaymentReport::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")), "parameters": [id, provider, {"name": "report", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "service", "in": "query", "schema": {"type": "integer"}}], "responses": {"200": {"description": "OK"}, "404": not_found}}}
    })
}
