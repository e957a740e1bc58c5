//! Accessibility of the web pages, in Chromium: axe-core (from npm, pinned in
//! `tests/web/package.json`, installed by `npm ci --prefix tests/web`) injected into every
//! page and state the browser reaches, signed in and out, in both languages, at desktop
//! and phone width; any violation of impact serious or critical fails the test, listed
//! whole. And a walk with the keyboard only.
//!
//! Without axe (npm not run) the axe test is marked ignored (`build.rs` sees
//! `node_modules`); run anyway, as CI does, it fails saying how to install it.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::browser::{Browser, DemoServer, fixture};

/// Where `npm ci --prefix tests/web` puts axe-core.
fn axe_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/web/node_modules/axe-core/axe.min.js")
}

/// axe-core's script, or a clear failure saying how to get it.
fn axe_source() -> String {
    let path = axe_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing ({}: {e}): run `npm ci --prefix tests/web` (the version is pinned in tests/web/package-lock.json)",
            path.display()
        )
    })
}

/// The widths every page is checked at: a desktop and a phone (390 px).
const WIDTHS: [(u32, u32); 2] = [(1280, 1000), (390, 844)];

/// Runs axe on the page the browser shows; every serious or critical violation, one
/// line each (rule, what it asks, where), goes to `failures` under `label`.
pub(crate) async fn audit(b: &Browser, axe: &str, label: &str, failures: &mut Vec<String>) {
    let loaded = b
        .call(
            "POST",
            "/execute/sync",
            json!({"script": format!("{axe}\n;return typeof axe;"), "args": []}),
        )
        .await;
    assert_eq!(loaded, json!("object"), "axe did not load on {label}");
    let found = b
        .call(
            "POST",
            "/execute/async",
            json!({"script": r#"
                var done = arguments[arguments.length - 1];
                axe.run(document, {resultTypes: ['violations']}).then(function (r) {
                  done(r.violations.filter(function (v) {
                    return v.impact === 'serious' || v.impact === 'critical';
                  }).map(function (v) {
                    return v.impact + ' ' + v.id + ': ' + v.help + ' — ' +
                      v.nodes.slice(0, 4).map(function (n) {
                        return n.target.join(' ') + ' (' + (n.failureSummary || '').replace(/\s+/g, ' ') + ')';
                      }).join('; ');
                  }));
                }, function (e) { done(['axe failed: ' + e]); });
            "#, "args": []}),
        )
        .await;
    for v in found.as_array().into_iter().flatten() {
        failures.push(format!("{label}: {}", v.as_str().unwrap_or_default()));
    }
}

async fn resize(b: &Browser, (width, height): (u32, u32)) {
    b.call(
        "POST",
        "/window/rect",
        json!({"width": width, "height": height}),
    )
    .await;
}

/// Every page of the demo, signed out and in, Vietnamese and English, 1280 px and 390 px,
/// with the states that matter: a dashboard below its plan and with no plan, an upload
/// refused with its rejected rows, a void's confirmation, a voided batch, error pages.
#[cfg_attr(
    not(all(chromium_tests, axe_tests)),
    ignore = "needs Chromium and axe-core: apt-get install chromium chromium-driver; npm ci --prefix tests/web"
)]
#[tokio::test(flavor = "multi_thread")]
async fn in_chromium_axe_finds_nothing_serious_on_any_page() {
    let axe = axe_source();
    let Some(b) = Browser::start().await else {
        panic!("needs Chromium: apt-get install chromium chromium-driver");
    };
    let server = DemoServer::start();
    let base = &server.base;
    let mut failures = Vec::new();

    // The check itself can fail: an image without a text alternative is found.
    b.goto(&format!("{base}/login")).await;
    b.wait_for("#login-form").await;
    b.call(
        "POST",
        "/execute/sync",
        json!({"script": "document.querySelector('main').appendChild(document.createElement('img')).src = '/favicon.ico';", "args": []}),
    )
    .await;
    let mut planted = Vec::new();
    audit(&b, &axe, "planted", &mut planted).await;
    assert!(
        planted.iter().any(|v| v.contains("image-alt")),
        "axe finds an image without alt: {planted:?}"
    );

    for size in WIDTHS {
        resize(&b, size).await;
        for lang in ["vi", "en"] {
            b.goto(&format!("{base}/login?lang={lang}")).await;
            b.wait_for("#login-form").await;
            audit(
                &b,
                &axe,
                &format!("/login {lang} {}px", size.0),
                &mut failures,
            )
            .await;
        }
    }

    b.goto(&format!("{base}/login")).await;
    b.type_into("#username", "demo-supervisor").await;
    b.type_into("#password", &server.password).await;
    b.click("#sign-in").await;
    b.wait_for("#metrics").await;

    // A plan far above September's figure: a row below plan.
    b.goto(&format!("{base}/plans?year=2023")).await;
    b.type_into("#plan-form input[name='period']", "2023-09")
        .await;
    b.type_into("#plan-form input[name='target']", "1000").await;
    b.click_to("#plan-form button").await;
    b.wait_for("//table[@id='plans']//tr[td[.='2023-09']]")
        .await;
    // A batch voided, so that a voided batch's page is seen too.
    let void = "//table[@id='imports']//tr[td[contains(., 'earthing-2023-10')]]";
    b.goto(&format!("{base}/imports")).await;
    b.wait_for(void).await;
    b.type_into(&format!("{void}//input[@name='reason']"), "axe")
        .await;
    b.click(&format!("{void}//button")).await;
    b.wait_for("#confirm").await;
    audit(&b, &axe, "void confirmation", &mut failures).await;
    b.click("#confirm button[type='submit']").await;
    b.wait_for("#imports tr.voided").await;

    let pages = [
        "/?period=2023-10",
        "/?period=2023-09",
        "/?period=2023&scheme=calendar",
        "/records/inspections?period=2023-10",
        "/records/earthing?period=2023-10",
        "/records/inspections/1",
        "/records/earthing/1",
        "/figures/instruments-inspected?period=2023-10",
        "/figures/points-measured?period=2023-10",
        "/imports",
        "/imports/1",
        "/imports/2",
        "/instruments/1",
        "/earthing-points/1",
        "/categories",
        "/settings",
        "/due",
        "/earthing/over-limit",
        "/plans?year=2023",
        "/upload",
        "/records/inspections/999999",
        "/?period=2023-13",
    ];
    for size in WIDTHS {
        resize(&b, size).await;
        for lang in ["vi", "en"] {
            for page in pages {
                let sep = if page.contains('?') { '&' } else { '?' };
                b.goto(&format!("{base}{page}{sep}lang={lang}")).await;
                b.wait_for("body").await;
                audit(
                    &b,
                    &axe,
                    &format!("{page} {lang} {}px", size.0),
                    &mut failures,
                )
                .await;
            }
            // An upload refused, its rejected rows listed.
            b.goto(&format!("{base}/upload")).await;
            let file = fixture("bad/impossible-date.csv");
            b.type_into("#file", &file.display().to_string()).await;
            b.click("#upload").await;
            b.wait_for("#problems").await;
            audit(
                &b,
                &axe,
                &format!("upload result {lang} {}px", size.0),
                &mut failures,
            )
            .await;
        }
    }
    let _ = b.call("DELETE", "", Value::Null).await;
    assert!(
        failures.is_empty(),
        "axe found {} serious or critical violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Presses `keys` (WebDriver key codes or plain characters), one after the other.
async fn press(b: &Browser, keys: &str) {
    let actions: Vec<Value> = keys
        .chars()
        .flat_map(|c| {
            [
                json!({"type": "keyDown", "value": c.to_string()}),
                json!({"type": "keyUp", "value": c.to_string()}),
            ]
        })
        .collect();
    b.call(
        "POST",
        "/actions",
        json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
    )
    .await;
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ARROW_DOWN: &str = "\u{E015}";

/// Whether the focused element matches `css`.
async fn focused(b: &Browser, css: &str) -> bool {
    b.call(
        "POST",
        "/execute/sync",
        json!({"script": "return !!document.activeElement && document.activeElement.matches(arguments[0])", "args": [css]}),
    )
    .await
    .as_bool()
    .unwrap_or(false)
}

/// Tabs forward until the focus is on `css` (at most 80 presses), as a keyboard user
/// reaches a control.
async fn tab_to(b: &Browser, css: &str) {
    for _ in 0..80 {
        if focused(b, css).await {
            return;
        }
        press(b, TAB).await;
    }
    panic!("Tab never reached {css}");
}

/// Waits (up to 15 s) until the focus is on `css`.
async fn wait_focus(b: &Browser, css: &str) {
    for _ in 0..150 {
        if focused(b, css).await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let active = b
        .call(
            "POST",
            "/execute/sync",
            json!({"script": "return document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : null", "args": []}),
        )
        .await;
    panic!("the focus is not on {css} but on {active}");
}

/// With the keyboard alone: sign in, skip the navigation, upload a log and land on its
/// result; change the dashboard's month; void a batch through its confirmation, the
/// focus on what was done each time.
#[cfg_attr(
    not(chromium_tests),
    ignore = "needs Chromium: apt-get install chromium chromium-driver"
)]
#[tokio::test(flavor = "multi_thread")]
async fn in_chromium_the_keyboard_alone_signs_in_uploads_changes_the_month_and_voids() {
    let Some(b) = Browser::start().await else {
        panic!("needs Chromium: apt-get install chromium chromium-driver");
    };
    let server = DemoServer::start();
    let base = &server.base;

    b.goto(&format!("{base}/login?lang=vi")).await;
    wait_focus(&b, "#username").await;
    press(&b, "demo-supervisor").await;
    press(&b, TAB).await;
    press(&b, &server.password).await;
    press(&b, ENTER).await;
    b.wait_for("#metrics").await;

    // The first Tab reaches the skip link; Enter puts the focus on the content.
    b.goto(&format!("{base}/?period=2023-10")).await;
    b.wait_for("#metrics").await;
    press(&b, TAB).await;
    assert!(focused(&b, "a.skip").await, "the skip link comes first");
    press(&b, ENTER).await;
    wait_focus(&b, "main").await;

    // Upload: the file is chosen through WebDriver (a file dialog is not a page), the
    // rest by keys; the result gets the focus.
    b.goto(&format!("{base}/upload")).await;
    b.wait_for("#upload-form").await;
    let file = fixture("bad/impossible-date.csv");
    b.type_into("#file", &file.display().to_string()).await;
    tab_to(&b, "#upload").await;
    press(&b, ENTER).await;
    b.wait_for("#problems").await;
    wait_focus(&b, "#result").await;

    // The dashboard's month, one down from October (November), shown.
    b.goto(&format!("{base}/?period=2023-10")).await;
    b.wait_for("#metrics").await;
    tab_to(&b, "#period-month").await;
    press(&b, ARROW_DOWN).await;
    tab_to(&b, "#period-picker button[type='submit']").await;
    b.mark_page().await;
    press(&b, ENTER).await;
    b.wait_new_page().await;
    b.wait_for("#metrics").await;
    let title = b.text("h1").await;
    assert!(title.contains("2023-11"), "{title}");

    // Void batch 1: reason, Enter, the confirmation (focused), Tab to confirm, Enter.
    b.goto(&format!("{base}/imports")).await;
    b.wait_for("#imports").await;
    tab_to(&b, "input[aria-label='Lý do hủy lô 1']").await;
    press(&b, "kiểm tra bàn phím").await;
    press(&b, ENTER).await;
    b.wait_for("#confirm").await;
    wait_focus(&b, "#confirm-title").await;
    tab_to(&b, "#confirm button[type='submit']").await;
    press(&b, ENTER).await;
    b.wait_for("#imports tr.voided").await;
    wait_focus(&b, "#notice").await;
    assert_eq!(b.text("#notice").await, "Đã hủy lô 1");
    let _ = b.call("DELETE", "", Value::Null).await;
}

/// Served like a product: pages gzipped for a browser that accepts it (and whole for a
/// client that does not), the stylesheet and script under content-hashed names cached
/// for good, a favicon, a description.
#[tokio::test]
async fn pages_are_compressed_assets_cached_for_good_and_a_favicon_served() {
    let server = DemoServer::start();
    let base = &server.base;
    let c = super::browser::Http::new();
    let html = c
        .get(format!("{base}/login"))
        .await
        .text()
        .await
        .expect("html");
    let csrf = super::browser::csrf_of(&html);
    let r = c
        .post(
            format!("{base}/login"),
            &[
                ("username", "demo-supervisor"),
                ("password", server.password.as_str()),
                ("csrf", csrf.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let page = format!("{base}/records/inspections?period=2023-10");
    let plain = c.get(page.clone()).await;
    assert!(plain.headers().get("content-encoding").is_none());
    let html = plain.text().await.expect("html");
    assert!(
        html.contains("<meta name=\"description\" content=\""),
        "{html}"
    );
    let gzipped = c
        .send(c.client.get(&page).header("accept-encoding", "gzip"))
        .await;
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let packed = gzipped.bytes().await.expect("body").len();
    assert!(packed * 4 < html.len(), "{packed} of {}", html.len());

    for (ext, kind) in [("css", "text/css"), ("js", "text/javascript")] {
        let href = html
            .split('"')
            .find(|s| s.starts_with("/assets/app.") && s.ends_with(ext))
            .unwrap_or_else(|| panic!("a hashed {ext} link in {html}"));
        assert_eq!(href.len(), "/assets/app..".len() + 12 + ext.len(), "{href}");
        let r = c.get(format!("{base}{href}")).await;
        assert_eq!(r.status(), reqwest::StatusCode::OK, "{href}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(
            r.headers()["content-type"]
                .to_str()
                .expect("type")
                .starts_with(kind)
        );
        let wrong = href.replace("/assets/app.", "/assets/app.0");
        let r = c.get(format!("{base}{wrong}")).await;
        assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND, "{wrong}");
    }
    let icon = c.get(format!("{base}/favicon.ico")).await;
    assert_eq!(icon.status(), reqwest::StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.expect("svg").starts_with("<svg"));
    // A download still arrives whole, and its workbook is not compressed again.
    let xlsx = c
        .send(
            c.client
                .get(format!(
                    "{base}/export/records/inspections?period=2023-10&format=xlsx"
                ))
                .header("accept-encoding", "gzip"),
        )
        .await;
    assert_eq!(xlsx.status(), reqwest::StatusCode::OK);
    assert!(xlsx.headers().get("content-encoding").is_none());
    assert!(xlsx.bytes().await.expect("xlsx").starts_with(b"PK"));
}
