//! Actions (F3.8), contract documents (F3.6) and contacts (F3.7) in the portal and back office.

use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use hearth_app::actions::{ActionInput, PRIORITIES};
use hearth_app::contacts::{AssignmentInput, ContactInput};
use hearth_app::{AppError, FieldErrors, ForField, Permission, Principal};
use hearth_domain::{Assignment, DocumentProgress, DocumentType, PositionType};
use maud::{html, Markup};
use serde::Deserialize;

use crate::error::{Page, WebError};
use crate::layout::{self, button, csrf, error_summary, render, see_other, Opt};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

const PORTAL: Access = Access::Signed(Permission::ProviderPortal);
const ANY: Access = Access::Signed(Permission::SignedIn);
const WRITE: Access = Access::Signed(Permission::BackOfficeWrite);

pub fn register(t: &mut RouteTable) {
    t.get("/actions", ANY, get(actions_page));
    t.post("/actions/{id}/done", PORTAL, post(action_done));
    t.get("/providers/{id}/actions/new", WRITE, get(action_new));
    t.post("/providers/{id}/actions/new", WRITE, post(action_create));
    t.post("/contracts/{id}/documents", WRITE, post(document_add));
    t.get("/documents/{id}", ANY, get(document_page));
    t.get("/documents/{id}/file", ANY, get(document_file));
    t.post("/documents/{id}/progress", WRITE, post(document_progress));
    t.post(
        "/documents/{id}/team-comments",
        WRITE,
        post(document_team_comments),
    );
    t.post("/documents/{id}/comments", PORTAL, post(document_comments));
    t.post("/documents/{id}/sign", PORTAL, post(document_sign));
    t.get("/contacts", PORTAL, get(contacts_page));
    t.get("/contacts/new", PORTAL, get(contact_new));
    t.post("/contacts/new", PORTAL, post(contact_create));
    t.get("/contacts/{id}", PORTAL, get(contact_page));
    t.post("/contacts/{id}", PORTAL, post(contact_edit));
    t.post(
        "/contacts/{id}/deactivate",
        PORTAL,
        post(contact_deactivate),
    );
    t.post("/contacts/{id}/assignments", PORTAL, post(assignment_add));
    t.post(
        "/contacts/{id}/assignments/{aid}/remove",
        PORTAL,
        post(assignment_remove),
    );
    t.post("/contacts/{id}/login", PORTAL, post(login_request));
}

fn invalid(mut r: Response) -> Response {
    *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    r
}

fn label_of(list: &[(&str, &str)], code: &str) -> String {
    list.iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| code.to_string())
}

/// A stored progress code as people read it.
fn progress_label(code: &str) -> String {
    DocumentProgress::parse(code)
        .map(|p| p.label().to_string())
        .unwrap_or_else(|_| code.to_string())
}

// ---------------- actions ----------------

#[derive(Deserialize, Default)]
struct ActionsQuery {
    #[serde(default)]
    show: Option<String>,
    #[serde(default)]
    provider: Option<i64>,
}

async fn actions_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ActionsQuery>,
) -> Page {
    actions_view(&state, &ctx, &q, &FieldErrors::new()).await
}

