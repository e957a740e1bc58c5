//! Reading records back on PostgreSQL: the same lists (keyset on id) and histories as
//! `sqlite/records.rs`, with `numeric` values read as exact decimals.

use metrotrack_core::{CategoryCode, ImportBatch, LabId};
use rust_decimal::Decimal;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Arguments, AssertSqlSafe, Postgres, Row};

use super::{BATCH_COLUMNS, PgStore, batch_from_row};
use crate::StoreError;
use crate::records::{
    EarthingPointHistory, EarthingPointRecord, EarthingTestFilter, EarthingTestRecord,
    InspectionFilter, InspectionRecord, InstrumentFilter, InstrumentHistory, InstrumentRecord,
    Page, PointFilter,
};
use crate::sqlite::{corrupt, parse_stored};

/// A `where` clause built from optional filters, with its arguments in order. Clauses
/// are written with `?`; each becomes the next `$n`.
struct Conditions {
    sql: String,
    args: PgArguments,
    next: usize,
}

impl Conditions {
    fn new(first: &str, lab: LabId) -> Result<Self, StoreError> {
        let mut c = Self {
            sql: " where ".to_owned(),
            args: PgArguments::default(),
            next: 1,
        };
        c.push(first);
        c.bind(lab)?;
        Ok(c)
    }

    /// Appends `clause`, numbering its `?` placeholders.
    fn push(&mut self, clause: &str) {
        for ch in clause.chars() {
            if ch == '?' {
                self.sql.push_str(&format!("${}", self.next));
                self.next += 1;
            } else {
                self.sql.push(ch);
            }
        }
    }

    fn bind<T>(&mut self, value: T) -> Result<(), StoreError>
    where
        T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send + 'static,
    {
        self.args
            .add(value)
            .map_err(|e| StoreError::Database(sqlx::Error::Encode(e)))
    }

    /// Adds ` and <clause>` binding `value` to its one `?`.
    fn and<T>(&mut self, clause: &str, value: T) -> Result<(), StoreError>
    where
        T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send + 'static,
    {
        self.and_plain(clause);
        self.bind(value)
    }

    fn and_plain(&mut self, clause: &str) {
        self.sql.push_str(" and ");
        self.push(clause);
    }

    /// ` order by <order> limit $n`, binding the page's limit.
    fn finish(mut self, order: &str, page: Page) -> Result<(String, PgArguments), StoreError> {
        self.sql.push_str(" order by ");
        self.sql.push_str(order);
        self.push(" limit ?");
        self.bind(page.sql_limit())?;
        Ok((self.sql, self.args))
    }
}

/// `%text%` for `ilike`, with the wildcards in `text` taken literally (backslash is
/// PostgreSQL's default escape).
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

fn category_of(row: &PgRow, column: &str) -> Result<CategoryCode, StoreError> {
    let code: String = row.try_get(column)?;
    CategoryCode::parse(&code).map_err(|_| corrupt(format_args!("{column} = {code:?}")))
}

/// A `jsonb` column selected as `…::text`.
/// A record's original observations as header → value (see [`rules::original_object`]).
fn original_of(row: &PgRow) -> Result<serde_json::Value, StoreError> {
    let original: Option<String> = row.try_get("original")?;
    let columns: Option<String> = row.try_get("original_columns")?;
    crate::rules::original_object(original.as_deref(), columns.as_deref())
        .map_err(|e| corrupt(format_args!("original: {e}")))
}

/// A `numeric` column as its canonical text (the written scale kept: 2.50).
fn decimal_text(row: &PgRow, column: &str) -> Result<String, StoreError> {
    let value: Decimal = row.try_get(column)?;
    Ok(value.to_string())
}

fn optional_decimal_text(row: &PgRow, column: &str) -> Result<Option<String>, StoreError> {
    let value: Option<Decimal> = row.try_get(column)?;
    Ok(value.map(|d| d.to_string()))
}

const INSTRUMENT_COLUMNS: &str = "i.id, i.category_code, i.serial_number, i.manufacturer, \
     i.model, i.owner, i.measuring_range, i.accuracy_class, i.created_at, i.created_batch_id";

