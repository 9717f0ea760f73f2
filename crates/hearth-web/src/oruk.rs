//! The Open Referral UK 3.0 API (F8.3) under /api/oruk: open to all, CORS `*`, stable UUIDs,
//! empty fields left out. Service types, client groups and support tasks are published as
//! taxonomies linked through attributes; places available as an extra `capacities` field.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use hearth_app::directory::{places_available, DirectoryItem, OpenSearch};
use hearth_app::AppError;

use crate::error::{Page, WebError};
use hearth_domain::directory::{AGE_GROUPS, SUPPORT_TASKS};
use hearth_domain::{ClientGroup, ServiceType};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::routes::{Access, RouteTable};
use crate::AppState;

pub fn register(t: &mut RouteTable) {
    t.get("/api/oruk", Access::Public, get(root));
    t.get("/api/oruk/", Access::Public, get(root));
    t.get("/api/oruk/openapi.json", Access::Public, get(openapi));
    t.get("/api/oruk/services", Access::Public, get(services));
    t.get("/api/oruk/services/{id}", Access::Public, get(service));
    t.get(
        "/api/oruk/service_at_locations",
        Access::Public,
        get(service_at_locations),
    );
    t.get(
        "/api/oruk/service_at_locations/{id}",
        Access::Public,
        get(service_at_location),
    );
    t.get(
        "/api/oruk/organizations",
        Access::Public,
        get(organizations),
    );
    t.get(
        "/api/oruk/organizations/{id}",
        Access::Public,
        get(organization),
    );
    t.get("/api/oruk/taxonomies", Access::Public, get(taxonomies));
    t.get("/api/oruk/taxonomies/{id}", Access::Public, get(taxonomy));
    t.get(
        "/api/oruk/taxonomy_terms",
        Access::Public,
        get(taxonomy_terms),
    );
    t.get(
        "/api/oruk/taxonomy_terms/{id}",
        Access::Public,
        get(taxonomy_term),
    );
}

// ---------------- stable identifiers ----------------

/// A UUID (version 8) carrying a four-letter kind and a number, so the same record always has
/// the same id and an id can be read back without a lookup table.
pub fn uuid_of(kind: &[u8; 4], n: u64) -> Uuid {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(kind);
    b[10..16].copy_from_slice(&n.to_be_bytes()[2..8]);
    Uuid::new_v8(b)
}

/// The number inside a UUID of `kind`, if it is one.
pub fn number_of(kind: &[u8; 4], id: &str) -> Option<u64> {
    let u = Uuid::parse_str(id).ok()?;
    let b = u.as_bytes();
    if &b[..4] != kind {
        return None;
    }
    let mut n = [0u8; 8];
    n[2..8].copy_from_slice(&b[10..16]);
    let v = u64::from_be_bytes(n);
    (uuid_of(kind, v) == u).then_some(v)
}

const SVC: &[u8; 4] = b"svc\0";
const ORG: &[u8; 4] = b"org\0";
const LOC: &[u8; 4] = b"loc\0";
const SAL: &[u8; 4] = b"sal\0";
const ADR: &[u8; 4] = b"adr\0";
const ATT: &[u8; 4] = b"att\0";
const TXN: &[u8; 4] = b"txn\0";
const TRM: &[u8; 4] = b"trm\0";
const CAP: &[u8; 4] = b"cap\0";
const UNI: &[u8; 4] = b"uni\0";
const CON: &[u8; 4] = b"con\0";
const PHN: &[u8; 4] = b"phn\0";
const LAN: &[u8; 4] = b"lan\0";

/// The three published taxonomies: (number, name, description, terms as (code, label)).
#[allow(clippy::type_complexity)]
fn taxonomy_list() -> Vec<(
    u64,
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
)> {
    vec![
        (1, "Service type", "Types of housing-related support and day services (Supporting People).", ServiceType::ALL.iter().map(|t| (t.as_str(), t.label())).collect()),
        (2, "Client group", "The primary client group a service is commissioned for (Supporting People client groups).", ClientGroup::ALL.iter().map(|t| (t.as_str(), t.label())).collect()),
        (3, "Support task", "Housing-related support tasks a service provides.", SUPPORT_TASKS.to_vec()),
    ]
}

