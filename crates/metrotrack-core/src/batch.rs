//! Import batches: what one uploaded log did, and every problem found in it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which kind of lab log a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Inspections,
    Earthing,
}

impl LogKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inspections => "inspections",
            Self::Earthing => "earthing",
        }
    }
}

impl fmt::Display for LogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no [`LogKind`] or [`ImportMode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not valid; use {expected}")]
pub struct UnknownName {
    pub value: String,
    pub expected: &'static str,
}

impl FromStr for LogKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "inspections" => Ok(Self::Inspections),
            "earthing" => Ok(Self::Earthing),
            _ => Err(UnknownName {
                value: s.to_owned(),
                expected: "inspections or earthing",
            }),
        }
    }
}

/// What to do with the valid rows of a file that has invalid ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Store nothing if any row is invalid.
    #[default]
    Strict,
    /// Store the valid rows, reject the others.
    Partial,
    /// Validate everything, store nothing.
    DryRun,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::Partial => "partial",
            Self::DryRun => "dry_run",
        }
    }
}

impl fmt::Display for ImportMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImportMode {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "strict" => Ok(Self::Strict),
            "partial" => Ok(Self::Partial),
            "dry_run" => Ok(Self::DryRun),
            _ => Err(UnknownName {
                value: s.to_owned(),
                expected: "strict, partial or dry_run",
            }),
        }
    }
}

/// One problem in a file: where (physical line, header line = 1; column as the header
/// writes it), what (the offending value, shortened) and why (a plain message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Physical line in the file; 0 for a problem of the whole file.
    pub line: u64,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

/// Longest value echoed back in a problem.
pub const PROBLEM_VALUE_MAX_CHARS: usize = 80;

impl Problem {
    pub fn new(
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            line,
            column: column.map(str::to_owned),
            value: value.map(|v| crate::text::shorten(v, PROBLEM_VALUE_MAX_CHARS)),
            message: message.into(),
        }
    }

    /// A problem with the whole file rather than one row.
    pub fn file(message: impl Into<String>) -> Self {
        Self {
            line: 0,
            column: None,
            value: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}", self.line)?;
        } else {
            f.write_str("file")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c:?}")?;
        }
        if let Some(v) = &self.value {
            write!(f, ", value {v:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What became of an import request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchOutcome {
    /// Stored as a new batch.
    Stored,
    /// The same file (by SHA-256) was imported before: this is that batch.
    AlreadyImported,
    /// Strict mode found problems: nothing was stored.
    Refused,
    /// A dry run: validated, nothing stored.
    DryRun,
}

/// One import of one file, with its counts and every problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportBatch {
    /// `None` when nothing was stored (a refusal or a dry run).
    pub id: Option<i64>,
    pub outcome: BatchOutcome,
    pub kind: LogKind,
    pub mode: ImportMode,
    pub file_name: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    /// Data rows read (the header and blank lines not counted).
    pub rows: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
}

/// One data row of a log after validation: what the importer hands the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedRow {
    Inspection(crate::Sourced<crate::NewInspection>),
    Earthing(crate::Sourced<crate::NewEarthingTest>),
    /// The row could not be read into a record: every problem found in it.
    Invalid {
        line: u64,
        problems: Vec<Problem>,
    },
}

/// What the reader knows of the whole file once it has read it (or given up on it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileSummary {
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    pub size_bytes: u64,
    /// Unknown and ignored columns and other notes that refuse nothing.
    pub warnings: Vec<Problem>,
    /// Problems of the whole file (unreadable encoding, missing required column, a
    /// bound exceeded, …): the file is refused whatever the mode.
    pub fatal: Vec<Problem>,
    /// (canonical field name, header as the file writes it) for each field the file has.
    pub columns: Vec<(String, String)>,
}

impl FileSummary {
    /// Renames problems' columns from canonical field names (`result`, as a store names
    /// the field of a conflict) to the file's own headers (`Kết quả`). A column already
    /// as written is left alone: a header that is some field's canonical name always
    /// names that same field.
    pub fn name_columns_as_written(&self, problems: &mut [Problem]) {
        for problem in problems {
            if let Some(column) = &mut problem.column
                && let Some((_, written)) = self.columns.iter().find(|(c, _)| c == column)
            {
                column.clone_from(written);
            }
        }
    }
}

/// A valid row of a batch's kind, ready to store.
#[derive(Debug)]
pub enum Admitted {
    Inspection(crate::Sourced<crate::NewInspection>),
    Earthing(crate::Sourced<crate::NewEarthingTest>),
}

impl Admitted {
    /// The row's physical line in its file.
    pub fn line(&self) -> u64 {
        match self {
            Self::Inspection(s) => s.line,
            Self::Earthing(s) => s.line,
        }
    }
}

/// The counts and problems of a running import, and what they make of the batch.
#[derive(Debug, Default)]
pub struct BatchTally {
    pub rows: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub problems: Vec<Problem>,
}

impl BatchTally {
    /// Counts a row rejected for `problem`.
    pub fn reject(&mut self, problem: Problem) {
        self.rejected += 1;
        self.problems.push(problem);
    }

    /// Counts `row`; returns it when it is a valid record of `kind`, and otherwise
    /// records why it is rejected.
    pub fn admit(&mut self, kind: LogKind, row: ParsedRow) -> Option<Admitted> {
        self.rows += 1;
        match row {
            ParsedRow::Invalid { line, problems } => {
                self.rejected += 1;
                if problems.is_empty() {
                    self.problems
                        .push(Problem::new(line, None, None, "the row could not be read"));
                } else {
                    self.problems.extend(problems);
                }
                None
            }
            ParsedRow::Inspection(s) if kind == LogKind::Inspections => {
                Some(Admitted::Inspection(s))
            }
            ParsedRow::Earthing(s) if kind == LogKind::Earthing => Some(Admitted::Earthing(s)),
            ParsedRow::Inspection(s) => {
                let message = "an inspection row in an earthing log";
                self.reject(Problem::new(s.line, None, None, message));
                None
            }
            ParsedRow::Earthing(s) => {
                let message = "an earthing row in an inspections log";
                self.reject(Problem::new(s.line, None, None, message));
                None
            }
        }
    }

    /// A row the database skipped, judged against its stored counterpart: a duplicate
    /// when there is no problem, else rejected for it.
    pub fn judge(&mut self, problem: Option<Problem>) {
        match problem {
            None => self.duplicates += 1,
            Some(p) => self.reject(p),
        }
    }

    /// Whether the batch, read to its end without a whole-file problem, is stored:
    /// `Some` outcome when it is not (strict mode with problems, a dry run); partial
    /// mode stores the valid rows whatever the others.
    pub fn unstored_outcome(&self, mode: ImportMode) -> Option<BatchOutcome> {
        match mode {
            ImportMode::Strict if !self.problems.is_empty() => Some(BatchOutcome::Refused),
            ImportMode::DryRun => Some(BatchOutcome::DryRun),
            ImportMode::Strict | ImportMode::Partial => None,
        }
    }

    /// The rows reported inserted by a batch that stored nothing: a refusal reports
    /// none, a dry run what would have been.
    pub fn inserted_unstored(&self, outcome: BatchOutcome) -> u64 {
        if outcome == BatchOutcome::DryRun {
            self.inserted
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(line: u64) -> ParsedRow {
        ParsedRow::Invalid {
            line,
            problems: Vec::new(),
        }
    }

    #[test]
    fn strict_refuses_problems_partial_stores_dry_run_never() {
        let mut tally = BatchTally::default();
        assert_eq!(tally.unstored_outcome(ImportMode::Strict), None);
        assert_eq!(tally.unstored_outcome(ImportMode::Partial), None);
        assert_eq!(
            tally.unstored_outcome(ImportMode::DryRun),
            Some(BatchOutcome::DryRun)
        );
        assert!(tally.admit(LogKind::Inspections, invalid(2)).is_none());
        assert_eq!((tally.rows, tally.rejected), (1, 1));
        assert_eq!(tally.problems[0].message, "the row could not be read");
        assert_eq!(
            tally.unstored_outcome(ImportMode::Strict),
            Some(BatchOutcome::Refused)
        );
        assert_eq!(tally.unstored_outcome(ImportMode::Partial), None);
        tally.inserted = 3;
        assert_eq!(tally.inserted_unstored(BatchOutcome::Refused), 0);
        assert_eq!(tally.inserted_unstored(BatchOutcome::DryRun), 3);
    }

    #[test]
    fn a_skipped_row_is_a_duplicate_or_rejected() {
        let mut tally = BatchTally::default();
        tally.judge(None);
        tally.judge(Some(Problem::new(4, None, None, "conflicts")));
        assert_eq!((tally.duplicates, tally.rejected), (1, 1));
        assert_eq!(tally.problems.len(), 1);
    }
}
