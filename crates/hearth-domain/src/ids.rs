//! Identifiers and amounts as parsed newtypes.
//!
//! Each type can only be built through `parse`, which normalises the input
//! (spaces, case) and rejects anything invalid with a [`FieldError`] whose
//! message is the plain English a GOV.UK form shows beside the field.
//! Deserialisation goes through `parse` too, so a value read back from JSON
//! or a database row is as valid as one typed into a form.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A problem with one field of user input: a stable `code` for programs and
/// tests, and a `message` written for the person filling in the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// Stable, snake_case identifier such as `ni_number_invalid`.
    pub code: &'static str,
    /// GOV.UK style message, e.g. "Enter a real postcode".
    pub message: String,
}

impl FieldError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Removes every whitespace character and upper-cases what is left.
fn compact_upper(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Implements `as_str`, `Display`, `AsRef<str>` and the `String`
/// conversions that serde uses (`try_from = "String"`, `into = "String"`).
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The normalised value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

// ---------------------------------------------------------------------------
// National Insurance number
// ---------------------------------------------------------------------------

/// A UK National Insurance number, normalised to nine characters with no
/// spaces, e.g. `AB123456C`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NiNumber(String);

string_newtype!(NiNumber);

/// Letters HMRC never uses in either position of the prefix.
const NI_NEVER_IN_PREFIX: &[char] = &['D', 'F', 'I', 'Q', 'U', 'V'];
/// Prefixes HMRC does not allocate.
const NI_BANNED_PREFIXES: &[&str] = &["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"];

impl NiNumber {
    /// Accepts spaces, hyphens and lower case: "ab 12 34 56 c" -> "AB123456C".
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value: String = compact_upper(input).chars().filter(|c| *c != '-').collect();
        if value.is_empty() {
            return Err(FieldError::new(
                "ni_number_required",
                "Enter a National Insurance number",
            ));
        }
        if Self::is_valid(&value) {
            Ok(Self(value))
        } else {
            Err(FieldError::new(
                "ni_number_invalid",
                "Enter a National Insurance number in the correct format, like QQ 12 34 56 C",
            ))
        }
    }

    fn is_valid(value: &str) -> bool {
        let chars: Vec<char> = value.chars().collect();
        let [first, second, d1, d2, d3, d4, d5, d6, suffix] = chars.as_slice() else {
            return false;
        };
        let letters_ok = first.is_ascii_uppercase()
            && second.is_ascii_uppercase()
            && !NI_NEVER_IN_PREFIX.contains(first)
            && !NI_NEVER_IN_PREFIX.contains(second)
            && *second != 'O';
        let digits_ok = [d1, d2, d3, d4, d5, d6].iter().all(|c| c.is_ascii_digit());
        let suffix_ok = matches!(suffix, 'A'..='D');
        let prefix: String = [*first, *second].iter().collect();
        letters_ok && digits_ok && suffix_ok && !NI_BANNED_PREFIXES.contains(&prefix.as_str())
    }

    /// The number in the grouping printed on letters: "AB 12 34 56 C".
    pub fn formatted(&self) -> String {
        let v = &self.0;
        match (
            v.get(0..2),
            v.get(2..4),
            v.get(4..6),
            v.get(6..8),
            v.get(8..),
        ) {
            (Some(a), Some(b), Some(c), Some(d), Some(e)) => format!("{a} {b} {c} {d} {e}"),
            _ => v.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// Housing benefit number
// ---------------------------------------------------------------------------

/// A housing benefit claim number: 6 to 10 digits, stored without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HousingBenefitNumber(String);

string_newtype!(HousingBenefitNumber);

impl HousingBenefitNumber {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if value.is_empty() {
            return Err(FieldError::new(
                "housing_benefit_number_required",
                "Enter a housing benefit number",
            ));
        }
        if !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                "housing_benefit_number_invalid",
                "Housing benefit number must only include numbers 0 to 9",
            ));
        }
        if !(6..=10).contains(&value.len()) {
            return Err(FieldError::new(
                "housing_benefit_number_length",
                "Housing benefit number must be 6 to 10 digits",
            ));
        }
        Ok(Self(value))
    }
}