fn term_number(taxonomy: u64, index: usize) -> u64 {
    taxonomy * 1000 + index as u64
}

fn find_term(n: u64) -> Option<(u64, usize, &'static str, &'static str)> {
    let (t, i) = (n / 1000, (n % 1000) as usize);
    taxonomy_list()
        .into_iter()
        .find(|x| x.0 == t)
        .and_then(|x| x.3.get(i).map(|(c, l)| (t, i, *c, *l)))
}

fn taxonomy_json(t: u64, name: &str, description: &str) -> Value {
    json!({"id": uuid_of(TXN, t), "name": name, "description": description, "version": "1"})
}

fn term_json(t: u64, i: usize, code: &str, label: &str, nested_taxonomy: bool) -> Value {
    let mut v = json!({
        "id": uuid_of(TRM, term_number(t, i)), "name": label, "description": label, "code": code,
        "taxonomy_id": uuid_of(TXN, t), "term": code,
    });
    if nested_taxonomy {
        if let Some(x) = taxonomy_list().into_iter().find(|x| x.0 == t) {
            v["taxonomy_detail"] = taxonomy_json(x.0, x.1, x.2);
        }
    }
    v
}

/// Removes nulls, empty strings and empty arrays, everywhere ("empty fields left out").
fn clean(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, clean(v)))
                .filter(|(_, v)| {
                    !matches!(v, Value::Null)
                        && v.as_str() != Some("")
                        && !v.as_array().is_some_and(|a| a.is_empty())
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(clean).collect()),
        other => other,
    }
}

fn ok(v: Value) -> Page {
    let mut r = (StatusCode::OK, axum::Json(clean(v))).into_response();
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(r)
}

