//! What each kind of request carries, typed. A request is stored as its kind and a JSON
//! payload; [`Payload::read`] is the only place that JSON is read, and [`Payload::to_json`]
//! the only place it is written, so a use case never looks a field up by name. The JSON
//! keys are the ones requests have always been stored with, so requests made before the
//! types existed read back unchanged.

use chrono::NaiveDate;
use hearth_domain::{Assignment, EndReason, PositionType, RequestKind};
use serde::{Deserialize, Serialize};

use crate::AppError;

pub use hearth_store::ServiceDetails;

/// The client a new schedule is for, as the provider entered them (already checked).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NewClient {
    #[serde(default)]
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default)]
    pub ethnicity: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub address2: String,
    #[serde(default)]
    pub town: String,
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub uprn: Option<String>,
    #[serde(default)]
    pub ni_number: Option<String>,
    #[serde(default)]
    pub hb_number: Option<String>,
}

/// The schedule a new-schedule request would start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedSchedule {
    pub service_id: i64,
    #[serde(default)]
    pub level: String,
    pub units_per_week: i64,
    pub start_date: NaiveDate,
    #[serde(default)]
    pub tenancy_reference: String,
    #[serde(default)]
    pub property_id: Option<i64>,
}

/// A new client schedule (F3.2), for a new client or a returning one (who keeps their ID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSchedule {
    pub client: NewClient,
    #[serde(default)]
    pub returning_client_id: Option<i64>,
    pub schedule: PlannedSchedule,
}

/// A change of a schedule's level or units, or its end with a reason (F3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleUpdate {
    pub schedule_id: i64,
    #[serde(default)]
    pub level: String,
    pub units_per_week: i64,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub end_reason: Option<EndReason>,
}

/// A move to another of the provider's services: this schedule ends (reason "change of
/// service") and one on the new service starts the same day (F3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChange {
    pub schedule_id: i64,
    pub end_date: NaiveDate,
    pub end_reason: EndReason,
    pub new_service_id: i64,
    #[serde(default)]
    pub level: String,
    pub units_per_week: i64,
    pub start_date: NaiveDate,
}

/// A contact as a new-contact or contact-change request sets it (F3.7). A change names
/// the contact; the same shape, taken from the record, is the base a change is checked
/// against on approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<i64>,
    #[serde(default)]
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    pub position_type: PositionType,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    // The rest of the portal briefing's contact form (issue 10); requests made before these
    // fields existed read them as empty.
    #[serde(default)]
    pub job_title: String,
    #[serde(default)]
    pub other_positions: Vec<PositionType>,
    #[serde(default)]
    pub mobile: String,
    #[serde(default)]
    pub fax: String,
    #[serde(default)]
    pub pager: String,
    #[serde(default)]
    pub web_address: String,
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    #[serde(default)]
    pub address_line3: String,
    #[serde(default)]
    pub address_line4: String,
    #[serde(default)]
    pub town: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub uprn: String,
    #[serde(default)]
    pub usrn: String,
    #[serde(default)]
    pub directions: String,
    #[serde(default)]
    pub confidential: bool,
    /// Disabled access at the contact's address: None when not known.
    #[serde(default)]
    pub disabled_access: Option<bool>,
}

impl Default for ContactDetails {
    fn default() -> Self {
        ContactDetails {
            contact_id: None,
            title: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            position_type: PositionType::Other,
            email: String::new(),
            phone: String::new(),
            job_title: String::new(),
            other_positions: Vec::new(),
            mobile: String::new(),
            fax: String::new(),
            pager: String::new(),
            web_address: String::new(),
            address_line1: String::new(),
            address_line2: String::new(),
            address_line3: String::new(),
            address_line4: String::new(),
            town: String::new(),
            postcode: String::new(),
            uprn: String::new(),
            usrn: String::new(),
            directions: String::new(),
            confidential: false,
            disabled_access: None,
        }
    }
}

/// How a disabled-access answer is stored: "" not known, "yes" or "no".
pub fn disabled_access_code(v: Option<bool>) -> &'static str {
    match v {
        None => "",
        Some(true) => "yes",
        Some(false) => "no",
    }
}

