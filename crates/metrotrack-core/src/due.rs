//! The due list: instruments whose latest valid inspection expires soon, or has expired.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::category::CategoryCode;

/// One instrument on the due list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueEntry {
    pub instrument_id: i64,
    pub category: CategoryCode,
    pub serial_number: String,
    pub manufacturer: Option<String>,
    pub owner: Option<String>,
    pub last_inspected_on: NaiveDate,
    pub valid_until: NaiveDate,
    /// Days from the as-of date to valid-until; negative when overdue.
    pub days_left: i64,
    pub overdue: bool,
}

impl DueEntry {
    /// Fills the days left and the overdue flag as of `as_of`.
    pub fn days_left(valid_until: NaiveDate, as_of: NaiveDate) -> (i64, bool) {
        let days = (valid_until - as_of).num_days();
        (days, valid_until < as_of)
    }
}

/// How many instruments the due list holds as of a date: already overdue, and due within
/// the window but not yet overdue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueCounts {
    pub overdue: u64,
    pub due_soon: u64,
}

impl DueCounts {
    /// Every instrument on the list.
    pub fn total(&self) -> u64 {
        self.overdue + self.due_soon
    }
}

/// Where a page of the due list ends: the due order's key (valid-until, serial number,
/// instrument id) of the last entry shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAfter {
    pub valid_until: NaiveDate,
    pub serial_number: String,
    pub instrument_id: i64,
}

impl From<&DueEntry> for DueAfter {
    fn from(e: &DueEntry) -> Self {
        Self {
            valid_until: e.valid_until,
            serial_number: e.serial_number.clone(),
            instrument_id: e.instrument_id,
        }
    }
}
