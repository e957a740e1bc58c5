//! End-to-end: the real `metrotrack` binary on a real SQLite file, and (module
//! `postgres`) on a throwaway PostgreSQL database.

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
    // The commands it suggests name the database it loaded.
    assert!(
        text.contains(&format!("metrotrack --database-url {demo_url} report")),
        "{text}"
    );
    // Running it again changes nothing.
    let again = lab.ok(&["demo", "--database-url", &demo_url]);
    assert!(again.contains("already loaded"), "{again}");
    assert!(again.contains("467 PTĐ các loại (Đạt 116%"), "{again}");
}

// =======================================================================================
// Real-world lab files (issue 5): the month in five shapes, the bad-file corpus, partial
// mode, bounds, encodings and voiding. Owned by the import work; append elsewhere.
// =======================================================================================

/// The October month in every shape `fixtures/` holds: (inspections, earthing).
const SHAPES: [(&str, &str); 5] = [
    (
        "demo/inspections-2023-10.excel-vi.csv",
        "demo/earthing-2023-10.excel-vi.csv",
    ),
    (
        "demo/inspections-2023-10.unicode-text.txt",
        "demo/earthing-2023-10.unicode-text.txt",
    ),
    (
        "demo/inspections-2023-10.windows-1258.csv",
        "demo/earthing-2023-10.windows-1258.csv",
    ),
    (
        "demo/inspections-2023-10.nfd.csv",
        "demo/earthing-2023-10.nfd.csv",
    ),
    ("demo/inspections-2023-10.csv", "demo/earthing-2023-10.csv"),
];

impl Lab {
    /// Runs with extra environment variables.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_metrotrack"));
        command
            .args(args)
            .env("METROTRACK_DATABASE_URL", self.url())
            .env("METROTRACK_USER", "tester")
            .env_remove("METROTRACK_SCHEME")
            .current_dir(self.dir.path());
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().expect("run metrotrack")
    }

    /// `import KIND FILE --format json` with extra arguments: exit code and the batch.
    fn import_with(&self, kind: &str, file: &Path, extra: &[&str]) -> (Option<i32>, Value) {
        let file = file.to_str().expect("utf-8 path");
        let mut args = vec!["import", kind, file, "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let batch = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "no batch JSON ({e}) from {args:?}: {}\n{stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (out.status.code(), batch)
    }

    /// The lab's batches, as `batch list --format json` prints them.
    fn batches(&self) -> Vec<Value> {
        let out = self.ok(&["batch", "list", "--format", "json"]);
        serde_json::from_str::<Value>(&out)
            .expect("batch list JSON")
            .as_array()
            .expect("array")
            .clone()
    }

    /// The three October figures (instruments, inspections, points).
    fn october(&self) -> (u64, u64, u64) {
        let a = self.achievement("2023-10", "decree09");
        let actual = |m: &str| metric_of(&a, m)["actual"].as_u64().expect("actual");
        (
            actual("instruments_inspected"),
            actual("inspections"),
            actual("earthing_points_measured"),
        )
    }

    /// Nothing stored at all: no batch, no record in any year.
    fn assert_empty(&self) {
        assert_eq!(self.batches(), Vec::<Value>::new());
        for year in ["2022", "2023", "2024"] {
            assert_eq!(self.actual(year, "calendar", "inspections"), 0, "{year}");
            assert_eq!(
                self.actual(year, "calendar", "earthing_points_measured"),
                0,
                "{year}"
            );
        }
    }
}

const OCTOBER: (u64, u64, u64) = (OCTOBER_INSTRUMENTS, OCTOBER_INSPECTIONS, OCTOBER_POINTS);

#[test]
fn each_shape_of_the_month_alone_gives_the_october_figures() {
    for (inspections, earthing) in SHAPES {
        let lab = Lab::new();
        let (code, batch) = lab.import_with("inspections", &fixture(inspections), &[]);
        assert_eq!(code, Some(0), "{inspections}: {batch}");
        assert_eq!(batch["outcome"], "stored", "{inspections}: {batch}");
        assert_eq!(batch["rejected"], 0, "{inspections}: {batch}");
        assert_eq!(batch["inserted"], 507, "{inspections}: {batch}");
        let (code, batch) = lab.import_with("earthing", &fixture(earthing), &[]);
        assert_eq!(code, Some(0), "{earthing}: {batch}");
        assert_eq!(batch["inserted"], 18, "{earthing}: {batch}");
        assert_eq!(lab.october(), OCTOBER, "{inspections} + {earthing}");
    }
}

#[test]
fn all_five_shapes_one_after_another_store_each_record_once() {
    let lab = Lab::new();
    for (i, (inspections, earthing)) in SHAPES.into_iter().enumerate() {
        for (kind, file, rows) in [
            ("inspections", inspections, 507),
            ("earthing", earthing, 18),
        ] {
            let (code, batch) = lab.import_with(kind, &fixture(file), &[]);
            assert_eq!(code, Some(0), "{file}: {batch}");
            assert_eq!(batch["outcome"], "stored", "{file}: {batch}");
            assert_eq!(batch["rows"], rows, "{file}: {batch}");
            assert_eq!(batch["rejected"], 0, "{file}: {batch}");
            let (inserted, duplicates) = if i == 0 { (rows, 0) } else { (0, rows) };
            assert_eq!(batch["inserted"], inserted, "{file}: {batch}");
            assert_eq!(batch["duplicates"], duplicates, "{file}: {batch}");
        }
        assert_eq!(lab.october(), OCTOBER, "after {inspections}");
    }
    assert_eq!(lab.batches().len(), 10, "each file is its own batch");
}

/// One line of `fixtures/bad/EXPECTED.tsv`.
#[derive(Debug)]
struct Expected {
    file: PathBuf,
    kind: String,
    line: u64,
    column: Option<String>,
    message: String,
}

fn bad_corpus() -> Vec<Expected> {
    let manifest = std::fs::read_to_string(fixture("bad/EXPECTED.tsv")).expect("manifest");
    manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "{l:?}");
            Expected {
                file: fixture(&format!("bad/{}", f[0])),
                kind: f[1].to_owned(),
                line: f[2].parse().expect("line"),
                column: (f[3] != "-").then(|| f[3].to_owned()),
                message: f[4].to_owned(),
            }
        })
        .collect()
}

