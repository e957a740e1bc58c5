//! The acceptance path: upload, figures, plans, due list and void over HTTP, on SQLite and
//! PostgreSQL.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_acceptance_path() {
    acceptance_path(&Server::start().await).await;
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread")]
async fn the_acceptance_path_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    acceptance_path(&s).await;
}

/// A technician uploads the October logs (201, again 200, an impossible date 422 and
/// nothing stored), a supervisor sets the plans, a reader reads 467 / 116 % and
/// 13 / 130 %; lab B sees nothing of it.
async fn acceptance_path<S: Store>(s: &Server<S>) {
    let tech = s.token('A', Role::Technician);
    let reader = s.token('A', Role::Reader);
    let supervisor = s.token('A', Role::Supervisor);

    // No token: 401, problem+json.
    let (status, body) = send(s.req(Method::GET, "/api/v1/imports", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["type"], "https://metrotrack.dev/problems/unauthorized");

    // A reader may not upload. (A small file: a refused upload is answered before its
    // body is read, and a client still writing a large body sees the connection close.)
    let (status, _) = s.upload(reader, "inspections", "edge/twice.csv", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The Excel-shaped log: 201, then the same file again: 200, same batch, nothing new.
    let (status, first) = s
        .upload(
            tech,
            "inspections",
            "demo/inspections-2023-10.excel-vi.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["inserted"], 507, "{first}");
    let (status, again) = s
        .upload(
            tech,
            "inspections",
            "demo/inspections-2023-10.excel-vi.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["outcome"], "already_imported");

    // The earthing log as a multipart form.
    let bytes = std::fs::read(fixture("demo/earthing-2023-10.excel-vi.csv")).expect("fixture");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("earthing-2023-10.excel-vi.csv"),
    );
    let (status, earthing) = send(
        s.req(Method::POST, "/api/v1/imports?kind=earthing", Some(tech))
            .multipart(form),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{earthing}");
    assert_eq!(earthing["file_name"], "earthing-2023-10.excel-vi.csv");

    // One impossible date: 422 with line 3, nothing stored.
    let (status, refused) = s
        .upload(tech, "inspections", "bad/impossible-date.csv", "")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused["type"],
        "https://metrotrack.dev/problems/import-refused"
    );
    let problems = refused["problems"].as_array().expect("problems");
    assert!(problems.iter().any(|p| p["line"] == 3), "{refused}");
    assert!(refused["batch"]["id"].is_null());
    let (_, list) = s.get("/api/v1/imports", reader).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");

    // Plans: a technician may not, a supervisor may.
    assert_eq!(
        s.set_plan(tech, "2023-10", "instruments_inspected", 402)
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.set_plan(supervisor, "2023-10", "instruments_inspected", 402)
            .await,
        StatusCode::OK
    );
    assert_eq!(
        s.set_plan(supervisor, "2023-10", "earthing_points_measured", 10)
            .await,
        StatusCode::OK
    );

    // A reader reads the month's figures: 467 / 116 %, 13 / 130 %.
    let (status, a) = s.get("/api/v1/achievement?period=2023-10", reader).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(
        a["period"],
        json!({"label": "2023-10", "scheme": "decree09", "start": "2023-09-15", "end": "2023-10-14"})
    );
    assert_eq!(
        metric(&a, "instruments_inspected"),
        &json!({"metric": "instruments_inspected", "category": null, "actual": 467,
                "target": 402, "ratio": 1.1617, "percent": 116, "status": "achieved"})
    );
    let points = metric(&a, "earthing_points_measured");
    assert_eq!(
        (points["actual"].as_u64(), points["percent"].as_u64()),
        (Some(13), Some(130))
    );

    // The report text, and the year.
    let response = s
        .req(
            Method::GET,
            "/api/v1/reports/2023-10?format=text&lang=vi",
            Some(reader),
        )
        .send()
        .await
        .expect("report");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain")
    );
    let text = response.text().await.expect("text");
    assert!(
        text.contains("kiểm định được 467 PTĐ các loại (Đạt 116%"),
        "{text}"
    );
    let (status, year) = s
        .get("/api/v1/achievement?year=2023&as_of=2023-12-31", reader)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(year["months"].as_array().map(Vec::len), Some(12));

    // Lab B sees none of it; naming lab A is refused; a national account may read it.
    let b_reader = s.token('B', Role::Reader);
    let (_, b_list) = s.get("/api/v1/imports", b_reader).await;
    assert_eq!(b_list["items"], json!([]));
    let (_, b_instruments) = s.get("/api/v1/instruments", b_reader).await;
    assert_eq!(b_instruments["items"], json!([]));
    let id = first["id"].as_i64().expect("id");
    let (status, _) = s.get(&format!("/api/v1/imports/{id}"), b_reader).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get("/api/v1/imports?lab=default", b_reader).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, b_a) = s.get("/api/v1/achievement?period=2023-10", b_reader).await;
    assert_eq!(metric(&b_a, "instruments_inspected")["actual"], 0);
    let national = s.token('B', Role::National);
    let (status, n) = s
        .get("/api/v1/achievement?period=2023-10&lab=default", national)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(metric(&n, "instruments_inspected")["actual"], 467);

    // Records and their evidence.
    let (_, inspections) = s
        .get(
            "/api/v1/inspections?period=2023-10&kind=verification&result=fail&limit=5",
            reader,
        )
        .await;
    let item = &inspections["items"][0];
    assert_eq!(item["result"], "fail");
    // The observations as the log wrote them, under its own headers.
    assert_eq!(item["original"]["Kết quả"], "Không đạt", "{item}");
    assert_eq!(item["batch_id"], first["id"]);
    assert!(item["source_line"].as_i64().is_some());
    let (status, one) = s
        .get(
            &format!("/api/v1/instruments/{}", item["instrument_id"]),
            reader,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!one["inspections"].as_array().expect("history").is_empty());
    let (_, over) = s
        .get("/api/v1/earthing-points?over_limit=true", reader)
        .await;
    assert_eq!(over["items"].as_array().map(Vec::len), Some(1), "{over}");
    let (status, point) = s
        .get(
            &format!("/api/v1/earthing-points/{}", over["items"][0]["id"]),
            reader,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // CS-03 at Cửa Việt has one test (12.40 Ω over 10): nothing earlier to rise over.
    assert_eq!(point["tests"][0]["rose"], false, "{point}");
    assert_eq!(point["tests"].as_array().map(Vec::len), Some(1), "{point}");
    let (_, due) = s
        .get("/api/v1/due?within=30&as_of=2024-10-01", reader)
        .await;
    // The fixture fixes the list: 98 instruments due by 2024-10-31 (52 already overdue),
    // soonest first, the first 50 on this page.
    let items = due["items"].as_array().expect("due items");
    assert_eq!(items.len(), 50, "{due}");
    assert_eq!(items[0]["serial_number"], "NH 201363", "{due}");
    assert_eq!(items[0]["valid_until"], "2024-08-08", "{due}");
    assert_eq!(items[0]["days_left"], -54, "{due}");
    assert_eq!(items[0]["overdue"], true, "{due}");
    // A page at a time: two pages of 2 are the first 4 entries, in order.
    let (_, page1) = s
        .get("/api/v1/due?within=30&as_of=2024-10-01&limit=2", reader)
        .await;
    let cursor = page1["next_cursor"].as_str().expect("a next page");
    let (_, page2) = s
        .get(
            &format!("/api/v1/due?within=30&as_of=2024-10-01&limit=2&cursor={cursor}"),
            reader,
        )
        .await;
    let ids = |v: &Value| -> Vec<Value> {
        v["items"]
            .as_array()
            .map(|i| i.iter().map(|e| e["instrument_id"].clone()).collect())
            .unwrap_or_default()
    };
    let paged: Vec<Value> = ids(&page1).into_iter().chain(ids(&page2)).collect();
    assert_eq!(paged, ids(&due)[..4].to_vec(), "{page1} {page2}");
    let (status, _) = s.get("/api/v1/due?cursor=bm9wZQ", reader).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Every write is in the audit log.
    let (_, audit) = s.get("/api/v1/audit?limit=100", supervisor).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"plan.set"), "{actions:?}");
    assert!(actions.contains(&"token.create"), "{actions:?}");
}

