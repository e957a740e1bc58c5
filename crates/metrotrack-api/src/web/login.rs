//! Signing in and out: the sign-in form (its CSRF token bound to a cookie), the session
//! cookie, and its end.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{TimeDelta, Utc};
use metrotrack_core::Lang;
use metrotrack_store::Store;
use metrotrack_store::accounts::NewSession;
use serde::Deserialize;

use super::{
    LOGIN_CSRF_COOKIE, PageError, PageLang, PageResult, SESSION_COOKIE, SESSION_HOURS, Texts,
    WebUser, i18n, random_hex, render, same_secret, secure,
};
use crate::AppState;
use crate::auth::{ClientIp, SignInError, hash_token, sign_in};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Texts,
    csrf: String,
    error: Option<&'static str>,
    username: String,
}

/// The sign-in form, with a fresh CSRF token bound to a cookie.
pub(super) async fn form(PageLang(lang): PageLang, headers: HeaderMap) -> PageResult {
    login_page(lang, &headers, None, String::new())
}

fn login_page(
    lang: Lang,
    headers: &HeaderMap,
    error: Option<&'static str>,
    username: String,
) -> PageResult {
    let csrf = random_hex().ok_or_else(|| PageError::internal("no random bytes"))?;
    let page = render(&LoginPage {
        t: i18n::texts(lang),
        csrf: csrf.clone(),
        error,
        username,
    })?;
    let cookie = Cookie::build((LOGIN_CSRF_COOKIE, csrf))
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(headers))
        .build();
    Ok((CookieJar::new().add(cookie), page).into_response())
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
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

pub(super) async fn login<S: Store>(
    State(app): State<AppState<S>>,
    PageLang(lang): PageLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    axum::Form(form): axum::Form<LoginForm>,
) -> PageResult {
    let t = i18n::texts(lang);
    let login = form.username.trim().to_owned();
    let expected = jar.get(LOGIN_CSRF_COOKIE).map_or("", Cookie::value);
    if expected.is_empty() || !same_secret(&form.csrf, expected) {
        return login_page(lang, &headers, Some(t.expired_form), login);
    }
    let user = match sign_in(&app, &login, form.password, ip).await {
        Ok(user) => user,
        Err(SignInError::Throttled(_)) => {
            return login_page(lang, &headers, Some(t.throttled), login);
        }
        Err(SignInError::Refused) => {
            return login_page(lang, &headers, Some(t.bad_sign_in), login);
        }
        Err(SignInError::Failed(e)) => return Err(PageError::internal(e)),
    };
    let (Some(id), Some(csrf)) = (random_hex(), random_hex()) else {
        return Err(PageError::internal("no random bytes"));
    };
    let now = Utc::now();
    let session = NewSession {
        session_hash: hash_token(&id),
        user_id: user.id,
        lab: user.lab,
        csrf_token: csrf,
        created_at: now,
        expires_at: now + TimeDelta::hours(SESSION_HOURS),
    };
    app.store.create_session(&session).await?;
    let session = Cookie::build((SESSION_COOKIE, id))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::hours(SESSION_HOURS))
        .secure(secure(&headers))
        .build();
    let used_csrf = Cookie::build((LOGIN_CSRF_COOKIE, ""))
        .path("/login")
        .max_age(cookie::time::Duration::ZERO)
        .build();
    let jar = CookieJar::new().add(session).add(used_csrf);
    Ok((jar, Redirect::to("/")).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn logout<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    jar: CookieJar,
    axum::Form(form): axum::Form<CsrfForm>,
) -> PageResult {
    if !user.csrf_ok(&form.csrf) {
        return Ok(Redirect::to("/").into_response());
    }
    if let Some(id) = jar.get(SESSION_COOKIE) {
        app.store.delete_session(&hash_token(id.value())).await?;
    }
    let ended = Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    Ok((CookieJar::new().add(ended), Redirect::to("/login")).into_response())
}
