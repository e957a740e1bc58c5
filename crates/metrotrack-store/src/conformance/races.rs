//! Writers racing: two imports at once, of the same file or of different files.

use super::*;

/// Imports a file of the instruments `SN-<i>` for each `i` of `serials`, each verified
/// on `date`, streamed in events of 1 000 rows.
pub async fn import_file<S: Store>(
    store: &S,
    sha: &str,
    date: &'static str,
    serials: Vec<u64>,
) -> Result<ImportBatch, StoreError> {
    import_file_in(store, ImportMode::Strict, sha, date, serials).await
}

/// [`import_file`] in `mode`.
pub async fn import_file_in<S: Store>(
    store: &S,
    mode: ImportMode,
    sha: &str,
    date: &'static str,
    serials: Vec<u64>,
) -> Result<ImportBatch, StoreError> {
    let request = request(store, LogKind::Inspections, mode).await;
    let (tx, rx) = mpsc::channel(4);
    let feeder = async move {
        let mut chunk = Vec::new();
        for (line, i) in serials.into_iter().enumerate() {
            let s = verification(line as u64 + 2, date, "CT1P", &format!("SN-{i:06}"));
            chunk.push(ParsedRow::Inspection(s));
            if chunk.len() == 1_000 {
                let rows = std::mem::take(&mut chunk);
                if tx.send(ImportEvent::Rows(rows)).await.is_err() {
                    return;
                }
            }
        }
        let _ = tx.send(ImportEvent::Rows(chunk)).await;
        let _ = tx.send(ImportEvent::Finished(summary(sha))).await;
    };
    let (result, ()) = tokio::join!(store.import_batch(request, rx), feeder);
    result
}

/// Two different files naming the same 12 000 instruments in opposite orders, imported
/// at once: both land whole (no deadlock, no lost or doubled instrument).
pub async fn different_files_racing_both_land_whole<S: Store>(store: &S) {
    let n = 12_000u64;
    let (a, b) = tokio::join!(
        import_file(store, "sha-a", "2023-10-01", (0..n).collect()),
        import_file(store, "sha-b", "2023-10-02", (0..n).rev().collect()),
    );
    let (a, b) = (a.expect("import a"), b.expect("import b"));
    assert_eq!((a.outcome, a.inserted), (BatchOutcome::Stored, n));
    assert_eq!((b.outcome, b.inserted), (BatchOutcome::Stored, n));
    assert_ne!(a.id, b.id);
    // Every instrument once, every inspection once.
    assert_eq!(totals(store).await, (n, 2 * n, 0));
    assert_eq!(
        store
            .batches(lab(store).await)
            .await
            .expect("batches")
            .len(),
        2
    );
}

/// The same file imported twice at once ends as one batch: the other import answers
/// with it.
pub async fn the_same_file_racing_is_one_batch<S: Store>(store: &S) {
    let n = 6_000u64;
    let (a, b) = tokio::join!(
        import_file(store, "sha-same", "2023-10-01", (0..n).collect()),
        import_file(store, "sha-same", "2023-10-01", (0..n).collect()),
    );
    let (a, b) = (a.expect("import a"), b.expect("import b"));
    let mut outcomes = [a.outcome, b.outcome];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(
        outcomes,
        [BatchOutcome::AlreadyImported, BatchOutcome::Stored]
    );
    assert_eq!(a.id, b.id);
    assert_eq!((a.inserted, b.inserted), (n, n));
    assert_eq!(
        store
            .batches(lab(store).await)
            .await
            .expect("batches")
            .len(),
        1
    );
    assert_eq!(totals(store).await, (n, n, 0));
}

/// An import that has begun writing and waits for the rest of its file holds the
/// writer only: reads answer meanwhile, as many at once as the pool has readers and
/// more, noting a token's use does not wait for it, and other writes wait for it (a
/// plan set meanwhile lands once it ends).
pub async fn reads_do_not_wait_for_an_import<S: Store>(store: &S) {
    let lab = lab(store).await;
    let token = store
        .create_token(
            lab,
            &NewToken {
                name: "dashboard".into(),
                role: Role::Reader,
                user_id: None,
                token_hash: "h-waiting".into(),
            },
            "admin",
        )
        .await
        .expect("token");
    let request = request(store, LogKind::Inspections, ImportMode::Strict).await;
    let (tx, rx) = mpsc::channel(4);
    let first = verification(2, "2023-10-02", "CT1P", "SN-WAITING");
    tx.send(ImportEvent::Rows(vec![ParsedRow::Inspection(first)]))
        .await
        .expect("rows");
    let import = tokio::spawn({
        let store = store.clone();
        async move { store.import_batch(request, rx).await }
    });
    // Until the import holds a writing connection (ten seconds at most).
    for _ in 0..500 {
        if store.pool_use().writers_busy > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(store.pool_use().writers_busy > 0, "{:?}", store.pool_use());

    let reads = (0..16).map(|_| store.achievement(lab, month("2023-10", Scheme::Decree09)));
    for read in futures_util::future::join_all(reads).await {
        read.expect("a read while an import writes");
    }
    store
        .touch_token(token.id, chrono::Utc::now())
        .await
        .expect("noting a token's use does not fail while an import writes");
    store.batches(lab).await.expect("batches");

    tx.send(ImportEvent::Finished(summary("sha-waiting")))
        .await
        .expect("finish");
    let batch = import.await.expect("import task").expect("import");
    assert_eq!((batch.outcome, batch.inserted), (BatchOutcome::Stored, 1));
}
