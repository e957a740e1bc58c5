//! The row validator alone: a header (mostly accepted names, sometimes anything) and
//! one row of arbitrary cells. Never a panic; a refused row names its problems on its
//! line; an accepted row holds trimmed NFC text.

#![no_main]

mod common;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use metrotrack_core::{LogKind, ParsedRow};
use metrotrack_import::fuzzing::{accepted_headers, read_row};

#[derive(Debug, Arbitrary)]
enum HeaderCell {
    /// One of the accepted headers, by index.
    Accepted(u8),
    Written(String),
}

#[derive(Debug, Arbitrary)]
struct Input {
    earthing: bool,
    control: u8,
    tight: bool,
    header: Vec<HeaderCell>,
    cells: Vec<String>,
}

/// Trimmed and NFC: what every stored text is.
fn is_clean(s: &str) -> bool {
    metrotrack_core::text::clean(s) == s
}

fuzz_target!(|input: Input| {
    let kind = if input.earthing {
        LogKind::Earthing
    } else {
        LogKind::Inspections
    };
    let accepted = accepted_headers(kind);
    let header: Vec<&str> = input
        .header
        .iter()
        .map(|h| match h {
            HeaderCell::Accepted(i) => accepted[usize::from(*i) % accepted.len()],
            HeaderCell::Written(s) => s.as_str(),
        })
        .collect();
    let cells: Vec<&str> = input.cells.iter().map(String::as_str).collect();
    let options = common::options_from(input.control, input.tight);
    let catalog = common::catalog();
    let row = match read_row(kind, &catalog, &header, &cells, 7, &options) {
        Ok(row) => row,
        Err(problems) => {
            assert!(!problems.is_empty());
            problems.iter().for_each(common::check_problem);
            return;
        }
    };
    let mut last = 1;
    common::check_rows(std::slice::from_ref(&row), &mut last);
    match row {
        ParsedRow::Inspection(s) => {
            let r = &s.record;
            assert_eq!(s.line, 7);
            for t in [&r.technician]
                .into_iter()
                .chain(r.owner.iter())
                .chain(r.model.iter())
                .chain(r.notes.iter())
            {
                assert!(is_clean(t) && !t.is_empty(), "{t:?}");
            }
            if let (Some(until), date) = (r.valid_until, r.date) {
                assert!(until >= date);
            }
        }
        ParsedRow::Earthing(s) => {
            let r = &s.record;
            assert!(is_clean(&r.site) && !r.site.is_empty(), "{:?}", r.site);
            assert!(is_clean(&r.technician), "{:?}", r.technician);
        }
        ParsedRow::Invalid { .. } => {}
    }
});
