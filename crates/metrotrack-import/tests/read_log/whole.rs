use std::io::{Cursor, Write};

use metrotrack_core::{Category, Lang};
use metrotrack_import::WorkbookOptions;
use rust_decimal::Decimal;

use super::*;

/// The first 40 records of the Excel-vi demo log, saved by LibreOffice as `.ods` and `.xls`
/// (fixtures/README.md says how): date cells shown `09/15/23`, number cells, `STT`.
const WHOLE_FIXTURES: [&str; 2] = [
    "workbooks/inspections-2023-10.first-40.ods",
    "workbooks/inspections-2023-10.first-40.xls",
];

fn named_options() -> ReadOptions {
    ReadOptions {
        workbook: WorkbookOptions {
            expected: true,
            ..WorkbookOptions::default()
        },
        ..ReadOptions::default()
    }
}

#[test]
fn xls_and_ods_read_to_the_records_of_the_csv_saved_from_them() {
    let (from_csv, csv_summary) = read(
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
        LogKind::Inspections,
    );
    for path in WHOLE_FIXTURES {
        let bytes = fixture(path);
        let (rows, summary) = read_with(&bytes, LogKind::Inspections, &named_options());
        assert_eq!(summary.fatal, [], "{path}");
        assert_eq!(summary.sha256, hex::encode(Sha256::digest(&bytes)));
        assert_eq!(summary.size_bytes, bytes.len() as u64);
        assert_eq!(summary.columns, csv_summary.columns, "{path}");
        assert_eq!(rows.len(), 40, "{path}");
        for (i, (x, c)) in rows.iter().zip(&from_csv).enumerate() {
            let (ParsedRow::Inspection(x), ParsedRow::Inspection(c)) = (x, c) else {
                panic!("{path}: not both valid: {x:?} / {c:?}");
            };
            assert_eq!(x.record, c.record, "{path} row {}", i + 2);
            assert_eq!(x.line, i as u64 + 2);
        }
        // Row 11 (STT 10): a date cell shown 09/15/23 and a number cell of three decimals.
        let ParsedRow::Inspection(tenth) = &rows[9] else {
            panic!("valid");
        };
        assert_eq!(tenth.record.error_percent, Some(Decimal::new(-1, 3)));
        for (header, value) in [("Ngày kiểm định", "15/09/2023"), ("Sai số (%)", "-0.001")]
        {
            assert!(
                tenth
                    .original
                    .contains(&(header.to_owned(), value.to_owned())),
                "{path}: {:?}",
                tenth.original
            );
        }
    }
}

#[test]
fn a_bad_cell_of_an_xls_or_ods_is_named_by_sheet_and_reference() {
    // Without water meters in the catalogue, row 2's category (C2) is unknown.
    let catalog = CategoryCatalog::new(
        metrotrack_core::category::seed_categories()
            .into_iter()
            .filter(|c: &Category| c.code.as_str() != "DHN")
            .collect(),
    );
    for path in WHOLE_FIXTURES {
        let mut rows = Vec::new();
        let summary = read_log(
            fixture(path).as_slice(),
            LogKind::Inspections,
            &catalog,
            &named_options(),
            |chunk, _| {
                rows.extend(chunk);
                true
            },
        );
        assert_eq!(summary.fatal, [], "{path}");
        let ParsedRow::Invalid { line, problems } = &rows[0] else {
            panic!("{path}: invalid: {:?}", rows[0]);
        };
        assert_eq!(*line, 2);
        assert_eq!(problems[0].column.as_deref(), Some("Tên PTĐ"));
        assert!(
            problems[0].message.ends_with(" (sheet \"log\", cell C2)"),
            "{path}: {}",
            problems[0].message
        );
        assert!(
            problems[0]
                .render(Lang::Vi)
                .ends_with(" (trang tính \"log\", ô C2)"),
            "{path}: {}",
            problems[0].render(Lang::Vi)
        );
    }
}

