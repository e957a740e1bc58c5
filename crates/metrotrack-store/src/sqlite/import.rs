//! Streaming, transactional import of one file into SQLite: the SQL of
//! [`crate::rules::import`], which runs the import and decides its verdict.
//!
//! The whole batch is one `begin immediate` transaction. Valid rows come in chunks of
//! [`CHUNK`] rows, written by prepared statements run once per row, straight on the
//! connection ([`super::direct`]), each saying whether it stored its row. Per chunk of
//! inspections ([`Statements::inspections`]): each row's instrument is found by key, or
//! given the next id, and each row is given the id it is stored under if it is; the
//! instruments the chunk names for the first time are created, due by their latest
//! valid row; each inspection is stored with its instrument's id; a created instrument
//! whose due row was skipped is set due by what was stored; and the tallies of what was
//! stored are counted in memory ([`crate::sql::Pending`]). Earthing points and tests:
//! the points first seen, then the tests, each finding its point by key. The statements' values and the `?N`
//! their SQL reads them by come from one column list ([`crate::rules::columns`]). Each
//! skipped row is looked up (rare: one query per row) to be judged; then instruments
//! stored before the chunk get their tallies and due dates ([`super::tallies::stored`]).
//! The in-memory tallies are added before commit; strict refusals and dry runs roll the
//! transaction back at the end.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, NaiveDate, Utc};
use metrotrack_core::{
    ImportBatch, InstrumentKey, NewEarthingTest, NewInspection, PointKey, Sourced,
};
use sqlx::{Row, Sqlite, Transaction};
use tokio::sync::mpsc::Receiver;

use super::chunk::{Due, count_chunk, dues};
use super::deferred::DeferredIndexes;
use super::direct::ran;
use super::{SqliteStore, direct, tallies};
use crate::rules::columns::{
    self, Column, INSPECTION, INSPECTION_SOURCE, INSTRUMENT, INSTRUMENT_KEY, InspectionRow, POINT,
    POINT_KEY, TEST, TEST_SOURCE, TestRow, Value, ValueOf,
};
use crate::rules::import::{self as flow, Progress, Writer, sql};
use crate::rules::stored;
use crate::sql::{FastMap, Pending};
use crate::{BatchRequest, ImportEvent, StoreError};

/// Rows per chunk. Each costs a few statements besides its rows (the ids it starts
/// from, the upkeep of instruments stored before it); 4 096 rows were about 4 % faster
/// (5.72× against 5.96× `sqlite3 .import`) but took an HTTP upload of 1M rows to
/// 109 MiB of peak memory, against 90 MiB at 1 024.
const CHUNK: usize = 1024;

/// The parameters every statement of an import shares: `?1` the lab, `?2` the batch,
/// `?3` the time the import began. Then [`EXTRA`] values a row gets from the import,
/// not from its columns (`?4` to `?7`: an instrument's id, its due inspection's id,
/// date and validity; for an inspection, its instrument's id and its own); the row's
/// columns follow from [`FIRST_VALUE`] on.
const SHARED: usize = 3;
const EXTRA: usize = 4;
const FIRST_VALUE: usize = SHARED + EXTRA + 1;

/// A row's [`EXTRA`] values.
type Extra = [Value<'static>; EXTRA];
/// SQL's null, whatever the column's type.
const NULL: Value<'static> = Value::Text(None);
const NO_EXTRA: Extra = [NULL; EXTRA];

/// The insert statements of an import, by table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stmt {
    Instruments,
    Inspections,
    Points,
    Tests,
}

type InspectionColumns = &'static [&'static [columns::InspectionColumn]];
type TestColumns = &'static [&'static [columns::TestColumn]];

/// An inspection's category: its instrument's.
const CATEGORY: &[columns::InspectionColumn] = &[Column("category_code", |r| {
    Value::Text(Some(r.key.category.as_str()))
})];

