//! Values the performance pages send that are parsed before any use case sees them: how
//! the analysis groups services, how many days after a quarter returns are due, and the
//! quarter a return or an extension is for.

#[allow(unused_imports)]
use super::*;

crate::enums::string_enum! {
    /// How the analysis across services (F4.7) groups them.
    #[derive(Default)]
    pub enum AnalysisGrouping {
        error: ("analysis_grouping_invalid", "Select service, client group or provider"),
        #[default]
        Service => ("service", "Service"),
        ClientGroup => ("client_group", "Client group"),
        Provider => ("provider", "Provider"),
    }
}

impl AnalysisGrouping {
    /// The grouping a page's `by` parameter asks for: anything but a known code (or no
    /// parameter) is the default, by service, since a view changes nothing.
    pub fn or_default(by: Option<&str>) -> Self {
        by.and_then(|b| Self::parse(b).ok()).unwrap_or_default()
    }
}

/// Days after a quarter ends that its returns are due (F4.5), as an authority sets it: a
/// whole number from 1 to 90.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DueDays(u8);

impl DueDays {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 90;

    /// Parses the number typed into the settings form (surrounding spaces ignored).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        input
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|n| (Self::MIN..=Self::MAX).contains(n))
            .map(DueDays)
            .ok_or_else(|| {
                FieldError::new("due_days_invalid", "Enter a number of days from 1 to 90")
            })
    }

    /// The number of days.
    pub fn days(self) -> i64 {
        i64::from(self.0)
    }
}

impl fmt::Display for DueDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The quarter a return is for, as the return forms' list sends it ("2026/27 Q3"). Any
/// refusal reads as the form asks: choose one.
pub fn parse_return_quarter(input: &str) -> Result<Quarter, FieldError> {
    Quarter::parse(input).map_err(|_| {
        FieldError::new(
            "return_quarter_invalid",
            "Choose the quarter this return is for",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_groupings() {
        assert_eq!(
            AnalysisGrouping::parse("client_group").unwrap(),
            AnalysisGrouping::ClientGroup
        );
        assert_eq!(
            AnalysisGrouping::parse("provider").unwrap(),
            AnalysisGrouping::Provider
        );
        assert_eq!(
            AnalysisGrouping::parse("service").unwrap(),
            AnalysisGrouping::Service
        );
        for bad in ["", "Provider", "client group", "services", "provider'--"] {
            let e = AnalysisGrouping::parse(bad).unwrap_err();
            assert_eq!(e.code, "analysis_grouping_invalid", "{bad:?}");
            assert_eq!(e.message, "Select service, client group or provider");
        }
        // A page's parameter falls back to grouping by service.
        assert_eq!(
            AnalysisGrouping::or_default(Some("provider")),
            AnalysisGrouping::Provider
        );
        assert_eq!(
            AnalysisGrouping::or_default(Some("nonsense")),
            AnalysisGrouping::Service
        );
        assert_eq!(
            AnalysisGrouping::or_default(None),
            AnalysisGrouping::Service
        );
    }

    #[test]
    fn due_days_from_1_to_90() {
        assert_eq!(DueDays::parse("1").unwrap().days(), 1);
        assert_eq!(DueDays::parse(" 28 ").unwrap().days(), 28);
        assert_eq!(DueDays::parse("90").unwrap().days(), 90);
        assert_eq!(DueDays::parse("10").unwrap().to_string(), "10");
        for bad in [
            "",
            " ",
            "0",
            "91",
            "-1",
            "+-3",
            "2.5",
            "ten",
            "1e2",
            "300",
            "99999999999999999999",
            "28 days",
            "١٢",
        ] {
            let e = DueDays::parse(bad).unwrap_err();
            assert_eq!(e.code, "due_days_invalid", "{bad:?}");
            assert_eq!(e.message, "Enter a number of days from 1 to 90", "{bad:?}");
        }
    }

    #[test]
    fn the_quarter_a_return_is_for() {
        let q = parse_return_quarter("2026/27 Q3").unwrap();
        assert_eq!(q.label(), "2026/27 Q3");
        assert_eq!(parse_return_quarter(" 2026-27 q1 ").unwrap().number(), 1);
        for bad in [
            "",
            "Q3",
            "2026/27",
            "2026/27 Q5",
            "2026/28 Q1",
            "next quarter",
        ] {
            let e = parse_return_quarter(bad).unwrap_err();
            assert_eq!(e.code, "return_quarter_invalid", "{bad:?}");
            assert_eq!(
                e.message, "Choose the quarter this return is for",
                "{bad:?}"
            );
        }
    }
}
