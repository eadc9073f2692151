-- Discovery: the full-text search index over posts and pages (titles, bodies, tags).
--
-- SQLite only (FTS5). PostgreSQL's 0004 will give posts a tsvector column and a GIN
-- index with the same intent: the store's search module has one arm per backend.
--
-- The index is kept in sync by triggers, not by the code that writes posts, so
-- every writer (the editor, the WordPress importer, the demo, sqlite3 by hand)
-- keeps it right without knowing it exists. Visibility (status, publication time,
-- kind) is not indexed: searches join posts and apply the same rule as every
-- public listing, so publishing or trashing a post needs no index change.
--
-- rowid = posts.id. The body column holds the author's text: the Markdown source
-- for Markdown posts, the sanitised HTML for HTML posts (imports), whose raw source
-- may carry editor comments and shortcodes. Snippets are not taken from the index:
-- the application cuts them from the rendered body's plain text.

create virtual table post_search using fts5 (
    title,
    body,
    tags,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- A post (re)written: replace its row whole, so that a missing or stale row heals.
create trigger post_search_after_insert after insert on posts begin
    delete from post_search where rowid = new.id;
    insert into post_search (rowid, title, body, tags)
    values (
        new.id,
        new.title,
        case when new.source_format = 'markdown' then new.source else new.body_html end,
        coalesce((select group_concat(t.name, ' ') from post_tags pt join tags t on t.id = pt.tag_id
                  where pt.post_id = new.id), '')
    );
end;

create trigger post_search_after_update after update of title, source, source_format, body_html on posts begin
    delete from post_search where rowid = old.id;
    insert into post_search (rowid, title, body, tags)
    values (
        new.id,
        new.title,
        case when new.source_format = 'markdown' then new.source else new.body_html end,
        coalesce((select group_concat(t.name, ' ') from post_tags pt join tags t on t.id = pt.tag_id
                  where pt.post_id = new.id), '')
    );
end;

create trigger post_search_after_delete after delete on posts begin
    delete from post_search where rowid = old.id;
end;

-- Tags attached, detached (also by the cascade when a post or tag is deleted) or renamed.
create trigger post_search_tag_attached after insert on post_tags begin
    update post_search
    set tags = coalesce((select group_concat(t.name, ' ') from post_tags pt join tags t on t.id = pt.tag_id
                         where pt.post_id = new.post_id), '')
    where rowid = new.post_id;
end;

create trigger post_search_tag_detached after delete on post_tags begin
    update post_search
    set tags = coalesce((select group_concat(t.name, ' ') from post_tags pt join tags t on t.id = pt.tag_id
                         where pt.post_id = old.post_id), '')
    where rowid = old.post_id;
end;

create trigger post_search_tag_renamed after update of name on tags begin
    update post_search
    set tags = coalesce((select group_concat(t.name, ' ') from post_tags pt join tags t on t.id = pt.tag_id
                         where pt.post_id = post_search.rowid), '')
    where rowid in (select post_id from post_tags where tag_id = new.id);
end;

-- Index what is already there.
insert into post_search (rowid, title, body, tags)
select
    p.id,
    p.title,
    case when p.source_format = 'markdown' then p.source else p.body_html end,
    coalesce((select group_concat(t.name, ' ') from post_tags pt join tags t on t.id = pt.tag_id
              where pt.post_id = p.id), '')
from posts p;