const INSTRUMENTS_VALUES: InspectionColumns = &[INSTRUMENT_KEY, INSTRUMENT];
const INSPECTIONS_VALUES: InspectionColumns = &[CATEGORY, INSPECTION, INSPECTION_SOURCE];
const POINTS_VALUES: TestColumns = &[POINT_KEY, POINT];
const TESTS_VALUES: TestColumns = &[POINT_KEY, TEST, TEST_SOURCE];

impl Stmt {
    const ALL: [Stmt; 4] = [
        Self::Instruments,
        Self::Inspections,
        Self::Points,
        Self::Tests,
    ];

    /// The values bound for each row.
    #[cfg(test)]
    fn columns(self) -> usize {
        match self {
            Self::Instruments => columns::count(INSTRUMENTS_VALUES),
            Self::Inspections => columns::count(INSPECTIONS_VALUES),
            Self::Points => columns::count(POINTS_VALUES),
            Self::Tests => columns::count(TESTS_VALUES),
        }
    }

    /// The statement's SQL, the shared values numbered `?1` to `?3` ([`SHARED`]) and a
    /// row's values named `{column}` (see [`columns::fill`]). Single-row `values`, not
    /// `insert … select`: SQLite keeps a statement journal for a statement that may write
    /// several rows, and copying each page it touched into that journal cost more than
    /// the insert. An inspection gets its instrument's id (`?4`), which the import knows
    /// (see [`Statements::inspections`]); a test finds its point by key in the same
    /// statement, through a join (it must also take the point's limit; earthing logs are
    /// small). An inspection is stored under the id the import gave it (`?5`).
    fn template(self) -> &'static str {
        match self {
            Self::Instruments => {
                "insert into instruments (id, lab_id, {columns}, created_at, created_batch_id, \
                 due_inspection_id, due_inspected_on, due_on) \
                 values (?4, ?1, {values}, ?3, ?2, ?5, ?6, ?7)"
            }
            Self::Inspections => {
                "insert into inspections (id, lab_id, instrument_id, category_code, kind, \
                 inspected_on, verification_type, procedure, result, error_percent, \
                 certificate_no, stamp_no, valid_until, technician, checked_by, notes, \
                 batch_id, source_line, original, created_at) \
                 values (?5, ?1, ?4, {category_code}, {kind}, {inspected_on}, \
                 {verification_type}, {procedure}, {result}, {error_percent}, \
                 {certificate_no}, {stamp_no}, {valid_until}, {technician}, {checked_by}, \
                 {notes}, ?2, {source_line}, {original}, ?3) on conflict do nothing"
            }
            Self::Points => {
                "insert into earthing_points (lab_id, site, site_key, code, code_key, system, \
                 limit_ohm, created_at) \
                 values (?1, {site}, {site_key}, {code}, {code_key}, {point_system}, \
                 {point_limit}, ?3) on conflict do nothing"
            }
            Self::Tests => {
                "insert into earthing_tests (lab_id, point_id, tested_on, resistance_ohm, \
                 limit_ohm, method, tester_serial, weather, technician, notes, batch_id, \
                 source_line, original, created_at) \
                 select ?1, p.id, {tested_on}, {resistance_ohm}, \
                 coalesce({limit_ohm}, p.limit_ohm), {method}, {tester_serial}, {weather}, \
                 {technician}, {notes}, ?2, {source_line}, {original}, ?3 \
                 from earthing_points p \
                 where p.lab_id = ?1 and p.site_key = {site_key} and p.code_key = {code_key} \
                 on conflict do nothing"
            }
        }
    }

    /// The statement's SQL; `None` if its template names a column its rows lack (a test
    /// makes sure none does).
    fn sql(self) -> Option<String> {
        let template = self.template();
        match self {
            Self::Instruments => columns::fill(template, INSTRUMENTS_VALUES, FIRST_VALUE),
            Self::Inspections => columns::fill(template, INSPECTIONS_VALUES, FIRST_VALUE),
            Self::Points => columns::fill(template, POINTS_VALUES, FIRST_VALUE),
            Self::Tests => columns::fill(template, TESTS_VALUES, FIRST_VALUE),
        }
    }
}

