//! The message catalogue: every problem and warning a log import reports, as a stable
//! code with its arguments, rendered in Vietnamese or English.
//!
//! A [`Msg`] is stored and sent as `{"code": "date.impossible", "args": {...}}`, so a
//! stored batch reads in either language. Each language's text is an exhaustive `match`:
//! a message without a text does not compile, and [`Msg::every`] lists every code for
//! the test that no text is empty or left untranslated.

use serde::{Deserialize, Serialize};

use crate::report::Lang;

mod en;
mod vi;

/// Declares the catalogue: the enum (adjacently tagged as `code` + `args`), each
/// variant's code, and one instance of every variant (default arguments) for tests.
macro_rules! catalogue {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal { $($field:ident : $ty:ty),* $(,)? } ),* $(,)?) => {
        /// One message of the catalogue: its code and arguments.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "code", content = "args")]
        pub enum Msg {
            $( $(#[$doc])* #[serde(rename = $code)] $variant { $($field: $ty),* }, )*
        }

        impl Msg {
            /// The stable code, e.g. `date.impossible`.
            pub fn code(&self) -> &'static str {
                match self {
                    $( Self::$variant { .. } => $code, )*
                }
            }

            /// One message of every code, with default arguments.
            pub fn every() -> Vec<Self> {
                vec![ $( Self::$variant { $($field: Default::default()),* }, )* ]
            }
        }
    };
}

/// Where a record that a row clashes with came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum Whence {
    /// An earlier row of the same file.
    ThisFile { line: i64 },
    /// A row of another stored batch.
    Batch { batch: i64, line: i64 },
    /// Another stored batch, line unknown.
    BatchOnly { batch: i64 },
    /// Entered directly (no batch).
    #[default]
    Direct,
}

/// Which lab-unique number of an inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    #[default]
    Certificate,
    Stamp,
}

/// Which kind of identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    #[default]
    SerialNumber,
    PointCode,
}

