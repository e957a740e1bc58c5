//! The record lists' filters, as queries: one `where` clause per list, built with
//! [`QueryBuilder`] from the filters that are set, keyset-paged on id.

use metrotrack_core::LabId;
use metrotrack_core::text::identity_key;
use sqlx::QueryBuilder;

use super::rows::{INSPECTION_SELECT, INSTRUMENT_COLUMNS, POINT_COLUMNS, TEST_SELECT};
use super::{Backend, PushArg};
use crate::records::{EarthingTestFilter, InspectionFilter, InstrumentFilter, Page, PointFilter};

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

/// `select … where <alias>.lab_id = $1 and <alias>.id > $2`: the page's first rows.
fn start<DB: Backend>(select: &str, alias: &str, lab: LabId, page: Page) -> QueryBuilder<DB> {
    let mut q = QueryBuilder::new(format!("{select} where {alias}.lab_id = "));
    q.push_arg(lab);
    q.push(format!(" and {alias}.id > "));
    q.push_arg(page.after.unwrap_or(0));
    q
}

/// ` and <column> like '%text%'`, ignoring case.
fn contains<DB: Backend>(q: &mut QueryBuilder<DB>, column: &str, text: &str) {
    q.push(format!(" and {column} {} ", DB::ILIKE));
    q.push_arg(contains_pattern(text));
    q.push(" escape '\\'");
}

/// ` and (<a> like '%text%' or <b> like '%text%')`, ignoring case.
fn either_contains<DB: Backend>(q: &mut QueryBuilder<DB>, a: (&str, &str), b: (&str, &str)) {
    q.push(format!(" and ({} {} ", a.0, DB::ILIKE));
    q.push_arg(contains_pattern(a.1));
    q.push(format!(" escape '\\' or {} {} ", b.0, DB::ILIKE));
    q.push_arg(contains_pattern(b.1));
    q.push(" escape '\\')");
}

/// ` and <clause>` with its one value.
fn and<DB, T>(q: &mut QueryBuilder<DB>, clause: &str, value: T)
where
    DB: Backend + super::Binds<T>,
{
    q.push(format!(" and {clause} "));
    q.push_arg(value);
}

/// ` and <alias>.batch_id = $n`, within the range of ids the batch keeps (migration
/// 0015): a range of the primary key, as no index leads with `batch_id`.
fn in_batch<DB>(q: &mut QueryBuilder<DB>, alias: &str, batch: i64)
where
    DB: Backend + super::Binds<i64>,
{
    and(q, &format!("{alias}.batch_id ="), batch);
    for (bound, column) in [(">=", "first_record_id"), ("<=", "last_record_id")] {
        q.push(format!(
            " and {alias}.id {bound} (select {column} from import_batches where id = "
        ));
        q.push_arg(batch);
        q.push(")");
    }
}

/// ` order by <alias>.id limit $n`.
fn finish<DB: Backend>(q: &mut QueryBuilder<DB>, alias: &str, page: Page) {
    q.push(format!(" order by {alias}.id limit "));
    q.push_arg(page.sql_limit());
}

pub(crate) fn instruments<DB: Backend>(
    lab: LabId,
    filter: &InstrumentFilter,
    page: Page,
) -> QueryBuilder<DB> {
    let select = format!("select {INSTRUMENT_COLUMNS} from instruments i");
    let mut q = start(&select, "i", lab, page);
    if let Some(category) = &filter.category {
        and(&mut q, "i.category_code =", category.as_str().to_owned());
    }
    if let Some(serial) = &filter.serial {
        contains(&mut q, "i.serial_key", &identity_key(serial));
    }
    if let Some(owner) = &filter.owner {
        contains(&mut q, "i.owner", owner.trim());
    }
    if let Some(search) = &filter.search {
        let key = identity_key(search);
        either_contains(&mut q, ("i.serial_key", &key), ("i.owner", search.trim()));
    }
    finish(&mut q, "i", page);
    q
}

/// The instruments of `ids` (not empty), by id.
pub(crate) fn instruments_by_id<DB: Backend>(lab: LabId, ids: &[i64]) -> QueryBuilder<DB> {
    let select = format!("select {INSTRUMENT_COLUMNS} from instruments i");
    by_id(&select, "i", lab, ids)
}

/// The earthing points of `ids` (not empty) with their latest test, by id.
pub(crate) fn points_by_id<DB: Backend>(lab: LabId, ids: &[i64]) -> QueryBuilder<DB> {
    let select = format!("{POINT_COLUMNS} {}", DB::POINTS_WITH_LATEST_TEST);
    by_id(&select, "p", lab, ids)
}

/// `select … where <alias>.lab_id = $1 and <alias>.id in (…) order by <alias>.id`.
fn by_id<DB: Backend>(select: &str, alias: &str, lab: LabId, ids: &[i64]) -> QueryBuilder<DB> {
    let mut q = QueryBuilder::new(format!("{select} where {alias}.lab_id = "));
    q.push_arg(lab);
    q.push(format!(" and {alias}.id in ("));
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            q.push(", ");
        }
        q.push_arg(*id);
    }
    q.push(format!(") order by {alias}.id"));
    q
}

