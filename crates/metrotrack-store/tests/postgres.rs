//! The PostgreSQL store against a real server: the conformance suite, and what only a
//! server has (concurrent writers, types, the schema's own guards).
//!
//! Each test gets a database of its own ([`fresh_database`]), on the server named by
//! `METROTRACK_TEST_POSTGRES_URL`, dropped afterwards. Without that variable (seen by the
//! crate's `build.rs`) every test is marked ignored, so the runner counts it as skipped;
//! run anyway (`--run-ignored all`) it fails saying what is missing.

use metrotrack_core::{BatchOutcome, ImportMode, LogKind};
use metrotrack_store::conformance::{
    earthing, import, import_file, inspections, row, three_rows, totals,
};
use metrotrack_store::postgres::testing::{
    TestDatabase, fresh_database, nodelay_of_local_port, server_url,
};
use metrotrack_store::{PgStore, Store, StoreError};

/// A migrated store on a new database.
async fn fresh() -> Option<(TestDatabase, PgStore)> {
    let (guard, url) = fresh_database().await?;
    let store = PgStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    Some((guard, store))
}

metrotrack_store::conformance_suite!(postgres fresh);

async fn count(store: &PgStore, table: &'static str) -> i64 {
    let sql = format!("select count(*) from {table}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(store.pool())
        .await
        .expect("count")
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn a_refused_import_leaves_no_row_in_any_table() {
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
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
        "earthing_tests",
    ] {
        assert_eq!(count(&store, table).await, 0, "{table}");
    }
    assert_eq!(count(&store, "audit_log").await, audit_before);
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn the_audit_log_is_append_only_and_keeps_originals() {
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    // A write to tamper with, and a record whose original observations are read back.
    inspections(&store, ImportMode::Strict, "sha-a", three_rows()).await;
    for tamper in [
        "delete from audit_log",
        "update audit_log set actor = 'someone else'",
        "truncate audit_log",
    ] {
        let result = sqlx::query(tamper).execute(store.pool()).await;
        assert!(result.is_err(), "{tamper} was allowed");
    }
    // The original observations: the row's values, in the order of its batch's columns.
    let name: String = sqlx::query_scalar(
        "select s.original ->> (
             select (c.n - 1)::int from jsonb_array_elements_text(b.original_columns)
                 with ordinality c (name, n)
             where c.name = 'Tên PTĐ')
         from inspections s join import_batches b on b.lab_id = s.lab_id and b.id = s.batch_id
         order by s.id
         limit 1",
    )
    .fetch_one(store.pool())
    .await
    .expect("original");
    assert_eq!(name, "CT1P");
}

/// `numeric` keeps the scale as written: 2.50 Ω is stored as 2.50, not 2.5.
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn measured_values_keep_their_written_scale() {
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    let rows = vec![earthing(2, "2023-10-01", "Trường A", "P1", "2.50")];
    let batch = import(&store, LogKind::Earthing, ImportMode::Strict, "sha-e", rows).await;
    assert_eq!(batch.inserted, 1);
    let (resistance, limit): (String, String) =
        sqlx::query_as("select resistance_ohm::text, limit_ohm::text from earthing_tests")
            .fetch_one(store.pool())
            .await
            .expect("test");
    assert_eq!((resistance.as_str(), limit.as_str()), ("2.50", "10"));
    let error: rust_decimal::Decimal = {
        let rows = vec![metrotrack_store::conformance::row_with(
            2,
            "2023-10-01",
            "CT1P",
            "A1",
            |r| r.error_percent = Some("-0.120".parse().expect("decimal")),
        )];
        inspections(&store, ImportMode::Strict, "sha-i", rows).await;
        sqlx::query_scalar("select error_percent from inspections")
            .fetch_one(store.pool())
            .await
            .expect("inspection")
    };
    assert_eq!(error.to_string(), "-0.120");
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn other_urls_are_refused_and_debug_hides_the_password() {
    let err = PgStore::connect("sqlite://me:secret@x.db")
        .await
        .expect_err("not postgres");
    assert!(matches!(err, StoreError::UnsupportedUrl(_)));
    assert!(!err.to_string().contains("secret"), "{err}");
    let Some(url) = server_url() else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    let with_password = match url.split_once("://") {
        Some((scheme, rest)) if !rest.contains('@') => {
            format!("{scheme}://postgres:hunter2@{rest}")
        }
        _ => url,
    };
    let store = PgStore::connect(&with_password).await.expect("connect");
    let debug = format!("{store:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("PgStore"), "{debug}");
}

/// The schema refuses what the code never writes: a second live batch of one file, a
/// negative resistance, a failed inspection with a valid-until.
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn the_schema_guards_its_invariants() {
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    inspections(&store, ImportMode::Strict, "sha-a", three_rows()).await;
    let lab = store.default_lab().await.expect("lab");
    let second = sqlx::query(
        "insert into import_batches (lab_id, kind, mode, file_name, uploaded_by, uploaded_at,
             sha256, inserted)
         values ($1, 'inspections', 'strict', 'x.csv', 'x', now(), 'sha-a', 1)",
    )
    .bind(lab)
    .execute(store.pool())
    .await
    .expect_err("a second live batch of one file");
    assert!(
        second
            .as_database_error()
            .is_some_and(|e| e.is_unique_violation()),
        "{second}"
    );
    let failed =
        sqlx::query("update inspections set result = 'fail', valid_until = date '2030-01-01'")
            .execute(store.pool())
            .await;
    assert!(failed.is_err());
    // References, checked once per statement (migrations 0008 and 0018): each of these is refused
    // as a foreign-key violation, and changes nothing.
    for (what, sql) in [
        (
            "an inspection of no instrument",
            "insert into inspections (lab_id, instrument_id, category_code, kind, inspected_on,
                 technician, created_at)
             select lab_id, max(id) + 1, 'CT1P', 'verification', date '2023-11-01', 'T', now()
             from instruments group by lab_id",
        ),
        (
            "an inspection of no batch",
            "insert into inspections (lab_id, instrument_id, category_code, kind, inspected_on,
                 technician, created_at, batch_id)
             select lab_id, id, category_code, 'verification', date '2023-11-01', 'T', now(), 99
             from instruments limit 1",
        ),
        (
            "an instrument of no category",
            "insert into instruments (lab_id, category_code, manufacturer_key, serial_key,
                 serial_number, created_at)
             select id, 'NOPE', '', 'X1', 'X1', now() from labs",
        ),
        (
            "an instrument of no batch, among instruments of a batch",
            "insert into instruments (lab_id, category_code, manufacturer_key, serial_key,
                 serial_number, created_at, created_batch_id)
             select l.id, 'CT1P', '', 'Y' || b.id, 'Y' || b.id, now(), b.id
             from labs l cross join (select id from import_batches
                                     union all select 99) b",
        ),
        ("an instrument deleted", "delete from instruments"),
        ("a batch deleted", "delete from import_batches"),
        (
            "a used category deleted",
            "delete from categories where code = 'CT1P'",
        ),
        (
            "an instrument moved to another category",
            "update instruments set category_code = 'DHN' where category_code = 'CT1P'",
        ),
        (
            "an inspection moved to another batch",
            "update inspections set batch_id = null",
        ),
    ] {
        let refused = sqlx::query(sql)
            .execute(store.pool())
            .await
            .expect_err(what);
        assert!(
            refused
                .as_database_error()
                .is_some_and(|e| e.is_foreign_key_violation()),
            "{what}: {refused}"
        );
    }
    assert_eq!(totals(&store).await, (3, 3, 0));
    assert_eq!(count(&store, "instruments").await, 3);
    // A category no instrument uses can go.
    sqlx::query("delete from category_cycles where category_code = 'TXM'")
        .execute(store.pool())
        .await
        .expect("its cycles");
    sqlx::query("delete from categories where code = 'TXM'")
        .execute(store.pool())
        .await
        .expect("an unused category");
}

