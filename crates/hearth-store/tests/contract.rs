//! Repository contract suite: the same behaviour on SQLite and, when `TEST_DATABASE_URL`
//! is set, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_store::testing;
use hearth_store::*;

async fn seed(db: &Db) -> (Authority, Provider, Service) {
    let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
    let a = tx
        .insert_authority("Brackenshire County Council", "BRK")
        .await
        .unwrap();
    let p = tx
        .insert_provider(
            &ProviderFields {
                name: "Acorn Housing".into(),
                reference: "P001".into(),
                ..Default::default()
            },
            &[a.id],
        )
        .await
        .unwrap();
    let s = tx
        .insert_service(
            a.id,
            &ServiceFields {
                provider_id: p.id,
                reference: "S001".into(),
                name: "Acorn House".into(),
                service_type: "accommodation_based".into(),
                term: "short".into(),
                client_group: "single_homeless".into(),
                contracted_units: 12,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (a, p, s)
}

#[tokio::test]
async fn migrations_are_versioned_and_refuse_a_newer_schema() {
    for t in testing::all().await.unwrap() {
        assert_eq!(
            t.db.schema_version().await.unwrap(),
            latest_version(),
            "{}",
            t.name
        );
        // Running again applies nothing.
        assert!(t.db.migrate().await.unwrap().is_empty(), "{}", t.name);
        sqlx_exec(
            &t.db,
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)",
        )
        .await;
        let err = t.db.migrate().await.unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaTooNew { database: 9999, .. }),
            "{}: {err}",
            t.name
        );
    }
}

async fn sqlx_exec(db: &Db, sql: &str) {
    sqlx::query(sql).execute(db.pool()).await.unwrap();
}

