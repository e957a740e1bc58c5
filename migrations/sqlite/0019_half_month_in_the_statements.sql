-- `half_month` (0005) was a virtual generated column that called substr(). SQLite
-- treats a function in a generated column as one that may fail midway through a
-- statement, so every insert of many rows into inspections kept a statement journal:
-- a copy of each page it changed, written to a temporary file, about a tenth of a
-- large import's time. The few statements that read the number now compute it from
-- `inspected_on` themselves (`half_month!` in src/sqlite.rs), with the same
-- arithmetic. A virtual column holds no data: dropping it rewrites only the schema.
alter table inspections drop column half_month;
