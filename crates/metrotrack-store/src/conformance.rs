//! The conformance suite every [`Store`] backend must pass.
//!
//! Each check is a function generic over the store, given a freshly migrated, empty
//! store. A backend's test binary runs them all with
//! [`conformance_suite!`](crate::conformance_suite):
//!
//! ```ignore
//! async fn fresh() -> (tempfile::TempDir, SqliteStore) { … }
//! metrotrack_store::conformance_suite!(fresh);
//! ```
//!
//! Built only with the `conformance` feature (the crate's own tests turn it on).

use chrono::NaiveDate;
use metrotrack_core::{
    BatchOutcome, CategoryCode, DueAfter, EarthingSystem, FileSummary, ImportBatch, ImportMode,
    InspectionKind, LabId, LogKind, Metric, NewEarthingTest, NewInspection, Ohms, Outcome,
    ParsedRow, PeriodSpec, PlanTarget, PointCode, Problem, ReportingPeriod, Scheme, SerialNumber,
    Sourced,
};
use tokio::sync::mpsc;

use crate::accounts::{NewToken, NewUser, Role};
use crate::records::{EarthingTestFilter, InspectionFilter, InstrumentFilter, Page, PointFilter};
use crate::{BatchRequest, ImportEvent, Store, StoreError};

/// Runs every check of the suite as a `#[tokio::test]`. `$fresh` is an async function
/// returning `(guard, store)`: a freshly migrated store, and whatever must live as long
/// as it (a temporary directory, a throwaway database). With `optional $fresh`, it
/// returns `Option<(guard, store)>` instead, `None` for a backend not available here.
#[macro_export]
macro_rules! conformance_suite {
    // `$fresh` returns `Option<(guard, store)>`: `None` when the backend is not
    // available here, and the test passes after saying so (it prints why).
    (optional $fresh:path) => {
        $crate::conformance_suite!(@expand $fresh; optional);
    };
    ($fresh:path) => {
        $crate::conformance_suite!(@expand $fresh; tests);
    };
    (@expand $fresh:path; $arm:ident) => {
        $crate::conformance_suite!(@$arm $fresh;
            categories_are_seeded,
            migrating_again_changes_nothing,
            import_stores_rows_and_counts,
            same_rows_in_a_new_file_are_duplicates,
            duplicates_within_one_file,
            conflict_in_strict_mode_stores_nothing,
            conflict_in_partial_mode_stores_the_valid_rows,
            invalid_rows_in_strict_and_partial_mode,
            dry_run_stores_nothing,
            same_file_twice_is_one_batch,
            fatal_problems_refuse_the_file,
            abandoned_import_stores_nothing,
            certificate_and_stamp_numbers_are_unique,
            instruments_and_points_count_once,
            period_boundaries_follow_the_scheme,
            plan_targets_flow_into_achievement,
            year_to_date_counts_distinct_instruments_once,
            voiding_removes_a_batch_from_the_figures,
            due_list_shows_overdue_and_soon_due,
            a_skipped_row_is_never_due,
            figures_and_due_list_match_the_records,
            earthing_limits_duplicates_and_conflicts,
            bulk_import_spans_many_statements,
            labs_are_created_once_with_their_categories,
            users_are_unique_within_their_lab,
            tokens_are_found_touched_and_revoked,
            records_are_listed_a_page_at_a_time,
            earthing_points_and_tests_are_read_back,
        );
    };
    (@tests $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (_guard, store) = $fresh().await;
                $crate::conformance::$name(&store).await;
            }
        )*
    };
    (@optional $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((_guard, store)) = $fresh().await else { return };
                $crate::conformance::$name(&store).await;
            }
        )*
    };
}

// ----- helpers ---------------------------------------------------------------------

/// A date from `YYYY-MM-DD`.
pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

/// A passed verification of `serial` (category `category`) on `date`, at `line`.
pub fn verification(line: u64, date: &str, category: &str, serial: &str) -> Sourced<NewInspection> {
    Sourced {
        line,
        original: vec![
            ("Ngày kiểm định".into(), date.into()),
            ("Tên PTĐ".into(), category.into()),
            ("Số sản xuất".into(), serial.into()),
        ],
        record: NewInspection {
            date: d(date),
            category: CategoryCode::parse(category).expect("category code"),
            serial: SerialNumber::parse(serial).expect("serial"),
            model: Some("M-1".into()),
            manufacturer: Some("Công ty ABC".into()),
            owner: Some("Điện lực".into()),
            kind: InspectionKind::Verification,
            verification_type: None,
            procedure: Some("ĐLVN 07:2012".into()),
            result: Some(Outcome::Pass),
            error_percent: Some("0.5".parse().expect("decimal")),
            certificate_no: None,
            stamp_no: None,
            valid_until: None,
            technician: "Nguyễn Văn An".into(),
            checked_by: None,
            notes: None,
        },
    }
}

/// [`verification`] as a row.
pub fn row(line: u64, date: &str, category: &str, serial: &str) -> ParsedRow {
    ParsedRow::Inspection(verification(line, date, category, serial))
}

/// [`verification`], changed by `f`, as a row.
pub fn row_with(
    line: u64,
    date: &str,
    category: &str,
    serial: &str,
    f: impl FnOnce(&mut NewInspection),
) -> ParsedRow {
    let mut s = verification(line, date, category, serial);
    f(&mut s.record);
    ParsedRow::Inspection(s)
}

/// An earthing test of `point` at `site` on `date`, measuring `ohms`, at `line`.
pub fn earthing_test(
    line: u64,
    date: &str,
    site: &str,
    point: &str,
    ohms: &str,
) -> Sourced<NewEarthingTest> {
    Sourced {
        line,
        original: vec![
            ("Ngày đo".into(), date.into()),
            ("Công trình".into(), site.into()),
            ("Điểm đo".into(), point.into()),
            ("Điện trở".into(), ohms.into()),
        ],
        record: NewEarthingTest {
            date: d(date),
            site: site.into(),
            point: PointCode::parse(point).expect("point code"),
            system: None,
            resistance: Ohms::parse(ohms).expect("ohms"),
            limit: None,
            method: None,
            tester_serial: Some("K-4105A".into()),
            weather: None,
            technician: "Trần Bình".into(),
            notes: None,
        },
    }
}

/// [`earthing_test`] as a row.
pub fn earthing(line: u64, date: &str, site: &str, point: &str, ohms: &str) -> ParsedRow {
    ParsedRow::Earthing(earthing_test(line, date, site, point, ohms))
}

/// A row the reader could not read.
pub fn invalid(line: u64, problems: usize) -> ParsedRow {
    ParsedRow::Invalid {
        line,
        problems: (0..problems)
            .map(|i| {
                Problem::new(
                    line,
                    Some("Ngày kiểm định"),
                    Some("31/02/2023"),
                    format!("problem {i}"),
                )
            })
            .collect(),
    }
}

/// A file's summary with no warning or fatal problem.
pub fn summary(sha: &str) -> FileSummary {
    FileSummary {
        sha256: sha.into(),
        size_bytes: 1234,
        warnings: vec![Problem::new(
            1,
            Some("Cột lạ"),
            None,
            "unknown column, ignored",
        )],
        fatal: Vec::new(),
        columns: Vec::new(),
    }
}

/// The request for a file of `kind` in `mode` to the default lab.
pub async fn request<S: Store>(store: &S, kind: LogKind, mode: ImportMode) -> BatchRequest {
    BatchRequest {
        lab: store.default_lab().await.expect("default lab"),
        kind,
        mode,
        file_name: "log.csv".into(),
        uploaded_by: "technician".into(),
    }
}

/// Streams `rows` (three per event) and then `finished`, if any, into an import.
pub async fn send<S: Store>(
    store: &S,
    request: BatchRequest,
    rows: Vec<ParsedRow>,
    finished: Option<FileSummary>,
) -> Result<ImportBatch, StoreError> {
    let (tx, rx) = mpsc::channel(2);
    let feeder = tokio::spawn(async move {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<ParsedRow> = rows.by_ref().take(3).collect();
            if tx.send(ImportEvent::Rows(chunk)).await.is_err() {
                return;
            }
        }
        if let Some(summary) = finished {
            let _ = tx.send(ImportEvent::Finished(summary)).await;
        }
    });
    let result = store.import_batch(request, rx).await;
    feeder.await.expect("feeder task");
    result
}

/// Imports `rows` as the file with hash `sha`.
pub async fn import<S: Store>(
    store: &S,
    kind: LogKind,
    mode: ImportMode,
    sha: &str,
    rows: Vec<ParsedRow>,
) -> ImportBatch {
    let request = request(store, kind, mode).await;
    send(store, request, rows, Some(summary(sha)))
        .await
        .expect("import runs")
}

