//! Cell values as technicians write them: dates (never read month-first) and the plain
//! messages that explain a refusal.

use chrono::{Datelike, NaiveDate};
use metrotrack_core::Msg;

use crate::options::DateOrder;

/// Earliest and latest years a log date may carry; anything else is a typo.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// Reads a date: `dd/mm/yyyy`, `d/m/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, ISO `yyyy-mm-dd`,
/// and under [`DateOrder::Ymd`] `yyyy/mm/dd` and `yyyy.mm.dd` as well. A trailing
/// midnight time (`15/09/2023 00:00:00`, as Excel writes) is accepted. Never month-first;
/// impossible dates and two-digit years are refused. The error is a catalogue message.
pub(crate) fn parse_date(written: &str, order: DateOrder) -> Result<NaiveDate, Msg> {
    let s = written.trim();
    let (date_part, time_part) = split_time(s);
    if let Some(time) = time_part
        && !is_midnight(time)
    {
        return Err(Msg::DateHasTime {
            written: s.to_owned(),
            time: time.to_owned(),
        });
    }
    let not_a_date = || Msg::DateInvalid {
        written: s.to_owned(),
    };

    let sep = date_part
        .chars()
        .find(|c| matches!(c, '/' | '-' | '.'))
        .ok_or_else(not_a_date)?;
    let parts: Vec<&str> = date_part.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(not_a_date());
    };
    let digits = |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(a) && digits(b) && digits(c)) {
        return Err(not_a_date());
    }
    let number = |p: &str| p.parse::<u32>().map_err(|_| not_a_date());

    let year_first = a.len() == 4;
    let (year, month, day, year_text) = if year_first {
        if sep != '-' && order == DateOrder::Dmy {
            return Err(Msg::DateYearFirst {
                written: s.to_owned(),
                separator: sep.to_string(),
            });
        }
        if b.len() > 2 || c.len() > 2 {
            return Err(not_a_date());
        }
        (number(a)?, number(b)?, number(c)?, *a)
    } else {
        if c.len() != 4 {
            return Err(if c.len() <= 2 && a.len() <= 2 && b.len() <= 2 {
                Msg::DateTwoDigitYear {
                    written: s.to_owned(),
                }
            } else {
                not_a_date()
            });
        }
        if a.len() > 2 || b.len() > 2 {
            return Err(not_a_date());
        }
        (number(c)?, number(b)?, number(a)?, *c)
    };
    let year = i32::try_from(year).map_err(|_| not_a_date())?;
    if !YEARS.contains(&year) {
        return Err(Msg::DateYearOutOfRange {
            written: s.to_owned(),
            year: year_text.to_owned(),
            min: *YEARS.start(),
            max: *YEARS.end(),
        });
    }
    if !(1..=12).contains(&month) {
        return Err(Msg::DateNoSuchMonth {
            written: s.to_owned(),
            month,
            year_first,
        });
    }
    let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(not_a_date)?;
    let days = days_in_month(first);
    if day == 0 || day > days {
        return Err(Msg::DateImpossible {
            written: s.to_owned(),
            month,
            year,
            days,
            year_first,
        });
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(not_a_date)
}

/// Splits `15/09/2023 00:00:00` or `2023-09-15T00:00` into its date and time.
fn split_time(s: &str) -> (&str, Option<&str>) {
    if !s.contains(':') {
        return (s, None);
    }
    match s.split_once(|c: char| c.is_whitespace() || c == 'T') {
        Some((date, time)) => (date, Some(time.trim())),
        None => (s, None),
    }
}

/// `0:00`, `00:00:00`, `00:00:00.000` (optionally `Z`, `AM` or `SA`): Excel's midnight.
fn is_midnight(time: &str) -> bool {
    let mut words = time.split_whitespace();
    let clock = words.next().unwrap_or_default().trim_end_matches('Z');
    let suffix_ok = words.all(|w| matches!(w.to_ascii_uppercase().as_str(), "AM" | "SA"));
    let parts: Vec<&str> = clock.split(':').collect();
    suffix_ok
        && (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| p.starts_with('0') && p.bytes().all(|b| b == b'0' || b == b'.'))
}

fn days_in_month(first: NaiveDate) -> u32 {
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    next.and_then(|n| n.pred_opt())
        .map_or(31, |last| last.day())
}

