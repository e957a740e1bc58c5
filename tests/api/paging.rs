//! Pages of records: every row once, in a stable order.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn pages_cover_every_row_once_in_a_stable_order() {
    let s = Server::start().await;
    let tech = s.token('A', Role::Technician);
    let (status, _) = s
        .upload(tech, "inspections", "demo/inspections-2023-10.csv", "")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/instruments?limit=100&cursor={c}"),
            None => "/api/v1/instruments?limit=100".to_owned(),
        };
        let (status, page) = s.get(&path, tech).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["id"].as_i64()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "ascending ids, no repeats");
    assert_eq!(seen.len(), 477);
    let (status, _) = s.get("/api/v1/instruments?limit=1001", tech).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.get("/api/v1/instruments?cursor=bogus", tech).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, first) = s.get("/api/v1/instruments?limit=1", tech).await;
    let serial = first["items"][0]["serial_number"]
        .as_str()
        .expect("serial")
        .to_lowercase();
    let (_, found) = s
        .get(&format!("/api/v1/instruments?serial={serial}"), tech)
        .await;
    assert!(
        found["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x["id"] == first["items"][0]["id"])),
        "{found}"
    );
}
