//! The public directory's search: each filter alone and combined, distance ordering, the
//! places-available rule and postcode errors, on generated data and both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::world;

use hearth_app::directory::{places_available, DirectoryQuery};
use hearth_app::AppError;
use hearth_domain::directory::distance_m;
use hearth_domain::directory::AvailablePlaces;
use hearth_store::{testing, Service, ServiceFilter};

async fn all_services(w: &common::World) -> Vec<Service> {
    w.app
        .db_for_tests()
        .list_services(&ServiceFilter {
            per_page: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

fn q() -> DirectoryQuery {
    DirectoryQuery {
        include_full: "yes".into(),
        ..Default::default()
    }
}

async fn ids(w: &common::World, query: &DirectoryQuery) -> Vec<i64> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let r = w
            .app
            .directory_search(&DirectoryQuery {
                page: Some(page),
                ..query.clone()
            })
            .await
            .unwrap();
        out.extend(r.items.iter().map(|i| i.service.id));
        if page >= r.total_pages() {
            break;
        }
        page += 1;
    }
    out
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

#[tokio::test]
async fn each_filter_alone_finds_exactly_the_matching_services() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let services = all_services(&w).await;
        let expect = |f: &dyn Fn(&Service) -> bool| {
            sorted(services.iter().filter(|s| f(s)).map(|s| s.id).collect())
        };
        let has = |list: &str, code: &str| list.split(',').any(|c| c.trim() == code);

        assert_eq!(
            sorted(ids(&w, &q()).await),
            expect(&|_| true),
            "{name}: everything"
        );
        let st = services[0].service_type.clone();
        assert_eq!(
            sorted(
                ids(
                    &w,
                    &DirectoryQuery {
                        service_type: st.clone(),
                        ..q()
                    }
                )
                .await
            ),
            expect(&|s| s.service_type == st),
            "{name}: type"
        );
        let cg = services[0].client_group.clone();
        assert_eq!(
            sorted(
                ids(
                    &w,
                    &DirectoryQuery {
                        client_group: cg.clone(),
                        ..q()
                    }
                )
                .await
            ),
            expect(&|s| s.client_group == cg),
            "{name}: client group"
        );
        assert_eq!(
            sorted(
                ids(
                    &w,
                    &DirectoryQuery {
                        support_task: "tenancy".into(),
                        ..q()
                    }
                )
                .await
            ),
            expect(&|s| has(&s.support_tasks, "tenancy")),
            "{name}: support task"
        );
        assert_eq!(
            sorted(
                ids(
                    &w,
                    &DirectoryQuery {
                        household_type: "single".into(),
                        ..q()
                    }
                )
                .await
            ),
            expect(&|s| has(&s.household_types, "single")),
            "{name}: household"
        );
        assert_eq!(
            sorted(
                ids(
                    &w,
                    &DirectoryQuery {
                        ethnicity: "all".into(),
                        ..q()
                    }
                )
                .await
            ),
            expect(&|s| has(&s.ethnicity_focus, "all")),
            "{name}: community"
        );
        if let Some(acc) = services
            .iter()
            .map(|s| s.accommodation_type.clone())
            .find(|a| !a.is_empty())
        {
            assert_eq!(
                sorted(
                    ids(
                        &w,
                        &DirectoryQuery {
                            accommodation_type: acc.clone(),
                            ..q()
                        }
                    )
                    .await
                ),
                expect(&|s| s.accommodation_type == acc),
                "{name}: accommodation"
            );
        }
        let word = services[0]
            .public_name
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let found = ids(
            &w,
            &DirectoryQuery {
                q: word.to_lowercase(),
                ..q()
            },
        )
        .await;
        assert!(
            found.contains(&services[0].id),
            "{name}: name search is case-insensitive"
        );
        let provider = w
            .app
            .db_for_tests()
            .provider(services[0].provider_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            sorted(
                ids(
                    &w,
                    &DirectoryQuery {
                        organisation: provider.name.clone(),
                        ..q()
                    }
                )
                .await
            ),
            expect(&|s| s.provider_id == provider.id),
            "{name}: organisation"
        );
        // Combined: type and client group together is the intersection.
        assert_eq!(
            sorted(
                ids(
                    &w,
                    &DirectoryQuery {
                        service_type: st.clone(),
                        client_group: cg.clone(),
                        ..q()
                    }
                )
                .await
            ),
            expect(&|s| s.service_type == st && s.client_group == cg),
            "{name}: combined"
        );
    }
}

