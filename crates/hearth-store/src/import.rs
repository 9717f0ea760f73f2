//! Loading an authority's existing records from its old system, and exporting them in the
//! same shape (issue 11). Providers, services and contracts are found by their own
//! references; properties, clients and client schedules by the old system's reference kept
//! in `external_ref` (migration 19).

use std::collections::HashMap;

use sqlx::Row;

use crate::{ClientFields, Db, RecordType, ScheduleFields, StoreError, WriteTx};

/// What the deployment and one authority already hold, by the references an import names.
#[derive(Debug, Default, Clone)]
pub struct ImportKeys {
    /// Every provider of the deployment by reference: its id, and whether it is registered
    /// with this authority (a provider has one reference across authorities).
    pub providers: HashMap<String, (i64, bool)>,
    /// This authority's services, contracts, properties, clients and client schedules, by
    /// reference.
    pub services: HashMap<String, i64>,
    pub contracts: HashMap<String, i64>,
    pub properties: HashMap<String, i64>,
    pub clients: HashMap<String, i64>,
    pub schedules: HashMap<String, i64>,
    /// Every provider contact of the deployment: (provider, reference) → id for those with
    /// an old system's reference, and id → provider for all (a reference Hearth gave,
    /// `H-K{id}`, names the contact with that id).
    pub contacts: HashMap<(i64, String), i64>,
    pub contact_providers: HashMap<i64, i64>,
}

/// A client to load, with its schedules: new (`existing` None) or already loaded, in which
/// case only its new schedules are written.
#[derive(Debug, Clone)]
pub struct ImportedClient {
    pub existing: Option<i64>,
    pub external_ref: String,
    pub fields: ClientFields,
    /// (the schedule's reference, its fields; `client_id` is filled in here).
    pub schedules: Vec<(String, ScheduleFields)>,
}

/// A client as exported: its fields and the reference it is known by.
#[derive(Debug, Clone)]
pub struct ExportedClient {
    pub id: i64,
    pub external_ref: Option<String>,
    pub fields: ClientFields,
}

/// A client schedule as exported, with the references of its client and service.
#[derive(Debug, Clone)]
pub struct ExportedSchedule {
    pub id: i64,
    pub external_ref: Option<String>,
    pub client_id: i64,
    pub client_external_ref: Option<String>,
    pub service_reference: String,
    pub fields: ScheduleFields,
}

fn pairs(rows: &[sqlx::any::AnyRow]) -> Result<HashMap<String, i64>, StoreError> {
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let key: Option<String> = r.try_get("k")?;
        if let Some(k) = key {
            out.insert(k, r.try_get::<i64, _>("id")?);
        }
    }
    Ok(out)
}

/// Rows of (id, external_ref) as a map.
fn refs_by_id(rows: &[sqlx::any::AnyRow]) -> Result<HashMap<i64, String>, StoreError> {
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        out.insert(r.try_get("id")?, r.try_get("external_ref")?);
    }
    Ok(out)
}

