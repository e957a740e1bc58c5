//! The file a batch was imported from, kept with it as evidence: downloaded byte for byte
//! as it was uploaded (its SHA-256 the batch's), a large one kept in several parts, a
//! workbook as well as a CSV, nothing for another lab, and a clear answer for a batch
//! stored before files were kept.

use sha2::{Digest, Sha256};

use super::xlsx::{VI_INSPECTION_DATES, VI_INSPECTION_NUMBERS, workbook_of};
use super::*;

/// Uploads `body` as `file_name`: the batch.
async fn upload_as(s: &Server, token: &str, body: Vec<u8>, media: &str, file_name: &str) -> Value {
    let name: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let (status, batch) = send(
        s.req(
            Method::POST,
            &format!("/api/v1/imports?kind=inspections&mode=partial&file_name={name}"),
            Some(token),
        )
        .header("content-type", media)
        .body(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    batch
}

/// `GET /api/v1/imports/{id}/file`: status, headers and bytes.
async fn download(s: &Server, id: &Value, token: &str, lang: &str) -> reqwest::Response {
    s.req(
        Method::GET,
        &format!("/api/v1/imports/{id}/file"),
        Some(token),
    )
    .header("accept-language", lang)
    .send()
    .await
    .expect("request")
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A log of `rows` distinct inspections, about 150 bytes a row.
fn large_log(rows: usize) -> String {
    let mut log = String::from(
        "STT;Ngày kiểm định;Tên PTĐ;Số sản xuất;Kiểu;Cơ sở sản xuất;Đơn vị sử dụng;Hình thức;\
         Loại kiểm định;Quy trình;Kết quả;Sai số (%);Người thực hiện\n",
    );
    for i in 0..rows {
        let day = 1 + i % 28;
        log.push_str(&format!(
            "{n};{day:02}/10/2023;Công tơ điện 1 pha;EV-{i:07};DDS26;EMIC;Điện lực Đông Hà;\
             Kiểm định;Định kỳ;ĐLVN 39:2012;Đạt;0,{d:02};Nguyễn Văn Hùng\n",
            n = i + 1,
            d = i % 100
        ));
    }
    log
}

#[tokio::test(flavor = "multi_thread")]
async fn the_uploaded_file_is_kept_and_downloads_as_it_was() {
    let s = Server::start().await;
    let tech = s.token('A', Role::Technician).to_owned();
    let reader = s.token('A', Role::Reader).to_owned();

    // A CSV with a Vietnamese name: the same bytes back, under the same name.
    let csv = std::fs::read(fixture("demo/inspections-2023-10.excel-vi.csv")).expect("fixture");
    let batch = upload_as(
        &s,
        &tech,
        csv.clone(),
        "text/csv",
        "Sổ kiểm định tháng 10.csv",
    )
    .await;
    let r = download(&s, &batch["id"], &reader, "vi").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-type"), "text/csv");
    let disposition = header(&r, "content-disposition");
    assert!(
        disposition.contains("filename*=UTF-8''S%E1%BB%95%20ki%E1%BB%83m"),
        "{disposition}"
    );
    let body = r.bytes().await.expect("body");
    assert_eq!(body.as_ref(), csv.as_slice());
    assert_eq!(hex::encode(Sha256::digest(&body)), batch["sha256"]);

    // A file of several mebibytes is kept in parts and comes back whole.
    let large = large_log(30_000).into_bytes();
    assert!(large.len() > 3 << 20, "{} bytes", large.len());
    let batch = upload_as(&s, &tech, large.clone(), "text/csv", "large.csv").await;
    assert_eq!(batch["inserted"], 30_000, "{batch}");
    let parts: i64 =
        sqlx::query_scalar("select count(*) from import_file_parts where batch_id = ?")
            .bind(batch["id"].as_i64())
            .fetch_one(s.store.pool())
            .await
            .expect("count parts");
    assert!(parts >= 3, "{parts} parts");
    let body = download(&s, &batch["id"], &reader, "vi")
        .await
        .bytes()
        .await
        .expect("body");
    assert_eq!(body.len(), large.len());
    assert!(body.as_ref() == large.as_slice(), "the large file differs");

    // A workbook, as its bytes and media type.
    let text = String::from_utf8(csv).expect("UTF-8");
    let xlsx = workbook_of(&text, &VI_INSPECTION_DATES, &VI_INSPECTION_NUMBERS);
    let media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let batch = upload_as(&s, &tech, xlsx.clone(), media, "thang-10.xlsx").await;
    let r = download(&s, &batch["id"], &reader, "vi").await;
    assert_eq!(header(&r, "content-type"), media);
    assert_eq!(r.bytes().await.expect("body").as_ref(), xlsx.as_slice());

    // Another lab sees no such batch.
    let other = s.token('B', Role::Admin).to_owned();
    let r = download(&s, &batch["id"], &other, "en").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // A batch stored before files were kept: said so, in the reader's language.
    sqlx::query("delete from import_file_parts where batch_id = ?")
        .bind(batch["id"].as_i64())
        .execute(s.store.pool())
        .await
        .expect("forget the parts");
    let r = download(&s, &batch["id"], &reader, "vi").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let problem: Value = r.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("được lưu trước khi hệ thống giữ tệp gốc")),
        "{problem}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_or_checked_file_keeps_nothing() {
    let s = Server::start().await;
    let tech = s.token('A', Role::Technician).to_owned();
    let csv = std::fs::read(fixture("demo/inspections-2023-10.excel-vi.csv")).expect("fixture");
    let (status, _) = send(
        s.req(
            Method::POST,
            "/api/v1/imports?kind=inspections&dry_run=true",
            Some(&tech),
        )
        .header("content-type", "text/csv")
        .body(csv),
    )
    .await;
    assert!(status.is_success(), "{status}");
    let parts: i64 = sqlx::query_scalar("select count(*) from import_file_parts")
        .fetch_one(s.store.pool())
        .await
        .expect("count parts");
    assert_eq!(parts, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_batch_page_links_the_file_as_uploaded() {
    let s = Server::start().await;
    s.web_user("lan", Role::Reader).await;
    let tech = s.token('A', Role::Technician).to_owned();
    let csv = std::fs::read(fixture("demo/inspections-2023-10.excel-vi.csv")).expect("fixture");
    let batch = upload_as(&s, &tech, csv.clone(), "text/csv", "thang-10.csv").await;
    let lan = s.sign_in("lan").await;
    let html = super::web::page(
        lan.get(&format!("/imports/{}?lang=vi", batch["id"])).await,
        StatusCode::OK,
    )
    .await;
    let link = format!(
        "<a href=\"/imports/{}/file\" download id=\"original-file\">Tệp gốc đã tải lên</a>",
        batch["id"]
    );
    assert!(html.contains(&link), "{html}");
    let r = lan.get(&format!("/imports/{}/file", batch["id"])).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.expect("body").as_ref(), csv.as_slice());

    // Without the kept file, no link, and the address answers the 404 page.
    sqlx::query("delete from import_file_parts")
        .execute(s.store.pool())
        .await
        .expect("forget the parts");
    let html = super::web::page(
        lan.get(&format!("/imports/{}?lang=vi", batch["id"])).await,
        StatusCode::OK,
    )
    .await;
    assert!(!html.contains("original-file"), "{html}");
    let r = lan
        .http
        .send(lan.browser(&format!("/imports/{}/file", batch["id"])))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
