//! Performance returns (C4, F4.1 and F4.2): quarters of the financial year,
//! the indicators and their formulas, what a provider enters each quarter,
//! and the triggers the SP team sets each year.
//!
//! Sources: the contract management procedures, Part 3.2 "Performance
//! Indicators" (`001_…`, cited as "procedures 3.2"), and the provider portal
//! briefing, section 6 "Submitting Quarterly Performance Returns" (`000_…`,
//! cited as "portal 6"). Where they are silent the national Supporting
//! People indicator definitions they refer to ("these workbooks mirror those
//! used nationally and were developed by CLG", portal 6) decide, and each
//! such choice is written down beside the code.
//!
//! Every formula lives in [`compute`], one arm per indicator. Percentages are
//! rounded half up to one decimal place with integer arithmetic, so the
//! figure compared with a trigger is exactly the figure people see.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::dates::FinancialYear;
use crate::enums::{EndReason, ServiceType, Term};
use crate::ids::FieldError;

// ---------------------------------------------------------------------------
// Quarters
// ---------------------------------------------------------------------------

/// A quarter of the financial year: 1 = April to June, 2 = July to
/// September, 3 = October to December, 4 = January to March. Always valid:
/// build one with [`Quarter::new`], [`Quarter::for_date`] or
/// [`Quarter::parse`]. Orders by year, then quarter. Serialised as its
/// label, "2026/27 Q3".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Quarter {
    year: FinancialYear,
    q: u8,
}

impl Quarter {
    /// Quarter `q` (1 to 4) of `year`.
    pub fn new(year: FinancialYear, q: u8) -> Result<Self, FieldError> {
        if (1..=4).contains(&q) {
            Ok(Self { year, q })
        } else {
            Err(FieldError::new("quarter_invalid", "Select a quarter"))
        }
    }

    /// The quarter a date falls in.
    pub fn for_date(date: NaiveDate) -> Self {
        Self {
            year: FinancialYear::for_date(date),
            q: FinancialYear::quarter_of(date),
        }
    }

    /// The four quarters of a year, in order.
    pub fn all_of(year: FinancialYear) -> [Self; 4] {
        [1, 2, 3, 4].map(|q| Self { year, q })
    }

    pub fn year(&self) -> FinancialYear {
        self.year
    }

    /// 1 to 4.
    pub fn number(&self) -> u8 {
        self.q
    }

    /// "2026/27 Q3".
    pub fn label(&self) -> String {
        format!("{} Q{}", self.year.label(), self.q)
    }

    /// The months it covers: "October to December 2026",
    /// "January to March 2027".
    pub fn months_label(&self) -> String {
        let (months, year) = match self.q {
            1 => ("April to June", self.year.start_year),
            2 => ("July to September", self.year.start_year),
            3 => ("October to December", self.year.start_year),
            _ => ("January to March", self.year.start_year.saturating_add(1)),
        };
        format!("{months} {year}")
    }

    /// First day.
    pub fn start(&self) -> NaiveDate {
        self.year.quarter_start(self.q).unwrap_or(NaiveDate::MAX)
    }

    /// Last day.
    pub fn end(&self) -> NaiveDate {
        self.year.quarter_end(self.q).unwrap_or(NaiveDate::MAX)
    }

    /// Number of days, both ends included: 91, 92, 92, then 90 (91 when
    /// February has 29 days).
    pub fn days(&self) -> u32 {
        let days = (self.end() - self.start()).num_days().saturating_add(1);
        u32::try_from(days).unwrap_or(0)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        Self::for_date(date) == *self
    }

    pub fn next(&self) -> Self {
        if self.q == 4 {
            Self {
                year: self.year.next(),
                q: 1,
            }
        } else {
            Self {
                year: self.year,
                q: self.q + 1,
            }
        }
    }

    pub fn previous(&self) -> Self {
        if self.q == 1 {
            Self {
                year: self.year.previous(),
                q: 4,
            }
        } else {
            Self {
                year: self.year,
                q: self.q - 1,
            }
        }
    }

    /// Parses a label: "2026/27 Q3" (also "2026-27 q3", "2026/2027 Q3",
    /// with any spaces between the year and the quarter).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                "quarter_invalid",
                "Enter a quarter in the correct format, like 2026/27 Q3",
            )
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("quarter_required", "Enter a quarter"));
        }
        let (year, quarter) = trimmed
            .split_once(char::is_whitespace)
            .ok_or_else(invalid)?;
        let year = FinancialYear::parse_label(year).map_err(|_| invalid())?;
        let quarter = quarter.trim();
        let digits = quarter
            .strip_prefix('Q')
            .or_else(|| quarter.strip_prefix('q'))
            .ok_or_else(invalid)?;
        let q = match digits {
            "1" => 1,
            "2" => 2,
            "3" => 3,
            "4" => 4,
            _ => return Err(invalid()),
        };
        Ok(Self { year, q })
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl std::str::FromStr for Quarter {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Quarter {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Quarter> for String {
    fn from(value: Quarter) -> String {
        value.label()
    }
}

// ---------------------------------------------------------------------------
// Units of measure
// ---------------------------------------------------------------------------

/// What an indicator's figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A percentage, shown to one decimal place: "92.5%".
    Percent,
    /// A number of people: "12 people".
    People,
    /// A number of hours: "40 hours".
    Hours,
    /// Any other count: "12".
    Number,
}

impl Unit {
    pub const ALL: &'static [Self] = &[Self::Percent, Self::People, Self::Hours, Self::Number];

    /// The stored code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Percent => "percent",
            Self::People => "people",
            Self::Hours => "hours",
            Self::Number => "number",
        }
    }

    /// What people read in a drop-down.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Percent => "Percentage",
            Self::People => "People",
            Self::Hours => "Hours",
            Self::Number => "Number",
        }
    }

    /// The short unit shown beside a figure: "%", "people", "hours", "".
    pub fn symbol(&self) -> &'static str {
        match self {
            Self::Percent => "%",
            Self::People => "people",
            Self::Hours => "hours",
            Self::Number => "",
        }
    }

    pub fn parse(code: &str) -> Result<Self, FieldError> {
        Self::ALL
            .iter()
            .copied()
            .find(|u| u.as_str() == code.trim())
            .ok_or_else(|| FieldError::new("unit_invalid", "Select a unit"))
    }

    /// A figure with its unit: "92.5%", "12 people", "1 person",
    /// "40 hours", "1 hour", "12". Whole numbers show no decimals except
    /// percentages, which always show one.
    pub fn format(&self, value: f64) -> String {
        let number = if value.fract() == 0.0 {
            format!("{value:.0}")
        } else {
            format!("{value:.1}")
        };
        let one = value == 1.0;
        match self {
            Self::Percent => format!("{value:.1}%"),
            Self::People if one => "1 person".to_owned(),
            Self::People => format!("{number} people"),
            Self::Hours if one => "1 hour".to_owned(),
            Self::Hours => format!("{number} hours"),
            Self::Number => number,
        }
    }
}

// ---------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------

