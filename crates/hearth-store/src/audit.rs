//! Write transactions and the append-only audit trail, chained by a keyed hash.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{Any, Row, Transaction};

use crate::{now, Db, StoreError};

/// Who did it, for the audit entry.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// Username, or "system" / "cli:NAME" for work not done by a signed-in user.
    pub name: String,
    pub authority_id: Option<i64>,
}

impl Actor {
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            name: name.to_string(),
            authority_id: None,
        }
    }
}

/// A transaction that writes. Opening it takes the audit chain's head, which orders
/// writers on both databases; every change is recorded with `audit` before `commit`.
pub struct WriteTx {
    pub(crate) tx: Transaction<'static, Any>,
    key: std::sync::Arc<Vec<u8>>,
    actor: Actor,
    last_id: i64,
    last_hash: String,
    at: i64,
}

/// One stored audit entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub authority_id: Option<i64>,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Filter for the audit screen.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub authority_id: Option<i64>,
    pub actor: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// Result of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    Intact { entries: i64 },
    Broken { entry_id: i64, reason: String },
}

impl Db {
    /// Opens a write transaction acting for `actor`.
    pub async fn begin_write(&self, actor: &Actor) -> Result<WriteTx, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The first statement is a write, so SQLite takes its write lock before reading anything
        // (no stale snapshot to upgrade) and PostgreSQL locks the head row until commit.
        let row = sqlx::query(
            "UPDATE audit_head SET last_id = last_id WHERE id = 1 RETURNING last_id, last_hash",
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(WriteTx {
            tx,
            key: self.audit_key_arc(),
            actor: actor.clone(),
            last_id: row.try_get("last_id")?,
            last_hash: row.try_get("last_hash")?,
            at: now(),
        })
    }

    fn audit_key_arc(&self) -> std::sync::Arc<Vec<u8>> {
        std::sync::Arc::new(self.audit_key().to_vec())
    }

    /// Searches the audit trail, newest first.
    pub async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql = String::from("SELECT * FROM audit_log WHERE 1 = 1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if q.authority_id.is_some() {
            sql.push_str(&format!(" AND authority_id = {}", next()));
        }
        if q.actor.is_some() {
            sql.push_str(&format!(" AND LOWER(actor) LIKE {} ESCAPE '\\'", next()));
        }
        if q.record_type.is_some() {
            sql.push_str(&format!(" AND record_type = {}", next()));
        }
        if q.record_id.is_some() {
            sql.push_str(&format!(" AND record_id = {}", next()));
        }
        if q.action.is_some() {
            sql.push_str(&format!(" AND LOWER(action) LIKE {} ESCAPE '\\'", next()));
        }
        if q.from.is_some() {
            sql.push_str(&format!(" AND at >= {}", next()));
        }
        if q.to.is_some() {
            sql.push_str(&format!(" AND at < {}", next()));
        }
        sql.push_str(&format!(
            " ORDER BY id DESC LIMIT {} OFFSET {}",
            next(),
            next()
        ));
        let mut query = sqlx::query(&sql);
        if let Some(a) = q.authority_id {
            query = query.bind(a);
        }
        if let Some(a) = &q.actor {
            query = query.bind(crate::like_contains(a));
        }
        if let Some(a) = &q.record_type {
            query = query.bind(a.clone());
        }
        if let Some(a) = &q.record_id {
            query = query.bind(a.clone());
        }
        if let Some(a) = &q.action {
            query = query.bind(crate::like_contains(a));
        }
        if let Some(a) = q.from {
            query = query.bind(a);
        }
        if let Some(a) = q.to {
            query = query.bind(a);
        }
        let limit = if q.limit <= 0 { 50 } else { q.limit.min(500) };
        query = query.bind(limit).bind(q.offset.max(0));
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(audit_from_row).collect()
    }

    /// Recomputes every link of the chain and reports the first broken one.
    pub async fn audit_verify(&self) -> Result<ChainReport, StoreError> {
        let mut prev = String::new();
        let mut count = 0i64;
        let mut after_id = 0i64;
        loop {
            let rows = sqlx::query("SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT 5000")
                .bind(after_id)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let e = audit_from_row(row)?;
                after_id = e.id;
                if e.prev_hash != prev {
                    return Ok(ChainReport::Broken {
                        entry_id: e.id,
                        reason: "its link to the previous entry does not match (an entry before it was removed or changed)".into(),
                    });
                }
                let expected = chain_hash(self.audit_key(), &e)?;
                if expected != e.hash {
                    return Ok(ChainReport::Broken {
                        entry_id: e.id,
                        reason: "its contents do not match its hash (the entry was edited)".into(),
                    });
                }
                prev = e.hash.clone();
                count += 1;
            }
        }
        let head = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let head_id: i64 = head.try_get("last_id")?;
        let head_hash: String = head.try_get("last_hash")?;
        if head_id != after_id || head_hash != prev {
            return Ok(ChainReport::Broken {
                entry_id: head_id,
                reason: format!(
                    "the chain's head points at entry {head_id} but the last entry present is {after_id} (entries at the end were removed)"
                ),
            });
        }
        Ok(ChainReport::Intact { entries: count })
    }
}

