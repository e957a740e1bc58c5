//! Whether the database agrees with itself (`metrotrack verify`): the database's own
//! integrity and references, every batch's count against its records, the kept figures
//! (tallies) and due dates against what the records say, the due counts per day against
//! the instruments, the audit log's continuity, and each kept file against its batch's
//! SHA-256 (`files.rs`). Each check but the last is one query naming its first
//! differences in words; none writes.

use super::{Backend, SqlStore, fetch_all};
use crate::{Difference, StoreError};

/// At most this many differences are named per check.
pub(super) const FIRST: i64 = 20;

/// The kept tallies summed per key (PostgreSQL keeps unfolded changes apart), zero rows
/// left out.
fn kept_tallies<DB: Backend>() -> String {
    format!(
        "select lab_id, seg, category_code, prev_seg,
                sum(instrument_days) as days, sum(inspections) as n
         from {} group by lab_id, seg, category_code, prev_seg
         having sum(instrument_days) <> 0 or sum(inspections) <> 0",
        DB::TALLIES
    )
}

/// A half-month number as words: `2023-10 (15th-end)`.
fn half_month(seg: &str) -> String {
    format!(
        "cast({seg} / 24 as text) || '-' || case when ({seg} % 24) / 2 + 1 < 10 then '0' else '' end
         || cast(({seg} % 24) / 2 + 1 as text)
         || case when {seg} % 2 = 0 then ' (1st-14th)' else ' (15th-end)' end"
    )
}

