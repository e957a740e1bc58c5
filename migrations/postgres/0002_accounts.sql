-- Accounts: users (Argon2id password hashes) and API tokens (SHA-256 hashes only): the
-- same change as migrations/sqlite/0002_accounts.sql.
--
-- A username is unique within its lab. A token's hash is unique across labs: a request
-- presents only the token, and the token names its lab. That one index is not led by
-- lab_id: on Citus, `api_tokens` is small and would be a reference table (see
-- docs/national-deployment.md). Roles are the words of
-- `metrotrack_store::accounts::Role`.

create table users (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    username text not null check (username <> ''),
    password_hash text not null, -- PHC string, Argon2id
    role text not null
        check (role in ('reader', 'technician', 'supervisor', 'admin', 'national')),
    created_at timestamptz not null,
    created_by text not null,
    primary key (lab_id, id)
);

create unique index users_username on users (lab_id, username);

create table api_tokens (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    user_id bigint, -- the user it acts for, if any
    name text not null,
    role text not null
        check (role in ('reader', 'technician', 'supervisor', 'admin', 'national')),
    token_hash text not null check (token_hash <> ''), -- SHA-256 of the token, hex
    created_at timestamptz not null,
    created_by text not null,
    last_used_at timestamptz,
    revoked_at timestamptz,
    revoked_by text,
    primary key (lab_id, id),
    foreign key (lab_id, user_id) references users (lab_id, id),
    check ((revoked_at is null) = (revoked_by is null))
);

create unique index api_tokens_hash on api_tokens (token_hash);

-- Reads that the HTTP API pages through by id within a lab are served by the primary
-- keys (lab_id, id), an instrument's history by inspections_due (lab_id, instrument_id,
-- inspected_on, …). A point's history, voided tests included:
create index earthing_tests_point on earthing_tests (lab_id, point_id, tested_on);
