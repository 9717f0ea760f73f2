//! Fresh databases for tests: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set.

use crate::{Db, DbConfig, StoreError};

/// A test database that cleans up after itself where it can.
pub struct TestDb {
    pub name: &'static str,
    pub db: Db,
    pub url: String,
    _dir: Option<TempDir>,
}

/// A temporary folder removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> std::io::Result<TempDir> {
        let base =
            std::env::temp_dir().join(format!("{prefix}-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&base)?;
        Ok(TempDir(base))
    }
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{t:x}{}", N.fetch_add(1, Ordering::Relaxed))
}

pub const TEST_AUDIT_KEY: &[u8] = b"test-audit-key";

/// A new, migrated SQLite database in a temporary folder.
pub async fn sqlite() -> Result<TestDb, StoreError> {
    sqlite_at(crate::latest_version()).await
}

/// A new SQLite database migrated only up to `version` (for tests of a later migration).
pub async fn sqlite_at(version: i64) -> Result<TestDb, StoreError> {
    let dir = TempDir::new("hearth-test").map_err(|e| StoreError::Config(e.to_string()))?;
    let url = format!("sqlite://{}", dir.path().join("hearth.db").display());
    let db = Db::connect(&DbConfig {
        url: url.clone(),
        max_connections: 4,
        audit_key: TEST_AUDIT_KEY.to_vec(),
    })
    .await?;
    db.migrate_to(version).await?;
    Ok(TestDb {
        name: "sqlite",
        db,
        url,
        _dir: Some(dir),
    })
}

/// A new, migrated PostgreSQL database (a fresh database created on the server named by
/// `TEST_DATABASE_URL`), or None when that is not set.
pub async fn postgres() -> Result<Option<TestDb>, StoreError> {
    postgres_at(crate::latest_version()).await
}

/// A new PostgreSQL database migrated only up to `version`, or None without
/// `TEST_DATABASE_URL`.
pub async fn postgres_at(version: i64) -> Result<Option<TestDb>, StoreError> {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        return Ok(None);
    };
    let url = fresh_postgres_database(&base).await?;
    let db = Db::connect(&DbConfig {
        url: url.clone(),
        max_connections: 4,
        audit_key: TEST_AUDIT_KEY.to_vec(),
    })
    .await?;
    db.migrate_to(version).await?;
    Ok(Some(TestDb {
        name: "postgres",
        db,
        url,
        _dir: None,
    }))
}

/// Creates an empty database on the server of `base` and returns its URL.
pub async fn fresh_postgres_database(base: &str) -> Result<String, StoreError> {
    sqlx::any::install_default_drivers();
    let name = format!("hearth_test_{}_{}", std::process::id(), rand_suffix());
    let admin = sqlx::AnyPool::connect(base).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let (prefix, _) = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => base.split_at(i),
        _ => (base, ""),
    };
    Ok(format!("{prefix}/{name}"))
}

/// Every database the tests should run on.
/// Both databases migrated only up to `version`.
pub async fn all_at(version: i64) -> Result<Vec<TestDb>, StoreError> {
    let mut v = vec![sqlite_at(version).await?];
    if let Some(pg) = postgres_at(version).await? {
        v.push(pg);
    }
    Ok(v)
}

pub async fn all() -> Result<Vec<TestDb>, StoreError> {
    let mut v = vec![sqlite().await?];
    if let Some(pg) = postgres().await? {
        v.push(pg);
    }
    Ok(v)
}

/// Runs one SQL statement directly (tests that tamper with stored rows or move clocks).
pub async fn exec(db: &Db, sql: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query(sql).execute(db.pool()).await?.rows_affected())
}
