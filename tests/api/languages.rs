//! Every problem the server answers reads in the language asked (`?lang=`, else
//! `Accept-Language`, else English), whoever produces it: the authentication, the guard
//! (405, 414), the fallback (404), an extractor (400), the sign-in throttle (429), the
//! store (404). The error pages follow `Accept-Language` too, for a visitor who has not
//! chosen a language; and a malformed id on a page is the 404 page.

use super::web::page;
use super::*;

/// The answer to `request` sent in `lang` (`None`: nothing asked), as (status, type,
/// title, detail, the whole document).
async fn problem(request: reqwest::RequestBuilder, lang: Option<&str>) -> (StatusCode, Value) {
    let request = match lang {
        Some(lang) => request.header("accept-language", lang),
        None => request,
    };
    let r = request.send().await.expect("request");
    let status = r.status();
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    (status, r.json().await.expect("problem+json"))
}

fn texts(body: &Value) -> (&str, &str) {
    (
        body["title"].as_str().unwrap_or_default(),
        body["detail"].as_str().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn problems_read_in_the_language_asked() {
    let s = Server::start().await;
    let reader = s.token('A', Role::Reader);
    let vi_browser = "vi-VN,vi;q=0.9,en;q=0.8";

    // 401: no token. Vietnamese by Accept-Language or ?lang=vi; English by default and
    // when English is preferred; `?lang=` wins over the header.
    for (path, lang, title, detail) in [
        (
            "/api/v1/imports",
            Some(vi_browser),
            "Cần đăng nhập",
            "Hãy gửi một mã truy cập API hợp lệ dạng `Authorization: Bearer …` (hoặc tên \
             đăng nhập và mật khẩu theo HTTP Basic).",
        ),
        (
            "/api/v1/imports?lang=vi",
            None,
            "Cần đăng nhập",
            "Hãy gửi một mã truy cập API hợp lệ dạng `Authorization: Bearer …` (hoặc tên \
             đăng nhập và mật khẩu theo HTTP Basic).",
        ),
        (
            "/api/v1/imports",
            None,
            "Authentication required",
            "Send a valid API token as `Authorization: Bearer …` (or a username and \
             password as HTTP Basic).",
        ),
        (
            "/api/v1/imports",
            Some("en-US,en;q=0.9,vi;q=0.5"),
            "Authentication required",
            "Send a valid API token as `Authorization: Bearer …` (or a username and \
             password as HTTP Basic).",
        ),
        (
            "/api/v1/imports?lang=en",
            Some("vi"),
            "Authentication required",
            "Send a valid API token as `Authorization: Bearer …` (or a username and \
             password as HTTP Basic).",
        ),
    ] {
        let r = s.req(Method::GET, path, None);
        let (status, body) = problem(r, lang).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["type"], "https://metrotrack.dev/problems/unauthorized");
        assert_eq!(texts(&body), (title, detail), "{path} {lang:?}");
    }

    // 404 from the fallback, and from the store (a batch that is not there).
    let (status, body) = problem(
        s.req(Method::GET, "/api/v1/nothing-here", Some(reader)),
        Some("vi"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["type"], "https://metrotrack.dev/problems/not-found");
    assert_eq!(
        texts(&body),
        (
            "Không tìm thấy",
            "Không có gì ở địa chỉ này; xem /api/v1/openapi.json để biết các địa chỉ của API."
        )
    );
    let (_, body) = problem(
        s.req(Method::GET, "/api/v1/imports/424242", Some(reader)),
        Some("vi"),
    )
    .await;
    assert_eq!(
        texts(&body),
        ("Không tìm thấy", "Không tìm thấy lô nhập số 424242.")
    );
    let (_, body) = problem(
        s.req(Method::GET, "/api/v1/imports/424242", Some(reader)),
        None,
    )
    .await;
    assert_eq!(
        texts(&body),
        ("Not found", "import batch 424242 was not found.")
    );

    // 405, rewritten by the guard: the Allow header stays.
    let r = s
        .req(Method::PATCH, "/api/v1/imports?lang=vi", Some(reader))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers().contains_key("allow"));
    let body: Value = r.json().await.expect("problem+json");
    assert_eq!(
        body["type"],
        "https://metrotrack.dev/problems/method-not-allowed"
    );
    assert_eq!(
        texts(&body),
        (
            "Phương thức không được phép",
            "Địa chỉ này không nhận phương thức HTTP này; tiêu đề Allow liệt kê các phương \
             thức được nhận."
        )
    );
    let (_, body) = problem(s.req(Method::PATCH, "/api/v1/imports", Some(reader)), None).await;
    assert_eq!(body["title"], "Method not allowed");

    // 400 from a path that is not an id, and from a period that does not parse.
    let (status, body) = problem(
        s.req(Method::GET, "/api/v1/inspections/abc", Some(reader)),
        Some("vi"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        texts(&body),
        (
            "Yêu cầu không đúng định dạng",
            "Đường dẫn không hợp lệ: \"abc\" không phải là một mã số (id) hợp lệ."
        )
    );
    let (_, body) = problem(
        s.req(
            Method::GET,
            "/api/v1/achievement?period=2023-13",
            Some(reader),
        ),
        Some("vi"),
    )
    .await;
    assert_eq!(
        body["detail"],
        "period: \"2023-13\" không phải là kỳ báo cáo. Hãy viết 2023-10 (tháng), 2023-Q4 \
         (quý), 2023-H2 (nửa năm) hoặc 2023 (năm)."
    );

    // 403: a reader may not set a plan.
    let (status, body) = problem(
        s.req(
            Method::PUT,
            "/api/v1/plans/2023-10/inspections",
            Some(reader),
        )
        .json(&json!({"target": 5})),
        Some("vi"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        texts(&body),
        (
            "Không được phép",
            "Việc này cần vai trò supervisor (hoặc cao hơn); tài khoản này có vai trò reader."
        )
    );

    // 414, answered by the guard before any route.
    let long = format!("/api/v1/imports?x={}", "a".repeat(10_000));
    let (status, body) = problem(s.req(Method::GET, &long, Some(reader)), Some("vi")).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert_eq!(body["title"], "Địa chỉ của yêu cầu quá dài");
}

/// The sign-in throttle's 429 reads in the language asked.
#[tokio::test(flavor = "multi_thread")]
async fn too_many_failed_sign_ins_read_in_the_language_asked() {
    let s = Server::start_with(ApiConfig {
        max_auth_failures: 1,
        ..ApiConfig::default()
    })
    .await;
    let wrong = || {
        s.req(Method::GET, "/api/v1/imports", None)
            .basic_auth("nobody", Some("wrong password"))
    };
    let (status, _) = problem(wrong(), Some("vi")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = problem(wrong(), Some("vi")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(
        body["type"],
        "https://metrotrack.dev/problems/too-many-requests"
    );
    let (title, detail) = texts(&body);
    assert_eq!(title, "Quá nhiều lần đăng nhập sai");
    assert!(
        detail.starts_with("Có quá nhiều lần đăng nhập sai từ địa chỉ này; xin thử lại sau ")
            && detail.ends_with(" giây."),
        "{detail}"
    );
    let (_, body) = problem(wrong(), None).await;
    assert_eq!(body["title"], "Too many failed attempts");
}

/// A malformed id on a page (`/imports/abc`) is the 404 page in a browser; the API's
/// keeps its 400 problem. Error pages follow `Accept-Language` for a visitor without
/// a language cookie, Vietnamese when it names neither language; the cookie wins.
#[tokio::test(flavor = "multi_thread")]
async fn malformed_ids_and_error_pages_in_the_browsers_language() {
    let s = Server::start().await;
    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    let browser = |path: &str| tom.browser(path);
    for path in [
        "/imports/abc?lang=vi",
        "/records/inspections/xyz?lang=vi",
        "/records/earthing/1x?lang=vi",
        "/instruments/abc?lang=vi",
    ] {
        let html = page(tom.http.send(browser(path)).await, StatusCode::NOT_FOUND).await;
        assert!(
            html.contains("<h1 id=\"error-title\">Không tìm thấy</h1>"),
            "{path}: {html}"
        );
        assert!(
            html.contains("Không có trang hoặc bản ghi này trong phòng thí nghiệm của bạn:"),
            "{html}"
        );
        let bare = path.split('?').next().unwrap_or_default();
        assert!(
            html.contains(&format!("<code id=\"error-path\">{bare}</code>")),
            "{html}"
        );
    }
    let (status, body) = problem(
        s.req(
            Method::GET,
            "/api/v1/imports/abc",
            Some(s.token('A', Role::Reader)),
        ),
        Some("vi"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // No cookie: the browser's language, Vietnamese when it names neither.
    let anonymous = |accept_language: &str| {
        s.http
            .get(format!("{}/no/such/page", s.base))
            .header("accept", "text/html")
            .header("accept-language", accept_language)
    };
    for (accept_language, lang, title, text) in [
        (
            "en-US,en;q=0.9",
            "en",
            "Not found",
            "There is no such page or record in your lab:",
        ),
        (
            "vi-VN,vi;q=0.9,en;q=0.5",
            "vi",
            "Không tìm thấy",
            "Không có trang hoặc bản ghi này trong phòng thí nghiệm của bạn:",
        ),
        (
            "fr-FR,de;q=0.5",
            "vi",
            "Không tìm thấy",
            "Không có trang hoặc bản ghi này trong phòng thí nghiệm của bạn:",
        ),
    ] {
        let r = anonymous(accept_language).send().await.expect("get");
        let html = page(r, StatusCode::NOT_FOUND).await;
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{html}");
        assert!(
            html.contains(&format!("<h1 id=\"error-title\">{title}</h1>")),
            "{html}"
        );
        assert!(html.contains(text), "{html}");
    }
    // The sign-in page too, for a visitor who has not chosen.
    let r = s
        .http
        .get(format!("{}/login", s.base))
        .header("accept-language", "en")
        .send()
        .await
        .expect("login");
    let html = page(r, StatusCode::OK).await;
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    // The language chosen last (the cookie, here `vi`) wins over the browser's.
    page(tom.get("/due?lang=vi").await, StatusCode::OK).await;
    let html = page(
        tom.http
            .send(browser("/no/such/page").header("accept-language", "en"))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(html.contains("<html lang=\"vi\">"), "{html}");
}

/// The store's refusals (a batch voided twice, a record of a voided batch) read in
/// the language asked too, the English kept for English readers.
#[tokio::test(flavor = "multi_thread")]
async fn the_stores_refusals_read_in_the_language_asked() {
    let s = Server::start().await;
    let sup = s.token('A', Role::Supervisor);
    let (status, batch) = s
        .upload(sup, "earthing", "demo/earthing-2023-10.csv", "")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let id = batch["id"].as_i64().expect("id");
    let void = || {
        s.req(
            Method::POST,
            &format!("/api/v1/imports/{id}/void"),
            Some(sup),
        )
        .json(&json!({"reason": "wrong file"}))
    };
    let (status, _) = send(void()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = problem(void(), Some("vi")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (title, detail) = texts(&body);
    assert_eq!(title, "Có giá trị không hợp lệ trong yêu cầu");
    assert!(
        detail.starts_with(&format!("Lô nhập số {id} đã bị hủy lúc ")),
        "{detail}"
    );
    let (_, body) = problem(void(), None).await;
    assert!(
        texts(&body)
            .1
            .starts_with(&format!("import batch {id} was already voided at ")),
        "{body}"
    );
}
