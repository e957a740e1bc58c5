//! Reporting periods under the government calendar (Decree 09/2019/NĐ-CP, Art. 12) and
//! the plain calendar.
//!
//! Under Decree 09 the month `2023-10` runs from 15/09/2023 to 14/10/2023, the quarter
//! Q1 from 15/12 of the year before to 14/03, the half H1 from 15/12 to 14/06, and the
//! year from 15/12 of the year before to 14/12.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How periods are cut from the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// The government reporting calendar: periods end on the 14th.
    #[default]
    Decree09,
    /// Calendar months, quarters, halves and years.
    Calendar,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Decree09 => "decree09",
            Self::Calendar => "calendar",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "decree09" | "decree-09" | "decree_09" | "nd09" => Ok(Self::Decree09),
            "calendar" => Ok(Self::Calendar),
            _ => Err(PeriodError::UnknownScheme(s.to_owned())),
        }
    }
}

/// Why a period or scheme was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error(
        "{0:?} is not a period; write 2023-10 (month), 2023-Q1 (quarter), 2023-H1 (half-year) or 2023 (year)"
    )]
    Malformed(String),
    #[error("{0:?} is not a scheme; use decree09 or calendar")]
    UnknownScheme(String),
    #[error("year {0} is outside 1900..=9999")]
    YearOutOfRange(i32),
}

/// A named period, independent of the scheme that turns it into dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodSpec {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    Half { year: i32, half: u32 },
    Year { year: i32 },
}

impl PeriodSpec {
    /// Parses `2023-10`, `2023-Q1`, `2023-H1` or `2023`.
    pub fn parse(s: &str) -> Result<Self, PeriodError> {
        let malformed = || PeriodError::Malformed(s.to_owned());
        let t = s.trim();
        let (year_part, rest) = match t.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (t, None),
        };
        if year_part.len() != 4 || !year_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let year: i32 = year_part.parse().map_err(|_| malformed())?;
        if !(1900..=9999).contains(&year) {
            return Err(PeriodError::YearOutOfRange(year));
        }
        let number = |digits: &str, max: u32| -> Result<u32, PeriodError> {
            let n: u32 = digits.parse().map_err(|_| malformed())?;
            if (1..=max).contains(&n)
                && digits.len() <= 2
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                Ok(n)
            } else {
                Err(malformed())
            }
        };
        match rest {
            None => Ok(Self::Year { year }),
            Some(r) if r.starts_with(['Q', 'q']) => Ok(Self::Quarter {
                year,
                quarter: number(&r[1..], 4)?,
            }),
            Some(r) if r.starts_with(['H', 'h']) => Ok(Self::Half {
                year,
                half: number(&r[1..], 2)?,
            }),
            Some(r) if r.len() == 2 => Ok(Self::Month {
                year,
                month: number(r, 12)?,
            }),
            Some(_) => Err(malformed()),
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Self::Month { year, .. }
            | Self::Quarter { year, .. }
            | Self::Half { year, .. }
            | Self::Year { year } => year,
        }
    }

    /// The label: `2023-10`, `2023-Q1`, `2023-H1`, `2023`.
    pub fn label(self) -> String {
        self.to_string()
    }

    /// The months this period is made of, in order.
    pub fn months(self) -> Vec<PeriodSpec> {
        let (year, first, count) = match self {
            Self::Month { year, month } => (year, month, 1),
            Self::Quarter { year, quarter } => (year, quarter * 3 - 2, 3),
            Self::Half { year, half } => (year, half * 6 - 5, 6),
            Self::Year { year } => (year, 1, 12),
        };
        (first..first + count)
            .map(|month| Self::Month { year, month })
            .collect()
    }

    /// The first and last month numbers (1–12) this period covers.
    fn month_span(self) -> (u32, u32) {
        match self {
            Self::Month { month, .. } => (month, month),
            Self::Quarter { quarter, .. } => (quarter * 3 - 2, quarter * 3),
            Self::Half { half, .. } => (half * 6 - 5, half * 6),
            Self::Year { .. } => (1, 12),
        }
    }

    /// The dates of this period under `scheme`.
    pub fn resolve(self, scheme: Scheme) -> ReportingPeriod {
        let year = self.year();
        let (first, last) = self.month_span();
        let (start, end) = match scheme {
            Scheme::Calendar => (ymd(year, first, 1), last_day(year, last)),
            Scheme::Decree09 => {
                let start = if first == 1 {
                    ymd(year - 1, 12, 15)
                } else {
                    ymd(year, first - 1, 15)
                };
                (start, ymd(year, last, 14))
            }
        };
        ReportingPeriod {
            spec: self,
            scheme,
            start,
            end,
        }
    }

    /// The month under `scheme` that `date` falls in.
    pub fn month_of(date: NaiveDate, scheme: Scheme) -> PeriodSpec {
        let (year, month) = (date.year(), date.month());
        match scheme {
            Scheme::Calendar => Self::Month { year, month },
            Scheme::Decree09 if date.day() < 15 => Self::Month { year, month },
            Scheme::Decree09 if month == 12 => Self::Month {
                year: year + 1,
                month: 1,
            },
            Scheme::Decree09 => Self::Month {
                year,
                month: month + 1,
            },
        }
    }
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