fn timestamp(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

// ---------------- records ----------------

fn organization_json(id: i64, name: &str) -> Value {
    json!({
        "id": uuid_of(ORG, id as u64), "name": name,
        "description": format!("{name} provides housing-related support services funded by the commissioning authority."),
    })
}

fn address_json(r: &DirectoryItem) -> Value {
    let s = &r.service;
    let mut parts = s
        .address
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>();
    let city = if parts.len() > 1 {
        parts.pop().unwrap_or_default()
    } else {
        ""
    };
    json!({
        "id": uuid_of(ADR, s.id as u64), "location_id": uuid_of(LOC, s.id as u64),
        "address_1": if parts.is_empty() { s.name.clone() } else { parts.join(", ") },
        "city": if city.is_empty() { "Not known" } else { city }, "state_province": "England",
        "postal_code": s.postcode, "country": "GB", "address_type": "physical",
    })
}

fn location_json(r: &DirectoryItem) -> Value {
    let s = &r.service;
    json!({
        "id": uuid_of(LOC, s.id as u64), "location_type": "physical", "name": display_name(r),
        "latitude": s.latitude, "longitude": s.longitude,
        "addresses": [address_json(r)],
        "accessibility": if s.accessibility.is_empty() { json!([]) } else { json!([{"id": uuid_of(LOC, 1_000_000_000 + s.id as u64), "location_id": uuid_of(LOC, s.id as u64), "description": s.accessibility}]) },
    })
}

fn display_name(r: &DirectoryItem) -> String {
    if r.service.public_name.is_empty() {
        r.service.name.clone()
    } else {
        r.service.public_name.clone()
    }
}

fn attributes_json(r: &DirectoryItem) -> Value {
    let s = &r.service;
    let mut out = Vec::new();
    for (t, _, _, terms) in taxonomy_list() {
        let codes: Vec<&str> = match t {
            1 => vec![s.service_type.as_str()],
            2 => vec![s.client_group.as_str()],
            _ => s.support_tasks.split(',').map(str::trim).collect(),
        };
        for (i, (code, label)) in terms.iter().enumerate() {
            if codes.contains(code) {
                let n = term_number(t, i);
                out.push(json!({
                    "id": uuid_of(ATT, ((s.id as u64) << 16) | n), "link_id": uuid_of(SVC, s.id as u64),
                    "link_type": "service", "taxonomy_term_id": uuid_of(TRM, n),
                    "taxonomy_term": term_json(t, i, code, label, false),
                }));
            }
        }
    }
    Value::Array(out)
}

fn ages(codes: &str) -> (Option<i64>, Option<i64>) {
    let mut min: Option<i64> = None;
    let mut max: Option<i64> = None;
    for c in codes
        .split(',')
        .map(str::trim)
        .filter(|c| AGE_GROUPS.iter().any(|(k, _)| k == c))
    {
        let (lo, hi) = match c {
            "16_25" => (16, Some(25)),
            "18_64" => (18, Some(64)),
            "55_plus" => (55, None),
            _ => (65, None),
        };
        min = Some(min.map_or(lo, |m| m.min(lo)));
        max = match (max, hi) {
            (_, None) => Some(i64::MAX),
            (None, Some(h)) => Some(h),
            (Some(m), Some(h)) => Some(m.max(h)),
        };
    }
    (min, max.filter(|m| *m != i64::MAX))
}

/// A service with only its one-to-one fields (list pages).
fn service_summary(r: &DirectoryItem) -> Value {
    let s = &r.service;
    let (min_age, max_age) = ages(&s.age_groups);
    json!({
        "id": uuid_of(SVC, s.id as u64), "organization_id": uuid_of(ORG, s.provider_id as u64),
        "name": display_name(r), "description": s.description, "url": s.website, "email": s.contact_email,
        "status": "active", "minimum_age": min_age, "maximum_age": max_age, "last_modified": timestamp(s.updated_at),
    })
}

/// A service fully nested.
fn service_full(r: &DirectoryItem) -> Value {
    let s = &r.service;
    let mut v = service_summary(r);
    v["organization"] = organization_json(s.provider_id, &r.provider_name);
    v["attributes"] = attributes_json(r);
    v["service_at_locations"] = if s.latitude.is_some() && !s.address_confidential() {
        json!([{"id": uuid_of(SAL, s.id as u64), "service_id": uuid_of(SVC, s.id as u64), "location_id": uuid_of(LOC, s.id as u64), "location": location_json(r)}])
    } else {
        json!([])
    };
    v["languages"] = Value::Array(
        s.languages
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, l)| json!({"id": uuid_of(LAN, ((s.id as u64) << 8) | i as u64), "service_id": uuid_of(SVC, s.id as u64), "name": l}))
            .collect(),
    );
    v["contacts"] = if s.contact_phone.is_empty() {
        json!([])
    } else {
        json!([{"id": uuid_of(CON, s.id as u64), "service_id": uuid_of(SVC, s.id as u64), "name": "Referrals",
                "phones": [{"id": uuid_of(PHN, s.id as u64), "number": s.contact_phone}]}])
    };
    v["capacities"] = json!([{
        "id": uuid_of(CAP, s.id as u64),
        "unit": {"id": uuid_of(UNI, 1), "name": "places"},
        "available": places_available(s), "maximum": s.contracted_units,
        "updated": timestamp(s.available_places_updated_at.unwrap_or(s.updated_at)),
    }]);
    v
}

// ---------------- paging ----------------

#[derive(Deserialize, Default)]
struct Paging {
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    per_page: Option<String>,
}

fn paging(p: &Paging) -> Result<(i64, i64), WebError> {
    use hearth_domain::paging::{parse_bounded, MAX_PAGE, MAX_PER_PAGE};
    let num = |v: &Option<String>, d: i64, max: i64| -> Result<i64, WebError> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(d),
            Some(s) => parse_bounded(s, max).ok_or_else(|| {
                bad(
                    &format!("page must be a whole number from 1 to {MAX_PAGE}, and per_page from 1 (at most {MAX_PER_PAGE} are given)"),
                )
            }),
        }
    };
    Ok((
        num(&p.page, 1, MAX_PAGE)?,
        num(&p.per_page, 50, MAX_PAGE)?.min(MAX_PER_PAGE),
    ))
}

