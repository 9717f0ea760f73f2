//! Password rules (F2.2).
//!
//! * [`PasswordPolicyKind::Uk`] follows NCSC guidance: length (12 to 128
//!   characters), a deny-list of common passwords, not the username, no
//!   composition rules and no forced periodic change.
//! * [`PasswordPolicyKind::Legacy`] reproduces the source system: "at least
//!   6 characters which includes at least 1 capital letter and 1 number",
//!   changed every 90 days. The deny-list applies too.

use std::sync::OnceLock;

use chrono::{Days, NaiveDate};

use crate::enums::PasswordPolicyKind;
use crate::ids::FieldError;

/// Shortest password the UK policy accepts.
pub const UK_MIN_PASSWORD_CHARS: usize = 12;
/// Shortest password the legacy policy accepts.
pub const LEGACY_MIN_PASSWORD_CHARS: usize = 6;
/// Longest password either policy accepts (it bounds hashing work).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Days after which the legacy policy makes users change their password.
pub const LEGACY_PASSWORD_MAX_AGE_DAYS: u64 = 90;
/// Usernames shorter than this are only checked for equality with the
/// password, not containment (a two-letter username would forbid too much).
const MIN_USERNAME_CHARS_FOR_CONTAINS: usize = 3;

const COMMON_PASSWORDS_TEXT: &str = include_str!("common-passwords.txt");

/// The deny-list, sorted and de-duplicated once, for binary search.
fn common_passwords() -> &'static [&'static str] {
    static TABLE: OnceLock<Vec<&'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<&'static str> = COMMON_PASSWORDS_TEXT
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect();
        table.sort_unstable();
        table.dedup();
        table
    })
}

/// Whether a password is on the deny-list (case-insensitive).
pub fn is_common_password(password: &str) -> bool {
    let lower = password.to_lowercase();
    common_passwords().binary_search(&lower.as_str()).is_ok()
}

/// Checks a new password against the authority's policy. `username` is the
/// account's username (used by the UK policy).
pub fn check_password(
    policy: PasswordPolicyKind,
    password: &str,
    username: &str,
) -> Result<(), FieldError> {
    if password.is_empty() {
        return Err(FieldError::new("password_required", "Enter a password"));
    }
    let length = password.chars().count();
    let min = match policy {
        PasswordPolicyKind::Uk => UK_MIN_PASSWORD_CHARS,
        PasswordPolicyKind::Legacy => LEGACY_MIN_PASSWORD_CHARS,
    };
    if length < min {
        return Err(FieldError::new(
            "password_too_short",
            format!("Password must be {min} characters or more"),
        ));
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(
            "password_too_long",
            format!("Password must be {MAX_PASSWORD_CHARS} characters or fewer"),
        ));
    }
    if policy == PasswordPolicyKind::Legacy {
        if !password.chars().any(char::is_uppercase) {
            return Err(FieldError::new(
                "password_needs_capital",
                "Password must include at least 1 capital letter",
            ));
        }
        if !password.chars().any(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                "password_needs_number",
                "Password must include at least 1 number",
            ));
        }
    }
    if is_common_password(password) || is_one_repeated_character(password) {
        return Err(FieldError::new(
            "password_common",
            "Choose a password that is harder to guess. This one is too common",
        ));
    }
    if policy == PasswordPolicyKind::Uk && contains_username(password, username) {
        return Err(FieldError::new(
            "password_contains_username",
            "Password must not contain your username",
        ));
    }
    Ok(())
}

fn is_one_repeated_character(password: &str) -> bool {
    let mut chars = password.chars();
    match chars.next() {
        Some(first) => chars.all(|c| c == first),
        None => false,
    }
}

fn contains_username(password: &str, username: &str) -> bool {
    let user = username.trim().to_lowercase();
    if user.is_empty() {
        return false;
    }
    let password = password.to_lowercase();
    password == user
        || (user.chars().count() >= MIN_USERNAME_CHARS_FOR_CONTAINS && password.contains(&user))
}

/// Whether a password last changed on `changed_at` must be changed before
/// the user carries on: after 90 days under the legacy policy, never under
/// the UK policy.
pub fn password_expired(
    policy: PasswordPolicyKind,
    changed_at: NaiveDate,
    today: NaiveDate,
) -> bool {
    match password_expires_on(policy, changed_at) {
        Some(expires) => today >= expires,
        None => false,
    }
}

