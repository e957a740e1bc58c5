//! Reports: period boundaries, what counts once, the JSON shape, the Vietnamese sentence
//! and the demo.

use super::*;

#[test]
fn period_boundaries_under_both_schemes() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("edge/boundaries.csv"));
    // 14/09/2023 is in Decree-09 month 2023-09; 15/10/2023 in 2023-11.
    assert_eq!(lab.actual("2023-09", "decree09", "inspections"), 1);
    assert_eq!(lab.actual("2023-10", "decree09", "inspections"), 0);
    assert_eq!(lab.actual("2023-11", "decree09", "inspections"), 1);
    // Under the calendar scheme both fall in their calendar months.
    assert_eq!(lab.actual("2023-09", "calendar", "inspections"), 1);
    assert_eq!(lab.actual("2023-10", "calendar", "inspections"), 1);
    assert_eq!(lab.actual("2023-11", "calendar", "inspections"), 0);
}

#[test]
fn distinct_instruments_and_points_count_once() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("edge/twice.csv"));
    lab.import("earthing", &fixture("edge/earthing-twice.csv"));
    assert_eq!(
        lab.actual("2023-10", "decree09", "instruments_inspected"),
        2
    );
    assert_eq!(lab.actual("2023-10", "decree09", "inspections"), 3);
    assert_eq!(
        lab.actual("2023-10", "decree09", "earthing_points_measured"),
        1
    );
}

#[test]
fn report_json_has_the_spec_shape() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    lab.ok(&[
        "plan",
        "set",
        "--period",
        "2023-10",
        "--metric",
        "instruments_inspected",
        "--target",
        "402",
    ]);
    let report = lab.achievement("2023-10", "decree09");
    assert_eq!(
        report["period"],
        serde_json::json!({"label": "2023-10", "scheme": "decree09", "start": "2023-09-15", "end": "2023-10-14"})
    );
    assert_eq!(
        *metric_of(&report, "instruments_inspected"),
        serde_json::json!({"metric": "instruments_inspected", "category": null, "actual": 467,
            "target": 402, "ratio": 1.1617, "percent": 116, "status": "achieved"})
    );
    let points = metric_of(&report, "earthing_points_measured");
    assert_eq!(points["percent"], Value::Null);
    assert_eq!(points["status"], "no_target");
}

#[test]
fn vietnamese_report_reproduces_the_department_sentence() {
    let lab = Lab::new();
    lab.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    lab.import("earthing", &fixture("demo/earthing-2023-10.excel-vi.csv"));
    lab.ok(&[
        "plan",
        "set",
        "--period",
        "2023-10",
        "--metric",
        "instruments_inspected",
        "--target",
        "402",
    ]);
    lab.ok(&[
        "plan",
        "set",
        "--period",
        "2023-10",
        "--metric",
        "earthing_points_measured",
        "--target",
        "10",
    ]);
    let text = lab.ok(&["report", "--period", "2023-10", "--lang", "vi"]);
    assert!(
        text.contains("từ ngày 15/09/2023 đến ngày 14/10/2023"),
        "{text}"
    );
    assert!(
        text.contains("kiểm định được 467 PTĐ các loại (Đạt 116% so với kế hoạch đề ra)"),
        "{text}"
    );
    assert!(
        text.contains("Đo điện trở nối đất hệ thống chống sét tại 13 điểm đo (đạt 130% kế hoạch)"),
        "{text}"
    );
    let english = lab.ok(&["report", "--period", "2023-10", "--lang", "en"]);
    assert!(english.contains("467 measuring instruments"), "{english}");
    assert!(english.contains("(116% of plan)"), "{english}");

    let plans = lab.ok(&["plan", "list", "--year", "2023"]);
    assert!(
        plans.contains("instruments_inspected") && plans.contains("402"),
        "{plans}"
    );

    // The figures as a file for Excel: BOM, `;`, Vietnamese headers and dates.
    let csv = lab.ok(&["report", "--period", "2023-10", "--format", "csv"]);
    assert!(
        csv.starts_with("\u{feff}Kỳ báo cáo;Từ ngày;Đến ngày;Chỉ tiêu;Mã PTĐ;"),
        "{csv}"
    );
    assert!(
        csv.contains(
            "2023-10;15/09/2023;14/10/2023;Số PTĐ được kiểm định, hiệu chuẩn;;467;402;116;Đạt kế hoạch\r\n"
        ),
        "{csv}"
    );
    // And as a workbook, written to a file.
    let path = lab.dir.path().join("bao-cao.xlsx");
    let path_text = path.display().to_string();
    lab.ok(&[
        "report", "--period", "2023-10", "--format", "xlsx", "--lang", "en", "--output", &path_text,
    ]);
    let bytes = std::fs::read(&path).expect("the workbook");
    assert!(bytes.starts_with(b"PK\x03\x04"), "a zip");
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook(&path).expect("a workbook calamine reads");
    use calamine::Reader;
    let range = book
        .worksheet_range("Report")
        .expect("the sheet named Report");
    let rows: Vec<_> = range.rows().collect();
    assert_eq!(rows[0][0], calamine::Data::String("period".into()));
    assert!(rows.iter().any(|r| r[5] == calamine::Data::Float(467.0)));
}

