//! Why a page cannot be shown, answered as a page in the reader's language (never
//! problem+json from here): a visitor without a session goes to `/login`; a missing page
//! or record is a 404 page naming the address; a failure on our side is logged and
//! answered with a 500 page that names no cause. Each has a way back. Page handlers return
//! [`PageResult`] and use `?` on the store.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use metrotrack_core::Lang;
use metrotrack_store::StoreError;

use super::words::{Words, words};

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

/// Which error page a failed page answers with; the web layer ([`error_page`]) renders
/// it in the reader's language, where the request is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorPage {
    NotFound,
    Busy(u64),
    DatabaseBusy(u64),
    Internal,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = match self {
            Self::SignIn => return Redirect::to("/login").into_response(),
            Self::NotFound(what) => {
                tracing::debug!(what = %what, "page not found");
                ErrorPage::NotFound
            }
            Self::Busy(left) => ErrorPage::Busy(left),
            Self::DatabaseBusy(left) => ErrorPage::DatabaseBusy(left),
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "web page failed");
                ErrorPage::Internal
            }
        };
        let mut response = page.status().into_response();
        response.extensions_mut().insert(page);
        response
    }
}

impl ErrorPage {
    fn status(self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Busy(_) | Self::DatabaseBusy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorView<'a> {
    lang: &'static str,
    w: &'static Words,
    title: &'static str,
    text: String,
    /// The address asked for, on a 404.
    path: Option<&'a str>,
    /// The page the reader came from, on this server.
    back: Option<String>,
}

/// `page` as a whole HTML page in `lang`, naming `path` on a 404 and linking back to
/// the page in `referer` when it was one of ours.
pub(crate) fn error_page(
    page: ErrorPage,
    lang: Lang,
    path: &str,
    referer: Option<&HeaderValue>,
) -> Response {
    let w = words(lang);
    let (title, text) = match page {
        ErrorPage::NotFound => (w.not_found_title, w.not_found_text.to_owned()),
        ErrorPage::Busy(left) => (w.busy_title, format!("{} {left} s.", w.busy_text)),
        ErrorPage::DatabaseBusy(left) => {
            (w.busy_title, format!("{} {left} s.", w.database_busy_text))
        }
        ErrorPage::Internal => (w.internal_title, w.internal_text.to_owned()),
    };
    let back = referer
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_owned()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && p != path);
    let view = ErrorView {
        lang: super::i18n::texts(lang).lang,
        w,
        title,
        text,
        path: (page == ErrorPage::NotFound).then_some(path),
        back,
    };
    let body = view.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "error page failed");
        String::from("<!doctype html><title>metrotrack</title><p>Error.</p>")
    });
    let mut response = (page.status(), Html(body)).into_response();
    if let ErrorPage::Busy(left) | ErrorPage::DatabaseBusy(left) = page
        && let Ok(v) = HeaderValue::from_str(&left.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// A template as an HTML page.
pub(crate) fn render(t: &impl Template) -> PageResult {
    Ok(Html(t.render()?).into_response())
}
