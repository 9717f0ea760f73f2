//! Quarterly performance returns (C4): a provider submits a quarter's figures by the web form
//! (the workbook upload comes next), Hearth computes the indicators and marks every figure that
//! breaches its trigger; the officer checks within two weeks: accepts (not while a breach has no
//! explanation), returns it as incomplete, asks for an explanation, escalates it to the
//! contracts manager or turns it into an action for the provider.

use crate::error::ConflictCode;
use hearth_domain::performance::{
    compute_for, Indicator, Quarter, QuarterReturn, Trigger, TriggerSet,
};
use hearth_domain::{FinancialYear, Role, ServiceType, Term};
use hearth_store::{NewAction, NewReturn, PerformanceReturn, Service};
use serde::Deserialize;

use crate::{App, AppError, FieldErrors, Permission, Principal};

use hearth_domain::workflow::returns::{self as flow, Status};
use hearth_domain::workflow::Refusal;

/// Statuses a return moves through, as stored (the workflow is `hearth_domain::workflow::returns`).
pub const RECEIVED: &str = Status::Received.as_str();
pub const ACCEPTED: &str = Status::Accepted.as_str();
pub const INCOMPLETE: &str = Status::Incomplete.as_str();
pub const EXPLANATION_REQUESTED: &str = Status::ExplanationRequested.as_str();
pub const EXPLAINED: &str = Status::Explained.as_str();
pub const ESCALATED: &str = Status::Escalated.as_str();
pub const ACTION_SET: &str = Status::ActionSet.as_str();
pub const REPLACED: &str = Status::Replaced.as_str();

/// The source of a return the team keyed in from paper.
pub const PAPER: &str = "paper";

/// Working days a provider has to send a return sent back to it (incomplete, or an
/// explanation asked for) again.
pub const RESUBMIT_WORKING_DAYS: u32 = 10;

pub fn status_label(s: &str) -> &'static str {
    Status::parse(s).map(Status::label).unwrap_or("Unknown")
}

/// A stored status, parsed (an unknown one is a fault in the data).
fn status_of(s: &str) -> Result<Status, AppError> {
    Status::parse(s).ok_or_else(|| AppError::Internal(format!("unknown return status {s:?}")))
}

