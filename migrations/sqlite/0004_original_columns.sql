-- The original observations, stored compactly: a batch keeps its columns (the file's
-- headers as written, a JSON array) once, and each imported record only its values (a
-- JSON array in that order). Records stored before keep their JSON object; readers take
-- either form.
alter table import_batches add column original_columns text;
