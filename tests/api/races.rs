//! Uploads racing over HTTP, on SQLite and on PostgreSQL: the same file eight times at
//! once is one batch (every other answer the documented "already imported" one), and
//! eight different files of one lab at once all land whole.

use super::*;

/// Uploads at once.
const RACERS: usize = 10;

/// Rows of each generated file in the different-files race.
const ROWS: usize = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_file_racing_over_http_is_one_batch_on_sqlite() {
    same_file_race(&Server::start().await).await;
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_file_racing_over_http_is_one_batch_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    same_file_race(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn different_files_racing_over_http_all_land_on_sqlite() {
    different_files_race(&Server::start().await).await;
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn different_files_racing_over_http_all_land_on_postgres() {
    let Some(s) = Server::start_postgres().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    different_files_race(&s).await;
}

/// POSTs every body at once (each as `text/csv`), returning the answers in body order.
async fn race<S: Store>(s: &Server<S>, bodies: Vec<Vec<u8>>) -> Vec<(StatusCode, Value)> {
    let tech = s.token('A', Role::Technician);
    let uploads = bodies.into_iter().map(|body| {
        send(
            s.req(Method::POST, "/api/v1/imports?kind=inspections", Some(tech))
                .header("content-type", "text/csv")
                .body(body),
        )
    });
    futures_util::future::join_all(uploads).await
}

/// The lab's batches, as `GET /api/v1/imports` lists them.
async fn batches<S: Store>(s: &Server<S>) -> Vec<Value> {
    let (status, page) = s
        .get("/api/v1/imports?limit=100", s.token('A', Role::Reader))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().expect("items").clone()
}

/// The October 2023 `(instruments_inspected, inspections)` actuals.
async fn october<S: Store>(s: &Server<S>) -> (u64, u64) {
    let (status, a) = s
        .get(
            "/api/v1/achievement?period=2023-10",
            s.token('A', Role::Reader),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let actual = |m: &str| metric(&a, m)["actual"].as_u64().expect("actual");
    (actual("instruments_inspected"), actual("inspections"))
}

async fn same_file_race<S: Store>(s: &Server<S>) {
    let body = std::fs::read(fixture("demo/inspections-2023-10.csv")).expect("fixture");
    let answers = race(s, vec![body; RACERS]).await;
    for (status, batch) in &answers {
        assert!(
            *status == StatusCode::CREATED || *status == StatusCode::OK,
            "every upload is answered with the batch, none fails: {status} {batch}"
        );
    }
    let stored: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(stored.len(), 1, "exactly one upload stores: {answers:?}");
    let first = stored[0];
    assert_eq!(first["outcome"], "stored", "{first}");
    assert_eq!(
        (&first["rows"], &first["inserted"], &first["duplicates"]),
        (&json!(507), &json!(507), &json!(0)),
        "{first}"
    );
    let id = first["id"].as_i64().expect("batch id");
    for (status, batch) in answers.iter().filter(|(s, _)| *s == StatusCode::OK) {
        assert_eq!(batch["outcome"], "already_imported", "{status} {batch}");
        assert_eq!(batch["id"], id, "the existing batch: {batch}");
        assert_eq!(batch["sha256"], first["sha256"], "{batch}");
        assert_eq!(batch["inserted"], first["inserted"], "{batch}");
    }
    let listed = batches(s).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], id);
    // Stored exactly once: the figures of one import of the demo month.
    assert_eq!(october(s).await, (467, 497));
    let (_, all) = s
        .get("/api/v1/inspections?limit=1000", s.token('A', Role::Reader))
        .await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(507), "{all}");
    assert!(all["next_cursor"].is_null(), "{all}");
}

/// File `i` of the different-files race: the same [`ROWS`] water meters, verified on
/// its own October day, so the files share every instrument and no inspection.
fn day_file(i: usize) -> Vec<u8> {
    let mut csv = String::from("date,category,serial_number,kind,result,technician\n");
    for n in 0..ROWS {
        csv.push_str(&format!(
            "2023-09-{:02},DHN,RACE-{n:04},verification,pass,Nguyễn Văn An\n",
            16 + i
        ));
    }
    csv.into_bytes()
}

async fn different_files_race<S: Store>(s: &Server<S>) {
    let answers = race(s, (0..RACERS).map(day_file).collect()).await;
    let mut ids = Vec::new();
    for (status, batch) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{batch}");
        assert_eq!(batch["outcome"], "stored", "{batch}");
        assert_eq!(
            (&batch["rows"], &batch["inserted"], &batch["duplicates"]),
            (&json!(ROWS), &json!(ROWS), &json!(0)),
            "{batch}"
        );
        ids.push(batch["id"].as_i64().expect("batch id"));
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), RACERS, "a batch each: {ids:?}");
    assert_eq!(batches(s).await.len(), RACERS);
    // Every inspection once; every shared instrument once.
    assert_eq!(october(s).await, (ROWS as u64, (RACERS * ROWS) as u64));
}
