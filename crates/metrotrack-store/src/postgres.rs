//! The PostgreSQL implementation of [`crate::Store`]: the same behaviour and figures as SQLite,
//! on a database server.
//!
//! Storage conventions (see `migrations/postgres`): `timestamptz`, `date`, `numeric`
//! for measured values (the written scale kept), identity keys, `jsonb` for original
//! observations and problem lists. Every key starts with `lab_id`, so that the lab
//! tables can be distributed by lab (Citus; `docs/national-deployment.md`).
//!
//! No TLS feature is built in: a server on another machine needs sqlx's `tls-rustls`
//! feature added to the workspace dependency (and `sslmode=require` in the URL).

mod import;
mod nodelay;
mod staging;
#[cfg(feature = "conformance")]
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrotrack_core::{ImportBatch, LabId};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgQueryResult};
use sqlx::{Executor, PgConnection, Postgres, Transaction};
use tokio::sync::mpsc::Receiver;

use crate::sql::{Backend, Flip, SqlStore, redact};

use crate::{BatchRequest, ImportEvent, StoreError};

/// Reading connections.
const POOL_SIZE: u32 = 8;
/// Writing connections (each import holds one while it writes).
const WRITERS: u32 = 4;
/// How long a read waits for a free connection before answering busy.
const READER_WAIT: Duration = Duration::from_secs(10);
/// How long a write waits for a free writing connection before answering busy: under
/// the request timeout.
const WRITER_WAIT: Duration = Duration::from_secs(20);

/// The PostgreSQL store: a pool of connections to one database.
pub type PgStore = SqlStore<Postgres>;

/// Now, to the microsecond: what `timestamptz` keeps, so that a value read back equals
/// the one written.
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

impl SqlStore<Postgres> {
    /// Moves the lab's appended tally changes into the tallies (migration 0007), and its
    /// due-day changes into the due days (0014): each row is updated once per write,
    /// however many statements changed it.
    async fn fold_tallies(
        tx: &mut Transaction<'static, Postgres>,
        lab: LabId,
    ) -> Result<(), StoreError> {
        sqlx::query("select fold_inspection_tallies($1), fold_instrument_due_days($1)")
            .bind(lab)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Vacuums the tallies and their changes after a write that folded them: the tally
    /// rows it updated and the changes it appended and deleted would otherwise stay as
    /// dead row versions that every figure reads past until autovacuum comes by. The
    /// write is committed already: a failure here is only logged.
    async fn tidy_tallies(&self) {
        if let Err(e) = sqlx::query(
            "vacuum (analyze) inspection_tallies, inspection_tally_changes, instrument_due_days,
             instrument_due_day_changes",
        )
        .execute(&self.pool)
        .await
        {
            tracing::warn!(error = %e, "could not vacuum inspection_tallies");
        }
    }

    /// Connects to the database at `postgres://…` (or `postgresql://…`). Call
    /// [`Store::migrate`] before use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        }
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| StoreError::UnsupportedUrl(redact(url)))?
            .application_name("metrotrack");
        let location = format!(
            "{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        // Writes wait for each other on a lab's lock: they get connections of their own,
        // so that however many wait, reads always find one.
        let writer = pool(WRITERS, WRITER_WAIT)
            .connect_with(options.clone())
            .await?;
        let pool = pool(POOL_SIZE, READER_WAIT).connect_with(options).await?;
        Ok(Self {
            pool,
            writer,
            location,
        })
    }
}

/// A pool of at most `size` connections, waiting at most `wait` for one, each with
/// Nagle's algorithm off (see [`nodelay`]). A connection whose socket cannot be found
/// is used as it is: slower, not wrong.
fn pool(size: u32, wait: Duration) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(wait)
        .after_connect(|conn, _| {
            Box::pin(async move {
                if let Err(e) = nodelay::on(conn).await {
                    tracing::warn!(error = %e, "could not ask for the connection's port");
                }
                Ok(())
            })
        })
}

