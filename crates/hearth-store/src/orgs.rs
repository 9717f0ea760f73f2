//! Authorities, providers and their contacts.

use crate::accounts::count_of;
use crate::{record, Db, Page, Params, StoreError, WriteTx};

record!(
    /// A commissioning authority (a council). One deployment may host several.
    Authority {
        id: i64,
        name: String,
        code: String,
        password_policy: String,
        provider_totp_required: i64,
        idle_minutes: i64,
        created_at: i64,
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

/// Fields of a new contact.
#[derive(Debug, Clone, Default)]
pub struct ContactFields {
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    pub position_type: String,
    pub email: String,
    pub phone: String,
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
        let mut p = Params::default();
        let mut wh = String::from(" WHERE 1 = 1");
        if f.authority_id.is_some() {
            wh.push_str(&format!(
                " AND id IN (SELECT provider_id FROM provider_authorities WHERE authority_id = {})",
                p.next()
            ));
        }
        if f.provider_id.is_some() {
            wh.push_str(&format!(" AND id = {}", p.next()));
        }
        if f.search.is_some() {
            let a = p.next();
            wh.push_str(&format!(
                " AND (LOWER(name) LIKE {a} ESCAPE '\\' OR LOWER(reference) LIKE {a} ESCAPE '\\')"
            ));
        }
        let count_sql = format!("SELECT COUNT(*) AS n FROM providers{wh}");
        let per_page = if f.per_page <= 0 { 50 } else { f.per_page };
        let page = hearth_domain::paging::page(Some(f.page));
        let list_sql = format!(
            "SELECT * FROM providers{wh} ORDER BY name, id LIMIT {} OFFSET {}",
            p.next(),
            p.next()
        );
        let search = f.search.as_ref().map(|s| crate::like_contains(s));
        macro_rules! binds {
            ($q:expr) => {{
                let mut q = $q;
                if let Some(a) = f.authority_id {
                    q = q.bind(a);
                }
                if let Some(a) = f.provider_id {
                    q = q.bind(a);
                }
                if let Some(s) = &search {
                    q = q.bind(s.clone());
                }
                q
            }};
        }
        let total = count_of(
            &binds!(sqlx::query(&count_sql))
                .fetch_one(&self.pool)
                .await?,
        )?;
        let rows = binds!(sqlx::query(&list_sql))
            .bind(per_page)
            .bind(hearth_domain::paging::offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: Provider::from_rows(&rows)?,
            total,
            page,
            per_page,
        })
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

impl WriteTx {
    pub async fn insert_authority(
        &mut self,
        name: &str,
        code: &str,
    ) -> Result<Authority, StoreError> {
        let row = sqlx::query(
            "INSERT INTO authorities (name, code, created_at) VALUES ($1, $2, $3) RETURNING *",
        )
        .bind(name)
        .bind(code)
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let a = Authority::from_row(&row)?;
        self.audit(
            "create",
            "authority",
            &a.id.to_string(),
            None,
            Some(&a.to_json()),
        )
        .await?;
        Ok(a)
    }

    pub async fn update_authority_settings(
        &mut self,
        id: i64,
        password_policy: &str,
        provider_totp_required: bool,
        idle_minutes: i64,
    ) -> Result<Option<Authority>, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM authorities WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(None);
        };
        let before = Authority::from_row(&row)?;
        let row = sqlx::query("UPDATE authorities SET password_policy = $2, provider_totp_required = $3, idle_minutes = $4 WHERE id = $1 RETURNING *")
            .bind(id)
            .bind(password_policy)
            .bind(i64::from(provider_totp_required))
            .bind(idle_minutes)
            .fetch_one(&mut *self.tx)
            .await?;
        let after = Authority::from_row(&row)?;
        self.audit(
            "update",
            "authority",
            &id.to_string(),
            Some(&before.to_json()),
            Some(&after.to_json()),
        )
        .await?;
        Ok(Some(after))
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
            "provider",
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
                "provider_authority",
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
        let Some(row) = sqlx::query("SELECT * FROM providers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(None);
        };
        let before = Provider::from_row(&row)?;
        let row = sqlx::query(
            "UPDATE providers SET name = $2, reference = $3, address = $4, postcode = $5, phone = $6, email = $7, limited_access = $8, updated_at = $9
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(f.name.clone())
        .bind(f.reference.clone())
        .bind(f.address.clone())
        .bind(f.postcode.clone())
        .bind(f.phone.clone())
        .bind(f.email.clone())
        .bind(i64::from(f.limited_access))
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let after = Provider::from_row(&row)?;
        self.audit(
            "update",
            "provider",
            &id.to_string(),
            Some(&before.to_json()),
            Some(&after.to_json()),
        )
        .await?;
        Ok(Some(after))
    }

    pub async fn insert_contact(
        &mut self,
        provider_id: i64,
        f: &ContactFields,
    ) -> Result<Contact, StoreError> {
        let t = self.at();
        let row = sqlx::query(
            "INSERT INTO contacts (provider_id, title, first_name, last_name, position_type, email, phone, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING *",
        )
        .bind(provider_id)
        .bind(f.title.clone())
        .bind(f.first_name.clone())
        .bind(f.last_name.clone())
        .bind(f.position_type.clone())
        .bind(f.email.clone())
        .bind(f.phone.clone())
        .bind(t)
        .fetch_one(&mut *self.tx)
        .await?;
        let c = Contact::from_row(&row)?;
        self.audit(
            "create",
            "contact",
            &c.id.to_string(),
            None,
            Some(&c.to_json()),
        )
        .await?;
        Ok(c)
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
        let row = sqlx::query(
            "INSERT INTO contact_assignments (contact_id, assignment, service_id, contract_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *",
        )
        .bind(contact_id)
        .bind(assignment)
        .bind(service_id)
        .bind(contract_id)
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let a = ContactAssignment::from_row(&row)?;
        self.audit(
            "create",
            "contact_assignment",
            &a.id.to_string(),
            None,
            Some(&a.to_json()),
        )
        .await?;
        Ok(a)
    }
}
