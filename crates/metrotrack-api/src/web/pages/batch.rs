//! `/imports/{id}`: one batch: its file, counts, problems and warnings, its records (each
//! linking to its page), and voiding or restoring it.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use metrotrack_core::{ImportBatch, LogKind};
use metrotrack_store::accounts::Role;
use metrotrack_store::records::{EarthingTestFilter, InspectionFilter, Page};
use metrotrack_store::{Store, StoreError};
use serde::Deserialize;

use super::confirm::{Confirm, confirm_page, confirmed};
use super::{Chrome, expired, forbidden};
use crate::AppState;
use crate::web::i18n::{RecordTexts, record_texts};
use crate::web::{PageError, PagePath, PageResult, WebUser, render};

/// Records shown a page at a time.
const RECORDS_PAGE: u32 = 200;

/// One record of the batch, as its row shows it.
struct Line {
    id: i64,
    href: String,
    line: i64,
    date: String,
    what: String,
    technician: String,
    voided: bool,
    version: i64,
}

#[derive(Template)]
#[template(path = "batch.html")]
struct BatchPage {
    chrome: Chrome,
    rt: &'static RecordTexts,
    id: i64,
    b: ImportBatch,
    records: Vec<Line>,
    next: Option<String>,
    error: Option<String>,
    /// Whether the uploaded file is kept (batches stored before files were kept are not).
    file_kept: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AfterQuery {
    after: Option<i64>,
    /// `?restored=1`: a confirmed restore just brought the batch back, announced.
    restored: Option<u8>,
}

async fn page<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    id: i64,
    after: Option<i64>,
    error: Option<String>,
) -> Result<BatchPage, PageError> {
    let lab = user.session.user.lab;
    let b = app.store.batch(lab, id).await?;
    let file_kept = app.store.batch_file_part(lab, id, 0).await?.is_some();
    let page = Page {
        limit: RECORDS_PAGE + 1,
        after,
    };
    let chrome = Chrome::new(user, &format!("/imports/{id}"))
        .with_categories(&app.store.categories(lab).await?);
    let mut records: Vec<Line> = match b.kind {
        LogKind::Inspections => {
            let filter = InspectionFilter {
                batch_id: Some(id),
                include_voided: true,
                ..InspectionFilter::default()
            };
            let items = app.store.inspections(lab, &filter, page).await?;
            items
                .into_iter()
                .map(|r| Line {
                    id: r.id,
                    href: format!("/records/inspections/{}", r.id),
                    line: r.source_line.unwrap_or_default(),
                    date: r.inspected_on.format("%d/%m/%Y").to_string(),
                    what: format!("{} {}", chrome.category(&r.category), r.serial_number),
                    technician: r.technician,
                    voided: r.voided_at.is_some(),
                    version: r.version,
                })
                .collect()
        }
        LogKind::Earthing => {
            let filter = EarthingTestFilter {
                batch_id: Some(id),
                include_voided: true,
                ..EarthingTestFilter::default()
            };
            let items = app.store.earthing_tests(lab, &filter, page).await?;
            items
                .into_iter()
                .map(|r| Line {
                    id: r.id,
                    href: format!("/records/earthing/{}", r.id),
                    line: r.source_line.unwrap_or_default(),
                    date: r.tested_on.format("%d/%m/%Y").to_string(),
                    what: format!(
                        "{} {} · {} Ω",
                        r.site,
                        r.point_code,
                        chrome.num(&r.resistance_ohm)
                    ),
                    technician: r.technician,
                    voided: r.voided_at.is_some(),
                    version: r.version,
                })
                .collect()
        }
    };
    let limit = RECORDS_PAGE as usize;
    let next = if records.len() > limit {
        records.truncate(limit);
        records
            .last()
            .map(|r| format!("/imports/{id}?after={}", r.id))
    } else {
        None
    };
    Ok(BatchPage {
        chrome,
        rt: record_texts(user.lang),
        id,
        b,
        records,
        next,
        error,
        file_kept,
    })
}

pub(crate) async fn batch<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
    Query(q): Query<AfterQuery>,
) -> PageResult {
    let mut page = page(&app, &user, id, q.after, None).await?;
    if q.restored.is_some() {
        page.chrome.notice = Some(format!("{} {id}", user.chrome_a().restored_notice));
    }
    render(&page)
}

#[derive(Debug, Deserialize)]
pub(crate) struct RestoreForm {
    #[serde(default)]
    csrf: String,
    /// `yes` once the confirmation page was answered.
    #[serde(default)]
    confirm: String,
}

pub(crate) async fn restore<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
    axum::Form(form): axum::Form<RestoreForm>,
) -> PageResult {
    if !user.csrf_ok(&form.csrf) {
        return expired(&user);
    }
    if !user.may(Role::Supervisor) {
        return forbidden(&user);
    }
    let lab = user.session.user.lab;
    if !confirmed(&form.confirm) {
        let b = app.store.batch(lab, id).await?;
        return confirm_page(
            &user,
            Confirm {
                title: format!("{} {id}", user.chrome_a().restore_batch),
                what: format!("{} {}", b.inserted, user.chrome_a().restore_batch_what),
                reason: String::new(),
                action: format!("/imports/{id}/restore"),
                fields: Vec::new(),
                back: format!("/imports/{id}"),
            },
        );
    }
    let (store, by) = (app.store.clone(), user.session.user.username.clone());
    let restored = crate::run_whole(async move { store.restore_batch(lab, id, &by).await }).await;
    let (status, why) = match restored {
        Ok(_) => {
            return Ok(Redirect::to(&format!("/imports/{id}?restored=1")).into_response());
        }
        Err(StoreError::Conflict(why)) => (StatusCode::CONFLICT, why),
        Err(StoreError::Invalid(why)) => (StatusCode::UNPROCESSABLE_ENTITY, why),
        Err(e) => return Err(e.into()),
    };
    let why = crate::error::refusal_in(why, user.lang);
    let page = render(&page(&app, &user, id, None, Some(why)).await?)?;
    Ok((status, page).into_response())
}