// ---------------------------------------------------------------------------
// Postcode
// ---------------------------------------------------------------------------

/// A UK postcode, upper case with one space before the inward code:
/// "sw1a1aa" -> "SW1A 1AA".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(String);

string_newtype!(Postcode);

impl Postcode {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("postcode_invalid", "Enter a real postcode");
        // Checked before upper-casing: "ß1 1AA" must not become "SS1 1AA".
        if !input
            .chars()
            .filter(|c| !c.is_whitespace())
            .all(|c| c.is_ascii())
        {
            return Err(invalid());
        }
        let compact = compact_upper(input);
        if compact.is_empty() {
            return Err(FieldError::new("postcode_required", "Enter a postcode"));
        }
        if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
            return Err(invalid());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        if compact == "GIR0AA" || (outward_ok(outward) && inward_ok(inward)) {
            Ok(Self(format!("{outward} {inward}")))
        } else {
            Err(invalid())
        }
    }

    /// The outward code (area and district), e.g. "SW1A" of "SW1A 1AA".
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or(&self.0)
    }

    /// The inward code (sector and unit), e.g. "1AA" of "SW1A 1AA".
    pub fn inward(&self) -> &str {
        self.0.rsplit(' ').next().unwrap_or(&self.0)
    }
}

/// Outward code patterns: A9, A99, A9A, AA9, AA99, AA9A (A letter, 9 digit).
fn outward_ok(outward: &str) -> bool {
    let shape: String = outward
        .chars()
        .map(|c| match c {
            'A'..='Z' => 'A',
            '0'..='9' => '9',
            _ => '?',
        })
        .collect();
    matches!(
        shape.as_str(),
        "A9" | "A99" | "A9A" | "AA9" | "AA99" | "AA9A"
    )
}

/// Inward code pattern: 9AA.
fn inward_ok(inward: &str) -> bool {
    let b = inward.as_bytes();
    b.len() == 3 && b[0].is_ascii_digit() && b[1].is_ascii_uppercase() && b[2].is_ascii_uppercase()
}

// ---------------------------------------------------------------------------
// UPRN
// ---------------------------------------------------------------------------

/// A Unique Property Reference Number: 1 to 12 digits. The digits are kept
/// as entered (surrounding spaces trimmed); `value` gives the number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uprn(String);

string_newtype!(Uprn);

impl Uprn {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(FieldError::new("uprn_required", "Enter a UPRN"));
        }
        if !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                "uprn_invalid",
                "UPRN must only include numbers 0 to 9",
            ));
        }
        if value.len() > 12 {
            return Err(FieldError::new(
                "uprn_length",
                "UPRN must be 12 digits or fewer",
            ));
        }
        let uprn = Self(value.to_owned());
        if uprn.value() == 0 {
            return Err(FieldError::new("uprn_invalid", "Enter a real UPRN"));
        }
        Ok(uprn)
    }

    /// The number itself (leading zeros ignored).
    pub fn value(&self) -> u64 {
        // At most 12 ASCII digits, so this cannot overflow.
        self.0
            .bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b.wrapping_sub(b'0')))
    }
}

// ---------------------------------------------------------------------------
// USRN
// ---------------------------------------------------------------------------

/// A Unique Street Reference Number: 1 to 8 digits, as entered (spaces around trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Usrn(String);

string_newtype!(Usrn);

impl Usrn {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(FieldError::new("usrn_required", "Enter a USRN"));
        }
        if !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                "usrn_invalid",
                "USRN must only include numbers 0 to 9",
            ));
        }
        if value.len() > 8 {
            return Err(FieldError::new(
                "usrn_length",
                "USRN must be 8 digits or fewer",
            ));
        }
        if value.bytes().all(|b| b == b'0') {
            return Err(FieldError::new("usrn_invalid", "Enter a real USRN"));
        }
        Ok(Self(value.to_owned()))
    }
}

