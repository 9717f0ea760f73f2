//! Quarterly performance returns by web form and their checking (C4), on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::world;

use hearth_app::returns::{
    ReturnForm, ACCEPTED, EXPLAINED, EXPLANATION_REQUESTED, INCOMPLETE, REPLACED,
};
use hearth_app::{AppError, Principal};
use hearth_domain::performance::{DueDays, LocalIndicatorCode, Quarter};
use hearth_domain::workflow::returns::Decision;
use hearth_domain::{AccountHelpKind, ServiceType};
use hearth_store::testing;

fn last_quarter(w: &common::World) -> String {
    Quarter::for_date(w.app.today()).previous().label()
}

/// A return where every figure meets its default trigger (for a service of `units` units).
fn good_for(q: &str, units: i64) -> ReturnForm {
    let days = i64::from(Quarter::parse(q).unwrap().days());
    ReturnForm {
        occupied_unit_days: (units * days * 95 / 100).to_string(),
        ..good(q)
    }
}

fn good(q: &str) -> ReturnForm {
    ReturnForm {
        quarter: q.into(),
        service_users_supported: "20".into(),
        maintained_independent_living: "19".into(),
        new_service_users: "4".into(),
        departures: "4".into(),
        planned_departures: "4".into(),
        unavailable_unit_days: "0".into(),
        occupied_unit_days: "0".into(), // replaced by good_for where utilisation matters
        support_hours_contracted: "100".into(),
        support_hours_delivered: "98".into(),
        ..Default::default()
    }
}

async fn principal(w: &common::World, name: &str) -> Principal {
    let u = w
        .app
        .db_for_tests()
        .user_by_username(name)
        .await
        .unwrap()
        .unwrap();
    w.app.principal_for(u, None).await.unwrap().unwrap()
}

async fn floating_service(w: &common::World) -> hearth_store::Service {
    let mut f = w.provider.service_filter();
    f.per_page = 100;
    let all = w.app.db_for_tests().list_services(&f).await.unwrap().items;
    all.iter()
        .find(|s| s.service_type == "floating_support")
        .or(all.first())
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_return_below_a_trigger_needs_an_explanation_before_it_is_accepted() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let s = floating_service(&w).await;
        let q = last_quarter(&w);
        let mut bad = good(&q);
        bad.maintained_independent_living = "10".into(); // 50% against a 90% trigger
        bad.support_hours_delivered = "50".into();
        let r = w.app.submit_return(&w.provider, s.id, &bad).await.unwrap();
        let v = w.app.return_view(&w.officer, r.id).await.unwrap();
        assert!(v.breaches() >= 1, "{name}: a breach is found");
        let marker = v
            .indicators
            .iter()
            .find_map(|f| f.breach.as_ref())
            .unwrap()
            .breach_text();
        assert!(
            marker.starts_with("Below trigger of"),
            "{name}: a text marker, not colour alone: {marker}"
        );
        let Err(AppError::Invalid(e)) = w
            .app
            .check_return(&w.officer, r.id, Decision::Accept, "", false)
            .await
        else {
            panic!("{name}")
        };
        assert!(e.get("decision").unwrap().contains("explanation"), "{name}");
        w.app
            .check_return(
                &w.officer,
                r.id,
                Decision::AskForExplanation,
                "Why so low?",
                false,
            )
            .await
            .unwrap();
        assert_eq!(
            w.app
                .return_view(&w.provider, r.id)
                .await
                .unwrap()
                .ret
                .status,
            EXPLANATION_REQUESTED
        );
        assert!(
            matches!(
                w.app.explain_return(&w.provider, r.id, " ").await,
                Err(AppError::Invalid(_))
            ),
            "{name}"
        );
        let explained = w
            .app
            .explain_return(&w.provider, r.id, "Two staff vacancies, now filled")
            .await
            .unwrap();
        assert_eq!(explained.status, EXPLAINED, "{name}");
        // Escalation goes to the contracts manager, who alone decides it then.
        w.app
            .check_return(
                &w.officer,
                r.id,
                Decision::Escalate,
                "Third quarter running",
                false,
            )
            .await
            .unwrap();
        assert!(
            matches!(
                w.app
                    .check_return(&w.officer, r.id, Decision::Accept, "", false)
                    .await,
                Err(AppError::Conflict(..))
            ),
            "{name}"
        );
        let contracts = principal(&w, "contracts").await;
        let accepted = w
            .app
            .check_return(
                &contracts,
                r.id,
                Decision::Accept,
                "Accepted with the plan",
                false,
            )
            .await
            .unwrap();
        assert_eq!(accepted.status, ACCEPTED, "{name}");
        assert_eq!(
            accepted.checked_by_name.as_deref(),
            Some("contracts"),
            "{name}: who accepted"
        );
        assert!(accepted.checked_at.is_some(), "{name}: and when");
    }
}

