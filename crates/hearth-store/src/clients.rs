//! Clients and their schedules on services.

use crate::accounts::count_of;
use crate::write::{audited, Changes};
use crate::{record, Db, Page, StoreError, WriteTx};

record!(
    /// A person supported by a service.
    Client {
        id: i64,
        authority_id: i64,
        title: String,
        first_name: String,
        last_name: String,
        date_of_birth: Option<String>,
        ethnicity: String,
        address: String,
        address2: String,
        town: String,
        postcode: String,
        uprn: Option<String>,
        ni_number: Option<String>,
        hb_number: Option<String>,
        created_at: i64,
        updated_at: i64,
    }
);

/// Fields of a new client.
#[derive(Debug, Clone, Default)]
pub struct ClientFields {
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<String>,
    pub ethnicity: String,
    pub address: String,
    pub address2: String,
    pub town: String,
    pub postcode: String,
    pub uprn: Option<String>,
    pub ni_number: Option<String>,
    pub hb_number: Option<String>,
}

record!(
    /// A client's schedule on a service, joined with the client's name for lists.
    ScheduleRow {
        id: i64,
        client_id: i64,
        service_id: i64,
        level: String,
        units_per_week: i64,
        start_date: String,
        end_date: Option<String>,
        end_reason: Option<String>,
        first_name: String,
        last_name: String,
    }
);

/// Fields of a new schedule.
#[derive(Debug, Clone, Default)]
pub struct ScheduleFields {
    pub client_id: i64,
    pub service_id: i64,
    pub level: String,
    pub units_per_week: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub end_reason: Option<String>,
}

/// Sort orders of the schedule list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScheduleSort {
    #[default]
    Name,
    StartDate,
    ClientId,
}

