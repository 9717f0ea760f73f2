//! Quarterly performance returns and the checks of the commissioning team (C4).

use crate::write::{audited, Changes};
use crate::{record, Db, StoreError, WriteTx};

record!(
    /// One return for one service and quarter.
    PerformanceReturn {
        id: i64,
        authority_id: i64,
        provider_id: i64,
        service_id: i64,
        year_start: i64,
        quarter: i64,
        status: String,
        source: String,
        figures_json: String,
        comment: String,
        explanation: String,
        replaces_id: Option<i64>,
        submitted_by_name: String,
        submitted_at: i64,
        check_due: String,
        checked_by_name: Option<String>,
        checked_at: Option<i64>,
        check_remarks: String,
    }
);

/// A new return.
#[derive(Debug, Clone, Default)]
pub struct NewReturn {
    pub authority_id: i64,
    pub provider_id: i64,
    pub service_id: i64,
    pub year_start: i64,
    pub quarter: i64,
    pub source: String,
    pub figures_json: String,
    pub comment: String,
    pub replaces_id: Option<i64>,
    pub check_due: String,
}

record!(
    /// A trigger the commissioning team set for a year.
    TriggerRow {
        id: i64,
        authority_id: i64,
        year_start: i64,
        indicator: String,
        service_type: Option<String>,
        kind: String,
        value: f64,
    }
);

