//! The columns an import writes, each named once with the value it takes from a row:
//! both backends build their insert (or `COPY`) column lists and bind (or write) their
//! values from these lists, so the order of names and values cannot drift apart.

use chrono::NaiveDate;
use metrotrack_core::{
    EarthingSystem, InstrumentKey, NewEarthingTest, NewInspection, Ohms, PointKey, Sourced, text,
};
use rust_decimal::Decimal;

use super::OriginalColumns;
use crate::sql::FastMap;

/// One value of a row to store, as each backend writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Text(Option<&'a str>),
    /// Stored as text by SQLite, as `numeric` by PostgreSQL.
    Number(Option<Decimal>),
    Date(Option<NaiveDate>),
    Int(i64),
}

/// SQL's null, whatever the column's type.
pub(crate) const NULL: Value<'static> = Value::Text(None);

/// A column: its name, and how a row gives its value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column<F>(pub &'static str, pub F);

/// A column of the inspections an import writes.
pub(crate) type InspectionColumn = Column<for<'a> fn(&'a InspectionRow<'a>) -> Value<'a>>;
/// A column of the earthing tests an import writes.
pub(crate) type TestColumn = Column<for<'a> fn(&'a TestRow<'a>) -> Value<'a>>;

/// An inspection to store, with its instrument's key and its original observations
/// encoded for the batch (see [`super::OriginalColumns`]; `None` when the batch's kept
/// file holds them, see [`kept_original`]).
#[derive(Debug)]
pub(crate) struct InspectionRow<'a> {
    pub line: i64,
    pub key: &'a InstrumentKey,
    pub record: &'a NewInspection,
    pub original: Option<String>,
}

/// An earthing test to store, with its point's key, the system and limit a point first
/// seen is created with, and its original observations encoded for the batch.
#[derive(Debug)]
pub(crate) struct TestRow<'a> {
    pub line: i64,
    pub key: &'a PointKey,
    pub record: &'a NewEarthingTest,
    pub point_system: EarthingSystem,
    pub point_limit: Ohms,
    pub original: Option<String>,
}

/// A row's original observations as stored: encoded for the batch, or `None` when the
/// reader left them to the kept file (it hands them over empty, see
/// `metrotrack_import::ReadOptions::file_kept`; a valid row always has some).
fn kept_original(columns: &mut OriginalColumns, original: &[(String, String)]) -> Option<String> {
    (!original.is_empty()).then(|| columns.encode(original))
}

/// The instrument keys of `rows`.
///
/// A log names few manufacturers: each one's key ([`text::name_key`], which normalizes
/// Unicode and folds case) is worked out once per call, not once per row. This runs on
/// the store's writer, the import's critical path.
pub(crate) fn instrument_keys(rows: &[Sourced<NewInspection>]) -> Vec<InstrumentKey> {
    let mut manufacturer_keys: FastMap<&str, String> = FastMap::default();
    rows.iter()
        .map(|s| {
            let r = &s.record;
            let manufacturer_key = r.manufacturer.as_deref().map(|m| {
                manufacturer_keys
                    .entry(m)
                    .or_insert_with(|| text::name_key(m))
                    .clone()
            });
            InstrumentKey::with_manufacturer_key(&r.category, manufacturer_key, &r.serial)
        })
        .collect()
}

/// The point keys of `rows`.
pub(crate) fn point_keys(rows: &[Sourced<NewEarthingTest>]) -> Vec<PointKey> {
    rows.iter()
        .map(|s| PointKey::new(&s.record.site, &s.record.point))
        .collect()
}

fn line_of(line: u64) -> i64 {
    i64::try_from(line).unwrap_or(i64::MAX)
}

impl<'a> InspectionRow<'a> {
    /// `rows` with their `keys`, their originals encoded by `original` in order.
    pub fn all(
        rows: &'a [Sourced<NewInspection>],
        keys: &'a [InstrumentKey],
        original: &mut OriginalColumns,
    ) -> Vec<Self> {
        rows.iter()
            .zip(keys)
            .map(|(s, key)| Self {
                line: line_of(s.line),
                key,
                record: &s.record,
                original: kept_original(original, &s.original),
            })
            .collect()
    }
}

