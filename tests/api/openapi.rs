//! The OpenAPI document describes every route.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn openapi_describes_every_route() {
    let s = Server::start().await;
    let (status, doc) = send(s.req(Method::GET, "/api/v1/openapi.json", None)).await;
    assert_eq!(status, StatusCode::OK);
    let routes = [
        ("get", "/healthz"),
        ("post", "/api/v1/imports"),
        ("get", "/api/v1/imports"),
        ("get", "/api/v1/imports/{id}"),
        ("post", "/api/v1/imports/{id}/void"),
        ("get", "/api/v1/instruments"),
        ("get", "/api/v1/instruments/{id}"),
        ("get", "/api/v1/inspections"),
        ("get", "/api/v1/inspections/{id}"),
        ("get", "/api/v1/earthing-points"),
        ("get", "/api/v1/earthing-points/{id}"),
        ("get", "/api/v1/earthing-tests"),
        ("get", "/api/v1/categories"),
        ("get", "/api/v1/plans"),
        ("put", "/api/v1/plans/{period}/{metric}"),
        ("get", "/api/v1/achievement"),
        ("get", "/api/v1/reports/{period}"),
        ("get", "/api/v1/due"),
        ("get", "/api/v1/audit"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/tokens"),
        ("post", "/api/v1/tokens/{id}/revoke"),
    ];
    let paths = doc["paths"].as_object().expect("paths");
    let documented: usize = paths
        .values()
        .map(|p| p.as_object().map_or(0, |o| o.len()))
        .sum();
    assert_eq!(
        documented,
        routes.len(),
        "no undocumented extra: {:?}",
        paths.keys()
    );
    for (method, path) in routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is documented");
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
        // Every route is served: nothing answers 404 or 405 for a documented path.
        let concrete = path
            .replace("{id}", "1")
            .replace("{period}", "2023-10")
            .replace("{metric}", "inspections");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let status = s
            .req(m, &concrete, Some(s.token('A', Role::Admin)))
            .send()
            .await
            .expect("request")
            .status();
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED
                && (status != StatusCode::NOT_FOUND || path.contains('{')),
            "{method} {concrete}: {status}"
        );
    }
    let put = &doc["paths"]["/api/v1/plans/{period}/{metric}"]["put"];
    assert!(put["requestBody"]["content"]["application/json"].is_object());
    let upload = &doc["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"];
    assert!(upload["text/csv"].is_object() && upload["multipart/form-data"].is_object());
    let docs = s
        .http
        .get(format!("{}/api/docs/", s.base))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status(), StatusCode::OK);
}
