//! Day activities (C7): the provider's weeks of actuals (record, confirm), a day service's
//! service lines, the team's weeks not confirmed, the absence alerts and the access points.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Form;
use chrono::{Duration, NaiveDate};
use hearth_app::day_activities::{
    AlertView, DaySettingsInput, LineInput, SessionInput, WeekView, DEFAULT_ACCESS_POINTS,
    SAFEGUARDING,
};
use hearth_app::day_requests::{DEFAULT_SUPPORT_OPTIONS, SUPPORT_OPTIONS};
use hearth_app::{AppError, FieldErrors, Permission, Principal};
use hearth_domain::day_activities::{
    AbsencePay, AbsenceReason, AlertKind, Days, Outcome, Route, SessionType,
};
use hearth_domain::workflow::day_weeks::Status;
use hearth_domain::{ClientGroup, Pence};
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::Page;
use crate::layout::{self, button, csrf, error_summary, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

const READ: Access = Access::Signed(Permission::BackOfficeRead);
const WRITE: Access = Access::Signed(Permission::BackOfficeWrite);
const ANY: Access = Access::Signed(Permission::SignedIn);
const ADMIN: Access = Access::Signed(Permission::Administer);

pub fn register(t: &mut RouteTable) {
    t.get("/day-activities", ANY, get(home));
    t.get("/day-activities/alerts", ANY, get(alerts_page));
    t.post(
        "/day-activities/alerts/{id}/acknowledge",
        WRITE,
        post(acknowledge),
    );
    t.get("/day-activities/alerts/{id}/letter.pdf", ANY, get(letter));
    t.get("/day-activities/settings", ADMIN, get(settings_form));
    t.post("/day-activities/settings", ADMIN, post(settings_save));
    t.get("/day-activities/access-points", READ, get(access_points));
    t.post(
        "/day-activities/access-points",
        WRITE,
        post(access_point_save),
    );
    t.get("/day-activities/{id}/lines", ANY, get(lines_page));
    t.get("/day-activities/{id}/lines/new", WRITE, get(line_form));
    t.post("/day-activities/{id}/lines/new", WRITE, post(line_create));
    t.post(
        "/day-activities/{id}/bank-holidays",
        WRITE,
        post(bank_holidays),
    );
    t.get("/day-activities/{id}/weeks/{week}", ANY, get(week_page));
    t.post("/day-activities/{id}/weeks/{week}", ANY, post(week_record));
    t.post(
        "/day-activities/{id}/weeks/{week}/confirm",
        ANY,
        post(week_confirm),
    );
}

fn day(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn short_day(d: NaiveDate) -> String {
    d.format("%a %-d %b").to_string()
}

/// The Monday of the week named in a path; a date that is not one, or outside the years
/// 2000 to 2100, is not found (so no date arithmetic can overflow).
fn week_of(s: &str) -> Result<NaiveDate, AppError> {
    use chrono::Datelike;
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .map(hearth_domain::day_activities::week_start)
        .ok_or(AppError::NotFound)
}

fn week_tag(status: Status, late: bool, overdue: bool) -> Markup {
    let (colour, text) = match (status, late, overdue) {
        (Status::Confirmed, false, _) => ("govuk-tag--green", "Confirmed"),
        (Status::Confirmed, true, _) => ("govuk-tag--yellow", "Confirmed late"),
        (Status::Open, _, true) => ("govuk-tag--red", "Not confirmed: not paid until it is"),
        (Status::Open, _, false) => ("govuk-tag--grey", "Not confirmed"),
    };
    html! { strong class={ "govuk-tag " (colour) } { (text) } }
}

fn alert_tag(kind: AlertKind) -> Markup {
    let colour = match kind {
        AlertKind::UnplannedConcern => "govuk-tag--red",
        AlertKind::UnplannedLong | AlertKind::LowAttendance => "govuk-tag--orange",
        _ => "govuk-tag--blue",
    };
    html! { strong class={ "govuk-tag " (colour) } { (kind.label()) } }
}

// ---------------- the start page ----------------

async fn home(State(state): State<AppState>, ctx: Ctx) -> Page {
    let app = &state.app;
    let who = &ctx.principal;
    let services = app.day_services(who).await?;
    let settings = app.day_settings(who.authority_id()).await?;
    let last = app.last_week();
    let now = app.now();
    let alerts = app.day_alerts(who).await?;
    let open_alerts = alerts
        .iter()
        .filter(|a| a.alert.acknowledged_at.is_none())
        .count();
    let open_requests = app
        .day_requests(who)
        .await?
        .iter()
        .filter(|r| r.status.is_open())
        .count();
    let deadline = format!(
        "{} at {:02}:{:02}",
        match settings.deadline.weekday {
            chrono::Weekday::Mon => "Monday",
            chrono::Weekday::Tue => "Tuesday",
            chrono::Weekday::Wed => "Wednesday",
            chrono::Weekday::Thu => "Thursday",
            chrono::Weekday::Fri => "Friday",
            chrono::Weekday::Sat => "Saturday",
            chrono::Weekday::Sun => "Sunday",
        },
        settings.deadline.hour,
        settings.deadline.minute
    );
    let body = if matches!(who, Principal::Provider { .. }) {
        let mut rows = Vec::new();
        for s in &services {
            let mut weeks = Vec::new();
            for k in 0..6 {
                let w = last - Duration::weeks(k);
                weeks.push((w, app.day_week(who, s.id, w).await?));
            }
            rows.push((s, weeks));
        }
        html! {
            h1 class="govuk-heading-l" { "Day activities" }
            p class="govuk-body" { "Each week, record what happened at last week's planned sessions for each person, then confirm the week by close of business on " (deadline) " (UK time). By confirming, you confirm that the actuals are correct: payment is made on what you confirm. A week not confirmed by then is not paid until it is, in the first payment run after." }
            p class="govuk-body" { "You cannot change a person's planned sessions or a confirmed week yourself. If a person's needs have changed, a session was not planned, a confirmed week is wrong, or a service line a social worker agreed has been missing for four weeks or more, raise a request: a change of need goes to their social worker or the access point for their client group." }
            p class="govuk-body" { a class="govuk-link" href="/day-activities/requests" { "Requests" } " (" (open_requests) " open)" }
            p class="govuk-body" { a class="govuk-link" href="/day-activities/alerts" { "Absence alerts about your people" } " (" (open_alerts) " open), with the review letters to send" }
            @if services.is_empty() {
                p class="govuk-body" { "You have no day services." }
            }
            @for (s, weeks) in &rows {
                h2 class="govuk-heading-m" { (s.name) }
                p class="govuk-body" {
                    a class="govuk-link" href={ "/day-activities/" (s.id) "/lines" } { "Service lines" span class="govuk-visually-hidden" { " of " (s.name) } }
                    " · " a class="govuk-link" href={ "/day-activities/" (s.id) "/requests/new?kind=missing_line" } { "Report a missing service line" span class="govuk-visually-hidden" { " at " (s.name) } }
                }
                table class="govuk-table" {
                    caption class="govuk-table__caption govuk-visually-hidden" { "Weeks of " (s.name) }
                    thead class="govuk-table__head" { tr class="govuk-table__row" {
                        th scope="col" class="govuk-table__header" { "Week beginning" }
                        th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Sessions" }
                        th scope="col" class="govuk-table__header" { "Confirm by" }
                        th scope="col" class="govuk-table__header" { "Status" }
                    } }
                    tbody class="govuk-table__body" {
                        @for (w, v) in weeks {
                            tr class="govuk-table__row" {
                                td class="govuk-table__cell" { a class="govuk-link" href={ "/day-activities/" (s.id) "/weeks/" (w) } { (day(*w)) } }
                                td class="govuk-table__cell govuk-table__cell--numeric" { (v.planned()) }
                                td class="govuk-table__cell" { (layout::when(v.deadline_at)) }
                                td class="govuk-table__cell" { (week_tag(v.status, v.late, now > v.deadline_at)) }
                            }
                        }
                    }
                }
            }
        }
    } else {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let rows = app.day_week_rows(who, 6).await?;
        let open: Vec<_> = rows.iter().filter(|r| r.status == Status::Open).collect();
        html! {
            h1 class="govuk-heading-l" { "Day activities" }
            p class="govuk-body" { "Providers of day services record last week's actual sessions for each person and confirm them by " (deadline) " (UK time). Confirmed weeks are paid in the four-weekly payment run, on contracts paid on actuals; a week not confirmed is not paid until it is." }
            ul class="govuk-list" {
                li { a class="govuk-link" href="/day-activities/alerts" { "Alerts" } " (" (open_alerts) " open)" }
                li { a class="govuk-link" href="/day-activities/requests" { "Requests" } " (" (open_requests) " open): changes of need, sessions not planned, changes to confirmed weeks and missing service lines" }
                li { a class="govuk-link" href="/day-activities/access-points" { "Access points" } ": where alerts go when a person has no allocated social worker" }
                @if who.has(Permission::Administer) { li { a class="govuk-link" href="/day-activities/settings" { "Day activities settings" } ": the deadline, which absences are paid, and what is a pattern of absence" } }
            }
            h2 class="govuk-heading-m" { "Weeks not confirmed" }
            @if open.is_empty() {
                p class="govuk-body" { "Every week of the last six is confirmed." }
            } @else {
                (layout::scrolling_table("Weeks not confirmed", html! { table class="govuk-table" {
                    thead class="govuk-table__head" { tr class="govuk-table__row" {
                        th scope="col" class="govuk-table__header" { "Service" }
                        th scope="col" class="govuk-table__header" { "Provider" }
                        th scope="col" class="govuk-table__header" { "Week beginning" }
                        th scope="col" class="govuk-table__header" { "Confirm by" }
                        th scope="col" class="govuk-table__header" { "Status" }
                    } }
                    tbody class="govuk-table__body" {
                        @for r in &open {
                            tr class="govuk-table__row" {
                                td class="govuk-table__cell" { a class="govuk-link" href={ "/day-activities/" (r.service.id) "/lines" } { (r.service.name) } }
                                td class="govuk-table__cell" { (r.provider) }
                                td class="govuk-table__cell" { a class="govuk-link" href={ "/day-activities/" (r.service.id) "/weeks/" (r.week_start) } { (day(r.week_start)) } }
                                td class="govuk-table__cell" { (layout::when(r.deadline_at)) }
                                td class="govuk-table__cell" { (week_tag(r.status, r.late, now > r.deadline_at)) }
                            }
                        }
                    }
                } }))
            }
            h2 class="govuk-heading-m" { "Day services" }
            @if services.is_empty() { p class="govuk-body" { "The authority has no day services." } }
            @else {
                table class="govuk-table" {
                    thead class="govuk-table__head" { tr class="govuk-table__row" {
                        th scope="col" class="govuk-table__header" { "Service" }
                        th scope="col" class="govuk-table__header" { "Last week" }
                        th scope="col" class="govuk-table__header" { "Bank holidays" }
                    } }
                    tbody class="govuk-table__body" {
                        @for s in &services {
                            @let r = rows.iter().find(|r| r.service.id == s.id && r.week_start == last);
                            tr class="govuk-table__row" {
                                td class="govuk-table__cell" { a class="govuk-link" href={ "/day-activities/" (s.id) "/lines" } { (s.name) } }
                                td class="govuk-table__cell" { @if let Some(r) = r { a class="govuk-link" href={ "/day-activities/" (s.id) "/weeks/" (last) } { (week_tag(r.status, r.late, now > r.deadline_at)) } } }
                                td class="govuk-table__cell" { @if s.opens_on_bank_holidays != 0 { "Open" } @else { "Closed" } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::render(Some(&ctx), "Day activities", body))
}

// ---------------- a week ----------------

#[derive(Deserialize, Default)]
struct WeekQuery {
    saved: Option<String>,
    confirmed: Option<String>,
    late: Option<String>,
    alerts: Option<String>,
}

async fn week_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, week)): Path<(i64, String)>,
    Query(q): Query<WeekQuery>,
) -> Page {
    let week = week_of(&week)?;
    let v = state.app.day_week(&ctx.principal, id, week).await?;
    week_view(&state, &ctx, &v, &q, &[], &FieldErrors::new())
}

/// The value the form shows for a session's `part`: what was just sent (when it was refused),
/// else what is recorded.
fn shown<'a>(sent: &'a [(String, String)], key: &str, recorded: Option<&'a str>) -> &'a str {
    if sent.is_empty() {
        return recorded.unwrap_or("");
    }
    sent.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

fn week_view(
    state: &AppState,
    ctx: &Ctx,
    v: &WeekView,
    q: &WeekQuery,
    sent: &[(String, String)],
    errors: &FieldErrors,
) -> Page {
    let now = state.app.now();
    let last = state.app.last_week();
    let sid = v.service.id;
    let outcomes: Vec<(String, String)> = [
        Outcome::Attended,
        Outcome::Absent,
        Outcome::Cancelled,
        Outcome::Closed,
    ]
    .iter()
    .map(|o| (o.as_str().to_string(), o.label().to_string()))
    .collect();
    let reasons: Vec<(String, String)> = AbsenceReason::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), r.label().to_string()))
        .collect();
    let base = format!("/day-activities/{sid}/weeks/{}", v.week_start);
    let title = format!("{}: week beginning {}", v.service.name, day(v.week_start));
    let prev = v.week_start - Duration::weeks(1);
    let next = v.week_start + Duration::weeks(1);
    let provider = matches!(ctx.principal, Principal::Provider { .. });
    // A provider asks for a change to a confirmed week's sessions by request.
    let ask = provider && v.status == Status::Confirmed;
    let body = html! {
        (layout::back_link("/day-activities"))
        @if q.saved.is_some() { (layout::banner("Sessions saved", html! { p class="govuk-body" { "Confirm the week once every session is recorded." } })) }
        @if q.confirmed.is_some() {
            (layout::banner("Week confirmed", html! {
                p class="govuk-body" {
                    @if q.late.is_some() { "It was confirmed after its deadline: it is paid in the first payment run from now." }
                    @else { "It is paid in the payment run of its period." }
                    @if let Some(n) = q.alerts.as_deref().and_then(|n| n.parse::<i64>().ok()).filter(|n| *n > 0) {
                        " " (layout::plural(n, "absence alert was", "absence alerts were")) " sent to the people's social workers or access points."
                    }
                }
            }))
        }
        (error_summary(errors))
        span class="govuk-caption-l" { (v.service.name) }
        h1 class="govuk-heading-l" { "Week beginning " (day(v.week_start)) }
        p class="govuk-body" {
            a class="govuk-link" href={ "/day-activities/" (sid) "/weeks/" (prev) } { "Previous week" }
            @if next <= last { " · " a class="govuk-link" href={ "/day-activities/" (sid) "/weeks/" (next) } { "Next week" } }
        }
        dl class="govuk-summary-list" {
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Status" }
                dd class="govuk-summary-list__value" { (week_tag(v.status, v.late, now > v.deadline_at)) }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Confirm by" }
                dd class="govuk-summary-list__value" { (layout::when(v.deadline_at)) }
            }
            @if let (Some(by), Some(at)) = (&v.confirmed_by, v.confirmed_at) {
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { "Confirmed" }
                    dd class="govuk-summary-list__value" { (by) ", " (layout::when(at)) }
                }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Planned sessions" }
                dd class="govuk-summary-list__value" { (v.planned()) @if v.status == Status::Open { ", " (v.facts.unrecorded) " not recorded" } }
            }
        }
        @if v.people.is_empty() {
            p class="govuk-body" { "Nobody has a planned session this week." }
        }
        @if v.can_record && !v.people.is_empty() {
            p class="govuk-body" { "For each session, choose what happened. For an absence, choose why, and add a comment. On the first day of an absence that was not planned, contact the person's family to find out where they are and whether they are safe, and record who you spoke to, when, and what they said. If you have an immediate concern, say who it must go to: it is sent at once." }
            form id="sessions" method="post" action=(base) novalidate {
                (csrf(&ctx.csrf))
                @for p in &v.people {
                    h2 class="govuk-heading-m" { (p.name) }
                    p class="govuk-body-s" {
                        (Days::parse(&p.line.days).map(|d| d.names()).unwrap_or_default()) ", " (SessionType::parse(&p.line.session_type).map(|t| t.label()).unwrap_or("")) " at " (Pence(p.line.rate_pence))
                        " · " a class="govuk-link" href={ "/day-activities/" (sid) "/requests/new?kind=change_of_need&line=" (p.line.id) } { "Tell the team of a change in need" span class="govuk-visually-hidden" { " for " (p.name) } }
                    }
                    @for s in &p.sessions {
                        @let key = |part: &str| SessionInput::field(p.line.id, s.date, part);
                        @let rec = s.recorded.as_ref();
                        div class="govuk-form-group hearth-session" {
                            h3 class="govuk-heading-s" { (short_day(s.date)) }
                            @if s.bank_holiday {
                                p class="govuk-body" { strong class="govuk-tag govuk-tag--grey" { "Service closed (bank holiday)" } " Nothing to record: a closed bank holiday is not paid." }
                            } @else if s.by_request {
                                p class="govuk-body" { strong class="govuk-tag govuk-tag--green" { "Added by request" } " " (rec.and_then(|r| Outcome::parse(&r.outcome).ok()).map(|o| o.label()).unwrap_or("")) ": a session that was not planned, added by the commissioning team." }
                            } @else {
                                input type="hidden" name=(key("line")) value=(p.line.id);
                                (layout::select_as(&key("outcome"), &key("outcome"), &format!("What happened on {}", short_day(s.date)), &outcomes, shown(sent, &key("outcome"), rec.map(|r| r.outcome.as_str())), errors, false))
                                (layout::select_as(&key("reason"), &key("reason"), "If absent, why", &reasons, shown(sent, &key("reason"), rec.map(|r| r.reason.as_str())), errors, false))
                                (layout::input(&key("comment"), "Comment", shown(sent, &key("comment"), rec.map(|r| r.comment.as_str())), errors, Opt::default()))
                                details class="govuk-details govuk-!-margin-bottom-2" open[s.first_unplanned || ["family_contact", "expected_back", "concern"].iter().any(|p| errors.get(&key(p)).is_some())] {
                                    summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "More about an absence" span class="govuk-visually-hidden" { " on " (short_day(s.date)) } } }
                                    div class="govuk-details__text" {
                                        (layout::input(&key("expected_back"), "A planned absence: the day they are expected back", shown(sent, &key("expected_back"), rec.and_then(|r| r.expected_back.as_deref())), errors, Opt { width: Some("10"), hint: Some("For example 30/11/2026. More than four weeks away tells their social worker at once."), ..Default::default() }))
                                        (layout::input(&key("family_contact"), "Unplanned, first day: who you contacted in the family, when, and what they said", shown(sent, &key("family_contact"), rec.map(|r| r.family_contact.as_str())), errors, Opt::default()))
                                        (layout::select_as(&key("concern"), &key("concern"), "An immediate concern goes to", &[("social_worker".to_string(), "Their social worker or access point".to_string()), (SAFEGUARDING.to_string(), "The Safeguarding Adults Team".to_string())], shown(sent, &key("concern"), rec.map(|r| match r.concern { 1 => "social_worker", 2 => SAFEGUARDING, _ => "" })), errors, false))
                                        div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes" {
                                            div class="govuk-checkboxes__item" {
                                                input class="govuk-checkboxes__input" id=(key("short_notice")) name=(key("short_notice")) type="checkbox" value="1" checked[if sent.is_empty() { rec.is_some_and(|r| r.short_notice != 0) } else { sent.iter().any(|(k, _)| *k == key("short_notice")) }];
                                                label class="govuk-label govuk-checkboxes__label" for=(key("short_notice")) { "The absence was notified less than 24 hours before" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                div class="govuk-checkboxes govuk-!-margin-bottom-4" data-module="govuk-checkboxes" {
                    div class="govuk-checkboxes__item" {
                        input class="govuk-checkboxes__input" id="rest_attended" name="rest_attended" type="checkbox" value="1";
                        label class="govuk-label govuk-checkboxes__label" for="rest_attended" { "Record every session left blank as attended" }
                    }
                }
                @if v.facts.ended {
                    h2 class="govuk-heading-m" { "Confirm the week" }
                    p class="govuk-body" { "By confirming, you confirm that every session and amendment is correct: what you have entered above is saved first. After that the week cannot be changed here: a change goes to the commissioning team as a request." }
                    // Saving comes first, so that Enter in a field saves and never confirms.
                    div class="govuk-button-group" {
                        button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Save the sessions" }
                        button type="submit" class="govuk-button" data-module="govuk-button" formaction={ (base) "/confirm" } { "Save and confirm the week" }
                    }
                } @else {
                    (button("Save the sessions"))
                    p class="govuk-body" { "The week can be confirmed once it has ended." }
                }
            }
        } @else if !v.people.is_empty() {
            (layout::scrolling_table("Sessions", html! { table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Person" }
                    th scope="col" class="govuk-table__header" { "Session" }
                    th scope="col" class="govuk-table__header" { "What happened" }
                    th scope="col" class="govuk-table__header" { "Comment" }
                    @if ask { th scope="col" class="govuk-table__header" { span class="govuk-visually-hidden" { "Change" } } }
                } }
                tbody class="govuk-table__body" {
                    @for p in &v.people {
                        @for s in &p.sessions {
                            tr class="govuk-table__row" {
                                td class="govuk-table__cell" { (p.name) }
                                td class="govuk-table__cell" { (short_day(s.date)) @if s.by_request { " (added by request)" } }
                                td class="govuk-table__cell" {
                                    @if s.bank_holiday { "Service closed (bank holiday)" }
                                    @else if let Some(r) = &s.recorded {
                                        (Outcome::parse(&r.outcome).map(|o| o.label()).unwrap_or(""))
                                        @if let Ok(reason) = AbsenceReason::parse(&r.reason) { ": " (reason.label()) }
                                    } @else { "Not recorded" }
                                }
                                td class="govuk-table__cell" {
                                    @if let Some(r) = &s.recorded {
                                        (r.comment)
                                        @if !r.family_contact.is_empty() { " Family contacted: " (r.family_contact) }
                                    }
                                }
                                @if ask {
                                    td class="govuk-table__cell" {
                                        @if s.recorded.is_some() && !s.bank_holiday {
                                            a class="govuk-link" href={ "/day-activities/" (sid) "/requests/new?kind=amend_session&line=" (p.line.id) "&date=" (s.date) } { "Ask for a change" span class="govuk-visually-hidden" { " to " (p.name) " on " (short_day(s.date)) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            } }))
        }
        @if provider && v.week_start <= state.app.today() {
            p class="govuk-body" {
                a class="govuk-link" href={ "/day-activities/" (sid) "/requests/new?kind=extra_session&date=" (v.week_start) } { "Ask to add a session that was not planned" }
                @if ask { " · To change a session of this confirmed week, choose Ask for a change beside it." }
            }
        }
    };
    Ok(layout::render_form(Some(ctx), &title, body, errors))
}

/// The sessions a week's form sent, one per planned session with a `line` field.
fn sessions_from(pairs: &[(String, String)]) -> Vec<SessionInput> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let rest_attended = pairs.iter().any(|(k, _)| k == "rest_attended");
    let mut out = Vec::new();
    for (k, v) in pairs {
        let Some(prefix) = k.strip_suffix("-line") else {
            continue;
        };
        let Some(rest) = prefix.strip_prefix("s-") else {
            continue;
        };
        let Some((line, date)) = rest.split_once('-') else {
            continue;
        };
        let (Ok(line_id), Ok(_)) = (line.parse::<i64>(), v.parse::<i64>()) else {
            continue;
        };
        let part = |p: &str| get(&format!("{prefix}-{p}"));
        let mut outcome = part("outcome");
        if outcome.trim().is_empty() && rest_attended {
            outcome = Outcome::Attended.as_str().into();
        }
        out.push(SessionInput {
            line_id,
            date: date.to_string(),
            outcome,
            reason: part("reason"),
            short_notice: !part("short_notice").is_empty(),
            comment: part("comment"),
            expected_back: part("expected_back"),
            family_contact: part("family_contact"),
            concern: part("concern"),
        });
    }
    out
}

async fn week_record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, week)): Path<(i64, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    let week = week_of(&week)?;
    let inputs = sessions_from(&pairs);
    match state
        .app
        .record_day_week(&ctx.principal, id, week, &inputs)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/day-activities/{id}/weeks/{week}?saved=1"
        ))),
        Err(AppError::Invalid(e)) => {
            let v = state.app.day_week(&ctx.principal, id, week).await?;
            week_view(&state, &ctx, &v, &WeekQuery::default(), &pairs, &e)
        }
        Err(e) => Err(e.into()),
    }
}

/// Saves what the form sent, if anything, then confirms the week.
async fn week_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, week)): Path<(i64, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    let week = week_of(&week)?;
    let inputs = sessions_from(&pairs);
    if !inputs.is_empty() {
        match state
            .app
            .record_day_week(&ctx.principal, id, week, &inputs)
            .await
        {
            Ok(_) => {}
            Err(AppError::Invalid(e)) => {
                let v = state.app.day_week(&ctx.principal, id, week).await?;
                return week_view(&state, &ctx, &v, &WeekQuery::default(), &pairs, &e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    match state.app.confirm_day_week(&ctx.principal, id, week).await {
        Ok(c) => Ok(see_other(&format!(
            "/day-activities/{id}/weeks/{week}?confirmed=1&alerts={}{}",
            c.alerts,
            if c.late { "&late=1" } else { "" }
        ))),
        Err(AppError::Invalid(e)) => {
            let v = state.app.day_week(&ctx.principal, id, week).await?;
            week_view(&state, &ctx, &v, &WeekQuery::default(), &[], &e)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------- service lines ----------------

#[derive(Deserialize, Default)]
struct LinesQuery {
    added: Option<String>,
}

async fn lines_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<LinesQuery>,
) -> Page {
    let app = &state.app;
    let service = app.day_service(&ctx.principal, id).await?;
    let lines = app.service_day_lines(&ctx.principal, id).await?;
    let write = ctx.principal.has(Permission::BackOfficeWrite);
    let provider = matches!(ctx.principal, Principal::Provider { .. });
    let today = app.today().to_string();
    let body = html! {
        (layout::back_link("/day-activities"))
        @if q.added.is_some() { (layout::banner("Service line added", html! { p class="govuk-body" { "The provider records its sessions from next week's actuals." } })) }
        span class="govuk-caption-l" { (service.name) }
        h1 class="govuk-heading-l" { "Service lines" }
        p class="govuk-body" { "Each person's planned sessions at the service, as a social worker agreed them. Only the commissioning team changes them, on a social worker's authorisation." @if provider { " If a person's need has changed, tell the team with Change of need beside them." } }
        p class="govuk-body" { a class="govuk-link" href={ "/day-activities/" (id) "/weeks/" (app.last_week()) } { "Last week's actuals" } }
        @if lines.is_empty() {
            p class="govuk-body" { "No service line is recorded for this service." }
        } @else {
            (layout::scrolling_table("Service lines", html! { table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Person" }
                    th scope="col" class="govuk-table__header" { "Days" }
                    th scope="col" class="govuk-table__header" { "Session" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Rate" }
                    th scope="col" class="govuk-table__header" { "From" }
                    th scope="col" class="govuk-table__header" { "To" }
                    th scope="col" class="govuk-table__header" { "Route" }
                    th scope="col" class="govuk-table__header" { "Social worker" }
                    @if provider { th scope="col" class="govuk-table__header" { span class="govuk-visually-hidden" { "Request" } } }
                } }
                tbody class="govuk-table__body" {
                    @for (l, name) in &lines {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (name) @if l.end_date.as_deref().is_some_and(|e| e < today.as_str()) { " (ended)" } }
                            td class="govuk-table__cell" { (Days::parse(&l.days).map(|d| d.names()).unwrap_or_default()) }
                            td class="govuk-table__cell" { (SessionType::parse(&l.session_type).map(|t| t.label()).unwrap_or("")) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (Pence(l.rate_pence)) }
                            td class="govuk-table__cell" { (layout::date(&l.start_date)) }
                            td class="govuk-table__cell" { @if let Some(e) = &l.end_date { (layout::date(e)) } }
                            td class="govuk-table__cell" { (Route::parse(&l.route).map(|r| r.label()).unwrap_or("")) }
                            td class="govuk-table__cell" {
                                (l.social_worker_name)
                                @if !l.social_worker_team.is_empty() { ", " (l.social_worker_team) }
                                @if !l.social_worker_email.is_empty() { br; (l.social_worker_email) }
                            }
                            @if provider {
                                td class="govuk-table__cell" {
                                    @if l.end_date.as_deref().is_none_or(|e| e >= today.as_str()) {
                                        a class="govuk-link" href={ "/day-activities/" (id) "/requests/new?kind=change_of_need&line=" (l.id) } { "Change of need" span class="govuk-visually-hidden" { " for " (name) } }
                                    }
                                }
                            }
                        }
                    }
                }
            } }))
        }
        h2 class="govuk-heading-m" { "Bank holidays" }
        p class="govuk-body" {
            @if service.opens_on_bank_holidays != 0 { "The service opens on bank holidays: sessions on them are recorded and paid as usual." }
            @else { "The service is closed on bank holidays: a planned session on one shows as \u{201c}Service closed (bank holiday)\u{201d} and is not paid." }
        }
        @if write {
            form method="post" action={ "/day-activities/" (id) "/bank-holidays" } {
                (csrf(&ctx.csrf))
                input type="hidden" name="opens" value=(if service.opens_on_bank_holidays != 0 { "0" } else { "1" });
                button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" {
                    @if service.opens_on_bank_holidays != 0 { "It is closed on bank holidays" } @else { "It opens on bank holidays" }
                }
            }
            a class="govuk-button" href={ "/day-activities/" (id) "/lines/new" } data-module="govuk-button" { "Add a service line" }
        }
    };
    Ok(layout::render(
        Some(&ctx),
        &format!("Service lines: {}", service.name),
        body,
    ))
}

fn line_input_of(pairs: &[(String, String)]) -> LineInput {
    let f = super::Pairs(pairs);
    let one = |k: &str| f.one(k);
    LineInput {
        client_id: one("client_id"),
        client_group: one("client_group"),
        days: f.many("days"),
        session_type: one("session_type"),
        rate: one("rate"),
        start_date: one("start_date"),
        end_date: one("end_date"),
        route: one("route"),
        social_worker_name: one("social_worker_name"),
        social_worker_team: one("social_worker_team"),
        social_worker_email: one("social_worker_email"),
        social_worker_phone: one("social_worker_phone"),
    }
}

async fn line_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    line_page(&state, &ctx, id, &LineInput::default(), &FieldErrors::new()).await
}

async fn line_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    f: &LineInput,
    errors: &FieldErrors,
) -> Page {
    let service = state.app.day_service(&ctx.principal, id).await?;
    let groups: Vec<(String, String)> = ClientGroup::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), g.label().to_string()))
        .collect();
    let types: Vec<(&str, &str, Option<&str>)> = SessionType::ALL
        .iter()
        .map(|t| (t.as_str(), t.label(), None))
        .collect();
    let routes: Vec<(&str, &str, Option<&str>)> = Route::ALL
        .iter()
        .map(|r| (r.as_str(), r.label(), None))
        .collect();
    let group = if f.client_group.is_empty() {
        service.client_group.as_str()
    } else {
        f.client_group.as_str()
    };
    let body = html! {
        (layout::back_link(&format!("/day-activities/{id}/lines")))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            span class="govuk-caption-l" { (service.name) }
            h1 class="govuk-heading-l" { "Add a service line" }
            p class="govuk-body" { "A person's planned sessions at the service, as their social worker agreed them." }
            form method="post" action={ "/day-activities/" (id) "/lines/new" } novalidate {
                (csrf(&ctx.csrf))
                (layout::input("client_id", "Client number", &f.client_id, errors, Opt { required: true, width: Some("10"), hint: Some("The number on the client's page"), ..Default::default() }))
                (layout::select("client_group", "Client group", &groups, group, errors, true))
                (layout::code_checkboxes("days", "Days of the week", &Days::vocabulary(), &f.days, errors))
                (layout::radios("session_type", "Session", &types, &f.session_type, errors))
                (layout::input("rate", "Rate per session, in pounds", &f.rate, errors, Opt { required: true, width: Some("5"), ..Default::default() }))
                (layout::date_input("start_date", "From", &f.start_date, errors, true, None))
                (layout::date_input("end_date", "To", &f.end_date, errors, false, Some("Leave empty if it has no end yet")))
                (layout::radios("route", "Bought through", &routes, &f.route, errors))
                (layout::input("social_worker_name", "Social worker who agreed it", &f.social_worker_name, errors, Opt { required: true, ..Default::default() }))
                (layout::input("social_worker_team", "Their team", &f.social_worker_team, errors, Opt::default()))
                (layout::input("social_worker_email", "Their e-mail address", &f.social_worker_email, errors, Opt { kind: Some("email"), hint: Some("Absence alerts go here; without it, to the access point of the person's client group"), ..Default::default() }))
                (layout::input("social_worker_phone", "Their phone number", &f.social_worker_phone, errors, Opt { kind: Some("tel"), ..Default::default() }))
                (button("Add the service line"))
            }
        } }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Add a service line",
        body,
        errors,
    ))
}