impl ContactDetails {
    /// The contact as it stands, in the shape a request carries (the base of a change).
    pub fn of(c: &hearth_store::Contact) -> ContactDetails {
        ContactDetails {
            contact_id: Some(c.id),
            title: c.title.clone(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            position_type: PositionType::parse(&c.position_type).unwrap_or(PositionType::Other),
            email: c.email.clone(),
            phone: c.phone.clone(),
            job_title: c.job_title.clone(),
            other_positions: c
                .other_positions
                .split(',')
                .filter_map(|p| PositionType::parse(p.trim()).ok())
                .collect(),
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
            disabled_access: match c.disabled_access.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
        }
    }

    /// The fields the store writes.
    pub fn fields(&self) -> hearth_store::ContactFields {
        hearth_store::ContactFields {
            title: self.title.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            position_type: self.position_type.as_str().to_string(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            job_title: self.job_title.clone(),
            other_positions: self.positions_code(),
            mobile: self.mobile.clone(),
            fax: self.fax.clone(),
            pager: self.pager.clone(),
            web_address: self.web_address.clone(),
            address_line1: self.address_line1.clone(),
            address_line2: self.address_line2.clone(),
            address_line3: self.address_line3.clone(),
            address_line4: self.address_line4.clone(),
            town: self.town.clone(),
            postcode: self.postcode.clone(),
            uprn: self.uprn.clone(),
            usrn: self.usrn.clone(),
            directions: self.directions.clone(),
            confidential: self.confidential,
            disabled_access: disabled_access_code(self.disabled_access).to_string(),
        }
    }

    /// The other positions as stored: their codes, comma-separated.
    pub fn positions_code(&self) -> String {
        self.other_positions
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A request about one contact and nothing else (deactivation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    pub contact_id: i64,
}

/// A new assignment of a contact, for the organisation, a service or a contract; `text`
/// is how it read when asked for ("Service manager for Acorn House").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentAdd {
    pub contact_id: i64,
    pub assignment: Assignment,
    #[serde(default)]
    pub service_id: Option<i64>,
    #[serde(default)]
    pub contract_id: Option<i64>,
    #[serde(default)]
    pub text: String,
}

/// The end of one of a contact's assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentRemove {
    pub contact_id: i64,
    pub assignment_id: i64,
    #[serde(default)]
    pub text: String,
}

/// A login for a contact; approved, it makes a provider user with a temporary password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginFor {
    pub contact_id: i64,
    #[serde(default)]
    pub email: String,
}

/// More time for a service's quarterly return (F4.5): the provider asks, with its reason, for
/// the return to be due on a later date; approval grants the extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnExtensionAsk {
    pub quarter: hearth_domain::performance::Quarter,
    pub until: NaiveDate,
    pub reason: String,
}

/// A property as a new-property or property-change request sets it (issue 10: properties by
/// request, as for service details). A change names the property; the same shape, taken
/// from the record, is the base a change is checked against on approval. The provider is
/// always the requesting provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyAsk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_id: Option<i64>,
    #[serde(default)]
    pub service_id: Option<i64>,
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    #[serde(default)]
    pub town: String,
    pub postcode: String,
    #[serde(default)]
    pub uprn: Option<String>,
}

impl PropertyAsk {
    /// The property as it stands (the base of a change).
    pub fn of(p: &hearth_store::Property) -> PropertyAsk {
        PropertyAsk {
            property_id: Some(p.id),
            service_id: p.service_id,
            address_line1: p.address_line1.clone(),
            address_line2: p.address_line2.clone(),
            town: p.town.clone(),
            postcode: p.postcode.clone(),
            uprn: p.uprn.clone(),
        }
    }

    /// The fields to write for the given provider.
    pub fn fields(&self, provider_id: i64) -> hearth_store::PropertyFields {
        hearth_store::PropertyFields {
            provider_id,
            service_id: self.service_id,
            address_line1: self.address_line1.clone(),
            address_line2: self.address_line2.clone(),
            town: self.town.clone(),
            postcode: self.postcode.clone(),
            uprn: self.uprn.clone(),
        }
    }
}

/// What a request asks for: one variant per [`RequestKind`].
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    NewSchedule(NewSchedule),
    UpdateSchedule(ScheduleUpdate),
    ChangeService(ServiceChange),
    ServiceDetails(ServiceDetails),
    ContactAdd(ContactDetails),
    ContactEdit(ContactDetails),
    ContactDeactivate(ContactRef),
    AssignmentAdd(AssignmentAdd),
    AssignmentRemove(AssignmentRemove),
    Login(LoginFor),
    ReturnExtension(ReturnExtensionAsk),
    PropertyAdd(PropertyAsk),
    PropertyEdit(PropertyAsk),
}

fn bad(kind: RequestKind, e: serde_json::Error) -> AppError {
    AppError::Internal(format!(
        "a {} request's payload does not read: {e}",
        kind.as_str()
    ))
}

