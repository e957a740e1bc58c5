//! Importing a file: what is stored and counted, dry runs, the same file twice, refused and abandoned files, big files.

use super::*;

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

/// What an import stores was created when its batch was uploaded: each record and each
/// instrument it creates reads back with the batch's `uploaded_at` (stored once, with
/// the batch, since migration 0020), in the lists and one by one.
pub async fn records_are_created_when_their_batch_was_uploaded<S: Store>(store: &S) {
    let lab = lab(store).await;
    let first = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    let later = import(
        store,
        LogKind::Earthing,
        ImportMode::Strict,
        "sha-b",
        vec![earthing(2, "2023-10-03", "Site A", "P1", "2.5")],
    )
    .await;
    assert!(first.uploaded_at <= later.uploaded_at);
    let page = Page::first(10);
    let found = store
        .inspections(lab, &InspectionFilter::default(), page)
        .await
        .expect("inspections");
    assert_eq!(found.len(), 3);
    for record in &found {
        assert_eq!(record.created_at, first.uploaded_at, "{record:?}");
        let one = store.inspection(lab, record.id).await.expect("inspection");
        assert_eq!(one.created_at, first.uploaded_at);
        let instrument = store
            .instrument(lab, record.instrument_id)
            .await
            .expect("instrument");
        assert_eq!(instrument.instrument.created_at, first.uploaded_at);
    }
    let instruments = store
        .instruments(lab, &InstrumentFilter::default(), page)
        .await
        .expect("instruments");
    assert!(!instruments.is_empty());
    assert!(
        instruments
            .iter()
            .all(|i| i.created_at == first.uploaded_at)
    );
    let tests = store
        .earthing_tests(lab, &EarthingTestFilter::default(), page)
        .await
        .expect("earthing tests");
    assert_eq!(tests.len(), 1);
    assert_eq!(tests[0].created_at, later.uploaded_at);
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
    summary.fatal.push(Problem::file(Msg::ColumnMissing {
        field: "date".into(),
        accepted: "Ngày kiểm định".into(),
        found: String::new(),
    }));
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

/// An instrument whose category the lab does not keep is never stored: the import
/// fails whole, in whichever chunk the row comes, and leaves nothing behind. (The
/// reader refuses such a row first; the store holds the rule on its own.)
pub async fn a_category_the_lab_lacks_stores_nothing<S: Store>(store: &S) {
    let mut rows: Vec<ParsedRow> = (0..3_000)
        .map(|i| row(i + 2, "2023-10-01", "CT1P", &format!("S{i}")))
        .collect();
    rows.push(row(3_002, "2023-10-01", "NOPE", "S-unknown"));
    let request = request(store, LogKind::Inspections, ImportMode::Partial).await;
    let outcome = send(store, request, rows, Some(summary("sha-nope"))).await;
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(totals(store).await, (0, 0, 0));
    let batches = store.batches(lab(store).await).await.expect("batches");
    assert!(batches.is_empty(), "{batches:?}");
    let later = inspections(store, ImportMode::Strict, "sha-a", three_rows()).await;
    assert_eq!(later.outcome, BatchOutcome::Stored);
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

/// A file of thousands of rows crosses several of the writer's chunks (SQLite's are
/// 1 024 rows, PostgreSQL's 5 000), with duplicates across their edges, and is counted
/// exactly.
pub async fn bulk_import_spans_many_statements<S: Store>(store: &S) {
    let n: u64 = 12_000;
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
    // Every 1 000 rows the serials repeat on another date, two weeks on (another
    // half-month): new inspections, same instruments, except the repeats on the same
    // date and category (duplicates). The first statement's last rows already repeat
    // instruments it creates, so an instrument's first days span half-months.
    for (i, r) in rows.iter_mut().enumerate() {
        if let ParsedRow::Inspection(s) = r
            && i >= 1_000
            && i % 7 != 0
        {
            s.record.date = d("2023-10-01") + chrono::Days::new(14 * (i / 1_000) as u64);
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
    // The rows from 1 000 on that are multiples of 7 keep 2023-10-01: 1 572 duplicates.
    assert_eq!(batch.duplicates, 1_572);
    assert_eq!(batch.inserted, 10_428);
    // The tallies and due dates, counted partly in memory (instruments a chunk creates)
    // and partly from history (instruments of earlier chunks), are what the records say.
    assert_eq!(store.verify().await.expect("verify"), vec![]);
}

/// The file's parts sent with its rows are kept with the batch, in order, and read back
/// one at a time; a dry run keeps none; another lab's batch is not found.
pub async fn the_file_is_kept_with_its_batch<S: Store>(store: &S) {
    let part = |first_line: u64, data: &[u8]| FilePart {
        first_line,
        data: data.to_vec(),
    };
    let run = |mode: ImportMode| async move {
        let (tx, rx) = mpsc::channel(8);
        tx.send(ImportEvent::FilePart(part(1, b"first part")))
            .await
            .expect("send");
        tx.send(ImportEvent::Rows(three_rows()))
            .await
            .expect("send");
        tx.send(ImportEvent::FilePart(part(9001, b"second part")))
            .await
            .expect("send");
        tx.send(ImportEvent::Finished(summary("sha-kept")))
            .await
            .expect("send");
        drop(tx);
        let request = request(store, LogKind::Inspections, mode).await;
        store.import_batch(request, rx).await.expect("import runs")
    };
    let checked = run(ImportMode::DryRun).await;
    assert_eq!(checked.id, None);
    let batch = run(ImportMode::Strict).await;
    let id = batch.id.expect("stored");
    let lab = lab(store).await;
    let read = |n: i64| store.batch_file_part(lab, id, n);
    assert_eq!(read(0).await.expect("part 0"), Some(part(1, b"first part")));
    assert_eq!(
        read(1).await.expect("part 1"),
        Some(part(9001, b"second part"))
    );
    assert_eq!(read(2).await.expect("past the end"), None);
    let other = store
        .create_lab("lab-kept", "Another lab", "test")
        .await
        .expect("lab")
        .id;
    let refused = store.batch_file_part(other, id, 0).await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(_))),
        "{refused:?}"
    );
}

/// Three stored batches of both kinds, for [`batches_hold_their_records`]: an
/// inspections log, an earthing log, and another inspections log.
pub async fn fill_with_batches<S: Store>(store: &S) {
    let first = inspections(store, ImportMode::Strict, "sha-r1", three_rows()).await;
    let tests = vec![
        earthing(2, "2023-10-01", "Trạm A", "P1", "2,5"),
        earthing(3, "2023-10-01", "Trạm A", "P2", "3,1"),
    ];
    let earthing = import(
        store,
        LogKind::Earthing,
        ImportMode::Strict,
        "sha-r2",
        tests,
    )
    .await;
    let rows = vec![
        row(2, "2023-11-01", "CT1P", "R1"),
        row(3, "2023-11-02", "CT1P", "R2"),
    ];
    let last = inspections(store, ImportMode::Strict, "sha-r3", rows).await;
    let stored = [first.inserted, earthing.inserted, last.inserted];
    assert_eq!(stored, [3, 2, 2], "{first:?} {earthing:?} {last:?}");
}

/// How many of `batch`'s records the records' batch filter finds, voided ones too if
/// `voided`.
async fn batch_records<S: Store>(store: &S, batch: &ImportBatch, voided: bool) -> u64 {
    let (lab, id) = (lab(store).await, batch.id.expect("stored"));
    match batch.kind {
        LogKind::Inspections => {
            let filter = InspectionFilter {
                batch_id: Some(id),
                include_voided: voided,
                ..InspectionFilter::default()
            };
            let page = store.inspections(lab, &filter, Page::first(100)).await;
            page.expect("inspections").len() as u64
        }
        LogKind::Earthing => {
            let filter = EarthingTestFilter {
                batch_id: Some(id),
                include_voided: voided,
                ..EarthingTestFilter::default()
            };
            let page = store.earthing_tests(lab, &filter, Page::first(100)).await;
            page.expect("earthing tests").len() as u64
        }
    }
}

/// Each stored batch's records are found by its filter, and voiding and restoring a
/// batch changes its records and no other's (they are read by the range of ids each
/// batch keeps, migration 0015); `verify` finds nothing.
pub async fn batches_hold_their_records<S: Store>(store: &S) {
    let lab = lab(store).await;
    let batches = store.batches(lab).await.expect("batches");
    assert!(batches.len() >= 3, "{batches:?}");
    for batch in &batches {
        assert_eq!(
            batch_records(store, batch, true).await,
            batch.inserted,
            "{batch:?}"
        );
    }
    for voided in &batches {
        let id = voided.id.expect("stored");
        store
            .void_batch(lab, id, "supervisor", "wrong file")
            .await
            .expect("void");
        for batch in &batches {
            let live = if batch.id == voided.id {
                0
            } else {
                batch.inserted
            };
            assert_eq!(batch_records(store, batch, false).await, live, "{batch:?}");
            assert_eq!(batch_records(store, batch, true).await, batch.inserted);
        }
        store
            .restore_batch(lab, id, "supervisor")
            .await
            .expect("restore");
        assert_eq!(batch_records(store, voided, false).await, voided.inserted);
    }
    assert_eq!(store.verify().await.expect("verify"), vec![]);
}

/// Voiding and restoring each of several batches, of both kinds, changes its records and
/// no other's.
pub async fn each_batch_voids_and_restores_only_its_records<S: Store>(store: &S) {
    fill_with_batches(store).await;
    batches_hold_their_records(store).await;
}
