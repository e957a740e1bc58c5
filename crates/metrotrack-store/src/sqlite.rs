//! The SQLite implementation of [`crate::Store`]: one database file in WAL mode.
//!
//! Storage conventions (see `migrations/sqlite`): timestamps are RFC 3339 text, dates
//! `YYYY-MM-DD` text (so they sort and compare as text), exact decimals their canonical
//! text. Every key starts with `lab_id`.

/// The half-month of an inspection (`(year * 12 + month - 1) * 2 + (day >= 15)`, see
/// migration 0005) from its `inspected_on`, as SQL: `half_month!("o.")` reads
/// `o.inspected_on`. An expression in the statements that need it, not a generated
/// column: SQLite keeps a statement journal (a copy of every page a statement changes)
/// for a many-row insert into a table whose generated column calls a function, since
/// the function may fail midway (migration 0019).
macro_rules! half_month {
    ($table:literal) => {
        concat!(
            "((cast(substr(",
            $table,
            "inspected_on, 1, 4) as integer) * 12 + cast(substr(",
            $table,
            "inspected_on, 6, 2) as integer) - 1) * 2 + (substr(",
            $table,
            "inspected_on, 9, 2) >= '15'))"
        )
    };
}

mod deferred;
mod direct;
mod import;
mod insert;
mod raw;
mod tallies;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrotrack_core::{ImportBatch, LabId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{Executor, Sqlite, SqliteConnection, Transaction};
use tokio::sync::mpsc::Receiver;

use crate::sql::{Backend, Flip, SqlStore, redact};

use crate::{BatchRequest, ImportEvent, StoreError};

/// Reading connections of a file database: they run alongside the one writer (WAL) and
/// never wait for it.
const READERS: u32 = 8;
/// Page cache of the writer (imports touch several indexes at once), in KiB.
const WRITER_CACHE_KIB: u32 = 32 * 1024;
/// Page cache of each reader, in KiB (the figures read small tallies).
const READER_CACHE_KIB: u32 = 8 * 1024;
/// Page cache of the writer while an import builds the indexes it deferred, in KiB:
/// SQLite's sorter holds up to a page cache's worth of keys in memory before it writes
/// a sorted run to a temporary file.
const SORTER_CACHE_KIB: u32 = 4 * 1024;
/// Helper threads SQLite's sorter may use while an import builds the indexes it
/// deferred: one sorts a run of keys while the writer reads the next.
const SORTER_THREADS: u32 = 1;
/// How long a write waits for another process's write transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a write waits for the writer connection (another write of this process,
/// e.g. a long import) before answering busy: under the request timeout.
const WRITER_WAIT: Duration = Duration::from_secs(20);
/// How long a read waits for a free reading connection before answering busy.
const READER_WAIT: Duration = Duration::from_secs(10);
/// Turns on the writer's checkpoint at each commit once the write-ahead log passes
/// 1000 pages (SQLite's default), whenever the writer is released: an import's commit
/// goes without (`sqlite/import.rs`, `commit`), and the store copies its log into the
/// database after it, off the request's path.
const CHECKPOINT_COMMITS: &str = "pragma wal_autocheckpoint = 1000";
/// What the write-ahead log is cut back to after a checkpoint.
const WAL_LIMIT_BYTES: u64 = 64 << 20;
/// The page size of a database this store creates (one it opens keeps its own: SQLite
/// changes it only by `VACUUM`, never in WAL mode). Twice SQLite's default: an import
/// of 1M rows ran in 10–11 s against 11.8 s at 4 KiB (fewer pages to split, balance,
/// checksum and log), and 16 KiB was no faster. The caches are sized in KiB, so memory
/// stays the same.
const PAGE_BYTES: u32 = 8192;

/// The SQLite store: a pool of connections to one database file.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    /// Opens (creating if missing) the database at `sqlite://PATH`, or a private
    /// in-memory database for `sqlite::memory:`. Call [`Store::migrate`] before use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        }
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .page_size(PAGE_BYTES)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("cache_size", format!("-{READER_CACHE_KIB}"))
            .pragma("temp_store", "memory")
            // A big import fills the write-ahead log with the whole batch; once it is
            // checkpointed, cut the file back instead of keeping it at its largest.
            .pragma("journal_size_limit", WAL_LIMIT_BYTES.to_string());
        let location = if in_memory {
            ":memory:".to_owned()
        } else {
            options.get_filename().display().to_string()
        };
        if in_memory {
            // An in-memory database lives as long as its connections: keep exactly one,
            // which reads and writes.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?;
            let writer = pool.clone();
            return Ok(Self {
                pool,
                writer,
                location,
            });
        }
        // SQLite has one writer at a time: one writing connection, whose pool queues the
        // writes of this process (without holding a reader each), and readers that WAL
        // lets read the last committed state meanwhile. Imports touch several indexes at
        // once: the writer's larger page cache keeps them off the disk until commit (a
        // ceiling, allocated only as pages are used). Its temporary files (statement
        // journals, sorts) are files, not memory: dropping an index of a million rows
        // journals its pages, and building one sorts all its keys (migration or import,
        // see `DEFERRED_INDEXES`); in memory, either took the process past 100 MiB.
        //
        // An import commits without a checkpoint (see `sqlite/import.rs`, `commit`); the
        // writer checkpoints its commits again as soon as it is released, before any
        // other write can take it.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(WRITER_WAIT)
            .after_release(|conn, _| {
                Box::pin(async move {
                    conn.execute(CHECKPOINT_COMMITS).await?;
                    Ok(true)
                })
            })
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                    .pragma("temp_store", "file"),
            )
            .await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(READERS)
            .acquire_timeout(READER_WAIT)
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            writer,
            location,
        })
    }

    /// Writes a consistent copy of the whole database to a new file at `path` while it
    /// is in use (`VACUUM INTO`: one read transaction, so writers go on meanwhile and
    /// the copy is the database at one moment). Refuses a path that exists.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Invalid(format!(
                "{} exists already: a backup is written to a new file",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Invalid("the backup's path is not UTF-8".into()))?;
        sqlx::query("vacuum into $1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Copies the write-ahead log into the database as far as readers allow, without
    /// waiting for them: the next write then starts the log afresh, cut back to
    /// `journal_size_limit`, instead of the log staying as large as the largest write.
    async fn checkpoint(&self) {
        if let Err(e) = sqlx::query("pragma wal_checkpoint(passive)")
            .execute(&self.pool)
            .await
        {
            tracing::debug!(error = %e, "could not checkpoint the write-ahead log");
        }
    }
}

