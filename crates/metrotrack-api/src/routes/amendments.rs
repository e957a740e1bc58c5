//! One record corrected by an amendment, voided on its own, read in every version; a
//! voided batch restored.

use axum::extract::State;
use axum::http::StatusCode;
use metrotrack_core::Lang;
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;

use crate::amend::{self, Actor, Refusal};
use crate::dto::{
    AmendRequest, BatchDto, InspectionDto, InspectionVersions, ProblemDetails, RecordVoidRequest,
    TestDto, TestVersions,
};
use crate::error::{ApiError, ApiResult, forbidden, said};
use crate::extract::{Json, Path, Query};
use crate::lang::{LangQuery, ReqLang};
use crate::routes::CommonErrors;
use crate::routes::imports::LabParam;
use crate::{AppState, Caller};

fn actor(caller: &Caller) -> Actor<'_> {
    Actor {
        lab: caller.lab,
        role: caller.role,
        name: &caller.actor,
    }
}

/// What a refusal answers.
fn refused(refusal: Refusal, lang: Lang) -> ApiError {
    match refusal {
        Refusal::NotYours => forbidden(said!(
            "Kỹ thuật viên chỉ sửa và hủy các bản ghi thuộc những lô mình đã tải lên hoặc \
             đã sửa; trưởng phòng (supervisor) được sửa mọi bản ghi của phòng thí nghiệm.",
            "A technician amends and voids only the records of batches it uploaded or \
             amended; a supervisor may change any record of the lab.",
        )),
        Refusal::Problems(problems) => ApiError::Invalid(problems, lang),
        Refusal::Store(e) => e.into(),
    }
}

/// The problem responses of a change to one record.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ChangeErrors {
    /// No such record in the caller's lab.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(ProblemDetails),
    /// Another live record holds the amended natural key, certificate or stamp number
    /// (the detail names it).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(ProblemDetails),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(ProblemDetails),
    /// No reason, a voided record, or values that are not acceptable (`problems` names
    /// each field, as an import names a log's cells).
    #[response(status = 422, content_type = "application/problem+json")]
    Validation(ProblemDetails),
}

/// Amends an inspection.
///
/// A new version of it with the changed fields and a reason; every earlier version is
/// kept. A technician amends the records of batches it uploaded (or amended); a
/// supervisor any record of the lab.
#[utoipa::path(
    post,
    path = "/api/v1/inspections/{id}/amendments",
    tag = "records",
    operation_id = "amend_inspection",
    params(("id" = i64, Path, description = "The inspection id"), LangQuery),
    request_body = AmendRequest,
    responses(
        (status = 201, description = "The inspection's new version", body = InspectionDto),
        ChangeErrors,
        CommonErrors,
    ),
)]
pub async fn amend_inspection<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    ReqLang(lang): ReqLang,
    Json(body): Json<AmendRequest>,
) -> ApiResult<(StatusCode, Json<InspectionDto>)> {
    caller.require(Role::Technician)?;
    let (reason, changes) = (body.reason()?, body.changes()?);
    let record = amend::inspection(&app.store, actor(&caller), id, reason, &changes)
        .await
        .map_err(|r| refused(r, lang))?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Amends an earthing test (its point stays).
#[utoipa::path(
    post,
    path = "/api/v1/earthing-tests/{id}/amendments",
    tag = "records",
    operation_id = "amend_earthing_test",
    params(("id" = i64, Path, description = "The earthing test id"), LangQuery),
    request_body = AmendRequest,
    responses(
        (status = 201, description = "The test's new version", body = TestDto),
        ChangeErrors,
        CommonErrors,
    ),
)]
pub async fn amend_earthing_test<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    ReqLang(lang): ReqLang,
    Json(body): Json<AmendRequest>,
) -> ApiResult<(StatusCode, Json<TestDto>)> {
    caller.require(Role::Technician)?;
    let (reason, changes) = (body.reason()?, body.changes()?);
    let record = amend::earthing_test(&app.store, actor(&caller), id, reason, &changes)
        .await
        .map_err(|r| refused(r, lang))?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Voids one inspection.
///
/// It leaves every figure and stays readable, with who voided it and why.
#[utoipa::path(
    post,
    path = "/api/v1/inspections/{id}/void",
    tag = "records",
    operation_id = "void_inspection",
    params(("id" = i64, Path, description = "The inspection id"), LangQuery),
    request_body = RecordVoidRequest,
    responses(
        (status = 200, description = "The voided inspection", body = InspectionDto),
        ChangeErrors,
        CommonErrors,
    ),
)]
pub async fn void_inspection<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    ReqLang(lang): ReqLang,
    Json(body): Json<RecordVoidRequest>,
) -> ApiResult<Json<InspectionDto>> {
    caller.require(Role::Technician)?;
    let record = amend::void_inspection(&app.store, actor(&caller), id, body.reason()?)
        .await
        .map_err(|r| refused(r, lang))?;
    Ok(Json(record.into()))
}

