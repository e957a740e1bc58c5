//! Usage errors: exit codes and messages that name what is known.

use super::*;

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
