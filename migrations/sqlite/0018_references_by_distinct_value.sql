-- PostgreSQL's statement-level reference checks (0008) now check each distinct
-- reference once. SQLite checks a foreign key in the same pass as the row itself:
-- nothing changes here. The migration exists so that both histories keep the same
-- version numbers.
select 1;
