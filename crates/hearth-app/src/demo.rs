//! Loads generated demo data into an empty database and enrols the demo accounts.

use hearth_demo::{generate, DemoData, DemoService};
use hearth_store::{
    Actor, ClientFields, ContactFields, ContractFields, PropertyFields, ProviderFields,
    ScheduleFields, ServiceFields,
};

use crate::accounts::new_totp_secret;
use crate::admin::UserInput;
use crate::{App, AppError};
use hearth_domain::Role;

/// The setting that marks a database as holding only a demo (its scale and seed), so
/// `hearth demo` may replace it on PostgreSQL. Setting up a real authority empties it.
pub const DEMO_MARK: &str = "demo_database";

/// How much demo data to load (`load_demo` takes it, so callers need no other crate).
pub use hearth_demo::Scale;

/// One demo login.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: String,
    pub username: String,
    pub password: String,
    pub totp_secret: String,
    pub description: String,
}

/// What was loaded.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub authorities: usize,
    pub providers: usize,
    pub services: usize,
    pub contracts: usize,
    pub clients: usize,
    pub schedules: u64,
    pub accounts: Vec<DemoAccount>,
    /// Postcode centroids of the demo's invented postcodes.
    pub postcodes: Vec<(String, f64, f64)>,
    /// The history added by [`App::load_demo_history`], if it was.
    pub history: Option<crate::HistorySummary>,
}

/// Deterministic public directory details for a generated service.
fn directory_details(s: &DemoService, id: i64) -> hearth_store::ServiceDetails {
    use hearth_domain::directory::{ACCOMMODATION_TYPES, ETHNICITIES, SUPPORT_TASKS};
    let pick = |n: usize, salt: usize| {
        (id as usize)
            .wrapping_mul(2654435761)
            .wrapping_add(salt * 40503)
            % n
    };
    let households = match s.client_group {
        "homeless_families" => "family,lone_parent",
        "teenage_parents" => "lone_parent",
        "older_people" => "single,couple",
        _ => "single",
    };
    let ages = match s.client_group {
        "older_people" => "65_plus,55_plus",
        "young_people_at_risk" | "teenage_parents" => "16_25",
        _ => "18_64",
    };
    let accommodation = match s.service_type {
        "accommodation_based" => ACCOMMODATION_TYPES[pick(4, 1)].0,
        "sheltered" => "sheltered_scheme",
        _ => "",
    };
    let mut tasks = vec![
        SUPPORT_TASKS[pick(SUPPORT_TASKS.len(), 2)].0,
        SUPPORT_TASKS[pick(SUPPORT_TASKS.len(), 3)].0,
        "tenancy",
    ];
    if s.service_type == "community_alarm" {
        tasks = vec!["alarm", "safety"];
    }
    tasks.sort_unstable();
    tasks.dedup();
    let ethnicity = if pick(10, 4) == 0 {
        ETHNICITIES[1 + pick(ETHNICITIES.len() - 1, 5)].0
    } else {
        "all"
    };
    let slug: String = s
        .public_name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect();
    hearth_store::ServiceDetails {
        public_name: s.public_name.clone(),
        description: s.description.clone(),
        languages: if pick(3, 6) == 0 {
            "English, Polish, Urdu".into()
        } else {
            "English".into()
        },
        religions: "All faiths and none".into(),
        tenure: if accommodation.is_empty() {
            String::new()
        } else {
            "Licence agreement".into()
        },
        rural_urban: if pick(3, 7) == 0 {
            "Rural".into()
        } else {
            "Urban".into()
        },
        emergency_referrals: pick(4, 8) == 0,
        interpreter: pick(2, 9) == 0,
        visual_impairment_support: pick(3, 10) == 0,
        hearing_impairment_support: pick(3, 10) == 0 || pick(4, 13) == 0,
        waiting_list: pick(3, 11) == 0,
        support_tasks: tasks.join(","),
        referral_routes: "Self-referral, social services, housing options team, probation, health"
            .into(),
        household_types: households.into(),
        age_groups: ages.into(),
        exclusions: if s.client_group == "domestic_abuse" {
            "Women only; no men".into()
        } else {
            "Arson risk assessed case by case".into()
        },
        accommodation_type: accommodation.into(),
        ethnicity_focus: ethnicity.into(),
        contact_phone: format!("01632 96{:04}", id % 10_000),
        contact_email: format!("referrals@{slug}.example"),
        website: format!("https://{slug}.example"),
        accessibility: if pick(2, 12) == 0 {
            "Step-free access; lift; accessible bathroom".into()
        } else {
            "Ground floor office; hearing loop".into()
        },
        eligibility: match s.client_group {
            "older_people" => "People aged 55 or over who need support to live independently, living in or moving to the area.",
            "young_people_at_risk" => "Young people aged 16 to 25 who are homeless or at risk of losing their home, referred by the housing options team or children's services.",
            "teenage_parents" => "Parents aged 16 to 25 and their children who need support to keep a home.",
            "homeless_families" => "Families with children accepted as homeless or threatened with homelessness by the council.",
            "domestic_abuse" => "Women, and their children, escaping domestic abuse. Referrals by telephone, at any time.",
            "mental_health" => "Adults with a mental health need who are ready to live more independently, referred by the community mental health team or self-referral.",
            _ => "Adults aged 18 or over with a housing-related support need, with a local connection to the area.",
        }
        .into(),
    }
}

