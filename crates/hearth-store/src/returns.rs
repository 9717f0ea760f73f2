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
        // When a return sent back is due again (YYYY-MM-DD); None for others.
        resubmit_by: Option<String>,
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

    /// The returns of the given services from the financial year starting `from_year` on,
    /// in `authority_returns_since`'s order (a provider's returns overview: its own
    /// services' returns only, not the authority's).
    pub async fn services_returns_since(
        &self,
        service_ids: &[i64],
        from_year: i64,
    ) -> Result<Vec<PerformanceReturn>, StoreError> {
        if service_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = crate::Params::default();
        let y = p.next();
        let ids = crate::placeholders(&mut p, service_ids.len());
        let sql = format!("SELECT * FROM performance_returns WHERE year_start >= {y} AND service_id IN ({ids}) ORDER BY service_id, year_start DESC, quarter DESC, id DESC");
        let mut query = sqlx::query(&sql).bind(from_year);
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

    /// The date a return sent back to the provider is due again (None to clear it).
    pub async fn set_return_resubmit_by(
        &mut self,
        id: i64,
        date: Option<&str>,
    ) -> Result<Option<PerformanceReturn>, StoreError> {
        self.change::<PerformanceReturn>(
            id,
            "resubmit_by",
            Changes::new().set("resubmit_by", date.map(str::to_string)),
        )
        .await
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

record!(
    /// One of an authority's local indicators (`service_types`: a JSON list of service type
    /// codes, empty for every service).
    LocalIndicatorRow {
        id: i64,
        authority_id: i64,
        code: String,
        name: String,
        unit: String,
        service_types: String,
        higher_is_better: i64,
    }
);

record!(
    /// One service's extended due date for a quarter.
    ReturnExtension {
        id: i64,
        service_id: i64,
        year_start: i64,
        quarter: i64,
        due_date: String,
    }
);

record!(
    /// A reminder queued for a service's quarter (`kind`: before or after).
    ReturnReminder {
        id: i64,
        service_id: i64,
        year_start: i64,
        quarter: i64,
        kind: String,
        sent_on: String,
    }
);

record!(
    /// A workbook version issued for a service's year after V1.
    WorkbookVersionRow {
        id: i64,
        service_id: i64,
        year_start: i64,
        version: i64,
        from_quarter: i64,
        reason: String,
        issued_by: String,
        issued_on: String,
    }
);

/// A new workbook version.
#[derive(Debug, Clone, Default)]
pub struct NewWorkbookVersion {
    pub service_id: i64,
    pub year_start: i64,
    pub version: i64,
    pub from_quarter: i64,
    pub reason: String,
    pub issued_by: String,
    pub issued_on: String,
}

audited!(LocalIndicatorRow, LocalIndicator, "local_indicators");
audited!(ReturnExtension, ReturnExtension, "return_extensions");
audited!(ReturnReminder, ReturnReminder, "return_reminders");
audited!(WorkbookVersionRow, WorkbookVersion, "workbook_versions");

impl Db {
    /// An authority's local indicators, in the order they were defined.
    pub async fn local_indicators_of(
        &self,
        authority_id: i64,
    ) -> Result<Vec<LocalIndicatorRow>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM local_indicators WHERE authority_id = $1 ORDER BY id")
                .bind(authority_id)
                .fetch_all(&self.pool)
                .await?;
        LocalIndicatorRow::from_rows(&rows)
    }

    /// The extension granted to a service for a quarter, if any.
    pub async fn return_extension(
        &self,
        service_id: i64,
        year_start: i64,
        quarter: i64,
    ) -> Result<Option<ReturnExtension>, StoreError> {
        let row = sqlx::query("SELECT * FROM return_extensions WHERE service_id = $1 AND year_start = $2 AND quarter = $3")
            .bind(service_id)
            .bind(year_start)
            .bind(quarter)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ReturnExtension::from_row).transpose()
    }

    /// Every extension granted to the authority's services for a quarter, in one query.
    pub async fn return_extensions_for(
        &self,
        authority_id: i64,
        year_start: i64,
        quarter: i64,
    ) -> Result<Vec<ReturnExtension>, StoreError> {
        let rows = sqlx::query("SELECT e.* FROM return_extensions e JOIN services s ON s.id = e.service_id WHERE s.authority_id = $1 AND e.year_start = $2 AND e.quarter = $3 ORDER BY e.service_id")
            .bind(authority_id)
            .bind(year_start)
            .bind(quarter)
            .fetch_all(&self.pool)
            .await?;
        ReturnExtension::from_rows(&rows)
    }

    /// Extensions granted to an authority's services from the financial year starting
    /// `from_year` on.
    pub async fn return_extensions_since(
        &self,
        authority_id: i64,
        from_year: i64,
    ) -> Result<Vec<ReturnExtension>, StoreError> {
        let rows = sqlx::query("SELECT e.* FROM return_extensions e JOIN services s ON s.id = e.service_id WHERE s.authority_id = $1 AND e.year_start >= $2 ORDER BY e.service_id")
            .bind(authority_id)
            .bind(from_year)
            .fetch_all(&self.pool)
            .await?;
        ReturnExtension::from_rows(&rows)
    }

    /// The reminder of `kind` queued for a service's quarter, if one was.
    pub async fn return_reminder(
        &self,
        service_id: i64,
        year_start: i64,
        quarter: i64,
        kind: &str,
    ) -> Result<Option<ReturnReminder>, StoreError> {
        let row = sqlx::query("SELECT * FROM return_reminders WHERE service_id = $1 AND year_start = $2 AND quarter = $3 AND kind = $4")
            .bind(service_id)
            .bind(year_start)
            .bind(quarter)
            .bind(kind)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ReturnReminder::from_row).transpose()
    }

    /// The workbook versions issued for a service's year, oldest first.
    pub async fn workbook_versions_of(
        &self,
        service_id: i64,
        year_start: i64,
    ) -> Result<Vec<WorkbookVersionRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM workbook_versions WHERE service_id = $1 AND year_start = $2 ORDER BY version, id")
            .bind(service_id)
            .bind(year_start)
            .fetch_all(&self.pool)
            .await?;
        WorkbookVersionRow::from_rows(&rows)
    }
}