fn last_day(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        ymd(year + 1, 1, 1)
    } else {
        ymd(year, month + 1, 1)
    };
    next.pred_opt().unwrap_or(next)
}

impl fmt::Display for PeriodSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Self::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Self::Half { year, half } => write!(f, "{year:04}-H{half}"),
            Self::Year { year } => write!(f, "{year:04}"),
        }
    }
}

impl FromStr for PeriodSpec {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for PeriodSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PeriodSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A period with its dates under a scheme; both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportingPeriod {
    pub spec: PeriodSpec,
    pub scheme: Scheme,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl ReportingPeriod {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }
}

impl Serialize for ReportingPeriod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ReportingPeriod", 4)?;
        st.serialize_field("label", &self.spec.label())?;
        st.serialize_field("scheme", &self.scheme)?;
        st.serialize_field("start", &self.start)?;
        st.serialize_field("end", &self.end)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn p(s: &str) -> PeriodSpec {
        PeriodSpec::parse(s).expect("valid period")
    }

    #[test]
    fn decree09_month_runs_from_the_15th_to_the_14th() {
        let oct = p("2023-10").resolve(Scheme::Decree09);
        assert_eq!((oct.start, oct.end), (d(2023, 9, 15), d(2023, 10, 14)));
        let jan = p("2024-01").resolve(Scheme::Decree09);
        assert_eq!((jan.start, jan.end), (d(2023, 12, 15), d(2024, 1, 14)));
    }

    #[test]
    fn decree09_quarters_halves_and_years() {
        let r = |s: &str| {
            let rp = p(s).resolve(Scheme::Decree09);
            (rp.start, rp.end)
        };
        assert_eq!(r("2023-Q1"), (d(2022, 12, 15), d(2023, 3, 14)));
        assert_eq!(r("2023-Q4"), (d(2023, 9, 15), d(2023, 12, 14)));
        assert_eq!(r("2023-H1"), (d(2022, 12, 15), d(2023, 6, 14)));
        assert_eq!(r("2023-H2"), (d(2023, 6, 15), d(2023, 12, 14)));
        assert_eq!(r("2023"), (d(2022, 12, 15), d(2023, 12, 14)));
    }

