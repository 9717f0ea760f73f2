//! Who may see and do what, straight on the use cases (no HTTP): principals for each demo
//! role, scoping of every record type, limited access, refused writes, several authorities.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_app::admin::UserInput;
use hearth_app::demo::DemoAccount;
use hearth_app::demo::Scale;
use hearth_app::records::{ContractInput, ListQuery, PropertyInput, ProviderInput, ServiceInput};
use hearth_app::{App, AppConfig, AppError, Permission, Principal};
use hearth_domain::Role;
use hearth_store::testing::TestDb;
use hearth_store::{
    Actor, ContractFields, ContractFilter, ProviderFilter, ServiceFields, ServiceFilter,
};

struct Demo {
    app: App,
    accounts: Vec<DemoAccount>,
    name: &'static str,
    _db: TestDb,
}

async fn demos() -> Vec<Demo> {
    let mut out = Vec::new();
    for db in hearth_store::testing::all().await.unwrap() {
        let app = App::new(db.db.clone(), AppConfig::default());
        let summary = app.load_demo(Scale::Small, 7, &|_| {}).await.unwrap();
        out.push(Demo {
            app,
            accounts: summary.accounts,
            name: db.name,
            _db: db,
        });
    }
    out
}

impl Demo {
    async fn principal(&self, username: &str) -> Principal {
        self.principal_in(username, None).await
    }

    async fn principal_in(&self, username: &str, authority: Option<i64>) -> Principal {
        let user = self
            .app
            .db_for_tests()
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap();
        self.app
            .principal_for(user, authority)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{username} may act"))
    }

