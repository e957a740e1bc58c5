//! Inspections: one verification, calibration or test of one instrument on one date.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::category::{Category, CategoryCode};
use crate::instrument::SerialNumber;
use crate::vocab::{Vocabulary, canonical_words};

/// What was done to the instrument (hình thức).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InspectionKind {
    /// Kiểm định: legal verification, with a pass/fail conformity statement.
    Verification,
    /// Hiệu chuẩn: calibration, possibly with no conformity statement.
    Calibration,
    /// Thử nghiệm: test.
    Test,
}

impl Vocabulary for InspectionKind {
    const WORDS: &'static [(Self, &'static [&'static str])] = &[
        (Self::Verification, &["verification", "Kiểm định", "KĐ"]),
        (Self::Calibration, &["calibration", "Hiệu chuẩn", "HC"]),
        (Self::Test, &["test", "Thử nghiệm", "TN"]),
    ];
}
canonical_words!(InspectionKind);

/// Why a verification was made (loại kiểm định).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationType {
    Initial,
    Periodic,
    AfterRepair,
}

impl Vocabulary for VerificationType {
    const WORDS: &'static [(Self, &'static [&'static str])] = &[
        (Self::Initial, &["initial", "Ban đầu", "Lần đầu"]),
        (Self::Periodic, &["periodic", "Định kỳ"]),
        (Self::AfterRepair, &["after_repair", "Sau sửa chữa"]),
    ];
}
canonical_words!(VerificationType);

/// The conformity statement (kết quả).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Pass,
    Fail,
}

impl Vocabulary for Outcome {
    const WORDS: &'static [(Self, &'static [&'static str])] = &[
        (Self::Pass, &["pass", "Đạt", "passed"]),
        (Self::Fail, &["fail", "Không đạt", "failed", "KĐạt"]),
    ];
}
canonical_words!(Outcome);

/// Adds calendar months, clamping the day to the month's end
/// (31/08/2023 + 18 months = 28/02/2025).
pub fn add_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    date.checked_add_months(Months::new(months))
}

/// An inspection as a log states it, validated: what the importer hands the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInspection {
    pub date: NaiveDate,
    pub category: CategoryCode,
    pub serial: SerialNumber,
    pub model: Option<String>,
    pub manufacturer: Option<String>,
    pub owner: Option<String>,
    pub kind: InspectionKind,
    pub verification_type: Option<VerificationType>,
    pub procedure: Option<String>,
    pub result: Option<Outcome>,
    /// Measured error in percent, exact as written.
    pub error_percent: Option<Decimal>,
    pub certificate_no: Option<String>,
    pub stamp_no: Option<String>,
    /// From the log when given, otherwise derived by [`NewInspection::derive_valid_until`].
    pub valid_until: Option<NaiveDate>,
    pub technician: String,
    pub checked_by: Option<String>,
    pub notes: Option<String>,
}

impl NewInspection {
    /// Valid-until when the log gives none: a passed verification is valid for the
    /// category's cycle in force on the inspection date; a failed inspection never is.
    pub fn derive_valid_until(&mut self, category: &Category) {
        if self.result == Some(Outcome::Fail) {
            self.valid_until = None;
            return;
        }
        if self.valid_until.is_none()
            && self.kind == InspectionKind::Verification
            && self.result == Some(Outcome::Pass)
        {
            self.valid_until = category
                .cycle_on(self.date)
                .and_then(|months| add_months(self.date, months));
        }
    }