#[tokio::test]
async fn incomplete_returns_are_corrected_and_replacements_need_confirming() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let q = last_quarter(&w);
    let good = |q: &str| good_for(q, s.contracted_units);
    let first = w
        .app
        .submit_return(&w.provider, s.id, &good(&q))
        .await
        .unwrap();
    // A second return while the first waits is refused.
    let Err(AppError::Invalid(e)) = w.app.submit_return(&w.provider, s.id, &good(&q)).await else {
        panic!()
    };
    assert!(e.get("quarter").unwrap().contains("already waiting"));
    assert!(
        matches!(
            w.app
                .check_return(&w.officer, first.id, Decision::MarkIncomplete, " ", false)
                .await,
            Err(AppError::Invalid(_))
        ),
        "reasons needed"
    );
    w.app
        .check_return(
            &w.officer,
            first.id,
            Decision::MarkIncomplete,
            "Hours delivered look wrong",
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        w.app
            .return_view(&w.provider, first.id)
            .await
            .unwrap()
            .ret
            .status,
        INCOMPLETE
    );
    let corrected = w
        .app
        .submit_return(&w.provider, s.id, &good(&q))
        .await
        .unwrap();
    assert_eq!(
        w.app
            .return_view(&w.provider, first.id)
            .await
            .unwrap()
            .ret
            .status,
        REPLACED,
        "the corrected return replaces it"
    );
    w.app
        .check_return(&w.officer, corrected.id, Decision::Accept, "", false)
        .await
        .unwrap();
    // A replacement of an accepted return is received but needs confirming.
    let replacement = w
        .app
        .submit_return(&w.provider, s.id, &good(&q))
        .await
        .unwrap();
    assert_eq!(replacement.replaces_id, Some(corrected.id));
    let Err(AppError::Invalid(e)) = w
        .app
        .check_return(&w.officer, replacement.id, Decision::Accept, "", false)
        .await
    else {
        panic!()
    };
    assert!(e.get("confirm_replacement").is_some());
    w.app
        .check_return(&w.officer, replacement.id, Decision::Accept, "", true)
        .await
        .unwrap();
    assert_eq!(
        w.app
            .return_view(&w.provider, corrected.id)
            .await
            .unwrap()
            .ret
            .status,
        REPLACED
    );
}

#[tokio::test]
async fn bad_figures_are_refused_beside_the_field_and_save_nothing() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let mut f = good(&last_quarter(&w));
    f.service_users_supported = "".into();
    f.departures = "-3".into();
    f.quarter = "2099/00 Q1".into();
    let Err(AppError::Invalid(e)) = w.app.submit_return(&w.provider, s.id, &f).await else {
        panic!()
    };
    assert!(
        e.get("service_users_supported").is_some()
            && e.get("departures").is_some()
            && e.get("quarter").is_some(),
        "{e:?}"
    );
    let mut f = good(&last_quarter(&w));
    f.planned_departures = "9".into(); // more than the 4 departures
    let Err(AppError::Invalid(e)) = w.app.submit_return(&w.provider, s.id, &f).await else {
        panic!()
    };
    assert!(e.get("planned_departures").unwrap().contains("4"), "{e:?}");
    assert!(w
        .app
        .db_for_tests()
        .service_returns(s.id)
        .await
        .unwrap()
        .is_empty());
    // Another organisation cannot submit for, or see, this service's returns.
    assert!(matches!(
        w.app
            .submit_return(&w.limited, s.id, &good(&last_quarter(&w)))
            .await,
        Err(AppError::NotFound)
    ));
    let r = w
        .app
        .submit_return(&w.provider, s.id, &good(&last_quarter(&w)))
        .await
        .unwrap();
    assert!(matches!(
        w.app.return_view(&w.limited, r.id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        w.app
            .check_return(&w.board, r.id, Decision::Accept, "", false)
            .await,
        Err(AppError::Forbidden)
    ));
}