impl WriteTx {
    /// Adds a local indicator to the authority's list (a code is used once per authority).
    pub async fn insert_local_indicator(
        &mut self,
        authority_id: i64,
        code: &str,
        name: &str,
        unit: &str,
        service_types_json: &str,
        higher_is_better: bool,
    ) -> Result<LocalIndicatorRow, StoreError> {
        let values = Changes::new()
            .set("authority_id", authority_id)
            .set("code", code)
            .set("name", name)
            .set("unit", unit)
            .set("service_types", service_types_json)
            .set("higher_is_better", crate::flag(higher_is_better));
        self.create(values).await
    }

    /// Sets a service's extended due date for a quarter, replacing one granted before.
    pub async fn set_return_extension(
        &mut self,
        service_id: i64,
        year_start: i64,
        quarter: i64,
        due_date: &str,
    ) -> Result<ReturnExtension, StoreError> {
        let existing = sqlx::query("SELECT id FROM return_extensions WHERE service_id = $1 AND year_start = $2 AND quarter = $3")
            .bind(service_id)
            .bind(year_start)
            .bind(quarter)
            .fetch_optional(&mut *self.tx)
            .await?;
        if let Some(row) = existing {
            let id: i64 = sqlx::Row::try_get(&row, "id")?;
            if let Some(changed) = self
                .change::<ReturnExtension>(id, "set", Changes::new().set("due_date", due_date))
                .await?
            {
                return Ok(changed);
            }
        }
        let values = Changes::new()
            .set("service_id", service_id)
            .set("year_start", year_start)
            .set("quarter", quarter)
            .set("due_date", due_date);
        self.create_as("set", values).await
    }

    /// Records that a reminder was queued for a service's quarter.
    pub async fn insert_return_reminder(
        &mut self,
        service_id: i64,
        year_start: i64,
        quarter: i64,
        kind: &str,
        sent_on: &str,
    ) -> Result<ReturnReminder, StoreError> {
        let values = Changes::new()
            .set("service_id", service_id)
            .set("year_start", year_start)
            .set("quarter", quarter)
            .set("kind", kind)
            .set("sent_on", sent_on);
        self.create(values).await
    }

    pub async fn insert_workbook_version(
        &mut self,
        v: &NewWorkbookVersion,
    ) -> Result<WorkbookVersionRow, StoreError> {
        let values = Changes::new()
            .set("service_id", v.service_id)
            .set("year_start", v.year_start)
            .set("version", v.version)
            .set("from_quarter", v.from_quarter)
            .set("reason", v.reason.clone())
            .set("issued_by", v.issued_by.clone())
            .set("issued_on", v.issued_on.clone());
        self.create(values).await
    }
}

