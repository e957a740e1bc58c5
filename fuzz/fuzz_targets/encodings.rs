//! The same text in UTF-8 and in UTF-16 LE/BE with a BOM reads to the same rows: the
//! encoding never changes a record.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use metrotrack_core::{LogKind, ParsedRow};
use metrotrack_import::{ReadOptions, read_log};

fn read(bytes: &[u8], kind: LogKind) -> (Vec<ParsedRow>, bool) {
    let catalog = common::catalog();
    let mut all = Vec::new();
    let summary = read_log(bytes, kind, &catalog, &ReadOptions::default(), |rows, _| {
        all.extend(rows);
        true
    });
    (all, summary.fatal.is_empty())
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

fuzz_target!(|input: (bool, String)| {
    let (earthing, text) = input;
    let kind = if earthing {
        LogKind::Earthing
    } else {
        LogKind::Inspections
    };
    // A text starting with a BOM-like character would be read differently on purpose.
    if text.starts_with('\u{feff}') {
        return;
    }
    let (rows, clean) = read(text.as_bytes(), kind);
    if !clean {
        return;
    }
    for big_endian in [false, true] {
        let (other, other_clean) = read(&utf16(&text, big_endian), kind);
        assert!(other_clean, "UTF-16 refused what UTF-8 read");
        assert_eq!(rows, other, "UTF-16 (big endian: {big_endian}) differs");
    }
});
