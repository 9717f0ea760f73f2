//! Payments (SPEC C6, issue 12): the money rules, exact in integer pence, with no I/O.
//!
//! **The rounding rule, written once:** every line (one schedule, one stretch of days at one
//! rate, one benefit status and one charge) is worked out exactly as a fraction and rounded
//! to the penny **half up** (half away from zero for a recovery); totals are sums of rounded
//! lines and are never rounded again. Weekly amounts are spread by day (÷ 7), start and end
//! dates inclusive.
//!
//! **Adjustments** are differences: for each schedule (or block contract) and period, what
//! is due now minus what was paid, so a back-dated start, end, change of units, rate, benefit
//! or charge pays or recovers exactly the difference, and a second run finds nothing.

use chrono::NaiveDate;

use crate::calendar::Period;
use crate::enums::string_enum;
use crate::Pence;

string_enum! {
    /// How a contract is paid (a field on the contract).
    pub enum PaymentBasis {
        error: ("payment_basis_invalid", "Select how the contract is paid"),
        PerClient => ("per_client", "Per client (units per week at the unit rate)"),
        Block => ("block", "Block (a thirteenth of the annual value each period)"),
        Actuals => ("actuals", "Actual sessions (day activities)"),
    }
}

string_enum! {
    /// A client's housing benefit status from a date (fairer charging).
    pub enum BenefitStatus {
        error: ("benefit_status_invalid", "Select the housing benefit status"),
        InReceipt => ("in_receipt", "In receipt of housing benefit"),
        NotInReceipt => ("not_in_receipt", "Not in receipt of housing benefit"),
        NotKnown => ("not_known", "Not known"),
    }
}

string_enum! {
    /// A fairer charging assessment's outcome.
    pub enum ChargeKind {
        error: ("charge_kind_invalid", "Select the assessment's outcome"),
        Nil => ("nil", "Nil charge"),
        Amount => ("amount", "Assessed weekly charge"),
        FullCost => ("full_cost", "Full cost (assessment declined)"),
    }
}

string_enum! {
    /// What a payment line is for, as the preview totals them.
    pub enum LineKind {
        error: ("line_kind_invalid", "Select a kind of line"),
        Subsidy => ("subsidy", "Subsidy"),
        Block => ("block", "Block payment"),
        Adjustment => ("adjustment", "Adjustment"),
    }
}

string_enum! {
    /// The provider's reports of a paid period (F3.9; the provider portal guidance, 13.2),
    /// each for one service or all of them, as PDF or CSV.
    pub enum PaymentReport {
        error: ("report_invalid", "Select a report"),
        PaymentItems => ("payment_items", "Payment items"),
        ServiceSubsidySummary => ("service_subsidy_summary", "Service subsidy summary"),
        ServiceAdjustments => ("service_adjustment_schedule", "Service adjustment schedule"),
        ClientAdjustments => ("service_user_adjustment_schedule", "Service user adjustment schedule"),
        ClientMeans => ("service_user_means_schedule", "Service user means schedule"),
        ClientSubsidy => ("service_user_subsidy_schedule", "Service user subsidy schedule"),
        ClientSubsidyUnits => ("service_user_subsidy_schedule_with_unit_type", "Service user subsidy schedule with unit type"),
        SubsidyWithClients => ("subsidy_payments_with_client_information", "Subsidy payments with client information"),
    }
}

impl PaymentReport {
    /// What the report lists, for the page that offers it.
    pub fn description(&self) -> &'static str {
        match self {
            Self::PaymentItems => "Every line paid: client, period, days, units, rate, due, charge, amount and the reason for each adjustment.",
            Self::ServiceSubsidySummary => "One row per service: clients, subsidy, block payment, adjustments, charges and the total paid.",
            Self::ServiceAdjustments => "Adjustments of each service totalled by the period they adjust.",
            Self::ClientAdjustments => "Each client's adjustments, with the period, the days and the reason.",
            Self::ClientMeans => "Each client's housing benefit status and fairer charging assessment in the period, and the charge deducted.",
            Self::ClientSubsidy => "Each client's days, what was due, the charge and the subsidy for the period, with adjustments.",
            Self::ClientSubsidyUnits => "Each client's subsidy for the period with the support level and units per week it was paid on.",
            Self::SubsidyWithClients => "Each client's subsidy with their details: date of birth, National Insurance and housing benefit numbers, postcode, tenancy reference and start date.",
        }
    }
}

/// `numerator / denominator` rounded to the nearest whole number, halves away from zero
/// (half up for amounts paid, half down for amounts recovered). `denominator` must be > 0.
pub fn div_round_half_up(numerator: i128, denominator: i128) -> i128 {
    let q = numerator / denominator;
    let r = numerator % denominator;
    if 2 * r.abs() >= denominator {
        q + numerator.signum()
    } else {
        q
    }
}

fn to_pence(v: i128) -> Pence {
    Pence(i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX }))
}

/// The days of `from..=to` (to: None means still going on) inside `start..=end`, as the
/// first and last such day; None when they do not meet.
pub fn overlap(
    from: NaiveDate,
    to: Option<NaiveDate>,
    start: NaiveDate,
    end: NaiveDate,
) -> Option<(NaiveDate, NaiveDate)> {
    let first = from.max(start);
    let last = to.map_or(end, |t| t.min(end));
    (first <= last).then_some((first, last))
}

