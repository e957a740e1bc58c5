//! An amendment's new values, read exactly as an import reads a log: the record's
//! current values written as one row of a log, the changes written over them as a
//! person types them (`dd/mm/yyyy` or ISO dates, decimal comma or point, Vietnamese or
//! English words), and the row read by the same reader. Every value is checked by the
//! same parsers, with the same messages, as in an uploaded file.

use std::collections::BTreeMap;
use std::io::Cursor;

use metrotrack_core::{
    CategoryCatalog, LogKind, Msg, NewEarthingTest, NewInspection, ParsedRow, Problem,
};

use crate::header::{Field, fields_of};
use crate::{ReadOptions, read_log};

/// A record's values as a log's row writes them: canonical header → text.
pub type LogValues = Vec<(&'static str, String)>;

/// The names an amendment may give a field: its canonical header, and for the date the
/// record's own name for it.
fn field_named(kind: LogKind, name: &str) -> Option<&'static str> {
    let name = name.trim().to_ascii_lowercase();
    let date = match kind {
        LogKind::Inspections => "inspected_on",
        LogKind::Earthing => "tested_on",
    };
    if name == date {
        return Some(Field::Date.canonical());
    }
    if kind == LogKind::Earthing && name == "point_code" {
        return Some(Field::Point.canonical());
    }
    fields_of(kind)
        .iter()
        .map(|spec| spec.field.canonical())
        .find(|canonical| *canonical == name)
}

/// The names an amendment may use, for a message.
fn known_names(kind: LogKind) -> String {
    let date = match kind {
        LogKind::Inspections => "inspected_on",
        LogKind::Earthing => "tested_on",
    };
    let mut names = vec![date];
    names.extend(
        fields_of(kind)
            .iter()
            .map(|spec| spec.field.canonical())
            .filter(|c| *c != Field::Date.canonical()),
    );
    names.join(", ")
}

/// `current` with `changes` written over it (a field's name → the value as typed; an
/// empty value clears an optional field), read as a log row of `kind`: the record, or
/// every problem, each naming its field. Problems carry line 0: they come from no file.
///
/// When the date changes and valid-until is not among the changes, valid-until is left
/// to be derived again from the category's cycle, as an import does for a row without
/// one.
fn amended(
    kind: LogKind,
    current: &LogValues,
    changes: &[(String, String)],
    catalog: &CategoryCatalog,
) -> Result<ParsedRow, Vec<Problem>> {
    let mut row: BTreeMap<&'static str, String> = current
        .iter()
        .map(|(field, value)| (*field, value.clone()))
        .collect();
    let mut problems = Vec::new();
    let mut named = Vec::new();
    for (name, value) in changes {
        match field_named(kind, name) {
            Some(field) => {
                named.push(field);
                row.insert(field, value.clone());
            }
            None => problems.push(Problem::new(
                0,
                Some(name.trim()),
                Some(value),
                Msg::AmendmentUnknownField {
                    fields: known_names(kind),
                },
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let date = Field::Date.canonical();
    let valid_until = Field::ValidUntil.canonical();
    if kind == LogKind::Inspections && named.contains(&date) && !named.contains(&valid_until) {
        row.remove(valid_until);
    }
    let mut log = csv::Writer::from_writer(Vec::new());
    let written = log
        .write_record(row.keys())
        .and_then(|()| log.write_record(row.values()));
    let bytes = written
        .map_err(|e| e.to_string())
        .and_then(|()| log.into_inner().map_err(|e| e.to_string()))
        .map_err(|e| {
            let msg = Msg::AmendmentUnreadable { detail: Some(e) };
            vec![Problem::new(0, None, None, msg)]
        })?;
    let mut rows = Vec::new();
    let summary = read_log(
        Cursor::new(bytes),
        kind,
        catalog,
        &ReadOptions::default(),
        |chunk, _| {
            rows.extend(chunk);
            true
        },
    );
    // Problems name fields as the amendment does (`inspected_on`, not the log's `date`).
    let record_name = |column: &str| match (kind, column) {
        (LogKind::Inspections, "date") => "inspected_on".to_owned(),
        (LogKind::Earthing, "date") => "tested_on".to_owned(),
        (LogKind::Earthing, "point") => "point_code".to_owned(),
        _ => column.to_owned(),
    };
    let at_no_line = |mut p: Problem| {
        p.line = 0;
        p.column = p.column.as_deref().map(record_name);
        p
    };
    if !summary.fatal.is_empty() {
        return Err(summary.fatal.into_iter().map(at_no_line).collect());
    }
    match rows.pop() {
        Some(ParsedRow::Invalid { problems, .. }) => {
            Err(problems.into_iter().map(at_no_line).collect())
        }
        Some(row) if rows.is_empty() => Ok(row),
        _ => Err(vec![unreadable()]),
    }
}

fn unreadable() -> Problem {
    Problem::new(0, None, None, Msg::AmendmentUnreadable { detail: None })
}

/// An inspection's `current` values (see [`LogValues`]) with `changes` written over
/// them, checked as an import checks a row.
pub fn amended_inspection(
    current: &LogValues,
    changes: &[(String, String)],
    catalog: &CategoryCatalog,
) -> Result<NewInspection, Vec<Problem>> {
    match amended(LogKind::Inspections, current, changes, catalog)? {
        ParsedRow::Inspection(s) => Ok(s.record),
        _ => Err(vec![unreadable()]),
    }
}

/// An earthing test's `current` values with `changes` written over them, checked as an
/// import checks a row.
pub fn amended_earthing_test(
    current: &LogValues,
    changes: &[(String, String)],
    catalog: &CategoryCatalog,
) -> Result<NewEarthingTest, Vec<Problem>> {
    match amended(LogKind::Earthing, current, changes, catalog)? {
        ParsedRow::Earthing(s) => Ok(s.record),
        _ => Err(vec![unreadable()]),
    }
}
