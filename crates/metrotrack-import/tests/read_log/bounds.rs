//! Bounds, empty and binary files, streaming, and no panic whatever the bytes.

use super::*;

/// A reader of `len` bytes of one record: a header, then one row whose notes field never
/// ends, produced on the fly so the test itself holds no large buffer.
struct EndlessField {
    head: io::Cursor<Vec<u8>>,
    left: u64,
}

impl EndlessField {
    fn new(len: u64) -> Self {
        let head = format!("{EARTHING_HEADER}\n15/09/2023;A;Đ1;2;An;").into_bytes();
        let left = len - head.len() as u64;
        Self {
            head: io::Cursor::new(head),
            left,
        }
    }
}

impl Read for EndlessField {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        buf[..n].fill(b'x');
        self.left -= n as u64;
        Ok(n)
    }
}

#[test]
fn a_field_past_the_line_bound_is_refused_naming_the_line() {
    let mut called = false;
    let summary = read_log(
        EndlessField::new(2 << 20),
        LogKind::Earthing,
        &catalog(),
        &ReadOptions::default(),
        |_, _| {
            called = true;
            true
        },
    );
    assert!(!called);
    assert_eq!(summary.fatal.len(), 1);
    assert_eq!(summary.fatal[0].line, 2);
    assert_eq!(
        summary.fatal[0].message,
        "the record starting on line 2 is longer than 1 MiB"
    );
    assert_eq!(
        summary.size_bytes,
        2 << 20,
        "the rest is still read for the hash"
    );
}

#[test]
fn a_64_mib_field_is_refused_without_buffering_it() {
    let limits = Limits {
        max_upload_bytes: 1 << 30,
        ..Limits::default()
    };
    let options = ReadOptions {
        limits,
        ..ReadOptions::default()
    };
    let summary = read_log(
        EndlessField::new(64 << 20),
        LogKind::Earthing,
        &catalog(),
        &options,
        |_, _| true,
    );
    assert!(summary.fatal[0].message.contains("longer than 1 MiB"));
}

#[test]
fn a_field_past_the_field_bound_is_a_row_problem() {
    let options = ReadOptions {
        limits: Limits {
            max_field_bytes: 100,
            ..Limits::default()
        },
        ..ReadOptions::default()
    };
    let text = format!(
        "{EARTHING_HEADER}\n15/09/2023;A;Đ1;2;An;{}\n15/09/2023;A;Đ2;2;An;ok\n",
        "x".repeat(101)
    );
    let (rows, summary) = read_with(text.as_bytes(), LogKind::Earthing, &options);
    assert_clean(&summary);
    let bad = invalid(&rows);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].1[0].column.as_deref(), Some("Ghi chú"));
    assert_eq!(
        bad[0].1[0].message,
        "is longer than 100 bytes, the most a field may hold"
    );
    assert_eq!(
        bad[0].1[0].value.as_ref().map(|v| v.chars().count()),
        Some(80)
    );
    assert_eq!(rows.len(), 2);
}

#[test]
fn a_file_past_the_upload_bound_is_refused() {
    let options = ReadOptions {
        limits: Limits {
            max_upload_bytes: 1000,
            ..Limits::default()
        },
        ..ReadOptions::default()
    };
    let mut text = format!("{EARTHING_HEADER}\n");
    while text.len() < 5000 {
        text.push_str("15/09/2023;A;Đ1;2;An;\n");
    }
    let (_, summary) = read_with(text.as_bytes(), LogKind::Earthing, &options);
    assert_eq!(
        messages(&summary.fatal),
        "file: the file is larger than 1000 bytes; split it into smaller files"
    );
    assert!(summary.size_bytes <= 1001, "{}", summary.size_bytes);

    let (_, summary) = read(text.as_bytes(), LogKind::Earthing);
    assert_clean(&summary);
    let wide = Limits::default();
    assert_eq!(wide.max_upload_bytes, 256 << 20);
}

#[test]
fn too_many_columns_is_fatal() {
    let options = ReadOptions {
        limits: Limits {
            max_columns: 4,
            ..Limits::default()
        },
        ..ReadOptions::default()
    };
    let text = format!("{EARTHING_HEADER};;;\n");
    let (_, summary) = read_with(text.as_bytes(), LogKind::Earthing, &options);
    assert!(
        summary.fatal[0]
            .message
            .contains("the header has 6 columns; at most 4"),
        "{:?}",
        summary.fatal
    );
}

#[test]
fn empty_files_are_fatal() {
    for bytes in [
        b"".as_slice(),
        b"\xEF\xBB\xBF",
        b"\r\n\r\n;;;\r\n  \n",
        b"\xFF\xFE",
    ] {
        let (rows, summary) = read(bytes, LogKind::Inspections);
        assert!(rows.is_empty());
        assert_eq!(
            messages(&summary.fatal),
            "file: the file is empty: no header row",
            "{bytes:?}"
        );
        assert_eq!(summary.size_bytes, bytes.len() as u64);
    }
}

