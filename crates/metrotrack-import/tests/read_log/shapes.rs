//! One month written in every shape the import reads reads to the same records.
//!
//! A random month of inspections or earthing tests is written in each encoding (UTF-8
//! with and without BOM, decomposed UTF-8, UTF-16 LE and BE, Windows-1258) and with each
//! delimiter (`,`, `;`, tab), under one random style: decimal comma or point, a date
//! format, English or Vietnamese headers (as written or upper-case without diacritics),
//! English or Vietnamese words, a row-number column, trailing empty columns, LF or CRLF,
//! any column order. Every one must read to the records the month holds, exactly
//! (decimals keep their scale: `2.50` stays `2.50`).

use chrono::NaiveDate;
use metrotrack_core::category::seed_categories;
use metrotrack_core::{
    CategoryCatalog, CategoryCode, EarthingMethod, EarthingSystem, InspectionKind, LogKind,
    NewEarthingTest, NewInspection, Ohms, Outcome, ParsedRow, PointCode, SerialNumber,
    VerificationType,
};
use metrotrack_import::{ReadOptions, read_log};
use proptest::prelude::*;
use rust_decimal::Decimal;
use unicode_normalization::UnicodeNormalization;

fn catalog() -> CategoryCatalog {
    CategoryCatalog::new(seed_categories())
}

/// Reads `bytes`, requiring a clean file; every row as `Ok(record debug)` or `Err(problems)`.
fn read_rows(bytes: &[u8], kind: LogKind) -> Result<Vec<(u64, String)>, String> {
    let mut rows = Vec::new();
    let summary = read_log(
        bytes,
        kind,
        &catalog(),
        &ReadOptions::default(),
        |chunk, _| {
            rows.extend(chunk);
            true
        },
    );
    if !summary.fatal.is_empty() {
        return Err(format!("fatal: {:?}", summary.fatal));
    }
    super::kept::originals_read_back(bytes, kind, &rows)?;
    rows.into_iter()
        .map(|row| match row {
            // Debug shows decimals with their scale (2.50, not 2.5).
            ParsedRow::Inspection(s) => Ok((s.line, format!("{:?}", s.record))),
            ParsedRow::Earthing(s) => Ok((s.line, format!("{:?}", s.record))),
            ParsedRow::Invalid { line, problems } => Err(format!("line {line}: {problems:?}")),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// How a month is written

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Utf8Nfd,
    Utf16Le,
    Utf16Be,
    Windows1258,
}

const ENCODINGS: [Encoding; 6] = [
    Encoding::Utf8,
    Encoding::Utf8Bom,
    Encoding::Utf8Nfd,
    Encoding::Utf16Le,
    Encoding::Utf16Be,
    Encoding::Windows1258,
];

const DELIMITERS: [char; 3] = [',', ';', '\t'];

/// Everything about a shape but its encoding and delimiter.
#[derive(Debug, Clone)]
struct Style {
    decimal_comma: bool,
    /// Index into [`DATE_STYLES`].
    date_style: usize,
    /// 0: canonical English headers; 1, 2: Vietnamese headers; 3: Vietnamese upper-case
    /// without diacritics.
    headers: usize,
    /// 0: canonical English words and category codes; more: Vietnamese words and names.
    words: usize,
    row_numbers: bool,
    trailing_empty: usize,
    crlf: bool,
    /// A permutation seed for the column order.
    order: Vec<usize>,
}

fn any_style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        0..DATE_STYLES.len(),
        0usize..4,
        0usize..4,
        any::<bool>(),
        0usize..3,
        any::<bool>(),
        proptest::collection::vec(any::<usize>(), 20),
    )
        .prop_map(
            |(
                decimal_comma,
                date_style,
                headers,
                words,
                row_numbers,
                trailing_empty,
                crlf,
                order,
            )| {
                Style {
                    decimal_comma,
                    date_style,
                    headers,
                    words,
                    row_numbers,
                    trailing_empty,
                    crlf,
                    order,
                }
            },
        )
}

