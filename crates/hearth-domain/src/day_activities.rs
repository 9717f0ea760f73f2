//! Day activities (SPEC C7, issue 13): the rules of the day activities provider portal
//! guidance (source 003), with no I/O.
//!
//! - **Service lines** are a person's planned sessions at a day service: days of the week, a
//!   session type and a rate per session in pence, from a start to an end.
//! - **Weeks** run Monday to Sunday. The provider records last week's actuals and confirms
//!   them by close of business on **Tuesday** (17:00 UK time, which the authority may move):
//!   [`confirm_deadline`]. A week confirmed late is paid by the first run after it is
//!   confirmed, never before: [`first_run_paying`].
//! - **Bank holidays**: a planned session on a bank holiday at a service that does not open
//!   on them is "service closed (bank holiday)" and is not paid, for every provider:
//!   [`planned_outcome`].
//! - **Payment on actuals**: attended sessions at the session rate, and absences only as the
//!   authority's [`AbsencePay`] says: [`session_paid`].
//! - **Absence rules** (the absence reporting procedure): a planned absence expected to last
//!   more than four weeks, an unplanned absence lasting more than two, a pattern of absence on
//!   the same weekday, attendance below 70% over a rolling three months.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, Weekday};

use crate::clock::uk_to_utc;
use crate::enums::string_enum;
use crate::Pence;

string_enum! {
    /// The kind of a planned session.
    pub enum SessionType {
        error: ("session_type_invalid", "Select the session type"),
        FullDay => ("full_day", "Full day"),
        Morning => ("morning", "Morning"),
        Afternoon => ("afternoon", "Afternoon"),
    }
}

string_enum! {
    /// How a service line was bought.
    pub enum Route {
        error: ("route_invalid", "Select how the service line was bought"),
        Framework => ("framework", "Day activities provider list (framework)"),
        Spot => ("spot", "Spot purchase"),
        SupportedEmployment => ("supported_employment", "Supported employment"),
    }
}

string_enum! {
    /// What happened at a planned session.
    pub enum Outcome {
        error: ("outcome_invalid", "Select what happened at the session"),
        Attended => ("attended", "Attended"),
        Absent => ("absent", "Absent"),
        Cancelled => ("cancelled", "Cancelled by the provider"),
        Closed => ("closed", "Service closed"),
        /// Set by Hearth, never chosen: the service does not open on bank holidays.
        BankHoliday => ("bank_holiday", "Service closed (bank holiday)"),
    }
}

string_enum! {
    /// Why a person was absent. The first four are planned, the rest unplanned.
    pub enum AbsenceReason {
        error: ("absence_reason_invalid", "Select why the person was absent"),
        Holiday => ("holiday", "Holiday (planned)"),
        Hospital => ("hospital", "Hospital or convalescence (planned)"),
        Respite => ("respite", "Respite (planned)"),
        PlannedOther => ("planned_other", "Other planned absence"),
        Illness => ("illness", "Illness (unplanned)"),
        Unknown => ("unknown", "Not known (unplanned)"),
        UnplannedOther => ("unplanned_other", "Other unplanned absence"),
    }
}

impl AbsenceReason {
    pub const fn is_planned(self) -> bool {
        matches!(
            self,
            AbsenceReason::Holiday
                | AbsenceReason::Hospital
                | AbsenceReason::Respite
                | AbsenceReason::PlannedOther
        )
    }
}

string_enum! {
    /// Which absences the authority pays for (a setting; by default none).
    #[derive(Default)]
    pub enum AbsencePay {
        error: ("absence_pay_invalid", "Select which absences are paid"),
        #[default]
        Never => ("none", "No absence is paid"),
        ShortNotice => ("short_notice", "Absences notified less than 24 hours before the session"),
        Unplanned => ("unplanned", "Every unplanned absence"),
    }
}

string_enum! {
    /// The alerts the absence rules raise.
    pub enum AlertKind {
        error: ("alert_kind_invalid", "Select the kind of alert"),
        PlannedLong => ("planned_long", "Planned absence expected to exceed four weeks"),
        UnplannedConcern => ("unplanned_concern", "Unplanned absence: immediate concern"),
        UnplannedLong => ("unplanned_long", "Unplanned absence over two weeks"),
        Pattern => ("pattern", "A pattern of absence on the same weekday"),
        LowAttendance => ("low_attendance", "Attendance below 70% over three months"),
    }
}

string_enum! {
    /// What a provider asks the team for (a day service's planned delivery, or a confirmed
    /// week, changes only by request and the team's authorisation).
    pub enum RequestKind {
        error: ("request_kind_invalid", "Select what you are asking for"),
        ChangeOfNeed => ("change_of_need", "A change in the person's need"),
        ExtraSession => ("extra_session", "A session that was not planned"),
        AmendSession => ("amend_session", "A change to a confirmed week"),
        MissingLine => ("missing_line", "A missing service line"),
    }
}

