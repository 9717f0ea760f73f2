//! The authority's clock: UK civil time (Europe/London), which is what people see. Stored
//! times are UTC seconds; every date and time shown, and "today", are in UK time.
//!
//! The rule (the Summer Time Order 2002, in force since 1981 in this form): British Summer
//! Time, UTC+1, runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
//! Sunday of October; the rest of the year is Greenwich Mean Time, UTC+0.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_of_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_signed(Duration::days(i64::from(back)))
}

/// Whether British Summer Time is in force at the instant `utc`.
pub fn is_summer_time(utc: DateTime<Utc>) -> bool {
    let year = utc.year();
    let (Some(start), Some(end)) = (last_sunday(year, 3), last_sunday(year, 10)) else {
        return false;
    };
    let at_one = |d: NaiveDate| d.and_hms_opt(1, 0, 0).map(|t| t.and_utc());
    match (at_one(start), at_one(end)) {
        (Some(s), Some(e)) => utc >= s && utc < e,
        _ => false,
    }
}

/// UK local time at the instant `utc`.
pub fn uk_time(utc: DateTime<Utc>) -> NaiveDateTime {
    let offset = if is_summer_time(utc) { 1 } else { 0 };
    utc.naive_utc() + Duration::hours(offset)
}

/// The instant (UTC seconds) of a UK local date and time. A time the clocks skip (01:00 to
/// 02:00 on the last Sunday of March) is None; one they repeat (01:00 to 02:00 on the last
/// Sunday of October) is its first, summer, instant.
pub fn uk_to_utc(local: NaiveDateTime) -> Option<i64> {
    [1, 0].into_iter().find_map(|offset| {
        let utc = (local - Duration::hours(offset)).and_utc();
        (uk_time(utc) == local).then(|| utc.timestamp())
    })
}

/// UK local time of a stored timestamp (seconds since 1970, UTC).
pub fn uk_time_of(ts: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(ts, 0).map(uk_time)
}

/// Now, as stored: seconds since 1970, UTC.
pub fn now() -> i64 {
    Utc::now().timestamp()
}

/// Where the application gets the time. The running system uses [`SystemClock`]; tests pass a
/// [`FixedClock`] and move it, instead of rewriting stored times in SQL.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Seconds since 1970, UTC.
    fn now(&self) -> i64;

    /// Today's date in the UK at [`Clock::now`].
    fn uk_today(&self) -> NaiveDate {
        uk_time_of(self.now())
            .map(|t| t.date())
            .unwrap_or_else(uk_today)
    }
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        now()
    }
}

/// A clock that stands still until it is moved (for tests and for replaying history).
#[derive(Debug, Default)]
pub struct FixedClock(std::sync::atomic::AtomicI64);

impl FixedClock {
    pub fn at(ts: i64) -> FixedClock {
        FixedClock(std::sync::atomic::AtomicI64::new(ts))
    }

