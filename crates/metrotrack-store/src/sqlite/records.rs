//! Reading records back on SQLite: lists a page at a time (keyset on id) and histories.

use metrotrack_core::{CategoryCode, ImportBatch, LabId};
use rust_decimal::Decimal;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, Row, Sqlite};

use super::{SqliteStore, batch_from_row, corrupt, parse_stored};
use crate::StoreError;
use crate::records::{
    EarthingPointHistory, EarthingPointRecord, EarthingTestFilter, EarthingTestRecord,
    InspectionFilter, InspectionRecord, InstrumentFilter, InstrumentHistory, InstrumentRecord,
    Page, PointFilter,
};

/// A `where` clause built from optional filters, with its arguments in order.
struct Conditions {
    sql: String,
    args: SqliteArguments,
}

impl Conditions {
    fn new(first: &str, lab: LabId) -> Result<Self, StoreError> {
        let mut c = Self {
            sql: format!(" where {first}"),
            args: SqliteArguments::default(),
        };
        c.bind(lab)?;
        Ok(c)
    }

    fn bind<T>(&mut self, value: T) -> Result<(), StoreError>
    where
        T: for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send + 'static,
    {
        self.args
            .add(value)
            .map_err(|e| StoreError::Database(sqlx::Error::Encode(e)))
    }

    /// Adds ` and <clause>` binding `value` to its one `?`.
    fn and<T>(&mut self, clause: &str, value: T) -> Result<(), StoreError>
    where
        T: for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send + 'static,
    {
        self.sql.push_str(" and ");
        self.sql.push_str(clause);
        self.bind(value)
    }

    fn and_plain(&mut self, clause: &str) {
        self.sql.push_str(" and ");
        self.sql.push_str(clause);
    }
}

/// `%text%` for `like … escape '\'`, with the wildcards in `text` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn category_of(row: &SqliteRow, column: &str) -> Result<CategoryCode, StoreError> {
    let code: String = row.try_get(column)?;
    CategoryCode::parse(&code).map_err(|_| corrupt(format_args!("{column} = {code:?}")))
}

/// A record's original observations as header → value (see [`rules::original_object`]).
fn original_of(row: &SqliteRow) -> Result<serde_json::Value, StoreError> {
    let original: Option<String> = row.try_get("original")?;
    let columns: Option<String> = row.try_get("original_columns")?;
    crate::rules::original_object(original.as_deref(), columns.as_deref())
        .map_err(|e| corrupt(format_args!("original: {e}")))
}

fn decimal_of(column: &str, text: &str) -> Result<Decimal, StoreError> {
    parse_stored(column, text)
}

const INSTRUMENT_COLUMNS: &str = "i.id, i.category_code, i.serial_number, i.manufacturer, \
     i.model, i.owner, i.measuring_range, i.accuracy_class, i.created_at, i.created_batch_id";

fn instrument_from_row(row: &SqliteRow) -> Result<InstrumentRecord, StoreError> {
    Ok(InstrumentRecord {
        id: row.try_get("id")?,
        category: category_of(row, "category_code")?,
        serial_number: row.try_get("serial_number")?,
        manufacturer: row.try_get("manufacturer")?,
        model: row.try_get("model")?,
        owner: row.try_get("owner")?,
        measuring_range: row.try_get("measuring_range")?,
        accuracy_class: row.try_get("accuracy_class")?,
        created_at: row.try_get("created_at")?,
        created_batch_id: row.try_get("created_batch_id")?,
    })
}

const INSPECTION_SELECT: &str = "select s.id, s.instrument_id, s.category_code, \
     i.serial_number, s.kind, s.inspected_on, s.verification_type, s.procedure, s.result, \
     s.error_percent, s.certificate_no, s.stamp_no, s.valid_until, s.technician, \
     s.checked_by, s.notes, s.batch_id, s.source_line, s.original, b.original_columns, s.version, s.voided_at, \
     s.created_at from inspections s join instruments i on i.id = s.instrument_id \
     left join import_batches b on b.id = s.batch_id";

