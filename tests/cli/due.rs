//! The due list.

use super::*;

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
