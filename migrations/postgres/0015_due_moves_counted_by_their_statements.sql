-- The due-day counts of 0014 are kept by the statements that move instruments' due
-- dates, not by a statement trigger on every update of `instruments`.
--
-- The trigger read both transition tables of each update of the instruments, and in an
-- import every chunk updates some: measured at 1M rows, it was nearly all of what 0014
-- cost a PostgreSQL import (1.10x). Three statements move a due date: the two updates of
-- the figures trigger below (a voided due inspection replaced; a later valid record
-- stored) and the import's `due_by_stored` (an instrument the import created due by a
-- row it then skipped). Each returns, for every instrument it moved, the day it was due
-- before (from `o`, the instrument as the statement found it: PostgreSQL 15 has no OLD
-- in RETURNING) and the day it is due now, and hands them to `count_due_day_moves`.
--
-- Invariant of 0014, unchanged: the counts plus their changes are, per lab and day, the
-- lab's instruments due that day. A writer that sets `instruments.due_on` anywhere else
-- must count its moves the same way (`metrotrack verify` recounts the table). Inserted
-- instruments are still counted by the insert trigger of 0014, or by the import.

drop trigger instruments_due_days_update on instruments;

-- 0014's function, now for inserts only.
create or replace function instruments_count_due_days() returns trigger
language plpgsql as $function$
begin
    -- The import counts the instruments it creates itself, in memory (it names itself
    -- with the setting of 0013, set only in an import's transaction).
    if coalesce(current_setting('metrotrack.writer_counts_instruments_above', true), '')
       <> '' then
        return null;
    end if;
    insert into instrument_due_day_changes (lab_id, due_on, instruments)
    select lab_id, due_on, count(*) from new_rows
    where due_on is not null
    group by lab_id, due_on;
    return null;
end;
$function$;

-- Instruments moved from the days `due_before` to the days `due_after` (element by
-- element; null: not due), counted as changes to fold.
create function count_due_day_moves(lab_ids bigint[], due_before date[], due_after date[])
returns void
language sql as $$
    insert into instrument_due_day_changes (lab_id, due_on, instruments)
    select lab_id, day, sum(delta) from (
        select lab_id, day, -1 as delta from unnest(lab_ids, due_before) m (lab_id, day)
        where day is not null
        union all
        select lab_id, day, 1 from unnest(lab_ids, due_after) m (lab_id, day)
        where day is not null
    ) c
    group by lab_id, day
    having sum(delta) <> 0
$$;

-- The figures trigger of 0013 (read 0005 and 0007 for its reasoning); only its due
-- list's updates are new: they count the days they move.
create or replace function inspections_keep_figures() returns trigger
language plpgsql as $function$
declare
    -- The records whose liveness the statement changed: delta +1 for those it made live
    -- (stored, or un-voided), -1 for those it voided.
    changed text;
    -- Inspections of instruments above this id are counted by their writer: see above.
    counted_above bigint := coalesce(
        nullif(current_setting('metrotrack.writer_counts_instruments_above', true), '')::bigint,
        9223372036854775807);
begin
    if not exists (select 1 from new_rows) then
        return null;
    end if;
    if tg_op <> 'INSERT' then
        -- Voids and restores are always counted here.
        counted_above := 9223372036854775807;
    end if;
    if tg_op = 'INSERT' then
        changed := format(
            'select lab_id, instrument_id, category_code, inspected_on, 1 as delta
             from new_rows where voided_at is null and instrument_id <= %s',
            counted_above);
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
        insert into inspection_tally_changes
            (lab_id, seg, category_code, prev_seg, instrument_days, inspections)
        select lab_id, seg, category_code, prev_seg, sum(instrument_days), sum(inspections)
        from contributions
        group by lab_id, seg, category_code, prev_seg
        having sum(instrument_days) <> 0 or sum(inspections) <> 0
    $sql$, changed);

    -- Due list. The due inspection is always live: an instrument whose due inspection
    -- is voided now takes its latest valid one left ...
    -- Each update counts the due days it moves (0015): `o`, the instrument as the
    -- statement found it, gives the day it was due before.
    if tg_op = 'UPDATE' then
        execute $sql$
            with moved as (
                update instruments i
                set (due_inspection_id, due_inspected_on, due_on) = (
                    select s.id, s.inspected_on, s.valid_until
                    from inspections s
                    where s.lab_id = i.lab_id and s.instrument_id = i.id
                      and s.voided_at is null and s.valid_until is not null
                    order by s.inspected_on desc, s.id desc
                    limit 1)
                from new_rows n, instruments o
                where n.voided_at is not null
                  and i.lab_id = n.lab_id and i.id = n.instrument_id and i.due_inspection_id = n.id
                  and o.lab_id = i.lab_id and o.id = i.id
                returning i.lab_id, o.due_on as due_before, i.due_on as due_after
            )
            select count_due_day_moves(array_agg(lab_id), array_agg(due_before), array_agg(due_after))
            from moved
        $sql$;
    end if;
    -- ... and one with a live valid record later than its due one (one the statement
    -- stored or un-voided: the others are not later) takes the latest of them.
    if tg_op = 'INSERT' or exists (select 1 from new_rows where voided_at is null) then
        execute format($sql$
            with moved as (
                update instruments i
                set due_inspection_id = n.id, due_inspected_on = n.inspected_on,
                    due_on = n.valid_until
                from (
                    select distinct on (lab_id, instrument_id)
                           lab_id, instrument_id, id, inspected_on, valid_until
                    from new_rows
                    where voided_at is null and valid_until is not null
                      and instrument_id <= %s
                    order by lab_id, instrument_id, inspected_on desc, id desc
                ) n, instruments o
                where i.lab_id = n.lab_id and i.id = n.instrument_id
                  and (i.due_inspected_on is null
                       or (i.due_inspected_on, i.due_inspection_id) < (n.inspected_on, n.id))
                  and o.lab_id = i.lab_id and o.id = i.id
                returning i.lab_id, o.due_on as due_before, i.due_on as due_after
            )
            select count_due_day_moves(array_agg(lab_id), array_agg(due_before), array_agg(due_after))
            from moved
        $sql$, counted_above);
    end if;
    return null;
end;
$function$;