impl<'a> TestRow<'a> {
    /// `rows` with their `keys`, their originals encoded by `original` in order. A
    /// point first seen gets the row's system (lightning protection by default) and
    /// limit (else the system's default).
    pub fn all(
        rows: &'a [Sourced<NewEarthingTest>],
        keys: &'a [PointKey],
        original: &mut OriginalColumns,
    ) -> Vec<Self> {
        rows.iter()
            .zip(keys)
            .map(|(s, key)| {
                let r = &s.record;
                let point_system = r.system.unwrap_or(EarthingSystem::LightningProtection);
                Self {
                    line: line_of(s.line),
                    key,
                    record: r,
                    point_system,
                    point_limit: r.limit.unwrap_or_else(|| point_system.default_limit()),
                    original: kept_original(original, &s.original),
                }
            })
            .collect()
    }
}

fn text(value: &str) -> Value<'_> {
    Value::Text(Some(value))
}

/// An instrument's natural key.
pub(crate) const INSTRUMENT_KEY: &[InspectionColumn] = &[
    Column("category_code", |r| text(r.key.category.as_str())),
    Column("manufacturer_key", |r| text(&r.key.manufacturer_key)),
    Column("serial_key", |r| text(&r.key.serial_key)),
];

/// What the first row naming an instrument says of it.
pub(crate) const INSTRUMENT: &[InspectionColumn] = &[
    Column("serial_number", |r| text(r.record.serial.written())),
    Column("manufacturer", |r| {
        Value::Text(r.record.manufacturer.as_deref())
    }),
    Column("model", |r| Value::Text(r.record.model.as_deref())),
    Column("owner", |r| Value::Text(r.record.owner.as_deref())),
];

/// An inspection's own values.
pub(crate) const INSPECTION: &[InspectionColumn] = &[
    Column("kind", |r| text(r.record.kind.as_str())),
    Column("inspected_on", |r| Value::Date(Some(r.record.date))),
    Column("verification_type", |r| {
        Value::Text(r.record.verification_type.map(|v| v.as_str()))
    }),
    Column("procedure", |r| Value::Text(r.record.procedure.as_deref())),
    Column("result", |r| {
        Value::Text(r.record.result.map(|v| v.as_str()))
    }),
    Column("error_percent", |r| Value::Number(r.record.error_percent)),
    Column("certificate_no", |r| {
        Value::Text(r.record.certificate_no.as_deref())
    }),
    Column("stamp_no", |r| Value::Text(r.record.stamp_no.as_deref())),
    Column("valid_until", |r| Value::Date(r.record.valid_until)),
    Column("technician", |r| text(&r.record.technician)),
    Column("checked_by", |r| {
        Value::Text(r.record.checked_by.as_deref())
    }),
    Column("notes", |r| Value::Text(r.record.notes.as_deref())),
];

/// Where an inspection came from: its line and its original observations.
pub(crate) const INSPECTION_SOURCE: &[InspectionColumn] = &[
    Column("source_line", |r| Value::Int(r.line)),
    Column("original", |r| Value::Text(r.original.as_deref())),
];

/// An earthing point's natural key.
pub(crate) const POINT_KEY: &[TestColumn] = &[
    Column("site_key", |r| text(&r.key.site_key)),
    Column("code_key", |r| text(&r.key.code_key)),
];

/// What the first row naming a point says of it.
pub(crate) const POINT: &[TestColumn] = &[
    Column("site", |r| text(&r.record.site)),
    Column("code", |r| text(r.record.point.written())),
    Column("point_system", |r| text(r.point_system.as_str())),
    Column("point_limit", |r| {
        Value::Number(Some(r.point_limit.value()))
    }),
];

/// An earthing test's own values (`limit_ohm` as written: the point's when absent).
pub(crate) const TEST: &[TestColumn] = &[
    Column("tested_on", |r| Value::Date(Some(r.record.date))),
    Column("resistance_ohm", |r| {
        Value::Number(Some(r.record.resistance.value()))
    }),
    Column("limit_ohm", |r| {
        Value::Number(r.record.limit.map(Ohms::value))
    }),
    Column("method", |r| {
        Value::Text(r.record.method.map(|m| m.as_str()))
    }),
    Column("tester_serial", |r| {
        Value::Text(r.record.tester_serial.as_deref())
    }),
    Column("weather", |r| Value::Text(r.record.weather.as_deref())),
    Column("technician", |r| text(&r.record.technician)),
    Column("notes", |r| Value::Text(r.record.notes.as_deref())),
];

/// Where an earthing test came from: its line and its original observations.
pub(crate) const TEST_SOURCE: &[TestColumn] = &[
    Column("source_line", |r| Value::Int(r.line)),
    Column("original", |r| Value::Text(r.original.as_deref())),
];

