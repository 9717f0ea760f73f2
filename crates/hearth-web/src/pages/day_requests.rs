//! Day activities requests (C7): the provider asks for a change of need, a session that was
//! not planned, a change to a confirmed week, or reports a missing service line with its
//! correspondence; the team refers it to the social worker and decides it.

use axum::extract::{Multipart, Path, Query, State};
use axum::routing::{get, post};
use axum::Form;
use chrono::NaiveDate;
use hearth_app::day_requests::{DecisionInput, RequestInput, RequestView, NOTICE_DAYS};
use hearth_app::{AppError, FieldErrors, Permission, Principal};
use hearth_domain::day_activities::{
    self as rules, AbsenceReason, Days, NeedDecision, Outcome, RequestKind, SessionType,
};
use hearth_domain::workflow::day_requests::Status;
use hearth_domain::Pence;
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::{Page, WebError};
use crate::layout::{self, button, csrf, error_summary, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

const WRITE: Access = Access::Signed(Permission::BackOfficeWrite);
const ANY: Access = Access::Signed(Permission::SignedIn);

pub fn register(t: &mut RouteTable) {
    t.get("/day-activities/requests", ANY, get(list));
    t.get("/day-activities/requests/{id}", ANY, get(show));
    t.get("/day-activities/requests/{id}/file", ANY, get(file));
    t.post("/day-activities/requests/{id}/refer", WRITE, post(refer));
    t.post("/day-activities/requests/{id}/decide", WRITE, post(decide));
    t.get("/day-activities/{id}/requests/new", ANY, get(new_form));
    t.post("/day-activities/{id}/requests/new", ANY, post(create));
}

fn status_tag(s: Status) -> Markup {
    let colour = match s {
        Status::Raised => "govuk-tag--blue",
        Status::Referred => "govuk-tag--yellow",
        Status::Authorised => "govuk-tag--green",
        Status::Declined => "govuk-tag--grey",
    };
    html! { strong class={ "govuk-tag " (colour) } { (s.label()) } }
}

fn day(d: &str) -> String {
    layout::date(d)
}

// ---------------- the list ----------------

async fn list(State(state): State<AppState>, ctx: Ctx) -> Page {
    let rows = state.app.day_requests(&ctx.principal).await?;
    let staff = ctx.principal.is_staff();
    let open = rows.iter().filter(|r| r.status.is_open()).count();
    let services = if staff {
        Vec::new()
    } else {
        state.app.day_services(&ctx.principal).await?
    };
    let table = |title: &str, rows: Vec<&RequestView>| {
        html! {
            h2 class="govuk-heading-m" { (title) }
            @if rows.is_empty() { p class="govuk-body" { "None." } }
            @else {
                (layout::scrolling_table(title, html! { table class="govuk-table" {
                    thead class="govuk-table__head" { tr class="govuk-table__row" {
                        th scope="col" class="govuk-table__header" { "Raised" }
                        th scope="col" class="govuk-table__header" { "Person" }
                        th scope="col" class="govuk-table__header" { "Request" }
                        th scope="col" class="govuk-table__header" { "Service" }
                        th scope="col" class="govuk-table__header" { "Status" }
                    } }
                    tbody class="govuk-table__body" {
                        @for r in rows {
                            tr class="govuk-table__row" {
                                td class="govuk-table__cell" { (layout::when(r.request.raised_at)) }
                                td class="govuk-table__cell" { a class="govuk-link" href={ "/day-activities/requests/" (r.request.id) } { (r.person) } }
                                td class="govuk-table__cell" { (r.kind.label()) }
                                td class="govuk-table__cell" { (r.service.name) @if staff { br; span class="govuk-body-s" { (r.provider) } } }
                                td class="govuk-table__cell" { (status_tag(r.status)) }
                            }
                        }
                    }
                } }))
            }
        }
    };
    let body = html! {
        (layout::back_link("/day-activities"))
        h1 class="govuk-heading-l" { "Requests" }
        @if staff {
            p class="govuk-body" { "A provider cannot change a person's planned sessions or a confirmed week: it asks here. A change of need goes to the person's social worker, or else the access point for their client group, as soon as it is raised; a missing service line goes to the support options team. Refer a request to the allocated social worker if need be, then record their authorisation (which makes the change) or why it is declined." }
        } @else {
            p class="govuk-body" { "Ask the commissioning team for a change you cannot make yourself: a change in a person's need, a session that was not planned, a change to a week you have confirmed, or a service line a social worker agreed that has been missing for four weeks or more." }
            @for s in &services {
                p class="govuk-body" { a class="govuk-link" href={ "/day-activities/" (s.id) "/requests/new" } { "Raise a request" span class="govuk-visually-hidden" { " about " } @if services.len() > 1 { " about " (s.name) } } }
            }
        }
        p class="govuk-body" { (open) " open." }
        (table("Open requests", rows.iter().filter(|r| r.status.is_open()).collect()))
        (table("Decided", rows.iter().filter(|r| !r.status.is_open()).collect()))
    };
    Ok(layout::render(Some(&ctx), "Day activities requests", body))
}

// ---------------- a new request ----------------

#[derive(Deserialize, Default)]
struct NewQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    line: String,
    #[serde(default)]
    date: String,
}

