//! The authority's local indicators.

#[allow(unused_imports)]
use super::*;
use hearth_domain::performance::LocalIndicatorCode;

impl App {
    /// The authority's local indicators.
    pub async fn local_indicators(
        &self,
        authority_id: i64,
    ) -> Result<Vec<hearth_domain::performance::LocalIndicator>, AppError> {
        Ok(self
            .db
            .local_indicators_of(authority_id)
            .await?
            .into_iter()
            .filter_map(|r| {
                serde_json::from_value(serde_json::json!({
                    "code": r.code,
                    "name": r.name,
                    "unit": r.unit,
                    "service_types": serde_json::from_str::<serde_json::Value>(&r.service_types).ok()?,
                    "higher_is_better": r.higher_is_better != 0,
                }))
                .ok()
            })
            .collect())
    }

    /// The team defines a local indicator (a whole number a quarter; for every service type, or
    /// for one).
    pub async fn define_local_indicator(
        &self,
        who: &Principal,
        code: &LocalIndicatorCode,
        name: &str,
        service_type: Option<ServiceType>,
        higher_is_better: bool,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("name", name)?;
        let types: Vec<ServiceType> = service_type.into_iter().collect();
        let li = hearth_domain::performance::LocalIndicator::new(
            code.as_str(),
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
        let all = self.local_indicators(who.authority_id()).await?;
        if all.iter().any(|l| l.code == li.code) {
            return Err(AppError::invalid(
                "code",
                "A local indicator with this code already exists",
            ));
        }
        let types = serde_json::to_value(&li.service_types)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.insert_local_indicator(
            who.authority_id(),
            &li.code,
            &li.name,
            li.unit.as_str(),
            &types.to_string(),
            li.higher_is_better,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