async fn line_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    let f = line_input_of(&pairs);
    match state.app.add_day_line(&ctx.principal, id, &f).await {
        Ok(_) => Ok(see_other(&format!("/day-activities/{id}/lines?added=1"))),
        Err(AppError::Invalid(e)) => line_page(&state, &ctx, id, &f, &e).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct OpensForm {
    #[serde(default)]
    opens: String,
}

async fn bank_holidays(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<OpensForm>,
) -> Page {
    state
        .app
        .set_opens_on_bank_holidays(&ctx.principal, id, f.opens == "1")
        .await?;
    Ok(see_other(&format!("/day-activities/{id}/lines")))
}

// ---------------- alerts ----------------

#[derive(Deserialize, Default)]
struct AlertsQuery {
    acknowledged: Option<String>,
}

async fn alerts_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AlertsQuery>,
) -> Page {
    let alerts = state.app.day_alerts(&ctx.principal).await?;
    alerts_view(&ctx, &alerts, &q, None, &FieldErrors::new())
}

fn alerts_view(
    ctx: &Ctx,
    alerts: &[AlertView],
    q: &AlertsQuery,
    failed: Option<(i64, &str)>,
    errors: &FieldErrors,
) -> Page {
    let write = ctx.principal.has(Permission::BackOfficeWrite);
    let staff = ctx.principal.is_staff();
    let body = html! {
        (layout::back_link("/day-activities"))
        @if q.acknowledged.is_some() { (layout::banner("Alert acknowledged", html! { p class="govuk-body" { "What was done is recorded with the alert." } })) }
        (error_summary(errors))
        h1 class="govuk-heading-l" { "Absence alerts" }
        p class="govuk-body" {
            "The absence rules are checked when a provider confirms a week: a planned absence expected to be longer than four weeks, an unplanned absence over two weeks, a pattern of absence on the same weekday, and attendance below 70% over three months. Each alert is raised once and sent to the person's social worker, or else to the access point for their client group."
            @if !staff { " Where attendance is below 70%, send the person the letter with the alert: it tells them their package is being referred for review." }
        }
        @if alerts.is_empty() {
            p class="govuk-body" { "There are no alerts." }
        }
        @for a in alerts {
            div class="govuk-summary-card" {
                div class="govuk-summary-card__title-wrapper" {
                    h2 class="govuk-summary-card__title" { (a.person) ", " (a.service) }
                    (alert_tag(a.kind))
                }
                div class="govuk-summary-card__content" {
                    p class="govuk-body" { (a.alert.details) }
                    dl class="govuk-summary-list" {
                        div class="govuk-summary-list__row" {
                            dt class="govuk-summary-list__key" { "Raised" }
                            dd class="govuk-summary-list__value" { (layout::when(a.alert.raised_at)) }
                        }
                        @if staff {
                            div class="govuk-summary-list__row" {
                                dt class="govuk-summary-list__key" { "Told" }
                                dd class="govuk-summary-list__value" { @if a.alert.told.is_empty() { "Nobody: set the access point" } @else { (a.alert.told) } }
                            }
                        }
                        div class="govuk-summary-list__row" {
                            dt class="govuk-summary-list__key" { "Acknowledged" }
                            dd class="govuk-summary-list__value" {
                                @if let (Some(by), Some(at)) = (&a.alert.acknowledged_by_name, a.alert.acknowledged_at) {
                                    (by) ", " (layout::when(at))
                                    // What the team did is the team's record.
                                    @if staff { ": " (a.alert.outcome) }
                                }
                                @else { "Not yet" }
                            }
                        }
                    }
                    @if a.kind == AlertKind::LowAttendance {
                        p class="govuk-body" { a class="govuk-link" href={ "/day-activities/alerts/" (a.alert.id) "/letter.pdf" } { "The letter to " (a.person) " (PDF)" } }
                    }
                    @if write && a.alert.acknowledged_at.is_none() {
                        @let open = failed.is_some_and(|(id, _)| id == a.alert.id);
                        @let field = if open { "outcome".to_string() } else { format!("outcome-{}", a.alert.id) };
                        form method="post" action={ "/day-activities/alerts/" (a.alert.id) "/acknowledge" } novalidate {
                            (csrf(&ctx.csrf))
                            div class={ "govuk-form-group" @if open && errors.get("outcome").is_some() { " govuk-form-group--error" } } {
                                label class="govuk-label" for=(field) { "What was done" }
                                @if open { @if let Some(e) = errors.get("outcome") { p id={ (field) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } } }
                                textarea class="govuk-textarea" id=(field) name="outcome" rows="2" { (failed.filter(|(id, _)| *id == a.alert.id).map_or("", |(_, t)| t)) }
                            }
                            button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Acknowledge" span class="govuk-visually-hidden" { " the alert about " (a.person) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Absence alerts",
        body,
        errors,
    ))
}

#[derive(Deserialize, Default)]
struct OutcomeForm {
    #[serde(default)]
    outcome: String,
}

async fn acknowledge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<OutcomeForm>,
) -> Page {
    match state
        .app
        .acknowledge_day_alert(&ctx.principal, id, &f.outcome)
        .await
    {
        Ok(()) => Ok(see_other("/day-activities/alerts?acknowledged=1")),
        Err(AppError::Invalid(e)) => {
            let alerts = state.app.day_alerts(&ctx.principal).await?;
            alerts_view(
                &ctx,
                &alerts,
                &AlertsQuery::default(),
                Some((id, f.outcome.as_str())),
                &e,
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn letter(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let (name, bytes) = state.app.attendance_letter_pdf(&ctx.principal, id).await?;
    Ok(layout::download("application/pdf", &name, bytes))
}

// ---------------- access points ----------------

#[derive(Deserialize, Default, Clone)]
struct PointForm {
    #[serde(default)]
    client_group: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    emails: String,
}

async fn access_points(State(state): State<AppState>, ctx: Ctx) -> Page {
    access_points_view(&state, &ctx, &PointForm::default(), &FieldErrors::new()).await
}

async fn access_points_view(
    state: &AppState,
    ctx: &Ctx,
    f: &PointForm,
    errors: &FieldErrors,
) -> Page {
    let set = state.app.access_points(&ctx.principal).await?;
    let write = ctx.principal.has(Permission::BackOfficeWrite);
    let mut groups: Vec<(String, String)> = vec![
        (
            SAFEGUARDING.to_string(),
            "Safeguarding Adults Team (immediate concerns)".to_string(),
        ),
        (
            SUPPORT_OPTIONS.to_string(),
            "Support options team (missing service lines)".to_string(),
        ),
    ];
    groups.extend(
        ClientGroup::ALL
            .iter()
            .map(|g| (g.as_str().to_string(), g.label().to_string())),
    );
    let label = |code: &str| {
        groups
            .iter()
            .find(|(c, _)| c == code)
            .map_or(code.to_string(), |(_, l)| l.clone())
    };
    let body = html! {
        (layout::back_link("/day-activities"))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Access points" }
            p class="govuk-body" { "An absence alert goes to the person's allocated social worker. When they have none, it goes to the access point for their client group, to every address given. An immediate concern the provider sends to the Safeguarding Adults Team goes to its access point, and a missing service line the provider reports goes to the support options team." }
            table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Client group" }
                    th scope="col" class="govuk-table__header" { "Access point" }
                    th scope="col" class="govuk-table__header" { "E-mail addresses" }
                } }
                tbody class="govuk-table__body" {
                    @for p in &set {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (label(&p.client_group)) }
                            td class="govuk-table__cell" { (p.name) }
                            td class="govuk-table__cell" { (p.emails) }
                        }
                    }
                    @for (g, name, emails) in DEFAULT_ACCESS_POINTS.iter().filter(|(g, _, _)| !set.iter().any(|p| p.client_group == g.as_str())) {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (g.label()) }
                            td class="govuk-table__cell" { (name) " (the default)" }
                            td class="govuk-table__cell" { (emails) }
                        }
                    }
                    @if !set.iter().any(|p| p.client_group == SUPPORT_OPTIONS) {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (label(SUPPORT_OPTIONS)) }
                            td class="govuk-table__cell" { (DEFAULT_SUPPORT_OPTIONS.0) " (the default)" }
                            td class="govuk-table__cell" { (DEFAULT_SUPPORT_OPTIONS.1) }
                        }
                    }
                }
            }
            @if write {
                h2 class="govuk-heading-m" { "Set an access point" }
                form method="post" action="/day-activities/access-points" novalidate {
                    (csrf(&ctx.csrf))
                    (layout::select("client_group", "Client group", &groups, &f.client_group, errors, true))
                    (layout::input("name", "Team", &f.name, errors, Opt { required: true, ..Default::default() }))
                    (layout::input("emails", "E-mail addresses", &f.emails, errors, Opt { required: true, hint: Some("Separate several with commas: each is told"), ..Default::default() }))
                    (button("Save the access point"))
                }
            }
        } }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Access points",
        body,
        errors,
    ))
}

