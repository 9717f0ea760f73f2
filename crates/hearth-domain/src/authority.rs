//! Defaults for the settings an authority can change (sessions and password
//! policy; sign-in throttles are in `throttle`). The configuration layer starts from these.

use std::fmt;

use crate::enums::PasswordPolicyKind;
use crate::ids::FieldError;

/// Minutes of inactivity after which a session ends (F2.4).
pub const DEFAULT_IDLE_MINUTES: i64 = 20;
/// Hours after log-in after which a session ends whatever the activity (F2.4).
pub const DEFAULT_ABSOLUTE_HOURS: i64 = 12;
/// Password rules unless the authority chooses otherwise (F2.2).
pub const DEFAULT_PASSWORD_POLICY: PasswordPolicyKind = PasswordPolicyKind::Uk;

/// A commissioning authority's short code, such as `BRK`: 2 to 8 letters or digits, kept in
/// capitals (typed in any case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthorityCode(String);

impl AuthorityCode {
    pub const MAX_CHARS: usize = 8;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let code = input.trim();
        if code.is_empty() {
            return Err(FieldError::new(
                "authority_code_required",
                "Enter the authority's code, like BRK",
            ));
        }
        if !(2..=Self::MAX_CHARS).contains(&code.chars().count())
            || !code.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(FieldError::new(
                "authority_code_invalid",
                "Enter an authority code of 2 to 8 letters or numbers, like BRK",
            ));
        }
        Ok(AuthorityCode(code.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a stored code is this one (stored codes are compared in any case).
    pub fn matches(&self, stored: &str) -> bool {
        stored.eq_ignore_ascii_case(&self.0)
    }
}

impl fmt::Display for AuthorityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AuthorityCode {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_codes() {
        assert_eq!(AuthorityCode::parse("BRK").unwrap().as_str(), "BRK");
        assert_eq!(AuthorityCode::parse(" brk ").unwrap().as_str(), "BRK");
        assert_eq!(AuthorityCode::parse("W2").unwrap().to_string(), "W2");
        assert_eq!(
            AuthorityCode::parse("ABCDEFGH").unwrap().as_str(),
            "ABCDEFGH"
        );
        assert!(AuthorityCode::parse("brk").unwrap().matches("Brk"));
        assert!(!AuthorityCode::parse("BRK").unwrap().matches("FVL"));
        for blank in ["", "   "] {
            let e = AuthorityCode::parse(blank).unwrap_err();
            assert_eq!(e.code, "authority_code_required");
            assert_eq!(e.message, "Enter the authority's code, like BRK");
        }
        for bad in [
            "B",
            "ABCDEFGHI",
            "BR K",
            "BRK;",
            "B_K",
            "BRK%",
            "ÉRK",
            "' OR 1=1",
        ] {
            let e = AuthorityCode::parse(bad).unwrap_err();
            assert_eq!(e.code, "authority_code_invalid", "{bad:?}");
            assert_eq!(
                e.message, "Enter an authority code of 2 to 8 letters or numbers, like BRK",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn defaults_are_sensible() {
        assert_eq!(DEFAULT_IDLE_MINUTES, 20);
        assert_eq!(DEFAULT_ABSOLUTE_HOURS, 12);
        const { assert!(DEFAULT_IDLE_MINUTES < DEFAULT_ABSOLUTE_HOURS * 60) };
        assert_eq!(DEFAULT_PASSWORD_POLICY, PasswordPolicyKind::default());
    }
}
