//! The analysis across services and a service's indicators over time (F4.7).

#[allow(unused_imports)]
use super::*;

/// A small line chart of an indicator's figures (0 to 100 per cent) with its trigger, as SVG
/// (no script; the figures are also in the table beside it).
pub(super) fn chart(
    title: &str,
    values: &[Option<f64>],
    labels: &[String],
    trigger: Option<hearth_domain::performance::Threshold>,
) -> Markup {
    let (w, h, pad) = (360.0f64, 160.0f64, 30.0f64);
    let n = values.len().max(2) as f64;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n - 1.0);
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v.clamp(0.0, 100.0) / 100.0);
    let points: Vec<(f64, f64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (x(i), y(v), v)))
        .collect();
    let path = points
        .iter()
        .map(|(px, py, _)| format!("{px:.1},{py:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        figure class="govuk-!-margin-0 govuk-!-margin-bottom-4" {
            svg width=(w) height=(h) viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) {
                title { (title) }
                line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#505a5f" {}
                line x1=(pad) y1=(pad) x2=(pad) y2=(h - pad) stroke="#505a5f" {}
                text x="2" y=(y(100.0) + 4.0) font-size="10" { "100" }
                text x="10" y=(y(0.0) + 4.0) font-size="10" { "0" }
                @if let Some(t) = trigger.map(|t| t.value()) {
                    line x1=(pad) y1=(y(t)) x2=(w - pad) y2=(y(t)) stroke="#d4351c" stroke-dasharray="4 3" {}
                    text x=(w - pad - 60.0) y=(y(t) - 4.0) font-size="10" fill="#d4351c" { "trigger " (t) }
                }
                polyline points=(path) fill="none" stroke="#1d70b8" stroke-width="2" {}
                @for (px, py, v) in &points {
                    circle cx=(px) cy=(py) r="3" fill=(if trigger.is_some_and(|t| t.breached_by(*v)) { "#d4351c" } else { "#1d70b8" }) {}
                }
                @for (i, l) in labels.iter().enumerate() {
                    text x=(x(i) - 18.0) y=(h - 10.0) font-size="10" { (l) }
                }
            }
            figcaption class="govuk-body-s" { (title) }
        }
    }
}