impl Backend for Postgres {
    const STORE_NAME: &'static str = "PgStore";
    const ILIKE: &'static str = "ilike";
    const BYTE_ORDER: &'static str = " collate \"C\"";
    const FOR_UPDATE: &'static str = " for update";
    const POINTS_WITH_LATEST_TEST: &'static str = "from earthing_points p
         left join lateral (select x.tested_on, x.resistance_ohm, x.limit_ohm
             from earthing_tests x
             where x.lab_id = p.lab_id and x.point_id = p.id and x.voided_at is null
             order by x.tested_on desc, x.id desc limit 1) t on true";
    // Exact on `numeric`.
    const OVER_LIMIT: &'static str = "t.resistance_ohm > t.limit_ohm";
    // With the changes not folded in yet (migration 0007).
    const TALLIES: &'static str = "(select lab_id, seg, category_code, prev_seg,
                instrument_days, inspections
         from inspection_tallies
         union all
         select lab_id, seg, category_code, prev_seg, instrument_days, inspections
         from inspection_tally_changes) t";
    // With the changes not folded in yet (migration 0014).
    const DUE_DAYS: &'static str = "(select lab_id, due_on, instruments from instrument_due_days
         union all
         select lab_id, due_on, instruments from instrument_due_day_changes) d";

    // As migration 0005 first filled them.
    const RECOMPUTED_TALLIES: &'static str = "select lab_id, seg, category_code, prev_seg,
                sum(instrument_days) as days, sum(inspections) as n
         from (
             select lab_id, seg, category_code,
                    greatest(lag(seg) over (partition by lab_id, instrument_id order by day),
                             seg - 24) as prev_seg,
                    1 as instrument_days, 0 as inspections
             from (
                 select lab_id, instrument_id, min(category_code) as category_code,
                        inspected_on as day, inspection_half_month(inspected_on) as seg
                 from inspections where voided_at is null
                 group by lab_id, instrument_id, inspected_on
             ) days
             union all
             select lab_id, inspection_half_month(inspected_on), category_code,
                    inspection_half_month(inspected_on) - 24, 0, 1
             from inspections where voided_at is null
         ) x
         group by lab_id, seg, category_code, prev_seg
         having sum(instrument_days) <> 0 or sum(inspections) <> 0";
    // Every reference is a foreign key the server enforces as it writes.
    const INTEGRITY_CHECKS: &'static [&'static str] = &[];
    const LIVE_OR_VOIDED: &'static str = " and (s.voided_at is null or s.voided_at is not null)";

    fn json(param: &str) -> String {
        format!("cast({param} as jsonb)")
    }

    fn decimal(param: &str) -> String {
        format!("cast({param} as numeric)")
    }

    fn conn(c: &mut PgConnection) -> impl Executor<'_, Database = Self> {
        c
    }

    fn now() -> DateTime<Utc> {
        now()
    }

    async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Self>, sqlx::Error> {
        pool.begin().await
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    async fn run_migrations(pool: &PgPool) -> Result<(), StoreError> {
        sqlx::migrate!("../../migrations/postgres")
            .run(pool)
            .await?;
        Ok(())
    }

    async fn import(
        store: &PgStore,
        request: BatchRequest,
        events: Receiver<ImportEvent>,
    ) -> Result<ImportBatch, StoreError> {
        import::run(store, request, events).await
    }

    async fn lock_lab_writes(
        tx: &mut Transaction<'static, Self>,
        lab: LabId,
    ) -> Result<(), StoreError> {
        import::lock_lab_writes(tx, lab).await
    }

    async fn before_flip(
        _tx: &mut Transaction<'static, Self>,
        _lab: LabId,
        _flip: Flip,
    ) -> Result<(), StoreError> {
        // The trigger `inspections_keep_figures` sees each statement's flipped rows.
        Ok(())
    }

    async fn after_flip(tx: &mut Transaction<'static, Self>, lab: LabId) -> Result<(), StoreError> {
        PgStore::fold_tallies(tx, lab).await
    }

    async fn tidy(store: &PgStore) {
        store.tidy_tallies().await;
    }
}
