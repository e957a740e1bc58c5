//! Stored records as they are read back: instruments, inspections, earthing points and
//! tests, with where each came from. Lists are read a page at a time, by id.

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::{CategoryCode, InspectionKind, Outcome};
use serde::{Deserialize, Serialize};

/// Most rows one page may hold.
pub const MAX_PAGE: u32 = 1000;

/// One page of a list ordered by id: at most `limit` rows past `after` (ascending lists)
/// or before it (lists that are newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub after: Option<i64>,
}

impl Page {
    /// The first `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self { limit, after: None }
    }

    /// `limit` clamped to 1..=[`MAX_PAGE`] + 1 (a caller may ask one more row to learn
    /// whether another page follows), as SQL wants it.
    pub fn sql_limit(self) -> i64 {
        i64::from(self.limit.clamp(1, MAX_PAGE + 1))
    }
}

/// Which instruments to list. Text filters match case-insensitively, as substrings.
#[derive(Debug, Clone, Default)]
pub struct InstrumentFilter {
    /// Matches the serial number (spaces ignored) or the owner.
    pub search: Option<String>,
    pub serial: Option<String>,
    pub owner: Option<String>,
    pub category: Option<CategoryCode>,
}

/// An instrument as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentRecord {
    pub id: i64,
    pub category: CategoryCode,
    pub serial_number: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub owner: Option<String>,
    pub measuring_range: Option<String>,
    pub accuracy_class: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The batch that first named it.
    pub created_batch_id: Option<i64>,
}

/// An instrument and every inspection of it, oldest first (voided ones included, marked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentHistory {
    pub instrument: InstrumentRecord,
    pub inspections: Vec<InspectionRecord>,
}

/// Which inspections to list. Dates are inclusive; voided records are left out unless
/// asked for.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub category: Option<CategoryCode>,
    pub kind: Option<InspectionKind>,
    pub result: Option<Outcome>,
    /// Exact technician name.
    pub technician: Option<String>,
    pub instrument_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub include_voided: bool,
}

/// An inspection as stored, with its evidence: the batch, line and the values as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionRecord {
    pub id: i64,
    pub instrument_id: i64,
    pub category: CategoryCode,
    pub serial_number: String,
    /// The instrument's manufacturer, model and owner (its current values).
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    pub kind: InspectionKind,
    pub inspected_on: NaiveDate,
    pub verification_type: Option<String>,
    pub procedure: Option<String>,
    pub result: Option<Outcome>,
    /// Exact decimal as its canonical text.
    pub error_percent: Option<String>,
    pub certificate_no: Option<String>,
    pub stamp_no: Option<String>,
    pub valid_until: Option<NaiveDate>,
    pub technician: String,
    pub checked_by: Option<String>,
    pub notes: Option<String>,
    pub batch_id: Option<i64>,
    pub source_line: Option<i64>,
    /// Header → value, as written in the log.
    pub original: serde_json::Value,
    pub version: i64,
    pub voided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(flatten)]
    pub authorship: Authorship,
}

/// Who answers for a record: who uploaded it, who made its current version, who voided
/// it on its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(default)]
pub struct Authorship {
    /// Who uploaded the batch the record came from.
    pub uploaded_by: Option<String>,
    /// Who made the current version, when and why (none on version 1).
    pub amended_by: Option<String>,
    pub amended_at: Option<DateTime<Utc>>,
    pub amend_reason: Option<String>,
    /// Who voided the record on its own, and why (a batch's void leaves these empty:
    /// its reason is the batch's).
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
}

/// A correction of a stored record: its new values, whole, and why.
#[derive(Debug, Clone)]
pub struct Amendment<T> {
    pub record: T,
    pub reason: String,
    pub by: String,
}

