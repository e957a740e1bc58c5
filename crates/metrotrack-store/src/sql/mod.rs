//! The store written once: every query both backends run, and every decision the store
//! makes, over a [`Backend`] that says only what differs between SQLite and PostgreSQL.
//!
//! The SQL here is written for both: `$n` placeholders (SQLite reads them too), casts
//! where the stored types differ (`cast(x as text)` for PostgreSQL's `jsonb` and
//! `numeric`), and the few fragments that differ taken from the backend.

mod accounts;
mod batches;
mod categories;
pub(crate) mod chunk;
mod due;
pub use categories::CategoryNames;
mod evidence;
mod files;
mod lists;
mod records;
mod report;
mod rows;
mod store;
mod tallies;
pub(crate) use tallies::Pending;

/// A hash map for the keys an import counts and looks up per row: foldhash instead of
/// the standard library's SipHash, which took about 4 % of a large import's writer.
/// Its seed is still random per map; the maps hold one chunk's keys, a few thousand.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
mod verify;

use std::fmt;
use std::future::Future;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::{ImportBatch, LabId};
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::{
    Database, Encode, Executor, FromRow, IntoArguments, Pool, QueryBuilder, Transaction, Type,
};
use tokio::sync::mpsc::Receiver;

use crate::accounts::{ApiToken, Lab, Session, User, UserCredentials};
use crate::{BatchRequest, ImportEvent, PoolUse, StoreError};
use rows::{
    AuditRow, BatchRow, CategoryRow, ClashRow, DueRow, HolderRow, InspectionRow, InstrumentRow,
    PlanRow, PointRow, TestRow,
};

/// A store over one database: SQLite ([`crate::SqliteStore`]) or PostgreSQL
/// ([`crate::PgStore`]).
pub struct SqlStore<DB: Database> {
    /// Reads (and the few writes that need no transaction of their own).
    pub(crate) pool: Pool<DB>,
    /// Transactions that write ([`SqlStore::begin_write`]): a pool of their own, so that
    /// writes waiting for each other (SQLite's one writer, PostgreSQL's per-lab lock)
    /// never take the connections reads need.
    pub(crate) writer: Pool<DB>,
    /// Where it is, for `Debug`: never a password.
    pub(crate) location: String,
}

impl<DB: Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
            location: self.location.clone(),
        }
    }
}

impl<DB: Backend> fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(DB::STORE_NAME)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl<DB: Backend> SqlStore<DB> {
    /// The connection pool, for diagnostics and backend-specific tests.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// The writing connections' pool (on SQLite, its one writer), for backend-specific
    /// tests of the state an import leaves its connection in.
    pub fn writer_pool(&self) -> &Pool<DB> {
        &self.writer
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Connections in use and idle, readers and writers ([`crate::Store::pool_use`]).
    pub(crate) fn connections(&self) -> PoolUse {
        let of = |p: &Pool<DB>| {
            let idle = u32::try_from(p.num_idle()).unwrap_or(u32::MAX);
            (p.size().saturating_sub(idle), idle)
        };
        let (readers_busy, readers_idle) = of(&self.pool);
        let (writers_busy, writers_idle) = of(&self.writer);
        PoolUse {
            readers_busy,
            readers_idle,
            writers_busy,
            writers_idle,
        }
    }

    /// A transaction that writes, on the writers' pool: see [`Backend::begin_write`].
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, DB>, StoreError> {
        Ok(DB::begin_write(&self.writer).await?)
    }

    /// Appends an audit entry within `tx`.
    pub(crate) async fn audit(
        tx: &mut Transaction<'static, DB>,
        lab: LabId,
        actor: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "insert into audit_log (lab_id, at, actor, action, subject, detail)
             values ($1, $2, $3, $4, $5, {})",
            DB::json("$6")
        );
        execute(
            tx,
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(lab)
                .arg(DB::now())
                .arg(actor)
                .arg(action)
                .arg(subject)
                .arg(detail.to_string()),
        )
        .await?;
        Ok(())
    }
}

