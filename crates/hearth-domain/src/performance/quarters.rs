//! Quarters of the financial year.

#[allow(unused_imports)]
use super::*;

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