/// Imports an inspections log.
pub async fn inspections<S: Store>(
    store: &S,
    mode: ImportMode,
    sha: &str,
    rows: Vec<ParsedRow>,
) -> ImportBatch {
    import(store, LogKind::Inspections, mode, sha, rows).await
}

/// The period from 2000 to 2099: everything the tests store.
pub fn all_time() -> ReportingPeriod {
    ReportingPeriod {
        spec: PeriodSpec::Year { year: 2023 },
        scheme: Scheme::Calendar,
        start: d("2000-01-01"),
        end: d("2099-12-31"),
    }
}

/// (instruments inspected, inspections, earthing points measured) in `period`.
pub async fn figures<S: Store>(store: &S, period: ReportingPeriod) -> (u64, u64, u64) {
    let lab = store.default_lab().await.expect("default lab");
    let a = store.achievement(lab, period).await.expect("achievement");
    let of = |m| a.overall(m).map_or(u64::MAX, |x| x.actual);
    (
        of(Metric::InstrumentsInspected),
        of(Metric::Inspections),
        of(Metric::EarthingPointsMeasured),
    )
}

/// Everything stored, lab-wide.
pub async fn totals<S: Store>(store: &S) -> (u64, u64, u64) {
    figures(store, all_time()).await
}

fn month(label: &str, scheme: Scheme) -> ReportingPeriod {
    PeriodSpec::parse(label).expect("period").resolve(scheme)
}

async fn lab<S: Store>(store: &S) -> LabId {
    store.default_lab().await.expect("default lab")
}

/// Three clean verifications in October 2023: two CT1P meters and a water meter.
pub fn three_rows() -> Vec<ParsedRow> {
    vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row(3, "2023-10-02", "DHN", "B1"),
        row(4, "2023-10-03", "CT1P", "A2"),
    ]
}

// ----- the checks ------------------------------------------------------------------

/// A new database has the default lab and the seeded categories with their cycles.
pub async fn categories_are_seeded<S: Store>(store: &S) {
    let categories = store
        .categories(lab(store).await)
        .await
        .expect("categories");
    assert!(categories.len() >= 13, "{} categories", categories.len());
    let ct1p = categories
        .iter()
        .find(|c| c.code.as_str() == "CT1P")
        .expect("CT1P seeded");
    assert_eq!(ct1p.cycle_on(d("2023-10-01")), Some(60));
    assert_eq!(ct1p.name_vi, "Công tơ điện 1 pha");
    let txm = categories
        .iter()
        .find(|c| c.code.as_str() == "TXM")
        .expect("TXM");
    assert_eq!(txm.cycle_on(d("2023-10-01")), Some(18));
}

/// Migrating an up-to-date database again keeps its lab and categories as they are.
pub async fn migrating_again_changes_nothing<S: Store>(store: &S) {
    let before = store
        .categories(lab(store).await)
        .await
        .expect("categories");
    let lab_before = lab(store).await;
    store.migrate().await.expect("migrate again");
    assert_eq!(lab(store).await, lab_before);
    assert_eq!(
        store.categories(lab_before).await.expect("categories"),
        before
    );
}

/// A clean file is stored whole, with its counts, and reads back the same.
pub async fn import_stores_rows_and_counts<S: Store>(store: &S) {
    let batch = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    assert_eq!(batch.outcome, BatchOutcome::Stored);
    let id = batch.id.expect("stored batch has an id");
    assert_eq!(
        (batch.rows, batch.inserted, batch.duplicates, batch.rejected),
        (3, 3, 0, 0)
    );
    assert!(batch.problems.is_empty());
    assert_eq!(batch.warnings.len(), 1);
    assert_eq!(batch.sha256, "sha-a");
    assert_eq!(batch.size_bytes, 1234);
    assert_eq!(batch.kind, LogKind::Inspections);
    assert_eq!(batch.uploaded_by, "technician");
    assert_eq!(
        store.batch(lab(store).await, id).await.expect("batch"),
        batch
    );
    let all = store.batches(lab(store).await).await.expect("batches");
    assert_eq!(all, vec![batch]);
    assert_eq!(totals(store).await, (3, 3, 0));
    assert!(matches!(
        store.batch(lab(store).await, id + 100).await,
        Err(StoreError::NotFound(_))
    ));
}

/// The same records in another file are duplicates, however they are written.
pub async fn same_rows_in_a_new_file_are_duplicates<S: Store>(store: &S) {
    inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let again = vec![
        row(2, "2023-10-01", "CT1P", " a 1 "), // the same serial, written differently
        row_with(3, "2023-10-02", "DHN", "B1", |r| {
            r.manufacturer = Some("CÔNG TY  ABC".into()); // the same manufacturer key
            r.error_percent = Some("0.50".parse().expect("decimal")); // 0.50 = 0.5
        }),
        row(4, "2023-10-03", "CT1P", "A2"),
    ];
    let batch = inspections(store, ImportMode::Strict, "sha-b", again).await;
    assert_eq!(batch.outcome, BatchOutcome::Stored);
    assert_eq!(
        (batch.rows, batch.inserted, batch.duplicates, batch.rejected),
        (3, 0, 3, 0)
    );
    assert_eq!(totals(store).await, (3, 3, 0));
    assert_eq!(
        store
            .batches(lab(store).await)
            .await
            .expect("batches")
            .len(),
        2
    );
}

/// A record repeated in one file is stored once and counted as a duplicate.
pub async fn duplicates_within_one_file<S: Store>(store: &S) {
    let rows = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row(3, "2023-10-01", "CT1P", "A1"),
        row(4, "2023-10-02", "CT1P", "A1"),
    ];
    let batch = inspections(store, ImportMode::Strict, "sha-a", rows).await;
    assert_eq!(
        (
            batch.outcome,
            batch.inserted,
            batch.duplicates,
            batch.rejected
        ),
        (BatchOutcome::Stored, 2, 1, 0)
    );
    assert_eq!(totals(store).await, (1, 2, 0));
}

fn conflicting_file() -> Vec<ParsedRow> {
    vec![
        row(2, "2023-10-01", "CT1P", "A1"), // duplicate
        invalid(3, 1),
        row(4, "2023-10-05", "CT1P", "C1"), // new
        row_with(5, "2023-10-02", "DHN", "B1", |r| {
            r.result = Some(Outcome::Fail);
        }),
    ]
}

/// A differing value for a stored natural key is a conflict on that row; strict mode
/// then stores nothing of the file.
pub async fn conflict_in_strict_mode_stores_nothing<S: Store>(store: &S) {
    let first = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let batch = inspections(store, ImportMode::Strict, "sha-b", conflicting_file()).await;
    assert_eq!(batch.outcome, BatchOutcome::Refused);
    assert_eq!(batch.id, None);
    assert_eq!(batch.inserted, 0);
    assert_eq!(batch.rejected, 2);
    let lines: Vec<u64> = batch.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![3, 5], "{:?}", batch.problems);
    let conflict = &batch.problems[1];
    assert_eq!(conflict.column.as_deref(), Some("result"));
    assert_eq!(conflict.value.as_deref(), Some("fail"));
    assert!(conflict.message.contains("result"), "{}", conflict.message);
    let from = format!("batch {}, line 3", first.id.expect("id"));
    assert!(conflict.message.contains(&from), "{}", conflict.message);
    assert_eq!(totals(store).await, (3, 3, 0));
    assert_eq!(
        store
            .batches(lab(store).await)
            .await
            .expect("batches")
            .len(),
        1
    );
}

/// Partial mode stores the valid rows and reports the others, sorted by line.
pub async fn conflict_in_partial_mode_stores_the_valid_rows<S: Store>(store: &S) {
    inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let batch = inspections(store, ImportMode::Partial, "sha-b", conflicting_file()).await;
    assert_eq!(batch.outcome, BatchOutcome::Stored);
    assert_eq!(
        (batch.rows, batch.inserted, batch.duplicates, batch.rejected),
        (4, 1, 1, 2)
    );
    let lines: Vec<u64> = batch.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![3, 5]);
    let id = batch.id.expect("id");
    assert_eq!(
        store
            .batch(lab(store).await, id)
            .await
            .expect("batch")
            .problems,
        batch.problems
    );
    assert_eq!(totals(store).await, (4, 4, 0));
}

