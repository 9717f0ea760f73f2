//! The core records the commissioning team manages and providers view: providers,
//! services, properties and contracts. Staff see their own authority; a provider user sees
//! only their organisation (and under limited access only their services); anything else
//! is "not found".

use hearth_domain::paging::Page;
use hearth_domain::{
    parse_date, ClientGroup, ContractStatus, Pence, Postcode, ServiceType, Term, Uprn,
};
use hearth_store::{
    Contact, Contract, ContractFields, Property, PropertyFields, Provider, ProviderFields,
    RequestFilter, ScheduleRow, ScheduleSort, Service, ServiceFields,
};
use serde::Deserialize;

use crate::{App, AppError, FieldErrors, Permission, Principal};

/// The order of a service's client schedules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScheduleOrder {
    /// By client name.
    #[default]
    Name,
    /// Newest start first.
    StartDate,
    ClientId,
}

impl ScheduleOrder {
    fn sort(self) -> ScheduleSort {
        match self {
            ScheduleOrder::Name => ScheduleSort::Name,
            ScheduleOrder::StartDate => ScheduleSort::StartDate,
            ScheduleOrder::ClientId => ScheduleSort::ClientId,
        }
    }
}

/// Which of a service's client schedules, in what order.
#[derive(Debug, Clone, Copy)]
pub struct SchedulesQuery {
    pub include_ended: bool,
    pub order: ScheduleOrder,
    pub page: i64,
    pub per_page: i64,
}

/// Everything the service page shows.
#[derive(Debug, Clone)]
pub struct ServicePage {
    pub service: Service,
    /// The provider running it.
    pub provider: Option<Provider>,
    /// The page of client schedules asked for.
    pub schedules: Page<ScheduleRow>,
    /// Current client schedules (not ended by today).
    pub current_clients: i64,
    /// Contracts covering the service, newest first.
    pub contracts: Vec<Contract>,
    /// Provider requests about the service still waiting for a decision.
    pub pending_requests: i64,
}

/// Paging and search from a list page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    pub page: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    /// A staff list's provider filter; its "Any provider" sends `provider=`, which is none.
    #[serde(default, deserialize_with = "blank_as_none")]
    pub provider: Option<i64>,
    /// Staff lists: only the records of this responsible officer ("me", or a user id).
    #[serde(default)]
    pub officer: Option<String>,
    /// The column to sort by (one of the list's [`SORTS`]), "-" first for descending.
    #[serde(default)]
    pub sort: Option<String>,
    /// Every matching record (up to [`EXPORT_MAX`]) rather than one page: an export.
    #[serde(skip)]
    pub export: bool,
}

/// A whole number from a filter form, where an empty field (a select's "Any", a box left
/// blank) means no filter rather than an error: `provider=` is None. A filter form sends every
/// field, so without this the services list's and the request queue's Search failed with
/// "cannot parse integer from empty string" whenever "Any" was chosen. Anything else must be a
/// whole number.
pub fn blank_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(i64),
        Text(String),
    }
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(NumberOrText::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expected a whole number")),
    }
}

/// The most records one export holds.
pub const EXPORT_MAX: i64 = 50_000;

/// Which list a sort is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Providers,
    Services,
    Contracts,
}

impl ListKind {
    /// The columns a person may sort the list by: (the name in the address, the column).
    pub fn sorts(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ListKind::Providers => &[("name", "name"), ("reference", "reference")],
            ListKind::Services => &[
                ("name", "name"),
                ("reference", "reference"),
                ("units", "contracted_units"),
            ],
            ListKind::Contracts => &[
                ("reference", "reference"),
                ("title", "title"),
                ("status", "status"),
                ("ends", "end_date"),
                ("units", "units"),
            ],
        }
    }
}

