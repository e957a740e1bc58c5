//! National-scale benchmark: `metrotrack import` (command line and HTTP upload) against
//! the databases' own bulk loaders on the same file, then the dashboard's figures over
//! the imported history, timed over HTTP.
//!
//! ```text
//! just bench                                        # 1,000,000 rows, 3 alternating runs
//! just bench 10000000 1                            # rows, runs (positional)
//! cargo bench --bench national -- --rows 200000 --runs 1
//! cargo bench --bench national -- --postgres postgres://postgres@127.0.0.1:5432/test
//! cargo bench --bench national -- --rows 10000000 --runs 1 --only postgres
//! cargo bench --bench national -- --rows 100000 --runs 5 --against ../old/target/release/metrotrack
//! ```
//!
//! `--only sqlite` runs the SQLite contenders (sqlite3, command line, upload), `--only
//! postgres` the PostgreSQL ones (psql, command line): at 10M rows each side takes half
//! an hour or more. `--only excel` runs only the workbook import (`--xlsx-rows`, default
//! 100,000) and the exports of `--rows` rows, with their peak memory (see `excel.rs`).
//! `--only stages` runs one logged import per database and prints where its time goes,
//! stage by stage, and what each index of `inspections` costs (see `stages.rs`); on
//! PostgreSQL, also what its tables cost to fill, index by index, kept row by row or
//! built after the rows, beside `psql \copy` (see `floor.rs`).
//!
//! Needs `sqlite3`, `curl` and GNU time (`/usr/bin/time`); `psql` and a PostgreSQL server
//! for the PostgreSQL contenders (`--postgres URL`, else `METROTRACK_BENCH_POSTGRES_URL`,
//! else `postgres://postgres@127.0.0.1:5432/test`; skipped when not reachable; the bench
//! creates and drops the databases `mt_bench_flat`, `mt_bench_app` and `mt_bench_earlier`
//! next to it).
//!
//! `--against PATH` runs an earlier build of `metrotrack` (say, the release binary of a
//! worktree at the commit before a change) beside this one: its command-line imports
//! into SQLite and PostgreSQL join the contenders, the two builds taking turns going
//! first, and the table ends with this build's time as a ratio of the earlier one's,
//! run by run and their median — a before-and-after on the same machine in one run.
//!
//! The log is generated once per size under `target/bench/` (`inspections-N.csv`:
//! Vietnamese headers, `;`, `dd/mm/yyyy`, decimal comma: the Excel shape), and so are the
//! databases. Contenders, alternating in each run:
//! - `sqlite3 .import` into a flat table with one unique index;
//! - `metrotrack import` into a fresh SQLite database;
//! - the same file uploaded (`POST /api/v1/imports`, `text/csv`, with `curl`) to
//!   `metrotrack serve` on a fresh SQLite database;
//! - `psql \copy` into a flat table with one unique index, and `metrotrack import` into a
//!   fresh PostgreSQL database;
//! - on each database, right after this build's command-line import, the same records
//!   again in a file of another shape (`inspections-N-again.csv`: no row-number column),
//!   every row a duplicate.
//!
//! Printed: median seconds, rows/s, peak RSS (GNU time; for the upload, the server's
//! `VmHWM`), each metrotrack time as a ratio of its baseline (its database's own loader;
//! for the upload, the command-line import into SQLite; for the same records again,
//! their first import), and which targets hold (import ≤ 2.0× the loader, peak RSS ≤
//! 100 MiB, upload ≤ 1.1× the command line, the same records again ≤ 1.0× their first
//! import). Then the
//! monthly achievement, the year series and the due list (first page), each timed over
//! HTTP against `metrotrack serve` on the imported SQLite and PostgreSQL databases: one
//! warm-up, then the median of 20 requests (3 when the warm-up takes over 5 s), against a
//! target of 50 ms.

use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

mod excel;
mod floor;
mod stages;
mod support;
use support::*;

const HEADER: &str = "STT;Ngày kiểm định;Tên PTĐ;Số sản xuất;Kiểu;Cơ sở sản xuất;Đơn vị sử dụng;\
Hình thức;Loại kiểm định;Quy trình;Kết quả;Sai số (%);Số GCN;Số tem;Hiệu lực đến;\
Người thực hiện;Người soát lại;Ghi chú";

