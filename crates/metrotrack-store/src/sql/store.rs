//! [`Store`] for both backends, written once.

use chrono::{DateTime, NaiveDate, Utc};
use metrotrack_core::{
    Category, CategoryCode, CycleRule, DueAfter, DueCounts, DueEntry, ImportBatch, LabId, Metric,
    NewEarthingTest, NewInspection, PeriodAchievement, PeriodSpec, PlanTarget, ReportSettings,
    ReportTables, ReportingPeriod, Scheme, YearAchievement,
};
use tokio::sync::mpsc::Receiver;

use super::CategoryNames;
use super::accounts::{TOKEN_SELECT, USER_COLUMNS};
use super::evidence::Kind;
use super::rows::{
    AuditRow, BATCH_COLUMNS, BatchRow, CategoryRow, INSPECTION_SELECT, InspectionRow,
    InstrumentRow, PlanRow, PointRow, TEST_SELECT, TestRow,
};
use super::{
    Arg, Backend, SqlStore, execute, fetch_all, fetch_one, fetch_optional, files, records, u64_of,
};
use crate::accounts::{
    ApiToken, AuditEntry, Lab, NewSession, NewToken, NewUser, Session, User, UserCredentials,
};
use crate::figures;
use crate::records::{
    Amendment, CountedPage, EarthingPointHistory, EarthingPointRecord, EarthingTestFilter,
    EarthingTestRecord, InspectedInstrument, InspectionFilter, InspectionRecord, InstrumentFilter,
    InstrumentHistory, InstrumentRecord, MeasuredPoint, Page, PointFilter,
};
use crate::{BatchRequest, ImportEvent, Store, StoreError};