/// Unreadable rows refuse a strict import and are skipped by a partial one.
pub async fn invalid_rows_in_strict_and_partial_mode<S: Store>(store: &S) {
    let rows = || {
        vec![
            row(2, "2023-10-01", "CT1P", "A1"),
            invalid(3, 2),
            row(4, "2023-10-02", "CT1P", "A2"),
            invalid(5, 1),
        ]
    };
    let strict = inspections(store, ImportMode::Strict, "sha-a", rows()).await;
    assert_eq!((strict.outcome, strict.id), (BatchOutcome::Refused, None));
    assert_eq!(
        (strict.rows, strict.rejected, strict.problems.len()),
        (4, 2, 3)
    );
    assert_eq!(totals(store).await, (0, 0, 0));
    assert!(
        store
            .batches(lab(store).await)
            .await
            .expect("batches")
            .is_empty()
    );

    let partial = inspections(store, ImportMode::Partial, "sha-a", rows()).await;
    assert_eq!(partial.outcome, BatchOutcome::Stored);
    assert_eq!(
        (
            partial.rows,
            partial.inserted,
            partial.rejected,
            partial.problems.len()
        ),
        (4, 2, 2, 3)
    );
    assert_eq!(totals(store).await, (2, 2, 0));
}

/// A dry run reports what would happen and stores nothing, not even a batch.
pub async fn dry_run_stores_nothing<S: Store>(store: &S) {
    let rows = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row(3, "2023-10-01", "CT1P", "A1"),
        row(4, "2023-10-02", "CT1P", "A2"),
        invalid(5, 1),
    ];
    let batch = inspections(store, ImportMode::DryRun, "sha-a", rows).await;
    assert_eq!((batch.outcome, batch.id), (BatchOutcome::DryRun, None));
    assert_eq!(
        (batch.rows, batch.inserted, batch.duplicates, batch.rejected),
        (4, 2, 1, 1)
    );
    assert_eq!(totals(store).await, (0, 0, 0));
    assert!(
        store
            .batches(lab(store).await)
            .await
            .expect("batches")
            .is_empty()
    );
}

/// The same file (by SHA-256) imported twice answers with the first batch.
pub async fn same_file_twice_is_one_batch<S: Store>(store: &S) {
    let first = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let second = inspections(store, ImportMode::Partial, "sha-a", three_rows()).await;
    assert_eq!(second.outcome, BatchOutcome::AlreadyImported);
    assert_eq!(second.id, first.id);
    assert_eq!(second.inserted, 3);
    assert_eq!(
        store
            .batches(lab(store).await)
            .await
            .expect("batches")
            .len(),
        1
    );
    assert_eq!(totals(store).await, (3, 3, 0));
}

/// Whole-file problems refuse the file in every mode.
pub async fn fatal_problems_refuse_the_file<S: Store>(store: &S) {
    let mut summary = summary("sha-a");
    summary.fatal.push(Problem::file(
        "required column \"Ngày kiểm định\" is missing",
    ));
    let request = request(store, LogKind::Inspections, ImportMode::Partial).await;
    let rows = vec![row(2, "2023-10-01", "CT1P", "A1"), invalid(3, 1)];
    let batch = send(store, request, rows, Some(summary))
        .await
        .expect("import runs");
    assert_eq!((batch.outcome, batch.id), (BatchOutcome::Refused, None));
    let lines: Vec<u64> = batch.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![0, 3]);
    assert_eq!(totals(store).await, (0, 0, 0));
    assert!(
        store
            .batches(lab(store).await)
            .await
            .expect("batches")
            .is_empty()
    );
}

/// A reader that stops before `Finished` leaves nothing behind, and the store works on.
pub async fn abandoned_import_stores_nothing<S: Store>(store: &S) {
    let request = request(store, LogKind::Inspections, ImportMode::Partial).await;
    let result = send(store, request, three_rows(), None).await;
    assert!(
        matches!(result, Err(StoreError::ImportAbandoned(_))),
        "{result:?}"
    );
    assert_eq!(totals(store).await, (0, 0, 0));
    assert!(
        store
            .batches(lab(store).await)
            .await
            .expect("batches")
            .is_empty()
    );
    let batch = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    assert_eq!(batch.inserted, 3);
}

/// A certificate or stamp number already used by another inspection is refused, and
/// the problem says where it is used.
pub async fn certificate_and_stamp_numbers_are_unique<S: Store>(store: &S) {
    let first = vec![row_with(2, "2023-10-01", "CT1P", "A1", |r| {
        r.certificate_no = Some("GCN-001".into());
        r.stamp_no = Some("T-9".into());
    })];
    inspections(store, ImportMode::Strict, "sha-a", first).await;
    let second = vec![
        row_with(2, "2023-10-02", "CT1P", "A2", |r| {
            r.certificate_no = Some("GCN-001".into())
        }),
        row_with(3, "2023-10-02", "CT1P", "A3", |r| {
            r.stamp_no = Some("T-9".into())
        }),
        row_with(4, "2023-10-02", "CT1P", "A4", |r| {
            r.certificate_no = Some("GCN-002".into())
        }),
        row_with(5, "2023-10-03", "CT1P", "A5", |r| {
            r.certificate_no = Some("GCN-002".into())
        }),
    ];
    let batch = inspections(store, ImportMode::Partial, "sha-b", second).await;
    assert_eq!((batch.inserted, batch.rejected), (1, 3));
    let cols: Vec<(u64, Option<&str>, Option<&str>)> = batch
        .problems
        .iter()
        .map(|p| (p.line, p.column.as_deref(), p.value.as_deref()))
        .collect();
    assert_eq!(
        cols,
        vec![
            (2, Some("certificate_no"), Some("GCN-001")),
            (3, Some("stamp_no"), Some("T-9")),
            (5, Some("certificate_no"), Some("GCN-002")),
        ]
    );
    assert!(batch.problems[0].message.contains("GCN-001"));
    assert!(
        batch.problems[2]
            .message
            .contains("earlier in this file, line 4"),
        "{}",
        batch.problems[2].message
    );
}

/// An instrument inspected twice is one instrument and two inspections; a point
/// measured twice is one point.
pub async fn instruments_and_points_count_once<S: Store>(store: &S) {
    let rows = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row_with(3, "2023-10-01", "CT1P", "A1", |r| {
            r.kind = InspectionKind::Calibration;
            r.result = None;
        }),
        row(4, "2023-10-05", "CT1P", "A1"),
        row(5, "2023-10-05", "DHN", "A1"), // another category: another instrument
    ];
    inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let tests = vec![
        earthing(2, "2023-10-01", "Trường A", "P1", "2.5"),
        earthing(3, "2023-10-05", "Trường A", "P1", "2.7"),
        earthing(4, "2023-10-02", "Trường A", "P2", "3.1"),
        earthing(5, "2023-10-02", "Trường B", "P1", "3.1"),
    ];
    let batch = import(store, LogKind::Earthing, ImportMode::Strict, "sha-e", tests).await;
    assert_eq!(batch.inserted, 4);
    assert_eq!(
        figures(store, month("2023-10", Scheme::Decree09)).await,
        (2, 4, 3)
    );
}

/// Under Decree 09, 14/09 is in month 2023-09 and 15/10 in 2023-11; under the calendar
/// scheme both are in their own month.
pub async fn period_boundaries_follow_the_scheme<S: Store>(store: &S) {
    let rows = vec![
        row(2, "2023-09-14", "CT1P", "X"),
        row(3, "2023-09-15", "CT1P", "Y"),
        row(4, "2023-10-14", "CT1P", "Z"),
        row(5, "2023-10-15", "CT1P", "W"),
    ];
    inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let count = |label, scheme| async move { figures(store, month(label, scheme)).await.1 };
    assert_eq!(count("2023-09", Scheme::Decree09).await, 1);
    assert_eq!(count("2023-10", Scheme::Decree09).await, 2);
    assert_eq!(count("2023-11", Scheme::Decree09).await, 1);
    assert_eq!(count("2023-09", Scheme::Calendar).await, 2);
    assert_eq!(count("2023-10", Scheme::Calendar).await, 2);
    assert_eq!(count("2023-11", Scheme::Calendar).await, 0);
}

fn plan(metric: Metric, category: Option<&str>, period: &str, target: u64) -> PlanTarget {
    PlanTarget::new(
        metric,
        category.map(|c| CategoryCode::parse(c).expect("code")),
        PeriodSpec::parse(period).expect("period"),
        target,
    )
    .expect("plan")
}

