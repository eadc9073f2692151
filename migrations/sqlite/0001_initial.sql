-- hewn's schema, designed for the whole product: reading, comments and
-- moderation, the admin panel, and WordPress import.
--
-- Conventions (kept portable so a PostgreSQL backend can mirror them):
-- * times are integer unix seconds, UTC;
-- * enumerations (statuses, kinds, formats) are text checked in Rust, not by
--   CHECK constraints, so a new value needs no table rebuild;
-- * booleans are integers 0/1;
-- * every query a page makes has an index below.

-- One row: a counter every committed write bumps (in the same transaction), and the
-- time of that write. Caches and HTTP validators key on it; several instances
-- sharing the database see each other's writes through it.
create table site_state (
    id         integer primary key,
    version    integer not null,
    changed_at integer not null
);
insert into site_state (id, version, changed_at) values (1, 0, 0);

create table settings (
    name  text primary key,
    value text not null
);

create table users (
    id            integer primary key,
    username      text not null unique,
    display_name  text not null,
    email         text not null default '',
    password_hash text not null,
    role          text not null default 'admin',
    created_at    integer not null
);

create table posts (
    id             integer primary key,
    kind           text not null default 'post',      -- post | page
    slug           text not null,
    title          text not null,
    source         text not null,
    source_format  text not null default 'markdown',  -- markdown | html
    body_html      text not null,
    excerpt        text not null default '',
    status         text not null,                     -- draft | published | scheduled | private | trash
    sticky         integer not null default 0,
    author_id      integer references users (id) on delete set null,
    author_name    text not null default '',
    comments_open  integer not null default 1,
    published_at   integer,
    updated_at     integer not null,
    created_at     integer not null,
    wp_id          integer,
    wp_guid        text,
    wp_permalink   text
);
create unique index posts_slug on posts (slug);
create index posts_listing on posts (kind, status, published_at desc, id desc);
create unique index posts_wp_id on posts (wp_id) where wp_id is not null;
create index posts_wp_permalink on posts (wp_permalink) where wp_permalink is not null;

create table tags (
    id   integer primary key,
    slug text not null unique,
    name text not null
);

create table post_tags (
    post_id integer not null references posts (id) on delete cascade,
    tag_id  integer not null references tags (id) on delete cascade,
    primary key (post_id, tag_id)
);
create index post_tags_tag on post_tags (tag_id, post_id);

create table comments (
    id            integer primary key,
    post_id       integer not null references posts (id) on delete cascade,
    parent_id     integer references comments (id) on delete set null,
    kind          text not null default 'comment',    -- comment | pingback | trackback
    author_name   text not null default '',
    author_email  text not null default '',
    author_url    text not null default '',
    user_id       integer references users (id) on delete set null,
    body          text not null,
    body_html     text not null,
    status        text not null,                      -- pending | approved | spam | trash
    status_before_trash text,
    rule          text not null default '',           -- the moderation rule that decided the status
    author_ip     text not null default '',
    user_agent    text not null default '',
    created_at    integer not null,
    wp_id         integer
);
create index comments_thread on comments (post_id, status, created_at, id);
create index comments_queue on comments (status, created_at desc, id desc);
create index comments_recent on comments (created_at desc, id desc);
create index comments_parent on comments (parent_id);
create index comments_client on comments (author_ip, created_at);
create index comments_author on comments (author_email, author_name, status);
create unique index comments_wp_id on comments (post_id, wp_id) where wp_id is not null;
