-- Queries that must not grow with the size of the blog: the duplicate-comment check
-- compares a submission with the post's comments that begin with the same text.
-- (SQLite's 0006 also added posts_visibility, which its 0007 dropped again.)
create index comments_duplicate on comments (post_id, substr(body, 1, 64));
