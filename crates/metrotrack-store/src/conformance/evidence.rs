//! Records as evidence: restoring a voided batch, and files that stored nothing.

use super::*;

/// The serial numbers on the due list as of `as_of` (a year ahead), soonest first.
async fn due_serials<S: Store>(store: &S, as_of: &str) -> Vec<String> {
    let lab = lab(store).await;
    let due = store
        .due_list(lab, 366, d(as_of), None, 1000)
        .await
        .expect("due list");
    due.into_iter().map(|e| e.serial_number).collect()
}

/// A voided batch restored: its records count again in every figure and the due list,
/// the batch is live, the restore is audited; restoring a live or missing batch is
/// refused.
pub async fn restoring_a_batch_brings_its_records_back<S: Store>(store: &S) {
    let lab = lab(store).await;
    let valid = |r: &mut NewInspection| r.valid_until = Some(d("2024-10-01"));
    let rows = vec![
        row_with(2, "2023-10-01", "CT1P", "A1", valid),
        row(3, "2023-10-02", "DHN", "B1"),
        row(4, "2023-10-03", "CT1P", "A2"),
    ];
    let batch = inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let id = batch.id.expect("id");
    let october = month("2023-10", Scheme::Calendar);
    assert_eq!(figures(store, october).await, (3, 3, 0));
    assert_eq!(due_serials(store, "2024-09-15").await, ["A1"]);
    store
        .void_batch(lab, id, "supervisor", "wrong month")
        .await
        .expect("void");
    assert_eq!(figures(store, october).await, (0, 0, 0));
    assert_eq!(due_serials(store, "2024-09-15").await, Vec::<String>::new());

    let restored = store
        .restore_batch(lab, id, "supervisor")
        .await
        .expect("restore");
    assert_eq!(restored.id, Some(id));
    assert_eq!(
        (restored.voided_at, restored.voided_by, restored.void_reason),
        (None, None, None)
    );
    assert_eq!(
        (restored.inserted, restored.outcome),
        (3, BatchOutcome::Stored)
    );
    assert_eq!(figures(store, october).await, (3, 3, 0));
    assert_eq!(due_serials(store, "2024-09-15").await, ["A1"]);
    let listed = store
        .inspections(lab, &InspectionFilter::default(), Page::first(10))
        .await
        .expect("inspections");
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|r| r.voided_at.is_none()));

    let audit = store.audit_log(lab, Page::first(1)).await.expect("audit");
    assert_eq!(
        (audit[0].action.as_str(), audit[0].subject.clone()),
        ("import.restore", format!("import_batch:{id}"))
    );
    assert_eq!(audit[0].actor, "supervisor");
    assert_eq!(audit[0].detail["inspections_restored"], 3);

    match store.restore_batch(lab, id, "supervisor").await {
        Err(StoreError::Invalid(m)) => assert_eq!(m, format!("import batch {id} is not voided")),
        other => panic!("restoring a live batch: {other:?}"),
    }
    match store.restore_batch(lab, id + 100, "supervisor").await {
        Err(StoreError::NotFound(m)) => assert_eq!(m, format!("import batch {}", id + 100)),
        other => panic!("restoring a missing batch: {other:?}"),
    }
    // A restored batch voids again like any other.
    store
        .void_batch(lab, id, "supervisor", "again")
        .await
        .expect("void again");
    assert_eq!(figures(store, october).await, (0, 0, 0));
}

