//! Authorities, providers and their contacts.

use crate::query::{col, contains};
use crate::write::{audited, Changes};
use crate::{record, Db, Page, StoreError, WriteTx};
use sea_query::{Alias, Condition, Query};

record!(
    /// A commissioning authority (a council). One deployment may host several. `region` is
    /// the part of the UK it is in (its bank holidays), a `hearth_domain::calendar::Region` code.
    Authority {
        id: i64,
        name: String,
        code: String,
        password_policy: String,
        provider_totp_required: i64,
        idle_minutes: i64,
        created_at: i64,
        region: String = "england-and-wales".to_string(),
    }
);

record!(
    /// A provider organisation.
    Provider {
        id: i64,
        name: String,
        reference: String,
        address: String,
        postcode: String,
        phone: String,
        email: String,
        limited_access: i64,
        created_at: i64,
        updated_at: i64,
    }
);

/// Editable fields of a provider.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProviderFields {
    pub name: String,
    pub reference: String,
    pub address: String,
    pub postcode: String,
    pub phone: String,
    pub email: String,
    pub limited_access: bool,
}

record!(
    /// A member of a provider's staff.
    Contact {
        id: i64,
        provider_id: i64,
        title: String,
        first_name: String,
        last_name: String,
        position_type: String,
        email: String,
        phone: String,
        active: i64,
        created_at: i64,
        updated_at: i64,
        job_title: String,
        // Position codes beyond the main one, comma-separated.
        other_positions: String,
        mobile: String,
        fax: String,
        pager: String,
        web_address: String,
        address_line1: String,
        address_line2: String,
        address_line3: String,
        address_line4: String,
        town: String,
        postcode: String,
        uprn: String,
        usrn: String,
        directions: String,
        // 1 when the contact's details are not to be passed on.
        confidential: i64,
        // "" not set, "yes" or "no".
        disabled_access: String,
    }
);

impl Contact {
    pub fn full_name(&self) -> String {
        let mut s = String::new();
        for part in [&self.title, &self.first_name, &self.last_name] {
            if !part.is_empty() {
                if !s.is_empty() {
                    s.push(' ');
                }
                s.push_str(part);
            }
        }
        s
    }
}

/// Fields of a contact, as written.
#[derive(Debug, Clone, Default)]
pub struct ContactFields {
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    pub position_type: String,
    pub email: String,
    pub phone: String,
    pub job_title: String,
    pub other_positions: String,
    pub mobile: String,
    pub fax: String,
    pub pager: String,
    pub web_address: String,
    pub address_line1: String,
    pub address_line2: String,
    pub address_line3: String,
    pub address_line4: String,
    pub town: String,
    pub postcode: String,
    pub uprn: String,
    pub usrn: String,
    pub directions: String,
    pub confidential: bool,
    pub disabled_access: String,
}

impl ContactFields {
    /// The columns a contact's fields write (all but `active` and the times).
    pub(crate) fn changes(&self) -> crate::write::Changes {
        crate::write::Changes::new()
            .set("title", self.title.clone())
            .set("first_name", self.first_name.clone())
            .set("last_name", self.last_name.clone())
            .set("position_type", self.position_type.clone())
            .set("email", self.email.clone())
            .set("phone", self.phone.clone())
            .set("job_title", self.job_title.clone())
            .set("other_positions", self.other_positions.clone())
            .set("mobile", self.mobile.clone())
            .set("fax", self.fax.clone())
            .set("pager", self.pager.clone())
            .set("web_address", self.web_address.clone())
            .set("address_line1", self.address_line1.clone())
            .set("address_line2", self.address_line2.clone())
            .set("address_line3", self.address_line3.clone())
            .set("address_line4", self.address_line4.clone())
            .set("town", self.town.clone())
            .set("postcode", self.postcode.clone())
            .set("uprn", self.uprn.clone())
            .set("usrn", self.usrn.clone())
            .set("directions", self.directions.clone())
            .set("confidential", i64::from(self.confidential))
            .set("disabled_access", self.disabled_access.clone())
    }

