//! Streaming, transactional import of one file into SQLite: the SQL of
//! [`crate::rules::import`], which runs the import and decides its verdict.
//!
//! The whole batch is one `begin immediate` transaction. Valid rows come in chunks of
//! [`CHUNK`] rows, written by prepared statements straight on the connection
//! ([`super::direct`]; their SQL and values in [`super::insert`]). Per chunk of
//! inspections ([`Statements::inspections`]): each row's instrument is found by key, or
//! given the next id, and each row is given the id it is stored under if it is; the
//! instruments the chunk names for the first time are created, due by their latest
//! valid row; the inspections are stored with their instruments' ids, many rows to a
//! statement, and which were stored is read back by id only when fewer were stored than
//! sent; a created instrument whose due row was skipped is set due by what was stored;
//! and the tallies of what was stored are counted in memory ([`crate::sql::Pending`]).
//! Earthing points and tests, one row to a statement: the points first seen, then the
//! tests, each finding its point by key. Each skipped row is looked up (rare: one query
//! per row) to be judged; then instruments stored before the chunk get their tallies
//! and due dates ([`super::tallies::stored`]), when a row stored belongs to one.
//! The in-memory tallies are added before commit; strict refusals and dry runs roll the
//! transaction back at the end.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use metrotrack_core::{
    ImportBatch, InstrumentKey, NewEarthingTest, NewInspection, PointKey, Sourced,
};
use sqlx::{Row, Sqlite, Transaction};
use tokio::sync::mpsc::Receiver;

use super::deferred::DeferredIndexes;
use super::direct::ran;
use super::insert::{
    Extra, ForeignKeysOff, INSPECTIONS_VALUES, INSTRUMENTS_VALUES, NO_EXTRA, NULL, POINTS_VALUES,
    Statements, Stmt, TESTS_VALUES, bind,
};
use super::{SqliteStore, direct, tallies};
use crate::rules::columns::{self, InspectionRow, TestRow, Value};
use crate::rules::import::{self as flow, Progress, Writer, sql};
use crate::rules::stored;
use crate::sql::chunk::{Due, Instruments, count_chunk, dues, firsts};
use crate::sql::{FastMap, Pending};
use crate::{BatchRequest, ImportEvent, StoreError};

/// Rows per chunk. Each costs a few statements besides its rows (the ids it starts
/// from, the upkeep of instruments stored before it); 4 096 rows were about 4 % faster
/// (5.72× against 5.96× `sqlite3 .import`) but took an HTTP upload of 1M rows to
/// 109 MiB of peak memory, against 90 MiB at 1 024.
const CHUNK: usize = 1024;

