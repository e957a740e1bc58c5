//! Instruments, inspections, earthing points and tests.

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_store::records::{
    EarthingPointHistory, EarthingPointRecord, EarthingTestRecord, InspectionRecord,
    InstrumentHistory, InstrumentRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AuthorshipDto;

page_of!(
    InstrumentPage,
    InstrumentDto,
    "A page of instruments, by id."
);
page_of!(
    InspectionPage,
    InspectionDto,
    "A page of inspections, by id."
);
page_of!(PointPage, PointDto, "A page of earthing points, by id.");
page_of!(TestPage, TestDto, "A page of earthing tests, by id.");

/// An instrument inspected in the period, with its inspections there.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InspectedInstrumentDto {
    pub instrument: InstrumentDto,
    /// Its live inspections in the period.
    #[schema(example = 2)]
    pub inspections: u64,
}

/// An earthing point measured in the period, with its tests there.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeasuredPointDto {
    pub point: PointDto,
    /// Its live tests in the period.
    #[schema(example = 2)]
    pub tests: u64,
}

/// A page of the distinct instruments inspected in a period, by id: what the
/// `instruments_inspected` figure counts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InspectedInstrumentPage {
    /// Instruments in the whole list: the `instruments_inspected` figure.
    #[schema(example = 467)]
    pub total: u64,
    pub items: Vec<InspectedInstrumentDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A page of the distinct earthing points measured in a period, by id: what the
/// `earthing_points_measured` figure counts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeasuredPointPage {
    /// Points in the whole list: the `earthing_points_measured` figure.
    #[schema(example = 13)]
    pub total: u64,
    pub items: Vec<MeasuredPointDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A measuring instrument (phương tiện đo).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstrumentDto {
    pub id: i64,
    #[schema(example = "DHN")]
    pub category: String,
    /// As written in the log that first named it.
    #[schema(example = "20A042229")]
    pub serial_number: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub owner: Option<String>,
    pub measuring_range: Option<String>,
    pub accuracy_class: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_batch_id: Option<i64>,
}

impl From<InstrumentRecord> for InstrumentDto {
    fn from(r: InstrumentRecord) -> Self {
        Self {
            id: r.id,
            category: r.category.to_string(),
            serial_number: r.serial_number,
            manufacturer: r.manufacturer,
            model: r.model,
            owner: r.owner,
            measuring_range: r.measuring_range,
            accuracy_class: r.accuracy_class,
            created_at: r.created_at,
            created_batch_id: r.created_batch_id,
        }
    }
}

/// An instrument with every inspection of it, oldest first (voided ones marked).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstrumentHistoryDto {
    pub instrument: InstrumentDto,
    pub inspections: Vec<InspectionDto>,
}

impl From<InstrumentHistory> for InstrumentHistoryDto {
    fn from(h: InstrumentHistory) -> Self {
        Self {
            instrument: h.instrument.into(),
            inspections: h.inspections.into_iter().map(Into::into).collect(),
        }
    }
}

/// One verification, calibration or test, with its evidence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InspectionDto {
    pub id: i64,
    pub instrument_id: i64,
    #[schema(example = "DHN")]
    pub category: String,
    #[schema(example = "20A042229")]
    pub serial_number: String,
    /// `verification`, `calibration` or `test`.
    #[schema(example = "calibration")]
    pub kind: String,
    #[schema(example = "2023-09-15")]
    pub inspected_on: NaiveDate,
    /// `initial`, `periodic` or `after_repair`.
    pub verification_type: Option<String>,
    #[schema(example = "QTHC 05:2020")]
    pub procedure: Option<String>,
    /// `pass`, `fail`, or null (a calibration with no conformity statement).
    #[schema(example = "pass")]
    pub result: Option<String>,
    /// Exact decimal, as text (`0.50`).
    pub error_percent: Option<String>,
    pub certificate_no: Option<String>,
    pub stamp_no: Option<String>,
    pub valid_until: Option<NaiveDate>,
    pub technician: String,
    pub checked_by: Option<String>,
    pub notes: Option<String>,
    /// The import batch and physical line it came from.
    pub batch_id: Option<i64>,
    pub source_line: Option<i64>,
    /// The row as written: header → value.
    #[schema(value_type = Object)]
    pub original: serde_json::Value,
    pub version: i64,
    pub voided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(flatten)]
    pub authorship: AuthorshipDto,
}