/// Voids one earthing test.
#[utoipa::path(
    post,
    path = "/api/v1/earthing-tests/{id}/void",
    tag = "records",
    operation_id = "void_earthing_test",
    params(("id" = i64, Path, description = "The earthing test id"), LangQuery),
    request_body = RecordVoidRequest,
    responses(
        (status = 200, description = "The voided earthing test", body = TestDto),
        ChangeErrors,
        CommonErrors,
    ),
)]
pub async fn void_earthing_test<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    ReqLang(lang): ReqLang,
    Json(body): Json<RecordVoidRequest>,
) -> ApiResult<Json<TestDto>> {
    caller.require(Role::Technician)?;
    let record = amend::void_earthing_test(&app.store, actor(&caller), id, body.reason()?)
        .await
        .map_err(|r| refused(r, lang))?;
    Ok(Json(record.into()))
}

/// Lists every version of an inspection.
///
/// Oldest first, the current one last; each with its version number and who made it,
/// when and why (null on version 1).
#[utoipa::path(
    get,
    path = "/api/v1/inspections/{id}/versions",
    tag = "records",
    operation_id = "list_inspection_versions",
    params(("id" = i64, Path, description = "The inspection id"), LabParam),
    responses(
        (status = 200, description = "Every version, oldest first", body = InspectionVersions),
        (status = 404, description = "No such inspection in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn inspection_versions<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LabParam>,
) -> ApiResult<Json<InspectionVersions>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let versions = app.store.inspection_versions(lab, id).await?;
    Ok(Json(InspectionVersions {
        items: versions.into_iter().map(Into::into).collect(),
    }))
}

/// Lists every version of an earthing test, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/earthing-tests/{id}/versions",
    tag = "records",
    operation_id = "list_earthing_test_versions",
    params(("id" = i64, Path, description = "The earthing test id"), LabParam),
    responses(
        (status = 200, description = "Every version, oldest first", body = TestVersions),
        (status = 404, description = "No such earthing test in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn earthing_test_versions<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LabParam>,
) -> ApiResult<Json<TestVersions>> {
    caller.require(Role::Reader)?;
    let lab = caller.read_lab(&app.store, q.lab.as_deref()).await?;
    let versions = app.store.earthing_test_versions(lab, id).await?;
    Ok(Json(TestVersions {
        items: versions.into_iter().map(Into::into).collect(),
    }))
}

/// Restores a voided batch.
///
/// The records its void took count again in every figure (records voided on their own
/// stay voided). Refused, naming every clash, when a live record took one of their keys
/// or numbers since, or the same file is stored again.
#[utoipa::path(
    post,
    path = "/api/v1/imports/{id}/restore",
    tag = "imports",
    operation_id = "restore_import",
    params(("id" = i64, Path, description = "The batch id"), LangQuery),
    responses(
        (status = 200, description = "Restored", body = BatchDto),
        (status = 404, description = "No such batch in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A live record holds a key or number of the batch's records, or the same file is stored (the detail names each clash); nothing was restored", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The batch is not voided", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn restore_import<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(id): Path<i64>,
    ReqLang(lang): ReqLang,
) -> ApiResult<Json<BatchDto>> {
    caller.require(Role::Supervisor)?;
    let store = app.store.clone();
    let batch =
        crate::run_whole(async move { store.restore_batch(caller.lab, id, &caller.actor).await })
            .await?;
    Ok(Json(BatchDto::new(batch, lang)))
}
