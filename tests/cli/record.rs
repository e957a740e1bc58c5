//! One record amended, voided and shown with its versions; a voided batch restored.

use super::*;

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).expect("JSON")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn amending_a_date_moves_the_record_into_the_next_period_and_keeps_every_version() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    let november = || lab.actual("2023-11", "decree09", "instruments_inspected");
    let november_before = november();
    // Inspection 1 was done on 15/09/2023, the first day of October's reporting period.
    let out = lab.ok(&[
        "record",
        "amend",
        "inspection",
        "1",
        "--set",
        "inspected_on=16/10/2023",
        "--reason",
        "ngày nhập sai",
    ]);
    assert_eq!(out, "inspection 1 amended: now version 2\n");
    assert_eq!(lab.october().0, OCTOBER_INSTRUMENTS - 1);
    assert_eq!(november(), november_before + 1);

    let versions = json(&lab.ok(&["record", "show", "inspection", "1", "--format", "json"]));
    let seen: Vec<(Value, Value, Value, Value)> = versions
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["version"].clone(),
                v["inspected_on"].clone(),
                v["amended_by"].clone(),
                v["amend_reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1.into(), "2023-09-15".into(), Value::Null, Value::Null),
            (
                2.into(),
                "2023-10-16".into(),
                "tester".into(),
                "ngày nhập sai".into()
            ),
        ]
    );
    let text = lab.ok(&["record", "show", "inspection", "1"]);
    assert!(
        text.contains("  * inspected_on: \"2023-10-16\"\n"),
        "{text}"
    );
}

#[test]
fn an_amendment_is_checked_like_a_log_and_refused_whole() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    let out = lab.run(&[
        "record",
        "amend",
        "inspection",
        "1",
        "--set",
        "inspected_on=31/02/2023",
        "--set",
        "error_percent=abc",
        "--reason",
        "typo",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: the amendment was not stored:\n  \
         inspected_on = \"31/02/2023\": 31/02/2023 is not a date: February 2023 has 28 days; \
         dates are read day-first (dd/mm/yyyy)\n  \
         error_percent = \"abc\": abc is not a number\n"
    );
    // Onto another record's certificate number: refused, naming it.
    let out = lab.run(&[
        "record",
        "amend",
        "inspection",
        "1",
        "--set",
        "certificate_no=GCN-23-00005",
        "--reason",
        "typo",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: inspection 1 was not amended: its certificate number GCN-23-00005 is held \
         by inspection 3 (batch 1, line 4)\n"
    );
    let out = lab.run(&[
        "record",
        "amend",
        "inspection",
        "1",
        "--set",
        "notes=x",
        "--reason",
        " ",
    ]);
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (Some(1), "error: an amendment needs a reason\n".to_owned())
    );
    let out = lab.run(&[
        "record",
        "amend",
        "inspection",
        "1",
        "--set",
        "notes",
        "--reason",
        "r",
    ]);
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (
            Some(2),
            "error: --set \"notes\": write it as field=value\n".to_owned()
        )
    );
    let versions = json(&lab.ok(&["record", "show", "inspection", "1", "--format", "json"]));
    assert_eq!(versions.as_array().map(Vec::len), Some(1));
    assert_eq!(lab.october().0, OCTOBER_INSTRUMENTS);
}

#[test]
fn a_record_voided_on_its_own_stays_voided_when_its_batch_is_restored() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    let out = lab.ok(&[
        "record",
        "void",
        "inspection",
        "1",
        "--reason",
        "not our meter",
    ]);
    assert_eq!(
        out,
        "inspection 1 voided: it leaves every figure and stays visible as voided\n"
    );
    assert_eq!(lab.october().0, OCTOBER_INSTRUMENTS - 1);
    lab.ok(&["batch", "void", "1", "--reason", "whole file"]);
    assert_eq!(lab.october().0, 0);
    let out = lab.ok(&["batch", "restore", "1"]);
    assert_eq!(
        out,
        "batch 1 restored: its records count again in every figure\n"
    );
    assert_eq!(lab.october().0, OCTOBER_INSTRUMENTS - 1);
    let again = lab.run(&["batch", "restore", "1"]);
    assert_eq!(
        (again.status.code(), stderr(&again)),
        (Some(1), "error: import batch 1 is not voided\n".to_owned())
    );
    let shown = json(&lab.ok(&["record", "show", "inspection", "1", "--format", "json"]));
    assert_eq!(shown[0]["void_reason"], "not our meter");
    assert_eq!(shown[0]["voided_by"], "tester");
}