/// Rows read into records.
pub(super) fn convert<R, T: TryFrom<R, Error = StoreError>>(
    rows: Vec<R>,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

pub(super) fn not_found<T>(row: Option<T>, what: impl FnOnce() -> String) -> Result<T, StoreError> {
    row.ok_or_else(|| StoreError::NotFound(what()))
}

/// How long noting a token's use waits for the writer before leaving it for next time.
const TOUCH_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

impl<DB: Backend> Store for SqlStore<DB> {
    fn pool_use(&self) -> crate::PoolUse {
        self.connections()
    }

    #[tracing::instrument(skip_all)]
    async fn migrate(&self) -> Result<(), StoreError> {
        DB::run_migrations(&self.pool).await?;
        self.seed_labs().await
    }

    #[tracing::instrument(skip_all)]
    async fn default_lab(&self) -> Result<LabId, StoreError> {
        let mut c = self.pool.acquire().await?;
        let lab: Option<(i64,)> = fetch_optional(
            &mut c,
            sqlx::query("select id from labs where code = 'default'"),
        )
        .await?;
        not_found(lab, || "the default lab (run migrations)".into()).map(|(id,)| id)
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn categories(&self, lab: LabId) -> Result<Vec<Category>, StoreError> {
        let sql = format!(
            "select c.code, c.name_vi, c.name_en, c.legal_group2, y.effective_from,
                    cast(y.months as bigint) as months
             from categories c
             left join category_cycles y on y.lab_id = c.lab_id and y.category_code = c.code
             where c.lab_id = $1
             order by c.code{}, y.effective_from",
            DB::BYTE_ORDER
        );
        let mut c = self.pool.acquire().await?;
        let rows: Vec<CategoryRow> =
            fetch_all(&mut c, sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab)).await?;
        let mut out: Vec<Category> = Vec::new();
        for row in rows {
            let code = row.code()?;
            if out.last().is_none_or(|c| c.code != code) {
                out.push(Category {
                    code,
                    name_vi: row.name_vi.clone(),
                    name_en: row.name_en.clone(),
                    legal_group2: row.legal_group2,
                    cycles: Vec::new(),
                });
            }
            if let (Some(cycle), Some(category)) = (row.cycle()?, out.last_mut()) {
                category.cycles.push(cycle);
            }
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all, fields(lab = request.lab, kind = %request.kind, mode = %request.mode))]
    async fn import_batch(
        &self,
        request: BatchRequest,
        events: Receiver<ImportEvent>,
    ) -> Result<ImportBatch, StoreError> {
        DB::import(self, request, events).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, id = id))]
    async fn batch(&self, lab: LabId, id: i64) -> Result<ImportBatch, StoreError> {
        let sql =
            format!("select {BATCH_COLUMNS} from import_batches where lab_id = $1 and id = $2");
        let mut c = self.pool.acquire().await?;
        let row: Option<BatchRow> = fetch_optional(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        not_found(row, || format!("import batch {id}"))?.try_into()
    }

    #[tracing::instrument(skip_all, fields(lab = lab, id = id, part = part))]
    async fn batch_file_part(
        &self,
        lab: LabId,
        id: i64,
        part: i64,
    ) -> Result<Option<crate::FilePart>, StoreError> {
        self.kept_part(lab, id, part).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn batches(&self, lab: LabId) -> Result<Vec<ImportBatch>, StoreError> {
        let sql = format!(
            "select {BATCH_COLUMNS} from import_batches where lab_id = $1 order by id desc"
        );
        let mut c = self.pool.acquire().await?;
        let rows: Vec<BatchRow> =
            fetch_all(&mut c, sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab)).await?;
        convert(rows)
    }

    #[tracing::instrument(skip_all, fields(lab = lab, id = id))]
    async fn void_batch(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
        reason: &str,
    ) -> Result<ImportBatch, StoreError> {
        self.void(lab, id, by, reason).await
    }

    async fn amend_inspection(
        &self,
        lab: LabId,
        id: i64,
        amendment: &Amendment<NewInspection>,
    ) -> Result<InspectionRecord, StoreError> {
        self.amend_inspection_record(lab, id, amendment).await
    }

    async fn amend_earthing_test(
        &self,
        lab: LabId,
        id: i64,
        amendment: &Amendment<NewEarthingTest>,
    ) -> Result<EarthingTestRecord, StoreError> {
        self.amend_test_record(lab, id, amendment).await
    }

    async fn void_inspection(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
        reason: &str,
    ) -> Result<InspectionRecord, StoreError> {
        self.void_one(lab, Kind::Inspection, id, by, reason).await?;
        self.inspection(lab, id).await
    }

    async fn void_earthing_test(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
        reason: &str,
    ) -> Result<EarthingTestRecord, StoreError> {
        self.void_one(lab, Kind::EarthingTest, id, by, reason)
            .await?;
        self.earthing_test(lab, id).await
    }

    async fn inspection_versions(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<Vec<InspectionRecord>, StoreError> {
        let current = self.inspection(lab, id).await?;
        self.versions(lab, Kind::Inspection, id, current).await
    }

    async fn earthing_test_versions(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<Vec<EarthingTestRecord>, StoreError> {
        let current = self.earthing_test(lab, id).await?;
        self.versions(lab, Kind::EarthingTest, id, current).await
    }

    async fn earthing_test(&self, lab: LabId, id: i64) -> Result<EarthingTestRecord, StoreError> {
        let sql = format!("{TEST_SELECT} where t.lab_id = $1 and t.id = $2");
        let mut c = self.pool.acquire().await?;
        let row: Option<TestRow> = fetch_optional(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        let row = not_found(row, || format!("earthing test {id}"))?;
        files::record(&mut c, lab, row).await
    }

    async fn save_category(
        &self,
        lab: LabId,
        names: &CategoryNames,
        by: &str,
    ) -> Result<Category, StoreError> {
        self.put_category(lab, names, by).await
    }

    async fn add_cycle(
        &self,
        lab: LabId,
        code: &CategoryCode,
        rule: CycleRule,
        by: &str,
    ) -> Result<Category, StoreError> {
        self.put_cycle(lab, code, rule, by).await
    }

    async fn restore_batch(
        &self,
        lab: LabId,
        id: i64,
        by: &str,
    ) -> Result<ImportBatch, StoreError> {
        self.restore(lab, id, by).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, metric = %target.metric, period = %target.period))]
    async fn set_plan(&self, lab: LabId, target: &PlanTarget, by: &str) -> Result<(), StoreError> {
        self.plan(lab, target, by).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, metric = %metric, period = %period))]
    async fn delete_plan(
        &self,
        lab: LabId,
        metric: Metric,
        category: Option<&CategoryCode>,
        period: PeriodSpec,
        by: &str,
    ) -> Result<PlanTarget, StoreError> {
        self.unplan(lab, metric, category, period, by).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, year = ?year))]
    async fn plans(&self, lab: LabId, year: Option<i32>) -> Result<Vec<PlanTarget>, StoreError> {
        let order = DB::BYTE_ORDER;
        let in_year = if year.is_some() {
            " and (period = $2 or period like $3)"
        } else {
            ""
        };
        let sql = format!(
            "select metric, category_code, period, target from plan_targets
             where lab_id = $1{in_year}
             order by period{order}, metric{order}, category_code{order}"
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab);
        let query = match year {
            Some(year) => query.arg(format!("{year:04}")).arg(format!("{year:04}-%")),
            None => query,
        };
        let mut c = self.pool.acquire().await?;
        let rows: Vec<PlanRow> = fetch_all(&mut c, query).await?;
        convert(rows)
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
        self.read_due_list(lab, within_days, as_of, after, limit)
            .await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, within_days = within_days, as_of = %as_of))]
    async fn due_counts(
        &self,
        lab: LabId,
        within_days: u32,
        as_of: NaiveDate,
    ) -> Result<DueCounts, StoreError> {
        self.read_due_counts(lab, within_days, as_of).await
    }

    // ----- labs, accounts and the audit log -----------------------------------------

    async fn report_settings(&self, lab: LabId) -> Result<ReportSettings, StoreError> {
        self.read_report_settings(lab).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn set_report_settings(
        &self,
        lab: LabId,
        settings: &ReportSettings,
        by: &str,
    ) -> Result<ReportSettings, StoreError> {
        self.put_report_settings(lab, settings, by).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab, period = %period.spec))]
    async fn report_tables(
        &self,
        lab: LabId,
        period: &ReportingPeriod,
    ) -> Result<ReportTables, StoreError> {
        self.read_report_tables(lab, period).await
    }

    async fn labs(&self) -> Result<Vec<Lab>, StoreError> {
        let mut c = self.pool.acquire().await?;
        fetch_all(
            &mut c,
            sqlx::query("select id, code, name from labs order by id"),
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(code = code))]
    async fn create_lab(&self, code: &str, name: &str, by: &str) -> Result<Lab, StoreError> {
        self.add_lab(code, name, by).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn create_user(&self, lab: LabId, user: &NewUser, by: &str) -> Result<User, StoreError> {
        self.add_user(lab, user, by).await
    }

    async fn users(&self, lab: LabId) -> Result<Vec<User>, StoreError> {
        let sql = format!("select {USER_COLUMNS} from users where lab_id = $1 order by id");
        let mut c = self.pool.acquire().await?;
        fetch_all(&mut c, sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab)).await
    }

    async fn user_credentials(
        &self,
        lab: LabId,
        username: &str,
    ) -> Result<Option<UserCredentials>, StoreError> {
        let sql = format!(
            "select {USER_COLUMNS}, password_hash from users where lab_id = $1 and username = $2"
        );
        let mut c = self.pool.acquire().await?;
        let query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(lab)
            .arg(username.trim());
        fetch_optional(&mut c, query).await
    }

    #[tracing::instrument(skip_all, fields(lab = lab))]
    async fn create_token(
        &self,
        lab: LabId,
        token: &NewToken,
        by: &str,
    ) -> Result<ApiToken, StoreError> {
        self.add_token(lab, token, by).await
    }

    async fn tokens(&self, lab: LabId) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!("{TOKEN_SELECT} where t.lab_id = $1 order by t.id");
        let mut c = self.pool.acquire().await?;
        fetch_all(&mut c, sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab)).await
    }

    async fn token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let sql = format!("{TOKEN_SELECT} where t.token_hash = $1");
        let mut c = self.pool.acquire().await?;
        fetch_optional(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(token_hash),
        )
        .await
    }

    async fn touch_token(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        // Best effort: while another write holds the writer (a long import), the use is
        // not noted this time rather than waiting behind it.
        let Ok(c) = tokio::time::timeout(TOUCH_WAIT, self.writer.acquire()).await else {
            return Ok(());
        };
        let mut c = c?;
        let query = sqlx::query("update api_tokens set last_used_at = $1 where id = $2");
        execute(&mut c, query.arg(at).arg(id)).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(lab = lab, id = id))]
    async fn revoke_token(&self, lab: LabId, id: i64, by: &str) -> Result<ApiToken, StoreError> {
        self.revoke(lab, id, by).await
    }

    #[tracing::instrument(skip_all, fields(user = session.user_id))]
    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let expired = sqlx::query("delete from web_sessions where expires_at <= $1");
        execute(&mut tx, expired.arg(session.created_at)).await?;
        execute(
            &mut tx,
            sqlx::query(
                "insert into web_sessions
                     (lab_id, user_id, session_hash, csrf_token, created_at, expires_at)
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .arg(session.lab)
            .arg(session.user_id)
            .arg(session.session_hash.as_str())
            .arg(session.csrf_token.as_str())
            .arg(session.created_at)
            .arg(session.expires_at),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(
        &self,
        session_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let query = sqlx::query(
            "select u.id, u.lab_id, u.username, u.role, u.created_at, u.created_by,
                    s.csrf_token, s.expires_at
             from web_sessions s join users u on u.lab_id = s.lab_id and u.id = s.user_id
             where s.session_hash = $1 and s.expires_at > $2",
        );
        let mut c = self.pool.acquire().await?;
        fetch_optional(&mut c, query.arg(session_hash).arg(now)).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_session(&self, session_hash: &str) -> Result<(), StoreError> {
        let mut c = self.writer.acquire().await?;
        let query = sqlx::query("delete from web_sessions where session_hash = $1");
        execute(&mut c, query.arg(session_hash)).await?;
        Ok(())
    }

    async fn verify(&self) -> Result<Vec<crate::Difference>, StoreError> {
        self.check_everything().await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.nothing_written().await
    }

    async fn audit_log(&self, lab: LabId, page: Page) -> Result<Vec<AuditEntry>, StoreError> {
        let query = sqlx::query(
            "select id, lab_id, at, actor, action, subject, cast(detail as text) as detail
             from audit_log where lab_id = $1 and id < $2 order by id desc limit $3",
        );
        let query = query
            .arg(lab)
            .arg(page.after.unwrap_or(i64::MAX))
            .arg(page.sql_limit());
        let mut c = self.pool.acquire().await?;
        let rows: Vec<AuditRow> = fetch_all(&mut c, query).await?;
        convert(rows)
    }

    // ----- records, a page at a time ------------------------------------------------

    async fn batch_page(&self, lab: LabId, page: Page) -> Result<Vec<ImportBatch>, StoreError> {
        let sql = format!(
            "select {BATCH_COLUMNS} from import_batches
             where lab_id = $1 and id < $2 order by id desc limit $3"
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .arg(lab)
            .arg(page.after.unwrap_or(i64::MAX))
            .arg(page.sql_limit());
        let mut c = self.pool.acquire().await?;
        let rows: Vec<BatchRow> = fetch_all(&mut c, query).await?;
        convert(rows)
    }

    async fn instruments(
        &self,
        lab: LabId,
        filter: &InstrumentFilter,
        page: Page,
    ) -> Result<Vec<InstrumentRecord>, StoreError> {
        let mut query = records::instruments(lab, filter, page);
        let mut c = self.pool.acquire().await?;
        let rows: Vec<InstrumentRow> = fetch_all(&mut c, query.build()).await?;
        convert(rows)
    }

    async fn instrument(&self, lab: LabId, id: i64) -> Result<InstrumentHistory, StoreError> {
        self.read_instrument(lab, id).await
    }

    async fn inspections(
        &self,
        lab: LabId,
        filter: &InspectionFilter,
        page: Page,
    ) -> Result<Vec<InspectionRecord>, StoreError> {
        let mut query = records::inspections(lab, filter, page);
        let mut c = self.pool.acquire().await?;
        let rows: Vec<InspectionRow> = fetch_all(&mut c, query.build()).await?;
        files::records(&mut c, lab, rows).await
    }

    async fn inspection(&self, lab: LabId, id: i64) -> Result<InspectionRecord, StoreError> {
        let sql = format!("{INSPECTION_SELECT} where s.lab_id = $1 and s.id = $2");
        let mut c = self.pool.acquire().await?;
        let row: Option<InspectionRow> = fetch_optional(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        let row = not_found(row, || format!("inspection {id}"))?;
        files::record(&mut c, lab, row).await
    }

    async fn earthing_points(
        &self,
        lab: LabId,
        filter: &PointFilter,
        page: Page,
    ) -> Result<Vec<EarthingPointRecord>, StoreError> {
        let mut query = records::earthing_points(lab, filter, page);
        let mut c = self.pool.acquire().await?;
        let rows: Vec<PointRow> = fetch_all(&mut c, query.build()).await?;
        let points: Vec<EarthingPointRecord> = convert(rows)?;
        // The exact verdict, on decimals (see `Backend::OVER_LIMIT`).
        Ok(points
            .into_iter()
            .filter(|p| !filter.over_limit || p.last_pass == Some(false))
            .collect())
    }

    async fn count_inspections(
        &self,
        lab: LabId,
        filter: &InspectionFilter,
    ) -> Result<u64, StoreError> {
        let mut query = records::count_inspections::<DB>(lab, filter);
        let mut c = self.pool.acquire().await?;
        let (n,): (i64,) = fetch_one(&mut c, query.build()).await?;
        Ok(u64_of(n))
    }

    async fn count_earthing_tests(
        &self,
        lab: LabId,
        filter: &EarthingTestFilter,
    ) -> Result<u64, StoreError> {
        let mut query = records::count_earthing_tests::<DB>(lab, filter);
        let mut c = self.pool.acquire().await?;
        let (n,): (i64,) = fetch_one(&mut c, query.build()).await?;
        Ok(u64_of(n))
    }

    async fn latest_record_date(&self, lab: LabId) -> Result<Option<NaiveDate>, StoreError> {
        self.read_latest_record_date(lab).await
    }

    async fn inspected_instruments(
        &self,
        lab: LabId,
        from: NaiveDate,
        to: NaiveDate,
        category: Option<&CategoryCode>,
        page: Page,
    ) -> Result<CountedPage<InspectedInstrument>, StoreError> {
        self.read_inspected_instruments(lab, from, to, category, page)
            .await
    }

    async fn measured_points(
        &self,
        lab: LabId,
        from: NaiveDate,
        to: NaiveDate,
        page: Page,
    ) -> Result<CountedPage<MeasuredPoint>, StoreError> {
        self.read_measured_points(lab, from, to, page).await
    }

    async fn earthing_point(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<EarthingPointHistory, StoreError> {
        self.read_earthing_point(lab, id).await
    }

    async fn earthing_tests(
        &self,
        lab: LabId,
        filter: &EarthingTestFilter,
        page: Page,
    ) -> Result<Vec<EarthingTestRecord>, StoreError> {
        let mut query = records::earthing_tests(lab, filter, page);
        let mut c = self.pool.acquire().await?;
        let rows: Vec<TestRow> = fetch_all(&mut c, query.build()).await?;
        files::records(&mut c, lab, rows).await
    }
}
