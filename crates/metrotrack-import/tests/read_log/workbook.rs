use std::io::Write;

use metrotrack_import::WorkbookOptions;
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use super::*;

/// A date written `dd/mm/yyyy` or `yyyy-mm-dd`.
fn date_of(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// Writes a CSV log into `sheet` as a person keeps it in Excel: the columns named in
/// `dates` as date cells (shown `d mmm yyyy`, not as the CSV writes them), those in
/// `numbers` and the row number as number cells (shown with one decimal, fewer than they
/// hold), the rest as text; then an empty, formatted trailing row.
fn fill_sheet(sheet: &mut Worksheet, csv_text: &str, dates: &[&str], numbers: &[&str]) {
    let shown_date = Format::new().set_num_format("d mmm yyyy");
    let shown_number = Format::new().set_num_format("0.0");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if csv_text.contains(';') { b';' } else { b',' })
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let mut header: Vec<String> = Vec::new();
    let mut last = 0;
    for (r, record) in reader.records().enumerate() {
        let record = record.expect("csv record");
        let row = u32::try_from(r).expect("row");
        last = row;
        if r == 0 {
            header = record.iter().map(str::to_owned).collect();
        }
        for (c, value) in record.iter().enumerate() {
            let col = u16::try_from(c).expect("col");
            let name = header.get(c).map_or("", String::as_str);
            let written = if r == 0 || value.is_empty() {
                sheet.write_string(row, col, value).map(|_| ())
            } else if dates.contains(&name) {
                let date = date_of(value).unwrap_or_else(|| panic!("date {value:?}"));
                let at = ExcelDateTime::parse_from_str(&date.to_string()).expect("excel date");
                sheet
                    .write_datetime_with_format(row, col, &at, &shown_date)
                    .map(|_| ())
            } else if numbers.contains(&name) || name == "STT" {
                let number: f64 = value.replace(',', ".").parse().expect("number");
                sheet
                    .write_number_with_format(row, col, number, &shown_number)
                    .map(|_| ())
            } else {
                sheet.write_string(row, col, value).map(|_| ())
            };
            written.expect("cell written");
        }
    }
    // The empty trailing row a spreadsheet keeps: formatted blank cells and a space.
    sheet
        .write_blank(last + 1, 0, &shown_number)
        .expect("blank cell");
    sheet.write_string(last + 1, 3, " ").expect("space cell");
}

fn workbook_of(csv_text: &str, dates: &[&str], numbers: &[&str]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    fill_sheet(workbook.add_worksheet(), csv_text, dates, numbers);
    workbook.save_to_buffer().expect("xlsx")
}

const VI_DATES: [&str; 2] = ["Ngày kiểm định", "Hiệu lực đến"];
const VI_NUMBERS: [&str; 1] = ["Sai số (%)"];

fn xlsx_options() -> ReadOptions {
    ReadOptions {
        workbook: WorkbookOptions {
            expected: true,
            ..WorkbookOptions::default()
        },
        ..ReadOptions::default()
    }
}

