//! The returns' missing parts of the core records (issue 10): a provider asks for more time
//! with a reason, the team keys in a paper return, and a return sent back is due again by a
//! date counted in working days.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::world;

use hearth_app::requests::{Payload, RequestKind, RequestStatus};
use hearth_app::returns::{ExtensionAsk, ReturnForm, INCOMPLETE, PAPER};
use hearth_app::AppError;
use hearth_domain::performance::Quarter;
use hearth_domain::workflow::returns::Decision;
use hearth_store::testing;

fn ask(q: &Quarter, until: chrono::NaiveDate, reason: &str) -> ExtensionAsk {
    ExtensionAsk {
        quarter: q.label(),
        until: until.format("%-d/%-m/%Y").to_string(),
        reason: reason.into(),
    }
}

async fn services(w: &common::World) -> Vec<hearth_store::Service> {
    let mut f = w.provider.service_filter();
    f.per_page = 100;
    w.app.db_for_tests().list_services(&f).await.unwrap().items
}

#[tokio::test]
async fn a_provider_asks_for_more_time_and_approval_grants_it() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let all = services(&w).await;
        let (s, other) = (&all[0], &all[1]);
        // The quarter under way: nothing has been sent for it.
        let q = Quarter::for_date(w.app.today());
        let due = w.app.return_due(s, q).await.unwrap();
        let before = w
            .app
            .list_requests(&w.provider, &Default::default())
            .await
            .unwrap()
            .len();

        // Bad input is named beside each field and sends nothing.
        let Err(AppError::Invalid(e)) = w
            .app
            .request_return_extension(&w.provider, s.id, &ask(&q, due, " "))
            .await
        else {
            panic!("{name}: refused")
        };
        assert_eq!(e.get("reason"), Some("Say why the return needs more time"));
        assert!(
            e.get("until")
                .unwrap()
                .starts_with("The new date must be after the date the return is due"),
            "{name}: {:?}",
            e.get("until")
        );
        let Err(AppError::Invalid(e)) = w
            .app
            .request_return_extension(
                &w.provider,
                s.id,
                &ask(
                    &q,
                    due + chrono::Duration::days(91),
                    "Our finance officer is away",
                ),
            )
            .await
        else {
            panic!("{name}: too long refused")
        };
        assert!(
            e.get("until").unwrap().contains("no more than 90 days"),
            "{name}"
        );
        let Err(AppError::Invalid(e)) = w
            .app
            .request_return_extension(
                &w.provider,
                s.id,
                &ExtensionAsk {
                    quarter: q.label(),
                    until: "5//2027".into(),
                    reason: "x".into(),
                },
            )
            .await
        else {
            panic!("{name}: a missing month refused")
        };
        assert_eq!(e.get("until"), Some("Date must include a month"));
        assert_eq!(
            w.app
                .list_requests(&w.provider, &Default::default())
                .await
                .unwrap()
                .len(),
            before,
            "{name}: nothing sent"
        );

        // Another organisation cannot ask for this provider's service.
        assert!(matches!(
            w.app
                .request_return_extension(
                    &w.limited,
                    s.id,
                    &ask(&q, due + chrono::Duration::days(14), "x")
                )
                .await,
            Err(AppError::NotFound)
        ));

        let until = due + chrono::Duration::days(14);
        let r = w
            .app
            .request_return_extension(
                &w.provider,
                s.id,
                &ask(&q, until, "Our finance officer is in hospital"),
            )
            .await
            .unwrap();
        assert_eq!(r.kind, RequestKind::ReturnExtension, "{name}");
        assert_eq!(r.status, RequestStatus::Pending);
        assert_eq!(r.service_id, Some(s.id));
        let Payload::ReturnExtension(p) = &r.payload else {
            panic!("{name}: payload")
        };
        assert_eq!((p.quarter, p.until), (q, until));
        assert_eq!(p.reason, "Our finance officer is in hospital");
        // Asking twice while the team decides is refused.
        let Err(AppError::Invalid(e)) = w
            .app
            .request_return_extension(&w.provider, s.id, &ask(&q, until, "again"))
            .await
        else {
            panic!("{name}: a second ask refused")
        };
        assert!(
            e.get("quarter").unwrap().contains("already asked"),
            "{name}"
        );

        // The team sees what changes, and approving grants it.
        let seen = w.app.request(&w.officer, r.id).await.unwrap();
        let changes = w.app.request_changes(&seen).await.unwrap();
        let due_row = changes.iter().find(|c| c.label == "Return due").unwrap();
        assert_eq!(
            due_row.old.as_deref(),
            Some(due.format("%-d %b %Y").to_string().as_str())
        );
        assert_eq!(
            due_row.new.as_deref(),
            Some(until.format("%-d %b %Y").to_string().as_str())
        );
        assert!(changes.iter().any(|c| c.label == "Reason"
            && c.new.as_deref() == Some("Our finance officer is in hospital")));
        assert_eq!(
            w.app.extension(s.id, q).await.unwrap(),
            None,
            "{name}: not before approval"
        );
        let done = w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        assert_eq!(done.status, RequestStatus::Approved);
        assert_eq!(
            done.result_record,
            Some(format!("service_returns:{}", s.id))
        );
        assert_eq!(
            w.app.extension(s.id, q).await.unwrap(),
            Some(until),
            "{name}"
        );
        assert_eq!(w.app.return_due(s, q).await.unwrap(), until);

        // A request made before the due date changed is stale: approving it would undo the
        // team's own decision.
        let other_due = w.app.return_due(other, q).await.unwrap();
        let r = w
            .app
            .request_return_extension(
                &w.provider,
                other.id,
                &ask(&q, other_due + chrono::Duration::days(7), "Staff sickness"),
            )
            .await
            .unwrap();
        w.app
            .grant_extension(
                &w.officer,
                other.id,
                q,
                other_due + chrono::Duration::days(30),
            )
            .await
            .unwrap();
        assert!(
            matches!(
                w.app.approve_request(&w.officer, r.id, "").await,
                Err(AppError::Conflict(..))
            ),
            "{name}: stale"
        );
        assert_eq!(
            w.app.extension(other.id, q).await.unwrap(),
            Some(other_due + chrono::Duration::days(30)),
            "{name}: the team's extension stands"
        );
    }
}