#[tokio::test]
async fn an_explanation_can_become_an_action_and_the_home_page_counts_returns_due() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let due_before = w.app.count_returns_due(&w.provider).await.unwrap();
    assert!(due_before >= 1);
    let mut bad = good(&last_quarter(&w));
    bad.maintained_independent_living = "5".into();
    bad.explanation = "A hard winter".into();
    let r = w.app.submit_return(&w.provider, s.id, &bad).await.unwrap();
    assert_eq!(
        w.app.count_returns_due(&w.provider).await.unwrap(),
        due_before - 1
    );
    let actions_before = w
        .app
        .list_actions(&w.provider, false, None)
        .await
        .unwrap()
        .len();
    w.app
        .check_return(&w.officer, r.id, Decision::SetAction, "", false)
        .await
        .unwrap();
    let actions = w.app.list_actions(&w.provider, false, None).await.unwrap();
    assert_eq!(actions.len(), actions_before + 1);
    assert!(actions
        .iter()
        .any(|a| a.description.contains("A hard winter")));
    assert_eq!(
        w.app.returns_to_check(&w.officer).await.unwrap().len(),
        0,
        "no longer waiting"
    );
}

/// The downloaded workbook with a quarter filled in, as a provider would save it.
fn filled(service_ref: &str, q: &Quarter, units: i64, values: &[(&str, i64)]) -> Vec<u8> {
    use hearth_docs::workbook::*;
    let spec = WorkbookSpec {
        locals: Vec::new(),
        mark: mark_for(service_ref, &q.year().label(), 1),
        contract: ContractSheet {
            service_reference: service_ref.into(),
            contracted_units: units,
            ..Default::default()
        },
        quarters: Quarter::all_of(q.year())
            .iter()
            .map(|x| (x.number(), x.label(), x.days()))
            .collect(),
        indicators: Vec::new(),
        prefill: values
            .iter()
            .map(|(f, v)| (q.number(), f.to_string(), *v))
            .collect(),
    };
    write_workbook(&spec).unwrap()
}

#[tokio::test]
async fn the_workbook_round_trip_generate_fill_upload_accept() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let s = floating_service(&w).await;
        let q = Quarter::for_date(w.app.today()).previous();
        // The generated workbook is a real .xlsx with the year's mark on the quarter sheet.
        let (file, bytes) = w
            .app
            .return_workbook(&w.provider, s.id, q.year())
            .await
            .unwrap();
        assert!(
            file.ends_with(".xlsx") && bytes.starts_with(b"PK"),
            "{name}"
        );
        let sheet = hearth_docs::workbook::read_quarter(&bytes, q.number()).unwrap();
        assert_eq!(
            sheet.mark,
            hearth_docs::workbook::mark_for(&s.reference, &q.year().label(), 1),
            "{name}"
        );
        assert_eq!(
            sheet.contracted_units,
            Some(s.contracted_units as f64),
            "{name}: read from the locked contract sheet"
        );
        // Uploading it empty lists what is missing, in plain words, and saves nothing.
        let Err(AppError::Invalid(e)) = w
            .app
            .submit_return_workbook(&w.provider, s.id, q, &bytes, false, "")
            .await
        else {
            panic!("{name}")
        };
        assert!(
            e.0.iter()
                .any(|(_, m)| m.contains("Service users supported in the quarter is missing")),
            "{name}: {e:?}"
        );
        assert!(
            w.app
                .db_for_tests()
                .service_returns(s.id)
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
        // Filled in: accepted.
        let days = i64::from(q.days());
        let figures = [
            ("service_users_supported", 20),
            ("maintained_independent_living", 19),
            ("new_service_users", 3),
            ("departures", 3),
            ("planned_departures", 3),
            ("unavailable_unit_days", 0),
            ("occupied_unit_days", s.contracted_units * days * 95 / 100),
            ("support_hours_contracted", 100),
            ("support_hours_delivered", 97),
        ];
        let bytes = filled(&s.reference, &q, s.contracted_units, &figures);
        let r = w
            .app
            .submit_return_workbook(&w.provider, s.id, q, &bytes, false, "")
            .await
            .unwrap();
        assert_eq!(r.source, "workbook", "{name}");
        let v = w.app.return_view(&w.officer, r.id).await.unwrap();
        assert_eq!(v.figures.maintained_independent_living, 19, "{name}");
        assert_eq!(v.breaches(), 0, "{name}: {:?}", v.indicators);
        let accepted = w
            .app
            .check_return(&w.officer, r.id, Decision::Accept, "", false)
            .await
            .unwrap();
        assert_eq!(accepted.status, ACCEPTED, "{name}");
    }
}

