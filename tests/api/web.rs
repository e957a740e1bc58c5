//! What the web-page tests share: users who sign in on the pages, a signed-in browser-like
//! client (cookies kept by hand, no redirects followed), and what the store holds, read
//! back through the API.

use super::browser::{Http, csrf_of};
use super::*;
use metrotrack_api::auth::hash_password;
use metrotrack_store::accounts::NewUser;
use reqwest::Response;

pub(crate) const PASSWORD: &str = "correct horse battery";

/// A signed-in web client and the CSRF token its pages carry.
pub(crate) struct WebSession {
    pub(crate) http: Http,
    pub(crate) csrf: String,
    base: String,
}

impl WebSession {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The value of a cookie the client holds.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        let jar = self.http.cookies.lock().expect("jar");
        jar.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// A GET of `path` as a browser asks for a page (`Accept: text/html…`), to send
    /// with `self.http.send`.
    pub(crate) fn browser(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .client
            .get(self.url(path))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).await
    }

    pub(crate) async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Response {
        self.http.post(self.url(path), pairs).await
    }

    /// Sends `file` to the upload page as the browser's form does: `csrf` (when given),
    /// `kind`, `mode`, then the file.
    pub(crate) async fn upload(
        &self,
        csrf: Option<&str>,
        kind: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Response {
        self.upload_in("en", csrf, kind, file_name, bytes).await
    }

    /// [`Self::upload`] on the page in `lang`.
    pub(crate) async fn upload_in(
        &self,
        lang: &str,
        csrf: Option<&str>,
        kind: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Response {
        let mut form = reqwest::multipart::Form::new();
        if let Some(csrf) = csrf {
            form = form.text("csrf", csrf.to_owned());
        }
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str("text/csv")
            .expect("mime");
        let form = form
            .text("kind", kind.to_owned())
            .text("mode", "strict")
            .part("file", part);
        self.http
            .send(
                self.http
                    .client
                    .post(self.url(&format!("/upload?lang={lang}")))
                    .multipart(form),
            )
            .await
    }

    /// Whether the session still opens the dashboard (200), rather than sending the
    /// visitor to `/login`.
    pub(crate) async fn signed_in(&self) -> bool {
        let page = self.get("/imports").await;
        match page.status() {
            StatusCode::OK => true,
            StatusCode::SEE_OTHER => {
                assert_eq!(page.headers()["location"], "/login");
                false
            }
            other => panic!("/imports answered {other}"),
        }
    }
}

impl<S: Store> Server<S> {
    /// A user of lab A with `role` and [`PASSWORD`].
    pub(crate) async fn web_user(&self, username: &str, role: Role) {
        let password_hash = hash_password(PASSWORD).expect("hash");
        self.store
            .create_user(
                self.lab_a,
                &NewUser {
                    username: username.to_owned(),
                    password_hash,
                    role,
                },
                "test",
            )
            .await
            .expect("create user");
    }

    /// Signs `username` in through the sign-in form (in English) and reads the CSRF token
    /// of the first page.
    pub(crate) async fn sign_in(&self, username: &str) -> WebSession {
        let http = Http::new();
        let form = http.get(format!("{}/login?lang=en", self.base)).await;
        assert_eq!(form.status(), StatusCode::OK);
        let csrf = csrf_of(&form.text().await.expect("html"));
        let r = http
            .post(
                format!("{}/login", self.base),
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{username} signs in");
        assert_eq!(r.headers()["location"], "/");
        let page = http.get(format!("{}/imports", self.base)).await;
        assert_eq!(page.status(), StatusCode::OK);
        let csrf = csrf_of(&page.text().await.expect("html"));
        WebSession {
            http,
            csrf,
            base: self.base.clone(),
        }
    }

    /// Lab A's import batches as the API lists them.
    pub(crate) async fn batches(&self) -> Vec<Value> {
        let (status, list) = self
            .get("/api/v1/imports", self.token('A', Role::Reader))
            .await;
        assert_eq!(status, StatusCode::OK);
        list["items"].as_array().expect("items").clone()
    }

    /// Lab A's plan targets of 2023 as the API lists them: (period, metric, target).
    pub(crate) async fn plans_2023(&self) -> Vec<(String, String, u64)> {
        let (status, list) = self
            .get("/api/v1/plans?year=2023", self.token('A', Role::Reader))
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| {
                (
                    p["period"].as_str().expect("period").to_owned(),
                    p["metric"].as_str().expect("metric").to_owned(),
                    p["target"].as_u64().expect("target"),
                )
            })
            .collect()
    }
}

/// The text of a page's `role="alert"` message, or `None`.
pub(crate) fn alert(html: &str) -> Option<&str> {
    html.split("role=\"alert\"")
        .nth(1)
        .and_then(|r| r.split_once('>'))
        .and_then(|(_, r)| r.split('<').next())
}

/// A page's body, after checking its status.
pub(crate) async fn page(r: Response, status: StatusCode) -> String {
    let got = r.status();
    let html = r.text().await.expect("html");
    assert_eq!(got, status, "{html}");
    html
}

/// The earthing demo log (13 points), padded with blank trailing lines (which the
/// importer skips) to exactly `len` bytes.
pub(crate) fn earthing_log(len: usize) -> Vec<u8> {
    let mut bytes = std::fs::read(fixture("demo/earthing-2023-10.csv")).expect("fixture");
    assert!(bytes.len() <= len, "the log is {} bytes", bytes.len());
    bytes.resize(len, b'\n');
    bytes
}
