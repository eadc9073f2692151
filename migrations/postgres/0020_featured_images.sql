-- A featured image per post or page (see the SQLite migration of the same number).
alter table posts add column featured_media_id bigint
    references media (id) on delete set null deferrable initially immediate;
create index posts_featured_media on posts (featured_media_id) where featured_media_id is not null;
