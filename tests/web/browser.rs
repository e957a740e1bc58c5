//! The web pages, end to end: `metrotrack serve --demo` as a user runs it, driven by
//! Debian's headless Chromium through chromedriver (W3C WebDriver over plain HTTP on
//! localhost: a few JSON calls, so no client crate and nothing downloaded).
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` (seen by `build.rs`) the
//! browser test is marked ignored, so the runner counts it as skipped with its reason;
//! run anyway (`--run-ignored all`, as CI does) it fails saying what is missing. The checks that need no browser
//! (sign-in walls, headers, CSRF) run everywhere.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use metrotrack_store::accounts::Role;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// `metrotrack serve --demo` on a free port, killed on drop.
pub struct DemoServer {
    child: Child,
    /// Kept open: the server writes to it, and a closed pipe would stop it.
    _stdout: BufReader<std::process::ChildStdout>,
    _dir: tempfile::TempDir,
    pub base: String,
    pub password: String,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DemoServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
            .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env_remove("METROTRACK_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut base = None;
        let mut password = None;
        let mut line = String::new();
        while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
            let done = line.starts_with("mt_");
            if base.is_none() {
                base = line
                    .split_whitespace()
                    .find(|w| w.starts_with("http://"))
                    .map(str::to_owned);
            }
            if let Some(rest) = line.split("password ").nth(1) {
                password = rest.split_whitespace().next().map(str::to_owned);
            }
            if done {
                break;
            }
            line.clear();
        }
        Self {
            child,
            _stdout: stdout,
            _dir: dir,
            base: base.expect("address"),
            password: password.expect("password"),
        }
    }
}

pub(crate) fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// A small browser-like HTTP client: keeps cookies by hand, follows no redirects.
pub(crate) struct Http {
    pub(crate) client: reqwest::Client,
    pub(crate) cookies: std::sync::Mutex<Vec<(String, String)>>,
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Http {
    pub(crate) fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
            cookies: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let jar = self
            .cookies
            .lock()
            .expect("jar")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if jar.is_empty() {
            request
        } else {
            request.header("cookie", jar)
        };
        let response = request.send().await.expect("request");
        let mut cookies = self.cookies.lock().expect("jar");
        for set in response.headers().get_all("set-cookie") {
            let Some((name, value)) = set
                .to_str()
                .ok()
                .and_then(|s| s.split(';').next())
                .and_then(|p| p.split_once('='))
            else {
                continue;
            };
            cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        response
    }

    pub(crate) async fn get(&self, url: String) -> reqwest::Response {
        self.send(self.client.get(url)).await
    }

    pub(crate) async fn post(&self, url: String, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.send(
            self.client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(pairs)),
        )
        .await
    }
}

/// The value of the hidden `csrf` field in a page.
pub(crate) fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf field")
        .to_owned()
}

#[tokio::test]
async fn web_pages_need_a_session_send_security_headers_and_check_csrf() {
    let server = DemoServer::start();
    let base = &server.base;
    let c = Http::new();
    for path in [
        "/",
        "/upload",
        "/imports",
        "/due",
        "/plans",
        "/earthing/over-limit",
    ] {
        let r = c.get(format!("{base}{path}")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/login", "{path}");
    }
    let login = c.get(format!("{base}/login")).await;
    assert_eq!(login.status(), StatusCode::OK);
    let h = login.headers().clone();
    let csp = h["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(h["x-frame-options"], "DENY");
    let html = login.text().await.expect("html");
    assert!(html.contains("Đăng nhập"), "Vietnamese by default");
    assert!(!html.contains("<script>"), "no inline script");
    let csrf = csrf_of(&html);
    let password = server.password.as_str();

    // A sign-in without the form's token is refused.
    let r = c
        .post(
            format!("{base}/login"),
            &[("username", "demo-supervisor"), ("password", password)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"login-form\""));

    // A wrong password shows the form again, a generic error and no data.
    let csrf2 = csrf_of(&html);
    let r = c
        .post(
            format!("{base}/login"),
            &[
                ("username", "demo-supervisor"),
                ("password", "wrong password!"),
                ("csrf", &csrf2),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(html.contains("không đúng"), "{html}");
    // (The form's random hex token may hold any digits: leave it out.)
    let shown = html.replace(&csrf_of(&html), "");
    assert!(!shown.contains("467") && !shown.contains("116"));
    let _ = csrf;

    // The right one gives an HttpOnly, SameSite session cookie and the dashboard.
    let csrf = csrf_of(&html);
    let r = c
        .post(
            format!("{base}/login"),
            &[
                ("username", "demo-supervisor"),
                ("password", password),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mt_session="))
        .expect("session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http on localhost: {cookie}"
    );
    let page = c.get(format!("{base}/?period=2023-10&lang=en")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("116 %") && html.contains("130 %"), "{html}");
    assert!(html.contains("Dashboard"), "English on ?lang=en");
    assert!(html.contains("<svg class=\"chart\""));
    // The choice of language sticks.
    let html = c
        .get(format!("{base}/due"))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Due list"));

    // A POST without the session's token changes nothing.
    let r = c
        .post(
            format!("{base}/imports/1/void"),
            &[("reason", "no token"), ("csrf", "0000")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = c
        .get(format!("{base}/?period=2023-10"))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("116 %"));

    // Signing out ends the session.
    let csrf = csrf_of(&html);
    let r = c
        .post(format!("{base}/logout"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c.get(format!("{base}/")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// A chromedriver process and one browser session in it.
pub(crate) struct Browser {
    driver: Child,
    http: reqwest::Client,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// Starts chromedriver and a headless Chromium; `None` (with a message) when they
    /// are not installed and this is not CI.
    pub(crate) async fn start() -> Option<Browser> {
        if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
            let message = format!(
                "browser tests need Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): apt-get install chromium chromium-driver"
            );
            assert!(std::env::var_os("CI").is_none(), "{message}");
            eprintln!("SKIPPED: {message}");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let http = reqwest::Client::new();
        let root = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{root}/status")).send().await;
            if ready.is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--lang=vi-VN",
                ],
                // A lab's browser: Vietnamese first (the pages follow `Accept-Language`
                // for a visitor who has not chosen a language).
                "prefs": {"intl": {"accept_languages": "vi-VN,vi"}},
            },
        }}});
        let mut browser = Browser {
            driver,
            http,
            url: root.clone(),
            _profile: profile,
        };
        let created = browser.call("POST", "/session", caps).await;
        let id = created["sessionId"]
            .as_str()
            .expect("session id")
            .to_owned();
        browser.url = format!("{root}/session/{id}");
        Some(browser)
    }

    pub(crate) async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.url);
        let request = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url).json(&body),
        };
        let response: Value = request
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("webdriver json");
        let value = response["value"].clone();
        if let Some(error) = value.get("error") {
            panic!("webdriver {method} {path}: {error} {}", value["message"]);
        }
        value
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                json!({"using": using(css), "value": css}),
            )
            .await;
        v[ELEMENT].as_str().expect("element").to_owned()
    }

    /// Waits (up to 15 s) until an element matches `css` (or, starting
    /// `//`, an XPath): a click's page has loaded.
    pub(crate) async fn wait_for(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found = self
                .http
                .post(format!("{}/elements", self.url))
                .json(&json!({"using": using(css), "value": css}))
                .send()
                .await
                .expect("webdriver")
                .json::<Value>()
                .await
                .expect("json");
            if found["value"].as_array().is_some_and(|a| !a.is_empty()) {
                return;
            }
            assert!(Instant::now() < deadline, "no {css} on the page");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Marks the page shown, so that [`Browser::wait_new_page`] can tell it
    /// from the page an action leads to.
    pub(crate) async fn mark_page(&self) {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": "document.documentElement.dataset.left = '1'", "args": []}),
        )
        .await;
    }

    /// Waits (up to 15 s) until the page marked by [`Browser::mark_page`] has
    /// been replaced and the new one has loaded: a form whose answer has the
    /// same elements as the form's page (a list's next page, a saved plan)
    /// cannot be told by [`Browser::wait_for`].
    pub(crate) async fn wait_new_page(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let script =
            "return document.readyState === 'complete' && !document.documentElement.dataset.left";
        loop {
            // While the page changes, a script may fail: that is "not yet".
            let done = self
                .http
                .post(format!("{}/execute/sync", self.url))
                .json(&json!({"script": script, "args": []}))
                .send()
                .await
                .expect("webdriver")
                .json::<Value>()
                .await
                .expect("json");
            if done["value"] == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "the page did not change");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks `css` and waits until the page it leads to has loaded.
    pub(crate) async fn click_to(&self, css: &str) {
        self.mark_page().await;
        self.click(css).await;
        self.wait_new_page().await;
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            json!({"text": text}),
        )
        .await;
    }

    pub(crate) async fn clear(&self, css: &str) {
        let e = self.find(css).await;
        self.call("POST", &format!("/element/{e}/clear"), json!({}))
            .await;
    }

    pub(crate) async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call("POST", &format!("/element/{e}/click"), json!({}))
            .await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.call("GET", &format!("/element/{e}/text"), Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub(crate) async fn screenshot(&self, path: &Path) {
        let v = self.call("GET", "/screenshot", Value::Null).await;
        let png = base64_decode(v.as_str().expect("png"));
        std::fs::write(path, png).expect("write screenshot");
    }
}

