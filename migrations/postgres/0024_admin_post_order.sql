-- The admin panel's post list (newest first, by publication or else last change) and
-- the dashboard's recently changed posts read their first rows in order from these
-- instead of sorting every post (90 ms on 100,000 posts; see `store::editor`).
create index posts_admin_order on posts (kind, (coalesce(published_at, updated_at)) desc, id desc);
create index posts_recent on posts (updated_at desc, id desc);
