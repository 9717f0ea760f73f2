//! This node's short-lived copies of the public directory's rows (issue 8: the directory's
//! throughput). A search reads only the ids (and locations) that match; the whole rows of the
//! page shown come from here when this node read them in the last few seconds
//! (`AppConfig::directory_cache_seconds`, 10 by default), and from the database otherwise.
//! Reading a service's ~50 columns through sqlx's `Any` rows was most of a search's work.
//!
//! Every audited write this node begins empties the cache, so a change made here shows at
//! once; a change made on another node, or by a bulk job that writes without the audit
//! (the nightly count of current clients), shows within those seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hearth_store::DirectoryRow;

/// The most rows kept: past this the cache starts again empty (the national profile has
/// 37,000 services; a row is a few kB).
const MAX_ROWS: usize = 50_000;

pub(crate) struct RowCache {
    ttl: Duration,
    rows: Mutex<HashMap<i64, (Instant, DirectoryRow)>>,
}

impl RowCache {
    pub(crate) fn new(ttl: Duration) -> RowCache {
        RowCache {
            ttl,
            rows: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Instant, DirectoryRow)>> {
        // A panic while holding the lock leaves only copies behind: carry on with them.
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fresh rows of `ids` held here, and the ids that must be read.
    pub(crate) fn get(&self, ids: &[i64]) -> (HashMap<i64, DirectoryRow>, Vec<i64>) {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        if self.ttl.is_zero() {
            return (found, ids.to_vec());
        }
        let now = Instant::now();
        let rows = self.lock();
        for id in ids {
            match rows.get(id) {
                Some((at, row)) if now.duration_since(*at) < self.ttl => {
                    found.insert(*id, row.clone());
                }
                _ => missing.push(*id),
            }
        }
        (found, missing)
    }

    /// Keeps rows just read from the database.
    pub(crate) fn put(&self, rows: &[DirectoryRow]) {
        if self.ttl.is_zero() || rows.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut held = self.lock();
        if held.len() + rows.len() > MAX_ROWS {
            held.clear();
        }
        for r in rows {
            held.insert(r.service.id, (now, r.clone()));
        }
    }

    /// Forgets every row (this node is about to change records).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}