async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<NewQuery>,
) -> Page {
    let f = RequestInput {
        kind: q.kind,
        line_id: q.line,
        session_date: q.date,
        ..RequestInput::default()
    };
    new_page(&state, &ctx, id, &f, &FieldErrors::new()).await
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    f: &RequestInput,
    errors: &FieldErrors,
) -> Page {
    let service = state.app.day_service(&ctx.principal, id).await?;
    let Principal::Provider { .. } = ctx.principal else {
        return Err(WebError::from(AppError::Forbidden));
    };
    let kind = RequestKind::parse(f.kind.trim()).ok();
    let today = state.app.today();
    let lines = state.app.service_day_lines(&ctx.principal, id).await?;
    let people: Vec<(String, String)> = lines
        .iter()
        .filter(|(l, _)| {
            kind != Some(RequestKind::ChangeOfNeed)
                || l.end_date
                    .as_deref()
                    .is_none_or(|e| e >= today.to_string().as_str())
        })
        .map(|(l, n)| {
            (
                l.id.to_string(),
                format!(
                    "{n} ({}, from {})",
                    Days::parse(&l.days).map(Days::names).unwrap_or_default(),
                    day(&l.start_date)
                ),
            )
        })
        .collect();
    let kinds: Vec<(&str, &str, Option<&str>)> = vec![
        (
            RequestKind::ChangeOfNeed.as_str(),
            RequestKind::ChangeOfNeed.label(),
            Some("The person may benefit from a change of service. It goes to their social worker, or the access point for their client group."),
        ),
        (
            RequestKind::ExtraSession.as_str(),
            RequestKind::ExtraSession.label(),
            Some("The person came on a day that was not planned. Once authorised, it is added as attended and paid."),
        ),
        (
            RequestKind::AmendSession.as_str(),
            RequestKind::AmendSession.label(),
            Some("A session in a week you have confirmed was recorded wrongly. Once authorised, the payment run pays or recovers the difference."),
        ),
        (
            RequestKind::MissingLine.as_str(),
            RequestKind::MissingLine.label(),
            Some("A service line a social worker agreed and confirmed that has been missing from the portal for four weeks or more. It goes to the support options team with your correspondence with the social worker."),
        ),
    ];
    let outcomes: Vec<(String, String)> = Outcome::ALL
        .iter()
        .map(|o| (o.as_str().to_string(), o.label().to_string()))
        .collect();
    let reasons: Vec<(String, String)> = AbsenceReason::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), r.label().to_string()))
        .collect();
    let types: Vec<(&str, &str, Option<&str>)> = SessionType::ALL
        .iter()
        .map(|t| (t.as_str(), t.label(), None))
        .collect();
    let action = format!("/day-activities/{id}/requests/new");
    let title = kind.map_or("Raise a request", |k| k.label());
    let body = html! {
        (layout::back_link(&if kind.is_some() { action.clone() } else { "/day-activities/requests".to_string() }))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            span class="govuk-caption-l" { (service.name) }
            h1 class="govuk-heading-l" { (title) }
            @match kind {
                None => {
                    form method="get" action=(action) novalidate {
                        (layout::radios("kind", "What are you asking for?", &kinds, &f.kind, errors))
                        (button("Continue"))
                    }
                }
                Some(k) => {
                    form method="post" action=(action) enctype="multipart/form-data" novalidate {
                        (csrf(&ctx.csrf))
                        input type="hidden" name="kind" value=(k.as_str());
                        @match k {
                            RequestKind::MissingLine => {
                                p class="govuk-body" { "Report a service line that a social worker agreed and confirmed, once four weeks have passed since it was to start and it is still not in the portal. The support options team refers it to the allocated social worker and records the outcome." }
                                (layout::input("person_name", "The person's name", &f.person_name, errors, Opt { required: true, ..Default::default() }))
                                (layout::code_checkboxes("days", "Days agreed", &Days::vocabulary(), &f.days, errors))
                                (layout::radios("session_type", "Session", &types, &f.session_type, errors))
                                (layout::date_input("agreed_start", "Agreed to start on", &f.agreed_start, errors, true, Some("For example 2 11 2026")))
                                (layout::input("social_worker_name", "Social worker who agreed it", &f.social_worker_name, errors, Opt { required: true, ..Default::default() }))
                                (layout::input("social_worker_email", "Their e-mail address", &f.social_worker_email, errors, Opt { kind: Some("email"), ..Default::default() }))
                                (layout::textarea("details", "What was agreed, and when", &f.details, errors, true))
                                @let file_error = errors.get("file");
                                div class={ "govuk-form-group" @if file_error.is_some() { " govuk-form-group--error" } } {
                                    label class="govuk-label" for="file" { "Your correspondence with the social worker" }
                                    div id="file-hint" class="govuk-hint" { "A PDF, a picture (PNG or JPEG), a Word document (.docx), an Outlook message (.msg) or a saved e-mail (.eml or .txt), up to 10 MB." }
                                    @if let Some(e) = file_error { p id="file-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                                    input class={ "govuk-file-upload" @if file_error.is_some() { " govuk-file-upload--error" } } id="file" name="file" type="file"
                                        accept=".pdf,.png,.jpg,.jpeg,.docx,.msg,.eml,.txt"
                                        aria-describedby={ "file-hint" @if file_error.is_some() { " file-error" } };
                                }
                            }
                            _ => {
                                (layout::select("line_id", "Person", &people, &f.line_id, errors, true))
                                @if matches!(k, RequestKind::ExtraSession | RequestKind::AmendSession) {
                                    (layout::date_input("session_date", "The session's date", &f.session_date, errors, true, None))
                                }
                                @if k == RequestKind::AmendSession {
                                    (layout::select("outcome", "What did happen", &outcomes, &f.outcome, errors, true))
                                    (layout::select("reason", "If absent, why", &reasons, &f.reason, errors, false))
                                }
                                (layout::textarea("details", match k {
                                    RequestKind::ChangeOfNeed => "How has the person's need changed, and what do you think would help?",
                                    RequestKind::ExtraSession => "What happened at the session, and why it was not planned",
                                    _ => "Why the confirmed session must change",
                                }, &f.details, errors, true))
                            }
                        }
                        (button("Send the request"))
                    }
                }
            }
        } }
    };
    Ok(layout::render_form(Some(ctx), title, body, errors))
}

