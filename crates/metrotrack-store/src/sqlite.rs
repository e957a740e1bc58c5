//! The SQLite implementation of [`Store`]: one database file in WAL mode.
//!
//! Storage conventions (see `migrations/sqlite`): timestamps are RFC 3339 text, dates
//! `YYYY-MM-DD` text (so they sort and compare as text), exact decimals their canonical
//! text. Every key starts with `lab_id`.

mod accounts;
mod import;
mod records;
mod sessions;
mod tallies;

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
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use crate::figures::{self, Actuals, CountRecords, half_months};
use crate::{BatchRequest, ImportEvent, Store, StoreError};

/// Connections in a file database's pool: readers run alongside the one writer (WAL).
const POOL_SIZE: u32 = 4;
/// Page cache per connection, in KiB.
const CACHE_KIB: u32 = 32 * 1024;
/// How long a writer waits for another writer's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// What the write-ahead log is cut back to after a checkpoint.
const WAL_LIMIT_BYTES: u64 = 64 << 20;

/// The SQLite store: a pool of connections to one database file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The file (or `:memory:`), for `Debug`; never the URL with its parameters.
    location: String,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// A decode failure of a stored value, as a database error.
pub(crate) fn corrupt(what: impl fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("stored value could not be read: {what}").into(),
    ))
}

/// Parses a stored text column into a domain value, or reports it as corrupt.
pub(crate) fn parse_stored<T: FromStr>(column: &str, text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| corrupt(format_args!("{column} = {text:?}")))
}

/// `sqlite://user:secret@…` never appears in messages: the part before `@` is masked.
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

