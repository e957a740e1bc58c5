//! Instrument categories (loại phương tiện đo) and their verification cycles.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

use crate::text;

/// A category's short code, e.g. `CT1P`. Stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CategoryCode(String);

/// Why a category code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a category code is 1 to 16 letters, digits, `-` or `_` (got {0:?})")]
pub struct CategoryCodeError(pub String);

impl CategoryCode {
    /// Parses a code: trimmed, upper-cased, 1–16 ASCII letters, digits, `-` or `_`.
    pub fn parse(s: &str) -> Result<Self, CategoryCodeError> {
        let code = s.trim().to_ascii_uppercase();
        let valid = (1..=16).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(Self(code))
        } else {
            Err(CategoryCodeError(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A verification cycle in force from a date on (regulations change cycles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleRule {
    pub effective_from: NaiveDate,
    pub months: u32,
}

/// An instrument category: what kind of instrument, whether it is on the legal list of
/// instruments that must be verified (group 2), and its verification cycles over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub code: CategoryCode,
    pub name_vi: String,
    pub name_en: String,
    /// On the legal list of measuring instruments that must be verified (nhóm 2).
    pub legal_group2: bool,
    /// Cycle rules, any order; the one in force on a date is the latest starting on or
    /// before it.
    pub cycles: Vec<CycleRule>,
}

impl Category {
    /// The verification cycle in months in force on `date`, if any rule covers it.
    pub fn cycle_on(&self, date: NaiveDate) -> Option<u32> {
        self.cycles
            .iter()
            .filter(|r| r.effective_from <= date)
            .max_by_key(|r| r.effective_from)
            .map(|r| r.months)
    }
}

/// The date from which the seeded cycles apply: early enough to cover any log.
pub fn seed_effective_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The categories every new lab starts with (SPEC §1), editable by an admin later.
pub fn seed_categories() -> Vec<Category> {
    const SEED: &[(&str, &str, &str, bool, u32)] = &[
        (
            "CT1P",
            "Công tơ điện 1 pha",
            "Single-phase electricity meter",
            true,
            60,
        ),
        (
            "CT3P",
            "Công tơ điện 3 pha",
            "Three-phase electricity meter",
            true,
            24,
        ),
        ("DHN", "Đồng hồ nước", "Water meter", true, 60),
        ("CPT", "Cân phân tích", "Analytical balance", true, 12),
        ("CKT", "Cân kỹ thuật", "Technical balance", true, 12),
        ("CB", "Cân bàn", "Platform scale", true, 12),
        ("CDH", "Cân đồng hồ lò xo", "Spring dial scale", true, 12),
        ("COT", "Cân ô tô", "Truck scale", true, 12),
        ("HAK", "Huyết áp kế", "Blood-pressure meter", true, 12),
        ("TXM", "Taximet", "Taximeter", true, 18),
        ("CXD", "Cột đo xăng dầu", "Fuel dispenser", true, 12),
        (
            "TDX",
            "Phương tiện đo tốc độ xe cơ giới",
            "Vehicle speed meter",
            true,
            24,
        ),
        ("TDD", "Máy toàn đạc", "Total station", true, 12),
        ("NKYT", "Nhiệt kế y học", "Clinical thermometer", true, 24),
        ("CTB", "Cân treo móc cẩu", "Crane scale", true, 12),
        ("DHKK", "Đồng hồ đo khí", "Gas meter", true, 60),
        ("AKD", "Áp kế lò xo", "Spring pressure gauge", true, 12),
        (
            "PTDN",
            "Phương tiện đo nồng độ cồn trong hơi thở",
            "Breath alcohol analyser",
            true,
            12,
        ),
        (
            "BTN",
            "Biến dòng đo lường",
            "Measuring current transformer",
            true,
            60,
        ),
        (
            "BAD",
            "Biến áp đo lường",
            "Measuring voltage transformer",
            true,
            60,
        ),
    ];
    SEED.iter()
        .map(|&(code, vi, en, group2, months)| Category {
            code: CategoryCode(code.to_owned()),
            name_vi: vi.to_owned(),
            name_en: en.to_owned(),
            legal_group2: group2,
            cycles: vec![CycleRule {
                effective_from: seed_effective_from(),
                months,
            }],
        })
        .collect()
}

/// The categories of one lab, resolvable by code, Vietnamese or English name as a log
/// writes them (case, diacritics and punctuation ignored).
#[derive(Debug, Clone, Default)]
pub struct CategoryCatalog {
    categories: Vec<Category>,
    by_key: HashMap<String, usize>,
}

impl CategoryCatalog {
    pub fn new(categories: Vec<Category>) -> Self {
        let mut by_key = HashMap::new();
        // Codes win over names when a code folds like another category's name.
        for pass in 0..2 {
            for (i, c) in categories.iter().enumerate() {
                let keys = if pass == 0 {
                    vec![text::fold(&c.name_vi), text::fold(&c.name_en)]
                } else {
                    vec![text::fold(c.code.as_str())]
                };
                for key in keys.into_iter().filter(|k| !k.is_empty()) {
                    by_key.insert(key, i);
                }
            }
        }
        Self { categories, by_key }
    }

    /// Finds the category a log names by code or by either name.
    pub fn resolve(&self, written: &str) -> Option<&Category> {
        self.by_key
            .get(&text::fold(written))
            .map(|&i| &self.categories[i])
    }

    pub fn get(&self, code: &CategoryCode) -> Option<&Category> {
        self.categories.iter().find(|c| &c.code == code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter()
    }

    /// The known codes, comma-separated, for "unknown category" messages.
    pub fn known_codes(&self) -> String {
        let mut codes: Vec<&str> = self.categories.iter().map(|c| c.code.as_str()).collect();
        codes.sort_unstable();
        codes.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn resolves_by_code_and_both_names() {
        let catalog = CategoryCatalog::new(seed_categories());
        for written in ["TXM", "txm", "Taximet", "taximeter", " TAXIMET "] {
            assert_eq!(
                catalog.resolve(written).map(|c| c.code.as_str()),
                Some("TXM"),
                "{written}"
            );
        }
        assert_eq!(
            catalog
                .resolve("Cong to dien 1 pha")
                .map(|c| c.code.as_str()),
            Some("CT1P")
        );
        assert_eq!(
            catalog
                .resolve("Công tơ điện 3 pha")
                .map(|c| c.code.as_str()),
            Some("CT3P")
        );
        assert!(catalog.resolve("Cân vàng").is_none());
    }

    #[test]
    fn seed_has_the_spec_cycles() {
        let catalog = CategoryCatalog::new(seed_categories());
        let cycle = |code: &str| {
            catalog
                .get(&CategoryCode::parse(code).expect("code"))
                .and_then(|c| c.cycle_on(d(2023, 9, 1)))
        };
        assert_eq!(cycle("TXM"), Some(18));
        assert_eq!(cycle("CT1P"), Some(60));
        assert_eq!(cycle("CPT"), Some(12));
        assert_eq!(cycle("TDX"), Some(24));
    }

    #[test]
    fn the_latest_rule_in_force_applies() {
        let mut cat = seed_categories().remove(0);
        cat.cycles.push(CycleRule {
            effective_from: d(2024, 1, 1),
            months: 36,
        });
        assert_eq!(cat.cycle_on(d(2023, 12, 31)), Some(60));
        assert_eq!(cat.cycle_on(d(2024, 1, 1)), Some(36));
        assert_eq!(cat.cycle_on(d(1999, 1, 1)), None);
    }

    #[test]
    fn codes_are_validated() {
        assert_eq!(
            CategoryCode::parse(" ct1p ").map(|c| c.to_string()),
            Ok("CT1P".into())
        );
        assert!(CategoryCode::parse("").is_err());
        assert!(CategoryCode::parse("a b").is_err());
    }
}