catalogue! {
    // Dates.
    /// A date with a time of day that is not midnight.
    DateHasTime = "date.has_time" { written: String, time: String },
    /// Not a date at all.
    DateInvalid = "date.invalid" { written: String },
    /// `2023/09/15` under day-first reading.
    DateYearFirst = "date.year_first" { written: String, separator: String },
    DateTwoDigitYear = "date.two_digit_year" { written: String },
    DateYearOutOfRange = "date.year_out_of_range" { written: String, year: String, min: i32, max: i32 },
    DateNoSuchMonth = "date.no_such_month" { written: String, month: u32, year_first: bool },
    /// `31/02/2023`.
    DateImpossible = "date.impossible" { written: String, month: u32, year: i32, days: u32, year_first: bool },

    // Cells.
    /// A word not among an enumeration's accepted words.
    ValueUnknown = "value.unknown" { written: String, accepted: String },
    /// Not a number.
    DecimalInvalid = "decimal.invalid" { written: String },
    /// `1.234,5`: grouping or more than one separator.
    DecimalAmbiguous = "decimal.ambiguous" { written: String },
    ResistanceNegative = "resistance.negative" { written: String },
    IdentifierEmpty = "identifier.empty" { kind: IdentifierKind },
    IdentifierTooLong = "identifier.too_long" { kind: IdentifierKind, max: usize },
    CategoryUnknown = "category.unknown" { written: String, known: String },
    FieldRequired = "field.required" { column: String },
    FieldTooLong = "field.too_long" { limit_bytes: u64 },
    ResultRequired = "result.required_for_verification" {},
    ValidUntilAfterFail = "valid_until.after_fail" {},
    ValidUntilBeforeDate = "valid_until.before_date" { valid_until: String, date: String },

    // Rows.
    RowTooManyFields = "row.too_many_fields" { fields: usize, width: usize },
    RowUnreadable = "row.unreadable" {},
    InspectionInEarthingLog = "row.inspection_in_earthing_log" {},
    EarthingInInspectionsLog = "row.earthing_in_inspections_log" {},

    // The header.
    HeaderTooManyColumns = "header.too_many_columns" { found: usize, max: usize },
    ColumnDuplicate = "column.duplicate" { first: String, second: String, field: String },
    RowNumberColumnIgnored = "row_number_column.ignored" {},
    ColumnUnknown = "column.unknown" {},
    ColumnUnnamed = "column.unnamed" { position: usize },
    /// `found`: the headers the file has, quoted and shortened; empty when none.
    ColumnMissing = "column.missing" { field: String, accepted: String, found: String },
    /// Uploaded as an inspections log, but the header has every required column of an
    /// earthing log (and lacks the inspections log's): one problem instead of one per
    /// missing column. `missing`: the inspections log's columns it lacks.
    LooksLikeEarthing = "header.looks_like_earthing" { missing: String },
    /// The reverse: uploaded as an earthing log, but the header is an inspections log's.
    LooksLikeInspections = "header.looks_like_inspections" { missing: String },

    // The file.
    FileEmpty = "file.empty" {},
    FileTooLarge = "file.too_large" { limit_bytes: u64 },
    RecordTooLong = "record.too_long" { line: u64, limit_bytes: u64, open_quote: bool },
    FileNul = "file.nul" { line: u64 },
    EncodingMalformed = "encoding.malformed" { encoding: String, offset: u64, line: u64, detected: bool },
    EncodingNotUtf8 = "encoding.not_utf8" {},
    FileNotCsv = "file.not_csv" { detail: String },
    FileUnreadable = "file.unreadable" { detail: String },
    FileBinary = "file.binary" { offset: u64, old_excel: bool },
    /// `delimiter`: the character quoted as Rust writes it (`'"'`, `'\n'`).
    DelimiterInvalid = "delimiter.invalid" { delimiter: String },

    // Workbooks.
    WorkbookNamedButNot = "workbook.not_a_workbook" {},
    WorkbookNotReadable = "workbook.unreadable" { detail: String },
    WorkbookCorrupt = "workbook.corrupt" { detail: String },
    WorkbookPartUnreadable = "workbook.part_unreadable" { part: usize, detail: String },
    WorkbookTooLarge = "workbook.too_large" { limit_bytes: u64, part: String, part_bytes: u64 },
    WorkbookNoSheets = "workbook.no_sheets" {},
    WorkbookNoSuchSheet = "workbook.no_such_sheet" { wanted: String, sheets: Vec<String> },
    SheetUnreadable = "sheet.unreadable" { sheet: String, detail: String },
    SheetUnreadablePast = "sheet.unreadable_past" { sheet: String, row: u64, detail: String },
    SheetEmpty = "sheet.empty" { sheet: String },
    SheetTooManyCells = "sheet.too_many_cells" { sheet: String, max: u64 },
    SheetTooManyColumns = "sheet.too_many_columns" { sheet: String, cell: String, max: usize },
    /// An `.xls` or `.ods` (read whole) whose sheets declare too large a rectangle.
    WorkbookRangeTooLarge = "workbook.range_too_large" { sheet: String, rows: u64, columns: u64, max_cells: u64, max_columns: usize },

    // Amendments.
    AmendmentUnknownField = "amendment.unknown_field" { fields: String },
    AmendmentUnreadable = "amendment.unreadable" { detail: Option<String> },

    // Forms on the pages.
    FormPeriodInvalid = "form.period_invalid" { written: String },
    FormYearOutOfRange = "form.year_out_of_range" { year: i32 },
    FormMetricUnknown = "form.metric_unknown" { written: String },
    FormCategoryInvalid = "form.category_invalid" { written: String },
    FormTargetInvalid = "form.target_invalid" { written: String },
    FormKindUnknown = "form.kind_unknown" { written: String },
    FormNoFile = "form.no_file" {},
    PlanCategoryNotApplicable = "plan.category_not_applicable" { metric: String },

    // What the store finds.
    InspectionConflict = "conflict.inspection" { fields: Vec<String>, stored: Option<String>, whence: Whence },
    TestConflict = "conflict.earthing_test" { fields: Vec<String>, stored: Option<String>, whence: Whence },
    NumberInUse = "number.in_use" { kind: NumberKind, number: String, whence: Whence },
    InspectionClash = "clash.inspection" {},
    TestClash = "clash.earthing_test" {},
    PointMissing = "point.missing" {},
}

/// `268435456` → `256 MiB`, `65536` → `64 KiB`.
pub fn human_bytes(n: u64, lang: Lang) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        match lang {
            Lang::Vi => format!("{n} byte"),
            Lang::En => format!("{n} bytes"),
        }
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Msg {
    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match lang {
            Lang::Vi => self.vi(),
            Lang::En => self.en(),
        }
    }
}

