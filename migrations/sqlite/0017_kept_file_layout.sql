-- Evidence once per batch: a CSV row that is one line of its file no longer keeps its
-- original observations as JSON (`original` is null); the batch keeps how its kept
-- file's lines are read back (`file_layout`, JSON: encoding, delimiter, the observed
-- columns), and a record's observations are its line of the kept file, read again.
-- Rows stored before keep their JSON; rows of workbooks, UTF-16 text and records that
-- span lines keep it too.
alter table import_batches add column file_layout text;
