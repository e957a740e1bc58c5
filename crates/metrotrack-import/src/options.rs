//! How a log is read: delimiter, encoding, date order and the bounds that protect memory.

use std::fmt;
use std::str::FromStr;

/// How to read a log. Every field has a sensible default: detect the delimiter and the
/// encoding, read dates day-first, apply the default [`Limits`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// `None` detects `,`, `;` or tab from the header line.
    pub delimiter: Option<u8>,
    /// `None` detects the encoding from a byte-order mark or the first 64 KiB.
    pub encoding: Option<TextEncoding>,
    pub date_order: DateOrder,
    pub limits: Limits,
    /// How a workbook (`.xlsx`, `.xls`, `.ods`) is read, and its bounds.
    pub workbook: WorkbookOptions,
    /// The caller keeps the file itself as evidence ([`crate::Keeping`]): a CSV row
    /// that is one line of UTF-8 or Windows-1258 text, with every record before it one
    /// line too, is handed over without its original observations, which the kept file
    /// holds (read back through [`metrotrack_core::FileSummary::layout`]). Other rows
    /// (workbooks, UTF-16, rows after a record with a line end in a quoted cell) carry
    /// them as always.
    pub file_kept: bool,
}

/// How a workbook is read. A file is read as a workbook when its bytes are a zip archive
/// (`.xlsx`, `.ods`) or an OLE compound file (`.xls`); otherwise as CSV text, unless
/// [`WorkbookOptions::expected`] says the file was named or sent as a workbook, when it
/// is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkbookOptions {
    /// The sheet to read, by name; `None` reads the first sheet.
    pub sheet: Option<String>,
    /// The file was named `.xlsx`, `.xls` or `.ods`, or sent as a workbook: text is
    /// refused, not read as CSV.
    pub expected: bool,
    /// Most bytes the workbook's parts may unpack to (default 512 MiB), checked before
    /// any part is unpacked: a zip bomb is refused before memory grows.
    pub max_unzipped_bytes: u64,
    /// Most cells a sheet may hold (default 16 million), empty styled cells counted.
    pub max_cells: u64,
    /// Most cells an `.xls` or `.ods` may declare, all its sheets together (default
    /// 2 million, and never more than `max_cells`). These formats are read whole into
    /// memory (about 100 bytes a cell), so the rectangle each sheet declares (rows and
    /// columns repeated included) is added up and refused past this before reading;
    /// an `.xlsx` is streamed and has no such bound.
    pub max_cells_whole: u64,
}

impl Default for WorkbookOptions {
    fn default() -> Self {
        Self {
            sheet: None,
            expected: false,
            max_unzipped_bytes: 512 * 1024 * 1024,
            max_cells: 16_000_000,
            max_cells_whole: 2_000_000,
        }
    }
}

impl WorkbookOptions {
    /// Whether a file name or media type says the file is a workbook (`.xlsx`, `.xlsm`,
    /// `.xls`, `.ods`). The media type `application/vnd.ms-excel` does not: browsers
    /// send it for `.csv` files too.
    pub fn named_as_workbook(name_or_type: &str) -> bool {
        let s = name_or_type.trim().to_ascii_lowercase();
        [".xlsx", ".xlsm", ".xls", ".ods"]
            .iter()
            .any(|ext| s.ends_with(ext))
            || s == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            || s == "application/vnd.oasis.opendocument.spreadsheet"
    }

    /// The bound on the cells of an `.xls` or `.ods`: the smaller of `max_cells_whole`
    /// and `max_cells`.
    pub fn whole_cells_bound(&self) -> u64 {
        self.max_cells_whole.min(self.max_cells)
    }
}

/// Bounds past which a file is refused before memory grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes (default 256 MiB).
    pub max_upload_bytes: u64,
    /// Longest field accepted, in bytes of UTF-8 (default 64 KiB); a longer one is a row problem.
    pub max_field_bytes: usize,
    /// Longest record (a line, or several when a quoted field spans lines), in bytes of
    /// UTF-8 (default 1 MiB).
    pub max_line_bytes: usize,
    /// Most columns a header or row may have (default 256).
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_upload_bytes: 256 * 1024 * 1024,
            max_field_bytes: 64 * 1024,
            max_line_bytes: 1024 * 1024,
            max_columns: 256,
        }
    }
}

