//! Streaming, transactional import of one file into SQLite.
//!
//! The whole batch is one `begin immediate` transaction. Valid rows are buffered into
//! sub-chunks of [`CHUNK`] rows and written with multi-row statements (`insert … select
//! … from (values (…),(…)) join … on conflict do nothing`) whose SQL is built once per
//! size, so each is prepared once and reused; sizes are drawn from [`PIECES`], which
//! bounds the number of distinct statements. Per chunk: one statement creates the
//! instruments (or points) first seen, one stores the inspections (or tests), finding
//! their instrument by key in the same statement. When a statement stores fewer rows
//! than it was given, the stored lines are read back (one query) and each skipped row is
//! looked up (rare: one query per row) to count it as a duplicate or report a conflict.
//! Strict refusals and dry runs roll the transaction back at the end.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::{
    BatchOutcome, EarthingSystem, FileSummary, ImportBatch, InstrumentKey, LabId, LogKind,
    NewEarthingTest, NewInspection, Ohms, ParsedRow, PointKey, Problem, Sourced,
};
use rust_decimal::Decimal;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, Sqlite, Transaction};
use tokio::sync::mpsc::Receiver;

use super::{SqliteStore, corrupt, i64_of, parse_stored, tallies};
use crate::rules::{
    self, Admitted, INSPECTION_CLASH, OriginalColumns, POINT_MISSING, StoredTest, TEST_CLASH,
    Tally, whence,
};
use crate::{BatchRequest, ImportEvent, Store, StoreError};

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

/// The multi-row insert statements of an import, by table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stmt {
    Instruments,
    Inspections,
    Points,
    Tests,
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
            Self::Instruments => 7,
            Self::Inspections => 17,
            Self::Points => 6,
            Self::Tests => 12,
        }
    }

    /// The once-per-statement values after the rows' values (the join's lab).
    fn tail(self) -> &'static [Once] {
        match self {
            Self::Instruments | Self::Points | Self::Inspections => &[],
            Self::Tests => &[Once::Lab],
        }
    }

    /// The statement for `rows` rows. The values bound once per statement (lab, batch,
    /// created-at) come first, in the order of [`Stmt::head`], then each row's values,
    /// then the lab again for the join ([`Stmt::tail`]). Inspections and tests find their
    /// instrument or point by key in the same statement, so no ids travel back and forth:
    /// an inspection by a scalar subquery per row, which lets SQLite stream the `values`
    /// (a join made it copy them into a temporary table, and `order by` sort them again).
    fn sql(self, rows: usize) -> String {
        match self {
            Self::Instruments => format!(
                "insert into instruments (lab_id, category_code, manufacturer_key, serial_key, \
                 serial_number, manufacturer, model, owner, created_at, created_batch_id) \
                 select ?, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, \
                 v.column7, ?, ? from (values {}) v where true on conflict do nothing",
                placeholders(rows, self.columns())
            ),
            Self::Inspections => format!(
                "insert into inspections (lab_id, instrument_id, category_code, kind, \
                 inspected_on, verification_type, procedure, result, error_percent, \
                 certificate_no, stamp_no, valid_until, technician, checked_by, notes, \
                 batch_id, source_line, original, created_at) \
                 select ?, (select i.id from instruments i where i.lab_id = ? \
                 and i.category_code = v.column1 and i.manufacturer_key = v.column2 \
                 and i.serial_key = v.column3), v.column1, v.column4, v.column5, v.column6, \
                 v.column7, v.column8, v.column9, v.column10, v.column11, v.column12, \
                 v.column13, v.column14, v.column15, ?, v.column16, v.column17, ? \
                 from (values {}) v where true on conflict do nothing",
                placeholders(rows, self.columns())
            ),
            Self::Points => format!(
                "insert into earthing_points (lab_id, site, site_key, code, code_key, system, \
                 limit_ohm, created_at) \
                 select ?, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, ? \
                 from (values {}) v where true on conflict do nothing",
                placeholders(rows, self.columns())
            ),
            Self::Tests => format!(
                "insert into earthing_tests (lab_id, point_id, tested_on, resistance_ohm, \
                 limit_ohm, method, tester_serial, weather, technician, notes, batch_id, \
                 source_line, original, created_at) \
                 select ?, p.id, v.column3, v.column4, coalesce(v.column5, p.limit_ohm), \
                 v.column6, v.column7, v.column8, v.column9, v.column10, ?, v.column11, \
                 v.column12, ? \
                 from (values {}) v \
                 join earthing_points p on p.lab_id = ? and p.site_key = v.column1 \
                 and p.code_key = v.column2 \
                 where true order by v.column11 on conflict do nothing",
                placeholders(rows, self.columns())
            ),
        }
    }
}

