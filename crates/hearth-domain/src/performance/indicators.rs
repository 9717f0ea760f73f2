//! The indicators: national and local.

#[allow(unused_imports)]
use super::*;

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

/// The code of a local indicator, as typed into the authority's form: lower case letters,
/// digits and underscores, starting with a letter, at most [`MAX_LOCAL_CODE_CHARS`], and not
/// a national indicator's code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalIndicatorCode(String);

impl LocalIndicatorCode {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let code = input.trim();
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
        Ok(LocalIndicatorCode(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LocalIndicatorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
        let code = LocalIndicatorCode::parse(code)?.0;
        let name = name.trim();
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
            code,
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
