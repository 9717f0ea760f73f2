//! Payment runs (issue 12): prepare, four eyes, commit once, stale runs, adjustments, holds,
//! exceptions, and who may see what.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::NaiveDate;
use hearth_app::payments::{HoldInput, SettingsInput};
use hearth_app::{App, AppError, Principal};
use hearth_store::{testing, PaymentRun};

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// 2026/27 P08 and P09 (28-day periods from 6 April 2026).
fn p08() -> NaiveDate {
    ymd(2026, 10, 19)
}
fn p09() -> NaiveDate {
    ymd(2026, 11, 16)
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

/// Prepares a run of the period starting `d` and runs its job here.
async fn prepare(app: &App, who: &Principal, d: NaiveDate) -> PaymentRun {
    let run = app.prepare_payment_run(who, d).await.unwrap();
    let c = app
        .claim_run_id(run.job_run_id.unwrap(), "test", 60)
        .await
        .unwrap()
        .unwrap();
    let r = app.run_payment_prepare(&c.run, &c.progress).await.unwrap();
    c.progress.finish(&r).await.unwrap();
    app.payment_run(who, run.id).await.unwrap().run
}

async fn exec(app: &App, sql: &str) {
    testing::exec(app.db_for_tests(), sql).await.unwrap();
}

/// Every client of the demo in receipt of housing benefit, so nothing is an exception.
async fn all_in_receipt(app: &App) {
    exec(
        app,
        "INSERT INTO client_benefits (client_id, from_date, status, created_by_name, created_at) SELECT id, '2000-01-01', 'in_receipt', 'test', 0 FROM clients",
    )
    .await;
}

async fn paid_rows(app: &App) -> i64 {
    testing::scalar_i64(app.db_for_tests(), "SELECT COUNT(*) FROM payment_lines")
        .await
        .unwrap()
}

#[tokio::test]
async fn a_run_is_approved_by_a_second_finance_officer_and_paid_once() {
    for t in testing::all().await.unwrap() {
        let w = common::world(t).await;
        let app = &w.app;
        let finance = principal(app, "finance").await;
        let second = principal(app, "payments").await;
        all_in_receipt(app).await;
        let run = prepare(app, &finance, p08()).await;
        assert_eq!(run.status, "prepared");
        assert!(run.payable_pence > 0, "the demo's schedules are paid");
        let preview_lines = app.db_for_tests().run_lines(run.id, None).await.unwrap();
        let states: std::collections::BTreeSet<_> = preview_lines
            .iter()
            .filter(|l| !l.state.is_empty())
            .map(|l| l.state.clone())
            .collect();
        // Only the demo's services that no contract covers are exceptions.
        assert!(states.iter().all(|s| s == "no_contract"), "{states:?}");
        let preview = app.payment_run(&finance, run.id).await.unwrap();
        assert!(!preview.may_approve, "the preparer may not approve");
        assert_eq!(preview.summary.payable.0, run.payable_pence);
        assert_eq!(
            preview.summary.subsidy.0 + preview.summary.block.0 + preview.summary.adjustment.0,
            run.payable_pence
        );
        // Four eyes: the one who prepared it cannot approve it; an officer cannot either.
        let e = app.approve_payment_run(&finance, run.id).await.unwrap_err();
        assert!(
            matches!(&e, AppError::Conflict(_, m) if m.contains("other than the one who prepared it")),
            "{e:?}"
        );
        assert!(matches!(
            app.approve_payment_run(&w.officer, run.id).await,
            Err(AppError::Forbidden)
        ));
        // Not paid before it is approved.
        assert!(app.commit_payment_run(&second, run.id).await.is_err());
        let approved = app.approve_payment_run(&second, run.id).await.unwrap();
        assert_eq!(approved.approved_by_name.as_deref(), Some("payments"));
        let paid = app.commit_payment_run(&finance, run.id).await.unwrap();
        assert_eq!(paid.status, "committed");
        let rows = paid_rows(app).await;
        // Every line but the exceptions is paid.
        assert_eq!(rows, run.lines_count - run.exceptions_count);
        // Committing again pays nothing more.
        assert!(app.commit_payment_run(&second, run.id).await.is_err());
        assert_eq!(paid_rows(app).await, rows);
        // The paid period cannot be prepared again.
        assert!(matches!(
            app.prepare_payment_run(&finance, p08()).await,
            Err(AppError::Invalid(_))
        ));
        // The next period pays its own days and nothing again for P08.
        let next = prepare(app, &finance, p09()).await;
        let lines = app.db_for_tests().run_lines(next.id, None).await.unwrap();
        assert!(!lines.is_empty());
        // (P08's exceptions are still shown: they were never paid.)
        let again =
            |l: &&hearth_store::PayLine| l.period_start != p09().to_string() && l.state.is_empty();
        assert!(
            !lines.iter().any(|l| again(&l)),
            "nothing of P08 is paid again: {:?}",
            lines.iter().find(again)
        );
        // The audit trail has the batch: one entry for the lines, with their count.
        let after = testing::scalar_text(
            app.db_for_tests(),
            &format!(
                "SELECT after_json FROM audit_log WHERE record_type = 'payment_lines' AND record_id = '{}'",
                run.id
            ),
        )
        .await
        .unwrap();
        assert!(after.contains(&format!("\"rows\":{rows}")), "{after}");
        assert!(matches!(
            app.db_for_tests().audit_verify().await.unwrap(),
            hearth_store::ChainReport::Intact { .. }
        ));
        // A paid line changed afterwards is found by audit verify.
        testing::exec(
            app.db_for_tests(),
            "UPDATE payment_lines SET amount_pence = amount_pence + 100 WHERE id = (SELECT MIN(id) FROM payment_lines)",
        )
        .await
        .unwrap();
        assert!(matches!(
            app.db_for_tests().audit_verify().await.unwrap(),
            hearth_store::ChainReport::Broken { .. }
        ));
    }
}

#[tokio::test]
async fn a_back_dated_change_is_paid_as_an_adjustment_with_its_reason_and_then_never_again() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let run = prepare(app, &finance, p08()).await;
    app.approve_payment_run(&second, run.id).await.unwrap();
    app.commit_payment_run(&second, run.id).await.unwrap();
    let lines = app.db_for_tests().paid_lines(run.id, None).await.unwrap();
    let one = lines
        .iter()
        .find(|l| l.schedule_id.is_some() && l.days == 28)
        .expect("a schedule paid for the whole period")
        .clone();
    // The schedule had one more unit a week all along: P08 owes 28 days of one unit.
    exec(
        app,
        &format!(
            "UPDATE client_schedules SET units_per_week = units_per_week + 1 WHERE id = {}",
            one.schedule_id.unwrap()
        ),
    )
    .await;
    let next = prepare(app, &finance, p09()).await;
    let adj: Vec<_> = app
        .db_for_tests()
        .run_lines(next.id, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.kind == "adjustment")
        .collect();
    assert_eq!(adj.len(), 1, "{adj:?}");
    assert_eq!(adj[0].schedule_id, one.schedule_id);
    assert_eq!(adj[0].period_start, p08().to_string());
    // One unit for 28 days at the rate: 4 weeks of the rate.
    assert_eq!(adj[0].amount_pence, one.rate_pence * 4);
    assert!(
        adj[0].reason.starts_with("Units per week changed from"),
        "{}",
        adj[0].reason
    );
    app.approve_payment_run(&second, next.id).await.unwrap();
    app.commit_payment_run(&second, next.id).await.unwrap();
    // What was paid for the schedule in P08 is now what is due: P10 adjusts nothing.
    // On 17 December 2026, when P10 has begun.
    let later = app.clone().with_clock(std::sync::Arc::new(
        hearth_domain::clock::FixedClock::at_utc("2026-12-17T10:00:00Z").unwrap(),
    ));
    let p10 = prepare(&later, &finance, ymd(2026, 12, 14)).await;
    let lines = app.db_for_tests().run_lines(p10.id, None).await.unwrap();
    assert!(lines.iter().all(|l| l.kind != "adjustment"), "{lines:?}");
    // The schedule's history shows both.
    let history = app
        .schedule_payments(&finance, one.schedule_id.unwrap())
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|h| h.line.period_start == p08().to_string())
            .map(|h| h.line.amount_pence)
            .sum::<i64>(),
        one.amount_pence + one.rate_pence * 4
    );
}

