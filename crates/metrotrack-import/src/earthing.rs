//! Rows of an earthing log into [`NewEarthingTest`] records.

use metrotrack_core::message::IdentifierKind;
use metrotrack_core::{
    EarthingMethod, EarthingSystem, NewEarthingTest, Ohms, ParsedRow, PointCode, Sourced,
};

use crate::header::Field;
use crate::options::DateOrder;
use crate::row::{Lexicon, Reported, Row, identifier, ohms};
use crate::value::parse_date;

/// Reads the rows of one earthing log.
#[derive(Debug)]
pub(crate) struct EarthingReader {
    order: DateOrder,
    systems: Lexicon<EarthingSystem>,
    methods: Lexicon<EarthingMethod>,
}

impl EarthingReader {
    pub(crate) fn new(order: DateOrder) -> Self {
        Self {
            order,
            systems: Lexicon::new(),
            methods: Lexicon::new(),
        }
    }

    /// Reads one earthing-test row, reporting every problem it has.
    pub(crate) fn read(&self, row: Row<'_>) -> ParsedRow {
        read(row, self)
    }
}

fn read(mut row: Row<'_>, words: &EarthingReader) -> ParsedRow {
    let order = words.order;
    let date = row.required(Field::Date, |v| parse_date(v, order));
    let site = row.required_text(Field::Site);
    let point = row.required(Field::Point, |v| {
        PointCode::parse(v).map_err(|e| identifier(IdentifierKind::PointCode, &e))
    });
    let resistance = row.required(Field::ResistanceOhm, |v| {
        Ohms::parse(v).map_err(|e| ohms(v, &e))
    });
    let limit = row.optional(Field::LimitOhm, |v| Ohms::parse(v).map_err(|e| ohms(v, &e)));
    let system = row.optional(Field::System, |v| words.systems.read(v));
    let method = row.optional(Field::Method, |v| words.methods.read(v));
    let tester_serial = row.text(Field::TesterSerial);
    let weather = row.text(Field::Weather);
    let technician = row.required_text(Field::Technician);
    let notes = row.text(Field::Notes);

    let assembled = (|| -> Result<NewEarthingTest, Reported> {
        Ok(NewEarthingTest {
            date: date?,
            site: site?,
            point: point?,
            system: system?,
            resistance: resistance?,
            limit: limit?,
            method: method?,
            tester_serial: tester_serial?,
            weather: weather?,
            technician: technician?,
            notes: notes?,
        })
    })();

    match assembled {
        Ok(record) if row.problems.is_empty() => ParsedRow::Earthing(Sourced {
            line: row.line,
            original: row.original(),
            record,
        }),
        _ => row.into_invalid(),
    }
}
