//! Instruments, inspections, earthing points and tests: lists, search, histories.

use axum::extract::State;
use chrono::NaiveDate;
use metrotrack_core::{CategoryCode, InspectionKind, Outcome, PeriodSpec, Scheme};
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;
use metrotrack_store::records::{
    EarthingTestFilter, InspectionFilter, InstrumentFilter, PointFilter,
};
use serde::Deserialize;
use utoipa::IntoParams;

use axum::response::{IntoResponse, Response};

use crate::dto::{
    CsvExport, ExportFormatParam, InspectedInstrumentDto, InspectedInstrumentPage, InspectionDto,
    InspectionKindParam, InspectionPage, InstrumentHistoryDto, InstrumentPage, LangParam,
    MeasuredPointDto, MeasuredPointPage, OutcomeParam, PointHistoryDto, PointPage, ProblemDetails,
    SchemeParam, TestPage, XlsxExport,
};
use crate::error::{ApiResult, bad_request, said, unreadable};
use crate::export::{ExportParams, List, export_response};
use crate::extract::{Json, Path, Query};
use crate::pagination::{finish, page};
use crate::routes::CommonErrors;
use crate::routes::imports::LabParam;
use crate::{AppState, Caller};

/// Parses an optional query value with `FromStr`, naming the parameter on failure.
fn opt<T>(name: &str, value: Option<&str>) -> ApiResult<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<T>().map_err(|e| unreadable(name, v, e)))
        .transpose()
}

fn category(value: Option<&str>) -> ApiResult<Option<CategoryCode>> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| CategoryCode::parse(v).map_err(|e| unreadable("category", v, e)))
        .transpose()
}

fn text(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The dates of `period` under `scheme`, or `from`/`to` as given.
fn span(
    period: Option<&str>,
    scheme: Option<&str>,
    default_scheme: Scheme,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> ApiResult<(Option<NaiveDate>, Option<NaiveDate>)> {
    let scheme = opt::<Scheme>("scheme", scheme)?.unwrap_or(default_scheme);
    match opt::<PeriodSpec>("period", period)? {
        Some(spec) => {
            let p = spec.resolve(scheme);
            Ok((
                Some(from.map_or(p.start, |f| f.max(p.start))),
                Some(to.map_or(p.end, |t| t.min(p.end))),
            ))
        }
        None => Ok((from, to)),
    }
}

/// An export's file name suffix: `-2023-10` for a period (checked by then), else none.
pub(crate) fn file_suffix(period: Option<&str>) -> String {
    period
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("-{p}"))
        .unwrap_or_default()
}

/// Instrument search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstrumentParams {
    /// Matches the serial number (spaces and case ignored) or the owner.
    pub q: Option<String>,
    /// Serial number contains (spaces and case ignored).
    pub serial: Option<String>,
    /// Owner contains.
    pub owner: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Rows per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000, example = 50)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor` (absent: the first page).
    pub cursor: Option<String>,
    /// `json` (default: a page), or `csv` / `xlsx`: every matching row as a file to download.
    #[param(value_type = Option<ExportFormatParam>)]
    pub format: Option<String>,
    /// Language of an export's headers and words: `vi` (default) or `en`.
    #[param(value_type = Option<LangParam>)]
    pub lang: Option<String>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
}

/// The lab's instruments, by id; search by serial number or owner.
#[utoipa::path(
    get,
    path = "/api/v1/instruments",
    tag = "records",
    operation_id = "list_instruments",
    params(InstrumentParams),
    responses((status = 200, description = "A page of instruments, or with `format=csv|xlsx` every matching one as a file", content(
        (InstrumentPage = "application/json"),
        (CsvExport = "text/csv"),
        (XlsxExport = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "An export's file name, e.g. `attachment; filename=\"phuong-tien-do.csv\"`"))), CommonErrors),
)]
pub async fn instruments<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<InstrumentParams>,
) -> ApiResult<Response> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let export = ExportParams::read(q.format.as_deref(), q.lang.as_deref())?;
    let (p, limit) = page(q.limit, q.cursor.as_deref())?;
    let filter = InstrumentFilter {
        search: text(q.q),
        serial: text(q.serial),
        owner: text(q.owner),
        category: category(q.category.as_deref())?,
    };
    if let Some(asked) = export {
        let list = List::Instruments(filter);
        return Ok(export_response(app.store.clone(), lab, list, asked, "").await?);
    }
    let rows = app.store.instruments(lab, &filter, p).await?;
    let (rows, next_cursor) = finish(rows, limit, |r| r.id);
    Ok(Json(InstrumentPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    })
    .into_response())
}

