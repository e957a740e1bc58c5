//! What each export holds: its columns and one function from a record to its cells.
//!
//! The inspections and earthing tables are the lab's log templates: their Vietnamese
//! headers are ones the importer reads (SPEC §2), their words the Vietnamese words it
//! reads (`Kiểm định`, `Đạt`, `Chống sét`), so an exported file imports back to the same
//! records. The English export writes the canonical headers and words.

use metrotrack_core::batch::Problem;
use metrotrack_core::{
    Achievement, AchievementStatus, DueEntry, EarthingMethod, EarthingSystem, ImportBatch,
    InspectionKind, Lang, Metric, Outcome, PeriodAchievement, VerificationType, Vocabulary,
};
use metrotrack_store::records::{
    EarthingTestFilter, EarthingTestRecord, InspectionFilter, InspectionRecord, InstrumentFilter,
    InstrumentRecord,
};

use super::Cell;

/// One column: its header in each language and its width in the workbook (characters).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub vi: &'static str,
    pub en: &'static str,
    pub width: f64,
}

impl Column {
    pub fn header(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.vi,
            Lang::En => self.en,
        }
    }
}

const fn col(vi: &'static str, en: &'static str, width: f64) -> Column {
    Column { vi, en, width }
}

/// An exported table: the sheet's name, the file name's stem, the columns.
#[derive(Debug)]
pub struct Table {
    sheet_vi: &'static str,
    sheet_en: &'static str,
    file_vi: &'static str,
    file_en: &'static str,
    pub columns: &'static [Column],
}

impl Table {
    /// The worksheet's name.
    pub fn sheet(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.sheet_vi,
            Lang::En => self.sheet_en,
        }
    }

    /// The download's file name stem (ASCII): `kiem-dinh`, `inspections`.
    pub fn file_stem(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.file_vi,
            Lang::En => self.file_en,
        }
    }
}

pub static INSPECTIONS: Table = Table {
    sheet_vi: "Kiểm định",
    sheet_en: "Inspections",
    file_vi: "kiem-dinh",
    file_en: "inspections",
    columns: &[
        col("Ngày kiểm định", "date", 14.0),
        col("Mã PTĐ", "category", 10.0),
        col("Số sản xuất", "serial_number", 18.0),
        col("Kiểu", "model", 14.0),
        col("Cơ sở sản xuất", "manufacturer", 18.0),
        col("Đơn vị sử dụng", "owner", 30.0),
        col("Hình thức", "kind", 12.0),
        col("Loại kiểm định", "verification_type", 14.0),
        col("Quy trình", "procedure", 16.0),
        col("Kết quả", "result", 11.0),
        col("Sai số (%)", "error_percent", 10.0),
        col("Số GCN", "certificate_no", 16.0),
        col("Số tem", "stamp_no", 14.0),
        col("Hiệu lực đến", "valid_until", 14.0),
        col("Người thực hiện", "technician", 20.0),
        col("Người soát lại", "checked_by", 20.0),
        col("Ghi chú", "notes", 40.0),
    ],
};

pub static EARTHING_TESTS: Table = Table {
    sheet_vi: "Đo nối đất",
    sheet_en: "Earthing tests",
    file_vi: "do-noi-dat",
    file_en: "earthing-tests",
    columns: &[
        col("Ngày đo", "date", 12.0),
        col("Công trình", "site", 32.0),
        col("Điểm đo", "point", 10.0),
        col("Hệ thống", "system", 14.0),
        col("Điện trở (Ω)", "resistance_ohm", 12.0),
        col("Giới hạn (Ω)", "limit_ohm", 12.0),
        col("Phương pháp", "method", 14.0),
        col("Số máy đo", "tester_serial", 24.0),
        col("Thời tiết", "weather", 18.0),
        col("Người đo", "technician", 20.0),
        col("Ghi chú", "notes", 40.0),
    ],
};

pub static INSTRUMENTS: Table = Table {
    sheet_vi: "Phương tiện đo",
    sheet_en: "Instruments",
    file_vi: "phuong-tien-do",
    file_en: "instruments",
    columns: &[
        col("Mã PTĐ", "category", 10.0),
        col("Số sản xuất", "serial_number", 18.0),
        col("Kiểu", "model", 14.0),
        col("Cơ sở sản xuất", "manufacturer", 18.0),
        col("Đơn vị sử dụng", "owner", 30.0),
        col("Phạm vi đo", "measuring_range", 16.0),
        col("Cấp chính xác", "accuracy_class", 12.0),
    ],
};

pub static DUE: Table = Table {
    sheet_vi: "Đến hạn kiểm định",
    sheet_en: "Due",
    file_vi: "den-han",
    file_en: "due",
    columns: &[
        col("Mã PTĐ", "category", 10.0),
        col("Số sản xuất", "serial_number", 18.0),
        col("Cơ sở sản xuất", "manufacturer", 18.0),
        col("Đơn vị sử dụng", "owner", 30.0),
        col("Kiểm định gần nhất", "last_inspected_on", 16.0),
        col("Hiệu lực đến", "valid_until", 14.0),
        col("Số ngày còn lại", "days_left", 12.0),
        col("Quá hạn", "overdue", 10.0),
    ],
};

