//! Setting up a real authority from an empty database (issue 11): adding one with safe
//! defaults, refusing bad and duplicate codes, and only the system principal may do it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hearth_app::authorities::NewAuthority;
use hearth_app::{App, AppError, Principal};
use hearth_domain::calendar::Region;
use hearth_store::testing;

fn input(code: &str, name: &str, region: &str) -> NewAuthority {
    NewAuthority {
        code: code.into(),
        name: name.into(),
        region: region.into(),
    }
}

fn field_errors(r: Result<impl std::fmt::Debug, AppError>) -> Vec<(String, String)> {
    match r {
        Err(AppError::Invalid(e)) => e.0,
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn empty_database_to_an_authority_and_its_administrator(t: testing::TestDb) {
    let app = App::new(t.db.clone(), Default::default());
    let system = Principal::system("cli:test");
    assert!(app.list_authorities(&system).await.unwrap().is_empty());

    let a = app
        .add_authority(
            &system,
            &input("  fvl ", " Fernvale Borough Council ", "scotland"),
        )
        .await
        .unwrap();
    assert_eq!(a.code, "FVL", "codes are upper-cased");
    assert_eq!(a.name, "Fernvale Borough Council", "names are trimmed");
    assert_eq!(a.region, Region::Scotland);

    // Safe defaults: the UK password policy, a second factor for providers, 20 idle minutes.
    let row = app.db_for_tests().authority(a.id).await.unwrap().unwrap();
    assert_eq!(row.password_policy, "uk");
    assert_eq!(row.provider_totp_required, 1);
    assert_eq!(row.idle_minutes, 20);
    assert_eq!(row.region, "scotland");

    // The first administrator, as `hearth user add --role administrator` makes them.
    let id = app
        .authority_by_code(
            &system,
            &hearth_domain::AuthorityCode::parse("fvl").unwrap(),
        )
        .await
        .unwrap()
        .expect("found by code in any case");
    assert_eq!(id, a.id);
    let admin = app
        .create_user(
            &system,
            &hearth_app::admin::UserInput {
                username: "fvladmin".into(),
                display_name: "Fern Admin".into(),
                email: "admin@fernvale.example".into(),
                role: "administrator".into(),
                authority_id: Some(a.id),
                contact_id: None,
            },
            &hearth_app::admin::temporary_password(),
            None,
            true,
        )
        .await
        .unwrap();
    assert_eq!(admin.authority_id, Some(a.id));
    assert_ne!(admin.must_change_password, 0, "a temporary password");

    let listed = app.list_authorities(&system).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].staff, 1);
    assert_eq!(listed[0].providers, 0);

    // A second authority with the same code (any case) is refused, naming the field.
    let errors = field_errors(
        app.add_authority(&system, &input("FvL", "Another", ""))
            .await,
    );
    assert_eq!(errors[0].0, "code");
    assert!(errors[0].1.contains("already an authority with code FVL"));

    // The write was audited in the system chain and the chains verify.
    match app.audit_verify().await.unwrap() {
        hearth_store::ChainReport::Intact { entries } => assert!(entries >= 2),
        broken => panic!("{broken:?}"),
    }
}

#[tokio::test]
async fn an_authority_is_set_up_from_an_empty_database_on_sqlite() {
    empty_database_to_an_authority_and_its_administrator(testing::sqlite().await.unwrap()).await;
}

#[tokio::test]
async fn an_authority_is_set_up_from_an_empty_database_on_postgres() {
    if let Some(t) = testing::postgres().await.unwrap() {
        empty_database_to_an_authority_and_its_administrator(t).await;
    }
}

#[tokio::test]
async fn bad_input_names_each_field_and_adds_nothing() {
    let t = testing::sqlite().await.unwrap();
    let app = App::new(t.db.clone(), Default::default());
    let system = Principal::system("cli:test");
    let errors = field_errors(
        app.add_authority(&system, &input("B R K", "   ", "wales"))
            .await,
    );
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["code", "name", "region"], "{errors:?}");
    let long = "x".repeat(hearth_app::text::max_for("name") + 1);
    let errors = field_errors(app.add_authority(&system, &input("BRK", &long, "")).await);
    assert_eq!(errors[0].0, "name");
    assert!(app.list_authorities(&system).await.unwrap().is_empty());
}

#[tokio::test]
async fn only_the_system_principal_adds_or_lists_authorities() {
    let w = common::world(testing::sqlite().await.unwrap()).await;
    let admin = {
        let u = w
            .app
            .db_for_tests()
            .user_by_username("admin")
            .await
            .unwrap()
            .unwrap();
        w.app.principal_for(u, None).await.unwrap().unwrap()
    };
    for who in [&admin, &w.officer, &w.provider] {
        assert!(matches!(
            w.app
                .add_authority(who, &input("NEW", "New Council", ""))
                .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            w.app.list_authorities(who).await,
            Err(AppError::Forbidden)
        ));
    }
}