const DATE_STYLES: [&str; 7] = [
    "%d/%m/%Y",
    "%-d/%-m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%d/%m/%Y 00:00:00",
    "%Y-%m-%dT00:00:00",
];

fn date(d: NaiveDate, style: &Style) -> String {
    d.format(DATE_STYLES[style.date_style]).to_string()
}

/// A decimal as written: sign, digits, the style's separator.
#[derive(Debug, Clone, Copy)]
struct Written {
    negative: bool,
    int: u64,
    frac: u64,
    scale: u32,
}

impl Written {
    fn write(self, comma: bool) -> String {
        let sign = if self.negative && self.mantissa() != 0 {
            "-"
        } else {
            ""
        };
        if self.scale == 0 {
            return format!("{sign}{}", self.int);
        }
        let sep = if comma { ',' } else { '.' };
        format!(
            "{sign}{}{sep}{:0width$}",
            self.int,
            self.frac,
            width = self.scale as usize
        )
    }

    fn mantissa(self) -> i64 {
        let m = i64::try_from(self.int * 10u64.pow(self.scale) + self.frac).unwrap_or(i64::MAX);
        if self.negative { -m } else { m }
    }

    fn value(self) -> Decimal {
        Decimal::new(self.mantissa(), self.scale)
    }
}

fn any_decimal(negative: bool) -> impl Strategy<Value = Written> {
    (0u64..100_000, 0u64..1_000_000, 0u32..=4, any::<bool>()).prop_map(
        move |(int, frac, scale, minus)| Written {
            negative: negative && minus,
            int,
            frac: frac % 10u64.pow(scale),
            scale,
        },
    )
}

/// One of `words`: the first (canonical English) under style 0, another otherwise.
fn word<'a>(words: &[&'a str], style: &Style) -> &'a str {
    if style.words == 0 || words.len() == 1 {
        words[0]
    } else {
        words[1 + (style.words - 1) % (words.len() - 1)]
    }
}

/// A header: canonical English, one of the Vietnamese ones, or that one upper-case and
/// without diacritics.
fn header(canonical: &str, vietnamese: &[&str], style: &Style) -> String {
    match style.headers {
        0 => canonical.to_owned(),
        3 => strip_diacritics(vietnamese[0]).to_uppercase(),
        n => vietnamese[(n - 1) % vietnamese.len()].to_owned(),
    }
}

fn strip_diacritics(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// A table (header cells, then rows of cells) as CSV text in `style` with `delimiter`.
fn csv_text(header: Vec<String>, rows: Vec<Vec<String>>, style: &Style, delimiter: char) -> String {
    let width = header.len();
    // The column order: a permutation of 0..width from the style's seed.
    let mut order: Vec<usize> = (0..width).collect();
    for i in (1..width).rev() {
        order.swap(i, style.order[i % style.order.len()] % (i + 1));
    }
    let eol = if style.crlf { "\r\n" } else { "\n" };
    let quote = |cell: &str| {
        if cell.contains([delimiter, '"', '\n', '\r']) {
            format!("\"{}\"", cell.replace('"', "\"\""))
        } else {
            cell.to_owned()
        }
    };
    let line = |number: Option<String>, cells: &[String]| {
        let mut out: Vec<String> = number.into_iter().collect();
        out.extend(order.iter().map(|&i| quote(&cells[i])));
        out.extend(std::iter::repeat_n(String::new(), style.trailing_empty));
        let mut text = out.join(&delimiter.to_string());
        text.push_str(eol);
        text
    };
    let mut text = line(style.row_numbers.then(|| "STT".to_owned()), &header);
    for (i, row) in rows.iter().enumerate() {
        text.push_str(&line(style.row_numbers.then(|| (i + 1).to_string()), row));
    }
    text
}

fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Encoding::Utf8Nfd => text.nfd().collect::<String>().into_bytes(),
        Encoding::Utf16Le => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        Encoding::Utf16Be => [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
        Encoding::Windows1258 => windows_1258(text),
    }
}

