-- How many instruments fall due on each day, per lab, so that the due page's counts
-- (overdue, due within N days) sum a few thousand days instead of counting every due
-- instrument: at 1M records 221,398 instruments were due within 30 days, and counting
-- them took 87 ms a request on PostgreSQL, growing with the lab's instruments.
--
-- Invariant: for every lab and day, `instruments` is the number of the lab's
-- instruments whose `due_on` is that day (a day no instrument is due on has no row, or
-- a row of 0). Kept by the triggers below on every insert, update of `due_on` and
-- delete of an instrument, whoever the writer; `metrotrack verify` recounts it.
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

create trigger instruments_due_days_insert after insert on instruments
when new.due_on is not null
begin
    insert into instrument_due_days (lab_id, due_on, instruments)
    values (new.lab_id, new.due_on, 1)
    on conflict (lab_id, due_on) do update set instruments = instruments + 1;
end;

create trigger instruments_due_days_update after update of due_on on instruments
when old.due_on is not new.due_on
begin
    update instrument_due_days set instruments = instruments - 1
    where lab_id = old.lab_id and due_on = old.due_on;
    insert into instrument_due_days (lab_id, due_on, instruments)
    select new.lab_id, new.due_on, 1 where new.due_on is not null
    on conflict (lab_id, due_on) do update set instruments = instruments + 1;
end;

create trigger instruments_due_days_delete after delete on instruments
when old.due_on is not null
begin
    update instrument_due_days set instruments = instruments - 1
    where lab_id = old.lab_id and due_on = old.due_on;
end;
