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
        // The same count over several services in one query (the provider's home page).
        assert_eq!(
            db.count_current_schedules_in(&[s.id, s.id + 10_000], "2026-11-22")
                .await
                .unwrap(),
            2,
            "{}",
            t.name
        );
        assert_eq!(
            db.count_current_schedules_in(&[], "2026-11-22")
                .await
                .unwrap(),
            0
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
        // Written as that schema had them (today's write path needs the later migrations).
        sqlx_exec(
            db,
            "INSERT INTO users (username, display_name, password_hash, role, password_changed_at, created_at, updated_at)
             VALUES ('api', 'Api User', 'x', 'provider', 1, 1, 1)",
        )
        .await;
        sqlx_exec(
            db,
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at)
             SELECT id, 'old', 'hash-old', 1 FROM users WHERE username = 'api'",
        )
        .await;
        let u = db.user_by_username("api").await.unwrap().unwrap();
        let tok = db.api_tokens_of(u.id).await.unwrap().remove(0);
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
        assert_eq!(
            db.migrate().await.unwrap(),
            vec![8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
            "{}",
            t.name
        );
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

fn actor_of(authority_id: i64) -> Actor {
    Actor {
        user_id: None,
        name: format!("officer-{authority_id}"),
        authority_id: Some(authority_id),
    }
}

async fn entries_of(db: &Db, record_id: &str) -> Vec<AuditEntry> {
    db.audit_search(&AuditQuery {
        record_id: Some(record_id.into()),
        ..Default::default()
    })
    .await
    .unwrap()
}

// Issue 9: one audit chain per authority (and one for system work), each verified.
#[tokio::test]
async fn each_authority_writes_its_own_chain_and_verify_checks_every_one() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        let a = tx.insert_authority("Authority A", "AAA").await.unwrap();
        let b = tx.insert_authority("Authority B", "BBB").await.unwrap();
        tx.commit().await.unwrap();
        for round in 0..3 {
            for auth in [a.id, b.id] {
                let mut tx = db.begin_write(&actor_of(auth)).await.unwrap();
                assert_eq!(tx.chain(), auth, "{}", t.name);
                tx.set_setting(&format!("k.{auth}"), &round.to_string())
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        }
        let of_a = entries_of(db, &format!("k.{}", a.id)).await;
        let of_b = entries_of(db, &format!("k.{}", b.id)).await;
        assert!(of_a.iter().all(|e| e.chain == a.id), "{}", t.name);
        assert!(of_b.iter().all(|e| e.chain == b.id), "{}", t.name);
        // Each chain counts from 1 on its own.
        let mut seqs: Vec<i64> = of_b.iter().map(|e| e.seq).collect();
        seqs.sort();
        assert_eq!(seqs, vec![1, 2, 3], "{}", t.name);
        let system = entries_of(db, &a.id.to_string()).await;
        assert_eq!(system[0].chain, 0, "{}: system work is chain 0", t.name);
        // 2 authorities created, 2 chains opened (anchored in chain 0), 6 settings.
        assert_eq!(
            db.audit_verify().await.unwrap(),
            ChainReport::Intact { entries: 10 },
            "{}",
            t.name
        );

        // An edited entry in one chain is found ...
        let middle = of_b.iter().find(|e| e.seq == 2).unwrap();
        testing::exec(
            db,
            &format!(
                "UPDATE audit_log SET after_json = '{{}}' WHERE id = {}",
                middle.id
            ),
        )
        .await
        .unwrap();
        match db.audit_verify().await.unwrap() {
            ChainReport::Broken { entry_id, .. } => assert_eq!(entry_id, middle.id, "{}", t.name),
            other => panic!("{}: expected a break, got {other:?}", t.name),
        }
    }
}

