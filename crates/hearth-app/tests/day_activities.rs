//! Day activities (issue 13): the provider records and confirms a week of actuals, the payment
//! run pays confirmed attended sessions only (a week confirmed late in the next run, a bank
//! holiday at a closed service never), and the absence rules raise each alert once, to the
//! social worker or the access point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use hearth_app::day_activities::{LineInput, SessionInput, WeekView};
use hearth_app::day_requests::{DecisionInput, RequestInput};
use hearth_app::{App, AppError, Principal};
use hearth_domain::clock::{Clock, FixedClock};
use hearth_domain::day_activities::AlertKind;
use hearth_store::testing;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn exec(app: &App, sql: &str) {
    testing::exec(app.db_for_tests(), sql).await.unwrap();
}

async fn principal(app: &App, name: &str) -> Principal {
    let u = app
        .db_for_tests()
        .user_by_username(name)
        .await
        .unwrap()
        .unwrap();
    app.principal_for(u, None).await.unwrap().unwrap()
}

fn provider_of(p: &Principal) -> i64 {
    match p {
        Principal::Provider { provider_id, .. } => *provider_id,
        _ => panic!("not a provider"),
    }
}

/// A day service of the provider, closed on bank holidays, with a contract paid on actuals.
async fn day_service(app: &App, provider: &Principal) -> i64 {
    day_service_named(app, provider, "TEST", "Millside Day Centre").await
}

/// The same, with its own reference and name.
async fn day_service_named(app: &App, provider: &Principal, code: &str, name: &str) -> i64 {
    let pid = provider_of(provider);
    let aid = provider.authority_id();
    exec(app, &format!(
        "INSERT INTO services (authority_id, provider_id, reference, name, service_type, term, client_group, contracted_units, created_at, updated_at)
         VALUES ({aid}, {pid}, 'DAY/{code}', '{name}', 'day_activities', 'long', 'learning_disabilities', 60, 0, 0)"
    )).await;
    let sid = testing::scalar_i64(
        app.db_for_tests(),
        &format!("SELECT id FROM services WHERE reference = 'DAY/{code}'"),
    )
    .await
    .unwrap();
    exec(app, &format!(
        "INSERT INTO contracts (authority_id, provider_id, reference, title, units, unit_rate_pence, start_date, end_date, status, created_at, updated_at, payment_basis)
         VALUES ({aid}, {pid}, 'DAY/C/{code}', 'Day activities provider list', 60, 4000, '2026-04-01', '2029-03-31', 'steady_state', 0, 0, 'actuals')"
    )).await;
    exec(app, &format!(
        "INSERT INTO contract_services (contract_id, service_id) SELECT id, {sid} FROM contracts WHERE reference = 'DAY/C/{code}'"
    )).await;
    sid
}

/// A client of the authority with no schedule, for a service line.
async fn new_client(app: &App, aid: i64, last: &str) -> i64 {
    exec(app, &format!(
        "INSERT INTO clients (authority_id, title, first_name, last_name, address, postcode, created_at, updated_at)
         VALUES ({aid}, 'Mx', 'Sam', '{last}', '1 Mill Lane, Bradford', 'BD1 1AA', 0, 0)"
    )).await;
    testing::scalar_i64(
        app.db_for_tests(),
        &format!("SELECT MAX(id) FROM clients WHERE last_name = '{last}'"),
    )
    .await
    .unwrap()
}

fn line_input(client: i64, days: &str, start: &str, worker_email: &str, group: &str) -> LineInput {
    LineInput {
        client_id: client.to_string(),
        client_group: group.into(),
        days: days.into(),
        session_type: "full_day".into(),
        rate: "40.00".into(),
        start_date: start.into(),
        end_date: String::new(),
        route: "framework".into(),
        social_worker_name: "Ann Social".into(),
        social_worker_team: "Learning disabilities team".into(),
        social_worker_email: worker_email.into(),
        social_worker_phone: String::new(),
    }
}

/// The app with its clock at a UTC instant.
fn at(app: &App, clock: &Arc<FixedClock>, utc: &str) -> App {
    clock.set(FixedClock::at_utc(utc).unwrap().now());
    app.clone().with_clock(clock.clone())
}

fn attended(line: i64, date: NaiveDate) -> SessionInput {
    SessionInput {
        line_id: line,
        date: date.to_string(),
        outcome: "attended".into(),
        ..SessionInput::default()
    }
}

fn ill(line: i64, date: NaiveDate, contact: &str) -> SessionInput {
    SessionInput {
        line_id: line,
        date: date.to_string(),
        outcome: "absent".into(),
        reason: "illness".into(),
        family_contact: contact.into(),
        ..SessionInput::default()
    }
}

/// Prepares, approves and pays a run of the period starting `d`; its lines of actual
/// sessions.
async fn pay(app: &App, d: NaiveDate) -> Vec<hearth_store::PayLine> {
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    let run = app.prepare_payment_run(&finance, d).await.unwrap();
    let c = app
        .claim_run_id(run.job_run_id.unwrap(), "test", 60)
        .await
        .unwrap()
        .unwrap();
    let r = app.run_payment_prepare(&c.run, &c.progress).await.unwrap();
    c.progress.finish(&r).await.unwrap();
    let lines: Vec<_> = app
        .db_for_tests()
        .run_lines(run.id, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.day_line_id.is_some())
        .collect();
    let preview = app.payment_run(&finance, run.id).await.unwrap();
    if preview.run.payable_pence != 0 {
        app.approve_payment_run(&second, run.id).await.unwrap();
        app.commit_payment_run(&second, run.id).await.unwrap();
    }
    lines
}

fn session_count(v: &WeekView) -> usize {
    v.people.iter().map(|p| p.sessions.len()).sum()
}

/// On SQLite, and on PostgreSQL where `TEST_DATABASE_URL` names one.
#[tokio::test]
async fn a_week_is_recorded_and_confirmed_by_its_provider_and_only_attended_sessions_are_paid() {
    for t in testing::all().await.unwrap() {
        a_week_is_recorded_and_confirmed_by_its_provider_and_only_attended_sessions_are_paid_on(t)
            .await;
    }
}

