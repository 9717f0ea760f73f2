//! Free text: every field has a maximum length, checked when the input is parsed, with a
//! message for the person who typed it.

use crate::FieldError;

/// Short names: a person's or organisation's name, a title, a reference.
pub const NAME: usize = 200;
/// One line of an address, a job title, a telephone number.
pub const LINE: usize = 200;
/// An e-mail address (RFC 5321's limit).
pub const EMAIL: usize = 254;
/// A comment, a note, remarks, an explanation, a description.
pub const NOTE: usize = 5_000;
/// A long description (a service's directory text).
pub const LONG: usize = 20_000;

/// `value` if it is at most `max` characters, else a message naming the field by `label`.
pub fn bounded<'a>(label: &str, value: &'a str, max: usize) -> Result<&'a str, FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(
            "too_long",
            format!("{label} must be {max} characters or fewer"),
        ));
    }
    Ok(value)
}

/// The longest record reference (a provider's, a service's, a contract's).
pub const REFERENCE: usize = 30;

/// A record reference as typed: `what` names it in the messages ("service"). Letters, digits,
/// `-` and `/` only (so a reference is safe in a file name, a header or a workbook mark), at
/// most [`REFERENCE`] characters.
pub fn reference(what: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::new(
            "reference_missing",
            format!("Enter the {what} reference"),
        ));
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
    {
        return Err(FieldError::new(
            "reference_invalid",
            format!(
                "The {what} reference must use only letters, numbers, hyphens (-) and slashes (/)"
            ),
        ));
    }
    if v.chars().count() > REFERENCE {
        return Err(FieldError::new(
            "reference_too_long",
            format!("The {what} reference must be {REFERENCE} characters or fewer"),
        ));
    }
    Ok(v.to_string())
}

/// A count and its noun, singular for exactly one: `plural(1, "request", "requests")` is
/// "1 request", `plural(3, "request", "requests")` "3 requests" (and 0 is "0 requests").
/// Every page that puts a number before a noun says it through here, so none reads
/// "1 requests".
pub fn plural<N>(n: N, one: &str, many: &str) -> String
where
    N: Copy + PartialEq + From<u8> + std::fmt::Display,
{
    if n == N::from(1) {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Usability review (issue 10): lists said "1 requests", "1 services".
    #[test]
    fn one_of_a_thing_is_singular_and_every_other_count_plural() {
        assert_eq!(plural(1_i64, "request", "requests"), "1 request");
        assert_eq!(plural(0_i64, "request", "requests"), "0 requests");
        assert_eq!(plural(2_usize, "service", "services"), "2 services");
        assert_eq!(plural(1_u32, "property", "properties"), "1 property");
        assert_eq!(plural(11_i64, "person", "people"), "11 people");
    }

    // Security review finding 7: a reference holding `"` or a line break broke the workbook
    // download's Content-Disposition (and could add a second file name).
    #[test]
    fn references_are_letters_digits_hyphens_and_slashes() {
        assert_eq!(reference("service", " BRK-S001 ").unwrap(), "BRK-S001");
        assert_eq!(reference("contract", "C/2026/07").unwrap(), "C/2026/07");
        for bad in [
            "BRK\";filename*=UTF-8''evil.html",
            "S1\r\nX",
            "S 1",
            "S1;",
            "ŵ1",
            "<S1>",
        ] {
            let e = reference("service", bad).unwrap_err();
            assert_eq!(e.code, "reference_invalid", "{bad}");
        }
        assert_eq!(
            reference("service", "").unwrap_err().message,
            "Enter the service reference"
        );
        assert_eq!(
            reference("service", &"A".repeat(31)).unwrap_err().code,
            "reference_too_long"
        );
    }

    #[test]
    fn text_up_to_its_maximum_is_kept_and_longer_is_refused_with_the_field_named() {
        assert_eq!(bounded("First name", "Ann", NAME).unwrap(), "Ann");
        assert!(bounded("First name", &"a".repeat(NAME), NAME).is_ok());
        let e = bounded("First name", &"a".repeat(NAME + 1), NAME).unwrap_err();
        assert_eq!(e.message, "First name must be 200 characters or fewer");
        // Characters, not bytes: 200 Welsh ŵ are 400 bytes and still allowed.
        assert!(bounded("Name", &"ŵ".repeat(NAME), NAME).is_ok());
    }
}
