//! `/upload`: a log sent from the browser, streamed into the importer as the API's
//! upload is (the same upload stream).

use askama::Template;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use metrotrack_core::{BatchOutcome, ImportBatch, ImportMode, LogKind, Msg};
use metrotrack_import::ReadOptions;
use metrotrack_store::accounts::Role;
use metrotrack_store::{BatchRequest, Store};

use super::{Chrome, expired, forbidden};
use crate::AppState;
use crate::ingest::{UploadError, ingest_upload};
use crate::upload::clean_file_name;
use crate::web::{PageResult, WebUser, i18n, render};

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    chrome: Chrome,
    batch: Option<ImportBatch>,
    outcome: &'static str,
    error: Option<String>,
}

impl UploadPage {
    fn new(user: &WebUser) -> Self {
        Self {
            chrome: Chrome::new(user, "/upload"),
            batch: None,
            outcome: "",
            error: None,
        }
    }
}

pub(crate) async fn form<S: Store>(State(_): State<AppState<S>>, user: WebUser) -> PageResult {
    if !user.may(Role::Technician) {
        return forbidden(&user);
    }
    render(&UploadPage::new(&user))
}

/// The multipart upload: `csrf`, `kind` and `mode` first (the form's order), then
/// `file`, streamed into the importer.
pub(crate) async fn upload<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    request: Request,
) -> PageResult {
    if !user.may(Role::Technician) {
        return forbidden(&user);
    }
    let t = user.t();
    let fail = |user: &WebUser, error: String| {
        render(&UploadPage {
            error: Some(error),
            ..UploadPage::new(user)
        })
    };
    let mut form = match Multipart::from_request(request, &()).await {
        Ok(f) => f,
        Err(e) => return fail(&user, e.body_text()),
    };
    let (mut csrf, mut kind, mut mode) = (String::new(), String::new(), String::new());
    let field = loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => break field,
                Some(name @ ("csrf" | "kind" | "mode")) => {
                    let name = name.to_owned();
                    let value = field.text().await.unwrap_or_default();
                    match name.as_str() {
                        "csrf" => csrf = value,
                        "kind" => kind = value,
                        _ => mode = value,
                    }
                }
                _ => {}
            },
            Ok(None) => return fail(&user, Msg::FormNoFile {}.render(user.lang)),
            Err(e) => return fail(&user, e.body_text()),
        }
    };
    if !user.csrf_ok(&csrf) {
        return expired(&user);
    }
    let Ok(kind) = kind.parse::<LogKind>() else {
        let msg = Msg::FormKindUnknown { written: kind };
        return fail(&user, format!("{}: {}", t.kind, msg.render(user.lang)));
    };
    let mode = match mode.as_str() {
        "dry_run" => ImportMode::DryRun,
        m => m.parse().unwrap_or(ImportMode::Strict),
    };
    let max = app.config.max_upload_bytes;
    let mut options = ReadOptions::default();
    options.limits.max_upload_bytes = max;
    // A file named .xlsx, .xls or .ods must be a workbook (its first sheet is read), not text.
    options.workbook.expected = field
        .file_name()
        .is_some_and(metrotrack_import::WorkbookOptions::named_as_workbook);
    let request = BatchRequest {
        lab: user.session.user.lab,
        kind,
        mode,
        file_name: clean_file_name(field.file_name()),
        uploaded_by: user.session.user.username.clone(),
    };
    let spool_dir = app.config.spool_dir.as_path();
    let stored = ingest_upload(&app.store, request, field, options, max, spool_dir).await;
    let batch = match stored {
        Ok(batch) => batch,
        Err(UploadError::TooLarge) => {
            let page = fail(&user, i18n::too_large(user.lang, max))?;
            return Ok((StatusCode::PAYLOAD_TOO_LARGE, page).into_response());
        }
        Err(UploadError::Broken(why)) => return fail(&user, why),
        Err(UploadError::Ingest(crate::ingest::IngestError::Store(e))) if e.is_busy() => {
            return Err(e.into());
        }
        Err(e) => return fail(&user, e.to_string()),
    };
    app.telemetry.import(&batch);
    let outcome = match batch.outcome {
        BatchOutcome::Stored => t.outcome_stored,
        BatchOutcome::AlreadyImported => t.outcome_already,
        BatchOutcome::Refused => t.outcome_refused,
        BatchOutcome::DryRun => t.outcome_dry_run,
    };
    render(&UploadPage {
        batch: Some(batch),
        outcome,
        ..UploadPage::new(&user)
    })
}
