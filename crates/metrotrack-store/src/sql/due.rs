//! The due list and its counts: instruments whose latest valid inspection expires within
//! a horizon, read from what each instrument carries (migration 0005) and from the
//! instruments due per day (0014).

use chrono::{Days, NaiveDate};
use metrotrack_core::{DueAfter, DueCounts, DueEntry, LabId};

use super::rows::DueRow;
use super::{Arg, Backend, SqlStore, fetch_all, fetch_one, u64_of};
use crate::StoreError;

impl<DB: Backend> SqlStore<DB> {
    /// A page of the due list: see [`crate::Store::due_list`].
    pub(super) async fn read_due_list(
        &self,
        lab: LabId,
        within_days: u32,
        as_of: NaiveDate,
        after: Option<&DueAfter>,
        limit: u32,
    ) -> Result<Vec<DueEntry>, StoreError> {
        let horizon = horizon(as_of, within_days);
        // Each instrument carries its latest valid inspection (kept by triggers, see
        // migration 0005): a newer failed inspection, which has no valid-until, does not
        // hide an instrument whose validity has not been renewed.
        let serial = format!("serial_number{}", DB::BYTE_ORDER);
        let (after_clause, limit_param) = match after {
            Some(_) => (format!(" and (due_on, {serial}, id) > ($3, $4, $5)"), "$6"),
            None => (String::new(), "$3"),
        };
        let sql = format!(
            "select id as instrument_id, category_code, serial_number, manufacturer, owner,
                    due_inspected_on as inspected_on, due_on as valid_until
             from instruments
             where lab_id = $1 and due_on is not null and due_on <= $2{after_clause}
             order by due_on, {serial}, id limit {limit_param}"
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(horizon);
        let query = match after {
            Some(a) => query
                .arg(a.valid_until)
                .arg(a.serial_number.as_str())
                .arg(a.instrument_id),
            None => query,
        };
        let mut c = self.pool.acquire().await?;
        let rows: Vec<DueRow> = fetch_all(&mut c, query.arg(i64::from(limit))).await?;
        rows.into_iter().map(|r| r.entry(as_of)).collect()
    }

    /// The due list's counts: see [`crate::Store::due_counts`].
    pub(super) async fn read_due_counts(
        &self,
        lab: LabId,
        within_days: u32,
        as_of: NaiveDate,
    ) -> Result<DueCounts, StoreError> {
        let horizon = horizon(as_of, within_days);
        // Summed from the instruments due per day (migration 0014): a few thousand days
        // at most, however many instruments are due.
        let sql = format!(
            "select cast(coalesce(sum(case when due_on < $2 then instruments end), 0) as bigint),
                    cast(coalesce(sum(instruments), 0) as bigint)
             from {} where lab_id = $1 and due_on <= $3",
            DB::DUE_DAYS
        );
        let mut c = self.pool.acquire().await?;
        let (overdue, total): (i64, i64) = fetch_one(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(lab)
                .arg(as_of)
                .arg(horizon),
        )
        .await?;
        Ok(DueCounts {
            overdue: u64_of(overdue),
            due_soon: u64_of(total - overdue),
        })
    }
}

/// The last day of a window of `within_days` from `as_of` (the latest date there is, if
/// it runs past it).
fn horizon(as_of: NaiveDate, within_days: u32) -> NaiveDate {
    as_of
        .checked_add_days(Days::new(u64::from(within_days)))
        .unwrap_or(NaiveDate::MAX)
}
