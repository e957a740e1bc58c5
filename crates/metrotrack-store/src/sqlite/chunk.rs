//! What a chunk of inspections stored, counted in memory while its transaction runs:
//! the tallies it adds ([`Pending`]) and the due inspection of each instrument it
//! created, all of whose records are among its rows.

use chrono::NaiveDate;
use metrotrack_core::InstrumentKey;

use crate::rules::columns::InspectionRow;
use crate::sql::{FastMap, Pending};

/// The due inspection of an instrument an import created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Due {
    pub inspection: i64,
    pub inspected_on: NaiveDate,
    pub valid_until: NaiveDate,
}

/// The due inspection of each instrument the chunk created (`fresh`: their ids by key)
/// that has one, by instrument, given each row's id if stored (`stored`): its latest
/// valid record, by date then id. All of their records are among the chunk's rows.
pub(super) fn dues(
    rows: &[InspectionRow<'_>],
    stored: &[Option<i64>],
    fresh: &FastMap<&InstrumentKey, i64>,
) -> FastMap<i64, Due> {
    let mut dues: FastMap<i64, Due> = FastMap::default();
    for (row, id) in rows.iter().zip(stored) {
        let (Some(id), Some(valid_until)) = (*id, row.record.valid_until) else {
            continue;
        };
        let Some(&instrument) = fresh.get(row.key) else {
            continue;
        };
        let date = row.record.date;
        let due = Due {
            inspection: id,
            inspected_on: date,
            valid_until,
        };
        dues.entry(instrument)
            .and_modify(|d| {
                if (d.inspected_on, d.inspection) < (date, id) {
                    *d = due;
                }
            })
            .or_insert(due);
    }
    dues
}

/// Counts a chunk's stored inspections (`stored`: each row's id, if stored) into
/// `pending`, with the live days of the instruments the chunk created (`fresh`: their
/// ids by key) and the days they are due: the [`dues`] of what was stored.
pub(super) fn count_chunk(
    pending: &mut Pending,
    rows: &[InspectionRow<'_>],
    stored: &[Option<i64>],
    fresh: &FastMap<&InstrumentKey, i64>,
) -> FastMap<i64, Due> {
    let mut created: FastMap<i64, (&str, Vec<NaiveDate>)> = FastMap::default();
    for (row, id) in rows.iter().zip(stored) {
        if id.is_none() {
            continue;
        }
        let (category, date) = (row.key.category.as_str(), row.record.date);
        pending.inspection(category, date);
        if let Some(&instrument) = fresh.get(row.key) {
            let entry = created
                .entry(instrument)
                .or_insert_with(|| (category, Vec::new()));
            entry.1.push(date);
        }
    }
    for (category, mut days) in created.into_values() {
        pending.first_days(category, &mut days);
    }
    let dues = dues(rows, stored, fresh);
    for due in dues.values() {
        pending.due_on(due.valid_until);
    }
    dues
}
