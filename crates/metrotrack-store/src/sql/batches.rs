//! Writes beside the import: seeding labs, voiding a batch, setting a plan; and the
//! counts the figures are made of.

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::category::seed_categories;
use metrotrack_core::{CategoryCode, ImportBatch, LabId, Metric, PeriodSpec, PlanTarget};

use sqlx::Transaction;

use super::rows::ClashRow;
use super::{
    Arg, Backend, Flip, SqlStore, execute, fetch_all, fetch_one, fetch_optional, i64_of, u64_of,
};
use crate::figures::{Actuals, CountRecords, half_months};
use crate::{Store, StoreError};

/// Why a plan target cannot be stored, if it cannot. `PlanTarget::new` guards these; a
/// target built by hand must not get past them.
fn check_plan(target: &PlanTarget) -> Result<(), StoreError> {
    if target.category.is_some() && !target.metric.takes_category() {
        return Err(StoreError::Invalid(format!(
            "{} cannot be narrowed to a category",
            target.metric
        )));
    }
    if target.target == 0 {
        return Err(StoreError::Invalid("a target is at least 1".into()));
    }
    Ok(())
}

/// The records of voided batch `$2` of lab `$1` that its restore would make live, whose
/// natural key, certificate or stamp number a live record holds now.
fn restore_clashes() -> String {
    let restored = Flip::RestoreBatch(0).condition();
    format!(
        "with ri as (
             select id, lab_id, instrument_id, kind, inspected_on, certificate_no, stamp_no,
                    source_line
             from inspections where {restored}
         ),
         rt as (
             select id, lab_id, point_id, tested_on, source_line
             from earthing_tests where {restored}
         )
         select cast('inspection' as text) as kind, r.id, r.source_line as line,
                cast('instrument, kind and date' as text) as what,
                o.id as holder, o.batch_id as holder_batch, o.source_line as holder_line
         from ri r join inspections o
           on o.lab_id = r.lab_id and o.instrument_id = r.instrument_id and o.kind = r.kind
          and o.inspected_on = r.inspected_on and o.voided_at is null
         union all
         select 'inspection', r.id, r.source_line, 'certificate number ' || r.certificate_no,
                o.id, o.batch_id, o.source_line
         from ri r join inspections o
           on o.lab_id = r.lab_id and o.certificate_no = r.certificate_no and o.voided_at is null
         union all
         select 'inspection', r.id, r.source_line, 'stamp number ' || r.stamp_no,
                o.id, o.batch_id, o.source_line
         from ri r join inspections o
           on o.lab_id = r.lab_id and o.stamp_no = r.stamp_no and o.voided_at is null
         union all
         select 'earthing test', r.id, r.source_line, 'point and date',
                o.id, o.batch_id, o.source_line
         from rt r join earthing_tests o
           on o.lab_id = r.lab_id and o.point_id = r.point_id and o.tested_on = r.tested_on
          and o.voided_at is null
         order by 3, 2, 4"
    )
}

