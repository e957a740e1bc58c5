//! `/imports`: the lab's import history, and voiding a batch.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use metrotrack_core::ImportBatch;
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;
use metrotrack_store::records::Page;
use serde::Deserialize;

use super::{Chrome, error_page, expired, forbidden};
use crate::AppState;
use crate::web::{PageResult, WebUser, render};

/// Batches shown, newest first.
const IMPORTS_SHOWN: u32 = 500;

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    chrome: Chrome,
    items: Vec<ImportBatch>,
}

pub(crate) async fn imports<S: Store>(State(app): State<AppState<S>>, user: WebUser) -> PageResult {
    let items = app
        .store
        .batch_page(user.session.user.lab, Page::first(IMPORTS_SHOWN))
        .await?;
    render(&ImportsPage {
        chrome: Chrome::new(&user, "/imports"),
        items,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct VoidForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn void<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<VoidForm>,
) -> PageResult {
    if !user.csrf_ok(&form.csrf) {
        return expired(&user);
    }
    if !user.may(Role::Supervisor) {
        return forbidden(&user);
    }
    let reason = form.reason.trim();
    if reason.is_empty() {
        return error_page(&user, user.t().reason);
    }
    let (store, lab) = (app.store.clone(), user.session.user.lab);
    let (by, reason) = (user.session.user.username.clone(), reason.to_owned());
    let voided =
        crate::run_whole(async move { store.void_batch(lab, id, &by, &reason).await }).await;
    match voided {
        Ok(_) => Ok(Redirect::to("/imports").into_response()),
        Err(e) if e.is_busy() => Err(e.into()),
        // Not found, already voided: said on a page of its own.
        Err(e) => error_page(&user, &e.to_string()),
    }
}