impl Db {
    pub async fn performance_return(
        &self,
        id: i64,
    ) -> Result<Option<PerformanceReturn>, StoreError> {
        let row = sqlx::query("SELECT * FROM performance_returns WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(PerformanceReturn::from_row).transpose()
    }

    /// Returns of a service, newest first.
    pub async fn service_returns(
        &self,
        service_id: i64,
    ) -> Result<Vec<PerformanceReturn>, StoreError> {
        let rows = sqlx::query("SELECT * FROM performance_returns WHERE service_id = $1 ORDER BY year_start DESC, quarter DESC, id DESC")
            .bind(service_id)
            .fetch_all(&self.pool)
            .await?;
        PerformanceReturn::from_rows(&rows)
    }

    /// Every return of an authority from the financial year starting `from_year` on, newest
    /// first within a service (as `service_returns`): pages over many services read them in
    /// one query, not one a service.
    pub async fn authority_returns_since(
        &self,
        authority_id: i64,
        from_year: i64,
    ) -> Result<Vec<PerformanceReturn>, StoreError> {
        let rows = sqlx::query("SELECT * FROM performance_returns WHERE authority_id = $1 AND year_start >= $2 ORDER BY service_id, year_start DESC, quarter DESC, id DESC")
            .bind(authority_id)
            .bind(from_year)
            .fetch_all(&self.pool)
            .await?;
        PerformanceReturn::from_rows(&rows)
    }

    /// The returns of the given services for one quarter (a provider's few services).
    pub async fn services_returns_for(
        &self,
        service_ids: &[i64],
        year_start: i64,
        quarter: i64,
    ) -> Result<Vec<PerformanceReturn>, StoreError> {
        if service_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = crate::Params::default();
        let (y, q) = (p.next(), p.next());
        let ids = crate::placeholders(&mut p, service_ids.len());
        let sql = format!("SELECT * FROM performance_returns WHERE year_start = {y} AND quarter = {q} AND service_id IN ({ids}) ORDER BY service_id, id DESC");
        let mut query = sqlx::query(&sql).bind(year_start).bind(quarter);
        for id in service_ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        PerformanceReturn::from_rows(&rows)
    }

    /// Returns of an authority in the given statuses, oldest first (the checking queue).
    pub async fn returns_in(
        &self,
        authority_id: i64,
        statuses: &[&str],
    ) -> Result<Vec<PerformanceReturn>, StoreError> {
        let list = statuses
            .iter()
            .map(|s| format!("'{}'", s.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT * FROM performance_returns WHERE authority_id = $1 AND status IN ({list}) ORDER BY submitted_at, id"
        ))
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        PerformanceReturn::from_rows(&rows)
    }

    /// Client schedules of a service active at any time between two dates (inclusive).
    pub async fn count_schedules_between(
        &self,
        service_id: i64,
        start: &str,
        end: &str,
    ) -> Result<i64, StoreError> {
        crate::accounts::count_of(
            &sqlx::query("SELECT COUNT(*) AS n FROM client_schedules WHERE service_id = $1 AND start_date <= $3 AND (end_date IS NULL OR end_date >= $2)")
                .bind(service_id)
                .bind(start)
                .bind(end)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn triggers_of(&self, authority_id: i64) -> Result<Vec<TriggerRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM performance_triggers WHERE authority_id = $1 ORDER BY year_start, indicator, id")
            .bind(authority_id)
            .fetch_all(&self.pool)
            .await?;
        TriggerRow::from_rows(&rows)
    }
}

audited!(PerformanceReturn, PerformanceReturn, "performance_returns");

impl WriteTx {
    pub async fn insert_return(&mut self, r: &NewReturn) -> Result<PerformanceReturn, StoreError> {
        let values = Changes::new()
            .set("authority_id", r.authority_id)
            .set("provider_id", r.provider_id)
            .set("service_id", r.service_id)
            .set("year_start", r.year_start)
            .set("quarter", r.quarter)
            .set("status", "received")
            .set("source", r.source.clone())
            .set("figures_json", r.figures_json.clone())
            .set("comment", r.comment.clone())
            .set("replaces_id", r.replaces_id)
            .set("submitted_by_name", self.actor().name.clone())
            .set("submitted_at", self.at())
            .set("check_due", r.check_due.clone());
        self.create_as("submit", values).await
    }

    /// Moves a return to `status`, recording who checked it, remarks and (for the provider)
    /// an explanation; audited before and after.
    pub async fn update_return(
        &mut self,
        id: i64,
        status: &str,
        remarks: Option<&str>,
        explanation: Option<&str>,
        checked: bool,
    ) -> Result<Option<PerformanceReturn>, StoreError> {
        let Some(before) = self.current::<PerformanceReturn>(id).await? else {
            return Ok(None);
        };
        let mut values = Changes::new()
            .set("status", status)
            .set(
                "check_remarks",
                remarks.unwrap_or(&before.check_remarks).to_string(),
            )
            .set(
                "explanation",
                explanation.unwrap_or(&before.explanation).to_string(),
            );
        if checked {
            values = values
                .set("checked_by_name", self.actor().name.clone())
                .set("checked_at", self.at());
        }
        self.change(id, status, values).await
    }
}

impl WriteTx {
    /// Sets the trigger for (year, indicator, service type), replacing one set before.
    pub async fn set_trigger(
        &mut self,
        authority_id: i64,
        year_start: i64,
        indicator: &str,
        service_type: Option<&str>,
        kind: &str,
        value: f64,
    ) -> Result<TriggerRow, StoreError> {
        let existing = sqlx::query(
            "SELECT * FROM performance_triggers WHERE authority_id = $1 AND year_start = $2 AND indicator = $3 AND COALESCE(service_type, '') = $4",
        )
        .bind(authority_id)
        .bind(year_start)
        .bind(indicator)
        .bind(service_type.unwrap_or(""))
        .fetch_optional(&mut *self.tx)
        .await?;
        let before = existing.as_ref().map(TriggerRow::from_row).transpose()?;
        if let Some(b) = &before {
            sqlx::query("DELETE FROM performance_triggers WHERE id = $1")
                .bind(b.id)
                .execute(&mut *self.tx)
                .await?;
        }
        let row = sqlx::query(
            "INSERT INTO performance_triggers (authority_id, year_start, indicator, service_type, kind, value) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        )
        .bind(authority_id)
        .bind(year_start)
        .bind(indicator)
        .bind(service_type)
        .bind(kind)
        .bind(value)
        .fetch_one(&mut *self.tx)
        .await?;
        let after = TriggerRow::from_row(&row)?;
        self.audit(
            "set",
            crate::RecordType::Trigger,
            &after.id.to_string(),
            before.map(|b| b.to_json()).as_ref(),
            Some(&after.to_json()),
        )
        .await?;
        Ok(after)
    }
}