string_enum! {
    /// What the team decided on a change of need it authorised.
    pub enum NeedDecision {
        error: ("need_decision_invalid", "Select what the social worker authorised"),
        Change => ("change", "Change the planned sessions from a date"),
        End => ("end", "The placement is no longer needed: start the contract's notice period"),
    }
}

/// How long a service line agreed by a social worker must have been missing from the portal
/// before the provider reports it (the guidance: "once a 4-week period has elapsed").
pub const MISSING_LINE_WAIT_DAYS: i64 = 28;

/// The first day a missing service line agreed to start on `agreed` can be reported: four
/// weeks after it. Agreed from Monday 2 November, it is reportable from Monday 30 November
/// (28 days later), not on Sunday 29 November.
pub fn missing_line_reportable_from(agreed: NaiveDate) -> NaiveDate {
    agreed + Duration::days(MISSING_LINE_WAIT_DAYS)
}

/// The last day of a placement no longer needed, when the contract's notice period of
/// `notice_days` starts on `from`: the day before the notice runs out. Four weeks' notice
/// given on Tuesday 1 December 2026 ends the placement on Monday 28 December.
pub fn notice_ends(from: NaiveDate, notice_days: i64) -> NaiveDate {
    from + Duration::days(notice_days.max(1) - 1)
}

/// The days of the week a service line plans sessions on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Days(u8);

const WEEKDAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "mon", "Monday"),
    (Weekday::Tue, "tue", "Tuesday"),
    (Weekday::Wed, "wed", "Wednesday"),
    (Weekday::Thu, "thu", "Thursday"),
    (Weekday::Fri, "fri", "Friday"),
    (Weekday::Sat, "sat", "Saturday"),
    (Weekday::Sun, "sun", "Sunday"),
];

impl Days {
    pub fn of(days: &[Weekday]) -> Days {
        Days(
            days.iter()
                .fold(0, |m, d| m | (1 << d.num_days_from_monday())),
        )
    }

    /// From the stored form, codes separated by commas: `mon,wed`. None if a code is not a
    /// day or there is no day.
    pub fn parse(text: &str) -> Option<Days> {
        let mut days = Vec::new();
        for code in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            days.push(WEEKDAYS.iter().find(|(_, c, _)| *c == code)?.0);
        }
        let d = Days::of(&days);
        (d.0 != 0).then_some(d)
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    pub fn count(self) -> u32 {
        self.0.count_ones()
    }

