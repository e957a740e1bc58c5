//! The records behind a figure: a period's inspections and earthing tests, 200 a page.

use askama::Template;
use axum::extract::{Query, State};
use metrotrack_core::CategoryCode;
use metrotrack_store::Store;
use metrotrack_store::records::{
    EarthingTestFilter, EarthingTestRecord, InspectionFilter, InspectionRecord, Page,
};
use serde::Deserialize;

use super::{Chrome, PeriodQuery, bad_period, period_of};
use crate::AppState;
use crate::web::{PageResult, WebUser, render};

const RECORDS_PAGE: u32 = 200;

#[derive(Template)]
#[template(path = "inspections.html")]
struct InspectionsPage {
    chrome: Chrome,
    period_label: String,
    start: String,
    end: String,
    /// Inspections on every page.
    total: u64,
    items: Vec<InspectionRecord>,
    next: Option<String>,
}

/// `?period=…&scheme=…&after=…&category=…`. Not a flattened [`PeriodQuery`]: a flattened
/// query reads every value as text, so `after` (a number) was refused and the "next page"
/// link answered 400.
#[derive(Debug, Deserialize)]
pub(crate) struct RecordsQuery {
    period: Option<String>,
    scheme: Option<String>,
    after: Option<i64>,
    category: Option<String>,
}

pub(crate) async fn inspections<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<RecordsQuery>,
) -> PageResult {
    let asked = period_of(
        q.period.as_deref(),
        q.scheme.as_deref(),
        app.config.scheme,
        &user,
    );
    let (spec, scheme) = match asked {
        Ok(asked) => asked,
        Err(e) => return bad_period(&user, &e),
    };
    let period = spec.resolve(scheme);
    let filter = InspectionFilter {
        from: Some(period.start),
        to: Some(period.end),
        category: q
            .category
            .as_deref()
            .and_then(|c| CategoryCode::parse(c).ok()),
        ..InspectionFilter::default()
    };
    let page = Page {
        limit: RECORDS_PAGE + 1,
        after: q.after,
    };
    let lab = user.session.user.lab;
    let total = app.store.count_inspections(lab, &filter).await?;
    let mut items = app.store.inspections(lab, &filter, page).await?;
    let base = format!(
        "/records/inspections?period={spec}&scheme={}",
        scheme.as_str()
    );
    let base = match &filter.category {
        Some(c) => format!("{base}&category={c}"),
        None => base,
    };
    let next = more(&mut items, |r| r.id).map(|after| format!("{base}&after={after}"));
    let categories = app.store.categories(user.session.user.lab).await?;
    render(&InspectionsPage {
        chrome: Chrome::new(&user, &base).with_categories(&categories),
        period_label: spec.to_string(),
        start: period.start.format("%d/%m/%Y").to_string(),
        end: period.end.format("%d/%m/%Y").to_string(),
        total,
        items,
        next,
    })
}

/// Trims the extra row asked for, and says where the next page starts if there is one.
fn more<T>(items: &mut Vec<T>, id: impl Fn(&T) -> i64) -> Option<i64> {
    let limit = RECORDS_PAGE as usize;
    if items.len() > limit {
        items.truncate(limit);
        items.last().map(id)
    } else {
        None
    }
}

#[derive(Template)]
#[template(path = "earthing_tests.html")]
struct EarthingTestsPage {
    chrome: Chrome,
    period_label: String,
    start: String,
    end: String,
    /// Tests on every page.
    total: u64,
    items: Vec<EarthingTestRecord>,
    next: Option<String>,
}

pub(crate) async fn earthing_tests<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let asked = period_of(
        q.period.as_deref(),
        q.scheme.as_deref(),
        app.config.scheme,
        &user,
    );
    let (spec, scheme) = match asked {
        Ok(asked) => asked,
        Err(e) => return bad_period(&user, &e),
    };
    let period = spec.resolve(scheme);
    let filter = EarthingTestFilter {
        from: Some(period.start),
        to: Some(period.end),
        ..EarthingTestFilter::default()
    };
    let page = Page {
        limit: RECORDS_PAGE + 1,
        after: q.after,
    };
    let lab = user.session.user.lab;
    let total = app.store.count_earthing_tests(lab, &filter).await?;
    let mut items = app.store.earthing_tests(lab, &filter, page).await?;
    let base = format!("/records/earthing?period={spec}&scheme={}", scheme.as_str());
    let next = more(&mut items, |r| r.id).map(|after| format!("{base}&after={after}"));
    render(&EarthingTestsPage {
        chrome: Chrome::new(&user, &base),
        period_label: spec.to_string(),
        start: period.start.format("%d/%m/%Y").to_string(),
        end: period.end.format("%d/%m/%Y").to_string(),
        total,
        items,
        next,
    })
}