/// A record another writer stores with plain SQL counts at once, before anything folds
/// its tally changes into the tallies (migration 0007); the next import folds them.
/// The store's connections have Nagle's algorithm off, as libpq's do: without it each
/// `COPY` of an import could wait 40 ms for the server's delayed acknowledgement.
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn connections_send_without_waiting_for_acknowledgements() {
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    let port: Option<i32> = sqlx::query_scalar("select inet_client_port()")
        .fetch_one(store.pool())
        .await
        .expect("port");
    let port = u16::try_from(port.expect("the test server is reached over TCP")).expect("port");
    assert_eq!(nodelay_of_local_port(port), Some(true));
}

#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn tally_changes_count_before_they_are_folded() {
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    inspections(&store, ImportMode::Strict, "sha-a", three_rows()).await;
    assert_eq!(count(&store, "inspection_tally_changes").await, 0);
    assert_eq!(totals(&store).await, (3, 3, 0));
    sqlx::query(
        "insert into inspections (lab_id, instrument_id, category_code, kind, inspected_on,
             technician, created_at)
         select lab_id, id, category_code, 'verification', date '2023-11-02', 'T', now()
         from instruments where serial_number = 'A1'",
    )
    .execute(store.pool())
    .await
    .expect("a second verification of A1, in November");
    assert!(count(&store, "inspection_tally_changes").await > 0);
    assert_eq!(totals(&store).await, (3, 4, 0));
    inspections(
        &store,
        ImportMode::Strict,
        "sha-b",
        vec![row(2, "2023-12-01", "DHN", "B2")],
    )
    .await;
    assert_eq!(count(&store, "inspection_tally_changes").await, 0);
    assert_eq!(totals(&store).await, (4, 5, 0));
}

