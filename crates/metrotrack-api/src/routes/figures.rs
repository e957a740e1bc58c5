//! Categories, plans, achievement, reports and the due list.

use axum::extract::State;
use axum::http::header::CONTENT_DISPOSITION;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use metrotrack_core::plan::PlanError;
use metrotrack_core::report::render_text;
use metrotrack_core::{CategoryCode, Lang, Metric, PeriodSpec, PlanTarget, Scheme};
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;
use serde::Deserialize;
use utoipa::IntoParams;

use axum::response::IntoResponse;

use crate::document::{DOCX, report_docx};
use crate::dto::{
    AchievementResponse, CategoryList, CsvExport, DueList, ExportFormatParam, LangParam,
    MetricParam, PeriodAchievementDto, PlanDto, PlanList, ProblemDetails, ReportFormatParam,
    SchemeParam, SetPlan, XlsxExport, YearAchievementDto,
};
use crate::error::{ApiResult, Said, bad_request, said, unreadable, validation};
use crate::export::{ExportFormat, ExportParams, ExportQuery, List, export_response};
use crate::extract::{Json, Path, Query};
use crate::pagination;
use crate::routes::imports::LabParam;
use crate::routes::{CommonErrors, conditional};
use crate::{AppState, Caller};

fn parse<T>(name: &str, value: &str) -> ApiResult<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let value = value.trim();
    value.parse().map_err(|e| unreadable(name, value, e))
}

fn scheme_or(value: Option<&str>, default: Scheme) -> ApiResult<Scheme> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => parse("scheme", v),
        None => Ok(default),
    }
}

/// The lab's instrument categories with their verification cycles.
#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "figures",
    operation_id = "list_categories",
    params(LabParam),
    responses((status = 200, description = "The categories", body = CategoryList), CommonErrors),
)]
pub async fn categories<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<LabParam>,
) -> ApiResult<Json<CategoryList>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let items = app.store.categories(lab).await?;
    Ok(Json(CategoryList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Which plans to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanParams {
    /// Only this year's targets (its months and the year).
    #[param(minimum = 1900, maximum = 9999, example = 2023)]
    pub year: Option<i32>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
}

/// The lab's plan targets.
#[utoipa::path(
    get,
    path = "/api/v1/plans",
    tag = "figures",
    operation_id = "list_plans",
    params(PlanParams),
    responses((status = 200, description = "The plan targets", body = PlanList), CommonErrors),
)]
pub async fn plans<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<PlanParams>,
) -> ApiResult<Json<PlanList>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    if q.year.is_some_and(|year| !(1900..=9999).contains(&year)) {
        return Err(bad_year());
    }
    let items = app.store.plans(lab, q.year).await?;
    Ok(Json(PlanList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Sets (or replaces) a plan target for a month, a quarter, a half-year or a year.
#[utoipa::path(
    put,
    path = "/api/v1/plans/{period}/{metric}",
    tag = "figures",
    operation_id = "set_plan",
    params(
        ("period" = String, Path, description = "`2023-10` (month), `2023-Q4` (quarter), `2023-H2` (half-year) or `2023` (year)", pattern = r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|H[12]))?$", example = "2023-10"),
        ("metric" = MetricParam, Path, description = "`instruments_inspected`, `inspections` or `earthing_points_measured`", example = "instruments_inspected"),
    ),
    request_body = SetPlan,
    responses(
        (status = 200, description = "Set", body = PlanDto),
        (status = 422, description = "Not a plannable target", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn set_plan<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path((period, metric)): Path<(String, String)>,
    Json(body): Json<SetPlan>,
) -> ApiResult<Json<PlanDto>> {
    caller.require(Role::Supervisor)?;
    let period: PeriodSpec = parse("period", &period)?;
    let metric: Metric = parse("metric", &metric)?;
    let category = match body
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) => {
            let code = CategoryCode::parse(c).map_err(|e| unreadable("category", c, e))?;
            let known = app.store.categories(caller.lab).await?;
            if !known.iter().any(|k| k.code == code) {
                return Err(validation(said!(
                    "category: {code} không phải là loại phương tiện đo của phòng thí nghiệm này.",
                    "category: {code} is not a category of this lab."
                )));
            }
            Some(code)
        }
    };
    let target = PlanTarget::new(metric, category, period, body.target).map_err(|e| {
        let vi = match &e {
            PlanError::ZeroTarget => "Chỉ tiêu phải là số nguyên từ 1 trở lên.".to_owned(),
            PlanError::CategoryNotApplicable(m) => {
                format!("{m} đếm điểm đo tiếp địa nên không thu hẹp theo loại phương tiện đo được.")
            }
        };
        validation(Said::new(vi, e.to_string()))
    })?;
    app.store
        .set_plan(caller.lab, &target, &caller.actor)
        .await?;
    Ok(Json(target.into()))
}

