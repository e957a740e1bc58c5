//! The catalogue's English texts.

use super::*;

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const SAVE_AGAIN_EN: &str = "save it again from Excel as .xlsx, or as CSV";

fn reading_en(year_first: bool) -> &'static str {
    if year_first {
        "dates written year-first are read yyyy-mm-dd"
    } else {
        "dates are read day-first (dd/mm/yyyy)"
    }
}

fn identifier_en(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::SerialNumber => "the serial number",
        IdentifierKind::PointCode => "the point code",
    }
}

fn differ(fields: &[String]) -> &'static str {
    if fields.len() == 1 {
        "differs"
    } else {
        "differ"
    }
}

impl Whence {
    pub(super) fn en(&self) -> String {
        match self {
            Self::ThisFile { line } => format!("earlier in this file, line {line}"),
            Self::Batch { batch, line } => format!("from batch {batch}, line {line}"),
            Self::BatchOnly { batch } => format!("from batch {batch}"),
            Self::Direct => "entered directly".to_owned(),
        }
    }
}

impl Msg {
    #[allow(clippy::too_many_lines)]
    pub(super) fn en(&self) -> String {
        let b = |n: u64| human_bytes(n, Lang::En);
        match self {
            Self::DateHasTime { written, time } => format!(
                "{written} has a time of day ({time}); write the date only, e.g. 15/09/2023"
            ),
            Self::DateInvalid { written } => format!(
                "{written} is not a date; write it day-first as dd/mm/yyyy, e.g. 15/09/2023"
            ),
            Self::DateYearFirst { written, separator } => format!(
                "{written} is written year-first with '{separator}'; dates are read day-first (dd/mm/yyyy) or as ISO yyyy-mm-dd, or set the date order to ymd"
            ),
            Self::DateTwoDigitYear { written } => format!(
                "{written} has a two-digit year; write the year in full, e.g. 15/09/2023"
            ),
            Self::DateYearOutOfRange {
                written,
                year,
                min,
                max,
            } => format!(
                "{written} has the year {year}, which cannot be right; write a year from {min} to {max}"
            ),
            Self::DateNoSuchMonth {
                written,
                month,
                year_first,
            } => format!(
                "{written} is not a date: there is no month {month}; {}",
                reading_en(*year_first)
            ),
            Self::DateImpossible {
                written,
                month,
                year,
                days,
                year_first,
            } => {
                let name = (*month as usize)
                    .checked_sub(1)
                    .and_then(|i| MONTHS_EN.get(i))
                    .copied()
                    .unwrap_or("that month");
                format!(
                    "{written} is not a date: {name} {year} has {days} days; {}",
                    reading_en(*year_first)
                )
            }
            Self::ValueUnknown { written, accepted } => {
                format!("{written} is not one of: {accepted}")
            }
            Self::DecimalInvalid { written } => format!("{written} is not a number"),
            Self::DecimalAmbiguous { written } => format!(
                "{written} uses digit grouping or more than one separator; write one decimal separator, `.` or `,` (e.g. 1234.5)"
            ),
            Self::ResistanceNegative { written } => {
                format!("{written} is negative; a resistance is 0 Ω or more")
            }
            Self::IdentifierEmpty { kind } => format!("{} is empty", identifier_en(*kind)),
            Self::IdentifierTooLong { kind, max } => {
                format!("{} is longer than {max} characters", identifier_en(*kind))
            }
            Self::CategoryUnknown { written, known } => format!(
                "{written} is not a known instrument category; use a code or a name of one of: {known}"
            ),
            Self::FieldRequired { column } => format!("is empty; {column} is required"),
            Self::FieldTooLong { limit_bytes } => format!(
                "is longer than {}, the most a field may hold",
                b(*limit_bytes)
            ),
            Self::ResultRequired {} => {
                "is empty; a verification needs a result (Đạt / Không đạt, or pass / fail)"
                    .to_owned()
            }
            Self::ValidUntilAfterFail {} => {
                "a failed inspection has no valid-until date; leave it empty".to_owned()
            }
            Self::ValidUntilBeforeDate { valid_until, date } => {
                format!("valid-until {valid_until} is before the inspection date {date}")
            }
            Self::RowTooManyFields { fields, width } => format!(
                "row has {fields} fields, the header has {width}; is a delimiter or quote out of place?"
            ),
            Self::RowUnreadable {} => "the row could not be read".to_owned(),
            Self::InspectionInEarthingLog {} => "an inspection row in an earthing log".to_owned(),
            Self::EarthingInInspectionsLog {} => {
                "an earthing row in an inspections log".to_owned()
            }
            Self::HeaderTooManyColumns { found, max } => {
                format!("the header has {found} columns; at most {max} are allowed")
            }
            Self::ColumnDuplicate {
                first,
                second,
                field,
            } => format!(
                "columns {first:?} and {second:?} both mean {field}; keep one of them"
            ),
            Self::RowNumberColumnIgnored {} => "row-number column ignored".to_owned(),
            Self::ColumnUnknown {} => "unknown column, ignored".to_owned(),
            Self::ColumnUnnamed { position } => {
                format!("column {position} has no header; its values are ignored")
            }
            Self::ColumnMissing {
                field,
                accepted,
                found,
            } => {
                let found = if found.is_empty() { "none" } else { found };
                format!(
                    "the required column {field} is missing (accepted headers: {accepted}); headers found: {found}"
                )
            }
            Self::LooksLikeEarthing { missing } => format!(
                "this looks like an earthing log: its header has every column of an earthing log but it was uploaded as an inspections log (missing {missing}); choose “earthing” and upload it again"
            ),
            Self::LooksLikeInspections { missing } => format!(
                "this looks like an inspections log: its header has every column of an inspections log but it was uploaded as an earthing log (missing {missing}); choose “inspections” and upload it again"
            ),
            Self::FileEmpty {} => "the file is empty: no header row".to_owned(),
            Self::FileTooLarge { limit_bytes } => format!(
                "the file is larger than {}; split it into smaller files",
                b(*limit_bytes)
            ),
            Self::RecordTooLong {
                line,
                limit_bytes,
                open_quote,
            } => format!(
                "the record starting on line {line} is longer than {}{}",
                b(*limit_bytes),
                if *open_quote {
                    "; a quote (\") may have been left open"
                } else {
                    ""
                }
            ),
            Self::FileNul { line } => {
                format!("this is not a text CSV file (a NUL character on line {line})")
            }
            Self::EncodingMalformed {
                encoding,
                offset,
                line,
                detected,
            } => format!(
                "{}the text is not valid {encoding} (bad bytes at byte {offset}){}; save the file as UTF-8 CSV, or give its encoding (a file from an old Vietnamese Windows machine is windows-1258: on the command line, --encoding windows-1258)",
                if *line > 0 {
                    format!("line {line}: ")
                } else {
                    String::new()
                },
                if *detected {
                    ", although the file reads as that up to there"
                } else {
                    ""
                }
            ),
            Self::EncodingNotUtf8 {} => "contains text that is not valid UTF-8; save the file as UTF-8 CSV or give its encoding".to_owned(),
            Self::FileNotCsv { detail } => format!("the file could not be read as CSV: {detail}"),
            Self::FileUnreadable { detail } => format!("the file could not be read: {detail}"),
            Self::FileBinary { offset, old_excel } => format!(
                "this is not a text CSV file (binary data at byte {offset}){}",
                if *old_excel {
                    "; it looks like an old Excel workbook (.xls): save it as .xlsx or as CSV"
                } else {
                    ""
                }
            ),
            Self::DelimiterInvalid { delimiter } => {
                format!("{delimiter} cannot be the delimiter; use ',', ';' or a tab")
            }
            Self::WorkbookNamedButNot {} => "this file is named as a workbook (.xlsx, .xls, .ods) but is not one; save it again from Excel as .xlsx, or name it .csv if it is CSV text".to_owned(),
            Self::WorkbookNotReadable { detail } => format!(
                "this file is not a workbook (.xlsx, .xls, .ods) that can be read ({detail}); {SAVE_AGAIN_EN}"
            ),
            Self::WorkbookCorrupt { detail } => format!(
                "this file starts like an Excel workbook (.xlsx, a zip archive) but cannot be read as one ({detail}); {SAVE_AGAIN_EN}"
            ),
            Self::WorkbookPartUnreadable { part, detail } => format!(
                "the workbook's part {part} cannot be read ({detail}); {SAVE_AGAIN_EN}"
            ),
            Self::WorkbookTooLarge {
                limit_bytes,
                part,
                part_bytes,
            } => format!(
                "the workbook unpacks to more than {} (its part {part} alone to {}); split it into smaller workbooks",
                b(*limit_bytes),
                b(*part_bytes)
            ),
            Self::WorkbookNoSheets {} => "the workbook has no sheet".to_owned(),
            Self::WorkbookNoSuchSheet { wanted, sheets } => format!(
                "the workbook has no sheet named \"{wanted}\"; its sheets: {}",
                quoted_list(sheets)
            ),
            Self::SheetUnreadable { sheet, detail } => {
                format!("sheet \"{sheet}\" cannot be read: {detail}")
            }
            Self::SheetUnreadablePast { sheet, row, detail } => format!(
                "sheet \"{sheet}\" cannot be read past row {row} ({detail}); {SAVE_AGAIN_EN}"
            ),
            Self::SheetEmpty { sheet } => format!("sheet \"{sheet}\" is empty: no header row"),
            Self::SheetTooManyCells { sheet, max } => format!(
                "sheet \"{sheet}\" has more than {max} cells; split it into smaller workbooks"
            ),
            Self::SheetTooManyColumns { sheet, cell, max } => {
                format!("sheet \"{sheet}\", cell {cell}: a log has at most {max} columns")
            }
            Self::WorkbookRangeTooLarge {
                sheet,
                rows,
                columns,
                max_cells,
                max_columns,
            } => format!(
                "sheet \"{sheet}\" declares {rows} rows × {columns} columns; an .xls or .ods workbook is read whole into memory, so it may hold at most {max_cells} cells (all sheets together) and {max_columns} columns: delete the empty rows and columns past the log, or save it as .xlsx or CSV"
            ),
            Self::AmendmentUnknownField { fields } => {
                format!("is not a field of this record; the fields are: {fields}")
            }
            Self::AmendmentUnreadable { detail } => match detail {
                Some(d) => format!("the amended record could not be read: {d}"),
                None => "the amended record could not be read".to_owned(),
            },
            Self::FormPeriodInvalid { written } => format!(
                "{written:?} is not a period; write 2023-10 (month), 2023-Q1 (quarter), 2023-H1 (half-year) or 2023 (year)"
            ),
            Self::FormYearOutOfRange { year } => format!("year {year} is outside 1900..=9999"),
            Self::FormMetricUnknown { written } => format!(
                "{written:?} is not a metric; use instruments_inspected, inspections or earthing_points_measured"
            ),
            Self::FormCategoryInvalid { written } => format!(
                "a category code is 1 to 16 letters, digits, `-` or `_` (got {written:?})"
            ),
            Self::FormTargetInvalid { written } => {
                format!("{written:?}: a target is a whole number of at least 1")
            }
            Self::FormKindUnknown { written } => {
                format!("{written:?} is not a kind of log; choose inspections or earthing")
            }
            Self::FormNoFile {} => "no file was chosen to upload".to_owned(),
            Self::PlanCategoryNotApplicable { metric } => format!(
                "{metric} counts earthing points and cannot be narrowed to an instrument category"
            ),
            Self::InspectionConflict {
                fields,
                stored,
                whence,
            } => format!(
                "conflicts with the record already stored for this instrument, kind and date ({}): {} {} (stored: {}); corrections go through amendments",
                whence.en(),
                fields.join(", "),
                differ(fields),
                stored.as_deref().unwrap_or("empty")
            ),
            Self::TestConflict {
                fields,
                stored,
                whence,
            } => format!(
                "conflicts with the test already stored for this point and date ({}): {} {} (stored: {}); corrections go through amendments",
                whence.en(),
                fields.join(", "),
                differ(fields),
                stored.as_deref().unwrap_or("empty")
            ),
            Self::NumberInUse {
                kind,
                number,
                whence,
            } => {
                let what = match kind {
                    NumberKind::Certificate => "certificate",
                    NumberKind::Stamp => "stamp",
                };
                format!(
                    "{what} number {number} is already used by another inspection ({}); a {what} number is unique within the lab",
                    whence.en()
                )
            }
            Self::InspectionClash {} => {
                "could not be stored: it clashes with a stored inspection".to_owned()
            }
            Self::TestClash {} => {
                "could not be stored: it clashes with a stored earthing test".to_owned()
            }
            Self::PointMissing {} => {
                "could not be stored: its earthing point was not found".to_owned()
            }
        }
    }
}
