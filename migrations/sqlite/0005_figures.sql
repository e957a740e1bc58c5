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
--    The store keeps the tallies as records are stored and voided, in the writer's
--    transaction, with set-based statements per chunk of rows (SQLite's row triggers
--    cost more than the rows themselves); a year's figures read a few thousand rows.
-- 2. The due list. Each instrument carries the valid-until of its latest valid
--    inspection (the latest by date, then id, with a valid-until, not voided), kept by
--    the store likewise, so the due list is one range of an index in due order.

create table inspection_tallies (
    lab_id integer not null references labs (id),
    seg integer not null,
    category_code text not null,
    prev_seg integer not null,
    instrument_days integer not null default 0,
    inspections integer not null default 0,
    primary key (lab_id, seg, category_code, prev_seg)
) without rowid;

alter table inspections add column half_month integer generated always as (
    (cast(substr(inspected_on, 1, 4) as integer) * 12
     + cast(substr(inspected_on, 6, 2) as integer) - 1) * 2
    + (substr(inspected_on, 9, 2) >= '15')
) virtual;

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
    select lab_id, seg, category_code,
           case when prev is null or prev < seg - 24 then seg - 24 else prev end as prev_seg,
           1 as days, 0 as inspections
    from (
        select lab_id, category_code, half_month as seg,
               lag(half_month) over (partition by lab_id, instrument_id order by inspected_on)
                   as prev
        from (
            select distinct lab_id, instrument_id, category_code, inspected_on, half_month
            from inspections where voided_at is null
        )
    )
    union all
    select lab_id, half_month, category_code, half_month - 24, 0, 1
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

-- Served by the natural key (probes) and inspections_instrument (history); the due
-- list no longer reads inspections.
drop index inspections_due;
