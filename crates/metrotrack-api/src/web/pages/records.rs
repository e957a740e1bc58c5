//! The records behind a figure: a period's inspections and earthing tests, 200 a page.

use askama::Template;
use axum::extract::{Query, State};
use metrotrack_core::{CategoryCode, InspectionKind, Outcome, ReportingPeriod};
use metrotrack_store::Store;
use metrotrack_store::records::{
    EarthingTestFilter, EarthingTestRecord, InspectionFilter, InspectionRecord, Page,
};
use serde::Deserialize;

use super::{Chrome, bad_period, period_of};
use crate::AppState;
use crate::web::{PageResult, WebUser, render};

/// Rows a page at a time. Measured on the demo month (497 inspections): 200 rows put
/// about 2,500 elements in the page (55 KB, 6.5 KB gzipped); 100 keep it near 1,300,
/// under the 1,400 a browser's audit calls excessive, at about 3.5 KB gzipped.
const RECORDS_PAGE: u32 = 100;

/// What the inspections list is narrowed to besides its period:
/// `?category=…&kind=…&result=…&technician=…`, as the page's filter form sends them. The
/// same narrowing serves the list's download. A value that is not one of the form's
/// choices narrows nothing.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InspectionNarrowing {
    category: Option<String>,
    kind: Option<String>,
    result: Option<String>,
    technician: Option<String>,
}

impl InspectionNarrowing {
    fn category(&self) -> Option<CategoryCode> {
        self.category
            .as_deref()
            .and_then(|c| CategoryCode::parse(c).ok())
    }

    fn kind(&self) -> Option<InspectionKind> {
        self.kind.as_deref().and_then(|k| k.parse().ok())
    }

    fn result(&self) -> Option<Outcome> {
        self.result.as_deref().and_then(|r| r.parse().ok())
    }

    fn technician(&self) -> Option<String> {
        named(self.technician.as_deref())
    }

    /// The store's filter: `period`'s inspections, narrowed.
    pub(crate) fn filter(&self, period: &ReportingPeriod) -> InspectionFilter {
        InspectionFilter {
            from: Some(period.start),
            to: Some(period.end),
            category: self.category(),
            kind: self.kind(),
            result: self.result(),
            technician: self.technician(),
            ..InspectionFilter::default()
        }
    }

    /// The narrowing as it goes on in a link: `&category=DHN&result=fail`.
    fn query(&self) -> String {
        let pairs = [
            ("category", self.category().map(|c| c.to_string())),
            ("kind", self.kind().map(|k| k.as_str().to_owned())),
            ("result", self.result().map(|r| r.as_str().to_owned())),
            ("technician", self.technician()),
        ];
        link_query(pairs)
    }
}

/// What the earthing tests list is narrowed to besides its period:
/// `?over_limit=true|false&technician=…`, as the API's list narrows it. The same
/// narrowing serves the list's download; a value that is not one of the form's choices
/// narrows nothing.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EarthingNarrowing {
    over_limit: Option<String>,
    technician: Option<String>,
}

impl EarthingNarrowing {
    fn over_limit(&self) -> Option<bool> {
        self.over_limit.as_deref().and_then(|o| o.parse().ok())
    }

    fn technician(&self) -> Option<String> {
        named(self.technician.as_deref())
    }

    /// The store's filter: `period`'s earthing tests, narrowed.
    pub(crate) fn filter(&self, period: &ReportingPeriod) -> EarthingTestFilter {
        EarthingTestFilter {
            from: Some(period.start),
            to: Some(period.end),
            over_limit: self.over_limit(),
            technician: self.technician(),
            ..EarthingTestFilter::default()
        }
    }

    /// The narrowing as it goes on in a link: `&over_limit=true&technician=An`.
    fn query(&self) -> String {
        let pairs = [
            ("over_limit", self.over_limit().map(|o| o.to_string())),
            ("technician", self.technician()),
        ];
        link_query(pairs)
    }
}

