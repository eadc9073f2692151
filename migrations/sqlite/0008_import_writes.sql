-- An import writes comments in many short commits (so that commenters on the live
-- site never wait long), and every index a comment touches at a random place costs
-- a page written per commit. Two such indexes did not pay for it:
-- * comments_author answered no query any more (comments_known_author, added in
--   0002, took its place);
-- * comments_client serves flood control, which asks about comments written here,
--   never about imported ones (they carry a WordPress id).
drop index comments_author;
drop index comments_client;
create index comments_client on comments (author_ip, created_at) where wp_id is null;
