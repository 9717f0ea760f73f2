//! Day activities (C7, issue 13): people's service lines at day services, the provider's
//! weekly actuals and their confirmation, the absence rules' alerts to the social worker or
//! the access point, and the team's lists.
//!
//! The rules are `hearth_domain::day_activities` and the week's workflow
//! `workflow::day_weeks`; payment on actuals is worked out with the payment run
//! (`payments::compute`), from the sessions of confirmed weeks.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, Weekday};
use hearth_domain::day_activities::{
    self as rules, AbsencePay, AbsenceReason, AlertKind, Days, Deadline, Outcome, Route, Session,
    SessionType,
};
use hearth_domain::workflow::day_weeks::{self as flow, Actor, Event, Facts, Status};
use hearth_domain::{parse_date, ClientGroup, Pence, ServiceType};
use hearth_store::{
    AccessPoint, DayAlert, DayLine, DayLineFields, DayMark, DaySession, DayWeek, NewDayAlert,
    Service, SessionFields,
};
use serde::Deserialize;

use crate::error::ConflictCode;
use crate::{App, AppError, FieldErrors, Permission, Principal};

/// The longest comment, family contact note or alert outcome.
pub const MAX_NOTE_CHARS: usize = 500;

/// The access points of the source (Bradford's day activities guidance), set for an
/// authority that has none: learning disability or autism to the review team, mental health
/// to the duty team (for now two named people jointly), older people to the independence
/// advice hub. An authority replaces them with its own.
pub const DEFAULT_ACCESS_POINTS: [(ClientGroup, &str, &str); 3] = [
    (
        ClientGroup::LearningDisabilities,
        "Adults with disabilities review team",
        "awd.review.team@example.gov.uk",
    ),
    (
        ClientGroup::MentalHealth,
        "Mental health duty team",
        "mh.duty.one@example.gov.uk, mh.duty.two@example.gov.uk",
    ),
    (
        ClientGroup::OlderPeople,
        "Independence advice hub",
        "independence.hub@example.gov.uk",
    ),
];

/// The client group of the Safeguarding Adults Team's access point (an immediate concern
/// the provider sends there).
pub const SAFEGUARDING: &str = "safeguarding";

/// An authority's day activities settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySettings {
    pub deadline: Deadline,
    pub absence_pay: AbsencePay,
    /// A pattern is absence on the same weekday in `pattern_n` of the last `pattern_m` weeks.
    pub pattern_n: u32,
    pub pattern_m: u32,
}

impl Default for DaySettings {
    fn default() -> Self {
        DaySettings {
            deadline: Deadline::default(),
            absence_pay: AbsencePay::Never,
            pattern_n: 3,
            pattern_m: 4,
        }
    }
}

/// The day activities settings form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct DaySettingsInput {
    /// `mon` to `sun`.
    #[serde(default)]
    pub deadline_day: String,
    /// `HH:MM`, UK time.
    #[serde(default)]
    pub deadline_time: String,
    #[serde(default)]
    pub absence_pay: String,
    #[serde(default)]
    pub pattern_n: String,
    #[serde(default)]
    pub pattern_m: String,
}

impl DaySettingsInput {
    pub fn of(s: &DaySettings) -> DaySettingsInput {
        let code = s.deadline.code();
        let (day, time) = code.split_once(' ').unwrap_or(("tue", "17:00"));
        DaySettingsInput {
            deadline_day: day.into(),
            deadline_time: time.into(),
            absence_pay: s.absence_pay.as_str().into(),
            pattern_n: s.pattern_n.to_string(),
            pattern_m: s.pattern_m.to_string(),
        }
    }
}

/// One planned session of a week, with what was recorded.
#[derive(Debug, Clone)]
pub struct WeekSession {
    pub date: NaiveDate,
    /// "Service closed (bank holiday)": nothing to record, not paid.
    pub bank_holiday: bool,
    pub recorded: Option<DaySession>,
    /// The first day of an unplanned absence (the family must be contacted).
    pub first_unplanned: bool,
    /// A session that was not planned, added by the team on a provider's request.
    pub by_request: bool,
}

/// A person's planned sessions of a week.
#[derive(Debug, Clone)]
pub struct WeekPerson {
    pub line: DayLine,
    pub name: String,
    pub sessions: Vec<WeekSession>,
}

/// A service's week of actuals.
#[derive(Debug, Clone)]
pub struct WeekView {
    pub service: Service,
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub status: Status,
    /// When it must be confirmed by (UTC seconds).
    pub deadline_at: i64,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<i64>,
    pub late: bool,
    pub people: Vec<WeekPerson>,
    pub facts: Facts,
    /// The provider records it (a provider of the service, before it is confirmed).
    pub can_record: bool,
}

impl WeekView {
    pub fn planned(&self) -> usize {
        self.people.iter().map(|p| p.sessions.len()).sum()
    }
}

/// What the provider records for one session, as the form sends it.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct SessionInput {
    pub line_id: i64,
    pub date: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub short_notice: bool,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub expected_back: String,
    #[serde(default)]
    pub family_contact: String,
    /// "" none, "social_worker" (to the social worker or access point), "safeguarding".
    #[serde(default)]
    pub concern: String,
}

impl SessionInput {
    /// The form field of this session's `part`: `s-LINE-DATE-part`.
    pub fn field(line_id: i64, date: NaiveDate, part: &str) -> String {
        format!("s-{line_id}-{date}-{part}")
    }
}

/// A service's week in the team's list.
#[derive(Debug, Clone)]
pub struct WeekRow {
    pub service: Service,
    pub provider: String,
    pub week_start: NaiveDate,
    pub status: Status,
    pub deadline_at: i64,
    pub confirmed_at: Option<i64>,
    pub late: bool,
}

/// An alert with the names a page shows.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub alert: DayAlert,
    pub kind: AlertKind,
    pub person: String,
    pub service: String,
}

/// What a run of the day activities checks did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checked {
    /// Reminders e-mailed to providers.
    pub reminders: usize,
    /// Alerts the nightly evaluation raised.
    pub alerts: usize,
    /// Authorities whose nightly evaluation ran.
    pub evaluated: usize,
}

/// What confirming a week did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub late: bool,
    pub alerts: usize,
}

/// A service line to record (the team's form).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct LineInput {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_group: String,
    /// Day codes separated by commas (the checkboxes).
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub session_type: String,
    #[serde(default)]
    pub rate: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub route: String,
    #[serde(default)]
    pub social_worker_name: String,
    #[serde(default)]
    pub social_worker_team: String,
    #[serde(default)]
    pub social_worker_email: String,
    #[serde(default)]
    pub social_worker_phone: String,
}

