//! Categories, plans, periods, achievement and the due list.

use chrono::NaiveDate;
use metrotrack_core::{
    Achievement, Category, DueCounts, DueEntry, PeriodAchievement, PlanTarget, ReportingPeriod,
    YearAchievement,
};
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

/// A verification cycle in force from a date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CycleDto {
    pub effective_from: NaiveDate,
    pub months: u32,
}

/// An instrument category with its cycles.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryDto {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub legal_group2: bool,
    pub cycles: Vec<CycleDto>,
}

impl From<Category> for CategoryDto {
    fn from(c: Category) -> Self {
        Self {
            code: c.code.to_string(),
            name_vi: c.name_vi,
            name_en: c.name_en,
            legal_group2: c.legal_group2,
            cycles: c
                .cycles
                .into_iter()
                .map(|r| CycleDto {
                    effective_from: r.effective_from,
                    months: r.months,
                })
                .collect(),
        }
    }
}

/// The lab's categories.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryDto>,
}

/// A plan target.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanDto {
    /// `instruments_inspected`, `inspections` or `earthing_points_measured`.
    pub metric: String,
    pub category: Option<String>,
    /// `2023-10` (month), `2023-Q4` (quarter), `2023-H2` (half-year) or `2023` (year).
    pub period: String,
    pub target: u64,
}

impl From<PlanTarget> for PlanDto {
    fn from(p: PlanTarget) -> Self {
        Self {
            metric: p.metric.to_string(),
            category: p.category.map(|c| c.to_string()),
            period: p.period.to_string(),
            target: p.target,
        }
    }
}

/// The lab's plan targets.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<PlanDto>,
}

/// `PUT /api/v1/plans/{period}/{metric}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPlan {
    /// At least 1.
    #[schema(example = 402, minimum = 1)]
    pub target: u64,
    /// A category code to narrow the metric to, or null for every category.
    #[serde(default)]
    pub category: Option<String>,
}

/// A reporting period with its dates.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PeriodDto {
    #[schema(example = "2023-10")]
    pub label: String,
    /// `decree09` or `calendar`.
    #[schema(example = "decree09")]
    pub scheme: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl From<ReportingPeriod> for PeriodDto {
    fn from(p: ReportingPeriod) -> Self {
        Self {
            label: p.spec.to_string(),
            scheme: p.scheme.to_string(),
            start: p.start,
            end: p.end,
        }
    }
}

/// One metric's figure against its plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AchievementDto {
    #[schema(example = "instruments_inspected")]
    pub metric: String,
    pub category: Option<String>,
    #[schema(example = 467)]
    pub actual: u64,
    #[schema(example = 402)]
    pub target: Option<u64>,
    /// actual / target, 4 decimal places.
    #[schema(example = 1.1617)]
    pub ratio: Option<f64>,
    /// Whole percent, rounded half up.
    #[schema(example = 116)]
    pub percent: Option<u64>,
    /// `achieved`, `below_target`, `no_target` or `partial_target` (targets are set for
    /// only some months of the period and none for the period itself: no percent; see
    /// `planned_months`).
    #[schema(example = "achieved")]
    pub status: String,
    /// With `partial_target`: the months of the period a target covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["2023-10"]))]
    pub planned_months: Option<Vec<String>>,
    /// With `partial_target`: how many months the period has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 3)]
    pub months_in_period: Option<u32>,
    /// With `partial_target`: the sum of the targets set for `planned_months` (not a
    /// target of the period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 402)]
    pub planned_target: Option<u64>,
}

impl From<Achievement> for AchievementDto {
    fn from(a: Achievement) -> Self {
        Self {
            metric: a.metric.to_string(),
            category: a.category.map(|c| c.to_string()),
            actual: a.actual,
            target: a.target,
            ratio: a.ratio.and_then(|r| r.to_f64()),
            percent: a.percent,
            status: word(&a.status),
            planned_months: (!a.planned_months.is_empty())
                .then(|| a.planned_months.iter().map(ToString::to_string).collect()),
            months_in_period: a.months_in_period,
            planned_target: a.planned_target,
        }
    }
}

/// A period's achievement (SPEC §3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PeriodAchievementDto {
    pub period: PeriodDto,
    pub metrics: Vec<AchievementDto>,
}

impl From<PeriodAchievement> for PeriodAchievementDto {
    fn from(a: PeriodAchievement) -> Self {
        Self {
            period: a.period.into(),
            metrics: a.metrics.into_iter().map(Into::into).collect(),
        }
    }
}

/// A year's monthly series and year to date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct YearAchievementDto {
    pub year: i32,
    pub scheme: String,
    pub months: Vec<PeriodAchievementDto>,
    pub year_to_date: Vec<AchievementDto>,
    pub against_annual: Vec<AchievementDto>,
}

impl From<YearAchievement> for YearAchievementDto {
    fn from(y: YearAchievement) -> Self {
        Self {
            year: y.year,
            scheme: y.scheme.to_string(),
            months: y.months.into_iter().map(Into::into).collect(),
            year_to_date: y.year_to_date.into_iter().map(Into::into).collect(),
            against_annual: y.against_annual.into_iter().map(Into::into).collect(),
        }
    }
}

/// `GET /api/v1/achievement`: a period's (with `period=`) or a year's (with `year=`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AchievementResponse {
    Period(PeriodAchievementDto),
    Year(YearAchievementDto),
}

/// An instrument on the due list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DueDto {
    pub instrument_id: i64,
    pub category: String,
    pub serial_number: String,
    pub manufacturer: Option<String>,
    pub owner: Option<String>,
    pub last_inspected_on: NaiveDate,
    pub valid_until: NaiveDate,
    /// Negative when overdue.
    pub days_left: i64,
    pub overdue: bool,
}

impl From<DueEntry> for DueDto {
    fn from(d: DueEntry) -> Self {
        Self {
            instrument_id: d.instrument_id,
            category: d.category.to_string(),
            serial_number: d.serial_number,
            manufacturer: d.manufacturer,
            owner: d.owner,
            last_inspected_on: d.last_inspected_on,
            valid_until: d.valid_until,
            days_left: d.days_left,
            overdue: d.overdue,
        }
    }
}

/// The due list as of a date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DueList {
    pub as_of: NaiveDate,
    pub within_days: u32,
    /// How many instruments the whole list holds (every page together).
    pub counts: DueCountsDto,
    pub items: Vec<DueDto>,
    /// The `cursor` of the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// How many instruments the due list holds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct DueCountsDto {
    /// Past their valid-until date.
    pub overdue: u64,
    /// Due within the window, not yet overdue.
    pub due_soon: u64,
    /// Both together.
    pub total: u64,
}

impl From<DueCounts> for DueCountsDto {
    fn from(c: DueCounts) -> Self {
        Self {
            overdue: c.overdue,
            due_soon: c.due_soon,
            total: c.total(),
        }
    }
}
