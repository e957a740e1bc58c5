//! The server under uploads that stall, race or are abandoned, on SQLite and on
//! PostgreSQL: stalled uploads hold no database lock, so reads, sign-ins, plan changes and
//! other uploads go on; a void finishes whole however its client leaves.

use std::time::Duration;

use metrotrack_api::auth::hash_password;
use metrotrack_store::accounts::NewUser;
use metrotrack_store::records::InspectionFilter;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::*;

/// Uploads left stalled at once.
const STALLED: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stalled_uploads_block_no_read_sign_in_plan_or_upload_on_sqlite() {
    stalled_uploads_block_nothing(&Server::start().await).await;
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stalled_uploads_block_no_read_sign_in_plan_or_upload_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    stalled_uploads_block_nothing(&s).await;
}

/// Opens an upload whose chunked body sends its header and two rows, then stays open
/// without ending: the connection is returned so that it stays that way.
async fn stalled_upload<S: Store>(s: &Server<S>, n: usize) -> TcpStream {
    let address = s.base.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).await.expect("connect");
    let rows = format!(
        "date,category,serial_number,kind,result,technician\n\
         2023-10-02,DHN,STALL-{n}-1,verification,pass,An\n\
         2023-10-02,DHN,STALL-{n}-2,verification,pass,An\n"
    );
    let head = format!(
        "POST /api/v1/imports?kind=inspections HTTP/1.1\r\nhost: localhost\r\n\
         authorization: Bearer {}\r\ncontent-type: text/csv\r\n\
         transfer-encoding: chunked\r\n\r\n{:x}\r\n{rows}\r\n",
        s.token('A', Role::Technician),
        rows.len()
    );
    socket.write_all(head.as_bytes()).await.expect("send");
    socket.flush().await.expect("flush");
    socket
}

async fn stalled_uploads_block_nothing<S: Store>(s: &Server<S>) {
    let password = "a long enough password";
    s.store
        .create_user(
            s.lab_a,
            &NewUser {
                username: "sam".to_owned(),
                password_hash: hash_password(password).expect("hash"),
                role: Role::Supervisor,
            },
            "test",
        )
        .await
        .expect("user");
    let mut stalled = Vec::new();
    for n in 0..STALLED {
        stalled.push(stalled_upload(s, n).await);
    }
    // Let the server take in what was sent (before, each upload held the database).
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A read.
    let (status, figures) = s
        .get(
            "/api/v1/achievement?period=2023-10",
            s.token('A', Role::Reader),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    // A sign-in with a password.
    let (status, page) = send(
        s.http
            .get(format!("{}/api/v1/imports", s.base))
            .basic_auth("sam", Some(password)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // A plan change.
    let supervisor = s.token('A', Role::Supervisor);
    assert_eq!(
        s.set_plan(supervisor, "2023-10", "instruments_inspected", 402)
            .await,
        StatusCode::OK
    );
    // Another upload stores its file.
    let (status, batch) = s
        .upload(
            s.token('A', Role::Technician),
            "earthing",
            "demo/earthing-2023-10.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["inserted"], 18, "{batch}");

    // The stalled uploads give up with their clients: nothing of them is stored.
    drop(stalled);
    let (status, list) = s
        .get("/api/v1/imports?limit=100", s.token('A', Role::Reader))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "only the whole upload is a batch: {list}");
    let (_, found) = s
        .get("/api/v1/instruments?limit=1000", s.token('A', Role::Reader))
        .await;
    assert!(!found.to_string().contains("STALL-"), "{found}");
}

/// Inspections of `rows` water meters, one a row.
fn meters(rows: usize) -> Vec<u8> {
    let mut csv = String::from("date,category,serial_number,kind,result,technician\n");
    for n in 0..rows {
        csv.push_str(&format!(
            "2023-10-03,DHN,VOID-{n:06},verification,pass,Nguyễn Văn An\n"
        ));
    }
    csv.into_bytes()
}

/// A void is a long write: it has the upload's long timeout, not the request timeout,
/// and a client that sends it and leaves at once does not cut it short.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_void_finishes_whole_under_a_short_timeout_and_when_its_client_leaves() {
    let s = Server::start_with(ApiConfig {
        request_timeout: Duration::from_millis(1),
        ..ApiConfig::default()
    })
    .await;
    let rows = 20_000;
    let upload = |body: Vec<u8>| {
        send(
            s.req(
                Method::POST,
                "/api/v1/imports?kind=inspections",
                Some(s.token('A', Role::Technician)),
            )
            .header("content-type", "text/csv")
            .body(body),
        )
    };
    let (status, batch) = upload(meters(rows)).await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let id = batch["id"].as_i64().expect("id");

    // Over the API with a 1 ms request timeout: voided, not 408.
    let void = |id: i64| {
        send(
            s.req(
                Method::POST,
                &format!("/api/v1/imports/{id}/void"),
                Some(s.token('A', Role::Supervisor)),
            )
            .json(&json!({"reason": "wrong month"})),
        )
    };
    let (status, voided) = void(id).await;
    assert_eq!(status, StatusCode::OK, "{voided}");
    assert_eq!(voided["void_reason"], "wrong month", "{voided}");
    let stored = s.store.batch(s.lab_a, id).await.expect("batch");
    assert!(stored.voided_at.is_some());

    // Restored (also a long write), then voided by a client that leaves at once.
    let (status, restored) = send(s.req(
        Method::POST,
        &format!("/api/v1/imports/{id}/restore"),
        Some(s.token('A', Role::Supervisor)),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    let body = r#"{"reason": "left at once"}"#;
    let head = format!(
        "POST /api/v1/imports/{id}/void HTTP/1.1\r\nhost: localhost\r\n\
         authorization: Bearer {}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        s.token('A', Role::Supervisor),
        body.len()
    );
    let mut socket = TcpStream::connect(s.base.trim_start_matches("http://"))
        .await
        .expect("connect");
    socket.write_all(head.as_bytes()).await.expect("send");
    socket.shutdown().await.expect("shutdown");
    drop(socket);
    // The void goes on without its client: wait for it (a minute at most).
    let mut voided = None;
    for _ in 0..600 {
        let batch = s.store.batch(s.lab_a, id).await.expect("batch");
        if batch.voided_at.is_some() {
            voided = Some(batch);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let voided = voided.expect("the void finished without its client");
    assert_eq!(voided.void_reason.as_deref(), Some("left at once"));
    // Whole: none of the batch's inspections is live any more, every one is kept voided.
    let live = s
        .store
        .count_inspections(s.lab_a, &InspectionFilter::default())
        .await
        .expect("count");
    assert_eq!(live, 0);
    let kept = InspectionFilter {
        include_voided: true,
        ..InspectionFilter::default()
    };
    let all = s
        .store
        .count_inspections(s.lab_a, &kept)
        .await
        .expect("count");
    assert_eq!(all, rows as u64);
}
