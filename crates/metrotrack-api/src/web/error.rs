//! Why a page cannot be shown, answered as a page (never problem+json from here): a
//! visitor without a session goes to `/login`; a failure on our side is logged and
//! answered with a plain 500 page that names no cause. Page handlers return
//! [`PageResult`] and use `?` on the store.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use metrotrack_store::StoreError;

/// What a page handler answers.
pub(crate) type PageResult = Result<Response, PageError>;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// No live session: to the sign-in page.
    #[error("not signed in")]
    SignIn,
    /// What the page names does not exist in the lab (a batch, a record): 404.
    #[error("{0} not found")]
    NotFound(String),
    /// Too many sign-ins are being checked: 503, try again in this many seconds.
    #[error("busy")]
    Busy(u64),
    /// The database is busy with other writes: 503, try again in this many seconds.
    #[error("database busy")]
    DatabaseBusy(u64),
    /// Failed on our side (the store, a template, the random source).
    #[error("{0}")]
    Internal(String),
}

impl PageError {
    pub(crate) fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

impl From<crate::export::ExportError> for PageError {
    fn from(e: crate::export::ExportError) -> Self {
        match e {
            crate::export::ExportError::Store(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            e if e.is_busy() => Self::DatabaseBusy(crate::error::DATABASE_BUSY_RETRY_SECS),
            StoreError::NotFound(what) => Self::NotFound(what),
            other => Self::internal(other),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn => Redirect::to("/login").into_response(),
            Self::NotFound(what) => (
                StatusCode::NOT_FOUND,
                Html(format!(
                    "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\">\
                     <title>metrotrack</title><h1>Không tìm thấy · Not found</h1>\
                     <p>Không có {what} trong phòng thí nghiệm này. · There is no {what} in \
                     this lab.</p><p><a href=\"/\">metrotrack</a></p>",
                    what = html_escape(&what)
                )),
            )
                .into_response(),
            Self::Busy(left) => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, left.to_string())],
                Html(format!(
                    "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\">\
                     <title>metrotrack</title><h1>Máy chủ đang bận · The server is busy</h1>\
                     <p>Có quá nhiều lượt đăng nhập đang được kiểm tra. Vui lòng thử lại sau \
                     {left} giây. · Too many sign-ins are being checked; please try again in \
                     {left} s.</p><p><a href=\"/login\">metrotrack</a></p>"
                )),
            )
                .into_response(),
            Self::DatabaseBusy(left) => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, left.to_string())],
                Html(format!(
                    "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\">\
                     <title>metrotrack</title><h1>Máy chủ đang bận · The server is busy</h1>\
                     <p>Cơ sở dữ liệu đang bận với việc khác (một lần nhập lớn chẳng hạn); \
                     chưa có gì thay đổi. Vui lòng thử lại sau {left} giây. · The database is \
                     busy with other work (a large import, for one); nothing was changed. \
                     Please try again in {left} s.</p><p><a href=\"/\">metrotrack</a></p>"
                )),
            )
                .into_response(),
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "web page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html("<!doctype html><title>metrotrack</title><p>Internal error.</p>"),
                )
                    .into_response()
            }
        }
    }
}

/// A template as an HTML page.
pub(crate) fn render(t: &impl Template) -> PageResult {
    Ok(Html(t.render()?).into_response())
}

/// `text` safe inside HTML.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