/// A technician's name as typed in the filter, trimmed; nothing when blank.
fn named(typed: Option<&str>) -> Option<String> {
    typed
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The set narrowings as they go on in a link: `&name=value&…`, or nothing.
fn link_query<const N: usize>(pairs: [(&str, Option<String>); N]) -> String {
    let set: Vec<(&str, String)> = pairs
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
    match serde_urlencoded::to_string(&set) {
        Ok(query) if !query.is_empty() => format!("&{query}"),
        _ => String::new(),
    }
}

/// One choice of a filter's list: its value, the words shown, whether it is chosen.
#[derive(Debug)]
pub(crate) struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "inspections.html")]
struct InspectionsPage {
    chrome: Chrome,
    period_label: String,
    scheme: &'static str,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    results: Vec<Choice>,
    technician: String,
    start: String,
    end: String,
    /// Inspections on every page.
    total: u64,
    items: Vec<InspectionRecord>,
    next: Option<String>,
}

/// `?period=…&scheme=…&after=…`, the narrowing read apart. Not a flattened
/// [`PeriodQuery`]: a flattened query reads every value as text, so `after` (a number)
/// was refused and the "next page" link answered 400.
#[derive(Debug, Deserialize)]
pub(crate) struct RecordsQuery {
    period: Option<String>,
    scheme: Option<String>,
    after: Option<i64>,
}

pub(crate) async fn inspections<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<RecordsQuery>,
    Query(narrowing): Query<InspectionNarrowing>,
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
    let filter = narrowing.filter(&period);
    let page = Page {
        limit: RECORDS_PAGE + 1,
        after: q.after,
    };
    let lab = user.session.user.lab;
    let total = app.store.count_inspections(lab, &filter).await?;
    let mut items = app.store.inspections(lab, &filter, page).await?;
    let base = format!(
        "/records/inspections?period={spec}&scheme={}{}",
        scheme.as_str(),
        narrowing.query()
    );
    let next = more(&mut items, |r| r.id).map(|after| format!("{base}&after={after}"));
    let categories = app.store.categories(user.session.user.lab).await?;
    let chrome = Chrome::new(&user, &base).with_categories(&categories);
    let choices = |values: &[&str], chosen: Option<&str>| -> Vec<Choice> {
        values
            .iter()
            .map(|v| Choice {
                value: (*v).to_owned(),
                label: chrome.word(v),
                selected: chosen == Some(*v),
            })
            .collect()
    };
    let kinds = choices(
        &["verification", "calibration", "test"],
        filter.kind.map(|k| k.as_str()),
    );
    let results = choices(&["pass", "fail"], filter.result.map(|r| r.as_str()));
    let categories = categories
        .iter()
        .map(|c| Choice {
            value: c.code.to_string(),
            label: chrome.category(&c.code),
            selected: filter.category.as_ref() == Some(&c.code),
        })
        .collect();
    render(&InspectionsPage {
        chrome,
        scheme: scheme.as_str(),
        categories,
        kinds,
        results,
        technician: filter.technician.clone().unwrap_or_default(),
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
    scheme: &'static str,
    results: Vec<Choice>,
    technician: String,
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
    Query(q): Query<RecordsQuery>,
    Query(narrowing): Query<EarthingNarrowing>,
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
    let filter = narrowing.filter(&period);
    let page = Page {
        limit: RECORDS_PAGE + 1,
        after: q.after,
    };
    let lab = user.session.user.lab;
    let total = app.store.count_earthing_tests(lab, &filter).await?;
    let mut items = app.store.earthing_tests(lab, &filter, page).await?;
    let base = format!(
        "/records/earthing?period={spec}&scheme={}{}",
        scheme.as_str(),
        narrowing.query()
    );
    let next = more(&mut items, |r| r.id).map(|after| format!("{base}&after={after}"));
    let chrome = Chrome::new(&user, &base);
    let results = [
        ("true", chrome.w.over_limit_only, Some(true)),
        ("false", chrome.w.within_limit_only, Some(false)),
    ]
    .into_iter()
    .map(|(value, label, over)| Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: filter.over_limit.is_some() && filter.over_limit == over,
    })
    .collect();
    render(&EarthingTestsPage {
        chrome,
        period_label: spec.to_string(),
        scheme: scheme.as_str(),
        results,
        technician: filter.technician.clone().unwrap_or_default(),
        start: period.start.format("%d/%m/%Y").to_string(),
        end: period.end.format("%d/%m/%Y").to_string(),
        total,
        items,
        next,
    })
}