#[tokio::test]
async fn places_available_follow_the_rule_and_full_services_are_left_out_by_default() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let services = all_services(&w).await;
    let s = services[0].clone();
    let today = w.app.today().to_string();
    let current = w
        .app
        .db_for_tests()
        .count_current_schedules(s.id, &today)
        .await
        .unwrap();
    assert_eq!(
        s.current_clients, current,
        "the directory's count matches the schedules"
    );
    let item = w.app.directory_service(s.id).await.unwrap();
    assert_eq!(
        item.places_available,
        (s.contracted_units - current).max(0),
        "contracted units minus current schedules"
    );
    // The provider's figure wins once set, even zero.
    w.app
        .set_available_places(&w.provider, s.id, Some(AvailablePlaces::new(0).unwrap()))
        .await
        .ok();
    let provider_service = {
        let mut f = w.provider.service_filter();
        f.per_page = 100;
        w.app.db_for_tests().list_services(&f).await.unwrap().items[0].clone()
    };
    w.app
        .set_available_places(
            &w.provider,
            provider_service.id,
            Some(AvailablePlaces::new(0).unwrap()),
        )
        .await
        .unwrap();
    let item = w.app.directory_service(provider_service.id).await.unwrap();
    assert_eq!(item.places_available, 0);
    assert_eq!(places_available(&item.service), 0);
    let default = ids(&w, &DirectoryQuery::default()).await;
    assert!(
        !default.contains(&provider_service.id),
        "no places: left out unless asked"
    );
    let with_full = ids(&w, &q()).await;
    assert!(with_full.contains(&provider_service.id));
    w.app
        .set_available_places(
            &w.provider,
            provider_service.id,
            Some(AvailablePlaces::new(7).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        w.app
            .directory_service(provider_service.id)
            .await
            .unwrap()
            .places_available,
        7
    );
    assert!(ids(&w, &DirectoryQuery::default())
        .await
        .contains(&provider_service.id));
}

#[tokio::test]
async fn a_postcode_search_finds_services_within_the_distance_nearest_first() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let services = all_services(&w).await;
        let centre_pc = services[0].postcode.clone();
        let centre = w
            .app
            .db_for_tests()
            .postcode_location(&centre_pc)
            .await
            .unwrap()
            .unwrap();
        let r = w
            .app
            .directory_search(&DirectoryQuery {
                postcode: centre_pc.to_lowercase().replace(' ', ""),
                distance: "5".into(),
                ..q()
            })
            .await
            .unwrap();
        let d: Vec<f64> = r.items.iter().map(|i| i.distance_m.unwrap()).collect();
        assert!(
            d.windows(2).all(|p| p[0] <= p[1]),
            "{name}: nearest first {d:?}"
        );
        assert!(
            d.iter().all(|m| *m <= 5.0 * 1609.344 + 0.5),
            "{name}: within 5 miles"
        );
        let expected = services
            .iter()
            .filter(|s| {
                s.latitude.is_some_and(|la| {
                    distance_m(centre, (la, s.longitude.unwrap())) <= 5.0 * 1609.344
                })
            })
            .count() as i64;
        assert_eq!(
            r.total, expected,
            "{name}: every service within the distance"
        );
        assert_eq!(
            r.items[0].distance_m.unwrap(),
            0.0,
            "{name}: the service at the postcode itself comes first"
        );
    }
}

#[tokio::test]
async fn unknown_or_malformed_postcodes_get_a_clear_message() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let err = |e: AppError| match e {
        AppError::Invalid(f) => f.get("postcode").unwrap().to_string(),
        other => panic!("{other:?}"),
    };
    let m = err(w
        .app
        .directory_search(&DirectoryQuery {
            postcode: "not a postcode".into(),
            ..q()
        })
        .await
        .unwrap_err());
    assert!(m.contains("postcode"), "{m}");
    let m = err(w
        .app
        .directory_search(&DirectoryQuery {
            postcode: "ZZ9 9ZZ".into(),
            ..q()
        })
        .await
        .unwrap_err());
    assert!(m.contains("We do not know where ZZ9 9ZZ is"), "{m}");
    let Err(AppError::Invalid(f)) = w
        .app
        .directory_search(&DirectoryQuery {
            distance: "far".into(),
            ..q()
        })
        .await
    else {
        panic!()
    };
    assert!(f.get("distance").is_some());
}

#[tokio::test]
async fn approving_a_new_schedule_updates_the_places_at_once() {
    let w = world(testing::sqlite().await.unwrap()).await;
    let mut f = w.provider.service_filter();
    f.per_page = 100;
    let s = w
        .app
        .db_for_tests()
        .list_services(&f)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|s| s.term == "short")
        .unwrap();
    let before = w
        .app
        .directory_service(s.id)
        .await
        .unwrap()
        .places_available;
    let input = hearth_app::requests::NewScheduleInput {
        first_name: "Pip".into(),
        last_name: "Marsh".into(),
        start_date: w.app.today().format("%d/%m/%Y").to_string(),
        units_per_week: "1".into(),
        ..Default::default()
    };
    let r = w
        .app
        .request_new_schedule(&w.provider, s.id, &input)
        .await
        .unwrap();
    assert_eq!(
        w.app
            .directory_service(s.id)
            .await
            .unwrap()
            .places_available,
        before,
        "pending changes nothing"
    );
    w.app.approve_request(&w.officer, r.id, "").await.unwrap();
    assert_eq!(
        w.app
            .directory_service(s.id)
            .await
            .unwrap()
            .places_available,
        (before - 1).max(0)
    );
}

