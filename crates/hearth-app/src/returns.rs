//! Quarterly performance returns (C4): a provider submits a quarter's figures by the web form
//! (the workbook upload comes next), Hearth computes the indicators and marks every figure that
//! breaches its trigger; the officer checks within two weeks: accepts (not while a breach has no
//! explanation), returns it as incomplete, asks for an explanation, escalates it to the
//! contracts manager or turns it into an action for the provider.

use hearth_domain::performance::{
    compute_for, Indicator, Quarter, QuarterReturn, Trigger, TriggerSet,
};
use hearth_domain::{FinancialYear, Role, ServiceType, Term};
use hearth_store::{NewAction, NewReturn, PerformanceReturn, Service};
use serde::Deserialize;

use crate::{App, AppError, FieldErrors, Permission, Principal};

/// Statuses a return moves through.
pub const RECEIVED: &str = "received";
pub const ACCEPTED: &str = "accepted";
pub const INCOMPLETE: &str = "incomplete";
pub const EXPLANATION_REQUESTED: &str = "explanation_requested";
pub const EXPLAINED: &str = "explained";
pub const ESCALATED: &str = "escalated";
pub const ACTION_SET: &str = "action_set";
pub const REPLACED: &str = "replaced";

pub fn status_label(s: &str) -> &'static str {
    match s {
        RECEIVED => "Received, to check",
        ACCEPTED => "Accepted",
        INCOMPLETE => "Returned as incomplete",
        EXPLANATION_REQUESTED => "Explanation requested",
        EXPLAINED => "Explained, to check",
        ESCALATED => "Escalated to the contracts manager",
        ACTION_SET => "Action set for the provider",
        REPLACED => "Replaced",
        _ => "Unknown",
    }
}

/// The figures of the web form, as typed.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ReturnForm {
    #[serde(default)]
    pub quarter: String,
    #[serde(default)]
    pub service_users_supported: String,
    #[serde(default)]
    pub maintained_independent_living: String,
    #[serde(default)]
    pub new_service_users: String,
    #[serde(default)]
    pub departures: String,
    #[serde(default)]
    pub planned_departures: String,
    #[serde(default)]
    pub unavailable_unit_days: String,
    #[serde(default)]
    pub occupied_unit_days: String,
    #[serde(default)]
    pub support_hours_contracted: String,
    #[serde(default)]
    pub support_hours_delivered: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub explanation: String,
    /// Local indicators' figures, as `local_CODE` fields (other unknown fields are ignored).
    #[serde(flatten, default)]
    pub extra: std::collections::BTreeMap<String, String>,
}

/// The fields of the form, with their labels.
pub const FIELDS: &[(&str, &str)] = &[
    (
        "service_users_supported",
        "Service users supported in the quarter",
    ),
    (
        "maintained_independent_living",
        "Of those, how many maintained independent living",
    ),
    ("new_service_users", "New service users in the quarter"),
    ("departures", "Service users who left in the quarter"),
    (
        "planned_departures",
        "Of those, how many left in a planned way",
    ),
    (
        "unavailable_unit_days",
        "Unit-days not available for letting (accommodation only)",
    ),
    ("occupied_unit_days", "Unit-days occupied or used"),
    (
        "support_hours_contracted",
        "Support hours the contract provides this quarter",
    ),
    ("support_hours_delivered", "Support hours delivered"),
];

impl ReturnForm {
    fn value(&self, field: &str) -> &str {
        match field {
            "service_users_supported" => &self.service_users_supported,
            "maintained_independent_living" => &self.maintained_independent_living,
            "new_service_users" => &self.new_service_users,
            "departures" => &self.departures,
            "planned_departures" => &self.planned_departures,
            "unavailable_unit_days" => &self.unavailable_unit_days,
            "occupied_unit_days" => &self.occupied_unit_days,
            "support_hours_contracted" => &self.support_hours_contracted,
            "support_hours_delivered" => &self.support_hours_delivered,
            _ => "",
        }
    }

    /// Whole numbers, none negative, every field filled (0 is a figure; blank is missing).
    fn parse(&self, e: &mut FieldErrors) -> QuarterReturn {
        let mut num = |f: &str| -> u32 {
            let v = self.value(f).trim().replace(',', "");
            if v.is_empty() {
                e.add(f, "Enter a figure (0 if none)");
                return 0;
            }
            match v.parse::<u32>() {
                Ok(n) => n,
                Err(_) => {
                    e.add(f, "Enter a whole number, 0 or more");
                    0
                }
            }
        };
        QuarterReturn {
            service_users_supported: num("service_users_supported"),
            maintained_independent_living: num("maintained_independent_living"),
            new_service_users: num("new_service_users"),
            departures: num("departures"),
            planned_departures: num("planned_departures"),
            unavailable_unit_days: num("unavailable_unit_days"),
            occupied_unit_days: num("occupied_unit_days"),
            support_hours_contracted: num("support_hours_contracted"),
            support_hours_delivered: num("support_hours_delivered"),
            ..Default::default()
        }
    }

    pub fn of(r: &QuarterReturn) -> ReturnForm {
        ReturnForm {
            service_users_supported: r.service_users_supported.to_string(),
            maintained_independent_living: r.maintained_independent_living.to_string(),
            new_service_users: r.new_service_users.to_string(),
            departures: r.departures.to_string(),
            planned_departures: r.planned_departures.to_string(),
            unavailable_unit_days: r.unavailable_unit_days.to_string(),
            occupied_unit_days: r.occupied_unit_days.to_string(),
            support_hours_contracted: r.support_hours_contracted.to_string(),
            support_hours_delivered: r.support_hours_delivered.to_string(),
            ..Default::default()
        }
    }
}

/// One indicator's figure for a return, and the trigger it breaches if any.
#[derive(Debug, Clone)]
pub struct Figure {
    pub indicator: Indicator,
    /// What people read: "KPI 1 Maintained independent living", or a local indicator's name.
    pub label: String,
    pub value: Option<f64>,
    pub breach: Option<Trigger>,
}

impl Figure {
    pub fn text(&self) -> String {
        self.value
            .map(|v| self.indicator.unit().format(v))
            .unwrap_or_else(|| "Not applicable (nothing to measure)".into())
    }
}

/// A return with what it means.
#[derive(Debug, Clone)]
pub struct ReturnView {
    pub ret: PerformanceReturn,
    pub figures: QuarterReturn,
    pub indicators: Vec<Figure>,
    pub quarter: Quarter,
    /// Client schedules the authority holds as active during the quarter, to set beside the
    /// service users the return reports.
    pub held_service_users: i64,
    pub service_name: String,
}

