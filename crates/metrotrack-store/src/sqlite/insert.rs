//! The insert statements of a SQLite import and how their values are bound: the SQL of
//! each table's insert, with a row's values numbered from one column list
//! ([`crate::rules::columns`]), run straight on the connection ([`super::direct`])
//! through SQLite's C API, which reads each text in place ([`super::raw`]).
//!
//! Instruments and inspections go [`MANY`] rows to a statement (`insert … values (…),
//! (…), …`), and no statement of theirs may abort midway. SQLite keeps a statement
//! journal (a copy of every page a statement changes, to undo it alone) for a statement
//! that writes several rows and may abort; copying the pages cost more than the rows
//! saved. So their SQL is `insert or fail`, which stops at a broken NOT NULL or CHECK
//! where the default (`abort`) would undo the statement; the import's transaction is
//! then rolled back whole. The tables have no generated column that calls a function
//! (which SQLite also counts as able to abort: migration 0019). And they run with
//! foreign keys unchecked
//! ([`ForeignKeysOff`]): each reference of theirs is one the import made or found in
//! the same transaction (the lab, its batch, the instrument looked up or created just
//! before), except an instrument's category, which [`Statements::check_categories`]
//! looks up once per chunk.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use rusqlite::config::DbConfig;

use super::direct::ran;
use super::raw::{Bindings, Raw};
use crate::StoreError;
use crate::rules::columns::{
    self, Column, INSPECTION, INSPECTION_SOURCE, INSTRUMENT, INSTRUMENT_KEY, POINT, POINT_KEY,
    TEST, TEST_SOURCE, Value, ValueOf,
};

/// Rows per statement for the tables written [`MANY`] rows at a time. A statement's
/// SQL is parsed again for every chunk ([`Statements::each`] prepares it per call, and
/// [`ForeignKeysOff`] expires every prepared statement of the connection anyway), so
/// the longer it is, the more each chunk parses: at 128 rows, SQLite's parser took
/// about 3 % of a 1M-row import's `perf` samples, at 32 half that, with nothing seen
/// to grow from running four times as many statements.
pub(super) const MANY: usize = 32;

/// The parameters every statement of an import shares: `?1` the lab, `?2` the batch,
/// `?3` the time the import began (an earthing point's creation time; the records an
/// import stores and the instruments it creates take their batch's, migration 0020).
/// Then [`EXTRA`] values a row gets from the import,
/// not from its columns (`?4` to `?7`: an instrument's id, its due inspection's id,
/// date and validity; for an inspection, its instrument's id and its own); the row's
/// columns follow from [`FIRST_VALUE`] on. In a statement of several rows, each row's
/// own parameters (all but the shared ones) are numbered on from the row before's.
const SHARED: usize = 3;
const EXTRA: usize = 4;
const FIRST_VALUE: usize = SHARED + EXTRA + 1;

/// A row's [`EXTRA`] values.
pub(super) type Extra = [Value<'static>; EXTRA];
pub(super) use crate::rules::columns::NULL;
pub(super) const NO_EXTRA: Extra = [NULL; EXTRA];

/// The insert statements of an import, by table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stmt {
    Instruments,
    Inspections,
    Points,
    Tests,
}

pub(super) type InspectionColumns = &'static [&'static [columns::InspectionColumn]];
pub(super) type TestColumns = &'static [&'static [columns::TestColumn]];

/// An inspection's category: its instrument's.
const CATEGORY: &[columns::InspectionColumn] = &[Column("category_code", |r| {
    Value::Text(Some(r.key.category.as_str()))
})];

pub(super) const INSTRUMENTS_VALUES: InspectionColumns = &[INSTRUMENT_KEY, INSTRUMENT];
pub(super) const INSPECTIONS_VALUES: InspectionColumns = &[CATEGORY, INSPECTION, INSPECTION_SOURCE];
pub(super) const POINTS_VALUES: TestColumns = &[POINT_KEY, POINT];
pub(super) const TESTS_VALUES: TestColumns = &[POINT_KEY, TEST, TEST_SOURCE];

/// A statement's SQL in three parts: what comes before its rows, one row (`values`
/// tuple or `select`), and what comes after.
struct Parts {
    head: &'static str,
    row: &'static str,
    tail: &'static str,
}

impl Stmt {
    const ALL: [Stmt; 4] = [
        Self::Instruments,
        Self::Inspections,
        Self::Points,
        Self::Tests,
    ];

    /// Rows a statement writes: [`MANY`] for the tables a large log fills, one for the
    /// earthing logs' (small; a test finds its point in the same statement).
    fn rows(self) -> usize {
        match self {
            Self::Instruments | Self::Inspections => MANY,
            Self::Points | Self::Tests => 1,
        }
    }

