//! The signed-in pages: dashboard, records, upload, import history, due list, earthing
//! points over their limit, plans.

use std::io::{self, Read};

use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::{Buf, Bytes};
use chrono::{NaiveDate, Utc};
use futures_util::StreamExt;
use metrotrack_core::report::render_text;
use metrotrack_core::{
    AchievementStatus, BatchOutcome, CategoryCode, DueEntry, ImportBatch, ImportMode, Lang,
    LogKind, Metric, PeriodSpec, PlanTarget, ReportingPeriod, Scheme,
};
use metrotrack_import::ReadOptions;
use metrotrack_store::accounts::Role;
use metrotrack_store::records::{
    EarthingPointRecord, EarthingTestFilter, EarthingTestRecord, InspectionFilter,
    InspectionRecord, Page, PointFilter,
};
use metrotrack_store::{BatchRequest, Store};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::i18n::{Texts, metric_name, status_name};
use super::{WebUser, chart, render, store_failure};
use crate::AppState;
use crate::ingest::ingest;

/// What the layout around every page needs.
#[derive(Debug)]
pub struct Chrome {
    pub t: &'static Texts,
    pub username: String,
    pub csrf: String,
    pub supervisor: bool,
    pub technician: bool,
    /// The current path and query without `lang`, to switch language in place.
    pub here: String,
}

impl Chrome {
    fn new(user: &WebUser, here: &str) -> Self {
        Self {
            t: user.t(),
            username: user.session.user.username.clone(),
            csrf: user.session.csrf_token.clone(),
            supervisor: user.may(Role::Supervisor),
            technician: user.may(Role::Technician),
            here: here.to_owned(),
        }
    }

    /// The link that shows this page in the other language.
    pub fn other_lang_href(&self) -> String {
        let sep = if self.here.contains('?') { '&' } else { '?' };
        format!("{}{sep}lang={}", self.here, self.t.other_lang_code)
    }
}

fn message_page(user: &WebUser, title: &'static str, text: &str) -> Response {
    render(&MessagePage {
        chrome: Chrome::new(user, "/"),
        title,
        text: text.to_owned(),
    })
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    title: &'static str,
    text: String,
}

fn forbidden(user: &WebUser) -> Response {
    message_page(user, user.t().error, user.t().forbidden)
}

fn expired(user: &WebUser) -> Response {
    message_page(user, user.t().error, user.t().expired_form)
}

// ----- dashboard -------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
    scheme: Option<String>,
    after: Option<i64>,
}

/// The period asked for (a month, quarter, half or year) and its scheme; the current
/// month when none is asked for or it does not parse.
fn period_of(q: &PeriodQuery, default_scheme: Scheme) -> (PeriodSpec, Scheme) {
    let scheme = q
        .scheme
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_scheme);
    let spec = q
        .period
        .as_deref()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| PeriodSpec::month_of(Utc::now().date_naive(), scheme));
    (spec, scheme)
}

/// One metric's row on the dashboard.
#[derive(Debug)]
pub struct MetricRow {
    pub name: String,
    pub actual: u64,
    pub target: Option<u64>,
    pub percent: Option<u64>,
    /// `achieved`, `below` or `none`: the bar's colour.
    pub status_class: &'static str,
    pub status: &'static str,
    /// The bar's length, 0..=100 (a percent over 100 fills it).
    pub bar: u64,
    pub records_href: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    period_label: String,
    month_value: String,
    calendar: bool,
    start: String,
    end: String,
    metrics: Vec<MetricRow>,
    charts: Vec<String>,
    report: String,
}

fn records_link(
    metric: Metric,
    period: &ReportingPeriod,
    category: Option<&CategoryCode>,
) -> String {
    let path = match metric {
        Metric::EarthingPointsMeasured => "/records/earthing",
        Metric::InstrumentsInspected | Metric::Inspections => "/records/inspections",
    };
    let mut href = format!(
        "{path}?period={}&scheme={}",
        period.spec,
        period.scheme.as_str()
    );
    if let Some(c) = category {
        href.push_str(&format!("&category={c}"));
    }
    href
}

