//! Workbooks and exports: the peak memory (maximum RSS of the child process, from
//! GNU time's `wait4`) and time of
//! - a `--xlsx-rows`-row `.xlsx` import (default 100,000; the workbook is written once by
//!   rust_xlsxwriter under `target/bench/`, date and number cells as a person keeps them)
//!   against the CSV import of the same rows, in the same runs; and the same log as an
//!   `.ods` (its `content.xml` written here), which calamine reads whole (18 columns of
//!   100,000 rows are 1.8 million cells, under the 2 million an `.ods` may declare);
//! - the CSV and XLSX exports of every inspection of a `--rows`-row database (the
//!   command line's `export inspections`), the XLSX as a ratio of the CSV;
//! - the XLSX export over HTTP from `metrotrack serve` with its default timeouts (the
//!   server's peak RSS, `VmHWM`): a download of a million rows takes longer than the 30 s
//!   a plain request may.
//!
//! With `--against PATH`, the earlier build's exports run beside this build's.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::support::*;
use super::{Measure, Options, cli_import, peak_rss_mib, timed};

/// One contender: its name, its measures, and the contender it is a ratio of.
struct Row {
    name: String,
    measures: Vec<Measure>,
    baseline: Option<usize>,
}

pub(super) fn run(binary: &Path, dir: &Path, o: &Options) {
    let mut rows: Vec<Row> = Vec::new();
    let mut add = |name: String, baseline: Option<usize>| {
        rows.push(Row {
            name,
            measures: Vec::new(),
            baseline,
        });
        rows.len() - 1
    };
    let n = o.xlsx_rows;
    let csv_import = add(format!("import {} rows, CSV", thousands(n)), None);
    let xlsx_import = add(
        format!("import {} rows, .xlsx", thousands(n)),
        Some(csv_import),
    );
    let ods_import = add(
        format!("import {} rows, .ods", thousands(n)),
        Some(csv_import),
    );
    let csv_export = add(format!("export {} rows, CSV", thousands(o.rows)), None);
    let xlsx_export = add(
        format!("export {} rows, XLSX", thousands(o.rows)),
        Some(csv_export),
    );
    let http_export = add(
        format!("GET {} rows ?format=xlsx", thousands(o.rows)),
        Some(xlsx_export),
    );
    let earlier = o.against.as_ref().map(|_| {
        (
            add(
                format!("earlier build: export {} rows, XLSX", thousands(o.rows)),
                Some(xlsx_export),
            ),
            add(
                format!("earlier build: GET {} rows xlsx", thousands(o.rows)),
                Some(http_export),
            ),
        )
    });

    let csv_log = dir.join(format!("inspections-{n}.csv"));
    if !csv_log.exists() {
        eprintln!("generating {} …", csv_log.display());
        generate(&csv_log, n).expect("generate the log");
    }
    let xlsx_log = dir.join(format!("inspections-{n}.xlsx"));
    if !xlsx_log.exists() {
        eprintln!("writing {} …", xlsx_log.display());
        write_workbook(&csv_log, &xlsx_log);
    }
    let ods_log = dir.join(format!("inspections-{n}.ods"));
    if !ods_log.exists() {
        eprintln!("writing {} …", ods_log.display());
        write_ods(&csv_log, &ods_log);
    }
    // The database the exports read: the `--rows` log imported once, kept; an earlier
    // build reads one it imported itself (a newer build's schema may be beyond it).
    let export_url = export_database(binary, dir, o.rows, "");
    let earlier_url = o
        .against
        .as_ref()
        .map(|program| export_database(program, dir, o.rows, "-earlier"));

    let db = dir.join("excel-import.db");
    let url = sqlite_url(&db);
    let limit = (256u64 << 20).to_string();
    for run in 0..o.runs {
        eprintln!("workbooks and exports, run {}/{} …", run + 1, o.runs);
        let mut imports = [
            (csv_import, &csv_log),
            (xlsx_import, &xlsx_log),
            (ods_import, &ods_log),
        ];
        if run % 2 == 1 {
            imports.reverse();
        }
        for (contender, file) in imports {
            remove_db(&db);
            rows[contender]
                .measures
                .push(timed(&mut cli_import(binary, &url, file, &limit), None));
        }
        for (contender, format) in [(csv_export, "csv"), (xlsx_export, "xlsx")] {
            let out = dir.join(format!("export-{}.{format}", o.rows));
            rows[contender]
                .measures
                .push(timed(&mut export(binary, &export_url, format, &out), None));
        }
        rows[http_export]
            .measures
            .push(http_xlsx(binary, &export_url, dir));
        if let (Some(program), Some(url), Some((cli, http))) = (&o.against, &earlier_url, earlier) {
            let out = dir.join(format!("export-{}-earlier.xlsx", o.rows));
            rows[cli]
                .measures
                .push(timed(&mut export(program, url, "xlsx", &out), None));
            rows[http].measures.push(http_xlsx(program, url, dir));
        }
    }
    remove_db(&db);

    println!();
    println!(
        "workbooks and exports: median of {} run{}; peak RSS is the child's maximum",
        o.runs,
        if o.runs == 1 { "" } else { "s" }
    );
    println!(
        "{:<46} {:>9} {:>11} {:>8} {:>9}  baseline",
        "contender", "median s", "peak RSS", "× time", "× RSS"
    );
    let median_of = |row: &Row| median(row.measures.iter().filter(|m| m.ok).map(|m| m.seconds));
    for row in &rows {
        let Some(secs) = median_of(row) else {
            if let Some(failed) = row.measures.iter().find(|m| !m.ok) {
                let note: String = failed.note.chars().take(200).collect();
                println!("{:<46} failed: {note}", row.name);
            }
            continue;
        };
        let rss = peak_rss_mib(&row.measures);
        let (time_ratio, rss_ratio, baseline) = match row.baseline.map(|b| &rows[b]) {
            Some(base) => match median_of(base) {
                Some(base_secs) => (
                    format!("{:.2}×", secs / base_secs),
                    format!("{:.2}×", rss / peak_rss_mib(&base.measures)),
                    base.name.as_str(),
                ),
                None => ("—".to_owned(), "—".to_owned(), base.name.as_str()),
            },
            None => ("—".to_owned(), "—".to_owned(), "(baseline)"),
        };
        println!(
            "{:<46} {secs:>9.2} {rss:>7.1} MiB {time_ratio:>8} {rss_ratio:>9}  {baseline}",
            row.name
        );
    }
}