pub static PROBLEMS: Table = Table {
    sheet_vi: "Lỗi",
    sheet_en: "Problems",
    file_vi: "loi",
    file_en: "problems",
    columns: &[
        col("Mức", "severity", 12.0),
        col("Dòng", "line", 8.0),
        col("Cột", "column", 20.0),
        col("Giá trị", "value", 24.0),
        col("Nội dung", "message", 80.0),
    ],
};

pub static REPORT: Table = Table {
    sheet_vi: "Báo cáo",
    sheet_en: "Report",
    file_vi: "bao-cao",
    file_en: "report",
    columns: &[
        col("Kỳ báo cáo", "period", 11.0),
        col("Từ ngày", "start", 12.0),
        col("Đến ngày", "end", 12.0),
        col("Chỉ tiêu", "metric", 36.0),
        col("Mã PTĐ", "category", 10.0),
        col("Thực hiện", "actual", 10.0),
        col("Kế hoạch", "target", 10.0),
        col("Tỷ lệ (%)", "percent", 10.0),
        col("Đánh giá", "status", 18.0),
    ],
};

/// What to export, with the list's filters.
#[derive(Debug)]
pub enum List {
    Inspections(InspectionFilter),
    EarthingTests(EarthingTestFilter),
    Instruments(InstrumentFilter),
    /// The due list: instruments due within `within` days of `as_of`, and the overdue.
    Due {
        within: u32,
        as_of: chrono::NaiveDate,
    },
    /// A batch's problems and warnings.
    Problems(Box<ImportBatch>),
    /// The period's figures against plan.
    Report(Box<PeriodAchievement>),
}

impl List {
    pub fn table(&self) -> &'static Table {
        match self {
            Self::Inspections(_) => &INSPECTIONS,
            Self::EarthingTests(_) => &EARTHING_TESTS,
            Self::Instruments(_) => &INSTRUMENTS,
            Self::Due { .. } => &DUE,
            Self::Problems(_) => &PROBLEMS,
            Self::Report(_) => &REPORT,
        }
    }
}

/// The word a value is written with: its first Vietnamese word, or the canonical one.
fn word<V: Vocabulary + PartialEq>(value: V, lang: Lang) -> String {
    let words = V::WORDS
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(&[][..], |(_, w)| *w);
    let pick = match lang {
        Lang::Vi => words.get(1).or(words.first()),
        Lang::En => words.first(),
    };
    pick.copied().unwrap_or_default().to_owned()
}

/// A stored canonical word in `lang` (as stored when it names no value).
fn stored_word<V: Vocabulary + PartialEq>(stored: Option<&str>, lang: Lang) -> Cell {
    match stored {
        Some(s) if !s.is_empty() => {
            Cell::Text(V::from_word(s).map_or_else(|| s.to_owned(), |v| word(v, lang)))
        }
        _ => Cell::Empty,
    }
}

/// An inspection as a row of the inspections log.
pub fn inspection(r: &InspectionRecord, lang: Lang) -> Vec<Cell> {
    vec![
        Cell::Date(r.inspected_on),
        Cell::Text(r.category.as_str().to_owned()),
        Cell::Text(r.serial_number.clone()),
        Cell::text(r.model.as_deref()),
        Cell::text(r.manufacturer.as_deref()),
        Cell::text(r.owner.as_deref()),
        Cell::Text(word::<InspectionKind>(r.kind, lang)),
        stored_word::<VerificationType>(r.verification_type.as_deref(), lang),
        Cell::text(r.procedure.as_deref()),
        r.result
            .map_or(Cell::Empty, |o| Cell::Text(word::<Outcome>(o, lang))),
        Cell::number(r.error_percent.as_deref()),
        Cell::text(r.certificate_no.as_deref()),
        Cell::text(r.stamp_no.as_deref()),
        Cell::date(r.valid_until),
        Cell::Text(r.technician.clone()),
        Cell::text(r.checked_by.as_deref()),
        Cell::text(r.notes.as_deref()),
    ]
}

/// An earthing test as a row of the earthing log.
pub fn earthing_test(r: &EarthingTestRecord, lang: Lang) -> Vec<Cell> {
    vec![
        Cell::Date(r.tested_on),
        Cell::Text(r.site.clone()),
        Cell::Text(r.point_code.clone()),
        stored_word::<EarthingSystem>(Some(&r.system), lang),
        Cell::Number(r.resistance_ohm.clone()),
        Cell::Number(r.limit_ohm.clone()),
        stored_word::<EarthingMethod>(r.method.as_deref(), lang),
        Cell::text(r.tester_serial.as_deref()),
        Cell::text(r.weather.as_deref()),
        Cell::Text(r.technician.clone()),
        Cell::text(r.notes.as_deref()),
    ]
}

