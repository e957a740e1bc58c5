//! Streaming, transactional import of one file into PostgreSQL, through `COPY`.
//!
//! The whole batch is one transaction. Valid rows are buffered into chunks of
//! [`CHUNK`] rows; each chunk is copied (`COPY … FROM STDIN`, text format) into
//! temporary staging tables dropped at commit, then moved with two set statements: one
//! creates the instruments (or points) first seen, one stores the inspections (or
//! tests). A row whose instrument (point) the chunk did not create finds it by key, one
//! index probe per row (`insert … select … cross join lateral (…)`: a plain join would
//! hash the lab's whole instrument table for every chunk). A row that a
//! stored record already holds the place of (its instrument, or for an inspection its
//! natural key, certificate or stamp number) is left out by a probe of the unique
//! index, and the rest are inserted plainly; only a chunk whose own rows repeat each
//! other's inspection key or numbers, and every chunk of earthing tests, are stored
//! with `on conflict do nothing`.
//!
//! For inspections the writer works out in memory what each instrument the chunk names
//! is created with (its first row's description, an id it drew, due by its latest valid
//! row under ids it drew for the rows) and stages one row per instrument, in key order:
//! creating them is then a plain insert, with no sort or join of the staged rows on the
//! server. The instruments it created are returned, and their inspections staged with
//! them, after the instruments are stored.
//!
//! The staged columns and the values copied into them come from one column list
//! ([`crate::rules::columns`]). When fewer rows are stored than staged, the skipped
//! lines are found with one query, their stored counterparts with another, and each is
//! judged by [`crate::rules::import`], which runs the import and decides its verdict for
//! both backends.
//!
//! Imports into one lab take a transaction-level advisory lock for their whole
//! transaction: two files naming the same instruments in different orders would
//! otherwise wait on each other's uncommitted rows and deadlock. Imports into
//! different labs run side by side. Strict refusals and dry runs roll back at the end.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::{
    ImportBatch, InstrumentKey, LabId, LogKind, NewEarthingTest, NewInspection, Sourced,
};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};
use tokio::sync::mpsc::Receiver;

use super::staging::{
    STAGE_INSPECTIONS, STAGE_INSTRUMENTS, STAGE_TESTS, STAGED_INSPECTIONS, STAGED_INSTRUMENTS,
    STAGED_TESTS, copy_text,
};
use super::{PgStore, now};
use crate::rules::columns::{self, InspectionRow, NULL, TestRow, Value};
use crate::rules::import::{self as flow, Progress, Writer, sql};
use crate::rules::stored;
use crate::sql::chunk::{firsts, latest_valid, repeats_within};
use crate::sql::{FastMap, Pending};
use crate::{BatchRequest, ImportEvent, StoreError};

/// Rows per `COPY`: large enough that a statement's round trips are noise, small enough
/// that memory does not grow with the file.
const CHUNK: usize = 5_000;

/// The advisory-lock class of imports (`pg_advisory_xact_lock(class, lab)`): "mtim".
const IMPORT_LOCK_CLASS: i32 = 0x6d74_696d;

/// The insert of a chunk's staged inspections (`$1` the lab, `$2` the batch), each
/// with the instrument the chunk created for it, or else finding its instrument by key
/// (one index probe per row: a plain join would hash the lab's whole instrument table
/// for every chunk; the `union all` under `limit 1` runs the probe only for a row
/// staged without one), in line order, with a row filter and a conflict clause; it
/// returns each stored row's line and instrument.
macro_rules! store_staged {
    ($filter:literal, $on_conflict:literal) => {
        concat!(
            "insert into inspections (id, lab_id, instrument_id, category_code, kind,
                 inspected_on, verification_type, procedure, result, error_percent,
                 certificate_no, stamp_no, valid_until, technician, checked_by, notes,
                 batch_id, source_line, original)
             overriding system value
             select s.id, $1, i.id, s.category_code, s.kind, s.inspected_on,
                    s.verification_type, s.procedure, s.result, s.error_percent,
                    s.certificate_no, s.stamp_no, s.valid_until, s.technician, s.checked_by,
                    s.notes, $2, s.source_line, s.original
             from staged_inspections s
             cross join lateral (
                 select s.instrument_id as id where s.instrument_id is not null
                 union all
                 (select i.id from instruments i
                  where i.lab_id = $1 and i.category_code = s.category_code
                    and i.manufacturer_key = s.manufacturer_key
                    and i.serial_key = s.serial_key
                  limit 1)
                 limit 1) i ",
            $filter,
            " order by s.source_line ",
            $on_conflict,
            " returning source_line, instrument_id"
        )
    };
}

