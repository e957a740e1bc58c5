//! `/`: a period's figures against their plan, the year's charts and the text report.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Query, State};
use metrotrack_core::report::render_text_named;
use metrotrack_core::{
    Achievement, AchievementStatus, CategoryCode, Lang, Metric, PeriodSpec, ReportingPeriod, Scheme,
};
use metrotrack_store::Store;
use serde::Deserialize;

use super::{Chrome, bad_period, period_of};
use crate::AppState;
use crate::web::chart;
use crate::web::i18n::{Texts, metric_name, partial_plan, status_name};
use crate::web::{PageResult, WebUser, render};

/// One metric's row on the dashboard.
#[derive(Debug)]
pub(crate) struct MetricRow {
    pub(crate) name: String,
    /// What the figure counts, in one line.
    pub(crate) definition: &'static str,
    pub(crate) actual: u64,
    /// The period's target; with a partial plan, the sum of the months planned.
    pub(crate) target: Option<u64>,
    pub(crate) percent: Option<u64>,
    /// `achieved`, `below`, `partial` or `none`: the bar's colour.
    pub(crate) status_class: &'static str,
    pub(crate) status: &'static str,
    /// Which plan the figure is compared with, or how much of the period is planned.
    pub(crate) plan_note: String,
    /// The bar's length, 0..=100 (a percent over 100 fills it).
    pub(crate) bar: u64,
    /// The progress bar's spoken range and value: the real percent (over 100 too) and
    /// the status, "116 %, đạt kế hoạch".
    pub(crate) value_max: u64,
    pub(crate) valuetext: String,
    pub(crate) records_href: String,
}

/// One `<option>` of the period picker.
#[derive(Debug)]
pub(crate) struct Pick {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    period_label: String,
    kinds: Vec<Pick>,
    year: i32,
    months: Vec<Pick>,
    quarters: Vec<Pick>,
    halves: Vec<Pick>,
    calendar: bool,
    start: String,
    end: String,
    metrics: Vec<MetricRow>,
    /// With no record in the period: the latest period that has some.
    latest: Option<Pick>,
    empty: bool,
    charts: Vec<chart::Chart>,
    report: String,
}

/// `?period=2023-Q4&scheme=…`, or the picker's fields: `kind=quarter&year=2023&quarter=4`.
#[derive(Debug, Deserialize)]
pub(crate) struct DashboardQuery {
    period: Option<String>,
    scheme: Option<String>,
    kind: Option<String>,
    year: Option<String>,
    month: Option<String>,
    quarter: Option<String>,
    half: Option<String>,
}

impl DashboardQuery {
    /// The period's label: `period` as written, else the one the picker's fields name
    /// (left for [`period_of`] to check).
    fn label(&self) -> Option<String> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        if let Some(period) = given(&self.period) {
            return Some(period);
        }
        let year = given(&self.year)?;
        let part = |v: &Option<String>| given(v).unwrap_or_else(|| "1".to_owned());
        Some(match given(&self.kind).as_deref() {
            Some("year") => year,
            Some("half") => format!("{year}-H{}", part(&self.half)),
            Some("quarter") => format!("{year}-Q{}", part(&self.quarter)),
            _ => format!("{year}-{:0>2}", part(&self.month)),
        })
    }
}