impl ListQuery {
    /// The order asked for, if it is one of the list's; anything else is the default order.
    pub fn sort_of(&self, kind: ListKind) -> Option<hearth_store::Sort> {
        let asked = self.sort.as_deref()?.trim();
        let (name, descending) = match asked.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (asked, false),
        };
        kind.sorts()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, column)| hearth_store::Sort { column, descending })
    }

    /// The responsible officer asked for: "me" is the person reading; only staff filter.
    fn officer_of(&self, who: &Principal) -> Option<i64> {
        if !who.is_staff() {
            return None;
        }
        match self.officer.as_deref().map(str::trim) {
            Some("me") => who.user_id(),
            Some(id) => id.parse().ok(),
            None => None,
        }
    }

    fn paging(&self) -> (i64, i64) {
        if self.export {
            (1, EXPORT_MAX)
        } else {
            (hearth_domain::paging::page(self.page), 0)
        }
    }

    /// The search text, at most [`hearth_domain::MAX_SEARCH_CHARS`] characters of it.
    fn search(&self) -> Option<String> {
        self.q
            .as_ref()
            .map(|s| {
                s.trim()
                    .chars()
                    .take(hearth_domain::MAX_SEARCH_CHARS)
                    .collect::<String>()
            })
            .filter(|s| !s.is_empty())
    }
}

/// Provider form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ProviderInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub limited_access: Option<String>,
}

impl ProviderInput {
    pub fn from_record(p: &Provider) -> ProviderInput {
        ProviderInput {
            name: p.name.clone(),
            reference: p.reference.clone(),
            address: p.address.clone(),
            postcode: p.postcode.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            limited_access: (p.limited_access != 0).then(|| "yes".to_string()),
        }
    }

    /// `existing`: the record's reference as it is now (an edit that leaves a reference from
    /// before the rule as it is may keep it).
    pub(crate) fn parse(&self, existing: Option<&str>) -> Result<ProviderFields, AppError> {
        let mut e = FieldErrors::new();
        if self.name.trim().is_empty() {
            e.add("name", "Enter the organisation's name");
        }
        check_reference(&mut e, "provider", &self.reference, existing);
        let postcode = if self.postcode.trim().is_empty() {
            String::new()
        } else {
            e.check("postcode", Postcode::parse(&self.postcode))
                .map(|p| p.to_string())
                .unwrap_or_default()
        };
        check_email(&mut e, "email", &self.email);
        e.into_result()?;
        Ok(ProviderFields {
            name: self.name.trim().to_string(),
            reference: self.reference.trim().to_string(),
            address: self.address.trim().to_string(),
            postcode,
            phone: self.phone.trim().to_string(),
            email: self.email.trim().to_string(),
            limited_access: self
                .limited_access
                .as_deref()
                .is_some_and(|v| v == "yes" || v == "on" || v == "true"),
        })
    }
}

fn check_email(e: &mut FieldErrors, field: &str, email: &str) {
    let t = email.trim();
    if !t.is_empty()
        && (!t.contains('@') || t.starts_with('@') || t.ends_with('@') || t.contains(' '))
    {
        e.add(
            field,
            "Enter an email address in the correct format, like name@example.com",
        );
    }
}

/// Service form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ServiceInput {
    #[serde(default)]
    pub provider_id: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub public_name: String,
    #[serde(default)]
    pub service_type: String,
    #[serde(default)]
    pub term: String,
    #[serde(default)]
    pub client_group: String,
    #[serde(default)]
    pub contracted_units: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub description: String,
}

impl ServiceInput {
    pub fn from_record(s: &Service) -> ServiceInput {
        ServiceInput {
            provider_id: s.provider_id.to_string(),
            reference: s.reference.clone(),
            name: s.name.clone(),
            public_name: s.public_name.clone(),
            service_type: s.service_type.clone(),
            term: s.term.clone(),
            client_group: s.client_group.clone(),
            contracted_units: s.contracted_units.to_string(),
            address: s.address.clone(),
            postcode: s.postcode.clone(),
            description: s.description.clone(),
        }
    }
}

/// Property form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct PropertyInput {
    #[serde(default)]
    pub provider_id: String,
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    #[serde(default)]
    pub town: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub uprn: String,
}

impl PropertyInput {
    pub fn from_record(p: &Property) -> PropertyInput {
        PropertyInput {
            provider_id: p.provider_id.to_string(),
            service_id: p.service_id.map(|s| s.to_string()).unwrap_or_default(),
            address_line1: p.address_line1.clone(),
            address_line2: p.address_line2.clone(),
            town: p.town.clone(),
            postcode: p.postcode.clone(),
            uprn: p.uprn.clone().unwrap_or_default(),
        }
    }
}