    /// The values bound for each row, besides the [`EXTRA`] ones.
    fn columns(self) -> usize {
        match self {
            Self::Instruments => columns::count(INSTRUMENTS_VALUES),
            Self::Inspections => columns::count(INSPECTIONS_VALUES),
            Self::Points => columns::count(POINTS_VALUES),
            Self::Tests => columns::count(TESTS_VALUES),
        }
    }

    /// The statement's SQL, the shared values numbered `?1` to `?3` ([`SHARED`]) and a
    /// row's values named `{column}` (see [`columns::fill`]). An inspection gets its
    /// instrument's id (`?4`), which the import knows, and is stored under the id the
    /// import gave it (`?5`); a test finds its point by key in the same statement,
    /// through a join (it must also take the point's limit).
    fn parts(self) -> Parts {
        match self {
            Self::Instruments => Parts {
                head: "insert or fail into instruments (id, lab_id, {columns}, \
                       created_batch_id, due_inspection_id, due_inspected_on, due_on) values ",
                row: "(?4, ?1, {values}, ?2, ?5, ?6, ?7)",
                tail: "",
            },
            Self::Inspections => Parts {
                head: "insert or fail into inspections (id, lab_id, instrument_id, \
                       category_code, kind, inspected_on, verification_type, procedure, \
                       result, error_percent, certificate_no, stamp_no, valid_until, \
                       technician, checked_by, notes, batch_id, source_line, original) \
                       values ",
                row: "(?5, ?1, ?4, {category_code}, {kind}, {inspected_on}, \
                      {verification_type}, {procedure}, {result}, {error_percent}, \
                      {certificate_no}, {stamp_no}, {valid_until}, {technician}, \
                      {checked_by}, {notes}, ?2, {source_line}, {original})",
                tail: " on conflict do nothing",
            },
            Self::Points => Parts {
                head: "insert into earthing_points (lab_id, site, site_key, code, code_key, \
                       system, limit_ohm, created_at) values ",
                row: "(?1, {site}, {site_key}, {code}, {code_key}, {point_system}, \
                      {point_limit}, ?3)",
                tail: " on conflict do nothing",
            },
            Self::Tests => Parts {
                head: "insert into earthing_tests (lab_id, point_id, tested_on, \
                       resistance_ohm, limit_ohm, method, tester_serial, weather, technician, \
                       notes, batch_id, source_line, original) ",
                row: "select ?1, p.id, {tested_on}, {resistance_ohm}, \
                      coalesce({limit_ohm}, p.limit_ohm), {method}, {tester_serial}, \
                      {weather}, {technician}, {notes}, ?2, {source_line}, {original} \
                      from earthing_points p \
                      where p.lab_id = ?1 and p.site_key = {site_key} \
                      and p.code_key = {code_key}",
                tail: " on conflict do nothing",
            },
        }
    }

    /// The SQL of a statement of `rows` rows; `None` if its parts name a column its rows
    /// lack (a test makes sure none does).
    fn sql(self, rows: usize) -> Option<String> {
        let Parts { head, row, tail } = self.parts();
        let fill = |part| match self {
            Self::Instruments => columns::fill(part, INSTRUMENTS_VALUES, FIRST_VALUE),
            Self::Inspections => columns::fill(part, INSPECTIONS_VALUES, FIRST_VALUE),
            Self::Points => columns::fill(part, POINTS_VALUES, FIRST_VALUE),
            Self::Tests => columns::fill(part, TESTS_VALUES, FIRST_VALUE),
        };
        let row = fill(row)?;
        let width = EXTRA + self.columns();
        let mut sql = fill(head)?;
        for k in 0..rows {
            if k > 0 {
                sql.push_str(", ");
            }
            shift(&mut sql, &row, k * width);
        }
        sql.push_str(&fill(tail)?);
        Some(sql)
    }
}

/// Appends `row` to `out` with each parameter past the shared ones (`?N`, N >
/// [`SHARED`]) numbered `by` further on.
fn shift(out: &mut String, row: &str, by: usize) {
    parameters(out, row, |out, n| {
        let n = if n > SHARED { n + by } else { n };
        let _ = write!(out, "{n}");
    });
}

