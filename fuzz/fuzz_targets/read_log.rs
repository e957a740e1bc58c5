//! `read_log` on arbitrary bytes, both kinds, with options taken from the first two
//! bytes: never a panic, never memory past the bounds (run with `-rss_limit_mb`), and
//! the reader's promises hold (lines, hash and size, problems).

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use metrotrack_core::LogKind;
use metrotrack_import::read_log;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let [control, flags, bytes @ ..] = data else {
        return;
    };
    let kind = if flags & 1 == 0 {
        LogKind::Inspections
    } else {
        LogKind::Earthing
    };
    let options = common::options_from(*control, flags & 2 != 0);
    let catalog = common::catalog();
    let mut last_line = 1;
    let summary = read_log(bytes, kind, &catalog, &options, |rows, read| {
        assert!(read <= bytes.len() as u64);
        common::check_rows(&rows, &mut last_line);
        true
    });
    for p in summary.fatal.iter().chain(&summary.warnings) {
        common::check_problem(p);
    }
    let limit = options.limits.max_upload_bytes;
    if bytes.len() as u64 <= limit {
        // The whole file is read and hashed, refused or not.
        assert_eq!(summary.size_bytes, bytes.len() as u64);
        assert_eq!(summary.sha256, hex::encode(Sha256::digest(bytes)));
    } else {
        assert!(!summary.fatal.is_empty());
        assert!(summary.size_bytes <= limit + 1);
    }
});