/// The page behind a figure: the distinct instruments, the inspections, the distinct
/// points.
fn records_link(
    metric: Metric,
    period: &ReportingPeriod,
    category: Option<&CategoryCode>,
) -> String {
    let path = match metric {
        Metric::InstrumentsInspected => "/figures/instruments-inspected",
        Metric::Inspections => "/records/inspections",
        Metric::EarthingPointsMeasured => "/figures/points-measured",
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

fn definition(t: &Texts, metric: Metric) -> &'static str {
    match metric {
        Metric::InstrumentsInspected => t.def_instruments,
        Metric::Inspections => t.def_inspections,
        Metric::EarthingPointsMeasured => t.def_points,
    }
}

/// Which plan a figure is compared with, or how much of its period is planned.
fn plan_note(lang: Lang, t: &Texts, a: &Achievement, own_target: bool, spec: PeriodSpec) -> String {
    match a.status {
        AchievementStatus::PartialTarget => {
            let months: Vec<String> = a.planned_months.iter().map(ToString::to_string).collect();
            format!(
                "{} ({}); {}: {}",
                partial_plan(
                    lang,
                    a.planned_months.len(),
                    a.months_in_period.unwrap_or(0)
                ),
                months.join(", "),
                t.planned_sum,
                a.planned_target.unwrap_or(0)
            )
        }
        AchievementStatus::NoTarget => String::new(),
        _ if own_target => format!("{} {spec}", t.plan_of_period),
        _ => format!("{} {spec}", t.plan_of_parts),
    }
}

fn picks(
    range: std::ops::RangeInclusive<u32>,
    chosen: Option<u32>,
    label: impl Fn(u32) -> String,
) -> Vec<Pick> {
    range
        .map(|n| Pick {
            value: n.to_string(),
            label: label(n),
            selected: chosen == Some(n),
        })
        .collect()
}

pub(crate) async fn dashboard<S: Store>(
    State(app): State<AppState<S>>,
    user: WebUser,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let label = q.label();
    let asked = period_of(
        label.as_deref(),
        q.scheme.as_deref(),
        app.config.scheme,
        &user,
    );
    let (spec, scheme) = match asked {
        Ok(asked) => asked,
        Err(e) => return bad_period(&user, &e),
    };
    let lab = user.session.user.lab;
    let period = spec.resolve(scheme);
    let achievement = app.store.achievement(lab, period).await?;
    let year = spec.year();
    let year_end = PeriodSpec::Year { year }.resolve(scheme).end;
    let series = app
        .store
        .year_achievement(lab, year, scheme, year_end)
        .await?;
    let own: HashSet<(Metric, Option<CategoryCode>)> = app
        .store
        .plans(lab, Some(year))
        .await?
        .into_iter()
        .filter(|p| p.period == spec)
        .map(|p| (p.metric, p.category))
        .collect();
    let lang = user.lang;
    let t = user.t();
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
    let metrics: Vec<MetricRow> = achievement
        .metrics
        .iter()
        .map(|a| {
            let mut name = metric_name(lang, a.metric).to_owned();
            if let Some(c) = &a.category {
                name.push_str(&format!(" — {}", named(c, lang)));
            }
            let own_target = own.contains(&(a.metric, a.category.clone()));
            MetricRow {
                name,
                definition: definition(t, a.metric),
                actual: a.actual,
                target: a.target.or(a.planned_target),
                percent: a.percent,
                status_class: match a.status {
                    AchievementStatus::Achieved => "achieved",
                    AchievementStatus::BelowTarget => "below",
                    AchievementStatus::NoTarget => "none",
                    AchievementStatus::PartialTarget => "partial",
                },
                status: status_name(lang, a.status),
                plan_note: plan_note(lang, t, a, own_target, spec),
                bar: a.percent.unwrap_or(0).min(100),
                value_max: a.percent.unwrap_or(0).max(100),
                valuetext: format!(
                    "{} %, {}",
                    a.percent.unwrap_or(0),
                    status_name(lang, a.status)
                ),
                records_href: records_link(a.metric, &period, a.category.as_ref()),
            }
        })
        .collect();
    let empty = achievement
        .metrics
        .iter()
        .filter(|a| a.category.is_none())
        .all(|a| a.actual == 0);
    let latest = if empty {
        app.store
            .latest_record_date(lab)
            .await?
            .map(|date| PeriodSpec::month_of(date, scheme))
            .filter(|m| *m != spec)
            .map(|m| Pick {
                value: format!("/?period={m}&scheme={}", scheme.as_str()),
                label: m.to_string(),
                selected: false,
            })
    } else {
        None
    };
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
            let title = format!("{} — {} {year}", metric_name(lang, metric), t.chart_title);
            let a = crate::web::access::access_texts(lang);
            chart::Chart {
                svg: chart::month_chart(&title, &points, t.chart_actual, t.chart_plan),
                table: chart::month_table(&points, a.month, t.chart_actual, t.chart_plan),
                title,
            }
        })
        .collect();
    let (kind, month, quarter, half) = match spec {
        PeriodSpec::Month { month, .. } => ("month", Some(month), None, None),
        PeriodSpec::Quarter { quarter, .. } => ("quarter", None, Some(quarter), None),
        PeriodSpec::Half { half, .. } => ("half", None, None, Some(half)),
        PeriodSpec::Year { .. } => ("year", None, None, None),
    };
    let kinds = [
        ("month", t.period_month),
        ("quarter", t.period_quarter),
        ("half", t.period_half),
        ("year", t.period_year),
    ]
    .into_iter()
    .map(|(value, label)| Pick {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: value == kind,
    })
    .collect();
    let here = format!("/?period={spec}&scheme={}", scheme.as_str());
    render(&Dashboard {
        chrome: Chrome::new(&user, &here),
        period_label: spec.to_string(),
        kinds,
        year,
        months: picks(1..=12, month, |n| format!("{n:02}")),
        quarters: picks(1..=4, quarter, |n| format!("Q{n}")),
        halves: picks(1..=2, half, |n| format!("H{n}")),
        calendar: scheme == Scheme::Calendar,
        start: period.start.format("%d/%m/%Y").to_string(),
        end: period.end.format("%d/%m/%Y").to_string(),
        metrics,
        latest,
        empty,
        charts,
        report: render_text_named(&achievement, Lang::Vi, |c| named(c, Lang::Vi)),
    })
}