/// A performance indicator. The seven national ones are fixed; `Local`
/// holds the code of an indicator the authority defines (see
/// [`LocalIndicator`] for its name, unit and service types).
///
/// Procedures 3.2, 3.1.1: "The Supporting People team each year will agree
/// and set minimum performance triggers for the following measures: KPI 1
/// Outcomes (long term and floating support services), KPI 2 Outcomes
/// (short term), SPI 1 Availability, SPI 2 Utilisation, SPI 3 Staffing,
/// SPI 4 Throughput." Portal 6 adds "an additional performance indicator
/// ... in relation to departures from longterm accommodation services".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Indicator {
    /// KPI 1: service users supported to establish and maintain
    /// independent living (long-term and floating support services).
    Kpi1,
    /// KPI 2: service users who moved on in a planned way (short-term
    /// services).
    Kpi2,
    /// SPI 1: available units as a percentage of contracted units
    /// (accommodation services).
    Availability,
    /// SPI 2: occupied or used units as a percentage of contracted units.
    Utilisation,
    /// SPI 3: support hours delivered as a percentage of those contracted.
    Staffing,
    /// SPI 4: service users moving through a short-term service.
    Throughput,
    /// Planned departures from long-term accommodation services.
    Departures,
    /// An indicator the authority defines, by its code.
    Local(String),
}

/// Longest code a local indicator may have.
pub const MAX_LOCAL_CODE_CHARS: usize = 50;
/// Longest name a local indicator may have.
pub const MAX_LOCAL_NAME_CHARS: usize = 100;

impl Indicator {
    /// The national indicators, in the workbook's order.
    pub const NATIONAL: &'static [Self] = &[
        Self::Kpi1,
        Self::Kpi2,
        Self::Availability,
        Self::Utilisation,
        Self::Staffing,
        Self::Throughput,
        Self::Departures,
    ];

    /// The stored code: "kpi_1", "kpi_2", "availability", "utilisation",
    /// "staffing", "throughput", "departures", or a local indicator's own
    /// code.
    pub fn code(&self) -> &str {
        match self {
            Self::Kpi1 => "kpi_1",
            Self::Kpi2 => "kpi_2",
            Self::Availability => "availability",
            Self::Utilisation => "utilisation",
            Self::Staffing => "staffing",
            Self::Throughput => "throughput",
            Self::Departures => "departures",
            Self::Local(code) => code,
        }
    }

    /// The short name used in column headings: "KPI 1", "SPI 2",
    /// "Departures"; a local indicator's code (use
    /// [`LocalIndicator::name`] where the definition is to hand).
    pub fn short_label(&self) -> &str {
        match self {
            Self::Kpi1 => "KPI 1",
            Self::Kpi2 => "KPI 2",
            Self::Availability => "SPI 1",
            Self::Utilisation => "SPI 2",
            Self::Staffing => "SPI 3",
            Self::Throughput => "SPI 4",
            Self::Departures => "Departures",
            Self::Local(code) => code,
        }
    }

    /// The full name; for a local indicator its code, as
    /// [`crate::directory::label_of`] does for unknown codes.
    pub fn label(&self) -> &str {
        match self {
            Self::Kpi1 => {
                "KPI 1: service users supported to establish and maintain independent living"
            }
            Self::Kpi2 => "KPI 2: service users who moved on in a planned way",
            Self::Availability => "SPI 1: service availability",
            Self::Utilisation => "SPI 2: utilisation",
            Self::Staffing => "SPI 3: staffing",
            Self::Throughput => "SPI 4: throughput",
            Self::Departures => "Planned departures from long-term services",
            Self::Local(code) => code,
        }
    }

    /// The unit of the figure. Every national indicator is a percentage;
    /// a local indicator's unit is in its [`LocalIndicator`] definition, and
    /// `Number` is assumed here.
    pub fn unit(&self) -> Unit {
        match self {
            Self::Local(_) => Unit::Number,
            _ => Unit::Percent,
        }
    }

    /// Whether a higher figure is better. True of every national indicator
    /// (their triggers are "minimum performance thresholds", procedures
    /// 3.2, 1); a local indicator says so in its [`LocalIndicator`]
    /// definition, and true is assumed here.
    pub fn higher_is_better(&self) -> bool {
        true
    }

    /// The largest figure possible: 100 for a percentage of a whole that
    /// cannot be exceeded. Utilisation, staffing and throughput have none
    /// (a support service can help more people than contracted, staff can
    /// work more hours, and more people can pass through a service in a
    /// quarter than it has units).
    pub fn maximum(&self) -> Option<f64> {
        match self {
            Self::Kpi1 | Self::Kpi2 | Self::Availability | Self::Departures => Some(100.0),
            Self::Utilisation | Self::Staffing | Self::Throughput | Self::Local(_) => None,
        }
    }

    /// Whether a service of this type and term reports the indicator.
    ///
    /// * KPI 1: long-term services and floating support ("KPI 1 Outcomes
    ///   (long term and floating support services)", procedures 3.1.1).
    /// * KPI 2: short-term services ("KPI 2 Outcomes (short term)"), except
    ///   floating support, which KPI 1 measures: KPI 2 counts moves on from
    ///   temporary living arrangements, which floating support does not
    ///   provide.
    /// * Availability: accommodation services, accommodation based and
    ///   sheltered ("Available units as a % of contracted units:
    ///   Accommodation services", portal 6); a support-only service has no
    ///   units to be unavailable.
    /// * Utilisation and staffing: every service ("Occupied / utilised
    ///   units", portal 6: units are occupied in accommodation and used in
    ///   support services).
    /// * Throughput: short-term services ("service users moving through
    ///   short-term services", SPEC F4.1).
    /// * Departures: long-term accommodation services ("departures from
    ///   longterm accommodation services", portal 6).
    /// * Local: every service here; its [`LocalIndicator`] narrows it.
    pub fn applies_to(&self, service_type: ServiceType, term: Term) -> bool {
        let accommodation = matches!(
            service_type,
            ServiceType::AccommodationBased | ServiceType::Sheltered
        );
        let floating = service_type == ServiceType::FloatingSupport;
        match self {
            Self::Kpi1 => term == Term::Long || floating,
            Self::Kpi2 => term == Term::Short && !floating,
            Self::Availability => accommodation,
            Self::Utilisation | Self::Staffing | Self::Local(_) => true,
            Self::Throughput => term == Term::Short,
            Self::Departures => term == Term::Long && accommodation,
        }
    }

    /// The national indicators a service of this type and term reports, in
    /// the workbook's order.
    pub fn national_for(service_type: ServiceType, term: Term) -> Vec<Self> {
        Self::NATIONAL
            .iter()
            .filter(|i| i.applies_to(service_type, term))
            .cloned()
            .collect()
    }

    /// Parses a stored code: a national code, or else a local code
    /// (lower-case letters, digits and underscores, starting with a
    /// letter, at most [`MAX_LOCAL_CODE_CHARS`]).
    pub fn parse(code: &str) -> Result<Self, FieldError> {
        let code = code.trim();
        if let Some(national) = Self::NATIONAL.iter().find(|i| i.code() == code) {
            return Ok(national.clone());
        }
        if is_local_code(code) {
            Ok(Self::Local(code.to_owned()))
        } else {
            Err(FieldError::new("indicator_invalid", "Select an indicator"))
        }
    }
}

