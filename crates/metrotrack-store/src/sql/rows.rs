//! Rows as both backends return them (`sqlx::FromRow`), and what they mean as records.
//!
//! The column lists cast what the two databases store differently (PostgreSQL's `jsonb`
//! and `numeric`, SQLite's text) to text, so that one row type reads both.

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::{
    BatchOutcome, CategoryCode, CycleRule, DueEntry, ImportBatch, ImportMode, LogKind, PlanTarget,
    Problem,
};
use rust_decimal::Decimal;

use super::{corrupt, parse_stored, u64_of};
use crate::StoreError;
use crate::records::{
    Authorship, EarthingPointRecord, EarthingTestRecord, InspectionRecord, InstrumentRecord,
};

fn category(column: &str, code: &str) -> Result<CategoryCode, StoreError> {
    CategoryCode::parse(code).map_err(|_| corrupt(format_args!("{column} = {code:?}")))
}

fn decimal(column: &str, text: &str) -> Result<Decimal, StoreError> {
    parse_stored(column, text)
}

/// A record's original observations as header → value (see
/// [`crate::rules::original_object`]).
fn original(
    original: Option<&str>,
    columns: Option<&str>,
) -> Result<serde_json::Value, StoreError> {
    crate::rules::original_object(original, columns)
        .map_err(|e| corrupt(format_args!("original: {e}")))
}

/// The columns of an `import_batches` row as [`BatchRow`] reads them.
pub(crate) const BATCH_COLUMNS: &str = "id, kind, mode, file_name, size_bytes, sha256, \
     uploaded_by, uploaded_at, rows, inserted, duplicates, rejected, \
     cast(problems as text) as problems, cast(warnings as text) as warnings, voided_at, \
     voided_by, void_reason";

#[derive(Debug, sqlx::FromRow)]
pub struct BatchRow {
    id: i64,
    kind: String,
    mode: String,
    file_name: String,
    size_bytes: i64,
    sha256: Option<String>,
    uploaded_by: String,
    uploaded_at: DateTime<Utc>,
    rows: i64,
    inserted: i64,
    duplicates: i64,
    rejected: i64,
    problems: String,
    warnings: String,
    voided_at: Option<DateTime<Utc>>,
    voided_by: Option<String>,
    void_reason: Option<String>,
}

impl TryFrom<BatchRow> for ImportBatch {
    type Error = StoreError;
    fn try_from(r: BatchRow) -> Result<Self, StoreError> {
        let problems: Vec<Problem> = serde_json::from_str(&r.problems)
            .map_err(|e| corrupt(format_args!("problems: {e}")))?;
        let warnings: Vec<Problem> = serde_json::from_str(&r.warnings)
            .map_err(|e| corrupt(format_args!("warnings: {e}")))?;
        Ok(ImportBatch {
            id: Some(r.id),
            outcome: BatchOutcome::Stored,
            kind: parse_stored::<LogKind>("kind", &r.kind)?,
            mode: parse_stored::<ImportMode>("mode", &r.mode)?,
            file_name: r.file_name,
            size_bytes: u64_of(r.size_bytes),
            sha256: r.sha256.unwrap_or_default(),
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at,
            rows: u64_of(r.rows),
            inserted: u64_of(r.inserted),
            duplicates: u64_of(r.duplicates),
            rejected: u64_of(r.rejected),
            problems,
            warnings,
            voided_at: r.voided_at,
            voided_by: r.voided_by,
            void_reason: r.void_reason,
        })
    }
}

/// A category with one of its cycles (none when it has none).
#[derive(Debug, sqlx::FromRow)]
pub struct CategoryRow {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub legal_group2: bool,
    pub effective_from: Option<NaiveDate>,
    pub months: Option<i64>,
}

impl CategoryRow {
    pub(crate) fn code(&self) -> Result<CategoryCode, StoreError> {
        category("categories.code", &self.code)
    }