/// Targets reach the achievement: a month's own, a quarter's as the sum of its months,
/// a year's own or else the sum of its months; category targets add category entries.
pub async fn plan_targets_flow_into_achievement<S: Store>(store: &S) {
    let lab = lab(store).await;
    inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    for p in [
        plan(Metric::InstrumentsInspected, None, "2023-10", 402),
        plan(Metric::InstrumentsInspected, None, "2023-11", 100),
        plan(Metric::Inspections, None, "2023-10", 5),
        plan(Metric::EarthingPointsMeasured, None, "2023-10", 10),
        plan(Metric::InstrumentsInspected, Some("CT1P"), "2023-10", 2),
        plan(Metric::Inspections, None, "2024-01", 7),
    ] {
        store
            .set_plan(lab, &p, "supervisor")
            .await
            .expect("set plan");
    }
    assert_eq!(store.plans(lab, Some(2023)).await.expect("plans").len(), 5);
    assert_eq!(store.plans(lab, Some(2024)).await.expect("plans").len(), 1);
    assert_eq!(store.plans(lab, None).await.expect("plans").len(), 6);

    let october = store
        .achievement(lab, month("2023-10", Scheme::Decree09))
        .await
        .expect("achievement");
    let entries: Vec<(Metric, Option<&str>, u64, Option<u64>)> = october
        .metrics
        .iter()
        .map(|a| {
            (
                a.metric,
                a.category.as_ref().map(CategoryCode::as_str),
                a.actual,
                a.target,
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            (Metric::InstrumentsInspected, None, 3, Some(402)),
            (Metric::Inspections, None, 3, Some(5)),
            (Metric::EarthingPointsMeasured, None, 0, Some(10)),
            (Metric::InstrumentsInspected, Some("CT1P"), 2, Some(2)),
        ]
    );
    assert_eq!(october.metrics[3].percent, Some(100));

    let target = |a: &metrotrack_core::PeriodAchievement, m| a.overall(m).and_then(|x| x.target);
    let q4 = store
        .achievement(lab, month("2023-Q4", Scheme::Decree09))
        .await
        .expect("achievement");
    assert_eq!(target(&q4, Metric::InstrumentsInspected), Some(502));
    assert_eq!(target(&q4, Metric::Inspections), Some(5));
    let q3 = store
        .achievement(lab, month("2023-Q3", Scheme::Decree09))
        .await
        .expect("achievement");
    assert_eq!(target(&q3, Metric::InstrumentsInspected), None);
    assert_eq!(
        q3.metrics.len(),
        3,
        "no category entry without a target in the period"
    );
    let year = store
        .achievement(lab, month("2023", Scheme::Decree09))
        .await
        .expect("achievement");
    assert_eq!(target(&year, Metric::InstrumentsInspected), Some(502));

    // An annual target wins over the months' sum; setting again replaces.
    store
        .set_plan(
            lab,
            &plan(Metric::InstrumentsInspected, None, "2023", 5000),
            "supervisor",
        )
        .await
        .expect("set plan");
    store
        .set_plan(
            lab,
            &plan(Metric::InstrumentsInspected, None, "2023-10", 400),
            "supervisor",
        )
        .await
        .expect("set plan");
    let year = store
        .achievement(lab, month("2023", Scheme::Decree09))
        .await
        .expect("achievement");
    assert_eq!(target(&year, Metric::InstrumentsInspected), Some(5000));
    let plans = store.plans(lab, Some(2023)).await.expect("plans");
    assert_eq!(plans.len(), 6);
    assert!(plans.contains(&plan(Metric::InstrumentsInspected, None, "2023-10", 400)));
}

/// Year to date counts an instrument inspected in two months once, sums the months'
/// targets, and compares with the annual target when one is set.
pub async fn year_to_date_counts_distinct_instruments_once<S: Store>(store: &S) {
    let lab = lab(store).await;
    let rows = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row(3, "2023-11-01", "CT1P", "A1"),
        row(4, "2023-11-01", "CT1P", "B1"),
        row(5, "2023-12-01", "CT1P", "C1"), // after as_of's month: not counted
    ];
    inspections(store, ImportMode::Strict, "sha-a", rows).await;
    for p in [
        plan(Metric::InstrumentsInspected, None, "2023-10", 2),
        plan(Metric::InstrumentsInspected, None, "2023-11", 3),
        plan(Metric::InstrumentsInspected, None, "2023", 20),
    ] {
        store
            .set_plan(lab, &p, "supervisor")
            .await
            .expect("set plan");
    }
    // 10/11/2023 is in Decree 09 month 2023-11 (15/10–14/11); 2023-12 has not begun.
    let year = store
        .year_achievement(lab, 2023, Scheme::Decree09, d("2023-11-10"))
        .await
        .expect("year achievement");
    assert_eq!(year.months.len(), 11);
    assert_eq!(
        year.months[9]
            .overall(Metric::InstrumentsInspected)
            .map(|a| a.actual),
        Some(1)
    );
    assert_eq!(
        year.months[10]
            .overall(Metric::InstrumentsInspected)
            .map(|a| a.actual),
        Some(2)
    );
    let ytd = |m| {
        year.year_to_date
            .iter()
            .find(|a| a.metric == m && a.category.is_none())
            .map(|a| (a.actual, a.target))
    };
    assert_eq!(ytd(Metric::InstrumentsInspected), Some((2, Some(5))));
    assert_eq!(ytd(Metric::Inspections), Some((3, None)));
    assert_eq!(ytd(Metric::EarthingPointsMeasured), Some((0, None)));
    let annual: Vec<(Metric, u64, Option<u64>)> = year
        .against_annual
        .iter()
        .map(|a| (a.metric, a.actual, a.target))
        .collect();
    assert_eq!(annual, vec![(Metric::InstrumentsInspected, 2, Some(20))]);

    let past = store
        .year_achievement(lab, 2022, Scheme::Calendar, d("2023-11-10"))
        .await
        .expect("year achievement");
    assert_eq!(past.months.len(), 12);
}

/// A voided batch leaves every figure but stays visible as voided; voiding twice is
/// refused; the same file can then be imported again.
pub async fn voiding_removes_a_batch_from_the_figures<S: Store>(store: &S) {
    let lab = lab(store).await;
    let batch = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let tests = vec![earthing(2, "2023-10-01", "Trường A", "P1", "2.5")];
    let earth = import(store, LogKind::Earthing, ImportMode::Strict, "sha-e", tests).await;
    let id = batch.id.expect("id");
    assert_eq!(totals(store).await, (3, 3, 1));
    let voided = store
        .void_batch(lab, id, "supervisor", "wrong month")
        .await
        .expect("void");
    assert!(voided.voided_at.is_some());
    assert_eq!(voided.voided_by.as_deref(), Some("supervisor"));
    assert_eq!(voided.void_reason.as_deref(), Some("wrong month"));
    assert_eq!(totals(store).await, (0, 0, 1));
    let listed = store.batches(lab).await.expect("batches");
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .any(|b| b.id == Some(id) && b.voided_at.is_some())
    );
    assert!(matches!(
        store.void_batch(lab, id, "supervisor", "again").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.void_batch(lab, id + 100, "supervisor", "none").await,
        Err(StoreError::NotFound(_))
    ));
    store
        .void_batch(lab, earth.id.expect("id"), "supervisor", "bad tester")
        .await
        .expect("void");
    assert_eq!(totals(store).await, (0, 0, 0));
    // The records left the natural keys: importing the file again stores them anew.
    let again = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    assert_eq!((again.outcome, again.inserted), (BatchOutcome::Stored, 3));
    assert_ne!(again.id, Some(id));
    assert_eq!(totals(store).await, (3, 3, 0));
}