/// Stores a chunk none of whose rows repeats another's natural key or numbers, checked
/// row by row against the stored records instead of by `on conflict`: PostgreSQL's
/// speculative insertion probes every unique index, then confirms each row with a
/// further write: 11.13 s against 8.98 s for these probes and a plain insert, on twin
/// tables (README, "Session 35, PostgreSQL"). Every writer of a lab's records holds the lab's write lock
/// ([`lock_lab_writes`]), so nothing can store a conflicting row between the probe and
/// the insert. An instrument above `$3` was created by this chunk: it has no stored
/// record yet. `offset 0` keeps each probe a subquery run per row through its unique
/// index, where the planner might otherwise join the lab's whole table.
const STORE_CHECKED: &str = store_staged!(
    "where (i.id > $3 or not exists (
            select from inspections e
            where e.lab_id = $1 and e.instrument_id = i.id and e.kind = s.kind
              and e.inspected_on = s.inspected_on and e.voided_at is null
            offset 0))
       and (s.certificate_no is null or not exists (
            select from inspections e
            where e.lab_id = $1 and e.certificate_no = s.certificate_no
              and e.voided_at is null
            offset 0))
       and (s.stamp_no is null or not exists (
            select from inspections e
            where e.lab_id = $1 and e.stamp_no = s.stamp_no and e.voided_at is null
            offset 0))",
    ""
);

/// Stores a chunk whose rows repeat each other: the first of each stays (line order),
/// the others are skipped and judged.
const STORE_ON_CONFLICT: &str = store_staged!("", "on conflict do nothing");

/// Whether the statements that probe the stored records row by row are kept prepared
/// (no: `false`). A kept statement runs a generic plan after its fifth run, planned
/// once, when this import's rows were few; one made afresh for each chunk is planned
/// with the lab and the tables' current size. Any index that starts with the lab can
/// serve a probe: on a table of 500 records the planner probed certificate numbers
/// through `inspections_due` (dropped since, in 0021), reading the lab's every record
/// for each. Harmless then; quadratic if a plan made while the table was small served
/// the rest of a large import. Parsing and planning a statement again costs about a
/// millisecond a chunk.
const PLANNED_EACH_TIME: bool = false;

/// One running import: the open transaction and everything counted so far.
struct Import {
    tx: Transaction<'static, Postgres>,
    progress: Progress,
    now: DateTime<Utc>,
    /// Whether the staging tables hold rows of an earlier chunk.
    staged: bool,
    /// Tallies of the inspections of instruments each chunk created, counted in memory
    /// (the trigger leaves them out, migration 0013), and the created instruments' due
    /// days (0014), added before the batch commits.
    pending: Pending,
}