/// `errors` name each action's note field `note-ID`.
async fn actions_view(state: &AppState, ctx: &Ctx, q: &ActionsQuery, errors: &FieldErrors) -> Page {
    let mine = q.show.as_deref() == Some("mine");
    let list = state
        .app
        .list_actions(&ctx.principal, mine, q.provider)
        .await?;
    let today = state.app.today();
    let provider = matches!(ctx.principal, Principal::Provider { .. });
    let names = state.app.action_names(&ctx.principal, &list).await?;
    let (provider_names, contact_names) = (names.providers, names.contacts);
    let body = html! {
        h1 class="govuk-heading-l" { "Actions" }
        (error_summary(errors))
        @if provider {
            p class="govuk-body" {
                @if mine { a class="govuk-link" href="/actions" { "Show all of your organisation's actions" } }
                @else { a class="govuk-link" href="/actions?show=mine" { "Show only actions set for you" } }
            }
        }
        @if list.is_empty() { p class="govuk-body" { "There are no actions." } }
        @for a in &list {
            @let overdue = a.status == "open" && hearth_domain::dates::overdue(&a.due_date, today);
            div class={ "hearth-card" @if overdue { " hearth-overdue" } } data-testid={ "action-" (a.id) } {
                h2 class="govuk-heading-s" {
                    (a.title) " "
                    @if overdue { strong class="govuk-tag govuk-tag--red" { "Overdue" } }
                    @else if a.status == "open" { strong class="govuk-tag govuk-tag--yellow" { "Open" } }
                    @else { strong class="govuk-tag govuk-tag--green" { "Done" } }
                }
                (layout::summary_list(&[
                    ("Due", html! { (layout::date(&a.due_date)) }),
                    ("Priority", html! { (label_of(PRIORITIES, &a.priority)) }),
                    ("Provider", html! { (provider_names.iter().find(|(id, _)| *id == a.provider_id).map(|(_, n)| n.as_str()).unwrap_or("")) }),
                    ("For", html! { @match a.contact_id.and_then(|c| contact_names.iter().find(|(id, _)| *id == c)) { Some((_, n)) => (n), None => "The whole organisation" } }),
                    ("Details", html! { (a.description) }),
                    ("Set by", html! { (a.created_by_name) " on " (layout::when(a.created_at)) }),
                    ("Done", html! { @if let Some(t) = a.done_at { (layout::when(t)) " by " (a.done_by_name.clone().unwrap_or_default()) ": " (a.done_note) } }),
                ]))
                @if provider && a.status == "open" {
                    form method="post" action={ "/actions/" (a.id) "/done" } novalidate {
                        (csrf(&ctx.csrf))
                        @let field = format!("note-{}", a.id);
                        @let err = errors.get(&field);
                        div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
                            label class="govuk-label" for=(field) { "What was done" }
                            @if let Some(e) = err { p id={ (field) "-error" } class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                            input class={ "govuk-input" @if err.is_some() { " govuk-input--error" } } id=(field) name="note" type="text" aria-describedby=[err.map(|_| format!("{field}-error"))];
                        }
                        button type="submit" class="govuk-button govuk-button--secondary" { "Mark as done" }
                    }
                }
            }
        }
    };
    let r = render(Some(ctx), "Actions", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

#[derive(Deserialize, Default)]
struct NoteForm {
    #[serde(default)]
    note: String,
}

async fn action_done(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Page {
    match state.app.complete_action(&ctx.principal, id, &f.note).await {
        Ok(_) => Ok(see_other("/actions")),
        Err(AppError::Invalid(errors)) => {
            let mut named = FieldErrors::new();
            for (f, m) in errors.0 {
                named.add(&if f == "note" { format!("note-{id}") } else { f }, m);
            }
            actions_view(&state, &ctx, &ActionsQuery::default(), &named).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn action_form(
    state: &AppState,
    ctx: &Ctx,
    provider_id: i64,
    f: &ActionInput,
    errors: &FieldErrors,
) -> Page {
    let (contacts, _) = state.app.contacts(&ctx.principal, provider_id).await?;
    let options: Vec<(String, String)> = contacts
        .iter()
        .filter(|c| c.active != 0)
        .map(|c| (c.id.to_string(), c.full_name()))
        .collect();
    let prios: Vec<(String, String)> = PRIORITIES
        .iter()
        .map(|(c, l)| (c.to_string(), l.to_string()))
        .collect();
    let body = html! {
        (layout::back_link(&format!("/providers/{provider_id}")))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Set an action" }
            form method="post" action={ "/providers/" (provider_id) "/actions/new" } novalidate {
                (csrf(&ctx.csrf))
                (layout::input("title", "What needs to be done", &f.title, errors, Opt { required: true, ..Default::default() }))
                (layout::textarea("description", "Details", &f.description, errors, false))
                (layout::select("contact_id", "For a contact (leave as Select for the whole organisation)", &options, &f.contact_id, errors, false))
                (layout::date_input("due_date", "Due date", &f.due_date, errors, true, None))
                (layout::select("priority", "Priority", &prios, &f.priority, errors, true))
                (button("Set action"))
            }
        } }
    };
    let r = render(Some(ctx), "Set an action", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

async fn action_new(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    action_form(
        &state,
        &ctx,
        id,
        &ActionInput {
            priority: "medium".into(),
            ..Default::default()
        },
        &FieldErrors::new(),
    )
    .await
}

async fn action_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActionInput>,
) -> Page {
    match state.app.create_action(&ctx.principal, id, &f).await {
        Ok(_) => Ok(see_other(&format!("/actions?provider={id}"))),
        Err(AppError::Invalid(errors)) => action_form(&state, &ctx, id, &f, &errors).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------- documents ----------------

/// The documents section of a contract page.
pub(crate) async fn documents_section(
    state: &AppState,
    ctx: &Ctx,
    contract_id: i64,
    errors: &FieldErrors,
) -> Result<Markup, AppError> {
    let with_signatures = state
        .app
        .contract_documents_of(&ctx.principal, contract_id)
        .await?;
    let signed: Vec<bool> = with_signatures
        .iter()
        .map(|d| !d.signatures.is_empty())
        .collect();
    let docs: Vec<_> = with_signatures.into_iter().map(|d| d.document).collect();
    Ok(html! {
        h2 class="govuk-heading-m" id="documents" { "Contract documents" }
        @if docs.is_empty() { p class="govuk-body" { "No documents yet." } }
        @else {
            (crate::layout::scrolling_table("Contract documents", html! { table class="govuk-table" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th class="govuk-table__header" { "Document" } th class="govuk-table__header" { "Type" } th class="govuk-table__header" { "Progress" } th class="govuk-table__header" { "Signed by the provider" }
                } }
                tbody class="govuk-table__body" {
                    @for (d, s) in docs.iter().zip(signed) {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { a class="govuk-link" href={ "/documents/" (d.id) } { (d.title) } }
                            td class="govuk-table__cell" { (type_label(&d.document_type)) }
                            td class="govuk-table__cell" { (progress_label(&d.progress)) }
                            td class="govuk-table__cell" { @if s { "Yes" } @else { strong class="govuk-tag govuk-tag--yellow" { "Not signed" } } }
                        }
                    }
                }
            } }))
        }
        @if ctx.principal.has(Permission::BackOfficeWrite) {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                h3 class="govuk-heading-s" { "Add a document" }
                form method="post" action={ "/contracts/" (contract_id) "/documents" } enctype="multipart/form-data" novalidate {
                    (csrf(&ctx.csrf))
                    (layout::select("document_type", "Type of document", &document_types(), DocumentType::ContractDocument.as_str(), errors, true))
                    (layout::input("title", "Title", "", errors, Opt { required: true, hint: Some("For example Service specification 2026"), ..Default::default() }))
                    @let file_error = errors.get("file");
                    div class={ "govuk-form-group" @if file_error.is_some() { " govuk-form-group--error" } } {
                        label class="govuk-label" for="file" { "Upload a PDF (optional)" }
                        div id="file-hint" class="govuk-hint" { "Leave empty to generate a contract summary document from Hearth's records. Up to 10 MB." }
                        @if let Some(e) = file_error { p id="file-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                        input class={ "govuk-file-upload" @if file_error.is_some() { " govuk-file-upload--error" } } id="file" name="file" type="file" accept="application/pdf"
                            aria-describedby={ "file-hint" @if file_error.is_some() { " file-error" } };
                    }
                    (button("Add document"))
                }
            } }
        }
    })
}

async fn document_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> Page {
    let mut title = String::new();
    let mut document_type = String::new();
    let mut upload: Option<(String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let filename = field.file_name().map(str::to_string);
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "title" => title = String::from_utf8_lossy(&bytes).to_string(),
                        "document_type" => {
                            document_type = String::from_utf8_lossy(&bytes).to_string()
                        }
                        "file"
                            if !bytes.is_empty()
                                || filename.as_deref().is_some_and(|f| !f.is_empty()) =>
                        {
                            upload = Some((filename.unwrap_or_default(), bytes.to_vec()))
                        }
                        _ => {}
                    },
                    Err(_) => {
                        return Err(WebError::from(AppError::invalid(
                            "file",
                            "The file could not be read: it may be larger than 10 MB",
                        )))
                    }
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
    let added = match DocumentType::parse(&document_type).for_field("document_type") {
        Ok(kind) => {
            state
                .app
                .add_document_of(&ctx.principal, id, kind, &title, upload)
                .await
        }
        Err(e) => Err(e),
    };
    match added {
        Ok(d) => Ok(see_other(&format!("/documents/{}", d.id))),
        Err(AppError::Invalid(errors)) => {
            // A page of its own, with its heading and the error summary at the top (the
            // contract's page has them above the documents section).
            let contract = state.app.contract(&ctx.principal, id).await?;
            let section = documents_section(&state, &ctx, id, &errors).await?;
            Ok(invalid(render(
                Some(&ctx),
                "Add a document",
                html! {
                    (layout::back_link(&format!("/contracts/{id}")))
                    (error_summary(&errors))
                    span class="govuk-caption-l" { "Contract " (contract.reference) }
                    h1 class="govuk-heading-l" { "Add a document" }
                    (section)
                },
            )))
        }
        Err(e) => Err(e.into()),
    }
}

async fn document_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: &FieldErrors,
    notice: Option<&str>,
) -> Page {
    let d = state.app.document(&ctx.principal, id).await?;
    let (sigs, history) = state.app.document_history(&ctx.principal, id).await?;
    let provider = matches!(ctx.principal, Principal::Provider { .. });
    let progress: Vec<(String, String)> = DocumentProgress::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), p.label().to_string()))
        .collect();
    let body = html! {
        (layout::back_link(&format!("/contracts/{}", d.contract_id)))
        @if let Some(n) = notice { (layout::banner(n, html! {})) }
        (error_summary(errors))
        span class="govuk-caption-l" { (type_label(&d.document_type)) }
        h1 class="govuk-heading-l" { (d.title) }
        (layout::summary_list(&[
            ("File", html! { a class="govuk-link" href={ "/documents/" (d.id) "/file" } { (d.filename) } " (PDF, " ((d.size_bytes + 1023) / 1024) " KB, " (d.source) ")" }),
            ("Progress", html! { strong class="govuk-tag" data-testid="progress" { (progress_label(&d.progress)) } }),
            ("Signed", html! { @if sigs.is_empty() { "Not yet signed" } @for s in &sigs { (s.signed_by_name) " on " (layout::when(s.signed_at)) br; } }),
            ("Type", html! { (type_label(&d.document_type)) }),
            ("Commissioning team's comments", html! { (d.authority_comments) }),
            ("Provider comments", html! { (d.provider_comments) }),
        ]))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            @if ctx.principal.has(Permission::BackOfficeWrite) {
                form method="post" action={ "/documents/" (id) "/progress" } {
                    (csrf(&ctx.csrf))
                    (layout::select("progress", "Progress", &progress, &d.progress, errors, true))
                    button type="submit" class="govuk-button govuk-button--secondary" { "Update progress" }
                }
                form method="post" action={ "/documents/" (id) "/team-comments" } {
                    (csrf(&ctx.csrf))
                    (layout::textarea("authority_comments", "The commissioning team's comments", &d.authority_comments, errors, false))
                    button type="submit" class="govuk-button govuk-button--secondary" { "Save the team's comments" }
                }
            }
            @if provider {
                form method="post" action={ "/documents/" (id) "/comments" } {
                    (csrf(&ctx.csrf))
                    (layout::textarea("provider_comments", "Your comments", &d.provider_comments, errors, false))
                    button type="submit" class="govuk-button govuk-button--secondary" { "Save comments" }
                }
                h2 class="govuk-heading-m" { "Sign" }
                p class="govuk-body" { "Signing records your name and the time. It does not change the document's progress, which the commissioning team sets." }
                form method="post" action={ "/documents/" (id) "/sign" } novalidate {
                    (csrf(&ctx.csrf))
                    (layout::input("password", "Enter your password to sign", "", errors, Opt { kind: Some("password"), autocomplete: Some("current-password"), required: true, width: Some("20"), ..Default::default() }))
                    button type="submit" class="govuk-button" data-testid="sign" { "Sign document" }
                }
            }
        } }
        h2 class="govuk-heading-m" { "History" }
        (crate::layout::scrolling_table("History", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" { th class="govuk-table__header" { "When" } th class="govuk-table__header" { "Who" } th class="govuk-table__header" { "What" } } }
            tbody class="govuk-table__body" {
                @for e in &history {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell hearth-nowrap" { (layout::when(e.at)) }
                        td class="govuk-table__cell" { (e.actor) }
                        td class="govuk-table__cell" { (history_text(&e.action, e.before_json.as_deref(), e.after_json.as_deref())) }
                    }
                }
            }
        } }))
    };
    let r = render(Some(ctx), &d.title, body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

fn history_text(action: &str, before: Option<&str>, after: Option<&str>) -> String {
    let get = |j: Option<&str>, k: &str| -> String {
        j.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .and_then(|v| v.get(k).and_then(|x| x.as_str()).map(String::from))
            .unwrap_or_default()
    };
    match action {
        "create" => "Added".into(),
        "sign" => "Signed".into(),
        "update" => {
            let (bp, ap) = (get(before, "progress"), get(after, "progress"));
            if bp != ap {
                format!("Progress changed from {bp} to {ap}")
            } else if get(before, "authority_comments") != get(after, "authority_comments") {
                "The commissioning team's comments changed".into()
            } else {
                "Provider comments changed".into()
            }
        }
        other => other.to_string(),
    }
}

#[derive(Deserialize, Default)]
struct DocQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn document_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<DocQuery>,
) -> Page {
    let notice = match q.done.as_deref() {
        Some("signed") => Some("Document signed"),
        Some("saved") => Some("Saved"),
        _ => None,
    };
    document_view(&state, &ctx, id, &FieldErrors::new(), notice).await
}

