//! What the staff lists share (issue 10, journey 6): column headers that sort, a filter by
//! responsible officer, and downloads of the whole filtered list as CSV or XLSX.

#[allow(unused_imports)]
use super::*;
use hearth_app::officers::Officer;
use hearth_app::records::ListKind;

/// The address of a list with its filters and order (no page): what paging, sorting and the
/// downloads start from. `path` may already end in `.csv` or `.xlsx`.
pub(super) fn list_address(path: &str, q: &ListQuery, sort: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(s) = q.q.as_ref().filter(|s| !s.is_empty()) {
        parts.push(format!("q={}", crate::session::url_encode(s)));
    }
    if let Some(s) = q.status.as_ref().filter(|s| !s.is_empty()) {
        parts.push(format!("status={}", crate::session::url_encode(s)));
    }
    if let Some(p) = q.provider {
        parts.push(format!("provider={p}"));
    }
    if let Some(o) = q.officer.as_ref().filter(|s| !s.is_empty()) {
        parts.push(format!("officer={}", crate::session::url_encode(o)));
    }
    if let Some(s) = sort.filter(|s| !s.is_empty()) {
        parts.push(format!("sort={}", crate::session::url_encode(s)));
    }
    if parts.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

/// A column header that sorts the list by `name` (one of `kind`'s sorts): a link that sorts
/// ascending, or descending when the list is already sorted ascending by it, with
/// `aria-sort` saying how the list is sorted now.
pub(super) fn sort_header(
    path: &str,
    q: &ListQuery,
    kind: ListKind,
    name: &'static str,
    label: &str,
    numeric: bool,
) -> Markup {
    let now = q.sort_of(kind);
    let column = kind
        .sorts()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c);
    let default = kind.sorts().first().map(|(n, _)| *n) == Some(name);
    let (this, descending) = match now {
        Some(s) => (Some(s.column) == column, s.descending),
        None => (default, false),
    };
    let next = if this && !descending {
        format!("-{name}")
    } else {
        name.to_string()
    };
    let aria = match (this, descending) {
        (true, false) => "ascending",
        (true, true) => "descending",
        _ => "none",
    };
    html! {
        th scope="col" aria-sort=(aria) class={ "govuk-table__header" @if numeric { " govuk-table__header--numeric" } } {
            a class="govuk-link hearth-sort" href=(list_address(path, q, Some(&next))) {
                (label)
                @if this { span class="govuk-visually-hidden" { @if descending { " (sorted descending)" } @else { " (sorted ascending)" } } span aria-hidden="true" { @if descending { " ▼" } @else { " ▲" } } }
            }
        }
    }
}

/// The filter by responsible officer: anyone, me, or one named officer.
pub(super) fn officer_select(officers: &[Officer], q: &ListQuery) -> Markup {
    let chosen = q.officer.clone().unwrap_or_default();
    html! {
        div class="govuk-form-group" {
            label class="govuk-label" for="officer" { "Responsible officer" }
            select class="govuk-select" id="officer" name="officer" {
                option value="" { "Any officer" }
                option value="me" selected[chosen == "me"] { "Me" }
                @for o in officers {
                    option value=(o.id) selected[chosen == o.id.to_string()] { (o.name) }
                }
            }
        }
    }
}

/// Downloads of the whole list as filtered and sorted.
pub(super) fn downloads(path: &str, q: &ListQuery, what: &str) -> Markup {
    let sort = q.sort.as_deref();
    html! {
        p class="govuk-body" {
            "Download " (what) " as shown: "
            a class="govuk-link" href=(list_address(&format!("{path}.csv"), q, sort)) { "CSV" }
            " · "
            a class="govuk-link" href=(list_address(&format!("{path}.xlsx"), q, sort)) { "XLSX" }
        }
    }
}

/// The format of a download route.
#[derive(Clone, Copy)]
pub(super) enum Format {
    Csv,
    Xlsx,
}

/// A table to download in `format`.
pub(super) fn table_download(
    format: Format,
    name: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Page {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    match format {
        Format::Csv => layout::csv_download(&format!("{name}.csv"), &header, &rows),
        Format::Xlsx => layout::xlsx_download(&format!("{name}.xlsx"), name, &header, &rows),
    }
}

/// Officer choices for a filter, or none for a provider user (who has no filter).
pub(super) async fn officer_filter_choices(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Vec<Officer>, AppError> {
    if ctx.principal.is_staff() {
        state.app.officer_choices(&ctx.principal).await
    } else {
        Ok(Vec::new())
    }
}
