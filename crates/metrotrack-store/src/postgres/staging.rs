//! The import's staging on PostgreSQL: the temporary tables each chunk is copied into,
//! the columns `COPY` fills in them, and `COPY`'s text format.

use std::fmt::Write as _;

use crate::rules::columns::{
    self, Column, INSPECTION, INSPECTION_SOURCE, INSTRUMENT, INSTRUMENT_KEY, POINT, POINT_KEY,
    TEST, TEST_SOURCE, Value, ValueOf,
};

/// Each staged inspection comes with the id the writer drew for it, so that an
/// instrument first seen in a chunk is created with its due inspection already, and
/// with its instrument's id when the chunk created that instrument (see
/// `write_inspections`).
pub(super) const STAGE_INSPECTIONS: &str = "create temp table staged_inspections (
        id bigint not null,
        instrument_id bigint,
        source_line bigint not null,
        category_code text not null,
        manufacturer_key text collate \"C\" not null,
        serial_key text collate \"C\" not null,
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
        original jsonb
    ) on commit drop";

/// The staged inspections' columns, which `COPY` names and fills before their `id` and
/// `instrument_id`.
pub(super) const STAGED_INSPECTIONS: &[&[columns::InspectionColumn]] =
    &[INSPECTION_SOURCE, INSTRUMENT_KEY, INSTRUMENT, INSPECTION];

/// The instruments a chunk names, one row each, as its first row describes them, under
/// an id the writer drew, and due by their latest valid row: what the instrument is
/// created with if it is new.
pub(super) const STAGE_INSTRUMENTS: &str = "create temp table staged_instruments (
        category_code text not null,
        manufacturer_key text collate \"C\" not null,
        serial_key text collate \"C\" not null,
        serial_number text not null,
        manufacturer text,
        model text,
        owner text,
        id bigint not null,
        due_inspection_id bigint,
        due_inspected_on date,
        due_on date
    ) on commit drop";

/// The staged instruments' columns, which `COPY` names and fills before their `id` and
/// due inspection.
pub(super) const STAGED_INSTRUMENTS: &[&[columns::InspectionColumn]] =
    &[INSTRUMENT_KEY, INSTRUMENT];

pub(super) const STAGE_TESTS: &str = "create temp table staged_tests (
        source_line bigint not null,
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
        original jsonb
    ) on commit drop";

/// The staged tests' columns, which `COPY` names and fills.
pub(super) const STAGED_TESTS: &[&[columns::TestColumn]] = &[TEST_SOURCE, POINT_KEY, POINT, TEST];

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

    fn value(&mut self, value: Value<'_>) -> &mut Self {
        match value {
            Value::Text(v) => self.field(v),
            Value::Number(v) => self.display(v),
            Value::Date(v) => self.display(v),
            Value::Int(v) => self.display(Some(v)),
        }
    }

    fn end_row(&mut self) {
        self.buf.push('\n');
        self.fields_in_row = 0;
    }
}

/// `rows` in `COPY` text format, each with `groups`' columns, then its own further
/// values.
pub(super) fn copy_text<'r, R: 'r, F: ValueOf<R>, const N: usize>(
    groups: &[&[Column<F>]],
    rows: impl IntoIterator<Item = (&'r R, [Value<'static>; N])>,
) -> String {
    let mut data = CopyText::default();
    for (row, further) in rows {
        for value in columns::values(groups, row) {
            data.value(value);
        }
        for value in further {
            data.value(value);
        }
        data.end_row();
    }
    data.buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn copy_text_escapes_and_marks_null() {
        let mut data = CopyText::default();
        data.value(Value::Text(Some("a\tb")))
            .field(None)
            .field(Some("back\\slash\nnew\rline"))
            .value(Value::Number(Some(Decimal::new(250, 2))))
            .value(Value::Int(7))
            .end_row();
        assert_eq!(
            data.buf,
            "a\\tb\t\\N\tback\\\\slash\\nnew\\rline\t2.50\t7\n"
        );
    }
}