/// Days from `first` to `last`, both counted.
pub fn days_inclusive(first: NaiveDate, last: NaiveDate) -> i64 {
    (last - first).num_days() + 1
}

/// A weekly amount for some days: `weekly × units × days ÷ 7`, rounded half up (one line).
pub fn pro_rata(weekly_rate: Pence, units: i64, days: i64) -> Pence {
    to_pence(div_round_half_up(
        i128::from(weekly_rate.0) * i128::from(units) * i128::from(days),
        7,
    ))
}

/// A value in force from a date until the next one's date (rates, benefit statuses,
/// charges). Lists may be in any order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated<T> {
    pub from: NaiveDate,
    pub value: T,
}

/// The value of `list` in force on `day`, if any.
pub fn in_force<T: Copy>(list: &[Dated<T>], day: NaiveDate) -> Option<T> {
    list.iter()
        .filter(|d| d.from <= day)
        .max_by_key(|d| d.from)
        .map(|d| d.value)
}

/// A contract's weekly unit rate from a date (until the next rate's date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateFrom {
    pub from: NaiveDate,
    pub weekly_unit_rate: Pence,
}

/// A fairer charging assessment's result: the weekly charge (for `Amount`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    pub kind: ChargeKind,
    pub weekly: Pence,
}

/// One line of what is due: a stretch of days at one rate, benefit status and charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub days: i64,
    pub units: i64,
    pub weekly_unit_rate: Pence,
    /// units × rate × days ÷ 7, rounded half up.
    pub due: Pence,
    /// The client's charge for the days (never more than `due`): deducted from the payment
    /// when the provider collects it, invoiced to the client when the authority does.
    pub charge: Pence,
    /// What is paid to the provider for the line.
    pub amount: Pence,
}

/// A line of the per-client rules before a charge (the first rules' name for it).
pub type DueLine = Line;

/// Why a schedule's days in a period cannot be paid: an exception in the run's preview,
/// which stops the schedule's lines until it is fixed (then the next run pays them as an
/// adjustment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueProblem {
    /// Some of its days have no rate.
    NoRate { first_day: NaiveDate },
    /// Some of its days are after its contract ended.
    ContractExpired { first_day: NaiveDate },
    /// A long-term client's housing benefit status is not known on some days.
    BenefitNotKnown { first_day: NaiveDate },
    /// A client not in receipt of housing benefit has no fairer charging assessment.
    NoAssessment { first_day: NaiveDate },
    /// No contract covers the schedule's service.
    NoContract,
}

impl DueProblem {
    /// What the preview says, and what fixes it.
    pub fn message(&self) -> String {
        let d = |d: &NaiveDate| crate::dates::format_date(*d);
        match self {
            DueProblem::NoRate { first_day } => {
                format!("No unit rate from {}: add the contract's rate", d(first_day))
            }
            DueProblem::ContractExpired { first_day } => format!(
                "The contract ended before {}: extend it or end the schedule",
                d(first_day)
            ),
            DueProblem::BenefitNotKnown { first_day } => format!(
                "Housing benefit status not known from {}: record it on the client",
                d(first_day)
            ),
            DueProblem::NoAssessment { first_day } => format!(
                "Not in receipt of housing benefit from {} with no fairer charging assessment: record one on the client",
                d(first_day)
            ),
            DueProblem::NoContract => {
                "No contract covers the service: add the service to a contract".to_string()
            }
        }
    }

    /// A stable code for exports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            DueProblem::NoRate { .. } => "no_rate",
            DueProblem::ContractExpired { .. } => "contract_expired",
            DueProblem::BenefitNotKnown { .. } => "benefit_not_known",
            DueProblem::NoAssessment { .. } => "no_assessment",
            DueProblem::NoContract => "no_contract",
        }
    }
}

/// Everything the per-client rules need to know of one schedule.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleTerms<'a> {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub units: i64,
    pub rates: &'a [RateFrom],
    /// The last day of the contract that pays it, if it has ended or will.
    pub contract_end: Option<NaiveDate>,
    /// Whether the client may be charged: a long-term service, or a short-term one where the
    /// authority's setting says so.
    pub chargeable: bool,
    pub benefit: &'a [Dated<BenefitStatus>],
    pub charges: &'a [Dated<Charge>],
    /// The provider collects the charge (it is deducted from the payment); otherwise the
    /// authority invoices the client and pays the provider the whole amount due.
    pub provider_collects: bool,
}

impl<'a> ScheduleTerms<'a> {
    /// A schedule with no charging (the first rules' case).
    pub fn uncharged(
        start: NaiveDate,
        end: Option<NaiveDate>,
        units: i64,
        rates: &'a [RateFrom],
    ) -> Self {
        ScheduleTerms {
            start,
            end,
            units,
            rates,
            contract_end: None,
            chargeable: false,
            benefit: &[],
            charges: &[],
            provider_collects: true,
        }
    }
}

fn rate_on(rates: &[RateFrom], day: NaiveDate) -> Option<Pence> {
    rates
        .iter()
        .filter(|r| r.from <= day)
        .max_by_key(|r| r.from)
        .map(|r| r.weekly_unit_rate)
}

