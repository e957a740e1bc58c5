//! The monthly report as the document the department signs: an admin sets the
//! letterhead over the API, anyone of the lab downloads October's report as a `.docx`,
//! and the test opens it as Word would read it.

use std::io::Read;

use super::*;

/// The parts of a `.docx` a reader sees: the body's XML and the settings of its page.
fn document_xml(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    for part in ["[Content_Types].xml", "_rels/.rels", "word/styles.xml"] {
        assert!(zip.by_name(part).is_ok(), "{part} is in the package");
    }
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("word/document.xml")
        .read_to_string(&mut xml)
        .expect("UTF-8");
    xml
}

/// The text of the document, run after run, paragraphs on lines of their own.
fn text_of(xml: &str) -> String {
    let mut text = String::new();
    for paragraph in xml.split("</w:p>") {
        // `<w:t>` or `<w:t xml:space="preserve">`, not `<w:tbl>`, `<w:tc>`, …
        for run in paragraph.split("<w:t").skip(1) {
            let Some((attributes, rest)) = run.split_once('>') else {
                continue;
            };
            if !(attributes.is_empty() || attributes.starts_with(' ')) {
                continue;
            }
            let value = rest.split("</w:t>").next().unwrap_or_default();
            text.push_str(
                &value
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'"),
            );
        }
        text.push('\n');
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn october_report_downloads_as_a_decree_30_document() {
    let s = Server::start().await;
    let admin = s.token('A', Role::Admin);
    let settings = json!({
        "parent_body": "Sở Khoa học và Công nghệ tỉnh Bắc Ninh",
        "issuing_body": "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng",
        "symbol": "TTKT",
        "place": "Bắc Ninh",
        "signer_title": "GIÁM ĐỐC",
        "signer_name": "Nguyễn Văn An",
        "recipients": ["Sở KH&CN (để b/c)", "Chi cục TCĐLCL"],
    });
    let put = |token: &str| {
        send(
            s.req(Method::PUT, "/api/v1/settings/report", Some(token))
                .json(&settings),
        )
    };
    for role in [Role::Reader, Role::Technician, Role::Supervisor] {
        let (status, _) = put(s.token('A', role)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    let (status, stored) = put(admin).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["recipients"][0], "Sở KH&CN (để b/c)");
    let (status, read) = s
        .get("/api/v1/settings/report", s.token('A', Role::Reader))
        .await;
    assert_eq!((status, &read), (StatusCode::OK, &stored));
    let (_, other_lab) = s
        .get("/api/v1/settings/report", s.token('B', Role::Reader))
        .await;
    assert_eq!(other_lab["symbol"], "", "lab B keeps its own settings");
    let long = json!({"place": "x".repeat(201), "parent_body": "", "issuing_body": "",
        "symbol": "", "signer_title": "", "signer_name": "", "recipients": []});
    let (status, refused) = send(
        s.req(Method::PUT, "/api/v1/settings/report", Some(admin))
            .json(&long),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("place"), "{refused}");

    let tech = s.token('A', Role::Technician);
    let supervisor = s.token('A', Role::Supervisor);
    let (status, _) = s
        .upload(
            tech,
            "inspections",
            "demo/inspections-2023-10.excel-vi.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = s
        .upload(tech, "earthing", "demo/earthing-2023-10.excel-vi.csv", "")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for (metric, target) in [
        ("instruments_inspected", 402),
        ("earthing_points_measured", 10),
    ] {
        assert_eq!(
            s.set_plan(supervisor, "2023-10", metric, target).await,
            StatusCode::OK
        );
    }

    let response = s
        .req(
            Method::GET,
            "/api/v1/reports/2023-10?format=docx&issued_on=2023-11-05",
            Some(s.token('A', Role::Reader)),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        header("content-type"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"bao-cao-2023-10.docx\""
    );
    let bytes = response.bytes().await.expect("body");
    let xml = document_xml(&bytes);
    let text = text_of(&xml);

    // A4 and Times New Roman.
    assert!(xml.contains(r#"<w:pgSz w:w="11906" w:h="16838""#), "A4");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).expect("zip");
    let mut styles = String::new();
    zip.by_name("word/styles.xml")
        .expect("styles")
        .read_to_string(&mut styles)
        .expect("UTF-8");
    assert!(
        styles.contains(r#"w:ascii="Times New Roman""#),
        "the document's font is Times New Roman"
    );
    // The letterhead: issuing body in capitals beside the national motto; number and
    // symbol; place and date.
    for line in [
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH BẮC NINH",
        "TRUNG TÂM KỸ THUẬT TIÊU CHUẨN ĐO LƯỜNG CHẤT LƯỢNG",
        "Số:      /BC-TTKT",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Bắc Ninh, ngày 05 tháng 11 năm 2023",
        "BÁO CÁO",
        "Kết quả kiểm định, hiệu chuẩn phương tiện đo và đo điện trở nối đất tháng 10 năm 2023",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    // The body: the report's sentences.
    assert!(
        text.contains("kiểm định được 467 PTĐ các loại (Đạt 116% so với kế hoạch đề ra)"),
        "{text}"
    );
    assert!(
        text.contains("tại 13 điểm đo (đạt 130% kế hoạch)"),
        "{text}"
    );
    // Table 1: a category's row and the totals; table 2: the earthing points.
    assert!(text.contains("Bảng 1."), "{text}");
    let row = "Đồng hồ nước\n120\n120\n117\n3\n";
    assert!(text.contains(row), "the water meters' row in\n{text}");
    assert!(
        text.contains("Tổng cộng\n467\n497\n"),
        "totals: 467 instruments, 497 inspections\n{text}"
    );
    assert!(
        text.contains("\n402\n116\n"),
        "the plan and percent\n{text}"
    );
    assert!(text.contains("Bảng 2."), "{text}");
    assert!(
        text.contains("Số điểm đo\nSố lượt đo\nVượt giới hạn\nKế hoạch\nTỷ lệ (%)\n13\n"),
        "{text}"
    );
    assert!(text.contains("\n10\n130\n"), "{text}");
    // Nơi nhận and the signature block.
    for line in [
        "Nơi nhận:",
        "- Sở KH&CN (để b/c);",
        "- Chi cục TCĐLCL;",
        "- Lưu: VT.",
        "GIÁM ĐỐC",
        "Nguyễn Văn An",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }

    // In English on request; an unknown format is still a 400 naming docx.
    let response = s
        .req(
            Method::GET,
            "/api/v1/reports/2023-10?format=docx&lang=en",
            Some(s.token('A', Role::Reader)),
        )
        .send()
        .await
        .expect("request");
    let english = text_of(&document_xml(&response.bytes().await.expect("body")));
    assert!(
        english.contains("SOCIALIST REPUBLIC OF VIET NAM"),
        "{english}"
    );
    assert!(english.contains("Verified and calibrated 467"), "{english}");
    let (status, body) = s
        .get(
            "/api/v1/reports/2023-10?format=pdf",
            s.token('A', Role::Reader),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("docx"), "{body}");
}

/// A form's fields as the web client sends them.
fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// An admin sets the letterhead on the "Cài đặt báo cáo" page (a field too long is
/// refused naming it as the form labels it); a supervisor sees the settings but no form and may
/// not post one; the dashboard's button downloads the period's document carrying them.
#[tokio::test(flavor = "multi_thread")]
async fn an_admin_sets_the_letterhead_on_its_page_and_the_dashboard_downloads_the_document() {
    use super::web::page;
    let s = Server::start().await;
    s.web_user("ada", Role::Admin).await;
    s.web_user("sue", Role::Supervisor).await;
    let ada = s.sign_in("ada").await;
    let form = |csrf: &str, place: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            (
                "parent_body".to_owned(),
                "Sở Khoa học và Công nghệ".to_owned(),
            ),
            (
                "issuing_body".to_owned(),
                "Trung tâm Kỹ thuật TCĐLCL".to_owned(),
            ),
            ("symbol".to_owned(), "TTKT".to_owned()),
            ("place".to_owned(), place.to_owned()),
            (
                "signer_title".to_owned(),
                "KT. GIÁM ĐỐC\r\nPHÓ GIÁM ĐỐC".to_owned(),
            ),
            ("signer_name".to_owned(), "Lê Thị Hoa".to_owned()),
            (
                "recipients".to_owned(),
                "Sở KH&CN (để b/c)\r\n\r\nLưu trữ".to_owned(),
            ),
        ]
    };
    let long = "x".repeat(201);
    let refused = form(&ada.csrf, &long);
    let html = page(
        ada.post("/settings", &pairs(&refused)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        html.contains("Place: is too long: at most 200 characters"),
        "the field named as the form labels it: {html}"
    );
    let good = form(&ada.csrf, "Bắc Ninh");
    let r = ada.post("/settings", &pairs(&good)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(ada.get("/settings").await, StatusCode::OK).await;
    assert!(html.contains("value=\"Bắc Ninh\""), "{html}");
    assert!(
        html.contains(">Sở KH&#38;CN (để b/c)\nLưu trữ</textarea>"),
        "recipients one per line, the blank one dropped: {html}"
    );

    let sue = s.sign_in("sue").await;
    let html = page(sue.get("/settings").await, StatusCode::OK).await;
    assert!(
        !html.contains("<form method=\"post\" action=\"/settings\""),
        "{html}"
    );
    assert!(html.contains("<td>Lê Thị Hoa</td>"), "{html}");
    let theirs = form(&sue.csrf, "Hà Nội");
    page(
        sue.post("/settings", &pairs(&theirs)).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let html = page(sue.get("/?period=2023-10").await, StatusCode::OK).await;
    assert!(
        html.contains("href=\"/report.docx?period=2023-10&amp;scheme=decree09\""),
        "{html}"
    );
    let r = sue.get("/report.docx?period=2023-10&scheme=decree09").await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = text_of(&document_xml(&r.bytes().await.expect("body")));
    for line in [
        "TRUNG TÂM KỸ THUẬT TCĐLCL",
        "Số:      /BC-TTKT",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Lê Thị Hoa",
        "- Lưu trữ;",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    // In the page's language (English here), signed today.
    assert!(text.contains("SOCIALIST REPUBLIC OF VIET NAM"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("Bắc Ninh, ")), "{text}");
}
