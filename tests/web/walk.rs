//! Issue 14's walk in Chromium, in Vietnamese and English: the dashboard of a quarter
//! whose plan covers one month says so, the records list's second page and back, a
//! filter, a rejected upload whose problems read in Vietnamese, a 404 page, the due list
//! grouped by customer, and at a phone's 390 px no page that scrolls sideways (the menu
//! folded behind its button). Screenshots go to `target/screenshots/` (not committed).

use std::path::PathBuf;

use metrotrack_store::accounts::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::browser::{Browser, fixture};

/// Runs `script` in the page and returns its value.
async fn eval(b: &Browser, script: &str) -> Value {
    b.call(
        "POST",
        "/execute/sync",
        json!({"script": script, "args": []}),
    )
    .await
}

/// Whether the element `css` is shown.
async fn displayed(b: &Browser, css: &str) -> bool {
    let e = b.find(css).await;
    b.call("GET", &format!("/element/{e}/displayed"), Value::Null)
        .await
        .as_bool()
        .unwrap_or(false)
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

#[cfg_attr(
    not(chromium_tests),
    ignore = "needs Chromium: apt-get install chromium chromium-driver"
)]
#[tokio::test(flavor = "multi_thread")]
async fn in_chromium_a_supervisors_day_in_vietnamese_and_on_a_phone() {
    let Some(b) = Browser::start().await else {
        panic!("needs Chromium: apt-get install chromium chromium-driver");
    };
    let s = super::Server::start().await;
    s.web_user("sue", Role::Supervisor).await;
    for kind in ["inspections", "earthing"] {
        let file = format!("demo/{kind}-2023-10.csv");
        let (status, body) = s
            .upload(s.token('A', Role::Technician), kind, &file, "")
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Only October of 2023-Q4 is planned.
    let supervisor = s.token('A', Role::Supervisor);
    assert_eq!(
        s.set_plan(supervisor, "2023-10", "instruments_inspected", 402)
            .await,
        StatusCode::OK
    );
    let base = s.base.clone();

    b.goto(&format!("{base}/login?lang=vi")).await;
    b.type_into("#username", "sue").await;
    b.type_into("#password", super::web::PASSWORD).await;
    b.click("#sign-in").await;
    b.wait_for("#metrics").await;

    // The quarter's target is partial, and the page says so in both languages.
    b.goto(&format!("{base}/?period=2023-Q4&scheme=decree09"))
        .await;
    b.wait_for("#metrics").await;
    let metrics = b.text("#metrics").await;
    assert!(
        metrics.contains("kế hoạch mới có cho 1/3 tháng"),
        "{metrics}"
    );
    b.goto(&format!("{base}/?period=2023-Q4&scheme=decree09&lang=en"))
        .await;
    b.wait_for("#metrics").await;
    let metrics = b.text("#metrics").await;
    assert!(metrics.contains("plan set for 1 of 3 months"), "{metrics}");
    b.goto(&format!("{base}/?lang=vi")).await;
    b.wait_for("h1").await;

    // The records list: page 2, then back to page 1.
    let records = format!("{base}/records/inspections?period=2023-10&scheme=decree09");
    b.goto(&records).await;
    b.wait_for("#records").await;
    let first = b.text("#records tbody tr:first-child td:first-child").await;
    b.click_to("//a[contains(@href, 'after=')]").await;
    b.wait_for("#records").await;
    let second = b.text("#records tbody tr:first-child td:first-child").await;
    let (first, second): (u64, u64) = (
        first.trim().parse().expect("id"),
        second.trim().parse().expect("id"),
    );
    assert!(second > first + 99, "{first} then {second}");
    b.call("POST", "/back", json!({})).await;
    b.wait_for("#records").await;
    let again = b.text("#records tbody tr:first-child td:first-child").await;
    assert_eq!(again.trim().parse::<u64>().expect("id"), first);

    // A filter: the failed inspections only.
    b.click("select[name='result'] option[value='fail']").await;
    b.click_to("#filters button").await;
    b.wait_for("option[value='fail'][selected]").await;
    let url = b.call("GET", "/url", Value::Null).await;
    assert!(
        url.as_str().is_some_and(|u| u.contains("result=fail")),
        "{url}"
    );
    let total: usize = b.text("#total strong").await.trim().parse().expect("total");
    let shown = eval(
        &b,
        "return document.querySelectorAll('#records tbody tr').length",
    )
    .await;
    assert_eq!(shown.as_u64(), Some(total as u64));
    let results = b.text("#records tbody").await;
    assert!(
        !results.contains("Đạt\n") || results.contains("Không đạt"),
        "{results}"
    );

    // A rejected upload: its problems read in Vietnamese.
    b.goto(&format!("{base}/upload")).await;
    let file = fixture("bad/impossible-date.csv");
    b.type_into("#file", &file.display().to_string()).await;
    b.click("#upload").await;
    b.wait_for("#problems").await;
    let problems = b.text("#problems tbody").await;
    assert!(
        problems.contains("31/02/2023 không phải là ngày hợp lệ"),
        "{problems}"
    );

    // A batch that does not exist: a page saying so, with a way back.
    b.goto(&format!("{base}/imports/999999")).await;
    b.wait_for("#error-title").await;
    assert_eq!(b.text("#error-title").await, "Không tìm thấy");
    b.click("#home").await;
    b.wait_for("#metrics").await;

    // The due list grouped by customer, chosen on the page.
    b.goto(&format!("{base}/due?within=30&as_of=2024-10-01"))
        .await;
    b.wait_for("#due").await;
    b.click("select[name='group'] option[value='owner']").await;
    b.click("form.toolbar button").await;
    b.wait_for("section.owner-group").await;
    let groups = eval(
        &b,
        "return document.querySelectorAll('section.owner-group').length",
    )
    .await;
    assert!(groups.as_u64().is_some_and(|n| n > 1), "{groups}");
    let heading = b.text("section.owner-group h2").await;
    assert!(heading.contains("phương tiện đo"), "{heading}");
    let dir = shots();
    b.screenshot(&dir.join("due-by-customer.png")).await;

    // A phone: 390 px wide. No page scrolls sideways; the menu folds behind its button.
    b.call("POST", "/window/rect", json!({"width": 390, "height": 844}))
        .await;
    let pages = [
        "/?period=2023-10&scheme=decree09",
        "/records/inspections?period=2023-10&scheme=decree09",
        "/records/earthing?period=2023-10&scheme=decree09",
        "/due?within=30&as_of=2024-10-01",
        "/due?within=30&as_of=2024-10-01&group=owner",
        "/imports",
        "/imports/1",
        "/upload",
        "/plans",
        "/categories",
        "/earthing/over-limit",
        "/settings",
        "/imports/999999",
    ];
    for (i, path) in pages.iter().enumerate() {
        b.goto(&format!("{base}{path}")).await;
        b.wait_for("h1").await;
        let widths = eval(
            &b,
            "return [document.documentElement.scrollWidth, window.innerWidth]",
        )
        .await;
        let (scroll, inner) = (widths[0].as_u64(), widths[1].as_u64());
        assert!(inner.is_some_and(|w| w <= 400), "{path}: {widths}");
        assert!(scroll <= inner, "{path} scrolls sideways: {widths}");
        if i == 0 {
            assert!(!displayed(&b, "#menu").await, "the menu is folded");
            b.screenshot(&dir.join("phone-dashboard.png")).await;
            b.click(".menu-button").await;
            assert!(displayed(&b, "#menu").await, "the button opens the menu");
            b.screenshot(&dir.join("phone-menu.png")).await;
        }
    }
    let _ = b.call("DELETE", "", Value::Null).await;
}