impl Backend for Sqlite {
    const STORE_NAME: &'static str = "SqliteStore";
    const ILIKE: &'static str = "like";
    const BYTE_ORDER: &'static str = "";
    const FOR_UPDATE: &'static str = "";
    const POINTS_WITH_LATEST_TEST: &'static str = "from earthing_points p
         left join earthing_tests t on t.id = (select x.id from earthing_tests x
             where x.point_id = p.id and x.voided_at is null
             order by x.tested_on desc, x.id desc limit 1)";
    const OVER_LIMIT: &'static str = "cast(t.resistance_ohm as real) > cast(t.limit_ohm as real)";
    const TALLIES: &'static str = "inspection_tallies";
    const DUE_DAYS: &'static str = "instrument_due_days";
    // As migration 0005 first filled them.
    const RECOMPUTED_TALLIES: &'static str = concat!(
        "select lab_id, seg, category_code, prev_seg, sum(days) as days, sum(n) as n
         from (
             select lab_id, seg, category_code,
                    case when prev is null or prev < seg - 24 then seg - 24 else prev end
                        as prev_seg,
                    1 as days, 0 as n
             from (
                 select lab_id, category_code, half_month as seg,
                        lag(half_month) over (partition by lab_id, instrument_id
                                              order by inspected_on) as prev
                 from (select distinct lab_id, instrument_id, category_code, inspected_on,
                              ",
        half_month!(""),
        " as half_month
                       from inspections where voided_at is null)
             )
             union all
             select lab_id, half_month, category_code, half_month - 24, 0, 1
             from (select lab_id, category_code, ",
        half_month!(""),
        " as half_month
                   from inspections where voided_at is null)
         )
         group by lab_id, seg, category_code, prev_seg
         having sum(days) <> 0 or sum(n) <> 0"
    );
    const LIVE_OR_VOIDED: &'static str = "";
    const INTEGRITY_CHECKS: &'static [&'static str] = &[
        "select 'the database file: ' || integrity_check from pragma_integrity_check
         where integrity_check <> 'ok'",
        "select 'a row of ' || \"table\" || ' (rowid ' || coalesce(cast(rowid as text), '?')
                || ') names a missing row of ' || parent
         from pragma_foreign_key_check",
    ];

    fn json(param: &str) -> String {
        param.to_owned()
    }

    fn decimal(param: &str) -> String {
        param.to_owned()
    }

    fn conn(c: &mut SqliteConnection) -> impl Executor<'_, Database = Self> {
        c
    }

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Self>, sqlx::Error> {
        pool.begin_with("begin immediate").await
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    async fn run_migrations(pool: &SqlitePool) -> Result<(), StoreError> {
        sqlx::migrate!("../../migrations/sqlite").run(pool).await?;
        Ok(())
    }

    async fn import(
        store: &SqliteStore,
        request: BatchRequest,
        events: Receiver<ImportEvent>,
    ) -> Result<ImportBatch, StoreError> {
        let outcome = import::run(store, request, events).await;
        // An import writes its whole file in one transaction, committed without a
        // checkpoint (or rolled back): the log holds it all; copy it into the database
        // off the request's path.
        let store = store.clone();
        tokio::spawn(async move { store.checkpoint().await });
        outcome
    }

    async fn lock_lab_writes(
        _tx: &mut Transaction<'static, Self>,
        _lab: LabId,
    ) -> Result<(), StoreError> {
        // `begin immediate` holds the database's one write lock already.
        Ok(())
    }

    async fn before_flip(
        tx: &mut Transaction<'static, Self>,
        lab: LabId,
        flip: Flip,
    ) -> Result<(), StoreError> {
        tallies::flipping(tx, lab, flip).await
    }

    async fn after_flip(tx: &mut Transaction<'static, Self>, lab: LabId) -> Result<(), StoreError> {
        tallies::flipped(tx, lab).await
    }

    async fn tidy(_store: &SqliteStore) {}
}
