//! Keeping the inspection tallies and each instrument's due date (migration 0005) as
//! records are stored, voided and made live again, in the writer's transaction.
//!
//! SQLite has only row-level triggers, and running the upkeep once per stored row cost
//! more than storing the row; so the store runs these set-based statements once per
//! chunk of stored rows and once per write that voids or restores records instead.
//!
//! For the instruments a change touches, the tallies change by what their live days
//! count for now minus what they counted for before: each day is counted in its
//! half-month against the half-month of the instrument's previous live day (see the
//! migration). Days the change does not touch count the same before and after and
//! cancel out.
//!
//! An import counts part of its change in memory ([`Pending`]) and adds it to the
//! tallies once, before it commits: every stored inspection, and the live days of the
//! instruments it created (all their days are its rows). Only the days of instruments
//! stored before go through [`stored`]'s statements, which must read their history.

use std::collections::HashMap;

use chrono::NaiveDate;
use metrotrack_core::LabId;
use sqlx::{Sqlite, Transaction};

use crate::StoreError;
use crate::figures::half_month;
use crate::sql::Flip;

/// Tally changes counted in memory by an import: by category, then by `(seg,
/// prev_seg)`, the instrument-days and the inspections to add. Categories are few and
/// found by a scan, so counting a row allocates nothing.
#[derive(Debug, Default)]
pub(super) struct Pending {
    by_category: Vec<(String, BySeg)>,
}

/// One category's changes: by `(seg, prev_seg)`, the instrument-days and inspections.
type BySeg = HashMap<(i64, i64), (i64, i64)>;