/// The due list shows the overdue and those due within N days, soonest first, by the
/// latest inspection that has a valid-until (a newer failed one does not hide it).
pub async fn due_list_shows_overdue_and_soon_due<S: Store>(store: &S) {
    let lab = lab(store).await;
    let valid = |until: &str| {
        let until = d(until);
        move |r: &mut NewInspection| r.valid_until = Some(until)
    };
    let rows = vec![
        row_with(2, "2023-09-01", "CT1P", "OVERDUE", valid("2024-09-01")),
        row_with(3, "2023-10-20", "CT1P", "SOON", valid("2024-10-20")),
        row_with(4, "2023-12-31", "CT1P", "FAR", valid("2024-12-31")),
        row_with(5, "2022-10-01", "CT1P", "RENEWED", valid("2024-10-05")),
        row_with(6, "2023-10-01", "CT1P", "RENEWED", valid("2025-10-01")),
        row_with(7, "2023-01-01", "CT1P", "FAILED", valid("2024-09-15")),
        row_with(8, "2024-09-10", "CT1P", "FAILED", |r| {
            r.result = Some(Outcome::Fail);
            r.valid_until = None;
        }),
        row_with(9, "2023-01-01", "CT1P", "CALIBRATED", |r| {
            r.kind = InspectionKind::Calibration;
            r.result = None;
        }),
    ];
    inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let as_of = d("2024-10-01");
    let due = store
        .due_list(lab, 30, as_of, None, 1000)
        .await
        .expect("due list");
    let seen: Vec<(&str, NaiveDate, NaiveDate, i64, bool)> = due
        .iter()
        .map(|e| {
            (
                e.serial_number.as_str(),
                e.last_inspected_on,
                e.valid_until,
                e.days_left,
                e.overdue,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("OVERDUE", d("2023-09-01"), d("2024-09-01"), -30, true),
            ("FAILED", d("2023-01-01"), d("2024-09-15"), -16, true),
            ("SOON", d("2023-10-20"), d("2024-10-20"), 19, false),
        ]
    );
    assert_eq!(due[0].category.as_str(), "CT1P");
    assert_eq!(due[0].owner.as_deref(), Some("Điện lực"));
    // A page at a time: the second page starts after the first one's last entry.
    let first = store
        .due_list(lab, 30, as_of, None, 2)
        .await
        .expect("first page");
    assert_eq!(first.len(), 2);
    let after = first.last().map(DueAfter::from);
    let second = store
        .due_list(lab, 30, as_of, after.as_ref(), 2)
        .await
        .expect("second page");
    let paged: Vec<&str> = first
        .iter()
        .chain(&second)
        .map(|e| e.serial_number.as_str())
        .collect();
    assert_eq!(paged, vec!["OVERDUE", "FAILED", "SOON"]);
    let today: Vec<String> = store
        .due_list(lab, 0, as_of, None, 1000)
        .await
        .expect("due list")
        .into_iter()
        .map(|e| e.serial_number)
        .collect();
    assert_eq!(today, vec!["OVERDUE", "FAILED"]);
}

/// An instrument first seen in a file is due by its latest stored inspection: rows the
/// import skipped (a certificate number in use, the same record twice) never count,
/// even when they are later or valid longer.
pub async fn a_skipped_row_is_never_due<S: Store>(store: &S) {
    let lab = lab(store).await;
    let valid = |until: &str, certificate: &str| {
        let until = d(until);
        let certificate = certificate.to_owned();
        move |r: &mut NewInspection| {
            r.valid_until = Some(until);
            r.certificate_no = Some(certificate);
        }
    };
    let first = vec![row_with(
        2,
        "2023-10-01",
        "CT1P",
        "OLD",
        valid("2024-10-01", "C1"),
    )];
    inspections(store, ImportMode::Strict, "sha-a", first).await;
    let rows = vec![
        row_with(2, "2023-10-02", "CT1P", "NEW", valid("2024-10-02", "C2")),
        // A certificate number in use: skipped.
        row_with(3, "2023-10-05", "CT1P", "NEW", valid("2025-10-05", "C1")),
        row_with(4, "2023-10-03", "CT1P", "TWICE", valid("2024-10-03", "C3")),
        // The same instrument, kind and date with another record: a conflict, skipped.
        row_with(5, "2023-10-03", "CT1P", "TWICE", valid("2026-10-03", "C4")),
    ];
    let batch = inspections(store, ImportMode::Partial, "sha-b", rows).await;
    assert_eq!(
        (batch.inserted, batch.rejected),
        (2, 2),
        "{:?}",
        batch.problems
    );
    let due: Vec<(String, NaiveDate)> = store
        .due_list(lab, 3650, d("2023-11-01"), None, 1000)
        .await
        .expect("due list")
        .into_iter()
        .map(|e| (e.serial_number, e.valid_until))
        .collect();
    assert_eq!(
        due,
        vec![
            ("OLD".to_owned(), d("2024-10-01")),
            ("NEW".to_owned(), d("2024-10-02")),
            ("TWICE".to_owned(), d("2024-10-03")),
        ]
    );
}

/// The figures of every period (read from tallies the database keeps) and the due list
/// (kept on each instrument) equal what the records themselves say, through imports in
/// any date order, several inspections of one instrument on one day, gaps of over a
/// year, and voids.
pub async fn figures_and_due_list_match_the_records<S: Store>(store: &S) {
    let lab = lab(store).await;
    // A deterministic spread: 30 instruments in two categories, dates over 26 months.
    let mut state: u64 = 0x5eed;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let start = d("2022-10-01");
    let mut seen = std::collections::HashSet::new();
    // (batch, category, serial, kind, date, valid until)
    let mut records = Vec::new();
    while records.len() < 240 {
        let instrument = next(30);
        let category = if instrument % 3 == 0 { "DHN" } else { "CT1P" };
        let serial = format!("S{instrument}");
        let kind = if next(4) == 0 {
            InspectionKind::Calibration
        } else {
            InspectionKind::Verification
        };
        let date = start + chrono::Days::new(next(800));
        if !seen.insert((serial.clone(), kind, date)) {
            continue;
        }
        let valid_until = (kind == InspectionKind::Verification && next(5) != 0)
            .then(|| date + chrono::Days::new(300 + next(200)));
        records.push((next(4), category, serial, kind, date, valid_until));
    }
    let mut batches = Vec::new();
    for batch in 0..4 {
        let rows: Vec<ParsedRow> = records
            .iter()
            .filter(|r| r.0 == batch)
            .enumerate()
            .map(|(i, (_, category, serial, kind, date, valid_until))| {
                let date_text = date.format("%Y-%m-%d").to_string();
                // The last batch's lines go back now and then (2, 3, …, 6, 3, 4, …): a
                // store must count each row once however its chunks fall.
                let i = i as u64;
                let line = if batch == 3 { 2 + i % 5 + i / 5 } else { i + 2 };
                row_with(line, &date_text, category, serial, |r| {
                    r.kind = *kind;
                    r.valid_until = *valid_until;
                    if *kind == InspectionKind::Calibration {
                        r.result = None;
                    }
                })
            })
            .collect();
        let stored = inspections(store, ImportMode::Strict, &format!("sha-{batch}"), rows).await;
        assert_eq!(
            stored.outcome,
            BatchOutcome::Stored,
            "{:?}",
            stored.problems
        );
        batches.push(stored.id.expect("id"));
    }
    // Plans for DHN make its own figures part of every period's achievement.
    for year in [2023, 2024] {
        let y = PeriodSpec::Year { year };
        for spec in y.months().into_iter().chain([y]) {
            for metric in [Metric::InstrumentsInspected, Metric::Inspections] {
                let target = plan(metric, Some("DHN"), &spec.to_string(), 1);
                store
                    .set_plan(lab, &target, "supervisor")
                    .await
                    .expect("plan");
            }
        }
    }
    let mut live: Vec<bool> = vec![true; 4];
    let check = |live: Vec<bool>| {
        let records = &records;
        async move {
            let live: Vec<_> = records.iter().filter(|r| live[r.0 as usize]).collect();
            for year in [2023, 2024] {
                for scheme in [Scheme::Decree09, Scheme::Calendar] {
                    let y = PeriodSpec::Year { year };
                    let mut specs = y.months();
                    specs.extend(
                        ["Q1", "Q2", "Q3", "Q4", "H1", "H2"]
                            .map(|p| PeriodSpec::parse(&format!("{year}-{p}")).expect("period")),
                    );
                    specs.push(y);
                    for spec in specs {
                        let period = spec.resolve(scheme);
                        let inside: Vec<_> = live
                            .iter()
                            .filter(|r| (period.start..=period.end).contains(&r.4))
                            .collect();
                        let instruments: std::collections::HashSet<_> =
                            inside.iter().map(|r| (r.1, r.2.as_str())).collect();
                        for category in [None, Some("DHN")] {
                            let expected = (
                                instruments
                                    .iter()
                                    .filter(|i| category.is_none_or(|c| i.0 == c))
                                    .count() as u64,
                                inside
                                    .iter()
                                    .filter(|r| category.is_none_or(|c| r.1 == c))
                                    .count() as u64,
                            );
                            let a = store.achievement(lab, period).await.expect("achievement");
                            let code = category.map(|c| CategoryCode::parse(c).expect("code"));
                            let of = |m: Metric| {
                                a.metrics
                                    .iter()
                                    .find(|x| x.metric == m && x.category == code)
                                    .map(|x| x.actual)
                            };
                            let got = (
                                of(Metric::InstrumentsInspected).expect("instruments"),
                                of(Metric::Inspections).expect("inspections"),
                            );
                            assert_eq!(got, expected, "{spec} {scheme:?} {category:?}");
                        }
                    }
                }
            }
            // The due list: each instrument's latest valid inspection, soonest first.
            let as_of = d("2024-06-01");
            let mut latest: std::collections::BTreeMap<&str, (NaiveDate, NaiveDate)> =
                Default::default();
            for r in &live {
                if let Some(until) = r.5 {
                    let e = latest.entry(r.2.as_str()).or_insert((r.4, until));
                    if r.4 > e.0 {
                        *e = (r.4, until);
                    }
                }
            }
            let mut expected: Vec<(NaiveDate, String)> = latest
                .iter()
                .filter(|(_, (_, until))| *until <= d("2024-07-01"))
                .map(|(serial, (_, until))| (*until, (*serial).to_owned()))
                .collect();
            expected.sort();
            let due = store
                .due_list(lab, 30, as_of, None, 1000)
                .await
                .expect("due list");
            let got: Vec<(NaiveDate, String)> = due
                .into_iter()
                .map(|e| (e.valid_until, e.serial_number))
                .collect();
            assert_eq!(got, expected);
        }
    };
    check(live.clone()).await;
    for voided in [2, 0] {
        store
            .void_batch(lab, batches[voided], "supervisor", "test")
            .await
            .expect("void");
        live[voided] = false;
        check(live.clone()).await;
    }
}

/// A test stores the limit it was judged by (the row's, else the point's); the same
/// measurement written differently is a duplicate; another value is a conflict.
pub async fn earthing_limits_duplicates_and_conflicts<S: Store>(store: &S) {
    let first = vec![
        earthing(2, "2023-10-01", "Trường A", "P1", "12.5"),
        ParsedRow::Earthing({
            let mut t = earthing_test(3, "2023-10-01", "Trạm điện B", "E1", "3.9");
            t.record.system = Some(EarthingSystem::ElectricalSafety);
            t
        }),
    ];
    let batch = import(store, LogKind::Earthing, ImportMode::Strict, "sha-a", first).await;
    assert_eq!(batch.inserted, 2);
    let again = vec![
        // Same point (site and code fold), 12.50 = 12.5, the limit the point has (10 Ω).
        ParsedRow::Earthing({
            let mut t = earthing_test(2, "2023-10-01", "trường  a", "p 1", "12.50");
            t.record.limit = Some(Ohms::parse("10").expect("ohms"));
            t
        }),
        // The electrical-safety point got 4 Ω; saying so again is the same record.
        ParsedRow::Earthing({
            let mut t = earthing_test(3, "2023-10-01", "Trạm điện B", "E1", "3.9");
            t.record.limit = Some(Ohms::parse("4").expect("ohms"));
            t
        }),
        ParsedRow::Earthing({
            let mut t = earthing_test(4, "2023-10-01", "Trường A", "P1", "12.5");
            t.record.limit = Some(Ohms::parse("4").expect("ohms"));
            t
        }),
        earthing(5, "2023-10-01", "Trường A", "P1", "3.1"),
        earthing(6, "2023-10-08", "Trường A", "P1", "3.1"),
    ];
    let batch = import(
        store,
        LogKind::Earthing,
        ImportMode::Partial,
        "sha-b",
        again,
    )
    .await;
    assert_eq!(
        (batch.inserted, batch.duplicates, batch.rejected),
        (1, 2, 2),
        "{:?}",
        batch.problems
    );
    let cols: Vec<(u64, Option<&str>, Option<&str>)> = batch
        .problems
        .iter()
        .map(|p| (p.line, p.column.as_deref(), p.value.as_deref()))
        .collect();
    assert_eq!(
        cols,
        vec![
            (4, Some("limit_ohm"), Some("4")),
            (5, Some("resistance_ohm"), Some("3.1")),
        ]
    );
    assert_eq!(totals(store).await, (0, 0, 2));
}

/// A file of thousands of rows crosses many multi-row statements, with duplicates
/// across their edges, and is counted exactly.
pub async fn bulk_import_spans_many_statements<S: Store>(store: &S) {
    let n: u64 = 3_000;
    let mut rows: Vec<ParsedRow> = (0..n)
        .map(|i| {
            row(
                i + 2,
                "2023-10-01",
                if i % 2 == 0 { "CT1P" } else { "DHN" },
                &format!("S{}", i % 1_000),
            )
        })
        .collect();
    // Every 1 000 rows the serials repeat on another date: new inspections, same
    // instruments, except the repeats on the same date and category (duplicates).
    for (i, r) in rows.iter_mut().enumerate() {
        if let ParsedRow::Inspection(s) = r
            && i >= 1_000
            && i % 7 != 0
        {
            s.record.date = d("2023-10-02") + chrono::Days::new((i / 1_000) as u64);
        }
    }
    let batch = inspections(store, ImportMode::Partial, "sha-bulk", rows).await;
    assert_eq!(batch.rows, n);
    assert_eq!(
        batch.inserted + batch.duplicates,
        n,
        "{:?}",
        batch.problems.first()
    );
    assert_eq!(batch.rejected, 0);
    let (instruments, stored, _) = totals(store).await;
    assert_eq!(instruments, 1_000);
    assert_eq!(stored, batch.inserted);
    assert!(batch.duplicates > 0);
}

// ----- labs, accounts and the audit log --------------------------------------------

fn new_user(username: &str, role: Role) -> NewUser {
    NewUser {
        username: username.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${username}"),
        role,
    }
}

fn new_token(name: &str, role: Role, user_id: Option<i64>, hash: &str) -> NewToken {
    NewToken {
        name: name.into(),
        role,
        user_id,
        token_hash: hash.into(),
    }
}

/// Labs are created once per code, each with the seeded categories, and audited.
pub async fn labs_are_created_once_with_their_categories<S: Store>(store: &S) {
    let default = lab(store).await;
    let labs = store.labs().await.expect("labs");
    assert_eq!(labs.len(), 1);
    assert_eq!((labs[0].id, labs[0].code.as_str()), (default, "default"));
    let b = store
        .create_lab(" lab-b ", "Phòng thí nghiệm B", "admin")
        .await
        .expect("create lab");
    assert_eq!(
        (b.code.as_str(), b.name.as_str()),
        ("lab-b", "Phòng thí nghiệm B")
    );
    assert_ne!(b.id, default);
    assert_eq!(
        store.labs().await.expect("labs"),
        vec![labs[0].clone(), b.clone()]
    );
    assert!(matches!(
        store.create_lab("lab-b", "again", "admin").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.create_lab("  ", "blank", "admin").await,
        Err(StoreError::Invalid(_))
    ));
    let seeded = store.categories(default).await.expect("categories");
    assert_eq!(store.categories(b.id).await.expect("categories"), seeded);
    let audit = store.audit_log(b.id, Page::first(10)).await.expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (
            audit[0].action.as_str(),
            audit[0].actor.as_str(),
            audit[0].lab
        ),
        ("lab.create", "admin", b.id)
    );
    assert_eq!(audit[0].detail["code"], "lab-b");
}

