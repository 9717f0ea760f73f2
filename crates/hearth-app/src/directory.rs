//! The public directory (C8): search and service pages for anyone, no sign-in. Only what the
//! commissioning team holds is shown (providers' requests change nothing until approved), and
//! nothing about clients beyond counts.

use hearth_domain::directory::{bounding_box, distance_m, miles_to_m};
use hearth_domain::paging::Page;
use hearth_domain::{ClientGroup, Postcode, ServiceType};
use hearth_store::{DirectoryRow, DirectorySearch, ProviderFilter, Service, ServiceFilter};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, FieldErrors};

/// A search as it appears in the address bar (bookmarkable).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct DirectoryQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub postcode: String,
    /// Miles from the postcode.
    #[serde(default)]
    pub distance: String,
    #[serde(default)]
    pub service_type: String,
    #[serde(default)]
    pub accommodation_type: String,
    #[serde(default)]
    pub support_task: String,
    #[serde(default)]
    pub client_group: String,
    #[serde(default)]
    pub ethnicity: String,
    #[serde(default)]
    pub household_type: String,
    /// "yes" to include services with no places available.
    #[serde(default)]
    pub include_full: String,
    #[serde(default)]
    pub page: Option<i64>,
}

/// A result.
#[derive(Debug, Clone)]
pub struct DirectoryItem {
    pub service: Service,
    pub provider_name: String,
    pub distance_m: Option<f64>,
    pub places_available: i64,
    /// The service manager's name (on the service's own page only).
    pub manager: Option<String>,
}

/// A page of results.
#[derive(Debug, Clone)]
pub struct DirectoryResults {
    pub items: Vec<DirectoryItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub centre: Option<(f64, f64)>,
}

