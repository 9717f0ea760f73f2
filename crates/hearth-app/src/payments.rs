//! Payments (C6, F6.1–F6.4, F3.9): the timetable, payment terms (basis and rates), clients'
//! housing benefit statuses and fairer charging assessments, holds, and the four-weekly run:
//! prepare (a job run), preview, approve (a second finance officer), commit (once).
//!
//! A run's lines are worked out from scratch every time (`App::work_out`): for each schedule
//! (or block contract) and each period from the earliest that may still be adjusted to the
//! run's own, what is due now less what was paid. Approval and commit work them out again
//! inside the write that moves the run, which holds the authority's audit chain (every write
//! of the authority waits for it), and refuse when the digest differs from the one
//! previewed: what is paid is exactly what was approved, and is right for the records as
//! they are when it is paid.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use hearth_docs::pdf::{self, Block, Report, Table};
use hearth_domain::calendar::{period_of, Period, Region, RegionCalendar, PERIOD_DAYS};
use hearth_domain::payments::{
    adjustment, block_line, default_run_and_pay_dates, schedule_lines, BenefitStatus, Charge,
    ChargeKind, Dated, LineKind, Paid, PaymentBasis, RateFrom, ScheduleTerms,
};
use hearth_domain::workflow::payment_runs::{self as flow, Status};
use hearth_domain::{parse_date, Pence, Role};
use hearth_store::{
    ClientBenefit, ClientCharge, NewPayLine, PayLine, PayName, PaymentHold, PaymentInputs,
    PaymentRun, RunTotals,
};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::ConflictCode;
use crate::runs::{Progress, RunKind, RunView};
use crate::{App, AppError, FieldErrors, Permission, Principal};
use hearth_domain::runs::RunStatus;

/// The default anchor of payment periods: period 1 of 2026/27 starts on Monday 6 April 2026,
/// and every period is 28 days from it (an authority may set its own, `payments_anchor:ID`).
pub const DEFAULT_ANCHOR: &str = "2026-04-06";

/// A reason, hold or remark is at most this long.
pub const MAX_REASON_CHARS: usize = 500;

/// The authority's payment settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaySettings {
    pub anchor: NaiveDate,
    /// The provider collects clients' charges (deducted from the payment); otherwise the
    /// authority invoices the client.
    pub provider_collects: bool,
    /// Clients of short-term services are charged too.
    pub charge_short_term: bool,
    /// How many payment years before the run's own may still be adjusted (default 1: the
    /// current and the previous year).
    pub adjust_years: u32,
}

/// The most payment years before the run's own that a run may adjust.
pub const MAX_ADJUST_YEARS: u32 = 6;

/// The payment settings form: the anchor as `YYYY-MM-DD`, two yes/no answers and the years.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct SettingsInput {
    #[serde(default)]
    pub anchor: String,
    /// `yes` (the provider collects) or `no` (the authority invoices the client).
    #[serde(default)]
    pub provider_collects: String,
    /// `yes` or `no`.
    #[serde(default)]
    pub charge_short_term: String,
    #[serde(default)]
    pub adjust_years: String,
}

impl SettingsInput {
    pub fn of(s: &PaySettings) -> SettingsInput {
        let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
        SettingsInput {
            anchor: s.anchor.to_string(),
            provider_collects: yes(s.provider_collects),
            charge_short_term: yes(s.charge_short_term),
            adjust_years: s.adjust_years.to_string(),
        }
    }
}

/// One period of the timetable, with where its payment stands.
#[derive(Debug, Clone, PartialEq)]
pub struct TimetableEntry {
    pub period: Period,
    pub run_date: NaiveDate,
    pub pay_date: NaiveDate,
    /// The run of the period that counts: the committed one, or else the newest.
    pub run: Option<PaymentRun>,
}

impl TimetableEntry {
    /// "Scheduled", "Paid", or the newest run's status.
    pub fn status(&self) -> &'static str {
        match self.run.as_ref().and_then(|r| Status::parse(&r.status)) {
            Some(Status::Committed) => "Paid",
            Some(s) if s.is_open() => s.label(),
            _ => "Scheduled",
        }
    }
}

/// A run's totals by kind, provider and service, its exceptions and held lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    pub subsidy: Pence,
    pub block: Pence,
    pub adjustment: Pence,
    /// Clients' charges (deducted where the provider collects them).
    pub charge: Pence,
    pub payable: Pence,
    pub held: Pence,
    pub providers: Vec<ProviderTotal>,
    pub services: Vec<ServiceTotal>,
    pub exceptions: Vec<LineView>,
    pub held_lines: Vec<LineView>,
    /// The biggest changes of each provider's payment against the previous paid run:
    /// (provider, this run, the previous run).
    pub changes: Vec<(String, Pence, Pence)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderTotal {
    pub provider_id: i64,
    pub name: String,
    pub payable: Pence,
    pub held: Pence,
    pub exceptions: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceTotal {
    pub service_id: Option<i64>,
    pub name: String,
    pub provider: String,
    pub subsidy: Pence,
    pub block: Pence,
    pub adjustment: Pence,
    pub charge: Pence,
    pub payable: Pence,
}

/// A line with the names it refers to.
#[derive(Debug, Clone, PartialEq)]
pub struct LineView {
    pub line: PayLine,
    pub provider: String,
    pub service: String,
    pub client: String,
    pub period: String,
}

/// A run as its page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPreview {
    pub run: PaymentRun,
    pub summary: RunSummary,
    /// The job run preparing it, while it is.
    pub job: Option<RunView>,
    /// Whether the viewer may approve it (a finance officer who did not prepare it), commit
    /// it, or see its lines.
    pub may_approve: bool,
    pub may_commit: bool,
    pub may_see_lines: bool,
    /// Why its preparation failed, when its job run gave up just now.
    pub failure: Option<String>,
    /// The authority invoices clients for their charges (providers do not collect them).
    pub authority_invoices: bool,
}

/// What a provider sees of its payments: the timetable and each paid period's total.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderPayments {
    pub timetable: Vec<TimetableEntry>,
    /// (run, this provider's total) for each paid run, newest first.
    pub paid: Vec<(PaymentRun, Pence)>,
    /// Lines held in the last paid run, for the provider (a limited user: their services').
    pub held: Pence,
}

/// The forms.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct RateInput {
    #[serde(default)]
    pub from_date: String,
    #[serde(default)]
    pub rate: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct BenefitInput {
    #[serde(default)]
    pub from_date: String,
    #[serde(default)]
    pub status: String,
}

/// Why a housing benefit status or an assessment recorded by mistake is removed.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct RemoveInput {
    #[serde(default)]
    pub reason: String,
}

