//! `POST /api/v1/imports`: a log streamed from the request into the importer.
//!
//! The body (raw `text/csv`, `.xlsx`, `.xls` or `.ods`, or the `file` field of a
//! `multipart/form-data` form) is spooled to a temporary file
//! ([`crate::ingest::ingest_upload`]), which stops past `max_upload_bytes` (413); only
//! then is it imported, so a slow client never holds the database. A workbook is read
//! whole: the importer spools it (8 MiB in memory, the rest in a temporary file) up to
//! that same bound, and bounds an `.xls`'s or `.ods`'s declared range before reading its
//! cells.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::headers::{ContentLength, ContentType, HeaderMapExt};
use metrotrack_core::{BatchOutcome, ImportMode, LogKind};
use metrotrack_import::{DateOrder, ReadOptions, TextEncoding, WorkbookOptions};
use metrotrack_store::accounts::Role;
use metrotrack_store::{BatchRequest, Store};
use mime::Mime;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::dto::{
    BatchDto, DateOrderParam, DelimiterParam, EncodingParam, ImportModeParam, LogKindParam,
    ProblemDetails,
};
use crate::error::{
    ApiError, ApiResult, bad_request, payload_too_large, said, unreadable, unsupported_media_type,
    validation,
};
use crate::extract::{Json, Query};
use crate::ingest::{UploadError, ingest_upload};
use crate::lang::{LangQuery, ReqLang};
use crate::{AppState, Caller};

/// How to import the uploaded log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// `inspections` or `earthing`.
    #[param(value_type = LogKindParam)]
    pub kind: String,
    /// `strict` (default: nothing stored if any row is invalid) or `partial`.
    #[param(value_type = Option<ImportModeParam>)]
    pub mode: Option<String>,
    /// Validate and report every problem, store nothing.
    pub dry_run: Option<bool>,
    /// The file's name, kept with the batch (a multipart part's own name wins).
    pub file_name: Option<String>,
    /// `,`, `;` or `tab`; detected when absent.
    #[param(value_type = Option<DelimiterParam>)]
    pub delimiter: Option<String>,
    /// `utf-8`, `utf-16le`, `utf-16be` or `windows-1258`; detected when absent.
    #[param(value_type = Option<EncodingParam>)]
    pub encoding: Option<String>,
    /// `dmy` (default) or `ymd`.
    #[param(value_type = Option<DateOrderParam>)]
    pub date_order: Option<String>,
    /// The sheet of a workbook (.xlsx, .xls, .ods) to read, by name; the first sheet when absent.
    pub sheet: Option<String>,
}

fn parse_params(
    q: &UploadParams,
    max_upload_bytes: u64,
) -> ApiResult<(LogKind, ImportMode, ReadOptions)> {
    let kind: LogKind = q.kind.parse().map_err(|e| unreadable("kind", &q.kind, e))?;
    let mode: ImportMode = match q.mode.as_deref() {
        None => ImportMode::Strict,
        Some(m) => m.parse().map_err(|e| unreadable("mode", m, e))?,
    };
    let mode = if q.dry_run == Some(true) {
        ImportMode::DryRun
    } else {
        mode
    };
    let delimiter = match q.delimiter.as_deref() {
        None | Some("") => None,
        Some("," | "comma") => Some(b','),
        Some(";" | "semicolon") => Some(b';'),
        Some("\t" | "tab" | "\\t") => Some(b'\t'),
        Some(other) => {
            let why = format!("{other:?} is not one; use ',', ';' or 'tab'");
            return Err(unreadable("delimiter", other, why));
        }
    };
    let encoding = q
        .encoding
        .as_deref()
        .filter(|e| !e.is_empty())
        .map(|v| {
            v.parse::<TextEncoding>()
                .map_err(|e| unreadable("encoding", v, e))
        })
        .transpose()?;
    let date_order = q
        .date_order
        .as_deref()
        .map(|v| {
            v.parse::<DateOrder>()
                .map_err(|e| unreadable("date_order", v, e))
        })
        .transpose()?
        .unwrap_or_default();
    let mut options = ReadOptions {
        delimiter,
        encoding,
        date_order,
        workbook: WorkbookOptions {
            sheet: q.sheet.clone().filter(|s| !s.trim().is_empty()),
            expected: q
                .file_name
                .as_deref()
                .is_some_and(WorkbookOptions::named_as_workbook),
            ..WorkbookOptions::default()
        },
        ..ReadOptions::default()
    };
    options.limits.max_upload_bytes = max_upload_bytes;
    Ok((kind, mode, options))
}

