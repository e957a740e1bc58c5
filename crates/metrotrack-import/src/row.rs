//! One data row: its cells by field, and every problem found in it.

use std::collections::HashMap;

use csv::StringRecord;
use metrotrack_core::decimal::DecimalError;
use metrotrack_core::earthing::OhmsError;
use metrotrack_core::instrument::IdentifierError;
use metrotrack_core::message::IdentifierKind;
use metrotrack_core::{Msg, ParsedRow, Problem, Vocabulary, text};

use crate::header::{Field, Header, Role};

/// Marks a value whose problem has already been recorded in the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reported;

/// What a row holds for one field.
#[derive(Debug, Clone, Copy)]
enum Cell<'a> {
    /// No column, or an empty cell.
    Empty,
    /// Already reported (longer than the field bound).
    Reported,
    Value(&'a str),
}

/// A data row being read into a record. Each accessor records the problem of its cell,
/// so that a row reports every problem it has, not only the first.
#[derive(Debug)]
pub(crate) struct Row<'a> {
    pub line: u64,
    header: &'a Header,
    record: &'a StringRecord,
    too_long: Vec<usize>,
    pub problems: Vec<Problem>,
    /// The row's original observations are read back from the kept file, not handed
    /// over with it (see [`crate::ReadOptions::file_kept`]).
    pub original_in_file: bool,
}

impl<'a> Row<'a> {
    /// Starts reading `record` (a non-blank row found on `line`): reports values past the
    /// header's columns and fields longer than `max_field_bytes`.
    pub(crate) fn new(
        line: u64,
        header: &'a Header,
        record: &'a StringRecord,
        max_field_bytes: usize,
    ) -> Self {
        let mut row = Self {
            line,
            header,
            record,
            too_long: Vec::new(),
            problems: Vec::new(),
            original_in_file: false,
        };
        let used = (0..record.len())
            .rev()
            .find(|&i| record.get(i).is_some_and(|f| !f.trim().is_empty()))
            .map_or(0, |last| last + 1);
        if used > header.width() {
            row.problems.push(Problem::new(
                line,
                None,
                None,
                Msg::RowTooManyFields {
                    fields: used,
                    width: header.width(),
                },
            ));
        }
        for (i, value) in record.iter().enumerate() {
            if value.len() > max_field_bytes {
                let column = header.columns.get(i).map(|c| c.written.as_str());
                row.problems.push(Problem::new(
                    line,
                    column,
                    Some(value),
                    Msg::FieldTooLong {
                        limit_bytes: max_field_bytes as u64,
                    },
                ));
                row.too_long.push(i);
            }
        }
        row
    }

    /// The header of a field as written, or its canonical name when the log has none.
    fn column_name(&self, field: Field) -> &'a str {
        self.header
            .column_of(field)
            .map_or(field.canonical(), |(_, written)| written)
    }

    fn cell(&self, field: Field) -> Cell<'a> {
        let Some((i, _)) = self.header.column_of(field) else {
            return Cell::Empty;
        };
        if self.too_long.contains(&i) {
            return Cell::Reported;
        }
        // An export's `'` before a formula character comes off (see `text::neutralise`).
        match self.record.get(i).map(str::trim).map(text::unneutralise) {
            Some(v) if !v.is_empty() => Cell::Value(v),
            _ => Cell::Empty,
        }
    }

    /// The cell of a field as written (trimmed), if it holds anything.
    pub(crate) fn value(&self, field: Field) -> Option<&'a str> {
        match self.cell(field) {
            Cell::Value(v) => Some(v),
            Cell::Empty | Cell::Reported => None,
        }
    }

    /// Records a problem with a field's cell.
    pub(crate) fn problem(&mut self, field: Field, value: Option<&str>, msg: Msg) {
        let column = self.column_name(field);
        self.problems
            .push(Problem::new(self.line, Some(column), value, msg));
    }

    /// Reads an optional field: `Ok(None)` when empty; a parse failure is recorded.
    pub(crate) fn optional<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&str) -> Result<T, Msg>,
    ) -> Result<Option<T>, Reported> {
        match self.cell(field) {
            Cell::Empty => Ok(None),
            Cell::Reported => Err(Reported),
            Cell::Value(v) => match parse(v) {
                Ok(t) => Ok(Some(t)),
                Err(msg) => {
                    self.problem(field, Some(v), msg);
                    Err(Reported)
                }
            },
        }
    }

    /// Reads a required field: empty is a problem too.
    pub(crate) fn required<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&str) -> Result<T, Msg>,
    ) -> Result<T, Reported> {
        match self.optional(field, parse)? {
            Some(t) => Ok(t),
            None => {
                let column = self.column_name(field).to_owned();
                self.problem(field, None, Msg::FieldRequired { column });
                Err(Reported)
            }
        }
    }

    /// An optional text, NFC-normalised and trimmed.
    pub(crate) fn text(&mut self, field: Field) -> Result<Option<String>, Reported> {
        self.optional(field, |v| Ok(clean(v)))
    }

    /// A required text, NFC-normalised and trimmed.
    pub(crate) fn required_text(&mut self, field: Field) -> Result<String, Reported> {
        self.required(field, |v| Ok(clean(v)))
    }

    /// The row as refused, with every problem found (never an empty list), in the
    /// order of the file's columns.
    pub(crate) fn into_invalid(mut self) -> ParsedRow {
        let header = self.header;
        self.problems.sort_by_key(|p| match &p.column {
            None => 0,
            Some(name) => header
                .columns
                .iter()
                .position(|c| &c.written == name)
                .map_or(usize::MAX, |i| i + 1),
        });
        if self.problems.is_empty() {
            self.problems
                .push(Problem::new(self.line, None, None, Msg::RowUnreadable {}));
        }
        ParsedRow::Invalid {
            line: self.line,
            problems: self.problems,
        }
    }

    /// The row's observations as written: (header, value NFC) for every non-empty cell
    /// under a named column, the row-number column left out; nothing when the kept
    /// file holds them ([`Row::original_in_file`]).
    pub(crate) fn original(&self) -> Vec<(String, String)> {
        if self.original_in_file {
            return Vec::new();
        }
        self.header
            .columns
            .iter()
            .zip(self.record.iter())
            .filter(|(c, _)| matches!(c.role, Role::Field(_) | Role::Unknown))
            .map(|(c, v)| (c, clean(v)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| (c.written.clone(), v))
            .collect()
    }
}

