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
    // The fixture fixes the list: 98 twelve-month instruments, 52 of them overdue,
    // soonest first, from NH 201363 (expired 2024-08-08) to CB-6985 (due 2024-10-15).
    assert_eq!(entries.len(), 98, "{due}");
    assert_eq!(
        entries.iter().filter(|e| e["overdue"] == true).count(),
        52,
        "{due}"
    );
    assert_eq!(
        entries.iter().filter(|e| e["overdue"] == false).count(),
        46,
        "{due}"
    );
    let mut per_category: Vec<(String, usize)> = Vec::new();
    for e in entries {
        let code = e["category"].as_str().expect("category").to_owned();
        match per_category.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => per_category.push((code, 1)),
        }
    }
    per_category.sort();
    let expected: Vec<(String, usize)> = [
        ("CB", 18),
        ("CDH", 25),
        ("CKT", 9),
        ("COT", 6),
        ("CPT", 6),
        ("CXD", 12),
        ("HAK", 21),
        ("TDD", 1),
    ]
    .iter()
    .map(|(c, n)| ((*c).to_owned(), *n))
    .collect();
    assert_eq!(per_category, expected);
    let first = &entries[0];
    assert_eq!(
        (
            &first["serial_number"],
            &first["category"],
            &first["valid_until"],
            &first["days_left"],
            &first["overdue"]
        ),
        (
            &Value::from("NH 201363"),
            &Value::from("CDH"),
            &Value::from("2024-08-08"),
            &Value::from(-54),
            &Value::from(true)
        )
    );
    let last = &entries[97];
    assert_eq!(
        (
            &last["serial_number"],
            &last["category"],
            &last["valid_until"],
            &last["days_left"],
            &last["overdue"]
        ),
        (
            &Value::from("CB-6985"),
            &Value::from("CB"),
            &Value::from("2024-10-15"),
            &Value::from(14),
            &Value::from(false)
        )
    );
    assert!(
        entries
            .windows(2)
            .all(|w| w[0]["days_left"].as_i64() <= w[1]["days_left"].as_i64()),
        "soonest first: {due}"
    );
    for e in entries {
        assert!(e["days_left"].as_i64().expect("days_left") <= 30, "{e}");
    }
    let text = lab.ok(&["due", "--as-of", "2024-10-01", "--within", "30"]);
    assert!(text.contains("OVERDUE"), "{text}");
}
