-- PostgreSQL appends here each statement's tally changes to a table of their own and
-- folds them in once per import (its row versions of one tally row pile up within a
-- transaction). SQLite updates the tallies in place, once per chunk, and has no row
-- versions to pile up: nothing changes here. The migration exists so that both
-- histories keep the same version numbers.
select 1;