pub(super) async fn service_analysis(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Page {
    let service = state.app.service(&ctx.principal, id).await?;
    let data = state.app.service_analysis(&ctx.principal, id).await?;
    let labels: Vec<String> = data
        .iter()
        .map(|(q, _)| format!("Q{} {}", q.number(), &q.year().label()[2..4]))
        .collect();
    // Each indicator with the name people read (the code once: "KPI 2: ...").
    let indicators: Vec<(hearth_domain::performance::Indicator, String)> = data
        .iter()
        .find_map(|(_, v)| v.as_ref())
        .map(|v| {
            v.indicators
                .iter()
                .map(|f| (f.indicator.clone(), f.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    let body = html! {
        (layout::back_link(&format!("/services/{id}/returns")))
        span class="govuk-caption-l" { (service.name) }
        h1 class="govuk-heading-l" { "Indicators over the last twelve months" }
        @if indicators.is_empty() { p class="govuk-body" { "No accepted returns in the last twelve months yet." } }
        @for (ind, name) in &indicators {
            @let values: Vec<Option<f64>> = data.iter().map(|(_, v)| v.as_ref().and_then(|v| v.indicators.iter().find(|f| &f.indicator == ind).and_then(|f| f.value))).collect();
            @let trigger = data.iter().rev().find_map(|(_, v)| v.as_ref().and_then(|v| v.indicators.iter().find(|f| &f.indicator == ind).and_then(|f| f.trigger.as_ref().map(|t| t.threshold))));
            h2 class="govuk-heading-s" { (name) }
            (chart(&format!("{} by quarter", ind.short_label()), &values, &labels, trigger))
            (crate::layout::scrolling_table(name, html! { table class="govuk-table" {
                tbody class="govuk-table__body" {
                    tr class="govuk-table__row" { @for l in &labels { th class="govuk-table__header" { (l) } } }
                    tr class="govuk-table__row" { @for v in &values { td class="govuk-table__cell" { @match v { Some(v) => (ind.unit().format(*v)), None => "–" } } } }
                }
            } }))
        }
    };
    Ok(render(Some(&ctx), "Indicators", body))
}

#[derive(Deserialize, Default)]
pub(super) struct ByQuery {
    #[serde(default)]
    by: Option<String>,
}

pub(super) fn by_of(q: &ByQuery) -> AnalysisGrouping {
    AnalysisGrouping::or_default(q.by.as_deref())
}

pub(super) async fn analysis(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ByQuery>,
) -> Page {
    let by = by_of(&q);
    let (quarters, rows) = state.app.analysis(&ctx.principal, by).await?;
    let body = html! {
        h1 class="govuk-heading-l" { "Performance analysis" }
        p class="govuk-body" {
            "Average of accepted returns over the last twelve months, by "
            @for g in AnalysisGrouping::ALL {
                @let label = g.label().to_lowercase();
                @if *g == by { strong { (label) } } @else { a class="govuk-link" href={ "/returns/analysis?by=" (g.as_str()) } { (label) } } " "
            }
        }
        p class="govuk-body" { "Download: " a class="govuk-link" href={ "/returns/analysis.csv?by=" (by.as_str()) } { "CSV" } " · " a class="govuk-link" href={ "/returns/analysis.xlsx?by=" (by.as_str()) } { "XLSX" } }
        (crate::layout::scrolling_table("Analysis", html! { table class="govuk-table" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th class="govuk-table__header" { "Group" } th class="govuk-table__header" { "Indicator" }
                @for q in &quarters { th class="govuk-table__header" { (q.label()) } }
                th class="govuk-table__header" { "Trend" }
            } }
            tbody class="govuk-table__body" {
                @for r in &rows {
                    tr class="govuk-table__row" {
                        td class="govuk-table__cell" { (r.group) }
                        td class="govuk-table__cell" { (r.indicator.short_label()) }
                        @for v in &r.values {
                            td class="govuk-table__cell" {
                                @match v {
                                    Some(v) if r.trigger.is_some_and(|t| t.breached_by(*v)) => { span class="hearth-breach" { (r.indicator.unit().format(*v)) } " " strong class="govuk-tag govuk-tag--red" { (r.trigger.map(|t| t.breach_word()).unwrap_or_default()) } }
                                    Some(v) => (r.indicator.unit().format(*v)),
                                    None => "–",
                                }
                            }
                        }
                        td class="govuk-table__cell" { (r.trend()) }
                    }
                }
            }
        } }))
    };
    Ok(render(Some(&ctx), "Performance analysis", body))
}

pub(super) async fn analysis_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ByQuery>,
) -> Page {
    let (quarters, rows) = state.app.analysis(&ctx.principal, by_of(&q)).await?;
    let mut header = vec!["group".to_string(), "indicator".to_string()];
    header.extend(quarters.iter().map(|q| q.label()));
    header.push("trend".into());
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![r.group.clone(), r.indicator.code().to_string()];
            v.extend(
                r.values
                    .iter()
                    .map(|v| v.map(|v| v.to_string()).unwrap_or_default()),
            );
            v.push(r.trend().to_string());
            v
        })
        .collect();
    layout::csv_download("analysis.csv", &header, &rows)
}

pub(super) async fn analysis_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ByQuery>,
) -> Page {
    let (quarters, rows) = state.app.analysis(&ctx.principal, by_of(&q)).await?;
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![r.group.clone(), r.indicator.short_label().to_string()];
            v.extend(
                r.values
                    .iter()
                    .map(|x| x.map(|x| x.to_string()).unwrap_or_default()),
            );
            v.push(r.trend().to_string());
            v
        })
        .collect();
    let mut header = vec!["Group".to_string(), "Indicator".to_string()];
    header.extend(quarters.iter().map(|q| q.label()));
    header.push("Trend".into());
    Ok(
        match hearth_docs::workbook::table_xlsx("Analysis", &header, &table) {
            Ok(bytes) => layout::download(XLSX, "analysis.xlsx", bytes),
            Err(e) => return Err(WebError::from(AppError::Internal(e))),
        },
    )
}
