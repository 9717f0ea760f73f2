//! The administrator's screens (users, audit, settings) and the login-request queue.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use hearth_app::admin::AuditSearch;
use hearth_app::admin::{temporary_password, SettingsInput, UserInput};
use hearth_app::{AppError, FieldErrors, ForField, Permission};
use hearth_domain::calendar::Region;
use hearth_domain::{AccountRequestClosure, PasswordPolicyKind, Role};
use maud::html;
use serde::Deserialize;

use crate::error::Page;
use crate::layout::{self, button, csrf, error_summary, render, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

const ADMIN: Access = Access::Signed(Permission::Administer);

pub fn register(t: &mut RouteTable) {
    t.get(
        "/account-requests",
        Access::Signed(Permission::BackOfficeRead),
        get(requests),
    );
    t.post(
        "/account-requests/{id}/close",
        Access::Signed(Permission::BackOfficeWrite),
        post(request_close),
    );
    t.get("/admin/users", ADMIN, get(users));
    t.get("/admin/users/new", ADMIN, get(user_new));
    t.post("/admin/users/new", ADMIN, post(user_create));
    t.get("/admin/users/{id}", ADMIN, get(user_view));
    t.post("/admin/users/{id}/{action}", ADMIN, post(user_action));
    t.get("/admin/audit", ADMIN, get(audit));
    t.get("/admin/settings", ADMIN, get(settings));
    t.post("/admin/settings", ADMIN, post(settings_save));
}

#[derive(Deserialize, Default)]
struct RequestsQuery {
    all: Option<String>,
}

async fn requests(State(state): State<AppState>, ctx: Ctx, Query(q): Query<RequestsQuery>) -> Page {
    requests_view(&state, &ctx, q.all.is_some(), &FieldErrors::new()).await
}

async fn requests_view(state: &AppState, ctx: &Ctx, all: bool, errors: &FieldErrors) -> Page {
    let list = state.app.account_requests(&ctx.principal, !all).await?;
    let body = html! {
        (error_summary(errors))
        h1 class="govuk-heading-l" { "Login and password requests" }
        p class="govuk-body" {
            @if all { a class="govuk-link" href="/account-requests" { "Show open requests only" } }
            @else { a class="govuk-link" href="/account-requests?all=1" { "Show closed requests too" } }
        }
        @if list.is_empty() { p class="govuk-body" { "There are no requests." } }
        @for r in &list {
            div class="hearth-card" {
                h2 class="govuk-heading-s" {
                    @if r.kind == "forgotten_password" { "Forgotten password: " (r.username) } @else { "Login request: " (r.full_name) }
                    " " strong class="govuk-tag govuk-tag--grey" { (request_status_label(&r.status)) }
                }
                (layout::summary_list(&[
                    ("Received", html! { (layout::when(r.created_at)) }),
                    ("Organisation", html! { (r.organisation) }),
                    ("Email", html! { (r.email) }),
                    ("Message", html! { (r.message) }),
                ]))
                @if r.status == "open" && ctx.principal.has(Permission::BackOfficeWrite) {
                    p class="govuk-body" {
                        @if r.kind == "forgotten_password" { "To reset the password, an administrator opens the user under Users and chooses Reset password. " }
                        @else { "To give a login, an administrator adds the user under Users. " }
                    }
                    form method="post" action={ "/account-requests/" (r.id) "/close" } class="govuk-button-group" {
                        (csrf(&ctx.csrf))
                        button type="submit" name="status" value="done" class="govuk-button" { "Mark as done" }
                        button type="submit" name="status" value="declined" class="govuk-button govuk-button--secondary" { "Decline" }
                    }
                }
            }
        }
    };
    let mut r = render(Some(ctx), "Login and password requests", body);
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// A login or password request's status as its tag reads it, in sentence case (the stored
/// codes are "open", "done" and "declined").
fn request_status_label(status: &str) -> &'static str {
    match status {
        "open" => "Open",
        "done" => "Done",
        "declined" => "Declined",
        _ => "Unknown",
    }
}

#[derive(Deserialize, Default)]
struct CloseForm {
    #[serde(default)]
    status: String,
}

async fn request_close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CloseForm>,
) -> Page {
    // The buttons send "done" or "declined"; anything else is refused and closes nothing.
    let closed = match AccountRequestClosure::parse(&f.status).for_field("status") {
        Ok(closure) => {
            state
                .app
                .close_account_request(&ctx.principal, id, closure)
                .await
        }
        Err(e) => Err(e),
    };
    match closed {
        Ok(_) => Ok(see_other("/account-requests")),
        Err(AppError::Invalid(errors)) => requests_view(&state, &ctx, false, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn users(State(state): State<AppState>, ctx: Ctx) -> Page {
    let list = state.app.list_users(&ctx.principal).await?;
    let now = hearth_app::now();
    let body = html! {
        h1 class="govuk-heading-l" { "Users" }
        a class="govuk-button" href="/admin/users/new" { "Add a user" }
        (crate::layout::scrolling_table("Users", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Username" } th class="govuk-table__header" { "Name" } th class="govuk-table__header" { "Role" } th class="govuk-table__header" { "State" }
            } }
            tbody class="govuk-table__body" {
                @for u in &list {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/admin/users/" (u.id) } { (u.username) } }
                        td class="govuk-table__cell" { (u.display_name) }
                        td class="govuk-table__cell" { (Role::parse(&u.role).map(|r| r.label()).unwrap_or("")) }
                        td class="govuk-table__cell" {
                            @if u.disabled != 0 { strong class="govuk-tag govuk-tag--grey" { "Disabled" } }
                            @else if u.locked_until.is_some_and(|t| t > now) { strong class="govuk-tag govuk-tag--red" { "Locked" } }
                            @else { strong class="govuk-tag govuk-tag--green" { "Active" } }
                        }
                    }
                }
            }
        } }))
    };
    Ok(render(Some(&ctx), "Users", body))
}