impl Pending {
    fn add(&mut self, seg: i64, category: &str, prev_seg: i64, days: i64, inspections: i64) {
        let at = match self.by_category.iter().position(|(c, _)| c == category) {
            Some(at) => at,
            None => {
                self.by_category.push((category.to_owned(), HashMap::new()));
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

    /// Adds the changes counted to `lab`'s tallies.
    pub async fn apply(
        self,
        tx: &mut Transaction<'static, Sqlite>,
        lab: LabId,
    ) -> Result<(), StoreError> {
        for ((seg, category, prev_seg), (days, inspections)) in self.changes() {
            sqlx::query(
                "insert into inspection_tallies
                     (lab_id, seg, category_code, prev_seg, instrument_days, inspections)
                 values (?, ?, ?, ?, ?, ?)
                 on conflict (lab_id, seg, category_code, prev_seg)
                 do update set instrument_days = instrument_days + excluded.instrument_days,
                               inspections = inspections + excluded.inspections",
            )
            .bind(lab)
            .bind(seg)
            .bind(category)
            .bind(prev_seg)
            .bind(days)
            .bind(inspections)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// The tallies' change, from `days` (an instrument's live days after, with `before`
/// telling whether each day was live before the change).
const TALLY_CHANGES: &str = "
    changes as (
        select category_code, seg, 1 as delta,
               lag(seg) over (partition by instrument_id order by inspected_on) as prev
        from days where after
        union all
        select category_code, seg, -1,
               lag(seg) over (partition by instrument_id order by inspected_on)
        from days where before
    )
    insert into inspection_tallies (lab_id, seg, category_code, prev_seg, instrument_days)
    select ?, seg, category_code,
           case when prev is null or prev < seg - 24 then seg - 24 else prev end as prev_seg,
           sum(delta)
    from changes where true
    group by seg, category_code, prev_seg
    having sum(delta) <> 0
    on conflict (lab_id, seg, category_code, prev_seg)
    do update set instrument_days = instrument_days + excluded.instrument_days";

/// Counts the live days of the instruments with an id up to `instruments_to` that
/// inspections stored since the one with id `after` belong to, and moves their due
/// dates (all of `lab`: the caller holds the write lock and stores one lab's chunk).
/// The inspections themselves, and instruments created since, are counted by
/// [`Pending`].
pub(super) async fn stored(
    tx: &mut Transaction<'static, Sqlite>,
    lab: LabId,
    after: i64,
    instruments_to: i64,
) -> Result<(), StoreError> {
    // `+instrument_id`: the chunk's rows are found by id (a range at the table's end);
    // an index on `instrument_id` would read every older instrument's history instead.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "with new as (
             select id, instrument_id from inspections where id > ? and +instrument_id <= ?
         ),
         days as (
             select o.instrument_id, o.category_code, o.half_month as seg, o.inspected_on,
                    1 as after, min(o.id in (select id from new)) = 0 as before
             from inspections o
             where o.lab_id = ? and o.voided_at is null
               and o.instrument_id in (select instrument_id from new)
             group by o.instrument_id, o.inspected_on
         ),
         {TALLY_CHANGES}"
    )))
    .bind(after)
    .bind(instruments_to)
    .bind(lab)
    .bind(lab)
    .execute(&mut **tx)
    .await?;
    // An instrument's due date: its latest valid inspection (by date, then id).
    sqlx::query(
        "update instruments
         set due_inspection_id = c.id, due_inspected_on = c.inspected_on, due_on = c.valid_until
         from (
             select instrument_id, id, inspected_on, valid_until,
                    row_number() over (
                        partition by instrument_id order by inspected_on desc, id desc
                    ) as rank
             from inspections
             where id > ? and +instrument_id <= ? and valid_until is not null
         ) c
         where c.rank = 1 and instruments.id = c.instrument_id
           and (instruments.due_inspected_on is null
                or instruments.due_inspected_on < c.inspected_on
                or (instruments.due_inspected_on = c.inspected_on
                    and instruments.due_inspection_id < c.id))",
    )
    .bind(after)
    .bind(instruments_to)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Before the inspections `flip` names are voided or made live again: notes them (with
/// how their count changes) in the connection's temporary table `changed_inspections`.
pub(super) async fn flipping(
    tx: &mut Transaction<'static, Sqlite>,
    lab: LabId,
    flip: Flip,
) -> Result<(), StoreError> {
    sqlx::query(
        "create temp table if not exists changed_inspections (
             id integer primary key,
             delta integer not null
         )",
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from temp.changed_inspections")
        .execute(&mut **tx)
        .await?;
    let sql = format!(
        "insert into temp.changed_inspections (id, delta)
         select id, {} from inspections where {}",
        flip.delta(),
        flip.condition()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(lab)
        .bind(flip.target())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// After the inspections noted by [`flipping`] were flipped: the tallies and the due
/// dates of their instruments follow.
pub(super) async fn flipped(
    tx: &mut Transaction<'static, Sqlite>,
    lab: LabId,
) -> Result<(), StoreError> {
    // A day was live before when it had more live records than the flip made live (or
    // had one the flip voided).
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "with touched as (
             select distinct o.instrument_id
             from inspections o join temp.changed_inspections c on c.id = o.id
         ),
         days as (
             select o.instrument_id, o.category_code, o.half_month as seg, o.inspected_on,
                    max(o.voided_at is null) as after,
                    sum(o.voided_at is null) - coalesce(sum(c.delta), 0) > 0 as before
             from inspections o left join temp.changed_inspections c on c.id = o.id
             where o.lab_id = ? and o.instrument_id in (select instrument_id from touched)
               and (o.voided_at is null or c.id is not null)
             group by o.instrument_id, o.inspected_on
         ),
         {TALLY_CHANGES}"
    )))
    .bind(lab)
    .bind(lab)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "insert into inspection_tallies (lab_id, seg, category_code, prev_seg, inspections)
         select ?, o.half_month, o.category_code, o.half_month - 24, sum(c.delta)
         from inspections o join temp.changed_inspections c on c.id = o.id
         where true
         group by o.half_month, o.category_code
         on conflict (lab_id, seg, category_code, prev_seg)
         do update set inspections = inspections + excluded.inspections",
    )
    .bind(lab)
    .execute(&mut **tx)
    .await?;
    // An instrument's due date: its latest valid live inspection (by date, then id).
    sqlx::query(
        "update instruments set (due_inspection_id, due_inspected_on, due_on) = (
             select s.id, s.inspected_on, s.valid_until from inspections s
             where s.lab_id = instruments.lab_id and s.instrument_id = instruments.id
               and s.voided_at is null and s.valid_until is not null
             order by s.inspected_on desc, s.id desc limit 1
         )
         where id in (
             select o.instrument_id
             from inspections o join temp.changed_inspections c on c.id = o.id
         )",
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from temp.changed_inspections")
        .execute(&mut **tx)
        .await?;
    Ok(())
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
        let changes: HashMap<_, _> = pending.changes().collect();
        assert_eq!(changes[&(seg, "DHN".to_owned(), seg - 24)], (0, 2));
        assert_eq!(changes[&(seg + 1, "DHN".to_owned(), seg - 23)], (0, 1));
    }
}
