//! Categories kept by an admin over the API, and a new cycle in the valid-until of the
//! inspections that follow it.

use super::*;

async fn call(
    s: &Server,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    send(s.req(method, path, Some(token)).json(&body)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_a_category_and_a_cycle_that_later_inspections_follow() {
    let s = Server::start().await;
    let names = json!({"name_vi": "Ampe kìm", "name_en": "Clamp meter"});
    for role in [
        Role::Reader,
        Role::Technician,
        Role::Supervisor,
        Role::National,
    ] {
        let (status, _) = call(
            &s,
            Method::PUT,
            "/api/v1/categories/AKE",
            s.token('A', role),
            names.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    let admin = s.token('A', Role::Admin);
    let (status, added) = call(
        &s,
        Method::PUT,
        "/api/v1/categories/ake",
        admin,
        names.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(
        added,
        json!({"code": "AKE", "name_vi": "Ampe kìm", "name_en": "Clamp meter",
               "legal_group2": true, "cycles": []})
    );
    let (status, bad) = call(&s, Method::PUT, "/api/v1/categories/a%20b", admin, names).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (_, b_list) = s
        .get("/api/v1/categories", s.token('B', Role::Reader))
        .await;
    assert!(
        !b_list["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["code"] == "AKE"),
        "lab B does not get lab A's category"
    );

    // DHN: 60 months until now, 36 from 15/10/2023 on.
    let cycle = json!({"effective_from": "2023-10-15", "months": 36});
    let (status, _) = call(
        &s,
        Method::POST,
        "/api/v1/categories/DHN/cycles",
        s.token('A', Role::Supervisor),
        cycle.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, dhn) = call(
        &s,
        Method::POST,
        "/api/v1/categories/DHN/cycles",
        admin,
        cycle.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{dhn}");
    assert_eq!(dhn["cycles"].as_array().map(Vec::len), Some(2));
    let (status, again) = call(
        &s,
        Method::POST,
        "/api/v1/categories/DHN/cycles",
        admin,
        cycle,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, _) = call(
        &s,
        Method::POST,
        "/api/v1/categories/NOPE/cycles",
        admin,
        json!({"effective_from": "2024-01-01", "months": 12}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &s,
        Method::POST,
        "/api/v1/categories/DHN/cycles",
        admin,
        json!({"effective_from": "2024-01-01", "months": 0}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let log = "date,category,serial_number,kind,result,technician\n\
               10/10/2023,DHN,W-1,verification,pass,An\n\
               20/10/2023,DHN,W-2,verification,pass,An\n";
    let (status, batch) = send(
        s.req(
            Method::POST,
            "/api/v1/imports?kind=inspections",
            Some(s.token('A', Role::Technician)),
        )
        .header("content-type", "text/csv")
        .body(log),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let (_, listed) = s
        .get("/api/v1/inspections?limit=10", s.token('A', Role::Reader))
        .await;
    let until: Vec<(Value, Value)> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| (r["serial_number"].clone(), r["valid_until"].clone()))
        .collect();
    assert_eq!(
        until,
        [
            (json!("W-1"), json!("2028-10-10")),
            (json!("W-2"), json!("2026-10-20")),
        ]
    );
    let (_, audit) = s
        .get("/api/v1/audit?limit=20", s.token('A', Role::Admin))
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("category."))
        .collect();
    assert_eq!(actions, ["category.cycle", "category.add"]);
}