/// Binds one value at `at` (from 1) as SQLite stores it: numbers as their canonical
/// text, dates as `YYYY-MM-DD` (as sqlx writes them everywhere else).
fn bind(
    statement: &mut rusqlite::Statement<'_>,
    at: usize,
    value: Value<'_>,
) -> rusqlite::Result<()> {
    match value {
        Value::Text(v) => statement.raw_bind_parameter(at, v),
        Value::Number(v) => statement.raw_bind_parameter(at, v.map(|d| d.to_string())),
        Value::Date(Some(d)) => match iso_date(d) {
            Some(text) => statement.raw_bind_parameter(at, std::str::from_utf8(&text).ok()),
            None => statement.raw_bind_parameter(at, d.format("%Y-%m-%d").to_string()),
        },
        Value::Date(None) => statement.raw_bind_parameter(at, None::<&str>),
        Value::Int(v) => statement.raw_bind_parameter(at, v),
    }
}

/// `date` as `YYYY-MM-DD`, written without a format string (chrono's `format` parses
/// its pattern for every value: a million rows bind two or three dates each); `None`
/// for a year outside 0 to 9999, which has no such form.
fn iso_date(date: NaiveDate) -> Option<[u8; 10]> {
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let (month, day) = (date.month(), date.day());
    Some([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ])
}

/// The values every statement of an import shares, and its statements' SQL.
#[derive(Debug)]
struct Statements {
    lab: i64,
    batch: i64,
    now: Arc<str>,
    /// Each [`Stmt`]'s SQL, in [`Stmt::ALL`]'s order.
    sql: [String; 4],
}

impl Statements {
    fn new(lab: i64, batch: i64, now: Arc<str>) -> Result<Self, StoreError> {
        let sql = |stmt: Stmt| {
            stmt.sql().ok_or_else(|| {
                StoreError::Invalid(format!("{stmt:?} names a column it does not bind"))
            })
        };
        let [a, b, c, d] = Stmt::ALL;
        Ok(Self {
            lab,
            batch,
            now,
            sql: [sql(a)?, sql(b)?, sql(c)?, sql(d)?],
        })
    }