    /// The stored form: `mon,wed`.
    pub fn codes(self) -> String {
        WEEKDAYS
            .iter()
            .filter(|(d, _, _)| self.contains(*d))
            .map(|(_, c, _)| *c)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// For people: "Monday, Wednesday".
    pub fn names(self) -> String {
        WEEKDAYS
            .iter()
            .filter(|(d, _, _)| self.contains(*d))
            .map(|(_, _, n)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every day's code and name, Monday first (for checkboxes).
    pub fn vocabulary() -> [(&'static str, &'static str); 7] {
        WEEKDAYS.map(|(_, c, n)| (c, n))
    }
}

/// The Monday of the week holding `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// When the provider must confirm a week by: a weekday and a UK time of day in the week
/// after it (by default Tuesday at 17:00, "close of business on Tuesdays").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub weekday: Weekday,
    pub hour: u32,
    pub minute: u32,
}

impl Default for Deadline {
    fn default() -> Self {
        Deadline {
            weekday: Weekday::Tue,
            hour: 17,
            minute: 0,
        }
    }
}

impl Deadline {
    /// From the stored form `tue 17:00`; None if it is not one.
    pub fn parse(text: &str) -> Option<Deadline> {
        let (day, time) = text.trim().split_once(' ')?;
        let weekday = WEEKDAYS.iter().find(|(_, c, _)| *c == day.trim())?.0;
        let (h, m) = time.trim().split_once(':')?;
        let (hour, minute) = (h.parse().ok()?, m.parse().ok()?);
        (hour < 24 && minute < 60).then_some(Deadline {
            weekday,
            hour,
            minute,
        })
    }

    /// The stored form: `tue 17:00`.
    pub fn code(self) -> String {
        let day = WEEKDAYS
            .iter()
            .find(|(d, _, _)| *d == self.weekday)
            .map_or("tue", |(_, c, _)| *c);
        format!("{day} {:02}:{:02}", self.hour, self.minute)
    }
}

/// The UK date and time by which the week starting `week` must be confirmed.
pub fn deadline_local(week: NaiveDate, deadline: Deadline) -> Option<NaiveDateTime> {
    let day =
        week_start(week) + Duration::days(7 + i64::from(deadline.weekday.num_days_from_monday()));
    day.and_hms_opt(deadline.hour, deadline.minute, 0)
}

/// The instant (UTC seconds) by which the week starting `week` must be confirmed: Tuesday
/// 17:00 is 17:00 UTC in winter (GMT) and 16:00 UTC in summer (BST).
pub fn confirm_deadline(week: NaiveDate, deadline: Deadline) -> Option<i64> {
    deadline_local(week, deadline).and_then(uk_to_utc)
}

/// Whether a week confirmed at `confirmed_at` (UTC seconds) was confirmed late.
pub fn confirmed_late(week: NaiveDate, deadline: Deadline, confirmed_at: i64) -> bool {
    confirm_deadline(week, deadline).is_some_and(|d| confirmed_at > d)
}

/// Of the payment runs `runs` (each a period's start and the date its run is prepared, in
/// order), the period of the first that pays a week ending `week_end` confirmed on
/// `confirmed_on`: the first run prepared after the week has ended and on or after its
/// confirmation. A week confirmed on time is paid by the run of its period; one confirmed late,
/// by the first run after it is confirmed, as an adjustment to its period.
pub fn first_run_paying(
    week_end: NaiveDate,
    confirmed_on: NaiveDate,
    runs: &[(NaiveDate, NaiveDate)],
) -> Option<NaiveDate> {
    runs.iter()
        .find(|(_, run_date)| *run_date >= confirmed_on && *run_date > week_end)
        .map(|(period, _)| *period)
}

/// The sessions a line plans in the week starting `week`, within its dates (inclusive).
pub fn planned_dates(
    days: Days,
    start: NaiveDate,
    end: Option<NaiveDate>,
    week: NaiveDate,
) -> Vec<NaiveDate> {
    let monday = week_start(week);
    (0..7)
        .map(|i| monday + Duration::days(i))
        .filter(|d| days.contains(d.weekday()))
        .filter(|d| *d >= start && end.is_none_or(|e| *d <= e))
        .collect()
}

/// What a planned session is before anyone records it: on a bank holiday at a service that
/// does not open on them, "service closed (bank holiday)"; otherwise nothing yet (None).
pub fn planned_outcome(is_bank_holiday: bool, opens_on_bank_holidays: bool) -> Option<Outcome> {
    (is_bank_holiday && !opens_on_bank_holidays).then_some(Outcome::BankHoliday)
}

/// Whether a confirmed session is paid: an attended one always; an absence as the
/// authority's setting says (a short-notice absence is one notified less than 24 hours
/// before the session); a cancellation or closure, including a bank holiday, never.
pub fn session_paid(
    outcome: Outcome,
    reason: Option<AbsenceReason>,
    short_notice: bool,
    policy: AbsencePay,
) -> bool {
    match outcome {
        Outcome::Attended => true,
        Outcome::Absent => match policy {
            AbsencePay::Never => false,
            AbsencePay::ShortNotice => short_notice,
            AbsencePay::Unplanned => reason.is_some_and(|r| !r.is_planned()),
        },
        Outcome::Cancelled | Outcome::Closed | Outcome::BankHoliday => false,
    }
}

/// What a set of confirmed sessions pays at `rate` a session.
pub fn actuals_due(paid_sessions: u32, rate: Pence) -> Pence {
    Pence(i64::from(paid_sessions) * rate.0)
}

/// One recorded session of a person's service line, for the absence rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub date: NaiveDate,
    pub outcome: Outcome,
    pub reason: Option<AbsenceReason>,
}

impl Session {
    /// A session the person was expected at: attended or absent. Cancellations and closures
    /// (bank holidays too) are the provider's or the calendar's, not the person's.
    fn counts(&self) -> bool {
        matches!(self.outcome, Outcome::Attended | Outcome::Absent)
    }

    fn unplanned_absence(&self) -> bool {
        self.outcome == Outcome::Absent && self.reason.is_some_and(|r| !r.is_planned())
    }

    fn planned_absence(&self) -> bool {
        self.outcome == Outcome::Absent && self.reason.is_some_and(AbsenceReason::is_planned)
    }
}

/// Attendance over some sessions: attended ÷ planned, not counting closures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attendance {
    pub attended: u32,
    /// Sessions attended or absent from.
    pub counted: u32,
}

/// The attendance below which a person's package is referred for review: 70%.
pub const REVIEW_BELOW_PERCENT: u32 = 70;

