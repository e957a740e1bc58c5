//! The monthly report as the document the department signs (Decree 30/2020/NĐ-CP): who
//! issues it and who signs it, and the tables its body carries.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::category::CategoryCode;

/// Longest text of one field.
pub const SETTING_MAX_CHARS: usize = 200;
/// Most recipients ("Nơi nhận") a report lists.
pub const RECIPIENTS_MAX: usize = 20;

/// The lab's letterhead and signature block, kept by an admin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSettings {
    /// The governing body above the lab ("cơ quan, tổ chức chủ quản"), may be empty.
    pub parent_body: String,
    /// The issuing body's name ("tên cơ quan, tổ chức ban hành văn bản"); empty: the lab's name.
    pub issuing_body: String,
    /// The issuing body's abbreviation in the document's symbol: `Số: …/BC-{symbol}`.
    pub symbol: String,
    /// The place named before the date ("Hà Nội, ngày … tháng … năm …").
    pub place: String,
    /// The signer's authority and title ("GIÁM ĐỐC", "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC").
    pub signer_title: String,
    pub signer_name: String,
    /// "Nơi nhận", one recipient each ("Tổng cục TCĐLCL (để b/c)").
    pub recipients: Vec<String>,
}

/// Why settings were refused: which field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{field}: at most {SETTING_MAX_CHARS} characters")]
    TooLong { field: &'static str },
    #[error("recipients: at most {RECIPIENTS_MAX}")]
    TooManyRecipients,
    #[error("{field}: control characters are not allowed")]
    Control { field: &'static str },
}

impl ReportSettings {
    /// The settings with every field trimmed, empty recipients dropped; refused when a
    /// field is too long or holds control characters (a title may break lines).
    pub fn normalized(&self) -> Result<Self, SettingsError> {
        fn field(value: &str, name: &'static str, lines: bool) -> Result<String, SettingsError> {
            let value = value
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            if value.chars().count() > SETTING_MAX_CHARS {
                return Err(SettingsError::TooLong { field: name });
            }
            if value
                .chars()
                .any(|c| c.is_control() && !(lines && c == '\n'))
            {
                return Err(SettingsError::Control { field: name });
            }
            Ok(value)
        }
        let recipients = self
            .recipients
            .iter()
            .map(|r| field(r, "recipients", false))
            .filter(|r| !matches!(r, Ok(r) if r.is_empty()))
            .collect::<Result<Vec<_>, _>>()?;
        if recipients.len() > RECIPIENTS_MAX {
            return Err(SettingsError::TooManyRecipients);
        }
        Ok(Self {
            parent_body: field(&self.parent_body, "parent_body", true)?,
            issuing_body: field(&self.issuing_body, "issuing_body", true)?,
            symbol: field(&self.symbol, "symbol", false)?,
            place: field(&self.place, "place", false)?,
            signer_title: field(&self.signer_title, "signer_title", true)?,
            signer_name: field(&self.signer_name, "signer_name", false)?,
            recipients,
        })
    }
}

/// One category's row of the report's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRow {
    pub category: CategoryCode,
    /// Distinct instruments inspected in the period.
    pub instruments: u64,
    pub inspections: u64,
    pub passed: u64,
    pub failed: u64,
}

/// The earthing table: points measured and those over their limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarthingRow {
    /// Distinct points with a test in the period.
    pub points: u64,
    pub tests: u64,
    /// Points whose latest test in the period measured above the limit it applied.
    pub points_over_limit: u64,
}

/// What the report's tables show of one period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportTables {
    /// By category code.
    pub categories: Vec<CategoryRow>,
    pub earthing: EarthingRow,
}

/// The document's number: `Số: 12/BC-TTKT`, or a blank to fill by hand (`Số:    /BC-TTKT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentNumber<'a> {
    pub number: Option<u32>,
    pub symbol: &'a str,
}

impl fmt::Display for DocumentNumber<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            Some(n) => write!(f, "Số: {n}/BC")?,
            None => f.write_str("Số:      /BC")?,
        }
        if !self.symbol.is_empty() {
            write!(f, "-{}", self.symbol)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_trimmed_and_bounded() {
        let s = ReportSettings {
            issuing_body: "  TRUNG TÂM KỸ THUẬT  \n\n  TIÊU CHUẨN ĐO LƯỜNG ".into(),
            recipients: vec!["  Sở KH&CN (để b/c); ".into(), "   ".into()],
            ..Default::default()
        };
        let n = s.normalized().expect("valid");
        assert_eq!(n.issuing_body, "TRUNG TÂM KỸ THUẬT\nTIÊU CHUẨN ĐO LƯỜNG");
        assert_eq!(n.recipients, vec!["Sở KH&CN (để b/c);".to_owned()]);

        let long = ReportSettings {
            place: "x".repeat(SETTING_MAX_CHARS + 1),
            ..Default::default()
        };
        assert_eq!(
            long.normalized(),
            Err(SettingsError::TooLong { field: "place" })
        );
        let tab = ReportSettings {
            signer_name: "Nguyễn\tVăn A".into(),
            ..Default::default()
        };
        assert_eq!(
            tab.normalized(),
            Err(SettingsError::Control {
                field: "signer_name"
            })
        );
        let many = ReportSettings {
            recipients: vec!["x".into(); RECIPIENTS_MAX + 1],
            ..Default::default()
        };
        assert_eq!(many.normalized(), Err(SettingsError::TooManyRecipients));
    }

    #[test]
    fn the_number_leaves_a_blank_to_fill_by_hand() {
        let blank = DocumentNumber {
            number: None,
            symbol: "TTKT",
        };
        assert_eq!(blank.to_string(), "Số:      /BC-TTKT");
        let given = DocumentNumber {
            number: Some(12),
            symbol: "TTKT",
        };
        assert_eq!(given.to_string(), "Số: 12/BC-TTKT");
    }
}
