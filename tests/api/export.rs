//! Exports over HTTP: October's records as CSV and XLSX import into a fresh database as
//! the same figures and into the original as duplicates; formula texts are never live;
//! every row is exported, past one page of the store; the report and the other lists.

use std::io::Read;

use calamine::{Data, Reader, Xlsx};

use super::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A download: status, media type, `Content-Disposition` and body.
async fn download<S: Store>(
    s: &Server<S>,
    path: &str,
    token: &str,
) -> (StatusCode, String, String, Vec<u8>) {
    let response = s
        .req(Method::GET, path, Some(token))
        .send()
        .await
        .expect("download");
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (media, disposition) = (header("content-type"), header("content-disposition"));
    let body = response.bytes().await.expect("body").to_vec();
    (status, media, disposition, body)
}

/// Uploads a file's bytes as a log of `kind`.
async fn upload_bytes<S: Store>(
    s: &Server<S>,
    token: &str,
    kind: &str,
    media: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    send(
        s.req(
            Method::POST,
            &format!("/api/v1/imports?kind={kind}"),
            Some(token),
        )
        .header("content-type", media)
        .body(body),
    )
    .await
}

/// The CSV's records (BOM off, `;`), header first.
fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a BOM first");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(b';')
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect()
}

/// The first sheet's cells.
fn xlsx_rows(body: &[u8]) -> Vec<Vec<Data>> {
    let mut book = Xlsx::new(std::io::Cursor::new(body.to_vec())).expect("a workbook");
    let range = book
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The first sheet's XML, as the workbook stores it.
fn sheet_xml(body: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body.to_vec())).expect("a zip");
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .expect("sheet1")
        .read_to_string(&mut xml)
        .expect("xml");
    xml
}