/// The first and last line of a piece of rows.
fn piece_lines<T>(piece: &[Sourced<T>]) -> (i64, i64) {
    let first = piece.first().map_or(0, |s| i64_of(s.line));
    let last = piece.last().map_or(0, |s| i64_of(s.line));
    (first, last)
}

/// A stored point: its id and the system and limit it was created with.
#[derive(Debug, Clone)]
struct PointInfo {
    id: i64,
    system: EarthingSystem,
    limit: Ohms,
}

/// One running import: the open transaction and everything counted so far.
struct Import {
    tx: Transaction<'static, Sqlite>,
    lab: LabId,
    kind: LogKind,
    batch_id: i64,
    now: Arc<str>,
    tally: Tally,
    inspections: Vec<Sourced<NewInspection>>,
    tests: Vec<Sourced<NewEarthingTest>>,
    statements: HashMap<(Stmt, usize), Arc<str>>,
    original: OriginalColumns,
}

impl Import {
    fn sql(&mut self, stmt: Stmt, rows: usize) -> AssertSqlSafe<Arc<str>> {
        let sql = self
            .statements
            .entry((stmt, rows))
            .or_insert_with(|| Arc::from(stmt.sql(rows)));
        AssertSqlSafe(Arc::clone(sql))
    }

    fn reject(&mut self, problem: Problem) {
        self.tally.reject(problem);
    }

