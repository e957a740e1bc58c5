//! The lists behind the figures (the instruments inspected and the points measured in
//! a period, each with its count), the latest date with records, and the history of one
//! instrument or earthing point.

use chrono::NaiveDate;
use metrotrack_core::{CategoryCode, LabId};

use super::rows::{
    INSPECTION_SELECT, INSTRUMENT_COLUMNS, InspectionRow, InstrumentRow, POINT_COLUMNS, PointRow,
    TEST_SELECT, TestRow, flag_rises,
};
use super::store::{convert, not_found};
use super::{Arg, Backend, SqlStore, fetch_all, fetch_one, fetch_optional, files, records, u64_of};
use crate::StoreError;
use crate::records::{
    CountedPage, EarthingPointHistory, EarthingPointRecord, EarthingTestRecord,
    InspectedInstrument, InstrumentHistory, InstrumentRecord, MeasuredPoint, Page,
};

impl<DB: Backend> SqlStore<DB> {
    pub(crate) async fn read_instrument(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<InstrumentHistory, StoreError> {
        let sql = format!(
            "select {INSTRUMENT_COLUMNS} from instruments i where i.lab_id = $1 and i.id = $2"
        );
        let mut c = self.pool.acquire().await?;
        let row: Option<InstrumentRow> = fetch_optional(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        let instrument = not_found(row, || format!("instrument {id}"))?.try_into()?;
        let sql = format!(
            "{INSPECTION_SELECT} where s.lab_id = $1 and s.instrument_id = $2{}
             order by s.inspected_on, s.id",
            DB::LIVE_OR_VOIDED
        );
        let rows: Vec<InspectionRow> = fetch_all(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        Ok(InstrumentHistory {
            instrument,
            inspections: files::records(&mut c, lab, rows).await?,
        })
    }

    pub(crate) async fn read_latest_record_date(
        &self,
        lab: LabId,
    ) -> Result<Option<NaiveDate>, StoreError> {
        let mut c = self.pool.acquire().await?;
        let (inspected,): (Option<NaiveDate>,) = fetch_one(
            &mut c,
            sqlx::query(
                "select max(inspected_on) from inspections
                 where lab_id = $1 and voided_at is null",
            )
            .arg(lab),
        )
        .await?;
        let (tested,): (Option<NaiveDate>,) = fetch_one(
            &mut c,
            sqlx::query(
                "select max(tested_on) from earthing_tests
                 where lab_id = $1 and voided_at is null",
            )
            .arg(lab),
        )
        .await?;
        Ok(inspected.max(tested))
    }

    pub(crate) async fn read_inspected_instruments(
        &self,
        lab: LabId,
        from: NaiveDate,
        to: NaiveDate,
        category: Option<&CategoryCode>,
        page: Page,
    ) -> Result<CountedPage<InspectedInstrument>, StoreError> {
        let in_category = if category.is_some() {
            " and s.category_code = $4"
        } else {
            ""
        };
        let span = format!(
            "from inspections s where s.lab_id = $1 and s.inspected_on between $2 and $3
               and s.voided_at is null{in_category}"
        );
        let next = if category.is_some() { 5 } else { 4 };
        let bind = |sql: String| {
            let q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(lab)
                .arg(from)
                .arg(to);
            match category {
                Some(code) => q.arg(code.as_str().to_owned()),
                None => q,
            }
        };
        let mut c = self.pool.acquire().await?;
        let (total,): (i64,) = fetch_one(
            &mut c,
            bind(format!("select count(distinct s.instrument_id) {span}")),
        )
        .await?;
        let counts: Vec<(i64, i64)> = fetch_all(
            &mut c,
            bind(format!(
                "select s.instrument_id, count(*) {span} and s.instrument_id > ${next}
                 group by s.instrument_id order by s.instrument_id limit ${}",
                next + 1
            ))
            .arg(page.after.unwrap_or(0))
            .arg(page.sql_limit()),
        )
        .await?;
        let ids: Vec<i64> = counts.iter().map(|(id, _)| *id).collect();
        let mut query = records::instruments_by_id::<DB>(lab, &ids);
        let rows: Vec<InstrumentRow> = if ids.is_empty() {
            Vec::new()
        } else {
            fetch_all(&mut c, query.build()).await?
        };
        let instruments: Vec<InstrumentRecord> = convert(rows)?;
        let items = records::counted(counts, instruments, |i| i.id)
            .into_iter()
            .map(|(instrument, n)| InspectedInstrument {
                instrument,
                inspections: n,
            })
            .collect();
        Ok(CountedPage {
            total: u64_of(total),
            items,
        })
    }

    pub(crate) async fn read_measured_points(
        &self,
        lab: LabId,
        from: NaiveDate,
        to: NaiveDate,
        page: Page,
    ) -> Result<CountedPage<MeasuredPoint>, StoreError> {
        let span = "from earthing_tests t where t.lab_id = $1 and t.tested_on between $2 and $3
               and t.voided_at is null";
        let bind = |sql: String| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(lab)
                .arg(from)
                .arg(to)
        };
        let mut c = self.pool.acquire().await?;
        let (total,): (i64,) = fetch_one(
            &mut c,
            bind(format!("select count(distinct t.point_id) {span}")),
        )
        .await?;
        let counts: Vec<(i64, i64)> = fetch_all(
            &mut c,
            bind(format!(
                "select t.point_id, count(*) {span} and t.point_id > $4
                 group by t.point_id order by t.point_id limit $5"
            ))
            .arg(page.after.unwrap_or(0))
            .arg(page.sql_limit()),
        )
        .await?;
        let ids: Vec<i64> = counts.iter().map(|(id, _)| *id).collect();
        let mut query = records::points_by_id::<DB>(lab, &ids);
        let rows: Vec<PointRow> = if ids.is_empty() {
            Vec::new()
        } else {
            fetch_all(&mut c, query.build()).await?
        };
        let points: Vec<EarthingPointRecord> = convert(rows)?;
        let items = records::counted(counts, points, |p| p.id)
            .into_iter()
            .map(|(point, n)| MeasuredPoint { point, tests: n })
            .collect();
        Ok(CountedPage {
            total: u64_of(total),
            items,
        })
    }

    pub(crate) async fn read_earthing_point(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<EarthingPointHistory, StoreError> {
        let sql = format!(
            "{POINT_COLUMNS} {} where p.lab_id = $1 and p.id = $2",
            DB::POINTS_WITH_LATEST_TEST
        );
        let mut c = self.pool.acquire().await?;
        let row: Option<PointRow> = fetch_optional(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        let point = not_found(row, || format!("earthing point {id}"))?.try_into()?;
        let sql = format!(
            "{TEST_SELECT} where t.lab_id = $1 and t.point_id = $2 order by t.tested_on, t.id"
        );
        let rows: Vec<TestRow> = fetch_all(
            &mut c,
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(lab).arg(id),
        )
        .await?;
        let mut tests: Vec<EarthingTestRecord> = files::records(&mut c, lab, rows).await?;
        flag_rises(&mut tests)?;
        Ok(EarthingPointHistory { point, tests })
    }
}