/// `metrotrack export inspections --format FORMAT --output OUT` on `url`.
fn export(program: &Path, url: &str, format: &str, out: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .args([
            "--database-url",
            url,
            "export",
            "inspections",
            "--format",
            format,
        ])
        .arg("--output")
        .arg(out);
    command
}

/// The URL of `export-{rows}{suffix}.db` under `dir`, the `rows`-row log imported into
/// it by `program` the first time (the database is kept for later runs).
fn export_database(program: &Path, dir: &Path, rows: u64, suffix: &str) -> String {
    let export_db = dir.join(format!("export-{rows}{suffix}.db"));
    let export_url = sqlite_url(&export_db);
    if !export_db.exists() {
        let log = dir.join(format!("inspections-{rows}.csv"));
        if !log.exists() {
            eprintln!("generating {} …", log.display());
            generate(&log, rows).expect("generate the log");
        }
        eprintln!("importing {} for the exports …", log.display());
        let limit = (fs::metadata(&log).map_or(0, |m| m.len()) + (1 << 20)).to_string();
        let status = cli_import(program, &export_url, &log, &limit)
            .stdout(Stdio::null())
            .status();
        assert!(status.is_ok_and(|s| s.success()), "import for the exports");
    }
    export_url
}

/// The XLSX export downloaded with `curl` from `metrotrack serve` on `url` with its
/// default timeouts: the request's wall time and the server's peak RSS.
fn http_xlsx(program: &Path, url: &str, dir: &Path) -> Measure {
    let token = create_token(program, url, "bench-export", "reader");
    let server = Server::start(program, url, &dir.join("export-serve.log"), &[]);
    let out: PathBuf = dir.join("export-http.xlsx");
    let start = Instant::now();
    let result = Command::new("curl")
        .args(["-sS", "-o"])
        .arg(&out)
        .args(["-H", &format!("authorization: Bearer {token}")])
        .args(["-w", "%{http_code}"])
        .arg(format!("{}/api/v1/inspections?format=xlsx", server.base))
        .stdin(Stdio::null())
        .output();
    let seconds = start.elapsed().as_secs_f64();
    let peak_rss_kib = server.peak_rss_kib();
    drop(server);
    match result {
        Ok(o) if o.status.success() && o.stdout == b"200" => Measure {
            ok: true,
            seconds,
            peak_rss_kib,
            inserted: None,
            note: String::new(),
        },
        Ok(o) => Measure::failed(
            format!(
                "HTTP {} after {seconds:.1} s: {}",
                String::from_utf8_lossy(&o.stdout),
                fs::read_to_string(&out)
                    .unwrap_or_default()
                    .chars()
                    .take(160)
                    .collect::<String>()
            ),
            peak_rss_kib,
        ),
        Err(e) => Measure::failed(format!("cannot run curl: {e}"), peak_rss_kib),
    }
}

