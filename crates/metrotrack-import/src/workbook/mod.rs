//! Workbooks (`.xlsx`, `.xls`, `.ods`) read through the same header and row validator as CSV.
//!
//! A workbook is a zip archive, read whole: its bytes are spooled (in memory up to
//! [`SPOOL_IN_MEMORY`], then to a temporary file) while they are counted and hashed. Before
//! any part is unpacked, the sizes its parts declare are added up and refused past
//! [`WorkbookOptions::max_unzipped_bytes`] (the zip reader refuses a part that unpacks to
//! more than it declares); the sheet is then read cell by cell, one row in memory at a
//! time, and refused past [`WorkbookOptions::max_cells`]. An `.xls` or `.ods` is read
//! whole by calamine, so the range its sheets declare is bounded first (see [`whole`]).
//!
//! Each cell becomes the text a person would have typed: a date cell is `dd/mm/yyyy`
//! whatever its display format, a number cell the shortest decimal that is that number
//! (`-0.056`, never `-0.05600000000000001`; `42`, not `42.0`), a text cell its text.

use std::io::{self, Read, Seek, SeekFrom};

mod whole;

use calamine::{Data, DataRef, Reader, Xlsx};
use csv::StringRecord;
use metrotrack_core::{CategoryCatalog, LogKind, Msg, ParsedRow, Problem, SheetPlace};

use crate::earthing::EarthingReader;
use crate::header::Header;
use crate::inspection::InspectionReader;
use crate::options::{ReadOptions, WorkbookOptions};
use crate::row::Row;
use crate::{CHUNK_ROWS, End, RowReader};

/// Bytes of a workbook kept in memory before spooling to a temporary file.
const SPOOL_IN_MEMORY: usize = 8 * 1024 * 1024;

/// The signature a zip archive (and so an `.xlsx`) starts with.
pub(crate) fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

/// Column `0` → `A`, `26` → `AA`.
pub(crate) fn column_letters(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A number as a person types it: the shortest decimal that reads back as `f`.
pub(crate) fn number_text(f: f64) -> String {
    if f == 0.0 {
        "0".to_owned()
    } else {
        format!("{f}")
    }
}

/// The text of one cell, as the CSV saved from the workbook would write it.
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(dt) if dt.is_datetime() => match dt.as_datetime() {
            Some(at) if at.time() == chrono::NaiveTime::MIN => at.format("%d/%m/%Y").to_string(),
            Some(at) => at.format("%d/%m/%Y %H:%M").to_string(),
            None => number_text(dt.as_f64()),
        },
        DataRef::DateTime(dt) => number_text(dt.as_f64()),
        DataRef::DateTimeIso(s) => iso_date_text(s),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

/// An OpenDocument date cell's value (`2023-09-15`, `2023-09-15T08:30:00`) as a date
/// cell of a `.xlsx` reads.
fn iso_date_text(iso: &str) -> String {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        return date.format("%d/%m/%Y").to_string();
    }
    match chrono::NaiveDateTime::parse_from_str(iso, "%Y-%m-%dT%H:%M:%S%.f") {
        Ok(at) if at.time() == chrono::NaiveTime::MIN => at.format("%d/%m/%Y").to_string(),
        Ok(at) => at.format("%d/%m/%Y %H:%M").to_string(),
        Err(_) => iso.to_owned(),
    }
}

/// The text of one cell of a sheet read whole.
fn data_text(value: &Data) -> String {
    let value = match value {
        Data::Empty => DataRef::Empty,
        Data::String(s) => DataRef::SharedString(s),
        Data::Int(i) => DataRef::Int(*i),
        Data::Float(f) => DataRef::Float(*f),
        Data::Bool(b) => DataRef::Bool(*b),
        Data::DateTime(dt) => DataRef::DateTime(*dt),
        Data::DateTimeIso(s) => DataRef::DateTimeIso(s.clone()),
        Data::DurationIso(s) => DataRef::DurationIso(s.clone()),
        Data::Error(e) => DataRef::Error(e.clone()),
    };
    cell_text(&value)
}

