-- Comments: "has this author (same email, any case, and same name) an approved
-- comment?", asked for every submission under the write lock.
create index comments_known_author on comments (lower(author_email), author_name) where status = 'approved';