/// What differs between the two databases; everything else is written once in this
/// module. Implemented by [`sqlx::Sqlite`] (in `sqlite.rs`) and [`sqlx::Postgres`] (in
/// `postgres.rs`).
///
/// The supertraits list every value the shared queries bind and every row they read,
/// so that code generic over a `Backend` needs no other bound.
pub trait Backend:
    Database<Arguments: IntoArguments<Self>>
    + Binds<i64>
    + Binds<Option<i64>>
    + Binds<bool>
    + Binds<String>
    + Binds<Option<String>>
    + for<'a> Binds<&'a str>
    + Binds<NaiveDate>
    + Binds<Option<NaiveDate>>
    + Binds<DateTime<Utc>>
    + Binds<Option<DateTime<Utc>>>
    + Binds<Vec<u8>>
    + Decodes<(i64,)>
    + Decodes<(i64, i64)>
    + Decodes<(i64, Vec<u8>)>
    + Decodes<(i64, i64, String, String)>
    + Decodes<(Option<i64>, Option<i64>)>
    + Decodes<(Option<i64>,)>
    + Decodes<(Option<DateTime<Utc>>,)>
    + Decodes<(Option<NaiveDate>,)>
    + Decodes<Lab>
    + Decodes<User>
    + Decodes<UserCredentials>
    + Decodes<ApiToken>
    + Decodes<Session>
    + Decodes<AuditRow>
    + Decodes<ClashRow>
    + Decodes<HolderRow>
    + Decodes<(String,)>
    + Decodes<(String, i64, i64, i64, i64)>
    + Decodes<(i64, String, String)>
    + Decodes<(String, String, String, String, String, String, String)>
    + Decodes<BatchRow>
    + Decodes<CategoryRow>
    + Decodes<PlanRow>
    + Decodes<DueRow>
    + Decodes<InstrumentRow>
    + Decodes<InspectionRow>
    + Decodes<PointRow>
    + Decodes<TestRow>
{
    /// The store's name in `Debug`.
    const STORE_NAME: &'static str;
    /// Case-insensitive `like` (SQLite's `like` ignores ASCII case; PostgreSQL's
    /// `ilike`).
    const ILIKE: &'static str;
    /// Byte order for text in `order by` (SQLite's default; PostgreSQL's `collate "C"`).
    const BYTE_ORDER: &'static str;
    /// Locks the rows a `select` reads until the transaction ends (PostgreSQL); SQLite
    /// holds its write lock from `begin` on.
    const FOR_UPDATE: &'static str;
    /// The earthing points (`p`) with their latest valid test (`t`), selected as
    /// [`rows::POINT_COLUMNS`] names them.
    const POINTS_WITH_LATEST_TEST: &'static str;
    /// The condition that a point's latest test is over its limit: exact on
    /// PostgreSQL's `numeric`; a coarse test on SQLite's text, the exact verdict then
    /// taken on decimals.
    const OVER_LIMIT: &'static str;
    /// The inspection tallies as the figures read them.
    const TALLIES: &'static str;
    /// How many instruments fall due on each day (migration 0014) as the due counts read
    /// them: `lab_id, due_on, instruments`, a day possibly on several rows.
    const DUE_DAYS: &'static str;
    /// The inspection tallies recomputed from the live records, as the migration that
    /// made them computes them: `lab_id, seg, category_code, prev_seg, days, n` (zero
    /// rows left out), for `metrotrack verify`.
    const RECOMPUTED_TALLIES: &'static str;
    /// Queries naming what the database finds wrong in itself (pages, references), one
    /// text column each; none for a server that checks as it writes.
    const INTEGRITY_CHECKS: &'static [&'static str];
    /// A condition every inspection (`s`) meets, live or voided, for a query of one
    /// instrument's records that includes the voided ones. PostgreSQL holds them in two
    /// partial indexes (the natural key, live; `inspections_voided`, voided: migration
    /// 0021) and combines the two only when the query names both cases; without it, it
    /// scans the table. Empty on SQLite, whose `inspections_instrument` holds them all.
    const LIVE_OR_VOIDED: &'static str;

    /// `param` as a JSON value to store.
    fn json(param: &str) -> String;

    /// `param`, an exact decimal as text, as the database stores decimals (SQLite: the
    /// text; PostgreSQL: `numeric`).
    fn decimal(param: &str) -> String;

    /// The connection as an executor.
    fn conn(c: &mut Self::Connection) -> impl Executor<'_, Database = Self>;

    /// Now, as precisely as the database keeps it (so a value read back equals the
    /// one written).
    fn now() -> DateTime<Utc>;

    /// A transaction that writes: on SQLite it takes the write lock at once (`begin
    /// immediate`), so it waits for another writer instead of failing on a stale read
    /// snapshot.
    fn begin_write(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send;

    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// Applies the backend's migrations.
    fn run_migrations(pool: &Pool<Self>) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores one file's rows as one batch: see [`crate::Store::import_batch`].
    fn import(
        store: &SqlStore<Self>,
        request: BatchRequest,
        events: Receiver<ImportEvent>,
    ) -> impl Future<Output = Result<ImportBatch, StoreError>> + Send;

    /// Before a batch is voided: keeps the lab's other writes out until `tx` ends.
    fn lock_lab_writes(
        tx: &mut Transaction<'static, Self>,
        lab: LabId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Before the inspections `flip` names are voided or made live again in `tx`.
    fn before_flip(
        tx: &mut Transaction<'static, Self>,
        lab: LabId,
        flip: Flip,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// After them: the tallies and due dates follow.
    fn after_flip(
        tx: &mut Transaction<'static, Self>,
        lab: LabId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// After a write that changed the tallies is committed.
    fn tidy(store: &SqlStore<Self>) -> impl Future<Output = ()> + Send;
}

/// Records whose liveness a write changes: voided, or made live again. The upkeep of
/// the figures (SQLite: store code; PostgreSQL: a trigger) follows these changes only;
/// values of a live record never change under it (an amendment voids the version it
/// replaces first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flip {
    /// A batch's live records, voided with it.
    VoidBatch(i64),
    /// A voided batch's records that its void took (not those voided on their own).
    RestoreBatch(i64),
    /// One live record, voided.
    VoidRecord(i64),
    /// One voided record, made live again.
    RestoreRecord(i64),
}

/// The records of batch `$2` of lab `$1`, as a condition: its batch and the range of ids
/// the batch keeps (migration 0015), a range of the primary key that spares an index on
/// `batch_id`.
macro_rules! batch_records {
    () => {
        "lab_id = $1 and batch_id = $2
         and id between (select first_record_id from import_batches where lab_id = $1 and id = $2)
                    and (select last_record_id from import_batches where lab_id = $1 and id = $2)"
    };
}

impl Flip {
    /// The records the flip changes, as a condition on lab `$1` and [`Flip::target`]
    /// `$2`: the same in the update that flips them and in the upkeep that follows.
    pub fn condition(self) -> &'static str {
        match self {
            Self::VoidBatch(_) => concat!(batch_records!(), " and voided_at is null"),
            Self::RestoreBatch(_) => concat!(
                batch_records!(),
                " and voided_at is not null and void_reason is null"
            ),
            Self::VoidRecord(_) => "lab_id = $1 and id = $2 and voided_at is null",
            Self::RestoreRecord(_) => "lab_id = $1 and id = $2 and voided_at is not null",
        }
    }

    /// The batch or record it names.
    pub fn target(self) -> i64 {
        match self {
            Self::VoidBatch(id)
            | Self::RestoreBatch(id)
            | Self::VoidRecord(id)
            | Self::RestoreRecord(id) => id,
        }
    }

    /// How a flipped record's count changes: -1 voided, +1 live again.
    pub fn delta(self) -> i64 {
        match self {
            Self::VoidBatch(_) | Self::VoidRecord(_) => -1,
            Self::RestoreBatch(_) | Self::RestoreRecord(_) => 1,
        }
    }
}

/// A value the backend binds as a query argument.
pub trait Binds<T>: Database {
    fn bind_to(
        query: Query<'_, Self, Self::Arguments>,
        value: T,
    ) -> Query<'_, Self, Self::Arguments>;
    fn push_to(builder: &mut QueryBuilder<Self>, value: T);
}

impl<DB: Database, T> Binds<T> for DB
where
    T: for<'t> Encode<'t, DB> + Type<DB>,
{
    fn bind_to(
        query: Query<'_, Self, Self::Arguments>,
        value: T,
    ) -> Query<'_, Self, Self::Arguments> {
        query.bind(value)
    }

    fn push_to(builder: &mut QueryBuilder<Self>, value: T) {
        builder.push_bind(value);
    }
}

