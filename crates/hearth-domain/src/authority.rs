//! Defaults for the settings an authority can change (sessions and password
//! policy; sign-in throttles are in `throttle`). The configuration layer starts from these.

use crate::enums::PasswordPolicyKind;

/// Minutes of inactivity after which a session ends (F2.4).
pub const DEFAULT_IDLE_MINUTES: i64 = 20;
/// Hours after log-in after which a session ends whatever the activity (F2.4).
pub const DEFAULT_ABSOLUTE_HOURS: i64 = 12;
/// Password rules unless the authority chooses otherwise (F2.2).
pub const DEFAULT_PASSWORD_POLICY: PasswordPolicyKind = PasswordPolicyKind::Uk;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_sensible() {
        assert_eq!(DEFAULT_IDLE_MINUTES, 20);
        assert_eq!(DEFAULT_ABSOLUTE_HOURS, 12);
        const { assert!(DEFAULT_IDLE_MINUTES < DEFAULT_ABSOLUTE_HOURS * 60) };
        assert_eq!(DEFAULT_PASSWORD_POLICY, PasswordPolicyKind::default());
    }
}
