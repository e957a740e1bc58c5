//! metrotrack's storage: one [`Store`] trait with coarse, use-case-sized methods, and its
//! implementations (SQLite now; PostgreSQL behind the same trait).
//!
//! The backend is chosen once, from the database URL's scheme, and the application is
//! generic over it: no `dyn`, no `Any` driver.

use chrono::NaiveDate;
use metrotrack_core::{
    Category, DueEntry, FileSummary, ImportBatch, ImportMode, LabId, LogKind, ParsedRow,
    PeriodAchievement, PlanTarget, ReportingPeriod, Scheme, YearAchievement,
};
use std::future::Future;

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod sqlite;

pub use sqlite::SqliteStore;

/// Why a store operation failed. Row problems are not errors: they are reported in the
/// [`ImportBatch`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the import was abandoned before its end: {0}")]
    ImportAbandoned(String),
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
}

/// Who imports what, and how: everything about a batch known before its first row.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    pub lab: LabId,
    pub kind: LogKind,
    pub mode: ImportMode,
    pub file_name: String,
    pub uploaded_by: String,
}

/// What the reader sends the store while a file streams in.
#[derive(Debug)]
pub enum ImportEvent {
    /// The next rows, in file order.
    Rows(Vec<ParsedRow>),
    /// The file has been read to its end (or given up on): its hash, size, warnings and
    /// whole-file problems. Always the last event.
    Finished(FileSummary),
}

/// metrotrack's storage, one method per use case.
pub trait Store: Clone + Send + Sync + 'static {
    /// Applies pending migrations and makes sure the default lab and its seeded
    /// categories exist.
    fn migrate(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The lab a single-lab installation uses without ever naming it.
    fn default_lab(&self) -> impl Future<Output = Result<LabId, StoreError>> + Send;

    /// The lab's instrument categories with their cycles.
    fn categories(
        &self,
        lab: LabId,
    ) -> impl Future<Output = Result<Vec<Category>, StoreError>> + Send;

    /// Stores one file's rows as one batch, in one transaction.
    ///
    /// Consumes `events` to their `Finished`. Natural-key duplicates (in the database or
    /// earlier in the file) with equal values are counted and skipped; with different
    /// values they are conflicts, reported on the later row. Strict mode stores nothing
    /// when any row has a problem; dry runs never store; a file whose SHA-256 is already
    /// a batch of this lab answers with that batch and stores nothing new. If the
    /// channel closes before `Finished`, nothing is stored and
    /// [`StoreError::ImportAbandoned`] is returned.
    fn import_batch(
        &self,
        request: BatchRequest,
        events: tokio::sync::mpsc::Receiver<ImportEvent>,
    ) -> impl Future<Output = Result<ImportBatch, StoreError>> + Send;

    /// A stored batch by id.
    fn batch(
        &self,
        lab: LabId,
        id: i64,
    ) -> impl Future<Output = Result<ImportBatch, StoreError>> + Send;

    /// The lab's batches, newest first.
    fn batches(
        &self,
        lab: LabId,
    ) -> impl Future<Output = Result<Vec<ImportBatch>, StoreError>> + Send;

    /// Voids a batch: its records leave every figure but stay visible as voided.
    fn void_batch(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
        reason: &str,
    ) -> impl Future<Output = Result<ImportBatch, StoreError>> + Send;

    /// Sets (or replaces) a plan target; recorded in the audit log.
    fn set_plan(
        &self,
        lab: LabId,
        target: &PlanTarget,
        by: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The lab's plan targets, optionally only those of one year (months and the year).
    fn plans(
        &self,
        lab: LabId,
        year: Option<i32>,
    ) -> impl Future<Output = Result<Vec<PlanTarget>, StoreError>> + Send;

    /// Every metric's actual for the period (lab-wide, and for each category that has a
    /// target in it), with its target: a month's or year's own target, or for a quarter
    /// or half the sum of its months' targets.
    fn achievement(
        &self,
        lab: LabId,
        period: ReportingPeriod,
    ) -> impl Future<Output = Result<PeriodAchievement, StoreError>> + Send;

    /// The monthly series of a year up to `as_of`'s month, and year to date.
    fn year_achievement(
        &self,
        lab: LabId,
        year: i32,
        scheme: Scheme,
        as_of: NaiveDate,
    ) -> impl Future<Output = Result<YearAchievement, StoreError>> + Send;

    /// Instruments whose latest valid inspection expires within `within_days` of
    /// `as_of`, and those already overdue, soonest first.
    fn due_list(
        &self,
        lab: LabId,
        within_days: u32,
        as_of: NaiveDate,
    ) -> impl Future<Output = Result<Vec<DueEntry>, StoreError>> + Send;
}