/// Contract form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ContractInput {
    #[serde(default)]
    pub provider_id: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub units: String,
    #[serde(default)]
    pub unit_rate: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub status: String,
    /// Comma-separated service references or ids.
    #[serde(default)]
    pub services: String,
}

impl ContractInput {
    pub fn from_record(c: &Contract, service_refs: &[String]) -> ContractInput {
        ContractInput {
            provider_id: c.provider_id.to_string(),
            reference: c.reference.clone(),
            title: c.title.clone(),
            units: c.units.to_string(),
            unit_rate: Pence(c.unit_rate_pence).to_decimal_string(),
            start_date: c.start_date.clone(),
            end_date: c.end_date.clone(),
            status: c.status.clone(),
            services: service_refs.join(", "),
        }
    }
}

/// Commits a create or update that may run into a duplicate reference.
async fn commit_unique<T>(
    tx: crate::AppWrite,
    r: Result<Option<T>, hearth_store::StoreError>,
    what: &str,
) -> Result<T, AppError> {
    match r {
        Ok(Some(v)) => {
            tx.commit().await?;
            Ok(v)
        }
        Ok(None) => Err(AppError::NotFound),
        Err(e) if e.is_unique_violation() => Err(AppError::invalid(
            "reference",
            format!("A {what} with this reference already exists"),
        )),
        Err(e) => Err(e.into()),
    }
}

fn parse_units(e: &mut FieldErrors, field: &str, v: &str, what: &str) -> i64 {
    match v.trim().parse::<i64>() {
        Ok(n) if n >= 0 => n,
        Ok(_) => {
            e.add(field, format!("{what} must be 0 or more"));
            0
        }
        Err(_) => {
            e.add(
                field,
                format!("Enter {} as a whole number", what.to_lowercase()),
            );
            0
        }
    }
}

impl App {
    // ---------------- providers ----------------

    pub async fn list_providers(
        &self,
        who: &Principal,
        q: &ListQuery,
    ) -> Result<Page<Provider>, AppError> {
        let mut f = who.provider_filter();
        f.search = q.search();
        f.officer_id = q.officer_of(who);
        f.sort = q.sort_of(ListKind::Providers);
        (f.page, f.per_page) = q.paging();
        Ok(self.db.list_providers(&f).await?)
    }

    /// One provider, if the principal may see it.
    pub async fn provider(&self, who: &Principal, id: i64) -> Result<Provider, AppError> {
        let Some(p) = self.db.provider(id).await? else {
            return Err(AppError::NotFound);
        };
        let visible = match who {
            Principal::Staff { authority_id, .. } => {
                self.db.provider_in_authority(id, *authority_id).await?
            }
            Principal::Provider { provider_id, .. } => *provider_id == id,
            Principal::System { .. } | Principal::Host { .. } => false,
        };
        if visible {
            Ok(p)
        } else {
            Err(AppError::NotFound)
        }
    }