async fn document_file(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let (d, bytes) = state.app.document_file(&ctx.principal, id).await?;
    Ok(layout::download("application/pdf", &d.filename, bytes))
}

#[derive(Deserialize, Default)]
struct DocForm {
    #[serde(default)]
    progress: String,
    #[serde(default)]
    provider_comments: String,
    #[serde(default)]
    authority_comments: String,
    #[serde(default)]
    password: String,
}

async fn document_progress(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DocForm>,
) -> Page {
    let saved = match DocumentProgress::parse(&f.progress).for_field("progress") {
        Ok(progress) => {
            state
                .app
                .set_document_progress(&ctx.principal, id, progress)
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(see_other(&format!("/documents/{id}?done=saved"))),
        Err(AppError::Invalid(errors)) => document_view(&state, &ctx, id, &errors, None).await,
        Err(e) => Err(e.into()),
    }
}

async fn document_team_comments(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DocForm>,
) -> Page {
    match state
        .app
        .set_document_team_comments(&ctx.principal, id, &f.authority_comments)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/documents/{id}?done=saved"))),
        Err(AppError::Invalid(errors)) => document_view(&state, &ctx, id, &errors, None).await,
        Err(e) => Err(e.into()),
    }
}

/// The document types to choose from.
fn document_types() -> Vec<(String, String)> {
    DocumentType::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), t.label().to_string()))
        .collect()
}

