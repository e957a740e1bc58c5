//! What a chunk of inspections plans and stores, worked out in memory while its
//! transaction runs: the latest valid row of each instrument it names (the due
//! inspection an instrument it creates starts with), and the tallies it adds
//! ([`Pending`]) with the due inspection of each instrument it created, all of whose
//! records are among its rows.

use std::collections::HashSet;
use std::hash::Hash;

use chrono::NaiveDate;

use crate::rules::columns::InspectionRow;
use crate::sql::{FastMap, Pending};

/// The due inspection of an instrument an import created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Due {
    pub inspection: i64,
    pub inspected_on: NaiveDate,
    pub valid_until: NaiveDate,
}

/// The latest valid row of each instrument `rows` name, by what `instrument` makes of a
/// row and its place (rows it gives `None` are left out), given each row's id if stored
/// (`ids`): by date, then id, as the due list orders an instrument's records.
pub(crate) fn latest_valid<'r, K: Eq + Hash>(
    rows: &'r [InspectionRow<'_>],
    ids: &[Option<i64>],
    instrument: impl Fn(usize, &'r InspectionRow<'_>) -> Option<K>,
) -> FastMap<K, Due> {
    let mut latest: FastMap<K, Due> = FastMap::default();
    for (k, (row, id)) in rows.iter().zip(ids).enumerate() {
        let (Some(id), Some(valid_until)) = (*id, row.record.valid_until) else {
            continue;
        };
        let Some(instrument) = instrument(k, row) else {
            continue;
        };
        let date = row.record.date;
        let due = Due {
            inspection: id,
            inspected_on: date,
            valid_until,
        };
        latest
            .entry(instrument)
            .and_modify(|d| {
                if (d.inspected_on, d.inspection) < (date, id) {
                    *d = due;
                }
            })
            .or_insert(due);
    }
    latest
}

/// Each row's instrument, by id, and which of them the chunk created: those above
/// `created_above`, the greatest id before it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Instruments<'a> {
    pub ids: &'a [i64],
    pub created_above: i64,
}

impl Instruments<'_> {
    /// The instrument of row `k`, if the chunk created it.
    fn created(&self, k: usize) -> Option<i64> {
        let id = self.ids[k];
        (id > self.created_above).then_some(id)
    }
}

