-- Figures that stay instant however large the history.
--
-- 1. Inspection tallies. Every reporting period of both schemes (Decree 09: 15th to
--    14th; calendar: 1st to last day) is a run of whole half-months: 1st-14th and
--    15th-end. A half-month is numbered `(year * 12 + month - 1) * 2 + (day >= 15)`.
--    For each instrument and each day it was inspected (an "instrument-day"), the
--    tallies count that day in its half-month against the half-month of the
--    instrument's previous inspected day (`prev_seg`). An instrument is inspected in a
--    run of half-months [S, E] exactly once at its first day in the run, the only one
--    whose previous day lies before S; so
--        instruments_inspected = sum(instrument_days) where seg in [S, E] and prev_seg < S
--        inspections           = sum(inspections)     where seg in [S, E]
--    A previous day more than 24 half-months (a year, the longest period) back, or
--    none, is stored as seg - 24: before any S that a period containing seg can have.
--    Triggers keep the tallies as records are inserted and voided, in the writer's
--    transaction; a year's figures read at most a few thousand rows.
-- 2. The due list. Each instrument carries the valid-until of its latest valid
--    inspection (the latest by date, then id, with a valid-until, not voided), kept by
--    triggers, so the due list is one range of an index in due order.

create table inspection_tallies (
    lab_id integer not null references labs (id),
    seg integer not null,
    category_code text not null,
    prev_seg integer not null,
    instrument_days integer not null default 0,
    inspections integer not null default 0,
    primary key (lab_id, seg, category_code, prev_seg)
) without rowid;

-- An inspection stored: counted in its half-month; when it is the instrument's first
-- live inspection that day, the day is counted against the previous day p, and the next
-- day n (counted against p until now) is counted against it instead.
create trigger inspections_tally_insert after insert on inspections
when new.voided_at is null
begin
    insert into inspection_tallies (lab_id, seg, category_code, prev_seg, inspections)
    select new.lab_id, x.seg, new.category_code, x.seg - 24, 1
    from (select ((cast(substr(new.inspected_on, 1, 4) as integer) * 12 + cast(substr(new.inspected_on, 6, 2) as integer) - 1) * 2
              + (substr(new.inspected_on, 9, 2) >= '15')) as seg) x
    where true
    on conflict (lab_id, seg, category_code, prev_seg)
    do update set inspections = inspections + excluded.inspections;
    insert into inspection_tallies (lab_id, seg, category_code, prev_seg, instrument_days)
    select new.lab_id, x.seg, new.category_code,
           case when x.prev is null or x.prev < x.seg - 24 then x.seg - 24 else x.prev end,
           x.delta
    from (
        select case k.i when 1 then d.seg else n.seg end as seg,
               case k.i when 1 then p.seg when 2 then p.seg else d.seg end as prev,
               case k.i when 1 then 1 when 2 then -1 else 1 end as delta
        from (select ((cast(substr(new.inspected_on, 1, 4) as integer) * 12 + cast(substr(new.inspected_on, 6, 2) as integer) - 1) * 2
              + (substr(new.inspected_on, 9, 2) >= '15')) as seg) d,
         (select ((cast(substr(max(o.inspected_on), 1, 4) as integer) * 12 + cast(substr(max(o.inspected_on), 6, 2) as integer) - 1) * 2
              + (substr(max(o.inspected_on), 9, 2) >= '15')) as seg
          from inspections o
          where o.lab_id = new.lab_id and o.instrument_id = new.instrument_id
            and o.inspected_on < new.inspected_on and o.voided_at is null) p,
         (select ((cast(substr(min(o.inspected_on), 1, 4) as integer) * 12 + cast(substr(min(o.inspected_on), 6, 2) as integer) - 1) * 2
              + (substr(min(o.inspected_on), 9, 2) >= '15')) as seg
          from inspections o
          where o.lab_id = new.lab_id and o.instrument_id = new.instrument_id
            and o.inspected_on > new.inspected_on and o.voided_at is null) n,
         (select 1 as i union all select 2 union all select 3) k
        where k.i = 1 or n.seg is not null
    ) x
    where not exists (
        select 1 from inspections s
        where s.lab_id = new.lab_id and s.instrument_id = new.instrument_id
          and s.inspected_on = new.inspected_on and s.voided_at is null and s.id <> new.id
    )
    on conflict (lab_id, seg, category_code, prev_seg)
    do update set instrument_days = instrument_days + excluded.instrument_days;
end;

