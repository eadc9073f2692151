-- Discovery: the full-text search index over posts and pages (titles, tags, bodies).
--
-- SQLite uses FTS5; here a tsvector per post, kept by triggers so that every writer
-- (the editor, the importer, psql by hand) keeps it right, and a GIN index. The
-- `hewn` configuration splits words like `simple` (no stemming, no stop words: any
-- language) and folds accents with `unaccent`. Weights: title A, tags B, body C.
-- The body is the author's text (the Markdown source, or the sanitised HTML of an
-- imported post, whose tags the parser skips), its first 256 KiB characters: a
-- tsvector holds at most 1 MB.
create extension if not exists unaccent;

create text search configuration hewn (copy = simple);
alter text search configuration hewn
    alter mapping for asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword,
        hword_numpart
    with unaccent, simple;

create table post_search (
    post_id  bigint primary key references posts (id) on delete cascade deferrable initially immediate,
    document tsvector not null
);
create index post_search_document on post_search using gin (document);

create function hewn_search_document(p posts) returns tsvector language sql stable as $$
    select setweight(to_tsvector('hewn', p.title), 'A')
        || setweight(to_tsvector('hewn', coalesce((
               select string_agg(t.name, ' ') from post_tags pt join tags t on t.id = pt.tag_id
               where pt.post_id = p.id), '')), 'B')
        || setweight(to_tsvector('hewn', left(
               case when p.source_format = 'markdown' then p.source else p.body_html end, 262144)), 'C')
$$;

create function hewn_search_index(post bigint) returns void language sql as $$
    insert into post_search (post_id, document)
    select p.id, hewn_search_document(p) from posts p where p.id = post
    on conflict (post_id) do update set document = excluded.document
$$;

create function hewn_search_post_written() returns trigger language plpgsql as $$
begin
    perform hewn_search_index(new.id);
    return null;
end $$;

create trigger post_search_after_insert after insert on posts
    for each row execute function hewn_search_post_written();
create trigger post_search_after_update after update of title, source, source_format, body_html on posts
    for each row execute function hewn_search_post_written();

create function hewn_search_tagging() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        perform hewn_search_index(old.post_id);
    else
        perform hewn_search_index(new.post_id);
    end if;
    return null;
end $$;

-- A post's tags written before the post itself (an import, with deferred keys) find
-- no post yet: the post's own insert indexes them.
create trigger post_search_tag_attached after insert on post_tags
    for each row execute function hewn_search_tagging();
create trigger post_search_tag_detached after delete on post_tags
    for each row execute function hewn_search_tagging();

create function hewn_search_tag_renamed() returns trigger language plpgsql as $$
begin
    perform hewn_search_index(pt.post_id) from post_tags pt where pt.tag_id = new.id;
    return null;
end $$;

create trigger post_search_tag_renamed after update of name on tags
    for each row execute function hewn_search_tag_renamed();