/// Which plan target to delete.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeletePlanParams {
    /// The category the target is narrowed to (absent: the lab-wide target).
    pub category: Option<String>,
}

/// Deletes a plan target (recorded in the audit log); answers the target deleted.
#[utoipa::path(
    delete,
    path = "/api/v1/plans/{period}/{metric}",
    tag = "figures",
    operation_id = "delete_plan",
    params(
        ("period" = String, Path, description = "`2023-10` (month), `2023-Q4` (quarter), `2023-H2` (half-year) or `2023` (year)", pattern = r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|H[12]))?$", example = "2023-10"),
        ("metric" = MetricParam, Path, description = "`instruments_inspected`, `inspections` or `earthing_points_measured`", example = "instruments_inspected"),
        DeletePlanParams,
    ),
    responses(
        (status = 200, description = "Deleted: the target as it was", body = PlanDto),
        (status = 404, description = "No such target is set", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn delete_plan<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path((period, metric)): Path<(String, String)>,
    Query(q): Query<DeletePlanParams>,
) -> ApiResult<Json<PlanDto>> {
    caller.require(Role::Supervisor)?;
    let period: PeriodSpec = parse("period", &period)?;
    let metric: Metric = parse("metric", &metric)?;
    let category = q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| CategoryCode::parse(c).map_err(|e| unreadable("category", c, e)))
        .transpose()?;
    let deleted = app
        .store
        .delete_plan(caller.lab, metric, category.as_ref(), period, &caller.actor)
        .await?;
    Ok(Json(deleted.into()))
}

/// Which achievement to compute.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AchievementParams {
    /// A period: `2023-10`, `2023-Q4`, `2023-H2` or `2023`.
    #[param(
        pattern = r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|H[12]))?$",
        example = "2023-10"
    )]
    pub period: Option<String>,
    /// Instead of `period`: a year's monthly series and year to date.
    #[param(minimum = 1900, maximum = 9999, example = 2023)]
    pub year: Option<i32>,
    /// `decree09` (default) or `calendar`.
    #[param(value_type = Option<SchemeParam>)]
    pub scheme: Option<String>,
    /// With `year`: the series runs to this date's month (default today).
    pub as_of: Option<NaiveDate>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
}