const FLAT_TABLE: &str = "create table flat (stt text, ngay text, ten text, so_sx text, kieu text, \
    csx text, dvsd text, hinh_thuc text, loai_kd text, quy_trinh text, ket_qua text, sai_so text, \
    gcn text, tem text, hieu_luc text, nguoi_th text, nguoi_sl text, ghi_chu text); \
    create unique index flat_key on flat (ten, so_sx, csx, hinh_thuc, ngay);";

/// psql's `\copy` of `log` into [`FLAT_TABLE`]: the loader PostgreSQL's contenders are
/// measured against.
fn copy_flat(log: &Path) -> String {
    format!(
        "\\copy flat from '{}' with (format csv, delimiter ';', header true)",
        log.display()
    )
}

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The contenders, in the order they run within a run and are printed.
const SQLITE3: usize = 0;
const CLI_SQLITE: usize = 1;
const HTTP_SQLITE: usize = 2;
const PSQL: usize = 3;
const CLI_POSTGRES: usize = 4;
/// An earlier build's command-line imports (`--against`), run beside this build's.
const EARLIER_SQLITE: usize = 5;
const EARLIER_POSTGRES: usize = 6;
/// The same records again, in a file of another shape (no row-number column): every
/// row a duplicate, into the database this build's command line just filled.
const AGAIN_SQLITE: usize = 7;
const AGAIN_POSTGRES: usize = 8;
const CONTENDERS: usize = 9;

const NAMES: [&str; CONTENDERS] = [
    "sqlite3 .import (flat, 1 unique index)",
    "metrotrack import → SQLite",
    "HTTP upload → serve on SQLite",
    "psql \\copy (flat, 1 unique index)",
    "metrotrack import → PostgreSQL",
    "earlier build's import → SQLite",
    "earlier build's import → PostgreSQL",
    "same records again (all duplicates) → SQLite",
    "same records again (all duplicates) → PostgreSQL",
];

/// The same, short, for the baseline column and the targets.
const SHORT_NAMES: [&str; CONTENDERS] = [
    "sqlite3 .import",
    "CLI → SQLite",
    "HTTP → SQLite",
    "psql \\copy",
    "CLI → PostgreSQL",
    "earlier CLI → SQLite",
    "earlier CLI → PostgreSQL",
    "again → SQLite",
    "again → PostgreSQL",
];

/// Each contender's baseline, and the largest ratio to it that meets the target: an
/// import within 2.0× its database's own loader, the upload within 1.1× the command
/// line, the same records again within 1.0× their first import.
const BASELINES: [Option<(usize, f64)>; CONTENDERS] = [
    None,
    Some((SQLITE3, 2.0)),
    Some((CLI_SQLITE, 1.1)),
    None,
    Some((PSQL, 2.0)),
    Some((SQLITE3, 2.0)),
    Some((PSQL, 2.0)),
    Some((CLI_SQLITE, 1.0)),
    Some((CLI_POSTGRES, 1.0)),
];

/// This build's contenders that an earlier build's run against.
const AGAINST: [(usize, usize); 2] = [
    (CLI_SQLITE, EARLIER_SQLITE),
    (CLI_POSTGRES, EARLIER_POSTGRES),
];

/// Peak RSS target of metrotrack's own processes.
const RSS_TARGET_MIB: f64 = 100.0;

/// Target for each figure request.
const FIGURE_TARGET_MS: f64 = 50.0;

/// The figures' requests: what they are called and their path.
const FIGURES: [(&str, &str); 3] = [
    ("achievement 2023-10", "/api/v1/achievement?period=2023-10"),
    (
        "year series 2023 (as of 2024-10-01)",
        "/api/v1/achievement?year=2023&as_of=2024-10-01",
    ),
    (
        "due list, 30 days (first page)",
        "/api/v1/due?within=30&as_of=2024-10-01",
    ),
];

struct Options {
    rows: u64,
    runs: usize,
    postgres: String,
    sqlite: bool,
    /// Whether the PostgreSQL contenders run (when the server is reachable).
    on_postgres: bool,
    /// An earlier build of `metrotrack` whose imports run beside this build's.
    against: Option<PathBuf>,
    /// Whether the workbook import and the exports are measured, and the workbook's rows.
    excel: bool,
    xlsx_rows: u64,
    /// Whether only the import's stages and the indexes' costs are measured.
    stages: bool,
}

