//! Signing in and out: the sign-in form (its CSRF token bound to a cookie), the session
//! cookie, and its end.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
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
    a: &'static super::access::AccessTexts,
    css_href: &'static str,
    csrf: String,
    error: Option<&'static str>,
    username: String,
}

/// How long a sign-in form may be sent back.
const FORM_HOURS: i64 = 2;

type FormMac = hmac::Hmac<sha2_hmac::Sha256>;

/// The signature of a sign-in form's token `nonce.issued` under the server's key.
fn form_signature(key: &[u8; 32], nonce: &str, issued: i64) -> String {
    use hmac::{KeyInit, Mac as _};
    let mut mac = <FormMac as KeyInit>::new_from_slice(key).unwrap_or_else(|_| {
        // HMAC takes a key of any length; this cannot happen.
        <FormMac as KeyInit>::new(&Default::default())
    });
    mac.update(b"metrotrack login csrf\0");
    mac.update(nonce.as_bytes());
    mac.update(b".");
    mac.update(issued.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A new sign-in form token: `nonce.issued.signature`, signed with the server's key, so
/// that only this server's forms are accepted (a value planted in both the cookie and
/// the form is not enough).
fn form_token(key: &[u8; 32], now: i64) -> Option<String> {
    let nonce = random_hex()?;
    let signature = form_signature(key, &nonce, now);
    Some(format!("{nonce}.{now}.{signature}"))
}

/// Whether `token` is one this server signed within [`FORM_HOURS`] of `now`.
fn form_token_ok(key: &[u8; 32], token: &str, now: i64) -> bool {
    let mut parts = token.split('.');
    let (Some(nonce), Some(issued), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(issued) = issued.parse::<i64>() else {
        return false;
    };
    let fresh = issued <= now + 60 && now - issued <= FORM_HOURS * 3600;
    fresh && same_secret(signature, &form_signature(key, nonce, issued))
}

/// The sign-in form, with a fresh signed CSRF token, bound to a cookie too.
pub(super) async fn form<S: Store>(
    State(app): State<AppState<S>>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
) -> PageResult {
    login_page(&app.form_key, lang, &headers, None, String::new())
}

fn login_page(
    key: &[u8; 32],
    lang: Lang,
    headers: &HeaderMap,
    error: Option<&'static str>,
    username: String,
) -> PageResult {
    let csrf = form_token(key, Utc::now().timestamp())
        .ok_or_else(|| PageError::internal("no random bytes"))?;
    let page = render(&LoginPage {
        t: i18n::texts(lang),
        a: super::access::access_texts(lang),
        css_href: super::assets::CSS.href(),
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
    let signed = form_token_ok(&app.form_key, &form.csrf, Utc::now().timestamp());
    if expected.is_empty() || !same_secret(&form.csrf, expected) || !signed {
        return login_page(&app.form_key, lang, &headers, Some(t.expired_form), login);
    }
    let user = match sign_in(&app, &login, form.password, ip).await {
        Ok(user) => user,
        Err(SignInError::Throttled(left)) => {
            // 429 as the API answers, with the form to try again later.
            let page = login_page(&app.form_key, lang, &headers, Some(t.throttled), login)?;
            let retry = [(header::RETRY_AFTER, left.to_string())];
            return Ok((StatusCode::TOO_MANY_REQUESTS, retry, page).into_response());
        }
        Err(SignInError::Busy(left)) => return Err(PageError::Busy(left)),
        Err(SignInError::Refused) => {
            return login_page(&app.form_key, lang, &headers, Some(t.bad_sign_in), login);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_servers_recent_form_tokens_pass() {
        let key = [7u8; 32];
        let now = 1_800_000_000;
        let token = form_token(&key, now).expect("random");
        assert!(form_token_ok(&key, &token, now));
        assert!(form_token_ok(&key, &token, now + 3600));
        assert!(!form_token_ok(&key, &token, now + 3 * 3600), "expired");
        assert!(!form_token_ok(&[8u8; 32], &token, now), "another key");
        let planted = format!("{}.{now}.{}", "a".repeat(64), "0".repeat(64));
        assert!(!form_token_ok(&key, &planted, now), "made up");
        let (head, _) = token.rsplit_once('.').expect("signed");
        let later = format!(
            "{}.{}.{}",
            head.split('.').next().expect("nonce"),
            now + 100,
            &token[token.len() - 64..]
        );
        assert!(
            !form_token_ok(&key, &later, now + 100),
            "a changed time breaks the signature"
        );
        assert!(!form_token_ok(&key, head, now));
        assert!(!form_token_ok(&key, "", now));
    }
}