#[test]
fn every_bad_file_is_refused_with_its_line_and_nothing_is_stored() {
    let lab = Lab::new();
    let mut corpus = bad_corpus();
    assert!(corpus.len() >= 13, "{corpus:?}");
    // Every file in bad/ is in the manifest.
    let listed: Vec<&Path> = corpus.iter().map(|e| e.file.as_path()).collect();
    for entry in std::fs::read_dir(fixture("bad")).expect("bad/") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n != "EXPECTED.tsv") {
            assert!(
                listed.contains(&path.as_path()),
                "{} has no expectation",
                path.display()
            );
        }
    }
    // A 64 MiB field, generated here and never committed: refused at its line by the
    // line bound long before it is held in memory.
    let huge = lab.dir.path().join("huge-field.csv");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&huge).expect("create"));
        f.write_all(
            "Ngày đo;Công trình;Điểm đo;Điện trở (Ω);Người đo;Ghi chú\r\n15/09/2023;A;Đ1;2,5;An;"
                .as_bytes(),
        )
        .expect("write");
        let block = vec![b'x'; 1 << 20];
        for _ in 0..64 {
            f.write_all(&block).expect("write");
        }
        f.write_all(b"\r\n").expect("write");
    }
    corpus.push(Expected {
        file: huge,
        kind: "earthing".into(),
        line: 2,
        column: None,
        message: "the record starting on line 2 is longer than 1 MiB".into(),
    });

    for e in &corpus {
        let name = e.file.file_name().and_then(|n| n.to_str()).expect("name");
        let (code, batch) = lab.import_with(&e.kind, &e.file, &[]);
        assert_eq!(code, Some(1), "{name}: strict refusal exits 1: {batch}");
        assert_eq!(batch["outcome"], "refused", "{name}: {batch}");
        assert_eq!(batch["id"], Value::Null, "{name}: {batch}");
        assert_eq!(batch["inserted"], 0, "{name}: {batch}");
        let problems = batch["problems"].as_array().expect("problems");
        let found = problems.iter().any(|p| {
            p["line"] == e.line
                && p["column"].as_str() == e.column.as_deref()
                && p["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(&e.message))
        });
        assert!(found, "{name}: expected {e:?} among {problems:#?}");
        if e.line == 0 {
            assert!(
                ["empty.csv", "binary-garbage.csv"].contains(&name),
                "{name}: only a whole-file problem may name no line"
            );
        }
        // The human form names the line too.
        let out = lab.run(&["import", &e.kind, e.file.to_str().expect("path")]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("REFUSED"), "{name}: {text}");
        if e.line > 0 {
            assert!(text.contains(&format!("line {}", e.line)), "{name}: {text}");
        }
    }
    lab.assert_empty();
}

