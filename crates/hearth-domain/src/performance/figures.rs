//! What the provider enters each quarter.

#[allow(unused_imports)]
use super::*;

/// Departures in the quarter by reason, one count per reason of the client
/// schedule's drop-down ([`EndReason`]). When any are given they must add
/// up to [`QuarterReturn::departures`] ("the data balances for each
/// section", procedures 3.2, 6.1.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartureReasons {
    pub change_of_service: u32,
    pub deceased: u32,
    pub lost_contact: u32,
    pub support_broken_down: u32,
    pub support_no_longer_required: u32,
}

impl DepartureReasons {
    pub fn count(&self, reason: EndReason) -> u32 {
        match reason {
            EndReason::ChangeOfService => self.change_of_service,
            EndReason::Deceased => self.deceased,
            EndReason::LostContact => self.lost_contact,
            EndReason::SupportBrokenDown => self.support_broken_down,
            EndReason::SupportNoLongerRequired => self.support_no_longer_required,
        }
    }

    pub fn set(&mut self, reason: EndReason, count: u32) {
        let slot = match reason {
            EndReason::ChangeOfService => &mut self.change_of_service,
            EndReason::Deceased => &mut self.deceased,
            EndReason::LostContact => &mut self.lost_contact,
            EndReason::SupportBrokenDown => &mut self.support_broken_down,
            EndReason::SupportNoLongerRequired => &mut self.support_no_longer_required,
        };
        *slot = count;
    }

    pub fn total(&self) -> u64 {
        EndReason::ALL
            .iter()
            .map(|r| u64::from(self.count(*r)))
            .sum()
    }
}

/// One quarter's return for one service: whole numbers, none negative, as
/// a provider types them into the quarter sheet or the web form. A blank
/// cell is 0. The contracted units and the days in the quarter come from
/// the contract sheet and the calendar, not from here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarterReturn {
    /// Service users who received the service at any time in the quarter
    /// (those there at the start, plus those who started). KPI 1's whole.
    pub service_users_supported: u32,
    /// Of those, how many were supported to establish or maintain
    /// independent living. KPI 1's part.
    pub maintained_independent_living: u32,
    /// Service users who started in the quarter.
    pub new_service_users: u32,
    /// Service users who left in the quarter. KPI 2's and departures' whole,
    /// throughput's part.
    pub departures: u32,
    /// Of those, how many left in a planned way (moved on as their support
    /// plan intended). KPI 2's and departures' part.
    pub planned_departures: u32,
    /// Departures by reason.
    pub departure_reasons: DepartureReasons,
    /// Unit-days vacant and not available for letting (each unit counted
    /// once for each day it could not be let: awaiting works, decant).
    /// Accommodation services only.
    pub unavailable_unit_days: u32,
    /// Unit-days occupied (accommodation) or used by a service user
    /// (support services).
    pub occupied_unit_days: u32,
    /// Support hours the contract provides for the quarter (pre-filled from
    /// the contract sheet's staffing and support hours).
    pub support_hours_contracted: u32,
    /// Support hours actually delivered in the quarter.
    pub support_hours_delivered: u32,
    /// Figures for local indicators, by [`LocalIndicator::code`].
    pub local: BTreeMap<String, u32>,
}

/// A problem with one field of a [`QuarterReturn`]: the field's name (for
/// the error summary's link) and the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {error}")]
pub struct ReturnError {
    /// A [`QuarterReturn`] field name, such as `planned_departures`.
    pub field: &'static str,
    pub error: FieldError,
}

impl ReturnError {
    fn new(field: &'static str, code: &'static str, message: String) -> Self {
        Self {
            field,
            error: FieldError::new(code, message),
        }
    }
}