/// An optional text as a log's cell writes it (empty when absent).
fn cell(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

impl InspectionRecord {
    /// Its values (and its `instrument`'s) as a log's row writes them, by the log
    /// template's English headers: what an amendment's changes are written over.
    pub fn log_values(&self, instrument: &InstrumentRecord) -> Vec<(&'static str, String)> {
        vec![
            ("date", self.inspected_on.to_string()),
            ("category", self.category.as_str().to_owned()),
            ("serial_number", self.serial_number.clone()),
            ("manufacturer", cell(&instrument.manufacturer)),
            ("model", cell(&instrument.model)),
            ("owner", cell(&instrument.owner)),
            ("kind", self.kind.as_str().to_owned()),
            ("verification_type", cell(&self.verification_type)),
            ("procedure", cell(&self.procedure)),
            ("result", cell(&self.result.map(|r| r.as_str().to_owned()))),
            ("error_percent", cell(&self.error_percent)),
            ("certificate_no", cell(&self.certificate_no)),
            ("stamp_no", cell(&self.stamp_no)),
            (
                "valid_until",
                cell(&self.valid_until.map(|d| d.to_string())),
            ),
            ("technician", self.technician.clone()),
            ("checked_by", cell(&self.checked_by)),
            ("notes", cell(&self.notes)),
        ]
    }
}

impl EarthingTestRecord {
    /// Its values as a log's row writes them: see [`InspectionRecord::log_values`].
    pub fn log_values(&self) -> Vec<(&'static str, String)> {
        vec![
            ("date", self.tested_on.to_string()),
            ("site", self.site.clone()),
            ("point", self.point_code.clone()),
            ("resistance_ohm", self.resistance_ohm.clone()),
            ("limit_ohm", self.limit_ohm.clone()),
            ("method", cell(&self.method)),
            ("tester_serial", cell(&self.tester_serial)),
            ("weather", cell(&self.weather)),
            ("technician", self.technician.clone()),
            ("notes", cell(&self.notes)),
        ]
    }
}

/// Which earthing points to list.
/// An instrument inspected in a span of dates, with how many live inspections of it the
/// span holds: a row of the list behind the `instruments_inspected` figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectedInstrument {
    pub instrument: InstrumentRecord,
    pub inspections: u64,
}

/// An earthing point tested in a span of dates, with how many live tests of it the span
/// holds: a row of the list behind the `earthing_points_measured` figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasuredPoint {
    pub point: EarthingPointRecord,
    pub tests: u64,
}

/// A page of a counted list, with the number of rows of the whole list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedPage<T> {
    pub total: u64,
    pub items: Vec<T>,
}

#[derive(Debug, Clone, Default)]
pub struct PointFilter {
    /// Matches the site or the point code, case-insensitively.
    pub search: Option<String>,
    /// Only points whose latest test is over its limit.
    pub over_limit: bool,
}

/// An earthing point as stored, with its latest test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarthingPointRecord {
    pub id: i64,
    pub site: String,
    pub code: String,
    pub system: String,
    pub limit_ohm: String,
    pub created_at: DateTime<Utc>,
    pub last_tested_on: Option<NaiveDate>,
    pub last_resistance_ohm: Option<String>,
    pub last_pass: Option<bool>,
}

/// A point and every test of it in date order; each test says whether it rose over the
/// previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarthingPointHistory {
    pub point: EarthingPointRecord,
    pub tests: Vec<EarthingTestRecord>,
}

/// Which earthing tests to list.
#[derive(Debug, Clone, Default)]
pub struct EarthingTestFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub point_id: Option<i64>,
    pub technician: Option<String>,
    pub batch_id: Option<i64>,
    /// `Some(true)`: only tests over their limit; `Some(false)`: only those within it.
    pub over_limit: Option<bool>,
    pub include_voided: bool,
}

/// An earthing test as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarthingTestRecord {
    pub id: i64,
    pub point_id: i64,
    pub site: String,
    pub point_code: String,
    /// The point's earthing system (its canonical word).
    #[serde(default)]
    pub system: String,
    pub tested_on: NaiveDate,
    /// Exact decimal as written (`2.50`).
    pub resistance_ohm: String,
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
    pub original: serde_json::Value,
    pub version: i64,
    pub voided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(flatten)]
    pub authorship: Authorship,
    /// In a point's history: whether the resistance rose over the previous (valid) test.
    pub rose: Option<bool>,
}
