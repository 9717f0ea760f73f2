//! Rate limits and throttles: how many attempts a source may make in a window, and how long it
//! must wait once it has made them. Counts are kept in the database (so every node sees them);
//! the rules are here.
//!
//! Wrong passwords slow the source that sends them, never the account for everyone: an
//! attacker who knows a username cannot lock its owner out.

/// A limit: at most `max` hits in any window of `window_secs` seconds (a fixed window that
/// starts at the first hit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window_secs: i64,
}

/// Failed sign-ins (wrong password, unknown username) from one address for one username.
pub const SIGN_IN_PER_USER_AND_ADDRESS: Limit = Limit {
    max: 5,
    window_secs: 15 * 60,
};
/// Failed sign-ins for one account from a browser that has signed in to it before (its
/// known-device cookie): counted apart from the address, so an attack from a shared address
/// does not keep out the people who work behind it.
pub const SIGN_IN_PER_DEVICE: Limit = Limit {
    max: 5,
    window_secs: 15 * 60,
};
/// Failed sign-ins from one address, whatever the username (password spraying). Browsers with
/// a known-device cookie for the account are not counted here.
pub const SIGN_IN_PER_ADDRESS: Limit = Limit {
    max: 30,
    window_secs: 15 * 60,
};
/// Failed sign-ins for one username from anywhere: past this each attempt is slowed (never
/// refused), so a spread-out attack on one account is slowed and its owner still gets in.
pub const SIGN_IN_PER_USER_SLOWED: Limit = Limit {
    max: 20,
    window_secs: 60 * 60,
};
/// Wrong security codes from one address for one account.
pub const CODE_PER_USER_AND_ADDRESS: Limit = Limit {
    max: 5,
    window_secs: 15 * 60,
};
/// Wrong security codes for one account from anywhere (only someone with its password gets
/// this far, so refusing here cannot be used against an owner who has not lost it).
pub const CODE_PER_USER: Limit = Limit {
    max: 10,
    window_secs: 15 * 60,
};
/// Forgotten-password and login requests from one address.
pub const HELP_PER_ADDRESS: Limit = Limit {
    max: 5,
    window_secs: 60 * 60,
};
/// Forgotten-password requests for one username.
pub const HELP_PER_USERNAME: Limit = Limit {
    max: 3,
    window_secs: 60 * 60,
};
/// Requests to the public directory and the open API from one address (the default; the
/// deployment may set its own).
pub const PUBLIC_PER_ADDRESS: Limit = Limit {
    max: 600,
    window_secs: 60,
};

/// Every failed sign-in answers after the same time, whether or not the username exists, so
/// timing tells nothing (the password hash takes less than this).
pub const FAILED_SIGN_IN_FLOOR_MS: u64 = 400;
/// The extra wait per failure past [`SIGN_IN_PER_USER_SLOWED`], and its cap.
pub const SLOWED_STEP_MS: u64 = 250;
pub const SLOWED_MAX_MS: u64 = 3_000;

impl Limit {
    /// Seconds until a source that has made `hits` in the window that began at `window_start`
    /// may try again, or None if it may go on now.
    pub fn retry_after(&self, hits: i64, window_start: i64, now: i64) -> Option<i64> {
        let ends = window_start + self.window_secs;
        if hits >= self.max && now < ends {
            Some((ends - now).max(1))
        } else {
            None
        }
    }

    /// The oldest window start still counting at `now`.
    pub fn window_open_since(&self, now: i64) -> i64 {
        now - self.window_secs
    }
}

/// The extra wait, in milliseconds, for an attempt on a username that has failed `hits` times
/// in the slowed window.
pub fn slowed_by_ms(hits: i64) -> u64 {
    let over = hits - SIGN_IN_PER_USER_SLOWED.max;
    if over <= 0 {
        return 0;
    }
    (over as u64)
        .saturating_mul(SLOWED_STEP_MS)
        .min(SLOWED_MAX_MS)
}

/// "2 minutes", "1 hour", "30 seconds": how long to wait, for a person.
pub fn wait_words(secs: i64) -> String {
    use crate::text::plural;
    if secs < 60 {
        plural(secs.max(1), "second", "seconds")
    } else if secs < 3600 {
        plural((secs + 59) / 60, "minute", "minutes")
    } else {
        plural((secs + 3599) / 3600, "hour", "hours")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_waits_until_its_window_ends_once_it_reaches_the_limit() {
        let l = SIGN_IN_PER_USER_AND_ADDRESS;
        assert_eq!(
            l.retry_after(4, 1_000, 1_010),
            None,
            "four failures: carry on"
        );
        assert_eq!(
            l.retry_after(5, 1_000, 1_010),
            Some(15 * 60 - 10),
            "the fifth: wait out the window"
        );
        assert_eq!(
            l.retry_after(50, 1_000, 1_000 + 15 * 60),
            None,
            "the window has ended"
        );
        assert_eq!(l.retry_after(5, 1_000, 1_000 + 15 * 60 - 1), Some(1));
    }

    #[test]
    fn an_account_under_attack_is_slowed_in_steps_up_to_a_cap() {
        assert_eq!(slowed_by_ms(20), 0);
        assert_eq!(slowed_by_ms(21), 250);
        assert_eq!(slowed_by_ms(24), 1_000);
        assert_eq!(slowed_by_ms(10_000), SLOWED_MAX_MS);
    }

    #[test]
    fn waits_are_told_in_words() {
        assert_eq!(wait_words(1), "1 second");
        assert_eq!(wait_words(45), "45 seconds");
        assert_eq!(wait_words(60), "1 minute");
        assert_eq!(wait_words(61), "2 minutes");
        assert_eq!(wait_words(890), "15 minutes");
        assert_eq!(wait_words(3_600), "1 hour");
        assert_eq!(wait_words(3_601), "2 hours");
    }
}