/// A restore that would put a second live record on a key or number another record
/// took since is refused, naming every clash, and restores nothing; so is one whose file
/// was stored again.
pub async fn a_refused_restore_names_every_clash<S: Store>(store: &S) {
    let lab = lab(store).await;
    let numbered = |r: &mut NewInspection| r.certificate_no = Some("GCN-7".into());
    let first = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row_with(3, "2023-10-02", "DHN", "B1", numbered),
        row(4, "2023-10-03", "CT1P", "A2"),
    ];
    let a = inspections(store, ImportMode::Strict, "sha-a", first).await;
    let a_id = a.id.expect("id");
    store
        .void_batch(lab, a_id, "supervisor", "typo")
        .await
        .expect("void");
    // Another file takes A1's key and, on another instrument, B1's certificate number.
    let second = vec![
        row(2, "2023-10-01", "CT1P", "A1"),
        row_with(3, "2023-10-05", "DHN", "C9", numbered),
    ];
    let b = inspections(store, ImportMode::Strict, "sha-b", second).await;
    let b_id = b.id.expect("id");
    assert_eq!(b.inserted, 2);
    let every = InspectionFilter {
        include_voided: true,
        ..InspectionFilter::default()
    };
    let listed = store
        .inspections(lab, &every, Page::first(10))
        .await
        .expect("inspections");
    let id_of = |serial: &str, batch: i64| {
        listed
            .iter()
            .find(|r| r.serial_number == serial && r.batch_id == Some(batch))
            .map(|r| r.id)
            .expect("stored")
    };
    let message = match store.restore_batch(lab, a_id, "supervisor").await {
        Err(StoreError::Conflict(m)) => m,
        other => panic!("a clashing restore: {other:?}"),
    };
    assert_eq!(
        message,
        format!(
            "import batch {a_id} cannot be restored; nothing was restored: \
             line 2, inspection {}: its instrument, kind and date is held by inspection {} \
             (batch {b_id}, line 2); \
             line 3, inspection {}: its certificate number GCN-7 is held by inspection {} \
             (batch {b_id}, line 3)",
            id_of("A1", a_id),
            id_of("A1", b_id),
            id_of("B1", a_id),
            id_of("C9", b_id),
        )
    );
    assert_eq!(totals(store).await, (2, 2, 0));
    let a_now = store.batch(lab, a_id).await.expect("batch");
    assert!(a_now.voided_at.is_some());

    // Once the clashing batch is voided, the restore goes through …
    store
        .void_batch(lab, b_id, "supervisor", "duplicate entry")
        .await
        .expect("void");
    store
        .restore_batch(lab, a_id, "supervisor")
        .await
        .expect("restore");
    assert_eq!(totals(store).await, (3, 3, 0));
    // … and a batch whose very file was stored again cannot come back beside it.
    store
        .void_batch(lab, a_id, "supervisor", "again")
        .await
        .expect("void");
    let rows = vec![row(2, "2024-01-01", "CT1P", "Z1")];
    let c = inspections(store, ImportMode::Strict, "sha-a", rows).await;
    let c_id = c.id.expect("id");
    match store.restore_batch(lab, a_id, "supervisor").await {
        Err(StoreError::Conflict(m)) => assert_eq!(
            m,
            format!(
                "import batch {a_id} cannot be restored; nothing was restored: \
                 the same file is stored as batch {c_id}"
            )
        ),
        other => panic!("restoring beside the same file: {other:?}"),
    }
    assert_eq!(totals(store).await, (1, 1, 0));
}

/// A file whose rows were all refused as conflicts stored nothing: once the batch it
/// conflicted with is voided, the same file imports and stores its rows.
pub async fn a_batch_that_stored_nothing_never_blocks_its_file<S: Store>(store: &S) {
    let lab = lab(store).await;
    let wrong = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let corrected: Vec<ParsedRow> = [
        ("2023-10-01", "CT1P", "A1"),
        ("2023-10-02", "DHN", "B1"),
        ("2023-10-03", "CT1P", "A2"),
    ]
    .iter()
    .zip(2..)
    .map(|(&(date, category, serial), line)| {
        row_with(line, date, category, serial, |r| {
            r.error_percent = Some("-0.2".parse().expect("decimal"))
        })
    })
    .collect();
    let refused = inspections(store, ImportMode::Partial, "sha-f", corrected.clone()).await;
    assert_eq!(
        (refused.inserted, refused.rejected),
        (0, 3),
        "{:?}",
        refused.problems
    );
    store
        .void_batch(lab, wrong.id.expect("id"), "supervisor", "wrong errors")
        .await
        .expect("void");
    let again = inspections(store, ImportMode::Partial, "sha-f", corrected).await;
    assert_eq!(
        (again.outcome, again.inserted, again.rejected),
        (BatchOutcome::Stored, 3, 0)
    );
    assert_ne!(again.id, refused.id);
    assert_eq!(totals(store).await, (3, 3, 0));
}