fn is_local_code(code: &str) -> bool {
    code.len() <= MAX_LOCAL_CODE_CHARS
        && code.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for Indicator {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Indicator {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Indicator> for String {
    fn from(value: Indicator) -> String {
        match value {
            Indicator::Local(code) => code,
            national => national.code().to_owned(),
        }
    }
}

/// An indicator the authority defines ("Local Performance Indicators are
/// the measures put in place at local level", procedures 3.2, 1). The
/// provider reports one whole number a quarter for it, in
/// [`QuarterReturn::local`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalIndicator {
    /// Stored code, also the key in [`QuarterReturn::local`].
    pub code: String,
    /// "Referrals received", as people read it.
    pub name: String,
    pub unit: Unit,
    /// Service types that report it; empty means every service.
    pub service_types: Vec<ServiceType>,
    pub higher_is_better: bool,
}

impl LocalIndicator {
    /// Checks a definition typed into the authority's form, with the
    /// GOV.UK messages for the first problem found.
    pub fn new(
        code: &str,
        name: &str,
        unit: Unit,
        service_types: Vec<ServiceType>,
        higher_is_better: bool,
    ) -> Result<Self, FieldError> {
        let code = code.trim();
        let name = name.trim();
        if code.is_empty() {
            return Err(FieldError::new(
                "local_indicator_code_required",
                "Enter a code for the local indicator",
            ));
        }
        if !is_local_code(code) {
            return Err(FieldError::new(
                "local_indicator_code_invalid",
                format!(
                    "Code must start with a letter and use only lower case letters, numbers and underscores, up to {MAX_LOCAL_CODE_CHARS} characters"
                ),
            ));
        }
        if Indicator::NATIONAL.iter().any(|i| i.code() == code) {
            return Err(FieldError::new(
                "local_indicator_code_taken",
                "Code is already used by a national indicator",
            ));
        }
        if name.is_empty() {
            return Err(FieldError::new(
                "local_indicator_name_required",
                "Enter a name for the local indicator",
            ));
        }
        if name.chars().count() > MAX_LOCAL_NAME_CHARS {
            return Err(FieldError::new(
                "local_indicator_name_too_long",
                format!("Name must be {MAX_LOCAL_NAME_CHARS} characters or fewer"),
            ));
        }
        let mut unique: Vec<ServiceType> = Vec::with_capacity(service_types.len());
        for service_type in service_types {
            if !unique.contains(&service_type) {
                unique.push(service_type);
            }
        }
        Ok(Self {
            code: code.to_owned(),
            name: name.to_owned(),
            unit,
            service_types: unique,
            higher_is_better,
        })
    }

    pub fn indicator(&self) -> Indicator {
        Indicator::Local(self.code.clone())
    }

    /// Whether a service of this type reports it.
    pub fn applies_to(&self, service_type: ServiceType) -> bool {
        self.service_types.is_empty() || self.service_types.contains(&service_type)
    }
}

// ---------------------------------------------------------------------------
// What the provider enters
// ---------------------------------------------------------------------------

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
                    "Unit days not available for letting must be {capacity} or fewer ({contracted_units} units for {days_in_quarter} days)"
                ),
            ));
        } else if u64::from(self.occupied_unit_days) > capacity - unavailable {
            errors.push(ReturnError::new(
                "occupied_unit_days",
                "occupied_unit_days_too_many",
                format!(
                    "Occupied unit days must be {} or fewer ({contracted_units} units for {days_in_quarter} days, less unit days not available)",
                    capacity - unavailable
                ),
            ));
        }
        errors
    }
}

fn unit_days(contracted_units: u32, days_in_quarter: u32) -> u64 {
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

// ---------------------------------------------------------------------------
// The formulas
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Triggers
// ---------------------------------------------------------------------------

/// Which side of a trigger is a breach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Threshold {
    /// The figure must be at least this; below it is a breach.
    Minimum(f64),
    /// The figure must be at most this; above it is a breach (for local
    /// indicators where lower is better).
    Maximum(f64),
}

impl Threshold {
    pub fn value(&self) -> f64 {
        match self {
            Self::Minimum(v) | Self::Maximum(v) => *v,
        }
    }
}

/// A trigger: the threshold the SP team sets for an indicator, for one
/// service type or (with `service_type: None`) for every service type.
///
/// Procedures 3.2, 1: "PI Triggers are defined each year and are minimum
/// performance thresholds"; 4.1.3: a provider explains "where a service
/// has failed to perform at or above the triggers". So a figure exactly at
/// the trigger is not a breach; only one below it (above it, for a
/// maximum) is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub indicator: Indicator,
    pub service_type: Option<ServiceType>,
    pub threshold: Threshold,
}

impl Trigger {
    /// A minimum: a figure below it is a breach.
    pub fn minimum(indicator: Indicator, service_type: Option<ServiceType>, minimum: f64) -> Self {
        Self {
            indicator,
            service_type,
            threshold: Threshold::Minimum(minimum),
        }
    }

    /// A maximum: a figure above it is a breach.
    pub fn maximum(indicator: Indicator, service_type: Option<ServiceType>, maximum: f64) -> Self {
        Self {
            indicator,
            service_type,
            threshold: Threshold::Maximum(maximum),
        }
    }

    /// Whether `value` breaches the trigger (see [`breaches`]).
    pub fn is_breached_by(&self, value: f64) -> bool {
        breaches(self, value)
    }

    /// The text marker shown beside a breached figure, so a breach is not
    /// shown by colour alone: "Below trigger of 90.0%".
    pub fn breach_text(&self) -> String {
        let unit = self.indicator.unit();
        match self.threshold {
            Threshold::Minimum(v) => format!("Below trigger of {}", unit.format(v)),
            Threshold::Maximum(v) => format!("Above trigger of {}", unit.format(v)),
        }
    }
}

/// Whether a figure breaches a trigger: strictly below a minimum or
/// strictly above a maximum. Equal is not a breach ("perform at or above
/// the triggers", procedures 3.2, 4.1.3). Compare the rounded figure from
/// [`compute`], which is what the provider sees: 89.95% shows as 90.0% and
/// does not breach a trigger of 90. A NaN never breaches.
pub fn breaches(trigger: &Trigger, value: f64) -> bool {
    match trigger.threshold {
        Threshold::Minimum(min) => value < min,
        Threshold::Maximum(max) => value > max,
    }
}