/// What is due for one client schedule in a period, on the *per client* basis: one line for
/// each stretch of its days in the period with the same rate, benefit status and charge,
/// `units × rate × days ÷ 7` each, less the client's charge for those days when they are
/// charged. Any day that cannot be paid makes the whole schedule an exception for the period.
pub fn schedule_lines(period: &Period, t: &ScheduleTerms<'_>) -> Result<Vec<Line>, DueProblem> {
    let Some((first, last)) = overlap(t.start, t.end, period.start, period.end) else {
        return Ok(Vec::new());
    };
    if let Some(end) = t.contract_end.filter(|e| *e < last) {
        let first_day = end.succ_opt().unwrap_or(end).max(first);
        return Err(DueProblem::ContractExpired { first_day });
    }
    // The days a stretch can break on: where a rate, status or charge starts.
    let mut breaks: Vec<NaiveDate> = t
        .rates
        .iter()
        .map(|r| r.from)
        .chain(t.benefit.iter().map(|b| b.from))
        .chain(t.charges.iter().map(|c| c.from))
        .filter(|d| *d > first && *d <= last)
        .collect();
    breaks.sort();
    breaks.dedup();
    let mut lines: Vec<Line> = Vec::new();
    let mut day = first;
    let mut ends = breaks.into_iter().map(|b| b.pred_opt().unwrap_or(b));
    while day <= last {
        let until = ends.next().unwrap_or(last).min(last);
        let rate = rate_on(t.rates, day).ok_or(DueProblem::NoRate { first_day: day })?;
        let days = days_inclusive(day, until);
        let due = pro_rata(rate, t.units, days);
        let charge = if t.chargeable {
            match in_force(t.benefit, day).unwrap_or(BenefitStatus::NotKnown) {
                BenefitStatus::InReceipt => Pence(0),
                BenefitStatus::NotKnown => {
                    return Err(DueProblem::BenefitNotKnown { first_day: day })
                }
                BenefitStatus::NotInReceipt => match in_force(t.charges, day) {
                    None => return Err(DueProblem::NoAssessment { first_day: day }),
                    Some(c) => match c.kind {
                        ChargeKind::Nil => Pence(0),
                        ChargeKind::Amount => pro_rata(c.weekly, 1, days),
                        ChargeKind::FullCost => due,
                    },
                },
            }
        } else {
            Pence(0)
        };
        let (subsidy, taken) = subsidy_after_charge(due, charge);
        let line = Line {
            first: day,
            last: until,
            days,
            units: t.units,
            weekly_unit_rate: rate,
            due,
            charge: taken,
            amount: if t.provider_collects { subsidy } else { due },
        };
        // Two stretches that differ in nothing (a status restated) are one line.
        match lines.last_mut() {
            Some(prev)
                if prev.weekly_unit_rate == rate
                    && prev.charge.0 == 0
                    && taken.0 == 0
                    && prev.last.succ_opt() == Some(day) =>
            {
                prev.last = until;
                prev.days += days;
                prev.due = pro_rata(rate, t.units, prev.days);
                prev.amount = prev.due;
            }
            _ => lines.push(line),
        }
        match until.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    Ok(lines)
}

/// What is due for one client schedule in a period with no charging: one line for each
/// stretch of its days in the period at one rate. `rates` may be in any order; a rate
/// applies from its date until the next one's.
pub fn per_client_due(
    period: &Period,
    schedule_start: NaiveDate,
    schedule_end: Option<NaiveDate>,
    units_per_week: i64,
    rates: &[RateFrom],
) -> Result<Vec<Line>, DueProblem> {
    schedule_lines(
        period,
        &ScheduleTerms::uncharged(schedule_start, schedule_end, units_per_week, rates),
    )
}

/// A *block* contract's payment for one period: its annual value ÷ 13, rounded half up,
/// whatever the occupancy.
pub fn block_due(annual_value: Pence) -> Pence {
    to_pence(div_round_half_up(i128::from(annual_value.0), 13))
}

/// A block contract's line for a period: a thirteenth of its annual value for a whole
/// period, and for the days of a period it covers only in part, that share of the 364 days
/// of a payment year (`annual × days ÷ 364`, which for 28 days is exactly a thirteenth).
pub fn block_line(
    period: &Period,
    contract_start: NaiveDate,
    contract_end: NaiveDate,
    annual_value: Pence,
) -> Option<Line> {
    let (first, last) = overlap(contract_start, Some(contract_end), period.start, period.end)?;
    let days = days_inclusive(first, last);
    let due = to_pence(div_round_half_up(
        i128::from(annual_value.0) * i128::from(days),
        i128::from(crate::calendar::PERIOD_YEAR_DAYS),
    ));
    Some(Line {
        first,
        last,
        days,
        units: 0,
        weekly_unit_rate: Pence(0),
        due,
        charge: Pence(0),
        amount: due,
    })
}

/// The subsidy and the charge taken for a line: subsidy = due − charge, never below zero;
/// the charge taken is never more than what is due.
pub fn subsidy_after_charge(due: Pence, charge: Pence) -> (Pence, Pence) {
    let taken = Pence(charge.0.clamp(0, due.0.max(0)));
    (Pence(due.0 - taken.0), taken)
}

/// A rate after an uplift of `basis_points` (250 = 2.5%), rounded half up.
pub fn uplifted(rate: Pence, basis_points: i64) -> Pence {
    to_pence(div_round_half_up(
        i128::from(rate.0) * i128::from(10_000 + basis_points),
        10_000,
    ))
}

/// The largest uplift (or cut) one action applies: 25%.
pub const MAX_UPLIFT_BASIS_POINTS: i64 = 2_500;

/// An uplift's percentage as basis points: "2.5" or "2.5%" is 250, "-1.25" is -125; at most
/// two decimal places, not zero, and within ±25%.
pub fn parse_percent(text: &str) -> Result<i64, crate::FieldError> {
    let bad = || {
        crate::FieldError::new(
            "percent_invalid",
            "Enter the uplift as a percentage, like 2.5",
        )
    };
    let t = text.trim().trim_end_matches('%').trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty()
        || whole.len() > 3
        || frac.len() > 2
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    let bp = w * 100 + f;
    if bp == 0 {
        return Err(crate::FieldError::new(
            "percent_zero",
            "An uplift of 0% changes nothing: enter the percentage",
        ));
    }
    if bp > MAX_UPLIFT_BASIS_POINTS {
        return Err(crate::FieldError::new(
            "percent_too_large",
            "An uplift must be 25% or less",
        ));
    }
    Ok(if negative { -bp } else { bp })
}

/// "2.5%" for 250 basis points, "-1.25%" for -125.
pub fn percent_text(basis_points: i64) -> String {
    let sign = if basis_points < 0 { "-" } else { "" };
    let a = basis_points.abs();
    let frac = a % 100;
    if frac == 0 {
        format!("{sign}{}%", a / 100)
    } else if frac % 10 == 0 {
        format!("{sign}{}.{}%", a / 100, frac / 10)
    } else {
        format!("{sign}{}.{frac:02}%", a / 100)
    }
}

/// What was paid before for one schedule (or block contract) and period: the committed
/// lines' sums and the facts the reason of a change is told from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paid {
    pub days: i64,
    pub due: Pence,
    pub charge: Pence,
    pub amount: Pence,
    /// The units and rates of the lines paid (adjustments carry none).
    pub units: Vec<i64>,
    pub rates: Vec<Pence>,
}

