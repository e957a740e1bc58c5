//! Malformed requests answer problem+json.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_answer_problem_json() {
    let s = Server::start_with(ApiConfig {
        max_upload_bytes: 2000,
        ..ApiConfig::default()
    })
    .await;
    let sup = s.token('A', Role::Supervisor);
    let (status, body) = send(
        s.req(Method::PUT, "/api/v1/plans/2023-10/inspections", Some(sup))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = send(
        s.req(Method::PUT, "/api/v1/plans/2023-10/inspections", Some(sup))
            .json(&json!({"target": "many"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = send(
        s.req(Method::PUT, "/api/v1/plans/2023-Q4/inspections", Some(sup))
            .json(&json!({"target": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = send(
        s.req(Method::PUT, "/api/v1/plans/2023-Q5/inspections", Some(sup))
            .json(&json!({"target": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.get("/api/v1/achievement?period=2023-13", sup).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.get("/api/v1/inspections/not-a-number", sup).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.get("/api/v1/nothing-here", sup).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(s.req(Method::DELETE, "/api/v1/imports", Some(sup))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = send(
        s.req(Method::POST, "/api/v1/imports?kind=inspections", Some(sup))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Past the upload limit: 413 (declared length, and streamed without one). The
    // bodies stay small enough for the socket buffers, so the client finishes writing.
    let big = std::fs::read(fixture("demo/inspections-2023-10.csv")).expect("fixture");
    let over = big[..3000].to_vec();
    let (status, _) = send(
        s.req(Method::POST, "/api/v1/imports?kind=inspections", Some(sup))
            .header("content-type", "text/csv")
            .body(over.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let stream = futures_util::stream::iter(
        over.chunks(500)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let (status, _) = send(
        s.req(Method::POST, "/api/v1/imports?kind=inspections", Some(sup))
            .header("content-type", "text/csv")
            .body(reqwest::Body::wrap_stream(stream)),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (_, list) = s.get("/api/v1/imports", sup).await;
    assert_eq!(list["items"], json!([]), "nothing stored");
}

/// What the server itself refuses before any route (an address or headers too large,
/// no such page, a wrong method) is problem+json too, and every answer, the API's
/// documentation page and the errors included, carries the security headers.
#[tokio::test(flavor = "multi_thread")]
async fn every_answer_has_security_headers_and_every_refusal_a_problem() {
    let s = Server::start().await;
    let reader = s.token('A', Role::Reader);
    let secured = |r: &reqwest::Response, what: &str| {
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{what}: no content-security-policy"))
            .to_str()
            .expect("text");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{what}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["referrer-policy"], "same-origin", "{what}");
    };
    for path in [
        "/api/docs/",
        "/api/v1/openapi.json",
        "/healthz",
        "/login",
        "/api/v1/nothing-here",
    ] {
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .expect("get");
        secured(&r, path);
    }
    let r = s
        .req(Method::GET, "/api/v1/imports", Some(reader))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    secured(&r, "an API answer");

    let long = format!("/api/v1/imports?x={}", "a".repeat(10_000));
    let many = (0..120).fold(
        s.req(Method::GET, "/api/v1/imports", Some(reader)),
        |r, i| r.header(format!("x-extra-{i}"), "1"),
    );
    let big = s
        .req(Method::GET, "/api/v1/imports", Some(reader))
        .header("x-big", "b".repeat(40_000));
    for (what, request, expected) in [
        (
            "a long address",
            s.req(Method::GET, &long, Some(reader)),
            StatusCode::URI_TOO_LONG,
        ),
        (
            "many headers",
            many,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ),
        (
            "a large header",
            big,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ),
        (
            "no such route",
            s.req(Method::GET, "/nothing", None),
            StatusCode::NOT_FOUND,
        ),
        (
            "a wrong method",
            s.req(Method::PATCH, "/api/v1/imports", Some(reader)),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ] {
        let r = request.send().await.expect("request");
        assert_eq!(r.status(), expected, "{what}");
        secured(&r, what);
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
        let body: Value = r.json().await.expect("problem JSON");
        assert_eq!(body["status"], expected.as_u16(), "{what}: {body}");
        assert!(
            !body["detail"].as_str().unwrap_or("").is_empty(),
            "{what}: {body}"
        );
    }
}

/// A connection that sends its headers a line at a time, every 5 s, is closed once
/// the header-read timeout passes instead of being kept for ever; so is one that
/// stays idle after its answer.
#[tokio::test(flavor = "multi_thread")]
async fn slow_and_idle_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Server::start().await;
    let address = s.base.trim_start_matches("http://").to_owned();
    let started = std::time::Instant::now();
    let mut slow = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut closed_after = None;
    for i in 0..6 {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        if slow
            .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
            .await
            .is_err()
        {
            closed_after = Some(started.elapsed());
            break;
        }
        let mut buf = [0u8; 512];
        // A read that completes (EOF, a reset, a last word) means the server closed it.
        let read = tokio::time::timeout(std::time::Duration::from_millis(10), slow.read(&mut buf));
        if read.await.is_ok() {
            closed_after = Some(started.elapsed());
            break;
        }
    }
    let closed_after = closed_after.expect("the slow connection was never closed");
    assert!(
        closed_after < std::time::Duration::from_secs(21),
        "closed after {closed_after:?}"
    );

    // An idle kept-alive connection is closed too.
    let mut idle = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).await.expect("answer");
    answer.extend_from_slice(&buf[..n]);
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let idle_since = std::time::Instant::now();
    let rest = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            match idle.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(rest.is_ok(), "the idle connection was never closed");
    assert!(idle_since.elapsed() >= std::time::Duration::from_secs(5));
}

/// `/healthz` says whether the database answers: 200 while it does, 503 problem+json
/// once it does not (its connections closed), in the language asked.
#[tokio::test(flavor = "multi_thread")]
async fn healthz_asks_the_database() {
    let s = Server::start().await;
    let (status, body) = send(s.req(Method::GET, "/healthz", None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    s.store.close().await;
    let (status, body) = send(s.req(Method::GET, "/healthz", None)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["type"], "https://metrotrack.dev/problems/busy");
    assert_eq!(body["title"], "The server is busy");
    assert_eq!(body["detail"], "The database does not answer.");
    // In Vietnamese when asked.
    let (status, body) = send(
        s.req(Method::GET, "/healthz", None)
            .header("accept-language", "vi"),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["title"], "Máy chủ đang bận");
    assert_eq!(body["detail"], "Cơ sở dữ liệu không trả lời.");
}