    pub(crate) fn cycle(&self) -> Result<Option<CycleRule>, StoreError> {
        let (Some(effective_from), Some(months)) = (self.effective_from, self.months) else {
            return Ok(None);
        };
        let months = u32::try_from(months)
            .map_err(|_| corrupt(format_args!("category_cycles.months = {months}")))?;
        Ok(Some(CycleRule {
            effective_from,
            months,
        }))
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct PlanRow {
    metric: String,
    category_code: String,
    period: String,
    target: i64,
}

impl TryFrom<PlanRow> for PlanTarget {
    type Error = StoreError;
    fn try_from(r: PlanRow) -> Result<Self, StoreError> {
        Ok(PlanTarget {
            metric: parse_stored("plan_targets.metric", &r.metric)?,
            category: if r.category_code.is_empty() {
                None
            } else {
                Some(category("plan_targets.category_code", &r.category_code)?)
            },
            period: parse_stored("plan_targets.period", &r.period)?,
            target: u64_of(r.target),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct DueRow {
    instrument_id: i64,
    category_code: String,
    serial_number: String,
    manufacturer: Option<String>,
    owner: Option<String>,
    inspected_on: NaiveDate,
    valid_until: NaiveDate,
}

impl DueRow {
    pub(crate) fn entry(self, as_of: NaiveDate) -> Result<DueEntry, StoreError> {
        let (days_left, overdue) = DueEntry::days_left(self.valid_until, as_of);
        Ok(DueEntry {
            instrument_id: self.instrument_id,
            category: category("instruments.category_code", &self.category_code)?,
            serial_number: self.serial_number,
            manufacturer: self.manufacturer,
            owner: self.owner,
            last_inspected_on: self.inspected_on,
            valid_until: self.valid_until,
            days_left,
            overdue,
        })
    }
}

/// The columns of an instrument (`i`) as [`InstrumentRow`] reads them.
/// An instrument an import created has no `created_at` of its own: it takes its batch's
/// upload time (migration 0020).
pub(crate) const INSTRUMENT_COLUMNS: &str = "i.id, i.category_code, i.serial_number, \
     i.manufacturer, i.model, i.owner, i.measuring_range, i.accuracy_class, \
     coalesce(i.created_at, (select b.uploaded_at from import_batches b \
         where b.lab_id = i.lab_id and b.id = i.created_batch_id)) as created_at, \
     i.created_batch_id";

#[derive(Debug, sqlx::FromRow)]
pub struct InstrumentRow {
    id: i64,
    category_code: String,
    serial_number: String,
    manufacturer: Option<String>,
    model: Option<String>,
    owner: Option<String>,
    measuring_range: Option<String>,
    accuracy_class: Option<String>,
    created_at: DateTime<Utc>,
    created_batch_id: Option<i64>,
}

impl TryFrom<InstrumentRow> for InstrumentRecord {
    type Error = StoreError;
    fn try_from(r: InstrumentRow) -> Result<Self, StoreError> {
        Ok(InstrumentRecord {
            id: r.id,
            category: category("category_code", &r.category_code)?,
            serial_number: r.serial_number,
            manufacturer: r.manufacturer,
            model: r.model,
            owner: r.owner,
            measuring_range: r.measuring_range,
            accuracy_class: r.accuracy_class,
            created_at: r.created_at,
            created_batch_id: r.created_batch_id,
        })
    }
}

/// Inspections (`s`) with their instrument and batch, as [`InspectionRow`] reads them.
/// One an import stored has no `created_at` of its own: it takes its batch's upload time
/// (migration 0020).
pub(crate) const INSPECTION_SELECT: &str = "select s.id, s.instrument_id, s.category_code, \
     i.serial_number, i.manufacturer, i.model, i.owner, s.kind, s.inspected_on, s.verification_type, s.procedure, s.result, \
     cast(s.error_percent as text) as error_percent, s.certificate_no, s.stamp_no, \
     s.valid_until, s.technician, s.checked_by, s.notes, s.batch_id, s.source_line, \
     cast(s.original as text) as original, \
     cast(b.original_columns as text) as original_columns, \
     cast(b.file_layout as text) as file_layout, \
     cast(s.version as bigint) as version, s.voided_at, \
     coalesce(s.created_at, b.uploaded_at) as created_at, \
     b.uploaded_by, s.amended_by, s.amended_at, s.amend_reason, s.voided_by, s.void_reason \
     from inspections s join instruments i on i.lab_id = s.lab_id and i.id = s.instrument_id \
     left join import_batches b on b.lab_id = s.lab_id and b.id = s.batch_id";

#[derive(Debug, sqlx::FromRow)]
pub struct InspectionRow {
    id: i64,
    instrument_id: i64,
    category_code: String,
    serial_number: String,
    manufacturer: Option<String>,
    model: Option<String>,
    owner: Option<String>,
    kind: String,
    inspected_on: NaiveDate,
    verification_type: Option<String>,
    procedure: Option<String>,
    result: Option<String>,
    error_percent: Option<String>,
    certificate_no: Option<String>,
    stamp_no: Option<String>,
    valid_until: Option<NaiveDate>,
    technician: String,
    checked_by: Option<String>,
    notes: Option<String>,
    batch_id: Option<i64>,
    source_line: Option<i64>,
    original: Option<String>,
    original_columns: Option<String>,
    file_layout: Option<String>,
    version: i64,
    voided_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    #[sqlx(flatten)]
    authorship: Authorship,
}

impl TryFrom<InspectionRow> for InspectionRecord {
    type Error = StoreError;
    fn try_from(r: InspectionRow) -> Result<Self, StoreError> {
        Ok(InspectionRecord {
            id: r.id,
            instrument_id: r.instrument_id,
            category: category("category_code", &r.category_code)?,
            serial_number: r.serial_number,
            manufacturer: r.manufacturer,
            model: r.model,
            owner: r.owner,
            kind: parse_stored("inspections.kind", &r.kind)?,
            inspected_on: r.inspected_on,
            verification_type: r.verification_type,
            procedure: r.procedure,
            result: r
                .result
                .map(|v| parse_stored("inspections.result", &v))
                .transpose()?,
            error_percent: r.error_percent,
            certificate_no: r.certificate_no,
            stamp_no: r.stamp_no,
            valid_until: r.valid_until,
            technician: r.technician,
            checked_by: r.checked_by,
            notes: r.notes,
            batch_id: r.batch_id,
            source_line: r.source_line,
            original: original(r.original.as_deref(), r.original_columns.as_deref())?,
            version: r.version,
            voided_at: r.voided_at,
            created_at: r.created_at,
            authorship: r.authorship,
        })
    }
}

/// The columns of a point (`p`) and its latest valid test (`t`), as [`PointRow`] reads
/// them (from [`super::Backend::POINTS_WITH_LATEST_TEST`]).
pub(crate) const POINT_COLUMNS: &str = "select p.id, p.site, p.code, p.system, \
     cast(p.limit_ohm as text) as limit_ohm, p.created_at, t.tested_on as last_tested_on, \
     cast(t.resistance_ohm as text) as last_resistance_ohm, \
     cast(t.limit_ohm as text) as last_limit_ohm";

#[derive(Debug, sqlx::FromRow)]
pub struct PointRow {
    id: i64,
    site: String,
    code: String,
    system: String,
    limit_ohm: String,
    created_at: DateTime<Utc>,
    last_tested_on: Option<NaiveDate>,
    last_resistance_ohm: Option<String>,
    last_limit_ohm: Option<String>,
}

impl TryFrom<PointRow> for EarthingPointRecord {
    type Error = StoreError;
    fn try_from(r: PointRow) -> Result<Self, StoreError> {
        let last_pass = match (&r.last_resistance_ohm, &r.last_limit_ohm) {
            (Some(resistance), Some(limit)) => Some(
                decimal("earthing_tests.resistance_ohm", resistance)?
                    <= decimal("earthing_tests.limit_ohm", limit)?,
            ),
            _ => None,
        };
        Ok(EarthingPointRecord {
            id: r.id,
            site: r.site,
            code: r.code,
            system: r.system,
            limit_ohm: r.limit_ohm,
            created_at: r.created_at,
            last_tested_on: r.last_tested_on,
            last_resistance_ohm: r.last_resistance_ohm,
            last_pass,
        })
    }
}

/// Earthing tests (`t`) with their point and batch, as [`TestRow`] reads them, the time
/// of one an import stored its batch's (see [`INSPECTION_SELECT`]).
pub(crate) const TEST_SELECT: &str = "select t.id, t.point_id, p.site, p.code as point_code, p.system, \
     t.tested_on, cast(t.resistance_ohm as text) as resistance_ohm, \
     cast(t.limit_ohm as text) as limit_ohm, t.method, t.tester_serial, t.weather, \
     t.technician, t.notes, t.batch_id, t.source_line, cast(t.original as text) as original, \
     cast(b.original_columns as text) as original_columns, \
     cast(b.file_layout as text) as file_layout, \
     cast(t.version as bigint) as version, t.voided_at, \
     coalesce(t.created_at, b.uploaded_at) as created_at, \
     b.uploaded_by, t.amended_by, t.amended_at, t.amend_reason, t.voided_by, t.void_reason \
     from earthing_tests t join earthing_points p on p.lab_id = t.lab_id and p.id = t.point_id \
     left join import_batches b on b.lab_id = t.lab_id and b.id = t.batch_id";

#[derive(Debug, sqlx::FromRow)]
pub struct TestRow {
    id: i64,
    point_id: i64,
    site: String,
    point_code: String,
    system: String,
    tested_on: NaiveDate,
    resistance_ohm: String,
    limit_ohm: String,
    method: Option<String>,
    tester_serial: Option<String>,
    weather: Option<String>,
    technician: String,
    notes: Option<String>,
    batch_id: Option<i64>,
    source_line: Option<i64>,
    original: Option<String>,
    original_columns: Option<String>,
    file_layout: Option<String>,
    version: i64,
    voided_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    #[sqlx(flatten)]
    authorship: Authorship,
}

impl TryFrom<TestRow> for EarthingTestRecord {
    type Error = StoreError;
    fn try_from(r: TestRow) -> Result<Self, StoreError> {
        let pass = decimal("earthing_tests.resistance_ohm", &r.resistance_ohm)?
            <= decimal("earthing_tests.limit_ohm", &r.limit_ohm)?;
        Ok(EarthingTestRecord {
            id: r.id,
            point_id: r.point_id,
            site: r.site,
            point_code: r.point_code,
            system: r.system,
            tested_on: r.tested_on,
            original: original(r.original.as_deref(), r.original_columns.as_deref())?,
            resistance_ohm: r.resistance_ohm,
            limit_ohm: r.limit_ohm,
            pass,
            method: r.method,
            tester_serial: r.tester_serial,
            weather: r.weather,
            technician: r.technician,
            notes: r.notes,
            batch_id: r.batch_id,
            source_line: r.source_line,
            version: r.version,
            voided_at: r.voided_at,
            created_at: r.created_at,
            authorship: r.authorship,
            rose: None,
        })
    }
}

/// Flags each valid test whose resistance is above the previous valid test's.
pub(crate) fn flag_rises(tests: &mut [EarthingTestRecord]) -> Result<(), StoreError> {
    let mut previous: Option<Decimal> = None;
    for test in tests.iter_mut().filter(|t| t.voided_at.is_none()) {
        let r = decimal("earthing_tests.resistance_ohm", &test.resistance_ohm)?;
        test.rose = Some(previous.is_some_and(|p| r > p));
        previous = Some(r);
    }
    Ok(())
}

/// An `audit_log` row; `detail` is JSON text on both backends.
#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    id: i64,
    lab_id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

impl TryFrom<AuditRow> for crate::accounts::AuditEntry {
    type Error = StoreError;
    fn try_from(r: AuditRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            lab: r.lab_id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            detail: serde_json::from_str(&r.detail)
                .map_err(|e| corrupt(format_args!("audit_log.detail: {e}")))?,
        })
    }
}

/// A live record holding a key or number another record would take.
#[derive(Debug, sqlx::FromRow)]
pub struct HolderRow {
    pub what: String,
    pub holder: i64,
    pub holder_batch: Option<i64>,
    pub holder_line: Option<i64>,
}

impl HolderRow {
    /// "its {what} is held by {noun} {id} (batch …, line …)".
    pub fn describe(&self, noun: &str) -> String {
        let whence = match (self.holder_batch, self.holder_line) {
            (Some(batch), Some(line)) => format!(" (batch {batch}, line {line})"),
            (Some(batch), None) => format!(" (batch {batch})"),
            _ => String::new(),
        };
        format!(
            "its {} is held by {noun} {}{whence}",
            self.what, self.holder
        )
    }
}

/// A record of a voided batch whose key or number a live record has taken since.
#[derive(Debug, sqlx::FromRow)]
pub struct ClashRow {
    pub kind: String,
    pub id: i64,
    pub line: Option<i64>,
    pub what: String,
    pub holder: i64,
    pub holder_batch: Option<i64>,
    pub holder_line: Option<i64>,
}

impl ClashRow {
    /// The clash as a person reads it.
    pub fn describe(&self) -> String {
        let line = self.line.map_or(String::new(), |l| format!("line {l}, "));
        let holder = HolderRow {
            what: self.what.clone(),
            holder: self.holder,
            holder_batch: self.holder_batch,
            holder_line: self.holder_line,
        };
        format!(
            "{line}{} {}: {}",
            self.kind,
            self.id,
            holder.describe(&self.kind)
        )
    }
}

/// The batch, line and layout of a row left to its batch's kept file.
fn in_kept_file<'a>(
    original: Option<&str>,
    batch: Option<i64>,
    line: Option<i64>,
    layout: Option<&'a str>,
) -> Option<(i64, i64, &'a str)> {
    match (original, batch, line, layout) {
        (None, Some(batch), Some(line), Some(layout)) => Some((batch, line, layout)),
        _ => None,
    }
}

impl super::files::KeptOriginal for InspectionRow {
    fn in_kept_file(&self) -> Option<(i64, i64, &str)> {
        in_kept_file(
            self.original.as_deref(),
            self.batch_id,
            self.source_line,
            self.file_layout.as_deref(),
        )
    }

    fn set_original(&mut self, object: String) {
        self.original = Some(object);
    }
}

impl super::files::KeptOriginal for TestRow {
    fn in_kept_file(&self) -> Option<(i64, i64, &str)> {
        in_kept_file(
            self.original.as_deref(),
            self.batch_id,
            self.source_line,
            self.file_layout.as_deref(),
        )
    }

    fn set_original(&mut self, object: String) {
        self.original = Some(object);
    }
}
