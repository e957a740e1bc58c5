//! `/due`: instruments whose inspection falls due; `/earthing/over-limit`: earthing
//! points whose last test is over their limit.

use askama::Template;
use axum::extract::{Query, State};
use chrono::{NaiveDate, Utc};
use metrotrack_core::{DueCounts, DueEntry};
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
    /// `owner`: the list grouped by customer, for recall notices.
    group: Option<String>,
}

/// Instruments on one page of the due list.
const DUE_PAGE: u32 = 500;
/// Instruments the grouped list shows at most (the download holds them all).
const GROUPED_SHOWN: u32 = 5000;
/// Earthing points over their limit shown at most.
const OVER_LIMIT_SHOWN: u32 = 1000;

#[derive(Template)]
#[template(path = "due.html")]
struct DuePage {
    chrome: Chrome,
    within: u32,
    as_of: String,
    counts: DueCounts,
    /// Grouped by customer: the groups, and the list itself left empty.
    grouped: bool,
    groups: Vec<OwnerGroup>,
    /// The grouped list was cut at [`GROUPED_SHOWN`].
    cut: Option<u32>,
    items: Vec<DueEntry>,
    next: Option<String>,
}

/// One customer's instruments on the due list, soonest first.
struct OwnerGroup {
    owner: Option<String>,
    overdue: usize,
    items: Vec<DueEntry>,
}

/// `items` by owner (by name, those without one last), each group in the list's order.
fn by_owner(items: Vec<DueEntry>) -> Vec<OwnerGroup> {
    let mut groups: Vec<OwnerGroup> = Vec::new();
    let mut index: std::collections::HashMap<Option<String>, usize> =
        std::collections::HashMap::new();
    for item in items {
        let key = item
            .owner
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned);
        let at = *index.entry(key.clone()).or_insert_with(|| {
            groups.push(OwnerGroup {
                owner: key,
                overdue: 0,
                items: Vec::new(),
            });
            groups.len() - 1
        });
        let group = &mut groups[at];
        group.overdue += usize::from(item.overdue);
        group.items.push(item);
    }
    groups.sort_by(|a, b| match (&a.owner, &b.owner) {
        (Some(a), Some(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    groups
}

pub(crate) async fn due<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<DueQuery>,
) -> PageResult {
    let within = q.within.unwrap_or(30).min(3650);
    let as_of = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let lab = user.session.user.lab;
    let counts = app.store.due_counts(lab, within, as_of).await?;
    let categories = app.store.categories(lab).await?;
    let grouped = q.group.as_deref() == Some("owner");
    let chrome = Chrome::new(&user, &here(within, as_of, grouped)).with_categories(&categories);
    if grouped {
        let mut items = app
            .store
            .due_list(lab, within, as_of, None, GROUPED_SHOWN + 1)
            .await?;
        let cut = (items.len() > GROUPED_SHOWN as usize).then(|| {
            items.truncate(GROUPED_SHOWN as usize);
            GROUPED_SHOWN
        });
        return render(&DuePage {
            chrome,
            within,
            as_of: as_of.to_string(),
            counts,
            grouped,
            groups: by_owner(items),
            cut,
            items: Vec::new(),
            next: None,
        });
    }
    // A cursor this server did not give out starts the list from its beginning.
    let after = q.cursor.as_deref().and_then(|c| decode_due_cursor(c).ok());
    let mut items = app
        .store
        .due_list(lab, within, as_of, after.as_ref(), DUE_PAGE + 1)
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
    render(&DuePage {
        chrome,
        within,
        as_of: as_of.to_string(),
        counts,
        grouped,
        groups: Vec::new(),
        cut: None,
        items,
        next: next.flatten(),
    })
}

/// The page's address, to switch language in place.
fn here(within: u32, as_of: NaiveDate, grouped: bool) -> String {
    let group = if grouped { "&group=owner" } else { "" };
    format!("/due?within={within}&as_of={as_of}{group}")
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