fn options() -> Options {
    let mut o = Options {
        rows: 1_000_000,
        runs: 3,
        postgres: std::env::var("METROTRACK_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned()),
        sqlite: true,
        on_postgres: true,
        against: None,
        excel: true,
        xlsx_rows: 100_000,
        stages: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => {
                o.rows = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--rows takes a number of rows")
            }
            "--runs" => {
                o.runs = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--runs takes a number of runs, at least 1")
            }
            "--postgres" => o.postgres = args.next().expect("--postgres takes a database URL"),
            "--against" => {
                let path = PathBuf::from(args.next().expect("--against takes a metrotrack binary"));
                assert!(
                    path.is_file(),
                    "--against: {} is not a file",
                    path.display()
                );
                o.against = Some(path);
            }
            "--xlsx-rows" => {
                o.xlsx_rows = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--xlsx-rows takes a number of rows")
            }
            "--only" => match args.next().as_deref() {
                Some("sqlite") => (o.on_postgres, o.excel) = (false, false),
                Some("postgres") => (o.sqlite, o.excel) = (false, false),
                Some("excel") => (o.sqlite, o.on_postgres) = (false, false),
                Some("stages") => (o.sqlite, o.excel, o.stages) = (false, false, true),
                _ => panic!("--only takes sqlite, postgres, excel or stages"),
            },
            _ => {} // cargo passes --bench
        }
    }
    o
}