/// Parses a trigger typed into the SP team's form: a number, optionally
/// followed by "%", with at most one decimal place, from 0 up to the
/// indicator's [`maximum`](Indicator::maximum).
pub fn parse_threshold(indicator: &Indicator, input: &str) -> Result<f64, FieldError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new("trigger_required", "Enter the trigger"));
    }
    let number = trimmed.strip_suffix('%').unwrap_or(trimmed).trim_end();
    let not_a_number = || {
        FieldError::new(
            "trigger_invalid",
            "Trigger must be a number, like 90 or 92.5",
        )
    };
    let (whole, decimals) = number.split_once('.').unwrap_or((number, ""));
    let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(decimals) {
        return Err(if number.starts_with('-') {
            FieldError::new("trigger_negative", "Trigger must be 0 or more")
        } else {
            not_a_number()
        });
    }
    if number.contains('.') && decimals.is_empty() {
        return Err(not_a_number());
    }
    if decimals.len() > 1 {
        return Err(FieldError::new(
            "trigger_decimals",
            "Trigger must have no more than 1 decimal place",
        ));
    }
    let value: f64 = number.parse().map_err(|_| not_a_number())?;
    if let Some(max) = indicator.maximum() {
        if value > max {
            return Err(FieldError::new(
                "trigger_too_high",
                format!("Trigger must be {max:.0} or less"),
            ));
        }
    }
    Ok(value)
}

/// The triggers the SP team set for one financial year ("The Supporting
/// People team each year will agree and set minimum performance triggers",
/// procedures 3.2, 3.1.1). At most one trigger per indicator and service
/// type (or per indicator for every service type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerSet {
    pub year: FinancialYear,
    triggers: Vec<Trigger>,
}

impl TriggerSet {
    /// A year with no triggers yet.
    pub fn new(year: FinancialYear) -> Self {
        Self {
            year,
            triggers: Vec::new(),
        }
    }

    /// Builds a set, the later of two triggers for the same indicator and
    /// service type replacing the earlier.
    pub fn with(year: FinancialYear, triggers: impl IntoIterator<Item = Trigger>) -> Self {
        let mut set = Self::new(year);
        for trigger in triggers {
            set.set(trigger);
        }
        set
    }

    /// Starting values for a year, for the SP team to confirm or change.
    ///
    /// These are authority-set defaults, not figures from the sources: the
    /// procedures say triggers are agreed each year but give no numbers
    /// (procedures 3.2, 3.1.1), and the portal briefing none either. The
    /// values below are placeholders in line with what SP authorities
    /// published (a commissioning body report of 2009, for one, targeted
    /// 90% for KPI 1, 75% for KPI 2, and 90% for availability and
    /// utilisation):
    ///
    /// | indicator | minimum | why |
    /// | --- | --- | --- |
    /// | KPI 1 | 90% | published SP target, as above |
    /// | KPI 2 | 75% | published SP target, as above |
    /// | SPI 1 availability | 90% | published SP target, as above |
    /// | SPI 2 utilisation | 90% | published SP target, as above |
    /// | SPI 3 staffing | 90% | placeholder: a tenth of contracted hours undelivered is the point the SP team asks why |
    /// | SPI 4 throughput | 10% | placeholder: a short-term service whose stays average two years moves about 12.5% of its units a quarter; below 10% it is silting up |
    ///
    /// No default for departures or local indicators: the procedures set no
    /// trigger for them.
    pub fn authority_defaults(year: FinancialYear) -> Self {
        Self::with(
            year,
            [
                Trigger::minimum(Indicator::Kpi1, None, 90.0),
                Trigger::minimum(Indicator::Kpi2, None, 75.0),
                Trigger::minimum(Indicator::Availability, None, 90.0),
                Trigger::minimum(Indicator::Utilisation, None, 90.0),
                Trigger::minimum(Indicator::Staffing, None, 90.0),
                Trigger::minimum(Indicator::Throughput, None, 10.0),
            ],
        )
    }

    /// Adds a trigger, replacing any for the same indicator and service
    /// type.
    pub fn set(&mut self, trigger: Trigger) {
        match self
            .triggers
            .iter_mut()
            .find(|t| t.indicator == trigger.indicator && t.service_type == trigger.service_type)
        {
            Some(existing) => *existing = trigger,
            None => self.triggers.push(trigger),
        }
    }

    /// Removes the trigger for an indicator and service type; true if there
    /// was one.
    pub fn remove(&mut self, indicator: &Indicator, service_type: Option<ServiceType>) -> bool {
        let before = self.triggers.len();
        self.triggers
            .retain(|t| !(t.indicator == *indicator && t.service_type == service_type));
        self.triggers.len() != before
    }

    pub fn triggers(&self) -> &[Trigger] {
        &self.triggers
    }

    /// The trigger that applies to an indicator for a service type: the
    /// one set for that service type if there is one, otherwise the one set
    /// for every service type, otherwise none.
    pub fn find(&self, indicator: &Indicator, service_type: ServiceType) -> Option<&Trigger> {
        let for_indicator = || self.triggers.iter().filter(|t| t.indicator == *indicator);
        for_indicator()
            .find(|t| t.service_type == Some(service_type))
            .or_else(|| for_indicator().find(|t| t.service_type.is_none()))
    }

    /// The trigger a figure breaches, if any: `None` when there is no
    /// figure, no trigger, or the figure meets it.
    pub fn breach(
        &self,
        indicator: &Indicator,
        service_type: ServiceType,
        value: Option<f64>,
    ) -> Option<&Trigger> {
        let value = value?;
        self.find(indicator, service_type)
            .filter(|t| breaches(t, value))
    }