/// Appends `sql` to `out`, each numbered parameter's number (the `N` of `?N`) written
/// by `number` instead, after its `?`.
fn parameters(out: &mut String, sql: &str, mut number: impl FnMut(&mut String, usize)) {
    let mut rest = sql;
    while let Some(at) = rest.find('?') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        match rest[..digits].parse::<usize>() {
            Ok(n) => number(out, n),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

/// Binds one value at `at` (from 1) of a [`Raw`] statement as [`bind`] does: a text
/// read in place, numbers and dates as the text made for them.
fn bind_raw<'v>(bindings: &mut Bindings<'v>, at: usize, value: Value<'v>) -> rusqlite::Result<()> {
    match value {
        Value::Text(v) => bindings.text(at, v),
        Value::Number(Some(d)) => bindings.copy(at, &d.to_string()),
        Value::Date(Some(d)) => with_date_text(d, |text| bindings.copy(at, text)),
        Value::Number(None) | Value::Date(None) => bindings.null(at),
        Value::Int(v) => bindings.int(at, v),
    }
}

/// Binds one value at `at` (from 1) as SQLite stores it: numbers as their canonical
/// text, dates as `YYYY-MM-DD` (as sqlx writes them everywhere else).
pub(super) fn bind(
    statement: &mut rusqlite::Statement<'_>,
    at: usize,
    value: Value<'_>,
) -> rusqlite::Result<()> {
    match value {
        Value::Text(v) => statement.raw_bind_parameter(at, v),
        Value::Number(v) => statement.raw_bind_parameter(at, v.map(|d| d.to_string())),
        Value::Date(Some(d)) => with_date_text(d, |text| statement.raw_bind_parameter(at, text)),
        Value::Date(None) => statement.raw_bind_parameter(at, None::<&str>),
        Value::Int(v) => statement.raw_bind_parameter(at, v),
    }
}

/// `f` of `date` as `YYYY-MM-DD` ([`iso_date`], or chrono's form for a year it cannot
/// write).
fn with_date_text<R>(date: NaiveDate, f: impl FnOnce(&str) -> R) -> R {
    match iso_date(date) {
        Some(text) => f(std::str::from_utf8(&text).unwrap_or_default()),
        None => f(&date.format("%Y-%m-%d").to_string()),
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
pub(super) struct Statements {
    pub lab: i64,
    batch: i64,
    now: Arc<str>,
    /// Each [`Stmt`]'s SQL for [`Stmt::rows`] rows, in [`Stmt::ALL`]'s order.
    sql: [Positional; 4],
}

/// A statement's SQL with each numbered parameter (`?N`) written as an anonymous one
/// (`?`), and the places (from 1) that each numbered one holds now. SQLite parses
/// `?N` by searching the numbers it has seen so far, once for each parameter whose
/// number is not the greatest yet (the shared ones, in every row): in a statement of
/// hundreds of rows that search cost as much as storing the rows.
#[derive(Debug)]
struct Positional {
    text: String,
    /// By number `N`: the places `?N` was written at.
    at: Vec<Vec<usize>>,
}

impl Positional {
    fn new(numbered: &str) -> Self {
        let mut text = String::with_capacity(numbered.len());
        let mut at: Vec<Vec<usize>> = Vec::new();
        let mut places = 0;
        parameters(&mut text, numbered, |_, n| {
            places += 1;
            if at.len() <= n {
                at.resize(n + 1, Vec::new());
            }
            at[n].push(places);
        });
        Self { text, at }
    }

    /// Binds `value` wherever `?n` was written.
    fn bind<'v>(
        &self,
        bindings: &mut Bindings<'v>,
        n: usize,
        value: Value<'v>,
    ) -> rusqlite::Result<()> {
        for &place in self.at.get(n).map_or(&[][..], Vec::as_slice) {
            bind_raw(bindings, place, value)?;
        }
        Ok(())
    }
}

impl Statements {
    pub fn new(lab: i64, batch: i64, now: Arc<str>) -> Result<Self, StoreError> {
        let sql = |stmt: Stmt| match stmt.sql(stmt.rows()) {
            Some(sql) => Ok(Positional::new(&sql)),
            None => Err(StoreError::Invalid(format!(
                "{stmt:?} names a column it does not bind"
            ))),
        };
        let [a, b, c, d] = Stmt::ALL;
        Ok(Self {
            lab,
            batch,
            now,
            sql: [sql(a)?, sql(b)?, sql(c)?, sql(d)?],
        })
    }

    /// Runs `stmt` over `rows`, [`Stmt::rows`] to a statement, each row's values taken
    /// by `groups`' columns and its [`Extra`] values given with it: how many rows each
    /// statement stored, in order (for a one-row statement, 1 if it stored its row).
    pub fn each<'r, R: 'r, F: ValueOf<R>>(
        &self,
        conn: &rusqlite::Connection,
        stmt: Stmt,
        groups: &'static [&'static [Column<F>]],
        rows: impl IntoIterator<Item = (&'r R, Extra)>,
    ) -> rusqlite::Result<Vec<usize>> {
        let started = Instant::now();
        let rows: Vec<(&R, Extra)> = rows.into_iter().collect();
        let (per, width) = (stmt.rows(), EXTRA + stmt.columns());
        let full = &self.sql[stmt as usize];
        let mut full_prepared = None;
        let mut stored = Vec::with_capacity(rows.len().div_ceil(per));
        for some in rows.chunks(per) {
            let (partial, mut partial_prepared);
            let (sql, prepared) = if some.len() == per {
                let prepared = match &mut full_prepared {
                    Some(prepared) => prepared,
                    None => full_prepared.insert(Raw::prepare(conn, &full.text)?),
                };
                (full, prepared)
            } else {
                let numbered = stmt.sql(some.len()).ok_or(rusqlite::Error::InvalidQuery)?;
                partial = Positional::new(&numbered);
                partial_prepared = Raw::prepare(conn, &partial.text)?;
                (&partial, &mut partial_prepared)
            };
            stored.push(prepared.execute(|bindings| {
                sql.bind(bindings, 1, Value::Int(self.lab))?;
                sql.bind(bindings, 2, Value::Int(self.batch))?;
                sql.bind(bindings, 3, Value::Text(Some(&self.now)))?;
                for (k, (row, extra)) in some.iter().enumerate() {
                    let at = k * width;
                    for (i, value) in extra.iter().enumerate() {
                        sql.bind(bindings, at + SHARED + 1 + i, *value)?;
                    }
                    for (i, value) in columns::values(groups, *row).enumerate() {
                        sql.bind(bindings, at + FIRST_VALUE + i, value)?;
                    }
                }
                Ok(())
            })?);
        }
        ran(&full.text, rows.len(), started);
        Ok(stored)
    }
}

/// Foreign keys unchecked on a connection while this lives (SQLite's
/// `SQLITE_DBCONFIG_ENABLE_FKEY`, which, unlike `pragma foreign_keys`, takes effect
/// inside a transaction), checked again when it drops. Only for statements whose every
/// reference is known to hold (see the module's documentation).
pub(super) struct ForeignKeysOff<'c>(&'c rusqlite::Connection);

impl<'c> ForeignKeysOff<'c> {
    pub fn new(conn: &'c rusqlite::Connection) -> rusqlite::Result<Self> {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, false)?;
        Ok(Self(conn))
    }
}

impl Drop for ForeignKeysOff<'_> {
    fn drop(&mut self) {
        // It fails only for a connection SQLite no longer knows, which no statement of
        // this one's could then use.
        if let Err(e) = self
            .0
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, true)
        {
            tracing::error!("foreign keys could not be checked again: {e}");
        }
    }
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
            for rows in [1, 2, stmt.rows()] {
                let sql = stmt.sql(rows).expect("every column the SQL names is bound");
                let last = SHARED + rows * (EXTRA + stmt.columns());
                // (A shared value or an extra one may go unread: a point names no
                // batch, a test no id.)
                for row in 0..rows {
                    let first = FIRST_VALUE + row * (EXTRA + stmt.columns());
                    for n in first..first + stmt.columns() {
                        assert!(reads(&sql, n), "{stmt:?} × {rows} binds ?{n}, never read");
                    }
                }
                assert!(
                    !reads(&sql, last + 1),
                    "{stmt:?} × {rows} reads ?{}",
                    last + 1
                );
            }
        }
    }

    #[test]
    fn each_row_of_a_statement_reads_its_own_values() {
        let one = Stmt::Inspections.sql(1).expect("sql");
        let two = Stmt::Inspections.sql(2).expect("sql");
        let width = EXTRA + Stmt::Inspections.columns();
        assert!(one.contains("values (?5, ?1, ?4, ?8,"), "{one}");
        let second = format!("(?{}, ?1, ?{}, ?{},", 5 + width, 4 + width, 8 + width);
        assert!(two.contains(&second), "{two}");
        assert!(two.ends_with(") on conflict do nothing"), "{two}");
        // A stored record takes its batch's time (migration 0020): none is written.
        assert!(!reads(&two, 3), "{two}");
    }

    #[test]
    fn numbered_parameters_become_places() {
        let sql = Positional::new("values (?3, ?1, ?10), (?3, ?11)");
        assert_eq!(sql.text, "values (?, ?, ?), (?, ?)");
        assert_eq!(sql.at[3], [1, 4]);
        assert_eq!(sql.at[1], [2]);
        assert_eq!(sql.at[10], [3]);
        assert_eq!(sql.at[11], [5]);
        assert!(sql.at[2].is_empty());
    }

    /// Whether `sql` reads the parameter `?n` (not one whose number only starts so).
    fn reads(sql: &str, n: usize) -> bool {
        let parameter = format!("?{n}");
        sql.match_indices(&parameter)
            .any(|(at, _)| !sql[at + parameter.len()..].starts_with(|c: char| c.is_ascii_digit()))
    }
}