fn ymd(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn day_text(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// The domain's view of recorded sessions.
fn sessions_of(rows: &[&DayMark]) -> Vec<Session> {
    rows.iter()
        .filter_map(|s| {
            Some(Session {
                date: ymd(&s.session_date)?,
                outcome: Outcome::parse(&s.outcome).ok()?,
                reason: AbsenceReason::parse(&s.reason).ok(),
            })
        })
        .collect()
}

/// An alert the absence rules found for a line: its key (raised once) and its details after
/// the person's name.
pub(crate) struct Found {
    line: DayLine,
    kind: AlertKind,
    key: String,
    rest: String,
}

/// The absence rules as of `as_of` (a week's last day), with the alerts already raised by
/// line.
struct Evaluation<'a> {
    as_of: NaiveDate,
    settings: &'a DaySettings,
    seen: HashMap<i64, HashSet<String>>,
}

/// The first day the absence rules look at (three months, or the pattern's weeks if longer),
/// and the first of the history read: earlier, for a planned absence that began before it.
fn evaluation_window(as_of: NaiveDate, settings: &DaySettings) -> (NaiveDate, NaiveDate) {
    let from =
        rules::three_months_to(as_of).min(as_of - Duration::weeks(i64::from(settings.pattern_m)));
    (from, from - Duration::days(120))
}

/// Alert keys by their line.
fn seen_by_line(keys: Vec<(i64, String)>) -> HashMap<i64, HashSet<String>> {
    let mut out: HashMap<i64, HashSet<String>> = HashMap::new();
    for (line, key) in keys {
        out.entry(line).or_default().insert(key);
    }
    out
}

impl Evaluation<'_> {
    /// What the rules find for a service's lines from its sessions (by line and date), not
    /// raised before.
    fn service(&self, service: &Service, lines: &[DayLine], marks: &[DayMark]) -> Vec<Found> {
        let mut by_line: HashMap<i64, Vec<&DayMark>> = HashMap::new();
        for m in marks {
            by_line.entry(m.line_id).or_default().push(m);
        }
        let mut out = Vec::new();
        for line in lines {
            let rows = by_line.remove(&line.id).unwrap_or_default();
            for (kind, tail, rest) in self.line(service, line, &rows) {
                let key = format!("{}:{}:{tail}", kind.as_str(), line.id);
                if self.seen.get(&line.id).is_some_and(|s| s.contains(&key)) {
                    continue;
                }
                out.push(Found {
                    line: line.clone(),
                    kind,
                    key,
                    rest,
                });
            }
        }
        out
    }

    /// What the rules find for one line from its sessions: each alert's kind, its key's
    /// tail and its details after the person's name.
    fn line(
        &self,
        service: &Service,
        line: &DayLine,
        rows: &[&DayMark],
    ) -> Vec<(AlertKind, String, String)> {
        let empty = HashSet::new();
        let seen = self.seen.get(&line.id).unwrap_or(&empty);
        let sessions = sessions_of(rows);
        let mut found: Vec<(AlertKind, String, String)> = Vec::new();
        // A planned absence expected to exceed four weeks, or already longer.
        let planned_run = rows
            .iter()
            .rev()
            .take_while(|s| {
                !(s.outcome == Outcome::Attended.as_str()
                    || (s.outcome == Outcome::Absent.as_str()
                        && AbsenceReason::parse(&s.reason).is_ok_and(|r| !r.is_planned())))
            })
            .filter(|s| {
                s.outcome == Outcome::Absent.as_str()
                    && AbsenceReason::parse(&s.reason).is_ok_and(AbsenceReason::is_planned)
            })
            .last()
            .copied();
        let ongoing = planned_run
            .and_then(|s| ymd(&s.session_date))
            .and_then(|first| {
                let back = rows
                    .iter()
                    .filter(|s| s.session_date.as_str() >= first.to_string().as_str())
                    .filter_map(|s| s.expected_back.as_deref().and_then(ymd))
                    .max()?;
                rules::planned_absence_exceeds_four_weeks(first, back).then_some((first, back))
            });
        if let Some((first, back)) = ongoing {
            found.push((
                AlertKind::PlannedLong,
                first.to_string(),
                format!(
                    " is away from {} from {}, planned, and is expected back on {}: more than four weeks.",
                    service.name,
                    day_text(first),
                    day_text(back)
                ),
            ));
        } else if let Some((first, last)) = rules::planned_absence_over_four_weeks(&sessions) {
            found.push((
                AlertKind::PlannedLong,
                first.to_string(),
                format!(
                    " was away from {}, planned, from {} to {}: more than four weeks.",
                    service.name,
                    day_text(first),
                    day_text(last)
                ),
            ));
        }
        if let Some((first, last)) = rules::unplanned_absence_over_two_weeks(&sessions) {
            found.push((
                AlertKind::UnplannedLong,
                first.to_string(),
                format!(
                    " has been absent from {}, not planned, from {} to {}: more than two weeks.",
                    service.name,
                    day_text(first),
                    day_text(last)
                ),
            ));
        }
        let before = rules::weekday_pattern(
            &sessions,
            self.as_of - Duration::weeks(1),
            self.settings.pattern_n,
            self.settings.pattern_m,
        );
        for day in rules::weekday_pattern(
            &sessions,
            self.as_of,
            self.settings.pattern_n,
            self.settings.pattern_m,
        ) {
            // Once for the pattern: not again while it goes on from week to week, nor
            // while an earlier alert of it is within the weeks looked at.
            let prefix = format!(
                "{}:{}:{}:",
                AlertKind::Pattern.as_str(),
                line.id,
                weekday_name(day)
            );
            let continuing = before.contains(&day) && seen.iter().any(|k| k.starts_with(&prefix));
            let recent = continuing
                || (0..i64::from(self.settings.pattern_m)).any(|k| {
                    let w = rules::week_start(self.as_of) - Duration::weeks(k);
                    seen.contains(&format!(
                        "{}:{}:{}:{w}",
                        AlertKind::Pattern.as_str(),
                        line.id,
                        weekday_name(day)
                    ))
                });
            if !recent {
                found.push((
                    AlertKind::Pattern,
                    format!("{}:{}", weekday_name(day), rules::week_start(self.as_of)),
                    format!(
                        " was absent from {}, not planned, on a {} in {} of the last {} weeks: are the planned sessions needed?",
                        service.name,
                        weekday_name(day),
                        self.settings.pattern_n,
                        self.settings.pattern_m
                    ),
                ));
            }
        }
        // Three months of the line and of its records in Hearth (a week's grace for where
        // its first session falls): fewer say too little about attendance.
        let window = rules::three_months_to(self.as_of);
        let long_enough = ymd(&line.start_date).is_some_and(|s| s <= window)
            && sessions
                .iter()
                .map(|s| s.date)
                .min()
                .is_some_and(|d| d <= window + Duration::days(7));
        let a = rules::attendance(&sessions, window, self.as_of);
        if long_enough && a.below_review_threshold() {
            let recent = seen.iter().any(|k| {
                k.strip_prefix(&format!(
                    "{}:{}:",
                    AlertKind::LowAttendance.as_str(),
                    line.id
                ))
                .and_then(ymd)
                .is_some_and(|d| d > window)
            });
            if !recent {
                found.push((
                    AlertKind::LowAttendance,
                    self.as_of.to_string(),
                    format!(
                        " attended {} of {} sessions at {} from {} to {} ({}): below 70%. Their package is referred for review by a social worker, and the provider tells them so (the letter is with this alert).",
                        a.attended,
                        a.counted,
                        service.name,
                        day_text(window),
                        day_text(self.as_of),
                        a.percent_text()
                    ),
                ));
            }
        }
        found
    }
}