    async fn take(&mut self, rows: Vec<ParsedRow>) -> Result<(), StoreError> {
        for row in rows {
            match self.tally.admit(self.kind, row) {
                None => {}
                Some(Admitted::Inspection(s)) => {
                    // RETURNING answers by line: a statement must not hold a line twice.
                    if self.inspections.last().is_some_and(|l| l.line >= s.line) {
                        self.flush_inspections().await?;
                    }
                    self.inspections.push(s);
                    if self.inspections.len() >= CHUNK {
                        self.flush_inspections().await?;
                    }
                }
                Some(Admitted::Earthing(s)) => {
                    if self.tests.last().is_some_and(|l| l.line >= s.line) {
                        self.flush_tests().await?;
                    }
                    self.tests.push(s);
                    if self.tests.len() >= CHUNK {
                        self.flush_tests().await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The lines of this batch between `lines.0` and `lines.1` that were stored: after a
    /// multi-row insert stored fewer rows than it was given, which ones it skipped.
    /// Lines within a statement strictly increase (see [`Import::take`]).
    async fn stored_lines(
        &mut self,
        kind: LogKind,
        (first, last): (i64, i64),
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
            .bind(self.batch_id)
            .bind(first)
            .bind(last)
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .collect())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        self.flush_inspections().await?;
        self.flush_tests().await
    }

    /// A statement for `rows` rows with its leading per-statement values bound; the rows'
    /// values follow, then [`Import::run`] binds the trailing ones and executes it.
    fn statement(&mut self, stmt: Stmt, rows: usize) -> Query {
        let sql = self.sql(stmt, rows);
        // Room for every value at once: growing a vector of thousands of values as they
        // are bound copied it over and over.
        let mut arguments = sqlx::sqlite::SqliteArguments::default();
        sqlx::Arguments::reserve(
            &mut arguments,
            stmt.head().len() + rows * stmt.columns() + stmt.tail().len(),
            0,
        );
        self.bind_once(sqlx::query_with(sql, arguments), stmt.head())
    }

    fn bind_once(&self, mut query: Query, values: &[Once]) -> Query {
        for value in values {
            query = match value {
                Once::Lab => query.bind(self.lab),
                Once::Batch => query.bind(self.batch_id),
                Once::Now => query.bind(Arc::clone(&self.now)),
            };
        }
        query
    }

    /// Binds `stmt`'s trailing values and executes it: the rows it stored.
    async fn run(&mut self, stmt: Stmt, query: Query) -> Result<u64, StoreError> {
        let query = self.bind_once(query, stmt.tail());
        Ok(query.execute(&mut *self.tx).await?.rows_affected())
    }

    async fn flush_inspections(&mut self) -> Result<(), StoreError> {
        let rows = std::mem::take(&mut self.inspections);
        if rows.is_empty() {
            return Ok(());
        }
        // The transaction holds the write lock: every inspection past this id is one
        // this chunk stores.
        let stored_after: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from inspections")
            .fetch_one(&mut *self.tx)
            .await?;
        let keys: Vec<InstrumentKey> = rows
            .iter()
            .map(|s| {
                let r = &s.record;
                InstrumentKey::new(&r.category, r.manufacturer.as_deref(), &r.serial)
            })
            .collect();
        self.insert_instruments(&rows, &keys).await?;
        for range in pieces(rows.len()) {
            let (piece, piece_keys) = (&rows[range.clone()], &keys[range]);
            let mut query = self.statement(Stmt::Inspections, piece.len());
            for (s, key) in piece.iter().zip(piece_keys) {
                let r = &s.record;
                query = query
                    .bind(key.category.as_str())
                    .bind(key.manufacturer_key.as_str())
                    .bind(key.serial_key.as_str())
                    .bind(r.kind.as_str())
                    .bind(r.date)
                    .bind(r.verification_type.map(|v| v.as_str()))
                    .bind(r.procedure.as_deref())
                    .bind(r.result.map(|v| v.as_str()))
                    .bind(r.error_percent.map(|d| d.to_string()))
                    .bind(r.certificate_no.as_deref())
                    .bind(r.stamp_no.as_deref())
                    .bind(r.valid_until)
                    .bind(r.technician.as_str())
                    .bind(r.checked_by.as_deref())
                    .bind(r.notes.as_deref())
                    .bind(i64_of(s.line))
                    .bind(self.original.encode(&s.original));
            }
            let inserted = self.run(Stmt::Inspections, query).await?;
            self.tally.inserted += inserted;
            if inserted < piece.len() as u64 {
                let stored = self
                    .stored_lines(LogKind::Inspections, piece_lines(piece))
                    .await?;
                for (s, key) in piece.iter().zip(piece_keys) {
                    if !stored.contains(&i64_of(s.line)) {
                        self.inspection_not_inserted(s, key).await?;
                    }
                }
            }
        }
        tallies::stored(&mut self.tx, self.lab, stored_after).await
    }

    /// Creates the instruments of `rows` not stored yet (the first row naming one
    /// describes it).
    async fn insert_instruments(
        &mut self,
        rows: &[Sourced<NewInspection>],
        keys: &[InstrumentKey],
    ) -> Result<(), StoreError> {
        let mut seen: HashSet<&InstrumentKey> = HashSet::with_capacity(keys.len());
        let firsts: Vec<(&InstrumentKey, &NewInspection)> = keys
            .iter()
            .zip(rows)
            .filter(|(key, _)| seen.insert(key))
            .map(|(key, s)| (key, &s.record))
            .collect();
        for range in pieces(firsts.len()) {
            let piece = &firsts[range];
            let mut query = self.statement(Stmt::Instruments, piece.len());
            for (key, r) in piece {
                query = query
                    .bind(key.category.as_str())
                    .bind(key.manufacturer_key.as_str())
                    .bind(key.serial_key.as_str())
                    .bind(r.serial.written())
                    .bind(r.manufacturer.as_deref())
                    .bind(r.model.as_deref())
                    .bind(r.owner.as_deref());
            }
            self.run(Stmt::Instruments, query).await?;
        }
        Ok(())
    }

    /// A row the insert skipped: the same record again (a duplicate), a different one
    /// for the same instrument, kind and date (a conflict), or a certificate or stamp
    /// number already used.
    async fn inspection_not_inserted(
        &mut self,
        s: &Sourced<NewInspection>,
        key: &InstrumentKey,
    ) -> Result<(), StoreError> {
        let r = &s.record;
        let instrument_id: Option<i64> = sqlx::query_scalar(
            "select id from instruments
             where lab_id = ? and category_code = ? and manufacturer_key = ? and serial_key = ?",
        )
        .bind(self.lab)
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
        .bind(self.lab)
        .bind(instrument_id)
        .bind(r.kind.as_str())
        .bind(r.date)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(row) = existing {
            let stored = stored_inspection(&row, r)?;
            let from = whence(
                self.batch_id,
                row.try_get("batch_id")?,
                row.try_get("source_line")?,
            );
            self.tally
                .judge(rules::inspection_conflict(s.line, r, &stored, &from));
            return Ok(());
        }
        for (column, number, what) in rules::unique_numbers(r) {
            let Some(number) = number else { continue };
            let sql = if column == "certificate_no" {
                "select batch_id, source_line from inspections
                 where lab_id = ? and certificate_no = ? and voided_at is null"
            } else {
                "select batch_id, source_line from inspections
                 where lab_id = ? and stamp_no = ? and voided_at is null"
            };
            let used = sqlx::query(sql)
                .bind(self.lab)
                .bind(number)
                .fetch_optional(&mut *self.tx)
                .await?;
            if let Some(row) = used {
                let from = whence(
                    self.batch_id,
                    row.try_get("batch_id")?,
                    row.try_get("source_line")?,
                );
                self.reject(rules::number_in_use(s.line, column, number, what, &from));
                return Ok(());
            }
        }
        self.reject(Problem::new(s.line, None, None, INSPECTION_CLASH));
        Ok(())
    }

    async fn flush_tests(&mut self) -> Result<(), StoreError> {
        let rows = std::mem::take(&mut self.tests);
        if rows.is_empty() {
            return Ok(());
        }
        let keys: Vec<PointKey> = rows
            .iter()
            .map(|s| PointKey::new(&s.record.site, &s.record.point))
            .collect();
        self.insert_points(&rows, &keys).await?;
        for range in pieces(rows.len()) {
            let (piece, piece_keys) = (&rows[range.clone()], &keys[range]);
            let mut query = self.statement(Stmt::Tests, piece.len());
            for (s, key) in piece.iter().zip(piece_keys) {
                let r = &s.record;
                query = query
                    .bind(key.site_key.as_str())
                    .bind(key.code_key.as_str())
                    .bind(r.date)
                    .bind(r.resistance.to_string())
                    .bind(r.limit.map(|l| l.to_string()))
                    .bind(r.method.map(|m| m.as_str()))
                    .bind(r.tester_serial.as_deref())
                    .bind(r.weather.as_deref())
                    .bind(r.technician.as_str())
                    .bind(r.notes.as_deref())
                    .bind(i64_of(s.line))
                    .bind(self.original.encode(&s.original));
            }
            let inserted = self.run(Stmt::Tests, query).await?;
            self.tally.inserted += inserted;
            if inserted < piece.len() as u64 {
                let stored = self
                    .stored_lines(LogKind::Earthing, piece_lines(piece))
                    .await?;
                for (s, key) in piece.iter().zip(piece_keys) {
                    if !stored.contains(&i64_of(s.line)) {
                        self.test_not_inserted(s, key).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Creates the earthing points of `rows` not stored yet, with the first row's
    /// system (lightning protection by default) and limit (else the system's default).
    async fn insert_points(
        &mut self,
        rows: &[Sourced<NewEarthingTest>],
        keys: &[PointKey],
    ) -> Result<(), StoreError> {
        let mut seen: HashSet<&PointKey> = HashSet::with_capacity(keys.len());
        let firsts: Vec<(&PointKey, &NewEarthingTest)> = keys
            .iter()
            .zip(rows)
            .filter(|(key, _)| seen.insert(key))
            .map(|(key, s)| (key, &s.record))
            .collect();
        for range in pieces(firsts.len()) {
            let piece = &firsts[range];
            let mut query = self.statement(Stmt::Points, piece.len());
            for (key, r) in piece {
                let system = r.system.unwrap_or(EarthingSystem::LightningProtection);
                let limit = r.limit.unwrap_or_else(|| system.default_limit());
                query = query
                    .bind(r.site.as_str())
                    .bind(key.site_key.as_str())
                    .bind(r.point.written())
                    .bind(key.code_key.as_str())
                    .bind(system.as_str())
                    .bind(limit.to_string());
            }
            self.run(Stmt::Points, query).await?;
        }
        Ok(())
    }

    /// The stored point with `key`.
    async fn point(&mut self, key: &PointKey) -> Result<Option<PointInfo>, StoreError> {
        let row = sqlx::query(
            "select id, system, limit_ohm from earthing_points
             where lab_id = ? and site_key = ? and code_key = ?",
        )
        .bind(self.lab)
        .bind(key.site_key.as_str())
        .bind(key.code_key.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let system: String = row.try_get(1)?;
        let limit: String = row.try_get(2)?;
        Ok(Some(PointInfo {
            id: row.try_get(0)?,
            system: parse_stored("earthing_points.system", &system)?,
            limit: stored_ohms("earthing_points.limit_ohm", &limit)?,
        }))
    }

    /// A test the insert skipped: the point already has a test on that date.
    async fn test_not_inserted(
        &mut self,
        s: &Sourced<NewEarthingTest>,
        key: &PointKey,
    ) -> Result<(), StoreError> {
        let Some(point) = self.point(key).await? else {
            self.reject(Problem::new(s.line, None, None, POINT_MISSING));
            return Ok(());
        };
        let existing = sqlx::query(
            "select batch_id, source_line, resistance_ohm, limit_ohm, method, tester_serial,
                    weather, technician, notes
             from earthing_tests
             where lab_id = ? and point_id = ? and tested_on = ? and voided_at is null",
        )
        .bind(self.lab)
        .bind(point.id)
        .bind(s.record.date)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(row) = existing else {
            self.reject(Problem::new(s.line, None, None, TEST_CLASH));
            return Ok(());
        };
        let stored = StoredTest {
            resistance: stored_ohms(
                "resistance_ohm",
                &row.try_get::<String, _>("resistance_ohm")?,
            )?,
            limit: stored_ohms("limit_ohm", &row.try_get::<String, _>("limit_ohm")?)?,
            method: row
                .try_get::<Option<String>, _>("method")?
                .map(|m| parse_stored("method", &m))
                .transpose()?,
            tester_serial: row.try_get("tester_serial")?,
            weather: row.try_get("weather")?,
            technician: row.try_get("technician")?,
            notes: row.try_get("notes")?,
        };
        let from = whence(
            self.batch_id,
            row.try_get("batch_id")?,
            row.try_get("source_line")?,
        );
        self.tally.judge(rules::test_conflict(
            s.line,
            &s.record,
            (point.system, point.limit),
            stored,
            &from,
        ));
        Ok(())
    }
}

fn stored_ohms(column: &str, text: &str) -> Result<Ohms, StoreError> {
    let value: Decimal = parse_stored(column, text)?;
    Ohms::new(value).map_err(|_| corrupt(format_args!("{column} = {text:?}")))
}

/// The stored inspection with `new`'s natural key, as a [`NewInspection`] comparable
/// with it (fields outside [`NewInspection::differing_fields`] are taken from `new`).
fn stored_inspection(row: &SqliteRow, new: &NewInspection) -> Result<NewInspection, StoreError> {
    let text = |c: &str| row.try_get::<Option<String>, _>(c);
    let mut stored = new.clone();
    stored.verification_type = text("verification_type")?
        .map(|v| parse_stored("verification_type", &v))
        .transpose()?;
    stored.procedure = text("procedure")?;
    stored.result = text("result")?
        .map(|v| parse_stored("result", &v))
        .transpose()?;
    stored.error_percent = text("error_percent")?
        .map(|v| parse_stored("error_percent", &v))
        .transpose()?;
    stored.certificate_no = text("certificate_no")?;
    stored.stamp_no = text("stamp_no")?;
    stored.valid_until = row.try_get::<Option<NaiveDate>, _>("valid_until")?;
    stored.technician = row.try_get("technician")?;
    stored.checked_by = text("checked_by")?;
    stored.notes = text("notes")?;
    Ok(stored)
}

/// Runs one import: see [`Store::import_batch`].
pub(super) async fn run(
    store: &SqliteStore,
    request: BatchRequest,
    mut events: Receiver<ImportEvent>,
) -> Result<ImportBatch, StoreError> {
    let uploaded_at = Utc::now();
    let mut tx = store.begin_write().await?;
    let batch_id: i64 = sqlx::query_scalar(
        "insert into import_batches (lab_id, kind, mode, file_name, uploaded_by, uploaded_at)
         values (?, ?, ?, ?, ?, ?) returning id",
    )
    .bind(request.lab)
    .bind(request.kind.as_str())
    .bind(request.mode.as_str())
    .bind(request.file_name.as_str())
    .bind(request.uploaded_by.as_str())
    .bind(uploaded_at)
    .fetch_one(&mut *tx)
    .await?;
    let mut import = Import {
        tx,
        lab: request.lab,
        kind: request.kind,
        batch_id,
        now: Arc::from(uploaded_at.to_rfc3339()),
        tally: Tally::default(),
        inspections: Vec::new(),
        tests: Vec::new(),
        statements: HashMap::new(),
        original: OriginalColumns::default(),
    };
    let summary = loop {
        match events.recv().await {
            Some(ImportEvent::Rows(rows)) => import.take(rows).await?,
            Some(ImportEvent::Finished(summary)) => break summary,
            None => {
                import.tx.rollback().await?;
                return Err(StoreError::ImportAbandoned(format!(
                    "{} after {} rows; nothing was stored",
                    request.file_name, import.tally.rows
                )));
            }
        }
    };
    import.flush().await?;
    import.tally.problems.sort_by_key(|p| p.line);
    summary.name_columns_as_written(&mut import.tally.problems);
    finish(store, request, import, summary, uploaded_at).await
}

/// Decides the batch's fate once every row is in: refuse, answer with the batch already
/// imported, roll back a dry run, or store it.
async fn finish(
    store: &SqliteStore,
    request: BatchRequest,
    mut import: Import,
    summary: FileSummary,
    uploaded_at: DateTime<Utc>,
) -> Result<ImportBatch, StoreError> {
    if !summary.fatal.is_empty() {
        import.tx.rollback().await?;
        let mut problems = summary.fatal.clone();
        problems.append(&mut import.tally.problems);
        return Ok(import.tally.unstored(
            &request,
            &summary,
            uploaded_at,
            BatchOutcome::Refused,
            problems,
        ));
    }
    let sha256 = (!summary.sha256.is_empty()).then_some(summary.sha256.as_str());
    if let Some(sha) = sha256 {
        let existing: Option<i64> = sqlx::query_scalar(
            "select id from import_batches
             where lab_id = ? and sha256 = ? and voided_at is null and id <> ?",
        )
        .bind(request.lab)
        .bind(sha)
        .bind(import.batch_id)
        .fetch_optional(&mut *import.tx)
        .await?;
        if let Some(id) = existing {
            import.tx.rollback().await?;
            return rules::already_imported(store, request.lab, id).await;
        }
    }
    if let Some(outcome) = import.tally.unstored_outcome(request.mode) {
        import.tx.rollback().await?;
        let problems = std::mem::take(&mut import.tally.problems);
        return Ok(import
            .tally
            .unstored(&request, &summary, uploaded_at, outcome, problems));
    }
    let problems_json =
        serde_json::to_string(&import.tally.problems).map_err(|e| corrupt(format_args!("{e}")))?;
    let warnings_json =
        serde_json::to_string(&summary.warnings).map_err(|e| corrupt(format_args!("{e}")))?;
    let updated = sqlx::query(
        "update import_batches set sha256 = ?, size_bytes = ?, rows = ?, inserted = ?,
                duplicates = ?, rejected = ?, problems = ?, warnings = ?, original_columns = ?
         where id = ?",
    )
    .bind(sha256)
    .bind(i64_of(summary.size_bytes))
    .bind(i64_of(import.tally.rows))
    .bind(i64_of(import.tally.inserted))
    .bind(i64_of(import.tally.duplicates))
    .bind(i64_of(import.tally.rejected))
    .bind(problems_json)
    .bind(warnings_json)
    .bind(import.original.columns_json())
    .bind(import.batch_id)
    .execute(&mut *import.tx)
    .await;
    match updated {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            import.tx.rollback().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "select id from import_batches
                 where lab_id = ? and sha256 = ? and voided_at is null",
            )
            .bind(request.lab)
            .bind(sha256)
            .fetch_optional(store.pool())
            .await?;
            return match id {
                Some(id) => rules::already_imported(store, request.lab, id).await,
                None => Err(StoreError::Invalid(
                    "the same file is being imported at the same time; try again".into(),
                )),
            };
        }
        Err(e) => return Err(e.into()),
    }
    SqliteStore::audit(
        &mut import.tx,
        request.lab,
        &request.uploaded_by,
        "import",
        &format!("import_batch:{}", import.batch_id),
        import.tally.audit_detail(&request, &summary.sha256),
    )
    .await?;
    let batch_id = import.batch_id;
    import.tx.commit().await?;
    store.batch(request.lab, batch_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for stmt in [
            Stmt::Instruments,
            Stmt::Inspections,
            Stmt::Points,
            Stmt::Tests,
        ] {
            let columns = stmt.columns();
            let marks = stmt.sql(3).matches('?').count();
            assert_eq!(
                marks,
                stmt.head().len() + 3 * columns + stmt.tail().len(),
                "{stmt:?}"
            );
        }
    }
}