#[test]
fn a_workbook_reads_to_the_records_of_the_csv_saved_from_it() {
    let csv_bytes = fixture("demo/inspections-2023-10.excel-vi.csv");
    let xlsx = workbook_of(
        std::str::from_utf8(&csv_bytes).expect("utf-8"),
        &VI_DATES,
        &VI_NUMBERS,
    );
    let (from_csv, csv_summary) = read(&csv_bytes, LogKind::Inspections);
    let (from_xlsx, summary) = read_with(&xlsx, LogKind::Inspections, &xlsx_options());
    assert_eq!(summary.fatal, []);
    assert_eq!(from_xlsx.len(), 507);
    assert_eq!(summary.columns, csv_summary.columns);
    assert_eq!(summary.sha256, hex::encode(Sha256::digest(&xlsx)));
    assert_eq!(summary.size_bytes, xlsx.len() as u64);
    for (i, (x, c)) in from_xlsx.iter().zip(&from_csv).enumerate() {
        let (ParsedRow::Inspection(x), ParsedRow::Inspection(c)) = (x, c) else {
            panic!("not both valid: {x:?} / {c:?}");
        };
        assert_eq!(x.record, c.record);
        // A sheet's rows are numbered as Excel shows them (a cell holding a line break
        // is one row, where the CSV spans two lines).
        assert_eq!(x.line, i as u64 + 2);
        // The same originals, but the number the CSV writes with a decimal comma.
        let without_error = |o: &[(String, String)]| {
            o.iter()
                .filter(|(h, _)| h != "Sai số (%)")
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(without_error(&x.original), without_error(&c.original));
    }
    let ParsedRow::Inspection(second) = &from_xlsx[1] else {
        panic!("row 3");
    };
    assert_eq!(second.record.error_percent, Some(Decimal::new(25, 1)));
    assert!(
        second
            .original
            .contains(&("Sai số (%)".to_owned(), "2.5".to_owned()))
    );
    assert!(
        second
            .original
            .contains(&("Ngày kiểm định".to_owned(), "15/09/2023".to_owned()))
    );
}

const SMALL_LOG: &str =
    "STT;Ngày kiểm định;Tên PTĐ;Số sản xuất;Hình thức;Kết quả;Sai số (%);Người thực hiện
1;05/10/2023;Đồng hồ nước;A-1;Kiểm định;Đạt;-0,056;Trần Thị Mai
2;06/10/2023;Đồng hồ nước;A-2;Kiểm định;Đạt;1,125;Trần Thị Mai
";

#[test]
fn cells_hold_their_values_not_their_display() {
    let xlsx = workbook_of(SMALL_LOG, &["Ngày kiểm định"], &["Sai số (%)"]);
    let (rows, summary) = read_with(&xlsx, LogKind::Inspections, &xlsx_options());
    assert_eq!(summary.fatal, []);
    let rows = inspections(&rows);
    assert_eq!(rows.len(), 2, "the empty trailing row is no record");
    let (line, first) = rows[0];
    assert_eq!(line, 2);
    assert_eq!(
        first.date,
        NaiveDate::from_ymd_opt(2023, 10, 5).expect("date")
    );
    // Shown as -0.1, holds -0.056.
    assert_eq!(first.error_percent, Some(Decimal::new(-56, 3)));
    assert_eq!(rows[1].1.error_percent, Some(Decimal::new(1125, 3)));
    let (csv_rows, _) = read(SMALL_LOG.as_bytes(), LogKind::Inspections);
    assert_eq!(
        inspections(&csv_rows)
            .iter()
            .map(|(_, r)| *r)
            .collect::<Vec<_>>(),
        rows.iter().map(|(_, r)| *r).collect::<Vec<_>>()
    );
    let ParsedRow::Inspection(sourced) =
        &read_with(&xlsx, LogKind::Inspections, &xlsx_options()).0[0]
    else {
        panic!("valid");
    };
    assert!(
        sourced
            .original
            .contains(&("Sai số (%)".to_owned(), "-0.056".to_owned())),
        "{:?}",
        sourced.original
    );
}

#[test]
fn a_bad_cell_is_named_by_sheet_and_reference() {
    let bad = SMALL_LOG.replace("1;05/10/2023", "1;31/02/2023");
    let mut workbook = Workbook::new();
    workbook.add_worksheet().set_name("Ghi chú").expect("name");
    let sheet = workbook.add_worksheet();
    sheet.set_name("Tháng 10").expect("name");
    // The date as text, as a person types a date Excel does not take.
    fill_sheet(sheet, &bad, &[], &["Sai số (%)"]);
    let xlsx = workbook.save_to_buffer().expect("xlsx");
    let mut options = xlsx_options();
    options.workbook.sheet = Some("tháng 10".to_owned());
    let (rows, summary) = read_with(&xlsx, LogKind::Inspections, &options);
    assert_eq!(summary.fatal, []);
    assert_eq!(rows.len(), 2);
    let ParsedRow::Invalid { line, problems } = &rows[0] else {
        panic!("invalid: {:?}", rows[0]);
    };
    assert_eq!(*line, 2);
    assert_eq!(
        problems
            .iter()
            .map(|p| (p.line, p.column.as_deref(), p.value.as_deref()))
            .collect::<Vec<_>>(),
        [(2, Some("Ngày kiểm định"), Some("31/02/2023"))]
    );
    assert!(
        problems[0]
            .message
            .ends_with(" (sheet \"Tháng 10\", cell B2)"),
        "{}",
        problems[0].message
    );
    // The first sheet is read when none is chosen; a sheet that is not there is named.
    let (_, first) = read_with(&xlsx, LogKind::Inspections, &xlsx_options());
    assert_eq!(
        english(&first.fatal),
        [said_file("sheet \"Ghi chú\" is empty: no header row")]
    );
    options.workbook.sheet = Some("Tháng 11".to_owned());
    let (_, missing) = read_with(&xlsx, LogKind::Inspections, &options);
    assert_eq!(
        english(&missing.fatal),
        [said_file(
            "the workbook has no sheet named \"Tháng 11\"; its sheets: \"Ghi chú\", \"Tháng 10\""
        )]
    );
}

/// A zip archive of `parts` (name, bytes), deflated.
fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, bytes) in parts {
        zip.start_file(*name, options).expect("part");
        zip.write_all(bytes).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    // 600 MiB of spaces in the sheet (written a mebibyte at a time): under a megabyte
    // zipped, past the 512 MiB bound.
    let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("[Content_Types].xml", options)
        .expect("part");
    zip.write_all(b"<Types/>").expect("write");
    zip.start_file("xl/worksheets/sheet1.xml", options)
        .expect("part");
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..600 {
        zip.write_all(&spaces).expect("write");
    }
    let bomb = zip.finish().expect("zip").into_inner();
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    let (rows, summary) = read_with(&bomb, LogKind::Inspections, &xlsx_options());
    assert!(rows.is_empty());
    assert_eq!(
        english(&summary.fatal),
        [said_file(
            "the workbook unpacks to more than 512 MiB (its part xl/worksheets/sheet1.xml alone to 600 MiB); split it into smaller workbooks"
        )]
    );
    assert_eq!(summary.size_bytes, bomb.len() as u64);
    assert_eq!(summary.sha256, hex::encode(Sha256::digest(&bomb)));
}

