//! Errors of the HTTP API, as RFC 9457 `application/problem+json`.
//!
//! Policy:
//! - Every error response is problem+json with a stable `type` URI from [`ProblemType`]
//!   (documented in the README and the OpenAPI document), a `title` that depends only on
//!   the type, the HTTP `status`, and a `detail` written for the person reading it.
//! - `title` and `detail` are in the language the request asks for (`?lang=vi|en`, else
//!   `Accept-Language`, else English; [`crate::lang`]): every detail is written in both
//!   ([`Said`]), the titles are in [`texts`]. A handler's problem is rendered in English
//!   with its Vietnamese document beside it; the guard in `lib.rs` answers the one asked.
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

mod refusals;
mod texts;

pub use texts::unreadable;

/// A text a person reads, in Vietnamese and English: a problem's `detail` is written in
/// both and answered in the language the request asks for ([`crate::lang`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub vi: String,
    pub en: String,
}

impl Said {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            vi: vi.into(),
            en: en.into(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

/// A [`Said`] from two format strings (Vietnamese, then English) over the same names.
macro_rules! said {
    ($vi:literal, $en:literal $(,)?) => {
        $crate::error::Said {
            vi: format!($vi),
            en: format!($en),
        }
    };
}
pub(crate) use said;

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
    /// A client-facing problem: its type and a human detail in both languages.
    #[error("{}", detail.en)]
    Problem {
        kind: ProblemType,
        detail: Said,
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

fn problem(kind: ProblemType, detail: Said) -> ApiError {
    ApiError::Problem {
        kind,
        detail,
        retry_after: None,
    }
}

/// 400: the request cannot be read (malformed JSON, query string, path, cursor).
pub fn bad_request(detail: Said) -> ApiError {
    problem(ProblemType::BadRequest, detail)
}

/// 422: the request is well-formed but a value is not acceptable.
pub fn validation(detail: Said) -> ApiError {
    problem(ProblemType::Validation, detail)
}

/// 401, always with the same detail.
pub fn unauthorized() -> ApiError {
    problem(
        ProblemType::Unauthorized,
        ProblemType::Unauthorized.generic_detail(),
    )
}

/// 403: authenticated, but the role or lab does not allow this.
pub fn forbidden(detail: Said) -> ApiError {
    problem(ProblemType::Forbidden, detail)
}

/// 404.
pub fn not_found(detail: Said) -> ApiError {
    problem(ProblemType::NotFound, detail)
}

/// 409.
pub fn conflict(detail: Said) -> ApiError {
    problem(ProblemType::Conflict, detail)
}

/// 413.
pub fn payload_too_large(detail: Said) -> ApiError {
    problem(ProblemType::PayloadTooLarge, detail)
}

/// 415.
pub fn unsupported_media_type(detail: Said) -> ApiError {
    problem(ProblemType::UnsupportedMediaType, detail)
}

/// 429 with `Retry-After`.
pub fn too_many_requests(retry_after_secs: u64) -> ApiError {
    ApiError::Problem {
        kind: ProblemType::TooManyRequests,
        detail: said!(
            "Có quá nhiều lần đăng nhập sai từ địa chỉ này; xin thử lại sau \
             {retry_after_secs} giây.",
            "Too many failed sign-in attempts from this address; try again in \
             {retry_after_secs} s.",
        ),
        retry_after: Some(retry_after_secs),
    }
}

/// 503 with `Retry-After`: too much is waiting already; nothing was done.
pub fn busy(retry_after_secs: u64) -> ApiError {
    ApiError::Problem {
        kind: ProblemType::Busy,
        detail: said!(
            "Máy chủ đang bận: có quá nhiều lượt đăng nhập đang được kiểm tra cùng lúc; \
             chưa có gì được thực hiện. Xin thử lại sau {retry_after_secs} giây.",
            "Too many sign-ins are being checked at once; nothing was done. Try again in \
             {retry_after_secs} s.",
        ),
        retry_after: Some(retry_after_secs),
    }
}

/// What the store did not find (`import batch 6`) said in both languages.
pub fn missing(what: &str) -> Said {
    match texts::thing_vi(what) {
        Some(thing) => said!("Không tìm thấy {thing}.", "{what} was not found."),
        None => said!("Không tìm thấy điều được yêu cầu.", "{what} was not found."),
    }
}

/// The store's refusal `why` (written in English) in `lang`, for a page.
pub fn refusal_in(why: String, lang: Lang) -> String {
    match lang {
        Lang::Vi => refusals::refusal_vi(&why),
        Lang::En => why,
    }
}

/// How long a client is asked to wait when the database is busy.
pub const DATABASE_BUSY_RETRY_SECS: u64 = 5;

/// 503 with `Retry-After`: the database is busy with other writes; nothing was done.
pub fn database_busy() -> ApiError {
    ApiError::Problem {
        kind: ProblemType::Busy,
        detail: said!(
            "Cơ sở dữ liệu đang bận với việc khác (một lần nhập lớn chẳng hạn); chưa có gì \
             thay đổi. Xin thử lại sau {DATABASE_BUSY_RETRY_SECS} giây.",
            "The database is busy with other work (a large import, for one); nothing was \
             changed. Try again in {DATABASE_BUSY_RETRY_SECS} s.",
        ),
        retry_after: Some(DATABASE_BUSY_RETRY_SECS),
    }
}

/// 503: the database does not answer (`/healthz`).
pub fn unavailable_database() -> ApiError {
    ApiError::Problem {
        kind: ProblemType::Busy,
        detail: said!(
            "Cơ sở dữ liệu không trả lời.",
            "The database does not answer."
        ),
        retry_after: Some(5),
    }
}

/// 408.
pub fn timeout() -> ApiError {
    problem(ProblemType::Timeout, ProblemType::Timeout.generic_detail())
}

/// 500 from an infrastructure failure; the cause is logged, not shown.
pub fn internal(cause: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(cause.to_string())
}

impl From<crate::export::ExportError> for ApiError {
    fn from(e: crate::export::ExportError) -> Self {
        match e {
            crate::export::ExportError::Store(e) => e.into(),
            crate::export::ExportError::TooManyRows => validation(said!(
                "Danh sách có nhiều dòng hơn một trang tính Excel chứa được (1.048.575 dòng \
                 và dòng tiêu đề); hãy thu hẹp (một kỳ, một loại) hoặc xuất ra CSV.",
                "The list has more rows than an Excel sheet holds (1,048,575 and the \
                 header); narrow it (a period, a category) or export it as CSV.",
            )),
            other => internal(other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            e if e.is_busy() => database_busy(),
            StoreError::NotFound(what) => not_found(missing(&what)),
            StoreError::Invalid(why) => validation(Said::new(refusals::refusal_vi(&why), why)),
            StoreError::Conflict(why) => conflict(Said::new(refusals::refusal_vi(&why), why)),
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

/// The problem+json document of `kind`, its title in `lang`.
pub fn document(kind: ProblemType, lang: Lang, detail: String) -> ProblemDetails {
    ProblemDetails {
        r#type: kind.uri(),
        title: kind.title(lang).to_owned(),
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

/// A problem answered in English by a handler, with its Vietnamese document beside it
/// (a response extension): the guard, which knows the language the request asks for,
/// answers that one instead when it is Vietnamese ([`in_language`]).
#[derive(Debug, Clone)]
pub struct Vietnamese(ProblemDetails);

/// `response` in `lang`: a problem answered in English with its Vietnamese document
/// beside it is rewritten when `lang` is Vietnamese; anything else is left as it is.
pub fn in_language(mut response: Response, lang: Lang) -> Response {
    let Some(Vietnamese(doc)) = response.extensions_mut().remove::<Vietnamese>() else {
        return response;
    };
    if lang == Lang::En {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = serde_json::to_vec(&doc).unwrap_or_else(|_| b"{}".to_vec());
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The problem in English, its Vietnamese document beside it for the guard.
fn bilingual(kind: ProblemType, detail: Said) -> Response {
    let mut response = problem_response(&document(kind, Lang::En, detail.en));
    response
        .extensions_mut()
        .insert(Vietnamese(document(kind, Lang::Vi, detail.vi)));
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
                let mut response = bilingual(kind, detail);
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
                    lang,
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
                doc.problems = Some(RowProblem::all(&problems, lang));
                problem_response(&doc)
            }
            ApiError::ImportRefused(batch, lang) => {
                let (n, file, rows) = (batch.problems.len(), &batch.file_name, batch.rows);
                let mut doc = document(
                    ProblemType::ImportRefused,
                    lang,
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
                doc.problems = Some(RowProblem::all(&batch.problems, lang));
                doc.warnings = Some(RowProblem::all(&batch.warnings, lang));
                doc.batch = Some(Box::new(BatchDto::new(*batch, lang)));
                problem_response(&doc)
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error answered with 500");
                bilingual(
                    ProblemType::Internal,
                    ProblemType::Internal.generic_detail(),
                )
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
            Lang::En,
            "Something went wrong on our side; it has been logged.".to_owned(),
        ))
        .expect("document as JSON");
        assert_eq!(doc, expected);
        assert_eq!(doc["status"], 500);
        assert_eq!(doc["type"], "https://metrotrack.dev/problems/internal");
    }
}