/// How a column's accessor reads a row of type `R`.
pub(crate) trait ValueOf<R> {
    fn value_of<'a>(&self, row: &'a R) -> Value<'a>;
}

impl<'r> ValueOf<InspectionRow<'r>> for for<'a> fn(&'a InspectionRow<'a>) -> Value<'a> {
    fn value_of<'a>(&self, row: &'a InspectionRow<'r>) -> Value<'a> {
        self(row)
    }
}

impl<'r> ValueOf<TestRow<'r>> for for<'a> fn(&'a TestRow<'a>) -> Value<'a> {
    fn value_of<'a>(&self, row: &'a TestRow<'r>) -> Value<'a> {
        self(row)
    }
}

/// `row`'s values of `groups`' columns, in order.
pub(crate) fn values<'a, R, F: ValueOf<R>>(
    groups: &'a [&'a [Column<F>]],
    row: &'a R,
) -> impl Iterator<Item = Value<'a>> {
    groups
        .iter()
        .flat_map(|g| g.iter())
        .map(move |c| c.1.value_of(row))
}

/// The names of `groups`' columns, in order, comma-separated.
pub(crate) fn names<F>(groups: &[&[Column<F>]]) -> String {
    let names: Vec<&str> = groups.iter().flat_map(|g| g.iter().map(|c| c.0)).collect();
    names.join(", ")
}

/// `template` with each `{name}` replaced by the numbered parameter (`?N`) that holds
/// that column of `groups`, counting from `first`; `{values}` by all of them and
/// `{columns}` by every column's name, in order. `None` when the template names a
/// column `groups` lacks.
pub(crate) fn fill<F>(template: &str, groups: &[&[Column<F>]], first: usize) -> Option<String> {
    let columns: Vec<&str> = groups.iter().flat_map(|g| g.iter().map(|c| c.0)).collect();
    let parameter = |at: usize| format!("?{}", first + at);
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}')?;
        let name = &rest[open + 1..close];
        if name == "columns" {
            out.push_str(&columns.join(", "));
        } else if name == "values" {
            let all: Vec<String> = (0..columns.len()).map(parameter).collect();
            out.push_str(&all.join(", "));
        } else {
            let at = columns.iter().position(|c| *c == name)?;
            out.push_str(&parameter(at));
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// How many columns `groups` holds.
pub(crate) fn count<F>(groups: &[&[Column<F>]]) -> usize {
    groups.iter().map(|g| g.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_resolves_names_to_positions() {
        let groups: &[&[InspectionColumn]] = &[INSTRUMENT_KEY, INSTRUMENT];
        assert_eq!(
            fill("select {serial_key}, {owner} -- {columns}", groups, 4).as_deref(),
            Some(
                "select ?6, ?10 -- category_code, manufacturer_key, serial_key, \
                 serial_number, manufacturer, model, owner"
            )
        );
        assert_eq!(
            fill("values ({values})", &[INSTRUMENT_KEY], 1).as_deref(),
            Some("values (?1, ?2, ?3)")
        );
        assert_eq!(fill("select {nope}", groups, 1), None);
        assert_eq!(count(groups), 7);
        assert_eq!(names(&[TEST_SOURCE]), "source_line, original");
    }

    #[test]
    fn keys_worked_out_once_per_manufacturer_are_each_rows_own() {
        let makers = [
            Some("Công ty  ABC"),
            Some("Zenner"),
            None,
            Some("công ty abc"),
            Some("Zenner"),
        ];
        let rows: Vec<Sourced<NewInspection>> = makers
            .iter()
            .enumerate()
            .map(|(i, maker)| {
                let mut record =
                    crate::sql::chunk::tests::inspection(&format!("S-{i}"), 3, "C", "T");
                record.manufacturer = maker.map(str::to_owned);
                Sourced {
                    line: i as u64 + 2,
                    original: Vec::new(),
                    record,
                }
            })
            .collect();
        let each_alone: Vec<InstrumentKey> = rows
            .iter()
            .map(|s| {
                let r = &s.record;
                InstrumentKey::new(&r.category, r.manufacturer.as_deref(), &r.serial)
            })
            .collect();
        let keys = instrument_keys(&rows);
        assert_eq!(keys, each_alone);
        assert_eq!(keys[0].manufacturer_key, keys[3].manufacturer_key);
        assert_ne!(keys[0].manufacturer_key, keys[1].manufacturer_key);
        assert_eq!(keys[2].manufacturer_key, "");
    }
}
