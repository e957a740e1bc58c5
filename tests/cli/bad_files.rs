//! Bad files: the corpus of `fixtures/bad`, partial mode, conflicts and bounds.

use super::*;

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
    assert_eq!(corpus.len(), 13, "{corpus:?}");
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
        // Each bad file has exactly its one problem, and it is the expected one.
        assert_eq!(
            problems.len(),
            1,
            "{name}: expected only {e:?}, got {problems:#?}"
        );
        let found = problems.iter().all(|p| {
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

/// `--lang vi` (or `METROTRACK_LANG=vi`) writes the problems and the summary in
/// Vietnamese; English by default. JSON keeps each problem's code.
#[test]
fn import_writes_its_problems_in_the_language_asked() {
    let lab = Lab::new();
    let file = fixture("bad/impossible-date.csv");
    let file = file.to_str().expect("utf-8 path");
    let text = |out: Output| String::from_utf8_lossy(&out.stdout).into_owned();

    let en = text(lab.run(&["import", "inspections", file]));
    assert!(
        en.contains("line 3, column \"Ngày kiểm định\", value \"31/02/2023\": 31/02/2023 is not a date: February 2023 has 28 days"),
        "{en}"
    );
    assert!(en.contains("REFUSED (strict mode)"), "{en}");

    let vi = text(lab.run(&["import", "inspections", file, "--lang", "vi"]));
    assert!(
        vi.contains("dòng 3, cột \"Ngày kiểm định\", giá trị \"31/02/2023\": 31/02/2023 không phải là ngày hợp lệ: tháng 2/2023 chỉ có 28 ngày"),
        "{vi}"
    );
    assert!(vi.contains("BỊ TỪ CHỐI (chế độ chặt chẽ)"), "{vi}");
    assert!(vi.contains("cột số thứ tự được bỏ qua"), "{vi}");
    assert!(!vi.contains("is not a date"), "{vi}");

    let out = Command::new(env!("CARGO_BIN_EXE_metrotrack"))
        .args(["import", "inspections", file, "--format", "json"])
        .env("METROTRACK_DATABASE_URL", lab.url())
        .env("METROTRACK_LANG", "vi")
        .output()
        .expect("run metrotrack");
    let batch: Value = serde_json::from_slice(&out.stdout).expect("json");
    let problem = batch["problems"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["line"] == 3))
        .unwrap_or_else(|| panic!("{batch}"));
    assert_eq!(problem["code"], "date.impossible");
    assert_eq!(problem["args"]["days"], 28);
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("31/02/2023 không phải là ngày hợp lệ")),
        "{problem}"
    );

    let bad = lab.run(&["import", "inspections", file, "--lang", "fr"]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an unknown language is a usage error"
    );
}
