//! Sign-in as a user meets it, in process: the whole router (`Router::oneshot`) over a
//! real SQLite file. HTTP Basic and the web login share one sign-in, so they share its
//! rules: every spelling of one account counts toward one throttle, and the session's
//! cookies keep their attributes.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use base64::Engine as _;
use metrotrack_store::accounts::{NewUser, Role};
use metrotrack_store::{SqliteStore, Store};
use tower::ServiceExt as _;

use crate::auth::hash_password;
use crate::{ApiConfig, AppState, router};

const PASSWORD: &str = "correct horse battery";

/// The router over a fresh SQLite file with user `u_admin` in the default lab.
async fn app() -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("web.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let lab = store.default_lab().await.expect("default lab");
    let user = NewUser {
        username: "u_admin".to_owned(),
        password_hash: hash_password(PASSWORD).expect("hash"),
        role: Role::Admin,
    };
    store.create_user(lab, &user, "test").await.expect("user");
    (router(AppState::new(store, ApiConfig::default())), dir)
}

async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.expect("infallible")
}

async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    String::from_utf8_lossy(&bytes).into_owned()
}

fn basic(login: &str, password: &str) -> Request<Body> {
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
    Request::get("/api/v1/imports")
        .header(header::AUTHORIZATION, format!("Basic {credentials}"))
        .body(Body::empty())
        .expect("request")
}

/// The `Set-Cookie` headers of a response that set `name`.
fn set_cookie(response: &Response<Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value a `Set-Cookie` header gives its cookie.
fn cookie_value(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map_or("", |(_, v)| v)
}

/// The hidden `csrf` field of a form.
fn csrf_field(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf field")
        .to_owned()
}

/// A fresh sign-in form: its CSRF token and the cookie that binds it.
async fn login_form(app: &Router) -> (String, String) {
    let response = send(
        app,
        Request::get("/login").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response, "mt_login_csrf").expect("login csrf cookie");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/login")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    let cookie = cookie_value(&cookie).to_owned();
    let csrf = csrf_field(&text(response).await);
    assert_eq!(csrf, cookie);
    (csrf, cookie)
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        char::from(b).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn web_login(app: &Router, username: &str, password: &str) -> Response<Body> {
    let (csrf, cookie) = login_form(app).await;
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            header::COOKIE,
            format!("mt_lang=en; mt_login_csrf={cookie}"),
        )
        .body(Body::from(form_body(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ])))
        .expect("request");
    send(app, request).await
}

#[tokio::test]
async fn basic_auth_reads_one_account_under_every_spelling_and_throttles_them_together() {
    let (app, _dir) = app().await;
    for login in [
        "u_admin",
        "u_admin@default",
        " u_admin @default",
        "u_admin\u{a0}@default",
    ] {
        let status = send(&app, basic(login, PASSWORD)).await.status();
        assert_eq!(status, StatusCode::OK, "{login:?}");
    }
    let status = send(&app, basic("u_admin@no-such-lab", PASSWORD)).await;
    assert_eq!(status.status(), StatusCode::UNAUTHORIZED);

    // Ten failures spread over four spellings of one account lock that account out.
    let spellings = [
        "u_admin",
        "u_admin @default",
        "u_admin\u{a0}@default",
        "U_ADMIN@default",
    ];
    for i in 0..10 {
        let login = spellings[i % spellings.len()];
        let status = send(&app, basic(login, "wrong password!")).await.status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{login:?}");
    }
    for login in spellings.iter().chain(&["u_admin@default"]) {
        let response = send(&app, basic(login, PASSWORD)).await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{login:?}"
        );
        assert!(response.headers().contains_key(header::RETRY_AFTER));
    }
}

#[tokio::test]
async fn web_login_sets_the_session_cookie_and_shares_the_throttle_with_basic_auth() {
    let (app, _dir) = app().await;

    // A wrong password shows the form again with one generic error.
    let response = web_login(&app, "u_admin", "wrong password!").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(text(response).await.contains("Wrong username or password."));

    // The right one (any spelling) gives the session cookie and ends the form's.
    let response = web_login(&app, " u_admin@default ", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/");
    let session = set_cookie(&response, "mt_session").expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(session.contains(attribute), "{attribute}: {session}");
    }
    assert!(!session.contains("Secure"), "plain http: {session}");
    let ended = set_cookie(&response, "mt_login_csrf").expect("form cookie ended");
    assert!(cookie_value(&ended).is_empty() && ended.contains("Max-Age=0"));

    // The session opens the pages; `?lang=` is remembered in a cookie.
    let id = cookie_value(&session).to_owned();
    let page = send(
        &app,
        Request::get("/due?lang=en")
            .header(header::COOKIE, format!("mt_session={id}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let lang = set_cookie(&page, "mt_lang").expect("language cookie");
    assert!(lang.starts_with("mt_lang=en") && lang.contains("SameSite=Lax"));
    assert!(text(page).await.contains("Due list"));

    // Failures by HTTP Basic and by the form count toward one throttle.
    for _ in 0..10 {
        let status = send(&app, basic("u_admin@default", "guess guess guess"))
            .await
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let response = web_login(&app, "u_admin", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(text(response).await.contains("Too many failed sign-ins."));
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let (app, _dir) = app().await;
    let response = send(
        &app,
        Request::get("/login")
            .header("x-forwarded-proto", "https")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let cookie = set_cookie(&response, "mt_login_csrf").expect("login csrf cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}
