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

/// How long `/healthz` waits for the database.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether the server and its database answer.
///
/// 200 when a read of the database succeeds within 5 s, else 503. No authentication.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    operation_id = "get_health",
    security(()),
    responses(
        (status = 200, description = "The server and its database answer", body = Health),
        (status = 503, description = "The database does not answer",
         body = crate::dto::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub async fn health<S: metrotrack_store::Store>(
    axum::extract::State(app): axum::extract::State<crate::AppState<S>>,
) -> Response {
    match tokio::time::timeout(HEALTH_TIMEOUT, app.store.default_lab()).await {
        Ok(Ok(_)) => Json(Health {
            status: "ok".to_owned(),
        })
        .into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: the database failed");
            crate::error::unavailable_database().into_response()
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer in time");
            crate::error::unavailable_database().into_response()
        }
    }
}

/// The server's metrics in Prometheus' text format.
///
/// Requests by route and status, their latency, rows imported, database connections in
/// use. Admin only (an admin's API token as `Authorization: Bearer …`, which Prometheus sends
/// with `authorization: {credentials: …}` in its scrape config): route names and counts
/// say what a lab does.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    operation_id = "get_metrics",
    responses(
        (status = 200, description = "The metrics (Prometheus text format 0.0.4)", body = String,
         content_type = "text/plain; version=0.0.4; charset=utf-8"),
        CommonErrors,
    ),
)]
pub async fn metrics<S: metrotrack_store::Store>(
    axum::extract::State(app): axum::extract::State<crate::AppState<S>>,
    caller: crate::Caller,
) -> crate::error::ApiResult<Response> {
    caller.require(metrotrack_store::accounts::Role::Admin)?;
    let text = app.telemetry.render(app.store.pool_use());
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// Any path that names nothing.
/// A browser asking for a page gets an HTML 404 page in its language; the API and
/// other clients get problem+json.
pub async fn fallback(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    if crate::web::wants_page(&uri, &headers) {
        return crate::web::not_found_page(&uri, &headers);
    }
    not_found(crate::error::ProblemType::NotFound.generic_detail()).into_response()
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
    /// The server is busy (the database with other writes, or too many sign-ins being
    /// checked): nothing was done; try again after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    ServiceUnavailable(crate::dto::ProblemDetails),
}