/// Where a problem is in the workbook, appended to its message.
fn locate(problem: &mut Problem, sheet: &str, header: &Header) {
    let cell = problem.column.as_deref().and_then(|name| {
        header
            .columns
            .iter()
            .position(|c| c.written == name)
            .and_then(|i| u32::try_from(i).ok())
    });
    let line = problem.line;
    problem.locate(SheetPlace {
        sheet: sheet.to_owned(),
        cell: cell.map(|col| format!("{}{line}", column_letters(col))),
        row: (cell.is_none() && line > 0).then_some(line),
    });
}

/// A header problem, placed on its sheet's row.
fn on_row(mut problem: Problem, sheet: &str, line: u64) -> Problem {
    problem.locate(SheetPlace {
        sheet: sheet.to_owned(),
        cell: None,
        row: Some(line),
    });
    problem
}

fn fatal(msg: Msg) -> End {
    End::fatal(Problem::file(msg), false)
}

/// The signature an OLE compound file (and so an `.xls`) starts with.
pub(crate) fn is_compound(head: &[u8]) -> bool {
    head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
}

/// The kinds of workbook read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Office Open XML (`.xlsx`, `.xlsm`): a zip, its sheet streamed cell by cell.
    Xlsx,
    /// OpenDocument (`.ods`): a zip, read whole once its declared range is bounded.
    Ods,
    /// Excel 97–2003 (`.xls`): a compound file, read whole once its range is bounded.
    Xls,
}

/// A cell's place (0-based row and column) and text, or why the sheet cannot be read on.
type CellText = Result<Option<(u32, u32, String)>, String>;