impl Paid {
    /// Adds a committed line.
    pub fn add(
        &mut self,
        days: i64,
        units: i64,
        rate: Pence,
        due: Pence,
        charge: Pence,
        amount: Pence,
    ) {
        self.days += days;
        self.due = Pence(self.due.0 + due.0);
        self.charge = Pence(self.charge.0 + charge.0);
        self.amount = Pence(self.amount.0 + amount.0);
        if rate.0 != 0 || units != 0 {
            if !self.units.contains(&units) {
                self.units.push(units);
            }
            if !self.rates.contains(&rate) {
                self.rates.push(rate);
            }
        }
    }
}

/// The difference between what is due now for a schedule and period and what was paid:
/// None when they agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub days: i64,
    pub due: Pence,
    pub charge: Pence,
    pub amount: Pence,
    pub reason: String,
}

/// An adjustment for one schedule and period that has been paid before, or None when what
/// is due now is what was paid. `days` is the change in days paid.
pub fn adjustment(now: &[Line], paid: &Paid) -> Option<Adjustment> {
    let days: i64 = now.iter().map(|l| l.days).sum();
    let due = Pence(now.iter().map(|l| l.due.0).sum());
    let charge = Pence(now.iter().map(|l| l.charge.0).sum());
    let amount = Pence(now.iter().map(|l| l.amount.0).sum());
    if amount == paid.amount && charge == paid.charge && due == paid.due {
        return None;
    }
    let mut why: Vec<String> = Vec::new();
    if now.is_empty() {
        why.push("no longer due (the schedule's dates changed)".into());
    } else if days != paid.days {
        why.push(format!("days due changed from {} to {}", paid.days, days));
    }
    let units: Vec<i64> = now.iter().map(|l| l.units).collect();
    if !now.is_empty() && !paid.units.is_empty() && !units.iter().all(|u| paid.units.contains(u)) {
        why.push(format!(
            "units per week changed from {} to {}",
            join(&paid.units),
            join(&units)
        ));
    }
    let rates: Vec<Pence> = now.iter().map(|l| l.weekly_unit_rate).collect();
    if !now.is_empty() && !paid.rates.is_empty() && !rates.iter().all(|r| paid.rates.contains(r)) {
        why.push(format!(
            "unit rate changed from {} to {}",
            join(&paid.rates),
            join(&rates)
        ));
    }
    if charge != paid.charge {
        why.push(format!("charge changed from {} to {}", paid.charge, charge));
    }
    if why.is_empty() {
        why.push("recalculated".into());
    }
    let mut reason = why.join("; ");
    if let Some(c) = reason.get(..1) {
        reason = c.to_uppercase() + &reason[1..];
    }
    Some(Adjustment {
        days: days - paid.days,
        due: Pence(due.0 - paid.due.0),
        charge: Pence(charge.0 - paid.charge.0),
        amount: Pence(amount.0 - paid.amount.0),
        reason,
    })
}

