//! `read_log` as the CLI and the API use it: whole files in, rows and a summary out.

/// Bounds, empty and binary files, streaming, and no panic whatever the bytes.
mod bounds;
/// Exact readings of cells, bounds and streams.
mod cells;
/// Rows left to the kept file read back to the observations they were read with.
mod kept;
/// A log uploaded as the other kind: one problem naming the kind it looks like.
mod kinds;
/// Every shape one month can be written in reads to the same records (properties).
mod shapes;
/// `.xls` and `.ods`: the same records as their CSV, and their declared range bounded.
mod whole;
/// Excel workbooks: the same records as their CSV, cells by value, bounds and refusals.
mod workbook;

use std::io::{self, Read};
use std::path::PathBuf;

use chrono::NaiveDate;
use metrotrack_core::category::seed_categories;
use metrotrack_core::{
    CategoryCatalog, FileSummary, InspectionKind, LogKind, NewEarthingTest, NewInspection, Outcome,
    ParsedRow, Problem,
};
use metrotrack_import::{CHUNK_ROWS, DateOrder, Limits, ReadOptions, TextEncoding, read_log};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn catalog() -> CategoryCatalog {
    CategoryCatalog::new(seed_categories())
}

fn read_with(bytes: &[u8], kind: LogKind, options: &ReadOptions) -> (Vec<ParsedRow>, FileSummary) {
    let mut rows = Vec::new();
    let summary = read_log(bytes, kind, &catalog(), options, |chunk, _| {
        rows.extend(chunk);
        true
    });
    (rows, summary)
}

fn read(bytes: &[u8], kind: LogKind) -> (Vec<ParsedRow>, FileSummary) {
    read_with(bytes, kind, &ReadOptions::default())
}

fn fixture(path: &str) -> Vec<u8> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn inspections(rows: &[ParsedRow]) -> Vec<(u64, &NewInspection)> {
    rows.iter()
        .map(|r| match r {
            ParsedRow::Inspection(s) => (s.line, &s.record),
            other => panic!("not a valid inspection: {other:?}"),
        })
        .collect()
}

fn earthing_tests(rows: &[ParsedRow]) -> Vec<&NewEarthingTest> {
    rows.iter()
        .map(|r| match r {
            ParsedRow::Earthing(s) => &s.record,
            other => panic!("not a valid earthing test: {other:?}"),
        })
        .collect()
}

