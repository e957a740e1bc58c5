//! What a technician reads back for each cell and each file: dates and their refusals word
//! for word, options' names, forced delimiters, the order of a row's problems, blank lines,
//! the chunks handed over.
//!
//! Written against the mutation score (`just mutants`): each assertion is a value a user
//! sees, so that a changed comparison in the reader fails here.

use chrono::NaiveDate;
use metrotrack_core::category::seed_categories;
use metrotrack_core::{CategoryCatalog, FileSummary, LogKind, ParsedRow};
use metrotrack_import::{CHUNK_ROWS, DateOrder, ReadOptions, TextEncoding, read_log};

use super::{english, said, said_file};

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

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// The date an earthing row with `written` in its date cell reads to, or the problem.
fn date_cell(written: &str, order: DateOrder) -> Result<NaiveDate, String> {
    let text = format!("date;site;point;resistance_ohm;technician\n{written};A;1;2;An\n");
    let options = ReadOptions {
        date_order: order,
        ..ReadOptions::default()
    };
    let (rows, summary) = read_with(text.as_bytes(), LogKind::Earthing, &options);
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    match rows.as_slice() {
        [ParsedRow::Earthing(s)] => Ok(s.record.date),
        [ParsedRow::Invalid { problems, .. }] => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].column.as_deref(), Some("date"));
            assert_eq!(problems[0].value.as_deref(), Some(written.trim()));
            Err(problems[0].message.clone())
        }
        other => panic!("{other:?}"),
    }
}

fn dmy(written: &str) -> Result<NaiveDate, String> {
    date_cell(written, DateOrder::Dmy)
}

#[test]
fn the_years_a_log_may_carry() {
    assert_eq!(dmy("01/01/1900"), Ok(d(1900, 1, 1)));
    assert_eq!(dmy("31/12/2199"), Ok(d(2199, 12, 31)));
    assert_eq!(
        dmy("31/12/1899"),
        Err(
            "31/12/1899 has the year 1899, which cannot be right; write a year from 1900 to 2199"
                .into()
        )
    );
    assert_eq!(
        dmy("2200-01-01"),
        Err(
            "2200-01-01 has the year 2200, which cannot be right; write a year from 1900 to 2199"
                .into()
        )
    );
}

#[test]
fn impossible_days_name_the_month_and_its_length() {
    let day_first = "dates are read day-first (dd/mm/yyyy)";
    let year_first = "dates written year-first are read yyyy-mm-dd";
    assert_eq!(
        dmy("31/04/2023"),
        Err(format!(
            "31/04/2023 is not a date: April 2023 has 30 days; {day_first}"
        ))
    );
    assert_eq!(
        dmy("00/09/2023"),
        Err(format!(
            "00/09/2023 is not a date: September 2023 has 30 days; {day_first}"
        ))
    );
    assert_eq!(
        dmy("32/12/2023"),
        Err(format!(
            "32/12/2023 is not a date: December 2023 has 31 days; {day_first}"
        ))
    );
    assert_eq!(
        dmy("32/01/2024"),
        Err(format!(
            "32/01/2024 is not a date: January 2024 has 31 days; {day_first}"
        ))
    );
    assert_eq!(
        dmy("2023-02-29"),
        Err(format!(
            "2023-02-29 is not a date: February 2023 has 28 days; {year_first}"
        ))
    );
    assert_eq!(
        dmy("2023-13-01"),
        Err(format!(
            "2023-13-01 is not a date: there is no month 13; {year_first}"
        ))
    );
    assert_eq!(dmy("31/12/2023"), Ok(d(2023, 12, 31)));
    assert_eq!(dmy("31/01/2024"), Ok(d(2024, 1, 31)));
    assert_eq!(dmy("30/11/2023"), Ok(d(2023, 11, 30)));
    assert_eq!(dmy("2024-02-29"), Ok(d(2024, 2, 29)));
}

