//! Sign in (password, then authenticator code), enrolment, password changes, sign out,
//! login and forgotten-password requests, switching authority.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Form};
use hearth_app::accounts::HelpRequest;
use hearth_app::accounts::{
    otpauth_uri, safe_return, NextStep, STAGE_CHANGE_PASSWORD, STAGE_ENROL, STAGE_TOTP,
};
use hearth_app::{AppError, FieldErrors, Permission};
use hearth_domain::AccountHelpKind;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use crate::error::Page;
use crate::layout::{self, button, csrf, error_summary, input, render, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::{self, Anon, Ctx, MaybeCtx, Partial};
use crate::{AppState, ClientAddr};

pub fn register(t: &mut RouteTable) {
    t.get("/", Access::Public, get(root));
    t.get("/login", Access::Public, get(login_page));
    t.post("/login", Access::Public, post(login_submit));
    t.get("/login/code", Access::Stage(STAGE_TOTP), get(code_page));
    t.post("/login/code", Access::Stage(STAGE_TOTP), post(code_submit));
    t.get("/login/enrol", Access::Stage(STAGE_ENROL), get(enrol_page));
    t.post(
        "/login/enrol",
        Access::Stage(STAGE_ENROL),
        post(enrol_submit),
    );
    t.get(
        "/account/password",
        Access::Stage(STAGE_CHANGE_PASSWORD),
        get(password_page),
    );
    t.post(
        "/account/password",
        Access::Stage(STAGE_CHANGE_PASSWORD),
        post(password_submit),
    );
    t.get("/login/forgotten", Access::Public, get(forgotten_page));
    t.post("/login/forgotten", Access::Public, post(forgotten_submit));
    t.get("/login/request", Access::Public, get(request_page));
    t.post("/login/request", Access::Public, post(request_submit));
    t.get("/signed-out", Access::Public, get(signed_out));
    t.get(
        "/account",
        Access::Signed(Permission::SignedIn),
        get(account_page),
    );
    t.post(
        "/logout",
        Access::Signed(Permission::SignedIn),
        post(logout),
    );
    t.post(
        "/logout/everywhere",
        Access::Signed(Permission::SignedIn),
        post(logout_everywhere),
    );
    t.post(
        "/switch-authority",
        Access::Signed(Permission::ProviderPortal),
        post(switch_authority),
    );
    t.post(
        "/account/api-tokens",
        Access::Signed(Permission::SignedIn),
        post(token_create),
    );
    t.post(
        "/account/api-tokens/{id}/revoke",
        Access::Signed(Permission::SignedIn),
        post(token_revoke),
    );
}

async fn root(MaybeCtx(ctx): MaybeCtx) -> Page {
    Ok(if ctx.is_some() {
        see_other("/home")
    } else {
        see_other("/login")
    })
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
    reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

fn login_view(anon: &str, f: &LoginForm, reason: Option<&str>, errors: &FieldErrors) -> Markup {
    html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                (error_summary(errors))
                @match reason {
                    Some("idle") => div class="govuk-notification-banner" role="region" aria-labelledby="why-title" data-module="govuk-notification-banner" {
                        div class="govuk-notification-banner__header" { h2 class="govuk-notification-banner__title" id="why-title" { "Important" } }
                        div class="govuk-notification-banner__content" {
                            p class="govuk-notification-banner__heading" data-testid="idle-message" { "You were signed out because you had not done anything for a while. Sign in again to carry on where you were." }
                        }
                    },
                    Some("expired") => div class="govuk-notification-banner" role="region" aria-labelledby="why-title" data-module="govuk-notification-banner" {
                        div class="govuk-notification-banner__header" { h2 class="govuk-notification-banner__title" id="why-title" { "Important" } }
                        div class="govuk-notification-banner__content" {
                            p class="govuk-notification-banner__heading" { "Your session reached its maximum length and has ended. Sign in again to carry on." }
                        }
                    },
                    _ => {}
                }
                h1 class="govuk-heading-l" { "Sign in" }
                p class="govuk-body" { "Sign in with your username and password. You will then be asked for a code from your authenticator app." }
                form method="post" action="/login" novalidate {
                    (csrf(anon))
                    input type="hidden" name="next" value=(f.next);
                    (input("username", "Username", &f.username, errors, Opt { autocomplete: Some("username"), required: true, width: Some("20"), ..Default::default() }))
                    (input("password", "Password", "", errors, Opt { kind: Some("password"), autocomplete: Some("current-password"), required: true, width: Some("20"), ..Default::default() }))
                    (button("Continue"))
                }
                p class="govuk-body" { a class="govuk-link" href="/login/forgotten" { "Forgotten your password?" } }
                p class="govuk-body" { "Not a registered user? " a class="govuk-link" href="/login/request" { "Request a login" } }
                p class="govuk-body" { "Looking for support? " a class="govuk-link" href="/directory" { "Search the public directory of services" } " – no sign-in needed." }
            }
        }
    }
}

