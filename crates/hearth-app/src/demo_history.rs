//! The demo's history: two financial years of a living programme, made through the use cases
//! themselves (so every entry is authorised, validated and audited as a real one would be),
//! each on the day it would have happened. Returns for every ended quarter (most accepted,
//! some late, some below trigger with an explanation, a few waiting to be checked, a few
//! missing), requests of every common kind pending and decided, actions open, overdue and
//! done, contract documents in each state of progress with signatures, and login requests.
//! Deterministic for a seed.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use hearth_domain::clock::FixedClock;
use hearth_domain::performance::Quarter;
use hearth_domain::workflow::returns::Decision;
use hearth_domain::{AccountHelpKind, DocumentProgress, DocumentType};
use hearth_store::{Actor, NewUser};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::actions::ActionInput;
use crate::contacts::ContactInput;
use crate::requests::{NewScheduleInput, UpdateScheduleInput};
use crate::returns::{ReturnForm, TriggerForm};
use crate::{App, AppError, Principal};

/// What the history added, for the summary `hearth demo` prints.
#[derive(Debug, Clone, Default)]
pub struct HistorySummary {
    pub returns: usize,
    pub requests: usize,
    pub actions: usize,
    pub documents: usize,
    pub payment_runs: usize,
}

/// Quarters of history: from the start of last financial year to the last quarter ended.
const QUARTERS: usize = 6;
/// Services per provider that get returns (bounds the load at national scale).
const SERVICES_PER_PROVIDER: usize = 6;
/// Providers that get history (the first ones of the first authority).
const PROVIDERS: usize = 40;

