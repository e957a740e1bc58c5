//! A workbook uploaded over HTTP: by its media type, as a multipart file named `.xlsx`,
//! `.xls` or `.ods`, a sheet chosen with `sheet=`, text named as a workbook refused, and
//! an `.ods` declaring a million rows refused in the caller's language.

use super::xlsx::{VI_INSPECTION_DATES, VI_INSPECTION_NUMBERS, workbook_of};
use super::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[tokio::test(flavor = "multi_thread")]
async fn a_workbook_uploads_as_the_records_of_its_csv() {
    let s = Server::start().await;
    let tech = s.token('A', Role::Technician).to_owned();
    let text =
        std::fs::read_to_string(fixture("demo/inspections-2023-10.excel-vi.csv")).expect("fixture");
    let xlsx = workbook_of(&text, &VI_INSPECTION_DATES, &VI_INSPECTION_NUMBERS);

    // A sheet the workbook does not have: 422, naming the sheets it has.
    let (status, refused) = send(
        s.req(
            Method::POST,
            "/api/v1/imports?kind=inspections&sheet=Th%C3%A1ng%2011",
            Some(&tech),
        )
        .header("content-type", XLSX)
        .body(xlsx.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.to_string().contains(
            "the workbook has no sheet named \\\"Tháng 11\\\"; its sheets: \\\"Tháng 10\\\""
        ),
        "{refused}"
    );

    // By its media type, the sheet named.
    let (status, batch) = send(
        s.req(
            Method::POST,
            "/api/v1/imports?kind=inspections&sheet=Th%C3%A1ng%2010&file_name=thang-10.xlsx",
            Some(&tech),
        )
        .header("content-type", XLSX)
        .body(xlsx.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["rows"], 507, "{batch}");
    assert_eq!(batch["inserted"], 507, "{batch}");
    assert_eq!(batch["rejected"], 0, "{batch}");
    assert_eq!(batch["size_bytes"], xlsx.len());
    let (_, achievement) = s.get("/api/v1/achievement?period=2023-10", &tech).await;
    assert_eq!(metric(&achievement, "inspections")["actual"], 497);

    // The same workbook as a multipart file: the same batch.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(xlsx).file_name("Nhật ký tháng 10.xlsx"),
    );
    let (status, again) = send(
        s.req(
            Method::POST,
            "/api/v1/imports?kind=inspections",
            Some(&tech),
        )
        .multipart(form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["outcome"], "already_imported", "{again}");
    assert_eq!(again["id"], batch["id"]);

    // The CSV it was saved from: duplicates, not conflicts.
    let (status, csv) = s
        .upload(
            &tech,
            "inspections",
            "demo/inspections-2023-10.excel-vi.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{csv}");
    assert_eq!(csv["inserted"], 0, "{csv}");
    assert_eq!(csv["duplicates"], 507, "{csv}");

    // Text under a workbook's name is refused, saying so.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(text.into_bytes()).file_name("log.xlsx"),
    );
    let (status, refused) = send(
        s.req(
            Method::POST,
            "/api/v1/imports?kind=inspections",
            Some(&tech),
        )
        .multipart(form),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("this file is named as a workbook (.xlsx, .xls, .ods) but is not one"),
        "{refused}"
    );
}

/// The upload page offers workbooks in its file picker and stores one sent through it
/// (the browser's form sends it with the name it has).
#[tokio::test(flavor = "multi_thread")]
async fn the_upload_page_takes_a_workbook() {
    use super::web::page;
    let s = Server::start().await;
    s.web_user("tom", Role::Technician).await;
    let tom = s.sign_in("tom").await;
    let html = page(tom.get("/upload").await, StatusCode::OK).await;
    assert!(
        html.contains("accept=\".csv,.txt,.xlsx,.xls,.ods,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel,application/vnd.oasis.opendocument.spreadsheet\""),
        "{html}"
    );
    let text =
        std::fs::read_to_string(fixture("demo/inspections-2023-10.excel-vi.csv")).expect("fixture");
    let xlsx = workbook_of(&text, &VI_INSPECTION_DATES, &VI_INSPECTION_NUMBERS);
    let r = tom
        .upload(Some(&tom.csrf), "inspections", "thang-10.xlsx", xlsx)
        .await;
    let html = page(r, StatusCode::OK).await;
    assert!(html.contains("Stored as a new import batch."), "{html}");
    let batches = s.batches().await;
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["file_name"], "thang-10.xlsx");
    assert_eq!(batches[0]["rows"], 507, "{}", batches[0]);
    assert_eq!(batches[0]["inserted"], 507, "{}", batches[0]);
}