impl Attendance {
    /// Below 70%, exactly: 699 of 1,000 (69.9%) is, 700 of 1,000 (70.0%) is not. No session
    /// counted is not below anything.
    pub fn below_review_threshold(self) -> bool {
        self.counted > 0
            && u64::from(self.attended) * 100
                < u64::from(self.counted) * u64::from(REVIEW_BELOW_PERCENT)
    }

    /// In tenths of a percent, rounded down: 699 for 69.9%.
    pub fn per_mille(self) -> u32 {
        if self.counted == 0 {
            return 1000;
        }
        (u64::from(self.attended) * 1000 / u64::from(self.counted)) as u32
    }

    /// For people: "69.9%".
    pub fn percent_text(self) -> String {
        let p = self.per_mille();
        format!("{}.{}%", p / 10, p % 10)
    }
}

/// The first day of the rolling three months that end on `to`: 1 September to 30 November.
pub fn three_months_to(to: NaiveDate) -> NaiveDate {
    let after = to + Duration::days(1);
    after.checked_sub_months(Months::new(3)).unwrap_or(to)
}

/// Attendance over the sessions dated `from` to `to` inclusive.
pub fn attendance(sessions: &[Session], from: NaiveDate, to: NaiveDate) -> Attendance {
    sessions
        .iter()
        .filter(|s| s.date >= from && s.date <= to && s.counts())
        .fold(Attendance::default(), |a, s| Attendance {
            attended: a.attended + u32::from(s.outcome == Outcome::Attended),
            counted: a.counted + 1,
        })
}

/// Every run of absences for which `is_absence` holds, oldest first: the first and last
/// dates of consecutive counted sessions that are all such absences. Closures and
/// cancellations neither break nor extend a run.
fn runs(sessions: &[Session], is_absence: fn(&Session) -> bool) -> Vec<(NaiveDate, NaiveDate)> {
    let mut counted: Vec<&Session> = sessions.iter().filter(|s| s.counts()).collect();
    counted.sort_by_key(|s| s.date);
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut open: Option<(NaiveDate, NaiveDate)> = None;
    for s in counted {
        if is_absence(s) {
            open = Some(open.map_or((s.date, s.date), |(f, _)| (f, s.date)));
        } else if let Some(r) = open.take() {
            out.push(r);
        }
    }
    out.extend(open);
    out
}

/// The run of absences going on at the latest counted session, if there is one.
fn latest_run(
    sessions: &[Session],
    is_absence: fn(&Session) -> bool,
) -> Option<(NaiveDate, NaiveDate)> {
    let last = sessions
        .iter()
        .filter(|s| s.counts())
        .max_by_key(|s| s.date)?;
    if !is_absence(last) {
        return None;
    }
    runs(sessions, is_absence).pop()
}

/// The days a run of absence spans, first and last day included.
fn span_days(first: NaiveDate, last: NaiveDate) -> i64 {
    (last - first).num_days() + 1
}

/// The latest run of unplanned absence that lasted **more than two weeks**: from its first
/// absent session to its last, more than 14 days, whether it goes on or the person has come
/// back since. Absent on Mondays 2, 9 and 16 of a month is 15 days, and is; absent on the 2nd
/// and 9th and back on the 16th is not.
pub fn unplanned_absence_over_two_weeks(sessions: &[Session]) -> Option<(NaiveDate, NaiveDate)> {
    runs(sessions, Session::unplanned_absence)
        .into_iter()
        .rev()
        .find(|(f, l)| span_days(*f, *l) > 14)
}

/// The first day of the current run of unplanned absence (the day the provider must contact
/// the person's family), if the latest counted session is one.
pub fn unplanned_absence_started(sessions: &[Session]) -> Option<NaiveDate> {
    latest_run(sessions, Session::unplanned_absence).map(|(f, _)| f)
}

/// Whether a planned absence from `first` (the first day missed) with the person expected
/// back on `back` (the first day they return) is **expected to exceed four weeks**: away
/// more than 28 days. Away from Monday 1 June, back Monday 29 June is 28 days, and is not;
/// back Tuesday 30 June is 29, and is.
pub fn planned_absence_exceeds_four_weeks(first: NaiveDate, back: NaiveDate) -> bool {
    (back - first).num_days() > 28
}

/// The latest run of planned absence the sessions recorded show lasting more than four weeks
/// (for a planned absence recorded without an expected return).
pub fn planned_absence_over_four_weeks(sessions: &[Session]) -> Option<(NaiveDate, NaiveDate)> {
    runs(sessions, Session::planned_absence)
        .into_iter()
        .rev()
        .find(|(f, l)| span_days(*f, *l) > 28)
}

