//! The message catalogue: every problem and warning a log import reports, as a stable
//! code with its arguments, rendered in Vietnamese or English.
//!
//! A [`Msg`] is stored and sent as `{"code": "date.impossible", "args": {...}}`, so a
//! stored batch reads in either language. Each language's text is an exhaustive `match`:
//! a message without a text does not compile, and [`Msg::every`] lists every code for
//! the test that no text is empty or left untranslated.

use serde::{Deserialize, Serialize};

use crate::report::Lang;

/// Declares the catalogue: the enum (adjacently tagged as `code` + `args`), each
/// variant's code, and one instance of every variant (default arguments) for tests.
macro_rules! catalogue {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal { $($field:ident : $ty:ty),* $(,)? } ),* $(,)?) => {
        /// One message of the catalogue: its code and arguments.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "code", content = "args")]
        pub enum Msg {
            $( $(#[$doc])* #[serde(rename = $code)] $variant { $($field: $ty),* }, )*
        }

        impl Msg {
            /// The stable code, e.g. `date.impossible`.
            pub fn code(&self) -> &'static str {
                match self {
                    $( Self::$variant { .. } => $code, )*
                }
            }

            /// One message of every code, with default arguments.
            pub fn every() -> Vec<Self> {
                vec![ $( Self::$variant { $($field: Default::default()),* }, )* ]
            }
        }
    };
}

/// Where a record that a row clashes with came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum Whence {
    /// An earlier row of the same file.
    ThisFile { line: i64 },
    /// A row of another stored batch.
    Batch { batch: i64, line: i64 },
    /// Another stored batch, line unknown.
    BatchOnly { batch: i64 },
    /// Entered directly (no batch).
    #[default]
    Direct,
}

/// Which lab-unique number of an inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    #[default]
    Certificate,
    Stamp,
}

/// Which kind of identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    #[default]
    SerialNumber,
    PointCode,
}

