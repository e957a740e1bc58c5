//! The web pages for supervisors and technicians (SPEC §3 "Web pages"): server-rendered
//! askama templates, a small stylesheet and script served from `/assets`, nothing
//! fetched from elsewhere.
//!
//! Sign-in makes a session: a random 32-byte id in an HttpOnly, SameSite=Lax cookie,
//! kept in the store only as its SHA-256, expiring after [`SESSION_HOURS`]. Every form
//! carries the session's CSRF token (the sign-in form a cookie-bound one), checked on
//! every POST. Every page but `/login` sends a visitor without a session to `/login`.

mod chart;
mod i18n;
mod pages;

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{TimeDelta, Utc};
use metrotrack_core::Lang;
use metrotrack_store::Store;
use metrotrack_store::accounts::{NewSession, Role, Session};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{hash_password, hash_token, verify_password};
pub use i18n::Texts;

/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 12;
const SESSION_COOKIE: &str = "mt_session";
const LOGIN_CSRF_COOKIE: &str = "mt_login_csrf";
const LANG_COOKIE: &str = "mt_lang";

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The pages, `/assets/…` and sign-in; merged into [`crate::router`].
pub fn router<S: Store>(state: AppState<S>) -> Router {
    let upload = Router::new()
        .route(
            "/upload",
            get(pages::upload_form::<S>).post(pages::upload::<S>),
        )
        // The upload streams the file and counts it against `max_upload_bytes` itself.
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/login", get(login_form).post(login::<S>))
        .route("/logout", post(logout::<S>))
        .route("/", get(pages::dashboard::<S>))
        .route("/records/inspections", get(pages::inspections::<S>))
        .route("/records/earthing", get(pages::earthing_tests::<S>))
        .route("/imports", get(pages::imports::<S>))
        .route("/imports/{id}/void", post(pages::void::<S>))
        .route("/due", get(pages::due::<S>))
        .route("/earthing/over-limit", get(pages::over_limit::<S>))
        .route("/plans", get(pages::plans::<S>).post(pages::set_plan::<S>))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
        .merge(upload)
        .with_state(state)
        .layer(middleware::from_fn(headers))
}

/// Security headers on every page, and the language cookie when `?lang=` chose one.
async fn headers(req: Request, next: Next) -> Response {
    let chosen = query_param(req.uri().query(), "lang").and_then(|l| l.parse::<Lang>().ok());
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(lang) = chosen {
        let code = lang_code(lang);
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={code}; Path=/; Max-Age=31536000; SameSite=Lax"
        )) {
            h.append(header::SET_COOKIE, v);
        }
    }
    response
}

async fn css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/app.css"),
    )
}

async fn js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/app.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

/// The value of `name` in a query string (percent-decoding `+` and `%XX`).
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    fn hex_val(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'+' {
            out.push(b' ');
        } else if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex_val),
                bytes.get(i + 2).copied().and_then(hex_val),
            )
        {
            out.push(h * 16 + l);
            i += 2;
        } else {
            out.push(b);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A cookie's value from the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
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

fn set_cookie(response: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
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

/// A plain 500 page (the details go to the log, never to the page).
fn failure() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html("<!doctype html><title>metrotrack</title><p>Internal error.</p>"),
    )
        .into_response()
}

fn store_failure(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "web page failed");
    failure()
}

fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => store_failure(e),
    }
}

/// The language of the request: `?lang=`, else the cookie, else Vietnamese.
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = query_param(parts.uri.query(), "lang")
            .or_else(|| cookie(&parts.headers, LANG_COOKIE))
            .and_then(|l| l.parse().ok())
            .unwrap_or(Lang::Vi);
        Ok(PageLang(lang))
    }
}

/// The signed-in user of a page; without a live session, the visitor goes to `/login`.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub session: Session,
    pub lang: Lang,
}

impl WebUser {
    pub fn t(&self) -> &'static Texts {
        i18n::texts(self.lang)
    }

    pub fn may(&self, role: Role) -> bool {
        let role_ok = self.session.user.role.at_least(role);
        role_ok && !(self.session.user.role == Role::National && role != Role::Reader)
    }

    /// Whether a submitted CSRF token is this session's.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        same_secret(submitted, &self.session.csrf_token)
    }
}

