-- The original observations, stored compactly: a batch keeps its columns (the file's
-- headers as written, a JSON array) once, and each imported record only its values (a
-- JSON array in that order). Records stored before keep their JSON object; readers take
-- either form.
alter table import_batches add column original_columns jsonb;

alter table inspections drop constraint inspections_original_check;
alter table inspections add constraint inspections_original_check
    check (jsonb_typeof(original) in ('object', 'array'));
alter table earthing_tests drop constraint earthing_tests_original_check;
alter table earthing_tests add constraint earthing_tests_original_check
    check (jsonb_typeof(original) in ('object', 'array'));
