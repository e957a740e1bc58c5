//! A log uploaded as the other kind: one problem naming the kind it looks like, in
//! place of one "required column missing" per column.

use super::*;
use metrotrack_core::Lang;

#[test]
fn an_earthing_log_read_as_inspections_says_it_looks_like_earthing() {
    for file in [
        "demo/earthing-2023-10.csv",
        "demo/earthing-2023-10.excel-vi.csv",
    ] {
        let (rows, summary) = read(&fixture(file), LogKind::Inspections);
        assert!(rows.is_empty(), "{file}");
        assert_eq!(
            summary.fatal.len(),
            1,
            "{file}: {}",
            messages(&summary.fatal)
        );
        let problem = &summary.fatal[0];
        assert_eq!(
            problem.code().unwrap_or_default(),
            "header.looks_like_earthing"
        );
        assert_eq!(problem.line, 1);
        let en = problem.render(Lang::En);
        assert!(en.starts_with("this looks like an earthing log"), "{en}");
        assert!(en.contains("category, serial_number"), "{en}");
        let vi = problem.render(Lang::Vi);
        assert!(
            vi.starts_with("tệp này có vẻ là sổ đo điện trở nối đất"),
            "{vi}"
        );
    }
}

#[test]
fn an_inspections_log_read_as_earthing_says_it_looks_like_inspections() {
    let (rows, summary) = read(&fixture("demo/inspections-2023-10.csv"), LogKind::Earthing);
    assert!(rows.is_empty());
    assert_eq!(summary.fatal.len(), 1, "{}", messages(&summary.fatal));
    assert_eq!(
        summary.fatal[0].code().unwrap_or_default(),
        "header.looks_like_inspections"
    );
    let vi = summary.fatal[0].render(Lang::Vi);
    assert!(vi.starts_with("tệp này có vẻ là sổ kiểm định"), "{vi}");
}

/// A header that is neither kind's still names each missing column.
#[test]
fn a_header_of_neither_kind_names_each_missing_column() {
    let text = "date;site;serial_number\n2023-09-15;A;B\n";
    let (_, summary) = read(text.as_bytes(), LogKind::Inspections);
    let codes: Vec<&str> = summary
        .fatal
        .iter()
        .map(|p| p.code().unwrap_or_default())
        .collect();
    assert!(!codes.is_empty());
    assert!(codes.iter().all(|c| *c == "column.missing"), "{codes:?}");
    let (_, summary) = read(text.as_bytes(), LogKind::Earthing);
    assert!(
        summary
            .fatal
            .iter()
            .all(|p| p.code().unwrap_or_default() == "column.missing"),
        "{}",
        messages(&summary.fatal)
    );
}