#[tokio::test]
async fn removing_the_newest_entry_of_one_chain_is_found() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        let a = tx.insert_authority("Authority A", "AAA").await.unwrap();
        tx.commit().await.unwrap();
        for i in 0..2 {
            let mut tx = db.begin_write(&actor_of(a.id)).await.unwrap();
            tx.set_setting("k", &i.to_string()).await.unwrap();
            tx.commit().await.unwrap();
        }
        let newest = entries_of(db, "k")
            .await
            .into_iter()
            .map(|e| e.id)
            .max()
            .unwrap();
        testing::exec(db, &format!("DELETE FROM audit_log WHERE id = {newest}"))
            .await
            .unwrap();
        match db.audit_verify().await.unwrap() {
            ChainReport::Broken { reason, .. } => {
                assert!(reason.contains("removed"), "{}: {reason}", t.name)
            }
            other => panic!("{}: expected a break, got {other:?}", t.name),
        }
    }
}

// Entries written before migration 10 keep verifying in chain 0, and new ones follow them.
#[tokio::test]
async fn entries_from_the_single_chain_still_verify_after_the_upgrade() {
    for t in testing::all_at(9).await.unwrap() {
        let db = &t.db;
        testing::write_legacy_audit_entries(db, 5).await.unwrap();
        assert_eq!(
            db.migrate().await.unwrap(),
            vec![10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
            "{}",
            t.name
        );
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        let a = tx.insert_authority("Authority A", "AAA").await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin_write(&actor_of(a.id)).await.unwrap();
        tx.set_setting("after", "1").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.audit_verify().await.unwrap(),
            ChainReport::Intact { entries: 8 },
            "{}",
            t.name
        );
        let created: Vec<_> = entries_of(db, &a.id.to_string())
            .await
            .into_iter()
            .filter(|e| e.record_type == "authority")
            .collect();
        assert_eq!((created[0].chain, created[0].seq), (0, 6), "{}", t.name);
        assert!(
            created[0].id > 5,
            "{}: ids carry on after the old ones",
            t.name
        );
        // A legacy entry edited after the upgrade is still found.
        testing::exec(db, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
            .await
            .unwrap();
        match db.audit_verify().await.unwrap() {
            ChainReport::Broken { entry_id, .. } => assert_eq!(entry_id, 3, "{}", t.name),
            other => panic!("{}: expected a break, got {other:?}", t.name),
        }
    }
}

// The batch form: one entry for many rows, and a changed row is still found.
#[tokio::test]
async fn a_batch_has_one_entry_and_a_changed_row_of_it_is_found() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let rows: Vec<(String, f64, f64)> = (0..450)
            .map(|i| (format!("ZZ{i:03} 1AA"), 51.0 + f64::from(i) / 1000.0, -1.25))
            .collect();
        let mut tx = db.begin_write(&Actor::system("import")).await.unwrap();
        assert_eq!(tx.upsert_postcodes(&rows).await.unwrap(), 450);
        tx.commit().await.unwrap();
        let entries = db
            .audit_search(&AuditQuery {
                record_type: Some("postcodes".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 1, "{}: one entry for the batch", t.name);
        let summary: serde_json::Value =
            serde_json::from_str(entries[0].after_json.as_deref().unwrap()).unwrap();
        assert_eq!(summary["rows"], 450, "{}", t.name);
        assert_eq!(summary["digest"].as_str().unwrap().len(), 64, "{}", t.name);
        assert_eq!(
            db.audit_verify().await.unwrap(),
            ChainReport::Intact { entries: 1 },
            "{}",
            t.name
        );

        testing::exec(
            db,
            "UPDATE postcodes SET latitude = 55.5 WHERE postcode = 'ZZ321 1AA'",
        )
        .await
        .unwrap();
        match db.audit_verify().await.unwrap() {
            ChainReport::Broken { reason, .. } => {
                assert!(reason.contains("ZZ321 1AA"), "{}: {reason}", t.name)
            }
            other => panic!("{}: expected a break, got {other:?}", t.name),
        }
        // Put back as it was, it verifies again; a row slipped in outside Hearth does not.
        testing::exec(
            db,
            "UPDATE postcodes SET latitude = 51.321 WHERE postcode = 'ZZ321 1AA'",
        )
        .await
        .unwrap();
        assert!(
            matches!(db.audit_verify().await.unwrap(), ChainReport::Intact { .. }),
            "{}",
            t.name
        );
        testing::exec(
            db,
            "INSERT INTO postcodes (postcode, latitude, longitude) VALUES ('ZZ999 9ZZ', 50.0, 0.0)",
        )
        .await
        .unwrap();
        assert!(
            matches!(db.audit_verify().await.unwrap(), ChainReport::Broken { .. }),
            "{}",
            t.name
        );
    }
}

// On PostgreSQL an authority's writes do not wait for another authority's open write (they
// all queued behind one head row before).
#[tokio::test]
async fn one_authority_does_not_wait_for_anothers_open_write() {
    let Some(t) = testing::postgres().await.unwrap() else {
        return;
    };
    let db = &t.db;
    let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
    let a = tx.insert_authority("Authority A", "AAA").await.unwrap();
    let b = tx.insert_authority("Authority B", "BBB").await.unwrap();
    tx.commit().await.unwrap();
    let mut held = db.begin_write(&actor_of(a.id)).await.unwrap();
    held.set_setting("a.long", "running").await.unwrap();
    let other = async {
        let mut tx = db.begin_write(&actor_of(b.id)).await.unwrap();
        tx.set_setting("b.quick", "done").await.unwrap();
        tx.commit().await.unwrap();
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), other)
        .await
        .expect("authority B's write waited for authority A's open transaction");
    held.commit().await.unwrap();
    assert!(matches!(
        db.audit_verify().await.unwrap(),
        ChainReport::Intact { entries: 6 }
    ));
}

