-- Queries that must not grow with the size of the blog.
--
-- Visibility by post id, without reading a post's body: tag pages and counts join
-- post_tags to posts and only need these columns.
create index posts_visibility on posts (id, kind, status, published_at);

-- The duplicate-comment check compares a submission with the post's comments that
-- begin with the same text, instead of every comment of the post.
create index comments_duplicate on comments (post_id, substr(body, 1, 64));
