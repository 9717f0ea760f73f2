//! Connection, dialect and versioned migrations for SQLite and PostgreSQL.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::time::Duration;

use crate::StoreError;

/// Which database engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A versioned migration: the SQL is portable apart from `{pk}` and `{blob}`, or, where the
/// two databases need different SQL, one file for each (`sql` is then empty).
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Migrations written once for each database: (version, SQLite's SQL, PostgreSQL's SQL).
const DIALECT_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        9,
        include_str!("../migrations/0009_spatial_index.sqlite.sql"),
        include_str!("../migrations/0009_spatial_index.postgres.sql"),
    ),
    (
        10,
        include_str!("../migrations/0010_audit_chains.sqlite.sql"),
        include_str!("../migrations/0010_audit_chains.postgres.sql"),
    ),
];

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "core",
        sql: include_str!("../migrations/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "requests",
        sql: include_str!("../migrations/0002_requests.sql"),
    },
    Migration {
        version: 3,
        name: "actions_contacts_documents",
        sql: include_str!("../migrations/0003_actions_contacts_documents.sql"),
    },
    Migration {
        version: 4,
        name: "api_tokens",
        sql: include_str!("../migrations/0004_api_tokens.sql"),
    },
    Migration {
        version: 5,
        name: "directory",
        sql: include_str!("../migrations/0005_directory.sql"),
    },
    Migration {
        version: 6,
        name: "returns",
        sql: include_str!("../migrations/0006_returns.sql"),
    },
    Migration {
        version: 7,
        name: "security",
        sql: include_str!("../migrations/0007_security.sql"),
    },
    Migration {
        version: 8,
        name: "token_expiry",
        sql: include_str!("../migrations/0008_token_expiry.sql"),
    },
    Migration {
        version: 9,
        name: "spatial_index",
        sql: "",
    },
    Migration {
        version: 10,
        name: "audit_chains",
        sql: "",
    },
    Migration {
        version: 11,
        name: "job_runs",
        sql: include_str!("../migrations/0011_job_runs.sql"),
    },
    Migration {
        version: 12,
        name: "return_records",
        sql: include_str!("../migrations/0012_return_records.sql"),
    },
    Migration {
        version: 13,
        name: "authority_region",
        sql: include_str!("../migrations/0013_authority_region.sql"),
    },
    Migration {
        version: 14,
        name: "service_access",
        sql: include_str!("../migrations/0014_service_access.sql"),
    },
    Migration {
        version: 15,
        name: "document_type",
        sql: include_str!("../migrations/0015_document_type.sql"),
    },
    Migration {
        version: 16,
        name: "responsible_officers",
        sql: include_str!("../migrations/0016_responsible_officers.sql"),
    },
    Migration {
        version: 17,
        name: "return_resubmission",
        sql: include_str!("../migrations/0017_return_resubmission.sql"),
    },
    Migration {
        version: 18,
        name: "contact_details",
        sql: include_str!("../migrations/0018_contact_details.sql"),
    },
    Migration {
        version: 19,
        name: "external_references",
        sql: include_str!("../migrations/0019_external_references.sql"),
    },
    Migration {
        version: 20,
        name: "import_files",
        sql: include_str!("../migrations/0020_import_files.sql"),
    },
    Migration {
        version: 21,
        name: "payments",
        sql: include_str!("../migrations/0021_payments.sql"),
    },
    Migration {
        version: 22,
        name: "day_activities",
        sql: include_str!("../migrations/0022_day_activities.sql"),
    },
    Migration {
        version: 23,
        name: "day_requests",
        sql: include_str!("../migrations/0023_day_requests.sql"),
    },
];

/// The newest schema version this program knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The database: a pool and its dialect. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
    audit_key: std::sync::Arc<Vec<u8>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `sqlite://PATH` or `postgres://...`.
    pub url: String,
    pub max_connections: u32,
    /// Key of the audit chain's keyed hash.
    pub audit_key: Vec<u8>,
}