/// Which of a client's entries is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEntry {
    Benefit(i64),
    Charge(i64),
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ChargeInput {
    #[serde(default)]
    pub from_date: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub weekly_charge: String,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct HoldInput {
    #[serde(default)]
    pub provider_id: String,
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub reason: String,
}

/// Names by id, for lines.
#[derive(Default)]
pub(crate) struct Names {
    providers: HashMap<i64, PayName>,
    services: HashMap<i64, PayName>,
    clients: HashMap<i64, String>,
}

impl Names {
    pub(crate) fn provider(&self, id: i64) -> String {
        self.providers
            .get(&id)
            .map_or_else(|| format!("Provider {id}"), |p| p.name.clone())
    }
    pub(crate) fn service(&self, id: Option<i64>) -> String {
        id.and_then(|i| self.services.get(&i))
            .map_or_else(String::new, |s| s.name.clone())
    }
    pub(crate) fn client(&self, id: Option<i64>) -> String {
        id.and_then(|i| self.clients.get(&i))
            .cloned()
            .unwrap_or_default()
    }
    fn view(&self, l: &PayLine, periods: &HashMap<String, String>) -> LineView {
        LineView {
            provider: self.provider(l.provider_id),
            service: self.service(l.service_id),
            client: self.client(l.client_id),
            period: periods
                .get(&l.period_start)
                .cloned()
                .unwrap_or_else(|| l.period_start.clone()),
            line: l.clone(),
        }
    }
}

pub(crate) fn ymd(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn shift(d: NaiveDate, days: i64) -> NaiveDate {
    d.checked_add_signed(chrono::Duration::days(days))
        .unwrap_or(d)
}

/// The digest of a run's lines, in order.
pub(crate) fn digest_of(lines: &[NewPayLine]) -> String {
    let mut h = Sha256::new();
    for l in lines {
        for f in l.fields() {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
    }
    hex::encode(h.finalize())
}

fn totals_of(lines: &[NewPayLine]) -> RunTotals {
    RunTotals {
        digest: digest_of(lines),
        lines: lines.len() as i64,
        payable_pence: lines
            .iter()
            .filter(|l| l.state.is_empty())
            .map(|l| l.amount_pence)
            .sum(),
        held_pence: lines
            .iter()
            .filter(|l| l.state == "held")
            .map(|l| l.amount_pence)
            .sum(),
        exceptions: lines
            .iter()
            .filter(|l| !l.state.is_empty() && l.state != "held")
            .count() as i64,
    }
}

/// The key of what is paid once per period: a schedule, or a block contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Schedule(i64),
    Contract(i64),
    /// A day activities service line and week (its Monday).
    DayLine(i64, String),
}

impl App {
    /// Err unless the principal is one of the authority's finance officers.
    pub(crate) fn require_finance(&self, who: &Principal) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::Finance)
    }

    pub fn is_finance(who: &Principal) -> bool {
        who.has(Permission::Finance)
    }

    pub async fn payment_settings(&self, authority_id: i64) -> Result<PaySettings, AppError> {
        let get = |name: &str| format!("{name}:{authority_id}");
        let anchor = self
            .db
            .setting(&get("payments_anchor"))
            .await?
            .and_then(|s| ymd(&s))
            .or_else(|| ymd(DEFAULT_ANCHOR))
            .ok_or_else(|| AppError::Internal("no payment anchor".into()))?;
        let flag =
            |v: Option<String>, default: bool| v.map_or(default, |s| s == "1" || s == "true");
        Ok(PaySettings {
            anchor,
            provider_collects: flag(
                self.db.setting(&get("payments_provider_collects")).await?,
                true,
            ),
            charge_short_term: flag(
                self.db.setting(&get("payments_charge_short_term")).await?,
                false,
            ),
            adjust_years: self
                .db
                .setting(&get("payments_adjust_years"))
                .await?
                .and_then(|s| s.trim().parse::<u32>().ok())
                .filter(|n| *n <= MAX_ADJUST_YEARS)
                .unwrap_or(1),
        })
    }

    /// Writes the settings of `(name, changed, value)` that changed, named `NAME:AUTHORITY`, in
    /// one audited write as `who`; how many changed (none: nothing is written).
    pub(crate) async fn save_changed_settings(
        &self,
        who: &Principal,
        authority_id: i64,
        settings: &[(&str, bool, String)],
    ) -> Result<usize, AppError> {
        let changed: Vec<&(&str, bool, String)> = settings.iter().filter(|s| s.1).collect();
        if changed.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        for (name, _, value) in &changed {
            tx.set_setting(&format!("{name}:{authority_id}"), value)
                .await?;
        }
        tx.commit().await?;
        Ok(changed.len())
    }

    /// The authority's payment settings, for its staff to read, with whether the anchor may
    /// still move (nothing has been paid yet).
    pub async fn payment_settings_of(
        &self,
        who: &Principal,
    ) -> Result<(PaySettings, bool), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let settings = self.payment_settings(who.authority_id()).await?;
        let paid = self
            .db
            .first_paid_period(who.authority_id())
            .await?
            .is_some();
        Ok((settings, !paid))
    }

    /// A finance officer changes the authority's payment settings; each change is audited.
    /// The anchor cannot move once a run has been paid (the paid periods would no longer line
    /// up). Returns how many settings changed.
    pub async fn save_payment_settings(
        &self,
        who: &Principal,
        input: &SettingsInput,
    ) -> Result<usize, AppError> {
        self.require_finance(who)?;
        crate::text::check_lengths(input)?;
        let (now, anchor_free) = self.payment_settings_of(who).await?;
        let mut e = FieldErrors::new();
        let anchor = match e.check("anchor", parse_date(&input.anchor)) {
            None => None,
            Some(d) if !(2000..=2100).contains(&d.year()) => {
                e.add("anchor", "Enter a year between 2000 and 2100");
                None
            }
            Some(d) if d != now.anchor && !anchor_free => {
                e.add(
                    "anchor",
                    "The periods cannot move: a payment run has been paid, and its periods would no longer line up",
                );
                None
            }
            Some(d) => Some(d),
        };
        let yes_no = |e: &mut FieldErrors, field: &str, v: &str, message: &str| match v.trim() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                e.add(field, message);
                None
            }
        };
        let collects = yes_no(
            &mut e,
            "provider_collects",
            &input.provider_collects,
            "Select who collects clients' charges",
        );
        let short_term = yes_no(
            &mut e,
            "charge_short_term",
            &input.charge_short_term,
            "Select whether clients of short-term services are charged",
        );
        let years = match input.adjust_years.trim().parse::<u32>() {
            Ok(n) if n <= MAX_ADJUST_YEARS => Some(n),
            _ => {
                e.add(
                    "adjust_years",
                    format!("Enter a whole number of years from 0 to {MAX_ADJUST_YEARS}"),
                );
                None
            }
        };
        e.into_result()?;
        let (Some(anchor), Some(collects), Some(short_term), Some(years)) =
            (anchor, collects, short_term, years)
        else {
            return Err(AppError::Internal("settings checked".into()));
        };
        let a = who.authority_id();
        self.save_changed_settings(
            who,
            a,
            &[
                ("payments_anchor", anchor != now.anchor, anchor.to_string()),
                (
                    "payments_provider_collects",
                    collects != now.provider_collects,
                    collects.to_string(),
                ),
                (
                    "payments_charge_short_term",
                    short_term != now.charge_short_term,
                    short_term.to_string(),
                ),
                (
                    "payments_adjust_years",
                    years != now.adjust_years,
                    years.to_string(),
                ),
            ],
        )
        .await
    }

    pub(crate) async fn region_calendar(
        &self,
        authority_id: i64,
    ) -> Result<RegionCalendar<'static>, AppError> {
        let region = self
            .db
            .authority(authority_id)
            .await?
            .and_then(|a| Region::parse(&a.region))
            .unwrap_or(Region::EnglandAndWales);
        Ok(RegionCalendar::rules(region))
    }

    /// The period holding `date`.
    pub async fn payment_period(
        &self,
        authority_id: i64,
        date: NaiveDate,
    ) -> Result<Period, AppError> {
        Ok(period_of(
            self.payment_settings(authority_id).await?.anchor,
            date,
        ))
    }

    /// The payment year holding `date`: its 13 periods with their run and pay dates and the
    /// run that counts for each. Staff of the authority and its providers see it.
    pub async fn payment_timetable(
        &self,
        who: &Principal,
        date: NaiveDate,
    ) -> Result<Vec<TimetableEntry>, AppError> {
        who.require_or_hide(Permission::SignedIn)?;
        let aid = match who {
            Principal::Staff { authority_id, .. } | Principal::Provider { authority_id, .. } => {
                *authority_id
            }
            _ => return Err(AppError::NotFound),
        };
        let settings = self.payment_settings(aid).await?;
        let now = period_of(settings.anchor, date);
        let first = shift(now.start, -i64::from(now.number - 1) * PERIOD_DAYS);
        let set = self.db.payment_timetable(aid).await?;
        let cal = self.region_calendar(aid).await?;
        let runs = self.db.payment_runs(aid, 200).await?;
        let mut out = Vec::new();
        for n in 0..13 {
            let p = period_of(settings.anchor, shift(first, n * PERIOD_DAYS));
            let key = p.start.to_string();
            let (run_date, pay_date) = match set.iter().find(|t| t.period_start == key) {
                Some(t) => (
                    ymd(&t.run_date).unwrap_or(p.end),
                    ymd(&t.pay_date).unwrap_or(p.end),
                ),
                None => default_run_and_pay_dates(&p, |d, n| cal.add_working_days(d, n)),
            };
            let of_period: Vec<&PaymentRun> =
                runs.iter().filter(|r| r.period_start == key).collect();
            let run = of_period
                .iter()
                .find(|r| r.status == Status::Committed.as_str())
                .or_else(|| of_period.first())
                .map(|r| (*r).clone());
            out.push(TimetableEntry {
                period: p,
                run_date,
                pay_date,
                run,
            });
        }
        Ok(out)
    }

    /// Sets a period's run and pay dates (finance officers).
    pub async fn set_payment_dates(
        &self,
        who: &Principal,
        period_start: NaiveDate,
        run_date: &str,
        pay_date: &str,
    ) -> Result<(), AppError> {
        self.require_finance(who)?;
        let aid = who.authority_id();
        let p = self.payment_period(aid, period_start).await?;
        if p.start != period_start {
            return Err(AppError::NotFound);
        }
        let mut e = FieldErrors::new();
        let run = e.check("run_date", parse_date(run_date));
        let pay = e.check("pay_date", parse_date(pay_date));
        if let (Some(r), Some(pd)) = (run, pay) {
            if r <= p.end {
                e.add("run_date", "The run date must be after the period ends");
            }
            if pd < r {
                e.add("pay_date", "The pay date must be on or after the run date");
            }
        }
        e.into_result()?;
        let (Some(r), Some(pd)) = (run, pay) else {
            return Err(AppError::invalid("run_date", "Enter the run date"));
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_timetable(aid, &p.start.to_string(), &r.to_string(), &pd.to_string())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The authority's payment runs, newest first. Every member of staff sees them (the
    /// board sees their totals only: see [`App::payment_run`]).
    pub async fn payment_runs(&self, who: &Principal) -> Result<Vec<PaymentRun>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let mut runs = self.db.payment_runs(who.authority_id(), 100).await?;
        for r in &mut runs {
            if r.status == Status::Preparing.as_str() {
                *r = self.follow_preparation(who, r.clone()).await?.0;
            }
        }
        Ok(runs)
    }

    async fn own_run(&self, who: &Principal, id: i64) -> Result<PaymentRun, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        match self.db.payment_run(id).await? {
            Some(r) if r.authority_id == who.authority_id() => Ok(r),
            _ => Err(AppError::NotFound),
        }
    }

    /// Starts preparing a run of the period holding `period_start` (finance officers): a job
    /// run works the lines out. Preparing a period again supersedes its open run; a paid
    /// period cannot be prepared again (what changed since is paid as adjustments in the
    /// next period's run).
    pub async fn prepare_payment_run(
        &self,
        who: &Principal,
        period_start: NaiveDate,
    ) -> Result<PaymentRun, AppError> {
        self.require_finance(who)?;
        let aid = who.authority_id();
        let p = self.payment_period(aid, period_start).await?;
        if p.start > self.today() {
            return Err(AppError::invalid(
                "period",
                format!(
                    "{} begins on {}: nothing is due for it yet",
                    p.name(),
                    hearth_domain::dates::format_date(p.start)
                ),
            ));
        }
        if let Some(last) = self
            .db
            .payment_runs(aid, 200)
            .await?
            .iter()
            .filter(|r| r.status == Status::Committed.as_str())
            .filter_map(|r| ymd(&r.period_start))
            .max()
        {
            if p.start <= last {
                return Err(AppError::invalid(
                    "period",
                    format!(
                        "{} is paid already: choose a later period (changes since are paid as adjustments in the next run)",
                        if p.start == last { p.name() } else { "A later period".to_string() }
                    ),
                ));
            }
        }
        let entry = self
            .payment_timetable(who, p.start)
            .await?
            .into_iter()
            .find(|t| t.period.start == p.start);
        let pay_date = entry.map(|t| t.pay_date.to_string()).unwrap_or_default();
        let mut tx = self.begin_write(&who.actor()).await?;
        let run = tx
            .insert_payment_run(aid, &p.start.to_string(), &p.name(), &pay_date)
            .await?;
        tx.commit().await?;
        let job = self
            .start_run(
                who,
                RunKind::PaymentPrepare,
                json!({ "payment_run_id": run.id }),
            )
            .await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_run_job(run.id, job.id).await?;
        tx.commit().await?;
        Ok(PaymentRun {
            job_run_id: Some(job.id),
            ..run
        })
    }

    /// The job run of a preparation: works the lines out and stores them with the run's
    /// digest and totals.
    pub async fn run_payment_prepare(
        &self,
        run: &RunView,
        progress: &Progress,
    ) -> Result<Value, AppError> {
        let id = run
            .parameters
            .get("payment_run_id")
            .and_then(Value::as_i64)
            .ok_or_else(|| AppError::invalid("payment_run_id", "The run names no payment run"))?;
        let pr = self.db.payment_run(id).await?.ok_or(AppError::NotFound)?;
        if pr.status != Status::Preparing.as_str() {
            return Ok(json!({ "payment_run": id, "status": pr.status }));
        }
        let actor = hearth_store::Actor::system(&format!("payments:{}", run.requested_by));
        let actor = hearth_store::Actor {
            authority_id: Some(pr.authority_id),
            ..actor
        };
        let period_start = ymd(&pr.period_start).ok_or(AppError::NotFound)?;
        progress.step("reading the records").await?;
        let lines = match self
            .work_out(pr.authority_id, period_start, Some(progress))
            .await
        {
            Ok(l) => l,
            Err(e) => {
                let mut tx = self.begin_write(&actor).await?;
                tx.set_run_status(id, "preparing", Status::Failed.as_str())
                    .await?;
                tx.commit().await?;
                return Err(e);
            }
        };
        progress.step("writing the lines").await?;
        let totals = totals_of(&lines);
        let mut tx = self.begin_write(&actor).await?;
        tx.replace_run_lines(id, &lines).await?;
        let moved = tx.mark_run_prepared(id, &totals).await?;
        if moved.is_none() {
            // Superseded while it was being prepared: nothing of it is kept.
            drop(tx);
            return Ok(json!({ "payment_run": id, "status": "superseded" }));
        }
        tx.commit().await?;
        Ok(json!({
            "payment_run": id,
            "lines": totals.lines,
            "payable_pence": totals.payable_pence,
            "held_pence": totals.held_pence,
            "exceptions": totals.exceptions,
        }))
    }

    /// Every line of a run of the period starting `period_start`, worked out from the
    /// records as they are now: for each period from the earliest that may still be adjusted
    /// (the first period of the payment year `adjust_years` before the run's, by default the
    /// previous one, but never before the first period paid in Hearth) to the run's own, what
    /// is due less what was paid.
    pub(crate) async fn work_out(
        &self,
        authority_id: i64,
        period_start: NaiveDate,
        progress: Option<&Progress>,
    ) -> Result<Vec<NewPayLine>, AppError> {
        let settings = self.payment_settings(authority_id).await?;
        let run_period = period_of(settings.anchor, period_start);
        let year_start = shift(
            run_period.start,
            -i64::from(run_period.number - 1) * PERIOD_DAYS,
        );
        let earliest = shift(
            year_start,
            -13 * PERIOD_DAYS * i64::from(settings.adjust_years),
        );
        let first_paid = self
            .db
            .first_paid_period(authority_id)
            .await?
            .and_then(|s| ymd(&s));
        let from = match first_paid {
            Some(f) => f.max(earliest),
            None => run_period.start,
        };
        let mut periods = Vec::new();
        let mut d = from.min(run_period.start);
        while d <= run_period.start {
            periods.push(period_of(settings.anchor, d));
            d = shift(d, PERIOD_DAYS);
        }
        let inputs = self
            .db
            .payment_inputs(
                authority_id,
                &periods
                    .first()
                    .map_or(run_period.start, |p| p.start)
                    .to_string(),
                &run_period.end.to_string(),
            )
            .await?;
        let day = self
            .db
            .day_inputs(
                authority_id,
                &periods
                    .first()
                    .map_or(run_period.start, |p| p.start)
                    .to_string(),
                &run_period.end.to_string(),
            )
            .await?;
        let absence_pay = self.day_settings(authority_id).await?.absence_pay;
        if let Some(p) = progress {
            p.set_total(inputs.schedules.len() as i64).await?;
            p.step("working out what is due").await?;
        }
        let lines = compute(
            &inputs,
            &Actuals {
                day: &day,
                absence_pay,
            },
            &periods,
            &run_period,
            &settings,
            progress,
        );
        Ok(lines)
    }

    /// A run with its totals, exceptions and held lines. The board sees the totals only;
    /// lines, exceptions and downloads are for the rest of the staff.
    pub async fn payment_run(&self, who: &Principal, id: i64) -> Result<RunPreview, AppError> {
        let run = self.own_run(who, id).await?;
        let may_see_lines = who.has(Permission::BackOfficeWrite);
        let lines = self.shown_lines(&run).await?;
        let names = self.names(run.authority_id, &lines).await?;
        let previous = self.previous_paid_totals(&run).await?;
        let mut summary = summarise(
            &lines,
            &names,
            &self.period_names(run.authority_id, &lines).await?,
            &previous,
        );
        if !may_see_lines {
            summary.exceptions.clear();
            summary.held_lines.clear();
            summary.services.clear();
        }
        let (run, job, failure) = self.follow_preparation(who, run).await?;
        let finance = Self::is_finance(who);
        let prepared_it = who.user_id().is_some() && who.user_id() == run.prepared_by;
        Ok(RunPreview {
            may_approve: finance && !prepared_it && run.status == Status::Prepared.as_str(),
            may_commit: finance && run.status == Status::Approved.as_str(),
            may_see_lines,
            summary,
            job,
            failure,
            authority_invoices: !self
                .payment_settings(run.authority_id)
                .await?
                .provider_collects,
            run,
        })
    }

    /// A preparing run with its job run. A preparation whose job run gave up (or was
    /// stopped) is failed, not preparing for ever: it is stored so, with why, and the pages
    /// offer preparing the period again.
    async fn follow_preparation(
        &self,
        who: &Principal,
        mut run: PaymentRun,
    ) -> Result<(PaymentRun, Option<RunView>, Option<String>), AppError> {
        let job = match run.job_run_id {
            Some(j) if run.status == Status::Preparing.as_str() => self.run(who, j).await.ok(),
            _ => None,
        };
        match job {
            Some(j) if matches!(j.status, RunStatus::Failed | RunStatus::Cancelled) => {
                let actor = hearth_store::Actor {
                    authority_id: Some(run.authority_id),
                    ..hearth_store::Actor::system("payments")
                };
                let mut tx = self.begin_write(&actor).await?;
                if tx
                    .set_run_status(run.id, Status::Preparing.as_str(), Status::Failed.as_str())
                    .await?
                    .is_some()
                {
                    tx.commit().await?;
                }
                run.status = Status::Failed.as_str().into();
                let why = j
                    .error
                    .unwrap_or_else(|| "The preparation was stopped.".into());
                Ok((run, None, Some(why)))
            }
            j => Ok((run, j, None)),
        }
    }

    async fn previous_paid_totals(
        &self,
        run: &PaymentRun,
    ) -> Result<HashMap<i64, Pence>, AppError> {
        let prev = self
            .db
            .payment_runs(run.authority_id, 200)
            .await?
            .into_iter()
            .filter(|r| r.status == Status::Committed.as_str() && r.period_start < run.period_start)
            .max_by(|a, b| a.period_start.cmp(&b.period_start));
        let mut out = HashMap::new();
        if let Some(p) = prev {
            for l in self.db.paid_lines(p.id, None).await? {
                let e = out.entry(l.provider_id).or_insert(Pence(0));
                *e = Pence(e.0 + l.amount_pence);
            }
        }
        Ok(out)
    }

    pub(crate) async fn names(
        &self,
        authority_id: i64,
        lines: &[PayLine],
    ) -> Result<Names, AppError> {
        let mut n = Names::default();
        for x in self.db.payment_names(authority_id).await? {
            if x.kind == "provider" {
                n.providers.insert(x.id, x);
            } else {
                n.services.insert(x.id, x);
            }
        }
        let mut ids: Vec<i64> = lines.iter().filter_map(|l| l.client_id).collect();
        ids.sort_unstable();
        ids.dedup();
        for c in self.db.payment_client_names(authority_id, &ids).await? {
            n.clients.insert(c.id, c.name);
        }
        Ok(n)
    }

    pub(crate) async fn period_names(
        &self,
        authority_id: i64,
        lines: &[PayLine],
    ) -> Result<HashMap<String, String>, AppError> {
        let anchor = self.payment_settings(authority_id).await?.anchor;
        let mut out = HashMap::new();
        for l in lines {
            if !out.contains_key(&l.period_start) {
                if let Some(d) = ymd(&l.period_start) {
                    out.insert(l.period_start.clone(), period_of(anchor, d).name());
                }
            }
        }
        Ok(out)
    }

    /// Approves a prepared run: a finance officer other than the one who prepared it. The
    /// lines are worked out again first; if the records changed since the run was prepared,
    /// it is stale and must be prepared again.
    pub async fn approve_payment_run(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<PaymentRun, AppError> {
        let (_, mut tx, _) = self.checked_move(who, id, flow::Event::Approve).await?;
        let approved = tx.approve_run(id).await?.ok_or_else(|| {
            AppError::Conflict(
                ConflictCode::AlreadyDecided,
                "This payment run was approved or replaced a moment ago.".into(),
            )
        })?;
        tx.commit().await?;
        Ok(approved)
    }

    /// The checks an approval and a commit share: a finance officer, the workflow's move
    /// from where the run is, then, inside the write that holds the authority's audit chain,
    /// the run still where it was (another approval or commit may have moved it while this
    /// one waited: that is said, rather than that the records changed) and its lines worked
    /// out again to the digest previewed (otherwise it is stale). Returns the run, the write
    /// and the lines.
    async fn checked_move(
        &self,
        who: &Principal,
        id: i64,
        event: flow::Event,
    ) -> Result<(PaymentRun, crate::AppWrite, Vec<NewPayLine>), AppError> {
        self.require_finance(who)?;
        let run = self.own_run(who, id).await?;
        let from = Status::parse(&run.status).unwrap_or(Status::Failed);
        let by = flow::Actor::Finance {
            prepared_it: who.user_id() == run.prepared_by,
        };
        // Only an approval asks for something to pay; a commit pays what was approved.
        let payable = event != flow::Event::Approve || run.payable_pence != 0;
        flow::next(from, event, by, flow::Facts { payable })
            .map_err(|r| AppError::refused(r, ConflictCode::AlreadyDecided))?;
        let tx = self.begin_write(&who.actor()).await?;
        let now = self.db.payment_run(id).await?.ok_or(AppError::NotFound)?;
        if now.status != run.status {
            return Err(AppError::Conflict(
                ConflictCode::AlreadyDecided,
                format!(
                    "This payment run was moved a moment ago: it is now {}.",
                    Status::parse(&now.status)
                        .map_or("changed", |s| s.label())
                        .to_lowercase()
                ),
            ));
        }
        let lines = self
            .work_out(
                run.authority_id,
                ymd(&run.period_start).ok_or(AppError::NotFound)?,
                None,
            )
            .await?;
        if digest_of(&lines) != run.digest {
            drop(tx);
            return Err(self.mark_stale(who, &run).await);
        }
        Ok((run, tx, lines))
    }

    async fn mark_stale(&self, who: &Principal, run: &PaymentRun) -> AppError {
        let moved = async {
            let mut tx = self.begin_write(&who.actor()).await?;
            tx.set_run_status(run.id, &run.status, Status::Stale.as_str())
                .await?;
            tx.commit().await?;
            Ok::<(), AppError>(())
        }
        .await;
        if let Err(e) = moved {
            return e;
        }
        AppError::Conflict(
            ConflictCode::Stale,
            "The records this run was prepared from have changed since: prepare the period again"
                .into(),
        )
    }

    /// Pays an approved run: its payable lines are written, never to change, in one
    /// transaction with one audit entry (rows, digest), and each provider with lines is sent
    /// its remittance advice. Committing twice pays once: the second finds the run paid.
    pub async fn commit_payment_run(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<PaymentRun, AppError> {
        let (run, mut tx, lines) = self.checked_move(who, id, flow::Event::Commit).await?;
        let Some(paid) = tx.commit_run(id).await? else {
            return Err(AppError::Conflict(
                ConflictCode::AlreadyDecided,
                "This payment run was paid a moment ago.".into(),
            ));
        };
        let payable: Vec<NewPayLine> = lines.into_iter().filter(|l| l.state.is_empty()).collect();
        tx.insert_paid_lines(run.authority_id, id, &payable).await?;
        // Each provider paid is told, at the address it gave.
        let names = self.db.payment_names(run.authority_id).await?;
        let mut by_provider: HashMap<i64, i64> = HashMap::new();
        for l in &payable {
            *by_provider.entry(l.provider_id).or_default() += l.amount_pence;
        }
        let mut providers: Vec<_> = by_provider.into_iter().collect();
        providers.sort();
        for (pid, total) in providers {
            let Some(p) = names.iter().find(|n| n.kind == "provider" && n.id == pid) else {
                continue;
            };
            if p.email.trim().is_empty() {
                continue;
            }
            tx.queue_mail(
                &p.email,
                &format!("Remittance advice: {} ({})", run.period_name, Pence(total)),
                &format!(
                    "{} is paid {} for {}, on {}.\n\nThe remittance advice, with every line and the reason for each adjustment, is on the Payments page of the provider portal.",
                    p.name,
                    Pence(total),
                    run.period_name,
                    ymd(&run.pay_date).map_or_else(|| run.pay_date.clone(), hearth_domain::dates::format_date)
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(paid)
    }

    /// A run's lines as a table (header and rows), for CSV and XLSX: staff other than the
    /// board.
    pub async fn payment_run_table(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<(Vec<String>, Vec<Vec<String>>), AppError> {
        let run = self.own_run(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        let lines = self.shown_lines(&run).await?;
        let names = self.names(run.authority_id, &lines).await?;
        let periods = self.period_names(run.authority_id, &lines).await?;
        Ok(lines_table(&lines, &names, &periods))
    }

    /// A run's lines as its pages show them: a paid run's paid lines with the held lines and
    /// exceptions of its preview; any other run's preview.
    async fn shown_lines(&self, run: &PaymentRun) -> Result<Vec<PayLine>, AppError> {
        if run.status != Status::Committed.as_str() {
            return Ok(self.db.run_lines(run.id, None).await?);
        }
        let mut l = self.db.paid_lines(run.id, None).await?;
        l.extend(
            self.db
                .run_lines(run.id, None)
                .await?
                .into_iter()
                .filter(|x| !x.state.is_empty()),
        );
        Ok(l)
    }

    /// The finance system's file of a paid run: one row per provider and cost centre (the
    /// service type), in the layout operations.md documents.
    pub async fn finance_export_csv(&self, who: &Principal, id: i64) -> Result<Vec<u8>, AppError> {
        let run = self.own_run(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        if run.status != Status::Committed.as_str() {
            return Err(AppError::Conflict(
                ConflictCode::WrongState,
                "The finance file is made when the run is paid.".into(),
            ));
        }
        let lines = self.db.paid_lines(id, None).await?;
        let names = self.names(run.authority_id, &lines).await?;
        let mut sums: std::collections::BTreeMap<(String, String, i64), i64> = Default::default();
        for l in &lines {
            let supplier = names
                .providers
                .get(&l.provider_id)
                .map_or_else(|| l.provider_id.to_string(), |p| p.reference.clone());
            let centre = l
                .service_id
                .and_then(|s| names.services.get(&s))
                .map_or_else(|| "none".to_string(), |s| s.kind.clone());
            *sums.entry((supplier, centre, l.provider_id)).or_default() += l.amount_pence;
        }
        let rows: Vec<Vec<String>> = sums
            .into_iter()
            .map(|((supplier, centre, _), pence)| {
                vec![
                    supplier,
                    run.pay_date.clone(),
                    pounds_text(pence),
                    centre,
                    format!("HEARTH-{}", run.id),
                ]
            })
            .collect();
        hearth_docs::table::csv_bytes(
            &[
                "supplier_reference",
                "payment_date",
                "amount",
                "cost_centre",
                "run_id",
            ],
            &rows,
        )
        .map_err(AppError::Internal)
    }

    /// A provider's remittance advice for a paid run, as PDF: per service and client, the
    /// period, days, units, rate, due, charge and amount of every line, the reason of every
    /// adjustment, and the total. A limited user sees only their services' lines.
    pub async fn remittance_pdf(
        &self,
        who: &Principal,
        run_id: i64,
        provider_id: i64,
    ) -> Result<(String, Vec<u8>), AppError> {
        let (run, lines) = self.remittance_lines(who, run_id, provider_id).await?;
        let names = self.names(run.authority_id, &lines).await?;
        let periods = self.period_names(run.authority_id, &lines).await?;
        let authority = self
            .db
            .authority(run.authority_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let provider = names.provider(provider_id);
        let total: i64 = lines.iter().map(|l| l.amount_pence).sum();
        let mut blocks = vec![
            Block::Paragraph(format!(
                "{} pays {} {} for {}, on {}.",
                authority.name,
                provider,
                Pence(total),
                run.period_name,
                ymd(&run.pay_date)
                    .map_or_else(|| run.pay_date.clone(), hearth_domain::dates::format_date)
            )),
            Block::Paragraph(format!(
                "Payment run {} (reference HEARTH-{}).",
                run.period_name, run.id
            )),
        ];
        let mut services: Vec<Option<i64>> = lines.iter().map(|l| l.service_id).collect();
        services.sort();
        services.dedup();
        for s in services {
            let of: Vec<&PayLine> = lines.iter().filter(|l| l.service_id == s).collect();
            let sub: i64 = of.iter().map(|l| l.amount_pence).sum();
            blocks.push(Block::Heading(format!(
                "{}: {}",
                if s.is_some() {
                    names.service(s)
                } else {
                    "Contract".to_string()
                },
                Pence(sub)
            )));
            blocks.push(Block::Table(Table {
                header: [
                    "Client", "Period", "Days", "Units", "Rate", "Due", "Charge", "Amount",
                    "Reason",
                ]
                .map(String::from)
                .to_vec(),
                rows: of
                    .iter()
                    .map(|l| {
                        vec![
                            names.client(l.client_id),
                            periods.get(&l.period_start).cloned().unwrap_or_default(),
                            l.days.to_string(),
                            l.units.to_string(),
                            Pence(l.rate_pence).to_string(),
                            Pence(l.due_pence).to_string(),
                            Pence(l.charge_pence).to_string(),
                            Pence(l.amount_pence).to_string(),
                            if l.reason.is_empty() {
                                LineKind::parse(&l.kind)
                                    .map(|k| k.label().to_string())
                                    .unwrap_or_default()
                            } else {
                                l.reason.clone()
                            },
                        ]
                    })
                    .collect(),
                widths: vec![2.0, 1.3, 0.6, 0.6, 1.0, 1.0, 1.0, 1.0, 2.5],
            }));
        }
        blocks.push(Block::Heading(format!("Total: {}", Pence(total))));
        blocks.push(Block::Paragraph(
            "Where a client is charged under fairer charging, the charge is shown against their lines. Providers must tell clients of their duty to pay an assessed charge.".into(),
        ));
        let report = Report {
            title: format!("Remittance advice {} – {}", run.period_name, provider),
            author: authority.name.clone(),
            blocks,
        };
        let bytes = pdf::render(&report).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok((
            format!(
                "remittance-{}-{}.pdf",
                run.period_name.replace([' ', '/'], "-"),
                provider_id
            ),
            bytes,
        ))
    }

    /// A provider's paid lines of a paid run with the names they refer to (the JSON API's
    /// remittance), authorised as the remittance advice is.
    pub async fn remittance(
        &self,
        who: &Principal,
        run_id: i64,
        provider_id: i64,
    ) -> Result<(PaymentRun, Vec<LineView>), AppError> {
        let (run, lines) = self.remittance_lines(who, run_id, provider_id).await?;
        let names = self.names(run.authority_id, &lines).await?;
        let periods = self.period_names(run.authority_id, &lines).await?;
        let views = lines.iter().map(|l| names.view(l, &periods)).collect();
        Ok((run, views))
    }

    /// A provider's lines of a paid run, as CSV.
    pub async fn remittance_csv(
        &self,
        who: &Principal,
        run_id: i64,
        provider_id: i64,
    ) -> Result<Vec<u8>, AppError> {
        let (run, lines) = self.remittance_lines(who, run_id, provider_id).await?;
        let names = self.names(run.authority_id, &lines).await?;
        let periods = self.period_names(run.authority_id, &lines).await?;
        let (header, rows) = lines_table(&lines, &names, &periods);
        hearth_docs::table::csv_bytes(&header, &rows).map_err(AppError::Internal)
    }

    /// The paid lines of one provider in a paid run that the principal may see: staff of
    /// the authority, or the provider's own users (a limited user, their services' only).
    pub(crate) async fn remittance_lines(
        &self,
        who: &Principal,
        run_id: i64,
        provider_id: i64,
    ) -> Result<(PaymentRun, Vec<PayLine>), AppError> {
        let run = match self.db.payment_run(run_id).await? {
            Some(r)
                if r.authority_id == who.authority_id()
                    && r.status == Status::Committed.as_str() =>
            {
                r
            }
            _ => return Err(AppError::NotFound),
        };
        let mut lines = self.db.paid_lines(run_id, Some(provider_id)).await?;
        match who {
            Principal::Staff { .. } => {
                who.require(Permission::BackOfficeWrite)?;
            }
            Principal::Provider {
                provider_id: own,
                service_scope,
                ..
            } => {
                if *own != provider_id {
                    return Err(AppError::NotFound);
                }
                if let Some(scope) = service_scope {
                    lines.retain(|l| l.service_id.is_some_and(|s| scope.contains(&s)));
                }
            }
            _ => return Err(AppError::NotFound),
        }
        if lines.is_empty() {
            return Err(AppError::NotFound);
        }
        Ok((run, lines))
    }

    /// The provider's payments: the year's timetable and each paid run's total for it.
    pub async fn provider_payments(&self, who: &Principal) -> Result<ProviderPayments, AppError> {
        let Principal::Provider {
            provider_id,
            authority_id,
            service_scope,
            ..
        } = who
        else {
            return Err(AppError::NotFound);
        };
        let timetable = self.payment_timetable(who, self.today()).await?;
        let runs = self.db.payment_runs(*authority_id, 200).await?;
        let totals: HashMap<i64, i64> = match service_scope {
            None => self
                .db
                .provider_paid_totals(*authority_id, *provider_id)
                .await?
                .into_iter()
                .collect(),
            Some(scope) => {
                let mut t = HashMap::new();
                for r in runs
                    .iter()
                    .filter(|r| r.status == Status::Committed.as_str())
                {
                    let sum: i64 = self
                        .db
                        .paid_lines(r.id, Some(*provider_id))
                        .await?
                        .iter()
                        .filter(|l| l.service_id.is_some_and(|s| scope.contains(&s)))
                        .map(|l| l.amount_pence)
                        .sum();
                    if sum != 0 {
                        t.insert(r.id, sum);
                    }
                }
                t
            }
        };
        let mut paid: Vec<(PaymentRun, Pence)> = runs
            .iter()
            .filter(|r| r.status == Status::Committed.as_str())
            .filter_map(|r| totals.get(&r.id).map(|t| (r.clone(), Pence(*t))))
            .collect();
        paid.sort_by(|a, b| b.0.period_start.cmp(&a.0.period_start));
        let held = match runs.iter().find(|r| r.status == Status::Committed.as_str()) {
            Some(last) => self
                .db
                .run_lines(last.id, Some(*provider_id))
                .await?
                .iter()
                .filter(|l| l.state == "held")
                .filter(|l| {
                    service_scope
                        .as_ref()
                        .is_none_or(|s| l.service_id.is_some_and(|id| s.contains(&id)))
                })
                .map(|l| l.amount_pence)
                .sum(),
            None => 0,
        };
        Ok(ProviderPayments {
            timetable,
            paid,
            held: Pence(held),
        })
    }

    /// What was paid for a schedule, period by period, with the reason of every adjustment
    /// (staff, and the provider's own users for their schedules).
    pub async fn schedule_payments(
        &self,
        who: &Principal,
        schedule_id: i64,
    ) -> Result<Vec<LineView>, AppError> {
        let (_, service) = self.schedule(who, schedule_id).await?;
        let lines = self.db.schedule_paid_lines(schedule_id).await?;
        if lines.is_empty() {
            // Most schedule pages: no names to read.
            return Ok(Vec::new());
        }
        let names = self.names(service.authority_id, &[]).await?;
        let periods = self.period_names(service.authority_id, &lines).await?;
        Ok(lines.iter().map(|l| names.view(l, &periods)).collect())
    }

    /// Sets how a contract is paid (finance officers).
    pub async fn set_contract_basis(
        &self,
        who: &Principal,
        contract_id: i64,
        basis: &str,
    ) -> Result<(), AppError> {
        let c = self.contract(who, contract_id).await?;
        self.require_finance(who)?;
        let basis = PaymentBasis::parse(basis)
            .map_err(|_| AppError::invalid("payment_basis", "Select how the contract is paid"))?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_contract_payment(contract_id, basis.as_str(), c.unit_rate_pence)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A contract's rates from their dates; a contract with none shows its own rate from its
    /// start.
    pub async fn contract_rates(
        &self,
        who: &Principal,
        contract_id: i64,
    ) -> Result<Vec<RateFrom>, AppError> {
        let c = self.contract(who, contract_id).await?;
        let rows = self.db.contract_rates(contract_id).await?;
        Ok(rates_of(&c.start_date, c.unit_rate_pence, &rows))
    }

    /// Adds a weekly unit rate from a date (finance officers and contracts managers): the
    /// rate the contract shows becomes the one in force today.
    pub async fn add_contract_rate(
        &self,
        who: &Principal,
        contract_id: i64,
        input: &RateInput,
    ) -> Result<(), AppError> {
        let c = self.contract(who, contract_id).await?;
        if !(Self::is_finance(who) || who.role() == Role::ContractsManager) {
            return Err(AppError::Forbidden);
        }
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let from = e.check("from_date", parse_date(&input.from_date));
        let rate = e.check("rate", Pence::parse_pounds(&input.rate));
        if input.reason.chars().count() > MAX_REASON_CHARS {
            e.add(
                "reason",
                format!("The reason must be {MAX_REASON_CHARS} characters or fewer"),
            );
        }
        if let (Some(f), Some(start)) = (from, ymd(&c.start_date)) {
            if f <= start {
                e.add("from_date", "The date must be after the contract starts (correct the contract's own rate instead)");
            }
        }
        let existing = self.db.contract_rates(contract_id).await?;
        if let Some(f) = from {
            if existing.iter().any(|r| r.from_date == f.to_string()) {
                e.add(
                    "from_date",
                    "The contract already has a rate from this date",
                );
            }
        }
        e.into_result()?;
        let (Some(from), Some(rate)) = (from, rate) else {
            return Err(AppError::invalid("rate", "Enter the rate"));
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        if existing.is_empty() {
            // The contract's own rate from its start becomes the first row of its history.
            tx.insert_contract_rate(
                contract_id,
                &c.start_date,
                c.unit_rate_pence,
                "The contract's rate",
            )
            .await?;
        }
        tx.insert_contract_rate(contract_id, &from.to_string(), rate.0, input.reason.trim())
            .await?;
        let mut all = rates_of(&c.start_date, c.unit_rate_pence, &existing);
        all.push(RateFrom {
            from,
            weekly_unit_rate: rate,
        });
        let today = self.today();
        let now = all
            .iter()
            .filter(|r| r.from <= today)
            .max_by_key(|r| r.from)
            .map_or(c.unit_rate_pence, |r| r.weekly_unit_rate.0);
        tx.set_contract_payment(contract_id, &c.payment_basis, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A client's housing benefit statuses and fairer charging assessments, if the principal
    /// may see the client (staff of the authority, or a provider with a schedule of theirs).
    pub async fn client_finance(
        &self,
        who: &Principal,
        client_id: i64,
    ) -> Result<(Vec<ClientBenefit>, Vec<ClientCharge>), AppError> {
        self.visible_client(who, client_id).await?;
        Ok((
            self.db.client_benefits(client_id).await?,
            self.db.client_charges(client_id).await?,
        ))
    }

    async fn visible_client(&self, who: &Principal, client_id: i64) -> Result<(), AppError> {
        match self.db.client(client_id).await? {
            Some(c) if c.authority_id == who.authority_id() => {}
            _ => return Err(AppError::NotFound),
        }
        if who.is_staff() {
            return Ok(());
        }
        if self.client_history(who, client_id).await?.is_empty() {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// Records a client's housing benefit status from a date (staff who may change records).
    pub async fn record_benefit(
        &self,
        who: &Principal,
        client_id: i64,
        input: &BenefitInput,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.visible_client(who, client_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let from = e.check("from_date", parse_date(&input.from_date));
        let status = e.check(
            "status",
            BenefitStatus::parse(&input.status).map_err(|_| {
                hearth_domain::FieldError::new("status", "Select the housing benefit status")
            }),
        );
        if let Some(f) = from {
            if self
                .db
                .client_benefits(client_id)
                .await?
                .iter()
                .any(|b| b.from_date == f.to_string())
            {
                e.add("from_date", "A status from this date is recorded already");
            }
        }
        e.into_result()?;
        let (Some(from), Some(status)) = (from, status) else {
            return Err(AppError::invalid(
                "status",
                "Select the housing benefit status",
            ));
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.insert_client_benefit(client_id, &from.to_string(), status.as_str())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a fairer charging assessment from a date.
    pub async fn record_charge(
        &self,
        who: &Principal,
        client_id: i64,
        input: &ChargeInput,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.visible_client(who, client_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let from = e.check("from_date", parse_date(&input.from_date));
        let kind = e.check(
            "kind",
            ChargeKind::parse(&input.kind).map_err(|_| {
                hearth_domain::FieldError::new("kind", "Select the assessment's outcome")
            }),
        );
        let weekly = match kind {
            Some(ChargeKind::Amount) => {
                e.check("weekly_charge", Pence::parse_pounds(&input.weekly_charge))
            }
            _ => Some(Pence(0)),
        };
        if kind == Some(ChargeKind::Amount) && weekly == Some(Pence(0)) {
            e.add(
                "weekly_charge",
                "Enter the weekly charge, or choose a nil charge",
            );
        }
        if let Some(f) = from {
            if self
                .db
                .client_charges(client_id)
                .await?
                .iter()
                .any(|c| c.from_date == f.to_string())
            {
                e.add(
                    "from_date",
                    "An assessment from this date is recorded already",
                );
            }
        }
        e.into_result()?;
        let (Some(from), Some(kind), Some(weekly)) = (from, kind, weekly) else {
            return Err(AppError::invalid("kind", "Select the assessment's outcome"));
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.insert_client_charge(client_id, &from.to_string(), kind.as_str(), weekly.0)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a housing benefit status or an assessment recorded by mistake (staff who may
    /// change records), with the reason in the audit trail. What was paid on it stays paid:
    /// the next run pays or recovers the difference as adjustments.
    pub async fn remove_client_entry(
        &self,
        who: &Principal,
        client_id: i64,
        entry: ClientEntry,
        input: &RemoveInput,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.visible_client(who, client_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        let (benefits, charges) = self.client_finance(who, client_id).await?;
        let found = match entry {
            ClientEntry::Benefit(id) => benefits.iter().any(|b| b.id == id),
            ClientEntry::Charge(id) => charges.iter().any(|c| c.id == id),
        };
        if !found {
            return Err(AppError::NotFound);
        }
        crate::text::check_lengths(input)?;
        let reason = input.reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "Enter why it is removed, for example: recorded against the wrong client",
            ));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(AppError::invalid(
                "reason",
                format!("The reason must be {MAX_REASON_CHARS} characters or fewer"),
            ));
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        match entry {
            ClientEntry::Benefit(id) => tx.remove_client_benefit(id, reason).await?.is_some(),
            ClientEntry::Charge(id) => tx.remove_client_charge(id, reason).await?.is_some(),
        };
        tx.commit().await?;
        Ok(())
    }

    /// The authority's payment holds, those in force first (staff).
    pub async fn payment_holds(
        &self,
        who: &Principal,
    ) -> Result<Vec<(PaymentHold, String, String)>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let holds = self.db.payment_holds(who.authority_id()).await?;
        let names = self.names(who.authority_id(), &[]).await?;
        Ok(holds
            .into_iter()
            .map(|h| {
                let p = names.provider(h.provider_id);
                let s = names.service(h.service_id);
                (h, p, s)
            })
            .collect())
    }

    /// Places a hold on a provider's payments, or one service's (finance officers): its
    /// lines are worked out and shown, not paid, until the hold is lifted.
    pub async fn place_hold(
        &self,
        who: &Principal,
        input: &HoldInput,
    ) -> Result<PaymentHold, AppError> {
        self.require_finance(who)?;
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let provider = match input.provider_id.trim().parse::<i64>() {
            Ok(id) => self.provider(who, id).await.ok(),
            Err(_) => None,
        };
        if provider.is_none() {
            e.add("provider_id", "Select the provider");
        }
        let service_id = match input.service_id.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(id) => match self.service(who, id).await {
                    Ok(svc) if provider.as_ref().is_some_and(|p| p.id == svc.provider_id) => {
                        Some(id)
                    }
                    _ => {
                        e.add(
                            "service_id",
                            "Select one of the provider's services, or the whole provider",
                        );
                        None
                    }
                },
                Err(_) => {
                    e.add(
                        "service_id",
                        "Select one of the provider's services, or the whole provider",
                    );
                    None
                }
            },
        };
        if input.reason.trim().is_empty() {
            e.add("reason", "Enter why the payments are held");
        } else if input.reason.chars().count() > MAX_REASON_CHARS {
            e.add(
                "reason",
                format!("The reason must be {MAX_REASON_CHARS} characters or fewer"),
            );
        }
        e.into_result()?;
        let Some(provider) = provider else {
            return Err(AppError::invalid("provider_id", "Select the provider"));
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        let h = tx
            .insert_payment_hold(
                who.authority_id(),
                provider.id,
                service_id,
                input.reason.trim(),
            )
            .await?;
        tx.commit().await?;
        Ok(h)
    }

    /// Lifts a hold (finance officers): the next run pays what it held.
    pub async fn lift_hold(&self, who: &Principal, id: i64) -> Result<PaymentHold, AppError> {
        self.require_finance(who)?;
        match self.db.payment_hold(id).await? {
            Some(h) if h.authority_id == who.authority_id() => {}
            _ => return Err(AppError::NotFound),
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        let h = tx.lift_payment_hold(id).await?.ok_or_else(|| {
            AppError::Conflict(
                ConflictCode::AlreadyDecided,
                "This hold was lifted already.".into(),
            )
        })?;
        tx.commit().await?;
        Ok(h)
    }
}

/// A contract's rates: its rows, or its own rate from its start when it has none.
pub(crate) fn rates_of(
    start: &str,
    own: i64,
    rows: &[hearth_store::ContractRate],
) -> Vec<RateFrom> {
    let mut v: Vec<RateFrom> = rows
        .iter()
        .filter_map(|r| {
            ymd(&r.from_date).map(|from| RateFrom {
                from,
                weekly_unit_rate: Pence(r.weekly_unit_rate_pence),
            })
        })
        .collect();
    if v.is_empty() {
        if let Some(from) = ymd(start) {
            v.push(RateFrom {
                from,
                weekly_unit_rate: Pence(own),
            });
        }
    }
    v.sort_by_key(|r| r.from);
    v
}

/// What a run reads to pay day activities on actual sessions.
struct Actuals<'a> {
    day: &'a hearth_store::DayInputs,
    absence_pay: hearth_domain::day_activities::AbsencePay,
}

/// Works out every line (see [`App::work_out`]) from what the store read.
fn compute(
    inputs: &PaymentInputs,
    actuals: &Actuals<'_>,
    periods: &[Period],
    run_period: &Period,
    settings: &crate::payments::PaySettings,
    progress: Option<&Progress>,
) -> Vec<NewPayLine> {
    let mut rates: HashMap<i64, Vec<hearth_store::ContractRate>> = HashMap::new();
    for r in &inputs.rates {
        rates.entry(r.contract_id).or_default().push(r.clone());
    }
    let mut by_service: HashMap<i64, Vec<&hearth_store::PayContract>> = HashMap::new();
    let mut blocks: Vec<&hearth_store::PayContract> = Vec::new();
    for c in &inputs.contracts {
        if let Some(s) = c.service_id {
            by_service.entry(s).or_default().push(c);
        }
        if c.payment_basis == PaymentBasis::Block.as_str() && !blocks.iter().any(|b| b.id == c.id) {
            blocks.push(c);
        }
    }
    let mut benefits: HashMap<i64, Vec<Dated<BenefitStatus>>> = HashMap::new();
    for b in &inputs.benefits {
        if let (Some(from), Ok(value)) = (ymd(&b.from_date), BenefitStatus::parse(&b.status)) {
            benefits
                .entry(b.client_id)
                .or_default()
                .push(Dated { from, value });
        }
    }
    let mut charges: HashMap<i64, Vec<Dated<Charge>>> = HashMap::new();
    for c in &inputs.charges {
        if let (Some(from), Ok(kind)) = (ymd(&c.from_date), ChargeKind::parse(&c.kind)) {
            charges.entry(c.client_id).or_default().push(Dated {
                from,
                value: Charge {
                    kind,
                    weekly: Pence(c.weekly_charge_pence),
                },
            });
        }
    }
    let mut paid: HashMap<(Key, String), Paid> = HashMap::new();
    for l in &inputs.paid {
        let key = match (l.schedule_id, l.contract_id) {
            _ if l.day_line_id.is_some() => match (l.day_line_id, ymd(&l.first_date)) {
                (Some(d), Some(first)) => Key::DayLine(
                    d,
                    hearth_domain::day_activities::week_start(first).to_string(),
                ),
                _ => continue,
            },
            (Some(s), _) => Key::Schedule(s),
            (None, Some(c)) => Key::Contract(c),
            _ => continue,
        };
        paid.entry((key, l.period_start.clone())).or_default().add(
            l.days,
            l.units,
            Pence(l.rate_pence),
            Pence(l.due_pence),
            Pence(l.charge_pence),
            Pence(l.amount_pence),
        );
    }
    let hold_of = |provider: i64, service: Option<i64>| -> Option<&str> {
        inputs
            .holds
            .iter()
            .find(|h| {
                h.provider_id == provider && (h.service_id.is_none() || h.service_id == service)
            })
            .map(|h| h.reason.as_str())
    };
    let mut out: Vec<NewPayLine> = Vec::new();
    let emit = |base: NewPayLine, out: &mut Vec<NewPayLine>| {
        let mut l = base;
        if l.state.is_empty() {
            if let Some(reason) = hold_of(l.provider_id, l.service_id) {
                l.state = "held".into();
                l.reason = if l.reason.is_empty() {
                    format!("Held: {reason}")
                } else {
                    format!("{} (held: {reason})", l.reason)
                };
            }
        }
        out.push(l);
    };
    for (i, s) in inputs.schedules.iter().enumerate() {
        if let Some(p) = progress {
            if i % 1000 == 0 {
                p.note(Some(i as i64), None);
            }
        }
        let (Some(start), end) = (ymd(&s.start_date), s.end_date.as_deref().and_then(ymd)) else {
            continue;
        };
        let contracts = by_service.get(&s.service_id).cloned().unwrap_or_default();
        for q in periods {
            let key = (Key::Schedule(s.id), q.start.to_string());
            let was = paid.get(&key);
            if hearth_domain::payments::overlap(start, end, q.start, q.end).is_none()
                && was.is_none()
            {
                continue;
            }
            // The contract that pays the schedule in the period: the latest started that
            // covers the service by then.
            let contract = contracts
                .iter()
                .filter(|c| ymd(&c.start_date).is_some_and(|d| d <= q.end))
                .max_by_key(|c| (c.start_date.clone(), c.id));
            let base = NewPayLine {
                provider_id: s.provider_id,
                service_id: Some(s.service_id),
                contract_id: contract.map(|c| c.id),
                schedule_id: Some(s.id),
                client_id: Some(s.client_id),
                period_start: q.start.to_string(),
                first_date: q.start.to_string(),
                last_date: q.end.to_string(),
                ..NewPayLine::default()
            };
            let Some(contract) = contract else {
                if was.is_none() {
                    emit(
                        NewPayLine {
                            kind: LineKind::Subsidy.as_str().into(),
                            state: hearth_domain::payments::DueProblem::NoContract
                                .code()
                                .into(),
                            reason: hearth_domain::payments::DueProblem::NoContract.message(),
                            ..base
                        },
                        &mut out,
                    );
                }
                continue;
            };
            if contract.payment_basis != PaymentBasis::PerClient.as_str() {
                // Paid by the block or on actuals, not per client.
                continue;
            }
            // A service's contracts one after another (a renewal): each contract's rates
            // from its start until the next one starts, and the last one's end.
            let mut covering: Vec<&&hearth_store::PayContract> = contracts
                .iter()
                .filter(|c| {
                    c.payment_basis == PaymentBasis::PerClient.as_str()
                        && ymd(&c.start_date).is_some_and(|d| d <= q.end)
                })
                .collect();
            covering.sort_by_key(|c| (c.start_date.clone(), c.id));
            let mut rate_list: Vec<RateFrom> = Vec::new();
            for (i, c) in covering.iter().enumerate() {
                let Some(from) = ymd(&c.start_date) else {
                    continue;
                };
                let until = covering.get(i + 1).and_then(|n| ymd(&n.start_date));
                let own = rates_of(
                    &c.start_date,
                    c.unit_rate_pence,
                    rates.get(&c.id).map_or(&[][..], Vec::as_slice),
                );
                let at_start = own
                    .iter()
                    .filter(|r| r.from <= from)
                    .max_by_key(|r| r.from)
                    .or(own.first())
                    .map(|r| r.weekly_unit_rate);
                if let Some(rate) = at_start {
                    rate_list.push(RateFrom {
                        from,
                        weekly_unit_rate: rate,
                    });
                }
                rate_list.extend(
                    own.iter()
                        .filter(|r| r.from > from && until.is_none_or(|u| r.from < u))
                        .copied(),
                );
            }
            let chargeable =
                s.term == hearth_domain::Term::Long.as_str() || settings.charge_short_term;
            let terms = ScheduleTerms {
                start,
                end,
                units: s.units_per_week,
                rates: &rate_list,
                contract_end: ymd(&contract.end_date),
                chargeable,
                benefit: benefits.get(&s.client_id).map_or(&[][..], Vec::as_slice),
                charges: charges.get(&s.client_id).map_or(&[][..], Vec::as_slice),
                provider_collects: settings.provider_collects,
            };
            match schedule_lines(q, &terms) {
                Err(problem) => emit(
                    NewPayLine {
                        kind: LineKind::Subsidy.as_str().into(),
                        state: problem.code().into(),
                        reason: problem.message(),
                        ..base
                    },
                    &mut out,
                ),
                Ok(now) => match was {
                    None => {
                        let late = q.start < run_period.start;
                        for l in now.iter().filter(|l| l.days > 0) {
                            emit(
                                NewPayLine {
                                    kind: if late {
                                        LineKind::Adjustment
                                    } else {
                                        LineKind::Subsidy
                                    }
                                    .as_str()
                                    .into(),
                                    first_date: l.first.to_string(),
                                    last_date: l.last.to_string(),
                                    days: l.days,
                                    units: l.units,
                                    rate_pence: l.weekly_unit_rate.0,
                                    due_pence: l.due.0,
                                    charge_pence: l.charge.0,
                                    amount_pence: l.amount.0,
                                    reason: if late {
                                        "Not paid in its period".into()
                                    } else {
                                        String::new()
                                    },
                                    ..base.clone()
                                },
                                &mut out,
                            );
                        }
                    }
                    Some(paid_before) => {
                        if let Some(a) = adjustment(&now, paid_before) {
                            emit(
                                NewPayLine {
                                    kind: LineKind::Adjustment.as_str().into(),
                                    days: a.days,
                                    due_pence: a.due.0,
                                    charge_pence: a.charge.0,
                                    amount_pence: a.amount.0,
                                    reason: a.reason,
                                    ..base
                                },
                                &mut out,
                            );
                        }
                    }
                },
            }
        }
    }
    for c in blocks {
        let (Some(start), Some(end)) = (ymd(&c.start_date), ymd(&c.end_date)) else {
            continue;
        };
        let rate_list = rates_of(
            &c.start_date,
            c.unit_rate_pence,
            rates.get(&c.id).map_or(&[][..], Vec::as_slice),
        );
        let service = inputs
            .contracts
            .iter()
            .filter(|x| x.id == c.id)
            .find_map(|x| x.service_id);
        for q in periods {
            let rate = rate_list
                .iter()
                .filter(|r| r.from <= q.start.max(start))
                .max_by_key(|r| r.from)
                .map_or(Pence(c.unit_rate_pence), |r| r.weekly_unit_rate);
            let annual = Pence::annual_contract_value(rate, c.units);
            let now: Vec<_> = block_line(q, start, end, annual).into_iter().collect();
            let key = (Key::Contract(c.id), q.start.to_string());
            let base = NewPayLine {
                provider_id: c.provider_id,
                service_id: service,
                contract_id: Some(c.id),
                period_start: q.start.to_string(),
                first_date: q.start.to_string(),
                last_date: q.end.to_string(),
                ..NewPayLine::default()
            };
            match paid.get(&key) {
                None => {
                    let late = q.start < run_period.start;
                    for l in now {
                        emit(
                            NewPayLine {
                                kind: if late {
                                    LineKind::Adjustment
                                } else {
                                    LineKind::Block
                                }
                                .as_str()
                                .into(),
                                first_date: l.first.to_string(),
                                last_date: l.last.to_string(),
                                days: l.days,
                                due_pence: l.due.0,
                                amount_pence: l.amount.0,
                                reason: if late {
                                    format!(
                                        "Block payment of {} not paid in its period",
                                        c.reference
                                    )
                                } else {
                                    format!("Block payment of {}", c.reference)
                                },
                                ..base.clone()
                            },
                            &mut out,
                        );
                    }
                }
                Some(before) => {
                    if let Some(a) = adjustment(&now, before) {
                        emit(
                            NewPayLine {
                                kind: LineKind::Adjustment.as_str().into(),
                                days: a.days,
                                due_pence: a.due.0,
                                amount_pence: a.amount.0,
                                reason: format!("Block payment of {}: {}", c.reference, a.reason),
                                ..base
                            },
                            &mut out,
                        );
                    }
                }
            }
        }
    }
    actual_lines(actuals, &by_service, &paid, periods, run_period, &mut |l| {
        emit(l, &mut out)
    });
    // An exception that stops a schedule in several periods is shown once, at its first
    // period, saying how many periods it holds up.
    // (schedule, contract, service line, exception) → (index of its first line, how many
    // periods).
    type Seen = HashMap<(Option<i64>, Option<i64>, Option<i64>, String), (usize, usize)>;
    let mut firsts: Seen = HashMap::new();
    for (i, l) in out.iter().enumerate() {
        if !l.state.is_empty() && l.state != "held" {
            let e = firsts
                .entry((l.schedule_id, l.contract_id, l.day_line_id, l.state.clone()))
                .or_insert((i, 0));
            e.1 += 1;
        }
    }
    let keep: std::collections::HashSet<usize> = firsts.values().map(|(i, _)| *i).collect();
    for (i, n) in firsts.values() {
        if *n > 1 {
            if let Some(l) = out.get_mut(*i) {
                l.reason = format!("{} ({n} periods unpaid)", l.reason);
            }
        }
    }
    let mut i = 0;
    out.retain(|l| {
        let k = l.state.is_empty() || l.state == "held" || keep.contains(&i);
        i += 1;
        k
    });
    out.sort_by(|a, b| {
        (
            a.provider_id,
            a.service_id,
            a.schedule_id,
            a.contract_id,
            &a.period_start,
            &a.first_date,
            &a.kind,
            a.day_line_id,
        )
            .cmp(&(
                b.provider_id,
                b.service_id,
                b.schedule_id,
                b.contract_id,
                &b.period_start,
                &b.first_date,
                &b.kind,
                b.day_line_id,
            ))
    });
    out
}

/// The lines of day activities paid on actual sessions: for each service line and week (split
/// where a period starts in the middle of one), the confirmed week's paid sessions at the
/// line's rate, or the difference from what was paid. A week not confirmed pays nothing until
/// it is; confirmed after its period's run, it is paid by the next run as an adjustment.
fn actual_lines(
    actuals: &Actuals<'_>,
    by_service: &HashMap<i64, Vec<&hearth_store::PayContract>>,
    paid: &HashMap<(Key, String), Paid>,
    periods: &[Period],
    run_period: &Period,
    emit: &mut dyn FnMut(NewPayLine),
) {
    use hearth_domain::day_activities::{self as day, AbsenceReason, Outcome};
    let confirmed: std::collections::HashSet<(i64, &str)> = actuals
        .day
        .weeks
        .iter()
        .map(|w| (w.service_id, w.week_start.as_str()))
        .collect();
    let mut sessions: HashMap<i64, Vec<&hearth_store::DaySession>> = HashMap::new();
    for x in &actuals.day.sessions {
        sessions.entry(x.line_id).or_default().push(x);
    }
    for line in &actuals.day.lines {
        let contracts = by_service
            .get(&line.service_id)
            .cloned()
            .unwrap_or_default();
        let own = sessions.get(&line.id).map_or(&[][..], Vec::as_slice);
        for q in periods {
            let contract = contracts
                .iter()
                .filter(|c| ymd(&c.start_date).is_some_and(|d| d <= q.end))
                .max_by_key(|c| (c.start_date.clone(), c.id));
            let mut w = day::week_start(q.start);
            while w <= q.end {
                let from = w.max(q.start);
                let to = (w + chrono::Duration::days(6)).min(q.end);
                let week = w.to_string();
                w += chrono::Duration::days(7);
                let key = (Key::DayLine(line.id, week.clone()), q.start.to_string());
                let was = paid.get(&key);
                let is_confirmed = confirmed.contains(&(line.service_id, week.as_str()));
                if !is_confirmed && was.is_none() {
                    continue;
                }
                let recorded: Vec<&&hearth_store::DaySession> = own
                    .iter()
                    .filter(|x| ymd(&x.session_date).is_some_and(|d| d >= from && d <= to))
                    .collect();
                // Sessions after the contract's end are not paid: they are an exception.
                let ends = contract.and_then(|c| ymd(&c.end_date));
                let payable: Vec<NaiveDate> = if is_confirmed {
                    recorded
                        .iter()
                        .filter(|x| {
                            Outcome::parse(&x.outcome).is_ok_and(|o| {
                                day::session_paid(
                                    o,
                                    AbsenceReason::parse(&x.reason).ok(),
                                    x.short_notice != 0,
                                    actuals.absence_pay,
                                )
                            })
                        })
                        .filter_map(|x| ymd(&x.session_date))
                        .collect()
                } else {
                    Vec::new()
                };
                let after_end = payable
                    .iter()
                    .copied()
                    .filter(|d| ends.is_some_and(|e| *d > e))
                    .min();
                let paid_now = payable
                    .iter()
                    .filter(|d| ends.is_none_or(|e| **d <= e))
                    .count() as i64;
                let due =
                    day::actuals_due(u32::try_from(paid_now).unwrap_or(0), Pence(line.rate_pence))
                        .0;
                let week_day =
                    ymd(&week).map_or(week.clone(), |d| d.format("%-d %b %Y").to_string());
                let base = NewPayLine {
                    provider_id: contract.map_or(0, |c| c.provider_id),
                    service_id: Some(line.service_id),
                    contract_id: contract.map(|c| c.id),
                    client_id: Some(line.client_id),
                    day_line_id: Some(line.id),
                    period_start: q.start.to_string(),
                    first_date: from.to_string(),
                    last_date: to.to_string(),
                    units: recorded.len() as i64,
                    rate_pence: line.rate_pence,
                    ..NewPayLine::default()
                };
                let Some(contract) = contract else {
                    if was.is_none() && paid_now > 0 {
                        emit(NewPayLine {
                            kind: LineKind::Subsidy.as_str().into(),
                            state: hearth_domain::payments::DueProblem::NoContract
                                .code()
                                .into(),
                            reason: hearth_domain::payments::DueProblem::NoContract.message(),
                            ..base
                        });
                    }
                    continue;
                };
                if contract.payment_basis != PaymentBasis::Actuals.as_str() {
                    continue;
                }
                if let Some(first_day) = after_end.filter(|_| was.is_none()) {
                    let problem =
                        hearth_domain::payments::DueProblem::ContractExpired { first_day };
                    emit(NewPayLine {
                        kind: LineKind::Subsidy.as_str().into(),
                        state: problem.code().into(),
                        reason: problem.message(),
                        ..base.clone()
                    });
                }
                match was {
                    None if paid_now > 0 => {
                        let late = q.start < run_period.start;
                        emit(NewPayLine {
                            kind: if late {
                                LineKind::Adjustment
                            } else {
                                LineKind::Subsidy
                            }
                            .as_str()
                            .into(),
                            days: paid_now,
                            due_pence: due,
                            amount_pence: due,
                            reason: format!(
                                "Week of {week_day}: {} at {}{}",
                                hearth_domain::text::plural(paid_now, "session", "sessions"),
                                Pence(line.rate_pence),
                                if late { ", not paid in its period" } else { "" }
                            ),
                            ..base
                        });
                    }
                    None => {}
                    Some(before) if before.due.0 != due || before.amount.0 != due => {
                        emit(NewPayLine {
                            kind: LineKind::Adjustment.as_str().into(),
                            days: paid_now - before.days,
                            due_pence: due - before.due.0,
                            amount_pence: due - before.amount.0,
                            reason: format!(
                                "Week of {week_day}: sessions paid changed from {} to {}",
                                before.days, paid_now
                            ),
                            ..base
                        });
                    }
                    Some(_) => {}
                }
            }
        }
    }
}

/// Pence as pounds for files: "1234.50", "-0.50" (a recovery keeps its sign).
pub fn pounds_text(pence: i64) -> String {
    format!(
        "{}{}.{:02}",
        if pence < 0 { "-" } else { "" },
        pence.unsigned_abs() / 100,
        pence.unsigned_abs() % 100
    )
}

fn add(p: &mut Pence, v: i64) {
    p.0 += v;
}

fn summarise(
    lines: &[PayLine],
    names: &Names,
    periods: &HashMap<String, String>,
    previous: &HashMap<i64, Pence>,
) -> RunSummary {
    let mut s = RunSummary::default();
    let mut providers: std::collections::BTreeMap<i64, ProviderTotal> = Default::default();
    let mut services: std::collections::BTreeMap<(i64, Option<i64>), ServiceTotal> =
        Default::default();
    for l in lines {
        let p = providers
            .entry(l.provider_id)
            .or_insert_with(|| ProviderTotal {
                provider_id: l.provider_id,
                name: names.provider(l.provider_id),
                payable: Pence(0),
                held: Pence(0),
                exceptions: 0,
            });
        match l.state.as_str() {
            "" => {
                add(&mut p.payable, l.amount_pence);
                add(&mut s.payable, l.amount_pence);
                add(&mut s.charge, l.charge_pence);
                match LineKind::parse(&l.kind) {
                    Ok(LineKind::Subsidy) => add(&mut s.subsidy, l.amount_pence),
                    Ok(LineKind::Block) => add(&mut s.block, l.amount_pence),
                    _ => add(&mut s.adjustment, l.amount_pence),
                }
                let t = services
                    .entry((l.provider_id, l.service_id))
                    .or_insert_with(|| ServiceTotal {
                        service_id: l.service_id,
                        name: names.service(l.service_id),
                        provider: names.provider(l.provider_id),
                        subsidy: Pence(0),
                        block: Pence(0),
                        adjustment: Pence(0),
                        charge: Pence(0),
                        payable: Pence(0),
                    });
                add(&mut t.payable, l.amount_pence);
                add(&mut t.charge, l.charge_pence);
                match LineKind::parse(&l.kind) {
                    Ok(LineKind::Subsidy) => add(&mut t.subsidy, l.amount_pence),
                    Ok(LineKind::Block) => add(&mut t.block, l.amount_pence),
                    _ => add(&mut t.adjustment, l.amount_pence),
                }
            }
            "held" => {
                add(&mut p.held, l.amount_pence);
                add(&mut s.held, l.amount_pence);
                s.held_lines.push(names.view(l, periods));
            }
            _ => {
                p.exceptions += 1;
                s.exceptions.push(names.view(l, periods));
            }
        }
    }
    let mut changes: Vec<(String, Pence, Pence)> = providers
        .values()
        .map(|p| {
            (
                p.name.clone(),
                p.payable,
                previous.get(&p.provider_id).copied().unwrap_or(Pence(0)),
            )
        })
        .collect();
    for (pid, before) in previous {
        if !providers.contains_key(pid) {
            changes.push((names.provider(*pid), Pence(0), *before));
        }
    }
    changes
        .sort_by_key(|(n, now, before)| (std::cmp::Reverse((now.0 - before.0).abs()), n.clone()));
    changes.truncate(10);
    s.changes = changes;
    s.providers = providers.into_values().collect();
    s.services = services.into_values().collect();
    s
}

fn lines_table(
    lines: &[PayLine],
    names: &Names,
    periods: &HashMap<String, String>,
) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "provider",
        "service",
        "client",
        "schedule",
        "contract",
        "period",
        "kind",
        "first_date",
        "last_date",
        "days",
        "units",
        "weekly_rate",
        "due",
        "charge",
        "amount",
        "state",
        "reason",
    ]
    .map(String::from)
    .to_vec();
    let money = pounds_text;
    let o = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let rows = lines
        .iter()
        .map(|l| {
            vec![
                names.provider(l.provider_id),
                names.service(l.service_id),
                names.client(l.client_id),
                o(l.schedule_id),
                o(l.contract_id),
                periods.get(&l.period_start).cloned().unwrap_or_default(),
                l.kind.clone(),
                l.first_date.clone(),
                l.last_date.clone(),
                l.days.to_string(),
                l.units.to_string(),
                money(l.rate_pence),
                money(l.due_pence),
                money(l.charge_pence),
                money(l.amount_pence),
                match l.state.as_str() {
                    "" => "payable".to_string(),
                    s => s.to_string(),
                },
                l.reason.clone(),
            ]
        })
        .collect();
    (header, rows)
}

#[cfg(test)]
mod tests {
    use super::pounds_text;

    #[test]
    fn amounts_in_files_keep_their_sign_under_a_pound() {
        assert_eq!(pounds_text(123_450), "1234.50");
        assert_eq!(pounds_text(-50), "-0.50");
        assert_eq!(pounds_text(-12_345), "-123.45");
        assert_eq!(pounds_text(7), "0.07");
        assert_eq!(pounds_text(0), "0.00");
    }
}