/// One instrument with every inspection of it.
#[utoipa::path(
    get,
    path = "/api/v1/instruments/{id}",
    tag = "records",
    operation_id = "get_instrument",
    params(("id" = i64, Path, description = "The instrument id"), LabParam),
    responses(
        (status = 200, description = "The instrument and every inspection of it", body = InstrumentHistoryDto),
        (status = 404, description = "No such instrument in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn instrument<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LabParam>,
) -> ApiResult<Json<InstrumentHistoryDto>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    Ok(Json(app.store.instrument(lab, id).await?.into()))
}

/// The period whose figure's list to read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FigureListParams {
    /// The reporting period (required): `2023-10`, `2023-Q4`, `2023-H2` or `2023`.
    #[param(
        pattern = r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|H[12]))?$",
        example = "2023-10"
    )]
    pub period: Option<String>,
    /// `decree09` (default) or `calendar`.
    #[param(value_type = Option<SchemeParam>)]
    pub scheme: Option<String>,
    /// Category code (instruments only).
    pub category: Option<String>,
    /// Rows per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000, example = 50)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor` (absent: the first page).
    pub cursor: Option<String>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
}

/// The dates of the period a figure's list is asked for.
fn figure_span(q: &FigureListParams, default_scheme: Scheme) -> ApiResult<(NaiveDate, NaiveDate)> {
    match span(
        q.period.as_deref(),
        q.scheme.as_deref(),
        default_scheme,
        None,
        None,
    )? {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(bad_request(said!(
            "period: hãy cho kỳ báo cáo, ví dụ 2023-10, 2023-Q4, 2023-H2 hoặc 2023.",
            "period: give the reporting period, e.g. 2023-10, 2023-Q4, 2023-H2 or 2023."
        ))),
    }
}

/// The distinct instruments inspected in a period, with their inspection counts.
///
/// What the `instruments_inspected` figure counts: each instrument once.
#[utoipa::path(
    get,
    path = "/api/v1/inspected-instruments",
    tag = "records",
    operation_id = "list_inspected_instruments",
    params(FigureListParams),
    responses((status = 200, description = "A page of the instruments inspected in the period", body = InspectedInstrumentPage), CommonErrors),
)]
pub async fn inspected_instruments<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<FigureListParams>,
) -> ApiResult<Json<InspectedInstrumentPage>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let (from, to) = figure_span(&q, app.config.scheme)?;
    let (p, limit) = page(q.limit, q.cursor.as_deref())?;
    let category = category(q.category.as_deref())?;
    let list = app
        .store
        .inspected_instruments(lab, from, to, category.as_ref(), p)
        .await?;
    let (rows, next_cursor) = finish(list.items, limit, |r| r.instrument.id);
    Ok(Json(InspectedInstrumentPage {
        total: list.total,
        items: rows
            .into_iter()
            .map(|r| InspectedInstrumentDto {
                instrument: r.instrument.into(),
                inspections: r.inspections,
            })
            .collect(),
        next_cursor,
    }))
}

/// The distinct earthing points measured in a period, with their test counts.
///
/// What the `earthing_points_measured` figure counts: each point once.
#[utoipa::path(
    get,
    path = "/api/v1/measured-points",
    tag = "records",
    operation_id = "list_measured_points",
    params(FigureListParams),
    responses((status = 200, description = "A page of the earthing points measured in the period", body = MeasuredPointPage), CommonErrors),
)]
pub async fn measured_points<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<FigureListParams>,
) -> ApiResult<Json<MeasuredPointPage>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let (from, to) = figure_span(&q, app.config.scheme)?;
    if q.category.as_deref().is_some_and(|c| !c.trim().is_empty()) {
        return Err(bad_request(said!(
            "category: điểm đo tiếp địa không thu hẹp theo loại phương tiện đo được.",
            "category: earthing points are not narrowed to an instrument category."
        )));
    }
    let (p, limit) = page(q.limit, q.cursor.as_deref())?;
    let list = app.store.measured_points(lab, from, to, p).await?;
    let (rows, next_cursor) = finish(list.items, limit, |r| r.point.id);
    Ok(Json(MeasuredPointPage {
        total: list.total,
        items: rows
            .into_iter()
            .map(|r| MeasuredPointDto {
                point: r.point.into(),
                tests: r.tests,
            })
            .collect(),
        next_cursor,
    }))
}