pub async fn dashboard<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let (spec, scheme) = period_of(&q, app.config.scheme);
    let lab = user.session.user.lab;
    let period = spec.resolve(scheme);
    let achievement = match app.store.achievement(lab, period).await {
        Ok(a) => a,
        Err(e) => return store_failure(e),
    };
    let year = spec.year();
    let year_end = PeriodSpec::Year { year }.resolve(scheme).end;
    let series = match app
        .store
        .year_achievement(lab, year, scheme, year_end)
        .await
    {
        Ok(y) => y,
        Err(e) => return store_failure(e),
    };
    let lang = user.lang;
    let metrics = achievement
        .metrics
        .iter()
        .map(|a| {
            let mut name = metric_name(lang, a.metric).to_owned();
            if let Some(c) = &a.category {
                name.push_str(&format!(" — {c}"));
            }
            MetricRow {
                name,
                actual: a.actual,
                target: a.target,
                percent: a.percent,
                status_class: match a.status {
                    AchievementStatus::Achieved => "achieved",
                    AchievementStatus::BelowTarget => "below",
                    AchievementStatus::NoTarget => "none",
                },
                status: status_name(lang, a.status),
                bar: a.percent.unwrap_or(0).min(100),
                records_href: records_link(a.metric, &period, a.category.as_ref()),
            }
        })
        .collect();
    let t = user.t();
    let charts = [Metric::InstrumentsInspected, Metric::EarthingPointsMeasured]
        .into_iter()
        .map(|metric| {
            let points: Vec<chart::MonthPoint> = series
                .months
                .iter()
                .map(|m| {
                    let a = m.overall(metric);
                    chart::MonthPoint {
                        label: match m.period.spec {
                            PeriodSpec::Month { month, .. } => month.to_string(),
                            other => other.to_string(),
                        },
                        actual: a.map_or(0, |a| a.actual),
                        target: a.and_then(|a| a.target),
                        current: m.period.spec == spec,
                    }
                })
                .collect();
            chart::month_chart(
                &format!("{} — {} {year}", metric_name(lang, metric), t.chart_title),
                &points,
                t.chart_actual,
                t.chart_plan,
            )
        })
        .collect();
    let here = format!("/?period={spec}&scheme={}", scheme.as_str());
    render(&Dashboard {
        chrome: Chrome::new(&user, &here),
        period_label: spec.to_string(),
        month_value: match spec {
            PeriodSpec::Month { year, month } => format!("{year:04}-{month:02}"),
            _ => String::new(),
        },
        calendar: scheme == Scheme::Calendar,
        start: period.start.format("%d/%m/%Y").to_string(),
        end: period.end.format("%d/%m/%Y").to_string(),
        metrics,
        charts,
        report: render_text(&achievement, Lang::Vi),
    })
}

// ----- records behind a figure -------------------------------------------------------

const RECORDS_PAGE: u32 = 200;

