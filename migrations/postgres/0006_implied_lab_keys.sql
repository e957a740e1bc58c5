-- Foreign keys to `labs` that other keys already imply, dropped: PostgreSQL checks each
-- foreign key of each stored row with a query of its own, and a bulk import stores
-- millions. An inspection's lab is its instrument's ((lab_id, instrument_id) references
-- instruments), an earthing test's its point's, and an instrument's is its category's
-- ((lab_id, category_code) references categories, whose lab_id references labs).
alter table inspections drop constraint inspections_lab_id_fkey;
alter table earthing_tests drop constraint earthing_tests_lab_id_fkey;
alter table instruments drop constraint instruments_lab_id_fkey;
