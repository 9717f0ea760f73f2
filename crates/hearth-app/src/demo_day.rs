//! The demo's day activities (issue 13): a day service of the demo provider account's
//! organisation, Millside Day Centre, with about sixty people's service lines paid on actual
//! sessions, and fourteen weeks of actuals: thirteen recorded and confirmed by the provider
//! (one late, paid by the next payment run), the last one waiting to be recorded. Between
//! them the absence rules raise each kind of alert once: a pattern of Monday absences, a
//! planned holiday expected to last five weeks, an unplanned absence of over two weeks, attendance below
//! 70%, and an immediate concern. The weeks are confirmed inside the payment history (before
//! each run date), so the runs pay what was confirmed by then.

use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use hearth_domain::clock::FixedClock;
use hearth_domain::day_activities::{week_start, AbsenceReason, Outcome};
use hearth_domain::payments::PaymentBasis;
use hearth_store::{ClientFields, ContractFields, DayLine, ServiceFields};
use rand::rngs::StdRng;
use rand::Rng;

use crate::day_activities::{LineInput, SessionInput, DEFAULT_ACCESS_POINTS, SAFEGUARDING};
use crate::{App, AppError, Principal};

/// Weeks of actuals: the last is left for the provider to record.
const WEEKS: i64 = 14;
/// People at the day service.
const PEOPLE: usize = 60;
/// The week (from the first) confirmed late.
const LATE_WEEK: usize = 7;

const FIRST: [&str; 20] = [
    "Aisha", "Ben", "Carys", "Daniel", "Ellie", "Farhan", "Grace", "Harry", "Imran", "Jade",
    "Kieran", "Leah", "Mohammed", "Nadia", "Owen", "Priya", "Ryan", "Sophie", "Tariq", "Zara",
];
const LAST: [&str; 15] = [
    "Ahmed",
    "Barker",
    "Clarke",
    "Dawson",
    "Evans",
    "Fletcher",
    "Hussain",
    "Iqbal",
    "Kaur",
    "Lister",
    "Mahmood",
    "Naylor",
    "Patel",
    "Sutcliffe",
    "Whitaker",
];

/// What one person's weeks look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Absent on Mondays, unplanned, three weeks of four.
    Pattern,
    /// A planned holiday expected to last five weeks (back after three).
    Holiday,
    /// Absent, unplanned, for over two weeks, then back.
    Unplanned,
    /// Missing a session a week: below 70%.
    Low,
    /// One unplanned absence with an immediate concern.
    Concern,
    /// An isolated absence now and then.
    Usual(usize),
}

/// The demo's day service, its people and how far its weeks have been confirmed.
pub(crate) struct DayDemo {
    service_id: i64,
    provider: Principal,
    lines: Vec<(DayLine, Script)>,
    /// Each week with when it is confirmed (UTC seconds), in that order.
    weeks: Vec<(usize, NaiveDate, i64)>,
    done: usize,
}