/// Achievement against plan: a period's (`?period=2023-10`) or a year's (`?year=2023`).
#[utoipa::path(
    get,
    path = "/api/v1/achievement",
    tag = "figures",
    operation_id = "get_achievement",
    params(AchievementParams, IfNoneMatch),
    responses(
        (status = 200, description = "`PeriodAchievementDto` for `period`, `YearAchievementDto` for `year`", body = AchievementResponse,
         headers(("ETag" = String, description = "This answer's entity tag: send it as `If-None-Match` to get 304 while the figures are unchanged"))),
        (status = 304, description = "Not modified: the figures are still those of the entity tag sent in `If-None-Match`",
         headers(("ETag" = String, description = "The same entity tag"))),
        CommonErrors,
    ),
)]
pub async fn achievement<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<AchievementParams>,
) -> ApiResult<Response> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let scheme = scheme_or(q.scheme.as_deref(), app.config.scheme)?;
    match (q.period.as_deref(), q.year) {
        (Some(period), None) => {
            let spec: PeriodSpec = parse("period", period)?;
            let a = app.store.achievement(lab, spec.resolve(scheme)).await?;
            conditional::json(
                &headers,
                &AchievementResponse::Period(PeriodAchievementDto::from(a)),
            )
        }
        (None, Some(year)) => {
            if !(1900..=9999).contains(&year) {
                return Err(bad_year());
            }
            let as_of = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
            let y = app.store.year_achievement(lab, year, scheme, as_of).await?;
            conditional::json(
                &headers,
                &AchievementResponse::Year(YearAchievementDto::from(y)),
            )
        }
        _ => Err(bad_request(said!(
            "Hãy cho hoặc period (ví dụ 2023-10) hoặc year (ví dụ 2023).",
            "Give either period (e.g. 2023-10) or year (e.g. 2023)."
        ))),
    }
}

/// 400: a year out of range.
fn bad_year() -> crate::error::ApiError {
    bad_request(said!(
        "year phải từ 1900 đến 9999.",
        "year must be between 1900 and 9999."
    ))
}

/// The conditional-request header of the figures.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfNoneMatch {
    /// The `ETag` of an earlier answer: 304 with no body while the figures are unchanged.
    #[param(rename = "If-None-Match")]
    pub if_none_match: Option<String>,
}

/// How to render a report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// `text` (default: the monthly report's sentences, `text/plain`), `json` (the
    /// achievement, `application/json`), `csv` / `xlsx` (one row per figure, a file) or
    /// `docx` (the report as the document the department signs, Decree 30/2020 layout).
    #[param(value_type = Option<ReportFormatParam>)]
    pub format: Option<String>,
    /// The date the document is signed, `YYYY-MM-DD` (`docx`; default today in Vietnam).
    pub issued_on: Option<NaiveDate>,
    /// `vi` (default) or `en`.
    #[param(value_type = Option<LangParam>)]
    pub lang: Option<String>,
    /// `decree09` (default) or `calendar`.
    #[param(value_type = Option<SchemeParam>)]
    pub scheme: Option<String>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
}

/// The period's report: its sentences as in the monthly report, or the achievement JSON.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{period}",
    tag = "figures",
    operation_id = "get_report",
    params(
        ("period" = String, Path, description = "`2023-10`, `2023-Q4`, `2023-H2` or `2023`", pattern = r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|H[12]))?$", example = "2023-10"),
        ReportParams,
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The report: its sentences (`format=text`, `text/plain; charset=utf-8`), the achievement (`format=json`), its figures as a file (`format=csv|xlsx`, named e.g. `bao-cao-2023-10.csv`), or the signed document (`format=docx`)", content(
            (String = "text/plain"),
            (PeriodAchievementDto = "application/json"),
            (CsvExport = "text/csv"),
            (XlsxExport = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (crate::document::DocxFile = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ), headers(("ETag" = String, description = "This answer's entity tag (text and JSON): send it as `If-None-Match` to get 304 while the report is unchanged"),
                   ("Content-Disposition" = String, description = "A file's name (CSV, XLSX and DOCX)"))),
        (status = 304, description = "Not modified: the report is still that of the entity tag sent in `If-None-Match`",
         headers(("ETag" = String, description = "The same entity tag"))),
        CommonErrors,
    ),
)]
pub async fn report<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    headers: HeaderMap,
    Path(period): Path<String>,
    Query(q): Query<ReportParams>,
) -> ApiResult<Response> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let spec: PeriodSpec = parse("period", &period)?;
    let scheme = scheme_or(q.scheme.as_deref(), app.config.scheme)?;
    let lang: Lang = match q.lang.as_deref() {
        Some(l) => parse("lang", l)?,
        None => Lang::Vi,
    };
    let format = q
        .format
        .as_deref()
        .unwrap_or("text")
        .trim()
        .to_ascii_lowercase();
    if format == "docx" {
        let issued_on = q
            .issued_on
            .unwrap_or_else(crate::document::today_in_vietnam);
        let bytes = report_docx(&app.store, lab, spec.resolve(scheme), issued_on, lang).await?;
        let mut response = conditional::respond(&headers, DOCX, bytes);
        let disposition = format!("attachment; filename=\"bao-cao-{spec}.docx\"");
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response.headers_mut().insert(CONTENT_DISPOSITION, value);
        }
        return Ok(response);
    }
    let file = ExportFormat::parse(&format);
    if format != "text" && format != "json" && file.is_none() {
        return Err(bad_request(said!(
            "format: {format:?} không phải là text, json, csv, xlsx hay docx.",
            "format: {format:?} is not one of text, json, csv, xlsx, docx."
        )));
    }
    let a = app.store.achievement(lab, spec.resolve(scheme)).await?;
    if let Some(format) = file {
        let asked = ExportQuery { format, lang };
        let list = List::Report(Box::new(a));
        let suffix = format!("-{spec}");
        return Ok(export_response(app.store.clone(), lab, list, asked, &suffix).await?);
    }
    if format == "json" {
        return conditional::json(&headers, &PeriodAchievementDto::from(a));
    }
    Ok(conditional::respond(
        &headers,
        "text/plain; charset=utf-8",
        render_text(&a, lang).into_bytes(),
    ))
}