// ---------------------------------------------------------------------------
// Telephone numbers
// ---------------------------------------------------------------------------

/// A telephone, mobile, fax or pager number as people write them: digits with spaces,
/// brackets, hyphens, dots, a leading + and an extension ("ext 23" or "x23"); at least
/// three digits and at most 20. Kept as typed, spaces around trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

string_newtype!(PhoneNumber);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(FieldError::new(
                "phone_required",
                "Enter a telephone number",
            ));
        }
        let lower = value.to_ascii_lowercase();
        let without_ext = lower.replacen("ext", "", 1);
        let allowed = without_ext.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit()
                || matches!(c, ' ' | '(' | ')' | '-' | '.' | 'x')
                || (c == '+' && i == 0)
        });
        let digits = value.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(3..=20).contains(&digits) {
            return Err(FieldError::new(
                "phone_invalid",
                "Enter a telephone number, like 01632 960 001 or +44 808 157 0192",
            ));
        }
        Ok(Self(value.to_owned()))
    }
}

// ---------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------

/// An amount of money in whole pence. Display gives "£1,234.56".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Pence(pub i64);

impl Pence {
    pub const ZERO: Pence = Pence(0);

    /// A contract's value for a year at its full units: the weekly rate per unit × units × 52
    /// weeks (saturating, so an absurd record cannot overflow).
    pub fn annual_contract_value(weekly_rate_per_unit: Pence, units: i64) -> Pence {
        Pence(
            weekly_rate_per_unit
                .0
                .saturating_mul(units)
                .saturating_mul(52),
        )
    }

    /// Parses an amount in pounds as typed into a form: "12", "12.5",
    /// "12.50", "£1,234.56". Negative amounts, more than 2 decimal places,
    /// badly placed commas and anything else are rejected.
    pub fn parse_pounds(input: &str) -> Result<Pence, FieldError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("amount_required", "Enter an amount"));
        }
        let invalid = || {
            FieldError::new(
                "amount_invalid",
                "Enter an amount in pounds and pence, like 12.50",
            )
        };
        let unsigned = trimmed.strip_prefix('£').unwrap_or(trimmed).trim_start();
        if unsigned.starts_with('-') || trimmed.starts_with('-') {
            return Err(FieldError::new(
                "amount_negative",
                "Amount must be £0.00 or more",
            ));
        }
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (unsigned, None),
        };
        let whole_digits = group_digits(whole).ok_or_else(invalid)?;
        let fraction_pence = match fraction {
            None => 0,
            Some(f) if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) => {
                return Err(invalid())
            }
            Some(f) if f.len() > 2 => {
                return Err(FieldError::new(
                    "amount_decimal_places",
                    "Amount must not have more than 2 decimal places",
                ))
            }
            Some(f) => {
                let digits = digits_value(f).ok_or_else(invalid)?;
                if f.len() == 1 {
                    digits * 10
                } else {
                    digits
                }
            }
        };
        let too_large = || FieldError::new("amount_too_large", "Amount is too large");
        let pounds = digits_value(&whole_digits).ok_or_else(too_large)?;
        pounds
            .checked_mul(100)
            .and_then(|p| p.checked_add(fraction_pence))
            .map(Pence)
            .ok_or_else(too_large)
    }

    /// Whole pounds as pence.
    pub const fn from_pounds(pounds: i64) -> Pence {
        Pence(pounds * 100)
    }

    pub const fn pence(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Pence) -> Option<Pence> {
        self.0.checked_add(other.0).map(Pence)
    }

    pub fn checked_sub(self, other: Pence) -> Option<Pence> {
        self.0.checked_sub(other.0).map(Pence)
    }

    /// Plain decimal pounds without symbol or separators, for CSV and APIs:
    /// `Pence(123456)` -> "1234.56", `Pence(-5)` -> "-0.05".
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Checks the whole-pounds part: digits, optionally grouped in threes with
/// commas ("1,234,567"). Returns the digits without commas.
fn group_digits(whole: &str) -> Option<String> {
    if whole.is_empty() {
        return None;
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let all_digits = groups
        .iter()
        .all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()));
    if !all_digits {
        return None;
    }
    if groups.len() > 1 {
        let first_ok = groups.first().is_some_and(|g| g.len() <= 3);
        let rest_ok = groups.iter().skip(1).all(|g| g.len() == 3);
        if !first_ok || !rest_ok {
            return None;
        }
    }
    Some(groups.concat())
}

