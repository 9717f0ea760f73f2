//! The public directory's data: postcode centroids, service locations, current client counts
//! and the filtered search (C8).

use sqlx::Row;

use crate::RecordType;

use crate::{placeholders, Db, Params, Service, StoreError, WriteTx};

/// What the public searches by. Codes are matched against comma-separated lists.
#[derive(Debug, Clone, Default)]
pub struct DirectorySearch {
    pub text: Option<String>,
    pub organisation: Option<String>,
    pub service_type: Option<String>,
    pub accommodation_type: Option<String>,
    pub support_task: Option<String>,
    pub client_group: Option<String>,
    pub ethnicity: Option<String>,
    pub household_type: Option<String>,
    /// Bounding box (south, west, north, east) around a postcode; exact distance is checked after.
    pub bbox: Option<(f64, f64, f64, f64)>,
    pub only_ids: Option<Vec<i64>>,
    pub modified_after: Option<i64>,
    /// Only services with places available (the provider's figure, else contracted units
    /// minus current clients).
    pub with_places: bool,
    /// Page in name order rather than id order.
    pub by_name: bool,
    /// Only services with at least one support task.
    pub any_support_task: bool,
    /// Only services with a published location (not confidential, with coordinates).
    pub located: bool,
}

/// Services whose address is never published: refuges and other accommodation for people
/// escaping domestic abuse.
pub const CONFIDENTIAL_SQL: &str = "(s.accommodation_type = 'refuge' OR (s.client_group = 'domestic_abuse' AND s.service_type = 'accommodation_based'))";

impl Service {
    /// Whether the service's address must stay out of the directory, for the safety of the
    /// people it supports.
    pub fn address_confidential(&self) -> bool {
        hearth_domain::directory::address_confidential(
            &self.accommodation_type,
            &self.client_group,
            &self.service_type,
        )
    }
}

/// Places available: the provider's figure when set, otherwise contracted units minus current
/// client schedules (never below zero).
pub const PLACES_SQL: &str = "COALESCE(s.available_places, CASE WHEN s.contracted_units > s.current_clients THEN s.contracted_units - s.current_clients ELSE 0 END)";

/// A service with its provider's name, for results.
#[derive(Debug, Clone)]
pub struct DirectoryRow {
    pub service: Service,
    pub provider_name: String,
}

fn list_match(column: &str, p: &str) -> String {
    format!("(',' || {column} || ',') LIKE {p} ESCAPE '\\'")
}

impl DirectorySearch {
    fn where_clause(&self, p: &mut Params, backend: crate::Backend) -> String {
        let mut w = String::from(" WHERE 1 = 1");
        if self.text.is_some() {
            let a = p.next();
            w.push_str(&format!(" AND (LOWER(s.public_name) LIKE {a} ESCAPE '\\' OR LOWER(s.name) LIKE {a} ESCAPE '\\' OR LOWER(s.description) LIKE {a} ESCAPE '\\')"));
        }
        if self.organisation.is_some() {
            w.push_str(&format!(
                " AND LOWER(pr.name) LIKE {} ESCAPE '\\'",
                p.next()
            ));
        }
        if self.service_type.is_some() {
            w.push_str(&format!(" AND s.service_type = {}", p.next()));
        }
        if self.accommodation_type.is_some() {
            w.push_str(&format!(" AND s.accommodation_type = {}", p.next()));
        }
        if self.support_task.is_some() {
            w.push_str(&format!(
                " AND {}",
                list_match("s.support_tasks", &p.next())
            ));
        }
        if self.client_group.is_some() {
            w.push_str(&format!(" AND s.client_group = {}", p.next()));
        }
        if self.ethnicity.is_some() {
            // A service for all communities serves each of them.
            w.push_str(&format!(
                " AND ({} OR {})",
                list_match("s.ethnicity_focus", &p.next()),
                list_match("s.ethnicity_focus", "',all,'")
            ));
        }
        if self.any_support_task {
            w.push_str(" AND s.support_tasks <> ''");
        }
        if self.located {
            w.push_str(&format!(
                " AND s.latitude IS NOT NULL AND NOT {CONFIDENTIAL_SQL}"
            ));
        }
        if self.household_type.is_some() {
            w.push_str(&format!(
                " AND {}",
                list_match("s.household_types", &p.next())
            ));
        }
        if self.bbox.is_some() {
            // Confidential addresses are never placed on a map or measured from.
            w.push_str(&format!(" AND NOT {CONFIDENTIAL_SQL}"));
            // The spatial index finds the services in the box (bound south, north, west, east).
            let (south, north, west, east) = (p.next(), p.next(), p.next(), p.next());
            match backend {
                // R*Tree boxes are stored as 32-bit floats rounded outwards, so the test is
                // for overlap: a point on the edge of the box is not lost to rounding.
                crate::Backend::Sqlite => w.push_str(&format!(
                    " AND s.id IN (SELECT id FROM service_locations WHERE max_lat >= {south} AND min_lat <= {north} AND max_lon >= {west} AND min_lon <= {east})"
                )),
                crate::Backend::Postgres => w.push_str(&format!(
                    " AND point(s.longitude, s.latitude) <@ box(point({west}, {south}), point({east}, {north}))"
                )),
            }
            w.push_str(&format!(
                " AND s.latitude BETWEEN {south} AND {north} AND s.longitude BETWEEN {west} AND {east}"
            ));
        }
        if let Some(ids) = &self.only_ids {
            if ids.is_empty() {
                w.push_str(" AND 1 = 0");
            } else {
                w.push_str(&format!(" AND s.id IN ({})", placeholders(p, ids.len())));
            }
        }
        if self.modified_after.is_some() {
            w.push_str(&format!(" AND s.updated_at > {}", p.next()));
        }
        if self.with_places {
            w.push_str(&format!(" AND {PLACES_SQL} > 0"));
        }
        w
    }

