//! Exports: the report and every list as CSV and XLSX, for the command line, the API and
//! the pages alike.
//!
//! A list is described once ([`tables`]): its columns (Vietnamese and English headers,
//! a width) and one function from a record to its cells. The cells are then written by
//! either format:
//!
//! - **CSV** ([`csv_bytes`]) as Excel on a Vietnamese Windows machine opens it: UTF-8 with a
//!   BOM, `;` between fields, decimal comma, dates `dd/mm/yyyy`. A text that Excel would
//!   read as a formula (it begins with `=`, `+`, `-`, `@`, a tab or a carriage return) is
//!   written with a leading apostrophe (OWASP's CSV-injection advice), and so is a text
//!   that itself begins with an apostrophe, so that the importer can take exactly one
//!   apostrophe off again ([`metrotrack_core::text::unneutralise`]) and the file round-trips.
//! - **XLSX** ([`XlsxSheet`]): real date and number cells, every text a string cell (never
//!   a formula, whatever it begins with), a bold header row, frozen panes, column widths;
//!   rows go to a temporary file as they come (rust_xlsxwriter's constant-memory mode).
//!
//! Lists are read from the store a page at a time ([`source::Rows`]) and written as they
//! come, so an export of a million rows holds one page in memory.

mod http;
mod kept;
mod source;
pub mod tables;

use std::io::Write;

use chrono::NaiveDate;
use metrotrack_core::{Lang, text};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};

pub(crate) use http::{ExportParams, ExportQuery, export_response};
pub(crate) use kept::kept_file;
pub use source::{ExportError, Rows, write_file};
pub use tables::{List, Table};

/// Rows read from the store at a time.
pub const EXPORT_PAGE: u32 = 1000;

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// Reads `csv` or `xlsx` (any case); `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    /// The media type of the file.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Rows an Excel sheet holds, its header row included.
pub const XLSX_MAX_ROWS: u32 = 1_048_576;

/// One exported cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Empty,
    /// Text, written as text whatever it begins with.
    Text(String),
    /// An exact decimal as its canonical text (`-0.056`, `2.50`).
    Number(String),
    Int(i64),
    Date(NaiveDate),
}

impl Cell {
    /// Text, or empty when absent.
    pub fn text(value: Option<&str>) -> Self {
        match value {
            Some(v) if !v.is_empty() => Self::Text(v.to_owned()),
            _ => Self::Empty,
        }
    }

    /// A decimal, or empty when absent.
    pub fn number(value: Option<&str>) -> Self {
        match value {
            Some(v) if !v.is_empty() => Self::Number(v.to_owned()),
            _ => Self::Empty,
        }
    }

    /// A date, or empty when absent.
    pub fn date(value: Option<NaiveDate>) -> Self {
        value.map_or(Self::Empty, Self::Date)
    }

    /// The cell as the CSV writes it (before the CSV's own quoting).
    fn csv_text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(t) => text::neutralise(t).into_owned(),
            Self::Number(n) => n.replace('.', ","),
            Self::Int(i) => i.to_string(),
            Self::Date(d) => d.format("%d/%m/%Y").to_string(),
        }
    }
}

/// The CSV's first bytes: the BOM and the header row.
pub fn csv_header(table: &Table, lang: Lang) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(csv_record(
        table
            .columns
            .iter()
            .map(|c| Cell::Text(c.header(lang).to_owned())),
    ));
    out
}

/// Rows as CSV lines (`;`, CRLF, quoted where needed).
pub fn csv_bytes(rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut out = Vec::new();
    for row in rows {
        out.extend(csv_record(row.iter().cloned()));
    }
    out
}

fn csv_record(cells: impl IntoIterator<Item = Cell>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let texts: Vec<String> = cells.into_iter().map(|c| c.csv_text()).collect();
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(&texts);
    writer.into_inner().unwrap_or_default()
}

/// A worksheet being written, row by row, in constant memory.
pub struct XlsxSheet {
    workbook: Workbook,
    next_row: u32,
    date: Format,
    /// Number formats by decimal places (`0`, `0.0`, `0.00`, …).
    numbers: Vec<Format>,
}

impl std::fmt::Debug for XlsxSheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxSheet")
            .field("next_row", &self.next_row)
            .finish_non_exhaustive()
    }
}

impl XlsxSheet {
    /// A workbook with one sheet named for the table, its header row written.
    pub fn new(table: &Table, lang: Lang) -> Result<Self, XlsxError> {
        let mut workbook = Workbook::new();
        workbook.set_tempdir(std::env::temp_dir())?;
        let bold = Format::new().set_bold().set_align(FormatAlign::Center);
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(table.sheet(lang))?;
        for (i, column) in table.columns.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            sheet.set_column_width(col, column.width)?;
            sheet.write_string_with_format(0, col, column.header(lang), &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        let numbers = (0..=6)
            .map(|places| {
                let pattern = if places == 0 {
                    "0".to_owned()
                } else {
                    format!("0.{}", "0".repeat(places))
                };
                Format::new().set_num_format(pattern)
            })
            .collect();
        Ok(Self {
            workbook,
            next_row: 1,
            date: Format::new().set_num_format("dd/mm/yyyy"),
            numbers,
        })
    }

    /// Appends rows; refuses a row past the last an Excel sheet holds.
    pub fn write(&mut self, rows: &[Vec<Cell>]) -> Result<(), source::ExportError> {
        let sheet = self.workbook.worksheet_from_index(0)?;
        for row in rows {
            let r = self.next_row;
            if r >= XLSX_MAX_ROWS {
                return Err(source::ExportError::TooManyRows);
            }
            for (i, cell) in row.iter().enumerate() {
                let c = u16::try_from(i).unwrap_or(u16::MAX);
                match cell {
                    Cell::Empty => {}
                    // A string cell is never a formula; only a text that begins with
                    // an apostrophe gets another, so that the importer's taking one
                    // off (`text::unneutralise`) gives it back whole.
                    Cell::Text(t) if t.starts_with('\'') => {
                        sheet.write_string(r, c, format!("'{t}"))?;
                    }
                    Cell::Text(t) => {
                        sheet.write_string(r, c, t)?;
                    }
                    Cell::Number(n) => match n.parse::<f64>() {
                        Ok(value) => {
                            let places = n.split_once('.').map_or(0, |(_, d)| d.len());
                            let format = self
                                .numbers
                                .get(places)
                                .or(self.numbers.last())
                                .cloned()
                                .unwrap_or_default();
                            sheet.write_number_with_format(r, c, value, &format)?;
                        }
                        Err(_) => {
                            sheet.write_string(r, c, n)?;
                        }
                    },
                    Cell::Int(v) => {
                        // Counts and ids: exact as f64 far past any lab's numbers.
                        #[allow(clippy::cast_precision_loss)]
                        sheet.write_number(r, c, *v as f64)?;
                    }
                    Cell::Date(d) => {
                        use chrono::Datelike;
                        let excel = ExcelDateTime::from_ymd(
                            u16::try_from(d.year()).unwrap_or(1900),
                            u8::try_from(d.month()).unwrap_or(1),
                            u8::try_from(d.day()).unwrap_or(1),
                        )?;
                        sheet.write_datetime_with_format(r, c, &excel, &self.date)?;
                    }
                }
            }
            self.next_row += 1;
        }
        Ok(())
    }

    /// Finishes the workbook into `out`.
    pub fn finish(mut self, out: impl Write + Send) -> Result<(), XlsxError> {
        self.workbook.save_to_writer(out)
    }
}
