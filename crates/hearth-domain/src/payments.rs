//! Payments (SPEC C6, issue 12): the money rules, exact in integer pence, with no I/O.
//!
//! **The rounding rule, written once:** every line (one schedule, one rate, one stretch of
//! days) is worked out exactly as a fraction and rounded to the penny **half up** (half away
//! from zero for a recovery); totals are sums of rounded lines and are never rounded again.
//! Weekly amounts are spread by day (÷ 7), start and end dates inclusive.
//!
//! The run that uses these (prepare, preview, approve, commit) is still to come; these are
//! its rules, with the worked examples the issue asks for as unit tests.

use chrono::NaiveDate;

use crate::calendar::Period;
use crate::Pence;

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

/// A contract's weekly unit rate from a date (until the next rate's date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateFrom {
    pub from: NaiveDate,
    pub weekly_unit_rate: Pence,
}

/// One line of what is due: a stretch of days at one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueLine {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub days: i64,
    pub units: i64,
    pub weekly_unit_rate: Pence,
    pub amount: Pence,
}

/// Why nothing could be worked out for a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueProblem {
    /// Some of its days in the period have no rate (an exception in the run's preview).
    NoRate { first_day: NaiveDate },
}

/// What is due for one client schedule in a period, on the *per client* basis: for each
/// stretch of its days in the period at one rate, `units × rate × days ÷ 7`, one line each.
/// `rates` may be in any order; a rate applies from its date until the next one's.
pub fn per_client_due(
    period: &Period,
    schedule_start: NaiveDate,
    schedule_end: Option<NaiveDate>,
    units_per_week: i64,
    rates: &[RateFrom],
) -> Result<Vec<DueLine>, DueProblem> {
    let Some((first, last)) = overlap(schedule_start, schedule_end, period.start, period.end)
    else {
        return Ok(Vec::new());
    };
    let mut rates = rates.to_vec();
    rates.sort_by_key(|r| r.from);
    let mut lines = Vec::new();
    let mut day = first;
    while day <= last {
        let Some(i) = rates.iter().rposition(|r| r.from <= day) else {
            return Err(DueProblem::NoRate { first_day: day });
        };
        let rate = rates[i];
        let until = rates
            .get(i + 1)
            .and_then(|next| next.from.pred_opt())
            .map_or(last, |d| d.min(last));
        let days = days_inclusive(day, until);
        lines.push(DueLine {
            first: day,
            last: until,
            days,
            units: units_per_week,
            weekly_unit_rate: rate.weekly_unit_rate,
            amount: pro_rata(rate.weekly_unit_rate, units_per_week, days),
        });
        match until.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    Ok(lines)
}

/// A *block* contract's payment for one period: its annual value ÷ 13, rounded half up,
/// whatever the occupancy.
pub fn block_due(annual_value: Pence) -> Pence {
    to_pence(div_round_half_up(i128::from(annual_value.0), 13))
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
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
        // 3 May) at £10.00 in three lines of 2, 2 and 3 days is 285.71 → 286p, 286p and
        // 428.57 → 429p, 1,001p, where one line of 7 days would be 1,000p.
        let rates = [
            rate(ymd(2025, 4, 1), 1_000),
            rate(ymd(2026, 4, 29), 1_000),
            rate(ymd(2026, 5, 1), 1_000),
        ];
        let lines =
            per_client_due(&p01(), ymd(2026, 4, 27), Some(ymd(2026, 5, 3)), 1, &rates).unwrap();
        assert_eq!(
            lines.iter().map(|l| (l.days, l.amount)).collect::<Vec<_>>(),
            vec![(2, Pence(286)), (2, Pence(286)), (3, Pence(429))]
        );
        assert_eq!(lines.iter().map(|l| l.amount.0).sum::<i64>(), 1_001);
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
}
