//! The job runs' status page: long work kept in the database, its status, progress and times
//! (in UK time). While a run shown is queued or running, the page refreshes itself every five
//! seconds with `<meta http-equiv="refresh">`, so it follows progress without JavaScript.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use hearth_app::runs::RunView;
use hearth_app::Permission;
use hearth_domain::runs::RunStatus;
use maud::{html, Markup};

use crate::error::Page;
use crate::layout::{self, csrf, see_other};
use crate::routes::{Access, RouteTable};
use crate::session::Ctx;
use crate::AppState;

/// Seconds between the page's own refreshes while a run is queued or running.
const REFRESH_SECONDS: u32 = 5;

pub fn register(t: &mut RouteTable) {
    // Every commissioning role sees its authority's runs (administrators the deployment's
    // too); the use cases scope them. Cancelling is an administrator's.
    let read = Access::Signed(Permission::BackOfficeRead);
    t.get("/runs", read, get(list));
    t.get("/runs/{id}", read, get(view));
    t.post(
        "/runs/{id}/cancel",
        Access::Signed(Permission::Administer),
        post(cancel),
    );
}

fn status_tag(s: RunStatus) -> Markup {
    let colour = match s {
        RunStatus::Queued => "govuk-tag--grey",
        RunStatus::Running => "",
        RunStatus::Done => "govuk-tag--green",
        RunStatus::Failed => "govuk-tag--red",
        RunStatus::Cancelled => "govuk-tag--yellow",
    };
    html! { strong class={ "govuk-tag " (colour) } { (s.label()) } }
}

/// The run's progress: a `<progress>` bar with the same figures in words beside it (the bar
/// alone says nothing to a screen reader that does not announce it).
fn progress(r: &RunView) -> Markup {
    let words = match (r.progress_total, r.percent()) {
        (Some(total), Some(p)) => format!("{} of {total} ({p}%)", r.progress_done),
        _ if r.progress_done > 0 => format!("{} done", r.progress_done),
        _ if r.status == RunStatus::Done => "Finished".to_string(),
        _ => "Not started".to_string(),
    };
    html! {
        @match r.progress_total {
            Some(total) if total > 0 => {
                progress class="hearth-progress" max=(total) value=(r.progress_done.clamp(0, total)) aria-label={ "Progress of run " (r.id) } { (words) }
            }
            _ if r.status == RunStatus::Running => {
                // No total yet: a bar without a value shows that work is going on.
                progress class="hearth-progress" aria-label={ "Progress of run " (r.id) } { (words) }
            }
            _ => {}
        }
        span class="govuk-body-s govuk-!-display-block" data-testid="run-progress" { (words) }
    }
}

fn when(t: Option<i64>) -> String {
    t.map(layout::when).unwrap_or_else(|| "–".to_string())
}

/// The page, refreshing itself while `active`.
fn render(ctx: &Ctx, title: &str, body: Markup, active: bool) -> Response {
    let mut page = layout::page(Some(ctx), title, body).into_string();
    if active {
        page = page.replacen(
            "<head>",
            &format!("<head><meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">"),
            1,
        );
    }
    Html(page).into_response()
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Page {
    let runs = state.app.runs(&ctx.principal).await?;
    let active = runs.iter().any(|r| r.status.is_active());
    let body = html! {
        h1 class="govuk-heading-l" { "Job runs" }
        p class="govuk-body" {
            "Long work Hearth does in the background: imports, backups, e-mail and the scheduled jobs. "
            "Times are UK time. "
            @if active { "This page updates itself every " (REFRESH_SECONDS) " seconds while work is queued or running." }
        }
        @if runs.is_empty() {
            p class="govuk-body" { "There are no runs yet." }
        } @else {
            (crate::layout::scrolling_table("Job runs", html! { table class="govuk-table" {
                caption class="govuk-table__caption govuk-table__caption--m" { "The newest runs" }
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Run" }
                    th scope="col" class="govuk-table__header" { "Work" }
                    th scope="col" class="govuk-table__header" { "Status" }
                    th scope="col" class="govuk-table__header" { "Progress" }
                    th scope="col" class="govuk-table__header" { "Started" }
                    th scope="col" class="govuk-table__header" { "Finished" }
                } }
                tbody class="govuk-table__body" {
                    @for r in &runs {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { a class="govuk-link" href={ "/runs/" (r.id) } { "Run " (r.id) } }
                            td class="govuk-table__cell" { (r.kind_label()) }
                            td class="govuk-table__cell" { (status_tag(r.status)) }
                            td class="govuk-table__cell" { (progress(r)) }
                            td class="govuk-table__cell" { (when(r.started_at)) }
                            td class="govuk-table__cell" { (when(r.finished_at)) }
                        }
                    }
                }
            } }))
        }
    };
    Ok(render(&ctx, "Job runs", body, active))
}

async fn view(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    let r = state.app.run(&ctx.principal, id).await?;
    let title = format!("Run {}: {}", r.id, r.kind_label());
    let outcome = match (&r.result, &r.error) {
        (_, Some(e)) => html! { (e) },
        (Some(v), None) => html! { code { (v.to_string()) } },
        (None, None) => html! { "–" },
    };
    let body = html! {
        (layout::back_link("/runs"))
        h1 class="govuk-heading-l" { (title) " " (status_tag(r.status)) }
        @if r.status.is_active() {
            p class="govuk-body" { "This page updates itself every " (REFRESH_SECONDS) " seconds until the run ends." }
        }
        (progress(&r))
        (layout::summary_list(&[
            ("Status", html! { (r.status.label()) }),
            ("Doing now", html! { (r.step.clone().unwrap_or_else(|| "–".to_string())) }),
            ("Asked for by", html! { (r.requested_by) }),
            ("Queued", html! { (layout::when(r.created_at)) }),
            ("Started", html! { (when(r.started_at)) }),
            ("Last heartbeat", html! { (when(r.heartbeat_at)) }),
            ("Finished", html! { (when(r.finished_at)) }),
            ("Node", html! { (r.lease_owner.clone().unwrap_or_else(|| "–".to_string())) }),
            ("Attempts", html! { (r.attempts) " of " (r.max_attempts) }),
            (if r.error.is_some() { "Error" } else { "Result" }, outcome),
        ]))
        @if r.status.is_active() && ctx.principal.has(Permission::Administer) {
            form method="post" action={ "/runs/" (r.id) "/cancel" } {
                (csrf(&ctx.csrf))
                button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button" { "Cancel this run" }
            }
        }
    };
    Ok(render(&ctx, &title, body, r.status.is_active()))
}

async fn cancel(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Page {
    state.app.cancel_run(&ctx.principal, id).await?;
    Ok(see_other(&format!("/runs/{id}")))
}