    /// Runs `stmt` once for each of `rows`, its values taken by `groups`' columns and
    /// its [`Extra`] values given with it: the id of the row each run stored, if any.
    fn each<'r, R: 'r, F: ValueOf<R>>(
        &self,
        conn: &rusqlite::Connection,
        stmt: Stmt,
        groups: &'static [&'static [Column<F>]],
        rows: impl IntoIterator<Item = (&'r R, Extra)>,
    ) -> rusqlite::Result<Vec<Option<i64>>> {
        let started = Instant::now();
        let sql = &self.sql[stmt as usize];
        let mut prepared = conn.prepare(sql)?;
        prepared.raw_bind_parameter(1, self.lab)?;
        prepared.raw_bind_parameter(2, self.batch)?;
        prepared.raw_bind_parameter(3, &*self.now)?;
        let ids = rows
            .into_iter()
            .map(|(row, extra)| {
                for (i, value) in extra.into_iter().enumerate() {
                    bind(&mut prepared, SHARED + 1 + i, value)?;
                }
                for (i, value) in columns::values(groups, row).enumerate() {
                    bind(&mut prepared, FIRST_VALUE + i, value)?;
                }
                let stored = prepared.raw_execute()? > 0;
                Ok(stored.then(|| conn.last_insert_rowid()))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ran(sql, ids.len(), started);
        Ok(ids)
    }

    /// The id of the instrument of `lab` with `key`, if it is stored.
    fn instrument(
        lookup: &mut rusqlite::Statement<'_>,
        key: &InstrumentKey,
    ) -> rusqlite::Result<Option<i64>> {
        lookup.raw_bind_parameter(2, key.category.as_str())?;
        lookup.raw_bind_parameter(3, key.manufacturer_key.as_str())?;
        lookup.raw_bind_parameter(4, key.serial_key.as_str())?;
        let mut rows = lookup.raw_query();
        match rows.next()? {
            Some(row) => row.get(0).map(Some),
            None => Ok(None),
        }
    }

    /// Stores a chunk of inspections: the instrument of each row, found by key or
    /// created with the next id, and each row under the next id after `ids.inspections`
    /// by its place in the chunk (a row skipped leaves its id unused). The instruments
    /// the chunk names for the first time are written first, due by their latest valid
    /// row as if every row were stored, so that each inspection finds its instrument
    /// (no foreign-key violation waits for the commit, and none has to be looked for
    /// when the instrument comes); one whose due row was skipped is then set due by
    /// what was stored. The tallies of it all are counted into `pending`. The id of
    /// each row stored, if stored, and for each row skipped the stored record with its
    /// natural key, if there is one.
    fn inspections(
        &self,
        conn: &rusqlite::Connection,
        rows: &[InspectionRow<'_>],
        ids: Before,
        pending: &mut Pending,
    ) -> Result<Written, direct::Failed> {
        let mut lookup = conn.prepare(
            "select id from instruments
             where lab_id = ?1 and category_code = ?2 and manufacturer_key = ?3
               and serial_key = ?4",
        )?;
        lookup.raw_bind_parameter(1, self.lab)?;
        let started = Instant::now();
        let mut known: FastMap<&InstrumentKey, i64> = FastMap::default();
        let mut fresh: FastMap<&InstrumentKey, i64> = FastMap::default();
        let mut created: Vec<&InspectionRow<'_>> = Vec::new();
        let mut instrument_ids = Vec::with_capacity(rows.len());
        for row in rows {
            let id = match known.get(row.key) {
                Some(&id) => id,
                None => {
                    let id = match Self::instrument(&mut lookup, row.key)? {
                        Some(id) => id,
                        None => {
                            let id = ids.instruments + 1 + created.len() as i64;
                            created.push(row);
                            fresh.insert(row.key, id);
                            id
                        }
                    };
                    known.insert(row.key, id);
                    id
                }
            };
            instrument_ids.push(id);
        }
        ran("select id from instruments (by key)", known.len(), started);
        // The id a row is stored under, if it is: by its place in the chunk.
        let id_at = |k: usize| ids.inspections + 1 + k as i64;
        let planned: Vec<Option<i64>> = (0..rows.len()).map(|k| Some(id_at(k))).collect();
        let planned_dues = dues(rows, &planned, &fresh);
        let instruments = created.into_iter().map(|row| {
            let id = fresh[row.key];
            (row, instrument_extra(id, planned_dues.get(&id)))
        });
        self.each(conn, Stmt::Instruments, INSTRUMENTS_VALUES, instruments)?;
        let with_ids =
            rows.iter()
                .zip(&instrument_ids)
                .enumerate()
                .map(|(k, (row, &instrument))| {
                    let mut extra = NO_EXTRA;
                    extra[0] = Value::Int(instrument);
                    extra[1] = Value::Int(id_at(k));
                    (row, extra)
                });
        let stored = self.each(conn, Stmt::Inspections, INSPECTIONS_VALUES, with_ids)?;
        let stored_dues = count_chunk(pending, rows, &stored, &fresh);
        if stored.contains(&None) {
            Self::set_due(conn, &fresh, &planned_dues, &stored_dues)?;
        }
        let skipped = Self::natural_key_holders(conn, self.lab, rows, &instrument_ids, &stored)?;
        Ok(Written { stored, skipped })
    }

    /// Sets due by what was stored each instrument the chunk created (`fresh`) whose
    /// due inspection, as planned before the rows were stored, is not the one now.
    fn set_due(
        conn: &rusqlite::Connection,
        fresh: &FastMap<&InstrumentKey, i64>,
        planned: &FastMap<i64, Due>,
        stored: &FastMap<i64, Due>,
    ) -> rusqlite::Result<()> {
        let mut update = conn.prepare(
            "update instruments set due_inspection_id = ?2, due_inspected_on = ?3, due_on = ?4
             where id = ?1",
        )?;
        for &id in fresh.values() {
            let due = stored.get(&id);
            if planned.get(&id) == due {
                continue;
            }
            for (at, value) in instrument_extra(id, due).into_iter().enumerate() {
                bind(&mut update, at + 1, value)?;
            }
            update.raw_execute()?;
        }
        Ok(())
    }

    /// For each of `rows` not `stored`, by index: the live inspection of `lab` holding
    /// its natural key (its instrument in `instrument_ids`), if any, to judge it by.
    fn natural_key_holders(
        conn: &rusqlite::Connection,
        lab: i64,
        rows: &[InspectionRow<'_>],
        instrument_ids: &[i64],
        stored: &[Option<i64>],
    ) -> Result<Holders, direct::Failed> {
        let mut holder = conn.prepare(
            "select batch_id, source_line, verification_type, procedure, result, error_percent,
                    certificate_no, stamp_no, valid_until, technician, checked_by, notes
             from inspections
             where lab_id = ?1 and instrument_id = ?2 and kind = ?3 and inspected_on = ?4
               and voided_at is null",
        )?;
        bind(&mut holder, 1, Value::Int(lab))?;
        let started = Instant::now();
        let mut skipped = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if stored[i].is_some() {
                continue;
            }
            bind(&mut holder, 2, Value::Int(instrument_ids[i]))?;
            bind(&mut holder, 3, Value::Text(Some(row.record.kind.as_str())))?;
            bind(&mut holder, 4, Value::Date(Some(row.record.date)))?;
            let mut found = holder.raw_query();
            let record = match found.next()? {
                Some(r) => Some(stored::inspection(&RawRow(r), row.record)?),
                None => None,
            };
            skipped.push((i, record));
        }
        ran(
            "select batch_id, source_line … from inspections (by natural key)",
            skipped.len(),
            started,
        );
        Ok(skipped)
    }
}

/// Skipped rows, by index, each with the stored record holding its natural key, if any.
type Holders = Vec<(usize, Option<flow::Stored<NewInspection>>)>;

/// What [`Statements::inspections`] wrote.
#[derive(Debug)]
struct Written {
    /// Each row's id, if stored.
    stored: Vec<Option<i64>>,
    /// Each row skipped, by index, with the stored record holding its natural key.
    skipped: Holders,
}

/// A row read through rusqlite, for the readers of [`stored`].
struct RawRow<'a, 'r>(&'a rusqlite::Row<'r>);

impl stored::ReadRow for RawRow<'_, '_> {
    fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        direct::decoded(self.0.get(column))
    }

    fn date(&self, column: &str) -> Result<Option<NaiveDate>, sqlx::Error> {
        let text: Option<String> = direct::decoded(self.0.get(column))?;
        text.map(|t| {
            NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|e| sqlx::Error::Decode(e.into()))
        })
        .transpose()
    }

    fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        direct::decoded(self.0.get(column))
    }
}