#[derive(Template)]
#[template(path = "inspections.html")]
struct InspectionsPage {
    chrome: Chrome,
    period_label: String,
    start: String,
    end: String,
    items: Vec<InspectionRecord>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RecordsQuery {
    #[serde(flatten)]
    period: PeriodQuery,
    category: Option<String>,
}

pub async fn inspections<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<RecordsQuery>,
) -> Response {
    let (spec, scheme) = period_of(&q.period, app.config.scheme);
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
        after: q.period.after,
    };
    let mut items = match app
        .store
        .inspections(user.session.user.lab, &filter, page)
        .await
    {
        Ok(i) => i,
        Err(e) => return store_failure(e),
    };
    let base = format!(
        "/records/inspections?period={spec}&scheme={}",
        scheme.as_str()
    );
    let base = match &filter.category {
        Some(c) => format!("{base}&category={c}"),
        None => base,
    };
    let next = more(&mut items, |r| r.id).map(|after| format!("{base}&after={after}"));
    render(&InspectionsPage {
        chrome: Chrome::new(&user, &base),
        period_label: spec.to_string(),
        start: period.start.format("%d/%m/%Y").to_string(),
        end: period.end.format("%d/%m/%Y").to_string(),
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
    items: Vec<EarthingTestRecord>,
    next: Option<String>,
}

pub async fn earthing_tests<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let (spec, scheme) = period_of(&q, app.config.scheme);
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
    let mut items = match app
        .store
        .earthing_tests(user.session.user.lab, &filter, page)
        .await
    {
        Ok(i) => i,
        Err(e) => return store_failure(e),
    };
    let base = format!("/records/earthing?period={spec}&scheme={}", scheme.as_str());
    let next = more(&mut items, |r| r.id).map(|after| format!("{base}&after={after}"));
    render(&EarthingTestsPage {
        chrome: Chrome::new(&user, &base),
        period_label: spec.to_string(),
        start: period.start.format("%d/%m/%Y").to_string(),
        end: period.end.format("%d/%m/%Y").to_string(),
        items,
        next,
    })
}

// ----- upload ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    chrome: Chrome,
    batch: Option<ImportBatch>,
    outcome: &'static str,
    error: Option<String>,
}

pub async fn upload_form<S: Store>(State(_): State<AppState<S>>, user: WebUser) -> Response {
    if !user.may(Role::Technician) {
        return forbidden(&user);
    }
    render(&UploadPage {
        chrome: Chrome::new(&user, "/upload"),
        batch: None,
        outcome: "",
        error: None,
    })
}

/// Reads the chunks of the uploaded file on the importer's blocking thread.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// The multipart upload: `csrf`, `kind` and `mode` first (the form's order), then
/// `file`, streamed into the importer.
pub async fn upload<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    request: Request,
) -> Response {
    if !user.may(Role::Technician) {
        return forbidden(&user);
    }
    let t = user.t();
    let fail = |user: &WebUser, error: String| {
        render(&UploadPage {
            chrome: Chrome::new(user, "/upload"),
            batch: None,
            outcome: "",
            error: Some(error),
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
            Ok(None) => return fail(&user, format!("{}?", t.file)),
            Err(e) => return fail(&user, e.body_text()),
        }
    };
    if !user.csrf_ok(&csrf) {
        return expired(&user);
    }
    let Ok(kind) = kind.parse::<LogKind>() else {
        return fail(&user, format!("{}: {kind:?}", t.kind));
    };
    let mode = match mode.as_str() {
        "dry_run" => ImportMode::DryRun,
        m => m.parse().unwrap_or(ImportMode::Strict),
    };
    let file_name = field
        .file_name()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "upload.csv".to_owned());
    let max = app.config.max_upload_bytes;
    let mut options = ReadOptions::default();
    options.limits.max_upload_bytes = max;
    let request = BatchRequest {
        lab: user.session.user.lab,
        kind,
        mode,
        file_name: file_name
            .chars()
            .filter(|c| !c.is_control())
            .take(255)
            .collect(),
        uploaded_by: user.session.user.username.clone(),
    };
    let (tx, rx) = mpsc::channel(8);
    let reader = ChannelReader {
        rx,
        current: Bytes::new(),
    };
    let pump = async move {
        let mut field = field;
        let mut total: u64 = 0;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| io::Error::other(e.body_text()));
            if let Ok(bytes) = &chunk {
                total = total.saturating_add(bytes.len() as u64);
                if total > max {
                    let _ = tx
                        .send(Err(io::Error::other("the upload exceeds the size limit")))
                        .await;
                    return false;
                }
            }
            let broken = chunk.is_err();
            if tx.send(chunk).await.is_err() || broken {
                return !broken;
            }
        }
        true
    };
    let (whole, stored) = tokio::join!(pump, ingest(&app.store, request, reader, options, |_| {}));
    let batch = match stored {
        Ok(b) if whole => b,
        Ok(_) => return fail(&user, format!("> {max} bytes")),
        Err(e) => return fail(&user, e.to_string()),
    };
    let outcome = match batch.outcome {
        BatchOutcome::Stored => t.outcome_stored,
        BatchOutcome::AlreadyImported => t.outcome_already,
        BatchOutcome::Refused => t.outcome_refused,
        BatchOutcome::DryRun => t.outcome_dry_run,
    };
    render(&UploadPage {
        chrome: Chrome::new(&user, "/upload"),
        batch: Some(batch),
        outcome,
        error: None,
    })
}