/// Voids (`voided_at` set) or makes live again (`None`) the inspections and earthing
/// tests `flip` names, the figures following: how many of each it changed.
async fn flip_records<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    lab: LabId,
    flip: Flip,
    voided_at: Option<DateTime<Utc>>,
) -> Result<[u64; 2], StoreError> {
    DB::before_flip(tx, lab, flip).await?;
    let mut counts = [0; 2];
    for (table, count) in ["inspections", "earthing_tests"].iter().zip(&mut counts) {
        let sql = format!(
            "update {table} set voided_at = $3 where {}",
            flip.condition()
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(lab)
            .arg(flip.target())
            .arg(voided_at);
        *count = execute(tx, query).await?;
    }
    DB::after_flip(tx, lab).await?;
    Ok(counts)
}

impl<DB: Backend> SqlStore<DB> {
    /// Makes sure the default lab exists, and every lab has the seeded categories.
    pub(crate) async fn seed_labs(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        execute(
            &mut tx,
            sqlx::query(
                "insert into labs (code, name, created_at) values ('default', 'Default lab', $1)
                 on conflict (code) do nothing",
            )
            .arg(DB::now()),
        )
        .await?;
        let bare: Vec<(i64,)> = fetch_all(
            &mut tx,
            sqlx::query(
                "select id from labs l
                 where not exists (select 1 from categories c where c.lab_id = l.id)",
            ),
        )
        .await?;
        for (lab,) in bare {
            for category in seed_categories() {
                execute(
                    &mut tx,
                    sqlx::query(
                        "insert into categories (lab_id, code, name_vi, name_en, legal_group2)
                         values ($1, $2, $3, $4, $5) on conflict do nothing",
                    )
                    .arg(lab)
                    .arg(category.code.as_str())
                    .arg(category.name_vi.as_str())
                    .arg(category.name_en.as_str())
                    .arg(category.legal_group2),
                )
                .await?;
                for cycle in &category.cycles {
                    execute(
                        &mut tx,
                        sqlx::query(
                            "insert into category_cycles
                                 (lab_id, category_code, effective_from, months)
                             values ($1, $2, $3, cast($4 as integer)) on conflict do nothing",
                        )
                        .arg(lab)
                        .arg(category.code.as_str())
                        .arg(cycle.effective_from)
                        .arg(i64::from(cycle.months)),
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Voids a batch: see [`crate::Store::void_batch`].
    pub(crate) async fn void(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
        reason: &str,
    ) -> Result<ImportBatch, StoreError> {
        let mut tx = self.begin_write().await?;
        DB::lock_lab_writes(&mut tx, lab).await?;
        // On PostgreSQL `for update`: two supervisors voiding at once void it once.
        let sql = format!(
            "select voided_at from import_batches where lab_id = $1 and id = $2{}",
            DB::FOR_UPDATE
        );
        let voided: Option<(Option<chrono::DateTime<chrono::Utc>>,)> = fetch_optional(
            &mut tx,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        match voided {
            None => return Err(StoreError::NotFound(format!("import batch {id}"))),
            Some((Some(at),)) => {
                return Err(StoreError::Invalid(format!(
                    "import batch {id} was already voided at {}",
                    at.to_rfc3339()
                )));
            }
            Some((None,)) => {}
        }
        let now = DB::now();
        execute(
            &mut tx,
            sqlx::query(
                "update import_batches set voided_at = $1, voided_by = $2, void_reason = $3
                 where lab_id = $4 and id = $5",
            )
            .arg(now)
            .arg(by)
            .arg(reason)
            .arg(lab)
            .arg(id),
        )
        .await?;
        let [inspections, tests] =
            flip_records(&mut tx, lab, Flip::VoidBatch(id), Some(now)).await?;
        Self::audit(
            &mut tx,
            lab,
            by,
            "import.void",
            &format!("import_batch:{id}"),
            serde_json::json!({
                "reason": reason,
                "inspections_voided": inspections,
                "earthing_tests_voided": tests,
            }),
        )
        .await?;
        tx.commit().await?;
        DB::tidy(self).await;
        self.batch(lab, id).await
    }

    /// Restores a voided batch: see [`crate::Store::restore_batch`].
    pub(crate) async fn restore(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
    ) -> Result<ImportBatch, StoreError> {
        let mut tx = self.begin_write().await?;
        DB::lock_lab_writes(&mut tx, lab).await?;
        let sql = format!(
            "select voided_at from import_batches where lab_id = $1 and id = $2{}",
            DB::FOR_UPDATE
        );
        let found: Option<(Option<DateTime<Utc>>,)> = fetch_optional(
            &mut tx,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        match found {
            None => return Err(StoreError::NotFound(format!("import batch {id}"))),
            Some((None,)) => {
                return Err(StoreError::Invalid(format!(
                    "import batch {id} is not voided"
                )));
            }
            Some((Some(_),)) => {}
        }
        let mut clashes: Vec<String> = fetch_all::<DB, ClashRow>(
            &mut tx,
            sqlx::query(sqlx::AssertSqlSafe(restore_clashes()))
                .arg(lab)
                .arg(id),
        )
        .await?
        .iter()
        .map(ClashRow::describe)
        .collect();
        let again: Option<(i64,)> = fetch_optional(
            &mut tx,
            sqlx::query(
                "select id from import_batches
                 where lab_id = $1 and voided_at is null and inserted > 0
                   and sha256 = (select sha256 from import_batches where lab_id = $1 and id = $2)",
            )
            .arg(lab)
            .arg(id),
        )
        .await?;
        if let Some((other,)) = again {
            clashes.insert(0, format!("the same file is stored as batch {other}"));
        }
        if !clashes.is_empty() {
            return Err(StoreError::Conflict(format!(
                "import batch {id} cannot be restored; nothing was restored: {}",
                clashes.join("; ")
            )));
        }
        execute(
            &mut tx,
            sqlx::query(
                "update import_batches set voided_at = null, voided_by = null, void_reason = null
                 where lab_id = $1 and id = $2",
            )
            .arg(lab)
            .arg(id),
        )
        .await?;
        let [inspections, tests] = flip_records(&mut tx, lab, Flip::RestoreBatch(id), None).await?;
        Self::audit(
            &mut tx,
            lab,
            by,
            "import.restore",
            &format!("import_batch:{id}"),
            serde_json::json!({
                "inspections_restored": inspections,
                "earthing_tests_restored": tests,
            }),
        )
        .await?;
        tx.commit().await?;
        DB::tidy(self).await;
        self.batch(lab, id).await
    }

    /// The target set for (metric, category code, period), locked until the
    /// transaction ends.
    async fn planned(
        tx: &mut Transaction<'static, DB>,
        lab: LabId,
        metric: Metric,
        code: &str,
        period: PeriodSpec,
    ) -> Result<Option<(i64,)>, StoreError> {
        let sql = format!(
            "select target from plan_targets
             where lab_id = $1 and metric = $2 and category_code = $3 and period = $4{}",
            DB::FOR_UPDATE
        );
        fetch_optional(
            tx,
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(lab)
                .arg(metric.as_str())
                .arg(code)
                .arg(period.label()),
        )
        .await
    }

    /// Sets a plan target: see [`crate::Store::set_plan`].
    pub(crate) async fn plan(
        &self,
        lab: LabId,
        target: &PlanTarget,
        by: &str,
    ) -> Result<(), StoreError> {
        check_plan(target)?;
        let category = target.category.as_ref().map_or("", CategoryCode::as_str);
        let mut tx = self.begin_write().await?;
        let previous = Self::planned(&mut tx, lab, target.metric, category, target.period).await?;
        execute(
            &mut tx,
            sqlx::query(
                "insert into plan_targets
                     (lab_id, metric, category_code, period, target, set_by, set_at)
                 values ($1, $2, $3, $4, $5, $6, $7)
                 on conflict (lab_id, metric, category_code, period)
                 do update set target = excluded.target, set_by = excluded.set_by,
                               set_at = excluded.set_at",
            )
            .arg(lab)
            .arg(target.metric.as_str())
            .arg(category)
            .arg(target.period.label())
            .arg(i64_of(target.target))
            .arg(by)
            .arg(DB::now()),
        )
        .await?;
        Self::audit(
            &mut tx,
            lab,
            by,
            "plan.set",
            &format!("plan:{}:{}:{}", target.period, target.metric, category),
            serde_json::json!({
                "metric": target.metric,
                "category": target.category,
                "period": target.period,
                "target": target.target,
                "previous": previous.map(|(p,)| p),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a plan target: see [`crate::Store::delete_plan`].
    pub(crate) async fn unplan(
        &self,
        lab: LabId,
        metric: Metric,
        category: Option<&CategoryCode>,
        period: PeriodSpec,
        by: &str,
    ) -> Result<PlanTarget, StoreError> {
        let code = category.map_or("", CategoryCode::as_str);
        let mut tx = self.begin_write().await?;
        let previous = Self::planned(&mut tx, lab, metric, code, period).await?;
        let Some((target,)) = previous else {
            let narrowed = category.map(|c| format!(" for {c}")).unwrap_or_default();
            return Err(StoreError::NotFound(format!(
                "a plan target of {metric}{narrowed} for {period}"
            )));
        };
        execute(
            &mut tx,
            sqlx::query(
                "delete from plan_targets
                 where lab_id = $1 and metric = $2 and category_code = $3 and period = $4",
            )
            .arg(lab)
            .arg(metric.as_str())
            .arg(code)
            .arg(period.label()),
        )
        .await?;
        Self::audit(
            &mut tx,
            lab,
            by,
            "plan.delete",
            &format!("plan:{period}:{metric}:{code}"),
            serde_json::json!({
                "metric": metric,
                "category": category,
                "period": period,
                "previous": target,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(PlanTarget {
            metric,
            category: category.cloned(),
            period,
            target: u64_of(target),
        })
    }
}

impl<DB: Backend> CountRecords for SqlStore<DB> {
    async fn actuals(
        &self,
        lab: LabId,
        start: NaiveDate,
        end: NaiveDate,
        category: Option<&CategoryCode>,
    ) -> Result<Actuals, StoreError> {
        // Every reporting period reads the tallies (a few rows per half-month); any
        // other span counts the records.
        let in_category = if category.is_some() {
            " and category_code = $4"
        } else {
            ""
        };
        let tallies = half_months(start, end);
        let sql = match tallies {
            Some(_) => format!(
                "select cast(coalesce(sum(case when prev_seg < $2 then instrument_days end), 0)
                             as bigint),
                        cast(coalesce(sum(inspections), 0) as bigint)
                 from {} where lab_id = $1 and seg between $2 and $3{in_category}",
                DB::TALLIES
            ),
            None => format!(
                "select count(distinct instrument_id), count(*) from inspections
                 where lab_id = $1 and inspected_on between $2 and $3{in_category}
                   and voided_at is null"
            ),
        };
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab);
        let query = match tallies {
            Some((first, last)) => query.arg(first).arg(last),
            None => query.arg(start).arg(end),
        };
        let query = match category {
            Some(code) => query.arg(code.as_str()),
            None => query,
        };
        let mut c = self.pool.acquire().await?;
        let (instruments, inspections): (i64, i64) = fetch_one(&mut c, query).await?;
        let (points,): (i64,) = fetch_one(
            &mut c,
            sqlx::query(
                "select count(distinct point_id) from earthing_tests
                 where lab_id = $1 and tested_on between $2 and $3 and voided_at is null",
            )
            .arg(lab)
            .arg(start)
            .arg(end),
        )
        .await?;
        Ok(Actuals {
            instruments: u64_of(instruments),
            inspections: u64_of(inspections),
            points: u64_of(points),
        })
    }
}