/// An instrument's [`Extra`] values: its id and its due inspection (id, date, validity).
fn instrument_extra(id: i64, due: Option<&Due>) -> Extra {
    [
        Value::Int(id),
        due.map_or(NULL, |d| Value::Int(d.inspection)),
        Value::Date(due.map(|d| d.inspected_on)),
        Value::Date(due.map(|d| d.valid_until)),
    ]
}

/// The greatest ids of inspections and instruments before a chunk: the transaction
/// holds the write lock, so every one past them is one the chunk stores.
#[derive(Debug, Clone, Copy)]
struct Before {
    inspections: i64,
    instruments: i64,
}

/// The first of `rows` to name each of `keys` (the one that describes it).
fn firsts<'a, K: Eq + Hash, T>(rows: &'a [T], keys: &'a [K]) -> Vec<&'a T> {
    let mut seen: HashSet<&K> = HashSet::with_capacity(keys.len());
    rows.iter()
        .zip(keys)
        .filter(|(_, key)| seen.insert(*key))
        .map(|(row, _)| row)
        .collect()
}

/// One running import: the open transaction and everything counted so far.
struct Import {
    tx: Transaction<'static, Sqlite>,
    progress: Progress,
    statements: Statements,
    /// Tally changes counted in memory, added before the batch commits.
    pending: Pending,
    /// Indexes built once after the rows, when the batch is large beside its tables.
    indexes: DeferredIndexes,
}

