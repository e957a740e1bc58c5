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
/// is still invisible. Then exactly nothing of the file may be stored, every index is as
/// it was (an import large beside its tables builds some once, after its rows), and the
/// same file imports whole afterwards.
/// `stored` counts the inspections a reader sees without waiting on the writer, and
/// `indexes` names the indexes it sees.
fn kill_mid_import(
    m: &Metrotrack,
    started: impl Fn() -> bool,
    stored: impl Fn() -> u64,
    indexes: impl Fn() -> Vec<String>,
) -> Kill {
    m.ok(&["migrate"]);
    let migrated = indexes();
    assert!(
        migrated.iter().any(|name| name == "inspections_metrics"),
        "{migrated:?}"
    );
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
    // (`metrotrack report` would not do: it migrates first, and on SQLite that waits
    // for the import's write lock, so the batch is always committed when it answers.)
    let invisible = stored() == 0;
    let running = child.try_wait().expect("try_wait").is_none();
    if !(invisible && running) {
        let _ = child.kill();
        let _ = child.wait();
        return Kill::TooLate;
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success());
    let left = stored();
    assert_eq!(left, 0, "a killed import left {left} of {LARGE} rows");
    assert_eq!(indexes(), migrated, "a killed import changed the indexes");
    assert_eq!(m.actual("2023-10", "calendar", "inspections"), 0);
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
        let db = m.dir.path().join("lab.db");
        let wal = m.dir.path().join("lab.db-wal");
        // The batch is being written once the write-ahead log grows past a few pages.
        let landed = kill_mid_import(
            &m,
            || std::fs::metadata(&wal).is_ok_and(|meta| meta.len() > 1024 * 1024),
            || sqlite_inspections(&db),
            || sqlite_indexes(&db),
        );
        if landed == Kill::BeforeCommit {
            return;
        }
    }
    panic!("no kill landed before the commit in {ATTEMPTS} attempts: make the file larger");
}

/// The inspections a read-only connection sees in the SQLite file at `db`: a WAL reader
/// does not wait on the writer, so this answers while an import runs.
fn sqlite_inspections(db: &std::path::Path) -> u64 {
    let n: Vec<i64> = sqlite_read(db, "select count(*) from inspections");
    u64::try_from(n[0]).unwrap_or(0)
}

/// The names of the indexes a read-only connection sees in the SQLite file at `db`.
fn sqlite_indexes(db: &std::path::Path) -> Vec<String> {
    sqlite_read(
        db,
        "select name from sqlite_schema where type = 'index' order by name",
    )
}

/// The one column of what `sql` selects, read by a read-only connection to `db`.
fn sqlite_read<T>(db: &std::path::Path, sql: &'static str) -> Vec<T>
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(db)
            .read_only(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .expect("open the database read-only");
        let found = sqlx::query_scalar(sql)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
        found
    })
}

/// The names of the indexes on PostgreSQL, read by a connection of its own.
fn pg_indexes(url: &str, handle: &tokio::runtime::Handle) -> Vec<String> {
    tokio::task::block_in_place(|| {
        handle.block_on(async move {
            let mut conn = sqlx::PgConnection::connect(url)
                .await
                .expect("connect to PostgreSQL");
            let names = sqlx::query_scalar(
                "select indexname::text from pg_indexes where schemaname = 'public'
                 order by 1",
            )
            .fetch_all(&mut conn)
            .await
            .expect("the indexes");
            let _ = conn.close().await;
            names
        })
    })
}

/// Stored inspections on PostgreSQL, read by a connection of its own.
fn pg_inspections(url: &str, handle: &tokio::runtime::Handle) -> u64 {
    tokio::task::block_in_place(|| {
        handle.block_on(async move {
            let mut conn = sqlx::PgConnection::connect(url)
                .await
                .expect("connect to PostgreSQL");
            let n: i64 = sqlx::query_scalar("select count(*) from inspections")
                .fetch_one(&mut conn)
                .await
                .expect("count the inspections");
            let _ = conn.close().await;
            u64::try_from(n).unwrap_or(0)
        })
    })
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
            kill_mid_import(
                &m,
                || holds_import_lock(&url, &handle),
                || pg_inspections(&url, &handle),
                || pg_indexes(&url, &handle),
            )
        });
        if landed == Kill::BeforeCommit {
            return;
        }
    }
    panic!("no kill landed before the commit in {ATTEMPTS} attempts: make the file larger");
}
