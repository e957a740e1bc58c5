//! How the pages write numbers and times for their reader: a decimal comma on the
//! Vietnamese pages (`4,15` Ω), and times in the lab's time zone, saying which
//! (`15/10/2023 07:30 (UTC+7)`).

use chrono::{DateTime, Offset, Utc};
use chrono_tz::Tz;
use metrotrack_core::Lang;

/// A decimal as stored (`4.15`, `-0.056`) written for `lang`: a comma in Vietnamese.
/// Anything that is not a plain decimal is left as it is.
pub(crate) fn decimal(stored: &str, lang: Lang) -> String {
    let plain = stored.bytes().filter(|b| *b == b'.').count() <= 1
        && stored
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
        && stored.bytes().any(|b| b.is_ascii_digit());
    match lang {
        Lang::Vi if plain => stored.replace('.', ","),
        _ => stored.to_owned(),
    }
}

/// `at` in the time zone `tz`, as `dd/mm/yyyy HH:MM (UTC+7)`.
pub(crate) fn time(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    let seconds = local.offset().fix().local_minus_utc();
    format!(
        "{} ({})",
        local.format("%d/%m/%Y %H:%M"),
        utc_offset(seconds)
    )
}

/// `UTC+7`, `UTC+5:30`, `UTC-3`, `UTC`.
fn utc_offset(seconds: i32) -> String {
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn vietnamese_pages_write_a_decimal_comma() {
        assert_eq!(decimal("4.15", Lang::Vi), "4,15");
        assert_eq!(decimal("-0.056", Lang::Vi), "-0,056");
        assert_eq!(decimal("10", Lang::Vi), "10");
        assert_eq!(decimal("4.15", Lang::En), "4.15");
        assert_eq!(decimal("1.2.3", Lang::Vi), "1.2.3");
        assert_eq!(decimal("abc.d", Lang::Vi), "abc.d");
        assert_eq!(decimal("", Lang::Vi), "");
    }

    #[test]
    fn times_are_in_the_lab_zone_and_say_so() {
        let at = Utc
            .with_ymd_and_hms(2023, 10, 15, 0, 30, 0)
            .single()
            .expect("a time");
        assert_eq!(
            time(at, chrono_tz::Asia::Ho_Chi_Minh),
            "15/10/2023 07:30 (UTC+7)"
        );
        assert_eq!(time(at, chrono_tz::UTC), "15/10/2023 00:30 (UTC)");
        assert_eq!(
            time(at, chrono_tz::Asia::Kolkata),
            "15/10/2023 06:00 (UTC+5:30)"
        );
        let late = Utc
            .with_ymd_and_hms(2023, 10, 14, 20, 0, 0)
            .single()
            .expect("a time");
        // Past 17:00 UTC it is already the next day in Hà Nội.
        assert_eq!(
            time(late, chrono_tz::Asia::Ho_Chi_Minh),
            "15/10/2023 03:00 (UTC+7)"
        );
        assert_eq!(utc_offset(-3 * 3600), "UTC-3");
    }
}
