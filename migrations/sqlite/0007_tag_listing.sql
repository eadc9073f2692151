-- Tag pages without reading every post of a tag.
--
-- post_tags.visible_at repeats the post's publication time while the post is one
-- readers may see once that time comes (a post, published or scheduled: the rule of
-- store::posts::VISIBLE), and is null otherwise. With the index below, a tag page
-- reads its ten rows in order and a tag's count reads one small index range.
-- Triggers keep it right whatever writes posts or tags (the editor, the importer,
-- an operator's SQL).
alter table post_tags add column visible_at integer;

update post_tags set visible_at = (
    select case when p.kind = 'post' and p.status in ('published', 'scheduled') then p.published_at end
    from posts p where p.id = post_tags.post_id
);

create index post_tags_visible on post_tags (tag_id, visible_at desc, post_id desc);

create trigger post_tags_visible_on_tagging after insert on post_tags
begin
    update post_tags set visible_at = (
        select case when p.kind = 'post' and p.status in ('published', 'scheduled') then p.published_at end
        from posts p where p.id = new.post_id
    )
    where post_id = new.post_id and tag_id = new.tag_id;
end;

create trigger post_tags_visible_on_post_change after update of kind, status, published_at on posts
begin
    update post_tags
    set visible_at = case when new.kind = 'post' and new.status in ('published', 'scheduled') then new.published_at end
    where post_id = new.id;
end;

-- Tag pages no longer look posts up for their visibility (0006 added this for them).
drop index posts_visibility;