impl Payload {
    /// The kind of request this payload belongs to.
    pub fn kind(&self) -> RequestKind {
        match self {
            Payload::NewSchedule(_) => RequestKind::NewSchedule,
            Payload::UpdateSchedule(_) => RequestKind::UpdateSchedule,
            Payload::ChangeService(_) => RequestKind::ChangeService,
            Payload::ServiceDetails(_) => RequestKind::ServiceDetails,
            Payload::ContactAdd(_) => RequestKind::ContactAdd,
            Payload::ContactEdit(_) => RequestKind::ContactEdit,
            Payload::ContactDeactivate(_) => RequestKind::ContactDeactivate,
            Payload::AssignmentAdd(_) => RequestKind::AssignmentAdd,
            Payload::AssignmentRemove(_) => RequestKind::AssignmentRemove,
            Payload::Login(_) => RequestKind::LoginRequest,
            Payload::ReturnExtension(_) => RequestKind::ReturnExtension,
            Payload::PropertyAdd(_) => RequestKind::PropertyAdd,
            Payload::PropertyEdit(_) => RequestKind::PropertyEdit,
        }
    }

    /// Reads a stored payload of the given kind.
    pub fn read(kind: RequestKind, json: &str) -> Result<Payload, AppError> {
        fn de<T: serde::de::DeserializeOwned>(k: RequestKind, json: &str) -> Result<T, AppError> {
            serde_json::from_str(json).map_err(|e| bad(k, e))
        }
        if kind == RequestKind::ServiceDetails {
            let mut v: serde_json::Value = de(kind, json)?;
            upgrade_service_details(&mut v);
            return serde_json::from_value(v)
                .map(Payload::ServiceDetails)
                .map_err(|e| bad(kind, e));
        }
        Ok(match kind {
            RequestKind::NewSchedule => Payload::NewSchedule(de(kind, json)?),
            RequestKind::UpdateSchedule => Payload::UpdateSchedule(de(kind, json)?),
            RequestKind::ChangeService => Payload::ChangeService(de(kind, json)?),
            RequestKind::ServiceDetails => Payload::ServiceDetails(de(kind, json)?),
            RequestKind::ContactAdd => Payload::ContactAdd(de(kind, json)?),
            RequestKind::ContactEdit => Payload::ContactEdit(de(kind, json)?),
            RequestKind::ContactDeactivate => Payload::ContactDeactivate(de(kind, json)?),
            RequestKind::AssignmentAdd => Payload::AssignmentAdd(de(kind, json)?),
            RequestKind::AssignmentRemove => Payload::AssignmentRemove(de(kind, json)?),
            RequestKind::LoginRequest => Payload::Login(de(kind, json)?),
            RequestKind::ReturnExtension => Payload::ReturnExtension(de(kind, json)?),
            RequestKind::PropertyAdd => Payload::PropertyAdd(de(kind, json)?),
            RequestKind::PropertyEdit => Payload::PropertyEdit(de(kind, json)?),
        })
    }

    /// The JSON stored for this payload.
    pub fn to_json(&self) -> Result<serde_json::Value, AppError> {
        let v = match self {
            Payload::NewSchedule(p) => serde_json::to_value(p),
            Payload::UpdateSchedule(p) => serde_json::to_value(p),
            Payload::ChangeService(p) => serde_json::to_value(p),
            Payload::ServiceDetails(p) => serde_json::to_value(p),
            Payload::ContactAdd(p) | Payload::ContactEdit(p) => serde_json::to_value(p),
            Payload::ContactDeactivate(p) => serde_json::to_value(p),
            Payload::AssignmentAdd(p) => serde_json::to_value(p),
            Payload::AssignmentRemove(p) => serde_json::to_value(p),
            Payload::Login(p) => serde_json::to_value(p),
            Payload::ReturnExtension(p) => serde_json::to_value(p),
            Payload::PropertyAdd(p) | Payload::PropertyEdit(p) => serde_json::to_value(p),
        };
        v.map_err(|e| bad(self.kind(), e))
    }
}

