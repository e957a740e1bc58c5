#![allow(dead_code)] // each target uses part of it

//! What every target shares: the seeded categories, and the checks every read must pass.

use metrotrack_core::category::seed_categories;
use metrotrack_core::batch::PROBLEM_VALUE_MAX_CHARS;
use metrotrack_core::{CategoryCatalog, ParsedRow, Problem};
use metrotrack_import::{DateOrder, Limits, ReadOptions, TextEncoding};

pub fn catalog() -> CategoryCatalog {
    CategoryCatalog::new(seed_categories())
}

/// Options derived from one control byte: delimiter, encoding, date order, and tight
/// or default bounds (tight ones reach the refusals quickly).
pub fn options_from(control: u8, tight: bool) -> ReadOptions {
    let delimiter = match control & 0b111 {
        0..=3 => None,
        4 => Some(b','),
        5 => Some(b';'),
        6 => Some(b'\t'),
        _ => Some(b'"'), // refused, never used
    };
    let encoding = match (control >> 3) & 0b111 {
        0..=3 => None,
        4 => Some(TextEncoding::Utf8),
        5 => Some(TextEncoding::Utf16Le),
        6 => Some(TextEncoding::Utf16Be),
        _ => Some(TextEncoding::Windows1258),
    };
    let date_order = if control & 0x40 == 0 {
        DateOrder::Dmy
    } else {
        DateOrder::Ymd
    };
    let limits = if tight {
        Limits {
            max_upload_bytes: 4096,
            max_field_bytes: 16,
            max_line_bytes: 128,
            max_columns: 8,
        }
    } else {
        Limits::default()
    };
    ReadOptions {
        delimiter,
        encoding,
        date_order,
        limits,
    }
}

pub fn check_problem(p: &Problem) {
    if let Some(v) = &p.value {
        assert!(v.chars().count() <= PROBLEM_VALUE_MAX_CHARS, "{p:?}");
    }
    assert!(!p.message.is_empty(), "{p:?}");
}

/// Rows come in strictly increasing physical lines after the header; a refused row
/// names at least one problem, each on its own line.
pub fn check_rows(rows: &[ParsedRow], last_line: &mut u64) {
    for row in rows {
        let line = match row {
            ParsedRow::Inspection(s) => s.line,
            ParsedRow::Earthing(s) => s.line,
            ParsedRow::Invalid { line, problems } => {
                assert!(!problems.is_empty(), "a refused row without a problem");
                for p in problems {
                    assert_eq!(p.line, *line, "{p:?}");
                    check_problem(p);
                }
                *line
            }
        };
        assert!(line >= 2, "a data row on line {line}");
        assert!(line > *last_line, "line {line} after {last_line}");
        *last_line = line;
    }
}