/// The records of `counts` (id, count) in its order, each with its count.
pub(crate) fn counted<T>(
    counts: Vec<(i64, i64)>,
    records: Vec<T>,
    id_of: impl Fn(&T) -> i64,
) -> Vec<(T, u64)> {
    let mut by_id: std::collections::HashMap<i64, T> =
        records.into_iter().map(|r| (id_of(&r), r)).collect();
    counts
        .into_iter()
        .filter_map(|(id, n)| {
            by_id
                .remove(&id)
                .map(|r| (r, u64::try_from(n).unwrap_or(0)))
        })
        .collect()
}

pub(crate) fn inspections<DB: Backend>(
    lab: LabId,
    filter: &InspectionFilter,
    page: Page,
) -> QueryBuilder<DB> {
    let mut q = start(INSPECTION_SELECT, "s", lab, page);
    inspection_filters(&mut q, filter);
    finish(&mut q, "s", page);
    q
}

/// How many inspections match `filter` (every page of [`inspections`]).
pub(crate) fn count_inspections<DB: Backend>(
    lab: LabId,
    filter: &InspectionFilter,
) -> QueryBuilder<DB> {
    let mut q = QueryBuilder::new("select count(*) from inspections s where s.lab_id = ");
    q.push_arg(lab);
    inspection_filters(&mut q, filter);
    q
}

fn inspection_filters<DB: Backend>(q: &mut QueryBuilder<DB>, filter: &InspectionFilter) {
    if !filter.include_voided {
        q.push(" and s.voided_at is null");
    }
    if let Some(from) = filter.from {
        and(q, "s.inspected_on >=", from);
    }
    if let Some(to) = filter.to {
        and(q, "s.inspected_on <=", to);
    }
    if let Some(category) = &filter.category {
        and(q, "s.category_code =", category.as_str().to_owned());
    }
    if let Some(kind) = filter.kind {
        and(q, "s.kind =", kind.as_str());
    }
    if let Some(result) = filter.result {
        and(q, "s.result =", result.as_str());
    }
    if let Some(technician) = &filter.technician {
        and(q, "s.technician =", technician.trim().to_owned());
    }
    if let Some(instrument) = filter.instrument_id {
        and(q, "s.instrument_id =", instrument);
        if filter.include_voided {
            q.push(DB::LIVE_OR_VOIDED);
        }
    }
    if let Some(batch) = filter.batch_id {
        in_batch(q, "s", batch);
    }
}

/// The points matching `filter`; with `over_limit`, the caller keeps only those whose
/// latest test fails exactly (see [`Backend::OVER_LIMIT`]).
pub(crate) fn earthing_points<DB: Backend>(
    lab: LabId,
    filter: &PointFilter,
    page: Page,
) -> QueryBuilder<DB> {
    let select = format!("{POINT_COLUMNS} {}", DB::POINTS_WITH_LATEST_TEST);
    let mut q = start(&select, "p", lab, page);
    if let Some(search) = &filter.search {
        let search = search.trim();
        either_contains(&mut q, ("p.site", search), ("p.code", search));
    }
    if filter.over_limit {
        q.push(format!(" and {}", DB::OVER_LIMIT));
    }
    finish(&mut q, "p", page);
    q
}

pub(crate) fn earthing_tests<DB: Backend>(
    lab: LabId,
    filter: &EarthingTestFilter,
    page: Page,
) -> QueryBuilder<DB> {
    let mut q = start(TEST_SELECT, "t", lab, page);
    test_filters(&mut q, filter);
    finish(&mut q, "t", page);
    q
}

/// How many earthing tests match `filter` (every page of [`earthing_tests`]).
pub(crate) fn count_earthing_tests<DB: Backend>(
    lab: LabId,
    filter: &EarthingTestFilter,
) -> QueryBuilder<DB> {
    let mut q = QueryBuilder::new("select count(*) from earthing_tests t where t.lab_id = ");
    q.push_arg(lab);
    test_filters(&mut q, filter);
    q
}

fn test_filters<DB: Backend>(q: &mut QueryBuilder<DB>, filter: &EarthingTestFilter) {
    if !filter.include_voided {
        q.push(" and t.voided_at is null");
    }
    if let Some(from) = filter.from {
        and(q, "t.tested_on >=", from);
    }
    if let Some(to) = filter.to {
        and(q, "t.tested_on <=", to);
    }
    if let Some(point) = filter.point_id {
        and(q, "t.point_id =", point);
    }
    if let Some(technician) = &filter.technician {
        and(q, "t.technician =", technician.trim().to_owned());
    }
    if let Some(batch) = filter.batch_id {
        in_batch(q, "t", batch);
    }
    match filter.over_limit {
        Some(true) => {
            q.push(format!(" and {}", DB::OVER_LIMIT));
        }
        Some(false) => {
            q.push(format!(" and not ({})", DB::OVER_LIMIT));
        }
        None => {}
    }
}