async fn login_page(
    Anon(anon): Anon,
    MaybeCtx(ctx): MaybeCtx,
    Query(q): Query<LoginQuery>,
) -> Page {
    if ctx.is_some() {
        return Ok(see_other("/home"));
    }
    let f = LoginForm {
        next: q.next.filter(|n| safe_return(n)).unwrap_or_default(),
        ..Default::default()
    };
    Ok(render(
        None,
        "Sign in",
        login_view(&anon, &f, q.reason.as_deref(), &FieldErrors::new()),
    ))
}

async fn login_submit(
    State(state): State<AppState>,
    Anon(anon): Anon,
    Extension(from): Extension<ClientAddr>,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> Page {
    let next = Some(f.next.as_str()).filter(|n| safe_return(n));
    let device = session::device_token(&state, &headers);
    match state
        .app
        .login_password(&f.username, &f.password, next, &from.0, device.as_deref())
        .await
    {
        Ok(started) => {
            let to = match started.next {
                NextStep::Totp => "/login/code".to_string(),
                NextStep::Enrol => "/login/enrol".to_string(),
                NextStep::ChangePassword => "/account/password".to_string(),
                NextStep::Done => next.unwrap_or("/home").to_string(),
            };
            let mut r = see_other(&to);
            r.headers_mut().append(
                header::SET_COOKIE,
                session::set_session_cookie(&state, &started.token),
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                session::set_device_cookie(&state, &started.device),
            );
            Ok(r)
        }
        Err(AppError::Invalid(errors)) => {
            let f = LoginForm {
                password: String::new(),
                ..f
            };
            let mut r = render(None, "Sign in", login_view(&anon, &f, None, &errors));
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

fn code_view(csrf_token: &str, errors: &FieldErrors) -> Markup {
    html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                (error_summary(errors))
                h1 class="govuk-heading-l" { "Enter the code from your authenticator app" }
                form method="post" action="/login/code" novalidate {
                    (csrf(csrf_token))
                    (input("code", "Security code", "", errors, Opt { hint: Some("The 6-digit code shown in your authenticator app for Hearth"), autocomplete: Some("one-time-code"), inputmode: Some("numeric"), width: Some("5"), required: true, ..Default::default() }))
                    (button("Sign in"))
                }
                p class="govuk-body" { "Lost your phone? Ask the commissioning team to reset your authenticator." }
            }
        }
    }
}

async fn code_page(p: Partial) -> Page {
    Ok(no_store(render(
        None,
        "Security code",
        code_view(&p.live.session.csrf_token, &FieldErrors::new()),
    )))
}

fn continue_to(p: &Partial, next: NextStep) -> Response {
    match next {
        NextStep::ChangePassword => see_other("/account/password"),
        _ => see_other(
            p.live
                .session
                .return_to
                .as_deref()
                .filter(|r| safe_return(r))
                .unwrap_or("/home"),
        ),
    }
}

/// `r` with the session cookie replaced by `token` (the session's new id).
fn with_session_cookie(state: &AppState, mut r: Response, token: &str) -> Response {
    r.headers_mut().append(
        header::SET_COOKIE,
        session::set_session_cookie(state, token),
    );
    r
}

async fn code_submit(
    State(state): State<AppState>,
    p: Partial,
    Extension(from): Extension<ClientAddr>,
    Form(f): Form<CodeForm>,
) -> Page {
    match state.app.login_totp(&p.live, &f.code, &from.0).await {
        Ok(stepped) => Ok(with_session_cookie(
            &state,
            continue_to(&p, stepped.next),
            &stepped.token,
        )),
        Err(AppError::Invalid(errors)) => {
            let mut r = render(
                None,
                "Security code",
                code_view(&p.live.session.csrf_token, &errors),
            );
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(no_store(r))
        }
        Err(e) => Err(e.into()),
    }
}

fn qr_svg(data: &str) -> String {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

async fn enrol_page(State(state): State<AppState>, p: Partial) -> Page {
    enrol_view(&state, &p, &FieldErrors::new()).await
}

async fn enrol_view(state: &AppState, p: &Partial, errors: &FieldErrors) -> Page {
    let secret = state.app.enrolment_secret(&p.live).await?;
    let uri = otpauth_uri(
        &state.app.config.totp_issuer,
        &p.live.user.username,
        &secret,
    );
    let body = html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                (error_summary(errors))
                h1 class="govuk-heading-l" { "Set up your authenticator app" }
                p class="govuk-body" { "Hearth asks for a code from an authenticator app each time you sign in." }
                ol class="govuk-list govuk-list--number" {
                    li { "Open an authenticator app on your phone (for example Microsoft Authenticator or Google Authenticator)." }
                    li { "Scan this QR code, or enter the key below." }
                    li { "Enter the 6-digit code the app shows." }
                }
                div class="hearth-qr" { (PreEscaped(qr_svg(&uri))) }
                p class="govuk-body" { "Key: " span class="hearth-secret" data-testid="totp-secret" { (secret) } }
                form method="post" action="/login/enrol" novalidate {
                    (csrf(&p.live.session.csrf_token))
                    (input("code", "Security code", "", errors, Opt { autocomplete: Some("one-time-code"), inputmode: Some("numeric"), width: Some("5"), required: true, ..Default::default() }))
                    (button("Confirm and sign in"))
                }
            }
        }
    };
    let mut r = render(None, "Set up your authenticator app", body);
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(no_store(r))
}

