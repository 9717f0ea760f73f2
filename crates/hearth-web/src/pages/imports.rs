//! The administrator's import and export of records (issue 11): the templates to download,
//! the authority's records in them, and an upload that is checked (the dry run, with every
//! problem by file, line, column and reason) before it can be imported as a job run.

use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use hearth_app::import::{ImportReport, InFile, Template, TEMPLATES};
use hearth_app::{AppError, FieldErrors, Permission};
use maud::{html, Markup};

use crate::error::{Page, WebError};
use crate::layout::{self, csrf, error_summary, render, see_other};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

const ADMIN: Access = Access::Signed(Permission::Administer);

pub fn register(t: &mut RouteTable) {
    t.get("/admin/records", ADMIN, get(records));
    t.get("/admin/records/templates/{file}", ADMIN, get(template_file));
    t.get("/admin/records/export/{file}", ADMIN, get(export_file));
    t.post("/admin/records/upload", ADMIN, post(upload));
    t.get("/admin/records/uploads/{batch}", ADMIN, get(batch_view));
    t.get(
        "/admin/records/uploads/{batch}/problems.csv",
        ADMIN,
        get(batch_problems),
    );
    t.post(
        "/admin/records/uploads/{batch}/import",
        ADMIN,
        post(batch_import),
    );
}

/// `providers.csv` → (the template, whether XLSX).
fn template_of(file: &str) -> Option<(&'static Template, bool)> {
    let (stem, xlsx) = if let Some(s) = file.strip_suffix(".csv") {
        (s, false)
    } else {
        (file.strip_suffix(".xlsx")?, true)
    };
    TEMPLATES.iter().find(|t| t.name == stem).map(|t| (t, xlsx))
}

fn page(ctx: &Ctx, errors: &FieldErrors) -> Response {
    let body = html! {
        (layout::back_link("/home"))
        (error_summary(errors))
        h1 class="govuk-heading-l" { "Import and export records" }
        p class="govuk-body" { "Load the records your authority already holds in another system: providers, services, properties, contracts, clients and their schedules with their history. Fill in one template for each kind of record, keeping its first row, and upload them together. Hearth checks every row with the same rules as its forms before anything is saved, and lists every problem with its file, line and column." }
        p class="govuk-body" { "Each row keeps its reference from the old system, so uploading the same files again adds nothing. Files larger than 10 MB are loaded by your IT team with " code { "hearth import records" } "." }
        h2 class="govuk-heading-m" { "Templates" }
        table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Records" }
                th scope="col" class="govuk-table__header" { "Columns" }
                th scope="col" class="govuk-table__header" { "Empty template" }
                th scope="col" class="govuk-table__header" { "Your records" }
            } }
            tbody class="govuk-table__body" {
                @for t in &TEMPLATES {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (t.title) }
                        td class="govuk-table__cell" {
                            @for (i, c) in t.columns.iter().enumerate() {
                                @if i > 0 { ", " }
                                code { (c.name) } @if c.required { " (required)" }
                            }
                        }
                        td class="govuk-table__cell" {
                            a class="govuk-link" href={ "/admin/records/templates/" (t.name) ".csv" } { "CSV" span class="govuk-visually-hidden" { " template for " (t.title.to_lowercase()) } }
                            " · "
                            a class="govuk-link" href={ "/admin/records/templates/" (t.name) ".xlsx" } { "XLSX" span class="govuk-visually-hidden" { " template for " (t.title.to_lowercase()) } }
                        }
                        td class="govuk-table__cell" {
                            a class="govuk-link" href={ "/admin/records/export/" (t.name) ".csv" } { "CSV" span class="govuk-visually-hidden" { " export of your " (t.title.to_lowercase()) } }
                            " · "
                            a class="govuk-link" href={ "/admin/records/export/" (t.name) ".xlsx" } { "XLSX" span class="govuk-visually-hidden" { " export of your " (t.title.to_lowercase()) } }
                        }
                    }
                }
            }
        }
        p class="govuk-body" { "The operations guide describes every column." }
        h2 class="govuk-heading-m" { "Upload files to import" }
        @if ctx.principal.has(Permission::BackOfficeWrite) {
            form method="post" action="/admin/records/upload" enctype="multipart/form-data" novalidate {
                (csrf(&ctx.csrf))
                @let err = errors.get("files");
                div class={ "govuk-form-group" @if err.is_some() { " govuk-form-group--error" } } {
                    label class="govuk-label govuk-label--s" for="files" { "The filled-in templates" }
                    div id="files-hint" class="govuk-hint" { "CSV or XLSX, up to 12 files, in any order. Nothing is imported yet: the next page shows what Hearth found." }
                    @if let Some(e) = err { p id="files-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error:" } " " (e) } }
                    input class={ "govuk-file-upload" @if err.is_some() { " govuk-file-upload--error" } } id="files" name="files" type="file" multiple accept=".csv,.xlsx" aria-describedby={ "files-hint" @if err.is_some() { " files-error" } };
                }
                (layout::button("Check the files"))
            }
        }
    };
    let mut r = render(Some(ctx), "Import and export records", body);
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn records(ctx: Ctx) -> Page {
    Ok(page(&ctx, &FieldErrors::new()))
}