/// A row the backend reads into `X`.
pub trait Decodes<X>: Database {
    fn decode(row: &Self::Row) -> Result<X, sqlx::Error>;
}

impl<DB: Database, X> Decodes<X> for DB
where
    X: for<'r> FromRow<'r, DB::Row>,
{
    fn decode(row: &Self::Row) -> Result<X, sqlx::Error> {
        X::from_row(row)
    }
}

/// Binding by what the backend can bind.
pub(crate) trait Arg<DB: Database>: Sized {
    fn arg<T>(self, value: T) -> Self
    where
        DB: Binds<T>;
}

impl<DB: Database> Arg<DB> for Query<'_, DB, DB::Arguments> {
    fn arg<T>(self, value: T) -> Self
    where
        DB: Binds<T>,
    {
        <DB as Binds<T>>::bind_to(self, value)
    }
}

/// Pushing a bound value by what the backend can bind.
pub(crate) trait PushArg<DB: Database> {
    fn push_arg<T>(&mut self, value: T) -> &mut Self
    where
        DB: Binds<T>;
}

impl<DB: Database> PushArg<DB> for QueryBuilder<DB> {
    fn push_arg<T>(&mut self, value: T) -> &mut Self
    where
        DB: Binds<T>,
    {
        <DB as Binds<T>>::push_to(self, value);
        self
    }
}