async fn access_point_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PointForm>,
) -> Page {
    match state
        .app
        .set_access_point(&ctx.principal, &f.client_group, &f.name, &f.emails)
        .await
    {
        Ok(_) => Ok(see_other("/day-activities/access-points")),
        Err(AppError::Invalid(e)) => access_points_view(&state, &ctx, &f, &e).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------- settings ----------------

#[derive(Deserialize, Default)]
struct SettingsQuery {
    saved: Option<String>,
}

async fn settings_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SettingsQuery>,
) -> Page {
    ctx.principal.require(Permission::Administer)?;
    let now = state.app.day_settings(ctx.principal.authority_id()).await?;
    settings_page(
        &ctx,
        &DaySettingsInput::of(&now),
        &FieldErrors::new(),
        q.saved.as_deref().and_then(|n| n.parse::<i64>().ok()),
    )
}

fn settings_page(
    ctx: &Ctx,
    f: &DaySettingsInput,
    errors: &FieldErrors,
    saved: Option<i64>,
) -> Page {
    let days: Vec<(String, String)> = Days::vocabulary()
        .iter()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect();
    let pays: Vec<(&str, &str, Option<&str>)> = AbsencePay::ALL
        .iter()
        .map(|p| (p.as_str(), p.label(), None))
        .collect();
    let body = html! {
        (layout::back_link("/day-activities"))
        @if let Some(n) = saved { (layout::banner("Settings saved", html! { p class="govuk-body" { @if n == 0 { "Nothing was changed." } @else { (layout::plural(n, "setting was", "settings were")) " changed." } } })) }
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Day activities settings" }
            p class="govuk-body" { "Each change is recorded in the audit trail. A week already started keeps the deadline it had." }
            form method="post" action="/day-activities/settings" novalidate {
                (csrf(&ctx.csrf))
                h2 class="govuk-heading-m" { "When a week must be confirmed" }
                (layout::select("deadline_day", "Day of the week after", &days, &f.deadline_day, errors, true))
                (layout::input("deadline_time", "Time (UK time)", &f.deadline_time, errors, Opt { required: true, width: Some("5"), hint: Some("On the 24-hour clock, like 17:00 for close of business"), ..Default::default() }))
                (layout::radios("absence_pay", "Which absences are paid on actual sessions?", &pays, &f.absence_pay, errors))
                h2 class="govuk-heading-m" { "A pattern of absence" }
                p class="govuk-body" { "An unplanned absence on the same weekday in this many of the last weeks is sent to the person's social worker, to check whether the planned sessions are needed." }
                (layout::input("pattern_n", "Weeks absent on the same weekday", &f.pattern_n, errors, Opt { required: true, width: Some("2"), ..Default::default() }))
                (layout::input("pattern_m", "Of the last this many weeks", &f.pattern_m, errors, Opt { required: true, width: Some("2"), ..Default::default() }))
                (button("Save the settings"))
            }
        } }
    };
    Ok(layout::render_form(
        Some(ctx),
        "Day activities settings",
        body,
        errors,
    ))
}

async fn settings_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<DaySettingsInput>,
) -> Page {
    match state.app.save_day_settings(&ctx.principal, &f).await {
        Ok(n) => Ok(see_other(&format!("/day-activities/settings?saved={n}"))),
        Err(AppError::Invalid(e)) => settings_page(&ctx, &f, &e, None),
        Err(e) => Err(e.into()),
    }
}