impl Db {
    /// The references an import into `authority_id` resolves against.
    pub async fn import_keys(&self, authority_id: i64) -> Result<ImportKeys, StoreError> {
        let mut keys = ImportKeys::default();
        let rows = sqlx::query(
            "SELECT p.id, p.reference,
                    (SELECT COUNT(*) FROM provider_authorities pa
                      WHERE pa.provider_id = p.id AND pa.authority_id = $1) AS here
             FROM providers p",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let here: i64 = r.try_get("here")?;
            keys.providers
                .insert(r.try_get("reference")?, (r.try_get("id")?, here > 0));
        }
        let of = |sql: &'static str| {
            let pool = self.pool.clone();
            async move {
                let rows = sqlx::query(sql).bind(authority_id).fetch_all(&pool).await?;
                pairs(&rows)
            }
        };
        let rows = sqlx::query("SELECT id, provider_id, external_ref FROM contacts")
            .fetch_all(&self.pool)
            .await?;
        for r in &rows {
            let (id, provider): (i64, i64) = (r.try_get("id")?, r.try_get("provider_id")?);
            keys.contact_providers.insert(id, provider);
            if let Some(k) = r.try_get::<Option<String>, _>("external_ref")? {
                keys.contacts.insert((provider, k), id);
            }
        }
        keys.services =
            of("SELECT id, reference AS k FROM services WHERE authority_id = $1").await?;
        keys.contracts =
            of("SELECT id, reference AS k FROM contracts WHERE authority_id = $1").await?;
        keys.properties = of(
            "SELECT id, external_ref AS k FROM properties WHERE authority_id = $1 AND external_ref IS NOT NULL",
        )
        .await?;
        keys.clients = of(
            "SELECT id, external_ref AS k FROM clients WHERE authority_id = $1 AND external_ref IS NOT NULL",
        )
        .await?;
        keys.schedules = of(
            "SELECT s.id, s.external_ref AS k FROM client_schedules s JOIN clients c ON c.id = s.client_id
             WHERE c.authority_id = $1 AND s.external_ref IS NOT NULL",
        )
        .await?;
        Ok(keys)
    }

    /// The old system's references of an authority's properties, by property id.
    pub async fn property_external_refs(
        &self,
        authority_id: i64,
    ) -> Result<HashMap<i64, String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, external_ref FROM properties WHERE authority_id = $1 AND external_ref IS NOT NULL",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        refs_by_id(&rows)
    }

    /// The old system's references of provider contacts, by contact id.
    pub async fn contact_external_refs(&self) -> Result<HashMap<i64, String>, StoreError> {
        let rows =
            sqlx::query("SELECT id, external_ref FROM contacts WHERE external_ref IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        refs_by_id(&rows)
    }

    /// Every client of an authority, in id order, for an export.
    pub async fn export_clients(
        &self,
        authority_id: i64,
    ) -> Result<Vec<ExportedClient>, StoreError> {
        let rows = sqlx::query("SELECT * FROM clients WHERE authority_id = $1 ORDER BY id")
            .bind(authority_id)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(ExportedClient {
                id: r.try_get("id")?,
                external_ref: r.try_get("external_ref")?,
                fields: ClientFields {
                    title: r.try_get("title")?,
                    first_name: r.try_get("first_name")?,
                    last_name: r.try_get("last_name")?,
                    date_of_birth: r.try_get("date_of_birth")?,
                    ethnicity: r.try_get("ethnicity")?,
                    address: r.try_get("address")?,
                    address2: r.try_get("address2")?,
                    town: r.try_get("town")?,
                    postcode: r.try_get("postcode")?,
                    uprn: r.try_get("uprn")?,
                    ni_number: r.try_get("ni_number")?,
                    hb_number: r.try_get("hb_number")?,
                },
            });
        }
        Ok(out)
    }

    /// Every client schedule of an authority (history included), in id order, for an export.
    pub async fn export_schedules(
        &self,
        authority_id: i64,
    ) -> Result<Vec<ExportedSchedule>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.external_ref, s.client_id, c.external_ref AS client_ref,
                    v.reference AS service_reference, s.service_id, s.level, s.units_per_week,
                    s.start_date, s.end_date, s.end_reason
             FROM client_schedules s
             JOIN clients c ON c.id = s.client_id
             JOIN services v ON v.id = s.service_id
             WHERE c.authority_id = $1 ORDER BY s.id",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(ExportedSchedule {
                id: r.try_get("id")?,
                external_ref: r.try_get("external_ref")?,
                client_id: r.try_get("client_id")?,
                client_external_ref: r.try_get("client_ref")?,
                service_reference: r.try_get("service_reference")?,
                fields: ScheduleFields {
                    client_id: r.try_get("client_id")?,
                    service_id: r.try_get("service_id")?,
                    level: r.try_get("level")?,
                    units_per_week: r.try_get("units_per_week")?,
                    start_date: r.try_get("start_date")?,
                    end_date: r.try_get("end_date")?,
                    end_reason: r.try_get("end_reason")?,
                },
            });
        }
        Ok(out)
    }
}

/// A file uploaded for an import (`import_files`).
#[derive(Debug, Clone)]
pub struct StoredImportFile {
    pub name: String,
    pub sha256: String,
    pub content: Vec<u8>,
    pub uploaded_by: String,
    pub created_at: i64,
}

