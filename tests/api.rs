//! End-to-end tests of the HTTP API: the real server on port 0, a real SQLite file, a
//! real HTTP client. Two labs; a token of every role in each. The acceptance path and
//! the role matrix run once more on PostgreSQL (`METROTRACK_TEST_POSTGRES_URL`; skipped,
//! saying so, without it).

#[path = "web/browser.rs"]
mod browser;

use std::collections::HashMap;
use std::path::PathBuf;

use metrotrack_api::auth::{generate_token, hash_token};
use metrotrack_api::{ApiConfig, AppState};
use metrotrack_core::LabId;
use metrotrack_store::accounts::{NewToken, Role};
use metrotrack_store::postgres::testing::fresh_database;
use metrotrack_store::{PgStore, SqliteStore, Store};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// A running server on a fresh database (SQLite unless said otherwise) with two labs
/// (`default` = A, `lab-b` = B) and a token per role.
struct Server<S: Store = SqliteStore> {
    base: String,
    store: S,
    lab_a: LabId,
    tokens: HashMap<(char, Role), String>,
    http: reqwest::Client,
    /// What must outlive the store: its temporary directory or throwaway database.
    _database: Box<dyn std::any::Any + Send + Sync>,
}

impl Server {
    async fn start() -> Self {
        Self::start_with(ApiConfig::default()).await
    }

    async fn start_with(config: ApiConfig) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("api.db").display());
        let store = SqliteStore::connect(&url).await.expect("connect");
        Server::launch(store, Box::new(dir), config).await
    }
}

impl Server<PgStore> {
    /// The server on a new PostgreSQL database, or `None` (saying the test is skipped)
    /// without `METROTRACK_TEST_POSTGRES_URL`.
    async fn start_postgres() -> Option<Self> {
        let (database, url) = fresh_database().await?;
        let store = PgStore::connect(&url).await.expect("connect");
        Some(Server::launch(store, Box::new(database), ApiConfig::default()).await)
    }
}

