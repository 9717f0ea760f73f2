//! Requests: provider submissions waiting for the commissioning team (F3.4), and the
//! schedule and service changes that approving them applies.

use crate::accounts::count_of;
use crate::query::{col, one_of};
use crate::write::{audited, Changes};
use crate::{record, Db, StoreError, WriteTx};
use sea_query::{Condition, Order};

record!(
    /// A provider's submission.
    Request {
        id: i64,
        authority_id: i64,
        provider_id: i64,
        service_id: Option<i64>,
        kind: String,
        status: String,
        summary: String,
        payload_json: String,
        base_json: Option<String>,
        comment: String,
        remarks: String,
        submitted_by: Option<i64>,
        submitted_by_name: String,
        submitted_at: i64,
        decided_by: Option<i64>,
        decided_by_name: Option<String>,
        decided_at: Option<i64>,
        result_record: Option<String>,
    }
);

/// A new request.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    pub authority_id: i64,
    pub provider_id: i64,
    pub service_id: Option<i64>,
    pub kind: String,
    pub summary: String,
    pub payload: serde_json::Value,
    pub base: Option<serde_json::Value>,
    pub comment: String,
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub authority_id: Option<i64>,
    pub provider_id: Option<i64>,
    /// Only requests about these services (limited access); None = all.
    pub service_ids: Option<Vec<i64>>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub submitted_after: Option<i64>,
    pub submitted_before: Option<i64>,
    pub limit: i64,
}

record!(
    /// One client schedule with its client, for updating.
    ScheduleDetail {
        id: i64,
        client_id: i64,
        service_id: i64,
        level: String,
        units_per_week: i64,
        start_date: String,
        end_date: Option<String>,
        end_reason: Option<String>,
        tenancy_reference: String,
        property_id: Option<i64>,
        title: String,
        first_name: String,
        last_name: String,
        date_of_birth: Option<String>,
        ni_number: Option<String>,
        hb_number: Option<String>,
    }
);

impl ScheduleDetail {
    /// The values a change request is made against.
    pub fn base(&self) -> serde_json::Value {
        serde_json::json!({
            "level": self.level, "units_per_week": self.units_per_week, "start_date": self.start_date,
            "end_date": self.end_date, "end_reason": self.end_reason, "tenancy_reference": self.tenancy_reference,
        })
    }
}

const SCHEDULE_DETAIL: &str = "SELECT s.id, s.client_id, s.service_id, s.level, s.units_per_week, s.start_date, s.end_date, s.end_reason,
    s.tenancy_reference, s.property_id, c.title, c.first_name, c.last_name, c.date_of_birth, c.ni_number, c.hb_number
    FROM client_schedules s JOIN clients c ON c.id = s.client_id";

