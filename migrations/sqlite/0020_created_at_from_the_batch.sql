-- A record an import stores was created when its batch was uploaded: its time is the
-- batch's `uploaded_at`, kept once per batch instead of once per row. From now on an
-- import writes `created_at` null on the instruments, inspections and earthing tests it
-- creates, and readers take `coalesce(created_at, the batch's uploaded_at)`
-- (`src/sql/rows.rs`). The 35 characters of an RFC 3339 time were about a sixth of an
-- inspection's row and a fifth of an instrument's. Rows stored before keep their time.
--
-- SQLite removes a NOT NULL constraint only by rebuilding the table (a copy of every
-- row) or by editing the table's definition, which its documentation gives for exactly
-- this change ("ALTER TABLE", making other kinds of table schema changes): the rows'
-- format does not change. The dummy table's creation moves the schema version on, so
-- that every other open connection reads the new definitions; `writable_schema =
-- reset` makes this one read them again too.
pragma writable_schema = on;
update sqlite_schema
set sql = replace(sql, 'created_at text not null', 'created_at text')
where type = 'table' and name in ('instruments', 'inspections', 'earthing_tests');
create table schema_version_moved_on_0020 (x);
drop table schema_version_moved_on_0020;
pragma writable_schema = reset;
