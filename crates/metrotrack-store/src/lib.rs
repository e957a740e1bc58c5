//! metrotrack's storage: one [`Store`] trait with coarse, use-case-sized methods, and its
//! implementations: SQLite (embedded, the default) and PostgreSQL.
//!
//! The backend is chosen once, from the database URL's scheme, and the application is
//! generic over it: no `dyn`, no `Any` driver.

use chrono::NaiveDate;
use metrotrack_core::{
    Category, CategoryCode, CycleRule, DueAfter, DueCounts, DueEntry, FileSummary, ImportBatch,
    ImportMode, LabId, LogKind, Metric, NewEarthingTest, NewInspection, ParsedRow,
    PeriodAchievement, PeriodSpec, PlanTarget, ReportSettings, ReportTables, ReportingPeriod,
    Scheme, YearAchievement,
};
use std::future::Future;

use accounts::{
    ApiToken, AuditEntry, Lab, NewSession, NewToken, NewUser, Session, User, UserCredentials,
};
use chrono::{DateTime, Utc};
use records::{
    Amendment, CountedPage, EarthingPointHistory, EarthingPointRecord, EarthingTestFilter,
    EarthingTestRecord, InspectedInstrument, InspectionFilter, InspectionRecord, InstrumentFilter,
    InstrumentHistory, InstrumentRecord, MeasuredPoint, Page, PointFilter,
};

pub mod accounts;
#[cfg(feature = "conformance")]
pub mod conformance;
mod figures;
pub mod postgres;
pub mod records;
mod rules;
mod sql;
pub mod sqlite;

pub use postgres::PgStore;
pub use sql::{CategoryNames, SqlStore, redact};
pub use sqlite::SqliteStore;

/// A disagreement [`Store::verify`] found: which check, and what differs, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub check: &'static str,
    pub detail: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check, self.detail)
    }
}

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
    /// A unique name is taken (a username in its lab, a lab code).
    #[error("{0}")]
    Conflict(String),
}

impl StoreError {
    /// The database is busy, not broken: no connection came free in time, another
    /// writer held the lock too long (SQLite `SQLITE_BUSY`/`SQLITE_LOCKED`), or
    /// PostgreSQL refused for now (lock not available, deadlock or serialization
    /// failure, too many connections, starting up). Nothing was written; the same
    /// request can simply be sent again a little later.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::PoolTimedOut) => true,
            StoreError::Database(sqlx::Error::Database(db)) => {
                let code = db.code().unwrap_or_default();
                match code.parse::<i64>() {
                    // SQLite: the primary result code is the low byte of the extended one.
                    Ok(n) => matches!(n & 0xff, 5 | 6),
                    Err(_) => matches!(&*code, "55P03" | "40001" | "40P01" | "53300" | "57P03"),
                }
            }
            _ => false,
        }
    }
}

/// How many of a store's connections are in use and idle, by pool: the readers, and the
/// writers (write transactions have connections of their own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUse {
    pub readers_busy: u32,
    pub readers_idle: u32,
    pub writers_busy: u32,
    pub writers_idle: u32,
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
    /// The next part of the file as it was read, kept with the batch as evidence.
    FilePart(FilePart),
    /// The file has been read to its end (or given up on): its hash, size, warnings and
    /// whole-file problems. Always the last event.
    Finished(FileSummary),
}

/// One part of a batch's file as kept (see migration 0012): about a mebibyte of the
/// file's bytes that begins at a line, as one gzip member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The line the part begins with.
    pub first_line: u64,
    /// The part's bytes, gzip-compressed.
    pub data: Vec<u8>,
}

