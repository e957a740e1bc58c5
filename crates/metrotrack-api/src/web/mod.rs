//! The web pages for supervisors and technicians (SPEC §3 "Web pages"): server-rendered
//! askama templates, a small stylesheet and script served from `/assets`, nothing
//! fetched from elsewhere.
//!
//! Sign-in makes a session: a random 32-byte id in an HttpOnly, SameSite=Lax cookie,
//! kept in the store only as its SHA-256, expiring after [`SESSION_HOURS`]. Every form
//! carries the session's CSRF token (the sign-in form a cookie-bound one), checked on
//! every POST. Every page but `/login` sends a visitor without a session to `/login`.

pub(crate) mod access;
pub(crate) mod assets;
mod chart;
mod error;
pub(crate) mod i18n;
mod locale;
mod login;
mod pages;
pub(crate) mod words;

use std::sync::OnceLock;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::Utc;
use metrotrack_core::Lang;
use metrotrack_store::Store;
use metrotrack_store::accounts::{Role, Session};
use serde::Deserialize;

use crate::AppState;
use crate::auth::hash_token;
pub(crate) use error::{PageError, PageResult, render};
pub(crate) use i18n::Texts;

/// How long a sign-in lasts.
const SESSION_HOURS: i64 = 12;
const SESSION_COOKIE: &str = "mt_session";
const LOGIN_CSRF_COOKIE: &str = "mt_login_csrf";
const LANG_COOKIE: &str = "mt_lang";
/// How long the choice of language is remembered: a year.
const LANG_COOKIE_DAYS: i64 = 365;

/// The pages, `/assets/…` and sign-in; merged into [`crate::router`].
pub(crate) fn router<S: Store>(state: AppState<S>) -> Router {
    let upload = Router::new()
        .route(
            "/upload",
            get(pages::upload::form::<S>).post(pages::upload::upload::<S>),
        )
        // The upload streams the file and counts it against `max_upload_bytes` itself.
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/login", get(login::form::<S>).post(login::login::<S>))
        .route("/logout", post(login::logout::<S>))
        .route("/", get(pages::dashboard::dashboard::<S>))
        .route(
            "/records/inspections",
            get(pages::records::inspections::<S>),
        )
        .route(
            "/records/earthing",
            get(pages::records::earthing_tests::<S>),
        )
        .route(
            "/records/inspections/{id}",
            get(pages::record::inspection::<S>),
        )
        .route(
            "/records/inspections/{id}/amend",
            post(pages::record::amend_inspection::<S>),
        )
        .route(
            "/records/inspections/{id}/void",
            post(pages::record::void_inspection::<S>),
        )
        .route(
            "/records/earthing/{id}",
            get(pages::record::earthing_test::<S>),
        )
        .route(
            "/records/earthing/{id}/amend",
            post(pages::record::amend_earthing_test::<S>),
        )
        .route(
            "/records/earthing/{id}/void",
            post(pages::record::void_earthing_test::<S>),
        )
        .route(
            "/figures/instruments-inspected",
            get(pages::figures::instruments_inspected::<S>),
        )
        .route(
            "/figures/points-measured",
            get(pages::figures::points_measured::<S>),
        )
        .route("/imports", get(pages::imports::imports::<S>))
        .route("/imports/{id}", get(pages::batch::batch::<S>))
        .route("/instruments/{id}", get(pages::history::instrument::<S>))
        .route("/earthing-points/{id}", get(pages::history::point::<S>))
        .route("/imports/{id}/void", post(pages::imports::void::<S>))
        .route("/imports/{id}/restore", post(pages::batch::restore::<S>))
        .route(
            "/categories",
            get(pages::categories::categories::<S>).post(pages::categories::set::<S>),
        )
        .route("/categories/cycles", post(pages::categories::cycle::<S>))
        .route(
            "/settings",
            get(pages::document::settings::<S>).post(pages::document::set_settings::<S>),
        )
        .route("/report.docx", get(pages::document::report::<S>))
        .route("/due", get(pages::due::due::<S>))
        .route("/earthing/over-limit", get(pages::due::over_limit::<S>))
        .route(
            "/plans",
            get(pages::plans::plans::<S>).post(pages::plans::set_plan::<S>),
        )
        .route("/plans/delete", post(pages::plans::delete_plan::<S>))
        .route(
            "/export/records/inspections",
            get(pages::export::inspections::<S>),
        )
        .route(
            "/export/records/earthing",
            get(pages::export::earthing_tests::<S>),
        )
        .route("/export/due", get(pages::export::due::<S>))
        .route("/export/imports/{id}", get(pages::export::batch::<S>))
        .route("/imports/{id}/file", get(pages::export::kept_file::<S>))
        .route("/export/report", get(pages::export::report::<S>))
        .route("/assets/{name}", get(assets::asset))
        .route("/favicon.ico", get(assets::favicon))
        .merge(upload)
        .with_state(state)
        .layer(middleware::from_fn(headers))
}