/// Reads a workbook from `input` (the whole file, its first bytes included), handing its
/// rows to `on_rows` as [`crate::read_log`] does. `compound` when its first bytes are an
/// OLE compound file's (`.xls`); otherwise they are a zip's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read<R: Read>(
    mut input: R,
    compound: bool,
    kind: LogKind,
    catalog: &CategoryCatalog,
    options: &ReadOptions,
    warnings: &mut Vec<Problem>,
    columns: &mut Vec<(String, String)>,
    bytes_read: &dyn Fn() -> u64,
    on_rows: &mut impl FnMut(Vec<ParsedRow>, u64) -> bool,
) -> End {
    let mut spool = tempfile::SpooledTempFile::new(SPOOL_IN_MEMORY);
    if let Err(e) = io::copy(&mut input, &mut spool) {
        return End::from_io(&e);
    }
    if let Err(e) = spool.seek(SeekFrom::Start(0)) {
        return End::from_io(&e);
    }
    let bounds = &options.workbook;
    let format = if compound {
        Format::Xls
    } else {
        match check_unzipped_size(&mut spool, bounds) {
            Ok(format) => format,
            Err(end) => return end,
        }
    };
    if let Err(e) = spool.seek(SeekFrom::Start(0)) {
        return End::from_io(&e);
    }
    let mut sheet_reader = SheetReader {
        kind,
        catalog,
        options,
        warnings,
        columns,
        bytes_read,
    };
    if format != Format::Xlsx {
        let (sheet, range) = match whole::read_range(spool, format, options) {
            Ok(read) => read,
            Err(end) => return end,
        };
        let (top, left) = range.start().unwrap_or((0, 0));
        let mut cells = range.used_cells().map(|(r, c, value)| {
            let r = u32::try_from(r).unwrap_or(u32::MAX).saturating_add(top);
            let c = u32::try_from(c).unwrap_or(u32::MAX).saturating_add(left);
            (r, c, data_text(value))
        });
        return sheet_reader.read(&sheet, || Ok(cells.next()), on_rows);
    }
    let mut workbook = match Xlsx::new(spool) {
        Ok(w) => w,
        Err(e) => {
            return fatal(Msg::WorkbookNotReadable {
                detail: e.to_string(),
            });
        }
    };
    let sheet = match choose_sheet(&workbook.sheet_names(), bounds.sheet.as_deref()) {
        Ok(sheet) => sheet,
        Err(end) => return end,
    };
    let mut cells = match workbook.worksheet_cells_reader(&sheet) {
        Ok(cells) => cells,
        Err(e) => {
            return fatal(Msg::SheetUnreadable {
                sheet: sheet.clone(),
                detail: e.to_string(),
            });
        }
    };
    let next_cell = || -> CellText {
        match cells.next_cell() {
            Ok(Some(cell)) => {
                let (r, c) = cell.get_position();
                Ok(Some((r, c, cell_text(cell.get_value()))))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    };
    sheet_reader.read(&sheet, next_cell, on_rows)
}

/// The sheet to read: the one named (exactly, else ignoring case and outer spaces), or
/// the first.
pub(crate) fn choose_sheet(names: &[String], wanted: Option<&str>) -> Result<String, End> {
    let Some(wanted) = wanted else {
        return names
            .first()
            .cloned()
            .ok_or_else(|| fatal(Msg::WorkbookNoSheets {}));
    };
    names
        .iter()
        .find(|n| *n == wanted)
        .or_else(|| {
            names
                .iter()
                .find(|n| n.trim().to_lowercase() == wanted.trim().to_lowercase())
        })
        .cloned()
        .ok_or_else(|| {
            fatal(Msg::WorkbookNoSuchSheet {
                wanted: wanted.to_owned(),
                sheets: names.to_vec(),
            })
        })
}

/// What reading one sheet's rows needs, whatever the workbook's format.
struct SheetReader<'a, 'c> {
    kind: LogKind,
    catalog: &'c CategoryCatalog,
    options: &'a ReadOptions,
    warnings: &'a mut Vec<Problem>,
    columns: &'a mut Vec<(String, String)>,
    bytes_read: &'a dyn Fn() -> u64,
}

impl SheetReader<'_, '_> {
    /// Reads the header row, then every row, from the sheet's cells in row order.
    fn read(
        &mut self,
        sheet: &str,
        mut next_cell: impl FnMut() -> CellText,
        on_rows: &mut impl FnMut(Vec<ParsedRow>, u64) -> bool,
    ) -> End {
        let options = self.options;
        let mut sheet_rows = SheetRows {
            sheet,
            options,
            count: 0,
            pending: None,
            done: false,
        };
        let header = loop {
            let (line, record) = match sheet_rows.next(&mut next_cell) {
                Ok(Some(row)) => row,
                Ok(None) => {
                    return fatal(Msg::SheetEmpty {
                        sheet: sheet.to_owned(),
                    });
                }
                Err(end) => return end,
            };
            if crate::is_blank(&record) {
                continue;
            }
            match Header::read(self.kind, record.iter(), line, options.limits.max_columns) {
                Ok((header, header_warnings)) => {
                    self.warnings
                        .extend(header_warnings.into_iter().map(|w| on_row(w, sheet, line)));
                    *self.columns = header.named_fields();
                    break header;
                }
                Err(problems) => {
                    return End::Fatal {
                        problems: problems
                            .into_iter()
                            .map(|p| on_row(p, sheet, line))
                            .collect(),
                        drain: false,
                    };
                }
            }
        };

        let rows = match self.kind {
            LogKind::Inspections => {
                RowReader::Inspections(InspectionReader::new(self.catalog, options.date_order))
            }
            LogKind::Earthing => RowReader::Earthing(EarthingReader::new(options.date_order)),
        };
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        let end = loop {
            let (line, record) = match sheet_rows.next(&mut next_cell) {
                Ok(Some(row)) => row,
                Ok(None) => break End::Done,
                Err(end) => break end,
            };
            if crate::is_blank(&record) {
                continue;
            }
            let row = Row::new(line, &header, &record, options.limits.max_field_bytes);
            let mut parsed = match &rows {
                RowReader::Inspections(reader) => reader.read(row),
                RowReader::Earthing(reader) => reader.read(row),
            };
            if let ParsedRow::Invalid { problems, .. } = &mut parsed {
                for problem in problems {
                    locate(problem, sheet, &header);
                }
            }
            chunk.push(parsed);
            if chunk.len() >= CHUNK_ROWS {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                if !on_rows(full, (self.bytes_read)()) {
                    return End::Stopped;
                }
            }
        };
        if matches!(end, End::Fatal { .. }) {
            return end;
        }
        if !chunk.is_empty() && !on_rows(chunk, (self.bytes_read)()) {
            return End::Stopped;
        }
        end
    }
}

/// Adds up the sizes the archive's parts declare; past the bound, the workbook is refused.
/// An archive holding `content.xml` and no `xl/workbook.xml` is an OpenDocument one.
fn check_unzipped_size<R: Read + Seek>(input: R, bounds: &WorkbookOptions) -> Result<Format, End> {
    let mut archive = zip::ZipArchive::new(input).map_err(|e| {
        fatal(Msg::WorkbookCorrupt {
            detail: e.to_string(),
        })
    })?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let part = archive.by_index_raw(i).map_err(|e| {
            fatal(Msg::WorkbookPartUnreadable {
                part: i,
                detail: e.to_string(),
            })
        })?;
        total = total.saturating_add(part.size());
        if total > bounds.max_unzipped_bytes {
            return Err(fatal(Msg::WorkbookTooLarge {
                limit_bytes: bounds.max_unzipped_bytes,
                part: part.name().unwrap_or_default().into_owned(),
                part_bytes: part.size(),
            }));
        }
    }
    let ods = archive.index_for_name("content.xml").is_some()
        && archive.index_for_name("xl/workbook.xml").is_none();
    Ok(if ods { Format::Ods } else { Format::Xlsx })
}

/// The rows of a sheet as text records, from its cells in file order.
struct SheetRows<'s> {
    sheet: &'s str,
    options: &'s ReadOptions,
    count: u64,
    /// The first cell of the next row, read while finishing the previous one.
    pending: Option<(u32, u32, String)>,
    done: bool,
}

