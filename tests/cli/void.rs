//! Voiding a batch.

use super::*;

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