    /// The names of the recorded values in which `other` differs from `self`, for the
    /// same natural key. Empty means the two are the same record (a duplicate).
    /// Descriptive instrument fields (model, owner) belong to the instrument, not to the
    /// inspection, and are not compared.
    pub fn differing_fields(&self, other: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |name, same: bool| {
            if !same {
                out.push(name);
            }
        };
        check(
            "verification_type",
            self.verification_type == other.verification_type,
        );
        check("procedure", self.procedure == other.procedure);
        check("result", self.result == other.result);
        check("error_percent", self.error_percent == other.error_percent);
        check(
            "certificate_no",
            self.certificate_no == other.certificate_no,
        );
        check("stamp_no", self.stamp_no == other.stamp_no);
        check("valid_until", self.valid_until == other.valid_until);
        check("technician", self.technician == other.technician);
        check("checked_by", self.checked_by == other.checked_by);
        check("notes", self.notes == other.notes);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::seed_categories;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn months_clamp_to_the_month_end() {
        assert_eq!(add_months(d(2023, 8, 31), 18), Some(d(2025, 2, 28)));
        assert_eq!(add_months(d(2023, 1, 31), 1), Some(d(2023, 2, 28)));
        assert_eq!(add_months(d(2023, 10, 5), 12), Some(d(2024, 10, 5)));
    }

    #[test]
    fn vocabulary_reads_vietnamese_with_or_without_diacritics() {
        assert_eq!("Đạt".parse::<Outcome>(), Ok(Outcome::Pass));
        assert_eq!("dat".parse::<Outcome>(), Ok(Outcome::Pass));
        assert_eq!("KHÔNG ĐẠT".parse::<Outcome>(), Ok(Outcome::Fail));
        assert_eq!("khong dat".parse::<Outcome>(), Ok(Outcome::Fail));
        assert_eq!(
            "Hiệu chuẩn".parse::<InspectionKind>(),
            Ok(InspectionKind::Calibration)
        );
        assert_eq!(
            "verification".parse::<InspectionKind>(),
            Ok(InspectionKind::Verification)
        );
        assert_eq!(
            "Sau sửa chữa".parse::<VerificationType>(),
            Ok(VerificationType::AfterRepair)
        );
        assert_eq!(
            "after_repair".parse::<VerificationType>(),
            Ok(VerificationType::AfterRepair)
        );
        let err = "maybe".parse::<Outcome>().expect_err("unknown word");
        assert!(err.to_string().contains("pass (Đạt"), "{err}");
        assert_eq!(Outcome::Fail.to_string(), "fail");
    }

    fn sample(date: NaiveDate, result: Option<Outcome>) -> NewInspection {
        NewInspection {
            date,
            category: CategoryCode::parse("TXM").expect("code"),
            serial: SerialNumber::parse("T-1").expect("serial"),
            model: None,
            manufacturer: None,
            owner: None,
            kind: InspectionKind::Verification,
            verification_type: None,
            procedure: None,
            result,
            error_percent: None,
            certificate_no: None,
            stamp_no: None,
            valid_until: None,
            technician: "An".into(),
            checked_by: None,
            notes: None,
        }
    }

    #[test]
    fn a_passed_verification_is_valid_for_the_cycle() {
        let taximeter = seed_categories()
            .into_iter()
            .find(|c| c.code.as_str() == "TXM")
            .expect("seeded");
        let mut pass = sample(d(2023, 8, 31), Some(Outcome::Pass));
        pass.derive_valid_until(&taximeter);
        assert_eq!(pass.valid_until, Some(d(2025, 2, 28)));

        let mut fail = sample(d(2023, 8, 31), Some(Outcome::Fail));
        fail.valid_until = Some(d(2024, 1, 1));
        fail.derive_valid_until(&taximeter);
        assert_eq!(fail.valid_until, None);

        let mut given = sample(d(2023, 8, 31), Some(Outcome::Pass));
        given.valid_until = Some(d(2024, 1, 1));
        given.derive_valid_until(&taximeter);
        assert_eq!(given.valid_until, Some(d(2024, 1, 1)));
    }

    #[test]
    fn differing_fields_name_what_changed() {
        let a = sample(d(2023, 9, 20), Some(Outcome::Pass));
        let mut b = a.clone();
        assert!(a.differing_fields(&b).is_empty());
        b.result = Some(Outcome::Fail);
        b.owner = Some("other owner".into());
        assert_eq!(a.differing_fields(&b), vec!["result"]);
    }
}
