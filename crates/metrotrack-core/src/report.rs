//! The monthly report's sentences, in the form of the provincial department's report:
//!
//! > Kiểm định, hiệu chuẩn theo yêu cầu của khách hàng, kiểm định được 467 PTĐ các loại
//! > (Đạt 116% so với kế hoạch đề ra); Đo điện trở nối đất hệ thống chống sét tại 13 điểm
//! > đo (đạt 130% kế hoạch).

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::str::FromStr;

use crate::achievement::{Achievement, AchievementStatus, PeriodAchievement};
use crate::category::CategoryCode;
use crate::plan::Metric;

/// The language of human-readable output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

/// A language other than `vi` or `en`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a language; use vi or en")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vi" => Ok(Self::Vi),
            "en" => Ok(Self::En),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

/// How many of the period's months a partial plan covers, as `(planned, of)`.
fn partial_months(a: &Achievement) -> Option<(usize, u32)> {
    (a.status == AchievementStatus::PartialTarget)
        .then(|| (a.planned_months.len(), a.months_in_period.unwrap_or(0)))
}

fn percent_vi(a: &Achievement, lead: &str, tail: &str) -> String {
    match (a.percent, partial_months(a)) {
        (Some(p), _) => format!("({lead} {p}% {tail})"),
        (None, Some((n, of))) => format!("(kế hoạch mới có cho {n}/{of} tháng)"),
        (None, None) => "(chưa có kế hoạch)".to_owned(),
    }
}

fn percent_en(a: &Achievement) -> String {
    match (a.percent, partial_months(a)) {
        (Some(p), _) => format!("({p}% of plan)"),
        (None, Some((n, of))) => format!("(plan set for {n} of {of} months)"),
        (None, None) => "(no plan set)".to_owned(),
    }
}

/// Renders the period's report as text: a heading with the period's dates, the report
/// sentence, then the remaining figures one per line.
pub fn render_text(achievement: &PeriodAchievement, lang: Lang) -> String {
    render_text_named(achievement, lang, |code| code.as_str().to_owned())
}

