//! metrotrack's domain: instrument categories, instruments, inspections, earthing tests,
//! reporting periods, plans and achievement.
//!
//! Pure: no IO, no async, no SQL. Every value that crosses into this crate is parsed into
//! a type that cannot hold an invalid value (`SerialNumber`, `Ohms`, `PeriodSpec`, …).

pub mod achievement;
pub mod batch;
pub mod category;
pub mod decimal;
pub mod document;
pub mod due;
pub mod earthing;
pub mod inspection;
pub mod instrument;
pub mod kept;
pub mod message;
pub mod period;
pub mod plan;
pub mod report;
pub mod role;
pub mod text;
pub mod vocab;

pub use achievement::{Achievement, AchievementStatus, PeriodAchievement, YearAchievement};
pub use batch::{
    Admitted, BatchOutcome, BatchTally, FileSummary, ImportBatch, ImportMode, LogKind, ParsedRow,
    Problem,
};
pub use category::{Category, CategoryCatalog, CategoryCode, CycleRule};
pub use document::{CategoryRow, EarthingRow, ReportSettings, ReportTables, SettingsError};
pub use due::{DueAfter, DueCounts, DueEntry};
pub use earthing::{EarthingMethod, EarthingSystem, NewEarthingTest, Ohms, PointCode, PointKey};
pub use inspection::{InspectionKind, NewInspection, Outcome, VerificationType};
pub use instrument::{InstrumentKey, SerialNumber};
pub use message::{Msg, SheetPlace};
pub use period::{PeriodSpec, ReportingPeriod, Scheme};
pub use plan::{Metric, PlanTarget};
pub use report::Lang;
pub use role::{Role, UnknownRole};
pub use vocab::Vocabulary;

/// A lab's id. Every record, plan and user belongs to one.
pub type LabId = i64;

/// A record as read from a log: the validated value, the physical line it came from,
/// and the original observations as written (header → value), kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub line: u64,
    pub original: Vec<(String, String)>,
    pub record: T,
}