#[test]
fn an_earthing_test_is_amended_with_a_decimal_comma() {
    let lab = Lab::new();
    lab.import("earthing", &fixture("demo/earthing-2023-10.csv"));
    let out = lab.ok(&[
        "record",
        "amend",
        "earthing",
        "1",
        "--set",
        "resistance_ohm=5,5",
        "--reason",
        "đọc nhầm",
        "--format",
        "json",
    ]);
    let amended = json(&out);
    assert_eq!(
        (
            &amended["version"],
            &amended["resistance_ohm"],
            &amended["pass"]
        ),
        (&Value::from(2), &Value::from("5.5"), &Value::from(true))
    );
    let out = lab.run(&[
        "record",
        "amend",
        "earthing",
        "1",
        "--set",
        "point_code=CS-99",
        "--reason",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("stays with its point"),
        "{}",
        stderr(&out)
    );
}

/// The dead end of a system that cannot be corrected: a corrected file whose rows all
/// conflict with a wrong batch stores nothing; once the wrong batch is voided, the same
/// corrected file imports and stores every row (a batch that stored nothing does not
/// hold its file).
#[test]
fn a_corrected_file_refused_as_conflicts_imports_once_the_wrong_batch_is_voided() {
    let lab = Lab::new();
    let wrong = lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    let text = std::fs::read_to_string(fixture("demo/inspections-2023-10.csv")).expect("fixture");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let technician = header
        .split(',')
        .position(|h| h == "technician")
        .expect("technician column");
    let mut corrected = format!("{header}\n");
    for line in lines {
        // The technician's cell (the fixture quotes only cells holding a comma).
        let mut cell = 0;
        let mut quoted = false;
        for c in line.chars() {
            if c == '"' {
                quoted = !quoted;
            } else if c == ',' && !quoted {
                if cell == technician {
                    corrected.push_str(" (soát lại)");
                }
                cell += 1;
            }
            corrected.push(c);
        }
        corrected.push('\n');
    }
    let file = lab.dir.path().join("corrected.csv");
    std::fs::write(&file, corrected).expect("write");

    // Every row conflicts: a partial import stores none of them.
    let (code, refused) = lab.import_with("inspections", &file, &["--mode", "partial"]);
    assert_eq!(
        (code, &refused["inserted"], &refused["rejected"]),
        (Some(0), &Value::from(0), &Value::from(507))
    );
    lab.ok(&[
        "batch",
        "void",
        &wrong["id"].to_string(),
        "--reason",
        "wrong technicians",
    ]);
    let (code, stored) = lab.import_with("inspections", &file, &["--mode", "partial"]);
    assert_eq!(
        (
            code,
            &stored["outcome"],
            &stored["inserted"],
            &stored["rejected"]
        ),
        (
            Some(0),
            &Value::from("stored"),
            &Value::from(507),
            &Value::from(0)
        )
    );
    assert_ne!(stored["id"], refused["id"]);
    assert_eq!(lab.october(), (OCTOBER_INSTRUMENTS, OCTOBER_INSPECTIONS, 0));
}

#[test]
fn an_admin_renames_a_category_and_adds_a_cycle_on_the_command_line() {
    let lab = Lab::new();
    let out = lab.ok(&[
        "category",
        "set",
        "dhn",
        "--name-vi",
        "Đồng hồ đo nước lạnh",
        "--name-en",
        "Cold water meter",
    ]);
    assert_eq!(
        out,
        "category DHN: Đồng hồ đo nước lạnh / Cold water meter\n"
    );
    let out = lab.ok(&[
        "category",
        "cycle",
        "DHN",
        "--from",
        "2024-01-01",
        "--months",
        "36",
    ]);
    assert_eq!(out, "category DHN: 36 months from 2024-01-01 on\n");
    let again = lab.run(&[
        "category",
        "cycle",
        "DHN",
        "--from",
        "2024-01-01",
        "--months",
        "12",
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stderr(&again),
        "error: category DHN already has a cycle from 2024-01-01 (36 months); cycles are \
         kept as history: add one from another date\n"
    );
    let listed = json(&lab.ok(&["category", "list", "--format", "json"]));
    let dhn = listed
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["code"] == "DHN")
        .expect("DHN")
        .clone();
    assert_eq!(dhn["name_vi"], "Đồng hồ đo nước lạnh");
    assert_eq!(
        dhn["cycles"],
        serde_json::json!([
            {"effective_from": "2000-01-01", "months": 60},
            {"effective_from": "2024-01-01", "months": 36}
        ])
    );
}