/// Throughput of the import path: `METROTRACK_BENCH_ROWS` rows (default 200 000) of
/// distinct instruments, then the same rows again as another file (all duplicates). Run
/// with `cargo test -p metrotrack-store --release --test postgres -- --ignored
/// --nocapture bulk_speed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark; run on demand"]
async fn bulk_speed() {
    let n: u64 = std::env::var("METROTRACK_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    for (sha, what) in [("bench-a", "new"), ("bench-b", "duplicate")] {
        let started = std::time::Instant::now();
        let batch = import_file(&store, sha, "2023-10-01", (0..n).collect())
            .await
            .expect("import");
        let took = started.elapsed();
        assert_eq!(batch.inserted + batch.duplicates, n);
        eprintln!(
            "{n} {what} rows in {:.2} s: {:.0} rows/s",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
    }
}

/// Migration 0014 on a database filled before it: the counts of instruments due per day
/// it computes from the instruments are the due list's, and stay so as more is imported.
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn the_due_day_counts_migration_counts_what_was_there() {
    use metrotrack_store::conformance::{due_counts_are_the_lists, fill_with_due_instruments};
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    fill_with_due_instruments(&store, "sha-a", 0).await;
    // The schema as it was before 0014, with the data: what an older metrotrack left.
    sqlx::raw_sql(
        "drop trigger instruments_due_days_insert on instruments;
         drop trigger instruments_due_days_update on instruments;
         drop function instruments_count_due_days();
         drop function fold_instrument_due_days(bigint);
         drop table instrument_due_days, instrument_due_day_changes;
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
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn the_batch_ranges_migration_ranges_what_was_there() {
    use metrotrack_store::conformance::{batches_hold_their_records, fill_with_batches};
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    fill_with_batches(&store).await;
    // The schema as it was before 0015, with the data: what an older metrotrack left.
    sqlx::raw_sql(
        "alter table import_batches drop column first_record_id;
         alter table import_batches drop column last_record_id;
         create index inspections_batch on inspections (lab_id, batch_id, source_line);
         create index earthing_tests_batch on earthing_tests (lab_id, batch_id, source_line);
         delete from _sqlx_migrations where version = 15;",
    )
    .execute(store.pool())
    .await
    .expect("back to 0014");
    store.migrate().await.expect("migrate to 0015");
    batches_hold_their_records(&store).await;
}

/// Migration 0016 on a database an older metrotrack filled: the instruments' keys compare
/// bytewise, and an import still finds the instruments stored before it.
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn the_bytewise_keys_migration_keeps_the_instruments_found() {
    use metrotrack_store::conformance::{due_counts_are_the_lists, fill_with_due_instruments};
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
    fill_with_due_instruments(&store, "sha-a", 0).await;
    // The schema as it was before 0016, with the data: what an older metrotrack left.
    sqlx::raw_sql(
        r#"alter table instruments
               alter column manufacturer_key type text collate "default",
               alter column serial_key type text collate "default";
           delete from _sqlx_migrations where version = 16;"#,
    )
    .execute(store.pool())
    .await
    .expect("back to 0015");
    store.migrate().await.expect("migrate to 0016");
    let collations: Vec<String> = sqlx::query_scalar(
        "select c.collname::text from pg_attribute a join pg_collation c on c.oid = a.attcollation
         where a.attrelid = 'instruments'::regclass
           and a.attname in ('manufacturer_key', 'serial_key')",
    )
    .fetch_all(store.pool())
    .await
    .expect("collations");
    assert_eq!(collations, ["C", "C"]);
    // New inspections of the same 25 instruments: found, not created again.
    fill_with_due_instruments(&store, "sha-b", 10).await;
    assert_eq!(count(&store, "instruments").await, 25);
    due_counts_are_the_lists(&store).await;
}

/// Migration 0017 on a database an older metrotrack filled: records stored with their
/// original observations as JSON read as they did, and files uploaded after it keep
/// their one-line rows' observations in the kept file alone.
#[cfg_attr(
    not(pg_tests),
    ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn the_kept_layout_migration_keeps_the_stored_originals() {
    use metrotrack_store::conformance::{
        fill_with_stored_originals, stored_originals_read_as_before,
    };
    let Some((_db, store)) = fresh().await else {
        panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL");
    };
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