#[tokio::test]
async fn providers_services_contracts_round_trip_and_are_scoped() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let (a, p, s) = seed(db).await;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        let other_auth = tx
            .insert_authority("Fernvale Borough Council", "FVL")
            .await
            .unwrap();
        let other = tx
            .insert_provider(
                &ProviderFields {
                    name: "Beech Trust".into(),
                    reference: "P002".into(),
                    limited_access: true,
                    ..Default::default()
                },
                &[other_auth.id],
            )
            .await
            .unwrap();
        let c = tx
            .insert_contract(
                a.id,
                &ContractFields {
                    provider_id: p.id,
                    reference: "C001".into(),
                    title: "Acorn block contract".into(),
                    units: 12,
                    unit_rate_pence: 15_050,
                    start_date: "2026-04-01".into(),
                    end_date: "2029-03-31".into(),
                    status: "steady_state".into(),
                    service_ids: vec![s.id],
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(other.limited_access, 1, "{}", t.name);
        let mine = db
            .list_providers(&ProviderFilter {
                authority_id: Some(a.id),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            mine.items
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            vec!["Acorn Housing"],
            "{}",
            t.name
        );
        let search = db
            .list_providers(&ProviderFilter {
                search: Some("beech".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(search.total, 1, "{}", t.name);

        let svc = db
            .list_services(&ServiceFilter {
                provider_id: Some(other.id),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(svc.total, 0, "{}", t.name);
        let svc = db
            .list_services(&ServiceFilter {
                only_ids: Some(vec![]),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            svc.total, 0,
            "{}: an empty limited-access scope sees nothing",
            t.name
        );
        let svc = db
            .list_services(&ServiceFilter {
                authority_id: Some(a.id),
                only_ids: Some(vec![s.id]),
                search: Some("ACORN".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(svc.items.len(), 1, "{}", t.name);
        assert_eq!(svc.items[0].available_places, None, "{}", t.name);

        let got = db.contract(c.id).await.unwrap().unwrap();
        assert_eq!(got.unit_rate_pence, 15_050, "{}", t.name);
        assert_eq!(
            db.contract_service_ids(c.id).await.unwrap(),
            vec![s.id],
            "{}",
            t.name
        );
        assert_eq!(
            db.service_contracts(s.id).await.unwrap().len(),
            1,
            "{}",
            t.name
        );
        let by_status = db
            .list_contracts(&ContractFilter {
                status: Some("expired".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(by_status.total, 0, "{}", t.name);
    }
}

#[tokio::test]
async fn schedules_list_current_or_all_and_page() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let (a, _p, s) = seed(db).await;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        for (i, (last, end)) in [
            ("Adams", None),
            ("Brown", Some("2026-01-31")),
            ("Clark", None),
        ]
        .iter()
        .enumerate()
        {
            let c = tx
                .insert_client(
                    a.id,
                    &ClientFields {
                        first_name: format!("Client{i}"),
                        last_name: (*last).into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            tx.insert_schedule(&ScheduleFields {
                client_id: c.id,
                service_id: s.id,
                units_per_week: 1,
                start_date: "2025-06-01".into(),
                end_date: end.map(String::from),
                end_reason: end.map(|_| "support_no_longer_required".to_string()),
                ..Default::default()
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let current = db
            .service_schedules(s.id, "2026-11-22", false, ScheduleSort::Name, 1, 50)
            .await
            .unwrap();
        assert_eq!(
            current
                .items
                .iter()
                .map(|r| r.last_name.as_str())
                .collect::<Vec<_>>(),
            vec!["Adams", "Clark"],
            "{}",
            t.name
        );
        let all = db
            .service_schedules(s.id, "2026-11-22", true, ScheduleSort::Name, 2, 2)
            .await
            .unwrap();
        assert_eq!(all.total, 3, "{}", t.name);
        assert_eq!(all.total_pages(), 2, "{}", t.name);
        assert_eq!(all.items.len(), 1, "{}", t.name);
        assert_eq!(
            db.count_current_schedules(s.id, "2026-11-22")
                .await
                .unwrap(),
            2,
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn audit_chain_verifies_and_reports_an_edited_entry() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let (_a, p, _s) = seed(db).await;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        tx.update_provider(
            p.id,
            &ProviderFields {
                name: "Acorn Housing Ltd".into(),
                reference: "P001".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let entries = db
            .audit_search(&AuditQuery {
                record_type: Some("provider".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let update = entries.iter().find(|e| e.action == "update").unwrap();
        assert!(
            update
                .before_json
                .as_deref()
                .unwrap()
                .contains("\"Acorn Housing\""),
            "{}",
            t.name
        );
        assert!(
            update
                .after_json
                .as_deref()
                .unwrap()
                .contains("\"Acorn Housing Ltd\""),
            "{}",
            t.name
        );
        let ChainReport::Intact { entries: n } = db.audit_verify().await.unwrap() else {
            panic!("{}: chain should be intact", t.name)
        };
        assert!(n >= 4, "{}", t.name);

        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE id = $1")
            .bind(update.id)
            .execute(db.pool())
            .await
            .unwrap();
        match db.audit_verify().await.unwrap() {
            ChainReport::Broken { entry_id, .. } => assert_eq!(entry_id, update.id, "{}", t.name),
            other => panic!("{}: expected broken chain, got {other:?}", t.name),
        }
    }
}

#[tokio::test]
async fn a_failed_transaction_leaves_nothing_behind() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let (a, _p, _s) = seed(db).await;
        let before = db.audit_search(&AuditQuery::default()).await.unwrap().len();
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        tx.insert_provider(
            &ProviderFields {
                name: "Half".into(),
                reference: "P009".into(),
                ..Default::default()
            },
            &[a.id],
        )
        .await
        .unwrap();
        // Duplicate reference: the second insert fails and the whole transaction is dropped.
        let err = tx
            .insert_provider(
                &ProviderFields {
                    name: "Half 2".into(),
                    reference: "P009".into(),
                    ..Default::default()
                },
                &[a.id],
            )
            .await
            .unwrap_err();
        assert!(err.is_unique_violation(), "{}: {err}", t.name);
        drop(tx);
        assert_eq!(
            db.list_providers(&ProviderFilter {
                search: Some("half".into()),
                ..Default::default()
            })
            .await
            .unwrap()
            .total,
            0,
            "{}",
            t.name
        );
        assert_eq!(
            db.audit_search(&AuditQuery::default()).await.unwrap().len(),
            before,
            "{}",
            t.name
        );
        assert!(
            matches!(db.audit_verify().await.unwrap(), ChainReport::Intact { .. }),
            "{}",
            t.name
        );
    }
}

// Review finding: tokens made before tokens expired ran out 90 days after they were made (so an
// older one stopped on upgrade, unannounced); they now run 90 days from that upgrade.
#[tokio::test]
async fn tokens_from_before_expiry_run_for_90_days_from_the_upgrade() {
    for t in testing::all_at(7).await.unwrap() {
        let db = &t.db;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        let u = tx
            .insert_user(&NewUser {
                username: "api".into(),
                display_name: "Api User".into(),
                email: String::new(),
                password_hash: "x".into(),
                role: "provider".into(),
                authority_id: None,
                contact_id: None,
                totp_secret: None,
                must_change_password: false,
            })
            .await
            .unwrap();
        let tok = tx
            .insert_api_token(u.id, "old", "hash-old", None, 1)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // As it was before migration 8: made two years ago, no expiry, upgraded at 1_800_000_000.
        sqlx_exec(
            db,
            &format!(
                "UPDATE api_tokens SET expires_at = NULL, created_at = 1700000000 WHERE id = {}",
                tok.id
            ),
        )
        .await;
        sqlx_exec(
            db,
            "UPDATE schema_migrations SET applied_at = 1800000000 WHERE version = 7",
        )
        .await;
        assert_eq!(db.migrate().await.unwrap(), vec![8, 9], "{}", t.name);
        let after = db.api_tokens_of(u.id).await.unwrap();
        assert_eq!(
            after[0].expires_at,
            Some(1_800_000_000 + 90 * 86_400),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn totp_steps_are_single_use() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        let u = tx
            .insert_user(&NewUser {
                username: "officer".into(),
                display_name: "Olive Officer".into(),
                email: String::new(),
                password_hash: "x".into(),
                role: "officer".into(),
                authority_id: None,
                contact_id: None,
                totp_secret: Some("ABC".into()),
                must_change_password: false,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(db.consume_totp_step(u.id, 100).await.unwrap(), "{}", t.name);
        assert!(
            !db.consume_totp_step(u.id, 100).await.unwrap(),
            "{}: replay refused",
            t.name
        );
        assert!(
            !db.consume_totp_step(u.id, 99).await.unwrap(),
            "{}: older step refused",
            t.name
        );
        assert!(
            db.user_by_username("OFFICER").await.unwrap().is_some(),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn a_job_is_claimed_once_per_interval() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        assert!(
            db.claim_job("sweep", "node-a", 1_000, 60, 30)
                .await
                .unwrap(),
            "{}",
            t.name
        );
        assert!(
            !db.claim_job("sweep", "node-b", 1_001, 60, 30)
                .await
                .unwrap(),
            "{}",
            t.name
        );
        db.release_job("sweep", "node-a").await.unwrap();
        assert!(
            !db.claim_job("sweep", "node-b", 1_010, 60, 30)
                .await
                .unwrap(),
            "{}: not due yet",
            t.name
        );
        assert!(
            db.claim_job("sweep", "node-b", 1_060, 60, 30)
                .await
                .unwrap(),
            "{}",
            t.name
        );
    }
}

// The distance search reads through a spatial index (SQLite's R*Tree, kept by triggers;
// PostgreSQL's GiST index on the point), and the index follows every change of location.
#[tokio::test]
async fn the_spatial_index_follows_a_services_location() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let (_, _, s) = seed(db).await;
        let around = |lat: f64, lon: f64| DirectorySearch {
            bbox: Some((lat - 0.01, lon - 0.01, lat + 0.01, lon + 0.01)),
            ..Default::default()
        };
        let found = |v: Vec<(i64, f64, f64)>| v.iter().any(|(id, _, _)| *id == s.id);
        assert!(
            !found(
                db.directory_locations(&around(51.5, -0.1), 100)
                    .await
                    .unwrap()
            ),
            "{}: no location yet",
            t.name
        );
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        tx.set_service_location(s.id, Some((51.5, -0.1)))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            found(
                db.directory_locations(&around(51.5, -0.1), 100)
                    .await
                    .unwrap()
            ),
            "{}: found where it is",
            t.name
        );
        // A point exactly on the edge of the box is kept (R*Tree rounds to 32-bit floats).
        let edge = DirectorySearch {
            bbox: Some((51.5, -0.1, 51.6, 0.0)),
            ..Default::default()
        };
        assert!(
            found(db.directory_locations(&edge, 100).await.unwrap()),
            "{}: edge",
            t.name
        );
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        tx.set_service_location(s.id, Some((53.4, -2.2)))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            !found(
                db.directory_locations(&around(51.5, -0.1), 100)
                    .await
                    .unwrap()
            ),
            "{}: gone from where it was",
            t.name
        );
        assert!(
            found(
                db.directory_locations(&around(53.4, -2.2), 100)
                    .await
                    .unwrap()
            ),
            "{}: found where it moved",
            t.name
        );
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        tx.set_service_location(s.id, None).await.unwrap();
        tx.commit().await.unwrap();
        assert!(
            !found(
                db.directory_locations(&around(53.4, -2.2), 100)
                    .await
                    .unwrap()
            ),
            "{}: no location, not found",
            t.name
        );
        // The search's plan uses the index.
        let plan = db.explain_directory_box().await.unwrap();
        let index = if t.name == "sqlite" {
            "service_locations"
        } else {
            "services_point"
        };
        assert!(plan.contains(index), "{}: {plan}", t.name);
    }
}