#[test]
fn partial_mode_stores_47_of_50_and_names_the_3_bad_lines() {
    let file = fixture("edge/partial-50.csv");
    let bad_lines = |batch: &Value| -> Vec<u64> {
        let mut lines: Vec<u64> = batch["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| p["line"].as_u64().expect("line"))
            .collect();
        lines.dedup();
        lines
    };

    // Dry run first: every problem, nothing stored, exit 1 because it found problems.
    let lab = Lab::new();
    let (code, batch) = lab.import_with("inspections", &file, &["--dry-run"]);
    assert_eq!(code, Some(1), "{batch}");
    assert_eq!(batch["outcome"], "dry_run");
    assert_eq!(bad_lines(&batch), [9, 27, 44], "{batch}");
    lab.assert_empty();
    // A dry run in partial mode says what partial mode would store, and stores nothing.
    let (_, batch) = lab.import_with("inspections", &file, &["--dry-run", "--mode", "partial"]);
    assert_eq!(batch["outcome"], "dry_run", "{batch}");
    lab.assert_empty();

    // Strict refuses it all.
    let (code, batch) = lab.import_with("inspections", &file, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(bad_lines(&batch), [9, 27, 44], "{batch}");
    lab.assert_empty();

    // Partial stores the 47 good rows, names the 3 bad lines, and exits 0.
    let (code, batch) = lab.import_with("inspections", &file, &["--mode", "partial"]);
    assert_eq!(code, Some(0), "{batch}");
    assert_eq!(batch["outcome"], "stored");
    assert_eq!(batch["rows"], 50);
    assert_eq!(batch["inserted"], 47);
    assert_eq!(batch["rejected"], 3);
    assert_eq!(bad_lines(&batch), [9, 27, 44], "{batch}");
    let columns: Vec<&str> = batch["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["column"].as_str())
        .collect();
    assert_eq!(columns, ["date", "result", "error_percent"]);
    assert_eq!(lab.actual("2023-10", "decree09", "inspections"), 47);
    assert_eq!(
        lab.actual("2023-10", "decree09", "instruments_inspected"),
        47
    );
    // The stored batch keeps its problems.
    let shown = lab.ok(&["batch", "show", &batch["id"].to_string()]);
    for line in ["line 9", "line 27", "line 44"] {
        assert!(shown.contains(line), "{shown}");
    }
}

#[test]
fn conflicts_name_the_column_as_the_file_writes_it() {
    // The demo in Excel-vi shape, then the same month in Windows-1258 with one result
    // changed: a conflict with the stored record, under the file's own header.
    let lab = Lab::new();
    lab.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    let text = std::fs::read(fixture("demo/inspections-2023-10.windows-1258.csv")).expect("read");
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    // Line 2 is a passed verification ("Đạt" = D0 61 F2 74 in Windows-1258).
    let pass = b";\xD0a\xF2t;";
    let at = lines[1]
        .windows(pass.len())
        .position(|w| w == pass)
        .expect("a pass on line 2");
    lines[1].splice(
        at..at + pass.len(),
        b";Kh\xF4ng \xD0a\xF2t;".iter().copied(),
    );
    let changed = lab.dir.path().join("changed.csv");
    std::fs::write(&changed, lines.join(&b'\n')).expect("write");

    let (code, batch) = lab.import_with("inspections", &changed, &["--mode", "partial"]);
    assert_eq!(code, Some(0), "{batch}");
    assert_eq!(batch["rejected"], 1, "{batch}");
    assert_eq!(batch["duplicates"], 506, "{batch}");
    let problem = &batch["problems"][0];
    assert_eq!(problem["line"], 2, "{batch}");
    assert_eq!(problem["column"], "Kết quả", "{batch}");
    assert_eq!(problem["value"], "fail", "{batch}");
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("from batch 1, line 2")),
        "{batch}"
    );
    // The stored batch names it the same way.
    let shown = lab.ok(&["batch", "show", &batch["id"].to_string()]);
    assert!(
        shown.contains("line 2, column \"Kết quả\", value \"fail\""),
        "{shown}"
    );
}

/// A log whose first 64 KiB are ASCII, then `last` (raw bytes) as its last row.
fn ascii_head_then(last: &[u8]) -> Vec<u8> {
    let mut bytes = b"date,site,point,resistance_ohm,technician\n".to_vec();
    let mut i = 0;
    while bytes.len() < 70 * 1024 {
        bytes.extend_from_slice(format!("2023-09-20,Site A,P{i},2.5,An\n").as_bytes());
        i += 1;
    }
    bytes.extend_from_slice(last);
    bytes
}

#[test]
fn windows_1258_is_detected_even_after_an_ascii_head_and_can_be_forced() {
    let lab = Lab::new();
    // "Trường" in Windows-1258: ư (FD) precomposed, the grave (CC) combining.
    let cp1258 = lab.dir.path().join("late-1258.csv");
    std::fs::write(
        &cp1258,
        ascii_head_then(b"2023-09-21,Tr\xFD\xCCng A,P1,3.1,An\n"),
    )
    .expect("write");
    let (code, batch) = lab.import_with("earthing", &cp1258, &["--dry-run"]);
    assert_eq!(code, Some(0), "{batch}");
    assert_eq!(batch["rejected"], 0, "{batch}");
    // Forcing UTF-8 refuses it at the line of the first bad byte, with the way out.
    let (code, batch) = lab.import_with("earthing", &cp1258, &["--encoding", "utf-8"]);
    assert_eq!(code, Some(1), "{batch}");
    let lines = std::fs::read(&cp1258)
        .expect("read")
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let problem = &batch["problems"][0];
    assert_eq!(problem["line"], lines, "{batch}");
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("--encoding windows-1258")),
        "{batch}"
    );
    // Forcing Windows-1258 reads it.
    let (code, batch) = lab.import_with("earthing", &cp1258, &["--encoding", "windows-1258"]);
    assert_eq!(code, Some(0), "{batch}");
    assert_eq!(batch["inserted"], batch["rows"], "{batch}");

    // Damaged UTF-8 (a UTF-8 letter, then a lone byte) is refused at its line, never
    // read as Windows-1258 mojibake.
    let damaged = lab.dir.path().join("damaged.csv");
    std::fs::write(
        &damaged,
        ascii_head_then(
            &[
                &b"2023-09-22,\xC4\x90\xC3\xB4ng H\xC3\xA0,P2,3.3,An\n"[..],
                b"2023-09-23,B,P3,1.0,Nguy\xEAn\n",
            ]
            .concat(),
        ),
    )
    .expect("write");
    let (code, batch) = lab.import_with("earthing", &damaged, &[]);
    assert_eq!(code, Some(1), "{batch}");
    let lines = std::fs::read(&damaged)
        .expect("read")
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    assert_eq!(batch["problems"][0]["line"], lines, "{batch}");
}