impl<DB: Backend> SqlStore<DB> {
    /// Every check, in order; see [`crate::Store::verify`].
    pub(crate) async fn check_everything(&self) -> Result<Vec<Difference>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let mut found = Vec::new();
        // Each batch's records: how many, and their first and last id.
        let named = "select batch_id, count(*) as stored, min(id) as first, max(id) as last
                     from (select batch_id, id from inspections where batch_id is not null
                           union all
                           select batch_id, id from earthing_tests where batch_id is not null) r
                     group by batch_id";
        let batches = format!(
            "select 'batch ' || cast(b.id as text) || ' of lab ' || cast(b.lab_id as text)
                    || ' counts ' || cast(b.inserted as text) || ' records stored; '
                    || cast(coalesce(n.stored, 0) as text) || ' records name it'
             from import_batches b
             left join ({named}) n on n.batch_id = b.id
             where b.mode <> 'dry_run' and b.inserted <> coalesce(n.stored, 0)
             order by b.id limit {FIRST}"
        );
        // Voids, restores and the records' batch filter read a batch's records in its
        // range (migration 0015): a record outside it would be left out of them.
        let batch_ranges = format!(
            "select 'batch ' || cast(b.id as text) || ' of lab ' || cast(b.lab_id as text)
                    || ' keeps its records as ids '
                    || coalesce(cast(b.first_record_id as text), 'none') || ' to '
                    || coalesce(cast(b.last_record_id as text), 'none') || '; they are '
                    || cast(n.first as text) || ' to ' || cast(n.last as text)
             from import_batches b
             join ({named}) n on n.batch_id = b.id
             where b.first_record_id is null or b.last_record_id is null
                or n.first < b.first_record_id or n.last > b.last_record_id
             order by b.id limit {FIRST}"
        );
        let tallies = format!(
            "with kept as ({kept}), recomputed as ({recomputed})
             select 'lab ' || cast(coalesce(k.lab_id, r.lab_id) as text) || ', category '
                    || coalesce(k.category_code, r.category_code) || ', '
                    || {seg} || ' after ' || {prev} || ': the kept figures count '
                    || cast(coalesce(k.days, 0) as text) || ' instrument-days and '
                    || cast(coalesce(k.n, 0) as text) || ' inspections; the records, '
                    || cast(coalesce(r.days, 0) as text) || ' and '
                    || cast(coalesce(r.n, 0) as text)
             from kept k full outer join recomputed r
               on r.lab_id = k.lab_id and r.seg = k.seg and r.category_code = k.category_code
              and r.prev_seg = k.prev_seg
             where coalesce(k.days, 0) <> coalesce(r.days, 0) or coalesce(k.n, 0) <> coalesce(r.n, 0)
             order by 1 limit {FIRST}",
            kept = kept_tallies::<DB>(),
            recomputed = DB::RECOMPUTED_TALLIES,
            seg = half_month("coalesce(k.seg, r.seg)"),
            prev = half_month("coalesce(k.prev_seg, r.prev_seg)"),
        );
        let due = format!(
            "select 'instrument ' || i.serial_number || ' (id ' || cast(i.id as text) || ', lab '
                    || cast(i.lab_id as text) || ') is kept as due '
                    || coalesce(cast(i.due_on as text), 'never') || '; its records say '
                    || coalesce(cast(e.valid_until as text), 'never')
             from instruments i
             left join inspections e on e.id = (
                 select s.id from inspections s
                 where s.lab_id = i.lab_id and s.instrument_id = i.id
                   and s.voided_at is null and s.valid_until is not null
                 order by s.inspected_on desc, s.id desc limit 1)
             where i.due_inspection_id is distinct from e.id
                or i.due_on is distinct from e.valid_until
             order by i.lab_id, i.id limit {FIRST}"
        );
        let due_days = format!(
            "with kept as (select lab_id, due_on, cast(sum(instruments) as bigint) as n
                           from {kept} group by lab_id, due_on having sum(instruments) <> 0),
             counted as (select lab_id, due_on, count(*) as n from instruments
                         where due_on is not null group by lab_id, due_on)
             select 'lab ' || cast(coalesce(k.lab_id, c.lab_id) as text) || ', due '
                    || cast(coalesce(k.due_on, c.due_on) as text) || ': the kept count says '
                    || cast(coalesce(k.n, 0) as text) || ' instruments; the instruments, '
                    || cast(coalesce(c.n, 0) as text)
             from kept k full outer join counted c on c.lab_id = k.lab_id and c.due_on = k.due_on
             where coalesce(k.n, 0) <> coalesce(c.n, 0)
             order by 1 limit {FIRST}",
            kept = DB::DUE_DAYS
        );
        let audit_order = format!(
            "select 'audit log of lab ' || cast(lab_id as text) || ': entry ' || cast(id as text)
                    || ' is dated ' || cast(at as text) || ', before the entry ahead of it ('
                    || cast(prev as text) || ')'
             from (select lab_id, id, at, lag(at) over (partition by lab_id order by id) as prev
                   from audit_log) a
             where at < prev
             order by lab_id, id limit {FIRST}"
        );
        let audit_batches = format!(
            "select 'batch ' || cast(b.id as text) || ' of lab ' || cast(b.lab_id as text)
                    || ' has no ' || w.action || ' entry in the audit log'
             from import_batches b
             join (select 'import' as action union all select 'import.void') w
               on w.action = 'import' or b.voided_at is not null
             where b.mode <> 'dry_run'
               and not exists (select 1 from audit_log a
                               where a.lab_id = b.lab_id and a.action = w.action
                                 and a.subject = 'import_batch:' || cast(b.id as text))
             order by b.id limit {FIRST}"
        );
        let mut checks: Vec<(&'static str, String)> = DB::INTEGRITY_CHECKS
            .iter()
            .map(|sql| ("integrity", (*sql).to_owned()))
            .collect();
        checks.extend([
            ("batch counts", batches),
            ("batch ranges", batch_ranges),
            ("figures", tallies),
            ("due dates", due),
            ("due counts", due_days),
            ("audit log", audit_order),
            ("audit log", audit_batches),
        ]);
        for (check, sql) in checks {
            let rows: Vec<(String,)> =
                fetch_all(&mut c, sqlx::query(sqlx::AssertSqlSafe(sql))).await?;
            found.extend(
                rows.into_iter()
                    .map(|(detail,)| Difference { check, detail }),
            );
        }
        found.extend(self.check_kept_files().await?);
        Ok(found)
    }
}

impl<DB: Backend> SqlStore<DB> {
    /// See [`crate::Store::is_empty`].
    pub(crate) async fn nothing_written(&self) -> Result<bool, StoreError> {
        let mut c = self.pool.acquire().await?;
        let (written,): (i64,) = super::fetch_one(
            &mut c,
            sqlx::query(
                "select cast((select count(*) from import_batches)
                    + (select count(*) from inspections) + (select count(*) from earthing_tests)
                    + (select count(*) from users) + (select count(*) from api_tokens)
                    + (select count(*) from audit_log) as bigint)",
            ),
        )
        .await?;
        Ok(written == 0)
    }
}