/// The fields and the file a multipart form sent (date boxes joined into one field).
async fn read_multipart(
    mut mp: Multipart,
) -> Result<(Vec<(String, String)>, Option<(String, Vec<u8>)>), WebError> {
    let mut pairs = Vec::new();
    let mut upload = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let filename = field.file_name().map(str::to_string);
                let Ok(bytes) = field.bytes().await else {
                    return Err(WebError::from(AppError::invalid(
                        "file",
                        "The file could not be read: it may be larger than 10 MB",
                    )));
                };
                if name == "file" {
                    if !bytes.is_empty() || filename.as_deref().is_some_and(|f| !f.is_empty()) {
                        upload = Some((filename.unwrap_or_default(), bytes.to_vec()));
                    }
                } else {
                    pairs.push((name, String::from_utf8_lossy(&bytes).to_string()));
                }
            }
            Ok(None) => break,
            Err(_) => {
                return Err(WebError::from(AppError::invalid(
                    "file",
                    "The upload could not be read",
                )))
            }
        }
    }
    let pairs = crate::date_boxes::join(&pairs).unwrap_or(pairs);
    Ok((pairs, upload))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    // Who may raise it is decided before the body is read.
    state.app.day_service(&ctx.principal, id).await?;
    let Principal::Provider { .. } = ctx.principal else {
        return Err(WebError::from(AppError::Forbidden));
    };
    let mp = match mp {
        Ok(mp) => mp,
        Err(rejection) => return Ok(axum::response::IntoResponse::into_response(rejection)),
    };
    let (pairs, upload) = read_multipart(mp).await?;
    let form = super::Pairs(&pairs);
    let one = |k: &str| form.one(k);
    let f = RequestInput {
        kind: one("kind"),
        line_id: one("line_id"),
        session_date: one("session_date"),
        outcome: one("outcome"),
        reason: one("reason"),
        details: one("details"),
        person_name: one("person_name"),
        days: form.many("days"),
        session_type: one("session_type"),
        agreed_start: one("agreed_start"),
        social_worker_name: one("social_worker_name"),
        social_worker_email: one("social_worker_email"),
    };
    match state
        .app
        .raise_day_request(&ctx.principal, id, &f, upload)
        .await
    {
        Ok(r) => Ok(see_other(&format!(
            "/day-activities/requests/{}?raised=1",
            r.id
        ))),
        Err(AppError::Invalid(e)) => new_page(&state, &ctx, id, &f, &e).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------- a request ----------------

#[derive(Deserialize, Default)]
struct ShowQuery {
    raised: Option<String>,
    referred: Option<String>,
    decided: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Page {
    let v = state.app.day_request(&ctx.principal, id).await?;
    show_view(
        &state,
        &ctx,
        &v,
        &q,
        &DecisionInput::default(),
        "",
        &FieldErrors::new(),
    )
}

fn show_view(
    state: &AppState,
    ctx: &Ctx,
    v: &RequestView,
    q: &ShowQuery,
    d: &DecisionInput,
    referred_to: &str,
    errors: &FieldErrors,
) -> Page {
    let r = &v.request;
    let staff = ctx.principal.is_staff();
    let write = ctx.principal.has(Permission::BackOfficeWrite) && v.status.is_open();
    let today = state.app.today();
    let line = v.line.as_ref();
    let referee = if referred_to.is_empty() {
        line.map(|l| l.social_worker_email.clone())
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| r.social_worker_email.clone())
    } else {
        referred_to.to_string()
    };
    let what = match (Outcome::parse(&r.outcome), AbsenceReason::parse(&r.reason)) {
        (Ok(o), Ok(reason)) => format!("{}: {}", o.label(), reason.label()),
        (Ok(o), _) => o.label().to_string(),
        _ => String::new(),
    };
    let decisions: Vec<(&str, &str, Option<&str>)> = vec![
        (
            "authorise",
            "Authorised by the social worker: make the change",
            None,
        ),
        ("decline", "Declined: nothing changes", None),
    ];
    let needs: Vec<(&str, &str, Option<&str>)> = NeedDecision::ALL
        .iter()
        .map(|n| (n.as_str(), n.label(), None))
        .collect();
    let types: Vec<(&str, &str, Option<&str>)> = SessionType::ALL
        .iter()
        .map(|t| (t.as_str(), t.label(), None))
        .collect();
    let notice_end = rules::notice_ends(today, NOTICE_DAYS);
    let notice_hint = format!(
        "Leave empty for the end of the contract's notice period of four weeks: {}",
        notice_end.format("%-d %B %Y")
    );
    let week_link = r.session_date.as_deref().and_then(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| {
            format!(
                "/day-activities/{}/weeks/{}",
                r.service_id,
                rules::week_start(d)
            )
        })
    });
    let body = html! {
        (layout::back_link("/day-activities/requests"))
        @if q.raised.is_some() { (layout::banner("Request sent", html! { p class="govuk-body" {
            @if r.told.is_empty() { "It is in the commissioning team's queue." }
            @else { "It was e-mailed to " (r.told) ", and is in the commissioning team's queue." }
        } })) }
        @if q.referred.is_some() { (layout::banner("Referred to the social worker", html! { p class="govuk-body" { "They were e-mailed the request. Record their answer here." } })) }
        @if q.decided.is_some() { (layout::banner(&format!("Request {}", v.status.label().to_lowercase()), html! { p class="govuk-body" { (r.decision_change) " The provider was told." } })) }
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            span class="govuk-caption-l" { (v.service.name) @if staff { ", " (v.provider) } }
            h1 class="govuk-heading-l" { (v.kind.label()) ": " (v.person) }
            (layout::summary_list(&[
                ("Status", status_tag(v.status)),
                ("Raised", html! { (r.raised_by_name) ", " (layout::when(r.raised_at)) }),
                ("Sent to", html! { @if r.told.is_empty() { "The commissioning team's queue" } @else { (r.told) } }),
            ]))
            @if let Some(l) = line {
                (layout::summary_list(&[
                    ("Planned sessions", html! { (Days::parse(&l.days).map(Days::names).unwrap_or_default()) ", " (SessionType::parse(&l.session_type).map(|t| t.label()).unwrap_or("")) " at " (Pence(l.rate_pence)) }),
                    ("Service line", html! { "From " (day(&l.start_date)) @if let Some(e) = &l.end_date { " to " (day(e)) } }),
                    ("Social worker", html! { (l.social_worker_name) @if !l.social_worker_email.is_empty() { " (" (l.social_worker_email) ")" } }),
                ]))
            }
            @if let Some(s) = &r.session_date {
                (layout::summary_list(&[
                    ("Session", html! { @if let Some(w) = &week_link { a class="govuk-link" href=(w) { (day(s)) } } @else { (day(s)) } }),
                    ("Asked for", html! { @if what.is_empty() { "Attended" } @else { (what) } }),
                ]))
            }
            @if v.kind == RequestKind::MissingLine {
                (layout::summary_list(&[
                    ("Days agreed", html! { (Days::parse(&r.days).map(Days::names).unwrap_or_default()) }),
                    ("Session", html! { (SessionType::parse(&r.session_type).map(|t| t.label()).unwrap_or("")) }),
                    ("Agreed to start", html! { @if let Some(a) = &r.agreed_start { (day(a)) } }),
                    ("Social worker", html! { (r.social_worker_name) @if !r.social_worker_email.is_empty() { " (" (r.social_worker_email) ")" } }),
                    ("Correspondence", html! { @if r.size_bytes > 0 { a class="govuk-link" href={ "/day-activities/requests/" (r.id) "/file" } { (r.filename) } " (" ((r.size_bytes + 1023) / 1024) " KB)" } }),
                ]))
            }
            h2 class="govuk-heading-m" { "What the provider says" }
            p class="govuk-body hearth-prose" { (r.details) }
            @if let (Some(by), Some(at)) = (&r.referred_by_name, r.referred_at) {
                p class="govuk-body" { "Referred to " (r.referred_to) " by " (by) ", " (layout::when(at)) "." }
            }
            @if let (Some(by), Some(at)) = (&r.decided_by_name, r.decided_at) {
                h2 class="govuk-heading-m" { (v.status.label()) }
                p class="govuk-body" { (by) ", " (layout::when(at)) }
                p class="govuk-body hearth-prose" { (r.decision_note) }
                p class="govuk-body" { (r.decision_change) }
            }
            @if write {
                @if v.status == Status::Raised {
                    h2 class="govuk-heading-m" { "Refer to the allocated social worker" }
                    form method="post" action={ "/day-activities/requests/" (r.id) "/refer" } novalidate {
                        (csrf(&ctx.csrf))
                        (layout::input("referred_to", "Social worker's e-mail address", &referee, errors, Opt { required: true, kind: Some("email"), ..Default::default() }))
                        (layout::textarea("message", "A note for them", "", errors, false))
                        button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Refer the request" }
                    }
                }
                h2 class="govuk-heading-m" { "Decide" }
                form method="post" action={ "/day-activities/requests/" (r.id) "/decide" } novalidate {
                    (csrf(&ctx.csrf))
                    (layout::radios("decision", "The decision", &decisions, &d.decision, errors))
                    (layout::textarea("note", "The social worker's authorisation (who agreed it, and when), or why it is declined", &d.note, errors, true))
                    @match v.kind {
                        RequestKind::ChangeOfNeed => {
                            (layout::radios("need", "If authorised, what changes", &needs, &d.need, errors))
                            (layout::date_input("end_date", "The placement is no longer needed: its last day", &d.end_date, errors, false, Some(&notice_hint)))
                            h3 class="govuk-heading-s" { "Or the planned sessions change" }
                            (layout::date_input("from_date", "From", &d.from_date, errors, false, Some("Today or later. The old line ends the day before.")))
                            (layout::code_checkboxes("days", "Days of the week", &Days::vocabulary(), &d.days, errors))
                            (layout::radios("session_type", "Session", &types, &d.session_type, errors))
                            (layout::input("rate", "Rate per session, in pounds", &d.rate, errors, Opt { width: Some("5"), hint: Some("Leave empty to keep the rate"), ..Default::default() }))
                        }
                        RequestKind::MissingLine => {
                            p class="govuk-body" { "Once the social worker has agreed it, authorise the request and " a class="govuk-link" href={ "/day-activities/" (r.service_id) "/lines/new" } { "add the service line" } "." }
                        }
                        _ => {
                            p class="govuk-body" { "Authorising records the session as asked; the next payment run pays or recovers the difference." }
                        }
                    }
                    (button("Record the decision"))
                }
            }
        } }
    };
    Ok(layout::render_form(
        Some(ctx),
        &format!("{}: {}", v.kind.label(), v.person),
        body,
        errors,
    ))
}

