-- Web sign-ins: a session is known by the SHA-256 of its random id (the id itself lives
-- only in the browser's cookie), carries the CSRF token of its forms, and expires.

create table web_sessions (
    id integer primary key,
    lab_id integer not null references labs (id),
    user_id integer not null references users (id),
    session_hash text not null, -- SHA-256 of the cookie's id, lower-case hex
    csrf_token text not null,
    created_at text not null,
    expires_at text not null
);

create unique index web_sessions_hash on web_sessions (session_hash);
create index web_sessions_expiry on web_sessions (expires_at);
