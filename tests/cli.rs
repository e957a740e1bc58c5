//! End-to-end: the real `metrotrack` binary on a real SQLite file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A fresh database in its own temporary directory, and the binary run against it.
struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("lab.db").display())
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_metrotrack"))
            .args(args)
            .env("METROTRACK_DATABASE_URL", self.url())
            .env("METROTRACK_USER", "tester")
            .env_remove("METROTRACK_SCHEME")
            .current_dir(self.dir.path())
            .output()
            .expect("run metrotrack")
    }

    /// Runs and insists on success, returning stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "metrotrack {args:?} failed ({:?}):\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    fn import(&self, kind: &str, file: &Path) -> Value {
        let file = file.to_str().expect("utf-8 path");
        let stdout = self.ok(&["import", kind, file, "--format", "json"]);
        serde_json::from_str(stdout.trim()).expect("batch JSON")
    }

    fn achievement(&self, period: &str, scheme: &str) -> Value {
        let stdout = self.ok(&[
            "report", "--period", period, "--scheme", scheme, "--format", "json",
        ]);
        serde_json::from_str(&stdout).expect("achievement JSON")
    }

    /// `actual` of a lab-wide metric.
    fn actual(&self, period: &str, scheme: &str, metric: &str) -> u64 {
        metric_of(&self.achievement(period, scheme), metric)["actual"]
            .as_u64()
            .expect("actual")
    }
}

fn metric_of<'a>(achievement: &'a Value, metric: &str) -> &'a Value {
    achievement["metrics"]
        .as_array()
        .expect("metrics array")
        .iter()
        .find(|m| m["metric"] == metric && m["category"].is_null())
        .unwrap_or_else(|| panic!("no {metric} in {achievement}"))
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

const OCTOBER_INSTRUMENTS: u64 = 467;
const OCTOBER_INSPECTIONS: u64 = 497;
const OCTOBER_POINTS: u64 = 13;

#[test]
fn excel_shaped_and_canonical_logs_hold_the_same_records() {
    let lab = Lab::new();
    let excel = lab.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    assert_eq!(excel["outcome"], "stored", "{excel}");
    assert_eq!(excel["rejected"], 0, "{excel}");
    assert_eq!(excel["inserted"], excel["rows"]);
    let warnings = excel["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w["column"] == "STT"),
        "the STT column is reported as ignored: {excel}"
    );
    let earthing = lab.import("earthing", &fixture("demo/earthing-2023-10.excel-vi.csv"));
    assert_eq!(earthing["outcome"], "stored", "{earthing}");
    let before = lab.achievement("2023-10", "decree09");
    assert_eq!(
        metric_of(&before, "instruments_inspected")["actual"],
        OCTOBER_INSTRUMENTS
    );
    assert_eq!(
        metric_of(&before, "inspections")["actual"],
        OCTOBER_INSPECTIONS
    );
    assert_eq!(
        metric_of(&before, "earthing_points_measured")["actual"],
        OCTOBER_POINTS
    );

    let canonical = lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    assert_eq!(
        canonical["outcome"], "stored",
        "a different file is a new batch: {canonical}"
    );
    assert_eq!(canonical["inserted"], 0, "{canonical}");
    assert_eq!(canonical["rejected"], 0, "{canonical}");
    assert_eq!(canonical["duplicates"], excel["rows"], "{canonical}");
    let canonical_earthing = lab.import("earthing", &fixture("demo/earthing-2023-10.csv"));
    assert_eq!(canonical_earthing["inserted"], 0, "{canonical_earthing}");
    assert_eq!(canonical_earthing["duplicates"], earthing["rows"]);

    assert_eq!(
        lab.achievement("2023-10", "decree09"),
        before,
        "no figure moved"
    );
}

#[test]
fn the_same_file_twice_is_one_batch() {
    let lab = Lab::new();
    let file = fixture("demo/earthing-2023-10.csv");
    let first = lab.import("earthing", &file);
    let second = lab.import("earthing", &file);
    assert_eq!(second["outcome"], "already_imported", "{second}");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["sha256"], first["sha256"]);
    assert_eq!(
        lab.actual("2023-10", "decree09", "earthing_points_measured"),
        OCTOBER_POINTS
    );
}