/// Migration 12's step: the settings rows that were records (`local_indicators:`,
/// `extension:`, `reminder:`, `workbook_versions:`) become rows of their tables and are
/// removed. A row whose key or value cannot be read, or whose authority or service is gone,
/// is left in `settings` as it was.
pub(crate) async fn carry_over_settings(conn: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
    use serde_json::Value;
    use sqlx::Row;
    let rows = sqlx::query("SELECT name, value FROM settings WHERE name LIKE 'local\\_indicators:%' ESCAPE '\\' OR name LIKE 'extension:%' OR name LIKE 'reminder:%' OR name LIKE 'workbook\\_versions:%' ESCAPE '\\' ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    let quarter_of = |label: &str| {
        hearth_domain::performance::Quarter::parse(label)
            .ok()
            .map(|q| (i64::from(q.year().start_year), i64::from(q.number())))
    };
    for row in rows {
        let name: String = row.try_get("name")?;
        let value: String = row.try_get("value")?;
        // Each insert is a list of (SQL, binds); all or nothing for one setting.
        let mut inserts: Vec<(&str, Vec<sea_query::Value>)> = Vec::new();
        let (parent_sql, parent_id) = if let Some(aid) = name.strip_prefix("local_indicators:") {
            let Ok(aid) = aid.parse::<i64>() else {
                continue;
            };
            let Ok(Value::Array(list)) = serde_json::from_str::<Value>(&value) else {
                continue;
            };
            for li in list {
                let (Some(code), Some(n), Some(unit)) = (
                    li.get("code").and_then(Value::as_str),
                    li.get("name").and_then(Value::as_str),
                    li.get("unit").and_then(Value::as_str),
                ) else {
                    continue;
                };
                let types = li
                    .get("service_types")
                    .cloned()
                    .unwrap_or(Value::Array(Vec::new()));
                let better = li
                    .get("higher_is_better")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                inserts.push((
                    "INSERT INTO local_indicators (authority_id, code, name, unit, service_types, higher_is_better) VALUES ($1, $2, $3, $4, $5, $6)",
                    vec![aid.into(), code.into(), n.into(), unit.into(), types.to_string().into(), crate::flag(better).into()],
                ));
            }
            ("SELECT id FROM authorities WHERE id = $1", aid)
        } else if let Some(rest) = name.strip_prefix("extension:") {
            let Some((sid, label)) = rest.split_once(':') else {
                continue;
            };
            let (Ok(sid), Some((year, q))) = (sid.parse::<i64>(), quarter_of(label)) else {
                continue;
            };
            inserts.push((
                "INSERT INTO return_extensions (service_id, year_start, quarter, due_date) VALUES ($1, $2, $3, $4)",
                vec![sid.into(), year.into(), q.into(), value.clone().into()],
            ));
            ("SELECT id FROM services WHERE id = $1", sid)
        } else if let Some(rest) = name.strip_prefix("reminder:") {
            let Some((rest, kind)) = rest.rsplit_once(':') else {
                continue;
            };
            let Some((sid, label)) = rest.split_once(':') else {
                continue;
            };
            let (Ok(sid), Some((year, q))) = (sid.parse::<i64>(), quarter_of(label)) else {
                continue;
            };
            inserts.push((
                "INSERT INTO return_reminders (service_id, year_start, quarter, kind, sent_on) VALUES ($1, $2, $3, $4, $5)",
                vec![sid.into(), year.into(), q.into(), kind.into(), value.clone().into()],
            ));
            ("SELECT id FROM services WHERE id = $1", sid)
        } else if let Some(rest) = name.strip_prefix("workbook_versions:") {
            let Some((sid, year)) = rest.split_once(':') else {
                continue;
            };
            let (Ok(sid), Ok(year)) = (sid.parse::<i64>(), year.parse::<i64>()) else {
                continue;
            };
            let Ok(Value::Array(list)) = serde_json::from_str::<Value>(&value) else {
                continue;
            };
            for v in list {
                let (Some(version), Some(from)) = (
                    v.get("version").and_then(Value::as_i64),
                    v.get("from_quarter").and_then(Value::as_i64),
                ) else {
                    continue;
                };
                let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                inserts.push((
                    "INSERT INTO workbook_versions (service_id, year_start, version, from_quarter, reason, issued_by, issued_on) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    vec![sid.into(), year.into(), version.into(), from.into(), text("reason").into(), text("issued_by").into(), text("issued_on").into()],
                ));
            }
            ("SELECT id FROM services WHERE id = $1", sid)
        } else {
            continue;
        };
        if sqlx::query(parent_sql)
            .bind(parent_id)
            .fetch_optional(&mut *conn)
            .await?
            .is_none()
        {
            continue;
        }
        for (sql, binds) in inserts {
            let mut q = sqlx::query(sql);
            for b in binds {
                q = match b {
                    sea_query::Value::BigInt(v) => q.bind(v),
                    sea_query::Value::String(v) => q.bind(v.map(|s| *s)),
                    _ => q,
                };
            }
            q.execute(&mut *conn).await?;
        }
        sqlx::query("DELETE FROM settings WHERE name = $1")
            .bind(name)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