    /// A contact's fields as they stand.
    pub fn of(c: &Contact) -> ContactFields {
        ContactFields {
            title: c.title.clone(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            position_type: c.position_type.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            job_title: c.job_title.clone(),
            other_positions: c.other_positions.clone(),
            mobile: c.mobile.clone(),
            fax: c.fax.clone(),
            pager: c.pager.clone(),
            web_address: c.web_address.clone(),
            address_line1: c.address_line1.clone(),
            address_line2: c.address_line2.clone(),
            address_line3: c.address_line3.clone(),
            address_line4: c.address_line4.clone(),
            town: c.town.clone(),
            postcode: c.postcode.clone(),
            uprn: c.uprn.clone(),
            usrn: c.usrn.clone(),
            directions: c.directions.clone(),
            confidential: c.confidential != 0,
            disabled_access: c.disabled_access.clone(),
        }
    }
}

/// Which providers to list.
#[derive(Debug, Clone, Default)]
pub struct ProviderFilter {
    /// Only providers registered with this authority.
    pub authority_id: Option<i64>,
    /// Only this provider.
    pub provider_id: Option<i64>,
    /// Name or reference contains.
    pub search: Option<String>,
    /// Only providers this user is a responsible officer of (of the provider or of one of its
    /// services), in `authority_id`.
    pub officer_id: Option<i64>,
    pub sort: Option<crate::Sort>,
    pub page: i64,
    pub per_page: i64,
}

impl Db {
    pub async fn authorities(&self) -> Result<Vec<Authority>, StoreError> {
        let rows = sqlx::query("SELECT * FROM authorities ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        Authority::from_rows(&rows)
    }

    pub async fn authority(&self, id: i64) -> Result<Option<Authority>, StoreError> {
        let row = sqlx::query("SELECT * FROM authorities WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Authority::from_row).transpose()
    }

    /// The names of the providers with these ids (a list page's Provider column).
    pub async fn provider_names(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        use sqlx::Row;
        let mut out = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut p = crate::Params::default();
        let sql = format!(
            "SELECT id, name FROM providers WHERE id IN ({})",
            crate::placeholders(&mut p, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&self.pool).await? {
            out.insert(r.try_get("id")?, r.try_get("name")?);
        }
        Ok(out)
    }

    /// How many staff accounts and registered providers an authority has.
    pub async fn authority_counts(&self, authority_id: i64) -> Result<(i64, i64), StoreError> {
        let mine = || Condition::all().add(col("authority_id").eq(authority_id));
        let staff = self.count_where("users", mine()).await?;
        let providers = self.count_where("provider_authorities", mine()).await?;
        Ok((staff, providers))
    }

    /// Authorities a provider is registered with.
    pub async fn provider_authorities(
        &self,
        provider_id: i64,
    ) -> Result<Vec<Authority>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.* FROM authorities a JOIN provider_authorities pa ON pa.authority_id = a.id WHERE pa.provider_id = $1 ORDER BY a.name",
        )
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        Authority::from_rows(&rows)
    }

    pub async fn provider(&self, id: i64) -> Result<Option<Provider>, StoreError> {
        let row = sqlx::query("SELECT * FROM providers WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Provider::from_row).transpose()
    }

    /// Whether the provider is registered with the authority.
    pub async fn provider_in_authority(
        &self,
        provider_id: i64,
        authority_id: i64,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 AS one FROM provider_authorities WHERE provider_id = $1 AND authority_id = $2")
            .bind(provider_id)
            .bind(authority_id)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    pub async fn list_providers(&self, f: &ProviderFilter) -> Result<Page<Provider>, StoreError> {
        let mut cond = Condition::all();
        if let Some(a) = f.authority_id {
            cond = cond.add(
                col("id").in_subquery(
                    Query::select()
                        .column(Alias::new("provider_id"))
                        .from(Alias::new("provider_authorities"))
                        .and_where(col("authority_id").eq(a))
                        .to_owned(),
                ),
            );
        }
        if let Some(p) = f.provider_id {
            cond = cond.add(col("id").eq(p));
        }
        if let Some(text) = &f.search {
            cond = cond.add(contains(&["name", "reference"], text));
        }
        if let (Some(a), Some(u)) = (f.authority_id, f.officer_id) {
            cond = cond.add(crate::officers::provider_has_officer(a, u));
        }
        let order = crate::query::order_by(f.sort, "name");
        self.page_of("providers", cond, &order, f.page, f.per_page)
            .await
    }

    pub async fn contact(&self, id: i64) -> Result<Option<Contact>, StoreError> {
        let row = sqlx::query("SELECT * FROM contacts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Contact::from_row).transpose()
    }

    pub async fn provider_contacts(&self, provider_id: i64) -> Result<Vec<Contact>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM contacts WHERE provider_id = $1 ORDER BY last_name, first_name, id",
        )
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        Contact::from_rows(&rows)
    }
}

audited!(Authority, Authority, "authorities");
audited!(Provider, Provider, "providers");
audited!(Contact, Contact, "contacts");
audited!(ContactAssignment, ContactAssignment, "contact_assignments");

impl WriteTx {
    /// A new authority with the default settings, in the column's default region (England
    /// and Wales). Writes no `region`, so it also works on a schema from before it existed.
    pub async fn insert_authority(
        &mut self,
        name: &str,
        code: &str,
    ) -> Result<Authority, StoreError> {
        self.create(self.new_authority(name, code)).await
    }

    /// A new authority in a region (a `Region` code), with the default settings (the
    /// columns' defaults: UK password policy, a second factor for everyone, 20 idle minutes).
    pub async fn insert_authority_in(
        &mut self,
        name: &str,
        code: &str,
        region: &str,
    ) -> Result<Authority, StoreError> {
        self.create(self.new_authority(name, code).set("region", region))
            .await
    }

    fn new_authority(&self, name: &str, code: &str) -> Changes {
        Changes::new()
            .set("name", name)
            .set("code", code)
            .set("created_at", self.at())
    }

    pub async fn update_authority_settings(
        &mut self,
        id: i64,
        password_policy: &str,
        provider_totp_required: bool,
        idle_minutes: i64,
        region: Option<&str>,
    ) -> Result<Option<Authority>, StoreError> {
        let mut values = Changes::new()
            .set("password_policy", password_policy)
            .set("provider_totp_required", i64::from(provider_totp_required))
            .set("idle_minutes", idle_minutes);
        if let Some(region) = region {
            values = values.set("region", region);
        }
        self.change(id, "update", values).await
    }

    pub async fn insert_provider(
        &mut self,
        f: &ProviderFields,
        authority_ids: &[i64],
    ) -> Result<Provider, StoreError> {
        let t = self.at();
        let row = sqlx::query(
            "INSERT INTO providers (name, reference, address, postcode, phone, email, limited_access, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
        )
        .bind(f.name.clone())
        .bind(f.reference.clone())
        .bind(f.address.clone())
        .bind(f.postcode.clone())
        .bind(f.phone.clone())
        .bind(f.email.clone())
        .bind(i64::from(f.limited_access))
        .bind(t)
        .fetch_one(&mut *self.tx)
        .await?;
        let provider = Provider::from_row(&row)?;
        for a in authority_ids {
            sqlx::query(
                "INSERT INTO provider_authorities (provider_id, authority_id) VALUES ($1, $2)",
            )
            .bind(provider.id)
            .bind(*a)
            .execute(&mut *self.tx)
            .await?;
        }
        let mut after = provider.to_json();
        after["authority_ids"] = serde_json::json!(authority_ids);
        self.audit(
            "create",
            crate::RecordType::Provider,
            &provider.id.to_string(),
            None,
            Some(&after),
        )
        .await?;
        Ok(provider)
    }

    /// Registers a provider with another authority (idempotent).
    pub async fn add_provider_authority(
        &mut self,
        provider_id: i64,
        authority_id: i64,
    ) -> Result<(), StoreError> {
        let exists = sqlx::query("SELECT 1 AS one FROM provider_authorities WHERE provider_id = $1 AND authority_id = $2")
            .bind(provider_id)
            .bind(authority_id)
            .fetch_optional(&mut *self.tx)
            .await?
            .is_some();
        if !exists {
            sqlx::query(
                "INSERT INTO provider_authorities (provider_id, authority_id) VALUES ($1, $2)",
            )
            .bind(provider_id)
            .bind(authority_id)
            .execute(&mut *self.tx)
            .await?;
            let v = serde_json::json!({"provider_id": provider_id, "authority_id": authority_id});
            self.audit(
                "create",
                crate::RecordType::ProviderAuthority,
                &format!("{provider_id}:{authority_id}"),
                None,
                Some(&v),
            )
            .await?;
        }
        Ok(())
    }

    pub async fn update_provider(
        &mut self,
        id: i64,
        f: &ProviderFields,
    ) -> Result<Option<Provider>, StoreError> {
        let values = Changes::new()
            .set("name", f.name.clone())
            .set("reference", f.reference.clone())
            .set("address", f.address.clone())
            .set("postcode", f.postcode.clone())
            .set("phone", f.phone.clone())
            .set("email", f.email.clone())
            .set("limited_access", i64::from(f.limited_access))
            .set("updated_at", self.at());
        self.change(id, "update", values).await
    }

    pub async fn insert_contact(
        &mut self,
        provider_id: i64,
        f: &ContactFields,
    ) -> Result<Contact, StoreError> {
        let at = self.at();
        self.create(
            f.changes()
                .set("provider_id", provider_id)
                .set("active", 1i64)
                .set("created_at", at)
                .set("updated_at", at),
        )
        .await
    }
}

record!(
    /// A responsibility a contact holds.
    ContactAssignment {
        id: i64,
        contact_id: i64,
        assignment: String,
        service_id: Option<i64>,
        contract_id: Option<i64>,
        created_at: i64,
    }
);

impl Db {
    /// The active contact assigned as a service's manager (the first, if several).
    pub async fn service_manager(&self, service_id: i64) -> Result<Option<Contact>, StoreError> {
        let row = sqlx::query(
            "SELECT c.* FROM contact_assignments a JOIN contacts c ON c.id = a.contact_id
             WHERE a.service_id = $1 AND a.assignment = 'service_manager' AND c.active = 1
               AND c.confidential = 0
             ORDER BY a.id LIMIT 1",
        )
        .bind(service_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Contact::from_row).transpose()
    }

    pub async fn contact_assignments(
        &self,
        contact_id: i64,
    ) -> Result<Vec<ContactAssignment>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM contact_assignments WHERE contact_id = $1 ORDER BY id")
                .bind(contact_id)
                .fetch_all(&self.pool)
                .await?;
        ContactAssignment::from_rows(&rows)
    }

    /// Service ids a contact reaches through its assignments: services it is assigned to,
    /// and the services of contracts it is the contract contact for.
    pub async fn assigned_service_ids(&self, contact_id: i64) -> Result<Vec<i64>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT service_id AS id FROM contact_assignments WHERE contact_id = $1 AND service_id IS NOT NULL
             UNION
             SELECT cs.service_id AS id FROM contact_assignments ca JOIN contract_services cs ON cs.contract_id = ca.contract_id
             WHERE ca.contact_id = $1 AND ca.contract_id IS NOT NULL",
        )
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await?;
        let mut ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<Result<_, _>>()?;
        ids.sort_unstable();
        Ok(ids)
    }
}

impl WriteTx {
    pub async fn insert_assignment(
        &mut self,
        contact_id: i64,
        assignment: &str,
        service_id: Option<i64>,
        contract_id: Option<i64>,
    ) -> Result<ContactAssignment, StoreError> {
        let at = self.at();
        self.create(
            Changes::new()
                .set("contact_id", contact_id)
                .set("assignment", assignment)
                .set("service_id", service_id)
                .set("contract_id", contract_id)
                .set("created_at", at),
        )
        .await
    }
}