#[test]
fn malformed_dates_are_refused_with_the_day_first_hint() {
    let hint =
        |s: &str| format!("{s} is not a date; write it day-first as dd/mm/yyyy, e.g. 15/09/2023");
    for bad in [
        "015/09/2023",
        "15/009/2023",
        "15/09/20231",
        "2023-009-15",
        "2023-09-015",
        "115/09/23",
        "15/109/23",
        "15/09/123",
        "15/09/2023:00",
        "15/09",
        "15.09.2023.1",
        "2023",
        "15/9/2O23",
    ] {
        assert_eq!(dmy(bad), Err(hint(bad)), "{bad}");
    }
    assert_eq!(
        dmy("15/09/23"),
        Err("15/09/23 has a two-digit year; write the year in full, e.g. 15/09/2023".into())
    );
    assert_eq!(
        dmy("5/9/23"),
        Err("5/9/23 has a two-digit year; write the year in full, e.g. 15/09/2023".into())
    );
}

#[test]
fn year_first_needs_iso_dashes_or_the_ymd_order() {
    assert_eq!(
        dmy("2023/09/15"),
        Err("2023/09/15 is written year-first with '/'; dates are read day-first (dd/mm/yyyy) or as ISO yyyy-mm-dd, or set the date order to ymd".into())
    );
    assert_eq!(
        dmy("2023.09.15"),
        Err("2023.09.15 is written year-first with '.'; dates are read day-first (dd/mm/yyyy) or as ISO yyyy-mm-dd, or set the date order to ymd".into())
    );
    assert_eq!(dmy("2023-09-15"), Ok(d(2023, 9, 15)));
    assert_eq!(date_cell("2023/9/5", DateOrder::Ymd), Ok(d(2023, 9, 5)));
    assert_eq!(date_cell("5/9/2023", DateOrder::Ymd), Ok(d(2023, 9, 5)));
}

