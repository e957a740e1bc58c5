//! `/imports`: the lab's import history, and voiding a batch.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use metrotrack_core::ImportBatch;
use metrotrack_store::Store;
use metrotrack_store::accounts::Role;
use metrotrack_store::records::Page;
use serde::Deserialize;

use super::confirm::{Confirm, confirm_page, confirmed};
use super::{Chrome, error_page, expired, forbidden};
use crate::AppState;
use crate::web::{PagePath, PageResult, WebUser, render};

/// Batches shown, newest first.
const IMPORTS_SHOWN: u32 = 500;

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    chrome: Chrome,
    items: Vec<ImportBatch>,
}

/// `?voided=12`: the batch a confirmed void just took out, announced.
#[derive(Debug, Deserialize)]
pub(crate) struct ImportsQuery {
    voided: Option<i64>,
}

pub(crate) async fn imports<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<ImportsQuery>,
) -> PageResult {
    let items = app
        .store
        .batch_page(user.session.user.lab, Page::first(IMPORTS_SHOWN))
        .await?;
    let notice = q
        .voided
        .map(|id| format!("{} {id}", user.chrome_a().voided_notice));
    render(&ImportsPage {
        chrome: Chrome::new(&user, "/imports").with_notice(notice),
        items,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct VoidForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    /// `yes` once the confirmation page was answered.
    #[serde(default)]
    confirm: String,
}

pub(crate) async fn void<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    PagePath(id): PagePath<i64>,
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
    let lab = user.session.user.lab;
    if !confirmed(&form.confirm) {
        let batch = match app.store.batch(lab, id).await {
            Ok(batch) => batch,
            Err(e) => return error_page(&user, &e.to_string()),
        };
        return confirm_page(
            &user,
            Confirm {
                title: format!("{} {id}", user.t().void),
                what: format!("{} {}", batch.inserted, user.chrome_a().void_batch_what),
                reason: reason.to_owned(),
                action: format!("/imports/{id}/void"),
                fields: Vec::new(),
                back: "/imports".to_owned(),
            },
        );
    }
    let (store, by, reason) = (
        app.store.clone(),
        user.session.user.username.clone(),
        reason.to_owned(),
    );
    let voided =
        crate::run_whole(async move { store.void_batch(lab, id, &by, &reason).await }).await;
    match voided {
        Ok(_) => Ok(Redirect::to(&format!("/imports?voided={id}")).into_response()),
        Err(e) if e.is_busy() => Err(e.into()),
        // Not found, already voided: said on a page of its own.
        Err(e) => error_page(&user, &e.to_string()),
    }
}
