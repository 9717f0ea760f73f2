//! Rate limits and throttles (security review 4), counted in the database so they hold across
//! nodes. The rules (how many, how long) are in `hearth_domain::throttle`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hearth_domain::throttle::Limit;
use hearth_store::Hits;

use crate::{App, AppError};

/// A bucket name part from something a person typed: lower case, bounded, no separators.
pub(crate) fn key_part(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control() && *c != '|')
        .take(100)
        .collect()
}

/// A node's share of the public-request counts: each address's hits since they were last added
/// to the database's bucket, and the bucket's total as last seen.
#[derive(Default)]
pub struct PublicCounts {
    by_address: Mutex<Addresses>,
}

#[derive(Default)]
struct Addresses {
    map: HashMap<String, Local>,
    /// When windows that had ended were last dropped (at most once a second, so a full map
    /// does not make every request walk it).
    last_sweep: Option<Instant>,
}

struct Local {
    window_start: i64,
    unflushed: i64,
    seen_total: i64,
    last_flush: Instant,
}

/// Add a node's counts to the database at least this often, and every this many requests.
const FLUSH_AFTER: Duration = Duration::from_secs(1);
const FLUSH_EVERY: i64 = 10;
/// Addresses kept in memory before windows that have ended are dropped.
pub const MAX_ADDRESSES: usize = 20_000;

impl App {
    /// Counts one hit on `bucket`.
    pub(crate) async fn limit_hit(&self, bucket: &str, limit: Limit) -> Result<Hits, AppError> {
        let t = self.now();
        Ok(self
            .db
            .rate_add(bucket, 1, t, limit.window_open_since(t))
            .await?)
    }

    /// Counts one attempt on `bucket` before it is tried, and refuses it if that takes the count
    /// past `limit`. Counting first means parallel attempts cannot all pass a check made
    /// before any of them was counted (an attempt that turns out right is given back with
    /// [`App::limit_give_back`]).
    pub(crate) async fn limit_take(&self, bucket: &str, limit: Limit) -> Result<Hits, AppError> {
        let h = self.limit_hit(bucket, limit).await?;
        if h.hits > limit.max {
            let retry_after = (h.window_start + limit.window_secs - self.now()).max(1);
            return Err(AppError::TooMany { retry_after });
        }
        Ok(h)
    }

    /// Takes back an attempt counted by [`App::limit_take`] that turned out right, so only
    /// failures add up.
    pub(crate) async fn limit_give_back(&self, bucket: &str) -> Result<(), AppError> {
        Ok(self.db.rate_undo(bucket).await?)
    }

    /// One request to the public directory or the open API from `address`: refused once the
    /// address has made more than the configured number in a minute, counted across nodes.
    pub async fn public_request(&self, address: &str) -> Result<(), AppError> {
        let max = self.config.public_requests_per_minute;
        if max <= 0 {
            return Ok(());
        }
        let limit = Limit {
            max,
            window_secs: 60,
        };
        let t = self.now();
        let counted_here = {
            let mut a = self
                .public_counts
                .by_address
                .lock()
                .map_err(|_| AppError::Internal("rate counts poisoned".into()))?;
            if a.map.len() >= MAX_ADDRESSES
                && a.last_sweep.is_none_or(|s| s.elapsed() >= FLUSH_AFTER)
            {
                a.map.retain(|_, l| l.window_start + limit.window_secs > t);
                a.last_sweep = Some(Instant::now());
            }
            a.map.len() < MAX_ADDRESSES || a.map.contains_key(address)
        };
        if !counted_here {
            // More addresses at once than this node keeps: each request of a new one is
            // counted straight in the database.
            let h = self
                .db
                .rate_add(
                    &format!("public:addr:{}", key_part(address)),
                    1,
                    t,
                    limit.window_open_since(t),
                )
                .await?;
            if h.hits > max {
                return Err(AppError::TooMany {
                    retry_after: (h.window_start + limit.window_secs - t).max(1),
                });
            }
            return Ok(());
        }
        let (flush, refused) = {
            let mut a = self
                .public_counts
                .by_address
                .lock()
                .map_err(|_| AppError::Internal("rate counts poisoned".into()))?;
            let l = a.map.entry(address.to_string()).or_insert(Local {
                window_start: t,
                unflushed: 0,
                seen_total: 0,
                last_flush: Instant::now(),
            });
            if l.window_start + limit.window_secs <= t {
                *l = Local {
                    window_start: t,
                    unflushed: 0,
                    seen_total: 0,
                    last_flush: Instant::now(),
                };
            }
            l.unflushed += 1;
            let total = l.seen_total + l.unflushed;
            let refused = (total > max).then(|| (l.window_start + limit.window_secs - t).max(1));
            let flush = if l.unflushed >= FLUSH_EVERY
                || l.last_flush.elapsed() >= FLUSH_AFTER
                || refused.is_some()
            {
                let n = l.unflushed;
                l.unflushed = 0;
                l.seen_total += n;
                l.last_flush = Instant::now();
                n
            } else {
                0
            };
            (flush, refused)
        };
        if flush > 0 {
            let h = self
                .db
                .rate_add(
                    &format!("public:addr:{}", key_part(address)),
                    flush,
                    t,
                    limit.window_open_since(t),
                )
                .await?;
            if let Ok(mut a) = self.public_counts.by_address.lock() {
                if let Some(l) = a.map.get_mut(address) {
                    l.seen_total = h.hits.max(l.seen_total);
                    l.window_start = h.window_start;
                }
            }
            if h.hits > max {
                return Err(AppError::TooMany {
                    retry_after: (h.window_start + limit.window_secs - t).max(1),
                });
            }
        }
        match refused {
            Some(retry_after) => Err(AppError::TooMany { retry_after }),
            None => Ok(()),
        }
    }

    /// How many addresses this node holds counts for (a test of the bound).
    #[doc(hidden)]
    pub fn public_addresses_held(&self) -> usize {
        self.public_counts
            .by_address
            .lock()
            .map(|a| a.map.len())
            .unwrap_or(0)
    }

    /// The hourly clean-up of counters whose windows have long ended.
    pub async fn purge_rate_limits(&self) -> Result<u64, AppError> {
        Ok(self.db.rate_purge(self.now() - 24 * 3600).await?)
    }
}