impl ReturnView {
    pub fn breaches(&self) -> usize {
        self.indicators
            .iter()
            .filter(|f| f.breach.is_some())
            .count()
    }
}

fn days_after(d: chrono::NaiveDate, days: i64) -> String {
    (d + chrono::Duration::days(days)).to_string()
}

impl App {
    /// The triggers in force for an authority's year: those the team set, else the defaults.
    pub async fn trigger_set(
        &self,
        authority_id: i64,
        year: FinancialYear,
    ) -> Result<TriggerSet, AppError> {
        let rows = self.db.triggers_of(authority_id).await?;
        let mut set = TriggerSet::authority_defaults(year);
        // The year's own triggers, or, until the team sets them, the latest earlier year's.
        let from_year = rows
            .iter()
            .map(|r| r.year_start)
            .filter(|y| *y <= i64::from(year.start_year))
            .max();
        for r in rows.into_iter().filter(|r| Some(r.year_start) == from_year) {
            let Ok(ind) = Indicator::parse(&r.indicator) else {
                continue;
            };
            let st = r
                .service_type
                .as_deref()
                .and_then(|s| ServiceType::parse(s).ok());
            set.set(if r.kind == "maximum" {
                Trigger::maximum(ind, st, r.value)
            } else {
                Trigger::minimum(ind, st, r.value)
            });
        }
        Ok(set)
    }

    fn kinds(s: &Service) -> Result<(ServiceType, Term), AppError> {
        Ok((
            ServiceType::parse(&s.service_type).map_err(|e| AppError::Internal(e.message))?,
            Term::parse(&s.term).map_err(|e| AppError::Internal(e.message))?,
        ))
    }

