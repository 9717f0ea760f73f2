//! The audit trail as people read it: which fields an entry changed (old → new) and record
//! types by name, rather than raw before/after JSON.

use serde_json::Value;

use crate::admin::AuditSearch;
use crate::{App, AppError, Principal};

/// One field an audit entry changed. `None` is "nothing" (the field was absent, empty or
/// null); nested values are named with dots ("address.postcode").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// An audit entry for the trail's page.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    /// The stored code ("client_schedule").
    pub record_type: String,
    /// Its name ("Client schedule").
    pub record_label: String,
    pub record_id: String,
    pub changes: Vec<FieldChange>,
}

/// Every record type the trail holds, as (code, name), in name order: the choices of the
/// trail's "record type" filter.
pub fn record_types() -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = hearth_store::RecordType::ALL
        .iter()
        .map(|t| (t.as_str(), record_label(t.as_str())))
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

/// "client_schedule" → "Client schedule"; "api_token" → "API token".
pub fn record_label(code: &str) -> String {
    let words = code.replace('_', " ");
    let words = match words.split_once(' ') {
        Some(("api", rest)) => format!("API {rest}"),
        _ if words == "api" => "API".to_string(),
        _ => words,
    };
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Option<String>)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), None)),
        Value::String(s) if s.is_empty() => out.push((prefix.to_string(), None)),
        Value::String(s) => out.push((prefix.to_string(), Some(s.clone()))),
        Value::Bool(b) => out.push((
            prefix.to_string(),
            Some(if *b { "yes" } else { "no" }.into()),
        )),
        // A time the store keeps as seconds since 1970 (created_at, decided_at, ...) reads
        // as people see times: UK time, with GMT or BST.
        Value::Number(n) if is_time_field(prefix) && n.as_i64().is_some() => out.push((
            prefix.to_string(),
            n.as_i64().map(hearth_domain::clock::display_time),
        )),
        other => out.push((prefix.to_string(), Some(other.to_string()))),
    }
}

/// Whether a stored field holds a time in seconds since 1970: the store names those `..._at`
/// (or `at`), except the few that hold something else.
fn is_time_field(path: &str) -> bool {
    let name = path.rsplit('.').next().unwrap_or(path);
    name == "at" || name.ends_with("_at")
}

fn fields(json: Option<&str>) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    match json.map(serde_json::from_str::<Value>) {
        Some(Ok(v @ Value::Object(_))) => flatten("", &v, &mut out),
        Some(Ok(v)) => flatten("value", &v, &mut out),
        // Not JSON (an old entry's free text): show it whole.
        Some(Err(_)) => out.push(("value".into(), json.map(str::to_string))),
        None => {}
    }
    out
}

/// The fields that differ between an entry's before and after, in the order they appear
/// (fields only before come last). A create lists every field set; a delete every field it
/// had.
pub fn field_changes(before: Option<&str>, after: Option<&str>) -> Vec<FieldChange> {
    let old = fields(before);
    let new = fields(after);
    let find = |list: &[(String, Option<String>)], k: &str| {
        list.iter()
            .find(|(f, _)| f == k)
            .and_then(|(_, v)| v.clone())
    };
    let mut out = Vec::new();
    for (k, v) in &new {
        let was = find(&old, k);
        if was != *v {
            out.push(FieldChange {
                field: k.clone(),
                old: was,
                new: v.clone(),
            });
        }
    }
    for (k, v) in &old {
        if v.is_some() && !new.iter().any(|(f, _)| f == k) {
            out.push(FieldChange {
                field: k.clone(),
                old: v.clone(),
                new: None,
            });
        }
    }
    out
}

impl App {
    /// The audit trail's entries as people read them (the same search and the same
    /// authorisation as [`App::audit_search`]).
    pub async fn audit_trail(
        &self,
        who: &Principal,
        q: AuditSearch,
    ) -> Result<Vec<AuditLine>, AppError> {
        let q = AuditSearch {
            record_type: q.record_type.map(|t| t.trim().to_lowercase()),
            ..q
        };
        Ok(self
            .audit_search(who, q)
            .await?
            .into_iter()
            .map(|e| AuditLine {
                changes: field_changes(e.before_json.as_deref(), e.after_json.as_deref()),
                record_label: record_label(&e.record_type),
                id: e.id,
                at: e.at,
                actor: e.actor,
                action: e.action,
                record_type: e.record_type,
                record_id: e.record_id,
            })
            .collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn change(f: &str, old: Option<&str>, new: Option<&str>) -> FieldChange {
        FieldChange {
            field: f.into(),
            old: old.map(Into::into),
            new: new.map(Into::into),
        }
    }

    #[test]
    fn times_read_as_uk_times_and_api_is_in_capitals() {
        // 1793700900 is 2026-11-04 09:35 UTC, which is 09:35 GMT.
        let changes = field_changes(None, Some(r#"{"created_at":1793700900,"units":4}"#));
        assert_eq!(changes[0].field, "created_at");
        let shown = changes[0].new.clone().unwrap();
        assert!(!shown.contains("1793700900"), "{shown}");
        assert!(shown.contains("2026") && shown.contains("GMT"), "{shown}");
        // A number that is not a time stays a number.
        assert_eq!(changes[1].new.as_deref(), Some("4"));
        // A summer time reads as BST: 1783000000 is 2026-07-02 13:46:40 UTC.
        let summer = field_changes(None, Some(r#"{"decided_at":1783000000}"#));
        assert!(summer[0].new.clone().unwrap().contains("BST"));
        assert_eq!(record_label("api_token"), "API token");
        assert_eq!(record_label("client_schedule"), "Client schedule");
    }

    #[test]
    fn an_update_lists_only_the_fields_that_changed() {
        let before = r#"{"name":"Acorn House","places":12,"active":true,"address":{"postcode":"RG1 1AA","town":"Reading"}}"#;
        let after = r#"{"name":"Acorn House","places":14,"active":false,"address":{"postcode":"RG1 2BB","town":"Reading"}}"#;
        assert_eq!(
            field_changes(Some(before), Some(after)),
            // In the order of the stored fields (serde_json keeps them by name).
            vec![
                change("active", Some("yes"), Some("no")),
                change("address.postcode", Some("RG1 1AA"), Some("RG1 2BB")),
                change("places", Some("12"), Some("14")),
            ]
        );
    }

    #[test]
    fn a_create_lists_what_it_set_and_a_delete_what_it_removed() {
        assert_eq!(
            field_changes(None, Some(r#"{"name":"Oak","note":""}"#)),
            vec![change("name", None, Some("Oak"))]
        );
        assert_eq!(
            field_changes(Some(r#"{"name":"Oak"}"#), None),
            vec![change("name", Some("Oak"), None)]
        );
        // A field dropped by an update shows as removed.
        assert_eq!(
            field_changes(Some(r#"{"a":"1","b":"2"}"#), Some(r#"{"a":"1"}"#)),
            vec![change("b", Some("2"), None)]
        );
    }

    #[test]
    fn record_types_have_names_and_a_filter_list() {
        assert_eq!(record_label("client_schedule"), "Client schedule");
        let types = record_types();
        assert!(types
            .iter()
            .any(|(c, n)| *c == "provider" && n == "Provider"));
        assert!(types.windows(2).all(|w| w[0].1 <= w[1].1), "in name order");
    }
}
