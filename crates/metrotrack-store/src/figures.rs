//! The figures every backend reports the same way: achievement of a period and of a
//! year, from the backend's counts of distinct instruments, inspections and points.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

use chrono::{Datelike, NaiveDate};
use metrotrack_core::plan::{coverage, has_target_in, months_coverage};
use metrotrack_core::{
    Achievement, CategoryCode, LabId, Metric, PeriodAchievement, PeriodSpec, ReportingPeriod,
    Scheme, YearAchievement,
};

use crate::{Store, StoreError};

/// What a backend counts in SQL; the rest of the figures follow from it.
pub(crate) trait CountRecords: Store {
    /// The actual of every metric between `start` and `end` (inclusive), lab-wide or
    /// narrowed to one category (the earthing metric has no category: it stays lab-wide).
    fn actuals(
        &self,
        lab: LabId,
        start: NaiveDate,
        end: NaiveDate,
        category: Option<&CategoryCode>,
    ) -> impl Future<Output = Result<Actuals, StoreError>> + Send;
}

/// The lab's plan targets of `year` (its months, quarters, halves and the year), keyed by
/// (metric, category) then period.
async fn plan_map<S: Store>(
    store: &S,
    lab: LabId,
    year: i32,
) -> Result<BTreeMap<(Metric, Option<CategoryCode>), HashMap<PeriodSpec, u64>>, StoreError> {
    let mut map: BTreeMap<_, HashMap<_, _>> = BTreeMap::new();
    for plan in store.plans(lab, Some(year)).await? {
        map.entry((plan.metric, plan.category))
            .or_default()
            .insert(plan.period, plan.target);
    }
    Ok(map)
}

/// The half-months `start..=end` covers, numbered `(year * 12 + month - 1) * 2 + (day >=
/// 15)` as the inspection tallies are (see migration 0005), when the span is a whole
/// number of them, and no longer than a year: every reporting period of both schemes.
/// Other spans are counted from the records themselves.
pub(crate) fn half_months(start: NaiveDate, end: NaiveDate) -> Option<(i64, i64)> {
    let seg = half_month;
    let after = end.succ_opt()?;
    let aligned = |d: NaiveDate| d.day() == 1 || d.day() == 15;
    let (first, last) = (seg(start), seg(end));
    (aligned(start) && aligned(after) && first <= last && last - first < 24)
        .then_some((first, last))
}

/// The half-month of `date`, numbered as in [`half_months`]: SQLite's generated column
/// `inspections.half_month` and PostgreSQL's `inspection_half_month()` compute the same.
pub(crate) fn half_month(date: NaiveDate) -> i64 {
    (i64::from(date.year()) * 12 + i64::from(date.month0())) * 2 + i64::from(date.day() >= 15)
}

/// Every metric's actual over one span of dates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actuals {
    pub instruments: u64,
    pub inspections: u64,
    pub points: u64,
}

impl Actuals {
    fn of(self, metric: Metric) -> u64 {
        match metric {
            Metric::InstrumentsInspected => self.instruments,
            Metric::Inspections => self.inspections,
            Metric::EarthingPointsMeasured => self.points,
        }
    }
}

/// [`Store::achievement`], from the backend's counts.
pub(crate) async fn achievement<S: CountRecords>(
    store: &S,
    lab: LabId,
    period: ReportingPeriod,
) -> Result<PeriodAchievement, StoreError> {
    let plans = plan_map(store, lab, period.spec.year()).await?;
    let no_targets = HashMap::new();
    let overall = store.actuals(lab, period.start, period.end, None).await?;
    let mut metrics: Vec<Achievement> = Metric::ALL
        .into_iter()
        .map(|metric| {
            let targets = plans.get(&(metric, None)).unwrap_or(&no_targets);
            Achievement::planned(
                metric,
                None,
                overall.of(metric),
                coverage(period.spec, targets),
            )
        })
        .collect();
    let mut by_category: HashMap<CategoryCode, Actuals> = HashMap::new();
    for ((metric, category), targets) in &plans {
        let Some(category) = category else { continue };
        if !has_target_in(period.spec, targets) {
            continue;
        }
        let actuals = match by_category.get(category) {
            Some(a) => *a,
            None => {
                let a = store
                    .actuals(lab, period.start, period.end, Some(category))
                    .await?;
                by_category.insert(category.clone(), a);
                a
            }
        };
        metrics.push(Achievement::planned(
            *metric,
            Some(category.clone()),
            actuals.of(*metric),
            coverage(period.spec, targets),
        ));
    }
    Ok(PeriodAchievement { period, metrics })
}