/// Value of a string of ASCII digits, or `None` on overflow.
fn digits_value(digits: &str) -> Option<i64> {
    digits.bytes().try_fold(0i64, |acc, b| {
        acc.checked_mul(10)?
            .checked_add(i64::from(b.wrapping_sub(b'0')))
    })
}

impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let pounds = (abs / 100).to_string();
        // The leading group has 1 to 3 digits; every later group has 3.
        let head_len = match pounds.len() % 3 {
            0 => 3.min(pounds.len()),
            r => r,
        };
        let (head, rest) = pounds.split_at(head_len);
        write!(f, "{sign}£{head}")?;
        for group in rest.as_bytes().chunks(3) {
            f.write_str(",")?;
            for digit in group {
                write!(f, "{}", char::from(*digit))?;
            }
        }
        write!(f, ".{:02}", abs % 100)
    }
}

impl std::ops::Add for Pence {
    type Output = Pence;
    fn add(self, rhs: Pence) -> Pence {
        Pence(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Pence {
    type Output = Pence;
    fn sub(self, rhs: Pence) -> Pence {
        Pence(self.0 - rhs.0)
    }
}

impl std::ops::AddAssign for Pence {
    fn add_assign(&mut self, rhs: Pence) {
        self.0 += rhs.0;
    }
}

impl std::ops::SubAssign for Pence {
    fn sub_assign(&mut self, rhs: Pence) {
        self.0 -= rhs.0;
    }
}

impl std::ops::Neg for Pence {
    type Output = Pence;
    fn neg(self) -> Pence {
        Pence(-self.0)
    }
}

impl std::iter::Sum for Pence {
    fn sum<I: Iterator<Item = Pence>>(iter: I) -> Pence {
        iter.fold(Pence::ZERO, |a, b| a + b)
    }
}

impl<'a> std::iter::Sum<&'a Pence> for Pence {
    fn sum<I: Iterator<Item = &'a Pence>>(iter: I) -> Pence {
        iter.copied().sum()
    }
}

// ---------------------------------------------------------------------------
// Authority code
// ---------------------------------------------------------------------------

/// An authority's short code, as staff type it and as it appears in references: 2 to 10
/// capital letters or digits starting with a letter, e.g. `BRK`. Case is ignored on input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AuthorityCode(String);

string_newtype!(AuthorityCode);

impl AuthorityCode {
    /// The longest code accepted.
    pub const MAX_CHARS: usize = 10;

    /// "brk" -> "BRK"; refuses spaces inside, punctuation and codes of the wrong length.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = input.trim().to_ascii_uppercase();
        if value.is_empty() {
            return Err(FieldError::new(
                "authority_code_required",
                "Enter the authority's code",
            ));
        }
        let shape_ok = value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && value.starts_with(|c: char| c.is_ascii_uppercase())
            && (2..=Self::MAX_CHARS).contains(&value.len());
        if shape_ok {
            Ok(Self(value))
        } else {
            Err(FieldError::new(
                "authority_code_invalid",
                "Enter a code of 2 to 10 letters or digits starting with a letter, like BRK",
            ))
        }
    }

    /// Whether a stored code is this one (stored codes are compared in any case).
    pub fn matches(&self, stored: &str) -> bool {
        stored.eq_ignore_ascii_case(&self.0)
    }
}

#[cfg(test)]
mod value_tests {
    use super::Pence;