fn join<T: std::fmt::Display + PartialEq>(v: &[T]) -> String {
    let mut seen: Vec<&T> = Vec::new();
    for x in v {
        if !seen.contains(&x) {
            seen.push(x);
        }
    }
    seen.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The timetable's default dates for a period: the run on the fourth working day after the
/// period ends, and the payment on the fifth working day after the run (both moved past
/// weekends and bank holidays by `working_day`).
pub fn default_run_and_pay_dates(
    period: &Period,
    next_working_day: impl Fn(NaiveDate, u32) -> Option<NaiveDate>,
) -> (NaiveDate, NaiveDate) {
    let run = next_working_day(period.end, 4).unwrap_or(period.end);
    let pay = next_working_day(run, 5).unwrap_or(run);
    (run, pay)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn an_uplift_percentage_is_read_to_the_basis_point_and_bounded() {
        assert_eq!(parse_percent("2.5"), Ok(250));
        assert_eq!(parse_percent(" 2.5% "), Ok(250));
        assert_eq!(parse_percent("3"), Ok(300));
        assert_eq!(parse_percent("0.75"), Ok(75));
        assert_eq!(parse_percent(".5"), Ok(50));
        assert_eq!(parse_percent("-1.25"), Ok(-125));
        assert_eq!(parse_percent("25"), Ok(2_500));
        for bad in [
            "", "%", "abc", "2.555", "1e2", "2,5", "0", "0.00", "25.01", "-30",
        ] {
            assert!(parse_percent(bad).is_err(), "{bad:?}");
        }
        assert_eq!(percent_text(250), "2.5%");
        assert_eq!(percent_text(300), "3%");
        assert_eq!(percent_text(-125), "-1.25%");
        // £199.80 a unit uplifted by 2.5% is £204.795, half up to £204.80.
        assert_eq!(uplifted(Pence(19_980), 250), Pence(20_480));
        // A cut of 1.25% of £100.00 is £98.75.
        assert_eq!(uplifted(Pence(10_000), -125), Pence(9_875));
    }

    use super::*;
    use crate::calendar::period_of;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn rate(from: NaiveDate, pence: i64) -> RateFrom {
        RateFrom {
            from,
            weekly_unit_rate: Pence(pence),
        }
    }

    /// 2026/27 P01: 6 April to 3 May 2026.
    fn p01() -> Period {
        period_of(ymd(2026, 4, 6), ymd(2026, 4, 6))
    }

    #[test]
    fn rounding_is_per_line_and_half_away_from_zero() {
        assert_eq!(div_round_half_up(5, 2), 3);
        assert_eq!(div_round_half_up(-5, 2), -3);
        assert_eq!(div_round_half_up(4, 3), 1);
        assert_eq!(div_round_half_up(-4, 3), -1);
        assert_eq!(div_round_half_up(0, 7), 0);
    }

    #[test]
    fn a_whole_period_is_four_weeks_of_units_at_the_rate() {
        let p = p01();
        assert_eq!((p.start, p.end), (ymd(2026, 4, 6), ymd(2026, 5, 3)));
        // 2 units at £18.50 a week for 28 days: 2 × 1850 × 4 = 14,800p.
        let lines =
            per_client_due(&p, ymd(2025, 1, 1), None, 2, &[rate(ymd(2025, 4, 1), 1850)]).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].days, 28);
        assert_eq!(lines[0].amount, Pence(14_800));
    }

    #[test]
    fn a_part_week_is_paid_by_the_day_and_rounded_once() {
        // Starts on Friday 1 May 2026: 1, 2 and 3 May, 3 days of £100.00 a week:
        // 10,000 × 3 ÷ 7 = 4,285.71p → 4,286p.
        let lines = per_client_due(
            &p01(),
            ymd(2026, 5, 1),
            None,
            1,
            &[rate(ymd(2025, 4, 1), 10_000)],
        )
        .unwrap();
        assert_eq!(lines[0].days, 3);
        assert_eq!(lines[0].amount, Pence(4_286));
        // Ends the day after the period starts: 6 and 7 April, 2 days: 2,857.14p → 2,857p.
        let lines = per_client_due(
            &p01(),
            ymd(2025, 1, 1),
            Some(ymd(2026, 4, 7)),
            1,
            &[rate(ymd(2025, 4, 1), 10_000)],
        )
        .unwrap();
        assert_eq!((lines[0].days, lines[0].amount), (2, Pence(2_857)));
        // Outside the period: nothing due, and no line.
        assert!(per_client_due(
            &p01(),
            ymd(2026, 5, 4),
            None,
            1,
            &[rate(ymd(2025, 4, 1), 10_000)]
        )
        .unwrap()
        .is_empty());
    }

    #[test]
    fn a_leap_day_is_a_day_like_any_other() {
        // The period holding 29 February 2028, with the 2027/28 anchor of 5 April 2027
        // (364 days after 6 April 2026): P12 runs 7 February to 5 March 2028, 28 days with the
        // leap day among them.
        let p = period_of(ymd(2027, 4, 5), ymd(2028, 2, 29));
        assert_eq!(
            (p.start, p.end, p.number),
            (ymd(2028, 2, 7), ymd(2028, 3, 5), 12)
        );
        // A schedule starting on the leap day: 29 Feb to 5 Mar is 6 days; at £70 a week,
        // 7,000 × 6 ÷ 7 = 6,000p. One ending the day before it: 7 Feb to 28 Feb, 22 days.
        let lines = per_client_due(
            &p,
            ymd(2028, 2, 29),
            None,
            1,
            &[rate(ymd(2027, 4, 1), 7_000)],
        )
        .unwrap();
        assert_eq!((lines[0].days, lines[0].amount), (6, Pence(6_000)));
        let lines = per_client_due(
            &p,
            ymd(2027, 1, 1),
            Some(ymd(2028, 2, 28)),
            1,
            &[rate(ymd(2027, 4, 1), 7_000)],
        )
        .unwrap();
        assert_eq!((lines[0].days, lines[0].amount), (22, Pence(22_000)));
        assert_eq!(p.end, ymd(2028, 3, 5));
    }

    #[test]
    fn a_period_spanning_a_rate_change_has_a_line_for_each_rate() {
        // £70 a week until 19 April, £77 from 20 April 2026 (an uplift of 10%): 14 days at
        // each: 14,000p + 15,400p = 29,400p.
        let rates = [rate(ymd(2026, 4, 20), 7_700), rate(ymd(2025, 4, 1), 7_000)];
        let lines = per_client_due(&p01(), ymd(2025, 1, 1), None, 1, &rates).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].first, lines[0].last),
            (ymd(2026, 4, 6), ymd(2026, 4, 19))
        );
        assert_eq!(lines[0].amount, Pence(14_000));
        assert_eq!(lines[1].first, ymd(2026, 4, 20));
        assert_eq!(lines[1].amount, Pence(15_400));
        let total: i64 = lines.iter().map(|l| l.amount.0).sum();
        assert_eq!(total, 29_400);
        // Each line is rounded on its own and the total is their sum: a week (27 April to
        // 3 May) at £10.00, £10.01 and £10.00 again, in lines of 2, 2 and 3 days, is
        // 285.71 → 286p, 286.00 → 286p and 428.57 → 429p: 1,001p.
        let rates = [
            rate(ymd(2025, 4, 1), 1_000),
            rate(ymd(2026, 4, 29), 1_001),
            rate(ymd(2026, 5, 1), 1_000),
        ];
        let lines =
            per_client_due(&p01(), ymd(2026, 4, 27), Some(ymd(2026, 5, 3)), 1, &rates).unwrap();
        assert_eq!(
            lines.iter().map(|l| (l.days, l.amount)).collect::<Vec<_>>(),
            vec![(2, Pence(286)), (2, Pence(286)), (3, Pence(429))]
        );
        assert_eq!(lines.iter().map(|l| l.amount.0).sum::<i64>(), 1_001);
        // A rate restated at the same amount is not a new line: one week, 1,000p.
        let rates = [rate(ymd(2025, 4, 1), 1_000), rate(ymd(2026, 4, 29), 1_000)];
        let lines =
            per_client_due(&p01(), ymd(2026, 4, 27), Some(ymd(2026, 5, 3)), 1, &rates).unwrap();
        assert_eq!(
            lines.iter().map(|l| (l.days, l.amount)).collect::<Vec<_>>(),
            vec![(7, Pence(1_000))]
        );
        assert_eq!(pro_rata(Pence(1_000), 1, 7), Pence(1_000));
    }

    #[test]
    fn days_without_a_rate_stop_the_line() {
        let r = per_client_due(
            &p01(),
            ymd(2026, 4, 1),
            None,
            1,
            &[rate(ymd(2026, 4, 13), 7_000)],
        );
        assert_eq!(
            r,
            Err(DueProblem::NoRate {
                first_day: ymd(2026, 4, 6)
            })
        );
    }

    #[test]
    fn a_charge_larger_than_the_subsidy_leaves_nothing_and_takes_only_what_is_due() {
        // Due 4,286p; a fairer charging assessment of £200 a week over the same 3 days is
        // 8,571p: the subsidy is 0 and the charge taken 4,286p.
        let due = pro_rata(Pence(10_000), 1, 3);
        let charge = pro_rata(Pence(20_000), 1, 3);
        assert_eq!(charge, Pence(8_571));
        assert_eq!(subsidy_after_charge(due, charge), (Pence(0), Pence(4_286)));
        // A smaller charge comes off the subsidy.
        assert_eq!(
            subsidy_after_charge(due, Pence(1_000)),
            (Pence(3_286), Pence(1_000))
        );
        // A nil assessment.
        assert_eq!(subsidy_after_charge(due, Pence(0)), (due, Pence(0)));
    }

    #[test]
    fn a_block_contract_pays_a_thirteenth_of_its_annual_value() {
        // £120,000 a year: 12,000,000 ÷ 13 = 923,076.9p → 923,077p a period.
        assert_eq!(block_due(Pence(12_000_000)), Pence(923_077));
        // £65,000: exactly 500,000p.
        assert_eq!(block_due(Pence(6_500_000)), Pence(500_000));
    }

    #[test]
    fn an_uplift_rounds_each_new_rate_half_up() {
        // 2.5% on £18.20 is 45.5p: £18.655 → 1,866p (half up). On £18.50, 46.25p → 1,896p.
        assert_eq!(uplifted(Pence(1_820), 250), Pence(1_866));
        assert_eq!(uplifted(Pence(1_850), 250), Pence(1_896));
        // None.
        assert_eq!(uplifted(Pence(1_850), 0), Pence(1_850));
    }

    #[test]
    fn a_recovery_is_rounded_the_same_way_below_zero() {
        // Paid for 3 days that turn out not due: the adjustment is −4,286p, the mirror of the
        // payment.
        let paid = pro_rata(Pence(10_000), 1, 3);
        let recovery = pro_rata(Pence(-10_000), 1, 3);
        assert_eq!(recovery, Pence(-paid.0));
    }

    fn status(from: NaiveDate, value: BenefitStatus) -> Dated<BenefitStatus> {
        Dated { from, value }
    }

    fn charge(from: NaiveDate, kind: ChargeKind, weekly: i64) -> Dated<Charge> {
        Dated {
            from,
            value: Charge {
                kind,
                weekly: Pence(weekly),
            },
        }
    }

    fn terms<'a>(
        rates: &'a [RateFrom],
        benefit: &'a [Dated<BenefitStatus>],
        charges: &'a [Dated<Charge>],
    ) -> ScheduleTerms<'a> {
        ScheduleTerms {
            chargeable: true,
            benefit,
            charges,
            ..ScheduleTerms::uncharged(ymd(2025, 1, 1), None, 1, rates)
        }
    }

    #[test]
    fn a_client_in_receipt_is_fully_subsidised_and_one_not_in_receipt_pays_their_charge() {
        let rates = [rate(ymd(2025, 4, 1), 7_000)];
        let hb = [status(ymd(2025, 1, 1), BenefitStatus::InReceipt)];
        let lines = schedule_lines(&p01(), &terms(&rates, &hb, &[])).unwrap();
        assert_eq!(
            (lines[0].due, lines[0].charge, lines[0].amount),
            (Pence(28_000), Pence(0), Pence(28_000))
        );
        // Not in receipt, assessed at £12.50 a week: 4 weeks' charge of 5,000p comes off.
        let not = [status(ymd(2025, 1, 1), BenefitStatus::NotInReceipt)];
        let assessed = [charge(ymd(2025, 6, 1), ChargeKind::Amount, 1_250)];
        let lines = schedule_lines(&p01(), &terms(&rates, &not, &assessed)).unwrap();
        assert_eq!(
            (lines[0].due, lines[0].charge, lines[0].amount),
            (Pence(28_000), Pence(5_000), Pence(23_000))
        );
        // The authority invoices the client instead: the provider is paid the whole due.
        let t = ScheduleTerms {
            provider_collects: false,
            ..terms(&rates, &not, &assessed)
        };
        let lines = schedule_lines(&p01(), &t).unwrap();
        assert_eq!(
            (lines[0].charge, lines[0].amount),
            (Pence(5_000), Pence(28_000))
        );
        // Full cost (assessment declined): nothing is subsidised.
        let declined = [charge(ymd(2025, 6, 1), ChargeKind::FullCost, 0)];
        let lines = schedule_lines(&p01(), &terms(&rates, &not, &declined)).unwrap();
        assert_eq!(
            (lines[0].charge, lines[0].amount),
            (Pence(28_000), Pence(0))
        );
        // A short-term service that is not charged: no status needed, nothing taken.
        let t = ScheduleTerms {
            chargeable: false,
            ..terms(&rates, &[], &[])
        };
        assert_eq!(schedule_lines(&p01(), &t).unwrap()[0].amount, Pence(28_000));
    }

    #[test]
    fn a_benefit_change_mid_period_splits_the_line_and_charges_only_its_days() {
        // In receipt until 19 April, not in receipt from 20 April, assessed at £14 a week:
        // 14 days free, then 14 days with a charge of 2 × 1,400 = 2,800p.
        let rates = [rate(ymd(2025, 4, 1), 7_000)];
        let hb = [
            status(ymd(2025, 1, 1), BenefitStatus::InReceipt),
            status(ymd(2026, 4, 20), BenefitStatus::NotInReceipt),
        ];
        let assessed = [charge(ymd(2026, 4, 20), ChargeKind::Amount, 1_400)];
        let lines = schedule_lines(&p01(), &terms(&rates, &hb, &assessed)).unwrap();
        assert_eq!(
            lines
                .iter()
                .map(|l| (l.days, l.due, l.charge, l.amount))
                .collect::<Vec<_>>(),
            vec![
                (14, Pence(14_000), Pence(0), Pence(14_000)),
                (14, Pence(14_000), Pence(2_800), Pence(11_200)),
            ]
        );
    }

    #[test]
    fn exceptions_stop_the_schedule() {
        let rates = [rate(ymd(2025, 4, 1), 7_000)];
        // Status not known for a long-term client.
        assert_eq!(
            schedule_lines(&p01(), &terms(&rates, &[], &[])),
            Err(DueProblem::BenefitNotKnown {
                first_day: ymd(2026, 4, 6)
            })
        );
        // Not in receipt with no assessment.
        let not = [status(ymd(2025, 1, 1), BenefitStatus::NotInReceipt)];
        assert!(matches!(
            schedule_lines(&p01(), &terms(&rates, &not, &[])),
            Err(DueProblem::NoAssessment { .. })
        ));
        // The contract ended on 30 April: the days from 1 May cannot be paid.
        let t = ScheduleTerms {
            contract_end: Some(ymd(2026, 4, 30)),
            ..ScheduleTerms::uncharged(ymd(2025, 1, 1), None, 1, &rates)
        };
        assert_eq!(
            schedule_lines(&p01(), &t),
            Err(DueProblem::ContractExpired {
                first_day: ymd(2026, 5, 1)
            })
        );
        assert!(DueProblem::NoContract.message().contains("contract"));
        // A schedule that ended with its contract is fine.
        let t = ScheduleTerms {
            contract_end: Some(ymd(2026, 4, 30)),
            ..ScheduleTerms::uncharged(ymd(2025, 1, 1), Some(ymd(2026, 4, 30)), 1, &rates)
        };
        assert_eq!(schedule_lines(&p01(), &t).unwrap()[0].days, 25);
    }

    #[test]
    fn a_part_period_of_a_block_contract_is_its_share_of_the_year() {
        let annual = Pence(12_000_000);
        let whole = block_line(&p01(), ymd(2025, 4, 1), ymd(2027, 3, 31), annual).unwrap();
        assert_eq!(whole.amount, block_due(annual));
        // Ends on 19 April: 14 days, 12,000,000 × 14 ÷ 364 = 461,538.46p → 461,538p.
        let part = block_line(&p01(), ymd(2025, 4, 1), ymd(2026, 4, 19), annual).unwrap();
        assert_eq!((part.days, part.amount), (14, Pence(461_538)));
        assert!(block_line(&p01(), ymd(2025, 4, 1), ymd(2026, 4, 5), annual).is_none());
    }

    fn paid_of(lines: &[Line]) -> Paid {
        let mut p = Paid::default();
        for l in lines {
            p.add(
                l.days,
                l.units,
                l.weekly_unit_rate,
                l.due,
                l.charge,
                l.amount,
            );
        }
        p
    }

    #[test]
    fn an_adjustment_is_what_is_due_now_less_what_was_paid_with_its_reason() {
        let rates = [rate(ymd(2025, 4, 1), 7_000)];
        let paid_lines = per_client_due(&p01(), ymd(2025, 1, 1), None, 1, &rates).unwrap();
        let paid = paid_of(&paid_lines);
        // Nothing changed: no adjustment.
        assert_eq!(adjustment(&paid_lines, &paid), None);
        // Ended back-dated on 19 April: 14 days are recovered, −14,000p.
        let now =
            per_client_due(&p01(), ymd(2025, 1, 1), Some(ymd(2026, 4, 19)), 1, &rates).unwrap();
        let a = adjustment(&now, &paid).unwrap();
        assert_eq!((a.days, a.amount), (-14, Pence(-14_000)));
        assert_eq!(a.reason, "Days due changed from 28 to 14");
        // Units back-dated from 1 to 2: another 28,000p.
        let now = per_client_due(&p01(), ymd(2025, 1, 1), None, 2, &rates).unwrap();
        let a = adjustment(&now, &paid).unwrap();
        assert_eq!(a.amount, Pence(28_000));
        assert_eq!(a.reason, "Units per week changed from 1 to 2");
        // A back-dated uplift to £77: 4 × 700 = 2,800p.
        let now = per_client_due(
            &p01(),
            ymd(2025, 1, 1),
            None,
            1,
            &[rate(ymd(2025, 4, 1), 7_000), rate(ymd(2026, 4, 6), 7_700)],
        )
        .unwrap();
        let a = adjustment(&now, &paid).unwrap();
        assert_eq!(a.amount, Pence(2_800));
        assert_eq!(a.reason, "Unit rate changed from £70.00 to £77.00");
        // No longer due at all (the start moved past the period): all of it recovered.
        let a = adjustment(&[], &paid).unwrap();
        assert_eq!((a.amount, a.days), (Pence(-28_000), -28));
        assert!(a.reason.starts_with("No longer due"));
        // After the adjustment is paid, what was paid equals what is due: none again.
        let mut after = paid.clone();
        after.add(a.days, 0, Pence(0), a.due, a.charge, a.amount);
        assert_eq!(adjustment(&[], &after), None);
    }

    #[test]
    fn the_timetable_runs_after_the_period_and_pays_after_the_run() {
        let p = p01();
        // Without holidays: period ends Sunday 3 May; run Thursday 7 May (4 working days;
        // Monday 4 May is the early May bank holiday here, so Friday 8 May); pay 5 working
        // days later.
        let plain = |d: NaiveDate, n: u32| d.checked_add_days(chrono::Days::new(u64::from(n)));
        let (run, pay) = default_run_and_pay_dates(&p, plain);
        assert_eq!((run, pay), (ymd(2026, 5, 7), ymd(2026, 5, 12)));
        let cal = crate::calendar::RegionCalendar::rules(crate::calendar::Region::EnglandAndWales);
        let (run, pay) = default_run_and_pay_dates(&p, |d, n| cal.add_working_days(d, n));
        assert_eq!((run, pay), (ymd(2026, 5, 8), ymd(2026, 5, 15)));
    }
}