/// An app over `t` with the small demo, keeping directory rows for `seconds`.
async fn app_caching(t: &testing::TestDb, seconds: u64) -> hearth_app::App {
    let app = hearth_app::App::new(
        t.db.clone(),
        hearth_app::AppConfig {
            directory_cache_seconds: seconds,
            ..Default::default()
        },
    );
    app.load_demo(hearth_app::demo::Scale::Small, 7, &|_| {})
        .await
        .unwrap();
    app
}

async fn officer_of(app: &hearth_app::App) -> hearth_app::Principal {
    let u = app
        .db_for_tests()
        .user_by_username("officer")
        .await
        .unwrap()
        .unwrap();
    app.principal_for(u, None).await.unwrap().unwrap()
}

/// Issue 8, the directory's throughput: a node keeps the rows it shows for a few seconds.
/// A change made through this node shows at once; a write that bypasses it (the nightly count
/// of current clients, or another node) shows once the copy is older than the setting.
#[tokio::test]
async fn directory_rows_are_kept_for_seconds_and_a_change_here_shows_at_once() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let app = app_caching(&t, 4).await;
        let s = app
            .directory_search(&q())
            .await
            .unwrap()
            .items
            .first()
            .expect("the demo lists services")
            .service
            .clone();
        let shown = |app: hearth_app::App| async move {
            app.directory_service(s.id).await.unwrap().service
        };
        let before = shown(app.clone()).await;

        // A bulk write that bypasses the node: the copy is shown until it is four seconds old
        // (long enough that a busy machine does not outlast it between two reads).
        let today = app.today().to_string();
        app.db_for_tests()
            .set_current_clients(&[(s.id, before.current_clients + 3)], &today)
            .await
            .unwrap();
        assert_eq!(
            shown(app.clone()).await.current_clients,
            before.current_clients,
            "{name}: the copy is used"
        );
        tokio::time::sleep(std::time::Duration::from_millis(4_200)).await;
        assert_eq!(
            shown(app.clone()).await.current_clients,
            before.current_clients + 3,
            "{name}: read again once the copy is older than the setting"
        );
        // The search results read the same copies.
        let found = app.directory_search(&q()).await.unwrap();
        assert!(
            found
                .items
                .iter()
                .any(|i| i.service.id == s.id
                    && i.service.current_clients == before.current_clients + 3),
            "{name}"
        );

        // A change made through this node shows at once.
        let officer = officer_of(&app).await;
        let mut input = hearth_app::records::ServiceInput::from_record(
            &app.service(&officer, s.id).await.unwrap(),
        );
        input.public_name = format!("{} (renamed)", before.public_name);
        app.update_service(&officer, s.id, &input).await.unwrap();
        assert_eq!(
            shown(app.clone()).await.public_name,
            format!("{} (renamed)", before.public_name),
            "{name}: a change here shows at once"
        );
        drop(t);
    }
}

#[tokio::test]
async fn with_no_seconds_every_row_is_read_every_time() {
    let t = testing::sqlite().await.unwrap();
    let app = app_caching(&t, 0).await;
    let s = app.directory_search(&q()).await.unwrap().items[0]
        .service
        .clone();
    let today = app.today().to_string();
    app.db_for_tests()
        .set_current_clients(&[(s.id, s.current_clients + 2)], &today)
        .await
        .unwrap();
    assert_eq!(
        app.directory_service(s.id)
            .await
            .unwrap()
            .service
            .current_clients,
        s.current_clients + 2
    );
}

/// Review finding (issue 10): a contact marked confidential ("do not publish my details")
/// was still named as the service's manager on the public directory page.
#[tokio::test]
async fn a_confidential_manager_is_not_named_on_the_public_page() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let app = app_caching(&t, 0).await;
        let db = app.db_for_tests();
        // A service with a manager, as the demo has.
        let mut named = None;
        let services = db
            .list_services(&ServiceFilter {
                per_page: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .items;
        for s in services {
            if let Some(m) = db.service_manager(s.id).await.unwrap() {
                named = Some((s.id, m));
                break;
            }
        }
        let (service, manager) = named.expect("a demo service has a manager");
        assert_eq!(
            app.directory_service(service).await.unwrap().manager,
            Some(manager.full_name()),
            "{name}: the manager is named while not confidential"
        );
        testing::exec(
            db,
            &format!(
                "UPDATE contacts SET confidential = 1 WHERE id = {}",
                manager.id
            ),
        )
        .await
        .unwrap();
        let shown = app.directory_service(service).await.unwrap();
        assert_ne!(
            shown.manager.as_deref(),
            Some(manager.full_name().as_str()),
            "{name}: a confidential manager is named in public"
        );
        drop(t);
    }
}