impl Db {
    /// The files of an upload for `authority_id`, in the order they were given.
    pub async fn import_files(
        &self,
        authority_id: i64,
        batch: &str,
    ) -> Result<Vec<StoredImportFile>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, sha256, content, uploaded_by, created_at FROM import_files
             WHERE authority_id = $1 AND batch = $2 ORDER BY id",
        )
        .bind(authority_id)
        .bind(batch.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(StoredImportFile {
                name: r.try_get("name")?,
                sha256: r.try_get("sha256")?,
                content: r.try_get("content")?,
                uploaded_by: r.try_get("uploaded_by")?,
                created_at: r.try_get("created_at")?,
            });
        }
        Ok(out)
    }
}

impl WriteTx {
    /// Keeps a file uploaded for an import, in its batch.
    pub async fn insert_import_file(
        &mut self,
        authority_id: i64,
        batch: &str,
        name: &str,
        sha256: &str,
        content: &[u8],
    ) -> Result<(), StoreError> {
        let at = self.at();
        let by = self.actor().name.clone();
        sqlx::query(
            "INSERT INTO import_files (authority_id, batch, name, sha256, content, size_bytes, uploaded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(authority_id)
        .bind(batch.to_string())
        .bind(name.to_string())
        .bind(sha256.to_string())
        .bind(content.to_vec())
        .bind(content.len() as i64)
        .bind(by)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Removes an upload's files (its import has run).
    pub async fn delete_import_files(&mut self, batch: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM import_files WHERE batch = $1")
            .bind(batch.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Keeps the old system's reference of a contact just created.
    pub async fn set_contact_external_ref(
        &mut self,
        contact_id: i64,
        external_ref: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE contacts SET external_ref = $2 WHERE id = $1")
            .bind(contact_id)
            .bind(external_ref.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Keeps the old system's reference of a property just created.
    pub async fn set_property_external_ref(
        &mut self,
        property_id: i64,
        external_ref: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE properties SET external_ref = $2 WHERE id = $1")
            .bind(property_id)
            .bind(external_ref.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Writes clients and their schedules loaded from a file, each keeping its reference, as
    /// one batch: one audit entry (`import`, client schedules) whose `after` is `summary`
    /// with the counts written. Returns (clients, schedules) written.
    pub async fn import_clients(
        &mut self,
        authority_id: i64,
        rows: &[ImportedClient],
        summary: &serde_json::Value,
    ) -> Result<(u64, u64), StoreError> {
        let t = self.at();
        let (mut clients, mut schedules) = (0u64, 0u64);
        for c in rows {
            let client_id = match c.existing {
                Some(id) => id,
                None => {
                    let f = &c.fields;
                    let row = sqlx::query(
                        "INSERT INTO clients (authority_id, title, first_name, last_name, date_of_birth, ethnicity, address, address2, town, postcode, uprn, ni_number, hb_number, external_ref, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
                    )
                    .bind(authority_id)
                    .bind(f.title.clone())
                    .bind(f.first_name.clone())
                    .bind(f.last_name.clone())
                    .bind(f.date_of_birth.clone())
                    .bind(f.ethnicity.clone())
                    .bind(f.address.clone())
                    .bind(f.address2.clone())
                    .bind(f.town.clone())
                    .bind(f.postcode.clone())
                    .bind(f.uprn.clone())
                    .bind(f.ni_number.clone())
                    .bind(f.hb_number.clone())
                    .bind(c.external_ref.clone())
                    .bind(t)
                    .fetch_one(&mut *self.tx)
                    .await?;
                    clients += 1;
                    row.try_get("id")?
                }
            };
            for (reference, s) in &c.schedules {
                sqlx::query(
                    "INSERT INTO client_schedules (client_id, service_id, level, units_per_week, start_date, end_date, end_reason, external_ref, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                )
                .bind(client_id)
                .bind(s.service_id)
                .bind(s.level.clone())
                .bind(s.units_per_week)
                .bind(s.start_date.clone())
                .bind(s.end_date.clone())
                .bind(s.end_reason.clone())
                .bind(reference.clone())
                .bind(t)
                .execute(&mut *self.tx)
                .await?;
                schedules += 1;
            }
        }
        let mut after = summary.clone();
        if let Some(o) = after.as_object_mut() {
            o.insert("clients_written".into(), clients.into());
            o.insert("schedules_written".into(), schedules.into());
        }
        self.audit(
            "import",
            RecordType::ClientSchedule,
            &format!("authority:{authority_id}"),
            None,
            Some(&after),
        )
        .await?;
        Ok((clients, schedules))
    }
}