async fn october<S: Store>(s: &Server<S>) {
    let tech = s.token('A', Role::Technician);
    for (kind, file) in [
        ("inspections", "demo/inspections-2023-10.excel-vi.csv"),
        ("earthing", "demo/earthing-2023-10.excel-vi.csv"),
    ] {
        let (status, batch) = s.upload(tech, kind, file, "").await;
        assert_eq!(status, StatusCode::CREATED, "{batch}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn october_exports_and_imports_back_as_the_same_figures() {
    round_trip(&Server::start().await).await;
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread")]
async fn october_exports_and_imports_back_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    round_trip(&s).await;
}

async fn round_trip<S: Store>(s: &Server<S>) {
    october(s).await;
    let reader = s.token('A', Role::Reader);
    let tech = s.token('A', Role::Technician);
    let (_, figures) = s.get("/api/v1/achievement?period=2023-10", reader).await;
    assert_eq!(metric(&figures, "instruments_inspected")["actual"], 467);
    assert_eq!(metric(&figures, "inspections")["actual"], 497);
    assert_eq!(metric(&figures, "earthing_points_measured")["actual"], 13);

    // The inspections as CSV: the file Excel on Vietnamese Windows opens right.
    let (status, media, disposition, csv) =
        download(s, "/api/v1/inspections?period=2023-10&format=csv", reader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(media, "text/csv; charset=utf-8");
    assert_eq!(
        disposition,
        "attachment; filename=\"kiem-dinh-2023-10.csv\""
    );
    assert!(csv.starts_with("\u{feff}Ngày kiểm định;Mã PTĐ;Số sản xuất;".as_bytes()));
    let rows = csv_rows(&csv);
    // Every row of the month, not the first page of 50.
    assert_eq!(rows.len(), 1 + 497);
    let failed = rows
        .iter()
        .find(|r| r[2] == "3P-23001180")
        .expect("the failed meter");
    assert_eq!(
        failed[..11],
        [
            "15/09/2023",
            "CT3P",
            "3P-23001180",
            "Mk6N",
            "EDMI",
            "Điện lực Gio Linh",
            "Kiểm định",
            "Định kỳ",
            "ĐLVN 39:2012",
            "Không đạt",
            "2,5"
        ]
    );

    // And as a workbook: real dates and numbers, the header row, strings elsewhere.
    let (status, media, disposition, xlsx) =
        download(s, "/api/v1/inspections?period=2023-10&format=xlsx", reader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(media, XLSX);
    assert_eq!(
        disposition,
        "attachment; filename=\"kiem-dinh-2023-10.xlsx\""
    );
    let cells = xlsx_rows(&xlsx);
    assert_eq!(cells.len(), 1 + 497);
    assert_eq!(cells[0][0], Data::String("Ngày kiểm định".into()));
    let failed = cells
        .iter()
        .find(|r| r[2] == Data::String("3P-23001180".into()))
        .expect("the failed meter");
    assert!(matches!(failed[0], Data::DateTime(_)), "{:?}", failed[0]);
    assert_eq!(failed[10], Data::Float(2.5));
    assert!(
        sheet_xml(&xlsx).contains("<pane ySplit=\"1\""),
        "frozen header"
    );

    // The earthing tests, both ways.
    let (_, _, disposition, earthing_csv) = download(
        s,
        "/api/v1/earthing-tests?period=2023-10&format=csv",
        reader,
    )
    .await;
    assert_eq!(
        disposition,
        "attachment; filename=\"do-noi-dat-2023-10.csv\""
    );
    let rows = csv_rows(&earthing_csv);
    assert_eq!(
        rows[0][..6],
        [
            "Ngày đo",
            "Công trình",
            "Điểm đo",
            "Hệ thống",
            "Điện trở (Ω)",
            "Giới hạn (Ω)"
        ]
    );
    // The point's system, in the words the importer reads.
    assert!(rows.iter().any(|r| r[3] == "Chống sét"), "{rows:?}");
    assert!(rows.iter().any(|r| r[3] == "An toàn điện"), "{rows:?}");
    let tests = rows.len() - 1;
    assert!(
        rows.iter().any(|r| r[4].contains(',')),
        "decimal comma: {rows:?}"
    );
    let (_, _, _, earthing_xlsx) = download(
        s,
        "/api/v1/earthing-tests?period=2023-10&format=xlsx",
        reader,
    )
    .await;

    // Into a fresh database each: the same figures.
    for (media, inspections, earthing) in [
        ("text/csv", csv.clone(), earthing_csv.clone()),
        (XLSX, xlsx.clone(), earthing_xlsx.clone()),
    ] {
        let fresh = Server::start().await;
        let fresh_tech = fresh.token('A', Role::Technician);
        for (kind, body) in [("inspections", inspections), ("earthing", earthing)] {
            let (status, batch) = upload_bytes(&fresh, fresh_tech, kind, media, body).await;
            assert_eq!(status, StatusCode::CREATED, "{media} {kind}: {batch}");
            assert_eq!(batch["rejected"], 0, "{batch}");
            assert_eq!(batch["warnings"], json!([]), "{batch}");
        }
        let (_, again) = fresh
            .get(
                "/api/v1/achievement?period=2023-10",
                fresh.token('A', Role::Reader),
            )
            .await;
        assert_eq!(again["metrics"], figures["metrics"], "{media}");
    }

    // Into the original: duplicates, no conflicts, nothing added.
    for (media, kind, body, rows) in [
        ("text/csv", "inspections", csv, 497),
        (XLSX, "inspections", xlsx, 497),
        ("text/csv", "earthing", earthing_csv, tests),
        (XLSX, "earthing", earthing_xlsx, tests),
    ] {
        let (status, batch) = upload_bytes(s, tech, kind, media, body).await;
        assert_eq!(status, StatusCode::CREATED, "{media} {kind}: {batch}");
        assert_eq!(
            (&batch["inserted"], &batch["duplicates"], &batch["rejected"]),
            (&json!(0), &json!(rows), &json!(0)),
            "{media} {kind}: {batch}"
        );
    }
    let (_, after) = s.get("/api/v1/achievement?period=2023-10", reader).await;
    assert_eq!(after["metrics"], figures["metrics"]);

    // English headers and words on request.
    let (_, _, disposition, english) = download(
        s,
        "/api/v1/inspections?period=2023-10&format=csv&lang=en",
        reader,
    )
    .await;
    assert_eq!(
        disposition,
        "attachment; filename=\"inspections-2023-10.csv\""
    );
    let rows = csv_rows(&english);
    assert_eq!(rows[0][..3], ["date", "category", "serial_number"]);
    assert!(rows.iter().any(|r| r[9] == "fail"));
}

#[tokio::test(flavor = "multi_thread")]
async fn formula_texts_are_never_live() {
    let s = Server::start().await;
    let tech = s.token('A', Role::Technician);
    let reader = s.token('A', Role::Reader);
    let hyperlink = "=HYPERLINK(\"http://x\",\"y\")";
    let dde = "+84 cmd|' /C calc'!A0";
    let log = format!(
        "date,category,serial_number,model,owner,kind,result,technician,checked_by,notes\n\
         2023-10-02,DHN,A-1,,@SUM(1+1),verification,pass,Trần Thị Mai,\"{dde}\",\"{}\"\n\
         2023-10-03,DHN,A-2,-M1,'quoted,verification,pass,Trần Thị Mai,,- dấu gạch\n",
        hyperlink.replace('"', "\"\"")
    );
    let (status, batch) = upload_bytes(&s, tech, "inspections", "text/csv", log.into_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["inserted"], 2, "{batch}");

    // CSV: each such text has an apostrophe before it, so Excel shows it as text.
    let (_, _, _, csv) = download(&s, "/api/v1/inspections?format=csv", reader).await;
    let rows = csv_rows(&csv);
    let first = rows.iter().find(|r| r[2] == "A-1").expect("row A-1");
    assert_eq!(first[5], "'@SUM(1+1)");
    assert_eq!(first[15], format!("'{dde}"));
    assert_eq!(first[16], format!("'{hyperlink}"));
    let second = rows.iter().find(|r| r[2] == "A-2").expect("row A-2");
    assert_eq!(second[3], "'-M1");
    assert_eq!(second[5], "''quoted");
    assert_eq!(second[16], "'- dấu gạch");
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a live cell: {cell:?}"
            );
        }
    }

    // XLSX: string cells holding the texts as they are, and no formula anywhere.
    let (_, _, _, xlsx) = download(&s, "/api/v1/inspections?format=xlsx", reader).await;
    let cells = xlsx_rows(&xlsx);
    let first = cells
        .iter()
        .find(|r| r[2] == Data::String("A-1".into()))
        .expect("row A-1");
    assert_eq!(first[5], Data::String("@SUM(1+1)".into()));
    assert_eq!(first[15], Data::String(dde.into()));
    assert_eq!(first[16], Data::String(hyperlink.into()));
    let xml = sheet_xml(&xlsx);
    assert!(!xml.contains("<f>") && !xml.contains("<f "), "{xml}");

    // Both import back to the same records: duplicates, not conflicts.
    for (media, body) in [("text/csv", csv), (XLSX, xlsx)] {
        let (status, batch) = upload_bytes(&s, tech, "inspections", media, body).await;
        assert_eq!(status, StatusCode::CREATED, "{media}: {batch}");
        assert_eq!(
            (&batch["inserted"], &batch["duplicates"]),
            (&json!(0), &json!(2)),
            "{media}: {batch}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_row_is_exported_past_a_page_of_the_store() {
    let s = Server::start().await;
    let tech = s.token('A', Role::Technician);
    let reader = s.token('A', Role::Reader);
    // 2,345 points, a test each: more than two pages of the store's 1,000 rows.
    let mut log = String::from("date,site,point,resistance_ohm,technician\n");
    for i in 0..2345 {
        log.push_str(&format!(
            "2023-10-01,Trạm {i},P{i},{}.{:02},Đỗ Đức Anh\n",
            i % 9,
            i % 100
        ));
    }
    let (status, batch) = upload_bytes(&s, tech, "earthing", "text/csv", log.into_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let (_, _, _, csv) = download(&s, "/api/v1/earthing-tests?format=csv", reader).await;
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 1 + 2345);
    let points: std::collections::HashSet<&str> =
        rows.iter().skip(1).map(|r| r[2].as_str()).collect();
    assert_eq!(points.len(), 2345);
    let (_, _, _, xlsx) = download(&s, "/api/v1/earthing-tests?format=xlsx", reader).await;
    assert_eq!(xlsx_rows(&xlsx).len(), 1 + 2345);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_and_the_other_lists_download() {
    let s = Server::start().await;
    october(&s).await;
    let reader = s.token('A', Role::Reader);
    let supervisor = s.token('A', Role::Supervisor);
    assert_eq!(
        s.set_plan(supervisor, "2023-10", "instruments_inspected", 402)
            .await,
        StatusCode::OK
    );

    // The report: one row per figure.
    let (status, _, disposition, csv) =
        download(&s, "/api/v1/reports/2023-10?format=csv", reader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disposition, "attachment; filename=\"bao-cao-2023-10.csv\"");
    let rows = csv_rows(&csv);
    assert_eq!(rows[0][0], "Kỳ báo cáo");
    let instruments = rows
        .iter()
        .find(|r| r[3] == "Số PTĐ được kiểm định, hiệu chuẩn" && r[4].is_empty())
        .expect("instruments row");
    assert_eq!(
        instruments[..],
        [
            "2023-10",
            "15/09/2023",
            "14/10/2023",
            "Số PTĐ được kiểm định, hiệu chuẩn",
            "",
            "467",
            "402",
            "116",
            "Đạt kế hoạch"
        ]
    );
    let (status, media, _, xlsx) =
        download(&s, "/api/v1/reports/2023-10?format=xlsx&lang=en", reader).await;
    assert_eq!((status, media.as_str()), (StatusCode::OK, XLSX));
    let cells = xlsx_rows(&xlsx);
    assert_eq!(cells[0][0], Data::String("period".into()));
    assert!(cells.iter().any(
        |r| r[3] == Data::String("instruments_inspected".into()) && r[5] == Data::Float(467.0)
    ));
    let (status, problem) = s.get("/api/v1/reports/2023-10?format=pdf", reader).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");

    // Instruments, the due list and a batch's problems.
    let (_, _, disposition, instruments) =
        download(&s, "/api/v1/instruments?format=csv", reader).await;
    assert_eq!(disposition, "attachment; filename=\"phuong-tien-do.csv\"");
    let (_, list) = s.get("/api/v1/instruments?limit=1000", reader).await;
    let count = list["items"].as_array().map_or(0, Vec::len);
    assert_eq!(csv_rows(&instruments).len(), 1 + count);

    let (_, due) = s
        .get("/api/v1/due?as_of=2024-10-01&within=60&limit=1000", reader)
        .await;
    let (_, _, disposition, due_csv) = download(
        &s,
        "/api/v1/due?as_of=2024-10-01&within=60&format=csv",
        reader,
    )
    .await;
    assert_eq!(
        disposition,
        "attachment; filename=\"den-han-2024-10-01.csv\""
    );
    assert_eq!(
        csv_rows(&due_csv).len(),
        1 + due["items"].as_array().map_or(0, Vec::len)
    );

    let tech = s.token('A', Role::Technician);
    let (_, refused) = s
        .upload(
            tech,
            "inspections",
            "bad/impossible-date.csv",
            "&mode=partial",
        )
        .await;
    let id = refused["id"].as_i64().expect("a stored partial batch");
    let (_, _, disposition, problems) =
        download(&s, &format!("/api/v1/imports/{id}?format=csv"), reader).await;
    assert_eq!(
        disposition,
        format!("attachment; filename=\"loi-{id}.csv\"")
    );
    let rows = csv_rows(&problems);
    assert!(
        rows.iter().any(|r| r[0] == "Lỗi" && r[1] == "3"),
        "{rows:?}"
    );

    // A format the API does not write: 400.
    let (status, problem) = s.get("/api/v1/inspections?format=pdf", reader).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

/// The `href`s of a page's download links (`&` unescaped).
fn downloads(html: &str) -> Vec<String> {
    let Some(part) = html.split("class=\"downloads\"").nth(1) else {
        return Vec::new();
    };
    let part = part.split("</p>").next().unwrap_or_default();
    part.split("href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
        .map(|h| h.replace("&#38;", "&").replace("&amp;", "&"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_download_buttons_keep_the_page_filters() {
    use super::web::page;
    let s = Server::start().await;
    october(&s).await;
    s.web_user("rita", Role::Reader).await;
    let rita = s.sign_in("rita").await;

    // The records of one category: both links, and the CSV holds that category's rows only,
    // all of them, in the page's language (English, as rita signed in).
    let html = page(
        rita.get("/records/inspections?period=2023-10&scheme=decree09&category=CT3P")
            .await,
        StatusCode::OK,
    )
    .await;
    let links = downloads(&html);
    assert_eq!(
        links,
        [
            "/export/records/inspections?period=2023-10&scheme=decree09&category=CT3P&format=csv",
            "/export/records/inspections?period=2023-10&scheme=decree09&category=CT3P&format=xlsx",
        ]
    );
    let (status, api) = s
        .get(
            "/api/v1/inspections?period=2023-10&category=CT3P&limit=1000",
            s.token('A', Role::Reader),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let r = rita.get(&links[0]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"inspections-2023-10.csv\""
    );
    let rows = csv_rows(&r.bytes().await.expect("body"));
    assert_eq!(rows[0][0], "date");
    assert_eq!(rows.len(), 1 + api["items"].as_array().map_or(0, Vec::len));
    assert!(rows.iter().skip(1).all(|r| r[1] == "CT3P"), "{rows:?}");
    let r = rita.get(&format!("{}&lang=vi", links[1])).await;
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"kiem-dinh-2023-10.xlsx\""
    );
    let cells = xlsx_rows(&r.bytes().await.expect("body"));
    assert_eq!(cells[0][0], Data::String("Ngày kiểm định".into()));

    // The earthing records, the due list, a batch, the dashboard's report (in
    // Vietnamese now: `lang=vi` is remembered, as on every page).
    for (path, first) in [
        (
            "/records/earthing?period=2023-10&scheme=decree09",
            "Ngày đo",
        ),
        ("/due?within=60&as_of=2024-10-01", "Mã PTĐ"),
        ("/imports/1", "Mức"),
        ("/?period=2023-10&scheme=decree09", "Kỳ báo cáo"),
    ] {
        let html = page(rita.get(path).await, StatusCode::OK).await;
        let links = downloads(&html);
        assert_eq!(links.len(), 2, "{path}: {html}");
        let r = rita.get(&links[0]).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let rows = csv_rows(&r.bytes().await.expect("body"));
        assert_eq!(rows[0][0], first, "{path}");
        let r = rita.get(&links[1]).await;
        assert!(
            r.bytes().await.expect("body").starts_with(b"PK\x03\x04"),
            "{path}: a workbook"
        );
    }
    let html = page(
        rita.get("/?period=2023-10&scheme=decree09").await,
        StatusCode::OK,
    )
    .await;
    assert!(downloads(&html)[0].contains("/export/report?period=2023-10&scheme=decree09"));

    // The due list says how many days an instrument is overdue ("Quá hạn 54 ngày"), not
    // a negative count.
    let (_, due) = s
        .get(
            "/api/v1/due?as_of=2025-06-01&within=0&limit=1",
            s.token('A', Role::Reader),
        )
        .await;
    let days = due["items"][0]["days_left"]
        .as_i64()
        .expect("an overdue instrument");
    assert!(days < 0, "{due}");
    let html = page(
        rita.get("/due?within=0&as_of=2025-06-01").await,
        StatusCode::OK,
    )
    .await;
    assert!(
        html.contains(&format!("<td class=\"num\">Quá hạn {} ngày</td>", -days)),
        "{html}"
    );
    assert!(!html.contains(&format!("({days})")), "{html}");
}

/// A file download writes every matching row before (a workbook) or while (a CSV) it is
/// sent: it gets the upload's long limit, not the plain request's. With a 1 ms request
/// timeout, a JSON page of October's inspections times out while its exports and the
/// report document download whole.
#[tokio::test(flavor = "multi_thread")]
async fn downloads_get_the_long_timeout() {
    let s = Server::start_with(ApiConfig {
        request_timeout: std::time::Duration::from_millis(1),
        ..ApiConfig::default()
    })
    .await;
    october(&s).await;
    let reader = s.token('A', Role::Reader);
    let (status, page) = send(s.req(
        Method::GET,
        "/api/v1/inspections?period=2023-10&limit=1000",
        Some(reader),
    ))
    .await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{page}");
    let (status, _, _, xlsx) =
        download(&s, "/api/v1/inspections?period=2023-10&format=xlsx", reader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(xlsx_rows(&xlsx).len(), 1 + 497);
    let (status, _, _, csv) =
        download(&s, "/api/v1/inspections?period=2023-10&format=CSV", reader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv_rows(&csv).len(), 1 + 497);
    let (status, media, _, _) = download(&s, "/api/v1/reports/2023-10?format=docx", reader).await;
    assert_eq!(status, StatusCode::OK, "{media}");
}
