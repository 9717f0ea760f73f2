//! The one audited write: insert, update and delete of any record with its before and after
//! in the audit trail, a batch form that writes many rows under one entry, and the seals that
//! let `audit verify` find a changed row of a batch.
//!
//! A repository method says *what* changes (a [`Changes`] of columns and values) and the
//! generic write does the rest: it builds the statement for the database in use (sea-query,
//! so column names and binds are never kept in step by hand), reads the row before and after,
//! redacts what must not be copied into the trail ([`Record::audit_json`]) and appends the
//! entry to the transaction's chain.

use hmac::{Hmac, Mac};
use sea_query::{Alias, Expr, PostgresQueryBuilder, Query, QueryBuilder, SqliteQueryBuilder};
use sea_query_binder::SqlxBinder;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Backend, ChainReport, Db, StoreError, WriteTx};

/// What an audit entry is about. The stored name (`as_str`) is what the audit screen filters
/// on, so a name never changes once used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    Authority,
    Provider,
    ProviderAuthority,
    Contact,
    ContactAssignment,
    User,
    AccountRequest,
    ApiToken,
    Service,
    Property,
    Contract,
    Client,
    ClientSchedule,
    Request,
    PerformanceReturn,
    Trigger,
    Action,
    ContractDocument,
    Setting,
    Email,
    Postcodes,
    JobRun,
    /// A chain of the audit trail itself (its opening, in the system chain).
    AuditChain,
    LocalIndicator,
    ReturnExtension,
    ReturnReminder,
    WorkbookVersion,
    ContractRate,
    ClientBenefit,
    ClientCharge,
    PaymentHold,
    PaymentTimetable,
    PaymentRun,
    /// A committed payment run's lines (one batch entry per run).
    PaymentLines,
    DayLine,
    DayWeek,
    DaySession,
    AccessPoint,
    DayAlert,
    DayReminder,
    DayRequest,
}

impl RecordType {
    pub const ALL: [RecordType; 41] = [
        RecordType::Authority,
        RecordType::Provider,
        RecordType::ProviderAuthority,
        RecordType::Contact,
        RecordType::ContactAssignment,
        RecordType::User,
        RecordType::AccountRequest,
        RecordType::ApiToken,
        RecordType::Service,
        RecordType::Property,
        RecordType::Contract,
        RecordType::Client,
        RecordType::ClientSchedule,
        RecordType::Request,
        RecordType::PerformanceReturn,
        RecordType::Trigger,
        RecordType::Action,
        RecordType::ContractDocument,
        RecordType::Setting,
        RecordType::Email,
        RecordType::Postcodes,
        RecordType::JobRun,
        RecordType::AuditChain,
        RecordType::LocalIndicator,
        RecordType::ReturnExtension,
        RecordType::ReturnReminder,
        RecordType::WorkbookVersion,
        RecordType::ContractRate,
        RecordType::ClientBenefit,
        RecordType::ClientCharge,
        RecordType::PaymentHold,
        RecordType::PaymentTimetable,
        RecordType::PaymentRun,
        RecordType::PaymentLines,
        RecordType::DayLine,
        RecordType::DayWeek,
        RecordType::DaySession,
        RecordType::AccessPoint,
        RecordType::DayAlert,
        RecordType::DayReminder,
        RecordType::DayRequest,
    ];