impl Db {
    pub async fn client(&self, id: i64) -> Result<Option<Client>, StoreError> {
        let row = sqlx::query("SELECT * FROM clients WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Client::from_row).transpose()
    }

    /// Schedules of one service on `today`: current only (no end date or ending after today) or all.
    pub async fn service_schedules(
        &self,
        service_id: i64,
        today: &str,
        include_ended: bool,
        sort: ScheduleSort,
        page: i64,
        per_page: i64,
    ) -> Result<Page<ScheduleRow>, StoreError> {
        let current = if include_ended {
            ""
        } else {
            " AND (s.end_date IS NULL OR s.end_date >= $2)"
        };
        let total = count_of(
            &sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM client_schedules s WHERE s.service_id = $1{current}"
            ))
            .bind(service_id)
            .bind(today)
            .fetch_one(&self.pool)
            .await?,
        )?;
        let order = match sort {
            ScheduleSort::Name => "c.last_name, c.first_name, s.id",
            ScheduleSort::StartDate => "s.start_date DESC, s.id",
            ScheduleSort::ClientId => "s.client_id, s.id",
        };
        let per_page = if per_page <= 0 { 50 } else { per_page };
        let page = page.max(1);
        // $2 appears in every form of the query so the parameter count is stable.
        let sql = format!(
            "SELECT s.id, s.client_id, s.service_id, s.level, s.units_per_week, s.start_date, s.end_date, s.end_reason, c.first_name, c.last_name
             FROM client_schedules s JOIN clients c ON c.id = s.client_id
             WHERE s.service_id = $1 AND $2 = $2{current} ORDER BY {order} LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(&sql)
            .bind(service_id)
            .bind(today)
            .bind(per_page)
            .bind(hearth_domain::paging::offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: ScheduleRow::from_rows(&rows)?,
            total,
            page,
            per_page,
        })
    }

    /// Current schedules of a service on a date.
    pub async fn count_current_schedules(
        &self,
        service_id: i64,
        today: &str,
    ) -> Result<i64, StoreError> {
        count_of(
            &sqlx::query("SELECT COUNT(*) AS n FROM client_schedules WHERE service_id = $1 AND (end_date IS NULL OR end_date >= $2)")
                .bind(service_id)
                .bind(today)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Current schedules (not ended before `today`) of all the given services, in one query.
    pub async fn count_current_schedules_in(
        &self,
        service_ids: &[i64],
        today: &str,
    ) -> Result<i64, StoreError> {
        if service_ids.is_empty() {
            return Ok(0);
        }
        let mut p = crate::Params::default();
        let t = p.next();
        let ids = crate::placeholders(&mut p, service_ids.len());
        let sql = format!("SELECT COUNT(*) AS n FROM client_schedules WHERE (end_date IS NULL OR end_date >= {t}) AND service_id IN ({ids})");
        let mut query = sqlx::query(&sql).bind(today);
        for id in service_ids {
            query = query.bind(*id);
        }
        count_of(&query.fetch_one(&self.pool).await?)
    }
}

audited!(Client, Client, "clients");

impl WriteTx {
    pub async fn insert_client(
        &mut self,
        authority_id: i64,
        f: &ClientFields,
    ) -> Result<Client, StoreError> {
        let at = self.at();
        let values = Changes::new()
            .set("authority_id", authority_id)
            .set("title", f.title.clone())
            .set("first_name", f.first_name.clone())
            .set("last_name", f.last_name.clone())
            .set("date_of_birth", f.date_of_birth.clone())
            .set("ethnicity", f.ethnicity.clone())
            .set("address", f.address.clone())
            .set("address2", f.address2.clone())
            .set("town", f.town.clone())
            .set("postcode", f.postcode.clone())
            .set("uprn", f.uprn.clone())
            .set("ni_number", f.ni_number.clone())
            .set("hb_number", f.hb_number.clone())
            .set("created_at", at)
            .set("updated_at", at);
        self.create(values).await
    }

    pub async fn insert_schedule(&mut self, f: &ScheduleFields) -> Result<i64, StoreError> {
        use sqlx::Row;
        let row = sqlx::query(
            "INSERT INTO client_schedules (client_id, service_id, level, units_per_week, start_date, end_date, end_reason, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(f.client_id)
        .bind(f.service_id)
        .bind(f.level.clone())
        .bind(f.units_per_week)
        .bind(f.start_date.clone())
        .bind(f.end_date.clone())
        .bind(f.end_reason.clone())
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        let after = serde_json::json!({
            "id": id, "client_id": f.client_id, "service_id": f.service_id, "level": f.level,
            "units_per_week": f.units_per_week, "start_date": f.start_date, "end_date": f.end_date, "end_reason": f.end_reason,
        });
        self.audit(
            "create",
            crate::RecordType::ClientSchedule,
            &id.to_string(),
            None,
            Some(&after),
        )
        .await?;
        Ok(id)
    }

    /// Bulk load for the demo generator: inserts without an audit entry per row, then one
    /// summary entry. Only the demo loader uses this.
    pub async fn bulk_load_schedules(
        &mut self,
        rows: &[(ClientFields, i64, Vec<ScheduleFields>)],
    ) -> Result<u64, StoreError> {
        use sqlx::Row;
        let t = self.at();
        let mut n = 0u64;
        for (client, authority_id, schedules) in rows {
            let row = sqlx::query(
                "INSERT INTO clients (authority_id, title, first_name, last_name, date_of_birth, ethnicity, address, postcode, uprn, ni_number, hb_number, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            )
            .bind(*authority_id)
            .bind(client.title.clone())
            .bind(client.first_name.clone())
            .bind(client.last_name.clone())
            .bind(client.date_of_birth.clone())
            .bind(client.ethnicity.clone())
            .bind(client.address.clone())
            .bind(client.postcode.clone())
            .bind(client.uprn.clone())
            .bind(client.ni_number.clone())
            .bind(client.hb_number.clone())
            .bind(t)
            .fetch_one(&mut *self.tx)
            .await?;
            let client_id: i64 = row.try_get("id")?;
            for s in schedules {
                sqlx::query(
                    "INSERT INTO client_schedules (client_id, service_id, level, units_per_week, start_date, end_date, end_reason, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                )
                .bind(client_id)
                .bind(s.service_id)
                .bind(s.level.clone())
                .bind(s.units_per_week)
                .bind(s.start_date.clone())
                .bind(s.end_date.clone())
                .bind(s.end_reason.clone())
                .bind(t)
                .execute(&mut *self.tx)
                .await?;
                n += 1;
            }
        }
        let summary = serde_json::json!({"clients": rows.len(), "schedules": n});
        self.audit(
            "bulk_load",
            crate::RecordType::ClientSchedule,
            "*",
            None,
            Some(&summary),
        )
        .await?;
        Ok(n)
    }
}
