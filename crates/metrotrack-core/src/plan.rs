//! Plan targets and the metrics they are set on.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::category::CategoryCode;
use crate::period::PeriodSpec;

/// A built-in metric of the lab's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Distinct instruments with at least one inspection of any kind in the period
    /// ("kiểm định, hiệu chuẩn … được N PTĐ các loại").
    InstrumentsInspected,
    /// Inspection events in the period.
    Inspections,
    /// Distinct earthing points with at least one test in the period ("tại N điểm đo").
    EarthingPointsMeasured,
}

impl Metric {
    pub const ALL: [Metric; 3] = [
        Metric::InstrumentsInspected,
        Metric::Inspections,
        Metric::EarthingPointsMeasured,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InstrumentsInspected => "instruments_inspected",
            Self::Inspections => "inspections",
            Self::EarthingPointsMeasured => "earthing_points_measured",
        }
    }

    /// Whether the metric can be narrowed to one instrument category.
    pub fn takes_category(self) -> bool {
        !matches!(self, Self::EarthingPointsMeasured)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metric name that is not one of [`Metric::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a metric; use instruments_inspected, inspections or earthing_points_measured"
)]
pub struct UnknownMetric(pub String);

impl FromStr for Metric {
    type Err = UnknownMetric;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnknownMetric(s.to_owned()))
    }
}

/// Why a plan target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a target is a whole number of at least 1")]
    ZeroTarget,
    #[error("{0} counts earthing points and cannot be narrowed to an instrument category")]
    CategoryNotApplicable(Metric),
}

/// A supervisor's target: how much of a metric the lab plans for a month, a quarter, a
/// half-year or a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTarget {
    pub metric: Metric,
    pub category: Option<CategoryCode>,
    pub period: PeriodSpec,
    pub target: u64,
}

impl PlanTarget {
    pub fn new(
        metric: Metric,
        category: Option<CategoryCode>,
        period: PeriodSpec,
        target: u64,
    ) -> Result<Self, PlanError> {
        if target == 0 {
            return Err(PlanError::ZeroTarget);
        }
        if category.is_some() && !metric.takes_category() {
            return Err(PlanError::CategoryNotApplicable(metric));
        }
        Ok(Self {
            metric,
            category,
            period,
            target,
        })
    }
}

/// What a period is measured against, from one (metric, category)'s targets keyed by
/// the planned period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanCoverage {
    /// Every month of the period is planned: by the period's own target, or by targets
    /// of its parts (months, quarters, halves) that together cover it. `target` is
    /// their sum.
    Full { target: u64 },
    /// Only some months are planned: `planned_target` is the sum of the targets that
    /// are set, for `planned_months` of the period's `months_in_period` months. The
    /// period is not measured against it.
    Partial {
        planned_months: Vec<PeriodSpec>,
        months_in_period: u32,
        planned_target: u64,
    },
    /// No month of the period is planned.
    None,
}

/// The parts a period is planned by, in turn: a year by its halves, a half by its
/// quarters, a quarter by its months.
fn parts(spec: PeriodSpec) -> Vec<PeriodSpec> {
    match spec {
        PeriodSpec::Year { year } => (1..=2)
            .map(|half| PeriodSpec::Half { year, half })
            .collect(),
        PeriodSpec::Half { year, half } => (half * 2 - 1..=half * 2)
            .map(|quarter| PeriodSpec::Quarter { year, quarter })
            .collect(),
        PeriodSpec::Quarter { .. } => spec.months(),
        PeriodSpec::Month { .. } => Vec::new(),
    }
}

/// The targets that apply within `wanted` (months of `node`'s year), from the largest
/// period down: a period's own target counts when all its months are wanted (and then
/// its parts' targets do not); otherwise its parts are looked at. Adds the covered
/// months and the targets' sum.
fn cover(
    node: PeriodSpec,
    wanted: &[PeriodSpec],
    targets: &HashMap<PeriodSpec, u64>,
    covered: &mut Vec<PeriodSpec>,
    sum: &mut u64,
) {
    let months = node.months();
    if !months.iter().any(|m| wanted.contains(m)) {
        return;
    }
    if let Some(&own) = targets.get(&node)
        && months.iter().all(|m| wanted.contains(m))
    {
        covered.extend(months);
        *sum = sum.saturating_add(own);
        return;
    }
    for part in parts(node) {
        cover(part, wanted, targets, covered, sum);
    }
}

/// The plan a run of months of one year (a period, or a year to date) is measured
/// against.
pub fn months_coverage(months: &[PeriodSpec], targets: &HashMap<PeriodSpec, u64>) -> PlanCoverage {
    let mut covered = Vec::new();
    let mut sum = 0;
    let mut years: Vec<i32> = months.iter().map(|m| m.year()).collect();
    years.dedup();
    for year in years {
        cover(
            PeriodSpec::Year { year },
            months,
            targets,
            &mut covered,
            &mut sum,
        );
    }
    covered.sort();
    covered.dedup();
    if covered.is_empty() {
        PlanCoverage::None
    } else if covered.len() == months.len() {
        PlanCoverage::Full { target: sum }
    } else {
        PlanCoverage::Partial {
            planned_months: covered,
            months_in_period: u32::try_from(months.len()).unwrap_or(u32::MAX),
            planned_target: sum,
        }
    }
}

/// The plan `spec` is measured against: its own target, or its parts' when they cover
/// every month of it (see [`PlanCoverage`]).
pub fn coverage(spec: PeriodSpec, targets: &HashMap<PeriodSpec, u64>) -> PlanCoverage {
    months_coverage(&spec.months(), targets)
}

/// The full target of `spec`, if it has one (see [`coverage`]).
pub fn target_for(spec: PeriodSpec, targets: &HashMap<PeriodSpec, u64>) -> Option<u64> {
    match coverage(spec, targets) {
        PlanCoverage::Full { target } => Some(target),
        _ => None,
    }
}

/// Whether any of `targets` applies to `spec`: its own, or one of a part of it.
pub fn has_target_in(spec: PeriodSpec, targets: &HashMap<PeriodSpec, u64>) -> bool {
    coverage(spec, targets) != PlanCoverage::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_positive_for_any_period() {
        let month = PeriodSpec::parse("2023-10").expect("period");
        assert!(PlanTarget::new(Metric::Inspections, None, month, 402).is_ok());
        assert_eq!(
            PlanTarget::new(Metric::Inspections, None, month, 0),
            Err(PlanError::ZeroTarget)
        );
        let quarter = PeriodSpec::parse("2023-Q4").expect("period");
        assert!(PlanTarget::new(Metric::Inspections, None, quarter, 5).is_ok());
        let half = PeriodSpec::parse("2023-H2").expect("period");
        assert!(PlanTarget::new(Metric::Inspections, None, half, 5).is_ok());
        let cat = CategoryCode::parse("DHN").ok();
        assert!(PlanTarget::new(Metric::EarthingPointsMeasured, cat, month, 5).is_err());
        assert_eq!("inspections".parse::<Metric>(), Ok(Metric::Inspections));
    }

    fn p(s: &str) -> PeriodSpec {
        PeriodSpec::parse(s).expect("period")
    }

    fn partial(months: &[&str], of: u32, sum: u64) -> PlanCoverage {
        PlanCoverage::Partial {
            planned_months: months.iter().map(|m| p(m)).collect(),
            months_in_period: of,
            planned_target: sum,
        }
    }

    #[test]
    fn a_period_is_measured_only_against_a_plan_of_all_its_months() {
        let targets: HashMap<PeriodSpec, u64> = [(p("2023-10"), 10), (p("2023-11"), 20)]
            .into_iter()
            .collect();
        assert_eq!(
            coverage(p("2023-Q4"), &targets),
            partial(&["2023-10", "2023-11"], 3, 30)
        );
        assert_eq!(target_for(p("2023-Q4"), &targets), None);
        assert_eq!(target_for(p("2023-10"), &targets), Some(10));
        assert_eq!(coverage(p("2023-12"), &targets), PlanCoverage::None);
        assert_eq!(coverage(p("2023-Q1"), &targets), PlanCoverage::None);
        assert_eq!(
            coverage(p("2023"), &targets),
            partial(&["2023-10", "2023-11"], 12, 30)
        );
        assert!(has_target_in(p("2023-Q4"), &targets));
        assert!(!has_target_in(p("2023-Q1"), &targets));
        // December planned too: the quarter is whole.
        let mut whole = targets.clone();
        whole.insert(p("2023-12"), 30);
        assert_eq!(
            coverage(p("2023-Q4"), &whole),
            PlanCoverage::Full { target: 60 }
        );
        // A period's own target wins over its months'.
        let annual: HashMap<PeriodSpec, u64> =
            [(p("2023"), 100), (p("2023-10"), 10)].into_iter().collect();
        assert_eq!(target_for(p("2023"), &annual), Some(100));
        assert_eq!(target_for(p("2023-Q4"), &annual), None);
    }

    #[test]
    fn quarters_and_halves_plan_their_months() {
        let targets: HashMap<PeriodSpec, u64> = [
            (p("2023-Q4"), 300),
            (p("2023-10"), 90),
            (p("2023-H1"), 500),
            (p("2023-07"), 40),
            (p("2023-08"), 40),
        ]
        .into_iter()
        .collect();
        assert_eq!(target_for(p("2023-Q4"), &targets), Some(300));
        assert_eq!(target_for(p("2023-10"), &targets), Some(90));
        assert_eq!(target_for(p("2023-H1"), &targets), Some(500));
        assert_eq!(target_for(p("2023-Q1"), &targets), None);
        assert_eq!(
            coverage(p("2023-H2"), &targets),
            partial(
                &["2023-07", "2023-08", "2023-10", "2023-11", "2023-12"],
                6,
                380
            )
        );
        // A year to date through November: the fourth quarter is not whole, so its
        // target does not count; October's does.
        let ytd: Vec<PeriodSpec> = p("2023").months().into_iter().take(11).collect();
        assert_eq!(
            months_coverage(&ytd, &targets),
            partial(
                &[
                    "2023-01", "2023-02", "2023-03", "2023-04", "2023-05", "2023-06", "2023-07",
                    "2023-08", "2023-10"
                ],
                11,
                670
            )
        );
        let mut all = targets.clone();
        all.insert(p("2023-09"), 40);
        assert_eq!(
            coverage(p("2023"), &all),
            PlanCoverage::Full {
                target: 500 + 120 + 300
            }
        );
    }
}