    /// The indicators of a return against the triggers in force.
    /// The service a return is for, if the principal may see it.
    pub async fn return_service(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<hearth_store::Service, AppError> {
        let ret = self
            .db
            .performance_return(id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.service(who, ret.service_id).await
    }

    pub async fn return_view(&self, who: &Principal, id: i64) -> Result<ReturnView, AppError> {
        let ret = self
            .db
            .performance_return(id)
            .await?
            .ok_or(AppError::NotFound)?;
        let service = self.service(who, ret.service_id).await?;
        self.view_of(ret, &service).await
    }

    async fn view_of(
        &self,
        ret: PerformanceReturn,
        service: &Service,
    ) -> Result<ReturnView, AppError> {
        self.view_with(ret, service, &mut ViewCache::default(), true)
            .await
    }

    /// A return's view, with the authority's triggers and local indicators taken from `cache`
    /// (read once for a page of many returns), and the service users held in its quarter
    /// counted only when `count_held`.
    async fn view_with(
        &self,
        ret: PerformanceReturn,
        service: &Service,
        cache: &mut ViewCache,
        count_held: bool,
    ) -> Result<ReturnView, AppError> {
        let figures: QuarterReturn = serde_json::from_str(&ret.figures_json)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        // A stored year or quarter out of range is damage to report, not a year to guess.
        let year = i32::try_from(ret.year_start)
            .ok()
            .filter(|y| (1990..=2200).contains(y))
            .map(FinancialYear::new)
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "return {} holds the year {}",
                    ret.id, ret.year_start
                ))
            })?;
        let quarter = u8::try_from(ret.quarter)
            .map_err(|_| {
                AppError::Internal(format!(
                    "return {} holds the quarter {}",
                    ret.id, ret.quarter
                ))
            })
            .and_then(|q| Quarter::new(year, q).map_err(|e| AppError::Internal(e.message)))?;
        let (st, term) = Self::kinds(service)?;
        let key = (ret.authority_id, year.start_year);
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.triggers.entry(key) {
            slot.insert(self.trigger_set(ret.authority_id, year).await?);
        }
        if let std::collections::hash_map::Entry::Vacant(slot) =
            cache.locals.entry(ret.authority_id)
        {
            slot.insert(self.local_indicators(ret.authority_id).await?);
        }
        let (Some(triggers), Some(locals)) = (
            cache.triggers.get(&key),
            cache.locals.get(&ret.authority_id),
        ) else {
            return Err(AppError::Internal("the view cache lost an entry".into()));
        };
        let units = u32::try_from(service.contracted_units).unwrap_or(0);
        let mut indicators: Vec<Figure> = Indicator::national_for(st, term)
            .into_iter()
            .map(|ind| {
                let value = compute_for(&ind, st, term, &figures, units, quarter.days());
                let breach = triggers.breach(&ind, st, value).cloned();
                Figure {
                    label: format!("{} {}", ind.short_label(), ind.label()),
                    indicator: ind,
                    value,
                    breach,
                }
            })
            .collect();
        for li in locals.iter().filter(|l| l.applies_to(st)) {
            let ind = li.indicator();
            let value = figures.local.get(&li.code).map(|v| f64::from(*v));
            let breach = triggers.breach(&ind, st, value).cloned();
            indicators.push(Figure {
                label: format!("Local: {}", li.name),
                indicator: ind,
                value,
                breach,
            });
        }
        let held_service_users = if count_held {
            self.db
                .count_schedules_between(
                    service.id,
                    &quarter.start().to_string(),
                    &quarter.end().to_string(),
                )
                .await?
        } else {
            0
        };
        Ok(ReturnView {
            ret,
            figures,
            indicators,
            quarter,
            held_service_users,
            service_name: service.name.clone(),
        })
    }

    /// Quarters of this and last financial year that have ended, for a service, with the
    /// return that counts for each (the latest not replaced), newest first.
    pub async fn service_return_quarters(
        &self,
        who: &Principal,
        service_id: i64,
    ) -> Result<Vec<(Quarter, Option<PerformanceReturn>)>, AppError> {
        self.service(who, service_id).await?;
        let today = self.today();
        let this = FinancialYear::for_date(today);
        let returns = self.db.service_returns(service_id).await?;
        let mut out = Vec::new();
        for year in [this, this.previous()] {
            for q in Quarter::all_of(year).into_iter().rev() {
                if q.end() >= today {
                    continue;
                }
                let r = returns
                    .iter()
                    .find(|r| {
                        r.year_start == i64::from(year.start_year)
                            && r.quarter == i64::from(q.number())
                            && r.status != REPLACED
                    })
                    .cloned();
                out.push((q, r));
            }
        }
        Ok(out)
    }

    /// Ended quarters with no return, over the provider's services (the home page's count).
    pub async fn count_returns_due(&self, who: &Principal) -> Result<i64, AppError> {
        let mut f = who.service_filter();
        f.per_page = 10_000;
        let today = self.today();
        // The quarter that ended most recently.
        let last = Quarter::for_date(today).previous();
        let services: Vec<i64> = self
            .db
            .list_services(&f)
            .await?
            .items
            .iter()
            .map(|s| s.id)
            .collect();
        let returned: std::collections::HashSet<i64> = self
            .db
            .services_returns_for(
                &services,
                i64::from(last.year().start_year),
                i64::from(last.number()),
            )
            .await?
            .into_iter()
            .filter(|r| r.status != REPLACED)
            .map(|r| r.service_id)
            .collect();
        Ok(services.iter().filter(|s| !returned.contains(s)).count() as i64)
    }

    /// A provider submits a quarter's return by the web form. A second return for a quarter
    /// already accepted goes in as a replacement that the commissioning team must confirm.
    pub async fn submit_return(
        &self,
        who: &Principal,
        service_id: i64,
        form: &ReturnForm,
    ) -> Result<PerformanceReturn, AppError> {
        self.submit_return_from(who, service_id, form, "web").await
    }

    async fn submit_return_from(
        &self,
        who: &Principal,
        service_id: i64,
        form: &ReturnForm,
        source: &str,
    ) -> Result<PerformanceReturn, AppError> {
        let Principal::Provider {
            provider_id,
            authority_id,
            ..
        } = who
        else {
            return Err(AppError::NotFound);
        };
        let service = self.service(who, service_id).await?;
        crate::text::check_lengths(form)?;
        let mut e = FieldErrors::new();
        let quarter = match Quarter::parse(&form.quarter) {
            Ok(q) if q.end() < self.today() => Some(q),
            Ok(_) => {
                e.add("quarter", "Choose a quarter that has ended");
                None
            }
            Err(_) => {
                e.add("quarter", "Choose the quarter this return is for");
                None
            }
        };
        let mut figures = form.parse(&mut e);
        let (st, _) = Self::kinds(&service)?;
        for li in self
            .local_indicators(service.authority_id)
            .await?
            .into_iter()
            .filter(|l| l.applies_to(st))
        {
            let key = format!("local_{}", li.code);
            match form
                .extra
                .get(&key)
                .map(|v| v.trim().replace(',', ""))
                .filter(|v| !v.is_empty())
            {
                None => e.add(&key, format!("Enter a figure for {} (0 if none)", li.name)),
                Some(v) => match v.parse::<u32>() {
                    Ok(n) => {
                        figures.local.insert(li.code.clone(), n);
                    }
                    Err(_) => e.add(
                        &key,
                        format!("Enter {} as a whole number, 0 or more", li.name),
                    ),
                },
            }
        }
        if e.is_empty() {
            if let Some(q) = quarter {
                for err in figures.validate_for(
                    st,
                    u32::try_from(service.contracted_units).unwrap_or(0),
                    q.days(),
                ) {
                    e.add(err.field, err.error.message);
                }
            }
        }
        e.into_result()?;
        let Some(q) = quarter else {
            return Err(AppError::invalid(
                "quarter",
                "Choose the quarter this return is for",
            ));
        };
        let existing = self
            .db
            .service_returns(service_id)
            .await?
            .into_iter()
            .find(|r| {
                r.year_start == i64::from(q.year().start_year)
                    && r.quarter == i64::from(q.number())
                    && r.status != REPLACED
            });
        let replaces_id = match &existing {
            Some(r) if r.status == ACCEPTED => Some(r.id),
            // A corrected return keeps what the one sent back was replacing.
            Some(r) if r.status == INCOMPLETE || r.status == EXPLANATION_REQUESTED => r.replaces_id,
            Some(r) if [RECEIVED, EXPLAINED, ESCALATED].contains(&r.status.as_str()) => {
                return Err(AppError::invalid(
                    "quarter",
                    format!(
                        "A return for {} is already waiting to be checked",
                        q.label()
                    ),
                ));
            }
            _ => None,
        };
        let mut tx = self.db.begin_write(&who.actor()).await?;
        if let Some(r) =
            existing.filter(|r| r.status == INCOMPLETE || r.status == EXPLANATION_REQUESTED)
        {
            // The corrected return replaces the one sent back.
            tx.update_return(r.id, REPLACED, None, None, false).await?;
        }
        let created = tx
            .insert_return(&NewReturn {
                authority_id: *authority_id,
                provider_id: *provider_id,
                service_id,
                year_start: i64::from(q.year().start_year),
                quarter: i64::from(q.number()),
                source: source.into(),
                figures_json: serde_json::to_string(&figures)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                comment: form.comment.trim().to_string(),
                replaces_id,
                check_due: days_after(self.today(), 14),
            })
            .await?;
        let created = if form.explanation.trim().is_empty() {
            created
        } else {
            tx.update_return(
                created.id,
                RECEIVED,
                None,
                Some(form.explanation.trim()),
                false,
            )
            .await?
            .ok_or(AppError::NotFound)?
        };
        tx.commit().await?;
        Ok(created)
    }

    /// The provider records an explanation of the figures (trigger breaches).
    pub async fn explain_return(
        &self,
        who: &Principal,
        id: i64,
        explanation: &str,
    ) -> Result<PerformanceReturn, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        let view = self.return_view(who, id).await?;
        crate::text::check_text("explanation", explanation)?;
        if explanation.trim().is_empty() {
            return Err(AppError::invalid(
                "explanation",
                "Explain why the figures are below their triggers",
            ));
        }
        if ![RECEIVED, EXPLANATION_REQUESTED].contains(&view.ret.status.as_str()) {
            return Err(AppError::Conflict(format!(
                "This return is {}: it cannot be explained now.",
                status_label(&view.ret.status).to_lowercase()
            )));
        }
        let status = if view.ret.status == EXPLANATION_REQUESTED {
            EXPLAINED
        } else {
            RECEIVED
        };
        let mut tx = self.db.begin_write(&who.actor()).await?;
        let r = tx
            .update_return(id, status, None, Some(explanation.trim()), false)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(r)
    }

    /// The officers' queue: returns to check, oldest first, with the date each is due.
    /// How many returns wait to be checked (the home page's count: no views built).
    pub async fn count_returns_to_check(&self, who: &Principal) -> Result<i64, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        Ok(self
            .db
            .returns_in(who.authority_id(), &[RECEIVED, EXPLAINED, ESCALATED])
            .await?
            .len() as i64)
    }

    pub async fn returns_to_check(&self, who: &Principal) -> Result<Vec<ReturnView>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let mut out = Vec::new();
        let mut cache = ViewCache::default();
        for r in self
            .db
            .returns_in(who.authority_id(), &[RECEIVED, EXPLAINED, ESCALATED])
            .await?
        {
            let service = self
                .db
                .service(r.service_id)
                .await?
                .ok_or(AppError::NotFound)?;
            out.push(self.view_with(r, &service, &mut cache, true).await?);
        }
        Ok(out)
    }

    /// The officer's decision on a return.
    pub async fn check_return(
        &self,
        who: &Principal,
        id: i64,
        decision: &str,
        remarks: &str,
        confirm_replacement: bool,
    ) -> Result<PerformanceReturn, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let view = self.return_view(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("remarks", remarks)?;
        let r = &view.ret;
        if ![RECEIVED, EXPLAINED, ESCALATED].contains(&r.status.as_str()) {
            return Err(AppError::Conflict(format!(
                "This return is {}: there is nothing to check.",
                status_label(&r.status).to_lowercase()
            )));
        }
        if r.status == ESCALATED && who.role() != Role::ContractsManager {
            return Err(AppError::Conflict(
                "This return was escalated: the contracts manager decides it.".into(),
            ));
        }
        let mut tx = self.db.begin_write(&who.actor()).await?;
        let updated = match decision {
            "accept" => {
                if view.breaches() > 0 && r.explanation.trim().is_empty() {
                    return Err(AppError::invalid(
                        "decision",
                        "A figure is below its trigger: the return cannot be accepted until the provider's explanation is recorded. Ask for an explanation.",
                    ));
                }
                if let Some(old) = r.replaces_id {
                    if !confirm_replacement {
                        return Err(AppError::invalid(
                            "confirm_replacement",
                            "This return replaces one already accepted for the quarter: confirm the replacement to accept it",
                        ));
                    }
                    tx.update_return(
                        old,
                        REPLACED,
                        Some(&format!("Replaced by return {id}")),
                        None,
                        true,
                    )
                    .await?;
                }
                tx.update_return(id, ACCEPTED, Some(remarks.trim()), None, true)
                    .await?
            }
            "incomplete" => {
                if remarks.trim().is_empty() {
                    return Err(AppError::invalid(
                        "remarks",
                        "Say what is missing or wrong so the provider can correct it",
                    ));
                }
                tx.update_return(id, INCOMPLETE, Some(remarks.trim()), None, true)
                    .await?
            }
            "explain" => {
                tx.update_return(id, EXPLANATION_REQUESTED, Some(remarks.trim()), None, true)
                    .await?
            }
            "escalate" => {
                if r.explanation.trim().is_empty() {
                    return Err(AppError::invalid("decision", "Only a return with the provider's explanation can be escalated to the contracts manager"));
                }
                tx.update_return(id, ESCALATED, Some(remarks.trim()), None, true)
                    .await?
            }
            "action" => {
                if r.status == RECEIVED && r.explanation.trim().is_empty() {
                    return Err(AppError::invalid(
                        "decision",
                        "Ask for the provider's explanation before setting an action",
                    ));
                }
                tx.insert_action(&NewAction {
                    authority_id: r.authority_id,
                    provider_id: r.provider_id,
                    contact_id: None,
                    title: format!(
                        "Improve performance after the {} return",
                        view.quarter.label()
                    ),
                    description: if remarks.trim().is_empty() {
                        format!("Explanation given: {}", r.explanation)
                    } else {
                        remarks.trim().to_string()
                    },
                    due_date: days_after(self.today(), 28),
                    priority: "high".into(),
                })
                .await?;
                tx.update_return(id, ACTION_SET, Some(remarks.trim()), None, true)
                    .await?
            }
            _ => {
                return Err(AppError::invalid(
                    "decision",
                    "Choose what to do with the return",
                ))
            }
        };
        let updated = updated.ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(updated)
    }
}

