//! Streaming, transactional import of one file into PostgreSQL, through `COPY`.
//!
//! The whole batch is one transaction. Valid rows are buffered into chunks of
//! [`CHUNK`] rows; each chunk is copied (`COPY … FROM STDIN`, text format) into a
//! temporary staging table dropped at commit, then moved with two set statements: one
//! creates the instruments (or points) first seen, one stores the inspections (or tests),
//! finding their instrument by key, one index probe per row (`insert … select … cross
//! join lateral (…) … on conflict do nothing`: a plain join would hash the lab's whole
//! instrument table for every chunk).
//! When fewer rows are stored than staged, the skipped lines are found with one query,
//! their stored counterparts with another, and each is judged by [`crate::rules`]
//! exactly as SQLite judges it.
//!
//! Imports into one lab take a transaction-level advisory lock for their whole
//! transaction: two files naming the same instruments in different orders would
//! otherwise wait on each other's uncommitted rows and deadlock. Imports into
//! different labs run side by side. Strict refusals and dry runs roll back at the end.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::{
    BatchOutcome, EarthingSystem, FileSummary, ImportBatch, InstrumentKey, LabId, LogKind,
    NewEarthingTest, NewInspection, Ohms, PointKey, Problem, Sourced,
};
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};
use tokio::sync::mpsc::Receiver;

use super::{PgStore, corrupt, i64_of, now, parse_stored};
use crate::rules::{
    self, Admitted, INSPECTION_CLASH, OriginalColumns, POINT_MISSING, StoredTest, TEST_CLASH,
    Tally, whence,
};
use crate::{BatchRequest, ImportEvent, Store, StoreError};

/// Rows per `COPY`: large enough that a statement's round trips are noise, small enough
/// that memory does not grow with the file.
const CHUNK: usize = 5_000;

/// The advisory-lock class of imports (`pg_advisory_xact_lock(class, lab)`): "mtim".
const IMPORT_LOCK_CLASS: i32 = 0x6d74_696d;

/// Each staged inspection draws its id as it is copied in, so that an instrument first
/// seen in a chunk is created with its due inspection already (see `flush_inspections`).
const STAGE_INSPECTIONS: &str = "create temp table staged_inspections (
        id bigint not null default nextval('inspections_id_seq'),
        line bigint not null,
        category_code text not null,
        manufacturer_key text not null,
        serial_key text not null,
        serial_number text not null,
        manufacturer text,
        model text,
        owner text,
        kind text not null,
        inspected_on date not null,
        verification_type text,
        procedure text,
        result text,
        error_percent numeric,
        certificate_no text,
        stamp_no text,
        valid_until date,
        technician text not null,
        checked_by text,
        notes text,
        original jsonb not null
    ) on commit drop";

const COPY_INSPECTIONS: &str = "copy staged_inspections (line, category_code, \
    manufacturer_key, serial_key, serial_number, manufacturer, model, owner, kind, \
    inspected_on, verification_type, procedure, result, error_percent, certificate_no, \
    stamp_no, valid_until, technician, checked_by, notes, original) from stdin";

const STAGE_TESTS: &str = "create temp table staged_tests (
        line bigint not null,
        site text not null,
        site_key text not null,
        code text not null,
        code_key text not null,
        point_system text not null,
        point_limit numeric not null,
        tested_on date not null,
        resistance_ohm numeric not null,
        limit_ohm numeric,
        method text,
        tester_serial text,
        weather text,
        technician text not null,
        notes text,
        original jsonb not null
    ) on commit drop";

const COPY_TESTS: &str = "copy staged_tests (line, site, site_key, code, code_key, \
    point_system, point_limit, tested_on, resistance_ohm, limit_ohm, method, tester_serial, \
    weather, technician, notes, original) from stdin";

/// One row of `COPY` text format: fields escaped, tab-separated, `\N` for null.
#[derive(Debug, Default)]
struct CopyText {
    buf: String,
    fields_in_row: usize,
}

impl CopyText {
    fn field(&mut self, value: Option<&str>) -> &mut Self {
        if self.fields_in_row > 0 {
            self.buf.push('\t');
        }
        self.fields_in_row += 1;
        match value {
            None => self.buf.push_str("\\N"),
            Some(v) => {
                for c in v.chars() {
                    match c {
                        '\\' => self.buf.push_str("\\\\"),
                        '\t' => self.buf.push_str("\\t"),
                        '\n' => self.buf.push_str("\\n"),
                        '\r' => self.buf.push_str("\\r"),
                        c => self.buf.push(c),
                    }
                }
            }
        }
        self
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.field(Some(value))
    }