/// Inspection filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionParams {
    /// A reporting period: `2023-10`, `2023-Q4`, `2023-H2` or `2023`.
    #[param(
        pattern = r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|H[12]))?$",
        example = "2023-10"
    )]
    pub period: Option<String>,
    /// `decree09` (default) or `calendar`.
    #[param(value_type = Option<SchemeParam>)]
    pub scheme: Option<String>,
    /// First date (inclusive), `YYYY-MM-DD`.
    pub from: Option<NaiveDate>,
    /// Last date (inclusive), `YYYY-MM-DD`.
    pub to: Option<NaiveDate>,
    /// Category code.
    pub category: Option<String>,
    /// `verification`, `calibration` or `test`.
    #[param(value_type = Option<InspectionKindParam>)]
    pub kind: Option<String>,
    /// `pass` or `fail`.
    #[param(value_type = Option<OutcomeParam>)]
    pub result: Option<String>,
    /// Technician's name, exactly.
    pub technician: Option<String>,
    /// Only this instrument's inspections.
    pub instrument_id: Option<i64>,
    /// Only this import batch's records.
    pub batch_id: Option<i64>,
    /// Include voided records.
    pub include_voided: Option<bool>,
    /// Rows per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000, example = 50)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor` (absent: the first page).
    pub cursor: Option<String>,
    /// `json` (default: a page), or `csv` / `xlsx`: every matching row as a file to download.
    #[param(value_type = Option<ExportFormatParam>)]
    pub format: Option<String>,
    /// Language of an export's headers and words: `vi` (default) or `en`.
    #[param(value_type = Option<LangParam>)]
    pub lang: Option<String>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
}

/// The lab's inspections, by id, filtered.
#[utoipa::path(
    get,
    path = "/api/v1/inspections",
    tag = "records",
    operation_id = "list_inspections",
    params(InspectionParams),
    responses((status = 200, description = "A page of inspections, or with `format=csv|xlsx` every matching one as a file (the log's columns: it imports back)", content(
        (InspectionPage = "application/json"),
        (CsvExport = "text/csv"),
        (XlsxExport = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "An export's file name, e.g. `attachment; filename=\"kiem-dinh-2023-10.csv\"`"))), CommonErrors),
)]
pub async fn inspections<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<InspectionParams>,
) -> ApiResult<Response> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let export = ExportParams::read(q.format.as_deref(), q.lang.as_deref())?;
    let (p, limit) = page(q.limit, q.cursor.as_deref())?;
    let (from, to) = span(
        q.period.as_deref(),
        q.scheme.as_deref(),
        app.config.scheme,
        q.from,
        q.to,
    )?;
    let filter = InspectionFilter {
        from,
        to,
        category: category(q.category.as_deref())?,
        kind: opt::<InspectionKind>("kind", q.kind.as_deref())?,
        result: opt::<Outcome>("result", q.result.as_deref())?,
        technician: text(q.technician),
        instrument_id: q.instrument_id,
        batch_id: q.batch_id,
        include_voided: q.include_voided.unwrap_or(false),
    };
    if let Some(asked) = export {
        let suffix = file_suffix(q.period.as_deref());
        let list = List::Inspections(filter);
        return Ok(export_response(app.store.clone(), lab, list, asked, &suffix).await?);
    }
    let rows = app.store.inspections(lab, &filter, p).await?;
    let (rows, next_cursor) = finish(rows, limit, |r| r.id);
    Ok(Json(InspectionPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    })
    .into_response())
}

/// One inspection, with its evidence.
#[utoipa::path(
    get,
    path = "/api/v1/inspections/{id}",
    tag = "records",
    operation_id = "get_inspection",
    params(("id" = i64, Path, description = "The inspection id"), LabParam),
    responses(
        (status = 200, description = "The inspection with its evidence", body = InspectionDto),
        (status = 404, description = "No such inspection in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn inspection<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LabParam>,
) -> ApiResult<Json<InspectionDto>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    Ok(Json(app.store.inspection(lab, id).await?.into()))
}

/// Earthing point search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointParams {
    /// Site or point code contains.
    pub q: Option<String>,
    /// Only points whose latest test is over its limit.
    pub over_limit: Option<bool>,
    /// Rows per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000, example = 50)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor` (absent: the first page).
    pub cursor: Option<String>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
}