#[test]
fn only_midnight_may_follow_a_date() {
    for ok in [
        "15/09/2023 00:00",
        "15/09/2023 0:00",
        "15/09/2023 00:00:00",
        "15/09/2023 00:00:00.000",
        "15/09/2023 00:00:00 SA",
        "15/09/2023 00:00 am",
        "2023-09-15T00:00:00Z",
        "2023-09-15T00:00",
        "15/09/2023\t00:00",
    ] {
        assert_eq!(dmy(ok), Ok(d(2023, 9, 15)), "{ok}");
    }
    for (bad, time) in [
        ("15/09/2023 08:30", "08:30"),
        ("15/09/2023 10:00", "10:00"),
        ("15/09/2023 00:01", "00:01"),
        ("15/09/2023 00:00 PM", "00:00 PM"),
        ("15/09/2023 00:00:00:00", "00:00:00:00"),
        ("2023-09-15T12:00:00", "12:00:00"),
        ("15/09/2023 :", ":"),
    ] {
        assert_eq!(
            dmy(bad),
            Err(format!(
                "{bad} has a time of day ({time}); write the date only, e.g. 15/09/2023"
            )),
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Options

#[test]
fn options_name_themselves() {
    assert_eq!(DateOrder::Dmy.to_string(), "dmy");
    assert_eq!(DateOrder::Ymd.to_string(), "ymd");
    assert_eq!(
        DateOrder::Ymd.as_str().parse::<DateOrder>(),
        Ok(DateOrder::Ymd)
    );
    assert_eq!(
        DateOrder::Dmy.as_str().parse::<DateOrder>(),
        Ok(DateOrder::Dmy)
    );
    let err = "mdy".parse::<DateOrder>().expect_err("never month-first");
    assert_eq!(
        err.to_string(),
        "unknown date order \"mdy\"; use dmy (15/09/2023) or ymd (2023/09/15)"
    );
    for (encoding, name) in [
        (TextEncoding::Utf8, "utf-8"),
        (TextEncoding::Utf16Le, "utf-16le"),
        (TextEncoding::Utf16Be, "utf-16be"),
        (TextEncoding::Windows1258, "windows-1258"),
    ] {
        assert_eq!(encoding.to_string(), name);
        assert_eq!(name.parse::<TextEncoding>(), Ok(encoding));
    }
    for (label, encoding) in [
        ("utf_8", TextEncoding::Utf8),
        ("UTF16LE", TextEncoding::Utf16Le),
        ("utf16be", TextEncoding::Utf16Be),
        ("windows1258", TextEncoding::Windows1258),
        ("cp-1258", TextEncoding::Windows1258),
    ] {
        assert_eq!(label.parse::<TextEncoding>(), Ok(encoding), "{label}");
    }
}

const HEADER: &str = "date;category;serial_number;kind;result;technician";

#[test]
fn a_forced_encoding_reads_a_file_with_its_bom() {
    // UTF-16 LE given explicitly, the BOM still dropped.
    let text = format!("{HEADER}\n15/09/2023;CT1P;A1;KĐ;Đạt;Nguyễn\n");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    for forced in [None, Some(TextEncoding::Utf16Le)] {
        let options = ReadOptions {
            encoding: forced,
            ..ReadOptions::default()
        };
        let (rows, summary) = read_with(&bytes, LogKind::Inspections, &options);
        assert!(summary.fatal.is_empty(), "{forced:?}: {:?}", summary.fatal);
        let [ParsedRow::Inspection(s)] = rows.as_slice() else {
            panic!("{forced:?}: {rows:?}")
        };
        assert_eq!(s.record.technician, "Nguyễn");
        assert_eq!(
            summary
                .columns
                .first()
                .map(|(c, w)| (c.as_str(), w.as_str())),
            Some(("date", "date"))
        );
    }
    // A UTF-8 BOM on a file forced as Windows-1258 is not a BOM of that encoding: its
    // bytes are text (three letters before the first header).
    let bytes = [b"\xEF\xBB\xBF".as_slice(), format!("{HEADER}\n").as_bytes()].concat();
    let options = ReadOptions {
        encoding: Some(TextEncoding::Windows1258),
        ..ReadOptions::default()
    };
    let (_, summary) = read_with(&bytes, LogKind::Inspections, &options);
    assert_eq!(summary.fatal.len(), 1, "{:?}", summary.fatal);
    assert!(
        summary.fatal[0]
            .message
            .starts_with("the required column date is missing"),
        "{}",
        summary.fatal[0]
    );
}

#[test]
fn bad_text_says_whether_its_encoding_was_guessed() {
    let bad = [
        format!("{HEADER}\n").as_bytes(),
        b"15/09/2023;CT1P;A1;KD;\xC4\x90\xFFt;An\n",
    ]
    .concat();
    // Detected (no BOM, not forced): the message says the file read as UTF-8 so far.
    let (_, summary) = read(&bad, LogKind::Inspections);
    assert_eq!(summary.fatal.len(), 1, "{:?}", summary.fatal);
    assert!(
        summary.fatal[0]
            .message
            .contains(", although the file reads as that up to there"),
        "{}",
        summary.fatal[0]
    );
    // Forced, or from a BOM: it does not.
    let forced = ReadOptions {
        encoding: Some(TextEncoding::Utf8),
        ..ReadOptions::default()
    };
    let (_, summary) = read_with(&bad, LogKind::Inspections, &forced);
    assert_eq!(summary.fatal.len(), 1, "{:?}", summary.fatal);
    assert!(
        !summary.fatal[0].message.contains("although"),
        "{}",
        summary.fatal[0]
    );
    let bom = [b"\xEF\xBB\xBF".as_slice(), &bad].concat();
    let (_, summary) = read(&bom, LogKind::Inspections);
    assert_eq!(summary.fatal.len(), 1, "{:?}", summary.fatal);
    assert_eq!(summary.fatal[0].line, 2);
    assert!(
        summary.fatal[0]
            .message
            .starts_with("line 2: the text is not valid utf-8 (bad bytes at byte "),
        "{}",
        summary.fatal[0]
    );
    assert!(
        !summary.fatal[0].message.contains("although"),
        "{}",
        summary.fatal[0]
    );
}

#[test]
fn a_forced_delimiter_must_be_one_ascii_character_that_is_no_quote_or_line_end() {
    let text = format!("{}\n15/09/2023;CT1P;A1;KĐ;Đạt;An\n", HEADER);
    let forced = |d: u8| ReadOptions {
        delimiter: Some(d),
        ..ReadOptions::default()
    };
    let (rows, summary) = read_with(text.as_bytes(), LogKind::Inspections, &forced(b';'));
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    assert_eq!(rows.len(), 1);
    assert!(matches!(rows[0], ParsedRow::Inspection(_)), "{rows:?}");
    for (d, shown) in [
        (b'"', "'\"'"),
        (b'\n', "'\\n'"),
        (b'\r', "'\\r'"),
        (0, "'\\0'"),
        (0xFF, "'ÿ'"),
    ] {
        let (rows, summary) = read_with(text.as_bytes(), LogKind::Inspections, &forced(d));
        assert!(rows.is_empty());
        assert_eq!(
            english(&summary.fatal),
            [said_file(format!(
                "{shown} cannot be the delimiter; use ',', ';' or a tab"
            ))],
            "{d}"
        );
        assert_eq!(
            summary.size_bytes,
            text.len() as u64,
            "the file is still hashed"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Rows

#[test]
fn blank_lines_before_the_header_are_skipped_and_counted() {
    let text = format!("\n;;;\n  \n{HEADER}\n\n15/09/2023;CT1P;A1;KĐ;Đạt;An\n");
    let (rows, summary) = read(text.as_bytes(), LogKind::Inspections);
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    let [ParsedRow::Inspection(s)] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    assert_eq!(s.line, 6);
}

#[test]
fn a_row_s_problems_come_in_the_file_s_column_order() {
    // Extra fields (no column) first, then by column, then a column the file lacks.
    let text = "technician;serial_number;kind;date;category\n;A1;kiểm định;31/02/2023;CT1P;x\n";
    let (rows, summary) = read(text.as_bytes(), LogKind::Inspections);
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    let [ParsedRow::Invalid { line, problems }] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    assert_eq!(*line, 2);
    let got: Vec<(Option<&str>, &str)> = problems
        .iter()
        .map(|p| (p.column.as_deref(), p.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                None,
                "row has 6 fields, the header has 5; is a delimiter or quote out of place?"
            ),
            (Some("technician"), "is empty; technician is required"),
            (
                Some("date"),
                "31/02/2023 is not a date: February 2023 has 28 days; dates are read day-first (dd/mm/yyyy)"
            ),
            (
                Some("result"),
                "is empty; a verification needs a result (Đạt / Không đạt, or pass / fail)"
            ),
        ]
    );
}

#[test]
fn valid_until_may_be_the_inspection_day_but_not_before() {
    let text = "date;category;serial_number;kind;result;valid_until;technician\n\
        15/09/2023;CT1P;A1;KĐ;Đạt;15/09/2023;An\n\
        15/09/2023;CT1P;A2;KĐ;Đạt;14/09/2023;An\n\
        15/09/2023;CT1P;A3;KĐ;Không đạt;16/09/2023;An\n\
        15/09/2023;CT1P;A4;KĐ;Không đạt;;An\n\
        31/02/2023;CT1P;A5;KĐ;Đạt;01/01/2020;An\n";
    let (rows, summary) = read(text.as_bytes(), LogKind::Inspections);
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    let ParsedRow::Inspection(same_day) = &rows[0] else {
        panic!("{rows:?}")
    };
    assert_eq!(same_day.record.valid_until, Some(d(2023, 9, 15)));
    let problems = |i: usize| -> Vec<String> {
        match &rows[i] {
            ParsedRow::Invalid { problems, .. } => {
                problems.iter().map(ToString::to_string).collect()
            }
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        problems(1),
        [
            "line 3, column \"valid_until\", value \"14/09/2023\": valid-until 14/09/2023 is before the inspection date 15/09/2023"
        ]
    );
    assert_eq!(
        problems(2),
        [
            "line 4, column \"valid_until\", value \"16/09/2023\": a failed inspection has no valid-until date; leave it empty"
        ]
    );
    let ParsedRow::Inspection(failed) = &rows[3] else {
        panic!("{rows:?}")
    };
    assert_eq!(failed.record.valid_until, None);
    // An unreadable date is reported once, not compared.
    assert_eq!(problems(4).len(), 1, "{:?}", problems(4));
    assert!(
        problems(4)[0].contains("column \"date\""),
        "{:?}",
        problems(4)
    );
}

#[test]
fn earthing_rows_report_every_problem() {
    let text = "date;site;point;resistance_ohm;limit_ohm;technician\n\
        15/09/2023;A;Đ1;-2;x;An\n\
        15/09/2023;A;Đ2;2,5;;An\n";
    let (rows, summary) = read(text.as_bytes(), LogKind::Earthing);
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    let ParsedRow::Invalid { problems, .. } = &rows[0] else {
        panic!("{rows:?}")
    };
    let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "line 2, column \"resistance_ohm\", value \"-2\": -2 is negative; a resistance is 0 Ω or more",
            "line 2, column \"limit_ohm\", value \"x\": x is not a number",
        ]
    );
    let ParsedRow::Earthing(ok) = &rows[1] else {
        panic!("{rows:?}")
    };
    assert_eq!(ok.record.limit, None);
    assert_eq!(ok.record.resistance.to_string(), "2.5");
    assert_eq!(
        ok.original,
        [
            ("date".to_owned(), "15/09/2023".to_owned()),
            ("site".to_owned(), "A".to_owned()),
            ("point".to_owned(), "Đ2".to_owned()),
            ("resistance_ohm".to_owned(), "2,5".to_owned()),
            ("technician".to_owned(), "An".to_owned()),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Chunks

fn rows_text(n: usize) -> String {
    let mut text = String::from("date;site;point;resistance_ohm;technician\n");
    for i in 0..n {
        text.push_str(&format!("15/09/2023;A;P{i};2;An\n"));
    }
    text
}

fn chunk_sizes(text: &str) -> Vec<usize> {
    let mut sizes = Vec::new();
    let summary = read_log(
        text.as_bytes(),
        LogKind::Earthing,
        &catalog(),
        &ReadOptions::default(),
        |chunk, _| {
            sizes.push(chunk.len());
            true
        },
    );
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    sizes
}

#[test]
fn no_chunk_is_ever_empty() {
    assert_eq!(chunk_sizes(&rows_text(0)), Vec::<usize>::new());
    assert_eq!(chunk_sizes(&rows_text(1)), [1]);
    assert_eq!(chunk_sizes(&rows_text(CHUNK_ROWS)), [CHUNK_ROWS]);
    assert_eq!(chunk_sizes(&rows_text(CHUNK_ROWS + 1)), [CHUNK_ROWS, 1]);
}

#[test]
fn stopping_on_the_last_chunk_is_no_problem() {
    let text = rows_text(3);
    let mut calls = 0;
    let summary = read_log(
        text.as_bytes(),
        LogKind::Earthing,
        &catalog(),
        &ReadOptions::default(),
        |chunk, read| {
            calls += 1;
            assert_eq!(chunk.len(), 3);
            assert_eq!(read, text.len() as u64);
            false
        },
    );
    assert_eq!(calls, 1);
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    assert_eq!(summary.size_bytes, text.len() as u64);
}

// ---------------------------------------------------------------------------------------
// Bounds, at their edges

fn with_limits(limits: metrotrack_import::Limits) -> ReadOptions {
    ReadOptions {
        limits,
        ..ReadOptions::default()
    }
}

#[test]
fn a_file_of_exactly_the_upload_bound_is_read() {
    let text = rows_text(20);
    let len = text.len() as u64;
    let exact = with_limits(metrotrack_import::Limits {
        max_upload_bytes: len,
        ..Default::default()
    });
    let (rows, summary) = read_with(text.as_bytes(), LogKind::Earthing, &exact);
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    assert_eq!((rows.len(), summary.size_bytes), (20, len));
    let short = with_limits(metrotrack_import::Limits {
        max_upload_bytes: len - 1,
        ..Default::default()
    });
    let (_, summary) = read_with(text.as_bytes(), LogKind::Earthing, &short);
    assert_eq!(
        english(&summary.fatal),
        [said_file(format!(
            "the file is larger than {} bytes; split it into smaller files",
            len - 1
        ))]
    );
    assert_eq!(
        summary.size_bytes, len,
        "one byte past the bound is read, no more"
    );
}

#[test]
fn a_header_of_exactly_the_column_bound_is_read() {
    let text = rows_text(1);
    let five = with_limits(metrotrack_import::Limits {
        max_columns: 5,
        ..Default::default()
    });
    let (rows, summary) = read_with(text.as_bytes(), LogKind::Earthing, &five);
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    assert_eq!(rows.len(), 1);
    let four = with_limits(metrotrack_import::Limits {
        max_columns: 4,
        ..Default::default()
    });
    let (_, summary) = read_with(text.as_bytes(), LogKind::Earthing, &four);
    assert_eq!(
        english(&summary.fatal),
        [said(
            1,
            None,
            None,
            "the header has 5 columns; at most 4 are allowed"
        )]
    );
}

#[test]
fn bounds_are_named_in_bytes_kib_or_mib() {
    let field = |max_field_bytes: usize, len: usize| {
        let text = format!(
            "date;site;point;resistance_ohm;technician;notes\n15/09/2023;A;1;2;An;{}\n",
            "x".repeat(len)
        );
        let options = with_limits(metrotrack_import::Limits {
            max_field_bytes,
            max_line_bytes: 4 << 20,
            ..Default::default()
        });
        let (rows, summary) = read_with(text.as_bytes(), LogKind::Earthing, &options);
        assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
        match rows.as_slice() {
            [ParsedRow::Earthing(_)] => None,
            [ParsedRow::Invalid { problems, .. }] => Some(problems[0].message.clone()),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        field(1500, 1500),
        None,
        "a field of exactly the bound is read"
    );
    assert_eq!(
        field(1500, 1501).as_deref(),
        Some("is longer than 1500 bytes, the most a field may hold")
    );
    assert_eq!(
        field(2048, 2049).as_deref(),
        Some("is longer than 2 KiB, the most a field may hold")
    );
    assert_eq!(
        field(512, 513).as_deref(),
        Some("is longer than 512 bytes, the most a field may hold")
    );
    assert_eq!(
        field((1 << 20) + 1024, (1 << 20) + 1025).as_deref(),
        Some("is longer than 1025 KiB, the most a field may hold")
    );

    let line = |max_line_bytes: usize| {
        let text = format!(
            "date;site;point;resistance_ohm;technician;notes\n15/09/2023;A;1;2;An;{}\n",
            "x".repeat(3000)
        );
        let options = with_limits(metrotrack_import::Limits {
            max_line_bytes,
            ..Default::default()
        });
        let (_, summary) = read_with(text.as_bytes(), LogKind::Earthing, &options);
        summary
            .fatal
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        line(2048),
        ["the record starting on line 2 is longer than 2 KiB"]
    );
    assert_eq!(
        line(2100),
        ["the record starting on line 2 is longer than 2100 bytes"]
    );
    // The row is 3020 bytes long: a bound of exactly that reads it.
    assert_eq!(line(3020), Vec::<String>::new());
    assert_eq!(
        line(3019),
        ["the record starting on line 2 is longer than 3019 bytes"]
    );
}

// ---------------------------------------------------------------------------------------
// Streams

/// `bytes` read through a source that is interrupted (EINTR) before every other read
/// and hands over at most `step` bytes at a time.
struct Interrupted {
    bytes: std::io::Cursor<Vec<u8>>,
    step: usize,
    interrupt: bool,
}

impl std::io::Read for Interrupted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.step);
        self.bytes.read(&mut buf[..n])
    }
}

#[test]
fn a_source_interrupted_by_signals_is_read_to_the_end() {
    let text = rows_text(5000);
    let source = Interrupted {
        bytes: std::io::Cursor::new(text.clone().into_bytes()),
        step: 5000,
        interrupt: false,
    };
    let mut rows = 0;
    let summary = read_log(
        source,
        LogKind::Earthing,
        &catalog(),
        &ReadOptions::default(),
        |chunk, _| {
            rows += chunk.len();
            true
        },
    );
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    assert_eq!(rows, 5000);
    assert_eq!(summary.size_bytes, text.len() as u64);
}

/// An ASCII log whose byte `at` is `byte`, in the notes of its last but one row; and that
/// row's line.
fn log_with_byte_at(at: usize, byte: u8) -> (Vec<u8>, u64) {
    let mut text = String::from("date;site;point;resistance_ohm;technician;notes\n");
    let row = "15/09/2023;A;P;2;An;";
    let mut i = 0;
    while text.len() + 60 < at {
        text.push_str(&format!("{row}{i}\n"));
        i += 1;
    }
    // Pad the notes of one last row so that `byte` falls exactly at `at`.
    text.push_str(row);
    let line = text.bytes().filter(|&b| b == b'\n').count() as u64 + 1;
    text.push_str(&"x".repeat(at - text.len()));
    let mut bytes = text.into_bytes();
    bytes.push(byte);
    bytes.extend_from_slice(b"y\n15/09/2023;A;Q;2;An;z\n");
    (bytes, line)
}

#[test]
fn a_nul_anywhere_past_the_head_refuses_the_file() {
    // At and around the boundaries of the reader's buffers (8 and 16 KiB).
    for at in (64..=96)
        .step_by(8)
        .flat_map(|k| [k * 1024 - 1, k * 1024, k * 1024 + 1])
        .filter(|&at| at >= 64 * 1024)
    {
        let (bytes, line) = log_with_byte_at(at, 0);
        assert_eq!(bytes[at], 0);
        let (_, summary) = read(&bytes, LogKind::Earthing);
        assert_eq!(
            english(&summary.fatal),
            [said(
                line,
                None,
                None,
                format!("this is not a text CSV file (a NUL character on line {line})")
            )],
            "NUL at byte {at}"
        );
        assert_eq!(summary.size_bytes, bytes.len() as u64, "NUL at byte {at}");
    }
}

#[test]
fn a_control_character_in_the_head_refuses_the_file() {
    let (bytes, _) = log_with_byte_at(2000, 0x01);
    let (rows, summary) = read(&bytes, LogKind::Earthing);
    assert!(rows.is_empty());
    assert_eq!(
        english(&summary.fatal),
        [said_file(
            "this is not a text CSV file (binary data at byte 2000)"
        )]
    );
    // What starts as an old Excel workbook (.xls) is read as one, and refused as one
    // when it is no more than that start.
    let (_, summary) = read(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", LogKind::Earthing);
    assert_eq!(summary.fatal.len(), 1);
    assert!(
        summary.fatal[0]
            .message
            .starts_with("this file is not a workbook (.xlsx, .xls, .ods) that can be read ("),
        "{:?}",
        summary.fatal
    );
}

#[test]
fn a_receiver_that_stops_on_the_last_chunk_still_learns_the_file_is_refused() {
    // Fewer rows than a chunk, past the head, then a NUL.
    let mut text = String::from("date;site;point;resistance_ohm;technician;notes\n");
    for i in 0..600 {
        text.push_str(&format!("15/09/2023;A;P{i};2;An;{}\n", "x".repeat(100)));
    }
    text.push_str("15/09/2023;A;Q;2;An;\0\n");
    let (bytes, line) = (text.into_bytes(), 602);
    assert!(bytes.len() > 64 * 1024);
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
    assert_eq!(summary.fatal.len(), 1, "{:?}", summary.fatal);
    assert_eq!(summary.fatal[0].line, line);
}

#[test]
fn missing_columns_list_the_headers_found_without_empty_cells() {
    let text = "Ngày;;Số seri;  ;Kết luận\n15/09/2023;;A1;;Đạt\n";
    let (_, summary) = read(text.as_bytes(), LogKind::Inspections);
    let messages: Vec<&str> = summary.fatal.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    for m in &messages {
        assert!(
            m.ends_with("; headers found: \"Ngày\", \"Số seri\", \"Kết luận\""),
            "{m}"
        );
    }
    assert!(messages[0].starts_with("the required column category is missing"));
    assert!(messages[1].starts_with("the required column kind is missing"));
    assert!(messages[2].starts_with("the required column technician is missing"));
}

/// Every problem and warning carries its code and arguments, and reads in Vietnamese or
/// English from them.
#[test]
fn problems_carry_a_code_and_read_in_either_language() {
    use metrotrack_core::Lang;
    let text = "STT;Ngày kiểm định;Tên PTĐ;Số sản xuất;Hình thức;Kết quả;Người thực hiện;Cột lạ\n\
                1;31/02/2023;CT1P;A1;Kiểm định;Đạt;An;x\n\
                2;15/09/23;CT1P;A2;Kiểm định;Tốt;An;x\n";
    let (rows, summary) = read(text.as_bytes(), LogKind::Inspections);
    let warnings: Vec<_> = summary.warnings.iter().map(|w| w.code()).collect();
    assert_eq!(
        warnings,
        [Some("row_number_column.ignored"), Some("column.unknown")]
    );
    assert_eq!(
        summary.warnings[0].render(Lang::Vi),
        "cột số thứ tự được bỏ qua"
    );
    assert_eq!(
        summary.warnings[0].render(Lang::En),
        "row-number column ignored"
    );
    let problems: Vec<_> = rows
        .iter()
        .flat_map(|r| match r {
            ParsedRow::Invalid { problems, .. } => problems.clone(),
            _ => Vec::new(),
        })
        .collect();
    let codes: Vec<_> = problems.iter().map(|p| p.code()).collect();
    assert_eq!(
        codes,
        [
            Some("date.impossible"),
            Some("date.two_digit_year"),
            Some("value.unknown")
        ]
    );
    assert_eq!(
        problems[0].render(Lang::Vi),
        "31/02/2023 không phải là ngày hợp lệ: tháng 2/2023 chỉ có 28 ngày; ngày được đọc theo thứ tự ngày/tháng/năm (dd/mm/yyyy)"
    );
    assert_eq!(problems[0].message, problems[0].render(Lang::En));
    assert!(
        problems[2]
            .render(Lang::Vi)
            .starts_with("Tốt không thuộc các giá trị được chấp nhận: pass (Đạt"),
        "{}",
        problems[2].render(Lang::Vi)
    );
    let json = serde_json::to_value(&problems[0]).expect("a problem serialises");
    assert_eq!(json["code"], "date.impossible");
    assert_eq!(json["args"]["written"], "31/02/2023");
    assert_eq!(json["args"]["days"], 28);
}
