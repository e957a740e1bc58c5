//! An Excel workbook uploaded over HTTP: by its media type, as a multipart file named
//! `.xlsx`, a sheet chosen with `sheet=`, and text named `.xlsx` refused.

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
        refused.to_string().contains(
            "this file is named as an Excel workbook (.xlsx) but is not one (an .xlsx file is a zip archive)"
        ),
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
        html.contains("accept=\".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\""),
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