    #[test]
    fn calendar_periods() {
        let r = |s: &str| {
            let rp = p(s).resolve(Scheme::Calendar);
            (rp.start, rp.end)
        };
        assert_eq!(r("2024-02"), (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(r("2023-Q4"), (d(2023, 10, 1), d(2023, 12, 31)));
        assert_eq!(r("2023"), (d(2023, 1, 1), d(2023, 12, 31)));
    }

    #[test]
    fn boundary_days_fall_in_the_right_month() {
        assert_eq!(
            PeriodSpec::month_of(d(2023, 9, 14), Scheme::Decree09),
            p("2023-09")
        );
        assert_eq!(
            PeriodSpec::month_of(d(2023, 10, 15), Scheme::Decree09),
            p("2023-11")
        );
        assert_eq!(
            PeriodSpec::month_of(d(2023, 12, 15), Scheme::Decree09),
            p("2024-01")
        );
        assert_eq!(
            PeriodSpec::month_of(d(2023, 9, 14), Scheme::Calendar),
            p("2023-09")
        );
        assert_eq!(
            PeriodSpec::month_of(d(2023, 10, 15), Scheme::Calendar),
            p("2023-10")
        );
    }

    #[test]
    fn labels_round_trip_and_bad_labels_are_refused() {
        for s in ["2023-10", "2023-Q1", "2023-H2", "2023", "2023-01"] {
            assert_eq!(p(s).label(), s);
        }
        assert_eq!(p("2023-q3").label(), "2023-Q3");
        for bad in [
            "2023-13",
            "2023-00",
            "2023-Q5",
            "2023-H3",
            "23-10",
            "2023-1",
            "",
            "2023-10-01",
            "abcd",
        ] {
            assert!(PeriodSpec::parse(bad).is_err(), "{bad}");
        }
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (1950i32..2100, 1u32..=366)
            .prop_filter_map("valid ordinal", |(y, o)| NaiveDate::from_yo_opt(y, o))
    }

    fn any_scheme() -> impl Strategy<Value = Scheme> {
        prop_oneof![Just(Scheme::Decree09), Just(Scheme::Calendar)]
    }

    proptest! {
        #[test]
        fn every_day_lies_in_exactly_one_month_of_its_period_year(date in any_date(), scheme in any_scheme()) {
            let month = PeriodSpec::month_of(date, scheme);
            prop_assert!(month.resolve(scheme).contains(date));
            // Exactly one of the twelve months of that period-year contains it.
            let year = PeriodSpec::Year { year: month.year() };
            let holders = year.months().into_iter().filter(|m| m.resolve(scheme).contains(date)).count();
            prop_assert_eq!(holders, 1);
            prop_assert!(year.resolve(scheme).contains(date));
            // And no month of a neighbouring year holds it.
            for other in [month.year() - 1, month.year() + 1] {
                let n = PeriodSpec::Year { year: other }.months().into_iter()
                    .filter(|m| m.resolve(scheme).contains(date)).count();
                prop_assert_eq!(n, 0);
            }
        }

        #[test]
        fn months_tile_their_year_and_years_tile_time(year in 1950i32..2100, scheme in any_scheme()) {
            let months: Vec<ReportingPeriod> = PeriodSpec::Year { year }.months().into_iter().map(|m| m.resolve(scheme)).collect();
            let whole = PeriodSpec::Year { year }.resolve(scheme);
            prop_assert_eq!(months[0].start, whole.start);
            prop_assert_eq!(months[11].end, whole.end);
            for pair in months.windows(2) {
                prop_assert_eq!(pair[0].end.succ_opt(), Some(pair[1].start));
            }
            let next = PeriodSpec::Year { year: year + 1 }.resolve(scheme);
            prop_assert_eq!(whole.end.succ_opt(), Some(next.start));
            for q in 1..=4 {
                let quarter = PeriodSpec::Quarter { year, quarter: q }.resolve(scheme);
                prop_assert_eq!(quarter.start, months[(q as usize - 1) * 3].start);
                prop_assert_eq!(quarter.end, months[q as usize * 3 - 1].end);
            }
            for h in 1..=2 {
                let half = PeriodSpec::Half { year, half: h }.resolve(scheme);
                prop_assert_eq!(half.start, months[(h as usize - 1) * 6].start);
                prop_assert_eq!(half.end, months[h as usize * 6 - 1].end);
            }
        }

        #[test]
        fn decree09_q1_starts_15_december_of_the_year_before(year in 1950i32..2100) {
            let q1 = PeriodSpec::Quarter { year, quarter: 1 }.resolve(Scheme::Decree09);
            prop_assert_eq!(q1.start, d(year - 1, 12, 15));
            prop_assert_eq!(q1.end, d(year, 3, 14));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,12}") {
            let _ = PeriodSpec::parse(&s);
        }
    }
}