/// Users are unique by name within a lab; their credentials are found by lab and name.
pub async fn users_are_unique_within_their_lab<S: Store>(store: &S) {
    let a = lab(store).await;
    let b = store
        .create_lab("lab-b", "B", "admin")
        .await
        .expect("lab")
        .id;
    let an = store
        .create_user(a, &new_user(" an ", Role::Technician), "admin")
        .await
        .expect("user");
    assert_eq!(
        (
            an.lab,
            an.username.as_str(),
            an.role,
            an.created_by.as_str()
        ),
        (a, "an", Role::Technician, "admin")
    );
    assert!(matches!(
        store
            .create_user(a, &new_user("an", Role::Reader), "admin")
            .await,
        Err(StoreError::Conflict(_))
    ));
    for bad in ["", "a:b"] {
        assert!(matches!(
            store
                .create_user(a, &new_user(bad, Role::Reader), "admin")
                .await,
            Err(StoreError::Invalid(_))
        ));
    }
    let other = store
        .create_user(b, &new_user("an", Role::Reader), "admin")
        .await
        .expect("the same name in another lab");
    let binh = store
        .create_user(a, &new_user("binh", Role::Supervisor), "admin")
        .await
        .expect("user");
    assert_eq!(store.users(a).await.expect("users"), vec![an.clone(), binh]);
    assert_eq!(store.users(b).await.expect("users"), vec![other.clone()]);
    let found = store
        .user_credentials(a, "an")
        .await
        .expect("credentials")
        .expect("found");
    assert_eq!(found.user, an);
    assert_eq!(
        found.password_hash,
        new_user(" an ", Role::Technician).password_hash
    );
    assert_eq!(
        store
            .user_credentials(b, "an")
            .await
            .expect("credentials")
            .map(|c| c.user),
        Some(other)
    );
    assert!(
        store
            .user_credentials(a, "nobody")
            .await
            .expect("credentials")
            .is_none()
    );
    let actions: Vec<String> = store
        .audit_log(a, Page::first(10))
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, vec!["user.create", "user.create"]);
}