impl SqliteStore {
    /// Opens (creating if missing) the database at `sqlite://PATH`, or a private
    /// in-memory database for `sqlite::memory:`. Call [`Store::migrate`] before use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        }
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // Imports touch several indexes at once: a larger page cache keeps them off
            // the disk until commit (a ceiling, allocated only as pages are used).
            .pragma("cache_size", format!("-{}", CACHE_KIB))
            .pragma("temp_store", "memory")
            // A big import fills the write-ahead log with the whole batch; once it is
            // checkpointed, cut the file back instead of keeping it at its largest.
            .pragma("journal_size_limit", WAL_LIMIT_BYTES.to_string());
        let location = if in_memory {
            ":memory:".to_owned()
        } else {
            options.get_filename().display().to_string()
        };
        // An in-memory database lives as long as its connections: keep exactly one.
        let pool_options = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(POOL_SIZE)
        };
        let pool = pool_options.connect_with(options).await?;
        Ok(Self { pool, location })
    }

    /// The connection pool, for diagnostics and backend-specific tests.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction that takes the write lock at once (`begin immediate`), so it
    /// waits for another writer instead of failing on a stale read snapshot.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("begin immediate").await?)
    }

    async fn seed_labs(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "insert into labs (code, name, created_at) values ('default', 'Default lab', ?)
             on conflict (code) do nothing",
        )
        .bind(Utc::now())
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
                     values (?, ?, ?, ?, ?) on conflict do nothing",
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
                         values (?, ?, ?, ?) on conflict do nothing",
                    )
                    .bind(lab)
                    .bind(category.code.as_str())
                    .bind(cycle.effective_from)
                    .bind(i64::from(cycle.months))
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
        tx: &mut Transaction<'static, Sqlite>,
        lab: LabId,
        actor: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "insert into audit_log (lab_id, at, actor, action, subject, detail)
             values (?, ?, ?, ?, ?, ?)",
        )
        .bind(lab)
        .bind(Utc::now())
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(detail.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

impl CountRecords for SqliteStore {
    async fn actuals(
        &self,
        lab: LabId,
        start: NaiveDate,
        end: NaiveDate,
        category: Option<&CategoryCode>,
    ) -> Result<Actuals, StoreError> {
        // Every reporting period reads the tallies (a few rows per half-month); any
        // other span counts the records.
        let (instruments, inspections): (i64, i64) = match (half_months(start, end), category) {
            (Some((first, last)), None) => {
                sqlx::query_as(
                    "select coalesce(sum(case when prev_seg < ? then instrument_days end), 0),
                            coalesce(sum(inspections), 0)
                     from inspection_tallies where lab_id = ? and seg between ? and ?",
                )
                .bind(first)
                .bind(lab)
                .bind(first)
                .bind(last)
                .fetch_one(&self.pool)
                .await?
            }
            (Some((first, last)), Some(code)) => {
                sqlx::query_as(
                    "select coalesce(sum(case when prev_seg < ? then instrument_days end), 0),
                            coalesce(sum(inspections), 0)
                     from inspection_tallies
                     where lab_id = ? and seg between ? and ? and category_code = ?",
                )
                .bind(first)
                .bind(lab)
                .bind(first)
                .bind(last)
                .bind(code.as_str())
                .fetch_one(&self.pool)
                .await?
            }
            (None, None) => {
                sqlx::query_as(
                    "select count(distinct instrument_id), count(*) from inspections
                     where lab_id = ? and inspected_on between ? and ? and voided_at is null",
                )
                .bind(lab)
                .bind(start)
                .bind(end)
                .fetch_one(&self.pool)
                .await?
            }
            (None, Some(code)) => {
                sqlx::query_as(
                    "select count(distinct instrument_id), count(*) from inspections
                     where lab_id = ? and inspected_on between ? and ? and category_code = ?
                       and voided_at is null",
                )
                .bind(lab)
                .bind(start)
                .bind(end)
                .bind(code.as_str())
                .fetch_one(&self.pool)
                .await?
            }
        };
        let points: i64 = sqlx::query_scalar(
            "select count(distinct point_id) from earthing_tests
             where lab_id = ? and tested_on between ? and ? and voided_at is null",
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

/// The plan period stored as its label: `2023-10` or `2023`.
fn plan_period(text: &str) -> Result<PeriodSpec, StoreError> {
    parse_stored("plan_targets.period", text)
}

/// Reads an `import_batches` row (selected with [`BATCH_COLUMNS`]).
fn batch_from_row(row: &SqliteRow) -> Result<ImportBatch, StoreError> {
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
        uploaded_at: row.try_get::<DateTime<Utc>, _>("uploaded_at")?,
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

impl Store for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("../../migrations/sqlite")
            .run(&self.pool)
            .await?;
        self.seed_labs().await
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
             where c.lab_id = ?
             order by c.code, y.effective_from",
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
            let months: Option<i64> = row.try_get("months")?;
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
        let row = sqlx::query("select * from import_batches where lab_id = ? and id = ?")
            .bind(lab)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("import batch {id}")))?;
        batch_from_row(&row)
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn batches(&self, lab: LabId) -> Result<Vec<ImportBatch>, StoreError> {
        sqlx::query("select * from import_batches where lab_id = ? order by id desc")
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
        let mut tx = self.begin_write().await?;
        let voided: Option<Option<String>> =
            sqlx::query_scalar("select voided_at from import_batches where lab_id = ? and id = ?")
                .bind(lab)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        match voided {
            None => return Err(StoreError::NotFound(format!("import batch {id}"))),
            Some(Some(at)) => {
                return Err(StoreError::Invalid(format!(
                    "import batch {id} was already voided at {at}"
                )));
            }
            Some(None) => {}
        }
        let now = Utc::now();
        sqlx::query(
            "update import_batches set voided_at = ?, voided_by = ?, void_reason = ?
             where lab_id = ? and id = ?",
        )
        .bind(now)
        .bind(by)
        .bind(reason)
        .bind(lab)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let inspections = sqlx::query(
            "update inspections set voided_at = ?
             where lab_id = ? and batch_id = ? and voided_at is null",
        )
        .bind(now)
        .bind(lab)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tallies::voided(&mut tx, lab, id).await?;
        let tests = sqlx::query(
            "update earthing_tests set voided_at = ?
             where lab_id = ? and batch_id = ? and voided_at is null",
        )
        .bind(now)
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
        tx.commit().await?;
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
        let mut tx = self.begin_write().await?;
        let previous: Option<i64> = sqlx::query_scalar(
            "select target from plan_targets
             where lab_id = ? and metric = ? and category_code = ? and period = ?",
        )
        .bind(lab)
        .bind(target.metric.as_str())
        .bind(category)
        .bind(target.period.label())
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "insert into plan_targets (lab_id, metric, category_code, period, target, set_by, set_at)
             values (?, ?, ?, ?, ?, ?, ?)
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
        .bind(Utc::now())
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
        let rows = match year {
            None => {
                sqlx::query(
                    "select metric, category_code, period, target from plan_targets
                     where lab_id = ? order by period, metric, category_code",
                )
                .bind(lab)
                .fetch_all(&self.pool)
                .await?
            }
            Some(year) => {
                sqlx::query(
                    "select metric, category_code, period, target from plan_targets
                     where lab_id = ? and (period = ? or period like ?)
                     order by period, metric, category_code",
                )
                .bind(lab)
                .bind(format!("{year:04}"))
                .bind(format!("{year:04}-%"))
                .fetch_all(&self.pool)
                .await?
            }
        };
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
                    period: plan_period(&period)?,
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
             where lab_id = ? and due_on is not null and due_on <= ?";
        let limit = i64::from(limit);
        let rows = match after {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{SELECT} order by due_on, serial_number, id limit ?"
                )))
                .bind(lab)
                .bind(horizon)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            Some(a) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{SELECT} and (due_on, serial_number, id) > (?, ?, ?)
                     order by due_on, serial_number, id limit ?"
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

    // ----- labs, accounts, audit log, record reads (sqlite/accounts.rs, sqlite/records.rs)

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
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }
}