/// An `.ods` whose `content.xml` holds `table`.
fn ods_of(table: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).expect("part");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .expect("write");
    zip.start_file("META-INF/manifest.xml", deflated)
        .expect("part");
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).expect("write");
    zip.start_file("content.xml", deflated).expect("part");
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{table}</office:spreadsheet></office:body></office:document-content>"#
    )
    .expect("write");
    zip.finish().expect("zip").into_inner()
}

fn text_cell(text: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
    )
}

#[test]
fn an_ods_declaring_a_million_rows_is_refused_before_it_is_read() {
    let header: String = [
        "Ngày kiểm định",
        "Tên PTĐ",
        "Số sản xuất",
        "Hình thức",
        "Kết quả",
        "Người thực hiện",
    ]
    .iter()
    .map(|h| text_cell(h))
    .collect();
    let row = [
        r#"<table:table-cell office:value-type="date" office:date-value="2023-10-05"><text:p>05/10/23</text:p></table:table-cell>"#.to_owned(),
        text_cell("DHN"),
        text_cell("A-1"),
        text_cell("Kiểm định"),
        text_cell("Đạt"),
        text_cell("Trần Thị Mai"),
    ]
    .concat();
    let table = |repeats: u64| {
        format!(
            r#"<table:table table:name="Sổ"><table:table-row>{header}</table:table-row><table:table-row table:number-rows-repeated="{repeats}">{row}</table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#
        )
    };
    // The same workbook with the row written twice reads: the repeats are rows.
    let small = ods_of(&table(2));
    let (rows, summary) = read_with(&small, LogKind::Inspections, &named_options());
    assert_eq!(summary.fatal, []);
    assert_eq!(inspections(&rows).len(), 2);
    assert_eq!(inspections(&rows)[1].0, 3);
    assert_eq!(inspections(&rows)[0].1.date, d(2023, 10, 5));
    // A million repeats: a couple of kilobytes declaring 6 million cells.
    let bomb = ods_of(&table(1_000_000));
    assert!(bomb.len() < 4096, "{}", bomb.len());
    let (rows, summary) = read_with(&bomb, LogKind::Inspections, &named_options());
    assert!(rows.is_empty());
    assert_eq!(
        english(&summary.fatal),
        [said_file(
            "sheet \"Sổ\" declares 1000001 rows × 6 columns; an .xls or .ods workbook is read whole into memory, so it may hold at most 2000000 cells (all sheets together) and 256 columns: delete the empty rows and columns past the log, or save it as .xlsx or CSV"
        )]
    );
    assert!(
        summary.fatal[0]
            .render(Lang::Vi)
            .starts_with("trang tính \"Sổ\" khai báo 1000001 hàng × 6 cột; sổ .xls hoặc .ods được đọc toàn bộ vào bộ nhớ"),
        "{}",
        summary.fatal[0].render(Lang::Vi)
    );
    assert_eq!(summary.sha256, hex::encode(Sha256::digest(&bomb)));
    // A row wider than a log may be.
    let wide = ods_of(&format!(
        r#"<table:table table:name="Rộng"><table:table-row>{header}<table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="300"/></table:table-row></table:table>"#
    ));
    let (_, summary) = read_with(&wide, LogKind::Inspections, &named_options());
    assert!(
        summary.fatal[0]
            .message
            .starts_with("sheet \"Rộng\" declares 1 rows × 306 columns;"),
        "{:?}",
        summary.fatal
    );
}

/// A BIFF record.
fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut r = typ.to_le_bytes().to_vec();
    r.extend(u16::try_from(data.len()).expect("len").to_le_bytes());
    r.extend(data);
    r
}

/// A Number record: `value` at (`row`, `col`).
fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
    let mut data = row.to_le_bytes().to_vec();
    data.extend(col.to_le_bytes());
    data.extend(0u16.to_le_bytes());
    data.extend(value.to_le_bytes());
    record(0x0203, &data)
}

