-- Commenters in charge of their own words: when a comment was last edited by its
-- author, a deleted comment kept as a placeholder for its replies, the links that
-- open a commenter's own page, and the log of data requests (without addresses).

alter table comments add column edited_at integer;
alter table comments add column deleted_at integer;
-- A keyed hash of the author's address (see domain::privacy): what an avatar is drawn from.
alter table comments add column avatar_key text not null default '';
-- The comments whose IP address or user agent the retention task has yet to erase.
create index comments_retention on comments (created_at) where author_ip <> '' or user_agent <> '';

-- A "Manage your comments" link: it names this row, never the address.
create table commenter_links (
    id         integer primary key,
    email      text not null,
    created_at integer not null
);
create index commenter_links_created on commenter_links (created_at);

-- Export, erasure and deletion requests, by commenters or the admin: what and how
-- many comments, never whose.
create table privacy_requests (
    id         integer primary key,
    kind       text not null check (kind in ('export', 'erase', 'delete')),
    source     text not null check (source in ('commenter', 'admin')),
    comments   integer not null,
    created_at integer not null
);
create index privacy_requests_created on privacy_requests (created_at desc, id desc);

-- Confirmation and manage-link mails share the log that limits them, each counted apart.
alter table mail_confirmations add column kind text not null default 'confirm';
