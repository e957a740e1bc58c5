//! The API's JSON documents, with their OpenAPI schemas.
//!
//! Domain and store types stay free of OpenAPI; each document here is built from one
//! of them (`From`), so the schema and the JSON cannot drift apart. Field names and
//! shapes of SPEC §3 (import batch, achievement) are a contract.

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::{
    Achievement, Category, DueEntry, ImportBatch, PeriodAchievement, PlanTarget, Problem,
    ReportingPeriod, YearAchievement,
};
use metrotrack_store::accounts::{ApiToken, AuditEntry, User};
use metrotrack_store::records::{
    EarthingPointHistory, EarthingPointRecord, EarthingTestRecord, InspectionRecord,
    InstrumentHistory, InstrumentRecord,
};
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProblemDetails {
    /// Stable URI naming the kind of problem, e.g. `https://metrotrack.dev/problems/validation`.
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Import refusals: every row problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<RowProblem>>,
    /// Import refusals: the warnings (unknown columns, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<RowProblem>>,
    /// Import refusals: the batch as it would have been (no id: nothing stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<Box<BatchDto>>,
}

/// One problem in a log: the physical line (header = 1; 0 for the whole file), the
/// column as the header writes it, the offending value (shortened) and a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowProblem {
    pub line: u64,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

impl From<&Problem> for RowProblem {
    fn from(p: &Problem) -> Self {
        Self {
            line: p.line,
            column: p.column.clone(),
            value: p.value.clone(),
            message: p.message.clone(),
        }
    }
}

/// One import of one file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchDto {
    /// Null when nothing was stored (a refusal or a dry run).
    pub id: Option<i64>,
    /// `stored`, `already_imported`, `refused` or `dry_run`.
    #[schema(example = "stored")]
    pub outcome: String,
    /// `inspections` or `earthing`.
    #[schema(example = "inspections")]
    pub kind: String,
    /// `strict`, `partial` or `dry_run`.
    #[schema(example = "strict")]
    pub mode: String,
    pub file_name: String,
    pub size_bytes: u64,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    /// Data rows read.
    pub rows: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub problems: Vec<RowProblem>,
    pub warnings: Vec<RowProblem>,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
}

fn word<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl From<ImportBatch> for BatchDto {
    fn from(b: ImportBatch) -> Self {
        Self {
            id: b.id,
            outcome: word(&b.outcome),
            kind: b.kind.to_string(),
            mode: b.mode.to_string(),
            file_name: b.file_name,
            size_bytes: b.size_bytes,
            sha256: b.sha256,
            uploaded_by: b.uploaded_by,
            uploaded_at: b.uploaded_at,
            rows: b.rows,
            inserted: b.inserted,
            duplicates: b.duplicates,
            rejected: b.rejected,
            problems: b.problems.iter().map(RowProblem::from).collect(),
            warnings: b.warnings.iter().map(RowProblem::from).collect(),
            voided_at: b.voided_at,
            voided_by: b.voided_by,
            void_reason: b.void_reason,
        }
    }
}

/// Declares a page of `$item`s: `items` and the cursor of the next page.
macro_rules! page_of {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; null on the last page.
            pub next_cursor: Option<String>,
        }
    };
}

page_of!(
    BatchPage,
    BatchDto,
    "A page of import batches, newest first."
);
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
page_of!(
    AuditPage,
    AuditDto,
    "A page of the audit log, newest first."
);

/// A measuring instrument (phương tiện đo).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstrumentDto {
    pub id: i64,
    pub category: String,
    /// As written in the log that first named it.
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
    pub category: String,
    pub serial_number: String,
    /// `verification`, `calibration` or `test`.
    pub kind: String,
    pub inspected_on: NaiveDate,
    /// `initial`, `periodic` or `after_repair`.
    pub verification_type: Option<String>,
    pub procedure: Option<String>,
    /// `pass`, `fail`, or null (a calibration with no conformity statement).
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
        }
    }
}

/// An earthing point (điểm đo) with its latest valid test.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PointDto {
    pub id: i64,
    pub site: String,
    pub code: String,
    /// `lightning_protection`, `electrical_safety` or `other`.
    pub system: String,
    /// Ω, exact decimal as text.
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
    pub site: String,
    pub point_code: String,
    pub tested_on: NaiveDate,
    /// Ω, exact decimal as written (`2.50`).
    pub resistance_ohm: String,
    /// The limit applied, Ω.
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
        }
    }
}

/// A verification cycle in force from a date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CycleDto {
    pub effective_from: NaiveDate,
    pub months: u32,
}

/// An instrument category with its cycles.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryDto {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub legal_group2: bool,
    pub cycles: Vec<CycleDto>,
}

impl From<Category> for CategoryDto {
    fn from(c: Category) -> Self {
        Self {
            code: c.code.to_string(),
            name_vi: c.name_vi,
            name_en: c.name_en,
            legal_group2: c.legal_group2,
            cycles: c
                .cycles
                .into_iter()
                .map(|r| CycleDto {
                    effective_from: r.effective_from,
                    months: r.months,
                })
                .collect(),
        }
    }
}

/// The lab's categories.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryDto>,
}

/// A plan target.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanDto {
    /// `instruments_inspected`, `inspections` or `earthing_points_measured`.
    pub metric: String,
    pub category: Option<String>,
    /// `2023-10` (month) or `2023` (year).
    pub period: String,
    pub target: u64,
}

impl From<PlanTarget> for PlanDto {
    fn from(p: PlanTarget) -> Self {
        Self {
            metric: p.metric.to_string(),
            category: p.category.map(|c| c.to_string()),
            period: p.period.to_string(),
            target: p.target,
        }
    }
}