#[test]
fn demo_loads_the_month_and_prints_the_sentence() {
    let lab = Lab::new();
    let demo_url = format!("sqlite://{}", lab.dir.path().join("demo.db").display());
    let text = lab.ok(&["demo", "--database-url", &demo_url]);
    assert!(
        text.contains("467 PTĐ các loại (Đạt 116% so với kế hoạch đề ra)"),
        "{text}"
    );
    assert!(
        text.contains("tại 13 điểm đo (đạt 130% kế hoạch)"),
        "{text}"
    );
    // The commands it suggests name the database it loaded.
    assert!(
        text.contains(&format!("metrotrack --database-url {demo_url} report")),
        "{text}"
    );
    // Running it again changes nothing.
    let again = lab.ok(&["demo", "--database-url", &demo_url]);
    assert!(again.contains("already loaded"), "{again}");
    assert!(again.contains("467 PTĐ các loại (Đạt 116%"), "{again}");
}

/// `plan set` takes a quarter; a quarter with only October planned reports "plan set for
/// 1 of 3 months", never a percent of plan; `plan delete` removes a target.
#[test]
fn quarter_plans_are_set_reported_and_deleted() {
    let lab = Lab::new();
    lab.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    let set = |period: &str, target: &str| {
        lab.ok(&[
            "plan",
            "set",
            "--period",
            period,
            "--metric",
            "instruments_inspected",
            "--target",
            target,
        ])
    };
    set("2023-10", "402");
    // Decree 09's fourth quarter (15/09–14/12) holds 472 instruments.
    let text = lab.ok(&["report", "--period", "2023-Q4", "--lang", "vi"]);
    assert!(
        text.contains("472 PTĐ các loại (kế hoạch mới có cho 1/3 tháng)"),
        "{text}"
    );
    let english = lab.ok(&["report", "--period", "2023-Q4", "--lang", "en"]);
    assert!(
        english.contains("(plan set for 1 of 3 months)"),
        "{english}"
    );
    assert!(!english.contains("% of plan"), "{english}");
    let q4 = lab.achievement("2023-Q4", "decree09");
    let figure = metric_of(&q4, "instruments_inspected");
    assert_eq!(figure["status"], "partial_target");
    assert_eq!(figure["planned_months"], serde_json::json!(["2023-10"]));

    assert!(set("2023-Q4", "500").contains("plan set: 2023-Q4"));
    let q4 = lab.achievement("2023-Q4", "decree09");
    let figure = metric_of(&q4, "instruments_inspected");
    assert_eq!(
        (figure["status"].clone(), figure["target"].clone()),
        (Value::from("below_target"), Value::from(500))
    );
    let deleted = lab.ok(&[
        "plan",
        "delete",
        "--period",
        "2023-Q4",
        "--metric",
        "instruments_inspected",
    ]);
    assert!(deleted.contains("plan deleted: 2023-Q4"), "{deleted}");
    let again = lab.run(&[
        "plan",
        "delete",
        "--period",
        "2023-Q4",
        "--metric",
        "instruments_inspected",
    ]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not found"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let plans = lab.ok(&["plan", "list", "--year", "2023"]);
    assert!(!plans.contains("2023-Q4"), "{plans}");
}

#[test]
fn an_exported_month_imports_into_a_fresh_database_as_the_same_report() {
    let lab = Lab::new();
    lab.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    lab.import("earthing", &fixture("demo/earthing-2023-10.excel-vi.csv"));
    let fresh = Lab::new();
    for (list, kind, format) in [
        ("inspections", "inspections", "csv"),
        ("earthing", "earthing", "xlsx"),
    ] {
        let path = fresh.dir.path().join(format!("{list}.{format}"));
        let path_text = path.display().to_string();
        lab.ok(&[
            "export", list, "--period", "2023-10", "--format", format, "--output", &path_text,
        ]);
        fresh.import(kind, &path);
    }
    let csv = lab.ok(&["export", "inspections", "--period", "2023-10"]);
    assert!(csv.starts_with("\u{feff}Ngày kiểm định;"), "{csv}");
    let records = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(csv.as_bytes())
        .records()
        .count();
    assert_eq!(records, 497);
    assert_eq!(
        fresh.achievement("2023-10", "decree09")["metrics"],
        lab.achievement("2023-10", "decree09")["metrics"]
    );
}

/// `settings set` keeps the letterhead (shown back by `settings show`); `report --format
/// docx` writes the month's document with it, and without `--output` is a usage error.
#[test]
fn the_report_document_is_written_with_the_lab_settings() {
    use std::io::Read;
    let lab = Lab::new();
    lab.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    let shown = lab.ok(&[
        "settings",
        "set",
        "--issuing-body",
        "Trung tâm Kỹ thuật TCĐLCL",
        "--symbol",
        "TTKT",
        "--place",
        "Bắc Ninh",
        "--signer-title",
        "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC",
        "--signer-name",
        "Lê Thị Hoa",
        "--recipient",
        "Sở KH&CN (để b/c)",
    ]);
    assert!(
        shown.contains("signer_title\tKT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC"),
        "{shown}"
    );
    let again = lab.ok(&["settings", "show", "--format", "json"]);
    let settings: Value = serde_json::from_str(&again).expect("json");
    assert_eq!(settings["signer_title"], "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC");
    assert_eq!(
        settings["recipients"],
        serde_json::json!(["Sở KH&CN (để b/c)"])
    );

    let refused = lab.run(&["report", "--period", "2023-10", "--format", "docx"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("give --output FILE"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let path = lab.dir.path().join("bao-cao.docx");
    lab.ok(&[
        "report",
        "--period",
        "2023-10",
        "--format",
        "docx",
        "--issued-on",
        "2023-11-05",
        "--output",
        &path.display().to_string(),
    ]);
    let file = std::fs::File::open(&path).expect("the document");
    let mut zip = zip::ZipArchive::new(file).expect("a .docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("its body")
        .read_to_string(&mut xml)
        .expect("UTF-8");
    for text in [
        ">TRUNG TÂM KỸ THUẬT TCĐLCL<",
        ">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<",
        ">Bắc Ninh, ngày 05 tháng 11 năm 2023<",
        ">PHÓ GIÁM ĐỐC<",
        ">Lê Thị Hoa<",
        ">- Sở KH&amp;CN (để b/c);<",
        "kiểm định được 467 PTĐ các loại",
    ] {
        assert!(xml.contains(text), "{text:?} in the document");
    }
}
