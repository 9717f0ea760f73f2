//! The GOV.UK date input at the web edge. A date is asked for in three boxes, `NAME-day`,
//! `NAME-month` and `NAME-year` ([`crate::layout::date_input`]); before any handler reads a
//! form or a query, this layer joins them into one field `NAME` = "day/month/year", which the
//! domain's `parse_date` reads with the date input's own messages ("Date must include a
//! month"). Every form keeps its one text field per date, so handlers, use cases and the API
//! (which sends ISO dates) are unchanged. All three boxes empty join to an empty field.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::session::{form_pairs, url_encode};

/// `pairs` with each complete set of date boxes joined into one field, or None when there are
/// none to join. Linear in the number of pairs (a hash of the keys), so a body of many
/// thousands of fields costs no more than reading it.
pub(crate) fn join(pairs: &[(String, String)]) -> Option<Vec<(String, String)>> {
    use std::collections::{HashMap, HashSet};
    let mut values: HashMap<&str, &str> = HashMap::new();
    for (k, v) in pairs {
        values.entry(k.as_str()).or_insert(v.as_str());
    }
    let mut joined = Vec::new();
    let mut bases: HashSet<&str> = HashSet::new();
    for (k, day) in pairs {
        let Some(base) = k.strip_suffix("-day") else {
            continue;
        };
        if bases.contains(base) {
            continue;
        }
        let (Some(month), Some(year)) = (
            values.get(format!("{base}-month").as_str()),
            values.get(format!("{base}-year").as_str()),
        ) else {
            continue;
        };
        let (day, month, year) = (day.trim(), month.trim(), year.trim());
        let v = if day.is_empty() && month.is_empty() && year.is_empty() {
            String::new()
        } else {
            format!("{day}/{month}/{year}")
        };
        bases.insert(base);
        joined.push((base.to_string(), v));
    }
    if joined.is_empty() {
        return None;
    }
    let part_of_a_date = |k: &str| {
        bases.contains(k)
            || ["-day", "-month", "-year"]
                .iter()
                .any(|suffix| k.strip_suffix(suffix).is_some_and(|b| bases.contains(b)))
    };
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !part_of_a_date(k))
        .cloned()
        .collect();
    out.extend(joined);
    Some(out)
}

fn encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The layer: joins date boxes in the query and in a urlencoded form body.
pub async fn join_date_boxes(req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    if let Some(q) = parts.uri.query().filter(|q| q.contains("-day=")) {
        if let Some(pairs) = join(&form_pairs(q.as_bytes())) {
            let uri = format!("{}?{}", parts.uri.path(), encode(&pairs));
            if let Ok(uri) = uri.parse::<Uri>() {
                parts.uri = uri;
            }
        }
    }
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return next.run(Request::from_parts(parts, body)).await;
    }
    // The body limit layer outside this one bounds what is read here.
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request was too large").into_response();
    };
    let has_boxes = bytes.windows(5).any(|w| w == b"-day=");
    let joined = if has_boxes {
        join(&form_pairs(&bytes))
    } else {
        None
    };
    let body = match joined {
        Some(pairs) => {
            let text = encode(&pairs);
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(text)
        }
        None => Body::from(bytes),
    };
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn three_boxes_become_one_field_and_other_fields_stay() {
        let got = join(&p(&[
            ("csrf", "t"),
            ("due_date-day", " 5 "),
            ("due_date-month", "11"),
            ("due_date-year", "2026"),
            ("title", "Visit"),
        ]))
        .unwrap();
        assert_eq!(
            got,
            p(&[("csrf", "t"), ("title", "Visit"), ("due_date", "5/11/2026")])
        );
    }

    #[test]
    fn empty_boxes_are_an_empty_field_and_a_missing_box_stays_visible() {
        let got = join(&p(&[("d-day", ""), ("d-month", ""), ("d-year", "")])).unwrap();
        assert_eq!(got, p(&[("d", "")]));
        let got = join(&p(&[("d-day", "5"), ("d-month", ""), ("d-year", "2026")])).unwrap();
        assert_eq!(got, p(&[("d", "5//2026")]));
        assert_eq!(
            hearth_domain::parse_date("5//2026").unwrap_err().message,
            "Date must include a month"
        );
    }

    #[test]
    fn a_field_sent_with_the_boxes_is_replaced_and_incomplete_sets_are_left_alone() {
        let got = join(&p(&[
            ("d", "1/1/2000"),
            ("d-day", "2"),
            ("d-month", "3"),
            ("d-year", "2027"),
        ]))
        .unwrap();
        assert_eq!(got, p(&[("d", "2/3/2027")]));
        assert_eq!(join(&p(&[("x-day", "2"), ("x-year", "2027")])), None);
        assert_eq!(join(&p(&[("q", "a-day")])), None);
    }

    /// A body of many boxes (the body limit allows a million) is joined in one pass: the
    /// first version looked each box's partners up by scanning every field, which made such
    /// a body take hours.
    #[test]
    fn many_boxes_are_joined_in_one_pass() {
        let mut pairs = Vec::new();
        for i in 0..100_000 {
            pairs.push((format!("d{i}-day"), "1".to_string()));
            pairs.push((format!("d{i}-month"), "2".to_string()));
            pairs.push((format!("d{i}-year"), "2027".to_string()));
        }
        let got = join(&pairs).unwrap();
        assert_eq!(got.len(), 100_000);
        assert_eq!(got[99_999], ("d99999".to_string(), "1/2/2027".to_string()));
    }
}
