//! Provider submissions and the commissioning team's approvals (F3.1 to F3.5): new client
//! schedules (with returning clients), schedule updates and changes of service, service
//! details; available places save at once. Nothing a provider submits changes the
//! authority's records until approved; approval applies the change and its audit entry in
//! one transaction, and refuses to overwrite a record that changed since the request.

use crate::error::ConflictCode;
use hearth_domain::directory::AvailablePlaces;
use hearth_domain::{parse_date, EndReason, HousingBenefitNumber, NiNumber, Postcode, Term, Uprn};
use hearth_store::{
    ClientFields, NewRequest, RequestFilter, ScheduleDetail, ScheduleFields, Service,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{App, AppError, FieldErrors, Permission, Principal};

mod payload;
pub use payload::{
    disabled_access_code, AssignmentAdd, AssignmentRemove, ContactDetails, ContactRef, LoginFor,
    NewClient, NewSchedule, Payload, PlannedSchedule, PropertyAsk, ReturnExtensionAsk,
    ScheduleUpdate, ServiceChange, ServiceDetails,
};

pub use flow::Status as RequestStatus;
use hearth_domain::workflow::requests as flow;
pub use hearth_domain::RequestKind;

/// A provider's request as the use cases return it: its kind and status typed and its
/// payload read (the store's row never leaves hearth-app).
#[derive(Debug, Clone)]
pub struct Request {
    pub id: i64,
    pub authority_id: i64,
    pub provider_id: i64,
    pub service_id: Option<i64>,
    /// The service's name, so two providers' services of the same name can be told apart
    /// with the provider (filled by the use cases that list and show requests).
    pub service_name: Option<String>,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub summary: String,
    pub payload: Payload,
    /// The record as it stood when the request was made: approval refuses to apply the
    /// request over a record that has changed since.
    pub base: Option<serde_json::Value>,
    pub comment: String,
    pub remarks: String,
    pub submitted_by: Option<i64>,
    pub submitted_by_name: String,
    pub submitted_at: i64,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub result_record: Option<String>,
}

impl Request {
    pub fn is_pending(&self) -> bool {
        self.status == RequestStatus::Pending
    }

    pub(crate) fn from_row(r: hearth_store::Request) -> Result<Request, AppError> {
        let kind = RequestKind::parse(&r.kind)
            .map_err(|_| AppError::Internal(format!("unknown request kind {:?}", r.kind)))?;
        let status = RequestStatus::parse(&r.status)
            .ok_or_else(|| AppError::Internal(format!("unknown request status {:?}", r.status)))?;
        let mut base: Option<serde_json::Value> = r
            .base_json
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| AppError::Internal(format!("request {}: base: {e}", r.id)))?;
        if kind == RequestKind::ServiceDetails {
            if let Some(b) = base.as_mut() {
                payload::upgrade_service_details(b);
            }
        }
        Ok(Request {
            payload: Payload::read(kind, &r.payload_json)?,
            id: r.id,
            authority_id: r.authority_id,
            provider_id: r.provider_id,
            service_id: r.service_id,
            service_name: None,
            kind,
            status,
            summary: r.summary,
            base,
            comment: r.comment,
            remarks: r.remarks,
            submitted_by: r.submitted_by,
            submitted_by_name: r.submitted_by_name,
            submitted_at: r.submitted_at,
            decided_by: r.decided_by,
            decided_by_name: r.decided_by_name,
            decided_at: r.decided_at,
            result_record: r.result_record,
        })
    }
}

/// Where the team's decision takes the request (the workflow is
/// `hearth_domain::workflow::requests`; only the team reaches the use cases that decide).
fn decision(r: &Request, event: flow::Event, remarks: &str) -> Result<flow::Status, AppError> {
    flow::next(
        r.status,
        event,
        flow::Actor::Team,
        !remarks.trim().is_empty(),
    )
    .map_err(|r| AppError::refused(r, ConflictCode::AlreadyDecided))
}

/// A new request: what it asks for (its kind follows), for which service, the record as
/// it stands, and the provider's comment.
pub(crate) struct Submission {
    pub service_id: Option<i64>,
    pub summary: String,
    pub payload: Payload,
    pub base: Option<serde_json::Value>,
    pub comment: String,
}

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
    #[serde(default, deserialize_with = "crate::records::blank_as_none")]
    pub months: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// The queue's provider filter; its "Any" sends `provider=`, which is none.
    #[serde(default, deserialize_with = "crate::records::blank_as_none")]
    pub provider: Option<i64>,
    /// Queue: only requests older than this many days (the box left blank: any age).
    #[serde(default, deserialize_with = "crate::records::blank_as_none")]
    pub older_than_days: Option<i64>,
}

