-- Comments imported from a Disqus export keep their Disqus post id, so that
-- importing the same export again (or a later one) adds only what is new, and a
-- reply finds its parent among comments imported earlier.
alter table comments add column disqus_id integer;
create unique index comments_disqus_id on comments (disqus_id) where disqus_id is not null;
