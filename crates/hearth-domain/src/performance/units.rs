//! Units of measure of the indicators.

#[allow(unused_imports)]
use super::*;

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
