//! The binary: `serve --demo`, `serve --max-upload-bytes`, and the account commands whose
//! tokens the server takes.

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

/// `serve --max-upload-bytes`: the API takes a log of exactly that many bytes and
/// refuses one byte more (declared or streamed) with 413, storing nothing.
#[tokio::test(flavor = "multi_thread")]
async fn serve_max_upload_bytes_bounds_the_api_upload() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("lab.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(["token", "create", "--name", "ci", "--role", "technician"])
        .env("METROTRACK_DATABASE_URL", &url)
        .env("METROTRACK_USER", "tester")
        .output()
        .expect("run");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let token = stdout.lines().last().expect("token").to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--max-upload-bytes",
            "4000",
        ])
        .env("METROTRACK_DATABASE_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Kept open: the server writes to it.
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("address line");
    let address = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address")
        .to_owned();
    let http = reqwest::Client::new();
    let upload = |body: reqwest::Body| {
        send(
            http.post(format!("{address}/api/v1/imports?kind=earthing"))
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body(body),
        )
    };
    let over = super::web::earthing_log(4001);
    let (status, declared) = upload(over.clone().into()).await;
    let streamed = futures_util::stream::iter(
        over.chunks(1000)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let (streamed_status, streamed) = upload(reqwest::Body::wrap_stream(streamed)).await;
    let (_, list) = send(
        http.get(format!("{address}/api/v1/imports"))
            .bearer_auth(&token),
    )
    .await;
    let (at_status, batch) = upload(super::web::earthing_log(4000).into()).await;
    let _ = child.kill();
    let _ = child.wait();
    for (status, body) in [(status, &declared), (streamed_status, &streamed)] {
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert_eq!(
            body["type"],
            "https://metrotrack.dev/problems/payload-too-large"
        );
        assert_eq!(
            body["detail"],
            "The upload is larger than the limit of 4000 bytes; nothing was stored."
        );
    }
    assert_eq!(list["items"], json!([]), "nothing stored");
    assert_eq!(at_status, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["size_bytes"], 4000);
    assert_eq!(batch["inserted"], 18);
}

/// `metrotrack serve | head -1`: a standard output closed before the server writes its
/// banner does not stop the server.
#[test]
fn serve_keeps_serving_when_its_standard_output_is_closed() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("sqlite://{}", dir.path().join("closed.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(["--database-url", &url, "serve", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let health = format!("http://127.0.0.1:{port}/healthz");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut answered = None;
    for _ in 0..300 {
        if let Ok(response) = runtime.block_on(reqwest::get(&health)) {
            answered = Some(response.status());
            break;
        }
        if child.try_wait().expect("poll").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let still_running = child.try_wait().expect("poll").is_none();
    let _ = child.kill();
    let status = child.wait().expect("wait");
    assert_eq!(
        answered,
        Some(StatusCode::OK),
        "the server exited: {status}"
    );
    assert!(still_running, "the server exited: {status}");
}

/// `metrotrack` run on `url` with `args`: (exit code, stdout, stderr).
fn metrotrack(url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(args)
        .env("METROTRACK_DATABASE_URL", url)
        .env("METROTRACK_USER", "tester")
        .output()
        .expect("run metrotrack");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `backup` while `serve` runs on the database, `restore` into a fresh database (whose
/// report is the original's) and `verify` with 0 differences; then damaged copies (a
/// tally, a batch count, a due date and a kept file changed by hand; a truncated file) are reported
/// with their differences and exit 1, never a panic; a non-empty database refuses a
/// restore.
#[tokio::test(flavor = "multi_thread")]
async fn backup_while_serving_restore_and_verify() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("dir");
    let path = |name: &str| dir.path().join(name);
    let url = format!("sqlite://{}", path("lab.db").display());
    for (kind, file) in [
        ("inspections", "demo/inspections-2023-10.csv"),
        ("earthing", "demo/earthing-2023-10.csv"),
    ] {
        let file = fixture(file);
        let (code, _, err) = metrotrack(&url, &["import", kind, file.to_str().expect("utf-8")]);
        assert_eq!(code, Some(0), "{err}");
    }
    let (code, _, err) = metrotrack(&url, &["batch", "void", "2", "--reason", "re-measured"]);
    assert_eq!(code, Some(0), "{err}");
    let report = |url: &str| {
        let (code, out, err) =
            metrotrack(url, &["report", "--period", "2023-10", "--format", "json"]);
        assert_eq!(code, Some(0), "{err}");
        out
    };
    let original = report(&url);

    let mut server = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("METROTRACK_DATABASE_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(server.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("address line");
    let address = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address")
        .to_owned();
    let health = reqwest::get(format!("{address}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    let copy = path("copy.db");
    let (code, out, err) = metrotrack(&url, &["backup", copy.to_str().expect("utf-8")]);
    let serving = reqwest::get(format!("{address}/healthz"))
        .await
        .expect("healthz");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("backup written"), "{out}");
    assert_eq!(serving.status(), StatusCode::OK, "still serving");
    // A backup never overwrites.
    let (code, _, err) = metrotrack(&url, &["backup", copy.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("exists already"), "{err}");

    // Verified, restored into a fresh database, verified again: the same report.
    let copy_url = format!("sqlite://{}", copy.display());
    for u in [&url, &copy_url] {
        let (code, out, err) = metrotrack(u, &["verify"]);
        assert_eq!(code, Some(0), "{out}{err}");
        assert!(out.contains("0 differences"), "{out}");
    }
    let fresh_url = format!("sqlite://{}", path("fresh.db").display());
    let (code, out, err) = metrotrack(&fresh_url, &["restore", copy.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("0 differences"), "{out}");
    assert_eq!(report(&fresh_url), original);
    let (code, out, _) = metrotrack(&fresh_url, &["verify"]);
    assert_eq!(code, Some(0), "{out}");
    // A database with records refuses a restore, and keeps them.
    let (code, _, err) = metrotrack(&url, &["restore", copy.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(report(&url), original);

    // Changed by hand: a tally, a batch's count, a due date.
    let damaged = path("damaged.db");
    std::fs::copy(&copy, &damaged).expect("copy");
    let damaged_url = format!("sqlite://{}", damaged.display());
    {
        let pool = sqlx::SqlitePool::connect(&damaged_url).await.expect("open");
        for sql in [
            "update inspection_tallies set inspections = inspections + 1
             where (lab_id, seg, category_code, prev_seg) in
                   (select lab_id, seg, category_code, prev_seg from inspection_tallies
                    where inspections > 0 order by seg limit 1)",
            "update import_batches set inserted = inserted + 1 where id = 1",
            "update instruments set due_on = '2099-01-01'
             where id = (select min(id) from instruments where due_on is not null)",
            "update import_file_parts
             set data = (select data from import_file_parts where batch_id = 2 and part = 0)
             where batch_id = 1 and part = 0",
        ] {
            sqlx::query(sql).execute(&pool).await.expect(sql);
        }
        pool.close().await;
    }
    let (code, out, err) = metrotrack(&damaged_url, &["verify"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    // The moved due date is also counted on the wrong day: two due-count differences.
    assert!(out.contains("6 differences"), "{out}");
    for expected in [
        "figures: lab 1, category ",
        "batch counts: batch 1 of lab 1 counts ",
        "due dates: instrument ",
        "is kept as due 2099-01-01; its records say 2025-09-15",
        "due counts: lab 1, due 2099-01-01: the kept count says 0 instruments; the instruments, 1",
        "kept files: batch 1 of lab 1: its kept file hashes to ",
    ] {
        assert!(out.contains(expected), "{expected:?} in {out}");
    }
    // A damaged backup is not restored.
    let (code, _, err) = metrotrack(
        &format!("sqlite://{}", path("fresh2.db").display()),
        &["restore", damaged.to_str().expect("utf-8")],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("does not verify"), "{err}");

    // Truncated: half the file.
    let truncated = path("truncated.db");
    let bytes = std::fs::read(&copy).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let (code, out, err) = metrotrack(&format!("sqlite://{}", truncated.display()), &["verify"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.contains("integrity: "), "{out}");
}

/// `serve --backup-dir DIR --backup-every 1s --backup-keep 2`: while the server runs,
/// a backup each second, never more than the newest two kept (older ones removed), each
/// a whole database that verifies with 0 differences; each one logged.
#[test]
fn serve_backs_up_on_a_schedule_keeping_the_newest() {
    use std::collections::BTreeSet;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("lab.db").display());
    let file = fixture("demo/earthing-2023-10.csv");
    let (code, _, err) = metrotrack(&url, &["import", "earthing", file.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{err}");
    let backups = dir.path().join("backups");
    let log = std::fs::File::create(dir.path().join("serve.log")).expect("log");
    let mut server = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(["serve", "--bind", "127.0.0.1:0", "--backup-every", "1s"])
        .args(["--backup-keep", "2", "--backup-dir"])
        .arg(&backups)
        .env("METROTRACK_DATABASE_URL", &url)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn");
    let whole = |dir: &std::path::Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| n.starts_with("metrotrack-") && n.ends_with(".db"))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Until four backups have been seen (a minute at most).
    let mut seen = BTreeSet::new();
    for _ in 0..600 {
        let now = whole(&backups);
        assert!(now.len() <= 2, "at most two kept: {now:?}");
        seen.extend(now);
        if seen.len() >= 4 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(seen.len() >= 4, "four backups in a minute: {seen:?}");
    let kept = whole(&backups);
    assert!(
        (1..=2).contains(&kept.len()) && !kept.contains(seen.iter().next().expect("first")),
        "the oldest are removed: kept {kept:?} of {seen:?}"
    );
    for name in &kept {
        let copy = format!("sqlite://{}", backups.join(name).display());
        let (code, out, err) = metrotrack(&copy, &["verify"]);
        assert_eq!(code, Some(0), "{name}: {out}{err}");
        assert!(out.contains("0 differences"), "{out}");
    }
    let logged = std::fs::read_to_string(dir.path().join("serve.log")).expect("log");
    assert!(logged.contains("backup written"), "{logged}");
    assert!(logged.contains("old backup removed"), "{logged}");
}