#[test]
fn a_sheet_past_the_cell_bound_is_refused() {
    let xlsx = workbook_of(SMALL_LOG, &["Ngày kiểm định"], &["Sai số (%)"]);
    let mut options = xlsx_options();
    options.workbook.max_cells = 20;
    let (_, summary) = read_with(&xlsx, LogKind::Inspections, &options);
    assert_eq!(
        english(&summary.fatal),
        [said_file(
            "sheet \"Sheet1\" has more than 20 cells; split it into smaller workbooks"
        )]
    );
    options.workbook.max_cells = 26;
    assert_eq!(read_with(&xlsx, LogKind::Inspections, &options).1.fatal, []);
}

#[test]
fn what_is_not_a_workbook_is_refused_with_what_it_is() {
    // Text named .xlsx.
    let text = SMALL_LOG.as_bytes();
    let (rows, summary) = read_with(text, LogKind::Inspections, &xlsx_options());
    assert!(rows.is_empty());
    assert_eq!(
        english(&summary.fatal),
        [said_file(
            "this file is named as a workbook (.xlsx, .xls, .ods) but is not one; save it again from Excel as .xlsx, or name it .csv if it is CSV text"
        )]
    );
    assert_eq!(summary.size_bytes, text.len() as u64);
    // The same text under its own name is read as CSV.
    assert_eq!(read(text, LogKind::Inspections).1.fatal, []);
    // A zip that holds no workbook.
    let zip = zip_of(&[("notes.txt", b"hello")]);
    let (_, summary) = read(&zip, LogKind::Inspections);
    assert_eq!(summary.fatal.len(), 1);
    let message = &summary.fatal[0].message;
    assert!(
        message.starts_with("this file is not a workbook (.xlsx, .xls, .ods) that can be read ("),
        "{message}"
    );
    // Cut short: starts as a zip, is not one.
    let xlsx = workbook_of(SMALL_LOG, &[], &[]);
    let (_, summary) = read(&xlsx[..xlsx.len() / 2], LogKind::Inspections);
    assert!(
        summary.fatal[0]
            .message
            .starts_with("this file starts like an Excel workbook (.xlsx, a zip archive) but cannot be read as one ("),
        "{:?}",
        summary.fatal
    );
}