fn invalid(rows: &[ParsedRow]) -> Vec<(u64, &[Problem])> {
    rows.iter()
        .filter_map(|r| match r {
            ParsedRow::Invalid { line, problems } => Some((*line, problems.as_slice())),
            _ => None,
        })
        .collect()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn assert_clean(summary: &FileSummary) {
    assert!(summary.fatal.is_empty(), "fatal: {:?}", summary.fatal);
}

fn messages(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// The demo month and the fixtures

#[test]
fn demo_inspections_read_the_same_in_both_shapes() {
    let (canonical, summary) = read(
        &fixture("demo/inspections-2023-10.csv"),
        LogKind::Inspections,
    );
    assert_clean(&summary);
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    let (excel, excel_summary) = read(
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
        LogKind::Inspections,
    );
    assert_clean(&excel_summary);
    assert_eq!(
        messages(&excel_summary.warnings),
        "line 1, column \"STT\": row-number column ignored"
    );

    let canonical = inspections(&canonical);
    let excel = inspections(&excel);
    assert_eq!(canonical.len(), 507);
    assert_eq!(excel.len(), 507);
    for (a, b) in canonical.iter().zip(&excel) {
        assert_eq!(a, b);
    }
    // One notes field holds a line break: the last record starts on physical line 509.
    assert_eq!(canonical.last().map(|(line, _)| *line), Some(509));
    assert_eq!(canonical.first().map(|(line, _)| *line), Some(2));

    // The README's figures are for the period 15/09/2023..14/10/2023 (497 rows).
    let in_period = |r: &NewInspection| (d(2023, 9, 15)..=d(2023, 10, 14)).contains(&r.date);
    let count = |f: &dyn Fn(&NewInspection) -> bool| {
        canonical
            .iter()
            .filter(|(_, r)| in_period(r) && f(r))
            .count()
    };
    assert_eq!(count(&|_| true), 497);
    assert_eq!(count(&|r| r.kind == InspectionKind::Verification), 447);
    assert_eq!(count(&|r| r.kind == InspectionKind::Calibration), 40);
    assert_eq!(count(&|r| r.result == Some(Outcome::Fail)), 31);
    assert_eq!(count(&|r| r.result.is_none()), 13);
    assert_eq!(count(&|r| r.kind == InspectionKind::Test), 10);
    assert_eq!(
        count(&|r| r.result == Some(Outcome::Fail) && r.valid_until.is_some()),
        0
    );
    // Passed verifications all have a valid-until, given or derived from the cycle.
    assert_eq!(
        count(&|r| r.kind == InspectionKind::Verification
            && r.result == Some(Outcome::Pass)
            && r.valid_until.is_none()),
        0
    );
}

#[test]
fn demo_earthing_reads_the_same_in_both_shapes() {
    let (canonical, summary) = read(&fixture("demo/earthing-2023-10.csv"), LogKind::Earthing);
    assert_clean(&summary);
    let (excel, summary) = read(
        &fixture("demo/earthing-2023-10.excel-vi.csv"),
        LogKind::Earthing,
    );
    assert_clean(&summary);
    let canonical = earthing_tests(&canonical);
    assert_eq!(canonical.len(), 18);
    assert_eq!(canonical, earthing_tests(&excel));
    assert_eq!(canonical.iter().filter(|t| t.limit.is_none()).count(), 3);
    assert!(
        canonical
            .iter()
            .any(|t| t.resistance.to_string() == "12.40")
    );
}

#[test]
fn each_bad_fixture_has_one_bad_row_at_its_line() {
    let cases = [
        (
            "bad/impossible-date.csv",
            3,
            "Ngày kiểm định",
            "February 2023 has 28 days",
        ),
        (
            "bad/month-first.csv",
            2,
            "date",
            "no month 25; dates are read day-first (dd/mm/yyyy)",
        ),
        ("bad/unknown-category.csv", 4, "category", "CB, CDH"),
        ("bad/unknown-result.csv", 3, "result", "pass (Đạt"),
    ];
    for (file, line, column, message) in cases {
        let (rows, summary) = read(&fixture(file), LogKind::Inspections);
        assert_clean(&summary);
        assert_eq!(rows.len(), 4, "{file}");
        let bad = invalid(&rows);
        assert_eq!(bad.len(), 1, "{file}: {bad:?}");
        let (got_line, problems) = bad[0];
        assert_eq!(got_line, line, "{file}");
        assert_eq!(problems.len(), 1, "{file}: {}", messages(problems));
        assert_eq!(problems[0].line, line);
        assert_eq!(problems[0].column.as_deref(), Some(column), "{file}");
        assert!(
            problems[0].message.contains(message),
            "{file}: {}",
            problems[0]
        );
    }
}

#[test]
fn edge_fixtures_read() {
    let (rows, summary) = read(&fixture("edge/twice.csv"), LogKind::Inspections);
    assert_clean(&summary);
    let rows = inspections(&rows);
    assert_eq!(rows[0].1.valid_until, None);
    assert_eq!(rows[1].1.valid_until, Some(d(2024, 10, 2)));
    let (rows, summary) = read(&fixture("edge/earthing-twice.csv"), LogKind::Earthing);
    assert_clean(&summary);
    assert_eq!(
        earthing_tests(&rows)[1].weather.as_deref(),
        Some("Sau mưa, đất ướt")
    );
}

// ---------------------------------------------------------------------------------------
// Shapes: Excel on Vietnamese Windows against the canonical template

const EXCEL_HEADER: &str = "STT;Ngày kiểm định;Tên PTĐ;Số sản xuất;Kiểu;Cơ sở sản xuất;Đơn vị sử dụng;Hình thức;Loại kiểm định;Quy trình;Kết quả;Sai số (%);Số GCN;Số tem;Hiệu lực đến;Người thực hiện;Người soát lại;Ghi chú;;";
const EXCEL_ROW: &str = "1;15/09/2023;Công tơ điện 1 pha;CT-000123;DDS26;EMIC;Điện lực Hòa Bình;Kiểm định;Ban đầu;ĐLVN 39:2012;Đạt;0,5;GCN-1;T-1;;Nguyễn Văn An;Trần Thị Bình;;;";
const CANONICAL: &str = "date,category,serial_number,model,manufacturer,owner,kind,verification_type,procedure,result,error_percent,certificate_no,stamp_no,valid_until,technician,checked_by,notes\n\
2023-09-15,CT1P,CT-000123,DDS26,EMIC,Điện lực Hòa Bình,verification,initial,ĐLVN 39:2012,pass,0.5,GCN-1,T-1,,Nguyễn Văn An,Trần Thị Bình,\n";

fn excel_text() -> String {
    format!("{EXCEL_HEADER}\r\n{EXCEL_ROW}\r\n")
}

fn excel_bytes() -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(excel_text().as_bytes());
    bytes
}

fn one_inspection(bytes: &[u8], options: &ReadOptions) -> NewInspection {
    let (rows, summary) = read_with(bytes, LogKind::Inspections, options);
    assert_clean(&summary);
    match rows.as_slice() {
        [ParsedRow::Inspection(s)] => s.record.clone(),
        other => panic!("expected one inspection, got {other:?}"),
    }
}

#[test]
fn excel_shape_and_canonical_shape_give_the_same_record() {
    let excel = one_inspection(&excel_bytes(), &ReadOptions::default());
    let canonical = one_inspection(CANONICAL.as_bytes(), &ReadOptions::default());
    assert_eq!(excel, canonical);
    assert_eq!(excel.date, d(2023, 9, 15));
    assert_eq!(excel.category.as_str(), "CT1P");
    assert_eq!(
        excel.error_percent.map(|e| e.to_string()).as_deref(),
        Some("0.5")
    );
    // A passed verification of a 60-month category without a valid-until gets the cycle.
    assert_eq!(excel.valid_until, Some(d(2028, 9, 15)));
}

#[test]
fn the_summary_maps_fields_to_the_headers_as_written() {
    let (_, summary) = read(&excel_bytes(), LogKind::Inspections);
    let written = |canonical: &str| {
        summary
            .columns
            .iter()
            .find(|(c, _)| c == canonical)
            .map(|(_, w)| w.as_str())
    };
    assert_eq!(written("result"), Some("Kết quả"));
    assert_eq!(written("error_percent"), Some("Sai số (%)"));
    assert_eq!(written("STT"), None);
    // A conflict the store names canonically gets the file's header.
    let mut problems = [
        said(3, Some("result"), Some("fail"), "conflicts"),
        said(3, Some("Kết quả"), None, "x"),
        said(3, None, None, "y"),
    ];
    summary.name_columns_as_written(&mut problems);
    let columns: Vec<Option<&str>> = problems.iter().map(|p| p.column.as_deref()).collect();
    assert_eq!(columns, [Some("Kết quả"), Some("Kết quả"), None]);

    let (_, summary) = read(b"", LogKind::Inspections);
    assert!(summary.columns.is_empty());
}

#[test]
fn originals_keep_what_was_written_without_stt_or_empty_cells() {
    let (rows, summary) = read(&excel_bytes(), LogKind::Inspections);
    assert_clean(&summary);
    let Some(ParsedRow::Inspection(s)) = rows.first() else {
        panic!("{rows:?}")
    };
    assert_eq!(s.line, 2);
    assert_eq!(
        s.original.first(),
        Some(&("Ngày kiểm định".to_owned(), "15/09/2023".to_owned()))
    );
    assert!(s.original.iter().all(|(h, v)| h != "STT" && !v.is_empty()));
    assert!(
        s.original
            .contains(&("Sai số (%)".to_owned(), "0,5".to_owned()))
    );
    assert_eq!(s.original.len(), 15);
}

// ---------------------------------------------------------------------------------------
// Encodings

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

/// Windows-1258 the way Vietnamese Windows writes it: letters with a circumflex, breve or
/// horn precomposed, tone marks as separate combining characters.
fn windows_1258(text: &str) -> Vec<u8> {
    use unicode_normalization::UnicodeNormalization;
    const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
    let mut out = String::new();
    for c in text.chars() {
        let nfd: String = c.to_string().nfd().collect();
        let base: String = nfd
            .chars()
            .filter(|c| !TONES.contains(c))
            .collect::<String>()
            .nfc()
            .collect();
        out.push_str(&base);
        out.extend(nfd.chars().filter(|c| TONES.contains(c)));
    }
    let (bytes, _, had_errors) = encoding_rs::WINDOWS_1258.encode(&out);
    assert!(!had_errors, "not encodable: {text}");
    bytes.into_owned()
}

#[test]
fn every_encoding_reads_the_same_record() {
    let want = one_inspection(&excel_bytes(), &ReadOptions::default());
    let no_bom = excel_text().into_bytes();
    let cases = [
        ("utf-8 without BOM", no_bom.clone()),
        ("utf-16le", utf16(&excel_text(), false)),
        ("utf-16be", utf16(&excel_text(), true)),
        ("windows-1258", windows_1258(&excel_text())),
    ];
    for (name, bytes) in cases {
        let got = one_inspection(&bytes, &ReadOptions::default());
        assert_eq!(got, want, "{name}");
    }
    // Decomposed text from Windows-1258 is stored NFC.
    let got = one_inspection(&windows_1258(&excel_text()), &ReadOptions::default());
    assert_eq!(got.owner.as_deref(), Some("Điện lực Hòa Bình"));
    assert_eq!(got.technician, "Nguyễn Văn An");
}

#[test]
fn the_encoding_can_be_forced() {
    let bytes = windows_1258(&excel_text());
    let forced = ReadOptions {
        encoding: Some(TextEncoding::Windows1258),
        ..ReadOptions::default()
    };
    assert_eq!(
        one_inspection(&bytes, &forced),
        one_inspection(&excel_bytes(), &ReadOptions::default())
    );
    // Windows-1258 bytes read as UTF-8 are invalid text: refused, never replaced.
    let utf8 = ReadOptions {
        encoding: Some(TextEncoding::Utf8),
        ..ReadOptions::default()
    };
    let (rows, summary) = read_with(&bytes, LogKind::Inspections, &utf8);
    assert!(rows.is_empty());
    assert_eq!(summary.fatal.len(), 1, "{:?}", summary.fatal);
    assert_eq!(
        summary.fatal[0].line, 1,
        "the header has the first bad byte"
    );
    assert!(
        summary.fatal[0]
            .message
            .starts_with("line 1: the text is not valid utf-8 (bad bytes at byte"),
        "{}",
        summary.fatal[0]
    );
    assert!(
        summary.fatal[0].message.contains("windows-1258"),
        "{}",
        summary.fatal[0]
    );
}

#[test]
fn a_multibyte_character_cut_by_the_sniff_window_is_still_utf8() {
    // Put "Đ" (2 bytes) across the 64 KiB boundary, inside a long notes field.
    let header = "date,category,serial_number,kind,result,technician,notes\n";
    let prefix = "2023-09-15,CT1P,A1,verification,pass,An,";
    let fill = 64 * 1024 - header.len() - prefix.len() - 1;
    let mut text = format!("{header}{prefix}{}Đạt\n", "x".repeat(fill));
    text.push_str("2023-09-16,CT1P,A2,verification,pass,Bình,\n");
    assert!(!text.is_char_boundary(64 * 1024));
    let (rows, summary) = read(text.as_bytes(), LogKind::Inspections);
    assert_clean(&summary);
    let rows = inspections(&rows);
    assert_eq!(rows[1].1.technician, "Bình");
    assert!(
        rows[0]
            .1
            .notes
            .as_deref()
            .is_some_and(|n| n.ends_with("Đạt"))
    );
}

/// A log whose first 64 KiB are ASCII, then `last` as its last row.
fn ascii_head_then(last: &[u8]) -> Vec<u8> {
    let header = "date,category,serial_number,kind,result,technician,notes\n";
    let row = "2023-09-15,CT1P,A1,verification,pass,An,ok\n";
    let mut bytes = header.as_bytes().to_vec();
    while bytes.len() < 70 * 1024 {
        bytes.extend_from_slice(row.as_bytes());
    }
    bytes.extend_from_slice(last);
    bytes
}

#[test]
fn windows_1258_after_an_ascii_head_is_read() {
    // Regression: the encoding was decided on the first 64 KiB alone, so a Windows-1258
    // file whose first non-ASCII letter came later was refused as broken UTF-8.
    // "Nguyê" + combining tilde + "n" (Nguyễn).
    let bytes = ascii_head_then(b"2023-09-16,CT1P,A2,verification,\xD0a\xF2t,Nguy\xEA\xDEn,\n");
    let (rows, summary) = read(&bytes, LogKind::Inspections);
    assert_clean(&summary);
    let rows = inspections(&rows);
    let (line, last) = rows.last().expect("rows");
    assert_eq!(*line, rows.len() as u64 + 1);
    assert_eq!(last.technician, "Nguyễn");
    assert_eq!(last.result, Some(Outcome::Pass));
    assert_eq!(summary.size_bytes, bytes.len() as u64);
}

#[test]
fn damaged_utf8_is_refused_at_its_line_not_misread() {
    // UTF-8 after an ASCII head, then a byte no UTF-8 holds: refused naming its line.
    let bytes = ascii_head_then(
        &[
            "2023-09-16,CT1P,A2,verification,Đạt,Bình,\n".as_bytes(),
            b"2023-09-17,CT1P,A3,verification,pass,Nguy\xEAn,\n",
        ]
        .concat(),
    );
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let (_, summary) = read(&bytes, LogKind::Inspections);
    assert_eq!(summary.fatal.len(), 1, "{:?}", summary.fatal);
    let problem = &summary.fatal[0];
    assert_eq!(problem.line, lines);
    assert!(
        problem.message.starts_with(&format!(
            "line {lines}: the text is not valid utf-8 (bad bytes at byte {}), although the file reads as that up to there",
            bytes.len() - 4
        )),
        "{problem}"
    );
    assert!(
        problem.message.contains("--encoding windows-1258"),
        "{problem}"
    );
    assert_eq!(summary.size_bytes, bytes.len() as u64);

    // The same damage within the first 64 KiB, after UTF-8 letters: refused too, not
    // read as Windows-1258 mojibake.
    let text = b"date,category,serial_number,kind,result,technician\n15/09/2023,CT1P,A1,verification,\xC4\x90\xE1\xBA\xA1t,Nguy\xEAn\n";
    let (rows, summary) = read(text, LogKind::Inspections);
    assert!(rows.is_empty());
    assert_eq!(summary.fatal.len(), 1, "{:?}", summary.fatal);
    assert_eq!(summary.fatal[0].line, 2, "{}", summary.fatal[0]);
}

// ---------------------------------------------------------------------------------------
// Delimiters, quoting, line numbers

#[test]
fn tab_and_forced_delimiters() {
    let tabbed = CANONICAL.replace(',', "\t");
    let want = one_inspection(CANONICAL.as_bytes(), &ReadOptions::default());
    assert_eq!(
        one_inspection(tabbed.as_bytes(), &ReadOptions::default()),
        want
    );
    let piped = CANONICAL.replace(',', "|");
    let forced = ReadOptions {
        delimiter: Some(b'|'),
        ..ReadOptions::default()
    };
    assert_eq!(one_inspection(piped.as_bytes(), &forced), want);
    let bad = ReadOptions {
        delimiter: Some(b'"'),
        ..ReadOptions::default()
    };
    let (_, summary) = read_with(CANONICAL.as_bytes(), LogKind::Inspections, &bad);
    assert!(summary.fatal[0].message.contains("cannot be the delimiter"));
}

const EARTHING_HEADER: &str = "Ngày đo;Công trình;Điểm đo;Điện trở (Ω);Người đo;Ghi chú";

#[test]
fn old_mac_line_ends_count_as_lines() {
    // Found by fuzzing: a lone CR ends a record for the parser but was not counted as a
    // line, so every row of a CR-only file ("CSV (Macintosh)") was "line 1".
    let text = format!(
        "{EARTHING_HEADER}\r15/09/2023;A;Đ1;2,50;An;\r16/09/2023;A;Đ2;abc;An;\r\r17/09/2023;A;Đ3;x;An;\r"
    );
    let (rows, summary) = read(text.as_bytes(), LogKind::Earthing);
    assert_clean(&summary);
    assert_eq!(rows.len(), 3);
    let bad: Vec<u64> = invalid(&rows).iter().map(|(line, _)| *line).collect();
    assert_eq!(bad, [3, 5]);
}

#[test]
fn quoted_fields_span_lines_and_lines_are_physical() {
    let text = format!(
        "{EARTHING_HEADER}\r\n\
         15/09/2023;\"Trường \"\"A\"\"; khu 1\";Đ1;2,50;An;\"dòng 1\r\ndòng 2\r\ndòng 3\"\r\n\
         \r\n\
         16/09/2023;Trường B;Đ2;abc;An;\r\n\
         ;;;;;\r\n\
         17/09/2023;Trường C;Đ3;1,0;An;\r\n"
    );
    let (rows, summary) = read(text.as_bytes(), LogKind::Earthing);
    assert_clean(&summary);
    assert_eq!(rows.len(), 3, "blank lines are no rows");
    let ParsedRow::Earthing(first) = &rows[0] else {
        panic!("{rows:?}")
    };
    assert_eq!(first.line, 2);
    assert_eq!(first.record.site, "Trường \"A\"; khu 1");
    assert_eq!(
        first.record.notes.as_deref(),
        Some("dòng 1\r\ndòng 2\r\ndòng 3")
    );
    assert_eq!(first.record.resistance.to_string(), "2.50");
    assert_eq!(invalid(&rows).first().map(|(line, _)| *line), Some(6));
    let ParsedRow::Earthing(third) = &rows[2] else {
        panic!("{rows:?}")
    };
    assert_eq!(third.line, 8);
}

#[test]
fn decimal_comma_point_and_grouping() {
    let text = format!(
        "{EARTHING_HEADER}\n15/09/2023;A;1;2,5;An;\n15/09/2023;A;2;2.5;An;\n15/09/2023;A;3;1.234,5;An;\n15/09/2023;A;4;-1;An;\n"
    );
    let (rows, summary) = read(text.as_bytes(), LogKind::Earthing);
    assert_clean(&summary);
    let ok: Vec<String> = rows
        .iter()
        .filter_map(|r| match r {
            ParsedRow::Earthing(s) => Some(s.record.resistance.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(ok, ["2.5", "2.5"]);
    let bad = invalid(&rows);
    assert!(
        bad[0].1[0].message.contains("digit grouping"),
        "{}",
        bad[0].1[0]
    );
    assert!(bad[1].1[0].message.contains("negative"), "{}", bad[1].1[0]);
}

// ---------------------------------------------------------------------------------------
// Problems: all of them, in one pass

#[test]
fn every_problem_of_a_file_in_one_pass() {
    let text = "date,category,serial_number,kind,result,valid_until,technician,error_percent\n\
        2023-09-15,CT1P,A1,verification,pass,,An,0.1\n\
        31/02/2023,CT1P,A2,verification,pass,,An,\n\
        2023-09-15,CT1P,A3,verification,pass,,An,\n\
        09/25/2023,Cân vàng,,kiểm tra,tốt,,,1.2.3\n\
        2023-09-15,CT1P,A5,verification,,,An,\n\
        2023-09-15,CT1P,A6,verification,fail,2024-09-15,An,\n\
        2023-09-15,CT1P,A7,verification,pass,2023-09-01,An,\n\
        2023-09-15,CT1P,A8,calibration,,,An,\n\
        2023-09-15,CT1P,A9\n\
        2023-09-15,CT1P,A10,verification,pass,,An,,extra\n";
    let (rows, summary) = read(text.as_bytes(), LogKind::Inspections);
    assert_clean(&summary);
    assert_eq!(rows.len(), 10);
    let bad = invalid(&rows);
    let lines: Vec<u64> = bad.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [3, 5, 6, 7, 8, 10, 11]);

    let by_line = |line: u64| {
        bad.iter()
            .find(|(l, _)| *l == line)
            .map(|(_, p)| *p)
            .unwrap_or_default()
    };
    let columns = |line: u64| -> Vec<&str> {
        by_line(line)
            .iter()
            .filter_map(|p| p.column.as_deref())
            .collect()
    };
    // Line 5 is wrong in every column it can be.
    assert_eq!(
        columns(5),
        [
            "date",
            "category",
            "serial_number",
            "kind",
            "result",
            "technician",
            "error_percent"
        ],
        "{}",
        messages(by_line(5))
    );
    assert!(messages(by_line(5)).contains("is empty; technician is required"));
    assert!(
        by_line(6)[0]
            .message
            .contains("a verification needs a result")
    );
    assert_eq!(
        by_line(7)[0].message,
        "a failed inspection has no valid-until date; leave it empty"
    );
    assert_eq!(by_line(7)[0].value.as_deref(), Some("2024-09-15"));
    assert!(
        by_line(8)[0]
            .message
            .contains("is before the inspection date 15/09/2023")
    );
    assert_eq!(columns(10), ["kind", "technician"]);
    assert_eq!(
        by_line(11)[0].message,
        "row has 9 fields, the header has 8; is a delimiter or quote out of place?"
    );
    // A calibration needs no result, and gets no valid-until.
    let calibration = inspections(&rows[7..8]);
    assert_eq!(calibration[0].1.result, None);
    assert_eq!(calibration[0].1.valid_until, None);
}

#[test]
fn unknown_columns_warn_and_missing_required_columns_are_fatal() {
    let text = "Ngày;Tên PTĐ;Số seri;Loại hình;Kết luận;Người thực hiện;Màu sơn\n15/09/2023;CT1P;A1;KĐ;Đạt;An;đỏ\n";
    let (rows, summary) = read(text.as_bytes(), LogKind::Inspections);
    assert_clean(&summary);
    assert_eq!(
        messages(&summary.warnings),
        "line 1, column \"Màu sơn\": unknown column, ignored"
    );
    let ParsedRow::Inspection(s) = &rows[0] else {
        panic!("{rows:?}")
    };
    assert!(
        s.original
            .contains(&("Màu sơn".to_owned(), "đỏ".to_owned()))
    );

    let text = "Ngày;Số seri;Kết luận\n15/09/2023;A1;Đạt\n";
    let (rows, summary) = read(text.as_bytes(), LogKind::Inspections);
    assert!(rows.is_empty());
    let fatal = messages(&summary.fatal);
    assert_eq!(summary.fatal.len(), 3, "{fatal}");
    assert!(
        fatal.contains(
            "the required column category is missing (accepted headers: category, Tên PTĐ"
        ),
        "{fatal}"
    );
    assert!(
        fatal.contains("headers found: \"Ngày\", \"Số seri\", \"Kết luận\""),
        "{fatal}"
    );
    assert_eq!(summary.size_bytes, text.len() as u64);
}

#[test]
fn earthing_vocabulary_and_required_cells() {
    let text = format!(
        "{EARTHING_HEADER};Hệ thống;Phương pháp;Giới hạn (Ω)\n\
         15/09/2023;A;Đ1;3,1;An;;An toàn điện;Kìm;4\n\
         15/09/2023;;Đ1;3,1;;;sấm sét;búa;x\n"
    );
    let (rows, summary) = read(text.as_bytes(), LogKind::Earthing);
    assert_clean(&summary);
    let ok = earthing_tests(&rows[..1]);
    assert_eq!(
        ok[0].system,
        Some(metrotrack_core::EarthingSystem::ElectricalSafety)
    );
    assert_eq!(ok[0].method, Some(metrotrack_core::EarthingMethod::Clamp));
    assert_eq!(ok[0].limit.map(|l| l.to_string()).as_deref(), Some("4"));
    let bad = invalid(&rows);
    let cols: Vec<&str> = bad[0]
        .1
        .iter()
        .filter_map(|p| p.column.as_deref())
        .collect();
    assert_eq!(
        cols,
        [
            "Công trình",
            "Người đo",
            "Hệ thống",
            "Phương pháp",
            "Giới hạn (Ω)"
        ]
    );
    assert!(messages(bad[0].1).contains("is not one of: lightning_protection (Chống sét)"));
}

#[test]
fn ymd_date_order_reads_year_first() {
    let text = "date,site,point,resistance_ohm,technician\n2023/09/15,A,1,2,An\n";
    let (rows, _) = read(text.as_bytes(), LogKind::Earthing);
    assert_eq!(invalid(&rows).len(), 1);
    let ymd = ReadOptions {
        date_order: DateOrder::Ymd,
        ..ReadOptions::default()
    };
    let (rows, _) = read_with(text.as_bytes(), LogKind::Earthing, &ymd);
    assert_eq!(earthing_tests(&rows)[0].date, d(2023, 9, 15));
}

/// Problems as their English texts (codes and workbook places left out), to compare
/// with the texts a test expects.
fn english(problems: &[Problem]) -> Vec<Problem> {
    problems
        .iter()
        .map(|p| Problem {
            msg: None,
            sheet: None,
            ..p.clone()
        })
        .collect()
}

/// A problem as its English text says it (no code).
fn said(
    line: u64,
    column: Option<&str>,
    value: Option<&str>,
    message: impl Into<String>,
) -> Problem {
    Problem {
        line,
        column: column.map(str::to_owned),
        value: value.map(str::to_owned),
        message: message.into(),
        msg: None,
        sheet: None,
    }
}

/// A problem of the whole file as its English text says it.
fn said_file(message: impl Into<String>) -> Problem {
    said(0, None, None, message)
}
