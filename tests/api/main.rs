//! End-to-end tests of the HTTP API: the real server on port 0, a real SQLite file, a
//! real HTTP client. Two labs; a token of every role in each. The acceptance path and
//! the role matrix run once more on PostgreSQL (`METROTRACK_TEST_POSTGRES_URL`; skipped,
//! saying so, without it).

#[path = "../web/a11y.rs"]
mod a11y;
mod acceptance;
mod amendments;
mod auth;
mod binary;
#[path = "../web/browser.rs"]
mod browser;
#[path = "../web/walk.rs"]
mod browser_walk;
mod busy;
mod categories;
mod demo;
mod document;
mod encodings;
mod errors;
mod evidence;
mod export;
mod languages;
mod limits;
mod metrics;
mod openapi;
mod paging;
mod races;
mod roles;
mod shutdown;
mod targets;
mod web;
mod web_forms;
mod web_pages;
mod web_records;
mod web_sessions;
mod workbook;
#[path = "../support/xlsx.rs"]
mod xlsx;

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
