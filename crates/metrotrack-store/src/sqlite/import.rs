//! Streaming, transactional import of one file into SQLite.
//!
//! The whole batch is one `begin immediate` transaction. Valid rows are buffered into
//! sub-chunks and written with multi-row statements (`insert … values (…),(…) on
//! conflict do nothing returning …`) whose SQL is built once per size, so each is
//! prepared once and reused. Sizes are drawn from [`PIECES`], which bounds the number of
//! distinct statements. A row the insert skipped clashed with a stored record: it is
//! looked up (rare, one query per row) and counted as a duplicate or reported as a
//! conflict. Strict refusals and dry runs roll the transaction back at the end.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::{
    BatchOutcome, CategoryCode, EarthingSystem, FileSummary, ImportBatch, ImportMode,
    InstrumentKey, LabId, LogKind, NewEarthingTest, NewInspection, Ohms, ParsedRow, PointKey,
    Problem, Sourced,
};
use rust_decimal::Decimal;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, Sqlite, Transaction};
use tokio::sync::mpsc::Receiver;

use super::{SqliteStore, corrupt, i64_of, parse_stored};
use crate::{BatchRequest, ImportEvent, Store, StoreError};

/// Rows per multi-row statement, largest first; a remainder is cut greedily into these
/// sizes so that at most a handful of distinct statements is ever prepared.
/// The largest statement (inspections, 19 columns) binds 4 864 values, well under
/// SQLite's limit of 32 766.
const PIECES: [usize; 5] = [256, 64, 16, 4, 1];
const CHUNK: usize = PIECES[0];

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

/// The multi-row statements of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stmt {
    InsertInstruments,
    SelectInstruments,
    InsertInspections,
    InsertPoints,
    SelectPoints,
    InsertTests,
}

/// `(?, ?, …), (?, ?, …)`: `rows` groups of `columns` placeholders.
fn placeholders(rows: usize, columns: usize) -> String {
    let group = format!("({})", vec!["?"; columns].join(", "));
    vec![group; rows].join(", ")
}

impl Stmt {
    fn sql(self, rows: usize) -> String {
        match self {
            Self::InsertInstruments => format!(
                "insert into instruments (lab_id, category_code, manufacturer_key, serial_key, \
                 serial_number, manufacturer, model, owner, created_at, created_batch_id) \
                 values {} on conflict do nothing",
                placeholders(rows, 10)
            ),
            Self::SelectInstruments => format!(
                "with k (c, m, s) as (values {}) \
                 select i.id, i.category_code, i.manufacturer_key, i.serial_key \
                 from k join instruments i on i.lab_id = ? and i.category_code = k.c \
                 and i.manufacturer_key = k.m and i.serial_key = k.s",
                placeholders(rows, 3)
            ),
            Self::InsertInspections => format!(
                "insert into inspections (lab_id, instrument_id, category_code, kind, \
                 inspected_on, verification_type, procedure, result, error_percent, \
                 certificate_no, stamp_no, valid_until, technician, checked_by, notes, \
                 batch_id, source_line, original, created_at) \
                 values {} on conflict do nothing returning source_line",
                placeholders(rows, 19)
            ),
            Self::InsertPoints => format!(
                "insert into earthing_points (lab_id, site, site_key, code, code_key, system, \
                 limit_ohm, created_at) values {} on conflict do nothing",
                placeholders(rows, 8)
            ),
            Self::SelectPoints => format!(
                "with k (s, c) as (values {}) \
                 select p.id, p.site_key, p.code_key, p.system, p.limit_ohm \
                 from k join earthing_points p on p.lab_id = ? and p.site_key = k.s \
                 and p.code_key = k.c",
                placeholders(rows, 2)
            ),
            Self::InsertTests => format!(
                "insert into earthing_tests (lab_id, point_id, tested_on, resistance_ohm, \
                 limit_ohm, method, tester_serial, weather, technician, notes, batch_id, \
                 source_line, original, created_at) \
                 values {} on conflict do nothing returning source_line",
                placeholders(rows, 14)
            ),
        }
    }
}

