//! Extensions of a quarter's deadline and the authority's local indicators.

#[allow(unused_imports)]
use super::*;

#[derive(Deserialize, Default)]
pub(super) struct ExtensionForm {
    #[serde(default)]
    service_id: i64,
    #[serde(default)]
    quarter: String,
    #[serde(default)]
    until: String,
}

pub(super) async fn extension(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ExtensionForm>,
) -> Page {
    match state
        .app
        .grant_extension(&ctx.principal, f.service_id, &f.quarter, &f.until)
        .await
    {
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
    match state
        .app
        .define_local_indicator(
            &ctx.principal,
            &f.code,
            &f.name,
            &f.service_type,
            f.higher_is_better.is_some(),
        )
        .await
    {
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
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
