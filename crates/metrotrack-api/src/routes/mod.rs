//! The handlers, by resource. Each checks the caller's role first, then the lab.

pub mod admin;
pub mod amendments;
pub mod categories;
mod conditional;
pub mod figures;
pub mod imports;
pub mod records;
pub mod settings;

use axum::response::{IntoResponse, Response};

use crate::dto::Health;
use crate::error::not_found;
use crate::extract::Json;

/// Liveness: answers while the server runs. No authentication.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    operation_id = "get_health",
    security(()),
    responses((status = 200, description = "The server is up", body = Health)),
)]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
    })
}

/// Any path that names nothing.
pub async fn fallback() -> Response {
    not_found("There is nothing at this path; see /api/v1/openapi.json for the API.")
        .into_response()
}

/// The error responses every authenticated route may give, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum CommonErrors {
    /// The request or one of its parameters is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(crate::dto::ProblemDetails),
    /// No valid credentials.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(crate::dto::ProblemDetails),
    /// The role or lab does not allow this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(crate::dto::ProblemDetails),
    /// Too many failed sign-ins from this address.
    #[response(status = 429, content_type = "application/problem+json")]
    TooManyRequests(crate::dto::ProblemDetails),
}