    fn display(&mut self, value: Option<impl std::fmt::Display>) -> &mut Self {
        match value {
            None => self.field(None),
            Some(v) => {
                let mut s = String::new();
                let _ = write!(s, "{v}");
                self.field(Some(&s))
            }
        }
    }

    fn end_row(&mut self) {
        self.buf.push('\n');
        self.fields_in_row = 0;
    }
}

/// One running import: the open transaction and everything counted so far.
struct Import {
    tx: Transaction<'static, Postgres>,
    lab: LabId,
    kind: LogKind,
    batch_id: i64,
    now: DateTime<Utc>,
    tally: Tally,
    inspections: Vec<Sourced<NewInspection>>,
    tests: Vec<Sourced<NewEarthingTest>>,
    /// Whether the staging table holds rows of an earlier chunk.
    staged: bool,
    original: OriginalColumns,
}

impl Import {
    async fn take(&mut self, rows: Vec<metrotrack_core::ParsedRow>) -> Result<(), StoreError> {
        for row in rows {
            match self.tally.admit(self.kind, row) {
                None => {}
                Some(Admitted::Inspection(s)) => {
                    // Skipped rows are found by line: a chunk must not hold a line twice.
                    if self.inspections.last().is_some_and(|l| l.line >= s.line) {
                        self.flush().await?;
                    }
                    self.inspections.push(s);
                    if self.inspections.len() >= CHUNK {
                        self.flush().await?;
                    }
                }
                Some(Admitted::Earthing(s)) => {
                    if self.tests.last().is_some_and(|l| l.line >= s.line) {
                        self.flush().await?;
                    }
                    self.tests.push(s);
                    if self.tests.len() >= CHUNK {
                        self.flush().await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        match self.kind {
            LogKind::Inspections => self.flush_inspections().await,
            LogKind::Earthing => self.flush_tests().await,
        }
    }

    /// Empties the staging table and copies `data` into it.
    async fn stage(
        &mut self,
        table: &'static str,
        copy: &str,
        data: String,
    ) -> Result<(), StoreError> {
        if self.staged {
            let sql = if table == "staged_inspections" {
                "truncate staged_inspections"
            } else {
                "truncate staged_tests"
            };
            sqlx::query(sql).execute(&mut *self.tx).await?;
        }
        self.staged = true;
        let mut copy_in = self.tx.copy_in_raw(copy).await?;
        if let Err(e) = copy_in.send(data.into_bytes()).await {
            let _ = copy_in.abort("send failed").await;
            return Err(e.into());
        }
        copy_in.finish().await?;
        Ok(())
    }

    /// Runs an `insert … select … returning source_line` of the staged rows and counts
    /// what it stored; returns the lines of `lines` it skipped.
    async fn insert_staged(
        &mut self,
        sql: &'static str,
        lines: impl Iterator<Item = u64>,
    ) -> Result<Vec<i64>, StoreError> {
        let stored: HashSet<i64> = sqlx::query_scalar(sql)
            .bind(self.lab)
            .bind(self.batch_id)
            .bind(self.now)
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .collect();
        self.tally.inserted += stored.len() as u64;
        Ok(lines
            .map(i64_of)
            .filter(|line| !stored.contains(line))
            .collect())
    }

    async fn flush_inspections(&mut self) -> Result<(), StoreError> {
        let rows = std::mem::take(&mut self.inspections);
        if rows.is_empty() {
            return Ok(());
        }
        let mut data = CopyText::default();
        for s in &rows {
            let r = &s.record;
            let key = InstrumentKey::new(&r.category, r.manufacturer.as_deref(), &r.serial);
            data.display(Some(s.line))
                .text(key.category.as_str())
                .text(&key.manufacturer_key)
                .text(&key.serial_key)
                .text(r.serial.written())
                .field(r.manufacturer.as_deref())
                .field(r.model.as_deref())
                .field(r.owner.as_deref())
                .text(r.kind.as_str())
                .display(Some(r.date))
                .field(r.verification_type.map(|v| v.as_str()))
                .field(r.procedure.as_deref())
                .field(r.result.map(|v| v.as_str()))
                .display(r.error_percent)
                .field(r.certificate_no.as_deref())
                .field(r.stamp_no.as_deref())
                .display(r.valid_until)
                .text(&r.technician)
                .field(r.checked_by.as_deref())
                .field(r.notes.as_deref())
                .text(&self.original.encode(&s.original))
                .end_row();
        }
        self.stage("staged_inspections", COPY_INSPECTIONS, data.buf)
            .await?;
        // The first row naming an instrument describes it; keys in order, so that
        // concurrent writers lock index entries in one order. An instrument first seen
        // here is created due by its latest valid row (by date, then id, as the trigger
        // of migration 0005 orders them): the trigger then finds nothing later to
        // update, where it would otherwise write each new instrument's row twice. A row
        // the insert below skips is taken back by `due_by_stored`.
        sqlx::query(
            "with due as (
                 select distinct on (category_code, manufacturer_key, serial_key)
                        category_code, manufacturer_key, serial_key, id, inspected_on,
                        valid_until
                 from staged_inspections
                 where valid_until is not null
                 order by category_code, manufacturer_key, serial_key, inspected_on desc,
                          id desc
             )
             insert into instruments (lab_id, category_code, manufacturer_key, serial_key,
                 serial_number, manufacturer, model, owner, created_at, created_batch_id,
                 due_inspection_id, due_inspected_on, due_on)
             select distinct on (s.category_code, s.manufacturer_key, s.serial_key)
                    $1, s.category_code, s.manufacturer_key, s.serial_key, s.serial_number,
                    s.manufacturer, s.model, s.owner, $2, $3, d.id, d.inspected_on,
                    d.valid_until
             from staged_inspections s
             left join due d using (category_code, manufacturer_key, serial_key)
             order by s.category_code, s.manufacturer_key, s.serial_key, s.line
             on conflict do nothing",
        )
        .bind(self.lab)
        .bind(self.now)
        .bind(self.batch_id)
        .execute(&mut *self.tx)
        .await?;
        let skipped = self
            .insert_staged(
                "insert into inspections (id, lab_id, instrument_id, category_code, kind,
                 inspected_on, verification_type, procedure, result, error_percent,
                 certificate_no, stamp_no, valid_until, technician, checked_by, notes,
                 batch_id, source_line, original, created_at)
             overriding system value
             select s.id, $1, i.id, s.category_code, s.kind, s.inspected_on, s.verification_type,
                    s.procedure, s.result, s.error_percent, s.certificate_no, s.stamp_no,
                    s.valid_until, s.technician, s.checked_by, s.notes, $2, s.line, s.original,
                    $3
             from staged_inspections s
             cross join lateral (
                 select i.id from instruments i
                 where i.lab_id = $1 and i.category_code = s.category_code
                   and i.manufacturer_key = s.manufacturer_key and i.serial_key = s.serial_key
                 limit 1) i
             order by s.line
             on conflict do nothing
             returning source_line",
                rows.iter().map(|s| s.line),
            )
            .await?;
        if !skipped.is_empty() {
            self.due_by_stored(&skipped).await?;
            self.inspections_not_inserted(&rows, &skipped).await?;
        }
        Ok(())
    }

    /// Instruments created due by a staged row that was then skipped take their latest
    /// valid stored inspection instead (or none).
    async fn due_by_stored(&mut self, skipped: &[i64]) -> Result<(), StoreError> {
        sqlx::query(
            "update instruments i
             set (due_inspection_id, due_inspected_on, due_on) = (
                 select e.id, e.inspected_on, e.valid_until
                 from inspections e
                 where e.lab_id = i.lab_id and e.instrument_id = i.id
                   and e.voided_at is null and e.valid_until is not null
                 order by e.inspected_on desc, e.id desc
                 limit 1)
             from staged_inspections s
             where s.line = any($2) and i.lab_id = $1 and i.category_code = s.category_code
               and i.manufacturer_key = s.manufacturer_key and i.serial_key = s.serial_key
               and i.due_inspection_id = s.id",
        )
        .bind(self.lab)
        .bind(skipped)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Judges the rows of `rows` at the `skipped` lines: the same record again (a
    /// duplicate), a different one for the same instrument, kind and date (a conflict),
    /// or a certificate or stamp number already used.
    async fn inspections_not_inserted(
        &mut self,
        rows: &[Sourced<NewInspection>],
        skipped: &[i64],
    ) -> Result<(), StoreError> {
        let existing: HashMap<i64, PgRow> = sqlx::query(
            // Row by row through the natural-key index (the lateral subquery and its
            // `limit` keep the planner from joining whole tables on stale statistics).
            "select s.line, e.batch_id, e.source_line, e.verification_type, e.procedure,
                    e.result, e.error_percent, e.certificate_no, e.stamp_no, e.valid_until,
                    e.technician, e.checked_by, e.notes
             from unnest($2::bigint[]) as k (line)
             join staged_inspections s on s.line = k.line
             cross join lateral (
                 select e.* from inspections e
                 where e.lab_id = $1 and e.voided_at is null and e.kind = s.kind
                   and e.inspected_on = s.inspected_on
                   and e.instrument_id = (
                       select i.id from instruments i
                       where i.lab_id = $1 and i.category_code = s.category_code
                         and i.manufacturer_key = s.manufacturer_key
                         and i.serial_key = s.serial_key)
                 limit 1) e",
        )
        .bind(self.lab)
        .bind(skipped)
        .fetch_all(&mut *self.tx)
        .await?
        .into_iter()
        .map(|row| Ok((row.try_get::<i64, _>("line")?, row)))
        .collect::<Result<_, sqlx::Error>>()?;
        let by_line: HashMap<i64, &Sourced<NewInspection>> =
            rows.iter().map(|s| (i64_of(s.line), s)).collect();
        for line in skipped {
            let Some(s) = by_line.get(line) else { continue };
            let r = &s.record;
            if let Some(row) = existing.get(line) {
                let stored = stored_inspection(row, r)?;
                let from = whence(
                    self.batch_id,
                    row.try_get("batch_id")?,
                    row.try_get("source_line")?,
                );
                self.tally
                    .judge(rules::inspection_conflict(s.line, r, &stored, &from));
                continue;
            }
            let mut judged = false;
            for (column, number, what) in rules::unique_numbers(r) {
                let Some(number) = number else { continue };
                let sql = if column == "certificate_no" {
                    "select batch_id, source_line from inspections
                     where lab_id = $1 and certificate_no = $2 and voided_at is null"
                } else {
                    "select batch_id, source_line from inspections
                     where lab_id = $1 and stamp_no = $2 and voided_at is null"
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
                    self.tally
                        .reject(rules::number_in_use(s.line, column, number, what, &from));
                    judged = true;
                    break;
                }
            }
            if !judged {
                self.tally
                    .reject(Problem::new(s.line, None, None, INSPECTION_CLASH));
            }
        }
        Ok(())
    }

    async fn flush_tests(&mut self) -> Result<(), StoreError> {
        let rows = std::mem::take(&mut self.tests);
        if rows.is_empty() {
            return Ok(());
        }
        let mut data = CopyText::default();
        for s in &rows {
            let r = &s.record;
            let key = PointKey::new(&r.site, &r.point);
            // A point first seen gets the row's system (lightning protection by default)
            // and limit (else the system's default).
            let system = r.system.unwrap_or(EarthingSystem::LightningProtection);
            let point_limit = r.limit.unwrap_or_else(|| system.default_limit());
            data.display(Some(s.line))
                .text(&r.site)
                .text(&key.site_key)
                .text(r.point.written())
                .text(&key.code_key)
                .text(system.as_str())
                .display(Some(point_limit))
                .display(Some(r.date))
                .display(Some(r.resistance))
                .display(r.limit)
                .field(r.method.map(|m| m.as_str()))
                .field(r.tester_serial.as_deref())
                .field(r.weather.as_deref())
                .text(&r.technician)
                .field(r.notes.as_deref())
                .text(&self.original.encode(&s.original))
                .end_row();
        }
        self.stage("staged_tests", COPY_TESTS, data.buf).await?;
        sqlx::query(
            "insert into earthing_points (lab_id, site, site_key, code, code_key, system,
                 limit_ohm, created_at)
             select distinct on (site_key, code_key)
                    $1, site, site_key, code, code_key, point_system, point_limit, $2
             from staged_tests
             order by site_key, code_key, line
             on conflict do nothing",
        )
        .bind(self.lab)
        .bind(self.now)
        .execute(&mut *self.tx)
        .await?;
        let skipped = self
            .insert_staged(
                "insert into earthing_tests (lab_id, point_id, tested_on, resistance_ohm, limit_ohm,
                 method, tester_serial, weather, technician, notes, batch_id, source_line,
                 original, created_at)
             select $1, p.id, s.tested_on, s.resistance_ohm, coalesce(s.limit_ohm, p.limit_ohm),
                    s.method, s.tester_serial, s.weather, s.technician, s.notes, $2, s.line,
                    s.original, $3
             from staged_tests s
             cross join lateral (
                 select p.id, p.limit_ohm from earthing_points p
                 where p.lab_id = $1 and p.site_key = s.site_key and p.code_key = s.code_key
                 limit 1) p
             order by s.line
             on conflict do nothing
             returning source_line",
                rows.iter().map(|s| s.line),
            )
            .await?;
        if !skipped.is_empty() {
            self.tests_not_inserted(&rows, &skipped).await?;
        }
        Ok(())
    }

    /// Judges the tests of `rows` at the `skipped` lines: their point already has a test
    /// on that date, the same (a duplicate) or another (a conflict).
    async fn tests_not_inserted(
        &mut self,
        rows: &[Sourced<NewEarthingTest>],
        skipped: &[i64],
    ) -> Result<(), StoreError> {
        let found: HashMap<i64, PgRow> = sqlx::query(
            "select s.line, p.system, p.limit_ohm as point_limit, e.batch_id, e.source_line,
                    e.resistance_ohm, e.limit_ohm, e.method, e.tester_serial, e.weather,
                    e.technician, e.notes
             from unnest($2::bigint[]) as k (line)
             join staged_tests s on s.line = k.line
             cross join lateral (
                 select p.* from earthing_points p
                 where p.lab_id = $1 and p.site_key = s.site_key and p.code_key = s.code_key
                 limit 1) p
             left join lateral (
                 select e.* from earthing_tests e
                 where e.lab_id = $1 and e.point_id = p.id and e.tested_on = s.tested_on
                   and e.voided_at is null
                 limit 1) e on true",
        )
        .bind(self.lab)
        .bind(skipped)
        .fetch_all(&mut *self.tx)
        .await?
        .into_iter()
        .map(|row| Ok((row.try_get::<i64, _>("line")?, row)))
        .collect::<Result<_, sqlx::Error>>()?;
        let by_line: HashMap<i64, &Sourced<NewEarthingTest>> =
            rows.iter().map(|s| (i64_of(s.line), s)).collect();
        for line in skipped {
            let Some(s) = by_line.get(line) else { continue };
            let Some(row) = found.get(line) else {
                self.tally
                    .reject(Problem::new(s.line, None, None, POINT_MISSING));
                continue;
            };
            let Some(technician) = row.try_get::<Option<String>, _>("technician")? else {
                self.tally
                    .reject(Problem::new(s.line, None, None, TEST_CLASH));
                continue;
            };
            let system: String = row.try_get("system")?;
            let point = (
                parse_stored::<EarthingSystem>("earthing_points.system", &system)?,
                stored_ohms(row, "point_limit")?,
            );
            let stored = StoredTest {
                resistance: stored_ohms(row, "resistance_ohm")?,
                limit: stored_ohms(row, "limit_ohm")?,
                method: row
                    .try_get::<Option<String>, _>("method")?
                    .map(|m| parse_stored("method", &m))
                    .transpose()?,
                tester_serial: row.try_get("tester_serial")?,
                weather: row.try_get("weather")?,
                technician,
                notes: row.try_get("notes")?,
            };
            let from = whence(
                self.batch_id,
                row.try_get("batch_id")?,
                row.try_get("source_line")?,
            );
            self.tally.judge(rules::test_conflict(
                s.line, &s.record, point, stored, &from,
            ));
        }
        Ok(())
    }
}

fn stored_ohms(row: &PgRow, column: &str) -> Result<Ohms, StoreError> {
    let value: Decimal = row.try_get(column)?;
    Ohms::new(value).map_err(|_| corrupt(format_args!("{column} = {value}")))
}

/// The stored inspection with `new`'s natural key, as a [`NewInspection`] comparable
/// with it (fields outside [`NewInspection::differing_fields`] are taken from `new`).
fn stored_inspection(row: &PgRow, new: &NewInspection) -> Result<NewInspection, StoreError> {
    let text = |c: &str| row.try_get::<Option<String>, _>(c);
    let mut stored = new.clone();
    stored.verification_type = text("verification_type")?
        .map(|v| parse_stored("verification_type", &v))
        .transpose()?;
    stored.procedure = text("procedure")?;
    stored.result = text("result")?
        .map(|v| parse_stored("result", &v))
        .transpose()?;
    stored.error_percent = row.try_get::<Option<Decimal>, _>("error_percent")?;
    stored.certificate_no = text("certificate_no")?;
    stored.stamp_no = text("stamp_no")?;
    stored.valid_until = row.try_get::<Option<NaiveDate>, _>("valid_until")?;
    stored.technician = row.try_get("technician")?;
    stored.checked_by = text("checked_by")?;
    stored.notes = text("notes")?;
    Ok(stored)
}

/// Takes the lab's write lock until the transaction ends: imports and voids of one lab
/// run one at a time (both update the lab's tallies; taking those row locks in
/// different orders would deadlock), different labs in parallel.
pub(super) async fn lock_lab_writes(
    tx: &mut Transaction<'static, Postgres>,
    lab: LabId,
) -> Result<(), StoreError> {
    sqlx::query("select pg_advisory_xact_lock($1, ($2::bigint % 2147483647)::int)")
        .bind(IMPORT_LOCK_CLASS)
        .bind(lab)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Runs one import: see [`Store::import_batch`].
pub(super) async fn run(
    store: &PgStore,
    request: BatchRequest,
    mut events: Receiver<ImportEvent>,
) -> Result<ImportBatch, StoreError> {
    let uploaded_at = now();
    let mut tx = store.pool.begin().await?;
    lock_lab_writes(&mut tx, request.lab).await?;
    let batch_id: i64 = sqlx::query_scalar(
        "insert into import_batches (lab_id, kind, mode, file_name, uploaded_by, uploaded_at)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(request.lab)
    .bind(request.kind.as_str())
    .bind(request.mode.as_str())
    .bind(request.file_name.as_str())
    .bind(request.uploaded_by.as_str())
    .bind(uploaded_at)
    .fetch_one(&mut *tx)
    .await?;
    let stage = match request.kind {
        LogKind::Inspections => STAGE_INSPECTIONS,
        LogKind::Earthing => STAGE_TESTS,
    };
    sqlx::query(stage).execute(&mut *tx).await?;
    let mut import = Import {
        tx,
        lab: request.lab,
        kind: request.kind,
        batch_id,
        now: uploaded_at,
        tally: Tally::default(),
        inspections: Vec::new(),
        tests: Vec::new(),
        staged: false,
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
    store: &PgStore,
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
             where lab_id = $1 and sha256 = $2 and voided_at is null and id <> $3",
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
        "update import_batches set sha256 = $1, size_bytes = $2, rows = $3, inserted = $4,
                duplicates = $5, rejected = $6, problems = $7::jsonb, warnings = $8::jsonb,
                original_columns = $11::jsonb
         where lab_id = $9 and id = $10",
    )
    .bind(sha256)
    .bind(i64_of(summary.size_bytes))
    .bind(i64_of(import.tally.rows))
    .bind(i64_of(import.tally.inserted))
    .bind(i64_of(import.tally.duplicates))
    .bind(i64_of(import.tally.rejected))
    .bind(problems_json)
    .bind(warnings_json)
    .bind(request.lab)
    .bind(import.batch_id)
    .bind(import.original.columns_json())
    .execute(&mut *import.tx)
    .await;
    match updated {
        Ok(_) => {}
        // The same file committed by another import since the check above.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            import.tx.rollback().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "select id from import_batches
                 where lab_id = $1 and sha256 = $2 and voided_at is null",
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
    PgStore::audit(
        &mut import.tx,
        request.lab,
        &request.uploaded_by,
        "import",
        &format!("import_batch:{}", import.batch_id),
        import.tally.audit_detail(&request, &summary.sha256),
    )
    .await?;
    let batch_id = import.batch_id;
    PgStore::fold_tallies(&mut import.tx, request.lab).await?;
    import.tx.commit().await?;
    store.tidy_tallies().await;
    store.batch(request.lab, batch_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_and_marks_null() {
        let mut data = CopyText::default();
        data.text("a\tb")
            .field(None)
            .text("back\\slash\nnew\rline")
            .display(Some(Decimal::new(250, 2)))
            .end_row();
        assert_eq!(data.buf, "a\\tb\t\\N\tback\\\\slash\\nnew\\rline\t2.50\n");
    }
}
