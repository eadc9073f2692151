-- Mail: the outbox (written in the transaction of the event that causes a message,
-- composed and sent later by a sender task), commenters' addresses (confirmed once
-- by double opt-in) and their subscriptions to posts, the log that limits
-- confirmation mails, and the comments whose approval has been announced.

create table mail_outbox (
    id            integer primary key,
    -- held: a comment waits for moderation (to an admin); posted: a comment appeared
    -- (to an admin); notify: approved comments on a subscribed post; confirm: the
    -- double opt-in; manage: a commenter's link to their comments; test: the admin's test message.
    kind          text not null check (kind in ('held', 'posted', 'notify', 'confirm', 'manage', 'test')),
    recipient     text not null,
    post_id       integer,
    comment_id    integer,
    address_id    integer,
    -- queued -> sending (claimed by one sender) -> sent | failed | dropped (nothing
    -- left to say: the comment was moderated or deleted, the subscription ended).
    status        text not null default 'queued'
                  check (status in ('queued', 'sending', 'sent', 'failed', 'dropped')),
    attempts      integer not null default 0,
    due_at        integer not null,
    claimed_until integer not null default 0,
    subject       text not null default '',
    last_error    text not null default '',
    created_at    integer not null,
    sent_at       integer
);
create index mail_outbox_due on mail_outbox (status, due_at);
create index mail_outbox_group on mail_outbox (post_id, kind, status);
create index mail_outbox_created on mail_outbox (created_at desc, id desc);

-- The approved comments a `notify` message tells about.
create table mail_outbox_comments (
    outbox_id  integer not null references mail_outbox (id) on delete cascade,
    comment_id integer not null,
    primary key (outbox_id, comment_id)
);

create table mail_addresses (
    id           integer primary key,
    -- lowercased
    email        text not null unique,
    confirmed_at integer,
    created_at   integer not null
);

create table mail_subscriptions (
    id         integer primary key,
    address_id integer not null references mail_addresses (id) on delete cascade,
    post_id    integer not null references posts (id) on delete cascade,
    created_at integer not null,
    unique (address_id, post_id)
);
create index mail_subscriptions_post on mail_subscriptions (post_id);

create table mail_confirmations (
    email   text not null,
    client  text not null,
    sent_at integer not null
);
create index mail_confirmations_email on mail_confirmations (email, sent_at);
create index mail_confirmations_client on mail_confirmations (client, sent_at);

create table mail_notified (
    comment_id integer primary key
);