    /// The demo authority's (Brackenshire's) services; the demo's second authority has its own.
    async fn services(&self) -> Vec<hearth_store::Service> {
        self.app
            .db_for_tests()
            .list_services(&ServiceFilter {
                authority_id: Some(self.home_authority().await),
                per_page: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .items
    }

    async fn properties(&self) -> Vec<hearth_store::Property> {
        self.app
            .db_for_tests()
            .list_properties(&ServiceFilter {
                authority_id: Some(self.home_authority().await),
                per_page: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .items
    }

    async fn contracts(&self) -> Vec<hearth_store::Contract> {
        self.app
            .db_for_tests()
            .list_contracts(&ContractFilter {
                authority_id: Some(self.home_authority().await),
                per_page: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .items
    }

    async fn providers(&self) -> Vec<hearth_store::Provider> {
        self.app
            .db_for_tests()
            .list_providers(&ProviderFilter {
                authority_id: Some(self.home_authority().await),
                per_page: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .items
    }

    async fn provider_of(&self, username: &str) -> i64 {
        let u = self
            .app
            .db_for_tests()
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap();
        self.app
            .db_for_tests()
            .contact(u.contact_id.unwrap())
            .await
            .unwrap()
            .unwrap()
            .provider_id
    }

    async fn home_authority(&self) -> i64 {
        self.app
            .db_for_tests()
            .user_by_username("officer")
            .await
            .unwrap()
            .unwrap()
            .authority_id
            .unwrap()
    }
}

fn all() -> ListQuery {
    ListQuery::default()
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T, AppError>) -> bool {
    matches!(r, Err(AppError::NotFound))
}

fn is_forbidden<T: std::fmt::Debug>(r: Result<T, AppError>) -> bool {
    matches!(r, Err(AppError::Forbidden))
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

// ---------------- principals ----------------

#[tokio::test]
async fn each_demo_user_acts_with_the_principal_of_their_role() {
    for d in demos().await {
        let home = d.home_authority().await;
        for (username, role) in [
            ("admin", Role::Administrator),
            ("officer", Role::Officer),
            ("contracts", Role::ContractsManager),
            ("finance", Role::FinanceOfficer),
            ("board", Role::ReadOnly),
        ] {
            let p = d.principal(username).await;
            assert!(matches!(p, Principal::Staff { .. }), "{username} is staff");
            assert_eq!(p.role(), role, "{username} on {}", d.name);
            assert_eq!(p.authority_id(), home);
            assert_eq!(p.actor().name, username);
            assert!(p.is_staff());
            assert!(
                p.has(Permission::SignedIn) && p.has(Permission::BackOfficeRead),
                "{username}"
            );
            assert_eq!(
                p.has(Permission::BackOfficeWrite),
                role != Role::ReadOnly,
                "{username}"
            );
            assert_eq!(
                p.has(Permission::Administer),
                role == Role::Administrator,
                "{username}"
            );
            assert!(!p.has(Permission::ProviderPortal), "{username}");
        }
        assert!(d
            .accounts
            .iter()
            .any(|a| a.username == "board" && a.role == "read_only"));

        let p0 = d
            .providers()
            .await
            .into_iter()
            .find(|p| p.reference == "PRV00001")
            .unwrap()
            .id;
        let p1 = d
            .providers()
            .await
            .into_iter()
            .find(|p| p.reference == "PRV00002")
            .unwrap()
            .id;
        match d.principal("provider").await {
            Principal::Provider {
                provider_id,
                authority_id,
                service_scope,
                ..
            } => {
                assert_eq!(
                    provider_id, p0,
                    "{}: the organisation contact of provider 0",
                    d.name
                );
                assert_eq!(authority_id, home);
                assert_eq!(service_scope, None, "provider 0 has no limited access");
            }
            other => panic!("provider is a provider principal, got {other:?}"),
        }
        let limited = d.principal("limited").await;
        match &limited {
            Principal::Provider {
                provider_id,
                service_scope,
                ..
            } => {
                assert_eq!(*provider_id, p1, "{}: a contact of provider 1", d.name);
                let scope = service_scope
                    .as_ref()
                    .expect("limited access scopes the services");
                assert_eq!(scope.len(), 1, "assigned to exactly one service");
                let s = d
                    .app
                    .db_for_tests()
                    .service(scope[0])
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(s.provider_id, p1, "the assigned service is the provider's");
            }
            other => panic!("limited is a provider principal, got {other:?}"),
        }
        assert_eq!(limited.role(), Role::ProviderUser);
        for p in [d.principal("provider").await, limited] {
            assert!(p.has(Permission::SignedIn) && p.has(Permission::ProviderPortal));
            assert!(
                !p.has(Permission::BackOfficeRead)
                    && !p.has(Permission::BackOfficeWrite)
                    && !p.has(Permission::Administer)
            );
            assert!(!p.is_staff());
        }
    }
}

#[tokio::test]
async fn disabled_users_and_inactive_contacts_cannot_act() {
    for d in demos().await {
        let officer = d
            .app
            .db_for_tests()
            .user_by_username("officer")
            .await
            .unwrap()
            .unwrap();
        d.app
            .set_user_disabled(&hearth_app::Principal::system("test"), officer.id, true)
            .await
            .unwrap();
        let officer = d
            .app
            .db_for_tests()
            .user_by_username("officer")
            .await
            .unwrap()
            .unwrap();
        assert!(
            d.app.principal_for(officer, None).await.unwrap().is_none(),
            "{}: a disabled user has no principal",
            d.name
        );
        let provider = d
            .app
            .db_for_tests()
            .user_by_username("provider")
            .await
            .unwrap()
            .unwrap();
        hearth_store::testing::exec(
            d.app.db_for_tests(),
            &format!(
                "UPDATE contacts SET active = 0 WHERE id = {}",
                provider.contact_id.unwrap()
            ),
        )
        .await
        .unwrap();
        assert!(
            d.app.principal_for(provider, None).await.unwrap().is_none(),
            "{}: an inactive contact cannot act",
            d.name
        );
    }
}

// ---------------- scoping ----------------

#[tokio::test]
async fn staff_see_every_record_of_their_authority() {
    for d in demos().await {
        let (providers, services, properties, contracts) = (
            d.providers().await,
            d.services().await,
            d.properties().await,
            d.contracts().await,
        );
        for username in ["admin", "officer", "contracts", "finance", "board"] {
            let p = d.principal(username).await;
            assert_eq!(
                d.app.list_providers(&p, &all()).await.unwrap().total,
                providers.len() as i64,
                "{username} on {}",
                d.name
            );
            assert_eq!(
                d.app.list_services(&p, &all()).await.unwrap().total,
                services.len() as i64,
                "{username}"
            );
            assert_eq!(
                d.app.list_properties(&p, &all()).await.unwrap().total,
                properties.len() as i64,
                "{username}"
            );
            assert_eq!(
                d.app.list_contracts(&p, &all()).await.unwrap().total,
                contracts.len() as i64,
                "{username}"
            );
            assert_eq!(
                d.app.provider(&p, providers[0].id).await.unwrap().id,
                providers[0].id
            );
            assert_eq!(
                d.app.service(&p, services[0].id).await.unwrap().id,
                services[0].id
            );
            assert_eq!(
                d.app.property(&p, properties[0].id).await.unwrap().id,
                properties[0].id
            );
            assert_eq!(
                d.app.contract(&p, contracts[0].id).await.unwrap().id,
                contracts[0].id
            );
            assert!(
                is_not_found(d.app.service(&p, 987_654).await),
                "a missing record is not found"
            );
        }
        // Staff may narrow lists to one provider.
        let officer = d.principal("officer").await;
        let p0 = d.provider_of("provider").await;
        let narrowed = d
            .app
            .list_services(
                &officer,
                &ListQuery {
                    provider: Some(p0),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            narrowed.total,
            services.iter().filter(|s| s.provider_id == p0).count() as i64
        );
    }
}

#[tokio::test]
async fn a_provider_user_sees_only_their_own_organisations_records() {
    for d in demos().await {
        let p = d.principal("provider").await;
        let own = d.provider_of("provider").await;
        let (services, properties, contracts) = (
            d.services().await,
            d.properties().await,
            d.contracts().await,
        );

        let listed = d
            .app
            .list_services(
                &p,
                &ListQuery {
                    page: Some(1),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let own_services: Vec<i64> = services
            .iter()
            .filter(|s| s.provider_id == own)
            .map(|s| s.id)
            .collect();
        assert_eq!(
            sorted(listed.items.iter().map(|s| s.id).collect()),
            sorted(own_services.clone()),
            "{}",
            d.name
        );
        // Asking for another provider's services does not widen the scope.
        let other = d
            .providers()
            .await
            .into_iter()
            .find(|x| x.id != own)
            .unwrap()
            .id;
        let asked = d
            .app
            .list_services(
                &p,
                &ListQuery {
                    provider: Some(other),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(
            asked.items.iter().all(|s| s.provider_id == own),
            "{}: ?provider= is ignored for provider users",
            d.name
        );
        let provs = d.app.list_providers(&p, &all()).await.unwrap();
        assert_eq!(
            provs.items.iter().map(|x| x.id).collect::<Vec<_>>(),
            vec![own]
        );
        let ks = d
            .app
            .list_contracts(
                &p,
                &ListQuery {
                    provider: Some(other),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            ks.total,
            contracts.iter().filter(|c| c.provider_id == own).count() as i64
        );
        assert!(ks.items.iter().all(|c| c.provider_id == own));
        let ps = d.app.list_properties(&p, &all()).await.unwrap();
        assert_eq!(
            ps.total,
            properties.iter().filter(|x| x.provider_id == own).count() as i64
        );

        for s in &services {
            assert_eq!(
                d.app.service(&p, s.id).await.is_ok(),
                s.provider_id == own,
                "{}: service {}",
                d.name,
                s.id
            );
        }
        for x in &properties {
            assert_eq!(
                d.app.property(&p, x.id).await.is_ok(),
                x.provider_id == own,
                "{}: property {}",
                d.name,
                x.id
            );
        }
        for c in &contracts {
            let r = d.app.contract(&p, c.id).await;
            if c.provider_id == own {
                assert_eq!(r.unwrap().id, c.id);
            } else {
                assert!(
                    is_not_found(r),
                    "{}: contract {} of another provider",
                    d.name,
                    c.id
                );
            }
        }
        for x in d.providers().await {
            let r = d.app.provider(&p, x.id).await;
            if x.id == own {
                assert_eq!(r.unwrap().id, own);
            } else {
                assert!(is_not_found(r), "{}: provider {}", d.name, x.id);
            }
        }
    }
}

#[tokio::test]
async fn limited_access_shows_only_the_assigned_service() {
    for d in demos().await {
        let p = d.principal("limited").await;
        let Principal::Provider {
            provider_id,
            service_scope: Some(scope),
            ..
        } = &p
        else {
            panic!("limited access principal expected");
        };
        let (provider_id, assigned) = (*provider_id, scope[0]);
        let services = d.services().await;
        let outside: Vec<i64> = services
            .iter()
            .filter(|s| s.provider_id == provider_id && s.id != assigned)
            .map(|s| s.id)
            .collect();
        assert!(!outside.is_empty(), "demo: provider 1 has other services");

        let listed = d.app.list_services(&p, &all()).await.unwrap();
        assert_eq!(listed.total, 1, "{}", d.name);
        assert_eq!(
            listed.items.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![assigned]
        );
        assert_eq!(d.app.service(&p, assigned).await.unwrap().id, assigned);
        for id in &outside {
            assert!(
                is_not_found(d.app.service(&p, *id).await),
                "{}: service {id} of their own provider outside the assignment",
                d.name
            );
        }

        // Properties follow their service; one without a service is outside the scope.
        let properties = d.properties().await;
        let inside: Vec<i64> = properties
            .iter()
            .filter(|x| x.service_id == Some(assigned))
            .map(|x| x.id)
            .collect();
        assert!(
            !inside.is_empty(),
            "demo: the assigned service has properties"
        );
        let listed = d.app.list_properties(&p, &all()).await.unwrap();
        assert_eq!(
            sorted(listed.items.iter().map(|x| x.id).collect()),
            sorted(inside.clone()),
            "{}",
            d.name
        );
        for x in properties.iter().filter(|x| x.provider_id == provider_id) {
            assert_eq!(
                d.app.property(&p, x.id).await.is_ok(),
                inside.contains(&x.id),
                "{}: property {}",
                d.name,
                x.id
            );
        }
        let mut tx = d
            .app
            .db_for_tests()
            .begin_write(&Actor::system("test"))
            .await
            .unwrap();
        let loose = tx
            .insert_property(
                d.home_authority().await,
                &hearth_store::PropertyFields {
                    provider_id,
                    address_line1: "1 Loose Lane".into(),
                    postcode: "BK1 1AA".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            is_not_found(d.app.property(&p, loose.id).await),
            "{}: a property of no service is outside a limited scope",
            d.name
        );
        let org = d.principal("provider").await;
        assert!(
            is_not_found(d.app.property(&org, loose.id).await),
            "and another organisation's anyway"
        );

        // Their own organisation is visible; a contract shows only the services they may see.
        assert_eq!(
            d.app.provider(&p, provider_id).await.unwrap().id,
            provider_id
        );
        let covering = d
            .contracts()
            .await
            .into_iter()
            .find(|c| c.provider_id == provider_id)
            .expect("demo: provider 1 has contracts");
        if let Ok(c) = d.app.contract(&p, covering.id).await {
            let visible: Vec<i64> = d
                .app
                .contract_services(&p, &c)
                .await
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect();
            assert!(
                visible.iter().all(|id| *id == assigned),
                "{}: contract {} reveals {visible:?}",
                d.name,
                c.id
            );
        }

        // The organisation contact of a limited-access provider sees every service.
        let limited_contact = d
            .app
            .db_for_tests()
            .user_by_username("limited")
            .await
            .unwrap()
            .unwrap()
            .contact_id
            .unwrap();
        let org_contact = d
            .app
            .db_for_tests()
            .provider_contacts(provider_id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.id != limited_contact)
            .unwrap();
        let mut tx = d
            .app
            .db_for_tests()
            .begin_write(&Actor::system("test"))
            .await
            .unwrap();
        tx.insert_assignment(org_contact.id, "organisation_contact", None, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        d.app
            .create_user(
                &hearth_app::Principal::system("test"),
                &UserInput {
                    username: "orgcontact".into(),
                    display_name: "Org Contact".into(),
                    email: String::new(),
                    role: "provider_user".into(),
                    authority_id: None,
                    contact_id: Some(org_contact.id),
                },
                "quiet-heron-lantern-42",
                None,
                false,
            )
            .await
            .unwrap();
        let whole = d.principal("orgcontact").await;
        let Principal::Provider { service_scope, .. } = &whole else {
            panic!()
        };
        assert_eq!(
            *service_scope, None,
            "{}: organisation contacts see every service under limited access",
            d.name
        );
        assert_eq!(
            d.app.list_services(&whole, &all()).await.unwrap().total,
            services
                .iter()
                .filter(|s| s.provider_id == provider_id)
                .count() as i64
        );
        // A contact with no assignment at all sees no service.
        let bare = d
            .app
            .db_for_tests()
            .provider_contacts(provider_id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.id != org_contact.id && c.id != limited_contact);
        if let Some(bare) = bare {
            if d.app
                .db_for_tests()
                .contact_assignments(bare.id)
                .await
                .unwrap()
                .is_empty()
            {
                d.app
                    .create_user(
                        &hearth_app::Principal::system("test"),
                        &UserInput {
                            username: "bare".into(),
                            display_name: "Bare Contact".into(),
                            email: String::new(),
                            role: "provider_user".into(),
                            authority_id: None,
                            contact_id: Some(bare.id),
                        },
                        "quiet-heron-lantern-43",
                        None,
                        false,
                    )
                    .await
                    .unwrap();
                let b = d.principal("bare").await;
                assert_eq!(
                    d.app.list_services(&b, &all()).await.unwrap().total,
                    0,
                    "{}",
                    d.name
                );
                assert_eq!(
                    d.app.list_properties(&b, &all()).await.unwrap().total,
                    0,
                    "{}",
                    d.name
                );
            }
        }
    }
}

// ---------------- writes ----------------

fn provider_input(reference: &str) -> ProviderInput {
    ProviderInput {
        name: "Kingfisher Care".into(),
        reference: reference.into(),
        postcode: "BK1 2AB".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn writes_are_refused_to_read_only_staff_and_hidden_from_provider_users() {
    for d in demos().await {
        let own = d.provider_of("provider").await;
        let service = d
            .services()
            .await
            .into_iter()
            .find(|s| s.provider_id == own)
            .unwrap();
        let property = d
            .properties()
            .await
            .into_iter()
            .find(|x| x.provider_id == own)
            .unwrap();
        let contract = d
            .contracts()
            .await
            .into_iter()
            .find(|c| c.provider_id == own)
            .unwrap();
        let before = (
            d.providers().await.len(),
            d.services().await.len(),
            d.properties().await.len(),
            d.contracts().await.len(),
        );
        let audit_before = d
            .app
            .db_for_tests()
            .audit_search(&hearth_store::AuditQuery {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()[0]
            .id;

        let service_input = ServiceInput {
            provider_id: own.to_string(),
            reference: "BRK/FS/7777".into(),
            name: "Kingfisher Floating Support".into(),
            service_type: "floating_support".into(),
            term: "long".into(),
            client_group: "older_people".into(),
            contracted_units: "5".into(),
            ..Default::default()
        };
        let property_input = PropertyInput {
            provider_id: own.to_string(),
            address_line1: "1 Kingfisher Way".into(),
            postcode: "BK1 2AB".into(),
            ..Default::default()
        };
        let contract_input = ContractInput {
            provider_id: own.to_string(),
            reference: "BRK/C/7777".into(),
            title: "Kingfisher".into(),
            units: "5".into(),
            unit_rate: "100.00".into(),
            start_date: "1/4/2026".into(),
            end_date: "31/3/2027".into(),
            status: "steady_state".into(),
            services: service.reference.clone(),
        };

        let board = d.principal("board").await;
        assert!(
            is_forbidden(d.app.create_provider(&board, &provider_input("KF1")).await),
            "{}: read-only create_provider",
            d.name
        );
        assert!(
            is_forbidden(
                d.app
                    .update_provider(&board, own, &provider_input("KF1"))
                    .await
            ),
            "{}",
            d.name
        );
        assert!(is_forbidden(
            d.app.create_service(&board, &service_input).await
        ));
        assert!(is_forbidden(
            d.app
                .update_service(&board, service.id, &service_input)
                .await
        ));
        assert!(is_forbidden(
            d.app.create_property(&board, &property_input).await
        ));
        assert!(is_forbidden(
            d.app
                .update_property(&board, property.id, &property_input)
                .await
        ));
        assert!(is_forbidden(
            d.app.create_contract(&board, &contract_input).await
        ));
        assert!(is_forbidden(
            d.app
                .update_contract(&board, contract.id, &contract_input)
                .await
        ));
        // Read-only staff may still read.
        assert!(d.app.provider(&board, own).await.is_ok());

        for username in ["provider", "limited"] {
            let p = d.principal(username).await;
            assert!(
                is_not_found(d.app.create_provider(&p, &provider_input("KF2")).await),
                "{}: {username} create_provider",
                d.name
            );
            assert!(
                is_not_found(d.app.update_provider(&p, own, &provider_input("KF2")).await),
                "{username}"
            );
            assert!(
                is_not_found(d.app.create_service(&p, &service_input).await),
                "{username}"
            );
            assert!(
                is_not_found(d.app.update_service(&p, service.id, &service_input).await),
                "{username}"
            );
            assert!(
                is_not_found(d.app.create_property(&p, &property_input).await),
                "{username}"
            );
            assert!(
                is_not_found(
                    d.app
                        .update_property(&p, property.id, &property_input)
                        .await
                ),
                "{username}"
            );
            assert!(
                is_not_found(d.app.create_contract(&p, &contract_input).await),
                "{username}"
            );
            assert!(
                is_not_found(
                    d.app
                        .update_contract(&p, contract.id, &contract_input)
                        .await
                ),
                "{username}"
            );
            assert!(
                is_not_found(d.app.list_users(&p).await),
                "{username} list_users"
            );
            assert!(
                is_not_found(d.app.account_requests(&p, true).await),
                "{username} account_requests"
            );
            assert!(
                is_not_found(
                    d.app
                        .audit_search(&p, hearth_app::admin::AuditSearch::default())
                        .await
                ),
                "{username} audit_search"
            );
        }
        let officer = d.principal("officer").await;
        assert!(
            is_forbidden(d.app.list_users(&officer).await),
            "officers do not manage users"
        );
        assert!(is_forbidden(
            d.app
                .audit_search(&officer, hearth_app::admin::AuditSearch::default())
                .await
        ));

        let after = (
            d.providers().await.len(),
            d.services().await.len(),
            d.properties().await.len(),
            d.contracts().await.len(),
        );
        assert_eq!(after, before, "{}: nothing was written", d.name);
        let audit_after = d
            .app
            .db_for_tests()
            .audit_search(&hearth_store::AuditQuery {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()[0]
            .id;
        assert_eq!(audit_after, audit_before, "{}: nothing was audited", d.name);

        // The same inputs succeed for an officer, each write with its audit entry.
        let created = d
            .app
            .create_provider(&officer, &provider_input("KF3"))
            .await
            .unwrap();
        assert_eq!(created.reference, "KF3");
        assert!(d
            .app
            .db_for_tests()
            .provider_in_authority(created.id, officer.authority_id())
            .await
            .unwrap());
        let s = d
            .app
            .create_service(&officer, &service_input)
            .await
            .unwrap();
        assert_eq!(
            (s.provider_id, s.authority_id),
            (own, officer.authority_id())
        );
        let x = d
            .app
            .create_property(&officer, &property_input)
            .await
            .unwrap();
        assert_eq!(x.postcode, "BK1 2AB");
        let k = d
            .app
            .create_contract(&officer, &contract_input)
            .await
            .unwrap();
        assert_eq!(
            (k.unit_rate_pence, k.start_date.as_str()),
            (10_000, "2026-04-01")
        );
        assert_eq!(
            d.app
                .db_for_tests()
                .contract_service_ids(k.id)
                .await
                .unwrap(),
            vec![service.id]
        );
        let written = d
            .app
            .db_for_tests()
            .audit_search(&hearth_store::AuditQuery {
                actor: Some("officer".into()),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap();
        // (The authority's first write also records its chain's opening in the system chain.)
        let mut kinds: Vec<&str> = written
            .iter()
            .map(|e| e.record_type.as_str())
            .filter(|t| *t != "audit_chain")
            .collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            vec!["contract", "property", "provider", "service"],
            "{}: one audit entry per write",
            d.name
        );
    }
}

#[tokio::test]
async fn invalid_input_is_a_field_error_and_writes_nothing() {
    for d in demos().await {
        let officer = d.principal("officer").await;
        let before = d.providers().await.len();
        let r = d
            .app
            .create_provider(
                &officer,
                &ProviderInput {
                    name: " ".into(),
                    reference: "X1".into(),
                    postcode: "XYZ".into(),
                    email: "nope".into(),
                    ..Default::default()
                },
            )
            .await;
        let Err(AppError::Invalid(errors)) = r else {
            panic!("expected field errors, got {r:?}")
        };
        assert_eq!(errors.get("name"), Some("Enter the organisation's name"));
        assert_eq!(errors.get("postcode"), Some("Enter a real postcode"));
        assert!(errors.get("email").is_some());
        assert_eq!(errors.get("reference"), None);
        assert_eq!(d.providers().await.len(), before, "{}", d.name);
        let dup = d.providers().await[0].reference.clone();
        let r = d.app.create_provider(&officer, &provider_input(&dup)).await;
        let Err(AppError::Invalid(errors)) = r else {
            panic!(
                "{}: a duplicate reference is a field error, got {r:?}",
                d.name
            )
        };
        assert_eq!(
            errors.get("reference"),
            Some("A provider with this reference already exists")
        );
        assert_eq!(d.providers().await.len(), before);
        // The database still takes writes after the refused one (no transaction left open).
        d.app
            .create_provider(&officer, &provider_input("KF9"))
            .await
            .unwrap();
    }
}

// ---------------- several authorities ----------------

struct Second {
    authority: i64,
    service_there: i64,
    contract_there: i64,
    local_provider: i64,
}

/// A second authority, "Westmoor", where the demo's provider 0 also works (one service and
/// contract there), with a provider of its own.
async fn second_authority(d: &Demo) -> Second {
    let own = d.provider_of("provider").await;
    let mut tx = d
        .app
        .db_for_tests()
        .begin_write(&Actor::system("test"))
        .await
        .unwrap();
    let a = tx
        .insert_authority("Westmoor District Council", "WMD")
        .await
        .unwrap();
    tx.add_provider_authority(own, a.id).await.unwrap();
    let s = tx
        .insert_service(
            a.id,
            &ServiceFields {
                provider_id: own,
                reference: "WMD/SH/0001".into(),
                name: "Westmoor Court".into(),
                service_type: "sheltered".into(),
                term: "long".into(),
                client_group: "older_people".into(),
                contracted_units: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = tx
        .insert_contract(
            a.id,
            &ContractFields {
                provider_id: own,
                reference: "WMD/C/0001".into(),
                title: "Westmoor Court".into(),
                units: 20,
                unit_rate_pence: 9_000,
                start_date: "2026-04-01".into(),
                end_date: "2029-03-31".into(),
                status: "steady_state".into(),
                service_ids: vec![s.id],
            },
        )
        .await
        .unwrap();
    let local = tx
        .insert_provider(
            &hearth_store::ProviderFields {
                name: "Westmoor Housing Aid".into(),
                reference: "WMD-P1".into(),
                ..Default::default()
            },
            &[a.id],
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Second {
        authority: a.id,
        service_there: s.id,
        contract_there: c.id,
        local_provider: local.id,
    }
}

#[tokio::test]
async fn a_provider_with_two_authorities_acts_in_the_one_chosen() {
    for d in demos().await {
        let w = second_authority(&d).await;
        let home = d.home_authority().await;
        let own = d.provider_of("provider").await;
        let here: Vec<i64> = d
            .services()
            .await
            .iter()
            .filter(|s| s.provider_id == own && s.authority_id == home)
            .map(|s| s.id)
            .collect();

        // Default: the first authority by name (Brackenshire before Westmoor).
        let p = d.principal_in("provider", None).await;
        assert_eq!(p.authority_id(), home, "{}", d.name);
        assert_eq!(
            sorted(
                d.app
                    .list_services(&p, &all())
                    .await
                    .unwrap()
                    .items
                    .iter()
                    .map(|s| s.id)
                    .collect()
            ),
            sorted(here.clone())
        );
        assert!(
            is_not_found(d.app.service(&p, w.service_there).await),
            "{}: the other authority's service",
            d.name
        );
        assert!(is_not_found(d.app.contract(&p, w.contract_there).await));

        // Chosen: Westmoor.
        let there = d.principal_in("provider", Some(w.authority)).await;
        assert_eq!(there.authority_id(), w.authority, "{}", d.name);
        let listed = d.app.list_services(&there, &all()).await.unwrap();
        assert_eq!(
            listed.items.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![w.service_there],
            "{}",
            d.name
        );
        let ks = d.app.list_contracts(&there, &all()).await.unwrap();
        assert_eq!(
            ks.items.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![w.contract_there]
        );
        assert_eq!(
            d.app.service(&there, w.service_there).await.unwrap().id,
            w.service_there
        );
        assert!(
            is_not_found(d.app.service(&there, here[0]).await),
            "{}: the first authority's service while in Westmoor",
            d.name
        );
        assert_eq!(
            d.app.provider(&there, own).await.unwrap().id,
            own,
            "their own organisation in either authority"
        );
        assert!(
            is_not_found(d.app.provider(&there, w.local_provider).await),
            "another provider of Westmoor"
        );

        // An authority the provider does not work with is not granted.
        let mut tx = d
            .app
            .db_for_tests()
            .begin_write(&Actor::system("test"))
            .await
            .unwrap();
        let stranger = tx
            .insert_authority("Zeal Unitary Council", "ZUC")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let p = d.principal_in("provider", Some(stranger.id)).await;
        assert_ne!(p.authority_id(), stranger.id, "{}", d.name);
        assert_eq!(p.authority_id(), home);

        // Staff always act in their own authority, whatever is asked.
        let officer = d.principal_in("officer", Some(w.authority)).await;
        assert_eq!(officer.authority_id(), home, "{}", d.name);
        assert!(
            is_not_found(d.app.service(&officer, w.service_there).await),
            "{}: the officer of Brackenshire does not see Westmoor's service",
            d.name
        );
        assert!(is_not_found(
            d.app.contract(&officer, w.contract_there).await
        ));
        assert!(is_not_found(
            d.app.provider(&officer, w.local_provider).await
        ));
        assert_eq!(
            d.app.provider(&officer, own).await.unwrap().id,
            own,
            "the shared provider is theirs too"
        );
    }
}

#[tokio::test]
async fn staff_of_another_authority_see_only_their_own() {
    for d in demos().await {
        let w = second_authority(&d).await;
        d.app
            .create_user(
                &hearth_app::Principal::system("test"),
                &UserInput {
                    username: "westofficer".into(),
                    display_name: "West Officer".into(),
                    email: String::new(),
                    role: "officer".into(),
                    authority_id: Some(w.authority),
                    contact_id: None,
                },
                "quiet-heron-lantern-44",
                None,
                false,
            )
            .await
            .unwrap();
        let west = d.principal("westofficer").await;
        assert_eq!(west.authority_id(), w.authority);
        let own = d.provider_of("provider").await;
        let mut provs: Vec<i64> = d
            .app
            .list_providers(&west, &all())
            .await
            .unwrap()
            .items
            .iter()
            .map(|p| p.id)
            .collect();
        provs.sort_unstable();
        assert_eq!(
            provs,
            sorted(vec![own, w.local_provider]),
            "{}: the shared and the local provider",
            d.name
        );
        assert_eq!(
            d.app
                .list_services(&west, &all())
                .await
                .unwrap()
                .items
                .iter()
                .map(|s| s.id)
                .collect::<Vec<_>>(),
            vec![w.service_there]
        );
        assert_eq!(d.app.list_contracts(&west, &all()).await.unwrap().total, 1);
        assert_eq!(d.app.list_properties(&west, &all()).await.unwrap().total, 0);
        let brackenshire_only = d
            .providers()
            .await
            .into_iter()
            .find(|p| p.id != own && p.id != w.local_provider)
            .unwrap();
        assert!(
            is_not_found(d.app.provider(&west, brackenshire_only.id).await),
            "{}",
            d.name
        );
        for s in d
            .services()
            .await
            .iter()
            .filter(|s| s.authority_id != w.authority)
        {
            assert!(
                is_not_found(d.app.service(&west, s.id).await),
                "{}: service {}",
                d.name,
                s.id
            );
        }
        for x in d.properties().await {
            assert!(
                is_not_found(d.app.property(&west, x.id).await),
                "{}: property {}",
                d.name,
                x.id
            );
        }
        for c in d
            .contracts()
            .await
            .iter()
            .filter(|c| c.id != w.contract_there)
        {
            assert!(
                is_not_found(d.app.contract(&west, c.id).await),
                "{}: contract {}",
                d.name,
                c.id
            );
        }
        // Nor can they attach a service to a provider outside their authority.
        let r = d
            .app
            .create_service(
                &west,
                &ServiceInput {
                    provider_id: brackenshire_only.id.to_string(),
                    reference: "WMD/X/1".into(),
                    name: "X".into(),
                    service_type: "sheltered".into(),
                    term: "long".into(),
                    client_group: "older_people".into(),
                    contracted_units: "1".into(),
                    ..Default::default()
                },
            )
            .await;
        let Err(AppError::Invalid(e)) = r else {
            panic!("expected a field error, got {r:?}")
        };
        assert_eq!(e.get("provider_id"), Some("Select the provider"));
        // And their audit search sees only their authority's entries.
        d.app
            .create_user(
                &hearth_app::Principal::system("test"),
                &UserInput {
                    username: "westadmin".into(),
                    display_name: "West Admin".into(),
                    email: String::new(),
                    role: "administrator".into(),
                    authority_id: Some(w.authority),
                    contact_id: None,
                },
                "quiet-heron-lantern-45",
                None,
                false,
            )
            .await
            .unwrap();
        let officer = d.principal("officer").await;
        d.app
            .create_provider(&officer, &provider_input("KF5"))
            .await
            .unwrap();
        let west_admin = d.principal("westadmin").await;
        let seen = d
            .app
            .audit_search(
                &west_admin,
                hearth_app::admin::AuditSearch {
                    record_type: Some("provider".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(
            seen.iter().all(|e| e.authority_id == Some(w.authority)),
            "{}: {seen:?}",
            d.name
        );
        let home_admin = d.principal("admin").await;
        let seen = d
            .app
            .audit_search(
                &home_admin,
                hearth_app::admin::AuditSearch {
                    record_type: Some("provider".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            seen.len(),
            1,
            "{}: Brackenshire's administrator sees the officer's new provider",
            d.name
        );
    }
}

#[tokio::test]
async fn switching_authority_in_a_session_rescopes_without_a_second_login() {
    for d in demos().await {
        let w = second_authority(&d).await;
        let home = d.home_authority().await;
        let account = d
            .accounts
            .iter()
            .find(|a| a.username == "provider")
            .unwrap()
            .clone();
        let started = d
            .app
            .login_password("provider", &account.password, None, "192.0.2.1", None)
            .await
            .unwrap();
        assert_eq!(started.next, hearth_app::accounts::NextStep::Totp);
        let live = d.app.session(&started.token).await.unwrap().unwrap();
        assert!(live.principal.is_none(), "not signed in before the code");
        let now = u64::try_from(hearth_store::now()).unwrap();
        let code = hearth_app::accounts::totp_code(&account.totp_secret, now).unwrap();
        let stepped = d.app.login_totp(&live, &code, "192.0.2.1").await.unwrap();
        assert_eq!(stepped.next, hearth_app::accounts::NextStep::Done);
        // Security review finding 12: the session has a new id once the code is given.
        assert_ne!(stepped.token, started.token);
        assert!(
            d.app.session(&started.token).await.unwrap().is_err(),
            "the token from before the code step is worth nothing"
        );
        let live = d.app.session(&stepped.token).await.unwrap().unwrap();
        let p = live.principal.clone().unwrap();
        assert_eq!(p.authority_id(), home, "{}", d.name);

        d.app.switch_authority(&live, w.authority).await.unwrap();
        let live = d.app.session(&stepped.token).await.unwrap().unwrap();
        let p = live.principal.clone().unwrap();
        assert_eq!(
            p.authority_id(),
            w.authority,
            "{}: the same session now acts in Westmoor",
            d.name
        );
        assert_eq!(
            d.app
                .list_services(&p, &all())
                .await
                .unwrap()
                .items
                .iter()
                .map(|s| s.id)
                .collect::<Vec<_>>(),
            vec![w.service_there]
        );

        let mut tx = d
            .app
            .db_for_tests()
            .begin_write(&Actor::system("test"))
            .await
            .unwrap();
        let stranger = tx
            .insert_authority("Zeal Unitary Council", "ZUC")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            is_not_found(d.app.switch_authority(&live, stranger.id).await),
            "{}",
            d.name
        );
        let still = d
            .app
            .session(&stepped.token)
            .await
            .unwrap()
            .unwrap()
            .principal
            .unwrap();
        assert_eq!(still.authority_id(), w.authority);

        // Staff cannot switch.
        let officer = d
            .accounts
            .iter()
            .find(|a| a.username == "officer")
            .unwrap()
            .clone();
        let s = d
            .app
            .login_password("officer", &officer.password, None, "192.0.2.1", None)
            .await
            .unwrap();
        let live = d.app.session(&s.token).await.unwrap().unwrap();
        let code = hearth_app::accounts::totp_code(&officer.totp_secret, now).unwrap();
        let stepped = d.app.login_totp(&live, &code, "192.0.2.1").await.unwrap();
        let live = d.app.session(&stepped.token).await.unwrap().unwrap();
        assert!(
            is_not_found(d.app.switch_authority(&live, w.authority).await),
            "{}",
            d.name
        );
    }
}

// Review finding: a record whose reference predates the reference rule (a space, say, from an
// earlier import) could not be edited at all, because every edit checked the unchanged
// reference. It is checked only when it is new or changed.
#[tokio::test]
async fn a_reference_from_before_the_rule_survives_an_edit_of_other_fields() {
    for d in demos().await {
        let officer = d.principal("officer").await;
        let service = d.services().await[0].clone();
        hearth_store::testing::exec(
            d.app.db_for_tests(),
            &format!(
                "UPDATE services SET reference = 'OLD REF 1' WHERE id = {}",
                service.id
            ),
        )
        .await
        .unwrap();
        let now = d.app.service(&officer, service.id).await.unwrap();
        let mut input = ServiceInput::from_record(&now);
        input.name = format!("{} (renamed)", now.name);
        let saved = d.app.update_service(&officer, service.id, &input).await;
        assert!(saved.is_ok(), "{}: {saved:?}", d.name);
        assert_eq!(saved.unwrap().reference, "OLD REF 1");
        // A change to the reference meets the rule.
        input.reference = "NEW REF 2".into();
        let r = d.app.update_service(&officer, service.id, &input).await;
        let Err(AppError::Invalid(e)) = r else {
            panic!("{}: expected a field error, got {r:?}", d.name)
        };
        assert!(e.get("reference").is_some(), "{}", d.name);
    }
}

// Review finding: lengths were checked before authorisation, so someone who may not edit a
// record was told its field rules ("must be 200 characters or fewer") instead of being refused.
#[tokio::test]
async fn overlong_input_from_someone_who_may_not_edit_is_refused_not_checked() {
    for d in demos().await {
        let service = d.services().await[0].clone();
        let mut input = ServiceInput::from_record(&service);
        input.name = "x".repeat(100_000);
        let board = d.principal("board").await;
        assert!(
            is_forbidden(d.app.update_service(&board, service.id, &input).await),
            "{}: the board is refused",
            d.name
        );
        let provider = d.principal("provider").await;
        assert!(
            is_not_found(d.app.update_service(&provider, service.id, &input).await),
            "{}: a provider user is not told the record exists",
            d.name
        );
    }
}

/// The user administration use cases authorise themselves: an administrator of another
/// authority is told the user does not exist, a non-administrator is refused, and the
/// administrator of the user's own authority (or the system principal) may act.
#[tokio::test]
async fn user_administration_is_refused_outside_the_administrators_authority() {
    for d in demos().await {
        let w = second_authority(&d).await;
        let system = Principal::system("test");
        d.app
            .create_user(
                &system,
                &UserInput {
                    username: "westadmin".into(),
                    display_name: "West Admin".into(),
                    email: String::new(),
                    role: "administrator".into(),
                    authority_id: Some(w.authority),
                    contact_id: None,
                },
                "quiet-heron-lantern-45",
                None,
                false,
            )
            .await
            .unwrap();
        let west_admin = d.principal("westadmin").await;
        let officer = d.principal("officer").await;
        let home_admin = d.principal("admin").await;
        let target = officer.user().unwrap().id;
        let name = d.name;
        assert!(
            is_not_found(d.app.reset_password(&west_admin, target).await),
            "{name}: another authority's administrator cannot reset a password"
        );
        assert!(is_not_found(d.app.unlock_user(&west_admin, target).await));
        assert!(is_not_found(
            d.app.set_user_disabled(&west_admin, target, true).await
        ));
        assert!(is_not_found(d.app.reset_totp(&west_admin, target).await));
        assert!(
            is_forbidden(d.app.reset_password(&officer, target).await),
            "{name}: an officer is not an administrator"
        );
        assert!(is_forbidden(
            d.app.set_user_disabled(&officer, target, true).await
        ));
        let input = UserInput {
            username: "intruder".into(),
            display_name: "Intruder".into(),
            email: String::new(),
            role: "officer".into(),
            authority_id: Some(home_admin.authority_id()),
            contact_id: None,
        };
        assert!(
            is_forbidden(
                d.app
                    .create_user(&west_admin, &input, "quiet-heron-lantern-46", None, true)
                    .await
            ),
            "{name}: an administrator adds users only to their own authority"
        );
        assert!(is_forbidden(
            d.app
                .create_user(&officer, &input, "quiet-heron-lantern-46", None, true)
                .await
        ));
        let still = d
            .app
            .db_for_tests()
            .user_by_id(target)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(still.disabled, 0, "{name}: nothing was changed");
        // The user's own administrator, and the command line, may.
        d.app.unlock_user(&home_admin, target).await.unwrap();
        d.app.unlock_user(&system, target).await.unwrap();
        assert!(
            is_forbidden(d.app.user_named(&home_admin, "officer").await),
            "{name}: looking users up by name is the command line's"
        );
    }
}

/// Issue 11: the demo has a second authority, Harrowdale, sharing one provider (Larkspur, the
/// `provider` account's organisation). Its user acts in Brackenshire first and may choose
/// Harrowdale without signing in again; each authority's records stay in it.
#[tokio::test]
async fn the_demos_shared_provider_acts_in_either_authority_and_sees_only_that_ones_records() {
    for d in demos().await {
        let name = d.name;
        let app = &d.app;
        let brk = d.home_authority().await;
        let hdl = app
            .db_for_tests()
            .authorities()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.code == hearth_app::demo::NEIGHBOUR_CODE)
            .expect("the demo's second authority")
            .id;
        let larkspur = d.provider_of("provider").await;
        let there = app
            .db_for_tests()
            .provider_authorities(larkspur)
            .await
            .unwrap();
        assert_eq!(
            there.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![brk, hdl],
            "{name}: Larkspur is registered with both"
        );

        // By default the user acts in Brackenshire, the first by name.
        let in_brk = d.principal("provider").await;
        assert_eq!(in_brk.authority_id(), brk, "{name}");
        let brk_services = app.list_services(&in_brk, &all()).await.unwrap().items;
        assert!(brk_services.len() > 1, "{name}");
        assert!(brk_services.iter().all(|s| s.authority_id == brk));

        // Choosing Harrowdale: only its one service, contract and clients.
        let in_hdl = d.principal_in("provider", Some(hdl)).await;
        assert_eq!(in_hdl.authority_id(), hdl, "{name}");
        let hdl_services = app.list_services(&in_hdl, &all()).await.unwrap().items;
        assert_eq!(hdl_services.len(), 1, "{name}");
        let mill = &hdl_services[0];
        assert_eq!(mill.name, "Mill Race Court");
        assert!(
            mill.current_clients >= 4,
            "{name}: {}",
            mill.current_clients
        );
        let contracts = app.list_contracts(&in_hdl, &all()).await.unwrap().items;
        assert_eq!(contracts.len(), 1, "{name}");
        assert!(is_not_found(app.service(&in_hdl, brk_services[0].id).await));
        assert!(is_not_found(app.service(&in_brk, mill.id).await));

        // Brackenshire's staff see nothing of Harrowdale's.
        let officer = d.principal("officer").await;
        assert!(is_not_found(app.service(&officer, mill.id).await), "{name}");
        assert!(app
            .list_services(&officer, &all())
            .await
            .unwrap()
            .items
            .iter()
            .all(|s| s.id != mill.id));
        // A user of a provider not registered with Harrowdale cannot act there.
        let limited = d.principal_in("limited", Some(hdl)).await;
        assert_eq!(limited.authority_id(), brk, "{name}: falls back to its own");
    }
}
