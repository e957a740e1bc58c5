-- The references of instruments and inspections are checked once per statement, not
-- once per row.
--
-- PostgreSQL checks a foreign key with a query of its own for every row stored: plan
-- set-up, a probe, a row lock. A bulk import stores an inspection and, mostly, a new
-- instrument per line, four foreign keys between them. Measured on a 200k-row import,
-- those checks took a third of the import (24 s with them, 16 s without).
--
-- Here the four become one query per statement each, over the statement's transition
-- table: an anti-join that reports the first row referring to nothing. What they refer
-- to is guarded instead of locked: instruments and import batches are never deleted
-- (batches are voided; instruments stay as the history's subject), their keys never
-- change, and a category cannot be deleted or renamed while instruments use it. The
-- referring columns cannot change either, so an update has nothing to check.
--
-- The guarantee is the one the foreign keys gave (SQLSTATE 23503 on a dangling
-- reference), for every writer. Earthing points and tests, a few thousand a year, keep
-- their foreign keys.

alter table inspections
    drop constraint inspections_lab_id_instrument_id_fkey,
    drop constraint inspections_lab_id_batch_id_fkey;
alter table instruments
    drop constraint instruments_lab_id_category_code_fkey,
    drop constraint instruments_lab_id_created_batch_id_fkey;

-- The referring side: what a statement stored refers to something.

create function inspections_check_references() returns trigger
language plpgsql as $$
declare
    bad record;
begin
    select n.lab_id, n.id, n.instrument_id into bad
    from new_rows n
    where not exists (
        -- `offset 0`: a probe of the primary key per row, never a hash of the whole
        -- table (which stale statistics could choose, once per statement).
        select 1 from instruments i where i.lab_id = n.lab_id and i.id = n.instrument_id
        offset 0)
    limit 1;
    if found then
        raise exception using errcode = 'foreign_key_violation',
            message = format('inspection %s refers to instrument %s of lab %s, which does not exist',
                             bad.id, bad.instrument_id, bad.lab_id);
    end if;
    select n.lab_id, n.id, n.batch_id into bad
    from new_rows n
    where n.batch_id is not null and not exists (
        select 1 from import_batches b where b.lab_id = n.lab_id and b.id = n.batch_id)
    limit 1;
    if found then
        raise exception using errcode = 'foreign_key_violation',
            message = format('inspection %s refers to import batch %s of lab %s, which does not exist',
                             bad.id, bad.batch_id, bad.lab_id);
    end if;
    return null;
end;
$$;

create trigger inspections_references after insert on inspections
    referencing new table as new_rows
    for each statement execute function inspections_check_references();

create function instruments_check_references() returns trigger
language plpgsql as $$
declare
    bad record;
begin
    select n.lab_id, n.id, n.category_code into bad
    from new_rows n
    where not exists (
        select 1 from categories c where c.lab_id = n.lab_id and c.code = n.category_code)
    limit 1;
    if found then
        raise exception using errcode = 'foreign_key_violation',
            message = format('instrument %s refers to category %s of lab %s, which does not exist',
                             bad.id, bad.category_code, bad.lab_id);
    end if;
    select n.lab_id, n.id, n.created_batch_id into bad
    from new_rows n
    where n.created_batch_id is not null and not exists (
        select 1 from import_batches b where b.lab_id = n.lab_id and b.id = n.created_batch_id)
    limit 1;
    if found then
        raise exception using errcode = 'foreign_key_violation',
            message = format('instrument %s refers to import batch %s of lab %s, which does not exist',
                             bad.id, bad.created_batch_id, bad.lab_id);
    end if;
    return null;
end;
$$;

create trigger instruments_references after insert on instruments
    referencing new table as new_rows
    for each statement execute function instruments_check_references();

-- References do not move: an inspection's lab, instrument, category and date are frozen
-- already (0005); its batch and an instrument's lab, category and batch are frozen here.
-- The guards fire only when a statement sets those columns (a due date's update does not).

create function references_are_frozen() returns trigger
language plpgsql as $$
begin
    raise exception using errcode = 'foreign_key_violation',
        message = format('the references of %s rows do not change', tg_table_name);
end;
$$;

create trigger inspections_batch_frozen
    before update of batch_id on inspections
    for each row
    when (old.batch_id is distinct from new.batch_id)
    execute function references_are_frozen();

create trigger instruments_references_frozen
    before update of lab_id, category_code, created_batch_id on instruments
    for each row
    when (old.lab_id is distinct from new.lab_id
          or old.category_code is distinct from new.category_code
          or old.created_batch_id is distinct from new.created_batch_id)
    execute function references_are_frozen();

-- The referred side: instruments and batches stay, under the same keys; a category goes
-- or changes its code only while no instrument uses it.

create function rows_are_kept() returns trigger
language plpgsql as $$
begin
    raise exception using errcode = 'foreign_key_violation',
        message = format('%s rows are referred to and never deleted', tg_table_name);
end;
$$;

create trigger instruments_kept before delete on instruments
    for each row execute function rows_are_kept();
create trigger instruments_not_truncated before truncate on instruments
    for each statement execute function rows_are_kept();
create trigger instruments_key_frozen
    before update of lab_id, id on instruments
    for each row
    when (old.lab_id is distinct from new.lab_id or old.id is distinct from new.id)
    execute function references_are_frozen();

create trigger import_batches_kept before delete on import_batches
    for each row execute function rows_are_kept();
create trigger import_batches_not_truncated before truncate on import_batches
    for each statement execute function rows_are_kept();
create trigger import_batches_key_frozen
    before update of lab_id, id on import_batches
    for each row
    when (old.lab_id is distinct from new.lab_id or old.id is distinct from new.id)
    execute function references_are_frozen();

create function categories_unused() returns trigger
language plpgsql as $$
begin
    if exists (select 1 from instruments i
               where i.lab_id = old.lab_id and i.category_code = old.code) then
        raise exception using errcode = 'foreign_key_violation',
            message = format('category %s of lab %s is used by instruments', old.code, old.lab_id);
    end if;
    return case when tg_op = 'DELETE' then old else new end;
end;
$$;

create trigger categories_in_use_kept before delete on categories
    for each row execute function categories_unused();
create trigger categories_in_use_key_frozen
    before update of lab_id, code on categories
    for each row
    when (old.lab_id is distinct from new.lab_id or old.code is distinct from new.code)
    execute function categories_unused();
create trigger categories_not_truncated before truncate on categories
    for each statement execute function rows_are_kept();