fn inspection_from_row(row: &SqliteRow) -> Result<InspectionRecord, StoreError> {
    let kind: String = row.try_get("kind")?;
    let result: Option<String> = row.try_get("result")?;
    Ok(InspectionRecord {
        id: row.try_get("id")?,
        instrument_id: row.try_get("instrument_id")?,
        category: category_of(row, "category_code")?,
        serial_number: row.try_get("serial_number")?,
        kind: parse_stored("inspections.kind", &kind)?,
        inspected_on: row.try_get("inspected_on")?,
        verification_type: row.try_get("verification_type")?,
        procedure: row.try_get("procedure")?,
        result: result
            .map(|r| parse_stored("inspections.result", &r))
            .transpose()?,
        error_percent: row.try_get("error_percent")?,
        certificate_no: row.try_get("certificate_no")?,
        stamp_no: row.try_get("stamp_no")?,
        valid_until: row.try_get("valid_until")?,
        technician: row.try_get("technician")?,
        checked_by: row.try_get("checked_by")?,
        notes: row.try_get("notes")?,
        batch_id: row.try_get("batch_id")?,
        source_line: row.try_get("source_line")?,
        original: original_of(row)?,
        version: row.try_get("version")?,
        voided_at: row.try_get("voided_at")?,
        created_at: row.try_get("created_at")?,
    })
}

const POINT_SELECT: &str = "select p.id, p.site, p.code, p.system, p.limit_ohm, p.created_at, \
     t.tested_on as last_tested_on, t.resistance_ohm as last_resistance_ohm, \
     t.limit_ohm as last_limit_ohm \
     from earthing_points p \
     left join earthing_tests t on t.id = (select x.id from earthing_tests x \
         where x.point_id = p.id and x.voided_at is null \
         order by x.tested_on desc, x.id desc limit 1)";

fn point_from_row(row: &SqliteRow) -> Result<EarthingPointRecord, StoreError> {
    let last: Option<String> = row.try_get("last_resistance_ohm")?;
    let last_limit: Option<String> = row.try_get("last_limit_ohm")?;
    let last_pass = match (&last, &last_limit) {
        (Some(r), Some(l)) => Some(
            decimal_of("earthing_tests.resistance_ohm", r)?
                <= decimal_of("earthing_tests.limit_ohm", l)?,
        ),
        _ => None,
    };
    Ok(EarthingPointRecord {
        id: row.try_get("id")?,
        site: row.try_get("site")?,
        code: row.try_get("code")?,
        system: row.try_get("system")?,
        limit_ohm: row.try_get("limit_ohm")?,
        created_at: row.try_get("created_at")?,
        last_tested_on: row.try_get("last_tested_on")?,
        last_resistance_ohm: last,
        last_pass,
    })
}

const TEST_SELECT: &str = "select t.id, t.point_id, p.site, p.code as point_code, t.tested_on, \
     t.resistance_ohm, t.limit_ohm, t.method, t.tester_serial, t.weather, t.technician, \
     t.notes, t.batch_id, t.source_line, t.original, b.original_columns, t.version, t.voided_at, \
     t.created_at from earthing_tests t join earthing_points p on p.id = t.point_id \
     left join import_batches b on b.id = t.batch_id";

fn test_from_row(row: &SqliteRow) -> Result<EarthingTestRecord, StoreError> {
    let resistance: String = row.try_get("resistance_ohm")?;
    let limit: String = row.try_get("limit_ohm")?;
    let pass = decimal_of("earthing_tests.resistance_ohm", &resistance)?
        <= decimal_of("earthing_tests.limit_ohm", &limit)?;
    Ok(EarthingTestRecord {
        id: row.try_get("id")?,
        point_id: row.try_get("point_id")?,
        site: row.try_get("site")?,
        point_code: row.try_get("point_code")?,
        tested_on: row.try_get("tested_on")?,
        resistance_ohm: resistance,
        limit_ohm: limit,
        pass,
        method: row.try_get("method")?,
        tester_serial: row.try_get("tester_serial")?,
        weather: row.try_get("weather")?,
        technician: row.try_get("technician")?,
        notes: row.try_get("notes")?,
        batch_id: row.try_get("batch_id")?,
        source_line: row.try_get("source_line")?,
        original: original_of(row)?,
        version: row.try_get("version")?,
        voided_at: row.try_get("voided_at")?,
        created_at: row.try_get("created_at")?,
        rose: None,
    })
}