/// A UK date and hour as the clock's seconds (UTC; BST moves it by an hour, which history
/// does not mind).
fn at(d: NaiveDate, hour: u32) -> i64 {
    d.and_hms_opt(hour, 15, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or_default()
}

const EXPLANATION: &str = "Two long-standing residents moved into residential care after hospital stays, and the voids took longer to fill than usual. We have agreed a referral plan with the housing options team.";

fn dmy(d: NaiveDate) -> String {
    d.format("%-d/%-m/%Y").to_string()
}

impl App {
    pub(crate) async fn demo_principal(&self, username: &str) -> Result<Principal, AppError> {
        let u = self
            .db
            .user_by_username(username)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo account {username} missing")))?;
        self.principal_for(u, None)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo account {username} cannot act")))
    }

    /// A provider's portal user for the history of a provider without a demo account: its
    /// first contact, with a password that never verifies (nobody signs in as them).
    async fn history_provider_user(&self, provider_id: i64) -> Result<Option<Principal>, AppError> {
        let username = format!("portal.{provider_id}");
        let users = self.db.list_users(None).await?;
        let taken = |id: i64| users.iter().any(|u| u.contact_id == Some(id));
        let Some(c) = self
            .db
            .provider_contacts(provider_id)
            .await?
            .into_iter()
            .find(|c| c.active != 0 && !taken(c.id))
        else {
            return Ok(None);
        };
        if self.db.user_by_username(&username).await?.is_none() {
            let mut tx = self.begin_write(&Actor::system("demo")).await?;
            tx.insert_user(&NewUser {
                username: username.clone(),
                display_name: c.full_name(),
                email: c.email.clone(),
                // Not a PHC string: no password matches it.
                password_hash: "!demo-history-no-password".into(),
                role: "provider_user".into(),
                authority_id: None,
                contact_id: Some(c.id),
                totp_secret: None,
                must_change_password: true,
            })
            .await?;
            tx.commit().await?;
        }
        self.demo_principal(&username).await.map(Some)
    }

    /// Adds the history to a freshly loaded demo (after its accounts exist).
    pub async fn load_demo_history(
        &self,
        seed: u64,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<HistorySummary, AppError> {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x4845_4152_5448);
        let today = self.today();
        let clock = Arc::new(FixedClock::at(at(today, 9)));
        let past = self.clone().with_clock(clock.clone());
        let officer = self.demo_principal("officer").await?;
        let mut summary = HistorySummary::default();

        // Triggers for both years, set at the start of each.
        let this_year = hearth_domain::FinancialYear::for_date(today);
        for year in [this_year.previous(), this_year] {
            clock.set(at(year.start() + Duration::days(7), 10));
            for (indicator, value) in [
                ("kpi_1", "90"),
                ("kpi_2", "70"),
                ("utilisation", "92"),
                ("staffing", "95"),
            ] {
                past.set_trigger(
                    &officer,
                    &TriggerForm {
                        year: year.label(),
                        indicator: indicator.into(),
                        service_type: String::new(),
                        value: value.into(),
                    },
                )
                .await?;
            }
        }

        // The providers of the first authority, each with a portal user.
        progress("adding two years of returns");
        // The demo provider account's organisation comes first.
        let demo_provider = self.demo_principal("provider").await?;
        let Principal::Provider {
            provider_id: first, ..
        } = &demo_provider
        else {
            return Err(AppError::Internal(
                "the demo provider account is not a provider's".into(),
            ));
        };
        let first = *first;
        let mut people: Vec<(i64, Principal)> = vec![(first, demo_provider)];
        for p in self
            .provider_choices(&officer)
            .await?
            .iter()
            .take(PROVIDERS)
        {
            if p.id == first {
                continue;
            }
            if let Some(who) = self.history_provider_user(p.id).await? {
                people.push((p.id, who));
            }
        }

        // Returns: the last QUARTERS quarters, oldest first.
        let mut quarters = Vec::new();
        let mut q = Quarter::for_date(today).previous();
        for _ in 0..QUARTERS {
            quarters.push(q);
            q = q.previous();
        }
        quarters.reverse();
        let due_days = self.returns_due_days(officer.authority_id()).await?;
        for (_, who) in &people {
            let mut f = who.service_filter();
            f.per_page = SERVICES_PER_PROVIDER as i64;
            let services = self.db.list_services(&f).await?.items;
            for s in &services {
                for (i, q) in quarters.iter().enumerate() {
                    let latest = i + 1 == quarters.len();
                    let due = q.end() + Duration::days(due_days);
                    let roll: u32 = rng.gen_range(0..100);
                    // A few of the latest quarter's returns have not come.
                    if latest && roll < 8 {
                        continue;
                    }
                    let late = roll >= 88;
                    let sent = if late {
                        due + Duration::days(rng.gen_range(2..20))
                    } else {
                        due - Duration::days(rng.gen_range(1..21))
                    };
                    if sent >= today {
                        continue;
                    }
                    let breach = rng.gen_range(0..100) < 12;
                    let form = figures(&mut rng, s, q, breach);
                    clock.set(at(sent, 11));
                    // One in twenty came on paper and the team keyed it in.
                    let sent_by = if roll % 20 == 7 {
                        past.key_paper_return(&officer, s.id, &form).await
                    } else {
                        past.submit_return(who, s.id, &form).await
                    };
                    let r = match sent_by {
                        Ok(r) => r,
                        // Figures a service's type does not take: skip, as a real provider
                        // would correct them.
                        Err(AppError::Invalid(_)) => continue,
                        Err(e) => return Err(e),
                    };
                    summary.returns += 1;
                    // Checked within two weeks; the latest quarter's most recent wait.
                    let checked = sent + Duration::days(rng.gen_range(2..12));
                    if checked >= today || (latest && rng.gen_range(0..100) < 20) {
                        continue;
                    }
                    clock.set(at(checked, 14));
                    let view = past.return_view(&officer, r.id).await?;
                    let explained = !view.ret.explanation.trim().is_empty();
                    if view.breaches() > 0 && (!explained || (latest && breach)) {
                        past.check_return(
                            &officer,
                            r.id,
                            Decision::AskForExplanation,
                            "Please say what is being done to bring this back above the trigger.",
                            false,
                        )
                        .await?;
                        // The latest quarter's stay with the provider to answer.
                        if latest {
                            continue;
                        }
                        clock.set(at(checked + Duration::days(4), 10));
                        past.explain_return(who, r.id, EXPLANATION).await?;
                        clock.set(at(checked + Duration::days(6), 15));
                    }
                    past.check_return(&officer, r.id, Decision::Accept, "", false)
                        .await?;
                }
            }
        }

        progress("adding requests, actions and contract documents");
        summary.requests += self.demo_requests(&past, &clock, &officer, &people).await?;
        summary.actions += self
            .demo_actions(&past, &clock, &officer, &people, &mut rng)
            .await?;
        summary.documents += self.demo_documents(&past, &clock, &officer).await?;
        progress("adding this year's payment runs");
        summary.payment_runs += self.demo_payments(&past, &clock, &mut rng).await?;
        Ok(summary)
    }

    /// Requests of the common kinds from the demo provider: some approved, some rejected,
    /// some pending (the officer's queue on first open).
    async fn demo_requests(
        &self,
        past: &App,
        clock: &FixedClock,
        officer: &Principal,
        people: &[(i64, Principal)],
    ) -> Result<usize, AppError> {
        let today = self.today();
        let mut n = 0;
        let names = [
            ("Ms", "Imogen", "Hartwell", "12/4/1961"),
            ("Mr", "Tobias", "Fennimore", "3/9/1978"),
            ("Mrs", "Priya", "Lakhani", "27/1/1949"),
            ("Mr", "Declan", "Ashgrove", "15/6/1990"),
            ("Miss", "Rosa", "Quennell", "8/11/2001"),
            ("Ms", "Aisha", "Okafor", "19/2/1985"),
        ];
        for (k, (_, who)) in people.iter().take(3).enumerate() {
            let mut f = who.service_filter();
            f.per_page = 3;
            let services = self.db.list_services(&f).await?.items;
            for (j, s) in services.iter().enumerate() {
                let (title, first, last, dob) = names[(k * 2 + j) % names.len()];
                let sent = today - Duration::days(((k * 3 + j) * 9 + 2) as i64);
                clock.set(at(sent, 10));
                let input = NewScheduleInput {
                    title: title.into(),
                    first_name: first.into(),
                    last_name: last.into(),
                    date_of_birth: dob.into(),
                    ethnicity: "White British".into(),
                    address: format!("{} Mill Lane", 10 + k * 7 + j),
                    town: "Reading".into(),
                    postcode: "RG1 2AB".into(),
                    ni_number: format!("CE{:06}A", 123_450 + k * 10 + j),
                    hb_number: format!("{:08}", 40_000_000 + k * 1000 + j),
                    start_date: dmy(sent + Duration::days(7)),
                    units_per_week: format!("{}", 2 + (k + j) % 5),
                    level: "Service Level 1".into(),
                    comment: "Referred by the housing options team.".into(),
                    ..Default::default()
                };
                let r = match past.request_new_schedule(who, s.id, &input).await {
                    Ok(r) => r,
                    Err(AppError::Invalid(e)) => {
                        tracing::debug!(?e, "demo request refused");
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                n += 1;
                // The oldest are decided; the newest wait in the queue.
                let decided = sent + Duration::days(3);
                if decided < today && (k + j) % 3 != 0 {
                    clock.set(at(decided, 15));
                    if (k + j) % 4 == 1 {
                        past.reject_request(
                            officer,
                            r.id,
                            "The start date is before the referral was agreed: send it again with the agreed date.",
                        )
                        .await?;
                    } else {
                        past.approve_request(officer, r.id, "Checked against the referral.")
                            .await?;
                    }
                }
            }
            // A schedule update (units change) on the provider's first current schedule.
            if let Some(s) = services.first() {
                let schedules = self
                    .db
                    .service_schedules(
                        s.id,
                        &today.to_string(),
                        false,
                        hearth_store::ScheduleSort::Name,
                        1,
                        1,
                    )
                    .await?
                    .items;
                if let Some(sch) = schedules.first() {
                    clock.set(at(today - Duration::days(4 + k as i64), 12));
                    let input = UpdateScheduleInput {
                        level: sch.level.clone(),
                        units_per_week: (sch.units_per_week + 1).min(168).to_string(),
                        comment: "Support needs have increased since the last review.".into(),
                        ..Default::default()
                    };
                    if past
                        .request_schedule_update(who, sch.id, &input)
                        .await
                        .is_ok()
                    {
                        n += 1;
                    }
                }
            }
            // A new contact, waiting for approval.
            clock.set(at(today - Duration::days(2 + k as i64), 9));
            let contact = ContactInput {
                title: "Mx".into(),
                first_name: "Sam".into(),
                last_name: format!("Whitlock{}", ["", "e", "son"][k % 3]),
                position_type: "support_worker".into(),
                email: format!("sam.whitlock{k}@example.org"),
                phone: "0118 496 0123".into(),
                comment: "Joined the team this month.".into(),
                job_title: "Tenancy support worker".into(),
                mobile: "07700 900 318".into(),
                ..Default::default()
            };
            if past.request_contact_add(who, &contact).await.is_ok() {
                n += 1;
            }
            // A change of the first service's directory details.
            if let (0, Some(s)) = (k, services.first()) {
                clock.set(at(today - Duration::days(1), 16));
                let mut details = crate::requests::ServiceDetails::of(s);
                details.description = format!(
                    "{} Drop-in sessions now run on Tuesday and Thursday mornings.",
                    details.description.trim()
                );
                details.waiting_list = true;
                if past
                    .request_service_details(who, s.id, &details, "New drop-in times.")
                    .await
                    .is_ok()
                {
                    n += 1;
                }
            }
        }
        // Login requests from the public pages, waiting for the team.
        let authority_id = officer.authority_id();
        for (d, name, org, email) in [
            (
                3,
                "Grace Ellery",
                "Larch Lane Care",
                "grace.ellery@example.org",
            ),
            (
                1,
                "Omar Haddad",
                "Northgate Housing Association",
                "omar.haddad@example.org",
            ),
        ] {
            clock.set(at(today - Duration::days(d), 9));
            past.request_account_help(
                AccountHelpKind::LoginRequest,
                crate::accounts::HelpRequest {
                    authority_id: Some(authority_id),
                    username: String::new(),
                    full_name: name.into(),
                    email: email.into(),
                    organisation: org.into(),
                    message: "I manage our floating support service and need to send the quarterly returns.".into(),
                },
                "192.0.2.10",
            )
            .await?;
        }
        n += self
            .demo_extension_requests(past, clock, officer, people)
            .await?;
        n += self
            .demo_property_requests(past, clock, officer, people)
            .await?;
        Ok(n)
    }

    /// Property requests: a new property asked for and approved, and a change to an
    /// address waiting for the team.
    async fn demo_property_requests(
        &self,
        past: &App,
        clock: &FixedClock,
        officer: &Principal,
        people: &[(i64, Principal)],
    ) -> Result<usize, AppError> {
        let today = self.today();
        let mut n = 0;
        let Some((_, who)) = people.first() else {
            return Ok(0);
        };
        let mut f = who.service_filter();
        f.per_page = 1;
        let service = self.db.list_services(&f).await?.items.into_iter().next();
        clock.set(at(today - Duration::days(12), 11));
        let new = crate::records::PropertyInput {
            service_id: service.map(|s| s.id.to_string()).unwrap_or_default(),
            address_line1: "7 Orchard Close".into(),
            town: "Reading".into(),
            postcode: "RG1 3BD".into(),
            ..Default::default()
        };
        let r = past
            .request_property(
                who,
                None,
                &new,
                "A second shared house opens next month; the landlord's lease is signed.",
            )
            .await?;
        n += 1;
        clock.set(at(today - Duration::days(10), 14));
        past.approve_request(officer, r.id, "Lease seen; added to the service.")
            .await?;

        let mut pf = who.service_filter();
        pf.per_page = 1;
        if let Some(p) = self.db.list_properties(&pf).await?.items.into_iter().next() {
            clock.set(at(today - Duration::days(1), 10));
            let mut change = crate::records::PropertyInput::from_record(&p);
            change.address_line2 = if p.address_line2.is_empty() {
                "Ground floor flat".into()
            } else {
                String::new()
            };
            if past
                .request_property(who, Some(p.id), &change, "The flat is on the ground floor.")
                .await
                .is_ok()
            {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Requests for more time for the quarter under way's return: one granted, one waiting
    /// for the team.
    async fn demo_extension_requests(
        &self,
        past: &App,
        clock: &FixedClock,
        officer: &Principal,
        people: &[(i64, Principal)],
    ) -> Result<usize, AppError> {
        let today = self.today();
        let mut n = 0;
        let Some((_, who)) = people.first() else {
            return Ok(0);
        };
        let mut f = who.service_filter();
        f.per_page = 2;
        let services = self.db.list_services(&f).await?.items;
        let current = Quarter::for_date(today);
        for (s, q, reason, approve) in services
            .iter()
            .zip([
                (
                    current,
                    "Our data officer left in the quarter and the new one starts next month.",
                    true,
                ),
                (
                    current,
                    "The service moves to new offices in the month the return is due.",
                    false,
                ),
            ])
            .map(|(s, (q, r, a))| (s, q, r, a))
        {
            let due = past.return_due(s, q).await?;
            let asked = today - Duration::days(if approve { 6 } else { 2 });
            clock.set(at(asked, 10));
            let ask = crate::returns::ExtensionAsk {
                quarter: q.label(),
                until: dmy(due + Duration::days(21)),
                reason: reason.into(),
            };
            let r = match past.request_return_extension(who, s.id, &ask).await {
                Ok(r) => r,
                // The return was sent already: nothing to ask.
                Err(AppError::Invalid(_)) => continue,
                Err(e) => return Err(e),
            };
            n += 1;
            if approve {
                clock.set(at(asked + Duration::days(1), 15));
                past.approve_request(officer, r.id, "Agreed; thank you for telling us early.")
                    .await?;
            }
        }
        Ok(n)
    }

    /// Actions the team set providers: done, open and overdue.
    async fn demo_actions(
        &self,
        past: &App,
        clock: &FixedClock,
        officer: &Principal,
        people: &[(i64, Principal)],
        rng: &mut StdRng,
    ) -> Result<usize, AppError> {
        let today = self.today();
        let titles = [
            ("Send the updated safeguarding policy", "The policy on file is dated 2022. Send the current version, signed off by your board."),
            ("Confirm the fire risk assessment", "Upload or email the latest fire risk assessment for each accommodation service."),
            ("Update the service's directory details", "The referral telephone number in the directory no longer answers."),
            ("Explain the fall in utilisation", "Utilisation fell below the trigger for two quarters running: set out the plan to fill the vacancies."),
        ];
        let mut n = 0;
        for (k, (provider_id, who)) in people.iter().take(6).enumerate() {
            for (j, (title, description)) in titles.iter().enumerate().take(2 + k % 3) {
                let set_on = today - Duration::days(rng.gen_range(10..120));
                let due = match (k + j) % 3 {
                    0 => set_on + Duration::days(14), // likely overdue
                    1 => today + Duration::days(rng.gen_range(3..30)),
                    _ => set_on + Duration::days(28),
                };
                clock.set(at(set_on, 10));
                let a = past
                    .create_action(
                        officer,
                        *provider_id,
                        &ActionInput {
                            contact_id: String::new(),
                            title: (*title).into(),
                            description: (*description).into(),
                            due_date: dmy(due),
                            priority: ["high", "medium", "low"][(k + j) % 3].into(),
                        },
                    )
                    .await?;
                n += 1;
                if (k + j) % 3 == 2 {
                    let done = (set_on + Duration::days(rng.gen_range(3..20))).min(today);
                    clock.set(at(done, 16));
                    past.complete_action(who, a.id, "Sent by email to the contract manager.")
                        .await?;
                }
            }
        }
        Ok(n)
    }

    /// Contract documents of the demo provider's contracts, in each state of progress, the
    /// signed ones signed by the provider.
    async fn demo_documents(
        &self,
        past: &App,
        clock: &FixedClock,
        officer: &Principal,
    ) -> Result<usize, AppError> {
        let today = self.today();
        let provider = self.demo_principal("provider").await?;
        let contracts = self
            .list_contracts(&provider, &Default::default())
            .await?
            .items;
        let mut n = 0;
        for (k, c) in contracts.iter().take(3).enumerate() {
            let added = today - Duration::days(60 - 15 * k as i64);
            clock.set(at(added, 10));
            let (kind, title) = [
                (DocumentType::Variation, "Contract variation 2026/27"),
                (DocumentType::Specification, "Service specification"),
                (DocumentType::Other, "Annual uplift letter"),
            ][k % 3];
            let d = past
                .add_document_of(officer, c.id, kind, title, None)
                .await?;
            n += 1;
            match k % 3 {
                0 => {
                    clock.set(at(added + Duration::days(2), 9));
                    past.set_document_team_comments(
                        officer,
                        d.id,
                        "Variation to add two units from 1 April, as agreed at the contract meeting.",
                    )
                    .await?;
                    clock.set(at(added + Duration::days(5), 11));
                    past.set_document_progress(officer, d.id, DocumentProgress::Agreed)
                        .await?;
                    clock.set(at(added + Duration::days(9), 15));
                    past.sign_document(&provider, d.id, "fable-willow-yarrow")
                        .await?;
                    past.set_document_progress(officer, d.id, DocumentProgress::Signed)
                        .await?;
                }
                1 => {
                    clock.set(at(added + Duration::days(4), 11));
                    past.set_document_progress(officer, d.id, DocumentProgress::Agreed)
                        .await?;
                }
                _ => {}
            }
        }
        Ok(n)
    }
}

/// A quarter's figures for a service: healthy, or (when `breach`) with fewer clients
/// maintaining independent living and lower utilisation, and an explanation.
fn figures(rng: &mut StdRng, s: &hearth_store::Service, q: &Quarter, breach: bool) -> ReturnForm {
    let units = u64::try_from(s.contracted_units.max(1)).unwrap_or(1);
    let days = u64::from(q.days());
    let capacity = units * days;
    let supported = units + rng.gen_range(0..=units / 3 + 1);
    let maintained = if breach {
        supported * rng.gen_range(70..85) / 100
    } else {
        supported * rng.gen_range(92..=100) / 100
    };
    let departures = rng.gen_range(0..=supported / 4 + 1).min(supported);
    let planned = departures * rng.gen_range(75..=100) / 100;
    let accommodation = matches!(s.service_type.as_str(), "accommodation_based" | "sheltered");
    let unavailable = if accommodation {
        capacity * rng.gen_range(0..3) / 100
    } else {
        0
    };
    let occupied_pct = if breach {
        rng.gen_range(80..90)
    } else {
        rng.gen_range(93..99)
    };
    let occupied = ((capacity - unavailable) * occupied_pct / 100).min(capacity - unavailable);
    let hours = units * 3 * 13;
    let delivered = hours * rng.gen_range(95..=100) / 100;
    ReturnForm {
        quarter: q.label(),
        service_users_supported: supported.to_string(),
        maintained_independent_living: maintained.to_string(),
        new_service_users: rng
            .gen_range(0..=supported / 4 + 1)
            .min(supported)
            .to_string(),
        departures: departures.to_string(),
        planned_departures: planned.to_string(),
        unavailable_unit_days: unavailable.to_string(),
        occupied_unit_days: occupied.to_string(),
        support_hours_contracted: hours.to_string(),
        support_hours_delivered: delivered.to_string(),
        comment: String::new(),
        explanation: if breach {
            EXPLANATION.into()
        } else {
            String::new()
        },
        extra: Default::default(),
    }
}