#[test]
fn binary_files_are_fatal() {
    let (_, summary) = read(b"date,site\x00\x01\x02garbage", LogKind::Earthing);
    assert_eq!(
        messages(&summary.fatal),
        "file: this is not a text CSV file (binary data at byte 9)"
    );
    let (_, summary) = read(b"PK\x03\x04\x14\x00\x06\x00", LogKind::Earthing);
    assert!(
        summary.fatal[0].message.contains("Excel workbook"),
        "{:?}",
        summary.fatal
    );

    // A NUL past the sniffed head is caught too.
    let mut text = format!("{EARTHING_HEADER}\n");
    while text.len() < 70 * 1024 {
        text.push_str("15/09/2023;A;Đ1;2;An;\n");
    }
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"15/09/2023;A;\0;2;An;\n");
    let (_, summary) = read(&bytes, LogKind::Earthing);
    assert!(
        summary.fatal[0]
            .message
            .starts_with("this is not a text CSV file (a NUL character on line"),
        "{:?}",
        summary.fatal
    );
}

// ---------------------------------------------------------------------------------------
// Streaming: chunks, progress, stopping, hashing

fn many_rows(n: usize) -> Vec<u8> {
    let mut text = format!("{EARTHING_HEADER}\n");
    for i in 0..n {
        text.push_str(&format!("15/09/2023;A;P{i};2,{};An;\n", i % 10));
    }
    text.into_bytes()
}

#[test]
fn rows_arrive_in_chunks_in_file_order_with_progress() {
    let bytes = many_rows(2500);
    let mut sizes = Vec::new();
    let mut progress = Vec::new();
    let mut lines = Vec::new();
    let summary = read_log(
        bytes.as_slice(),
        LogKind::Earthing,
        &catalog(),
        &ReadOptions::default(),
        |chunk, read| {
            sizes.push(chunk.len());
            progress.push(read);
            lines.extend(chunk.iter().map(|r| match r {
                ParsedRow::Earthing(s) => s.line,
                _ => 0,
            }));
            true
        },
    );
    assert_clean(&summary);
    assert_eq!(sizes, [CHUNK_ROWS, CHUNK_ROWS, 2500 - 2 * CHUNK_ROWS]);
    assert!(progress.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(progress.last().copied(), Some(bytes.len() as u64));
    assert_eq!(lines, (2..2502).collect::<Vec<u64>>());
    assert_eq!(summary.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(summary.size_bytes, bytes.len() as u64);
}

#[test]
fn the_receiver_can_stop_the_reading() {
    let bytes = many_rows(5000);
    let mut calls = 0;
    let summary = read_log(
        bytes.as_slice(),
        LogKind::Earthing,
        &catalog(),
        &ReadOptions::default(),
        |_, _| {
            calls += 1;
            false
        },
    );
    assert_eq!(calls, 1);
    assert!(summary.fatal.is_empty());
    assert!(summary.size_bytes < bytes.len() as u64);
}

#[test]
fn the_hash_covers_a_refused_file_too() {
    let text = "Ngày;Số seri\n15/09/2023;A1\n";
    let (_, summary) = read(text.as_bytes(), LogKind::Inspections);
    assert!(!summary.fatal.is_empty());
    assert_eq!(summary.sha256, hex::encode(Sha256::digest(text.as_bytes())));
}

// ---------------------------------------------------------------------------------------
// Whatever the bytes, no panic

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), kind_insp: bool, small: bool) {
        let kind = if kind_insp { LogKind::Inspections } else { LogKind::Earthing };
        let options = ReadOptions {
            limits: if small {
                Limits { max_upload_bytes: 1500, max_field_bytes: 8, max_line_bytes: 64, max_columns: 4 }
            } else {
                Limits::default()
            },
            ..ReadOptions::default()
        };
        let (_, summary) = read_with(&bytes, kind, &options);
        prop_assert!(summary.size_bytes <= bytes.len() as u64);
    }

    #[test]
    fn csv_like_text_never_panics(
        cells in proptest::collection::vec("[\"a-zđĐ0-9,;\\t\\r\\n /.:-]{0,12}", 0..60),
        header_insp: bool,
    ) {
        let header = if header_insp {
            "date;category;serial_number;kind;result;technician;valid_until;error_percent\n"
        } else {
            "date,site,point,resistance_ohm,technician,limit_ohm,system\n"
        };
        let text = format!("{header}{}", cells.concat());
        let kind = if header_insp { LogKind::Inspections } else { LogKind::Earthing };
        let (rows, summary) = read(text.as_bytes(), kind);
        prop_assert!(summary.fatal.is_empty() || rows.is_empty() || summary.fatal.iter().all(|p| p.line > 0));
        for row in &rows {
            if let ParsedRow::Invalid { problems, .. } = row {
                prop_assert!(!problems.is_empty());
            }
        }
    }
}
