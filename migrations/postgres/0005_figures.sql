-- Figures that stay instant however large the history: the same change as
-- migrations/sqlite/0005_figures.sql (read its header for the reasoning).
--
-- 1. Inspection tallies. A half-month is numbered `(year * 12 + month - 1) * 2 +
--    (day >= 15)`. For each instrument and each day with a live inspection of it (an
--    "instrument-day"), the tallies count the day in its half-month `seg` against the
--    half-month of the instrument's previous such day (`prev_seg`, or `seg - 24` when
--    there is none or it lies more than 24 half-months back); every live inspection is
--    also counted in `inspections` at (seg, seg - 24). For a run of half-months [S, E]:
--        instruments_inspected = sum(instrument_days) where seg in [S, E] and prev_seg < S
--        inspections           = sum(inspections)     where seg in [S, E]
-- 2. The due list. Each instrument carries its latest live inspection with a valid-until
--    (the latest by date, then id), so the due list is one range of an index.
--
-- Both are kept by statement-level triggers over transition tables: an import stores
-- thousands of records per statement and voids a whole batch in one. For the instruments
-- a statement touches, the trigger counts their days as they are now and as they were
-- before the statement (now minus what the statement made live, plus what it voided) and
-- adds the difference of the two: set-based, and proportional to those instruments'
-- records. The statements are run with EXECUTE so that each is planned for its own
-- sizes: a plan cached on a connection's first, tiny statement (an empty table, one row)
-- would scan whole tables for every later one.

create function inspection_half_month(d date) returns integer
language sql immutable strict parallel safe
return (extract(year from d)::integer * 12 + extract(month from d)::integer - 1) * 2
    + (extract(day from d) >= 15)::integer;

create table inspection_tallies (
    lab_id bigint not null references labs (id),
    seg integer not null,
    category_code text not null,
    prev_seg integer not null,
    instrument_days bigint not null default 0,
    inspections bigint not null default 0,
    primary key (lab_id, seg, category_code, prev_seg)
);

-- The tallies of the inspections already stored.
insert into inspection_tallies (lab_id, seg, category_code, prev_seg, instrument_days, inspections)
select lab_id, seg, category_code, prev_seg, sum(instrument_days), sum(inspections)
from (
    select lab_id, seg, category_code,
           greatest(lag(seg) over (partition by lab_id, instrument_id order by day), seg - 24)
               as prev_seg,
           1 as instrument_days, 0 as inspections
    from (
        select lab_id, instrument_id, min(category_code) as category_code,
               inspected_on as day, inspection_half_month(inspected_on) as seg
        from inspections where voided_at is null
        group by lab_id, instrument_id, inspected_on
    ) days
    union all
    select lab_id, inspection_half_month(inspected_on), category_code,
           inspection_half_month(inspected_on) - 24, 0, 1
    from inspections where voided_at is null
) x
group by lab_id, seg, category_code, prev_seg;

-- The due list: each instrument's latest valid inspection.
alter table instruments
    add column due_inspection_id bigint,
    add column due_inspected_on date,
    add column due_on date;

update instruments i
set due_inspection_id = s.id, due_inspected_on = s.inspected_on, due_on = s.valid_until
from (
    select distinct on (lab_id, instrument_id) lab_id, instrument_id, id, inspected_on,
           valid_until
    from inspections
    where voided_at is null and valid_until is not null
    order by lab_id, instrument_id, inspected_on desc, id desc
) s
where i.lab_id = s.lab_id and i.id = s.instrument_id;

-- In the due list's order (serial numbers bytewise, as SQLite compares them).
create index instruments_due
    on instruments (lab_id, due_on, serial_number collate "C", id)
    where due_on is not null;

-- Unlike SQLite, inspections_due stays: it serves an instrument's history here (see
-- 0002), and the triggers' probes below.

-- After each statement that inserts into or updates inspections (voids them): `new_rows`
-- and, for an update, `old_rows` are its transition tables.
create function inspections_keep_figures() returns trigger
language plpgsql as $function$
declare
    -- The records whose liveness the statement changed: delta +1 for those it made live
    -- (stored, or un-voided), -1 for those it voided.
    changed text;