/// Tokens are found by hash in any lab, listed with their user, touched, and revoked
/// once; the audit log pages newest first.
pub async fn tokens_are_found_touched_and_revoked<S: Store>(store: &S) {
    let a = lab(store).await;
    let b = store
        .create_lab("lab-b", "B", "admin")
        .await
        .expect("lab")
        .id;
    let an = store
        .create_user(a, &new_user("an", Role::Technician), "admin")
        .await
        .expect("user");
    let stranger = store
        .create_user(b, &new_user("chi", Role::Reader), "admin")
        .await
        .expect("user");
    let personal = store
        .create_token(
            a,
            &new_token("an's laptop", Role::Technician, Some(an.id), "h1"),
            "admin",
        )
        .await
        .expect("token");
    assert_eq!(
        (personal.lab, personal.name.as_str(), personal.role),
        (a, "an's laptop", Role::Technician)
    );
    assert_eq!(personal.username.as_deref(), Some("an"));
    assert_eq!(personal.actor(), "an");
    assert!(personal.last_used_at.is_none() && personal.revoked_at.is_none());
    let script = store
        .create_token(a, &new_token("nightly", Role::Reader, None, "h2"), "admin")
        .await
        .expect("token");
    assert_eq!(script.actor(), "token:nightly");
    assert!(matches!(
        store
            .create_token(
                a,
                &new_token("x", Role::Reader, Some(stranger.id), "h3"),
                "admin"
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .create_token(a, &new_token(" ", Role::Reader, None, "h4"), "admin")
            .await,
        Err(StoreError::Invalid(_))
    ));
    let b_token = store
        .create_token(
            b,
            &new_token("b", Role::Reader, Some(stranger.id), "h5"),
            "admin",
        )
        .await
        .expect("token");
    assert_eq!(
        store.tokens(a).await.expect("tokens"),
        vec![personal.clone(), script.clone()]
    );
    assert_eq!(
        store.tokens(b).await.expect("tokens"),
        vec![b_token.clone()]
    );
    assert_eq!(
        store.token_by_hash("h5").await.expect("by hash"),
        Some(b_token.clone())
    );
    assert!(
        store
            .token_by_hash("nope")
            .await
            .expect("by hash")
            .is_none()
    );

    let at = chrono::DateTime::parse_from_rfc3339("2024-05-01T08:30:00Z")
        .expect("time")
        .to_utc();
    store.touch_token(personal.id, at).await.expect("touch");
    let touched = store
        .token_by_hash("h1")
        .await
        .expect("by hash")
        .expect("found");
    assert_eq!(touched.last_used_at, Some(at));

    assert!(matches!(
        store.revoke_token(b, personal.id, "admin").await,
        Err(StoreError::NotFound(_))
    ));
    let revoked = store
        .revoke_token(a, personal.id, "boss")
        .await
        .expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.revoked_by.as_deref(), Some("boss"));
    assert_eq!(
        store.token_by_hash("h1").await.expect("by hash"),
        Some(revoked.clone())
    );
    assert!(matches!(
        store.revoke_token(a, personal.id, "boss").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.revoke_token(a, script.id + 1000, "boss").await,
        Err(StoreError::NotFound(_))
    ));

    let audit = store.audit_log(a, Page::first(100)).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "token.revoke",
            "token.create",
            "token.create",
            "user.create"
        ]
    );
    assert_eq!(audit[0].subject, format!("token:{}", personal.id));
    assert_eq!(audit[0].actor, "boss");
    assert_eq!(audit[1].detail["name"], "nightly");
    let first = store.audit_log(a, Page::first(2)).await.expect("audit");
    assert_eq!(first, audit[..2].to_vec());
    let next = store
        .audit_log(
            a,
            Page {
                limit: 2,
                after: Some(first[1].id),
            },
        )
        .await
        .expect("audit");
    assert_eq!(next, audit[2..].to_vec());
}

// ----- records, a page at a time ---------------------------------------------------

