-- The statement-level reference checks of 0008 check each distinct reference once.
--
-- 0008 probed, for every row a statement stored, the row its reference names: an
-- import's chunk of 5,000 inspections probed `import_batches` 5,000 times for the one
-- batch they all belong to, and its new instruments probed `categories` once each for a
-- handful of categories. Measured on a 200k-row import (auto_explain, the triggers'
-- time): 0.35 s for the instruments' checks and 0.48 s for the inspections', about a
-- tenth of the import's statements. A reference that many rows share is now checked
-- once: the statement's distinct (lab, batch) and (lab, category) pairs, a hash of the
-- transition table, then one probe each. The instrument an inspection names is still
-- probed per row (nearly every row of a chunk names an instrument of its own).
--
-- The guarantee and the error are 0008's: SQLSTATE 23503, naming a row that refers to
-- nothing (the least id among those that share the missing reference).

create or replace function inspections_check_references() returns trigger
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
    select r.lab_id, r.id, r.batch_id into bad
    from (
        select lab_id, batch_id, min(id) as id
        from new_rows
        where batch_id is not null
        group by lab_id, batch_id
    ) r
    where not exists (
        select 1 from import_batches b where b.lab_id = r.lab_id and b.id = r.batch_id)
    limit 1;
    if found then
        raise exception using errcode = 'foreign_key_violation',
            message = format('inspection %s refers to import batch %s of lab %s, which does not exist',
                             bad.id, bad.batch_id, bad.lab_id);
    end if;
    return null;
end;
$$;

create or replace function instruments_check_references() returns trigger
language plpgsql as $$
declare
    bad record;
begin
    select r.lab_id, r.id, r.category_code into bad
    from (
        select lab_id, category_code, min(id) as id
        from new_rows
        group by lab_id, category_code
    ) r
    where not exists (
        select 1 from categories c where c.lab_id = r.lab_id and c.code = r.category_code)
    limit 1;
    if found then
        raise exception using errcode = 'foreign_key_violation',
            message = format('instrument %s refers to category %s of lab %s, which does not exist',
                             bad.id, bad.category_code, bad.lab_id);
    end if;
    select r.lab_id, r.id, r.created_batch_id into bad
    from (
        select lab_id, created_batch_id, min(id) as id
        from new_rows
        where created_batch_id is not null
        group by lab_id, created_batch_id
    ) r
    where not exists (
        select 1 from import_batches b
        where b.lab_id = r.lab_id and b.id = r.created_batch_id)
    limit 1;
    if found then
        raise exception using errcode = 'foreign_key_violation',
            message = format('instrument %s refers to import batch %s of lab %s, which does not exist',
                             bad.id, bad.created_batch_id, bad.lab_id);
    end if;
    return null;
end;
$$;