/// `.xls` and `.ods` (LibreOffice's, the first 40 rows of October's log) by media type and
/// as multipart files, after the CSV: duplicates, not conflicts; an `.ods` bomb refused.
#[tokio::test(flavor = "multi_thread")]
async fn xls_and_ods_upload_as_the_records_of_the_csv() {
    let s = Server::start().await;
    let tech = s.token('A', Role::Technician).to_owned();
    let (status, csv) = s
        .upload(
            &tech,
            "inspections",
            "demo/inspections-2023-10.excel-vi.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{csv}");
    let xls = std::fs::read(fixture("workbooks/inspections-2023-10.first-40.xls")).expect("xls");
    let ods = std::fs::read(fixture("workbooks/inspections-2023-10.first-40.ods")).expect("ods");
    for (media_type, bytes) in [
        ("application/vnd.ms-excel", &xls),
        ("application/vnd.oasis.opendocument.spreadsheet", &ods),
    ] {
        let (status, batch) = send(
            s.req(
                Method::POST,
                "/api/v1/imports?kind=inspections",
                Some(&tech),
            )
            .header("content-type", media_type)
            .body(bytes.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{media_type}: {batch}");
        assert_eq!(batch["rows"], 40, "{batch}");
        assert_eq!(batch["inserted"], 0, "{batch}");
        assert_eq!(batch["duplicates"], 40, "{batch}");
        assert_eq!(batch["rejected"], 0, "{batch}");
    }
    // As multipart files under their names.
    for (name, bytes) in [("thang-10.xls", &xls), ("thang-10.ods", &ods)] {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name),
        );
        let (status, again) = send(
            s.req(
                Method::POST,
                "/api/v1/imports?kind=inspections",
                Some(&tech),
            )
            .multipart(form),
        )
        .await;
        // A batch that stored nothing is no file's batch: the same bytes again are read
        // again, all duplicates.
        assert_eq!(status, StatusCode::CREATED, "{again}");
        assert_eq!(again["file_name"], name);
        assert_eq!(again["inserted"], 0, "{again}");
        assert_eq!(again["duplicates"], 40, "{again}");
    }
    let (_, achievement) = s.get("/api/v1/achievement?period=2023-10", &tech).await;
    assert_eq!(metric(&achievement, "inspections")["actual"], 497);

    // An .ods of a few kilobytes declaring a million rows: 422 in Vietnamese, nothing read.
    let cell = |t: &str| {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#
        )
    };
    let header: String = ["Ngày đo", "Công trình", "Điểm đo", "Điện trở", "Người đo"]
        .iter()
        .map(|h| cell(h))
        .collect();
    let row: String = ["15/09/2023", "Trường", "Đ1", "4,15", "Đỗ Đức Anh"]
        .iter()
        .map(|v| cell(v))
        .collect();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Đo"><table:table-row>{header}</table:table-row><table:table-row table:number-rows-repeated="1000000">{row}</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in [
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet".as_slice(),
        ),
        ("content.xml", content.as_bytes()),
    ] {
        zip.start_file(name, options).expect("part");
        std::io::Write::write_all(&mut zip, bytes).expect("write");
    }
    let bomb = zip.finish().expect("zip").into_inner();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bomb).file_name("do-dien-tro.ods"),
    );
    let (status, refused) = send(
        s.req(
            Method::POST,
            "/api/v1/imports?kind=earthing&lang=vi",
            Some(&tech),
        )
        .multipart(form),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.to_string().contains(
            "trang tính \\\"Đo\\\" khai báo 1000001 hàng × 5 cột; sổ .xls hoặc .ods được đọc toàn bộ vào bộ nhớ"
        ),
        "{refused}"
    );
    let (_, achievement) = s.get("/api/v1/achievement?period=2023-10", &tech).await;
    assert_eq!(
        metric(&achievement, "earthing_points_measured")["actual"],
        0
    );
}
