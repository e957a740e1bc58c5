//! Workbooks on the command line: October's log as a `.xlsx` is the same records as its
//! CSV, and so are its first 40 rows saved as `.xls` and `.ods` by LibreOffice; `--sheet`;
//! text named `.xlsx`, `.xls` or `.ods` refused.

use super::xlsx::{VI_INSPECTION_DATES, VI_INSPECTION_NUMBERS, workbook_of};
use super::*;

/// October's Vietnamese inspections log, saved as a workbook in the lab's directory.
fn october_workbook(lab: &Lab) -> PathBuf {
    let text =
        std::fs::read_to_string(fixture("demo/inspections-2023-10.excel-vi.csv")).expect("fixture");
    let path = lab.dir.path().join("thang-10.xlsx");
    std::fs::write(
        &path,
        workbook_of(&text, &VI_INSPECTION_DATES, &VI_INSPECTION_NUMBERS),
    )
    .expect("write xlsx");
    path
}

#[test]
fn a_workbook_imports_as_the_records_of_its_csv() {
    let lab = Lab::new();
    let xlsx = october_workbook(&lab);
    let batch = lab.import("inspections", &xlsx);
    assert_eq!(batch["outcome"], "stored", "{batch}");
    assert_eq!(batch["file_name"], "thang-10.xlsx");
    assert_eq!(batch["rows"], 507, "{batch}");
    assert_eq!(batch["inserted"], 507, "{batch}");
    assert_eq!(batch["rejected"], 0, "{batch}");
    assert_eq!(
        batch["size_bytes"],
        std::fs::metadata(&xlsx).expect("size").len()
    );
    assert_eq!(
        lab.actual("2023-10", "decree09", "inspections"),
        OCTOBER_INSPECTIONS
    );
    assert_eq!(
        lab.actual("2023-10", "decree09", "instruments_inspected"),
        OCTOBER_INSTRUMENTS
    );
    // The same workbook again is the same batch.
    let again = lab.import("inspections", &xlsx);
    assert_eq!(again["outcome"], "already_imported", "{again}");
    assert_eq!(again["id"], batch["id"]);
    assert_eq!(again["sha256"], batch["sha256"]);
    // The CSV it was saved from holds the same records: duplicates, not conflicts.
    let csv = lab.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    assert_eq!(csv["outcome"], "stored", "{csv}");
    assert_eq!(csv["inserted"], 0, "{csv}");
    assert_eq!(csv["rejected"], 0, "{csv}");
    assert_eq!(csv["duplicates"], 507, "{csv}");
    assert_eq!(
        lab.actual("2023-10", "decree09", "inspections"),
        OCTOBER_INSPECTIONS
    );
}

#[test]
fn sheets_are_chosen_by_name_and_text_named_xlsx_is_refused() {
    let lab = Lab::new();
    let xlsx = october_workbook(&lab);
    let path = xlsx.to_str().expect("path");
    let out = lab.run(&[
        "import",
        "inspections",
        path,
        "--sheet",
        "Tháng 10",
        "--dry-run",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let batch: Value = serde_json::from_slice(&out.stdout).expect("batch JSON");
    assert_eq!(batch["rows"], 507, "{batch}");

    let out = lab.run(&["import", "inspections", path, "--sheet", "Tháng 11"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("the workbook has no sheet named \"Tháng 11\"; its sheets: \"Tháng 10\""),
        "{stdout}"
    );

    let text = lab.dir.path().join("log.xlsx");
    std::fs::copy(fixture("demo/inspections-2023-10.excel-vi.csv"), &text).expect("copy");
    let out = lab.run(&["import", "inspections", text.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("this file is named as a workbook (.xlsx, .xls, .ods) but is not one; save it again from Excel as .xlsx, or name it .csv if it is CSV text"),
        "{stdout}"
    );
    assert_eq!(lab.actual("2023-10", "decree09", "inspections"), 0);
}

#[test]
fn a_bad_cell_is_named_by_sheet_and_cell() {
    let lab = Lab::new();
    let text = std::fs::read_to_string(fixture("demo/inspections-2023-10.excel-vi.csv"))
        .expect("fixture")
        .replacen("1;15/09/2023;", "1;31/02/2023;", 1);
    let path = lab.dir.path().join("thang-10.xlsx");
    std::fs::write(
        &path,
        workbook_of(&text, &VI_INSPECTION_DATES, &VI_INSPECTION_NUMBERS),
    )
    .expect("write xlsx");
    let out = lab.run(&[
        "import",
        "inspections",
        path.to_str().expect("path"),
        "--mode",
        "partial",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let batch: Value = serde_json::from_slice(&out.stdout).expect("batch JSON");
    assert_eq!(batch["rejected"], 1, "{batch}");
    assert_eq!(batch["inserted"], 506, "{batch}");
    let problem = &batch["problems"][0];
    assert_eq!(problem["line"], 2, "{batch}");
    assert_eq!(problem["column"], "Ngày kiểm định", "{batch}");
    assert_eq!(problem["value"], "31/02/2023", "{batch}");
    let message = problem["message"].as_str().expect("message");
    assert!(
        message.ends_with(" (sheet \"Tháng 10\", cell B2)"),
        "{message}"
    );
}

#[test]
fn xls_and_ods_import_as_the_records_of_the_csv() {
    let lab = Lab::new();
    let csv = lab.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    assert_eq!(csv["inserted"], 507, "{csv}");
    for name in [
        "inspections-2023-10.first-40.xls",
        "inspections-2023-10.first-40.ods",
    ] {
        let batch = lab.import("inspections", &fixture(&format!("workbooks/{name}")));
        assert_eq!(batch["outcome"], "stored", "{batch}");
        assert_eq!(batch["file_name"], name);
        assert_eq!(batch["rows"], 40, "{batch}");
        assert_eq!(batch["inserted"], 0, "{batch}");
        assert_eq!(batch["duplicates"], 40, "{batch}");
        assert_eq!(batch["rejected"], 0, "{batch}");
    }
    assert_eq!(
        lab.actual("2023-10", "decree09", "inspections"),
        OCTOBER_INSPECTIONS
    );
    // In a fresh database, the .ods's 40 rows are stored; the CSV then adds the rest.
    let fresh = Lab::new();
    let ods = fresh.import(
        "inspections",
        &fixture("workbooks/inspections-2023-10.first-40.ods"),
    );
    assert_eq!(ods["inserted"], 40, "{ods}");
    let csv = fresh.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    assert_eq!(csv["inserted"], 467, "{csv}");
    assert_eq!(csv["duplicates"], 40, "{csv}");
    assert_eq!(csv["rejected"], 0, "{csv}");

    // CSV text named .xls or .ods is refused; nothing is stored.
    for name in ["log.xls", "log.ods"] {
        let text = fresh.dir.path().join(name);
        std::fs::copy(fixture("demo/earthing-2023-10.excel-vi.csv"), &text).expect("copy");
        let out = fresh.run(&["import", "earthing", text.to_str().expect("path")]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("this file is named as a workbook (.xlsx, .xls, .ods) but is not one"),
            "{stdout}"
        );
    }
    assert_eq!(
        fresh.actual("2023-10", "decree09", "earthing_points_measured"),
        0
    );
}