/// A file name fit to keep: its last path component, at most 255 characters.
pub(crate) fn clean_file_name(name: Option<&str>) -> String {
    let name = name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim())
        .filter(|n| !n.is_empty())
        .unwrap_or("upload.csv");
    name.chars().filter(|c| !c.is_control()).take(255).collect()
}

/// Upload a lab log (CSV or an Excel workbook) as one import batch.
#[utoipa::path(
    post,
    path = "/api/v1/imports",
    tag = "imports",
    operation_id = "upload_log",
    params(UploadParams, LangQuery),
    request_body(
        description = "The log: a `text/csv` or workbook (`.xlsx`, `.xls`, `.ods`) body, or a `multipart/form-data` form whose `file` field is the log (a file named `.xlsx`, `.xls` or `.ods` must be a workbook). `.xls` and `.ods` bodies are also taken as `application/vnd.ms-excel` and `application/vnd.oasis.opendocument.spreadsheet` (left out of the list below, which generated clients cannot read).",
        content(
            (CsvLog = "text/csv"),
            (XlsxLog = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (UploadForm = "multipart/form-data"),
        ),
    ),
    responses(
        (status = 201, description = "Stored as a new batch", body = BatchDto,
         headers(("Location" = String, description = "The new batch"))),
        (status = 200, description = "The same file was imported before (this is that batch), or a dry run", body = BatchDto),
        (status = 422, description = "Refused: nothing stored; every row problem is listed, each with its stable `code` and `args` and its `message` in the language asked (`lang`, else `Accept-Language`, else English)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 400, description = "Bad parameters", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Needs the technician role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the upload limit", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Not CSV, a workbook or multipart", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 503, description = "The database is busy (other writes took too long); nothing was stored, send it again after `Retry-After` seconds", body = ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub async fn upload<S: Store>(
    State(app): State<AppState<S>>,
    caller: Caller,
    Query(q): Query<UploadParams>,
    ReqLang(lang): ReqLang,
    request: Request,
) -> ApiResult<Response> {
    caller.require(Role::Technician)?;
    let max = app.config.max_upload_bytes;
    let (kind, mode, mut options) = parse_params(&q, max)?;
    let declared = request.headers().typed_get::<ContentLength>();
    if declared.is_some_and(|ContentLength(n)| n > max) {
        return Err(too_large(max));
    }
    let essence = media_type(request.headers())?;

    let mut batch_request = BatchRequest {
        lab: caller.lab,
        kind,
        mode,
        file_name: clean_file_name(q.file_name.as_deref()),
        uploaded_by: caller.actor.clone(),
    };

    let spool_dir = app.config.spool_dir.as_path();
    let stored = if essence == "multipart/form-data" {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|e| unreadable_form(e.body_text()))?;
        let field = loop {
            match form.next_field().await {
                Ok(Some(field)) if field.name() == Some("file") => break field,
                Ok(Some(_)) => continue,
                Ok(None) => {
                    return Err(validation(said!(
                        "Biểu mẫu multipart không có trường `file`.",
                        "The multipart form has no `file` field."
                    )));
                }
                Err(e) => return Err(unreadable_form(e.body_text())),
            }
        };
        if let Some(name) = field.file_name() {
            batch_request.file_name = clean_file_name(Some(name));
            options.workbook.expected = WorkbookOptions::named_as_workbook(name);
        }
        ingest_upload(&app.store, batch_request, field, options, max, spool_dir).await
    } else if essence.is_empty()
        || essence.starts_with("text/")
        || essence == "application/csv"
        || essence == "application/octet-stream"
        || essence == "application/vnd.ms-excel"
        || essence == XLSX_MEDIA_TYPE
        || essence == ODS_MEDIA_TYPE
    {
        // `application/vnd.ms-excel` is sent for `.csv` files too: the bytes decide.
        options.workbook.expected |= WorkbookOptions::named_as_workbook(&essence);
        let body = request.into_body().into_data_stream();
        ingest_upload(&app.store, batch_request, body, options, max, spool_dir).await
    } else {
        return Err(unsupported_media(&essence));
    };

    let batch = match stored {
        Ok(batch) => batch,
        Err(UploadError::TooLarge) => return Err(too_large(max)),
        Err(UploadError::Broken(why)) => {
            return Err(bad_request(said!(
                "Việc tải lên bị ngắt giữa chừng ({why}); chưa lưu gì.",
                "The upload was interrupted ({why}); nothing was stored."
            )));
        }
        Err(UploadError::Spool(e)) => return Err(crate::error::internal(e)),
        Err(UploadError::Ingest(e)) => return Err(e.into()),
    };
    app.telemetry.import(&batch);
    let status = match batch.outcome {
        BatchOutcome::Stored => StatusCode::CREATED,
        BatchOutcome::AlreadyImported | BatchOutcome::DryRun => StatusCode::OK,
        BatchOutcome::Refused => return Err(ApiError::ImportRefused(Box::new(batch), lang)),
    };
    let location = batch.id.map(|id| format!("/api/v1/imports/{id}"));
    let mut response = (status, Json(BatchDto::new(batch, lang))).into_response();
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The essence of the request's `Content-Type` (`text/csv`, `multipart/form-data`, …),
/// lower-case; empty when there is none.
fn media_type(headers: &HeaderMap) -> ApiResult<String> {
    let Some(raw) = headers.get(header::CONTENT_TYPE) else {
        return Ok(String::new());
    };
    if raw.as_bytes().trim_ascii().is_empty() {
        return Ok(String::new());
    }
    match headers.typed_get::<ContentType>() {
        Some(media) => Ok(Mime::from(media).essence_str().to_ascii_lowercase()),
        None => Err(unsupported_media(&String::from_utf8_lossy(raw.as_bytes()))),
    }
}

/// 415: the upload's `Content-Type` (`got`) is none the importer reads.
fn unsupported_media(got: &str) -> ApiError {
    unsupported_media_type(said!(
        "Hãy tải sổ lên dạng `text/csv`, dạng bảng tính (`{XLSX_MEDIA_TYPE}`, \
         `{ODS_MEDIA_TYPE}`, `application/vnd.ms-excel`) hoặc làm trường `file` của \
         `multipart/form-data` (đã gửi {got:?}).",
        "Upload the log as `text/csv`, as a workbook (`{XLSX_MEDIA_TYPE}`, \
         `{ODS_MEDIA_TYPE}`, `application/vnd.ms-excel`) or as the `file` field of \
         `multipart/form-data` (got {got:?})."
    ))
}

/// 400: the multipart form cannot be read (`why`).
fn unreadable_form(why: String) -> ApiError {
    bad_request(said!(
        "Không đọc được biểu mẫu multipart; chi tiết kỹ thuật: {why}",
        "The multipart form cannot be read: {why}"
    ))
}

/// The media type of an Excel workbook (`.xlsx`).
const XLSX_MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The media type of an OpenDocument spreadsheet (`.ods`).
const ODS_MEDIA_TYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

fn too_large(max: u64) -> ApiError {
    payload_too_large(said!(
        "Tệp tải lên lớn hơn giới hạn {max} byte; chưa lưu gì.",
        "The upload is larger than the limit of {max} bytes; nothing was stored."
    ))
}

/// A log sent as the whole body: its bytes, in any encoding the importer reads.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(value_type = String, format = Binary, content_media_type = "text/csv")]
pub struct CsvLog(Vec<u8>);

/// A log sent as the whole body: a workbook (`.xlsx`, `.xls`, `.ods`), its first sheet or
/// `sheet=`.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(
    value_type = String,
    format = Binary,
    content_media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)]
pub struct XlsxLog(Vec<u8>);

/// The multipart form of an upload.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The log file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}
