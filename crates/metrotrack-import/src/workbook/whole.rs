//! `.xls` and `.ods` workbooks, which calamine reads whole into memory: every sheet at
//! once, each as the dense rectangle from its first used cell to its last.
//!
//! A few bytes can declare a huge rectangle (an `.ods` row repeated a million times, two
//! `.xls` cells at `A1` and `IV65536`), so before calamine is called the rectangle each
//! sheet declares is worked out by streaming the file's records, and the workbook is
//! refused when a sheet is wider than [`crate::Limits::max_columns`] or the sheets hold
//! more than [`crate::WorkbookOptions::whole_cells_bound`] cells together.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek};

use calamine::{Data, Ods, Range, Reader, Xls};
use metrotrack_core::Msg;
use quick_xml::events::{BytesStart, Event};

use super::{Format, choose_sheet, fatal};
use crate::End;
use crate::options::ReadOptions;

/// The rectangle one sheet declares: rows × columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Extent {
    pub sheet: String,
    pub rows: u64,
    pub columns: u64,
}

/// Reads the sheet `options` choose from an `.xls` or `.ods`, once its range is bounded.
pub(super) fn read_range<RS: Read + Seek>(
    mut file: RS,
    format: Format,
    options: &ReadOptions,
) -> Result<(String, Range<Data>), End> {
    let extents = match format {
        Format::Ods => ods_extents(&mut file),
        _ => xls_extents(&mut file),
    }
    .map_err(|detail| fatal(Msg::WorkbookNotReadable { detail }))?;
    check_extents(&extents, options)?;
    file.rewind().map_err(|e| {
        fatal(Msg::WorkbookNotReadable {
            detail: e.to_string(),
        })
    })?;
    let unreadable = |detail: String| fatal(Msg::WorkbookNotReadable { detail });
    let wanted = options.workbook.sheet.as_deref();
    // The workbook is dropped as soon as its one sheet is taken.
    match format {
        Format::Ods => {
            let mut book = Ods::new(file).map_err(|e| unreadable(e.to_string()))?;
            let sheet = choose_sheet(&book.sheet_names(), wanted)?;
            let range = book
                .worksheet_range(&sheet)
                .map_err(|e| sheet_unreadable(&sheet, e.to_string()))?;
            Ok((sheet, range))
        }
        _ => {
            let mut book = Xls::new(file).map_err(|e| unreadable(e.to_string()))?;
            let sheet = choose_sheet(&book.sheet_names(), wanted)?;
            let range = book
                .worksheet_range(&sheet)
                .map_err(|e| sheet_unreadable(&sheet, e.to_string()))?;
            Ok((sheet, range))
        }
    }
}

fn sheet_unreadable(sheet: &str, detail: String) -> End {
    fatal(Msg::SheetUnreadable {
        sheet: sheet.to_owned(),
        detail,
    })
}

/// Refuses a sheet wider than a log may be, or sheets holding too many cells together.
fn check_extents(extents: &[Extent], options: &ReadOptions) -> Result<(), End> {
    let max_cells = options.workbook.whole_cells_bound();
    let max_columns = options.limits.max_columns;
    let mut total: u64 = 0;
    for extent in extents {
        total = total.saturating_add(extent.rows.saturating_mul(extent.columns));
        let too_wide = usize::try_from(extent.columns).map_or(true, |c| c > max_columns);
        if too_wide || total > max_cells {
            return Err(fatal(Msg::WorkbookRangeTooLarge {
                sheet: extent.sheet.clone(),
                rows: extent.rows,
                columns: extent.columns,
                max_cells,
                max_columns,
            }));
        }
    }
    Ok(())
}