impl<S: Store> FromRequestParts<AppState<S>> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let PageLang(lang) = PageLang::from_request_parts(parts, state)
            .await
            .unwrap_or(PageLang(Lang::Vi));
        let to_login = || Redirect::to("/login").into_response();
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE).filter(|v| !v.is_empty()) else {
            return Err(to_login());
        };
        match state.store.session(&hash_token(&id), Utc::now()).await {
            Ok(Some(session)) => Ok(WebUser { session, lang }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(store_failure(e)),
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Texts,
    csrf: String,
    error: Option<&'static str>,
    username: String,
}

/// The sign-in form, with a fresh CSRF token bound to a cookie.
async fn login_form(PageLang(lang): PageLang, headers: HeaderMap) -> Response {
    login_page(lang, &headers, None, String::new())
}

fn login_page(
    lang: Lang,
    headers: &HeaderMap,
    error: Option<&'static str>,
    username: String,
) -> Response {
    let Some(csrf) = random_hex() else {
        return failure();
    };
    let mut response = render(&LoginPage {
        t: i18n::texts(lang),
        csrf: csrf.clone(),
        error,
        username,
    });
    let secure = if secure(headers) { "; Secure" } else { "" };
    set_cookie(
        &mut response,
        format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{secure}"),
    );
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("metrotrack-no-such-user").unwrap_or_default())
}

async fn login<S: Store>(
    State(app): State<AppState<S>>,
    PageLang(lang): PageLang,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let t = i18n::texts(lang);
    let login = form.username.trim().to_owned();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&form.csrf, &expected) {
        return login_page(lang, &headers, Some(t.expired_form), login);
    }
    let ip = connect.map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.0.ip());
    if app.throttle.check(ip, &login).is_err() {
        return login_page(lang, &headers, Some(t.throttled), login);
    }
    // `user` signs in to the default lab, `user@LAB` to lab LAB.
    let lab = match login.rsplit_once('@') {
        Some((_, code)) => match app.store.labs().await {
            Ok(labs) => labs.into_iter().find(|l| l.code == code).map(|l| l.id),
            Err(e) => return store_failure(e),
        },
        None => match app.store.default_lab().await {
            Ok(l) => Some(l),
            Err(e) => return store_failure(e),
        },
    };
    let username = login.rsplit_once('@').map_or(login.as_str(), |(u, _)| u);
    let credentials = match lab {
        Some(lab) => match app.store.user_credentials(lab, username).await {
            Ok(c) => c,
            Err(e) => return store_failure(e),
        },
        None => None,
    };
    let hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let password = std::mem::take(&mut { form.password });
    let matches = tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        verify_password(&password, &hash) && known
    })
    .await
    .unwrap_or(false);
    let Some(credentials) = credentials.filter(|_| matches) else {
        app.throttle.fail(ip, &login);
        return login_page(lang, &headers, Some(t.bad_sign_in), login);
    };
    app.throttle.succeed(ip, &login);
    let (Some(id), Some(csrf)) = (random_hex(), random_hex()) else {
        return failure();
    };
    let now = Utc::now();
    let session = NewSession {
        session_hash: hash_token(&id),
        user_id: credentials.user.id,
        lab: credentials.user.lab,
        csrf_token: csrf,
        created_at: now,
        expires_at: now + TimeDelta::hours(SESSION_HOURS),
    };
    if let Err(e) = app.store.create_session(&session).await {
        return store_failure(e);
    }
    let secure = if secure(&headers) { "; Secure" } else { "" };
    let mut response = Redirect::to("/").into_response();
    set_cookie(
        &mut response,
        format!(
            "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            SESSION_HOURS * 3600
        ),
    );
    set_cookie(
        &mut response,
        format!("{LOGIN_CSRF_COOKIE}=; Path=/login; Max-Age=0"),
    );
    response
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    if !user.csrf_ok(&form.csrf) {
        return Redirect::to("/").into_response();
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = app.store.delete_session(&hash_token(&id)).await
    {
        return store_failure(e);
    }
    let mut response = Redirect::to("/login").into_response();
    set_cookie(
        &mut response,
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_decode() {
        assert_eq!(
            query_param(Some("a=1&lang=en"), "lang").as_deref(),
            Some("en")
        );
        assert_eq!(
            query_param(Some("period=2023%2D10"), "period").as_deref(),
            Some("2023-10")
        );
        assert_eq!(query_param(Some("x=%"), "x").as_deref(), Some("%"));
        assert_eq!(query_param(None, "x"), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