catalogue! {
    // Dates.
    /// A date with a time of day that is not midnight.
    DateHasTime = "date.has_time" { written: String, time: String },
    /// Not a date at all.
    DateInvalid = "date.invalid" { written: String },
    /// `2023/09/15` under day-first reading.
    DateYearFirst = "date.year_first" { written: String, separator: String },
    DateTwoDigitYear = "date.two_digit_year" { written: String },
    DateYearOutOfRange = "date.year_out_of_range" { written: String, year: String, min: i32, max: i32 },
    DateNoSuchMonth = "date.no_such_month" { written: String, month: u32, year_first: bool },
    /// `31/02/2023`.
    DateImpossible = "date.impossible" { written: String, month: u32, year: i32, days: u32, year_first: bool },

    // Cells.
    /// A word not among an enumeration's accepted words.
    ValueUnknown = "value.unknown" { written: String, accepted: String },
    /// Not a number.
    DecimalInvalid = "decimal.invalid" { written: String },
    /// `1.234,5`: grouping or more than one separator.
    DecimalAmbiguous = "decimal.ambiguous" { written: String },
    ResistanceNegative = "resistance.negative" { written: String },
    IdentifierEmpty = "identifier.empty" { kind: IdentifierKind },
    IdentifierTooLong = "identifier.too_long" { kind: IdentifierKind, max: usize },
    CategoryUnknown = "category.unknown" { written: String, known: String },
    FieldRequired = "field.required" { column: String },
    FieldTooLong = "field.too_long" { limit_bytes: u64 },
    ResultRequired = "result.required_for_verification" {},
    ValidUntilAfterFail = "valid_until.after_fail" {},
    ValidUntilBeforeDate = "valid_until.before_date" { valid_until: String, date: String },

    // Rows.
    RowTooManyFields = "row.too_many_fields" { fields: usize, width: usize },
    RowUnreadable = "row.unreadable" {},
    InspectionInEarthingLog = "row.inspection_in_earthing_log" {},
    EarthingInInspectionsLog = "row.earthing_in_inspections_log" {},

    // The header.
    HeaderTooManyColumns = "header.too_many_columns" { found: usize, max: usize },
    ColumnDuplicate = "column.duplicate" { first: String, second: String, field: String },
    RowNumberColumnIgnored = "row_number_column.ignored" {},
    ColumnUnknown = "column.unknown" {},
    ColumnUnnamed = "column.unnamed" { position: usize },
    /// `found`: the headers the file has, quoted and shortened; empty when none.
    ColumnMissing = "column.missing" { field: String, accepted: String, found: String },

    // The file.
    FileEmpty = "file.empty" {},
    FileTooLarge = "file.too_large" { limit_bytes: u64 },
    RecordTooLong = "record.too_long" { line: u64, limit_bytes: u64, open_quote: bool },
    FileNul = "file.nul" { line: u64 },
    EncodingMalformed = "encoding.malformed" { encoding: String, offset: u64, line: u64, detected: bool },
    EncodingNotUtf8 = "encoding.not_utf8" {},
    FileNotCsv = "file.not_csv" { detail: String },
    FileUnreadable = "file.unreadable" { detail: String },
    FileBinary = "file.binary" { offset: u64, old_excel: bool },
    /// `delimiter`: the character quoted as Rust writes it (`'"'`, `'\n'`).
    DelimiterInvalid = "delimiter.invalid" { delimiter: String },

    // Workbooks.
    WorkbookNamedButNot = "workbook.not_a_workbook" {},
    WorkbookNotReadable = "workbook.unreadable" { detail: String },
    WorkbookCorrupt = "workbook.corrupt" { detail: String },
    WorkbookPartUnreadable = "workbook.part_unreadable" { part: usize, detail: String },
    WorkbookTooLarge = "workbook.too_large" { limit_bytes: u64, part: String, part_bytes: u64 },
    WorkbookNoSheets = "workbook.no_sheets" {},
    WorkbookNoSuchSheet = "workbook.no_such_sheet" { wanted: String, sheets: Vec<String> },
    SheetUnreadable = "sheet.unreadable" { sheet: String, detail: String },
    SheetUnreadablePast = "sheet.unreadable_past" { sheet: String, row: u64, detail: String },
    SheetEmpty = "sheet.empty" { sheet: String },
    SheetTooManyCells = "sheet.too_many_cells" { sheet: String, max: u64 },
    SheetTooManyColumns = "sheet.too_many_columns" { sheet: String, cell: String, max: usize },

    // Amendments.
    AmendmentUnknownField = "amendment.unknown_field" { fields: String },
    AmendmentUnreadable = "amendment.unreadable" { detail: Option<String> },

    // Forms on the pages.
    FormPeriodInvalid = "form.period_invalid" { written: String },
    FormYearOutOfRange = "form.year_out_of_range" { year: i32 },
    FormMetricUnknown = "form.metric_unknown" { written: String },
    FormCategoryInvalid = "form.category_invalid" { written: String },
    FormTargetInvalid = "form.target_invalid" { written: String },
    FormKindUnknown = "form.kind_unknown" { written: String },
    FormNoFile = "form.no_file" {},
    PlanCategoryNotApplicable = "plan.category_not_applicable" { metric: String },

    // What the store finds.
    InspectionConflict = "conflict.inspection" { fields: Vec<String>, stored: Option<String>, whence: Whence },
    TestConflict = "conflict.earthing_test" { fields: Vec<String>, stored: Option<String>, whence: Whence },
    NumberInUse = "number.in_use" { kind: NumberKind, number: String, whence: Whence },
    InspectionClash = "clash.inspection" {},
    TestClash = "clash.earthing_test" {},
    PointMissing = "point.missing" {},
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `268435456` → `256 MiB`, `65536` → `64 KiB`.
pub fn human_bytes(n: u64, lang: Lang) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        match lang {
            Lang::Vi => format!("{n} byte"),
            Lang::En => format!("{n} bytes"),
        }
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Whence {
    fn vi(&self) -> String {
        match self {
            Self::ThisFile { line } => format!("ở dòng {line} phía trên của chính tệp này"),
            Self::Batch { batch, line } => format!("từ lô nhập {batch}, dòng {line}"),
            Self::BatchOnly { batch } => format!("từ lô nhập {batch}"),
            Self::Direct => "nhập trực tiếp".to_owned(),
        }
    }

    fn en(&self) -> String {
        match self {
            Self::ThisFile { line } => format!("earlier in this file, line {line}"),
            Self::Batch { batch, line } => format!("from batch {batch}, line {line}"),
            Self::BatchOnly { batch } => format!("from batch {batch}"),
            Self::Direct => "entered directly".to_owned(),
        }
    }
}

fn reading_vi(year_first: bool) -> &'static str {
    if year_first {
        "ngày viết năm trước được đọc theo dạng yyyy-mm-dd"
    } else {
        "ngày được đọc theo thứ tự ngày/tháng/năm (dd/mm/yyyy)"
    }
}

fn reading_en(year_first: bool) -> &'static str {
    if year_first {
        "dates written year-first are read yyyy-mm-dd"
    } else {
        "dates are read day-first (dd/mm/yyyy)"
    }
}

const SAVE_AGAIN_VI: &str = "hãy lưu lại từ Excel dưới dạng .xlsx hoặc CSV";
const SAVE_AGAIN_EN: &str = "save it again from Excel as .xlsx, or as CSV";