#[tokio::test]
async fn a_run_whose_records_changed_is_stale_and_is_not_paid() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let run = prepare(app, &finance, p08()).await;
    exec(app, "UPDATE client_schedules SET units_per_week = units_per_week + 1 WHERE id = (SELECT MIN(id) FROM client_schedules WHERE end_date IS NULL)").await;
    let e = app.approve_payment_run(&second, run.id).await.unwrap_err();
    assert!(
        matches!(&e, AppError::Conflict(c, _) if c.as_str() == "stale"),
        "{e:?}"
    );
    assert_eq!(
        app.payment_run(&finance, run.id).await.unwrap().run.status,
        "stale"
    );
    assert!(app.commit_payment_run(&second, run.id).await.is_err());
    assert_eq!(paid_rows(app).await, 0);
    // Prepared again, it is approved and paid.
    let again = prepare(app, &finance, p08()).await;
    app.approve_payment_run(&second, again.id).await.unwrap();
    // A change between approval and commit makes it stale too.
    exec(app, "UPDATE client_schedules SET units_per_week = units_per_week + 1 WHERE id = (SELECT MIN(id) FROM client_schedules WHERE end_date IS NULL)").await;
    assert!(app.commit_payment_run(&second, again.id).await.is_err());
    assert_eq!(paid_rows(app).await, 0);
}

#[tokio::test]
async fn held_lines_are_shown_not_paid_and_are_paid_after_the_hold_is_lifted() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let Principal::Provider { provider_id, .. } = &w.provider else {
        panic!()
    };
    let hold = app
        .place_hold(
            &finance,
            &HoldInput {
                provider_id: provider_id.to_string(),
                service_id: String::new(),
                reason: "Contract review".into(),
            },
        )
        .await
        .unwrap();
    // A hold needs a reason.
    assert!(matches!(
        app.place_hold(
            &finance,
            &HoldInput {
                provider_id: provider_id.to_string(),
                ..Default::default()
            }
        )
        .await,
        Err(AppError::Invalid(_))
    ));
    let run = prepare(app, &finance, p08()).await;
    assert!(run.held_pence > 0);
    let preview = app.payment_run(&finance, run.id).await.unwrap();
    assert!(preview
        .summary
        .held_lines
        .iter()
        .all(|l| l.line.provider_id == *provider_id && l.line.reason.contains("Contract review")));
    app.approve_payment_run(&second, run.id).await.unwrap();
    app.commit_payment_run(&second, run.id).await.unwrap();
    let paid = app.db_for_tests().paid_lines(run.id, None).await.unwrap();
    assert!(paid.iter().all(|l| l.provider_id != *provider_id));
    // The provider sees nothing paid for P08, and no remittance.
    assert!(app
        .remittance_pdf(&w.provider, run.id, *provider_id)
        .await
        .is_err());
    app.lift_hold(&finance, hold.id).await.unwrap();
    let next = prepare(app, &finance, p09()).await;
    let carried: i64 = app
        .db_for_tests()
        .run_lines(next.id, None)
        .await
        .unwrap()
        .iter()
        .filter(|l| {
            l.provider_id == *provider_id
                && l.period_start == p08().to_string()
                && l.state.is_empty()
        })
        .map(|l| l.amount_pence)
        .sum();
    assert_eq!(
        carried, run.held_pence,
        "what was held is paid after the hold"
    );
}