    fn bind<'q>(
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let like = |s: &str| crate::like_contains(s);
        let item = |s: &str| format!("%,{},%", crate::like_escape(s));
        if let Some(t) = &self.text {
            q = q.bind(like(t));
        }
        if let Some(t) = &self.organisation {
            q = q.bind(like(t));
        }
        if let Some(t) = &self.service_type {
            q = q.bind(t.clone());
        }
        if let Some(t) = &self.accommodation_type {
            q = q.bind(t.clone());
        }
        if let Some(t) = &self.support_task {
            q = q.bind(item(t));
        }
        if let Some(t) = &self.client_group {
            q = q.bind(t.clone());
        }
        if let Some(t) = &self.ethnicity {
            q = q.bind(item(t));
        }
        if let Some(t) = &self.household_type {
            q = q.bind(item(t));
        }
        if let Some((s, w, n, e)) = self.bbox {
            q = q.bind(s).bind(n).bind(w).bind(e);
        }
        if let Some(ids) = &self.only_ids {
            for id in ids {
                q = q.bind(*id);
            }
        }
        if let Some(t) = self.modified_after {
            q = q.bind(t);
        }
        q
    }
}

impl Db {
    pub async fn postcode_location(
        &self,
        postcode: &str,
    ) -> Result<Option<(f64, f64)>, StoreError> {
        let row = sqlx::query("SELECT latitude, longitude FROM postcodes WHERE postcode = $1")
            .bind(postcode)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("latitude")?, r.try_get("longitude")?)),
            None => None,
        })
    }

    pub async fn count_postcodes(&self) -> Result<i64, StoreError> {
        crate::accounts::count_of(
            &sqlx::query("SELECT COUNT(*) AS n FROM postcodes")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Services matching a search, with their provider's name; no paging (callers sort by
    /// distance or name and page the result). `limit` bounds the rows read.
    pub async fn directory_search(
        &self,
        f: &DirectorySearch,
        limit: i64,
    ) -> Result<Vec<DirectoryRow>, StoreError> {
        let mut p = Params::default();
        let w = f.where_clause(&mut p, self.backend());
        let sql = format!(
            "SELECT s.*, pr.name AS provider_name FROM services s JOIN providers pr ON pr.id = s.provider_id{w} ORDER BY s.public_name, s.name, s.id LIMIT {}",
            p.next()
        );
        let rows = f
            .bind(sqlx::query(&sql))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DirectoryRow {
                    service: Service::from_row(r)?,
                    provider_name: r.try_get("provider_name")?,
                })
            })
            .collect()
    }

    /// The id and location of every service matching a search with a box (the distance
    /// search reads these narrow rows, measures them, and reads whole rows only for the page
    /// it shows). `limit` bounds the rows read.
    pub async fn directory_locations(
        &self,
        f: &DirectorySearch,
        limit: i64,
    ) -> Result<Vec<(i64, f64, f64)>, StoreError> {
        let mut p = Params::default();
        let w = f.where_clause(&mut p, self.backend());
        let join = if f.organisation.is_some() {
            " JOIN providers pr ON pr.id = s.provider_id"
        } else {
            ""
        };
        let sql = format!(
            "SELECT s.id, s.latitude, s.longitude FROM services s{join}{w} AND s.latitude IS NOT NULL AND s.longitude IS NOT NULL ORDER BY s.id LIMIT {}",
            p.next()
        );
        let rows = f
            .bind(sqlx::query(&sql))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("latitude")?,
                    r.try_get("longitude")?,
                ))
            })
            .collect()
    }

    /// The query plan of a distance search's box (a test that the spatial index is used).
    #[doc(hidden)]
    pub async fn explain_directory_box(&self) -> Result<String, StoreError> {
        let f = DirectorySearch {
            bbox: Some((51.0, -1.0, 52.0, 0.0)),
            ..Default::default()
        };
        let mut p = Params::default();
        let w = f.where_clause(&mut p, self.backend());
        let (explain, column) = match self.backend() {
            crate::Backend::Sqlite => ("EXPLAIN QUERY PLAN", "detail"),
            crate::Backend::Postgres => ("EXPLAIN", "QUERY PLAN"),
        };
        let mut conn = self.pool.acquire().await?;
        if self.backend() == crate::Backend::Postgres {
            // A test database is too small for the planner to choose an index unprompted.
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await?;
        }
        let rows = f
            .bind(sqlx::query(&format!(
                "{explain} SELECT s.id FROM services s{w}"
            )))
            .fetch_all(&mut *conn)
            .await?;
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("RESET enable_seqscan")
                .execute(&mut *conn)
                .await?;
        }
        let mut out = Vec::new();
        for r in &rows {
            out.push(r.try_get::<String, _>(column)?);
        }
        Ok(out.join("\n"))
    }

    /// The ids of one page of services in id order (the open API's paging), or by name
    /// (`by_name`), and the total. Only ids are read: the rows shown come from
    /// `directory_search` with `only_ids`, or from the application's cache of them.
    pub async fn directory_page_ids(
        &self,
        f: &DirectorySearch,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<i64>, i64), StoreError> {
        let mut p = Params::default();
        let w = f.where_clause(&mut p, self.backend());
        // Every service has a provider, so the join is needed only to filter by its name.
        let join = if f.organisation.is_some() {
            " JOIN providers pr ON pr.id = s.provider_id"
        } else {
            ""
        };
        let total = crate::accounts::count_of(
            &f.bind(sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM services s{join}{w}"
            )))
            .fetch_one(&self.pool)
            .await?,
        )?;
        let order = if f.by_name {
            "s.public_name, s.name, s.id"
        } else {
            "s.id"
        };
        let sql = format!(
            "SELECT s.id FROM services s{join}{w} ORDER BY {order} LIMIT {} OFFSET {}",
            p.next(),
            p.next()
        );
        let rows = f
            .bind(sqlx::query(&sql))
            .bind(per_page)
            .bind(hearth_domain::paging::offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((ids, total))
    }

    /// Sets every service's location from the postcode table (after an import).
    pub async fn locate_services(&self) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE services SET latitude = (SELECT latitude FROM postcodes p WHERE p.postcode = services.postcode),
                longitude = (SELECT longitude FROM postcodes p WHERE p.postcode = services.postcode)",
        )
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Sets services' current client counts directly (bulk loads that skip the schedules).
    pub async fn set_current_clients(
        &self,
        counts: &[(i64, i64)],
        today: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (id, n) in counts {
            sqlx::query(
                "UPDATE services SET current_clients = $2, current_clients_on = $3 WHERE id = $1",
            )
            .bind(*id)
            .bind(*n)
            .bind(today)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Recounts current schedules of every service on `today` (the daily directory job).
    pub async fn refresh_current_clients(&self, today: &str) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE services SET current_clients = (SELECT COUNT(*) FROM client_schedules c
                WHERE c.service_id = services.id AND (c.end_date IS NULL OR c.end_date >= $1)), current_clients_on = $1",
        )
        .bind(today)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }
}

