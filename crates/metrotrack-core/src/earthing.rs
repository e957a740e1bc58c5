//! Earthing-resistance tests of lightning-protection and safety earthing systems.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::decimal::{DecimalError, parse_decimal};
use crate::instrument::{IdentifierError, parse_identifier};
use crate::text;
use crate::vocab::{Vocabulary, canonical_words};

/// What an earthing point earths (hệ thống).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EarthingSystem {
    LightningProtection,
    ElectricalSafety,
    Other,
}

impl Vocabulary for EarthingSystem {
    const WORDS: &'static [(Self, &'static [&'static str])] = &[
        (
            Self::LightningProtection,
            &["lightning_protection", "Chống sét"],
        ),
        (
            Self::ElectricalSafety,
            &["electrical_safety", "An toàn điện"],
        ),
        (Self::Other, &["other", "Khác"]),
    ];
}
canonical_words!(EarthingSystem);

impl EarthingSystem {
    /// The default resistance limit: 10 Ω for lightning protection (TCVN 9385:2012),
    /// 4 Ω for electrical safety earthing (and other systems).
    pub fn default_limit(self) -> Ohms {
        match self {
            Self::LightningProtection => Ohms(Decimal::from(10)),
            Self::ElectricalSafety | Self::Other => Ohms(Decimal::from(4)),
        }
    }
}

/// How the resistance was measured (phương pháp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EarthingMethod {
    FallOfPotential,
    Clamp,
    TwoPole,
    Other,
}

impl Vocabulary for EarthingMethod {
    const WORDS: &'static [(Self, &'static [&'static str])] = &[
        (
            Self::FallOfPotential,
            &["fall_of_potential", "3 cực", "Ba cực", "3 cọc"],
        ),
        (Self::Clamp, &["clamp", "Kìm", "Kẹp"]),
        (Self::TwoPole, &["two_pole", "2 cực", "Hai cực"]),
        (Self::Other, &["other", "Khác"]),
    ];
}
canonical_words!(EarthingMethod);

/// A resistance in ohms: exact, non-negative, with the precision as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ohms(Decimal);

/// Why a resistance was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OhmsError {
    #[error(transparent)]
    Decimal(#[from] DecimalError),
    #[error("is negative; a resistance is 0 Ω or more")]
    Negative,
}

impl Ohms {
    /// Parses `2,50` or `2.50` (kept as 2.50); refuses negatives.
    pub fn parse(s: &str) -> Result<Self, OhmsError> {
        Self::new(parse_decimal(s)?)
    }

    pub fn new(value: Decimal) -> Result<Self, OhmsError> {
        if value.is_sign_negative() && !value.is_zero() {
            Err(OhmsError::Negative)
        } else {
            Ok(Self(value))
        }
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Ohms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An earthing point's code (điểm đo) as written, with its comparison key (trimmed,
/// case-folded, inner spaces removed, like serial numbers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PointCode {
    written: String,
    key: String,
}

impl PointCode {
    pub fn parse(s: &str) -> Result<Self, IdentifierError> {
        parse_identifier(s).map(|(written, key)| Self { written, key })
    }

    pub fn written(&self) -> &str {
        &self.written
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

/// What identifies an earthing point within a lab: its site and its code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PointKey {
    pub site_key: String,
    pub code_key: String,
}

impl PointKey {
    pub fn new(site: &str, code: &PointCode) -> Self {
        Self {
            site_key: text::name_key(site),
            code_key: code.key().to_owned(),
        }
    }
}

/// Pass when the measured resistance is at or below the limit.
pub fn verdict(resistance: Ohms, limit: Ohms) -> crate::inspection::Outcome {
    if resistance <= limit {
        crate::inspection::Outcome::Pass
    } else {
        crate::inspection::Outcome::Fail
    }
}

/// An earthing test as a log states it, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEarthingTest {
    pub date: NaiveDate,
    pub site: String,
    pub point: PointCode,
    /// `None` when the log does not say: the point's own system (lightning protection
    /// for a new point).
    pub system: Option<EarthingSystem>,
    pub resistance: Ohms,
    /// `None` when the log does not say: the point's limit.
    pub limit: Option<Ohms>,
    pub method: Option<EarthingMethod>,
    pub tester_serial: Option<String>,
    pub weather: Option<String>,
    pub technician: String,
    pub notes: Option<String>,
}

impl NewEarthingTest {
    /// The fields in which `other` differs from `self` for the same point and date.
    /// Empty means the same record (a duplicate). Resistances compare by value
    /// (`2.5` equals `2.50`).
    pub fn differing_fields(&self, other: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |name, same: bool| {
            if !same {
                out.push(name);
            }
        };
        check(
            "resistance_ohm",
            self.resistance.value() == other.resistance.value(),
        );
        check(
            "limit_ohm",
            self.limit.map(Ohms::value) == other.limit.map(Ohms::value),
        );
        check("system", self.system == other.system);
        check("method", self.method == other.method);
        check("tester_serial", self.tester_serial == other.tester_serial);
        check("weather", self.weather == other.weather);
        check("technician", self.technician == other.technician);
        check("notes", self.notes == other.notes);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspection::Outcome;

    #[test]
    fn ohms_keep_precision_and_refuse_negatives() {
        assert_eq!(
            Ohms::parse("2,50").map(|o| o.to_string()),
            Ok("2.50".into())
        );
        assert_eq!(Ohms::parse("-1"), Err(OhmsError::Negative));
        assert!(Ohms::parse("abc").is_err());
    }

    #[test]
    fn verdict_passes_at_the_limit() {
        let limit = EarthingSystem::LightningProtection.default_limit();
        assert_eq!(
            verdict(Ohms::parse("10.0").expect("ohms"), limit),
            Outcome::Pass
        );
        assert_eq!(
            verdict(Ohms::parse("10.01").expect("ohms"), limit),
            Outcome::Fail
        );
        assert_eq!(
            EarthingSystem::ElectricalSafety.default_limit().to_string(),
            "4"
        );
    }

    #[test]
    fn vietnamese_words_read() {
        assert_eq!(
            "Chống sét".parse::<EarthingSystem>(),
            Ok(EarthingSystem::LightningProtection)
        );
        assert_eq!(
            "an toan dien".parse::<EarthingSystem>(),
            Ok(EarthingSystem::ElectricalSafety)
        );
        assert_eq!(
            "3 cực".parse::<EarthingMethod>(),
            Ok(EarthingMethod::FallOfPotential)
        );
        assert_eq!("Kìm".parse::<EarthingMethod>(), Ok(EarthingMethod::Clamp));
        assert_eq!(
            "2 cuc".parse::<EarthingMethod>(),
            Ok(EarthingMethod::TwoPole)
        );
    }

    #[test]
    fn point_keys_fold_site_and_code() {
        let a = PointKey::new(
            "Trường THCS  Hòa Bình",
            &PointCode::parse(" đ 01").expect("code"),
        );
        let b = PointKey::new(
            "trường thcs hòa bình",
            &PointCode::parse("Đ01").expect("code"),
        );
        assert_eq!(a, b);
    }
}
