//! Streaming, transactional import of one file into SQLite: the SQL of
//! [`crate::rules::import`], which runs the import and decides its verdict.
//!
//! The whole batch is one `begin immediate` transaction. Valid rows come in chunks of
//! [`CHUNK`] rows and are written with multi-row statements (`insert … select … from
//! (values (…),(…)) join … on conflict do nothing`) whose SQL is built once per size, so
//! each is prepared once and reused; sizes are drawn from [`PIECES`], which bounds the
//! number of distinct statements. Per chunk: one statement creates the instruments (or
//! points) first seen, one stores the inspections (or tests), finding their instrument
//! by key in the same statement. Each statement's values and the `v.columnN` its SQL
//! reads them by come from one column list ([`crate::rules::columns`]). When a
//! statement stores fewer rows than it was given, the stored lines are read back (one
//! query) and each skipped row is looked up (rare: one query per row) to be judged.
//! Strict refusals and dry runs roll the transaction back at the end.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::ops::Range;
use std::sync::Arc;

use chrono::Utc;
use metrotrack_core::{
    ImportBatch, InstrumentKey, LogKind, NewEarthingTest, NewInspection, PointKey, Sourced,
};
use sqlx::{AssertSqlSafe, Row, Sqlite, Transaction};
use tokio::sync::mpsc::Receiver;

use super::{SqliteStore, tallies};
use crate::rules::columns::{
    self, Column, INSPECTION, INSPECTION_SOURCE, INSTRUMENT, INSTRUMENT_KEY, InspectionRow, POINT,
    POINT_KEY, TEST, TEST_SOURCE, TestRow, Value, ValueOf,
};
use crate::rules::import::{self as flow, Progress, Writer, sql};
use crate::rules::stored;
use crate::{BatchRequest, ImportEvent, StoreError};

/// Rows per multi-row statement, largest first; a remainder is cut greedily into these
/// sizes so that at most a handful of distinct statements is ever prepared.
/// The largest statement (inspections, 17 values a row) binds 4 355 values, well under
/// SQLite's limit of 32 766.
const PIECES: [usize; 5] = [256, 64, 16, 4, 1];
const CHUNK: usize = PIECES[0];

/// A query with its arguments, ready to run.
type Query = sqlx::query::Query<'static, Sqlite, sqlx::sqlite::SqliteArguments>;

/// Cuts `0..n` into consecutive ranges whose lengths are taken from [`PIECES`].
fn pieces(n: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let left = n - start;
        let size = PIECES.iter().copied().find(|&p| p <= left).unwrap_or(1);
        out.push(start..start + size);
        start += size;
    }
    out
}

/// `(?, ?, …), (?, ?, …)`: `rows` groups of `columns` placeholders. Bare `?` only:
/// SQLite resolves a numbered `?NNN` by a linear search per bound value, which makes a
/// statement of thousands of values quadratic.
fn placeholders(rows: usize, columns: usize) -> String {
    let group = format!("({})", vec!["?"; columns].join(", "));
    vec![group; rows].join(", ")
}

/// A value bound once per statement.
#[derive(Debug, Clone, Copy)]
enum Once {
    Lab,
    Batch,
    Now,
}

/// The multi-row insert statements of an import, by table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stmt {
    Instruments,
    Inspections,
    Points,
    Tests,
}

type InspectionColumns = &'static [&'static [columns::InspectionColumn]];
type TestColumns = &'static [&'static [columns::TestColumn]];

const INSTRUMENTS_VALUES: InspectionColumns = &[INSTRUMENT_KEY, INSTRUMENT];
const INSPECTIONS_VALUES: InspectionColumns = &[INSTRUMENT_KEY, INSPECTION, INSPECTION_SOURCE];
const POINTS_VALUES: TestColumns = &[POINT_KEY, POINT];
const TESTS_VALUES: TestColumns = &[POINT_KEY, TEST, TEST_SOURCE];

/// Where a template takes its `values` list.
const ROWS: &str = "#rows";