/// Windows-1258 the way Vietnamese Windows writes it: letters with a circumflex, breve or
/// horn precomposed, tone marks as separate combining characters.
fn windows_1258(text: &str) -> Vec<u8> {
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
    assert!(!had_errors, "not encodable in windows-1258: {text}");
    bytes.into_owned()
}

/// Reads `text` in every encoding and with every delimiter (`make` writes it with one),
/// requiring `want` each time.
fn every_shape_reads(
    make: impl Fn(char, bool) -> String,
    kind: LogKind,
    want: &[String],
) -> Result<(), TestCaseError> {
    for delimiter in DELIMITERS {
        for encoding in ENCODINGS {
            let text = make(delimiter, encoding == Encoding::Windows1258);
            let got = read_rows(&encode(&text, encoding), kind).map_err(|e| {
                TestCaseError::fail(format!("{encoding:?} {delimiter:?}: {e}\n{text}"))
            })?;
            // The row-number column and line ends never move a record off its line.
            let lines: Vec<u64> = got.iter().map(|(line, _)| *line).collect();
            let records: Vec<String> = got.into_iter().map(|(_, r)| r).collect();
            prop_assert_eq!(
                records.as_slice(),
                want,
                "{:?} {:?}\n{}",
                encoding,
                delimiter,
                text
            );
            prop_assert_eq!(lines.first().copied(), (!want.is_empty()).then_some(2));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Inspections

const CATEGORIES: [(&str, &str, &str); 5] = [
    (
        "CT1P",
        "Công tơ điện 1 pha",
        "Single-phase electricity meter",
    ),
    ("DHN", "Đồng hồ nước", "Water meter"),
    ("TXM", "Taximet", "Taximeter"),
    ("CPT", "Cân phân tích", "Analytical balance"),
    ("HAK", "Huyết áp kế", "Blood-pressure meter"),
];

const PEOPLE: [&str; 4] = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Hoàng Cường",
    "Phạm Ngọc Ánh",
];
const OWNERS: [&str; 3] = [
    "Điện lực Hòa Bình",
    "Công ty Cấp nước Sơn La",
    "Bệnh viện Đa khoa tỉnh",
];
const NOTES: [&str; 4] = [
    "đo lại; đạt",
    "tem \"mới\", số 12",
    "dòng 1\ndòng 2",
    "thay pin\tkiểm tra",
];

#[derive(Debug, Clone)]
struct Inspection {
    days: i64,
    category: usize,
    serial: String,
    model: Option<String>,
    manufacturer: Option<&'static str>,
    owner: Option<&'static str>,
    kind: InspectionKind,
    verification_type: Option<VerificationType>,
    procedure: Option<&'static str>,
    result: Option<Outcome>,
    error_percent: Option<Written>,
    certificate_no: Option<String>,
    stamp_no: Option<String>,
    valid_for_days: Option<i64>,
    technician: usize,
    checked_by: Option<usize>,
    notes: Option<usize>,
}

fn any_inspection() -> impl Strategy<Value = Inspection> {
    let kind = prop_oneof![
        Just(InspectionKind::Verification),
        Just(InspectionKind::Calibration),
        Just(InspectionKind::Test)
    ];
    let outcome = prop_oneof![Just(Outcome::Pass), Just(Outcome::Fail)];
    let vtype = prop_oneof![
        Just(VerificationType::Initial),
        Just(VerificationType::Periodic),
        Just(VerificationType::AfterRepair)
    ];
    (
        (
            0i64..60,
            0..CATEGORIES.len(),
            "[A-Z]{1,3}-?[0-9]{1,6}",
            proptest::option::of("[A-Z]{2,4}[0-9]{0,3}"),
            proptest::option::of(prop::sample::select(vec![
                "EMIC",
                "Zenner",
                "Công ty Đo lường Hà Nội",
            ])),
            proptest::option::of(prop::sample::select(OWNERS.to_vec())),
            kind,
            proptest::option::of(vtype),
        ),
        (
            proptest::option::of(prop::sample::select(vec!["ĐLVN 39:2012", "QTHC 05"])),
            proptest::option::of(outcome),
            proptest::option::of(any_decimal(true)),
            proptest::option::of("GCN-[0-9]{1,5}"),
            proptest::option::of("T-[0-9]{1,5}"),
            proptest::option::of(0i64..900),
            0..PEOPLE.len(),
            proptest::option::of(0..PEOPLE.len()),
            proptest::option::of(0..NOTES.len()),
        ),
    )
        .prop_map(
            |(
                (days, category, serial, model, manufacturer, owner, kind, verification_type),
                (
                    procedure,
                    result,
                    error_percent,
                    certificate_no,
                    stamp_no,
                    valid_for_days,
                    technician,
                    checked_by,
                    notes,
                ),
            )| {
                // A verification states a result; a failed inspection has no valid-until.
                let result = match (kind, result) {
                    (InspectionKind::Verification, None) => Some(Outcome::Pass),
                    (_, r) => r,
                };
                let valid_for_days = valid_for_days.filter(|_| result != Some(Outcome::Fail));
                Inspection {
                    days,
                    category,
                    serial,
                    model,
                    manufacturer,
                    owner,
                    kind,
                    verification_type,
                    procedure,
                    result,
                    error_percent,
                    certificate_no,
                    stamp_no,
                    valid_for_days,
                    technician,
                    checked_by,
                    notes,
                }
            },
        )
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 9, 1).expect("a date")
}

impl Inspection {
    fn date(&self) -> NaiveDate {
        first_day() + chrono::Duration::days(self.days)
    }

    fn valid_until(&self) -> Option<NaiveDate> {
        self.valid_for_days
            .map(|n| self.date() + chrono::Duration::days(n))
    }

    /// The record the import should hand over.
    fn record(&self) -> NewInspection {
        let code = CATEGORIES[self.category].0;
        let mut record = NewInspection {
            date: self.date(),
            category: CategoryCode::parse(code).expect("code"),
            serial: SerialNumber::parse(&self.serial).expect("serial"),
            model: self.model.clone(),
            manufacturer: self.manufacturer.map(str::to_owned),
            owner: self.owner.map(str::to_owned),
            kind: self.kind,
            verification_type: self.verification_type,
            procedure: self.procedure.map(str::to_owned),
            result: self.result,
            error_percent: self.error_percent.map(Written::value),
            certificate_no: self.certificate_no.clone(),
            stamp_no: self.stamp_no.clone(),
            valid_until: self.valid_until(),
            technician: PEOPLE[self.technician].to_owned(),
            checked_by: self.checked_by.map(|i| PEOPLE[i].to_owned()),
            notes: self.notes.map(|i| NOTES[i].to_owned()),
        };
        let catalog = catalog();
        let category = catalog.get(&record.category).expect("seeded");
        record.derive_valid_until(category);
        record
    }

    fn cells(&self, style: &Style) -> Vec<String> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let (code, vi, en) = CATEGORIES[self.category];
        let category = match style.words % 4 {
            0 => code.to_owned(),
            1 => vi.to_owned(),
            2 => en.to_owned(),
            _ => code.to_lowercase(),
        };
        let kind = match self.kind {
            InspectionKind::Verification => {
                word(&["verification", "Kiểm định", "KĐ", "KIỂM ĐỊNH"], style)
            }
            InspectionKind::Calibration => word(&["calibration", "Hiệu chuẩn", "HC"], style),
            InspectionKind::Test => word(&["test", "Thử nghiệm", "TN"], style),
        };
        let vtype = self.verification_type.map(|v| match v {
            VerificationType::Initial => word(&["initial", "Ban đầu", "Lần đầu"], style),
            VerificationType::Periodic => word(&["periodic", "Định kỳ"], style),
            VerificationType::AfterRepair => word(&["after_repair", "Sau sửa chữa"], style),
        });
        let result = self.result.map(|r| match r {
            Outcome::Pass => word(&["pass", "Đạt", "ĐẠT", "passed"], style),
            Outcome::Fail => word(&["fail", "Không đạt", "failed"], style),
        });
        vec![
            date(self.date(), style),
            category,
            self.serial.clone(),
            opt(self.model.clone()),
            opt(self.manufacturer.map(str::to_owned)),
            opt(self.owner.map(str::to_owned)),
            kind.to_owned(),
            opt(vtype.map(str::to_owned)),
            opt(self.procedure.map(str::to_owned)),
            opt(result.map(str::to_owned)),
            opt(self.error_percent.map(|e| e.write(style.decimal_comma))),
            opt(self.certificate_no.clone()),
            opt(self.stamp_no.clone()),
            opt(self.valid_until().map(|d| date(d, style))),
            PEOPLE[self.technician].to_owned(),
            opt(self.checked_by.map(|i| PEOPLE[i].to_owned())),
            opt(self.notes.map(|i| NOTES[i].to_owned())),
        ]
    }
}

