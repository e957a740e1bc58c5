//! Lab CSV logs and Excel workbooks into validated metrotrack records (SPEC §2).
//!
//! [`read_log`] streams a log through fixed memory: it counts and hashes the raw bytes,
//! detects the encoding (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1258) and
//! the delimiter (`,`, `;`, tab), matches the Vietnamese or English headers, and reads
//! each row into a record or into the complete list of its problems. It knows no
//! database: the caller stores the rows it is handed. A file whose bytes are a zip
//! archive or an OLE compound file is read as a workbook (`.xlsx`, `.ods`, `.xls`, see
//! [`WorkbookOptions`]): its cells become the texts a person typed and go through the
//! same header and row rules.

mod amend;
mod earthing;
mod header;
mod inspection;
mod keep;
mod options;
mod row;
mod source;
mod value;
mod workbook;

pub use amend::{LogValues, amended_earthing_test, amended_inspection};
pub use keep::{FilePart, Keeping, MAX_PART_BYTES, PART_BYTES, unpack};
pub use options::{
    DateOrder, Limits, ReadOptions, TextEncoding, UnknownDateOrder, UnknownEncoding,
    WorkbookOptions,
};

use std::io::{self, Cursor, Read};

use csv::StringRecord;
use metrotrack_core::kept::FileLayout;
use metrotrack_core::{CategoryCatalog, FileSummary, LogKind, Msg, ParsedRow, Problem};

use crate::earthing::EarthingReader;
use crate::header::Header;
use crate::inspection::InspectionReader;
use crate::row::Row;
use crate::source::{Counting, Decoding, RecordGuard, RecordStart, SNIFF_BYTES, SourceError};

/// Rows handed to `on_rows` per call.
pub const CHUNK_ROWS: usize = 1024;

/// Reads a whole log, streaming. Calls `on_rows(chunk, bytes_read_so_far)` with each chunk
/// of up to [`CHUNK_ROWS`] parsed rows in file order (it returns false to stop early, e.g.
/// when the receiver is gone).
///
/// Returns the [`FileSummary`]: SHA-256 (lower-case hex) and size of all bytes read,
/// warnings, and fatal whole-file problems (if `fatal` is non-empty the caller refuses
/// the whole file). After a fatal problem the rest of the file is still read, not parsed,
/// so that the hash and size cover the whole file, unless the file is past the size bound
/// or cannot be read. Memory stays flat whatever the file's size.
pub fn read_log<R: Read>(
    input: R,
    kind: LogKind,
    catalog: &CategoryCatalog,
    options: &ReadOptions,
    mut on_rows: impl FnMut(Vec<ParsedRow>, u64) -> bool,
) -> FileSummary {
    let mut counting = Counting::new(input, options.limits.max_upload_bytes);
    let mut warnings = Vec::new();
    let mut columns = Vec::new();
    let mut layout = None;
    let fatal = match read_rows(
        &mut counting,
        kind,
        catalog,
        options,
        &mut warnings,
        (&mut columns, &mut layout),
        &mut on_rows,
    ) {
        End::Done | End::Stopped => Vec::new(),
        End::Fatal {
            mut problems,
            drain,
        } => {
            if drain && let Err(e) = io::copy(&mut counting, &mut io::sink()) {
                problems.push(io_problem(&e));
            }
            problems
        }
    };
    let (sha256, size_bytes) = counting.finish();
    FileSummary {
        sha256,
        size_bytes,
        warnings,
        fatal,
        columns,
        layout,
    }
}

/// How reading the rows ended.
#[derive(Debug)]
enum End {
    /// Every row was read and handed over.
    Done,
    /// The receiver asked to stop.
    Stopped,
    /// The file is refused; `drain` when the rest should still be read for its hash.
    Fatal { problems: Vec<Problem>, drain: bool },
}

impl End {
    fn fatal(problem: Problem, drain: bool) -> Self {
        Self::Fatal {
            problems: vec![problem],
            drain,
        }
    }