#[tokio::test]
async fn workbook_problems_are_detected_with_their_messages() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let q = Quarter::for_date(w.app.today()).previous();
    let err = |r: Result<hearth_store::PerformanceReturn, AppError>| match r {
        Err(AppError::Invalid(e)) => {
            e.0.iter()
                .map(|(_, m)| m.clone())
                .collect::<Vec<_>>()
                .join(" | ")
        }
        other => panic!("expected problems, got {other:?}"),
    };
    // Another service's workbook (the year's mark does not match).
    let other = filled("OTHER-SERVICE", &q, s.contracted_units, &[]);
    assert!(err(w
        .app
        .submit_return_workbook(&w.provider, s.id, q, &other, false, "")
        .await)
    .contains("not the"));
    // Last year's workbook.
    let last_year = Quarter::new(q.year().previous(), q.number()).unwrap();
    let old = filled(&s.reference, &last_year, s.contracted_units, &[]);
    assert!(err(w
        .app
        .submit_return_workbook(&w.provider, s.id, q, &old, false, "")
        .await)
    .contains("not the"));
    // Not a workbook, password-protected, a zip bomb: refused with a reason by the reader.
    assert!(err(w
        .app
        .submit_return_workbook(&w.provider, s.id, q, b"hello", false, "")
        .await)
    .contains("not an .xlsx"));
    // Partly filled: missing figures, unless ignored with a comment (then 0).
    let part = filled(
        &s.reference,
        &q,
        s.contracted_units,
        &[
            ("service_users_supported", 10),
            ("maintained_independent_living", 9),
        ],
    );
    assert!(err(w
        .app
        .submit_return_workbook(&w.provider, s.id, q, &part, false, "")
        .await)
    .contains("is missing"));
    assert!(err(w
        .app
        .submit_return_workbook(&w.provider, s.id, q, &part, true, "")
        .await)
    .contains("comment"));
    let r = w
        .app
        .submit_return_workbook(
            &w.provider,
            s.id,
            q,
            &part,
            true,
            "Staff sickness: figures to follow",
        )
        .await
        .unwrap();
    assert_eq!(r.comment, "Staff sickness: figures to follow");
    // Contracted units changed in the workbook (a workbook from before the contract changed):
    // a problem unless ignored with a comment.
    w.app
        .check_return(
            &w.officer,
            r.id,
            Decision::MarkIncomplete,
            "Send the missing figures",
            false,
        )
        .await
        .unwrap();
    let changed = filled(&s.reference, &q, s.contracted_units + 5, &[]);
    let m = err(w
        .app
        .submit_return_workbook(&w.provider, s.id, q, &changed, false, "")
        .await);
    assert!(
        m.contains(&format!("value in workbook {}", s.contracted_units + 5))
            && m.contains(&format!("value held {}", s.contracted_units)),
        "{m}"
    );
}