fn main() {
    let o = options();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    fs::create_dir_all(&dir).expect("create target/bench");
    let log = dir.join(format!("inspections-{}.csv", o.rows));
    if !log.exists() {
        eprintln!("generating {} …", log.display());
        generate(&log, o.rows).expect("generate the log");
    }
    let again = dir.join(format!("inspections-{}-again.csv", o.rows));
    if !again.exists() {
        reshape(&log, &again).expect("write the log again in another shape");
    }
    let size = fs::metadata(&log).expect("read the log's size").len();
    println!(
        "log: {} ({} rows, {:.0} MB)",
        log.display(),
        thousands(o.rows),
        size as f64 / 1e6
    );

    let binary = Path::new(env!("CARGO_BIN_EXE_metrotrack"));
    let pg_ok = o.on_postgres && psql(&o.postgres, "select 1").is_ok();
    if o.on_postgres && !pg_ok {
        println!(
            "PostgreSQL not reachable at {}: its contenders are skipped",
            o.postgres
        );
    }
    // Files past the default upload bound (256 MiB: the 10M-row log) are allowed.
    let limit = (size + (1 << 20)).to_string();
    if o.stages {
        stages::run(binary, &dir, &log, &limit, &o, pg_ok);
        return;
    }
    let mut results: [Vec<Measure>; CONTENDERS] = Default::default();
    let app_db = dir.join("metrotrack-bench.db");
    let app_url = sqlite_url(&app_db);
    let mut pg_app_url = None;
    for run in 0..o.runs {
        eprintln!("run {}/{} …", run + 1, o.runs);
        if o.sqlite {
            let flat = dir.join("flat.db");
            remove_db(&flat);
            let script = format!(
                "{FLAT_TABLE}\n.mode csv\n.separator ;\n.import --skip 1 {} flat\n",
                log.display()
            );
            results[SQLITE3].push(timed(Command::new("sqlite3").arg(&flat), Some(&script)));

            // This build and the earlier one take turns going first.
            let mut imports = vec![(CLI_SQLITE, binary)];
            if let Some(earlier) = &o.against {
                imports.push((EARLIER_SQLITE, earlier.as_path()));
            }
            if run % 2 == 1 {
                imports.reverse();
            }
            let earlier_last = imports.last().map(|(c, _)| *c) == Some(EARLIER_SQLITE);
            for (contender, program) in imports {
                remove_db(&app_db);
                results[contender].push(timed(
                    &mut cli_import(program, &app_url, &log, &limit),
                    None,
                ));
            }
            // The last import into `app_db` must be this build's: the figures read it (and
            // an earlier build may have migrated it differently).
            if earlier_last {
                remove_db(&app_db);
                let mut again = cli_import(binary, &app_url, &log, &limit);
                let status = again.stdout(Stdio::null()).status();
                assert!(
                    status.is_ok_and(|s| s.success()),
                    "re-import for the figures"
                );
            }

            results[AGAIN_SQLITE].push(timed(
                &mut cli_import(binary, &app_url, &again, &limit),
                None,
            ));
            results[HTTP_SQLITE].push(http_upload(binary, &dir, &log, size));
        }

        if pg_ok {
            let flat_url = recreate_pg_database(&o.postgres, "mt_bench_flat");
            psql(&flat_url, FLAT_TABLE).expect("create the flat table");
            let copy = copy_flat(&log);
            results[PSQL].push(timed(
                Command::new("psql").args(["-q", "-v", "ON_ERROR_STOP=1", &flat_url, "-c", &copy]),
                None,
            ));

            let mut imports = vec![(CLI_POSTGRES, binary)];
            if let Some(earlier) = &o.against {
                imports.push((EARLIER_POSTGRES, earlier.as_path()));
            }
            if run % 2 == 0 {
                imports.reverse();
            }
            // This build's database is the one kept for the figures.
            for (contender, program) in imports {
                let name = if contender == CLI_POSTGRES {
                    "mt_bench_app"
                } else {
                    "mt_bench_earlier"
                };
                let url = recreate_pg_database(&o.postgres, name);
                results[contender].push(timed(&mut cli_import(program, &url, &log, &limit), None));
                if contender == CLI_POSTGRES {
                    results[AGAIN_POSTGRES]
                        .push(timed(&mut cli_import(program, &url, &again, &limit), None));
                    pg_app_url = Some(url);
                }
            }
        }
    }

    if o.sqlite || pg_ok {
        print_imports(&o, &results);
    }
    if o.excel {
        excel::run(binary, &dir, &o);
    }

    // The figures run on the databases the last run's command-line imports left.
    let stored = |i: usize| results[i].last().filter(|m| m.ok).and_then(|m| m.inserted);
    let mut histories = Vec::new();
    if let Some(n) = stored(CLI_SQLITE) {
        histories.push(("SQLite", app_url.clone(), n));
    }
    if let (Some(url), Some(n)) = (pg_app_url, stored(CLI_POSTGRES)) {
        histories.push(("PostgreSQL", url, n));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("start a tokio runtime");
    for (backend, url, stored) in histories {
        let log_file = dir.join(format!("figures-{}.log", backend.to_lowercase()));
        let token = create_token(binary, &url, "bench-reader", "reader");
        let server = Server::start(binary, &url, &log_file, &[]);
        println!();
        println!(
            "figures over HTTP, {backend}, {} stored inspections",
            thousands(stored)
        );
        println!(
            "{:<42} {:>9} {:>8}  note",
            "request", "median ms", "< 50 ms"
        );
        for (name, path) in FIGURES {
            let figure = runtime.block_on(time_figure(&server.base, &token, path));
            match figure {
                Ok(f) => println!(
                    "{name:<42} {:>9.2} {:>8}  {}",
                    f.median_ms,
                    yes_no(f.median_ms < FIGURE_TARGET_MS),
                    f.note
                ),
                Err(e) => println!("{name:<42} failed: {e}"),
            }
        }
        drop(server);
    }
}

/// Writes `log` again without its row-number column: the same records, another file.
fn reshape(log: &Path, out: &Path) -> std::io::Result<()> {
    let mut w = BufWriter::new(fs::File::create(out)?);
    for line in BufReader::new(fs::File::open(log)?).lines() {
        let line = line?;
        let rest = line.split_once(';').map_or(line.as_str(), |(_, rest)| rest);
        writeln!(w, "{rest}")?;
    }
    w.flush()
}

/// Prints the import table and which targets hold.
/// `metrotrack import inspections` of `log` by `program` into `url`, its batch as JSON.
fn cli_import(program: &Path, url: &str, log: &Path, limit: &str) -> Command {
    let mut command = Command::new(program);
    command
        .args(["--database-url", url, "import", "inspections"])
        .arg(log)
        .args(["--format", "json", "--user", "bench"])
        .args(["--max-upload-bytes", limit]);
    command
}

fn print_imports(o: &Options, results: &[Vec<Measure>; CONTENDERS]) {
    let median_of = |i: usize| median(results[i].iter().filter(|m| m.ok).map(|m| m.seconds));
    println!();
    println!(
        "import of {} rows, median of {} run{}",
        thousands(o.rows),
        o.runs,
        if o.runs == 1 { "" } else { "s" }
    );
    println!(
        "{:<42} {:>9} {:>11} {:>12} {:>8}  baseline",
        "contender", "median s", "rows/s", "peak RSS", "ratio"
    );
    for (i, measures) in results.iter().enumerate() {
        let name = NAMES[i];
        let Some(secs) = median_of(i) else {
            if let Some(failed) = measures.iter().find(|m| !m.ok) {
                let note: String = failed.note.chars().take(240).collect();
                println!("{name:<42} failed: {note}");
            }
            continue;
        };
        let (ratio, baseline) = match BASELINES[i] {
            None => ("—".to_owned(), "(baseline)"),
            Some((b, _)) => (
                median_of(b).map_or("—".to_owned(), |b| format!("{:.2}×", secs / b)),
                SHORT_NAMES[b],
            ),
        };
        println!(
            "{name:<42} {secs:>9.2} {:>11} {:>8.1} MiB {ratio:>8}  {baseline}",
            thousands((o.rows as f64 / secs).round() as u64),
            peak_rss_mib(measures)
        );
    }

    println!();
    println!("{:<44} {:>10}  holds", "targets", "measured");
    for (i, baseline) in BASELINES.iter().enumerate() {
        let (Some((b, limit)), Some(secs)) = (baseline, median_of(i)) else {
            continue;
        };
        let Some(base) = median_of(*b) else {
            continue;
        };
        let ratio = secs / base;
        println!(
            "  {:<42} {:>10}  {}",
            format!("{} ≤ {limit:.1}× {}", SHORT_NAMES[i], SHORT_NAMES[*b]),
            format!("{ratio:.2}×"),
            yes_no(ratio <= *limit)
        );
    }
    for i in [
        CLI_SQLITE,
        HTTP_SQLITE,
        CLI_POSTGRES,
        AGAIN_SQLITE,
        AGAIN_POSTGRES,
    ] {
        if median_of(i).is_none() {
            continue;
        }
        let rss = peak_rss_mib(&results[i]);
        println!(
            "  {:<42} {:>10}  {}",
            format!("{} peak RSS ≤ {RSS_TARGET_MIB:.0} MiB", SHORT_NAMES[i]),
            format!("{rss:.1} MiB"),
            yes_no(rss <= RSS_TARGET_MIB)
        );
    }
    for (this, earlier) in AGAINST {
        let paired: Vec<f64> = results[this]
            .iter()
            .zip(&results[earlier])
            .filter(|(a, b)| a.ok && b.ok)
            .map(|(a, b)| a.seconds / b.seconds)
            .collect();
        let Some(ratio) = median(paired.iter().copied()) else {
            continue;
        };
        println!(
            "  {:<42} {:>10}  {}",
            format!("{} ≤ 1.0× {}", SHORT_NAMES[this], SHORT_NAMES[earlier]),
            format!("{ratio:.3}×"),
            yes_no(ratio <= 1.0)
        );
        let each: Vec<String> = paired.iter().map(|r| format!("{r:.3}")).collect();
        println!("    (run by run: {})", each.join(", "));
    }
    let inserted: Vec<(usize, u64)> = [
        CLI_SQLITE,
        HTTP_SQLITE,
        CLI_POSTGRES,
        EARLIER_SQLITE,
        EARLIER_POSTGRES,
    ]
    .into_iter()
    .filter_map(|i| Some((i, results[i].iter().find(|m| m.ok)?.inserted?)))
    .collect();
    if inserted.iter().any(|&(_, n)| n != inserted[0].1) {
        println!();
        for (i, n) in inserted {
            println!("warning: {} stored {} rows", NAMES[i], thousands(n));
        }
    }
    for i in [AGAIN_SQLITE, AGAIN_POSTGRES] {
        if let Some(n) = results[i].iter().find(|m| m.ok).and_then(|m| m.inserted)
            && n > 0
        {
            let n = thousands(n);
            println!("warning: {} stored {n} rows: not all duplicates", NAMES[i]);
        }
    }
}

fn yes_no(holds: bool) -> &'static str {
    if holds { "yes" } else { "NO" }
}