/// The one service of the small demo's second authority (`App::demo_neighbour`), at a
/// postcode of the demo's.
fn neighbour_service(postcode: String) -> DemoService {
    DemoService {
        key: 0,
        authority_key: 1,
        provider_key: 0,
        reference: "HDL/SH/0001".into(),
        name: "Mill Race Court".into(),
        public_name: "Mill Race Court".into(),
        service_type: "sheltered",
        term: "long",
        client_group: "older_people",
        contracted_units: 12,
        address: "Mill Race Lane, Harrowdale".into(),
        postcode,
        description: "Sheltered flats for older people with a scheme manager on weekdays and an alarm service at night, commissioned by Harrowdale District Council.".into(),
    }
}

/// The small demo's second authority (`App::demo_neighbour`).
pub const NEIGHBOUR_NAME: &str = "Harrowdale District Council";
pub const NEIGHBOUR_CODE: &str = "HDL";

impl App {
    /// Generates and loads demo data at `scale` (deterministic for a seed), then creates the
    /// demo accounts, each enrolled with a TOTP secret. The database must be freshly migrated.
    pub async fn load_demo(
        &self,
        scale: Scale,
        seed: u64,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<DemoSummary, AppError> {
        self.load_demo_with(scale, seed, progress, true).await
    }

    /// As `load_demo`; without clients (`with_clients` false) the services' current client
    /// counts are still set from the generated schedules, so the directory's places are as
    /// they would be. Benchmarks of the national directory use this to load in seconds.
    pub async fn load_demo_with(
        &self,
        scale: Scale,
        seed: u64,
        progress: &(dyn Fn(&str) + Sync),
        with_clients: bool,
    ) -> Result<DemoSummary, AppError> {
        let today = self.today();
        progress("generating data");
        let data = generate(scale, seed, today);
        let actor = Actor::system("demo");
        let mut summary = DemoSummary::default();

        progress("loading organisations, services and contracts");
        let mut tx = self.begin_write(&actor).await?;
        tx.set_setting(DEMO_MARK, &format!("{scale:?} demo, seed {seed}"))
            .await?;
        let mut authority_ids = Vec::new();
        for a in &data.authorities {
            authority_ids.push(tx.insert_authority(&a.name, &a.code).await?.id);
        }
        let mut provider_ids = Vec::new();
        for p in &data.providers {
            let auths: Vec<i64> = p
                .authority_keys
                .iter()
                .filter_map(|k| authority_ids.get(*k).copied())
                .collect();
            let created = tx
                .insert_provider(
                    &ProviderFields {
                        name: p.name.clone(),
                        reference: p.reference.clone(),
                        address: p.address.clone(),
                        postcode: p.postcode.clone(),
                        phone: p.phone.clone(),
                        email: p.email.clone(),
                        limited_access: p.limited_access,
                    },
                    &auths,
                )
                .await?;
            provider_ids.push(created.id);
        }
        let mut contact_ids = Vec::new();
        for c in &data.contacts {
            let created = tx
                .insert_contact(
                    id_of(&provider_ids, c.provider_key)?,
                    &demo_contact_fields(c, &data.providers),
                )
                .await?;
            contact_ids.push(created.id);
        }
        let mut service_ids = Vec::new();
        for s in &data.services {
            let created = tx
                .insert_service(
                    id_of(&authority_ids, s.authority_key)?,
                    &ServiceFields {
                        provider_id: id_of(&provider_ids, s.provider_key)?,
                        reference: s.reference.clone(),
                        name: s.name.clone(),
                        public_name: s.public_name.clone(),
                        service_type: s.service_type.to_string(),
                        term: s.term.to_string(),
                        client_group: s.client_group.to_string(),
                        contracted_units: s.contracted_units,
                        address: s.address.clone(),
                        postcode: s.postcode.clone(),
                        description: s.description.clone(),
                    },
                )
                .await?;
            service_ids.push(created.id);
        }
        for p in &data.properties {
            tx.insert_property(
                id_of(&authority_ids, p.authority_key)?,
                &PropertyFields {
                    provider_id: id_of(&provider_ids, p.provider_key)?,
                    service_id: match p.service_key {
                        Some(k) => Some(id_of(&service_ids, k)?),
                        None => None,
                    },
                    address_line1: p.address_line1.clone(),
                    address_line2: p.address_line2.clone(),
                    town: p.town.clone(),
                    postcode: p.postcode.clone(),
                    uprn: Some(p.uprn.clone()),
                },
            )
            .await?;
        }
        let mut contract_ids = Vec::new();
        for c in &data.contracts {
            let created = tx
                .insert_contract(
                    id_of(&authority_ids, c.authority_key)?,
                    &ContractFields {
                        provider_id: id_of(&provider_ids, c.provider_key)?,
                        reference: c.reference.clone(),
                        title: c.title.clone(),
                        units: c.units,
                        unit_rate_pence: c.unit_rate_pence,
                        start_date: c.start_date.to_string(),
                        end_date: c.end_date.to_string(),
                        status: c.status.to_string(),
                        service_ids: c
                            .service_keys
                            .iter()
                            .map(|k| id_of(&service_ids, *k))
                            .collect::<Result<_, _>>()?,
                    },
                )
                .await?;
            contract_ids.push(created.id);
        }
        tx.commit().await?;

        progress(&format!(
            "loading {} clients and {} schedules",
            data.clients.len(),
            data.schedules.len()
        ));
        let mut by_client: Vec<Vec<ScheduleFields>> = vec![Vec::new(); data.clients.len()];
        for s in &data.schedules {
            if let Some(list) = by_client.get_mut(s.client_key) {
                list.push(ScheduleFields {
                    client_id: 0,
                    service_id: id_of(&service_ids, s.service_key)?,
                    level: s.level.clone(),
                    units_per_week: s.units_per_week,
                    start_date: s.start_date.to_string(),
                    end_date: s.end_date.map(|d| d.to_string()),
                    end_reason: s.end_reason.map(String::from),
                });
            }
        }
        let mut rows = Vec::with_capacity(data.clients.len());
        for (c, schedules) in data.clients.iter().zip(by_client) {
            rows.push((
                ClientFields {
                    title: c.title.clone(),
                    first_name: c.first_name.clone(),
                    last_name: c.last_name.clone(),
                    date_of_birth: Some(c.date_of_birth.to_string()),
                    ethnicity: c.ethnicity.clone(),
                    address: c.address.clone(),
                    address2: String::new(),
                    town: String::new(),
                    postcode: c.postcode.clone(),
                    uprn: None,
                    ni_number: c.ni_number.clone(),
                    hb_number: c.hb_number.clone(),
                },
                id_of(&authority_ids, c.authority_key)?,
                schedules,
            ));
        }
        if with_clients {
            for chunk in rows.chunks(5_000) {
                let mut tx = self.begin_write(&actor).await?;
                summary.schedules += tx.bulk_load_schedules(chunk).await?;
                tx.commit().await?;
            }
        }

        progress("loading postcodes and directory details");
        let postcodes: Vec<(String, f64, f64)> = data
            .postcodes
            .iter()
            .map(|p| (p.postcode.clone(), p.latitude, p.longitude))
            .collect();
        let mut tx = self.begin_write(&actor).await?;
        tx.upsert_postcodes(&postcodes).await?;
        for (s, id) in data.services.iter().zip(&service_ids) {
            tx.set_directory_fields(*id, &directory_details(s, *id))
                .await?;
        }
        tx.commit().await?;
        self.db.locate_services().await?;
        if with_clients {
            self.db.refresh_current_clients(&today.to_string()).await?;
        } else {
            let mut current = vec![0i64; data.services.len()];
            for s in data
                .schedules
                .iter()
                .filter(|s| s.end_date.is_none_or(|e| e >= today))
            {
                if let Some(c) = current.get_mut(s.service_key) {
                    *c += 1;
                }
            }
            self.db
                .set_current_clients(
                    &service_ids.iter().copied().zip(current).collect::<Vec<_>>(),
                    &today.to_string(),
                )
                .await?;
        }
        summary.postcodes = postcodes;

        progress("creating demo accounts");
        summary.accounts = self
            .create_demo_accounts(
                &data,
                &authority_ids,
                &provider_ids,
                &contact_ids,
                &service_ids,
            )
            .await?;
        progress("naming responsible officers");
        self.assign_demo_officers(&data, &authority_ids, &provider_ids, &service_ids)
            .await?;
        summary.authorities = data.authorities.len();
        if scale == Scale::Small {
            progress("adding a neighbouring authority that shares a provider");
            let shared = id_of(&provider_ids, 0)?;
            let postcode = data
                .services
                .iter()
                .find(|s| s.provider_key == 0)
                .map(|s| s.postcode.clone())
                .unwrap_or_default();
            self.demo_neighbour(&actor, shared, &neighbour_service(postcode))
                .await?;
            summary.authorities += 1;
        }
        summary.providers = data.providers.len();
        summary.services = data.services.len();
        summary.contracts = contract_ids.len();
        summary.clients = data.clients.len();
        Ok(summary)
    }

    /// The small demo's second authority, Harrowdale District Council (issue 11: several
    /// authorities in one deployment). It commissions one service from the demo's first
    /// provider (Larkspur Housing Trust, the `provider` account's organisation), so that
    /// provider's users switch between the two authorities from **Your account** without
    /// signing in again, and see only the chosen authority's services, contracts and clients.
    /// Brackenshire's staff see none of it, nor Harrowdale's of Brackenshire.
    async fn demo_neighbour(
        &self,
        actor: &Actor,
        shared_provider: i64,
        mill: &DemoService,
    ) -> Result<(), AppError> {
        let postcode = mill.postcode.as_str();
        let today = self.today();
        let day = |days: i64| (today + chrono::Duration::days(days)).to_string();
        let mut tx = self.begin_write(actor).await?;
        let hdl = tx
            .insert_authority_in(
                NEIGHBOUR_NAME,
                NEIGHBOUR_CODE,
                hearth_domain::calendar::Region::EnglandAndWales.as_str(),
            )
            .await?
            .id;
        tx.add_provider_authority(shared_provider, hdl).await?;
        let service = tx
            .insert_service(
                hdl,
                &ServiceFields {
                    provider_id: shared_provider,
                    reference: mill.reference.clone(),
                    name: mill.name.clone(),
                    public_name: mill.public_name.clone(),
                    service_type: mill.service_type.into(),
                    term: mill.term.into(),
                    client_group: mill.client_group.into(),
                    contracted_units: mill.contracted_units,
                    address: mill.address.clone(),
                    postcode: postcode.to_string(),
                    description: mill.description.clone(),
                },
            )
            .await?;
        tx.set_directory_fields(service.id, &directory_details(mill, service.id))
            .await?;
        tx.insert_property(
            hdl,
            &PropertyFields {
                provider_id: shared_provider,
                service_id: Some(service.id),
                address_line1: "1-12 Mill Race Court".into(),
                address_line2: "Mill Race Lane".into(),
                town: "Harrowdale".into(),
                postcode: postcode.to_string(),
                uprn: None,
            },
        )
        .await?;
        tx.insert_contract(
            hdl,
            &ContractFields {
                provider_id: shared_provider,
                reference: "HDL/C/0001".into(),
                title: "Sheltered housing support, Mill Race Court".into(),
                units: 12,
                unit_rate_pence: 2_150,
                start_date: day(-430),
                end_date: day(665),
                status: "steady_state".into(),
                service_ids: vec![service.id],
            },
        )
        .await?;
        let people = [
            ("Mrs", "Edith", "Marwood", "1941-03-14", -400, None),
            ("Mr", "Walter", "Pryce", "1938-11-02", -380, None),
            ("Ms", "Gwen", "Hollis", "1946-07-21", -250, None),
            ("Mr", "Ronald", "Askew", "1944-01-30", -190, Some(-40)),
            ("Mrs", "Nora", "Tindall", "1950-09-08", -60, None),
        ];
        let rows: Vec<(ClientFields, i64, Vec<ScheduleFields>)> = people
            .iter()
            .enumerate()
            .map(|(i, (title, first, last, born, start, end))| {
                (
                    ClientFields {
                        title: (*title).into(),
                        first_name: (*first).into(),
                        last_name: (*last).into(),
                        date_of_birth: Some((*born).into()),
                        ethnicity: "White British".into(),
                        address: format!("Flat {}, Mill Race Court", i + 1),
                        address2: String::new(),
                        town: "Harrowdale".into(),
                        postcode: postcode.to_string(),
                        uprn: None,
                        ni_number: None,
                        hb_number: None,
                    },
                    hdl,
                    vec![ScheduleFields {
                        client_id: 0,
                        service_id: service.id,
                        level: "Service Level 2".into(),
                        units_per_week: 1,
                        start_date: day(*start),
                        end_date: end.map(day),
                        end_reason: end.map(|_| "support_no_longer_required".to_string()),
                    }],
                )
            })
            .collect();
        tx.bulk_load_schedules(&rows).await?;
        tx.commit().await?;
        self.db.locate_services().await?;
        self.db.refresh_current_clients(&today.to_string()).await?;
        Ok(())
    }

    /// Responsible officers in the first authority: the contracts manager (Cara Contracts)
    /// manages every contract, and the lead officer is Olu Officer for two providers in three
    /// and Cara for the rest; every seventh service of Olu's providers is led by Cara, as a
    /// service with its own officer.
    async fn assign_demo_officers(
        &self,
        data: &DemoData,
        authority_ids: &[i64],
        provider_ids: &[i64],
        service_ids: &[i64],
    ) -> Result<(), AppError> {
        let authority = id_of(authority_ids, 0)?;
        let olu = self.db.user_by_username("officer").await?.map(|u| u.id);
        let cara = self.db.user_by_username("contracts").await?.map(|u| u.id);
        let (Some(olu), Some(cara)) = (olu, cara) else {
            return Ok(());
        };
        let mut tx = self.begin_write(&Actor::system("demo")).await?;
        for (key, id) in provider_ids.iter().enumerate() {
            let registered = data
                .providers
                .get(key)
                .is_some_and(|p| p.authority_keys.contains(&0));
            if !registered {
                continue;
            }
            let lead = if key % 3 == 2 { cara } else { olu };
            tx.set_provider_officers(
                *id,
                authority,
                hearth_store::Officers {
                    lead_officer_id: Some(lead),
                    contract_manager_id: Some(cara),
                },
            )
            .await?;
        }
        for (key, (s, id)) in data.services.iter().zip(service_ids).enumerate() {
            if s.authority_key == 0 && key % 7 == 3 && s.provider_key % 3 != 2 {
                tx.set_service_officers(
                    *id,
                    hearth_store::Officers {
                        lead_officer_id: Some(cara),
                        contract_manager_id: None,
                    },
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_demo_accounts(
        &self,
        data: &DemoData,
        authority_ids: &[i64],
        provider_ids: &[i64],
        contact_ids: &[i64],
        service_ids: &[i64],
    ) -> Result<Vec<DemoAccount>, AppError> {
        let actor = Actor::system("demo");
        let authority = id_of(authority_ids, 0)?;
        let authority_name = data
            .authorities
            .first()
            .map(|a| a.name.clone())
            .unwrap_or_default();
        let mut out = Vec::new();
        let staff = [
            (
                "administrator",
                "admin",
                "Ada Administrator",
                "administers users, settings and the audit trail",
                "amber-kestrel-lantern",
            ),
            (
                "officer",
                "officer",
                "Olu Officer",
                "commissioning officer: approvals, returns, records",
                "birch-harbour-meadow",
            ),
            (
                "contracts_manager",
                "contracts",
                "Cara Contracts",
                "contracts manager",
                "cedar-quill-thistle",
            ),
            (
                "finance_officer",
                "finance",
                "Fin Finance",
                "finance officer: payments",
                "delta-orchid-pebble",
            ),
            (
                "finance_officer",
                "payments",
                "Pat Payments",
                "second finance officer: approves payment runs",
                "lantern-fennel-quartz",
            ),
            (
                "read_only",
                "board",
                "Bea Board",
                "read-only board member",
                "ember-sorrel-violet",
            ),
        ];
        for (role, username, name, what, password) in staff {
            let password = password.to_string();
            let secret = new_totp_secret();
            self.create_user_as(
                &actor,
                &UserInput {
                    username: username.into(),
                    display_name: name.into(),
                    email: format!("{username}@brackenshire.example"),
                    role: role.into(),
                    authority_id: Some(authority),
                    contact_id: None,
                },
                &password,
                Some(secret.clone()),
                false,
            )
            .await?;
            out.push(DemoAccount {
                role: role.into(),
                username: username.into(),
                password,
                totp_secret: secret,
                description: format!("{what}, {authority_name}"),
            });
        }

        // The provider organisation contact: first contact of provider 0, who sees everything.
        let provider0 = data
            .providers
            .first()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let org_contact = data.contacts.iter().position(|c| c.provider_key == 0);
        // The limited-access service manager: a contact of provider 1 assigned to one service.
        let limited_contact = data
            .contacts
            .iter()
            .position(|c| c.provider_key == 1 && c.position_type != "chief_executive");
        let limited_service = data.services.iter().position(|s| s.provider_key == 1);
        let provider1 = data
            .providers
            .get(1)
            .map(|p| p.name.clone())
            .unwrap_or_default();

        let mut tx = self.begin_write(&actor).await?;
        if let Some(c) = org_contact {
            tx.insert_assignment(id_of(contact_ids, c)?, "organisation_contact", None, None)
                .await?;
            tx.insert_assignment(id_of(contact_ids, c)?, "portal_manager", None, None)
                .await?;
        }
        if let (Some(c), Some(s)) = (limited_contact, limited_service) {
            tx.insert_assignment(
                id_of(contact_ids, c)?,
                "service_manager",
                Some(id_of(service_ids, s)?),
                None,
            )
            .await?;
        }
        tx.commit().await?;

        let provider_accounts = [
            (
                "provider_user",
                "provider",
                org_contact,
                format!("provider organisation contact, {provider0}"),
                "fable-willow-yarrow",
            ),
            (
                "provider_user",
                "limited",
                limited_contact,
                format!("provider service manager under limited access (one service), {provider1}"),
                "grove-juniper-raven",
            ),
        ];
        for (role, username, contact, what, password) in provider_accounts {
            let Some(contact) = contact else { continue };
            let Some(c) = data.contacts.get(contact) else {
                continue;
            };
            let password = password.to_string();
            let secret = new_totp_secret();
            self.create_user_as(
                &actor,
                &UserInput {
                    username: username.into(),
                    display_name: format!("{} {}", c.first_name, c.last_name),
                    email: c.email.clone(),
                    role: role.into(),
                    authority_id: None,
                    contact_id: Some(id_of(contact_ids, contact)?),
                },
                &password,
                Some(secret.clone()),
                false,
            )
            .await?;
            out.push(DemoAccount {
                role: role.into(),
                username: username.into(),
                password,
                totp_secret: secret,
                description: what,
            });
        }
        // The host administrator of the deployment: adds authorities and their first
        // administrators, and sees none of their records (issue 11).
        let password = "iris-nectar-quartz".to_string();
        let secret = new_totp_secret();
        self.create_user_as(
            &actor,
            &UserInput {
                username: "host".into(),
                display_name: "Hal Host".into(),
                email: "host@hearth-hosting.example".into(),
                role: Role::HostAdministrator.as_str().into(),
                authority_id: None,
                contact_id: None,
            },
            &password,
            Some(secret.clone()),
            false,
        )
        .await?;
        out.push(DemoAccount {
            role: Role::HostAdministrator.as_str().into(),
            username: "host".into(),
            password,
            totp_secret: secret,
            description: "host administrator of the deployment: adds authorities and their first administrators, sees no authority's records".into(),
        });
        let _ = provider_ids;
        Ok(out)
    }
}

impl App {
    /// `n` more accounts in a loaded demo, for load tests: one in three commissioning staff of
    /// the first authority (officers, contracts managers, finance officers, board members and
    /// administrators in turn), the rest provider users, each an organisation contact (up to three
    /// for each provider). Each is enrolled with a TOTP secret, like the demo accounts, so a
    /// load test can sign in many sessions at once (a code is accepted once per account).
    pub async fn add_load_accounts(&self, n: usize) -> Result<Vec<DemoAccount>, AppError> {
        let actor = Actor::system("demo");
        let authority = self
            .db
            .authorities()
            .await?
            .first()
            .map(|a| a.id)
            .ok_or_else(|| AppError::Internal("load accounts need a loaded demo".into()))?;
        // Providers 0 and 1 have the demo's own provider accounts.
        let providers = self
            .db
            .list_providers(&hearth_store::ProviderFilter {
                per_page: 10_000,
                ..Default::default()
            })
            .await?
            .items;
        let mut provider_contacts = Vec::new();
        for p in providers.iter().skip(2) {
            if provider_contacts.len() >= n {
                break;
            }
            provider_contacts.extend(self.db.provider_contacts(p.id).await?.into_iter().take(3));
        }
        let staff_roles = [
            "officer",
            "contracts_manager",
            "finance_officer",
            "read_only",
            "administrator",
        ];
        let mut out = Vec::new();
        for i in 0..n {
            let username = format!("load{:03}", i + 1);
            let password: String = new_totp_secret().to_lowercase().chars().take(20).collect();
            let secret = new_totp_secret();
            let provider_turn = i % 3 != 0 && !provider_contacts.is_empty();
            let (role, input) = if provider_turn {
                let c = provider_contacts.remove(0);
                let mut tx = self.begin_write(&actor).await?;
                tx.insert_assignment(c.id, "organisation_contact", None, None)
                    .await?;
                tx.commit().await?;
                (
                    "provider_user",
                    UserInput {
                        username: username.clone(),
                        display_name: format!("{} {}", c.first_name, c.last_name),
                        email: c.email.clone(),
                        role: "provider_user".into(),
                        authority_id: None,
                        contact_id: Some(c.id),
                    },
                )
            } else {
                let role = staff_roles[(i / 3) % staff_roles.len()];
                (
                    role,
                    UserInput {
                        username: username.clone(),
                        display_name: format!("Load Tester {}", i + 1),
                        email: format!("{username}@load.example"),
                        role: role.into(),
                        authority_id: Some(authority),
                        contact_id: None,
                    },
                )
            };
            self.create_user_as(&actor, &input, &password, Some(secret.clone()), false)
                .await?;
            out.push(DemoAccount {
                role: role.into(),
                username,
                password,
                totp_secret: secret,
                description: "load test account".into(),
            });
        }
        Ok(out)
    }
}

fn id_of(ids: &[i64], key: usize) -> Result<i64, AppError> {
    ids.get(key)
        .copied()
        .ok_or_else(|| AppError::Internal(format!("demo data refers to a missing key {key}")))
}

/// A demo contact's fields: the generator's names and numbers, with the rest of the
/// briefing's contact form filled from the contact's provider (its address and web
/// domain), so the contact pages show what they hold.
fn demo_contact_fields(
    c: &hearth_demo::DemoContact,
    providers: &[hearth_demo::DemoProvider],
) -> ContactFields {
    let provider = providers.iter().find(|p| p.key == c.provider_key);
    let parts: Vec<&str> = provider
        .map(|p| p.address.split(", ").collect())
        .unwrap_or_default();
    let (line1, line2, town) = match parts.as_slice() {
        [] => ("", String::new(), ""),
        [one] => (*one, String::new(), ""),
        [first, middle @ .., last] => (*first, middle.join(", "), *last),
    };
    let domain = provider
        .and_then(|p| p.email.split('@').nth(1))
        .unwrap_or("example.org");
    let position = hearth_domain::PositionType::parse(c.position_type).ok();
    let others = match (c.key % 5, position) {
        (0, Some(hearth_domain::PositionType::ChiefExecutive)) => "director",
        (1, _) => "finance_manager",
        _ => "",
    };
    ContactFields {
        title: c.title.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        position_type: c.position_type.to_string(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        job_title: position.map(|p| p.label().to_string()).unwrap_or_default(),
        other_positions: others.to_string(),
        mobile: format!("07700 900{:03}", c.key % 1000),
        web_address: format!("https://www.{domain}"),
        address_line1: line1.to_string(),
        address_line2: line2,
        town: town.to_string(),
        postcode: provider.map(|p| p.postcode.clone()).unwrap_or_default(),
        directions: if c.key.is_multiple_of(4) {
            "Entrance at the side of the building; ring the bell marked Office.".into()
        } else {
            String::new()
        },
        confidential: c.key % 9 == 8,
        disabled_access: ["yes", "no", ""][c.key % 3].to_string(),
        ..Default::default()
    }
}