async fn a_week_is_recorded_and_confirmed_by_its_provider_and_only_attended_sessions_are_paid_on(
    t: testing::TestDb,
) {
    let w = common::world(t).await;
    let clock = Arc::new(FixedClock::at(0));
    let app = at(&w.app, &clock, "2026-11-10T10:00:00Z");
    let provider = &w.provider;
    let sid = day_service(&app, provider).await;
    let client = new_client(&app, provider.authority_id(), "Moss").await;
    // Only the team records a service line; the provider cannot.
    let input = line_input(
        client,
        "mon,wed",
        "5/10/2026",
        "ann.social@example.gov.uk",
        "",
    );
    assert!(app.add_day_line(provider, sid, &input).await.is_err());
    let bad = LineInput {
        days: String::new(),
        rate: "nothing".into(),
        social_worker_name: String::new(),
        ..input.clone()
    };
    match app.add_day_line(&w.officer, sid, &bad).await {
        Err(AppError::Invalid(e)) => {
            for f in ["days", "rate", "social_worker_name"] {
                assert!(e.get(f).is_some(), "{f}: {e:?}");
            }
        }
        other => panic!("{other:?}"),
    }
    let line = app.add_day_line(&w.officer, sid, &input).await.unwrap();
    assert_eq!(
        line.client_group, "learning_disabilities",
        "the service's group"
    );
    assert_eq!(line.rate_pence, 4000);

    // Last week (2 November): Monday and Wednesday planned, nothing recorded.
    let week = ymd(2026, 11, 2);
    assert_eq!(app.last_week(), week);
    let v = app.day_week(provider, sid, week).await.unwrap();
    assert_eq!(session_count(&v), 2);
    assert_eq!(v.facts.unrecorded, 2);
    assert!(v.can_record);
    match app.confirm_day_week(provider, sid, week).await {
        Err(AppError::Invalid(e)) => {
            assert!(e.get("sessions").unwrap().ends_with("2 are not recorded"))
        }
        other => panic!("{other:?}"),
    }
    // The team does not record a provider's actuals; the board reads them.
    assert!(app
        .record_day_week(&w.officer, sid, week, &[attended(line.id, week)])
        .await
        .is_err());
    assert!(app.day_week(&w.board, sid, week).await.is_ok());
    // A session sent twice is refused, not a failure.
    assert!(matches!(
        app.record_day_week(
            provider,
            sid,
            week,
            &[attended(line.id, week), attended(line.id, week)]
        )
        .await,
        Err(AppError::Invalid(_))
    ));
    // A session that is not planned is refused, and nothing is written.
    let wrong = attended(line.id, week + Duration::days(1));
    assert!(matches!(
        app.record_day_week(provider, sid, week, &[attended(line.id, week), wrong])
            .await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(
        app.day_week(provider, sid, week)
            .await
            .unwrap()
            .facts
            .unrecorded,
        2
    );
    // An absence needs its reason, beside its field.
    let no_reason = SessionInput {
        reason: String::new(),
        ..ill(line.id, week + Duration::days(2), "")
    };
    match app.record_day_week(provider, sid, week, &[no_reason]).await {
        Err(AppError::Invalid(e)) => assert!(e
            .get(&SessionInput::field(
                line.id,
                week + Duration::days(2),
                "reason"
            ))
            .is_some()),
        other => panic!("{other:?}"),
    }
    // Monday attended, Wednesday ill: the family must be contacted on the first day.
    app.record_day_week(
        provider,
        sid,
        week,
        &[
            attended(line.id, week),
            ill(line.id, week + Duration::days(2), ""),
        ],
    )
    .await
    .unwrap();
    let v = app.day_week(provider, sid, week).await.unwrap();
    assert_eq!((v.facts.unrecorded, v.facts.family_not_contacted), (0, 1));
    match app.confirm_day_week(provider, sid, week).await {
        Err(AppError::Invalid(e)) => {
            assert!(e.get("sessions").unwrap().contains("contacted the family"))
        }
        other => panic!("{other:?}"),
    }
    app.record_day_week(
        provider,
        sid,
        week,
        &[ill(
            line.id,
            week + Duration::days(2),
            "Spoke to his mother at 10:15: at home with a cold, safe",
        )],
    )
    .await
    .unwrap();
    let done = app.confirm_day_week(provider, sid, week).await.unwrap();
    assert!(!done.late, "confirmed on Tuesday before 17:00");
    // Confirmed: fixed. Changing it or confirming it again is refused.
    assert!(matches!(
        app.confirm_day_week(provider, sid, week).await,
        Err(AppError::Conflict(..))
    ));
    assert!(matches!(
        app.record_day_week(provider, sid, week, &[attended(line.id, week)])
            .await,
        Err(AppError::Conflict(..))
    ));
    let v = app.day_week(&w.officer, sid, week).await.unwrap();
    assert_eq!(v.status.as_str(), "confirmed");
    assert!(!v.can_record);

    // P08's run (19 October to 15 November) pays the attended Monday only: £40.
    let later = at(&w.app, &clock, "2026-11-18T10:00:00Z");
    let lines = pay(&later, ymd(2026, 10, 19)).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((lines[0].days, lines[0].amount_pence), (1, 4000));
    assert_eq!(lines[0].kind, "subsidy");
    assert!(
        lines[0]
            .reason
            .starts_with("Week of 2 Nov 2026: 1 session at £40.00"),
        "{}",
        lines[0].reason
    );
    // The provider's report of the paid period lists the person and the session paid.
    let report = later
        .payment_report(
            provider,
            lines[0].run_id,
            provider_of(provider),
            hearth_domain::payments::PaymentReport::ClientSubsidy,
            Some(sid),
        )
        .await
        .unwrap();
    let rows: Vec<String> = report
        .sections
        .iter()
        .flat_map(|x| x.rows.iter().map(|r| r.join(" | ")))
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.contains("Sam Moss") && r.contains("£40.00")),
        "{rows:?}"
    );

    // The week of 9 November was not confirmed by its deadline: not paid by P08's run. It is
    // confirmed on 20 November, late, and P09's run pays it for P08.
    let week2 = ymd(2026, 11, 9);
    let late = at(&w.app, &clock, "2026-11-20T10:00:00Z");
    late.record_day_week(
        provider,
        sid,
        week2,
        &[
            attended(line.id, week2),
            attended(line.id, week2 + Duration::days(2)),
        ],
    )
    .await
    .unwrap();
    assert!(
        late.confirm_day_week(provider, sid, week2)
            .await
            .unwrap()
            .late
    );
    let p09 = at(&w.app, &clock, "2026-12-16T10:00:00Z");
    let lines = pay(&p09, ymd(2026, 11, 16)).await;
    let for_p08: Vec<_> = lines
        .iter()
        .filter(|l| l.period_start == "2026-10-19")
        .collect();
    assert_eq!(for_p08.len(), 1, "{lines:?}");
    assert_eq!(
        (for_p08[0].kind.as_str(), for_p08[0].amount_pence),
        ("adjustment", 8000)
    );
    assert!(for_p08[0].reason.contains("not paid in its period"));
    // The week of 2 November is not paid again.
    assert!(lines.iter().all(|l| l.first_date != "2026-11-02"));
}

