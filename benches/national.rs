//! National-scale benchmark: `metrotrack import` against the databases' own bulk loaders
//! on the same file, and the dashboard's figures over the imported history.
//!
//! ```text
//! cargo bench --bench national                      # 1,000,000 rows, 3 alternating runs
//! cargo bench --bench national -- --rows 10000000 --runs 1
//! ```
//!
//! The log is generated under `target/bench/` (Vietnamese headers, `;`, `dd/mm/yyyy`,
//! decimal comma: the Excel shape). Contenders, alternating in each run:
//! - `sqlite3 .import` into a flat table with one unique index;
//! - `metrotrack import` into a fresh SQLite database;
//! - `psql \copy` into a flat table with one unique index, and `metrotrack import` into a
//!   fresh PostgreSQL database (when `METROTRACK_BENCH_POSTGRES_URL`, default
//!   `postgres://postgres@127.0.0.1:5432/test`, is reachable).
//!
//! Printed: median seconds, rows/s, peak RSS (GNU time), and each metrotrack time as a
//! ratio of its database's own loader. Then the monthly achievement, the year series and
//! the due list timed over the imported SQLite history.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use chrono::NaiveDate;
use metrotrack_core::{PeriodSpec, Scheme};
use metrotrack_store::{SqliteStore, Store};

const HEADER: &str = "STT;Ngày kiểm định;Tên PTĐ;Số sản xuất;Kiểu;Cơ sở sản xuất;Đơn vị sử dụng;\
Hình thức;Loại kiểm định;Quy trình;Kết quả;Sai số (%);Số GCN;Số tem;Hiệu lực đến;\
Người thực hiện;Người soát lại;Ghi chú";

const FLAT_TABLE: &str = "create table flat (stt text, ngay text, ten text, so_sx text, kieu text, \
    csx text, dvsd text, hinh_thuc text, loai_kd text, quy_trinh text, ket_qua text, sai_so text, \
    gcn text, tem text, hieu_luc text, nguoi_th text, nguoi_sl text, ghi_chu text); \
    create unique index flat_key on flat (ten, so_sx, csx, hinh_thuc, ngay);";

struct Options {
    rows: u64,
    runs: usize,
    postgres: String,
}

fn options() -> Options {
    let mut o = Options {
        rows: 1_000_000,
        runs: 3,
        postgres: std::env::var("METROTRACK_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned()),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => o.rows = args.next().and_then(|v| v.parse().ok()).unwrap_or(o.rows),
            "--runs" => o.runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(o.runs),
            "--postgres" => o.postgres = args.next().unwrap_or(o.postgres),
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
    let size = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    println!(
        "log: {} ({} rows, {:.0} MB)",
        log.display(),
        o.rows,
        size as f64 / 1e6
    );

    let binary = env!("CARGO_BIN_EXE_metrotrack");
    let pg_ok = psql(&o.postgres, "select 1").is_ok();
    if !pg_ok {
        println!(
            "PostgreSQL not reachable at {}: its contenders are skipped",
            o.postgres
        );
    }
    let mut results: Vec<(&str, Vec<Measure>)> = vec![
        ("sqlite3 .import (flat, 1 unique index)", vec![]),
        ("metrotrack import → SQLite", vec![]),
        ("psql \\copy (flat, 1 unique index)", vec![]),
        ("metrotrack import → PostgreSQL", vec![]),
    ];
    let app_db = dir.join("metrotrack-bench.db");
    for run in 0..o.runs {
        eprintln!("run {}/{} …", run + 1, o.runs);
        let flat = dir.join("flat.db");
        remove_db(&flat);
        let script = format!(
            "{FLAT_TABLE}\n.mode csv\n.separator ;\n.import --skip 1 {} flat\n",
            log.display()
        );
        results[0]
            .1
            .push(timed(Command::new("sqlite3").arg(&flat), Some(&script)));

        remove_db(&app_db);
        let url = format!("sqlite://{}", app_db.display());
        results[1].1.push(timed(
            Command::new(binary)
                .args(["--database-url", &url, "import", "inspections"])
                .arg(&log)
                .args(["--format", "json", "--user", "bench"]),
            None,
        ));

        if pg_ok {
            let flat_url = recreate_pg_database(&o.postgres, "mt_bench_flat");
            psql(&flat_url, FLAT_TABLE).expect("create the flat table");
            let copy = format!(
                "\\copy flat from '{}' with (format csv, delimiter ';', header true)",
                log.display()
            );
            results[2].1.push(timed(
                Command::new("psql").args(["-q", &flat_url, "-c", &copy]),
                None,
            ));

            let app_url = recreate_pg_database(&o.postgres, "mt_bench_app");
            results[3].1.push(timed(
                Command::new(binary)
                    .args(["--database-url", &app_url, "import", "inspections"])
                    .arg(&log)
                    .args(["--format", "json", "--user", "bench"]),
                None,
            ));
        }
    }

    println!();
    println!(
        "{:<42} {:>9} {:>11} {:>10} {:>8}",
        "import", "median s", "rows/s", "peak RSS", "ratio"
    );
    let median_of = |i: usize| median(results[i].1.iter().filter(|m| m.ok).map(|m| m.seconds));
    let baselines = [None, median_of(0), None, median_of(2)];
    for (i, (name, measures)) in results.iter().enumerate() {
        let Some(secs) = median_of(i) else {
            if !measures.is_empty() {
                println!("{name:<42} failed: {}", measures[0].note);
            }
            continue;
        };
        let rss = measures.iter().map(|m| m.peak_rss_kib).max().unwrap_or(0);
        let ratio = baselines[i]
            .map(|b| format!("{:.2}×", secs / b))
            .unwrap_or_else(|| "baseline".to_owned());
        println!(
            "{name:<42} {secs:>9.2} {:>11.0} {:>7.1} MiB {ratio:>8}",
            o.rows as f64 / secs,
            rss as f64 / 1024.0
        );
    }

    if median_of(1).is_some() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(figures(&format!("sqlite://{}", app_db.display())));
    }
}

/// Times the monthly achievement, the year series and the due list over the imported
/// history (median of 20 runs each, after one warm-up).
async fn figures(url: &str) {
    let store = SqliteStore::connect(url)
        .await
        .expect("open the bench database");
    let lab = store.default_lab().await.expect("lab");
    let month = PeriodSpec::parse("2023-10")
        .expect("period")
        .resolve(Scheme::Decree09);
    let as_of = NaiveDate::from_ymd_opt(2024, 10, 1).expect("date");
    println!();
    println!(
        "{:<42} {:>12}",
        "figures over the SQLite history", "median ms"
    );
    let mut report = String::new();
    macro_rules! time {
        ($name:expr, $call:expr) => {{
            let _ = $call.await;
            let mut samples = Vec::new();
            for _ in 0..20 {
                let start = Instant::now();
                let _ = $call.await;
                samples.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            let _ = writeln!(
                report,
                "{:<42} {:>12.2}",
                $name,
                median(samples.into_iter()).unwrap_or(0.0)
            );
        }};
    }
    time!("achievement 2023-10", store.achievement(lab, month));
    time!(
        "year series 2023",
        store.year_achievement(lab, 2023, Scheme::Decree09, as_of)
    );
    time!("due list (30 days)", store.due_list(lab, 30, as_of));
    print!("{report}");
}

struct Measure {
    ok: bool,
    seconds: f64,
    peak_rss_kib: u64,
    note: String,
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
        .stdout(Stdio::null())
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
            note: String::new(),
        },
        Ok(out) => Measure {
            ok: false,
            seconds: 0.0,
            peak_rss_kib,
            note: String::from_utf8_lossy(&out.stderr)
                .lines()
                .take(3)
                .collect::<Vec<_>>()
                .join(" | "),
        },
        Err(e) => Measure {
            ok: false,
            seconds: 0.0,
            peak_rss_kib: 0,
            note: e.to_string(),
        },
    }
}

fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(PathBuf::from(p));
    }
}

fn psql(url: &str, sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Drops and creates `name` next to the database `admin_url` names; returns its URL.
fn recreate_pg_database(admin_url: &str, name: &str) -> String {
    let _ = psql(
        admin_url,
        &format!("drop database if exists {name} with (force)"),
    );
    psql(admin_url, &format!("create database {name}")).expect("create a bench database");
    match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{admin_url}/{name}"),
    }
}

/// Writes a deterministic inspections log of `rows` rows in the Excel shape.
fn generate(path: &Path, rows: u64) -> std::io::Result<()> {
    const CATEGORIES: &[(&str, &str, &str)] = &[
        ("CT1P", "EMIC", "DDS26"),
        ("CT1P", "Gelex", "CE-18"),
        ("CT3P", "EMIC", "Mk6N"),
        ("DHN", "Zenner", "MNK-N DN15"),
        ("DHN", "Sensus", "620C DN20"),
        ("CB", "Nhơn Hòa", "NHB-150"),
        ("HAK", "Omron", "HEM-7120"),
        ("TXM", "Bạch Kim", "TX-08"),
    ];
    const TECHNICIANS: &[&str] = &[
        "Nguyễn Văn Hùng",
        "Trần Thị Mai",
        "Lê Quốc Bảo",
        "Phạm Minh Tuấn",
    ];
    const OWNERS: &[&str] = &[
        "Điện lực Đông Hà",
        "Công ty Cấp nước Quảng Trị",
        "Bệnh viện Đa khoa tỉnh",
        "Hợp tác xã Vận tải Thành Công",
    ];
    let tmp = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(&tmp)?);
    writeln!(out, "{HEADER}")?;
    let start = NaiveDate::from_ymd_opt(2022, 12, 15).expect("date");
    let mut state: u64 = 0x2023_1015;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    for i in 0..rows {
        let r = next();
        // Every tenth row calibrates the instrument of the row five before it.
        let (instrument, kind) = if i % 10 == 9 {
            (i - 5, "Hiệu chuẩn")
        } else {
            (i, "Kiểm định")
        };
        let (code, maker, model) = CATEGORIES[(instrument % CATEGORIES.len() as u64) as usize];
        let date = start + chrono::Days::new((instrument * 7 + r % 3) % 365);
        let pass = r % 17 != 0;
        let result = if pass { "Đạt" } else { "Không đạt" };
        let error = format!("{},{:02}", r % 2, r % 100);
        let (cert, stamp) = if pass {
            (format!("GCN-{i:08}"), format!("T-{i:08}"))
        } else {
            (String::new(), String::new())
        };
        writeln!(
            out,
            "{};{};{code};{code}-{instrument:08};{model};{maker};{};{kind};Định kỳ;ĐLVN 39:2012;{result};{error};{cert};{stamp};;{};{};",
            i + 1,
            date.format("%d/%m/%Y"),
            OWNERS[(r % OWNERS.len() as u64) as usize],
            TECHNICIANS[(r % TECHNICIANS.len() as u64) as usize],
            TECHNICIANS[((r >> 3) % TECHNICIANS.len() as u64) as usize],
        )?;
    }
    out.flush()?;
    drop(out);
    fs::rename(tmp, path)
}
