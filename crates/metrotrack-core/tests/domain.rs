//! The domain's rules as a user meets them: periods and their dates, percents, cycles and
//! valid-until dates, the words logs are written in, identifiers, problems and the report.
//!
//! Written against the mutation score (`just mutants`): each test pins a value a user
//! would see, so that a changed operator or a dropped branch in the core fails here.

use chrono::NaiveDate;
use metrotrack_core::achievement::AchievementStatus;
use metrotrack_core::category::{seed_categories, seed_effective_from};
use metrotrack_core::decimal::{DecimalError, parse_decimal};
use metrotrack_core::earthing::{OhmsError, verdict};
use metrotrack_core::inspection::add_months;
use metrotrack_core::instrument::{IdentifierError, MAX_IDENTIFIER_LEN};
use metrotrack_core::period::PeriodError;
use metrotrack_core::plan::{PlanError, UnknownMetric};
use metrotrack_core::report::render_text;
use metrotrack_core::{
    Achievement, BatchOutcome, Category, CategoryCatalog, CategoryCode, CycleRule, DueAfter,
    DueEntry, EarthingMethod, EarthingSystem, FileSummary, ImportMode, InspectionKind, Lang,
    LogKind, Metric, Msg, NewEarthingTest, NewInspection, Ohms, Outcome, PeriodAchievement,
    PeriodSpec, PlanTarget, PointCode, PointKey, Problem, Scheme, SerialNumber, VerificationType,
    Vocabulary, text,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn p(s: &str) -> PeriodSpec {
    PeriodSpec::parse(s).expect("valid period")
}

fn dates(spec: &str, scheme: Scheme) -> (NaiveDate, NaiveDate) {
    let r = p(spec).resolve(scheme);
    (r.start, r.end)
}

// ---------------------------------------------------------------------------------------
// Periods

#[test]
fn schemes_read_their_names_and_aliases() {
    for (written, want) in [
        ("decree09", Scheme::Decree09),
        (" Decree-09 ", Scheme::Decree09),
        ("DECREE_09", Scheme::Decree09),
        ("nd09", Scheme::Decree09),
        ("calendar", Scheme::Calendar),
        ("Calendar", Scheme::Calendar),
    ] {
        assert_eq!(written.parse::<Scheme>(), Ok(want), "{written}");
    }
    assert_eq!(
        "fiscal".parse::<Scheme>(),
        Err(PeriodError::UnknownScheme("fiscal".into()))
    );
    assert_eq!(Scheme::Decree09.to_string(), "decree09");
    assert_eq!(Scheme::Calendar.to_string(), "calendar");
    assert_eq!(Scheme::default(), Scheme::Decree09);
}

#[test]
fn period_labels_parse_to_exact_values() {
    assert_eq!(
        p(" 2023-10 "),
        PeriodSpec::Month {
            year: 2023,
            month: 10
        }
    );
    assert_eq!(
        p("2023-Q4"),
        PeriodSpec::Quarter {
            year: 2023,
            quarter: 4
        }
    );
    assert_eq!(
        p("2023-h2"),
        PeriodSpec::Half {
            year: 2023,
            half: 2
        }
    );
    assert_eq!(p("2023"), PeriodSpec::Year { year: 2023 });
    assert_eq!(p("1900"), PeriodSpec::Year { year: 1900 });
    assert_eq!(p("9999-12").label(), "9999-12");
    assert_eq!(
        PeriodSpec::parse("1899"),
        Err(PeriodError::YearOutOfRange(1899))
    );
    assert_eq!(
        PeriodSpec::parse("0000-01"),
        Err(PeriodError::YearOutOfRange(0))
    );
    for bad in [
        "2023-Q0",
        "2023-Q",
        "2023-H0",
        "2023-H",
        "2023-Q004",
        "2023-M1",
        "2023-1a",
        "2023-+1",
        "202a",
        "+202",
        "2023-",
        "-2023",
    ] {
        assert_eq!(
            PeriodSpec::parse(bad),
            Err(PeriodError::Malformed(bad.into())),
            "{bad}"
        );
    }
    let err = PeriodSpec::parse("2023-13").expect_err("no month 13");
    assert_eq!(
        err.to_string(),
        "\"2023-13\" is not a period; write 2023-10 (month), 2023-Q1 (quarter), 2023-H1 (half-year) or 2023 (year)"
    );
    assert_eq!("2023-Q2".parse::<PeriodSpec>(), Ok(p("2023-Q2")));
    for spec in ["2023-10", "2023-Q1", "2023-H2", "2023"] {
        assert_eq!(p(spec).year(), 2023, "{spec}");
    }
}

#[test]
fn periods_are_made_of_their_months() {
    let months = |s: &str| -> Vec<String> { p(s).months().iter().map(|m| m.label()).collect() };
    assert_eq!(months("2023-10"), ["2023-10"]);
    assert_eq!(months("2023-Q1"), ["2023-01", "2023-02", "2023-03"]);
    assert_eq!(months("2023-Q3"), ["2023-07", "2023-08", "2023-09"]);
    assert_eq!(
        months("2023-H2"),
        [
            "2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12"
        ]
    );
    assert_eq!(months("2023").len(), 12);
    assert_eq!(months("2023")[0], "2023-01");
    assert_eq!(months("2023")[11], "2023-12");
}

#[test]
fn every_month_of_a_year_has_its_decree09_and_calendar_dates() {
    for month in 1..=12u32 {
        let spec = format!("2023-{month:02}");
        let start = if month == 1 {
            d(2022, 12, 15)
        } else {
            d(2023, month - 1, 15)
        };
        assert_eq!(
            dates(&spec, Scheme::Decree09),
            (start, d(2023, month, 14)),
            "{spec}"
        );
        let end = if month == 12 {
            d(2023, 12, 31)
        } else {
            d(2023, month + 1, 1).pred_opt().expect("a day before")
        };
        assert_eq!(
            dates(&spec, Scheme::Calendar),
            (d(2023, month, 1), end),
            "{spec}"
        );
    }
    assert_eq!(
        dates("2023-Q2", Scheme::Decree09),
        (d(2023, 3, 15), d(2023, 6, 14))
    );
    assert_eq!(
        dates("2023-Q2", Scheme::Calendar),
        (d(2023, 4, 1), d(2023, 6, 30))
    );
    assert_eq!(
        dates("2023-H2", Scheme::Calendar),
        (d(2023, 7, 1), d(2023, 12, 31))
    );
    assert_eq!(
        dates("2023-02", Scheme::Calendar),
        (d(2023, 2, 1), d(2023, 2, 28))
    );
    let r = p("2023-10").resolve(Scheme::Calendar);
    assert_eq!((r.spec, r.scheme), (p("2023-10"), Scheme::Calendar));
}

#[test]
fn the_14th_and_the_15th_fall_in_different_months() {
    let month_of = |date, scheme| PeriodSpec::month_of(date, scheme).label();
    assert_eq!(month_of(d(2023, 12, 14), Scheme::Decree09), "2023-12");
    assert_eq!(month_of(d(2023, 12, 15), Scheme::Decree09), "2024-01");
    assert_eq!(month_of(d(2023, 12, 31), Scheme::Decree09), "2024-01");
    assert_eq!(month_of(d(2024, 1, 14), Scheme::Decree09), "2024-01");
    assert_eq!(month_of(d(2024, 1, 15), Scheme::Decree09), "2024-02");
    assert_eq!(month_of(d(2023, 6, 30), Scheme::Decree09), "2023-07");
    assert_eq!(month_of(d(2023, 12, 31), Scheme::Calendar), "2023-12");
    assert_eq!(month_of(d(2023, 1, 1), Scheme::Calendar), "2023-01");

    let oct = p("2023-10").resolve(Scheme::Decree09);
    assert!(!oct.contains(d(2023, 9, 14)));
    assert!(oct.contains(d(2023, 9, 15)));
    assert!(oct.contains(d(2023, 10, 1)));
    assert!(oct.contains(d(2023, 10, 14)));
    assert!(!oct.contains(d(2023, 10, 15)));
}

#[test]
fn periods_serialise_as_labels_and_dates() {
    let r = p("2023-10").resolve(Scheme::Decree09);
    assert_eq!(
        serde_json::to_value(r).expect("serialises"),
        serde_json::json!({"label": "2023-10", "scheme": "decree09",
            "start": "2023-09-15", "end": "2023-10-14"})
    );
    assert_eq!(
        serde_json::to_string(&p("2023-Q1")).expect("serialises"),
        "\"2023-Q1\""
    );
    assert_eq!(
        serde_json::from_str::<PeriodSpec>("\"2023-H1\"").expect("parses"),
        p("2023-H1")
    );
    let err = serde_json::from_str::<PeriodSpec>("\"2023-Q9\"").expect_err("refused");
    assert!(err.to_string().contains("is not a period"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Achievement

#[test]
fn a_target_of_zero_has_no_percent() {
    let a = Achievement::new(Metric::Inspections, None, 5, Some(0));
    assert_eq!(
        (a.ratio, a.percent, a.status, a.target),
        (None, None, AchievementStatus::NoTarget, Some(0))
    );
}

#[test]
fn meeting_the_target_exactly_is_achieved() {
    let a = Achievement::new(Metric::Inspections, None, 402, Some(402));
    assert_eq!(a.status, AchievementStatus::Achieved);
    assert_eq!(a.percent, Some(100));
    assert_eq!(a.ratio.map(|r| r.to_string()), Some("1".into()));
    let below = Achievement::new(Metric::Inspections, None, 401, Some(402));
    assert_eq!(below.status, AchievementStatus::BelowTarget);
    assert_eq!(below.percent, Some(100), "99.75 % rounds to 100 %");
    let none = Achievement::new(Metric::Inspections, None, 0, Some(7));
    assert_eq!(
        (none.percent, none.status),
        (Some(0), AchievementStatus::BelowTarget)
    );
    // The ratio rounds half away from zero at the fourth place: 1/32 = 0.03125.
    let tiny = Achievement::new(Metric::Inspections, None, 1, Some(32));
    assert_eq!(tiny.ratio.map(|r| r.to_string()), Some("0.0313".into()));
    assert_eq!(tiny.percent, Some(3));
}

#[test]
fn the_overall_figure_is_the_one_without_a_category() {
    let cat = CategoryCode::parse("DHN").ok();
    let period = PeriodAchievement {
        period: p("2023-10").resolve(Scheme::Decree09),
        metrics: vec![
            Achievement::new(Metric::Inspections, cat.clone(), 7, None),
            Achievement::new(Metric::InstrumentsInspected, None, 5, None),
            Achievement::new(Metric::Inspections, None, 9, None),
        ],
    };
    assert_eq!(
        period.overall(Metric::Inspections).map(|a| a.actual),
        Some(9)
    );
    assert_eq!(
        period
            .overall(Metric::InstrumentsInspected)
            .map(|a| a.actual),
        Some(5)
    );
    assert!(period.overall(Metric::EarthingPointsMeasured).is_none());
}

// ---------------------------------------------------------------------------------------
// Plans and metrics

#[test]
fn metrics_read_and_write_their_names() {
    for m in Metric::ALL {
        assert_eq!(m.as_str().parse::<Metric>(), Ok(m));
        assert_eq!(m.to_string(), m.as_str());
    }
    assert_eq!(
        Metric::ALL.map(Metric::as_str),
        [
            "instruments_inspected",
            "inspections",
            "earthing_points_measured"
        ]
    );
    assert_eq!(" INSPECTIONS ".parse::<Metric>(), Ok(Metric::Inspections));
    assert_eq!(
        "visits".parse::<Metric>(),
        Err(UnknownMetric("visits".into()))
    );
    assert!(Metric::Inspections.takes_category());
    assert!(Metric::InstrumentsInspected.takes_category());
    assert!(!Metric::EarthingPointsMeasured.takes_category());
}

#[test]
fn plan_targets_are_checked() {
    let dhn = CategoryCode::parse("DHN").ok();
    let year = p("2023");
    let ok = PlanTarget::new(Metric::Inspections, dhn.clone(), year, 1).expect("valid");
    assert_eq!(
        (ok.metric, ok.category.clone(), ok.period, ok.target),
        (Metric::Inspections, dhn.clone(), year, 1)
    );
    assert!(PlanTarget::new(Metric::Inspections, None, p("2023-H1"), 5).is_ok());
    assert!(PlanTarget::new(Metric::Inspections, None, p("2023-Q4"), 5).is_ok());
    assert_eq!(
        PlanTarget::new(Metric::EarthingPointsMeasured, dhn, p("2023-10"), 5),
        Err(PlanError::CategoryNotApplicable(
            Metric::EarthingPointsMeasured
        ))
    );
    assert!(PlanTarget::new(Metric::EarthingPointsMeasured, None, p("2023-10"), 5).is_ok());
}

// ---------------------------------------------------------------------------------------
// Categories and cycles

#[test]
fn category_codes_are_1_to_16_letters_digits_dashes_or_underscores() {
    assert_eq!(
        CategoryCode::parse("a-b_16charsxxxxx").map(|c| c.to_string()),
        Ok("A-B_16CHARSXXXXX".into())
    );
    assert!(CategoryCode::parse("x").is_ok());
    for bad in ["", "  ", "17charsxxxxxxxxxx", "a.b", "Đ1"] {
        let err = CategoryCode::parse(bad).expect_err(bad);
        assert_eq!(
            err.to_string(),
            format!("a category code is 1 to 16 letters, digits, `-` or `_` (got {bad:?})")
        );
    }
}

#[test]
fn the_cycle_in_force_is_the_latest_started() {
    let mut cat = seed_categories().remove(0);
    // Out of order on purpose.
    cat.cycles = vec![
        CycleRule {
            effective_from: d(2024, 1, 1),
            months: 36,
        },
        CycleRule {
            effective_from: d(2010, 1, 1),
            months: 60,
        },
        CycleRule {
            effective_from: d(2020, 1, 1),
            months: 48,
        },
    ];
    assert_eq!(cat.cycle_on(d(2009, 12, 31)), None);
    assert_eq!(cat.cycle_on(d(2010, 1, 1)), Some(60));
    assert_eq!(cat.cycle_on(d(2019, 12, 31)), Some(60));
    assert_eq!(cat.cycle_on(d(2020, 1, 1)), Some(48));
    assert_eq!(cat.cycle_on(d(2030, 1, 1)), Some(36));
}

#[test]
fn the_seed_is_the_spec_list() {
    let seed = seed_categories();
    assert_eq!(seed.len(), 20);
    assert!(seed.iter().all(|c| c.legal_group2));
    assert!(
        seed.iter()
            .all(|c| c.cycles.len() == 1 && c.cycles[0].effective_from == d(2000, 1, 1))
    );
    assert_eq!(seed_effective_from(), d(2000, 1, 1));
    let catalog = CategoryCatalog::new(seed);
    assert_eq!(
        catalog.known_codes(),
        "AKD, BAD, BTN, CB, CDH, CKT, COT, CPT, CT1P, CT3P, CTB, CXD, DHKK, DHN, HAK, NKYT, PTDN, TDD, TDX, TXM"
    );
    assert_eq!(catalog.iter().count(), 20);
    let txm = catalog
        .get(&CategoryCode::parse("txm").expect("code"))
        .expect("seeded");
    assert_eq!(
        (txm.name_vi.as_str(), txm.name_en.as_str()),
        ("Taximet", "Taximeter")
    );
    assert!(
        catalog
            .get(&CategoryCode::parse("NOPE").expect("code"))
            .is_none()
    );
    assert_eq!(
        catalog.resolve("Đồng hồ nước").map(|c| c.code.as_str()),
        Some("DHN")
    );
    assert_eq!(
        catalog.resolve("water meter").map(|c| c.code.as_str()),
        Some("DHN")
    );
}

fn category(code: &str, vi: &str, en: &str) -> Category {
    Category {
        code: CategoryCode::parse(code).expect("code"),
        name_vi: vi.into(),
        name_en: en.into(),
        legal_group2: false,
        cycles: Vec::new(),
    }
}

#[test]
fn a_code_wins_over_another_categorys_name() {
    // "AB" is one category's code and another's English name, in either order.
    for cats in [
        vec![category("AB", "Cân", "Scale"), category("XY", "Ống", "ab")],
        vec![category("XY", "Ống", "ab"), category("AB", "Cân", "Scale")],
    ] {
        let catalog = CategoryCatalog::new(cats);
        assert_eq!(catalog.resolve("ab").map(|c| c.code.as_str()), Some("AB"));
        assert_eq!(catalog.resolve("Ống").map(|c| c.code.as_str()), Some("XY"));
    }
    // An empty name names nothing.
    let catalog = CategoryCatalog::new(vec![category("AB", "", "...")]);
    assert!(catalog.resolve("").is_none());
    assert!(catalog.resolve("...").is_none());
}

// ---------------------------------------------------------------------------------------
// Inspections: valid-until, vocabulary, differences

fn inspection(kind: InspectionKind, result: Option<Outcome>) -> NewInspection {
    NewInspection {
        date: d(2023, 8, 31),
        category: CategoryCode::parse("TXM").expect("code"),
        serial: SerialNumber::parse("T-1").expect("serial"),
        model: None,
        manufacturer: None,
        owner: None,
        kind,
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

fn taximeter() -> Category {
    seed_categories()
        .into_iter()
        .find(|c| c.code.as_str() == "TXM")
        .expect("seeded")
}

#[test]
fn only_a_passed_verification_gets_a_derived_valid_until() {
    let derived = |kind, result| {
        let mut i = inspection(kind, result);
        i.derive_valid_until(&taximeter());
        i.valid_until
    };
    use InspectionKind::*;
    assert_eq!(
        derived(Verification, Some(Outcome::Pass)),
        Some(d(2025, 2, 28))
    );
    assert_eq!(derived(Verification, None), None);
    assert_eq!(derived(Verification, Some(Outcome::Fail)), None);
    assert_eq!(derived(Calibration, Some(Outcome::Pass)), None);
    assert_eq!(derived(Test, Some(Outcome::Pass)), None);
    // A calibration keeps the valid-until its log gives.
    let mut given = inspection(Calibration, None);
    given.valid_until = Some(d(2024, 8, 31));
    given.derive_valid_until(&taximeter());
    assert_eq!(given.valid_until, Some(d(2024, 8, 31)));
    // No cycle in force on the date: no valid-until.
    let mut early = inspection(Verification, Some(Outcome::Pass));
    early.date = d(1999, 12, 31);
    early.derive_valid_until(&taximeter());
    assert_eq!(early.valid_until, None);
}

#[test]
fn valid_until_clamps_the_day_to_the_month() {
    assert_eq!(add_months(d(2024, 2, 29), 12), Some(d(2025, 2, 28)));
    assert_eq!(add_months(d(2024, 2, 29), 48), Some(d(2028, 2, 29)));
    assert_eq!(add_months(d(2023, 5, 31), 1), Some(d(2023, 6, 30)));
    assert_eq!(add_months(d(2023, 5, 31), 0), Some(d(2023, 5, 31)));
    assert_eq!(add_months(NaiveDate::MAX, 1), None);
}

#[test]
fn every_recorded_value_of_an_inspection_is_compared() {
    let a = inspection(InspectionKind::Verification, Some(Outcome::Pass));
    let mut b = a.clone();
    b.verification_type = Some(VerificationType::Periodic);
    b.procedure = Some("ĐLVN 39".into());
    b.result = Some(Outcome::Fail);
    b.error_percent = Some(Decimal::new(5, 1));
    b.certificate_no = Some("GCN".into());
    b.stamp_no = Some("T".into());
    b.valid_until = Some(d(2024, 1, 1));
    b.technician = "Bình".into();
    b.checked_by = Some("Chi".into());
    b.notes = Some("x".into());
    b.model = Some("M".into());
    b.manufacturer = Some("EMIC".into());
    assert_eq!(
        a.differing_fields(&b),
        [
            "verification_type",
            "procedure",
            "result",
            "error_percent",
            "certificate_no",
            "stamp_no",
            "valid_until",
            "technician",
            "checked_by",
            "notes"
        ]
    );
    assert!(a.differing_fields(&a.clone()).is_empty());
}

#[test]
fn vocabulary_words_and_their_canonical_names() {
    assert_eq!(
        InspectionKind::from_word("KĐ"),
        Some(InspectionKind::Verification)
    );
    assert_eq!(InspectionKind::from_word("tn"), Some(InspectionKind::Test));
    assert_eq!(InspectionKind::from_word(""), None);
    assert_eq!(InspectionKind::from_word(" - "), None);
    assert_eq!(Outcome::from_word("KĐạt"), Some(Outcome::Fail));
    assert_eq!(
        VerificationType::from_word("Lần đầu"),
        Some(VerificationType::Initial)
    );
    assert_eq!(
        Outcome::accepted(),
        "pass (Đạt, passed); fail (Không đạt, failed, KĐạt)"
    );
    let err = "maybe".parse::<Outcome>().expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "is not one of: pass (Đạt, passed); fail (Không đạt, failed, KĐạt)"
    );
    assert_eq!(InspectionKind::Calibration.as_str(), "calibration");
    assert_eq!(VerificationType::AfterRepair.to_string(), "after_repair");
    assert_eq!(Outcome::Pass.to_string(), "pass");
    assert_eq!(
        serde_json::to_string(&EarthingMethod::FallOfPotential).expect("json"),
        "\"fall_of_potential\""
    );
    assert_eq!(
        serde_json::from_str::<EarthingSystem>("\"Chống sét\"").expect("json"),
        EarthingSystem::LightningProtection
    );
    assert!(serde_json::from_str::<EarthingSystem>("\"sấm\"").is_err());
    assert_eq!(EarthingSystem::Other.as_str(), "other");
    assert_eq!(EarthingMethod::TwoPole.to_string(), "two_pole");
}

// ---------------------------------------------------------------------------------------
// Earthing

#[test]
fn default_limits_and_the_verdict() {
    assert_eq!(
        EarthingSystem::LightningProtection
            .default_limit()
            .to_string(),
        "10"
    );
    assert_eq!(
        EarthingSystem::ElectricalSafety.default_limit().to_string(),
        "4"
    );
    assert_eq!(EarthingSystem::Other.default_limit().to_string(), "4");
    let ohms = |s: &str| Ohms::parse(s).expect("ohms");
    assert_eq!(verdict(ohms("3.99"), ohms("4")), Outcome::Pass);
    assert_eq!(verdict(ohms("4.00"), ohms("4")), Outcome::Pass);
    assert_eq!(verdict(ohms("4.001"), ohms("4")), Outcome::Fail);
}

#[test]
fn resistances_are_zero_or_more_as_written() {
    assert_eq!(Ohms::parse("0").map(|o| o.value()), Ok(Decimal::ZERO));
    assert!(Ohms::parse("-0").is_ok(), "minus zero is zero");
    assert_eq!(Ohms::parse("-0,01"), Err(OhmsError::Negative));
    assert_eq!(
        Ohms::parse(" 12,40 ").map(|o| o.to_string()),
        Ok("12.40".into())
    );
    assert_eq!(
        Ohms::parse("x"),
        Err(OhmsError::Decimal(DecimalError::NotANumber))
    );
    assert_eq!(
        Ohms::new(Decimal::new(-1, 0)).map(Ohms::value),
        Err(OhmsError::Negative)
    );
}

#[test]
fn point_codes_keep_what_was_written() {
    let code = PointCode::parse("  Đ 01 ").expect("code");
    assert_eq!(code.written(), "Đ 01");
    assert_eq!(code.key(), "đ01");
    assert_eq!(PointCode::parse(" "), Err(IdentifierError::Empty));
    let key = PointKey::new("  Trường   A ", &code);
    assert_eq!(
        (key.site_key.as_str(), key.code_key.as_str()),
        ("trường a", "đ01")
    );
}

fn earthing_test() -> NewEarthingTest {
    NewEarthingTest {
        date: d(2023, 9, 15),
        site: "A".into(),
        point: PointCode::parse("Đ1").expect("code"),
        system: None,
        resistance: Ohms::parse("2.5").expect("ohms"),
        limit: None,
        method: None,
        tester_serial: None,
        weather: None,
        technician: "An".into(),
        notes: None,
    }
}

#[test]
fn every_recorded_value_of_an_earthing_test_is_compared() {
    let a = earthing_test();
    let mut same = a.clone();
    same.resistance = Ohms::parse("2,50").expect("ohms");
    assert!(a.differing_fields(&same).is_empty(), "2.5 equals 2.50");
    let mut b = a.clone();
    b.resistance = Ohms::parse("2.6").expect("ohms");
    b.limit = Some(Ohms::parse("4").expect("ohms"));
    b.system = Some(EarthingSystem::ElectricalSafety);
    b.method = Some(EarthingMethod::Clamp);
    b.tester_serial = Some("K-1".into());
    b.weather = Some("nắng".into());
    b.technician = "Bình".into();
    b.notes = Some("x".into());
    assert_eq!(
        a.differing_fields(&b),
        [
            "resistance_ohm",
            "limit_ohm",
            "system",
            "method",
            "tester_serial",
            "weather",
            "technician",
            "notes"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Instruments, identifiers, text

#[test]
fn identifiers_are_at_most_128_characters() {
    let longest = "Đ".repeat(MAX_IDENTIFIER_LEN);
    assert!(SerialNumber::parse(&longest).is_ok());
    assert_eq!(
        SerialNumber::parse(&format!("{longest}1")),
        Err(IdentifierError::TooLong { max: 128 })
    );
    let serial = SerialNumber::from_written("NH 222671");
    assert_eq!(
        (serial.written(), serial.key(), serial.to_string().as_str()),
        ("NH 222671", "nh222671", "NH 222671")
    );
}

#[test]
fn instrument_keys_without_a_manufacturer() {
    let cat = CategoryCode::parse("DHN").expect("code");
    let s = SerialNumber::parse("23B007048").expect("serial");
    let none = metrotrack_core::InstrumentKey::new(&cat, None, &s);
    assert_eq!(none.manufacturer_key, "");
    assert_eq!(none.serial_key, "23b007048");
    assert_eq!(none.category, cat);
    let zenner = metrotrack_core::InstrumentKey::new(&cat, Some(" Zenner "), &s);
    assert_eq!(zenner.manufacturer_key, "zenner");
    assert_ne!(zenner, none);
}

#[test]
fn text_keys() {
    assert_eq!(text::clean_opt("  "), None);
    assert_eq!(text::clean_opt(" a "), Some("a".into()));
    assert_eq!(text::name_key("  Công ty\t ABC  "), "công ty abc");
    assert_eq!(text::name_key(""), "");
    assert_eq!(text::shorten("abcd", 4), "abcd");
    assert_eq!(text::shorten("abcde", 4), "abc…");
    assert_eq!(text::shorten("ĐĐĐĐĐ", 1), "…");
    assert_eq!(text::identity_key("Nguye\u{302}\u{303}n 1"), "nguyễn1");
}

// ---------------------------------------------------------------------------------------
// Due list

#[test]
fn days_left_count_down_to_valid_until_and_past_it() {
    let until = d(2023, 10, 14);
    assert_eq!(DueEntry::days_left(until, d(2023, 10, 4)), (10, false));
    assert_eq!(DueEntry::days_left(until, until), (0, false));
    assert_eq!(DueEntry::days_left(until, d(2023, 10, 15)), (-1, true));
    let entry = DueEntry {
        instrument_id: 7,
        category: CategoryCode::parse("TXM").expect("code"),
        serial_number: "T-1".into(),
        manufacturer: None,
        owner: None,
        last_inspected_on: d(2022, 4, 14),
        valid_until: until,
        days_left: 10,
        overdue: false,
    };
    assert_eq!(
        DueAfter::from(&entry),
        DueAfter {
            valid_until: until,
            serial_number: "T-1".into(),
            instrument_id: 7
        }
    );
}

// ---------------------------------------------------------------------------------------
// Import batches and problems

#[test]
fn log_kinds_and_modes_read_and_write_their_names() {
    assert_eq!(" Earthing ".parse::<LogKind>(), Ok(LogKind::Earthing));
    assert_eq!("INSPECTIONS".parse::<LogKind>(), Ok(LogKind::Inspections));
    let err = "tests".parse::<LogKind>().expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "\"tests\" is not valid; use inspections or earthing"
    );
    assert_eq!(LogKind::Inspections.to_string(), "inspections");
    assert_eq!(LogKind::Earthing.to_string(), "earthing");
    for (written, mode) in [
        ("strict", ImportMode::Strict),
        ("Partial", ImportMode::Partial),
        ("dry-run", ImportMode::DryRun),
        ("dry_run", ImportMode::DryRun),
    ] {
        assert_eq!(written.parse::<ImportMode>(), Ok(mode), "{written}");
    }
    assert_eq!(ImportMode::DryRun.to_string(), "dry_run");
    assert_eq!(ImportMode::Partial.to_string(), "partial");
    assert_eq!(ImportMode::Strict.to_string(), "strict");
    assert_eq!(ImportMode::default(), ImportMode::Strict);
    let err = "lenient".parse::<ImportMode>().expect_err("unknown");
    assert!(
        err.to_string().contains("strict, partial or dry_run"),
        "{err}"
    );
    assert_eq!(
        serde_json::to_string(&BatchOutcome::AlreadyImported).expect("json"),
        "\"already_imported\""
    );
}

#[test]
fn problems_say_where_what_and_why() {
    let unknown = || Msg::ValueUnknown {
        written: "tốt".into(),
        accepted: "pass".into(),
    };
    let long = "x".repeat(100);
    let p = Problem::new(3, Some("Kết quả"), Some(&long), unknown());
    assert_eq!(p.value.as_ref().map(|v| v.chars().count()), Some(80));
    let p = Problem::new(3, Some("Kết quả"), Some("tốt"), unknown());
    assert_eq!(
        p.to_string(),
        "line 3, column \"Kết quả\", value \"tốt\": tốt is not one of: pass"
    );
    assert_eq!(p.describe(Lang::En), p.to_string());
    assert_eq!(
        p.describe(Lang::Vi),
        "dòng 3, cột \"Kết quả\", giá trị \"tốt\": tốt không thuộc các giá trị được chấp nhận: pass"
    );
    assert_eq!(
        Problem::new(1, None, None, Msg::RowUnreadable {}).to_string(),
        "line 1: the row could not be read"
    );
    let file = Problem::file(Msg::FileEmpty {});
    assert_eq!(
        (file.line, file.column.as_deref(), file.value.as_deref()),
        (0, None, None)
    );
    assert_eq!(file.to_string(), "file: the file is empty: no header row");
    assert_eq!(
        file.describe(Lang::Vi),
        "tệp: tệp trống: không có dòng tiêu đề"
    );
}

#[test]
fn columns_are_named_as_the_file_writes_them() {
    let summary = FileSummary {
        columns: vec![
            ("date".into(), "Ngày kiểm định".into()),
            ("result".into(), "Kết quả".into()),
        ],
        ..FileSummary::default()
    };
    let mut problems = vec![
        Problem::new(2, Some("result"), None, Msg::ResultRequired {}),
        Problem::new(2, Some("date"), None, Msg::RowUnreadable {}),
        Problem::new(2, Some("notes"), None, Msg::RowUnreadable {}),
    ];
    summary.name_columns_as_written(&mut problems);
    let columns: Vec<_> = problems.iter().map(|p| p.column.as_deref()).collect();
    assert_eq!(
        columns,
        [Some("Kết quả"), Some("Ngày kiểm định"), Some("notes")]
    );
}

// ---------------------------------------------------------------------------------------
// The report

fn october() -> PeriodAchievement {
    let dhn = CategoryCode::parse("DHN").ok();
    let ct1p = CategoryCode::parse("CT1P").ok();
    PeriodAchievement {
        period: p("2023-10").resolve(Scheme::Decree09),
        metrics: vec![
            Achievement::new(Metric::InstrumentsInspected, None, 467, Some(402)),
            Achievement::new(Metric::Inspections, None, 497, Some(500)),
            Achievement::new(Metric::EarthingPointsMeasured, None, 13, Some(10)),
            Achievement::new(Metric::Inspections, dhn, 120, Some(100)),
            Achievement::new(Metric::InstrumentsInspected, ct1p, 170, None),
        ],
    }
}

#[test]
fn the_report_in_vietnamese_word_for_word() {
    assert_eq!(
        render_text(&october(), Lang::Vi),
        "Kỳ báo cáo 2023-10 (từ ngày 15/09/2023 đến ngày 14/10/2023):\n\
         Kiểm định, hiệu chuẩn theo yêu cầu của khách hàng, kiểm định được 467 PTĐ các loại \
         (Đạt 116% so với kế hoạch đề ra); Đo điện trở nối đất hệ thống chống sét tại 13 điểm đo \
         (đạt 130% kế hoạch).\n\
         Tổng số lượt kiểm định, hiệu chuẩn, thử nghiệm: 497, đạt 99% kế hoạch.\n\
         - DHN: 120 lượt (đạt 120% kế hoạch)\n\
         - CT1P: 170 PTĐ (chưa có kế hoạch)\n"
    );
}

#[test]
fn the_report_in_english_word_for_word() {
    assert_eq!(
        render_text(&october(), Lang::En),
        "Reporting period 2023-10 (15/09/2023 to 14/10/2023):\n\
         Verified and calibrated 467 measuring instruments of all kinds at customers' request \
         (116% of plan); measured the earthing resistance of lightning-protection systems at 13 \
         points (130% of plan).\n\
         Inspections (verifications, calibrations, tests) in all: 497, 99% of plan.\n\
         - DHN: 120 inspections (120% of plan)\n\
         - CT1P: 170 instruments (no plan set)\n"
    );
}

#[test]
fn an_empty_month_reports_zeros_without_plans() {
    let empty = PeriodAchievement {
        period: p("2023-10").resolve(Scheme::Decree09),
        metrics: Vec::new(),
    };
    let vi = render_text(&empty, Lang::Vi);
    assert!(
        vi.contains("được 0 PTĐ các loại (chưa có kế hoạch); Đo điện trở nối đất hệ thống chống sét tại 0 điểm đo (chưa có kế hoạch)."),
        "{vi}"
    );
    assert!(
        vi.ends_with("Tổng số lượt kiểm định, hiệu chuẩn, thử nghiệm: 0.\n"),
        "{vi}"
    );
    let en = render_text(&empty, Lang::En);
    assert!(
        en.ends_with("Inspections (verifications, calibrations, tests) in all: 0.\n"),
        "{en}"
    );
    assert_eq!(" EN ".parse::<Lang>(), Ok(Lang::En));
    assert_eq!("vi".parse::<Lang>(), Ok(Lang::Vi));
    assert!("fr".parse::<Lang>().is_err());
    assert_eq!(Lang::default(), Lang::Vi);
}

// ---------------------------------------------------------------------------------------
// Decimals of any sign and scale

#[test]
fn only_digits_a_sign_and_one_separator_make_a_number() {
    // The decimal library would read some of these; a log's cell must not.
    for bad in [
        "1_000", "_1", "1 000", ".", ",", "+", "0x10", "1e3", "--1", "+-1", "١٢",
    ] {
        assert!(
            matches!(
                parse_decimal(bad),
                Err(DecimalError::NotANumber | DecimalError::Ambiguous)
            ),
            "{bad}: {:?}",
            parse_decimal(bad)
        );
    }
    assert_eq!(parse_decimal("1_000"), Err(DecimalError::NotANumber));
    assert_eq!(parse_decimal("."), Err(DecimalError::NotANumber));
    assert_eq!(parse_decimal("  "), Err(DecimalError::Empty));
    assert_eq!(parse_decimal(".5").map(|d| d.to_string()), Ok("0.5".into()));
    assert_eq!(parse_decimal("5,").map(|d| d.to_string()), Ok("5".into()));
}

proptest! {
    #[test]
    fn decimals_of_any_sign_and_scale_round_trip(
        int in 0u64..10_000_000,
        frac in 0u64..1_000_000,
        scale in 0u32..=6,
        sign in prop::sample::select(vec!["", "-", "+"]),
        comma: bool,
        pad in prop::sample::select(vec!["", " ", "\t"]),
    ) {
        let frac = frac % 10u64.pow(scale);
        let digits = if scale == 0 {
            int.to_string()
        } else {
            let sep = if comma { ',' } else { '.' };
            format!("{int}{sep}{frac:0width$}", width = scale as usize)
        };
        let written = format!("{pad}{sign}{digits}{pad}");
        let parsed = parse_decimal(&written).expect("a written decimal");
        // The value, its scale as written, and its sign.
        let mantissa = i128::from(int) * i128::from(10u64.pow(scale)) + i128::from(frac);
        let want = if sign == "-" { -mantissa } else { mantissa };
        prop_assert_eq!(parsed.mantissa(), want);
        prop_assert_eq!(parsed.scale(), scale);
        if mantissa != 0 {
            let shown = format!("{}{}", if sign == "-" { "-" } else { "" }, digits.replace(',', "."));
            prop_assert_eq!(parsed.to_string(), shown);
        }
        // A resistance keeps the same digits, or is refused as negative.
        match Ohms::parse(&written) {
            Ok(ohms) => prop_assert!(sign != "-" || mantissa == 0, "{ohms}"),
            Err(e) => prop_assert_eq!((e, sign, mantissa == 0), (OhmsError::Negative, "-", false)),
        }
    }

    #[test]
    fn two_separators_are_always_ambiguous(a in 0u32..1000, b in 0u32..1000, c in 0u32..1000, s1: bool, s2: bool) {
        let sep = |comma| if comma { ',' } else { '.' };
        let written = format!("{a}{}{b}{}{c}", sep(s1), sep(s2));
        prop_assert_eq!(parse_decimal(&written), Err(DecimalError::Ambiguous));
    }
}