/// Flags each valid test whose resistance is above the previous valid test's.
fn flag_rises(tests: &mut [EarthingTestRecord]) -> Result<(), StoreError> {
    let mut previous: Option<Decimal> = None;
    for test in tests.iter_mut().filter(|t| t.voided_at.is_none()) {
        let r = decimal_of("earthing_tests.resistance_ohm", &test.resistance_ohm)?;
        test.rose = Some(previous.is_some_and(|p| r > p));
        previous = Some(r);
    }
    Ok(())
}

impl SqliteStore {
    async fn fetch(
        &self,
        sql: String,
        args: SqliteArguments,
    ) -> Result<Vec<SqliteRow>, StoreError> {
        Ok(sqlx::query_with(AssertSqlSafe(sql), args)
            .fetch_all(&self.pool)
            .await?)
    }

    pub(super) async fn batch_page_impl(
        &self,
        lab: LabId,
        page: Page,
    ) -> Result<Vec<ImportBatch>, StoreError> {
        sqlx::query(
            "select * from import_batches where lab_id = ? and id < ? order by id desc limit ?",
        )
        .bind(lab)
        .bind(page.after.unwrap_or(i64::MAX))
        .bind(page.sql_limit())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(batch_from_row)
        .collect()
    }

    pub(super) async fn instruments_impl(
        &self,
        lab: LabId,
        filter: &InstrumentFilter,
        page: Page,
    ) -> Result<Vec<InstrumentRecord>, StoreError> {
        let mut c = Conditions::new("i.lab_id = ?", lab)?;
        c.and("i.id > ?", page.after.unwrap_or(0))?;
        if let Some(category) = &filter.category {
            c.and("i.category_code = ?", category.as_str().to_owned())?;
        }
        if let Some(serial) = &filter.serial {
            let key = metrotrack_core::text::identity_key(serial);
            c.and("i.serial_key like ? escape '\\'", contains_pattern(&key))?;
        }
        if let Some(owner) = &filter.owner {
            c.and("i.owner like ? escape '\\'", contains_pattern(owner.trim()))?;
        }
        if let Some(q) = &filter.search {
            let key = metrotrack_core::text::identity_key(q);
            c.and_plain("(i.serial_key like ? escape '\\' or i.owner like ? escape '\\')");
            c.bind(contains_pattern(&key))?;
            c.bind(contains_pattern(q.trim()))?;
        }
        c.bind(page.sql_limit())?;
        let sql = format!(
            "select {INSTRUMENT_COLUMNS} from instruments i{} order by i.id limit ?",
            c.sql
        );
        self.fetch(sql, c.args)
            .await?
            .iter()
            .map(instrument_from_row)
            .collect()
    }

    pub(super) async fn instrument_impl(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<InstrumentHistory, StoreError> {
        let sql = format!(
            "select {INSTRUMENT_COLUMNS} from instruments i where i.lab_id = ? and i.id = ?"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(lab)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("instrument {id}")))?;
        let instrument = instrument_from_row(&row)?;
        let sql = format!(
            "{INSPECTION_SELECT} where s.lab_id = ? and s.instrument_id = ?
             order by s.inspected_on, s.id"
        );
        let inspections = sqlx::query(AssertSqlSafe(sql))
            .bind(lab)
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(inspection_from_row)
            .collect::<Result<_, _>>()?;
        Ok(InstrumentHistory {
            instrument,
            inspections,
        })
    }

    pub(super) async fn inspections_impl(
        &self,
        lab: LabId,
        filter: &InspectionFilter,
        page: Page,
    ) -> Result<Vec<InspectionRecord>, StoreError> {
        let mut c = Conditions::new("s.lab_id = ?", lab)?;
        c.and("s.id > ?", page.after.unwrap_or(0))?;
        if !filter.include_voided {
            c.and_plain("s.voided_at is null");
        }
        if let Some(from) = filter.from {
            c.and("s.inspected_on >= ?", from)?;
        }
        if let Some(to) = filter.to {
            c.and("s.inspected_on <= ?", to)?;
        }
        if let Some(category) = &filter.category {
            c.and("s.category_code = ?", category.as_str().to_owned())?;
        }
        if let Some(kind) = filter.kind {
            c.and("s.kind = ?", kind.as_str())?;
        }
        if let Some(result) = filter.result {
            c.and("s.result = ?", result.as_str())?;
        }
        if let Some(technician) = &filter.technician {
            c.and("s.technician = ?", technician.trim().to_owned())?;
        }
        if let Some(instrument) = filter.instrument_id {
            c.and("s.instrument_id = ?", instrument)?;
        }
        if let Some(batch) = filter.batch_id {
            c.and("s.batch_id = ?", batch)?;
        }
        c.bind(page.sql_limit())?;
        let sql = format!("{INSPECTION_SELECT}{} order by s.id limit ?", c.sql);
        self.fetch(sql, c.args)
            .await?
            .iter()
            .map(inspection_from_row)
            .collect()
    }

