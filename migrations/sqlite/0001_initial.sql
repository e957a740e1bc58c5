-- metrotrack's first schema (SQLite).
--
-- Conventions: `*_at` timestamps are RFC 3339 text (UTC), `*_on` dates are `YYYY-MM-DD`
-- text, exact decimals are their canonical text (`2.50` stays `2.50`). Every table
-- carries `lab_id` and every key starts with it, so that a distributed PostgreSQL
-- (Citus, distributed by lab) can hold the same shape.

create table labs (
    id integer primary key,
    code text not null unique,
    name text not null,
    created_at text not null
);

create table categories (
    lab_id integer not null references labs (id),
    code text not null,
    name_vi text not null,
    name_en text not null,
    legal_group2 integer not null default 1,
    primary key (lab_id, code)
);

create table category_cycles (
    lab_id integer not null,
    category_code text not null,
    effective_from text not null,
    months integer not null check (months > 0),
    primary key (lab_id, category_code, effective_from),
    foreign key (lab_id, category_code) references categories (lab_id, code)
);

create table import_batches (
    id integer primary key,
    lab_id integer not null references labs (id),
    kind text not null check (kind in ('inspections', 'earthing')),
    mode text not null check (mode in ('strict', 'partial', 'dry_run')),
    file_name text not null,
    size_bytes integer not null default 0,
    -- Set when the import finishes; null while it runs.
    sha256 text,
    uploaded_by text not null,
    uploaded_at text not null,
    rows integer not null default 0,
    inserted integer not null default 0,
    duplicates integer not null default 0,
    rejected integer not null default 0,
    problems text not null default '[]', -- JSON array of problems
    warnings text not null default '[]', -- JSON array of problems
    voided_at text,
    voided_by text,
    void_reason text
);

-- The same file is one batch; a voided batch no longer blocks importing it again.
create unique index import_batches_sha256 on import_batches (lab_id, sha256)
    where voided_at is null;
create index import_batches_lab on import_batches (lab_id, id);

create table instruments (
    id integer primary key,
    lab_id integer not null references labs (id),
    category_code text not null,
    manufacturer_key text not null, -- '' when no manufacturer is known
    serial_key text not null,
    serial_number text not null,
    manufacturer text,
    model text,
    owner text,
    measuring_range text,
    accuracy_class text,
    created_at text not null,
    created_batch_id integer references import_batches (id),
    foreign key (lab_id, category_code) references categories (lab_id, code)
);

create unique index instruments_identity
    on instruments (lab_id, category_code, manufacturer_key, serial_key);

create table inspections (
    id integer primary key,
    lab_id integer not null references labs (id),
    instrument_id integer not null references instruments (id),
    category_code text not null, -- the instrument's, denormalised for the metrics
    kind text not null check (kind in ('verification', 'calibration', 'test')),
    inspected_on text not null,
    verification_type text,
    procedure text,
    result text check (result in ('pass', 'fail')),
    error_percent text,
    certificate_no text,
    stamp_no text,
    valid_until text,
    technician text not null,
    checked_by text,
    notes text,
    batch_id integer references import_batches (id),
    source_line integer,
    original text, -- JSON object: header → value as written
    version integer not null default 1,
    voided_at text,
    created_at text not null
);

create unique index inspections_natural_key
    on inspections (lab_id, instrument_id, kind, inspected_on) where voided_at is null;
create unique index inspections_certificate_no
    on inspections (lab_id, certificate_no)
    where certificate_no is not null and voided_at is null;
create unique index inspections_stamp_no
    on inspections (lab_id, stamp_no) where stamp_no is not null and voided_at is null;
create index inspections_metrics
    on inspections (lab_id, inspected_on, category_code, instrument_id);
create index inspections_due
    on inspections (lab_id, instrument_id, inspected_on, valid_until);
create index inspections_batch on inspections (batch_id, source_line);

create table earthing_points (
    id integer primary key,
    lab_id integer not null references labs (id),
    site text not null,
    site_key text not null,
    code text not null,
    code_key text not null,
    system text not null
        check (system in ('lightning_protection', 'electrical_safety', 'other')),
    limit_ohm text not null,
    created_at text not null
);

create unique index earthing_points_identity on earthing_points (lab_id, site_key, code_key);

create table earthing_tests (
    id integer primary key,
    lab_id integer not null references labs (id),
    point_id integer not null references earthing_points (id),
    tested_on text not null,
    resistance_ohm text not null,
    limit_ohm text not null, -- the limit applied: the row's, else the point's
    method text check (method in ('fall_of_potential', 'clamp', 'two_pole', 'other')),
    tester_serial text,
    weather text,
    technician text not null,
    notes text,
    batch_id integer references import_batches (id),
    source_line integer,
    original text,
    version integer not null default 1,
    voided_at text,
    created_at text not null
);

create unique index earthing_tests_natural_key
    on earthing_tests (lab_id, point_id, tested_on) where voided_at is null;
create index earthing_tests_metrics on earthing_tests (lab_id, tested_on, point_id);
create index earthing_tests_batch on earthing_tests (batch_id, source_line);

create table plan_targets (
    lab_id integer not null references labs (id),
    metric text not null,
    category_code text not null default '', -- '' = every category
    period text not null, -- '2023-10' (month) or '2023' (year)
    target integer not null check (target > 0),
    set_by text not null,
    set_at text not null,
    primary key (lab_id, metric, category_code, period)
);

-- Append-only: every write (import, void, plan change, …) leaves an entry.
create table audit_log (
    id integer primary key,
    lab_id integer not null references labs (id),
    at text not null,
    actor text not null,
    action text not null,
    subject text not null,
    detail text not null default '{}' -- JSON
);

create index audit_log_lab on audit_log (lab_id, id);

create trigger audit_log_no_update before update on audit_log
begin
    select raise(abort, 'the audit log is append-only');
end;

create trigger audit_log_no_delete before delete on audit_log
begin
    select raise(abort, 'the audit log is append-only');
end;
