-- PostgreSQL checks here the references of instruments and inspections once per
-- statement instead of once per row (each row's check is a query of its own there).
-- SQLite checks a foreign key in the same pass as the row itself, a probe of the parent
-- index: nothing changes here. The migration exists so that both histories keep the
-- same version numbers.
select 1;