impl DirectoryResults {
    pub fn total_pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// Places available: the provider's figure when set, otherwise contracted units minus current
/// client schedules, not below zero.
pub fn places_available(s: &Service) -> i64 {
    hearth_domain::directory::places_available(
        s.available_places,
        s.contracted_units,
        s.current_clients,
    )
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

pub const PER_PAGE: i64 = 20;
/// Most services read for a distance search before sorting by distance.
const DISTANCE_READ_LIMIT: i64 = 20_000;

impl App {
    /// Where a postcode is, or a field error saying we do not know.
    pub async fn locate_postcode(&self, pc: &Postcode) -> Result<(f64, f64), AppError> {
        match self.db.postcode_location(pc.as_str()).await? {
            Some(loc) => Ok(loc),
            None => Err(AppError::invalid(
                "postcode",
                format!("We do not know where {pc} is. Check it, or search without a postcode"),
            )),
        }
    }

    /// Parses the query into a search, with field errors for what cannot be used.
    pub async fn directory_filter(
        &self,
        q: &DirectoryQuery,
    ) -> Result<(DirectorySearch, Option<((f64, f64), f64)>), AppError> {
        let mut e = FieldErrors::new();
        let mut f = DirectorySearch {
            text: opt(&q.q),
            organisation: opt(&q.organisation),
            service_type: opt(&q.service_type),
            accommodation_type: opt(&q.accommodation_type),
            support_task: opt(&q.support_task),
            client_group: opt(&q.client_group),
            ethnicity: opt(&q.ethnicity),
            household_type: opt(&q.household_type),
            with_places: q.include_full != "yes",
            by_name: true,
            ..Default::default()
        };
        for (field, value, label) in [
            ("q", &f.text, "Search text"),
            ("organisation", &f.organisation, "Organisation"),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.chars().count() > hearth_domain::MAX_SEARCH_CHARS)
            {
                e.add(
                    field,
                    format!(
                        "{label} must be {} characters or fewer",
                        hearth_domain::MAX_SEARCH_CHARS
                    ),
                );
            }
        }
        // Errors are added in the form's order (postcode, distance, then the lists), so the
        // error summary lists them as the page does.
        let radius = match opt(&q.distance) {
            None => Some(miles_to_m(10.0)),
            Some(d) => match d.parse::<f64>() {
                Ok(m) if m > 0.0 && m <= 200.0 => Some(miles_to_m(m)),
                _ => None,
            },
        };
        let mut around = None;
        let postcode = opt(&q.postcode).and_then(|pc| e.check("postcode", Postcode::parse(&pc)));
        if let Some(pc) = postcode {
            match self.locate_postcode(&pc).await {
                Ok(loc) => {
                    if let Some(radius) = radius {
                        f.bbox = Some(bounding_box(loc, radius));
                        around = Some((loc, radius));
                    }
                }
                Err(AppError::Invalid(errs)) => {
                    for (k, v) in errs.0 {
                        e.add(&k, v);
                    }
                }
                Err(other) => return Err(other),
            }
        }
        if radius.is_none() {
            e.add("distance", "Enter a distance in miles from 1 to 200");
        }
        if let Some(t) = &f.service_type {
            if ServiceType::parse(t).is_err() {
                e.add("service_type", "Choose a type of service from the list");
            }
        }
        if let Some(t) = &f.client_group {
            if ClientGroup::parse(t).is_err() {
                e.add("client_group", "Choose a client group from the list");
            }
        }
        e.into_result()?;
        Ok((f, around))
    }

    /// The public search (F8.1).
    pub async fn directory_search(&self, q: &DirectoryQuery) -> Result<DirectoryResults, AppError> {
        let (f, around) = self.directory_filter(q).await?;
        let page = hearth_domain::paging::page(q.page);
        match around {
            None => {
                let (ids, total) = self.db.directory_page_ids(&f, page, PER_PAGE).await?;
                let rows = self.directory_rows_of(&ids).await?;
                Ok(DirectoryResults {
                    items: rows.into_iter().map(|r| item(r, None)).collect(),
                    total,
                    page,
                    per_page: PER_PAGE,
                    centre: None,
                })
            }
            Some((centre, radius)) => {
                let (rows, total) = self
                    .directory_nearby(&f, centre, radius, page, PER_PAGE)
                    .await?;
                let items = rows.into_iter().map(|(d, r)| item(r, Some(d))).collect();
                Ok(DirectoryResults {
                    items,
                    total,
                    page,
                    per_page: PER_PAGE,
                    centre: Some(centre),
                })
            }
        }
    }

    /// One service for the public page (F8.2).
    pub async fn directory_service(&self, id: i64) -> Result<DirectoryItem, AppError> {
        let mut rows = self.directory_rows_of(&[id]).await?;
        let mut found = rows
            .pop()
            .map(|r| item(r, None))
            .ok_or(AppError::NotFound)?;
        found.manager = self
            .db
            .service_manager(id)
            .await?
            .map(|c| c.full_name())
            .filter(|n| !n.is_empty());
        Ok(found)
    }
}

impl App {
    /// One page of the services matching `f` (which has the box around `centre`) within
    /// `radius` metres of `centre`, nearest first (ties in id order), with their distances,
    /// and how many there are in all. The spatial index finds the services in the box; only
    /// their ids and locations are read to measure and order them, and whole rows only for
    /// the page shown.
    pub(crate) async fn directory_nearby(
        &self,
        f: &hearth_store::DirectorySearch,
        centre: (f64, f64),
        radius: f64,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<(f64, DirectoryRow)>, i64), AppError> {
        let mut near: Vec<(f64, i64)> = self
            .db
            .directory_locations(f, DISTANCE_READ_LIMIT)
            .await?
            .into_iter()
            .map(|(id, lat, lon)| (distance_m(centre, (lat, lon)), id))
            .filter(|(d, _)| *d <= radius)
            .collect();
        near.sort_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
        let total = near.len() as i64;
        let start = usize::try_from(hearth_domain::paging::offset(page, per_page)).unwrap_or(0);
        let shown: Vec<(f64, i64)> = near
            .into_iter()
            .skip(start)
            .take(usize::try_from(per_page).unwrap_or(0))
            .collect();
        if shown.is_empty() {
            return Ok((Vec::new(), total));
        }
        let ids: Vec<i64> = shown.iter().map(|(_, id)| *id).collect();
        let mut rows: std::collections::HashMap<i64, DirectoryRow> = self
            .directory_rows_of(&ids)
            .await?
            .into_iter()
            .map(|r| (r.service.id, r))
            .collect();
        let page_rows = shown
            .into_iter()
            .filter_map(|(d, id)| rows.remove(&id).map(|r| (d, r)))
            .collect();
        Ok((page_rows, total))
    }

