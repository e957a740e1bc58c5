-- SQLite's inspections lose their generated `half_month` column (it made every
-- many-row insert keep a statement journal). PostgreSQL computes the number with the
-- function `inspection_half_month(date)` (0005) and keeps no such journal: nothing
-- changes here. The migration exists so that both histories keep the same version
-- numbers.
select 1;
