//! The PostgreSQL implementation of [`Store`]: the same behaviour and figures as SQLite,
//! on a database server.
//!
//! Storage conventions (see `migrations/postgres`): `timestamptz`, `date`, `numeric`
//! for measured values (the written scale kept), identity keys, `jsonb` for original
//! observations and problem lists. Every key starts with `lab_id`, so that the lab
//! tables can be distributed by lab (Citus; `docs/national-deployment.md`).
//!
//! No TLS feature is built in: a server on another machine needs sqlx's `tls-rustls`
//! feature added to the workspace dependency (and `sslmode=require` in the URL).

mod accounts;
mod import;
mod records;
mod sessions;
#[cfg(feature = "conformance")]
pub mod testing;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, Utc};
use metrotrack_core::category::seed_categories;
use metrotrack_core::{
    BatchOutcome, Category, CategoryCode, CycleRule, DueAfter, DueEntry, ImportBatch, ImportMode,
    LabId, LogKind, PeriodAchievement, PeriodSpec, PlanTarget, Problem, ReportingPeriod, Scheme,
    YearAchievement,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row, Transaction};

use crate::figures::{self, Actuals, CountRecords, half_months};
use crate::sqlite::{corrupt, parse_stored};
use crate::{BatchRequest, ImportEvent, Store, StoreError};

/// Connections in the pool.
const POOL_SIZE: u32 = 8;
/// How long to wait for a free connection (an import holds one for its whole file).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(60);

/// The PostgreSQL store: a pool of connections to one database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// `user@host:port/database`, for `Debug`; never the password.
    location: String,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// `postgres://user:secret@…` never appears in messages: the user info is masked.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Now, to the microsecond: what `timestamptz` keeps, so that a value read back equals
/// the one written.
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

impl PgStore {
    /// Moves the lab's appended tally changes into the tallies (migration 0007): each
    /// tally row is updated once per write, however many statements changed it.
    async fn fold_tallies(
        tx: &mut Transaction<'static, Postgres>,
        lab: LabId,
    ) -> Result<(), StoreError> {
        sqlx::query("select fold_inspection_tallies($1)")
            .bind(lab)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Vacuums the tallies and their changes after a write that folded them: the tally
    /// rows it updated and the changes it appended and deleted would otherwise stay as
    /// dead row versions that every figure reads past until autovacuum comes by. The
    /// write is committed already: a failure here is only logged.
    async fn tidy_tallies(&self) {
        if let Err(e) = sqlx::query("vacuum (analyze) inspection_tallies, inspection_tally_changes")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(error = %e, "could not vacuum inspection_tallies");
        }
    }

