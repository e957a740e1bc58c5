//! The binary: `serve --demo`, and the account commands whose tokens the server takes.

use super::*;

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

/// Users and tokens made by the command line; a token revoked there no longer opens the
/// API of a server on the same database.
#[tokio::test(flavor = "multi_thread")]
async fn cli_creates_users_and_tokens() {
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
    // The token opens the API of a server on the same database until it is revoked.
    let store = SqliteStore::connect(&url).await.expect("connect");
    let s = Server::launch(store, Box::new(()), ApiConfig::default()).await;
    let (status, _) = s.get("/api/v1/imports", token).await;
    assert_eq!(status, StatusCode::OK);
    run(&["token", "revoke", "1"]);
    let (status, body) = s.get("/api/v1/imports", token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        run(&["token", "list"])
            .lines()
            .nth(1)
            .is_some_and(|l| !l.ends_with("\t-"))
    );
}