-- An inspection voided: the reverse. When no live inspection of the instrument is left
-- that day, the day leaves the tallies and the next day is counted against p again.
create trigger inspections_tally_void after update of voided_at on inspections
when old.voided_at is null and new.voided_at is not null
begin
    insert into inspection_tallies (lab_id, seg, category_code, prev_seg, inspections)
    select new.lab_id, x.seg, new.category_code, x.seg - 24, -1
    from (select ((cast(substr(new.inspected_on, 1, 4) as integer) * 12 + cast(substr(new.inspected_on, 6, 2) as integer) - 1) * 2
              + (substr(new.inspected_on, 9, 2) >= '15')) as seg) x
    where true
    on conflict (lab_id, seg, category_code, prev_seg)
    do update set inspections = inspections + excluded.inspections;
    insert into inspection_tallies (lab_id, seg, category_code, prev_seg, instrument_days)
    select new.lab_id, x.seg, new.category_code,
           case when x.prev is null or x.prev < x.seg - 24 then x.seg - 24 else x.prev end,
           x.delta
    from (
        select case k.i when 1 then d.seg else n.seg end as seg,
               case k.i when 1 then p.seg when 2 then p.seg else d.seg end as prev,
               case k.i when 1 then -1 when 2 then 1 else -1 end as delta
        from (select ((cast(substr(new.inspected_on, 1, 4) as integer) * 12 + cast(substr(new.inspected_on, 6, 2) as integer) - 1) * 2
              + (substr(new.inspected_on, 9, 2) >= '15')) as seg) d,
         (select ((cast(substr(max(o.inspected_on), 1, 4) as integer) * 12 + cast(substr(max(o.inspected_on), 6, 2) as integer) - 1) * 2
              + (substr(max(o.inspected_on), 9, 2) >= '15')) as seg
          from inspections o
          where o.lab_id = new.lab_id and o.instrument_id = new.instrument_id
            and o.inspected_on < new.inspected_on and o.voided_at is null) p,
         (select ((cast(substr(min(o.inspected_on), 1, 4) as integer) * 12 + cast(substr(min(o.inspected_on), 6, 2) as integer) - 1) * 2
              + (substr(min(o.inspected_on), 9, 2) >= '15')) as seg
          from inspections o
          where o.lab_id = new.lab_id and o.instrument_id = new.instrument_id
            and o.inspected_on > new.inspected_on and o.voided_at is null) n,
         (select 1 as i union all select 2 union all select 3) k
        where k.i = 1 or n.seg is not null
    ) x
    where not exists (
        select 1 from inspections s
        where s.lab_id = new.lab_id and s.instrument_id = new.instrument_id
          and s.inspected_on = new.inspected_on and s.voided_at is null and s.id <> new.id
    )
    on conflict (lab_id, seg, category_code, prev_seg)
    do update set instrument_days = instrument_days + excluded.instrument_days;
end;

-- Records change only by being voided (corrections are new versions): what the tallies
-- are keyed on never changes under them.
create trigger inspections_tally_frozen before update of lab_id, instrument_id, category_code,
    inspected_on on inspections
begin
    select raise(abort, 'an inspection''s instrument, category and date do not change: void it and store a new one');
end;

create trigger inspections_no_delete before delete on inspections
begin
    select raise(abort, 'inspections are voided, never deleted');
end;

-- The tallies of the inspections already stored.
insert into inspection_tallies (lab_id, seg, category_code, prev_seg, instrument_days, inspections)
select lab_id, seg, category_code, prev_seg, sum(days), sum(inspections)
from (
    select x.lab_id, x.seg, x.category_code,
           case when x.prev is null or x.prev < x.seg - 24 then x.seg - 24 else x.prev end as prev_seg,
           1 as days, 0 as inspections
    from (
        select lab_id, category_code, ((cast(substr(day, 1, 4) as integer) * 12 + cast(substr(day, 6, 2) as integer) - 1) * 2
              + (substr(day, 9, 2) >= '15')) as seg,
               ((cast(substr(lag(day) over (partition by lab_id, instrument_id order by day), 1, 4) as integer) * 12 + cast(substr(lag(day) over (partition by lab_id, instrument_id order by day), 6, 2) as integer) - 1) * 2
              + (substr(lag(day) over (partition by lab_id, instrument_id order by day), 9, 2) >= '15')) as prev
        from (
            select distinct lab_id, instrument_id, category_code, inspected_on as day
            from inspections where voided_at is null
        )
    ) x
    union all
    select lab_id, ((cast(substr(inspected_on, 1, 4) as integer) * 12 + cast(substr(inspected_on, 6, 2) as integer) - 1) * 2
              + (substr(inspected_on, 9, 2) >= '15')), category_code,
           ((cast(substr(inspected_on, 1, 4) as integer) * 12 + cast(substr(inspected_on, 6, 2) as integer) - 1) * 2
              + (substr(inspected_on, 9, 2) >= '15')) - 24, 0, 1
    from inspections where voided_at is null
)
group by lab_id, seg, category_code, prev_seg;

-- The due list: each instrument's latest valid inspection.
alter table instruments add column due_inspection_id integer;
alter table instruments add column due_inspected_on text;
alter table instruments add column due_on text;

update instruments set (due_inspection_id, due_inspected_on, due_on) = (
    select s.id, s.inspected_on, s.valid_until from inspections s
    where s.lab_id = instruments.lab_id and s.instrument_id = instruments.id
      and s.voided_at is null and s.valid_until is not null
    order by s.inspected_on desc, s.id desc limit 1
);

create index instruments_due on instruments (lab_id, due_on, serial_number, id)
    where due_on is not null;

create trigger inspections_due_insert after insert on inspections
when new.voided_at is null and new.valid_until is not null
begin
    update instruments
    set due_inspection_id = new.id, due_inspected_on = new.inspected_on,
        due_on = new.valid_until
    where id = new.instrument_id
      and (due_inspected_on is null or due_inspected_on < new.inspected_on
           or (due_inspected_on = new.inspected_on and due_inspection_id < new.id));
end;

create trigger inspections_due_void after update of voided_at on inspections
when old.voided_at is null and new.voided_at is not null
begin
    update instruments set (due_inspection_id, due_inspected_on, due_on) = (
        select s.id, s.inspected_on, s.valid_until from inspections s
        where s.lab_id = new.lab_id and s.instrument_id = new.instrument_id
          and s.voided_at is null and s.valid_until is not null
        order by s.inspected_on desc, s.id desc limit 1
    )
    where id = new.instrument_id and due_inspection_id = new.id;
end;

-- Served by the natural key (probes) and inspections_instrument (history); the due
-- list no longer reads inspections.
drop index inspections_due;
