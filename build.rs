//! Tells the tests what this machine can run, so that a test that cannot run here is
//! marked ignored and the runner's summary counts it as skipped (with its reason), rather
//! than passing without checking anything:
//! - `cfg(pg_tests)` when `METROTRACK_TEST_POSTGRES_URL` names a PostgreSQL test server;
//! - `cfg(chromium_tests)` when Debian's Chromium and chromedriver are installed
//!   (`/usr/bin/chromium`, `/usr/bin/chromedriver`: the paths the browser test runs).
//!
//! `cargo nextest run --run-ignored all` runs the skipped tests anyway; they then fail
//! saying what is missing (`.ci/run` does this, so nothing is skipped in CI).

use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rustc-check-cfg=cfg(chromium_tests)");
    println!("cargo::rerun-if-env-changed=METROTRACK_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-changed=/usr/bin");
    if std::env::var("METROTRACK_TEST_POSTGRES_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
    if installed("chromium") && installed("chromedriver") {
        println!("cargo::rustc-cfg=chromium_tests");
    }
}

/// Whether `program` is installed in `/usr/bin`.
fn installed(program: &str) -> bool {
    Path::new("/usr/bin").join(program).is_file()
}
