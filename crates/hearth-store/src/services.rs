//! Services and the properties they use.

use crate::accounts::count_of;
use crate::{placeholders, record, Db, Page, Params, StoreError, WriteTx};

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
        impairment_support: i64,
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
    pub page: i64,
    pub per_page: i64,
}

impl ServiceFilter {
    fn where_clause(&self, p: &mut Params, search_cols: &[&str]) -> String {
        let mut wh = String::from(" WHERE 1 = 1");
        if self.authority_id.is_some() {
            wh.push_str(&format!(" AND authority_id = {}", p.next()));
        }
        if self.provider_id.is_some() {
            wh.push_str(&format!(" AND provider_id = {}", p.next()));
        }
        if let Some(ids) = &self.only_ids {
            if ids.is_empty() {
                wh.push_str(" AND 1 = 0");
            } else {
                wh.push_str(&format!(
                    " AND {} IN ({})",
                    search_cols[0],
                    placeholders(p, ids.len())
                ));
            }
        }
        if self.search.is_some() {
            let a = p.next();
            let ors: Vec<String> = search_cols[1..]
                .iter()
                .map(|c| format!("LOWER({c}) LIKE {a} ESCAPE '\\'"))
                .collect();
            wh.push_str(&format!(" AND ({})", ors.join(" OR ")));
        }
        wh
    }

    fn bind<'q>(
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        if let Some(a) = self.authority_id {
            q = q.bind(a);
        }
        if let Some(a) = self.provider_id {
            q = q.bind(a);
        }
        if let Some(ids) = &self.only_ids {
            for id in ids {
                q = q.bind(*id);
            }
        }
        if let Some(s) = &self.search {
            q = q.bind(crate::like_contains(s));
        }
        q
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
        let mut p = Params::default();
        let wh = f.where_clause(&mut p, &["id", "name", "reference", "public_name"]);
        let per_page = if f.per_page <= 0 { 50 } else { f.per_page };
        let page = hearth_domain::paging::page(Some(f.page));
        let total = count_of(
            &f.bind(sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM services{wh}"
            )))
            .fetch_one(&self.pool)
            .await?,
        )?;
        let sql = format!(
            "SELECT * FROM services{wh} ORDER BY name, id LIMIT {} OFFSET {}",
            p.next(),
            p.next()
        );
        let rows = f
            .bind(sqlx::query(&sql))
            .bind(per_page)
            .bind(hearth_domain::paging::offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: Service::from_rows(&rows)?,
            total,
            page,
            per_page,
        })
    }

    pub async fn property(&self, id: i64) -> Result<Option<Property>, StoreError> {
        let row = sqlx::query("SELECT * FROM properties WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Property::from_row).transpose()
    }

    pub async fn list_properties(&self, f: &ServiceFilter) -> Result<Page<Property>, StoreError> {
        let mut p = Params::default();
        let wh = f.where_clause(
            &mut p,
            &["service_id", "address_line1", "town", "postcode", "uprn"],
        );
        let per_page = if f.per_page <= 0 { 50 } else { f.per_page };
        let page = hearth_domain::paging::page(Some(f.page));
        let total = count_of(
            &f.bind(sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM properties{wh}"
            )))
            .fetch_one(&self.pool)
            .await?,
        )?;
        let sql = format!(
            "SELECT * FROM properties{wh} ORDER BY town, address_line1, id LIMIT {} OFFSET {}",
            p.next(),
            p.next()
        );
        let rows = f
            .bind(sqlx::query(&sql))
            .bind(per_page)
            .bind(hearth_domain::paging::offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: Property::from_rows(&rows)?,
            total,
            page,
            per_page,
        })
    }
}

impl WriteTx {
    pub async fn insert_service(
        &mut self,
        authority_id: i64,
        f: &ServiceFields,
    ) -> Result<Service, StoreError> {
        let row = sqlx::query(
            "INSERT INTO services (authority_id, provider_id, reference, name, public_name, service_type, term, client_group,
                contracted_units, address, postcode, description, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING *",
        )
        .bind(authority_id)
        .bind(f.provider_id)
        .bind(f.reference.clone())
        .bind(f.name.clone())
        .bind(f.public_name.clone())
        .bind(f.service_type.clone())
        .bind(f.term.clone())
        .bind(f.client_group.clone())
        .bind(f.contracted_units)
        .bind(f.address.clone())
        .bind(f.postcode.clone())
        .bind(f.description.clone())
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let s = Service::from_row(&row)?;
        self.audit(
            "create",
            "service",
            &s.id.to_string(),
            None,
            Some(&s.to_json()),
        )
        .await?;
        Ok(s)
    }

    pub async fn update_service(
        &mut self,
        id: i64,
        f: &ServiceFields,
    ) -> Result<Option<Service>, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM services WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(None);
        };
        let before = Service::from_row(&row)?;
        let row = sqlx::query(
            "UPDATE services SET provider_id = $2, reference = $3, name = $4, public_name = $5, service_type = $6, term = $7,
                client_group = $8, contracted_units = $9, address = $10, postcode = $11, description = $12, updated_at = $13
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(f.provider_id)
        .bind(f.reference.clone())
        .bind(f.name.clone())
        .bind(f.public_name.clone())
        .bind(f.service_type.clone())
        .bind(f.term.clone())
        .bind(f.client_group.clone())
        .bind(f.contracted_units)
        .bind(f.address.clone())
        .bind(f.postcode.clone())
        .bind(f.description.clone())
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let after = Service::from_row(&row)?;
        self.audit(
            "update",
            "service",
            &id.to_string(),
            Some(&before.to_json()),
            Some(&after.to_json()),
        )
        .await?;
        Ok(Some(after))
    }

    pub async fn insert_property(
        &mut self,
        authority_id: i64,
        f: &PropertyFields,
    ) -> Result<Property, StoreError> {
        let row = sqlx::query(
            "INSERT INTO properties (authority_id, provider_id, service_id, address_line1, address_line2, town, postcode, uprn, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *",
        )
        .bind(authority_id)
        .bind(f.provider_id)
        .bind(f.service_id)
        .bind(f.address_line1.clone())
        .bind(f.address_line2.clone())
        .bind(f.town.clone())
        .bind(f.postcode.clone())
        .bind(f.uprn.clone())
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let p = Property::from_row(&row)?;
        self.audit(
            "create",
            "property",
            &p.id.to_string(),
            None,
            Some(&p.to_json()),
        )
        .await?;
        Ok(p)
    }

    pub async fn update_property(
        &mut self,
        id: i64,
        f: &PropertyFields,
    ) -> Result<Option<Property>, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM properties WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(None);
        };
        let before = Property::from_row(&row)?;
        let row = sqlx::query(
            "UPDATE properties SET provider_id = $2, service_id = $3, address_line1 = $4, address_line2 = $5, town = $6, postcode = $7, uprn = $8, updated_at = $9
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(f.provider_id)
        .bind(f.service_id)
        .bind(f.address_line1.clone())
        .bind(f.address_line2.clone())
        .bind(f.town.clone())
        .bind(f.postcode.clone())
        .bind(f.uprn.clone())
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let after = Property::from_row(&row)?;
        self.audit(
            "update",
            "property",
            &id.to_string(),
            Some(&before.to_json()),
            Some(&after.to_json()),
        )
        .await?;
        Ok(Some(after))
    }
}
