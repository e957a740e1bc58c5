//! The server's bounds: the web page's upload size limit (ApiConfig's `max_upload_bytes`,
//! `serve --max-upload-bytes`), and the request and upload timeouts (408) for a body that
//! stalls, after which nothing is stored and the server goes on answering; the 408 in the
//! language asked.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::web::{alert, earthing_log, page};
use super::*;

/// The limit in these tests: the earthing demo log (3,213 bytes) fits.
const LIMIT: u64 = 4000;

#[tokio::test(flavor = "multi_thread")]
async fn the_web_upload_takes_a_file_at_the_limit_and_refuses_one_byte_more() {
    let s = Server::start_with(ApiConfig {
        max_upload_bytes: LIMIT,
        ..ApiConfig::default()
    })
    .await;
    s.web_user("tom", Role::Technician).await;
    let web = s.sign_in("tom").await;
    let over = earthing_log(LIMIT as usize + 1);
    let r = web.upload(Some(&web.csrf), "earthing", "e.csv", over).await;
    let html = page(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(
        alert(&html),
        Some("The file is larger than the upload limit of 4000 bytes; nothing was stored.")
    );
    assert_eq!(s.batches().await, Vec::<Value>::new());
    // In Vietnamese too.
    let r = web
        .http
        .send(
            web.http.client.post(web.url("/upload?lang=vi")).multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", web.csrf.clone())
                    .text("kind", "earthing")
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(earthing_log(LIMIT as usize + 1))
                            .file_name("e.csv"),
                    ),
            ),
        )
        .await;
    let html = page(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(
        alert(&html),
        Some("Tệp lớn hơn giới hạn tải lên 4000 byte; không lưu gì.")
    );
    assert_eq!(s.batches().await, Vec::<Value>::new());

    let at = earthing_log(LIMIT as usize);
    let r = web.upload(Some(&web.csrf), "earthing", "e.csv", at).await;
    let html = page(r, StatusCode::OK).await;
    assert!(html.contains("Stored as a new import batch."), "{html}");
    let batches = s.batches().await;
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["size_bytes"], LIMIT);
    assert_eq!(batches[0]["inserted"], 18);
}

/// Sends `head` (with a `Content-Length` larger than what follows) and `sent`, then
/// waits without sending the rest: the status, `Content-Type` and body of the answer.
/// A server that never answers fails the test after a minute rather than hanging it.
async fn stall(s: &Server, head: String, sent: &[u8]) -> (u16, String, Value) {
    tokio::time::timeout(Duration::from_secs(60), stalled(s, head, sent))
        .await
        .expect("no answer to a stalled request within a minute")
}

async fn stalled(s: &Server, head: String, sent: &[u8]) -> (u16, String, Value) {
    let address = s.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    socket.write_all(head.as_bytes()).await.expect("head");
    socket.write_all(sent).await.expect("body");
    // The socket stays open for writing: the body neither ends nor breaks, it stalls.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let (header_end, length) = loop {
        let n = socket.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before an answer: {answer:?}");
        answer.extend_from_slice(&buf[..n]);
        if let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .expect("content-length")
                .trim()
                .parse()
                .expect("length");
            break (end + 4, length);
        }
    };
    while answer.len() < header_end + length {
        let n = socket.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed mid-answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&answer[..header_end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    let body = serde_json::from_slice(&answer[header_end..]).expect("json");
    (status, content_type, body)
}

fn request_head(method: &str, path: &str, headers: &[(&str, &str)], length: usize) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("content-length: {length}\r\n\r\n"));
    head
}

fn assert_timeout((status, content_type, body): &(u16, String, Value)) {
    assert_eq!(*status, 408, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["type"], "https://metrotrack.dev/problems/timeout");
    assert_eq!(
        body["detail"],
        "The request did not finish in time; nothing was changed unless it says otherwise."
    );
}

