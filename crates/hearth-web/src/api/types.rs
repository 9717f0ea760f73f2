//! The JSON API's response bodies: the API's contract, mapped from the use cases' results,
//! so the database's layout (flags stored as 0 or 1, column names) never leaks into it.
//! Flags are JSON booleans; field names here are stable.

use serde::Serialize;

/// A page of a list.
#[derive(Serialize)]
pub struct Page<T> {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub total_pages: i64,
    pub items: Vec<T>,
}

impl<T> Page<T> {
    pub fn of<U>(p: hearth_domain::paging::Page<U>, f: impl FnMut(U) -> T) -> Page<T> {
        let total_pages = p.total_pages();
        Page {
            total: p.total,
            page: p.page,
            per_page: p.per_page,
            total_pages,
            items: p.items.into_iter().map(f).collect(),
        }
    }
}

#[derive(Serialize)]
pub struct Provider {
    pub id: i64,
    pub name: String,
    pub reference: String,
    pub address: String,
    pub postcode: String,
    pub phone: String,
    pub email: String,
    /// Whether the provider's users see only the services assigned to them.
    pub limited_access: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! provider_from {
    ($p:expr) => {{
        let p = $p;
        Provider {
            id: p.id,
            name: p.name,
            reference: p.reference,
            address: p.address,
            postcode: p.postcode,
            phone: p.phone,
            email: p.email,
            limited_access: p.limited_access != 0,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }};
}
pub(crate) use provider_from;

#[derive(Serialize)]
pub struct Service {
    pub id: i64,
    pub authority_id: i64,
    pub provider_id: i64,
    pub reference: String,
    pub name: String,
    pub public_name: String,
    pub service_type: String,
    pub term: String,
    pub client_group: String,
    pub contracted_units: i64,
    pub address: String,
    pub postcode: String,
    pub description: String,
    pub available_places: Option<i64>,
    pub available_places_updated_at: Option<i64>,
    pub languages: String,
    pub religions: String,
    pub tenure: String,
    pub rural_urban: String,
    pub emergency_referrals: bool,
    pub interpreter: bool,
    /// Visual or hearing impairment support (either), as before the two were separate.
    pub impairment_support: bool,
    pub visual_impairment_support: bool,
    pub hearing_impairment_support: bool,
    pub eligibility: String,
    pub waiting_list: bool,
    pub support_tasks: String,
    pub referral_routes: String,
    pub household_types: String,
    pub age_groups: String,
    pub exclusions: String,
    pub accommodation_type: String,
    pub ethnicity_focus: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub website: String,
    pub accessibility: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub current_clients: i64,
    pub current_clients_on: String,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! service_from {
    ($s:expr) => {{
        let s = $s;
        Service {
            id: s.id,
            authority_id: s.authority_id,
            provider_id: s.provider_id,
            reference: s.reference,
            name: s.name,
            public_name: s.public_name,
            service_type: s.service_type,
            term: s.term,
            client_group: s.client_group,
            contracted_units: s.contracted_units,
            address: s.address,
            postcode: s.postcode,
            description: s.description,
            available_places: s.available_places,
            available_places_updated_at: s.available_places_updated_at,
            languages: s.languages,
            religions: s.religions,
            tenure: s.tenure,
            rural_urban: s.rural_urban,
            emergency_referrals: s.emergency_referrals != 0,
            interpreter: s.interpreter != 0,
            impairment_support: s.visual_impairment_support != 0
                || s.hearing_impairment_support != 0,
            visual_impairment_support: s.visual_impairment_support != 0,
            hearing_impairment_support: s.hearing_impairment_support != 0,
            eligibility: s.eligibility.clone(),
            waiting_list: s.waiting_list != 0,
            support_tasks: s.support_tasks,
            referral_routes: s.referral_routes,
            household_types: s.household_types,
            age_groups: s.age_groups,
            exclusions: s.exclusions,
            accommodation_type: s.accommodation_type,
            ethnicity_focus: s.ethnicity_focus,
            contact_phone: s.contact_phone,
            contact_email: s.contact_email,
            website: s.website,
            accessibility: s.accessibility,
            latitude: s.latitude,
            longitude: s.longitude,
            current_clients: s.current_clients,
            current_clients_on: s.current_clients_on,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }};
}
pub(crate) use service_from;

#[derive(Serialize)]
pub struct Property {
    pub id: i64,
    pub authority_id: i64,
    pub provider_id: i64,
    pub service_id: Option<i64>,
    pub address_line1: String,
    pub address_line2: String,
    pub town: String,
    pub postcode: String,
    pub uprn: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! property_from {
    ($p:expr) => {{
        let p = $p;
        Property {
            id: p.id,
            authority_id: p.authority_id,
            provider_id: p.provider_id,
            service_id: p.service_id,
            address_line1: p.address_line1,
            address_line2: p.address_line2,
            town: p.town,
            postcode: p.postcode,
            uprn: p.uprn,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }};
}
pub(crate) use property_from;

#[derive(Serialize)]
pub struct Contract {
    pub id: i64,
    pub authority_id: i64,
    pub provider_id: i64,
    pub reference: String,
    pub title: String,
    pub units: i64,
    pub unit_rate_pence: i64,
    pub start_date: String,
    pub end_date: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Only on a single contract: the services it covers that you may see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_ids: Option<Vec<i64>>,
}

macro_rules! contract_from {
    ($c:expr, $ids:expr) => {{
        let c = $c;
        Contract {
            id: c.id,
            authority_id: c.authority_id,
            provider_id: c.provider_id,
            reference: c.reference,
            title: c.title,
            units: c.units,
            unit_rate_pence: c.unit_rate_pence,
            start_date: c.start_date,
            end_date: c.end_date,
            status: c.status,
            created_at: c.created_at,
            updated_at: c.updated_at,
            service_ids: $ids,
        }
    }};
}
pub(crate) use contract_from;

#[derive(Serialize)]
pub struct Signature {
    pub id: i64,
    pub document_id: i64,
    pub user_id: i64,
    pub signed_by_name: String,
    pub signed_at: i64,
}

#[derive(Serialize)]
pub struct Document {
    pub id: i64,
    pub contract_id: i64,
    pub title: String,
    pub source: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub progress: String,
    /// contract_document, variation, specification, funding_agreement or other.
    pub document_type: String,
    /// The commissioning team's comments.
    pub authority_comments: String,
    pub provider_comments: String,
    pub created_by_name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub signatures: Vec<Signature>,
    /// Where to fetch the PDF.
    pub download: String,
}

impl From<hearth_app::documents::DocumentWithSignatures> for Document {
    fn from(d: hearth_app::documents::DocumentWithSignatures) -> Self {
        let signatures = d
            .signatures
            .into_iter()
            .map(|s| Signature {
                id: s.id,
                document_id: s.document_id,
                user_id: s.user_id,
                signed_by_name: s.signed_by_name,
                signed_at: s.signed_at,
            })
            .collect();
        let d = d.document;
        Document {
            download: format!("/api/v1/documents/{}/file", d.id),
            id: d.id,
            contract_id: d.contract_id,
            title: d.title,
            source: d.source,
            filename: d.filename,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            progress: d.progress,
            document_type: d.document_type,
            authority_comments: d.authority_comments,
            provider_comments: d.provider_comments,
            created_by_name: d.created_by_name,
            created_at: d.created_at,
            updated_at: d.updated_at,
            signatures,
        }
    }
}

#[derive(Serialize)]
pub struct Schedule {
    pub id: i64,
    pub client_id: i64,
    pub service_id: i64,
    pub level: String,
    pub units_per_week: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub end_reason: Option<String>,
    pub first_name: String,
    pub last_name: String,
}

macro_rules! schedule_from {
    ($s:expr) => {{
        let s = $s;
        Schedule {
            id: s.id,
            client_id: s.client_id,
            service_id: s.service_id,
            level: s.level,
            units_per_week: s.units_per_week,
            start_date: s.start_date,
            end_date: s.end_date,
            end_reason: s.end_reason,
            first_name: s.first_name,
            last_name: s.last_name,
        }
    }};
}
pub(crate) use schedule_from;

/// One field a request would change.
#[derive(Serialize)]
pub struct Change {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Serialize)]
pub struct Request {
    pub id: i64,
    pub authority_id: i64,
    pub provider_id: i64,
    pub service_id: Option<i64>,
    pub kind: String,
    pub status: String,
    pub summary: String,
    /// What the request would set: an object whose fields depend on `kind`.
    pub payload: serde_json::Value,
    /// For updates, the values it was made against.
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
    /// Only on a single request: what it changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<Change>>,
    /// Only when approving a login request: the temporary password, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handover: Option<String>,
}

impl From<hearth_app::requests::Request> for Request {
    fn from(r: hearth_app::requests::Request) -> Self {
        Request {
            id: r.id,
            authority_id: r.authority_id,
            provider_id: r.provider_id,
            service_id: r.service_id,
            kind: r.kind.as_str().into(),
            status: r.status.as_str().into(),
            summary: r.summary,
            payload: r.payload.to_json().unwrap_or_default(),
            base: r.base,
            comment: r.comment,
            remarks: r.remarks,
            submitted_by: r.submitted_by,
            submitted_by_name: r.submitted_by_name,
            submitted_at: r.submitted_at,
            decided_by: r.decided_by,
            decided_by_name: r.decided_by_name,
            decided_at: r.decided_at,
            result_record: r.result_record,
            changes: None,
            handover: None,
        }
    }
}

#[derive(Serialize)]
pub struct Action {
    pub id: i64,
    pub authority_id: i64,
    pub provider_id: i64,
    pub contact_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub due_date: String,
    pub priority: String,
    pub status: String,
    pub done_note: String,
    pub done_by_name: Option<String>,
    pub done_at: Option<i64>,
    pub created_by_name: String,
    pub created_at: i64,
}

macro_rules! action_from {
    ($a:expr) => {{
        let a = $a;
        Action {
            id: a.id,
            authority_id: a.authority_id,
            provider_id: a.provider_id,
            contact_id: a.contact_id,
            title: a.title,
            description: a.description,
            due_date: a.due_date,
            priority: a.priority,
            status: a.status,
            done_note: a.done_note,
            done_by_name: a.done_by_name,
            done_at: a.done_at,
            created_by_name: a.created_by_name,
            created_at: a.created_at,
        }
    }};
}
pub(crate) use action_from;