/// The weekdays on which the person had an unplanned absence in at least `n` of the `m`
/// weeks ending with the week starting `last_week` (by default 3 of 4): a pattern to check
/// whether the planned sessions are needed. A week counts for a weekday only if the person
/// attended some other session that week, or had none on another day (a line of one day a
/// week): missing every session of several days is an absence, not a pattern of the day (the
/// two-week rule is for that). Planned absences (a holiday, a stay in
/// hospital) are a known period, not a pattern, and do not count.
pub fn weekday_pattern(sessions: &[Session], last_week: NaiveDate, n: u32, m: u32) -> Vec<Weekday> {
    let last = week_start(last_week);
    let first = last - Duration::weeks(i64::from(m.max(1)) - 1);
    let end = last + Duration::days(6);
    WEEKDAYS
        .iter()
        .map(|(d, _, _)| *d)
        .filter(|day| {
            // The week shows a pattern of this day if the person came to another session
            // that week, or had no session that week on another day (a line of one day a
            // week).
            let attended_in = |w: NaiveDate| {
                let week: Vec<&Session> = sessions
                    .iter()
                    .filter(|s| week_start(s.date) == w && s.counts())
                    .collect();
                week.iter().any(|s| s.outcome == Outcome::Attended)
                    || week.iter().all(|s| s.date.weekday() == *day)
            };
            let mut weeks: Vec<NaiveDate> = sessions
                .iter()
                .filter(|s| s.date >= first && s.date <= end && s.date.weekday() == *day)
                .filter(|s| s.unplanned_absence())
                .map(|s| week_start(s.date))
                .filter(|w| attended_in(*w))
                .collect();
            weeks.dedup();
            n > 0 && weeks.len() as u32 >= n
        })
        .collect()
}

