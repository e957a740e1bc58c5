//! Import batches: list, show, void. (The upload itself is in `crate::upload`.)

use axum::extract::State;
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::dto::{BatchDto, BatchPage, ProblemDetails, VoidRequest};
use crate::error::{ApiResult, validation};
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
    params(("id" = i64, Path, description = "The batch id"), LabParam, LangQuery),
    responses(
        (status = 200, description = "The batch with its problems and warnings", body = BatchDto),
        (status = 404, description = "No such batch in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn show<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LabParam>,
    ReqLang(lang): ReqLang,
) -> ApiResult<Json<BatchDto>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    Ok(Json(BatchDto::new(app.store.batch(lab, id).await?, lang)))
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
        return Err(validation(
            "reason: say why the batch is voided (1 to 1000 characters).",
        ));
    }
    let batch = app
        .store
        .void_batch(caller.lab, id, &caller.actor, reason)
        .await?;
    Ok(Json(BatchDto::new(batch, lang)))
}