/// "Contract variation" for "variation"; an unknown stored type shows as it is.
fn type_label(code: &str) -> String {
    DocumentType::parse(code)
        .map(|t| t.label().to_string())
        .unwrap_or_else(|_| code.to_string())
}

async fn document_comments(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DocForm>,
) -> Page {
    match state
        .app
        .set_document_comments(&ctx.principal, id, &f.provider_comments)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/documents/{id}?done=saved"))),
        Err(AppError::Invalid(errors)) => document_view(&state, &ctx, id, &errors, None).await,
        Err(e) => Err(e.into()),
    }
}

async fn document_sign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DocForm>,
) -> Page {
    match state
        .app
        .sign_document(&ctx.principal, id, &f.password)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/documents/{id}?done=signed"))),
        Err(AppError::Invalid(errors)) => document_view(&state, &ctx, id, &errors, None).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------- contacts ----------------

fn provider_id_of(ctx: &Ctx) -> i64 {
    match &ctx.principal {
        Principal::Provider { provider_id, .. } => *provider_id,
        Principal::Staff { .. } | Principal::System { .. } | Principal::Host { .. } => 0,
    }
}

async fn contacts_page(State(state): State<AppState>, ctx: Ctx) -> Page {
    let (contacts, assignments) = state
        .app
        .contacts(&ctx.principal, provider_id_of(&ctx))
        .await?;
    let mut texts = Vec::new();
    for a in &assignments {
        texts.push((a.contact_id, state.app.assignment_text(a).await?));
    }
    let body = html! {
        h1 class="govuk-heading-l" { "Contacts" }
        p class="govuk-body" { "Changes to contacts, their assignments and logins go to the commissioning team as requests." }
        a class="govuk-button" href="/contacts/new" { "Add a contact" }
        (crate::layout::scrolling_table("Contacts", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Name" } th class="govuk-table__header" { "Position" } th class="govuk-table__header" { "Assignments" } th class="govuk-table__header" { "Status" }
            } }
            tbody class="govuk-table__body" {
                @for c in &contacts {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { a class="govuk-link" href={ "/contacts/" (c.id) } { (c.full_name()) } }
                        td class="govuk-table__cell" { (PositionType::parse(&c.position_type).map(|p| p.label()).unwrap_or("")) }
                        td class="govuk-table__cell" { @for (_, t) in texts.iter().filter(|(cid, _)| *cid == c.id) { (t) br; } }
                        td class="govuk-table__cell" { @if c.active != 0 { "Current" } @else { "Inactive" } }
                    }
                }
            }
        } }))
    };
    Ok(render(Some(&ctx), "Contacts", body))
}