    /// The name stored in the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Authority => "authority",
            RecordType::Provider => "provider",
            RecordType::ProviderAuthority => "provider_authority",
            RecordType::Contact => "contact",
            RecordType::ContactAssignment => "contact_assignment",
            RecordType::User => "user",
            RecordType::AccountRequest => "account_request",
            RecordType::ApiToken => "api_token",
            RecordType::Service => "service",
            RecordType::Property => "property",
            RecordType::Contract => "contract",
            RecordType::Client => "client",
            RecordType::ClientSchedule => "client_schedule",
            RecordType::Request => "request",
            RecordType::PerformanceReturn => "performance_return",
            RecordType::Trigger => "trigger",
            RecordType::Action => "action",
            RecordType::ContractDocument => "contract_document",
            RecordType::Setting => "setting",
            RecordType::Email => "email",
            RecordType::Postcodes => "postcodes",
            RecordType::JobRun => "job_run",
            RecordType::AuditChain => "audit_chain",
            RecordType::LocalIndicator => "local_indicator",
            RecordType::ReturnExtension => "return_extension",
            RecordType::ReturnReminder => "return_reminder",
            RecordType::WorkbookVersion => "workbook_version",
            RecordType::ContractRate => "contract_rate",
            RecordType::ClientBenefit => "client_benefit",
            RecordType::ClientCharge => "client_charge",
            RecordType::PaymentHold => "payment_hold",
            RecordType::PaymentTimetable => "payment_timetable",
            RecordType::PaymentRun => "payment_run",
            RecordType::PaymentLines => "payment_lines",
            RecordType::DayLine => "day_line",
            RecordType::DayWeek => "day_week",
            RecordType::DaySession => "day_session",
            RecordType::AccessPoint => "access_point",
            RecordType::DayAlert => "day_alert",
            RecordType::DayReminder => "day_reminder",
            RecordType::DayRequest => "day_request",
        }
    }

    /// The record type stored under `name`, for filters typed by a person.
    pub fn parse(name: &str) -> Option<RecordType> {
        RecordType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// A stored record the generic write can insert, update and delete.
pub(crate) trait Record: Sized + serde::Serialize {
    const TYPE: RecordType;
    /// The table it lives in (keyed by an `id` column).
    const TABLE: &'static str;
    fn from_row(row: &AnyRow) -> Result<Self, StoreError>;
    fn id(&self) -> i64;
    /// The record as it goes into the audit trail. The redaction hook: a record holding a
    /// secret or a file's contents replaces them here.
    fn audit_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Implements [`Record`] for a `record!` struct with an `id` field.
macro_rules! audited {
    ($name:ident, $kind:ident, $table:literal) => {
        impl $crate::write::Record for $name {
            const TYPE: $crate::RecordType = $crate::RecordType::$kind;
            const TABLE: &'static str = $table;
            fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, $crate::StoreError> {
                $name::from_row(row)
            }
            fn id(&self) -> i64 {
                self.id
            }
        }
    };
}
pub(crate) use audited;

/// Columns and their new values, in the order given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Changes(Vec<(&'static str, sea_query::Value)>);

impl Changes {
    pub(crate) fn new() -> Changes {
        Changes::default()
    }

    pub(crate) fn set(mut self, column: &'static str, value: impl Into<sea_query::Value>) -> Self {
        self.0.push((column, value.into()));
        self
    }
}

pub(crate) fn builder(backend: Backend) -> &'static dyn QueryBuilder {
    match backend {
        Backend::Sqlite => &SqliteQueryBuilder,
        Backend::Postgres => &PostgresQueryBuilder,
    }
}

fn build_error(e: sea_query::error::Error) -> StoreError {
    StoreError::Config(format!("could not build a statement: {e}"))
}

impl WriteTx {
    /// " FOR UPDATE" on PostgreSQL (row locks across chains); nothing on SQLite, whose one
    /// writer at a time already orders every write.
    pub(crate) fn lock_clause(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Inserts a record and audits it as created.
    pub(crate) async fn create<R: Record>(&mut self, values: Changes) -> Result<R, StoreError> {
        self.create_as("create", values).await
    }

    /// Inserts a record and audits it under `action` (e.g. a request is "submit"ted).
    pub(crate) async fn create_as<R: Record>(
        &mut self,
        action: &str,
        values: Changes,
    ) -> Result<R, StoreError> {
        let (columns, values): (Vec<_>, Vec<_>) = values.0.into_iter().unzip();
        let (sql, binds) = Query::insert()
            .into_table(Alias::new(R::TABLE))
            .columns(columns.into_iter().map(Alias::new))
            .values(values.into_iter().map(sea_query::SimpleExpr::from))
            .map_err(build_error)?
            .returning_all()
            .build_any_sqlx(builder(self.backend));
        let row = sqlx::query_with(&sql, binds)
            .fetch_one(&mut *self.tx)
            .await?;
        let record = R::from_row(&row)?;
        self.audit(
            action,
            R::TYPE,
            &record.id().to_string(),
            None,
            Some(&record.audit_json()),
        )
        .await?;
        Ok(record)
    }

    /// The record as it is inside this transaction (rows written earlier in it included).
    /// On PostgreSQL the row is locked until commit, so writers of other chains (another
    /// authority, the command line) cannot change it between this read and the write.
    pub(crate) async fn current<R: Record>(&mut self, id: i64) -> Result<Option<R>, StoreError> {
        let sql = format!(
            "SELECT * FROM {} WHERE id = $1{}",
            R::TABLE,
            self.lock_clause()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(R::from_row).transpose()
    }

    /// Updates a record's columns and audits it under `action` with its before and after;
    /// None when there is no such record.
    pub(crate) async fn change<R: Record>(
        &mut self,
        id: i64,
        action: &str,
        values: Changes,
    ) -> Result<Option<R>, StoreError> {
        let Some(before) = self.current::<R>(id).await? else {
            return Ok(None);
        };
        let (sql, binds) = Query::update()
            .table(Alias::new(R::TABLE))
            .values(values.0.into_iter().map(|(c, v)| (Alias::new(c), v.into())))
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .returning_all()
            .build_any_sqlx(builder(self.backend));
        let row = sqlx::query_with(&sql, binds)
            .fetch_one(&mut *self.tx)
            .await?;
        let after = R::from_row(&row)?;
        self.audit(
            action,
            R::TYPE,
            &id.to_string(),
            Some(&before.audit_json()),
            Some(&after.audit_json()),
        )
        .await?;
        Ok(Some(after))
    }

    /// Deletes a record and audits it with what it was; None when there is no such record.
    pub(crate) async fn remove<R: Record>(&mut self, id: i64) -> Result<Option<R>, StoreError> {
        self.remove_because::<R>(id, None).await
    }

    /// As [`remove`](Self::remove), with why the record was deleted kept in the audit entry
    /// (its `after` is `{"reason": ...}`).
    pub(crate) async fn remove_because<R: Record>(
        &mut self,
        id: i64,
        reason: Option<&str>,
    ) -> Result<Option<R>, StoreError> {
        let Some(before) = self.current::<R>(id).await? else {
            return Ok(None);
        };
        let (sql, binds) = Query::delete()
            .from_table(Alias::new(R::TABLE))
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .build_any_sqlx(builder(self.backend));
        sqlx::query_with(&sql, binds).execute(&mut *self.tx).await?;
        let why = reason.map(|r| serde_json::json!({ "reason": r }));
        self.audit(
            "delete",
            R::TYPE,
            &id.to_string(),
            Some(&before.audit_json()),
            why.as_ref(),
        )
        .await?;
        Ok(Some(before))
    }

    /// The keyed seal of one row of a sealed table (see [`SEALED`]).
    pub(crate) fn seal(&self, kind: RecordType, fields: &[String]) -> Result<String, StoreError> {
        seal(&self.key, kind, fields)
    }

    /// The one audit entry of a batch: how many rows it wrote and a digest of their seals in
    /// the order written, under `batch` (a name for the batch, e.g. the file it came from).
    pub(crate) async fn audit_batch(
        &mut self,
        action: &str,
        kind: RecordType,
        batch: &str,
        seals: &[String],
    ) -> Result<(), StoreError> {
        let mut digest = Sha256::new();
        for s in seals {
            digest.update(s.as_bytes());
        }
        let summary = serde_json::json!({
            "rows": seals.len(),
            "digest": hex::encode(digest.finalize()),
        });
        self.audit(action, kind, batch, None, Some(&summary)).await
    }
}

fn seal(key: &[u8], kind: RecordType, fields: &[String]) -> Result<String, StoreError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| StoreError::Config(format!("the audit key cannot be used: {e}")))?;
    mac.update(b"hearth-row-seal-1");
    for f in std::iter::once(kind.as_str()).chain(fields.iter().map(String::as_str)) {
        mac.update(&(f.len() as u64).to_be_bytes());
        mac.update(f.as_bytes());
    }
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// A sealed row's key (for the report) and its sealed fields, read from a row.
pub(crate) type SealFields = fn(&AnyRow) -> Result<(String, Vec<String>), StoreError>;

/// A table whose rows are written in audited batches, each row sealed.
pub(crate) struct Sealed {
    pub(crate) kind: RecordType,
    /// Selects a page of rows (key `k`, the sealed fields and `audit_mac`) whose key is after
    /// `$1`, in key order, at most `$2`.
    pub(crate) select: &'static str,
    /// The row's key (for the report) and its sealed fields.
    pub(crate) fields: SealFields,
    /// The key `k` is a whole number (an id) rather than text.
    pub(crate) numeric_key: bool,
}

/// Every sealed table. A table is added here when its rows are written in batches.
pub(crate) const SEALED: &[Sealed] = &[
    Sealed {
        kind: RecordType::Postcodes,
        select: "SELECT postcode AS k, latitude, longitude, audit_mac FROM postcodes WHERE postcode > $1 ORDER BY postcode LIMIT $2",
        fields: crate::directory::postcode_seal_fields,
        numeric_key: false,
    },
    Sealed {
        kind: RecordType::PaymentLines,
        select: "SELECT id AS k, payment_lines.* FROM payment_lines WHERE id > $1 ORDER BY id LIMIT $2",
        fields: crate::payments::paid_line_seal_fields,
        numeric_key: true,
    },
];

/// Recomputes the seal of every row of every sealed table; the first that does not match is
/// reported as a break (entry id 0: the row has no entry of its own).
pub(crate) async fn verify_seals(db: &Db) -> Result<Option<ChainReport>, StoreError> {
    for table in SEALED {
        let mut after = String::new();
        let mut after_id = 0i64;
        loop {
            let q = sqlx::query(table.select);
            let q = if table.numeric_key {
                q.bind(after_id)
            } else {
                q.bind(after.clone())
            };
            let rows = q.bind(10_000i64).fetch_all(db.pool()).await?;
            let Some(last) = rows.last() else { break };
            if table.numeric_key {
                after_id = last.try_get("k")?;
            } else {
                after = last.try_get("k")?;
            }
            for row in &rows {
                let (key, fields) = (table.fields)(row)?;
                let stored: Option<String> = row.try_get("audit_mac")?;
                let expected = seal(db.audit_key(), table.kind, &fields)?;
                if stored.as_deref() != Some(expected.as_str()) {
                    return Ok(Some(ChainReport::Broken {
                    entry_id: 0,
                    reason: format!(
                        "{} row {key} does not match the seal its audited batch gave it (it was changed, or written outside Hearth)",
                        table.kind.as_str()
                    ),
                }));
                }
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn record_type_names_are_unique_and_parse_back() {
        let mut names: Vec<_> = RecordType::ALL.iter().map(|t| t.as_str()).collect();
        for t in RecordType::ALL {
            assert_eq!(RecordType::parse(t.as_str()), Some(t));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RecordType::ALL.len());
        assert_eq!(RecordType::parse("nonsense"), None);
    }

    #[test]
    fn a_seal_covers_every_field_and_its_boundaries() {
        let a = seal(
            b"k",
            RecordType::Postcodes,
            &["AB1 2CD".into(), "51.5".into()],
        )
        .unwrap();
        let b = seal(
            b"k",
            RecordType::Postcodes,
            &["AB1 2CD".into(), "51.6".into()],
        )
        .unwrap();
        let c = seal(
            b"k",
            RecordType::Postcodes,
            &["AB1 2CD5".into(), "1.5".into()],
        )
        .unwrap();
        let d = seal(
            b"other",
            RecordType::Postcodes,
            &["AB1 2CD".into(), "51.5".into()],
        )
        .unwrap();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
