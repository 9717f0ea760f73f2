//! The provider's reports of a paid period (F3.9; the provider portal guidance, 13.2): eight
//! reports of what was paid, for one service or all of a provider's services, as PDF or CSV.
//!
//! Every report is built from the paid lines of one provider in one committed run, read
//! through [`App::remittance_lines`], so it is authorised the way the remittance advice is:
//! staff of the authority, or the provider's own users (a limited user sees their services
//! only, and a service outside their scope is not found).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use hearth_docs::pdf::{self, Block, Report, Table};
use hearth_domain::payments::{
    in_force, BenefitStatus, ChargeKind, Dated, LineKind, PaymentReport,
};
use hearth_domain::Pence;
use hearth_store::{PayLine, PaymentRun, ReportPerson};

use crate::payments::{pounds_text, ymd, Names};
use crate::{App, AppError, Principal};

/// One table of a report: a service's (or, for a summary, the provider's).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSection {
    pub heading: String,
    pub header: Vec<String>,
    /// Cells as people read them (money as "£1,234.50").
    pub rows: Vec<Vec<String>>,
    /// The same rows for a file (money as "1234.50").
    pub csv_rows: Vec<Vec<String>>,
    pub total: Pence,
}

/// A report of a paid period for one provider (and perhaps one service).
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentReportDoc {
    pub report: PaymentReport,
    pub run: PaymentRun,
    pub authority: String,
    pub provider: String,
    /// The one service reported on, if one was chosen.
    pub service: Option<String>,
    pub sections: Vec<ReportSection>,
}

/// The services of a provider's paid lines in a run, for the page that offers the reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportChoices {
    pub run: PaymentRun,
    pub provider: String,
    /// (service id, name, paid), in name order.
    pub services: Vec<(i64, String, Pence)>,
    pub total: Pence,
}

/// A cell: text, or money shown as "£1,234.50" to people and as "1234.50" in files.
enum Cell {
    Text(String),
    Money(i64),
}

/// Rows as people read them and as files hold them.
#[derive(Default)]
struct Rows {
    shown: Vec<Vec<String>>,
    file: Vec<Vec<String>>,
}

