//! Rows of an inspections log into [`NewInspection`] records.

use metrotrack_core::decimal::parse_decimal;
use metrotrack_core::message::IdentifierKind;
use metrotrack_core::{
    Category, CategoryCatalog, InspectionKind, Msg, NewInspection, Outcome, ParsedRow,
    SerialNumber, Sourced, VerificationType,
};

use crate::header::Field;
use crate::options::DateOrder;
use crate::row::{Lexicon, Reported, Row, decimal, identifier};
use crate::value::{parse_date, show_date};

/// Reads the rows of one inspections log.
#[derive(Debug)]
pub(crate) struct InspectionReader<'c> {
    catalog: &'c CategoryCatalog,
    order: DateOrder,
    kinds: Lexicon<InspectionKind>,
    verification_types: Lexicon<VerificationType>,
    outcomes: Lexicon<Outcome>,
}

impl<'c> InspectionReader<'c> {
    pub(crate) fn new(catalog: &'c CategoryCatalog, order: DateOrder) -> Self {
        Self {
            catalog,
            order,
            kinds: Lexicon::new(),
            verification_types: Lexicon::new(),
            outcomes: Lexicon::new(),
        }
    }

    /// Reads one inspection row, reporting every problem it has.
    pub(crate) fn read(&self, row: Row<'_>) -> ParsedRow {
        read(row, self)
    }
}

fn read(mut row: Row<'_>, words: &InspectionReader<'_>) -> ParsedRow {
    let (catalog, order) = (words.catalog, words.order);
    let date = row.required(Field::Date, |v| parse_date(v, order));
    let category = row.required(Field::Category, |v| {
        catalog.resolve(v).ok_or_else(|| Msg::CategoryUnknown {
            written: metrotrack_core::text::shorten(v, 40),
            known: catalog.known_codes(),
        })
    });
    let serial = row.required(Field::SerialNumber, |v| {
        SerialNumber::parse(v).map_err(|e| identifier(IdentifierKind::SerialNumber, &e))
    });
    let model = row.text(Field::Model);
    let manufacturer = row.text(Field::Manufacturer);
    let owner = row.text(Field::Owner);
    let kind = row.required(Field::Kind, |v| words.kinds.read(v));
    let verification_type = row.optional(Field::VerificationType, |v| {
        words.verification_types.read(v)
    });
    let procedure = row.text(Field::Procedure);
    let result = row.optional(Field::Result, |v| words.outcomes.read(v));
    let error_percent = row.optional(Field::ErrorPercent, |v| {
        parse_decimal(v).map_err(|e| decimal(v, &e))
    });
    let certificate_no = row.text(Field::CertificateNo);
    let stamp_no = row.text(Field::StampNo);
    let valid_until = row.optional(Field::ValidUntil, |v| parse_date(v, order));
    let technician = row.required_text(Field::Technician);
    let checked_by = row.text(Field::CheckedBy);
    let notes = row.text(Field::Notes);

    if let (Ok(InspectionKind::Verification), Ok(None)) = (kind, result) {
        row.problem(Field::Result, None, Msg::ResultRequired {});
    }
    if let (Ok(Some(Outcome::Fail)), Ok(Some(_))) = (result, valid_until) {
        let written = row.value(Field::ValidUntil);
        row.problem(Field::ValidUntil, written, Msg::ValidUntilAfterFail {});
    } else if let (Ok(date), Ok(Some(until))) = (date, valid_until)
        && until < date
    {
        let written = row.value(Field::ValidUntil);
        row.problem(
            Field::ValidUntil,
            written,
            Msg::ValidUntilBeforeDate {
                valid_until: show_date(until),
                date: show_date(date),
            },
        );
    }

    let assembled = (|| -> Result<(NewInspection, &Category), Reported> {
        let category = category?;
        let record = NewInspection {
            date: date?,
            category: category.code.clone(),
            serial: serial?,
            model: model?,
            manufacturer: manufacturer?,
            owner: owner?,
            kind: kind?,
            verification_type: verification_type?,
            procedure: procedure?,
            result: result?,
            error_percent: error_percent?,
            certificate_no: certificate_no?,
            stamp_no: stamp_no?,
            valid_until: valid_until?,
            technician: technician?,
            checked_by: checked_by?,
            notes: notes?,
        };
        Ok((record, category))
    })();

    match assembled {
        Ok((mut record, category)) if row.problems.is_empty() => {
            record.derive_valid_until(category);
            ParsedRow::Inspection(Sourced {
                line: row.line,
                original: row.original(),
                record,
            })
        }
        _ => row.into_invalid(),
    }
}