/// The language cookie when `?lang=` chose one (the security headers every answer gets
/// are [`crate::security_headers`]'s), and a page's failure rendered as an error page
/// in the reader's language.
async fn headers(req: Request, next: Next) -> Response {
    let chosen = lang_asked(req.uri());
    let lang = request_lang(req.uri(), req.headers());
    let path = req.uri().path().to_owned();
    let referer = req.headers().get(header::REFERER).cloned();
    let mut response = next.run(req).await;
    if let Some(page) = response.extensions().get::<error::ErrorPage>().copied() {
        response = error::error_page(page, lang, &path, referer.as_ref());
    }
    let h = response.headers_mut();
    if let Some(lang) = chosen {
        let cookie = Cookie::build((LANG_COOKIE, lang_code(lang)))
            .path("/")
            .max_age(cookie::time::Duration::days(LANG_COOKIE_DAYS))
            .same_site(SameSite::Lax)
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            h.append(header::SET_COOKIE, v);
        }
    }
    response
}

/// Whether an address no route answers should get an HTML 404 page rather than
/// problem+json: a browser's request (it accepts `text/html`) outside `/api/`.
pub(crate) fn wants_page(uri: &axum::http::Uri, headers: &HeaderMap) -> bool {
    !uri.path().starts_with("/api/")
        && uri.path() != "/api"
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

/// The 404 page for an address nothing answers, in the reader's language.
pub(crate) fn not_found_page(uri: &axum::http::Uri, headers: &HeaderMap) -> Response {
    error::error_page(
        error::ErrorPage::NotFound,
        request_lang(uri, headers),
        uri.path(),
        headers.get(header::REFERER),
    )
}

/// The language of a page: `?lang=`, else the cookie (the reader's last choice), else
/// the one of Vietnamese and English the browser prefers (`Accept-Language`), else
/// Vietnamese, the lab's language.
fn request_lang(uri: &axum::http::Uri, headers: &HeaderMap) -> Lang {
    lang_asked(uri)
        .or_else(|| {
            CookieJar::from_headers(headers)
                .get(LANG_COOKIE)
                .and_then(|c| c.value().parse().ok())
        })
        .or_else(|| crate::lang::named(headers))
        .unwrap_or(Lang::Vi)
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

/// `?lang=` of a page's address.
#[derive(Debug, Deserialize)]
struct LangParam {
    lang: Option<String>,
}

/// The language a request's `?lang=` asks for, if it names one.
fn lang_asked(uri: &axum::http::Uri) -> Option<Lang> {
    Query::<LangParam>::try_from_uri(uri)
        .ok()
        .and_then(|Query(q)| q.lang)
        .and_then(|l| l.parse().ok())
}

/// Whether cookies must be `Secure`: the request came over https (directly or through
/// a proxy saying so), or `METROTRACK_SECURE_COOKIES=1` forces it.
fn secure(headers: &HeaderMap) -> bool {
    static FORCED: OnceLock<bool> = OnceLock::new();
    let forced = *FORCED.get_or_init(|| {
        std::env::var("METROTRACK_SECURE_COOKIES").is_ok_and(|v| v == "1" || v == "true")
    });
    forced
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// 32 random bytes, hex.
fn random_hex() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The language of the request ([`request_lang`]).
#[derive(Debug, Clone, Copy)]
struct PageLang(Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(request_lang(&parts.uri, &parts.headers)))
    }
}

/// A page's path parameters (a batch's or a record's id): an address whose id is not
/// one (`/imports/abc`) names nothing, so it answers the 404 page like a missing record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PagePath<T>(pub T);

impl<T, S> FromRequestParts<S> for PagePath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e| PageError::NotFound(format!("{}: {}", parts.uri.path(), e.body_text())))
    }
}

/// The signed-in user of a page; without a live session, the visitor goes to `/login`.
#[derive(Debug, Clone)]
pub(crate) struct WebUser {
    session: Session,
    lang: Lang,
    /// The lab's time zone, for the times a page shows.
    tz: chrono_tz::Tz,
}

impl WebUser {
    fn t(&self) -> &'static Texts {
        i18n::texts(self.lang)
    }

    fn chrome_a(&self) -> &'static access::AccessTexts {
        access::access_texts(self.lang)
    }

    fn may(&self, role: Role) -> bool {
        let role_ok = self.session.user.role.at_least(role);
        role_ok && !(self.session.user.role == Role::National && role != Role::Reader)
    }

    /// Whether a submitted CSRF token is this session's.
    fn csrf_ok(&self, submitted: &str) -> bool {
        same_secret(submitted, &self.session.csrf_token)
    }
}

impl<S: Store> FromRequestParts<AppState<S>> for WebUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let PageLang(lang) = PageLang::from_request_parts(parts, state)
            .await
            .unwrap_or(PageLang(Lang::Vi));
        let jar = CookieJar::from_headers(&parts.headers);
        let id = jar
            .get(SESSION_COOKIE)
            .map(Cookie::value)
            .filter(|v| !v.is_empty())
            .ok_or(PageError::SignIn)?;
        let session = state.store.session(&hash_token(id), Utc::now()).await?;
        let session = session.ok_or(PageError::SignIn)?;
        let tz = state.config.time_zone;
        Ok(WebUser { session, lang, tz })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_query_string() {
        let lang = |uri: &'static str| lang_asked(&axum::http::Uri::from_static(uri));
        assert_eq!(lang("/?a=1&lang=en"), Some(Lang::En));
        assert_eq!(lang("/due?lang=%76i"), Some(Lang::Vi));
        assert_eq!(lang("/due?lang=xx"), None);
        assert_eq!(lang("/due?x=%"), None);
        assert_eq!(lang("/due"), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