/// metrotrack's storage, one method per use case.
pub trait Store: Clone + Send + Sync + 'static {
    /// The connections open now, in use and idle (for the server's metrics).
    fn pool_use(&self) -> PoolUse;

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

    /// Part `part` (from 0) of the file batch `id` of `lab` was imported from, as kept:
    /// `None` past its last part, and for a batch stored before files were kept.
    /// [`StoreError::NotFound`] when the lab has no such batch.
    fn batch_file_part(
        &self,
        lab: LabId,
        id: i64,
        part: i64,
    ) -> impl Future<Output = Result<Option<FilePart>, StoreError>> + Send;

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

    /// Adds a category to the lab, or sets an existing one's names and legal-list flag;
    /// audited with before and after.
    fn save_category(
        &self,
        lab: LabId,
        names: &CategoryNames,
        by: &str,
    ) -> impl Future<Output = Result<Category, StoreError>> + Send;

    /// Adds a verification cycle to category `code` from `rule.effective_from` on:
    /// inspections from that date get its valid-until; those stored before keep theirs.
    /// Refused ([`StoreError::Conflict`]) when the category has a cycle from that date.
    fn add_cycle(
        &self,
        lab: LabId,
        code: &CategoryCode,
        rule: CycleRule,
        by: &str,
    ) -> impl Future<Output = Result<Category, StoreError>> + Send;

    /// Restores a voided batch: its records voided with it are live again, in every
    /// figure. Refused ([`StoreError::Conflict`], naming every clash, nothing restored)
    /// when a live record has taken one of their keys or numbers since, or the same file
    /// is stored again. Records voided on their own stay voided.
    fn restore_batch(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
    ) -> impl Future<Output = Result<ImportBatch, StoreError>> + Send;

    /// Corrects an inspection: `amendment.record` becomes its new version (the record's
    /// id stays, its version rises by one; the version it replaces is kept whole, see
    /// [`Store::inspection_versions`]). Its instrument is found, or created as an import
    /// would, by the amended category, manufacturer and serial number. Refused with
    /// [`StoreError::Conflict`], naming the holder, when another live record holds the
    /// amended instrument, kind and date, certificate or stamp number; with
    /// [`StoreError::Invalid`] without a reason or on a voided record. Figures, tallies
    /// and the due list follow at once; audited with before and after.
    fn amend_inspection(
        &self,
        lab: LabId,
        id: i64,
        amendment: &Amendment<NewInspection>,
    ) -> impl Future<Output = Result<InspectionRecord, StoreError>> + Send;

    /// Corrects an earthing test (its point stays): see [`Store::amend_inspection`].
    fn amend_earthing_test(
        &self,
        lab: LabId,
        id: i64,
        amendment: &Amendment<NewEarthingTest>,
    ) -> impl Future<Output = Result<EarthingTestRecord, StoreError>> + Send;

    /// Voids one inspection, with who and why: it leaves every figure, stays readable.
    fn void_inspection(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
        reason: &str,
    ) -> impl Future<Output = Result<InspectionRecord, StoreError>> + Send;

    /// Voids one earthing test: see [`Store::void_inspection`].
    fn void_earthing_test(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
        reason: &str,
    ) -> impl Future<Output = Result<EarthingTestRecord, StoreError>> + Send;

    /// Every version of an inspection, oldest first, the current one last.
    fn inspection_versions(
        &self,
        lab: LabId,
        id: i64,
    ) -> impl Future<Output = Result<Vec<InspectionRecord>, StoreError>> + Send;

    /// Every version of an earthing test, oldest first, the current one last.
    fn earthing_test_versions(
        &self,
        lab: LabId,
        id: i64,
    ) -> impl Future<Output = Result<Vec<EarthingTestRecord>, StoreError>> + Send;

    /// One earthing test.
    fn earthing_test(
        &self,
        lab: LabId,
        id: i64,
    ) -> impl Future<Output = Result<EarthingTestRecord, StoreError>> + Send;

    /// Sets (or replaces) a plan target; recorded in the audit log.
    fn set_plan(
        &self,
        lab: LabId,
        target: &PlanTarget,
        by: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes the plan target of `metric` (narrowed to `category`, or lab-wide) for
    /// `period`; recorded in the audit log. Answers the target deleted, or
    /// [`StoreError::NotFound`] when none is set.
    fn delete_plan(
        &self,
        lab: LabId,
        metric: Metric,
        category: Option<&CategoryCode>,
        period: PeriodSpec,
        by: &str,
    ) -> impl Future<Output = Result<PlanTarget, StoreError>> + Send;

    /// The lab's plan targets, optionally only those of one year (its months, quarters,
    /// halves and the year).
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
    /// `as_of`, and those already overdue, soonest first (then by serial number and id):
    /// at most `limit` entries, those after `after` when given.
    fn due_list(
        &self,
        lab: LabId,
        within_days: u32,
        as_of: NaiveDate,
        after: Option<&DueAfter>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<DueEntry>, StoreError>> + Send;

    /// How many instruments [`Store::due_list`] holds for the same window: the overdue
    /// and those due within `within_days` of `as_of`.
    fn due_counts(
        &self,
        lab: LabId,
        within_days: u32,
        as_of: NaiveDate,
    ) -> impl Future<Output = Result<DueCounts, StoreError>> + Send;

    // ----- labs, accounts and the audit log -----------------------------------------

    /// The lab's letterhead and signature block for the report document; all empty
    /// when none were set.
    fn report_settings(
        &self,
        lab: LabId,
    ) -> impl Future<Output = Result<ReportSettings, StoreError>> + Send;

    /// Sets the lab's report settings (trimmed; refused when a field is too long), audited
    /// with before and after; answers them as stored.
    fn set_report_settings(
        &self,
        lab: LabId,
        settings: &ReportSettings,
        by: &str,
    ) -> impl Future<Output = Result<ReportSettings, StoreError>> + Send;

    /// The report's tables of `period`: live inspections by category (distinct
    /// instruments, inspections, passes, fails) and earthing points measured, with those
    /// whose latest test in the period is over its limit.
    fn report_tables(
        &self,
        lab: LabId,
        period: &ReportingPeriod,
    ) -> impl Future<Output = Result<ReportTables, StoreError>> + Send;

    /// Every lab, by id.
    fn labs(&self) -> impl Future<Output = Result<Vec<Lab>, StoreError>> + Send;

    /// Creates a lab with the seeded categories; [`StoreError::Conflict`] if the code
    /// is taken. Recorded in the new lab's audit log.
    fn create_lab(
        &self,
        code: &str,
        name: &str,
        by: &str,
    ) -> impl Future<Output = Result<Lab, StoreError>> + Send;

    /// Creates a user; [`StoreError::Conflict`] if the username is taken in the lab.
    /// Recorded in the audit log.
    fn create_user(
        &self,
        lab: LabId,
        user: &NewUser,
        by: &str,
    ) -> impl Future<Output = Result<User, StoreError>> + Send;

    /// The lab's users, by id.
    fn users(&self, lab: LabId) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;

    /// A user of the lab with their password hash, to sign in.
    fn user_credentials(
        &self,
        lab: LabId,
        username: &str,
    ) -> impl Future<Output = Result<Option<UserCredentials>, StoreError>> + Send;

    /// Stores a token's hash; recorded in the audit log.
    fn create_token(
        &self,
        lab: LabId,
        token: &NewToken,
        by: &str,
    ) -> impl Future<Output = Result<ApiToken, StoreError>> + Send;

    /// The lab's tokens (revoked ones included), by id.
    fn tokens(&self, lab: LabId) -> impl Future<Output = Result<Vec<ApiToken>, StoreError>> + Send;

    /// The token with this SHA-256 (lower-case hex), revoked or not, in any lab.
    fn token_by_hash(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<ApiToken>, StoreError>> + Send;

    /// Notes that a token was used at `at` (not audited: it is not a change).
    fn touch_token(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Revokes a token at once; revoking a revoked token is [`StoreError::Invalid`].
    /// Recorded in the audit log.
    fn revoke_token(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
    ) -> impl Future<Output = Result<ApiToken, StoreError>> + Send;

    /// Stores a web session (and drops the expired ones).
    fn create_session(
        &self,
        session: &NewSession,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session with this SHA-256 (lower-case hex) if it has not expired at `now`.
    fn session(
        &self,
        session_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Ends a session (signing out); ending an unknown one is not an error.
    fn delete_session(
        &self,
        session_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Checks that the database agrees with itself: its own integrity and references,
    /// every batch's count against the records naming it, the kept figures (tallies)
    /// and due dates against the records, and the audit log's continuity (in time
    /// order per lab; an entry for every batch stored and voided). The first
    /// differences of each check; none when everything agrees. Writes nothing.
    fn verify(&self) -> impl Future<Output = Result<Vec<Difference>, StoreError>> + Send;

    /// Whether nothing was written here yet: no batch, record, user, token or audit
    /// entry (a fresh, migrated database): what a restore may replace.
    fn is_empty(&self) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The lab's audit log, newest first.
    fn audit_log(
        &self,
        lab: LabId,
        page: Page,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;

    // ----- records, a page at a time ------------------------------------------------

    /// The lab's batches, newest first (`page.after` is the last id of the page before).
    fn batch_page(
        &self,
        lab: LabId,
        page: Page,
    ) -> impl Future<Output = Result<Vec<ImportBatch>, StoreError>> + Send;

    /// The lab's instruments matching `filter`, by id.
    fn instruments(
        &self,
        lab: LabId,
        filter: &InstrumentFilter,
        page: Page,
    ) -> impl Future<Output = Result<Vec<InstrumentRecord>, StoreError>> + Send;

    /// An instrument with every inspection of it.
    fn instrument(
        &self,
        lab: LabId,
        id: i64,
    ) -> impl Future<Output = Result<InstrumentHistory, StoreError>> + Send;

    /// The lab's inspections matching `filter`, by id.
    fn inspections(
        &self,
        lab: LabId,
        filter: &InspectionFilter,
        page: Page,
    ) -> impl Future<Output = Result<Vec<InspectionRecord>, StoreError>> + Send;

    /// One inspection.
    fn inspection(
        &self,
        lab: LabId,
        id: i64,
    ) -> impl Future<Output = Result<InspectionRecord, StoreError>> + Send;

    /// The lab's earthing points matching `filter`, by id.
    fn earthing_points(
        &self,
        lab: LabId,
        filter: &PointFilter,
        page: Page,
    ) -> impl Future<Output = Result<Vec<EarthingPointRecord>, StoreError>> + Send;

    /// An earthing point with every test of it in date order, rises flagged.
    fn earthing_point(
        &self,
        lab: LabId,
        id: i64,
    ) -> impl Future<Output = Result<EarthingPointHistory, StoreError>> + Send;

    /// How many inspections match `filter`: the count of every page of
    /// [`Store::inspections`].
    fn count_inspections(
        &self,
        lab: LabId,
        filter: &InspectionFilter,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// How many earthing tests match `filter`: the count of every page of
    /// [`Store::earthing_tests`].
    fn count_earthing_tests(
        &self,
        lab: LabId,
        filter: &EarthingTestFilter,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The date of the latest live inspection or earthing test of the lab, if any: where
    /// its data is, when the current period has none.
    fn latest_record_date(
        &self,
        lab: LabId,
    ) -> impl Future<Output = Result<Option<NaiveDate>, StoreError>> + Send;

    /// The distinct instruments with a live inspection between `from` and `to`
    /// (inclusive; of `category` if given), by id, each with its inspection count in the
    /// span; `total` is the `instruments_inspected` figure of the span.
    fn inspected_instruments(
        &self,
        lab: LabId,
        from: NaiveDate,
        to: NaiveDate,
        category: Option<&CategoryCode>,
        page: Page,
    ) -> impl Future<Output = Result<CountedPage<InspectedInstrument>, StoreError>> + Send;

    /// The distinct earthing points with a live test between `from` and `to`
    /// (inclusive), by id, each with its test count in the span; `total` is the
    /// `earthing_points_measured` figure of the span.
    fn measured_points(
        &self,
        lab: LabId,
        from: NaiveDate,
        to: NaiveDate,
        page: Page,
    ) -> impl Future<Output = Result<CountedPage<MeasuredPoint>, StoreError>> + Send;

    /// The lab's earthing tests matching `filter`, by id.
    fn earthing_tests(
        &self,
        lab: LabId,
        filter: &EarthingTestFilter,
        page: Page,
    ) -> impl Future<Output = Result<Vec<EarthingTestRecord>, StoreError>> + Send;
}