    /// The whole rows of `ids`, in that order (an id with no service is left out): this
    /// node's recent copies where it has them (`directory_cache`), the rest in one read.
    pub(crate) async fn directory_rows_of(
        &self,
        ids: &[i64],
    ) -> Result<Vec<DirectoryRow>, AppError> {
        let (mut found, missing, mark) = self.directory_rows.get(ids);
        if !missing.is_empty() {
            let read = self
                .db
                .directory_search(
                    &hearth_store::DirectorySearch {
                        only_ids: Some(missing.clone()),
                        ..Default::default()
                    },
                    i64::try_from(missing.len()).unwrap_or(i64::MAX),
                )
                .await?;
            let read: Vec<(i64, DirectoryRow)> =
                read.into_iter().map(|r| (r.service.id, r)).collect();
            self.directory_rows.put(&read, mark);
            found.extend(read);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }
}

/// A result as the public may see it. A service whose address is confidential (a refuge, or
/// accommodation for people escaping domestic abuse) leaves with no address, postcode or
/// coordinates at all, so no page or API built on these use cases can publish them.
fn item(r: DirectoryRow, distance_m: Option<f64>) -> DirectoryItem {
    let places = places_available(&r.service);
    let mut service = r.service;
    if service.address_confidential() {
        service.address = String::new();
        service.postcode = String::new();
        service.latitude = None;
        service.longitude = None;
    }
    DirectoryItem {
        service,
        provider_name: r.provider_name,
        distance_m,
        places_available: places,
        manager: None,
    }
}

/// A search of the Open Referral UK API: codes already checked against the vocabularies.
#[derive(Debug, Clone, Default)]
pub struct OpenSearch {
    pub text: Option<String>,
    pub service_type: Option<String>,
    pub client_group: Option<String>,
    pub support_task: Option<String>,
    /// Only services with at least one support task.
    pub any_support_task: bool,
    /// Only this provider's services.
    pub organization_id: Option<i64>,
    /// Only services changed since (seconds since 1970).
    pub modified_after: Option<i64>,
    /// Only services with a published location (not confidential, with coordinates).
    pub located: bool,
}

/// A provider as the open API publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrganisation {
    pub id: i64,
    pub name: String,
    pub email: String,
}

impl OpenSearch {
    fn filter(&self) -> DirectorySearch {
        DirectorySearch {
            text: self.text.clone(),
            service_type: self.service_type.clone(),
            client_group: self.client_group.clone(),
            support_task: self.support_task.clone(),
            any_support_task: self.any_support_task,
            modified_after: self.modified_after,
            located: self.located,
            ..Default::default()
        }
    }
}

impl App {
    /// The open API's services: one page in id order, and how many match.
    pub async fn open_services(
        &self,
        q: &OpenSearch,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<DirectoryItem>, i64), AppError> {
        let mut f = q.filter();
        if let Some(pid) = q.organization_id {
            let services = self
                .db
                .list_services(&ServiceFilter {
                    provider_id: Some(pid),
                    per_page: 100_000,
                    ..Default::default()
                })
                .await?;
            f.only_ids = Some(services.items.into_iter().map(|s| s.id).collect());
        }
        let (ids, total) = self.db.directory_page_ids(&f, page, per_page).await?;
        let rows = self.directory_rows_of(&ids).await?;
        Ok((rows.into_iter().map(|r| item(r, None)).collect(), total))
    }

    /// The open API's services within `radius` metres of `centre`, nearest first, with their
    /// distances, and how many there are in all.
    pub async fn open_services_near(
        &self,
        q: &OpenSearch,
        centre: (f64, f64),
        radius: f64,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<DirectoryItem>, i64), AppError> {
        let mut f = q.filter();
        f.bbox = Some(bounding_box(centre, radius));
        let (rows, total) = self
            .directory_nearby(&f, centre, radius, page, per_page)
            .await?;
        Ok((
            rows.into_iter().map(|(d, r)| item(r, Some(d))).collect(),
            total,
        ))
    }

    /// The open API's organisations (every provider), one page in id order.
    pub async fn open_organisations(
        &self,
        page: i64,
        per_page: i64,
    ) -> Result<Page<OpenOrganisation>, AppError> {
        let p = self
            .db
            .list_providers(&ProviderFilter {
                page,
                per_page,
                ..Default::default()
            })
            .await?;
        Ok(p.map(|o| OpenOrganisation {
            id: o.id,
            name: o.name,
            email: o.email,
        }))
    }

    /// One organisation of the open API.
    pub async fn open_organisation(&self, id: i64) -> Result<OpenOrganisation, AppError> {
        match self.db.provider(id).await? {
            Some(o) => Ok(OpenOrganisation {
                id: o.id,
                name: o.name,
                email: o.email,
            }),
            None => Err(AppError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(units: i64, current: i64, set: Option<i64>) -> Service {
        Service {
            id: 1,
            authority_id: 1,
            provider_id: 1,
            reference: "S".into(),
            name: "S".into(),
            public_name: "S".into(),
            service_type: "floating_support".into(),
            term: "long".into(),
            client_group: "older_people".into(),
            contracted_units: units,
            address: String::new(),
            postcode: String::new(),
            description: String::new(),
            available_places: set,
            available_places_updated_at: None,
            languages: String::new(),
            religions: String::new(),
            tenure: String::new(),
            rural_urban: String::new(),
            emergency_referrals: 0,
            interpreter: 0,
            visual_impairment_support: 0,
            hearing_impairment_support: 0,
            waiting_list: 0,
            support_tasks: String::new(),
            referral_routes: String::new(),
            created_at: 0,
            updated_at: 0,
            household_types: String::new(),
            age_groups: String::new(),
            exclusions: String::new(),
            accommodation_type: String::new(),
            ethnicity_focus: String::new(),
            contact_phone: String::new(),
            contact_email: String::new(),
            website: String::new(),
            accessibility: String::new(),
            eligibility: String::new(),
            lead_officer_id: None,
            contract_manager_id: None,
            opens_on_bank_holidays: 0,
            latitude: None,
            longitude: None,
            current_clients: current,
            current_clients_on: String::new(),
        }
    }

    #[test]
    fn places_available_follow_the_rule() {
        assert_eq!(
            places_available(&service(20, 17, None)),
            3,
            "contracted units minus current clients"
        );
        assert_eq!(
            places_available(&service(20, 23, None)),
            0,
            "never below zero"
        );
        assert_eq!(
            places_available(&service(20, 17, Some(5))),
            5,
            "the provider's figure when set"
        );
        assert_eq!(
            places_available(&service(20, 17, Some(0))),
            0,
            "a provider's zero is kept"
        );
    }
}