/// Batches newest first, instruments and inspections by id, a page at a time, filtered,
/// with their evidence; another lab sees none of them.
pub async fn records_are_listed_a_page_at_a_time<S: Store>(store: &S) {
    let a = lab(store).await;
    let first = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let rows = vec![
        row_with(2, "2023-11-05", "CT1P", "A1", |r| {
            r.error_percent = Some("-0.120".parse().expect("decimal"));
            r.owner = Some("Nhà máy nước".into());
        }),
        row_with(3, "2023-11-06", "CT1P", "X_9", |r| {
            r.result = Some(Outcome::Fail)
        }),
    ];
    let second = inspections(store, ImportMode::Strict, "sha-b", rows).await;

    let batches = store.batch_page(a, Page::first(10)).await.expect("batches");
    let ids: Vec<Option<i64>> = batches.iter().map(|b| b.id).collect();
    assert_eq!(ids, vec![second.id, first.id]);
    assert_eq!(batches[1].inserted, 3);
    let older = store
        .batch_page(
            a,
            Page {
                limit: 10,
                after: second.id,
            },
        )
        .await
        .expect("batches");
    assert_eq!(
        older.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![first.id]
    );

    let all = store
        .instruments(a, &InstrumentFilter::default(), Page::first(10))
        .await
        .expect("instruments");
    // By id; which of a file's new instruments gets the lower id is the backend's affair.
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    let mut serials: Vec<&str> = all.iter().map(|i| i.serial_number.as_str()).collect();
    serials.sort_unstable();
    assert_eq!(serials, vec!["A1", "A2", "B1", "X_9"]);
    let a1 = all
        .iter()
        .find(|i| i.serial_number == "A1")
        .expect("A1")
        .clone();
    assert_eq!(a1.created_batch_id, first.id);
    assert_eq!(a1.owner.as_deref(), Some("Điện lực"));
    let page = store
        .instruments(a, &InstrumentFilter::default(), Page::first(2))
        .await
        .expect("instruments");
    assert_eq!(page, all[..2].to_vec());
    let rest = store
        .instruments(
            a,
            &InstrumentFilter::default(),
            Page {
                limit: 2,
                after: Some(page[1].id),
            },
        )
        .await
        .expect("instruments");
    assert_eq!(rest, all[2..].to_vec());
    let serial_of = |list: Vec<crate::records::InstrumentRecord>| -> Vec<String> {
        let mut serials: Vec<String> = list.into_iter().map(|i| i.serial_number).collect();
        serials.sort_unstable();
        serials
    };
    let filtered = |filter: InstrumentFilter| async move {
        serial_of(
            store
                .instruments(a, &filter, Page::first(10))
                .await
                .expect("instruments"),
        )
    };
    let category = CategoryCode::parse("DHN").expect("category");
    assert_eq!(
        filtered(InstrumentFilter {
            category: Some(category),
            ..Default::default()
        })
        .await,
        vec!["B1"]
    );
    assert_eq!(
        filtered(InstrumentFilter {
            serial: Some("a".into()),
            ..Default::default()
        })
        .await,
        vec!["A1", "A2"]
    );
    // `_` is a character, not a wildcard.
    assert_eq!(
        filtered(InstrumentFilter {
            serial: Some("x_".into()),
            ..Default::default()
        })
        .await,
        vec!["X_9"]
    );
    assert_eq!(
        filtered(InstrumentFilter {
            search: Some("B1".into()),
            ..Default::default()
        })
        .await,
        vec!["B1"]
    );
    assert_eq!(
        filtered(InstrumentFilter {
            owner: Some("lực".into()),
            ..Default::default()
        })
        .await,
        vec!["A1", "A2", "B1", "X_9"]
    );

    let history = store.instrument(a, a1.id).await.expect("history");
    assert_eq!(history.instrument, a1);
    let dates: Vec<NaiveDate> = history.inspections.iter().map(|s| s.inspected_on).collect();
    assert_eq!(dates, vec![d("2023-10-01"), d("2023-11-05")]);
    let old = &history.inspections[0];
    assert_eq!(
        (old.serial_number.as_str(), old.category.as_str(), old.kind),
        ("A1", "CT1P", InspectionKind::Verification)
    );
    assert_eq!(old.error_percent.as_deref(), Some("0.5"));
    assert_eq!(
        (old.batch_id, old.source_line, old.version),
        (first.id, Some(2), 1)
    );
    assert_eq!(old.original["Tên PTĐ"], "CT1P");
    assert_eq!(old.procedure.as_deref(), Some("ĐLVN 07:2012"));
    assert_eq!(
        history.inspections[1].error_percent.as_deref(),
        Some("-0.120")
    );
    assert_eq!(
        store.inspection(a, old.id).await.expect("inspection"),
        old.clone()
    );

    let listed = |filter: InspectionFilter| async move {
        store
            .inspections(a, &filter, Page::first(10))
            .await
            .expect("inspections")
            .into_iter()
            .map(|s| (s.inspected_on, s.serial_number))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    };
    assert_eq!(listed(InspectionFilter::default()).await.len(), 5);
    assert_eq!(
        listed(InspectionFilter {
            from: Some(d("2023-10-02")),
            to: Some(d("2023-11-05")),
            ..Default::default()
        })
        .await,
        vec![
            (d("2023-10-02"), "B1".to_owned()),
            (d("2023-10-03"), "A2".to_owned()),
            (d("2023-11-05"), "A1".to_owned()),
        ]
    );
    assert_eq!(
        listed(InspectionFilter {
            result: Some(Outcome::Fail),
            ..Default::default()
        })
        .await,
        vec![(d("2023-11-06"), "X_9".to_owned())]
    );
    assert_eq!(
        listed(InspectionFilter {
            batch_id: second.id,
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        listed(InspectionFilter {
            instrument_id: Some(a1.id),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        listed(InspectionFilter {
            technician: Some(" Nguyễn Văn An ".into()),
            kind: Some(InspectionKind::Verification),
            ..Default::default()
        })
        .await
        .len(),
        5
    );
    store
        .void_batch(a, second.id.expect("id"), "supervisor", "wrong file")
        .await
        .expect("void");
    assert_eq!(listed(InspectionFilter::default()).await.len(), 3);
    let with_voided = store
        .inspections(
            a,
            &InspectionFilter {
                include_voided: true,
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("inspections");
    assert_eq!(with_voided.len(), 5);
    assert_eq!(
        with_voided.iter().filter(|s| s.voided_at.is_some()).count(),
        2
    );

    // Another lab sees nothing of this one.
    let b = store
        .create_lab("lab-b", "B", "admin")
        .await
        .expect("lab")
        .id;
    assert!(
        store
            .batch_page(b, Page::first(10))
            .await
            .expect("batches")
            .is_empty()
    );
    assert!(
        store
            .instruments(b, &InstrumentFilter::default(), Page::first(10))
            .await
            .expect("instruments")
            .is_empty()
    );
    assert!(matches!(
        store.instrument(b, a1.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.inspection(b, old.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.inspection(a, old.id + 1000).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Earthing points with their latest valid test, over-limit ones picked out exactly;
/// a point's history in date order with rises flagged; tests listed and filtered.
pub async fn earthing_points_and_tests_are_read_back<S: Store>(store: &S) {
    let a = lab(store).await;
    let rows = vec![
        earthing(2, "2023-10-01", "Trường A", "P1", "2.50"),
        earthing(3, "2023-10-08", "Trường A", "P1", "3.1"),
        earthing(4, "2023-10-15", "Trường A", "P1", "2.9"),
        earthing(5, "2023-10-01", "Trạm điện B", "E_1", "10.01"),
        earthing(6, "2023-10-01", "Trạm điện B", "E2", "10"),
    ];
    let batch = import(store, LogKind::Earthing, ImportMode::Strict, "sha-e", rows).await;
    assert_eq!(batch.inserted, 5);
    let points = store
        .earthing_points(a, &PointFilter::default(), Page::first(10))
        .await
        .expect("points");
    assert!(points.windows(2).all(|w| w[0].id < w[1].id));
    let mut seen: Vec<(&str, &str, Option<&str>, Option<bool>)> = points
        .iter()
        .map(|p| {
            (
                p.code.as_str(),
                p.limit_ohm.as_str(),
                p.last_resistance_ohm.as_deref(),
                p.last_pass,
            )
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        vec![
            ("E2", "10", Some("10"), Some(true)),
            ("E_1", "10", Some("10.01"), Some(false)),
            ("P1", "10", Some("2.9"), Some(true)),
        ]
    );
    let p1 = points.iter().find(|p| p.code == "P1").expect("P1").clone();
    assert_eq!(p1.last_tested_on, Some(d("2023-10-15")));
    assert_eq!(p1.site, "Trường A");
    let codes = |list: Vec<crate::records::EarthingPointRecord>| -> Vec<String> {
        let mut codes: Vec<String> = list.into_iter().map(|p| p.code).collect();
        codes.sort_unstable();
        codes
    };
    let over = store
        .earthing_points(
            a,
            &PointFilter {
                over_limit: true,
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("points");
    assert_eq!(codes(over), vec!["E_1"]);
    let search = store
        .earthing_points(
            a,
            &PointFilter {
                search: Some("trạm".into()),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("points");
    assert_eq!(codes(search), vec!["E2", "E_1"]);
    let wildcard = store
        .earthing_points(
            a,
            &PointFilter {
                search: Some("E_".into()),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("points");
    assert_eq!(codes(wildcard), vec!["E_1"]);
    let second_page = store
        .earthing_points(
            a,
            &PointFilter::default(),
            Page {
                limit: 1,
                after: Some(points[0].id),
            },
        )
        .await
        .expect("points");
    assert_eq!(codes(second_page), vec![points[1].code.clone()]);

    let history = store.earthing_point(a, p1.id).await.expect("history");
    assert_eq!(history.point, p1);
    let tests: Vec<(&str, Option<bool>, bool)> = history
        .tests
        .iter()
        .map(|t| (t.resistance_ohm.as_str(), t.rose, t.pass))
        .collect();
    assert_eq!(
        tests,
        vec![
            ("2.50", Some(false), true),
            ("3.1", Some(true), true),
            ("2.9", Some(false), true),
        ]
    );
    let t = &history.tests[0];
    assert_eq!(
        (t.site.as_str(), t.point_code.as_str(), t.limit_ohm.as_str()),
        ("Trường A", "P1", "10")
    );
    assert_eq!(
        (t.batch_id, t.source_line, t.version),
        (batch.id, Some(2), 1)
    );
    assert_eq!(t.original["Điện trở"], "2.50");
    assert_eq!(t.tester_serial.as_deref(), Some("K-4105A"));

    let listed = store
        .earthing_tests(
            a,
            &EarthingTestFilter {
                point_id: Some(p1.id),
                from: Some(d("2023-10-02")),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("tests");
    let values: Vec<&str> = listed.iter().map(|t| t.resistance_ohm.as_str()).collect();
    assert_eq!(values, vec!["3.1", "2.9"]);
    assert!(listed.iter().all(|t| t.rose.is_none()));
    let mut failing: Vec<(String, bool)> = store
        .earthing_tests(
            a,
            &EarthingTestFilter {
                technician: Some("Trần Bình".into()),
                batch_id: batch.id,
                to: Some(d("2023-10-01")),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("tests")
        .into_iter()
        .map(|t| (t.point_code, t.pass))
        .collect();
    failing.sort_unstable();
    assert_eq!(
        failing,
        vec![
            ("E2".to_owned(), true),
            ("E_1".to_owned(), false),
            ("P1".to_owned(), true)
        ]
    );

    store
        .void_batch(a, batch.id.expect("id"), "supervisor", "wrong tester")
        .await
        .expect("void");
    let after = store
        .earthing_points(a, &PointFilter::default(), Page::first(10))
        .await
        .expect("points");
    assert!(
        after
            .iter()
            .all(|p| p.last_resistance_ohm.is_none() && p.last_pass.is_none())
    );
    assert!(
        store
            .earthing_tests(a, &EarthingTestFilter::default(), Page::first(10))
            .await
            .expect("tests")
            .is_empty()
    );
    let voided = store.earthing_point(a, p1.id).await.expect("history");
    assert_eq!(voided.tests.len(), 3);
    assert!(
        voided
            .tests
            .iter()
            .all(|t| t.rose.is_none() && t.voided_at.is_some())
    );

    let b = store
        .create_lab("lab-b", "B", "admin")
        .await
        .expect("lab")
        .id;
    assert!(
        store
            .earthing_points(b, &PointFilter::default(), Page::first(10))
            .await
            .expect("points")
            .is_empty()
    );
    assert!(matches!(
        store.earthing_point(b, p1.id).await,
        Err(StoreError::NotFound(_))
    ));
}