async fn template_file(Path(file): Path<String>) -> Page {
    let Some((t, xlsx)) = template_of(&file) else {
        return Err(AppError::NotFound.into());
    };
    Ok(download(t, xlsx, t.file(&[], xlsx)?))
}

/// A template's file to download.
fn download(t: &Template, xlsx: bool, bytes: Vec<u8>) -> Response {
    layout::download(
        if xlsx {
            layout::XLSX
        } else {
            "text/csv; charset=utf-8"
        },
        &t.file_name(xlsx),
        bytes,
    )
}

async fn export_file(State(state): State<AppState>, ctx: Ctx, Path(file): Path<String>) -> Page {
    let Some((t, xlsx)) = template_of(&file) else {
        return Err(AppError::NotFound.into());
    };
    let bytes = state
        .app
        .export_records_file(&ctx.principal, ctx.principal.authority_id(), t.kind, xlsx)
        .await?;
    Ok(download(t, xlsx, bytes))
}

async fn upload(State(state): State<AppState>, ctx: Ctx, mut mp: Multipart) -> Page {
    let mut files = Vec::new();
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let filename = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| {
                    WebError::from(AppError::invalid(
                        "files",
                        "The files could not be read: together they may be larger than 10 MB",
                    ))
                })?;
                if name == "files" && !filename.is_empty() {
                    files.push(InFile {
                        name: filename,
                        bytes: bytes.to_vec(),
                    });
                }
            }
            Ok(None) => break,
            Err(_) => {
                let mut e = FieldErrors::new();
                e.add(
                    "files",
                    "The upload could not be read: together the files may be larger than 10 MB",
                );
                return Ok(page(&ctx, &e));
            }
        }
    }
    match state.app.upload_import(&ctx.principal, &files).await {
        Ok(batch) => Ok(see_other(&format!("/admin/records/uploads/{batch}"))),
        Err(AppError::Invalid(e)) => Ok(page(&ctx, &e)),
        Err(e) => Err(e.into()),
    }
}