/// The used rectangle of each table in an `.ods`'s `content.xml`, rows and columns
/// repeated as declared, streamed. Empty cells past a row's last value and empty rows
/// past a table's last value are not counted (calamine does not keep them either).
pub(crate) fn ods_extents<RS: Read + Seek>(file: RS) -> Result<Vec<Extent>, String> {
    let mut archive = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    let content = archive
        .by_name("content.xml")
        .map_err(|e| format!("content.xml: {e}"))?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(content));
    reader.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut extents = Vec::new();
    let mut table: Option<TableScan> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("content.xml: {e}"))?;
        match event {
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                table = Some(TableScan::new(attr(&e, "table:name")?.unwrap_or_default()));
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                if let Some(scan) = table.take() {
                    extents.push(scan.extent());
                }
            }
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(scan) = &mut table {
                    scan.row_begins(repeats(&e, "table:number-rows-repeated")?);
                }
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(scan) = &mut table {
                    scan.row_begins(repeats(&e, "table:number-rows-repeated")?);
                    scan.row_ends();
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(scan) = &mut table {
                    scan.row_ends();
                }
            }
            ref ev @ (Event::Start(ref e) | Event::Empty(ref e))
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                if let Some(scan) = &mut table {
                    let filled = matches!(ev, Event::Start(_))
                        || attr(e, "office:value-type")?.is_some()
                        || attr(e, "table:formula")?.is_some();
                    scan.cell(repeats(e, "table:number-columns-repeated")?, filled);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(extents)
}

/// Reading one `.ods` table's rows.
#[derive(Debug)]
struct TableScan {
    name: String,
    /// Rows before the current one, repeats counted.
    row_at: u64,
    /// The current row's repeat count, columns so far and width to its last value.
    row_repeats: u64,
    column_at: u64,
    row_width: u64,
    first_filled: Option<u64>,
    end_filled: u64,
    width: u64,
}

impl TableScan {
    fn new(name: String) -> Self {
        Self {
            name,
            row_at: 0,
            row_repeats: 1,
            column_at: 0,
            row_width: 0,
            first_filled: None,
            end_filled: 0,
            width: 0,
        }
    }

    fn row_begins(&mut self, repeats: u64) {
        self.row_repeats = repeats;
        self.column_at = 0;
        self.row_width = 0;
    }

    fn cell(&mut self, repeats: u64, filled: bool) {
        self.column_at = self.column_at.saturating_add(repeats);
        if filled {
            self.row_width = self.column_at;
        }
    }

    fn row_ends(&mut self) {
        let next = self.row_at.saturating_add(self.row_repeats);
        if self.row_width > 0 {
            self.first_filled.get_or_insert(self.row_at);
            self.end_filled = next;
            self.width = self.width.max(self.row_width);
        }
        self.row_at = next;
        self.row_repeats = 1;
        self.row_width = 0;
    }

    fn extent(self) -> Extent {
        let rows = self
            .first_filled
            .map_or(0, |first| self.end_filled.saturating_sub(first));
        Extent {
            sheet: self.name,
            rows,
            columns: if rows == 0 { 0 } else { self.width },
        }
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => Ok(Some(a.value.into_owned())),
        Ok(None) => Ok(None),
        Err(err) => Err(format!("content.xml: {err}")),
    }
}

/// A `number-…-repeated` count; a count that is not a number is an unreadable file.
fn repeats(e: &BytesStart<'_>, name: &str) -> Result<u64, String> {
    match attr(e, name)? {
        None => Ok(1),
        Some(n) => n
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("content.xml: {name} = {n:?}")),
    }
}

/// BIFF record types that hold one cell, its row and column in their first four bytes.
const ONE_CELL: [u16; 7] = [
    0x0203, // Number
    0x0204, // Label
    0x00FD, // LabelSst
    0x027E, // Rk
    0x0205, // BoolErr
    0x0006, // Formula
    0x00D6, // RString
];
const MUL_RK: u16 = 0x00BD;
const DIMENSIONS: u16 = 0x0200;
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const BOUND_SHEET: u16 = 0x0085;

