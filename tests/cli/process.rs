//! The binary run as a child process against any database URL, and large generated logs,
//! for the PostgreSQL, racing and crash tests.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

use super::fixture;

pub(crate) fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The binary, pointed at one database.
pub(crate) struct Metrotrack {
    url: String,
    pub(crate) dir: tempfile::TempDir,
}

impl Metrotrack {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub(crate) fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lab.db").display());
        Self { url, dir }
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_metrotrack"));
        command
            .args(args)
            .env("METROTRACK_DATABASE_URL", &self.url)
            .env("METROTRACK_USER", "tester")
            .env_remove("METROTRACK_SCHEME")
            .env_remove("METROTRACK_LANG")
            .current_dir(self.dir.path());
        command
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run metrotrack")
    }

    pub(crate) fn ok(&self, args: &[&str]) -> String {
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

    pub(crate) fn import(&self, kind: &str, file: &Path) -> Value {
        let stdout = self.ok(&["import", kind, path_str(file), "--format", "json"]);
        serde_json::from_str(stdout.trim()).expect("batch JSON")
    }

    pub(crate) fn report(&self, period: &str, scheme: &str) -> Value {
        let stdout = self.ok(&[
            "report", "--period", period, "--scheme", scheme, "--format", "json",
        ]);
        serde_json::from_str(&stdout).expect("report JSON")
    }

    /// `actual` of a lab-wide metric.
    pub(crate) fn actual(&self, period: &str, scheme: &str, metric: &str) -> u64 {
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
    pub(crate) fn load_october(&self) -> (Value, Value) {
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
pub(crate) fn comparable(mut batch: Value) -> Value {
    if let Some(object) = batch.as_object_mut() {
        for volatile in ["id", "uploaded_at"] {
            object.remove(volatile);
        }
    }
    batch
}

/// Writes an inspections log of `rows` rows: distinct instruments `SN-<first + i>` (in
/// reverse order when `reverse`), all verified on `date`.
pub(crate) fn write_log(path: &Path, rows: u64, first: u64, date: &str, reverse: bool) {
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

pub(crate) fn spawn_import(m: &Metrotrack, file: &Path) -> Child {
    m.command(&["import", "inspections", path_str(file), "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn metrotrack")
}

pub(crate) fn batch_of(child: Child) -> Value {
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "import failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("batch JSON")
}