impl Rows {
    fn push(&mut self, cells: Vec<Cell>) {
        let mut shown = Vec::with_capacity(cells.len());
        let mut file = Vec::with_capacity(cells.len());
        for c in cells {
            match c {
                Cell::Text(t) => {
                    shown.push(t.clone());
                    file.push(t);
                }
                Cell::Money(p) => {
                    shown.push(Pence(p).to_string());
                    file.push(pounds_text(p));
                }
            }
        }
        self.shown.push(shown);
        self.file.push(file);
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn money(p: i64) -> Cell {
    Cell::Money(p)
}

fn blank() -> Cell {
    Cell::Text(String::new())
}

fn is_current(l: &PayLine) -> bool {
    l.kind != LineKind::Adjustment.as_str()
}

fn reason_of(l: &PayLine) -> String {
    if l.reason.is_empty() {
        LineKind::parse(&l.kind)
            .map(|k| k.label().to_string())
            .unwrap_or_default()
    } else {
        l.reason.clone()
    }
}

/// What the means schedule shows of a client on a day: the housing benefit status and the
/// fairer charging assessment in force.
fn means_on(
    client_id: i64,
    day: NaiveDate,
    benefits: &[hearth_store::ClientBenefit],
    charges: &[hearth_store::ClientCharge],
) -> (String, String, Option<i64>) {
    let b: Vec<Dated<BenefitStatus>> = benefits
        .iter()
        .filter(|b| b.client_id == client_id)
        .filter_map(|b| {
            Some(Dated {
                from: ymd(&b.from_date)?,
                value: BenefitStatus::parse(&b.status).ok()?,
            })
        })
        .collect();
    let c: Vec<Dated<(ChargeKind, i64)>> = charges
        .iter()
        .filter(|c| c.client_id == client_id)
        .filter_map(|c| {
            Some(Dated {
                from: ymd(&c.from_date)?,
                value: (ChargeKind::parse(&c.kind).ok()?, c.weekly_charge_pence),
            })
        })
        .collect();
    let status = in_force(&b, day).map_or("Not recorded", |s| s.label());
    match in_force(&c, day) {
        Some((kind, weekly)) => (
            status.to_string(),
            kind.label().to_string(),
            (kind == ChargeKind::Amount).then_some(weekly),
        ),
        None => (status.to_string(), "No assessment".to_string(), None),
    }
}

fn header(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| (*c).to_string()).collect()
}

/// Builds one report's sections from a provider's paid lines of a run.
fn build(
    report: PaymentReport,
    run: &PaymentRun,
    lines: &[PayLine],
    names: &Names,
    periods: &std::collections::HashMap<String, String>,
    people: &hearth_store::ReportPeople,
) -> Vec<ReportSection> {
    let period = |l: &PayLine| {
        periods
            .get(&l.period_start)
            .cloned()
            .unwrap_or_else(|| l.period_start.clone())
    };
    let person = |l: &PayLine| -> Option<&ReportPerson> {
        l.schedule_id
            .and_then(|s| people.people.iter().find(|p| p.schedule_id == s))
    };
    let day = ymd(&run.period_start).unwrap_or_default();
    let mut services: BTreeMap<(String, Option<i64>), Vec<&PayLine>> = BTreeMap::new();
    for l in lines {
        let name = if l.service_id.is_some() {
            names.service(l.service_id)
        } else {
            "Contract (block payment)".to_string()
        };
        services.entry((name, l.service_id)).or_default().push(l);
    }
    if report == PaymentReport::ServiceSubsidySummary {
        let mut rows = Rows::default();
        let mut total = 0;
        for ((name, _), of) in &services {
            let sum = |f: &dyn Fn(&PayLine) -> bool| -> i64 {
                of.iter().filter(|l| f(l)).map(|l| l.amount_pence).sum()
            };
            let mut clients: Vec<i64> = of.iter().filter_map(|l| l.client_id).collect();
            clients.sort_unstable();
            clients.dedup();
            let charges: i64 = of.iter().map(|l| l.charge_pence).sum();
            let paid: i64 = of.iter().map(|l| l.amount_pence).sum();
            total += paid;
            rows.push(vec![
                text(name.clone()),
                text(clients.len().to_string()),
                money(sum(&|l| l.kind == LineKind::Subsidy.as_str())),
                money(sum(&|l| l.kind == LineKind::Block.as_str())),
                money(sum(&|l| l.kind == LineKind::Adjustment.as_str())),
                money(charges),
                money(paid),
            ]);
        }
        return vec![ReportSection {
            heading: format!("{}: {}", run.period_name, Pence(total)),
            header: header(&[
                "Service",
                "Clients",
                "Subsidy",
                "Block",
                "Adjustments",
                "Charges",
                "Paid",
            ]),
            rows: rows.shown,
            csv_rows: rows.file,
            total: Pence(total),
        }];
    }
    let mut out = Vec::new();
    for ((name, _), of) in services {
        let mut rows = Rows::default();
        let mut total = 0;
        let head: Vec<String>;
        match report {
            PaymentReport::PaymentItems => {
                head = header(&[
                    "Client", "Period", "Kind", "From", "To", "Days", "Units", "Rate", "Due",
                    "Charge", "Amount", "Reason",
                ]);
                for l in &of {
                    total += l.amount_pence;
                    rows.push(vec![
                        text(names.client(l.client_id)),
                        text(period(l)),
                        text(
                            LineKind::parse(&l.kind)
                                .map(|k| k.label().to_string())
                                .unwrap_or_default(),
                        ),
                        text(l.first_date.clone()),
                        text(l.last_date.clone()),
                        text(l.days.to_string()),
                        text(l.units.to_string()),
                        money(l.rate_pence),
                        money(l.due_pence),
                        money(l.charge_pence),
                        money(l.amount_pence),
                        text(l.reason.clone()),
                    ]);
                }
            }
            PaymentReport::ServiceAdjustments => {
                head = header(&["Period adjusted", "Lines", "Due", "Charge", "Amount"]);
                let mut by: BTreeMap<String, (String, i64, i64, i64, i64)> = BTreeMap::new();
                for l in of.iter().filter(|l| !is_current(l)) {
                    let e = by
                        .entry(l.period_start.clone())
                        .or_insert_with(|| (period(l), 0, 0, 0, 0));
                    e.1 += 1;
                    e.2 += l.due_pence;
                    e.3 += l.charge_pence;
                    e.4 += l.amount_pence;
                }
                for (_, (p, n, due, charge, amount)) in by {
                    total += amount;
                    rows.push(vec![
                        text(p),
                        text(n.to_string()),
                        money(due),
                        money(charge),
                        money(amount),
                    ]);
                }
            }
            PaymentReport::ClientAdjustments => {
                head = header(&["Client", "Period adjusted", "Days", "Amount", "Reason"]);
                for l in of.iter().filter(|l| !is_current(l)) {
                    total += l.amount_pence;
                    rows.push(vec![
                        text(names.client(l.client_id)),
                        text(period(l)),
                        text(l.days.to_string()),
                        money(l.amount_pence),
                        text(reason_of(l)),
                    ]);
                }
            }
            PaymentReport::ClientMeans => {
                head = header(&[
                    "Client",
                    "Housing benefit number",
                    "Housing benefit status",
                    "Fairer charging assessment",
                    "Weekly charge",
                    "Charge in the period",
                ]);
                let mut by: BTreeMap<(String, i64), i64> = BTreeMap::new();
                for l in of.iter().filter(|l| is_current(l)) {
                    if let Some(c) = l.client_id {
                        *by.entry((names.client(Some(c)), c)).or_default() += l.charge_pence;
                    }
                }
                for ((client, id), charged) in by {
                    total += charged;
                    let hb = people
                        .people
                        .iter()
                        .find(|p| p.client_id == id)
                        .and_then(|p| p.hb_number.clone())
                        .unwrap_or_default();
                    let (status, assessment, weekly) =
                        means_on(id, day, &people.benefits, &people.charges);
                    rows.push(vec![
                        text(client),
                        text(hb),
                        text(status),
                        text(assessment),
                        weekly.map_or_else(blank, money),
                        money(charged),
                    ]);
                }
            }
            PaymentReport::ClientSubsidy
            | PaymentReport::ClientSubsidyUnits
            | PaymentReport::SubsidyWithClients => {
                head = match report {
                    PaymentReport::ClientSubsidy => header(&[
                        "Client",
                        "Days",
                        "Due",
                        "Charge",
                        "Subsidy",
                        "Adjustments",
                        "Paid",
                    ]),
                    PaymentReport::ClientSubsidyUnits => header(&[
                        "Client",
                        "Unit type",
                        "Units per week",
                        "Weekly rate",
                        "Days",
                        "Subsidy",
                        "Adjustments",
                        "Paid",
                    ]),
                    _ => header(&[
                        "Client",
                        "Date of birth",
                        "NI number",
                        "Housing benefit number",
                        "Postcode",
                        "Tenancy reference",
                        "Start date",
                        "End date",
                        "Paid",
                    ]),
                };
                // One row per schedule (or day activities service line, keyed below every
                // schedule's id): its lines of the period, and its adjustments.
                let mut by: BTreeMap<(String, i64), Vec<&PayLine>> = BTreeMap::new();
                for l in &of {
                    if let Some(s) = l.schedule_id.or(l.day_line_id.map(|d| -d)) {
                        by.entry((names.client(l.client_id), s))
                            .or_default()
                            .push(l);
                    }
                }
                for ((client, _), ls) in by {
                    let cur: Vec<&&PayLine> = ls.iter().filter(|l| is_current(l)).collect();
                    let days: i64 = cur.iter().map(|l| l.days).sum();
                    let due: i64 = cur.iter().map(|l| l.due_pence).sum();
                    let charge: i64 = cur.iter().map(|l| l.charge_pence).sum();
                    let subsidy: i64 = cur.iter().map(|l| l.amount_pence).sum();
                    let adjusted: i64 = ls
                        .iter()
                        .filter(|l| !is_current(l))
                        .map(|l| l.amount_pence)
                        .sum();
                    let paid = subsidy + adjusted;
                    total += paid;
                    let p = ls.first().and_then(|l| person(l));
                    let row = match report {
                        PaymentReport::ClientSubsidy => vec![
                            text(client),
                            text(days.to_string()),
                            money(due),
                            money(charge),
                            money(subsidy),
                            money(adjusted),
                            money(paid),
                        ],
                        PaymentReport::ClientSubsidyUnits => {
                            let last = cur.last().map(|l| **l).or(ls.last().copied());
                            vec![
                                text(client),
                                text(
                                    p.map(|p| p.level.clone())
                                        .filter(|l| !l.is_empty())
                                        .unwrap_or_else(|| "Unit".into()),
                                ),
                                text(last.map(|l| l.units.to_string()).unwrap_or_default()),
                                last.map_or_else(blank, |l| money(l.rate_pence)),
                                text(days.to_string()),
                                money(subsidy),
                                money(adjusted),
                                money(paid),
                            ]
                        }
                        _ => vec![
                            text(client),
                            text(p.and_then(|p| p.date_of_birth.clone()).unwrap_or_default()),
                            text(p.and_then(|p| p.ni_number.clone()).unwrap_or_default()),
                            text(p.and_then(|p| p.hb_number.clone()).unwrap_or_default()),
                            text(p.map(|p| p.postcode.clone()).unwrap_or_default()),
                            text(p.map(|p| p.tenancy_reference.clone()).unwrap_or_default()),
                            text(p.map(|p| p.start_date.clone()).unwrap_or_default()),
                            text(p.and_then(|p| p.end_date.clone()).unwrap_or_default()),
                            money(paid),
                        ],
                    };
                    rows.push(row);
                }
            }
            // Answered above, before the services' sections.
            PaymentReport::ServiceSubsidySummary => head = Vec::new(),
        }
        out.push(ReportSection {
            heading: format!("{name}: {}", Pence(total)),
            header: head,
            rows: rows.shown,
            csv_rows: rows.file,
            total: Pence(total),
        });
    }
    out
}

impl App {
    /// The services a provider was paid for in a paid run, for the reports page.
    pub async fn payment_report_choices(
        &self,
        who: &Principal,
        run_id: i64,
        provider_id: i64,
    ) -> Result<ReportChoices, AppError> {
        let (run, lines) = self.remittance_lines(who, run_id, provider_id).await?;
        let names = self.names(run.authority_id, &[]).await?;
        let mut by: BTreeMap<i64, i64> = BTreeMap::new();
        for l in &lines {
            if let Some(s) = l.service_id {
                *by.entry(s).or_default() += l.amount_pence;
            }
        }
        let mut services: Vec<(i64, String, Pence)> = by
            .into_iter()
            .map(|(id, p)| (id, names.service(Some(id)), Pence(p)))
            .collect();
        services.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(ReportChoices {
            provider: names.provider(provider_id),
            total: Pence(lines.iter().map(|l| l.amount_pence).sum()),
            services,
            run,
        })
    }