#[test]
fn period_boundaries_under_both_schemes() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("edge/boundaries.csv"));
    // 14/09/2023 is in Decree-09 month 2023-09; 15/10/2023 in 2023-11.
    assert_eq!(lab.actual("2023-09", "decree09", "inspections"), 1);
    assert_eq!(lab.actual("2023-10", "decree09", "inspections"), 0);
    assert_eq!(lab.actual("2023-11", "decree09", "inspections"), 1);
    // Under the calendar scheme both fall in their calendar months.
    assert_eq!(lab.actual("2023-09", "calendar", "inspections"), 1);
    assert_eq!(lab.actual("2023-10", "calendar", "inspections"), 1);
    assert_eq!(lab.actual("2023-11", "calendar", "inspections"), 0);
}

#[test]
fn distinct_instruments_and_points_count_once() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("edge/twice.csv"));
    lab.import("earthing", &fixture("edge/earthing-twice.csv"));
    assert_eq!(
        lab.actual("2023-10", "decree09", "instruments_inspected"),
        2
    );
    assert_eq!(lab.actual("2023-10", "decree09", "inspections"), 3);
    assert_eq!(
        lab.actual("2023-10", "decree09", "earthing_points_measured"),
        1
    );
}

#[test]
fn report_json_has_the_spec_shape() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    lab.ok(&[
        "plan",
        "set",
        "--period",
        "2023-10",
        "--metric",
        "instruments_inspected",
        "--target",
        "402",
    ]);
    let report = lab.achievement("2023-10", "decree09");
    assert_eq!(
        report["period"],
        serde_json::json!({"label": "2023-10", "scheme": "decree09", "start": "2023-09-15", "end": "2023-10-14"})
    );
    assert_eq!(
        *metric_of(&report, "instruments_inspected"),
        serde_json::json!({"metric": "instruments_inspected", "category": null, "actual": 467,
            "target": 402, "ratio": 1.1617, "percent": 116, "status": "achieved"})
    );
    let points = metric_of(&report, "earthing_points_measured");
    assert_eq!(points["percent"], Value::Null);
    assert_eq!(points["status"], "no_target");
}

#[test]
fn vietnamese_report_reproduces_the_department_sentence() {
    let lab = Lab::new();
    lab.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    lab.import("earthing", &fixture("demo/earthing-2023-10.excel-vi.csv"));
    lab.ok(&[
        "plan",
        "set",
        "--period",
        "2023-10",
        "--metric",
        "instruments_inspected",
        "--target",
        "402",
    ]);
    lab.ok(&[
        "plan",
        "set",
        "--period",
        "2023-10",
        "--metric",
        "earthing_points_measured",
        "--target",
        "10",
    ]);
    let text = lab.ok(&["report", "--period", "2023-10", "--lang", "vi"]);
    assert!(
        text.contains("từ ngày 15/09/2023 đến ngày 14/10/2023"),
        "{text}"
    );
    assert!(
        text.contains("kiểm định được 467 PTĐ các loại (Đạt 116% so với kế hoạch đề ra)"),
        "{text}"
    );
    assert!(
        text.contains("Đo điện trở nối đất hệ thống chống sét tại 13 điểm đo (đạt 130% kế hoạch)"),
        "{text}"
    );
    let english = lab.ok(&["report", "--period", "2023-10", "--lang", "en"]);
    assert!(english.contains("467 measuring instruments"), "{english}");
    assert!(english.contains("(116% of plan)"), "{english}");

    let plans = lab.ok(&["plan", "list", "--year", "2023"]);
    assert!(
        plans.contains("instruments_inspected") && plans.contains("402"),
        "{plans}"
    );
}

