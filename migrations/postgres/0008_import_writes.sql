-- Flood control asks about comments written here, never about imported ones (they
-- carry a WordPress id), so its index leaves those out.
create index comments_client on comments (author_ip, created_at) where wp_id is null;
