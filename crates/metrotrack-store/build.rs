//! Rebuilds the crate when a migration changes: `sqlx::migrate!` embeds them.
//!
//! Also sets `cfg(pg_tests)` when `METROTRACK_TEST_POSTGRES_URL` names a test server:
//! without it the PostgreSQL tests are marked ignored, so the runner's summary counts
//! them as skipped (and `--run-ignored all` runs them, failing if the server is missing).

fn main() {
    println!("cargo::rerun-if-changed=../../migrations/sqlite");
    println!("cargo::rerun-if-changed=../../migrations/postgres");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rerun-if-env-changed=METROTRACK_TEST_POSTGRES_URL");
    if std::env::var("METROTRACK_TEST_POSTGRES_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
}
