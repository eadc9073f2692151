-- Listings of visible posts in their order, for PostgreSQL's planner: posts_listing
-- (kind, status, published_at desc, id desc) cannot give the order across the two
-- visible statuses, so on a large blog the index page read and sorted every post.
-- The predicate is the one every public listing states (store::posts::VISIBLE).
create index posts_visible_listing on posts (published_at desc, id desc)
    where kind = 'post' and status in ('published', 'scheduled');