impl Statements {
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
        let _unchecked = ForeignKeysOff::new(conn)?;
        let mut lookup = conn.prepare(
            "select id from instruments
             where lab_id = ?1 and category_code = ?2 and manufacturer_key = ?3
               and serial_key = ?4",
        )?;
        lookup.raw_bind_parameter(1, self.lab)?;
        let started = Instant::now();
        let mut known: FastMap<&InstrumentKey, i64> = FastMap::default();
        // The rows that name a new instrument first, in the order of the ids given them.
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
        self.check_categories(conn, &created)?;
        // The id a row is stored under, if it is: by its place in the chunk.
        let id_at = |k: usize| ids.inspections + 1 + k as i64;
        let planned: Vec<Option<i64>> = (0..rows.len()).map(|k| Some(id_at(k))).collect();
        let by_id = Instruments {
            ids: &instrument_ids,
            created_above: ids.instruments,
        };
        let planned_dues = dues(rows, &planned, by_id);
        let instruments = (ids.instruments + 1..)
            .zip(&created)
            .map(|(id, &row)| (row, instrument_extra(id, planned_dues.get(&id))));
        let made: usize = self
            .each(conn, Stmt::Instruments, INSTRUMENTS_VALUES, instruments)?
            .iter()
            .sum();
        if made != created.len() {
            let e = format!("{made} of {} new instruments were stored", created.len());
            return Err(StoreError::Invalid(e).into());
        }
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
        let inserted: usize = self
            .each(conn, Stmt::Inspections, INSPECTIONS_VALUES, with_ids)?
            .iter()
            .sum();
        let stored = if inserted == rows.len() {
            planned
        } else {
            Self::stored_between(conn, id_at(0), rows.len())?
        };
        let stored_dues = count_chunk(pending, rows, &stored, by_id);
        if stored.contains(&None) {
            let created = ids.instruments + 1..=ids.instruments + created.len() as i64;
            Self::set_due(conn, created, &planned_dues, &stored_dues)?;
        }
        let skipped = Self::natural_key_holders(conn, self.lab, rows, &instrument_ids, &stored)?;
        let older = instrument_ids
            .iter()
            .zip(&stored)
            .any(|(&instrument, id)| id.is_some() && instrument <= ids.instruments);
        Ok(Written {
            stored,
            skipped,
            older,
        })
    }

    /// Whether each category of the instruments about to be `created` is one of the
    /// lab's: the one reference of theirs the import does not make itself, looked up
    /// once per category instead of by a foreign key per row (see [`ForeignKeysOff`]).
    fn check_categories(
        &self,
        conn: &rusqlite::Connection,
        created: &[&InspectionRow<'_>],
    ) -> Result<(), direct::Failed> {
        let mut known = conn.prepare("select 1 from categories where lab_id = ?1 and code = ?2")?;
        let mut checked = HashSet::new();
        for row in created {
            let code = row.key.category.as_str();
            if checked.insert(code) && !known.exists((self.lab, code))? {
                let e = format!("category {code} is not one of lab {}'s", self.lab);
                return Err(StoreError::Invalid(e).into());
            }
        }
        Ok(())
    }

    /// Which of `rows` inspections, planned under the ids from `first` on, were stored:
    /// each one's id if it was.
    fn stored_between(
        conn: &rusqlite::Connection,
        first: i64,
        rows: usize,
    ) -> rusqlite::Result<Vec<Option<i64>>> {
        let mut ids = conn.prepare("select id from inspections where id between ?1 and ?2")?;
        let mut stored = vec![None; rows];
        let last = first + rows as i64 - 1;
        let mut found = ids.query((first, last))?;
        while let Some(row) = found.next()? {
            let id: i64 = row.get(0)?;
            stored[(id - first) as usize] = Some(id);
        }
        Ok(stored)
    }

    /// Sets due by what was stored each instrument the chunk `created` whose
    /// due inspection, as planned before the rows were stored, is not the one now.
    fn set_due(
        conn: &rusqlite::Connection,
        created: std::ops::RangeInclusive<i64>,
        planned: &FastMap<i64, Due>,
        stored: &FastMap<i64, Due>,
    ) -> rusqlite::Result<()> {
        let mut update = conn.prepare(
            "update instruments set due_inspection_id = ?2, due_inspected_on = ?3, due_on = ?4
             where id = ?1",
        )?;
        for id in created {
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
        let mut holder = conn.prepare(&format!(
            "select {} from inspections
             where lab_id = ?1 and instrument_id = ?2 and kind = ?3 and inspected_on = ?4
               and voided_at is null",
            HOLDER_COLUMNS.join(", ")
        ))?;
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
                Some(r) => Some(stored::inspection(&RawRow(r, &HOLDER_COLUMNS), row.record)?),
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
    /// Whether a row stored belongs to an instrument stored before the chunk: only
    /// then do tallies and due dates need [`tallies::stored`]'s reading of history.
    older: bool,
}

/// The columns of the stored inspection a skipped row is judged by, in the order
/// [`Statements::natural_key_holders`] selects them.
const HOLDER_COLUMNS: [&str; 12] = [
    "batch_id",
    "source_line",
    "verification_type",
    "procedure",
    "result",
    "error_percent",
    "certificate_no",
    "stamp_no",
    "valid_until",
    "technician",
    "checked_by",
    "notes",
];

/// A row read through rusqlite, for the readers of [`stored`], with the names of the
/// columns selected, in order: a column is found by its place in them (rusqlite's own
/// lookup by name asks SQLite for every column's name on every read, which a file of a
/// million duplicates does twelve million times).
struct RawRow<'a, 'r>(&'a rusqlite::Row<'r>, &'static [&'static str]);

impl RawRow<'_, '_> {
    fn index(&self, column: &str) -> Result<usize, sqlx::Error> {
        self.1
            .iter()
            .position(|c| *c == column)
            .ok_or_else(|| sqlx::Error::ColumnNotFound(column.to_owned()))
    }
}

impl stored::ReadRow for RawRow<'_, '_> {
    fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        direct::decoded(self.0.get(self.index(column)?))
    }

    fn date(&self, column: &str) -> Result<Option<NaiveDate>, sqlx::Error> {
        let value = direct::decoded(self.0.get_ref(self.index(column)?))?;
        let text = direct::decoded(value.as_str_or_null().map_err(rusqlite::Error::from))?;
        text.map(|t| t.parse().map_err(|e| sqlx::Error::Decode(Box::new(e))))
            .transpose()
    }

    fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        direct::decoded(self.0.get(self.index(column)?))
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

/// The indexes of the rows not stored (`stored`: whether each row was), counting the
/// stored ones into `progress`.
fn count_stored(progress: &mut Progress, stored: impl IntoIterator<Item = bool>) -> Vec<usize> {
    let mut skipped = Vec::new();
    for (i, stored) in stored.into_iter().enumerate() {
        if stored {
            progress.tally.inserted += 1;
        } else {
            skipped.push(i);
        }
    }
    skipped
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
        rows: &[Sourced<NewInspection>],
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
        let keys = columns::instrument_keys(rows);
        let values = InspectionRow::all(rows, &keys, &mut self.progress.original);
        let (statements, pending) = (&self.statements, &mut self.pending);
        let written = direct::run(&mut self.tx, |conn| {
            let before = Before {
                inspections: stored_after,
                instruments: instruments_to,
            };
            statements.inspections(conn, &values, before, pending)
        })
        .await?;
        count_stored(
            &mut self.progress,
            written.stored.iter().map(Option::is_some),
        );
        for (i, found) in written.skipped {
            flow::judge_inspection(self, &rows[i], found).await?;
        }
        if !written.older {
            return Ok(());
        }
        tallies::stored(
            &mut self.tx,
            self.progress.lab,
            stored_after,
            instruments_to,
        )
        .await
    }

    async fn write_tests(&mut self, rows: &[Sourced<NewEarthingTest>]) -> Result<(), StoreError> {
        let keys = columns::point_keys(rows);
        let values = TestRow::all(rows, &keys, &mut self.progress.original);
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
        for i in count_stored(&mut self.progress, stored.into_iter().map(|n| n > 0)) {
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
        // The commit leaves the write-ahead log as it is, instead of copying the whole
        // batch into the database before it returns (about a second per million rows):
        // the store copies it after the import, off the request's path
        // (`SqliteStore::import`), and the writer checkpoints its commits again once
        // released (`CHECKPOINT_COMMITS`).
        sqlx::query("pragma wal_autocheckpoint = 0")
            .execute(&mut *tx)
            .await?;
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