/// [`Store::year_achievement`], from the backend's counts.
pub(crate) async fn year_achievement<S: CountRecords>(
    store: &S,
    lab: LabId,
    year: i32,
    scheme: Scheme,
    as_of: NaiveDate,
) -> Result<YearAchievement, StoreError> {
    let year_spec = PeriodSpec::Year { year };
    let included: Vec<ReportingPeriod> = year_spec
        .months()
        .into_iter()
        .map(|m| m.resolve(scheme))
        .filter(|m| m.start <= as_of)
        .collect();
    let mut months = Vec::with_capacity(included.len());
    for month in &included {
        months.push(achievement(store, lab, *month).await?);
    }
    let plans = plan_map(store, lab, year).await?;
    let no_targets = HashMap::new();
    // Every lab-wide metric, and each (metric, category) planned in the year.
    let mut keys: BTreeSet<(Metric, Option<CategoryCode>)> =
        Metric::ALL.into_iter().map(|m| (m, None)).collect();
    keys.extend(
        plans
            .iter()
            .filter(|(_, targets)| has_target_in(year_spec, targets))
            .map(|(key, _)| key.clone()),
    );
    let span = included.first().zip(included.last());
    let mut actuals: HashMap<Option<CategoryCode>, Actuals> = HashMap::new();
    let mut year_to_date = Vec::new();
    let mut against_annual = Vec::new();
    for (metric, category) in keys {
        let span_actuals = match (actuals.get(&category), span) {
            (Some(a), _) => *a,
            // Distinct counts are not additive: count over the whole span at once.
            (None, Some((first, last))) => {
                let a = store
                    .actuals(lab, first.start, last.end, category.as_ref())
                    .await?;
                actuals.insert(category.clone(), a);
                a
            }
            (None, None) => Actuals {
                instruments: 0,
                inspections: 0,
                points: 0,
            },
        };
        let actual = span_actuals.of(metric);
        let targets = plans
            .get(&(metric, category.clone()))
            .unwrap_or(&no_targets);
        let so_far: Vec<PeriodSpec> = included.iter().map(|m| m.spec).collect();
        year_to_date.push(Achievement::planned(
            metric,
            category.clone(),
            actual,
            months_coverage(&so_far, targets),
        ));
        if let Some(&annual) = targets.get(&year_spec) {
            against_annual.push(Achievement::new(metric, category, actual, Some(annual)));
        }
    }
    Ok(YearAchievement {
        year,
        scheme,
        months,
        year_to_date,
        against_annual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_period_is_a_run_of_half_months() {
        for year in [2023, 2024] {
            for scheme in [Scheme::Decree09, Scheme::Calendar] {
                let y = PeriodSpec::Year { year }.resolve(scheme);
                let (first, last) = half_months(y.start, y.end).expect("a year is aligned");
                assert_eq!(last - first, 23, "{scheme:?} {year}");
                for m in (PeriodSpec::Year { year }).months() {
                    let m = m.resolve(scheme);
                    let (a, b) = half_months(m.start, m.end).expect("a month is aligned");
                    assert_eq!(b - a, 1);
                }
            }
        }
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        // 15/09/2023 is the second half of September: (2023 * 12 + 8) * 2 + 1.
        assert_eq!(
            half_months(d(2023, 9, 15), d(2023, 10, 14)),
            Some((48569, 48570))
        );
        assert_eq!(half_months(d(2023, 9, 16), d(2023, 10, 14)), None);
        assert_eq!(half_months(d(2023, 9, 15), d(2023, 10, 13)), None);
        assert_eq!(half_months(d(2022, 1, 1), d(2023, 12, 31)), None);
    }
}