#[tokio::test]
async fn the_team_keys_in_a_paper_return() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let (s, q) = missing_return(&w, &w.app).await;
    let form = good_form(&s, &q);
    // A provider cannot use the team's way in, and a board member cannot key one in.
    assert!(matches!(
        w.app.key_paper_return(&w.provider, s.id, &form).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        w.app.key_paper_return(&w.board, s.id, &form).await,
        Err(AppError::Forbidden)
    ));
    // Bad figures are refused like the provider's own form.
    let Err(AppError::Invalid(e)) = w
        .app
        .key_paper_return(
            &w.officer,
            s.id,
            &ReturnForm {
                departures: "many".into(),
                ..form.clone()
            },
        )
        .await
    else {
        panic!("bad figures refused")
    };
    assert!(e.get("departures").is_some());

    let r = w
        .app
        .key_paper_return(&w.officer, s.id, &form)
        .await
        .unwrap();
    assert_eq!(r.source, PAPER);
    assert_eq!(r.provider_id, s.provider_id);
    assert_eq!(
        r.submitted_by_name,
        w.officer.actor().name,
        "the officer who keyed it in"
    );
    // The provider sees it as its return for the quarter.
    let seen = w.app.return_view(&w.provider, r.id).await.unwrap();
    assert_eq!(seen.quarter, q);
    let quarters = w
        .app
        .service_return_quarters(&w.provider, s.id)
        .await
        .unwrap();
    assert!(quarters
        .iter()
        .any(|(qq, rr)| *qq == q && rr.as_ref().map(|x| x.id) == Some(r.id)));
}

/// A service and an ended quarter with nothing received.
async fn missing_return(
    w: &common::World,
    app: &hearth_app::App,
) -> (hearth_store::Service, Quarter) {
    for s in services(w).await {
        for (q, r) in app.service_return_quarters(&w.officer, s.id).await.unwrap() {
            if r.is_none() {
                return (s, q);
            }
        }
    }
    panic!("the demo has a missing return")
}

/// A return for `s` in `q` where every figure meets its default trigger.
fn good_form(s: &hearth_store::Service, q: &Quarter) -> ReturnForm {
    ReturnForm {
        occupied_unit_days: (s.contracted_units * i64::from(q.days()) * 95 / 100).to_string(),
        ..common_good(q)
    }
}

fn common_good(q: &Quarter) -> ReturnForm {
    ReturnForm {
        quarter: q.label(),
        service_users_supported: "20".into(),
        maintained_independent_living: "19".into(),
        new_service_users: "4".into(),
        departures: "4".into(),
        planned_departures: "4".into(),
        unavailable_unit_days: "0".into(),
        support_hours_contracted: "100".into(),
        support_hours_delivered: "98".into(),
        ..Default::default()
    }
}

/// Worked example: sent back on Friday 18 December 2026, ten working days in England and
/// Wales skip Christmas Day (Friday), the Boxing Day substitute (Monday 28th) and New Year's
/// Day (Friday 1 January): due Wednesday 6 January 2027, not Friday 1 January.
#[tokio::test]
async fn a_return_sent_back_is_due_again_in_ten_working_days() {
    use hearth_domain::clock::FixedClock;
    let w = world(testing::sqlite().await.unwrap()).await;
    let clock = std::sync::Arc::new(FixedClock::at_utc("2026-12-18T10:00:00Z").unwrap());
    let app = w.app.clone().with_clock(clock);
    let (s, q) = missing_return(&w, &app).await;
    let first = app
        .submit_return(&w.provider, s.id, &good_form(&s, &q))
        .await
        .unwrap();
    let sent_back = app
        .check_return(
            &w.officer,
            first.id,
            Decision::MarkIncomplete,
            "Hours are missing",
            false,
        )
        .await
        .unwrap();
    assert_eq!(sent_back.status, INCOMPLETE);
    assert_eq!(sent_back.resubmit_by.as_deref(), Some("2027-01-06"));
    assert_eq!(
        app.resubmission_due(first.authority_id)
            .await
            .unwrap()
            .to_string(),
        "2027-01-06"
    );
    // The provider's overview shows the date.
    let quarters = app.provider_returns(&w.provider, 8).await.unwrap();
    let line = quarters
        .iter()
        .filter(|(qq, _)| *qq == q)
        .flat_map(|(_, lines)| lines)
        .find(|l| l.service.id == s.id)
        .unwrap();
    assert_eq!(line.status.as_deref(), Some(INCOMPLETE));
    assert_eq!(
        line.resubmit_by.map(|d| d.to_string()).as_deref(),
        Some("2027-01-06")
    );
    assert!(!line.resubmission_overdue(chrono::NaiveDate::from_ymd_opt(2027, 1, 6).unwrap()));
    assert!(line.resubmission_overdue(chrono::NaiveDate::from_ymd_opt(2027, 1, 7).unwrap()));
    // The corrected return, once accepted, has no such date.
    let corrected = app
        .submit_return(&w.provider, s.id, &good_form(&s, &q))
        .await
        .unwrap();
    let accepted = app
        .check_return(&w.officer, corrected.id, Decision::Accept, "", false)
        .await
        .unwrap();
    assert_eq!(accepted.resubmit_by, None);
}
