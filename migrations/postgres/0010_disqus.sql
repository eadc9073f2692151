-- Comments imported from a Disqus export keep their Disqus post id.
alter table comments add column disqus_id bigint;
create unique index comments_disqus_id on comments (disqus_id) where disqus_id is not null;