fn list(contents: Vec<Value>, total: i64, page: i64, per_page: i64) -> Value {
    let total_pages = ((total + per_page - 1) / per_page).max(1);
    json!({
        "total_items": total, "total_pages": total_pages, "page_number": page, "size": contents.len(),
        "first_page": page == 1, "last_page": page >= total_pages, "empty": contents.is_empty(), "contents": contents,
    })
}

fn page_of<T: Clone>(all: &[T], page: i64, per_page: i64) -> Vec<T> {
    all.iter()
        .skip(usize::try_from(hearth_domain::paging::offset(page, per_page)).unwrap_or(0))
        .take(per_page as usize)
        .cloned()
        .collect()
}

// ---------------- handlers ----------------

async fn root() -> Page {
    ok(json!({
        "version": "HSDS-UK-3.0",
        "profile": "https://openreferraluk.org/specifications/3.0/",
        "openapi_url": "https://openreferraluk.org/specifications/3.0/openapi.json",
    }))
}

async fn openapi() -> Page {
    ok(
        json!({"openapi": "3.1.0", "info": {"title": "Hearth Open Referral UK API", "version": "HSDS-UK-3.0"},
              "externalDocs": {"url": "https://openreferraluk.org/specifications/3.0/openapi.json"}}),
    )
}

#[derive(Deserialize, Default)]
struct ServicesQuery {
    #[serde(default)]
    search: Option<String>,
    #[serde(default)]
    taxonomy_term_id: Option<String>,
    #[serde(default)]
    taxonomy_id: Option<String>,
    #[serde(default)]
    organization_id: Option<String>,
    #[serde(default)]
    modified_after: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// 400 for a parameter the API cannot use (errors get CORS and problem+json from the
/// route's error layer).
fn bad(detail: &str) -> WebError {
    WebError::bad_request("invalid", detail)
}

/// The search text, refused when longer than any real search.
fn search_text(raw: &Option<String>) -> Result<Option<String>, WebError> {
    let text = raw.clone().filter(|s| !s.trim().is_empty());
    if text
        .as_ref()
        .is_some_and(|t| t.chars().count() > hearth_domain::MAX_SEARCH_CHARS)
    {
        return Err(bad(&format!(
            "search must be {} characters or fewer",
            hearth_domain::MAX_SEARCH_CHARS
        )));
    }
    Ok(text)
}

async fn services(State(state): State<AppState>, Query(q): Query<ServicesQuery>) -> Page {
    let (page, per_page) = paging(&q.paging)?;
    let text = search_text(&q.search)?;
    let mut f = OpenSearch {
        text,
        ..Default::default()
    };
    if let Some(t) = q.taxonomy_term_id.as_deref().filter(|s| !s.is_empty()) {
        let Some((tx, _, code, _)) = number_of(TRM, t).and_then(find_term) else {
            return Err(bad("taxonomy_term_id is not a term of this directory"));
        };
        match tx {
            1 => f.service_type = Some(code.into()),
            2 => f.client_group = Some(code.into()),
            _ => f.support_task = Some(code.into()),
        }
    }
    if let Some(t) = q.taxonomy_id.as_deref().filter(|s| !s.is_empty()) {
        match number_of(TXN, t) {
            // Every service has a service type and a client group.
            Some(1) | Some(2) => {}
            Some(3) => f.any_support_task = true,
            _ => return Err(bad("taxonomy_id is not a taxonomy of this directory")),
        }
    }
    if let Some(o) = q.organization_id.as_deref().filter(|s| !s.is_empty()) {
        let Some(pid) = number_of(ORG, o) else {
            return Err(bad(
                "organization_id is not an organization of this directory",
            ));
        };
        f.organization_id = Some(pid as i64);
    }
    if let Some(m) = q.modified_after.as_deref().filter(|s| !s.is_empty()) {
        match chrono::DateTime::parse_from_rfc3339(m) {
            Ok(t) => f.modified_after = Some(t.timestamp()),
            Err(_) => match chrono::NaiveDate::parse_from_str(m, "%Y-%m-%d") {
                Ok(d) => f.modified_after = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()),
                Err(_) => {
                    return Err(bad(
                        "modified_after must be a date-time like 2026-11-01T00:00:00Z",
                    ))
                }
            },
        }
    }
    let (rows, total) = state.app.open_services(&f, page, per_page).await?;
    ok(list(
        rows.iter().map(service_summary).collect(),
        total,
        page,
        per_page,
    ))
}

