-- How many instruments fall due on each day, per lab, so that the due page's counts
-- (overdue, due within N days) sum a few thousand days instead of counting every due
-- instrument: at 1M records 221,398 instruments were due within 30 days, and counting
-- them took 87 ms a request, growing with the lab's instruments.
--
-- Invariant: for every lab and day, the sum of `instruments` over
-- `instrument_due_days` and `instrument_due_day_changes` is the number of the lab's
-- instruments whose `due_on` is that day. Statement triggers on `instruments` append
-- each statement's changes (as 0007 does for the tallies, so that an import's hundreds
-- of statements do not update the same day rows in place, each time past a longer
-- chain of row versions); `fold_instrument_due_days(lab)` moves them into the counts,
-- and the store calls it with the tallies' fold before an import or a void commits.
-- An import counts the instruments it creates due in memory instead (`sql/tallies.rs`,
-- `Pending`, as for their tallies), and says so with the transaction-local setting of
-- 0013: the insert trigger then counts nothing; moves (updates) are always counted here.
-- Instruments are never deleted or truncated (0008). `metrotrack verify` recounts it.
create table instrument_due_days (
    lab_id bigint not null references labs (id),
    due_on date not null,
    instruments bigint not null,
    primary key (lab_id, due_on)
);

create table instrument_due_day_changes (
    lab_id bigint not null,
    due_on date not null,
    instruments bigint not null
);

create index instrument_due_day_changes_day on instrument_due_day_changes (lab_id, due_on);

insert into instrument_due_days (lab_id, due_on, instruments)
select lab_id, due_on, count(*) from instruments
where due_on is not null
group by lab_id, due_on;

create function instruments_count_due_days() returns trigger
language plpgsql as $function$
begin
    if tg_op = 'INSERT' then
        -- The import counts the instruments it creates itself, in memory (it names
        -- itself with the setting of 0013, set only in an import's transaction).
        if coalesce(current_setting('metrotrack.writer_counts_instruments_above', true), '')
           <> '' then
            return null;
        end if;
        insert into instrument_due_day_changes (lab_id, due_on, instruments)
        select lab_id, due_on, count(*) from new_rows
        where due_on is not null
        group by lab_id, due_on;
    else
        insert into instrument_due_day_changes (lab_id, due_on, instruments)
        select lab_id, due_on, sum(delta) from (
            select lab_id, due_on, 1 as delta from new_rows where due_on is not null
            union all
            select lab_id, due_on, -1 from old_rows where due_on is not null
        ) c
        group by lab_id, due_on
        having sum(delta) <> 0;
    end if;
    return null;
end;
$function$;

create trigger instruments_due_days_insert after insert on instruments
    referencing new table as new_rows
    for each statement execute function instruments_count_due_days();

create trigger instruments_due_days_update after update on instruments
    referencing old table as old_rows new table as new_rows
    for each statement execute function instruments_count_due_days();

create function fold_instrument_due_days(lab bigint) returns void
language sql as $$
    with moved as (
        delete from instrument_due_day_changes where lab_id = lab
        returning lab_id, due_on, instruments
    )
    insert into instrument_due_days as d (lab_id, due_on, instruments)
    select lab_id, due_on, sum(instruments) from moved
    group by lab_id, due_on
    order by lab_id, due_on
    on conflict (lab_id, due_on) do update
    set instruments = d.instruments + excluded.instruments
$$;