#[tokio::test]
async fn a_long_term_client_with_no_benefit_status_is_an_exception_and_not_paid() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let run = prepare(app, &finance, p08()).await;
    let lines = app.db_for_tests().run_lines(run.id, None).await.unwrap();
    let exceptions: Vec<_> = lines
        .iter()
        .filter(|l| l.state == "benefit_not_known")
        .collect();
    assert!(!exceptions.is_empty());
    assert!(exceptions.iter().all(|l| l.amount_pence == 0));
    assert!(exceptions[0].reason.contains("record it on the client"));
    assert_eq!(
        run.exceptions_count as usize,
        lines
            .iter()
            .filter(|l| !l.state.is_empty() && l.state != "held")
            .count()
    );
}

#[tokio::test]
async fn who_may_see_and_do_what_with_payments() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    // Only finance officers prepare.
    for who in [&w.officer, &w.board] {
        assert!(app.prepare_payment_run(who, p08()).await.is_err());
    }
    assert!(matches!(
        app.prepare_payment_run(&w.provider, p08()).await,
        Err(AppError::NotFound)
    ));
    let run = prepare(app, &finance, p08()).await;
    app.approve_payment_run(&second, run.id).await.unwrap();
    app.commit_payment_run(&second, run.id).await.unwrap();
    // The board sees the totals only.
    let board = app.payment_run(&w.board, run.id).await.unwrap();
    assert_eq!(board.summary.payable.0, run.payable_pence);
    assert!(board.summary.services.is_empty() && board.summary.exceptions.is_empty());
    assert!(app.payment_run_table(&w.board, run.id).await.is_err());
    // A provider sees its own remittance, never another's, and no run in the back office.
    let Principal::Provider { provider_id, .. } = &w.provider else {
        panic!()
    };
    let (_, pdf) = app
        .remittance_pdf(&w.provider, run.id, *provider_id)
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let other = app
        .db_for_tests()
        .paid_lines(run.id, None)
        .await
        .unwrap()
        .iter()
        .map(|l| l.provider_id)
        .find(|p| p != provider_id)
        .unwrap();
    assert!(matches!(
        app.remittance_pdf(&w.provider, run.id, other).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        app.payment_run(&w.provider, run.id).await,
        Err(AppError::NotFound)
    ));
    let mine = app.provider_payments(&w.provider).await.unwrap();
    assert_eq!(mine.paid.len(), 1);
    assert_eq!(mine.timetable.len(), 13);
    // A limited user sees only the lines of their services.
    if let Principal::Provider {
        service_scope: Some(scope),
        ..
    } = &w.limited
    {
        match app.remittance_csv(&w.limited, run.id, *provider_id).await {
            Ok(csv) => {
                let text = String::from_utf8(csv).unwrap();
                let names = app
                    .db_for_tests()
                    .paid_lines(run.id, Some(*provider_id))
                    .await
                    .unwrap();
                let outside = names
                    .iter()
                    .filter(|l| l.service_id.is_some_and(|s| !scope.contains(&s)))
                    .count();
                assert!(text.lines().count() - 1 <= names.len() - outside);
            }
            Err(e) => assert!(matches!(e, AppError::NotFound)),
        }
    }
    // The finance file has a row per provider and cost centre, with the run's reference.
    let csv = String::from_utf8(app.finance_export_csv(&finance, run.id).await.unwrap()).unwrap();
    assert!(csv.contains("supplier_reference,payment_date,amount,cost_centre,run_id"));
    assert!(csv.contains(&format!("HEARTH-{}", run.id)));
}

#[tokio::test]
async fn of_two_commits_at_once_one_pays_and_the_other_is_told_the_run_moved() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let run = prepare(app, &finance, p08()).await;
    app.approve_payment_run(&second, run.id).await.unwrap();
    let (a, b) = tokio::join!(
        app.commit_payment_run(&finance, run.id),
        app.commit_payment_run(&second, run.id)
    );
    let (ok, refused) = match (a, b) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => (1, e),
        other => panic!("exactly one commit pays: {other:?}"),
    };
    assert_eq!(ok, 1);
    // Not "the records changed": the run was paid by the other.
    assert!(
        matches!(&refused, AppError::Conflict(c, _) if c.as_str() == "already_decided"),
        "{refused:?}"
    );
    assert_eq!(
        app.payment_run(&finance, run.id).await.unwrap().run.status,
        "committed"
    );
    assert_eq!(paid_rows(app).await, run.lines_count - run.exceptions_count);
}

#[tokio::test]
async fn a_limited_user_sees_only_what_is_held_of_their_services() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let Principal::Provider {
        provider_id,
        service_scope: Some(scope),
        ..
    } = &w.limited
    else {
        panic!("the demo's limited user has a service scope")
    };
    // Hold the whole organisation: the limited user is told only of their services' part.
    app.place_hold(
        &finance,
        &HoldInput {
            provider_id: provider_id.to_string(),
            service_id: String::new(),
            reason: "Contract review".into(),
        },
    )
    .await
    .unwrap();
    let run = prepare(app, &finance, p08()).await;
    app.approve_payment_run(&second, run.id).await.unwrap();
    app.commit_payment_run(&second, run.id).await.unwrap();
    let held = app
        .db_for_tests()
        .run_lines(run.id, Some(*provider_id))
        .await
        .unwrap();
    let all: i64 = held
        .iter()
        .filter(|l| l.state == "held")
        .map(|l| l.amount_pence)
        .sum();
    let theirs: i64 = held
        .iter()
        .filter(|l| l.state == "held" && l.service_id.is_some_and(|s| scope.contains(&s)))
        .map(|l| l.amount_pence)
        .sum();
    assert!(
        all > theirs,
        "the organisation has services outside the scope held too"
    );
    let seen = app.provider_payments(&w.limited).await.unwrap();
    assert_eq!(seen.held.0, theirs);
}