/// Service details stored before visual and hearing impairment support were separate (one
/// `impairment_support` flag) read as both: a request's payload, and its base, so a request
/// made before the upgrade is neither misread nor taken for stale.
pub fn upgrade_service_details(v: &mut serde_json::Value) {
    let Some(o) = v.as_object_mut() else {
        return;
    };
    if let Some(old) = o.remove("impairment_support") {
        for key in ["visual_impairment_support", "hearing_impairment_support"] {
            o.entry(key).or_insert_with(|| old.clone());
        }
        o.entry("eligibility")
            .or_insert_with(|| serde_json::Value::String(String::new()));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        hearth_domain::parse_date(s).unwrap_or_default()
    }

    #[test]
    fn service_details_stored_with_one_impairment_flag_read_as_both() {
        let old = r#"{"public_name":"","description":"d","languages":"","religions":"","tenure":"",
            "rural_urban":"","emergency_referrals":false,"interpreter":true,"impairment_support":true,
            "waiting_list":false,"support_tasks":"","referral_routes":""}"#;
        let Ok(Payload::ServiceDetails(d)) = Payload::read(RequestKind::ServiceDetails, old) else {
            panic!("old service details read")
        };
        assert!(d.visual_impairment_support && d.hearing_impairment_support);
        assert_eq!(d.eligibility, "");
        let mut base: serde_json::Value = serde_json::from_str(old).unwrap();
        upgrade_service_details(&mut base);
        assert_eq!(
            serde_json::from_value::<ServiceDetails>(base).unwrap(),
            d,
            "the base reads the same way"
        );
        // Without the old flag nothing changes.
        let mut new = serde_json::to_value(&d).unwrap();
        new["hearing_impairment_support"] = false.into();
        let before = new.clone();
        upgrade_service_details(&mut new);
        assert_eq!(new, before);
    }

    #[test]
    fn payloads_stored_before_the_types_read_back() {
        // As request_new_schedule wrote them with json!() before there were types.
        let new = r#"{"client":{"title":"Ms","first_name":"Ann","last_name":"Lee","date_of_birth":"1950-02-03",
            "ethnicity":"","address":"1 High St","address2":"","town":"Reading","postcode":"RG1 1AA","uprn":null,
            "ni_number":"QQ123456C","hb_number":null},"returning_client_id":null,
            "schedule":{"service_id":7,"level":"High","units_per_week":5,"start_date":"2026-04-01",
            "tenancy_reference":"T1","property_id":null}}"#;
        let Ok(Payload::NewSchedule(p)) = Payload::read(RequestKind::NewSchedule, new) else {
            panic!("a new schedule reads")
        };
        assert_eq!(p.client.date_of_birth, Some(date("1950-02-03")));
        assert_eq!(p.schedule.service_id, 7);
        assert_eq!(p.schedule.start_date, date("2026-04-01"));
        let update = r#"{"schedule_id":3,"level":"","units_per_week":4,"end_date":"2026-05-01","end_reason":"deceased"}"#;
        let Ok(Payload::UpdateSchedule(u)) = Payload::read(RequestKind::UpdateSchedule, update)
        else {
            panic!("an update reads")
        };
        assert_eq!(u.end_reason, Some(EndReason::Deceased));
        let contact = r#"{"title":"","first_name":"Jo","last_name":"Bloggs","position_type":"manager","email":"","phone":""}"#;
        let Ok(Payload::ContactAdd(c)) = Payload::read(RequestKind::ContactAdd, contact) else {
            panic!("a contact reads")
        };
        assert_eq!(c.contact_id, None);
        assert_eq!(c.position_type, PositionType::Manager);
    }

    #[test]
    fn a_payload_writes_the_keys_it_reads() {
        let p = Payload::ChangeService(ServiceChange {
            schedule_id: 1,
            end_date: date("2026-06-30"),
            end_reason: EndReason::ChangeOfService,
            new_service_id: 9,
            level: "Low".into(),
            units_per_week: 2,
            start_date: date("2026-06-30"),
        });
        let json = p.to_json().unwrap_or_default();
        assert_eq!(json["end_reason"], "change_of_service");
        assert_eq!(json["start_date"], "2026-06-30");
        let back = Payload::read(RequestKind::ChangeService, &json.to_string());
        assert_eq!(back.ok(), Some(p));
        // A contact without an id writes no "contact_id" key (as new-contact requests did).
        let c = ContactDetails {
            first_name: "A".into(),
            last_name: "B".into(),
            ..Default::default()
        };
        let json = Payload::ContactAdd(c.clone()).to_json().unwrap_or_default();
        assert!(json.get("contact_id").is_none());
        // A contact request stored before the briefing's other fields existed still reads,
        // with those fields empty.
        let old = r#"{"title":"","first_name":"A","last_name":"B","position_type":"other","email":"","phone":""}"#;
        assert_eq!(
            Payload::read(RequestKind::ContactAdd, old).ok(),
            Some(Payload::ContactAdd(c))
        );
    }

    #[test]
    fn a_payload_of_the_wrong_shape_is_an_error_not_a_default() {
        let r = Payload::read(RequestKind::UpdateSchedule, r#"{"level":"x"}"#);
        assert!(matches!(r, Err(AppError::Internal(_))));
        let r = Payload::read(
            RequestKind::AssignmentAdd,
            r#"{"contact_id":1,"assignment":"nonsense"}"#,
        );
        assert!(r.is_err());
    }
}
