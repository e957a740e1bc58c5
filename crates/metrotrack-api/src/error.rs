//! Errors of the HTTP API, as RFC 9457 `application/problem+json`.
//!
//! Policy:
//! - Every error response is problem+json with a stable `type` URI from [`ProblemType`]
//!   (documented in the README and the OpenAPI document), a `title` that depends only on
//!   the type, the HTTP `status`, and a `detail` written for the person reading it.
//! - A client's mistake (4xx) says what was wrong and how to put it right. Import
//!   refusals carry every row problem (`problems`), the `warnings` and the `batch`.
//! - An internal failure (5xx) never leaks: the response says only that something went
//!   wrong on our side; the cause is logged with `tracing` at `error` level.
//! - Failed authentication is one answer whatever the cause (unknown user, wrong
//!   password, unknown or revoked token), so that it reveals nothing.
//! - Store errors map to statuses in one place ([`From<StoreError>`]).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrotrack_core::{ImportBatch, Lang};
use metrotrack_store::StoreError;

use crate::dto::{BatchDto, ProblemDetails, RowProblem};

/// The stable `type` of each kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    BadRequest,
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    ImportRefused,
    TooManyRequests,
    Timeout,
    Internal,
    /// The server is busy (too many password checks waiting, or the database busy with
    /// other writes): 503 with `Retry-After`.
    Busy,
    /// Listed among the stable types (README); nothing answers 501 yet.
    #[allow(dead_code)]
    Unavailable,
}

impl ProblemType {
    #[cfg(test)]
    const ALL: [ProblemType; 15] = [
        Self::BadRequest,
        Self::Validation,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::ImportRefused,
        Self::TooManyRequests,
        Self::Timeout,
        Self::Internal,
        Self::Busy,
        Self::Unavailable,
    ];

    /// The `type` URI: `https://metrotrack.dev/problems/<slug>`.
    pub fn uri(self) -> String {
        format!("https://metrotrack.dev/problems/{}", self.slug())
    }

    pub fn slug(self) -> &'static str {
        match self {
            Self::BadRequest => "bad-request",
            Self::Validation => "validation",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::ImportRefused => "import-refused",
            Self::TooManyRequests => "too-many-requests",
            Self::Timeout => "timeout",
            Self::Internal => "internal",
            Self::Busy => "busy",
            Self::Unavailable => "unavailable",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::BadRequest => "The request is malformed",
            Self::Validation => "A value in the request is not valid",
            Self::Unauthorized => "Authentication required",
            Self::Forbidden => "Not allowed",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Conflict => "Conflict",
            Self::PayloadTooLarge => "The upload is too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::ImportRefused => "The import was refused",
            Self::TooManyRequests => "Too many failed attempts",
            Self::Timeout => "The request took too long",
            Self::Internal => "Internal error",
            Self::Busy => "The server is busy",
            Self::Unavailable => "Not available",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::ImportRefused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unavailable => StatusCode::NOT_IMPLEMENTED,
        }
    }
}

/// An error answered to the client. Build with the small constructors below.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A client-facing problem: its type and a human detail.
    #[error("{detail}")]
    Problem {
        kind: ProblemType,
        detail: String,
        /// Seconds, for `Retry-After` (429).
        retry_after: Option<u64>,
    },
    /// Values of a change are not acceptable: each problem names its field; nothing was
    /// changed.
    #[error("invalid values")]
    Invalid(Vec<metrotrack_core::Problem>, Lang),
    /// Strict mode (or a whole-file problem) refused an upload: nothing was stored. The
    /// problems are written in the language asked.
    #[error("import refused")]
    ImportRefused(Box<ImportBatch>, Lang),
    /// Something failed on our side; logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

fn problem(kind: ProblemType, detail: impl Into<String>) -> ApiError {
    ApiError::Problem {
        kind,
        detail: detail.into(),
        retry_after: None,
    }
}

/// 400: the request cannot be read (malformed JSON, query string, path, cursor).
pub fn bad_request(detail: impl Into<String>) -> ApiError {
    problem(ProblemType::BadRequest, detail)
}

