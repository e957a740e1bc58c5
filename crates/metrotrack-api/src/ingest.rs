//! Streaming ingestion: bytes from a reader → validated rows → one stored batch; and
//! the upload path that spools a request body to disk, then feeds it in.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::pin::pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use metrotrack_core::{CategoryCatalog, ImportBatch};
use metrotrack_import::{Keeping, ReadOptions, read_log};
use metrotrack_store::{BatchRequest, FilePart, ImportEvent, Store, StoreError};
use tokio::io::AsyncWriteExt;
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

/// Reads `input` as a `request.kind` log and stores it as one batch, with the file itself
/// kept as evidence (compressed, in parts, as it is read).
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
    // The file is kept below: rows that are one line of it are read back from it.
    let options = ReadOptions {
        file_kept: true,
        ..options
    };
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let reader = tokio::task::spawn_blocking(move || {
        let parts = tx.clone();
        let mut input = Keeping::new(input, move |part: metrotrack_import::FilePart| {
            let part = FilePart {
                first_line: part.first_line,
                data: part.data,
            };
            // A closed channel means the store gave up; reading stops at the next rows.
            let _ = parts.blocking_send(ImportEvent::FilePart(part));
        });
        let mut summary = read_log(&mut input, kind, &catalog, &options, |rows, bytes| {
            progress(bytes);
            tx.blocking_send(ImportEvent::Rows(rows)).is_ok()
        });
        // The file's last part; a file that cannot be kept cannot be stored.
        if let Err(e) = input.finish() {
            summary.fatal.push(metrotrack_core::Problem::file(
                metrotrack_core::Msg::FileUnreadable {
                    detail: e.to_string(),
                },
            ));
        }
        // The store may have given up already; its error is the one worth reporting.
        let _ = tx.blocking_send(ImportEvent::Finished(summary));
    });
    let stored = store.import_batch(request, rx).await;
    reader
        .await
        .map_err(|e| IngestError::Reader(e.to_string()))?;
    Ok(stored?)
}

/// Why an upload was not imported.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UploadError {
    /// Passed the size limit: nothing was imported.
    #[error("the upload exceeds the size limit")]
    TooLarge,
    /// The client's stream broke (why): nothing was imported.
    #[error("{0}")]
    Broken(String),
    /// The spool file could not be written or read back.
    #[error("the upload could not be spooled: {0}")]
    Spool(io::Error),
    /// The import itself failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// Read buffer over the spooled file.
const SPOOL_READ_BUFFER: usize = 256 * 1024;
/// Write buffer in front of the spooled file.
const SPOOL_WRITE_BUFFER: usize = 1024 * 1024;

/// An upload's body into the importer: the one upload path behind the API's
/// `POST /api/v1/imports` and the web page's upload.
///
/// The body is first written to an anonymous temporary file in `spool_dir` (counted, and
/// refused past `max_bytes`): a slow or stalled client then holds only that file and
/// never the database. The file has no name, so it is gone when it is closed, whether
/// the import ran, the client went away or the server stopped. Only once the whole body
/// is on disk does the import start, reading the file as a stream (memory stays flat
/// whatever its size), in a task of its own: a client that disconnects does not cut
/// the import short, which ends stored whole or rolled back whole.
pub(crate) async fn ingest_upload<S, St, E>(
    store: &S,
    request: BatchRequest,
    body: St,
    options: ReadOptions,
    max_bytes: u64,
    spool_dir: &Path,
) -> Result<ImportBatch, UploadError>
where
    S: Store,
    St: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let file = spool(body, max_bytes, spool_dir).await?;
    let store = store.clone();
    let import = tokio::spawn(async move {
        let input = io::BufReader::with_capacity(SPOOL_READ_BUFFER, file);
        ingest(&store, request, input, options, |_| {}).await
    });
    import
        .await
        .map_err(|e| IngestError::Reader(e.to_string()))?
        .map_err(UploadError::Ingest)
}

/// Writes `stream` to an anonymous temporary file in `dir` and returns it rewound;
/// stops at a broken stream or past `max` bytes (the file is then closed, so removed).
async fn spool<St, E>(stream: St, max: u64, dir: &Path) -> Result<std::fs::File, UploadError>
where
    St: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let file = tempfile::tempfile_in(dir).map_err(UploadError::Spool)?;
    let mut out =
        tokio::io::BufWriter::with_capacity(SPOOL_WRITE_BUFFER, tokio::fs::File::from_std(file));
    let mut stream = pin!(stream);
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let bytes = chunk.map_err(|e| UploadError::Broken(e.to_string()))?;
        total = total.saturating_add(bytes.len() as u64);
        if total > max {
            return Err(UploadError::TooLarge);
        }
        out.write_all(&bytes).await.map_err(UploadError::Spool)?;
    }
    out.flush().await.map_err(UploadError::Spool)?;
    let mut file = out.into_inner().into_std().await;
    file.seek(SeekFrom::Start(0)).map_err(UploadError::Spool)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static str]) -> impl Stream<Item = Result<Bytes, String>> {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p.as_bytes())))
                .collect::<Vec<_>>(),
        )
    }

    /// What the spool holds, read back.
    async fn spooled(
        stream: impl Stream<Item = Result<Bytes, String>>,
        max: u64,
    ) -> Result<Vec<u8>, UploadError> {
        let dir = std::env::temp_dir();
        let mut file = spool(stream, max, &dir).await?;
        let mut out = Vec::new();
        file.read_to_end(&mut out).map_err(UploadError::Spool)?;
        Ok(out)
    }

    #[tokio::test]
    async fn a_whole_stream_spools_as_its_bytes() {
        let read = spooled(chunks(&["a;b\n", "", "1;2\n"]), 100).await;
        assert_eq!(read.ok().as_deref(), Some(&b"a;b\n1;2\n"[..]));
    }

    #[tokio::test]
    async fn past_the_limit_the_spool_stops() {
        let read = spooled(chunks(&["12345", "67890"]), 8).await;
        assert!(matches!(read, Err(UploadError::TooLarge)), "{read:?}");
    }

    #[tokio::test]
    async fn a_broken_stream_stops_the_spool_with_its_cause() {
        let broken = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"a;b\n")),
            Err("connection reset".to_owned()),
        ]);
        let read = spooled(broken, 100).await;
        assert!(
            matches!(&read, Err(UploadError::Broken(why)) if why == "connection reset"),
            "{read:?}"
        );
    }
}