    /// One of the provider's reports of a paid run, for one service (`service_id`) or all
    /// of them. A service with no paid lines the viewer may see is not found.
    pub async fn payment_report(
        &self,
        who: &Principal,
        run_id: i64,
        provider_id: i64,
        report: PaymentReport,
        service_id: Option<i64>,
    ) -> Result<PaymentReportDoc, AppError> {
        let (run, mut lines) = self.remittance_lines(who, run_id, provider_id).await?;
        if let Some(s) = service_id {
            lines.retain(|l| l.service_id == Some(s));
            if lines.is_empty() {
                return Err(AppError::NotFound);
            }
        }
        let names = self.names(run.authority_id, &lines).await?;
        let periods = self.period_names(run.authority_id, &lines).await?;
        let mut schedules: Vec<i64> = lines.iter().filter_map(|l| l.schedule_id).collect();
        schedules.sort_unstable();
        schedules.dedup();
        let people = self
            .db
            .payment_report_people(run.authority_id, &schedules)
            .await?;
        let authority = self
            .db
            .authority(run.authority_id)
            .await?
            .ok_or(AppError::NotFound)?
            .name;
        Ok(PaymentReportDoc {
            sections: build(report, &run, &lines, &names, &periods, &people),
            service: service_id.map(|s| names.service(Some(s))),
            provider: names.provider(provider_id),
            authority,
            report,
            run,
        })
    }

