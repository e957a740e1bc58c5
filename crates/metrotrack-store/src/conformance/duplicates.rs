//! Duplicates and conflicts: records already stored, repeated in a file, or differing from what is stored.

use super::*;

/// Each problem's line, column and value.
fn cells(batch: &ImportBatch) -> Vec<(u64, Option<&str>, Option<&str>)> {
    batch
        .problems
        .iter()
        .map(|p| (p.line, p.column.as_deref(), p.value.as_deref()))
        .collect()
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
    assert_eq!(
        cells(&batch),
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

/// A file none of whose rows repeats another's key or numbers is checked against the
/// stored records alone (on PostgreSQL, by probes before a plain insert rather than by
/// `on conflict`): a number or natural key a stored record holds is still found, and
/// judged, on every row that names one, while the other rows are stored.
pub async fn numbers_and_keys_held_by_stored_records_are_found_in_a_file_without_repeats<
    S: Store,
>(
    store: &S,
) {
    let first = vec![
        row_with(2, "2023-10-01", "CT1P", "A1", |r| {
            r.certificate_no = Some("GCN-001".into());
            r.stamp_no = Some("T-9".into());
        }),
        row(3, "2023-10-01", "CT1P", "B1"),
        row(4, "2023-10-01", "CT1P", "C1"),
    ];
    inspections(store, ImportMode::Strict, "sha-a", first).await;
    let second = vec![
        row_with(2, "2023-10-02", "CT1P", "A2", |r| {
            r.certificate_no = Some("GCN-001".into())
        }),
        row_with(3, "2023-10-02", "CT1P", "A3", |r| {
            r.stamp_no = Some("T-9".into())
        }),
        row(4, "2023-10-01", "CT1P", "B1"), // the stored record again
        row_with(5, "2023-10-01", "CT1P", "C1", |r| {
            r.result = Some(Outcome::Fail)
        }),
        row_with(6, "2023-10-02", "CT1P", "A4", |r| {
            r.certificate_no = Some("GCN-002".into());
            r.stamp_no = Some("T-10".into());
        }),
        row(7, "2023-10-02", "CT1P", "A1"), // a stored instrument, another day
    ];
    let batch = inspections(store, ImportMode::Partial, "sha-b", second).await;
    assert_eq!(
        (batch.inserted, batch.duplicates, batch.rejected),
        (2, 1, 3),
        "{:?}",
        batch.problems
    );
    assert_eq!(
        cells(&batch),
        vec![
            (2, Some("certificate_no"), Some("GCN-001")),
            (3, Some("stamp_no"), Some("T-9")),
            (5, Some("result"), Some("fail")),
        ]
    );
    assert_eq!(totals(store).await, (4, 5, 0));
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
    assert_eq!(
        cells(&batch),
        vec![
            (4, Some("limit_ohm"), Some("4")),
            (5, Some("resistance_ohm"), Some("3.1")),
        ]
    );
    assert_eq!(totals(store).await, (0, 0, 2));
}
