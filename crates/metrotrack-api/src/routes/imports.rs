//! Import batches: list, show, void. (The upload itself is in `crate::upload`.)

use axum::extract::State;
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;
use serde::Deserialize;
use utoipa::IntoParams;

use axum::response::{IntoResponse, Response};

use crate::dto::{
    BatchDto, BatchPage, CsvExport, ExportFormatParam, KeptFile, LangParam, ProblemDetails,
    VoidRequest, XlsxExport,
};
use crate::error::{ApiResult, not_found, said, validation};
use crate::export::{ExportParams, List, export_response};
use crate::extract::{Json, Path, Query};
use crate::lang::{LangQuery, ReqLang};
use crate::pagination::{finish, page};
use crate::routes::CommonErrors;
use crate::{AppState, Caller};

/// A page of a lab's list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Rows per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000, example = 50)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor` (absent: the first page).
    pub cursor: Option<String>,
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
}

/// A lab-scoped read of one thing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LabParam {
    /// A national account: the lab to read (its code).
    pub lab: Option<String>,
}

/// The lab's import batches, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/imports",
    tag = "imports",
    operation_id = "list_imports",
    params(ListParams, LangQuery),
    responses((status = 200, description = "A page of import batches", body = BatchPage), CommonErrors),
)]
pub async fn list<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<ListParams>,
    ReqLang(lang): ReqLang,
) -> ApiResult<Json<BatchPage>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let (p, limit) = page(q.limit, q.cursor.as_deref())?;
    let rows = app.store.batch_page(lab, p).await?;
    let (rows, next_cursor) = finish(rows, limit, |b| b.id.unwrap_or(0));
    Ok(Json(BatchPage {
        items: rows.into_iter().map(|b| BatchDto::new(b, lang)).collect(),
        next_cursor,
    }))
}

/// One batch, with its problems and warnings.
#[utoipa::path(
    get,
    path = "/api/v1/imports/{id}",
    tag = "imports",
    operation_id = "get_import",
    params(("id" = i64, Path, description = "The batch id"), BatchParams),
    responses(
        (status = 200, description = "The batch with its problems and warnings, or with `format=csv|xlsx` its problems then warnings as a file (`loi-12.csv`)", content(
            (BatchDto = "application/json"),
            (CsvExport = "text/csv"),
            (XlsxExport = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 404, description = "No such batch in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn show<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<BatchParams>,
    ReqLang(lang): ReqLang,
) -> ApiResult<Response> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let export = ExportParams::read(q.format.as_deref(), q.lang.as_deref())?;
    let batch = app.store.batch(lab, id).await?;
    if let Some(asked) = export {
        let list = List::Problems(Box::new(batch));
        let suffix = format!("-{id}");
        return Ok(export_response(app.store.clone(), lab, list, asked, &suffix).await?);
    }
    Ok(Json(BatchDto::new(batch, lang)).into_response())
}

/// One batch: the lab, and whether to answer with its problems as a file.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchParams {
    /// A national account: the lab to read (its code); others may name only their own.
    pub lab: Option<String>,
    /// `json` (default: the batch), or `csv` / `xlsx`: its problems and warnings as a file.
    #[param(value_type = Option<ExportFormatParam>)]
    pub format: Option<String>,
    /// `vi` or `en`: the language of the problems' messages (else `Accept-Language`,
    /// else English) and of an export's headers and words (default `vi`).
    #[param(value_type = Option<LangParam>)]
    pub lang: Option<String>,
}

/// Voids a batch: its records leave every figure but stay visible as voided.
#[utoipa::path(
    post,
    path = "/api/v1/imports/{id}/void",
    tag = "imports",
    operation_id = "void_import",
    params(("id" = i64, Path, description = "The batch id"), LangQuery),
    request_body = VoidRequest,
    responses(
        (status = 200, description = "Voided", body = BatchDto),
        (status = 404, description = "No such batch in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or already voided", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn void<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    ReqLang(lang): ReqLang,
    Json(body): Json<VoidRequest>,
) -> ApiResult<Json<BatchDto>> {
    caller.require(Role::Supervisor)?;
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(validation(said!(
            "reason: hãy ghi lý do hủy lô nhập (từ 1 đến 1000 ký tự).",
            "reason: say why the batch is voided (1 to 1000 characters)."
        )));
    }
    let (store, reason) = (app.store.clone(), reason.to_owned());
    let batch = crate::run_whole(async move {
        store
            .void_batch(caller.lab, id, &caller.actor, &reason)
            .await
    })
    .await?;
    Ok(Json(BatchDto::new(batch, lang)))
}

/// The file a batch was imported from, byte for byte as uploaded.
///
/// Kept with the batch (compressed, in parts) as evidence; its SHA-256 is the batch's
/// `sha256`. Batches stored before files were kept have none (404).
#[utoipa::path(
    get,
    path = "/api/v1/imports/{id}/file",
    tag = "imports",
    operation_id = "get_import_file",
    params(("id" = i64, Path, description = "The batch id"), LabParam, LangQuery),
    responses(
        (status = 200, description = "The file as it was uploaded, under its name (`Content-Disposition`); its SHA-256 is the batch's `sha256`. A CSV is sent as `text/csv`, an `.xlsx` as its workbook type, anything else (`.xls`, `.ods`) as `application/octet-stream`", content(
            (KeptFile = "text/csv"),
            (KeptFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (KeptFile = "application/octet-stream"),
        )),
        (status = 404, description = "No such batch in the lab, or a batch stored before files were kept", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn file<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LabParam>,
) -> ApiResult<Response> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    crate::export::kept_file(&app.store, lab, id)
        .await?
        .ok_or_else(|| {
            not_found(said!(
                "Lô nhập số {id} được lưu trước khi hệ thống giữ tệp gốc: không có tệp để tải về.",
                "Import batch {id} was stored before files were kept: there is no file to download."
            ))
        })
}