/// Who an alert goes to: the person's allocated social worker when there is one, otherwise
/// the access point for their client group (several recipients each).
pub fn alert_recipients<'a>(
    social_worker: Option<&'a str>,
    access_point: &'a [String],
) -> Vec<&'a str> {
    match social_worker.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => vec![s],
        None => access_point.iter().map(String::as_str).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{Region, RegionCalendar};

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp()
    }

    fn s(date: NaiveDate, outcome: Outcome, reason: Option<AbsenceReason>) -> Session {
        Session {
            date,
            outcome,
            reason,
        }
    }

    #[test]
    fn a_week_is_confirmed_by_tuesday_at_five_in_uk_time_in_winter_and_in_summer() {
        let d = Deadline::default();
        // Week of Monday 23 November 2026 (GMT): Tuesday 1 December, 17:00 GMT = 17:00 UTC.
        assert_eq!(
            confirm_deadline(ymd(2026, 11, 25), d),
            Some(utc("2026-12-01T17:00:00Z"))
        );
        // Week of Monday 1 June 2026 (BST): Tuesday 9 June, 17:00 BST = 16:00 UTC.
        assert_eq!(
            confirm_deadline(ymd(2026, 6, 1), d),
            Some(utc("2026-06-09T16:00:00Z"))
        );
        // The week of the clocks going back (Sunday 25 October 2026): its Tuesday is GMT.
        assert_eq!(
            confirm_deadline(ymd(2026, 10, 19), d),
            Some(utc("2026-10-27T17:00:00Z"))
        );
        let week = ymd(2026, 6, 1);
        assert!(!confirmed_late(week, d, utc("2026-06-09T15:59:59Z")));
        assert!(!confirmed_late(week, d, utc("2026-06-09T16:00:00Z")));
        assert!(confirmed_late(week, d, utc("2026-06-09T16:00:01Z")));
        // The authority may move it: Wednesday noon.
        let wed = Deadline::parse("wed 12:00").unwrap();
        assert_eq!(wed.code(), "wed 12:00");
        assert_eq!(
            confirm_deadline(week, wed),
            Some(utc("2026-06-10T11:00:00Z"))
        );
        assert_eq!(Deadline::parse("tue 25:00"), None);
        assert_eq!(Deadline::parse("someday 17:00"), None);
        assert_eq!(Deadline::default().code(), "tue 17:00");
    }

    #[test]
    fn a_week_confirmed_late_is_paid_in_the_first_run_after_it_is_confirmed() {
        // Periods of 2026/27: P08 from 19 October (run 18 November), P09 from 16 November
        // (run 16 December), P10 from 14 December (run 15 January).
        let runs = [
            (ymd(2026, 10, 19), ymd(2026, 11, 18)),
            (ymd(2026, 11, 16), ymd(2026, 12, 16)),
            (ymd(2026, 12, 14), ymd(2027, 1, 15)),
        ];
        // The week of 2 November, confirmed on time (Tuesday 10 November): P08's run.
        let end = ymd(2026, 11, 8);
        assert_eq!(
            first_run_paying(end, ymd(2026, 11, 10), &runs),
            Some(ymd(2026, 10, 19))
        );
        // Confirmed on 20 November, after P08's run: P09's run pays it.
        assert_eq!(
            first_run_paying(end, ymd(2026, 11, 20), &runs),
            Some(ymd(2026, 11, 16))
        );
        // Confirmed after every run in the timetable: none yet.
        assert_eq!(first_run_paying(end, ymd(2027, 2, 1), &runs), None);
    }

    #[test]
    fn a_bank_holiday_monday_closes_a_service_that_does_not_open_on_them_in_each_region() {
        let ew = RegionCalendar::rules(Region::EnglandAndWales);
        let sc = RegionCalendar::rules(Region::Scotland);
        let ni = RegionCalendar::rules(Region::NorthernIreland);
        // The summer bank holiday: the last Monday of August in England and Wales, the
        // first in Scotland; Northern Ireland keeps England's.
        let late_august = ymd(2026, 8, 31);
        let early_august = ymd(2026, 8, 3);
        assert!(ew.is_bank_holiday(late_august) && ni.is_bank_holiday(late_august));
        assert!(!sc.is_bank_holiday(late_august));
        assert!(sc.is_bank_holiday(early_august) && !ew.is_bank_holiday(early_august));
        // Scotland's own: St Andrew's Day, Monday 30 November 2026.
        let st_andrew = ymd(2026, 11, 30);
        assert!(sc.is_bank_holiday(st_andrew) && !ew.is_bank_holiday(st_andrew));
        // Northern Ireland's own: the Battle of the Boyne (12 July, a Sunday in 2026, so
        // Monday 13 July).
        let boyne = ymd(2026, 7, 13);
        assert!(
            ni.is_bank_holiday(boyne) && !ew.is_bank_holiday(boyne) && !sc.is_bank_holiday(boyne)
        );
        // A Monday line at a service closed on bank holidays: not paid; at one that opens,
        // recorded as usual.
        for (cal, day) in [(&ew, late_august), (&sc, st_andrew), (&ni, boyne)] {
            let planned = planned_dates(Days::of(&[Weekday::Mon]), ymd(2026, 1, 1), None, day);
            assert_eq!(planned, vec![day]);
            let closed = planned_outcome(cal.is_bank_holiday(day), false);
            assert_eq!(closed, Some(Outcome::BankHoliday));
            assert_eq!(closed.unwrap().label(), "Service closed (bank holiday)");
            assert!(!session_paid(
                Outcome::BankHoliday,
                None,
                false,
                AbsencePay::Unplanned
            ));
            assert_eq!(planned_outcome(cal.is_bank_holiday(day), true), None);
        }
        // An ordinary Monday is nothing yet.
        assert_eq!(
            planned_outcome(ew.is_bank_holiday(ymd(2026, 9, 7)), false),
            None
        );
    }

    #[test]
    fn a_line_plans_its_days_within_its_dates() {
        let days = Days::parse("mon,wed,fri").unwrap();
        assert_eq!(days.codes(), "mon,wed,fri");
        assert_eq!(days.names(), "Monday, Wednesday, Friday");
        assert_eq!(days.count(), 3);
        assert_eq!(Days::parse("mon,funday"), None);
        assert_eq!(Days::parse(""), None);
        // The week of 23 November 2026; the line starts on the Wednesday and ends Friday.
        assert_eq!(
            planned_dates(
                days,
                ymd(2026, 11, 25),
                Some(ymd(2026, 11, 27)),
                ymd(2026, 11, 29)
            ),
            vec![ymd(2026, 11, 25), ymd(2026, 11, 27)]
        );
        assert_eq!(week_start(ymd(2026, 11, 29)), ymd(2026, 11, 23));
        assert_eq!(week_start(ymd(2026, 11, 23)), ymd(2026, 11, 23));
    }

    #[test]
    fn sessions_are_paid_on_actuals_and_absences_as_the_setting_says() {
        use AbsencePay::*;
        use Outcome::*;
        let ill = Some(AbsenceReason::Illness);
        let holiday = Some(AbsenceReason::Holiday);
        for &policy in AbsencePay::ALL {
            assert!(session_paid(Attended, None, false, policy));
            assert!(!session_paid(Cancelled, None, false, policy));
            assert!(!session_paid(Closed, None, true, policy));
        }
        assert!(!session_paid(Absent, ill, true, Never));
        assert!(session_paid(Absent, ill, true, ShortNotice));
        assert!(!session_paid(Absent, ill, false, ShortNotice));
        assert!(session_paid(Absent, ill, false, Unplanned));
        assert!(!session_paid(Absent, holiday, false, Unplanned));
        assert_eq!(AbsencePay::default(), Never);
        // Eleven sessions at £42.50.
        assert_eq!(actuals_due(11, Pence(4250)), Pence(46_750));
    }

    #[test]
    fn attendance_below_seventy_percent_is_referred_at_its_edge() {
        let at = |attended, counted| Attendance { attended, counted };
        assert!(at(699, 1000).below_review_threshold());
        assert_eq!(at(699, 1000).percent_text(), "69.9%");
        assert!(!at(700, 1000).below_review_threshold());
        assert_eq!(at(700, 1000).percent_text(), "70.0%");
        // 7 of 10 is 70%, not below; 6 of 9 is 66.6%.
        assert!(!at(7, 10).below_review_threshold());
        assert!(at(6, 9).below_review_threshold());
        assert!(!at(0, 0).below_review_threshold());
        // Three months to 30 November are from 1 September; to 31 May, from 1 March; to
        // 15 November, from 16 August.
        assert_eq!(three_months_to(ymd(2026, 11, 30)), ymd(2026, 9, 1));
        assert_eq!(three_months_to(ymd(2027, 5, 31)), ymd(2027, 3, 1));
        assert_eq!(three_months_to(ymd(2026, 11, 15)), ymd(2026, 8, 16));
        // Closures and cancellations are not counted.
        let d = ymd(2026, 11, 2);
        let sessions = [
            s(d, Outcome::Attended, None),
            s(
                d + Duration::days(7),
                Outcome::Absent,
                Some(AbsenceReason::Illness),
            ),
            s(d + Duration::days(14), Outcome::Closed, None),
            s(d + Duration::days(21), Outcome::Cancelled, None),
            s(d + Duration::days(28), Outcome::BankHoliday, None),
            s(d + Duration::days(35), Outcome::Attended, None),
        ];
        assert_eq!(attendance(&sessions, d, d + Duration::days(35)), at(2, 3));
        assert!(attendance(&sessions, d, d + Duration::days(35)).below_review_threshold());
        assert_eq!(
            attendance(&sessions, d + Duration::days(1), d + Duration::days(35)),
            at(1, 2)
        );
    }

    #[test]
    fn an_unplanned_absence_over_two_weeks_and_a_planned_one_over_four() {
        let ill = Some(AbsenceReason::Illness);
        let monday = ymd(2026, 11, 2);
        let week = |n: i64| monday + Duration::weeks(n);
        // Absent on Mondays 2, 9 and 16 November: 15 days, more than two weeks.
        let three = [
            s(week(-1), Outcome::Attended, None),
            s(week(0), Outcome::Absent, ill),
            s(week(1), Outcome::Absent, ill),
            s(week(2), Outcome::Absent, Some(AbsenceReason::Unknown)),
        ];
        assert_eq!(
            unplanned_absence_over_two_weeks(&three),
            Some((week(0), week(2)))
        );
        assert_eq!(unplanned_absence_started(&three), Some(week(0)));
        // Absent on the 2nd and 9th: 8 days, not.
        assert_eq!(unplanned_absence_over_two_weeks(&three[..3]), None);
        // Back on the 16th: the run is over.
        let back = [
            three[0],
            three[1],
            three[2],
            s(week(2), Outcome::Attended, None),
        ];
        assert_eq!(unplanned_absence_over_two_weeks(&back), None);
        assert_eq!(unplanned_absence_started(&back), None);
        // A closure in the middle neither breaks nor extends the run.
        let closed = [
            s(week(0), Outcome::Absent, ill),
            s(week(1), Outcome::BankHoliday, None),
            s(week(2), Outcome::Absent, ill),
        ];
        assert_eq!(
            unplanned_absence_over_two_weeks(&closed),
            Some((week(0), week(2)))
        );
        // A planned absence (a holiday) is not an unplanned one.
        let holiday = [
            s(week(0), Outcome::Absent, Some(AbsenceReason::Holiday)),
            s(week(1), Outcome::Absent, Some(AbsenceReason::Holiday)),
            s(week(2), Outcome::Absent, Some(AbsenceReason::Holiday)),
        ];
        assert_eq!(unplanned_absence_over_two_weeks(&holiday), None);
        // Away from Monday 1 June: back on Monday 29 June is 28 days (not over four weeks),
        // back on Tuesday 30 June is 29 (over).
        assert!(!planned_absence_exceeds_four_weeks(
            ymd(2026, 6, 1),
            ymd(2026, 6, 29)
        ));
        assert!(planned_absence_exceeds_four_weeks(
            ymd(2026, 6, 1),
            ymd(2026, 6, 30)
        ));
        // Five Mondays of holiday recorded: 29 days, over four weeks.
        let five: Vec<Session> = (0..5)
            .map(|n| s(week(n), Outcome::Absent, Some(AbsenceReason::Hospital)))
            .collect();
        assert_eq!(
            planned_absence_over_four_weeks(&five),
            Some((week(0), week(4)))
        );
        assert_eq!(planned_absence_over_four_weeks(&five[..4]), None);
    }

    #[test]
    fn a_pattern_is_absence_on_the_same_weekday_in_three_of_the_last_four_weeks() {
        let ill = Some(AbsenceReason::Illness);
        let monday = ymd(2026, 11, 2);
        let mut sessions = Vec::new();
        for w in 0..4 {
            let mon = monday + Duration::weeks(w);
            // Absent three Mondays of four, one Wednesday; every Friday attended.
            sessions.push(s(
                mon,
                if w == 1 {
                    Outcome::Attended
                } else {
                    Outcome::Absent
                },
                ill,
            ));
            sessions.push(s(
                mon + Duration::days(2),
                if w == 3 {
                    Outcome::Absent
                } else {
                    Outcome::Attended
                },
                ill,
            ));
            sessions.push(s(mon + Duration::days(4), Outcome::Attended, None));
        }
        let last = monday + Duration::weeks(3);
        assert_eq!(weekday_pattern(&sessions, last, 3, 4), vec![Weekday::Mon]);
        // Of the last three weeks, Monday is absent in two: not 3 of 3, but 2 of 2.
        assert!(weekday_pattern(&sessions, last, 3, 3).is_empty());
        assert_eq!(weekday_pattern(&sessions, last, 2, 2), vec![Weekday::Mon]);
        // One Wednesday of four is a pattern only at 1 of 4.
        assert_eq!(weekday_pattern(&sessions, last, 2, 4), vec![Weekday::Mon]);
        assert_eq!(
            weekday_pattern(&sessions, last, 1, 4),
            vec![Weekday::Mon, Weekday::Wed]
        );
        // The week before the four is not looked at.
        assert!(weekday_pattern(&sessions, last + Duration::weeks(1), 3, 4).is_empty());
        // A week missed altogether is not a pattern of its Monday.
        let away: Vec<Session> = (0..4)
            .flat_map(|w| {
                let mon = monday + Duration::weeks(w);
                [
                    s(mon, Outcome::Absent, ill),
                    s(mon + Duration::days(2), Outcome::Absent, ill),
                ]
            })
            .collect();
        assert!(weekday_pattern(&away, last, 3, 4).is_empty());
        // A line of Mondays only: absent three Mondays of four is a pattern.
        let mondays: Vec<Session> = (0..4)
            .map(|w| {
                let o = if w == 2 {
                    Outcome::Attended
                } else {
                    Outcome::Absent
                };
                s(monday + Duration::weeks(w), o, ill)
            })
            .collect();
        assert_eq!(weekday_pattern(&mondays, last, 3, 4), vec![Weekday::Mon]);
        // Planned absences are not a pattern.
        let holidays: Vec<Session> = (0..4)
            .map(|w| {
                s(
                    monday + Duration::weeks(w),
                    Outcome::Absent,
                    Some(AbsenceReason::Holiday),
                )
            })
            .collect();
        assert!(weekday_pattern(&holidays, last, 3, 4).is_empty());
    }

    #[test]
    fn alerts_go_to_the_social_worker_or_else_the_access_point() {
        let team = vec!["a@example.org".to_string(), "b@example.org".to_string()];
        assert_eq!(
            alert_recipients(Some("sw@example.org"), &team),
            vec!["sw@example.org"]
        );
        assert_eq!(
            alert_recipients(Some(" "), &team),
            vec!["a@example.org", "b@example.org"]
        );
        assert_eq!(alert_recipients(None, &team).len(), 2);
    }
    #[test]
    fn a_missing_line_is_reported_once_four_weeks_have_passed() {
        let agreed = ymd(2026, 11, 2);
        assert_eq!(missing_line_reportable_from(agreed), ymd(2026, 11, 30));
        assert!(missing_line_reportable_from(agreed) > ymd(2026, 11, 29));
        // Across the clocks going back, whole days still count.
        assert_eq!(
            missing_line_reportable_from(ymd(2026, 10, 5)),
            ymd(2026, 11, 2)
        );
    }

    #[test]
    fn the_notice_period_ends_the_placement_the_day_before_it_runs_out() {
        assert_eq!(notice_ends(ymd(2026, 12, 1), 28), ymd(2026, 12, 28));
        assert_eq!(notice_ends(ymd(2026, 12, 1), 1), ymd(2026, 12, 1));
        // A notice of nothing still ends it no earlier than the day it is given.
        assert_eq!(notice_ends(ymd(2026, 12, 1), 0), ymd(2026, 12, 1));
    }
}
