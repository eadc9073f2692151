-- The admin panel: login sessions, login throttling, the first-run setup link,
-- and the order of pages in the site navigation.

-- A logged-in browser. The cookie carries a random id; only its SHA-256 is stored,
-- so a copy of the database does not hand out live sessions.
create table sessions (
    id_hash      text primary key,
    user_id      integer not null references users (id) on delete cascade,
    csrf_token   text not null,
    created_at   integer not null,
    last_seen_at integer not null
);
create index sessions_user on sessions (user_id);
create index sessions_last_seen on sessions (last_seen_at);

-- Failed logins within the throttling window, per client and name.
create table login_failures (
    id        integer primary key,
    client    text not null,      -- IPv4 address, or the /64 prefix of an IPv6 address
    username  text not null,      -- as typed, lowercased
    failed_at integer not null
);
create index login_failures_client on login_failures (client, failed_at);
create index login_failures_name on login_failures (client, username, failed_at);

-- One-time links that create the first admin; SHA-256 of the token.
create table setup_tokens (
    token_hash text primary key,
    created_at integer not null
);

-- Pages are listed in the navigation by this number, then by title.
alter table posts add column menu_order integer not null default 0;
