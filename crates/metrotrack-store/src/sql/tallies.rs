//! Inspection tallies counted in memory by an import ([`Pending`]) and added to the
//! tallies once, before the import commits: the inspections it stores and the live days
//! of the instruments it creates (all their days are its rows). Each backend's import
//! counts those rows here; the days of instruments stored before, which need their
//! history, are counted by SQL (SQLite's `tallies::stored`, PostgreSQL's trigger).
//! Both also count here the instruments they create due, by due day (migration 0014).

use chrono::NaiveDate;
use metrotrack_core::LabId;
use sqlx::Transaction;

use super::{Arg, Backend, FastMap, execute};
use crate::StoreError;
use crate::figures::half_month;

/// Tally changes counted in memory by an import: by category, then by `(seg,
/// prev_seg)`, the instrument-days and the inspections to add. Categories are few and
/// found by a scan, so counting a row allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    by_category: Vec<(String, BySeg)>,
    /// Instruments the import created due, by due day (migration 0014).
    due_days: FastMap<NaiveDate, i64>,
}

/// One category's changes: by `(seg, prev_seg)`, the instrument-days and inspections.
type BySeg = FastMap<(i64, i64), (i64, i64)>;

impl Pending {
    fn add(&mut self, seg: i64, category: &str, prev_seg: i64, days: i64, inspections: i64) {
        let at = match self.by_category.iter().position(|(c, _)| c == category) {
            Some(at) => at,
            None => {
                self.by_category
                    .push((category.to_owned(), BySeg::default()));
                self.by_category.len() - 1
            }
        };
        let entry = self.by_category[at].1.entry((seg, prev_seg)).or_default();
        entry.0 += days;
        entry.1 += inspections;
    }

    /// Every change counted: `(seg, category, prev_seg)` and what to add.
    fn changes(self) -> impl Iterator<Item = ((i64, String, i64), (i64, i64))> {
        self.by_category.into_iter().flat_map(|(category, by_seg)| {
            by_seg
                .into_iter()
                .map(move |((seg, prev_seg), add)| ((seg, category.clone(), prev_seg), add))
        })
    }

    /// Counts a stored live inspection of `category` on `date`.
    pub fn inspection(&mut self, category: &str, date: NaiveDate) {
        let seg = half_month(date);
        self.add(seg, category, seg - 24, 0, 1);
    }

    /// Counts the live days of an instrument of `category` that had none before:
    /// `days`, in any order, a day as often as it has records.
    pub fn first_days(&mut self, category: &str, days: &mut [NaiveDate]) {
        days.sort_unstable();
        let mut previous: Option<(NaiveDate, i64)> = None;
        for &day in days.iter() {
            if previous.is_some_and(|(d, _)| d == day) {
                continue;
            }
            let seg = half_month(day);
            let prev_seg = match previous {
                Some((_, p)) if p >= seg - 24 => p,
                _ => seg - 24,
            };
            self.add(seg, category, prev_seg, 1, 0);
            previous = Some((day, seg));
        }
    }

    /// Counts an instrument the import created due on `day`, for the due counts.
    pub fn due_on(&mut self, day: NaiveDate) {
        *self.due_days.entry(day).or_default() += 1;
    }

    /// Adds the changes counted to `lab`'s tallies, and the instruments created due to
    /// its due days.
    pub async fn apply<DB: Backend>(
        mut self,
        tx: &mut Transaction<'static, DB>,
        lab: LabId,
    ) -> Result<(), StoreError> {
        for (day, instruments) in std::mem::take(&mut self.due_days) {
            execute(
                tx,
                sqlx::query(
                    "insert into instrument_due_days (lab_id, due_on, instruments)
                     values ($1, $2, $3)
                     on conflict (lab_id, due_on)
                     do update set instruments = instrument_due_days.instruments
                         + excluded.instruments",
                )
                .arg(lab)
                .arg(day)
                .arg(instruments),
            )
            .await?;
        }
        for ((seg, category, prev_seg), (days, inspections)) in self.changes() {
            execute(
                tx,
                sqlx::query(
                    "insert into inspection_tallies
                         (lab_id, seg, category_code, prev_seg, instrument_days, inspections)
                     values ($1, $2, $3, $4, $5, $6)
                     on conflict (lab_id, seg, category_code, prev_seg)
                     do update set
                         instrument_days = inspection_tallies.instrument_days
                             + excluded.instrument_days,
                         inspections = inspection_tallies.inspections + excluded.inspections",
                )
                .arg(lab)
                .arg(seg)
                .arg(category)
                .arg(prev_seg)
                .arg(days)
                .arg(inspections),
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn first_days_chain_each_day_to_the_previous_within_a_year() {
        let mut pending = Pending::default();
        // Out of order, a day twice (two records), a gap of more than a year.
        let mut days = [
            d("2023-10-20"),
            d("2021-01-05"),
            d("2023-10-02"),
            d("2023-10-20"),
        ];
        pending.first_days("CT1P", &mut days);
        let (s21, s_oct1, s_oct2) = (
            half_month(d("2021-01-05")),
            half_month(d("2023-10-02")),
            half_month(d("2023-10-20")),
        );
        let mut got: Vec<_> = pending.changes().collect();
        got.sort();
        let mut want = vec![
            ((s21, "CT1P".to_owned(), s21 - 24), (1, 0)),
            ((s_oct1, "CT1P".to_owned(), s_oct1 - 24), (1, 0)),
            ((s_oct2, "CT1P".to_owned(), s_oct1), (1, 0)),
        ];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn inspections_count_in_their_half_month() {
        let mut pending = Pending::default();
        pending.inspection("DHN", d("2023-10-14"));
        pending.inspection("DHN", d("2023-10-01"));
        pending.inspection("DHN", d("2023-10-15"));
        let seg = half_month(d("2023-10-01"));
        let changes: std::collections::HashMap<_, _> = pending.changes().collect();
        assert_eq!(changes[&(seg, "DHN".to_owned(), seg - 24)], (0, 2));
        assert_eq!(changes[&(seg + 1, "DHN".to_owned(), seg - 23)], (0, 1));
    }
}
