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
    let request = request(store, LogKind::Inspections, ImportMode::Strict).await;
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
