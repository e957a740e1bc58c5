//! The conformance suite every [`Store`] backend must pass.
//!
//! Each check is a function generic over the store, given a freshly migrated, empty
//! store. A backend's test binary runs them all with
//! [`conformance_suite!`](crate::conformance_suite):
//!
//! ```ignore
//! async fn fresh() -> (tempfile::TempDir, SqliteStore) { … }
//! metrotrack_store::conformance_suite!(fresh);
//! ```
//!
//! One check is a property: [`store_agrees_with_the_model`] runs random histories of
//! CSV imports and voids through the real reader and the store, each on a lab of its
//! own, against a plain model of the SPEC's rules; it drives a runtime of its own so
//! that proptest can shrink a failure.
//!
//! Built only with the `conformance` feature (the crate's own tests turn it on).

use chrono::NaiveDate;
use metrotrack_core::{
    BatchOutcome, CategoryCode, CycleRule, DueAfter, DueEntry, EarthingSystem, FileSummary,
    ImportBatch, ImportMode, InspectionKind, LabId, LogKind, Metric, Msg, NewEarthingTest,
    NewInspection, Ohms, Outcome, ParsedRow, PeriodSpec, PlanTarget, PointCode, Problem,
    ReportingPeriod, Scheme, SerialNumber, Sourced,
};
use tokio::sync::mpsc;

use crate::accounts::{NewToken, NewUser, Role};
use crate::records::{
    EarthingTestFilter, InspectionFilter, InstrumentFilter, MAX_PAGE, Page, PointFilter,
};
use crate::{BatchRequest, FilePart, ImportEvent, Store, StoreError};

mod accounts;
mod amendments;
mod categories;
mod consistency;
mod due;
mod duplicates;
mod evidence;
mod figures;
mod helpers;
mod imports;
mod kept;
mod model;
mod model_records;
mod property;
mod property_records;
mod races;
mod records;
mod report;
mod setup;

pub use accounts::*;
pub use amendments::*;
pub use categories::*;
pub use consistency::*;
pub use due::*;
pub use duplicates::*;
pub use evidence::*;
pub use figures::*;
pub use helpers::*;
pub use imports::*;
pub use kept::*;
pub use property::store_agrees_with_the_model;
pub use races::*;
pub use records::*;
pub use report::*;
pub use setup::*;

/// The runtime a property test drives its store with (one thread, like `#[tokio::test]`).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs every check of the suite as a `#[tokio::test]`. `$fresh` is an async function
/// returning `(guard, store)`: a freshly migrated store, and whatever must live as long
/// as it (a temporary directory, a throwaway database). With `postgres $fresh`, it
/// returns `Option<(guard, store)>` instead, `None` without a PostgreSQL test server; the
/// tests are then marked ignored unless `cfg(pg_tests)` (set by this crate's `build.rs`
/// when `METROTRACK_TEST_POSTGRES_URL` is set), so the runner counts them as skipped, and
/// one run anyway without a server fails.
#[macro_export]
macro_rules! conformance_suite {
    (postgres $fresh:path) => {
        $crate::conformance_suite!(@expand $fresh; postgres);
    };
    ($fresh:path) => {
        $crate::conformance_suite!(@expand $fresh; tests);
    };
    (@expand $fresh:path; $arm:ident) => {
        $crate::conformance_suite!(@property $arm $fresh; store_agrees_with_the_model);
        $crate::conformance_suite!(@$arm $fresh;
            categories_are_seeded,
            migrating_again_changes_nothing,
            import_stores_rows_and_counts,
            records_are_created_when_their_batch_was_uploaded,
            same_rows_in_a_new_file_are_duplicates,
            duplicates_within_one_file,
            conflict_in_strict_mode_stores_nothing,
            conflict_in_partial_mode_stores_the_valid_rows,
            invalid_rows_in_strict_and_partial_mode,
            dry_run_stores_nothing,
            same_file_twice_is_one_batch,
            the_file_is_kept_with_its_batch,
            originals_are_read_back_from_the_kept_file,
            fatal_problems_refuse_the_file,
            abandoned_import_stores_nothing,
            a_category_the_lab_lacks_stores_nothing,
            certificate_and_stamp_numbers_are_unique,
            numbers_and_keys_held_by_stored_records_are_found_in_a_file_without_repeats,
            instruments_and_points_count_once,
            period_boundaries_follow_the_scheme,
            plan_targets_flow_into_achievement,
            year_to_date_counts_distinct_instruments_once,
            quarter_targets_measure_the_quarter_and_plans_can_be_deleted,
            the_figures_open_what_they_count,
            voiding_removes_a_batch_from_the_figures,
            due_list_shows_overdue_and_soon_due,
            a_skipped_row_is_never_due,
            figures_and_due_list_match_the_records,
            earthing_limits_duplicates_and_conflicts,
            bulk_import_spans_many_statements,
            labs_are_created_once_with_their_categories,
            users_are_unique_within_their_lab,
            tokens_are_found_touched_and_revoked,
            every_write_is_audited,
            records_are_listed_a_page_at_a_time,
            earthing_points_and_tests_are_read_back,
            restoring_a_batch_brings_its_records_back,
            each_batch_voids_and_restores_only_its_records,
            a_refused_restore_names_every_clash,
            a_batch_that_stored_nothing_never_blocks_its_file,
            amending_a_date_moves_the_record_between_periods,
            an_amendment_onto_a_taken_key_or_number_is_refused,
            an_amendment_moves_a_record_to_another_instrument,
            voiding_one_record,
            amending_and_voiding_an_earthing_test,
            an_admin_keeps_the_categories,
            an_admin_keeps_the_report_settings,
            report_tables_count_the_period,
            the_same_file_racing_is_one_batch,
            different_files_racing_both_land_whole,
            reads_do_not_wait_for_an_import,
        );
    };
    (@tests $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (_guard, store) = $fresh().await;
                $crate::conformance::$name(&store).await;
            }
        )*
    };
    // A property runs many cases on one store, each through its own lab: a plain
    // test that drives a runtime of its own, so that proptest can shrink a failure.
    (@property tests $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let runtime = $crate::conformance::runtime();
                let _inside = runtime.enter();
                let (_guard, store) = runtime.block_on($fresh());
                $crate::conformance::$name(&runtime, &store);
            }
        )*
    };
    (@property postgres $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[cfg_attr(
                not(pg_tests),
                ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
            )]
            #[test]
            fn $name() {
                let runtime = $crate::conformance::runtime();
                let _inside = runtime.enter();
                let Some((_guard, store)) = runtime.block_on($fresh()) else {
                    panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL")
                };
                $crate::conformance::$name(&runtime, &store);
            }
        )*
    };
    (@postgres $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[cfg_attr(
                not(pg_tests),
                ignore = "needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL"
            )]
            #[tokio::test]
            async fn $name() {
                let Some((_guard, store)) = $fresh().await else {
                    panic!("needs PostgreSQL: set METROTRACK_TEST_POSTGRES_URL")
                };
                $crate::conformance::$name(&store).await;
            }
        )*
    };
}