// ----- import history and void -------------------------------------------------------

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    chrome: Chrome,
    items: Vec<ImportBatch>,
}

pub async fn imports<S: Store>(State(app): State<AppState<S>>, user: WebUser) -> Response {
    let items = match app
        .store
        .batch_page(user.session.user.lab, Page::first(500))
        .await
    {
        Ok(i) => i,
        Err(e) => return store_failure(e),
    };
    render(&ImportsPage {
        chrome: Chrome::new(&user, "/imports"),
        items,
    })
}

#[derive(Debug, Deserialize)]
pub struct VoidForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn void<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<VoidForm>,
) -> Response {
    if !user.csrf_ok(&form.csrf) {
        return expired(&user);
    }
    if !user.may(Role::Supervisor) {
        return forbidden(&user);
    }
    let reason = form.reason.trim();
    if reason.is_empty() {
        return message_page(&user, user.t().error, user.t().reason);
    }
    match app
        .store
        .void_batch(
            user.session.user.lab,
            id,
            &user.session.user.username,
            reason,
        )
        .await
    {
        Ok(_) => Redirect::to("/imports").into_response(),
        Err(e) => message_page(&user, user.t().error, &e.to_string()),
    }
}

// ----- due list and earthing points over their limit ---------------------------------

#[derive(Debug, Deserialize)]
pub struct DueQuery {
    within: Option<u32>,
    as_of: Option<NaiveDate>,
    cursor: Option<String>,
}

/// Instruments on one page of the due list.
const DUE_PAGE: u32 = 500;

#[derive(Template)]
#[template(path = "due.html")]
struct DuePage {
    chrome: Chrome,
    within: u32,
    as_of: String,
    items: Vec<DueEntry>,
    next: Option<String>,
}