/// An `.xls` (BIFF8 in a compound file) with one sheet holding `cells`.
fn xls_of(sheet: &str, cells: &[Vec<u8>]) -> Vec<u8> {
    let bof = |dt: u16| {
        let mut data = 0x0600u16.to_le_bytes().to_vec();
        data.extend(dt.to_le_bytes());
        data.extend([0u8; 12]);
        record(0x0809, &data)
    };
    let eof = record(0x000A, &[]);
    let bound_sheet = |pos: u32| {
        let mut data = pos.to_le_bytes().to_vec();
        data.extend([0, 0]);
        data.push(u8::try_from(sheet.len()).expect("name"));
        data.push(0);
        data.extend(sheet.as_bytes());
        record(0x0085, &data)
    };
    let globals_len = bof(5).len() + bound_sheet(0).len() + eof.len();
    let mut stream = bof(5);
    stream.extend(bound_sheet(u32::try_from(globals_len).expect("pos")));
    stream.extend(&eof);
    stream.extend(bof(0x10));
    for cell in cells {
        stream.extend(cell);
    }
    stream.extend(&eof);
    let mut compound = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("cfb");
    compound
        .create_stream("/Workbook")
        .expect("stream")
        .write_all(&stream)
        .expect("write");
    compound.flush().expect("flush");
    compound.into_inner().into_inner()
}

#[test]
fn an_xls_spanning_a1_to_iv65536_is_refused_before_it_is_read() {
    let bomb = xls_of("Log", &[number(0, 0, 1.0), number(65535, 255, 2.0)]);
    assert!(bomb.len() < 32 * 1024, "{}", bomb.len());
    let (rows, summary) = read_with(&bomb, LogKind::Inspections, &named_options());
    assert!(rows.is_empty());
    assert_eq!(
        english(&summary.fatal),
        [said_file(
            "sheet \"Log\" declares 65536 rows × 256 columns; an .xls or .ods workbook is read whole into memory, so it may hold at most 2000000 cells (all sheets together) and 256 columns: delete the empty rows and columns past the log, or save it as .xlsx or CSV"
        )]
    );
}

#[test]
fn what_is_not_an_xls_or_ods_is_refused_with_what_it_is() {
    // CSV text named .xls or .ods.
    for name in ["log.xls", "log.ods", "LOG.ODS"] {
        assert!(WorkbookOptions::named_as_workbook(name), "{name}");
    }
    assert!(!WorkbookOptions::named_as_workbook(
        "application/vnd.ms-excel"
    ));
    let text = fixture("demo/earthing-2023-10.excel-vi.csv");
    let (rows, summary) = read_with(&text, LogKind::Earthing, &named_options());
    assert!(rows.is_empty());
    assert_eq!(
        english(&summary.fatal),
        [said_file(
            "this file is named as a workbook (.xlsx, .xls, .ods) but is not one; save it again from Excel as .xlsx, or name it .csv if it is CSV text"
        )]
    );
    // A compound file that is no workbook (a Word document's shape).
    let mut compound = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("cfb");
    compound
        .create_stream("/WordDocument")
        .expect("stream")
        .write_all(b"not a workbook")
        .expect("write");
    compound.flush().expect("flush");
    let doc = compound.into_inner().into_inner();
    let (_, summary) = read_with(&doc, LogKind::Inspections, &named_options());
    assert_eq!(
        english(&summary.fatal),
        [said_file(
            "this file is not a workbook (.xlsx, .xls, .ods) that can be read (no Workbook stream: not an Excel workbook); save it again from Excel as .xlsx, or as CSV"
        )]
    );
    // Each fixture cut short, and an .ods whose content is not a spreadsheet's.
    for path in WHOLE_FIXTURES {
        let bytes = fixture(path);
        let (rows, summary) = read_with(
            &bytes[..bytes.len() / 2],
            LogKind::Inspections,
            &named_options(),
        );
        assert!(rows.is_empty(), "{path}");
        assert_eq!(summary.fatal.len(), 1, "{path}: {:?}", summary.fatal);
    }
    let broken = ods_of(
        "<table:table table:name=\"x\"><table:table-row table:number-rows-repeated=\"many\"/></table:table>",
    );
    let (_, summary) = read_with(&broken, LogKind::Inspections, &named_options());
    assert!(
        summary.fatal[0]
            .message
            .starts_with("this file is not a workbook (.xlsx, .xls, .ods) that can be read (content.xml: table:number-rows-repeated = \"many\")"),
        "{:?}",
        summary.fatal
    );
}
