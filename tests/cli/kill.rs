//! A process killed (SIGKILL) in the middle of a large import, on both backends.

use std::time::{Duration, Instant};

use metrotrack_store::postgres::testing::fresh_database;
use sqlx::Connection as _;

use super::process::{Metrotrack, spawn_import, write_log};

/// Rows in the large file of the crash tests.
const LARGE: u64 = 200_000;

/// How a kill landed.
#[derive(Debug, PartialEq)]
enum Kill {
    /// While the batch was still invisible: the database was checked to hold nothing.
    BeforeCommit,
    /// The batch was visible (or the import over) before the kill: try again.
    TooLate,
}

/// Starts importing a large generated file, waits until `started` says the batch is
/// being written, and kills the process (SIGKILL) only while it still runs and its batch
/// is still invisible. Then exactly nothing of the file may be stored, and the same file
/// imports whole afterwards.
fn kill_mid_import(m: &Metrotrack, started: impl Fn() -> bool) -> Kill {
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
    // Kill only while the batch is invisible to a reader and the import still runs.
    let invisible = m.actual("2023-10", "calendar", "inspections") == 0;
    let running = child.try_wait().expect("try_wait").is_none();
    if !(invisible && running) {
        let _ = child.kill();
        let _ = child.wait();
        return Kill::TooLate;
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success());
    let stored = m.actual("2023-10", "calendar", "inspections");
    assert_eq!(stored, 0, "a killed import left {stored} of {LARGE} rows");
    assert_eq!(
        m.ok(&["batch", "list", "--format", "json"]).trim(),
        "[]",
        "a killed import left a batch"
    );
    // The same file imports whole afterwards.
    let batch = m.import("inspections", &file);
    assert_eq!(batch["outcome"], "stored", "{batch}");
    assert_eq!(batch["inserted"], LARGE, "{batch}");
    assert_eq!(m.actual("2023-10", "calendar", "inspections"), LARGE);
    Kill::BeforeCommit
}

/// Attempts before giving up on landing a kill before the commit.
const ATTEMPTS: usize = 4;

#[test]
fn killing_an_import_on_sqlite_leaves_all_or_nothing() {
    for _ in 0..ATTEMPTS {
        let m = Metrotrack::sqlite();
        let wal = m.dir.path().join("lab.db-wal");
        // The batch is being written once the write-ahead log grows past a few pages.
        let landed = kill_mid_import(&m, || {
            std::fs::metadata(&wal).is_ok_and(|meta| meta.len() > 1024 * 1024)
        });
        if landed == Kill::BeforeCommit {
            return;
        }
    }
    panic!("no kill landed before the commit in {ATTEMPTS} attempts: make the file larger");
}

/// Whether a transaction on `url`'s database holds the lab's import lock.
fn holds_import_lock(url: &str, handle: &tokio::runtime::Handle) -> bool {
    tokio::task::block_in_place(|| {
        handle.block_on(async move {
            let Ok(mut conn) = sqlx::PgConnection::connect(url).await else {
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
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_an_import_on_postgres_leaves_all_or_nothing() {
    let handle = tokio::runtime::Handle::current();
    for _ in 0..ATTEMPTS {
        let Some((_db, url)) = fresh_database().await else {
            panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
        };
        let m = Metrotrack::new(url.clone());
        // The batch is being written once its transaction holds the lab's import lock.
        let landed = tokio::task::block_in_place(|| {
            kill_mid_import(&m, || holds_import_lock(&url, &handle))
        });
        if landed == Kill::BeforeCommit {
            return;
        }
    }
    panic!("no kill landed before the commit in {ATTEMPTS} attempts: make the file larger");
}