/// The rectangle each sheet of an `.xls` declares (its `Dimensions` record) or fills (from
/// its first to its last cell), whichever is larger, from the workbook stream's records.
pub(crate) fn xls_extents<RS: Read + Seek>(file: RS) -> Result<Vec<Extent>, String> {
    let mut compound = cfb::CompoundFile::open(file).map_err(|e| e.to_string())?;
    let stream = match compound.open_stream("/Workbook") {
        Ok(s) => s,
        Err(_) => compound
            .open_stream("/Book")
            .map_err(|_| "no Workbook stream: not an Excel workbook".to_owned())?,
    };
    let mut records = BufReader::new(stream);
    let mut names: HashMap<u64, String> = HashMap::new();
    let mut extents = Vec::new();
    let mut sheet: Option<SheetScan> = None;
    let mut depth = 0u32;
    let mut offset: u64 = 0;
    let mut data = Vec::new();
    loop {
        let at = offset;
        let mut head = [0u8; 4];
        if records.fill_buf().map_err(|e| e.to_string())?.is_empty() {
            break;
        }
        records
            .read_exact(&mut head)
            .map_err(|e| format!("record at byte {at}: {e}"))?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        data.resize(len, 0);
        records
            .read_exact(&mut data)
            .map_err(|e| format!("record at byte {at}: {e}"))?;
        offset = offset.saturating_add(4 + len as u64);
        match typ {
            BOF => {
                if depth == 0 {
                    sheet = names.get(&at).map(|name| SheetScan::new(name.clone()));
                }
                depth = depth.saturating_add(1);
            }
            EOF => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(scan) = sheet.take()
                {
                    extents.push(scan.extent());
                }
            }
            BOUND_SHEET if depth == 1 && sheet.is_none() => {
                if let Some((pos, name)) = bound_sheet(&data) {
                    names.insert(pos, name);
                }
            }
            _ if depth == 1 => {
                if let Some(scan) = &mut sheet {
                    scan.record(typ, &data);
                }
            }
            _ => {}
        }
    }
    Ok(extents)
}

/// A `BoundSheet8` record: where the sheet's records start, and its name.
fn bound_sheet(data: &[u8]) -> Option<(u64, String)> {
    let pos = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?);
    let chars = usize::from(*data.get(6)?);
    let name = match data.get(7) {
        Some(flags) if flags & 1 == 1 => {
            let units: Vec<u16> = data
                .get(8..8 + 2 * chars)?
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        Some(_) => data
            .get(8..8 + chars)?
            .iter()
            .map(|&b| char::from(b))
            .collect(),
        None => String::new(),
    };
    Some((u64::from(pos), name))
}

/// Reading one `.xls` sheet's records.
#[derive(Debug)]
struct SheetScan {
    name: String,
    declared: (u64, u64),
    /// First and last row and column holding a cell.
    used: Option<(u16, u16, u16, u16)>,
}

impl SheetScan {
    fn new(name: String) -> Self {
        Self {
            name,
            declared: (0, 0),
            used: None,
        }
    }

    fn record(&mut self, typ: u16, data: &[u8]) {
        let u16_at = |i: usize| data.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let u32_at = |i: usize| {
            data.get(i..i + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        if typ == DIMENSIONS {
            // BIFF8: first row, last row + 1 (u32), first column, last column + 1 (u16);
            // earlier versions: the rows as u16.
            let (rows, columns) = if data.len() >= 14 {
                let rows = u32_at(4)
                    .unwrap_or(0)
                    .saturating_sub(u32_at(0).unwrap_or(0));
                let cols = u16_at(10)
                    .unwrap_or(0)
                    .saturating_sub(u16_at(8).unwrap_or(0));
                (u64::from(rows), u64::from(cols))
            } else {
                let rows = u16_at(2)
                    .unwrap_or(0)
                    .saturating_sub(u16_at(0).unwrap_or(0));
                let cols = u16_at(6)
                    .unwrap_or(0)
                    .saturating_sub(u16_at(4).unwrap_or(0));
                (u64::from(rows), u64::from(cols))
            };
            self.declared = (rows, columns);
        } else if ONE_CELL.contains(&typ) {
            if let (Some(row), Some(col)) = (u16_at(0), u16_at(2)) {
                self.cover(row, col, col);
            }
        } else if typ == MUL_RK
            && let (Some(row), Some(first), Some(last)) = (
                u16_at(0),
                u16_at(2),
                data.len().checked_sub(2).and_then(u16_at),
            )
        {
            self.cover(row, first, last.max(first));
        }
    }

    fn cover(&mut self, row: u16, first: u16, last: u16) {
        self.used = Some(match self.used {
            None => (row, row, first, last),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(first), c1.max(last)),
        });
    }

    fn extent(self) -> Extent {
        let (rows, columns) = self.used.map_or((0, 0), |(r0, r1, c0, c1)| {
            (u64::from(r1 - r0) + 1, u64::from(c1 - c0) + 1)
        });
        let (rows, columns) = if rows * columns >= self.declared.0 * self.declared.1 {
            (rows, columns)
        } else {
            self.declared
        };
        Extent {
            sheet: self.name,
            rows,
            columns,
        }
    }
}