#[tokio::test]
async fn a_bank_holiday_at_a_service_closed_on_them_is_not_recorded_or_paid() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let clock = Arc::new(FixedClock::at(0));
    let app = at(&w.app, &clock, "2027-01-05T10:00:00Z");
    let provider = &w.provider;
    let sid = day_service(&app, provider).await;
    let client = new_client(&app, provider.authority_id(), "Holt").await;
    let line = app
        .add_day_line(
            &w.officer,
            sid,
            &line_input(client, "mon,wed", "7/12/2026", "", ""),
        )
        .await
        .unwrap();
    // Monday 28 December 2026 is the Boxing Day holiday in England and Wales.
    let week = ymd(2026, 12, 28);
    let v = app.day_week(provider, sid, week).await.unwrap();
    let s = &v.people[0].sessions;
    assert_eq!(s.len(), 2);
    assert!(s[0].bank_holiday && !s[1].bank_holiday);
    assert_eq!(v.facts.unrecorded, 1, "the bank holiday needs nothing");
    app.record_day_week(
        provider,
        sid,
        week,
        &[attended(line.id, week + Duration::days(2))],
    )
    .await
    .unwrap();
    app.confirm_day_week(provider, sid, week).await.unwrap();
    let recorded = app.day_week(provider, sid, week).await.unwrap();
    assert_eq!(
        recorded.people[0].sessions[0]
            .recorded
            .as_ref()
            .unwrap()
            .outcome,
        "bank_holiday"
    );
    // P10 (14 December to 10 January) pays the Wednesday only.
    let lines = pay(&app, ymd(2026, 12, 14)).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((lines[0].days, lines[0].amount_pence), (1, 4000));

    // A service that opens on bank holidays records them as usual.
    app.set_opens_on_bank_holidays(&w.officer, sid, true)
        .await
        .unwrap();
    let v = app
        .day_week(provider, sid, ymd(2027, 1, 4) - Duration::days(7))
        .await
        .unwrap();
    assert!(v.people[0].sessions.iter().all(|s| !s.bank_holiday));
    assert!(app
        .set_opens_on_bank_holidays(provider, sid, false)
        .await
        .is_err());
}

#[tokio::test]
async fn a_provider_sees_only_its_own_day_services_and_people() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let sid = day_service(app, &w.provider).await;
    let week = app.last_week();
    assert!(app.day_week(&w.provider, sid, week).await.is_ok());
    // A limited user whose services do not include it, and the host's or another
    // authority's view, do not find it.
    if let Principal::Provider {
        service_scope: Some(scope),
        ..
    } = &w.limited
    {
        assert!(!scope.contains(&sid));
        assert!(matches!(
            app.day_week(&w.limited, sid, week).await,
            Err(AppError::NotFound)
        ));
    } else {
        panic!("the demo's limited user has a scope");
    }
    // A service that is not a day service is not one here either.
    let other = testing::scalar_i64(
        app.db_for_tests(),
        &format!(
            "SELECT MIN(id) FROM services WHERE provider_id = {} AND service_type <> 'day_activities'",
            provider_of(&w.provider)
        ),
    )
    .await
    .unwrap();
    assert!(matches!(
        app.day_week(&w.provider, other, week).await,
        Err(AppError::NotFound)
    ));
    assert!(app
        .day_services(&w.provider)
        .await
        .unwrap()
        .iter()
        .any(|s| s.id == sid));
    assert!(app
        .day_services(&w.limited)
        .await
        .unwrap()
        .iter()
        .all(|s| s.id != sid));
}

/// On SQLite, and on PostgreSQL where `TEST_DATABASE_URL` names one.
#[tokio::test]
async fn the_absence_rules_raise_each_alert_once_to_the_social_worker_or_the_access_point() {
    for t in testing::all().await.unwrap() {
        the_absence_rules_raise_each_alert_once_to_the_social_worker_or_the_access_point_on(t)
            .await;
    }
}

