-- Records are evidence. A stored record is corrected by an amendment: a new version
-- written in place (the record's id stays), the version it replaces kept whole in
-- `record_versions`, with who made each version, when and why. A record can be voided
-- on its own (`voided_by`, `void_reason` on the record; a batch's void leaves them null,
-- its reason is the batch's), and a voided batch restored.

alter table inspections add column amended_by text;
alter table inspections add column amended_at text;
alter table inspections add column amend_reason text;
alter table inspections add column voided_by text;
alter table inspections add column void_reason text;

alter table earthing_tests add column amended_by text;
alter table earthing_tests add column amended_at text;
alter table earthing_tests add column amend_reason text;
alter table earthing_tests add column voided_by text;
alter table earthing_tests add column void_reason text;

-- Every version a record had before its current one, as the record read showed it.
create table record_versions (
    id integer primary key,
    lab_id integer not null references labs (id),
    record_kind text not null check (record_kind in ('inspection', 'earthing_test')),
    record_id integer not null,
    version integer not null,
    record text not null, -- JSON: the whole version, as `GET …/{id}` showed it
    replaced_at text not null,
    unique (lab_id, record_kind, record_id, version)
);

create trigger record_versions_no_update before update on record_versions
begin
    select raise(abort, 'record versions are kept as written');
end;

create trigger record_versions_no_delete before delete on record_versions
begin
    select raise(abort, 'record versions are kept as written');
end;

-- What the tallies are keyed on still never changes under a live inspection; an
-- amendment voids the version it replaces first (the upkeep takes it out of the
-- figures), then writes the new values and makes the record live again (the upkeep
-- counts it anew). A lab never changes.
drop trigger inspections_tally_frozen;
create trigger inspections_tally_frozen before update of lab_id, instrument_id, category_code,
    inspected_on on inspections
when old.voided_at is null or old.lab_id <> new.lab_id
begin
    select raise(abort, 'a live inspection''s instrument, category and date do not change: an amendment voids it first');
end;

-- A batch that stored nothing never blocks its file: only a live batch that stored
-- records answers for it.
drop index import_batches_sha256;
create unique index import_batches_sha256 on import_batches (lab_id, sha256)
    where voided_at is null and inserted > 0;