#[tokio::test]
async fn the_tracker_shows_received_late_and_missing_and_reminders_are_sent_once() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let q = Quarter::for_date(w.app.today()).previous();
    let lines = w.app.returns_tracker(&w.officer, q).await.unwrap();
    let today = w.app.today();
    assert!(!lines.is_empty());
    let due = q.end() + chrono::Duration::days(hearth_app::returns::DEFAULT_DUE_DAYS);
    assert!(lines.iter().all(|l| l.due == due && l.received.is_none()));
    assert_eq!(
        lines.iter().filter(|l| l.missing(today)).count(),
        if today > due { lines.len() } else { 0 }
    );
    w.app
        .submit_return(&w.provider, s.id, &good_for(&q.label(), s.contracted_units))
        .await
        .unwrap();
    let lines = w.app.returns_tracker(&w.officer, q).await.unwrap();
    let mine = lines.iter().find(|l| l.service.id == s.id).unwrap();
    assert_eq!(mine.received, Some(today));
    assert_eq!(mine.late(), today > due);
    // The due date is the authority's setting.
    assert!(
        matches!(
            w.app
                .set_returns_due_days(&w.officer, DueDays::parse("10").unwrap())
                .await,
            Err(AppError::Forbidden)
        ),
        "administrators set it"
    );
    let admin = principal(&w, "admin").await;
    // No day count outside 1 to 90 can be made to set.
    assert!(matches!(
        DueDays::parse("0"),
        Err(e) if e.message == "Enter a number of days from 1 to 90"
    ));
    w.app
        .set_returns_due_days(&admin, DueDays::parse("10").unwrap())
        .await
        .unwrap();
    assert_eq!(
        w.app.returns_tracker(&w.officer, q).await.unwrap()[0].due,
        q.end() + chrono::Duration::days(10)
    );
    // Reminders: a week before and the day after the deadline, once each, to providers without a return.
    let before = q.end() + chrono::Duration::days(10 - 7);
    let after = q.end() + chrono::Duration::days(10 + 1);
    // (Both dates fall in the quarter after `q`, so the reminders are about `q`.)
    let sent_before = w.app.send_return_reminders(before).await.unwrap();
    let sent_again = w.app.send_return_reminders(before).await.unwrap();
    let sent_after = w.app.send_return_reminders(after).await.unwrap();
    assert!(sent_before >= 1, "reminders before the deadline");
    assert_eq!(sent_again, 0, "each reminder is sent once");
    assert!(sent_after >= 1, "reminders after the deadline");
    let mail = w.app.db_for_tests().recent_mail(100).await.unwrap();
    assert!(mail.iter().any(|m| m.subject.contains("is late")));
    assert!(
        !mail.iter().any(|m| m.body.contains(&s.name)),
        "no reminder for a service whose return came"
    );
}

#[tokio::test]
async fn triggers_set_by_the_team_decide_breaches() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let q = Quarter::for_date(w.app.today()).previous();
    let form = |value: &str| hearth_app::returns::TriggerForm {
        year: q.year().label(),
        indicator: "staffing".into(),
        service_type: s.service_type.clone(),
        value: value.into(),
    };
    assert!(matches!(
        w.app.set_trigger(&w.board, &form("99")).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        w.app.set_trigger(&w.provider, &form("99")).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        w.app.set_trigger(&w.officer, &form("lots")).await,
        Err(AppError::Invalid(_))
    ));
    // 98 of 100 hours meets the default 90% trigger but not a 99% one set for this type.
    let r = w
        .app
        .submit_return(&w.provider, s.id, &good_for(&q.label(), s.contracted_units))
        .await
        .unwrap();
    let staffing = |v: &hearth_app::returns::ReturnView| {
        v.indicators
            .iter()
            .find(|f| f.indicator.code() == "staffing")
            .unwrap()
            .breach
            .clone()
    };
    assert!(staffing(&w.app.return_view(&w.officer, r.id).await.unwrap()).is_none());
    w.app.set_trigger(&w.officer, &form("99")).await.unwrap();
    let t = staffing(&w.app.return_view(&w.officer, r.id).await.unwrap())
        .expect("now below its trigger");
    assert_eq!(t.breach_text(), "Below trigger of 99.0%");
    // Setting it again replaces it.
    w.app.set_trigger(&w.officer, &form("95")).await.unwrap();
    assert!(staffing(&w.app.return_view(&w.officer, r.id).await.unwrap()).is_none());
}

