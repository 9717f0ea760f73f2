//! Provider submissions and the commissioning team's approvals (F3.1 to F3.5): new client
//! schedules (with returning clients), schedule updates and changes of service, service
//! details; available places save at once. Nothing a provider submits changes the
//! authority's records until approved; approval applies the change and its audit entry in
//! one transaction, and refuses to overwrite a record that changed since the request.

use crate::error::ConflictCode;
use hearth_domain::{parse_date, EndReason, HousingBenefitNumber, NiNumber, Postcode, Term, Uprn};
use hearth_store::{
    ClientFields, NewRequest, RequestFilter, ScheduleDetail, ScheduleFields, Service,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{App, AppError, FieldErrors, Permission, Principal};

/// A provider's request, and the directory details a service-details request carries: the
/// records these use cases take and return.
pub use hearth_store::{Request, ServiceDetails};

use hearth_domain::workflow::requests as flow;

/// Where the team's decision takes the request (the workflow is
/// `hearth_domain::workflow::requests`; only the team reaches the use cases that decide).
fn decision(r: &Request, event: flow::Event, remarks: &str) -> Result<flow::Status, AppError> {
    let from = flow::Status::parse(&r.status)
        .ok_or_else(|| AppError::Internal(format!("unknown request status {:?}", r.status)))?;
    flow::next(from, event, flow::Actor::Team, !remarks.trim().is_empty())
        .map_err(|r| AppError::refused(r, ConflictCode::AlreadyDecided))
}

pub const KIND_NEW_SCHEDULE: &str = "new_schedule";
pub const KIND_UPDATE_SCHEDULE: &str = "update_schedule";
pub const KIND_CHANGE_SERVICE: &str = "change_service";
pub const KIND_SERVICE_DETAILS: &str = "service_details";

/// Human name of a request kind.
pub fn kind_label(kind: &str) -> &'static str {
    use crate::portal::*;
    match kind {
        KIND_CONTACT_ADD => "New contact",
        KIND_CONTACT_EDIT => "Contact change",
        KIND_CONTACT_DEACTIVATE => "Deactivate contact",
        KIND_ASSIGNMENT_ADD => "New assignment",
        KIND_ASSIGNMENT_REMOVE => "Assignment removed",
        KIND_LOGIN_REQUEST => "Login request",
        KIND_NEW_SCHEDULE => "New client schedule",
        KIND_UPDATE_SCHEDULE => "Update client schedule",
        KIND_CHANGE_SERVICE => "Change of service",
        KIND_SERVICE_DETAILS => "Service details",
        _ => "Request",
    }
}

pub const KINDS: &[&str] = &[
    KIND_NEW_SCHEDULE,
    KIND_UPDATE_SCHEDULE,
    KIND_CHANGE_SERVICE,
    KIND_SERVICE_DETAILS,
    crate::portal::KIND_CONTACT_ADD,
    crate::portal::KIND_CONTACT_EDIT,
    crate::portal::KIND_CONTACT_DEACTIVATE,
    crate::portal::KIND_ASSIGNMENT_ADD,
    crate::portal::KIND_ASSIGNMENT_REMOVE,
    crate::portal::KIND_LOGIN_REQUEST,
];

/// The "request a new schedule" form (every field of the source form).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NewScheduleInput {
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub property_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub ethnicity: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub address2: String,
    #[serde(default)]
    pub town: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub uprn: String,
    #[serde(default)]
    pub ni_number: String,
    #[serde(default)]
    pub hb_number: String,
    #[serde(default)]
    pub tenancy_reference: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub units_per_week: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub returning: Option<String>,
    /// The form's "copy address from property" button (fills the address, sends nothing).
    #[serde(default, skip_serializing)]
    pub copy_property: Option<String>,
}

/// The "update schedule" form: end it, change its details, or move the client to another service.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct UpdateScheduleInput {
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub units_per_week: String,
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub end_reason: String,
    /// For a change of service: the service the client moves to.
    #[serde(default)]
    pub new_service_id: String,
    #[serde(default)]
    pub comment: String,
}

/// One line of "what this request changes".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub label: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Filter of the request lists.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RequestQuery {
    /// Provider view: the past N months.
    #[serde(default)]
    pub months: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub provider: Option<i64>,
    /// Queue: only requests older than this many days.
    #[serde(default)]
    pub older_than_days: Option<i64>,
}