pub fn instrument(r: &InstrumentRecord, _lang: Lang) -> Vec<Cell> {
    vec![
        Cell::Text(r.category.as_str().to_owned()),
        Cell::Text(r.serial_number.clone()),
        Cell::text(r.model.as_deref()),
        Cell::text(r.manufacturer.as_deref()),
        Cell::text(r.owner.as_deref()),
        Cell::text(r.measuring_range.as_deref()),
        Cell::text(r.accuracy_class.as_deref()),
    ]
}

fn yes_no(value: bool, lang: Lang) -> Cell {
    Cell::Text(
        match (lang, value) {
            (Lang::Vi, true) => "Có",
            (Lang::Vi, false) => "Không",
            (Lang::En, true) => "yes",
            (Lang::En, false) => "no",
        }
        .to_owned(),
    )
}

pub fn due(d: &DueEntry, lang: Lang) -> Vec<Cell> {
    vec![
        Cell::Text(d.category.as_str().to_owned()),
        Cell::Text(d.serial_number.clone()),
        Cell::text(d.manufacturer.as_deref()),
        Cell::text(d.owner.as_deref()),
        Cell::Date(d.last_inspected_on),
        Cell::Date(d.valid_until),
        Cell::Int(d.days_left),
        yes_no(d.overdue, lang),
    ]
}

/// A batch's problems, then its warnings.
pub fn problems(batch: &ImportBatch, lang: Lang) -> Vec<Vec<Cell>> {
    let row = |severity: &str, p: &Problem| {
        vec![
            Cell::Text(severity.to_owned()),
            if p.line == 0 {
                Cell::Empty
            } else {
                Cell::Int(i64::try_from(p.line).unwrap_or(i64::MAX))
            },
            Cell::text(p.column.as_deref()),
            Cell::text(p.value.as_deref()),
            Cell::Text(p.message.clone()),
        ]
    };
    let (error, warning) = match lang {
        Lang::Vi => ("Lỗi", "Cảnh báo"),
        Lang::En => ("problem", "warning"),
    };
    batch
        .problems
        .iter()
        .map(|p| row(error, p))
        .chain(batch.warnings.iter().map(|p| row(warning, p)))
        .collect()
}

fn metric_label(metric: Metric, lang: Lang) -> &'static str {
    match (lang, metric) {
        (Lang::Vi, Metric::InstrumentsInspected) => "Số PTĐ được kiểm định, hiệu chuẩn",
        (Lang::Vi, Metric::Inspections) => "Số lượt kiểm định, hiệu chuẩn, thử nghiệm",
        (Lang::Vi, Metric::EarthingPointsMeasured) => "Số điểm đo điện trở nối đất",
        (Lang::En, Metric::InstrumentsInspected) => "instruments_inspected",
        (Lang::En, Metric::Inspections) => "inspections",
        (Lang::En, Metric::EarthingPointsMeasured) => "earthing_points_measured",
    }
}

fn status_label(status: AchievementStatus, lang: Lang) -> &'static str {
    match (lang, status) {
        (Lang::Vi, AchievementStatus::Achieved) => "Đạt kế hoạch",
        (Lang::Vi, AchievementStatus::BelowTarget) => "Chưa đạt kế hoạch",
        (Lang::Vi, AchievementStatus::NoTarget) => "Chưa có kế hoạch",
        (Lang::Vi, AchievementStatus::PartialTarget) => "Kế hoạch chưa đủ các tháng",
        (Lang::En, AchievementStatus::Achieved) => "achieved",
        (Lang::En, AchievementStatus::BelowTarget) => "below_target",
        (Lang::En, AchievementStatus::NoTarget) => "no_target",
        (Lang::En, AchievementStatus::PartialTarget) => "partial_target",
    }
}

/// The report: one row per figure, lab-wide first as the achievement lists them.
pub fn report(a: &PeriodAchievement, lang: Lang) -> Vec<Vec<Cell>> {
    let p = &a.period;
    let row = |m: &Achievement| {
        vec![
            Cell::Text(p.spec.to_string()),
            Cell::Date(p.start),
            Cell::Date(p.end),
            Cell::Text(metric_label(m.metric, lang).to_owned()),
            Cell::text(m.category.as_ref().map(|c| c.as_str())),
            Cell::Int(i64::try_from(m.actual).unwrap_or(i64::MAX)),
            m.target.map_or(Cell::Empty, |t| {
                Cell::Int(i64::try_from(t).unwrap_or(i64::MAX))
            }),
            m.percent.map_or(Cell::Empty, |v| {
                Cell::Int(i64::try_from(v).unwrap_or(i64::MAX))
            }),
            Cell::Text(status_label(m.status, lang).to_owned()),
        ]
    };
    a.metrics.iter().map(row).collect()
}