fn inspection_header(style: &Style) -> Vec<String> {
    [
        ("date", &["Ngày kiểm định", "Ngày thực hiện"][..]),
        ("category", &["Tên PTĐ", "Loại phương tiện đo"]),
        ("serial_number", &["Số sản xuất", "Số serial"]),
        ("model", &["Kiểu", "Kiểu/Mã hiệu"]),
        ("manufacturer", &["Cơ sở sản xuất", "Nhà sản xuất"]),
        ("owner", &["Đơn vị sử dụng", "Khách hàng"]),
        ("kind", &["Hình thức", "Loại hình"]),
        ("verification_type", &["Loại kiểm định"]),
        ("procedure", &["Quy trình", "Quy trình kiểm định"]),
        ("result", &["Kết quả", "Kết luận"]),
        ("error_percent", &["Sai số (%)", "Sai số"]),
        ("certificate_no", &["Số GCN", "Số giấy chứng nhận"]),
        ("stamp_no", &["Số tem", "Tem"]),
        ("valid_until", &["Hiệu lực đến", "Có giá trị đến"]),
        ("technician", &["Người thực hiện", "Kiểm định viên"]),
        ("checked_by", &["Người soát lại", "Người kiểm tra"]),
        ("notes", &["Ghi chú"]),
    ]
    .iter()
    .map(|(canonical, vi)| header(canonical, vi, style))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn an_inspections_month_reads_the_same_in_every_shape(
        month in proptest::collection::vec(any_inspection(), 0..6),
        style in any_style(),
    ) {
        let want: Vec<String> = month.iter().map(|i| format!("{:?}", i.record())).collect();
        let make = |delimiter, _cp1258| {
            let rows = month.iter().map(|i| i.cells(&style)).collect();
            csv_text(inspection_header(&style), rows, &style, delimiter)
        };
        every_shape_reads(make, LogKind::Inspections, &want)?;
    }
}