/// The largest peak RSS of the measures, in MiB.
fn peak_rss_mib(measures: &[Measure]) -> f64 {
    measures.iter().map(|m| m.peak_rss_kib).max().unwrap_or(0) as f64 / 1024.0
}

#[derive(Default)]
struct Measure {
    ok: bool,
    seconds: f64,
    peak_rss_kib: u64,
    /// Rows stored, when the contender says (metrotrack's batch JSON).
    inserted: Option<u64>,
    note: String,
}

impl Measure {
    fn failed(note: impl Into<String>, peak_rss_kib: u64) -> Self {
        Measure {
            peak_rss_kib,
            note: note.into(),
            ..Measure::default()
        }
    }
}

/// `inserted` of the batch JSON on the last line of `stdout`, if there is one.
fn inserted(stdout: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    serde_json::from_str::<serde_json::Value>(line)
        .ok()?
        .get("inserted")?
        .as_u64()
}

/// Runs `command` under GNU time, feeding `stdin` if given; wall time and peak RSS.
fn timed(command: &mut Command, stdin: Option<&str>) -> Measure {
    let rss_file = std::env::temp_dir().join(format!("mt-bench-rss-{}", std::process::id()));
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .arg(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let start = Instant::now();
    let result = wrapped.spawn().and_then(|mut child| {
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes())?;
        }
        child.wait_with_output()
    });
    let elapsed = start.elapsed();
    let peak_rss_kib = fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    let _ = fs::remove_file(&rss_file);
    match result {
        Ok(out) if out.status.success() => Measure {
            ok: true,
            seconds: elapsed.as_secs_f64(),
            peak_rss_kib,
            inserted: inserted(&out.stdout),
            note: String::new(),
        },
        Ok(out) => Measure::failed(first_lines(&out.stderr), peak_rss_kib),
        Err(e) => Measure::failed(e.to_string(), 0),
    }
}

