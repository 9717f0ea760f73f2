//! The triggers the team sets each year, and breaches.

#[allow(unused_imports)]
use super::*;

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
    /// Whether `value` breaches it: strictly below a minimum, strictly above a maximum.
    pub fn breached_by(&self, value: f64) -> bool {
        match *self {
            Self::Minimum(min) => value < min,
            Self::Maximum(max) => value > max,
        }
    }

    /// The words beside a breached figure, so a breach is not shown by colour alone.
    pub fn breach_word(&self) -> &'static str {
        match self {
            Self::Minimum(_) => "Below trigger",
            Self::Maximum(_) => "Above trigger",
        }
    }

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

    /// What the trigger asks of a figure, for the Trigger column of a return
    /// and the list of triggers: "At least 90.0%", "At most 5". Shown for every
    /// figure that has a trigger, met or not.
    pub fn requirement_text(&self) -> String {
        let unit = self.indicator.unit();
        match self.threshold {
            Threshold::Minimum(v) => format!("At least {}", unit.format(v)),
            Threshold::Maximum(v) => format!("At most {}", unit.format(v)),
        }
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
    trigger.threshold.breached_by(value)
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