#[tokio::test]
async fn the_providers_reports_add_up_to_what_was_paid_and_show_only_its_own() {
    use hearth_app::payments::{BenefitInput, ChargeInput};
    use hearth_domain::payments::PaymentReport;
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let run = prepare(app, &finance, p08()).await;
    app.approve_payment_run(&second, run.id).await.unwrap();
    app.commit_payment_run(&second, run.id).await.unwrap();
    let Principal::Provider { provider_id, .. } = &w.provider else {
        panic!("the demo's provider user")
    };
    let pid = *provider_id;
    // One of the provider's clients is found not in receipt from P08's start and assessed
    // at £10 a week: P09 pays its own period less the charge and recovers P08's charge.
    let client = testing::scalar_i64(
        app.db_for_tests(),
        &format!(
            "SELECT MIN(cs.client_id) FROM client_schedules cs JOIN services s ON s.id = cs.service_id
             WHERE s.provider_id = {pid} AND s.term = 'long' AND cs.end_date IS NULL"
        ),
    )
    .await
    .unwrap();
    app.record_benefit(
        &w.officer,
        client,
        &BenefitInput {
            from_date: "19/10/2026".into(),
            status: "not_in_receipt".into(),
        },
    )
    .await
    .unwrap();
    app.record_charge(
        &w.officer,
        client,
        &ChargeInput {
            from_date: "19/10/2026".into(),
            kind: "amount".into(),
            weekly_charge: "10.00".into(),
        },
    )
    .await
    .unwrap();
    let next = prepare(app, &finance, p09()).await;
    app.approve_payment_run(&second, next.id).await.unwrap();
    app.commit_payment_run(&second, next.id).await.unwrap();
    let paid: i64 = app
        .db_for_tests()
        .paid_lines(next.id, Some(pid))
        .await
        .unwrap()
        .iter()
        .map(|l| l.amount_pence)
        .sum();
    // Every report of every service adds up to what the provider was paid.
    for r in PaymentReport::ALL {
        let d = app
            .payment_report(&w.provider, next.id, pid, *r, None)
            .await
            .unwrap();
        let total: i64 = d.sections.iter().map(|s| s.total.0).sum();
        match r {
            PaymentReport::ClientMeans => {
                // The means schedule totals the charges: four weeks at £10.
                assert_eq!(total, 4000, "{r:?}");
            }
            PaymentReport::ServiceAdjustments | PaymentReport::ClientAdjustments => {
                assert_eq!(total, -4000, "{r:?}: P08's charge recovered");
            }
            _ => assert_eq!(total, paid, "{r:?}"),
        }
        let (name, pdf) = app
            .payment_report_pdf(&w.provider, next.id, pid, *r, None)
            .await
            .unwrap();
        assert!(pdf.starts_with(b"%PDF-") && name.ends_with(".pdf"));
        let (_, csv) = app
            .payment_report_csv(&w.provider, next.id, pid, *r, None)
            .await
            .unwrap();
        assert!(String::from_utf8(csv).unwrap().lines().count() > 1, "{r:?}");
    }
    let adj = app
        .payment_report(
            &w.provider,
            next.id,
            pid,
            PaymentReport::ClientAdjustments,
            None,
        )
        .await
        .unwrap();
    let row = adj
        .sections
        .iter()
        .flat_map(|s| s.rows.iter())
        .find(|r| r[4].starts_with("Charge changed"))
        .expect("the client's adjustment with its reason");
    assert_eq!(row[1], "2026/27 P08");
    let means = app
        .payment_report(&w.provider, next.id, pid, PaymentReport::ClientMeans, None)
        .await
        .unwrap();
    assert!(means.sections.iter().flat_map(|s| s.rows.iter()).any(|r| {
        r[2] == "Not in receipt of housing benefit"
            && r[3] == "Assessed weekly charge"
            && r[4] == "£10.00"
    }));
    // Another provider's reports, and the board's, are refused.
    let other = app
        .db_for_tests()
        .paid_lines(next.id, None)
        .await
        .unwrap()
        .iter()
        .map(|l| l.provider_id)
        .find(|p| *p != pid)
        .unwrap();
    assert!(matches!(
        app.payment_report(
            &w.provider,
            next.id,
            other,
            PaymentReport::PaymentItems,
            None
        )
        .await,
        Err(AppError::NotFound)
    ));
    assert!(app
        .payment_report(&w.board, next.id, pid, PaymentReport::PaymentItems, None)
        .await
        .is_err());
    // A limited user: their services only, and a service outside them is not found.
    let Principal::Provider {
        service_scope: Some(scope),
        provider_id: lp,
        ..
    } = &w.limited
    else {
        panic!("the demo's limited user has a service scope")
    };
    let lines = app
        .db_for_tests()
        .paid_lines(next.id, Some(*lp))
        .await
        .unwrap();
    let outside = lines
        .iter()
        .filter_map(|l| l.service_id)
        .find(|s| !scope.contains(s))
        .expect("the limited user's organisation has services outside their scope");
    {
        assert!(matches!(
            app.payment_report(
                &w.limited,
                next.id,
                *lp,
                PaymentReport::PaymentItems,
                Some(outside)
            )
            .await,
            Err(AppError::NotFound)
        ));
    }
    {
        let d = app
            .payment_report(&w.limited, next.id, *lp, PaymentReport::PaymentItems, None)
            .await
            .unwrap();
        let rows: usize = d.sections.iter().map(|s| s.rows.len()).sum();
        let inside = lines
            .iter()
            .filter(|l| l.service_id.is_some_and(|s| scope.contains(&s)))
            .count();
        assert_eq!(rows, inside);
    }
}