/// The due inspection of each instrument the chunk created that has one, by
/// instrument, given each row's id if stored (`stored`): its [`latest_valid`] row. All
/// of their records are among the chunk's rows.
pub(crate) fn dues(
    rows: &[InspectionRow<'_>],
    stored: &[Option<i64>],
    instruments: Instruments<'_>,
) -> FastMap<i64, Due> {
    latest_valid(rows, stored, |k, _| instruments.created(k))
}

/// Counts a chunk's stored inspections (`stored`: each row's id, if stored) into
/// `pending`, with the live days of the instruments the chunk created and the days
/// they are due: the [`dues`] of what was stored.
pub(crate) fn count_chunk(
    pending: &mut Pending,
    rows: &[InspectionRow<'_>],
    stored: &[Option<i64>],
    instruments: Instruments<'_>,
) -> FastMap<i64, Due> {
    let mut created: FastMap<i64, (&str, Vec<NaiveDate>)> = FastMap::default();
    for (k, (row, id)) in rows.iter().zip(stored).enumerate() {
        if id.is_none() {
            continue;
        }
        let (category, date) = (row.key.category.as_str(), row.record.date);
        pending.inspection(category, date);
        if let Some(instrument) = instruments.created(k) {
            let entry = created
                .entry(instrument)
                .or_insert_with(|| (category, Vec::new()));
            entry.1.push(date);
        }
    }
    for (category, mut days) in created.into_values() {
        pending.first_days(category, &mut days);
    }
    let dues = dues(rows, stored, instruments);
    for due in dues.values() {
        pending.due_on(due.valid_until);
    }
    dues
}

/// Whether two of `rows` would hold one place of a uniqueness rule among live records:
/// the same instrument, kind and day (the natural key), or the same certificate or stamp
/// number. A chunk without such rows can be stored by a plain insert once its rows are
/// checked against the stored records; a chunk with them needs `on conflict do nothing`,
/// which keeps the first and leaves the others to be judged.
pub(crate) fn repeats_within(rows: &[InspectionRow<'_>]) -> bool {
    let mut natural = HashSet::with_capacity(rows.len());
    let mut numbers: HashSet<(bool, &str)> = HashSet::with_capacity(rows.len());
    rows.iter().any(|row| {
        let r = row.record;
        !natural.insert((row.key, r.kind, r.date))
            || r.certificate_no
                .as_deref()
                .is_some_and(|n| !numbers.insert((true, n)))
            || r.stamp_no
                .as_deref()
                .is_some_and(|n| !numbers.insert((false, n)))
    })
}

/// The first of `rows` to name each of `keys` (the one that describes it).
pub(crate) fn firsts<'a, K: Eq + Hash, T>(rows: &'a [T], keys: &'a [K]) -> Vec<&'a T> {
    let mut seen: HashSet<&K> = HashSet::with_capacity(keys.len());
    rows.iter()
        .zip(keys)
        .filter(|(_, key)| seen.insert(*key))
        .map(|(row, _)| row)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use metrotrack_core::{
        CategoryCode, InspectionKind, InstrumentKey, NewInspection, Outcome, SerialNumber,
        VerificationType,
    };

    /// An inspection of the DHN meter `serial` on 2026-11-`day`, with no manufacturer.
    pub(crate) fn inspection(
        serial: &str,
        day: u32,
        certificate: &str,
        stamp: &str,
    ) -> NewInspection {
        NewInspection {
            date: NaiveDate::from_ymd_opt(2026, 11, day).expect("date"),
            category: CategoryCode::parse("DHN").expect("code"),
            serial: SerialNumber::parse(serial).expect("serial"),
            model: None,
            manufacturer: None,
            owner: None,
            kind: InspectionKind::Verification,
            verification_type: Some(VerificationType::Periodic),
            procedure: None,
            result: Some(Outcome::Pass),
            error_percent: None,
            certificate_no: Some(certificate.into()),
            stamp_no: Some(stamp.into()),
            valid_until: None,
            technician: "An".into(),
            checked_by: None,
            notes: None,
        }
    }

    fn repeats(records: &[NewInspection]) -> bool {
        let keys: Vec<InstrumentKey> = records
            .iter()
            .map(|r| InstrumentKey::new(&r.category, r.manufacturer.as_deref(), &r.serial))
            .collect();
        let rows: Vec<InspectionRow<'_>> = records
            .iter()
            .zip(&keys)
            .enumerate()
            .map(|(line, (record, key))| InspectionRow {
                line: line as i64 + 2,
                key,
                record,
                original: None,
            })
            .collect();
        repeats_within(&rows)
    }

    #[test]
    fn rows_repeat_within_a_chunk_by_natural_key_certificate_or_stamp() {
        let a = inspection("A1", 2, "GCN-1", "T-1");
        assert!(!repeats(&[a.clone(), inspection("A1", 3, "GCN-2", "T-2")]));
        assert!(!repeats(&[a.clone(), inspection("A2", 2, "GCN-2", "T-2")]));
        // A certificate number and a stamp number are different rules.
        assert!(!repeats(&[a.clone(), inspection("A2", 2, "T-1", "GCN-1")]));
        let mut calibration = inspection("A1", 2, "GCN-2", "T-2");
        calibration.kind = InspectionKind::Calibration;
        assert!(!repeats(&[a.clone(), calibration]));
        // Rows without numbers do not repeat each other's absence.
        let mut bare = [inspection("A1", 2, "", ""), inspection("A2", 2, "", "")];
        for r in &mut bare {
            r.certificate_no = None;
            r.stamp_no = None;
        }
        assert!(!repeats(&bare));

        assert!(repeats(&[a.clone(), inspection("A1", 2, "GCN-2", "T-2")]));
        assert!(repeats(&[a.clone(), inspection("A2", 3, "GCN-1", "T-2")]));
        assert!(repeats(&[a.clone(), inspection("A2", 3, "GCN-2", "T-1")]));
        assert!(repeats(&[
            a,
            inspection("B1", 3, "GCN-2", "T-2"),
            inspection("B2", 4, "GCN-3", "T-2"),
        ]));
    }
}