/// An Excel formula for an indicator over the quarter sheet's input cells (B7 to B15), the
/// contracted units `{units}` and days `{days}`: the same arithmetic as the domain's formulas.
fn excel_formula(i: &Indicator) -> Option<String> {
    let pct = |part: &str, whole: &str| format!("ROUND({part}/{whole}*100,1)");
    Some(match i {
        Indicator::Kpi1 => pct("B8", "B7"),
        Indicator::Kpi2 | Indicator::Departures => pct("B11", "B10"),
        Indicator::Availability => pct("({units}*{days}-B12)", "({units}*{days})"),
        Indicator::Utilisation => pct("B13", "({units}*{days})"),
        Indicator::Staffing => pct("B15", "B14"),
        Indicator::Throughput => pct("B10", "{units}"),
        Indicator::Local(_) => return None,
    })
}

impl App {
    /// The year's workbook for a service, pre-filled from the authority's records.
    pub async fn return_workbook(
        &self,
        who: &Principal,
        service_id: i64,
        year: FinancialYear,
    ) -> Result<(String, Vec<u8>), AppError> {
        let s = self.service(who, service_id).await?;
        let provider = self
            .db
            .provider(s.provider_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let authority = self
            .db
            .authority(s.authority_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let (st, term) = Self::kinds(&s)?;
        let triggers = self.trigger_set(s.authority_id, year).await?;
        let contact = self
            .db
            .provider_contacts(provider.id)
            .await?
            .into_iter()
            .find(|c| c.active != 0)
            .map(|c| format!("{} {}", c.full_name(), c.email))
            .unwrap_or_default();
        let indicators = Indicator::national_for(st, term)
            .into_iter()
            .filter_map(|ind| {
                let formula = excel_formula(&ind)?;
                let trigger = triggers.find(&ind, st).map(|t| {
                    (
                        t.threshold.value(),
                        matches!(
                            t.threshold,
                            hearth_domain::performance::Threshold::Minimum(_)
                        ),
                    )
                });
                Some(hearth_docs::workbook::IndicatorRow {
                    label: format!("{} {}", ind.short_label(), ind.label()),
                    formula,
                    trigger,
                })
            })
            .collect();
        let version = self
            .workbook_versions(service_id, year)
            .await?
            .iter()
            .map(|v| v.version)
            .max()
            .unwrap_or(1);
        let spec = hearth_docs::workbook::WorkbookSpec {
            mark: hearth_docs::workbook::mark_for(&s.reference, &year.label(), version),
            contract: hearth_docs::workbook::ContractSheet {
                service_reference: s.reference.clone(),
                service_name: s.name.clone(),
                provider_reference: provider.reference.clone(),
                provider_name: provider.name.clone(),
                client_group: hearth_domain::ClientGroup::parse(&s.client_group)
                    .map(|c| c.label().to_string())
                    .unwrap_or_default(),
                service_type: st.label().to_string(),
                authority: authority.name.clone(),
                year_label: year.label(),
                contracted_units: s.contracted_units,
                planned_duration: term.label().to_string(),
                out_of_hours_cover: if s.emergency_referrals != 0 {
                    "Yes".into()
                } else {
                    "No".into()
                },
                contract_manager: format!("{} commissioning team", authority.name),
                contact,
                staffing_last_year: "As held in last year's returns".into(),
            },
            quarters: Quarter::all_of(year)
                .iter()
                .map(|q| {
                    (
                        q.number(),
                        format!("{} ({})", q.label(), q.months_label()),
                        q.days(),
                    )
                })
                .collect(),
            indicators,
            prefill: Vec::new(),
            locals: self
                .local_indicators(s.authority_id)
                .await?
                .into_iter()
                .filter(|l| l.applies_to(st))
                .map(|l| (l.code, l.name))
                .collect(),
        };
        let bytes = hearth_docs::workbook::write_workbook(&spec).map_err(AppError::Internal)?;
        Ok((
            format!(
                "{}-{}-return-V{version}.xlsx",
                s.reference.replace(['/', ' '], "-"),
                year.label().replace('/', "-")
            ),
            bytes,
        ))
    }

    /// A provider uploads the workbook for a quarter. Problems are listed in plain words; with
    /// "ignore missing data and inconsistencies where possible" and a comment, missing figures
    /// count as 0 and a changed unit number is let through for the officer to see.
    pub async fn submit_return_workbook(
        &self,
        who: &Principal,
        service_id: i64,
        quarter: &str,
        bytes: &[u8],
        ignore: bool,
        comment: &str,
    ) -> Result<PerformanceReturn, AppError> {
        let s = self.service(who, service_id).await?;
        crate::text::check_text("comment", comment)?;
        let q = Quarter::parse(quarter)
            .map_err(|_| AppError::invalid("quarter", "Choose the quarter this return is for"))?;
        // Reading a workbook is CPU work: off the async threads, so uploads cannot stall
        // other requests.
        let sheet = {
            let (bytes, number) = (bytes.to_vec(), q.number());
            tokio::task::spawn_blocking(move || hearth_docs::workbook::read_quarter(&bytes, number))
                .await
                .map_err(|e| AppError::Internal(format!("reading the workbook: {e}")))?
                .map_err(|m| AppError::invalid("file", m))?
        };
        let needed = self.workbook_version_for(service_id, q).await?;
        let latest = self
            .workbook_versions(service_id, q.year())
            .await?
            .iter()
            .map(|v| v.version)
            .max()
            .unwrap_or(1);
        // Any version from the one in force for this quarter up to the latest will do.
        let matches = (needed..=latest).any(|v| {
            sheet.mark == hearth_docs::workbook::mark_for(&s.reference, &q.year().label(), v)
        });
        let older = (1..needed).find(|v| {
            sheet.mark == hearth_docs::workbook::mark_for(&s.reference, &q.year().label(), *v)
        });
        if let Some(old) = older {
            return Err(AppError::invalid(
                "file",
                format!("This is version {old} of the workbook, but version {needed} applies to {} because the contract details changed: download the new version from Hearth and enter the figures there", q.label()),
            ));
        }
        if !matches {
            return Err(AppError::invalid(
                "file",
                format!("This workbook is not the {} workbook for {}: download this year's workbook from Hearth and enter the figures there", q.year().label(), s.reference),
            ));
        }
        let mut problems = FieldErrors::new();
        let mut form = ReturnForm {
            quarter: q.label(),
            comment: comment.trim().to_string(),
            ..Default::default()
        };
        let mut values = serde_json::Map::new();
        let locals = self.local_indicators(s.authority_id).await?;
        for (field, v) in &sheet.values {
            let local_name = field
                .strip_prefix("local:")
                .and_then(|c| locals.iter().find(|l| l.code == c))
                .map(|l| format!("Local indicator {}", l.name));
            let label = FIELDS
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, l)| l.to_string())
                .or(local_name)
                .unwrap_or_else(|| field.clone());
            let text = match v {
                Some(Ok(n)) => n.to_string(),
                Some(Err(t)) => {
                    problems.add("file", format!("{label}: \"{t}\" is not a whole number"));
                    continue;
                }
                None if ignore => "0".into(),
                None => {
                    problems.add("file", format!("{label} is missing"));
                    continue;
                }
            };
            values.insert(field.clone(), serde_json::Value::String(text));
        }
        if let Some(units) = sheet.contracted_units {
            if (units - s.contracted_units as f64).abs() > f64::EPSILON && !ignore {
                problems.add("file", format!("The contracted units were changed: value in workbook {units}, value held {}. Explain the change in the comment and tick \"ignore\", or correct the workbook", s.contracted_units));
            }
        }
        if ignore && comment.trim().is_empty() {
            problems.add(
                "comment",
                "Explain in the comment what is missing or inconsistent",
            );
        }
        problems.into_result()?;
        for (k, v) in values {
            let v = v.as_str().unwrap_or_default().to_string();
            match k.as_str() {
                "service_users_supported" => form.service_users_supported = v,
                "maintained_independent_living" => form.maintained_independent_living = v,
                "new_service_users" => form.new_service_users = v,
                "departures" => form.departures = v,
                "planned_departures" => form.planned_departures = v,
                "unavailable_unit_days" => form.unavailable_unit_days = v,
                "occupied_unit_days" => form.occupied_unit_days = v,
                "support_hours_contracted" => form.support_hours_contracted = v,
                "support_hours_delivered" => form.support_hours_delivered = v,
                other => {
                    if let Some(code) = other.strip_prefix("local:") {
                        form.extra.insert(format!("local_{code}"), v);
                    }
                }
            }
        }
        self.submit_return_from(who, service_id, &form, "workbook")
            .await
    }
}