impl App {
    /// An authority's day activities settings (rows of `settings`; defaults where absent).
    pub async fn day_settings(&self, authority_id: i64) -> Result<DaySettings, AppError> {
        let get = |name: &str| format!("{name}:{authority_id}");
        let d = DaySettings::default();
        let deadline = self
            .db
            .setting(&get("day_deadline"))
            .await?
            .and_then(|s| Deadline::parse(&s))
            .unwrap_or(d.deadline);
        let absence_pay = self
            .db
            .setting(&get("day_absence_pay"))
            .await?
            .and_then(|s| AbsencePay::parse(&s).ok())
            .unwrap_or(d.absence_pay);
        let (pattern_n, pattern_m) = self
            .db
            .setting(&get("day_pattern"))
            .await?
            .and_then(|s| {
                let (n, m) = s.split_once('/')?;
                let (n, m) = (n.trim().parse::<u32>().ok()?, m.trim().parse::<u32>().ok()?);
                (n >= 1 && n <= m && m <= 26).then_some((n, m))
            })
            .unwrap_or((d.pattern_n, d.pattern_m));
        Ok(DaySettings {
            deadline,
            absence_pay,
            pattern_n,
            pattern_m,
        })
    }

    /// The names ("First Last") of some of an authority's clients, by id.
    pub(crate) async fn client_names(
        &self,
        authority_id: i64,
        ids: impl Iterator<Item = i64>,
    ) -> Result<HashMap<i64, String>, AppError> {
        let mut ids: Vec<i64> = ids.collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(self
            .db
            .payment_client_names(authority_id, &ids)
            .await?
            .into_iter()
            .map(|n| (n.id, n.name))
            .collect())
    }

