//! Web sessions on both backends: a sign-in lasts 12 hours; a session past its expiry
//! sends the visitor to `/login` and its forms change nothing; signing in again clears
//! the expired rows; signing out needs the session's CSRF token.

use chrono::{DateTime, TimeDelta, Utc};

use super::web::page;
use super::*;

/// Direct access to the `web_sessions` table: the product has no setting for the
/// session's lifetime (12 hours, fixed), so a test ages a session in the database.
trait SessionTable {
    /// Every session's (created_at, expires_at).
    async fn sessions(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)>;
    /// Sets every session's expiry.
    async fn expire_sessions(&self, at: DateTime<Utc>);
}

impl SessionTable for SqliteStore {
    async fn sessions(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        sqlx::query_as("select created_at, expires_at from web_sessions order by id")
            .fetch_all(self.pool())
            .await
            .expect("sessions")
    }

    async fn expire_sessions(&self, at: DateTime<Utc>) {
        sqlx::query("update web_sessions set expires_at = $1")
            .bind(at)
            .execute(self.pool())
            .await
            .expect("expire");
    }
}

impl SessionTable for PgStore {
    async fn sessions(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        sqlx::query_as("select created_at, expires_at from web_sessions order by id")
            .fetch_all(self.pool())
            .await
            .expect("sessions")
    }

    async fn expire_sessions(&self, at: DateTime<Utc>) {
        sqlx::query("update web_sessions set expires_at = $1")
            .bind(at)
            .execute(self.pool())
            .await
            .expect("expire");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_sends_to_login_and_changes_nothing() {
    session_expiry(&Server::start().await).await;
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_sends_to_login_and_changes_nothing_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    session_expiry(&s).await;
}

async fn session_expiry<S: Store + SessionTable>(s: &Server<S>) {
    s.web_user("sam", Role::Supervisor).await;
    let web = s.sign_in("sam").await;
    // One session, lasting exactly 12 hours from the sign-in.
    let rows = s.store.sessions().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1 - rows[0].0, TimeDelta::hours(12));
    // Its forms work while it lasts.
    let r = web
        .post(
            "/plans",
            &[
                ("csrf", &web.csrf),
                ("period", "2023-10"),
                ("metric", "instruments_inspected"),
                ("target", "402"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/plans?year=2023");
    let before = vec![(
        "2023-10".to_owned(),
        "instruments_inspected".to_owned(),
        402,
    )];
    assert_eq!(s.plans_2023().await, before);

    // A second past its expiry, every page sends to /login ...
    s.store
        .expire_sessions(Utc::now() - TimeDelta::seconds(1))
        .await;
    for path in ["/", "/imports", "/upload", "/plans", "/due"] {
        let r = web.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/login", "{path}");
    }
    // ... and its forms, with the token they carried, change nothing.
    let r = web
        .post(
            "/plans",
            &[
                ("csrf", &web.csrf),
                ("period", "2023-10"),
                ("metric", "instruments_inspected"),
                ("target", "999"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    assert_eq!(s.plans_2023().await, before);
    let r = web
        .upload(
            Some(&web.csrf),
            "earthing",
            "earthing.csv",
            super::web::earthing_log(4000),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    assert_eq!(s.batches().await, Vec::<Value>::new());
    let r = web.post("/logout", &[("csrf", &web.csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");

    // Signing in again gives a new session, and the expired one is gone from the table.
    let again = s.sign_in("sam").await;
    assert!(again.signed_in().await);
    assert!(!web.signed_in().await, "the old cookie stays refused");
    let rows = s.store.sessions().await;
    assert_eq!(rows.len(), 1, "the expired session was deleted");
    assert!(rows[0].1 > Utc::now());
}

/// Signing out is a form too: without the session's token, or with another, it is
/// refused (back to the dashboard, still signed in); with it, the session ends.
#[tokio::test(flavor = "multi_thread")]
async fn logout_needs_the_csrf_token() {
    let s = Server::start().await;
    s.web_user("tess", Role::Technician).await;
    let web = s.sign_in("tess").await;
    let wrong = "0".repeat(web.csrf.len());
    for pairs in [vec![], vec![("csrf", wrong.as_str())], vec![("csrf", "")]] {
        let r = web.post("/logout", &pairs).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{pairs:?}");
        assert_eq!(r.headers()["location"], "/", "{pairs:?}");
        assert!(
            r.headers()
                .get("set-cookie")
                .is_none_or(|c| !c.to_str().is_ok_and(|c| c.starts_with("mt_session="))),
            "the session cookie is kept: {pairs:?}"
        );
        assert!(web.signed_in().await, "still signed in after {pairs:?}");
    }
    assert_eq!(s.store.sessions().await.len(), 1);

    let cookie = web.cookie("mt_session").expect("session cookie");
    let r = web.post("/logout", &[("csrf", &web.csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    // The browser drops the cookie; sent again by hand, it opens nothing.
    assert!(web.cookie("mt_session").is_none());
    let r = web
        .http
        .client
        .get(web.url("/imports"))
        .header("cookie", format!("mt_session={cookie}"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    assert_eq!(
        s.store.sessions().await,
        vec![],
        "the session row is deleted"
    );
    // The page that sent to /login offers the form again.
    let html = page(web.get("/login").await, StatusCode::OK).await;
    assert!(html.contains("id=\"login-form\""), "{html}");
}

/// The sign-in form's CSRF token is one this server signed: a value planted in both
/// the cookie and the form (a double submit of the attacker's own) is refused, and the
/// right password with it signs nobody in; another server's token is refused too.
#[tokio::test(flavor = "multi_thread")]
async fn a_planted_sign_in_token_is_refused() {
    use super::browser::{Http, csrf_of};
    let s = Server::start().await;
    s.web_user("ann", Role::Supervisor).await;
    let other = Server::start().await;
    let foreign = csrf_of(
        &other
            .http
            .get(format!("{}/login", other.base))
            .send()
            .await
            .expect("form")
            .text()
            .await
            .expect("html"),
    );
    let planted = format!(
        "{}.{}.{}",
        "a".repeat(64),
        Utc::now().timestamp(),
        "0".repeat(64)
    );
    for token in [planted, foreign] {
        let http = Http::new();
        http.cookies
            .lock()
            .expect("jar")
            .push(("mt_login_csrf".to_owned(), token.clone()));
        let r = http
            .post(
                format!("{}/login?lang=en", s.base),
                &[
                    ("username", "ann"),
                    ("password", super::web::PASSWORD),
                    ("csrf", &token),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "the form again, not a session");
        assert!(
            !http
                .cookies
                .lock()
                .expect("jar")
                .iter()
                .any(|(k, _)| k == "mt_session"),
            "no session"
        );
        let html = r.text().await.expect("html");
        assert!(html.contains("id=\"login-form\""), "{html}");
    }
    // The server's own form still signs in.
    let _ = s.sign_in("ann").await;
}
