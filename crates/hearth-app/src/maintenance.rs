//! The composition root's way to the database: opening it, migrating it, checking it and
//! backing it up. The binary names these and never the store's own types; everything else it
//! does goes through use cases with a system principal.

use hearth_store::{ChainReport, Db, DbConfig, StoreError};

use crate::{App, AppConfig};

/// Where the database is and how to open it.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://...`.
    pub url: String,
    pub max_connections: u32,
    /// The deployment's audit key (HMAC key of the audit chain).
    pub audit_key: Vec<u8>,
}

/// A failure opening, migrating or checking the database, with the store's message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DatabaseError(String);

impl From<StoreError> for DatabaseError {
    fn from(e: StoreError) -> Self {
        DatabaseError(e.to_string())
    }
}

/// The result of checking the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every link holds; `entries` were checked.
    Intact { entries: i64 },
    /// The first broken entry and why.
    Broken { entry_id: i64, reason: String },
}

impl From<ChainReport> for ChainCheck {
    fn from(r: ChainReport) -> Self {
        match r {
            ChainReport::Intact { entries } => ChainCheck::Intact { entries },
            ChainReport::Broken { entry_id, reason } => ChainCheck::Broken { entry_id, reason },
        }
    }
}

/// An open database, before (or without) an [`App`] over it. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    db: Db,
}

/// Opens the database (without migrating it).
pub async fn open(settings: &DatabaseSettings) -> Result<Database, DatabaseError> {
    let db = Db::connect(&DbConfig {
        url: settings.url.clone(),
        max_connections: settings.max_connections,
        audit_key: settings.audit_key.clone(),
    })
    .await?;
    Ok(Database { db })
}

/// The schema version this program writes.
pub fn latest_version() -> i64 {
    hearth_store::latest_version()
}

/// A database URL with any password hidden, for logs and messages.
pub fn redact(url: &str) -> String {
    hearth_store::redact(url)
}

impl Database {
    /// Runs the migrations this program has and the database lacks; returns those run.
    pub async fn migrate(&self) -> Result<Vec<i64>, DatabaseError> {
        Ok(self.db.migrate().await?)
    }

    pub async fn schema_version(&self) -> Result<i64, DatabaseError> {
        Ok(self.db.schema_version().await?)
    }

    /// Recomputes the whole audit chain.
    pub async fn audit_verify(&self) -> Result<ChainCheck, DatabaseError> {
        Ok(self.db.audit_verify().await?.into())
    }

    /// SQLite's own integrity check ("ok" when sound).
    pub async fn integrity_check(&self) -> Result<String, DatabaseError> {
        Ok(self.db.integrity_check().await?)
    }

    /// Copies the embedded SQLite database to a new file.
    pub async fn backup_sqlite_to(&self, path: &str) -> Result<(), DatabaseError> {
        Ok(self.db.backup_sqlite_to(path).await?)
    }

    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Whether the database holds an earlier `hearth demo` and nothing else was ever set up
    /// in it: the demo marks its database, and `hearth authority add` (the way to set up a
    /// real authority) removes the mark.
    pub async fn holds_only_a_demo(&self) -> Result<bool, DatabaseError> {
        if self.db.schema_version().await? == 0 {
            return Ok(false);
        }
        let mark = self.db.setting(crate::demo::DEMO_MARK).await?;
        Ok(mark.is_some_and(|m| !m.is_empty()))
    }

    /// Removes every table of an earlier demo on PostgreSQL, so a new one can be loaded.
    /// Refused unless [`Database::holds_only_a_demo`].
    pub async fn clear_earlier_demo(&self) -> Result<(), DatabaseError> {
        if !self.holds_only_a_demo().await? {
            return Err(DatabaseError(
                "this database holds more than an earlier demo: it is not cleared".into(),
            ));
        }
        Ok(self.db.drop_all_tables().await?)
    }

    /// The application over this database.
    pub fn app(&self, config: AppConfig) -> App {
        App::new(self.db.clone(), config)
    }
}

impl App {
    /// Whether the database answers (readiness and metrics).
    pub async fn database_ready(&self) -> bool {
        self.db.ping().await
    }

    /// The database pool's connections, from the pool's own counters: no SQL is run, so
    /// `/metrics` can read it on every scrape.
    pub fn pool_stats(&self) -> PoolStats {
        let pool = self.db.pool();
        PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
            closed: pool.is_closed(),
        }
    }

    /// Closes the database's connections (at shutdown).
    pub async fn close(&self) {
        self.db.close().await;
    }
}

/// The database pool's connections (`App::pool_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open now, in use or idle.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
    /// The pool has been closed (shutting down).
    pub closed: bool,
}