    /// A report as PDF: (file name, bytes).
    pub async fn payment_report_pdf(
        &self,
        who: &Principal,
        run_id: i64,
        provider_id: i64,
        report: PaymentReport,
        service_id: Option<i64>,
    ) -> Result<(String, Vec<u8>), AppError> {
        let d = self
            .payment_report(who, run_id, provider_id, report, service_id)
            .await?;
        let mut blocks = vec![Block::Paragraph(format!(
            "{} for {}{}, paid on {} (payment run reference HEARTH-{}). {}",
            d.report.label(),
            d.provider,
            d.service
                .as_ref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
            ymd(&d.run.pay_date)
                .map_or_else(|| d.run.pay_date.clone(), hearth_domain::dates::format_date),
            d.run.id,
            d.report.description()
        ))];
        for s in &d.sections {
            let n = s.header.len();
            blocks.push(Block::Heading(s.heading.clone()));
            if s.rows.is_empty() {
                blocks.push(Block::Paragraph("Nothing of this kind was paid.".into()));
            } else {
                blocks.push(Block::Table(Table {
                    header: s.header.clone(),
                    rows: s.rows.clone(),
                    widths: vec![1.0; n],
                }));
            }
        }
        let report = Report {
            title: format!(
                "{} {} – {}",
                d.report.label(),
                d.run.period_name,
                d.provider
            ),
            author: d.authority.clone(),
            blocks,
        };
        let bytes = pdf::render(&report).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok((file_name(&d, "pdf"), bytes))
    }