/// `//…` selects by XPath, anything else by CSS.
fn using(selector: &str) -> &'static str {
    if selector.starts_with("//") {
        "xpath"
    } else {
        "css selector"
    }
}

/// The figure of the dashboard's metric row `n` (1-based): its percent text.
async fn percent(b: &Browser, row: usize) -> String {
    b.text(&format!("#metrics tbody tr:nth-child({row}) .percent"))
        .await
}

#[cfg_attr(
    not(chromium_tests),
    ignore = "needs Chromium: apt-get install chromium chromium-driver"
)]
#[tokio::test]
async fn in_chromium_sign_in_read_the_month_upload_a_bad_log_and_void_a_batch() {
    let Some(b) = Browser::start().await else {
        panic!("needs Chromium: apt-get install chromium chromium-driver");
    };
    let server = DemoServer::start();
    let base = &server.base;

    b.goto(&format!("{base}/?period=2023-10")).await;
    b.type_into("#username", "demo-supervisor").await;
    b.type_into("#password", &server.password).await;
    b.click("#sign-in").await;
    b.wait_for("#metrics").await;
    b.goto(&format!("{base}/?period=2023-10")).await;
    b.wait_for("#metrics").await;
    let rows = b.text("#metrics tbody").await;
    // The exact figures: 467 instruments (first row), 13 earthing points (last row).
    assert_eq!(
        b.text("#metrics tbody tr:first-child .actual").await.trim(),
        "467",
        "{rows}"
    );
    assert_eq!(
        b.text("#metrics tbody tr:last-child .actual").await.trim(),
        "13",
        "{rows}"
    );
    assert_eq!(percent(&b, 1).await, "116 %");
    let earthing = b.text("#metrics tbody tr:last-child").await;
    assert!(earthing.contains("130 %"), "{earthing}");
    let report = b
        .call(
            "POST",
            "/execute/sync",
            json!({"script": "return document.getElementById('report-text').value", "args": []}),
        )
        .await;
    assert!(
        report.as_str().unwrap_or("").contains("467 PTĐ"),
        "{report}"
    );
    let shots = std::env::var_os("METROTRACK_SCREENSHOTS").map(PathBuf::from);
    if let Some(dir) = &shots {
        b.screenshot(&dir.join("dashboard.png")).await;
    }

    // A strict upload with an impossible date: refused, line 3 in the table.
    b.goto(&format!("{base}/upload")).await;
    let file = fixture("bad/impossible-date.csv");
    b.type_into("#file", &file.display().to_string()).await;
    b.click("#upload").await;
    b.wait_for("#problems").await;
    let lines = b.text("#problems tbody").await;
    assert!(
        lines.lines().any(|l| l.starts_with("3 ")),
        "line 3 in the rejected rows: {lines}"
    );
    assert_eq!(b.text("#count-inserted").await, "0");
    if let Some(dir) = &shots {
        b.screenshot(&dir.join("upload-result.png")).await;
    }

    // Voiding the demo's inspection batch takes its instruments out of the figure.
    b.goto(&format!("{base}/imports")).await;
    b.wait_for("#imports").await;
    let row = "//table[@id='imports']//tr[td[contains(., 'inspections-2023-10.excel-vi')]]";
    b.type_into(&format!("{row}//input[@name='reason']"), "browser test")
        .await;
    b.click(&format!("{row}//button")).await;
    b.wait_for("#confirm").await;
    let consequence = b.text("#consequence").await;
    assert!(
        consequence.contains("Hủy lô") && consequence.contains("bản ghi sẽ rời khỏi số liệu"),
        "{consequence}"
    );
    b.click("#confirm button[type='submit']").await;
    b.wait_for("#imports tr.voided").await;
    assert!(b.text("#notice").await.starts_with("Đã hủy lô"));
    b.goto(&format!("{base}/?period=2023-10")).await;
    b.wait_for("#metrics").await;
    let after = percent(&b, 1).await;
    // The demo's only inspections batch is void: no instrument counts any more.
    assert_eq!(after, "0 %", "the figure drops to nothing after the void");
    let first = b.text("#metrics tbody tr:first-child .actual").await;
    let actual: u64 = first.trim().parse().expect("a number");
    assert_eq!(actual, 0, "{actual}");
    let _ = b.call("DELETE", "", Value::Null).await;
}