#[tokio::test]
async fn a_preparation_whose_job_run_is_stopped_shows_as_failed_and_can_be_prepared_again() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let run = app.prepare_payment_run(&finance, p08()).await.unwrap();
    app.cancel_run(&finance, run.job_run_id.unwrap())
        .await
        .unwrap();
    // The list of runs says so too.
    let listed = app.payment_runs(&finance).await.unwrap();
    assert_eq!(
        listed.iter().find(|r| r.id == run.id).unwrap().status,
        "failed"
    );
    let seen = app.payment_run(&finance, run.id).await.unwrap();
    assert_eq!(seen.run.status, "failed");
    assert!(
        seen.failure.is_none(),
        "the list stored it: the page shows the stored failure"
    );
    assert!(seen.job.is_none(), "the page stops following the job run");
    // Stored, not only shown.
    assert_eq!(
        app.db_for_tests()
            .payment_run(run.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "failed"
    );
    let again = prepare(app, &finance, p08()).await;
    assert_eq!(again.status, "prepared");
}

#[tokio::test]
async fn a_period_that_has_not_begun_cannot_be_prepared() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let later = app.today() + chrono::Duration::days(60);
    match app.prepare_payment_run(&finance, later).await {
        Err(AppError::Invalid(e)) => {
            assert!(
                e.get("period")
                    .unwrap()
                    .contains("nothing is due for it yet"),
                "{e:?}"
            )
        }
        other => panic!("refused beside the period: {other:?}"),
    }
    assert!(app.payment_runs(&finance).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_uplift_makes_new_rates_a_letter_per_provider_and_back_dated_adjustments() {
    use hearth_app::uplifts::UpliftInput;
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let run = prepare(app, &finance, p08()).await;
    app.approve_payment_run(&second, run.id).await.unwrap();
    app.commit_payment_run(&second, run.id).await.unwrap();
    let input = |percent: &str| UpliftInput {
        percent: percent.into(),
        from_date: "19/10/2026".into(),
        contract_id: String::new(),
        reason: String::new(),
    };
    // Bad input is refused beside its field and changes nothing; an officer may not uplift.
    let rates_before =
        testing::scalar_i64(app.db_for_tests(), "SELECT COUNT(*) FROM contract_rates")
            .await
            .unwrap();
    for bad in ["", "abc", "0", "30"] {
        match app.apply_uplift(&finance, &input(bad)).await {
            Err(AppError::Invalid(e)) => assert!(e.get("percent").is_some(), "{bad}: {e:?}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert!(matches!(
        app.apply_uplift(&w.officer, &input("2.5")).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(
        testing::scalar_i64(app.db_for_tests(), "SELECT COUNT(*) FROM contract_rates")
            .await
            .unwrap(),
        rates_before
    );
    let mails = || async {
        testing::scalar_i64(
            app.db_for_tests(),
            "SELECT COUNT(*) FROM outbox WHERE subject LIKE 'Your unit rates from%'",
        )
        .await
        .unwrap()
    };
    // 2.5% from P08's start, which is paid: every per-client contract in force has a new
    // rate, rounded half up, and each provider a letter.
    let paid = app.db_for_tests().paid_lines(run.id, None).await.unwrap();
    let one = paid
        .iter()
        .find(|l| l.kind == "subsidy" && l.days == 28 && l.units > 0)
        .unwrap()
        .clone();
    let done = app.apply_uplift(&finance, &input("2.5")).await.unwrap();
    assert!(done.contracts > 0 && done.providers > 0, "{done:?}");
    assert_eq!(mails().await, done.providers as i64);
    let rates = app
        .contract_rates(&finance, one.contract_id.unwrap())
        .await
        .unwrap();
    let new = rates.iter().find(|r| r.from == p08()).unwrap();
    assert_eq!(
        new.weekly_unit_rate,
        hearth_domain::payments::uplifted(hearth_domain::Pence(one.rate_pence), 250)
    );
    // Again from the same date: every contract already has that rate; nothing is doubled.
    let again = app.apply_uplift(&finance, &input("2.5")).await.unwrap();
    assert_eq!((again.contracts, again.skipped), (0, done.contracts));
    // The next run pays P08's difference as an adjustment with its reason.
    let next = prepare(app, &finance, p09()).await;
    let adj = app
        .db_for_tests()
        .run_lines(next.id, None)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.kind == "adjustment" && l.schedule_id == one.schedule_id)
        .expect("the uplift's difference for P08");
    assert_eq!(adj.period_start, p08().to_string());
    assert!(
        adj.reason.starts_with("Unit rate changed"),
        "{}",
        adj.reason
    );
    assert_eq!(
        adj.amount_pence,
        (new.weekly_unit_rate.0 - one.rate_pence) * one.units * 4
    );
    // The provider reads its letters; another provider's contract's letter is not found.
    let changes = app.provider_rate_changes(&w.provider).await.unwrap();
    let mine = changes.first().expect("the provider's rate changes");
    assert!(mine
        .rate
        .reason
        .starts_with("Uplift of 2.5% from 19 October 2026"));
    let (_, pdf) = app
        .rate_letter_pdf(&w.provider, mine.rate.contract_id, mine.rate.id)
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let Principal::Provider { provider_id, .. } = &w.provider else {
        panic!()
    };
    let theirs = app
        .contract_rate_changes(&finance, {
            paid.iter()
                .find(|l| l.provider_id != *provider_id && l.contract_id.is_some())
                .and_then(|l| l.contract_id)
                .unwrap()
        })
        .await
        .unwrap();
    let other = theirs.first().unwrap();
    assert!(matches!(
        app.rate_letter_pdf(&w.provider, other.rate.contract_id, other.rate.id)
            .await,
        Err(AppError::NotFound)
    ));
}

/// The property of paying by differences: for random histories of back-dated changes (units,
/// starts, ends, rates, housing benefit and charges, each dated into periods already paid)
/// between runs, once each run is paid, what was paid for every schedule and period is what a
/// recomputation from scratch says is due: the next run finds no adjustment to make, and
/// nothing is ever recovered beyond what was paid.
#[tokio::test]
async fn for_random_back_dated_histories_what_was_paid_is_what_is_due() {
    use hearth_app::payments::{BenefitInput, ChargeInput, RateInput};
    use rand::{Rng, SeedableRng};
    let periods: Vec<NaiveDate> = (0..5)
        .map(|i| p08() + chrono::Duration::days(28 * i))
        .collect();
    for seed in 0..5u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let w = common::world(testing::sqlite().await.unwrap()).await;
        let clock = std::sync::Arc::new(hearth_domain::clock::FixedClock::at(0));
        let app = &w.app.clone().with_clock(clock.clone());
        let finance = principal(app, "finance").await;
        let second = principal(app, "payments").await;
        all_in_receipt(app).await;
        let aid = finance.authority_id();
        let inputs = app
            .db_for_tests()
            .payment_inputs(aid, "2026-10-19", "2027-03-07")
            .await
            .unwrap();
        let contracts: Vec<(i64, String)> = inputs
            .contracts
            .iter()
            .map(|c| (c.id, c.start_date.clone()))
            .collect();
        let mut changes = Vec::new();
        let mut adjusted = 0;
        for (i, p) in periods.iter().enumerate() {
            // A few days after the period ends, its run is prepared and paid.
            let day = *p + chrono::Duration::days(31);
            clock.set(day.and_hms_opt(10, 0, 0).unwrap().and_utc().timestamp());
            let last = i == periods.len() - 1;
            if i > 0 && !last {
                for _ in 0..rng.gen_range(2..6) {
                    let s = &inputs.schedules[rng.gen_range(0..inputs.schedules.len())];
                    // A day of a period already paid.
                    let back = periods[0] + chrono::Duration::days(rng.gen_range(0..28 * i as i64));
                    match rng.gen_range(0..5) {
                        0 => {
                            let units = rng.gen_range(1..4);
                            exec(app, &format!("UPDATE client_schedules SET units_per_week = {units} WHERE id = {}", s.id)).await;
                            changes.push(format!("schedule {} units {units}", s.id));
                        }
                        1 => {
                            exec(app, &format!("UPDATE client_schedules SET end_date = '{back}' WHERE id = {} AND start_date <= '{back}'", s.id)).await;
                            changes.push(format!("schedule {} ends {back}", s.id));
                        }
                        2 => {
                            exec(app, &format!("UPDATE client_schedules SET start_date = '{back}' WHERE id = {} AND (end_date IS NULL OR end_date >= '{back}')", s.id)).await;
                            changes.push(format!("schedule {} starts {back}", s.id));
                        }
                        3 => {
                            let (c, start) = &contracts[rng.gen_range(0..contracts.len())];
                            if start.as_str() < back.to_string().as_str() {
                                let pounds = rng.gen_range(40..120);
                                // A rate from a date already used is refused: that is fine.
                                let _ = app
                                    .add_contract_rate(
                                        &finance,
                                        *c,
                                        &RateInput {
                                            from_date: back.to_string(),
                                            rate: format!("{pounds}.{:02}", rng.gen_range(0..100)),
                                            reason: "Back-dated".into(),
                                        },
                                    )
                                    .await;
                                changes.push(format!("contract {c} rate £{pounds} from {back}"));
                            }
                        }
                        _ => {
                            let charge = rng.gen_range(0..3000);
                            let ok = app
                                .record_benefit(
                                    &w.officer,
                                    s.client_id,
                                    &BenefitInput {
                                        from_date: back.to_string(),
                                        status: "not_in_receipt".into(),
                                    },
                                )
                                .await
                                .is_ok();
                            if ok {
                                let _ = app
                                    .record_charge(
                                        &w.officer,
                                        s.client_id,
                                        &ChargeInput {
                                            from_date: back.to_string(),
                                            kind: "amount".into(),
                                            weekly_charge: format!(
                                                "{}.{:02}",
                                                charge / 100,
                                                charge % 100
                                            ),
                                        },
                                    )
                                    .await;
                                changes.push(format!(
                                    "client {} charged {charge}p from {back}",
                                    s.client_id
                                ));
                            }
                        }
                    }
                }
            }
            let run = prepare(app, &finance, *p).await;
            let lines = app.db_for_tests().run_lines(run.id, None).await.unwrap();
            if last {
                // Nothing changed since the last run was paid: everything paid is due.
                let adjusting: Vec<_> = lines
                    .iter()
                    .filter(|l| l.kind == "adjustment" && l.state.is_empty())
                    .collect();
                assert!(
                    adjusting.is_empty(),
                    "seed {seed}: after {changes:?}, the next run still adjusts {} lines, such as {:?}",
                    adjusting.len(),
                    adjusting.iter().take(3).collect::<Vec<_>>()
                );
                break;
            }
            adjusted += lines
                .iter()
                .filter(|l| l.kind == "adjustment" && l.state.is_empty())
                .count();
            app.approve_payment_run(&second, run.id).await.unwrap();
            app.commit_payment_run(&second, run.id).await.unwrap();
        }
        assert!(
            adjusted > 0,
            "seed {seed}: the history made adjustments to pay"
        );
        // Never recovered beyond what was paid: every schedule and period's sum is ≥ 0.
        let mut sums: std::collections::HashMap<(i64, String), i64> = Default::default();
        for r in app.payment_runs(&finance).await.unwrap() {
            for l in app.db_for_tests().paid_lines(r.id, None).await.unwrap() {
                if let Some(s) = l.schedule_id {
                    *sums.entry((s, l.period_start.clone())).or_default() += l.amount_pence;
                }
            }
        }
        assert!(
            sums.values().all(|v| *v >= 0),
            "seed {seed}: {:?}",
            sums.iter().filter(|(_, v)| **v < 0).collect::<Vec<_>>()
        );
        assert!(!changes.is_empty());
    }
}

#[tokio::test]
async fn where_the_authority_collects_charges_providers_are_paid_in_full_and_clients_invoiced() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let client = testing::scalar_i64(
        app.db_for_tests(),
        "SELECT MIN(cs.client_id) FROM client_schedules cs JOIN services s ON s.id = cs.service_id
         WHERE s.term = 'long' AND cs.end_date IS NULL",
    )
    .await
    .unwrap();
    exec(app, &format!("INSERT INTO client_benefits (client_id, from_date, status, created_by_name, created_at) VALUES ({client}, '2026-01-01', 'not_in_receipt', 'test', 0)")).await;
    exec(app, &format!("INSERT INTO client_charges (client_id, from_date, kind, weekly_charge_pence, created_by_name, created_at) VALUES ({client}, '2026-01-01', 'amount', 1250, 'test', 0)")).await;
    // Where providers collect (the default), there are no invoices, and the charge is
    // deducted from the provider's payment.
    let collected = prepare(app, &finance, p08()).await;
    let line = app
        .db_for_tests()
        .run_lines(collected.id, None)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.client_id == Some(client) && l.kind == "subsidy")
        .unwrap();
    assert_eq!(line.charge_pence, 5000);
    assert_eq!(line.amount_pence, line.due_pence - 5000);
    exec(
        app,
        &format!(
            "INSERT INTO settings (name, value) VALUES ('payments_provider_collects:{}', 'false')",
            finance.authority_id()
        ),
    )
    .await;
    let run = prepare(app, &finance, p08()).await;
    let line = app
        .db_for_tests()
        .run_lines(run.id, None)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.client_id == Some(client) && l.kind == "subsidy")
        .unwrap();
    assert_eq!(line.charge_pence, 5000, "the charge stays on the line");
    assert_eq!(
        line.amount_pence, line.due_pence,
        "the provider is paid in full"
    );
    // Not before it is paid.
    assert!(matches!(
        app.client_invoices(&finance, run.id).await,
        Err(AppError::Conflict(..))
    ));
    app.approve_payment_run(&second, run.id).await.unwrap();
    app.commit_payment_run(&second, run.id).await.unwrap();
    let (_, invoices) = app.client_invoices(&finance, run.id).await.unwrap();
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].client_id, client);
    assert_eq!(invoices[0].total.0, 5000, "four weeks at £12.50");
    let (name, pdf) = app
        .client_invoice_pdf(&finance, run.id, client)
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-") && name.starts_with("invoice-"));
    // Another client has no invoice; the board and providers may not see them.
    assert!(matches!(
        app.client_invoice_pdf(&finance, run.id, client + 100_000)
            .await,
        Err(AppError::NotFound)
    ));
    assert!(app.client_invoices(&w.board, run.id).await.is_err());
    assert!(matches!(
        app.client_invoices(&w.provider, run.id).await,
        Err(AppError::NotFound)
    ));
}