    fn from_io(err: &io::Error) -> Self {
        // Past the size bound, or unreadable input: reading on would not help.
        let drain = matches!(
            SourceError::from_io(err),
            Some(
                SourceError::LineTooLong { .. }
                    | SourceError::Nul { .. }
                    | SourceError::Malformed { .. }
            )
        );
        Self::fatal(io_problem(err), drain)
    }

    fn from_csv(err: &csv::Error) -> Self {
        match err.kind() {
            csv::ErrorKind::Io(e) => Self::from_io(e),
            csv::ErrorKind::Utf8 { pos, .. } => Self::fatal(
                Problem::new(
                    pos.as_ref().map_or(0, csv::Position::line),
                    None,
                    None,
                    Msg::EncodingNotUtf8 {},
                ),
                true,
            ),
            _ => Self::fatal(
                Problem::file(Msg::FileNotCsv {
                    detail: err.to_string(),
                }),
                true,
            ),
        }
    }
}

/// The problem an I/O error from the byte layers (or the input itself) means.
fn io_problem(err: &io::Error) -> Problem {
    match SourceError::from_io(err) {
        Some(
            e @ (SourceError::LineTooLong { line, .. }
            | SourceError::Nul { line }
            | SourceError::Malformed { line, .. }),
        ) => Problem::new(*line, None, None, e.msg()),
        Some(e) => Problem::file(e.msg()),
        None => Problem::file(Msg::FileUnreadable {
            detail: err.to_string(),
        }),
    }
}

/// A delimiter the parser can use: one ASCII character that is not a quote or line end.
fn check_delimiter(d: u8) -> Result<u8, Msg> {
    if d.is_ascii() && !matches!(d, b'"' | b'\n' | b'\r' | 0) {
        Ok(d)
    } else {
        Err(Msg::DelimiterInvalid {
            delimiter: format!("{:?}", char::from(d)),
        })
    }
}

/// The reader of one log kind's rows.
#[derive(Debug)]
enum RowReader<'c> {
    Inspections(InspectionReader<'c>),
    Earthing(EarthingReader),
}

fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

