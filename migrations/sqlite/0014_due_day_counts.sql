-- How many instruments fall due on each day, per lab, so that the due page's counts
-- (overdue, due within N days) sum a few thousand days instead of counting every due
-- instrument: at 1M records 221,398 instruments were due within 30 days, and counting
-- them took 87 ms a request on PostgreSQL, growing with the lab's instruments.
--
-- Invariant: for every lab and day, `instruments` is the number of the lab's
-- instruments whose `due_on` is that day (a day no instrument is due on has no row, or
-- a row of 0). Kept by the store, like the tallies (row triggers cost an import 14 %):
-- the import counts the instruments it creates due in memory (`sql/tallies.rs`,
-- `Pending`), and `sqlite/tallies.rs` takes the instruments whose due date it moves off
-- their old day and adds them to the new one. `metrotrack verify` recounts it.
create table instrument_due_days (
    lab_id integer not null references labs (id),
    due_on text not null,
    instruments integer not null,
    primary key (lab_id, due_on)
) without rowid;

insert into instrument_due_days (lab_id, due_on, instruments)
select lab_id, due_on, count(*) from instruments
where due_on is not null
group by lab_id, due_on;
