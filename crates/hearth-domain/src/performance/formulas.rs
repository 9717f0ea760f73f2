//! The formulas: every indicator's figure in one place.

#[allow(unused_imports)]
use super::*;

/// The figure for one indicator from one quarter's return: every formula,
/// in one place. `contracted_units` comes from the contract sheet;
/// `days_in_quarter` is normally [`Quarter::days`]. Percentages are rounded
/// to one decimal place ([`percentage`]).
///
/// `None` when the whole is 0 (no service users, no departures, no
/// contracted units or hours), or, for a local indicator, when the return
/// has no figure for it. Whether the indicator applies to the service is
/// [`compute_for`]'s question.
pub fn compute(
    indicator: &Indicator,
    ret: &QuarterReturn,
    contracted_units: u32,
    days_in_quarter: u32,
) -> Option<f64> {
    let capacity = unit_days(contracted_units, days_in_quarter);
    match indicator {
        // "KPI 1 % of service users ... establishing & maintaining
        // independent living" (portal 6): of the service users supported in
        // the quarter, the percentage who maintained independent living.
        Indicator::Kpi1 => percentage(
            ret.maintained_independent_living.into(),
            ret.service_users_supported.into(),
        ),
        // "KPI 2 Outcomes (short term)" (procedures 3.1.1): of the service
        // users who left in the quarter, the percentage who moved on in a
        // planned way.
        Indicator::Kpi2 => percentage(ret.planned_departures.into(), ret.departures.into()),
        // "Available units as a % of contracted units" (portal 6), in
        // unit-days: contracted unit-days less those not available for
        // letting, as a percentage of contracted unit-days. A unit that is
        // occupied or vacant and ready to let is available.
        Indicator::Availability => percentage(
            capacity.saturating_sub(ret.unavailable_unit_days.into()),
            capacity,
        ),
        // "Occupied / utilised units as a % of contracted units" (portal 6),
        // in unit-days.
        Indicator::Utilisation => percentage(ret.occupied_unit_days.into(), capacity),
        // "SPI 3 Staffing" (procedures 3.1.1), checked as "Staffing levels
        // and reported hours acceptable" (procedures 3.1, appendix 3):
        // support hours delivered as a percentage of the hours contracted.
        Indicator::Staffing => percentage(
            ret.support_hours_delivered.into(),
            ret.support_hours_contracted.into(),
        ),
        // "% of service users moving through" (portal 6), "SPI 4
        // Throughput" (procedures 3.1.1): service users who left in the
        // quarter as a percentage of contracted units, so a ten-unit hostel
        // that five people moved through has 50%.
        Indicator::Throughput => percentage(ret.departures.into(), contracted_units.into()),
        // "Departures from longterm accommodation services" (portal 6),
        // reviewed as the "Number of planned versus unplanned departures"
        // (procedures 3.1, appendix 3): planned departures as a percentage
        // of all departures. The same ratio as KPI 2, for the long-term
        // services KPI 2 does not cover; the count and reasons stay in the
        // return.
        Indicator::Departures => percentage(ret.planned_departures.into(), ret.departures.into()),
        // A local indicator's figure is what the provider entered.
        Indicator::Local(code) => ret.local.get(code).map(|v| f64::from(*v)),
    }
}

/// [`compute`], or `None` when the indicator does not apply to a service of
/// this type and term ([`Indicator::applies_to`]).
pub fn compute_for(
    indicator: &Indicator,
    service_type: ServiceType,
    term: Term,
    ret: &QuarterReturn,
    contracted_units: u32,
    days_in_quarter: u32,
) -> Option<f64> {
    if indicator.applies_to(service_type, term) {
        compute(indicator, ret, contracted_units, days_in_quarter)
    } else {
        None
    }
}