    pub(super) async fn inspection_impl(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<InspectionRecord, StoreError> {
        let sql = format!("{INSPECTION_SELECT} where s.lab_id = ? and s.id = ?");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(lab)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("inspection {id}")))?;
        inspection_from_row(&row)
    }

    pub(super) async fn earthing_points_impl(
        &self,
        lab: LabId,
        filter: &PointFilter,
        page: Page,
    ) -> Result<Vec<EarthingPointRecord>, StoreError> {
        let mut c = Conditions::new("p.lab_id = ?", lab)?;
        c.and("p.id > ?", page.after.unwrap_or(0))?;
        if let Some(q) = &filter.search {
            c.and_plain("(p.site like ? escape '\\' or p.code like ? escape '\\')");
            c.bind(contains_pattern(q.trim()))?;
            c.bind(contains_pattern(q.trim()))?;
        }
        if filter.over_limit {
            // A coarse test in SQL; the exact verdict is decided on decimals below.
            c.and_plain("cast(t.resistance_ohm as real) > cast(t.limit_ohm as real)");
        }
        c.bind(page.sql_limit())?;
        let sql = format!("{POINT_SELECT}{} order by p.id limit ?", c.sql);
        let points: Vec<EarthingPointRecord> = self
            .fetch(sql, c.args)
            .await?
            .iter()
            .map(point_from_row)
            .collect::<Result<_, _>>()?;
        Ok(if filter.over_limit {
            points
                .into_iter()
                .filter(|p| p.last_pass == Some(false))
                .collect()
        } else {
            points
        })
    }

    pub(super) async fn earthing_point_impl(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<EarthingPointHistory, StoreError> {
        let sql = format!("{POINT_SELECT} where p.lab_id = ? and p.id = ?");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(lab)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("earthing point {id}")))?;
        let point = point_from_row(&row)?;
        let sql = format!(
            "{TEST_SELECT} where t.lab_id = ? and t.point_id = ? order by t.tested_on, t.id"
        );
        let mut tests: Vec<EarthingTestRecord> = sqlx::query(AssertSqlSafe(sql))
            .bind(lab)
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(test_from_row)
            .collect::<Result<_, _>>()?;
        flag_rises(&mut tests)?;
        Ok(EarthingPointHistory { point, tests })
    }

    pub(super) async fn earthing_tests_impl(
        &self,
        lab: LabId,
        filter: &EarthingTestFilter,
        page: Page,
    ) -> Result<Vec<EarthingTestRecord>, StoreError> {
        let mut c = Conditions::new("t.lab_id = ?", lab)?;
        c.and("t.id > ?", page.after.unwrap_or(0))?;
        if !filter.include_voided {
            c.and_plain("t.voided_at is null");
        }
        if let Some(from) = filter.from {
            c.and("t.tested_on >= ?", from)?;
        }
        if let Some(to) = filter.to {
            c.and("t.tested_on <= ?", to)?;
        }
        if let Some(point) = filter.point_id {
            c.and("t.point_id = ?", point)?;
        }
        if let Some(technician) = &filter.technician {
            c.and("t.technician = ?", technician.trim().to_owned())?;
        }
        if let Some(batch) = filter.batch_id {
            c.and("t.batch_id = ?", batch)?;
        }
        c.bind(page.sql_limit())?;
        let sql = format!("{TEST_SELECT}{} order by t.id limit ?", c.sql);
        self.fetch(sql, c.args)
            .await?
            .iter()
            .map(test_from_row)
            .collect()
    }
}