/// A connection of the pool or a transaction, to run a query on.
pub(crate) trait Conn<DB: Database>: Send {
    fn raw(&mut self) -> &mut DB::Connection;
}

impl<DB: Database> Conn<DB> for PoolConnection<DB> {
    fn raw(&mut self) -> &mut DB::Connection {
        self
    }
}

impl<DB: Database> Conn<DB> for Transaction<'_, DB> {
    fn raw(&mut self) -> &mut DB::Connection {
        self
    }
}

/// Every row of `query`.
pub(crate) async fn fetch_all<DB, X>(
    c: &mut impl Conn<DB>,
    query: Query<'_, DB, DB::Arguments>,
) -> Result<Vec<X>, StoreError>
where
    DB: Backend + Decodes<X>,
{
    let rows = query.fetch_all(DB::conn(c.raw())).await?;
    Ok(rows
        .iter()
        .map(<DB as Decodes<X>>::decode)
        .collect::<Result<_, _>>()?)
}

/// The row of `query`, if there is one.
pub(crate) async fn fetch_optional<DB, X>(
    c: &mut impl Conn<DB>,
    query: Query<'_, DB, DB::Arguments>,
) -> Result<Option<X>, StoreError>
where
    DB: Backend + Decodes<X>,
{
    let row = query.fetch_optional(DB::conn(c.raw())).await?;
    Ok(row.as_ref().map(<DB as Decodes<X>>::decode).transpose()?)
}

/// The one row of `query`.
pub(crate) async fn fetch_one<DB, X>(
    c: &mut impl Conn<DB>,
    query: Query<'_, DB, DB::Arguments>,
) -> Result<X, StoreError>
where
    DB: Backend + Decodes<X>,
{
    let row = query.fetch_one(DB::conn(c.raw())).await?;
    Ok(<DB as Decodes<X>>::decode(&row)?)
}

/// Runs `query`; how many rows it changed.
pub(crate) async fn execute<DB: Backend>(
    c: &mut impl Conn<DB>,
    query: Query<'_, DB, DB::Arguments>,
) -> Result<u64, sqlx::Error> {
    let result = query.execute(DB::conn(c.raw())).await?;
    Ok(DB::rows_affected(&result))
}

/// A decode failure of a stored value, as a database error.
pub(crate) fn corrupt(what: impl fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("stored value could not be read: {what}").into(),
    ))
}

/// Parses a stored text column into a domain value, or reports it as corrupt.
pub(crate) fn parse_stored<T: FromStr>(column: &str, text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| corrupt(format_args!("{column} = {text:?}")))
}

/// A database URL with its password masked (`postgres://user:***@host/db`), for
/// messages and `Debug`: the one place a URL is made safe to print.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A stored count (never negative) as a count.
pub(crate) fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A count as the database stores it.
pub(crate) fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Whether a database error is a unique-index violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact("postgres://me:secret@db/metrotrack"),
            "postgres://me:***@db/metrotrack"
        );
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }
}