/// Writes the CSV log `csv` as a workbook the way a person keeps it: the dates as date
/// cells, `STT` and the error as number cells, the rest as text (rust_xlsxwriter's
/// constant-memory mode, so a large log fits).
fn write_workbook(csv: &Path, xlsx: &Path) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_path(csv)
        .expect("open the log");
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let number = Format::new().set_num_format("0.0##");
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .expect("a worksheet");
    let mut header: Vec<String> = Vec::new();
    for (r, record) in reader.records().enumerate() {
        let record = record.expect("a record");
        let row = u32::try_from(r).expect("row");
        if r == 0 {
            header = record.iter().map(str::to_owned).collect();
        }
        for (c, value) in record.iter().enumerate() {
            let col = u16::try_from(c).expect("column");
            let name = header.get(c).map_or("", String::as_str);
            if r == 0 || value.is_empty() {
                sheet.write_string(row, col, value).expect("cell");
            } else if name.starts_with("Ngày") || name == "Hiệu lực đến" {
                let mut parts = value.split('/').map(|p| p.parse::<u16>().expect("date"));
                let (d, m, y) = (
                    parts.next().expect("day"),
                    parts.next().expect("month"),
                    parts.next().expect("year"),
                );
                let at = ExcelDateTime::from_ymd(
                    y,
                    u8::try_from(m).expect("month"),
                    u8::try_from(d).expect("day"),
                )
                .expect("a date");
                sheet
                    .write_datetime_with_format(row, col, &at, &date)
                    .expect("cell");
            } else if name == "STT" || name == "Sai số (%)" {
                let n: f64 = value.replace(',', ".").parse().expect("a number");
                sheet
                    .write_number_with_format(row, col, n, &number)
                    .expect("cell");
            } else {
                sheet.write_string(row, col, value).expect("cell");
            }
        }
    }
    workbook.save(xlsx).expect("save the workbook");
}

/// Writes the CSV log `csv` as an OpenDocument spreadsheet: dates as date cells, `STT`
/// and the error as float cells, the rest as string cells.
fn write_ods(csv: &Path, ods: &Path) {
    use std::io::Write;
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_path(csv)
        .expect("open the log");
    let file = fs::File::create(ods).expect("create the .ods");
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("mimetype", stored).expect("part");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .expect("write");
    zip.start_file("META-INF/manifest.xml", deflated)
        .expect("part");
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).expect("write");
    zip.start_file("content.xml", deflated).expect("part");
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="log">"#).expect("write");
    let mut header: Vec<String> = Vec::new();
    let mut row = String::new();
    for (r, record) in reader.records().enumerate() {
        let record = record.expect("a record");
        if r == 0 {
            header = record.iter().map(str::to_owned).collect();
        }
        row.clear();
        row.push_str("<table:table-row>");
        for (c, value) in record.iter().enumerate() {
            let name = header.get(c).map_or("", String::as_str);
            if value.is_empty() {
                row.push_str("<table:table-cell/>");
            } else if r > 0 && (name.starts_with("Ngày") || name == "Hiệu lực đến") {
                let mut parts = value.split('/');
                let (d, m, y) = (
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                );
                row.push_str(&format!(
                    r#"<table:table-cell office:value-type="date" office:date-value="{y}-{m}-{d}"><text:p>{value}</text:p></table:table-cell>"#
                ));
            } else if r > 0 && (name == "STT" || name == "Sai số (%)") {
                let n = value.replace(',', ".");
                row.push_str(&format!(
                    r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#
                ));
            } else {
                row.push_str(&format!(
                    r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                    escape(value)
                ));
            }
        }
        row.push_str("</table:table-row>");
        zip.write_all(row.as_bytes()).expect("write");
    }
    zip.write_all(b"</table:table></office:spreadsheet></office:body></office:document-content>")
        .expect("write");
    zip.finish().expect("finish the .ods");
}