impl<S: Store> Server<S> {
    async fn launch(
        store: S,
        database: Box<dyn std::any::Any + Send + Sync>,
        config: ApiConfig,
    ) -> Self {
        store.migrate().await.expect("migrate");
        let lab_a = store.default_lab().await.expect("lab A");
        let lab_b = store
            .create_lab("lab-b", "Lab B", "test")
            .await
            .expect("lab B")
            .id;
        let mut tokens = HashMap::new();
        for (name, lab) in [('A', lab_a), ('B', lab_b)] {
            for role in Role::ALL {
                let token = generate_token().expect("token");
                store
                    .create_token(
                        lab,
                        &NewToken {
                            name: format!("{name}-{role}"),
                            role,
                            user_id: None,
                            token_hash: hash_token(&token),
                        },
                        "test",
                    )
                    .await
                    .expect("create token");
                tokens.insert((name, role), token);
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let router = metrotrack_api::router(AppState::new(store.clone(), config));
        tokio::spawn(metrotrack_api::serve(
            listener,
            router,
            std::future::pending(),
        ));
        Self {
            base,
            store,
            lab_a,
            tokens,
            http: reqwest::Client::new(),
            _database: database,
        }
    }

    fn token(&self, lab: char, role: Role) -> &str {
        &self.tokens[&(lab, role)]
    }

    fn req(&self, method: Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        send(self.req(Method::GET, path, Some(token))).await
    }

    async fn upload(
        &self,
        token: &str,
        kind: &str,
        file: &str,
        query: &str,
    ) -> (StatusCode, Value) {
        let body = std::fs::read(fixture(file)).expect("fixture");
        send(
            self.req(
                Method::POST,
                &format!("/api/v1/imports?kind={kind}{query}"),
                Some(token),
            )
            .header("content-type", "text/csv")
            .body(body),
        )
        .await
    }

    async fn set_plan(&self, token: &str, period: &str, metric: &str, target: u64) -> StatusCode {
        send(
            self.req(
                Method::PUT,
                &format!("/api/v1/plans/{period}/{metric}"),
                Some(token),
            )
            .json(&json!({"target": target, "category": null})),
        )
        .await
        .0
    }
}

async fn send(r: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = r.send().await.expect("request");
    let status = response.status();
    let problem = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    let text = response.text().await.expect("body");
    if status.is_client_error() || status.is_server_error() {
        assert!(problem, "an error is problem+json: {status} {text}");
    }
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

fn metric<'a>(achievement: &'a Value, name: &str) -> &'a Value {
    achievement["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["metric"] == name && m["category"].is_null())
        .expect("metric present")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_acceptance_path() {
    acceptance_path(&Server::start().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_acceptance_path_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        return;
    };
    acceptance_path(&s).await;
}

/// A technician uploads the October logs (201, again 200, an impossible date 422 and
/// nothing stored), a supervisor sets the plans, a reader reads 467 / 116 % and
/// 13 / 130 %; lab B sees nothing of it.
async fn acceptance_path<S: Store>(s: &Server<S>) {
    let tech = s.token('A', Role::Technician);
    let reader = s.token('A', Role::Reader);
    let supervisor = s.token('A', Role::Supervisor);

    // No token: 401, problem+json.
    let (status, body) = send(s.req(Method::GET, "/api/v1/imports", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["type"], "https://metrotrack.dev/problems/unauthorized");

    // A reader may not upload. (A small file: a refused upload is answered before its
    // body is read, and a client still writing a large body sees the connection close.)
    let (status, _) = s.upload(reader, "inspections", "edge/twice.csv", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The Excel-shaped log: 201, then the same file again: 200, same batch, nothing new.
    let (status, first) = s
        .upload(
            tech,
            "inspections",
            "demo/inspections-2023-10.excel-vi.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(first["inserted"].as_u64().expect("inserted") > 400);
    let (status, again) = s
        .upload(
            tech,
            "inspections",
            "demo/inspections-2023-10.excel-vi.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["outcome"], "already_imported");

    // The earthing log as a multipart form.
    let bytes = std::fs::read(fixture("demo/earthing-2023-10.excel-vi.csv")).expect("fixture");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("earthing-2023-10.excel-vi.csv"),
    );
    let (status, earthing) = send(
        s.req(Method::POST, "/api/v1/imports?kind=earthing", Some(tech))
            .multipart(form),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{earthing}");
    assert_eq!(earthing["file_name"], "earthing-2023-10.excel-vi.csv");

    // One impossible date: 422 with line 3, nothing stored.
    let (status, refused) = s
        .upload(tech, "inspections", "bad/impossible-date.csv", "")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused["type"],
        "https://metrotrack.dev/problems/import-refused"
    );
    let problems = refused["problems"].as_array().expect("problems");
    assert!(problems.iter().any(|p| p["line"] == 3), "{refused}");
    assert!(refused["batch"]["id"].is_null());
    let (_, list) = s.get("/api/v1/imports", reader).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");

    // Plans: a technician may not, a supervisor may.
    assert_eq!(
        s.set_plan(tech, "2023-10", "instruments_inspected", 402)
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.set_plan(supervisor, "2023-10", "instruments_inspected", 402)
            .await,
        StatusCode::OK
    );
    assert_eq!(
        s.set_plan(supervisor, "2023-10", "earthing_points_measured", 10)
            .await,
        StatusCode::OK
    );

    // A reader reads the month's figures: 467 / 116 %, 13 / 130 %.
    let (status, a) = s.get("/api/v1/achievement?period=2023-10", reader).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(
        a["period"],
        json!({"label": "2023-10", "scheme": "decree09", "start": "2023-09-15", "end": "2023-10-14"})
    );
    assert_eq!(
        metric(&a, "instruments_inspected"),
        &json!({"metric": "instruments_inspected", "category": null, "actual": 467,
                "target": 402, "ratio": 1.1617, "percent": 116, "status": "achieved"})
    );
    let points = metric(&a, "earthing_points_measured");
    assert_eq!(
        (points["actual"].as_u64(), points["percent"].as_u64()),
        (Some(13), Some(130))
    );

    // The report text, and the year.
    let response = s
        .req(
            Method::GET,
            "/api/v1/reports/2023-10?format=text&lang=vi",
            Some(reader),
        )
        .send()
        .await
        .expect("report");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain")
    );
    let text = response.text().await.expect("text");
    assert!(
        text.contains("kiểm định được 467 PTĐ các loại (Đạt 116%"),
        "{text}"
    );
    let (status, year) = s
        .get("/api/v1/achievement?year=2023&as_of=2023-12-31", reader)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(year["months"].as_array().map(Vec::len), Some(12));

    // Lab B sees none of it; naming lab A is refused; a national account may read it.
    let b_reader = s.token('B', Role::Reader);
    let (_, b_list) = s.get("/api/v1/imports", b_reader).await;
    assert_eq!(b_list["items"], json!([]));
    let (_, b_instruments) = s.get("/api/v1/instruments", b_reader).await;
    assert_eq!(b_instruments["items"], json!([]));
    let id = first["id"].as_i64().expect("id");
    let (status, _) = s.get(&format!("/api/v1/imports/{id}"), b_reader).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get("/api/v1/imports?lab=default", b_reader).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, b_a) = s.get("/api/v1/achievement?period=2023-10", b_reader).await;
    assert_eq!(metric(&b_a, "instruments_inspected")["actual"], 0);
    let national = s.token('B', Role::National);
    let (status, n) = s
        .get("/api/v1/achievement?period=2023-10&lab=default", national)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(metric(&n, "instruments_inspected")["actual"], 467);

    // Records and their evidence.
    let (_, inspections) = s
        .get(
            "/api/v1/inspections?period=2023-10&kind=verification&result=fail&limit=5",
            reader,
        )
        .await;
    let item = &inspections["items"][0];
    assert_eq!(item["result"], "fail");
    // The observations as the log wrote them, under its own headers.
    assert_eq!(item["original"]["Kết quả"], "Không đạt", "{item}");
    assert_eq!(item["batch_id"], first["id"]);
    assert!(item["source_line"].as_i64().is_some());
    let (status, one) = s
        .get(
            &format!("/api/v1/instruments/{}", item["instrument_id"]),
            reader,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!one["inspections"].as_array().expect("history").is_empty());
    let (_, over) = s
        .get("/api/v1/earthing-points?over_limit=true", reader)
        .await;
    assert_eq!(over["items"].as_array().map(Vec::len), Some(1), "{over}");
    let (status, point) = s
        .get(
            &format!("/api/v1/earthing-points/{}", over["items"][0]["id"]),
            reader,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(point["tests"][0]["rose"].is_boolean(), "{point}");
    let (_, due) = s
        .get("/api/v1/due?within=30&as_of=2024-10-01", reader)
        .await;
    assert!(due["items"].as_array().is_some_and(|i| !i.is_empty()));
    // A page at a time: two pages of 2 are the first 4 entries, in order.
    let (_, page1) = s
        .get("/api/v1/due?within=30&as_of=2024-10-01&limit=2", reader)
        .await;
    let cursor = page1["next_cursor"].as_str().expect("a next page");
    let (_, page2) = s
        .get(
            &format!("/api/v1/due?within=30&as_of=2024-10-01&limit=2&cursor={cursor}"),
            reader,
        )
        .await;
    let ids = |v: &Value| -> Vec<Value> {
        v["items"]
            .as_array()
            .map(|i| i.iter().map(|e| e["instrument_id"].clone()).collect())
            .unwrap_or_default()
    };
    let paged: Vec<Value> = ids(&page1).into_iter().chain(ids(&page2)).collect();
    assert_eq!(paged, ids(&due)[..4].to_vec(), "{page1} {page2}");
    let (status, _) = s.get("/api/v1/due?cursor=bm9wZQ", reader).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Every write is in the audit log.
    let (_, audit) = s.get("/api/v1/audit?limit=100", supervisor).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"plan.set"), "{actions:?}");
    assert!(actions.contains(&"token.create"), "{actions:?}");
}

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
    assert!(seen.len() > 467);
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

/// Every route, every role of lab A, and no token: who may and who may not.
#[tokio::test(flavor = "multi_thread")]
async fn role_matrix() {
    every_route_for_every_role(&Server::start().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn role_matrix_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        return;
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
                assert!(
                    status.is_success() || status == StatusCode::UNPROCESSABLE_ENTITY,
                    "{role} should be allowed {method} {path}: {status} {answer}"
                );
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

#[tokio::test(flavor = "multi_thread")]
async fn tokens_passwords_and_throttling() {
    let s = Server::start().await;
    let admin = s.token('A', Role::Admin);
    // A token made over the API works, then fails at once when revoked.
    let (status, created) = send(
        s.req(Method::POST, "/api/v1/tokens", Some(admin))
            .json(&json!({"name": "script", "role": "reader"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("mt_"));
    let (status, _) = s.get("/api/v1/categories", &token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, listed) = s.get("/api/v1/tokens", admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !listed.to_string().contains(&token),
        "tokens are never listed"
    );
    let id = created["info"]["id"].as_i64().expect("id");
    let (status, _) = send(s.req(
        Method::POST,
        &format!("/api/v1/tokens/{id}/revoke"),
        Some(admin),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, revoked_body) = s.get("/api/v1/categories", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, unknown_body) = s.get("/api/v1/categories", "mt_nonsense").await;
    assert_eq!(
        revoked_body, unknown_body,
        "the same answer whatever the cause"
    );
    // National accounts are not given over the API.
    let (status, _) = send(
        s.req(Method::POST, "/api/v1/tokens", Some(admin))
            .json(&json!({"name": "n", "role": "national"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A user signs in with HTTP Basic; a wrong password and an unknown user read alike.
    let (status, user) = send(s.req(Method::POST, "/api/v1/users", Some(admin)).json(
        &json!({"username": "ann", "role": "technician", "password": "correct horse battery"}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let basic = |u: &str, p: &str| {
        s.http
            .get(format!("{}/api/v1/imports", s.base))
            .basic_auth(u, Some(p))
    };
    assert_eq!(
        send(basic("ann", "correct horse battery")).await.0,
        StatusCode::OK
    );
    let (status, wrong) = send(basic("ann", "wrong password!")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, nobody) = send(basic("nobody", "wrong password!")).await;
    assert_eq!(wrong, nobody);
    let (status, _) = send(
        s.req(Method::POST, "/api/v1/users", Some(admin))
            .json(&json!({"username": "ann", "role": "reader"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Repeated failures from one address are throttled.
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = s.get("/api/v1/imports", "mt_guess").await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // ... which does not lock out a valid token from the same address.
    assert_eq!(s.get("/api/v1/imports", admin).await.0, StatusCode::OK);
    // A username that keeps failing is refused before its password is checked.
    for _ in 0..10 {
        let _ = send(basic("ann", "guess guess guess")).await;
    }
    assert_eq!(
        send(basic("ann", "correct horse battery")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

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
            .json(&json!({"target": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
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

#[test]
fn serve_demo_prints_a_sign_in_and_serves_the_month() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("METROTRACK_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("mt_"))
        .chain(std::iter::once(String::new()))
        .collect();
    let all = lines.join("\n");
    // Read the token line (the last one printed) separately: take_while stopped at it.
    let address = all
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address")
        .to_owned();
    assert!(
        all.contains("sign in as supervisor: username demo-supervisor  password "),
        "{all}"
    );
    let password = all
        .split("password ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("password")
        .to_owned();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let body: Value = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{address}/api/v1/achievement?period=2023-10"))
            .basic_auth("demo-supervisor", Some(password))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(metric(&body, "instruments_inspected")["percent"], 116);
    assert_eq!(metric(&body, "earthing_points_measured")["percent"], 130);
}

#[test]
fn cli_creates_users_and_tokens() {
    use std::process::Command;
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("lab.db").display());
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
            .args(args)
            .env("METROTRACK_DATABASE_URL", &url)
            .env("METROTRACK_USER", "tester")
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let user = run(&["user", "create", "ann", "--role", "supervisor"]);
    assert!(user.contains("password (shown once)"), "{user}");
    let out = run(&[
        "token",
        "create",
        "--name",
        "ci",
        "--role",
        "reader",
        "--for-user",
        "ann",
    ]);
    let token = out.lines().last().expect("last line");
    assert!(token.starts_with("mt_") && token.len() == 67, "{out}");
    let list = run(&["token", "list"]);
    assert!(list.contains("ci\treader\tann"), "{list}");
    assert!(!list.contains(token));
    run(&["token", "revoke", "1"]);
    assert!(
        run(&["token", "list"])
            .lines()
            .nth(1)
            .is_some_and(|l| !l.ends_with("\t-"))
    );
}