    /// An administrator changes the authority's day activities settings; each changed one is
    /// audited. Weeks already started keep the deadline they had. Returns how many changed.
    pub async fn save_day_settings(
        &self,
        who: &Principal,
        input: &DaySettingsInput,
    ) -> Result<usize, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::Administer)?;
        crate::text::check_lengths(input)?;
        let now = self.day_settings(who.authority_id()).await?;
        let mut e = FieldErrors::new();
        let deadline = Deadline::parse(&format!(
            "{} {}",
            input.deadline_day.trim(),
            input.deadline_time.trim()
        ));
        if Deadline::parse(&format!("{} 17:00", input.deadline_day.trim())).is_none() {
            e.add(
                "deadline_day",
                "Select the day of the week the deadline falls on",
            );
        } else if deadline.is_none() {
            e.add(
                "deadline_time",
                "Enter the time as hours and minutes on the 24-hour clock, like 17:00",
            );
        }
        let absence_pay = e.check("absence_pay", AbsencePay::parse(input.absence_pay.trim()));
        let n = input.pattern_n.trim().parse::<u32>().ok();
        let m = input.pattern_m.trim().parse::<u32>().ok();
        match (n, m) {
            (Some(n), Some(m)) if n >= 1 && n <= m && m <= 26 => {}
            (_, Some(m)) if !(1..=26).contains(&m) => {
                e.add("pattern_m", "Enter a number of weeks from 1 to 26")
            }
            _ => e.add(
                "pattern_n",
                "Enter a number of weeks from 1 to the number of weeks looked at",
            ),
        }
        e.into_result()?;
        let (Some(deadline), Some(absence_pay), Some(n), Some(m)) = (deadline, absence_pay, n, m)
        else {
            return Err(AppError::Internal("day settings checked".into()));
        };
        let a = who.authority_id();
        self.save_changed_settings(
            who,
            a,
            &[
                ("day_deadline", deadline != now.deadline, deadline.code()),
                (
                    "day_absence_pay",
                    absence_pay != now.absence_pay,
                    absence_pay.as_str().to_string(),
                ),
                (
                    "day_pattern",
                    (n, m) != (now.pattern_n, now.pattern_m),
                    format!("{n}/{m}"),
                ),
            ],
        )
        .await
    }

    /// A day service the principal may see; any other service is not found.
    pub async fn day_service(&self, who: &Principal, id: i64) -> Result<Service, AppError> {
        who.require_or_hide(Permission::SignedIn)?;
        let s = self.service(who, id).await?;
        if s.service_type != ServiceType::DayActivities.as_str() {
            return Err(AppError::NotFound);
        }
        Ok(s)
    }

    /// The day services the principal may see (a provider's own, a limited user's in scope).
    pub async fn day_services(&self, who: &Principal) -> Result<Vec<Service>, AppError> {
        who.require_or_hide(Permission::SignedIn)?;
        Ok(self
            .db
            .day_services(who.authority_id())
            .await?
            .into_iter()
            .filter(|s| who.can_see_service(s.authority_id, s.provider_id, s.id))
            .collect())
    }

    /// The last week that has ended (the provider records it this week).
    pub fn last_week(&self) -> NaiveDate {
        rules::week_start(self.today()) - Duration::days(7)
    }

    /// A service's week: each person's planned sessions with what was recorded, whether it is
    /// confirmed, its deadline, and what stops it being confirmed.
    pub async fn day_week(
        &self,
        who: &Principal,
        service_id: i64,
        week: NaiveDate,
    ) -> Result<WeekView, AppError> {
        let service = self.day_service(who, service_id).await?;
        let week_start = rules::week_start(week);
        let week_end = week_start + Duration::days(6);
        let settings = self.day_settings(service.authority_id).await?;
        let row = self
            .db
            .day_week(service_id, &week_start.to_string())
            .await?;
        let deadline_at = row.as_ref().map_or_else(
            || rules::confirm_deadline(week_start, settings.deadline).unwrap_or(0),
            |w| w.deadline_at,
        );
        let status = row
            .as_ref()
            .and_then(|w| Status::parse(&w.status))
            .unwrap_or(Status::Open);
        let lines = self
            .db
            .day_lines(service_id, &week_start.to_string(), &week_end.to_string())
            .await?;
        // Four weeks before, to know whether an unplanned absence began this week.
        let history = self
            .db
            .day_sessions(
                service_id,
                &(week_start - Duration::days(28)).to_string(),
                &week_end.to_string(),
            )
            .await?;
        let calendar = self.region_calendar(service.authority_id).await?;
        let names = self
            .client_names(service.authority_id, lines.iter().map(|x| x.client_id))
            .await?;
        let mut by_line: HashMap<i64, Vec<&DaySession>> = HashMap::new();
        for s in &history {
            by_line.entry(s.line_id).or_default().push(s);
        }
        let mut facts = Facts {
            ended: self.today() > week_end,
            ..Facts::default()
        };
        let mut people = Vec::new();
        for line in lines {
            let Some(days) = Days::parse(&line.days) else {
                continue;
            };
            let (Some(start), end) = (
                ymd(&line.start_date),
                line.end_date.as_deref().and_then(ymd),
            ) else {
                continue;
            };
            let recorded = by_line.get(&line.id).cloned().unwrap_or_default();
            let mut sessions = Vec::new();
            for date in rules::planned_dates(days, start, end, week_start) {
                let this = recorded
                    .iter()
                    .find(|s| s.session_date == date.to_string())
                    .map(|s| (*s).clone());
                let bank_holiday = rules::planned_outcome(
                    calendar.is_bank_holiday(date),
                    service.opens_on_bank_holidays != 0,
                )
                .is_some();
                let before: Vec<&DaySession> = recorded
                    .iter()
                    .filter(|s| s.session_date.as_str() < date.to_string().as_str())
                    .copied()
                    .collect();
                let unplanned = |s: &DaySession| {
                    s.outcome == Outcome::Absent.as_str()
                        && AbsenceReason::parse(&s.reason).is_ok_and(|r| !r.is_planned())
                };
                let previous_counted = before
                    .iter()
                    .rev()
                    .find(|s| {
                        s.outcome == Outcome::Attended.as_str()
                            || s.outcome == Outcome::Absent.as_str()
                    })
                    .copied();
                let first_unplanned = this.as_ref().is_some_and(unplanned)
                    && !previous_counted.is_some_and(unplanned);
                if !bank_holiday && this.is_none() {
                    facts.unrecorded += 1;
                }
                if first_unplanned
                    && this
                        .as_ref()
                        .is_some_and(|s| s.family_contact.trim().is_empty())
                {
                    facts.family_not_contacted += 1;
                }
                sessions.push(WeekSession {
                    date,
                    bank_holiday,
                    recorded: this,
                    first_unplanned,
                    by_request: false,
                });
            }
            // Sessions not planned that the team added on a request.
            for r in &recorded {
                let Some(date) = ymd(&r.session_date) else {
                    continue;
                };
                if date >= week_start
                    && date <= week_end
                    && !sessions.iter().any(|x| x.date == date)
                {
                    sessions.push(WeekSession {
                        date,
                        bank_holiday: false,
                        recorded: Some((*r).clone()),
                        first_unplanned: false,
                        by_request: true,
                    });
                }
            }
            sessions.sort_by_key(|x| x.date);
            if sessions.is_empty() {
                continue;
            }
            people.push(WeekPerson {
                name: names
                    .get(&line.client_id)
                    .cloned()
                    .unwrap_or_else(|| format!("Client {}", line.client_id)),
                line,
                sessions,
            });
        }
        people.sort_by(|a, b| a.name.cmp(&b.name).then(a.line.id.cmp(&b.line.id)));
        let confirmed_at = row.as_ref().and_then(|w| w.confirmed_at);
        Ok(WeekView {
            can_record: matches!(who, Principal::Provider { .. }) && status == Status::Open,
            service,
            week_start,
            week_end,
            status,
            deadline_at,
            confirmed_by: row.as_ref().and_then(|w| w.confirmed_by_name.clone()),
            late: confirmed_at.is_some_and(|c| c > deadline_at),
            confirmed_at,
            people,
            facts,
        })
    }

    /// The provider records what happened at a week's sessions. Only sessions that changed are
    /// written; bad input names the session's field and changes nothing. Returns how many
    /// sessions were given.
    pub async fn record_day_week(
        &self,
        who: &Principal,
        service_id: i64,
        week: NaiveDate,
        inputs: &[SessionInput],
    ) -> Result<usize, AppError> {
        let view = self.day_week(who, service_id, week).await?;
        // The provider records and confirms its own actuals; the team only reads them.
        let Principal::Provider { .. } = who else {
            return Err(AppError::Forbidden);
        };
        let actor = Actor::Provider;
        flow::next(view.status, Event::Record, actor, view.facts)
            .map_err(|r| AppError::refused(r, ConflictCode::WrongState))?;
        let mut e = FieldErrors::new();
        let mut writes: Vec<(&DayLine, NaiveDate, Option<&DaySession>, SessionFields)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for input in inputs {
            let Some(date) = ymd(input.date.trim()) else {
                return Err(AppError::invalid(
                    "sessions",
                    "A session's date is not a date",
                ));
            };
            if !seen.insert((input.line_id, date)) {
                return Err(AppError::invalid(
                    "sessions",
                    "A session was sent twice: send each session once",
                ));
            }
            let Some((person, session)) = view.people.iter().find_map(|p| {
                (p.line.id == input.line_id)
                    .then(|| p.sessions.iter().find(|s| s.date == date).map(|s| (p, s)))
                    .flatten()
            }) else {
                return Err(AppError::invalid(
                    "sessions",
                    "A session is not one of this week's planned sessions",
                ));
            };
            // A closed bank holiday has nothing to record; a session the team added on a
            // request is the team's to change.
            if session.bank_holiday || session.by_request {
                continue;
            }
            let f = |part: &str| SessionInput::field(input.line_id, date, part);
            let who_when = format!("{} on {}", person.name, day_text(date));
            if input.outcome.trim().is_empty() {
                continue;
            }
            let outcome = match Outcome::parse(input.outcome.trim()) {
                Ok(Outcome::BankHoliday) | Err(_) => {
                    e.add(&f("outcome"), format!("Select what happened: {who_when}"));
                    continue;
                }
                Ok(o) => o,
            };
            let mut fields = SessionFields {
                outcome: outcome.as_str().into(),
                ..SessionFields::default()
            };
            for (part, text) in [
                ("comment", &input.comment),
                ("family_contact", &input.family_contact),
            ] {
                if text.chars().count() > MAX_NOTE_CHARS {
                    e.add(
                        &f(part),
                        format!("Must be {MAX_NOTE_CHARS} characters or fewer: {who_when}"),
                    );
                }
            }
            fields.comment = input.comment.trim().to_string();
            if outcome == Outcome::Absent {
                match AbsenceReason::parse(input.reason.trim()) {
                    Err(_) => e.add(
                        &f("reason"),
                        format!("Select why they were absent: {who_when}"),
                    ),
                    Ok(r) => {
                        fields.reason = r.as_str().into();
                        fields.short_notice = input.short_notice;
                        if r.is_planned() && !input.expected_back.trim().is_empty() {
                            match parse_date(&input.expected_back) {
                                Ok(back) if back > date => {
                                    fields.expected_back = Some(back.to_string());
                                }
                                Ok(_) => e.add(
                                    &f("expected_back"),
                                    format!("The day they are expected back must be after the session: {who_when}"),
                                ),
                                Err(err) => e.add(&f("expected_back"), format!("{}: {who_when}", err.message)),
                            }
                        }
                        if !r.is_planned() {
                            fields.family_contact = input.family_contact.trim().to_string();
                            fields.concern = match input.concern.trim() {
                                "" => 0,
                                "social_worker" => 1,
                                SAFEGUARDING => 2,
                                _ => {
                                    e.add(
                                        &f("concern"),
                                        format!("Select who the concern goes to: {who_when}"),
                                    );
                                    0
                                }
                            };
                        }
                    }
                }
            }
            writes.push((&person.line, date, session.recorded.as_ref(), fields));
        }
        e.into_result()?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let settings = self.day_settings(view.service.authority_id).await?;
        let w = tx
            .open_day_week(
                view.service.authority_id,
                service_id,
                &view.week_start.to_string(),
                rules::confirm_deadline(view.week_start, settings.deadline).unwrap_or(0),
            )
            .await?;
        if w.status != Status::Open.as_str() {
            return Err(AppError::Conflict(
                ConflictCode::AlreadyDecided,
                "This week was confirmed a moment ago: ask for a change by request.".into(),
            ));
        }
        for (line, date, before, fields) in &writes {
            let concern = fields.concern;
            tx.record_day_session(line, &date.to_string(), *before, fields)
                .await?;
            // An immediate concern goes at once, not when the week is confirmed.
            let first = before.is_none_or(|b| b.concern != concern);
            if concern != 0 && first {
                let points = self.db.access_points(line.authority_id).await?;
                let group = if concern == 2 {
                    SAFEGUARDING.to_string()
                } else {
                    line.client_group.clone()
                };
                let to = recipients(line, &points, &group, concern == 2);
                let name = view
                    .people
                    .iter()
                    .find(|p| p.line.id == line.id)
                    .map_or(String::new(), |p| p.name.clone());
                let details = format!(
                    "{name} was absent from {} on {}, not planned, and the provider has an immediate concern about their whereabouts or safety.",
                    view.service.name,
                    day_text(*date)
                );
                // Once for each place it goes: a concern raised for the social worker and then
                // for the Safeguarding Adults Team reaches both.
                let key = format!(
                    "{}:{}:{date}:{group}",
                    AlertKind::UnplannedConcern.as_str(),
                    line.id
                );
                let alert = new_alert(line, AlertKind::UnplannedConcern, key, details, &to);
                raise_all(&mut tx, line.authority_id, vec![(alert, to)]).await?;
            }
        }
        tx.commit().await?;
        Ok(writes.len())
    }

    /// The provider confirms a week's actuals: it must have ended, every planned session be
    /// recorded, and the family contacted on each unplanned absence's first day. The week is
    /// then fixed for payment (one confirmed after its deadline is paid by the first run
    /// after), and the absence rules are evaluated for the service's people.
    pub async fn confirm_day_week(
        &self,
        who: &Principal,
        service_id: i64,
        week: NaiveDate,
    ) -> Result<Confirmed, AppError> {
        let view = self.day_week(who, service_id, week).await?;
        // The provider records and confirms its own actuals; the team only reads them.
        let Principal::Provider { .. } = who else {
            return Err(AppError::Forbidden);
        };
        let actor = Actor::Provider;
        flow::next(view.status, Event::Confirm, actor, view.facts)
            .map_err(|r| AppError::refused(r, ConflictCode::AlreadyDecided))?;
        let settings = self.day_settings(view.service.authority_id).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let w = tx
            .open_day_week(
                view.service.authority_id,
                service_id,
                &view.week_start.to_string(),
                rules::confirm_deadline(view.week_start, settings.deadline).unwrap_or(0),
            )
            .await?;
        // The bank holidays a closed service did not open on are recorded as such.
        for p in &view.people {
            for s in p
                .sessions
                .iter()
                .filter(|s| s.bank_holiday && s.recorded.is_none())
            {
                tx.record_day_session(
                    &p.line,
                    &s.date.to_string(),
                    None,
                    &SessionFields {
                        outcome: Outcome::BankHoliday.as_str().into(),
                        ..SessionFields::default()
                    },
                )
                .await?;
            }
        }
        let Some(done) = tx.confirm_day_week(w.id).await? else {
            return Err(AppError::Conflict(
                ConflictCode::AlreadyDecided,
                "This week is confirmed already.".into(),
            ));
        };
        let alerts = self
            .evaluate_absence(&mut tx, &view.service, view.week_end, &settings)
            .await?;
        tx.commit().await?;
        Ok(Confirmed {
            late: done.confirmed_at.is_some_and(|c| c > done.deadline_at),
            alerts,
        })
    }

    /// The absence rules for a service's people as of `as_of` (a week's last day), in the
    /// write `tx`: each alert raised once (its key), to the social worker or else the access
    /// point, by e-mail through the outbox. Returns how many were raised.
    pub(crate) async fn evaluate_absence(
        &self,
        tx: &mut hearth_store::WriteTx,
        service: &Service,
        as_of: NaiveDate,
        settings: &DaySettings,
    ) -> Result<usize, AppError> {
        let (from, history_from) = evaluation_window(as_of, settings);
        let lines = self
            .db
            .day_lines(service.id, &from.to_string(), &as_of.to_string())
            .await?;
        if lines.is_empty() {
            return Ok(0);
        }
        let marks = self
            .db
            .day_marks(service.id, &history_from.to_string(), &as_of.to_string())
            .await?;
        let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
        let ev = Evaluation {
            as_of,
            settings,
            seen: seen_by_line(self.db.day_alert_keys(&ids).await?),
        };
        let found = ev.service(service, &lines, &marks);
        self.raise_found(tx, service.authority_id, found).await
    }

    /// The absence rules for every day service of an authority as of `as_of`, in one read of
    /// its sessions taken a service at a time (the nightly evaluation). Returns how many
    /// alerts were raised.
    async fn evaluate_authority(
        &self,
        tx: &mut hearth_store::WriteTx,
        authority_id: i64,
        services: &[Service],
        as_of: NaiveDate,
        settings: &DaySettings,
    ) -> Result<usize, AppError> {
        let (from, history_from) = evaluation_window(as_of, settings);
        let mut lines_of: HashMap<i64, Vec<DayLine>> = HashMap::new();
        for l in self
            .db
            .day_lines_of_authority(authority_id, &from.to_string(), &as_of.to_string())
            .await?
        {
            lines_of.entry(l.service_id).or_default().push(l);
        }
        let ev = Evaluation {
            as_of,
            settings,
            seen: seen_by_line(self.db.day_alert_keys_of_authority(authority_id).await?),
        };
        let by_id: HashMap<i64, &Service> = services.iter().map(|s| (s.id, s)).collect();
        let mut found = Vec::new();
        // The read holds a connection until it ends; the alerts are raised after it, so the
        // evaluation needs no more than the write's connection and the read's.
        let mut marks = self.db.day_marks_by_service(
            authority_id,
            &history_from.to_string(),
            &as_of.to_string(),
        );
        while let Some((service_id, rows)) = marks.next_service().await? {
            let (Some(service), Some(mut lines)) =
                (by_id.get(&service_id), lines_of.remove(&service_id))
            else {
                continue;
            };
            lines.sort_by_key(|l| (l.client_id, l.id));
            found.extend(ev.service(service, &lines, &rows));
        }
        drop(marks);
        self.raise_found(tx, authority_id, found).await
    }

    /// Raises what the rules found, each to the line's social worker or else the access
    /// point for the person's client group. Returns how many were new.
    async fn raise_found(
        &self,
        tx: &mut hearth_store::WriteTx,
        authority_id: i64,
        found: Vec<Found>,
    ) -> Result<usize, AppError> {
        if found.is_empty() {
            return Ok(0);
        }
        let points = self.db.access_points(authority_id).await?;
        let names = self
            .client_names(authority_id, found.iter().map(|f| f.line.client_id))
            .await?;
        let alerts: Vec<(NewDayAlert, Vec<String>)> = found
            .into_iter()
            .map(|f| {
                let name = names
                    .get(&f.line.client_id)
                    .cloned()
                    .unwrap_or_else(|| format!("Client {}", f.line.client_id));
                let to = recipients(&f.line, &points, &f.line.client_group, false);
                let alert = new_alert(&f.line, f.kind, f.key, format!("{name}{}", f.rest), &to);
                (alert, to)
            })
            .collect();
        raise_all(tx, authority_id, alerts).await
    }

    /// The scheduler's day activities checks (every half hour), for every authority or one:
    /// - a reminder to each day service's provider whose last week is not confirmed, from
    ///   09:00 on the working day after the week (Monday) and from noon of the deadline's day
    ///   (Tuesday), until the deadline, each once;
    /// - once a night (from 02:00 UK time), the absence rules for every day service as of last
    ///   week's end, raising what confirmation did not (each alert still once).
    pub async fn run_day_activities_checks(
        &self,
        authority: Option<i64>,
    ) -> Result<Checked, AppError> {
        let now = self.now();
        let Some(local) = hearth_domain::clock::uk_time_of(now) else {
            return Ok(Checked::default());
        };
        let today = local.date();
        let last = rules::week_start(today) - Duration::weeks(1);
        let mut done = Checked::default();
        for a in self
            .db
            .authorities()
            .await?
            .into_iter()
            .filter(|a| authority.is_none_or(|id| id == a.id))
        {
            let settings = self.day_settings(a.id).await?;
            let services = self.db.day_services(a.id).await?;
            if services.is_empty() {
                continue;
            }
            let calendar = self.region_calendar(a.id).await?;
            let deadline = rules::deadline_local(last, settings.deadline);
            let first_day = calendar
                .add_working_days(last + Duration::days(6), 1)
                .unwrap_or(last + Duration::days(7));
            let due: Vec<&str> = [
                ("first", first_day.and_hms_opt(9, 0, 0)),
                (
                    "noon",
                    deadline.and_then(|d| d.date().and_hms_opt(12, 0, 0)),
                ),
            ]
            .into_iter()
            .filter(|(_, from)| {
                from.is_some_and(|f| local >= f) && deadline.is_some_and(|d| local < d)
            })
            .map(|(k, _)| k)
            .collect();
            for s in &services {
                if due.is_empty() {
                    break;
                }
                let week = last.to_string();
                if self
                    .db
                    .day_week(s.id, &week)
                    .await?
                    .is_some_and(|w| w.status == Status::Confirmed.as_str())
                {
                    continue;
                }
                if self
                    .db
                    .day_lines(s.id, &week, &(last + Duration::days(6)).to_string())
                    .await?
                    .is_empty()
                {
                    continue;
                }
                let Some(p) = self.db.provider(s.provider_id).await? else {
                    continue;
                };
                if p.email.trim().is_empty() {
                    continue;
                }
                for kind in &due {
                    if self.db.day_reminder_sent(s.id, &week, kind).await? {
                        continue;
                    }
                    let by = deadline
                        .map(|d| d.format("%A %-d %B at %H:%M").to_string())
                        .unwrap_or_default();
                    let mut tx = self
                        .begin_write(&hearth_store::Actor::system("reminders"))
                        .await?;
                    tx.queue_mail(
                        &p.email,
                        &format!(
                            "Day activities: confirm the week beginning {} by {by}",
                            day_text(last)
                        ),
                        &format!(
                            "The actuals of {} for the week beginning {} are not confirmed yet. Record what happened at each planned session in Hearth (Day activities) and confirm the week by {by} (UK time). A week not confirmed by then is not paid until it is.\n",
                            s.name,
                            day_text(last)
                        ),
                    )
                    .await?;
                    tx.insert_day_reminder(s.id, &week, kind).await?;
                    tx.commit().await?;
                    done.reminders += 1;
                }
            }
            // The nightly evaluation, once a day per authority.
            let mark = format!("day_evaluated:{}", a.id);
            let evaluated_today = self
                .db
                .setting(&mark)
                .await?
                .is_some_and(|d| d == today.to_string());
            if !evaluated_today && local.time() >= chrono::NaiveTime::MIN + Duration::hours(2) {
                let mut tx = self
                    .begin_write(&hearth_store::Actor::system("day-activities"))
                    .await?;
                done.alerts += self
                    .evaluate_authority(
                        &mut tx,
                        a.id,
                        &services,
                        last + Duration::days(6),
                        &settings,
                    )
                    .await?;
                tx.set_setting(&mark, &today.to_string()).await?;
                tx.commit().await?;
                done.evaluated += 1;
            }
        }
        Ok(done)
    }

    /// The weeks of the authority's day services from `weeks` weeks ago to last week, for the
    /// team: confirmed, confirmed late, or not confirmed (a week not started is not
    /// confirmed).
    pub async fn day_week_rows(
        &self,
        who: &Principal,
        weeks: u32,
    ) -> Result<Vec<WeekRow>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let last = self.last_week();
        let first = last - Duration::weeks(i64::from(weeks.max(1)) - 1);
        let settings = self.day_settings(who.authority_id()).await?;
        let rows = self
            .db
            .day_weeks(who.authority_id(), &first.to_string())
            .await?;
        let names = self.names(who.authority_id(), &[]).await?;
        let services = self.db.day_services(who.authority_id()).await?;
        let mut out = Vec::new();
        for s in services {
            let mut w = last;
            while w >= first {
                let row: Option<&DayWeek> = rows
                    .iter()
                    .find(|r| r.service_id == s.id && r.week_start == w.to_string());
                let deadline_at = row.map_or_else(
                    || rules::confirm_deadline(w, settings.deadline).unwrap_or(0),
                    |r| r.deadline_at,
                );
                let confirmed_at = row.and_then(|r| r.confirmed_at);
                out.push(WeekRow {
                    provider: names.provider(s.provider_id),
                    service: s.clone(),
                    week_start: w,
                    status: row
                        .and_then(|r| Status::parse(&r.status))
                        .unwrap_or(Status::Open),
                    deadline_at,
                    confirmed_at,
                    late: confirmed_at.is_some_and(|c| c > deadline_at),
                });
                w -= Duration::weeks(1);
            }
        }
        Ok(out)
    }

    /// The authority's alerts (staff), open ones first; a provider's own people's alerts.
    pub async fn day_alerts(&self, who: &Principal) -> Result<Vec<AlertView>, AppError> {
        who.require_or_hide(Permission::SignedIn)?;
        let alerts = self.db.day_alerts(who.authority_id(), None).await?;
        let services: HashMap<i64, Service> = self
            .db
            .day_services(who.authority_id())
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let visible: Vec<DayAlert> = alerts
            .into_iter()
            .filter(|a| {
                services
                    .get(&a.service_id)
                    .is_some_and(|s| who.can_see_service(s.authority_id, s.provider_id, s.id))
            })
            .collect();
        let names = self
            .client_names(who.authority_id(), visible.iter().map(|x| x.client_id))
            .await?;
        Ok(visible
            .into_iter()
            .filter_map(|a| {
                Some(AlertView {
                    kind: AlertKind::parse(&a.kind).ok()?,
                    person: names.get(&a.client_id).cloned().unwrap_or_default(),
                    service: services
                        .get(&a.service_id)
                        .map(|s| s.name.clone())
                        .unwrap_or_default(),
                    alert: a,
                })
            })
            .collect())
    }

    /// The team acknowledges an alert with what it did (staff who may change records).
    pub async fn acknowledge_day_alert(
        &self,
        who: &Principal,
        id: i64,
        outcome: &str,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let alerts = self.day_alerts(who).await?;
        let Some(a) = alerts.iter().find(|a| a.alert.id == id) else {
            return Err(AppError::NotFound);
        };
        who.require(Permission::BackOfficeWrite)?;
        if a.alert.acknowledged_at.is_some() {
            return Err(AppError::Conflict(
                ConflictCode::AlreadyDecided,
                "This alert is acknowledged already.".into(),
            ));
        }
        let outcome = outcome.trim();
        if outcome.is_empty() {
            return Err(AppError::invalid(
                "outcome",
                "Enter what was done, for example: social worker spoke to the family",
            ));
        }
        if outcome.chars().count() > MAX_NOTE_CHARS {
            return Err(AppError::invalid(
                "outcome",
                format!("The outcome must be {MAX_NOTE_CHARS} characters or fewer"),
            ));
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.acknowledge_day_alert(id, outcome).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The letter telling the person their package is referred for review (an attendance
    /// alert): PDF, for the provider to send and the team to see.
    pub async fn attendance_letter_pdf(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<(String, Vec<u8>), AppError> {
        let alerts = self.day_alerts(who).await?;
        let Some(a) = alerts
            .into_iter()
            .find(|a| a.alert.id == id && a.kind == AlertKind::LowAttendance)
        else {
            return Err(AppError::NotFound);
        };
        let client = self
            .db
            .client(a.alert.client_id)
            .await?
            .ok_or(AppError::NotFound)?;
        use hearth_docs::pdf::{Block, Report};
        let mut addressed = format!(
            "{} {} {}",
            client.title, client.first_name, client.last_name
        )
        .trim()
        .to_string();
        for part in [client.address.as_str(), client.postcode.as_str()] {
            if !part.trim().is_empty() {
                addressed.push_str(", ");
                addressed.push_str(part.trim());
            }
        }
        let raised = hearth_domain::clock::uk_time_of(a.alert.raised_at)
            .map(|t| day_text(t.date()))
            .unwrap_or_default();
        let authority = self
            .db
            .authority(client.authority_id)
            .await?
            .map(|x| x.name)
            .unwrap_or_default();
        let dear = format!("Dear {} {},", client.title, client.last_name)
            .replace("  ", " ")
            .replace("Dear  ", "Dear ");
        let report = Report {
            title: "Your day service: a review of your support".into(),
            author: authority,
            blocks: vec![
                Block::Paragraph(format!("To {addressed}")),
                Block::Paragraph(format!("{}, {raised}", a.service)),
                Block::Paragraph(dear),
                Block::Paragraph(format!(
                    "We have noticed that you have not been able to come to {} as often as planned: over the last three months you came to fewer than 70 out of every 100 sessions planned for you.",
                    a.service
                )),
                Block::Paragraph("When this happens, we ask a social worker to review your support with you, to make sure it is still right for you. We have referred your support package for that review, and a social worker will be in touch.".into()),
                Block::Paragraph("You do not need to do anything now. If something has made it hard to come, or you would like to talk about your sessions, please speak to us or to your social worker.".into()),
                Block::Paragraph("Yours sincerely,".into()),
                Block::Paragraph(a.service.clone()),
            ],
        };
        let bytes = hearth_docs::pdf::render(&report)
            .map_err(|e| AppError::Internal(format!("letter: {e}")))?;
        Ok((format!("review-letter-{}.pdf", a.alert.id), bytes))
    }

    /// The access points alerts go to, by client group (staff). The source's defaults are
    /// listed for a group with none set.
    pub async fn access_points(&self, who: &Principal) -> Result<Vec<AccessPoint>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        Ok(self.db.access_points(who.authority_id()).await?)
    }

    /// Sets a client group's access point (staff who may change records): a name and one
    /// e-mail address or more, separated by commas.
    pub async fn set_access_point(
        &self,
        who: &Principal,
        client_group: &str,
        name: &str,
        emails: &str,
    ) -> Result<AccessPoint, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::BackOfficeWrite)?;
        let mut e = FieldErrors::new();
        if client_group != SAFEGUARDING
            && client_group != crate::day_requests::SUPPORT_OPTIONS
            && ClientGroup::parse(client_group).is_err()
        {
            e.add("client_group", "Select a client group");
        }
        if name.trim().is_empty() {
            e.add("name", "Enter the team's name");
        } else if name.chars().count() > 200 {
            e.add("name", "The name must be 200 characters or fewer");
        }
        let list: Vec<&str> = emails
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect();
        if list.is_empty() {
            e.add("emails", "Enter at least one e-mail address");
        } else if emails.chars().count() > 1000 {
            e.add("emails", "The addresses must be 1000 characters or fewer");
        } else if let Some(bad) = list.iter().find(|x| !looks_like_email(x)) {
            e.add(
                "emails",
                format!("\u{201c}{bad}\u{201d} is not an e-mail address, like name@example.gov.uk"),
            );
        }
        e.into_result()?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let p = tx
            .set_access_point(
                who.authority_id(),
                client_group,
                name.trim(),
                &list.join(", "),
            )
            .await?;
        // Alerts raised while this group had nobody to tell go now.
        let addresses: Vec<String> = list.iter().map(|x| x.to_string()).collect();
        for a in self.db.day_alerts(who.authority_id(), None).await? {
            if !a.told.is_empty() || a.acknowledged_at.is_some() {
                continue;
            }
            let Some(line) = self.db.day_line(a.line_id).await? else {
                continue;
            };
            let to_safeguarding = a.alert_key.ends_with(&format!(":{SAFEGUARDING}"));
            let belongs = if client_group == SAFEGUARDING {
                to_safeguarding
            } else {
                !to_safeguarding
                    && line.client_group == client_group
                    && line.social_worker_email.trim().is_empty()
            };
            if !belongs {
                continue;
            }
            let kind = AlertKind::parse(&a.kind).unwrap_or(AlertKind::UnplannedConcern);
            for address in &addresses {
                tx.queue_mail(
                    address,
                    &format!("Day activities: {}", kind.label()),
                    &format!(
                        "{}\n\nSee the alert in Hearth under Day activities > Alerts, and record what was done when it is dealt with.\n",
                        a.details
                    ),
                )
                .await?;
            }
            tx.set_day_alert_told(a.id, &addresses.join(", ")).await?;
        }
        tx.commit().await?;
        Ok(p)
    }

    /// The service lines of a day service (staff and its provider), with people's names.
    pub async fn service_day_lines(
        &self,
        who: &Principal,
        service_id: i64,
    ) -> Result<Vec<(DayLine, String)>, AppError> {
        let s = self.day_service(who, service_id).await?;
        let lines = self.db.all_day_lines(service_id).await?;
        let names = self
            .client_names(s.authority_id, lines.iter().map(|x| x.client_id))
            .await?;
        Ok(lines
            .into_iter()
            .map(|l| {
                let n = names.get(&l.client_id).cloned().unwrap_or_default();
                (l, n)
            })
            .collect())
    }

    /// The team records a person's service line at a day service, as a social worker agreed
    /// it. Providers cannot: a change of need goes to the social worker.
    pub async fn add_day_line(
        &self,
        who: &Principal,
        service_id: i64,
        input: &LineInput,
    ) -> Result<DayLine, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let service = self.day_service(who, service_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let client = match input.client_id.trim().parse::<i64>() {
            Ok(id) => match self.db.client(id).await? {
                Some(c) if c.authority_id == service.authority_id => Some(c),
                _ => None,
            },
            Err(_) => None,
        };
        if client.is_none() {
            e.add(
                "client_id",
                "Enter the number of one of the authority's clients",
            );
        }
        let group = match input.client_group.trim() {
            "" => ClientGroup::parse(&service.client_group).ok(),
            g => ClientGroup::parse(g).ok(),
        };
        if group.is_none() {
            e.add("client_group", "Select the person's client group");
        }
        let days = Days::parse(&input.days);
        if days.is_none() {
            e.add("days", "Select at least one day of the week");
        }
        let session_type = e.check(
            "session_type",
            SessionType::parse(input.session_type.trim()),
        );
        let rate = e.check("rate", Pence::parse_pounds(&input.rate));
        if rate.is_some_and(|r| r.0 <= 0) {
            e.add("rate", "Enter the rate per session, more than £0");
        }
        let start = e.check("start_date", parse_date(&input.start_date));
        let end = match input.end_date.trim() {
            "" => None,
            _ => e.check("end_date", parse_date(&input.end_date)),
        };
        if let (Some(s), Some(x)) = (start, end) {
            if x < s {
                e.add(
                    "end_date",
                    "The end date must be on or after the start date",
                );
            }
        }
        let route = e.check("route", Route::parse(input.route.trim()));
        if input.social_worker_name.trim().is_empty() {
            e.add(
                "social_worker_name",
                "Enter the social worker who agreed the service line",
            );
        }
        let email = input.social_worker_email.trim();
        if !email.is_empty() && !looks_like_email(email) {
            e.add(
                "social_worker_email",
                "Enter an e-mail address, like name@example.gov.uk",
            );
        }
        e.into_result()?;
        let (
            Some(client),
            Some(group),
            Some(days),
            Some(session_type),
            Some(rate),
            Some(start),
            Some(route),
        ) = (client, group, days, session_type, rate, start, route)
        else {
            return Err(AppError::Internal("line checked".into()));
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        let line = tx
            .insert_day_line(
                service.authority_id,
                &DayLineFields {
                    service_id,
                    client_id: client.id,
                    client_group: group.as_str().into(),
                    days: days.codes(),
                    session_type: session_type.as_str().into(),
                    rate_pence: rate.0,
                    start_date: start.to_string(),
                    end_date: end.map(|d| d.to_string()),
                    route: route.as_str().into(),
                    social_worker_name: input.social_worker_name.trim().into(),
                    social_worker_team: input.social_worker_team.trim().into(),
                    social_worker_email: email.into(),
                    social_worker_phone: input.social_worker_phone.trim().into(),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(line)
    }

    /// Whether a day service opens on bank holidays (staff who may change records).
    pub async fn set_opens_on_bank_holidays(
        &self,
        who: &Principal,
        service_id: i64,
        opens: bool,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.day_service(who, service_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_opens_on_bank_holidays(service_id, opens).await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(crate) fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == ',')
}

/// The addresses of `group`'s access point: the authority's, else the source's default (the
/// support options team's for [`crate::day_requests::SUPPORT_OPTIONS`]).
pub(crate) fn point_addresses(points: &[AccessPoint], group: &str) -> Vec<String> {
    let split = |e: &str| -> Vec<String> {
        e.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    };
    points
        .iter()
        .find(|p| p.client_group == group)
        .map(|p| split(&p.emails))
        .or_else(|| {
            DEFAULT_ACCESS_POINTS
                .iter()
                .find(|(g, _, _)| g.as_str() == group)
                .map(|(_, _, e)| split(e))
        })
        .or_else(|| {
            (group == crate::day_requests::SUPPORT_OPTIONS)
                .then(|| split(crate::day_requests::DEFAULT_SUPPORT_OPTIONS.1))
        })
        .unwrap_or_default()
}

/// Who an alert about `line` goes to: its social worker, or else the access point of
/// `group` (the Safeguarding Adults Team's for `safeguarding`, whatever the social worker).
pub(crate) fn recipients(
    line: &DayLine,
    points: &[AccessPoint],
    group: &str,
    safeguarding: bool,
) -> Vec<String> {
    let point = point_addresses(points, group);
    if safeguarding {
        return point;
    }
    rules::alert_recipients(Some(line.social_worker_email.as_str()), &point)
        .into_iter()
        .map(String::from)
        .collect()
}

/// The alert the rules found for a line, to be told to `to`.
fn new_alert(
    line: &DayLine,
    kind: AlertKind,
    key: String,
    details: String,
    to: &[String],
) -> NewDayAlert {
    NewDayAlert {
        line_id: line.id,
        service_id: line.service_id,
        client_id: line.client_id,
        kind: kind.as_str().to_string(),
        key,
        details,
        told: to.join(", "),
    }
}

/// Raises alerts (each with who is told), each once for its key, and queues an e-mail to
/// everyone told of each new one, all in `tx`. Returns how many were new.
async fn raise_all(
    tx: &mut hearth_store::WriteTx,
    authority_id: i64,
    alerts: Vec<(NewDayAlert, Vec<String>)>,
) -> Result<usize, AppError> {
    let new_alerts: Vec<NewDayAlert> = alerts.iter().map(|(a, _)| a.clone()).collect();
    let raised = tx.raise_day_alerts(authority_id, &new_alerts).await?;
    let mut to_of: HashMap<String, Vec<String>> =
        alerts.into_iter().map(|(a, to)| (a.key, to)).collect();
    let mut mails = Vec::new();
    for alert in &raised {
        let label = AlertKind::parse(&alert.kind).map_or("alert", |k| k.label());
        for address in to_of.remove(&alert.alert_key).unwrap_or_default() {
            mails.push((
                address,
                format!("Day activities: {label}"),
                format!(
                    "{}\n\nSee the alert in Hearth under Day activities > Alerts, and record what was done when it is dealt with.\n",
                    alert.details
                ),
            ));
        }
    }
    tx.queue_mails(&mails).await?;
    Ok(raised.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_list_is_checked_address_by_address() {
        assert!(looks_like_email("a.b@example.gov.uk"));
        assert!(!looks_like_email("not an address"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("@example.org"));
    }

    #[test]
    fn an_alert_goes_to_the_social_worker_else_the_access_point_else_the_default() {
        let line = DayLine {
            id: 1,
            authority_id: 1,
            service_id: 1,
            client_id: 1,
            client_group: ClientGroup::MentalHealth.as_str().into(),
            days: "mon".into(),
            session_type: "full_day".into(),
            rate_pence: 4000,
            start_date: "2026-01-05".into(),
            end_date: None,
            route: "framework".into(),
            social_worker_name: String::new(),
            social_worker_team: String::new(),
            social_worker_email: String::new(),
            social_worker_phone: String::new(),
            created_by_name: String::new(),
            created_at: 0,
        };
        // No social worker, no access point set: the source's two named people jointly.
        assert_eq!(
            recipients(&line, &[], &line.client_group, false),
            vec!["mh.duty.one@example.gov.uk", "mh.duty.two@example.gov.uk"]
        );
        let set = AccessPoint {
            id: 1,
            authority_id: 1,
            client_group: line.client_group.clone(),
            name: "Duty".into(),
            emails: "duty@example.gov.uk".into(),
        };
        assert_eq!(
            recipients(&line, std::slice::from_ref(&set), &line.client_group, false),
            vec!["duty@example.gov.uk"]
        );
        let with_worker = DayLine {
            social_worker_email: "sw@example.gov.uk".into(),
            ..line.clone()
        };
        assert_eq!(
            recipients(&with_worker, &[set], &line.client_group, false),
            vec!["sw@example.gov.uk"]
        );
        // A safeguarding concern goes to the Safeguarding Adults Team, not the worker.
        let team = AccessPoint {
            id: 2,
            authority_id: 1,
            client_group: SAFEGUARDING.into(),
            name: "Safeguarding Adults Team".into(),
            emails: "safeguarding@example.gov.uk".into(),
        };
        assert_eq!(
            recipients(&with_worker, &[team], SAFEGUARDING, true),
            vec!["safeguarding@example.gov.uk"]
        );
    }
}