/// A refused move as the use case answers it.
fn refused(r: Refusal) -> AppError {
    AppError::refused(r, ConflictCode::WrongState)
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

    /// What a field counts, as its error messages name it: "the number of new service users
    /// in the quarter" ("Enter the number of new service users in the quarter (0 if none)").
    fn counted(field: &str) -> &'static str {
        match field {
            "service_users_supported" => "the number of service users supported in the quarter",
            "maintained_independent_living" => {
                "the number of those service users who maintained independent living"
            }
            "new_service_users" => "the number of new service users in the quarter",
            "departures" => "the number of service users who left in the quarter",
            "planned_departures" => "the number of those who left in a planned way",
            "unavailable_unit_days" => "the number of unit-days not available for letting",
            "occupied_unit_days" => "the number of unit-days occupied or used",
            "support_hours_contracted" => "the support hours the contract provides this quarter",
            "support_hours_delivered" => "the support hours delivered",
            _ => "a figure",
        }
    }

    /// Whole numbers, none negative, every field filled (0 is a figure; blank is missing).
    /// Each message names its field, so the error summary is not a list of identical links.
    fn parse(&self, e: &mut FieldErrors) -> QuarterReturn {
        let mut num = |f: &str| -> u32 {
            let v = self.value(f).trim().replace(',', "");
            if v.is_empty() {
                e.add(f, format!("Enter {} (0 if none)", Self::counted(f)));
                return 0;
            }
            match v.parse::<u32>() {
                Ok(n) => n,
                Err(_) => {
                    e.add(
                        f,
                        format!("Enter {} as a whole number, 0 or more", Self::counted(f)),
                    );
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

/// One indicator's figure for a return, the trigger in force for it and the trigger it
/// breaches if any.
#[derive(Debug, Clone)]
pub struct Figure {
    pub indicator: Indicator,
    /// What people read, the code once: "KPI 2: service users who moved on in a planned way",
    /// or "Local: " and a local indicator's name.
    pub label: String,
    pub value: Option<f64>,
    /// The trigger in force for the indicator and the service's type, met or not.
    pub trigger: Option<Trigger>,
    /// The trigger the figure breaches (then the same as `trigger`).
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
                    label: ind.label().to_string(),
                    trigger: triggers.find(&ind, st).cloned(),
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
                trigger: triggers.find(&ind, st).cloned(),
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
        let services: Vec<i64> = self
            .db
            .list_services(&f)
            .await?
            .items
            .iter()
            .map(|s| s.id)
            .collect();
        self.count_returns_due_of(&services).await
    }

    /// As [`App::count_returns_due`], for services the caller has already read within its
    /// scope (the provider's home page reads them once for all its cards).
    pub(crate) async fn count_returns_due_of(&self, services: &[i64]) -> Result<i64, AppError> {
        // The quarter that ended most recently.
        let last = Quarter::for_date(self.today()).previous();
        let returned: std::collections::HashSet<i64> = self
            .db
            .services_returns_for(
                services,
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

    /// The team keys in a return the provider sent on paper (or by e-mail): checked and
    /// stored like a provider's, with the source "paper" and the officer as its sender.
    pub async fn key_paper_return(
        &self,
        who: &Principal,
        service_id: i64,
        form: &ReturnForm,
    ) -> Result<PerformanceReturn, AppError> {
        self.submit_return_from(who, service_id, form, PAPER).await
    }

    async fn submit_return_from(
        &self,
        who: &Principal,
        service_id: i64,
        form: &ReturnForm,
        source: &str,
    ) -> Result<PerformanceReturn, AppError> {
        // A provider sends its own; the team keys in a paper return for any of the
        // authority's services.
        match (who, source) {
            (Principal::Provider { .. }, s) if s != PAPER => {
                who.require_or_hide(Permission::ProviderPortal)?
            }
            (Principal::Staff { .. }, PAPER) => who.require_or_hide(Permission::BackOfficeRead)?,
            _ => return Err(AppError::NotFound),
        }
        let service = self.service(who, service_id).await?;
        if source == PAPER {
            who.require(Permission::BackOfficeWrite)?;
        }
        let (provider_id, authority_id) = (&service.provider_id, &service.authority_id);
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
        let resend = match &existing {
            Some(r) => flow::on_resend(status_of(&r.status)?).map_err(|e| match e {
                Refusal::Input { field, .. } => AppError::invalid(
                    field,
                    format!(
                        "A return for {} is already waiting to be checked",
                        q.label()
                    ),
                ),
                other => refused(other),
            })?,
            None => flow::Resend::First,
        };
        let replaces_id = match (&existing, resend) {
            (Some(r), flow::Resend::ReplacesOnAcceptance) => Some(r.id),
            // A corrected return keeps what the one sent back was replacing.
            (Some(r), flow::Resend::ReplacesNow) => r.replaces_id,
            _ => None,
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        if let Some(r) = existing.filter(|_| resend == flow::Resend::ReplacesNow) {
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

    /// When a return sent back today is due again: [`RESUBMIT_WORKING_DAYS`] working days of
    /// the authority's region (weekends and its bank holidays not counted).
    pub async fn resubmission_due(&self, authority_id: i64) -> Result<chrono::NaiveDate, AppError> {
        let region = self
            .db
            .authority(authority_id)
            .await?
            .and_then(|a| hearth_domain::calendar::Region::parse(&a.region))
            .unwrap_or(hearth_domain::calendar::Region::EnglandAndWales);
        let today = self.today();
        Ok(hearth_domain::calendar::RegionCalendar::rules(region)
            .add_working_days(today, RESUBMIT_WORKING_DAYS)
            .unwrap_or(today))
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
        let facts = flow::Facts {
            explained: !explanation.trim().is_empty(),
            ..flow::Facts::default()
        };
        let status = flow::next(
            status_of(&view.ret.status)?,
            flow::Event::Explain,
            flow::Actor::Provider,
            facts,
        )
        .map_err(refused)?
        .as_str();
        let mut tx = self.begin_write(&who.actor()).await?;
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
        decision: flow::Decision,
        remarks: &str,
        confirm_replacement: bool,
    ) -> Result<PerformanceReturn, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let view = self.return_view(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("remarks", remarks)?;
        let r = &view.ret;
        let by = if who.role() == Role::ContractsManager {
            flow::Actor::ContractsManager
        } else {
            flow::Actor::Officer
        };
        let from = status_of(&r.status)?;
        // The state comes first: a return someone else has just decided is a conflict, whatever
        // was chosen.
        if !from.waits_for_check()
            || (from == Status::Escalated && by != flow::Actor::ContractsManager)
        {
            flow::next(from, flow::Event::Accept, by, flow::Facts::default()).map_err(refused)?;
        }
        let event = decision.event();
        let facts = flow::Facts {
            explained: !r.explanation.trim().is_empty(),
            breaches: view.breaches(),
            replaces_accepted: r.replaces_id.is_some(),
            replacement_confirmed: confirm_replacement,
            remarks: !remarks.trim().is_empty(),
        };
        let to = flow::next(from, event, by, facts).map_err(refused)?;
        let mut tx = self.begin_write(&who.actor()).await?;
        if to == Status::Accepted {
            if let Some(old) = r.replaces_id {
                tx.update_return(
                    old,
                    REPLACED,
                    Some(&format!("Replaced by return {id}")),
                    None,
                    true,
                )
                .await?;
            }
        }
        if to == Status::ActionSet {
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
        }
        let updated = tx
            .update_return(id, to.as_str(), Some(remarks.trim()), None, true)
            .await?;
        updated.ok_or(AppError::NotFound)?;
        // A return sent back is due again in ten working days of the authority's region.
        let resubmit = match to {
            Status::Incomplete | Status::ExplanationRequested => {
                Some(self.resubmission_due(r.authority_id).await?.to_string())
            }
            _ => None,
        };
        let updated = tx
            .set_return_resubmit_by(id, resubmit.as_deref())
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(updated)
    }
}

mod analysis;
mod locals;
mod tracker;
mod triggers;
mod versions;
mod workbook;

pub use analysis::*;
#[allow(unused_imports)]
pub use locals::*;
pub use tracker::*;
pub use triggers::*;
pub use versions::*;
#[allow(unused_imports)]
pub use workbook::*;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod form_tests {
    use super::*;

    // Usability review (issue 10): the form's error summary was nine identical "Enter a figure
    // (0 if none)" links. Each message names its field.
    #[test]
    fn every_missing_or_bad_figure_is_named_in_its_message() {
        let mut e = FieldErrors::new();
        ReturnForm::default().parse(&mut e);
        let messages: Vec<&str> = e.0.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(messages.len(), FIELDS.len());
        let distinct: std::collections::HashSet<&&str> = messages.iter().collect();
        assert_eq!(distinct.len(), FIELDS.len(), "{messages:?}");
        assert_eq!(
            e.get("new_service_users"),
            Some("Enter the number of new service users in the quarter (0 if none)")
        );
        for (field, _) in FIELDS {
            assert_ne!(ReturnForm::counted(field), "a figure", "{field}");
        }
        let mut e = FieldErrors::new();
        ReturnForm {
            departures: "x".into(),
            ..Default::default()
        }
        .parse(&mut e);
        assert_eq!(
            e.get("departures"),
            Some("Enter the number of service users who left in the quarter as a whole number, 0 or more")
        );
    }
}

/// What a page of many returns reads once instead of once a return: each authority's triggers
/// for a year and its local indicators.
#[derive(Default)]
struct ViewCache {
    triggers: std::collections::HashMap<(i64, i32), TriggerSet>,
    locals: std::collections::HashMap<i64, Vec<hearth_domain::performance::LocalIndicator>>,
}