/// [`render_text`] with each category named by `name` (its name in `lang` rather than
/// its code, on the pages).
pub fn render_text_named(
    achievement: &PeriodAchievement,
    lang: Lang,
    name: impl Fn(&CategoryCode) -> String,
) -> String {
    let period = &achievement.period;
    let (start, end) = (
        period.start.format("%d/%m/%Y"),
        period.end.format("%d/%m/%Y"),
    );
    let zero = |metric| Achievement::new(metric, None, 0, None);
    let instruments = achievement
        .overall(Metric::InstrumentsInspected)
        .cloned()
        .unwrap_or_else(|| zero(Metric::InstrumentsInspected));
    let points = achievement
        .overall(Metric::EarthingPointsMeasured)
        .cloned()
        .unwrap_or_else(|| zero(Metric::EarthingPointsMeasured));
    let inspections = achievement
        .overall(Metric::Inspections)
        .cloned()
        .unwrap_or_else(|| zero(Metric::Inspections));

    let mut out = String::new();
    match lang {
        Lang::Vi => {
            let _ = writeln!(
                out,
                "Kỳ báo cáo {} (từ ngày {start} đến ngày {end}):",
                period.spec
            );
            let _ = writeln!(
                out,
                "Kiểm định, hiệu chuẩn theo yêu cầu của khách hàng, kiểm định được {} PTĐ các loại {}; \
                 Đo điện trở nối đất hệ thống chống sét tại {} điểm đo {}.",
                instruments.actual,
                percent_vi(&instruments, "Đạt", "so với kế hoạch đề ra"),
                points.actual,
                percent_vi(&points, "đạt", "kế hoạch"),
            );
            let plan = match (inspections.percent, partial_months(&inspections)) {
                (Some(p), _) => format!(", đạt {p}% kế hoạch"),
                (None, Some((n, of))) => format!(" (kế hoạch mới có cho {n}/{of} tháng)"),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                out,
                "Tổng số lượt kiểm định, hiệu chuẩn, thử nghiệm: {}{plan}.",
                inspections.actual
            );
        }
        Lang::En => {
            let _ = writeln!(out, "Reporting period {} ({start} to {end}):", period.spec);
            let _ = writeln!(
                out,
                "Verified and calibrated {} measuring instruments of all kinds at customers' request {}; \
                 measured the earthing resistance of lightning-protection systems at {} points {}.",
                instruments.actual,
                percent_en(&instruments),
                points.actual,
                percent_en(&points),
            );
            let plan = match (inspections.percent, partial_months(&inspections)) {
                (Some(p), _) => format!(", {p}% of plan"),
                (None, Some((n, of))) => format!(" (plan set for {n} of {of} months)"),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                out,
                "Inspections (verifications, calibrations, tests) in all: {}{plan}.",
                inspections.actual
            );
        }
    }
    for a in achievement.metrics.iter().filter(|a| a.category.is_some()) {
        let code = a.category.as_ref().map(&name).unwrap_or_default();
        let line = match (lang, a.metric) {
            (Lang::Vi, Metric::Inspections) => {
                format!(
                    "- {code}: {} lượt {}",
                    a.actual,
                    percent_vi(a, "đạt", "kế hoạch")
                )
            }
            (Lang::Vi, _) => format!(
                "- {code}: {} PTĐ {}",
                a.actual,
                percent_vi(a, "đạt", "kế hoạch")
            ),
            (Lang::En, Metric::Inspections) => {
                format!("- {code}: {} inspections {}", a.actual, percent_en(a))
            }
            (Lang::En, _) => format!("- {code}: {} instruments {}", a.actual, percent_en(a)),
        };
        let _ = writeln!(out, "{line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::{PeriodSpec, Scheme};

    fn october(instruments: Option<u64>, points: Option<u64>) -> PeriodAchievement {
        PeriodAchievement {
            period: PeriodSpec::parse("2023-10")
                .expect("period")
                .resolve(Scheme::Decree09),
            metrics: vec![
                Achievement::new(Metric::InstrumentsInspected, None, 467, instruments),
                Achievement::new(Metric::Inspections, None, 497, None),
                Achievement::new(Metric::EarthingPointsMeasured, None, 13, points),
            ],
        }
    }

    #[test]
    fn vietnamese_text_reproduces_the_report_sentence() {
        let text = render_text(&october(Some(402), Some(10)), Lang::Vi);
        assert!(
            text.contains("từ ngày 15/09/2023 đến ngày 14/10/2023"),
            "{text}"
        );
        assert!(
            text.contains(
                "Kiểm định, hiệu chuẩn theo yêu cầu của khách hàng, kiểm định được 467 PTĐ các loại \
                 (Đạt 116% so với kế hoạch đề ra); Đo điện trở nối đất hệ thống chống sét tại 13 điểm đo \
                 (đạt 130% kế hoạch)."
            ),
            "{text}"
        );
    }

    #[test]
    fn missing_plans_are_said_not_invented() {
        let text = render_text(&october(None, Some(10)), Lang::Vi);
        assert!(
            text.contains("467 PTĐ các loại (chưa có kế hoạch)"),
            "{text}"
        );
        let en = render_text(&october(None, Some(10)), Lang::En);
        assert!(
            en.contains(
                "467 measuring instruments of all kinds at customers' request (no plan set)"
            ),
            "{en}"
        );
        assert!(en.contains("13 points (130% of plan)"), "{en}");
    }

    #[test]
    fn a_partial_plan_is_not_called_a_percent_of_plan() {
        let october = PeriodSpec::parse("2023-10").expect("period");
        let partial = || crate::plan::PlanCoverage::Partial {
            planned_months: vec![october],
            months_in_period: 3,
            planned_target: 402,
        };
        let quarter = PeriodAchievement {
            period: PeriodSpec::parse("2023-Q4")
                .expect("period")
                .resolve(Scheme::Decree09),
            metrics: vec![
                Achievement::planned(Metric::InstrumentsInspected, None, 467, partial()),
                Achievement::planned(Metric::Inspections, None, 497, partial()),
                Achievement::new(Metric::EarthingPointsMeasured, None, 13, None),
            ],
        };
        let vi = render_text(&quarter, Lang::Vi);
        assert!(
            vi.contains("467 PTĐ các loại (kế hoạch mới có cho 1/3 tháng)"),
            "{vi}"
        );
        assert!(vi.contains("497 (kế hoạch mới có cho 1/3 tháng)."), "{vi}");
        assert!(!vi.contains('%'), "{vi}");
        let en = render_text(&quarter, Lang::En);
        assert!(en.contains("(plan set for 1 of 3 months)"), "{en}");
        assert!(!en.contains("% of plan"), "{en}");
    }
}