/// The same refused upload answers its problems in Vietnamese or English, as
/// `Accept-Language` or `?lang=` asks (English when nothing asks), each with its code.
#[tokio::test]
async fn a_refused_upload_answers_in_the_language_asked() {
    let s = Server::start().await;
    let tech = s.token('A', Role::Technician);
    let body = std::fs::read(fixture("bad/impossible-date.csv")).expect("fixture");
    let refused = |query: &'static str, accept: Option<&'static str>| {
        let mut r = s
            .req(
                Method::POST,
                &format!("/api/v1/imports?kind=inspections{query}"),
                Some(tech),
            )
            .header("content-type", "text/csv")
            .body(body.clone());
        if let Some(a) = accept {
            r = r.header("accept-language", a);
        }
        send(r)
    };
    let problem = |doc: &Value| {
        let problems = doc["problems"].as_array().expect("problems");
        let p = problems
            .iter()
            .find(|p| p["line"] == 3)
            .unwrap_or_else(|| panic!("{doc}"))
            .clone();
        let warning = doc["warnings"][0].clone();
        (p, warning)
    };

    let (status, vi) = refused("", Some("vi-VN,vi;q=0.9,en;q=0.8")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (p, w) = problem(&vi);
    assert_eq!(p["code"], "date.impossible");
    assert_eq!(p["args"]["written"], "31/02/2023");
    assert_eq!(
        p["message"],
        "31/02/2023 không phải là ngày hợp lệ: tháng 2/2023 chỉ có 28 ngày; ngày được đọc theo thứ tự ngày/tháng/năm (dd/mm/yyyy)"
    );
    assert_eq!(w["code"], "row_number_column.ignored");
    assert_eq!(w["message"], "cột số thứ tự được bỏ qua");
    // The batch inside the refusal speaks the same language.
    assert_eq!(vi["batch"]["problems"], vi["problems"]);

    let (_, en) = refused("", Some("en-GB,en;q=0.9,vi;q=0.5")).await;
    let (p, w) = problem(&en);
    assert_eq!(p["code"], "date.impossible");
    assert_eq!(
        p["message"],
        "31/02/2023 is not a date: February 2023 has 28 days; dates are read day-first (dd/mm/yyyy)"
    );
    assert_eq!(w["message"], "row-number column ignored");

    // Nothing asked: English. `?lang=` wins over the header.
    let (_, none) = refused("", None).await;
    assert_eq!(problem(&none).0["message"], p["message"]);
    let (_, asked) = refused("&lang=vi", Some("en")).await;
    assert_eq!(problem(&asked).0, problem(&vi).0);
    let (status, bad) = refused("&lang=fr", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
}