fn contact_fields(f: &ContactInput, errors: &FieldErrors) -> Markup {
    let positions: Vec<(String, String)> = PositionType::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), p.label().to_string()))
        .collect();
    let others: Vec<(&str, &str)> = PositionType::ALL
        .iter()
        .map(|p| (p.as_str(), p.label()))
        .collect();
    let text = |name: &str, label: &str, value: &str, width: Option<&'static str>| {
        layout::input(
            name,
            label,
            value,
            errors,
            Opt {
                width,
                ..Default::default()
            },
        )
    };
    let tel = |name: &str, label: &str, value: &str| {
        layout::input(
            name,
            label,
            value,
            errors,
            Opt {
                kind: Some("tel"),
                width: Some("20"),
                ..Default::default()
            },
        )
    };
    html! {
        (text("title", "Title", &f.title, Some("5")))
        (layout::input("first_name", "First name", &f.first_name, errors, Opt { required: true, width: Some("20"), ..Default::default() }))
        (layout::input("last_name", "Last name", &f.last_name, errors, Opt { required: true, width: Some("20"), ..Default::default() }))
        (text("job_title", "Job title", &f.job_title, None))
        (layout::select("position_type", "Main position", &positions, &f.position_type, errors, true))
        (layout::code_checkboxes("other_positions", "Other positions (select all that apply)", &others, &f.other_positions, errors))
        (layout::input("email", "Email address", &f.email, errors, Opt { kind: Some("email"), ..Default::default() }))
        (tel("phone", "Telephone", &f.phone))
        (tel("mobile", "Mobile", &f.mobile))
        (tel("fax", "Fax", &f.fax))
        (tel("pager", "Pager", &f.pager))
        (layout::input("web_address", "Web address", &f.web_address, errors, Opt { kind: Some("url"), hint: Some("Starting with https://"), ..Default::default() }))
        fieldset class="govuk-fieldset" {
            legend class="govuk-fieldset__legend govuk-fieldset__legend--m" { "Address" }
            (text("address_line1", "Address line 1", &f.address_line1, None))
            (text("address_line2", "Address line 2", &f.address_line2, None))
            (text("address_line3", "Address line 3", &f.address_line3, None))
            (text("address_line4", "Address line 4", &f.address_line4, None))
            (text("town", "Town or city", &f.town, Some("20")))
            (text("postcode", "Postcode", &f.postcode, Some("10")))
            (layout::input("uprn", "UPRN", &f.uprn, errors, Opt { width: Some("20"), hint: Some("Unique Property Reference Number, up to 12 digits"), ..Default::default() }))
            (layout::input("usrn", "USRN", &f.usrn, errors, Opt { width: Some("10"), hint: Some("Unique Street Reference Number, up to 8 digits"), ..Default::default() }))
            (layout::textarea("directions", "Directions", &f.directions, errors, false))
        }
        (layout::radios("disabled_access", "Disabled access at this address", &[
            ("yes", "Yes", None),
            ("no", "No", None),
            ("", "Not known", None),
        ], &f.disabled_access, errors))
        (layout::checkbox("confidential", "Confidential", f.confidential == "yes", Some("The contact's details are not to be passed on outside the commissioning team")))
        (layout::textarea("comment", "Request comment", &f.comment, errors, false))
    }
}

