-- Tag pages without reading every post of a tag: post_tags.visible_at repeats the
-- post's publication time while the post is one readers may see once that time
-- comes, null otherwise; triggers keep it right whatever writes posts or tags.
alter table post_tags add column visible_at bigint;
create index post_tags_visible on post_tags (tag_id, visible_at desc, post_id desc);

create function hewn_tagging_visible_at() returns trigger language plpgsql as $$
begin
    new.visible_at := (
        select case when p.kind = 'post' and p.status in ('published', 'scheduled') then p.published_at end
        from posts p where p.id = new.post_id);
    return new;
end $$;

create trigger post_tags_visible_on_tagging before insert on post_tags
    for each row execute function hewn_tagging_visible_at();

create function hewn_post_visible_at() returns trigger language plpgsql as $$
begin
    update post_tags
    set visible_at = case when new.kind = 'post' and new.status in ('published', 'scheduled') then new.published_at end
    where post_id = new.id;
    return null;
end $$;

create trigger post_tags_visible_on_post_change after update of kind, status, published_at on posts
    for each row execute function hewn_post_visible_at();
