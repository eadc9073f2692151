-- WordPress import and export: media stored in the database, old addresses that
-- redirect, and the lookups an import makes.

-- Files served at /media/{path}: WordPress attachments and the images posts use,
-- kept in the database so the database file stays the whole deployment and
-- several instances share it. `bytes` is the last column so that reading the
-- other columns never touches its overflow pages.
create table media (
    id           integer primary key,
    path         text not null unique,          -- relative, e.g. 2013/10/photo.jpg
    content_type text not null,
    size         integer not null,
    sha256       text not null,                 -- hex digest; the ETag
    title        text not null default '',
    alt          text not null default '',
    created_at   integer not null,
    wp_id        integer,                       -- the WordPress attachment's id
    bytes        blob not null
);
create index media_wp_id on media (wp_id) where wp_id is not null;

-- Old addresses that answer 301: a normalised old path (`/2013/10/12/slug`:
-- percent-decoded, lowercase, no trailing slash) or query (`?cat=5`), and what it
-- names now. Exactly one target is set.
create table legacy_links (
    key      text primary key,
    post_id  integer references posts (id) on delete cascade,
    tag_id   integer references tags (id) on delete cascade,
    media_id integer references media (id) on delete cascade
);
create index legacy_links_post on legacy_links (post_id) where post_id is not null;
create index legacy_links_tag on legacy_links (tag_id) where tag_id is not null;
create index legacy_links_media on legacy_links (media_id) where media_id is not null;

-- Re-imports match items by their WordPress guid.
create index posts_wp_guid on posts (wp_guid) where wp_guid is not null;