#[derive(Deserialize, Default, serde::Serialize)]
struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    contact_id: String,
}

fn user_form(ctx: &Ctx, f: &NewUserForm, errors: &FieldErrors) -> Response {
    let roles: Vec<(String, String)> = Role::of_an_authority()
        .map(|r| (r.as_str().to_string(), r.label().to_string()))
        .collect();
    let body = html! {
        (layout::back_link("/admin/users"))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Add a user" }
            p class="govuk-body" { "The user gets a temporary password, shown on the next page, which they must change when they first sign in. They set up their authenticator app at the same time." }
            form method="post" action="/admin/users/new" novalidate {
                (csrf(&ctx.csrf))
                (layout::input("username", "Username", &f.username, errors, Opt { required: true, width: Some("20"), ..Default::default() }))
                (layout::input("display_name", "Name", &f.display_name, errors, Opt { required: true, ..Default::default() }))
                (layout::input("email", "Email address", &f.email, errors, Opt { ..Default::default() }))
                (layout::select("role", "Role", &roles, &f.role, errors, true))
                (layout::input("contact_id", "Contact ID (provider users only)", &f.contact_id, errors, Opt { hint: Some("The contact of the provider organisation this user acts through"), width: Some("5"), ..Default::default() }))
                (button("Add user"))
            }
        } }
    };
    let mut r = render(Some(ctx), "Add a user", body);
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn user_new(ctx: Ctx) -> Page {
    Ok(user_form(
        &ctx,
        &NewUserForm::default(),
        &FieldErrors::new(),
    ))
}

async fn user_create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<NewUserForm>) -> Page {
    let mut errors = FieldErrors::new();
    let contact_id = if f.contact_id.trim().is_empty() {
        None
    } else {
        match f.contact_id.trim().parse::<i64>() {
            // The use case checks that it is a contact of a provider of this authority.
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("contact_id", "Enter the contact ID as a number");
                None
            }
        }
    };
    if !errors.is_empty() {
        return Ok(user_form(&ctx, &f, &errors));
    }
    let temp = temporary_password();
    let input = UserInput {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
        role: f.role.clone(),
        authority_id: Some(ctx.principal.authority_id()),
        contact_id,
    };
    match state
        .app
        .create_user(&ctx.principal, &input, &temp, None, true)
        .await
    {
        Ok(u) => Ok(render(
            Some(&ctx),
            "User added",
            html! {
                div class="govuk-panel govuk-panel--confirmation" {
                    h1 class="govuk-panel__title" { "User added" }
                    div class="govuk-panel__body" { "Temporary password for " (u.username) br; strong data-testid="temporary-password" { (temp) } }
                }
                p class="govuk-body" { "Give this to the user by a separate channel. It must be changed at first sign-in." }
                p class="govuk-body" { a class="govuk-link" href="/admin/users" { "Back to users" } }
            },
        )),
        Err(AppError::Invalid(errors)) => Ok(user_form(&ctx, &f, &errors)),
        Err(e) => Err(e.into()),
    }
}

