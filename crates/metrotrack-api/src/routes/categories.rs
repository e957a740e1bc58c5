//! A lab's categories kept by an admin: added or renamed, a verification cycle added.

use axum::extract::State;
use metrotrack_core::{CategoryCode, CycleRule};
use metrotrack_store::accounts::Role;
use metrotrack_store::{CategoryNames, Store};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::dto::{CategoryDto, CycleDto, ProblemDetails};
use crate::error::{ApiResult, said, validation};
use crate::extract::{Json, Path};
use crate::routes::CommonErrors;
use crate::{AppState, Caller};

/// A category's names, and whether it is on the legal list.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({"name_vi": "Đồng hồ nước", "name_en": "Water meter", "legal_group2": true}))]
pub struct CategoryRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name_vi: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name_en: String,
    /// On the legal list of instruments that must be verified (nhóm 2); default true.
    pub legal_group2: Option<bool>,
}

/// `code` as a category code, or a 422.
fn code_of(code: &str) -> ApiResult<CategoryCode> {
    CategoryCode::parse(code).map_err(|_| {
        validation(said!(
            "code: {code:?} không phải là mã loại phương tiện đo (1 đến 16 chữ cái, chữ số, \
             - hoặc _).",
            "code: {code:?} is not a category code (1 to 16 letters, digits, - or _)."
        ))
    })
}

/// Adds a category, or renames one.
///
/// Sets the category's Vietnamese and English names and its legal-list flag; the code
/// is the one in the path. Admins only; audited with before and after.
#[utoipa::path(
    put,
    path = "/api/v1/categories/{code}",
    tag = "figures",
    operation_id = "set_category",
    params(("code" = String, Path, description = "The category code, e.g. DHN")),
    request_body = CategoryRequest,
    responses(
        (status = 200, description = "The category as stored", body = CategoryDto),
        (status = 415, description = "The body is not `application/json`", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "A code or name that is not acceptable", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn set_category<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(code): Path<String>,
    Json(body): Json<CategoryRequest>,
) -> ApiResult<Json<CategoryDto>> {
    caller.require(Role::Admin)?;
    let names = CategoryNames {
        code: code_of(&code)?,
        name_vi: body.name_vi,
        name_en: body.name_en,
        legal_group2: body.legal_group2.unwrap_or(true),
    };
    let category = app
        .store
        .save_category(caller.lab, &names, &caller.actor)
        .await?;
    Ok(Json(category.into()))
}

/// Adds a verification cycle to a category.
///
/// In force from `effective_from` on: inspections from that date get its valid-until,
/// those stored before keep theirs. Admins only; audited.
#[utoipa::path(
    post,
    path = "/api/v1/categories/{code}/cycles",
    tag = "figures",
    operation_id = "create_category_cycle",
    params(("code" = String, Path, description = "The category code, e.g. DHN")),
    request_body = CycleDto,
    responses(
        (status = 201, description = "The category with its cycles", body = CategoryDto),
        (status = 404, description = "No such category in the lab", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The category has a cycle from that date", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Months outside 1 to 240", body = ProblemDetails, content_type = "application/problem+json"),
        CommonErrors,
    ),
)]
pub async fn create_cycle<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Path(code): Path<String>,
    Json(body): Json<CycleDto>,
) -> ApiResult<(axum::http::StatusCode, Json<CategoryDto>)> {
    caller.require(Role::Admin)?;
    let rule = CycleRule {
        effective_from: body.effective_from,
        months: body.months,
    };
    let category = app
        .store
        .add_cycle(caller.lab, &code_of(&code)?, rule, &caller.actor)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(category.into())))
}