    /// The clock at a UTC date and time written `YYYY-MM-DDTHH:MM:SSZ`; None if it is not one.
    pub fn at_utc(text: &str) -> Option<FixedClock> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| FixedClock::at(t.timestamp()))
    }

    pub fn set(&self, ts: i64) {
        self.0.store(ts, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn advance(&self, seconds: i64) {
        self.0
            .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> i64 {
        (**self).now()
    }
}

/// Today's date in the UK.
pub fn uk_today() -> NaiveDate {
    uk_time(Utc::now()).date()
}

/// "GMT" or "BST": the name of UK time at the instant `ts`.
pub fn zone_name(ts: i64) -> &'static str {
    match DateTime::from_timestamp(ts, 0) {
        Some(t) if is_summer_time(t) => "BST",
        _ => "GMT",
    }
}

/// "2 Dec 2026 14:05 GMT": a stored timestamp as people read it, in UK time.
pub fn display_time(ts: i64) -> String {
    uk_time_of(ts)
        .map(|t| format!("{} {}", t.format("%-d %b %Y %H:%M"), zone_name(ts)))
        .unwrap_or_default()
}

/// "14:05 GMT": the time of day of a stored timestamp, in UK time.
pub fn display_clock(ts: i64) -> String {
    uk_time_of(ts)
        .map(|t| format!("{} {}", t.format("%H:%M"), zone_name(ts)))
        .unwrap_or_default()
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    #[test]
    fn a_fixed_clock_gives_the_uk_date_of_its_instant() {
        // 23:30 UTC on 28 July 2026 is 00:30 BST on 29 July.
        let c = FixedClock::at_utc("2026-07-28T23:30:00Z").unwrap();
        assert_eq!(c.uk_today(), NaiveDate::from_ymd_opt(2026, 7, 29).unwrap());
        // 23:30 UTC on 28 October 2026 is 23:30 GMT the same day.
        c.set(FixedClock::at_utc("2026-10-28T23:30:00Z").unwrap().now());
        assert_eq!(c.uk_today(), NaiveDate::from_ymd_opt(2026, 10, 28).unwrap());
        c.advance(3600);
        assert_eq!(c.uk_today(), NaiveDate::from_ymd_opt(2026, 10, 29).unwrap());
        assert!(SystemClock.now() > 1_700_000_000);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_uk_time_is_found_back_as_its_instant() {
        let local = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            uk_to_utc(local("2026-12-01 17:00")),
            Some(at("2026-12-01T17:00:00Z").timestamp())
        );
        assert_eq!(
            uk_to_utc(local("2026-06-09 17:00")),
            Some(at("2026-06-09T16:00:00Z").timestamp())
        );
        // Skipped when the clocks go forward; the first of the two when they go back.
        assert_eq!(uk_to_utc(local("2026-03-29 01:30")), None);
        assert_eq!(
            uk_to_utc(local("2026-10-25 01:30")),
            Some(at("2026-10-25T00:30:00Z").timestamp())
        );
    }

    #[test]
    fn summer_time_starts_and_ends_at_one_in_the_morning_utc_on_the_last_sundays() {
        // 2026: the clocks go forward on Sunday 29 March and back on Sunday 25 October.
        assert_eq!(last_sunday(2026, 3), NaiveDate::from_ymd_opt(2026, 3, 29));
        assert_eq!(last_sunday(2026, 10), NaiveDate::from_ymd_opt(2026, 10, 25));
        assert_eq!(
            uk_time(at("2026-03-29T00:59:59Z")).to_string(),
            "2026-03-29 00:59:59"
        );
        assert_eq!(
            uk_time(at("2026-03-29T01:00:00Z")).to_string(),
            "2026-03-29 02:00:00",
            "01:00 GMT becomes 02:00 BST"
        );
        assert_eq!(
            uk_time(at("2026-10-25T00:59:59Z")).to_string(),
            "2026-10-25 01:59:59"
        );
        assert_eq!(
            uk_time(at("2026-10-25T01:00:00Z")).to_string(),
            "2026-10-25 01:00:00",
            "02:00 BST becomes 01:00 GMT"
        );
        // 2027: 28 March and 31 October (a month ending on a Sunday).
        assert_eq!(last_sunday(2027, 10), NaiveDate::from_ymd_opt(2027, 10, 31));
        assert!(is_summer_time(at("2027-10-31T00:30:00Z")));
        assert!(!is_summer_time(at("2027-10-31T01:30:00Z")));
    }

    #[test]
    fn times_people_see_are_uk_times() {
        // Midsummer: 23:30 UTC is already tomorrow in London.
        let ts = at("2026-06-30T23:30:00Z").timestamp();
        assert_eq!(display_time(ts), "1 Jul 2026 00:30 BST");
        assert_eq!(display_clock(ts), "00:30 BST");
        // Winter: the same as UTC.
        let ts = at("2026-12-02T14:05:00Z").timestamp();
        assert_eq!(display_time(ts), "2 Dec 2026 14:05 GMT");
        assert_eq!(display_time(i64::MAX), "");
        // Weekdays are right either side of a change.
        assert_eq!(uk_time(at("2026-03-29T01:00:00Z")).weekday(), Weekday::Sun);
    }
}