impl Stmt {
    /// The once-per-statement values before the rows' values, in SQL order.
    fn head(self) -> &'static [Once] {
        match self {
            Self::Instruments => &[Once::Lab, Once::Now, Once::Batch],
            Self::Inspections => &[Once::Lab, Once::Lab, Once::Batch, Once::Now],
            Self::Tests => &[Once::Lab, Once::Batch, Once::Now],
            Self::Points => &[Once::Lab, Once::Now],
        }
    }

    /// The values bound for each row.
    fn columns(self) -> usize {
        match self {
            Self::Instruments => columns::count(INSTRUMENTS_VALUES),
            Self::Inspections => columns::count(INSPECTIONS_VALUES),
            Self::Points => columns::count(POINTS_VALUES),
            Self::Tests => columns::count(TESTS_VALUES),
        }
    }

    /// The once-per-statement values after the rows' values (the join's lab).
    fn tail(self) -> &'static [Once] {
        match self {
            Self::Instruments | Self::Points | Self::Inspections => &[],
            Self::Tests => &[Once::Lab],
        }
    }

    /// The statement's SQL, a row's values named `{column}` (see [`columns::fill`]).
    /// The values bound once per statement (lab, batch, created-at) come first, in the
    /// order of [`Stmt::head`], then each row's values, then the lab again for the join
    /// ([`Stmt::tail`]). Inspections and tests find their instrument or point by key in
    /// the same statement, so no ids travel back and forth: an inspection by a scalar
    /// subquery per row, which lets SQLite stream the `values` (a join made it copy them
    /// into a temporary table, and `order by` sort them again).
    fn template(self) -> &'static str {
        match self {
            Self::Instruments => {
                "insert into instruments (lab_id, {columns}, created_at, created_batch_id) \
                 select ?, {values}, ?, ? from (values #rows) v where true \
                 on conflict do nothing"
            }
            Self::Inspections => {
                "insert into inspections (lab_id, instrument_id, category_code, kind, \
                 inspected_on, verification_type, procedure, result, error_percent, \
                 certificate_no, stamp_no, valid_until, technician, checked_by, notes, \
                 batch_id, source_line, original, created_at) \
                 select ?, (select i.id from instruments i where i.lab_id = ? \
                 and i.category_code = {category_code} \
                 and i.manufacturer_key = {manufacturer_key} \
                 and i.serial_key = {serial_key}), {category_code}, {kind}, {inspected_on}, \
                 {verification_type}, {procedure}, {result}, {error_percent}, \
                 {certificate_no}, {stamp_no}, {valid_until}, {technician}, {checked_by}, \
                 {notes}, ?, {source_line}, {original}, ? \
                 from (values #rows) v where true on conflict do nothing"
            }
            Self::Points => {
                "insert into earthing_points (lab_id, site, site_key, code, code_key, system, \
                 limit_ohm, created_at) \
                 select ?, {site}, {site_key}, {code}, {code_key}, {point_system}, \
                 {point_limit}, ? from (values #rows) v where true on conflict do nothing"
            }
            Self::Tests => {
                "insert into earthing_tests (lab_id, point_id, tested_on, resistance_ohm, \
                 limit_ohm, method, tester_serial, weather, technician, notes, batch_id, \
                 source_line, original, created_at) \
                 select ?, p.id, {tested_on}, {resistance_ohm}, \
                 coalesce({limit_ohm}, p.limit_ohm), {method}, {tester_serial}, {weather}, \
                 {technician}, {notes}, ?, {source_line}, {original}, ? \
                 from (values #rows) v \
                 join earthing_points p on p.lab_id = ? and p.site_key = {site_key} \
                 and p.code_key = {code_key} \
                 where true order by {source_line} on conflict do nothing"
            }
        }
    }

    /// The statement for `rows` rows; `None` if its template names a column its rows
    /// lack (a test makes sure none does).
    fn sql(self, rows: usize) -> Option<String> {
        let template = self.template();
        let filled = match self {
            Self::Instruments => columns::fill(template, INSTRUMENTS_VALUES),
            Self::Inspections => columns::fill(template, INSPECTIONS_VALUES),
            Self::Points => columns::fill(template, POINTS_VALUES),
            Self::Tests => columns::fill(template, TESTS_VALUES),
        }?;
        Some(filled.replace(ROWS, &placeholders(rows, self.columns())))
    }
}

/// Binds one value as SQLite stores it (numbers as text).
fn bind(query: Query, value: Value<'_>) -> Query {
    match value {
        Value::Text(v) => query.bind(v),
        Value::Number(v) => query.bind(v.map(|d| d.to_string())),
        Value::Date(v) => query.bind(v),
        Value::Int(v) => query.bind(v),
    }
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
    now: Arc<str>,
    statements: HashMap<(Stmt, usize), Arc<str>>,
}

