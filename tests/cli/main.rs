//! End-to-end: the real `metrotrack` binary on a real SQLite file, and (module
//! `postgres`) on a throwaway PostgreSQL database.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod bad_files;
mod due;
mod import;
mod kill;
mod postgres;
mod process;
mod record;
mod report;
mod shapes;
mod usage;
mod void;
mod workbook;
#[path = "../support/xlsx.rs"]
mod xlsx;

/// A fresh database in its own temporary directory, and the binary run against it.
struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("lab.db").display())
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_metrotrack"))
            .args(args)
            .env("METROTRACK_DATABASE_URL", self.url())
            .env("METROTRACK_USER", "tester")
            .env_remove("METROTRACK_SCHEME")
            .env_remove("METROTRACK_LANG")
            .current_dir(self.dir.path())
            .output()
            .expect("run metrotrack")
    }

    /// Runs and insists on success, returning stdout.
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
        let file = file.to_str().expect("utf-8 path");
        let stdout = self.ok(&["import", kind, file, "--format", "json"]);
        serde_json::from_str(stdout.trim()).expect("batch JSON")
    }

    fn achievement(&self, period: &str, scheme: &str) -> Value {
        let stdout = self.ok(&[
            "report", "--period", period, "--scheme", scheme, "--format", "json",
        ]);
        serde_json::from_str(&stdout).expect("achievement JSON")
    }

    /// `actual` of a lab-wide metric.
    fn actual(&self, period: &str, scheme: &str, metric: &str) -> u64 {
        metric_of(&self.achievement(period, scheme), metric)["actual"]
            .as_u64()
            .expect("actual")
    }
}

fn metric_of<'a>(achievement: &'a Value, metric: &str) -> &'a Value {
    achievement["metrics"]
        .as_array()
        .expect("metrics array")
        .iter()
        .find(|m| m["metric"] == metric && m["category"].is_null())
        .unwrap_or_else(|| panic!("no {metric} in {achievement}"))
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

const OCTOBER_INSTRUMENTS: u64 = 467;

const OCTOBER_INSPECTIONS: u64 = 497;

const OCTOBER_POINTS: u64 = 13;

/// The October month in every shape `fixtures/` holds: (inspections, earthing).
const SHAPES: [(&str, &str); 5] = [
    (
        "demo/inspections-2023-10.excel-vi.csv",
        "demo/earthing-2023-10.excel-vi.csv",
    ),
    (
        "demo/inspections-2023-10.unicode-text.txt",
        "demo/earthing-2023-10.unicode-text.txt",
    ),
    (
        "demo/inspections-2023-10.windows-1258.csv",
        "demo/earthing-2023-10.windows-1258.csv",
    ),
    (
        "demo/inspections-2023-10.nfd.csv",
        "demo/earthing-2023-10.nfd.csv",
    ),
    ("demo/inspections-2023-10.csv", "demo/earthing-2023-10.csv"),
];

impl Lab {
    /// Runs with extra environment variables.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_metrotrack"));
        command
            .args(args)
            .env("METROTRACK_DATABASE_URL", self.url())
            .env("METROTRACK_USER", "tester")
            .env_remove("METROTRACK_SCHEME")
            .current_dir(self.dir.path());
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().expect("run metrotrack")
    }

    /// `import KIND FILE --format json` with extra arguments: exit code and the batch.
    fn import_with(&self, kind: &str, file: &Path, extra: &[&str]) -> (Option<i32>, Value) {
        let file = file.to_str().expect("utf-8 path");
        let mut args = vec!["import", kind, file, "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let batch = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "no batch JSON ({e}) from {args:?}: {}\n{stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (out.status.code(), batch)
    }

    /// The lab's batches, as `batch list --format json` prints them.
    fn batches(&self) -> Vec<Value> {
        let out = self.ok(&["batch", "list", "--format", "json"]);
        serde_json::from_str::<Value>(&out)
            .expect("batch list JSON")
            .as_array()
            .expect("array")
            .clone()
    }

    /// The three October figures (instruments, inspections, points).
    fn october(&self) -> (u64, u64, u64) {
        let a = self.achievement("2023-10", "decree09");
        let actual = |m: &str| metric_of(&a, m)["actual"].as_u64().expect("actual");
        (
            actual("instruments_inspected"),
            actual("inspections"),
            actual("earthing_points_measured"),
        )
    }

    /// Nothing stored at all: no batch, no record in any year.
    fn assert_empty(&self) {
        assert_eq!(self.batches(), Vec::<Value>::new());
        for year in ["2022", "2023", "2024"] {
            assert_eq!(self.actual(year, "calendar", "inspections"), 0, "{year}");
            assert_eq!(
                self.actual(year, "calendar", "earthing_points_measured"),
                0,
                "{year}"
            );
        }
    }
}

const OCTOBER: (u64, u64, u64) = (OCTOBER_INSTRUMENTS, OCTOBER_INSPECTIONS, OCTOBER_POINTS);