    /// The set in force for `year` among those the SP team has set: that
    /// year's, or, until they set it, the latest earlier year's (triggers
    /// carry forward; compare the returned set's `year` to tell). `None`
    /// when no set is that old.
    pub fn for_year(sets: &[TriggerSet], year: FinancialYear) -> Option<&TriggerSet> {
        sets.iter()
            .filter(|s| s.year <= year)
            .max_by_key(|s| s.year)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn fy(start_year: i32) -> FinancialYear {
        FinancialYear::new(start_year)
    }

    fn quarter(label: &str) -> Quarter {
        Quarter::parse(label).unwrap()
    }

    // --- Quarters ---------------------------------------------------------

    #[test]
    fn quarters_have_labels_dates_and_lengths() {
        let q3 = Quarter::new(fy(2026), 3).unwrap();
        assert_eq!(q3.label(), "2026/27 Q3");
        assert_eq!(q3.to_string(), "2026/27 Q3");
        assert_eq!(q3.months_label(), "October to December 2026");
        assert_eq!(q3.start(), ymd(2026, 10, 1));
        assert_eq!(q3.end(), ymd(2026, 12, 31));
        assert_eq!(q3.days(), 92);
        assert_eq!(q3.year(), fy(2026));
        assert_eq!(q3.number(), 3);

        let days: Vec<u32> = Quarter::all_of(fy(2026))
            .iter()
            .map(Quarter::days)
            .collect();
        assert_eq!(days, [91, 92, 92, 90]);
        // January to March 2028 has 29 February.
        let days: Vec<u32> = Quarter::all_of(fy(2027))
            .iter()
            .map(Quarter::days)
            .collect();
        assert_eq!(days, [91, 92, 92, 91]);
        assert_eq!(days.iter().sum::<u32>(), 366);

        let q4 = Quarter::new(fy(2026), 4).unwrap();
        assert_eq!(q4.months_label(), "January to March 2027");
        assert_eq!(q4.start(), ymd(2027, 1, 1));
        assert_eq!(q4.end(), ymd(2027, 3, 31));

        assert_eq!(
            Quarter::new(fy(2026), 0).unwrap_err().code,
            "quarter_invalid"
        );
        assert_eq!(
            Quarter::new(fy(2026), 5).unwrap_err().message,
            "Select a quarter"
        );
    }

    #[test]
    fn quarters_of_dates_and_neighbours() {
        assert_eq!(Quarter::for_date(ymd(2026, 11, 22)), quarter("2026/27 Q3"));
        assert_eq!(Quarter::for_date(ymd(2027, 3, 31)), quarter("2026/27 Q4"));
        assert_eq!(Quarter::for_date(ymd(2027, 4, 1)), quarter("2027/28 Q1"));
        assert!(quarter("2026/27 Q1").contains(ymd(2026, 6, 30)));
        assert!(!quarter("2026/27 Q1").contains(ymd(2026, 7, 1)));

        assert_eq!(quarter("2026/27 Q4").next(), quarter("2027/28 Q1"));
        assert_eq!(quarter("2026/27 Q2").next(), quarter("2026/27 Q3"));
        assert_eq!(quarter("2026/27 Q1").previous(), quarter("2025/26 Q4"));
        assert_eq!(quarter("2026/27 Q3").previous(), quarter("2026/27 Q2"));
        assert!(quarter("2025/26 Q4") < quarter("2026/27 Q1"));
        assert!(quarter("2026/27 Q1") < quarter("2026/27 Q2"));
        // Consecutive quarters meet without a gap.
        for q in Quarter::all_of(fy(2026)) {
            assert_eq!(q.end().succ_opt().unwrap(), q.next().start());
        }
    }

    #[test]
    fn quarter_labels_parse() {
        assert_eq!(quarter("2026/27 Q3"), Quarter::new(fy(2026), 3).unwrap());
        assert_eq!(
            quarter("  2026-27   q1 "),
            Quarter::new(fy(2026), 1).unwrap()
        );
        assert_eq!(quarter("2026/2027 Q4"), Quarter::new(fy(2026), 4).unwrap());
        let err = Quarter::parse("").unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            ("quarter_required", "Enter a quarter")
        );
        for bad in [
            "2026/27",
            "2026/27 Q5",
            "2026/27 Q0",
            "2026/27 3",
            "Q3 2026/27",
            "2026/28 Q3",
            "2026/27 Q3x",
            "2026/27 Q+3",
        ] {
            let err = Quarter::parse(bad).unwrap_err();
            assert_eq!(err.code, "quarter_invalid", "{bad}");
            assert_eq!(
                err.message,
                "Enter a quarter in the correct format, like 2026/27 Q3"
            );
        }
        let q: Quarter = "2026/27 Q2".parse().unwrap();
        assert_eq!(q.number(), 2);
    }

    #[test]
    fn quarters_serialise_as_their_label() {
        use serde::de::value::{Error as DeError, StringDeserializer};
        use serde::de::IntoDeserializer;
        let d: StringDeserializer<DeError> = "2026/27 Q3".to_owned().into_deserializer();
        assert_eq!(Quarter::deserialize(d).unwrap(), quarter("2026/27 Q3"));
        let d: StringDeserializer<DeError> = "2026/27 Q9".to_owned().into_deserializer();
        assert!(Quarter::deserialize(d).is_err());
        assert_eq!(String::from(quarter("2026/27 Q3")), "2026/27 Q3");
    }

    // --- Indicators -------------------------------------------------------

    #[test]
    fn indicators_have_codes_labels_and_units() {
        let codes: Vec<&str> = Indicator::NATIONAL.iter().map(Indicator::code).collect();
        assert_eq!(
            codes,
            [
                "kpi_1",
                "kpi_2",
                "availability",
                "utilisation",
                "staffing",
                "throughput",
                "departures"
            ]
        );
        let short: Vec<&str> = Indicator::NATIONAL
            .iter()
            .map(Indicator::short_label)
            .collect();
        assert_eq!(
            short,
            [
                "KPI 1",
                "KPI 2",
                "SPI 1",
                "SPI 2",
                "SPI 3",
                "SPI 4",
                "Departures"
            ]
        );
        for i in Indicator::NATIONAL {
            assert_eq!(Indicator::parse(i.code()).unwrap(), *i);
            assert_eq!(i.unit(), Unit::Percent);
            assert!(i.higher_is_better());
            assert!(i.label().chars().next().is_some_and(char::is_uppercase));
        }
        assert_eq!(
            Indicator::Kpi1.to_string(),
            "KPI 1: service users supported to establish and maintain independent living"
        );
        let local = Indicator::parse(" referrals_received ").unwrap();
        assert_eq!(local, Indicator::Local("referrals_received".to_owned()));
        assert_eq!(local.code(), "referrals_received");
        assert_eq!(local.label(), "referrals_received");
        assert_eq!(local.unit(), Unit::Number);
        for bad in [
            "",
            "Referrals",
            "2nd_quarter",
            "referrals-received",
            &"x".repeat(51),
        ] {
            assert_eq!(
                Indicator::parse(bad).unwrap_err().code,
                "indicator_invalid",
                "{bad}"
            );
        }
        assert_eq!(String::from(Indicator::Staffing), "staffing");
        assert_eq!(String::from(local), "referrals_received");
    }

    #[test]
    fn which_services_report_which_indicators() {
        use Indicator::*;
        use ServiceType::*;
        assert_eq!(
            Indicator::national_for(Sheltered, Term::Long),
            [Kpi1, Availability, Utilisation, Staffing, Departures]
        );
        assert_eq!(
            Indicator::national_for(AccommodationBased, Term::Short),
            [Kpi2, Availability, Utilisation, Staffing, Throughput]
        );
        assert_eq!(
            Indicator::national_for(AccommodationBased, Term::Long),
            [Kpi1, Availability, Utilisation, Staffing, Departures]
        );
        // Floating support is measured by KPI 1 whatever its term, has no
        // units to be unavailable and no accommodation to depart from.
        assert_eq!(
            Indicator::national_for(FloatingSupport, Term::Short),
            [Kpi1, Utilisation, Staffing, Throughput]
        );
        assert_eq!(
            Indicator::national_for(FloatingSupport, Term::Long),
            [Kpi1, Utilisation, Staffing]
        );
        assert_eq!(
            Indicator::national_for(CommunityAlarm, Term::Long),
            [Kpi1, Utilisation, Staffing]
        );
        assert!(Local("x".to_owned()).applies_to(DayActivities, Term::Short));
    }