/// With short timeouts, an upload (API or page) and a plan (API or page) whose body
/// stalls half-way get 408 and store nothing; then the server answers, and writes, as
/// before.
#[tokio::test(flavor = "multi_thread")]
async fn stalled_requests_get_408_and_store_nothing() {
    let s = Server::start_with(ApiConfig {
        request_timeout: Duration::from_secs(4),
        upload_timeout: Duration::from_secs(4),
        ..ApiConfig::default()
    })
    .await;
    s.web_user("sue", Role::Supervisor).await;
    let web = s.sign_in("sue").await;
    let cookie = format!(
        "mt_session={}",
        web.cookie("mt_session").expect("session cookie")
    );
    let bearer = format!("Bearer {}", s.token('A', Role::Supervisor));
    // Most of the demo month's inspections: the import has started writing when the body stalls.
    let log = std::fs::read(fixture("demo/inspections-2023-10.csv")).expect("fixture");
    let part = &log[..log.len() * 3 / 4];
    let api_upload = request_head(
        "POST",
        "/api/v1/imports?kind=inspections",
        &[("authorization", &bearer), ("content-type", "text/csv")],
        log.len(),
    );
    let boundary = "XyZ-stall";
    let mut form = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"kind\"\r\n\r\ninspections\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"i.csv\"\r\n\
         content-type: text/csv\r\n\r\n",
        web.csrf
    )
    .into_bytes();
    form.extend_from_slice(part);
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let page_upload = request_head(
        "POST",
        "/upload",
        &[("cookie", &cookie), ("content-type", &content_type)],
        form.len() + log.len(),
    );
    let plan = br#"{"target": 402, "category": null}"#;
    let api_plan = request_head(
        "PUT",
        "/api/v1/plans/2023-10/instruments_inspected",
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
        ],
        plan.len(),
    );
    let plan_form = format!(
        "csrf={}&period=2023-10&metric=instruments_inspected&target=402",
        web.csrf
    );
    let page_plan = request_head(
        "POST",
        "/plans",
        &[
            ("cookie", &cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        plan_form.len(),
    );
    let answers = tokio::join!(
        stall(&s, api_upload, part),
        stall(&s, page_upload, &form),
        stall(&s, api_plan, &plan[..plan.len() - 1]),
        stall(&s, page_plan, &plan_form.as_bytes()[..plan_form.len() - 1]),
    );
    assert_timeout(&answers.0);
    assert_timeout(&answers.1);
    assert_timeout(&answers.2);
    assert_timeout(&answers.3);
    assert_eq!(s.batches().await, Vec::<Value>::new());
    assert_eq!(s.plans_2023().await, vec![]);

    // The server goes on answering, and the database is not held by the abandoned imports.
    let (status, _) = send(s.req(Method::GET, "/healthz", None)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, batch) = s
        .upload(&bearer[7..], "earthing", "demo/earthing-2023-10.csv", "")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["inserted"], 18);
    assert_eq!(
        s.set_plan(&bearer[7..], "2023-10", "instruments_inspected", 402)
            .await,
        StatusCode::OK
    );
    assert_eq!(s.batches().await.len(), 1);
    assert_eq!(
        s.plans_2023().await,
        vec![("2023-10".into(), "instruments_inspected".into(), 402)]
    );
    assert!(web.signed_in().await);
}

/// The 408 reads in the language the request asks for (`Accept-Language`, `?lang=`).
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_request_is_told_so_in_its_language() {
    let s = Server::start_with(ApiConfig {
        request_timeout: Duration::from_secs(1),
        ..ApiConfig::default()
    })
    .await;
    let bearer = format!("Bearer {}", s.token('A', Role::Supervisor));
    let plan = br#"{"target": 402, "category": null}"#;
    let json = ("content-type", "application/json");
    let vi = [
        ("authorization", bearer.as_str()),
        json,
        ("accept-language", "vi-VN,vi;q=0.9"),
    ];
    let by_header = request_head("PUT", "/api/v1/plans/2023-10/inspections", &vi, plan.len());
    let by_query = request_head(
        "PUT",
        "/api/v1/plans/2023-10/inspections?lang=vi",
        &[("authorization", bearer.as_str()), json],
        plan.len(),
    );
    let answers = tokio::join!(
        stall(&s, by_header, &plan[..plan.len() - 1]),
        stall(&s, by_query, &plan[..plan.len() - 1]),
    );
    for (status, content_type, body) in [answers.0, answers.1] {
        assert_eq!(status, 408, "{body}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["type"], "https://metrotrack.dev/problems/timeout");
        assert_eq!(body["title"], "Yêu cầu mất quá nhiều thời gian");
        assert_eq!(
            body["detail"],
            "Yêu cầu không hoàn tất trong thời gian cho phép; chưa có gì thay đổi, trừ khi câu \
             trả lời cho biết khác."
        );
    }
    assert_eq!(s.plans_2023().await, vec![]);
}
