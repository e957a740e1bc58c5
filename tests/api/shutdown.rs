//! `metrotrack serve` (the real binary, on a SQLite file) stopped by SIGTERM while an
//! upload streams in: it exits 0, the upload is stored whole or not at all, and the
//! database opens and reads afterwards.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// Rows of the upload in flight.
const ROWS: usize = 40_000;

/// The upload's body: `ROWS` passed verifications of distinct water meters in October
/// 2023, cut into pieces of 64 KiB.
fn pieces() -> Vec<Vec<u8>> {
    let mut csv = String::from("date,category,serial_number,kind,result,technician\n");
    for n in 0..ROWS {
        csv.push_str(&format!(
            "2023-10-02,DHN,TERM-{n:06},verification,pass,Nguyễn Văn An\n"
        ));
    }
    csv.into_bytes()
        .chunks(64 * 1024)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Runs a command of the binary on `url`, insisting on success; returns stdout.
fn metrotrack(url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(args)
        .env("METROTRACK_DATABASE_URL", url)
        .env("METROTRACK_USER", "tester")
        .output()
        .expect("run metrotrack");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Starts `metrotrack serve` on `url` and port 0; returns the child and its address.
fn serve(url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("METROTRACK_DATABASE_URL", url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn metrotrack serve");
    let stdout = child.stdout.take().expect("stdout");
    // Read the address, then keep reading: the server writes more, and a closed pipe
    // would stop it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(a) = line.strip_prefix("metrotrack is serving ") {
                let _ = tx.send(a.trim().to_owned());
            }
        }
    });
    let address = rx.recv().expect("the address line");
    (child, address)
}

/// Waits (at most a minute) for the child to exit, and returns its exit code.
fn exit_code(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("metrotrack serve did not exit within a minute of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly_with_an_upload_in_flight() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("lab.db").display());
    let token = metrotrack(
        &url,
        &["token", "create", "--name", "t", "--role", "technician"],
    )
    .lines()
    .last()
    .expect("the token line")
    .to_owned();
    let (mut child, address) = serve(&url);

    // The upload starts: headers and the first piece of the body are sent.
    let mut pieces = pieces().into_iter();
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|piece| (Ok::<_, std::io::Error>(piece), rx))
    });
    let upload = tokio::spawn(
        reqwest::Client::new()
            .post(format!("{address}/api/v1/imports?kind=inspections"))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    );
    tx.send(pieces.next().expect("a first piece"))
        .await
        .expect("the first piece sent");
    tokio::time::sleep(Duration::from_millis(500)).await;

    // SIGTERM while the rest of the body is still to come.
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    for piece in pieces {
        if tx.send(piece).await.is_err() {
            break;
        }
    }
    drop(tx);
    let answer = upload.await.expect("the upload task");

    let code = tokio::task::block_in_place(|| exit_code(&mut child));
    assert_eq!(code, Some(0), "SIGTERM is a clean stop");

    // Whole or nothing: what the answer said is what the database holds.
    let stored = match answer {
        Ok(response) if response.status() == StatusCode::CREATED => {
            let batch: Value = response.json().await.expect("batch JSON");
            assert_eq!(batch["inserted"], ROWS, "{batch}");
            ROWS as u64
        }
        Ok(response) => {
            let status = response.status();
            assert!(
                !status.is_success(),
                "{status}: {}",
                response.text().await.unwrap_or_default()
            );
            0
        }
        Err(_) => 0,
    };
    let batches: Value =
        serde_json::from_str(&metrotrack(&url, &["batch", "list", "--format", "json"]))
            .expect("batch list JSON");
    let batches = batches.as_array().expect("array");
    assert_eq!(batches.len() as u64, stored / ROWS as u64, "{batches:?}");
    // The database opens and reads: the figures are the upload's or nothing.
    let report: Value = serde_json::from_str(&metrotrack(
        &url,
        &[
            "report", "--period", "2023-10", "--scheme", "calendar", "--format", "json",
        ],
    ))
    .expect("report JSON");
    assert_eq!(metric(&report, "inspections")["actual"], stored, "{report}");
    let store = SqliteStore::connect(&url).await.expect("reopen");
    let listed = store
        .inspections(
            store.default_lab().await.expect("lab"),
            &Default::default(),
            metrotrack_store::records::Page::first(1),
        )
        .await
        .expect("inspections read");
    assert_eq!(listed.len(), usize::from(stored > 0));
}