/// 422: the request is well-formed but a value is not acceptable.
pub fn validation(detail: impl Into<String>) -> ApiError {
    problem(ProblemType::Validation, detail)
}

/// 401, always with the same detail.
pub fn unauthorized() -> ApiError {
    problem(
        ProblemType::Unauthorized,
        "Send a valid API token as `Authorization: Bearer …` (or a username and password \
         as HTTP Basic).",
    )
}

/// 403: authenticated, but the role or lab does not allow this.
pub fn forbidden(detail: impl Into<String>) -> ApiError {
    problem(ProblemType::Forbidden, detail)
}

/// 404.
pub fn not_found(detail: impl Into<String>) -> ApiError {
    problem(ProblemType::NotFound, detail)
}

/// 409.
pub fn conflict(detail: impl Into<String>) -> ApiError {
    problem(ProblemType::Conflict, detail)
}

/// 413.
pub fn payload_too_large(detail: impl Into<String>) -> ApiError {
    problem(ProblemType::PayloadTooLarge, detail)
}

/// 415.
pub fn unsupported_media_type(detail: impl Into<String>) -> ApiError {
    problem(ProblemType::UnsupportedMediaType, detail)
}

/// 429 with `Retry-After`.
pub fn too_many_requests(retry_after_secs: u64) -> ApiError {
    ApiError::Problem {
        kind: ProblemType::TooManyRequests,
        detail: format!(
            "Too many failed sign-in attempts from this address; try again in {retry_after_secs} s."
        ),
        retry_after: Some(retry_after_secs),
    }
}

/// 503 with `Retry-After`: too much is waiting already; nothing was done.
pub fn busy(retry_after_secs: u64) -> ApiError {
    ApiError::Problem {
        kind: ProblemType::Busy,
        detail: format!(
            "Too many sign-ins are being checked at once; nothing was done. Try again in \
             {retry_after_secs} s."
        ),
        retry_after: Some(retry_after_secs),
    }
}

/// How long a client is asked to wait when the database is busy.
pub const DATABASE_BUSY_RETRY_SECS: u64 = 5;

/// 503 with `Retry-After`: the database is busy with other writes; nothing was done.
pub fn database_busy() -> ApiError {
    ApiError::Problem {
        kind: ProblemType::Busy,
        detail: format!(
            "The database is busy with other work (a large import, for one); nothing was \
             changed. Try again in {DATABASE_BUSY_RETRY_SECS} s."
        ),
        retry_after: Some(DATABASE_BUSY_RETRY_SECS),
    }
}

/// 503: the database does not answer (`/healthz`).
pub fn unavailable_database() -> ApiError {
    ApiError::Problem {
        kind: ProblemType::Busy,
        detail: "The database does not answer.".to_owned(),
        retry_after: Some(5),
    }
}

/// 408.
pub fn timeout() -> ApiError {
    problem(
        ProblemType::Timeout,
        "The request did not finish in time; nothing was changed unless it says otherwise.",
    )
}

/// 500 from an infrastructure failure; the cause is logged, not shown.
pub fn internal(cause: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(cause.to_string())
}