/// The day a password changed on `changed_at` expires, if the policy
/// expires passwords.
pub fn password_expires_on(policy: PasswordPolicyKind, changed_at: NaiveDate) -> Option<NaiveDate> {
    match policy {
        PasswordPolicyKind::Uk => None,
        PasswordPolicyKind::Legacy => {
            changed_at.checked_add_days(Days::new(LEGACY_PASSWORD_MAX_AGE_DAYS))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PasswordPolicyKind::{Legacy, Uk};

    fn code(r: Result<(), FieldError>) -> &'static str {
        r.unwrap_err().code
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn deny_list_file_is_well_formed() {
        let lines: Vec<&str> = COMMON_PASSWORDS_TEXT.lines().collect();
        assert!(lines.len() >= 1_000, "only {} entries", lines.len());
        for line in &lines {
            assert!(!line.trim().is_empty());
            assert_eq!(*line, line.trim());
            assert_eq!(*line, line.to_lowercase(), "{line} is not lower case");
        }
        let table = common_passwords();
        assert!(table.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(table.len(), lines.len(), "the file has duplicates");
    }

    #[test]
    fn deny_list_lookups_ignore_case() {
        for common in [
            "password",
            "123456",
            "qwerty",
            "letmein",
            "iloveyou",
            "welcome1",
            "Password1",
            "PASSWORD123",
            "football",
            "monkey",
            "dragon",
            "sunshine",
            "Summer2024",
            "qwertyuiop",
            "1q2w3e4r",
            "passwordpassword",
        ] {
            assert!(is_common_password(common), "{common}");
        }
        for rare in ["", "correct horse battery staple", "Tr0ub4dor&3-zebra"] {
            assert!(!is_common_password(rare), "{rare}");
        }
    }

    #[test]
    fn uk_policy_worked_examples() {
        assert_eq!(
            check_password(Uk, "correct horse battery staple", "jsmith"),
            Ok(())
        );
        // No composition rules: all lower case letters are fine.
        assert_eq!(
            check_password(Uk, "plumtreeharbourlantern", "jsmith"),
            Ok(())
        );
        assert_eq!(check_password(Uk, "abcdefghjkmn", "jsmith"), Ok(()));
        assert_eq!(check_password(Uk, &"x1".repeat(64), "jsmith"), Ok(()));
    }

    #[test]
    fn uk_policy_length() {
        let err = check_password(Uk, "Sh0rt!pass", "jsmith").unwrap_err();
        assert_eq!(err.code, "password_too_short");
        assert_eq!(err.message, "Password must be 12 characters or more");
        assert_eq!(
            code(check_password(Uk, "abcdefghjkm", "jsmith")),
            "password_too_short"
        );
        // Characters, not bytes: 11 two-byte characters are still too short.
        assert_eq!(
            code(check_password(Uk, &"é".repeat(11), "jsmith")),
            "password_too_short"
        );
        let err = check_password(Uk, &"ab".repeat(65), "jsmith").unwrap_err();
        assert_eq!(err.code, "password_too_long");
        assert_eq!(err.message, "Password must be 128 characters or fewer");
        assert_eq!(code(check_password(Uk, "", "jsmith")), "password_required");
    }

    #[test]
    fn uk_policy_deny_list() {
        for common in [
            "password1234",
            "Qwerty123456",
            "PasswordPassword",
            "summer2024!",
        ] {
            // Long enough, but on the list ("summer2024!" is 11: too short first).
            let result = check_password(Uk, common, "jsmith");
            assert!(result.is_err(), "{common}");
        }
        assert_eq!(
            code(check_password(Uk, "Password1234", "jsmith")),
            "password_common"
        );
        assert_eq!(
            code(check_password(Uk, "aaaaaaaaaaaaaaaa", "jsmith")),
            "password_common"
        );
        assert_eq!(
            code(check_password(Uk, "qwertyuiopasdfghjkl", "jsmith")),
            "password_common"
        );
    }

    #[test]
    fn uk_policy_username() {
        let err = check_password(Uk, "JSmith-cottage-door", "jsmith").unwrap_err();
        assert_eq!(err.code, "password_contains_username");
        assert_eq!(err.message, "Password must not contain your username");
        assert_eq!(
            code(check_password(Uk, "mary.jones.admin", "Mary.Jones.Admin")),
            "password_contains_username"
        );
        // Very short usernames only block an exact match.
        assert_eq!(check_password(Uk, "bottle green kettle", "jo"), Ok(()));
        assert_eq!(check_password(Uk, "bottle green kettle", ""), Ok(()));
    }

    #[test]
    fn legacy_policy_source_rules() {
        assert_eq!(check_password(Legacy, "Belfast7", "nitest"), Ok(()));
        assert_eq!(check_password(Legacy, "Abcde1", "nitest"), Ok(()));
        let err = check_password(Legacy, "Abc12", "nitest").unwrap_err();
        assert_eq!(err.code, "password_too_short");
        assert_eq!(err.message, "Password must be 6 characters or more");
        let err = check_password(Legacy, "belfast7", "nitest").unwrap_err();
        assert_eq!(err.code, "password_needs_capital");
        assert_eq!(
            err.message,
            "Password must include at least 1 capital letter"
        );
        let err = check_password(Legacy, "Belfastt", "nitest").unwrap_err();
        assert_eq!(err.code, "password_needs_number");
        assert_eq!(err.message, "Password must include at least 1 number");
        assert_eq!(
            code(check_password(Legacy, "", "nitest")),
            "password_required"
        );
    }

    #[test]
    fn legacy_policy_deny_list() {
        for common in [
            "Password1",
            "Welcome1",
            "Qwerty123",
            "Summer2024",
            "Letmein1",
            "Abc123",
        ] {
            assert_eq!(
                code(check_password(Legacy, common, "nitest")),
                "password_common",
                "{common}"
            );
        }
    }

    #[test]
    fn expiry() {
        let changed = ymd(2026, 1, 1);
        // 90 days after 1 January 2026 is 1 April 2026.
        assert_eq!(password_expires_on(Legacy, changed), Some(ymd(2026, 4, 1)));
        assert!(!password_expired(Legacy, changed, ymd(2026, 3, 31)));
        assert!(password_expired(Legacy, changed, ymd(2026, 4, 1)));
        assert!(password_expired(Legacy, changed, ymd(2027, 1, 1)));
        assert!(!password_expired(Legacy, changed, changed));
        // Leap year: 90 days after 1 January 2028 is 31 March 2028.
        assert!(password_expired(Legacy, ymd(2028, 1, 1), ymd(2028, 3, 31)));
        // UK guidance: no forced periodic change.
        assert_eq!(password_expires_on(Uk, changed), None);
        assert!(!password_expired(Uk, changed, ymd(2036, 1, 1)));
    }
}