/// Which part of the due list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueParams {
    /// Days ahead, 0 to 3660 (default 30).
    #[param(minimum = 0, maximum = 3660, example = 30)]
    pub within: Option<u32>,
    /// The date to count from (default today), `YYYY-MM-DD`.
    pub as_of: Option<NaiveDate>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
    /// Rows per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000, example = 50)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor` (absent: the first page).
    pub cursor: Option<String>,
    /// `json` (default: a page), or `csv` / `xlsx`: the whole list as a file to download.
    #[param(value_type = Option<ExportFormatParam>)]
    pub format: Option<String>,
    /// Language of an export's headers and words: `vi` (default) or `en`.
    #[param(value_type = Option<LangParam>)]
    pub lang: Option<String>,
}

/// Instruments due for verification within `within` days, and the overdue ones.
///
/// Soonest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/due",
    tag = "figures",
    operation_id = "list_due",
    params(DueParams),
    responses(
        (status = 200, description = "A page of the due list, or with `format=csv|xlsx` the whole list as a file (`den-han-2024-10-01.csv`)", content(
            (DueList = "application/json"),
            (CsvExport = "text/csv"),
            (XlsxExport = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A malformed parameter or cursor", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn due<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<DueParams>,
) -> ApiResult<Response> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let within = q.within.unwrap_or(30);
    if within > 3660 {
        return Err(bad_request(said!(
            "within phải từ 0 đến 3660 ngày.",
            "within must be between 0 and 3660 days."
        )));
    }
    let as_of = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
    if let Some(asked) = ExportParams::read(q.format.as_deref(), q.lang.as_deref())? {
        let list = List::Due { within, as_of };
        let suffix = format!("-{as_of}");
        return Ok(export_response(app.store.clone(), lab, list, asked, &suffix).await?);
    }
    let (page, limit) = pagination::page(q.limit, None)?;
    let after = q
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(pagination::decode_due_cursor)
        .transpose()?;
    let mut items = app
        .store
        .due_list(lab, within, as_of, after.as_ref(), page.limit)
        .await?;
    let next_cursor = (items.len() > limit as usize).then(|| {
        items.truncate(limit as usize);
        items
            .last()
            .map(|last| pagination::encode_due_cursor(&last.into()))
    });
    let counts = app.store.due_counts(lab, within, as_of).await?;
    Ok(Json(DueList {
        as_of,
        within_days: within,
        counts: counts.into(),
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: next_cursor.flatten(),
    })
    .into_response())
}
