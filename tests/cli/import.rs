//! Importing logs: the same records however written, the same file twice, strict
//! refusals and dry runs.

use super::*;

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
    assert_eq!(batch["inserted"], 3, "{batch}");
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

/// An earthing log imported as inspections is refused with one problem naming the kind
/// it looks like, in the language asked, not one "required column missing" per column.
#[test]
fn the_wrong_log_kind_is_named_once() {
    let lab = Lab::new();
    let file = fixture("demo/earthing-2023-10.csv");
    let path = file.to_str().expect("path");
    let out = lab.run_env(
        &["import", "inspections", path],
        &[("METROTRACK_LANG", "vi")],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout
            .matches("tệp này có vẻ là sổ đo điện trở nối đất")
            .count(),
        1,
        "{stdout}"
    );
    assert!(!stdout.contains("thiếu cột bắt buộc"), "{stdout}");
    let out = lab.run(&["import", "inspections", path, "--format", "json"]);
    let batch: Value = serde_json::from_slice(&out.stdout).expect("batch JSON");
    let problems = batch["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{batch}");
    assert_eq!(problems[0]["code"], "header.looks_like_earthing");
    assert_eq!(
        lab.actual("2023-10", "decree09", "earthing_points_measured"),
        0
    );
}