/// "2026-12-01" as "1 Dec 2026".
fn nice_date(d: &str) -> String {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_else(|_| d.to_string())
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn units(e: &mut FieldErrors, field: &str, v: &str) -> i64 {
    match v.trim().parse::<i64>() {
        Ok(n) if (0..=168).contains(&n) => n,
        _ => {
            e.add(
                field,
                "Enter the estimated units per week as a whole number from 0 to 168",
            );
            0
        }
    }
}

impl App {
    fn require_provider(&self, who: &Principal) -> Result<(i64, i64), AppError> {
        match who {
            Principal::Provider {
                provider_id,
                authority_id,
                ..
            } => Ok((*provider_id, *authority_id)),
            Principal::Staff { .. } | Principal::System { .. } => Err(AppError::NotFound),
        }
    }

    /// Properties of a service (for "copy address from property").
    pub async fn service_properties(
        &self,
        who: &Principal,
        service_id: i64,
    ) -> Result<Vec<hearth_store::Property>, AppError> {
        let s = self.service(who, service_id).await?;
        let mut f = who.service_filter();
        f.only_ids = Some(vec![s.id]);
        f.per_page = 1000;
        Ok(self.db.list_properties(&f).await?.items)
    }

    /// Submits a request for a new client schedule (F3.2).
    pub async fn request_new_schedule(
        &self,
        who: &Principal,
        service_id: i64,
        input: &NewScheduleInput,
    ) -> Result<Request, AppError> {
        let (provider_id, authority_id) = self.require_provider(who)?;
        let service = self.service(who, service_id).await?;
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        if input.first_name.trim().is_empty() {
            e.add("first_name", "Enter the client's forename");
        }
        if input.last_name.trim().is_empty() {
            e.add("last_name", "Enter the client's surname");
        }
        let dob = match opt(&input.date_of_birth) {
            Some(d) => match parse_date(&d) {
                Ok(d) if d > self.today() => {
                    e.add("date_of_birth", "Date of birth must be in the past");
                    None
                }
                Ok(d) => Some(d.to_string()),
                Err(err) => {
                    e.add("date_of_birth", err.message);
                    None
                }
            },
            None => None,
        };
        let postcode = opt(&input.postcode).and_then(|p| {
            e.check("postcode", Postcode::parse(&p))
                .map(|p| p.to_string())
        });
        let uprn =
            opt(&input.uprn).and_then(|p| e.check("uprn", Uprn::parse(&p)).map(|p| p.to_string()));
        let ni = opt(&input.ni_number).and_then(|p| {
            e.check("ni_number", NiNumber::parse(&p))
                .map(|p| p.to_string())
        });
        let hb = opt(&input.hb_number).and_then(|p| {
            e.check("hb_number", HousingBenefitNumber::parse(&p))
                .map(|p| p.to_string())
        });
        if service.term == Term::Long.as_str()
            && opt(&input.hb_number).is_none()
            && opt(&input.ni_number).is_none()
        {
            e.add(
                "hb_number",
                "This is a long-term service: enter the client's housing benefit number or, if they do not have one, their National Insurance number",
            );
        }
        let start = match opt(&input.start_date) {
            Some(d) => e.check("start_date", parse_date(&d)),
            None => {
                e.add("start_date", "Enter the start date");
                None
            }
        };
        let units_per_week = units(&mut e, "units_per_week", &input.units_per_week);
        let property_id = match opt(&input.property_id) {
            Some(p) => {
                let props = self.service_properties(who, service_id).await?;
                match p
                    .parse::<i64>()
                    .ok()
                    .filter(|id| props.iter().any(|x| x.id == *id))
                {
                    Some(id) => Some(id),
                    None => {
                        e.add("property_id", "Select a property of this service");
                        None
                    }
                }
            }
            None => None,
        };
        e.clone().into_result()?;
        let start = start.map(|d| d.to_string()).unwrap_or_default();
        // A returning client keeps their original client ID.
        let keys = hearth_domain::clients::PersonKeys {
            ni_number: ni.as_deref(),
            hb_number: hb.as_deref(),
            first_name: input.first_name.trim(),
            last_name: input.last_name.trim(),
            date_of_birth: dob.as_deref(),
        };
        let returning = self
            .db
            .returning_client_candidates(
                authority_id,
                keys.ni_number,
                keys.hb_number,
                keys.first_name,
                keys.last_name,
                keys.date_of_birth,
            )
            .await?
            .into_iter()
            .find(|c| {
                hearth_domain::clients::same_person(
                    &keys,
                    &hearth_domain::clients::PersonKeys {
                        ni_number: c.ni_number.as_deref(),
                        hb_number: c.hb_number.as_deref(),
                        first_name: &c.first_name,
                        last_name: &c.last_name,
                        date_of_birth: c.date_of_birth.as_deref(),
                    },
                )
            });
        if input.returning.is_some() && returning.is_none() {
            return Err(AppError::invalid(
                "returning",
                "No earlier client matches these details: check the NI number, housing benefit number or the names and date of birth",
            ));
        }
        if let Some(c) = &returning {
            if self
                .db
                .overlapping_schedule(c.id, service_id, &start, None)
                .await?
            {
                return Err(AppError::invalid(
                    "start_date",
                    "This client is already scheduled on this service over these dates",
                ));
            }
        }
        let client = json!({
            "title": input.title.trim(), "first_name": input.first_name.trim(), "last_name": input.last_name.trim(),
            "date_of_birth": dob, "ethnicity": input.ethnicity.trim(), "address": input.address.trim(),
            "address2": input.address2.trim(), "town": input.town.trim(), "postcode": postcode, "uprn": uprn,
            "ni_number": ni, "hb_number": hb,
        });
        let payload = json!({
            "client": client,
            "returning_client_id": returning.as_ref().map(|c| c.id),
            "schedule": {
                "service_id": service_id, "level": input.level.trim(), "units_per_week": units_per_week,
                "start_date": start, "tenancy_reference": input.tenancy_reference.trim(), "property_id": property_id,
            },
        });
        let summary = format!(
            "{} {}{} from {}",
            input.first_name.trim(),
            input.last_name.trim(),
            if returning.is_some() {
                " (returning client)"
            } else {
                ""
            },
            nice_date(&start)
        );
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .insert_request(&NewRequest {
                authority_id,
                provider_id,
                service_id: Some(service_id),
                kind: KIND_NEW_SCHEDULE.into(),
                summary,
                payload,
                base: None,
                comment: input.comment.trim().to_string(),
            })
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// One schedule, if its service is in the principal's scope.
    pub async fn schedule(
        &self,
        who: &Principal,
        schedule_id: i64,
    ) -> Result<(ScheduleDetail, Service), AppError> {
        let Some(s) = self.db.schedule_detail(schedule_id).await? else {
            return Err(AppError::NotFound);
        };
        let service = self.service(who, s.service_id).await?;
        Ok((s, service))
    }

    /// A client's schedules on services the principal may see, with the service's name.
    pub async fn client_history(
        &self,
        who: &Principal,
        client_id: i64,
    ) -> Result<Vec<(ScheduleDetail, String)>, AppError> {
        let mut out = Vec::new();
        for s in self.db.client_schedules(client_id).await? {
            match self.service(who, s.service_id).await {
                Ok(service) => out.push((s, service.name)),
                Err(AppError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Submits an update of a schedule (F3.3): change level or units, end it with a date and a
    /// reason, or (with a new service) a change of service, which ends this schedule and
    /// requests the new one as one request.
    pub async fn request_schedule_update(
        &self,
        who: &Principal,
        schedule_id: i64,
        input: &UpdateScheduleInput,
    ) -> Result<Request, AppError> {
        let (provider_id, authority_id) = self.require_provider(who)?;
        let (current, service) = self.schedule(who, schedule_id).await?;
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let units_per_week = units(&mut e, "units_per_week", &input.units_per_week);
        let end = match opt(&input.end_date) {
            Some(d) => match parse_date(&d) {
                Ok(d) if d.to_string() < current.start_date => {
                    e.add(
                        "end_date",
                        "The end date must be on or after the start date",
                    );
                    None
                }
                Ok(d) => Some(d.to_string()),
                Err(err) => {
                    e.add("end_date", err.message);
                    None
                }
            },
            None => None,
        };
        let new_service = match opt(&input.new_service_id) {
            Some(id) => match id.parse::<i64>() {
                Ok(id) if id != service.id => match self.service(who, id).await {
                    Ok(s) if s.provider_id == provider_id => Some(s),
                    _ => {
                        e.add(
                            "new_service_id",
                            "Select another service of your organisation",
                        );
                        None
                    }
                },
                _ => {
                    e.add(
                        "new_service_id",
                        "Select another service of your organisation",
                    );
                    None
                }
            },
            None => None,
        };
        let reason = match opt(&input.end_reason) {
            Some(r) => e.check("end_reason", EndReason::parse(&r)),
            None => None,
        };
        if new_service.is_some() {
            if end.is_none() && !e.0.iter().any(|(f, _)| f == "end_date") {
                e.add("end_date", "Enter the date the client leaves this service");
            }
        } else if end.is_some() && reason.is_none() && !e.0.iter().any(|(f, _)| f == "end_reason") {
            e.add("end_reason", "Select the reason the schedule ends");
        } else if end.is_none() && reason.is_some() {
            e.add("end_date", "Enter the end date");
        }
        e.into_result()?;
        if new_service.is_none()
            && end == current.end_date
            && reason.map(|r| r.as_str().to_string()) == current.end_reason
            && units_per_week == current.units_per_week
            && input.level.trim() == current.level
        {
            return Err(AppError::invalid("units_per_week", "Nothing has changed"));
        }
        let name = format!("{} {}", current.first_name, current.last_name);
        let (kind, payload, summary) = match &new_service {
            Some(ns) => {
                let end = end.clone().unwrap_or_default();
                if self
                    .db
                    .overlapping_schedule(current.client_id, ns.id, &end, None)
                    .await?
                {
                    return Err(AppError::invalid(
                        "new_service_id",
                        "This client is already scheduled on that service over these dates",
                    ));
                }
                (
                    KIND_CHANGE_SERVICE,
                    json!({
                        "schedule_id": schedule_id, "end_date": end, "end_reason": EndReason::ChangeOfService.as_str(),
                        "new_service_id": ns.id, "level": input.level.trim(), "units_per_week": units_per_week, "start_date": end,
                    }),
                    format!(
                        "{name}: moves from {} to {} on {}",
                        service.name,
                        ns.name,
                        nice_date(&end)
                    ),
                )
            }
            None => (
                KIND_UPDATE_SCHEDULE,
                json!({
                    "schedule_id": schedule_id, "level": input.level.trim(), "units_per_week": units_per_week,
                    "end_date": end, "end_reason": reason.map(|r| r.as_str()),
                }),
                match &end {
                    Some(d) => format!("{name}: schedule ends {}", nice_date(d)),
                    None => format!("{name}: schedule details change"),
                },
            ),
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .insert_request(&NewRequest {
                authority_id,
                provider_id,
                service_id: Some(service.id),
                kind: kind.into(),
                summary,
                payload,
                base: Some(current.base()),
                comment: input.comment.trim().to_string(),
            })
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Sets or clears the available places of a service at once, without approval (F3.5).
    pub async fn set_available_places(
        &self,
        who: &Principal,
        service_id: i64,
        value: &str,
    ) -> Result<(), AppError> {
        self.require_provider(who)?;
        self.service(who, service_id).await?;
        let places =
            match opt(value) {
                None => None,
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if (0..=100_000).contains(&n) => Some(n),
                    _ => return Err(AppError::invalid(
                        "available_places",
                        "Enter available places as a whole number, 0 or more, or leave it blank",
                    )),
                },
            };
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_available_places(service_id, places).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Submits a change of the service's directory details (F3.5).
    pub async fn request_service_details(
        &self,
        who: &Principal,
        service_id: i64,
        details: &ServiceDetails,
        comment: &str,
    ) -> Result<Request, AppError> {
        let (provider_id, authority_id) = self.require_provider(who)?;
        let service = self.service(who, service_id).await?;
        crate::text::check_text("comment", comment)?;
        crate::text::check_lengths(details)?;
        let current = ServiceDetails::of(&service);
        if *details == current {
            return Err(AppError::invalid("public_name", "Nothing has changed"));
        }
        let mut e = FieldErrors::new();
        if details.public_name.trim().is_empty() {
            e.add("public_name", "Enter the name the public sees");
        }
        let email = details.contact_email.trim();
        if !email.is_empty() && (!email.contains('@') || email.contains(' ')) {
            e.add(
                "contact_email",
                "Enter an email address in the correct format, like referrals@example.org",
            );
        }
        let web = details.website.trim();
        if !web.is_empty() && !web.starts_with("https://") && !web.starts_with("http://") {
            e.add(
                "website",
                "Enter the website address starting with https://",
            );
        }
        e.into_result()?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .insert_request(&NewRequest {
                authority_id,
                provider_id,
                service_id: Some(service_id),
                kind: KIND_SERVICE_DETAILS.into(),
                summary: format!("Details of {}", service.name),
                payload: serde_json::to_value(details)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                base: Some(
                    serde_json::to_value(&current)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                ),
                comment: comment.trim().to_string(),
            })
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Requests the principal may see: a provider's own (over the past N months), or the
    /// commissioning team's queue.
    pub async fn list_requests(
        &self,
        who: &Principal,
        q: &RequestQuery,
    ) -> Result<Vec<Request>, AppError> {
        let now = self.now();
        let mut f = RequestFilter {
            authority_id: Some(who.authority_id()),
            limit: 500,
            ..Default::default()
        };
        f.status = q
            .status
            .clone()
            .filter(|s| flow::Status::parse(s).is_some());
        f.kind = q.kind.clone().filter(|k| KINDS.contains(&k.as_str()));
        match who {
            Principal::Provider {
                provider_id,
                service_scope,
                ..
            } => {
                f.provider_id = Some(*provider_id);
                f.service_ids = service_scope.clone();
                let months = q.months.unwrap_or(3).clamp(1, 120);
                f.submitted_after = Some(now - months * 31 * 86_400);
            }
            Principal::Staff { .. } => {
                f.provider_id = q.provider;
                if let Some(days) = q.older_than_days.filter(|d| *d > 0) {
                    f.submitted_before = Some(now - days * 86_400);
                }
            }
            // Acts in no authority: the filter's authority finds nothing.
            Principal::System { .. } => {}
        }
        Ok(self.db.list_requests(&f).await?)
    }

    /// The service a request is about, if any and if the principal may see the request.
    pub async fn request_service(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<Option<hearth_store::Service>, AppError> {
        let r = self.request(who, id).await?;
        match r.service_id {
            Some(s) => Ok(self.db.service(s).await?),
            None => Ok(None),
        }
    }

    /// One request, if the principal may see it.
    pub async fn request(&self, who: &Principal, id: i64) -> Result<Request, AppError> {
        let Some(r) = self.db.request(id).await? else {
            return Err(AppError::NotFound);
        };
        let visible = match r.service_id {
            Some(s) if !who.is_staff() => who.can_see_service(r.authority_id, r.provider_id, s),
            _ => who.can_see_owned(r.authority_id, r.provider_id),
        };
        if visible {
            Ok(r)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// What a request changes, field by field (old struck through, new highlighted on screen).
    pub async fn request_changes(&self, r: &Request) -> Result<Vec<Change>, AppError> {
        let payload: serde_json::Value =
            serde_json::from_str(&r.payload_json).map_err(|e| AppError::Internal(e.to_string()))?;
        let base: serde_json::Value = r
            .base_json
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| AppError::Internal(e.to_string()))?
            .unwrap_or(json!({}));
        let text = |v: &serde_json::Value| -> Option<String> {
            match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) if s.is_empty() => None,
                serde_json::Value::String(s)
                    if s.len() == 10
                        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() =>
                {
                    Some(nice_date(s))
                }
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Bool(b) => Some(if *b { "Yes".into() } else { "No".into() }),
                other => Some(other.to_string()),
            }
        };
        let mut out = Vec::new();
        let mut push = |label: &str, old: Option<String>, new: Option<String>| {
            if old != new {
                out.push(Change {
                    label: label.to_string(),
                    old,
                    new,
                });
            }
        };
        match r.kind.as_str() {
            KIND_NEW_SCHEDULE => {
                let c = &payload["client"];
                if let Some(id) = payload["returning_client_id"].as_i64() {
                    push(
                        "Returning client",
                        None,
                        Some(format!("Reactivate client ID {id}")),
                    );
                }
                for (k, label) in [
                    ("title", "Title"),
                    ("first_name", "Forename"),
                    ("last_name", "Surname"),
                    ("date_of_birth", "Date of birth"),
                    ("ethnicity", "Ethnicity"),
                    ("address", "Address"),
                    ("address2", "Address line 2"),
                    ("town", "Town"),
                    ("postcode", "Postcode"),
                    ("uprn", "UPRN"),
                    ("ni_number", "NI number"),
                    ("hb_number", "Housing benefit number"),
                ] {
                    push(label, None, text(&c[k]));
                }
                let s = &payload["schedule"];
                for (k, label) in [
                    ("level", "Service level"),
                    ("units_per_week", "Estimated units per week"),
                    ("start_date", "Start date"),
                    ("tenancy_reference", "Tenancy reference"),
                ] {
                    push(label, None, text(&s[k]));
                }
                if let Some(pid) = s["property_id"].as_i64() {
                    let p = self.db.property(pid).await?;
                    push(
                        "Property",
                        None,
                        p.map(|p| format!("{}, {}", p.address_line1, p.postcode)),
                    );
                }
            }
            KIND_UPDATE_SCHEDULE => {
                for (k, label) in [
                    ("level", "Service level"),
                    ("units_per_week", "Estimated units per week"),
                    ("end_date", "End date"),
                ] {
                    push(label, text(&base[k]), text(&payload[k]));
                }
                let reason = |v: &serde_json::Value| {
                    text(v).map(|c| {
                        EndReason::parse(&c)
                            .map(|r| r.label().to_string())
                            .unwrap_or(c)
                    })
                };
                push(
                    "Reason for end date",
                    reason(&base["end_reason"]),
                    reason(&payload["end_reason"]),
                );
            }
            KIND_CHANGE_SERVICE => {
                push(
                    "End date",
                    text(&base["end_date"]),
                    text(&payload["end_date"]),
                );
                push(
                    "Reason for end date",
                    text(&base["end_reason"])
                        .map(|_| String::new())
                        .filter(|s| !s.is_empty()),
                    Some(EndReason::ChangeOfService.label().into()),
                );
                let ns = payload["new_service_id"].as_i64().unwrap_or_default();
                let name = self
                    .db
                    .service(ns)
                    .await?
                    .map(|s| format!("{} ({})", s.name, s.reference));
                push("New schedule on service", None, name);
                push("New schedule starts", None, text(&payload["start_date"]));
                push(
                    "Estimated units per week",
                    text(&base["units_per_week"]),
                    text(&payload["units_per_week"]),
                );
                push(
                    "Service level",
                    text(&base["level"]),
                    text(&payload["level"]),
                );
            }
            KIND_SERVICE_DETAILS => {
                for (k, label) in [
                    ("public_name", "Public name"),
                    ("description", "Description"),
                    ("languages", "Languages supported"),
                    ("religions", "Religions supported"),
                    ("tenure", "Tenure"),
                    ("rural_urban", "Rural or urban"),
                    ("emergency_referrals", "Takes emergency referrals"),
                    ("interpreter", "Interpreter available"),
                    ("impairment_support", "Visual or hearing impairment support"),
                    ("waiting_list", "Waiting list"),
                    ("support_tasks", "Support tasks"),
                    ("referral_routes", "Referral routes"),
                    ("household_types", "Household types"),
                    ("age_groups", "Age groups"),
                    ("exclusions", "Exclusions"),
                    ("accommodation_type", "Accommodation type"),
                    ("ethnicity_focus", "Communities served"),
                    ("contact_phone", "Referral telephone"),
                    ("contact_email", "Referral email"),
                    ("website", "Website"),
                    ("accessibility", "Accessibility"),
                ] {
                    push(label, text(&base[k]), text(&payload[k]));
                }
            }
            crate::portal::KIND_CONTACT_ADD | crate::portal::KIND_CONTACT_EDIT => {
                for (k, label) in [
                    ("title", "Title"),
                    ("first_name", "First name"),
                    ("last_name", "Last name"),
                    ("position_type", "Position type"),
                    ("email", "Email"),
                    ("phone", "Telephone"),
                ] {
                    let show = |v: &serde_json::Value| {
                        text(v).map(|t| {
                            if k == "position_type" {
                                hearth_domain::PositionType::parse(&t)
                                    .map(|p| p.label().to_string())
                                    .unwrap_or(t)
                            } else {
                                t
                            }
                        })
                    };
                    push(label, show(&base[k]), show(&payload[k]));
                }
            }
            crate::portal::KIND_CONTACT_DEACTIVATE => {
                push("Active", Some("Yes".into()), Some("No".into()))
            }
            crate::portal::KIND_ASSIGNMENT_ADD => push("Assignment", None, text(&payload["text"])),
            crate::portal::KIND_ASSIGNMENT_REMOVE => {
                push("Assignment", text(&payload["text"]), None)
            }
            crate::portal::KIND_LOGIN_REQUEST => push(
                "Login",
                None,
                Some(format!(
                    "A login for this contact ({})",
                    text(&payload["email"]).unwrap_or_else(|| "no email".into())
                )),
            ),
            _ => {}
        }
        Ok(out)
    }

    /// Approves a pending request: applies its change with the audit entry in one
    /// transaction. If the record changed since the request was made, nothing is applied and
    /// the conflict is reported.
    pub async fn approve_request(
        &self,
        who: &Principal,
        id: i64,
        remarks: &str,
    ) -> Result<Request, AppError> {
        crate::text::check_text("remarks", remarks)?;
        Ok(self
            .approve_request_with_handover(who, id, remarks)
            .await?
            .0)
    }

    /// As `approve_request`, also returning what must be handed over once (a login's
    /// temporary password), which is never stored.
    pub async fn approve_request_with_handover(
        &self,
        who: &Principal,
        id: i64,
        remarks: &str,
    ) -> Result<(Request, Option<String>), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let r = self.request(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("remarks", remarks)?;
        let to = decision(&r, flow::Event::Approve, remarks)?;
        let payload: serde_json::Value =
            serde_json::from_str(&r.payload_json).map_err(|e| AppError::Internal(e.to_string()))?;
        let base: Option<serde_json::Value> = r
            .base_json
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
        let mut tx = self.begin_write(&who.actor()).await?;
        let mut handover = None;
        let result = match r.kind.as_str() {
            KIND_NEW_SCHEDULE => {
                let c = &payload["client"];
                let sch = &payload["schedule"];
                let service_id = sch["service_id"]
                    .as_i64()
                    .ok_or_else(|| AppError::Internal("request without service".into()))?;
                let start = s(&sch["start_date"]).unwrap_or_default();
                let client_id = match payload["returning_client_id"].as_i64() {
                    Some(id) => id,
                    None => {
                        tx.insert_client(
                            r.authority_id,
                            &ClientFields {
                                title: s(&c["title"]).unwrap_or_default(),
                                first_name: s(&c["first_name"]).unwrap_or_default(),
                                last_name: s(&c["last_name"]).unwrap_or_default(),
                                date_of_birth: s(&c["date_of_birth"]),
                                ethnicity: s(&c["ethnicity"]).unwrap_or_default(),
                                address: s(&c["address"]).unwrap_or_default(),
                                address2: s(&c["address2"]).unwrap_or_default(),
                                town: s(&c["town"]).unwrap_or_default(),
                                postcode: s(&c["postcode"]).unwrap_or_default(),
                                uprn: s(&c["uprn"]),
                                ni_number: s(&c["ni_number"]),
                                hb_number: s(&c["hb_number"]),
                            },
                        )
                        .await?
                        .id
                    }
                };
                if payload["returning_client_id"].is_i64()
                    && self
                        .db
                        .overlapping_schedule(client_id, service_id, &start, None)
                        .await?
                {
                    return Err(AppError::Conflict(ConflictCode::Stale, "Since this request was made the client has been scheduled on this service over these dates. Reject the request with a remark.".into()));
                }
                let sid = tx
                    .insert_schedule(&ScheduleFields {
                        client_id,
                        service_id,
                        level: s(&sch["level"]).unwrap_or_default(),
                        units_per_week: sch["units_per_week"].as_i64().unwrap_or_default(),
                        start_date: start,
                        end_date: None,
                        end_reason: None,
                    })
                    .await?;
                tx.set_schedule_extras(
                    sid,
                    &s(&sch["tenancy_reference"]).unwrap_or_default(),
                    sch["property_id"].as_i64(),
                )
                .await?;
                tx.refresh_service_clients(service_id, &self.today().to_string())
                    .await?;
                format!("client_schedule:{sid}")
            }
            KIND_UPDATE_SCHEDULE | KIND_CHANGE_SERVICE => {
                let schedule_id = payload["schedule_id"]
                    .as_i64()
                    .ok_or_else(|| AppError::Internal("request without schedule".into()))?;
                let current = tx
                    .schedule_detail_for_update(schedule_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if Some(current.base()) != base {
                    return Err(AppError::Conflict(ConflictCode::Stale,
                        "This schedule has changed since the request was made, so approving it would overwrite that change. Reject it and ask the provider to send a new request.".into(),
                    ));
                }
                if r.kind == KIND_UPDATE_SCHEDULE {
                    tx.update_schedule(
                        schedule_id,
                        &s(&payload["level"]).unwrap_or_default(),
                        payload["units_per_week"]
                            .as_i64()
                            .unwrap_or(current.units_per_week),
                        s(&payload["end_date"]).as_deref(),
                        s(&payload["end_reason"]).as_deref(),
                    )
                    .await?;
                    tx.refresh_service_clients(current.service_id, &self.today().to_string())
                        .await?;
                    format!("client_schedule:{schedule_id}")
                } else {
                    let end = s(&payload["end_date"]).unwrap_or_default();
                    tx.update_schedule(
                        schedule_id,
                        &current.level,
                        current.units_per_week,
                        Some(&end),
                        Some(EndReason::ChangeOfService.as_str()),
                    )
                    .await?;
                    let sid = tx
                        .insert_schedule(&ScheduleFields {
                            client_id: current.client_id,
                            service_id: payload["new_service_id"].as_i64().unwrap_or_default(),
                            level: s(&payload["level"]).unwrap_or_default(),
                            units_per_week: payload["units_per_week"].as_i64().unwrap_or_default(),
                            start_date: s(&payload["start_date"]).unwrap_or_default(),
                            end_date: None,
                            end_reason: None,
                        })
                        .await?;
                    let today = self.today().to_string();
                    tx.refresh_service_clients(current.service_id, &today)
                        .await?;
                    tx.refresh_service_clients(
                        payload["new_service_id"].as_i64().unwrap_or_default(),
                        &today,
                    )
                    .await?;
                    format!("client_schedule:{sid}")
                }
            }
            KIND_SERVICE_DETAILS => {
                let service_id = r
                    .service_id
                    .ok_or_else(|| AppError::Internal("request without service".into()))?;
                let current = tx
                    .service_for_update(service_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let current = serde_json::to_value(ServiceDetails::of(&current))
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                if Some(current) != base {
                    return Err(AppError::Conflict(ConflictCode::Stale,
                        "The service's details have changed since this request was made, so approving it would overwrite that change. Reject it and ask the provider to send a new request.".into(),
                    ));
                }
                let details: ServiceDetails = serde_json::from_value(payload)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                tx.update_service_details(service_id, &details).await?;
                format!("service:{service_id}")
            }
            crate::portal::KIND_CONTACT_ADD
            | crate::portal::KIND_CONTACT_EDIT
            | crate::portal::KIND_CONTACT_DEACTIVATE
            | crate::portal::KIND_ASSIGNMENT_ADD
            | crate::portal::KIND_ASSIGNMENT_REMOVE
            | crate::portal::KIND_LOGIN_REQUEST => {
                let (record, h) = self.apply_contact_request(&mut tx, &r, &payload).await?;
                handover = h;
                record
            }
            other => return Err(AppError::Internal(format!("unknown request kind {other}"))),
        };
        let decided = tx
            .decide_request(id, to.as_str(), remarks.trim(), Some(&result))
            .await?;
        let Some(decided) = decided else {
            return Err(AppError::Conflict(
                ConflictCode::AlreadyDecided,
                "Someone else decided this request first.".into(),
            ));
        };
        tx.commit().await?;
        Ok((decided, handover))
    }

    /// Rejects a pending request with remarks for the provider.
    pub async fn reject_request(
        &self,
        who: &Principal,
        id: i64,
        remarks: &str,
    ) -> Result<Request, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let r = self.request(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("remarks", remarks)?;
        let to = decision(&r, flow::Event::Reject, remarks)?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let decided = tx
            .decide_request(id, to.as_str(), remarks.trim(), None)
            .await?
            .ok_or_else(|| {
                AppError::Conflict(
                    ConflictCode::AlreadyDecided,
                    "Someone else decided this request first.".into(),
                )
            })?;
        tx.commit().await?;
        Ok(decided)
    }
}