/// Where the day sits in a date written with `/`, `-` or `.`. Dates are never read
/// month-first; ISO `yyyy-mm-dd` is read under either order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    /// `dd/mm/yyyy` (Vietnamese usage).
    #[default]
    Dmy,
    /// `yyyy/mm/dd` as well as `dd/mm/yyyy`.
    Ymd,
}

impl DateOrder {
    /// The name used in options: `dmy` or `ymd`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dmy => "dmy",
            Self::Ymd => "ymd",
        }
    }
}

impl fmt::Display for DateOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no [`DateOrder`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown date order {0:?}; use dmy (15/09/2023) or ymd (2023/09/15)")]
pub struct UnknownDateOrder(pub String);

impl FromStr for DateOrder {
    type Err = UnknownDateOrder;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dmy" => Ok(Self::Dmy),
            "ymd" => Ok(Self::Ymd),
            _ => Err(UnknownDateOrder(s.to_owned())),
        }
    }
}

/// The text encodings lab logs arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    /// Excel's "Unicode Text".
    Utf16Le,
    Utf16Be,
    /// The legacy Vietnamese code page; writes tone marks as combining characters.
    Windows1258,
}

impl TextEncoding {
    /// The canonical label: `utf-8`, `utf-16le`, `utf-16be` or `windows-1258`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf16Le => "utf-16le",
            Self::Utf16Be => "utf-16be",
            Self::Windows1258 => "windows-1258",
        }
    }

    pub(crate) fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            Self::Utf8 => encoding_rs::UTF_8,
            Self::Utf16Le => encoding_rs::UTF_16LE,
            Self::Utf16Be => encoding_rs::UTF_16BE,
            Self::Windows1258 => encoding_rs::WINDOWS_1258,
        }
    }

    /// The variant for an encoding a byte-order mark names, if it is one of ours.
    pub(crate) fn from_encoding(encoding: &'static encoding_rs::Encoding) -> Option<Self> {
        [Self::Utf8, Self::Utf16Le, Self::Utf16Be, Self::Windows1258]
            .into_iter()
            .find(|e| e.encoding() == encoding)
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A label that names no [`TextEncoding`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown encoding {0:?}; use utf-8, utf-16le, utf-16be or windows-1258")]
pub struct UnknownEncoding(pub String);

impl FromStr for TextEncoding {
    type Err = UnknownEncoding;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "utf-16le" | "utf16le" => Ok(Self::Utf16Le),
            "utf-16be" | "utf16be" => Ok(Self::Utf16Be),
            "windows-1258" | "windows1258" | "cp1258" | "cp-1258" => Ok(Self::Windows1258),
            _ => Err(UnknownEncoding(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_parse_case_insensitively() {
        for (label, want) in [
            ("UTF-8", TextEncoding::Utf8),
            ("utf8", TextEncoding::Utf8),
            ("UTF-16LE", TextEncoding::Utf16Le),
            ("utf-16be", TextEncoding::Utf16Be),
            ("Windows-1258", TextEncoding::Windows1258),
            ("CP1258", TextEncoding::Windows1258),
        ] {
            assert_eq!(label.parse::<TextEncoding>(), Ok(want), "{label}");
            assert_eq!(want.as_str().parse::<TextEncoding>(), Ok(want));
        }
        let err = "latin1".parse::<TextEncoding>().expect_err("unknown");
        assert!(err.to_string().contains("windows-1258"), "{err}");
    }

    #[test]
    fn date_orders_parse() {
        assert_eq!("DMY".parse::<DateOrder>(), Ok(DateOrder::Dmy));
        assert_eq!(" ymd ".parse::<DateOrder>(), Ok(DateOrder::Ymd));
        assert!("mdy".parse::<DateOrder>().is_err());
        assert_eq!(DateOrder::default(), DateOrder::Dmy);
    }

    #[test]
    fn default_limits_are_the_spec_ones() {
        let l = Limits::default();
        assert_eq!(l.max_upload_bytes, 256 << 20);
        assert_eq!(l.max_field_bytes, 64 << 10);
        assert_eq!(l.max_line_bytes, 1 << 20);
        assert_eq!(l.max_columns, 256);
    }
}
