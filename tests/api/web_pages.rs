//! Issue 14's pages as a user sees them: the due list's counts and its grouping by
//! customer, the HTML error pages (the API keeping problem+json), the check-only upload's
//! result, the earthing tests' filters, the log-kind guess, and the categories' refusals
//! in the reader's language.

use super::browser::csrf_of;
use super::web::{alert, page};

/// The categories page's refusal (`id="refused"`).
fn refusal(html: &str) -> Option<&str> {
    html.split("id=\"refused\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
}
use super::*;

/// Uploads the demo month's `kind` log through the API as lab A's technician.
async fn demo_month(s: &Server, kind: &str) {
    let file = format!("demo/{kind}-2023-10.csv");
    let (status, body) = s
        .upload(s.token('A', Role::Technician), kind, &file, "")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The `<strong id="…">` number of a page.
fn strong(html: &str, id: &str) -> u64 {
    html.split(&format!("<strong id=\"{id}\">"))
        .nth(1)
        .and_then(|r| r.split('<').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {id} in {html}"))
}

/// The due list counts the overdue, the due within the window and both, as the API
/// does; grouped by customer, each owner's instruments come together under its name
/// with their count, and the downloads stay.
#[tokio::test(flavor = "multi_thread")]
async fn the_due_list_counts_and_groups_by_customer() {
    let s = Server::start().await;
    demo_month(&s, "inspections").await;
    s.web_user("sue", Role::Supervisor).await;
    let sue = s.sign_in("sue").await;
    let window = "within=30&as_of=2024-10-01";

    let (status, api) = s
        .get(
            &format!("/api/v1/due?{window}&limit=1000"),
            s.token('A', Role::Reader),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{api}");
    let items = api["items"].as_array().expect("items");
    let overdue = items.iter().filter(|i| i["overdue"] == true).count() as u64;
    let total = items.len() as u64;
    assert!(overdue > 0 && overdue < total, "{overdue} of {total}");
    assert_eq!(api["counts"]["overdue"], overdue);
    assert_eq!(api["counts"]["due_soon"], total - overdue);
    assert_eq!(api["counts"]["total"], total);
    // The counts cover the whole list, not the page.
    let (_, first) = s
        .get(
            &format!("/api/v1/due?{window}&limit=2"),
            s.token('A', Role::Reader),
        )
        .await;
    assert_eq!(first["counts"]["total"], total);

    let html = page(
        sue.get(&format!("/due?{window}&lang=vi")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(strong(&html, "count-overdue"), overdue);
    assert_eq!(strong(&html, "count-soon"), total - overdue);
    assert_eq!(strong(&html, "count-total"), total);
    assert!(html.contains("Đến hạn trong 30 ngày"), "{html}");
    assert!(
        html.contains("href=\"/export/due?within=30&as_of=2024-10-01&format=csv\""),
        "{html}"
    );

    // Grouped by customer: one heading per owner, the instruments under it.
    let mut owners: HashMap<String, usize> = HashMap::new();
    for i in items {
        *owners
            .entry(i["owner"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    let html = page(
        sue.get(&format!("/due?{window}&group=owner&lang=vi")).await,
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("<option value=\"owner\" selected>"), "{html}");
    assert_eq!(strong(&html, "count-total"), total);
    let sections: Vec<&str> = html
        .split("<section class=\"owner-group\">")
        .skip(1)
        .collect();
    assert_eq!(sections.len(), owners.len(), "{html}");
    let mut names = Vec::new();
    for section in &sections {
        let heading = section
            .split("<h2>")
            .nth(1)
            .and_then(|h| h.split(" <span").next())
            .expect("heading");
        let name = heading
            .replace("&#34;", "\"")
            .replace("&#38;", "&")
            .replace("&amp;", "&");
        let expected = owners
            .get(&name)
            .copied()
            .unwrap_or_else(|| panic!("{name}"));
        assert!(
            section.contains(&format!("({expected} phương tiện đo")),
            "{name}: {section}"
        );
        assert_eq!(
            section.matches("<a href=\"/instruments/").count(),
            expected,
            "{name}"
        );
        names.push(name.to_lowercase());
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "owners by name");

    // In English too; the download of the grouped page is the same list.
    let html = page(
        sue.get(&format!("/due?{window}&group=owner&lang=en")).await,
        StatusCode::OK,
    )
    .await;
    assert!(html.contains("Customer (owner)"), "{html}");
    assert!(html.contains(" instruments"), "{html}");
    let csv = sue
        .get(&format!("/export/due?{window}&format=csv"))
        .await
        .text()
        .await
        .expect("csv");
    let lines = csv.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    assert_eq!(lines, 1 + total);
}

/// A browser asking for what is not there gets a page in its language, with a way
/// back; the API and other clients keep problem+json.
#[tokio::test(flavor = "multi_thread")]
async fn missing_pages_and_refusals_read_as_pages_in_the_readers_language() {
    let s = Server::start().await;
    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    let browser = |path: &str| tom.browser(path);

    for (path, lang, title) in [
        ("/imports/999999?lang=vi", "vi", "Không tìm thấy"),
        ("/records/inspections/999999?lang=en", "en", "Not found"),
        ("/records/earthing/424242?lang=vi", "vi", "Không tìm thấy"),
        ("/no/such/page?lang=vi", "vi", "Không tìm thấy"),
        ("/no/such/page?lang=en", "en", "Not found"),
    ] {
        let r = tom
            .http
            .send(browser(path).header("referer", tom.url("/due")))
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .is_ok_and(|c| c.starts_with("text/html")),
            "{path}"
        );
        let html = r.text().await.expect("html");
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{html}");
        assert!(
            html.contains(&format!("<h1 id=\"error-title\">{title}</h1>")),
            "{html}"
        );
        let bare = path.split('?').next().unwrap_or_default();
        assert!(
            html.contains(&format!("<code id=\"error-path\">{bare}</code>")),
            "{html}"
        );
        assert!(html.contains("<a href=\"/due\" id=\"back\">"), "{html}");
        assert!(html.contains("<a href=\"/\" id=\"home\">"), "{html}");
    }
    // Without a language asked, the one last chosen (the cookie's) is used.
    page(tom.get("/due?lang=en").await, StatusCode::OK).await;
    let html = page(
        tom.http.send(browser("/imports/999999")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(html.contains("Back to the dashboard"), "{html}");

    // The API, and a client that does not ask for HTML, get problem+json.
    for r in [
        tom.http.send(browser("/api/v1/nothing-here")).await,
        tom.get("/no/such/page").await,
    ] {
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }

    // A form with a stale token: 403, in the reader's language, with a way back.
    let r = tom
        .post(
            "/plans?lang=vi",
            &[("csrf", "stale"), ("period", "2023-10")],
        )
        .await;
    let html = page(r, StatusCode::FORBIDDEN).await;
    assert_eq!(alert(&html), Some("Biểu mẫu đã hết hạn. Vui lòng thử lại."));
    assert!(html.contains("Về trang tổng quan"), "{html}");

    // Too many failed sign-ins: 429, the sign-in form again, in Vietnamese.
    let http = super::browser::Http::new();
    let mut last = None;
    for _ in 0..40 {
        let form = http.get(format!("{}/login?lang=vi", s.base)).await;
        let csrf = csrf_of(&form.text().await.expect("html"));
        let r = http
            .post(
                format!("{}/login", s.base),
                &[("username", "tom"), ("password", "wrong"), ("csrf", &csrf)],
            )
            .await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            last = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = last.expect("throttled within 40 failures");
    assert!(r.headers().contains_key("retry-after"));
    let html = r.text().await.expect("html");
    assert!(html.contains("Quá nhiều lần đăng nhập sai"), "{html}");
    assert!(html.contains("id=\"login-form\""), "{html}");
}

/// Sends `file` to the upload page with `mode`, in `lang`.
async fn upload_mode(
    web: &super::web::WebSession,
    lang: &str,
    kind: &str,
    mode: &str,
    bytes: Vec<u8>,
) -> String {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("log.csv")
        .mime_str("text/csv")
        .expect("mime");
    let form = reqwest::multipart::Form::new()
        .text("csrf", web.csrf.clone())
        .text("kind", kind.to_owned())
        .text("mode", mode.to_owned())
        .part("file", part);
    let r = web
        .http
        .send(
            web.http
                .client
                .post(web.url(&format!("/upload?lang={lang}")))
                .multipart(form),
        )
        .await;
    page(r, StatusCode::OK).await
}

/// The counts of an upload's result: (label, number) of each tile.
fn tiles(html: &str) -> Vec<(String, String)> {
    html.split("<div><dt>")
        .skip(1)
        .filter_map(|t| {
            let (label, rest) = t.split_once("</dt>")?;
            let n = rest.split('>').nth(1)?.split('<').next()?;
            Some((label.to_owned(), n.to_owned()))
        })
        .collect()
}

/// A check-only upload stores nothing and says how many rows would be stored and how
/// many rejected; the batch page says the same; a strict upload still says "stored".
#[tokio::test(flavor = "multi_thread")]
async fn a_check_only_upload_says_what_would_be_stored() {
    let s = Server::start().await;
    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    let log = b"date,category,serial_number,kind,result,technician\n\
        2023-10-02,CT1P,A1,verification,pass,An\n\
        2023-10-03,CT1P,A2,verification,pass,An\n\
        2023-10-04,CT1P,A3,verification,pass,An\n\
        31/02/2023,CT1P,A4,verification,pass,An\n"
        .to_vec();
    let html = upload_mode(&tom, "vi", "inspections", "dry_run", log.clone()).await;
    let counts = tiles(&html);
    assert!(
        counts.contains(&("Sẽ lưu".to_owned(), "3".to_owned())),
        "{counts:?}"
    );
    assert!(
        counts.contains(&("Sẽ bị từ chối".to_owned(), "1".to_owned())),
        "{counts:?}"
    );
    assert!(!html.contains("Đã lưu"), "{html}");
    assert!(html.contains("Chỉ kiểm tra: không lưu gì."), "{html}");
    let html = upload_mode(&tom, "en", "inspections", "dry_run", log.clone()).await;
    assert!(
        tiles(&html).contains(&("Would be stored".to_owned(), "3".to_owned())),
        "{html}"
    );
    let (_, list) = s
        .get("/api/v1/inspections?limit=10", s.token('A', Role::Reader))
        .await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(0),
        "nothing stored"
    );

    let html = upload_mode(&tom, "vi", "inspections", "partial", log).await;
    let counts = tiles(&html);
    assert!(
        counts.contains(&("Đã lưu".to_owned(), "3".to_owned())),
        "{counts:?}"
    );
}

/// An earthing log uploaded as inspections (and the reverse) is refused with one
/// problem saying which kind it looks like, in the language asked, on the API and the
/// page alike.
#[tokio::test(flavor = "multi_thread")]
async fn the_wrong_log_kind_is_named_once() {
    let s = Server::start().await;
    let technician = s.token('A', Role::Technician);
    for (lang, title, starts) in [
        (
            "vi",
            "Tệp nhập bị từ chối",
            "tệp này có vẻ là sổ đo điện trở nối đất",
        ),
        (
            "en",
            "The import was refused",
            "this looks like an earthing log",
        ),
    ] {
        let (status, body) = s
            .upload(
                technician,
                "inspections",
                "demo/earthing-2023-10.csv",
                &format!("&lang={lang}"),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["title"], title);
        let problems = body["problems"].as_array().expect("problems");
        assert_eq!(problems.len(), 1, "{body}");
        assert_eq!(problems[0]["code"], "header.looks_like_earthing");
        let message = problems[0]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(starts), "{message}");
    }
    let (_, body) = s
        .upload(
            technician,
            "earthing",
            "demo/inspections-2023-10.csv",
            "&lang=vi",
        )
        .await;
    assert_eq!(body["problems"][0]["code"], "header.looks_like_inspections");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Không lưu gì: 1 lỗi")),
        "{body}"
    );

    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    let log = std::fs::read(fixture("demo/earthing-2023-10.csv")).expect("fixture");
    let html = page(
        tom.upload_in("vi", Some(&tom.csrf), "inspections", "e.csv", log)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        html.matches("<tr><td class=\"num line\">").count(),
        1,
        "{html}"
    );
    assert!(
        html.contains("tệp này có vẻ là sổ đo điện trở nối đất"),
        "{html}"
    );
}

/// The earthing tests page narrows the month by verdict and technician as the API does;
/// the count, the choice and the download keep the narrowing.
#[tokio::test(flavor = "multi_thread")]
async fn the_earthing_tests_page_narrows_the_month() {
    let s = Server::start().await;
    demo_month(&s, "earthing").await;
    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    let month = "period=2023-10&scheme=decree09";
    let reader = s.token('A', Role::Reader);
    let rows = |html: &str| html.matches("<a href=\"/records/earthing/").count();
    let all = page(
        tom.get(&format!("/records/earthing?{month}")).await,
        StatusCode::OK,
    )
    .await;
    for (value, label) in [("true", "Over the limit"), ("false", "Within the limit")] {
        let (_, api) = s
            .get(
                &format!("/api/v1/earthing-tests?{month}&limit=1000&over_limit={value}"),
                reader,
            )
            .await;
        let n = api["items"].as_array().expect("items").len();
        let html = page(
            tom.get(&format!("/records/earthing?{month}&over_limit={value}"))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(rows(&html), n, "{value}");
        assert!(html.contains(&format!("<strong>{n}</strong>")), "{html}");
        assert!(
            html.contains(&format!(
                "<option value=\"{value}\" selected>{label}</option>"
            )),
            "{html}"
        );
        let download = html
            .split("href=\"")
            .filter_map(|a| a.split('"').next())
            .find(|h| h.starts_with("/export/") && h.contains("format=csv"))
            .map(|h| h.replace("&#38;", "&").replace("&amp;", "&"))
            .expect("download");
        assert!(
            download.contains(&format!("over_limit={value}")),
            "{download}"
        );
        let csv = tom.get(&download).await.text().await.expect("csv");
        assert_eq!(csv.lines().filter(|l| !l.trim().is_empty()).count(), 1 + n);
    }
    let (_, over) = s
        .get(
            &format!("/api/v1/earthing-tests?{month}&over_limit=true"),
            reader,
        )
        .await;
    let over = over["items"].as_array().expect("items").len();
    assert!(over > 0 && over < rows(&all), "{over}");
    // One technician's tests.
    let (_, api) = s
        .get(&format!("/api/v1/earthing-tests?{month}&limit=1"), reader)
        .await;
    let who = api["items"][0]["technician"]
        .as_str()
        .expect("technician")
        .to_owned();
    let (_, theirs) = s
        .get(
            &format!("/api/v1/earthing-tests?{month}&limit=1000&technician={who}"),
            reader,
        )
        .await;
    let html = page(
        tom.get(&format!("/records/earthing?{month}&technician={who}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        rows(&html),
        theirs["items"].as_array().expect("items").len()
    );
}

/// The categories page's refusals read in the page's language.
#[tokio::test(flavor = "multi_thread")]
async fn the_categories_refusals_read_in_vietnamese() {
    let s = Server::start().await;
    s.web_user("ada", Role::Admin).await;
    let ada = s.sign_in("ada").await;
    let post = |path: &'static str, pairs: Vec<(&'static str, String)>| {
        let ada = &ada;
        async move {
            let mut all = vec![("csrf", ada.csrf.clone())];
            all.extend(pairs);
            let borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ada.post(&format!("{path}?lang=vi"), &borrowed).await
        }
    };
    let html = page(
        post(
            "/categories",
            vec![
                ("code", "AKE".into()),
                ("name_vi", " ".into()),
                ("name_en", "Clamp".into()),
            ],
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        refusal(&html),
        Some("Tên tiếng Việt: cần từ 1 đến 200 ký tự."),
        "{html}"
    );
    let cycle = |months: &str| {
        vec![
            ("code", "DHN".to_owned()),
            ("from", "2030-01-01".to_owned()),
            ("months", months.to_owned()),
        ]
    };
    let html = page(
        post("/categories/cycles", cycle("0")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        refusal(&html),
        Some("Chu kỳ dài từ 1 đến 240 tháng."),
        "{html}"
    );
    let r = post("/categories/cycles", cycle("60")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(
        post("/categories/cycles", cycle("60")).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refusal(&html)
            .is_some_and(|a| a.starts_with("DHN đã có chu kỳ áp dụng từ ngày 01/01/2030")),
        "{html}"
    );
    let html = page(
        post(
            "/categories/cycles",
            vec![
                ("code", "NOPE".into()),
                ("from", "2030-01-01".into()),
                ("months", "12".into()),
            ],
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        refusal(&html),
        Some("Không có loại NOPE trong phòng thí nghiệm này."),
        "{html}"
    );
}