/// "2026-12-01" as "1 Dec 2026".
/// The directory details a service-details request changes, with their labels.
const SERVICE_DETAIL_LABELS: [(&str, &str); 23] = [
    ("public_name", "Public name"),
    ("description", "Description"),
    ("languages", "Languages supported"),
    ("religions", "Religions supported"),
    ("tenure", "Tenure"),
    ("rural_urban", "Rural or urban"),
    ("emergency_referrals", "Takes emergency referrals"),
    ("interpreter", "Interpreter available"),
    ("visual_impairment_support", "Visual impairment support"),
    ("hearing_impairment_support", "Hearing impairment support"),
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
    ("eligibility", "Who can use it"),
];

/// A stored value as people read it: nothing for empty, dates as "3 Feb 2026", yes/no.
fn shown(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) if s.is_empty() => None,
        serde_json::Value::String(s) => Some(
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .filter(|_| s.len() == 10)
                .map(nice)
                .unwrap_or_else(|| s.clone()),
        ),
        serde_json::Value::Bool(b) => Some(if *b { "Yes".into() } else { "No".into() }),
        other => Some(other.to_string()),
    }
}

fn nice(d: chrono::NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
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
    pub(crate) fn require_provider(&self, who: &Principal) -> Result<(i64, i64), AppError> {
        match who {
            Principal::Provider {
                provider_id,
                authority_id,
                ..
            } => Ok((*provider_id, *authority_id)),
            Principal::Staff { .. } | Principal::System { .. } | Principal::Host { .. } => {
                Err(AppError::NotFound)
            }
        }
    }

    /// Records a provider's request; nothing it asks for changes until the team approves.
    pub(crate) async fn submit_request(
        &self,
        who: &Principal,
        s: Submission,
    ) -> Result<Request, AppError> {
        let (provider_id, authority_id) = self.require_provider(who)?;
        crate::text::check_text("comment", &s.comment)?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .insert_request(&NewRequest {
                authority_id,
                provider_id,
                service_id: s.service_id,
                kind: s.payload.kind().as_str().into(),
                summary: s.summary,
                payload: s.payload.to_json()?,
                base: s.base,
                comment: s.comment.trim().to_string(),
            })
            .await?;
        tx.commit().await?;
        Request::from_row(r)
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
        let (_, authority_id) = self.require_provider(who)?;
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
                Ok(d) => Some(d),
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
        let start = start.ok_or_else(|| AppError::invalid("start_date", "Enter the start date"))?;
        let dob_text = dob.map(|d| d.to_string());
        // A returning client keeps their original client ID.
        let keys = hearth_domain::clients::PersonKeys {
            ni_number: ni.as_deref(),
            hb_number: hb.as_deref(),
            first_name: input.first_name.trim(),
            last_name: input.last_name.trim(),
            date_of_birth: dob_text.as_deref(),
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
                .overlapping_schedule(c.id, service_id, &start.to_string(), None)
                .await?
            {
                return Err(AppError::invalid(
                    "start_date",
                    "This client is already scheduled on this service over these dates",
                ));
            }
        }
        let payload = Payload::NewSchedule(NewSchedule {
            client: NewClient {
                title: input.title.trim().into(),
                first_name: input.first_name.trim().into(),
                last_name: input.last_name.trim().into(),
                date_of_birth: dob,
                ethnicity: input.ethnicity.trim().into(),
                address: input.address.trim().into(),
                address2: input.address2.trim().into(),
                town: input.town.trim().into(),
                postcode,
                uprn,
                ni_number: ni,
                hb_number: hb,
            },
            returning_client_id: returning.as_ref().map(|c| c.id),
            schedule: PlannedSchedule {
                service_id,
                level: input.level.trim().into(),
                units_per_week,
                start_date: start,
                tenancy_reference: input.tenancy_reference.trim().into(),
                property_id,
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
            nice(start)
        );
        self.submit_request(
            who,
            Submission {
                service_id: Some(service_id),
                summary,
                payload,
                base: None,
                comment: input.comment.clone(),
            },
        )
        .await
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
        let (provider_id, _) = self.require_provider(who)?;
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
                Ok(d) => Some(d),
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
            && end.map(|d| d.to_string()) == current.end_date
            && reason.map(|r| r.as_str().to_string()) == current.end_reason
            && units_per_week == current.units_per_week
            && input.level.trim() == current.level
        {
            return Err(AppError::invalid("units_per_week", "Nothing has changed"));
        }
        let name = format!("{} {}", current.first_name, current.last_name);
        let (payload, summary) = match (&new_service, end) {
            (Some(ns), Some(end)) => {
                if self
                    .db
                    .overlapping_schedule(current.client_id, ns.id, &end.to_string(), None)
                    .await?
                {
                    return Err(AppError::invalid(
                        "new_service_id",
                        "This client is already scheduled on that service over these dates",
                    ));
                }
                (
                    Payload::ChangeService(ServiceChange {
                        schedule_id,
                        end_date: end,
                        end_reason: EndReason::ChangeOfService,
                        new_service_id: ns.id,
                        level: input.level.trim().into(),
                        units_per_week,
                        start_date: end,
                    }),
                    format!(
                        "{name}: moves from {} to {} on {}",
                        service.name,
                        ns.name,
                        nice(end)
                    ),
                )
            }
            (Some(_), None) => {
                return Err(AppError::invalid(
                    "end_date",
                    "Enter the date the client leaves this service",
                ))
            }
            (None, end) => (
                Payload::UpdateSchedule(ScheduleUpdate {
                    schedule_id,
                    level: input.level.trim().into(),
                    units_per_week,
                    end_date: end,
                    end_reason: reason,
                }),
                match end {
                    Some(d) => format!("{name}: schedule ends {}", nice(d)),
                    None => format!("{name}: schedule details change"),
                },
            ),
        };
        self.submit_request(
            who,
            Submission {
                service_id: Some(service.id),
                summary,
                payload,
                base: Some(current.base()),
                comment: input.comment.clone(),
            },
        )
        .await
    }

    /// Sets (or clears, with `None`) the available places of a service at once, without
    /// approval (F3.5).
    pub async fn set_available_places(
        &self,
        who: &Principal,
        service_id: i64,
        places: Option<AvailablePlaces>,
    ) -> Result<(), AppError> {
        self.require_provider(who)?;
        self.service(who, service_id).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_available_places(service_id, places.map(AvailablePlaces::get))
            .await?;
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
        self.require_provider(who)?;
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
        check_details_contact(details, &mut e);
        e.into_result()?;
        self.submit_request(
            who,
            Submission {
                service_id: Some(service_id),
                summary: format!("Details of {}", service.name),
                payload: Payload::ServiceDetails(details.clone()),
                base: Some(
                    serde_json::to_value(&current)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                ),
                comment: comment.to_string(),
            },
        )
        .await
    }

    /// Submits a new property (`property_id` None) or a change to one of the provider's
    /// properties, for the commissioning team to approve (issue 10: properties by request, as
    /// for service details). The fields are checked as the team's own property form checks
    /// them; the provider is always the requesting provider, and a service named must be one
    /// the provider user may see.
    pub async fn request_property(
        &self,
        who: &Principal,
        property_id: Option<i64>,
        input: &crate::records::PropertyInput,
        comment: &str,
    ) -> Result<Request, AppError> {
        let (provider_id, _) = self.require_provider(who)?;
        let existing = match property_id {
            Some(id) => Some(self.property(who, id).await?),
            None => None,
        };
        crate::text::check_text("comment", comment)?;
        crate::text::check_lengths(input)?;
        let mut input = input.clone();
        input.provider_id = provider_id.to_string();
        if matches!(
            who,
            Principal::Provider {
                service_scope: Some(_),
                ..
            }
        ) && input.service_id.trim().is_empty()
        {
            // A user limited to some services may only see properties of those services.
            return Err(AppError::invalid(
                "service_id",
                "Select the service that uses this property",
            ));
        }
        let f = self.parse_property(who, &input).await?;
        let ask = PropertyAsk {
            property_id,
            service_id: f.service_id,
            address_line1: f.address_line1,
            address_line2: f.address_line2,
            town: f.town,
            postcode: f.postcode,
            uprn: f.uprn,
        };
        let base = existing.as_ref().map(PropertyAsk::of);
        if base.as_ref() == Some(&ask) {
            return Err(AppError::invalid("address_line1", "Nothing has changed"));
        }
        let (summary, payload) = match &existing {
            None => (
                format!("New property: {}, {}", ask.address_line1, ask.postcode),
                Payload::PropertyAdd(ask.clone()),
            ),
            Some(p) => (
                format!("Change to property {}, {}", p.address_line1, p.postcode),
                Payload::PropertyEdit(ask.clone()),
            ),
        };
        self.submit_request(
            who,
            Submission {
                service_id: ask.service_id,
                summary,
                payload,
                base: base
                    .map(|b| serde_json::to_value(b).map_err(|e| AppError::Internal(e.to_string())))
                    .transpose()?,
                comment: comment.to_string(),
            },
        )
        .await
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
        f.kind = q
            .kind
            .as_deref()
            .and_then(|k| RequestKind::parse(k).ok())
            .map(|k| k.as_str().to_string());
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
            Principal::System { .. } | Principal::Host { .. } => {}
        }
        let mut list = self
            .db
            .list_requests(&f)
            .await?
            .into_iter()
            .map(Request::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        self.name_services(&mut list).await?;
        Ok(list)
    }

    /// Fills in the names of the requests' services (one query for the whole list).
    async fn name_services(&self, list: &mut [Request]) -> Result<(), AppError> {
        let mut ids: Vec<i64> = list.iter().filter_map(|r| r.service_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(());
        }
        let f = hearth_store::ServiceFilter {
            per_page: ids.len() as i64,
            only_ids: Some(ids),
            ..Default::default()
        };
        let services = self.db.list_services(&f).await?.items;
        for r in list.iter_mut() {
            r.service_name = r
                .service_id
                .and_then(|id| services.iter().find(|s| s.id == id))
                .map(|s| s.name.clone());
        }
        Ok(())
    }

    /// The request the team should look at after this one: the longest-waiting pending
    /// request in the principal's queue, other than `after`.
    pub async fn next_pending_request(
        &self,
        who: &Principal,
        after: i64,
    ) -> Result<Option<i64>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let f = RequestFilter {
            authority_id: Some(who.authority_id()),
            status: Some(RequestStatus::Pending.as_str().into()),
            limit: 500,
            ..Default::default()
        };
        Ok(self
            .db
            .list_requests(&f)
            .await?
            .into_iter()
            .filter(|r| r.id != after)
            .min_by_key(|r| (r.submitted_at, r.id))
            .map(|r| r.id))
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
        let mut r = Request::from_row(r)?;
        let limited = matches!(
            who,
            Principal::Provider {
                service_scope: Some(_),
                ..
            }
        );
        // A property belongs to a service, and a user limited to some services sees only
        // the properties of those; one asked for with no service is outside their scope (a
        // colleague's), as the properties list says. Contact requests are the
        // organisation's, which limited users see whole.
        let property = matches!(
            r.payload,
            Payload::PropertyAdd(_) | Payload::PropertyEdit(_)
        );
        let visible = match r.service_id {
            Some(s) if !who.is_staff() => who.can_see_service(r.authority_id, r.provider_id, s),
            None if limited && property => false,
            _ => who.can_see_owned(r.authority_id, r.provider_id),
        };
        if !visible {
            return Err(AppError::NotFound);
        }
        self.name_services(std::slice::from_mut(&mut r)).await?;
        Ok(r)
    }

    /// What a request changes, field by field (old struck through, new highlighted on screen).
    pub async fn request_changes(&self, r: &Request) -> Result<Vec<Change>, AppError> {
        let empty = json!({});
        let base = r.base.as_ref().unwrap_or(&empty);
        // The base is the record's JSON as it stood; shown with the same words as the payload.
        let was = |k: &str| shown(&base[k]);
        let date = |d: Option<chrono::NaiveDate>| d.map(nice);
        let text = |t: &str| Some(t.to_string()).filter(|t| !t.is_empty());
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
        match &r.payload {
            Payload::NewSchedule(p) => {
                if let Some(id) = p.returning_client_id {
                    push(
                        "Returning client",
                        None,
                        Some(format!("Reactivate client ID {id}")),
                    );
                }
                let c = &p.client;
                for (label, value) in [
                    ("Title", text(&c.title)),
                    ("Forename", text(&c.first_name)),
                    ("Surname", text(&c.last_name)),
                    ("Date of birth", date(c.date_of_birth)),
                    ("Ethnicity", text(&c.ethnicity)),
                    ("Address", text(&c.address)),
                    ("Address line 2", text(&c.address2)),
                    ("Town", text(&c.town)),
                    ("Postcode", c.postcode.clone()),
                    ("UPRN", c.uprn.clone()),
                    ("NI number", c.ni_number.clone()),
                    ("Housing benefit number", c.hb_number.clone()),
                ] {
                    push(label, None, value);
                }
                let sch = &p.schedule;
                push("Service level", None, text(&sch.level));
                push(
                    "Estimated units per week",
                    None,
                    Some(sch.units_per_week.to_string()),
                );
                push("Start date", None, Some(nice(sch.start_date)));
                push("Tenancy reference", None, text(&sch.tenancy_reference));
                if let Some(pid) = sch.property_id {
                    let p = self.db.property(pid).await?;
                    push(
                        "Property",
                        None,
                        p.map(|p| format!("{}, {}", p.address_line1, p.postcode)),
                    );
                }
            }
            Payload::UpdateSchedule(p) => {
                push("Service level", was("level"), text(&p.level));
                push(
                    "Estimated units per week",
                    was("units_per_week"),
                    Some(p.units_per_week.to_string()),
                );
                push("End date", was("end_date"), date(p.end_date));
                let reason = |c: String| {
                    EndReason::parse(&c)
                        .map(|r| r.label().to_string())
                        .unwrap_or(c)
                };
                push(
                    "Reason for end date",
                    was("end_reason").map(reason),
                    p.end_reason.map(|r| r.label().to_string()),
                );
            }
            Payload::ChangeService(p) => {
                push("End date", was("end_date"), Some(nice(p.end_date)));
                push(
                    "Reason for end date",
                    None,
                    Some(p.end_reason.label().into()),
                );
                let name = self
                    .db
                    .service(p.new_service_id)
                    .await?
                    .map(|s| format!("{} ({})", s.name, s.reference));
                push("New schedule on service", None, name);
                push("New schedule starts", None, Some(nice(p.start_date)));
                push(
                    "Estimated units per week",
                    was("units_per_week"),
                    Some(p.units_per_week.to_string()),
                );
                push("Service level", was("level"), text(&p.level));
            }
            Payload::ServiceDetails(p) => {
                let new = serde_json::to_value(p).map_err(|e| AppError::Internal(e.to_string()))?;
                for (k, label) in SERVICE_DETAIL_LABELS {
                    push(label, was(k), shown(&new[k]));
                }
            }
            Payload::ContactAdd(p) | Payload::ContactEdit(p) => {
                // The base read back through the payload's shape, field by field in the same
                // words (a base from before the briefing's other fields reads them empty).
                let old = r
                    .base
                    .clone()
                    .and_then(|b| serde_json::from_value::<ContactDetails>(b).ok())
                    .map(|b| contact_rows(&b));
                for (i, (label, new)) in contact_rows(p).into_iter().enumerate() {
                    let was = old
                        .as_ref()
                        .and_then(|o| o.get(i))
                        .and_then(|o| o.1.clone());
                    push(label, was, new);
                }
            }
            Payload::ContactDeactivate(_) => push("Active", Some("Yes".into()), Some("No".into())),
            Payload::AssignmentAdd(p) => push("Assignment", None, text(&p.text)),
            Payload::AssignmentRemove(p) => push("Assignment", text(&p.text), None),
            Payload::ReturnExtension(p) => {
                push("Return for", None, Some(p.quarter.label()));
                push(
                    "Return due",
                    was("due_date")
                        .and_then(|d| hearth_domain::parse_date(&d).ok().map(nice).or(Some(d))),
                    Some(nice(p.until)),
                );
                push("Reason", None, text(&p.reason));
            }
            Payload::PropertyAdd(p) | Payload::PropertyEdit(p) => {
                let service_name = |id: Option<i64>| async move {
                    match id {
                        Some(id) => Ok::<_, AppError>(
                            self.db
                                .service(id)
                                .await?
                                .map(|s| format!("{} ({})", s.name, s.reference)),
                        ),
                        None => Ok(None),
                    }
                };
                let old_service = service_name(base["service_id"].as_i64()).await?;
                let new_service = service_name(p.service_id).await?;
                let is_edit = r.base.is_some();
                let old = |v: Option<String>| if is_edit { v } else { None };
                push("Service", old(old_service), new_service);
                push(
                    "Address line 1",
                    old(was("address_line1")),
                    text(&p.address_line1),
                );
                push(
                    "Address line 2",
                    old(was("address_line2")),
                    text(&p.address_line2),
                );
                push("Town or city", old(was("town")), text(&p.town));
                push("Postcode", old(was("postcode")), text(&p.postcode));
                push("UPRN", old(was("uprn")), p.uprn.clone());
            }
            Payload::Login(p) => push(
                "Login",
                None,
                Some(format!(
                    "A login for this contact ({})",
                    text(&p.email).unwrap_or_else(|| "no email".into())
                )),
            ),
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
        let mut tx = self.begin_write(&who.actor()).await?;
        let mut handover = None;
        let today = self.today().to_string();
        let result = match &r.payload {
            Payload::NewSchedule(p) => {
                let (c, sch) = (&p.client, &p.schedule);
                let start = sch.start_date.to_string();
                let client_id = match p.returning_client_id {
                    Some(id) => {
                        if self
                            .db
                            .overlapping_schedule(id, sch.service_id, &start, None)
                            .await?
                        {
                            return Err(AppError::Conflict(ConflictCode::Stale, "Since this request was made the client has been scheduled on this service over these dates. Reject the request with a remark.".into()));
                        }
                        id
                    }
                    None => {
                        tx.insert_client(
                            r.authority_id,
                            &ClientFields {
                                title: c.title.clone(),
                                first_name: c.first_name.clone(),
                                last_name: c.last_name.clone(),
                                date_of_birth: c.date_of_birth.map(|d| d.to_string()),
                                ethnicity: c.ethnicity.clone(),
                                address: c.address.clone(),
                                address2: c.address2.clone(),
                                town: c.town.clone(),
                                postcode: c.postcode.clone().unwrap_or_default(),
                                uprn: c.uprn.clone(),
                                ni_number: c.ni_number.clone(),
                                hb_number: c.hb_number.clone(),
                            },
                        )
                        .await?
                        .id
                    }
                };
                let sid = tx
                    .insert_schedule(&ScheduleFields {
                        client_id,
                        service_id: sch.service_id,
                        level: sch.level.clone(),
                        units_per_week: sch.units_per_week,
                        start_date: start,
                        end_date: None,
                        end_reason: None,
                    })
                    .await?;
                tx.set_schedule_extras(sid, &sch.tenancy_reference, sch.property_id)
                    .await?;
                tx.refresh_service_clients(sch.service_id, &today).await?;
                format!("client_schedule:{sid}")
            }
            Payload::UpdateSchedule(ScheduleUpdate { schedule_id, .. })
            | Payload::ChangeService(ServiceChange { schedule_id, .. }) => {
                let current = tx
                    .schedule_detail_for_update(*schedule_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if Some(current.base()) != r.base {
                    return Err(AppError::Conflict(ConflictCode::Stale,
                        "This schedule has changed since the request was made, so approving it would overwrite that change. Reject it and ask the provider to send a new request.".into(),
                    ));
                }
                match &r.payload {
                    Payload::ChangeService(p) => {
                        let end = p.end_date.to_string();
                        tx.update_schedule(
                            p.schedule_id,
                            &current.level,
                            current.units_per_week,
                            Some(&end),
                            Some(p.end_reason.as_str()),
                        )
                        .await?;
                        let sid = tx
                            .insert_schedule(&ScheduleFields {
                                client_id: current.client_id,
                                service_id: p.new_service_id,
                                level: p.level.clone(),
                                units_per_week: p.units_per_week,
                                start_date: p.start_date.to_string(),
                                end_date: None,
                                end_reason: None,
                            })
                            .await?;
                        tx.refresh_service_clients(current.service_id, &today)
                            .await?;
                        tx.refresh_service_clients(p.new_service_id, &today).await?;
                        format!("client_schedule:{sid}")
                    }
                    _ => {
                        let Payload::UpdateSchedule(p) = &r.payload else {
                            return Err(AppError::Internal("not a schedule update".into()));
                        };
                        tx.update_schedule(
                            p.schedule_id,
                            &p.level,
                            p.units_per_week,
                            p.end_date.map(|d| d.to_string()).as_deref(),
                            p.end_reason.map(|e| e.as_str()),
                        )
                        .await?;
                        tx.refresh_service_clients(current.service_id, &today)
                            .await?;
                        format!("client_schedule:{}", p.schedule_id)
                    }
                }
            }
            Payload::ServiceDetails(details) => {
                let service_id = r
                    .service_id
                    .ok_or_else(|| AppError::Internal("request without service".into()))?;
                let current = tx
                    .service_for_update(service_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let current = serde_json::to_value(ServiceDetails::of(&current))
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                if Some(current) != r.base {
                    return Err(AppError::Conflict(ConflictCode::Stale,
                        "The service's details have changed since this request was made, so approving it would overwrite that change. Reject it and ask the provider to send a new request.".into(),
                    ));
                }
                tx.update_service_details(service_id, details).await?;
                format!("service:{service_id}")
            }
            Payload::ReturnExtension(p) => {
                let service_id = r
                    .service_id
                    .ok_or_else(|| AppError::Internal("request without service".into()))?;
                self.apply_return_extension(&mut tx, &r, service_id, p)
                    .await?
            }
            Payload::PropertyAdd(p) => {
                let made = tx
                    .insert_property(r.authority_id, &p.fields(r.provider_id))
                    .await?;
                format!("property:{}", made.id)
            }
            Payload::PropertyEdit(p) => {
                let id = p
                    .property_id
                    .ok_or_else(|| AppError::Internal("property change without its id".into()))?;
                let current = tx
                    .property_for_update(id)
                    .await?
                    .filter(|c| c.provider_id == r.provider_id)
                    .ok_or(AppError::NotFound)?;
                let current = serde_json::to_value(PropertyAsk::of(&current))
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                if Some(current) != r.base {
                    return Err(AppError::Conflict(ConflictCode::Stale,
                        "The property has changed since this request was made, so approving it would overwrite that change. Reject it and ask the provider to send a new request.".into(),
                    ));
                }
                tx.update_property(id, &p.fields(r.provider_id))
                    .await?
                    .ok_or(AppError::NotFound)?;
                format!("property:{id}")
            }
            Payload::ContactAdd(_)
            | Payload::ContactEdit(_)
            | Payload::ContactDeactivate(_)
            | Payload::AssignmentAdd(_)
            | Payload::AssignmentRemove(_)
            | Payload::Login(_) => {
                let (record, h) = self.apply_contact_request(&mut tx, &r).await?;
                handover = h;
                record
            }
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
        Ok((Request::from_row(decided)?, handover))
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
        Request::from_row(decided)
    }
}

/// A contact's fields as a request's page lists them: (label, value shown).
fn contact_rows(d: &ContactDetails) -> Vec<(&'static str, Option<String>)> {
    let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    let others = d
        .other_positions
        .iter()
        .map(|p| p.label())
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        ("Title", text(&d.title)),
        ("First name", text(&d.first_name)),
        ("Last name", text(&d.last_name)),
        ("Job title", text(&d.job_title)),
        ("Position type", Some(d.position_type.label().to_string())),
        ("Other positions", text(&others)),
        ("Email", text(&d.email)),
        ("Telephone", text(&d.phone)),
        ("Mobile", text(&d.mobile)),
        ("Fax", text(&d.fax)),
        ("Pager", text(&d.pager)),
        ("Web address", text(&d.web_address)),
        ("Address line 1", text(&d.address_line1)),
        ("Address line 2", text(&d.address_line2)),
        ("Address line 3", text(&d.address_line3)),
        ("Address line 4", text(&d.address_line4)),
        ("Town or city", text(&d.town)),
        ("Postcode", text(&d.postcode)),
        ("UPRN", text(&d.uprn)),
        ("USRN", text(&d.usrn)),
        ("Directions", text(&d.directions)),
        (
            "Confidential",
            Some(if d.confidential { "Yes" } else { "No" }.to_string()),
        ),
        (
            "Disabled access",
            Some(
                match d.disabled_access {
                    None => "Not known",
                    Some(true) => "Yes",
                    Some(false) => "No",
                }
                .to_string(),
            ),
        ),
    ]
}

/// The directory details' e-mail address and website, as the service details form and the
/// records import check them.
pub(crate) fn check_details_contact(details: &ServiceDetails, e: &mut FieldErrors) {
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
}