/// The original observations as a JSON object, header → value, in file order.
fn original_json(original: &[(String, String)]) -> String {
    let mut out = String::from("{");
    for (i, (header, value)) in original.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Serialising a string cannot fail.
        let _ = write!(
            out,
            "{}:{}",
            serde_json::Value::from(header.as_str()),
            serde_json::Value::from(value.as_str())
        );
    }
    out.push('}');
    out
}

/// Where a stored record came from, for a conflict message.
fn whence(current_batch: i64, batch: Option<i64>, line: Option<i64>) -> String {
    match (batch, line) {
        (Some(b), Some(l)) if b == current_batch => format!("earlier in this file, line {l}"),
        (Some(b), Some(l)) => format!("from batch {b}, line {l}"),
        (Some(b), None) => format!("from batch {b}"),
        (None, _) => "entered directly".to_owned(),
    }
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
    rows: u64,
    inserted: u64,
    duplicates: u64,
    rejected: u64,
    problems: Vec<Problem>,
    inspections: Vec<Sourced<NewInspection>>,
    tests: Vec<Sourced<NewEarthingTest>>,
    statements: HashMap<(Stmt, usize), Arc<str>>,
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
        self.rejected += 1;
        self.problems.push(problem);
    }

    async fn take(&mut self, rows: Vec<ParsedRow>) -> Result<(), StoreError> {
        for row in rows {
            self.rows += 1;
            match row {
                ParsedRow::Invalid { line, problems } => {
                    self.rejected += 1;
                    if problems.is_empty() {
                        self.problems.push(Problem::new(
                            line,
                            None,
                            None,
                            "the row could not be read",
                        ));
                    } else {
                        self.problems.extend(problems);
                    }
                }
                ParsedRow::Inspection(s) if self.kind == LogKind::Inspections => {
                    // RETURNING answers by line: a statement must not hold a line twice.
                    if self.inspections.last().is_some_and(|l| l.line >= s.line) {
                        self.flush_inspections().await?;
                    }
                    self.inspections.push(s);
                    if self.inspections.len() >= CHUNK {
                        self.flush_inspections().await?;
                    }
                }
                ParsedRow::Earthing(s) if self.kind == LogKind::Earthing => {
                    if self.tests.last().is_some_and(|l| l.line >= s.line) {
                        self.flush_tests().await?;
                    }
                    self.tests.push(s);
                    if self.tests.len() >= CHUNK {
                        self.flush_tests().await?;
                    }
                }
                ParsedRow::Inspection(s) => self.reject(Problem::new(
                    s.line,
                    None,
                    None,
                    "an inspection row in an earthing log",
                )),
                ParsedRow::Earthing(s) => self.reject(Problem::new(
                    s.line,
                    None,
                    None,
                    "an earthing row in an inspections log",
                )),
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        self.flush_inspections().await?;
        self.flush_tests().await
    }

    async fn flush_inspections(&mut self) -> Result<(), StoreError> {
        let rows = std::mem::take(&mut self.inspections);
        if rows.is_empty() {
            return Ok(());
        }
        let ids = self.instrument_ids(&rows).await?;
        for range in pieces(rows.len()) {
            let piece = &rows[range];
            let sql = self.sql(Stmt::InsertInspections, piece.len());
            let mut query = sqlx::query(sql);
            for s in piece {
                let r = &s.record;
                let key = InstrumentKey::new(&r.category, r.manufacturer.as_deref(), &r.serial);
                let instrument_id = ids.get(&key).copied().ok_or_else(|| {
                    corrupt(format_args!("instrument of line {} was not stored", s.line))
                })?;
                query = query
                    .bind(self.lab)
                    .bind(instrument_id)
                    .bind(r.category.as_str())
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
                    .bind(self.batch_id)
                    .bind(i64_of(s.line))
                    .bind(original_json(&s.original))
                    .bind(Arc::clone(&self.now));
            }
            let stored: HashSet<i64> = query
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            self.inserted += stored.len() as u64;
            if stored.len() < piece.len() {
                for s in piece {
                    if !stored.contains(&i64_of(s.line)) {
                        let key = InstrumentKey::new(
                            &s.record.category,
                            s.record.manufacturer.as_deref(),
                            &s.record.serial,
                        );
                        let instrument_id = ids.get(&key).copied().unwrap_or_default();
                        self.inspection_not_inserted(s, instrument_id).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Creates the instruments of `rows` first seen here, and answers every row's
    /// instrument id.
    async fn instrument_ids(
        &mut self,
        rows: &[Sourced<NewInspection>],
    ) -> Result<HashMap<InstrumentKey, i64>, StoreError> {
        let mut first: HashMap<InstrumentKey, usize> = HashMap::new();
        let mut keys: Vec<(InstrumentKey, &NewInspection)> = Vec::new();
        for s in rows {
            let r = &s.record;
            let key = InstrumentKey::new(&r.category, r.manufacturer.as_deref(), &r.serial);
            if !first.contains_key(&key) {
                first.insert(key.clone(), keys.len());
                keys.push((key, r));
            }
        }
        for range in pieces(keys.len()) {
            let piece = &keys[range];
            let sql = self.sql(Stmt::InsertInstruments, piece.len());
            let mut query = sqlx::query(sql);
            for (key, r) in piece {
                query = query
                    .bind(self.lab)
                    .bind(key.category.as_str())
                    .bind(key.manufacturer_key.as_str())
                    .bind(key.serial_key.as_str())
                    .bind(r.serial.written())
                    .bind(r.manufacturer.as_deref())
                    .bind(r.model.as_deref())
                    .bind(r.owner.as_deref())
                    .bind(Arc::clone(&self.now))
                    .bind(self.batch_id);
            }
            query.execute(&mut *self.tx).await?;
        }
        let mut ids = HashMap::with_capacity(keys.len());
        for range in pieces(keys.len()) {
            let piece = &keys[range];
            let sql = self.sql(Stmt::SelectInstruments, piece.len());
            let mut query = sqlx::query(sql);
            for (key, _) in piece {
                query = query
                    .bind(key.category.as_str())
                    .bind(key.manufacturer_key.as_str())
                    .bind(key.serial_key.as_str());
            }
            for row in query.bind(self.lab).fetch_all(&mut *self.tx).await? {
                let category: String = row.try_get(1)?;
                let key = InstrumentKey {
                    category: CategoryCode::parse(&category).map_err(|_| {
                        corrupt(format_args!("instruments.category_code = {category:?}"))
                    })?,
                    manufacturer_key: row.try_get(2)?,
                    serial_key: row.try_get(3)?,
                };
                ids.insert(key, row.try_get::<i64, _>(0)?);
            }
        }
        Ok(ids)
    }

    /// A row the insert skipped: the same record again (a duplicate), a different one
    /// for the same instrument, kind and date (a conflict), or a certificate or stamp
    /// number already used.
    async fn inspection_not_inserted(
        &mut self,
        s: &Sourced<NewInspection>,
        instrument_id: i64,
    ) -> Result<(), StoreError> {
        let r = &s.record;
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
            let differs = stored.differing_fields(r);
            let Some(&first) = differs.first() else {
                self.duplicates += 1;
                return Ok(());
            };
            let from = whence(
                self.batch_id,
                row.try_get("batch_id")?,
                row.try_get("source_line")?,
            );
            let was = inspection_value(&stored, first).unwrap_or_else(|| "empty".into());
            let message = format!(
                "conflicts with the record already stored for this instrument, kind and date \
                 ({from}): {} {} (stored: {was}); corrections go through amendments",
                differs.join(", "),
                if differs.len() == 1 {
                    "differs"
                } else {
                    "differ"
                },
            );
            let value = inspection_value(r, first);
            self.reject(Problem::new(s.line, Some(first), value.as_deref(), message));
            return Ok(());
        }
        for (column, number, what) in [
            ("certificate_no", r.certificate_no.as_deref(), "certificate"),
            ("stamp_no", r.stamp_no.as_deref(), "stamp"),
        ] {
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
                self.reject(Problem::new(
                    s.line,
                    Some(column),
                    Some(number),
                    format!(
                        "{what} number {number} is already used by another inspection ({from}); \
                         a {what} number is unique within the lab"
                    ),
                ));
                return Ok(());
            }
        }
        self.reject(Problem::new(
            s.line,
            None,
            None,
            "could not be stored: it clashes with a stored inspection",
        ));
        Ok(())
    }

    async fn flush_tests(&mut self) -> Result<(), StoreError> {
        let rows = std::mem::take(&mut self.tests);
        if rows.is_empty() {
            return Ok(());
        }
        let points = self.point_infos(&rows).await?;
        for range in pieces(rows.len()) {
            let piece = &rows[range];
            let sql = self.sql(Stmt::InsertTests, piece.len());
            let mut query = sqlx::query(sql);
            for s in piece {
                let r = &s.record;
                let point = points
                    .get(&PointKey::new(&r.site, &r.point))
                    .ok_or_else(|| {
                        corrupt(format_args!("point of line {} was not stored", s.line))
                    })?;
                query = query
                    .bind(self.lab)
                    .bind(point.id)
                    .bind(r.date)
                    .bind(r.resistance.to_string())
                    .bind(r.limit.unwrap_or(point.limit).to_string())
                    .bind(r.method.map(|m| m.as_str()))
                    .bind(r.tester_serial.as_deref())
                    .bind(r.weather.as_deref())
                    .bind(r.technician.as_str())
                    .bind(r.notes.as_deref())
                    .bind(self.batch_id)
                    .bind(i64_of(s.line))
                    .bind(original_json(&s.original))
                    .bind(Arc::clone(&self.now));
            }
            let stored: HashSet<i64> = query
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            self.inserted += stored.len() as u64;
            if stored.len() < piece.len() {
                for s in piece {
                    if !stored.contains(&i64_of(s.line)) {
                        let key = PointKey::new(&s.record.site, &s.record.point);
                        if let Some(point) = points.get(&key).cloned() {
                            self.test_not_inserted(s, &point).await?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Creates the earthing points of `rows` first seen here (with the row's system,
    /// lightning protection by default, and the row's limit, else the system's default),
    /// and answers every row's point.
    async fn point_infos(
        &mut self,
        rows: &[Sourced<NewEarthingTest>],
    ) -> Result<HashMap<PointKey, PointInfo>, StoreError> {
        let mut seen: HashMap<PointKey, ()> = HashMap::new();
        let mut keys: Vec<(PointKey, &NewEarthingTest)> = Vec::new();
        for s in rows {
            let key = PointKey::new(&s.record.site, &s.record.point);
            if seen.insert(key.clone(), ()).is_none() {
                keys.push((key, &s.record));
            }
        }
        for range in pieces(keys.len()) {
            let piece = &keys[range];
            let sql = self.sql(Stmt::InsertPoints, piece.len());
            let mut query = sqlx::query(sql);
            for (key, r) in piece {
                let system = r.system.unwrap_or(EarthingSystem::LightningProtection);
                let limit = r.limit.unwrap_or_else(|| system.default_limit());
                query = query
                    .bind(self.lab)
                    .bind(r.site.as_str())
                    .bind(key.site_key.as_str())
                    .bind(r.point.written())
                    .bind(key.code_key.as_str())
                    .bind(system.as_str())
                    .bind(limit.to_string())
                    .bind(Arc::clone(&self.now));
            }
            query.execute(&mut *self.tx).await?;
        }
        let mut out = HashMap::with_capacity(keys.len());
        for range in pieces(keys.len()) {
            let piece = &keys[range];
            let sql = self.sql(Stmt::SelectPoints, piece.len());
            let mut query = sqlx::query(sql);
            for (key, _) in piece {
                query = query
                    .bind(key.site_key.as_str())
                    .bind(key.code_key.as_str());
            }
            for row in query.bind(self.lab).fetch_all(&mut *self.tx).await? {
                let system: String = row.try_get(3)?;
                let limit: String = row.try_get(4)?;
                let key = PointKey {
                    site_key: row.try_get(1)?,
                    code_key: row.try_get(2)?,
                };
                out.insert(
                    key,
                    PointInfo {
                        id: row.try_get(0)?,
                        system: parse_stored("earthing_points.system", &system)?,
                        limit: stored_ohms("earthing_points.limit_ohm", &limit)?,
                    },
                );
            }
        }
        Ok(out)
    }

    /// A test the insert skipped: the point already has a test on that date.
    async fn test_not_inserted(
        &mut self,
        s: &Sourced<NewEarthingTest>,
        point: &PointInfo,
    ) -> Result<(), StoreError> {
        // Compare what would have been stored: the limit applied and the point's system.
        let mut new = s.record.clone();
        new.limit = Some(new.limit.unwrap_or(point.limit));
        new.system = Some(new.system.unwrap_or(point.system));
        let existing = sqlx::query(
            "select batch_id, source_line, resistance_ohm, limit_ohm, method, tester_serial,
                    weather, technician, notes
             from earthing_tests
             where lab_id = ? and point_id = ? and tested_on = ? and voided_at is null",
        )
        .bind(self.lab)
        .bind(point.id)
        .bind(new.date)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(row) = existing else {
            self.reject(Problem::new(
                s.line,
                None,
                None,
                "could not be stored: it clashes with a stored earthing test",
            ));
            return Ok(());
        };
        let mut stored = new.clone();
        stored.system = Some(point.system);
        stored.resistance = stored_ohms(
            "resistance_ohm",
            &row.try_get::<String, _>("resistance_ohm")?,
        )?;
        stored.limit = Some(stored_ohms(
            "limit_ohm",
            &row.try_get::<String, _>("limit_ohm")?,
        )?);
        stored.method = row
            .try_get::<Option<String>, _>("method")?
            .map(|m| parse_stored("method", &m))
            .transpose()?;
        stored.tester_serial = row.try_get("tester_serial")?;
        stored.weather = row.try_get("weather")?;
        stored.technician = row.try_get("technician")?;
        stored.notes = row.try_get("notes")?;
        let differs = stored.differing_fields(&new);
        let Some(&first) = differs.first() else {
            self.duplicates += 1;
            return Ok(());
        };
        let from = whence(
            self.batch_id,
            row.try_get("batch_id")?,
            row.try_get("source_line")?,
        );
        let was = test_value(&stored, first).unwrap_or_else(|| "empty".into());
        let message = format!(
            "conflicts with the test already stored for this point and date ({from}): \
             {} {} (stored: {was}); corrections go through amendments",
            differs.join(", "),
            if differs.len() == 1 {
                "differs"
            } else {
                "differ"
            },
        );
        let value = test_value(&new, first);
        self.reject(Problem::new(s.line, Some(first), value.as_deref(), message));
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

/// A compared field's value as text, for a problem report.
fn inspection_value(r: &NewInspection, field: &str) -> Option<String> {
    match field {
        "verification_type" => r.verification_type.map(|v| v.as_str().to_owned()),
        "procedure" => r.procedure.clone(),
        "result" => r.result.map(|v| v.as_str().to_owned()),
        "error_percent" => r.error_percent.map(|d| d.to_string()),
        "certificate_no" => r.certificate_no.clone(),
        "stamp_no" => r.stamp_no.clone(),
        "valid_until" => r.valid_until.map(|d| d.to_string()),
        "technician" => Some(r.technician.clone()),
        "checked_by" => r.checked_by.clone(),
        "notes" => r.notes.clone(),
        _ => None,
    }
}

/// A compared field's value as text, for a problem report.
fn test_value(r: &NewEarthingTest, field: &str) -> Option<String> {
    match field {
        "resistance_ohm" => Some(r.resistance.to_string()),
        "limit_ohm" => r.limit.map(|l| l.to_string()),
        "system" => r.system.map(|v| v.as_str().to_owned()),
        "method" => r.method.map(|v| v.as_str().to_owned()),
        "tester_serial" => r.tester_serial.clone(),
        "weather" => r.weather.clone(),
        "technician" => Some(r.technician.clone()),
        "notes" => r.notes.clone(),
        _ => None,
    }
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
        rows: 0,
        inserted: 0,
        duplicates: 0,
        rejected: 0,
        problems: Vec::new(),
        inspections: Vec::new(),
        tests: Vec::new(),
        statements: HashMap::new(),
    };
    let summary = loop {
        match events.recv().await {
            Some(ImportEvent::Rows(rows)) => import.take(rows).await?,
            Some(ImportEvent::Finished(summary)) => break summary,
            None => {
                import.tx.rollback().await?;
                return Err(StoreError::ImportAbandoned(format!(
                    "{} after {} rows; nothing was stored",
                    request.file_name, import.rows
                )));
            }
        }
    };
    import.flush().await?;
    import.problems.sort_by_key(|p| p.line);
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
    let (rows, inserted, duplicates, rejected) = (
        import.rows,
        import.inserted,
        import.duplicates,
        import.rejected,
    );
    // Nothing stored: a refusal reports nothing inserted; a dry run what would have been.
    let unstored = |outcome, problems| ImportBatch {
        id: None,
        outcome,
        kind: request.kind,
        mode: request.mode,
        file_name: request.file_name.clone(),
        size_bytes: summary.size_bytes,
        sha256: summary.sha256.clone(),
        uploaded_by: request.uploaded_by.clone(),
        uploaded_at,
        rows,
        inserted: if outcome == BatchOutcome::DryRun {
            inserted
        } else {
            0
        },
        duplicates,
        rejected,
        problems,
        warnings: summary.warnings.clone(),
        voided_at: None,
        voided_by: None,
        void_reason: None,
    };
    if !summary.fatal.is_empty() {
        import.tx.rollback().await?;
        let mut problems = summary.fatal.clone();
        problems.append(&mut import.problems);
        return Ok(unstored(BatchOutcome::Refused, problems));
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
            return already_imported(store, request.lab, id).await;
        }
    }
    let refused = match request.mode {
        ImportMode::Strict if !import.problems.is_empty() => Some(BatchOutcome::Refused),
        ImportMode::DryRun => Some(BatchOutcome::DryRun),
        ImportMode::Strict | ImportMode::Partial => None,
    };
    if let Some(outcome) = refused {
        import.tx.rollback().await?;
        let problems = std::mem::take(&mut import.problems);
        return Ok(unstored(outcome, problems));
    }
    let problems_json =
        serde_json::to_string(&import.problems).map_err(|e| corrupt(format_args!("{e}")))?;
    let warnings_json =
        serde_json::to_string(&summary.warnings).map_err(|e| corrupt(format_args!("{e}")))?;
    let updated = sqlx::query(
        "update import_batches set sha256 = ?, size_bytes = ?, rows = ?, inserted = ?,
                duplicates = ?, rejected = ?, problems = ?, warnings = ?
         where id = ?",
    )
    .bind(sha256)
    .bind(i64_of(summary.size_bytes))
    .bind(i64_of(import.rows))
    .bind(i64_of(import.inserted))
    .bind(i64_of(import.duplicates))
    .bind(i64_of(import.rejected))
    .bind(problems_json)
    .bind(warnings_json)
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
                Some(id) => already_imported(store, request.lab, id).await,
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
        serde_json::json!({
            "kind": request.kind,
            "mode": request.mode,
            "file_name": request.file_name,
            "sha256": summary.sha256,
            "rows": import.rows,
            "inserted": import.inserted,
            "duplicates": import.duplicates,
            "rejected": import.rejected,
        }),
    )
    .await?;
    let batch_id = import.batch_id;
    import.tx.commit().await?;
    store.batch(request.lab, batch_id).await
}

async fn already_imported(
    store: &SqliteStore,
    lab: LabId,
    id: i64,
) -> Result<ImportBatch, StoreError> {
    let mut batch = store.batch(lab, id).await?;
    batch.outcome = BatchOutcome::AlreadyImported;
    Ok(batch)
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
    fn original_keeps_file_order_and_escapes() {
        let json = original_json(&[
            ("Số sản xuất".into(), "A\"1".into()),
            ("Kết quả".into(), "Đạt".into()),
        ]);
        assert_eq!(json, r#"{"Số sản xuất":"A\"1","Kết quả":"Đạt"}"#);
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    }
}
