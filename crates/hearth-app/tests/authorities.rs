//! Setting up a real authority from an empty database (issue 11): adding one with safe
//! defaults, refusing bad and duplicate codes, and only the system principal may do it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hearth_app::authorities::{NewAdministrator, NewAuthority};
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
async fn only_the_system_principal_or_the_host_adds_or_lists_authorities() {
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
        assert!(matches!(
            w.app
                .add_authority_administrator(who, admin.authority_id(), &new_admin("sneaky"))
                .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            w.app
                .authority_administrators(who, admin.authority_id())
                .await,
            Err(AppError::Forbidden)
        ));
    }
}

fn new_admin(username: &str) -> NewAdministrator {
    NewAdministrator {
        username: username.into(),
        display_name: "Fern Vale".into(),
        email: "fern.vale@fernvale.example".into(),
    }
}

async fn principal_of(app: &App, username: &str) -> Principal {
    let u = app
        .db_for_tests()
        .user_by_username(username)
        .await
        .unwrap()
        .unwrap();
    app.principal_for(u, None).await.unwrap().unwrap()
}

/// The host administrator of a deployment with several authorities adds an authority and its
/// first administrator; that administrator acts in the new authority only, and changes the
/// temporary password and enrols an authenticator at first sign-in.
#[tokio::test]
async fn the_host_adds_an_authority_and_its_first_administrator() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = common::world(t).await;
        let host = principal_of(&w.app, "host").await;
        assert!(matches!(host, Principal::Host { .. }), "{name}: {host:?}");
        let before = w.app.list_authorities(&host).await.unwrap().len();

        // Bad input is named beside its field and adds nothing.
        let errors = field_errors(w.app.add_authority(&host, &input("x", "", "mars")).await);
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["code", "name", "region"], "{name}: {errors:?}");
        assert_eq!(w.app.list_authorities(&host).await.unwrap().len(), before);

        let a = w
            .app
            .add_authority(&host, &input("FVL", "Fernvale Borough Council", "scotland"))
            .await
            .unwrap();
        assert_eq!(
            w.app.list_authorities(&host).await.unwrap().len(),
            before + 1
        );
        assert!(w
            .app
            .authority_administrators(&host, a.id)
            .await
            .unwrap()
            .is_empty());

        // The administrator's fields are checked as the administrator's own form checks them.
        let errors = field_errors(
            w.app
                .add_authority_administrator(
                    &host,
                    a.id,
                    &NewAdministrator {
                        username: "x".into(),
                        display_name: " ".into(),
                        email: String::new(),
                    },
                )
                .await,
        );
        assert!(errors.iter().any(|(f, _)| f == "username"), "{name}");
        assert!(errors.iter().any(|(f, _)| f == "display_name"), "{name}");
        assert!(matches!(
            w.app
                .add_authority_administrator(&host, 999_999, &new_admin("fern.vale"))
                .await,
            Err(AppError::NotFound)
        ));

        let (u, temp) = w
            .app
            .add_authority_administrator(&host, a.id, &new_admin("fern.vale"))
            .await
            .unwrap();
        assert!(!temp.is_empty());
        assert_eq!(
            u.must_change_password, 1,
            "{name}: the password is temporary"
        );
        assert!(u.totp_secret.is_none(), "{name}: enrols at first sign-in");
        let admins = w.app.authority_administrators(&host, a.id).await.unwrap();
        assert_eq!(admins.len(), 1);
        assert_eq!(admins[0].username, "fern.vale");
        assert!(!admins[0].set_up, "{name}: not signed in yet");
        // The new administrator acts in the new authority, and sees none of the other's.
        let fern = principal_of(&w.app, "fern.vale").await;
        assert_eq!(fern.authority_id(), a.id, "{name}");
        assert!(fern.has(hearth_app::Permission::Administer));
        assert!(w
            .app
            .list_users(&fern)
            .await
            .unwrap()
            .iter()
            .all(|x| x.authority_id == Some(a.id)));

        // The host's writes are in the deployment's own audit chain, not an authority's.
        let entries = w
            .app
            .db_for_tests()
            .audit_search(&hearth_store::AuditQuery {
                record_type: Some("user".into()),
                record_id: Some(u.id.to_string()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 1, "{name}: {entries:?}");
        assert_eq!(entries[0].actor, "host", "{name}");
        assert_eq!(entries[0].chain, 0, "{name}");
        assert!(
            matches!(
                w.app.audit_verify().await.unwrap(),
                hearth_store::ChainReport::Intact { .. }
            ),
            "{name}"
        );
    }
}

/// The host sees none of any authority's records, and only the command line makes a host.
#[tokio::test]
async fn the_host_sees_no_authoritys_records() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = common::world(t).await;
        let host = principal_of(&w.app, "host").await;
        let app = &w.app;
        let q = hearth_app::records::ListQuery::default();
        assert!(
            app.list_providers(&host, &q)
                .await
                .unwrap()
                .items
                .is_empty(),
            "{name}"
        );
        assert!(
            app.list_services(&host, &q).await.unwrap().items.is_empty(),
            "{name}"
        );
        assert!(
            app.list_properties(&host, &q)
                .await
                .unwrap()
                .items
                .is_empty(),
            "{name}"
        );
        assert!(
            app.list_contracts(&host, &q)
                .await
                .unwrap()
                .items
                .is_empty(),
            "{name}"
        );
        assert!(
            app.list_requests(&host, &Default::default())
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
        assert!(app.list_users(&host).await.is_err(), "{name}: users");
        assert!(
            app.audit_search(&host, Default::default()).await.is_err(),
            "{name}: audit"
        );
        assert!(
            app.staff_home(&host).await.is_err(),
            "{name}: the back office"
        );
        // A record of the demo authority by its id.
        let service = app.list_services(&w.officer, &q).await.unwrap().items[0].id;
        assert!(
            app.service(&host, service).await.is_err(),
            "{name}: a service"
        );
        let provider = app.list_providers(&w.officer, &q).await.unwrap().items[0].id;
        assert!(
            app.provider(&host, provider).await.is_err(),
            "{name}: a provider"
        );

        // An authority's administrator cannot make a host, nor can the host make anyone but
        // an authority's administrator.
        let admin = principal_of(app, "admin").await;
        let ask = hearth_app::admin::UserInput {
            username: "new.host".into(),
            display_name: "New Host".into(),
            email: String::new(),
            role: "host_administrator".into(),
            authority_id: Some(admin.authority_id()),
            contact_id: None,
        };
        let errors = field_errors(
            app.create_user(&admin, &ask, "a-long-enough-passphrase-41", None, true)
                .await,
        );
        assert_eq!(errors[0].0, "role", "{name}");
        assert!(app
            .create_user(&host, &ask, "a-long-enough-passphrase-41", None, true)
            .await
            .is_err());
        assert!(app
            .db_for_tests()
            .user_by_username("new.host")
            .await
            .unwrap()
            .is_none());
        // The command line can.
        let made = app
            .create_user(
                &Principal::system("cli:test"),
                &hearth_app::admin::UserInput {
                    authority_id: None,
                    ..ask.clone()
                },
                "a-long-enough-passphrase-41",
                None,
                true,
            )
            .await
            .unwrap();
        assert_eq!(made.authority_id, None, "{name}");
        assert!(matches!(
            principal_of(app, "new.host").await,
            Principal::Host { .. }
        ));
    }
}