fn read_rows<R: Read>(
    counting: &mut Counting<R>,
    kind: LogKind,
    catalog: &CategoryCatalog,
    options: &ReadOptions,
    warnings: &mut Vec<Problem>,
    (columns, layout): (&mut Vec<(String, String)>, &mut Option<FileLayout>),
    on_rows: &mut impl FnMut(Vec<ParsedRow>, u64) -> bool,
) -> End {
    let limits = options.limits;
    let counter = counting.counter();
    let (head, at_eof) = match source::read_head(counting, SNIFF_BYTES) {
        Ok(head) => head,
        Err(e) => return End::from_io(&e),
    };
    if workbook::is_zip(&head) || workbook::is_compound(&head) {
        let bytes_read = || counter.get();
        let compound = workbook::is_compound(&head);
        return workbook::read(
            Cursor::new(head).chain(counting),
            compound,
            kind,
            catalog,
            options,
            warnings,
            columns,
            &bytes_read,
            on_rows,
        );
    }
    if options.workbook.expected {
        return End::fatal(Problem::file(Msg::WorkbookNamedButNot {}), true);
    }
    let (encoding, bom_len) = source::detect_encoding(&head, at_eof, options.encoding);
    let body = head.get(bom_len..).unwrap_or_default();
    if let Some(at) = source::binary_at(body, encoding) {
        return End::fatal(
            Problem::file(Msg::FileBinary {
                offset: (at + bom_len) as u64,
                old_excel: source::looks_like_old_excel(&head),
            }),
            true,
        );
    }
    let delimiter = match options.delimiter {
        Some(d) => match check_delimiter(d) {
            Ok(d) => d,
            Err(msg) => return End::fatal(Problem::file(msg), true),
        },
        None => source::detect_delimiter(
            &encoding
                .unwrap_or(TextEncoding::Utf8)
                .encoding()
                .decode_without_bom_handling(body)
                .0,
        ),
    };

    let detected = options.encoding.is_none() && bom_len == 0;
    let decoded = Decoding::new(Cursor::new(head).chain(counting), encoding, detected);
    let guarded = RecordGuard::new(decoded, delimiter, limits.max_line_bytes);
    let starts = guarded.starts();
    // Rows may be left to the kept file in an encoding whose line feed is the byte the
    // kept parts count (each such row one whole line, see `RecordStart`).
    let line_addressed = options.file_kept
        && !matches!(
            encoding,
            Some(TextEncoding::Utf16Le | TextEncoding::Utf16Be)
        );
    // Where a record starts (the header is line 1).
    let start_of = |record: &StringRecord| {
        starts
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| RecordStart {
                line: record.position().map_or(0, csv::Position::line),
                one_line: false,
            })
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(guarded);
    let mut record = StringRecord::new();

    let header = loop {
        match csv.read_record(&mut record) {
            Ok(false) => {
                return End::fatal(Problem::file(Msg::FileEmpty {}), false);
            }
            Ok(true) if is_blank(&record) => {
                start_of(&record);
            }
            Ok(true) => {
                let line = start_of(&record).line;
                match Header::read(kind, record.iter(), line, limits.max_columns) {
                    Ok((header, header_warnings)) => {
                        warnings.extend(header_warnings);
                        *columns = header.named_fields();
                        if line_addressed {
                            *layout = Some(FileLayout {
                                encoding: String::new(),
                                delimiter,
                                columns: header.observed(),
                            });
                        }
                        break header;
                    }
                    Err(problems) => {
                        return End::Fatal {
                            problems,
                            drain: true,
                        };
                    }
                }
            }
            Err(e) => return End::from_csv(&e),
        }
    };

    let rows = match kind {
        LogKind::Inspections => {
            RowReader::Inspections(InspectionReader::new(catalog, options.date_order))
        }
        LogKind::Earthing => RowReader::Earthing(EarthingReader::new(options.date_order)),
    };
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    let end = loop {
        match csv.read_record(&mut record) {
            Ok(false) => break End::Done,
            Ok(true) => {}
            Err(e) => break End::from_csv(&e),
        }
        let start = start_of(&record);
        if is_blank(&record) {
            continue;
        }
        let mut row = Row::new(start.line, &header, &record, limits.max_field_bytes);
        row.original_in_file = line_addressed && start.one_line;
        chunk.push(match &rows {
            RowReader::Inspections(reader) => reader.read(row),
            RowReader::Earthing(reader) => reader.read(row),
        });
        if chunk.len() >= CHUNK_ROWS {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
            if !on_rows(full, counter.get()) {
                return End::Stopped;
            }
        }
    };
    if let Some(layout) = layout {
        // The encoding as the decoder settled it (text that was ASCII throughout reads
        // the same in any of them).
        let settled = csv.get_ref().get_ref().encoding();
        layout.encoding = settled.unwrap_or(TextEncoding::Utf8).as_str().to_owned();
    }
    if !chunk.is_empty() && !on_rows(chunk, counter.get()) && matches!(end, End::Done) {
        return End::Stopped;
    }
    end
}

/// Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`): the row validator
/// without the byte layers under it.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// Every header a log kind accepts: each field's canonical name and aliases.
    pub fn accepted_headers(kind: LogKind) -> Vec<&'static str> {
        header::fields_of(kind)
            .iter()
            .flat_map(|s| std::iter::once(s.field.canonical()).chain(s.aliases.iter().copied()))
            .collect()
    }

    /// Reads one data row found on `line` under `header`, as [`read_log`] does: the
    /// header's fatal problems, or the row read.
    pub fn read_row(
        kind: LogKind,
        catalog: &CategoryCatalog,
        header: &[&str],
        cells: &[&str],
        line: u64,
        options: &ReadOptions,
    ) -> Result<ParsedRow, Vec<Problem>> {
        let (header, _) =
            Header::read(kind, header.iter().copied(), 1, options.limits.max_columns)?;
        let record = StringRecord::from(cells.to_vec());
        let row = Row::new(line, &header, &record, options.limits.max_field_bytes);
        Ok(match kind {
            LogKind::Inspections => InspectionReader::new(catalog, options.date_order).read(row),
            LogKind::Earthing => EarthingReader::new(options.date_order).read(row),
        })
    }
}