#[tokio::test]
async fn a_new_workbook_version_refuses_the_old_one_from_its_quarter() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let q = Quarter::for_date(w.app.today()).previous();
    let figures = |units: i64| {
        let days = i64::from(q.days());
        vec![
            ("service_users_supported", 20),
            ("maintained_independent_living", 19),
            ("new_service_users", 3),
            ("departures", 3),
            ("planned_departures", 3),
            ("unavailable_unit_days", 0),
            ("occupied_unit_days", units * days * 95 / 100),
            ("support_hours_contracted", 100),
            ("support_hours_delivered", 97),
        ]
    };
    let versioned = |v: u32| {
        use hearth_docs::workbook::*;
        write_workbook(&WorkbookSpec {
            locals: Vec::new(),
            mark: mark_for(&s.reference, &q.year().label(), v),
            contract: ContractSheet {
                service_reference: s.reference.clone(),
                contracted_units: s.contracted_units,
                ..Default::default()
            },
            quarters: Quarter::all_of(q.year())
                .iter()
                .map(|x| (x.number(), x.label(), x.days()))
                .collect(),
            indicators: Vec::new(),
            prefill: figures(s.contracted_units)
                .iter()
                .map(|(f, v)| (q.number(), f.to_string(), *v))
                .collect(),
        })
        .unwrap()
    };
    assert!(matches!(
        w.app
            .issue_workbook_version(&w.provider, s.id, q.year(), q.number(), "x")
            .await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        w.app
            .issue_workbook_version(&w.officer, s.id, q.year(), q.number(), " ")
            .await,
        Err(AppError::Invalid(_))
    ));
    let v = w
        .app
        .issue_workbook_version(
            &w.officer,
            s.id,
            q.year(),
            q.number(),
            "Units rose from April",
        )
        .await
        .unwrap();
    assert_eq!(v.version, 2);
    // The download is now version 2.
    let (name, bytes) = w
        .app
        .return_workbook(&w.provider, s.id, q.year())
        .await
        .unwrap();
    assert!(name.ends_with("V2.xlsx"));
    assert!(hearth_docs::workbook::read_quarter(&bytes, 1)
        .unwrap()
        .mark
        .ends_with("|V2"));
    // The old version is refused for the quarter, saying why; the new one is taken.
    let Err(AppError::Invalid(e)) = w
        .app
        .submit_return_workbook(&w.provider, s.id, q, &versioned(1), false, "")
        .await
    else {
        panic!()
    };
    assert!(
        e.get("file").unwrap().contains("version 2 applies"),
        "{e:?}"
    );
    assert!(w
        .app
        .submit_return_workbook(&w.provider, s.id, q, &versioned(2), false, "")
        .await
        .is_ok());
    // The provider was told.
    assert!(w
        .app
        .db_for_tests()
        .recent_mail(10)
        .await
        .unwrap()
        .iter()
        .any(|m| m.subject.contains("version 2")));
}

#[tokio::test]
async fn an_extension_moves_a_services_due_date() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let q = Quarter::for_date(w.app.today()).previous();
    let until = q.end() + chrono::Duration::days(60);
    assert!(matches!(
        w.app.grant_extension(&w.provider, s.id, q, until).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        w.app.grant_extension(&w.officer, s.id, q, q.end()).await,
        Err(AppError::Invalid(_))
    ));
    w.app
        .grant_extension(&w.officer, s.id, q, until)
        .await
        .unwrap();
    let lines = w.app.returns_tracker(&w.officer, q).await.unwrap();
    let mine = lines.iter().find(|l| l.service.id == s.id).unwrap();
    assert!(mine.extended);
    assert_eq!(mine.due, until);
    assert!(!mine.missing(until), "not missing until the extended date");
    assert!(lines
        .iter()
        .filter(|l| l.service.id != s.id)
        .all(|l| !l.extended));
}

fn code(s: &str) -> LocalIndicatorCode {
    LocalIndicatorCode::parse(s).unwrap()
}

