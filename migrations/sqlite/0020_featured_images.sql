-- A featured image per post or page: a library item chosen in the editor, shown at
-- the top of the post and in listings (as the settings say) and used for link
-- previews and feed enclosures. Deleting the item leaves the post without one.
-- The posts triggers of 0009 count a change here (and the set null of a delete) as
-- a visible change, so cached pages showing the image are renewed.
alter table posts add column featured_media_id integer references media (id) on delete set null;
create index posts_featured_media on posts (featured_media_id) where featured_media_id is not null;