#[test]
fn strict_mode_refuses_a_log_with_one_impossible_date() {
    let lab = Lab::new();
    let file = fixture("bad/impossible-date.csv");
    let out = lab.run(&["import", "inspections", file.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1), "strict refusal exits 1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("REFUSED"), "{stdout}");
    assert!(stdout.contains("line 3"), "names the line: {stdout}");
    assert!(
        stdout.contains("Ngày kiểm định"),
        "names the column: {stdout}"
    );
    assert!(stdout.contains("31/02/2023"), "names the value: {stdout}");
    // Nothing was stored: not the good rows, not a batch.
    assert_eq!(lab.actual("2023", "calendar", "inspections"), 0);
    assert_eq!(lab.actual("2024", "calendar", "inspections"), 0);
    assert_eq!(lab.actual("2022", "calendar", "inspections"), 0);

    // Partial mode stores the good rows and still names the bad one; exit 0.
    let out = lab.run(&[
        "import",
        "inspections",
        file.to_str().expect("path"),
        "--mode",
        "partial",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let batch: Value = serde_json::from_slice(&out.stdout).expect("batch JSON");
    assert_eq!(batch["rejected"], 1, "{batch}");
    assert_eq!(batch["problems"][0]["line"], 3, "{batch}");
    assert!(batch["inserted"].as_u64().expect("inserted") > 0, "{batch}");
}

#[test]
fn dry_run_stores_nothing_and_exits_non_zero_on_problems() {
    let lab = Lab::new();
    let good = fixture("demo/earthing-2023-10.csv");
    let out = lab.run(&[
        "import",
        "earthing",
        good.to_str().expect("path"),
        "--dry-run",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let batch: Value = serde_json::from_slice(&out.stdout).expect("batch JSON");
    assert_eq!(batch["outcome"], "dry_run");
    assert_eq!(batch["id"], Value::Null);
    assert_eq!(
        lab.actual("2023-10", "decree09", "earthing_points_measured"),
        0
    );

    let bad = fixture("bad/month-first.csv");
    let out = lab.run(&[
        "import",
        "inspections",
        bad.to_str().expect("path"),
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("line 2") && stdout.contains("09/25/2023"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let lab = Lab::new();
    assert_eq!(lab.run(&["import", "inspections"]).status.code(), Some(2));
    assert_eq!(
        lab.run(&["import", "inspections", "no-such-file.csv"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        lab.run(&["report", "--period", "2023-13"]).status.code(),
        Some(2)
    );
    assert_eq!(
        lab.run(&["import", "gauges", "x.csv"]).status.code(),
        Some(2)
    );
}

#[test]
fn unknown_category_names_the_known_ones() {
    let lab = Lab::new();
    let out = lab.run(&[
        "import",
        "inspections",
        fixture("bad/unknown-category.csv").to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CT1P") && stdout.contains("TXM"),
        "lists the known codes: {stdout}"
    );
}

#[test]
fn due_list_shows_expiring_and_overdue_instruments() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    // Twelve-month categories verified in the period expire around October 2024.
    let due: Value = serde_json::from_str(&lab.ok(&[
        "due",
        "--as-of",
        "2024-10-01",
        "--within",
        "30",
        "--format",
        "json",
    ]))
    .expect("due JSON");
    let entries = due.as_array().expect("array");
    assert!(!entries.is_empty(), "some instruments are due");
    assert!(
        entries.iter().any(|e| e["overdue"] == true),
        "some are overdue"
    );
    assert!(
        entries.iter().any(|e| e["overdue"] == false),
        "some are due soon"
    );
    for e in entries {
        assert!(e["days_left"].as_i64().expect("days_left") <= 30, "{e}");
    }
    let text = lab.ok(&["due", "--as-of", "2024-10-01", "--within", "30"]);
    assert!(text.contains("OVERDUE"), "{text}");
}

#[test]
fn demo_loads_the_month_and_prints_the_sentence() {
    let lab = Lab::new();
    let demo_url = format!("sqlite://{}", lab.dir.path().join("demo.db").display());
    let text = lab.ok(&["demo", "--database-url", &demo_url]);
    assert!(
        text.contains("467 PTĐ các loại (Đạt 116% so với kế hoạch đề ra)"),
        "{text}"
    );
    assert!(
        text.contains("tại 13 điểm đo (đạt 130% kế hoạch)"),
        "{text}"
    );
    // Running it again changes nothing.
    let again = lab.ok(&["demo", "--database-url", &demo_url]);
    assert!(again.contains("already loaded"), "{again}");
    assert!(again.contains("467 PTĐ các loại (Đạt 116%"), "{again}");
}
