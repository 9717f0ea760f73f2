//! This node's short-lived copies of the public directory's rows (issue 8: the directory's
//! throughput). A search reads only the ids (and locations) that match; the whole rows of the
//! page shown come from here when this node read them in the last few seconds
//! (`AppConfig::directory_cache_seconds`, 10 by default), and from the database otherwise.
//! Reading a service's ~50 columns through sqlx's `Any` rows was most of a search's work.
//!
//! Every audited write this node makes empties the cache when it begins and again when it
//! ends (commits or rolls back), and rows read while a write was under way are not kept, so a
//! change made here shows as soon as it is committed; a change made on another node, or by a
//! bulk job that writes without the audit (the nightly count of current clients), shows
//! within those seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hearth_store::DirectoryRow;

/// The most rows kept: past this the cache starts again empty (the national profile has
/// 37,000 services; a row is a few kB).
const MAX_ROWS: usize = 50_000;

/// Rows by service id (`DirectoryRow` in the application; the tests keep plain values).
pub(crate) struct RowCache<T = DirectoryRow> {
    ttl: Duration,
    rows: Mutex<HashMap<i64, (Instant, T)>>,
    /// Moves on each time a write begins or ends. Rows read from the database are kept only
    /// if it has not moved since the read began: a read that overlapped a write may hold the
    /// rows as they were before it, and keeping them would show the old rows for seconds.
    generation: AtomicU64,
}

/// Where the cache stood when a read from the database began (`RowCache::generation`).
#[derive(Clone, Copy)]
pub(crate) struct ReadMark(u64);

impl<T: Clone> RowCache<T> {
    pub(crate) fn new(ttl: Duration) -> RowCache<T> {
        RowCache {
            ttl,
            rows: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Instant, T)>> {
        // A panic while holding the lock leaves only copies behind: carry on with them.
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fresh rows of `ids` held here, the ids that must be read, and the mark to pass to
    /// `put` with the rows read.
    pub(crate) fn get(&self, ids: &[i64]) -> (HashMap<i64, T>, Vec<i64>, ReadMark) {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        // Taken before anything is read, so a write that begins or ends after this point
        // stops the rows read from being kept.
        let mark = ReadMark(self.generation.load(Ordering::SeqCst));
        if self.ttl.is_zero() {
            return (found, ids.to_vec(), mark);
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
        (found, missing, mark)
    }

    /// Keeps rows just read from the database, unless a write began or ended since `mark`.
    pub(crate) fn put(&self, rows: &[(i64, T)], mark: ReadMark) {
        if self.ttl.is_zero() || rows.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut held = self.lock();
        // Checked under the lock, which `clear` also takes after moving the generation on:
        // either this put sees the new generation, or the clear that follows removes its rows.
        if self.generation.load(Ordering::SeqCst) != mark.0 {
            return;
        }
        if held.len() + rows.len() > MAX_ROWS {
            held.clear();
        }
        for (id, r) in rows {
            held.insert(*id, (now, r.clone()));
        }
    }

    /// Forgets every row, and every read under way (this node is about to change records, or
    /// has just changed them).
    pub(crate) fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.lock().clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(id: i64) -> (i64, String) {
        (id, format!("service {id} as it was"))
    }

    #[test]
    fn rows_read_before_a_write_are_not_kept_when_it_ends_after_the_read() {
        let c = RowCache::<String>::new(Duration::from_secs(60));
        // A search reads row 1 from the database...
        let (_, missing, mark) = c.get(&[1]);
        assert_eq!(missing, vec![1]);
        // ...while a write begins (and commits) on this node...
        c.clear();
        // ...and the read, which may hold the row as it was, ends after it.
        c.put(&[row(1)], mark);
        let (found, missing, _) = c.get(&[1]);
        assert!(found.is_empty(), "a row read across a write was kept");
        assert_eq!(missing, vec![1]);
    }

    #[test]
    fn rows_read_with_no_write_under_way_are_kept() {
        let c = RowCache::<String>::new(Duration::from_secs(60));
        let (_, _, mark) = c.get(&[1, 2]);
        c.put(&[row(1), row(2)], mark);
        let (found, missing, _) = c.get(&[1, 2, 3]);
        assert_eq!(found.len(), 2);
        assert_eq!(missing, vec![3]);
        // A write forgets them.
        c.clear();
        assert_eq!(c.get(&[1]).1, vec![1]);
    }
}
