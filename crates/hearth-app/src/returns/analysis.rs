//! The analysis across services (F4.7).

#[allow(unused_imports)]
use super::*;
use hearth_domain::performance::AnalysisGrouping;

/// One row of the analysis across services (F4.7): a group's average figure for an indicator
/// in each of the last four ended quarters.
#[derive(Debug, Clone)]
pub struct AnalysisRow {
    pub group: String,
    pub indicator: Indicator,
    /// Oldest first; None where no return counted.
    pub values: Vec<Option<f64>>,
    /// The authority's trigger for the indicator (a minimum, or a maximum where lower is better).
    pub trigger: Option<hearth_domain::performance::Threshold>,
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
        by: AnalysisGrouping,
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
                AnalysisGrouping::ClientGroup => hearth_domain::ClientGroup::parse(&s.client_group)
                    .map(|c| c.label().to_string())
                    .unwrap_or_default(),
                AnalysisGrouping::Provider => {
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
                AnalysisGrouping::Service => format!("{} ({})", s.name, s.reference),
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
                    .map(|t| t.threshold),
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