impl Db {
    pub async fn request(&self, id: i64) -> Result<Option<Request>, StoreError> {
        let row = sqlx::query("SELECT * FROM requests WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Request::from_row).transpose()
    }

    pub async fn list_requests(&self, f: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let order = [("submitted_at", Order::Desc), ("id", Order::Desc)];
        let limit = if f.limit <= 0 { 500 } else { f.limit };
        self.rows_where("requests", f.condition(), &order, limit, 0)
            .await
    }

    /// How many requests match (the home pages' counts: no rows read).
    pub async fn count_requests(&self, f: &RequestFilter) -> Result<i64, StoreError> {
        self.count_where("requests", f.condition()).await
    }

    /// Pending requests about a service (the "n pending" beside its schedules).
    pub async fn count_pending_requests(
        &self,
        provider_id: i64,
        authority_id: i64,
        service_ids: Option<&[i64]>,
    ) -> Result<i64, StoreError> {
        let f = RequestFilter {
            authority_id: Some(authority_id),
            provider_id: Some(provider_id),
            service_ids: service_ids.map(|s| s.to_vec()),
            status: Some("pending".into()),
            limit: 100_000,
            ..Default::default()
        };
        self.count_requests(&f).await
    }

    pub async fn schedule_detail(&self, id: i64) -> Result<Option<ScheduleDetail>, StoreError> {
        let row = sqlx::query(&format!("{SCHEDULE_DETAIL} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ScheduleDetail::from_row).transpose()
    }

    /// Schedules of a client (all services), oldest first.
    pub async fn client_schedules(
        &self,
        client_id: i64,
    ) -> Result<Vec<ScheduleDetail>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SCHEDULE_DETAIL} WHERE s.client_id = $1 ORDER BY s.start_date, s.id"
        ))
        .bind(client_id)
        .fetch_all(&self.pool)
        .await?;
        ScheduleDetail::from_rows(&rows)
    }

    /// An earlier client of the authority with this NI or housing benefit number, or with the
    /// same names and date of birth.
    /// Clients of the authority who may be the person described: the same NI or housing
    /// benefit number, or the same names and date of birth (at most 20, oldest first). Whether
    /// one is the same person is the domain's rule (`hearth_domain::clients::same_person`).
    pub async fn returning_client_candidates(
        &self,
        authority_id: i64,
        ni_number: Option<&str>,
        hb_number: Option<&str>,
        first_name: &str,
        last_name: &str,
        date_of_birth: Option<&str>,
    ) -> Result<Vec<crate::Client>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM clients WHERE authority_id = $1 AND (
                ($2 <> '' AND ni_number = $2) OR ($3 <> '' AND hb_number = $3)
                OR ($6 <> '' AND LOWER(first_name) = LOWER($4) AND LOWER(last_name) = LOWER($5) AND date_of_birth = $6)
             ) ORDER BY id LIMIT 20",
        )
        .bind(authority_id)
        .bind(ni_number.unwrap_or(""))
        .bind(hb_number.unwrap_or(""))
        .bind(first_name)
        .bind(last_name)
        .bind(date_of_birth.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        crate::Client::from_rows(&rows)
    }

    /// Whether a client already has a schedule on the service overlapping [start, end].
    pub async fn overlapping_schedule(
        &self,
        client_id: i64,
        service_id: i64,
        start: &str,
        end: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = count_of(
            &sqlx::query(
                "SELECT COUNT(*) AS n FROM client_schedules WHERE client_id = $1 AND service_id = $2
                 AND (end_date IS NULL OR end_date >= $3) AND ($4 = '' OR start_date <= $4)",
            )
            .bind(client_id)
            .bind(service_id)
            .bind(start)
            .bind(end.unwrap_or(""))
            .fetch_one(&self.pool)
            .await?,
        )?;
        Ok(n > 0)
    }
}

audited!(Request, Request, "requests");

impl WriteTx {
    pub async fn insert_request(&mut self, r: &NewRequest) -> Result<Request, StoreError> {
        let actor = self.actor().clone();
        let values = Changes::new()
            .set("authority_id", r.authority_id)
            .set("provider_id", r.provider_id)
            .set("service_id", r.service_id)
            .set("kind", r.kind.clone())
            .set("status", "pending")
            .set("summary", r.summary.clone())
            .set("payload_json", r.payload.to_string())
            .set("base_json", r.base.as_ref().map(|b| b.to_string()))
            .set("comment", r.comment.clone())
            .set("submitted_by", actor.user_id)
            .set("submitted_by_name", actor.name)
            .set("submitted_at", self.at());
        self.create_as("submit", values).await
    }

    /// Marks a pending request approved or rejected. None if it was not pending (someone
    /// else decided it first).
    pub async fn decide_request(
        &mut self,
        id: i64,
        status: &str,
        remarks: &str,
        result: Option<&str>,
    ) -> Result<Option<Request>, StoreError> {
        match self.current::<Request>(id).await? {
            Some(r) if r.status == "pending" => {}
            _ => return Ok(None),
        }
        let actor = self.actor().clone();
        let values = Changes::new()
            .set("status", status)
            .set("remarks", remarks)
            .set("decided_by", actor.user_id)
            .set("decided_by_name", actor.name)
            .set("decided_at", self.at())
            .set("result_record", result.map(str::to_string));
        self.change(id, status, values).await
    }

    pub async fn schedule_detail_for_update(
        &mut self,
        id: i64,
    ) -> Result<Option<ScheduleDetail>, StoreError> {
        // Locks the schedule row (not the client's) on PostgreSQL.
        let lock = match self.lock_clause() {
            "" => "",
            _ => " FOR UPDATE OF s",
        };
        let row = sqlx::query(&format!("{SCHEDULE_DETAIL} WHERE s.id = $1{lock}"))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(ScheduleDetail::from_row).transpose()
    }

