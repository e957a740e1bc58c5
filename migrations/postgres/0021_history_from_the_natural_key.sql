-- An instrument's history is read from the natural key (its live records) and a small
-- index of its voided records, instead of `inspections_due`, which every import kept
-- up row by row for nothing else: alone, it cost an import about 0.24 s per 200,000
-- rows. The natural key serves every other query by instrument, each of which reads
-- live records only (`voided_at is null`): the probes of live days in
-- `inspections_keep_figures`, the due date's recomputation, `due_by_stored`, `metrotrack
-- verify`. A query that also reads voided records names both cases
-- (`Backend::LIVE_OR_VOIDED`), and the planner combines the two indexes.
drop index inspections_due;

create index inspections_voided on inspections (lab_id, instrument_id)
    where voided_at is not null;
