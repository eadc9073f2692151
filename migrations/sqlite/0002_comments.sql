-- Comments: the lookups the moderation pipeline makes while it holds the write lock.
--
-- "Has this author (same email, any case, and same name) an approved comment?" runs
-- for every submission; emails compare case-insensitively (hewn accepts ASCII
-- addresses only, so lower() is exact). Partial and expression indexes exist in
-- SQLite and PostgreSQL alike.
create index comments_known_author on comments (lower(author_email), author_name) where status = 'approved';
