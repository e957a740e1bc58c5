//! Tells the tests what this machine can run, so that a test that cannot run here is
//! marked ignored and the runner's summary counts it as skipped (with its reason), rather
//! than passing without checking anything:
//! - `cfg(pg_tests)` when `METROTRACK_TEST_POSTGRES_URL` names a PostgreSQL test server;
//! - `cfg(chromium_tests)` when Debian's Chromium and chromedriver are installed
//!   (`/usr/bin/chromium`, `/usr/bin/chromedriver`: the paths the browser test runs);
//! - `cfg(axe_tests)` when axe-core is installed for the accessibility test
//!   (`npm ci --prefix tests/web` puts it in `tests/web/node_modules`).
//!
//! `cargo nextest run --run-ignored all` runs the skipped tests anyway; they then fail
//! saying what is missing (`.ci/run` does this, so nothing is skipped in CI).

use std::path::Path;

/// Where `npm ci --prefix tests/web` installs axe-core (relative to this package).
const AXE: &str = "tests/web/node_modules/axe-core/axe.min.js";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rustc-check-cfg=cfg(chromium_tests)");
    println!("cargo::rustc-check-cfg=cfg(axe_tests)");
    println!("cargo::rerun-if-changed={AXE}");
    println!("cargo::rerun-if-env-changed=METROTRACK_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-changed=/usr/bin");
    if std::env::var("METROTRACK_TEST_POSTGRES_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
    if installed("chromium") && installed("chromedriver") {
        println!("cargo::rustc-cfg=chromium_tests");
    }
    if Path::new(AXE).is_file() {
        println!("cargo::rustc-cfg=axe_tests");
    }
}

/// Whether `program` is installed in `/usr/bin`.
fn installed(program: &str) -> bool {
    Path::new("/usr/bin").join(program).is_file()
}