/// The contact form as posted: one value per field, and a code per ticked "other
/// positions" box, joined with commas.
fn contact_input(pairs: &[(String, String)]) -> ContactInput {
    let mut map = serde_json::Map::new();
    let mut others = Vec::new();
    for (k, v) in pairs {
        if k == "other_positions" {
            others.push(v.trim().to_string());
        } else if k != "csrf" {
            map.insert(k.clone(), serde_json::Value::String(v.clone()));
        }
    }
    map.insert(
        "other_positions".into(),
        serde_json::Value::String(others.join(",")),
    );
    serde_json::from_value(serde_json::Value::Object(map)).unwrap_or_default()
}

/// A contact's details as a summary list.
fn contact_summary(f: &ContactInput) -> Markup {
    let position = |code: &str| PositionType::parse(code).map(|p| p.label()).unwrap_or("");
    let others = f
        .other_positions
        .split(',')
        .filter(|s| !s.is_empty())
        .map(position)
        .collect::<Vec<_>>()
        .join(", ");
    let address: Vec<&str> = [
        &f.address_line1,
        &f.address_line2,
        &f.address_line3,
        &f.address_line4,
        &f.town,
        &f.postcode,
    ]
    .into_iter()
    .map(|s| s.as_str())
    .filter(|s| !s.is_empty())
    .collect();
    // The summary list leaves out a field with nothing recorded (no blank rows).
    let rows: Vec<(&str, Markup)> = vec![
        ("Job title", html! { (f.job_title) }),
        ("Main position", html! { (position(&f.position_type)) }),
        ("Other positions", html! { (others) }),
        ("Email", html! { (f.email) }),
        ("Telephone", html! { (f.phone) }),
        ("Mobile", html! { (f.mobile) }),
        ("Fax", html! { (f.fax) }),
        ("Pager", html! { (f.pager) }),
        ("Web address", html! { (f.web_address) }),
        (
            "Address",
            html! { @for (i, l) in address.iter().enumerate() { @if i > 0 { br; } (l) } },
        ),
        ("UPRN", html! { (f.uprn) }),
        ("USRN", html! { (f.usrn) }),
        ("Directions", html! { (f.directions) }),
        (
            "Disabled access",
            html! { @match f.disabled_access.as_str() { "yes" => "Yes", "no" => "No", _ => "Not known" } },
        ),
        (
            "Confidential",
            html! { @if f.confidential == "yes" { "Yes" } @else { "No" } },
        ),
    ];
    layout::summary_list(&rows)
}