#[tokio::test]
async fn payment_settings_are_changed_by_finance_officers_checked_audited_and_decide_what_is_adjusted(
) {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let settings_rows = || async {
        testing::scalar_i64(
            app.db_for_tests(),
            "SELECT COUNT(*) FROM settings WHERE name LIKE 'payments%'",
        )
        .await
        .unwrap()
    };
    let usual = SettingsInput {
        anchor: "2026-04-06".into(),
        provider_collects: "yes".into(),
        charge_short_term: "no".into(),
        adjust_years: "1".into(),
    };
    let (now, free) = app.payment_settings_of(&finance).await.unwrap();
    assert!(free, "nothing is paid yet");
    assert_eq!(SettingsInput::of(&now).adjust_years, "1");
    // Officers who are not finance officers may read them, not change them.
    assert!(app.payment_settings_of(&w.officer).await.is_ok());
    assert!(app.save_payment_settings(&w.officer, &usual).await.is_err());
    assert!(app.payment_settings_of(&w.provider).await.is_err());
    // Bad input is told beside each field and changes nothing.
    let bad = SettingsInput {
        anchor: "31/2/2026".into(),
        provider_collects: "maybe".into(),
        charge_short_term: String::new(),
        adjust_years: "9".into(),
    };
    match app.save_payment_settings(&finance, &bad).await {
        Err(AppError::Invalid(e)) => {
            for field in [
                "anchor",
                "provider_collects",
                "charge_short_term",
                "adjust_years",
            ] {
                assert!(e.get(field).is_some(), "{field}: {e:?}");
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(settings_rows().await, 0);
    assert_eq!(
        app.save_payment_settings(&finance, &usual).await.unwrap(),
        0
    );
    assert_eq!(settings_rows().await, 0, "nothing changed, nothing written");

    // Last year's last period is paid.
    let last_year = ymd(2026, 3, 9);
    let run = prepare(app, &finance, last_year).await;
    app.approve_payment_run(&second, run.id).await.unwrap();
    app.commit_payment_run(&second, run.id).await.unwrap();
    // The periods cannot move now.
    let moved = SettingsInput {
        anchor: "2026-04-13".into(),
        ..usual.clone()
    };
    match app.save_payment_settings(&finance, &moved).await {
        Err(AppError::Invalid(e)) => {
            assert!(e.get("anchor").unwrap().contains("cannot move"), "{e:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!app.payment_settings_of(&finance).await.unwrap().1);

    // Every schedule had one more unit a week all along: with the usual setting, this
    // year's run adjusts last year's period.
    exec(
        app,
        "UPDATE client_schedules SET units_per_week = units_per_week + 1",
    )
    .await;
    let of_last_year = |lines: &[hearth_store::PayLine]| {
        lines
            .iter()
            .filter(|l| l.period_start == last_year.to_string() && l.kind == "adjustment")
            .count()
    };
    let with = prepare(app, &finance, p08()).await;
    let lines = app.db_for_tests().run_lines(with.id, None).await.unwrap();
    assert!(of_last_year(&lines) > 0, "last year's period is adjusted");
    // A finance officer says only the run's own year may be adjusted.
    let this_year_only = SettingsInput {
        adjust_years: "0".into(),
        ..usual.clone()
    };
    assert_eq!(
        app.save_payment_settings(&finance, &this_year_only)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.payment_settings_of(&finance)
            .await
            .unwrap()
            .0
            .adjust_years,
        0
    );
    let audited = testing::scalar_i64(
        app.db_for_tests(),
        "SELECT COUNT(*) FROM audit_log WHERE record_type = 'setting' AND record_id LIKE 'payments_adjust_years:%' AND actor = 'finance'",
    )
    .await
    .unwrap();
    assert_eq!(
        audited, 1,
        "the change is in the audit trail, as its officer"
    );
    // The run prepared before the change is stale when it is approved.
    assert!(app.approve_payment_run(&second, with.id).await.is_err());
    let without = prepare(app, &finance, p08()).await;
    let lines = app
        .db_for_tests()
        .run_lines(without.id, None)
        .await
        .unwrap();
    assert_eq!(of_last_year(&lines), 0, "last year's period is left alone");
    assert!(!lines.is_empty());
}

#[tokio::test]
async fn an_assessment_recorded_by_mistake_is_removed_with_its_reason_and_the_next_run_repays_it() {
    use hearth_app::payments::{BenefitInput, ChargeInput, ClientEntry, RemoveInput};
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let app = &w.app;
    let finance = principal(app, "finance").await;
    let second = principal(app, "payments").await;
    all_in_receipt(app).await;
    let client = testing::scalar_i64(
        app.db_for_tests(),
        "SELECT MIN(cs.client_id) FROM client_schedules cs JOIN services s ON s.id = cs.service_id
         WHERE s.term = 'long' AND cs.end_date IS NULL",
    )
    .await
    .unwrap();
    // Recorded against the wrong client: not in receipt, charged £12.50 a week.
    app.record_benefit(
        &w.officer,
        client,
        &BenefitInput {
            from_date: "1/1/2026".into(),
            status: "not_in_receipt".into(),
        },
    )
    .await
    .unwrap();
    app.record_charge(
        &w.officer,
        client,
        &ChargeInput {
            from_date: "1/1/2026".into(),
            kind: "amount".into(),
            weekly_charge: "12.50".into(),
        },
    )
    .await
    .unwrap();
    let run = prepare(app, &finance, p08()).await;
    app.approve_payment_run(&second, run.id).await.unwrap();
    app.commit_payment_run(&second, run.id).await.unwrap();
    let (benefits, charges) = app.client_finance(&w.officer, client).await.unwrap();
    let wrong_status = benefits
        .iter()
        .find(|b| b.status == "not_in_receipt")
        .unwrap()
        .id;
    let wrong_charge = charges[0].id;
    let because = RemoveInput {
        reason: "Recorded against the wrong client".into(),
    };
    // A reason is needed, and without one nothing is removed.
    match app
        .remove_client_entry(
            &w.officer,
            client,
            ClientEntry::Charge(wrong_charge),
            &RemoveInput { reason: " ".into() },
        )
        .await
    {
        Err(AppError::Invalid(e)) => assert!(e.get("reason").is_some()),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        app.client_finance(&w.officer, client)
            .await
            .unwrap()
            .1
            .len(),
        1
    );
    // The board may not; a provider does not find it; another client's id is not found.
    assert!(app
        .remove_client_entry(
            &w.board,
            client,
            ClientEntry::Charge(wrong_charge),
            &because
        )
        .await
        .is_err());
    assert!(matches!(
        app.remove_client_entry(
            &w.provider,
            client + 100_000,
            ClientEntry::Charge(wrong_charge),
            &because
        )
        .await,
        Err(AppError::NotFound)
    ));
    let other = testing::scalar_i64(
        app.db_for_tests(),
        &format!("SELECT MIN(client_id) FROM client_benefits WHERE client_id <> {client}"),
    )
    .await
    .unwrap();
    assert!(matches!(
        app.remove_client_entry(
            &w.officer,
            other,
            ClientEntry::Benefit(wrong_status),
            &because
        )
        .await,
        Err(AppError::NotFound)
    ));
    app.remove_client_entry(
        &w.officer,
        client,
        ClientEntry::Charge(wrong_charge),
        &because,
    )
    .await
    .unwrap();
    app.remove_client_entry(
        &w.officer,
        client,
        ClientEntry::Benefit(wrong_status),
        &because,
    )
    .await
    .unwrap();
    let (benefits, charges) = app.client_finance(&w.officer, client).await.unwrap();
    assert!(charges.is_empty());
    assert!(benefits.iter().all(|b| b.status == "in_receipt"));
    let audited = testing::scalar_i64(
        app.db_for_tests(),
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'delete' AND record_id = '{wrong_charge}' AND after_json LIKE '%wrong client%'"
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        audited, 1,
        "the removal and its reason are in the audit trail"
    );
    // The next run gives back the four weeks' charge taken in P08.
    let next = prepare(app, &finance, p09()).await;
    let back: i64 = app
        .db_for_tests()
        .run_lines(next.id, None)
        .await
        .unwrap()
        .iter()
        .filter(|l| {
            l.kind == "adjustment"
                && l.client_id == Some(client)
                && l.period_start == p08().to_string()
        })
        .map(|l| l.amount_pence)
        .sum();
    assert_eq!(back, 5000);
}
