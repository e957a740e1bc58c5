//! Import batches: what one uploaded log did, and every problem found in it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::message::{Msg, SheetPlace};
use crate::report::Lang;

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
/// writes it), what (the offending value, shortened) and why (a message of the
/// catalogue, with its code and arguments, rendered in the reader's language).
///
/// Stored and sent as `{line, column, value, message, code, args}`: `message` is the
/// English text, kept for readers from before codes; a problem stored before codes has
/// no `code` and reads as its stored message in any language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Physical line in the file; 0 for a problem of the whole file.
    pub line: u64,
    pub column: Option<String>,
    pub value: Option<String>,
    /// The English text (with the workbook place, when there is one).
    pub message: String,
    /// The message's code and arguments; `None` for a problem stored before codes.
    #[serde(flatten)]
    pub msg: Option<Msg>,
    /// Where in a workbook, for a problem in an `.xlsx` file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<SheetPlace>,
}

/// Longest value echoed back in a problem.
pub const PROBLEM_VALUE_MAX_CHARS: usize = 80;

impl Problem {
    pub fn new(line: u64, column: Option<&str>, value: Option<&str>, msg: Msg) -> Self {
        Self {
            line,
            column: column.map(str::to_owned),
            value: value.map(|v| crate::text::shorten(v, PROBLEM_VALUE_MAX_CHARS)),
            message: msg.render(Lang::En),
            msg: Some(msg),
            sheet: None,
        }
    }

    /// A problem with the whole file rather than one row.
    pub fn file(msg: Msg) -> Self {
        Self::new(0, None, None, msg)
    }

    /// The problem's message in `lang`: the stored text for a problem without a code.
    pub fn render(&self, lang: Lang) -> String {
        match &self.msg {
            Some(msg) => {
                let mut text = msg.render(lang);
                if let Some(place) = &self.sheet {
                    text.push_str(&place.suffix(lang));
                }
                text
            }
            None => self.message.clone(),
        }
    }

    /// The message's code, if it has one (not a problem stored before codes).
    pub fn code(&self) -> Option<&'static str> {
        self.msg.as_ref().map(Msg::code)
    }

    /// Places the problem in a workbook's sheet.
    pub fn locate(&mut self, place: SheetPlace) {
        self.sheet = Some(place);
        self.message = self.render(Lang::En);
    }
}

impl Problem {
    /// Where and what, in `lang`: `line 3, column "Ngày", value "31/02/2023": …`.
    pub fn describe(&self, lang: Lang) -> String {
        let (line, file, column, value) = match lang {
            Lang::Vi => ("dòng", "tệp", "cột", "giá trị"),
            Lang::En => ("line", "file", "column", "value"),
        };
        let mut out = if self.line > 0 {
            format!("{line} {}", self.line)
        } else {
            file.to_owned()
        };
        if let Some(c) = &self.column {
            out.push_str(&format!(", {column} {c:?}"));
        }
        if let Some(v) = &self.value {
            out.push_str(&format!(", {value} {v:?}"));
        }
        out.push_str(": ");
        out.push_str(&self.render(lang));
        out
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
    /// How the file's data lines are read back, when some of its rows' original
    /// observations are left to the kept file (see [`crate::kept`]).
    pub layout: Option<crate::kept::FileLayout>,
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
                    let msg = Msg::RowUnreadable {};
                    self.problems.push(Problem::new(line, None, None, msg));
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
                let msg = Msg::InspectionInEarthingLog {};
                self.reject(Problem::new(s.line, None, None, msg));
                None
            }
            ParsedRow::Earthing(s) => {
                let msg = Msg::EarthingInInspectionsLog {};
                self.reject(Problem::new(s.line, None, None, msg));
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
        tally.judge(Some(Problem::new(4, None, None, Msg::InspectionClash {})));
        assert_eq!((tally.duplicates, tally.rejected), (1, 1));
        assert_eq!(tally.problems.len(), 1);
    }
}

#[cfg(test)]
mod stored_tests {
    use super::*;

    #[test]
    fn a_problem_keeps_its_code_and_arguments_and_an_old_one_its_message() {
        let msg = Msg::DateImpossible {
            written: "31/02/2023".into(),
            month: 2,
            year: 2023,
            days: 28,
            year_first: false,
        };
        let problem = Problem::new(3, Some("Ngày KĐ"), Some("31/02/2023"), msg);
        let json = serde_json::to_value(&problem).expect("serialises");
        assert_eq!(json["code"], "date.impossible");
        assert_eq!(json["args"]["month"], 2);
        assert_eq!(
            json["message"],
            "31/02/2023 is not a date: February 2023 has 28 days; dates are read day-first (dd/mm/yyyy)"
        );
        let back: Problem = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, problem);
        assert!(
            back.render(Lang::Vi)
                .starts_with("31/02/2023 không phải là ngày hợp lệ")
        );

        // Stored before codes, or with a code this version does not know: the message.
        for old in [
            serde_json::json!({"line": 4, "column": null, "value": null, "message": "old text"}),
            serde_json::json!({"line": 4, "column": null, "value": null, "message": "old text",
                "code": "from.the_future", "args": {"x": 1}}),
        ] {
            let old: Problem = serde_json::from_value(old).expect("an old problem reads");
            assert_eq!(old.code(), None);
            assert_eq!(old.render(Lang::Vi), "old text");
            assert_eq!(old.render(Lang::En), "old text");
        }
    }

    #[test]
    fn a_workbook_problem_names_its_sheet_and_cell_in_either_language() {
        let mut problem = Problem::new(5, Some("Kết quả"), None, Msg::ResultRequired {});
        problem.locate(SheetPlace {
            sheet: "Sổ".into(),
            cell: Some("J5".into()),
            row: None,
        });
        assert!(
            problem.message.ends_with(" (sheet \"Sổ\", cell J5)"),
            "{}",
            problem.message
        );
        assert!(
            problem
                .render(Lang::Vi)
                .ends_with(" (trang tính \"Sổ\", ô J5)")
        );
        let json = serde_json::to_string(&problem).expect("serialises");
        let back: Problem = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, problem);
    }
}
