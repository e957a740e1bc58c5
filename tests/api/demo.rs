//! The demo month as `metrotrack serve --demo` seeds it, read through the API: the one
//! earthing point whose resistance rose between two tests is the one flagged.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_flags_the_one_earthing_point_that_rose() {
    let dir = tempfile::tempdir().expect("dir");
    // Where the demo makes its temporary database.
    let tmp = tempfile::tempdir().expect("tmp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("TMPDIR", tmp.path())
        .env_remove("METROTRACK_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut address = None;
    let mut token = None;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(a) = line.strip_prefix("metrotrack is serving ") {
            address = Some(a.trim().to_owned());
        }
        if line.starts_with("mt_") {
            token = Some(line.trim().to_owned());
            break;
        }
    }
    let (address, token) = (address.expect("address"), token.expect("token"));
    let http = reqwest::Client::new();
    let get = |path: String| send(http.get(format!("{address}{path}")).bearer_auth(&token));
    let (status, points) = get("/api/v1/earthing-points?limit=1000".to_owned()).await;
    assert_eq!(status, StatusCode::OK, "{points}");
    let points = points["items"].as_array().expect("items").clone();
    // 16 points: 18 tests, two points tested twice.
    assert_eq!(points.len(), 16, "{points:?}");
    let mut tests = Vec::new();
    for point in &points {
        let (status, history) = get(format!("/api/v1/earthing-points/{}", point["id"])).await;
        assert_eq!(status, StatusCode::OK, "{history}");
        for t in history["tests"].as_array().expect("tests") {
            tests.push((
                t["site"].as_str().expect("site").to_owned(),
                t["point_code"].as_str().expect("code").to_owned(),
                t["tested_on"].as_str().expect("date").to_owned(),
                t["resistance_ohm"].as_str().expect("ohms").to_owned(),
                t["rose"]
                    .as_bool()
                    .expect("every test in a history says whether it rose"),
            ));
        }
    }
    assert!(
        std::fs::read_dir(tmp.path()).expect("tmp").count() > 0,
        "the demo database lives under TMPDIR while the server runs"
    );
    // Stopped as a service manager or Ctrl-C stops it: the demo database goes with it.
    drop(http);
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(stopped.success());
    let mut status = None;
    for _ in 0..600 {
        status = child.try_wait().expect("wait");
        if status.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let Some(status) = status else {
        let _ = child.kill();
        panic!("serve --demo did not stop within a minute of SIGTERM");
    };
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("tmp")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(left.is_empty(), "the demo database is removed: {left:?}");
    assert_eq!(tests.len(), 18);
    let rose: Vec<_> = tests.iter().filter(|t| t.4).collect();
    // Lê Quý Đôn's point Đ1: 4.15 Ω on 15/09, 4.60 Ω on 11/10.
    assert_eq!(
        rose,
        [&(
            "Trường THPT Lê Quý Đôn".to_owned(),
            "Đ1".to_owned(),
            "2023-10-11".to_owned(),
            "4.60".to_owned(),
            true
        )],
        "exactly one test rose over the one before it"
    );
    // The other point tested twice fell (2.85 Ω, then 2.60 Ω): not flagged.
    let mut dong_ha: Vec<_> = tests
        .iter()
        .filter(|t| t.0 == "Trạm biến áp 110kV Đông Hà" && t.1 == "AT-01")
        .map(|t| (t.2.as_str(), t.3.as_str(), t.4))
        .collect();
    dong_ha.sort_unstable();
    assert_eq!(
        dong_ha,
        [("2023-09-19", "2.85", false), ("2023-10-12", "2.60", false)]
    );
    // The rising point's first test has nothing before it.
    assert!(tests.contains(&(
        "Trường THPT Lê Quý Đôn".to_owned(),
        "Đ1".to_owned(),
        "2023-09-15".to_owned(),
        "4.15".to_owned(),
        false
    )));
}