    #[test]
    fn local_indicators_are_defined_by_the_authority() {
        let li = LocalIndicator::new(
            " referrals_received ",
            " Referrals received ",
            Unit::People,
            vec![
                ServiceType::Sheltered,
                ServiceType::FloatingSupport,
                ServiceType::Sheltered,
            ],
            true,
        )
        .unwrap();
        assert_eq!(li.code, "referrals_received");
        assert_eq!(li.name, "Referrals received");
        assert_eq!(
            li.service_types,
            [ServiceType::Sheltered, ServiceType::FloatingSupport]
        );
        assert_eq!(
            li.indicator(),
            Indicator::Local("referrals_received".to_owned())
        );
        assert!(li.applies_to(ServiceType::Sheltered));
        assert!(!li.applies_to(ServiceType::AccommodationBased));
        let everyone = LocalIndicator::new(
            "waiting",
            "On the waiting list",
            Unit::People,
            vec![],
            false,
        )
        .unwrap();
        assert!(everyone.applies_to(ServiceType::FloatingSupport));

        let err = |code: &str, name: &str| {
            LocalIndicator::new(code, name, Unit::Number, vec![], true).unwrap_err()
        };
        assert_eq!(
            err("", "Referrals").message,
            "Enter a code for the local indicator"
        );
        assert_eq!(
            err("Referrals!", "Referrals").code,
            "local_indicator_code_invalid"
        );
        assert_eq!(
            err("kpi_1", "Referrals").message,
            "Code is already used by a national indicator"
        );
        assert_eq!(
            err("referrals", "  ").message,
            "Enter a name for the local indicator"
        );
        assert_eq!(
            err("referrals", &"a".repeat(101)).message,
            "Name must be 100 characters or fewer"
        );
    }

    #[test]
    fn units_format_figures() {
        assert_eq!(Unit::Percent.format(92.5), "92.5%");
        assert_eq!(Unit::Percent.format(90.0), "90.0%");
        assert_eq!(Unit::People.format(12.0), "12 people");
        assert_eq!(Unit::People.format(1.0), "1 person");
        assert_eq!(Unit::Hours.format(40.0), "40 hours");
        assert_eq!(Unit::Hours.format(1.0), "1 hour");
        assert_eq!(Unit::Number.format(7.0), "7");
        assert_eq!(Unit::Percent.symbol(), "%");
        assert_eq!(Unit::People.symbol(), "people");
        assert_eq!(Unit::Hours.symbol(), "hours");
        for u in Unit::ALL {
            assert_eq!(Unit::parse(u.as_str()).unwrap(), *u);
        }
        assert_eq!(Unit::parse("miles").unwrap_err().message, "Select a unit");
    }

    // --- Formulas ---------------------------------------------------------

    /// A short-term hostel of 20 units in 2026/27 Q3 (92 days): 1,840
    /// contracted unit-days.
    fn hostel_q3() -> QuarterReturn {
        QuarterReturn {
            service_users_supported: 48,
            maintained_independent_living: 45,
            new_service_users: 10,
            departures: 12,
            planned_departures: 9,
            departure_reasons: DepartureReasons {
                change_of_service: 2,
                deceased: 0,
                lost_contact: 1,
                support_broken_down: 2,
                support_no_longer_required: 7,
            },
            // One unit out for repairs all quarter.
            unavailable_unit_days: 92,
            occupied_unit_days: 1_656,
            // 40 hours a week for 13 weeks, of which 468 delivered.
            support_hours_contracted: 520,
            support_hours_delivered: 468,
            local: BTreeMap::from([("referrals_received".to_owned(), 31)]),
        }
    }

    #[test]
    fn worked_example_every_indicator() {
        let r = hostel_q3();
        assert!(r
            .validate_for(ServiceType::AccommodationBased, 20, 92)
            .is_empty());
        let days = quarter("2026/27 Q3").days();
        let value = |i: Indicator| compute(&i, &r, 20, days);
        // 45 of 48 = 93.75%, rounded half up.
        assert_eq!(value(Indicator::Kpi1), Some(93.8));
        // 9 of 12 planned.
        assert_eq!(value(Indicator::Kpi2), Some(75.0));
        // (1,840 - 92) / 1,840 = 95%.
        assert_eq!(value(Indicator::Availability), Some(95.0));
        // 1,656 / 1,840 = 90%.
        assert_eq!(value(Indicator::Utilisation), Some(90.0));
        // 468 / 520 = 90%.
        assert_eq!(value(Indicator::Staffing), Some(90.0));
        // 12 left a 20-unit service.
        assert_eq!(value(Indicator::Throughput), Some(60.0));
        // Same ratio as KPI 2.
        assert_eq!(value(Indicator::Departures), Some(75.0));
        assert_eq!(
            value(Indicator::Local("referrals_received".to_owned())),
            Some(31.0)
        );
        assert_eq!(value(Indicator::Local("not_reported".to_owned())), None);
    }

    #[test]
    fn more_worked_examples() {
        let r = QuarterReturn {
            service_users_supported: 3,
            maintained_independent_living: 2,
            departures: 3,
            planned_departures: 1,
            occupied_unit_days: 1_655,
            support_hours_contracted: 2_000,
            support_hours_delivered: 1_799,
            ..QuarterReturn::default()
        };
        assert_eq!(compute(&Indicator::Kpi1, &r, 20, 92), Some(66.7));
        assert_eq!(compute(&Indicator::Kpi2, &r, 20, 92), Some(33.3));
        // 1,655 / 1,840 = 89.945...%.
        assert_eq!(compute(&Indicator::Utilisation, &r, 20, 92), Some(89.9));
        // 1,799 / 2,000 = 89.95%, which rounds up to 90.0%.
        assert_eq!(compute(&Indicator::Staffing, &r, 20, 92), Some(90.0));
        // Nothing unavailable: fully available.
        assert_eq!(compute(&Indicator::Availability, &r, 20, 92), Some(100.0));
        // A ten-unit hostel that three people left: 30%.
        assert_eq!(compute(&Indicator::Throughput, &r, 10, 92), Some(30.0));
        // Over-delivery and over-use are not capped.
        let busy = QuarterReturn {
            occupied_unit_days: 1_100,
            support_hours_contracted: 100,
            support_hours_delivered: 125,
            ..QuarterReturn::default()
        };
        assert_eq!(
            compute(&Indicator::Utilisation, &busy, 10, 100),
            Some(110.0)
        );
        assert_eq!(compute(&Indicator::Staffing, &busy, 10, 100), Some(125.0));
    }

    #[test]
    fn percentages_round_half_up_to_one_decimal() {
        assert_eq!(percentage(1, 8), Some(12.5));
        assert_eq!(percentage(1, 16), Some(6.3)); // 6.25
        assert_eq!(percentage(1, 3), Some(33.3));
        assert_eq!(percentage(2, 3), Some(66.7));
        assert_eq!(percentage(0, 7), Some(0.0));
        assert_eq!(percentage(7, 7), Some(100.0));
        assert_eq!(percentage(1, 0), None);
        // Large unit-days do not overflow.
        assert_eq!(percentage(u64::MAX / 2, u64::MAX), Some(50.0));
    }

    #[test]
    fn zero_denominators_give_no_figure() {
        let empty = QuarterReturn::default();
        for i in Indicator::NATIONAL {
            assert_eq!(compute(i, &empty, 0, 92), None, "{i:?} with no units");
        }
        // With units but nobody supported, no departures and no hours:
        // only the unit-based figures exist.
        let values: Vec<Option<f64>> = Indicator::NATIONAL
            .iter()
            .map(|i| compute(i, &empty, 20, 92))
            .collect();
        assert_eq!(
            values,
            [None, None, Some(100.0), Some(0.0), None, Some(0.0), None]
        );
        // No days (a quarter outside the contract) gives no unit-day figures.
        assert_eq!(compute(&Indicator::Availability, &hostel_q3(), 20, 0), None);
        assert_eq!(compute(&Indicator::Utilisation, &hostel_q3(), 20, 0), None);
    }

