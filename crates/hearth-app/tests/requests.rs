//! Provider requests and approvals (F3.2 to F3.5), on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{world, World};

use hearth_app::requests::{NewScheduleInput, RequestQuery, UpdateScheduleInput};
use hearth_app::{AppError, Principal};
use hearth_domain::directory::AvailablePlaces;
use hearth_store::{testing, ServiceDetails, ServiceFilter};

async fn services_of(w: &World, who: &Principal) -> Vec<hearth_store::Service> {
    let mut f: ServiceFilter = who.service_filter();
    f.per_page = 1000;
    w.app.db_for_tests().list_services(&f).await.unwrap().items
}

fn new_client(first: &str, last: &str) -> NewScheduleInput {
    NewScheduleInput {
        first_name: first.into(),
        last_name: last.into(),
        date_of_birth: "14/2/1958".into(),
        ni_number: "AB123456C".into(),
        hb_number: "12345678".into(),
        postcode: "bk1 2aa".into(),
        start_date: "2/11/2026".into(),
        units_per_week: "3".into(),
        level: "Service Level 1".into(),
        ..Default::default()
    }
}

fn field_error(e: AppError, field: &str) -> String {
    match e {
        AppError::Invalid(errors) => errors
            .get(field)
            .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"))
            .to_string(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_new_schedule_is_a_request_until_approved_then_the_client_is_scheduled() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let service = services_of(&w, &w.provider)
            .await
            .into_iter()
            .next()
            .unwrap();
        let today = w.app.today().to_string();
        let before = w
            .app
            .db_for_tests()
            .count_current_schedules(service.id, &today)
            .await
            .unwrap();
        let r = w
            .app
            .request_new_schedule(&w.provider, service.id, &new_client("Nadia", "Okafor"))
            .await
            .unwrap();
        assert_eq!(r.status.as_str(), "pending", "{name}");
        assert_eq!(
            w.app
                .db_for_tests()
                .count_current_schedules(service.id, &today)
                .await
                .unwrap(),
            before,
            "{name}: nothing changes before approval"
        );
        let changes = w.app.request_changes(&r).await.unwrap();
        assert!(
            changes.iter().any(|c| c.label == "Surname"
                && c.new.as_deref() == Some("Okafor")
                && c.old.is_none()),
            "{name}: {changes:?}"
        );
        assert!(
            changes
                .iter()
                .any(|c| c.label == "Postcode" && c.new.as_deref() == Some("BK1 2AA")),
            "{name}"
        );

        // The provider sees it pending; the officer's queue has it.
        let mine = w
            .app
            .list_requests(&w.provider, &RequestQuery::default())
            .await
            .unwrap();
        assert!(mine.iter().any(|x| x.id == r.id), "{name}");
        let queue = w
            .app
            .list_requests(
                &w.officer,
                &RequestQuery {
                    status: Some("pending".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(queue.iter().any(|x| x.id == r.id), "{name}");

        // A read-only board member cannot decide; a provider cannot see the decision route.
        assert!(
            matches!(
                w.app.approve_request(&w.board, r.id, "").await,
                Err(AppError::Forbidden)
            ),
            "{name}"
        );
        assert!(
            matches!(
                w.app.approve_request(&w.provider, r.id, "").await,
                Err(AppError::NotFound)
            ),
            "{name}"
        );

        let approved = w
            .app
            .approve_request(&w.officer, r.id, "Checked against HB records")
            .await
            .unwrap();
        assert_eq!(approved.status.as_str(), "approved", "{name}");
        assert_eq!(
            w.app
                .db_for_tests()
                .count_current_schedules(service.id, &today)
                .await
                .unwrap(),
            before + 1,
            "{name}"
        );
        let entries = w
            .app
            .db_for_tests()
            .audit_search(&hearth_store::AuditQuery {
                record_type: Some("client_schedule".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e.action == "create" && e.actor == "officer"),
            "{name}: the approval is audited"
        );
        // Deciding twice is refused.
        assert!(
            matches!(
                w.app.approve_request(&w.officer, r.id, "").await,
                Err(AppError::Conflict(..))
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn long_term_services_need_a_housing_benefit_or_ni_number() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let long = services_of(&w, &w.provider)
        .await
        .into_iter()
        .find(|s| s.term == "long")
        .expect("a long-term service");
    let mut input = new_client("Ann", "Hale");
    input.ni_number.clear();
    input.hb_number.clear();
    let msg = field_error(
        w.app
            .request_new_schedule(&w.provider, long.id, &input)
            .await
            .unwrap_err(),
        "hb_number",
    );
    assert!(msg.contains("housing benefit number"), "{msg}");
    input.ni_number = "JK 12 34 56 B".into();
    assert!(
        w.app
            .request_new_schedule(&w.provider, long.id, &input)
            .await
            .is_ok(),
        "the NI number is enough"
    );
    let short = services_of(&w, &w.provider)
        .await
        .into_iter()
        .find(|s| s.term == "short")
        .expect("a short-term service");
    let mut input = new_client("Bo", "Fenn");
    input.ni_number.clear();
    input.hb_number.clear();
    assert!(
        w.app
            .request_new_schedule(&w.provider, short.id, &input)
            .await
            .is_ok(),
        "short-term services need neither"
    );
}

#[tokio::test]
async fn malformed_input_is_refused_field_by_field_and_changes_nothing() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let service = services_of(&w, &w.provider)
        .await
        .into_iter()
        .next()
        .unwrap();
    let mut input = new_client("", "Hale");
    input.ni_number = "QQ123".into();
    input.postcode = "NOT A POSTCODE".into();
    input.uprn = "12ab".into();
    input.start_date = "31/2/2026".into();
    input.units_per_week = "lots".into();
    let Err(AppError::Invalid(errors)) = w
        .app
        .request_new_schedule(&w.provider, service.id, &input)
        .await
    else {
        panic!("refused")
    };
    for f in [
        "first_name",
        "ni_number",
        "postcode",
        "uprn",
        "start_date",
        "units_per_week",
    ] {
        assert!(errors.get(f).is_some(), "error on {f}: {errors:?}");
    }
    assert!(w
        .app
        .list_requests(&w.provider, &RequestQuery::default())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_returning_client_is_reactivated_under_the_original_id() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let services = services_of(&w, &w.provider).await;
        let service = &services[0];
        let r = w
            .app
            .request_new_schedule(&w.provider, service.id, &new_client("Cai", "Rees"))
            .await
            .unwrap();
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let sched = w
            .app
            .db_for_tests()
            .service_schedules(
                service.id,
                "2026-11-22",
                false,
                hearth_store::ScheduleSort::Name,
                1,
                1000,
            )
            .await
            .unwrap();
        let first = sched
            .items
            .iter()
            .find(|s| s.last_name == "Rees")
            .unwrap()
            .clone();
        // Overlapping the same service again is refused.
        let msg = field_error(
            w.app
                .request_new_schedule(&w.provider, service.id, &new_client("Cai", "Rees"))
                .await
                .unwrap_err(),
            "start_date",
        );
        assert!(msg.contains("already scheduled"), "{name}: {msg}");
        // End the schedule, then they return.
        let upd = UpdateScheduleInput {
            units_per_week: "3".into(),
            level: "Service Level 1".into(),
            end_date: "10/11/2026".into(),
            end_reason: "lost_contact".into(),
            ..Default::default()
        };
        let r = w
            .app
            .request_schedule_update(&w.provider, first.id, &upd)
            .await
            .unwrap();
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let mut back = new_client("Cai", "Rees");
        back.start_date = "20/11/2026".into();
        back.returning = Some("yes".into());
        let r = w
            .app
            .request_new_schedule(&w.provider, service.id, &back)
            .await
            .unwrap();
        assert!(
            w.app
                .request_changes(&r)
                .await
                .unwrap()
                .iter()
                .any(|c| c.label == "Returning client"),
            "{name}"
        );
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let all = w
            .app
            .db_for_tests()
            .client_schedules(first.client_id)
            .await
            .unwrap();
        assert_eq!(
            all.len(),
            2,
            "{name}: the earlier schedule and the new one, same client ID"
        );
        assert!(
            all.iter()
                .any(|s| s.end_reason.as_deref() == Some("lost_contact")),
            "{name}"
        );
        assert!(
            all.iter()
                .any(|s| s.end_date.is_none() && s.start_date == "2026-11-20"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn approval_shows_a_conflict_instead_of_overwriting() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let service = services_of(&w, &w.provider)
            .await
            .into_iter()
            .next()
            .unwrap();
        let sched = w
            .app
            .db_for_tests()
            .service_schedules(
                service.id,
                "2026-11-22",
                false,
                hearth_store::ScheduleSort::Name,
                1,
                5,
            )
            .await
            .unwrap();
        let s = sched.items[0].clone();
        let a = UpdateScheduleInput {
            units_per_week: (s.units_per_week + 1).to_string(),
            level: s.level.clone(),
            ..Default::default()
        };
        let b = UpdateScheduleInput {
            units_per_week: (s.units_per_week + 2).to_string(),
            level: s.level.clone(),
            ..Default::default()
        };
        let ra = w
            .app
            .request_schedule_update(&w.provider, s.id, &a)
            .await
            .unwrap();
        let rb = w
            .app
            .request_schedule_update(&w.provider, s.id, &b)
            .await
            .unwrap();
        w.app.approve_request(&w.officer, ra.id, "").await.unwrap();
        let err = w
            .app
            .approve_request(&w.officer, rb.id, "")
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Conflict(..)), "{name}: {err:?}");
        let now = w
            .app
            .db_for_tests()
            .schedule_detail(s.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            now.units_per_week,
            s.units_per_week + 1,
            "{name}: the later request did not overwrite"
        );
        assert_eq!(
            w.app
                .db_for_tests()
                .request(rb.id)
                .await
                .unwrap()
                .unwrap()
                .status,
            "pending",
            "{name}"
        );
        // Rejecting needs remarks.
        assert!(
            matches!(
                w.app.reject_request(&w.officer, rb.id, " ").await,
                Err(AppError::Invalid(_))
            ),
            "{name}"
        );
        let rejected = w
            .app
            .reject_request(&w.officer, rb.id, "Superseded")
            .await
            .unwrap();
        assert_eq!(rejected.remarks, "Superseded", "{name}");
    }
}

#[tokio::test]
async fn a_change_of_service_ends_one_schedule_and_starts_another_as_one_request() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let services = services_of(&w, &w.provider).await;
    let (from, to) = (&services[0], &services[1]);
    let sched = w
        .app
        .db_for_tests()
        .service_schedules(
            from.id,
            "2026-11-22",
            false,
            hearth_store::ScheduleSort::Name,
            1,
            5,
        )
        .await
        .unwrap();
    let s = sched.items[0].clone();
    let input = UpdateScheduleInput {
        units_per_week: "2".into(),
        end_date: "30/11/2026".into(),
        new_service_id: to.id.to_string(),
        ..Default::default()
    };
    let r = w
        .app
        .request_schedule_update(&w.provider, s.id, &input)
        .await
        .unwrap();
    assert_eq!(r.kind.as_str(), "change_service");
    w.app.approve_request(&w.officer, r.id, "").await.unwrap();
    let all = w
        .app
        .db_for_tests()
        .client_schedules(s.client_id)
        .await
        .unwrap();
    let old = all.iter().find(|x| x.id == s.id).unwrap();
    assert_eq!(old.end_date.as_deref(), Some("2026-11-30"));
    assert_eq!(old.end_reason.as_deref(), Some("change_of_service"));
    assert!(all
        .iter()
        .any(|x| x.service_id == to.id && x.start_date == "2026-11-30" && x.end_date.is_none()));
}

#[tokio::test]
async fn ending_a_schedule_needs_a_date_after_the_start_and_a_reason() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let service = services_of(&w, &w.provider)
        .await
        .into_iter()
        .next()
        .unwrap();
    let s = w
        .app
        .db_for_tests()
        .service_schedules(
            service.id,
            "2026-11-22",
            false,
            hearth_store::ScheduleSort::Name,
            1,
            5,
        )
        .await
        .unwrap()
        .items[0]
        .clone();
    let no_reason = UpdateScheduleInput {
        units_per_week: s.units_per_week.to_string(),
        end_date: "30/11/2026".into(),
        ..Default::default()
    };
    assert!(field_error(
        w.app
            .request_schedule_update(&w.provider, s.id, &no_reason)
            .await
            .unwrap_err(),
        "end_reason"
    )
    .contains("reason"));
    let too_early = UpdateScheduleInput {
        units_per_week: s.units_per_week.to_string(),
        end_date: "1/1/1990".into(),
        end_reason: "deceased".into(),
        ..Default::default()
    };
    assert!(field_error(
        w.app
            .request_schedule_update(&w.provider, s.id, &too_early)
            .await
            .unwrap_err(),
        "end_date"
    )
    .contains("after the start"));
}

#[tokio::test]
async fn limited_access_users_reach_only_their_services_and_requests() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let mine = services_of(&w, &w.limited).await;
        assert_eq!(mine.len(), 1, "{name}");
        let Principal::Provider { provider_id, .. } = &w.limited else {
            panic!()
        };
        let all_of_provider = w
            .app
            .db_for_tests()
            .list_services(&ServiceFilter {
                provider_id: Some(*provider_id),
                per_page: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .items;
        let outside = all_of_provider
            .iter()
            .find(|s| s.id != mine[0].id)
            .expect("provider 1 has another service");
        let err = w
            .app
            .request_new_schedule(&w.limited, outside.id, &new_client("X", "Y"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::NotFound),
            "{name}: outside the scope is not found"
        );
        assert!(
            w.app
                .request_new_schedule(&w.limited, mine[0].id, &new_client("X", "Y"))
                .await
                .is_ok(),
            "{name}"
        );
        // Another organisation's user cannot see that request.
        let r = w
            .app
            .list_requests(&w.limited, &RequestQuery::default())
            .await
            .unwrap()[0]
            .clone();
        assert!(
            matches!(
                w.app.request(&w.provider, r.id).await,
                Err(AppError::NotFound)
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn available_places_save_at_once_and_details_change_by_request() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let service = services_of(&w, &w.provider)
            .await
            .into_iter()
            .next()
            .unwrap();
        w.app
            .set_available_places(
                &w.provider,
                service.id,
                Some(AvailablePlaces::new(4).unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(
            w.app
                .db_for_tests()
                .service(service.id)
                .await
                .unwrap()
                .unwrap()
                .available_places,
            Some(4),
            "{name}"
        );
        // A negative figure never reaches the use case: the edge's parser refuses it.
        assert!(
            matches!(AvailablePlaces::parse("-2"), Err(e) if e.code == "available_places_invalid"),
            "{name}"
        );
        w.app
            .set_available_places(&w.provider, service.id, None)
            .await
            .unwrap();
        assert_eq!(
            w.app
                .db_for_tests()
                .service(service.id)
                .await
                .unwrap()
                .unwrap()
                .available_places,
            None,
            "{name}: cleared"
        );
        let audit = w
            .app
            .db_for_tests()
            .audit_search(&hearth_store::AuditQuery {
                action: Some("set_available_places".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.len(), 2, "{name}: audited");

        let current = w
            .app
            .db_for_tests()
            .service(service.id)
            .await
            .unwrap()
            .unwrap();
        let mut details = ServiceDetails::of(&current);
        details.languages = "English, Polish".into();
        details.interpreter = true;
        let r = w
            .app
            .request_service_details(&w.provider, service.id, &details, "New staff")
            .await
            .unwrap();
        assert_eq!(
            w.app
                .db_for_tests()
                .service(service.id)
                .await
                .unwrap()
                .unwrap()
                .languages,
            current.languages,
            "{name}: unchanged until approved"
        );
        let changes = w.app.request_changes(&r).await.unwrap();
        assert_eq!(changes.len(), 2, "{name}: {changes:?}");
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let after = w
            .app
            .db_for_tests()
            .service(service.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.languages, "English, Polish", "{name}");
        assert_eq!(after.interpreter, 1, "{name}");
    }
}