    /// Connects to the database at `postgres://…` (or `postgresql://…`). Call
    /// [`Store::migrate`] before use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        }
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| StoreError::UnsupportedUrl(redact(url)))?
            .application_name("metrotrack");
        let location = format!(
            "{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Ok(Self { pool, location })
    }

    /// The connection pool, for diagnostics and backend-specific tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn seed_labs(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "insert into labs (code, name, created_at) values ('default', 'Default lab', $1)
             on conflict (code) do nothing",
        )
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let bare: Vec<i64> = sqlx::query_scalar(
            "select id from labs l
             where not exists (select 1 from categories c where c.lab_id = l.id)",
        )
        .fetch_all(&mut *tx)
        .await?;
        for lab in bare {
            for category in seed_categories() {
                sqlx::query(
                    "insert into categories (lab_id, code, name_vi, name_en, legal_group2)
                     values ($1, $2, $3, $4, $5) on conflict do nothing",
                )
                .bind(lab)
                .bind(category.code.as_str())
                .bind(&category.name_vi)
                .bind(&category.name_en)
                .bind(category.legal_group2)
                .execute(&mut *tx)
                .await?;
                for cycle in &category.cycles {
                    sqlx::query(
                        "insert into category_cycles (lab_id, category_code, effective_from, months)
                         values ($1, $2, $3, $4) on conflict do nothing",
                    )
                    .bind(lab)
                    .bind(category.code.as_str())
                    .bind(cycle.effective_from)
                    .bind(i32::try_from(cycle.months).unwrap_or(i32::MAX))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Appends an audit entry within `tx`.
    async fn audit(
        tx: &mut Transaction<'static, Postgres>,
        lab: LabId,
        actor: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "insert into audit_log (lab_id, at, actor, action, subject, detail)
             values ($1, $2, $3, $4, $5, $6::jsonb)",
        )
        .bind(lab)
        .bind(now())
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(detail.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

impl CountRecords for PgStore {
    async fn actuals(
        &self,
        lab: LabId,
        start: NaiveDate,
        end: NaiveDate,
        category: Option<&CategoryCode>,
    ) -> Result<Actuals, StoreError> {
        // Every reporting period reads the tallies (a few rows per half-month); any
        // other span counts the records.
        let (instruments, inspections): (i64, i64) =
            match half_months(start, end) {
                Some((first, last)) => sqlx::query_as(
                    "select coalesce(sum(instrument_days) filter (where prev_seg < $2), 0)::bigint,
                            coalesce(sum(inspections), 0)::bigint
                     from (select lab_id, seg, category_code, prev_seg, instrument_days,
                                  inspections
                           from inspection_tallies
                           union all
                           -- changes not folded in yet (migration 0007)
                           select lab_id, seg, category_code, prev_seg, instrument_days,
                                  inspections
                           from inspection_tally_changes) t
                     where lab_id = $1 and seg between $2 and $3
                       and ($4::text is null or category_code = $4)",
                )
                .bind(lab)
                .bind(first)
                .bind(last)
                .bind(category.map(CategoryCode::as_str))
                .fetch_one(&self.pool)
                .await?,
                None => {
                    sqlx::query_as(
                        "select count(distinct instrument_id), count(*) from inspections
                     where lab_id = $1 and inspected_on between $2 and $3
                       and ($4::text is null or category_code = $4) and voided_at is null",
                    )
                    .bind(lab)
                    .bind(start)
                    .bind(end)
                    .bind(category.map(CategoryCode::as_str))
                    .fetch_one(&self.pool)
                    .await?
                }
            };
        let points: i64 = sqlx::query_scalar(
            "select count(distinct point_id) from earthing_tests
             where lab_id = $1 and tested_on between $2 and $3 and voided_at is null",
        )
        .bind(lab)
        .bind(start)
        .bind(end)
        .fetch_one(&self.pool)
        .await?;
        Ok(Actuals {
            instruments: u64_of(instruments),
            inspections: u64_of(inspections),
            points: u64_of(points),
        })
    }
}

/// The columns of an `import_batches` row as [`batch_from_row`] reads them.
const BATCH_COLUMNS: &str = "id, kind, mode, file_name, size_bytes, sha256, uploaded_by, \
     uploaded_at, rows, inserted, duplicates, rejected, problems::text as problems, \
     warnings::text as warnings, voided_at, voided_by, void_reason";

/// Reads an `import_batches` row (selected with [`BATCH_COLUMNS`]).
fn batch_from_row(row: &PgRow) -> Result<ImportBatch, StoreError> {
    let kind: String = row.try_get("kind")?;
    let mode: String = row.try_get("mode")?;
    let problems: String = row.try_get("problems")?;
    let warnings: String = row.try_get("warnings")?;
    let problems: Vec<Problem> =
        serde_json::from_str(&problems).map_err(|e| corrupt(format_args!("problems: {e}")))?;
    let warnings: Vec<Problem> =
        serde_json::from_str(&warnings).map_err(|e| corrupt(format_args!("warnings: {e}")))?;
    Ok(ImportBatch {
        id: Some(row.try_get("id")?),
        outcome: BatchOutcome::Stored,
        kind: parse_stored::<LogKind>("kind", &kind)?,
        mode: parse_stored::<ImportMode>("mode", &mode)?,
        file_name: row.try_get("file_name")?,
        size_bytes: u64_of(row.try_get("size_bytes")?),
        sha256: row
            .try_get::<Option<String>, _>("sha256")?
            .unwrap_or_default(),
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at: row.try_get("uploaded_at")?,
        rows: u64_of(row.try_get("rows")?),
        inserted: u64_of(row.try_get("inserted")?),
        duplicates: u64_of(row.try_get("duplicates")?),
        rejected: u64_of(row.try_get("rejected")?),
        problems,
        warnings,
        voided_at: row.try_get("voided_at")?,
        voided_by: row.try_get("voided_by")?,
        void_reason: row.try_get("void_reason")?,
    })
}

impl Store for PgStore {
    #[tracing::instrument(skip_all)]
    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("../../migrations/postgres")
            .run(&self.pool)
            .await?;
        self.seed_labs().await
    }

    #[tracing::instrument(skip_all, fields(user = session.user_id))]
    async fn create_session(
        &self,
        session: &crate::accounts::NewSession,
    ) -> Result<(), StoreError> {
        self.create_session_impl(session).await
    }

    async fn session(
        &self,
        session_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::accounts::Session>, StoreError> {
        self.session_impl(session_hash, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_session(&self, session_hash: &str) -> Result<(), StoreError> {
        self.delete_session_impl(session_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn default_lab(&self) -> Result<LabId, StoreError> {
        sqlx::query_scalar("select id from labs where code = 'default'")
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound("the default lab (run migrations)".into()))
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn categories(&self, lab: LabId) -> Result<Vec<Category>, StoreError> {
        let rows = sqlx::query(
            "select c.code, c.name_vi, c.name_en, c.legal_group2, y.effective_from, y.months
             from categories c
             left join category_cycles y on y.lab_id = c.lab_id and y.category_code = c.code
             where c.lab_id = $1
             order by c.code collate \"C\", y.effective_from",
        )
        .bind(lab)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<Category> = Vec::new();
        for row in rows {
            let code: String = row.try_get("code")?;
            let code: CategoryCode = CategoryCode::parse(&code)
                .map_err(|_| corrupt(format_args!("categories.code = {code:?}")))?;
            if out.last().is_none_or(|c| c.code != code) {
                out.push(Category {
                    code,
                    name_vi: row.try_get("name_vi")?,
                    name_en: row.try_get("name_en")?,
                    legal_group2: row.try_get("legal_group2")?,
                    cycles: Vec::new(),
                });
            }
            let from: Option<NaiveDate> = row.try_get("effective_from")?;
            let months: Option<i32> = row.try_get("months")?;
            if let (Some(effective_from), Some(months), Some(category)) =
                (from, months, out.last_mut())
            {
                let months = u32::try_from(months)
                    .map_err(|_| corrupt(format_args!("category_cycles.months = {months}")))?;
                category.cycles.push(CycleRule {
                    effective_from,
                    months,
                });
            }
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all, fields(lab = request.lab, kind = %request.kind, mode = %request.mode))]
    async fn import_batch(
        &self,
        request: BatchRequest,
        events: tokio::sync::mpsc::Receiver<ImportEvent>,
    ) -> Result<ImportBatch, StoreError> {
        import::run(self, request, events).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, id = id))]
    async fn batch(&self, lab: LabId, id: i64) -> Result<ImportBatch, StoreError> {
        let sql =
            format!("select {BATCH_COLUMNS} from import_batches where lab_id = $1 and id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lab)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("import batch {id}")))?;
        batch_from_row(&row)
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn batches(&self, lab: LabId) -> Result<Vec<ImportBatch>, StoreError> {
        let sql = format!(
            "select {BATCH_COLUMNS} from import_batches where lab_id = $1 order by id desc"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lab)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(batch_from_row)
            .collect()
    }

    #[tracing::instrument(skip_all, fields(lab = lab, id = id))]
    async fn void_batch(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
        reason: &str,
    ) -> Result<ImportBatch, StoreError> {
        let mut tx = self.pool.begin().await?;
        import::lock_lab_writes(&mut tx, lab).await?;
        // `for update`: two supervisors voiding at once void it once.
        let voided: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
            "select voided_at from import_batches where lab_id = $1 and id = $2 for update",
        )
        .bind(lab)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        match voided {
            None => return Err(StoreError::NotFound(format!("import batch {id}"))),
            Some(Some(at)) => {
                return Err(StoreError::Invalid(format!(
                    "import batch {id} was already voided at {}",
                    at.to_rfc3339()
                )));
            }
            Some(None) => {}
        }
        let at = now();
        sqlx::query(
            "update import_batches set voided_at = $1, voided_by = $2, void_reason = $3
             where lab_id = $4 and id = $5",
        )
        .bind(at)
        .bind(by)
        .bind(reason)
        .bind(lab)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let inspections = sqlx::query(
            "update inspections set voided_at = $1
             where lab_id = $2 and batch_id = $3 and voided_at is null",
        )
        .bind(at)
        .bind(lab)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let tests = sqlx::query(
            "update earthing_tests set voided_at = $1
             where lab_id = $2 and batch_id = $3 and voided_at is null",
        )
        .bind(at)
        .bind(lab)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
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
        Self::fold_tallies(&mut tx, lab).await?;
        tx.commit().await?;
        self.tidy_tallies().await;
        self.batch(lab, id).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, metric = %target.metric, period = %target.period))]
    async fn set_plan(&self, lab: LabId, target: &PlanTarget, by: &str) -> Result<(), StoreError> {
        // PlanTarget::new guards these; a target built by hand must not get past them.
        if !matches!(
            target.period,
            PeriodSpec::Month { .. } | PeriodSpec::Year { .. }
        ) {
            return Err(StoreError::Invalid(format!(
                "plan targets are set for a month or a year, not {}",
                target.period
            )));
        }
        if target.target == 0 {
            return Err(StoreError::Invalid("a target is at least 1".into()));
        }
        let category = target.category.as_ref().map_or("", CategoryCode::as_str);
        let mut tx = self.pool.begin().await?;
        let previous: Option<i64> = sqlx::query_scalar(
            "select target from plan_targets
             where lab_id = $1 and metric = $2 and category_code = $3 and period = $4
             for update",
        )
        .bind(lab)
        .bind(target.metric.as_str())
        .bind(category)
        .bind(target.period.label())
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "insert into plan_targets (lab_id, metric, category_code, period, target, set_by, set_at)
             values ($1, $2, $3, $4, $5, $6, $7)
             on conflict (lab_id, metric, category_code, period)
             do update set target = excluded.target, set_by = excluded.set_by,
                           set_at = excluded.set_at",
        )
        .bind(lab)
        .bind(target.metric.as_str())
        .bind(category)
        .bind(target.period.label())
        .bind(i64_of(target.target))
        .bind(by)
        .bind(now())
        .execute(&mut *tx)
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
                "previous": previous,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(lab = lab, year = ?year))]
    async fn plans(&self, lab: LabId, year: Option<i32>) -> Result<Vec<PlanTarget>, StoreError> {
        let (exact, months) = match year {
            Some(year) => (Some(format!("{year:04}")), Some(format!("{year:04}-%"))),
            None => (None, None),
        };
        let rows = sqlx::query(
            "select metric, category_code, period, target from plan_targets
             where lab_id = $1 and ($2::text is null or period = $2 or period like $3)
             order by period collate \"C\", metric collate \"C\", category_code collate \"C\"",
        )
        .bind(lab)
        .bind(exact)
        .bind(months)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let metric: String = row.try_get("metric")?;
                let category: String = row.try_get("category_code")?;
                let period: String = row.try_get("period")?;
                let target: i64 = row.try_get("target")?;
                Ok(PlanTarget {
                    metric: parse_stored("plan_targets.metric", &metric)?,
                    category: if category.is_empty() {
                        None
                    } else {
                        Some(CategoryCode::parse(&category).map_err(|_| {
                            corrupt(format_args!("plan_targets.category_code = {category:?}"))
                        })?)
                    },
                    period: parse_stored("plan_targets.period", &period)?,
                    target: u64_of(target),
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all, fields(lab = lab, period = %period.spec))]
    async fn achievement(
        &self,
        lab: LabId,
        period: ReportingPeriod,
    ) -> Result<PeriodAchievement, StoreError> {
        figures::achievement(self, lab, period).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, year = year, scheme = %scheme))]
    async fn year_achievement(
        &self,
        lab: LabId,
        year: i32,
        scheme: Scheme,
        as_of: NaiveDate,
    ) -> Result<YearAchievement, StoreError> {
        figures::year_achievement(self, lab, year, scheme, as_of).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, within_days = within_days, as_of = %as_of))]
    async fn due_list(
        &self,
        lab: LabId,
        within_days: u32,
        as_of: NaiveDate,
        after: Option<&DueAfter>,
        limit: u32,
    ) -> Result<Vec<DueEntry>, StoreError> {
        let horizon = as_of
            .checked_add_days(Days::new(u64::from(within_days)))
            .unwrap_or(NaiveDate::MAX);
        // Each instrument carries its latest valid inspection (kept by triggers, see
        // migration 0005): a newer failed inspection, which has no valid-until, does not
        // hide an instrument whose validity has not been renewed.
        const SELECT: &str = "select id as instrument_id, category_code, serial_number,
                    manufacturer, owner, due_inspected_on as inspected_on, due_on as valid_until
             from instruments
             where lab_id = $1 and due_on is not null and due_on <= $2";
        const ORDER: &str = "order by due_on, serial_number collate \"C\", id";
        let limit = i64::from(limit);
        let rows = match after {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} {ORDER} limit $3")))
                    .bind(lab)
                    .bind(horizon)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            Some(a) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{SELECT} and (due_on, serial_number collate \"C\", id) > ($3, $4, $5)
                     {ORDER} limit $6"
                )))
                .bind(lab)
                .bind(horizon)
                .bind(a.valid_until)
                .bind(a.serial_number.as_str())
                .bind(a.instrument_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter()
            .map(|row| {
                let valid_until: NaiveDate = row.try_get("valid_until")?;
                let (days_left, overdue) = DueEntry::days_left(valid_until, as_of);
                let category: String = row.try_get("category_code")?;
                Ok(DueEntry {
                    instrument_id: row.try_get("instrument_id")?,
                    category: CategoryCode::parse(&category).map_err(|_| {
                        corrupt(format_args!("instruments.category_code = {category:?}"))
                    })?,
                    serial_number: row.try_get("serial_number")?,
                    manufacturer: row.try_get("manufacturer")?,
                    owner: row.try_get("owner")?,
                    last_inspected_on: row.try_get("inspected_on")?,
                    valid_until,
                    days_left,
                    overdue,
                })
            })
            .collect()
    }

    // ----- labs, accounts, audit log, record reads (postgres/accounts.rs, postgres/records.rs)

    async fn labs(&self) -> Result<Vec<crate::accounts::Lab>, StoreError> {
        self.labs_impl().await
    }

    #[tracing::instrument(skip_all, fields(code = code))]
    async fn create_lab(
        &self,
        code: &str,
        name: &str,
        by: &str,
    ) -> Result<crate::accounts::Lab, StoreError> {
        self.create_lab_impl(code, name, by).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn create_user(
        &self,
        lab: LabId,
        user: &crate::accounts::NewUser,
        by: &str,
    ) -> Result<crate::accounts::User, StoreError> {
        self.create_user_impl(lab, user, by).await
    }

    async fn users(&self, lab: LabId) -> Result<Vec<crate::accounts::User>, StoreError> {
        self.users_impl(lab).await
    }

    async fn user_credentials(
        &self,
        lab: LabId,
        username: &str,
    ) -> Result<Option<crate::accounts::UserCredentials>, StoreError> {
        self.user_credentials_impl(lab, username).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn create_token(
        &self,
        lab: LabId,
        token: &crate::accounts::NewToken,
        by: &str,
    ) -> Result<crate::accounts::ApiToken, StoreError> {
        self.create_token_impl(lab, token, by).await
    }

    async fn tokens(&self, lab: LabId) -> Result<Vec<crate::accounts::ApiToken>, StoreError> {
        self.tokens_impl(lab).await
    }

    async fn token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<crate::accounts::ApiToken>, StoreError> {
        self.token_by_hash_impl(token_hash).await
    }

    async fn touch_token(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.touch_token_impl(id, at).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, id = id))]
    async fn revoke_token(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
    ) -> Result<crate::accounts::ApiToken, StoreError> {
        self.revoke_token_impl(lab, id, by).await
    }

    async fn audit_log(
        &self,
        lab: LabId,
        page: crate::records::Page,
    ) -> Result<Vec<crate::accounts::AuditEntry>, StoreError> {
        self.audit_log_impl(lab, page).await
    }

    async fn batch_page(
        &self,
        lab: LabId,
        page: crate::records::Page,
    ) -> Result<Vec<ImportBatch>, StoreError> {
        self.batch_page_impl(lab, page).await
    }

    async fn instruments(
        &self,
        lab: LabId,
        filter: &crate::records::InstrumentFilter,
        page: crate::records::Page,
    ) -> Result<Vec<crate::records::InstrumentRecord>, StoreError> {
        self.instruments_impl(lab, filter, page).await
    }

    async fn instrument(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<crate::records::InstrumentHistory, StoreError> {
        self.instrument_impl(lab, id).await
    }

    async fn inspections(
        &self,
        lab: LabId,
        filter: &crate::records::InspectionFilter,
        page: crate::records::Page,
    ) -> Result<Vec<crate::records::InspectionRecord>, StoreError> {
        self.inspections_impl(lab, filter, page).await
    }

    async fn inspection(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<crate::records::InspectionRecord, StoreError> {
        self.inspection_impl(lab, id).await
    }

    async fn earthing_points(
        &self,
        lab: LabId,
        filter: &crate::records::PointFilter,
        page: crate::records::Page,
    ) -> Result<Vec<crate::records::EarthingPointRecord>, StoreError> {
        self.earthing_points_impl(lab, filter, page).await
    }

    async fn earthing_point(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<crate::records::EarthingPointHistory, StoreError> {
        self.earthing_point_impl(lab, id).await
    }

    async fn earthing_tests(
        &self,
        lab: LabId,
        filter: &crate::records::EarthingTestFilter,
        page: crate::records::Page,
    ) -> Result<Vec<crate::records::EarthingTestRecord>, StoreError> {
        self.earthing_tests_impl(lab, filter, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact("postgres://me:secret@db/metrotrack"),
            "postgres://***@db/metrotrack"
        );
    }
}