impl Msg {
    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match lang {
            Lang::Vi => self.vi(),
            Lang::En => self.en(),
        }
    }

    #[allow(clippy::too_many_lines)]
    fn vi(&self) -> String {
        let b = |n: u64| human_bytes(n, Lang::Vi);
        match self {
            Self::DateHasTime { written, time } => {
                format!("{written} có kèm giờ ({time}); chỉ ghi ngày, ví dụ 15/09/2023")
            }
            Self::DateInvalid { written } => format!(
                "{written} không phải là ngày; hãy ghi ngày trước theo dạng dd/mm/yyyy, ví dụ 15/09/2023"
            ),
            Self::DateYearFirst { written, separator } => format!(
                "{written} ghi năm trước với dấu '{separator}'; ngày được đọc theo dạng dd/mm/yyyy hoặc ISO yyyy-mm-dd, nếu không hãy chọn thứ tự ngày ymd"
            ),
            Self::DateTwoDigitYear { written } => format!(
                "{written} ghi năm bằng hai chữ số; hãy ghi đủ bốn chữ số của năm, ví dụ 15/09/2023"
            ),
            Self::DateYearOutOfRange {
                written,
                year,
                min,
                max,
            } => format!(
                "{written} có năm {year}, không thể đúng; hãy ghi một năm từ {min} đến {max}"
            ),
            Self::DateNoSuchMonth {
                written,
                month,
                year_first,
            } => format!(
                "{written} không phải là ngày hợp lệ: không có tháng {month}; {}",
                reading_vi(*year_first)
            ),
            Self::DateImpossible {
                written,
                month,
                year,
                days,
                year_first,
            } => format!(
                "{written} không phải là ngày hợp lệ: tháng {month}/{year} chỉ có {days} ngày; {}",
                reading_vi(*year_first)
            ),
            Self::ValueUnknown { written, accepted } => {
                format!("{written} không thuộc các giá trị được chấp nhận: {accepted}")
            }
            Self::DecimalInvalid { written } => format!("{written} không phải là một số"),
            Self::DecimalAmbiguous { written } => format!(
                "{written} có dấu phân nhóm chữ số hoặc nhiều hơn một dấu thập phân; chỉ ghi một dấu thập phân, `.` hoặc `,` (ví dụ 1234,5)"
            ),
            Self::ResistanceNegative { written } => {
                format!("{written} là số âm; điện trở phải từ 0 Ω trở lên")
            }
            Self::IdentifierEmpty { kind } => format!("{} để trống", identifier_vi(*kind)),
            Self::IdentifierTooLong { kind, max } => {
                format!("{} dài quá {max} ký tự", identifier_vi(*kind))
            }
            Self::CategoryUnknown { written, known } => format!(
                "{written} không phải là loại phương tiện đo đã biết; hãy dùng mã hoặc tên của một trong các loại: {known}"
            ),
            Self::FieldRequired { column } => {
                format!("để trống; cột {column} là bắt buộc")
            }
            Self::FieldTooLong { limit_bytes } => format!(
                "dài quá {}, mức tối đa một ô được phép chứa",
                b(*limit_bytes)
            ),
            Self::ResultRequired {} => {
                "để trống; kiểm định phải có kết quả (Đạt / Không đạt, hoặc pass / fail)".to_owned()
            }
            Self::ValidUntilAfterFail {} => {
                "lần kiểm định không đạt thì không có hạn hiệu lực; hãy để trống ô này".to_owned()
            }
            Self::ValidUntilBeforeDate { valid_until, date } => format!(
                "hạn hiệu lực {valid_until} sớm hơn ngày kiểm định {date}"
            ),
            Self::RowTooManyFields { fields, width } => format!(
                "dòng có {fields} ô, tiêu đề có {width} cột; có dấu phân cách hoặc dấu ngoặc kép nào đặt sai chỗ không?"
            ),
            Self::RowUnreadable {} => "không đọc được dòng này".to_owned(),
            Self::InspectionInEarthingLog {} => {
                "dòng kiểm định nằm trong sổ đo điện trở nối đất".to_owned()
            }
            Self::EarthingInInspectionsLog {} => {
                "dòng đo điện trở nối đất nằm trong sổ kiểm định".to_owned()
            }
            Self::HeaderTooManyColumns { found, max } => format!(
                "dòng tiêu đề có {found} cột; tối đa chỉ được {max} cột"
            ),
            Self::ColumnDuplicate {
                first,
                second,
                field,
            } => format!(
                "hai cột {first:?} và {second:?} cùng có nghĩa là {field}; hãy giữ lại một cột"
            ),
            Self::RowNumberColumnIgnored {} => "cột số thứ tự được bỏ qua".to_owned(),
            Self::ColumnUnknown {} => "cột không nhận ra, được bỏ qua".to_owned(),
            Self::ColumnUnnamed { position } => format!(
                "cột thứ {position} không có tiêu đề; các giá trị trong cột được bỏ qua"
            ),
            Self::ColumnMissing {
                field,
                accepted,
                found,
            } => {
                let found = if found.is_empty() { "không có" } else { found };
                format!(
                    "thiếu cột bắt buộc {field} (các tiêu đề được chấp nhận: {accepted}); các tiêu đề có trong tệp: {found}"
                )
            }
            Self::FileEmpty {} => "tệp trống: không có dòng tiêu đề".to_owned(),
            Self::FileTooLarge { limit_bytes } => format!(
                "tệp lớn hơn {}; hãy chia thành các tệp nhỏ hơn",
                b(*limit_bytes)
            ),
            Self::RecordTooLong {
                line,
                limit_bytes,
                open_quote,
            } => format!(
                "bản ghi bắt đầu ở dòng {line} dài quá {}{}",
                b(*limit_bytes),
                if *open_quote {
                    "; có thể một dấu ngoặc kép (\") chưa được đóng"
                } else {
                    ""
                }
            ),
            Self::FileNul { line } => {
                format!("đây không phải là tệp CSV dạng văn bản (có ký tự NUL ở dòng {line})")
            }
            Self::EncodingMalformed {
                encoding,
                offset,
                line,
                detected,
            } => format!(
                "{}văn bản không đúng bảng mã {encoding} (byte lỗi ở vị trí {offset}){}; hãy lưu tệp dưới dạng CSV UTF-8 hoặc cho biết bảng mã của tệp (tệp từ máy Windows tiếng Việt cũ dùng windows-1258: trên dòng lệnh, --encoding windows-1258)",
                if *line > 0 {
                    format!("dòng {line}: ")
                } else {
                    String::new()
                },
                if *detected {
                    ", dù đến đó tệp vẫn đọc được theo bảng mã này"
                } else {
                    ""
                }
            ),
            Self::EncodingNotUtf8 {} => "có văn bản không đúng UTF-8; hãy lưu tệp dưới dạng CSV UTF-8 hoặc cho biết bảng mã của tệp".to_owned(),
            Self::FileNotCsv { detail } => format!("không đọc được tệp dưới dạng CSV: {detail}"),
            Self::FileUnreadable { detail } => format!("không đọc được tệp: {detail}"),
            Self::FileBinary { offset, old_excel } => format!(
                "đây không phải là tệp CSV dạng văn bản (dữ liệu nhị phân ở byte {offset}){}",
                if *old_excel {
                    "; có vẻ đây là sổ Excel cũ (.xls): hãy lưu lại dưới dạng .xlsx hoặc CSV"
                } else {
                    ""
                }
            ),
            Self::DelimiterInvalid { delimiter } => format!(
                "{delimiter} không thể làm dấu phân cách; hãy dùng ',', ';' hoặc tab"
            ),
            Self::WorkbookNamedButNot {} => "tệp có đuôi của sổ Excel (.xlsx) nhưng không phải là sổ Excel (tệp .xlsx là một tệp nén zip); hãy lưu lại từ Excel dưới dạng .xlsx, hoặc đặt đuôi .csv nếu đó là văn bản CSV".to_owned(),
            Self::WorkbookNotReadable { detail } => format!(
                "tệp nén zip này không phải là sổ Excel (.xlsx) đọc được ({detail}); {SAVE_AGAIN_VI}"
            ),
            Self::WorkbookCorrupt { detail } => format!(
                "tệp này bắt đầu như một sổ Excel (.xlsx, tệp nén zip) nhưng không đọc được ({detail}); {SAVE_AGAIN_VI}"
            ),
            Self::WorkbookPartUnreadable { part, detail } => format!(
                "không đọc được phần {part} của sổ Excel ({detail}); {SAVE_AGAIN_VI}"
            ),
            Self::WorkbookTooLarge {
                limit_bytes,
                part,
                part_bytes,
            } => format!(
                "sổ Excel khi giải nén lớn hơn {} (riêng phần {part} đã là {}); hãy chia thành các sổ nhỏ hơn",
                b(*limit_bytes),
                b(*part_bytes)
            ),
            Self::WorkbookNoSheets {} => "sổ Excel không có trang tính nào".to_owned(),
            Self::WorkbookNoSuchSheet { wanted, sheets } => format!(
                "sổ Excel không có trang tính nào tên \"{wanted}\"; các trang tính của sổ: {}",
                quoted_list(sheets)
            ),
            Self::SheetUnreadable { sheet, detail } => {
                format!("không đọc được trang tính \"{sheet}\": {detail}")
            }
            Self::SheetUnreadablePast { sheet, row, detail } => format!(
                "không đọc được trang tính \"{sheet}\" sau hàng {row} ({detail}); {SAVE_AGAIN_VI}"
            ),
            Self::SheetEmpty { sheet } => {
                format!("trang tính \"{sheet}\" trống: không có dòng tiêu đề")
            }
            Self::SheetTooManyCells { sheet, max } => format!(
                "trang tính \"{sheet}\" có hơn {max} ô; hãy chia thành các sổ nhỏ hơn"
            ),
            Self::SheetTooManyColumns { sheet, cell, max } => format!(
                "trang tính \"{sheet}\", ô {cell}: một sổ ghi chép có tối đa {max} cột"
            ),
            Self::AmendmentUnknownField { fields } => format!(
                "không phải là trường của bản ghi này; các trường là: {fields}"
            ),
            Self::AmendmentUnreadable { detail } => match detail {
                Some(d) => format!("không đọc được bản ghi sau khi sửa: {d}"),
                None => "không đọc được bản ghi sau khi sửa".to_owned(),
            },
            Self::FormPeriodInvalid { written } => format!(
                "«{written}» không phải là kỳ báo cáo; hãy viết 2023-10 (tháng), 2023-Q1 (quý), 2023-H1 (nửa năm) hoặc 2023 (năm)"
            ),
            Self::FormYearOutOfRange { year } => {
                format!("năm {year} nằm ngoài khoảng 1900–9999")
            }
            Self::FormMetricUnknown { written } => {
                format!("«{written}» không phải là một chỉ tiêu")
            }
            Self::FormCategoryInvalid { written } => format!(
                "«{written}» không phải là mã loại phương tiện đo (1 đến 16 chữ cái, chữ số, `-` hoặc `_`)"
            ),
            Self::FormTargetInvalid { written } => format!(
                "«{written}»: kế hoạch phải là một số nguyên từ 1 trở lên"
            ),
            Self::FormKindUnknown { written } => {
                format!("«{written}» không phải là loại nhật ký; chọn kiểm định hoặc đo nối đất")
            }
            Self::FormNoFile {} => "chưa chọn tệp để tải lên".to_owned(),
            Self::PlanCategoryNotApplicable { metric } => format!(
                "{metric} đếm điểm đo nối đất nên không thể giới hạn theo loại phương tiện đo"
            ),
            Self::InspectionConflict {
                fields,
                stored,
                whence,
            } => format!(
                "mâu thuẫn với bản ghi đã lưu cho phương tiện đo, loại công việc và ngày này ({}): {} khác (đã lưu: {}); muốn sửa hãy dùng chức năng đính chính",
                whence.vi(),
                fields.join(", "),
                stored.as_deref().unwrap_or("trống")
            ),
            Self::TestConflict {
                fields,
                stored,
                whence,
            } => format!(
                "mâu thuẫn với kết quả đo đã lưu cho điểm đo và ngày này ({}): {} khác (đã lưu: {}); muốn sửa hãy dùng chức năng đính chính",
                whence.vi(),
                fields.join(", "),
                stored.as_deref().unwrap_or("trống")
            ),
            Self::NumberInUse {
                kind,
                number,
                whence,
            } => {
                let what = match kind {
                    NumberKind::Certificate => "giấy chứng nhận",
                    NumberKind::Stamp => "tem",
                };
                format!(
                    "số {what} {number} đã được dùng cho một lần kiểm định khác ({}); số {what} là duy nhất trong phòng thí nghiệm",
                    whence.vi()
                )
            }
            Self::InspectionClash {} => {
                "không lưu được: trùng với một lần kiểm định đã lưu".to_owned()
            }
            Self::TestClash {} => {
                "không lưu được: trùng với một kết quả đo nối đất đã lưu".to_owned()
            }
            Self::PointMissing {} => "không lưu được: không tìm thấy điểm đo nối đất".to_owned(),
        }
    }

    #[allow(clippy::too_many_lines)]
    fn en(&self) -> String {
        let b = |n: u64| human_bytes(n, Lang::En);
        match self {
            Self::DateHasTime { written, time } => format!(
                "{written} has a time of day ({time}); write the date only, e.g. 15/09/2023"
            ),
            Self::DateInvalid { written } => format!(
                "{written} is not a date; write it day-first as dd/mm/yyyy, e.g. 15/09/2023"
            ),
            Self::DateYearFirst { written, separator } => format!(
                "{written} is written year-first with '{separator}'; dates are read day-first (dd/mm/yyyy) or as ISO yyyy-mm-dd, or set the date order to ymd"
            ),
            Self::DateTwoDigitYear { written } => format!(
                "{written} has a two-digit year; write the year in full, e.g. 15/09/2023"
            ),
            Self::DateYearOutOfRange {
                written,
                year,
                min,
                max,
            } => format!(
                "{written} has the year {year}, which cannot be right; write a year from {min} to {max}"
            ),
            Self::DateNoSuchMonth {
                written,
                month,
                year_first,
            } => format!(
                "{written} is not a date: there is no month {month}; {}",
                reading_en(*year_first)
            ),
            Self::DateImpossible {
                written,
                month,
                year,
                days,
                year_first,
            } => {
                let name = (*month as usize)
                    .checked_sub(1)
                    .and_then(|i| MONTHS_EN.get(i))
                    .copied()
                    .unwrap_or("that month");
                format!(
                    "{written} is not a date: {name} {year} has {days} days; {}",
                    reading_en(*year_first)
                )
            }
            Self::ValueUnknown { written, accepted } => {
                format!("{written} is not one of: {accepted}")
            }
            Self::DecimalInvalid { written } => format!("{written} is not a number"),
            Self::DecimalAmbiguous { written } => format!(
                "{written} uses digit grouping or more than one separator; write one decimal separator, `.` or `,` (e.g. 1234.5)"
            ),
            Self::ResistanceNegative { written } => {
                format!("{written} is negative; a resistance is 0 Ω or more")
            }
            Self::IdentifierEmpty { kind } => format!("{} is empty", identifier_en(*kind)),
            Self::IdentifierTooLong { kind, max } => {
                format!("{} is longer than {max} characters", identifier_en(*kind))
            }
            Self::CategoryUnknown { written, known } => format!(
                "{written} is not a known instrument category; use a code or a name of one of: {known}"
            ),
            Self::FieldRequired { column } => format!("is empty; {column} is required"),
            Self::FieldTooLong { limit_bytes } => format!(
                "is longer than {}, the most a field may hold",
                b(*limit_bytes)
            ),
            Self::ResultRequired {} => {
                "is empty; a verification needs a result (Đạt / Không đạt, or pass / fail)"
                    .to_owned()
            }
            Self::ValidUntilAfterFail {} => {
                "a failed inspection has no valid-until date; leave it empty".to_owned()
            }
            Self::ValidUntilBeforeDate { valid_until, date } => {
                format!("valid-until {valid_until} is before the inspection date {date}")
            }
            Self::RowTooManyFields { fields, width } => format!(
                "row has {fields} fields, the header has {width}; is a delimiter or quote out of place?"
            ),
            Self::RowUnreadable {} => "the row could not be read".to_owned(),
            Self::InspectionInEarthingLog {} => "an inspection row in an earthing log".to_owned(),
            Self::EarthingInInspectionsLog {} => {
                "an earthing row in an inspections log".to_owned()
            }
            Self::HeaderTooManyColumns { found, max } => {
                format!("the header has {found} columns; at most {max} are allowed")
            }
            Self::ColumnDuplicate {
                first,
                second,
                field,
            } => format!(
                "columns {first:?} and {second:?} both mean {field}; keep one of them"
            ),
            Self::RowNumberColumnIgnored {} => "row-number column ignored".to_owned(),
            Self::ColumnUnknown {} => "unknown column, ignored".to_owned(),
            Self::ColumnUnnamed { position } => {
                format!("column {position} has no header; its values are ignored")
            }
            Self::ColumnMissing {
                field,
                accepted,
                found,
            } => {
                let found = if found.is_empty() { "none" } else { found };
                format!(
                    "the required column {field} is missing (accepted headers: {accepted}); headers found: {found}"
                )
            }
            Self::FileEmpty {} => "the file is empty: no header row".to_owned(),
            Self::FileTooLarge { limit_bytes } => format!(
                "the file is larger than {}; split it into smaller files",
                b(*limit_bytes)
            ),
            Self::RecordTooLong {
                line,
                limit_bytes,
                open_quote,
            } => format!(
                "the record starting on line {line} is longer than {}{}",
                b(*limit_bytes),
                if *open_quote {
                    "; a quote (\") may have been left open"
                } else {
                    ""
                }
            ),
            Self::FileNul { line } => {
                format!("this is not a text CSV file (a NUL character on line {line})")
            }
            Self::EncodingMalformed {
                encoding,
                offset,
                line,
                detected,
            } => format!(
                "{}the text is not valid {encoding} (bad bytes at byte {offset}){}; save the file as UTF-8 CSV, or give its encoding (a file from an old Vietnamese Windows machine is windows-1258: on the command line, --encoding windows-1258)",
                if *line > 0 {
                    format!("line {line}: ")
                } else {
                    String::new()
                },
                if *detected {
                    ", although the file reads as that up to there"
                } else {
                    ""
                }
            ),
            Self::EncodingNotUtf8 {} => "contains text that is not valid UTF-8; save the file as UTF-8 CSV or give its encoding".to_owned(),
            Self::FileNotCsv { detail } => format!("the file could not be read as CSV: {detail}"),
            Self::FileUnreadable { detail } => format!("the file could not be read: {detail}"),
            Self::FileBinary { offset, old_excel } => format!(
                "this is not a text CSV file (binary data at byte {offset}){}",
                if *old_excel {
                    "; it looks like an old Excel workbook (.xls): save it as .xlsx or as CSV"
                } else {
                    ""
                }
            ),
            Self::DelimiterInvalid { delimiter } => {
                format!("{delimiter} cannot be the delimiter; use ',', ';' or a tab")
            }
            Self::WorkbookNamedButNot {} => "this file is named as an Excel workbook (.xlsx) but is not one (an .xlsx file is a zip archive); save it again from Excel as .xlsx, or name it .csv if it is CSV text".to_owned(),
            Self::WorkbookNotReadable { detail } => format!(
                "this zip archive is not an Excel workbook (.xlsx) that can be read ({detail}); {SAVE_AGAIN_EN}"
            ),
            Self::WorkbookCorrupt { detail } => format!(
                "this file starts like an Excel workbook (.xlsx, a zip archive) but cannot be read as one ({detail}); {SAVE_AGAIN_EN}"
            ),
            Self::WorkbookPartUnreadable { part, detail } => format!(
                "the workbook's part {part} cannot be read ({detail}); {SAVE_AGAIN_EN}"
            ),
            Self::WorkbookTooLarge {
                limit_bytes,
                part,
                part_bytes,
            } => format!(
                "the workbook unpacks to more than {} (its part {part} alone to {}); split it into smaller workbooks",
                b(*limit_bytes),
                b(*part_bytes)
            ),
            Self::WorkbookNoSheets {} => "the workbook has no sheet".to_owned(),
            Self::WorkbookNoSuchSheet { wanted, sheets } => format!(
                "the workbook has no sheet named \"{wanted}\"; its sheets: {}",
                quoted_list(sheets)
            ),
            Self::SheetUnreadable { sheet, detail } => {
                format!("sheet \"{sheet}\" cannot be read: {detail}")
            }
            Self::SheetUnreadablePast { sheet, row, detail } => format!(
                "sheet \"{sheet}\" cannot be read past row {row} ({detail}); {SAVE_AGAIN_EN}"
            ),
            Self::SheetEmpty { sheet } => format!("sheet \"{sheet}\" is empty: no header row"),
            Self::SheetTooManyCells { sheet, max } => format!(
                "sheet \"{sheet}\" has more than {max} cells; split it into smaller workbooks"
            ),
            Self::SheetTooManyColumns { sheet, cell, max } => {
                format!("sheet \"{sheet}\", cell {cell}: a log has at most {max} columns")
            }
            Self::AmendmentUnknownField { fields } => {
                format!("is not a field of this record; the fields are: {fields}")
            }
            Self::AmendmentUnreadable { detail } => match detail {
                Some(d) => format!("the amended record could not be read: {d}"),
                None => "the amended record could not be read".to_owned(),
            },
            Self::FormPeriodInvalid { written } => format!(
                "{written:?} is not a period; write 2023-10 (month), 2023-Q1 (quarter), 2023-H1 (half-year) or 2023 (year)"
            ),
            Self::FormYearOutOfRange { year } => format!("year {year} is outside 1900..=9999"),
            Self::FormMetricUnknown { written } => format!(
                "{written:?} is not a metric; use instruments_inspected, inspections or earthing_points_measured"
            ),
            Self::FormCategoryInvalid { written } => format!(
                "a category code is 1 to 16 letters, digits, `-` or `_` (got {written:?})"
            ),
            Self::FormTargetInvalid { written } => {
                format!("{written:?}: a target is a whole number of at least 1")
            }
            Self::FormKindUnknown { written } => {
                format!("{written:?} is not a kind of log; choose inspections or earthing")
            }
            Self::FormNoFile {} => "no file was chosen to upload".to_owned(),
            Self::PlanCategoryNotApplicable { metric } => format!(
                "{metric} counts earthing points and cannot be narrowed to an instrument category"
            ),
            Self::InspectionConflict {
                fields,
                stored,
                whence,
            } => format!(
                "conflicts with the record already stored for this instrument, kind and date ({}): {} {} (stored: {}); corrections go through amendments",
                whence.en(),
                fields.join(", "),
                differ(fields),
                stored.as_deref().unwrap_or("empty")
            ),
            Self::TestConflict {
                fields,
                stored,
                whence,
            } => format!(
                "conflicts with the test already stored for this point and date ({}): {} {} (stored: {}); corrections go through amendments",
                whence.en(),
                fields.join(", "),
                differ(fields),
                stored.as_deref().unwrap_or("empty")
            ),
            Self::NumberInUse {
                kind,
                number,
                whence,
            } => {
                let what = match kind {
                    NumberKind::Certificate => "certificate",
                    NumberKind::Stamp => "stamp",
                };
                format!(
                    "{what} number {number} is already used by another inspection ({}); a {what} number is unique within the lab",
                    whence.en()
                )
            }
            Self::InspectionClash {} => {
                "could not be stored: it clashes with a stored inspection".to_owned()
            }
            Self::TestClash {} => {
                "could not be stored: it clashes with a stored earthing test".to_owned()
            }
            Self::PointMissing {} => {
                "could not be stored: its earthing point was not found".to_owned()
            }
        }
    }
}