impl SheetRows<'_> {
    /// The next row (its 1-based number and its cells' texts), `None` after the last.
    fn next(
        &mut self,
        mut next_cell: impl FnMut() -> CellText,
    ) -> Result<Option<(u64, StringRecord)>, End> {
        let mut fields: Vec<String> = Vec::new();
        let mut row = None;
        if let Some((r, c, text)) = self.pending.take() {
            row = Some(r);
            self.put(&mut fields, r, c, text)?;
        }
        while !self.done {
            let cell = next_cell().map_err(|detail| {
                fatal(Msg::SheetUnreadablePast {
                    sheet: self.sheet.to_owned(),
                    row: row.map_or(0, |r| u64::from(r) + 1),
                    detail,
                })
            })?;
            let Some((r, c, text)) = cell else {
                self.done = true;
                break;
            };
            self.count += 1;
            if self.count > self.options.workbook.max_cells {
                return Err(fatal(Msg::SheetTooManyCells {
                    sheet: self.sheet.to_owned(),
                    max: self.options.workbook.max_cells,
                }));
            }
            match row {
                None => row = Some(r),
                Some(current) if current != r => {
                    self.pending = Some((r, c, text));
                    break;
                }
                Some(_) => {}
            }
            self.put(&mut fields, r, c, text)?;
        }
        Ok(row.map(|r| (u64::from(r) + 1, StringRecord::from(fields))))
    }

    /// Puts a cell's text in its column, refusing a column past the bound.
    fn put(&self, fields: &mut Vec<String>, row: u32, col: u32, text: String) -> Result<(), End> {
        if text.is_empty() {
            return Ok(());
        }
        let max = self.options.limits.max_columns;
        let at = usize::try_from(col).unwrap_or(usize::MAX);
        if at >= max {
            return Err(fatal(Msg::SheetTooManyColumns {
                sheet: self.sheet.to_owned(),
                cell: format!("{}{}", column_letters(col), u64::from(row) + 1),
                max,
            }));
        }
        if fields.len() <= at {
            fields.resize(at + 1, String::new());
        }
        fields[at] = text;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_excel_does() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(2), "C");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn numbers_keep_the_digits_typed() {
        assert_eq!(number_text(-0.056), "-0.056");
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(number_text(42.0), "42");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(number_text(1e21), "1000000000000000000000");
    }
}
