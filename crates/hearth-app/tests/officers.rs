//! Responsible officers (issue 10, core records): a provider's lead officer and contract
//! manager, a service's own or its provider's, "my providers", the lists' officer filter and
//! the workbook's contract manager; only the authority's officers may be named, and another
//! authority's provider is not found.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hearth_app::admin::UserInput;
use hearth_app::officers::Officers;
use hearth_app::records::ListQuery;
use hearth_app::{AppError, Principal};
use hearth_store::testing;

async fn principal(w: &common::World, username: &str) -> Principal {
    let u = w
        .app
        .db_for_tests()
        .user_by_username(username)
        .await
        .unwrap()
        .unwrap();
    w.app.principal_for(u, None).await.unwrap().unwrap()
}

fn mine() -> ListQuery {
    ListQuery {
        officer: Some("me".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn my_providers_are_the_ones_naming_me_and_the_list_filter_agrees() {
    for t in testing::all().await.unwrap() {
        let w = common::world(t).await;
        let me = w.officer.user_id().unwrap();
        let count = w.app.count_my_providers(&w.officer).await.unwrap();
        let all = w
            .app
            .list_providers(&w.officer, &Default::default())
            .await
            .unwrap()
            .total;
        assert!(
            count > 0 && count < all,
            "the demo names Olu for some providers: {count} of {all}"
        );
        let listed = w.app.list_providers(&w.officer, &mine()).await.unwrap();
        assert_eq!(listed.total, count);
        for p in &listed.items {
            let ro = w.app.provider_officers(&w.officer, p.id).await.unwrap();
            let on_provider =
                [ro.own.lead_officer_id, ro.own.contract_manager_id].contains(&Some(me));
            let services = w
                .app
                .list_services(
                    &w.officer,
                    &ListQuery {
                        provider: Some(p.id),
                        officer: Some("me".into()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert!(on_provider || services.total > 0, "{} is not Olu's", p.name);
        }
        // The services filter uses the officers in effect: every listed service has me as its
        // own officer or its provider's where it names none.
        let services = w.app.list_services(&w.officer, &mine()).await.unwrap();
        assert!(services.total > 0);
        for s in &services.items {
            let ro = w.app.service_officers(&w.officer, s).await.unwrap();
            assert!(
                ro.lead.as_ref().map(|o| o.id) == Some(me)
                    || ro.contract_manager.as_ref().map(|o| o.id) == Some(me),
                "{} is not Olu's",
                s.name
            );
        }
    }
}

#[tokio::test]
async fn a_service_has_its_providers_officers_until_it_names_its_own() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let contracts = principal(&w, "contracts").await;
    let olu = w.officer.user_id().unwrap();
    let cara = contracts.user_id().unwrap();
    let services = w
        .app
        .list_services(&w.officer, &Default::default())
        .await
        .unwrap();
    let s = services
        .items
        .iter()
        .find(|s| s.lead_officer_id.is_none() && s.contract_manager_id.is_none())
        .unwrap()
        .clone();
    w.app
        .set_provider_officers(
            &w.officer,
            s.provider_id,
            Officers {
                lead_officer_id: Some(olu),
                contract_manager_id: Some(cara),
            },
        )
        .await
        .unwrap();
    let ro = w.app.service_officers(&w.officer, &s).await.unwrap();
    assert_eq!(ro.lead.as_ref().map(|o| o.id), Some(olu));
    assert!(ro.lead_from_provider && ro.contract_manager_from_provider);

    w.app
        .set_service_officers(
            &w.officer,
            s.id,
            Officers {
                lead_officer_id: Some(cara),
                contract_manager_id: None,
            },
        )
        .await
        .unwrap();
    let s = w.app.service(&w.officer, s.id).await.unwrap();
    let ro = w.app.service_officers(&w.officer, &s).await.unwrap();
    assert_eq!(
        ro.lead.as_ref().map(|o| o.name.as_str()),
        Some("Cara Contracts")
    );
    assert!(!ro.lead_from_provider);
    assert_eq!(ro.contract_manager.as_ref().map(|o| o.id), Some(cara));
    assert!(ro.contract_manager_from_provider);

    // The audit trail has the provider's change, old and new.
    let entries = w
        .app
        .db_for_tests()
        .audit_search(&hearth_store::AuditQuery {
            record_type: Some("provider_authority".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let e = entries
        .iter()
        .find(|e| e.record_id.starts_with(&format!("{}:", s.provider_id)) && e.action == "update")
        .expect("the change of officers is audited");
    assert!(e
        .after_json
        .as_deref()
        .unwrap()
        .contains(&format!("\"lead_officer_id\":{olu}")));
}

#[tokio::test]
async fn only_the_authoritys_officers_may_be_named_and_only_by_staff_who_write() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let db = w.app.db_for_tests();
    let system = Principal::system("cli:test");
    let other = w
        .app
        .add_authority(
            &system,
            &hearth_app::authorities::NewAuthority {
                code: "ELS".into(),
                name: "Elsewhere Council".into(),
                region: String::new(),
            },
        )
        .await
        .unwrap();
    let outsider = w
        .app
        .create_user(
            &system,
            &UserInput {
                username: "outsider".into(),
                display_name: "Oscar Outsider".into(),
                email: "oscar@elsewhere.example".into(),
                role: "officer".into(),
                authority_id: Some(other.id),
                contact_id: None,
            },
            "plum-ravine-harvest-77",
            None,
            true,
        )
        .await
        .unwrap();
    let board = w.board.user_id().unwrap();
    let provider_user = w.provider.user_id().unwrap();
    let finance = principal(&w, "finance").await.user_id().unwrap();
    let providers = w
        .app
        .list_providers(&w.officer, &Default::default())
        .await
        .unwrap();
    let p = &providers.items[0];
    let before = w.app.provider_officers(&w.officer, p.id).await.unwrap().own;
    for bad in [outsider.id, board, provider_user, finance, 999_999] {
        let r = w
            .app
            .set_provider_officers(
                &w.officer,
                p.id,
                Officers {
                    lead_officer_id: Some(bad),
                    contract_manager_id: None,
                },
            )
            .await;
        match r {
            Err(AppError::Invalid(e)) => assert_eq!(e.0[0].0, "lead_officer"),
            other => panic!("user {bad} was accepted: {other:?}"),
        }
    }
    assert_eq!(
        w.app.provider_officers(&w.officer, p.id).await.unwrap().own,
        before,
        "nothing changed"
    );
    // A read-only member and a provider user may not change them.
    let olu = Officers {
        lead_officer_id: w.officer.user_id(),
        contract_manager_id: None,
    };
    assert!(matches!(
        w.app.set_provider_officers(&w.board, p.id, olu).await,
        Err(AppError::Forbidden)
    ));
    assert!(w
        .app
        .set_provider_officers(&w.provider, p.id, olu)
        .await
        .is_err());
    // Another authority's provider (registered only there) is not found.
    let mut tx = db
        .begin_write(&hearth_store::Actor::system("test"))
        .await
        .unwrap();
    let theirs = tx
        .insert_provider(
            &hearth_store::ProviderFields {
                name: "Elsewhere Housing".into(),
                reference: "ELS-P1".into(),
                ..Default::default()
            },
            &[other.id],
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(
        w.app
            .set_provider_officers(&w.officer, theirs.id, olu)
            .await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        w.app.provider_officers(&w.officer, theirs.id).await,
        Err(AppError::NotFound)
    ));
}

#[tokio::test]
async fn the_workbook_names_the_services_contract_manager() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let services = w
        .app
        .list_services(&w.provider, &Default::default())
        .await
        .unwrap();
    let s = &services.items[0];
    let year = hearth_domain::FinancialYear::for_date(w.app.today());
    let (_, bytes) = w
        .app
        .return_workbook(&w.provider, s.id, year)
        .await
        .unwrap();
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Contract").unwrap();
    let manager = sheet
        .rows()
        .find(|r| r.first().map(|c| c.to_string()) == Some("Contract manager".into()))
        .and_then(|r| r.get(1).map(|c| c.to_string()))
        .expect("the contract sheet has a contract manager row");
    assert_eq!(manager, "Cara Contracts contracts@brackenshire.example");
}
