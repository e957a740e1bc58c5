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
    #[error("plan targets are set for a month (2023-10) or a year (2023), not {0}")]
    PeriodNotPlannable(PeriodSpec),
    #[error("a target is a whole number of at least 1")]
    ZeroTarget,
    #[error("{0} counts earthing points and cannot be narrowed to an instrument category")]
    CategoryNotApplicable(Metric),
}

/// A supervisor's target: how much of a metric the lab plans for a month or a year.
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
        if !matches!(period, PeriodSpec::Month { .. } | PeriodSpec::Year { .. }) {
            return Err(PlanError::PeriodNotPlannable(period));
        }
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

/// The target of `spec` from one (metric, category)'s targets, keyed by the planned
/// period: a month's or year's own target; otherwise (a quarter, a half, a year with no
/// annual target) the sum of its months' targets when any is set.
pub fn target_for(spec: PeriodSpec, targets: &HashMap<PeriodSpec, u64>) -> Option<u64> {
    if let Some(&own) = targets.get(&spec) {
        return Some(own);
    }
    if matches!(spec, PeriodSpec::Month { .. }) {
        return None;
    }
    months_target(spec.months(), targets)
}

/// The target of a run of months (a year to date): the sum of their targets when any is
/// set.
pub fn months_target(
    months: impl IntoIterator<Item = PeriodSpec>,
    targets: &HashMap<PeriodSpec, u64>,
) -> Option<u64> {
    let set: Vec<u64> = months
        .into_iter()
        .filter_map(|m| targets.get(&m).copied())
        .collect();
    (!set.is_empty()).then(|| set.iter().sum())
}

/// Whether any of `targets` is set for `spec` or one of its months.
pub fn has_target_in(spec: PeriodSpec, targets: &HashMap<PeriodSpec, u64>) -> bool {
    targets.contains_key(&spec) || spec.months().iter().any(|m| targets.contains_key(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_monthly_or_yearly_and_positive() {
        let month = PeriodSpec::parse("2023-10").expect("period");
        assert!(PlanTarget::new(Metric::Inspections, None, month, 402).is_ok());
        assert_eq!(
            PlanTarget::new(Metric::Inspections, None, month, 0),
            Err(PlanError::ZeroTarget)
        );
        let quarter = PeriodSpec::parse("2023-Q4").expect("period");
        assert!(PlanTarget::new(Metric::Inspections, None, quarter, 5).is_err());
        let cat = CategoryCode::parse("DHN").ok();
        assert!(PlanTarget::new(Metric::EarthingPointsMeasured, cat, month, 5).is_err());
        assert_eq!("inspections".parse::<Metric>(), Ok(Metric::Inspections));
    }

    #[test]
    fn quarter_targets_sum_their_months() {
        let p = |s: &str| PeriodSpec::parse(s).expect("period");
        let targets: HashMap<PeriodSpec, u64> = [(p("2023-10"), 10), (p("2023-11"), 20)]
            .into_iter()
            .collect();
        assert_eq!(target_for(p("2023-Q4"), &targets), Some(30));
        assert_eq!(target_for(p("2023-10"), &targets), Some(10));
        assert_eq!(target_for(p("2023-12"), &targets), None);
        assert_eq!(target_for(p("2023-Q1"), &targets), None);
        assert_eq!(target_for(p("2023"), &targets), Some(30));
        assert!(has_target_in(p("2023-Q4"), &targets));
        assert!(!has_target_in(p("2023-Q1"), &targets));
        let annual: HashMap<PeriodSpec, u64> =
            [(p("2023"), 100), (p("2023-10"), 10)].into_iter().collect();
        assert_eq!(target_for(p("2023"), &annual), Some(100));
    }
}
