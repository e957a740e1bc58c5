-- Web sign-ins: a session is known by the SHA-256 of its random id (the id itself lives
-- only in the browser's cookie), carries the CSRF token of its forms, and expires.
-- Like `api_tokens`, looked up by hash alone: on Citus a small reference table.

create table web_sessions (
    lab_id bigint not null references labs (id),
    id bigint generated always as identity,
    user_id bigint not null,
    session_hash text not null check (session_hash <> ''),
    csrf_token text not null,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    primary key (lab_id, id),
    foreign key (lab_id, user_id) references users (lab_id, id)
);

create unique index web_sessions_hash on web_sessions (session_hash);
create index web_sessions_expiry on web_sessions (expires_at);
