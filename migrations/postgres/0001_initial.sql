-- metrotrack's first schema (PostgreSQL): the same tables as migrations/sqlite/0001,
-- with PostgreSQL's own types.
--
-- Conventions: `*_at` are `timestamptz`, `*_on` are `date`, measured values are
-- `numeric` (which keeps the scale as written: 2.50 stays 2.50), keys are identities,
-- the original observations and problem lists are `jsonb`. Every table carries
-- `lab_id`, every primary key, unique index and foreign key between lab tables starts
-- with it, so that Citus can distribute the lab tables by `lab_id` and co-locate them
-- (see docs/national-deployment.md). `labs` is the one table not keyed by lab: it would
-- be a reference table.

create table labs (
    id bigint generated always as identity primary key,
    code text not null unique,
    name text not null,
    created_at timestamptz not null
);

create table categories (
    lab_id bigint not null references labs (id),
    code text not null,
    name_vi text not null,
    name_en text not null,
    legal_group2 boolean not null default true,
    primary key (lab_id, code)
);

create table category_cycles (
    lab_id bigint not null,
    category_code text not null,
    effective_from date not null,
    months integer not null check (months > 0),
    primary key (lab_id, category_code, effective_from),
    foreign key (lab_id, category_code) references categories (lab_id, code)
);

create table import_batches (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    kind text not null check (kind in ('inspections', 'earthing')),
    mode text not null check (mode in ('strict', 'partial', 'dry_run')),
    file_name text not null,
    size_bytes bigint not null default 0 check (size_bytes >= 0),
    -- Set when the import finishes; null while it runs.
    sha256 text,
    uploaded_by text not null,
    uploaded_at timestamptz not null,
    rows bigint not null default 0 check (rows >= 0),
    inserted bigint not null default 0 check (inserted >= 0),
    duplicates bigint not null default 0 check (duplicates >= 0),
    rejected bigint not null default 0 check (rejected >= 0),
    problems jsonb not null default '[]' check (jsonb_typeof(problems) = 'array'),
    warnings jsonb not null default '[]' check (jsonb_typeof(warnings) = 'array'),
    voided_at timestamptz,
    voided_by text,
    void_reason text,
    primary key (lab_id, id),
    check ((voided_at is null) = (voided_by is null))
);

-- The same file is one batch; a voided batch no longer blocks importing it again.
create unique index import_batches_sha256 on import_batches (lab_id, sha256)
    where voided_at is null;

create table instruments (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    category_code text not null,
    manufacturer_key text not null, -- '' when no manufacturer is known
    serial_key text not null check (serial_key <> ''),
    serial_number text not null,
    manufacturer text,
    model text,
    owner text,
    measuring_range text,
    accuracy_class text,
    created_at timestamptz not null,
    created_batch_id bigint,
    primary key (lab_id, id),
    foreign key (lab_id, category_code) references categories (lab_id, code),
    foreign key (lab_id, created_batch_id) references import_batches (lab_id, id)
);

create unique index instruments_identity
    on instruments (lab_id, category_code, manufacturer_key, serial_key);

create table inspections (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    instrument_id bigint not null,
    category_code text not null, -- the instrument's, denormalised for the metrics
    kind text not null check (kind in ('verification', 'calibration', 'test')),
    inspected_on date not null,
    verification_type text
        check (verification_type in ('initial', 'periodic', 'after_repair')),
    procedure text,
    result text check (result in ('pass', 'fail')),
    error_percent numeric,
    certificate_no text,
    stamp_no text,
    valid_until date,
    technician text not null,
    checked_by text,
    notes text,
    batch_id bigint,
    source_line bigint,
    original jsonb check (jsonb_typeof(original) = 'object'), -- header → value as written
    version integer not null default 1 check (version > 0),
    voided_at timestamptz,
    created_at timestamptz not null,
    primary key (lab_id, id),
    foreign key (lab_id, instrument_id) references instruments (lab_id, id),
    foreign key (lab_id, batch_id) references import_batches (lab_id, id),
    check (result is distinct from 'fail' or valid_until is null)
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
create index inspections_batch on inspections (lab_id, batch_id, source_line);

create table earthing_points (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    site text not null,
    site_key text not null,
    code text not null,
    code_key text not null check (code_key <> ''),
    system text not null
        check (system in ('lightning_protection', 'electrical_safety', 'other')),
    limit_ohm numeric not null check (limit_ohm >= 0),
    created_at timestamptz not null,
    primary key (lab_id, id)
);

create unique index earthing_points_identity on earthing_points (lab_id, site_key, code_key);

create table earthing_tests (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    point_id bigint not null,
    tested_on date not null,
    resistance_ohm numeric not null check (resistance_ohm >= 0),
    limit_ohm numeric not null check (limit_ohm >= 0), -- the limit applied
    method text check (method in ('fall_of_potential', 'clamp', 'two_pole', 'other')),
    tester_serial text,
    weather text,
    technician text not null,
    notes text,
    batch_id bigint,
    source_line bigint,
    original jsonb check (jsonb_typeof(original) = 'object'),
    version integer not null default 1 check (version > 0),
    voided_at timestamptz,
    created_at timestamptz not null,
    primary key (lab_id, id),
    foreign key (lab_id, point_id) references earthing_points (lab_id, id),
    foreign key (lab_id, batch_id) references import_batches (lab_id, id)
);

create unique index earthing_tests_natural_key
    on earthing_tests (lab_id, point_id, tested_on) where voided_at is null;
create index earthing_tests_metrics on earthing_tests (lab_id, tested_on, point_id);
create index earthing_tests_batch on earthing_tests (lab_id, batch_id, source_line);

create table plan_targets (
    lab_id bigint not null references labs (id),
    metric text not null
        check (metric in ('instruments_inspected', 'inspections', 'earthing_points_measured')),
    category_code text not null default '', -- '' = every category
    period text not null check (period ~ '^[0-9]{4}(-(0[1-9]|1[0-2]))?$'), -- '2023-10' or '2023'
    target bigint not null check (target > 0),
    set_by text not null,
    set_at timestamptz not null,
    primary key (lab_id, metric, category_code, period)
);

-- Append-only: every write (import, void, plan change, …) leaves an entry.
create table audit_log (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    at timestamptz not null,
    actor text not null,
    action text not null,
    subject text not null,
    detail jsonb not null default '{}',
    primary key (lab_id, id)
);

create function audit_log_is_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'the audit log is append-only';
end;
$$;

create trigger audit_log_no_update before update or delete on audit_log
    for each row execute function audit_log_is_append_only();

create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_is_append_only();