/// The lab's plan targets.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<PlanDto>,
}

/// `PUT /api/v1/plans/{period}/{metric}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPlan {
    /// At least 1.
    #[schema(example = 402, minimum = 1)]
    pub target: u64,
    /// A category code to narrow the metric to, or null for every category.
    #[serde(default)]
    pub category: Option<String>,
}

/// A reporting period with its dates.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PeriodDto {
    #[schema(example = "2023-10")]
    pub label: String,
    /// `decree09` or `calendar`.
    #[schema(example = "decree09")]
    pub scheme: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl From<ReportingPeriod> for PeriodDto {
    fn from(p: ReportingPeriod) -> Self {
        Self {
            label: p.spec.to_string(),
            scheme: p.scheme.to_string(),
            start: p.start,
            end: p.end,
        }
    }
}

/// One metric's figure against its plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AchievementDto {
    #[schema(example = "instruments_inspected")]
    pub metric: String,
    pub category: Option<String>,
    #[schema(example = 467)]
    pub actual: u64,
    #[schema(example = 402)]
    pub target: Option<u64>,
    /// actual / target, 4 decimal places.
    #[schema(example = 1.1617)]
    pub ratio: Option<f64>,
    /// Whole percent, rounded half up.
    #[schema(example = 116)]
    pub percent: Option<u64>,
    /// `achieved`, `below_target` or `no_target`.
    #[schema(example = "achieved")]
    pub status: String,
}

impl From<Achievement> for AchievementDto {
    fn from(a: Achievement) -> Self {
        Self {
            metric: a.metric.to_string(),
            category: a.category.map(|c| c.to_string()),
            actual: a.actual,
            target: a.target,
            ratio: a.ratio.and_then(|r| r.to_f64()),
            percent: a.percent,
            status: word(&a.status),
        }
    }
}

/// A period's achievement (SPEC §3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PeriodAchievementDto {
    pub period: PeriodDto,
    pub metrics: Vec<AchievementDto>,
}

impl From<PeriodAchievement> for PeriodAchievementDto {
    fn from(a: PeriodAchievement) -> Self {
        Self {
            period: a.period.into(),
            metrics: a.metrics.into_iter().map(Into::into).collect(),
        }
    }
}

/// A year's monthly series and year to date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct YearAchievementDto {
    pub year: i32,
    pub scheme: String,
    pub months: Vec<PeriodAchievementDto>,
    pub year_to_date: Vec<AchievementDto>,
    pub against_annual: Vec<AchievementDto>,
}

impl From<YearAchievement> for YearAchievementDto {
    fn from(y: YearAchievement) -> Self {
        Self {
            year: y.year,
            scheme: y.scheme.to_string(),
            months: y.months.into_iter().map(Into::into).collect(),
            year_to_date: y.year_to_date.into_iter().map(Into::into).collect(),
            against_annual: y.against_annual.into_iter().map(Into::into).collect(),
        }
    }
}

/// `GET /api/v1/achievement`: a period's (with `period=`) or a year's (with `year=`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AchievementResponse {
    Period(PeriodAchievementDto),
    Year(YearAchievementDto),
}

/// An instrument on the due list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DueDto {
    pub instrument_id: i64,
    pub category: String,
    pub serial_number: String,
    pub manufacturer: Option<String>,
    pub owner: Option<String>,
    pub last_inspected_on: NaiveDate,
    pub valid_until: NaiveDate,
    /// Negative when overdue.
    pub days_left: i64,
    pub overdue: bool,
}

impl From<DueEntry> for DueDto {
    fn from(d: DueEntry) -> Self {
        Self {
            instrument_id: d.instrument_id,
            category: d.category.to_string(),
            serial_number: d.serial_number,
            manufacturer: d.manufacturer,
            owner: d.owner,
            last_inspected_on: d.last_inspected_on,
            valid_until: d.valid_until,
            days_left: d.days_left,
            overdue: d.overdue,
        }
    }
}

/// The due list as of a date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DueList {
    pub as_of: NaiveDate,
    pub within_days: u32,
    pub items: Vec<DueDto>,
    /// The `cursor` of the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// `POST /api/v1/imports/{id}/void`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    /// Why the batch is voided (kept with it and in the audit log).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// A user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub username: String,
    /// `reader`, `technician`, `supervisor`, `admin` or `national`.
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            username: u.username,
            role: u.role.to_string(),
            created_at: u.created_at,
            created_by: u.created_by,
        }
    }
}

/// The lab's users.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserDto>,
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    /// `reader`, `technician`, `supervisor` or `admin`.
    pub role: String,
    /// At least 12 characters; when absent one is generated and returned once.
    #[serde(default)]
    pub password: Option<String>,
}

/// A created user, with the generated password when none was given (shown once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedUser {
    pub user: UserDto,
    pub password: Option<String>,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            role: t.role.to_string(),
            user_id: t.user_id,
            username: t.username,
            created_at: t.created_at,
            created_by: t.created_by,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            revoked_by: t.revoked_by,
        }
    }
}

/// The lab's tokens.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenDto>,
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `reader`, `technician`, `supervisor` or `admin`.
    pub role: String,
    /// The user the token acts for; its role may not exceed theirs.
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// A created token: `token` is shown this once; only its hash is kept.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    pub token: String,
    pub info: TokenDto,
}

/// One entry of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditDto {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<AuditEntry> for AuditDto {
    fn from(a: AuditEntry) -> Self {
        Self {
            id: a.id,
            at: a.at,
            actor: a.actor,
            action: a.action,
            subject: a.subject,
            detail: a.detail,
        }
    }
}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}