/// A refused period of a form.
pub fn period_error(written: &str, err: &crate::period::PeriodError) -> Msg {
    use crate::period::PeriodError;
    match err {
        PeriodError::YearOutOfRange(year) => Msg::FormYearOutOfRange { year: *year },
        PeriodError::Malformed(_) | PeriodError::UnknownScheme(_) => Msg::FormPeriodInvalid {
            written: written.to_owned(),
        },
    }
}

/// A refused plan target.
pub fn plan_error(err: &crate::plan::PlanError) -> Msg {
    use crate::plan::PlanError;
    match err {
        PlanError::ZeroTarget => Msg::FormTargetInvalid {
            written: "0".to_owned(),
        },
        PlanError::CategoryNotApplicable(metric) => Msg::PlanCategoryNotApplicable {
            metric: metric.as_str().to_owned(),
        },
    }
}

fn differ(fields: &[String]) -> &'static str {
    if fields.len() == 1 {
        "differs"
    } else {
        "differ"
    }
}

fn identifier_vi(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::SerialNumber => "số máy",
        IdentifierKind::PointCode => "mã điểm đo",
    }
}

fn identifier_en(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::SerialNumber => "the serial number",
        IdentifierKind::PointCode => "the point code",
    }
}

/// Where in a workbook a problem is: the sheet, and the cell or row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetPlace {
    pub sheet: String,
    /// `B5`, when the problem is in one cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// The sheet's row, when the problem is in a row but no one cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
}

