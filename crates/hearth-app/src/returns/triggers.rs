//! The triggers the team sets for a year.

#[allow(unused_imports)]
use super::*;

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
        let mut tx = self.begin_write(&who.actor()).await?;
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
