//! Streaming ingestion: bytes from a reader → validated rows → one stored batch.

use std::io::Read;

use metrotrack_core::{CategoryCatalog, ImportBatch};
use metrotrack_import::{ReadOptions, read_log};
use metrotrack_store::{BatchRequest, ImportEvent, Store, StoreError};
use tokio::sync::mpsc;

/// Chunks in flight between the reader thread and the store: enough to keep both busy,
/// few enough that memory stays flat.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Why an ingestion failed (row problems are not failures: they are in the batch).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the reader thread failed: {0}")]
    Reader(String),
}

/// Reads `input` as a `request.kind` log and stores it as one batch.
///
/// `progress` is called with the number of bytes read so far after each chunk.
pub async fn ingest<S, R, P>(
    store: &S,
    request: BatchRequest,
    input: R,
    options: ReadOptions,
    progress: P,
) -> Result<ImportBatch, IngestError>
where
    S: Store,
    R: Read + Send + 'static,
    P: Fn(u64) + Send + 'static,
{
    let catalog = CategoryCatalog::new(store.categories(request.lab).await?);
    let kind = request.kind;
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let reader = tokio::task::spawn_blocking(move || {
        let summary = read_log(input, kind, &catalog, &options, |rows, bytes| {
            progress(bytes);
            tx.blocking_send(ImportEvent::Rows(rows)).is_ok()
        });
        // The store may have given up already; its error is the one worth reporting.
        let _ = tx.blocking_send(ImportEvent::Finished(summary));
    });
    let stored = store.import_batch(request, rx).await;
    reader
        .await
        .map_err(|e| IngestError::Reader(e.to_string()))?;
    Ok(stored?)
}
