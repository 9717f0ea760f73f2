//! Responsible officers of a provider and of a service: shown on their pages, changed by the
//! commissioning team.

#[allow(unused_imports)]
use super::*;
use hearth_app::officers::Officers;
use hearth_app::officers::{Officer, ResponsibleOfficers};

#[derive(Deserialize, Default)]
pub(super) struct OfficersForm {
    #[serde(default)]
    lead_officer: String,
    #[serde(default)]
    contract_manager: String,
}

impl OfficersForm {
    /// The chosen officers: empty is none; anything but a user id is a field error.
    fn parse(&self) -> Result<Officers, AppError> {
        let mut errors = FieldErrors::new();
        let mut one = |field: &str, v: &str| -> Option<i64> {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            match v.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add(field, "Select an officer from the list");
                    None
                }
            }
        };
        let officers = Officers {
            lead_officer_id: one("lead_officer", &self.lead_officer),
            contract_manager_id: one("contract_manager", &self.contract_manager),
        };
        if errors.is_empty() {
            Ok(officers)
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}

fn who(o: &Option<Officer>) -> Markup {
    html! {
        @match o {
            Some(o) => { (o.name) @if !o.email.is_empty() { br; a class="govuk-link" href={ "mailto:" (o.email) } { (o.email) } } },
            None => span class="govuk-hint" { "Not named" },
        }
    }
}

/// The "Responsible officers" section of a provider's or a service's page.
pub(super) fn officers_section(ro: &ResponsibleOfficers, change: Option<&str>) -> Markup {
    html! {
        h2 class="govuk-heading-m" id="officers" { "Responsible officers" }
        (layout::summary_list(&[
            ("Lead officer", html! { (who(&ro.lead)) @if ro.lead_from_provider { br; span class="govuk-hint" { "The provider's" } } }),
            ("Contract manager", html! { (who(&ro.contract_manager)) @if ro.contract_manager_from_provider { br; span class="govuk-hint" { "The provider's" } } }),
        ]))
        @if let Some(href) = change {
            p class="govuk-body" { a class="govuk-link" href=(href) { "Change responsible officers" } }
        }
    }
}

fn officer_field(
    name: &str,
    label: &str,
    none: &str,
    officers: &[Officer],
    chosen: Option<i64>,
    errors: &FieldErrors,
) -> Markup {
    let err = errors.get(name);
    html! {
        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
            label class="govuk-label" for=(name) { (label) }
            @if let Some(e) = err { p id={ (name) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
            select class={ "govuk-select" @if err.is_some() { " govuk-select--error" } } id=(name) name=(name) aria-describedby=[err.map(|_| format!("{name}-error"))] {
                option value="" { (none) }
                @for o in officers { option value=(o.id) selected[Some(o.id) == chosen] { (o.name) } }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn officers_page(
    ctx: &Ctx,
    title: &str,
    back: &str,
    action: &str,
    none: &str,
    officers: &[Officer],
    chosen: Officers,
    errors: &FieldErrors,
) -> Response {
    let body = html! {
        (error_summary(errors))
        form method="post" action=(action) novalidate {
            (csrf(&ctx.csrf))
            (officer_field("lead_officer", "Lead officer", none, officers, chosen.lead_officer_id, errors))
            (officer_field("contract_manager", "Contract manager", none, officers, chosen.contract_manager_id, errors))
            (button("Save responsible officers"))
        }
    };
    form_page(ctx, title, back, body, !errors.is_empty())
}

pub(super) async fn provider_officers_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
    let p = state.app.provider(&ctx.principal, id).await?;
    let ro = state.app.provider_officers(&ctx.principal, id).await?;
    let officers = state.app.officer_choices(&ctx.principal).await?;
    Ok(officers_page(
        &ctx,
        &format!("Responsible officers of {}", p.name),
        &format!("/providers/{id}"),
        &format!("/providers/{id}/officers"),
        "Not named",
        &officers,
        ro.own,
        &FieldErrors::new(),
    ))
}

pub(super) async fn provider_officers_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<OfficersForm>,
) -> Page {
    let result = match input.parse() {
        Ok(chosen) => state
            .app
            .set_provider_officers(&ctx.principal, id, chosen)
            .await
            .map(|_| chosen),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/providers/{id}#officers"))),
        Err(AppError::Invalid(errors)) => {
            let p = state.app.provider(&ctx.principal, id).await?;
            let officers = state.app.officer_choices(&ctx.principal).await?;
            Ok(officers_page(
                &ctx,
                &format!("Responsible officers of {}", p.name),
                &format!("/providers/{id}"),
                &format!("/providers/{id}/officers"),
                "Not named",
                &officers,
                input.parse().unwrap_or_default(),
                &errors,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn service_officers_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
    service_officers_form(&state, &ctx, id, None).await
}

async fn service_officers_form(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Option<FieldErrors>,
) -> Page {
    let s = state.app.service(&ctx.principal, id).await?;
    let ro = state.app.service_officers(&ctx.principal, &s).await?;
    let officers = state.app.officer_choices(&ctx.principal).await?;
    let errors = errors.unwrap_or_default();
    Ok(officers_page(
        ctx,
        &format!("Responsible officers of {}", s.name),
        &format!("/services/{id}"),
        &format!("/services/{id}/officers"),
        "The provider's",
        &officers,
        ro.own,
        &errors,
    ))
}

pub(super) async fn service_officers_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<OfficersForm>,
) -> Page {
    let result = match input.parse() {
        Ok(chosen) => {
            state
                .app
                .set_service_officers(&ctx.principal, id, chosen)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/services/{id}#officers"))),
        Err(AppError::Invalid(errors)) => {
            service_officers_form(&state, &ctx, id, Some(errors)).await
        }
        Err(e) => Err(e.into()),
    }
}
