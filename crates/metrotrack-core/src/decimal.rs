//! Exact decimals as technicians write them.

use rust_decimal::Decimal;
use std::str::FromStr;

/// Why a written number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("is empty")]
    Empty,
    #[error(
        "uses digit grouping or more than one separator; write one decimal separator, `.` or `,` (e.g. 1234.5)"
    )]
    Ambiguous,
    #[error("is not a number")]
    NotANumber,
}

/// Parses a decimal written with `.` or `,` as its one decimal separator (`2,5` = `2.5`),
/// keeping the written scale (`2.50` stays `2.50`). Digit grouping (`1.234,5`,
/// `1,234.5`) is refused as ambiguous rather than guessed; so is exponent notation.
pub fn parse_decimal(s: &str) -> Result<Decimal, DecimalError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    let separators = s.chars().filter(|c| matches!(c, '.' | ',')).count();
    if separators > 1 {
        return Err(DecimalError::Ambiguous);
    }
    let (sign, digits) = match s.as_bytes()[0] {
        b'-' | b'+' => s.split_at(1),
        _ => ("", s),
    };
    let valid = !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && digits.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return Err(DecimalError::NotANumber);
    }
    let normalised = format!("{sign}{}", digits.replace(',', "."));
    Decimal::from_str(&normalised).map_err(|_| DecimalError::NotANumber)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn comma_and_point_read_the_same() {
        assert_eq!(parse_decimal("2,5"), parse_decimal("2.5"));
        assert_eq!(
            parse_decimal("0,123").map(|d| d.to_string()),
            Ok("0.123".into())
        );
    }

    #[test]
    fn scale_is_kept() {
        assert_eq!(
            parse_decimal("2.50").map(|d| d.to_string()),
            Ok("2.50".into())
        );
    }

    #[test]
    fn grouping_is_refused() {
        assert_eq!(parse_decimal("1.234,5"), Err(DecimalError::Ambiguous));
        assert_eq!(parse_decimal("1,234.5"), Err(DecimalError::Ambiguous));
        assert_eq!(parse_decimal("abc"), Err(DecimalError::NotANumber));
        assert_eq!(parse_decimal("1e3"), Err(DecimalError::NotANumber));
        assert_eq!(parse_decimal(""), Err(DecimalError::Empty));
        assert_eq!(parse_decimal("-"), Err(DecimalError::NotANumber));
        assert_eq!(
            parse_decimal("-0,5").map(|d| d.to_string()),
            Ok("-0.5".into())
        );
    }

    proptest! {
        #[test]
        fn any_written_decimal_round_trips(int in 0u64..1_000_000, frac in 0u32..10_000, comma: bool) {
            let sep = if comma { ',' } else { '.' };
            let written = format!("{int}{sep}{frac:04}");
            let parsed = parse_decimal(&written).expect("valid decimal");
            prop_assert_eq!(parsed.to_string(), format!("{int}.{frac:04}"));
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse_decimal(&s);
        }
    }
}