impl WriteTx {
    /// Loads postcode centroids (insert or replace), in this transaction.
    /// Seals every postcode row that has no seal (see `Db::seal_existing_postcodes`);
    /// returns the seals in postcode order.
    pub(crate) async fn seal_unsealed_postcodes(&mut self) -> Result<Vec<String>, StoreError> {
        let mut seals = Vec::new();
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT postcode, latitude, longitude FROM postcodes WHERE audit_mac IS NULL AND postcode > $1 ORDER BY postcode LIMIT 5000",
            )
            .bind(after.clone())
            .fetch_all(&mut *self.tx)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("postcode")?;
            for r in &rows {
                let pc: String = r.try_get("postcode")?;
                let seal = self.seal(
                    RecordType::Postcodes,
                    &postcode_fields(&pc, r.try_get("latitude")?, r.try_get("longitude")?),
                )?;
                sqlx::query("UPDATE postcodes SET audit_mac = $1 WHERE postcode = $2")
                    .bind(seal.clone())
                    .bind(pc)
                    .execute(&mut *self.tx)
                    .await?;
                seals.push(seal);
            }
        }
        Ok(seals)
    }

    /// Adds or replaces postcode centroids: one audited batch (its row count and a digest of
    /// the rows' seals), each row sealed so `audit verify` finds a changed one.
    pub async fn upsert_postcodes(
        &mut self,
        rows: &[(String, f64, f64)],
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        let mut seals = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(200) {
            let mut p = Params::default();
            let values: Vec<String> = chunk
                .iter()
                .map(|_| format!("({}, {}, {}, {})", p.next(), p.next(), p.next(), p.next()))
                .collect();
            let sql = format!(
                "INSERT INTO postcodes (postcode, latitude, longitude, audit_mac) VALUES {} ON CONFLICT (postcode) DO UPDATE SET latitude = excluded.latitude, longitude = excluded.longitude, audit_mac = excluded.audit_mac",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (pc, lat, lon) in chunk {
                let seal = self.seal(RecordType::Postcodes, &postcode_fields(pc, *lat, *lon))?;
                q = q.bind(pc.clone()).bind(*lat).bind(*lon).bind(seal.clone());
                seals.push(seal);
            }
            n += q.execute(&mut *self.tx).await?.rows_affected();
        }
        let batch = match (rows.first(), rows.last()) {
            (Some(first), Some(last)) => format!("{}..{}", first.0, last.0),
            _ => "*".to_string(),
        };
        self.audit_batch("import", RecordType::Postcodes, &batch, &seals)
            .await?;
        Ok(n)
    }

    /// Recounts the current schedules of one service (after a schedule change).
    pub async fn refresh_service_clients(
        &mut self,
        service_id: i64,
        today: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE services SET current_clients = (SELECT COUNT(*) FROM client_schedules c
                WHERE c.service_id = $1 AND (c.end_date IS NULL OR c.end_date >= $2)), current_clients_on = $2 WHERE id = $1",
        )
        .bind(service_id)
        .bind(today)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Sets a service's location (from its postcode) without an audit entry of its own: it
    /// follows from the postcode, which is audited.
    pub async fn set_service_location(
        &mut self,
        service_id: i64,
        location: Option<(f64, f64)>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE services SET latitude = $2, longitude = $3 WHERE id = $1")
            .bind(service_id)
            .bind(location.map(|l| l.0))
            .bind(location.map(|l| l.1))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Sets the directory fields of a service (demo data, staff edits).
    pub async fn set_directory_fields(
        &mut self,
        service_id: i64,
        d: &crate::ServiceDetails,
    ) -> Result<(), StoreError> {
        self.update_service_details(service_id, d).await
    }
}

/// The sealed fields of a postcode row (coordinates in Rust's shortest round-trip form, which
/// both databases give back exactly).
fn postcode_fields(postcode: &str, latitude: f64, longitude: f64) -> Vec<String> {
    vec![
        postcode.to_string(),
        latitude.to_string(),
        longitude.to_string(),
    ]
}

pub(crate) fn postcode_seal_fields(
    row: &sqlx::any::AnyRow,
) -> Result<(String, Vec<String>), StoreError> {
    let postcode: String = row.try_get("k")?;
    let fields = postcode_fields(
        &postcode,
        row.try_get("latitude")?,
        row.try_get("longitude")?,
    );
    Ok((postcode, fields))
}
