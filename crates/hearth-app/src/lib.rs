//! Hearth's use cases. Each takes the acting principal and an input, authorises once here
//! (for HTML and API alike), runs in one transaction with its audit entry and returns values.

pub mod accounts;
pub mod actions;
pub mod admin;
pub mod audit;
pub mod authorities;
pub mod contacts;
pub mod day_activities;
pub mod day_requests;
pub mod demo;
mod demo_day;
mod demo_history;
mod demo_payments;
pub use demo_history::HistorySummary;
pub mod directory;
mod directory_cache;
pub mod documents;
pub mod error;
mod hashing;
pub mod home;
pub mod import;
pub mod jobs;
pub mod limits;
pub mod maintenance;
pub mod officers;
pub mod payment_reports;
pub mod payments;
pub mod principal;
pub mod records;
pub mod requests;
pub mod returns;
pub mod runs;
pub mod text;
pub mod uplifts;

pub use error::{AppError, ConflictCode, FieldErrors, ForField};
pub use maintenance::{open, Database, DatabaseSettings};
pub use principal::{Permission, Principal};

/// Now, as stored: seconds since 1970, UTC.
pub use hearth_domain::clock::now;

use hearth_store::Db;
use std::sync::Arc;

/// Settings the use cases need; passed explicitly, never global.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Idle time after which a session ends, unless the authority sets its own.
    pub idle_minutes: i64,
    /// Absolute lifetime of a session.
    pub absolute_hours: i64,
    /// Password hashes computed at once (argon2 is memory-hungry).
    pub max_concurrent_hashes: usize,
    /// Name shown in authenticator apps.
    pub totp_issuer: String,
    /// Requests a minute one address may make to the public directory and the open API.
    pub public_requests_per_minute: i64,
    /// How long this node shows a directory row it has read before reading it again
    /// (`directory_cache`); 0 reads every row every time.
    pub directory_cache_seconds: u64,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            idle_minutes: hearth_domain::authority::DEFAULT_IDLE_MINUTES,
            absolute_hours: hearth_domain::authority::DEFAULT_ABSOLUTE_HOURS,
            max_concurrent_hashes: 2,
            totp_issuer: "Hearth".to_string(),
            public_requests_per_minute: hearth_domain::throttle::PUBLIC_PER_ADDRESS.max,
            directory_cache_seconds: 10,
        }
    }
}

/// The application: the database and its settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    /// The store is private to the use cases: the web layer, jobs and the command line reach
    /// data only through them.
    pub(crate) db: Db,
    pub config: Arc<AppConfig>,
    hashing: Arc<hashing::Hasher>,
    /// A hash of a random password with the same parameters as real ones: a sign-in with an
    /// unknown username is checked against it, so it takes as long as a real one.
    dummy_hash: Arc<tokio::sync::OnceCell<String>>,
    /// This node's public-request counts not yet added to the database's.
    public_counts: Arc<limits::PublicCounts>,
    /// Where "now" and "today" come from: the system clock, or a test's.
    clock: Arc<dyn hearth_domain::clock::Clock>,
    /// This node's counts of runs and e-mail, for `/metrics`.
    stats: Arc<jobs::WorkStats>,
    /// This node's recent copies of directory rows.
    pub(crate) directory_rows: Arc<directory_cache::RowCache>,
}

impl App {
    pub fn new(db: Db, config: AppConfig) -> App {
        let permits = config.max_concurrent_hashes.max(1);
        let directory_rows = Arc::new(directory_cache::RowCache::new(
            std::time::Duration::from_secs(config.directory_cache_seconds),
        ));
        App {
            directory_rows,
            db,
            config: Arc::new(config),
            hashing: Arc::new(hashing::Hasher::new(permits)),
            dummy_hash: Arc::new(tokio::sync::OnceCell::new()),
            public_counts: Arc::new(limits::PublicCounts::default()),
            clock: Arc::new(hearth_domain::clock::SystemClock),
            stats: Arc::new(jobs::WorkStats::default()),
        }
    }

    /// The same application reading the time from `clock` (tests move time through it).
    pub fn with_clock(mut self, clock: Arc<dyn hearth_domain::clock::Clock>) -> App {
        self.clock = clock;
        self
    }

    /// Now, from the application's clock: seconds since 1970, UTC.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// A write transaction stamped with the application's clock.
    pub(crate) async fn begin_write(
        &self,
        actor: &hearth_store::Actor,
    ) -> Result<AppWrite, hearth_store::StoreError> {
        // A change made here shows in the directory as soon as it is committed: the copies
        // are forgotten now and again when the write ends, and rows read in between are not
        // kept (`directory_cache`).
        self.directory_rows.clear();
        let tx = self.db.begin_write_at(actor, self.now()).await?;
        Ok(AppWrite {
            tx,
            ended: WriteEnds(self.directory_rows.clone()),
        })
    }

    /// The store underneath, for tests that set up or inspect data directly. Only with the
    /// `testing` feature, which only test builds enable.
    #[cfg(feature = "testing")]
    pub fn db_for_tests(&self) -> &Db {
        &self.db
    }

    /// Today in the UK (the authority's date, whatever the server's time zone).
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.uk_today()
    }
}

/// An audited write begun by the application (`App::begin_write`): the store's transaction,
/// used through it, and what happens on this node when it ends.
pub(crate) struct AppWrite {
    tx: hearth_store::WriteTx,
    ended: WriteEnds,
}

impl AppWrite {
    /// Commits the write, then forgets the directory's copies read while it was under way.
    pub(crate) async fn commit(self) -> Result<(), hearth_store::StoreError> {
        let AppWrite { tx, ended } = self;
        let done = tx.commit().await;
        drop(ended);
        done
    }
}

impl std::ops::Deref for AppWrite {
    type Target = hearth_store::WriteTx;
    fn deref(&self) -> &hearth_store::WriteTx {
        &self.tx
    }
}

impl std::ops::DerefMut for AppWrite {
    fn deref_mut(&mut self) -> &mut hearth_store::WriteTx {
        &mut self.tx
    }
}

/// Forgets the directory's copies when a write ends, committed or not.
struct WriteEnds(Arc<directory_cache::RowCache>);

impl Drop for WriteEnds {
    fn drop(&mut self) {
        self.0.clear();
    }
}