    /// A report as CSV, every section's rows under one header with the service first (a
    /// summary has the service in its rows already).
    pub async fn payment_report_csv(
        &self,
        who: &Principal,
        run_id: i64,
        provider_id: i64,
        report: PaymentReport,
        service_id: Option<i64>,
    ) -> Result<(String, Vec<u8>), AppError> {
        let d = self
            .payment_report(who, run_id, provider_id, report, service_id)
            .await?;
        let summary = report == PaymentReport::ServiceSubsidySummary;
        let mut head: Vec<String> = Vec::new();
        let mut rows: Vec<Vec<String>> = Vec::new();
        for s in &d.sections {
            if head.is_empty() {
                if !summary {
                    head.push("Service".into());
                }
                head.extend(s.header.iter().cloned());
            }
            let service = s
                .heading
                .rsplit_once(": ")
                .map_or(s.heading.as_str(), |(a, _)| a)
                .to_string();
            for r in &s.csv_rows {
                let mut row = Vec::with_capacity(r.len() + 1);
                if !summary {
                    row.push(service.clone());
                }
                row.extend(r.iter().cloned());
                rows.push(row);
            }
        }
        let bytes = hearth_docs::table::csv_bytes(&head, &rows).map_err(AppError::Internal)?;
        Ok((file_name(&d, "csv"), bytes))
    }
}

fn file_name(d: &PaymentReportDoc, ext: &str) -> String {
    format!(
        "{}-{}.{ext}",
        d.report.as_str().replace('_', "-"),
        d.run.period_name.replace([' ', '/'], "-")
    )
}

/// A client's invoice of a paid run, where the authority (not the provider) collects clients'
/// charges: the charges on the client's lines, with any change to earlier periods.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientInvoice {
    pub client_id: i64,
    pub name: String,
    pub service: String,
    /// The charge for the run's own period.
    pub charge: Pence,
    /// Changes to the charges of earlier periods (a back-dated assessment).
    pub earlier: Pence,
    pub total: Pence,
}

impl App {
    /// The clients' invoices of a paid run (staff who may change records), where the authority
    /// invoices clients for their charges; a refusal that says so where providers collect them.
    pub async fn client_invoices(
        &self,
        who: &Principal,
        run_id: i64,
    ) -> Result<(PaymentRun, Vec<ClientInvoice>), AppError> {
        who.require_or_hide(crate::Permission::BackOfficeRead)?;
        let run = match self.db.payment_run(run_id).await? {
            Some(r) if r.authority_id == who.authority_id() => r,
            _ => return Err(AppError::NotFound),
        };
        who.require(crate::Permission::BackOfficeWrite)?;
        if self
            .payment_settings(run.authority_id)
            .await?
            .provider_collects
        {
            return Err(AppError::Conflict(
                crate::error::ConflictCode::WrongState,
                "Providers collect clients' charges here, so the authority sends no invoices."
                    .into(),
            ));
        }
        if run.status != "committed" {
            return Err(AppError::Conflict(
                crate::error::ConflictCode::WrongState,
                "Clients' invoices are made when the run is paid.".into(),
            ));
        }
        let lines: Vec<PayLine> = self
            .db
            .paid_lines(run_id, None)
            .await?
            .into_iter()
            .filter(|l| l.charge_pence != 0 && l.client_id.is_some())
            .collect();
        let names = self.names(run.authority_id, &lines).await?;
        let mut by: BTreeMap<(String, i64), ClientInvoice> = BTreeMap::new();
        for l in &lines {
            let Some(c) = l.client_id else { continue };
            let name = names.client(Some(c));
            let e = by
                .entry((name.clone(), c))
                .or_insert_with(|| ClientInvoice {
                    client_id: c,
                    name,
                    service: names.service(l.service_id),
                    charge: Pence(0),
                    earlier: Pence(0),
                    total: Pence(0),
                });
            if is_current(l) {
                e.charge = Pence(e.charge.0 + l.charge_pence);
            } else {
                e.earlier = Pence(e.earlier.0 + l.charge_pence);
            }
            e.total = Pence(e.total.0 + l.charge_pence);
        }
        Ok((run, by.into_values().collect()))
    }