impl Import {
    /// A statement for `rows` rows with its leading per-statement values bound; the rows'
    /// values follow, then [`Import::run`] binds the trailing ones and executes it.
    fn statement(&mut self, stmt: Stmt, rows: usize) -> Result<Query, StoreError> {
        let sql = match self.statements.get(&(stmt, rows)) {
            Some(sql) => Arc::clone(sql),
            None => {
                let sql: Arc<str> = Arc::from(stmt.sql(rows).ok_or_else(|| {
                    StoreError::Invalid(format!("{stmt:?} names a column it does not bind"))
                })?);
                self.statements.insert((stmt, rows), Arc::clone(&sql));
                sql
            }
        };
        // Room for every value at once: growing a vector of thousands of values as they
        // are bound copied it over and over.
        let mut arguments = sqlx::sqlite::SqliteArguments::default();
        sqlx::Arguments::reserve(
            &mut arguments,
            stmt.head().len() + rows * stmt.columns() + stmt.tail().len(),
            0,
        );
        Ok(self.bind_once(sqlx::query_with(AssertSqlSafe(sql), arguments), stmt.head()))
    }

    fn bind_once(&self, mut query: Query, values: &[Once]) -> Query {
        for value in values {
            query = match value {
                Once::Lab => query.bind(self.progress.lab),
                Once::Batch => query.bind(self.progress.batch_id),
                Once::Now => query.bind(Arc::clone(&self.now)),
            };
        }
        query
    }

