//! Achievement: actual against target, as an exact ratio and a whole percent.

use rust_decimal::prelude::*;
use serde::{Deserialize, Serialize};

use crate::category::CategoryCode;
use crate::period::{PeriodSpec, ReportingPeriod};
use crate::plan::{Metric, PlanCoverage};

/// Whether a figure met its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AchievementStatus {
    /// Actual is at or above the target.
    Achieved,
    /// Actual is below the target.
    BelowTarget,
    /// No target is set: there is no percent.
    NoTarget,
    /// Targets are set for only some of the period's months (and none for the period
    /// itself): the period is not measured against them, so there is no percent.
    PartialTarget,
}

/// One metric's figure for a period, with its plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Achievement {
    pub metric: Metric,
    pub category: Option<CategoryCode>,
    pub actual: u64,
    pub target: Option<u64>,
    /// actual / target, rounded to 4 decimal places (467 / 402 → 1.1617).
    #[serde(with = "rust_decimal::serde::float_option")]
    pub ratio: Option<Decimal>,
    /// actual / target × 100, rounded half up to a whole percent (116.17 → 116).
    pub percent: Option<u64>,
    pub status: AchievementStatus,
    /// With `partial_target`: the months of the period a target covers…
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned_months: Vec<PeriodSpec>,
    /// … of this many months in the period …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months_in_period: Option<u32>,
    /// … and the sum of the targets set for them (not the period's target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_target: Option<u64>,
}

impl Achievement {
    /// The figure against what its period is planned by (see [`PlanCoverage`]).
    pub fn planned(
        metric: Metric,
        category: Option<CategoryCode>,
        actual: u64,
        plan: PlanCoverage,
    ) -> Self {
        match plan {
            PlanCoverage::Full { target } => Self::new(metric, category, actual, Some(target)),
            PlanCoverage::None => Self::new(metric, category, actual, None),
            PlanCoverage::Partial {
                planned_months,
                months_in_period,
                planned_target,
            } => Self {
                status: AchievementStatus::PartialTarget,
                planned_months,
                months_in_period: Some(months_in_period),
                planned_target: Some(planned_target),
                ..Self::new(metric, category, actual, None)
            },
        }
    }

    pub fn new(
        metric: Metric,
        category: Option<CategoryCode>,
        actual: u64,
        target: Option<u64>,
    ) -> Self {
        let exact = target
            .filter(|&t| t > 0)
            .map(|t| Decimal::from(actual) / Decimal::from(t));
        let ratio =
            exact.map(|r| r.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero));
        let percent = exact.and_then(|r| {
            (r * Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                .to_u64()
        });
        let status = match (target, exact) {
            (Some(t), Some(_)) if actual >= t => AchievementStatus::Achieved,
            (Some(_), Some(_)) => AchievementStatus::BelowTarget,
            _ => AchievementStatus::NoTarget,
        };
        Self {
            metric,
            category,
            actual,
            target,
            ratio,
            percent,
            status,
            planned_months: Vec::new(),
            months_in_period: None,
            planned_target: None,
        }
    }
}

/// The achievement of one period: every metric with a figure or a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodAchievement {
    pub period: ReportingPeriod,
    pub metrics: Vec<Achievement>,
}

impl PeriodAchievement {
    /// The lab-wide (not narrowed to a category) figure of `metric`.
    pub fn overall(&self, metric: Metric) -> Option<&Achievement> {
        self.metrics
            .iter()
            .find(|a| a.metric == metric && a.category.is_none())
    }
}

/// A year's monthly series and its year-to-date figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearAchievement {
    pub year: i32,
    pub scheme: crate::period::Scheme,
    /// Each month of the year up to the last one that has begun.
    pub months: Vec<PeriodAchievement>,
    /// Year to date: the months so far summed, against the targets of those months
    /// (`partial_target` when not all of them are planned).
    pub year_to_date: Vec<Achievement>,
    /// The months so far summed against the annual targets, where an annual target is set.
    pub against_annual: Vec<Achievement>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_figures() {
        let a = Achievement::new(Metric::InstrumentsInspected, None, 467, Some(402));
        assert_eq!(a.ratio.map(|r| r.to_string()), Some("1.1617".into()));
        assert_eq!(a.percent, Some(116));
        assert_eq!(a.status, AchievementStatus::Achieved);
        let e = Achievement::new(Metric::EarthingPointsMeasured, None, 13, Some(10));
        assert_eq!(e.percent, Some(130));
    }

    #[test]
    fn percent_rounds_half_up() {
        // 1 of 8 = 12.5 % → 13 %; 5 of 8 = 62.5 % → 63 %; 1 of 3 = 33.33 % → 33 %.
        assert_eq!(
            Achievement::new(Metric::Inspections, None, 1, Some(8)).percent,
            Some(13)
        );
        assert_eq!(
            Achievement::new(Metric::Inspections, None, 5, Some(8)).percent,
            Some(63)
        );
        assert_eq!(
            Achievement::new(Metric::Inspections, None, 1, Some(3)).percent,
            Some(33)
        );
        let below = Achievement::new(Metric::Inspections, None, 9, Some(10));
        assert_eq!(below.status, AchievementStatus::BelowTarget);
    }

    #[test]
    fn no_target_no_percent() {
        let a = Achievement::new(Metric::Inspections, None, 5, None);
        assert_eq!(
            (a.ratio, a.percent, a.status),
            (None, None, AchievementStatus::NoTarget)
        );
    }

    #[test]
    fn a_partial_plan_gives_no_percent_but_says_what_is_planned() {
        let october = PeriodSpec::parse("2023-10").expect("period");
        let a = Achievement::planned(
            Metric::InstrumentsInspected,
            None,
            467,
            PlanCoverage::Partial {
                planned_months: vec![october],
                months_in_period: 3,
                planned_target: 402,
            },
        );
        assert_eq!(
            (a.target, a.ratio, a.percent, a.status),
            (None, None, None, AchievementStatus::PartialTarget)
        );
        let json = serde_json::to_value(&a).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"metric": "instruments_inspected", "category": null, "actual": 467,
                "target": null, "ratio": null, "percent": null, "status": "partial_target",
                "planned_months": ["2023-10"], "months_in_period": 3, "planned_target": 402})
        );
    }

    #[test]
    fn json_shape_matches_the_spec() {
        let a = Achievement::new(Metric::InstrumentsInspected, None, 467, Some(402));
        let json = serde_json::to_value(&a).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"metric": "instruments_inspected", "category": null, "actual": 467,
                "target": 402, "ratio": 1.1617, "percent": 116, "status": "achieved"})
        );
    }
}