impl SheetPlace {
    /// ` (sheet "Sổ", cell B5)`, appended to a message.
    pub fn suffix(&self, lang: Lang) -> String {
        let sheet = &self.sheet;
        match (lang, &self.cell, self.row) {
            (Lang::Vi, Some(cell), _) => format!(" (trang tính \"{sheet}\", ô {cell})"),
            (Lang::Vi, None, Some(row)) => format!(" (trang tính \"{sheet}\", hàng {row})"),
            (Lang::Vi, None, None) => format!(" (trang tính \"{sheet}\")"),
            (Lang::En, Some(cell), _) => format!(" (sheet \"{sheet}\", cell {cell})"),
            (Lang::En, None, Some(row)) => format!(" (sheet \"{sheet}\", row {row})"),
            (Lang::En, None, None) => format!(" (sheet \"{sheet}\")"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Messages whose two texts may be the same: none today.
    const SAME_IN_BOTH: &[&str] = &[];

    #[test]
    fn every_code_has_a_vietnamese_and_an_english_text() {
        let every = Msg::every();
        let mut codes = HashSet::new();
        for msg in &every {
            let code = msg.code();
            assert!(codes.insert(code), "code {code} used twice");
            assert!(
                code.contains('.')
                    && code.chars().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || c == '.'
                        || c == '_'),
                "code {code} is not dotted snake case"
            );
            let (vi, en) = (msg.render(Lang::Vi), msg.render(Lang::En));
            assert!(!vi.trim().is_empty(), "{code}: no Vietnamese text");
            assert!(!en.trim().is_empty(), "{code}: no English text");
            if !SAME_IN_BOTH.contains(&code) {
                assert_ne!(vi, en, "{code}: the Vietnamese text is the English one");
            }
            // Vietnamese texts are written in Vietnamese: each has a letter only
            // Vietnamese writes (a diacritic), so an English text pasted in is caught.
            assert!(
                vi.chars().any(|c| {
                    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
                        .contains(c.to_lowercase().next().unwrap_or(c))
                }),
                "{code}: {vi:?} has no Vietnamese letter"
            );
        }
        assert!(every.len() >= 50, "the catalogue lists {}", every.len());
    }

    #[test]
    fn a_message_is_stored_as_its_code_and_arguments() {
        let msg = Msg::DateImpossible {
            written: "31/02/2023".into(),
            month: 2,
            year: 2023,
            days: 28,
            year_first: false,
        };
        let json = serde_json::to_value(&msg).expect("serialises");
        assert_eq!(json["code"], "date.impossible");
        assert_eq!(json["args"]["written"], "31/02/2023");
        assert_eq!(json["args"]["days"], 28);
        let back: Msg = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, msg);
        assert_eq!(
            msg.render(Lang::Vi),
            "31/02/2023 không phải là ngày hợp lệ: tháng 2/2023 chỉ có 28 ngày; ngày được đọc theo thứ tự ngày/tháng/năm (dd/mm/yyyy)"
        );
        assert_eq!(
            msg.render(Lang::En),
            "31/02/2023 is not a date: February 2023 has 28 days; dates are read day-first (dd/mm/yyyy)"
        );
        for msg in Msg::every() {
            let json = serde_json::to_string(&msg).expect("serialises");
            let back: Msg = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, msg, "{json}");
        }
    }
}
