//! `/due`: instruments whose inspection falls due; `/earthing/over-limit`: earthing
//! points whose last test is over their limit.

use askama::Template;
use axum::extract::{Query, State};
use chrono::{NaiveDate, Utc};
use metrotrack_core::DueEntry;
use metrotrack_store::Store;
use metrotrack_store::records::{EarthingPointRecord, Page, PointFilter};
use serde::Deserialize;

use super::Chrome;
use crate::AppState;
use crate::pagination::{decode_due_cursor, encode_due_cursor};
use crate::web::{PageResult, WebUser, render};

#[derive(Debug, Deserialize)]
pub(crate) struct DueQuery {
    within: Option<u32>,
    as_of: Option<NaiveDate>,
    cursor: Option<String>,
}

/// Instruments on one page of the due list.
const DUE_PAGE: u32 = 500;
/// Earthing points over their limit shown at most.
const OVER_LIMIT_SHOWN: u32 = 1000;

#[derive(Template)]
#[template(path = "due.html")]
struct DuePage {
    chrome: Chrome,
    within: u32,
    as_of: String,
    items: Vec<DueEntry>,
    next: Option<String>,
}

pub(crate) async fn due<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<DueQuery>,
) -> PageResult {
    let within = q.within.unwrap_or(30).min(3650);
    let as_of = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
    // A cursor this server did not give out starts the list from its beginning.
    let after = q.cursor.as_deref().and_then(|c| decode_due_cursor(c).ok());
    let mut items = app
        .store
        .due_list(
            user.session.user.lab,
            within,
            as_of,
            after.as_ref(),
            DUE_PAGE + 1,
        )
        .await?;
    let next = (items.len() > DUE_PAGE as usize).then(|| {
        items.truncate(DUE_PAGE as usize);
        items.last().map(|last| {
            format!(
                "/due?within={within}&as_of={as_of}&cursor={}",
                encode_due_cursor(&last.into())
            )
        })
    });
    let categories = app.store.categories(user.session.user.lab).await?;
    render(&DuePage {
        chrome: Chrome::new(&user, "/due").with_categories(&categories),
        within,
        as_of: as_of.to_string(),
        items,
        next: next.flatten(),
    })
}

#[derive(Template)]
#[template(path = "over_limit.html")]
struct OverLimitPage {
    chrome: Chrome,
    items: Vec<EarthingPointRecord>,
}

pub(crate) async fn over_limit<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
) -> PageResult {
    let filter = PointFilter {
        over_limit: true,
        ..PointFilter::default()
    };
    let items = app
        .store
        .earthing_points(
            user.session.user.lab,
            &filter,
            Page::first(OVER_LIMIT_SHOWN),
        )
        .await?;
    render(&OverLimitPage {
        chrome: Chrome::new(&user, "/earthing/over-limit"),
        items,
    })
}