// Filters built by the query builder: wildcards stay literal on both databases, and the page's
// total counts every match.
#[tokio::test]
async fn built_filters_page_count_and_keep_wildcards_literal() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        let a = tx.insert_authority("Authority A", "AAA").await.unwrap();
        let names = [
            "50% Housing",
            "Fifty Housing",
            "Under_score Care",
            "Underscore Care",
        ];
        for (i, name) in names.iter().enumerate() {
            tx.insert_provider(
                &ProviderFields {
                    name: (*name).into(),
                    reference: format!("P{i}"),
                    ..Default::default()
                },
                &[a.id],
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let find = |s: &str| ProviderFilter {
            authority_id: Some(a.id),
            search: Some(s.into()),
            ..Default::default()
        };
        let names = |p: Page<Provider>| p.items.into_iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(
            names(db.list_providers(&find("%")).await.unwrap()),
            vec!["50% Housing"],
            "{}",
            t.name
        );
        assert_eq!(
            names(db.list_providers(&find("r_s")).await.unwrap()),
            vec!["Under_score Care"],
            "{}",
            t.name
        );
        let page = db
            .list_providers(&ProviderFilter {
                authority_id: Some(a.id),
                page: 2,
                per_page: 3,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!((page.total, page.items.len()), (4, 1), "{}", t.name);
        assert_eq!(names(page), vec!["Underscore Care"], "{}", t.name);
    }
}

// Issue 9, section 4: job runs kept in the database.
async fn queue_run(db: &Db, kind: &str, authority_id: Option<i64>, max_attempts: i64) -> JobRun {
    let mut tx = db.begin_write(&Actor::system("cli:test")).await.unwrap();
    let r = tx
        .insert_job_run(&NewRun {
            kind: kind.into(),
            parameters: "{}".into(),
            authority_id,
            max_attempts,
            progress_total: None,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    r
}

#[tokio::test]
async fn a_queued_run_is_claimed_once_across_two_claimers() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let run = queue_run(db, "import_postcodes", None, 3).await;
        assert_eq!(run.status, "queued");
        assert_eq!(
            run_entries(db, run.id).await[0].action,
            "queue",
            "{}: queueing is audited",
            t.name
        );
        let kinds = ["import_postcodes"];
        let (a, b) = tokio::join!(
            db.claim_job_run(&kinds, "node-a", 1_000, 30),
            db.claim_job_run(&kinds, "node-b", 1_000, 30)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(
            a.is_some() as u8 + b.is_some() as u8,
            1,
            "{}: exactly one claimer gets the run",
            t.name
        );
        let claimed = a.or(b).unwrap();
        assert_eq!(claimed.id, run.id);
        assert_eq!(claimed.status, "running");
        assert_eq!(claimed.attempts, 1);
        assert_eq!(claimed.lease_until, Some(1_030));
        assert!(
            db.claim_job_run(&kinds, "node-c", 1_010, 30)
                .await
                .unwrap()
                .is_none(),
            "{}: a live lease is not taken",
            t.name
        );
        assert!(
            db.claim_job_run(&["outbox"], "node-c", 5_000, 30)
                .await
                .unwrap()
                .is_none(),
            "{}: only the kinds asked for",
            t.name
        );
        // Many claimers, many runs: each run goes to exactly one.
        for _ in 0..6 {
            queue_run(db, "outbox", None, 3).await;
        }
        let claims = futures_join(db, 8).await;
        let mut ids: Vec<i64> = claims.iter().flatten().map(|r| r.id).collect();
        assert_eq!(ids.len(), 6, "{}", t.name);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 6, "{}: no run claimed twice", t.name);
    }
}

async fn futures_join(db: &Db, n: usize) -> Vec<Option<JobRun>> {
    let mut handles = Vec::new();
    for i in 0..n {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            db.claim_job_run(&["outbox"], &format!("node-{i}"), 2_000, 30)
                .await
                .unwrap()
        }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn an_expired_lease_is_reclaimed_and_resumes_from_its_checkpoint() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let run = queue_run(db, "import_postcodes", None, 3).await;
        let kinds = ["import_postcodes"];
        let a = db
            .claim_job_run(&kinds, "node-a", 1_000, 30)
            .await
            .unwrap()
            .unwrap();
        assert!(db
            .beat_job_run(a.id, "node-a", 1_005, 30, 5, Some(30), Some("importing"))
            .await
            .unwrap());
        assert!(db
            .checkpoint_job_run(a.id, "node-a", 10, r#"{"rows_done":10}"#)
            .await
            .unwrap());
        // Node a dies: no heartbeat after 1,005, so its lease runs out at 1,035.
        assert!(db
            .claim_job_run(&kinds, "node-b", 1_034, 30)
            .await
            .unwrap()
            .is_none());
        let b = db
            .claim_job_run(&kinds, "node-b", 1_036, 30)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(b.id, run.id, "{}", t.name);
        assert_eq!(b.attempts, 2, "{}", t.name);
        assert_eq!(b.lease_owner.as_deref(), Some("node-b"));
        assert_eq!(
            b.checkpoint.as_deref(),
            Some(r#"{"rows_done":10}"#),
            "{}: node b resumes where a stopped",
            t.name
        );
        assert_eq!(b.progress_done, 10);
        assert_eq!(b.progress_total, Some(30));
        // Node a comes back: it no longer holds the run, so it writes nothing.
        assert!(!db
            .beat_job_run(a.id, "node-a", 1_040, 30, 99, Some(30), None)
            .await
            .unwrap());
        assert!(!db
            .checkpoint_job_run(a.id, "node-a", 99, r#"{"rows_done":99}"#)
            .await
            .unwrap());
        let mut tx = db.begin_write(&Actor::system("node-a")).await.unwrap();
        assert!(!tx
            .checkpoint_job_run(a.id, "node-a", 99, "{}")
            .await
            .unwrap());
        drop(tx);
        assert!(db
            .end_job_run(a.id, "node-a", &RunEnd::Done("{}".into()), 1_041, None)
            .await
            .unwrap()
            .is_none());
        let now = db.job_run(run.id).await.unwrap().unwrap();
        assert_eq!(
            now.progress_done, 10,
            "{}: a's late progress was refused",
            t.name
        );
        assert_eq!(now.checkpoint.as_deref(), Some(r#"{"rows_done":10}"#));
        // Node b finishes; the end is audited for a run someone asked for.
        let done = db
            .end_job_run(
                b.id,
                "node-b",
                &RunEnd::Done(r#"{"postcodes":30}"#.into()),
                1_050,
                Some(&Actor::system("runner:node-b")),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.status, "done");
        assert_eq!(done.progress_done, 30);
        assert_eq!(done.finished_at, Some(1_050));
        let actions: Vec<String> = run_entries(db, run.id)
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, vec!["finish", "queue"], "{}", t.name);
        assert!(db
            .claim_job_run(&kinds, "node-c", 9_999, 30)
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            db.audit_verify().await.unwrap(),
            ChainReport::Intact { entries: 2 },
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn a_run_whose_node_keeps_dying_fails_and_a_cancelled_one_stops_its_node() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let run = queue_run(db, "backup", None, 1).await;
        db.claim_job_run_id(run.id, "cli-a", 1_000, 30)
            .await
            .unwrap()
            .unwrap();
        assert!(db
            .claim_job_run_id(run.id, "cli-b", 1_031, 30)
            .await
            .unwrap()
            .is_none());
        assert_eq!(db.fail_abandoned_job_runs(1_031).await.unwrap(), 1);
        let failed = db.job_run(run.id).await.unwrap().unwrap();
        assert_eq!(failed.status, "failed", "{}", t.name);
        assert!(failed.error.unwrap().contains("1 times"));

        let run = queue_run(db, "import_postcodes", None, 3).await;
        db.claim_job_run_id(run.id, "node-a", 2_000, 30)
            .await
            .unwrap()
            .unwrap();
        let mut tx = db.begin_write(&Actor::system("admin")).await.unwrap();
        let cancelled = tx.cancel_job_run(run.id).await.unwrap().unwrap();
        tx.commit().await.unwrap();
        assert_eq!(cancelled.status, "cancelled");
        assert!(!db
            .beat_job_run(run.id, "node-a", 2_001, 30, 1, None, None)
            .await
            .unwrap());
        let mut tx = db.begin_write(&Actor::system("admin")).await.unwrap();
        assert!(tx.cancel_job_run(run.id).await.unwrap().is_none());
        drop(tx);
        // The scheduler's own runs are not audited, and go a day after they end.
        let own = db
            .enqueue_job_run(
                &NewRun {
                    kind: "outbox".into(),
                    parameters: "{}".into(),
                    max_attempts: 3,
                    ..Default::default()
                },
                "scheduler:node-a",
                3_000,
            )
            .await
            .unwrap();
        assert_eq!(own.audited, 0);
        assert!(run_entries(db, own.id).await.is_empty());
        assert_eq!(
            db.active_job_run("outbox").await.unwrap().map(|r| r.id),
            Some(own.id)
        );
        db.claim_job_run(&["outbox"], "node-a", 3_000, 30)
            .await
            .unwrap()
            .unwrap();
        db.end_job_run(
            own.id,
            "node-a",
            &RunEnd::Failed("no relay".into()),
            3_001,
            None,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(db.prune_job_runs(3_001).await.unwrap(), 0);
        assert_eq!(db.prune_job_runs(3_002).await.unwrap(), 1);
        assert!(
            db.job_run(run.id).await.unwrap().is_some(),
            "audited runs stay"
        );
    }
}

async fn run_entries(db: &Db, id: i64) -> Vec<AuditEntry> {
    entries_of(db, &id.to_string())
        .await
        .into_iter()
        .filter(|e| e.record_type == "job_run")
        .collect()
}

// The refuge rule is written once in the domain; the SQL that filters rows must agree with it.
#[tokio::test]
async fn the_confidential_address_sql_is_the_domains_rule() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let (a, p, _) = seed(db).await;
        let mut expected = Vec::new();
        let mut updates = Vec::new();
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        let mut n = 0;
        for accommodation in ["refuge", "hostel", ""] {
            for group in ["domestic_abuse", "single_homeless"] {
                for kind in ["accommodation_based", "floating_support"] {
                    n += 1;
                    let s = tx
                        .insert_service(
                            a.id,
                            &ServiceFields {
                                provider_id: p.id,
                                reference: format!("C{n}"),
                                name: format!("Combination {n}"),
                                service_type: kind.into(),
                                client_group: group.into(),
                                term: "long_term".into(),
                                ..Default::default()
                            },
                        )
                        .await
                        .unwrap();
                    updates.push(format!(
                        "UPDATE services SET accommodation_type = '{accommodation}' WHERE id = {}",
                        s.id
                    ));
                    if hearth_domain::directory::address_confidential(accommodation, group, kind) {
                        expected.push(s.id);
                    }
                }
            }
        }
        tx.commit().await.unwrap();
        for u in updates {
            testing::exec(db, &u).await.unwrap();
        }
        let rows = sqlx::query(&format!(
            "SELECT s.id FROM services s WHERE s.reference LIKE 'C%' AND {} ORDER BY s.id",
            CONFIDENTIAL_SQL
        ))
        .fetch_all(db.pool())
        .await
        .unwrap();
        use sqlx::Row;
        let got: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>("id")).collect();
        assert_eq!(got, expected, "{}", t.name);
        assert_eq!(expected.len(), 6, "{}", t.name);
    }
}

// Review finding: deleting a whole chain (its entries and its head) went unnoticed.
#[tokio::test]
async fn removing_a_whole_chain_is_found_from_its_opening_in_the_system_chain() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        let a = tx.insert_authority("Authority A", "AAA").await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin_write(&actor_of(a.id)).await.unwrap();
        tx.set_setting("k", "1").await.unwrap();
        tx.commit().await.unwrap();
        assert!(
            matches!(db.audit_verify().await.unwrap(), ChainReport::Intact { .. }),
            "{}",
            t.name
        );
        testing::exec(db, &format!("DELETE FROM audit_log WHERE chain = {}", a.id))
            .await
            .unwrap();
        testing::exec(
            db,
            &format!("DELETE FROM audit_chains WHERE chain = {}", a.id),
        )
        .await
        .unwrap();
        match db.audit_verify().await.unwrap() {
            ChainReport::Broken { reason, .. } => {
                assert!(reason.contains("was opened"), "{}: {reason}", t.name)
            }
            other => panic!("{}: expected a break, got {other:?}", t.name),
        }
    }
}

// Review finding: verify read every entry of a chain however new, so entries committed while
// it ran looked like "entries removed"; and an entry slipped in past the head is a break.
#[tokio::test]
async fn an_entry_past_a_chains_head_is_found() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
        tx.set_setting("k", "1").await.unwrap();
        tx.commit().await.unwrap();
        testing::exec(
            db,
            "INSERT INTO audit_log (at, actor, action, record_type, record_id, prev_hash, hash, chain, seq, format)
             SELECT at, actor, action, record_type, record_id, hash, hash, chain, seq + 1, format FROM audit_log WHERE chain = 0 AND seq = (SELECT MAX(seq) FROM audit_log WHERE chain = 0)",
        )
        .await
        .unwrap();
        match db.audit_verify().await.unwrap() {
            ChainReport::Broken { reason, .. } => {
                assert!(reason.contains("past its head"), "{}: {reason}", t.name)
            }
            other => panic!("{}: expected a break, got {other:?}", t.name),
        }
    }
}

// Review finding: postcodes imported before migration 10 had no seal, so audit verify reported
// a break on every upgraded database that had postcodes.
#[tokio::test]
async fn postcodes_from_before_the_upgrade_are_sealed_by_it() {
    for t in testing::all_at(9).await.unwrap() {
        let db = &t.db;
        testing::exec(
            db,
            "INSERT INTO postcodes (postcode, latitude, longitude) VALUES ('AB1 2CD', 57.1, -2.1), ('EF3 4GH', 51.5, -0.12)",
        )
        .await
        .unwrap();
        db.migrate().await.unwrap();
        assert!(
            matches!(db.audit_verify().await.unwrap(), ChainReport::Intact { .. }),
            "{}",
            t.name
        );
        let entries = db
            .audit_search(&AuditQuery {
                record_type: Some("postcodes".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 1, "{}", t.name);
        assert!(
            entries[0]
                .after_json
                .as_deref()
                .unwrap()
                .contains("\"rows\":2"),
            "{}",
            t.name
        );
        testing::exec(
            db,
            "UPDATE postcodes SET longitude = 0.5 WHERE postcode = 'EF3 4GH'",
        )
        .await
        .unwrap();
        assert!(
            matches!(db.audit_verify().await.unwrap(), ChainReport::Broken { .. }),
            "{}",
            t.name
        );
    }
}

// Issue 10: a service that supported "visual or hearing impairment" (one flag) supports both
// after migration 14, which splits the flag and adds the eligibility text.
#[tokio::test]
async fn one_impairment_flag_becomes_both_in_migration_14() {
    for t in testing::all_at(13).await.unwrap() {
        let db = &t.db;
        let (_a, _p, s) = seed(db).await;
        testing::exec(
            db,
            &format!(
                "UPDATE services SET impairment_support = 1 WHERE id = {}",
                s.id
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            db.migrate().await.unwrap(),
            vec![14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
            "{}",
            t.name
        );
        // A new connection: PostgreSQL's cached plans of `SELECT *` on the old table would
        // refuse the changed columns (a server migrates before it serves).
        let fresh = Db::connect(&DbConfig {
            url: t.url.clone(),
            max_connections: 1,
            audit_key: b"unused".to_vec(),
        })
        .await
        .unwrap();
        let after = fresh.service(s.id).await.unwrap().unwrap();
        assert_eq!(after.visual_impairment_support, 1, "{}", t.name);
        assert_eq!(after.hearing_impairment_support, 1, "{}", t.name);
        assert_eq!(after.eligibility, "", "{}", t.name);
    }
}

// Issue 9, section 2: the records kept in `settings` before migration 12 come out as rows of
// their own tables, and the settings rows are gone.
#[tokio::test]
async fn return_records_in_settings_are_carried_over_by_migration_12() {
    for t in testing::all_at(11).await.unwrap() {
        let db = &t.db;
        let (a, _p, s) = seed(db).await;
        let settings = [
            (
                format!("local_indicators:{}", a.id),
                r#"[{"code":"referrals","name":"Referrals received","unit":"number","service_types":[],"higher_is_better":true},{"code":"visits","name":"Home visits","unit":"number","service_types":["accommodation_based"],"higher_is_better":false}]"#.to_string(),
            ),
            (format!("extension:{}:2026/27 Q1", s.id), "2026-08-31".to_string()),
            (format!("reminder:{}:2026/27 Q1:before", s.id), "2026-07-22".to_string()),
            (
                format!("workbook_versions:{}:2026", s.id),
                r#"[{"version":2,"from_quarter":3,"reason":"Units changed","issued_by":"officer","issued_on":"2026-10-02"}]"#.to_string(),
            ),
            ("returns_due_days:1".to_string(), "21".to_string()),
        ];
        let mut tx = db.begin_write(&actor_of(a.id)).await.unwrap();
        for (name, value) in &settings {
            tx.set_setting(name, value).await.unwrap();
        }
        tx.commit().await.unwrap();

        assert_eq!(
            db.migrate().await.unwrap(),
            vec![12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
            "{}",
            t.name
        );

        let locals = db.local_indicators_of(a.id).await.unwrap();
        assert_eq!(locals.len(), 2, "{}", t.name);
        assert_eq!(
            (
                locals[0].code.as_str(),
                locals[0].name.as_str(),
                locals[0].unit.as_str()
            ),
            ("referrals", "Referrals received", "number"),
            "{}",
            t.name
        );
        assert_eq!(locals[0].service_types, "[]", "{}", t.name);
        assert_eq!(locals[0].higher_is_better, 1, "{}", t.name);
        assert_eq!(locals[1].code, "visits", "{}", t.name);
        assert_eq!(
            locals[1].service_types, r#"["accommodation_based"]"#,
            "{}",
            t.name
        );
        assert_eq!(locals[1].higher_is_better, 0, "{}", t.name);

        let e = db.return_extension(s.id, 2026, 1).await.unwrap().unwrap();
        assert_eq!(e.due_date, "2026-08-31", "{}", t.name);
        assert_eq!(
            db.return_extensions_for(a.id, 2026, 1).await.unwrap(),
            vec![e],
            "{}",
            t.name
        );
        let r = db
            .return_reminder(s.id, 2026, 1, "before")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.sent_on, "2026-07-22", "{}", t.name);
        assert!(db
            .return_reminder(s.id, 2026, 1, "after")
            .await
            .unwrap()
            .is_none());
        let v = db.workbook_versions_of(s.id, 2026).await.unwrap();
        assert_eq!(v.len(), 1, "{}", t.name);
        assert_eq!(
            (
                v[0].version,
                v[0].from_quarter,
                v[0].reason.as_str(),
                v[0].issued_by.as_str(),
                v[0].issued_on.as_str()
            ),
            (2, 3, "Units changed", "officer", "2026-10-02"),
            "{}",
            t.name
        );

        for (name, _) in &settings[..4] {
            assert_eq!(db.setting(name).await.unwrap(), None, "{}: {name}", t.name);
        }
        // Settings that are settings stay.
        assert_eq!(
            db.setting("returns_due_days:1").await.unwrap().as_deref(),
            Some("21"),
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

// A second extension for the same service and quarter replaces the first (one row, both
// audited); another quarter's is its own.
#[tokio::test]
async fn a_second_extension_for_a_quarter_replaces_the_first() {
    for t in testing::all().await.unwrap() {
        let db = &t.db;
        let (a, _p, s) = seed(db).await;
        let mut tx = db.begin_write(&actor_of(a.id)).await.unwrap();
        let first = tx
            .set_return_extension(s.id, 2026, 1, "2026-08-15")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin_write(&actor_of(a.id)).await.unwrap();
        let second = tx
            .set_return_extension(s.id, 2026, 1, "2026-08-31")
            .await
            .unwrap();
        tx.set_return_extension(s.id, 2026, 2, "2026-11-30")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(first.id, second.id, "{}", t.name);
        let of_q1 = db.return_extensions_for(a.id, 2026, 1).await.unwrap();
        assert_eq!(of_q1.len(), 1, "{}", t.name);
        assert_eq!(of_q1[0].due_date, "2026-08-31", "{}", t.name);
        assert_eq!(
            db.return_extensions_for(a.id, 2026, 2).await.unwrap().len(),
            1
        );
        let entries: Vec<_> = entries_of(db, &first.id.to_string())
            .await
            .into_iter()
            .filter(|e| e.record_type == "return_extension")
            .collect();
        assert!(entries.len() >= 2, "{}: {entries:?}", t.name);
        // The table itself refuses a duplicate written around the repository.
        let dup = testing::exec(
            db,
            &format!(
                "INSERT INTO return_extensions (service_id, year_start, quarter, due_date) VALUES ({}, 2026, 1, '2026-09-30')",
                s.id
            ),
        )
        .await;
        assert!(dup.is_err(), "{}", t.name);
    }
}

// Review finding: with one head per chain, writers of different chains no longer queued, and
// the row read before a change was not locked, so two of them could overwrite each other.
// On PostgreSQL a row read for a change is now locked until its transaction ends.
#[tokio::test]
async fn a_row_read_for_a_change_is_locked_against_other_chains() {
    let Some(t) = testing::postgres().await.unwrap() else {
        return;
    };
    let db = t.db.clone();
    let mut tx = db.begin_write(&Actor::system("test")).await.unwrap();
    let a = tx.insert_authority("Authority A", "AAA").await.unwrap();
    tx.commit().await.unwrap();
    let run = queue_run(&db, "return_reminders", Some(a.id), 3).await;
    // Authority A reads the run for a change and holds its transaction open.
    let mut holding = db.begin_write(&actor_of(a.id)).await.unwrap();
    assert!(holding.job_run(run.id).await.unwrap().is_some());
    // The command line (the system chain) cancelling it must wait for A.
    let other = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin_write(&Actor::system("cli:test")).await.unwrap();
            let cancelled = tx.cancel_job_run(run.id).await.unwrap();
            tx.commit().await.unwrap();
            cancelled
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(
        !other.is_finished(),
        "the other chain's change waited for the row"
    );
    holding.commit().await.unwrap();
    let cancelled = tokio::time::timeout(std::time::Duration::from_secs(5), other)
        .await
        .unwrap()
        .unwrap();
    assert!(cancelled.is_some());
}
