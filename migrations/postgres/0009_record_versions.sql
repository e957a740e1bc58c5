-- Records are evidence. A stored record is corrected by an amendment: a new version
-- written in place (the record's id stays), the version it replaces kept whole in
-- `record_versions`, with who made each version, when and why. A record can be voided
-- on its own (`voided_by`, `void_reason` on the record; a batch's void leaves them null,
-- its reason is the batch's), and a voided batch restored.

alter table inspections
    add column amended_by text,
    add column amended_at timestamptz,
    add column amend_reason text,
    add column voided_by text,
    add column void_reason text;

alter table earthing_tests
    add column amended_by text,
    add column amended_at timestamptz,
    add column amend_reason text,
    add column voided_by text,
    add column void_reason text;

-- Every version a record had before its current one, as the record read showed it.
create table record_versions (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    record_kind text not null check (record_kind in ('inspection', 'earthing_test')),
    record_id bigint not null,
    version integer not null,
    record jsonb not null check (jsonb_typeof(record) = 'object'),
    replaced_at timestamptz not null,
    primary key (lab_id, id),
    unique (lab_id, record_kind, record_id, version)
);

create function record_versions_are_kept() returns trigger
language plpgsql as $$
begin
    raise exception 'record versions are kept as written';
end;
$$;

create trigger record_versions_no_update before update or delete on record_versions
    for each row execute function record_versions_are_kept();

create trigger record_versions_no_truncate before truncate on record_versions
    for each statement execute function record_versions_are_kept();

-- What the tallies are keyed on still never changes under a live inspection; an
-- amendment voids the version it replaces first (the trigger takes it out of the
-- figures), then writes the new values and makes the record live again (the trigger
-- counts it anew). A lab never changes.
drop trigger inspections_tally_frozen on inspections;
create trigger inspections_tally_frozen
    before update of lab_id, instrument_id, category_code, inspected_on on inspections
    for each row
    when (old.lab_id is distinct from new.lab_id
          or (old.voided_at is null
              and (old.instrument_id is distinct from new.instrument_id
                   or old.category_code is distinct from new.category_code
                   or old.inspected_on is distinct from new.inspected_on)))
    execute function inspections_are_frozen();

-- A batch that stored nothing never blocks its file: only a live batch that stored
-- records answers for it.
drop index import_batches_sha256;
create unique index import_batches_sha256 on import_batches (lab_id, sha256)
    where voided_at is null and inserted > 0;