async fn enrol_submit(State(state): State<AppState>, p: Partial, Form(f): Form<CodeForm>) -> Page {
    match state.app.confirm_enrolment(&p.live, &f.code).await {
        Ok(stepped) => Ok(with_session_cookie(
            &state,
            continue_to(&p, stepped.next),
            &stepped.token,
        )),
        Err(AppError::Invalid(errors)) => {
            // Re-read the session: the pending secret was just made.
            enrol_view(&state, &p, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

async fn password_view(
    state: &AppState,
    p: &Partial,
    errors: &FieldErrors,
    ctx: Option<&Ctx>,
) -> Page {
    let policy = state.app.policy_for(&p.live.user).await?;
    let forced = p.live.session.stage == STAGE_CHANGE_PASSWORD;
    let hint = hearth_domain::password::strength_hint(policy);
    let body = html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                (error_summary(errors))
                h1 class="govuk-heading-l" { "Change your password" }
                @if forced {
                    p class="govuk-body" data-testid="must-change" { "You must choose a new password before you carry on." }
                }
                form method="post" action="/account/password" novalidate {
                    (csrf(&p.live.session.csrf_token))
                    (input("current_password", if forced { "Temporary or current password" } else { "Current password" }, "", errors, Opt { kind: Some("password"), autocomplete: Some("current-password"), required: true, width: Some("20"), ..Default::default() }))
                    (input("new_password", "New password", "", errors, Opt { kind: Some("password"), autocomplete: Some("new-password"), hint: Some(hint), required: true, width: Some("20"), ..Default::default() }))
                    (input("confirm_password", "Confirm new password", "", errors, Opt { kind: Some("password"), autocomplete: Some("new-password"), required: true, width: Some("20"), ..Default::default() }))
                    (button("Change password"))
                }
            }
        }
    };
    let mut r = render(ctx, "Change your password", body);
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(no_store(r))
}

fn ctx_of(p: &Partial) -> Option<Ctx> {
    p.live
        .principal
        .clone()
        .map(|pr| Ctx::new(pr, p.live.clone(), p.token.clone()))
}

async fn password_page(State(state): State<AppState>, p: Partial) -> Page {
    let ctx = ctx_of(&p);
    password_view(&state, &p, &FieldErrors::new(), ctx.as_ref()).await
}

async fn password_submit(
    State(state): State<AppState>,
    p: Partial,
    Form(f): Form<PasswordForm>,
) -> Page {
    let ctx = ctx_of(&p);
    match state
        .app
        .change_password(
            &p.live,
            &f.current_password,
            &f.new_password,
            &f.confirm_password,
        )
        .await
    {
        Ok(token) => {
            let to = if p.live.session.stage == STAGE_CHANGE_PASSWORD {
                continue_to(&p, NextStep::Done)
            } else {
                see_other("/account?changed=1")
            };
            Ok(with_session_cookie(&state, to, &token))
        }
        Err(AppError::Invalid(errors)) => password_view(&state, &p, &errors, ctx.as_ref()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct HelpForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    message: String,
}

fn forgotten_view(anon: &str, f: &HelpForm, errors: &FieldErrors) -> Markup {
    html! {
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (layout::back_link("/login"))
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Forgotten your password" }
            p class="govuk-body" { "The commissioning team will reset it and send you a temporary password, which you change when you next sign in." }
            form method="post" action="/login/forgotten" novalidate {
                (csrf(anon))
                (input("username", "Username", &f.username, errors, Opt { required: true, width: Some("20"), autocomplete: Some("username"), ..Default::default() }))
                (input("email", "Email address", &f.email, errors, Opt { kind: Some("email"), autocomplete: Some("email"), hint: Some("Where the team can reach you"), ..Default::default() }))
                (layout::textarea("message", "Anything the team should know", &f.message, errors, false))
                (button("Send request"))
            }
        } }
    }
}

async fn forgotten_page(Anon(anon): Anon) -> Page {
    Ok(render(
        None,
        "Forgotten your password",
        forgotten_view(&anon, &HelpForm::default(), &FieldErrors::new()),
    ))
}

fn help_sent(what: &str) -> Response {
    render(
        None,
        "Request sent",
        html! {
            div class="govuk-panel govuk-panel--confirmation" {
                h1 class="govuk-panel__title" { "Request sent" }
                div class="govuk-panel__body" { (what) }
            }
            p class="govuk-body" { "The commissioning team will contact you. " a class="govuk-link" href="/login" { "Back to sign in" } }
        },
    )
}

fn request_of(f: &HelpForm) -> HelpRequest {
    HelpRequest {
        authority_id: None,
        username: f.username.clone(),
        full_name: f.full_name.clone(),
        email: f.email.clone(),
        organisation: f.organisation.clone(),
        message: f.message.clone(),
    }
}

async fn forgotten_submit(
    State(state): State<AppState>,
    Anon(anon): Anon,
    Extension(from): Extension<ClientAddr>,
    Form(f): Form<HelpForm>,
) -> Page {
    match state
        .app
        .request_account_help(AccountHelpKind::ForgottenPassword, request_of(&f), &from.0)
        .await
    {
        Ok(_) => Ok(help_sent(
            "Your password reset request has gone to the commissioning team",
        )),
        Err(AppError::Invalid(errors)) => {
            let mut r = render(
                None,
                "Forgotten your password",
                forgotten_view(&anon, &f, &errors),
            );
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

fn request_view(anon: &str, f: &HelpForm, errors: &FieldErrors) -> Markup {
    html! {
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (layout::back_link("/login"))
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Request a login" }
            p class="govuk-body" { "For staff of organisations funded by the authority. The commissioning team checks the request with your organisation before giving you a login." }
            form method="post" action="/login/request" novalidate {
                (csrf(anon))
                (input("full_name", "Full name", &f.full_name, errors, Opt { required: true, autocomplete: Some("name"), ..Default::default() }))
                (input("organisation", "Organisation", &f.organisation, errors, Opt { required: true, autocomplete: Some("organization"), ..Default::default() }))
                (input("email", "Email address", &f.email, errors, Opt { kind: Some("email"), autocomplete: Some("email"), required: true, ..Default::default() }))
                (layout::textarea("message", "Your role and the services you work on", &f.message, errors, false))
                (button("Send request"))
            }
        } }
    }
}

async fn request_page(Anon(anon): Anon) -> Page {
    Ok(render(
        None,
        "Request a login",
        request_view(&anon, &HelpForm::default(), &FieldErrors::new()),
    ))
}

async fn request_submit(
    State(state): State<AppState>,
    Anon(anon): Anon,
    Extension(from): Extension<ClientAddr>,
    Form(f): Form<HelpForm>,
) -> Page {
    match state
        .app
        .request_account_help(AccountHelpKind::LoginRequest, request_of(&f), &from.0)
        .await
    {
        Ok(_) => Ok(help_sent(
            "Your request for a login has gone to the commissioning team",
        )),
        Err(AppError::Invalid(errors)) => {
            let mut r = render(None, "Request a login", request_view(&anon, &f, &errors));
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

async fn signed_out() -> Page {
    Ok(render(
        None,
        "You have signed out",
        html! {
            h1 class="govuk-heading-l" data-testid="signed-out" { "You have signed out" }
            p class="govuk-body" { a class="govuk-link" href="/login" { "Sign in again" } }
        },
    ))
}

#[derive(Deserialize, Default)]
struct AccountQuery {
    changed: Option<String>,
}

async fn account_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AccountQuery>,
) -> Page {
    account_view(&state, &ctx, q.changed.is_some(), None, &FieldErrors::new()).await
}

async fn account_view(
    state: &AppState,
    ctx: &Ctx,
    changed: bool,
    new_token: Option<(&str, i64)>,
    errors: &FieldErrors,
) -> Page {
    let tokens = state.app.api_tokens(&ctx.principal).await?;
    let user = &ctx.live.user;
    let authorities = state.app.my_authorities(&ctx.principal).await?;
    let body = html! {
        @if changed { (layout::banner("Your password has been changed", html! {})) }
        @if let Some((t, expires)) = new_token {
            (layout::banner("API token created", html! {
                p class="govuk-body" { "Copy it now: it is not shown again. Send it as " code { "Authorization: Bearer TOKEN" } "." }
                p class="govuk-body hearth-secret" data-testid="api-token" { (t) }
                p class="govuk-body" data-testid="api-token-expires" { "It stops working on " strong { (layout::when(expires)) } "." }
            }))
        }
        (error_summary(errors))
        h1 class="govuk-heading-l" { "Your account" }
        (layout::summary_list(&[
            ("Name", html! { (user.display_name) }),
            ("Username", html! { (user.username) }),
            ("Role", html! { (ctx.principal.role().label()) }),
            ("Email", html! { (user.email) }),
            ("Password last changed", html! { (layout::when(user.password_changed_at)) }),
        ]))
        @if authorities.len() > 1 {
            h2 class="govuk-heading-m" { "Authority you are working with" }
            form method="post" action="/switch-authority" {
                (csrf(&ctx.csrf))
                div class="govuk-form-group" {
                    label class="govuk-label" for="authority_id" { "Authority" }
                    select class="govuk-select" id="authority_id" name="authority_id" {
                        @for a in &authorities {
                            option value=(a.id) selected[a.id == ctx.principal.authority_id()] { (a.name) }
                        }
                    }
                }
                (button("Switch"))
            }
        }
        p class="govuk-body" { a class="govuk-link" href="/account/password" { "Change your password" } }
        h2 class="govuk-heading-m" { "API tokens" }
        p class="govuk-body" { "For your organisation's own systems to use the " a class="govuk-link" href="/api/v1/openapi.json" { "Hearth API" } " as you, under the same rules." }
        @if !tokens.is_empty() {
            (crate::layout::scrolling_table("API tokens", html! { table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" { th class="govuk-table__header" { "Name" } th class="govuk-table__header" { "Created" } th class="govuk-table__header" { "Expires" } th class="govuk-table__header" { "Last used" } th class="govuk-table__header" { span class="govuk-visually-hidden" { "Action" } } } }
                tbody class="govuk-table__body" {
                    @for t in &tokens {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (t.name) }
                            td class="govuk-table__cell" { (layout::when(t.created_at)) }
                            td class="govuk-table__cell" { (layout::when(t.expires_on())) }
                            td class="govuk-table__cell" { @if let Some(u) = t.last_used_at { (layout::when(u)) } @else { "Not used yet" } }
                            td class="govuk-table__cell" {
                                @if t.revoked_at.is_some() { "Revoked" } @else {
                                    form method="post" action={ "/account/api-tokens/" (t.id) "/revoke" } {
                                        (csrf(&ctx.csrf))
                                        button type="submit" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            } }))
        }
        form method="post" action="/account/api-tokens" novalidate {
            (csrf(&ctx.csrf))
            (input("token_name", "Name of a new token", "", errors, Opt { hint: Some("The system that will use it, for example Case management"), width: Some("20"), required: true, ..Default::default() }))
            (layout::select("days", "How long it lasts", &[("90".to_string(), "90 days".to_string()), ("30".to_string(), "30 days".to_string()), ("365".to_string(), "1 year".to_string())], "90", errors, true))
            (input("password", "Your password", "", errors, Opt { hint: Some("Making a token gives a system your access, so enter your password again"), kind: Some("password"), autocomplete: Some("current-password"), width: Some("20"), required: true, ..Default::default() }))
            button type="submit" class="govuk-button govuk-button--secondary" { "Create token" }
        }
        form method="post" action="/logout/everywhere" {
            (csrf(&ctx.csrf))
            button type="submit" class="govuk-button govuk-button--warning" { "Sign out everywhere" }
            p class="govuk-hint" { "Ends your sessions on every device and browser." }
        }
    };
    let r = render(Some(ctx), "Your account", body);
    Ok(if errors.is_empty() {
        r
    } else {
        let mut r = r;
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        r
    })
}

#[derive(Deserialize, Default)]
struct TokenForm {
    #[serde(default)]
    token_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    days: String,
}

async fn token_create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<TokenForm>) -> Page {
    let days = f.days.trim().parse::<i64>().unwrap_or(0);
    match state
        .app
        .create_api_token(&ctx.principal, &f.token_name, &f.password, days)
        .await
    {
        Ok((secret, expires_at)) => Ok(no_store(
            account_view(
                &state,
                &ctx,
                false,
                Some((&secret, expires_at)),
                &FieldErrors::new(),
            )
            .await?,
        )),
        Err(AppError::Invalid(errors)) => account_view(&state, &ctx, false, None, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn token_revoke(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let () = state.app.revoke_api_token(&ctx.principal, id).await?;
    Ok(see_other("/account"))
}

async fn logout(State(state): State<AppState>, ctx: Ctx) -> Page {
    let _ = state.app.logout(&ctx.token).await;
    let mut r = see_other("/signed-out");
    r.headers_mut()
        .append(header::SET_COOKIE, session::clear_cookie(&state));
    Ok(r)
}

async fn logout_everywhere(State(state): State<AppState>, ctx: Ctx) -> Page {
    let _ = state.app.logout_everywhere(&ctx.live.user).await;
    let mut r = see_other("/signed-out");
    r.headers_mut()
        .append(header::SET_COOKIE, session::clear_cookie(&state));
    Ok(r)
}

#[derive(Deserialize)]
struct SwitchForm {
    authority_id: i64,
}

async fn switch_authority(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SwitchForm>,
) -> Page {
    let () = state
        .app
        .switch_authority(&ctx.live, f.authority_id)
        .await?;
    Ok(see_other("/home"))
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}