impl From<InspectionRecord> for InspectionDto {
    fn from(r: InspectionRecord) -> Self {
        Self {
            id: r.id,
            instrument_id: r.instrument_id,
            category: r.category.to_string(),
            serial_number: r.serial_number,
            kind: r.kind.to_string(),
            inspected_on: r.inspected_on,
            verification_type: r.verification_type,
            procedure: r.procedure,
            result: r.result.map(|o| o.to_string()),
            error_percent: r.error_percent,
            certificate_no: r.certificate_no,
            stamp_no: r.stamp_no,
            valid_until: r.valid_until,
            technician: r.technician,
            checked_by: r.checked_by,
            notes: r.notes,
            batch_id: r.batch_id,
            source_line: r.source_line,
            original: r.original,
            version: r.version,
            voided_at: r.voided_at,
            created_at: r.created_at,
            authorship: r.authorship.into(),
        }
    }
}

/// An earthing point (điểm đo) with its latest valid test.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PointDto {
    pub id: i64,
    #[schema(example = "Nhà thi đấu tỉnh Quảng Trị")]
    pub site: String,
    #[schema(example = "CS-01")]
    pub code: String,
    /// `lightning_protection`, `electrical_safety` or `other`.
    pub system: String,
    /// Ω, exact decimal as text.
    #[schema(example = "10")]
    pub limit_ohm: String,
    pub created_at: DateTime<Utc>,
    pub last_tested_on: Option<NaiveDate>,
    pub last_resistance_ohm: Option<String>,
    /// Whether the latest test was within its limit.
    pub last_pass: Option<bool>,
}

impl From<EarthingPointRecord> for PointDto {
    fn from(r: EarthingPointRecord) -> Self {
        Self {
            id: r.id,
            site: r.site,
            code: r.code,
            system: r.system,
            limit_ohm: r.limit_ohm,
            created_at: r.created_at,
            last_tested_on: r.last_tested_on,
            last_resistance_ohm: r.last_resistance_ohm,
            last_pass: r.last_pass,
        }
    }
}

/// An earthing point and every test of it in date order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PointHistoryDto {
    pub point: PointDto,
    pub tests: Vec<TestDto>,
}

impl From<EarthingPointHistory> for PointHistoryDto {
    fn from(h: EarthingPointHistory) -> Self {
        Self {
            point: h.point.into(),
            tests: h.tests.into_iter().map(Into::into).collect(),
        }
    }
}

/// One earthing-resistance test.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TestDto {
    pub id: i64,
    pub point_id: i64,
    #[schema(example = "Nhà thi đấu tỉnh Quảng Trị")]
    pub site: String,
    #[schema(example = "CS-01")]
    pub point_code: String,
    #[schema(example = "2023-08-20")]
    pub tested_on: NaiveDate,
    /// Ω, exact decimal as written (`2.50`).
    #[schema(example = "3.85")]
    pub resistance_ohm: String,
    /// The limit applied, Ω.
    #[schema(example = "10")]
    pub limit_ohm: String,
    /// resistance ≤ limit.
    pub pass: bool,
    pub method: Option<String>,
    pub tester_serial: Option<String>,
    pub weather: Option<String>,
    pub technician: String,
    pub notes: Option<String>,
    pub batch_id: Option<i64>,
    pub source_line: Option<i64>,
    #[schema(value_type = Object)]
    pub original: serde_json::Value,
    pub version: i64,
    pub voided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// In a point's history: whether the resistance rose over the previous test.
    pub rose: Option<bool>,
    #[serde(flatten)]
    pub authorship: AuthorshipDto,
}

impl From<EarthingTestRecord> for TestDto {
    fn from(r: EarthingTestRecord) -> Self {
        Self {
            id: r.id,
            point_id: r.point_id,
            site: r.site,
            point_code: r.point_code,
            tested_on: r.tested_on,
            resistance_ohm: r.resistance_ohm,
            limit_ohm: r.limit_ohm,
            pass: r.pass,
            method: r.method,
            tester_serial: r.tester_serial,
            weather: r.weather,
            technician: r.technician,
            notes: r.notes,
            batch_id: r.batch_id,
            source_line: r.source_line,
            original: r.original,
            version: r.version,
            voided_at: r.voided_at,
            created_at: r.created_at,
            rose: r.rose,
            authorship: r.authorship.into(),
        }
    }
}
