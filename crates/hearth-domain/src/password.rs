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
/// The 100,000 most common passwords of SecLists (see `data/README.md`).
const TOP_100K_TEXT: &str = include_str!("../data/common-passwords-100k.txt");

/// Words of this service a password must not be made of.
pub const SERVICE_WORDS: &[&str] = &[
    "hearth",
    "supportingpeople",
    "supporting people",
    "brackenshire",
];

/// The deny-list, sorted and de-duplicated once, for binary search.
fn common_passwords() -> &'static [String] {
    static TABLE: OnceLock<Vec<String>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<String> = COMMON_PASSWORDS_TEXT
            .lines()
            .chain(TOP_100K_TEXT.lines())
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_lowercase)
            .collect();
        table.sort_unstable();
        table.dedup();
        table
    })
}

/// How many passwords the deny-list holds.
pub fn common_password_count() -> usize {
    common_passwords().len()
}

pub fn is_common_password(password: &str) -> bool {
    let lower = password.to_lowercase();
    common_passwords()
        .binary_search_by(|probe| probe.as_str().cmp(lower.as_str()))
        .is_ok()
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
    if is_common_password(password)
        || is_one_repeated_character(password)
        || is_simple_sequence(password)
        || made_of_words(password, SERVICE_WORDS)
    {
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

/// Keyboard rows and the alphabet, for sequences typed along them.
const SEQUENCES: &[&str] = &[
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
];

/// A simple sequence: characters in order along the alphabet, the digits or a keyboard row
/// (either way, wrapping round), or a short unit repeated ("abcabcabcabc", "121212121212").
pub fn is_simple_sequence(password: &str) -> bool {
    let p: Vec<char> = password.to_lowercase().chars().collect();
    if p.len() < 4 {
        return false;
    }
    // A unit of up to 4 characters, repeated.
    for unit in 1..=4.min(p.len() / 2) {
        if p.iter().enumerate().all(|(i, c)| *c == p[i % unit]) {
            return true;
        }
    }
    for seq in SEQUENCES {
        let s: Vec<char> = seq.chars().collect();
        for dir in [1i64, -1] {
            let along = |a: char, b: char| -> bool {
                s.iter().enumerate().any(|(i, x)| {
                    *x == a && {
                        let n = s.len() as i64;
                        let j = ((i as i64 + dir) % n + n) % n;
                        s[j as usize] == b
                    }
                })
            };
            if p.windows(2).all(|w| along(w[0], w[1])) {
                return true;
            }
        }
    }
    false
}

/// Whether the password is only some of `words` (in any case) with digits, symbols or a
/// simple sequence around them: "Hearth2026!!", "officer123456", "brackenshire!".
pub fn made_of_words(password: &str, words: &[&str]) -> bool {
    let mut rest = password.to_lowercase();
    let mut found = false;
    for w in words {
        let w = w.trim().to_lowercase();
        if w.chars().count() < MIN_USERNAME_CHARS_FOR_CONTAINS {
            continue;
        }
        if rest.contains(&w) {
            rest = rest.replace(&w, "");
            found = true;
        }
    }
    found
        && (rest.chars().all(|c| !c.is_alphabetic())
            || rest.chars().count() < 4
            || is_simple_sequence(&rest))
}

/// A hint to show beside a new password: what makes one strong, by policy.
pub fn strength_hint(policy: PasswordPolicyKind) -> &'static str {
    match policy {
        PasswordPolicyKind::Uk => "At least 12 characters. Three or more random words together are strong and easy to remember (for example \"kettle piano harbour\"). Common passwords, sequences like 123456789012, and your username are refused.",
        PasswordPolicyKind::Legacy => "At least 6 characters, with a capital letter and a number. Longer is much stronger: three random words together work well. Common passwords, sequences and your username are refused.",
    }
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
        let unique: std::collections::HashSet<&&str> = lines.iter().collect();
        assert_eq!(unique.len(), lines.len(), "the file has duplicates");
        let table = common_passwords();
        assert!(table.windows(2).all(|w| w[0] < w[1]));
        // Security review finding 5: 1,340 entries, only 69 of 12 characters or more.
        assert!(
            table.len() >= 100_000,
            "the deny-list holds {} passwords",
            table.len()
        );
        assert!(TOP_100K_TEXT.lines().count() == 100_000);
    }

    // Security review finding 5: `123456789012` was accepted under the default policy.
    #[test]
    fn sequences_service_words_and_the_username_are_refused() {
        for weak in [
            "123456789012",
            "210987654321",
            "abcdefghijklm",
            "qwertyuiopas",
            "ZYXWVUTSRQPO",
            "abcabcabcabc",
            "121212121212",
            "1qaz2wsx3edc",
            "Hearth2026!!",
            "hearth hearth",
            "Brackenshire1",
        ] {
            assert_eq!(
                code(check_password(Uk, weak, "jsmith")),
                "password_common",
                "{weak}"
            );
        }
        for weak in ["jsmith123456", "JSMITH!!!!2026"] {
            assert_eq!(
                code(check_password(Uk, weak, "jsmith")),
                "password_contains_username",
                "{weak}"
            );
        }
        // Words of the service inside a longer, real passphrase are fine.
        assert_eq!(
            check_password(Uk, "my hearth is warm tonight", "jsmith"),
            Ok(())
        );
        assert_eq!(check_password(Uk, "kettle piano harbour", "jsmith"), Ok(()));
        assert!(is_common_password("123456789012"), "on the list too");
        assert!(!strength_hint(Uk).is_empty());
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
        let long: String = (0..128)
            .map(|i| char::from(b'a' + ((i * 7 + i / 26) % 26) as u8))
            .collect();
        assert_eq!(check_password(Uk, &long, "jsmith"), Ok(()));
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
        assert_eq!(check_password(Legacy, "Kestrel9", "nitest"), Ok(()));
        // On the list of the 100,000 most common.
        assert_eq!(
            code(check_password(Legacy, "Abcde1", "nitest")),
            "password_common"
        );
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
