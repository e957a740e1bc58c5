-- PostgreSQL's due-day counts move from a trigger on the instruments' updates into the
-- statements that move due dates. SQLite's store counts those moves already
-- (`sqlite/tallies.rs`, `due_days`), with no trigger: nothing changes here. The
-- migration exists so that both histories keep the same version numbers.
select 1;