impl Db {
    pub async fn connect(config: &DbConfig) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if config.url.starts_with("postgres") {
            Backend::Postgres
        } else if config.url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Config(format!(
                "database URL must start with sqlite: or postgres: (got {})",
                redact(&config.url)
            )));
        };
        let url = match backend {
            Backend::Sqlite if !config.url.contains('?') => format!("{}?mode=rwc", config.url),
            _ => config.url.clone(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections.max(2))
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA synchronous = FULL",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Db {
            pool,
            backend,
            audit_key: std::sync::Arc::new(config.audit_key.clone()),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    pub(crate) fn audit_key(&self) -> &[u8] {
        &self.audit_key
    }

    /// A MAC of `message` under the deployment's key, kept apart from the audit chain's MACs
    /// (and from every other use) by `purpose`: for values Hearth hands out and must recognise
    /// later without storing them, such as the known-device cookie.
    pub fn keyed_mac(&self, purpose: &str, message: &str) -> Result<String, StoreError> {
        use hmac::{Hmac, Mac};
        if self.audit_key.is_empty() {
            return Err(StoreError::Config(
                "the audit key is empty: set HEARTH_AUDIT_KEY or HEARTH_AUDIT_KEY_FILE".into(),
            ));
        }
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.audit_key)
            .map_err(|e| StoreError::Config(format!("the key cannot be used: {e}")))?;
        for part in ["hearth-keyed-mac", purpose, message] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// Runs pending migrations. Refuses a database whose schema is newer than this program.
    /// On PostgreSQL an advisory lock makes nodes starting together migrate one at a time.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        self.migrate_to(latest_version()).await
    }

    /// Runs pending migrations up to `version` (tests of a migration start from the one
    /// before it).
    pub async fn migrate_to(&self, version: i64) -> Result<Vec<i64>, StoreError> {
        // One connection does all of it: on SQLite another pooled connection that read the
        // schema half-way through would later expand `SELECT *` from its stale copy.
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_lock(72451) IS NOT NULL AS locked")
                .fetch_one(&mut *conn)
                .await?;
            let result = self.migrate_unlocked(&mut conn, version).await;
            let sealed = match &result {
                Ok(applied) if applied.contains(&10) => self.seal_existing_postcodes().await,
                _ => Ok(()),
            };
            let unlocked = sqlx::query("SELECT pg_advisory_unlock(72451) IS NOT NULL AS unlocked")
                .fetch_one(&mut *conn)
                .await;
            let applied = result?;
            sealed?;
            unlocked?;
            return Ok(applied);
        }
        let applied = self.migrate_unlocked(&mut conn, version).await?;
        if applied.contains(&10) {
            // Rows written before batches were sealed are sealed as they are found, once.
            self.seal_existing_postcodes().await?;
        }
        if !applied.is_empty() {
            // Connections that read the old schema are closed so none expands `SELECT *` from it.
            conn.close().await?;
            let mut idle = Vec::new();
            while let Some(c) = self.pool.try_acquire() {
                idle.push(c);
            }
            for c in idle {
                c.close().await?;
            }
        }
        Ok(applied)
    }

    async fn migrate_unlocked(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
        up_to: i64,
    ) -> Result<Vec<i64>, StoreError> {
        use sqlx::Connection;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut **conn)
        .await?;
        let current = self.schema_version_on(conn).await?;
        if current > latest_version() {
            return Err(StoreError::SchemaTooNew {
                database: current,
                program: latest_version(),
            });
        }
        let mut applied = Vec::new();
        for m in MIGRATIONS
            .iter()
            .filter(|m| m.version > current && m.version <= up_to)
        {
            let mut tx = conn.begin().await?;
            let sql = match DIALECT_MIGRATIONS.iter().find(|d| d.0 == m.version) {
                Some((_, sqlite, postgres)) => match self.backend {
                    Backend::Sqlite => sqlite,
                    Backend::Postgres => postgres,
                },
                None => m.sql,
            };
            for statement in split_statements(&self.dialect(sql)) {
                sqlx::query(&statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        StoreError::Migration(format!("migration {} ({}): {e}", m.version, m.name))
                    })?;
            }
            if m.version == 12 {
                // Settings rows that are records move to their tables, in the same transaction.
                crate::returns::carry_over_settings(&mut tx).await?;
            }
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(crate::now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
            applied.push(m.version);
        }
        Ok(applied)
    }

    /// Seals the postcode rows that were there before migration 10 introduced seals, as one
    /// audited batch (run once, by the migration that added the seal column), so `audit
    /// verify` holds them to what they were at the upgrade.
    async fn seal_existing_postcodes(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_write(&crate::Actor::system("migration")).await?;
        let seals = tx.seal_unsealed_postcodes().await?;
        if !seals.is_empty() {
            tx.audit_batch(
                "seal existing",
                crate::RecordType::Postcodes,
                "rows before migration 10",
                &seals,
            )
            .await?;
        }
        tx.commit().await
    }

    /// The schema version recorded in the database (0 when empty).
    /// Drops every table of the current PostgreSQL schema (the migrations make tables and
    /// their indexes only). For `hearth demo` replacing an earlier demo; the caller checks the
    /// database holds nothing else. On SQLite the demo removes the file instead, so this is
    /// refused there.
    pub async fn drop_all_tables(&self) -> Result<(), StoreError> {
        if self.backend != Backend::Postgres {
            return Err(StoreError::Config(
                "drop_all_tables is for PostgreSQL only".into(),
            ));
        }
        let rows = sqlx::query(
            "SELECT tablename::text AS tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut names = Vec::new();
        for r in &rows {
            let name: String = r.try_get("tablename")?;
            names.push(format!("\"{}\"", name.replace('"', "\"\"")));
        }
        if !names.is_empty() {
            sqlx::query(&format!(
                "DROP TABLE IF EXISTS {} CASCADE",
                names.join(", ")
            ))
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.schema_version_on(&mut conn).await
    }

    async fn schema_version_on(&self, conn: &mut sqlx::AnyConnection) -> Result<i64, StoreError> {
        let exists = match self.backend {
            Backend::Sqlite => sqlx::query("SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
                .fetch_optional(&mut *conn)
                .await?
                .is_some(),
            Backend::Postgres => sqlx::query("SELECT 1 AS one FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'")
                .fetch_optional(&mut *conn)
                .await?
                .is_some(),
        };
        if !exists {
            return Ok(0);
        }
        let row = sqlx::query(
            "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM schema_migrations",
        )
        .fetch_one(&mut *conn)
        .await?;
        Ok(row.try_get::<i64, _>("v")?)
    }

    fn dialect(&self, sql: &str) -> String {
        let pk = match self.backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        let blob = match self.backend {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "BYTEA",
        };
        sql.replace("{pk}", pk).replace("{blob}", blob)
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await.is_ok()
    }

    /// SQLite's own integrity check ("ok" when sound); PostgreSQL answers "ok".
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        match self.backend {
            Backend::Sqlite => {
                let row: AnyRow = sqlx::query("PRAGMA integrity_check")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get::<String, _>(0)?)
            }
            Backend::Postgres => Ok("ok".to_string()),
        }
    }

    /// Online, consistent copy of an SQLite database to a file (VACUUM INTO).
    pub async fn backup_sqlite_to(&self, path: &str) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Config(
                "hearth backup copies the embedded SQLite database; back up PostgreSQL with pg_dump (see docs/operations.md)".into(),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Direct pool access for benchmarks and tests measuring raw queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Hides the password in a database URL.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// Statements end at `;`, except inside a trigger's `BEGIN ... END;` (a line of its own).
fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_body = false;
    for line in sql.lines().filter(|l| !l.trim_start().starts_with("--")) {
        let t = line.trim();
        if t.eq_ignore_ascii_case("BEGIN") {
            in_body = true;
        }
        if in_body {
            current.push_str(line);
            current.push('\n');
            if t.eq_ignore_ascii_case("END;") {
                in_body = false;
                out.push(current.trim().trim_end_matches(';').to_string());
                current.clear();
            }
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find(';') {
            current.push_str(&rest[..i]);
            let s = current.trim();
            if !s.is_empty() {
                out.push(s.to_string());
            }
            current.clear();
            rest = &rest[i + 1..];
        }
        current.push_str(rest);
        current.push('\n');
    }
    let s = current.trim();
    if !s.is_empty() {
        out.push(s.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_and_drops_comments() {
        let s = split_statements(
            "-- a comment; here\nCREATE TABLE a (x BIGINT);\n\nINSERT INTO a VALUES (1);\n",
        );
        assert_eq!(
            s,
            vec!["CREATE TABLE a (x BIGINT)", "INSERT INTO a VALUES (1)"]
        );
    }

    #[test]
    fn a_trigger_body_is_one_statement() {
        let s = split_statements(
            "CREATE TABLE a (x BIGINT);\nCREATE TRIGGER t AFTER INSERT ON a\nBEGIN\n    DELETE FROM b;\n    INSERT INTO b VALUES (1);\nEND;\nSELECT 1;",
        );
        assert_eq!(s.len(), 3, "{s:?}");
        assert!(
            s[1].starts_with("CREATE TRIGGER t") && s[1].ends_with("END"),
            "{s:?}"
        );
        assert!(s[1].contains("DELETE FROM b;\n    INSERT INTO b VALUES (1);"));
        assert_eq!(s[2], "SELECT 1");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://u:secret@host/db"),
            "postgres://***@host/db"
        );
        assert_eq!(redact("sqlite://data/hearth.db"), "sqlite://data/hearth.db");
    }
}