    pub async fn create_provider(
        &self,
        who: &Principal,
        input: &ProviderInput,
    ) -> Result<Provider, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let fields = input.parse(None)?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .insert_provider(&fields, &[who.authority_id()])
            .await
            .map(Some);
        commit_unique(tx, r, "provider").await
    }

    pub async fn update_provider(
        &self,
        who: &Principal,
        id: i64,
        input: &ProviderInput,
    ) -> Result<Provider, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let now = self.provider(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let fields = input.parse(Some(&now.reference))?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx.update_provider(id, &fields).await;
        commit_unique(tx, r, "provider").await
    }

    // ---------------- services ----------------

    pub async fn list_services(
        &self,
        who: &Principal,
        q: &ListQuery,
    ) -> Result<Page<Service>, AppError> {
        let mut f = who.service_filter();
        if let (Some(p), true) = (q.provider, who.is_staff()) {
            f.provider_id = Some(p);
        }
        f.search = q.search();
        f.officer_id = q.officer_of(who);
        f.sort = q.sort_of(ListKind::Services);
        (f.page, f.per_page) = q.paging();
        Ok(self.db.list_services(&f).await?)
    }

    pub async fn service(&self, who: &Principal, id: i64) -> Result<Service, AppError> {
        match self.db.service(id).await? {
            Some(s) if who.can_see_service(s.authority_id, s.provider_id, s.id) => Ok(s),
            _ => Err(AppError::NotFound),
        }
    }

    /// A service's client schedules, if the principal may see the service.
    pub async fn service_schedules(
        &self,
        who: &Principal,
        id: i64,
        q: SchedulesQuery,
    ) -> Result<Page<ScheduleRow>, AppError> {
        self.service(who, id).await?;
        let today = self.today().to_string();
        Ok(self
            .db
            .service_schedules(
                id,
                &today,
                q.include_ended,
                q.order.sort(),
                q.page,
                q.per_page,
            )
            .await?)
    }

    /// The service page: the service, its provider, a page of its client schedules, how many
    /// clients it has now, its contracts and how many of its requests are pending.
    pub async fn service_page(
        &self,
        who: &Principal,
        id: i64,
        q: SchedulesQuery,
    ) -> Result<ServicePage, AppError> {
        let service = self.service(who, id).await?;
        let schedules = self.service_schedules(who, id, q).await?;
        let today = self.today().to_string();
        let pending_requests = self
            .db
            .count_requests(&RequestFilter {
                authority_id: Some(service.authority_id),
                provider_id: Some(service.provider_id),
                service_ids: Some(vec![service.id]),
                status: Some(
                    hearth_domain::workflow::requests::Status::Pending
                        .as_str()
                        .into(),
                ),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let current_clients = self.db.count_current_schedules(id, &today).await?;
        let provider = self.db.provider(service.provider_id).await?;
        let contracts = self.db.service_contracts(id).await?;
        Ok(ServicePage {
            service,
            provider,
            schedules,
            current_clients,
            contracts,
            pending_requests,
        })
    }

    /// Every provider the principal may see (for choosing one in a form or filter).
    pub async fn provider_choices(&self, who: &Principal) -> Result<Vec<Provider>, AppError> {
        let mut f = who.provider_filter();
        f.per_page = 10_000;
        Ok(self.db.list_providers(&f).await?.items)
    }

    /// The names of the providers of records on a list page, given as (authority, provider)
    /// pairs; pairs outside the principal's scope are left out (two providers' services may
    /// share a name, so staff lists show whose each one is).
    pub async fn provider_names(
        &self,
        who: &Principal,
        owners: impl IntoIterator<Item = (i64, i64)>,
    ) -> Result<std::collections::HashMap<i64, String>, AppError> {
        let mut ids: Vec<i64> = owners
            .into_iter()
            .filter(|(a, p)| who.can_see_owned(*a, *p))
            .map(|(_, p)| p)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(self.db.provider_names(&ids).await?)
    }

    /// Every service the principal may see, up to 1,000 (for choosing one in a form).
    pub async fn service_choices(&self, who: &Principal) -> Result<Vec<Service>, AppError> {
        let mut f = who.service_filter();
        f.per_page = 1000;
        Ok(self.db.list_services(&f).await?.items)
    }

    /// A provider's contacts, if the principal may see the provider.
    pub async fn provider_contacts(
        &self,
        who: &Principal,
        provider_id: i64,
    ) -> Result<Vec<Contact>, AppError> {
        self.provider(who, provider_id).await?;
        Ok(self.db.provider_contacts(provider_id).await?)
    }

    /// The provider holding a contract, if the principal may see the contract.
    pub async fn contract_provider(
        &self,
        who: &Principal,
        contract_id: i64,
    ) -> Result<Option<Provider>, AppError> {
        let c = self.contract(who, contract_id).await?;
        Ok(self.db.provider(c.provider_id).await?)
    }

    /// A form's provider: one the principal may see, or a field error (and 0).
    async fn check_provider_field(
        &self,
        who: &Principal,
        e: &mut FieldErrors,
        id: Option<i64>,
    ) -> i64 {
        match id {
            Some(id) if self.provider(who, id).await.is_ok() => id,
            _ => {
                e.add("provider_id", "Select the provider");
                0
            }
        }
    }

    async fn parse_service(
        &self,
        who: &Principal,
        input: &ServiceInput,
        existing: Option<&str>,
    ) -> Result<ServiceFields, AppError> {
        let mut e = FieldErrors::new();
        let provider_id = self
            .check_provider_field(who, &mut e, input.provider_id.trim().parse::<i64>().ok())
            .await;
        let mut fields = input.fields_checked(&mut e, existing);
        e.into_result()?;
        fields.provider_id = provider_id;
        Ok(fields)
    }
}

impl ServiceInput {
    /// The service's fields, every one checked as the service form checks it except the
    /// provider (`provider_id` is 0): the form and the records import both use this.
    pub(crate) fn fields(&self, e: &mut FieldErrors) -> ServiceFields {
        self.fields_checked(e, None)
    }

    fn fields_checked(&self, e: &mut FieldErrors, existing: Option<&str>) -> ServiceFields {
        let input = self;
        let provider_id = 0;
        check_reference(e, "service", &input.reference, existing);
        if input.name.trim().is_empty() {
            e.add("name", "Enter the service name");
        }
        let service_type = e.check(
            "service_type",
            ServiceType::parse(&input.service_type).map_err(|_| {
                hearth_domain::FieldError::new("service_type", "Select the type of service")
            }),
        );
        let term = e.check(
            "term",
            Term::parse(&input.term).map_err(|_| {
                hearth_domain::FieldError::new("term", "Select long term or short term")
            }),
        );
        let client_group = e.check(
            "client_group",
            ClientGroup::parse(&input.client_group).map_err(|_| {
                hearth_domain::FieldError::new("client_group", "Select the primary client group")
            }),
        );
        let units = parse_units(
            e,
            "contracted_units",
            &input.contracted_units,
            "Contracted units",
        );
        let postcode = if input.postcode.trim().is_empty() {
            String::new()
        } else {
            e.check("postcode", Postcode::parse(&input.postcode))
                .map(|p| p.to_string())
                .unwrap_or_default()
        };
        ServiceFields {
            provider_id,
            reference: input.reference.trim().to_string(),
            name: input.name.trim().to_string(),
            public_name: input.public_name.trim().to_string(),
            service_type: service_type
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            term: term.map(|t| t.as_str().to_string()).unwrap_or_default(),
            client_group: client_group
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            contracted_units: units,
            address: input.address.trim().to_string(),
            postcode,
            description: input.description.trim().to_string(),
        }
    }
}

impl App {
    pub async fn create_service(
        &self,
        who: &Principal,
        input: &ServiceInput,
    ) -> Result<Service, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let fields = self.parse_service(who, input, None).await?;
        let location = self.db.postcode_location(&fields.postcode).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .insert_service(who.authority_id(), &fields)
            .await
            .map(Some);
        if let Ok(Some(s)) = &r {
            tx.set_service_location(s.id, location).await?;
        }
        commit_unique(tx, r, "service").await
    }

    pub async fn update_service(
        &self,
        who: &Principal,
        id: i64,
        input: &ServiceInput,
    ) -> Result<Service, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let now = self.service(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let fields = self.parse_service(who, input, Some(&now.reference)).await?;
        let location = self.db.postcode_location(&fields.postcode).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx.update_service(id, &fields).await;
        if let Ok(Some(_)) = &r {
            tx.set_service_location(id, location).await?;
        }
        commit_unique(tx, r, "service").await
    }

    // ---------------- properties ----------------

    pub async fn list_properties(
        &self,
        who: &Principal,
        q: &ListQuery,
    ) -> Result<Page<Property>, AppError> {
        let mut f = who.service_filter();
        f.search = q.search();
        f.page = hearth_domain::paging::page(q.page);
        Ok(self.db.list_properties(&f).await?)
    }

    pub async fn property(&self, who: &Principal, id: i64) -> Result<Property, AppError> {
        let Some(p) = self.db.property(id).await? else {
            return Err(AppError::NotFound);
        };
        let visible = match (who, p.service_id) {
            (Principal::Provider { .. }, Some(s)) => {
                who.can_see_service(p.authority_id, p.provider_id, s)
            }
            (
                Principal::Provider {
                    service_scope: Some(_),
                    ..
                },
                None,
            ) => false,
            _ => who.can_see_owned(p.authority_id, p.provider_id),
        };
        if visible {
            Ok(p)
        } else {
            Err(AppError::NotFound)
        }
    }

    pub(crate) async fn parse_property(
        &self,
        who: &Principal,
        input: &PropertyInput,
    ) -> Result<PropertyFields, AppError> {
        let mut e = FieldErrors::new();
        let mut provider_id = input.provider_id.trim().parse::<i64>().ok();
        let service_id = if input.service_id.trim().is_empty() {
            None
        } else {
            match input.service_id.trim().parse::<i64>() {
                Ok(id) => match self.service(who, id).await {
                    Ok(s) => {
                        provider_id = Some(s.provider_id);
                        Some(id)
                    }
                    Err(_) => {
                        e.add("service_id", "Select a service of this authority");
                        None
                    }
                },
                Err(_) => {
                    e.add("service_id", "Select a service of this authority");
                    None
                }
            }
        };
        let provider_id = self.check_provider_field(who, &mut e, provider_id).await;
        if input.address_line1.trim().is_empty() {
            e.add("address_line1", "Enter the first line of the address");
        }
        let postcode = e
            .check("postcode", Postcode::parse(&input.postcode))
            .map(|p| p.to_string())
            .unwrap_or_default();
        let uprn = if input.uprn.trim().is_empty() {
            None
        } else {
            e.check("uprn", Uprn::parse(&input.uprn))
                .map(|u| u.to_string())
        };
        e.into_result()?;
        Ok(PropertyFields {
            provider_id,
            service_id,
            address_line1: input.address_line1.trim().to_string(),
            address_line2: input.address_line2.trim().to_string(),
            town: input.town.trim().to_string(),
            postcode,
            uprn,
        })
    }

    pub async fn create_property(
        &self,
        who: &Principal,
        input: &PropertyInput,
    ) -> Result<Property, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let fields = self.parse_property(who, input).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let p = tx.insert_property(who.authority_id(), &fields).await?;
        tx.commit().await?;
        Ok(p)
    }

    pub async fn update_property(
        &self,
        who: &Principal,
        id: i64,
        input: &PropertyInput,
    ) -> Result<Property, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.property(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let fields = self.parse_property(who, input).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let p = tx
            .update_property(id, &fields)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(p)
    }

    // ---------------- contracts ----------------

    pub async fn list_contracts(
        &self,
        who: &Principal,
        q: &ListQuery,
    ) -> Result<Page<Contract>, AppError> {
        let mut f = who.contract_filter();
        f.search = q.search();
        f.status = q
            .status
            .clone()
            .filter(|s| ContractStatus::parse(s).is_ok());
        if let (Some(p), true) = (q.provider, who.is_staff()) {
            f.provider_id = Some(p);
        }
        f.sort = q.sort_of(ListKind::Contracts);
        (f.page, f.per_page) = q.paging();
        if let Principal::Provider {
            service_scope: Some(_),
            ..
        } = who
        {
            // Limited access: only contracts covering the user's services (few per provider).
            f.per_page = 10_000;
            f.page = 1;
            let all = self.db.list_contracts(&f).await?;
            let mut items = Vec::new();
            for c in all.items {
                if self.contract_in_scope(who, &c).await? {
                    items.push(c);
                }
            }
            let total = items.len() as i64;
            return Ok(Page {
                items,
                total,
                page: 1,
                per_page: total.max(1),
            });
        }
        Ok(self.db.list_contracts(&f).await?)
    }

    pub async fn contract(&self, who: &Principal, id: i64) -> Result<Contract, AppError> {
        match self.db.contract(id).await? {
            Some(c)
                if who.can_see_owned(c.authority_id, c.provider_id)
                    && self.contract_in_scope(who, &c).await? =>
            {
                Ok(c)
            }
            _ => Err(AppError::NotFound),
        }
    }

    /// Under limited access a contract is visible when it covers one of the user's services.
    async fn contract_in_scope(&self, who: &Principal, c: &Contract) -> Result<bool, AppError> {
        match who {
            Principal::Provider {
                service_scope: Some(ids),
                ..
            } => Ok(self
                .db
                .contract_service_ids(c.id)
                .await?
                .iter()
                .any(|s| ids.contains(s))),
            _ => Ok(true),
        }
    }

    /// The services a contract covers, as far as the principal may see them.
    pub async fn contract_services(
        &self,
        who: &Principal,
        c: &Contract,
    ) -> Result<Vec<Service>, AppError> {
        let mut out = Vec::new();
        for id in self.db.contract_service_ids(c.id).await? {
            match self.service(who, id).await {
                Ok(s) => out.push(s),
                Err(AppError::NotFound) => {} // outside a limited-access scope
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn parse_contract(
        &self,
        who: &Principal,
        input: &ContractInput,
        existing: Option<&str>,
    ) -> Result<ContractFields, AppError> {
        let mut e = FieldErrors::new();
        let provider_id = self
            .check_provider_field(who, &mut e, input.provider_id.trim().parse::<i64>().ok())
            .await;
        let mut fields = input.fields_checked(&mut e, existing);
        let mut service_ids = Vec::new();
        for part in input
            .services
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let found = self
                .db
                .list_services(&hearth_store::ServiceFilter {
                    authority_id: Some(who.authority_id()),
                    provider_id: Some(provider_id),
                    per_page: 100_000,
                    ..Default::default()
                })
                .await?
                .items
                .into_iter()
                .find(|s| s.reference.eq_ignore_ascii_case(part) || s.id.to_string() == part);
            match found {
                Some(s) => service_ids.push(s.id),
                None => e.add(
                    "services",
                    format!("There is no service {part} of this provider"),
                ),
            }
        }
        e.into_result()?;
        service_ids.sort_unstable();
        service_ids.dedup();
        fields.provider_id = provider_id;
        fields.service_ids = service_ids;
        Ok(fields)
    }

    pub async fn create_contract(
        &self,
        who: &Principal,
        input: &ContractInput,
    ) -> Result<Contract, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let fields = self.parse_contract(who, input, None).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .insert_contract(who.authority_id(), &fields)
            .await
            .map(Some);
        commit_unique(tx, r, "contract").await
    }

    pub async fn update_contract(
        &self,
        who: &Principal,
        id: i64,
        input: &ContractInput,
    ) -> Result<Contract, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let now = self.contract(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let fields = self
            .parse_contract(who, input, Some(&now.reference))
            .await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx.update_contract(id, &fields).await;
        commit_unique(tx, r, "contract").await
    }
}

