//! Write transactions and the append-only audit trail, chained by a keyed hash.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{Any, Row, Transaction};

use crate::{now, Db, StoreError};

/// Audit entries written by one statement in [`WriteTx::audit_created`] (14 values each; SQLite
/// slows past a few hundred values a statement).
const ENTRIES_PER_INSERT: usize = 40;

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
    pub(crate) key: std::sync::Arc<Vec<u8>>,
    pub(crate) backend: crate::Backend,
    actor: Actor,
    chain: i64,
    last_seq: i64,
    last_hash: String,
    at: i64,
}

/// The audit chain an actor's writes go to: its authority's, or the system chain (0).
pub fn chain_of(actor: &Actor) -> i64 {
    actor.authority_id.unwrap_or(0)
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
    /// The chain it belongs to: the authority's id, or 0 for work done for no authority.
    pub chain: i64,
    /// Its place in its chain, from 1.
    pub seq: i64,
    /// How its hash is laid out: 1 before per-authority chains (covers the id), 2 after
    /// (covers the chain and seq).
    pub format: i64,
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
    /// Every chain is whole; `entries` counts the entries of all of them.
    Intact {
        entries: i64,
    },
    Broken {
        entry_id: i64,
        reason: String,
    },
}

impl Db {
    /// Opens a write transaction acting for `actor`. It takes the head of the actor's
    /// authority's audit chain (or the system chain), so writers of one authority are ordered
    /// and authorities do not wait for each other on PostgreSQL. On SQLite the database has
    /// one writer at a time whatever the chain.
    pub async fn begin_write(&self, actor: &Actor) -> Result<WriteTx, StoreError> {
        self.begin_write_at(actor, now()).await
    }

