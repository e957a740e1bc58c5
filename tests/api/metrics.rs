//! `GET /metrics`: Prometheus' text, for an admin only; requests counted by route
//! pattern (never the path as sent) and status, their latency, rows imported, and the
//! database connections.

use super::*;

/// The lines of `text` naming metric `name` with every label of `labels`.
fn lines<'a>(text: &'a str, name: &str, labels: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .collect()
}

/// The value of the one line of `name` with `labels`.
fn value(text: &str, name: &str, labels: &[&str]) -> f64 {
    let found = lines(text, name, labels);
    assert_eq!(found.len(), 1, "one {name} {labels:?} in:\n{text}");
    found[0]
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a value in {}", found[0]))
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_routes_statuses_latency_rows_and_connections_for_an_admin() {
    let s = Server::start().await;
    let metrics = |token: Option<&str>| s.req(Method::GET, "/metrics", token).send();

    // Only an admin reads them.
    let anonymous = metrics(None).await.expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let reader = metrics(Some(s.token('A', Role::Reader)))
        .await
        .expect("request");
    assert_eq!(reader.status(), StatusCode::FORBIDDEN);

    let tech = s.token('A', Role::Technician);
    let (status, batch) = s
        .upload(tech, "earthing", "demo/earthing-2023-10.csv", "")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let id = batch["id"].as_i64().expect("id");
    for _ in 0..2 {
        let (status, _) = s.get(&format!("/api/v1/imports/{id}"), tech).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = s.get("/api/v1/imports/999999", tech).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get("/no/such/path", tech).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let answer = metrics(Some(s.token('A', Role::Admin)))
        .await
        .expect("request");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = answer.text().await.expect("text");

    // Requests by route pattern and status: the two reads of the batch are one series.
    let requests = "metrotrack_http_requests_total";
    let show = r#"route="/api/v1/imports/{id}""#;
    let get = r#"method="GET""#;
    assert_eq!(value(&text, requests, &[show, get, r#"status="200""#]), 2.0);
    assert_eq!(value(&text, requests, &[show, get, r#"status="404""#]), 1.0);
    let upload = [r#"route="/api/v1/imports""#, r#"method="POST""#];
    assert_eq!(
        value(&text, requests, &[upload[0], upload[1], r#"status="201""#]),
        1.0
    );
    assert_eq!(value(&text, requests, &[r#"route="unmatched""#, get]), 1.0);
    assert_eq!(
        value(&text, requests, &[r#"route="/metrics""#, r#"status="401""#]),
        1.0
    );
    assert!(
        !text.contains(&format!("/api/v1/imports/{id}\"")) && !text.contains("no/such"),
        "no path as sent: {text}"
    );
    // Latency: a histogram by route, every request in its last bucket.
    let latency = "metrotrack_http_request_duration_seconds";
    assert_eq!(
        value(
            &text,
            &format!("{latency}_bucket"),
            &[show, get, r#"le="+Inf""#]
        ),
        3.0
    );
    assert_eq!(value(&text, &format!("{latency}_count"), &[show, get]), 3.0);
    assert!(value(&text, &format!("{latency}_sum"), &[show, get]) > 0.0);
    // Rows imported, by kind and what became of them; the upload by its outcome.
    let rows = "metrotrack_import_rows_total";
    let earthing = r#"kind="earthing""#;
    assert_eq!(
        value(&text, rows, &[earthing, r#"result="inserted""#]),
        18.0
    );
    assert_eq!(value(&text, rows, &[earthing, r#"result="rejected""#]), 0.0);
    assert_eq!(
        value(
            &text,
            "metrotrack_imports_total",
            &[earthing, r#"outcome="stored""#]
        ),
        1.0
    );
    // The database's connections, by pool and state.
    for pool in ["readers", "writers"] {
        for state in ["busy", "idle"] {
            let labels = [
                &format!("pool=\"{pool}\"")[..],
                &format!("state=\"{state}\"")[..],
            ];
            value(&text, "metrotrack_db_connections", &labels);
        }
    }
    let readers = value(
        &text,
        "metrotrack_db_connections",
        &[r#"pool="readers""#, r#"state="busy""#],
    ) + value(
        &text,
        "metrotrack_db_connections",
        &[r#"pool="readers""#, r#"state="idle""#],
    );
    assert!(readers >= 1.0, "{text}");
    assert!(
        text.contains("# HELP metrotrack_http_requests_total "),
        "{text}"
    );
}
