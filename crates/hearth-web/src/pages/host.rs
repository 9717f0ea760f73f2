//! The host administrator's screens (issue 11): the authorities a deployment hosts, adding
//! one, and giving it its first administrators. The host sees none of any authority's
//! records: only each authority's name, code, region, counts and administrators.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use hearth_app::authorities::{NewAdministrator, NewAuthority};
use hearth_app::{AppError, FieldErrors, Permission};
use hearth_domain::calendar::Region;
use hearth_domain::text::plural;
use maud::html;
use serde::Deserialize;

use crate::error::Page;
use crate::layout::{self, button, csrf, error_summary, render, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

const HOST: Access = Access::Signed(Permission::Host);

pub fn register(t: &mut RouteTable) {
    t.get("/host", HOST, get(authorities));
    t.get("/host/authorities/new", HOST, get(authority_new));
    t.post("/host/authorities/new", HOST, post(authority_create));
    t.get("/host/authorities/{id}", HOST, get(authority_view));
    t.get(
        "/host/authorities/{id}/administrators/new",
        HOST,
        get(administrator_new),
    );
    t.post(
        "/host/authorities/{id}/administrators/new",
        HOST,
        post(administrator_create),
    );
}

async fn authorities(State(state): State<AppState>, ctx: Ctx) -> Page {
    let list = state.app.list_authorities(&ctx.principal).await?;
    let body = html! {
        h1 class="govuk-heading-l" { "Authorities" }
        p class="govuk-body" { "The authorities this deployment of Hearth hosts. Each has its own staff, providers and records, which only its own people see. Add an authority, then its first administrator, who adds the authority's staff." }
        a class="govuk-button" href="/host/authorities/new" data-module="govuk-button" { "Add an authority" }
        @if list.is_empty() {
            p class="govuk-body" { "There are no authorities yet. Add the first one." }
        } @else {
            table class="govuk-table" {
                caption class="govuk-table__caption govuk-table__caption--m" { (plural(list.len(), "authority", "authorities")) }
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Name" }
                    th scope="col" class="govuk-table__header" { "Code" }
                    th scope="col" class="govuk-table__header" { "Region" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Staff" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Providers" }
                    th scope="col" class="govuk-table__header" { "Added" }
                } }
                tbody class="govuk-table__body" {
                    @for a in &list {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { a class="govuk-link" href={ "/host/authorities/" (a.id) } { (a.name) } }
                            td class="govuk-table__cell" { (a.code) }
                            td class="govuk-table__cell" { (a.region.label()) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (a.staff) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (a.providers) }
                            td class="govuk-table__cell" { (layout::when(a.created_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(render(Some(&ctx), "Authorities", body))
}

fn regions() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    Region::ALL
        .iter()
        .map(|r| {
            (
                r.as_str(),
                r.label(),
                Some("Decides the bank holidays its calendar uses"),
            )
        })
        .collect()
}

fn authority_form(ctx: &Ctx, f: &NewAuthority, errors: &FieldErrors) -> Response {
    let region = if f.region.is_empty() {
        Region::EnglandAndWales.as_str()
    } else {
        f.region.as_str()
    };
    let body = html! {
        (layout::back_link("/host"))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Add an authority" }
            p class="govuk-body" { "The authority starts with safe settings: the UK password rules, an authenticator app for everyone, and sessions that end after 20 idle minutes. Its administrator can change them." }
            form method="post" action="/host/authorities/new" novalidate {
                (csrf(&ctx.csrf))
                (layout::input("name", "Name", &f.name, errors, Opt { required: true, hint: Some("As people will see it, for example Brackenshire County Council"), ..Default::default() }))
                (layout::input("code", "Code", &f.code, errors, Opt { required: true, width: Some("5"), hint: Some("2 to 10 letters or digits, for example BRK. It cannot be changed later"), ..Default::default() }))
                (layout::radios("region", "Region", &regions(), region, errors))
                (button("Add authority"))
            }
        } }
    };
    let mut r = render(Some(ctx), "Add an authority", body);
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn authority_new(ctx: Ctx) -> Page {
    Ok(authority_form(
        &ctx,
        &NewAuthority::default(),
        &FieldErrors::new(),
    ))
}

async fn authority_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<NewAuthority>,
) -> Page {
    match state.app.add_authority(&ctx.principal, &f).await {
        Ok(a) => Ok(see_other(&format!("/host/authorities/{}?added=1", a.id))),
        Err(AppError::Invalid(errors)) => Ok(authority_form(&ctx, &f, &errors)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct ViewQuery {
    added: Option<String>,
}

async fn authority_view(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
) -> Page {
    let a = state.app.authority_summary(&ctx.principal, id).await?;
    let admins = state
        .app
        .authority_administrators(&ctx.principal, id)
        .await?;
    let body = html! {
        @if q.added.is_some() {
            (layout::banner(&format!("{} added", a.name), html! {
                p class="govuk-body" { "Now add its first administrator." }
            }))
        }
        (layout::back_link("/host"))
        span class="govuk-caption-l" { (a.code) }
        h1 class="govuk-heading-l" { (a.name) }
        (layout::summary_list(&[
            ("Code", html! { (a.code) }),
            ("Region", html! { (a.region.label()) }),
            ("Staff accounts", html! { (a.staff) }),
            ("Providers", html! { (a.providers) }),
            ("Added", html! { (layout::when(a.created_at)) }),
        ]))
        h2 class="govuk-heading-m" { "Administrators" }
        @if admins.is_empty() {
            p class="govuk-body" { "This authority has no administrator yet, so nobody can sign in to it. Add one: they get a temporary password to change when they first sign in, and set up their authenticator app at the same time." }
        } @else {
            table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Name" }
                    th scope="col" class="govuk-table__header" { "Username" }
                    th scope="col" class="govuk-table__header" { "Email" }
                    th scope="col" class="govuk-table__header" { "Account" }
                } }
                tbody class="govuk-table__body" {
                    @for u in &admins {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (u.display_name) }
                            td class="govuk-table__cell" { (u.username) }
                            td class="govuk-table__cell" { (u.email) }
                            td class="govuk-table__cell" {
                                @if u.disabled { strong class="govuk-tag govuk-tag--grey" { "Disabled" } }
                                @else if u.set_up { strong class="govuk-tag govuk-tag--green" { "Set up" } }
                                @else { strong class="govuk-tag govuk-tag--yellow" { "Not signed in yet" } }
                            }
                        }
                    }
                }
            }
        }
        a class="govuk-button govuk-button--secondary" href={ "/host/authorities/" (a.id) "/administrators/new" } data-module="govuk-button" { "Add an administrator" }
    };
    Ok(render(Some(&ctx), &a.name, body))
}

fn administrator_form(
    ctx: &Ctx,
    authority: &hearth_app::authorities::AuthoritySummary,
    f: &NewAdministrator,
    errors: &FieldErrors,
) -> Response {
    let back = format!("/host/authorities/{}", authority.id);
    let body = html! {
        (layout::back_link(&back))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            span class="govuk-caption-l" { (authority.name) }
            h1 class="govuk-heading-l" { "Add an administrator" }
            p class="govuk-body" { "They get a temporary password, shown on the next page, which they must change when they first sign in. They set up their authenticator app at the same time. They can then add the authority's staff and change its settings." }
            form method="post" action={ (back) "/administrators/new" } novalidate {
                (csrf(&ctx.csrf))
                (layout::input("username", "Username", &f.username, errors, Opt { required: true, width: Some("20"), autocomplete: Some("off"), ..Default::default() }))
                (layout::input("display_name", "Name", &f.display_name, errors, Opt { required: true, ..Default::default() }))
                (layout::input("email", "Email address", &f.email, errors, Opt { kind: Some("email"), ..Default::default() }))
                (button("Add administrator"))
            }
        } }
    };
    let mut r = render(Some(ctx), "Add an administrator", body);
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn administrator_new(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let a = state.app.authority_summary(&ctx.principal, id).await?;
    Ok(administrator_form(
        &ctx,
        &a,
        &NewAdministrator::default(),
        &FieldErrors::new(),
    ))
}

async fn administrator_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<NewAdministrator>,
) -> Page {
    let a = state.app.authority_summary(&ctx.principal, id).await?;
    match state
        .app
        .add_authority_administrator(&ctx.principal, id, &f)
        .await
    {
        Ok((u, temp)) => Ok(render(
            Some(&ctx),
            "Administrator added",
            html! {
                div class="govuk-panel govuk-panel--confirmation" {
                    h1 class="govuk-panel__title" { "Administrator added" }
                    div class="govuk-panel__body" { "Temporary password for " (u.username) " at " (a.name) br; strong data-testid="temporary-password" { (temp) } }
                }
                p class="govuk-body" { "Give this to them by a separate channel: it is not shown again. They sign in at this site's sign-in page, change it, and set up their authenticator app." }
                p class="govuk-body" { a class="govuk-link" href={ "/host/authorities/" (a.id) } { "Back to " (a.name) } }
            },
        )),
        Err(AppError::Invalid(errors)) => Ok(administrator_form(&ctx, &a, &f, &errors)),
        Err(e) => Err(e.into()),
    }
}
