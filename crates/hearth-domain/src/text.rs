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

#[cfg(test)]
mod tests {
    use super::*;

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