    /// One client's invoice of a paid run, as PDF: each line's period, days and charge, and
    /// the total to pay (a credit when a back-dated assessment lowered it).
    pub async fn client_invoice_pdf(
        &self,
        who: &Principal,
        run_id: i64,
        client_id: i64,
    ) -> Result<(String, Vec<u8>), AppError> {
        let (run, invoices) = self.client_invoices(who, run_id).await?;
        let invoice = invoices
            .into_iter()
            .find(|i| i.client_id == client_id)
            .ok_or(AppError::NotFound)?;
        let lines: Vec<PayLine> = self
            .db
            .paid_lines(run_id, None)
            .await?
            .into_iter()
            .filter(|l| l.client_id == Some(client_id) && l.charge_pence != 0)
            .collect();
        let periods = self.period_names(run.authority_id, &lines).await?;
        let schedules: Vec<i64> = lines.iter().filter_map(|l| l.schedule_id).collect();
        let people = self
            .db
            .payment_report_people(run.authority_id, &schedules)
            .await?;
        let authority = self
            .db
            .authority(run.authority_id)
            .await?
            .ok_or(AppError::NotFound)?
            .name;
        let person = people.people.first();
        let addressed = person.map_or_else(
            || invoice.name.clone(),
            |p| {
                let mut a = format!("{} {}", p.title, p.name).trim().to_string();
                for part in [p.address.as_str(), p.postcode.as_str()] {
                    if !part.trim().is_empty() {
                        a.push_str(", ");
                        a.push_str(part.trim());
                    }
                }
                a
            },
        );
        let rows = lines
            .iter()
            .map(|l| {
                vec![
                    periods.get(&l.period_start).cloned().unwrap_or_default(),
                    format!("{} to {}", l.first_date, l.last_date),
                    l.days.to_string(),
                    if is_current(l) {
                        "Charge".to_string()
                    } else {
                        reason_of(l)
                    },
                    Pence(l.charge_pence).to_string(),
                ]
            })
            .collect();
        let report = Report {
            title: format!("Invoice {} – {}", run.period_name, invoice.name),
            author: authority.clone(),
            blocks: vec![
                Block::Paragraph(format!("To {addressed}")),
                Block::Paragraph(format!(
                    "Invoice HEARTH-{}-{} for {}: your assessed charge under fairer charging for {}, {}.",
                    run.id, client_id, run.period_name, invoice.service, authority
                )),
                Block::Table(Table {
                    header: ["Period", "Dates", "Days", "For", "Charge"]
                        .map(String::from)
                        .to_vec(),
                    rows,
                    widths: vec![1.2, 2.0, 0.6, 2.5, 1.0],
                }),
                Block::Heading(if invoice.total.0 >= 0 {
                    format!("To pay: {}", invoice.total)
                } else {
                    format!("Credit: {}", Pence(-invoice.total.0))
                }),
                Block::Paragraph(
                    "The charge is worked out from your fairer charging assessment. If your housing benefit or your circumstances change, tell us at once so that it can be reviewed.".into(),
                ),
            ],
        };
        let bytes = pdf::render(&report).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok((
            format!(
                "invoice-{}-{client_id}.pdf",
                run.period_name.replace([' ', '/'], "-")
            ),
            bytes,
        ))
    }
}
