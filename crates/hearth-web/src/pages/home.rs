//! Home pages: the provider's (what needs attention) and the commissioning team's (work queues).

use axum::extract::State;
use axum::routing::get;
use hearth_app::{Permission, Principal};
use maud::{html, Markup};

use crate::error::Page;
use crate::layout::{self, render};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

pub fn register(t: &mut RouteTable) {
    t.get("/home", Access::Signed(Permission::SignedIn), get(home));
}

fn card(label: &str, value: Option<i64>, href: Option<&str>, note: &str) -> Markup {
    html! {
        div class="govuk-grid-column-one-quarter" {
            // `govuk-body`: the card's text, its big number included, is in GOV.UK Frontend's
            // font (a bare span has none of its own and came out in the browser's serif).
            div class="hearth-card govuk-body" {
                @match value {
                    Some(v) => span class="hearth-count" { (v) },
                    None => span class="hearth-count" aria-label="not yet available" { "–" },
                }
                @match href {
                    Some(h) => a class="govuk-link" href=(h) { (label) },
                    None => span class="govuk-body" { (label) },
                }
                p class="govuk-hint govuk-!-margin-bottom-0" { (note) }
            }
        }
    }
}

async fn home(State(state): State<AppState>, ctx: Ctx) -> Page {
    Ok(match &ctx.principal {
        Principal::Provider { service_scope, .. } => {
            let h = state.app.provider_home(&ctx.principal).await?;
            let current_authority = h
                .authorities
                .iter()
                .find(|(id, _)| *id == ctx.principal.authority_id())
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            let body = html! {
                span class="govuk-caption-l" { (h.provider_name) }
                h1 class="govuk-heading-l" { "Your home page" }
                p class="govuk-body" {
                    "Working with " strong { (current_authority) } "."
                    @if h.authorities.len() > 1 { " " a class="govuk-link" href="/account" { "Switch authority" } }
                }
                @if service_scope.is_some() {
                    div class="govuk-inset-text" { "Your organisation uses limited access: you see only the services you are assigned to." }
                }
                h2 class="govuk-heading-m" { "Needs your attention" }
                div class="govuk-grid-row" {
                    (card("Requests pending", h.requests_pending, Some("/requests?status=pending"), "Changes waiting for the commissioning team"))
                    (card("Documents not signed", h.documents_unsigned, Some("/contracts"), "Contract documents to sign"))
                    (card("Actions due", h.actions_due, Some("/actions"), "Due within a week or overdue"))
                    (card("Returns due", h.returns_due, Some("/returns"), "Services without a return for the last quarter"))
                }
                h2 class="govuk-heading-m" { "What you can do" }
                div class="govuk-grid-row" {
                    (card("Services", Some(h.services), Some("/services"), "Client schedules and service details"))
                    (card("Clients supported now", Some(h.current_clients), Some("/services"), "Current client schedules"))
                    (card("Contracts", Some(h.contracts), Some("/contracts"), "Contracts and their documents"))
                }
                p class="govuk-body" { a class="govuk-link" href="/organisation" { "Your organisation's details" } }
            };
            render(Some(&ctx), "Home", body)
        }
        Principal::Staff { .. } => {
            let h = state.app.staff_home(&ctx.principal).await?;
            let body = html! {
                span class="govuk-caption-l" { (h.authority_name) }
                h1 class="govuk-heading-l" { "Commissioning team" }
                h2 class="govuk-heading-m" { "Work queues" }
                div class="govuk-grid-row" {
                    (card("Requests to approve", Some(h.requests_pending), Some("/requests"), "Schedules and service details from providers"))
                    (card("Returns to check", Some(h.returns_to_check), Some("/returns"), "Quarterly performance returns"))
                    (card("Login and password requests", Some(h.account_requests.len() as i64), Some("/account-requests"), "From the sign-in pages"))
                    (card("Contracts ending in 90 days", Some(h.contracts_ending_soon), Some("/contracts"), "Plan renewals or retendering"))
                }
                h2 class="govuk-heading-m" { "Records" }
                div class="govuk-grid-row" {
                    (card("My providers", Some(h.my_providers), Some("/providers?officer=me"), "You are their lead officer or contract manager"))
                    (card("Providers", Some(h.providers), Some("/providers"), "Organisations funded"))
                    (card("Services", Some(h.services), Some("/services"), "Commissioned services"))
                    (card("Contracts", Some(h.contracts), Some("/contracts"), "All statuses"))
                }
            };
            render(Some(&ctx), "Home", body)
        }
        // The host administrator's work is the deployment's authorities.
        Principal::Host { .. } => layout::see_other("/host"),
        // A system principal never holds a session.
        Principal::System { .. } => layout::not_found(Some(&ctx)),
    })
}