impl WriteTx {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Time of this transaction (seconds since the epoch).
    pub fn at(&self) -> i64 {
        self.at
    }

    /// Records one change. `before` / `after` are JSON values of the record (None when created / deleted).
    pub async fn audit(
        &mut self,
        action: &str,
        record_type: &str,
        record_id: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Result<(), StoreError> {
        let mut entry = AuditEntry {
            id: 0,
            at: self.at,
            actor_id: self.actor.user_id,
            actor: self.actor.name.clone(),
            authority_id: self.actor.authority_id,
            action: action.to_string(),
            record_type: record_type.to_string(),
            record_id: record_id.to_string(),
            before_json: before.map(|v| v.to_string()),
            after_json: after.map(|v| v.to_string()),
            prev_hash: self.last_hash.clone(),
            hash: String::new(),
        };
        // Ids are taken from the head so the hash can cover them before the insert.
        entry.id = self.last_id + 1;
        entry.hash = chain_hash(&self.key, &entry)?;
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_id, actor, authority_id, action, record_type, record_id, before_json, after_json, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(entry.id)
        .bind(entry.at)
        .bind(entry.actor_id)
        .bind(entry.actor.clone())
        .bind(entry.authority_id)
        .bind(entry.action.clone())
        .bind(entry.record_type.clone())
        .bind(entry.record_id.clone())
        .bind(entry.before_json.clone())
        .bind(entry.after_json.clone())
        .bind(entry.prev_hash.clone())
        .bind(entry.hash.clone())
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1")
            .bind(entry.id)
            .bind(entry.hash.clone())
            .execute(&mut *self.tx)
            .await?;
        self.last_id = entry.id;
        self.last_hash = entry.hash;
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// The entry's link in the chain. An empty or unusable key is an error, never an empty hash
/// (an entry without a hash could be changed without `audit verify` noticing).
fn chain_hash(key: &[u8], e: &AuditEntry) -> Result<String, StoreError> {
    if key.is_empty() {
        return Err(StoreError::Config(
            "the audit key is empty: set HEARTH_AUDIT_KEY or HEARTH_AUDIT_KEY_FILE".into(),
        ));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| StoreError::Config(format!("the audit key cannot be used: {e}")))?;
    let fields: [String; 11] = [
        e.prev_hash.clone(),
        e.id.to_string(),
        e.at.to_string(),
        e.actor_id.map(|v| v.to_string()).unwrap_or_default(),
        e.actor.clone(),
        e.authority_id.map(|v| v.to_string()).unwrap_or_default(),
        e.action.clone(),
        e.record_type.clone(),
        e.record_id.clone(),
        e.before_json.clone().unwrap_or_default(),
        e.after_json.clone().unwrap_or_default(),
    ];
    for f in fields {
        mac.update(&(f.len() as u64).to_be_bytes());
        mac.update(f.as_bytes());
    }
    Ok(hex::encode(mac.finalize().into_bytes()))
}

fn audit_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor_id: row.try_get("actor_id")?,
        actor: row.try_get("actor")?,
        authority_id: row.try_get("authority_id")?,
        action: row.try_get("action")?,
        record_type: row.try_get("record_type")?,
        record_id: row.try_get("record_id")?,
        before_json: row.try_get("before_json")?,
        after_json: row.try_get("after_json")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            id: 1,
            at: 0,
            actor_id: None,
            actor: "system".into(),
            authority_id: None,
            action: "create".into(),
            record_type: "user".into(),
            record_id: "1".into(),
            before_json: None,
            after_json: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    // Security review finding 15: a key that could not be used gave an empty hash, silently.
    #[test]
    fn an_empty_audit_key_is_an_error_not_an_empty_hash() {
        assert!(matches!(
            chain_hash(b"", &entry()),
            Err(StoreError::Config(_))
        ));
        let h = chain_hash(b"key", &entry()).unwrap();
        assert_eq!(h.len(), 64);
    }
}
