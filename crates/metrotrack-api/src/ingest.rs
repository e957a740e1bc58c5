//! Streaming ingestion: bytes from a reader → validated rows → one stored batch; and
//! the upload stream that feeds it from a request body.

use std::io::{self, Read};
use std::pin::pin;

use bytes::{Buf, Bytes};
use futures_util::{Stream, StreamExt};
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

/// Chunks of an upload in flight between the request and the reader thread.
const UPLOAD_CHUNKS_IN_FLIGHT: usize = 8;

/// How an upload's body stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UploadEnd {
    /// Read to its end (or the importer stopped reading: its verdict stands).
    Whole,
    /// Passed the size limit: the importer was told, nothing is stored.
    TooLarge,
    /// The client's stream broke (why): the importer was told, nothing is stored.
    Broken(String),
}

/// Streams an upload's body into the importer: the one upload stream behind the API's
/// `POST /api/v1/imports` and the web page's upload.
///
/// The body is pumped chunk by chunk through a small bounded channel to a reader on a
/// blocking thread, which parses while the store writes: memory holds a few chunks,
/// whatever the file's size. The pump counts bytes and stops past `max_bytes`; a broken
/// or oversized stream ends the reader with an error, so the batch is not stored.
pub(crate) async fn ingest_upload<S, St, E>(
    store: &S,
    request: BatchRequest,
    body: St,
    options: ReadOptions,
    max_bytes: u64,
) -> (UploadEnd, Result<ImportBatch, IngestError>)
where
    S: Store,
    St: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let (tx, rx) = mpsc::channel(UPLOAD_CHUNKS_IN_FLIGHT);
    let reader = ChannelReader {
        rx,
        current: Bytes::new(),
    };
    tokio::join!(
        pump(body, tx, max_bytes),
        ingest(store, request, reader, options, |_| {})
    )
}

/// Reads the chunks the request pumps in, on the importer's blocking thread; the end of
/// the channel is the end of the file, an error in it a read error.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Sends `stream`'s chunks to the reader until it ends, breaks, passes `max` bytes or
/// the reader stops listening.
async fn pump<St, E>(stream: St, tx: mpsc::Sender<io::Result<Bytes>>, max: u64) -> UploadEnd
where
    St: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let mut stream = pin!(stream);
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                total = total.saturating_add(bytes.len() as u64);
                if total > max {
                    let _ = tx
                        .send(Err(io::Error::other("the upload exceeds the size limit")))
                        .await;
                    return UploadEnd::TooLarge;
                }
                if tx.send(Ok(bytes)).await.is_err() {
                    return UploadEnd::Whole;
                }
            }
            Err(e) => {
                let message = e.to_string();
                let _ = tx.send(Err(io::Error::other(message.clone()))).await;
                return UploadEnd::Broken(message);
            }
        }
    }
    UploadEnd::Whole
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

    /// Runs the pump against a reader on a blocking thread; what the reader got.
    async fn through(
        stream: impl Stream<Item = Result<Bytes, String>>,
        max: u64,
    ) -> (UploadEnd, io::Result<Vec<u8>>) {
        let (tx, rx) = mpsc::channel(2);
        let reader = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            ChannelReader {
                rx,
                current: Bytes::new(),
            }
            .read_to_end(&mut out)
            .map(|_| out)
        });
        let end = pump(stream, tx, max).await;
        let read = reader.await.unwrap_or_else(|e| Err(io::Error::other(e)));
        (end, read)
    }

    #[tokio::test]
    async fn a_whole_stream_reads_as_its_bytes() {
        let (end, read) = through(chunks(&["a;b\n", "", "1;2\n"]), 100).await;
        assert_eq!(end, UploadEnd::Whole);
        assert_eq!(read.ok().as_deref(), Some(&b"a;b\n1;2\n"[..]));
    }

    #[tokio::test]
    async fn past_the_limit_the_reader_fails() {
        let (end, read) = through(chunks(&["12345", "67890"]), 8).await;
        assert_eq!(end, UploadEnd::TooLarge);
        assert!(read.is_err());
    }

    #[tokio::test]
    async fn a_broken_stream_fails_the_reader_with_its_cause() {
        let broken = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"a;b\n")),
            Err("connection reset".to_owned()),
        ]);
        let (end, read) = through(broken, 100).await;
        assert_eq!(end, UploadEnd::Broken("connection reset".to_owned()));
        assert!(read.is_err_and(|e| e.to_string() == "connection reset"));
    }
}