impl From<crate::export::ExportError> for ApiError {
    fn from(e: crate::export::ExportError) -> Self {
        match e {
            crate::export::ExportError::Store(e) => e.into(),
            crate::export::ExportError::TooManyRows => {
                validation(crate::export::ExportError::TooManyRows.to_string())
            }
            other => internal(other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            e if e.is_busy() => database_busy(),
            StoreError::NotFound(what) => not_found(format!("{what} was not found.")),
            StoreError::Invalid(why) => validation(why),
            StoreError::Conflict(why) => conflict(why),
            other => internal(other),
        }
    }
}

impl From<crate::ingest::IngestError> for ApiError {
    fn from(e: crate::ingest::IngestError) -> Self {
        match e {
            crate::ingest::IngestError::Store(s) => s.into(),
            other => internal(other),
        }
    }
}

/// The problem+json document of `kind`.
pub fn document(kind: ProblemType, detail: String) -> ProblemDetails {
    ProblemDetails {
        r#type: kind.uri(),
        title: kind.title().to_owned(),
        status: kind.status().as_u16(),
        detail,
        problems: None,
        warnings: None,
        batch: None,
    }
}

/// Writes `doc` as `application/problem+json`.
pub fn problem_response(doc: &ProblemDetails) -> Response {
    let status = StatusCode::from_u16(doc.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(doc).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Problem {
                kind,
                detail,
                retry_after,
            } => {
                let mut response = problem_response(&document(kind, detail));
                if let Some(v) =
                    retry_after.and_then(|secs| HeaderValue::from_str(&secs.to_string()).ok())
                {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                if kind == ProblemType::Unauthorized {
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Bearer realm=\"metrotrack\""),
                    );
                }
                response
            }
            ApiError::Invalid(problems, lang) => {
                let n = problems.len();
                let mut doc = document(
                    ProblemType::Validation,
                    match lang {
                        Lang::Vi => format!(
                            "Không thay đổi gì: {n} giá trị không chấp nhận được; mỗi lỗi ghi rõ \
                             trường của nó."
                        ),
                        Lang::En => format!(
                            "Nothing was changed: {n} value(s) are not acceptable; each problem \
                             names its field."
                        ),
                    },
                );
                if lang == Lang::Vi {
                    doc.title = "Có giá trị không hợp lệ trong yêu cầu".to_owned();
                }
                doc.problems = Some(RowProblem::all(&problems, lang));
                problem_response(&doc)
            }
            ApiError::ImportRefused(batch, lang) => {
                let (n, file, rows) = (batch.problems.len(), &batch.file_name, batch.rows);
                let mut doc = document(
                    ProblemType::ImportRefused,
                    match lang {
                        Lang::Vi => format!(
                            "Không lưu gì: {n} lỗi trong {file} (đã đọc {rows} dòng). Hãy sửa \
                             rồi tải tệp lên lại, hoặc nhập với mode=partial để lưu các dòng \
                             hợp lệ."
                        ),
                        Lang::En => format!(
                            "Nothing was stored: {n} problem(s) in {file} ({rows} rows read). \
                             Fix them and upload the file again, or import with mode=partial \
                             to store the valid rows."
                        ),
                    },
                );
                if lang == Lang::Vi {
                    doc.title = "Tệp nhập bị từ chối".to_owned();
                }
                doc.problems = Some(RowProblem::all(&batch.problems, lang));
                doc.warnings = Some(RowProblem::all(&batch.warnings, lang));
                doc.batch = Some(Box::new(BatchDto::new(*batch, lang)));
                problem_response(&doc)
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error answered with 500");
                problem_response(&document(
                    ProblemType::Internal,
                    "Something went wrong on our side; it has been logged.".to_owned(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_uris_are_distinct_and_stable() {
        let uris: std::collections::BTreeSet<String> =
            ProblemType::ALL.iter().map(|k| k.uri()).collect();
        assert_eq!(uris.len(), ProblemType::ALL.len());
        assert_eq!(
            ProblemType::ImportRefused.uri(),
            "https://metrotrack.dev/problems/import-refused"
        );
    }

    /// The 500 a client receives, read from the rendered response: the generic document,
    /// nothing of the cause.
    #[tokio::test]
    async fn internals_never_leak() {
        let response = internal("database is locked at /secret/path").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static("application/problem+json"))
        );
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("the body is read");
        let text = String::from_utf8(body.to_vec()).expect("utf-8 body");
        assert!(!text.contains("secret"), "{text}");
        assert!(!text.contains("locked"), "{text}");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("problem+json");
        let expected = serde_json::to_value(document(
            ProblemType::Internal,
            "Something went wrong on our side; it has been logged.".to_owned(),
        ))
        .expect("document as JSON");
        assert_eq!(doc, expected);
        assert_eq!(doc["status"], 500);
        assert_eq!(doc["type"], "https://metrotrack.dev/problems/internal");
    }
}
