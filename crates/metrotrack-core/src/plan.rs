//! Plan targets and the metrics they are set on.

use serde::{Deserialize, Serialize};
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
}