/// A technician signs in, opens a record from the records list, amends its date with a
/// reason, sees both versions on the record page, and the dashboard's figure moves.
#[cfg_attr(
    not(chromium_tests),
    ignore = "needs Chromium: apt-get install chromium chromium-driver"
)]
#[tokio::test(flavor = "multi_thread")]
async fn in_chromium_a_technician_amends_a_date_and_the_figure_moves() {
    let Some(b) = Browser::start().await else {
        panic!("needs Chromium: apt-get install chromium chromium-driver");
    };
    let s = super::Server::start().await;
    s.web_user("tom", Role::Technician).await;
    let log = std::fs::read(fixture("demo/inspections-2023-10.csv")).expect("fixture");
    let uploaded = s
        .http
        .post(format!("{}/api/v1/imports?kind=inspections", s.base))
        .basic_auth("tom", Some(super::web::PASSWORD))
        .header("content-type", "text/csv")
        .body(log)
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let base = &s.base;
    let october = format!("{base}/?period=2023-10&scheme=decree09&lang=en");

    b.goto(&format!("{base}/login?lang=en")).await;
    b.type_into("#username", "tom").await;
    b.type_into("#password", super::web::PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_for("#metrics").await;
    b.goto(&october).await;
    b.wait_for("#metrics").await;
    assert_eq!(
        b.text("#metrics tbody tr:first-child .actual").await.trim(),
        "467"
    );

    // The first record of the month under Decree 09 was inspected on 15/09/2023.
    b.goto(&format!(
        "{base}/records/inspections?period=2023-10&scheme=decree09"
    ))
    .await;
    b.wait_for("#records").await;
    b.click("#records tbody tr:first-child a").await;
    b.wait_for("#amend").await;
    assert_eq!(b.text("h1").await, "Inspection 1");
    let date = "#amend input[name='inspected_on']";
    b.clear(date).await;
    b.type_into(date, "16/10/2023").await;
    b.type_into("#amend input[name='reason']", "typed the wrong day")
        .await;
    b.click("#amend button").await;
    b.wait_for("#versions thead th:nth-child(3)").await;
    let heads = b.text("#versions thead").await;
    assert!(heads.contains("Version 1"), "{heads}");
    assert!(heads.contains("Version 2"), "{heads}");
    assert!(heads.contains("typed the wrong day"), "{heads}");
    assert_eq!(b.text("#versions td.changed").await, "16/10/2023");
    let first_row = b.text("#versions tbody tr:first-child").await;
    assert!(first_row.contains("15/09/2023"), "{first_row}");

    b.goto(&october).await;
    b.wait_for("#metrics").await;
    assert_eq!(
        b.text("#metrics tbody tr:first-child .actual").await.trim(),
        "466"
    );
    let _ = b.call("DELETE", "", Value::Null).await;
}

/// Standard base64 (the screenshot WebDriver returns).
fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n: u32 = 0;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(value(c)) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}
