//! `/`: a period's figures against their plan, the year's charts and the text report.

use askama::Template;
use axum::extract::{Query, State};
use metrotrack_core::report::render_text_named;
use metrotrack_core::{
    AchievementStatus, CategoryCode, Lang, Metric, PeriodSpec, ReportingPeriod, Scheme,
};
use metrotrack_store::Store;

use super::{Chrome, PeriodQuery, period_of};
use crate::AppState;
use crate::web::chart;
use crate::web::i18n::{metric_name, status_name};
use crate::web::{PageResult, WebUser, render};

/// One metric's row on the dashboard.
#[derive(Debug)]
pub(crate) struct MetricRow {
    pub(crate) name: String,
    pub(crate) actual: u64,
    pub(crate) target: Option<u64>,
    pub(crate) percent: Option<u64>,
    /// `achieved`, `below` or `none`: the bar's colour.
    pub(crate) status_class: &'static str,
    pub(crate) status: &'static str,
    /// The bar's length, 0..=100 (a percent over 100 fills it).
    pub(crate) bar: u64,
    pub(crate) records_href: String,
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

/// The records page behind a figure.
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

pub(crate) async fn dashboard<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let (spec, scheme) = period_of(&q, app.config.scheme);
    let lab = user.session.user.lab;
    let period = spec.resolve(scheme);
    let achievement = app.store.achievement(lab, period).await?;
    let year = spec.year();
    let year_end = PeriodSpec::Year { year }.resolve(scheme).end;
    let series = app
        .store
        .year_achievement(lab, year, scheme, year_end)
        .await?;
    let lang = user.lang;
    let categories = app.store.categories(lab).await?;
    let named = |code: &CategoryCode, lang: Lang| {
        categories.iter().find(|c| &c.code == code).map_or_else(
            || code.to_string(),
            |c| match lang {
                Lang::Vi => c.name_vi.clone(),
                Lang::En => c.name_en.clone(),
            },
        )
    };
    let metrics = achievement
        .metrics
        .iter()
        .map(|a| {
            let mut name = metric_name(lang, a.metric).to_owned();
            if let Some(c) = &a.category {
                name.push_str(&format!(" — {}", named(c, lang)));
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
        report: render_text_named(&achievement, Lang::Vi, |c| named(c, Lang::Vi)),
    })
}