#[test]
fn each_bound_is_refused_clearly_and_can_be_set() {
    let lab = Lab::new();
    let file = fixture("demo/earthing-2023-10.excel-vi.csv");
    let path = file.to_str().expect("path");
    let refused = |env: (&str, &str), flag: &[&str]| -> Value {
        for args in [vec![], flag.to_vec()] {
            let mut all = vec!["import", "earthing", path, "--format", "json"];
            all.extend(args.iter().copied());
            let envs = if args.is_empty() { vec![env] } else { vec![] };
            let out = lab.run_env(&all, &envs);
            assert_eq!(out.status.code(), Some(1), "{env:?} {args:?}");
            let batch: Value = serde_json::from_slice(&out.stdout).expect("batch JSON");
            assert_eq!(batch["outcome"], "refused", "{batch}");
            if args.is_empty() {
                continue;
            }
            return batch;
        }
        unreachable!()
    };
    let batch = refused(
        ("METROTRACK_MAX_UPLOAD_BYTES", "1000"),
        &["--max-upload-bytes", "1000"],
    );
    assert_eq!(
        batch["problems"][0]["message"],
        "the file is larger than 1000 bytes; split it into smaller files"
    );
    let batch = refused(
        ("METROTRACK_MAX_LINE_BYTES", "150"),
        &["--max-line-bytes", "150"],
    );
    assert!(
        batch["problems"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is longer than 150 bytes")),
        "{batch}"
    );
    let batch = refused(("METROTRACK_MAX_COLUMNS", "5"), &["--max-columns", "5"]);
    assert_eq!(batch["problems"][0]["line"], 1, "{batch}");
    assert!(
        batch["problems"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 5 are allowed")),
        "{batch}"
    );
    let batch = refused(
        ("METROTRACK_MAX_FIELD_BYTES", "20"),
        &["--max-field-bytes", "20"],
    );
    let problem = batch["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .find(|p| p["column"] == "Công trình")
        .expect("a site name past 20 bytes");
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("longer than 20 bytes")),
        "{batch}"
    );
    lab.assert_empty();
}

#[test]
fn voiding_a_batch_takes_its_records_out_of_every_figure_and_keeps_them_visible() {
    let lab = Lab::new();
    let inspections = lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    lab.import("earthing", &fixture("demo/earthing-2023-10.csv"));
    assert_eq!(lab.october(), OCTOBER);
    let id = inspections["id"].to_string();

    let out = lab.ok(&[
        "batch",
        "void",
        &id,
        "--reason",
        "imported into the wrong lab",
    ]);
    assert!(out.contains(&format!("batch {id} voided")), "{out}");
    assert_eq!(
        lab.october(),
        (0, 0, OCTOBER_POINTS),
        "only its own records left"
    );
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
    assert_eq!(
        due,
        serde_json::json!([]),
        "voided inspections make nothing due"
    );

    // Still visible, as voided, with who and why.
    let shown = lab.ok(&["batch", "show", &id]);
    assert!(
        shown.contains("VOIDED") && shown.contains("by tester"),
        "{shown}"
    );
    assert!(shown.contains("imported into the wrong lab"), "{shown}");
    assert!(shown.contains("507 records, all voided"), "{shown}");
    let json: Value = serde_json::from_str(&lab.ok(&["batch", "show", &id, "--format", "json"]))
        .expect("batch JSON");
    assert_eq!(json["voided_by"], "tester");
    assert_eq!(json["void_reason"], "imported into the wrong lab");
    assert_eq!(json["inserted"], 507);
    let list = lab.ok(&["batch", "list"]);
    assert!(list.contains("(VOIDED)"), "{list}");

    // Voiding twice, or a batch that does not exist, is refused.
    let again = lab.run(&["batch", "void", &id, "--reason", "again"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already voided"));
    assert_eq!(lab.run(&["batch", "show", "999"]).status.code(), Some(1));
    assert_eq!(
        lab.run(&["batch", "void", &id, "--reason", " "])
            .status
            .code(),
        Some(2)
    );

    // The same file imported again after its batch was voided is a new batch.
    let again = lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    assert_eq!(again["outcome"], "stored", "{again}");
    assert_eq!(again["inserted"], 507, "{again}");
    assert_eq!(lab.october(), OCTOBER);
}

// ----- on PostgreSQL (and killing an import on both backends) ----------------------

/// End-to-end on PostgreSQL: the real `metrotrack` binary against a throwaway database
/// gives what it gives on SQLite; imports racing in two processes; and a process killed
/// in the middle of a large import leaves the whole batch or none of it, on both
/// backends.
///
/// The PostgreSQL tests need `METROTRACK_TEST_POSTGRES_URL` (e.g.
/// `postgres://postgres@127.0.0.1:5432/test`); without it they say they were skipped.
mod postgres {
    use std::io::Write as _;
    use std::path::Path;
    use std::process::{Child, Command, Output, Stdio};
    use std::time::{Duration, Instant};

    use metrotrack_store::postgres::testing::fresh_database;
    use serde_json::Value;
    use sqlx::Connection as _;

    use super::fixture;

    fn path_str(path: &Path) -> &str {
        path.to_str().expect("utf-8 path")
    }

    /// The binary, pointed at one database.
    struct Metrotrack {
        url: String,
        dir: tempfile::TempDir,
    }

    impl Metrotrack {
        fn new(url: impl Into<String>) -> Self {
            Self {
                url: url.into(),
                dir: tempfile::tempdir().expect("temp dir"),
            }
        }

        fn sqlite() -> Self {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("lab.db").display());
            Self { url, dir }
        }

        fn command(&self, args: &[&str]) -> Command {
            let mut command = Command::new(env!("CARGO_BIN_EXE_metrotrack"));
            command
                .args(args)
                .env("METROTRACK_DATABASE_URL", &self.url)
                .env("METROTRACK_USER", "tester")
                .env_remove("METROTRACK_SCHEME")
                .current_dir(self.dir.path());
            command
        }

        fn run(&self, args: &[&str]) -> Output {
            self.command(args).output().expect("run metrotrack")
        }

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
            let stdout = self.ok(&["import", kind, path_str(file), "--format", "json"]);
            serde_json::from_str(stdout.trim()).expect("batch JSON")
        }

        fn report(&self, period: &str, scheme: &str) -> Value {
            let stdout = self.ok(&[
                "report", "--period", period, "--scheme", scheme, "--format", "json",
            ]);
            serde_json::from_str(&stdout).expect("report JSON")
        }

        /// `actual` of a lab-wide metric.
        fn actual(&self, period: &str, scheme: &str, metric: &str) -> u64 {
            let report = self.report(period, scheme);
            report["metrics"]
                .as_array()
                .expect("metrics")
                .iter()
                .find(|m| m["metric"] == metric && m["category"].is_null())
                .and_then(|m| m["actual"].as_u64())
                .unwrap_or_else(|| panic!("no {metric} in {report}"))
        }

        /// Imports the October demo month (as Excel writes it) and sets its plan targets.
        fn load_october(&self) -> (Value, Value) {
            let inspections = self.import(
                "inspections",
                &fixture("demo/inspections-2023-10.excel-vi.csv"),
            );
            let earthing = self.import("earthing", &fixture("demo/earthing-2023-10.excel-vi.csv"));
            for (metric, target) in [
                ("instruments_inspected", "402"),
                ("earthing_points_measured", "10"),
            ] {
                self.ok(&[
                    "plan", "set", "--period", "2023-10", "--metric", metric, "--target", target,
                ]);
            }
            (inspections, earthing)
        }
    }

    /// Everything but the batch's identity and time, which differ between databases.
    fn comparable(mut batch: Value) -> Value {
        if let Some(object) = batch.as_object_mut() {
            for volatile in ["id", "uploaded_at"] {
                object.remove(volatile);
            }
        }
        batch
    }

    #[tokio::test]
    async fn postgres_gives_exactly_what_sqlite_gives() {
        let Some((_db, url)) = fresh_database().await else {
            return;
        };
        let pg = Metrotrack::new(url);
        let sqlite = Metrotrack::sqlite();
        let (pg_inspections, pg_earthing) = pg.load_october();
        let (sqlite_inspections, sqlite_earthing) = sqlite.load_october();
        assert_eq!(pg_inspections["outcome"], "stored", "{pg_inspections}");
        assert_eq!(
            comparable(pg_inspections.clone()),
            comparable(sqlite_inspections)
        );
        assert_eq!(comparable(pg_earthing), comparable(sqlite_earthing));
        for (period, scheme) in [
            ("2023-10", "decree09"),
            ("2023-10", "calendar"),
            ("2023-Q4", "decree09"),
            ("2023", "decree09"),
        ] {
            assert_eq!(
                pg.report(period, scheme),
                sqlite.report(period, scheme),
                "{period} {scheme}"
            );
        }
        let report = pg.report("2023-10", "decree09");
        assert_eq!(report["metrics"][0]["actual"], 467, "{report}");
        assert_eq!(report["metrics"][0]["percent"], 116, "{report}");
        let text = pg.ok(&["report", "--period", "2023-10", "--lang", "vi"]);
        assert!(
            text.contains("467 PTĐ các loại (Đạt 116% so với kế hoạch đề ra)"),
            "{text}"
        );
        assert_eq!(
            pg.ok(&["due", "--as-of", "2024-10-01", "--within", "60"]),
            sqlite.ok(&["due", "--as-of", "2024-10-01", "--within", "60"])
        );

        // Re-importing: the same file is the same batch; the same records in another file
        // are duplicates; no figure moves.
        let again = pg.import(
            "inspections",
            &fixture("demo/inspections-2023-10.excel-vi.csv"),
        );
        assert_eq!(again["outcome"], "already_imported", "{again}");
        assert_eq!(again["id"], pg_inspections["id"]);
        let canonical = pg.import("inspections", &fixture("demo/inspections-2023-10.csv"));
        assert_eq!(canonical["outcome"], "stored", "{canonical}");
        assert_eq!(canonical["inserted"], 0, "{canonical}");
        assert_eq!(
            canonical["duplicates"], pg_inspections["rows"],
            "{canonical}"
        );
        let sqlite_canonical =
            sqlite.import("inspections", &fixture("demo/inspections-2023-10.csv"));
        assert_eq!(comparable(canonical), comparable(sqlite_canonical));
        assert_eq!(pg.report("2023-10", "decree09"), report);
    }

    #[tokio::test]
    async fn a_strict_refusal_on_postgres_stores_nothing() {
        let Some((_db, url)) = fresh_database().await else {
            return;
        };
        let pg = Metrotrack::new(url);
        let file = fixture("bad/impossible-date.csv");
        let out = pg.run(&["import", "inspections", path_str(&file)]);
        assert_eq!(out.status.code(), Some(1), "strict refusal exits 1");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("REFUSED") && stdout.contains("line 3"),
            "{stdout}"
        );
        for year in ["2022", "2023", "2024"] {
            assert_eq!(pg.actual(year, "calendar", "inspections"), 0, "{year}");
        }
        // The same file in partial mode stores its good rows: the refusal left no batch
        // behind to answer for it.
        let out = pg.run(&[
            "import",
            "inspections",
            path_str(&file),
            "--mode",
            "partial",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0));
        let batch: Value = serde_json::from_slice(&out.stdout).expect("batch JSON");
        assert_eq!(batch["outcome"], "stored", "{batch}");
        assert_eq!(batch["rejected"], 1, "{batch}");
    }

    /// Writes an inspections log of `rows` rows: distinct instruments `SN-<first + i>` (in
    /// reverse order when `reverse`), all verified on `date`.
    fn write_log(path: &Path, rows: u64, first: u64, date: &str, reverse: bool) {
        let file = std::fs::File::create(path).expect("create log");
        let mut out = std::io::BufWriter::new(file);
        writeln!(
            out,
            "Ngày kiểm định,Tên PTĐ,Số sản xuất,Cơ sở sản xuất,Hình thức,Kết quả,Người thực hiện"
        )
        .expect("write");
        for i in 0..rows {
            let n = if reverse {
                first + rows - 1 - i
            } else {
                first + i
            };
            writeln!(
                out,
                "{date},CT1P,SN-{n:07},EMIC,Kiểm định,Đạt,Nguyễn Văn An"
            )
            .expect("write");
        }
        out.flush().expect("flush");
    }

    fn spawn_import(m: &Metrotrack, file: &Path) -> Child {
        m.command(&["import", "inspections", path_str(file), "--format", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn metrotrack")
    }

    fn batch_of(child: Child) -> Value {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "import failed ({:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("batch JSON")
    }

    /// Two processes import two files naming 8 000 common instruments (in opposite orders)
    /// at once: both batches land whole.
    #[tokio::test]
    async fn two_processes_importing_different_files_both_land() {
        let Some((_db, url)) = fresh_database().await else {
            return;
        };
        let pg = Metrotrack::new(url);
        pg.ok(&["migrate"]);
        let (a, b) = (pg.dir.path().join("a.csv"), pg.dir.path().join("b.csv"));
        write_log(&a, 12_000, 0, "01/10/2023", false);
        write_log(&b, 12_000, 4_000, "02/10/2023", true);
        let (first, second) = (spawn_import(&pg, &a), spawn_import(&pg, &b));
        let (first, second) = (batch_of(first), batch_of(second));
        for batch in [&first, &second] {
            assert_eq!(batch["outcome"], "stored", "{batch}");
            assert_eq!(batch["inserted"], 12_000, "{batch}");
        }
        assert_eq!(pg.actual("2023-10", "calendar", "inspections"), 24_000);
        assert_eq!(
            pg.actual("2023-10", "calendar", "instruments_inspected"),
            16_000
        );
    }

    /// Two processes upload the same file at once: one stores it, the other answers with
    /// that batch.
    #[tokio::test]
    async fn two_processes_importing_the_same_file_make_one_batch() {
        let Some((_db, url)) = fresh_database().await else {
            return;
        };
        let pg = Metrotrack::new(url);
        pg.ok(&["migrate"]);
        let file = pg.dir.path().join("same.csv");
        write_log(&file, 10_000, 0, "01/10/2023", false);
        let (first, second) = (spawn_import(&pg, &file), spawn_import(&pg, &file));
        let (first, second) = (batch_of(first), batch_of(second));
        let mut outcomes = [
            first["outcome"].as_str().unwrap_or_default().to_owned(),
            second["outcome"].as_str().unwrap_or_default().to_owned(),
        ];
        outcomes.sort();
        assert_eq!(outcomes, ["already_imported", "stored"]);
        assert_eq!(first["id"], second["id"]);
        assert_eq!(pg.actual("2023-10", "calendar", "inspections"), 10_000);
    }

    /// Rows in the large file of the crash tests.
    const LARGE: u64 = 200_000;

    /// Starts importing a large generated file, waits until `started` says the batch is
    /// being written, kills the process (SIGKILL) while it still runs, and checks that the
    /// database holds all of the file or none of it.
    fn kill_mid_import(m: &Metrotrack, started: impl Fn() -> bool) {
        m.ok(&["migrate"]);
        let file = m.dir.path().join("large.csv");
        write_log(&file, LARGE, 0, "01/10/2023", false);
        let mut child = spawn_import(m, &file);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !started() {
            assert!(
                Instant::now() < deadline,
                "the import never started writing"
            );
            assert!(
                child.try_wait().expect("try_wait").is_none(),
                "the import ended before it was seen writing"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the import finished before it could be killed: make the file larger"
        );
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        assert!(!status.success());
        let stored = m.actual("2023-10", "calendar", "inspections");
        assert!(
            stored == 0 || stored == LARGE,
            "a killed import left {stored} of {LARGE} rows"
        );
        // Whatever was left, the same file imports whole afterwards.
        let batch = m.import("inspections", &file);
        assert!(
            batch["outcome"] == "stored" || batch["outcome"] == "already_imported",
            "{batch}"
        );
        assert_eq!(m.actual("2023-10", "calendar", "inspections"), LARGE);
    }

    #[test]
    fn killing_an_import_on_sqlite_leaves_all_or_nothing() {
        let m = Metrotrack::sqlite();
        let wal = m.dir.path().join("lab.db-wal");
        // The batch is being written once the write-ahead log grows past a few pages.
        kill_mid_import(&m, || {
            std::fs::metadata(&wal).is_ok_and(|meta| meta.len() > 1024 * 1024)
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn killing_an_import_on_postgres_leaves_all_or_nothing() {
        let Some((_db, url)) = fresh_database().await else {
            return;
        };
        let m = Metrotrack::new(url.clone());
        // The batch is being written once its transaction holds the lab's import lock.
        let handle = tokio::runtime::Handle::current();
        let started = move || {
            let url = url.clone();
            tokio::task::block_in_place(|| {
                handle.block_on(async move {
                    let Ok(mut conn) = sqlx::PgConnection::connect(&url).await else {
                        return false;
                    };
                    let held: i64 = sqlx::query_scalar(
                        "select count(*) from pg_locks l join pg_database d on d.oid = l.database
                     where l.locktype = 'advisory' and d.datname = current_database()",
                    )
                    .fetch_one(&mut conn)
                    .await
                    .unwrap_or(0);
                    let _ = conn.close().await;
                    held > 0
                })
            })
        };
        tokio::task::block_in_place(|| kill_mid_import(&m, started));
    }
}