pub async fn due<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<DueQuery>,
) -> Response {
    let within = q.within.unwrap_or(30).min(3650);
    let as_of = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
    // A cursor this server did not give out starts the list from its beginning.
    let after = q
        .cursor
        .as_deref()
        .and_then(|c| crate::pagination::decode_due_cursor(c).ok());
    let mut items = match app
        .store
        .due_list(
            user.session.user.lab,
            within,
            as_of,
            after.as_ref(),
            DUE_PAGE + 1,
        )
        .await
    {
        Ok(i) => i,
        Err(e) => return store_failure(e),
    };
    let next = (items.len() > DUE_PAGE as usize).then(|| {
        items.truncate(DUE_PAGE as usize);
        items.last().map(|last| {
            format!(
                "/due?within={within}&as_of={as_of}&cursor={}",
                crate::pagination::encode_due_cursor(&last.into())
            )
        })
    });
    render(&DuePage {
        chrome: Chrome::new(&user, "/due"),
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

pub async fn over_limit<S: Store>(State(app): State<AppState<S>>, user: WebUser) -> Response {
    let filter = PointFilter {
        over_limit: true,
        ..PointFilter::default()
    };
    let items = match app
        .store
        .earthing_points(user.session.user.lab, &filter, Page::first(1000))
        .await
    {
        Ok(i) => i,
        Err(e) => return store_failure(e),
    };
    render(&OverLimitPage {
        chrome: Chrome::new(&user, "/earthing/over-limit"),
        items,
    })
}

// ----- plans -------------------------------------------------------------------------

#[derive(Debug)]
pub struct PlanRow {
    pub period: String,
    pub metric: &'static str,
    pub category: String,
    pub target: u64,
}

#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    chrome: Chrome,
    year: i32,
    items: Vec<PlanRow>,
    metrics: Vec<Choice>,
    categories: Vec<Choice>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PlansQuery {
    year: Option<i32>,
}

pub async fn plans<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<PlansQuery>,
) -> Response {
    let year = q
        .year
        .filter(|y| (1900..=9999).contains(y))
        .unwrap_or_else(|| PeriodSpec::month_of(Utc::now().date_naive(), app.config.scheme).year());
    plans_page(&app, &user, year, None).await
}

async fn plans_page<S: Store>(
    app: &AppState<S>,
    user: &WebUser,
    year: i32,
    error: Option<String>,
) -> Response {
    let lab = user.session.user.lab;
    let (items, categories) = match (
        app.store.plans(lab, Some(year)).await,
        app.store.categories(lab).await,
    ) {
        (Ok(p), Ok(c)) => (p, c),
        (Err(e), _) | (_, Err(e)) => return store_failure(e),
    };
    let lang = user.lang;
    render(&PlansPage {
        chrome: Chrome::new(user, &format!("/plans?year={year}")),
        year,
        items: items
            .into_iter()
            .map(|p| PlanRow {
                period: p.period.to_string(),
                metric: metric_name(lang, p.metric),
                category: p.category.map(|c| c.to_string()).unwrap_or_default(),
                target: p.target,
            })
            .collect(),
        metrics: Metric::ALL
            .into_iter()
            .map(|m| Choice {
                value: m.as_str().to_owned(),
                label: metric_name(lang, m).to_owned(),
            })
            .collect(),
        categories: categories
            .into_iter()
            .map(|c| Choice {
                value: c.code.to_string(),
                label: format!(
                    "{} — {}",
                    c.code,
                    if lang == Lang::Vi {
                        &c.name_vi
                    } else {
                        &c.name_en
                    }
                ),
            })
            .collect(),
        error,
    })
}

#[derive(Debug, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    metric: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    target: String,
}

pub async fn set_plan<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    axum::Form(form): axum::Form<PlanForm>,
) -> Response {
    if !user.csrf_ok(&form.csrf) {
        return expired(&user);
    }
    if !user.may(Role::Supervisor) {
        return forbidden(&user);
    }
    let t = user.t();
    let parsed = (|| -> Result<PlanTarget, String> {
        let period: PeriodSpec = form
            .period
            .trim()
            .parse()
            .map_err(|e| format!("{}: {e}", t.period))?;
        let metric: Metric = form
            .metric
            .parse()
            .map_err(|e| format!("{}: {e}", t.metric))?;
        let category = match form.category.trim() {
            "" => None,
            c => Some(CategoryCode::parse(c).map_err(|e| format!("{}: {e}", t.category))?),
        };
        let target: u64 = form
            .target
            .trim()
            .parse()
            .map_err(|_| format!("{}: {:?}", t.target, form.target))?;
        PlanTarget::new(metric, category, period, target).map_err(|e| e.to_string())
    })();
    let year_of = |p: &PlanTarget| p.period.year();
    match parsed {
        Ok(target) => {
            let year = year_of(&target);
            match app
                .store
                .set_plan(user.session.user.lab, &target, &user.session.user.username)
                .await
            {
                Ok(()) => Redirect::to(&format!("/plans?year={year}")).into_response(),
                Err(e) => plans_page(&app, &user, year, Some(e.to_string())).await,
            }
        }
        Err(error) => {
            let year = PeriodSpec::month_of(Utc::now().date_naive(), app.config.scheme).year();
            plans_page(&app, &user, year, Some(error)).await
        }
    }
}
