//! End-to-end on PostgreSQL: the real `metrotrack` binary against a throwaway database
//! gives what it gives on SQLite; imports racing in two processes; and a process killed
//! in the middle of a large import leaves the whole batch or none of it, on both
//! backends.
//!
//! The PostgreSQL tests need `METROTRACK_TEST_POSTGRES_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`); without it they say they were skipped.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use metrotrack_store::postgres::testing::fresh_database;
use serde_json::Value;
use sqlx::Connection as _;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The binary, pointed at one database.
struct Metrotrack {
    url: String,
    dir: tempfile::TempDir,
}

impl Metrotrack {
    fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lab.db").display());
        Self { url, dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_metrotrack"));
        command
            .args(args)
            .env("METROTRACK_DATABASE_URL", &self.url)
            .env("METROTRACK_USER", "tester")
            .env_remove("METROTRACK_SCHEME")
            .current_dir(self.dir.path());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run metrotrack")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "metrotrack {args:?} failed ({:?}):\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    fn import(&self, kind: &str, file: &Path) -> Value {
        let stdout = self.ok(&["import", kind, path_str(file), "--format", "json"]);
        serde_json::from_str(stdout.trim()).expect("batch JSON")
    }

    fn report(&self, period: &str, scheme: &str) -> Value {
        let stdout = self.ok(&[
            "report", "--period", period, "--scheme", scheme, "--format", "json",
        ]);
        serde_json::from_str(&stdout).expect("report JSON")
    }

    /// `actual` of a lab-wide metric.
    fn actual(&self, period: &str, scheme: &str, metric: &str) -> u64 {
        let report = self.report(period, scheme);
        report["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["metric"] == metric && m["category"].is_null())
            .and_then(|m| m["actual"].as_u64())
            .unwrap_or_else(|| panic!("no {metric} in {report}"))
    }

    /// Imports the October demo month (as Excel writes it) and sets its plan targets.
    fn load_october(&self) -> (Value, Value) {
        let inspections = self.import(
            "inspections",
            &fixture("demo/inspections-2023-10.excel-vi.csv"),
        );
        let earthing = self.import("earthing", &fixture("demo/earthing-2023-10.excel-vi.csv"));
        for (metric, target) in [
            ("instruments_inspected", "402"),
            ("earthing_points_measured", "10"),
        ] {
            self.ok(&[
                "plan", "set", "--period", "2023-10", "--metric", metric, "--target", target,
            ]);
        }
        (inspections, earthing)
    }
}

/// Everything but the batch's identity and time, which differ between databases.
fn comparable(mut batch: Value) -> Value {
    if let Some(object) = batch.as_object_mut() {
        for volatile in ["id", "uploaded_at"] {
            object.remove(volatile);
        }
    }
    batch
}

#[tokio::test]
async fn postgres_gives_exactly_what_sqlite_gives() {
    let Some((_db, url)) = fresh_database().await else {
        return;
    };
    let pg = Metrotrack::new(url);
    let sqlite = Metrotrack::sqlite();
    let (pg_inspections, pg_earthing) = pg.load_october();
    let (sqlite_inspections, sqlite_earthing) = sqlite.load_october();
    assert_eq!(pg_inspections["outcome"], "stored", "{pg_inspections}");
    assert_eq!(
        comparable(pg_inspections.clone()),
        comparable(sqlite_inspections)
    );
    assert_eq!(comparable(pg_earthing), comparable(sqlite_earthing));
    for (period, scheme) in [
        ("2023-10", "decree09"),
        ("2023-10", "calendar"),
        ("2023-Q4", "decree09"),
        ("2023", "decree09"),
    ] {
        assert_eq!(
            pg.report(period, scheme),
            sqlite.report(period, scheme),
            "{period} {scheme}"
        );
    }
    let report = pg.report("2023-10", "decree09");
    assert_eq!(report["metrics"][0]["actual"], 467, "{report}");
    assert_eq!(report["metrics"][0]["percent"], 116, "{report}");
    let text = pg.ok(&["report", "--period", "2023-10", "--lang", "vi"]);
    assert!(
        text.contains("467 PTĐ các loại (Đạt 116% so với kế hoạch đề ra)"),
        "{text}"
    );
    assert_eq!(
        pg.ok(&["due", "--as-of", "2024-10-01", "--within", "60"]),
        sqlite.ok(&["due", "--as-of", "2024-10-01", "--within", "60"])
    );

    // Re-importing: the same file is the same batch; the same records in another file
    // are duplicates; no figure moves.
    let again = pg.import(
        "inspections",
        &fixture("demo/inspections-2023-10.excel-vi.csv"),
    );
    assert_eq!(again["outcome"], "already_imported", "{again}");
    assert_eq!(again["id"], pg_inspections["id"]);
    let canonical = pg.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    assert_eq!(canonical["outcome"], "stored", "{canonical}");
    assert_eq!(canonical["inserted"], 0, "{canonical}");
    assert_eq!(
        canonical["duplicates"], pg_inspections["rows"],
        "{canonical}"
    );
    let sqlite_canonical = sqlite.import("inspections", &fixture("demo/inspections-2023-10.csv"));
    assert_eq!(comparable(canonical), comparable(sqlite_canonical));
    assert_eq!(pg.report("2023-10", "decree09"), report);
}

#[tokio::test]
async fn a_strict_refusal_on_postgres_stores_nothing() {
    let Some((_db, url)) = fresh_database().await else {
        return;
    };
    let pg = Metrotrack::new(url);
    let file = fixture("bad/impossible-date.csv");
    let out = pg.run(&["import", "inspections", path_str(&file)]);
    assert_eq!(out.status.code(), Some(1), "strict refusal exits 1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("REFUSED") && stdout.contains("line 3"),
        "{stdout}"
    );
    for year in ["2022", "2023", "2024"] {
        assert_eq!(pg.actual(year, "calendar", "inspections"), 0, "{year}");
    }
    // The same file in partial mode stores its good rows: the refusal left no batch
    // behind to answer for it.
    let out = pg.run(&[
        "import",
        "inspections",
        path_str(&file),
        "--mode",
        "partial",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let batch: Value = serde_json::from_slice(&out.stdout).expect("batch JSON");
    assert_eq!(batch["outcome"], "stored", "{batch}");
    assert_eq!(batch["rejected"], 1, "{batch}");
}

/// Writes an inspections log of `rows` rows: distinct instruments `SN-<first + i>` (in
/// reverse order when `reverse`), all verified on `date`.
fn write_log(path: &Path, rows: u64, first: u64, date: &str, reverse: bool) {
    let file = std::fs::File::create(path).expect("create log");
    let mut out = std::io::BufWriter::new(file);
    writeln!(
        out,
        "Ngày kiểm định,Tên PTĐ,Số sản xuất,Cơ sở sản xuất,Hình thức,Kết quả,Người thực hiện"
    )
    .expect("write");
    for i in 0..rows {
        let n = if reverse {
            first + rows - 1 - i
        } else {
            first + i
        };
        writeln!(
            out,
            "{date},CT1P,SN-{n:07},EMIC,Kiểm định,Đạt,Nguyễn Văn An"
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

fn spawn_import(m: &Metrotrack, file: &Path) -> Child {
    m.command(&["import", "inspections", path_str(file), "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn metrotrack")
}

fn batch_of(child: Child) -> Value {
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "import failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("batch JSON")
}

/// Two processes import two files naming 8 000 common instruments (in opposite orders)
/// at once: both batches land whole.
#[tokio::test]
async fn two_processes_importing_different_files_both_land() {
    let Some((_db, url)) = fresh_database().await else {
        return;
    };
    let pg = Metrotrack::new(url);
    pg.ok(&["migrate"]);
    let (a, b) = (pg.dir.path().join("a.csv"), pg.dir.path().join("b.csv"));
    write_log(&a, 12_000, 0, "01/10/2023", false);
    write_log(&b, 12_000, 4_000, "02/10/2023", true);
    let (first, second) = (spawn_import(&pg, &a), spawn_import(&pg, &b));
    let (first, second) = (batch_of(first), batch_of(second));
    for batch in [&first, &second] {
        assert_eq!(batch["outcome"], "stored", "{batch}");
        assert_eq!(batch["inserted"], 12_000, "{batch}");
    }
    assert_eq!(pg.actual("2023-10", "calendar", "inspections"), 24_000);
    assert_eq!(
        pg.actual("2023-10", "calendar", "instruments_inspected"),
        16_000
    );
}

/// Two processes upload the same file at once: one stores it, the other answers with
/// that batch.
#[tokio::test]
async fn two_processes_importing_the_same_file_make_one_batch() {
    let Some((_db, url)) = fresh_database().await else {
        return;
    };
    let pg = Metrotrack::new(url);
    pg.ok(&["migrate"]);
    let file = pg.dir.path().join("same.csv");
    write_log(&file, 10_000, 0, "01/10/2023", false);
    let (first, second) = (spawn_import(&pg, &file), spawn_import(&pg, &file));
    let (first, second) = (batch_of(first), batch_of(second));
    let mut outcomes = [
        first["outcome"].as_str().unwrap_or_default().to_owned(),
        second["outcome"].as_str().unwrap_or_default().to_owned(),
    ];
    outcomes.sort();
    assert_eq!(outcomes, ["already_imported", "stored"]);
    assert_eq!(first["id"], second["id"]);
    assert_eq!(pg.actual("2023-10", "calendar", "inspections"), 10_000);
}

/// Rows in the large file of the crash tests.
const LARGE: u64 = 200_000;

/// Starts importing a large generated file, waits until `started` says the batch is
/// being written, kills the process (SIGKILL) while it still runs, and checks that the
/// database holds all of the file or none of it.
fn kill_mid_import(m: &Metrotrack, started: impl Fn() -> bool) {
    m.ok(&["migrate"]);
    let file = m.dir.path().join("large.csv");
    write_log(&file, LARGE, 0, "01/10/2023", false);
    let mut child = spawn_import(m, &file);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started() {
        assert!(
            Instant::now() < deadline,
            "the import never started writing"
        );
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the import ended before it was seen writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the import finished before it could be killed: make the file larger"
    );
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success());
    let stored = m.actual("2023-10", "calendar", "inspections");
    assert!(
        stored == 0 || stored == LARGE,
        "a killed import left {stored} of {LARGE} rows"
    );
    // Whatever was left, the same file imports whole afterwards.
    let batch = m.import("inspections", &file);
    assert!(
        batch["outcome"] == "stored" || batch["outcome"] == "already_imported",
        "{batch}"
    );
    assert_eq!(m.actual("2023-10", "calendar", "inspections"), LARGE);
}

#[test]
fn killing_an_import_on_sqlite_leaves_all_or_nothing() {
    let m = Metrotrack::sqlite();
    let wal = m.dir.path().join("lab.db-wal");
    // The batch is being written once the write-ahead log grows past a few pages.
    kill_mid_import(&m, || {
        std::fs::metadata(&wal).is_ok_and(|meta| meta.len() > 1024 * 1024)
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_an_import_on_postgres_leaves_all_or_nothing() {
    let Some((_db, url)) = fresh_database().await else {
        return;
    };
    let m = Metrotrack::new(url.clone());
    // The batch is being written once its transaction holds the lab's import lock.
    let handle = tokio::runtime::Handle::current();
    let started = move || {
        let url = url.clone();
        tokio::task::block_in_place(|| {
            handle.block_on(async move {
                let Ok(mut conn) = sqlx::PgConnection::connect(&url).await else {
                    return false;
                };
                let held: i64 = sqlx::query_scalar(
                    "select count(*) from pg_locks l join pg_database d on d.oid = l.database
                     where l.locktype = 'advisory' and d.datname = current_database()",
                )
                .fetch_one(&mut conn)
                .await
                .unwrap_or(0);
                let _ = conn.close().await;
                held > 0
            })
        })
    };
    tokio::task::block_in_place(|| kill_mid_import(&m, started));
}