async fn contact_new_view(ctx: &Ctx, f: &ContactInput, errors: &FieldErrors) -> Page {
    let body = html! {
        (layout::back_link("/contacts"))
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            (error_summary(errors))
            h1 class="govuk-heading-l" { "Add a contact" }
            form method="post" action="/contacts/new" novalidate { (csrf(&ctx.csrf)) (contact_fields(f, errors)) (button("Send request")) }
        } }
    };
    let r = render(Some(ctx), "Add a contact", body);
    Ok(if errors.is_empty() { r } else { invalid(r) })
}

async fn contact_new(ctx: Ctx) -> Page {
    contact_new_view(&ctx, &ContactInput::default(), &FieldErrors::new()).await
}

async fn contact_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    let f = contact_input(&pairs);
    match state.app.request_contact_add(&ctx.principal, &f).await {
        Ok(r) => Ok(see_other(&format!("/requests/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => contact_new_view(&ctx, &f, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn contact_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    f: Option<&ContactInput>,
    errors: &FieldErrors,
    problem: Option<String>,
) -> Page {
    let c = state.app.contact_of(&ctx.principal, id).await?;
    let held = state.app.contact_assignments_of(&ctx.principal, id).await?;
    let mut held_text = Vec::new();
    for a in &held {
        held_text.push((a.id, state.app.assignment_text(a).await?));
    }
    let mut scopes: Vec<(String, String)> = vec![("org".into(), "The organisation".into())];
    let services = state.app.service_choices(&ctx.principal).await?;
    scopes.extend(
        services
            .into_iter()
            .map(|s| (format!("service:{}", s.id), format!("Service: {}", s.name))),
    );
    let contracts = state
        .app
        .list_contracts(&ctx.principal, &Default::default())
        .await?;
    scopes.extend(contracts.items.into_iter().map(|k| {
        (
            format!("contract:{}", k.id),
            format!("Contract: {}", k.reference),
        )
    }));
    let kinds: Vec<(String, String)> = Assignment::ALL
        .iter()
        .map(|a| (a.as_str().to_string(), a.label().to_string()))
        .collect();
    let current = ContactInput::of(&c);
    let f = f.unwrap_or(&current);
    let body = html! {
        (layout::back_link("/contacts"))
        @if let Some(p) = &problem {
            div class="govuk-error-summary" data-module="govuk-error-summary" { div role="alert" {
                h2 class="govuk-error-summary__title" { "There is a problem" }
                div class="govuk-error-summary__body" { p class="govuk-body" data-testid="problem" { (p) } }
            } }
        }
        (error_summary(errors))
        h1 class="govuk-heading-l" { (c.full_name()) @if c.active == 0 { " (inactive)" } }
        div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
            h2 class="govuk-heading-m" { "Assignments" }
            @if held_text.is_empty() { p class="govuk-body" { "None." } }
            ul class="govuk-list" {
                @for (aid, t) in &held_text {
                    li {
                        (t) " "
                        form method="post" action={ "/contacts/" (id) "/assignments/" (aid) "/remove" } class="govuk-!-display-inline" {
                            (csrf(&ctx.csrf))
                            button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" { "Request removal" }
                        }
                    }
                }
            }
            form method="post" action={ "/contacts/" (id) "/assignments" } novalidate {
                (csrf(&ctx.csrf))
                (layout::select("assignment", "Assignment", &kinds, "", errors, true))
                (layout::select("scope", "For", &scopes, "org", errors, true))
                button type="submit" class="govuk-button govuk-button--secondary" { "Request assignment" }
            }
            h2 class="govuk-heading-m" { "Details" }
            (contact_summary(&current))
            details class="govuk-details" open[!errors.is_empty()] {
                summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "Ask for a change to these details" } }
                div class="govuk-details__text" {
                    form method="post" action={ "/contacts/" (id) } novalidate { (csrf(&ctx.csrf)) (contact_fields(f, errors)) (button("Send change request")) }
                }
            }
            @if c.active != 0 {
                h2 class="govuk-heading-m" { "Login and leaving" }
                form method="post" action={ "/contacts/" (id) "/login" } class="govuk-!-display-inline-block govuk-!-margin-right-2" {
                    (csrf(&ctx.csrf))
                    button type="submit" class="govuk-button govuk-button--secondary" { "Request a login for this contact" }
                }
                form method="post" action={ "/contacts/" (id) "/deactivate" } class="govuk-!-display-inline-block" {
                    (csrf(&ctx.csrf))
                    button type="submit" class="govuk-button govuk-button--warning" data-testid="deactivate" { "Request deactivation" }
                }
            }
        } }
    };
    let r = render(Some(ctx), &c.full_name(), body);
    Ok(if errors.is_empty() && problem.is_none() {
        r
    } else {
        invalid(r)
    })
}

