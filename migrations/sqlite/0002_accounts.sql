-- Accounts: users (Argon2id password hashes) and API tokens (SHA-256 hashes only).
--
-- A username is unique within its lab. A token's hash is unique across labs: a request
-- presents only the token, and the token names its lab. Roles are the words of
-- `metrotrack_store::accounts::Role`.

create table users (
    id integer primary key,
    lab_id integer not null references labs (id),
    username text not null,
    password_hash text not null, -- PHC string, Argon2id
    role text not null
        check (role in ('reader', 'technician', 'supervisor', 'admin', 'national')),
    created_at text not null,
    created_by text not null
);

create unique index users_username on users (lab_id, username);

create table api_tokens (
    id integer primary key,
    lab_id integer not null references labs (id),
    user_id integer references users (id), -- the user it acts for, if any
    name text not null,
    role text not null
        check (role in ('reader', 'technician', 'supervisor', 'admin', 'national')),
    token_hash text not null, -- SHA-256 of the token, lower-case hex
    created_at text not null,
    created_by text not null,
    last_used_at text,
    revoked_at text,
    revoked_by text
);

create unique index api_tokens_hash on api_tokens (token_hash);
create index api_tokens_lab on api_tokens (lab_id, id);

-- Reads that the HTTP API pages through by id within a lab.
create index instruments_lab on instruments (lab_id, id);
create index inspections_lab on inspections (lab_id, id);
create index inspections_instrument on inspections (instrument_id, inspected_on);
create index earthing_points_lab on earthing_points (lab_id, id);
create index earthing_tests_lab on earthing_tests (lab_id, id);
create index earthing_tests_point on earthing_tests (point_id, tested_on);
