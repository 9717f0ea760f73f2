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

/// The first column of the first row of a query, as a whole number (a count).
pub async fn scalar_i64(db: &Db, sql: &str) -> Result<i64, StoreError> {
    use sqlx::Row;
    Ok(sqlx::query(sql).fetch_one(db.pool()).await?.try_get(0)?)
}

/// The first column of the first row of a query, as text.
pub async fn scalar_text(db: &Db, sql: &str) -> Result<String, StoreError> {
    use sqlx::Row;
    Ok(sqlx::query(sql).fetch_one(db.pool()).await?.try_get(0)?)
}

/// Writes `n` audit entries as Hearth wrote them before per-authority chains (schema 9 and
/// earlier: ids from the single head, hashes over the id), for tests of migration 10.
pub async fn write_legacy_audit_entries(db: &Db, n: i64) -> Result<(), StoreError> {
    use sqlx::Row;
    let head = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    let (mut last_id, mut last_hash): (i64, String) =
        (head.try_get("last_id")?, head.try_get("last_hash")?);
    for i in 0..n {
        let mut e = crate::AuditEntry {
            id: last_id + 1,
            at: 1_700_000_000 + i,
            actor_id: None,
            actor: "legacy".into(),
            authority_id: Some(1),
            action: "update".into(),
            record_type: "setting".into(),
            record_id: format!("legacy.{i}"),
            before_json: None,
            after_json: Some(format!("{{\"value\":\"{i}\"}}")),
            prev_hash: last_hash.clone(),
            hash: String::new(),
            chain: 0,
            seq: last_id + 1,
            format: 1,
        };
        e.hash = crate::audit::chain_hash(db.audit_key(), &e)?;
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_id, actor, authority_id, action, record_type, record_id, before_json, after_json, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(e.id)
        .bind(e.at)
        .bind(e.actor_id)
        .bind(e.actor.clone())
        .bind(e.authority_id)
        .bind(e.action.clone())
        .bind(e.record_type.clone())
        .bind(e.record_id.clone())
        .bind(e.before_json.clone())
        .bind(e.after_json.clone())
        .bind(e.prev_hash.clone())
        .bind(e.hash.clone())
        .execute(db.pool())
        .await?;
        last_id = e.id;
        last_hash = e.hash;
    }
    sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1")
        .bind(last_id)
        .bind(last_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}
