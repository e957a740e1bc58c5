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