// ---------------------------------------------------------------------------------------
// Earthing

const SITES: [&str; 3] = [
    "Trường THCS Hòa Bình",
    "Trạm biến áp 110kV Sơn La",
    "Nhà văn hóa xã Đông",
];
const WEATHER: [&str; 3] = ["Nắng, đất khô", "Sau mưa, đất ướt", "Âm u"];

#[derive(Debug, Clone)]
struct EarthingRow {
    days: i64,
    site: usize,
    point: String,
    system: Option<EarthingSystem>,
    resistance: Written,
    limit: Option<Written>,
    method: Option<EarthingMethod>,
    tester: Option<String>,
    weather: Option<usize>,
    technician: usize,
    notes: Option<usize>,
}

fn any_earthing() -> impl Strategy<Value = EarthingRow> {
    let system = prop_oneof![
        Just(EarthingSystem::LightningProtection),
        Just(EarthingSystem::ElectricalSafety),
        Just(EarthingSystem::Other)
    ];
    let method = prop_oneof![
        Just(EarthingMethod::FallOfPotential),
        Just(EarthingMethod::Clamp),
        Just(EarthingMethod::TwoPole),
        Just(EarthingMethod::Other)
    ];
    (
        0i64..60,
        0..SITES.len(),
        "(Đ|P-|CS)[0-9]{1,2}",
        proptest::option::of(system),
        any_decimal(false),
        proptest::option::of(any_decimal(false)),
        proptest::option::of(method),
        proptest::option::of("[A-Z]{2}-[0-9]{3}"),
        proptest::option::of(0..WEATHER.len()),
        0..PEOPLE.len(),
        proptest::option::of(0..NOTES.len()),
    )
        .prop_map(
            |(
                days,
                site,
                point,
                system,
                resistance,
                limit,
                method,
                tester,
                weather,
                technician,
                notes,
            )| {
                EarthingRow {
                    days,
                    site,
                    point,
                    system,
                    resistance,
                    limit,
                    method,
                    tester,
                    weather,
                    technician,
                    notes,
                }
            },
        )
}

