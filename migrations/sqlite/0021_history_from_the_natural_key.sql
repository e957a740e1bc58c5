-- PostgreSQL reads an instrument's history from its natural key and an index of voided
-- records, and drops `inspections_due` (its 0021). SQLite's history index is
-- `inspections_instrument` (0002), which nothing replaces here: SQLite plans without
-- statistics, and the natural key would lose to indexes that also give the order asked
-- for (docs/schema.md, "Before you change it"). The migration exists so that both
-- histories keep the same version numbers.
select 1;