begin
    if not exists (select 1 from new_rows) then
        return null;
    end if;
    if tg_op = 'INSERT' then
        changed := 'select lab_id, instrument_id, category_code, inspected_on, 1 as delta
                    from new_rows where voided_at is null';
    else
        changed := 'select n.lab_id, n.instrument_id, n.category_code, n.inspected_on,
                           case when n.voided_at is null then 1 else -1 end as delta
                    from new_rows n join old_rows o on o.lab_id = n.lab_id and o.id = n.id
                    where (o.voided_at is null) <> (n.voided_at is null)';
    end if;

    -- Tallies: what the touched instruments' days count now, minus what they counted
    -- before. A day is live now when it has a live record, and was live before when it
    -- had more than the statement made live (or has one that it voided).
    execute format($sql$
        with changed as (%s),
        changed_days as (
            select lab_id, instrument_id, min(category_code) as category_code,
                   inspected_on as day, sum(delta) as delta
            from changed
            group by lab_id, instrument_id, inspected_on
        ),
        -- The touched instruments' days from the first the statement changed, and the
        -- live day before it (the days before that are counted against the same days as
        -- before; the day before, against the same day). `offset 0`: an index probe per
        -- instrument, never a scan of the table.
        days as (
            select lab_id, instrument_id, category_code, day,
                   inspection_half_month(day) as seg,
                   sum(live) > 0 as live_now, sum(live) - sum(delta) > 0 as live_before
            from (
                select t.lab_id, t.instrument_id, t.category_code, d.day, 1 as live, 0 as delta
                from (
                    select lab_id, instrument_id, min(category_code) as category_code,
                           min(day) as first_day
                    from changed_days
                    group by lab_id, instrument_id
                ) t
                cross join lateral (
                    (select s.inspected_on as day
                     from inspections s
                     where s.lab_id = t.lab_id and s.instrument_id = t.instrument_id
                       and s.inspected_on >= t.first_day and s.voided_at is null
                     offset 0)
                    union all
                    (select s.inspected_on
                     from inspections s
                     where s.lab_id = t.lab_id and s.instrument_id = t.instrument_id
                       and s.inspected_on < t.first_day and s.voided_at is null
                     order by s.inspected_on desc
                     limit 1)
                ) d
                union all
                select lab_id, instrument_id, category_code, day, 0, delta from changed_days
            ) x
            group by lab_id, instrument_id, category_code, day
        ),
        -- Each day against the previous live one, now and before (half-months grow with
        -- days: the previous day's is the greatest before it).
        moves as (
            select lab_id, category_code, seg, live_now, live_before,
                   greatest(max(seg) filter (where live_now) over w, seg - 24) as prev_now,
                   greatest(max(seg) filter (where live_before) over w, seg - 24) as prev_before
            from days
            window w as (partition by lab_id, instrument_id order by day
                         rows between unbounded preceding and 1 preceding)
        ),
        contributions as (
            select m.lab_id, m.seg, m.category_code, v.prev_seg, v.instrument_days,
                   0 as inspections
            from moves m
            cross join lateral (values (m.live_now, m.prev_now, 1),
                                       (m.live_before, m.prev_before, -1))
                v (live, prev_seg, instrument_days)
            where v.live and not (m.live_now and m.live_before and m.prev_now = m.prev_before)
            union all
            select lab_id, inspection_half_month(day), category_code,
                   inspection_half_month(day) - 24, 0, delta
            from changed_days
            where delta <> 0
        )
        insert into inspection_tallies as t
            (lab_id, seg, category_code, prev_seg, instrument_days, inspections)
        select lab_id, seg, category_code, prev_seg, sum(instrument_days), sum(inspections)
        from contributions
        group by lab_id, seg, category_code, prev_seg
        having sum(instrument_days) <> 0 or sum(inspections) <> 0
        order by lab_id, seg, category_code, prev_seg
        on conflict (lab_id, seg, category_code, prev_seg) do update
        set instrument_days = t.instrument_days + excluded.instrument_days,
            inspections = t.inspections + excluded.inspections
    $sql$, changed);

    -- Due list. The due inspection is always live: an instrument whose due inspection
    -- is voided now takes its latest valid one left ...
    if tg_op = 'UPDATE' then
        execute $sql$
            update instruments i
            set (due_inspection_id, due_inspected_on, due_on) = (
                select s.id, s.inspected_on, s.valid_until
                from inspections s
                where s.lab_id = i.lab_id and s.instrument_id = i.id
                  and s.voided_at is null and s.valid_until is not null
                order by s.inspected_on desc, s.id desc
                limit 1)
            from new_rows n
            where n.voided_at is not null
              and i.lab_id = n.lab_id and i.id = n.instrument_id and i.due_inspection_id = n.id
        $sql$;
    end if;
    -- ... and one with a live valid record later than its due one (one the statement
    -- stored or un-voided: the others are not later) takes the latest of them.
    if tg_op = 'INSERT' or exists (select 1 from new_rows where voided_at is null) then
        execute $sql$
            update instruments i
            set due_inspection_id = n.id, due_inspected_on = n.inspected_on,
                due_on = n.valid_until
            from (
                select distinct on (lab_id, instrument_id)
                       lab_id, instrument_id, id, inspected_on, valid_until
                from new_rows
                where voided_at is null and valid_until is not null
                order by lab_id, instrument_id, inspected_on desc, id desc
            ) n
            where i.lab_id = n.lab_id and i.id = n.instrument_id
              and (i.due_inspected_on is null
                   or (i.due_inspected_on, i.due_inspection_id) < (n.inspected_on, n.id))
        $sql$;
    end if;
    return null;
end;
$function$;

create trigger inspections_figures_insert after insert on inspections
    referencing new table as new_rows
    for each statement execute function inspections_keep_figures();

create trigger inspections_figures_update after update on inspections
    referencing old table as old_rows new table as new_rows
    for each statement execute function inspections_keep_figures();

-- Records change only by being voided (corrections are new versions): what the tallies
-- are keyed on never changes under them, and nothing is deleted.
create function inspections_are_frozen() returns trigger
language plpgsql as $$
begin
    raise exception 'an inspection''s instrument, category and date do not change: void it and store a new one';
end;
$$;

create trigger inspections_tally_frozen
    before update of lab_id, instrument_id, category_code, inspected_on on inspections
    for each row
    when (old.lab_id is distinct from new.lab_id
          or old.instrument_id is distinct from new.instrument_id
          or old.category_code is distinct from new.category_code
          or old.inspected_on is distinct from new.inspected_on)
    execute function inspections_are_frozen();

create function inspections_are_kept() returns trigger
language plpgsql as $$
begin
    raise exception 'inspections are voided, never deleted';
end;
$$;

create trigger inspections_no_delete before delete on inspections
    for each row execute function inspections_are_kept();

create trigger inspections_no_truncate before truncate on inspections
    for each statement execute function inspections_are_kept();