async fn user_view(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let u = state.app.admin_user(&ctx.principal, id).await?;
    let now = hearth_app::now();
    let locked = u.locked_until.is_some_and(|t| t > now);
    let action = |a: &str, label: &str, warn: bool| {
        html! {
            form method="post" action={ "/admin/users/" (u.id) "/" (a) } class="govuk-!-display-inline-block govuk-!-margin-right-2" {
                (csrf(&ctx.csrf))
                button type="submit" class={ "govuk-button" @if warn { " govuk-button--warning" } @else { " govuk-button--secondary" } } { (label) }
            }
        }
    };
    let body = html! {
        (layout::back_link("/admin/users"))
        h1 class="govuk-heading-l" { (u.display_name) }
        (layout::summary_list(&[
            ("Username", html! { (u.username) }),
            ("Role", html! { (Role::parse(&u.role).map(|r| r.label()).unwrap_or("")) }),
            ("Email", html! { (u.email) }),
            ("Authenticator app", html! { @if u.totp_secret.is_some() { "Set up" } @else { "Not set up (will be asked at next sign-in)" } }),
            // Wrong passwords slow their source and never lock an account (security review
            // 4); only a lock set by an earlier version can still be in force, and it shows
            // here until it runs out or is lifted. The summary list leaves out empty rows.
            ("Locked", html! { @if locked { "Until " (layout::when(u.locked_until.unwrap_or(0))) " (set by an earlier version of Hearth)" } }),
            ("Disabled", html! { @if u.disabled != 0 { "Yes" } @else { "No" } }),
            ("Must change password", html! { @if u.must_change_password != 0 { "Yes" } @else { "No" } }),
        ]))
        div {
            (action("reset-password", "Reset password", false))
            (action("reset-totp", "Reset authenticator", false))
            @if locked { (action("unlock", "Unlock", false)) }
            @if u.disabled != 0 { (action("enable", "Enable", false)) } @else { (action("disable", "Disable", true)) }
        }
        p class="govuk-body" { a class="govuk-link" href={ "/admin/audit?record_type=user&record_id=" (u.id) } { "History of this account" } }
    };
    Ok(render(Some(&ctx), &u.display_name, body))
}