impl EarthingRow {
    fn record(&self) -> NewEarthingTest {
        let ohms = |w: Written| Ohms::new(w.value()).expect("not negative");
        NewEarthingTest {
            date: first_day() + chrono::Duration::days(self.days),
            site: SITES[self.site].to_owned(),
            point: PointCode::parse(&self.point).expect("point"),
            system: self.system,
            resistance: ohms(self.resistance),
            limit: self.limit.map(ohms),
            method: self.method,
            tester_serial: self.tester.clone(),
            weather: self.weather.map(|i| WEATHER[i].to_owned()),
            technician: PEOPLE[self.technician].to_owned(),
            notes: self.notes.map(|i| NOTES[i].to_owned()),
        }
    }

    fn cells(&self, style: &Style) -> Vec<String> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let system = self.system.map(|s| match s {
            EarthingSystem::LightningProtection => {
                word(&["lightning_protection", "Chống sét", "CHỐNG SÉT"], style)
            }
            EarthingSystem::ElectricalSafety => word(
                &["electrical_safety", "An toàn điện", "an toan dien"],
                style,
            ),
            EarthingSystem::Other => word(&["other", "Khác"], style),
        });
        let method = self.method.map(|m| match m {
            EarthingMethod::FallOfPotential => {
                word(&["fall_of_potential", "3 cực", "Ba cực"], style)
            }
            EarthingMethod::Clamp => word(&["clamp", "Kìm", "Kẹp"], style),
            EarthingMethod::TwoPole => word(&["two_pole", "2 cực", "Hai cực"], style),
            EarthingMethod::Other => word(&["other", "Khác"], style),
        });
        vec![
            date(first_day() + chrono::Duration::days(self.days), style),
            SITES[self.site].to_owned(),
            self.point.clone(),
            self.resistance.write(style.decimal_comma),
            opt(self.limit.map(|l| l.write(style.decimal_comma))),
            opt(system.map(str::to_owned)),
            opt(method.map(str::to_owned)),
            opt(self.tester.clone()),
            opt(self.weather.map(|i| WEATHER[i].to_owned())),
            PEOPLE[self.technician].to_owned(),
            opt(self.notes.map(|i| NOTES[i].to_owned())),
        ]
    }
}

