//! With `file_kept`, a CSV row that is one line leaves its original observations to the
//! kept file: read back from the kept parts through the summary's layout, they are the
//! observations the row carries when the file is not kept.

use metrotrack_core::{LogKind, ParsedRow};
use metrotrack_import::{Keeping, ReadOptions, read_log, unpack};

use super::{catalog, fixture};

type Original = Vec<(String, String)>;

fn original(row: &ParsedRow) -> Option<(u64, &Original)> {
    match row {
        ParsedRow::Inspection(s) => Some((s.line, &s.original)),
        ParsedRow::Earthing(s) => Some((s.line, &s.original)),
        ParsedRow::Invalid { .. } => None,
    }
}

/// Reads `bytes` again with `file_kept`, keeping its parts: each valid row's original,
/// read back from the kept file where the row left it there, must be the one `plain`
/// (the same file read without `file_kept`) carries. The lines left to the file.
pub(super) fn originals_read_back(
    bytes: &[u8],
    kind: LogKind,
    plain: &[ParsedRow],
) -> Result<Vec<u64>, String> {
    let mut parts = Vec::new();
    let mut rows = Vec::new();
    let mut keeping = Keeping::new(bytes, |p| parts.push(p));
    let options = ReadOptions {
        file_kept: true,
        ..ReadOptions::default()
    };
    let summary = read_log(&mut keeping, kind, &catalog(), &options, |chunk, _| {
        rows.extend(chunk);
        true
    });
    keeping.finish().map_err(|e| e.to_string())?;
    let mut left = Vec::new();
    for (plain, kept) in plain.iter().zip(&rows) {
        let (Some((line, want)), Some((kept_line, got))) = (original(plain), original(kept)) else {
            continue;
        };
        if line != kept_line {
            return Err(format!("line {kept_line} read where {line} was"));
        }
        if !got.is_empty() {
            if got != want {
                return Err(format!("line {line}: {got:?}, not {want:?}"));
            }
            continue;
        }
        let layout = summary
            .layout
            .as_ref()
            .ok_or_else(|| format!("line {line} left to the file, but no layout"))?;
        let part = parts
            .iter()
            .rev()
            .find(|p| p.first_line <= line)
            .ok_or_else(|| format!("no kept part holds line {line}"))?;
        let data = unpack(&part.data).map_err(|e| e.to_string())?;
        let back = layout
            .original_at(&data, part.first_line, line)
            .map_err(|e| e.to_string())?;
        if &back != want {
            return Err(format!("line {line} read back as {back:?}, not {want:?}"));
        }
        left.push(line);
    }
    if rows.len() != plain.len() {
        return Err(format!("{} rows, not {}", rows.len(), plain.len()));
    }
    Ok(left)
}

/// The rows of `bytes` as the reader hands them over when the file is not kept.
fn read(bytes: &[u8], kind: LogKind) -> Vec<ParsedRow> {
    super::read(bytes, kind).0
}

const HEADER: &str = "STT;Ngày kiểm định;Loại PTĐ;Số sản xuất;Hình thức;Kết quả;\
                      Kiểm định viên;Ghi chú\n";

fn line(n: u32, notes: &str) -> String {
    format!("{n};0{n}/10/2023;CT1P;SX-{n:04};Kiểm định;Đạt;Nguyễn Văn Hùng;{notes}\n")
}

#[test]
fn a_record_with_a_line_end_in_a_quoted_cell_keeps_its_original() {
    let text = [
        HEADER.to_owned(),
        line(1, "pin mới"),
        line(2, "\"tem \"\"mới\"\"\""),
        line(3, "\"dòng 1\ndòng 2\""),
        line(4, ""),
        line(5, "\"a;\r\nb\""),
        line(6, "x"),
    ]
    .concat();
    let rows = read(text.as_bytes(), LogKind::Inspections);
    assert_eq!(rows.len(), 6, "{rows:?}");
    let left = originals_read_back(text.as_bytes(), LogKind::Inspections, &rows).expect("kept");
    // The third record runs from line 4 onto 5, the fifth from 7 onto 8: they carry
    // their observations; the others are read back from their line.
    assert_eq!(left, vec![2, 3, 6, 9]);
}

#[test]
fn a_file_with_lone_carriage_returns_keeps_every_original() {
    let text = [HEADER.to_owned(), line(1, ""), line(2, "")]
        .concat()
        .replace('\n', "\r");
    let rows = read(text.as_bytes(), LogKind::Inspections);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let left = originals_read_back(text.as_bytes(), LogKind::Inspections, &rows).expect("kept");
    assert_eq!(left, Vec::<u64>::new());
}

#[test]
fn the_demo_logs_are_read_back_from_their_kept_file() {
    for (path, kind) in [
        ("demo/inspections-2023-10.csv", LogKind::Inspections),
        (
            "demo/inspections-2023-10.windows-1258.csv",
            LogKind::Inspections,
        ),
        (
            "demo/inspections-2023-10.excel-vi.csv",
            LogKind::Inspections,
        ),
        ("demo/earthing-2023-10.csv", LogKind::Earthing),
        ("demo/earthing-2023-10.nfd.csv", LogKind::Earthing),
        (
            "demo/inspections-2023-10.unicode-text.txt",
            LogKind::Inspections,
        ),
    ] {
        let bytes = fixture(path);
        let rows = read(&bytes, kind);
        let left = originals_read_back(&bytes, kind, &rows).expect(path);
        let valid = rows.iter().filter(|r| original(r).is_some()).count();
        if path.ends_with(".txt") {
            // UTF-16: a line feed is two bytes; every row carries its observations.
            assert_eq!(left, Vec::<u64>::new(), "{path}");
            continue;
        }
        // The inspections log has one record whose notes run over two lines.
        let multi_line = usize::from(kind == LogKind::Inspections);
        assert_eq!(
            left.len(),
            valid - multi_line,
            "{path}: rows left to the file"
        );
        assert!(valid > 10, "{path}: {valid} rows");
    }
}
