//! Measuring instruments (phương tiện đo, PTĐ) and how they are identified.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::category::CategoryCode;
use crate::text;

/// A serial number (số sản xuất) as written, with the key it compares by: trimmed,
/// case-folded, inner spaces removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SerialNumber {
    written: String,
    key: String,
}

/// Why a serial number or point code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {max} characters")]
    TooLong { max: usize },
}

/// Longest serial number or point code accepted.
pub const MAX_IDENTIFIER_LEN: usize = 128;

pub(crate) fn parse_identifier(s: &str) -> Result<(String, String), IdentifierError> {
    let written = text::clean(s);
    if written.is_empty() {
        return Err(IdentifierError::Empty);
    }
    if written.chars().count() > MAX_IDENTIFIER_LEN {
        return Err(IdentifierError::TooLong {
            max: MAX_IDENTIFIER_LEN,
        });
    }
    let key = text::identity_key(&written);
    Ok((written, key))
}

impl SerialNumber {
    pub fn parse(s: &str) -> Result<Self, IdentifierError> {
        parse_identifier(s).map(|(written, key)| Self { written, key })
    }

    /// Rebuilds a serial number from its stored written form.
    pub fn from_written(written: &str) -> Self {
        Self {
            written: written.to_owned(),
            key: text::identity_key(written),
        }
    }

    /// The value as the technician wrote it (NFC, trimmed), for display.
    pub fn written(&self) -> &str {
        &self.written
    }

    /// The comparison key.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// What identifies an instrument within a lab: category, manufacturer and serial number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstrumentKey {
    pub category: CategoryCode,
    /// [`text::name_key`] of the manufacturer, empty when the log gives none.
    pub manufacturer_key: String,
    pub serial_key: String,
}

impl InstrumentKey {
    pub fn new(category: &CategoryCode, manufacturer: Option<&str>, serial: &SerialNumber) -> Self {
        Self::with_manufacturer_key(category, manufacturer.map(text::name_key), serial)
    }

    /// The key of an instrument whose manufacturer's [`text::name_key`] is known already
    /// (`None` when the log gives no manufacturer): for a caller that keys many rows
    /// naming few manufacturers, and works each one's key out once.
    pub fn with_manufacturer_key(
        category: &CategoryCode,
        manufacturer_key: Option<String>,
        serial: &SerialNumber,
    ) -> Self {
        Self {
            category: category.clone(),
            manufacturer_key: manufacturer_key.unwrap_or_default(),
            serial_key: serial.key().to_owned(),
        }
    }
}

/// A stored instrument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    pub id: i64,
    pub category: CategoryCode,
    pub serial_number: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub owner: Option<String>,
    pub measuring_range: Option<String>,
    pub accuracy_class: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_compare_by_key_and_keep_what_was_written() {
        let a = SerialNumber::parse("  AB 12-3 ").expect("serial");
        let b = SerialNumber::parse("ab12-3").expect("serial");
        assert_eq!(a.key(), b.key());
        assert_eq!(a.written(), "AB 12-3");
        assert_eq!(SerialNumber::parse("   "), Err(IdentifierError::Empty));
    }

    #[test]
    fn instrument_keys_fold_manufacturer_case_and_spacing() {
        let cat = CategoryCode::parse("DHN").expect("code");
        let s = SerialNumber::parse("123").expect("serial");
        assert_eq!(
            InstrumentKey::new(&cat, Some("Công ty  ABC"), &s),
            InstrumentKey::new(&cat, Some("công ty abc"), &s)
        );
    }
}
