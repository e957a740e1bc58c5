//! End-to-end on PostgreSQL: the real `metrotrack` binary against a throwaway database
//! gives what it gives on SQLite, refuses what SQLite refuses, and takes imports racing
//! in two processes.
//!
//! The PostgreSQL tests need `METROTRACK_TEST_POSTGRES_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`).

use metrotrack_store::postgres::testing::fresh_database;
use serde_json::Value;

use super::fixture;
use super::process::{Metrotrack, batch_of, comparable, path_str, spawn_import, write_log};

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn postgres_gives_exactly_what_sqlite_gives() {
    let Some((_db, url)) = fresh_database().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    let pg = Metrotrack::new(url);
    let sqlite = Metrotrack::sqlite();
    let (pg_inspections, pg_earthing) = pg.load_october();
    let (sqlite_inspections, sqlite_earthing) = sqlite.load_october();
    assert_eq!(pg_inspections["outcome"], "stored", "{pg_inspections}");
    assert_eq!(
        comparable(pg_inspections.clone()),
        comparable(sqlite_inspections)
    );
    assert_eq!(comparable(pg_earthing), comparable(sqlite_earthing));
    for (period, scheme) in [
        ("2023-10", "decree09"),
        ("2023-10", "calendar"),
        ("2023-Q4", "decree09"),
        ("2023", "decree09"),
    ] {
        assert_eq!(
            pg.report(period, scheme),
            sqlite.report(period, scheme),
            "{period} {scheme}"
        );
    }
    let report = pg.report("2023-10", "decree09");
    assert_eq!(report["metrics"][0]["actual"], 467, "{report}");
    assert_eq!(report["metrics"][0]["percent"], 116, "{report}");
    let text = pg.ok(&["report", "--period", "2023-10", "--lang", "vi"]);
    assert!(
        text.contains("467 PTĐ các loại (Đạt 116% so với kế hoạch đề ra)"),
        "{text}"
    );
    assert_eq!(
        pg.ok(&["due", "--as-of", "2024-10-01", "--within", "60"]),
        sqlite.ok(&["due", "--as-of", "2024-10-01", "--within", "60"])
    );

    // Re-importing: the same file is the same batch; the same records in another file
    // are duplicates; no figure moves.
    let again = pg.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    assert_eq!(again["outcome"], "already_imported", "{again}");
    assert_eq!(again["id"], pg_inspections["id"]);
    let canonical = pg.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    assert_eq!(canonical["outcome"], "stored", "{canonical}");
    assert_eq!(canonical["inserted"], 0, "{canonical}");
    assert_eq!(
        canonical["duplicates"], pg_inspections["rows"],
        "{canonical}"
    );
    let sqlite_canonical = sqlite.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    assert_eq!(comparable(canonical), comparable(sqlite_canonical));
    assert_eq!(pg.report("2023-10", "decree09"), report);
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn a_strict_refusal_on_postgres_stores_nothing() {
    let Some((_db, url)) = fresh_database().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    let pg = Metrotrack::new(url);
    let file = fixture("bad/impossible-date.csv");
    let out = pg.run(&["import", "inspections", path_str(&file)]);
    assert_eq!(out.status.code(), Some(1), "strict refusal exits 1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("REFUSED") && stdout.contains("line 3"),
        "{stdout}"
    );
    for year in ["2022", "2023", "2024"] {
        assert_eq!(pg.actual(year, "calendar", "inspections"), 0, "{year}");
    }
    // The same file in partial mode stores its good rows: the refusal left no batch
    // behind to answer for it.
    let out = pg.run(&[
        "import",
        "inspections",
        path_str(&file),
        "--mode",
        "partial",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let batch: Value = serde_json::from_slice(&out.stdout).expect("batch JSON");
    assert_eq!(batch["outcome"], "stored", "{batch}");
    assert_eq!(batch["rejected"], 1, "{batch}");
}

/// Two processes import two files naming 8 000 common instruments (in opposite orders)
/// at once: both batches land whole.
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn two_processes_importing_different_files_both_land() {
    let Some((_db, url)) = fresh_database().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    let pg = Metrotrack::new(url);
    pg.ok(&["migrate"]);
    let (a, b) = (pg.dir.path().join("a.csv"), pg.dir.path().join("b.csv"));
    write_log(&a, 12_000, 0, "01/10/2023", false);
    write_log(&b, 12_000, 4_000, "02/10/2023", true);
    let (first, second) = (spawn_import(&pg, &a), spawn_import(&pg, &b));
    let (first, second) = (batch_of(first), batch_of(second));
    for batch in [&first, &second] {
        assert_eq!(batch["outcome"], "stored", "{batch}");
        assert_eq!(batch["inserted"], 12_000, "{batch}");
    }
    assert_eq!(pg.actual("2023-10", "calendar", "inspections"), 24_000);
    assert_eq!(
        pg.actual("2023-10", "calendar", "instruments_inspected"),
        16_000
    );
}

/// Two processes upload the same file at once: one stores it, the other answers with
/// that batch.
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn two_processes_importing_the_same_file_make_one_batch() {
    let Some((_db, url)) = fresh_database().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    let pg = Metrotrack::new(url);
    pg.ok(&["migrate"]);
    let file = pg.dir.path().join("same.csv");
    write_log(&file, 10_000, 0, "01/10/2023", false);
    let (first, second) = (spawn_import(&pg, &file), spawn_import(&pg, &file));
    let (first, second) = (batch_of(first), batch_of(second));
    let mut outcomes = [
        first["outcome"].as_str().unwrap_or_default().to_owned(),
        second["outcome"].as_str().unwrap_or_default().to_owned(),
    ];
    outcomes.sort();
    assert_eq!(outcomes, ["already_imported", "stored"]);
    assert_eq!(first["id"], second["id"]);
    assert_eq!(pg.actual("2023-10", "calendar", "inspections"), 10_000);
}

/// `backup` (pg_dump), `restore` (pg_restore) into a fresh database and `verify` on
/// PostgreSQL: the restored database reports what the original does, with 0
/// differences; a restore into the original (not empty) is refused; a tally changed by
/// hand is named and exits 1. Needs the PostgreSQL client tools (skipped, saying so,
/// without pg_dump).
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn postgres_backup_restore_and_verify() {
    let Some((_db, url)) = fresh_database().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    if std::process::Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: pg_dump is not installed");
        return;
    }
    let Some((_fresh, fresh_url)) = fresh_database().await else {
        panic!("a second database");
    };
    let original = Metrotrack::new(url.clone());
    original.load_october();
    let dir = tempfile::tempdir().expect("dir");
    let dump = dir.path().join("lab.dump");
    let dump = path_str(&dump);
    assert!(original.ok(&["backup", dump]).contains("backup written"));
    assert!(original.ok(&["verify"]).contains("0 differences"));
    let restored = Metrotrack::new(fresh_url.clone());
    assert!(restored.ok(&["restore", dump]).contains("0 differences"));
    assert!(restored.ok(&["verify"]).contains("0 differences"));
    assert_eq!(
        restored.report("2023-10", "decree09"),
        original.report("2023-10", "decree09")
    );
    let refused = original.run(&["restore", dump]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not empty"));

    let pool = sqlx::PgPool::connect(&fresh_url).await.expect("connect");
    sqlx::query(
        "update inspection_tallies set inspections = inspections + 1
         where (lab_id, seg, category_code, prev_seg) in
               (select lab_id, seg, category_code, prev_seg from inspection_tallies
                where inspections > 0 order by seg limit 1)",
    )
    .execute(&pool)
    .await
    .expect("change a tally");
    pool.close().await;
    let damaged = restored.run(&["verify"]);
    let out = String::from_utf8_lossy(&damaged.stdout);
    assert_eq!(damaged.status.code(), Some(1), "{out}");
    assert!(out.contains("1 difference"), "{out}");
    assert!(out.contains("figures: lab 1, category "), "{out}");
}
