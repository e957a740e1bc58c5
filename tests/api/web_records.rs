//! A record's page: its versions side by side, amending it and voiding it through the
//! forms, and who may.

use super::web::page;
use super::*;

/// The items of `ul` in the page's problems box.
fn problems(html: &str) -> Vec<String> {
    let Some(part) = html.split("id=\"problems\"").nth(1) else {
        return Vec::new();
    };
    let list = part.split("</ul>").next().unwrap_or_default();
    list.split("<li>")
        .skip(1)
        .map(|li| li.split("</li>").next().unwrap_or_default().to_owned())
        .collect()
}

/// Earthing test `id` of lab A as the API reads it (voided or not).
async fn test_of(s: &Server, id: i64) -> Value {
    let (status, tests) = s
        .get(
            "/api/v1/earthing-tests?limit=100&include_voided=true",
            s.token('A', Role::Reader),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    tests["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["id"] == id)
        .cloned()
        .expect("the test")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_technician_amends_its_record_on_the_page_and_sees_both_versions() {
    let s = Server::start().await;
    for (name, role) in [
        ("tom", Role::Technician),
        ("tim", Role::Technician),
        ("sue", Role::Supervisor),
        ("rita", Role::Reader),
    ] {
        s.web_user(name, role).await;
    }
    let tom = s.sign_in("tom").await;
    let log = std::fs::read(fixture("demo/earthing-2023-10.csv")).expect("fixture");
    let r = tom.upload(Some(&tom.csrf), "earthing", "e.csv", log).await;
    page(r, StatusCode::OK).await;

    let html = page(tom.get("/records/earthing/1").await, StatusCode::OK).await;
    assert!(html.contains("<h1>Earthing test 1</h1>"), "{html}");
    assert!(html.contains("id=\"amend\""));
    assert!(html.contains("From batch 1, line 2 · tom"), "{html}");
    let listed = page(
        tom.get("/records/earthing?period=2023-10&scheme=calendar")
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        listed.contains("href=\"/records/earthing/"),
        "the list links each record"
    );

    // Another technician's record: refused, nothing changed.
    let tim = s.sign_in("tim").await;
    let r = tim
        .post(
            "/records/earthing/1/amend",
            &[
                ("csrf", &tim.csrf),
                ("resistance_ohm", "5.5"),
                ("reason", "x"),
            ],
        )
        .await;
    let html = page(r, StatusCode::FORBIDDEN).await;
    assert_eq!(
        problems(&html),
        [
            "A technician amends or voids only the records of batches it uploaded or amended; \
          a supervisor may change any record of the lab."
        ]
    );
    assert_eq!(test_of(&s, 1).await["version"], 1);

    // A value the import would refuse: refused the same way, naming the field.
    let r = tom
        .post(
            "/records/earthing/1/amend",
            &[
                ("csrf", &tom.csrf),
                ("resistance_ohm", "abc"),
                ("reason", "typo"),
            ],
        )
        .await;
    let html = page(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        problems(&html),
        ["Resistance (Ω) «abc»: abc is not a number"]
    );
    // A wrong CSRF token: the form has expired.
    let r = tom
        .post(
            "/records/earthing/1/amend",
            &[
                ("csrf", "nope"),
                ("resistance_ohm", "5.5"),
                ("reason", "typo"),
            ],
        )
        .await;
    page(r, StatusCode::FORBIDDEN).await;
    assert_eq!(test_of(&s, 1).await["version"], 1);

    // The technician's own record: stored as version 2, both versions on the page.
    let r = tom
        .post(
            "/records/earthing/1/amend",
            &[
                ("csrf", &tom.csrf),
                ("resistance_ohm", "5,5"),
                ("tested_on", "20/08/2023"),
                ("reason", "read the wrong dial"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/records/earthing/1");
    let stored = test_of(&s, 1).await;
    assert_eq!(
        (
            &stored["version"],
            &stored["resistance_ohm"],
            &stored["tested_on"]
        ),
        (
            &Value::from(2),
            &Value::from("5.5"),
            &Value::from("2023-08-20")
        )
    );
    let html = page(tom.get("/records/earthing/1").await, StatusCode::OK).await;
    assert!(
        html.contains("Version 1<br><small>as imported</small>"),
        "{html}"
    );
    assert!(html.contains("Version 2<br><small>tom · "), "{html}");
    assert!(html.contains(" · read the wrong dial</small>"), "{html}");
    assert!(
        html.contains("<td>3.85</td><td class=\"changed\"><mark title=\"changed\">5.5</mark></td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>20/08/2023</td><td>20/08/2023</td>"),
        "unchanged date: {html}"
    );

    // A reader sees the page and no form; its post is refused.
    let rita = s.sign_in("rita").await;
    let html = page(rita.get("/records/earthing/1").await, StatusCode::OK).await;
    assert!(!html.contains("id=\"amend\""));
    let r = rita
        .post(
            "/records/earthing/1/void",
            &[("csrf", &rita.csrf), ("reason", "x")],
        )
        .await;
    page(r, StatusCode::FORBIDDEN).await;

    // A supervisor voids it: first a page saying what will happen, nothing done yet;
    // confirmed, voided, with who and why, and no form any more.
    let sue = s.sign_in("sue").await;
    let r = sue
        .post(
            "/records/earthing/1/void",
            &[("csrf", &sue.csrf), ("reason", "tester broken")],
        )
        .await;
    let html = page(r, StatusCode::OK).await;
    assert!(
        html.contains("Void record 1 — this record will leave the figures"),
        "{html}"
    );
    assert!(html.contains("name=\"confirm\" value=\"yes\""), "{html}");
    assert!(test_of(&s, 1).await["voided_at"].is_null());
    let r = sue
        .post(
            "/records/earthing/1/void",
            &[
                ("csrf", &sue.csrf),
                ("reason", "tester broken"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(sue.get("/records/earthing/1").await, StatusCode::OK).await;
    assert!(html.contains("This record is voided: "), "{html}");
    assert!(html.contains(" · sue · tester broken</p>"), "{html}");
    assert!(!html.contains("id=\"amend\""));
    assert!(test_of(&s, 1).await["voided_at"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_page_lists_its_records_and_a_supervisor_voids_and_restores_it() {
    let s = Server::start().await;
    s.web_user("sue", Role::Supervisor).await;
    s.web_user("tom", Role::Technician).await;
    let sue = s.sign_in("sue").await;
    let log = std::fs::read(fixture("demo/earthing-2023-10.csv")).expect("fixture");
    page(
        sue.upload(Some(&sue.csrf), "earthing", "e.csv", log.clone())
            .await,
        StatusCode::OK,
    )
    .await;

    let html = page(sue.get("/imports").await, StatusCode::OK).await;
    assert!(html.contains("<a href=\"/imports/1\">1</a>"), "{html}");
    let html = page(sue.get("/imports/1").await, StatusCode::OK).await;
    assert!(html.contains("<h1>Batch 1: e.csv</h1>"), "{html}");
    assert!(html.contains("<dd id=\"count-inserted\">18</dd>"), "{html}");
    assert_eq!(html.matches("<a href=\"/records/earthing/").count(), 18);
    assert!(html.contains("id=\"void\""));

    // Voiding asks first, naming the batch and what leaves the figures; nothing is
    // voided until the confirmation is sent back.
    let r = sue
        .post(
            "/imports/1/void",
            &[("csrf", &sue.csrf), ("reason", "wrong site")],
        )
        .await;
    let html = page(r, StatusCode::OK).await;
    assert!(
        html.contains("Void batch 1 — 18 records will leave the figures"),
        "{html}"
    );
    assert!(html.contains("<q>wrong site</q>"), "{html}");
    assert!(s.batches().await[0]["voided_at"].is_null());
    // Voided, then the same file stored again: the restore is refused, naming it.
    let r = sue
        .post(
            "/imports/1/void",
            &[
                ("csrf", &sue.csrf),
                ("reason", "wrong site"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/imports?voided=1");
    let html = page(sue.get("/imports?voided=1").await, StatusCode::OK).await;
    assert!(
        html.contains("role=\"status\" tabindex=\"-1\" autofocus>Voided batch 1</p>"),
        "{html}"
    );
    let html = page(sue.get("/imports/1").await, StatusCode::OK).await;
    assert!(html.contains("id=\"restore\""), "{html}");
    page(
        sue.upload(Some(&sue.csrf), "earthing", "e.csv", log).await,
        StatusCode::OK,
    )
    .await;
    let r = sue.post("/imports/1/restore", &[("csrf", &sue.csrf)]).await;
    let html = page(r, StatusCode::OK).await;
    assert!(
        html.contains("Restore batch 1 — 18 records will return to the figures"),
        "{html}"
    );
    let r = sue
        .post(
            "/imports/1/restore",
            &[("csrf", &sue.csrf), ("confirm", "yes")],
        )
        .await;
    let html = page(r, StatusCode::CONFLICT).await;
    assert!(
        html.contains(
            "import batch 1 cannot be restored; nothing was restored: the same file is \
             stored as batch 2"
        ),
        "{html}"
    );
    // Once batch 2 is voided, batch 1 comes back.
    let r = sue
        .post(
            "/imports/2/void",
            &[("csrf", &sue.csrf), ("reason", "again"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let tom = s.sign_in("tom").await;
    let r = tom.post("/imports/1/restore", &[("csrf", &tom.csrf)]).await;
    page(r, StatusCode::FORBIDDEN).await;
    let r = sue
        .post(
            "/imports/1/restore",
            &[("csrf", &sue.csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/imports/1?restored=1");
    let batches = s.batches().await;
    let live: Vec<(i64, bool)> = batches
        .iter()
        .map(|b| (b["id"].as_i64().expect("id"), b["voided_at"].is_null()))
        .collect();
    assert_eq!(live, [(2, false), (1, true)]);

    // A batch that does not exist: a 404 page, not JSON.
    let r = sue.get("/imports/99").await;
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let html = page(r, StatusCode::NOT_FOUND).await;
    assert!(
        html.contains("There is no such page or record in your lab:")
            && html.contains("<code id=\"error-path\">/imports/99</code>"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instrument_and_an_earthing_point_show_their_history() {
    let s = Server::start().await;
    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    for (kind, file) in [
        ("inspections", "demo/inspections-2023-10.csv"),
        ("earthing", "demo/earthing-2023-10.csv"),
    ] {
        let log = std::fs::read(fixture(file)).expect("fixture");
        page(
            tom.upload(Some(&tom.csrf), kind, "log.csv", log).await,
            StatusCode::OK,
        )
        .await;
    }
    let html = page(tom.get("/records/inspections/1").await, StatusCode::OK).await;
    assert!(
        html.contains("<a href=\"/instruments/1\" id=\"subject\">History</a>"),
        "{html}"
    );
    let html = page(tom.get("/instruments/1").await, StatusCode::OK).await;
    // The category by its name in the page's language, not its code.
    assert!(html.contains("<h1>Water meter 20A042229</h1>"), "{html}");
    assert!(html.contains("<dd>Sensus</dd>"), "{html}");
    assert!(
        html.contains("<a href=\"/records/inspections/1\">1</a>"),
        "{html}"
    );
    assert!(html.contains("<td>Calibration</td>"), "{html}");

    // Trường THPT Lê Quý Đôn, Đ1: 4.15 Ω on 15/09, then 4.60 Ω on 11/10, a rise.
    let html = page(tom.get("/earthing-points/2").await, StatusCode::OK).await;
    assert!(
        html.contains("<h1>Trường THPT Lê Quý Đôn · Đ1</h1>"),
        "{html}"
    );
    let rows: Vec<&str> = html
        .split("<tr")
        .filter(|r| r.contains("/records/earthing/"))
        .collect();
    assert_eq!(rows.len(), 2, "{html}");
    assert!(
        rows[0].contains("4.15") && !rows[0].contains('↑'),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("4.60") && rows[1].contains("↑ rose over the previous test"),
        "{}",
        rows[1]
    );
    let html = page(tom.get("/instruments/99999").await, StatusCode::NOT_FOUND).await;
    assert!(
        html.contains("There is no such page or record in your lab:")
            && html.contains("<code id=\"error-path\">/instruments/99999</code>"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_keeps_the_categories_on_their_page() {
    let s = Server::start().await;
    s.web_user("ada", Role::Admin).await;
    s.web_user("sue", Role::Supervisor).await;
    let sue = s.sign_in("sue").await;
    let html = page(sue.get("/categories").await, StatusCode::OK).await;
    assert!(html.contains("<td>DHN</td><td>Đồng hồ nước</td>"), "{html}");
    assert!(
        !html.contains("id=\"set-category\""),
        "no forms below admin"
    );
    let r = sue
        .post(
            "/categories",
            &[
                ("csrf", &sue.csrf),
                ("code", "AKE"),
                ("name_vi", "Ampe kìm"),
                ("name_en", "Clamp"),
            ],
        )
        .await;
    page(r, StatusCode::FORBIDDEN).await;

    let ada = s.sign_in("ada").await;
    let r = ada
        .post(
            "/categories",
            &[
                ("csrf", &ada.csrf),
                ("code", "ake"),
                ("name_vi", "Ampe kìm"),
                ("name_en", "Clamp meter"),
                ("legal_group2", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cycle = [
        ("csrf", ada.csrf.as_str()),
        ("code", "AKE"),
        ("from", "2024-01-01"),
        ("months", "12"),
    ];
    let r = ada.post("/categories/cycles", &cycle).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(ada.get("/categories").await, StatusCode::OK).await;
    assert!(
        html.contains("<td>AKE</td><td>Ampe kìm</td><td>Clamp meter</td><td>✓</td><td>12 months, from 01/01/2024</td>"),
        "{html}"
    );
    let html = page(
        ada.post("/categories/cycles", &cycle).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        html.contains("AKE already has a cycle from 01/01/2024; cycles are kept as history"),
        "{html}"
    );
}

/// The records list pages on: its "next page" link opens the next 200 records.
#[tokio::test(flavor = "multi_thread")]
async fn the_records_list_pages_through_the_month() {
    let s = Server::start().await;
    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    let log = std::fs::read(fixture("demo/inspections-2023-10.csv")).expect("fixture");
    page(
        tom.upload(Some(&tom.csrf), "inspections", "i.csv", log)
            .await,
        StatusCode::OK,
    )
    .await;
    let mut path = "/records/inspections?period=2023-10&scheme=decree09".to_owned();
    let mut rows = 0;
    let mut pages = 0;
    while pages < 10 {
        let html = page(tom.get(&path).await, StatusCode::OK).await;
        pages += 1;
        rows += html.matches("<a href=\"/records/inspections/").count();
        let Some(next) = html
            .split("<a href=\"")
            .filter_map(|a| a.split('"').next())
            .find(|href| href.contains("after="))
        else {
            break;
        };
        path = next.replace("&#38;", "&").replace("&amp;", "&");
    }
    assert_eq!((rows, pages), (497, 5));
}

/// October's inspections as the API lists them, narrowed by `query`.
async fn month_inspections(s: &Server, token: &str, query: &str) -> Vec<Value> {
    let (_, list) = s
        .get(
            &format!("/api/v1/inspections?period=2023-10&scheme=decree09&limit=1000{query}"),
            token,
        )
        .await;
    list["items"].as_array().expect("items").clone()
}

/// The records page narrows the month by result, kind and technician as the API does;
/// its count, its next page and its download keep the narrowing.
#[tokio::test(flavor = "multi_thread")]
async fn the_records_page_narrows_the_month() {
    let s = Server::start().await;
    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    let log = std::fs::read(fixture("demo/inspections-2023-10.csv")).expect("fixture");
    page(
        tom.upload(Some(&tom.csrf), "inspections", "i.csv", log)
            .await,
        StatusCode::OK,
    )
    .await;
    let reader = s.token('A', Role::Reader);
    let month = "period=2023-10&scheme=decree09";
    let rows = |html: &str| html.matches("<a href=\"/records/inspections/").count();
    let unescape = |href: &str| href.replace("&#38;", "&").replace("&amp;", "&");

    // Failed inspections: the page's count and rows are the API's, the choice stays
    // selected, and the download holds the same rows.
    let fails = month_inspections(&s, reader, "&result=fail").await;
    assert!(!fails.is_empty() && fails.len() < 200, "{}", fails.len());
    let html = page(
        tom.get(&format!("/records/inspections?{month}&result=fail"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        html.contains(&format!("<strong>{}</strong>", fails.len())),
        "{html}"
    );
    assert_eq!(rows(&html), fails.len());
    assert!(html.contains("<option value=\"fail\" selected>"), "{html}");
    let download = html
        .split("href=\"")
        .filter_map(|a| a.split('"').next())
        .find(|href| href.starts_with("/export/") && href.contains("format=csv"))
        .map(unescape)
        .expect("a download link");
    assert!(download.contains("result=fail"), "{download}");
    let csv = tom.get(&download).await.text().await.expect("csv");
    let lines = csv.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(lines, 1 + fails.len(), "the header and the failed rows");

    // One technician's failed inspections.
    let who = fails[0]["technician"]
        .as_str()
        .expect("technician")
        .to_owned();
    let theirs = month_inspections(&s, reader, &format!("&result=fail&technician={who}")).await;
    let html = page(
        tom.get(&format!(
            "/records/inspections?{month}&result=fail&technician={who}"
        ))
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rows(&html), theirs.len());
    assert!(theirs.len() < fails.len() || fails.iter().all(|f| f["technician"] == who.as_str()));

    // Verifications span pages: the next page keeps the narrowing, and the pages add up.
    let verifications = month_inspections(&s, reader, "&kind=verification").await;
    assert!(verifications.len() > 200, "{}", verifications.len());
    let mut path = format!("/records/inspections?{month}&kind=verification");
    let mut seen = 0;
    for _ in 0..5 {
        let html = page(tom.get(&path).await, StatusCode::OK).await;
        seen += rows(&html);
        let Some(next) = html
            .split("<a href=\"")
            .filter_map(|a| a.split('"').next())
            .find(|href| href.contains("after="))
        else {
            break;
        };
        path = unescape(next);
        assert!(path.contains("kind=verification"), "{path}");
    }
    assert_eq!(seen, verifications.len());
}