impl Import {
    /// Empties the staging `tables` (comma-separated) if an earlier chunk filled them.
    async fn unstage(&mut self, tables: &'static str) -> Result<(), StoreError> {
        if self.staged {
            let sql = format!("truncate {tables}");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *self.tx)
                .await?;
        }
        self.staged = true;
        Ok(())
    }

    /// Copies `data` into the staging table `table`.
    async fn stage(
        &mut self,
        table: &'static str,
        names: String,
        data: String,
    ) -> Result<(), StoreError> {
        let copy = format!("copy {table} ({names}) from stdin");
        let mut copy_in = self.tx.copy_in_raw(&copy).await?;
        if let Err(e) = copy_in.send(data.into_bytes()).await {
            let _ = copy_in.abort("send failed").await;
            return Err(e.into());
        }
        copy_in.finish().await?;
        Ok(())
    }

    /// Runs an `insert … select … returning source_line, <id>` of the staged rows (`$1`
    /// the lab, `$2` the batch, `$3` a further value if any; a stored record takes its
    /// batch's time, migration 0020) and counts what it stored; returns what it
    /// returned, by line. The statement is planned again for every chunk, with its
    /// values and the tables' size then (see [`PLANNED_EACH_TIME`]).
    async fn insert_staged(
        &mut self,
        sql: &'static str,
        further: Option<i64>,
    ) -> Result<HashMap<i64, i64>, StoreError> {
        let mut insert = sqlx::query_as(sql)
            .persistent(PLANNED_EACH_TIME)
            .bind(self.progress.lab)
            .bind(self.progress.batch_id);
        if let Some(value) = further {
            insert = insert.bind(value);
        }
        let stored: HashMap<i64, i64> =
            insert.fetch_all(&mut *self.tx).await?.into_iter().collect();
        self.progress.tally.inserted += stored.len() as u64;
        Ok(stored)
    }

    /// Creates the staged instruments that the lab does not have yet. Returns the lab's
    /// greatest instrument id before them, and the id and due day of each one created.
    async fn create_instruments(
        &mut self,
    ) -> Result<(i64, Vec<(i64, Option<NaiveDate>)>), StoreError> {
        // The lab's write lock is held: every instrument of the lab above this id is one
        // this chunk creates. Their inspections are counted here, not by the trigger.
        let instruments_to: i64 =
            sqlx::query_scalar("select coalesce(max(id), 0) from instruments where lab_id = $1")
                .bind(self.progress.lab)
                .fetch_one(&mut *self.tx)
                .await?;
        sqlx::query("select set_config('metrotrack.writer_counts_instruments_above', $1, true)")
            .bind(instruments_to.to_string())
            .execute(&mut *self.tx)
            .await?;
        // An instrument first seen here is created due by its latest valid row (by
        // date, then id, as the trigger of migration 0005 orders them): the trigger
        // then finds nothing later to update, where it would otherwise write each new
        // instrument's row twice. A row the insert below skips is taken back by
        // `due_by_stored`. The staged rows are in key order (a scan of a table
        // written once returns them so), one per key. Those already stored are left out
        // by a probe each and the rest inserted plainly, not by `on conflict do
        // nothing`, whose speculative insertion confirms each row by a second write: the
        // lab's write lock is held, so no other writer creates one of them meanwhile.
        let created: Vec<(i64, Option<NaiveDate>)> = sqlx::query_as(
            "insert into instruments (id, lab_id, category_code, manufacturer_key, serial_key,
                 serial_number, manufacturer, model, owner, created_batch_id,
                 due_inspection_id, due_inspected_on, due_on)
             overriding system value
             select s.id, $1, s.category_code, s.manufacturer_key, s.serial_key,
                    s.serial_number, s.manufacturer, s.model, s.owner, $2,
                    s.due_inspection_id, s.due_inspected_on, s.due_on
             from staged_instruments s
             where not exists (
                 select from instruments i
                 where i.lab_id = $1 and i.category_code = s.category_code
                   and i.manufacturer_key = s.manufacturer_key
                   and i.serial_key = s.serial_key
                 offset 0)
             returning id, due_on",
        )
        .persistent(PLANNED_EACH_TIME)
        .bind(self.progress.lab)
        .bind(self.progress.batch_id)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok((instruments_to, created))
    }

    /// The rows `sql` finds for the `skipped` lines, by line.
    async fn found(
        &mut self,
        sql: &'static str,
        skipped: &[i64],
    ) -> Result<HashMap<i64, PgRow>, StoreError> {
        Ok(sqlx::query(sql)
            .bind(self.progress.lab)
            .bind(skipped)
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .map(|row| Ok((row.try_get::<i64, _>("line")?, row)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// Instruments created due by a staged row that was then skipped take their latest
    /// valid stored inspection instead (or none). Only a chunk that created instruments
    /// needs it; the skipped lines are joined, not searched (`= any` of thousands of
    /// lines read the whole array for every staged row).
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
             from unnest($2::bigint[]) as k (line)
             join staged_inspections s on s.source_line = k.line
             where i.lab_id = $1
               and i.category_code = s.category_code
               and i.manufacturer_key = s.manufacturer_key and i.serial_key = s.serial_key
               and i.due_inspection_id = s.id",
        )
        .bind(self.progress.lab)
        .bind(skipped)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

/// The order of instrument keys in `instruments_identity` (after the lab): category,
/// then the keys bytewise, as their `collate "C"` compares them.
fn instrument_order(a: &InstrumentKey, b: &InstrumentKey) -> std::cmp::Ordering {
    (a.category.as_str(), &a.manufacturer_key, &a.serial_key).cmp(&(
        b.category.as_str(),
        &b.manufacturer_key,
        &b.serial_key,
    ))
}

/// The lines of `lines` that `stored` does not hold: the rows an insert skipped.
fn skipped(lines: Vec<i64>, stored: &HashMap<i64, i64>) -> Vec<i64> {
    lines
        .into_iter()
        .filter(|line| !stored.contains_key(line))
        .collect()
}

/// Counts into `pending` the stored inspections (`stored`: each stored line's
/// instrument) of the instruments with an id above `instruments_to`, which the chunk of
/// `rows` created: the inspections, and the instruments' live days, all of which are
/// the chunk's.
fn count_created(
    pending: &mut Pending,
    rows: &[Sourced<NewInspection>],
    keys: &[InstrumentKey],
    stored: &HashMap<i64, i64>,
    instruments_to: i64,
) {
    let mut days: HashMap<i64, (&str, Vec<NaiveDate>)> = HashMap::new();
    for (s, key) in rows.iter().zip(keys) {
        let line = i64::try_from(s.line).unwrap_or(i64::MAX);
        let Some(&instrument) = stored.get(&line) else {
            continue;
        };
        if instrument > instruments_to {
            pending.inspection(key.category.as_str(), s.record.date);
            let entry = days
                .entry(instrument)
                .or_insert_with(|| (key.category.as_str(), Vec::new()));
            entry.1.push(s.record.date);
        }
    }
    for (category, mut days) in days.into_values() {
        pending.first_days(category, &mut days);
    }
}

/// The rows of `rows` at `lines`, in that order.
fn at_lines<'a, T>(rows: &'a [Sourced<T>], lines: &[i64]) -> Vec<(i64, &'a Sourced<T>)> {
    let by_line: HashMap<i64, &Sourced<T>> = rows
        .iter()
        .map(|s| (i64::try_from(s.line).unwrap_or(i64::MAX), s))
        .collect();
    lines
        .iter()
        .filter_map(|line| Some((*line, *by_line.get(line)?)))
        .collect()
}

impl Writer for Import {
    type DB = Postgres;
    const CHUNK: usize = CHUNK;

    fn progress(&mut self) -> &mut Progress {
        &mut self.progress
    }

    async fn write_inspections(
        &mut self,
        rows: &[Sourced<NewInspection>],
    ) -> Result<(), StoreError> {
        let keys = columns::instrument_keys(rows);
        let values = InspectionRow::all(rows, &keys, &mut self.progress.original);
        let lines: Vec<i64> = values.iter().map(|r| r.line).collect();
        let repeats_within = repeats_within(&values);
        // The first row naming an instrument describes it, and its latest valid row
        // is its due inspection. Keys in order, so that concurrent writers lock index
        // entries in one order, and the insert below need not sort.
        let mut firsts = firsts(&values, &keys);
        firsts.sort_unstable_by(|a, b| instrument_order(a.key, b.key));
        // Each row's id, and an id for each instrument the chunk names, drawn now: the
        // instruments the chunk creates are then staged due by their latest valid row
        // already, and their inspections staged with their instrument, which only the
        // others look up by key. An instrument already stored leaves its drawn id
        // unused.
        let (ids, instrument_ids): (Vec<i64>, Vec<i64>) = sqlx::query_as(
            "select array(select nextval('inspections_id_seq') from generate_series(1, $1)),
                    array(select nextval('instruments_id_seq') from generate_series(1, $2))",
        )
        .bind(i64::try_from(values.len()).unwrap_or(i64::MAX))
        .bind(i64::try_from(firsts.len()).unwrap_or(i64::MAX))
        .fetch_one(&mut *self.tx)
        .await?;
        let planned: Vec<Option<i64>> = ids.iter().copied().map(Some).collect();
        let due = latest_valid(&values, &planned, |_, row| Some(row.key));
        let instruments = copy_text(
            STAGED_INSTRUMENTS,
            firsts.iter().zip(&instrument_ids).map(|(&row, &id)| {
                let due = due.get(row.key);
                let further = [
                    Value::Int(id),
                    due.map_or(NULL, |d| Value::Int(d.inspection)),
                    Value::Date(due.map(|d| d.inspected_on)),
                    Value::Date(due.map(|d| d.valid_until)),
                ];
                (row, further)
            }),
        );
        drop(due);
        self.unstage("staged_inspections, staged_instruments")
            .await?;
        let names = format!(
            "{}, id, due_inspection_id, due_inspected_on, due_on",
            columns::names(STAGED_INSTRUMENTS)
        );
        self.stage("staged_instruments", names, instruments).await?;
        let (instruments_to, created_due) = self.create_instruments().await?;
        // The instruments created, by key: their inspections are staged with them.
        let created_ids: HashSet<i64> = created_due.iter().map(|&(id, _)| id).collect();
        let created_by_key: FastMap<&InstrumentKey, i64> = firsts
            .iter()
            .zip(&instrument_ids)
            .filter(|&(_, id)| created_ids.contains(id))
            .map(|(row, &id)| (row.key, id))
            .collect();
        drop(firsts);
        let data = copy_text(
            STAGED_INSPECTIONS,
            values.iter().zip(&ids).map(|(row, &id)| {
                let instrument = created_by_key.get(row.key).map_or(NULL, |&i| Value::Int(i));
                (row, [Value::Int(id), instrument])
            }),
        );
        drop(created_by_key);
        drop(values);
        let names = format!("{}, id, instrument_id", columns::names(STAGED_INSPECTIONS));
        self.stage("staged_inspections", names, data).await?;
        // The due counts of the instruments created, by day (the insert trigger of
        // migration 0014 leaves them to the writer that set the setting above).
        let created = created_due.len();
        for due_on in created_due.into_iter().filter_map(|(_, due_on)| due_on) {
            self.pending.due_on(due_on);
        }
        // Rows that repeat each other's natural key or numbers need `on conflict`, which
        // keeps the first; any other chunk is checked against the stored records and
        // inserted plainly (see `STORE_CHECKED`).
        let statement = if repeats_within {
            STORE_ON_CONFLICT
        } else {
            STORE_CHECKED
        };
        let created_above = (!repeats_within).then_some(instruments_to);
        let stored = self.insert_staged(statement, created_above).await?;
        count_created(&mut self.pending, rows, &keys, &stored, instruments_to);
        let skipped = skipped(lines, &stored);
        if skipped.is_empty() {
            return Ok(());
        }
        if created > 0 {
            self.due_by_stored(&skipped).await?;
        }
        // Row by row through the natural-key index (the lateral subquery and its `limit`
        // keep the planner from joining whole tables on stale statistics).
        let mut found = self
            .found(
                "select k.line, e.batch_id, e.source_line, e.verification_type, e.procedure,
                        e.result, e.error_percent::text as error_percent, e.certificate_no,
                        e.stamp_no, e.valid_until, e.technician, e.checked_by, e.notes
                 from unnest($2::bigint[]) as k (line)
                 join staged_inspections s on s.source_line = k.line
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
                &skipped,
            )
            .await?;
        for (line, s) in at_lines(rows, &skipped) {
            let stored = found.remove(&line);
            let stored = stored
                .map(|row| stored::inspection(&row, &s.record))
                .transpose()?;
            flow::judge_inspection(self, s, stored).await?;
        }
        Ok(())
    }

    async fn write_tests(&mut self, rows: &[Sourced<NewEarthingTest>]) -> Result<(), StoreError> {
        let keys = columns::point_keys(rows);
        let values = TestRow::all(rows, &keys, &mut self.progress.original);
        let lines: Vec<i64> = values.iter().map(|r| r.line).collect();
        let data = copy_text(STAGED_TESTS, values.iter().map(|row| (row, [])));
        drop(values);
        let names = columns::names(STAGED_TESTS);
        self.unstage("staged_tests").await?;
        self.stage("staged_tests", names, data).await?;
        sqlx::query(
            "insert into earthing_points (lab_id, site, site_key, code, code_key, system,
                 limit_ohm, created_at)
             select distinct on (site_key, code_key)
                    $1, site, site_key, code, code_key, point_system, point_limit, $2
             from staged_tests
             order by site_key, code_key, source_line
             on conflict do nothing",
        )
        .bind(self.progress.lab)
        .bind(self.now)
        .execute(&mut *self.tx)
        .await?;
        let stored = self
            .insert_staged(
                "insert into earthing_tests (lab_id, point_id, tested_on, resistance_ohm, limit_ohm,
                 method, tester_serial, weather, technician, notes, batch_id, source_line,
                 original)
             select $1, p.id, s.tested_on, s.resistance_ohm, coalesce(s.limit_ohm, p.limit_ohm),
                    s.method, s.tester_serial, s.weather, s.technician, s.notes, $2,
                    s.source_line, s.original
             from staged_tests s
             cross join lateral (
                 select p.id, p.limit_ohm from earthing_points p
                 where p.lab_id = $1 and p.site_key = s.site_key and p.code_key = s.code_key
                 limit 1) p
             order by s.source_line
             on conflict do nothing
             returning source_line, point_id",
                None,
            )
            .await?;
        let skipped = skipped(lines, &stored);
        if skipped.is_empty() {
            return Ok(());
        }
        // Each skipped test's point, and the test stored for its date.
        let found = self
            .found(
                "select k.line, p.system, p.limit_ohm::text as point_limit, e.batch_id,
                        e.source_line, e.resistance_ohm::text as resistance_ohm,
                        e.limit_ohm::text as limit_ohm, e.method, e.tester_serial, e.weather,
                        e.technician, e.notes
                 from unnest($2::bigint[]) as k (line)
                 join staged_tests s on s.source_line = k.line
                 cross join lateral (
                     select p.* from earthing_points p
                     where p.lab_id = $1 and p.site_key = s.site_key
                       and p.code_key = s.code_key
                     limit 1) p
                 left join lateral (
                     select e.* from earthing_tests e
                     where e.lab_id = $1 and e.point_id = p.id and e.tested_on = s.tested_on
                       and e.voided_at is null
                     limit 1) e on true",
                &skipped,
            )
            .await?;
        for (line, s) in at_lines(rows, &skipped) {
            let (point, test) = match found.get(&line) {
                None => (None, None),
                Some(row) => (Some(stored::point(row)?), stored::test(row)?),
            };
            flow::judge_test(&mut self.progress, s, point, test);
        }
        Ok(())
    }

    fn tx(&mut self) -> &mut Transaction<'static, Postgres> {
        &mut self.tx
    }

    fn into_tx(self) -> Transaction<'static, Postgres> {
        self.tx
    }

    async fn commit(mut self, store: &PgStore) -> Result<(), StoreError> {
        let lab = self.progress.lab;
        self.pending.apply(&mut self.tx, lab).await?;
        PgStore::fold_tallies(&mut self.tx, lab).await?;
        self.tx.commit().await?;
        store.tidy_tallies().await;
        Ok(())
    }
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

/// Runs one import: see [`crate::Store::import_batch`].
pub(super) async fn run(
    store: &PgStore,
    request: BatchRequest,
    events: Receiver<ImportEvent>,
) -> Result<ImportBatch, StoreError> {
    let uploaded_at = now();
    let mut tx = store.writer.begin().await?;
    lock_lab_writes(&mut tx, request.lab).await?;
    let batch_id: i64 = flow::bind_batch(sqlx::query(sql::INSERT_BATCH), &request, uploaded_at)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let stage: &[&'static str] = match request.kind {
        LogKind::Inspections => &[STAGE_INSPECTIONS, STAGE_INSTRUMENTS],
        LogKind::Earthing => &[STAGE_TESTS],
    };
    for table in stage {
        sqlx::query(*table).execute(&mut *tx).await?;
    }
    let import = Import {
        tx,
        progress: Progress::new(&request, batch_id),
        now: uploaded_at,
        staged: false,
        pending: Pending::default(),
    };
    flow::run(store, request, events, import, uploaded_at).await
}
