-- A record an import stores was created when its batch was uploaded: its time is the
-- batch's `uploaded_at`, kept once per batch instead of once per row. From now on an
-- import writes `created_at` null on the instruments, inspections and earthing tests it
-- creates, and readers take `coalesce(created_at, the batch's uploaded_at)`
-- (`src/sql/rows.rs`). Rows stored before keep their time. Dropping NOT NULL changes
-- only the catalog.
alter table instruments alter column created_at drop not null;
alter table inspections alter column created_at drop not null;
alter table earthing_tests alter column created_at drop not null;