async fn the_absence_rules_raise_each_alert_once_to_the_social_worker_or_the_access_point_on(
    t: testing::TestDb,
) {
    let w = common::world(t).await;
    let clock = Arc::new(FixedClock::at(0));
    let base = &w.app;
    let provider = &w.provider;
    let sid = day_service(base, provider).await;
    let aid = provider.authority_id();
    // Four people, from 24 August 2026, on Mondays, Wednesdays and Fridays.
    let officer = &w.officer;
    let add = |last: &'static str, email: &'static str, group: &'static str| async move {
        let c = new_client(base, aid, last).await;
        base.add_day_line(
            officer,
            sid,
            &line_input(c, "mon,wed,fri", "24/8/2026", email, group),
        )
        .await
        .unwrap()
    };
    // Absent on Mondays (a pattern) and then for three weeks (over two weeks): no social
    // worker, mental health, so the access point's two named people.
    let absent = add("Absent", "", "mental_health").await;
    // On holiday, planned, expected to be away five weeks, back after three: with a social
    // worker.
    let away = add("Away", "worker@example.gov.uk", "").await;
    // Missing one session a week, on a different day each week: below 70% over three
    // months, and no pattern.
    let low = add("Low", "low.worker@example.gov.uk", "").await;
    // Always there: no alert.
    let fine = add("Fine", "", "").await;
    let mut weeks = Vec::new();
    let mut d = ymd(2026, 8, 24);
    while d <= ymd(2026, 11, 23) {
        weeks.push(d);
        d += Duration::weeks(1);
    }
    let mut raised = Vec::new();
    for (i, week) in weeks.iter().enumerate() {
        let app = at(
            base,
            &clock,
            &format!("{}T10:00:00Z", *week + Duration::days(8)),
        );
        let mon = *week;
        let wed = *week + Duration::days(2);
        let fri = *week + Duration::days(4);
        let days = [mon, wed, fri];
        let n = weeks.len();
        let mut s = Vec::new();
        // Absent: on Mondays of weeks 5 to 7 (a pattern), then from the Monday two weeks
        // before the last to the last Monday (15 days, over two weeks), back that Wednesday.
        for d in days {
            let away = if i >= n - 3 {
                i < n - 1 || d == mon
            } else {
                (5..8).contains(&i) && d == mon
            };
            s.push(if away {
                ill(absent.id, d, "")
            } else {
                attended(absent.id, d)
            });
        }
        // Away: on holiday in weeks 3 to 5, expected back after five weeks when it began.
        for d in days {
            if (3..6).contains(&i) {
                s.push(SessionInput {
                    line_id: away.id,
                    date: d.to_string(),
                    outcome: "absent".into(),
                    reason: "holiday".into(),
                    expected_back: if i == 3 && d == mon {
                        (weeks[3] + Duration::days(35)).to_string()
                    } else {
                        String::new()
                    },
                    ..SessionInput::default()
                });
            } else {
                s.push(attended(away.id, d));
            }
        }
        // Low: absent on Monday, Wednesday, Friday, Monday... one a week.
        for (k, d) in days.into_iter().enumerate() {
            if i % 3 == k {
                s.push(ill(low.id, d, "Spoke to her daughter, all well"));
            } else {
                s.push(attended(low.id, d));
            }
        }
        for d in days {
            s.push(attended(fine.id, d));
        }
        // The first day of each unplanned absence needs the family contact: record the runs'
        // first days with one.
        app.record_day_week(provider, sid, *week, &s).await.unwrap();
        let v = app.day_week(provider, sid, *week).await.unwrap();
        if v.facts.family_not_contacted > 0 {
            // The run of absence began this week: the family was contacted.
            let mut fix = Vec::new();
            for p in &v.people {
                for x in &p.sessions {
                    if x.first_unplanned {
                        fix.push(ill(p.line.id, x.date, "Called the family: safe at home"));
                    }
                }
            }
            app.record_day_week(provider, sid, *week, &fix)
                .await
                .unwrap();
        }
        let c = app.confirm_day_week(provider, sid, *week).await.unwrap();
        raised.push(c.alerts);
    }
    let alerts = base.day_alerts(&w.officer).await.unwrap();
    let kinds = |line: i64| -> Vec<AlertKind> {
        let mut k: Vec<AlertKind> = alerts
            .iter()
            .filter(|a| a.alert.line_id == line)
            .map(|a| a.kind)
            .collect();
        k.sort_by_key(|k| k.as_str());
        k
    };
    assert_eq!(kinds(fine.id), vec![], "{alerts:?}");
    assert_eq!(kinds(away.id), vec![AlertKind::PlannedLong], "{alerts:?}");
    assert_eq!(kinds(low.id), vec![AlertKind::LowAttendance], "{alerts:?}");
    assert_eq!(
        kinds(absent.id),
        vec![AlertKind::Pattern, AlertKind::UnplannedLong],
        "{alerts:?}"
    );
    // Each to the right people: the social worker, else the access point.
    let told = |line: i64, kind: AlertKind| {
        alerts
            .iter()
            .find(|a| a.alert.line_id == line && a.kind == kind)
            .unwrap()
            .alert
            .told
            .clone()
    };
    assert_eq!(
        told(away.id, AlertKind::PlannedLong),
        "worker@example.gov.uk"
    );
    assert_eq!(
        told(absent.id, AlertKind::UnplannedLong),
        "mh.duty.one@example.gov.uk, mh.duty.two@example.gov.uk"
    );
    let mails = testing::scalar_i64(
        base.db_for_tests(),
        "SELECT COUNT(*) FROM outbox WHERE subject LIKE 'Day activities:%'",
    )
    .await
    .unwrap();
    assert_eq!(
        mails, 6,
        "one e-mail per alert and recipient (the duty team is two)"
    );
    // The planned absence was told the week it was recorded, at once.
    let planned = alerts
        .iter()
        .find(|a| a.kind == AlertKind::PlannedLong)
        .unwrap();
    assert!(
        planned.alert.details.contains("expected back"),
        "{}",
        planned.alert.details
    );
    // The letter to the person whose attendance is low; the other alerts have none.
    let low_alert = alerts
        .iter()
        .find(|a| a.kind == AlertKind::LowAttendance)
        .unwrap();
    let (name, pdf) = base
        .attendance_letter_pdf(provider, low_alert.alert.id)
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-") && name.starts_with("review-letter-"));
    assert!(matches!(
        base.attendance_letter_pdf(provider, planned.alert.id).await,
        Err(AppError::NotFound)
    ));
    // The team acknowledges one with what it did; the board may not; twice is refused.
    assert!(base
        .acknowledge_day_alert(&w.board, planned.alert.id, "Noted")
        .await
        .is_err());
    assert!(matches!(
        base.acknowledge_day_alert(&w.officer, planned.alert.id, " ")
            .await,
        Err(AppError::Invalid(_))
    ));
    base.acknowledge_day_alert(
        &w.officer,
        planned.alert.id,
        "Social worker told, package paused",
    )
    .await
    .unwrap();
    assert!(base
        .acknowledge_day_alert(&w.officer, planned.alert.id, "Again")
        .await
        .is_err());
    // Evaluated again (the next week, nothing new), nothing is raised twice.
    assert_eq!(raised.iter().sum::<usize>(), 4, "{raised:?}");
}

#[tokio::test]
async fn providers_are_reminded_on_monday_and_at_tuesday_noon_once_and_the_rules_run_nightly() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let clock = Arc::new(FixedClock::at(0));
    let provider = &w.provider;
    let app = at(&w.app, &clock, "2026-10-01T10:00:00Z");
    let sid = day_service(&app, provider).await;
    let client = new_client(&app, provider.authority_id(), "Reed").await;
    let line = app
        .add_day_line(
            &w.officer,
            sid,
            &line_input(client, "mon,wed", "5/10/2026", "", ""),
        )
        .await
        .unwrap();
    exec(
        &app,
        &format!(
            "UPDATE providers SET email = 'office@larkspur.example.org' WHERE id = {}",
            provider_of(provider)
        ),
    )
    .await;
    let reminders = || async {
        testing::scalar_i64(
            w.app.db_for_tests(),
            "SELECT COUNT(*) FROM outbox WHERE subject LIKE 'Day activities: confirm the week beginning 2 Nov 2026%' AND to_address = 'office@larkspur.example.org'",
        )
        .await
        .unwrap()
    };
    let check = |utc: &'static str| {
        let app = at(&w.app, &clock, utc);
        async move { app.run_day_activities_checks(None).await.unwrap() }
    };
    // Sunday night: the week of 2 November has only just ended. The night's evaluation runs.
    let c = check("2026-11-08T23:00:00Z").await;
    assert_eq!((c.reminders, c.evaluated), (0, 1));
    // Monday morning: the first reminder, once.
    assert_eq!(check("2026-11-09T10:00:00Z").await.reminders, 1);
    let again = check("2026-11-09T10:30:00Z").await;
    assert_eq!(
        (again.reminders, again.evaluated),
        (0, 0),
        "once a day, once each"
    );
    // Tuesday before noon nothing; at noon the second.
    assert_eq!(check("2026-11-10T11:30:00Z").await.reminders, 0);
    assert_eq!(check("2026-11-10T12:30:00Z").await.reminders, 1);
    // After the deadline no more.
    assert_eq!(check("2026-11-10T17:30:00Z").await.reminders, 0);
    assert_eq!(reminders().await, 2);

    // The week of 9 November is confirmed on Monday morning: no reminder for it.
    let early = at(&w.app, &clock, "2026-11-16T08:00:00Z");
    let week = ymd(2026, 11, 9);
    early
        .record_day_week(
            provider,
            sid,
            week,
            &[
                attended(line.id, week),
                attended(line.id, week + Duration::days(2)),
            ],
        )
        .await
        .unwrap();
    early.confirm_day_week(provider, sid, week).await.unwrap();
    assert_eq!(check("2026-11-16T10:00:00Z").await.reminders, 0);

    // A planned absence recorded, and not confirmed yet, expected to last five weeks: the
    // night's evaluation tells the access point, once.
    let recorder = at(&w.app, &clock, "2026-11-23T15:00:00Z");
    let week = ymd(2026, 11, 16);
    recorder
        .record_day_week(
            provider,
            sid,
            week,
            &[SessionInput {
                line_id: line.id,
                date: week.to_string(),
                outcome: "absent".into(),
                reason: "hospital".into(),
                expected_back: "21/12/2026".into(),
                ..SessionInput::default()
            }],
        )
        .await
        .unwrap();
    let night = check("2026-11-24T03:00:00Z").await;
    assert_eq!((night.alerts, night.evaluated), (1, 1));
    assert_eq!(check("2026-11-25T03:00:00Z").await.alerts, 0);
    let alerts = w.app.day_alerts(&w.officer).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, AlertKind::PlannedLong);
}

