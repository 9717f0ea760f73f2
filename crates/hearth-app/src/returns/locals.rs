//! The authority's local indicators.

#[allow(unused_imports)]
use super::*;

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
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_setting(
            &Self::locals_key(who.authority_id()),
            &serde_json::to_string(&all).map_err(|e| AppError::Internal(e.to_string()))?,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