    /// Changes a schedule's level, units, end date and reason; audited with before and after.
    pub async fn update_schedule(
        &mut self,
        id: i64,
        level: &str,
        units_per_week: i64,
        end_date: Option<&str>,
        end_reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let Some(before) = self.schedule_detail_for_update(id).await? else {
            return Ok(());
        };
        sqlx::query("UPDATE client_schedules SET level = $2, units_per_week = $3, end_date = $4, end_reason = $5, updated_at = $6 WHERE id = $1")
            .bind(id)
            .bind(level)
            .bind(units_per_week)
            .bind(end_date)
            .bind(end_reason)
            .bind(self.at())
            .execute(&mut *self.tx)
            .await?;
        let after = self.schedule_detail_for_update(id).await?.map(|a| a.base());
        self.audit(
            "update",
            crate::RecordType::ClientSchedule,
            &id.to_string(),
            Some(&before.base()),
            after.as_ref(),
        )
        .await?;
        Ok(())
    }

    /// Sets the schedule's tenancy reference and property (new schedules from requests).
    pub async fn set_schedule_extras(
        &mut self,
        id: i64,
        tenancy_reference: &str,
        property_id: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE client_schedules SET tenancy_reference = $2, property_id = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(tenancy_reference)
        .bind(property_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Sets or clears a service's available places (no approval needed, F3.5).
    pub async fn set_available_places(
        &mut self,
        service_id: i64,
        places: Option<i64>,
    ) -> Result<(), StoreError> {
        use sqlx::Row;
        let Some(row) = sqlx::query(
            "SELECT available_places, available_places_updated_at FROM services WHERE id = $1",
        )
        .bind(service_id)
        .fetch_optional(&mut *self.tx)
        .await?
        else {
            return Ok(());
        };
        let before: Option<i64> = row.try_get("available_places")?;
        sqlx::query("UPDATE services SET available_places = $2, available_places_updated_at = $3 WHERE id = $1")
            .bind(service_id)
            .bind(places)
            .bind(self.at())
            .execute(&mut *self.tx)
            .await?;
        self.audit(
            "set_available_places",
            crate::RecordType::Service,
            &service_id.to_string(),
            Some(&serde_json::json!({ "available_places": before })),
            Some(&serde_json::json!({ "available_places": places })),
        )
        .await
    }

    /// Applies directory details (F3.5) to a service.
    pub async fn update_service_details(
        &mut self,
        service_id: i64,
        d: &ServiceDetails,
    ) -> Result<(), StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(());
        };
        let before = crate::Service::from_row(&row)?;
        sqlx::query(
            "UPDATE services SET public_name = $2, description = $3, languages = $4, religions = $5, tenure = $6, rural_urban = $7,
                emergency_referrals = $8, interpreter = $9, visual_impairment_support = $10, waiting_list = $11, support_tasks = $12,
                referral_routes = $13, updated_at = $14, household_types = $15, age_groups = $16, exclusions = $17,
                accommodation_type = $18, ethnicity_focus = $19, contact_phone = $20, contact_email = $21, website = $22, accessibility = $23,
                hearing_impairment_support = $24, eligibility = $25
             WHERE id = $1",
        )
        .bind(service_id)
        .bind(d.public_name.clone())
        .bind(d.description.clone())
        .bind(d.languages.clone())
        .bind(d.religions.clone())
        .bind(d.tenure.clone())
        .bind(d.rural_urban.clone())
        .bind(i64::from(d.emergency_referrals))
        .bind(i64::from(d.interpreter))
        .bind(i64::from(d.visual_impairment_support))
        .bind(i64::from(d.waiting_list))
        .bind(d.support_tasks.clone())
        .bind(d.referral_routes.clone())
        .bind(self.at())
        .bind(d.household_types.clone())
        .bind(d.age_groups.clone())
        .bind(d.exclusions.clone())
        .bind(d.accommodation_type.clone())
        .bind(d.ethnicity_focus.clone())
        .bind(d.contact_phone.clone())
        .bind(d.contact_email.clone())
        .bind(d.website.clone())
        .bind(d.accessibility.clone())
        .bind(i64::from(d.hearing_impairment_support))
        .bind(d.eligibility.clone())
        .execute(&mut *self.tx)
        .await?;
        let row = sqlx::query("SELECT * FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let after = crate::Service::from_row(&row)?;
        self.audit(
            "update_details",
            crate::RecordType::Service,
            &service_id.to_string(),
            Some(&before.to_json()),
            Some(&after.to_json()),
        )
        .await
    }

    /// Reads a service inside the transaction (conflict checks).
    pub async fn service_for_update(
        &mut self,
        id: i64,
    ) -> Result<Option<crate::Service>, StoreError> {
        let sql = format!("SELECT * FROM services WHERE id = $1{}", self.lock_clause());
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(crate::Service::from_row).transpose()
    }

    /// A property read inside the transaction (locked on PostgreSQL), to compare with a
    /// request's base before applying it.
    pub async fn property_for_update(
        &mut self,
        id: i64,
    ) -> Result<Option<crate::Property>, StoreError> {
        let sql = format!(
            "SELECT * FROM properties WHERE id = $1{}",
            self.lock_clause()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(crate::Property::from_row).transpose()
    }
}

/// Directory details of a service that change by request (F3.5).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ServiceDetails {
    pub public_name: String,
    pub description: String,
    pub languages: String,
    pub religions: String,
    pub tenure: String,
    pub rural_urban: String,
    pub emergency_referrals: bool,
    pub interpreter: bool,
    /// Support for people with a visual impairment.
    #[serde(default)]
    pub visual_impairment_support: bool,
    /// Support for people with a hearing impairment.
    #[serde(default)]
    pub hearing_impairment_support: bool,
    pub waiting_list: bool,
    pub support_tasks: String,
    pub referral_routes: String,
    #[serde(default)]
    pub household_types: String,
    #[serde(default)]
    pub age_groups: String,
    #[serde(default)]
    pub exclusions: String,
    #[serde(default)]
    pub accommodation_type: String,
    #[serde(default)]
    pub ethnicity_focus: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub accessibility: String,
    /// Who the service is for and who it cannot take (shown in the directory).
    #[serde(default)]
    pub eligibility: String,
}

impl ServiceDetails {
    pub fn of(s: &crate::Service) -> ServiceDetails {
        ServiceDetails {
            public_name: s.public_name.clone(),
            description: s.description.clone(),
            languages: s.languages.clone(),
            religions: s.religions.clone(),
            tenure: s.tenure.clone(),
            rural_urban: s.rural_urban.clone(),
            emergency_referrals: s.emergency_referrals != 0,
            interpreter: s.interpreter != 0,
            visual_impairment_support: s.visual_impairment_support != 0,
            hearing_impairment_support: s.hearing_impairment_support != 0,
            waiting_list: s.waiting_list != 0,
            support_tasks: s.support_tasks.clone(),
            referral_routes: s.referral_routes.clone(),
            household_types: s.household_types.clone(),
            age_groups: s.age_groups.clone(),
            exclusions: s.exclusions.clone(),
            accommodation_type: s.accommodation_type.clone(),
            ethnicity_focus: s.ethnicity_focus.clone(),
            contact_phone: s.contact_phone.clone(),
            contact_email: s.contact_email.clone(),
            website: s.website.clone(),
            accessibility: s.accessibility.clone(),
            eligibility: s.eligibility.clone(),
        }
    }
}

impl RequestFilter {
    fn condition(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(a) = self.authority_id {
            c = c.add(col("authority_id").eq(a));
        }
        if let Some(p) = self.provider_id {
            c = c.add(col("provider_id").eq(p));
        }
        if let Some(ids) = &self.service_ids {
            c = c.add(one_of("service_id", ids));
        }
        if let Some(st) = &self.status {
            c = c.add(col("status").eq(st.clone()));
        }
        if let Some(k) = &self.kind {
            c = c.add(col("kind").eq(k.clone()));
        }
        if let Some(t) = self.submitted_after {
            c = c.add(col("submitted_at").gte(t));
        }
        if let Some(t) = self.submitted_before {
            c = c.add(col("submitted_at").lt(t));
        }
        c
    }
}