/// [`text::clean`] that skips normalising text already in NFC (nearly all of it).
pub(crate) fn clean(s: &str) -> String {
    use unicode_normalization::{IsNormalized, is_nfc_quick};
    let trimmed = s.trim();
    if is_nfc_quick(trimmed.chars()) == IsNormalized::Yes {
        trimmed.to_owned()
    } else {
        text::clean(trimmed)
    }
}

/// An enumeration's accepted words, folded once per file rather than once per cell;
/// reads exactly as [`Vocabulary::from_word`] does.
#[derive(Debug)]
pub(crate) struct Lexicon<T> {
    by_key: HashMap<String, T>,
}

impl<T: Vocabulary> Lexicon<T> {
    pub(crate) fn new() -> Self {
        let mut by_key = HashMap::new();
        for (value, words) in T::WORDS {
            for word in *words {
                by_key.entry(text::fold(word)).or_insert(*value);
            }
        }
        Self { by_key }
    }

    /// Reads a written word, naming the accepted ones when it fails.
    pub(crate) fn read(&self, written: &str) -> Result<T, Msg> {
        self.by_key
            .get(&text::fold(written))
            .copied()
            .ok_or_else(|| Msg::ValueUnknown {
                written: said(written),
                accepted: T::accepted(),
            })
    }
}

/// A refused value as a message quotes it: cleaned and shortened.
pub(crate) fn said(written: &str) -> String {
    text::shorten(&clean(written), 40)
}

/// A refused number as a message.
pub(crate) fn decimal(written: &str, err: &DecimalError) -> Msg {
    let written = said(written);
    match err {
        DecimalError::Ambiguous => Msg::DecimalAmbiguous { written },
        DecimalError::Empty | DecimalError::NotANumber => Msg::DecimalInvalid { written },
    }
}

/// A refused resistance as a message.
pub(crate) fn ohms(written: &str, err: &OhmsError) -> Msg {
    match err {
        OhmsError::Decimal(e) => decimal(written, e),
        OhmsError::Negative => Msg::ResistanceNegative {
            written: said(written),
        },
    }
}

/// A refused serial number or point code as a message.
pub(crate) fn identifier(kind: IdentifierKind, err: &IdentifierError) -> Msg {
    match err {
        IdentifierError::Empty => Msg::IdentifierEmpty { kind },
        IdentifierError::TooLong { max } => Msg::IdentifierTooLong { kind, max: *max },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrotrack_core::{EarthingMethod, InspectionKind, Outcome};
    use proptest::prelude::*;

    #[test]
    fn lexicon_reads_like_from_word() {
        let outcomes = Lexicon::<Outcome>::new();
        assert_eq!(outcomes.read("KHÔNG ĐẠT"), Ok(Outcome::Fail));
        assert_eq!(outcomes.read("Đa\u{323}t"), Ok(Outcome::Pass));
        assert!(outcomes.read("").is_err());
        let err = outcomes.read("Tốt").expect_err("unknown");
        assert_eq!(err.code(), "value.unknown");
        let err = err.render(metrotrack_core::Lang::En);
        assert!(err.starts_with("Tốt is not one of: pass (Đạt"), "{err}");
    }

    #[test]
    fn clean_is_text_clean() {
        for s in ["", "  a  ", "Đa\u{323}t", " Nguyê\u{303}n ", "Đạt"] {
            assert_eq!(clean(s), text::clean(s), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn lexicon_agrees_with_the_domain(s in "\\PC{0,12}|(?i)(kiểm định|hiệu chuẩn|kđ|3 cực|kìm|đạt|không đạt|test)") {
            prop_assert_eq!(Lexicon::<InspectionKind>::new().read(&s).ok(), InspectionKind::from_word(&s));
            prop_assert_eq!(Lexicon::<EarthingMethod>::new().read(&s).ok(), EarthingMethod::from_word(&s));
            prop_assert_eq!(Lexicon::<Outcome>::new().read(&s).ok(), Outcome::from_word(&s));
            prop_assert_eq!(clean(&s), text::clean(&s));
        }
    }
}