/// A record's reference: checked against the rule (letters, digits, `-` and `/`) when it is
/// new or changed. A record whose reference came from before the rule keeps it through edits
/// of its other fields (it is still bounded, and every download names it safely).
fn check_reference(e: &mut FieldErrors, what: &str, input: &str, existing: Option<&str>) {
    if existing.is_some_and(|now| now == input.trim()) && !input.trim().is_empty() {
        return;
    }
    e.check("reference", hearth_domain::text::reference(what, input));
}

impl ContractInput {
    /// The contract's fields, every one checked as the contract form checks it except the
    /// provider and the services (`provider_id` 0, no services): the form and the records
    /// import both use this.
    pub(crate) fn fields(&self, e: &mut FieldErrors) -> ContractFields {
        self.fields_checked(e, None)
    }

    fn fields_checked(&self, e: &mut FieldErrors, existing: Option<&str>) -> ContractFields {
        let input = self;
        check_reference(e, "contract", &input.reference, existing);
        if input.title.trim().is_empty() {
            e.add("title", "Enter the contract title");
        }
        let units = parse_units(e, "units", &input.units, "Units");
        let rate = e.check("unit_rate", Pence::parse_pounds(&input.unit_rate));
        let start = e.check("start_date", parse_date(&input.start_date));
        let end = e.check("end_date", parse_date(&input.end_date));
        if let (Some(s), Some(en)) = (start, end) {
            if en < s {
                e.add(
                    "end_date",
                    "The end date must be on or after the start date",
                );
            }
        }
        let status = e.check(
            "status",
            ContractStatus::parse(&input.status).map_err(|_| {
                hearth_domain::FieldError::new("status", "Select the contract status")
            }),
        );
        ContractFields {
            provider_id: 0,
            reference: input.reference.trim().to_string(),
            title: input.title.trim().to_string(),
            units,
            unit_rate_pence: rate.map(|p| p.0).unwrap_or_default(),
            start_date: start.map(|d| d.to_string()).unwrap_or_default(),
            end_date: end.map(|d| d.to_string()).unwrap_or_default(),
            status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            service_ids: Vec::new(),
        }
    }
}
