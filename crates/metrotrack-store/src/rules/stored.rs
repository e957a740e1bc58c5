//! Reading the stored records that rows an import skipped are compared with, from a
//! row of either backend. Numbers are read as text: SQLite stores them so, and the
//! PostgreSQL queries cast their `numeric`s (`e.limit_ohm::text as limit_ohm`).

use std::str::FromStr;

use chrono::NaiveDate;
use metrotrack_core::{EarthingSystem, NewInspection, Ohms};
use rust_decimal::Decimal;
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::StoredTest;
use super::import::Stored;
use crate::StoreError;

/// A row of either backend, read by column name.
pub(crate) trait ReadRow {
    fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn date(&self, column: &str) -> Result<Option<NaiveDate>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
}

impl<R: Row> ReadRow for R
where
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<NaiveDate>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }
    fn date(&self, column: &str) -> Result<Option<NaiveDate>, sqlx::Error> {
        self.try_get(column)
    }
    fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(column)
    }
}

fn corrupt(column: &str, text: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("stored value could not be read: {column} = {text:?}").into(),
    ))
}

/// The value of `column`, parsed, or `None` when it is null.
fn parsed<T: FromStr>(row: &impl ReadRow, column: &str) -> Result<Option<T>, StoreError> {
    match row.text(column)? {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| corrupt(column, &text)),
    }
}

/// The value of a column that is never null.
fn required<T>(column: &str, value: Option<T>) -> Result<T, StoreError> {
    value.ok_or_else(|| corrupt(column, "null"))
}

fn ohms(row: &impl ReadRow, column: &str) -> Result<Ohms, StoreError> {
    let value: Decimal = required(column, parsed(row, column)?)?;
    Ohms::new(value).map_err(|_| corrupt(column, &value.to_string()))
}

/// The stored inspection with `new`'s natural key, as a [`NewInspection`] comparable
/// with it (fields outside [`NewInspection::differing_fields`] are taken from `new`).
pub(crate) fn inspection(
    row: &impl ReadRow,
    new: &NewInspection,
) -> Result<Stored<NewInspection>, StoreError> {
    let mut stored = new.clone();
    stored.verification_type = parsed(row, "verification_type")?;
    stored.procedure = row.text("procedure")?;
    stored.result = parsed(row, "result")?;
    stored.error_percent = parsed(row, "error_percent")?;
    stored.certificate_no = row.text("certificate_no")?;
    stored.stamp_no = row.text("stamp_no")?;
    stored.valid_until = row.date("valid_until")?;
    stored.technician = required("technician", row.text("technician")?)?;
    stored.checked_by = row.text("checked_by")?;
    stored.notes = row.text("notes")?;
    Ok(Stored {
        record: stored,
        batch: row.int("batch_id")?,
        line: row.int("source_line")?,
    })
}

/// A skipped test's point (its system and limit) and the test stored for its date.
pub(crate) type PointAndTest = (Option<(EarthingSystem, Ohms)>, Option<Stored<StoredTest>>);

/// A stored point's system and limit (columns `system` and `point_limit`).
pub(crate) fn point(row: &impl ReadRow) -> Result<(EarthingSystem, Ohms), StoreError> {
    let system = required("earthing_points.system", parsed(row, "system")?)?;
    Ok((system, ohms(row, "point_limit")?))
}

/// The stored earthing test of a row, or `None` when the row has none (a null
/// `technician`, as an outer join leaves it).
pub(crate) fn test(row: &impl ReadRow) -> Result<Option<Stored<StoredTest>>, StoreError> {
    let Some(technician) = row.text("technician")? else {
        return Ok(None);
    };
    let record = StoredTest {
        resistance: ohms(row, "resistance_ohm")?,
        limit: ohms(row, "limit_ohm")?,
        method: parsed(row, "method")?,
        tester_serial: row.text("tester_serial")?,
        weather: row.text("weather")?,
        technician,
        notes: row.text("notes")?,
    };
    Ok(Some(Stored {
        record,
        batch: row.int("batch_id")?,
        line: row.int("source_line")?,
    }))
}