#[tokio::test]
async fn local_indicators_are_asked_for_in_the_form_and_the_workbook() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let q = Quarter::for_date(w.app.today()).previous();
    assert!(matches!(
        w.app
            .define_local_indicator(
                &w.board,
                &code("referrals_received"),
                "Referrals received",
                None,
                true
            )
            .await,
        Err(AppError::Forbidden)
    ));
    // A code in the wrong shape never reaches the use case: the edge's parser refuses it.
    assert!(matches!(
        LocalIndicatorCode::parse("Bad Code!"),
        Err(e) if e.code == "local_indicator_code_invalid"
    ));
    assert!(
        matches!(
            LocalIndicatorCode::parse("kpi_1"),
            Err(e) if e.code == "local_indicator_code_taken"
        ),
        "national codes are taken"
    );
    w.app
        .define_local_indicator(
            &w.officer,
            &code("referrals_received"),
            "Referrals received",
            Some(ServiceType::parse(&s.service_type).unwrap()),
            true,
        )
        .await
        .unwrap();
    // The authority's own codes are taken once.
    let Err(AppError::Invalid(e)) = w
        .app
        .define_local_indicator(&w.officer, &code("referrals_received"), "Clash", None, true)
        .await
    else {
        panic!("a second local indicator with the same code")
    };
    assert_eq!(
        e.get("code"),
        Some("A local indicator with this code already exists")
    );

    // The web form needs it.
    let form = good_for(&q.label(), s.contracted_units);
    let Err(AppError::Invalid(e)) = w.app.submit_return(&w.provider, s.id, &form).await else {
        panic!()
    };
    assert!(e
        .get("local_referrals_received")
        .unwrap()
        .contains("Referrals received"));
    // The workbook has its row; missing there, it is a problem in plain words.
    let (_, bytes) = w
        .app
        .return_workbook(&w.provider, s.id, q.year())
        .await
        .unwrap();
    let sheet = hearth_docs::workbook::read_quarter(&bytes, q.number()).unwrap();
    assert!(sheet
        .values
        .iter()
        .any(|(f, _)| f == "local:referrals_received"));
    let Err(AppError::Invalid(e)) = w
        .app
        .submit_return_workbook(&w.provider, s.id, q, &bytes, false, "")
        .await
    else {
        panic!()
    };
    assert!(
        e.0.iter()
            .any(|(_, m)| m.contains("Local indicator Referrals received is missing")),
        "{e:?}"
    );
    // With its figure: stored and shown with the indicators; a trigger on it applies.
    let mut form = form;
    form.extra
        .insert("local_referrals_received".into(), "7".into());
    let r = w.app.submit_return(&w.provider, s.id, &form).await.unwrap();
    let v = w.app.return_view(&w.officer, r.id).await.unwrap();
    assert_eq!(v.figures.local.get("referrals_received"), Some(&7));
    assert!(v
        .indicators
        .iter()
        .any(|f| f.indicator.code() == "referrals_received" && f.value == Some(7.0)));
    w.app
        .set_trigger(
            &w.officer,
            &hearth_app::returns::TriggerForm {
                year: q.year().label(),
                indicator: "referrals_received".into(),
                service_type: String::new(),
                value: "10".into(),
            },
        )
        .await
        .unwrap();
    let v = w.app.return_view(&w.officer, r.id).await.unwrap();
    assert!(
        v.indicators
            .iter()
            .any(|f| f.indicator.code() == "referrals_received" && f.breach.is_some()),
        "7 is below a trigger of 10"
    );
}

#[tokio::test]
async fn a_corrected_replacement_still_replaces_and_triggers_carry_forward() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let s = floating_service(&w).await;
    let q = Quarter::for_date(w.app.today()).previous();
    let good = |q: &str| good_for(q, s.contracted_units);
    let first = w
        .app
        .submit_return(&w.provider, s.id, &good(&q.label()))
        .await
        .unwrap();
    w.app
        .check_return(&w.officer, first.id, Decision::Accept, "", false)
        .await
        .unwrap();
    let replacement = w
        .app
        .submit_return(&w.provider, s.id, &good(&q.label()))
        .await
        .unwrap();
    w.app
        .check_return(
            &w.officer,
            replacement.id,
            Decision::MarkIncomplete,
            "One figure missing",
            false,
        )
        .await
        .unwrap();
    let corrected = w
        .app
        .submit_return(&w.provider, s.id, &good(&q.label()))
        .await
        .unwrap();
    assert_eq!(
        corrected.replaces_id,
        Some(first.id),
        "the corrected replacement still replaces the accepted return"
    );
    assert!(matches!(
        w.app
            .check_return(&w.officer, corrected.id, Decision::Accept, "", false)
            .await,
        Err(AppError::Invalid(_))
    ));
    w.app
        .check_return(&w.officer, corrected.id, Decision::Accept, "", true)
        .await
        .unwrap();
    let accepted: Vec<_> = w
        .app
        .db_for_tests()
        .service_returns(s.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.status == ACCEPTED)
        .collect();
    assert_eq!(accepted.len(), 1, "one accepted return for the quarter");

    // Last year's triggers apply until this year's are set.
    let last_year = q.year().previous();
    w.app
        .set_trigger(
            &w.officer,
            &hearth_app::returns::TriggerForm {
                year: last_year.label(),
                indicator: "staffing".into(),
                service_type: String::new(),
                value: "99".into(),
            },
        )
        .await
        .unwrap();
    let set = w.app.trigger_set(1, q.year()).await.unwrap();
    let t = set
        .find(
            &hearth_domain::performance::Indicator::Staffing,
            hearth_domain::ServiceType::parse(&s.service_type).unwrap(),
        )
        .unwrap();
    assert_eq!(t.threshold.value(), 99.0);
}

