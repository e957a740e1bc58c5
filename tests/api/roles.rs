//! The role matrix: every route for every role, on SQLite and PostgreSQL.

use super::*;

/// Every route, every role of lab A, and no token: who may and who may not.
#[tokio::test(flavor = "multi_thread")]
async fn role_matrix() {
    every_route_for_every_role(&Server::start().await).await;
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread")]
async fn role_matrix_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    every_route_for_every_role(&s).await;
}

/// Every route × every role of lab A, without a token, and lab B's accounts on lab A's
/// records.
async fn every_route_for_every_role<S: Store>(s: &Server<S>) {
    let admin = s.token('A', Role::Admin);
    let (status, batch) = s
        .upload(
            admin,
            "inspections",
            "demo/inspections-2023-10.excel-vi.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, _) = s
        .upload(admin, "earthing", "demo/earthing-2023-10.excel-vi.csv", "")
        .await;
    let batch = batch["id"].as_i64().expect("id");
    let (_, i) = s.get("/api/v1/inspections?limit=1", admin).await;
    let inspection = i["items"][0]["id"].as_i64().expect("inspection");
    let instrument = i["items"][0]["instrument_id"].as_i64().expect("instrument");
    let (_, p) = s.get("/api/v1/earthing-points?limit=1", admin).await;
    let point = p["items"][0]["id"].as_i64().expect("point");
    let (_, t) = s.get("/api/v1/tokens", admin).await;
    let token_id = t["items"][0]["id"].as_i64().expect("token id");

    use Role::*;
    // (method, path, body, the least role allowed; None = no national)
    let routes: Vec<(Method, String, Option<Value>, Role, bool)> = vec![
        (Method::GET, "/api/v1/imports".into(), None, Reader, true),
        (
            Method::GET,
            format!("/api/v1/imports/{batch}"),
            None,
            Reader,
            true,
        ),
        (
            Method::POST,
            "/api/v1/imports?kind=inspections".into(),
            Some(json!("csv")),
            Technician,
            false,
        ),
        (
            Method::POST,
            format!("/api/v1/imports/{batch}/void"),
            Some(json!({"reason": "matrix"})),
            Supervisor,
            false,
        ),
        (
            Method::GET,
            "/api/v1/instruments".into(),
            None,
            Reader,
            true,
        ),
        (
            Method::GET,
            format!("/api/v1/instruments/{instrument}"),
            None,
            Reader,
            true,
        ),
        (
            Method::GET,
            "/api/v1/inspections".into(),
            None,
            Reader,
            true,
        ),
        (
            Method::GET,
            format!("/api/v1/inspections/{inspection}"),
            None,
            Reader,
            true,
        ),
        (
            Method::GET,
            "/api/v1/earthing-points".into(),
            None,
            Reader,
            true,
        ),
        (
            Method::GET,
            format!("/api/v1/earthing-points/{point}"),
            None,
            Reader,
            true,
        ),
        (
            Method::GET,
            "/api/v1/earthing-tests".into(),
            None,
            Reader,
            true,
        ),
        (Method::GET, "/api/v1/categories".into(), None, Reader, true),
        (
            Method::GET,
            "/api/v1/plans?year=2023".into(),
            None,
            Reader,
            true,
        ),
        (
            Method::PUT,
            "/api/v1/plans/2023-10/inspections".into(),
            Some(json!({"target": 40, "category": null})),
            Supervisor,
            false,
        ),
        (
            Method::GET,
            "/api/v1/achievement?period=2023-10".into(),
            None,
            Reader,
            true,
        ),
        (
            Method::GET,
            "/api/v1/reports/2023-10?format=json".into(),
            None,
            Reader,
            true,
        ),
        (
            Method::GET,
            "/api/v1/due?within=30".into(),
            None,
            Reader,
            true,
        ),
        (Method::GET, "/api/v1/audit".into(), None, Supervisor, false),
        (Method::GET, "/api/v1/users".into(), None, Admin, false),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"username": "U", "role": "reader"})),
            Admin,
            false,
        ),
        (Method::GET, "/api/v1/tokens".into(), None, Admin, false),
        (
            Method::POST,
            "/api/v1/tokens".into(),
            Some(json!({"name": "n", "role": "reader"})),
            Admin,
            false,
        ),
        (
            Method::POST,
            format!("/api/v1/tokens/{token_id}/revoke"),
            None,
            Admin,
            false,
        ),
    ];
    let csv = std::fs::read(fixture("edge/twice.csv")).expect("fixture");
    let mut checked = 0;
    for (method, path, body, least, national_reads) in &routes {
        // How many allowed roles have called this route so far.
        let mut allowed_before = 0;
        // No token.
        let (status, _) = send(s.req(method.clone(), path, None)).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        for role in Role::ALL {
            let token = s.token('A', role);
            let mut r = s.req(method.clone(), path, Some(token));
            match body {
                Some(Value::String(_)) => {
                    r = r.header("content-type", "text/csv").body(csv.clone());
                }
                Some(v) => {
                    let mut v = v.clone();
                    if path == "/api/v1/users" {
                        v["username"] = json!(format!("user-{role}"));
                    }
                    r = r.json(&v);
                }
                None => {}
            }
            let (status, answer) = send(r).await;
            let allowed = if role == National {
                *national_reads
            } else {
                role.at_least(*least)
            };
            if allowed {
                let expected = allowed_status(method, path, allowed_before);
                assert_eq!(
                    status, expected,
                    "{role} should be allowed {method} {path}: {answer}"
                );
                allowed_before += 1;
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role} {method} {path}: {answer}"
                );
            }
            checked += 1;
        }
        // Another lab's account never reaches lab A's records.
        if *least == Reader && !path.contains('?') && path.ends_with(|c: char| c.is_ascii_digit()) {
            for role in Role::ALL {
                let (status, _) = s.get(path, s.token('B', role)).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "lab B {role} {path}");
            }
        }
    }
    assert_eq!(checked, routes.len() * Role::ALL.len());
    // A lab B supervisor voids within lab B only: lab A's batch is not found.
    let (status, _) = send(
        s.req(
            Method::POST,
            &format!("/api/v1/imports/{batch}/void"),
            Some(s.token('B', Supervisor)),
        )
        .json(&json!({"reason": "not yours"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        s.store
            .batch(s.lab_a, batch)
            .await
            .expect("batch")
            .void_reason
            .as_deref(),
        Some("matrix")
    );
}

/// The status an allowed role gets from `method path`, when `before` allowed roles
/// called it already (in the order of [`Role::ALL`]): the first upload of a file stores
/// it and the next ones answer with that batch; the first void voids and the next one is refused
/// (422); creations answer 201; everything else 200.
fn allowed_status(method: &Method, path: &str, before: usize) -> StatusCode {
    match (method.as_str(), before) {
        ("POST", 0) if path.starts_with("/api/v1/imports?") => StatusCode::CREATED,
        ("POST", _) if path.starts_with("/api/v1/imports?") => StatusCode::OK,
        ("POST", 0) if path.ends_with("/void") => StatusCode::OK,
        ("POST", _) if path.ends_with("/void") => StatusCode::UNPROCESSABLE_ENTITY,
        ("POST", _) if path == "/api/v1/users" || path == "/api/v1/tokens" => StatusCode::CREATED,
        _ => StatusCode::OK,
    }
}