/// The indexes of the rows not stored, counting the stored ones into `progress`.
fn count_stored(progress: &mut Progress, stored: &[Option<i64>]) -> Vec<usize> {
    let inserted = stored.iter().filter(|s| s.is_some()).count();
    progress.tally.inserted += inserted as u64;
    (0..stored.len()).filter(|&i| stored[i].is_none()).collect()
}

impl Import {
    /// The stored point with `key` (its system and limit), and its test on `s`'s date.
    async fn stored_test(
        &mut self,
        s: &Sourced<NewEarthingTest>,
        key: &PointKey,
    ) -> Result<stored::PointAndTest, StoreError> {
        let lab = self.progress.lab;
        let point = sqlx::query(
            "select id, system, limit_ohm as point_limit from earthing_points
             where lab_id = ? and site_key = ? and code_key = ?",
        )
        .bind(lab)
        .bind(key.site_key.as_str())
        .bind(key.code_key.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(point) = point else {
            return Ok((None, None));
        };
        let point_id: i64 = point.try_get("id")?;
        let point = stored::point(&point)?;
        let existing = sqlx::query(
            "select batch_id, source_line, resistance_ohm, limit_ohm, method, tester_serial,
                    weather, technician, notes
             from earthing_tests
             where lab_id = ? and point_id = ? and tested_on = ? and voided_at is null",
        )
        .bind(lab)
        .bind(point_id)
        .bind(s.record.date)
        .fetch_optional(&mut *self.tx)
        .await?;
        let test = existing.map(|row| stored::test(&row)).transpose()?;
        Ok((Some(point), test.flatten()))
    }
}

impl Writer for Import {
    type DB = Sqlite;
    const CHUNK: usize = CHUNK;

    fn progress(&mut self) -> &mut Progress {
        &mut self.progress
    }

    async fn write_inspections(
        &mut self,
        rows: Vec<Sourced<NewInspection>>,
    ) -> Result<(), StoreError> {
        // The transaction holds the write lock: every inspection and instrument past
        // these ids is one this chunk stores.
        let (stored_after, instruments_to): (i64, i64) = sqlx::query_as(
            "select (select coalesce(max(id), 0) from inspections),
                    (select coalesce(max(id), 0) from instruments)",
        )
        .fetch_one(&mut *self.tx)
        .await?;
        let inserted = self.progress.tally.inserted;
        self.indexes
            .defer_if_large(&mut self.tx, stored_after, inserted, CHUNK)
            .await?;
        let keys = columns::instrument_keys(&rows);
        let values = InspectionRow::all(&rows, &keys, &mut self.progress.original);
        let (statements, pending) = (&self.statements, &mut self.pending);
        let written = direct::run(&mut self.tx, |conn| {
            let before = Before {
                inspections: stored_after,
                instruments: instruments_to,
            };
            statements.inspections(conn, &values, before, pending)
        })
        .await?;
        count_stored(&mut self.progress, &written.stored);
        for (i, found) in written.skipped {
            flow::judge_inspection(self, &rows[i], found).await?;
        }
        tallies::stored(
            &mut self.tx,
            self.progress.lab,
            stored_after,
            instruments_to,
        )
        .await
    }

