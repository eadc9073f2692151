-- SQLite's 0016 makes its search index hold a post's body up to its first 256 Ki
-- characters. PostgreSQL's has done so from the start (`hewn_search_document`,
-- migration 0004: a tsvector holds at most 1 MB). This file keeps the numbers of
-- both backends in step.
select 1;
