//! A batch's file as it was uploaded, streamed from the parts kept with the batch: one
//! part read and decompressed at a time, so memory stays flat whatever the file's size.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use metrotrack_core::LabId;
use metrotrack_store::{FilePart, Store, StoreError};

/// The media type a kept file is sent as, by its name: the three the API document lists
/// (`.xls` and `.ods` go as bytes; their name tells what they are).
fn media_type(file_name: &str) -> &'static str {
    let lower = file_name.to_lowercase();
    if lower.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else if lower.ends_with(".csv") || lower.ends_with(".txt") || lower.ends_with(".tsv") {
        "text/csv"
    } else {
        "application/octet-stream"
    }
}

/// `attachment` with the file's name: plain ASCII for every client, and the name as
/// written (UTF-8, RFC 6266 / RFC 5987) for those that read `filename*`.
fn disposition(file_name: &str) -> HeaderValue {
    let plain: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The kept file of batch `id` of `lab` as an answer; `None` for a batch stored before
/// files were kept (an empty file has no part, and answers an empty body).
pub(crate) async fn kept_file<S: Store>(
    store: &S,
    lab: LabId,
    id: i64,
) -> Result<Option<Response>, StoreError> {
    let batch = store.batch(lab, id).await?;
    let first = store.batch_file_part(lab, id, 0).await?;
    if first.is_none() && batch.size_bytes > 0 {
        return Ok(None);
    }
    Ok(Some(streamed(
        store.clone(),
        lab,
        id,
        first,
        &batch.file_name,
    )))
}

/// The parts of batch `id`'s file from part 0, `first`, as one answer.
fn streamed<S: Store>(
    store: S,
    lab: LabId,
    id: i64,
    first: Option<FilePart>,
    file_name: &str,
) -> Response {
    let parts = stream::try_unfold(
        (store, first, 0_i64),
        move |(store, part, number)| async move {
            let part = match part {
                Some(part) => Some(part),
                None if number == 0 => None,
                None => store
                    .batch_file_part(lab, id, number)
                    .await
                    .map_err(std::io::Error::other)?,
            };
            let Some(part) = part else {
                return Ok(None);
            };
            let bytes = tokio::task::spawn_blocking(move || metrotrack_import::unpack(&part.data))
                .await
                .map_err(std::io::Error::other)??;
            Ok::<_, std::io::Error>(Some((Bytes::from(bytes), (store, None, number + 1))))
        },
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(media_type(file_name)),
            ),
            (header::CONTENT_DISPOSITION, disposition(file_name)),
        ],
        Body::from_stream(parts),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vietnamese_name_is_kept_for_clients_that_read_it() {
        let value = disposition("Sổ kiểm định \"10\".csv");
        let value = value.to_str().expect("ASCII");
        assert!(
            value.starts_with("attachment; filename=\"S_ ki_m __nh _10_.csv\""),
            "{value}"
        );
        assert!(
            value.ends_with(
                "filename*=UTF-8''S%E1%BB%95%20ki%E1%BB%83m%20%C4%91%E1%BB%8Bnh%20%2210%22.csv"
            ),
            "{value}"
        );
        assert_eq!(
            media_type("LOG.XLSX"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(media_type("so.csv"), "text/csv");
    }
}