    #[test]
    fn a_contracts_annual_value_is_52_weeks_of_its_units() {
        // 12 units at £150.00 a unit a week: £93,600.00 a year.
        assert_eq!(
            Pence::annual_contract_value(Pence(15_000), 12).to_string(),
            "£93,600.00"
        );
        assert_eq!(
            Pence::annual_contract_value(Pence(i64::MAX), 2),
            Pence(i64::MAX)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::value::{Error as DeError, StringDeserializer};
    use serde::de::IntoDeserializer;

    fn code<T: fmt::Debug>(r: Result<T, FieldError>) -> &'static str {
        r.unwrap_err().code
    }

    // --- Authority code --------------------------------------------------

    #[test]
    fn authority_codes_are_upper_cased_and_bounded() {
        assert_eq!(AuthorityCode::parse(" brk ").unwrap().as_str(), "BRK");
        assert_eq!(AuthorityCode::parse("W1").unwrap().as_str(), "W1");
        assert_eq!(
            AuthorityCode::parse("ABCDEFGHIJ").unwrap().as_str(),
            "ABCDEFGHIJ"
        );
        assert_eq!(code(AuthorityCode::parse("")), "authority_code_required");
        assert_eq!(code(AuthorityCode::parse("   ")), "authority_code_required");
        assert!(AuthorityCode::parse("brk").unwrap().matches("Brk"));
        assert!(!AuthorityCode::parse("BRK").unwrap().matches("FVL"));
        for bad in [
            "B",
            "ABCDEFGHIJK",
            "1AB",
            "B R K",
            "BR-K",
            "BR\nK",
            "BRÄ",
            "<b>",
            "BRK;",
            "B_K",
            "BRK%",
            "' OR 1=1",
        ] {
            assert_eq!(
                code(AuthorityCode::parse(bad)),
                "authority_code_invalid",
                "{bad}"
            );
        }
    }

    // --- NI number -------------------------------------------------------

    #[test]
    fn ni_number_normalises_spaces_and_case() {
        let ni = NiNumber::parse("ab 12 34 56 c").unwrap();
        assert_eq!(ni.as_str(), "AB123456C");
        assert_eq!(ni.to_string(), "AB123456C");
        assert_eq!(ni.formatted(), "AB 12 34 56 C");
        assert_eq!(
            NiNumber::parse("  JG103759A ").unwrap().as_str(),
            "JG103759A"
        );
        assert_eq!(
            NiNumber::parse("ce-12-34-56-d").unwrap().as_str(),
            "CE123456D"
        );
    }

    #[test]
    fn ni_number_hmrc_example_prefix_is_not_real() {
        // QQ is the example prefix on GOV.UK; Q is never allocated.
        let err = NiNumber::parse("qq 12 34 56 c").unwrap_err();
        assert_eq!(err.code, "ni_number_invalid");
        assert_eq!(
            err.message,
            "Enter a National Insurance number in the correct format, like QQ 12 34 56 C"
        );
    }

    #[test]
    fn ni_number_rejects_disallowed_prefix_letters() {
        for bad in [
            "DA123456A",
            "FA123456A",
            "IA123456A",
            "QA123456A",
            "UA123456A",
            "VA123456A",
            "AD123456A",
            "AF123456A",
            "AI123456A",
            "AQ123456A",
            "AU123456A",
            "AV123456A",
            "AO123456A",
        ] {
            assert_eq!(code(NiNumber::parse(bad)), "ni_number_invalid", "{bad}");
        }
        // O is allowed in first position.
        assert!(NiNumber::parse("OA123456A").is_ok());
    }

    #[test]
    fn ni_number_rejects_unallocated_prefixes() {
        for prefix in ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"] {
            let input = format!("{prefix}123456A");
            assert_eq!(
                code(NiNumber::parse(&input)),
                "ni_number_invalid",
                "{input}"
            );
        }
    }