async fn user_action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, action)): Path<(i64, String)>,
) -> Page {
    let p = &ctx.principal;
    let result = match action.as_str() {
        "reset-password" => match state.app.admin_reset_password(p, id).await {
            Ok((u, temp)) => {
                return Ok(render(
                    Some(&ctx),
                    "Password reset",
                    html! {
                        div class="govuk-panel govuk-panel--confirmation" {
                            h1 class="govuk-panel__title" { "Password reset" }
                            div class="govuk-panel__body" { "Temporary password for " (u.username) br; strong data-testid="temporary-password" { (temp) } }
                        }
                        p class="govuk-body" { "The user must change it when they next sign in. Their sessions have been ended." }
                        p class="govuk-body" { a class="govuk-link" href={ "/admin/users/" (id) } { "Back to the user" } }
                    },
                ))
            }
            Err(e) => Err(e),
        },
        "unlock" => state.app.admin_unlock(p, id).await.map(|_| ()),
        "disable" => state.app.admin_set_disabled(p, id, true).await.map(|_| ()),
        "enable" => state.app.admin_set_disabled(p, id, false).await.map(|_| ()),
        "reset-totp" => state.app.reset_totp(p, id).await.map(|_| ()),
        _ => Err(AppError::NotFound),
    };
    let () = result?;
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[derive(Deserialize, Default)]
struct AuditForm {
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    record_type: Option<String>,
    #[serde(default)]
    record_id: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    page: Option<i64>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

async fn audit(State(state): State<AppState>, ctx: Ctx, Query(q): Query<AuditForm>) -> Page {
    let mut errors = FieldErrors::new();
    let day = |field: &str, v: &Option<String>, errors: &mut FieldErrors| -> Option<i64> {
        let v = nonempty(v)?;
        match hearth_domain::parse_date(&v) {
            Ok(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()),
            Err(e) => {
                errors.add(field, e.message);
                None
            }
        }
    };
    let from = day("from", &q.from, &mut errors);
    let to = day("to", &q.to, &mut errors).map(|t| t + 86_400);
    let page = hearth_domain::paging::page(q.page);
    let query = AuditSearch {
        actor: nonempty(&q.actor),
        record_type: nonempty(&q.record_type),
        record_id: nonempty(&q.record_id),
        action: nonempty(&q.action),
        from,
        to,
        limit: 50,
        offset: (page - 1) * 50,
    };
    let entries = if errors.is_empty() {
        state.app.audit_trail(&ctx.principal, query).await?
    } else {
        Vec::new()
    };
    let v = |s: &Option<String>| s.clone().unwrap_or_default();
    let record_types: Vec<(String, String)> = hearth_app::audit::record_types()
        .into_iter()
        .map(|(c, n)| (c.to_string(), n))
        .collect();
    let body = html! {
        h1 class="govuk-heading-l" { "Audit trail" }
        p class="govuk-body" { "Every change, who made it and when, with the values before and after. Entries are chained so that tampering is detected by " code { "hearth audit verify" } "." }
        (error_summary(&errors))
        form method="get" action="/admin/audit" {
            div class="govuk-grid-row" {
                div class="govuk-grid-column-one-third" { (layout::input("actor", "User", &v(&q.actor), &errors, Opt { ..Default::default() })) }
                div class="govuk-grid-column-one-third" { (layout::select("record_type", "Record type", &record_types, &v(&q.record_type).to_lowercase(), &errors, false)) }
                div class="govuk-grid-column-one-third" { (layout::input("record_id", "Record ID", &v(&q.record_id), &errors, Opt { ..Default::default() })) }
            }
            div class="govuk-grid-row" {
                div class="govuk-grid-column-one-third" { (layout::input("action", "Action", &v(&q.action), &errors, Opt { hint: Some("For example create, update, lock"), ..Default::default() })) }
                div class="govuk-grid-column-one-third" { (layout::date_input("from", "From date", &v(&q.from), &errors, false, None)) }
                div class="govuk-grid-column-one-third" { (layout::date_input("to", "To date", &v(&q.to), &errors, false, None)) }
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Search" }
        }
        @if entries.is_empty() && errors.is_empty() {
            p class="govuk-body" data-testid="empty" { "No entries match this search. Clear a filter or widen the dates." }
        }
        @if !entries.is_empty() {
        (crate::layout::scrolling_table("Audit entries", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "When" } th class="govuk-table__header" { "Who" } th class="govuk-table__header" { "Action" }
                th class="govuk-table__header" { "Record" } th class="govuk-table__header" { "What changed" }
            } }
            tbody class="govuk-table__body" {
                @for e in &entries {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell hearth-nowrap" { (layout::when(e.at)) }
                        td class="govuk-table__cell" { (e.actor) }
                        td class="govuk-table__cell" { (e.action) }
                        td class="govuk-table__cell" {
                            @match record_href(&e.record_type, &e.record_id) {
                                Some(href) => a class="govuk-link" href=(href) { (e.record_label) " " (e.record_id) },
                                None => { (e.record_label) " " (e.record_id) }
                            }
                        }
                        td class="govuk-table__cell" {
                            @if e.changes.is_empty() { span class="govuk-hint" { "No field values recorded" } }
                            @else {
                                ul class="govuk-list hearth-changes" data-testid="changes" {
                                    @for c in &e.changes {
                                        li {
                                            strong { (c.field) } ": "
                                            @match (&c.old, &c.new) {
                                                (Some(o), Some(n)) => { del class="hearth-old" { (o) } " → " ins class="hearth-new" { (n) } },
                                                (None, Some(n)) => { ins class="hearth-new" { (n) } },
                                                (Some(o), None) => { del class="hearth-old" { (o) } " (removed)" },
                                                (None, None) => {},
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } }))
        }
        @let base = format!("/admin/audit?actor={}&record_type={}&record_id={}&action={}&from={}&to={}",
            crate::session::url_encode(&v(&q.actor)), crate::session::url_encode(&v(&q.record_type)), crate::session::url_encode(&v(&q.record_id)),
            crate::session::url_encode(&v(&q.action)), crate::session::url_encode(&v(&q.from)), crate::session::url_encode(&v(&q.to)));
        (layout::pagination(&base, page, if entries.len() == 50 { page + 1 } else { page }))
    };
    Ok(render(Some(&ctx), "Audit trail", body))
}

/// The page a record of the audit trail can be seen on, if it has one.
fn record_href(record_type: &str, id: &str) -> Option<String> {
    let id: i64 = id.parse().ok()?;
    let path = match record_type {
        "provider" => "providers",
        "service" => "services",
        "property" => "properties",
        "contract" => "contracts",
        "user" => "admin/users",
        "request" => "requests",
        "performance_return" => "returns",
        "contract_document" => "documents",
        "client_schedule" => "schedules",
        "job_run" => "runs",
        _ => return None,
    };
    Some(format!("/{path}/{id}"))
}

fn settings_view(
    ctx: &Ctx,
    policy: &str,
    idle: &str,
    region: &str,
    errors: &FieldErrors,
    saved: bool,
) -> Response {
    let policies = [
        (
            PasswordPolicyKind::Uk.as_str(),
            "Current UK guidance",
            Some("At least 12 characters, common passwords refused, no forced change"),
        ),
        (
            PasswordPolicyKind::Legacy.as_str(),
            "Legacy",
            Some("At least 6 characters with a capital letter and a number, changed every 90 days"),
        ),
    ];
    let regions: Vec<(&str, &str, Option<&str>)> = Region::ALL
        .iter()
        .map(|r| (r.as_str(), r.label(), None))
        .collect();
    let body = html! {
        @if saved { (layout::banner("Settings saved", html! {})) }
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Authority settings" }
            form method="post" action="/admin/settings" novalidate {
                (csrf(&ctx.csrf))
                (layout::radios("password_policy", "Password rules", &policies, policy, errors))
                @if policy == PasswordPolicyKind::Legacy.as_str() {
                    div class="govuk-warning-text" data-testid="legacy-warning" {
                        span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                        strong class="govuk-warning-text__text" {
                            span class="govuk-visually-hidden" { "Warning" }
                            "The legacy rules allow 6-character passwords, which can be guessed in hours, and make people change them every 90 days, which leads to weaker passwords written down. The National Cyber Security Centre advises the current UK rules."
                        }
                    }
                } @else {
                    p class="govuk-hint" { "Choosing the legacy rules weakens every account: 6-character passwords can be guessed in hours." }
                }
                div class="govuk-inset-text" data-testid="totp-always" {
                    "Everyone uses an authenticator app when they sign in: every role, provider users included, can see client data, so the second factor cannot be switched off."
                }
                (layout::input("idle_minutes", "Sign out after this many idle minutes", idle, errors, Opt { width: Some("3"), required: true, ..Default::default() }))
                (layout::radios("region", "Part of the UK (decides the bank holidays in deadlines and day services)", &regions, region, errors))
                (button("Save settings"))
            }
            p class="govuk-body" { a class="govuk-link" href="/day-activities/settings" { "Day activities settings" } ": when providers must confirm their weeks, which absences are paid, and what is a pattern of absence." }
        } }
    };
    let mut r = render(Some(ctx), "Authority settings", body);
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

#[derive(Deserialize, Default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn settings(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SavedQuery>) -> Page {
    let a = state.app.authority_settings(&ctx.principal).await?;
    Ok(settings_view(
        &ctx,
        &a.password_policy,
        &a.idle_minutes.to_string(),
        &a.region,
        &FieldErrors::new(),
        q.saved.is_some(),
    ))
}

async fn settings_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SettingsInput>,
) -> Page {
    match state
        .app
        .update_authority_settings(&ctx.principal, &f)
        .await
    {
        Ok(_) => Ok(see_other("/admin/settings?saved=1")),
        Err(AppError::Invalid(errors)) => Ok(settings_view(
            &ctx,
            &f.password_policy,
            &f.idle_minutes,
            &f.region,
            &errors,
            false,
        )),
        Err(e) => Err(e.into()),
    }
}