async fn file(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let (name, content_type, bytes) = state.app.day_request_file(&ctx.principal, id).await?;
    let ct: &'static str = match content_type.as_str() {
        "application/pdf" => "application/pdf",
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        "application/vnd.ms-outlook" => "application/vnd.ms-outlook",
        "message/rfc822" => "message/rfc822",
        "text/plain" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Ok(layout::download(ct, &name, bytes))
}

#[derive(Deserialize, Default)]
struct ReferForm {
    #[serde(default)]
    referred_to: String,
    #[serde(default)]
    message: String,
}

async fn refer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ReferForm>,
) -> Page {
    match state
        .app
        .refer_day_request(&ctx.principal, id, &f.referred_to, &f.message)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/day-activities/requests/{id}?referred=1"
        ))),
        Err(AppError::Invalid(e)) => {
            let v = state.app.day_request(&ctx.principal, id).await?;
            show_view(
                &state,
                &ctx,
                &v,
                &ShowQuery::default(),
                &DecisionInput::default(),
                &f.referred_to,
                &e,
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    let form = super::Pairs(&pairs);
    let one = |k: &str| form.one(k);
    let d = DecisionInput {
        decision: one("decision"),
        note: one("note"),
        need: one("need"),
        end_date: one("end_date"),
        from_date: one("from_date"),
        days: pairs
            .iter()
            .filter(|(n, v)| n == "days" && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect::<Vec<_>>()
            .join(","),
        session_type: one("session_type"),
        rate: one("rate"),
    };
    match state.app.decide_day_request(&ctx.principal, id, &d).await {
        Ok(_) => Ok(see_other(&format!(
            "/day-activities/requests/{id}?decided=1"
        ))),
        Err(AppError::Invalid(e)) => {
            let v = state.app.day_request(&ctx.principal, id).await?;
            show_view(&state, &ctx, &v, &ShowQuery::default(), &d, "", &e)
        }
        Err(e) => Err(e.into()),
    }
}
