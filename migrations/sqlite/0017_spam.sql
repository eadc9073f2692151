-- The spam filter: a naive Bayes model learnt from the admin's decisions, shared by
-- every instance. `spam_features` counts, per feature, the spam and legitimate
-- (ham) comments it was seen in; `spam_model` counts the comments learnt; each
-- comment's current label is in `spam_labels` (so a reversed decision unlearns
-- exactly what was learnt); `spam_verdicts` keeps the score and the strongest
-- features of a held or spam comment, for the admin's queue.

create table spam_features (
    feature text not null primary key,
    spam    integer not null default 0,
    ham     integer not null default 0,
    -- the model's document count when the feature was last learnt (for pruning)
    seen_at integer not null default 0
) without rowid;

create table spam_model (
    id        integer primary key check (id = 1),
    spam_docs integer not null default 0,
    ham_docs  integer not null default 0
);
insert into spam_model (id) values (1);

create table spam_labels (
    comment_id integer primary key references comments (id) on delete cascade,
    label      text not null check (label in ('spam', 'ham'))
);

create table spam_verdicts (
    comment_id integer primary key references comments (id) on delete cascade,
    -- thousandths: 0 (certainly legitimate) to 1000 (certainly spam)
    score      integer not null,
    -- the strongest features, one per line: feature, a tab, its weight
    reasons    text not null
);