    #[test]
    fn ni_number_rejects_bad_shape_and_suffix() {
        for bad in [
            "AB123456E",
            "AB123456",
            "AB1234567C",
            "AB12345C",
            "A1123456C",
            "ABC23456C",
            "AB12345XC",
            "1B123456C",
            "AB 12 34 56 C X",
            "ÁB123456C",
        ] {
            assert_eq!(code(NiNumber::parse(bad)), "ni_number_invalid", "{bad}");
        }
        for good in ["AB123456A", "AB123456B", "AB123456C", "AB123456D"] {
            assert!(NiNumber::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn ni_number_empty_is_required() {
        let err = NiNumber::parse("   ").unwrap_err();
        assert_eq!(err.code, "ni_number_required");
        assert_eq!(err.message, "Enter a National Insurance number");
    }

    #[test]
    fn deserialising_goes_through_parse() {
        let d: StringDeserializer<DeError> = "ab123456c".to_owned().into_deserializer();
        assert_eq!(NiNumber::deserialize(d).unwrap().as_str(), "AB123456C");
        let d: StringDeserializer<DeError> = "QQ123456C".to_owned().into_deserializer();
        assert!(NiNumber::deserialize(d).is_err());
        let d: StringDeserializer<DeError> = "sw1a1aa".to_owned().into_deserializer();
        assert_eq!(Postcode::deserialize(d).unwrap().as_str(), "SW1A 1AA");
        assert_eq!(String::from(Postcode::parse("n1 9gu").unwrap()), "N1 9GU");
    }

    // --- Housing benefit number -----------------------------------------

    #[test]
    fn housing_benefit_number_accepts_6_to_10_digits() {
        assert_eq!(
            HousingBenefitNumber::parse("123456").unwrap().as_str(),
            "123456"
        );
        assert_eq!(
            HousingBenefitNumber::parse(" 12 345 678 90 ")
                .unwrap()
                .as_str(),
            "1234567890"
        );
        assert_eq!(
            HousingBenefitNumber::parse("0012345").unwrap().to_string(),
            "0012345"
        );
    }

    #[test]
    fn housing_benefit_number_rejects_wrong_length_and_letters() {
        let err = HousingBenefitNumber::parse("12345").unwrap_err();
        assert_eq!(err.code, "housing_benefit_number_length");
        assert_eq!(err.message, "Housing benefit number must be 6 to 10 digits");
        assert_eq!(
            code(HousingBenefitNumber::parse("12345678901")),
            "housing_benefit_number_length"
        );
        assert_eq!(
            code(HousingBenefitNumber::parse("12345A")),
            "housing_benefit_number_invalid"
        );
        assert_eq!(
            code(HousingBenefitNumber::parse("-123456")),
            "housing_benefit_number_invalid"
        );
        assert_eq!(
            code(HousingBenefitNumber::parse("")),
            "housing_benefit_number_required"
        );
    }

    // --- Postcode --------------------------------------------------------

    #[test]
    fn postcode_normalises_every_outward_pattern() {
        let cases = [
            ("m1 1ae", "M1 1AE", "M1"),        // A9
            ("b338th", "B33 8TH", "B33"),      // A99
            ("w1a0ax", "W1A 0AX", "W1A"),      // A9A
            ("cr2 6xh", "CR2 6XH", "CR2"),     // AA9
            ("DN55 1PT", "DN55 1PT", "DN55"),  // AA99
            ("sw1a1aa", "SW1A 1AA", "SW1A"),   // AA9A
            (" bt1   5gs ", "BT1 5GS", "BT1"), // Belfast, spaces collapsed
            ("gir0aa", "GIR 0AA", "GIR"),
        ];
        for (input, normalised, outward) in cases {
            let p = Postcode::parse(input).unwrap();
            assert_eq!(p.as_str(), normalised, "{input}");
            assert_eq!(p.outward(), outward, "{input}");
            assert_eq!(p.inward().len(), 3);
        }
    }

    #[test]
    fn postcode_rejects_unreal_postcodes() {
        for bad in [
            "SW1A1A",
            "1W1A 1AA",
            "SW1AA 1AA",
            "SW1A 1A1",
            "SW1A AAA",
            "ß1 1AA",
            "ABC",
            "A1 1A",
            "SW1A-1AA",
            "AAA9 9AA",
            "A9AA 9AA",
            "SW1A 1AAA",
            "£W1A 1AA",
            "ßW1 1AA",
        ] {
            let err = Postcode::parse(bad).unwrap_err();
            assert_eq!(err.code, "postcode_invalid", "{bad}");
            assert_eq!(err.message, "Enter a real postcode");
        }
        assert_eq!(code(Postcode::parse("  ")), "postcode_required");
    }

    // --- UPRN ------------------------------------------------------------

    #[test]
    fn uprn_keeps_digits_and_gives_value() {
        let u = Uprn::parse(" 100023336956 ").unwrap();
        assert_eq!(u.as_str(), "100023336956");
        assert_eq!(u.value(), 100_023_336_956);
        let z = Uprn::parse("000123").unwrap();
        assert_eq!(z.as_str(), "000123");
        assert_eq!(z.value(), 123);
        assert_eq!(Uprn::parse("1").unwrap().value(), 1);
        assert_eq!(
            Uprn::parse("999999999999").unwrap().value(),
            999_999_999_999
        );
    }

    #[test]
    fn uprn_rejects_signs_letters_length_and_zero() {
        assert_eq!(code(Uprn::parse("+123")), "uprn_invalid");
        assert_eq!(code(Uprn::parse("-123")), "uprn_invalid");
        assert_eq!(code(Uprn::parse("12 34")), "uprn_invalid");
        assert_eq!(code(Uprn::parse("12a")), "uprn_invalid");
        assert_eq!(code(Uprn::parse("1234567890123")), "uprn_length");
        assert_eq!(code(Uprn::parse("0000")), "uprn_invalid");
        assert_eq!(code(Uprn::parse("")), "uprn_required");
    }

    // --- USRN and telephone numbers ---------------------------------------

    #[test]
    fn usrn_is_up_to_eight_digits() {
        assert_eq!(Usrn::parse(" 21201234 ").unwrap().as_str(), "21201234");
        assert_eq!(Usrn::parse("7").unwrap().as_str(), "7");
        assert_eq!(code(Usrn::parse("212012345")), "usrn_length");
        assert_eq!(code(Usrn::parse("2120 1234")), "usrn_invalid");
        assert_eq!(code(Usrn::parse("000")), "usrn_invalid");
        assert_eq!(code(Usrn::parse("")), "usrn_required");
    }

    #[test]
    fn phone_numbers_as_people_write_them() {
        for ok in [
            "0118 496 0123",
            "+44 (0)118 496 0123",
            "07700 900 461",
            "0118-496-0123 ext 23",
            "0118 496 0123 x23",
            "999",
        ] {
            assert_eq!(PhoneNumber::parse(ok).unwrap().as_str(), ok, "{ok}");
        }
        for bad in [
            "call reception",
            "12",
            "0118 496 0123 or 0118 496 0124 or 0118 496 0125",
            "44+ 118",
            "=HYPERLINK(1)",
        ] {
            assert_eq!(code(PhoneNumber::parse(bad)), "phone_invalid", "{bad}");
        }
        assert_eq!(code(PhoneNumber::parse(" ")), "phone_required");
    }

    // --- Money -----------------------------------------------------------

    #[test]
    fn pounds_parse_worked_examples() {
        assert_eq!(Pence::parse_pounds("12").unwrap(), Pence(1200));
        assert_eq!(Pence::parse_pounds("12.5").unwrap(), Pence(1250));
        assert_eq!(Pence::parse_pounds("12.50").unwrap(), Pence(1250));
        assert_eq!(Pence::parse_pounds("12.05").unwrap(), Pence(1205));
        assert_eq!(Pence::parse_pounds("£1,234.56").unwrap(), Pence(123_456));
        assert_eq!(
            Pence::parse_pounds(" £ 1,234,567 ").unwrap(),
            Pence(123_456_700)
        );
        assert_eq!(Pence::parse_pounds("0").unwrap(), Pence(0));
        assert_eq!(Pence::parse_pounds("0.01").unwrap(), Pence(1));
        assert_eq!(Pence::parse_pounds("1234.5").unwrap(), Pence(123_450));
    }

    #[test]
    fn pounds_parse_rejects_bad_input() {
        assert_eq!(code(Pence::parse_pounds("12.345")), "amount_decimal_places");
        assert_eq!(
            code(Pence::parse_pounds("12.3456")),
            "amount_decimal_places"
        );
        assert_eq!(code(Pence::parse_pounds("-12")), "amount_negative");
        assert_eq!(code(Pence::parse_pounds("£-12")), "amount_negative");
        assert_eq!(code(Pence::parse_pounds("-£12")), "amount_negative");
        assert_eq!(code(Pence::parse_pounds("")), "amount_required");
        for junk in [
            "abc", "12.", ".5", "12.5p", "1,23.00", "12,34", ",123", "1,2345", "£", "1.2.3",
            "12 34", "+12", "1e3", "$12", "12.a",
        ] {
            assert_eq!(code(Pence::parse_pounds(junk)), "amount_invalid", "{junk}");
        }
        assert_eq!(
            code(Pence::parse_pounds("99999999999999999999")),
            "amount_too_large"
        );
    }

    #[test]
    fn pence_display_groups_thousands() {
        assert_eq!(Pence(123_456).to_string(), "£1,234.56");
        assert_eq!(Pence(0).to_string(), "£0.00");
        assert_eq!(Pence(5).to_string(), "£0.05");
        assert_eq!(Pence(100).to_string(), "£1.00");
        assert_eq!(Pence(99_999).to_string(), "£999.99");
        assert_eq!(Pence(100_000).to_string(), "£1,000.00");
        assert_eq!(Pence(12_345_678_900).to_string(), "£123,456,789.00");
        assert_eq!(Pence(-123_456).to_string(), "-£1,234.56");
        assert_eq!(Pence(i64::MIN).to_string(), "-£92,233,720,368,547,758.08");
    }

    #[test]
    fn pence_round_trips_through_display() {
        for p in [0, 1, 99, 1_000, 123_456, 100_000_000] {
            let shown = Pence(p).to_string();
            assert_eq!(Pence::parse_pounds(&shown).unwrap(), Pence(p), "{shown}");
        }
    }

    #[test]
    fn pence_arithmetic() {
        let total: Pence = [Pence(150), Pence(250), Pence::from_pounds(1)].iter().sum();
        assert_eq!(total, Pence(500));
        assert_eq!(Pence(500) - Pence(600), Pence(-100));
        assert_eq!(-Pence(5), Pence(-5));
        assert_eq!(Pence(i64::MAX).checked_add(Pence(1)), None);
        assert_eq!(Pence(1).checked_sub(Pence(2)), Some(Pence(-1)));
        assert_eq!(Pence(123_456).to_decimal_string(), "1234.56");
        assert_eq!(Pence(-5).to_decimal_string(), "-0.05");
        assert!(Pence(1) < Pence(2));
        assert_eq!(Pence::default(), Pence::ZERO);
    }

    #[test]
    fn field_error_displays_its_message() {
        let e = FieldError::new("x", "Enter a real postcode");
        assert_eq!(e.to_string(), "Enter a real postcode");
        assert_eq!(e.code, "x");
    }
}