    /// [`Db::begin_write`] with the transaction's time given (the application's clock).
    pub async fn begin_write_at(&self, actor: &Actor, at: i64) -> Result<WriteTx, StoreError> {
        let chain = chain_of(actor);
        // The first statement is a write, so SQLite takes its write lock before reading anything
        // (no stale snapshot to upgrade) and PostgreSQL locks the chain's head row until commit.
        let take = "UPDATE audit_chains SET last_seq = last_seq WHERE chain = $1 RETURNING last_seq, last_hash";
        let mut tx = self.pool.begin().await?;
        let row = match sqlx::query(take)
            .bind(chain)
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(row) => row,
            None if chain == 0 => {
                // The system chain is made by migration 10; a database without it is broken.
                return Err(StoreError::Config(
                    "the audit trail's system chain has no head: run hearth audit verify".into(),
                ));
            }
            None => {
                // A chain's first write: the chain is opened in a short transaction of its own
                // (holding nothing else, so it cannot deadlock with a system-chain writer
                // waiting on a row this one would lock), then this one starts again.
                tx.rollback().await?;
                Box::pin(self.open_chain(actor, at, chain)).await?;
                tx = self.pool.begin().await?;
                sqlx::query(take).bind(chain).fetch_one(&mut *tx).await?
            }
        };
        Ok(WriteTx {
            tx,
            key: self.audit_key_arc(),
            backend: self.backend(),
            actor: actor.clone(),
            chain,
            last_seq: row.try_get("last_seq")?,
            last_hash: row.try_get("last_hash")?,
            at,
        })
    }

    /// Gives `chain` its head and records its opening in the system chain (0), so removing a
    /// whole chain, head and all, is found by `audit verify`. Two writers opening the same
    /// chain at once: the second finds it open and records nothing.
    async fn open_chain(&self, actor: &Actor, at: i64, chain: i64) -> Result<(), StoreError> {
        let system = Actor {
            authority_id: None,
            ..actor.clone()
        };
        let mut tx = self.begin_write_at(&system, at).await?;
        let opened = sqlx::query(
            "INSERT INTO audit_chains (chain, last_seq, last_hash) VALUES ($1, 0, '') ON CONFLICT (chain) DO NOTHING",
        )
        .bind(chain)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected()
            == 1;
        if opened {
            tx.audit(
                "open",
                crate::RecordType::AuditChain,
                &chain.to_string(),
                None,
                Some(&serde_json::json!({ "chain": chain, "for": actor.authority_id })),
            )
            .await?;
        }
        tx.commit().await
    }

    fn audit_key_arc(&self) -> std::sync::Arc<Vec<u8>> {
        std::sync::Arc::new(self.audit_key().to_vec())
    }

    /// Searches the audit trail, newest first.
    pub async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        use crate::query::{col, contains};
        use sea_query::{Condition, Order};
        let mut c = Condition::all();
        if let Some(a) = q.authority_id {
            c = c.add(col("authority_id").eq(a));
        }
        if let Some(a) = &q.actor {
            c = c.add(contains(&["actor"], a));
        }
        if let Some(t) = &q.record_type {
            c = c.add(col("record_type").eq(t.clone()));
        }
        if let Some(r) = &q.record_id {
            c = c.add(col("record_id").eq(r.clone()));
        }
        if let Some(a) = &q.action {
            c = c.add(contains(&["action"], a));
        }
        if let Some(t) = q.from {
            c = c.add(col("at").gte(t));
        }
        if let Some(t) = q.to {
            c = c.add(col("at").lt(t));
        }
        let limit = if q.limit <= 0 { 50 } else { q.limit.min(500) };
        self.rows_where("audit_log", c, &[("id", Order::Desc)], limit, q.offset)
            .await
    }

    /// Recomputes every link of every chain, and the seal of every row written in an audited
    /// batch, and reports the first break.
    pub async fn audit_verify(&self) -> Result<ChainReport, StoreError> {
        let heads =
            sqlx::query("SELECT chain, last_seq, last_hash FROM audit_chains ORDER BY chain")
                .fetch_all(&self.pool)
                .await?;
        let mut chains = Vec::with_capacity(heads.len());
        for h in &heads {
            chains.push((
                h.try_get::<i64, _>("chain")?,
                h.try_get::<i64, _>("last_seq")?,
                h.try_get::<String, _>("last_hash")?,
            ));
        }
        if let Some(row) = sqlx::query(
            "SELECT MIN(id) AS id FROM audit_log WHERE chain NOT IN (SELECT chain FROM audit_chains)",
        )
        .fetch_one(&self.pool)
        .await?
        .try_get::<Option<i64>, _>("id")?
        {
            return Ok(ChainReport::Broken {
                entry_id: row,
                reason: "it belongs to a chain that has no head (the chain's head was removed)"
                    .into(),
            });
        }
        // Every chain the system chain says was opened must still have its head.
        let anchors = sqlx::query(
            "SELECT id, record_id FROM audit_log WHERE chain = 0 AND record_type = 'audit_chain' AND action = 'open'",
        )
        .fetch_all(&self.pool)
        .await?;
        for a in &anchors {
            let opened: String = a.try_get("record_id")?;
            if !chains.iter().any(|c| c.0.to_string() == opened) {
                return Ok(ChainReport::Broken {
                    entry_id: a.try_get("id")?,
                    reason: format!(
                        "chain {opened} was opened here but its head is gone (the chain was removed)"
                    ),
                });
            }
        }
        if !chains.iter().any(|c| c.0 == 0) {
            return Ok(ChainReport::Broken {
                entry_id: 0,
                reason: "the system chain's head is gone".into(),
            });
        }
        let mut count = 0i64;
        for (chain, head_seq, head_hash) in chains {
            match self.verify_chain(chain, head_seq, &head_hash).await? {
                Ok(n) => count += n,
                Err(broken) => return Ok(broken),
            }
        }
        if let Some(broken) = crate::write::verify_seals(self).await? {
            return Ok(broken);
        }
        Ok(ChainReport::Intact { entries: count })
    }

    async fn verify_chain(
        &self,
        chain: i64,
        head_seq: i64,
        head_hash: &str,
    ) -> Result<Result<i64, ChainReport>, StoreError> {
        let mut prev = String::new();
        let mut count = 0i64;
        let mut after_seq = 0i64;
        let mut last_id = 0i64;
        loop {
            // Only up to the head read at the start: entries committed while this runs are
            // checked next time, not mistaken for a break.
            let rows = sqlx::query(
                "SELECT * FROM audit_log WHERE chain = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT 5000",
            )
            .bind(chain)
            .bind(after_seq)
            .bind(head_seq)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let e = audit_from_row(row)?;
                if e.seq != after_seq + 1 || e.prev_hash != prev {
                    return Ok(Err(ChainReport::Broken {
                        entry_id: e.id,
                        reason: "its link to the previous entry does not match (an entry before it was removed or changed)".into(),
                    }));
                }
                let expected = chain_hash(self.audit_key(), &e)?;
                if expected != e.hash {
                    return Ok(Err(ChainReport::Broken {
                        entry_id: e.id,
                        reason: "its contents do not match its hash (the entry was edited)".into(),
                    }));
                }
                after_seq = e.seq;
                last_id = e.id;
                prev = e.hash;
                count += 1;
            }
        }
        if head_seq != after_seq || head_hash != prev {
            return Ok(Err(ChainReport::Broken {
                entry_id: last_id,
                reason: format!(
                    "chain {chain}'s head points at its entry {head_seq} but the last entry present is its {after_seq} (entries at the end were removed)"
                ),
            }));
        }
        // An entry past the head was not written by Hearth: a writer moves the head in the same
        // transaction as its entry. The entries are read before the head, so a write that
        // commits in between is seen in the head too.
        let beyond: Option<i64> =
            sqlx::query("SELECT MAX(seq) AS m FROM audit_log WHERE chain = $1")
                .bind(chain)
                .fetch_one(&self.pool)
                .await?
                .try_get("m")?;
        let head_now: i64 = sqlx::query("SELECT last_seq FROM audit_chains WHERE chain = $1")
            .bind(chain)
            .fetch_one(&self.pool)
            .await?
            .try_get("last_seq")?;
        if beyond.is_some_and(|m| m > head_now) {
            return Ok(Err(ChainReport::Broken {
                entry_id: last_id,
                reason: format!(
                    "chain {chain} has entries past its head (they were added outside Hearth)"
                ),
            }));
        }
        Ok(Ok(count))
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

    /// The chain this transaction's entries go to.
    pub fn chain(&self) -> i64 {
        self.chain
    }

    /// Records one change. `before` / `after` are JSON values of the record (None when created / deleted).
    pub async fn audit(
        &mut self,
        action: &str,
        record_type: crate::RecordType,
        record_id: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Result<(), StoreError> {
        let entry = self.entry(action, record_type, record_id, before, after);
        self.write_entry(entry).await?;
        Ok(())
    }

    /// Records the creation of several records of one type, each with its own entry (`after`
    /// the record's JSON), written a few statements at a time rather than two each: bulk work
    /// such as a night's alerts, where an entry per row is still wanted. `rows` are the
    /// records' ids and JSON, in the order their entries are chained.
    pub async fn audit_created(
        &mut self,
        action: &str,
        record_type: crate::RecordType,
        rows: &[(String, serde_json::Value)],
    ) -> Result<(), StoreError> {
        let mut entries = Vec::with_capacity(rows.len());
        for (record_id, after) in rows {
            let mut entry = self.entry(action, record_type, record_id, None, Some(after));
            entry.hash = chain_hash(&self.key, &entry)?;
            self.last_seq = entry.seq;
            self.last_hash = entry.hash.clone();
            entries.push(entry);
        }
        for chunk in entries.chunks(ENTRIES_PER_INSERT) {
            self.insert_entries(chunk).await?;
        }
        if !entries.is_empty() {
            self.move_head().await?;
        }
        Ok(())
    }

    /// The next entry of this transaction's chain, not yet hashed.
    fn entry(
        &self,
        action: &str,
        record_type: crate::RecordType,
        record_id: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> AuditEntry {
        AuditEntry {
            id: 0,
            at: self.at,
            actor_id: self.actor.user_id,
            actor: self.actor.name.clone(),
            authority_id: self.actor.authority_id,
            action: action.to_string(),
            record_type: record_type.as_str().to_string(),
            record_id: record_id.to_string(),
            before_json: before.map(|v| v.to_string()),
            after_json: after.map(|v| v.to_string()),
            prev_hash: self.last_hash.clone(),
            hash: String::new(),
            chain: self.chain,
            seq: self.last_seq + 1,
            format: 2,
        }
    }

    /// Hashes `entry` onto its chain, stores it and moves that chain's head.
    async fn write_entry(&mut self, mut entry: AuditEntry) -> Result<(), StoreError> {
        entry.hash = chain_hash(&self.key, &entry)?;
        self.insert_entries(std::slice::from_ref(&entry)).await?;
        self.last_seq = entry.seq;
        self.last_hash = entry.hash;
        self.move_head().await
    }

    /// Stores hashed entries in one statement.
    async fn insert_entries(&mut self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let mut p = crate::Params::default();
        let values: Vec<String> = entries
            .iter()
            .map(|_| format!("({})", crate::placeholders(&mut p, 14)))
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (at, actor_id, actor, authority_id, action, record_type, record_id, before_json, after_json, prev_hash, hash, chain, seq, format) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for e in entries {
            q = q
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
                .bind(e.chain)
                .bind(e.seq)
                .bind(e.format);
        }
        q.execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Moves this transaction's chain head to its last entry.
    async fn move_head(&mut self) -> Result<(), StoreError> {
        sqlx::query("UPDATE audit_chains SET last_seq = $2, last_hash = $3 WHERE chain = $1")
            .bind(self.chain)
            .bind(self.last_seq)
            .bind(self.last_hash.clone())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// The entry's link in the chain. An empty or unusable key is an error, never an empty hash
/// (an entry without a hash could be changed without `audit verify` noticing).
pub(crate) fn chain_hash(key: &[u8], e: &AuditEntry) -> Result<String, StoreError> {
    if key.is_empty() {
        return Err(StoreError::Config(
            "the audit key is empty: set HEARTH_AUDIT_KEY or HEARTH_AUDIT_KEY_FILE".into(),
        ));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| StoreError::Config(format!("the audit key cannot be used: {e}")))?;
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut fields: Vec<String> = match e.format {
        // Entries from before per-authority chains: all in chain 0, where seq is the old id.
        1 => vec![e.prev_hash.clone(), e.seq.to_string()],
        2 => vec![
            "hearth-audit-2".to_string(),
            e.prev_hash.clone(),
            e.chain.to_string(),
            e.seq.to_string(),
        ],
        other => {
            return Err(StoreError::Config(format!(
                "audit entry {} has an unknown layout {other}",
                e.id
            )))
        }
    };
    fields.extend([
        e.at.to_string(),
        opt(e.actor_id),
        e.actor.clone(),
        opt(e.authority_id),
        e.action.clone(),
        e.record_type.clone(),
        e.record_id.clone(),
        e.before_json.clone().unwrap_or_default(),
        e.after_json.clone().unwrap_or_default(),
    ]);
    for f in fields {
        mac.update(&(f.len() as u64).to_be_bytes());
        mac.update(f.as_bytes());
    }
    Ok(hex::encode(mac.finalize().into_bytes()))
}

impl crate::query::FromRow for AuditEntry {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, StoreError> {
        audit_from_row(row)
    }
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
        chain: row.try_get("chain")?,
        seq: row.try_get("seq")?,
        format: row.try_get("format")?,
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
            chain: 0,
            seq: 1,
            format: 2,
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
