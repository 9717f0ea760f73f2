//! The yearly workbook (F4.2): written pre-filled, read back and checked.

#[allow(unused_imports)]
use super::*;

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

/// The indicator rows of a service's workbook: each national indicator it reports, named with
/// its code once ("KPI 2: service users who moved on in a planned way"), its formula and the
/// trigger in force (value, whether a minimum).
fn indicator_rows(
    st: ServiceType,
    term: Term,
    triggers: &TriggerSet,
) -> Vec<hearth_docs::workbook::IndicatorRow> {
    Indicator::national_for(st, term)
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
                label: ind.label().to_string(),
                formula,
                trigger,
            })
        })
        .collect()
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
        let indicators = indicator_rows(st, term, &triggers);
        // The service's contract manager, else its provider's; the team when none is named.
        let manager = self.db.service_officers(&s).await?.contract_manager_id;
        let manager = match manager {
            Some(id) => self.db.user_names(&[id]).await?.remove(&id),
            None => None,
        };
        let contract_manager = match manager {
            Some((name, email)) if email.is_empty() => name,
            Some((name, email)) => format!("{name} {email}"),
            None => format!("{} commissioning team", authority.name),
        };
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
                contract_manager,
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
        q: Quarter,
        bytes: &[u8],
        ignore: bool,
        comment: &str,
    ) -> Result<PerformanceReturn, AppError> {
        let s = self.service(who, service_id).await?;
        crate::text::check_text("comment", comment)?;
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

#[cfg(test)]
mod indicator_row_tests {
    use super::*;

    // Usability review (issue 10): the workbook named indicators twice ("KPI 2 KPI 2: ...",
    // "SPI 2 SPI 2: utilisation").
    #[test]
    fn the_workbook_names_each_indicator_with_its_code_once() {
        let triggers = TriggerSet::authority_defaults(FinancialYear::new(2026));
        for (st, term) in [
            (ServiceType::AccommodationBased, Term::Short),
            (ServiceType::Sheltered, Term::Long),
            (ServiceType::FloatingSupport, Term::Short),
        ] {
            let rows = indicator_rows(st, term, &triggers);
            assert!(!rows.is_empty());
            for row in &rows {
                for ind in Indicator::NATIONAL {
                    assert!(
                        row.label.matches(ind.short_label()).count() <= 1,
                        "{st:?} {term:?}: {}",
                        row.label
                    );
                }
            }
        }
        let rows = indicator_rows(ServiceType::AccommodationBased, Term::Short, &triggers);
        assert!(rows
            .iter()
            .any(|r| r.label == "KPI 2: service users who moved on in a planned way"));
        assert!(rows.iter().any(|r| r.label == "SPI 2: utilisation"));
    }
}