fn earthing_header(style: &Style, cp1258: bool) -> Vec<String> {
    // Windows-1258 has no Ω: such files write (Ohm).
    let (resistance, limit) = if cp1258 {
        ("Điện trở (Ohm)", "Giới hạn (Ohm)")
    } else {
        ("Điện trở (Ω)", "Giới hạn (Ω)")
    };
    [
        ("date", &["Ngày đo", "Ngày thực hiện"][..]),
        ("site", &["Công trình", "Địa điểm"]),
        ("point", &["Điểm đo", "Vị trí đo"]),
        ("resistance_ohm", &[resistance, "Điện trở nối đất"]),
        ("limit_ohm", &[limit, "Giá trị cho phép"]),
        ("system", &["Hệ thống"]),
        ("method", &["Phương pháp đo", "Phương pháp"]),
        ("tester_serial", &["Số máy đo", "Máy đo"]),
        ("weather", &["Thời tiết", "Điều kiện đất"]),
        ("technician", &["Người đo"]),
        ("notes", &["Ghi chú"]),
    ]
    .iter()
    .map(|(canonical, vi)| header(canonical, vi, style))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn an_earthing_month_reads_the_same_in_every_shape(
        month in proptest::collection::vec(any_earthing(), 0..6),
        style in any_style(),
    ) {
        let want: Vec<String> = month.iter().map(|e| format!("{:?}", e.record())).collect();
        let make = |delimiter, cp1258| {
            let rows = month.iter().map(|e| e.cells(&style)).collect();
            csv_text(earthing_header(&style, cp1258), rows, &style, delimiter)
        };
        every_shape_reads(make, LogKind::Earthing, &want)?;
    }
}

// ---------------------------------------------------------------------------------------
// Decimals through the reader

#[test]
fn decimals_keep_their_sign_and_scale_through_the_reader() {
    let text = "date;category;serial_number;kind;result;technician;error_percent\n\
        15/09/2023;CT1P;A1;verification;pass;An;2.50\n\
        15/09/2023;CT1P;A2;verification;pass;An;-0,056\n\
        15/09/2023;CT1P;A3;verification;pass;An;+3\n\
        15/09/2023;CT1P;A4;verification;pass;An;0,000\n";
    let mut got = Vec::new();
    let summary = read_log(
        text.as_bytes(),
        LogKind::Inspections,
        &catalog(),
        &ReadOptions::default(),
        |chunk, _| {
            got.extend(chunk.into_iter().map(|row| match row {
                ParsedRow::Inspection(s) => s.record.error_percent.map(|e| e.to_string()),
                other => panic!("{other:?}"),
            }));
            true
        },
    );
    assert!(summary.fatal.is_empty(), "{:?}", summary.fatal);
    assert_eq!(
        got,
        [
            Some("2.50".to_owned()),
            Some("-0.056".to_owned()),
            Some("3".to_owned()),
            Some("0.000".to_owned())
        ]
    );
}

#[test]
fn the_last_day_of_a_month_is_read_in_every_date_style() {
    // 31 January, 29 February of a leap year: no style loses or moves a day.
    for day in [
        NaiveDate::from_ymd_opt(2024, 1, 31).expect("date"),
        NaiveDate::from_ymd_opt(2024, 2, 29).expect("date"),
        NaiveDate::from_ymd_opt(2023, 12, 31).expect("date"),
    ] {
        for (i, _) in DATE_STYLES.iter().enumerate() {
            let style = Style {
                decimal_comma: false,
                date_style: i,
                headers: 0,
                words: 0,
                row_numbers: false,
                trailing_empty: 0,
                crlf: false,
                order: vec![0],
            };
            let text = format!(
                "date,site,point,resistance_ohm,technician\n{},A,1,2,An\n",
                date(day, &style)
            );
            let rows = read_rows(text.as_bytes(), LogKind::Earthing).expect("reads");
            assert_eq!(rows.len(), 1);
            assert!(
                rows[0].1.contains(&format!("date: {day:?}")),
                "{}: {}",
                DATE_STYLES[i],
                rows[0].1
            );
        }
    }
}