/// Uploads `log` (`size` bytes) with `curl` to `metrotrack serve` on a fresh SQLite
/// database: the request's wall time, and the server's peak RSS.
fn http_upload(binary: &Path, dir: &Path, log: &Path, size: u64) -> Measure {
    let db = dir.join("http.db");
    remove_db(&db);
    let url = sqlite_url(&db);
    metrotrack(binary, &url, &["migrate"]);
    let token = create_token(binary, &url, "bench", "technician");
    let limit = (size + (1 << 20)).to_string();
    let server = Server::start(
        binary,
        &url,
        &dir.join("http-serve.log"),
        &[
            "--max-upload-bytes",
            &limit,
            "--upload-timeout-secs",
            "86400",
        ],
    );
    let file_name = log
        .file_name()
        .and_then(|n| n.to_str())
        .expect("the log's name is UTF-8");
    let endpoint = format!(
        "{}/api/v1/imports?kind=inspections&file_name={file_name}",
        server.base
    );
    let start = Instant::now();
    // -T streams the file (--data-binary would read it all into memory first); an empty
    // `Expect:` stops curl waiting for a 100 Continue.
    let result = Command::new("curl")
        .args(["-sS", "-X", "POST", "-T"])
        .arg(log)
        .args(["-H", "content-type: text/csv", "-H", "Expect:"])
        .args(["-H", &format!("authorization: Bearer {token}")])
        .args(["-w", "\n%{http_code}", &endpoint])
        .stdin(Stdio::null())
        .output();
    let elapsed = start.elapsed();
    let peak_rss_kib = server.peak_rss_kib();
    drop(server);
    let out = match result {
        Ok(out) if out.status.success() => out,
        Ok(out) => return Measure::failed(first_lines(&out.stderr), peak_rss_kib),
        Err(e) => return Measure::failed(format!("cannot run curl: {e}"), peak_rss_kib),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    if status.trim() != "201" {
        let body: String = body.chars().take(300).collect();
        return Measure::failed(format!("HTTP {}: {body}", status.trim()), peak_rss_kib);
    }
    Measure {
        ok: true,
        seconds: elapsed.as_secs_f64(),
        peak_rss_kib,
        inserted: inserted(body.as_bytes()),
        note: String::new(),
    }
}