    #[test]
    fn compute_for_skips_indicators_that_do_not_apply() {
        let r = hostel_q3();
        let floating = ServiceType::FloatingSupport;
        assert_eq!(
            compute_for(&Indicator::Availability, floating, Term::Short, &r, 20, 92),
            None
        );
        assert_eq!(
            compute_for(&Indicator::Kpi2, floating, Term::Short, &r, 20, 92),
            None
        );
        assert_eq!(
            compute_for(&Indicator::Kpi1, floating, Term::Short, &r, 20, 92),
            Some(93.8)
        );
        let sheltered = ServiceType::Sheltered;
        assert_eq!(
            compute_for(&Indicator::Departures, sheltered, Term::Long, &r, 20, 92),
            Some(75.0)
        );
        assert_eq!(
            compute_for(&Indicator::Throughput, sheltered, Term::Long, &r, 20, 92),
            None
        );
    }

    // --- Validation -------------------------------------------------------

    #[test]
    fn validation_finds_parts_larger_than_their_whole() {
        let r = QuarterReturn {
            service_users_supported: 10,
            maintained_independent_living: 11,
            new_service_users: 12,
            departures: 13,
            planned_departures: 14,
            ..QuarterReturn::default()
        };
        let errors = r.validate();
        let got: Vec<(&str, &str, &str)> = errors
            .iter()
            .map(|e| (e.field, e.error.code, e.error.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "maintained_independent_living",
                    "maintained_independent_living_too_many",
                    "Service users who maintained independent living must be 10 or fewer (the number of service users supported)"
                ),
                (
                    "new_service_users",
                    "new_service_users_too_many",
                    "New service users must be 10 or fewer (the number of service users supported)"
                ),
                (
                    "departures",
                    "departures_too_many",
                    "Departures must be 10 or fewer (the number of service users supported)"
                ),
                (
                    "planned_departures",
                    "planned_departures_too_many",
                    "Planned departures must be 13 or fewer (the number of departures)"
                ),
            ]
        );
        assert_eq!(
            errors[3].to_string(),
            "planned_departures: Planned departures must be 13 or fewer (the number of departures)"
        );
    }

    #[test]
    fn departure_reasons_must_balance() {
        let mut r = hostel_q3();
        assert!(r.validate().is_empty());
        r.departure_reasons.set(EndReason::Deceased, 1);
        assert_eq!(r.departure_reasons.count(EndReason::Deceased), 1);
        assert_eq!(r.departure_reasons.total(), 13);
        let errors = r.validate();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "departure_reasons");
        assert_eq!(errors[0].error.code, "departure_reasons_unbalanced");
        assert_eq!(
            errors[0].error.message,
            "Departures by reason must add up to 12 (the number of departures), not 13"
        );
        // No reasons at all is not an imbalance (completeness is checked on
        // upload).
        r.departure_reasons = DepartureReasons::default();
        assert!(r.validate().is_empty());
    }

    #[test]
    fn accommodation_unit_days_are_bounded() {
        let mut r = hostel_q3();
        // 20 units for 92 days = 1,840 unit-days; 92 unavailable leaves 1,748.
        r.occupied_unit_days = 1_748;
        assert!(r.validate_for(ServiceType::Sheltered, 20, 92).is_empty());
        r.occupied_unit_days = 1_749;
        let errors = r.validate_for(ServiceType::Sheltered, 20, 92);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "occupied_unit_days");
        assert_eq!(
            errors[0].error.message,
            "Occupied unit days must be 1748 or fewer (20 units for 92 days, less unit days not available)"
        );
        r.unavailable_unit_days = 1_841;
        let errors = r.validate_for(ServiceType::AccommodationBased, 20, 92);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "unavailable_unit_days");
        assert_eq!(errors[0].error.code, "unavailable_unit_days_too_many");
        assert_eq!(
            errors[0].error.message,
            "Unit days not available for letting must be 1840 or fewer (20 units for 92 days)"
        );
        // Support services may use more than they are contracted for.
        assert!(r
            .validate_for(ServiceType::FloatingSupport, 20, 92)
            .is_empty());
        // The intra-return checks still run.
        r.planned_departures = 99;
        assert_eq!(
            r.validate_for(ServiceType::FloatingSupport, 20, 92).len(),
            1
        );
    }

    // --- Triggers ---------------------------------------------------------

    #[test]
    fn equal_to_the_trigger_is_not_a_breach() {
        let min = Trigger::minimum(Indicator::Utilisation, None, 90.0);
        assert!(!breaches(&min, 90.0));
        assert!(!breaches(&min, 90.1));
        assert!(breaches(&min, 89.9));
        assert!(!breaches(&min, f64::NAN));
        assert!(min.is_breached_by(0.0));
        let max = Trigger::maximum(Indicator::Local("evictions".to_owned()), None, 2.0);
        assert!(!breaches(&max, 2.0));
        assert!(breaches(&max, 3.0));
        assert!(!breaches(&max, 0.0));
        assert_eq!(min.breach_text(), "Below trigger of 90.0%");
        assert_eq!(max.breach_text(), "Above trigger of 2");
    }

    #[test]
    fn breaches_use_the_rounded_figure() {
        let set = TriggerSet::authority_defaults(fy(2026));
        let st = ServiceType::AccommodationBased;
        let r = hostel_q3();
        // Utilisation exactly 90.0%: meets the 90% trigger.
        let utilisation = compute(&Indicator::Utilisation, &r, 20, 92);
        assert_eq!(set.breach(&Indicator::Utilisation, st, utilisation), None);
        // One unit-day fewer: 89.9%, a breach.
        let less = QuarterReturn {
            occupied_unit_days: 1_655,
            ..r.clone()
        };
        let utilisation = compute(&Indicator::Utilisation, &less, 20, 92);
        let breached = set
            .breach(&Indicator::Utilisation, st, utilisation)
            .unwrap();
        assert_eq!(breached.threshold, Threshold::Minimum(90.0));
        // 89.95% shows as 90.0% and is not a breach.
        let staffing = QuarterReturn {
            support_hours_contracted: 2_000,
            support_hours_delivered: 1_799,
            ..r.clone()
        };
        let value = compute(&Indicator::Staffing, &staffing, 20, 92);
        assert_eq!(value, Some(90.0));
        assert_eq!(set.breach(&Indicator::Staffing, st, value), None);
        // KPI 2 exactly at 75%: not a breach; no figure: not a breach.
        assert_eq!(
            set.breach(&Indicator::Kpi2, st, compute(&Indicator::Kpi2, &r, 20, 92)),
            None
        );
        assert_eq!(set.breach(&Indicator::Kpi1, st, None), None);
        // No trigger for departures.
        assert_eq!(set.breach(&Indicator::Departures, st, Some(0.0)), None);
    }

    #[test]
    fn the_most_specific_trigger_wins() {
        let mut set = TriggerSet::authority_defaults(fy(2026));
        set.set(Trigger::minimum(
            Indicator::Utilisation,
            Some(ServiceType::Sheltered),
            97.0,
        ));
        set.set(Trigger::minimum(
            Indicator::Utilisation,
            Some(ServiceType::FloatingSupport),
            85.0,
        ));

        let t = set
            .find(&Indicator::Utilisation, ServiceType::Sheltered)
            .unwrap();
        assert_eq!(
            (t.service_type, t.threshold),
            (Some(ServiceType::Sheltered), Threshold::Minimum(97.0))
        );
        let t = set
            .find(&Indicator::Utilisation, ServiceType::FloatingSupport)
            .unwrap();
        assert_eq!(t.threshold, Threshold::Minimum(85.0));
        // Other service types fall back to the trigger for every type.
        let t = set
            .find(&Indicator::Utilisation, ServiceType::AccommodationBased)
            .unwrap();
        assert_eq!(
            (t.service_type, t.threshold),
            (None, Threshold::Minimum(90.0))
        );
        // 92% is fine for a hostel but breaches the sheltered trigger.
        assert!(set
            .breach(
                &Indicator::Utilisation,
                ServiceType::AccommodationBased,
                Some(92.0)
            )
            .is_none());
        assert!(set
            .breach(&Indicator::Utilisation, ServiceType::Sheltered, Some(92.0))
            .is_some());
        assert!(set
            .breach(
                &Indicator::Utilisation,
                ServiceType::FloatingSupport,
                Some(86.0)
            )
            .is_none());

        // A specific trigger with no general one applies only to its type.
        set.set(Trigger::minimum(
            Indicator::Departures,
            Some(ServiceType::Sheltered),
            50.0,
        ));
        assert!(set
            .find(&Indicator::Departures, ServiceType::Sheltered)
            .is_some());
        assert!(set
            .find(&Indicator::Departures, ServiceType::AccommodationBased)
            .is_none());

        // Setting again replaces; removing falls back to the general one.
        set.set(Trigger::minimum(
            Indicator::Utilisation,
            Some(ServiceType::Sheltered),
            95.0,
        ));
        assert_eq!(
            set.triggers()
                .iter()
                .filter(|t| t.indicator == Indicator::Utilisation)
                .count(),
            3
        );
        assert_eq!(
            set.find(&Indicator::Utilisation, ServiceType::Sheltered)
                .unwrap()
                .threshold
                .value(),
            95.0
        );
        assert!(set.remove(&Indicator::Utilisation, Some(ServiceType::Sheltered)));
        assert!(!set.remove(&Indicator::Utilisation, Some(ServiceType::Sheltered)));
        assert_eq!(
            set.find(&Indicator::Utilisation, ServiceType::Sheltered)
                .unwrap()
                .service_type,
            None
        );
    }

    #[test]
    fn authority_defaults_cover_the_triggered_measures() {
        let set = TriggerSet::authority_defaults(fy(2026));
        let got: Vec<(&str, f64)> = set
            .triggers()
            .iter()
            .map(|t| (t.indicator.code(), t.threshold.value()))
            .collect();
        assert_eq!(
            got,
            [
                ("kpi_1", 90.0),
                ("kpi_2", 75.0),
                ("availability", 90.0),
                ("utilisation", 90.0),
                ("staffing", 90.0),
                ("throughput", 10.0),
            ]
        );
        assert!(set
            .triggers()
            .iter()
            .all(|t| t.service_type.is_none() && matches!(t.threshold, Threshold::Minimum(_))));
    }

    #[test]
    fn trigger_sets_by_year_carry_forward() {
        let sets = [
            TriggerSet::with(fy(2025), [Trigger::minimum(Indicator::Kpi1, None, 85.0)]),
            TriggerSet::with(fy(2027), [Trigger::minimum(Indicator::Kpi1, None, 92.0)]),
            TriggerSet::with(fy(2026), [Trigger::minimum(Indicator::Kpi1, None, 90.0)]),
        ];
        let kpi1 = |year| {
            TriggerSet::for_year(&sets, fy(year))
                .and_then(|s| s.find(&Indicator::Kpi1, ServiceType::Sheltered))
                .map(|t| t.threshold.value())
        };
        assert_eq!(kpi1(2024), None);
        assert_eq!(kpi1(2025), Some(85.0));
        assert_eq!(kpi1(2026), Some(90.0));
        assert_eq!(kpi1(2027), Some(92.0));
        // 2028/29 not set yet: 2027/28's carry forward.
        let set = TriggerSet::for_year(&sets, fy(2028)).unwrap();
        assert_eq!(set.year, fy(2027));
        assert_eq!(kpi1(2028), Some(92.0));
    }

    #[test]
    fn trigger_values_parse_from_the_form() {
        let ok = |i: &Indicator, s: &str| parse_threshold(i, s).unwrap();
        let err = |i: &Indicator, s: &str| {
            let e = parse_threshold(i, s).unwrap_err();
            (e.code, e.message)
        };
        assert_eq!(ok(&Indicator::Kpi1, "90"), 90.0);
        assert_eq!(ok(&Indicator::Kpi1, " 92.5% "), 92.5);
        assert_eq!(ok(&Indicator::Kpi1, "100"), 100.0);
        assert_eq!(ok(&Indicator::Staffing, "110"), 110.0);
        assert_eq!(ok(&Indicator::Throughput, "0"), 0.0);
        assert_eq!(
            err(&Indicator::Kpi1, " "),
            ("trigger_required", "Enter the trigger".to_owned())
        );
        assert_eq!(
            err(&Indicator::Kpi1, "ninety"),
            (
                "trigger_invalid",
                "Trigger must be a number, like 90 or 92.5".to_owned()
            )
        );
        for bad in ["9 0", "90.", ".5", "1e2", "+90", "90%%"] {
            assert_eq!(err(&Indicator::Kpi1, bad).0, "trigger_invalid", "{bad}");
        }
        assert_eq!(
            err(&Indicator::Kpi1, "-5"),
            ("trigger_negative", "Trigger must be 0 or more".to_owned())
        );
        assert_eq!(
            err(&Indicator::Kpi1, "92.55"),
            (
                "trigger_decimals",
                "Trigger must have no more than 1 decimal place".to_owned()
            )
        );
        assert_eq!(
            err(&Indicator::Availability, "100.1"),
            ("trigger_too_high", "Trigger must be 100 or less".to_owned())
        );
    }

    #[test]
    fn indicators_deserialise_from_their_code() {
        use serde::de::value::{Error as DeError, StrDeserializer};
        use serde::de::IntoDeserializer;
        let d: StrDeserializer<DeError> = "kpi_2".into_deserializer();
        assert_eq!(Indicator::deserialize(d).unwrap(), Indicator::Kpi2);
        let d: StrDeserializer<DeError> = "local_referrals".into_deserializer();
        assert_eq!(
            Indicator::deserialize(d).unwrap(),
            Indicator::Local("local_referrals".to_owned())
        );
        let d: StrDeserializer<DeError> = "KPI 2".into_deserializer();
        assert!(Indicator::deserialize(d).is_err());
    }
}