    /// Runs `stmt` for `rows`, each bound by `groups`' columns: the rows it stored.
    async fn run<'r, R: 'r, F: ValueOf<R>>(
        &mut self,
        stmt: Stmt,
        groups: &'static [&'static [Column<F>]],
        rows: impl Iterator<Item = &'r R>,
        count: usize,
    ) -> Result<u64, StoreError> {
        let mut query = self.statement(stmt, count)?;
        for row in rows {
            for value in columns::values(groups, row) {
                query = bind(query, value);
            }
        }
        let query = self.bind_once(query, stmt.tail());
        Ok(query.execute(&mut *self.tx).await?.rows_affected())
    }

    /// Creates the instruments (or points) of `firsts` not stored yet.
    async fn insert_firsts<R: Sync, F: ValueOf<R>>(
        &mut self,
        stmt: Stmt,
        groups: &'static [&'static [Column<F>]],
        firsts: &[&R],
    ) -> Result<(), StoreError> {
        for range in pieces(firsts.len()) {
            let piece = &firsts[range];
            self.run(stmt, groups, piece.iter().copied(), piece.len())
                .await?;
        }
        Ok(())
    }

    /// Stores `rows` (at `lines`) and counts them: the indexes of the rows the
    /// statements skipped.
    async fn insert_records<R: Sync, F: ValueOf<R>>(
        &mut self,
        stmt: Stmt,
        groups: &'static [&'static [Column<F>]],
        rows: &[R],
        lines: &[i64],
    ) -> Result<Vec<usize>, StoreError> {
        let kind = self.progress.kind;
        let mut skipped = Vec::new();
        for range in pieces(rows.len()) {
            let piece = &rows[range.clone()];
            let inserted = self.run(stmt, groups, piece.iter(), piece.len()).await?;
            self.progress.tally.inserted += inserted;
            if inserted < piece.len() as u64 {
                let stored = self.stored_lines(kind, &lines[range.clone()]).await?;
                skipped.extend(range.filter(|&i| !stored.contains(&lines[i])));
            }
        }
        Ok(skipped)
    }

    /// The lines of this batch among `lines` that were stored: after a multi-row
    /// insert stored fewer rows than it was given, which ones it skipped. Lines within
    /// a statement strictly increase (see [`flow::run`]).
    async fn stored_lines(
        &mut self,
        kind: LogKind,
        lines: &[i64],
    ) -> Result<HashSet<i64>, StoreError> {
        let sql = match kind {
            LogKind::Inspections => {
                "select source_line from inspections
                 where batch_id = ? and source_line between ? and ?"
            }
            LogKind::Earthing => {
                "select source_line from earthing_tests
                 where batch_id = ? and source_line between ? and ?"
            }
        };
        Ok(sqlx::query_scalar(sql)
            .bind(self.progress.batch_id)
            .bind(lines.first().copied().unwrap_or(0))
            .bind(lines.last().copied().unwrap_or(0))
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .collect())
    }

    /// The stored inspection with `s`'s natural key, if any.
    async fn stored_inspection(
        &mut self,
        s: &Sourced<NewInspection>,
        key: &InstrumentKey,
    ) -> Result<Option<flow::Stored<NewInspection>>, StoreError> {
        let lab = self.progress.lab;
        let instrument_id: Option<i64> = sqlx::query_scalar(
            "select id from instruments
             where lab_id = ? and category_code = ? and manufacturer_key = ? and serial_key = ?",
        )
        .bind(lab)
        .bind(key.category.as_str())
        .bind(key.manufacturer_key.as_str())
        .bind(key.serial_key.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        let existing = sqlx::query(
            "select batch_id, source_line, verification_type, procedure, result, error_percent,
                    certificate_no, stamp_no, valid_until, technician, checked_by, notes
             from inspections
             where lab_id = ? and instrument_id = ? and kind = ? and inspected_on = ?
               and voided_at is null",
        )
        .bind(lab)
        .bind(instrument_id)
        .bind(s.record.kind.as_str())
        .bind(s.record.date)
        .fetch_optional(&mut *self.tx)
        .await?;
        existing
            .map(|row| stored::inspection(&row, &s.record))
            .transpose()
    }

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
        // The transaction holds the write lock: every inspection past this id is one
        // this chunk stores.
        let stored_after: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from inspections")
            .fetch_one(&mut *self.tx)
            .await?;
        let keys = columns::instrument_keys(&rows);
        let values = InspectionRow::all(&rows, &keys, &mut self.progress.original);
        let lines: Vec<i64> = values.iter().map(|r| r.line).collect();
        let first = firsts(&values, &keys);
        self.insert_firsts(Stmt::Instruments, INSTRUMENTS_VALUES, &first)
            .await?;
        let skipped = self
            .insert_records(Stmt::Inspections, INSPECTIONS_VALUES, &values, &lines)
            .await?;
        for i in skipped {
            let found = self.stored_inspection(&rows[i], &keys[i]).await?;
            flow::judge_inspection(self, &rows[i], found).await?;
        }
        tallies::stored(&mut self.tx, self.progress.lab, stored_after).await
    }

    async fn write_tests(&mut self, rows: Vec<Sourced<NewEarthingTest>>) -> Result<(), StoreError> {
        let keys = columns::point_keys(&rows);
        let values = TestRow::all(&rows, &keys, &mut self.progress.original);
        let lines: Vec<i64> = values.iter().map(|r| r.line).collect();
        let first = firsts(&values, &keys);
        self.insert_firsts(Stmt::Points, POINTS_VALUES, &first)
            .await?;
        let skipped = self
            .insert_records(Stmt::Tests, TESTS_VALUES, &values, &lines)
            .await?;
        for i in skipped {
            let (point, test) = self.stored_test(&rows[i], &keys[i]).await?;
            flow::judge_test(&mut self.progress, &rows[i], point, test);
        }
        Ok(())
    }

    fn tx(&mut self) -> &mut Transaction<'static, Sqlite> {
        &mut self.tx
    }

    fn into_tx(self) -> Transaction<'static, Sqlite> {
        self.tx
    }

    async fn commit(self, _store: &SqliteStore) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
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
    let import = Import {
        tx,
        progress: Progress::new(&request, batch_id),
        now: Arc::from(uploaded_at.to_rfc3339()),
        statements: HashMap::new(),
    };
    flow::run(store, request, events, import, uploaded_at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Stmt; 4] = [
        Stmt::Instruments,
        Stmt::Inspections,
        Stmt::Points,
        Stmt::Tests,
    ];

    #[test]
    fn pieces_cover_and_stay_few() {
        for n in 0..600 {
            let ranges = pieces(n);
            assert_eq!(ranges.iter().map(|r| r.len()).sum::<usize>(), n);
            assert!(ranges.iter().all(|r| PIECES.contains(&r.len())));
            assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        }
        assert_eq!(pieces(300).len(), 6); // 256 + 16 + 16 + 4 + 4 + 4
    }

    #[test]
    fn every_placeholder_has_a_value() {
        for stmt in ALL {
            let sql = stmt.sql(3).expect("every column the SQL names is bound");
            assert_eq!(
                sql.matches('?').count(),
                stmt.head().len() + 3 * stmt.columns() + stmt.tail().len(),
                "{stmt:?}"
            );
        }
    }

    #[test]
    fn every_bound_column_is_read() {
        for stmt in ALL {
            let sql = stmt.sql(1).expect("sql");
            for n in 1..=stmt.columns() {
                let column = format!("v.column{n}");
                let read = sql.match_indices(&column).any(|(at, _)| {
                    !sql[at + column.len()..].starts_with(|c: char| c.is_ascii_digit())
                });
                assert!(read, "{stmt:?} binds {column} but never reads it");
            }
        }
    }
}