    async fn write_tests(&mut self, rows: Vec<Sourced<NewEarthingTest>>) -> Result<(), StoreError> {
        let keys = columns::point_keys(&rows);
        let values = TestRow::all(&rows, &keys, &mut self.progress.original);
        let first = firsts(&values, &keys);
        let statements = &self.statements;
        let stored = direct::run(&mut self.tx, |conn| {
            let no_extra = |row| (row, NO_EXTRA);
            statements.each(
                conn,
                Stmt::Points,
                POINTS_VALUES,
                first.into_iter().map(no_extra),
            )?;
            Ok(statements.each(conn, Stmt::Tests, TESTS_VALUES, values.iter().map(no_extra))?)
        })
        .await?;
        for i in count_stored(&mut self.progress, &stored) {
            let (point, test) = self.stored_test(&rows[i], &keys[i]).await?;
            flow::judge_test(&mut self.progress, &rows[i], point, test);
        }
        Ok(())
    }

    fn tx(&mut self) -> &mut Transaction<'static, Sqlite> {
        &mut self.tx
    }

    async fn rows_written(&mut self) -> Result<(), StoreError> {
        self.indexes.build(&mut self.tx).await
    }

    fn into_tx(self) -> Transaction<'static, Sqlite> {
        self.tx
    }

    async fn commit(self, _store: &SqliteStore) -> Result<(), StoreError> {
        let Self {
            mut tx,
            progress,
            pending,
            ..
        } = self;
        pending.apply(&mut tx, progress.lab).await?;
        Ok(tx.commit().await?)
    }
}

/// Runs one import: see [`crate::Store::import_batch`].
pub(super) async fn run(
    store: &SqliteStore,
    request: BatchRequest,
    events: Receiver<ImportEvent>,
) -> Result<ImportBatch, StoreError> {
    let uploaded_at = Utc::now();
    let mut tx = store.begin_write().await?;
    let batch_id: i64 = flow::bind_batch(sqlx::query(sql::INSERT_BATCH), &request, uploaded_at)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let now = Arc::from(uploaded_at.to_rfc3339());
    let import = Import {
        tx,
        progress: Progress::new(&request, batch_id),
        statements: Statements::new(request.lab, batch_id, now)?,
        pending: Pending::default(),
        indexes: DeferredIndexes::default(),
    };
    flow::run(store, request, events, import, uploaded_at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_bind_as_chrono_writes_them() {
        for text in [
            "2023-10-15",
            "0001-01-01",
            "9999-12-31",
            "2024-02-29",
            "1999-09-09",
        ] {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date");
            let written = iso_date(date).expect("a four-digit year");
            assert_eq!(std::str::from_utf8(&written), Ok(text));
            assert_eq!(date.format("%Y-%m-%d").to_string(), text);
        }
        let far = NaiveDate::from_ymd_opt(12_345, 1, 1).expect("a date");
        assert_eq!(iso_date(far), None);
    }

    #[test]
    fn every_parameter_is_bound_and_every_value_read() {
        for stmt in Stmt::ALL {
            let sql = stmt.sql().expect("every column the SQL names is bound");
            let last = FIRST_VALUE - 1 + stmt.columns();
            // (A shared value may go unread: a point names no batch.)
            for n in FIRST_VALUE..=last {
                let parameter = format!("?{n}");
                let read = sql.match_indices(&parameter).any(|(at, _)| {
                    !sql[at + parameter.len()..].starts_with(|c: char| c.is_ascii_digit())
                });
                assert!(read, "{stmt:?} binds {parameter} but never reads it");
            }
            let beyond = format!("?{}", last + 1);
            assert!(
                !sql.contains(&beyond),
                "{stmt:?} reads {beyond}, never bound"
            );
        }
    }
}
