//! Extensions of a quarter's deadline and the authority's local indicators.

#[allow(unused_imports)]
use super::*;
use hearth_domain::performance::LocalIndicatorCode;
use hearth_domain::ServiceType;

#[derive(Deserialize, Default)]
pub(super) struct ExtensionForm {
    #[serde(default)]
    service_id: i64,
    #[serde(default)]
    quarter: String,
    #[serde(default)]
    until: String,
}

/// The quarter and the date the extension runs until, as the tracker's form sends them.
fn parse_extension(f: &ExtensionForm) -> Result<(Quarter, chrono::NaiveDate), AppError> {
    let quarter = Quarter::parse(&f.quarter).for_field("quarter")?;
    let until = hearth_domain::parse_date(&f.until).for_field("until")?;
    Ok((quarter, until))
}

pub(super) async fn extension(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ExtensionForm>,
) -> Page {
    let granted = match parse_extension(&f) {
        Ok((quarter, until)) => {
            state
                .app
                .grant_extension(&ctx.principal, f.service_id, quarter, until)
                .await
        }
        Err(e) => Err(e),
    };
    match granted {
        Ok(()) => Ok(see_other(&format!(
            "/returns/tracker?quarter={}",
            crate::session::url_encode(&f.quarter)
        ))),
        Err(AppError::Invalid(errors)) => {
            tracker_view(
                &state,
                &ctx,
                &TrackerQuery {
                    quarter: Some(f.quarter.clone()),
                },
                &errors,
                Some(f.service_id),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct LocalForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    service_type: String,
    #[serde(default)]
    higher_is_better: Option<String>,
}

pub(super) async fn define_local(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<LocalForm>,
) -> Page {
    let mut errors = FieldErrors::new();
    let code = errors.check("code", LocalIndicatorCode::parse(&f.code));
    // Blank means every service type.
    let service_type = match f.service_type.trim() {
        "" => Some(None),
        other => errors
            .check("service_type", ServiceType::parse(other))
            .map(Some),
    };
    let defined = match (code, service_type) {
        (Some(code), Some(service_type)) => {
            state
                .app
                .define_local_indicator(
                    &ctx.principal,
                    &code,
                    &f.name,
                    service_type,
                    f.higher_is_better.is_some(),
                )
                .await
        }
        _ => Err(AppError::Invalid(errors)),
    };
    match defined {
        Ok(()) => Ok(see_other("/returns/triggers")),
        Err(AppError::Invalid(errors)) => {
            let year = hearth_domain::FinancialYear::for_date(state.app.today());
            triggers_view(
                &state,
                &ctx,
                year,
                &hearth_app::returns::TriggerForm {
                    year: year.label(),
                    ..Default::default()
                },
                &FieldErrors::new(),
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