// Issue 9: "today" and "received on" follow the application's clock in UK time, so a return
// sent at 00:30 BST on the day after its deadline is late, and one at 23:30 BST is on time.
#[tokio::test]
async fn a_return_sent_after_midnight_uk_time_on_the_day_after_its_deadline_is_late() {
    use hearth_domain::clock::FixedClock;
    let w = world(testing::sqlite().await.unwrap()).await;
    let q = Quarter::parse("2026/27 Q1").unwrap();
    let due = q.end() + chrono::Duration::days(hearth_app::returns::DEFAULT_DUE_DAYS);
    assert_eq!(due.to_string(), "2026-07-28");
    let mut f = w.provider.service_filter();
    f.per_page = 100;
    let services = w.app.db_for_tests().list_services(&f).await.unwrap().items;
    let (on_time, late) = (&services[0], &services[1]);

    // 22:30 UTC is 23:30 BST on the deadline.
    let clock = std::sync::Arc::new(FixedClock::at_utc("2026-07-28T22:30:00Z").unwrap());
    let app = w.app.clone().with_clock(clock.clone());
    assert_eq!(app.today(), due);
    app.submit_return(
        &w.provider,
        on_time.id,
        &good_for(&q.label(), on_time.contracted_units),
    )
    .await
    .unwrap();
    // An hour later it is 00:30 BST the next day.
    clock.advance(3600);
    assert_eq!(app.today(), due + chrono::Duration::days(1));
    app.submit_return(
        &w.provider,
        late.id,
        &good_for(&q.label(), late.contracted_units),
    )
    .await
    .unwrap();

    let lines = app.returns_tracker(&w.officer, q).await.unwrap();
    let line = |id: i64| lines.iter().find(|l| l.service.id == id).unwrap();
    assert_eq!(line(on_time.id).received, Some(due));
    assert!(!line(on_time.id).late());
    assert_eq!(
        line(late.id).received,
        Some(due + chrono::Duration::days(1))
    );
    assert!(line(late.id).late());
}

// Review finding: some writes (account help, reminders, account changes) took the time from
// the machine, not the application's clock, so their audit times disagreed with it.
#[tokio::test]
async fn account_help_is_stamped_with_the_applications_clock() {
    use hearth_domain::clock::FixedClock;
    let w = world(testing::sqlite().await.unwrap()).await;
    let at = FixedClock::at_utc("2026-07-28T23:30:00Z").unwrap();
    let when = hearth_domain::clock::Clock::now(&at);
    let app = w.app.clone().with_clock(std::sync::Arc::new(at));
    let r = app
        .request_account_help(
            AccountHelpKind::LoginRequest,
            hearth_app::accounts::HelpRequest {
                username: "newperson".into(),
                full_name: "New Person".into(),
                email: "new.person@example.org".into(),
                organisation: "Larkspur Housing Trust".into(),
                ..Default::default()
            },
            "198.51.100.7",
        )
        .await
        .unwrap();
    assert_eq!(r.created_at, when);
    let entries = app
        .db_for_tests()
        .audit_search(&hearth_store::AuditQuery {
            record_type: Some("account_request".into()),
            record_id: Some(r.id.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries[0].at, when);
}
