//! The lists behind the distinct counts: `/figures/instruments-inspected` (the distinct
//! instruments a period's `instruments_inspected` counts, each with its inspections
//! there) and `/figures/points-measured` (the distinct earthing points, each with its
//! tests there), 200 a page, with the list's total.

use askama::Template;
use axum::extract::{Query, State};
use metrotrack_core::CategoryCode;
use metrotrack_store::Store;
use metrotrack_store::records::Page;
use serde::Deserialize;

use super::{Chrome, bad_period, period_of};
use crate::AppState;
use crate::web::{PageResult, WebUser, render};

const LIST_PAGE: u32 = 200;

/// One cell of a counted list: its text, and where it links.
#[derive(Debug)]
pub(crate) struct Cell {
    pub(crate) text: String,
    pub(crate) href: Option<String>,
    pub(crate) num: bool,
}

impl Cell {
    fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            href: None,
            num: false,
        }
    }

    fn link(text: impl Into<String>, href: String) -> Self {
        Self {
            href: Some(href),
            ..Self::text(text)
        }
    }

    fn count(n: u64) -> Self {
        Self {
            num: true,
            ..Self::text(n.to_string())
        }
    }
}

#[derive(Template)]
#[template(path = "counted.html")]
struct CountedPage {
    chrome: Chrome,
    title: &'static str,
    period_label: String,
    start: String,
    end: String,
    total: u64,
    headers: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
    next: Option<String>,
}

/// `?period=…&scheme=…&category=…&after=…`.
#[derive(Debug, Deserialize)]
pub(crate) struct FigureQuery {
    period: Option<String>,
    scheme: Option<String>,
    category: Option<String>,
    after: Option<i64>,
}

/// The next page's link when the extra row asked for came back.
fn next_page<T>(items: &mut Vec<T>, id: impl Fn(&T) -> i64, base: &str) -> Option<String> {
    let limit = LIST_PAGE as usize;
    (items.len() > limit).then(|| {
        items.truncate(limit);
        items
            .last()
            .map(|last| format!("{base}&after={}", id(last)))
            .unwrap_or_default()
    })
}

pub(crate) async fn instruments_inspected<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<FigureQuery>,
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
    let category = q
        .category
        .as_deref()
        .and_then(|c| CategoryCode::parse(c).ok());
    let page = Page {
        limit: LIST_PAGE + 1,
        after: q.after,
    };
    let list = app
        .store
        .inspected_instruments(
            user.session.user.lab,
            period.start,
            period.end,
            category.as_ref(),
            page,
        )
        .await?;
    let mut base = format!(
        "/figures/instruments-inspected?period={spec}&scheme={}",
        scheme.as_str()
    );
    if let Some(c) = &category {
        base.push_str(&format!("&category={c}"));
    }
    let mut items = list.items;
    let next = next_page(&mut items, |i| i.instrument.id, &base);
    let t = user.t();
    let rows = items
        .into_iter()
        .map(|i| {
            let r = i.instrument;
            vec![
                Cell::text(r.category.to_string()),
                Cell::link(r.serial_number, format!("/instruments/{}", r.id)),
                Cell::text(r.owner.unwrap_or_default()),
                Cell::count(i.inspections),
            ]
        })
        .collect();
    render(&CountedPage {
        chrome: Chrome::new(&user, &base),
        title: t.inspected_title,
        period_label: spec.to_string(),
        start: period.start.format("%d/%m/%Y").to_string(),
        end: period.end.format("%d/%m/%Y").to_string(),
        total: list.total,
        headers: vec![t.category, t.serial, t.owner, t.inspections_in_period],
        rows,
        next,
    })
}

pub(crate) async fn points_measured<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<FigureQuery>,
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
    let page = Page {
        limit: LIST_PAGE + 1,
        after: q.after,
    };
    let list = app
        .store
        .measured_points(user.session.user.lab, period.start, period.end, page)
        .await?;
    let base = format!(
        "/figures/points-measured?period={spec}&scheme={}",
        scheme.as_str()
    );
    let mut items = list.items;
    let next = next_page(&mut items, |p| p.point.id, &base);
    let t = user.t();
    let rows = items
        .into_iter()
        .map(|m| {
            let p = m.point;
            vec![
                Cell::text(p.site),
                Cell::link(p.code, format!("/earthing-points/{}", p.id)),
                Cell::count(m.tests),
            ]
        })
        .collect();
    render(&CountedPage {
        chrome: Chrome::new(&user, &base),
        title: t.measured_title,
        period_label: spec.to_string(),
        start: period.start.format("%d/%m/%Y").to_string(),
        end: period.end.format("%d/%m/%Y").to_string(),
        total: list.total,
        headers: vec![t.site, t.point, t.tests_in_period],
        rows,
        next,
    })
}