fn instrument_from_row(row: &PgRow) -> Result<InstrumentRecord, StoreError> {
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
     s.checked_by, s.notes, s.batch_id, s.source_line, s.original::text as original, \
     b.original_columns::text as original_columns, s.version::bigint as version, s.voided_at, s.created_at \
     from inspections s join instruments i on i.lab_id = s.lab_id and i.id = s.instrument_id \
     left join import_batches b on b.lab_id = s.lab_id and b.id = s.batch_id";

fn inspection_from_row(row: &PgRow) -> Result<InspectionRecord, StoreError> {
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
        error_percent: optional_decimal_text(row, "error_percent")?,
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
     left join lateral (select x.tested_on, x.resistance_ohm, x.limit_ohm \
         from earthing_tests x \
         where x.lab_id = p.lab_id and x.point_id = p.id and x.voided_at is null \
         order by x.tested_on desc, x.id desc limit 1) t on true";

fn point_from_row(row: &PgRow) -> Result<EarthingPointRecord, StoreError> {
    let last: Option<Decimal> = row.try_get("last_resistance_ohm")?;
    let last_limit: Option<Decimal> = row.try_get("last_limit_ohm")?;
    let last_pass = match (last, last_limit) {
        (Some(r), Some(l)) => Some(r <= l),
        _ => None,
    };
    Ok(EarthingPointRecord {
        id: row.try_get("id")?,
        site: row.try_get("site")?,
        code: row.try_get("code")?,
        system: row.try_get("system")?,
        limit_ohm: decimal_text(row, "limit_ohm")?,
        created_at: row.try_get("created_at")?,
        last_tested_on: row.try_get("last_tested_on")?,
        last_resistance_ohm: last.map(|d| d.to_string()),
        last_pass,
    })
}

const TEST_SELECT: &str = "select t.id, t.point_id, p.site, p.code as point_code, t.tested_on, \
     t.resistance_ohm, t.limit_ohm, t.method, t.tester_serial, t.weather, t.technician, \
     t.notes, t.batch_id, t.source_line, t.original::text as original, \
     b.original_columns::text as original_columns, t.version::bigint as version, t.voided_at, t.created_at \
     from earthing_tests t join earthing_points p on p.lab_id = t.lab_id and p.id = t.point_id \
     left join import_batches b on b.lab_id = t.lab_id and b.id = t.batch_id";

fn test_from_row(row: &PgRow) -> Result<EarthingTestRecord, StoreError> {
    let resistance: Decimal = row.try_get("resistance_ohm")?;
    let limit: Decimal = row.try_get("limit_ohm")?;
    Ok(EarthingTestRecord {
        id: row.try_get("id")?,
        point_id: row.try_get("point_id")?,
        site: row.try_get("site")?,
        point_code: row.try_get("point_code")?,
        tested_on: row.try_get("tested_on")?,
        resistance_ohm: resistance.to_string(),
        limit_ohm: limit.to_string(),
        pass: resistance <= limit,
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
        let r: Decimal = parse_stored("earthing_tests.resistance_ohm", &test.resistance_ohm)?;
        test.rose = Some(previous.is_some_and(|p| r > p));
        previous = Some(r);
    }
    Ok(())
}

impl PgStore {
    async fn fetch(&self, sql: String, args: PgArguments) -> Result<Vec<PgRow>, StoreError> {
        Ok(sqlx::query_with(AssertSqlSafe(sql), args)
            .fetch_all(&self.pool)
            .await?)
    }

    pub(super) async fn batch_page_impl(
        &self,
        lab: LabId,
        page: Page,
    ) -> Result<Vec<ImportBatch>, StoreError> {
        let sql = format!(
            "select {BATCH_COLUMNS} from import_batches
             where lab_id = $1 and id < $2 order by id desc limit $3"
        );
        sqlx::query(AssertSqlSafe(sql))
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
            c.and("i.serial_key ilike ?", contains_pattern(&key))?;
        }
        if let Some(owner) = &filter.owner {
            c.and("i.owner ilike ?", contains_pattern(owner.trim()))?;
        }
        if let Some(q) = &filter.search {
            let key = metrotrack_core::text::identity_key(q);
            c.and_plain("(i.serial_key ilike ? or i.owner ilike ?)");
            c.bind(contains_pattern(&key))?;
            c.bind(contains_pattern(q.trim()))?;
        }
        let (conditions, args) = c.finish("i.id", page)?;
        let sql = format!("select {INSTRUMENT_COLUMNS} from instruments i{conditions}");
        self.fetch(sql, args)
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
            "select {INSTRUMENT_COLUMNS} from instruments i where i.lab_id = $1 and i.id = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(lab)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("instrument {id}")))?;
        let instrument = instrument_from_row(&row)?;
        let sql = format!(
            "{INSPECTION_SELECT} where s.lab_id = $1 and s.instrument_id = $2
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
        let (conditions, args) = c.finish("s.id", page)?;
        let sql = format!("{INSPECTION_SELECT}{conditions}");
        self.fetch(sql, args)
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
        let sql = format!("{INSPECTION_SELECT} where s.lab_id = $1 and s.id = $2");
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
            c.and_plain("(p.site ilike ? or p.code ilike ?)");
            c.bind(contains_pattern(q.trim()))?;
            c.bind(contains_pattern(q.trim()))?;
        }
        if filter.over_limit {
            // Exact on `numeric`.
            c.and_plain("t.resistance_ohm > t.limit_ohm");
        }
        let (conditions, args) = c.finish("p.id", page)?;
        let sql = format!("{POINT_SELECT}{conditions}");
        self.fetch(sql, args)
            .await?
            .iter()
            .map(point_from_row)
            .collect()
    }

    pub(super) async fn earthing_point_impl(
        &self,
        lab: LabId,
        id: i64,
    ) -> Result<EarthingPointHistory, StoreError> {
        let sql = format!("{POINT_SELECT} where p.lab_id = $1 and p.id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(lab)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("earthing point {id}")))?;
        let point = point_from_row(&row)?;
        let sql = format!(
            "{TEST_SELECT} where t.lab_id = $1 and t.point_id = $2 order by t.tested_on, t.id"
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
        let (conditions, args) = c.finish("t.id", page)?;
        let sql = format!("{TEST_SELECT}{conditions}");
        self.fetch(sql, args)
            .await?
            .iter()
            .map(test_from_row)
            .collect()
    }
}
