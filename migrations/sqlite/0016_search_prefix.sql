-- The search index holds a post's body up to its first 256 Ki characters, as
-- PostgreSQL's has from the start (a tsvector holds at most 1 MB): indexing a
-- post of many megabytes whole held several times its size in memory while
-- it was written (an import of one 50 MB post, about 116 MB of it). Titles and
-- tags are indexed whole, as before. Entries already written are left as they
-- are; a post's next edit indexes its prefix.

drop trigger post_search_after_insert;
drop trigger post_search_after_update;

create trigger post_search_after_insert after insert on posts begin
    delete from post_search where rowid = new.id;
    insert into post_search (rowid, title, body, tags)
    values (
        new.id,
        new.title,
        substr(case when new.source_format = 'markdown' then new.source else new.body_html end, 1, 262144),
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
        substr(case when new.source_format = 'markdown' then new.source else new.body_html end, 1, 262144),
        coalesce((select group_concat(t.name, ' ') from post_tags pt join tags t on t.id = pt.tag_id
                  where pt.post_id = new.id), '')
    );
end;