async fn one_service(state: &AppState, id: i64) -> Result<DirectoryItem, WebError> {
    match state.app.directory_service(id).await {
        Ok(r) => Ok(r),
        Err(AppError::NotFound) => Err(WebError::not_found("No such service")),
        Err(e) => Err(e.into()),
    }
}

async fn service(State(state): State<AppState>, Path(id): Path<String>) -> Page {
    let Some(n) = number_of(SVC, &id) else {
        return Err(WebError::not_found("No such service"));
    };
    ok(service_full(&one_service(&state, n as i64).await?))
}

#[derive(Deserialize, Default)]
struct SalQuery {
    #[serde(default)]
    postcode: Option<String>,
    /// Metres from the postcode.
    #[serde(default)]
    proximity: Option<String>,
    #[serde(default)]
    search: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

fn sal_json(r: &DirectoryItem, distance: Option<f64>) -> Value {
    let s = &r.service;
    let mut v = json!({
        "id": uuid_of(SAL, s.id as u64), "service_id": uuid_of(SVC, s.id as u64), "location_id": uuid_of(LOC, s.id as u64),
        "service": service_summary(r), "location": location_json(r),
    });
    if let Some(d) = distance {
        v["distance"] = json!((d * 10.0).round() / 10.0);
    }
    v
}

async fn service_at_locations(State(state): State<AppState>, Query(q): Query<SalQuery>) -> Page {
    let (page, per_page) = paging(&q.paging)?;
    let text = search_text(&q.search)?;
    match q.postcode.as_deref().filter(|s| !s.trim().is_empty()) {
        None => {
            let f = OpenSearch {
                text,
                located: true,
                ..Default::default()
            };
            let (rows, total) = state.app.open_services(&f, page, per_page).await?;
            ok(list(
                rows.iter().map(|r| sal_json(r, None)).collect(),
                total,
                page,
                per_page,
            ))
        }
        Some(pc) => {
            let radius = match q
                .proximity
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                None => 16_093.44,
                Some(p) => match p.parse::<f64>() {
                    Ok(m) if m > 0.0 && m <= 500_000.0 => m,
                    _ => {
                        return Err(bad(
                            "proximity must be a distance in metres from 1 to 500000",
                        ))
                    }
                },
            };
            let pc = hearth_domain::Postcode::parse(pc).map_err(|e| bad(&e.message))?;
            let centre = match state.app.locate_postcode(&pc).await {
                Ok(c) => c,
                Err(AppError::Invalid(e)) => {
                    return Err(bad(e
                        .0
                        .first()
                        .map(|(_, m)| m.as_str())
                        .unwrap_or("Unknown postcode")))
                }
                Err(e) => return Err(e.into()),
            };
            let f = OpenSearch {
                text,
                ..Default::default()
            };
            let (near, total) = state
                .app
                .open_services_near(&f, centre, radius, page, per_page)
                .await?;
            let contents = near.iter().map(|r| sal_json(r, r.distance_m)).collect();
            ok(list(contents, total, page, per_page))
        }
    }
}

async fn service_at_location(State(state): State<AppState>, Path(id): Path<String>) -> Page {
    let Some(n) = number_of(SAL, &id) else {
        return Err(WebError::not_found("No such service at location"));
    };
    let r = one_service(&state, n as i64).await?;
    if r.service.latitude.is_none() || r.service.address_confidential() {
        return Err(WebError::not_found("No such service at location"));
    }
    ok(sal_json(&r, None))
}