async fn contact_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    contact_view(&state, &ctx, id, None, &FieldErrors::new(), None).await
}

async fn after_request(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    r: Result<hearth_app::requests::Request, AppError>,
    f: Option<&ContactInput>,
) -> Page {
    match r {
        Ok(r) => Ok(see_other(&format!("/requests/{}?sent=1", r.id))),
        Err(AppError::Invalid(errors)) => contact_view(state, ctx, id, f, &errors, None).await,
        Err(AppError::Conflict(_, msg)) => {
            contact_view(state, ctx, id, f, &FieldErrors::new(), Some(msg)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn contact_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    let f = contact_input(&pairs);
    let r = state.app.request_contact_edit(&ctx.principal, id, &f).await;
    after_request(&state, &ctx, id, r, Some(&f)).await
}

#[derive(Deserialize, Default)]
struct CommentForm {
    #[serde(default)]
    comment: String,
}

async fn contact_deactivate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> Page {
    let r = state
        .app
        .request_contact_deactivate(&ctx.principal, id, &f.comment)
        .await;
    after_request(&state, &ctx, id, r, None).await
}

async fn assignment_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<AssignmentInput>,
) -> Page {
    let r = state
        .app
        .request_assignment_add(&ctx.principal, id, &f)
        .await;
    after_request(&state, &ctx, id, r, None).await
}

async fn assignment_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, aid)): Path<(i64, i64)>,
) -> Page {
    let r = state
        .app
        .request_assignment_remove(&ctx.principal, id, aid)
        .await;
    after_request(&state, &ctx, id, r, None).await
}

async fn login_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> Page {
    let r = state
        .app
        .request_login(&ctx.principal, id, &f.comment)
        .await;
    after_request(&state, &ctx, id, r, None).await
}