/// A date as technicians write it, for messages: `15/09/2023`.
pub(crate) fn show_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrotrack_core::Lang;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn day_first_forms_and_iso_read() {
        for written in [
            "15/09/2023",
            "15/9/2023",
            "15-09-2023",
            "15.09.2023",
            "2023-09-15",
            " 15/09/2023 ",
            "15/09/2023 00:00:00",
            "15/09/2023 0:00",
            "2023-09-15T00:00:00",
            "2023-09-15 00:00:00.000",
        ] {
            assert_eq!(
                parse_date(written, DateOrder::Dmy),
                Ok(d(2023, 9, 15)),
                "{written}"
            );
        }
        assert_eq!(parse_date("5/9/2023", DateOrder::Dmy), Ok(d(2023, 9, 5)));
        assert_eq!(parse_date("29/02/2024", DateOrder::Dmy), Ok(d(2024, 2, 29)));
    }

    #[test]
    fn ymd_reads_year_first_with_any_separator_and_still_day_first() {
        for written in ["2023/09/15", "2023.09.15", "2023-09-15", "15/09/2023"] {
            assert_eq!(
                parse_date(written, DateOrder::Ymd),
                Ok(d(2023, 9, 15)),
                "{written}"
            );
        }
        let err = parse_date("2023/09/15", DateOrder::Dmy)
            .expect_err("dmy refuses")
            .render(Lang::En);
        assert!(err.contains("ymd"), "{err}");
        let err = parse_date("2023/15/09", DateOrder::Ymd)
            .expect_err("no month 15")
            .render(Lang::En);
        assert!(err.contains("no month 15"), "{err}");
    }

    #[test]
    fn month_first_is_never_read() {
        let err = parse_date("09/25/2023", DateOrder::Dmy)
            .expect_err("month-first")
            .render(Lang::En);
        assert_eq!(
            err,
            "09/25/2023 is not a date: there is no month 25; dates are read day-first (dd/mm/yyyy)"
        );
        assert!(parse_date("09/25/2023", DateOrder::Ymd).is_err());
    }

    #[test]
    fn impossible_dates_and_short_years_are_refused() {
        let err = parse_date("31/02/2023", DateOrder::Dmy).expect_err("no 31 February");
        assert_eq!(err.code(), "date.impossible");
        assert_eq!(
            err.render(Lang::En),
            "31/02/2023 is not a date: February 2023 has 28 days; dates are read day-first (dd/mm/yyyy)"
        );
        assert_eq!(
            err.render(Lang::Vi),
            "31/02/2023 không phải là ngày hợp lệ: tháng 2/2023 chỉ có 28 ngày; ngày được đọc theo thứ tự ngày/tháng/năm (dd/mm/yyyy)"
        );
        assert!(parse_date("29/02/2023", DateOrder::Dmy).is_err());
        assert!(parse_date("00/01/2023", DateOrder::Dmy).is_err());
        assert!(parse_date("15/00/2023", DateOrder::Dmy).is_err());
        let err = parse_date("15/09/23", DateOrder::Dmy).expect_err("two-digit year");
        assert_eq!(err.code(), "date.two_digit_year");
        let err = err.render(Lang::En);
        assert!(err.contains("two-digit year"), "{err}");
        for bad in [
            "",
            "abc",
            "15/09",
            "15/09/2023/1",
            "1/2/3/4",
            "15 09 2023",
            "45184",
            "15/09/02023",
            "115/09/2023",
            "15/09/0023",
            "2023-9-15-1",
            "15//2023",
            "15/09/2023 08:30",
            "15/09/2023 12:00 PM",
            "+5/09/2023",
            "٣/09/2023",
        ] {
            assert!(parse_date(bad, DateOrder::Dmy).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn any_real_date_round_trips(days in 0i64..80_000, sep in prop::sample::select(vec!['/', '-', '.']), pad: bool) {
            let date = d(1950, 1, 1) + chrono::Duration::days(days);
            let written = if pad {
                format!("{:02}{sep}{:02}{sep}{}", date.day(), date.month(), date.year())
            } else {
                format!("{}{sep}{}{sep}{}", date.day(), date.month(), date.year())
            };
            prop_assert_eq!(parse_date(&written, DateOrder::Dmy), Ok(date));
            let iso = date.format("%Y-%m-%d").to_string();
            prop_assert_eq!(parse_date(&iso, DateOrder::Dmy), Ok(date));
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_date(&s, DateOrder::Dmy);
            let _ = parse_date(&s, DateOrder::Ymd);
        }
    }
}