/// A refused period of a form.
pub fn period_error(written: &str, err: &crate::period::PeriodError) -> Msg {
    use crate::period::PeriodError;
    match err {
        PeriodError::YearOutOfRange(year) => Msg::FormYearOutOfRange { year: *year },
        PeriodError::Malformed(_) | PeriodError::UnknownScheme(_) => Msg::FormPeriodInvalid {
            written: written.to_owned(),
        },
    }
}

/// A refused plan target.
pub fn plan_error(err: &crate::plan::PlanError) -> Msg {
    use crate::plan::PlanError;
    match err {
        PlanError::ZeroTarget => Msg::FormTargetInvalid {
            written: "0".to_owned(),
        },
        PlanError::CategoryNotApplicable(metric) => Msg::PlanCategoryNotApplicable {
            metric: metric.as_str().to_owned(),
        },
    }
}

/// Where in a workbook a problem is: the sheet, and the cell or row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetPlace {
    pub sheet: String,
    /// `B5`, when the problem is in one cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// The sheet's row, when the problem is in a row but no one cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
}

impl SheetPlace {
    /// ` (sheet "Sổ", cell B5)`, appended to a message.
    pub fn suffix(&self, lang: Lang) -> String {
        let sheet = &self.sheet;
        match (lang, &self.cell, self.row) {
            (Lang::Vi, Some(cell), _) => format!(" (trang tính \"{sheet}\", ô {cell})"),
            (Lang::Vi, None, Some(row)) => format!(" (trang tính \"{sheet}\", hàng {row})"),
            (Lang::Vi, None, None) => format!(" (trang tính \"{sheet}\")"),
            (Lang::En, Some(cell), _) => format!(" (sheet \"{sheet}\", cell {cell})"),
            (Lang::En, None, Some(row)) => format!(" (sheet \"{sheet}\", row {row})"),
            (Lang::En, None, None) => format!(" (sheet \"{sheet}\")"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Messages whose two texts may be the same: none today.
    const SAME_IN_BOTH: &[&str] = &[];

    #[test]
    fn every_code_has_a_vietnamese_and_an_english_text() {
        let every = Msg::every();
        let mut codes = HashSet::new();
        for msg in &every {
            let code = msg.code();
            assert!(codes.insert(code), "code {code} used twice");
            assert!(
                code.contains('.')
                    && code.chars().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || c == '.'
                        || c == '_'),
                "code {code} is not dotted snake case"
            );
            let (vi, en) = (msg.render(Lang::Vi), msg.render(Lang::En));
            assert!(!vi.trim().is_empty(), "{code}: no Vietnamese text");
            assert!(!en.trim().is_empty(), "{code}: no English text");
            if !SAME_IN_BOTH.contains(&code) {
                assert_ne!(vi, en, "{code}: the Vietnamese text is the English one");
            }
            // Vietnamese texts are written in Vietnamese: each has a letter only
            // Vietnamese writes (a diacritic), so an English text pasted in is caught.
            assert!(
                vi.chars().any(|c| {
                    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
                        .contains(c.to_lowercase().next().unwrap_or(c))
                }),
                "{code}: {vi:?} has no Vietnamese letter"
            );
        }
        assert!(every.len() >= 50, "the catalogue lists {}", every.len());
    }

    #[test]
    fn a_message_is_stored_as_its_code_and_arguments() {
        let msg = Msg::DateImpossible {
            written: "31/02/2023".into(),
            month: 2,
            year: 2023,
            days: 28,
            year_first: false,
        };
        let json = serde_json::to_value(&msg).expect("serialises");
        assert_eq!(json["code"], "date.impossible");
        assert_eq!(json["args"]["written"], "31/02/2023");
        assert_eq!(json["args"]["days"], 28);
        let back: Msg = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, msg);
        assert_eq!(
            msg.render(Lang::Vi),
            "31/02/2023 không phải là ngày hợp lệ: tháng 2/2023 chỉ có 28 ngày; ngày được đọc theo thứ tự ngày/tháng/năm (dd/mm/yyyy)"
        );
        assert_eq!(
            msg.render(Lang::En),
            "31/02/2023 is not a date: February 2023 has 28 days; dates are read day-first (dd/mm/yyyy)"
        );
        for msg in Msg::every() {
            let json = serde_json::to_string(&msg).expect("serialises");
            let back: Msg = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, msg, "{json}");
        }
    }
}
