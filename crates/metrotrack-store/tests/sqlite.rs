//! The SQLite store against a real database file in a temporary directory: the
//! conformance suite, and what only SQLite has (files, reopening, raw tables).

use metrotrack_core::{BatchOutcome, ImportMode, LogKind};
use metrotrack_store::conformance::{inspections, row, three_rows, totals};
use metrotrack_store::{SqliteStore, Store, StoreError};
use tempfile::TempDir;

/// A migrated store on a new file in a new temporary directory.
async fn fresh() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = open(&dir).await;
    (dir, store)
}

async fn open(dir: &TempDir) -> SqliteStore {
    let url = format!("sqlite://{}", dir.path().join("metrotrack.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

metrotrack_store::conformance_suite!(fresh);

async fn count(store: &SqliteStore, table: &'static str) -> i64 {
    let sql = format!("select count(*) from {table}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(store.pool())
        .await
        .expect("count")
}

/// The database's page size.
async fn page_size(store: &SqliteStore) -> i64 {
    sqlx::query_scalar("pragma page_size")
        .fetch_one(store.pool())
        .await
        .expect("page size")
}

/// A database the store creates has 8 KiB pages; one made before, with SQLite's
/// default 4 KiB, keeps them (SQLite cannot change a page size in WAL mode) and takes
/// imports as before.
#[tokio::test]
async fn new_databases_have_8_kib_pages_and_older_ones_keep_theirs() {
    let (_dir, store) = fresh().await;
    assert_eq!(page_size(&store).await, 8192);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("metrotrack.db");
    let older = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let mut conn = sqlx::ConnectOptions::connect(&older).await.expect("create");
    sqlx::query("create table made_before (x)")
        .execute(&mut conn)
        .await
        .expect("write");
    sqlx::Connection::close(conn).await.expect("close");
    let store = open(&dir).await;
    assert_eq!(page_size(&store).await, 4096);
    let batch = inspections(&store, ImportMode::Strict, "sha-a", three_rows()).await;
    assert_eq!(batch.outcome, BatchOutcome::Stored, "{:?}", batch.problems);
    assert_eq!(totals(&store).await, (3, 3, 0));
}

#[tokio::test]
async fn reopening_the_file_keeps_the_data() {
    let (dir, store) = fresh().await;
    let batch = inspections(&store, ImportMode::Strict, "sha-a", three_rows()).await;
    store.close().await;
    drop(store);
    let store = open(&dir).await;
    assert_eq!(totals(&store).await, (3, 3, 0));
    let lab = store.default_lab().await.expect("lab");
    assert_eq!(
        store
            .batch(lab, batch.id.expect("id"))
            .await
            .expect("batch"),
        batch
    );
    assert_eq!(count(&store, "labs").await, 1);
}

#[tokio::test]
async fn a_refused_import_leaves_no_row_in_any_table() {
    let (_dir, store) = fresh().await;
    let audit_before = count(&store, "audit_log").await;
    let rows = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        metrotrack_store::conformance::invalid(3, 1),
    ];
    let batch = inspections(&store, ImportMode::Strict, "sha-a", rows).await;
    assert_eq!(batch.outcome, BatchOutcome::Refused);
    for table in [
        "import_batches",
        "instruments",
        "inspections",
        "earthing_points",
    ] {
        assert_eq!(count(&store, table).await, 0, "{table}");
    }
    assert_eq!(count(&store, "audit_log").await, audit_before);
}

#[tokio::test]
async fn the_audit_log_is_append_only_and_keeps_originals() {
    let (_dir, store) = fresh().await;
    // A write to tamper with, and a record whose original observations are read back.
    inspections(&store, ImportMode::Strict, "sha-a", three_rows()).await;
    let tampered = sqlx::query("delete from audit_log")
        .execute(store.pool())
        .await;
    assert!(tampered.is_err());
    // The original observations: the row's values, in the order of its batch's columns.
    let (original, columns): (String, String) = sqlx::query_as(
        "select s.original, b.original_columns
         from inspections s join import_batches b on b.id = s.batch_id limit 1",
    )
    .fetch_one(store.pool())
    .await
    .expect("original");
    let original: Vec<String> = serde_json::from_str(&original).expect("json");
    let columns: Vec<String> = serde_json::from_str(&columns).expect("json");
    let at = columns.iter().position(|c| c == "Tên PTĐ").expect("column");
    assert_eq!(original[at], "CT1P");
}

#[tokio::test]
async fn in_memory_databases_work() {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let batch = inspections(&store, ImportMode::Partial, "sha-a", three_rows()).await;
    assert_eq!(batch.inserted, 3);
    assert_eq!(totals(&store).await, (3, 3, 0));
    assert!(format!("{store:?}").contains(":memory:"));
}

#[tokio::test]
async fn other_urls_are_refused_without_their_secrets() {
    let err = SqliteStore::connect("postgres://me:secret@db/metrotrack")
        .await
        .expect_err("not sqlite");
    assert!(matches!(err, StoreError::UnsupportedUrl(_)));
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[tokio::test]
async fn earthing_rows_in_an_inspections_log_are_rejected() {
    let (_dir, store) = fresh().await;
    let rows = vec![metrotrack_store::conformance::earthing(
        2,
        "2023-10-01",
        "A",
        "P1",
        "1",
    )];
    let batch = metrotrack_store::conformance::import(
        &store,
        LogKind::Inspections,
        ImportMode::Partial,
        "x",
        rows,
    )
    .await;
    assert_eq!((batch.inserted, batch.rejected), (0, 1));
}

/// Throughput of the import path: `METROTRACK_BENCH_ROWS` rows (default 200 000) of
/// distinct instruments. Run with
/// `cargo test -p metrotrack-store --release --test sqlite -- --ignored --nocapture bulk_speed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark; run on demand"]
async fn bulk_speed() {
    let n: u64 = std::env::var("METROTRACK_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let (_dir, store) = fresh().await;
    let request =
        metrotrack_store::conformance::request(&store, LogKind::Inspections, ImportMode::Strict)
            .await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let feeder = tokio::spawn(async move {
        let mut chunk = Vec::with_capacity(1000);
        for i in 0..n {
            let mut s = metrotrack_store::conformance::verification(
                i + 2,
                "2023-10-01",
                if i % 2 == 0 { "CT1P" } else { "DHN" },
                &format!("SN-{i:08}"),
            );
            s.record.certificate_no = Some(format!("GCN-{i:08}"));
            chunk.push(metrotrack_core::ParsedRow::Inspection(s));
            if chunk.len() == 1000 {
                let rows = std::mem::replace(&mut chunk, Vec::with_capacity(1000));
                tx.send(metrotrack_store::ImportEvent::Rows(rows))
                    .await
                    .expect("send");
            }
        }
        tx.send(metrotrack_store::ImportEvent::Rows(chunk))
            .await
            .expect("send");
        tx.send(metrotrack_store::ImportEvent::Finished(
            metrotrack_store::conformance::summary("bench"),
        ))
        .await
        .expect("send");
    });
    let started = std::time::Instant::now();
    let batch = store.import_batch(request, rx).await.expect("import");
    let took = started.elapsed();
    feeder.await.expect("feeder");
    assert_eq!(batch.inserted, n);
    eprintln!(
        "{n} rows in {:.2} s: {:.0} rows/s",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
}

/// Migration 0014 on a database filled before it: the counts of instruments due per day
/// it computes from the instruments are the due list's, and stay so as more is imported.
#[tokio::test]
async fn the_due_day_counts_migration_counts_what_was_there() {
    use metrotrack_store::conformance::{due_counts_are_the_lists, fill_with_due_instruments};
    let (_dir, store) = fresh().await;
    fill_with_due_instruments(&store, "sha-a", 0).await;
    // The schema as it was before 0014, with the data: what an older metrotrack left.
    sqlx::raw_sql(
        "drop table instrument_due_days;
         delete from _sqlx_migrations where version = 14;",
    )
    .execute(store.pool())
    .await
    .expect("back to 0013");
    assert_eq!(count(&store, "instruments").await, 25);
    store.migrate().await.expect("migrate to 0014");
    due_counts_are_the_lists(&store).await;
    fill_with_due_instruments(&store, "sha-b", 10).await;
    due_counts_are_the_lists(&store).await;
}

/// Migration 0015 on a database an older metrotrack filled: each batch gets the range of
/// its records' ids, and voids, restores and the batch filter read its records by it.
#[tokio::test]
async fn the_batch_ranges_migration_ranges_what_was_there() {
    use metrotrack_store::conformance::{batches_hold_their_records, fill_with_batches};
    let (_dir, store) = fresh().await;
    fill_with_batches(&store).await;
    // The schema as it was before 0015, with the data: what an older metrotrack left.
    sqlx::raw_sql(
        "alter table import_batches drop column first_record_id;
         alter table import_batches drop column last_record_id;
         create index inspections_batch on inspections (batch_id, source_line);
         create index earthing_tests_batch on earthing_tests (batch_id, source_line);
         delete from _sqlx_migrations where version = 15;",
    )
    .execute(store.pool())
    .await
    .expect("back to 0014");
    store.migrate().await.expect("migrate to 0015");
    batches_hold_their_records(&store).await;
}

/// Migration 0017 on a database an older metrotrack filled: records stored with their
/// original observations as JSON read as they did, and files uploaded after it keep
/// their one-line rows' observations in the kept file alone.
#[tokio::test]
async fn the_kept_layout_migration_keeps_the_stored_originals() {
    use metrotrack_store::conformance::{
        fill_with_stored_originals, stored_originals_read_as_before,
    };
    let (_dir, store) = fresh().await;
    let before = fill_with_stored_originals(&store).await;
    // The schema as it was before 0017, with the data: what an older metrotrack left.
    sqlx::raw_sql(
        "alter table import_batches drop column file_layout;
         delete from _sqlx_migrations where version = 17;",
    )
    .execute(store.pool())
    .await
    .expect("back to 0016");
    store.migrate().await.expect("migrate to 0017");
    stored_originals_read_as_before(&store, &before).await;
    let scalar = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(store.pool());
    assert_eq!(
        scalar("select count(*) from inspections where original is null")
            .await
            .expect("count"),
        0,
        "the older records keep their JSON"
    );
    assert!(
        scalar("select count(*) from earthing_tests where original is null")
            .await
            .expect("count")
            > 0,
        "the new upload's rows leave their observations to the file"
    );
}

/// Migration 0019 on a database an older metrotrack filled, whose inspections had the
/// generated column `half_month`: the column goes, and the tallies the statements now
/// compute the half-month for agree with the records through a void, a restore and an
/// import that inspects the stored instruments again.
#[tokio::test]
async fn the_half_month_migration_keeps_the_tallies_right() {
    use metrotrack_store::conformance::{due_counts_are_the_lists, fill_with_due_instruments};
    let (_dir, store) = fresh().await;
    fill_with_due_instruments(&store, "sha-a", 0).await;
    // The schema as it was before 0019, with the data: what an older metrotrack left.
    sqlx::raw_sql(
        "alter table inspections add column half_month integer generated always as (
             (cast(substr(inspected_on, 1, 4) as integer) * 12
              + cast(substr(inspected_on, 6, 2) as integer) - 1) * 2
             + (substr(inspected_on, 9, 2) >= '15')
         ) virtual;
         delete from _sqlx_migrations where version = 19;",
    )
    .execute(store.pool())
    .await
    .expect("back to 0018");
    let columns = || {
        sqlx::query_scalar::<_, String>("select name from pragma_table_xinfo('inspections')")
            .fetch_all(store.pool())
    };
    assert!(
        columns()
            .await
            .expect("columns")
            .contains(&"half_month".to_owned())
    );
    store.migrate().await.expect("migrate to 0019");
    assert!(
        !columns()
            .await
            .expect("columns")
            .contains(&"half_month".to_owned())
    );
    due_counts_are_the_lists(&store).await;
    let lab = store.default_lab().await.expect("lab");
    let batch = store.batches(lab).await.expect("batches")[0]
        .id
        .expect("id");
    store
        .void_batch(lab, batch, "supervisor", "wrong month")
        .await
        .expect("void");
    assert_eq!(store.verify().await.expect("verify"), vec![]);
    store
        .restore_batch(lab, batch, "supervisor")
        .await
        .expect("restore");
    assert_eq!(store.verify().await.expect("verify"), vec![]);
    fill_with_due_instruments(&store, "sha-b", 10).await;
    due_counts_are_the_lists(&store).await;
}

/// Migration 0020 takes NOT NULL off `created_at` where an import now leaves it to the
/// batch, by editing the tables' definitions: on a database the older schema made and
/// filled, every row keeps its time, the database stays whole, and an import through
/// the same store (its connections opened before the migration) stores its rows with
/// no time of their own and reads them back with their batch's.
#[tokio::test]
async fn the_created_at_migration_keeps_old_times_and_takes_the_batchs_for_new_rows() {
    use metrotrack_store::conformance::{earthing, import};
    use metrotrack_store::records::{InspectionFilter, Page};
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = open(&dir).await;
    inspections(
        &store,
        ImportMode::Strict,
        "sha-a",
        vec![row(2, "2023-10-01", "CT1P", "A1")],
    )
    .await;
    import(
        &store,
        LogKind::Earthing,
        ImportMode::Strict,
        "sha-b",
        vec![earthing(2, "2023-10-02", "Site A", "P1", "2.5")],
    )
    .await;
    // What an older metrotrack left: every row with a time of its own, NOT NULL.
    let old_time = "2024-01-02T03:04:05+00:00";
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "update instruments set created_at = '{old_time}';
         update inspections set created_at = '{old_time}';
         update earthing_tests set created_at = '{old_time}';
         pragma writable_schema = on;
         update sqlite_schema
         set sql = replace(sql, 'created_at text', 'created_at text not null')
         where type = 'table' and name in ('instruments', 'inspections', 'earthing_tests');
         create table moved_on (x);
         drop table moved_on;
         pragma writable_schema = reset;
         delete from _sqlx_migrations where version = 20;"
    )))
    .execute(store.pool())
    .await
    .expect("back to 0019");
    // The older schema is in place, and the writer has read it: this build's import,
    // which leaves the time to the batch, is refused.
    let refused =
        metrotrack_store::conformance::import_file(&store, "sha-refused", "2023-10-04", vec![7])
            .await;
    assert!(refused.is_err(), "{refused:?}");
    store.migrate().await.expect("migrate to 0020");
    let lab = store.default_lab().await.expect("lab");
    let old = store.inspection(lab, 1).await.expect("the older record");
    assert_eq!(old.created_at.to_rfc3339(), old_time);
    let instrument = store
        .instrument(lab, old.instrument_id)
        .await
        .expect("its instrument");
    assert_eq!(instrument.instrument.created_at.to_rfc3339(), old_time);
    let batch = inspections(
        &store,
        ImportMode::Strict,
        "sha-c",
        vec![row(2, "2023-10-05", "CT1P", "B1")],
    )
    .await;
    assert_eq!(batch.inserted, 1);
    let own: Vec<Option<String>> = sqlx::query_scalar(
        "select created_at from inspections where batch_id = ?
         union all select created_at from instruments where created_batch_id = ?",
    )
    .bind(batch.id)
    .bind(batch.id)
    .fetch_all(store.pool())
    .await
    .expect("times of the new rows");
    assert_eq!(own, [None, None]);
    let new = store
        .inspections(lab, &InspectionFilter::default(), Page::first(10))
        .await
        .expect("inspections");
    let new = new.iter().find(|r| r.id != old.id).expect("the new record");
    assert_eq!(new.created_at, batch.uploaded_at);
    assert_eq!(store.verify().await.expect("verify"), vec![]);
    // Every connection reads the new definitions, the one that migrated too (each
    // check takes the next idle connection of the pool).
    for _ in 0..10 {
        let integrity: Vec<String> = sqlx::query_scalar("pragma integrity_check")
            .fetch_all(store.pool())
            .await
            .expect("integrity check");
        assert_eq!(integrity, ["ok"]);
    }
}

/// The database's indexes, each with the SQL that made it, by name.
async fn indexes(store: &SqliteStore) -> Vec<(String, String)> {
    sqlx::query_as(
        "select name, sql from sqlite_schema where type = 'index' and sql is not null
         order by name",
    )
    .fetch_all(store.pool())
    .await
    .expect("indexes")
}

/// A batch large beside its tables builds some indexes once, after its rows: whether it
/// commits, is a dry run, or is abandoned half-way, every index is left as the
/// migrations made it, holding every row, and the reads that use them answer.
#[tokio::test]
async fn a_large_batch_leaves_every_index_as_it_was() {
    use metrotrack_store::conformance::import_file_in;
    let (_dir, store) = fresh().await;
    let migrated = indexes(&store).await;
    assert!(
        migrated
            .iter()
            .any(|(name, _)| name == "inspections_metrics"),
        "{migrated:?}"
    );
    let integrity = || async {
        let found: Vec<String> = sqlx::query_scalar("pragma integrity_check")
            .fetch_all(store.pool())
            .await
            .expect("integrity check");
        assert_eq!(found, ["ok"]);
    };

    // Into empty tables: well past the first chunk, so past the rows the tables held.
    let batch = import_file_in(
        &store,
        ImportMode::Strict,
        "sha-a",
        "2023-10-02",
        (0..5_000).collect(),
    )
    .await
    .expect("import");
    assert_eq!(batch.inserted, 5_000);
    assert_eq!(indexes(&store).await, migrated);
    integrity().await;
    assert_eq!(totals(&store).await, (5_000, 5_000, 0));

    // A dry run twice the table's size writes its rows, then rolls them back.
    let dry = import_file_in(
        &store,
        ImportMode::DryRun,
        "sha-b",
        "2023-10-03",
        (5_000..15_000).collect(),
    )
    .await
    .expect("dry run");
    assert_eq!(dry.inserted, 10_000);
    assert_eq!(indexes(&store).await, migrated);
    integrity().await;

    // Abandoned after 12 000 rows: the reader gave up before the end of the file.
    let request =
        metrotrack_store::conformance::request(&store, LogKind::Inspections, ImportMode::Strict)
            .await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let feeder = tokio::spawn(async move {
        for part in 0..12u64 {
            let rows = (0..1_000)
                .map(|i| {
                    let serial = format!("AB-{:06}", part * 1_000 + i);
                    let s = metrotrack_store::conformance::verification(
                        part * 1_000 + i + 2,
                        "2023-10-04",
                        "CT1P",
                        &serial,
                    );
                    metrotrack_core::ParsedRow::Inspection(s)
                })
                .collect();
            tx.send(metrotrack_store::ImportEvent::Rows(rows))
                .await
                .expect("send");
        }
    });
    let abandoned = store.import_batch(request, rx).await;
    feeder.await.expect("feeder");
    assert!(
        matches!(abandoned, Err(StoreError::ImportAbandoned(_))),
        "{abandoned:?}"
    );
    assert_eq!(indexes(&store).await, migrated);
    integrity().await;
    assert_eq!(totals(&store).await, (5_000, 5_000, 0));
}

/// An import writes its instruments and inspections with foreign keys unchecked (it
/// makes their references itself), and commits without copying the write-ahead log
/// into the database; the writing connection checks foreign keys and checkpoints its
/// commits again after, whether the import was stored or refused.
#[tokio::test]
async fn the_writer_checks_and_checkpoints_again_after_an_import() {
    let (_dir, store) = fresh().await;
    let stored = inspections(&store, ImportMode::Strict, "sha-a", three_rows()).await;
    assert_eq!(stored.outcome, BatchOutcome::Stored);
    let mut refused = three_rows();
    refused.push(row(5, "2023-10-01", "NOPE", "S-unknown"));
    let lab = store.default_lab().await.expect("lab");
    let request =
        metrotrack_store::conformance::request(&store, LogKind::Inspections, ImportMode::Strict)
            .await;
    let summary = metrotrack_store::conformance::summary("sha-b");
    let outcome =
        metrotrack_store::conformance::send(&store, request, refused, Some(summary)).await;
    assert!(outcome.is_err(), "{outcome:?}");
    for _ in 0..2 {
        let on: i64 = sqlx::query_scalar("pragma foreign_keys")
            .fetch_one(store.writer_pool())
            .await
            .expect("pragma");
        assert_eq!(on, 1);
        let checkpoint_past: i64 = sqlx::query_scalar("pragma wal_autocheckpoint")
            .fetch_one(store.writer_pool())
            .await
            .expect("pragma");
        assert_eq!(checkpoint_past, 1000);
        let orphan = sqlx::query(
            "insert into instruments (lab_id, category_code, manufacturer_key, serial_key,
                                      serial_number, created_at)
             values (?, 'NOPE', '', 'X', 'X', '2023-10-01')",
        )
        .bind(lab)
        .execute(store.writer_pool())
        .await;
        let Err(sqlx::Error::Database(e)) = orphan else {
            panic!("an instrument of an unknown category was stored: {orphan:?}");
        };
        assert_eq!(e.kind(), sqlx::error::ErrorKind::ForeignKeyViolation, "{e}");
    }
    assert_eq!(totals(&store).await, (3, 3, 0));
}
