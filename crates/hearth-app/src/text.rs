//! Every text field has a maximum length (security review 9), checked before anything else
//! in each use case that takes a form, for HTML and the JSON API alike. The limits are the
//! domain's (`hearth_domain::text`); which fields are long is said here once.

use hearth_domain::text::{bounded, LINE, LONG, NOTE};

use crate::{AppError, FieldErrors};

/// Fields that hold free prose: a comment, a note, remarks, a description.
const NOTE_FIELDS: &[&str] = &[
    "notes",
    "note",
    "comment",
    "comments",
    // The commissioning team's comments on a contract document.
    "authority_comments",
    "remarks",
    "message",
    "explanation",
    "reason",
    "directions",
    "exclusions",
    // A contract's services: their references, comma-separated.
    "services",
    "eligibility",
    "referral_routes",
    "accessibility",
    "details",
    "body",
    "summary",
];
/// Fields that hold a long text (a service's directory description).
const LONG_FIELDS: &[&str] = &["description", "public_description"];

/// The most characters `field` may hold.
pub fn max_for(field: &str) -> usize {
    if LONG_FIELDS.contains(&field) {
        LONG
    } else if NOTE_FIELDS.contains(&field)
        || field.ends_with("_notes")
        || field.ends_with("_reason")
    {
        NOTE
    } else {
        // Names, lines of an address, codes, numbers as typed, e-mail addresses: one line.
        LINE.max(hearth_domain::text::EMAIL)
    }
}

fn label_of(field: &str) -> String {
    let words = field.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Checks every text field of a form against its maximum; the errors name each field.
pub fn check_lengths<T: serde::Serialize>(input: &T) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(input) {
        for (k, v) in fields {
            if let serde_json::Value::String(s) = v {
                if let Err(e) = bounded(&label_of(&k), &s, max_for(&k)) {
                    errors.add(&k, e.message);
                }
            }
        }
    }
    errors.into_result()
}

/// Checks one text argument (a note, remarks, an explanation) against its maximum.
pub fn check_text(field: &str, value: &str) -> Result<(), AppError> {
    bounded(&label_of(field), value, max_for(field))
        .map(|_| ())
        .map_err(|e| AppError::invalid(field, e.message))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Form {
        first_name: String,
        comment: String,
        description: String,
    }

    #[test]
    fn each_field_has_its_maximum_and_the_error_names_the_field() {
        let ok = Form {
            first_name: "a".repeat(254),
            comment: "b".repeat(5_000),
            description: "c".repeat(20_000),
        };
        assert!(check_lengths(&ok).is_ok());
        let bad = Form {
            first_name: "a".repeat(100_000),
            comment: "b".repeat(5_001),
            description: "c".repeat(20_001),
        };
        let Err(AppError::Invalid(e)) = check_lengths(&bad) else {
            panic!()
        };
        assert_eq!(
            e.get("first_name"),
            Some("First name must be 254 characters or fewer")
        );
        assert_eq!(
            e.get("comment"),
            Some("Comment must be 5000 characters or fewer")
        );
        assert!(e.get("description").is_some());
        assert!(check_text("note", &"x".repeat(2 * 1024 * 1024)).is_err());
    }
}
