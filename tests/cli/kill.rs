//! A process killed (SIGKILL) in the middle of a large import, on both backends.

use std::time::{Duration, Instant};

use metrotrack_store::postgres::testing::fresh_database;
use sqlx::Connection as _;

use super::process::{Metrotrack, spawn_import, write_log};

/// Rows in the large file of the crash tests.
const LARGE: u64 = 200_000;

/// Starts importing a large generated file, waits until `started` says the batch is
/// being written, kills the process (SIGKILL) while it still runs, and checks that the
/// database holds all of the file or none of it.
fn kill_mid_import(m: &Metrotrack, started: impl Fn() -> bool) {
    m.ok(&["migrate"]);
    let file = m.dir.path().join("large.csv");
    write_log(&file, LARGE, 0, "01/10/2023", false);
    let mut child = spawn_import(m, &file);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started() {
        assert!(
            Instant::now() < deadline,
            "the import never started writing"
        );
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the import ended before it was seen writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the import finished before it could be killed: make the file larger"
    );
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success());
    let stored = m.actual("2023-10", "calendar", "inspections");
    assert!(
        stored == 0 || stored == LARGE,
        "a killed import left {stored} of {LARGE} rows"
    );
    // Whatever was left, the same file imports whole afterwards.
    let batch = m.import("inspections", &file);
    assert!(
        batch["outcome"] == "stored" || batch["outcome"] == "already_imported",
        "{batch}"
    );
    assert_eq!(m.actual("2023-10", "calendar", "inspections"), LARGE);
}

#[test]
fn killing_an_import_on_sqlite_leaves_all_or_nothing() {
    let m = Metrotrack::sqlite();
    let wal = m.dir.path().join("lab.db-wal");
    // The batch is being written once the write-ahead log grows past a few pages.
    kill_mid_import(&m, || {
        std::fs::metadata(&wal).is_ok_and(|meta| meta.len() > 1024 * 1024)
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_an_import_on_postgres_leaves_all_or_nothing() {
    let Some((_db, url)) = fresh_database().await else {
        return;
    };
    let m = Metrotrack::new(url.clone());
    // The batch is being written once its transaction holds the lab's import lock.
    let handle = tokio::runtime::Handle::current();
    let started = move || {
        let url = url.clone();
        tokio::task::block_in_place(|| {
            handle.block_on(async move {
                let Ok(mut conn) = sqlx::PgConnection::connect(&url).await else {
                    return false;
                };
                let held: i64 = sqlx::query_scalar(
                    "select count(*) from pg_locks l join pg_database d on d.oid = l.database
                 where l.locktype = 'advisory' and d.datname = current_database()",
                )
                .fetch_one(&mut conn)
                .await
                .unwrap_or(0);
                let _ = conn.close().await;
                held > 0
            })
        })
    };
    tokio::task::block_in_place(|| kill_mid_import(&m, started));
}