fn at(d: NaiveDate, hour: u32) -> i64 {
    d.and_hms_opt(hour, 5, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or_default()
}

impl App {
    /// The day service, its people and their service lines, and the access points, as the
    /// team recorded them before the weeks of actuals. None if the demo provider account is
    /// missing.
    pub(crate) async fn demo_day_setup(
        &self,
        past: &App,
        clock: &Arc<FixedClock>,
        rng: &mut StdRng,
    ) -> Result<Option<DayDemo>, AppError> {
        let officer = self.demo_principal("officer").await?;
        let finance = self.demo_principal("finance").await?;
        let provider = self.demo_principal("provider").await?;
        let Principal::Provider { provider_id, .. } = provider else {
            return Ok(None);
        };
        let aid = provider.authority_id();
        let last = week_start(self.today()) - Duration::weeks(1);
        let first = last - Duration::weeks(WEEKS - 1);
        let lines_from = first - Duration::weeks(12);
        clock.set(at(lines_from - Duration::days(14), 10));
        let mut tx = past.begin_write(&officer.actor()).await?;
        let service = tx
            .insert_service(
                aid,
                &ServiceFields {
                    provider_id,
                    reference: format!("DAY/{provider_id}/MILL"),
                    name: "Millside Day Centre".into(),
                    public_name: "Millside Day Centre".into(),
                    service_type: hearth_domain::ServiceType::DayActivities.as_str().into(),
                    term: hearth_domain::Term::Long.as_str().into(),
                    client_group: hearth_domain::ClientGroup::LearningDisabilities
                        .as_str()
                        .into(),
                    contracted_units: PEOPLE as i64,
                    address: "Millside, Canal Road, Bradford".into(),
                    postcode: "BD1 4SJ".into(),
                    description: "Day activities for adults with a learning disability or autism, older people and people with mental health needs: art, gardening, cooking and trips, Monday to Friday.".into(),
                },
            )
            .await?;
        let contract = tx
            .insert_contract(
                aid,
                &ContractFields {
                    provider_id,
                    reference: format!("DAPL/{provider_id}/MILL"),
                    title: "Day activities provider list: Millside Day Centre".into(),
                    units: PEOPLE as i64,
                    unit_rate_pence: 4200,
                    start_date: (lines_from - Duration::days(60)).to_string(),
                    end_date: (lines_from + Duration::days(3 * 365)).to_string(),
                    status: hearth_domain::ContractStatus::SteadyState.as_str().into(),
                    service_ids: vec![service.id],
                },
            )
            .await?;
        let mut people = Vec::new();
        for i in 0..PEOPLE {
            let c = tx
                .insert_client(
                    aid,
                    &ClientFields {
                        title: ["Mr", "Ms", "Mrs", "Mx"][i % 4].into(),
                        first_name: FIRST[i % FIRST.len()].into(),
                        last_name: LAST[(i * 7 + i / 15) % LAST.len()].into(),
                        date_of_birth: Some(
                            NaiveDate::from_ymd_opt(
                                1950 + (i as i32 * 7) % 50,
                                1 + (i as u32 % 12),
                                1 + (i as u32 % 28),
                            )
                            .unwrap_or(lines_from)
                            .to_string(),
                        ),
                        address: format!("{} Canal Road", 2 + i * 2),
                        town: "Bradford".into(),
                        postcode: "BD1 4SJ".into(),
                        ..ClientFields::default()
                    },
                )
                .await?;
            people.push(c.id);
        }
        tx.commit().await?;
        past.set_contract_basis(&finance, contract.id, PaymentBasis::Actuals.as_str())
            .await?;
        for (group, name, emails) in DEFAULT_ACCESS_POINTS {
            past.set_access_point(&officer, group.as_str(), name, emails)
                .await?;
        }
        past.set_access_point(
            &officer,
            SAFEGUARDING,
            "Safeguarding Adults Team",
            "safeguarding.adults@example.gov.uk",
        )
        .await?;
        let workers = [
            (
                "Helen Ward",
                "Learning disabilities team",
                "helen.ward@example.gov.uk",
            ),
            (
                "Sanjay Mistry",
                "Learning disabilities team",
                "sanjay.mistry@example.gov.uk",
            ),
            (
                "Rebecca Holmes",
                "Older people's team",
                "rebecca.holmes@example.gov.uk",
            ),
        ];
        let day_sets = [
            "mon,wed",
            "tue,thu",
            "mon,wed,fri",
            "wed",
            "mon,tue,thu",
            "fri",
            "tue,thu,fri",
        ];
        let mut lines = Vec::new();
        for (i, client) in people.iter().enumerate() {
            let script = match i {
                0 => Script::Pattern,
                1 => Script::Holiday,
                2 => Script::Unplanned,
                3 => Script::Low,
                4 => Script::Concern,
                n => Script::Usual(n),
            };
            // Most have a social worker; the others' alerts go to their access point.
            let (group, worker) = match (script, i % 5) {
                (Script::Pattern, _) => ("mental_health", None),
                (Script::Unplanned, _) => ("older_people", None),
                (Script::Holiday | Script::Low | Script::Concern, _) => {
                    ("learning_disabilities", Some(workers[i % 2]))
                }
                (_, 0) => ("mental_health", None),
                (_, 1) => ("older_people", Some(workers[2])),
                _ => ("learning_disabilities", Some(workers[i % 2])),
            };
            let days = match script {
                Script::Pattern => "mon,wed",
                Script::Unplanned => "mon,thu",
                Script::Low => "mon,tue,thu",
                _ => day_sets[i % day_sets.len()],
            };
            // A few joined during the weeks.
            let start = if i % 17 == 16 {
                first + Duration::weeks(rng.gen_range(2..8))
            } else {
                lines_from - Duration::days(rng.gen_range(0..200))
            };
            clock.set(at(start.min(lines_from) - Duration::days(7), 11));
            let rate = [3850, 4200, 4550, 5200][i % 4];
            let line = past
                .add_day_line(
                    &officer,
                    service.id,
                    &LineInput {
                        client_id: client.to_string(),
                        client_group: group.into(),
                        days: days.into(),
                        session_type: if days.len() > 7 {
                            "full_day"
                        } else {
                            ["full_day", "morning", "afternoon"][i % 3]
                        }
                        .into(),
                        rate: format!("{}.{:02}", rate / 100, rate % 100),
                        start_date: start.to_string(),
                        end_date: String::new(),
                        route: ["framework", "framework", "spot", "supported_employment"][i % 4]
                            .into(),
                        social_worker_name: worker.map_or("Duty social worker", |w| w.0).into(),
                        social_worker_team: worker.map_or("Access point", |w| w.1).into(),
                        social_worker_email: worker.map_or("", |w| w.2).into(),
                        social_worker_phone: String::new(),
                    },
                )
                .await?;
            lines.push((line, script));
        }
        // Each week is confirmed on its Tuesday morning, the late one two weeks later.
        let mut weeks: Vec<(usize, NaiveDate, i64)> = (0..WEEKS - 1)
            .map(|k| {
                let w = first + Duration::weeks(k);
                let days = if k as usize == LATE_WEEK { 16 } else { 8 };
                (k as usize, w, at(w + Duration::days(days), 10))
            })
            .collect();
        weeks.sort_by_key(|(_, _, t)| *t);
        Ok(Some(DayDemo {
            service_id: service.id,
            provider,
            lines,
            weeks,
            done: 0,
        }))
    }

    /// Records and confirms the demo's weeks due to be confirmed before `before` (a run
    /// date), each at its time.
    pub(crate) async fn demo_day_weeks(
        &self,
        past: &App,
        clock: &Arc<FixedClock>,
        demo: &mut DayDemo,
        before: NaiveDate,
    ) -> Result<usize, AppError> {
        let mut confirmed = 0;
        while let Some((k, week, when)) = demo.weeks.get(demo.done).copied() {
            if when >= at(before, 0) {
                break;
            }
            demo.done += 1;
            clock.set(when - 3600);
            let view = past.day_week(&demo.provider, demo.service_id, week).await?;
            let mut inputs = Vec::new();
            for p in &view.people {
                let script = demo
                    .lines
                    .iter()
                    .find(|(l, _)| l.id == p.line.id)
                    .map_or(Script::Usual(1), |(_, s)| *s);
                for (n, s) in p.sessions.iter().enumerate() {
                    if s.bank_holiday {
                        continue;
                    }
                    inputs.push(session(p.line.id, s.date, script, k, n, week));
                }
            }
            past.record_day_week(&demo.provider, demo.service_id, week, &inputs)
                .await?;
            clock.set(when);
            past.confirm_day_week(&demo.provider, demo.service_id, week)
                .await?;
            confirmed += 1;
        }
        Ok(confirmed)
    }
}

impl App {
    /// The provider's requests of the last weeks, as the team met them: a change to a
    /// confirmed week authorised (paid as the difference by the next run), a session not
    /// planned declined, a missing service line with its correspondence referred to the
    /// social worker, and a change of need just raised with the access point.
    pub(crate) async fn demo_day_requests(
        &self,
        past: &App,
        clock: &Arc<FixedClock>,
        demo: &DayDemo,
    ) -> Result<(), AppError> {
        use crate::day_requests::{DecisionInput, RequestInput};
        let officer = self.demo_principal("officer").await?;
        let today = self.today();
        let last = week_start(today) - Duration::weeks(1);
        let sid = demo.service_id;
        let usual: Vec<&DayLine> = demo
            .lines
            .iter()
            .filter(|(_, s)| matches!(s, Script::Usual(_)))
            .map(|(l, _)| l)
            .collect();
        let (Some(first), Some(third)) = (usual.first(), usual.get(2)) else {
            return Ok(());
        };
        // Two weeks ago: a session recorded as attended was an illness.
        let week = last - Duration::weeks(1);
        let recorded = self
            .db
            .day_sessions(
                sid,
                &week.to_string(),
                &(week + Duration::days(6)).to_string(),
            )
            .await?;
        if let Some(s) = recorded
            .iter()
            .find(|s| s.line_id == first.id && s.outcome == Outcome::Attended.as_str())
        {
            clock.set(at(week + Duration::days(9), 11));
            let r = past
                .raise_day_request(
                    &demo.provider,
                    sid,
                    &RequestInput {
                        kind: "amend_session".into(),
                        line_id: first.id.to_string(),
                        session_date: s.session_date.clone(),
                        outcome: Outcome::Absent.as_str().into(),
                        reason: AbsenceReason::Illness.as_str().into(),
                        details: "Recorded as attended by mistake: he was off with flu that day, as our register shows.".into(),
                        ..RequestInput::default()
                    },
                    None,
                )
                .await?;
            clock.set(at(week + Duration::days(10), 15));
            past.decide_day_request(
                &officer,
                r.id,
                &DecisionInput {
                    decision: "authorise".into(),
                    note: "Checked against the centre's signed register.".into(),
                    ..DecisionInput::default()
                },
            )
            .await?;
        }
        // A Friday the person came though it was not planned, declined.
        let friday = week + Duration::days(4);
        if let Some(line) = usual
            .iter()
            .skip(1)
            .find(|l| !l.days.contains("fri") && l.id != third.id)
        {
            clock.set(at(week + Duration::days(9), 12));
            let r = past
                .raise_day_request(
                    &demo.provider,
                    sid,
                    &RequestInput {
                        kind: "extra_session".into(),
                        line_id: line.id.to_string(),
                        session_date: friday.to_string(),
                        details: "Came in on Friday for the autumn party with her friends.".into(),
                        ..RequestInput::default()
                    },
                    None,
                )
                .await?;
            clock.set(at(week + Duration::days(11), 10));
            past.decide_day_request(
                &officer,
                r.id,
                &DecisionInput {
                    decision: "decline".into(),
                    note: "Her social worker did not agree an extra session: social events are not paid as sessions.".into(),
                    ..DecisionInput::default()
                },
            )
            .await?;
        }
        // A service line agreed seven weeks ago that never reached the portal.
        clock.set(at(last + Duration::days(2), 14));
        let letter = hearth_docs::pdf::render(&hearth_docs::pdf::Report {
            title: "Day service agreed".into(),
            author: "Adult social care".into(),
            blocks: vec![
                hearth_docs::pdf::Block::Paragraph("To Millside Day Centre".into()),
                hearth_docs::pdf::Block::Paragraph(format!(
                    "Following Ruth Kershaw's review, I confirm she will attend Millside on Tuesdays and Thursdays, full days, from {}.",
                    (last - Duration::weeks(6)).format("%-d %B %Y")
                )),
                hearth_docs::pdf::Block::Paragraph("Chris Holt, social worker, Keighley adults team".into()),
            ],
        })
        .map_err(|e| AppError::Internal(format!("demo letter: {e}")))?;
        let r = past
            .raise_day_request(
                &demo.provider,
                sid,
                &RequestInput {
                    kind: "missing_line".into(),
                    person_name: "Ruth Kershaw".into(),
                    days: "tue,thu".into(),
                    session_type: "full_day".into(),
                    agreed_start: (last - Duration::weeks(6)).to_string(),
                    social_worker_name: "Chris Holt".into(),
                    social_worker_email: "chris.holt@example.gov.uk".into(),
                    details: "Ruth has come on Tuesdays and Thursdays since her review, as her social worker agreed, but her service line is still not in the portal, so her sessions cannot be recorded or paid.".into(),
                    ..RequestInput::default()
                },
                Some(("Letter from Chris Holt.pdf".into(), letter)),
            )
            .await?;
        clock.set(at(last + Duration::days(3), 10));
        past.refer_day_request(
            &officer,
            r.id,
            "chris.holt@example.gov.uk",
            "Could you confirm the days and the start date, so that we can add the line?",
        )
        .await?;
        // This week: a change of need, sent to the access point.
        clock.set((self.now() - 7200).max(at(last + Duration::days(3), 11)));
        past.raise_day_request(
            &demo.provider,
            sid,
            &RequestInput {
                kind: "change_of_need".into(),
                line_id: third.id.to_string(),
                details: "He has become much less steady on his feet and now needs two staff for personal care; we think he would be better supported at a centre with a hoist.".into(),
                ..RequestInput::default()
            },
            None,
        )
        .await?;
        Ok(())
    }
}

/// What happened at a session of a person following `script`, in week `k` (its `n`th session
/// of the week).
fn session(
    line: i64,
    date: NaiveDate,
    script: Script,
    k: usize,
    n: usize,
    week: NaiveDate,
) -> SessionInput {
    let attended = SessionInput {
        line_id: line,
        date: date.to_string(),
        outcome: Outcome::Attended.as_str().into(),
        ..SessionInput::default()
    };
    let unplanned = |reason: AbsenceReason, comment: &str, contact: &str| SessionInput {
        line_id: line,
        date: date.to_string(),
        outcome: Outcome::Absent.as_str().into(),
        reason: reason.as_str().into(),
        comment: comment.into(),
        family_contact: contact.into(),
        ..SessionInput::default()
    };
    match script {
        Script::Pattern if (4..7).contains(&k) && date.weekday() == Weekday::Mon => unplanned(
            AbsenceReason::Unknown,
            "Did not arrive; transport said he was not ready.",
            "Rang his mother at 10:20: at home and safe, did not want to come.",
        ),
        // Away from week 7, expected back after five weeks, back early after three.
        Script::Holiday if (7..10).contains(&k) => SessionInput {
            line_id: line,
            date: date.to_string(),
            outcome: Outcome::Absent.as_str().into(),
            reason: AbsenceReason::Holiday.as_str().into(),
            comment: "Family holiday in Pakistan.".into(),
            expected_back: if k == 7 && n == 0 {
                (week + Duration::weeks(5)).to_string()
            } else {
                String::new()
            },
            ..SessionInput::default()
        },
        Script::Unplanned if (9..12).contains(&k) => unplanned(
            AbsenceReason::Illness,
            "Chest infection.",
            "Spoke to her son at 09:45: at home, GP visiting, safe.",
        ),
        Script::Low if (k + n).is_multiple_of(3) => unplanned(
            AbsenceReason::UnplannedOther,
            "Chose not to come.",
            "Spoke to his sister: at home and safe.",
        ),
        Script::Concern if k == 10 && n == 0 => SessionInput {
            concern: "social_worker".into(),
            ..unplanned(
                AbsenceReason::Unknown,
                "Not at home when transport called; neighbours had not seen her.",
                "Rang her brother at 10:05: no answer; rang again at 11:30: he does not know where she is.",
            )
        },
        Script::Usual(i) if (i + k).is_multiple_of(9) && n == 0 => unplanned(
            AbsenceReason::Illness,
            "Unwell.",
            "Spoke to the family: at home and safe.",
        ),
        _ => attended,
    }
}