/// One service's line in the returns tracker for a quarter.
#[derive(Debug, Clone)]
pub struct TrackerLine {
    pub service: Service,
    pub provider_name: String,
    pub due: chrono::NaiveDate,
    /// An extension granted to this service for the quarter (then `due` is the extended date).
    pub extended: bool,
    pub received: Option<chrono::NaiveDate>,
    pub status: Option<String>,
}

impl TrackerLine {
    pub fn late(&self) -> bool {
        self.received.is_some_and(|r| r > self.due)
    }
    pub fn missing(&self, today: chrono::NaiveDate) -> bool {
        self.received.is_none() && today > self.due
    }
}

/// Days after a quarter ends that its return is due, unless the authority sets its own.
pub const DEFAULT_DUE_DAYS: i64 = 28;

impl App {
    /// Days after the quarter's end that returns are due, for an authority.
    pub async fn returns_due_days(&self, authority_id: i64) -> Result<i64, AppError> {
        Ok(self
            .db
            .setting(&format!("returns_due_days:{authority_id}"))
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_DUE_DAYS))
    }

    pub async fn set_returns_due_days(&self, who: &Principal, days: &str) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::Administer)?;
        let n = days
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=90).contains(n))
            .ok_or_else(|| {
                AppError::invalid("returns_due_days", "Enter a number of days from 1 to 90")
            })?;
        let mut tx = self.db.begin_write(&who.actor()).await?;
        tx.set_setting(
            &format!("returns_due_days:{}", who.authority_id()),
            &n.to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The returns tracker (F4.5): every service of the authority for a quarter, with its due
    /// date, when its return came and whether it was late or is missing.
    pub async fn returns_tracker(
        &self,
        who: &Principal,
        q: Quarter,
    ) -> Result<Vec<TrackerLine>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let due =
            q.end() + chrono::Duration::days(self.returns_due_days(who.authority_id()).await?);
        let mut f = who.service_filter();
        f.per_page = 100_000;
        // Three reads for the whole page, whatever the number of services: the quarter's
        // returns, the extensions granted, and the providers' names.
        let mut of_service: std::collections::HashMap<i64, Vec<PerformanceReturn>> =
            Default::default();
        for r in self
            .db
            .authority_returns_since(who.authority_id(), i64::from(q.year().start_year))
            .await?
            .into_iter()
            .filter(|r| {
                r.year_start == i64::from(q.year().start_year) && r.quarter == i64::from(q.number())
            })
        {
            of_service.entry(r.service_id).or_default().push(r);
        }
        let suffix = format!(":{}", q.label());
        let extensions: std::collections::HashMap<i64, chrono::NaiveDate> = self
            .db
            .settings_with_prefix("extension:")
            .await?
            .into_iter()
            .filter_map(|(name, value)| {
                let id = name
                    .strip_prefix("extension:")?
                    .strip_suffix(&suffix)?
                    .parse::<i64>()
                    .ok()?;
                let date = chrono::NaiveDate::parse_from_str(&value, "%Y-%m-%d").ok()?;
                Some((id, date))
            })
            .collect();
        let mut pf = who.provider_filter();
        pf.per_page = 100_000;
        let names: std::collections::HashMap<i64, String> = self
            .db
            .list_providers(&pf)
            .await?
            .items
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let mut out = Vec::new();
        for s in self.db.list_services(&f).await?.items {
            let returns = of_service.remove(&s.id).unwrap_or_default();
            let first = returns.iter().min_by_key(|r| r.submitted_at);
            // Newest first, as `service_returns` orders them.
            let latest_status = returns
                .iter()
                .find(|r| r.status != REPLACED)
                .map(|r| r.status.clone());
            let extension = extensions.get(&s.id).copied();
            out.push(TrackerLine {
                provider_name: names.get(&s.provider_id).cloned().unwrap_or_default(),
                due: extension.unwrap_or(due),
                extended: extension.is_some(),
                // The day it arrived in the UK (a return sent at 00:30 BST is that day's).
                received: first
                    .and_then(|r| hearth_domain::clock::uk_time_of(r.submitted_at))
                    .map(|t| t.date()),
                status: latest_status,
                service: s,
            });
        }
        out.sort_by(|a, b| {
            a.provider_name
                .cmp(&b.provider_name)
                .then(a.service.name.cmp(&b.service.name))
        });
        Ok(out)
    }

    fn extension_key(service_id: i64, q: Quarter) -> String {
        format!("extension:{service_id}:{}", q.label())
    }

    /// The extended due date granted to a service for a quarter, if any.
    pub async fn extension(
        &self,
        service_id: i64,
        q: Quarter,
    ) -> Result<Option<chrono::NaiveDate>, AppError> {
        Ok(self
            .db
            .setting(&Self::extension_key(service_id, q))
            .await?
            .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
    }

    /// The team grants a service more time for a quarter's return.
    pub async fn grant_extension(
        &self,
        who: &Principal,
        service_id: i64,
        quarter: &str,
        until: &str,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.service(who, service_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        let q = Quarter::parse(quarter).map_err(|e| AppError::invalid("quarter", e.message))?;
        let date =
            hearth_domain::parse_date(until).map_err(|e| AppError::invalid("until", e.message))?;
        if date <= q.end() {
            return Err(AppError::invalid(
                "until",
                "The extension must end after the quarter does",
            ));
        }
        let mut tx = self.db.begin_write(&who.actor()).await?;
        tx.set_setting(&Self::extension_key(service_id, q), &date.to_string())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reminders before and after the deadline (F4.5), through the outbox, each sent once:
    /// a week before the due date and the day after it, to the provider's e-mail address.
    pub async fn send_return_reminders(&self, today: chrono::NaiveDate) -> Result<usize, AppError> {
        let q = Quarter::for_date(today).previous();
        let mut sent = 0;
        for a in self.db.authorities().await? {
            let standard_due = q.end() + chrono::Duration::days(self.returns_due_days(a.id).await?);
            let services = self
                .db
                .list_services(&hearth_store::ServiceFilter {
                    authority_id: Some(a.id),
                    per_page: 100_000,
                    ..Default::default()
                })
                .await?;
            for s in services.items {
                // An extension moves this service's deadline, and its reminders, to the new date.
                let due = self.extension(s.id, q).await?.unwrap_or(standard_due);
                let kind = if today == due - chrono::Duration::days(7) {
                    "before"
                } else if today == due + chrono::Duration::days(1) {
                    "after"
                } else {
                    continue;
                };
                let has = self.db.service_returns(s.id).await?.iter().any(|r| {
                    r.year_start == i64::from(q.year().start_year)
                        && r.quarter == i64::from(q.number())
                });
                let key = format!("reminder:{}:{}:{}", s.id, q.label(), kind);
                if has || self.db.setting(&key).await?.is_some() {
                    continue;
                }
                let Some(p) = self.db.provider(s.provider_id).await? else {
                    continue;
                };
                if p.email.is_empty() {
                    continue;
                }
                let mut tx = self
                    .db
                    .begin_write(&hearth_store::Actor::system("reminders"))
                    .await?;
                let (subject, body) = if kind == "before" {
                    (format!("Return for {} due on {}", q.label(), due), format!("The performance return of {} for {} is due on {}. Download the workbook from Hearth, or use the web form.", s.name, q.label(), due))
                } else {
                    (format!("Return for {} is late", q.label()), format!("The performance return of {} for {} was due on {} and has not arrived. Please send it now.", s.name, q.label(), due))
                };
                tx.queue_mail(&p.email, &subject, &body).await?;
                tx.set_setting(&key, &today.to_string()).await?;
                tx.commit().await?;
                sent += 1;
            }
        }
        Ok(sent)
    }
}

/// The trigger form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct TriggerForm {
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub indicator: String,
    #[serde(default)]
    pub service_type: String,
    #[serde(default)]
    pub value: String,
}

impl App {
    /// The commissioning team sets a year's trigger for an indicator (for every service type,
    /// or one). A trigger below which (or above which, where lower is better) a figure breaches.
    pub async fn set_trigger(&self, who: &Principal, form: &TriggerForm) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(form)?;
        let mut e = FieldErrors::new();
        let year = e.check(
            "year",
            hearth_domain::FinancialYear::parse_label(&form.year),
        );
        let ind = e.check("indicator", Indicator::parse(&form.indicator));
        let st = if form.service_type.trim().is_empty() {
            None
        } else {
            e.check("service_type", ServiceType::parse(&form.service_type))
        };
        let value = match &ind {
            Some(i) => e.check(
                "value",
                hearth_domain::performance::parse_threshold(i, &form.value),
            ),
            None => None,
        };
        e.into_result()?;
        let (Some(year), Some(ind), Some(value)) = (year, ind, value) else {
            return Err(AppError::invalid("value", "Enter the trigger"));
        };
        let higher = match &ind {
            Indicator::Local(code) => self
                .local_indicators(who.authority_id())
                .await?
                .iter()
                .find(|l| &l.code == code)
                .map(|l| l.higher_is_better)
                .unwrap_or(true),
            national => national.higher_is_better(),
        };
        let kind = if higher { "minimum" } else { "maximum" };
        let mut tx = self.db.begin_write(&who.actor()).await?;
        tx.set_trigger(
            who.authority_id(),
            i64::from(year.start_year),
            ind.code(),
            st.map(|s| s.as_str()),
            kind,
            value,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A version of a service's workbook for a year (F4.6): issued when the contract sheet's data
/// changes mid-year, effective from a quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkbookVersion {
    pub version: u32,
    pub from_quarter: u8,
    pub reason: String,
    pub issued_by: String,
    pub issued_on: String,
}

use serde::Serialize;

impl App {
    fn versions_key(service_id: i64, year: FinancialYear) -> String {
        format!("workbook_versions:{service_id}:{}", year.start_year)
    }

    /// The workbook versions issued for a service's year after the first (V1 is implied).
    pub async fn workbook_versions(
        &self,
        service_id: i64,
        year: FinancialYear,
    ) -> Result<Vec<WorkbookVersion>, AppError> {
        Ok(self
            .db
            .setting(&Self::versions_key(service_id, year))
            .await?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    /// The version in force for a quarter (1 unless a later one took effect by then).
    pub async fn workbook_version_for(&self, service_id: i64, q: Quarter) -> Result<u32, AppError> {
        Ok(self
            .workbook_versions(service_id, q.year())
            .await?
            .iter()
            .filter(|v| v.from_quarter <= q.number())
            .map(|v| v.version)
            .max()
            .unwrap_or(1))
    }

    /// The commissioning team issues a new workbook version from a quarter, after the contract
    /// sheet's data changed; the provider is told to use it.
    pub async fn issue_workbook_version(
        &self,
        who: &Principal,
        service_id: i64,
        year: FinancialYear,
        from_quarter: u8,
        reason: &str,
    ) -> Result<WorkbookVersion, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let s = self.service(who, service_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("reason", reason)?;
        let mut e = FieldErrors::new();
        if !(1..=4).contains(&from_quarter) {
            e.add(
                "from_quarter",
                "Choose the quarter the new version applies from",
            );
        }
        if reason.trim().is_empty() {
            e.add("reason", "Say what changed on the contract sheet");
        }
        e.into_result()?;
        let mut versions = self.workbook_versions(service_id, year).await?;
        let version = versions.iter().map(|v| v.version).max().unwrap_or(1) + 1;
        let v = WorkbookVersion {
            version,
            from_quarter,
            reason: reason.trim().to_string(),
            issued_by: who.signed_in()?.username.clone(),
            issued_on: self.today().to_string(),
        };
        versions.push(v.clone());
        let provider = self
            .db
            .provider(s.provider_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut tx = self.db.begin_write(&who.actor()).await?;
        tx.set_setting(
            &Self::versions_key(service_id, year),
            &serde_json::to_string(&versions).map_err(|e| AppError::Internal(e.to_string()))?,
        )
        .await?;
        if !provider.email.is_empty() {
            tx.queue_mail(
                &provider.email,
                &format!("New workbook for {} {}: version {version}", s.name, year.label()),
                &format!("The contract details of {} changed ({}). From quarter {from_quarter} use version {version} of the {} workbook: download it from Hearth. Earlier quarters keep their accepted figures; the old version is refused for quarter {from_quarter} onwards.", s.name, v.reason, year.label()),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(v)
    }
}

/// One row of the analysis across services (F4.7): a group's average figure for an indicator
/// in each of the last four ended quarters.
#[derive(Debug, Clone)]
pub struct AnalysisRow {
    pub group: String,
    pub indicator: Indicator,
    /// Oldest first; None where no return counted.
    pub values: Vec<Option<f64>>,
    pub trigger: Option<f64>,
}

impl AnalysisRow {
    /// "up", "down" or "level" between the first and last figures held.
    pub fn trend(&self) -> &'static str {
        let held: Vec<f64> = self.values.iter().flatten().copied().collect();
        match (held.first(), held.last()) {
            (Some(a), Some(b)) if held.len() > 1 && b - a > 0.5 => "up",
            (Some(a), Some(b)) if held.len() > 1 && a - b > 0.5 => "down",
            _ => "level",
        }
    }
}

impl App {
    /// The last four ended quarters (the rolling twelve months), oldest first.
    pub fn rolling_quarters(&self) -> Vec<Quarter> {
        let mut q = Quarter::for_date(self.today()).previous();
        let mut out = vec![q];
        for _ in 0..3 {
            q = q.previous();
            out.push(q);
        }
        out.reverse();
        out
    }

    /// A service's indicators over the rolling twelve months, from its accepted returns.
    pub async fn service_analysis(
        &self,
        who: &Principal,
        service_id: i64,
    ) -> Result<Vec<(Quarter, Option<ReturnView>)>, AppError> {
        let s = self.service(who, service_id).await?;
        let returns = self.db.service_returns(service_id).await?;
        let mut out = Vec::new();
        for q in self.rolling_quarters() {
            let r = returns
                .iter()
                .find(|r| {
                    r.year_start == i64::from(q.year().start_year)
                        && r.quarter == i64::from(q.number())
                        && r.status == ACCEPTED
                })
                .cloned();
            out.push((
                q,
                match r {
                    Some(r) => Some(self.view_of(r, &s).await?),
                    None => None,
                },
            ));
        }
        Ok(out)
    }

    /// Across services, client groups or providers: average accepted figures per quarter.
    pub async fn analysis(
        &self,
        who: &Principal,
        by: &str,
    ) -> Result<(Vec<Quarter>, Vec<AnalysisRow>), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let quarters = self.rolling_quarters();
        let mut f = who.service_filter();
        f.per_page = 100_000;
        let services = self.db.list_services(&f).await?.items;
        // (group, indicator code) -> per quarter (sum, count)
        #[allow(clippy::type_complexity)]
        let mut acc: std::collections::BTreeMap<
            (String, String),
            (Indicator, Vec<(f64, u32)>),
        > = Default::default();
        let mut provider_names = std::collections::HashMap::new();
        // One read of the returns of every service, and the triggers read once a year.
        let from_year = quarters
            .iter()
            .map(|q| i64::from(q.year().start_year))
            .min()
            .unwrap_or(0);
        let mut of_service: std::collections::HashMap<i64, Vec<PerformanceReturn>> =
            Default::default();
        for r in self
            .db
            .authority_returns_since(who.authority_id(), from_year)
            .await?
        {
            of_service.entry(r.service_id).or_default().push(r);
        }
        let mut cache = ViewCache::default();
        for s in &services {
            let group = match by {
                "client_group" => hearth_domain::ClientGroup::parse(&s.client_group)
                    .map(|c| c.label().to_string())
                    .unwrap_or_default(),
                "provider" => {
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        provider_names.entry(s.provider_id)
                    {
                        slot.insert(
                            self.db
                                .provider(s.provider_id)
                                .await?
                                .map(|p| p.name)
                                .unwrap_or_default(),
                        );
                    }
                    provider_names
                        .get(&s.provider_id)
                        .cloned()
                        .unwrap_or_default()
                }
                _ => format!("{} ({})", s.name, s.reference),
            };
            let returns = of_service.remove(&s.id).unwrap_or_default();
            for (i, q) in quarters.iter().enumerate() {
                let Some(r) = returns.iter().find(|r| {
                    r.year_start == i64::from(q.year().start_year)
                        && r.quarter == i64::from(q.number())
                        && r.status == ACCEPTED
                }) else {
                    continue;
                };
                let view = self.view_with(r.clone(), s, &mut cache, false).await?;
                for fig in view.indicators {
                    let Some(v) = fig.value else { continue };
                    let e = acc
                        .entry((group.clone(), fig.indicator.code().to_string()))
                        .or_insert_with(|| (fig.indicator.clone(), vec![(0.0, 0); quarters.len()]));
                    e.1[i].0 += v;
                    e.1[i].1 += 1;
                }
            }
        }
        let triggers = self
            .trigger_set(
                who.authority_id(),
                quarters
                    .last()
                    .map(|q| q.year())
                    .unwrap_or_else(|| FinancialYear::for_date(self.today())),
            )
            .await?;
        let rows = acc
            .into_iter()
            .map(|((group, _), (indicator, sums))| AnalysisRow {
                trigger: triggers
                    .triggers()
                    .iter()
                    .find(|t| t.indicator == indicator && t.service_type.is_none())
                    .map(|t| t.threshold.value()),
                group,
                values: sums
                    .iter()
                    .map(|(s, n)| (*n > 0).then(|| (s / f64::from(*n) * 10.0).round() / 10.0))
                    .collect(),
                indicator,
            })
            .collect();
        Ok((quarters, rows))
    }
}

impl App {
    fn locals_key(authority_id: i64) -> String {
        format!("local_indicators:{authority_id}")
    }

    /// The authority's local indicators.
    pub async fn local_indicators(
        &self,
        authority_id: i64,
    ) -> Result<Vec<hearth_domain::performance::LocalIndicator>, AppError> {
        Ok(self
            .db
            .setting(&Self::locals_key(authority_id))
            .await?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    /// The team defines a local indicator (a whole number a quarter; for every service type or one).
    pub async fn define_local_indicator(
        &self,
        who: &Principal,
        code: &str,
        name: &str,
        service_type: &str,
        higher_is_better: bool,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("name", name)?;
        let types = if service_type.trim().is_empty() {
            Vec::new()
        } else {
            vec![ServiceType::parse(service_type)
                .map_err(|e| AppError::invalid("service_type", e.message))?]
        };
        let li = hearth_domain::performance::LocalIndicator::new(
            code,
            name,
            hearth_domain::performance::Unit::Number,
            types,
            higher_is_better,
        )
        .map_err(|e| {
            AppError::invalid(
                if e.code.contains("name") {
                    "name"
                } else {
                    "code"
                },
                e.message,
            )
        })?;
        let mut all = self.local_indicators(who.authority_id()).await?;
        if all.iter().any(|l| l.code == li.code) {
            return Err(AppError::invalid(
                "code",
                "A local indicator with this code already exists",
            ));
        }
        all.push(li);
        let mut tx = self.db.begin_write(&who.actor()).await?;
        tx.set_setting(
            &Self::locals_key(who.authority_id()),
            &serde_json::to_string(&all).map_err(|e| AppError::Internal(e.to_string()))?,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What a page of many returns reads once instead of once a return: each authority's triggers
/// for a year and its local indicators.
#[derive(Default)]
struct ViewCache {
    triggers: std::collections::HashMap<(i64, i32), TriggerSet>,
    locals: std::collections::HashMap<i64, Vec<hearth_domain::performance::LocalIndicator>>,
}