impl QuarterReturn {
    /// Combinations no real quarter can produce, each a part larger than
    /// its whole, in the order the fields appear on the form:
    ///
    /// * maintained independent living, new service users and departures
    ///   are each at most the service users supported;
    /// * planned departures are at most the departures;
    /// * departures by reason, when any are given, add up to the
    ///   departures.
    ///
    /// Missing figures are not checked here: a blank is 0, and whether a
    /// figure is required is the upload's completeness check (F4.3).
    pub fn validate(&self) -> Vec<ReturnError> {
        let mut errors = Vec::new();
        let supported = self.service_users_supported;
        let of_supported = [
            (
                "maintained_independent_living",
                "maintained_independent_living_too_many",
                "Service users who maintained independent living",
                self.maintained_independent_living,
            ),
            (
                "new_service_users",
                "new_service_users_too_many",
                "New service users",
                self.new_service_users,
            ),
            (
                "departures",
                "departures_too_many",
                "Departures",
                self.departures,
            ),
        ];
        for (field, code, what, value) in of_supported {
            if value > supported {
                errors.push(ReturnError::new(
                    field,
                    code,
                    format!("{what} must be {supported} or fewer (the number of service users supported)"),
                ));
            }
        }
        if self.planned_departures > self.departures {
            errors.push(ReturnError::new(
                "planned_departures",
                "planned_departures_too_many",
                format!(
                    "Planned departures must be {} or fewer (the number of departures)",
                    self.departures
                ),
            ));
        }
        let by_reason = self.departure_reasons.total();
        if by_reason > 0 && by_reason != u64::from(self.departures) {
            errors.push(ReturnError::new(
                "departure_reasons",
                "departure_reasons_unbalanced",
                format!(
                    "Departures by reason must add up to {} (the number of departures), not {by_reason}",
                    self.departures
                ),
            ));
        }
        errors
    }

    /// [`validate`](Self::validate), plus the unit-days an accommodation
    /// service (accommodation based or sheltered) can have: its contracted
    /// units times the days in the quarter. A unit-day cannot be both
    /// occupied and unavailable. Support services are not bounded (they
    /// may help more people than contracted).
    pub fn validate_for(
        &self,
        service_type: ServiceType,
        contracted_units: u32,
        days_in_quarter: u32,
    ) -> Vec<ReturnError> {
        let mut errors = self.validate();
        if !matches!(
            service_type,
            ServiceType::AccommodationBased | ServiceType::Sheltered
        ) {
            return errors;
        }
        let capacity = unit_days(contracted_units, days_in_quarter);
        let unavailable = u64::from(self.unavailable_unit_days);
        if unavailable > capacity {
            errors.push(ReturnError::new(
                "unavailable_unit_days",
                "unavailable_unit_days_too_many",
                format!(
                    "Unit days not available for letting must be {capacity} or fewer ({} for {days_in_quarter} days)",
                    crate::text::plural(contracted_units, "unit", "units")
                ),
            ));
        } else if u64::from(self.occupied_unit_days) > capacity - unavailable {
            errors.push(ReturnError::new(
                "occupied_unit_days",
                "occupied_unit_days_too_many",
                format!(
                    "Occupied unit days must be {} or fewer ({} for {days_in_quarter} days, less unit days not available)",
                    capacity - unavailable,
                    crate::text::plural(contracted_units, "unit", "units")
                ),
            ));
        }
        errors
    }
}

pub(crate) fn unit_days(contracted_units: u32, days_in_quarter: u32) -> u64 {
    u64::from(contracted_units) * u64::from(days_in_quarter)
}

/// `part` as a percentage of `whole`, rounded half up to one decimal place
/// in integers (so 93.75 is 93.8 and 89.95 is 90.0); `None` when `whole`
/// is 0.
pub fn percentage(part: u64, whole: u64) -> Option<f64> {
    if whole == 0 {
        return None;
    }
    let whole = u128::from(whole);
    let tenths = (u128::from(part) * 1000 + whole / 2) / whole;
    // Exact: `tenths` is far below 2^53 for any u64 inputs whose ratio is
    // sensible, and division by 10 is correctly rounded, so 667 gives the
    // same f64 as the literal 66.7.
    Some(tenths as f64 / 10.0)
}
