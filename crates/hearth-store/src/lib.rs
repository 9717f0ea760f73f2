//! Hearth's database: one data layer over SQLite (default) and PostgreSQL, with versioned
//! migrations, repositories by business area and the audit trail. Database types stay here.

mod accounts;
mod actions;
mod audit;
mod clients;
mod contacts;
mod contracts;
mod day_activities;
mod db;
mod directory;
mod documents;
mod import;
mod jobs;
mod limits;
mod officers;
mod orgs;
mod payments;
mod query;
mod requests;
mod returns;
mod secret;
mod services;
pub mod testing;
mod write;

pub use accounts::*;
pub use actions::*;
pub use audit::{chain_of, Actor, AuditEntry, AuditQuery, ChainReport, WriteTx};
pub use clients::*;
pub use contracts::*;
pub use day_activities::*;
pub use db::{latest_version, redact, Backend, Db, DbConfig};
pub use directory::*;
pub use documents::*;
pub use import::*;
pub use jobs::*;
pub use limits::Hits;
pub use officers::{Officers, ProviderOfficers};
pub use orgs::*;
pub use payments::*;
pub use query::Sort;
pub use requests::*;
pub use returns::*;
pub use secret::Secret;
pub use services::*;
pub use write::RecordType;

/// Errors from the data layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("the database schema is version {database}, newer than this program's {program}: upgrade hearth before using this database")]
    SchemaTooNew { database: i64, program: i64 },
    #[error("{0}")]
    Migration(String),
    #[error("{0}")]
    Config(String),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

impl StoreError {
    /// True when the error is a uniqueness conflict (a duplicate key).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sql(sqlx::Error::Database(e)) => {
                e.is_unique_violation() || e.message().contains("UNIQUE constraint failed")
            }
            _ => false,
        }
    }
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// 0 or 1, as flags are stored.
pub fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Reads one field of a record; a field written `name: Type = default` reads as `default`
/// where the column does not exist yet (a row read by a migration's step or an upgrade test
/// on an older schema).
macro_rules! record_field {
    ($row:ident, $field:ident) => {
        $row.try_get(stringify!($field))?
    };
    ($row:ident, $field:ident, $default:expr) => {
        match $row.try_get(stringify!($field)) {
            Err(sqlx::Error::ColumnNotFound(_)) => $default,
            other => other?,
        }
    };
}
pub(crate) use record_field;

/// Defines a record struct with a `from_row` that reads each field by its column name.
macro_rules! record {
    ($(#[$m:meta])* $name:ident { $($field:ident : $ty:ty $(= $default:expr)?),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $name { $(pub $field: $ty),* }
        impl $crate::query::FromRow for $name {
            fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, $crate::StoreError> {
                $name::from_row(row)
            }
        }
        impl $name {
            #[allow(dead_code)]
            pub(crate) fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, $crate::StoreError> {
                use sqlx::Row;
                Ok(Self { $($field: $crate::record_field!(row, $field $(, $default)?)),* })
            }
            #[allow(dead_code)]
            pub(crate) fn from_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<Self>, $crate::StoreError> {
                rows.iter().map(Self::from_row).collect()
            }
            /// The record as JSON, for audit entries.
            pub fn to_json(&self) -> serde_json::Value {
                serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
            }
        }
    };
}
pub(crate) use record;

/// A page of results (the domain's, so every layer pages the same way).
pub use hearth_domain::paging::Page;

/// Builds numbered placeholders ($1, $2 ...) as a query grows.
#[derive(Default)]
pub(crate) struct Params {
    n: usize,
}

impl Params {
    pub(crate) fn next(&mut self) -> String {
        self.n += 1;
        format!("${}", self.n)
    }
}

/// "$1, $2, ..., $n" starting after `p`.
pub(crate) fn placeholders(p: &mut Params, count: usize) -> String {
    (0..count).map(|_| p.next()).collect::<Vec<_>>().join(", ")
}

/// `s` with LIKE's wildcards (`%`, `_`) and its escape character (`\`) escaped, for a pattern
/// written with `ESCAPE '\'`: a person searching for "50%" finds "50%", not everything.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A case-insensitive "contains `s`" pattern for `LOWER(column) LIKE $n ESCAPE '\'`.
pub fn like_contains(s: &str) -> String {
    format!("%{}%", like_escape(&s.to_lowercase()))
}

#[cfg(test)]
mod like_tests {
    use super::*;

    // Security review finding 8: `%` and `_` in search text worked as wildcards.
    #[test]
    fn wildcards_in_search_text_are_literal() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(like_contains("Acorn"), "%acorn%");
        assert_eq!(like_contains("%"), "%\\%%");
    }
}