fn report_tables(r: &ImportReport) -> Markup {
    html! {
        table class="govuk-table" {
            caption class="govuk-table__caption govuk-table__caption--m" { "Files" }
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "File" }
                th scope="col" class="govuk-table__header" { "Template" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Rows" }
            } }
            tbody class="govuk-table__body" {
                @for f in &r.files {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (f.name) }
                        td class="govuk-table__cell" {
                            @match f.template {
                                Some(t) => (TEMPLATES.iter().find(|x| x.name == t).map(|x| x.title).unwrap_or(t)),
                                None => strong class="govuk-tag govuk-tag--red" { "Not a template" },
                            }
                        }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (f.rows) }
                    }
                }
            }
        }
        table class="govuk-table" {
            caption class="govuk-table__caption govuk-table__caption--m" { "Records" }
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Records" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Rows" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "New" }
                th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Already in Hearth" }
            } }
            tbody class="govuk-table__body" {
                @for c in &r.counts {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (Template::of(c.kind).title) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (c.rows) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (c.new) }
                        td class="govuk-table__cell govuk-table__cell--numeric" { (c.already) }
                    }
                }
            }
        }
    }
}

/// The most problems listed on the page (the CSV has them all).
const SHOWN_PROBLEMS: usize = 200;

async fn batch_view(State(state): State<AppState>, ctx: Ctx, Path(batch): Path<String>) -> Page {
    let r = state
        .app
        .import_batch_dry_run(&ctx.principal, &batch)
        .await?;
    let new: usize = r.counts.iter().map(|c| c.new).sum();
    let body = html! {
        (layout::back_link("/admin/records"))
        h1 class="govuk-heading-l" { "Check the files" }
        @if r.problems.is_empty() && new > 0 {
            div class="govuk-inset-text" { "No problems found. Nothing has been saved yet: import the records when the numbers below are what you expect." }
        } @else if r.problems.is_empty() {
            div class="govuk-inset-text" { "Every record in these files is already in Hearth: there is nothing to import." }
        } @else {
            div class="govuk-error-summary" data-module="govuk-error-summary" {
                div role="alert" {
                    h2 class="govuk-error-summary__title" { (hearth_domain::text::plural(r.problems.len(), "problem", "problems")) " found: nothing can be imported yet" }
                    div class="govuk-error-summary__body" {
                        p class="govuk-body" { "Correct them in your files and upload them again. " a class="govuk-link" href={ "/admin/records/uploads/" (batch) "/problems.csv" } { "Download every problem (CSV)" } }
                    }
                }
            }
        }
        (report_tables(&r))
        @if !r.problems.is_empty() {
            table class="govuk-table" {
                caption class="govuk-table__caption govuk-table__caption--m" {
                    "Problems"
                    @if r.problems.len() > SHOWN_PROBLEMS { " (the first " (SHOWN_PROBLEMS) ")" }
                }
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "File" }
                    th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Line" }
                    th scope="col" class="govuk-table__header" { "Column" }
                    th scope="col" class="govuk-table__header" { "Problem" }
                } }
                tbody class="govuk-table__body" {
                    @for p in r.problems.iter().take(SHOWN_PROBLEMS) {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (p.file) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { @if p.line > 0 { (p.line) } }
                            td class="govuk-table__cell" { (p.column) }
                            td class="govuk-table__cell" { (p.reason) }
                        }
                    }
                }
            }
        }
        @if r.problems.is_empty() && new > 0 && ctx.principal.has(Permission::BackOfficeWrite) {
            form method="post" action={ "/admin/records/uploads/" (batch) "/import" } novalidate {
                (csrf(&ctx.csrf))
                (layout::button("Import these records"))
            }
        }
        p class="govuk-body" { a class="govuk-link" href="/admin/records" { "Upload other files" } }
    };
    Ok(render(Some(&ctx), "Check the files", body))
}

async fn batch_problems(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(batch): Path<String>,
) -> Page {
    let r = state
        .app
        .import_batch_dry_run(&ctx.principal, &batch)
        .await?;
    Ok(layout::download(
        "text/csv; charset=utf-8",
        "import-problems.csv",
        r.problems_csv()?,
    ))
}

async fn batch_import(State(state): State<AppState>, ctx: Ctx, Path(batch): Path<String>) -> Page {
    let run = state.app.start_import_batch(&ctx.principal, &batch).await?;
    Ok(see_other(&format!("/runs/{}", run.id)))
}
