//! Exports as HTTP answers: the CSV streamed as the pages are read, the workbook sent
//! from its temporary file; both with a `Content-Disposition` file name.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use metrotrack_core::{LabId, Lang};
use metrotrack_store::Store;
use tokio::io::AsyncReadExt;

use super::source::{ExportError, Rows, xlsx_file};
use super::tables::List;
use super::{ExportFormat, csv_bytes, csv_header};
use crate::error::{ApiResult, bad_request, said};

/// An export asked for: the file format and the language of its headers and words.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExportQuery {
    pub format: ExportFormat,
    pub lang: Lang,
}

/// The `format` and `lang` query values of a list: `None` for the JSON page (no
/// `format`, or `format=json`).
pub(crate) struct ExportParams;

impl ExportParams {
    pub(crate) fn read(format: Option<&str>, lang: Option<&str>) -> ApiResult<Option<ExportQuery>> {
        let format = match format.map(str::trim).filter(|f| !f.is_empty()) {
            None => return Ok(None),
            Some(f) if f.eq_ignore_ascii_case("json") => return Ok(None),
            Some(f) => ExportFormat::parse(f).ok_or_else(|| {
                bad_request(said!(
                    "format: {f:?} không phải là json, csv hay xlsx.",
                    "format: {f:?} is not one of json, csv, xlsx."
                ))
            })?,
        };
        let lang = match lang.map(str::trim).filter(|l| !l.is_empty()) {
            None => Lang::Vi,
            Some(l) => l.parse::<Lang>().map_err(|_| crate::lang::unknown(l))?,
        };
        Ok(Some(ExportQuery { format, lang }))
    }
}

/// Bytes of the workbook read from its file at a time.
const FILE_CHUNK: usize = 64 * 1024;

/// The export of `list` as a download named `<stem><suffix>.<ext>` (`suffix`, e.g.
/// `-2023-10`, says which part of the list it is).
pub(crate) async fn export_response<S: Store>(
    store: S,
    lab: LabId,
    list: List,
    asked: ExportQuery,
    suffix: &str,
) -> Result<Response, ExportError> {
    let rows = Rows::new(store, lab, list, asked.lang);
    let name = format!(
        "{}{suffix}.{}",
        rows.table().file_stem(asked.lang),
        asked.format.extension()
    );
    let body = match asked.format {
        ExportFormat::Csv => {
            let head = Bytes::from(csv_header(rows.table(), asked.lang));
            let pages = stream::try_unfold(rows, |mut rows| async move {
                Ok::<_, ExportError>(
                    rows.next()
                        .await?
                        .map(|page| (Bytes::from(csv_bytes(&page)), rows)),
                )
            });
            use futures_util::StreamExt;
            Body::from_stream(stream::once(async { Ok(head) }).chain(pages))
        }
        ExportFormat::Xlsx => {
            let file = tokio::fs::File::from_std(xlsx_file(rows).await?);
            let chunks = stream::try_unfold(file, |mut file| async move {
                let mut buffer = vec![0; FILE_CHUNK];
                let n = file.read(&mut buffer).await?;
                buffer.truncate(n);
                Ok::<_, std::io::Error>((n > 0).then(|| (Bytes::from(buffer), file)))
            });
            Body::from_stream(chunks)
        }
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asked.format.media_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