/// The lab's earthing points with their latest test, by id.
#[utoipa::path(
    get,
    path = "/api/v1/earthing-points",
    tag = "records",
    operation_id = "list_earthing_points",
    params(PointParams),
    responses((status = 200, description = "A page of earthing points", body = PointPage), CommonErrors),
)]
pub async fn points<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<PointParams>,
) -> ApiResult<Json<PointPage>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let (p, limit) = page(q.limit, q.cursor.as_deref())?;
    let filter = PointFilter {
        search: text(q.q),
        over_limit: q.over_limit.unwrap_or(false),
    };
    let rows = app.store.earthing_points(lab, &filter, p).await?;
    let (rows, next_cursor) = finish(rows, limit, |r| r.id);
    Ok(Json(PointPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// One earthing point and every test of it.
///
/// The tests in date order, rises over the previous test flagged.
#[utoipa::path(
    get,
    path = "/api/v1/earthing-points/{id}",
    tag = "records",
    operation_id = "get_earthing_point",
    params(("id" = i64, Path, description = "The point id"), LabParam),
    responses(
        (status = 200, description = "The point and every test of it", body = PointHistoryDto),
        (status = 404, description = "No such earthing point in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn point<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LabParam>,
) -> ApiResult<Json<PointHistoryDto>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    Ok(Json(app.store.earthing_point(lab, id).await?.into()))
}

/// Earthing test filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TestParams {
    /// A reporting period: `2023-10`, `2023-Q4`, `2023-H2` or `2023`.
    #[param(
        pattern = r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|H[12]))?$",
        example = "2023-10"
    )]
    pub period: Option<String>,
    /// `decree09` (default) or `calendar`.
    #[param(value_type = Option<SchemeParam>)]
    pub scheme: Option<String>,
    /// First date (inclusive), `YYYY-MM-DD`.
    pub from: Option<NaiveDate>,
    /// Last date (inclusive), `YYYY-MM-DD`.
    pub to: Option<NaiveDate>,
    /// Only this earthing point's tests.
    pub point_id: Option<i64>,
    /// Technician's name, exactly.
    pub technician: Option<String>,
    /// Only this import batch's records.
    pub batch_id: Option<i64>,
    /// `true`: only tests whose resistance is over their limit; `false`: only those within it.
    pub over_limit: Option<bool>,
    /// Include voided records.
    pub include_voided: Option<bool>,
    /// Rows per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000, example = 50)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor` (absent: the first page).
    pub cursor: Option<String>,
    /// `json` (default: a page), or `csv` / `xlsx`: every matching row as a file to download.
    #[param(value_type = Option<ExportFormatParam>)]
    pub format: Option<String>,
    /// Language of an export's headers and words: `vi` (default) or `en`.
    #[param(value_type = Option<LangParam>)]
    pub lang: Option<String>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
}

/// The lab's earthing tests, by id, filtered.
#[utoipa::path(
    get,
    path = "/api/v1/earthing-tests",
    tag = "records",
    operation_id = "list_earthing_tests",
    params(TestParams),
    responses((status = 200, description = "A page of earthing tests, or with `format=csv|xlsx` every matching one as a file (the log's columns: it imports back)", content(
        (TestPage = "application/json"),
        (CsvExport = "text/csv"),
        (XlsxExport = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "An export's file name, e.g. `attachment; filename=\"do-noi-dat-2023-10.csv\"`"))), CommonErrors),
)]
pub async fn tests<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<TestParams>,
) -> ApiResult<Response> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let export = ExportParams::read(q.format.as_deref(), q.lang.as_deref())?;
    let (p, limit) = page(q.limit, q.cursor.as_deref())?;
    let (from, to) = span(
        q.period.as_deref(),
        q.scheme.as_deref(),
        app.config.scheme,
        q.from,
        q.to,
    )?;
    let filter = EarthingTestFilter {
        from,
        to,
        point_id: q.point_id,
        technician: text(q.technician),
        batch_id: q.batch_id,
        over_limit: q.over_limit,
        include_voided: q.include_voided.unwrap_or(false),
    };
    if let Some(asked) = export {
        let suffix = file_suffix(q.period.as_deref());
        let list = List::EarthingTests(filter);
        return Ok(export_response(app.store.clone(), lab, list, asked, &suffix).await?);
    }
    let rows = app.store.earthing_tests(lab, &filter, p).await?;
    let (rows, next_cursor) = finish(rows, limit, |r| r.id);
    Ok(Json(TestPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    })
    .into_response())
}