#[tokio::test]
async fn an_administrator_sets_the_deadline_absence_pay_and_pattern_checked_and_audited() {
    use hearth_app::day_activities::DaySettingsInput;
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let admin = principal(app, "admin").await;
    let usual = DaySettingsInput::of(&app.day_settings(admin.authority_id()).await.unwrap());
    assert_eq!(
        (
            usual.deadline_day.as_str(),
            usual.deadline_time.as_str(),
            usual.absence_pay.as_str()
        ),
        ("tue", "17:00", "none")
    );
    assert!(app.save_day_settings(&w.officer, &usual).await.is_err());
    assert!(app.save_day_settings(&w.provider, &usual).await.is_err());
    let bad = DaySettingsInput {
        deadline_day: "someday".into(),
        deadline_time: "25:00".into(),
        absence_pay: "all of them".into(),
        pattern_n: "5".into(),
        pattern_m: "4".into(),
    };
    match app.save_day_settings(&admin, &bad).await {
        Err(AppError::Invalid(e)) => {
            for f in ["deadline_day", "absence_pay", "pattern_n"] {
                assert!(e.get(f).is_some(), "{f}: {e:?}");
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(app.save_day_settings(&admin, &usual).await.unwrap(), 0);
    let late_time = DaySettingsInput {
        deadline_time: "25:00".into(),
        ..usual.clone()
    };
    match app.save_day_settings(&admin, &late_time).await {
        Err(AppError::Invalid(e)) => assert!(e.get("deadline_time").is_some()),
        other => panic!("{other:?}"),
    }
    let wednesday = DaySettingsInput {
        deadline_day: "wed".into(),
        deadline_time: "12:00".into(),
        absence_pay: "short_notice".into(),
        pattern_n: "2".into(),
        pattern_m: "3".into(),
    };
    assert_eq!(app.save_day_settings(&admin, &wednesday).await.unwrap(), 3);
    let now = app.day_settings(admin.authority_id()).await.unwrap();
    assert_eq!(now.deadline.code(), "wed 12:00");
    assert_eq!((now.pattern_n, now.pattern_m), (2, 3));
    assert_eq!(now.absence_pay.as_str(), "short_notice");
    let audited = testing::scalar_i64(
        app.db_for_tests(),
        "SELECT COUNT(*) FROM audit_log WHERE record_type = 'setting' AND record_id LIKE 'day_%' AND actor = 'admin'",
    )
    .await
    .unwrap();
    assert_eq!(audited, 3);
    // A new week's deadline is the new one: Wednesday noon of the week after.
    let sid = day_service(app, &w.provider).await;
    let v = app
        .day_week(&w.officer, sid, ymd(2026, 6, 1))
        .await
        .unwrap();
    assert_eq!(
        v.deadline_at,
        chrono::DateTime::parse_from_rfc3339("2026-06-10T11:00:00Z")
            .unwrap()
            .timestamp()
    );
}

#[tokio::test]
async fn sessions_after_the_contract_ended_are_not_paid_but_shown_as_an_exception() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let clock = Arc::new(FixedClock::at(0));
    let app = at(&w.app, &clock, "2026-11-10T10:00:00Z");
    let provider = &w.provider;
    let sid = day_service(&app, provider).await;
    exec(
        &app,
        "UPDATE contracts SET end_date = '2026-11-03' WHERE reference = 'DAY/C/TEST'",
    )
    .await;
    let client = new_client(&app, provider.authority_id(), "Thorn").await;
    let line = app
        .add_day_line(
            &w.officer,
            sid,
            &line_input(client, "mon,wed", "5/10/2026", "", ""),
        )
        .await
        .unwrap();
    let week = ymd(2026, 11, 2);
    app.record_day_week(
        provider,
        sid,
        week,
        &[
            attended(line.id, week),
            attended(line.id, week + Duration::days(2)),
        ],
    )
    .await
    .unwrap();
    app.confirm_day_week(provider, sid, week).await.unwrap();
    let later = at(&w.app, &clock, "2026-11-18T10:00:00Z");
    let lines = pay(&later, ymd(2026, 10, 19)).await;
    let paid: Vec<_> = lines.iter().filter(|l| l.state.is_empty()).collect();
    let stopped: Vec<_> = lines.iter().filter(|l| !l.state.is_empty()).collect();
    assert_eq!(paid.len(), 1, "{lines:?}");
    assert_eq!(
        (paid[0].days, paid[0].amount_pence),
        (1, 4000),
        "Monday only"
    );
    assert_eq!(stopped.len(), 1, "{lines:?}");
    assert_eq!(stopped[0].state, "contract_expired");
}

#[tokio::test]
async fn an_alert_with_nobody_to_tell_is_sent_when_its_access_point_is_set() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let clock = Arc::new(FixedClock::at(0));
    let app = at(&w.app, &clock, "2026-11-10T10:00:00Z");
    let provider = &w.provider;
    let sid = day_service(&app, provider).await;
    let client = new_client(&app, provider.authority_id(), "Vale").await;
    // A client group with no default access point, and no social worker's e-mail.
    let line = app
        .add_day_line(
            &w.officer,
            sid,
            &line_input(client, "mon,wed", "5/10/2026", "", "physical_disability"),
        )
        .await
        .unwrap();
    let week = ymd(2026, 11, 2);
    let concern = |d: NaiveDate, to: &str| SessionInput {
        concern: to.into(),
        ..ill(line.id, d, "Rang her father: no answer")
    };
    app.record_day_week(
        provider,
        sid,
        week,
        &[
            concern(week, "social_worker"),
            concern(week + Duration::days(2), "safeguarding"),
        ],
    )
    .await
    .unwrap();
    let db = w.app.db_for_tests().clone();
    let told = |kind_key: &'static str| {
        let db = db.clone();
        async move {
            testing::scalar_text(
                &db,
                &format!("SELECT told FROM day_alerts WHERE alert_key LIKE '%{kind_key}'"),
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(told(":safeguarding").await, "", "nobody to tell yet");
    assert_eq!(told(":physical_disability").await, "");
    app.set_access_point(
        &w.officer,
        "safeguarding",
        "Safeguarding Adults Team",
        "sat@example.gov.uk",
    )
    .await
    .unwrap();
    assert_eq!(told(":safeguarding").await, "sat@example.gov.uk");
    assert_eq!(
        told(":physical_disability").await,
        "",
        "another group's waits"
    );
    app.set_access_point(
        &w.officer,
        "physical_disability",
        "Physical disability team",
        "pd.one@example.gov.uk, pd.two@example.gov.uk",
    )
    .await
    .unwrap();
    assert_eq!(
        told(":physical_disability").await,
        "pd.one@example.gov.uk, pd.two@example.gov.uk"
    );
    let mails = testing::scalar_i64(
        w.app.db_for_tests(),
        "SELECT COUNT(*) FROM outbox WHERE subject LIKE 'Day activities:%'",
    )
    .await
    .unwrap();
    assert_eq!(mails, 3, "one to the team, two to the group's access point");
    // Setting it again sends nothing more.
    app.set_access_point(
        &w.officer,
        "physical_disability",
        "Physical disability team",
        "pd.one@example.gov.uk",
    )
    .await
    .unwrap();
    let again = testing::scalar_i64(
        w.app.db_for_tests(),
        "SELECT COUNT(*) FROM outbox WHERE subject LIKE 'Day activities:%'",
    )
    .await
    .unwrap();
    assert_eq!(again, 3);
}

fn request(kind: &str, line: i64, date: &str, details: &str) -> RequestInput {
    RequestInput {
        kind: kind.into(),
        line_id: line.to_string(),
        session_date: date.into(),
        details: details.into(),
        ..RequestInput::default()
    }
}

fn decision(decision: &str, note: &str) -> DecisionInput {
    DecisionInput {
        decision: decision.into(),
        note: note.into(),
        ..DecisionInput::default()
    }
}

async fn mails_to(app: &App, address: &str) -> i64 {
    testing::scalar_i64(
        app.db_for_tests(),
        &format!("SELECT COUNT(*) FROM outbox WHERE to_address = '{address}'"),
    )
    .await
    .unwrap()
}

/// On SQLite, and on PostgreSQL where `TEST_DATABASE_URL` names one.
#[tokio::test]
async fn requests_change_a_line_a_confirmed_week_or_add_a_session_only_once_the_team_authorises() {
    for t in testing::all().await.unwrap() {
        requests_change_a_line_a_confirmed_week_or_add_a_session_on(t).await;
    }
}

async fn requests_change_a_line_a_confirmed_week_or_add_a_session_on(t: testing::TestDb) {
    let w = common::world(t).await;
    let clock = Arc::new(FixedClock::at(0));
    let app = at(&w.app, &clock, "2026-11-10T10:00:00Z");
    let provider = &w.provider;
    let officer = &w.officer;
    exec(
        &app,
        &format!(
            "UPDATE providers SET email = 'office@larkspur.example.org' WHERE id = {}",
            provider_of(provider)
        ),
    )
    .await;
    let sid = day_service(&app, provider).await;
    let moss = new_client(&app, provider.authority_id(), "Moss").await;
    let reed = new_client(&app, provider.authority_id(), "Reed").await;
    let a = app
        .add_day_line(
            officer,
            sid,
            &line_input(
                moss,
                "mon,wed",
                "5/10/2026",
                "ann.social@example.gov.uk",
                "",
            ),
        )
        .await
        .unwrap();
    let b = app
        .add_day_line(
            officer,
            sid,
            &line_input(reed, "mon", "5/10/2026", "", "mental_health"),
        )
        .await
        .unwrap();
    let week = ymd(2026, 11, 2);
    app.record_day_week(
        provider,
        sid,
        week,
        &[
            attended(a.id, week),
            attended(a.id, week + Duration::days(2)),
            attended(b.id, week),
        ],
    )
    .await
    .unwrap();
    app.confirm_day_week(provider, sid, week).await.unwrap();
    // P08's run pays the week as confirmed: Moss twice, Reed once.
    let paid = |lines: &[hearth_store::PayLine], line: i64| -> i64 {
        lines
            .iter()
            .filter(|l| l.day_line_id == Some(line) && l.period_start == "2026-10-19")
            .map(|l| l.amount_pence)
            .sum()
    };
    let app = at(&w.app, &clock, "2026-11-18T10:00:00Z");
    let first = pay(&app, ymd(2026, 10, 19)).await;
    assert_eq!((paid(&first, a.id), paid(&first, b.id)), (8000, 4000));

    // A change to the confirmed week: Wednesday was an illness, not attended. Asking for what
    // is recorded already is refused beside the field; the team's own staff do not raise
    // requests.
    let wed = (week + Duration::days(2)).to_string();
    let amend = RequestInput {
        outcome: "attended".into(),
        ..request(
            "amend_session",
            a.id,
            &wed,
            "He was off ill: recorded wrongly",
        )
    };
    match app.raise_day_request(provider, sid, &amend, None).await {
        Err(AppError::Invalid(e)) => assert!(e.get("outcome").is_some(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        app.raise_day_request(officer, sid, &amend, None).await,
        Err(AppError::Forbidden)
    ));
    // An open week is changed on its page, not by request.
    let open = RequestInput {
        outcome: "absent".into(),
        reason: "illness".into(),
        ..request("amend_session", a.id, "2026-11-09", "Off ill")
    };
    match app.raise_day_request(provider, sid, &open, None).await {
        Err(AppError::Invalid(e)) => assert!(e.get("session_date").is_some(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    let amend = RequestInput {
        outcome: "absent".into(),
        reason: "illness".into(),
        ..amend
    };
    let r_amend = app
        .raise_day_request(provider, sid, &amend, None)
        .await
        .unwrap();
    assert_eq!(r_amend.status, "raised");
    // Nothing changes until the team authorises it.
    let recorded = |app: App, line: i64, date: String| async move {
        app.db_for_tests()
            .day_sessions(sid, &date, &date)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.line_id == line)
    };
    assert_eq!(
        recorded(app.clone(), a.id, wed.clone())
            .await
            .unwrap()
            .outcome,
        "attended"
    );

    // A session that was not planned: Reed came on Wednesday 4 November too. A planned day
    // and a day to come are refused.
    for (date, why) in [("2026-11-02", "planned"), ("2026-11-20", "to come")] {
        match app
            .raise_day_request(
                provider,
                sid,
                &request("extra_session", b.id, date, "Came in"),
                None,
            )
            .await
        {
            Err(AppError::Invalid(e)) => assert!(e.get("session_date").is_some(), "{why}"),
            other => panic!("{why}: {other:?}"),
        }
    }
    let r_extra = app
        .raise_day_request(
            provider,
            sid,
            &request("extra_session", b.id, &wed, "Came to the gardening group"),
            None,
        )
        .await
        .unwrap();

    // Only the team decides; the provider is refused, and a decision needs its note.
    assert!(matches!(
        app.decide_day_request(provider, r_amend.id, &decision("authorise", "ok"))
            .await,
        Err(AppError::Forbidden)
    ));
    match app
        .decide_day_request(officer, r_amend.id, &decision("authorise", " "))
        .await
    {
        Err(AppError::Invalid(e)) => assert!(e.get("note").is_some(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    let done = app
        .decide_day_request(
            officer,
            r_amend.id,
            &decision("authorise", "Checked with the centre's register"),
        )
        .await
        .unwrap();
    assert_eq!(done.status, "authorised");
    assert!(
        done.decision_change.contains("attended to absent"),
        "{}",
        done.decision_change
    );
    let s = recorded(app.clone(), a.id, wed.clone()).await.unwrap();
    assert_eq!(
        (s.outcome.as_str(), s.reason.as_str()),
        ("absent", "illness")
    );
    // Decided once: a second decision is refused.
    assert!(matches!(
        app.decide_day_request(officer, r_amend.id, &decision("decline", "no"))
            .await,
        Err(AppError::Conflict(..))
    ));
    app.decide_day_request(
        officer,
        r_extra.id,
        &decision("authorise", "Agreed by phone"),
    )
    .await
    .unwrap();
    let v = app.day_week(provider, sid, week).await.unwrap();
    let reed_week = v.people.iter().find(|p| p.line.id == b.id).unwrap();
    assert_eq!(
        reed_week.sessions.len(),
        2,
        "Monday planned, Wednesday added"
    );
    assert!(reed_week.sessions[1].by_request);
    assert!(
        mails_to(&app, "office@larkspur.example.org").await >= 2,
        "the provider is told each decision"
    );

    // A change of need: Reed has no social worker, so it goes to the mental health duty team
    // (two named people jointly) at once.
    let app = at(&w.app, &clock, "2026-11-20T10:00:00Z");
    let need = request("change_of_need", b.id, "", "");
    match app.raise_day_request(provider, sid, &need, None).await {
        Err(AppError::Invalid(e)) => assert!(e.get("details").is_some(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    let r_need = app
        .raise_day_request(
            provider,
            sid,
            &RequestInput {
                details: "Has started work on Mondays and no longer wants to come".into(),
                ..need
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        r_need.told,
        "mh.duty.one@example.gov.uk, mh.duty.two@example.gov.uk"
    );
    assert_eq!(mails_to(&app, "mh.duty.two@example.gov.uk").await, 1);
    // The social worker says the placement is no longer needed: the contract's notice period
    // of four weeks starts, and the line ends on its last day.
    app.decide_day_request(
        officer,
        r_need.id,
        &DecisionInput {
            need: "end".into(),
            ..decision(
                "authorise",
                "Duty team, 20 November: placement no longer needed",
            )
        },
    )
    .await
    .unwrap();
    let ended = app.db_for_tests().day_line(b.id).await.unwrap().unwrap();
    assert_eq!(ended.end_date.as_deref(), Some("2026-12-17"));

    // Moss's need changes: from Monday 30 November, Tuesday mornings. The old line ends the
    // day before; the new line keeps the person and the social worker. A change from a day
    // gone is refused.
    let r_change = app
        .raise_day_request(
            provider,
            sid,
            &request("change_of_need", a.id, "", "Finds full days tiring"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r_change.told, "ann.social@example.gov.uk");
    let change = DecisionInput {
        need: "change".into(),
        from_date: "2026-11-02".into(),
        days: "tue".into(),
        session_type: "morning".into(),
        ..decision("authorise", "Ann Social, 20 November")
    };
    match app.decide_day_request(officer, r_change.id, &change).await {
        Err(AppError::Invalid(e)) => assert!(e.get("from_date").is_some(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    app.decide_day_request(
        officer,
        r_change.id,
        &DecisionInput {
            from_date: "2026-11-30".into(),
            ..change
        },
    )
    .await
    .unwrap();
    let lines = app.db_for_tests().all_day_lines(sid).await.unwrap();
    let moss_lines: Vec<_> = lines.iter().filter(|l| l.client_id == moss).collect();
    assert_eq!(moss_lines.len(), 2);
    assert_eq!(moss_lines[0].end_date.as_deref(), Some("2026-11-29"));
    assert_eq!(
        (
            moss_lines[1].start_date.as_str(),
            moss_lines[1].days.as_str(),
            moss_lines[1].session_type.as_str(),
            moss_lines[1].rate_pence,
            moss_lines[1].social_worker_email.as_str()
        ),
        (
            "2026-11-30",
            "tue",
            "morning",
            4000,
            "ann.social@example.gov.uk"
        )
    );

    // The next run pays the difference for P08: Moss's Wednesday recovered, Reed's Wednesday
    // paid.
    let p09 = at(&w.app, &clock, "2026-12-16T10:00:00Z");
    let next = pay(&p09, ymd(2026, 11, 16)).await;
    assert_eq!(
        (paid(&next, a.id), paid(&next, b.id)),
        (-4000, 4000),
        "{next:?}"
    );

    // Someone else's requests are not found: a limited user outside the service's scope.
    assert!(matches!(
        app.day_request(&w.limited, r_need.id).await,
        Err(AppError::NotFound)
    ));
    assert!(app
        .day_requests(&w.limited)
        .await
        .unwrap()
        .iter()
        .all(|r| r.service.id != sid));
    assert_eq!(app.day_requests(officer).await.unwrap().len(), 4);
}

/// A missing service line (F7.5): reported only once four weeks have passed since it was
/// agreed to start, with the correspondence attached (checked before it is kept); it goes to
/// the support options team, who refer it to the social worker and record the outcome.
#[tokio::test]
async fn a_missing_service_line_is_reported_with_its_correspondence_referred_and_decided() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let clock = Arc::new(FixedClock::at(0));
    let app = at(&w.app, &clock, "2026-11-10T10:00:00Z");
    let provider = &w.provider;
    let sid = day_service(&app, provider).await;
    let report = RequestInput {
        kind: "missing_line".into(),
        person_name: "Jo Parr".into(),
        days: "tue,thu".into(),
        session_type: "full_day".into(),
        agreed_start: "20/10/2026".into(),
        social_worker_name: "Ben Worker".into(),
        social_worker_email: "ben.worker@example.gov.uk".into(),
        details: "Agreed at the review on 14 October to start on 20 October".into(),
        ..RequestInput::default()
    };
    let pdf = || Some(("Review notes.pdf".to_string(), b"%PDF-1.7\n...".to_vec()));
    // Three weeks on is too soon: the message says from when.
    match app.raise_day_request(provider, sid, &report, pdf()).await {
        Err(AppError::Invalid(e)) => assert!(
            e.get("agreed_start").unwrap().contains("17 Nov 2026"),
            "{e:?}"
        ),
        other => panic!("{other:?}"),
    }
    let report = RequestInput {
        agreed_start: "5/10/2026".into(),
        ..report
    };
    // No file, an empty one, one too large, and one that is not correspondence are refused.
    for (file, why) in [
        (None, "none"),
        (Some(("a.pdf".to_string(), Vec::new())), "empty"),
        (
            Some((
                "big.pdf".to_string(),
                [b"%PDF-".to_vec(), vec![0u8; 10 * 1024 * 1024]].concat(),
            )),
            "too large",
        ),
        (
            Some(("a.pdf".to_string(), b"MZ\x90\x00".to_vec())),
            "a program",
        ),
    ] {
        match app.raise_day_request(provider, sid, &report, file).await {
            Err(AppError::Invalid(e)) => assert!(e.get("file").is_some(), "{why}: {e:?}"),
            other => panic!("{why}: {other:?}"),
        }
    }
    let r = app
        .raise_day_request(provider, sid, &report, pdf())
        .await
        .unwrap();
    assert_eq!(r.told, "support.options@example.gov.uk");
    assert_eq!(mails_to(&app, "support.options@example.gov.uk").await, 1);
    let (name, kind, bytes) = app.day_request_file(provider, r.id).await.unwrap();
    assert_eq!(
        (name.as_str(), kind.as_str()),
        ("Review notes.pdf", "application/pdf")
    );
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(matches!(
        app.day_request_file(&w.limited, r.id).await,
        Err(AppError::NotFound)
    ));
    // The team refers it to the allocated social worker, who is e-mailed.
    assert!(matches!(
        app.refer_day_request(provider, r.id, "ben.worker@example.gov.uk", "")
            .await,
        Err(AppError::Forbidden)
    ));
    match app
        .refer_day_request(&w.officer, r.id, "not an address", "")
        .await
    {
        Err(AppError::Invalid(e)) => assert!(e.get("referred_to").is_some()),
        other => panic!("{other:?}"),
    }
    let referred = app
        .refer_day_request(
            &w.officer,
            r.id,
            "ben.worker@example.gov.uk",
            "Please confirm the days",
        )
        .await
        .unwrap();
    assert_eq!(referred.status, "referred");
    assert_eq!(mails_to(&app, "ben.worker@example.gov.uk").await, 1);
    let done = app
        .decide_day_request(
            &w.officer,
            r.id,
            &decision("authorise", "Ben Worker confirmed by e-mail on 12 November"),
        )
        .await
        .unwrap();
    assert_eq!(done.status, "authorised");
    let audited = testing::scalar_i64(
        app.db_for_tests(),
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE record_type = 'day_request' AND record_id = '{}'",
            r.id
        ),
    )
    .await
    .unwrap();
    assert_eq!(audited, 3, "raised, referred and authorised, each audited");
}

#[tokio::test]
async fn the_nightly_evaluation_reads_every_day_service_of_the_authority_once_each() {
    for db in testing::all().await.unwrap() {
        let w = common::world(db).await;
        let clock = Arc::new(FixedClock::at(0));
        let provider = &w.provider;
        let app = at(&w.app, &clock, "2026-10-01T10:00:00Z");
        let aid = provider.authority_id();
        // Two services, each with one person planned on Mondays; a third with nobody away.
        let mut lines = Vec::new();
        for (code, name, last) in [
            ("NA", "Northgate Day Centre", "Reed"),
            ("SB", "Southbank Day Centre", "Moss"),
            ("WC", "Westcliffe Day Centre", "Lane"),
        ] {
            let sid = day_service_named(&app, provider, code, name).await;
            let client = new_client(&app, aid, last).await;
            let line = app
                .add_day_line(
                    &w.officer,
                    sid,
                    &line_input(client, "mon", "5/10/2026", "", ""),
                )
                .await
                .unwrap();
            lines.push((sid, line.id, last));
        }
        // Reed and Moss go into hospital on 16 November, back on 21 December; Lane attends.
        let recorder = at(&w.app, &clock, "2026-11-23T15:00:00Z");
        let week = ymd(2026, 11, 16);
        for (sid, line, last) in &lines {
            let session = if *last == "Lane" {
                attended(*line, week)
            } else {
                SessionInput {
                    line_id: *line,
                    date: week.to_string(),
                    outcome: "absent".into(),
                    reason: "hospital".into(),
                    expected_back: "21/12/2026".into(),
                    ..SessionInput::default()
                }
            };
            recorder
                .record_day_week(provider, *sid, week, &[session])
                .await
                .unwrap();
        }
        let night = at(&w.app, &clock, "2026-11-24T03:00:00Z")
            .run_day_activities_checks(None)
            .await
            .unwrap();
        assert_eq!((night.alerts, night.evaluated), (2, 1));
        let alerts = w.app.day_alerts(&w.officer).await.unwrap();
        let mut found: Vec<(i64, &str, bool)> = alerts
            .iter()
            .map(|a| {
                let (_, _, last) = lines.iter().find(|l| l.1 == a.alert.line_id).unwrap();
                (
                    a.alert.service_id,
                    *last,
                    a.alert
                        .details
                        .starts_with(&format!("Sam {last} is away from")),
                )
            })
            .collect();
        found.sort_unstable();
        assert_eq!(
            found,
            vec![(lines[0].0, "Reed", true), (lines[1].0, "Moss", true)],
            "each service's person, named, with the alert on their own service"
        );
        assert!(alerts.iter().all(|a| a.kind == AlertKind::PlannedLong));
        // Written a few statements at a time, each alert and each e-mail still has its own
        // audit entry, chained: the trail verifies.
        let db = w.app.db_for_tests();
        let count = |sql: String| async move { testing::scalar_i64(db, &sql).await.unwrap() };
        let ids: Vec<String> = alerts.iter().map(|a| a.alert.id.to_string()).collect();
        assert_eq!(
            count(format!(
                "SELECT COUNT(*) FROM audit_log WHERE record_type = 'day_alert' AND action = 'create' AND record_id IN ('{}')",
                ids.join("', '")
            ))
            .await,
            2
        );
        let mails = count(
            "SELECT COUNT(*) FROM outbox WHERE subject = 'Day activities: Planned absence expected to exceed four weeks'".into(),
        )
        .await;
        assert!(mails >= 2, "each alert is e-mailed to whoever is told");
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_log a JOIN outbox o ON a.record_type = 'email' AND a.action = 'queue' AND a.record_id = CAST(o.id AS TEXT) WHERE o.subject LIKE 'Day activities: Planned%'".into()).await,
            mails
        );
        match w.app.audit_verify().await.unwrap() {
            hearth_store::ChainReport::Intact { .. } => {}
            broken => panic!("{broken:?}"),
        }
        // The next night finds nothing new.
        let next = at(&w.app, &clock, "2026-11-25T03:00:00Z")
            .run_day_activities_checks(None)
            .await
            .unwrap();
        assert_eq!(next.alerts, 0);
    }
}