async fn organizations(State(state): State<AppState>, Query(p): Query<Paging>) -> Page {
    let (page, per_page) = paging(&p)?;
    let list_page = state.app.open_organisations(page, per_page).await?;
    ok(list(
        list_page
            .items
            .iter()
            .map(|o| organization_json(o.id, &o.name))
            .collect(),
        list_page.total,
        page,
        per_page,
    ))
}

async fn organization(State(state): State<AppState>, Path(id): Path<String>) -> Page {
    let Some(n) = number_of(ORG, &id) else {
        return Err(WebError::not_found("No such organization"));
    };
    match state.app.open_organisation(n as i64).await {
        Ok(o) => {
            let mut v = organization_json(o.id, &o.name);
            v["email"] = json!(o.email);
            ok(v)
        }
        Err(AppError::NotFound) => Err(WebError::not_found("No such organization")),
        Err(e) => Err(e.into()),
    }
}

async fn taxonomies(Query(p): Query<Paging>) -> Page {
    let (page, per_page) = paging(&p)?;
    let all: Vec<Value> = taxonomy_list()
        .iter()
        .map(|(t, n, d, _)| taxonomy_json(*t, n, d))
        .collect();
    ok(list(
        page_of(&all, page, per_page),
        all.len() as i64,
        page,
        per_page,
    ))
}

async fn taxonomy(Path(id): Path<String>) -> Page {
    match number_of(TXN, &id).and_then(|n| taxonomy_list().into_iter().find(|x| x.0 == n)) {
        Some((t, n, d, _)) => ok(taxonomy_json(t, n, d)),
        None => Err(WebError::not_found("No such taxonomy")),
    }
}

#[derive(Deserialize, Default)]
struct TermsQuery {
    #[serde(default)]
    taxonomy_id: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

async fn taxonomy_terms(Query(q): Query<TermsQuery>) -> Page {
    let (page, per_page) = paging(&q.paging)?;
    let only = match q.taxonomy_id.as_deref().filter(|s| !s.is_empty()) {
        Some(t) => match number_of(TXN, t) {
            Some(n) => Some(n),
            None => return Err(bad("taxonomy_id is not a taxonomy of this directory")),
        },
        None => None,
    };
    let all: Vec<Value> = taxonomy_list()
        .into_iter()
        .filter(|x| only.is_none_or(|o| o == x.0))
        .flat_map(|(t, _, _, terms)| {
            terms
                .into_iter()
                .enumerate()
                .map(move |(i, (c, l))| term_json(t, i, c, l, true))
        })
        .collect();
    ok(list(
        page_of(&all, page, per_page),
        all.len() as i64,
        page,
        per_page,
    ))
}

async fn taxonomy_term(Path(id): Path<String>) -> Page {
    match number_of(TRM, &id).and_then(find_term) {
        Some((t, i, c, l)) => ok(term_json(t, i, c, l, true)),
        None => Err(WebError::not_found("No such taxonomy term")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_read_back() {
        let a = uuid_of(SVC, 42);
        assert_eq!(a, uuid_of(SVC, 42));
        assert_eq!(a.get_version_num(), 8);
        assert_eq!(number_of(SVC, &a.to_string()), Some(42));
        assert_eq!(number_of(ORG, &a.to_string()), None, "another kind");
        assert_eq!(number_of(SVC, "not-a-uuid"), None);
        assert_ne!(uuid_of(SVC, 1), uuid_of(ORG, 1));
    }

    #[test]
    fn empty_fields_are_left_out() {
        let v =
            clean(json!({"a": "", "b": null, "c": [], "d": {"e": "", "f": 1}, "g": [{"h": null}]}));
        assert_eq!(v, json!({"d": {"f": 1}, "g": [{}]}));
    }

    #[test]
    fn age_groups_become_minimum_and_maximum_ages() {
        assert_eq!(ages("16_25"), (Some(16), Some(25)));
        assert_eq!(ages("65_plus,55_plus"), (Some(55), None));
        assert_eq!(ages(""), (None, None));
    }
}
