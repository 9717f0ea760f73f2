//! Services and the properties they use.

use crate::query::{col, contains, one_of};
use crate::write::{audited, Changes};
use crate::{record, Db, Page, StoreError, WriteTx};
use sea_query::{Condition, Order};

record!(
    /// A commissioned service.
    Service {
        id: i64,
        authority_id: i64,
        provider_id: i64,
        reference: String,
        name: String,
        public_name: String,
        service_type: String,
        term: String,
        client_group: String,
        contracted_units: i64,
        address: String,
        postcode: String,
        description: String,
        available_places: Option<i64>,
        available_places_updated_at: Option<i64>,
        languages: String,
        religions: String,
        tenure: String,
        rural_urban: String,
        emergency_referrals: i64,
        interpreter: i64,
        visual_impairment_support: i64 = 0,
        hearing_impairment_support: i64 = 0,
        waiting_list: i64,
        support_tasks: String,
        referral_routes: String,
        created_at: i64,
        updated_at: i64,
        household_types: String,
        age_groups: String,
        exclusions: String,
        accommodation_type: String,
        ethnicity_focus: String,
        contact_phone: String,
        contact_email: String,
        website: String,
        accessibility: String,
        latitude: Option<f64>,
        longitude: Option<f64>,
        current_clients: i64,
        current_clients_on: String,
        eligibility: String = String::new(),
        // The service's own lead (purchasing) officer and contract manager, when not its provider's.
        lead_officer_id: Option<i64> = None,
        contract_manager_id: Option<i64> = None,
        // A day service opens on bank holidays (1) or is closed on them (0).
        opens_on_bank_holidays: i64 = 0,
    }
);

/// Fields of a service the commissioning team edits.
#[derive(Debug, Clone, Default)]
pub struct ServiceFields {
    pub provider_id: i64,
    pub reference: String,
    pub name: String,
    pub public_name: String,
    pub service_type: String,
    pub term: String,
    pub client_group: String,
    pub contracted_units: i64,
    pub address: String,
    pub postcode: String,
    pub description: String,
}

record!(
    /// A property (building or dwelling) a service uses.
    Property {
        id: i64,
        authority_id: i64,
        provider_id: i64,
        service_id: Option<i64>,
        address_line1: String,
        address_line2: String,
        town: String,
        postcode: String,
        uprn: Option<String>,
        created_at: i64,
        updated_at: i64,
    }
);

/// Fields of a property.
#[derive(Debug, Clone, Default)]
pub struct PropertyFields {
    pub provider_id: i64,
    pub service_id: Option<i64>,
    pub address_line1: String,
    pub address_line2: String,
    pub town: String,
    pub postcode: String,
    pub uprn: Option<String>,
}

/// Which services (or properties) to list: the scope the actor may see, then filters.
#[derive(Debug, Clone, Default)]
pub struct ServiceFilter {
    pub authority_id: Option<i64>,
    pub provider_id: Option<i64>,
    /// Only these service ids (limited access).
    pub only_ids: Option<Vec<i64>>,
    pub search: Option<String>,
    /// Services (not properties) this user is a responsible officer of, in `authority_id`:
    /// named on the service, or on its provider when the service names none.
    pub officer_id: Option<i64>,
    pub sort: Option<crate::Sort>,
    pub page: i64,
    pub per_page: i64,
}

impl ServiceFilter {
    /// The filter as a condition; `search_cols` are searched, the first being the column the
    /// service ids are matched against.
    fn condition(&self, id_col: &'static str, search_cols: &[&'static str]) -> Condition {
        let mut c = Condition::all();
        if let Some(a) = self.authority_id {
            c = c.add(col("authority_id").eq(a));
        }
        if let Some(p) = self.provider_id {
            c = c.add(col("provider_id").eq(p));
        }
        if let Some(ids) = &self.only_ids {
            c = c.add(one_of(id_col, ids));
        }
        if let Some(text) = &self.search {
            c = c.add(contains(search_cols, text));
        }
        c
    }
}

impl Db {
    pub async fn service(&self, id: i64) -> Result<Option<Service>, StoreError> {
        let row = sqlx::query("SELECT * FROM services WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Service::from_row).transpose()
    }

    pub async fn list_services(&self, f: &ServiceFilter) -> Result<Page<Service>, StoreError> {
        let mut cond = f.condition("id", &["name", "reference", "public_name"]);
        if let (Some(a), Some(u)) = (f.authority_id, f.officer_id) {
            cond = cond.add(crate::officers::service_has_officer(a, u));
        }
        let order = crate::query::order_by(f.sort, "name");
        self.page_of("services", cond, &order, f.page, f.per_page)
            .await
    }

    pub async fn property(&self, id: i64) -> Result<Option<Property>, StoreError> {
        let row = sqlx::query("SELECT * FROM properties WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Property::from_row).transpose()
    }

    pub async fn list_properties(&self, f: &ServiceFilter) -> Result<Page<Property>, StoreError> {
        let cond = f.condition("service_id", &["address_line1", "town", "postcode", "uprn"]);
        let order = [
            ("town", Order::Asc),
            ("address_line1", Order::Asc),
            ("id", Order::Asc),
        ];
        self.page_of("properties", cond, &order, f.page, f.per_page)
            .await
    }
}

audited!(Service, Service, "services");
audited!(Property, Property, "properties");

impl ServiceFields {
    fn changes(&self) -> Changes {
        Changes::new()
            .set("provider_id", self.provider_id)
            .set("reference", self.reference.clone())
            .set("name", self.name.clone())
            .set("public_name", self.public_name.clone())
            .set("service_type", self.service_type.clone())
            .set("term", self.term.clone())
            .set("client_group", self.client_group.clone())
            .set("contracted_units", self.contracted_units)
            .set("address", self.address.clone())
            .set("postcode", self.postcode.clone())
            .set("description", self.description.clone())
    }
}

impl PropertyFields {
    fn changes(&self) -> Changes {
        Changes::new()
            .set("provider_id", self.provider_id)
            .set("service_id", self.service_id)
            .set("address_line1", self.address_line1.clone())
            .set("address_line2", self.address_line2.clone())
            .set("town", self.town.clone())
            .set("postcode", self.postcode.clone())
            .set("uprn", self.uprn.clone())
    }
}

impl WriteTx {
    pub async fn insert_service(
        &mut self,
        authority_id: i64,
        f: &ServiceFields,
    ) -> Result<Service, StoreError> {
        let at = self.at();
        self.create(
            f.changes()
                .set("authority_id", authority_id)
                .set("created_at", at)
                .set("updated_at", at),
        )
        .await
    }

    pub async fn update_service(
        &mut self,
        id: i64,
        f: &ServiceFields,
    ) -> Result<Option<Service>, StoreError> {
        let at = self.at();
        self.change(id, "update", f.changes().set("updated_at", at))
            .await
    }

    pub async fn insert_property(
        &mut self,
        authority_id: i64,
        f: &PropertyFields,
    ) -> Result<Property, StoreError> {
        let at = self.at();
        self.create(
            f.changes()
                .set("authority_id", authority_id)
                .set("created_at", at)
                .set("updated_at", at),
        )
        .await
    }

    pub async fn update_property(
        &mut self,
        id: i64,
        f: &PropertyFields,
    ) -> Result<Option<Property>, StoreError> {
        let at = self.at();
        self.change(id, "update", f.changes().set("updated_at", at))
            .await
    }
}
