//! Real-world lab files (issue 5): the October month in five shapes, and encodings.

use super::*;

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
